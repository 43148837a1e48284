-- luaflash demo on the virtual bench:
--
--   luaflash --bench nucleo-f767zi scripts/demo.lua
--   luaflash --bench nucleo-f103rb scripts/demo.lua sram=0x20000000 bytes=8192 stack=0x20005000
--   luaflash --bench pico scripts/demo.lua sram=0x20000000 stack=0x20040000 targetsel=0x01002927
--
-- identifies the board, streams 64 KiB (bytes=) through SRAM (at sram=, by
-- default an SRAM of the family's) and back, runs a function on the core
-- (stack top: stack=), disconnects, and prints what each step cost in modeled
-- (virtual) time and USB round trips, then the bench's report.
local lf = require("luaflash")

local known = { sram = true, bytes = true, stack = true, targetsel = true }
local opt = { bytes = 65536 } -- sram, stack: the family's below unless given
for _, a in ipairs(arg or {}) do
  local k, v = a:match("^(%w+)=(%w+)$")
  if not (k and known[k] and math.tointeger(tonumber(v))) then
    lf.usage_error("demo.lua: unknown argument '" .. a .. "' (known: sram=ADDR bytes=N stack=ADDR " ..
      "targetsel=N)", 0)
  end
  opt[k] = math.tointeger(tonumber(v))
end

local bench = lf.cli.bench
if not bench then
  lf.usage_error("demo.lua runs on the bench: luaflash --bench nucleo-f767zi scripts/demo.lua", 0)
end

local probe <close> = lf.open()
local t0 = bench:time_ns()
local function step(name, fn)
  local ns0, rt0 = bench:time_ns(), probe:stats().usb.round_trips
  local r = fn()
  local ns, rt = bench:time_ns() - ns0, probe:stats().usb.round_trips - rt0
  print(string.format("  %-26s %10.3f ms  %5d USB round trips", name, ns / 1e6, rt))
  return r
end

local i = probe:info()
print(string.format("probe   %s %s, serial %s at %s", i.product, i.firmware, i.serial, i.location))
print(string.format("clock   %.2f MHz (asked 4 MHz)", probe:set_clock(4000000) / 1e6))
-- targetsel= (a multidrop target, the RP2040): the DP the connect selects
local target <close> = probe:target({ disconnect_timeout = 0.1, targetsel = opt.targetsel })
local info = step("connect (halt)", function() return target:connect("halt") end)
print(string.format("target  %s %s %s, DPIDR 0x%08x, DBGMCU_IDCODE 0x%08x (dev 0x%03x rev 0x%04x)",
  info.chip, info.core, info.core_rev, info.dpidr, info.idcode, info.dev_id, info.rev_id))
-- a CMSIS-DAP probe has no command for the target voltage (the nRF52840 DK's)
local vok, volts = pcall(probe.target_voltage, probe)
print(vok and string.format("volts   %.2f V", volts) or "volts   (the probe cannot measure them)")

-- an SRAM to stream through, unless sram=/stack= name one: SRAM1 at
-- 0x20020000 on the F7 and F4 boards; the H7's DTCM ends there and its D2
-- SRAMs are unclocked after reset, so its AXI SRAM (stm32-f1-l4-h7-targets.md
-- 2.3/2.4)
local ram = ({ stm32h7 = { sram = 0x24000000, stack = 0x24060000 } })[info.family]
  or { sram = 0x20020000, stack = 0x20080000 }
local SRAM1, STACK, KIB = opt.sram or ram.sram, opt.stack or ram.stack, opt.bytes // 1024
local data = {}
for k = 0, opt.bytes - 1 do data[#data + 1] = string.char((k * 31 + (k >> 8)) & 0xFF) end
data = table.concat(data)
step(string.format("write %d KiB to SRAM", KIB), function() target:write(SRAM1, data) end)
local back = step(string.format("read %d KiB from SRAM", KIB), function() return target:read(SRAM1, #data) end)
assert(back == data, "SRAM read-back differs")
assert(bench:peek(SRAM1, #data) == data, "bench memory differs")
print(string.format("crc32   0x%08x (written, read back and in the bench's memory)", lf.crc32(back)))

-- adds r0, r0, r1 ; bx lr   right after the test data
target:write(SRAM1 + opt.bytes, string.pack("<I2I2", 0x1840, 0x4770))
local sum = step("run_function r0 = 40 + 2", function()
  return target:run_function(SRAM1 + opt.bytes + 1, { 40, 2 }, STACK, 0.1)
end)
assert(sum == 42)
local dt = step("disconnect (no DP ack)", function() return target:disconnect({ resume = true }) end)
print(string.format("        the board never acknowledges DP power-down: waited %.1f ms, not 5 s",
  dt * 1e3))
print(string.format("total   %.3f ms of modeled time", (bench:time_ns() - t0) / 1e6))
print()
io.write(bench:report())
