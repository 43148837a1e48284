-- Chip (part) names as users write them: the `chip` setting, --chip, the
-- board files' `target`, `luaflash chips` and the engine all look parts up
-- here. Names are case-insensitive and have the usual short forms:
--
--   "STM32F767ZI", "stm32f767zi", "f767zi"            the part
--   "STM32F767ZIT6", "STM32F767ZITx" (probe-rs)       an ordering code: the
--                                                     part + package letter
--                                                     + temperature digit
--
-- This is the one interface to the parts table (lua/luaflash/targets.lua
-- today, a C table later): get, names, list, family_layer. A part is
-- { name (canonical, lower case), family, family_name, dev_id, flash_kib,
-- aliases }, a fresh table the caller may keep.

local targets = require("luaflash.targets")

local M = {}

local PREFIX = "stm32"

-- The short alias of a part: its name without the vendor prefix.
local function short(name)
  return name:sub(1, #PREFIX) == PREFIX and name:sub(#PREFIX + 1) or nil
end

-- The canonical name `name` means, or nil.
local function canonical(name)
  if type(name) ~= "string" then return nil end
  local n = name:lower()
  if n:sub(1, #PREFIX) ~= PREFIX then n = PREFIX .. n end
  if targets.list[n] then return n end
  local part = n:match("^(.+)%a[%dx]$")
  if part and targets.list[part] then return part end
  return nil
end

local function part(n)
  local t = targets.list[n]
  local fam = targets.families[t.family]
  return { name = n, family = t.family, family_name = fam and fam.name or t.family, dev_id = t.dev_id,
    flash_kib = t.flash_kib, aliases = { short(n) } }
end

-- Canonical names, sorted.
function M.names()
  return targets.names()
end

-- Every part, sorted by name.
function M.list()
  local out = {}
  for i, n in ipairs(M.names()) do out[i] = part(n) end
  return out
end

-- The part `name` means, or nil and "unknown chip 'x' (did you mean 'y'?)...".
function M.get(name)
  local n = canonical(name)
  if n then return part(n) end
  local candidates = {}
  for _, c in ipairs(M.names()) do
    candidates[#candidates + 1] = c
    candidates[#candidates + 1] = short(c)
  end
  local hint = type(name) == "string" and require("luaflash.settings").suggest(name:lower(), candidates)
  return nil, "unknown chip '" .. tostring(name) .. "'" .. (hint and (" (did you mean '" .. hint .. "'?)") or "") ..
    "; luaflash chips lists the known chips"
end

-- The settings layer of the family of chip `name` (defaults < family <
-- board < project < command line), or nil for an unknown name.
function M.family_layer(name)
  local n = canonical(name)
  return n and targets.family_layer(n) or nil
end

return M
