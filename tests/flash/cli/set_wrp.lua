-- luaflash --bench nucleo-f767zi --bench-state FILE set_wrp.lua SECTOR
-- Write-protects one sector of the bench's F767 (OPTCR.nWRP bit 16 + SECTOR
-- cleared through the flash controller, RM0410 3.6/4.4); the bench saves the
-- option bytes in FILE for the next run.
local lf = require("luaflash")
local sector = math.tointeger(tonumber(arg and arg[1] or "1"))
local p = lf.open()
p:connect()
local t = p:target()
t:connect("halt")
local F = 0x40023C00
t:write32(F + 0x08, 0x08192A3B)
t:write32(F + 0x08, 0x4C5D6E7F)
local optcr = 0xFFFFAAFC & ~(1 << (16 + sector))
t:write32(F + 0x14, optcr)
t:write32(F + 0x14, optcr | 2)
while t:read32(F + 0x0C) & 0x10000 ~= 0 do end
t:reset("system", false)
p:close()
print(string.format("OPTCR 0x%08x: sector %d write-protected", optcr, sector))
