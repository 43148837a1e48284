-- NUCLEO-H743ZI (MB1137): STM32H743ZIT6 with the on-board ST-LINK/V2-1 (the
-- NUCLEO-H743ZI2 has an STLINK-V3: on the bench, --bench-probe v3).
-- Facts: ../shared/reference/stm32-f1-l4-h7-targets.md 1.3, 11.
return {
  description = "ST NUCLEO-H743ZI: STM32H743ZI, 2 MiB flash in two independent banks, on-board ST-LINK/V2-1",
  target = "stm32h743zi",
  bench = "nucleo-h743zi",           -- the virtual bench model of this board
  probe = { kind = "stlink" },       -- the on-board ST-LINK/V2-1 (VID 0483, PID 374B)
  settings = {
    -- NRST of the target is wired to the ST-LINK (as on every NUCLEO-144).
    -- Not connect under reset: the H7's AP0 cannot reach the system bus
    -- (flash registers, DBGMCU) while NRST is held (12 #14).
    reset = "system",
    -- Like the NUCLEO-F767ZI (same MB1137 board), the debug power-down is
    -- not waited for.
    disconnect_timeout = 0,
  },
  leds = { LD1 = "PB0", LD2 = "PB7", LD3 = "PB14" },
}
