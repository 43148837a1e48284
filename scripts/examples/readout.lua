-- Read-out: a plain script (not a project) that copies flash to a file with
-- the luaflash Lua API. Scripts get the whole API: probes, targets, memory.
--
--   luaflash --bench nucleo-f767zi readout.lua dump.bin [ADDRESS [LENGTH]]
local lf = require("luaflash")

local out, addr, len = arg[1], tonumber(arg[2] or "0x08000000"), tonumber(arg[3] or "0x8000")
if not out then lf.usage_error("usage: luaflash readout.lua OUT.bin [ADDRESS [LENGTH]]", 0) end
if not addr or not len or len <= 0 then lf.usage_error("readout: ADDRESS and LENGTH must be numbers", 0) end

local probe <close> = lf.open()            -- --probe SEL or --bench pick the probe
local t = probe:target()
local info = t:connect("halt")
local data = t:read(addr, len)
t:disconnect { resume = true }
local f = assert(io.open(out, "wb"))
f:write(data)
f:close()
print(string.format("readout: %s: %d bytes from 0x%08x (%s), CRC32 0x%08x", out, #data, addr,
  info.chip, lf.crc32(data)))
