-- luaflash --bench BOARD --bench-state FILE options.lua FIELD=VALUE...
-- Writes option bytes through the chip family's option-byte module (as
-- production does): wp=PAGE write-protects PAGE (the WRP group or area
-- holding it), rdp=0|1 sets the read protection (rdp=0 from level 1 needs
-- allow_mass_erase=true). The bench saves the option bytes in FILE.
-- Prints the module's register and its second register after the reload.
local lf = require("luaflash")
local want, allow = {}, {}
for _, a in ipairs(arg or {}) do
  local k, v = a:match("^(%w+)=(%w+)$")
  if k == "wp" then want.write_protected = { math.tointeger(tonumber(v)) }
  elseif k == "rdp" then want.rdp = math.tointeger(tonumber(v))
  elseif k == "allow_mass_erase" then allow.allow_mass_erase = v == "true"
  else lf.usage_error("options: unknown argument '" .. a .. "'", 0) end
end
local p <close> = lf.open()
local t = p:target()
local info = t:connect("halt")
local opt = assert(require("luaflash.family").option_bytes(info.family, info.dev_id), "no option-byte module")
local change = assert(opt.prepare(t, want, allow))
local r = opt.write(t, change)
print(string.format("%s 0x%08x / 0x%08x", opt.REG_NAME, r.optcr, r.optcr1))
