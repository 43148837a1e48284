-- Unit tests of lua/luaflash/store.lua and prodreport.lua on SQLite (run by
-- the luaflash binary: luaflash.db is C). The same store runs on PostgreSQL
-- in tests/prod/pg_test.sh.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local lf = require("luaflash")
local store = require("luaflash.store")
local report = require("luaflash.prodreport")
local json = require("luaflash.json")

local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)
local n_db = 0
local function fresh(range)
  n_db = n_db + 1
  local path = string.format("%s/p%d.db", dir, n_db)
  return store.open { database = path, station = "st1", range = range }, path
end

local function raises(fn, want)
  local ok, err = pcall(fn)
  eq(ok, false)
  assert(tostring(err):find(want, 1, true), "error '" .. tostring(err) .. "' lacks '" .. want .. "'")
end

test("numbers_come_in_order_formatted_and_survive_a_reopen", function()
  local st, path = fresh { start = 1000, format = "SN%06d" }
  local n, text = st:reserve { probe = "P1" }
  eq(n, 1000); eq(text, "SN001000")
  eq(select(1, st:reserve {}), 1001)
  st:close()
  local st2 = store.open { database = path, station = "st2", range = { start = 1000, format = "SN%06d" } }
  eq(select(1, st2:reserve {}), 1002, "the counter is in the database")
  -- a later start moves the counter up, never down
  st2:set_range { start = 5000, format = "SN%06d" }
  eq(select(1, st2:reserve {}), 5000)
  st2:set_range { start = 10, format = "SN%06d" }
  eq(select(1, st2:reserve {}), 5001)
  -- the format of numbers already handed out cannot change
  raises(function() st2:set_range { start = 1, format = "X%d" } end, 'uses format "SN%06d"; the script says "X%d"')
  st2:close()
end)

test("stop_ends_the_range_with_a_clear_error", function()
  local st = fresh { start = 1, stop = 2 }
  eq(select(1, st:reserve {}), 1)
  eq(select(1, st:reserve {}), 2)
  raises(function() st:reserve {} end, "serial numbers exhausted: next 3 is beyond the last allowed 2")
  st:close()
end)

test("outcome_and_record_are_one_transaction_and_idempotent", function()
  local st = fresh { start = 1 }
  local n = st:reserve { attempt = "a1" }
  local rec = { attempt = "a1", result = "passed", probe = "P", serial = tostring(n), serial_n = n, seconds = 0.25 }
  st:outcome(rec)
  st:outcome(rec) -- a retry after a lost acknowledgement: nothing doubled
  eq(#st:boards(), 1)
  local a = st:audit()
  eq(#a.passed, 1); eq(#a.unknown, 0); eq(#a.doubled, 0); eq(#a.lost, 0)
  -- a number reserved and never recorded is "unknown", never reused
  local m = st:reserve { attempt = "a2" }
  eq(m, 2)
  a = st:audit()
  eq(a.unknown[1], 2)
  eq(select(1, st:reserve { attempt = "a3" }), 3)
  -- results other than passed/failed/skipped are refused
  raises(function() st:outcome { attempt = "x", result = "ok" } end, "result must be passed, failed or skipped")
  st:close()
end)

test("reuse_failed_reuses_a_failed_number_once", function()
  local st = fresh { start = 1, reuse_failed = true }
  local n = st:reserve { attempt = "a1" }
  st:outcome { attempt = "a1", result = "failed", serial_n = n, error = "verify failed" }
  eq(select(1, st:reserve { attempt = "a2" }), 1, "the failed number again")
  st:outcome { attempt = "a2", result = "failed", serial_n = 1, error = "again" }
  eq(select(1, st:reserve { attempt = "a3" }), 2, "a number is reused once only")
  local row = st.db:exec("SELECT reuses, state FROM lf_serial WHERE serial = 1")[1]
  eq(row.reuses, 1); eq(row.state, "failed")
  st:close()
end)

test("audit_finds_doubled_and_lost_outcomes", function()
  local st = fresh { start = 1 }
  local n = st:reserve { attempt = "a1" }
  st:outcome { attempt = "a1", result = "passed", serial_n = n }
  -- what must never happen, written behind the store's back
  st.db:exec("INSERT INTO lf_board (attempt, time, result, range, serial_n, record) VALUES " ..
    "('forged', '2026-01-01T00:00:00Z', 'passed', 'default', ?, '{}')", n)
  st.db:exec("INSERT INTO lf_serial (range, serial, text, state, attempt, reserved_at) VALUES " ..
    "('default', 99, '99', 'passed', 'nobody', '2026-01-01T00:00:00Z')")
  local a = st:audit()
  eq(a.doubled[1], n)
  eq(a.lost[1], 99)
  st:close()
end)

test("old_counter_ledger_and_log_files_are_imported_once", function()
  local counter, ledger, log = dir .. "/sn.counter", dir .. "/sn.jsonl", dir .. "/boards.jsonl"
  local function put(p, t) local f = assert(io.open(p, "wb")); f:write(t); f:close() end
  put(counter, "next=1003\n")
  put(ledger, table.concat({
    json.encode { event = "reserved", serial = 1000, text = "SN001000", time = 1 },
    json.encode { event = "passed", serial = 1000, text = "SN001000", time = 2 },
    json.encode { event = "reserved", serial = 1001, text = "SN001001", time = 3 },
    json.encode { event = "failed", serial = 1001, text = "SN001001", time = 4, reason = "boom" },
    json.encode { event = "reserved", serial = 1002, text = "SN001002", time = 5 },
  }, "\n") .. "\n")
  put(log, json.encode { time = "2026-01-01T00:00:00Z", result = "passed", probe = "P", serial = "SN001000" } .. "\n")
  local st = fresh { start = 1000, format = "SN%06d" }
  local files = { counter = counter, ledger = ledger, log = log }
  local msgs = st:import_files(files, lf.fs)
  eq(#msgs, 2)
  assert(msgs[1]:find("imported 3 serial number%(s%) from .*sn.jsonl and .*sn.counter %(next 1003%)"), msgs[1])
  assert(msgs[2]:find("imported 1 board record"), msgs[2])
  local a = st:audit()
  eq(a.passed[1], 1000); eq(a.failed[1], 1001); eq(a.unknown[1], 1002)
  eq(select(1, st:reserve {}), 1003, "numbering goes on after the imported counter")
  eq(#st:import_files(files, lf.fs), 0, "imported once")
  eq(#st:boards(), 1)
  -- a broken ledger line is named
  put(dir .. "/bad.jsonl", '{"event":"reserved","serial":1}\n{oops\n')
  raises(function() st:import_files({ ledger = dir .. "/bad.jsonl" }, lf.fs) end, "bad.jsonl: line 2")
  st:close()
end)

test("report_yield_quantiles_and_failure_groups", function()
  local recs = {
    { station = "a", result = "passed", seconds = 1.0, time = "T1" },
    { station = "a", result = "passed", seconds = 3.0, time = "T2" },
    { station = "a", result = "failed", phase = "program", error = "flash: program 0x08000000 (sector 0) failed" },
    { station = "b", result = "failed", phase = "program", error = "flash: program 0x08008000 (sector 1) failed" },
    { station = "b", result = "passed", seconds = 2.0, time = "T3" },
    { station = "b", result = "skipped" },
  }
  local s = report.summarise(recs)
  eq(#s.stations, 3)
  local a, b, all = s.stations[1], s.stations[2], s.stations[3]
  eq(a.station, "a"); eq(a.boards, 3); eq(a.passed, 2); eq(a.failed, 1)
  eq(string.format("%.4f", a.yield), "0.6667")
  eq(a.median, 1.0); eq(a.p95, 3.0)
  eq(b.skipped, 1); eq(b.yield, 0.5)
  eq(all.boards, 6); eq(all.median, 2.0)
  eq(#s.causes, 1, "the two program errors are one cause")
  eq(s.causes[1].count, 2); eq(s.causes[1].phase, "program")
  eq(s.causes[1].error, "flash: program 0x… (sector N) failed")
  eq(table.concat(s.causes[1].stations, ","), "a,b")
  local csv = report.csv(s)
  assert(csv:find("^station,boards,passed,failed,skipped,yield,median_s,p95_s\na,3,2,1,0,0.6667,1.000000,3.000000\n"), csv)
  local text = report.text(s, "test.db")
  assert(text:find("2  program  flash: program 0x… %(sector N%) failed  %[a, b%]"), text)
  local pic = report.svg(s, "test.db")
  assert(pic:find("^<svg") and pic:find("66.7%%") and pic:find("</svg>\n$"), "svg")
  eq(report.quantile({}, 0.5), nil)
end)

os.execute("rm -rf " .. dir)
T.done()
