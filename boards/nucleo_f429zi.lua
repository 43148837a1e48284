-- NUCLEO-F429ZI (MB1137): STM32F429ZIT6 with the on-board ST-LINK/V2-1.
-- Facts: ST UM1974 (NUCLEO-144 user manual), ../shared/reference/stm32f4-target.md.
return {
  description = "ST NUCLEO-F429ZI: STM32F429ZI, 2 MiB dual-bank flash, on-board ST-LINK/V2-1",
  target = "stm32f429zi",
  bench = "nucleo-f429zi",
  probe = { kind = "stlink" },
  settings = {
    reset = "system",
    disconnect_timeout = 0.1,
  },
  leds = { LD1 = "PB0", LD2 = "PB7", LD3 = "PB14" },
}
