-- luaflash --bench nucleo-h743zi --bench-state FILE set_wrp_h7.lua SECTOR
-- Write-protects one sector (0-7 bank 1, 8-15 bank 2) of the bench's H743
-- through its option-byte module (WPSN_PRGx, OPTSTART: stm32-f1-l4-h7-
-- targets.md 5.4); the bench saves the option bytes in FILE for the next run.
local lf = require("luaflash")
local opt = require("luaflash.targets.stm32h7_options")
local sector = math.tointeger(tonumber(arg and arg[1] or "8"))
local p = lf.open()
p:connect()
local t = p:target()
t:connect("halt")
local change = assert(opt.prepare(t, { write_protected = { sector } }, {}))
local r = opt.write(t, change)
p:close()
print(string.format("WPSN 0x%02x/0x%02x: sector %d write-protected", r.registers.wpsn1, r.registers.wpsn2, sector))
