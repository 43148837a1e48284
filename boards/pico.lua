-- Raspberry Pi Pico: RP2040 with a 2 MiB Winbond W25Q16JV QSPI flash, LED on
-- GPIO25, debugged through a Raspberry Pi Debug Probe on its SWD header
-- (the Pico has no probe of its own).
-- Facts: ../shared/reference/nrf52-rp2040-targets.md §8-§16.
return {
  description = "Raspberry Pi Pico: RP2040, 2 MiB W25Q16JV QSPI flash (XIP at 0x10000000, 4 KiB sectors, " ..
    "64 KiB blocks, 256-byte pages), through a Raspberry Pi Debug Probe (CMSIS-DAP v2)",
  target = "rp2040",
  bench = "pico",                    -- the virtual bench model of this board
  probe = { kind = "cmsis-dap" },    -- the Debug Probe (VID 2e8a, PID 000c)
  settings = {
    -- multidrop SWD: core 0's debug port (the family's default, named here
    -- because the board depends on it)
    targetsel = 0x01002927,
    -- the Pico's RUN pin is not wired to the Debug Probe: SYSRESETREQ,
    -- which resets only the core that writes it (§14); the new image runs
    -- from the boot ROM's flash boot (boot2, then the vector table at
    -- 0x10000100)
    reset = "system",
    -- the bench models a debug power-down acknowledge that never clears
    -- (params dp_pwrdown_ack_never_clears) for every board, as users report
    -- for the NUCLEO-F767ZI; unknown for the RP2040: the request is sent,
    -- luaflash does not wait
    disconnect_timeout = 0,
  },
  leds = { LED = "GPIO25" },
}
