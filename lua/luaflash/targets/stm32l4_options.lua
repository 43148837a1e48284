-- STM32L47x/L48x option bytes: decode FLASH_OPTR and the write-protection
-- areas (WRP1AR/BR, WRP2AR/BR) into named fields, encode them back, say what
-- a change would do before anything is written, and write it (OPTSTRT, then
-- OBL_LAUNCH to load it).
-- Facts: ../shared/reference/stm32-f1-l4-h7-targets.md §4.1 (registers),
-- §4.4 (OPTR bits, RDP levels, regression, the option sequence), §12 #13
-- (OBL_LAUNCH resets the chip; the ST-LINK may report an error for it).
-- The interface is that of luaflash.targets.stm32f7_options (production,
-- scripts/examples/unprotect.lua).

local C = require("luaflash.targets.option_common")

local M = {}

M.FACTORY_OPTR = 0xFFEFF8AA  -- §4.4 (BMP's default table): RDP AA, BFB2 0, DUALBANK 1
M.FACTORY_WRP = 0xFF00FFFF   -- STRT 0xFF > END 0x00: no page protected
M.REG_NAME = "FLASH_OPTR"    -- the register read() returns first (for messages)
M.PAGES = 256                -- pages per bank (2 KiB, 1 MiB part)

local bits = { nrst_stop = 12, nrst_stdby = 13, nrst_shdw = 14, iwdg_sw = 16, iwdg_stop = 17,
  iwdg_stdby = 18, wwdg_sw = 19, bfb2 = 20, dual_bank = 21, nboot1 = 23, sram2_pe = 24, sram2_rst = 25 }

-- The protected pages of one WRP area register (bank page numbers + base).
local function area_pages(w, base, out)
  local strt, stop = w & 0xFF, (w >> 16) & 0xFF
  for p = strt, stop do out[#out + 1] = base + p end
end

-- optr, wrp = { WRP1AR, WRP1BR, WRP2AR, WRP2BR }
function M.decode(optr, wrp)
  wrp = wrp or { M.FACTORY_WRP, M.FACTORY_WRP, M.FACTORY_WRP, M.FACTORY_WRP }
  local rdp_raw = optr & 0xFF
  local o = {
    rdp_raw = rdp_raw,
    rdp = rdp_raw == 0xAA and 0 or (rdp_raw == 0xCC and 2 or 1),
    bor = (optr >> 8) & 7,
  }
  for k, b in pairs(bits) do o[k] = (optr >> b) & 1 == 1 end
  local pages = {}
  for i, w in ipairs(wrp) do area_pages(w, i > 2 and M.PAGES or 0, pages) end
  table.sort(pages)
  local uniq = {}
  for _, p in ipairs(pages) do if uniq[#uniq] ~= p then uniq[#uniq + 1] = p end end
  o.write_protected = uniq            -- global page numbers (bank 2 from 256)
  o.optr_rest = optr & ~0x03BF77FF    -- reserved bits, kept as read
  return o
end

-- Runs of consecutive pages of one bank (at most two: areas A and B).
local function areas(pages, bank)
  local runs = {}
  for _, p in ipairs(pages) do
    local bp = p - bank * M.PAGES
    if bp >= 0 and bp < M.PAGES then
      local r = runs[#runs]
      if r and bp == r[2] + 1 then r[2] = bp
      elseif not (r and bp <= r[2]) then runs[#runs + 1] = { bp, bp } end
    end
  end
  return runs
end

-- Encode a decoded table into OPTR and the four WRP area registers. Errors
-- name the field.
function M.encode(o)
  local rdp_raw
  if o.rdp == 0 then rdp_raw = 0xAA
  elseif o.rdp == 2 then rdp_raw = 0xCC
  elseif o.rdp == 1 then
    rdp_raw = (o.rdp_raw and o.rdp_raw ~= 0xAA and o.rdp_raw ~= 0xCC) and o.rdp_raw or 0xBB
  else return nil, "option 'rdp': expected 0, 1 or 2, got " .. tostring(o.rdp) end
  if math.type(o.bor) ~= "integer" or o.bor < 0 or o.bor > 4 then
    return nil, "option 'bor': expected a BOR level 0..4, got " .. tostring(o.bor)
  end
  local optr = (o.optr_rest or (M.FACTORY_OPTR & ~0x03BF77FF)) | rdp_raw | (o.bor << 8)
  for k, b in pairs(bits) do
    if o[k] ~= nil and type(o[k]) ~= "boolean" then
      return nil, string.format("option '%s': expected true or false, got %s", k, tostring(o[k]))
    end
    if o[k] then optr = optr | (1 << b) end
  end
  local pages = {}
  for _, p in ipairs(o.write_protected or {}) do
    if math.type(p) ~= "integer" or p < 0 or p >= 2 * M.PAGES then
      return nil, string.format("option 'write_protected': page %s out of range 0..%d", tostring(p), 2 * M.PAGES - 1)
    end
    pages[#pages + 1] = p
  end
  table.sort(pages)
  local wrp = {}
  for bank = 0, 1 do
    local runs = areas(pages, bank)
    if #runs > 2 then
      return nil, string.format("option 'write_protected': bank %d needs %d runs of pages, its WRP areas hold 2",
        bank + 1, #runs)
    end
    for k = 1, 2 do
      local r = runs[k]
      -- bits 31:24 and 15:8 are reserved and read 1 (the factory value)
      wrp[#wrp + 1] = r and (0xFF00FF00 | r[1] | (r[2] << 16)) or M.FACTORY_WRP
    end
  end
  return optr, wrp
end

-- What writing `new` over `old` (decoded tables) does.
function M.consequences(old, new)
  local out = {}
  if old.rdp == 1 and new.rdp == 0 then
    out[#out + 1] = { what = "RDP level 1 -> 0 mass-erases both banks and SRAM2 (§4.4)", erases_flash = true }
  end
  if new.rdp == 2 and old.rdp ~= 2 then
    out[#out + 1] = { what = "RDP level 2 disables debug access for ever (irreversible)", irreversible = true }
  end
  if old.rdp == 0 and new.rdp == 1 then
    out[#out + 1] = { what = "RDP level 1 blocks debugger access to flash and SRAM2 until regressed (which mass-erases)" }
  end
  if old.bfb2 ~= new.bfb2 then
    out[#out + 1] = { what = "BFB2 changes which bank the chip boots from" }
  end
  return out
end

function M.check_change(old, new, allow)
  return C.consent(M.consequences(old, new), allow)
end

-- ---- on a connected target ----------------------------------------------

M.FLASH = 0x40022000          -- §4.1
M.KEYR, M.OPTKEYR, M.SR, M.CR, M.OPTR = 0x08, 0x0C, 0x10, 0x14, 0x20
M.WRP = { 0x2C, 0x30, 0x4C, 0x50 } -- WRP1AR WRP1BR WRP2AR WRP2BR
M.KEY1, M.KEY2 = 0x45670123, 0xCDEF89AB
M.OPTKEY1, M.OPTKEY2 = 0x08192A3B, 0x4C5D6E7F
M.SR_BSY, M.SR_ERRORS, M.SR_W1C = 0x10000, 0x3FA, 0xC3FB   -- §4.2
M.CR_OPTSTRT, M.CR_OBL_LAUNCH, M.CR_OPTLOCK, M.CR_LOCK = 0x20000, 0x08000000, 0x40000000, 0x80000000
M.UID = 0x1FFF7590            -- §1.2

M.fields = { rdp = true, bor = true, write_protected = true }
for k in pairs(bits) do M.fields[k] = true end

function M.factory() return M.decode(M.FACTORY_OPTR) end
function M.check_fields(want) return C.check_fields(M, want) end

function M.read(t)
  local optr = t:read32(M.FLASH + M.OPTR)
  local wrp = {}
  for i, off in ipairs(M.WRP) do wrp[i] = t:read32(M.FLASH + off) end
  return optr, wrp, M.decode(optr, wrp)
end

function M.prepare(t, want, allow)
  local ok, ferr = M.check_fields(want)
  if not ok then return nil, ferr end
  local _, _, old = M.read(t)
  local new = {}
  for k, v in pairs(old) do new[k] = v end
  for k, v in pairs(want) do new[k] = v end
  if want.rdp == 1 and old.rdp == 1 then new.rdp_raw = old.rdp_raw end
  local optr, wrp = M.encode(new)
  if not optr then return nil, "option_bytes: " .. wrp end
  new = M.decode(optr, wrp)
  local okc, cerr = M.check_change(old, new, allow)
  if not okc then return nil, cerr end
  local oldr, oldw = M.encode(old)
  local changed = oldr ~= optr
  for i = 1, 4 do changed = changed or oldw[i] ~= wrp[i] end
  return { old = old, new = new, optr = optr, wrp = wrp, consequences = M.consequences(old, new),
    changed = changed }
end

local function wait_idle(t, timeout_s, what)
  return C.wait(t, M.FLASH + M.SR, M.SR_BSY, timeout_s, what, "FLASH_SR.BSY")
end

-- Program a prepared change, load it (OBL_LAUNCH: the chip resets), halt
-- it again and check it. reset(t) (default: a system reset, halted) runs
-- first too: OBL_LAUNCH resets the chip under whatever runs on it (a flash
-- loader), so the chip is brought to a known halt before.
-- Returns { seconds, optr, registers = { optr }, optcr = OPTR, optcr1 = WRP1AR, decoded }.
function M.write(t, change, opts)
  opts = opts or {}
  local timeout = opts.timeout or 10
  local t0 = t:now_ns()
  local f = M.FLASH
  local function reset() if opts.reset then opts.reset(t) else t:reset("system", true) end end
  reset()
  wait_idle(t, timeout, "before unlock")
  if t:read32(f + M.CR) & M.CR_LOCK ~= 0 then       -- keys only when locked (§4.3)
    t:write32(f + M.KEYR, M.KEY1)
    t:write32(f + M.KEYR, M.KEY2)
  end
  if t:read32(f + M.CR) & M.CR_OPTLOCK ~= 0 then
    t:write32(f + M.OPTKEYR, M.OPTKEY1)
    t:write32(f + M.OPTKEYR, M.OPTKEY2)
  end
  local cr = t:read32(f + M.CR)
  if cr & (M.CR_LOCK | M.CR_OPTLOCK) ~= 0 then
    error(string.format("option bytes: FLASH_CR 0x%08x stays locked after the key sequences " ..
      "(a wrong key since the last reset?)", cr), 0)
  end
  t:write32(f + M.SR, M.SR_W1C)                        -- stale flags would be PGSERR
  t:write32(f + M.OPTR, change.optr)
  for i, off in ipairs(M.WRP) do t:write32(f + off, change.wrp[i]) end
  t:write32(f + M.CR, M.CR_OPTSTRT)
  local sr = wait_idle(t, math.max(timeout, 1), "programming")
  if sr & M.SR_ERRORS ~= 0 then
    t:write32(f + M.SR, sr & M.SR_W1C)
    error(string.format("option bytes: programming failed, FLASH_SR 0x%08x", sr), 0)
  end
  -- OBL_LAUNCH reloads the options through a reset of the chip; the ST-LINK
  -- may answer that write with an error (§12 #13), so its result is not used
  pcall(function() t:write32(f + M.CR, M.CR_OBL_LAUNCH) end)
  reset()
  local optr, wrp, dec = M.read(t)
  local same = optr == change.optr
  for i = 1, 4 do same = same and wrp[i] == change.wrp[i] end
  if not same then
    error(string.format("option bytes: verify after reload: FLASH_OPTR 0x%08x WRP1AR 0x%08x WRP1BR 0x%08x " ..
      "WRP2AR 0x%08x WRP2BR 0x%08x, expected 0x%08x 0x%08x 0x%08x 0x%08x 0x%08x", optr, wrp[1], wrp[2], wrp[3],
      wrp[4], change.optr, change.wrp[1], change.wrp[2], change.wrp[3], change.wrp[4]), 0)
  end
  return { seconds = (t:now_ns() - t0) / 1e9, optr = optr, optcr = optr, optcr1 = wrp[1], decoded = dec,
    registers = { optr = optr } }
end

return M
