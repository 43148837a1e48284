-- STM32H74x/H75x option bytes: decode FLASH_OPTSR, the write-protection
-- registers of both banks (WPSN) and BOOT into named fields, encode them
-- back, and say what a change would do before anything is written. The same
-- interface as the F7 module (luaflash.targets.stm32f7_options), so
-- production and scripts/examples/unprotect.lua use either.
-- Facts: ../shared/reference/stm32-f1-l4-h7-targets.md 5.1 (registers),
-- 5.4 (OPTSR bits, RDP levels, the change sequence, regression), 6.

local C = require("luaflash.targets.option_common")
local M = {}

-- Factory values (5.4; the OPTSR value is unconfirmed): RDP 0xAA, IWDG1_SW,
-- NRST_STOP/STBY_D1, FZ_IWDG_STOP/SDBY; no sector protected; BOOT_ADD0
-- 0x0800 (0x08000000), BOOT_ADD1 0x1FF0 (system memory).
M.FACTORY_OPTSR = 0x03C6AAF0
M.FACTORY_WPSN = 0xFF
M.FACTORY_BOOT = 0x1FF00800

M.REG_NAME = "FLASH_OPTSR_CUR"  -- the register whose value read() returns first

local bor_names = { [0] = "off", [1] = "level1", [2] = "level2", [3] = "level3" }
local bor_codes = { off = 0, level1 = 1, level2 = 2, level3 = 3 }

-- optsr, wpsn1, wpsn2 (bit i = 0: sector i of that bank protected), boot.
function M.decode(optsr, wpsn1, wpsn2, boot)
  local rdp_raw = (optsr >> 8) & 0xFF
  local protected = {}
  for b, w in ipairs({ wpsn1, wpsn2 }) do
    for i = 0, 7 do
      if (w >> i) & 1 == 0 then protected[#protected + 1] = (b - 1) * 8 + i end
    end
  end
  return {
    rdp_raw = rdp_raw,
    rdp = rdp_raw == 0xAA and 0 or (rdp_raw == 0xCC and 2 or 1),
    bor = bor_names[(optsr >> 2) & 3],
    iwdg_sw = (optsr >> 4) & 1 == 1,
    nrst_stop = (optsr >> 6) & 1 == 1,
    nrst_stdby = (optsr >> 7) & 1 == 1,
    iwdg_stop_run = (optsr >> 17) & 1 == 1,   -- FZ_IWDG_STOP = 1: the IWDG runs in Stop
    iwdg_stdby_run = (optsr >> 18) & 1 == 1,  -- FZ_IWDG_SDBY
    io_hslv = (optsr >> 29) & 1 == 1,
    swap_bank = (optsr >> 31) & 1 == 1,
    write_protected = protected,              -- sectors 0-7 bank 1, 8-15 bank 2
    dual_bank = true,                         -- always two banks
    boot_add0 = (boot & 0xFFFF) << 16,
    boot_add1 = ((boot >> 16) & 0xFFFF) << 16,
    keep = optsr & ~0xA006FFDC,               -- bits this module does not change
  }
end

local function bit(v, b) return v and (1 << b) or 0 end

-- Encode a decoded table into optsr, wpsn1, wpsn2, boot. Errors name the field.
function M.encode(o)
  local rdp_raw
  if o.rdp == 0 then rdp_raw = 0xAA
  elseif o.rdp == 2 then rdp_raw = 0xCC
  elseif o.rdp == 1 then
    rdp_raw = (o.rdp_raw and o.rdp_raw ~= 0xAA and o.rdp_raw ~= 0xCC) and o.rdp_raw or 0xBB
  else return nil, "option 'rdp': expected 0, 1 or 2, got " .. tostring(o.rdp) end
  local bor = bor_codes[o.bor]
  if not bor then return nil, "option 'bor': expected off, level1, level2 or level3, got " .. tostring(o.bor) end
  local wpsn = { 0xFF, 0xFF }
  for _, s in ipairs(o.write_protected or {}) do
    if math.type(s) ~= "integer" or s < 0 or s > 15 then
      return nil, string.format("option 'write_protected': sector %s out of range 0..15 (8-15: bank 2)", tostring(s))
    end
    local b = s // 8 + 1
    wpsn[b] = wpsn[b] & ~(1 << (s % 8))
  end
  for _, k in ipairs({ "boot_add0", "boot_add1" }) do
    local a = o[k]
    if math.type(a) ~= "integer" or a < 0 or a > 0xFFFF0000 or a % 0x10000 ~= 0 then
      return nil, string.format("option '%s': expected a 64 KiB aligned address, got %s", k, tostring(a))
    end
  end
  local optsr = (o.keep or (M.FACTORY_OPTSR & ~0xA006FFDC)) | (bor << 2) | bit(o.iwdg_sw, 4) |
    bit(o.nrst_stop, 6) | bit(o.nrst_stdby, 7) | (rdp_raw << 8) | bit(o.iwdg_stop_run, 17) |
    bit(o.iwdg_stdby_run, 18) | bit(o.io_hslv, 29) | bit(o.swap_bank, 31)
  local boot = ((o.boot_add0 >> 16) & 0xFFFF) | (((o.boot_add1 >> 16) & 0xFFFF) << 16)
  return optsr, wpsn[1], wpsn[2], boot
end

-- What writing `new` over `old` does: { what, erases_flash, irreversible }.
function M.consequences(old, new)
  local out = {}
  if old.rdp == 1 and new.rdp == 0 then
    out[#out + 1] = { what = "RDP level 1 -> 0 erases both flash banks (5.4)", erases_flash = true }
  end
  if new.rdp == 2 and old.rdp ~= 2 then
    out[#out + 1] = { what = "RDP level 2 disables debug access for ever (irreversible)", irreversible = true }
  end
  if old.rdp == 0 and new.rdp == 1 then
    out[#out + 1] = { what = "RDP level 1 blocks debugger access to flash until regressed (which erases both banks)" }
  end
  return out
end

function M.check_change(old, new, allow)
  if old.swap_bank ~= new.swap_bank then
    return nil, "option bytes: luaflash does not change SWAP_BANK (its geometry assumes bank 1 at 0x08000000)"
  end
  if old.rdp == 2 and new.rdp ~= 2 then
    return nil, "option bytes: the chip is at RDP level 2, which is permanent"
  end
  return C.consent(M.consequences(old, new), allow)
end

-- ---- on a connected target ----------------------------------------------
-- The change sequence (5.4): OPTKEYR unlock when OPTLOCK, OPT_BUSY = 0, the
-- _PRG registers, OPTCCR clears OPTCHANGEERR, OPTSTART, poll OPT_BUSY, check
-- OPTCHANGEERR, OPTLOCK; then a system reset and a read-back.

M.FLASH = 0x52002000           -- 5.1
M.OPTKEYR, M.OPTCR, M.OPTSR_CUR, M.OPTSR_PRG, M.OPTCCR = 0x08, 0x18, 0x1C, 0x20, 0x24
M.WPSN_CUR, M.WPSN_PRG, M.BOOT_CUR, M.BOOT_PRG, M.BANK2 = 0x38, 0x3C, 0x40, 0x44, 0x100
M.OPTKEY1, M.OPTKEY2 = 0x08192A3B, 0x4C5D6E7F
M.OPT_BUSY, M.OPTCHANGEERR = 0x1, 0x40000000
M.OPTLOCK, M.OPTSTART = 0x1, 0x2
M.UID = 0x1FF1E800             -- 1.3: 96-bit unique ID

M.fields = { rdp = true, bor = true, iwdg_sw = true, nrst_stop = true, nrst_stdby = true,
  iwdg_stop_run = true, iwdg_stdby_run = true, io_hslv = true, write_protected = true,
  boot_add0 = true, boot_add1 = true }

function M.factory() return M.decode(M.FACTORY_OPTSR, M.FACTORY_WPSN, M.FACTORY_WPSN, M.FACTORY_BOOT) end
function M.check_fields(want) return C.check_fields(M, want) end

-- optsr, the register table, the decoded fields.
function M.read(t)
  local b = M.FLASH
  local optsr = t:read32(b + M.OPTSR_CUR)
  local regs = { optsr = optsr, wpsn1 = t:read32(b + M.WPSN_CUR) & 0xFF,
    wpsn2 = t:read32(b + M.BANK2 + M.WPSN_CUR) & 0xFF, boot = t:read32(b + M.BOOT_CUR) }
  return optsr, regs, M.decode(optsr & ~(M.OPT_BUSY | M.OPTCHANGEERR), regs.wpsn1, regs.wpsn2, regs.boot)
end

-- What writing `want` over the chip's options would do: a change
-- { old, new, regs, consequences, changed }, or nil and the refusal.
-- Nothing is written.
function M.prepare(t, want, allow)
  local c, err = C.prepare(M, t, want, allow)
  if not c then return nil, err end
  local v = c.values
  c.regs = { optsr = v[1], wpsn1 = v[2], wpsn2 = v[3], boot = v[4] }
  return c
end

local function wait_opt(t, timeout_s, what)
  return C.wait(t, M.FLASH + M.OPTSR_CUR, M.OPT_BUSY, timeout_s, what, "FLASH_OPTSR_CUR.OPT_BUSY")
end

-- Program a prepared change and check it. opts.reset(t) resets the chip
-- (system reset, halted). Returns { seconds, registers, decoded } as read
-- back after the reset (optcr = OPTSR_CUR and optcr1 = BOOT_CUR for callers
-- written for the F7 module).
function M.write(t, change, opts)
  opts = opts or {}
  local timeout = opts.timeout or 10
  for _, c in ipairs(change.consequences) do
    if c.erases_flash then timeout = math.max(timeout, 40) end  -- 6: bank erase x8 max 26 s
  end
  local t0 = t:now_ns()
  local b, r = M.FLASH, change.regs
  wait_opt(t, timeout, "before unlock")
  if t:read32(b + M.OPTCR) & M.OPTLOCK ~= 0 then
    t:write32(b + M.OPTKEYR, M.OPTKEY1)
    t:write32(b + M.OPTKEYR, M.OPTKEY2)
    if t:read32(b + M.OPTCR) & M.OPTLOCK ~= 0 then
      error("option bytes: FLASH_OPTCR stays locked after the OPTKEYR sequence (a wrong key since the last reset?)", 0)
    end
  end
  t:write32(b + M.OPTSR_PRG, r.optsr)
  t:write32(b + M.WPSN_PRG, r.wpsn1)
  t:write32(b + M.BANK2 + M.WPSN_PRG, r.wpsn2)
  t:write32(b + M.BOOT_PRG, r.boot)
  t:write32(b + M.OPTCCR, M.OPTCHANGEERR)
  t:write32(b + M.OPTCR, M.OPTSTART)
  local sr = wait_opt(t, timeout, "programming")
  if sr & M.OPTCHANGEERR ~= 0 then
    t:write32(b + M.OPTCCR, M.OPTCHANGEERR)
    error(string.format("option bytes: the change was refused, FLASH_OPTSR_CUR 0x%08x (OPTCHANGEERR)", sr), 0)
  end
  t:write32(b + M.OPTCR, M.OPTLOCK)
  if opts.reset then opts.reset(t) else t:reset("system", true) end
  local optsr, regs, dec = M.read(t)
  local mask = ~(M.OPT_BUSY | M.OPTCHANGEERR)
  if optsr & mask ~= r.optsr & mask or regs.wpsn1 ~= r.wpsn1 or regs.wpsn2 ~= r.wpsn2 or regs.boot ~= r.boot then
    error(string.format("option bytes: verify after reset: OPTSR 0x%08x WPSN 0x%02x/0x%02x BOOT 0x%08x, " ..
      "expected 0x%08x 0x%02x/0x%02x 0x%08x", optsr, regs.wpsn1, regs.wpsn2, regs.boot, r.optsr,
      r.wpsn1, r.wpsn2, r.boot), 0)
  end
  return { seconds = (t:now_ns() - t0) / 1e9, registers = regs, optcr = optsr, optcr1 = regs.boot,
    decoded = dec }
end

return M
