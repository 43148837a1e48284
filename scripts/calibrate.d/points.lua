-- The calibration points of docs/calibration.md (issue 18): public
-- measurements of real probes and targets, each with the same job on the
-- bench. scripts/calibrate runs every bench job and writes the table.
--
-- Fields of a point:
--   id, title          short name
--   source             { title, url, date, who }: where the published figure is
--   setup              what was measured: tool, probe, target, clock, size, op
--   published          the figure in seconds (a rate is turned into the time of
--                      the same transfer; `published_text` quotes it as printed)
--   bench              the job: see calibrate.lua run_job() (kind luaflash |
--                      tool | peer | diff), with `measure` saying which figure
--   host_s             (optional) quantified time the bench does not model
--                      (host software, a timeout the real run hit); the
--                      adjusted ratio is (bench + host_s) / published
--   counts             false for a point that is a bound, not a like-for-like
--                      job (it is shown, never counted towards the goal)
--   explain            what the difference is explained by
--
-- "ratio" = bench / published (> 1: the bench is slower than the real run).

local P = {}

P[#P + 1] = {
  id = "P1", title = "pyOCD defaults, 65 KB, NUCLEO-F767ZI",
  source = { title = "pyOCD issue #892 'Pyocd speed under Mbed Studio for NUCLEO_F767ZI (25.5sec -> 4.9sec)'",
    url = "https://github.com/pyocd/pyOCD/issues/892", date = "2020-06-14", who = "bartek-w" },
  setup = { tool = "pyOCD (Mbed Studio, macOS)", probe = "on-board ST-LINK/V2-1", target = "STM32F767ZI",
    clock = "1.8 MHz", size = "65 KB", op = "chip erase, keep_unwritten, smart flash, program, 5 s disconnect wait" },
  published = 25.5, published_text = "'takes 25.5sec'",
  bench = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/examples/pyocd_default.lua",
    image = "f767-65k.bin", measure = "total" },
  host_s = { 0.5, 1.5, "Python start-up, imports, pyOCD's probe scan and target loading on the user's Mac (the bench's pyOCD 0.13.1 spends 0.27 s of host CPU on a whole F429 run; [guess] for the wall time)" },
  explain = "pyOCD's F767 algorithm erases at x8 (PSIZE left 0: `CR |= MER`), 16 s of mass erase at the typical tME; the luaflash project reproduces it (`erase_psize = \"x8\"`). The bench is above the published figure before any host time: P11 measured a real x8 mass erase (F439) at ~15 s, 1 s under the typical 16 s the bench uses; with that the bench gives ~26.7 s (1.05), plus the host time.",
}
P[#P + 1] = {
  id = "P2", title = "pyOCD, sector erase at 4 MHz (disconnect wait kept), 65 KB, NUCLEO-F767ZI",
  source = P[1].source,
  setup = { tool = "pyOCD + the user's script", probe = "on-board ST-LINK/V2-1", target = "STM32F767ZI",
    clock = "4 MHz", size = "65 KB", op = "sector erase, keep_unwritten, smart flash, program, 5 s disconnect wait" },
  published = 12.5, published_text = "'This change already reduce time to 12.5sec'",
  bench = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/examples/pyocd_default.lua",
    image = "f767-65k.bin", args = { "erase=sector", "clock=4MHz" }, measure = "total" },
  host_s = P[1].host_s,
  explain = "As P1; pyOCD's keep_unwritten and smart-flash read-backs go through single-access ST-LINK reads (section 'Parameters').",
}
P[#P + 1] = {
  id = "P3", title = "pyOCD tuned (no disconnect wait, no read-backs), 65 KB, NUCLEO-F767ZI",
  source = P[1].source,
  setup = { tool = "pyOCD + the user's script", probe = "on-board ST-LINK/V2-1", target = "STM32F767ZI",
    clock = "4 MHz", size = "65 KB", op = "sector erase, program; no keep_unwritten, smart flash, disconnect wait or probe scan" },
  published = 4.9, published_text = "'25.5sec -> 4.9sec' (issue title)",
  bench = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/examples/pyocd_default.lua",
    image = "f767-65k.bin", args = { "erase=sector", "clock=4MHz", "keep_unwritten=false", "smart_flash=false",
      "disconnect_timeout=0" }, measure = "total" },
  host_s = P[1].host_s,
  explain = "As P1. With the flash work down to ~1.3 s, host software (Python start-up, target loading, per-call interpreter time) is the largest remaining part.",
}
P[#P + 1] = {
  id = "P4", title = "STM32_Programmer_CLI, 65 KB, NUCLEO-F767ZI (a bound)",
  source = { title = "the project seed (issue 18 and the brief); the original post was not found",
    url = "", date = "2020", who = "seed" },
  setup = { tool = "STM32_Programmer_CLI", probe = "on-board ST-LINK/V2-1", target = "STM32F767ZI",
    clock = "?", size = "65 KB", op = "erase + program (ST's flash loader)" },
  published = 1.52, published_text = "1.52 s on a real board (2.1 s for the whole CLI run)",
  bench = { kind = "luaflash", board = "nucleo-f767zi", project = "scripts/bench-projects/default.lua",
    image = "f767-65k.bin", args = { "erase_avoid=false" }, measure = "total" },
  counts = false,
  explain = "Not like-for-like (luaflash's job, not CubeProgrammer's): it bounds the flash time. Sectors 0-2 erased + 16640 words programmed took at most 1.52 s on a real F767; at the datasheet maxima the same flash work is over 3 s on the bench (the sensitivity table), so the real part is near its typical times. CubeProgrammer's own time (connect, loader upload) is ~0.6-1 s (P14).",
}
P[#P + 1] = {
  id = "P5", title = "OpenOCD reads 128 KiB of flash through an ST-LINK/V2",
  source = { title = "Black Pill boards - first impressions", url = "http://cholla.mmto.org/stm32all/black_pill/first.html",
    date = "2020-11-20", who = "cholla.mmto.org" },
  setup = { tool = "OpenOCD (HLA, ca. 0.10) dump_image", probe = "ST-LINK/V2 (clone)", target = "STM32F411CEU6",
    clock = "2000 kHz requested (divisor 1: 1.8 MHz)", size = "128 KiB", op = "read" },
  published = 2.538966, published_text = "'dumped 131072 bytes in 2.538966s (50.414 KiB/s)'",
  bench = { kind = "tool", board = "nucleo-f429zi@v2",
    cmd = { "openocd", "-f", "interface/stlink-v2.cfg", "-f", "target/stm32f4x.cfg", "-c", "init", "-c", "reset halt",
      "-c", "dump_image {WORK}/d.bin 0x08000000 0x20000", "-c", "exit" },
    measure = { pattern = "dumped 131072 bytes in ([%d%.]+)s" } },
  explain = "The ST-LINK does single accesses in SWD mode (3 SWD transactions per read word); the F429 model stands in for the F411 (same core, AHB-AP, 4 KiB TAR block). Left: the clone's real SWCLK and the 2020 OpenOCD's chunking.",
}
P[#P + 1] = {
  id = "P5b", title = "the same, 2560 bytes",
  source = P[#P].source, setup = { tool = "OpenOCD dump_image", probe = "ST-LINK/V2 (clone)", target = "STM32F411CEU6",
    clock = "1.8 MHz", size = "2560 B", op = "read" },
  published = 0.047838, published_text = "'dumped 2560 bytes in 0.047838s (52.260 KiB/s)'",
  bench = { kind = "tool", board = "nucleo-f429zi@v2",
    cmd = { "openocd", "-f", "interface/stlink-v2.cfg", "-f", "target/stm32f4x.cfg", "-c", "init", "-c", "reset halt",
      "-c", "dump_image {WORK}/b.bin 0x08000000 0xa00", "-c", "exit" },
    measure = { pattern = "dumped 2560 bytes in ([%d%.]+)s" } },
  explain = "As P5: a short read, where the per-command time weighs more.",
}
P[#P + 1] = {
  id = "P6", title = "STM32_Programmer_CLI reads 384 KiB of RAM through an STLINK-V3 at 24 MHz",
  source = { title = "ST community 'STLINK-V3MINIE - Feature: Pipelined Data Transfers'",
    url = "https://community.st.com/stm32-mcus-boards-and-hardware-tools-26/stlink-v3minie-feature-pipelined-data-transfers-165967",
    date = "2026-06-09", who = "ST community" },
  setup = { tool = "STM32_Programmer_CLI 2.20 --read", probe = "STLINK-V3MINIE (V3J17M10)", target = "STM32H7S3",
    clock = "24 MHz (scope-checked)", size = "384 KiB", op = "read, 1 KB READMEM_32BIT + status query per chunk" },
  -- 549 KB/s; the post's KB taken as 1000 B (1024 B would make it 2.4 % shorter)
  published = 393216 / 549000, published_text = "'I only achieve ~549 KB/s' (0.716 s for 384 KiB)",
  bench = { kind = "tool", board = "nucleo-f767zi@v3",
    cmd = { "openocd", "-f", "interface/stlink.cfg", "-f", "target/stm32f7x.cfg", "-c", "init", "-c", "reset halt",
      "-c", "adapter speed 24000", "-c", "dump_image {WORK}/v3.bin 0x20000000 0x60000", "-c", "exit" },
    measure = { pattern = "dumped 393216 bytes in ([%d%.]+)s" } },
  explain = "OpenOCD's HLA reads the same way (1 KiB READMEM_32BIT + a status query per chunk) through the V3 model on the F767. Left: host tool (CubeProgrammer vs OpenOCD), the post's 'KB'.",
}
P[#P + 1] = {
  id = "P7", title = "one 4-byte read through a CMSIS-DAP v2 probe (USB full speed) at 1 MHz",
  source = { title = "yapicoprobe issue #108", url = "https://github.com/rgrr/yapicoprobe/issues/108",
    date = "2024-03-14", who = "zh522130" },
  setup = { tool = "probe-rs benchmark", probe = "yapicoprobe v1.20 (RP2040, CMSIS-DAP v2)", target = "STM32H743",
    clock = "1 MHz", size = "4 B", op = "read (one DAP_Transfer round trip)" },
  published = 4 / 8587.40, published_text = "'Read: 8587.40 bytes/s' with 4-byte reads (0.466 ms each)",
  bench = { kind = "diff", per = 1000, board = "nucleo-f429zi@rpi-debugprobe",
    cmd = { "openocd", "-f", "interface/cmsis-dap.cfg", "-c", "cmsis_dap_backend usb_bulk", "-c", "transport select swd",
      "-f", "target/stm32f4x.cfg", "-c", "reset_config srst_only", "-c", "adapter speed 1000", "-c", "init",
      "-c", "reset halt", "-c", "set N {N}",
      "-c", "for {set i 0} {$i < $N} {incr i} { read_memory 0x20000000 32 1 }", "-c", "exit" },
    n = 1000, measure = "report",
    -- OpenOCD's read_memory sends 2 DAP_Transfer commands (a DHCSR poll and the read):
    -- the figure compared is one command's round trip
    scale = 0.5 },
  explain = "One DAP_Transfer round trip on the Debug Probe model (OpenOCD's read_memory sends two: a DHCSR poll and the read; the figure is half). Left: firmware (yapicoprobe vs debugprobe), host tool (probe-rs vs OpenOCD), target (H743 vs F429).",
}
P[#P + 1] = {
  id = "P8", title = "OpenOCD programs 512 KiB into an STM32F746 through an ST-LINK/V2-1",
  source = { title = "sysprogs/openocd PR #6 'output download speed when download finished'",
    url = "https://github.com/sysprogs/openocd/pull/6", date = "2020-03-09", who = "woniulive" },
  setup = { tool = "OpenOCD (sysprogs build) program", probe = "ST-LINK/V2-1 (32F746GDISCOVERY)", target = "STM32F746NG",
    clock = "4 MHz (board cfg)", size = "512 KiB", op = "x8 sector erase + x16 program" },
  published = 8.681247, published_text = "'wrote 524288 bytes from file ... in 8.681247s (58.978 KiB/s)'",
  bench = { kind = "tool", board = "nucleo-f767zi",
    cmd = { "openocd", "-f", "board/st_nucleo_f7.cfg", "-c", "init", "-c", "reset init",
      "-c", "flash write_image erase {IMG} 0x08000000", "-c", "exit" },
    image = "f767-512k.bin", measure = { pattern = "wrote 524288 bytes from file .- in ([%d%.]+)s" } },
  explain = "The F767 has the F746's sector layout for the first 1 MiB. OpenOCD erases at x8 and programs at x16: 8.9 s of flash time at the typical figures, so the real part is a few % faster than typical.",
}
P[#P + 1] = {
  id = "P9", title = "st-flash 1.7.0 writes 39064 bytes into a Disco-F469NI",
  source = { title = "mbed-ce/mbed-os PR #47 (upload log)", url = "https://github.com/mbed-ce/mbed-os/pull/47",
    date = "2022-09-17", who = "JohnK1987" },
  setup = { tool = "st-flash 1.7.0 write (whole Ninja step)", probe = "ST-LINK/V2-1", target = "STM32F469NI",
    clock = "st-flash default (1.8 MHz)", size = "39064 B (3 x 16 KiB sectors)", op = "erase + program + reset" },
  published = 2.891, published_text = "'[1/1 100% :: 2.891] Flashing main with stlink...'",
  bench = { kind = "peer", tool = "st-flash", board = "nucleo-f429zi", image = "f429-39064.bin", measure = "report" },
  host_s = { 0.5, 0.8, "the real run's 'Soft reset failed: timeout' (st-flash waits 500 ms for it; the bench board resets at once) + Windows process and USB start-up [guess, up to 0.3 s]" },
  explain = "The F429 model stands in for the F469 (same flash controller, 16 KiB sectors 0-3).",
}
P[#P + 1] = {
  id = "P10", title = "st-flash writes 512 KiB into an STM32F413",
  source = { title = "stlink-org/stlink PR #1494 'Use real F4 sector sizes for STM32F410/F413 erase'",
    url = "https://github.com/stlink-org/stlink/pull/1494", date = "2026-06-11", who = "jameswalmsley" },
  setup = { tool = "st-flash (develop, 2026)", probe = "ST-LINK (NUCLEO-F413ZH)", target = "STM32F413ZH",
    clock = "st-flash default", size = "512 KiB", op = "erase + program" },
  published = 16, published_text = "'a 512 KiB write dropped from ~44 s to ~16 s'",
  bench = { kind = "peer", tool = "st-flash", board = "nucleo-f429zi", image = "f429-512k.bin", measure = "report" },
  explain = "Weak point, shown but not evidence against the model: st-flash 1.7.0 on the bench vs a 2026 development build, F429 vs F413. On the bench st-flash 1.7.0 keeps the flash busy 10.9 s (8.8 s of it x8 sector erases) and the SWD wire 18.3 s at 1.8 MHz, about 10 s of it its read-back of the 512 KiB through single-access reads. The 2026 build on the F413 does less than that (another erase parallelism, no full read-back, a faster clock: not checked).",
}
P[#P + 1] = {
  id = "P11", title = "pyOCD chip erase of an STM32F439",
  source = { title = "pyOCD PR #421 'Increased chip erase weight for STM32F439xx'",
    url = "https://github.com/pyocd/pyOCD/pull/421", date = "2018-10-05", who = "flit" },
  setup = { tool = "pyOCD (its built-in F439 algorithm)", probe = "ST-LINK", target = "STM32F439",
    clock = "pyOCD default", size = "2 MiB (both banks)", op = "mass erase at x8" },
  published = 15, published_text = "'Chip erase takes approximately an incredible 15 seconds'",
  bench = { kind = "tool", board = "nucleo-f429zi", pyocd = true,
    cmd = { "/usr/bin/python3", "/usr/bin/pyocd-flashtool", "-t", "stm32f439xi", "--mass-erase" }, measure = "report" },
  explain = "tME x8 for 2 MiB is 16 s typical (the bench); 'approximately 15 s' says the real part is ~6 % faster than typical.",
}
P[#P + 1] = {
  id = "P12", title = "one 128 KiB sector erase at x32 on an STM32F407",
  source = { title = "ST community 'Flash sector erase is taking too long'",
    url = "https://qa-community.st.com/stm32-mcus-products-44/flash-sector-erase-is-taking-too-long-65985",
    date = "2019-01-31", who = "ST community" },
  setup = { tool = "HAL FLASH_Erase_Sector (VoltageRange 3), scope on a pin", probe = "-", target = "STM32F407",
    clock = "-", size = "128 KiB sector", op = "sector erase x32" },
  published = 1.0, published_text = "'to erase a sector it takes 1 second'",
  bench = { kind = "luaflash", board = "nucleo-f429zi", board_file = "nucleo_f429zi", image = "word.bin",
    args = { "base=0x08020000", "erase=sector", "erase_avoid=false", "smart_flash=false" }, measure = "phase:erase" },
  explain = "A parameter check: the bench's erase phase of one 128 KiB sector (sector 5) at x32.",
}
P[#P + 1] = {
  id = "P13", title = "mass erase at x32 of an STM32F407 (1 MiB, one bank)",
  source = { title = "adafruit/Adafruit_DAP PR #7", url = "https://github.com/adafruit/Adafruit_DAP/pull/7",
    date = "2019-10-28", who = "hathach" },
  setup = { tool = "Adafruit_DAP erase() (MER|STRT|PSIZE_WORD)", probe = "CMSIS-DAP", target = "STM32F407 Discovery",
    clock = "-", size = "1 MiB", op = "mass erase x32" },
  published = 8, published_text = "'full chip erase take too long 8 seconds (stlink also take the same amount of time)'",
  bench = { kind = "luaflash", board = "nucleo-f429zi", board_file = "nucleo_f429zi", image = "word.bin",
    args = { "base=0x08000000", "erase=chip", "smart_flash=false", "erase_avoid=false" }, measure = "phase:erase" },
  explain = "The bench's F429 (2 MiB, two banks) mass erase at x32; with P11 (both F439 banks at x8 in ~15 s) this says the bank count does not scale tME.",
}
P[#P + 1] = {
  id = "P14", title = "STM32CubeProgrammer 2.3.0 writes 7746 bytes into a NUCLEO-F746ZG (a bound)",
  source = { title = "ST community 'Can't debug NUCLEO-F746ZG in STM32CubeIDE'",
    url = "https://community.st.com/t5/stm32cubeide-mcus/can-t-debug-nucleo-f746zg-in-stm32cubeide/m-p/271638/highlight/true",
    date = "2020-07-22", who = "ST community" },
  setup = { tool = "STM32CubeProgrammer 2.3.0", probe = "ST-LINK/V2-1 (V2J35M26)", target = "STM32F746ZG",
    clock = "4 MHz", size = "7746 B in 2 segments (sectors 0 and 3)", op = "erase + program" },
  published = 1.402, published_text = "'Time elapsed during download operation: 00:00:01.402'",
  bench = { kind = "luaflash", board = "nucleo-f767zi", image = "seg2", clock = "4MHz",
    args = { "erase=sector", "erase_avoid=false", "clock=4MHz" }, measure = "total" },
  counts = false,
  explain = "Not like-for-like (luaflash's job, not CubeProgrammer's; the split of the 7746 bytes between the two segments is not given: halves assumed). The difference is CubeProgrammer's own time (~1 s).",
}

return P
