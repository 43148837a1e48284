-- luaflash --bench BOARD --bench-state FILE set_rdp.lua RDP_BYTE
-- Programs the RDP option byte (FLASH_OPTCR bits 15:8: 0xAA level 0, 0xCC
-- level 2, anything else level 1; stm32f7-target.md §3.6, stm32f4-target.md
-- §3.6) through the flash controller, keeping every other option bit; the
-- bench saves the options in FILE for the next run. A raw sequence on
-- purpose: the luaflash side under test is not involved.
local lf = require("luaflash")
local rdp = math.tointeger(tonumber(arg and arg[1] or "0x55"))
local p = lf.open()
p:connect()
local t = p:target()
t:connect("halt")
local F = 0x40023C00
t:write32(F + 0x08, 0x08192A3B)               -- OPTKEYR
t:write32(F + 0x08, 0x4C5D6E7F)
local optcr = (t:read32(F + 0x14) & ~0xFF03) | (rdp << 8)
t:write32(F + 0x14, optcr)
t:write32(F + 0x14, optcr | 2)                -- OPTSTRT
while t:read32(F + 0x0C) & 0x10000 ~= 0 do end
t:reset("system", false)
p:close()
print(string.format("OPTCR 0x%08x", optcr))
