-- The headline figures of README and docs/benchmark.md and how far they move
-- when the bench's unconfirmed parameters take their low and high public
-- values (issue 18, item 3). scripts/calibrate runs every row under every
-- variant and writes the tables of docs/calibration.md.
--
-- A row: id, title, job (as in points.lua), probe_kind "stlink-fs" |
-- "stlink-hs" | "dap-fs" (which link parameters apply), and `vs` = the id of
-- the row it is compared with (a ratio "x OpenOCD" per variant).
-- A variant: id, title, params = { "name=value", ... } (bench parameters,
-- passed as --bench-param to luaflash and LF_BENCH_PARAMS to the peers), and
-- `applies` = the probe kinds it changes (a variant that changes nothing for
-- a row is not run for it).

local S = {}

S.rows = {
  { id = "lf65", title = "luaflash, 65 KB, F767 over other firmware (V2-1)", probe_kind = "stlink-fs",
    job = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/bench-projects/default.lua",
      image = "f767-65k.bin", args = { "erase_avoid=false" }, measure = "total" }, floor = true },
  { id = "lf65b", title = "luaflash, 65 KB, blank F767 (V2-1)", probe_kind = "stlink-fs",
    job = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/bench-projects/default.lua",
      image = "f767-65k.bin", measure = "total" } },
  { id = "lf2m", title = "luaflash, 2 MB, F767 (V2-1)", probe_kind = "stlink-fs",
    job = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/bench-projects/default.lua",
      image = "f767-2m.bin", args = { "erase_avoid=false" }, measure = "total" }, floor = true },
  { id = "lf65v3", title = "luaflash, 65 KB, F767 over other firmware (STLINK-V3)", probe_kind = "stlink-hs",
    job = { kind = "luaflash", board = "nucleo-f767zi@v3", project = "scripts/bench-projects/default.lua",
      image = "f767-65k.bin", args = { "erase_avoid=false" }, measure = "total" }, floor = true },
  { id = "lf65dap", title = "luaflash, 65 KB, F767 over other firmware (DAPLink v2 bulk)", probe_kind = "dap-fs",
    job = { kind = "luaflash", board = "nucleo-f767zi@daplink", project = "scripts/bench-projects/default.lua",
      image = "f767-65k.bin", args = { "erase_avoid=false" }, measure = "total" }, floor = true },
  { id = "h743", title = "luaflash, 65 KB, H743 over other firmware (V2-1)", probe_kind = "stlink-fs",
    job = { kind = "luaflash", board = "nucleo-h743zi", project = "scripts/bench-projects/default.lua",
      image = "h743-65k.bin", args = { "board=nucleo_h743zi", "erase_avoid=false" },
      measure = "total" }, floor = true },
  { id = "pico", title = "luaflash, 1.5 MB, Pico over other firmware (Debug Probe, 50 MHz asked)", probe_kind = "dap-fs",
    job = { kind = "luaflash", board = "pico", project = "scripts/bench-projects/pico.lua",
      image = "pico-1m5.bin", args = { "clock=50MHz", "erase_avoid=false" }, measure = "total" }, floor = true },
  { id = "nrf52", title = "luaflash, 65 KB, nRF52840 over other firmware (DAPLink v2)", probe_kind = "dap-fs",
    job = { kind = "luaflash", board = "nrf52840-dk", project = "scripts/bench-projects/default.lua",
      image = "nrf52840-65k.bin", args = { "board=nrf52840_dk", "erase_avoid=false" }, measure = "total" }, floor = true },
  { id = "ocd65", title = "OpenOCD 0.12, 65 KB, F767 (V2-1)", probe_kind = "stlink-fs", vs_of = "lf65",
    job = { kind = "peer", tool = "openocd", board = "nucleo-f767zi", image = "f767-65k.bin", measure = "report" } },
  { id = "stf65", title = "st-flash 1.7.0, 65 KB, F767 (V2-1)", probe_kind = "stlink-fs", vs_of = "lf65",
    job = { kind = "peer", tool = "st-flash", board = "nucleo-f767zi", image = "f767-65k.bin", measure = "report" } },
  { id = "pyd65", title = "pyOCD defaults as a luaflash project, 65 KB, F767 (V2-1)", probe_kind = "stlink-fs", vs_of = "lf65",
    job = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/examples/pyocd_default.lua",
      image = "f767-65k.bin", measure = "total" } },
  { id = "pyt65", title = "pyOCD tuned as a luaflash project, 65 KB, F767 (V2-1)", probe_kind = "stlink-fs", vs_of = "lf65",
    job = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/examples/pyocd_default.lua",
      image = "f767-65k.bin", args = { "erase=sector", "clock=4MHz", "keep_unwritten=false", "smart_flash=false",
        "disconnect_timeout=0" }, measure = "total" } },
}

-- Public low/high values (docs/calibration.md, section Parameters, says where
-- each comes from).
S.variants = {
  { id = "base", title = "as modeled", params = {}, applies = { ["stlink-fs"] = true, ["stlink-hs"] = true, ["dap-fs"] = true } },
  { id = "fmax", title = "flash at datasheet max", params = { "flash_timing_max=1", "rp_w25_timing_max=1" }, flash = true,
    applies = { ["stlink-fs"] = true, ["stlink-hs"] = true, ["dap-fs"] = true } },
  { id = "fslo", title = "FS USB 100 us", params = { "usb_fs_transfer_latency_ns=100000" },
    applies = { ["stlink-fs"] = true, ["dap-fs"] = true } },
  { id = "fshi", title = "FS USB 500 us", params = { "usb_fs_transfer_latency_ns=500000" },
    applies = { ["stlink-fs"] = true, ["dap-fs"] = true } },
  { id = "hslo", title = "HS USB 20 us", params = { "usb_hs_transfer_latency_ns=20000" }, applies = { ["stlink-hs"] = true } },
  { id = "hshi", title = "HS USB 125 us", params = { "usb_hs_transfer_latency_ns=125000" }, applies = { ["stlink-hs"] = true } },
  { id = "fwlo", title = "probe firmware fast", params = { "stlink_cmd_ns=5000", "stlink_swd_gap_ns=0",
    "cmsisdap_cmd_ns=5000", "cmsisdap_xfer_ns=500" }, applies = { ["stlink-fs"] = true, ["stlink-hs"] = true, ["dap-fs"] = true } },
  { id = "fwhi", title = "probe firmware slow", params = { "stlink_cmd_ns=100000", "stlink_swd_gap_ns=1000",
    "cmsisdap_cmd_ns=100000", "cmsisdap_xfer_ns=4000" }, applies = { ["stlink-fs"] = true, ["stlink-hs"] = true, ["dap-fs"] = true } },
  { id = "psdb", title = "ST-LINK clock as psdb measured", params = { "stlink_swclk_measured=1" },
    applies = { ["stlink-fs"] = true, ["stlink-hs"] = true } },
  { id = "best", title = "all low (fast link and firmware)", params = { "usb_fs_transfer_latency_ns=100000",
    "usb_hs_transfer_latency_ns=20000", "stlink_cmd_ns=5000", "stlink_swd_gap_ns=0", "cmsisdap_cmd_ns=5000",
    "cmsisdap_xfer_ns=500" }, applies = { ["stlink-fs"] = true, ["stlink-hs"] = true, ["dap-fs"] = true } },
  { id = "worst", title = "all high (flash max, slow link and firmware, psdb clock)", flash = true, params = { "flash_timing_max=1", "rp_w25_timing_max=1",
    "usb_fs_transfer_latency_ns=500000", "usb_hs_transfer_latency_ns=125000", "stlink_cmd_ns=100000",
    "stlink_swd_gap_ns=1000", "cmsisdap_cmd_ns=100000", "cmsisdap_xfer_ns=4000", "stlink_swclk_measured=1" },
    applies = { ["stlink-fs"] = true, ["stlink-hs"] = true, ["dap-fs"] = true } },
}

-- What a failure of a third-party tool under a variant means (shown under the
-- table when it happens).
local stflash_max = "st-flash 1.7.0 polls its flash loader 49 times 10 ms apart (0.49 s, seen in the bench report) and then gives up ('Flash loader run error'); a 32 KiB chunk of words takes 8192 x tPROG, 0.82 s at the datasheet maximum of 100 us. On a part that slow, st-flash 1.7.0 would fail the same way."
S.notes = { ["stf65/fmax"] = stflash_max, ["stf65/worst"] = stflash_max }

return S
