-- Replacing default steps, the wrk way: define a function with the step's
-- name (connect, plan, program, reset, disconnect: lua/luaflash/steps.lua).
-- It runs instead of the step, between the step's hooks, and gets the step
-- it replaces as `default` (the board's, if the board file defines one,
-- else luaflash's), so it can run it first, last or not at all. Here: an
-- init sequence after connecting, and a reset that says what it resets.
--
--   luaflash --bench nucleo-f767zi steps.lua
board = "nucleo_f767zi"
image = "../demo-fw/demo-f767.bin"

-- DBGMCU_APB1_FZ: DBG_WWDG_STOP (bit 11) and DBG_IWDG_STOP (bit 12) freeze
-- the watchdogs while the core is halted (STM32F7 reference manual, DBGMCU)
local DBGMCU_APB1_FZ = 0xE0042008
local WATCHDOGS_STOP = (1 << 11) | (1 << 12)

function connect(ctx, default)
  default(ctx)                       -- luaflash's connect: ctx.probe, ctx.target
  local t = ctx.target.t
  t:write32(DBGMCU_APB1_FZ, t:read32(DBGMCU_APB1_FZ) | WATCHDOGS_STOP)
  print(string.format("steps: watchdogs stop while halted (DBGMCU_APB1_FZ 0x%08x)", t:read32(DBGMCU_APB1_FZ)))
end                                  -- (the connect phase's time includes this)

function reset(ctx, default)
  print(string.format("steps: %s reset of the %s", ctx.settings.reset, ctx.target.info.chip))
  return default(ctx)
end
