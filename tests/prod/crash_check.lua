-- After crash_test.sh: the files that survived kill -9 at random moments.
-- Checks: every line of the board log and the serial ledger is whole JSON;
-- no serial number was reserved twice or logged as passed twice; every
-- reserved number is below the counter; every outcome in the ledger has its
-- board-log line (the board line is written first). Prints the figures.
local lf = require("luaflash")
local json = require("luaflash.json")
local dir = assert(os.getenv("LUAFLASH_PROD_DIR"), "LUAFLASH_PROD_DIR")
local runs, kills = tonumber(arg[1]), tonumber(arg[2])
local bad = 0
local function fail(msg) bad = bad + 1; print("[  FAILED  ] " .. msg) end

local function records(path)
  local text = lf.fs.read(path) or ""
  if text ~= "" and text:sub(-1) ~= "\n" then fail(path .. ": last line is cut") end
  local out, n = {}, 0
  for line in text:gmatch("[^\n]+") do
    n = n + 1
    local r, err = json.decode(line)
    if not r then fail(path .. ":" .. n .. ": torn or corrupt line: " .. err) else out[#out + 1] = r end
  end
  return out
end

local counter = lf.fs.read(dir .. "/serial.counter") or ""
local next_n = tonumber(counter:match("^next=(%d+)\n$"))
if not next_n then fail("counter file: '" .. counter .. "'"); next_n = 1000 end
local ledger = records(dir .. "/serials.jsonl")
local log = records(dir .. "/boards.jsonl")

local reserved, outcome, dup_reserved = {}, {}, 0
for _, r in ipairs(ledger) do
  if r.event == "reserved" then
    if reserved[r.serial] then dup_reserved = dup_reserved + 1; fail("serial " .. r.serial .. " reserved twice") end
    reserved[r.serial] = true
    if r.serial >= next_n then fail("serial " .. r.serial .. " reserved but the counter says next=" .. next_n) end
  else
    outcome[r.text] = r.event
  end
end
local passed, dup_passed, failed = {}, 0, 0
local logged = {}
for _, r in ipairs(log) do
  if r.serial then logged[r.serial] = r.result end
  if r.result == "passed" then
    if passed[r.serial] then dup_passed = dup_passed + 1; fail("serial " .. r.serial .. " on two passed boards") end
    passed[r.serial] = true
  else
    failed = failed + 1
  end
end
local npassed, unknown, unknown_logged = 0, 0, 0
for _ in pairs(passed) do npassed = npassed + 1 end
for text, ev in pairs(outcome) do
  if logged[text] ~= ev then fail("ledger says " .. text .. " " .. ev .. " but the board log has " .. tostring(logged[text])) end
end
for n in pairs(reserved) do
  local text = string.format("SN%06d", n)
  if not outcome[text] then
    unknown = unknown + 1
    if logged[text] then unknown_logged = unknown_logged + 1 end
  end
end
print(string.format("crash test: %d runs, %d killed by SIGKILL; %d serial numbers handed out, %d boards logged " ..
  "passed, %d failed; %d numbers without an outcome in the ledger (%d of them with their board-log line: killed " ..
  "between the two records; the rest killed mid-board); duplicates: %d reserved twice, %d passed twice",
  runs, kills, next_n - 1000, npassed, failed, unknown, unknown_logged, dup_reserved, dup_passed))
if bad > 0 then os.exit(1) end
print("[       OK ] kill_9_never_hands_out_a_serial_twice_nor_loses_a_log_line")
