-- The record of every board: one JSON line per board and attempt, appended
-- and fsynced through fs.append (one write per line, so parallel workers
-- never interleave inside a record), and a CSV export for spreadsheets.
--
-- Fields (all optional except time and result): time (ISO 8601 UTC), probe
-- (serial), uid (chip unique ID, hex), image_sha256 or image_crc32, serial
-- (assigned serial number text), sectors_written, sectors_skipped, verify
-- ("crc" / "readback" / false), result ("passed" / "failed" / "skipped"),
-- error (message), phases ({ name = seconds }), attempt (1-based).

local json = require("luaflash.json")

local M = {}

M.columns = { "time", "result", "probe", "uid", "serial", "image_crc32", "sectors_written",
  "sectors_skipped", "verify", "attempt", "seconds", "error" }

local function iso_time(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", t) end

function M.record(fs, path, rec)
  assert(rec.result == "passed" or rec.result == "failed" or rec.result == "skipped",
    "boardlog: result must be passed, failed or skipped")
  local r = {}
  for k, v in pairs(rec) do r[k] = v end
  r.time = r.time or iso_time(os.time())
  fs.append(path, json.encode(r) .. "\n")
  return r
end

local function csv_field(v)
  if v == nil then return "" end
  if type(v) == "table" then v = json.encode(v) end
  v = tostring(v)
  if v:find('[",\n\r]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

-- CSV text of a JSON-lines log (header + one row per record); phase times
-- become one column per phase name, in first-seen order.
function M.to_csv(text, path)
  local recs, phases, seen = {}, {}, {}
  local lineno = 0
  for line in text:gmatch("[^\n]+") do
    lineno = lineno + 1
    local r, err = json.decode(line)
    if not r then error((path or "log") .. ":" .. lineno .. ": " .. err, 0) end
    recs[#recs + 1] = r
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
