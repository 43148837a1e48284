-- Unprotect: a plain script (not a project) that takes a chip from read
-- protection level 1 back to level 0 (a chip whose family has an option-byte
-- module for its line: the STM32F76x/F77x, the STM32H74x/H75x, the STM32F1 and
-- the STM32L47x/L48x today). The chip mass-erases itself while
-- doing so (every byte of flash is lost), hence the explicit consent:
--
--   luaflash --bench nucleo-f767zi unprotect.lua allow_mass_erase=true
--   luaflash unprotect.lua allow_mass_erase=true          (a real board)
--
-- Without allow_mass_erase=true it only says what it would do. At level 0 it
-- changes nothing. Level 2 cannot be undone. Option-byte sequence and checks:
-- the family's module (STM32F7: luaflash.targets.stm32f7_options,
-- stm32f7-target.md §4.5; STM32H7, STM32F1, STM32L4: luaflash.targets.stm32h7_options,
-- stm32f1_options, stm32l4_options).
local lf = require("luaflash")

-- the target's state, not the command line: exit 1 with the message alone
local function fail(msg)
  error(setmetatable({ exit = 1, message = msg }, { __tostring = function(e) return e.message end }), 0)
end

local allow = false
for _, a in ipairs(arg or {}) do
  if a == "allow_mass_erase=true" then allow = true
  else lf.usage_error("unprotect: unknown argument '" .. a .. "' (known: allow_mass_erase=true)", 0) end
end

local probe <close> = lf.open()            -- --probe SEL or --bench pick the probe
local t = probe:target()
local info = t:connect("halt")
local f7opt = require("luaflash.family").option_bytes(info.family, info.dev_id)
if not f7opt then
  fail(string.format("unprotect: %s (ID 0x%03x): luaflash writes no option bytes for this chip " ..
    "(its family has no option-byte module for it): use the vendor's tool", info.chip, info.dev_id))
end
local optcr, _, old = f7opt.read(t)
local reg = f7opt.REG_NAME or "FLASH_OPTCR" -- the register read() returns first, holding RDP
if old.rdp == 0 then
  print(string.format("unprotect: %s is at RDP level 0 already (%s 0x%08x): nothing to do", info.chip, reg, optcr))
  t:disconnect { resume = true }
  return
end
if old.rdp == 2 then
  fail(string.format("unprotect: %s is at RDP level 2 (%s 0x%08x): permanent, cannot be undone", info.chip, reg, optcr))
end
local change, err = f7opt.prepare(t, { rdp = 0 }, { allow_mass_erase = allow })
if not change then
  lf.usage_error("unprotect: " .. err .. " (on the command line: allow_mass_erase=true)", 0)
end
local r = f7opt.write(t, change)          -- OPTSTRT, the mass erase, a system reset, read-back
t:disconnect { resume = true }
print(string.format("unprotect: %s now at RDP level %d (%s 0x%08x); the flash was mass-erased in %.3f s",
  info.chip, r.decoded.rdp, reg, r.optcr, r.seconds))
