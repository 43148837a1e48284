-- STM32F1 option bytes (medium and high density): decode the option block
-- (8 half-words at 0x1FFFF800, each a value byte and its complement) into
-- named fields, encode them back, say what a change would do before anything
-- is written, and write it through the FPEC.
-- Facts: ../shared/reference/stm32-f1-l4-h7-targets.md §3.1 (OBR, WRPR),
-- §3.4 (layout, factory values, RDP, the option erase/program sequence).
-- The interface is that of luaflash.targets.stm32f7_options (production,
-- scripts/examples/unprotect.lua).

local C = require("luaflash.targets.option_common")

local M = {}

M.OPT_BASE = 0x1FFFF800       -- §3.4: RDP, USER, DATA0, DATA1, WRP0..WRP3
M.FACTORY = { 0xA5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF } -- §3.4 value bytes
M.REG_NAME = "FLASH_OBR"      -- the register read() returns first (for messages)
M.RDP_KEY = 0xA5              -- §3.4: level 0; anything else is level 1 (no level 2 on the F1)

-- Pages per WRP bit (§3.1): 4 on medium density (DEV_ID 0x410); 2 on high
-- density (0x414), whose bit 31 covers every page from 62 on.
local granule = { [0x410] = 4, [0x414] = 2 }
local MAX_PAGES = 256         -- 512 KiB of 2 KiB pages (high density)

local function wrp_pages(bit, dev_id, npages)
  local g = granule[dev_id] or 4
  local first, last = bit * g, bit * g + g - 1
  if g == 2 and bit == 31 then last = npages - 1 end
  local out = {}
  for p = first, math.min(last, npages - 1) do out[#out + 1] = p end
  return out
end

local function wrp_bit(page, dev_id)
  local g = granule[dev_id] or 4
  return math.min(page // g, 31)
end

-- bytes: the 8 value bytes (RDP, USER, DATA0, DATA1, WRP0..3); dev_id and
-- npages give the WRP granularity (defaults: medium density, 128 pages).
function M.decode(bytes, dev_id, npages)
  dev_id, npages = dev_id or 0x410, npages or 128
  local wrp = bytes[5] | bytes[6] << 8 | bytes[7] << 16 | bytes[8] << 24
  local protected = {}
  for bit = 0, 31 do
    if (wrp >> bit) & 1 == 0 then
      for _, p in ipairs(wrp_pages(bit, dev_id, npages)) do protected[#protected + 1] = p end
    end
  end
  return {
    rdp_raw = bytes[1],
    rdp = bytes[1] == M.RDP_KEY and 0 or 1,
    iwdg_sw = bytes[2] & 1 == 1,
    nrst_stop = (bytes[2] >> 1) & 1 == 1,
    nrst_stdby = (bytes[2] >> 2) & 1 == 1,
    data0 = bytes[3],
    data1 = bytes[4],
    write_protected = protected,       -- page numbers
  }
end

local function bit(v, b) return v and (1 << b) or 0 end

-- Encode a decoded table into the 8 value bytes. Errors name the field.
function M.encode(o, dev_id)
  local rdp_raw
  if o.rdp == 0 then rdp_raw = M.RDP_KEY
  elseif o.rdp == 1 then
    rdp_raw = (o.rdp_raw and o.rdp_raw ~= M.RDP_KEY) and o.rdp_raw or 0x00
  elseif o.rdp == 2 then return nil, "option 'rdp': the STM32F1 has no level 2 (levels 0 and 1)"
  else return nil, "option 'rdp': expected 0 or 1, got " .. tostring(o.rdp) end
  for _, k in ipairs({ "data0", "data1" }) do
    local v = o[k]
    if math.type(v) ~= "integer" or v < 0 or v > 0xFF then
      return nil, string.format("option '%s': expected a byte 0..255, got %s", k, tostring(v))
    end
  end
  local wrp = 0xFFFFFFFF
  for _, p in ipairs(o.write_protected or {}) do
    if math.type(p) ~= "integer" or p < 0 or p >= MAX_PAGES then
      return nil, string.format("option 'write_protected': page %s out of range 0..%d", tostring(p), MAX_PAGES - 1)
    end
    wrp = wrp & ~(1 << wrp_bit(p, dev_id or 0x410))
  end
  -- USER bits 7:3 are unused and read 1 (factory 0xFF)
  local user = 0xF8 | bit(o.iwdg_sw, 0) | bit(o.nrst_stop, 1) | bit(o.nrst_stdby, 2)
  return { rdp_raw, user, o.data0, o.data1, wrp & 0xFF, (wrp >> 8) & 0xFF, (wrp >> 16) & 0xFF, wrp >> 24 }
end

-- What writing `new` over `old` (decoded tables) does: a list of
-- { what = "...", erases_flash = bool, irreversible = bool }.
function M.consequences(old, new)
  local out = {}
  if old.rdp == 1 and new.rdp == 0 then
    out[#out + 1] = { what = "removing read protection erases the option bytes, which mass-erases the whole flash (§3.4)",
      erases_flash = true }
  end
  if old.rdp == 0 and new.rdp == 1 then
    out[#out + 1] = { what = "read protection blocks debugger access to flash until removed (which mass-erases)" }
  end
  return out
end

function M.check_change(old, new, allow)
  return C.consent(M.consequences(old, new), allow)
end

-- ---- on a connected target ----------------------------------------------
-- The write sequence (§3.4): unlock KEYR, OPTKEYR keys (OPTWRE), OPTER +
-- STRT, poll BSY (an erase at RDP 1 mass-erases the flash first), OPTPG and
-- one half-word per option byte (the hardware writes the complement), LOCK,
-- then a system reset so the chip loads them, and a read-back.

M.FLASH = 0x40022000          -- §3.1
M.KEYR, M.OPTKEYR, M.SR, M.CR, M.OBR, M.WRPR = 0x04, 0x08, 0x0C, 0x10, 0x1C, 0x20
M.KEY1, M.KEY2 = 0x45670123, 0xCDEF89AB   -- §3.1: OPTKEYR takes the flash keys
M.SR_BSY, M.SR_ERRORS = 0x01, 0x14         -- §3.1: BSY; PGERR | WRPRTERR
M.CR_OPTPG, M.CR_OPTER, M.CR_STRT, M.CR_LOCK, M.CR_OPTWRE = 0x10, 0x20, 0x40, 0x80, 0x200
M.UID = 0x1FFFF7E8            -- §1.1: 96-bit unique ID

M.fields = { rdp = true, iwdg_sw = true, nrst_stop = true, nrst_stdby = true, data0 = true,
  data1 = true, write_protected = true }

function M.factory() return M.decode(M.FACTORY) end
function M.check_fields(want) return C.check_fields(M, want) end

-- The chip's line (WRP granularity) and page count.
local function chip_shape(t)
  local dev_id = t:read32(0xE0042000) & 0xFFF   -- §1.1 DBGMCU_IDCODE (debugger view)
  local kib = t:read32(0x1FFFF7E0) & 0xFFFF     -- §1.1 flash size
  local page = (granule[dev_id] == 2) and 2 or 1
  return dev_id, kib // page
end

-- The stored option bytes (what the next reset loads): OBR, WRPR (loaded
-- now) and the decoded stored values.
function M.read(t)
  local dev_id, npages = chip_shape(t)
  local bytes = {}
  for i = 0, 3 do
    local w = t:read32(M.OPT_BASE + 4 * i)
    bytes[2 * i + 1], bytes[2 * i + 2] = w & 0xFF, (w >> 16) & 0xFF
  end
  local dec = M.decode(bytes, dev_id, npages)
  dec.bytes = bytes
  return t:read32(M.FLASH + M.OBR), t:read32(M.FLASH + M.WRPR), dec
end

function M.prepare(t, want, allow)
  local ok, ferr = M.check_fields(want)
  if not ok then return nil, ferr end
  local dev_id, npages = chip_shape(t)
  local _, _, old = M.read(t)
  old.bytes = nil
  local new = {}
  for k, v in pairs(old) do new[k] = v end
  for k, v in pairs(want) do new[k] = v end
  if want.rdp == 1 and old.rdp == 1 then new.rdp_raw = old.rdp_raw end
  local bytes, err = M.encode(new, dev_id)
  if not bytes then return nil, "option_bytes: " .. err end
  new = M.decode(bytes, dev_id, npages)
  local okc, cerr = M.check_change(old, new, allow)
  if not okc then return nil, cerr end
  local oldb = M.encode(old, dev_id)
  local changed = false
  for i = 1, 8 do changed = changed or oldb[i] ~= bytes[i] end
  return { old = old, new = new, bytes = bytes, dev_id = dev_id, npages = npages,
    consequences = M.consequences(old, new), changed = changed }
end

local function wait_idle(t, timeout_s, what)
  return C.wait(t, M.FLASH + M.SR, M.SR_BSY, timeout_s, what, "FLASH_SR.BSY")
end

local function check(t, sr, what)
  if sr & M.SR_ERRORS ~= 0 then
    t:write32(M.FLASH + M.SR, sr & M.SR_ERRORS)
    error(string.format("option bytes: %s failed, FLASH_SR 0x%08x", what, sr), 0)
  end
end

-- Program a prepared change and check it. reset(t) must reset the chip
-- (system reset, halted) so that it loads the options. Returns
-- { seconds, registers = { obr, wrpr }, decoded } as read back after the
-- reset (optcr = FLASH_OBR and optcr1 = FLASH_WRPR for callers written for
-- the F7 module).
function M.write(t, change, opts)
  opts = opts or {}
  local timeout = opts.timeout or 10
  local t0 = t:now_ns()
  local f = M.FLASH
  wait_idle(t, timeout, "before unlock")
  if t:read32(f + M.CR) & M.CR_LOCK ~= 0 then
    t:write32(f + M.KEYR, M.KEY1)
    t:write32(f + M.KEYR, M.KEY2)
  end
  t:write32(f + M.OPTKEYR, M.KEY1)
  t:write32(f + M.OPTKEYR, M.KEY2)
  if t:read32(f + M.CR) & M.CR_OPTWRE == 0 then
    error("option bytes: FLASH_CR.OPTWRE stays clear after the key sequences (a wrong key since the last reset?)", 0)
  end
  t:write32(f + M.SR, M.SR_ERRORS | 0x20)          -- clear stale flags and EOP (w1c)
  t:write32(f + M.CR, M.CR_OPTER | M.CR_OPTWRE)
  t:write32(f + M.CR, M.CR_OPTER | M.CR_STRT | M.CR_OPTWRE)
  check(t, wait_idle(t, timeout, "option erase"), "option erase")
  t:write32(f + M.CR, M.CR_OPTPG | M.CR_OPTWRE)
  for i, b in ipairs(change.bytes) do
    t:write16(M.OPT_BASE + 2 * (i - 1), b)           -- the complement is the hardware's
    check(t, wait_idle(t, timeout, "option program"), "option program")
  end
  t:write32(f + M.CR, M.CR_LOCK)
  if opts.reset then opts.reset(t) else t:reset("system", true) end
  local obr, wrpr, dec = M.read(t)
  for i = 1, 8 do
    if dec.bytes[i] ~= change.bytes[i] then
      error(string.format("option bytes: verify after reset: byte %d reads 0x%02x, expected 0x%02x",
        i - 1, dec.bytes[i], change.bytes[i]), 0)
    end
  end
  return { seconds = (t:now_ns() - t0) / 1e9, optcr = obr, optcr1 = wrpr, decoded = dec,
    registers = { obr = obr, wrpr = wrpr } }
end

return M
