-- The luaflash benchmark suite (driven by scripts/benchmark): runs every
-- scenario on the virtual bench, collects the bench's virtual time (the
-- performance figure: deterministic), the host CPU time (user + sys) of each
-- whole process and, for luaflash, callgrind instruction counts, then writes
-- results.json, a Markdown report and two SVG pictures.
--
--   lua5.4 suite.lua --top DIR --build DIR --out DIR [--only id,id] [--no-callgrind]
--                    [--report FILE.md] [--svg-prefix NAME]
--
-- Everything in the report comes from these runs and from the bench's own
-- parameter table (lf-bench-demo --params); nothing is timed on the host's
-- wall clock.

local opts = { only = nil, callgrind = true }
do
  local i = 1
  while i <= #arg do
    local a = arg[i]
    local function val() i = i + 1; return assert(arg[i], a .. " needs a value") end
    if a == "--top" then opts.top = val()
    elseif a == "--build" then opts.build = val()
    elseif a == "--out" then opts.out = val()
    elseif a == "--only" then
      opts.only = {}
      for id in val():gmatch("[^,]+") do opts.only[id] = true end
    elseif a == "--no-callgrind" then opts.callgrind = false
    elseif a == "--report-only" then opts.report_only = true
    elseif a == "--report" then opts.report = val()
    elseif a == "--svg-dir" then opts.svg_dir = val()
    else error("suite.lua: unknown argument " .. a, 0) end
    i = i + 1
  end
  assert(opts.top and opts.build and opts.out, "suite.lua: --top, --build and --out are required")
end

package.path = opts.top .. "/lua/?.lua;" .. package.path
local json = require("luaflash.json")
local svg = require("luaflash.svg")

local top, build, out = opts.top, opts.build, opts.out
local luaflash = build .. "/luaflash"
local standin = build .. "/standin"

local U = dofile(top .. "/scripts/benchmark.d/util.lua")
local q, readfile, writefile, sh = U.q, U.readfile, U.writefile, U.sh

local function log(fmt, ...) io.stderr:write(string.format("benchmark: " .. fmt .. "\n", ...)) end

-- Host CPU (user + sys) of the whole process tree of one command, from
-- /usr/bin/time (getrusage of the waited-for child).
local function timed(cmd, stdout, stderr, env)
  local tf = out .. "/cpu.txt"
  os.remove(tf)
  local full = string.format("%s /usr/bin/time -f '%%U %%S' -o %s %s >%s 2>%s", env or "", q(tf), cmd,
    q(stdout), q(stderr))
  local ok, code = sh(full)
  local t = readfile(tf) or ""
  -- /usr/bin/time writes "Command exited with non-zero status N" first on failure
  local u, s = t:match("([%d%.]+)%s+([%d%.]+)%s*$")
  return ok, code, tonumber(u), tonumber(s)
end

-- ---------------------------------------------------------------------------
-- images

local images = {}
local function make_images()
  local mk = build .. "/lf-bench-image"
  local function img(name, board, size)
    local p = out .. "/" .. name
    assert((sh(string.format("%s --board %s %d %s", q(mk), board, size, q(p)))), "lf-bench-image failed")
    images[name] = p
  end
  img("f767-65k.bin", "nucleo-f767zi", 66560)
  img("f429-65k.bin", "nucleo-f429zi", 66560)
  img("f767-2m.bin", "nucleo-f767zi", 2 * 1024 * 1024)
  img("h743-65k.bin", "nucleo-h743zi", 66560)
  img("h743-2m.bin", "nucleo-h743zi", 2 * 1024 * 1024)
  -- pyOCD's built-in F439 algorithm as an FLM, from the installed package
  assert((sh(string.format("%s STM32F439xx STM32F439xI %s", q(top .. "/scripts/pyocd-flm"),
    q(out .. "/pyocd-f439.FLM")))), "scripts/pyocd-flm failed (python3-pyocd installed?)")
  img("f103-65k.bin", "nucleo-f103rb", 66560)
  img("f103rc-65k.bin", "nucleo-f103rc", 66560)
  img("l476-65k.bin", "nucleo-l476rg", 66560)
  -- RP2040 (group 11): the Pico's demo (boot2 + blink) + filler, 65 KB and
  -- 1.5 MB (1 500 000 bytes: 5860 pages, 366.2 sectors)
  img("pico-65k.bin", "pico", 66560)
  img("pico-1m5.bin", "pico", 1500000)
  img("nrf52840-65k.bin", "nrf52840-dk", 66560) -- nRF52840 (issue 15): demo at 0 + filler
  -- realistic images (scripts/gen-realistic.sh, committed): newlib/libstdc++ applications
  for _, n in ipairs({ "small", "medium", "large", "xl" }) do
    images["real-" .. n .. ".bin"] = top .. "/scripts/realistic-fw/" .. n .. ".bin"
  end
  -- one byte inserted at the start: every following byte moves up by one,
  -- so the content of every sector differs from what the flash holds
  local base = readfile(images["f767-65k.bin"])
  images["f767-65k-shift.bin"] = out .. "/f767-65k-shift.bin"
  writefile(images["f767-65k-shift.bin"], "\x5a" .. base)
  -- bits-only updates of the 65 KB image (issue 17): every 7th byte ANDed
  -- with 0xF0 (most words change, only 1 -> 0), and a patch that zeroes 16
  -- bytes in each of its three sectors (a few words change)
  local clear, patch = {}, {}
  for i = 1, #base do
    local v = base:byte(i)
    clear[i] = string.char(i % 7 == 0 and v & 0xF0 or v)
    local o = (i - 1) % 32768
    patch[i] = string.char(o >= 0x100 and o < 0x110 and 0 or v)
  end
  images["f767-65k-clear.bin"] = out .. "/f767-65k-clear.bin"
  writefile(images["f767-65k-clear.bin"], table.concat(clear))
  images["f767-65k-patch.bin"] = out .. "/f767-65k-patch.bin"
  writefile(images["f767-65k-patch.bin"], table.concat(patch))
  -- 256 bytes of calibration data (for 0x08011000: sector 2, the 65 KB image's last)
  local cal = {}
  for i = 1, 256 do cal[i] = string.char((i * 37 + 11) % 256) end
  images["f767-cal256.bin"] = out .. "/f767-cal256.bin"
  writefile(images["f767-cal256.bin"], table.concat(cal))
end

-- ---------------------------------------------------------------------------
-- scenarios

local PROJ = top .. "/scripts/bench-projects/"
-- pyOCD's default behaviour: the example project (settings + program(ctx)),
-- the same file users run; scenario 2 is it with the tuned user's overrides
local PYOCD = top .. "/scripts/examples/pyocd_default.lua"
-- the published tuned pyOCD setup (4.9 s): sector erase, SWD 4 MHz, no
-- keep_unwritten and smart-flash read-backs, no 5 s power-down wait
local pyocd_tuned = { "erase=sector", "clock=4MHz", "keep_unwritten=false", "smart_flash=false",
  "disconnect_timeout=0" }

-- kind "luaflash": project, board (bench name), image, args, probe, prep
--   (runs on the same board state before the measured one), standin (also
--   run the same command through the libusb stand-in for the whole-process
--   virtual time); kind "peer": tool, board, image.
-- real: a published real-hardware figure for the same job (calibration).
local scenarios = {
  { id = "pyocd-default", group = "1", kind = "luaflash", project = PYOCD,
    board = "nucleo-f767zi", image = "f767-65k.bin",
    label = "pyOCD defaults (luaflash project)", real = 25.5,
    what = "chip erase at x8 (pyOCD's F767 algorithm: erase_psize = \"x8\"), 1.8 MHz, keep_unwritten, read-back smart flash, 1 KiB page at a time with a halt per page, CRC32 verify of the written sectors, 5 s power-down wait" },
  -- the published intermediate step (12.5 s): the user script's sector
  -- erase and 4 MHz, the 5 s power-down wait still there (calibration P2)
  { id = "pyocd-sector", group = "1", kind = "luaflash", project = PYOCD,
    board = "nucleo-f767zi", image = "f767-65k.bin", args = { "erase=sector", "clock=4MHz" },
    label = "pyOCD defaults, sector erase, 4 MHz", real = 12.5,
    real_note = "the published intermediate step: a user script with sector erase and 4 MHz, the 5 s power-down wait still there",
    what = "scenario 1 with erase=sector clock=4MHz (5 s power-down wait kept)" },
  { id = "pyocd-tuned", group = "2", kind = "luaflash", project = PYOCD,
    board = "nucleo-f767zi", image = "f767-65k.bin", args = pyocd_tuned,
    label = "pyOCD tuned (luaflash project)", real = 4.9,
    what = "sector erase, 4 MHz, no keep_unwritten, no smart flash, no power-down wait; still page by page" },
  { id = "openocd", group = "3", kind = "peer", tool = "openocd", board = "nucleo-f767zi", image = "f767-65k.bin",
    label = "OpenOCD 0.12 (program ... verify reset)",
    what = "openocd -f board/st_nucleo_f7.cfg -c 'program IMG 0x08000000 verify reset exit'" },
  { id = "st-flash", group = "3", kind = "peer", tool = "st-flash", board = "nucleo-f767zi", image = "f767-65k.bin",
    label = "st-flash 1.7 (--reset write)",
    what = "st-flash --reset write IMG 0x08000000" },
  { id = "pyocd-f429", group = "3", kind = "peer", tool = "pyocd", board = "nucleo-f429zi", image = "f429-65k.bin",
    label = "pyOCD 0.13.1 on NUCLEO-F429ZI", what = "pyocd-flashtool -t stm32f439xi -a 0x08000000 IMG" },
  { id = "f429", group = "3", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "f429-65k.bin", args = { "board=nucleo_f429zi" }, standin = true,
    label = "luaflash defaults on NUCLEO-F429ZI",
    what = "board = nucleo_f429zi" },
  { id = "full", group = "4", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", standin = true, timeline = true,
    label = "luaflash defaults: full program", what = "new 65 KB image on an erased board" },
  { id = "unchanged", group = "4", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", prep = { { image = "f767-65k.bin" } },
    label = "luaflash defaults: unchanged re-flash", what = "the same image again (smart flash: CRC32 per sector on the target)" },
  { id = "shift", group = "4", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k-shift.bin", prep = { { image = "f767-65k.bin" } },
    label = "luaflash defaults: one byte inserted at the start",
    what = "66561 bytes over the 65 KB image: every sector's content shifted" },
  { id = "2m", group = "4", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-2m.bin", label = "luaflash defaults: 2 MB image", what = "erase = auto (the default)" },
  { id = "2m-chip", group = "4", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-2m.bin", args = { "erase=chip" }, label = "luaflash: 2 MB image, erase=chip",
    what = "one mass erase: nothing is programmed while it runs" },
  { id = "v3", group = "4", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", probe = "v3", label = "luaflash defaults: STLINK-V3", what = "--bench-probe v3 (high-speed USB; SWD 3.3 MHz, nearest not above 4 MHz)" },
  -- protected regions (issue 21): a 256-byte calibration record in sector 2,
  -- which the 65 KB image also uses; the plain run loses it, the protected
  -- run reads it, writes it back and proves it (CRC32 before and after)
  { id = "cal-plain", group = "5", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", prep = { { image = "f767-cal256.bin", args = { "base=0x08011000" } } },
    label = "luaflash defaults: 65 KB over calibration data (lost)",
    what = "256 bytes at 0x08011000 (sector 2) before; no protect: sector 2 is erased and they are gone" },
  { id = "protect", group = "5", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", prep = { { image = "f767-cal256.bin", args = { "base=0x08011000" } } },
    args = { "protect=0x08011000:0x100:calibration" },
    label = "luaflash: the same, calibration protected",
    what = "protect = {{0x08011000, 0x100, \"calibration\"}}: CRC32 before, read, saved on the host, written back, proven after" },
  -- CMSIS-Pack flash algorithms (issue 16): luaflash's own FLM for the F767
  -- from its test pack, streamed by the dispatcher; pyOCD 0.13.1's built-in
  -- F439 algorithm (read from the installed package by scripts/pyocd-flm)
  -- through the same adapter, against pyOCD itself running it (pyocd-f429)
  { id = "flm-f767", group = "7", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", args = { "pack=" .. top .. "/tests/data/flm/Luaflash.BenchParts_DFP.1.0.0.pack",
      "chip=STM32F767ZI" },
    label = "luaflash: F767 through an FLM (test pack), streamed",
    what = "pack = tests/data/flm/Luaflash.BenchParts_DFP.1.0.0.pack, chip = STM32F767ZI: luaflash's own FLM behind its dispatcher" },
  { id = "flm-pyocd-f429", group = "7", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "f429-65k.bin", args = { "board=nucleo_f429zi", "flm=" .. out .. "/pyocd-f439.FLM" },
    label = "luaflash: pyOCD's F439 algorithm, streamed",
    what = "flm = pyOCD 0.13.1's built-in STM32F439 algorithm (scripts/pyocd-flm), behind luaflash's dispatcher; compare pyocd-f429" },
  -- STM32H743 (NUCLEO-H743ZI, issue 14): two flash banks that erase and
  -- program at the same time; OpenOCD on the same bench; the 2 MB image
  -- through the ST-LINK/V2-1 (link-bound) and through an STLINK-V3 at 24 MHz
  -- (flash-bound), each beside the time the probe needs just to upload it
  { id = "h743-full", group = "6", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-h743zi",
    image = "h743-65k.bin", args = { "board=nucleo_h743zi" }, standin = true,
    label = "luaflash defaults on NUCLEO-H743ZI: full program", what = "board = nucleo_h743zi; 65 KB on an erased board" },
  { id = "h743-unchanged", group = "6", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-h743zi",
    image = "h743-65k.bin", args = { "board=nucleo_h743zi" },
    prep = { { image = "h743-65k.bin", args = { "board=nucleo_h743zi" } } },
    label = "luaflash defaults on NUCLEO-H743ZI: unchanged re-flash", what = "the same image again (smart flash)" },
  { id = "h743-openocd", group = "6", kind = "peer", tool = "openocd", board = "nucleo-h743zi", image = "h743-65k.bin",
    label = "OpenOCD 0.12 on NUCLEO-H743ZI (program ... verify reset)",
    what = "openocd -f board/st_nucleo_h743zi.cfg -c 'program IMG 0x08000000 verify reset exit'" },
  { id = "h743-2m", group = "6", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-h743zi",
    image = "h743-2m.bin", args = { "board=nucleo_h743zi" },
    label = "luaflash defaults on NUCLEO-H743ZI: 2 MB image", what = "both banks; erase = auto; ST-LINK/V2-1 at 4 MHz" },
  { id = "h743-2m-upload", group = "6", kind = "luaflash", project = PROJ .. "upload.lua", board = "nucleo-h743zi",
    image = "h743-2m.bin", label = "NUCLEO-H743ZI: 2 MB upload only (the link's bound)",
    what = "upload.lua: the image into target RAM in 8 KiB writes, nothing flashed" },
  { id = "h743-2m-v3", group = "6", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-h743zi",
    image = "h743-2m.bin", probe = "v3", args = { "board=nucleo_h743zi", "clock=24MHz" },
    label = "luaflash on NUCLEO-H743ZI with an STLINK-V3: 2 MB image",
    what = "--bench-probe v3 (the NUCLEO-H743ZI2's probe), clock=24MHz: flash-bound" },
  { id = "h743-2m-v3-upload", group = "6", kind = "luaflash", project = PROJ .. "upload.lua", board = "nucleo-h743zi",
    image = "h743-2m.bin", probe = "v3", args = { "clock=24MHz" },
    label = "NUCLEO-H743ZI, STLINK-V3 at 24 MHz: 2 MB upload only", what = "upload.lua through the V3" },
  -- CMSIS-DAP (issue 13): the 65 KB job through a DAPLink (v2 bulk and v1
  -- HID) and a Raspberry Pi Debug Probe (v2 bulk), each v2 probe at the
  -- highest SWD clock its firmware produces, and OpenOCD's cmsis-dap driver
  -- on the same probes
  { id = "dap-v2", group = "8", kind = "luaflash", project = PROJ .. "default.lua",
    board = "nucleo-f767zi@daplink", image = "f767-65k.bin", args = { "clock=10MHz" }, standin = true,
    label = "luaflash: DAPLink, CMSIS-DAP v2 (bulk)",
    what = "a DAPLink on the NUCLEO's SWD header, v2 bulk; 10 MHz asked (any request from 4 MHz gives its highest SWCLK, 2 MHz)" },
  { id = "dap-rpi", group = "8", kind = "luaflash", project = PROJ .. "default.lua",
    board = "nucleo-f767zi@rpi-debugprobe", image = "f767-65k.bin", args = { "clock=50MHz" }, standin = true,
    label = "luaflash: Raspberry Pi Debug Probe (v2 bulk)",
    what = "a Debug Probe on the SWD header; 50 MHz asked (its highest SWCLK, clk_sys / 4 = 31.25 MHz)" },
  { id = "dap-hid", group = "8", kind = "luaflash", project = PROJ .. "daplink-hid.lua",
    board = "nucleo-f767zi@daplink", image = "f767-65k.bin", args = { "clock=10MHz" }, standin = true,
    label = "luaflash: DAPLink, CMSIS-DAP v1 (HID)",
    what = "probe = { kind = \"cmsis-dap\", transport = \"hid\" }: the DAPLink's HID interface, 64-byte reports" },
  { id = "openocd-daplink", group = "8", kind = "peer", tool = "openocd", board = "nucleo-f767zi@daplink",
    image = "f767-65k.bin", label = "OpenOCD 0.12 cmsis-dap: DAPLink (v2 bulk)",
    what = "openocd -f interface/cmsis-dap.cfg -c 'cmsis_dap_backend usb_bulk' -f target/stm32f7x.cfg -c 'program IMG 0x08000000 verify reset exit'" },
  { id = "openocd-rpi", group = "8", kind = "peer", tool = "openocd", board = "nucleo-f767zi@rpi-debugprobe",
    image = "f767-65k.bin", label = "OpenOCD 0.12 cmsis-dap: Debug Probe (v2 bulk)",
    what = "the same through the Debug Probe" },
  -- 64 KiB RAM write and read (scripts/bench-ram) on the NUCLEO-F429ZI (the
  -- board all three tools drive): luaflash, OpenOCD, pyOCD through the
  -- DAPLink's v1 HID and v2 bulk interfaces and the Debug Probe
  { id = "ram-luaflash-hid", group = "ram", kind = "ram", tool = "luaflash", board = "nucleo-f429zi@daplink", transport = "hid", hz = 10000000 },
  { id = "ram-luaflash-v2", group = "ram", kind = "ram", tool = "luaflash", board = "nucleo-f429zi@daplink", transport = "bulk", hz = 10000000 },
  { id = "ram-luaflash-rpi", group = "ram", kind = "ram", tool = "luaflash", board = "nucleo-f429zi@rpi-debugprobe", transport = "bulk", hz = 50000000 },
  { id = "ram-openocd-hid", group = "ram", kind = "ram", tool = "openocd", board = "nucleo-f429zi@daplink", transport = "hid", hz = 10000000 },
  { id = "ram-openocd-v2", group = "ram", kind = "ram", tool = "openocd", board = "nucleo-f429zi@daplink", transport = "bulk", hz = 10000000 },
  { id = "ram-openocd-rpi", group = "ram", kind = "ram", tool = "openocd", board = "nucleo-f429zi@rpi-debugprobe", transport = "bulk", hz = 50000000 },
  { id = "ram-pyocd-hid", group = "ram", kind = "ram", tool = "pyocd", board = "nucleo-f429zi@daplink", transport = "hid", hz = 10000000 },
  { id = "ram-pyocd-v2", group = "ram", kind = "ram", tool = "pyocd", board = "nucleo-f429zi@daplink", transport = "bulk", hz = 10000000 },
  { id = "ram-pyocd-rpi", group = "ram", kind = "ram", tool = "pyocd", board = "nucleo-f429zi@rpi-debugprobe", transport = "bulk", hz = 50000000 },
  -- the page-flash parts (group 9, report section 8)
  -- STM32F1 (issue 14): the NUCLEO-F103RB (1 KiB pages) and the bench's
  -- F103RC variant (2 KiB pages, pyOCD's stm32f103rc target)
  { id = "f103", group = "9", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f103rb",
    image = "f103-65k.bin", args = { "board=nucleo_f103rb" }, standin = true,
    label = "luaflash defaults on NUCLEO-F103RB", what = "board = nucleo_f103rb: 65 pages of 1 KiB, half-words" },
  { id = "f103-unchanged", group = "9", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f103rb",
    image = "f103-65k.bin", args = { "board=nucleo_f103rb" },
    prep = { { image = "f103-65k.bin", args = { "board=nucleo_f103rb" } } },
    label = "luaflash: unchanged re-flash on NUCLEO-F103RB", what = "the same image again (CRC32 per page on the target)" },
  { id = "openocd-f103", group = "9", kind = "peer", tool = "openocd", board = "nucleo-f103rb", image = "f103-65k.bin",
    label = "OpenOCD 0.12 on NUCLEO-F103RB",
    what = "openocd -f board/st_nucleo_f103rb.cfg -c 'program IMG 0x08000000 verify reset exit'" },
  { id = "f103rc", group = "9", kind = "luaflash", project = PROJ .. "f103rc.lua", board = "nucleo-f103rc",
    image = "f103rc-65k.bin", standin = true,
    label = "luaflash defaults on the F103RC", what = "chip = stm32f103rc: 33 pages of 2 KiB" },
  { id = "f103rc-unchanged", group = "9", kind = "luaflash", project = PROJ .. "f103rc.lua", board = "nucleo-f103rc",
    image = "f103rc-65k.bin", prep = { { project = PROJ .. "f103rc.lua", image = "f103rc-65k.bin" } },
    label = "luaflash: unchanged re-flash on the F103RC", what = "the same image again" },
  { id = "openocd-f103rc", group = "9", kind = "peer", tool = "openocd", board = "nucleo-f103rc", image = "f103rc-65k.bin",
    label = "OpenOCD 0.12 on the F103RC", what = "openocd -f board/st_nucleo_f103rb.cfg (the F103RC model behind it)" },
  { id = "f103rc-fastest", group = "9", kind = "luaflash", project = PROJ .. "f103rc.lua", board = "nucleo-f103rc",
    image = "f103rc-65k.bin", args = { "erase=fastest" },
    label = "luaflash erase=fastest on the F103RC", what = "a mass erase (20 ms) instead of 33 page erases, as pyOCD's chip erase: the rest of the flash is lost" },
  { id = "pyocd-f103rc", group = "9", kind = "peer", tool = "pyocd", board = "nucleo-f103rc", image = "f103rc-65k.bin",
    label = "pyOCD 0.13.1 on the F103RC", what = "pyocd-flashtool -t stm32f103rc -a 0x08000000 IMG (chip erase: it erases all 256 KiB)" },
  -- STM32L4 (issue 14): the NUCLEO-L476RG (two banks of 2 KiB pages, double words)
  { id = "l476", group = "9", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-l476rg",
    image = "l476-65k.bin", args = { "board=nucleo_l476rg" }, standin = true,
    label = "luaflash defaults on NUCLEO-L476RG", what = "board = nucleo_l476rg: 33 pages of 2 KiB, 8320 double words" },
  { id = "l476-unchanged", group = "9", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-l476rg",
    image = "l476-65k.bin", args = { "board=nucleo_l476rg" },
    prep = { { image = "l476-65k.bin", args = { "board=nucleo_l476rg" } } },
    label = "luaflash: unchanged re-flash on NUCLEO-L476RG", what = "the same image again (CRC32 per page on the CRC unit)" },
  { id = "l476-fastest", group = "9", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-l476rg",
    image = "l476-65k.bin", args = { "board=nucleo_l476rg", "erase=fastest" },
    label = "luaflash erase=fastest on NUCLEO-L476RG", what = "a mass erase of both banks (22 ms) instead of 33 page erases, as pyOCD's chip erase" },
  { id = "openocd-l476", group = "9", kind = "peer", tool = "openocd", board = "nucleo-l476rg", image = "l476-65k.bin",
    label = "OpenOCD 0.12 on NUCLEO-L476RG",
    what = "openocd -f board/st_nucleo_l4.cfg -c 'program IMG 0x08000000 verify reset exit'" },
  { id = "pyocd-l476", group = "9", kind = "peer", tool = "pyocd", board = "nucleo-l476rg", image = "l476-65k.bin",
    label = "pyOCD 0.13.1 on NUCLEO-L476RG", what = "pyocd-flashtool -t stm32l475xg -a 0x08000000 IMG (chip erase: both banks)" },
  -- RP2040 / Raspberry Pi Pico through its Debug Probe (group 11, issue 15,
  -- report section 10): the 1.5 MB job against its QSPI floor and the
  -- probe's upload time (the same bytes into SRAM), OpenOCD's rp2040_flash
  -- on the same bench at the same clock; the 65 KB job beside it
  { id = "pico-1m5", group = "11", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "pico-1m5.bin", args = { "clock=50MHz" }, standin = true,
    label = "luaflash defaults on the Pico: 1.5 MB image",
    what = "board = pico (Debug Probe, 50 MHz asked: 31.25 MHz SWCLK); 1.5 MB on an erased flash" },
  { id = "pico-1m5-unchanged", group = "11", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "pico-1m5.bin", args = { "clock=50MHz" }, prep = { { project = PROJ .. "pico.lua", image = "pico-1m5.bin", args = { "clock=50MHz" } } },
    label = "luaflash defaults on the Pico: 1.5 MB unchanged re-flash", what = "the same image again (smart flash: sector CRCs by the DMA sniffer)" },
  { id = "pico-1m5-upload", group = "11", kind = "luaflash", project = PROJ .. "upload-pico.lua", board = "pico",
    image = "pico-1m5.bin", args = { "clock=50MHz" },
    label = "Pico: 1.5 MB upload only (the probe's rate)", what = "upload-pico.lua: the image into SRAM in 8 KiB writes, nothing flashed" },
  { id = "openocd-pico-1m5", group = "11", kind = "peer", tool = "openocd", board = "pico", image = "pico-1m5.bin",
    ocd_khz = 50000, label = "OpenOCD 0.12 on the Pico: 1.5 MB (program ... verify reset)",
    what = "openocd -f interface/cmsis-dap.cfg -c 'cmsis_dap_backend usb_bulk' -f target/rp2040.cfg -c 'adapter speed 50000' -c 'program IMG 0x10000000 verify reset exit'" },
  { id = "pico-65k", group = "11", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "pico-65k.bin", args = { "clock=50MHz" }, standin = true,
    label = "luaflash defaults on the Pico: 65 KB", what = "the same settings, 65 KB" },
  { id = "openocd-pico-65k", group = "11", kind = "peer", tool = "openocd", board = "pico", image = "pico-65k.bin",
    ocd_khz = 50000, label = "OpenOCD 0.12 on the Pico: 65 KB", what = "the same OpenOCD command, 65 KB" },
  -- ---- nRF52840 (issue 15; group 10, report section 9) ----
  -- the nRF52840 DK through a DAPLink (CMSIS-DAP v2 bulk): 17 pages of 4 KiB, 16640 words
  { id = "nrf52", group = "10", kind = "luaflash", project = PROJ .. "default.lua", board = "nrf52840-dk",
    image = "nrf52840-65k.bin", args = { "board=nrf52840_dk" }, standin = true,
    label = "luaflash defaults on the nRF52840 DK", what = "board = nrf52840_dk: 17 page erases + 16640 words, DAPLink v2 bulk" },
  { id = "nrf52-unchanged", group = "10", kind = "luaflash", project = PROJ .. "default.lua", board = "nrf52840-dk",
    image = "nrf52840-65k.bin", args = { "board=nrf52840_dk" },
    prep = { { image = "nrf52840-65k.bin", args = { "board=nrf52840_dk" } } },
    label = "luaflash: unchanged re-flash on the nRF52840 DK", what = "the same image again (CRC32 per page on the core, software table)" },
  { id = "nrf52-fastest", group = "10", kind = "luaflash", project = PROJ .. "default.lua", board = "nrf52840-dk",
    image = "nrf52840-65k.bin", args = { "board=nrf52840_dk", "erase=fastest" },
    label = "luaflash erase=fastest on the nRF52840 DK", what = "NVMC ERASEALL (169 ms) instead of 17 page erases, as pyOCD's chip erase: the rest of the flash and the UICR are lost" },
  { id = "openocd-nrf52", group = "10", kind = "peer", tool = "openocd", board = "nrf52840-dk@daplink", image = "nrf52840-65k.bin",
    label = "OpenOCD 0.12 on the nRF52840 DK",
    what = "openocd -f interface/cmsis-dap.cfg -f target/nrf52.cfg -c 'program IMG 0 verify reset exit' (DAPLink v2 bulk)" },
  { id = "pyocd-nrf52", group = "10", kind = "peer", tool = "pyocd", board = "nrf52840-dk@daplink", image = "nrf52840-65k.bin",
    label = "pyOCD 0.13.1 on the nRF52840 DK", what = "pyocd-flashtool -t nrf52840 -a 0 IMG (DAPLink v1 HID; chip erase: EraseAll, the UICR too)" },
  -- calibration: the USB latency sensitivity of scenarios 1-2
  -- (usb_transfer_latency_ns sets the FS and HS rows alike)
  { id = "pyocd-default-lat1ms", group = "cal", kind = "luaflash", project = PYOCD,
    board = "nucleo-f767zi", image = "f767-65k.bin", params = { "usb_transfer_latency_ns=1000000" },
    label = "scenario 1 with 1 ms USB latency", what = "--bench-param usb_transfer_latency_ns=1000000" },
  { id = "pyocd-tuned-lat1ms", group = "cal", kind = "luaflash", project = PYOCD,
    board = "nucleo-f767zi", image = "f767-65k.bin", args = pyocd_tuned, params = { "usb_transfer_latency_ns=1000000" },
    label = "scenario 2 with 1 ms USB latency", what = "--bench-param usb_transfer_latency_ns=1000000" },
  { id = "pyocd-default-max", group = "cal", kind = "luaflash", project = PYOCD,
    board = "nucleo-f767zi", image = "f767-65k.bin", params = { "flash_timing_max=1" },
    label = "scenario 1 with maximum flash times", what = "--bench-param flash_timing_max=1 (the 16 s maximum mass erase is within the default flash_timeout: 2 x the slowest maximum erase + 1 s)" },
  { id = "pyocd-tuned-max", group = "cal", kind = "luaflash", project = PYOCD,
    board = "nucleo-f767zi", image = "f767-65k.bin", args = pyocd_tuned, params = { "flash_timing_max=1" },
    label = "scenario 2 with maximum flash times", what = "--bench-param flash_timing_max=1" },
  -- erase avoidance (issue 17): the same jobs on blank boards with the
  -- defaults (erase_avoid on); the bound is the larger of the words'
  -- programming time and the upload at the probe's own rate (the ram-*-st
  -- rows: a RAM write of the same bench, scaled to the image's bytes)
  { id = "blank-f767", group = "12", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", cmp = "full", ram = "ram-luaflash-stlink",
    label = "luaflash defaults, blank F767 (ST-LINK/V2-1)", what = "65 KB on a blank board: no sector read other than blank, none erased" },
  { id = "blank-v3", group = "12", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", probe = "v3", cmp = "v3", ram = "ram-luaflash-v3",
    label = "luaflash defaults, blank F767 (STLINK-V3)", what = "--bench-probe v3, 65 KB on a blank board" },
  { id = "blank-f429", group = "12", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "f429-65k.bin", args = { "board=nucleo_f429zi" }, cmp = "f429", ram = "ram-luaflash-stlink-f429",
    label = "luaflash defaults, blank F429", what = "board = nucleo_f429zi, 65 KB on a blank board" },
  { id = "blank-2m", group = "12", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-2m.bin", cmp = "2m", ram = "ram-luaflash-stlink",
    label = "luaflash defaults, blank F767, 2 MB", what = "2 MB on a blank board (erase = auto)" },
  { id = "blank-f103", group = "12", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f103rb",
    image = "f103-65k.bin", args = { "board=nucleo_f103rb" }, cmp = "f103", ram = "ram-luaflash-stlink-f103",
    label = "luaflash defaults, blank F103RB", what = "board = nucleo_f103rb, 65 pages on a blank board" },
  { id = "blank-flm-pyocd-f429", group = "12", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "f429-65k.bin", args = { "board=nucleo_f429zi", "flm=" .. out .. "/pyocd-f439.FLM" }, cmp = "flm-pyocd-f429",
    ram = "ram-luaflash-stlink-f429",
    label = "luaflash defaults, blank F429, pyOCD's F439 algorithm", what = "flm = pyOCD 0.13.1's F439 algorithm on a blank board; compare pyocd-f429 (4.3 s)" },
  { id = "blank-pico-1m5", group = "12", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "pico-1m5.bin", args = { "clock=50MHz" }, standin = true, cmp = "pico-1m5", up = "pico-1m5-upload",
    label = "luaflash defaults, blank Pico, 1.5 MB", what = "board = pico, 1.5 MB on a blank flash (no block or sector erased)" },
  -- issue 17 (b) on the RP2040: the pseudo-random 65 KB on a blank flash,
  -- its bound from an upload-only run of the same bytes at the same clock
  { id = "blank-pico-65k", group = "12", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "pico-65k.bin", args = { "clock=50MHz" }, cmp = "pico-65k", up = "pico-65k-upload",
    label = "luaflash defaults, blank Pico, 65 KB", what = "board = pico, the 65 KB image on a blank flash" },
  { id = "pico-65k-upload", group = "12z", kind = "luaflash", project = PROJ .. "upload-pico.lua", board = "pico",
    image = "pico-65k.bin", args = { "clock=50MHz" }, label = "Pico: 65 KB upload only (the probe's rate)",
    what = "upload-pico.lua: the 65 KB image into SRAM, nothing flashed" },
  -- bits-only (issue 17): over the 65 KB image, updates that only clear
  -- bits, with the defaults (bits_only on) against bits_only=false
  { id = "bits-clear", group = "12b", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k-clear.bin", prep = { { image = "f767-65k.bin" } }, cmp = "bits-clear-erase",
    label = "65 KB update that only clears bits (every 7th byte & 0xF0), F767",
    what = "over the 65 KB image, defaults: no sector erased, the words that differ programmed" },
  { id = "bits-clear-erase", group = "12bz", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k-clear.bin", prep = { { image = "f767-65k.bin" } }, args = { "bits_only=false" },
    label = "the same, bits_only = false", what = "the same, bits_only = false (every sector erased)" },
  { id = "bits-patch", group = "12b", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k-patch.bin", prep = { { image = "f767-65k.bin" } }, cmp = "bits-patch-erase",
    label = "65 KB update zeroing 16 bytes per sector, F767",
    what = "over the 65 KB image, defaults: no sector erased, 4 words per sector programmed" },
  { id = "bits-patch-erase", group = "12bz", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k-patch.bin", prep = { { image = "f767-65k.bin" } }, args = { "bits_only=false" },
    label = "the same, bits_only = false", what = "the same, bits_only = false (every sector erased)" },
  { id = "blank-nrf52", group = "12", kind = "luaflash", project = PROJ .. "default.lua", board = "nrf52840-dk",
    image = "nrf52840-65k.bin", args = { "board=nrf52840_dk" }, cmp = "nrf52", ram = "ram-luaflash-v2",
    label = "luaflash defaults, blank nRF52840 DK (DAPLink v2)", what = "board = nrf52840_dk, 65 KB on a blank flash (no page erased)" },
  -- compressed upload (issue 17): blank boards, realistic images and the
  -- pseudo-random one, compress = "auto" (the default) against false; the
  -- erasing rows give the erase + program floor of the same image
  { id = "z-small", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-small.bin", cmp = "z-small-off", ram = "ram-luaflash-stlink", erasing = "z-small-erase",
    label = "realistic 66 KB (newlib C), blank F767", what = "scripts/realistic-fw/small.bin, compress = auto" },
  { id = "z-small-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-small.bin", args = { "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-erase", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-small.bin", args = { "compress=false", "erase_avoid=false" },
    what = "the same, compress = false, erase_avoid = false (as over other firmware)" },
  { id = "z-medium", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-medium.bin", cmp = "z-medium-off", ram = "ram-luaflash-stlink",
    label = "realistic 297 KB (libstdc++ -Os), blank F767", what = "scripts/realistic-fw/medium.bin, compress = auto" },
  { id = "z-medium-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-medium.bin", args = { "compress=false" }, what = "the same, compress = false" },
  { id = "z-large", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-large.bin", cmp = "z-large-off", ram = "ram-luaflash-stlink",
    label = "realistic 683 KB (libstdc++ -O0), blank F767", what = "scripts/realistic-fw/large.bin, compress = auto" },
  { id = "z-large-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-large.bin", args = { "compress=false" }, what = "the same, compress = false" },
  { id = "z-xl", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-xl.bin", cmp = "z-xl-off", ram = "ram-luaflash-stlink",
    label = "realistic 977 KB (libstdc++ -O0), blank F767", what = "scripts/realistic-fw/xl.bin, compress = auto" },
  { id = "z-xl-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "real-xl.bin", args = { "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-f429", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "real-small.bin", args = { "board=nucleo_f429zi" }, cmp = "z-small-f429-off", ram = "ram-luaflash-stlink-f429",
    label = "realistic 66 KB (newlib C), blank F429", what = "board = nucleo_f429zi, compress = auto" },
  { id = "z-small-f429-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "real-small.bin", args = { "board=nucleo_f429zi", "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-f429-erase", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "real-small.bin", args = { "board=nucleo_f429zi", "compress=false", "erase_avoid=false" },
    label = "realistic 66 KB, F429, erasing", what = "the same, compress = false, erase_avoid = false (as over other firmware)" },
  { id = "z-xl-f429", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f429zi",
    image = "real-xl.bin", args = { "board=nucleo_f429zi" }, ram = "ram-luaflash-stlink-f429",
    label = "realistic 977 KB (libstdc++ -O0), blank F429", what = "board = nucleo_f429zi, scripts/realistic-fw/xl.bin, compress = auto" },
  { id = "z-rand-on", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f767zi",
    image = "f767-65k.bin", args = { "compress=true" }, cmp = "blank-f767", ram = "ram-luaflash-stlink",
    label = "pseudo-random 65 KB, blank F767, compress = true", what = "the incompressible image forced compressed (auto: blank-f767)" },
  -- the other families' loaders (each family's core clock: F1 8 MHz HSI, L4
  -- the MSI the routine raises to 48 MHz, H7 64 MHz HSI, nRF52 64 MHz,
  -- RP2040 clk_sys); the F103RB with loader_ram = 20 KiB (its SRAM: the
  -- line's 10 KiB window has no room for the inflater)
  { id = "z-small-f103", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f103rb",
    image = "real-small.bin", args = { "board=nucleo_f103rb", "loader_ram=20480" }, cmp = "z-small-f103-off",
    ram = "ram-luaflash-stlink-f103",
    label = "realistic 66 KB (newlib C), blank F103RB", what = "board = nucleo_f103rb, loader_ram = 20480, compress = auto" },
  { id = "z-small-f103-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f103rb",
    image = "real-small.bin", args = { "board=nucleo_f103rb", "loader_ram=20480", "compress=false" },
    what = "the same, compress = false" },
  { id = "z-small-l476", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-l476rg",
    image = "real-small.bin", args = { "board=nucleo_l476rg" }, cmp = "z-small-l476-off", ram = "ram-luaflash-stlink" --[[ the same probe and clock ]],
    label = "realistic 66 KB (newlib C), L476RG (ECC: pages erased)", what = "board = nucleo_l476rg, compress = auto" },
  { id = "z-small-l476-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-l476rg",
    image = "real-small.bin", args = { "board=nucleo_l476rg", "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-h743", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-h743zi",
    image = "real-small.bin", args = { "board=nucleo_h743zi" }, cmp = "z-small-h743-off", ram = "ram-luaflash-stlink" --[[ the same probe and clock ]],
    label = "realistic 66 KB (newlib C), H743ZI (ECC: sector erased)", what = "board = nucleo_h743zi, compress = auto" },
  { id = "z-small-h743-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-h743zi",
    image = "real-small.bin", args = { "board=nucleo_h743zi", "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-nrf52", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nrf52840-dk",
    image = "real-small.bin", args = { "board=nrf52840_dk" }, cmp = "z-small-nrf52-off", ram = "ram-luaflash-v2",
    label = "realistic 66 KB (newlib C), blank nRF52840 DK (DAPLink v2)", what = "board = nrf52840_dk, compress = auto" },
  { id = "z-small-nrf52-off", group = "13z", kind = "luaflash", project = PROJ .. "default.lua", board = "nrf52840-dk",
    image = "real-small.bin", args = { "board=nrf52840_dk", "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-pico", group = "13", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "real-small.bin", args = { "clock=50MHz" }, cmp = "z-small-pico-off", up = "z-small-pico-upload",
    label = "realistic 66 KB (newlib C), blank Pico (Debug Probe, 50 MHz)", what = "board = pico, compress = auto" },
  { id = "z-small-pico-off", group = "13z", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "real-small.bin", args = { "clock=50MHz", "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-pico-erase", group = "13z", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "real-small.bin", args = { "clock=50MHz", "compress=false", "erase_avoid=false" },
    label = "realistic 66 KB, Pico, erasing", what = "the same, compress = false, erase_avoid = false (as over other firmware)" },
  { id = "z-xl-pico", group = "13", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "real-xl.bin", args = { "clock=50MHz" }, up = "z-xl-pico-upload",
    label = "realistic 977 KB (libstdc++ -O0), blank Pico (Debug Probe, 50 MHz)", what = "board = pico, scripts/realistic-fw/xl.bin, compress = auto" },
  { id = "z-xl-pico-upload", group = "13z", kind = "luaflash", project = PROJ .. "upload-pico.lua", board = "pico",
    image = "real-xl.bin", args = { "clock=50MHz" }, label = "Pico: realistic 977 KB upload only",
    what = "upload-pico.lua: the image into SRAM, nothing flashed" },
  { id = "z-small-pico-4m", group = "13", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "real-small.bin", args = { "clock=4MHz" }, cmp = "z-small-pico-4m-off", up = "z-small-pico-4m-upload",
    label = "realistic 66 KB (newlib C), blank Pico (Debug Probe, 4 MHz)", what = "board = pico, clock = 4 MHz, compress = auto" },
  { id = "z-small-pico-4m-off", group = "13z", kind = "luaflash", project = PROJ .. "pico.lua", board = "pico",
    image = "real-small.bin", args = { "clock=4MHz", "compress=false" }, what = "the same, compress = false" },
  { id = "z-small-f103-on", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-f103rb",
    image = "real-small.bin", args = { "board=nucleo_f103rb", "loader_ram=20480", "compress=true" }, cmp = "z-small-f103-off", ram = "ram-luaflash-stlink-f103",
    label = "realistic 66 KB, blank F103RB, compress = true", what = "the same, compress = true (the routine's cost where the flash is the bound)" },
  { id = "z-small-l476-on", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-l476rg",
    image = "real-small.bin", args = { "board=nucleo_l476rg", "compress=true" }, cmp = "z-small-l476-off", ram = "ram-luaflash-stlink",
    label = "realistic 66 KB, L476RG, compress = true", what = "the same, compress = true (the routine's cost where the flash is the bound)" },
  { id = "z-small-h743-on", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nucleo-h743zi",
    image = "real-small.bin", args = { "board=nucleo_h743zi", "compress=true" }, cmp = "z-small-h743-off", ram = "ram-luaflash-stlink",
    label = "realistic 66 KB, H743ZI, compress = true", what = "the same, compress = true (the routine's cost where the flash is the bound)" },
  { id = "z-small-nrf52-on", group = "13", kind = "luaflash", project = PROJ .. "default.lua", board = "nrf52840-dk",
    image = "real-small.bin", args = { "board=nrf52840_dk", "compress=true" }, cmp = "z-small-nrf52-off", ram = "ram-luaflash-v2",
    label = "realistic 66 KB, blank nRF52840 DK, compress = true", what = "the same, compress = true (the routine's cost where the flash is the bound)" },
  { id = "z-small-pico-upload", group = "13z", kind = "luaflash", project = PROJ .. "upload-pico.lua", board = "pico",
    image = "real-small.bin", args = { "clock=50MHz" }, what = "upload-pico.lua: the image into SRAM, nothing flashed" },
  { id = "z-small-pico-4m-upload", group = "13z", kind = "luaflash", project = PROJ .. "upload-pico.lua", board = "pico",
    image = "real-small.bin", args = { "clock=4MHz" }, what = "the same at 4 MHz" },
  { id = "ram-luaflash-stlink", group = "ram", kind = "ram", tool = "luaflash", board = "nucleo-f767zi", transport = "any", hz = 4000000 },
  { id = "ram-luaflash-v3", group = "ram", kind = "ram", tool = "luaflash", board = "nucleo-f767zi@v3", transport = "any", hz = 4000000 },
  { id = "ram-luaflash-stlink-f429", group = "ram", kind = "ram", tool = "luaflash", board = "nucleo-f429zi", transport = "any", hz = 4000000 },
  { id = "ram-luaflash-stlink-f103", group = "ram", kind = "ram", tool = "luaflash", board = "nucleo-f103rb", transport = "any", hz = 4000000,
    len = 16384 --[[ the F103RB's RAM is 20 KiB ]] },
}

-- The rows of sections 3-9 measure erase + program: they run with
-- erase_avoid=false, every touched sector erased as on a board that holds
-- other firmware (their boards start blank; section 11 has blank boards)
local erase_rows = { "f429", "full", "2m", "v3", "cal-plain", "protect", "flm-f767", "flm-pyocd-f429", "dap-v2",
  "dap-rpi", "dap-hid", "f103", "f103rc", "f103rc-fastest", "f103-unchanged", "f103rc-unchanged", "unchanged",
  "shift", "2m-chip", "h743-full", "h743-2m", "h743-2m-v3", "l476", "l476-fastest", "l476-unchanged",
  "pico-1m5", "pico-1m5-unchanged", "pico-65k", "nrf52", "nrf52-unchanged", "nrf52-fastest" }
do
  local want = {}
  for _, id in ipairs(erase_rows) do want[id] = true end
  for _, sc in ipairs(scenarios) do
    if want[sc.id] and sc.kind == "luaflash" then
      local a = { "erase_avoid=false" }
      for _, x in ipairs(sc.args or {}) do a[#a + 1] = x end
      sc.args = a
      sc.what = (sc.what or "") .. " (erase_avoid=false: as over other firmware)"
    end
  end
end

local function luaflash_cmd(sc, image, state, json_out, no_bench)
  local parts = { q(luaflash) }
  if not no_bench then parts[#parts + 1] = "--bench " .. sc.board end
  if sc.probe then parts[#parts + 1] = "--bench-probe " .. sc.probe end
  for _, p in ipairs(sc.params or {}) do parts[#parts + 1] = "--bench-param " .. p end
  if state then parts[#parts + 1] = "--bench-state " .. q(state) end
  parts[#parts + 1] = q(sc.project)
  parts[#parts + 1] = "image=" .. q(image)
  for _, a in ipairs(sc.args or {}) do parts[#parts + 1] = a end
  if json_out then parts[#parts + 1] = "--json" end
  return table.concat(parts, " ")
end

-- The same command for the user (paths relative to the tree, no state file).
local function shown_cmd(sc)
  if sc.kind == "peer" then
    return string.format("%sscripts/bench-peer %s %s %s", sc.ocd_khz and ("LF_PEER_OCD_KHZ=" .. sc.ocd_khz .. " ") or "",
      sc.tool, sc.board, sc.image)
  end
  local parts = { "luaflash --bench " .. sc.board }
  if sc.probe then parts[#parts + 1] = "--bench-probe " .. sc.probe end
  for _, p in ipairs(sc.params or {}) do parts[#parts + 1] = "--bench-param " .. p end
  parts[#parts + 1] = sc.project:sub(#top + 2)
  parts[#parts + 1] = "image=" .. sc.image
  for _, a in ipairs(sc.args or {}) do parts[#parts + 1] = a end
  return table.concat(parts, " ")
end

-- callgrind instruction counts of one luaflash process: the total, and the
-- self cost split by where the code lives: the simulated board (src/bench/,
-- Unicorn and the code Unicorn generates), luaflash itself (the rest of
-- src/, Lua, zlib, libusb) and the C runtime (libc, libm, ld.so: both use it).
local function callgrind_ir(cmd, tag)
  local cg = out .. "/callgrind." .. tag
  local errf = out .. "/" .. tag .. ".callgrind.err"
  local ok = sh(string.format("valgrind --tool=callgrind --callgrind-out-file=%s %s >/dev/null 2>%s",
    q(cg), cmd, q(errf)))
  if not ok then return nil end
  local ir = tonumber((readfile(errf) or ""):match("Collected%s*:%s*(%d+)"))
  local split = { bench = 0, luaflash = 0, runtime = 0 }
  local p = io.popen("callgrind_annotate --threshold=100 " .. q(cg) .. " 2>/dev/null")
  local body, seen = false, false
  for line in p:lines() do
    if line:find("file:function", 1, true) then body = true
    elseif body and line:match("^%s*$") and seen then break
    elseif body then
      local n, where = line:match("^%s*([%d,]+)%s+%(%s*[%d%.]+%%%)%s+(.*)$")
      if n then
        n = tonumber((n:gsub(",", "")))
      seen = true
        local obj = where:match("%[([^%]]*)%]%s*$") or ""
        local k
        if where:find("src/bench/", 1, true) or obj:find("libunicorn", 1, true) or obj == "???" then k = "bench"
        elseif obj:find("libc%.so") or obj:find("libm%.so") or obj:find("ld%-linux") then k = "runtime"
        else k = "luaflash" end
        split[k] = split[k] + n
      end
    end
  end
  p:close()
  return ir, split
end

-- LD_PRELOAD for a run through the stand-in: the stand-in, after the
-- sanitizer runtime when the build is a sanitizer build (it must come first).
local function preload()
  local lib = standin .. "/libusb-1.0.so.0"
  local p = io.popen("ldd " .. q(lib) .. " 2>/dev/null")
  local asan
  for line in p:lines() do asan = asan or line:match("libasan%S*%s+=>%s+(%S+)") end
  p:close()
  return asan and (asan .. " " .. lib) or lib
end

-- A CMSIS-DAP probe's real SWCLK and the clock asked for, from the last
-- "swclk X Hz for Y Hz requested" of a bench report (nil for an ST-LINK).
local function swclk_of(text)
  local real, asked
  for a, b in text:gmatch("swclk (%d+) Hz for (%d+) Hz requested") do real, asked = tonumber(a), tonumber(b) end
  return real, asked
end

local function run_luaflash(sc)
  local state = out .. "/" .. sc.id .. ".state"
  os.remove(state)
  for _, p in ipairs(sc.prep or {}) do
    local pc = luaflash_cmd({ board = sc.board, probe = sc.probe, project = p.project or PROJ .. "default.lua", params = sc.params,
      args = p.args },
      images[p.image], state, true)
    local ok = timed(pc, out .. "/" .. sc.id .. ".prep.json", out .. "/" .. sc.id .. ".prep.err")
    if not ok then error("scenario " .. sc.id .. ": preparation run failed (" .. pc .. ")", 0) end
  end
  -- the state after the preparation, so callgrind measures the same job
  local state0 = out .. "/" .. sc.id .. ".state0"
  sh(string.format("rm -f %s; [ -f %s ] && cp %s %s", q(state0), q(state), q(state), q(state0)))
  local cmd = luaflash_cmd(sc, images[sc.image], state, true)
  local jf, ef = out .. "/" .. sc.id .. ".json", out .. "/" .. sc.id .. ".err"
  local ok, code, u, s = timed(cmd, jf, ef)
  local res = json.decode(readfile(jf) or "")
  if not ok or not res or not res.ok then
    error(string.format("scenario %s: luaflash failed (status %s): %s\n%s", sc.id, tostring(code), cmd,
      readfile(ef) or ""), 0)
  end
  local r = { virtual_s = res.total_s, cpu_user_s = u, cpu_sys_s = s, result = res,
    floor_s = res.plan and res.plan.floor_s, sector_cost_s = res.plan and res.plan.sector_cost_s,
    chip_cost_s = res.plan and res.plan.chip_cost_s }
  if sc.standin then
    -- the whole process through the libusb stand-in (as the peers run):
    -- enumeration included, the bench report gives the process's virtual time
    local st2, rep = out .. "/" .. sc.id .. ".standin.state", out .. "/" .. sc.id .. ".standin.report"
    os.remove(st2); os.remove(rep)
    local env = string.format("LF_BENCH_BOARDS=%s LF_BENCH_STATE=%s LF_BENCH_REPORT=%s LD_PRELOAD=%s LD_LIBRARY_PATH=%s",
      sc.board, q(st2), q(rep), q(preload()), q(standin))
    local c2 = luaflash_cmd(sc, images[sc.image], nil, false, true)
    local ok2, _, u2, s2 = timed(c2, out .. "/" .. sc.id .. ".standin.out", out .. "/" .. sc.id .. ".standin.err", env)
    local rtext = readfile(rep) or ""
    local vt = tonumber(rtext:match("virtual time:%s*([%d%.]+)"))
    if not ok2 or not vt then error("scenario " .. sc.id .. ": run through the stand-in failed: " .. c2, 0) end
    r.process_virtual_s, r.process_cpu_user_s, r.process_cpu_sys_s = vt, u2, s2
    r.swclk_hz, r.swclk_asked_hz = swclk_of(rtext)
  end
  if opts.callgrind then
    local cs = out .. "/" .. sc.id .. ".cgstate"
    sh(string.format("rm -f %s; [ -f %s ] && cp %s %s", q(cs), q(state0), q(state0), q(cs)))
    r.callgrind_ir, r.callgrind_split = callgrind_ir(luaflash_cmd(sc, images[sc.image], cs, true), sc.id)
  end
  return r
end

local function run_peer(sc)
  local keep = out .. "/" .. sc.id
  local env = string.format("LF_BUILD_DIR=%s LF_PEER_RUN=0 LF_PEER_KEEP=%s%s", q(build), q(keep),
    sc.ocd_khz and (" LF_PEER_OCD_KHZ=" .. sc.ocd_khz) or "")
  local of, ef = out .. "/" .. sc.id .. ".out", out .. "/" .. sc.id .. ".err"
  local cmd = string.format("%s %s %s %s", q(top .. "/scripts/bench-peer"), sc.tool, sc.board, q(images[sc.image]))
  local ok = sh(string.format("%s %s >%s 2>&1", env, cmd, q(of)))
  local text = readfile(of) or ""
  if not ok or not text:find("flash equals") then
    error(string.format("scenario %s: %s failed:\n%s", sc.id, cmd, text), 0)
  end
  local u, s = text:match("host cpu of the tool: user ([%d%.]+) s, sys ([%d%.]+) s")
  local vt = tonumber(text:match("virtual time:%s*([%d%.]+)"))
  local sleeps = tonumber(text:match("sleeps %(([%d%.]+) s%)"))
  local real, asked = swclk_of(text)
  return { virtual_s = vt, process_virtual_s = vt, cpu_user_s = tonumber(u), cpu_sys_s = tonumber(s),
    tool_sleep_s = sleeps, swclk_hz = real, swclk_asked_hz = asked }
end

-- One tool's 64 KiB RAM write and read (scripts/bench-ram): the modeled
-- seconds of each transfer alone, or why the tool cannot use that probe.
local function run_ram(sc)
  local cmd = string.format("LF_BUILD_DIR=%s %s %s %s %s %d 0x20000000 %d", q(build), q(top .. "/scripts/bench-ram"),
    sc.tool, sc.board, sc.transport, sc.hz, sc.len or 65536)
  local p = io.popen(cmd .. " 2>&1")
  local text = p:read("a")
  local ok = p:close()
  local w, r, n = text:match("ram write_s ([%d%.]+) read_s ([%d%.]+) bytes (%d+)")
  local na = text:match("n/a: ([^\n]+)")
  if not ok or not (w or na) then error(string.format("scenario %s: %s failed:\n%s", sc.id, cmd, text), 0) end
  return { tool = sc.tool, board = sc.board, transport = sc.transport, hz = sc.hz, bytes = tonumber(n),
    write_s = tonumber(w), read_s = tonumber(r), na = na,
    command = string.format("scripts/bench-ram %s %s %s %d 0x20000000 %d", sc.tool, sc.board, sc.transport, sc.hz,
      sc.len or 65536) }
end

-- ---------------------------------------------------------------------------
-- the floor from the parameter table (cross-check of the plan's floor_s)

local function params_table()
  local p = io.popen(q(build .. "/lf-bench-demo") .. " --params")
  local text = p:read("a")
  p:close()
  local v = {}
  for line in text:gmatch("[^\n]+") do
    local name, val = line:match("^(%S+)%s+(%S+)")
    if name then v[name] = tonumber(val) end
  end
  return text, v
end

-- F767 single bank x32: sectors 0-3 32 KiB, 4 128 KiB, 5-11 256 KiB.
local function f767_floor(P, bytes)
  local sizes = { 32, 32, 32, 32, 128, 256, 256, 256, 256, 256, 256, 256 }
  local erase_ns, addr = 0, 0
  for _, kib in ipairs(sizes) do
    if addr < bytes then erase_ns = erase_ns + P["flash_erase" .. kib .. "k_ns[x32]"] end
    addr = addr + kib * 1024
  end
  local words = (bytes + 3) // 4
  local sector = (erase_ns + words * P.flash_prog_ns_typ) / 1e9
  local chip = (P["flash_mass_ns[x32]"] + words * P.flash_prog_ns_typ) / 1e9
  -- the floor as defined for the suite: erase of the covered sectors +
  -- programming of the words (the mass erase is reported beside it)
  return sector, sector, chip
end

-- ---------------------------------------------------------------------------

local function git_rev() return U.git_rev(top) end

local function main()
  if opts.only then
    local known, ids = {}, {}
    for _, sc in ipairs(scenarios) do known[sc.id] = true; ids[#ids + 1] = sc.id end
    for id in pairs(opts.only) do
      if not known[id] then error("--only: unknown scenario '" .. id .. "' (known: " .. table.concat(ids, ", ") .. ")", 0) end
    end
  end
  if opts.report_only then
    -- rewrite the report from the last run's results.json (no scenario runs)
    local res = json.decode(assert(readfile(out .. "/results.json"), "no results.json in " .. out))
    local report = dofile(top .. "/scripts/benchmark.d/report.lua")
    res.calibration = json.decode(readfile(top .. "/docs/calibration.json") or "null")
    report.write(res, (params_table()), opts.report, opts.svg_dir or out, svg)
    return
  end
  sh("mkdir -p " .. q(out))
  make_images()
  local params_text, P = params_table()
  local results = { revision = git_rev(), scenarios = {}, ram = {} }
  for _, sc in ipairs(scenarios) do
    if (not opts.only or opts.only[sc.id]) and sc.kind == "ram" then
      log("%s: %s RAM through %s (%s)", sc.id, sc.tool, sc.board, sc.transport)
      local r = run_ram(sc)
      r.id = sc.id
      results.ram[#results.ram + 1] = r
    elseif not opts.only or opts.only[sc.id] then
      log("%s: %s", sc.id, sc.label)
      local r = sc.kind == "peer" and run_peer(sc) or run_luaflash(sc)
      r.id, r.group, r.label, r.what, r.real, r.real_note = sc.id, sc.group, sc.label, sc.what, sc.real, sc.real_note
      r.command, r.board, r.image = shown_cmd(sc), sc.board, sc.image
      r.cmp, r.ram, r.up = sc.cmp, sc.ram, sc.up
      if sc.timeline then r.timeline = true end
      results.scenarios[#results.scenarios + 1] = r
    end
  end
  -- the floor of the F767 images, by hand from the parameter table
  local f65, s65, c65 = f767_floor(P, 66560)
  local f2m, s2m, c2m = f767_floor(P, 2 * 1024 * 1024)
  results.floor = {
    ["f767-65k"] = { floor_s = f65, sector_s = s65, chip_s = c65, bytes = 66560 },
    ["f767-2m"] = { floor_s = f2m, sector_s = s2m, chip_s = c2m, bytes = 2 * 1024 * 1024 },
    ["f767-65k-shift"] = { floor_s = (f767_floor(P, 66561)), bytes = 66561 },
    -- STM32F1, DS5319 rows: pages covered x tERASE + half-words x tprog
    ["f103-65k"] = { floor_s = (65 * P.f1_page_erase_ns + 33280 * P.f1_prog_ns_typ) / 1e9, bytes = 66560 },
    ["f103rc-65k"] = { floor_s = (33 * P.f1_page_erase_ns + 33280 * P.f1_prog_ns_typ) / 1e9, bytes = 66560 },
    -- STM32L4, DS10198 rows: pages covered x tERASE + double words x tprog
    ["l476-65k"] = { floor_s = (33 * P.l4_page_erase_ns + 8320 * P.l4_prog_ns_typ) / 1e9, bytes = 66560 },
    -- nRF52840 (issue 15), nrf52-rp2040-targets.md 4: pages touched x tERASEPAGE + words x tWRITE;
    -- chip: tERASEALL + words x tWRITE (destroys the rest of the flash and the UICR)
    ["nrf52840-65k"] = { floor_s = (17 * P.nrf_erasepage_ns + 16640 * P.nrf_write_ns) / 1e9,
      chip_s = (P.nrf_eraseall_ns + 16640 * P.nrf_write_ns) / 1e9, bytes = 66560 },
  }
  -- the H743 (x64, typical): one sector + 2080 flash words; 2 MB: both
  -- banks at once (a chip erase erases both together) vs one after the other
  -- the RP2040's W25Q16JV (typical rows rp_w25_*): the QSPI floor of the
  -- exact range luaflash erases (64 KiB blocks where the image covers them,
  -- then 32 KiB, then 4 KiB sectors) + the page programs; beside it the
  -- 64-KiB-blocks-only erase (past the image's end, as OpenOCD does) and the
  -- SPI bytes of the page programs at clk_sys / 2 (not part of the floor)
  local function rp_floor(bytes)
    local be64, be32, se, pp = P.rp_w25_be64_ns / 1e9, P.rp_w25_be32_ns / 1e9, P.rp_w25_se_ns / 1e9, P.rp_w25_pp_ns / 1e9
    local sectors, pages = (bytes + 4095) // 4096, (bytes + 255) // 256
    local b64 = sectors // 16
    local rest = sectors - 16 * b64
    local b32 = rest // 8
    local exact = b64 * be64 + b32 * be32 + (rest - 8 * b32) * se
    return { floor_s = exact + pages * pp, erase_s = exact, program_s = pages * pp,
      blocks64_s = ((bytes + 65535) // 65536) * be64 + pages * pp,
      bus_s = pages * 261 * 8 * 2 / P.rp_clk_sys_hz, pages = pages, sectors = sectors, bytes = bytes }
  end
  results.floor["pico-65k"] = rp_floor(66560)
  results.floor["pico-1m5"] = rp_floor(1500000)
  local e7, p7, b7 = P["h7_erase_ns[x64]"] / 1e9, P["h7_prog_ns[x64]"] / 1e9, P["h7_bank_erase_ns[x64]"] / 1e9
  results.floor["h743-65k"] = { floor_s = e7 + 2080 * p7, bytes = 66560 }
  local words_per_bank = 1024 * 1024 // 32
  results.floor["h743-2m"] = { floor_s = b7 + words_per_bank * p7, bytes = 2 * 1024 * 1024,
    chip_s = b7 + words_per_bank * p7, sector_s = 8 * e7 + words_per_bank * p7,
    in_turn_s = 2 * (b7 + words_per_bank * p7) }
  results.params = {
    usb_fs_transfer_latency_ns = P.usb_fs_transfer_latency_ns,
    usb_hs_transfer_latency_ns = P.usb_hs_transfer_latency_ns,
    stlink_swclk_measured = P.stlink_swclk_measured, flash_prog_ns_typ = P.flash_prog_ns_typ,
    ["flash_erase32k_ns[x8]"] = P["flash_erase32k_ns[x8]"], ["flash_mass_ns[x8]"] = P["flash_mass_ns[x8]"],
    usb_fs_frame_ns = P.usb_fs_frame_ns, cmsisdap_daplink_packet_count = P.cmsisdap_daplink_packet_count,
    cmsisdap_rpi_packet_count = P.cmsisdap_rpi_packet_count,
    ["flash_erase32k_ns[x32]"] = P["flash_erase32k_ns[x32]"], ["flash_mass_ns[x32]"] = P["flash_mass_ns[x32]"],
    ["h7_erase_ns[x64]"] = P["h7_erase_ns[x64]"], ["h7_prog_ns[x64]"] = P["h7_prog_ns[x64]"],
    ["h7_bank_erase_ns[x64]"] = P["h7_bank_erase_ns[x64]"],
    rp_w25_pp_ns = P.rp_w25_pp_ns, rp_w25_se_ns = P.rp_w25_se_ns, rp_w25_be32_ns = P.rp_w25_be32_ns,
    rp_w25_be64_ns = P.rp_w25_be64_ns, rp_clk_sys_hz = P.rp_clk_sys_hz, rp_rom_call_ns = P.rp_rom_call_ns,
    rp_dma_xfer_cycles = P.rp_dma_xfer_cycles,
    nrf_write_ns = P.nrf_write_ns, nrf_erasepage_ns = P.nrf_erasepage_ns, nrf_eraseall_ns = P.nrf_eraseall_ns,
    nrf_hclk_hz = P.nrf_hclk_hz, nrf_readynext = P.nrf_readynext,
  }
  -- results.json keeps only what tests and the report read (no raw results)
  local slim = { revision = results.revision, floor = results.floor, params = results.params, scenarios = {},
    ram = results.ram }
  for i, r in ipairs(results.scenarios) do
    local c = {}
    for k, v in pairs(r) do if k ~= "result" then c[k] = v end end
    if r.result then
      c.phases = r.result.phases
      c.smart_crc_s, c.stream_s, c.keep_read_s = r.result.smart_crc_s, r.result.stream_s, r.result.keep_read_s
      c.smart_read_s, c.clock_hz, c.plan = r.result.smart_read_s, r.result.clock_hz, r.result.plan
      c.pyocd = r.result.pyocd
      c.compress = r.result.compress
      c.bench_timeline = r.result.timeline
    end
    slim.scenarios[i] = c
  end
  writefile(out .. "/results.json", json.encode(slim) .. "\n")
  if opts.report then
    local report = dofile(top .. "/scripts/benchmark.d/report.lua")
    -- the headline rows' ranges (scripts/calibrate writes it; not part of results.json)
    slim.calibration = json.decode(readfile(top .. "/docs/calibration.json") or "null")
    report.write(slim, params_text, opts.report, opts.svg_dir or out, svg)
    slim.calibration = nil
  end
  log("results in %s/results.json", out)
end

local ok, err = pcall(main)
if not ok then
  io.stderr:write("benchmark: " .. tostring(err) .. "\n")
  os.exit(1)
end
