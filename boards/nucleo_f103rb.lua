-- NUCLEO-F103RB (MB1136): STM32F103RBT6 with the on-board ST-LINK/V2-1.
-- Facts: ST UM1724 (NUCLEO-64 user manual), ../shared/reference/stm32-f1-l4-h7-targets.md §11.
return {
  description = "ST NUCLEO-F103RB: STM32F103RB, 128 KiB flash in 1 KiB pages, on-board ST-LINK/V2-1",
  target = "stm32f103rb",
  bench = "nucleo-f103rb",           -- the virtual bench model of this board
  probe = { kind = "stlink" },       -- the on-board ST-LINK/V2-1 (VID 0483, PID 374B)
  settings = {
    -- NRST of the target is wired to the ST-LINK (connect under reset works, §8).
    reset = "system",
    -- luaflash leaves DBGMCU_CR's DBG_SLEEP|DBG_STOP|DBG_STANDBY set (the
    -- family's debug bits), which keep the debug domain powered, so the DP's
    -- power-up acknowledges stay set after a power-down request, as users
    -- report for the NUCLEO-F767ZI (for this board unconfirmed; the bench
    -- models it for every board): the request is sent, luaflash does not wait.
    disconnect_timeout = 0,
  },
  leds = { LD2 = "PA5" },
}
