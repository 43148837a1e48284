-- STM32F7 (F76x/F77x register layout) option bytes: decode FLASH_OPTCR and
-- FLASH_OPTCR1 into named fields, encode them back, and say what a change
-- would do before anything is written.
-- Facts: ../shared/reference/stm32f7-target.md §3.6 (OPTCR), §3.7 (OPTCR1),
-- §4.5 (programming, RDP regression), §7.4 (WRP granularity).

local M = {}

M.FACTORY_OPTCR = 0xFFFFAAFD   -- §3.6 factory value
M.FACTORY_OPTCR1 = 0x00400080  -- §3.7 factory value

local bor_names = { [0] = "level3", [1] = "level2", [2] = "level1", [3] = "off" }
local bor_codes = { level3 = 0, level2 = 1, level1 = 2, off = 3 }

-- Logical sectors covered by nWRP bit i (§7.4).
local function wrp_sectors(bit, dual_bank)
  if dual_bank then return { 2 * bit, 2 * bit + 1 } end
  return { bit }
end

function M.decode(optcr, optcr1)
  local rdp_raw = (optcr >> 8) & 0xFF
  local dual_bank = ((optcr >> 29) & 1) == 0
  local nwrp = (optcr >> 16) & 0xFFF
  local protected = {}
  for i = 0, 11 do
    if (nwrp >> i) & 1 == 0 then
      for _, s in ipairs(wrp_sectors(i, dual_bank)) do protected[#protected + 1] = s end
    end
  end
  return {
    rdp_raw = rdp_raw,
    rdp = rdp_raw == 0xAA and 0 or (rdp_raw == 0xCC and 2 or 1),
    bor = bor_names[(optcr >> 2) & 3],
    wwdg_sw = (optcr >> 4) & 1 == 1,
    iwdg_sw = (optcr >> 5) & 1 == 1,
    nrst_stop = (optcr >> 6) & 1 == 1,
    nrst_stdby = (optcr >> 7) & 1 == 1,
    write_protected = protected,        -- logical sector numbers
    dual_boot = ((optcr >> 28) & 1) == 0,
    dual_bank = dual_bank,
    iwdg_stdby_run = (optcr >> 30) & 1 == 1,
    iwdg_stop_run = (optcr >> 31) & 1 == 1,
    boot_add0 = (optcr1 & 0xFFFF) << 14,
    boot_add1 = ((optcr1 >> 16) & 0xFFFF) << 14,
  }
end

local function bit(v, b) return v and (1 << b) or 0 end

-- Encode a decoded table (all fields as from decode) into OPTCR/OPTCR1.
-- OPTLOCK and OPTSTRT are 0 in the result. Errors name the field.
function M.encode(o)
  local rdp_raw
  if o.rdp == 0 then rdp_raw = 0xAA
  elseif o.rdp == 2 then rdp_raw = 0xCC
  elseif o.rdp == 1 then
    rdp_raw = (o.rdp_raw and o.rdp_raw ~= 0xAA and o.rdp_raw ~= 0xCC) and o.rdp_raw or 0x55
  else return nil, "option 'rdp': expected 0, 1 or 2, got " .. tostring(o.rdp) end
  local bor = bor_codes[o.bor]
  if not bor then return nil, "option 'bor': expected level1, level2, level3 or off, got " .. tostring(o.bor) end
  local nwrp = 0xFFF
  for _, s in ipairs(o.write_protected or {}) do
    local max = o.dual_bank and 23 or 11
    if math.type(s) ~= "integer" or s < 0 or s > max then
      return nil, string.format("option 'write_protected': sector %s out of range 0..%d", tostring(s), max)
    end
    local b = o.dual_bank and s // 2 or s
    nwrp = nwrp & ~(1 << b)
  end
  for _, k in ipairs({ "boot_add0", "boot_add1" }) do
    local a = o[k]
    if math.type(a) ~= "integer" or a < 0 or a > 0x3FFFC000 or a % 0x4000 ~= 0 then
      return nil, string.format("option '%s': expected a 16 KiB aligned address below 0x40000000, got %s", k, tostring(a))
    end
  end
  local optcr = (bor << 2) | bit(o.wwdg_sw, 4) | bit(o.iwdg_sw, 5) | bit(o.nrst_stop, 6) |
    bit(o.nrst_stdby, 7) | (rdp_raw << 8) | (nwrp << 16) | bit(not o.dual_boot, 28) |
    bit(not o.dual_bank, 29) | bit(o.iwdg_stdby_run, 30) | bit(o.iwdg_stop_run, 31)
  local optcr1 = ((o.boot_add0 >> 14) & 0xFFFF) | (((o.boot_add1 >> 14) & 0xFFFF) << 16)
  return optcr, optcr1
end

-- What writing `new` over `old` (decoded tables) does. Returns a list of
-- { what = "...", erases_flash = bool, irreversible = bool }.
function M.consequences(old, new)
  local out = {}
  if old.rdp == 1 and new.rdp == 0 then
    out[#out + 1] = { what = "RDP level 1 -> 0 mass-erases the whole flash (§4.5)", erases_flash = true }
  end
  if new.rdp == 2 and old.rdp ~= 2 then
    out[#out + 1] = { what = "RDP level 2 disables debug access for ever (irreversible)", irreversible = true }
  end
  if old.dual_bank ~= new.dual_bank then
    out[#out + 1] = { what = "changing nDBANK changes the sector layout; treat the flash content as lost (§4.5, unconfirmed whether erased)",
      erases_flash = true }
  end
  if old.rdp == 0 and new.rdp == 1 then
    out[#out + 1] = { what = "RDP level 1 blocks debugger access to flash until regressed (which mass-erases)" }
  end
  return out
end

-- Check a change against the project's permissions. Returns true, or nil
-- and an error saying what would happen and which setting allows it.
function M.check_change(old, new, allow)
  allow = allow or {}
  for _, c in ipairs(M.consequences(old, new)) do
    if c.erases_flash and not allow.allow_mass_erase then
      return nil, "option bytes: " .. c.what .. "; set allow_mass_erase = true to do it"
    end
    if c.irreversible and not allow.allow_rdp2 then
      return nil, "option bytes: " .. c.what .. "; set allow_rdp2 = true to do it"
    end
  end
  return true
end

return M
