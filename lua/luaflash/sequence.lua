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
  fn()
  local rec = { name = name, seconds = now(ctx.engine) - t0 }
  ctx.result.phases[#ctx.result.phases + 1] = rec
  local did = hooks["did_" .. name]
  if did then did(ctx) end
  return true
end
M.phase = phase

-- The middle of the default sequence; also callable from a project's own
-- program(ctx) (luaflash.default_program).
function M.default_program(ctx)
  local s = ctx.settings
  ctx.plan = ctx.plan or ctx.engine.plan(ctx.images, ctx.target, s)
  phase(ctx, "erase", function() ctx.target:erase(ctx.plan) end)
  phase(ctx, "program", function() ctx.target:program(ctx.plan) end)
  if s.verify then
    local ran = phase(ctx, "verify", function() ctx.target:verify(ctx.plan, s.verify) end)
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
      ctx.target = ctx.probe:connect(ctx.settings)
    end)
    if not ctx.target then error("connect was skipped by will_connect: nothing to do", 0) end
    engine.check_images(ctx.images, ctx.target)
    local custom = project.hooks and project.hooks.program
    if custom then custom(ctx) else M.default_program(ctx) end
    if ctx.settings.reset ~= "none" then
      phase(ctx, "reset", function() ctx.target:reset(ctx.settings.reset, ctx.settings.halt_after_reset) end)
    end
    phase(ctx, "disconnect", function() ctx.target:disconnect(ctx.settings.disconnect_timeout) end)
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
      pcall(function() ctx.target:disconnect(ctx.settings.disconnect_timeout) end)
    end
    if ctx.probe then pcall(function() ctx.probe:close() end) end
    error(err, 0)
  end
  if ctx.probe then ctx.probe:close() end
  ctx.result.ok = true
  return ctx.result, ctx
end

return M
