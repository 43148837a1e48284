-- NUCLEO-F429ZI (MB1137): STM32F429ZIT6 with the on-board ST-LINK/V2-1.
-- Facts: ST UM1974 (NUCLEO-144 user manual), ../shared/reference/stm32f4-target.md.
return {
  description = "ST NUCLEO-F429ZI: STM32F429ZI, 2 MiB dual-bank flash, on-board ST-LINK/V2-1",
  target = "stm32f429zi",
  bench = "nucleo-f429zi",
  probe = { kind = "stlink" },
  settings = {
    reset = "system",
    -- The debug power-down request is sent and luaflash does not wait for
    -- the acknowledge: nothing after the disconnect depends on it (the image
    -- is verified and the core reset before), and no tool waits on this
    -- part: pyOCD 0.13.1 clears CTRL/STAT and returns (stm32f4-target.md
    -- 10.1; its coresight/dap.py power_down_debug), OpenOCD 0.12 never powers
    -- the DP down on exit (only its power-up waits exist) and over an ST-LINK
    -- the probe's firmware leaves debug mode for OpenOCD and st-flash. No
    -- report says whether an STM32F4 drops CDBGPWRUPACK/CSYSPWRUPACK after
    -- the request (the NUCLEO-F767ZI's do not); a project that needs the wait
    -- sets disconnect_timeout itself (probe-rs waits up to 1 s).
    disconnect_timeout = 0,
  },
  leds = { LD1 = "PB0", LD2 = "PB7", LD3 = "PB14" },
}
