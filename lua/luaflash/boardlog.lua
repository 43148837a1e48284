-- The board log's records as CSV for spreadsheets (the records live in the
-- production database: lua/luaflash/store.lua, table lf_board).
--
-- Record fields (all optional except time and result): time (ISO 8601 UTC),
-- station, probe (serial), uid (chip unique ID, hex), image_crc32, serial
-- (assigned serial number text), sectors_written, sectors_skipped, verify
-- ("crc" / "readback" / false), result ("passed" / "failed" / "skipped"),
-- phase (where a failure happened), error (message), seconds, phases
-- ({ name = seconds }), attempt (the attempt's id).

local json = require("luaflash.json")

local M = {}

M.columns = { "time", "station", "result", "probe", "uid", "serial", "image_crc32", "sectors_written",
  "sectors_skipped", "verify", "seconds", "phase", "error", "attempt" }

local function csv_field(v)
  if v == nil then return "" end
  if type(v) == "table" then v = json.encode(v) end
  v = tostring(v)
  if v:find('[",\n\r]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end
M.csv_field = csv_field

-- CSV text of records (header + one row each); phase times become one
-- column per phase name, in first-seen order.
function M.csv(recs)
  local phases, seen = {}, {}
  for _, r in ipairs(recs) do
    local names = {}
    for name in pairs(r.phases or {}) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do
      if not seen[name] then seen[name] = true; phases[#phases + 1] = name end
    end
  end
  local header = {}
  for _, c in ipairs(M.columns) do header[#header + 1] = c end
  for _, p in ipairs(phases) do header[#header + 1] = "phase_" .. p end
  local out = { table.concat(header, ",") }
  for _, r in ipairs(recs) do
    local row = {}
    for _, c in ipairs(M.columns) do row[#row + 1] = csv_field(r[c]) end
    for _, p in ipairs(phases) do row[#row + 1] = csv_field(r.phases and r.phases[p]) end
    out[#out + 1] = table.concat(row, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

return M
