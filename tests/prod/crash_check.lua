-- After crash_test.sh (or pg_test.sh): the production database that survived
-- kill -9 at random moments. Checks: the database is sound (SQLite:
-- integrity_check); no serial number was reserved twice, none is on two
-- passed boards; every reserved number is below the range's counter; every
-- number with an outcome has its board record, with the same result (the
-- two are written in one transaction); every board record with a number
-- agrees with the number's state. Prints the figures.
--   luaflash crash_check.lua RUNS KILLS      (database: tests/prod/prodcfg.lua)
local lf = require("luaflash")
local cfg = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/prodcfg.lua")
local store = require("luaflash.store")
local runs, kills = tonumber(arg[1]), tonumber(arg[2])
local bad = 0
local function fail(msg) bad = bad + 1; print("[  FAILED  ] " .. msg) end

local db <close> = lf.db.open(cfg.database)
if db:kind() == "sqlite" then
  local r = db:exec("PRAGMA integrity_check")[1]
  if r.integrity_check ~= "ok" then fail("integrity_check: " .. tostring(r.integrity_check)) end
end
local st = store.open { db = db, station = "check" }
local next_n = db:exec("SELECT next FROM lf_range WHERE name = 'default'")[1].next
for _, r in ipairs(db:exec("SELECT serial, COUNT(*) AS c FROM lf_serial GROUP BY range, serial HAVING COUNT(*) > 1")) do
  fail("serial " .. r.serial .. " reserved twice")
end
for _, r in ipairs(db:exec("SELECT serial FROM lf_serial WHERE serial >= ?", next_n)) do
  fail("serial " .. r.serial .. " reserved but the counter says next=" .. next_n)
end
local a = st:audit("default")
for _, n in ipairs(a.doubled) do fail("serial " .. n .. " on two passed boards") end
for _, n in ipairs(a.lost) do fail("serial " .. n .. ": its outcome has no matching board record") end
for _, r in ipairs(db:exec("SELECT b.serial_n, b.result, s.state FROM lf_board b JOIN lf_serial s " ..
    "ON s.range = b.range AND s.serial = b.serial_n AND s.attempt = b.attempt")) do
  local want = r.result == "passed" and "passed" or "failed"
  if r.state ~= want then fail("serial " .. r.serial_n .. ": board record " .. r.result .. ", number " .. r.state) end
end
local boards = db:exec("SELECT COUNT(*) AS c FROM lf_board")[1].c
local stations = db:exec("SELECT COUNT(DISTINCT station) AS c FROM lf_board")[1].c
print(string.format("crash test (%s): %d runs, %d killed by SIGKILL; %d serial numbers handed out: %d passed, %d " ..
  "failed, %d unknown (killed mid-board: reserved, never recorded); %d board records from %d station(s); " ..
  "doubled %d, lost %d", db:kind(), runs, kills, next_n - 1000, #a.passed, #a.failed, #a.unknown, boards, stations,
  #a.doubled, #a.lost))
if #a.passed == 0 then fail("no board passed at all") end
if bad > 0 then os.exit(1) end
print("[       OK ] kill_9_never_hands_out_a_serial_twice_nor_loses_an_outcome")
