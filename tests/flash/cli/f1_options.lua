-- luaflash --bench nucleo-f103rb --bench-state FILE f1_options.lua FIELD=VALUE...
-- Writes STM32F1 option bytes through the family's module (OPTER, OPTPG,
-- system reset, read-back): wp=PAGE write-protects the WRP group holding
-- PAGE, rdp=0|1 sets the read protection (rdp=0 from level 1 needs
-- allow_mass_erase=true). The bench saves the option bytes in FILE.
local lf = require("luaflash")
local opt = require("luaflash.targets.stm32f1_options")
local want, allow = {}, {}
for _, a in ipairs(arg or {}) do
  local k, v = a:match("^(%w+)=(%w+)$")
  if k == "wp" then want.write_protected = { math.tointeger(tonumber(v)) }
  elseif k == "rdp" then want.rdp = math.tointeger(tonumber(v))
  elseif k == "allow_mass_erase" then allow.allow_mass_erase = v == "true"
  else lf.usage_error("f1_options: unknown argument '" .. a .. "'", 0) end
end
local p <close> = lf.open()
local t = p:target()
t:connect("halt")
local change = assert(opt.prepare(t, want, allow))
local r = opt.write(t, change)
print(string.format("FLASH_OBR 0x%08x FLASH_WRPR 0x%08x", r.optcr, r.optcr1))
