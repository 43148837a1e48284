-- luaflash --bench BOARD --bench-state FILE dump.lua ADDR LEN [OUT]
-- Prints "crc32 XXXXXXXX erased N" of [ADDR, ADDR+LEN) read over SWD (N =
-- bytes that read 0xFF) and, with OUT, writes the bytes there. A raw read on
-- purpose: no loader, no plan.
local lf = require("luaflash")
local addr = math.tointeger(tonumber(arg[1]))
local len = math.tointeger(tonumber(arg[2]))
local p = lf.open()
p:connect()
local t = p:target()
t:connect("halt")
local data = t:read(addr, len)
p:close()
local _, ff = data:gsub("\255", "")
print(string.format("crc32 %08X erased %d", lf.crc32(data), ff))
if arg[3] then
  local f = assert(io.open(arg[3], "wb"))
  f:write(data)
  f:close()
end
