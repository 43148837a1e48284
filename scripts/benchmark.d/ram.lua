-- RAM write and read throughput through one probe (the benchmark's RAM
-- rows; scripts/bench-ram runs it): a plain luaflash script. Halts the
-- core, writes LEN bytes of a fixed pattern at ADDR, reads them back and
-- compares; the times are the target's clock (t:now_ns: the bench's virtual
-- time), around each transfer alone.
--
--   luaflash --bench nucleo-f429zi@daplink ram.lua [bulk|hid|any] [CLOCK_HZ [ADDR [LEN]]]
--
-- CLOCK_HZ: the SWD clock asked for (default 4000000; a CMSIS-DAP probe
-- runs at most that, how much less it never says).
local lf = require("luaflash")

local transport = arg[1] ~= "any" and arg[1] or nil
local hz = tonumber(arg[2] or "4000000")
local addr, len = tonumber(arg[3] or "0x20000000"), tonumber(arg[4] or "65536")
if not hz or not addr or not len or len <= 0 then
  lf.usage_error("ram.lua: CLOCK_HZ, ADDR and LEN must be numbers", 0)
end

-- the pattern of scripts/bench-ram (byte i = (i * 7 + 3) mod 256)
local bytes = {}
for i = 0, len - 1 do bytes[#bytes + 1] = string.char((i * 7 + 3) % 256) end
local data = table.concat(bytes)

local probe <close> = lf.open(transport and { transport = transport } or nil)
probe:set_clock(hz)
local t = probe:target()
t:connect("halt")
local t0 = t:now_ns()
t:write(addr, data)
local t1 = t:now_ns()
local back = t:read(addr, len)
local t2 = t:now_ns()
t:disconnect { resume = false }
if back ~= data then error("ram.lua: the bytes read back differ from those written", 0) end
print(string.format("ram write_s %.6f read_s %.6f bytes %d", (t1 - t0) / 1e9, (t2 - t1) / 1e9, len))
