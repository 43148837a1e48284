-- `luaflash report DATABASE`: what a production line did, from its database
-- (lua/luaflash/store.lua): yield per station, failures by phase and error,
-- time per board (median, 95th percentile), the serial numbers' audit; as
-- text, CSV (--csv) and an SVG chart (--svg FILE).
--
--   luaflash report production.db
--   luaflash report postgresql://line@db.example/prod --station st-2 --since 2026-12-01
--   luaflash report production.db --csv               per-station table as CSV
--   luaflash report production.db --boards-csv        every board record as CSV
--   luaflash report production.db --svg line.svg      yield and time per station
local lf = require("luaflash")
local store = require("luaflash.store")
local boardlog = require("luaflash.boardlog")
local svg = require("luaflash.svg")

local M = {}

-- The q-quantile of a sorted list (nearest rank), nil when empty.
local function quantile(sorted, q)
  if #sorted == 0 then return nil end
  local k = math.max(1, math.ceil(q * #sorted))
  return sorted[k]
end
M.quantile = quantile

-- An error message made a group key: numbers, addresses and serials
-- replaced, so "program 0x08000000 (sector 0)" and "program 0x08008000
-- (sector 1)" count as one cause, and so do two probes' USB errors.
function M.error_key(msg)
  msg = tostring(msg or "?"):match("^[^\n]*")
  msg = msg:gsub("0x%x+", "\1")
  -- long alphanumeric tokens with digits (probe serials, chip UIDs): one key
  msg = msg:gsub("%f[%w][%w]+%f[%W]", function(w)
    if #w >= 8 and w:find("%d") then return "\2" end
  end)
  msg = msg:gsub("%f[%w]%d+%f[%W]", "N"):gsub("\1", "0x…"):gsub("\2", "…")
  if #msg > 100 then msg = msg:sub(1, 97) .. "..." end
  return msg
end

-- The report's figures from board records (store:boards()).
function M.summarise(recs)
  local per, order = {}, {}
  local all = { station = "all", boards = 0, passed = 0, failed = 0, skipped = 0, times = {} }
  local causes, first, last = {}, nil, nil
  for _, r in ipairs(recs) do
    local name = r.station or "?"
    local st = per[name]
    if not st then
      st = { station = name, boards = 0, passed = 0, failed = 0, skipped = 0, times = {} }
      per[name] = st
      order[#order + 1] = name
    end
    for _, x in ipairs { st, all } do
      x.boards = x.boards + 1
      x[r.result] = (x[r.result] or 0) + 1
      if r.result == "passed" and type(r.seconds) == "number" then x.times[#x.times + 1] = r.seconds end
    end
    if r.result == "failed" then
      local key = (r.phase or "?") .. "\0" .. M.error_key(r.error)
      local c = causes[key]
      if not c then
        c = { phase = r.phase or "?", error = M.error_key(r.error), count = 0, stations = {} }
        causes[key] = c
      end
      c.count = c.count + 1
      c.stations[name] = true
    end
    if r.time then
      if not first or r.time < first then first = r.time end
      if not last or r.time > last then last = r.time end
    end
  end
  table.sort(order)
  local rows = {}
  for _, name in ipairs(order) do rows[#rows + 1] = per[name] end
  rows[#rows + 1] = all
  for _, x in ipairs(rows) do
    table.sort(x.times)
    local tried = x.passed + x.failed
    x.yield = tried > 0 and x.passed / tried or nil
    x.median = quantile(x.times, 0.5)
    x.p95 = quantile(x.times, 0.95)
  end
  local list = {}
  for _, c in pairs(causes) do
    local s = {}
    for n in pairs(c.stations) do s[#s + 1] = n end
    table.sort(s)
    c.stations = s
    list[#list + 1] = c
  end
  table.sort(list, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    if a.phase ~= b.phase then return a.phase < b.phase end
    return a.error < b.error
  end)
  return { stations = rows, causes = list, first = first, last = last }
end

local function pct(y) return y and string.format("%.1f%%", y * 100) or "-" end
local function secs(v) return v and string.format("%.3f s", v) or "-" end

function M.text(sum, where, audit)
  local out = {}
  out[#out + 1] = string.format("production report: %s; %d board attempt(s)%s", where, sum.stations[#sum.stations].boards,
    sum.first and string.format(", %s .. %s", sum.first, sum.last) or "")
  out[#out + 1] = ""
  out[#out + 1] = string.format("%-18s %7s %7s %7s %7s %8s %10s %10s", "station", "boards", "passed", "failed",
    "skipped", "yield", "median", "p95")
  for _, x in ipairs(sum.stations) do
    out[#out + 1] = string.format("%-18s %7d %7d %7d %7d %8s %10s %10s", x.station, x.boards, x.passed, x.failed,
      x.skipped, pct(x.yield), secs(x.median), secs(x.p95))
  end
  out[#out + 1] = ""
  if #sum.causes == 0 then
    out[#out + 1] = "failures: none"
  else
    out[#out + 1] = "failures by phase and error:"
    for _, c in ipairs(sum.causes) do
      out[#out + 1] = string.format("  %5d  %-8s %s  [%s]", c.count, c.phase, c.error, table.concat(c.stations, ", "))
    end
  end
  if audit then
    out[#out + 1] = ""
    out[#out + 1] = string.format("serial numbers (range %s): %d passed, %d failed, %d unknown (reserved, never " ..
      "recorded: a station died mid-board); audit: %d on two passed boards, %d outcomes without their record",
      audit.range, #audit.passed, #audit.failed, #audit.unknown, #audit.doubled, #audit.lost)
  end
  out[#out + 1] = "(times: the boards' own run time of passed boards; on the bench, modeled seconds)"
  return table.concat(out, "\n") .. "\n"
end

function M.csv(sum)
  local f = boardlog.csv_field
  local out = { "station,boards,passed,failed,skipped,yield,median_s,p95_s" }
  for _, x in ipairs(sum.stations) do
    out[#out + 1] = table.concat({ f(x.station), x.boards, x.passed, x.failed, x.skipped,
      x.yield and string.format("%.4f", x.yield) or "", x.median and string.format("%.6f", x.median) or "",
      x.p95 and string.format("%.6f", x.p95) or "" }, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

-- Two bar charts in one picture: yield per station, then median and p95
-- time per station.
function M.svg(sum, where)
  local ybars, tbars = {}, {}
  for _, x in ipairs(sum.stations) do
    if x.yield then
      ybars[#ybars + 1] = { label = x.station, value = x.yield, note = string.format("(%d of %d)", x.passed,
        x.passed + x.failed), highlight = x.station == "all" }
    end
    if x.median then
      tbars[#tbars + 1] = { label = x.station .. " median", value = x.median, highlight = x.station == "all" }
      tbars[#tbars + 1] = { label = x.station .. " p95", value = x.p95, color = "#f28e2b" }
    end
  end
  local a = svg.bars("Yield per station — " .. where, ybars, { max = 1, format = pct, label_width = 260 })
  local b = svg.bars("Time per passed board", tbars, { label_width = 260 })
  local ha = tonumber(a:match('height="(%d+)"')) or 0
  local hb = tonumber(b:match('height="(%d+)"')) or 0
  local function nest(text, y)
    return (text:gsub('^<svg xmlns="http://www.w3.org/2000/svg"', '<svg x="0" y="' .. y .. '"', 1))
  end
  return string.format('<svg xmlns="http://www.w3.org/2000/svg" width="900" height="%d" font-family="sans-serif" ' ..
    'font-size="13">\n', ha + hb) .. nest(a, 0) .. nest(b, ha) .. "</svg>\n"
end

local function usage(msg)
  lf.usage_error("report: " .. msg .. " (luaflash report DATABASE [--station NAME] [--since TIME] [--range NAME] " ..
    "[--csv | --boards-csv | --svg FILE])", 0)
end

function M.main(...)
  local words = { ... }
  local o = {}
  local i = 1
  while i <= #words do
    local w = words[i]
    local function val()
      i = i + 1
      if not words[i] then usage(w .. " needs a value") end
      return words[i]
    end
    if w == "--station" then o.station = val()
    elseif w == "--since" then o.since = val()
    elseif w == "--range" then o.range = val()
    elseif w == "--csv" then o.csv = true
    elseif w == "--boards-csv" then o.boards_csv = true
    elseif w == "--svg" then o.svg = val()
    elseif w:match("^%-") then usage("unknown option '" .. w .. "'")
    elseif not o.database then o.database = w
    else usage("unexpected argument '" .. w .. "'") end
    i = i + 1
  end
  if not o.database then usage("no database given") end
  if not o.database:match("^postgres") and not o.database:match("^sqlite:") then
    local f = io.open(o.database, "rb")
    if not f then usage("no such database file: " .. o.database) end
    f:close()
  end
  local st = store.open { database = o.database, station = "report" }
  local recs = st:boards { station = o.station, since = o.since }
  if o.boards_csv then
    io.stdout:write(boardlog.csv(recs))
    st:close()
    return
  end
  local sum = M.summarise(recs)
  if o.csv then
    io.stdout:write(M.csv(sum))
  else
    local audit
    local range = o.range or "default"
    if #st.db:exec("SELECT name FROM lf_range WHERE name = ?", range) > 0 then
      audit = st:audit(range)
      audit.range = range
    end
    io.stdout:write(M.text(sum, st:where(), audit))
  end
  if o.svg then
    local f, err = io.open(o.svg, "wb")
    if not f then error("report: " .. tostring(err), 0) end
    f:write(M.svg(sum, st:where()))
    f:close()
    io.stderr:write("report: chart written to " .. o.svg .. "\n")
  end
  st:close()
end

return M
