-- luaflash's default steps, the functions lua/luaflash/sequence.lua runs:
--
--   connect      open the probe, connect, identify      (will_/did_connect)
--   plan         ctx.plan for ctx.images                 (called by program)
--   program      erase + program + verify ctx.plan       (will_/did_erase, _program, _verify)
--   reset        reset as the `reset` setting says       (will_/did_reset)
--   disconnect   let the target go                       (will_/did_disconnect)
--
-- Each is a plain function step(ctx). A board file or a project replaces one
-- by defining a function of the same name (sequence.bind); the replacement
-- is called as step(ctx, default), `default` being the function it replaces
-- (the board's, else the one here), so it can run it first, last or not at
-- all. luaflash's own steps are always reachable here:
--
--   function reset(ctx, default)                 -- in a project or board file
--     ctx.engine.log("info", "resetting")          -- something of its own
--     return default(ctx)
--   end
--   require("luaflash.steps").reset(ctx)         -- luaflash's, skipping the board's
--
-- Invariants: a step sets what the next one needs (connect: ctx.probe and
-- ctx.target; plan: ctx.plan; program: ctx.result.verified); steps talk to
-- the hardware only through ctx.engine and ctx.target; a step never calls
-- its own hooks (phase() does, around it).

local M = {}

M.names = { "connect", "plan", "program", "reset", "disconnect" }
M.is_step = {}
for _, n in ipairs(M.names) do M.is_step[n] = true end

local function now(engine)
  return engine.clock and engine.clock() or os.clock()
end

-- The run's hooks: the bound ones of sequence.run, or (a ctx built by
-- hand) the project's.
local function hooks_of(ctx)
  return ctx.hooks or (ctx.project and ctx.project.hooks) or {}
end

local function record(ctx, rec)
  ctx.result.phases[#ctx.result.phases + 1] = rec
end

-- Run fn as phase `name` between its hooks: will_<name> returning false
-- skips it (recorded as skipped), did_<name> runs after it. fn may return
-- its own duration in seconds (connect does: the run's clock changes to the
-- bench's inside it), else the run's clock measures it. Returns true when
-- the phase ran.
function M.phase(ctx, name, fn)
  local hooks = hooks_of(ctx)
  local will = hooks["will_" .. name]
  if will and will(ctx) == false then
    record(ctx, { name = name, skipped = true, by = "will_" .. name })
    ctx.engine.log("info", name .. ": skipped by will_" .. name)
    return false
  end
  local t0 = now(ctx.engine)
  ctx.engine.phase = name   -- where a failure happens (production records it)
  local took = fn()
  record(ctx, { name = name, seconds = type(took) == "number" and took or (now(ctx.engine) - t0) })
  local did = hooks["did_" .. name]
  if did then did(ctx) end
  return true
end

-- Sets ctx.probe and ctx.target; returns the seconds the connect took on the
-- run's clock (opening the probe is not part of it: the clock becomes the
-- bench's there). ctx.connect_t0 is when it started, so a replacement that
-- returns nothing is measured from then, its own work after default(ctx)
-- included (sequence.lua).
function M.connect(ctx)
  ctx.probe = ctx.engine.open_probe(ctx.settings)
  local c0 = now(ctx.engine)
  ctx.connect_t0 = c0
  ctx.target = ctx.probe:connect(ctx.settings)
  return now(ctx.engine) - c0
end

-- Sets and returns ctx.plan: per sector skip / erase / program, after the
-- keep_unwritten reads and the smart-flash CRCs on the target.
function M.plan(ctx)
  ctx.plan = ctx.engine.plan(ctx.images, ctx.target, ctx.settings)
  return ctx.plan
end

-- The plan of the run: ctx.plan when a hook made one, else the run's plan
-- step (a board's or project's plan(ctx) when one is defined).
local function the_plan(ctx)
  if not ctx.plan then
    local p = (ctx.steps and ctx.steps.plan or M.plan)(ctx)
    ctx.plan = ctx.plan or p
  end
  if not ctx.plan then error("plan(ctx) made no plan: it sets ctx.plan or returns the plan", 0) end
  return ctx.plan
end

-- Erase, program and verify ctx.plan (made first by the plan step).
--
-- With the streaming loader (target:flash) erase, program and the CRC verify
-- run as ONE stream: the upload overlaps the erases and the verify starts the
-- moment the last word is written. The hooks still run in order
-- (will_erase first, did_* after the stream), and their phase records carry
-- the target's own erase/program/verify times. A run that defines a hook
-- that must run *between* two of them (did_erase, will_program; did_program,
-- will_verify) gets the phases as separate streams instead: correct, a little
-- slower (documented in the README). Sets ctx.result.verified (and
-- verified_sectors); never true unless the data was checked.
local program_once

-- Erase avoidance (settings.erase_avoid) programs sectors that read blank
-- without erasing them; a verify failure in such a run is a CRC32
-- collision (the sector was not blank after all): the whole program step
-- runs once more with erase_avoid off, so the board ends right and the run
-- is never reported wrong. The same for a sector sent bits-only: a verify
-- failure there is not expected (the loader compared it with the flash
-- itself), but a flash error is when the part refuses a write the family's
-- rule allows (the STM32F1's 0x0000 over a programmed half-word is
-- [unconf]): erased and programmed again too.
function M.program(ctx)
  local ok, err = pcall(program_once, ctx)
  if ok then return end
  local sum = ctx.plan and ctx.plan.summary and ctx.plan:summary()
  local e = tostring(err)
  local flash_err = sum and (sum.bits or 0) > 0 and e:find("flash: program 0x") ~= nil
  if not (sum and (sum.blank or 0) + (sum.bits or 0) > 0 and (e:find("verify") or flash_err) and
      not ctx.erase_avoid_retried) then
    error(err, 0)
  end
  ctx.erase_avoid_retried = true
  if flash_err then
    ctx.engine.log("warn", "a sector programmed without its erase failed (the part refused a write over " ..
      "programmed data); erasing and programming again (" .. e:match("^[^\n]*"):gsub("^[^\n]-%.lua:%d+: ", "") .. ")")
    pcall(function() ctx.target.F.close() end) -- the loader stopped at the error: start afresh
  else
    ctx.engine.log("warn", "verify failed on a sector programmed without its erase (it read blank: a CRC32 " ..
      "collision); erasing and programming again (" ..
      e:match("^[^\n]*"):gsub("^[^\n]-%.lua:%d+: ", "") .. ")")
  end
  local s2 = {}
  for k, v in pairs(ctx.settings) do s2[k] = v end
  s2.erase_avoid = false
  ctx.settings = s2
  pcall(function() ctx.plan:close() end)
  ctx.plan = nil
  return program_once(ctx)
end

function program_once(ctx)
  local s = ctx.settings
  local hooks = hooks_of(ctx)
  local T = ctx.target
  -- erase_psize: the plan's erase times; luaflash's loader erases at its
  -- program parallelism, so a different one needs a project hook that runs
  -- its own erases (scripts/examples/pyocd_default.lua)
  if s.erase_psize and T.geometry then
    local unit = ({ x8 = 1, x16 = 2, x32 = 4, x64 = 8 })[s.erase_psize]
    local pu = T.geometry:info().prog_unit
    if unit ~= pu then
      error(string.format("setting 'erase_psize' = \"%s\": luaflash's loader erases at the program " ..
        "parallelism (x%d here); a different erase parallelism needs a project program(ctx) hook that " ..
        "erases with its own loader (scripts/examples/pyocd_default.lua)", s.erase_psize, 8 * pu), 0)
    end
  end
  ctx.engine.phase = "plan"
  the_plan(ctx)
  ctx.engine.phase = "erase"
  local stream = T.flash and not hooks.did_erase and not hooks.will_program
  local verify_in_stream = stream and s.verify == "crc" and not hooks.did_program and not hooks.will_verify
  if stream and not (hooks.will_erase and hooks.will_erase(ctx) == false) then
    ctx.engine.phase = "program"  -- one stream: erase, program (and verify)
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
      M.phase(ctx, "erase", function() T:erase(ctx.plan) end)
    end
    M.phase(ctx, "program", function() T:program(ctx.plan) end)
  end
  if s.verify then
    local ran = M.phase(ctx, "verify", function() ctx.result.verified_sectors = T:verify(ctx.plan, s.verify) end)
    ctx.result.verified = ran
  else
    ctx.engine.log("warn", "verify = false: the programmed data was not verified")
    ctx.result.verified = false
  end
end

-- The `reset` setting's kind ("system" | "hardware"), halted or not as
-- halt_after_reset says. (With reset = "none" the sequence runs no reset
-- step at all.)
function M.reset(ctx)
  ctx.target:reset(ctx.settings.reset, ctx.settings.halt_after_reset)
end

-- Disconnect, waiting at most disconnect_timeout for the power-down
-- acknowledge. The core runs on after a reset (not with halt_after_reset);
-- after a failure (ctx.error) it is left as it is.
function M.disconnect(ctx)
  local s = ctx.settings
  local resume = not ctx.error and s.reset ~= "none" and not s.halt_after_reset
  ctx.target:disconnect(s.disconnect_timeout, resume)
end

return M
