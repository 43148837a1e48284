-- luaflash dump_records.lua DATABASE: the production database's board
-- records as JSON lines, each with "state" = its serial number's state in
-- lf_serial (for shell tests: grep-able like the old JSON-lines log).
local lf = require("luaflash")
local json = require("luaflash.json")
local db <close> = lf.db.open(assert(arg[1], "usage: dump_records.lua DATABASE"))
for _, r in ipairs(db:exec("SELECT b.record, s.state FROM lf_board b LEFT JOIN lf_serial s " ..
    "ON s.range = b.range AND s.serial = b.serial_n ORDER BY b.time, b.attempt")) do
  local rec = json.decode(r.record)
  rec.state = r.state
  io.write(json.encode(rec), "\n")
end
