-- STM32F7 (F76x/F77x register layout) option bytes: decode FLASH_OPTCR and
-- FLASH_OPTCR1 into named fields, encode them back, and say what a change
-- would do before anything is written.
-- Facts: ../shared/reference/stm32f7-target.md §3.6 (OPTCR), §3.7 (OPTCR1),
-- §4.5 (programming, RDP regression), §7.4 (WRP granularity).

local C = require("luaflash.targets.option_common")
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
  return C.consent(M.consequences(old, new), allow)
end

-- ---- on a connected target ----------------------------------------------
-- The write sequence (§4.5): OPTKEYR unlock, BSY = 0, OPTCR1, OPTCR, OPTSTRT,
-- poll BSY, check SR, OPTLOCK, then a system reset so the chip loads the new
-- options, and a read-back of OPTCR/OPTCR1 compared with what was written.
-- `t` is a luaflash target (read32/write32/now_ns/reset).

M.FLASH = 0x40023C00          -- §3.1
M.OPTKEYR, M.SR, M.OPTCR, M.OPTCR1 = 0x08, 0x0C, 0x14, 0x18
M.OPTKEY1, M.OPTKEY2 = 0x08192A3B, 0x4C5D6E7F   -- §3.3
M.SR_BSY = 0x10000            -- §3.4
M.SR_ERRORS = 0xF2            -- §3.4: ERSERR|PGPERR|PGAERR|WRPERR|OPERR
M.OPTLOCK, M.OPTSTRT = 0x1, 0x2
M.UID = 0x1FF0F420            -- §1: 96-bit unique ID

-- Fields a project may set (the names of decode()).
M.fields = { rdp = true, bor = true, wwdg_sw = true, iwdg_sw = true, nrst_stop = true,
  nrst_stdby = true, write_protected = true, dual_boot = true, dual_bank = true,
  iwdg_stdby_run = true, iwdg_stop_run = true, boot_add0 = true, boot_add1 = true }

function M.factory() return M.decode(M.FACTORY_OPTCR, M.FACTORY_OPTCR1) end

-- Check a wanted change table without a target (unknown field names, values
-- that cannot be encoded). Returns true or nil, error.
function M.check_fields(want) return C.check_fields(M, want) end

function M.read(t)
  local optcr = t:read32(M.FLASH + M.OPTCR)
  local optcr1 = t:read32(M.FLASH + M.OPTCR1)
  return optcr, optcr1, M.decode(optcr, optcr1)
end

-- What writing `want` (fields to change) over the chip's options would do.
-- Returns a change { old, new, optcr, optcr1, consequences, changed } or nil
-- and the refusal (allow = { allow_mass_erase, allow_rdp2 }). Nothing is
-- written.
function M.prepare(t, want, allow)
  local c, err = C.prepare(M, t, want, allow)
  if not c then return nil, err end
  c.optcr, c.optcr1 = c.values[1], c.values[2]
  return c
end

local function wait_idle(t, timeout_s, what)
  return C.wait(t, M.FLASH + M.SR, M.SR_BSY, timeout_s, what, "FLASH_SR.BSY")
end

-- Program a prepared change and check it. reset(t) must reset the chip
-- (system reset, halted) so that it loads the options. Returns
-- { seconds, optcr, optcr1, decoded } as read back after the reset.
function M.write(t, change, opts)
  opts = opts or {}
  local timeout = opts.timeout or 10
  for _, c in ipairs(change.consequences) do
    if c.erases_flash then timeout = math.max(timeout, 40) end  -- §9.1 tME x8 max 32 s
  end
  local t0 = t:now_ns()
  local base = M.FLASH
  wait_idle(t, timeout, "before unlock")
  if t:read32(base + M.OPTCR) & M.OPTLOCK ~= 0 then
    t:write32(base + M.OPTKEYR, M.OPTKEY1)
    t:write32(base + M.OPTKEYR, M.OPTKEY2)
    if t:read32(base + M.OPTCR) & M.OPTLOCK ~= 0 then
      error("option bytes: FLASH_OPTCR stays locked after the OPTKEYR sequence (a wrong key since the last reset?)", 0)
    end
  end
  t:write32(base + M.SR, M.SR_ERRORS)               -- clear stale flags (w1c)
  t:write32(base + M.OPTCR1, change.optcr1)
  t:write32(base + M.OPTCR, change.optcr)            -- OPTLOCK = 0, OPTSTRT = 0
  t:write32(base + M.OPTCR, change.optcr | M.OPTSTRT)
  local sr = wait_idle(t, timeout, "programming")
  if sr & M.SR_ERRORS ~= 0 then
    t:write32(base + M.SR, sr & M.SR_ERRORS)
    error(string.format("option bytes: programming failed, FLASH_SR 0x%08x", sr), 0)
  end
  t:write32(base + M.OPTCR, change.optcr | M.OPTLOCK)
  if opts.reset then opts.reset(t) else t:reset("system", true) end
  local optcr, optcr1, dec = M.read(t)
  local want_cr = change.optcr & ~(M.OPTLOCK | M.OPTSTRT)
  if optcr & ~(M.OPTLOCK | M.OPTSTRT) ~= want_cr or optcr1 ~= change.optcr1 then
    error(string.format("option bytes: verify after reset: OPTCR 0x%08x OPTCR1 0x%08x, expected 0x%08x 0x%08x",
      optcr, optcr1, want_cr, change.optcr1), 0)
  end
  return { seconds = (t:now_ns() - t0) / 1e9, optcr = optcr, optcr1 = optcr1, decoded = dec }
end

return M
