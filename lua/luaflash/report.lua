-- What a person (or a CI job) sees of a `luaflash project.lua` run:
--
--   progress   a bar on a terminal (phase, bytes, rate, ETA), plain lines
--              otherwise, nothing with --quiet; always on stderr
--   summary    three lines on stdout (or the result as JSON with --json)
--   --profile  a table of the phases: host wall time, bench virtual time (on
--              the bench), bytes, rates and USB traffic
--   --trace F  the same timeline as Chrome trace-event JSON (Perfetto,
--              chrome://tracing): one track in host time, one in bench time
--              with the USB transfer counters of every phase
--
-- The report learns about the run by wrapping the engine's primitives
-- (load_images, open_probe -> connect -> target methods, plan): the default
-- sequence and a project's own program(ctx) are measured the same way and
-- neither knows the report exists. Invariant: a span is closed on every path
-- (an error inside a primitive closes it, marked failed, then re-raises).

local lf = require("luaflash")
local json = require("luaflash.json")
local steps = require("luaflash.steps")

local M = {}
M.__index = M

local function fmt_s(s)
  if s == nil then return "-" end
  if s >= 1 then return string.format("%.3f s", s) end
  return string.format("%.1f ms", s * 1000)
end
M.fmt_s = fmt_s

local function fmt_bytes(n)
  if not n or n == 0 then return "-" end
  if n >= 1048576 then return string.format("%.2f MiB", n / 1048576) end
  if n >= 10240 then return string.format("%.1f KiB", n / 1024) end
  return string.format("%d B", n)
end

local function fmt_rate(bytes, s)
  if not bytes or bytes == 0 or not s or s <= 0 then return "-" end
  local r = bytes / s
  if r >= 1048576 then return string.format("%.2f MiB/s", r / 1048576) end
  return string.format("%.1f KiB/s", r / 1024)
end

-- opts: { quiet, json, profile, trace = path, tty = bool (default: stderr is
-- a terminal), out = file for progress (default io.stderr) }
function M.new(opts)
  opts = opts or {}
  local tty = opts.tty
  if tty == nil then tty = lf.isatty and lf.isatty(2) or false end
  local R = setmetatable({
    opts = opts, tty = tty, out = opts.out or io.stderr,
    spans = {}, open_spans = {}, t0 = lf.monotonic(),
    width = (tty and lf.term_width and lf.term_width(2)) or 80,
  }, M)
  R.show_progress = not opts.quiet
  -- byte progress from the loader (ldr:plan_run{progress = fn})
  R.loader_progress = opts.progress ~= false
  return R
end

-- ---- progress ----

function M:_line(text)
  if not self.show_progress then return end
  if self.tty then
    local w = math.max(20, self.width - 1)
    if #text > w then text = text:sub(1, w) end
    self.out:write("\r" .. text .. string.rep(" ", w - #text))
    self.bar_shown = true
  else
    self.out:write(text .. "\n")
  end
  self.out:flush()
end

function M:_end_bar()
  if self.bar_shown then
    self.out:write("\r" .. string.rep(" ", math.max(20, self.width - 1)) .. "\r")
    self.out:flush()
    self.bar_shown = false
  end
end

-- Loader progress (done, total bytes of flash work, phase) inside the
-- open span: the bar on a terminal; sub-spans ("marks") per phase the target
-- reports, each a plain line when it ends on a non-terminal. The loader
-- reports a phase once its status changed, so the time before the first
-- report belongs to the stream's first work: the erases when it erases
-- (they are queued first), else "start". Rate and ETA are in the run's
-- clock (bench virtual time on the bench).
-- The ETA's model of one stream, from its plan (issue 17): the flash's
-- own time (the erases, then the words' programming; both banks at once
-- where they are independent: the plan's floor) and the bytes to upload.
-- What the plan cannot know, the link's rate, is measured on the stream
-- itself (bytes uploaded since the programming began, over the time). The
-- rest takes the larger of the flash time left and the upload left plus
-- the programming of the last data; the verify (CRC32 on the target) at the
-- rate the stream saw for it.
function M.eta_model(sum, what)
  local floor, er, pr = sum.floor_s or 0, sum.erase_s or 0, sum.program_s or 0
  if floor <= 0 or not what.program then return nil end
  local erase_part = what.erase and (er + pr) > 0 and floor * er / (er + pr) or 0
  return { erase_s = erase_part, program_s = floor - erase_part, program_bytes = sum.program_bytes or 0,
    verify_bytes = what.verify and sum.verify_bytes or 0 }
end

-- Seconds left by the model (nil: no model), at `done` of total work,
-- `up` bytes uploaded by the stream of `up_total` (the loader's counts: a
-- compressed stream's are its compressed bytes; 0: the plan's program
-- bytes). The flash works
-- without a pause from the stream's start unless the link starves it, so
-- its share left is the floor less the time gone; the link's is the bytes
-- left at the rate of the 4 KiB upload windows that did not stall (uploads
-- wait while the ring is full during erases), plus the programming of the
-- last KiB after the upload ends.
local function model_eta(s, now, done, total, phase, up, up_total)
  local m = s.eta_model
  if not m or not up then return nil end
  local p = s.prog
  local pb = (up_total or 0) > 0 and up_total or m.program_bytes
  if phase == "crc32" or phase == "done" or done >= total - m.verify_bytes then
    if not p.ver_t0 then p.ver_t0, p.ver_d0 = now, done end
    local d, t = done - p.ver_d0, now - p.ver_t0
    return (d > 0 and t > 0) and (total - done) * t / d or 0
  end
  local flash_left = math.max(0, m.erase_s + m.program_s - (now - p.start))
  if not p.win_t then p.win_t, p.win_u = now, up end
  if up - p.win_u >= 4096 and now > p.win_t then
    local du, dt = up - p.win_u, now - p.win_t
    local r = du / dt
    p.best = math.max(p.best or 0, r)
    -- the link's rate: the windows that did not stall (at least half the
    -- best), summed (the best alone misses the stream's own overheads)
    if r >= p.best / 2 then
      p.sum_u, p.sum_t = (p.sum_u or 0) + du, (p.sum_t or 0) + dt
      p.link_rate = p.sum_u / p.sum_t
    end
    p.win_t, p.win_u = now, up
  end
  local link_left = 0
  if p.link_rate then
    link_left = math.max(0, pb - up) / p.link_rate + m.program_s * math.min(pb, 1024) / math.max(pb, 1)
  end
  return math.max(flash_left, link_left)
end

-- ---- the host's phase ----

-- The phase the host is in, as the user knows it: connect, plan, erase,
-- program, verify, reset, disconnect. It starts with the span of that name
-- (opening the probe is part of connect) and, inside a flash stream, moves
-- with the work the target reports (its erases, programming, CRC32). On the
-- bench the board is told (bench:phase): the faults armed relative to a
-- phase (`usb_timeout@erase+3`) count from there. Inside a stream the
-- engine's phase (where a failure happened) follows it too.
local span_phase = { open = "connect", connect = "connect", plan = "plan", erase = "erase",
  program = "program", verify = "verify", reset = "reset", disconnect = "disconnect" }
local stream_phase = { erase = "erase", program = "program", crc32 = "verify", readback = "verify" }

function M:enter_phase(name, in_stream)
  if not name or name == self.phase then return end
  self.phase = name
  local E = self.E
  if in_stream and E then E.phase = name end
  local b, n = E and E.bench, E and E.bench_n
  if not b then b, n = lf.cli and lf.cli.bench, 1 end   -- before the probe is open: board 1
  if b then pcall(b.phase, b, name, n) end
end

function M:progress(done, total, phase, up, up_total)
  local s = self.open_spans[#self.open_spans]
  if not s then return end
  local now = self.clock()
  local p = s.prog
  if not p then
    p = { start = s.v0 or s.h0, total = total, pct = -1 }
    s.prog = p
    s.marks = {}
    if done > 0 then
      s.marks[1] = { name = s.first_work or "start", t0 = p.start, done0 = 0 }
    end
  end
  p.total = total
  local cur = s.marks[#s.marks]
  if not cur or cur.name ~= phase then
    if cur and not cur.t1 then self:_close_mark(cur, now, done) end
    if phase ~= "done" then s.marks[#s.marks + 1] = { name = phase, t0 = now, done0 = done } end
    -- a stream that verifies: the host is in verify once the target reports
    -- its CRC32 or, when that was too short to be seen, when it reads the
    -- results
    if s.stream then
      self:enter_phase(stream_phase[phase] or (phase == "done" and s.name:find("verify", 1, true) and "verify"), true)
    end
  end
  p.done = done
  -- the ETA by the model and by the rate so far, kept for --profile (which
  -- compares them with the real end at 25, 50 and 75 % of the stream's time)
  local el = now - p.start
  local lin = done > 0 and el > 0 and (total - done) * el / done or nil
  local mod = model_eta(s, now, done, total, phase, up, up_total)
  p.eta = mod or lin
  p.samples = p.samples or {}
  p.samples[#p.samples + 1] = { t = now, model = mod, linear = lin }
  if self.tty and self.show_progress and phase ~= "done" then
    local pct = total > 0 and math.floor(done * 100 / total) or 100
    if pct ~= p.pct then
      p.pct = pct
      local rate = el > 0 and done / el or 0
      local eta = p.eta
      local barw = 20
      local fill = total > 0 and math.floor(barw * done / total) or barw
      self:_line(string.format("%-8s [%s%s] %3d%% %s/%s %s ETA %s", phase,
        string.rep("#", fill), string.rep(".", barw - fill), pct, fmt_bytes(done), fmt_bytes(total),
        fmt_rate(done, el), eta and fmt_s(eta) or "-"))
    end
  end
end

function M:_close_mark(m, now, done)
  m.t1 = now
  m.bytes = done - m.done0
  if not self.tty and self.show_progress then
    self:_line(string.format("luaflash:   target %-13s %9s %11s %12s", m.name, fmt_s(m.t1 - m.t0),
      fmt_bytes(m.bytes), fmt_rate(m.bytes, m.t1 - m.t0)))
  end
end

-- ---- spans ----

function M:_counters()
  local E = self.E
  if E and E.bench then
    local ok, c = pcall(E.bench.counters, E.bench, E.bench_n)
    if ok then return c end
  end
  return nil
end

-- sectors programmed without an erase: read blank, or only cleared bits (the loader's count)
local function without_erase(q)
  local parts = {}
  if (q.blank or 0) > 0 then parts[#parts + 1] = string.format("%d read blank", q.blank) end
  if (q.bits_kept or 0) > 0 then parts[#parts + 1] = string.format("%d only cleared bits", q.bits_kept) end
  local s = #parts > 0 and " (" .. table.concat(parts, ", ") .. ": not erased)" or ""
  if (q.bits_erased or 0) > 0 then
    s = s .. string.format(" (%d of the erased tried bits-only first)", q.bits_erased)
  end
  return s
end

local function usb_delta(a, b)
  if not a or not b then return nil end
  local pa, pb = a.probe, b.probe
  return {
    transfers = (pb.usb_out_transfers + pb.usb_in_transfers) - (pa.usb_out_transfers + pa.usb_in_transfers),
    out_bytes = pb.usb_out_bytes - pa.usb_out_bytes,
    in_bytes = pb.usb_in_bytes - pa.usb_in_bytes,
    swd_transactions = b.dap.transactions - a.dap.transactions,
  }
end

-- Virtual seconds on the bench: the probe's board once it is open, board 1
-- of the command line's bench before; nil on real hardware.
function M:_vnow()
  local E = self.E
  if E and E.bench then return E.clock() end
  local b = lf.cli and lf.cli.bench
  if b then
    local ok, ns = pcall(b.time_ns, b, 1)
    if ok then return ns / 1e9 end
  end
  return nil
end

-- Runs fn(...) as span `name`; returns its results. bytes: number or
-- function(results...) -> number, or { hook = true } (a project hook: no
-- progress line of its own). An error is not caught here (its
-- traceback stays the one of where it was raised): a to-be-closed guard
-- closes the span, marked failed, while the error unwinds.
function M:span(name, fn, bytes, ...)
  local E = self.E
  local s = { name = name, h0 = lf.monotonic(), v0 = self:_vnow(), c0 = self:_counters(),
    first_work = self.first_work, eta_model = self.eta_next, depth = #self.open_spans }
  self.nstarted = (self.nstarted or 0) + 1
  s.seq = self.nstarted
  if type(bytes) == "table" then
    s.hook = bytes.hook
    bytes = nil
    self:_end_bar()   -- the project's own output starts on a clean line
  end
  s.stream = self.stream_next
  self.first_work = nil
  self.eta_next = nil
  self.stream_next = nil
  if s.stream then
    -- its first work; with nothing to erase or program, its verify
    self:enter_phase(s.first_work or (name:find("verify", 1, true) and "verify") or name:match("^%a+"), true)
  elseif not s.hook then
    self:enter_phase(span_phase[name])
  end
  self.open_spans[#self.open_spans + 1] = s
  if self.tty and self.show_progress and not s.hook then self:_line(name .. " ...") end
  local guard <close> = setmetatable({}, { __close = function(_, err)
    if err ~= nil and not s.h1 then self:_close_span(s, true) end
  end })
  local res = table.pack(fn(...))
  if type(bytes) == "function" then bytes = bytes(table.unpack(res, 1, res.n)) end
  s.bytes = bytes
  self:_close_span(s, false)
  return table.unpack(res, 1, res.n)
end

function M:_close_span(s, failed)
  local E = self.E
  for i = #self.open_spans, 1, -1 do
    if self.open_spans[i] == s then table.remove(self.open_spans, i) break end
  end
  s.h1 = lf.monotonic()
  s.v1 = self:_vnow()
  if not s.v1 then s.v0 = nil end
  if E and E.bench and not s.v0 then s.v0 = E.bench_start end
  s.usb = usb_delta(s.c0, self:_counters())
  s.c0 = nil
  s.failed = failed or nil
  local last = s.marks and s.marks[#s.marks]
  if last and not last.t1 then self:_close_mark(last, s.v1 or s.h1, s.prog and s.prog.done or last.done0) end
  self.spans[#self.spans + 1] = s
  if not self.tty and self.show_progress and s.name ~= "images" and not s.hook then
    local t = (s.v1 or s.h1) - (s.v0 or s.h0)
    self:_line(string.format("luaflash: %-22s %9s %11s %12s%s", string.rep("  ", s.depth) .. s.name,
      fmt_s(t), fmt_bytes(s.bytes), fmt_rate(s.bytes, t), failed and "  FAILED" or ""))
  end
end

-- A copy of a hooks table (name -> function, a project's or a board's)
-- whose functions are spans: hooks by their name ("will_connect"), steps
-- as "<name>(ctx)" (shown like a phase), each prefixed by `who` ("" for the
-- project, "board " for the board): the profile shows what their own code
-- costs.
function M:instrument_hooks(fns, who)
  local R = self
  local out = {}
  for name, fn in pairs(fns or {}) do
    if type(fn) == "function" and name ~= "on_error" then
      local step = steps.is_step[name]
      local label = (who or "") .. (step and (name .. "(ctx)") or name)
      out[name] = function(...) return R:span(label, fn, { hook = not step }, ...) end
    else
      out[name] = fn
    end
  end
  return out
end

-- The project with its hooks and steps as spans (instrument_hooks).
function M:instrument_project(proj)
  local p = {}
  for k, v in pairs(proj) do p[k] = v end
  p.hooks = self:instrument_hooks(proj.hooks)
  return p
end

-- Wrap the engine E (luaflash.engine.new) so every primitive is a span.
-- Most USB transfers one --trace records (each costs ~40 bytes in C and one
-- trace event; a 2 MiB flash at pyOCD's defaults makes ~150000).
M.max_usb_events = 1000000

function M:instrument(E)
  local R = self
  self.E = E
  local cb = lf.cli and lf.cli.bench
  if self.opts.trace and cb and lf.usb_log then
    lf.usb_log(cb, M.max_usb_events)
    self.usb_logging = true
  end
  self.clock = function() return E.clock() end
  local load_images = E.load_images
  function E.load_images(s)
    return R:span("images", load_images, function(im) return im and im.image and im.image:bytes() end, s)
  end
  local plan = E.plan
  if R.loader_progress then
    E.progress = function(done, total, phase, up) R:progress(done, total, phase, up) end
  end
  function E.plan(images, T, s)
    return R:span("plan", plan, function(p)
      local sum = p and p:summary() or {}
      return (sum.read_bytes or 0) + (E.result_extra.smart_crc_s and sum.crc_bytes or 0)
    end, images, T, s)
  end
  -- sequence.phase(ctx, name, fn): a project's program(ctx) may record its
  -- own phases with it; each is a span too (restored by finish/fail).
  local seq = require("luaflash.sequence")
  local phase = seq.phase
  self.restore = function() seq.phase = phase end
  seq.phase = function(ctx, name, fn) return phase(ctx, name, function() return R:span(name, fn) end) end
  local open_probe = E.open_probe
  function E.open_probe(s)
    local P = R:span("open", open_probe, nil, s)
    local connect = P.connect
    function P.connect(p, st)
      local T = R:span("connect", connect, nil, p, st)
      R:wrap_target(T)
      return T
    end
    local close = P.close
    function P.close(...) return R:span("close", close, nil, ...) end
    return P
  end
  return E
end

function M:wrap_target(T)
  local R = self
  local flash = T.flash
  function T.flash(t, plan, what)
    what = what or {}
    local parts = {}
    for _, k in ipairs({ "erase", "program", "verify" }) do if what[k] then parts[#parts + 1] = k end end
    local w = {}
    for k, v in pairs(what) do w[k] = v end
    if R.loader_progress and w.progress == nil then
      w.progress = function(done, total, phase, up, up_total) R:progress(done, total, phase, up, up_total) end
    end
    -- the stream's first work: its erases (queued first), else its programs
    -- (erase avoidance: a blank board's stream erases nothing)
    local sum0 = plan:summary()
    R.first_work = (what.erase and (sum0.erased or 0) > 0 and "erase")
      or (what.program and (sum0.programmed or 0) > 0 and "program") or nil
    R.eta_next = M.eta_model(sum0, what)
    R.stream_next = true
    return R:span(table.concat(parts, "+"), flash, function()
      local sum = plan:summary()
      return (what.program and sum.program_bytes or 0) + (what.verify and sum.verify_bytes or 0)
    end, t, plan, w)
  end
  local verify = T.verify
  function T.verify(t, plan, mode)
    return R:span("verify", verify, function() return plan:summary().verify_bytes end, t, plan, mode)
  end
  for _, m in ipairs({ "reset", "disconnect" }) do
    local f = T[m]
    T[m] = function(...) return R:span(m, f, nil, ...) end
  end
end

-- ---- output ----

-- Closed spans in start order (they are recorded as they end).
function M:ordered()
  local t = {}
  for i, sp in ipairs(self.spans) do t[i] = sp end
  table.sort(t, function(a, b) return a.seq < b.seq end)
  return t
end

-- The timeline as result data (also in --json): per span host and bench
-- seconds, bytes, USB traffic.
function M:timeline()
  local t = json.array {}
  for _, s in ipairs(self:ordered()) do
    local e = { name = s.name, depth = s.depth, host_s = s.h1 - s.h0, start_host_s = s.h0 - self.t0, failed = s.failed or nil,
      bytes = s.bytes }
    if s.v0 then e.bench_s = s.v1 - s.v0; e.start_bench_s = s.v0 end
    e.usb = s.usb
    if s.marks then
      e.target = json.array {}
      for _, m in ipairs(s.marks) do
        e.target[#e.target + 1] = { name = m.name, seconds = (m.t1 or m.t0) - m.t0, bytes = m.bytes }
      end
    end
    t[#t + 1] = e
  end
  return t
end

function M:summary(result, eff)
  local p = result.plan or {}
  local parts = {}
  for _, ph in ipairs(result.phases) do
    parts[#parts + 1] = ph.skipped and (ph.name .. " skipped") or (ph.name .. " " .. fmt_s(ph.seconds))
  end
  local middle = false
  for _, ph in ipairs(result.phases) do
    if ph.name == "erase" or ph.name == "program" or ph.name == "verify" then middle = true end
  end
  -- a project's own program(ctx) that recorded no phases: its time as one
  for _, sp in ipairs(self.spans) do
    if sp.name == "program(ctx)" and not middle then
      table.insert(parts, 2, "program(ctx) " .. fmt_s((sp.v1 or sp.h1) - (sp.v0 or sp.h0)))
    end
  end
  local t = result.target or {}
  local probe = result.probe or {}
  local o = io.stdout
  o:write(string.format("luaflash: %s via %s %s at %.2f MHz%s\n", t.flash or "?",
    probe.product or "probe", probe.serial or "", (result.clock_hz or 0) / 1e6,
    result.clock_requested and " requested" or ""))
  o:write("  " .. table.concat(parts, ", ") .. "\n")
  local verified = result.verified and string.format("verified (%s: %d written, %d unchanged)",
    eff.verify == "readback" and "read back" or "CRC32", result.verified_sectors or 0, p.unchanged or 0)
    or "NOT verified"
  -- independent banks: the floor is the slower bank; say what one after the other would need
  local floor = fmt_s(p.floor_s)
  if (p.serial_floor_s or 0) > (p.floor_s or 0) then
    floor = floor .. ": banks at once; one after the other " .. fmt_s(p.serial_floor_s)
  end
  o:write(string.format("  %d bytes: %d sectors erased, %d programmed%s, %d unchanged; %s; total %s (flash floor %s)\n",
    p.image_bytes or 0, p.erased or 0, p.programmed or 0,
    without_erase(p), p.unchanged or 0, verified,
    fmt_s(result.total_s), floor))
  -- protected regions: each one's proof
  for _, r in ipairs(result.protected or {}) do
    local how = r.status == "allowed" and "not protected in this run (allow_protected)"
      or string.format("%s (CRC32 0x%08X%s)", r.status, r.crc,
        (r.written_back or 0) > 0 and string.format(", %d bytes read and written back", r.written_back) or "")
    o:write(string.format("  protected '%s' 0x%08X-0x%08X: %s\n", r.name, r.addr, r.addr + r.len - 1, how))
  end
  if p.auto_note then o:write("  erase = \"auto\": " .. p.auto_note .. "\n") end
  -- the compressed-upload decision and what it did, one line
  local z = result.compress
  local why = z and (z.why or "?") .. (z.detail and ": " .. z.detail or "")
  if z and z.used then
    o:write(string.format("  compress: on, uploaded %.1f KiB compressed (%.0f %% of %.1f KiB; %s)\n",
      z.compressed_bytes / 1024, 100 * (z.ratio or 1), z.bytes / 1024, why))
  elseif z and z.why and z.why ~= "off" and z.why ~= "no inflater in this loader" then
    o:write(string.format("  compress: off, uploaded uncompressed (compress = \"auto\": %s%s)\n", why,
      (z.compressed_bytes or 0) > 0 and string.format("; it would be %.0f %%", 100 * (z.ratio or 1)) or ""))
  end
end

-- --profile: the phase table (stdout, or stderr with --json).
function M:profile_text()
  local bench = self.E and self.E.bench
  local lines = {}
  local hdr = string.format("%-22s %10s %12s %11s %12s %8s %11s", "phase", "host ms",
    bench and "bench ms" or "-", "bytes", "rate", "usb xfer", "usb bytes")
  lines[1] = hdr
  lines[2] = string.rep("-", #hdr)
  local th, tv = 0, 0
  local function row(name, h, v, bytes, usb)
    lines[#lines + 1] = string.format("%-22s %10.3f %12s %11s %12s %8s %11s", name, h * 1000,
      v and string.format("%.3f", v * 1000) or "-", fmt_bytes(bytes), fmt_rate(bytes, v or h),
      usb and tostring(usb.transfers) or "-", usb and fmt_bytes(usb.out_bytes + usb.in_bytes) or "-")
  end
  for _, s in ipairs(self:ordered()) do
    local v = s.v0 and (s.v1 - s.v0) or nil
    row(string.rep("  ", s.depth) .. s.name .. (s.failed and " (failed)" or ""), s.h1 - s.h0, v, s.bytes, s.usb)
    if s.depth == 0 then
      th = th + (s.h1 - s.h0)
      tv = tv + (v or 0)
    end
    for _, m in ipairs(s.marks or {}) do
      local mt = (m.t1 or m.t0) - m.t0
      lines[#lines + 1] = string.format("%-22s %10s %12s %11s %12s", string.rep("  ", s.depth + 1) .. "target " .. m.name, "",
        string.format("%.3f", mt * 1000), fmt_bytes(m.bytes), fmt_rate(m.bytes, mt))
    end
    local pg = s.prog
    local t_end = s.v1 or s.h1
    if pg and pg.samples and t_end and t_end > pg.start then
      -- the last ETA given at or before 25/50/75 % of the stream's time,
      -- against the time that was really left then
      local function err(q, k)
        local at, r = pg.start + (t_end - pg.start) * q / 100, nil
        for _, x in ipairs(pg.samples) do if x.t <= at then r = x end end
        if not (r and r[k]) then return "-" end
        local actual = t_end - r.t
        if actual <= 0 then return "-" end
        return string.format("%+.1f %%", 100 * (r[k] - actual) / actual)
      end
      lines[#lines + 1] = string.format("%s ETA error at 25/50/75 %% of the time: model %s / %s / %s; rate so far %s / %s / %s",
        string.rep("  ", s.depth + 1), err(25, "model"), err(50, "model"), err(75, "model"),
        err(25, "linear"), err(50, "linear"), err(75, "linear"))
    end
  end
  lines[#lines + 1] = string.rep("-", #hdr)
  lines[#lines + 1] = string.format("%-22s %10.3f %12s   (run %s host wall)", "total", th * 1000,
    bench and string.format("%.3f", tv * 1000) or "-", fmt_s(lf.monotonic() - self.t0))
  return table.concat(lines, "\n")
end

-- Chrome trace-event JSON: pid 1 = host wall time, pid 2 = bench virtual
-- time (only on the bench); "X" complete events per span, "C" counter
-- events with the USB traffic, "i" instant events for loader phase marks.
function M:trace_events()
  local ev = json.array {}
  local function meta(pid, name)
    ev[#ev + 1] = { name = "process_name", ph = "M", pid = pid, tid = 1, args = { name = name } }
  end
  meta(1, "luaflash (host wall time)")
  local bench = self.E and self.E.bench
  if bench then meta(2, "bench (virtual time)") end
  local vbase = 0   -- the bench track starts at the board's clock origin
  local usb_out, usb_in, xfers = 0, 0, 0
  for _, s in ipairs(self:ordered()) do
    local args = { bytes = s.bytes, failed = s.failed }
    if s.usb then
      args.usb_transfers = s.usb.transfers
      args.usb_out_bytes = s.usb.out_bytes
      args.usb_in_bytes = s.usb.in_bytes
      args.swd_transactions = s.usb.swd_transactions
    end
    ev[#ev + 1] = { name = s.name, cat = "phase", ph = "X", pid = 1, tid = 1,
      ts = (s.h0 - self.t0) * 1e6, dur = (s.h1 - s.h0) * 1e6, args = args }
    if s.v0 then
      local ts = (s.v0 - vbase) * 1e6
      ev[#ev + 1] = { name = s.name, cat = "phase", ph = "X", pid = 2, tid = 1, ts = ts,
        dur = (s.v1 - s.v0) * 1e6, args = args }
      for _, m in ipairs(s.marks or {}) do
        ev[#ev + 1] = { name = "target " .. m.name, cat = "loader", ph = "X", pid = 2, tid = 2,
          ts = (m.t0 - vbase) * 1e6, dur = ((m.t1 or m.t0) - m.t0) * 1e6 }
      end
      if s.usb then
        ev[#ev + 1] = { name = "usb", cat = "usb", ph = "C", pid = 2, tid = 1, ts = ts,
          args = { out_bytes = usb_out, in_bytes = usb_in, transfers = xfers } }
        usb_out, usb_in, xfers = usb_out + s.usb.out_bytes, usb_in + s.usb.in_bytes, xfers + s.usb.transfers
        ev[#ev + 1] = { name = "usb", cat = "usb", ph = "C", pid = 2, tid = 1, ts = (s.v1 - vbase) * 1e6,
          args = { out_bytes = usb_out, in_bytes = usb_in, transfers = xfers } }
      end
    end
  end
  if bench then
    ev[#ev + 1] = { name = "thread_name", ph = "M", pid = 2, tid = 1, args = { name = "phases" } }
    ev[#ev + 1] = { name = "thread_name", ph = "M", pid = 2, tid = 2, args = { name = "target loader" } }
    if self.usb_logging then
      ev[#ev + 1] = { name = "thread_name", ph = "M", pid = 2, tid = 3, args = { name = "usb transfers" } }
    end
  end
  return { traceEvents = ev, displayTimeUnit = "ms",
    otherData = { tool = "luaflash " .. tostring(lf.version), clock = bench and "bench virtual ns" or "host" } }
end

function M:write_trace()
  local path = self.opts.trace
  if not path then return end
  local f, err = io.open(path, "w")
  if not f then
    lf.log("error", "--trace: cannot write " .. path .. ": " .. tostring(err))
    return
  end
  local text = json.encode(self:trace_events())
  -- traceEvents is the last key (sorted): the USB transfers go before "]}",
  -- formatted directly (a flash can make 100000 of them)
  assert(text:sub(-2) == "]}")
  f:write(text:sub(1, -3))
  local cb = lf.cli and lf.cli.bench
  if self.usb_logging and cb and lf.usb_events then
    local board = self.E and self.E.bench_n or 1
    local list, dropped = lf.usb_events(cb)
    local fmt = ',{"args":{"actual":%d,"ep":%d,"len":%d,"result":%d},"cat":"usb","dur":%.3f,' ..
      '"name":"%s","ph":"X","pid":2,"tid":3,"ts":%.3f}'
    local buf = {}
    for _, x in ipairs(list) do
      if x.board == board then
        buf[#buf + 1] = string.format(fmt, x.actual, x.ep, x.len, x.result, (x.t1_ns - x.t0_ns) / 1e3,
          x.ep >= 0x80 and "usb in" or "usb out", x.t0_ns / 1e3)
        if #buf >= 4096 then f:write(table.concat(buf)); buf = {} end
      end
    end
    f:write(table.concat(buf))
    if dropped > 0 then
      lf.log("warn", string.format("--trace: %d USB transfers beyond the first %d not in the trace",
        dropped, M.max_usb_events))
    end
  end
  f:write("]}\n")
  f:close()
end

-- The run ended well: summary or JSON, profile, trace.
function M:finish(result, eff)
  if self.restore then self.restore() end
  self:_end_bar()
  result.timeline = self:timeline()
  if self.opts.json then
    io.stdout:write(json.encode(result) .. "\n")
  elseif not self.opts.quiet then
    self:summary(result, eff)
  end
  if self.opts.profile then
    local o = self.opts.json and io.stderr or io.stdout
    o:write(self:profile_text() .. "\n")
  end
  self:write_trace()
end

-- An input error before the run started (project file, settings, board):
-- the JSON error object with --json; the caller raises the usage error.
function M.input_error_json(msg)
  io.stdout:write(json.encode { ok = false, error = msg, stage = "input", timeline = json.array {} } .. "\n")
end

-- The run failed: JSON error object with --json, the trace and profile so far.
-- phase: the one the run was in when it failed (connect ... disconnect), or nil.
function M:fail(first, stage, phase)
  if self.restore then self.restore() end
  self:_end_bar()
  self.failed_message = first
  if self.opts.json then
    io.stdout:write(json.encode { ok = false, error = first, stage = stage, phase = phase, timeline = self:timeline() }
      .. "\n")
  end
  if self.opts.profile then io.stderr:write(self:profile_text() .. "\n") end
  self:write_trace()
end

return M
