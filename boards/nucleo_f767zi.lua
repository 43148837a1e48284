-- NUCLEO-F767ZI (MB1137): STM32F767ZIT6 with the on-board ST-LINK/V2-1.
-- Facts: ST UM1974 (NUCLEO-144 user manual), ../shared/reference/stm32f7-target.md.
return {
  description = "ST NUCLEO-F767ZI: STM32F767ZI, 2 MiB flash, on-board ST-LINK/V2-1",
  target = "stm32f767zi",
  bench = "nucleo-f767zi",           -- the virtual bench model of this board
  probe = { kind = "stlink" },       -- the on-board ST-LINK/V2-1 (VID 0483, PID 374B)
  settings = {
    -- NRST of the target is wired to the ST-LINK (SB on MB1137 closed by default).
    reset = "system",
    -- This board never acknowledges a debug power-down request (users'
    -- reports; pyOCD waits 5 s for it): waiting buys nothing, so the request
    -- is sent and luaflash does not wait. A project that needs the wait
    -- (another board revision) sets disconnect_timeout itself.
    disconnect_timeout = 0,
  },
  leds = { LD1 = "PB0", LD2 = "PB7", LD3 = "PB14" },
}
