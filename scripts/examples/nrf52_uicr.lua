-- nRF52 UICR: a plain script that writes UICR words of a connected nRF52840
-- (luaflash.targets.nrf52_uicr: only erased words are programmed directly;
-- otherwise the UICR is erased and rewritten with everything it held; every
-- word is read back).
--
--   luaflash --bench nrf52840-dk nrf52_uicr.lua CUSTOMER[0]=0x12345678 PSELRESET[0]=18 PSELRESET[1]=18
--   luaflash --bench nrf52840-dk nrf52_uicr.lua APPROTECT=0xFFFFFF00 allow_protect=true
--   luaflash --bench nrf52840-dk nrf52_uicr.lua           (prints the UICR words that are set)
--
-- APPROTECT = 0xFFFFFF00 closes the debug port at the next reset; only
-- `luaflash recover allow_mass_erase=true` opens it again (everything erased).
local lf = require("luaflash")
local uicr = require("luaflash.targets.nrf52_uicr")

local words, opts = {}, {}
for _, a in ipairs(arg or {}) do
  local k, v = a:match("^([^=]+)=(.+)$")
  if k == "allow_protect" then
    opts.allow_protect = v == "true"
  elseif k and math.tointeger(tonumber(v)) then
    words[math.tointeger(tonumber(k)) or k] = math.tointeger(tonumber(v))
  else
    lf.usage_error("nrf52_uicr: expected NAME=VALUE (CUSTOMER[0]=0x12345678) or allow_protect=true, got '" .. a .. "'", 0)
  end
end
local ok, err = pcall(uicr.check, words, opts)   -- every input checked before the probe opens
if not ok then lf.usage_error("nrf52_uicr: " .. tostring(err), 0) end

local probe <close> = lf.open()
local t = probe:target { family = "nrf52" }
local info = t:connect("halt")
if info.family ~= "nrf52" then
  error(string.format("nrf52_uicr: the connected chip is %s, not an nRF52", tostring(info.chip)), 0)
end
if next(words) then
  local r = uicr.write(t, words, opts)
  print(string.format("nrf52_uicr: %s: %d word(s) written%s, verified", info.chip, r.written,
    r.erased and " (UICR erased and rewritten)" or ""))
end
local set = uicr.read(t)
local offs = {}
for off in pairs(set) do offs[#offs + 1] = off end
table.sort(offs)
for _, off in ipairs(offs) do print(string.format("  0x%08x = 0x%08x", uicr.BASE + off, set[off])) end
-- a reset makes the new values take effect; with APPROTECT set the debug
-- port is closed from then on
local reset_ok = pcall(t.reset, t, "system", false)
if reset_ok then
  t:disconnect { resume = true }
elseif words.APPROTECT or words[0x208] or words[0x10001208] then
  print("nrf52_uicr: reset: the debug port is closed now (APPROTECT); `luaflash recover allow_mass_erase=true` opens it")
else
  error("nrf52_uicr: the reset after the write failed", 0)
end
