-- Chip (part) names as users write them: the `chip` setting, --chip, the
-- board files' `target`, `luaflash chips` and the engine all look parts up
-- here. It is the Lua face of the C parts table (src/flash/parts.c, one
-- source for C and Lua): names are case-insensitive and have the usual short
-- forms, which the C lookup (luaflash.part) knows:
--
--   "STM32F767ZI", "stm32f767zi", "f767zi"            the part
--   "STM32F767ZIT6", "STM32F767ZITx" (probe-rs)       an ordering code: the
--                                                     part + package letter
--                                                     + temperature digit
--
-- A part is { name (canonical, lower case), family (the C family unit's
-- name), family_name, dev_id (= line: the family's ID of its line; STM32:
-- DEV_ID), flash_kib, aliases (the short name first) }, a fresh table the
-- caller may keep. Before connect this is all luaflash knows of the chip:
-- images are parsed and range-checked against the part's nominal geometry
-- (luaflash.geometry{part=}); after connect the chip's own geometry is used.

local lf = require("luaflash")
local family = require("luaflash.family")

local M = {}

local function part(p)
  local f = family.get(p.family)
  return { name = p.name:lower(), family = p.family, family_name = f.title or p.family,
    dev_id = p.line, line = p.line, flash_kib = p.flash_kib, aliases = p.aliases }
end

-- Every part, sorted by name.
function M.list()
  local out = {}
  for _, p in ipairs(lf.parts()) do out[#out + 1] = part(p) end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

-- Canonical names, sorted.
function M.names()
  local t = {}
  for i, c in ipairs(M.list()) do t[i] = c.name end
  return t
end

-- The part `name` means, or nil and "unknown chip 'x' (did you mean 'y'?)...".
function M.get(name)
  local p = type(name) == "string" and lf.part(name)
  if p then return part(p) end
  local candidates = {}
  for _, c in ipairs(M.list()) do
    candidates[#candidates + 1] = c.name
    for _, a in ipairs(c.aliases) do candidates[#candidates + 1] = a end
  end
  local hint = type(name) == "string" and require("luaflash.settings").suggest(name:lower(), candidates)
  return nil, "unknown chip '" .. tostring(name) .. "'" .. (hint and (" (did you mean '" .. hint .. "'?)") or "") ..
    "; luaflash chips lists the known chips"
end

-- The settings layer of the family of chip `name` (defaults < family <
-- board < project < command line), or nil for an unknown name.
function M.family_layer(name)
  local c = M.get(name)
  if not c then return nil end
  return { name = "target family " .. c.family_name, values = family.get(c.family).settings or {} }
end

return M
