-- Unit tests of lua/luaflash/report.lua with a fake clock, bench and
-- terminal (no C module): spans, loader progress marks, plain lines, the
-- terminal bar with rate and ETA, the profile table and the trace events.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq

local host = 0
package.preload["luaflash"] = function()
  return { monotonic = function() return host end, log = function() end, version = "test", cli = {} }
end
package.preload["luaflash.sequence"] = function() return { phase = function() end } end
local report = require("luaflash.report")

-- a bench whose counters grow by what the test says
local function fake_bench()
  local c = { probe = { usb_out_transfers = 0, usb_in_transfers = 0, usb_out_bytes = 0, usb_in_bytes = 0 },
    dap = { transactions = 0 } }
  local b = { c = c }
  function b.counters()
    return { probe = { usb_out_transfers = c.probe.usb_out_transfers, usb_in_transfers = c.probe.usb_in_transfers,
      usb_out_bytes = c.probe.usb_out_bytes, usb_in_bytes = c.probe.usb_in_bytes },
      dap = { transactions = c.dap.transactions } }
  end
  return b
end

local function sink()
  local s = { text = {} }
  function s:write(...) for _, x in ipairs({ ... }) do self.text[#self.text + 1] = x end end
  function s:flush() end
  function s:all() return table.concat(self.text) end
  return s
end

local function rig(opts)
  host = 0
  local out = sink()
  opts = opts or {}
  opts.out = out
  local R = report.new(opts)
  local vt = 1.0
  local bench = fake_bench()
  R.E = { bench = bench, bench_n = 1, bench_start = 1.0, clock = function() return vt end, result_extra = {} }
  R.clock = R.E.clock
  return R, out, bench, function(dv, dh) vt = vt + dv; host = host + (dh or 0) end
end

test("span_records_host_and_bench_time_bytes_and_usb_traffic", function()
  local R, out, bench, advance = rig()
  local got = table.pack(R:span("connect", function(a, b)
    advance(0.004, 0.001)
    bench.c.probe.usb_out_transfers = 20; bench.c.probe.usb_in_transfers = 15
    bench.c.probe.usb_out_bytes = 288; bench.c.probe.usb_in_bytes = 102
    bench.c.dap.transactions = 41
    return a + b, "x"
  end, 64, 2, 3))
  eq(got.n, 2); eq(got[1], 5, "results pass through"); eq(got[2], "x")
  local t = R:timeline()
  eq(#t, 1)
  eq(t[1].name, "connect"); eq(t[1].depth, 0); eq(t[1].bytes, 64)
  eq(string.format("%.6f", t[1].bench_s), "0.004000"); eq(string.format("%.6f", t[1].host_s), "0.001000")
  eq(t[1].start_bench_s, 1.0)
  eq(t[1].usb.transfers, 35); eq(t[1].usb.out_bytes, 288); eq(t[1].usb.in_bytes, 102)
  eq(t[1].usb.swd_transactions, 41)
  -- plain line (not a terminal): name, run-clock time, bytes, rate 64 B / 4 ms = 15.6 KiB/s
  eq(out:all(), "luaflash: connect                   4.0 ms        64 B   15.6 KiB/s\n")
end)

test("a_failing_span_is_closed_failed_and_the_error_passes_unchanged", function()
  local R, out, _, advance = rig()
  local ok, err = pcall(function()
    R:span("program(ctx)", function()
      R:span("plan", function() advance(0.01) end)
      R:span("will_erase", function() advance(0.002); error("hook.lua:7: no", 0) end, { hook = true })
    end)
  end)
  eq(ok, false); eq(err, "hook.lua:7: no")
  eq(#R.open_spans, 0, "no span left open")
  local t = R:timeline()
  local names = {}
  for i, e in ipairs(t) do names[i] = e.name .. ":" .. e.depth .. (e.failed and "!" or "") end
  eq(table.concat(names, " "), "program(ctx):0! plan:1 will_erase:1!")
  eq(string.format("%.3f", t[1].bench_s), "0.012")
  -- hooks have no progress line of their own; failures are marked
  eq(out:all():find("will_erase", 1, true), nil)
  eq(select(2, out:all():gsub("FAILED", "")), 1)
end)

test("loader_progress_marks_phases_and_the_time_before_the_first_report", function()
  local R, out, _, advance = rig()
  R.first_work = "erase"
  R:span("erase+program+verify", function()
    advance(0.2)                          -- the sector erase: no report while it runs
    R:progress(32768, 65652, "program")   -- erase done: 32 KiB of work
    advance(0.0005)
    R:progress(32884, 65652, "crc32")
    advance(0.001)
    R:progress(65652, 65652, "done")
    advance(0.0001)
  end, 32884)
  local m = R:timeline()[1].target
  eq(#m, 3)
  eq(m[1].name, "erase"); eq(string.format("%.4f", m[1].seconds), "0.2000"); eq(m[1].bytes, 32768)
  eq(m[2].name, "program"); eq(string.format("%.4f", m[2].seconds), "0.0005"); eq(m[2].bytes, 116)
  eq(m[3].name, "crc32"); eq(string.format("%.4f", m[3].seconds), "0.0010"); eq(m[3].bytes, 32768)
  local lines = {}
  for l in out:all():gmatch("[^\n]+") do lines[#lines + 1] = l end
  eq(lines[1], "luaflash:   target erase          200.0 ms    32.0 KiB  160.0 KiB/s")
  eq(lines[2], "luaflash:   target program          0.5 ms       116 B  226.6 KiB/s")
  eq(lines[3], "luaflash:   target crc32            1.0 ms    32.0 KiB  31.25 MiB/s")
  eq(lines[4], "luaflash: erase+program+verify    201.6 ms    32.1 KiB  159.3 KiB/s")
end)

test("terminal_bar_shows_phase_bytes_rate_and_eta", function()
  local R, out, _, advance = rig({ tty = true })
  R.width = 80
  R:span("erase+program+verify", function()
    advance(0.5)
    R:progress(500, 1000, "program")
  end)
  -- 500 of 1000 bytes in 0.5 s: 1000 B/s, 0.5 s to go, half the bar
  local bar = "program  [##########..........]  50% 500 B/1000 B 1.0 KiB/s ETA 500.0 ms"
  local text = out:all()
  eq(text:find("\r" .. bar, 1, true) ~= nil, true, "bar line in " .. text)
  eq(text:find("\n", 1, true), nil, "a terminal gets no plain lines")
  R:_end_bar()
  eq(text:sub(1, 1), "\r")
end)

test("quiet_shows_no_progress", function()
  local R, out, _, advance = rig({ quiet = true })
  R:span("connect", function() advance(0.004) end)
  eq(out:all(), "")
end)

test("profile_sums_top_level_spans_and_indents_nested_ones", function()
  local R, _, _, advance = rig({ profile = true })
  R:span("connect", function() advance(0.004, 0.001) end)
  R:span("program(ctx)", function()
    R:span("erase", function() advance(8.0, 0.002) end, { hook = false })
  end)
  local p = R:profile_text()
  local lines = {}
  for l in p:gmatch("[^\n]+") do lines[#lines + 1] = l end
  eq(lines[1]:match("^phase +host ms +bench ms +bytes +rate +usb xfer +usb bytes$") ~= nil, true, lines[1])
  eq(lines[3]:match("^connect +1%.000 +4%.000 ") ~= nil, true, lines[3])
  eq(lines[4]:match("^program%(ctx%) +2%.000 +8000%.000 ") ~= nil, true, lines[4])
  eq(lines[5]:match("^  erase +2%.000 +8000%.000 ") ~= nil, true, lines[5])
  eq(lines[7]:match("^total +3%.000 +8004%.000 ") ~= nil, true, lines[7])
end)

test("trace_has_host_and_bench_tracks_and_usb_counters", function()
  local R, _, bench, advance = rig()
  R:span("connect", function()
    advance(0.004, 0.001)
    bench.c.probe.usb_out_transfers = 2; bench.c.probe.usb_out_bytes = 32
  end)
  local tr = R:trace_events()
  local by = {}
  for _, e in ipairs(tr.traceEvents) do by[e.name .. "/" .. e.ph .. "/" .. e.pid] = by[e.name .. "/" .. e.ph .. "/" .. e.pid] or e end
  local h, b = by["connect/X/1"], by["connect/X/2"]
  eq(h.ts, 0); eq(string.format("%.1f", h.dur), "1000.0")
  eq(b.ts, 1e6, "bench track in us from the board's clock origin")
  eq(string.format("%.1f", b.dur), "4000.0")
  eq(b.args.usb_transfers, 2); eq(b.args.usb_out_bytes, 32)
  eq(by["process_name/M/1"].args.name, "luaflash (host wall time)")
  eq(by["process_name/M/2"].args.name, "bench (virtual time)")
  eq(by["usb/C/2"] ~= nil, true)
  eq(tr.displayTimeUnit, "ms")
end)

T.done()
