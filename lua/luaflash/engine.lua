-- The engine behind lua/luaflash/sequence.lua: the primitives of the default
-- sequence built on the C bindings (luaflash.core): images, probe, target,
-- plan and the streaming flash loader. A project's own program(ctx) can call
-- the same methods (ctx.target:flash(plan), ctx.target.t for raw access).

local lf = require("luaflash")
local targets = require("luaflash.targets")
local flash = require("luaflash.flash")

local M = {}

local function fmt_s(s) return string.format("%.3f s", s) end

-- engine for one run. opts: { board = board table or nil, log = fn }
function M.new(opts)
  opts = opts or {}
  -- stage: "input" until the probe is opened (errors then are input errors,
  -- exit status 2), "target" afterwards (exit status 1).
  local E = { board = opts.board, result_extra = {}, stage = "input" }
  -- a run that regresses read protection itself (production option_bytes
  -- rdp = 0) connects to a protected chip; every other run stops there
  E.allow_read_protected = opts.allow_read_protected

  function E.log(level, msg) lf.log(level, msg) end

  -- Seconds on the run's clock: the bench's virtual time when the probe is a
  -- virtual board, else the host's monotonic clock.
  function E.clock()
    if E.bench then return E.bench:time_ns(E.bench_n) / 1e9 end
    return lf.monotonic()
  end

  local function target_info(s)
    local name = s.target or (E.board and E.board.target)
    if not name then
      error("no target: set 'board' (luaflash boards lists them) or 'target' in the project", 0)
    end
    local t, err = targets.get(name)
    if not t then error(err, 0) end
    return t, name
  end

  -- Parse and check every image against the target's nominal flash (before
  -- the probe is opened).
  function E.load_images(s)
    local tinfo, tname = target_info(s)
    local g = lf.geometry { part = tinfo.name }
    local base = g:info().base
    local spec = s.image
    if spec == nil then
      error("no image: set 'image' in the project file or give image=FILE on the command line", 0)
    end
    if type(spec) == "string" then spec = { { path = spec } } end
    local list = {}
    for i, im in ipairs(spec) do
      local e = { path = im.path or im[1], format = im.format, base = im.base }
      if e.base == nil and (s.base ~= nil and #spec == 1) then e.base = s.base end
      if e.base == nil and e.path:lower():match("%.bin$") then
        e.base = base
        E.log("info", string.format("%s: raw binary at the flash base 0x%08x", e.path, base))
      end
      list[i] = e
    end
    local img = lf.image(list, g)
    E.log("info", string.format("image: %d bytes in %d segment(s), checked against %s (%s)",
      img:bytes(), #img:segments(), tname, g:info().name))
    return { image = img, list = list, nominal = g }
  end

  function E.open_probe(s)
    E.stage = "target"
    local sel = s.probe
    if sel == nil and E.board and E.board.probe then
      sel = { kind = E.board.probe.kind }
    end
    local p = lf.open(sel)
    local bench, n = p:bench()
    if bench then
      -- from here on the run's clock is this board's virtual time
      E.bench, E.bench_n = bench, n
      E.bench_start = bench:time_ns(n) / 1e9
    end
    local P = { p = p }
    function P.connect(_, st)
      E.flash_timeout = st.flash_timeout
      local hz = p:set_clock(st.clock)
      E.log("info", string.format("SWD clock %.3f MHz (asked %.3f MHz)", hz / 1e6, st.clock / 1e6))
      E.result_extra.clock_hz = hz
      p:connect(st.connect == "under-reset" and "under-reset" or "normal")
      -- the part's family identifies the chip first and sets its debug bits at connect
      local t = p:target { disconnect_timeout = st.disconnect_timeout, family = target_info(st).family }
      local info = t:connect(st.connect == "under-reset" and "under-reset" or "halt")
      -- RDP level 1/2: nothing can be flashed; fail before any write (protection.lua)
      if not E.allow_read_protected then require("luaflash.protection").check(t) end
      local g = lf.target_geometry(t)
      local gi = g:info()
      E.log("info", string.format("connected: %s %s, %s", info.core, info.core_rev, gi.name))
      E.result_extra.target = { chip = info.chip, core = info.core, idcode = info.idcode,
        dpidr = info.dpidr, flash = gi.name }
      return M.target(E, p, t, g, info)
    end
    function P.close() p:close() end
    E.result_extra.probe = p:info()
    return P
  end

  function E.check_images(images, T)
    images.image:check(T.geometry)
  end

  -- The plan: old bytes for keep_unwritten (read over SWD), target CRCs for
  -- smart flash (computed by the loader on the target), then the decisions.
  function E.plan(images, T, s)
    local set = { erase = s.erase, keep_unwritten = s.keep_unwritten, smart_flash = s.smart_flash,
      verify = s.verify or "none" }
    local plan = lf.plan(images.image, T.geometry, set)
    -- auto chose chip erase by flash times: check the link keeps up (flash.lua)
    local set2 = flash.auto_link(plan, set, T.t, T.loader(), E.clock)
    if set2 then plan:close(); plan = lf.plan(images.image, T.geometry, set2) end
    local times = flash.complete_plan(plan, T.t, T.loader, E.clock, E.progress)
    if times.keep_read_s then
      E.result_extra.keep_read_s = times.keep_read_s
      E.log("info", string.format("keep_unwritten: read %d range(s) in %s", times.reads, fmt_s(times.keep_read_s)))
    end
    if times.smart_crc_s then
      E.result_extra.smart_crc_s = times.smart_crc_s
      E.log("info", string.format("smart flash: CRC32 of %d sector(s) on the target in %s", times.crcs,
        fmt_s(times.smart_crc_s)))
    end
    local sum = plan:summary()
    E.result_extra.plan = sum
    E.log("info", string.format("plan: %s erase, %d erased, %d programmed, %d unchanged; flash floor %s",
      sum.erase, sum.erased, sum.programmed, sum.unchanged, fmt_s(sum.floor_s)))
    if sum.smart_note then E.log("info", "smart flash: " .. sum.smart_note) end
    return plan
  end

  return E
end

-- A connected target: raw access in .t, flash through the loader.
function M.target(E, p, t, g, info)
  local T = { p = p, t = t, geometry = g, info = info }
  local ldr

  function T.loader()
    if not ldr then ldr = lf.loader(t, g, { timeout = E.flash_timeout }) end
    return ldr
  end

  local function stats_delta(before) return flash.stats_delta(T.loader(), before) end

  -- erase / program / verify in one stream (flags select parts).
  function T.flash(_, plan, what)
    local before = T.loader():stats()
    local verified = T.loader():plan_run(plan, what)
    local d = stats_delta(before)
    return { erase_s = d.target_erase_s, program_s = d.target_program_s, verify_s = d.target_crc_s,
      run_s = d.run_s + d.crc_s, verified = verified, stats = d }
  end
  function T.erase(_, plan) return T:flash(plan, { erase = true, program = false, verify = false }) end
  function T.program(_, plan) return T:flash(plan, { erase = false, program = true, verify = false }) end

  function T.verify(_, plan, mode)
    if mode == "readback" then
      -- the loader is done: stop it first (reads while it idles make the
      -- bench emulate its polling loop; on hardware it changes nothing)
      if ldr then ldr:stop(); ldr:close(); ldr = nil end
      return flash.readback_verify(t, plan)
    end
    return T.loader():plan_verify(plan)
  end

  function T.reset(_, kind, halt)
    if ldr then ldr:stop(); ldr:close(); ldr = nil end
    t:reset(kind == "hardware" and "hardware" or "system", halt and true or false)
  end

  function T.disconnect(_, timeout, resume)
    if ldr then pcall(function() ldr:stop() end); ldr:close(); ldr = nil end
    return t:disconnect { resume = resume ~= false, timeout = timeout }
  end

  return T
end

return M
