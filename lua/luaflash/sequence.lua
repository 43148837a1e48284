-- The default sequence of `luaflash project.lua`:
--
--   load images -> open probe -> connect -> plan -> erase -> program ->
--   verify -> reset -> disconnect
--
-- every phase wrapped by the project's will_<phase>/did_<phase> hooks, and
-- on_error called once when anything fails. A project can replace the middle
-- (plan/erase/program/verify) by defining program(ctx) and calling the same
-- primitives itself.
--
-- The sequence talks to the hardware only through `engine` (the C bindings in
-- luaflash.core, or a fake in tests):
--
--   engine.load_images(settings)            -> images (all files parsed and checked)
--   engine.open_probe(settings)             -> probe
--   probe:connect(settings)                 -> target (identified, DP up, halted or not)
--   engine.check_images(images, target)     -- inside flash? raises otherwise
--   engine.plan(images, target, settings)   -> plan   (may run the on-target CRC pass)
--   target:erase(plan) target:program(plan) target:verify(plan, mode)
--   target:reset(kind, halt)  target:disconnect(timeout)  probe:close()
--
-- Hooks receive ctx = { settings, origin, project, probe, target, plan,
-- images, result, engine } and may change ctx.settings (e.g. the clock in
-- will_connect) or skip a phase by returning false from will_<phase>.
-- Invariants: nothing is written to the target before every image has been
-- parsed and checked; success is reported only after verify passed (or the
-- project disabled verify, which is reported as a warning); the probe is
-- closed on every path.

local M = {}

M.phases = { "connect", "erase", "program", "verify", "reset", "disconnect" }

local function now(engine)
  return engine.clock and engine.clock() or os.clock()
end

-- Run `fn` as phase `name` with its hooks. Returns true when it ran.
local function phase(ctx, name, fn)
  local hooks = ctx.project.hooks or {}
  local will = hooks["will_" .. name]
  if will and will(ctx) == false then
    ctx.result.phases[#ctx.result.phases + 1] = { name = name, skipped = true, by = "will_" .. name }
    ctx.engine.log("info", name .. ": skipped by will_" .. name)
    return false
  end
  local t0 = now(ctx.engine)
  local took = fn()
  -- fn may measure itself (when the clock source changes inside it)
  local rec = { name = name, seconds = type(took) == "number" and took or (now(ctx.engine) - t0) }
  ctx.result.phases[#ctx.result.phases + 1] = rec
  local did = hooks["did_" .. name]
  if did then did(ctx) end
  return true
end
M.phase = phase

local function record(ctx, rec)
  ctx.result.phases[#ctx.result.phases + 1] = rec
end

-- The middle of the default sequence; also callable from a project's own
-- program(ctx) (luaflash.default_program).
--
-- With the streaming loader (target:flash) erase, program and the CRC verify
-- run as ONE stream: the upload overlaps the erases and the verify starts the
-- moment the last word is written. The hooks still run in order
-- (will_erase first, did_* after the stream), and their phase records carry
-- the target's own erase/program/verify times. A project that defines a hook
-- that must run *between* two of them (did_erase, will_program; did_program,
-- will_verify) gets the phases as separate streams instead: correct, a little
-- slower (documented in the README).
function M.default_program(ctx)
  local s = ctx.settings
  local hooks = ctx.project.hooks or {}
  local T = ctx.target
  ctx.plan = ctx.plan or ctx.engine.plan(ctx.images, T, s)
  local stream = T.flash and not hooks.did_erase and not hooks.will_program
  local verify_in_stream = stream and s.verify == "crc" and not hooks.did_program and not hooks.will_verify
  if stream and not (hooks.will_erase and hooks.will_erase(ctx) == false) then
    local r = T:flash(ctx.plan, { erase = true, program = true, verify = verify_in_stream })
    record(ctx, { name = "erase", seconds = r.erase_s, streamed = true })
    record(ctx, { name = "program", seconds = r.program_s, streamed = true })
    ctx.result.stream_s = r.run_s
    if hooks.did_program then hooks.did_program(ctx) end
    if verify_in_stream then
      if hooks.will_verify then hooks.will_verify(ctx) end
      record(ctx, { name = "verify", seconds = r.verify_s, streamed = true, sectors = r.verified })
      ctx.result.verified = true
      ctx.result.verified_sectors = r.verified
      if hooks.did_verify then hooks.did_verify(ctx) end
      return
    end
  else
    if stream then
      record(ctx, { name = "erase", skipped = true, by = "will_erase" })
    else
      phase(ctx, "erase", function() T:erase(ctx.plan) end)
    end
    phase(ctx, "program", function() T:program(ctx.plan) end)
  end
  if s.verify then
    local ran = phase(ctx, "verify", function() ctx.result.verified_sectors = T:verify(ctx.plan, s.verify) end)
    ctx.result.verified = ran
  else
    ctx.engine.log("warn", "verify = false: the programmed data was not verified")
    ctx.result.verified = false
  end
end

-- Run the whole sequence. Returns the result table, or raises the first
-- error (after on_error, leaving the target as configured and closing the
-- probe).
function M.run(project, settings, origin, engine)
  local ctx = {
    project = project, settings = settings, origin = origin, engine = engine,
    result = { phases = {}, ok = false },
  }
  local ok, err = xpcall(function()
    ctx.images = engine.load_images(ctx.settings)
    phase(ctx, "connect", function()
      ctx.probe = engine.open_probe(ctx.settings)
      local c0 = now(engine)
      ctx.target = ctx.probe:connect(ctx.settings)
      return now(engine) - c0
    end)
    if not ctx.target then error("connect was skipped by will_connect: nothing to do", 0) end
    engine.check_images(ctx.images, ctx.target)
    local custom = project.hooks and project.hooks.program
    if custom then custom(ctx) else M.default_program(ctx) end
    if ctx.settings.reset ~= "none" then
      phase(ctx, "reset", function() ctx.target:reset(ctx.settings.reset, ctx.settings.halt_after_reset) end)
    end
    local resume = ctx.settings.reset ~= "none" and not ctx.settings.halt_after_reset
    phase(ctx, "disconnect", function() ctx.target:disconnect(ctx.settings.disconnect_timeout, resume) end)
  end, debug.traceback)
  if not ok then
    ctx.error = err
    local hooks = project.hooks or {}
    if hooks.on_error then
      local hok, herr = pcall(hooks.on_error, ctx, err)
      if not hok then engine.log("error", "on_error hook failed: " .. tostring(herr)) end
    end
    -- Leave the target as configured: reset it (so it does not stay halted
    -- in the loader) unless the project asked for none, then let it go.
    if ctx.target then
      pcall(function()
        if ctx.settings.reset ~= "none" then ctx.target:reset(ctx.settings.reset, ctx.settings.halt_after_reset) end
      end)
      pcall(function() ctx.target:disconnect(ctx.settings.disconnect_timeout, false) end)
    end
    if ctx.probe then pcall(function() ctx.probe:close() end) end
    error(err, 0)
  end
  if ctx.probe then ctx.probe:close() end
  ctx.result.ok = true
  return ctx.result, ctx
end

return M
