-- nRF52 UICR writes through the debug port (nrf52-rp2040-targets.md §2 UICR
-- registers, §3 NVMC, §5.1 APPROTECT): the user's words of the UICR
-- (0x10001000, flash-backed, erased 0xFFFFFFFF), each given by name or
-- offset:
--
--   local uicr = require("luaflash.targets.nrf52_uicr")
--   uicr.write(t, { ["CUSTOMER[0]"] = 0x12345678, ["PSELRESET[0]"] = 18, ["PSELRESET[1]"] = 18 })
--
-- t: a connected, halted target (NVMC operations from the debugger need the
-- CPU halted, §3.1 #9). A word is programmed only over an erased word (a
-- word may be written at most twice between erases, §3.1 #6, and a
-- program only clears bits); when any requested word is not erased and
-- differs, the whole UICR is read, erased (ERASEUICR) and written back with
-- the new values, so nothing else in it is lost (NRFFW bootloader address,
-- NFCPINS, REGOUT0 ...). Every written word is read back (verified).
-- APPROTECT values that close the debug port (anything but 0xFF / 0x5A in
-- its low byte) need opts.allow_protect = true: after the next reset the
-- chip can only be recovered by erasing it (`luaflash recover`).
local M = {}

M.BASE = 0x10001000
M.SIZE = 0x1000
local NVMC = 0x4001E000
local READY, CONFIG, ERASEUICR = NVMC + 0x400, NVMC + 0x504, NVMC + 0x514
local REN, WEN, EEN = 0, 1, 2
local ERASED = 0xFFFFFFFF

-- Register names (offsets from 0x10001000, §2).
local arrays = { NRFFW = { 0x014, 13 }, NRFHW = { 0x050, 12 }, CUSTOMER = { 0x080, 32 },
  PSELRESET = { 0x200, 2 } }
local singles = { APPROTECT = 0x208, NFCPINS = 0x20C, DEBUGCTRL = 0x210, REGOUT0 = 0x304 }

-- The offset of a register name ("CUSTOMER[3]", "APPROTECT"), an offset
-- (0x80) or an address (0x10001080); nil and a message when unknown.
function M.offset(key)
  if math.type(key) == "integer" then
    local off = key >= M.BASE and key - M.BASE or key
    if off < 0 or off >= M.SIZE or off % 4 ~= 0 then
      return nil, string.format("UICR: 0x%x is not a word of the UICR (0x%08x + 0..0x%x)", key, M.BASE, M.SIZE - 4)
    end
    return off
  end
  local name, idx = tostring(key):upper():match("^([%u%d]+)%[(%d+)%]$")
  if name and arrays[name] then
    idx = tonumber(idx)
    if idx < arrays[name][2] then return arrays[name][1] + 4 * idx end
    return nil, string.format("UICR: %s has %d words (%s[0] .. %s[%d])", name, arrays[name][2], name, name,
      arrays[name][2] - 1)
  end
  local off = singles[tostring(key):upper()]
  if off then return off end
  local known = {}
  for k in pairs(arrays) do known[#known + 1] = k .. "[n]" end
  for k in pairs(singles) do known[#known + 1] = k end
  table.sort(known)
  return nil, "UICR: unknown register '" .. tostring(key) .. "' (known: " .. table.concat(known, ", ") ..
    ", or an offset/address)"
end

local function wait_ready(t)
  for _ = 1, 100000 do
    if t:read32(READY) & 1 == 1 then return end
  end
  error("UICR: NVMC READY stays 0", 0)
end

local function config(t, v)
  t:write32(CONFIG, v)
  wait_ready(t)
end

-- Checks `words` ({ key = value }) and returns { [offset] = value }; raises
-- on an unknown name, a value that is not a 32-bit integer or a protecting
-- APPROTECT without opts.allow_protect (nothing written then).
function M.check(words, opts)
  opts = opts or {}
  local out = {}
  for k, v in pairs(words) do
    local off, err = M.offset(k)
    if not off then error(err, 0) end
    if math.type(v) ~= "integer" or v < 0 or v > 0xFFFFFFFF then
      error(string.format("UICR %s: value must be a 32-bit integer", tostring(k)), 0)
    end
    if off == singles.APPROTECT and (v & 0xFF) ~= 0xFF and (v & 0xFF) ~= 0x5A and not opts.allow_protect then
      error(string.format("UICR APPROTECT = 0x%08x closes the debug port at the next reset (only an erase " ..
        "of the whole chip opens it again); set allow_protect = true to do it", v), 0)
    end
    out[off] = v
  end
  return out
end

-- Reads the UICR: { [offset] = word } of the words that are not erased.
function M.read(t)
  local data = t:read(M.BASE, M.SIZE)
  local out = {}
  for off = 0, M.SIZE - 4, 4 do
    local w = string.unpack("<I4", data, off + 1)
    if w ~= ERASED then out[off] = w end
  end
  return out
end

-- Writes `words`; returns { written = n, erased = bool }. See the header.
function M.write(t, words, opts)
  local want = M.check(words, opts)
  if not t:is_halted() then
    error("UICR: the core must be halted (NVMC operations started by the debugger need it): halt it, or " ..
      "in a project's hook stop the flash loader first (ctx.target.F.close())", 0)
  end
  local cur = M.read(t)
  -- the words that change (written as they are, unless one of them is not
  -- erased: then the whole UICR is erased and written back with them)
  local need_erase, image = false, {}
  for off, v in pairs(want) do
    local c = cur[off] or ERASED
    if c ~= v then
      if c ~= ERASED then need_erase = true end
      image[off] = v
    end
  end
  if next(image) == nil then return { written = 0, erased = false } end
  if need_erase then
    image = {}
    for off, v in pairs(cur) do image[off] = v end
    for off, v in pairs(want) do image[off] = v end
    config(t, EEN)
    t:write32(ERASEUICR, 1)
    wait_ready(t)
  end
  local n = 0
  config(t, WEN)
  local ok, err = pcall(function()
    for off, v in pairs(image) do
      if v ~= ERASED then
        t:write32(M.BASE + off, v)
        wait_ready(t)
        n = n + 1
      end
    end
  end)
  config(t, REN)
  if not ok then error(err, 0) end
  local now = M.read(t)
  for off, v in pairs(image) do
    if (now[off] or ERASED) ~= v then
      error(string.format("UICR: word 0x%08x reads 0x%08x after writing 0x%08x", M.BASE + off,
        now[off] or ERASED, v), 0)
    end
  end
  return { written = n, erased = need_erase }
end

return M
