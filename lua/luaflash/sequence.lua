-- The default sequence of `luaflash project.lua`:
--
--   load images -> connect -> check images -> program (plan, erase, program,
--   verify) -> reset -> disconnect -> close the probe
--
-- The steps are the functions of lua/luaflash/steps.lua; a board file and a
-- project replace any of them by defining a function of the same name (see
-- bind). connect, reset and disconnect run between their will_/did_ hooks,
-- program runs the erase/program/verify hooks itself; on_error is called
-- once when anything fails.
--
-- The sequence talks to the hardware only through `engine` (the C bindings
-- in luaflash.core, or a fake in tests):
--
--   engine.load_images(settings)            -> images (all files parsed and checked)
--   engine.open_probe(settings)             -> probe
--   probe:connect(settings)                 -> target (identified, DP up, halted or not)
--   engine.check_images(images, target)     -- inside flash? raises otherwise
--   engine.protect_before(images, target, settings)  (optional) protected regions' CRCs
--   engine.protect_after(target)            (optional) ... proven unchanged after the job
--   engine.plan(images, target, settings)   -> plan   (may run the on-target CRC pass)
--   target:erase(plan) target:program(plan) target:verify(plan, mode)
--   target:reset(kind, halt)  target:disconnect(timeout)  probe:close()
--   engine.board                            -- the board table (its functions: board.hooks)
--
-- Hooks and steps receive ctx = { settings, origin, project, probe, target,
-- plan, images, result, engine, hooks, steps } and may change ctx.settings
-- (e.g. the clock in will_connect) or skip a phase by returning false from
-- will_<phase>. ctx.steps holds the run's steps (a replacement, or luaflash's
-- own), e.g. ctx.steps.plan(ctx) in a project's own program(ctx).
-- Invariants: nothing is written to the target before every image has been
-- parsed and checked; success is reported only after verify passed (or the
-- project disabled verify, which is reported as a warning); the probe is
-- closed on every path.

local steps = require("luaflash.steps")

local M = {}

M.phases = { "connect", "erase", "program", "verify", "reset", "disconnect" }

-- phase(ctx, name, fn): a project's own program(ctx) records its phases
-- with it (steps.lua). luaflash's steps use steps.phase itself.
M.phase = steps.phase
-- luaflash's own program step (the name production.lua and older projects use)
M.default_program = steps.program

local function noop() end

-- A hook or step of a board or project file runs at most `hook_limit`
-- million Lua instructions per call (luaflash's own Lua it calls included;
-- time spent in C, e.g. flashing, does not count): an endless loop in a hook
-- ends with an error naming the hook and where it was, instead of hanging
-- the run. Nested calls count as the outermost one. sequence.run clears the
-- watch when it ends, on an error too.
local watch = { depth = 0 }

local function watched(name, f, ctx, ...)
  local limit = ctx and ctx.settings and ctx.settings.hook_limit
  if watch.depth > 0 or not limit or limit <= 0 then return f(ctx, ...) end
  watch.depth = 1
  local count = 0
  debug.sethook(function()
    count = count + 1
    if count >= limit then
      debug.sethook()
      local at = debug.getinfo(2, "Sl")
      local where = at and at.currentline and at.currentline > 0 and (at.short_src .. ":" .. at.currentline) or "?"
      error(string.format("%s ran %d million Lua instructions without returning (an endless loop? it was at %s); " ..
        "raise the limit with the setting hook_limit (millions of instructions)", name, limit, where), 0)
    end
  end, "", 1000000)
  local res = table.pack(f(ctx, ...))
  debug.sethook()
  watch.depth = 0
  return table.unpack(res, 1, res.n)
end
M.watched = watched

local function unwatch()
  debug.sethook()
  watch.depth = 0
end

-- The run's functions from the layers, lowest first (the board's, then the
-- project's: name -> function; a layer may be nil). A layer's function
-- replaces the one below it and is called with that one as its last
-- argument: step(ctx, default), hook(ctx, default), on_error(ctx, err,
-- default). `default` is the lower layer's function, else luaflash's own
-- step, else (a hook nobody below defines) a function that does nothing.
-- Returns hooks (name -> function: only the defined ones, so a hook's
-- presence still means something) and steps (every step).
function M.bind(...)
  local layers = table.pack(...)
  local hooks, run = {}, {}
  for _, n in ipairs(steps.names) do run[n] = steps[n] end
  for i = 1, layers.n do
    for name, f in pairs(layers[i] or {}) do
      local is_step = steps.is_step[name]
      local default = (is_step and run or hooks)[name] or noop
      local bound
      local what = (is_step and "step " or "hook ") .. name
      if name == "on_error" then
        bound = function(ctx, err) return watched(what, f, ctx, err, default) end
      else
        bound = function(ctx) return watched(what, f, ctx, default) end
      end
      if is_step then run[name] = bound else hooks[name] = bound end
    end
  end
  return hooks, run
end

-- Run the whole sequence. Returns the result table, or raises the first
-- error (after on_error, leaving the target as configured and closing the
-- probe).
function M.run(project, settings, origin, engine)
  local hooks, run = M.bind(engine.board and engine.board.hooks, project.hooks)
  local ctx = {
    project = project, settings = settings, origin = origin, engine = engine,
    hooks = hooks, steps = run,
    result = { phases = {}, ok = false },
  }
  local phase = steps.phase
  local ok, err = xpcall(function()
    engine.phase = "images"
    ctx.images = engine.load_images(ctx.settings)
    -- every input is parsed and checked: what fails from here on (a hook, the
    -- probe, the target) is not an input error
    if engine.stage == "input" then engine.stage = "target" end
    local connected = phase(ctx, "connect", function()
      local took = run.connect(ctx)
      if type(took) ~= "number" and ctx.connect_t0 then took = (engine.clock or os.clock)() - ctx.connect_t0 end
      return took
    end)
    if not connected then error("connect was skipped by will_connect: nothing to do", 0) end
    if not ctx.target then
      error("connect(ctx) left no target: a connect step sets ctx.target (e.g. by calling default(ctx))", 0)
    end
    engine.phase = "check"
    engine.check_images(ctx.images, ctx.target)
    -- protected regions: CRCs before the job (restoring a saved copy an
    -- interrupted run left) ... and the proof after it, whatever program
    -- step ran (lua/luaflash/protect.lua)
    if engine.protect_before then engine.protect_before(ctx.images, ctx.target, ctx.settings) end
    run.program(ctx)
    if engine.protect_after then engine.protect_after(ctx.target) end
    if ctx.settings.reset ~= "none" then phase(ctx, "reset", function() run.reset(ctx) end) end
    phase(ctx, "disconnect", function() run.disconnect(ctx) end)
  end, function(e)
    -- the phase the run was in when it failed (the cleanup below moves on)
    engine.fail_phase = engine.phase
    return debug.traceback(e)
  end)
  unwatch()
  if not ok then
    ctx.error = err
    if hooks.on_error then
      local hok, herr = pcall(hooks.on_error, ctx, err)
      if not hok then engine.log("error", "on_error hook failed: " .. tostring(herr)) end
    end
    -- Leave the target as configured, with the run's reset and disconnect
    -- steps (no hooks): reset it (so it does not stay halted in the loader)
    -- unless the project asked for none, then let it go.
    if ctx.target then
      pcall(function()
        if ctx.settings.reset ~= "none" then run.reset(ctx) end
      end)
      pcall(function() run.disconnect(ctx) end)
    end
    if ctx.probe then pcall(function() ctx.probe:close() end) end
    error(err, 0)
  end
  if ctx.probe then ctx.probe:close() end
  ctx.result.ok = true
  return ctx.result, ctx
end

return M
