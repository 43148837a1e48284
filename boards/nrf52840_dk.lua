-- Nordic nRF52840 DK (PCA10056): nRF52840 QIAA. The DK's own interface MCU
-- is a SEGGER J-Link OB (no CMSIS-DAP); this board file (and the virtual
-- bench model nrf52840-dk) uses a CMSIS-DAP v2 probe on its SWD header
-- (Debug in, P20) instead, e.g. a DAPLink or a Raspberry Pi Debug Probe.
-- Facts: ../shared/reference/nrf52-rp2040-targets.md (memory map §2, NVMC §3,
-- APPROTECT and CTRL-AP §5, SWD clock §6).
return {
  description = "Nordic nRF52840 DK: nRF52840, 1 MiB flash in 4 KiB pages, through a CMSIS-DAP v2 probe",
  target = "nrf52840",
  bench = "nrf52840-dk",             -- the virtual bench model of this board (a DAPLink wired to it)
  probe = { kind = "cmsis-dap" },
  settings = {
    -- Nordic verified SWD up to 8 MHz (on the nRF52832, §6); the probe gives what it can.
    clock = "8MHz",
    -- SYSRESETREQ, as OpenOCD's nrf52.cfg and pyOCD do (§6): the probe's nRESET
    -- reaches P0.18, a reset pin only once UICR.PSELRESET[0] and [1] say so
    -- (so connect = "under-reset" needs that too)
    reset = "system",
    -- the power-down request is sent at disconnect, luaflash does not wait
    -- for the acknowledges to drop (the bench keeps them set, as on the
    -- NUCLEOs; nothing here needs the debug domain off)
    disconnect_timeout = 0,
  },
  leds = { LED1 = "P0.13", LED2 = "P0.14", LED3 = "P0.15", LED4 = "P0.16" }, -- active low
}
