-- Part names -> what luaflash needs to know before it connects: the
-- family, its line ID (STM32: DEV_ID, DBGMCU_IDCODE[11:0]) and the nominal
-- flash size, so images are parsed and range-checked before the probe is
-- even opened. After connect, the geometry is rebuilt from what the chip
-- reports (flash size register, bank mode) and the images are checked again
-- before any write. The rows are the C parts table (src/flash/parts.c: one
-- source for C and Lua); layouts and timings are the family units'.

local lf = require("luaflash")
local family = require("luaflash.family")

local M = {}

-- name (lower case) -> { name, dev_id, line, flash_kib, family, aliases }
M.list = {}
for _, p in ipairs(lf.parts()) do
  M.list[p.name:lower()] = { name = p.name, dev_id = p.line, line = p.line, flash_kib = p.flash_kib,
    family = p.family, aliases = p.aliases }
end

-- The settings layer of the family of target `name`, or nil (merge order:
-- defaults < family < board < project < command line).
function M.family_layer(name)
  local t = M.get(name)
  if not t then return nil end
  local f = family.get(t.family)
  return { name = "target family " .. (f.title or t.family), values = f.settings or {} }
end

function M.names()
  local t = {}
  for k in pairs(M.list) do t[#t + 1] = k end
  table.sort(t)
  return t
end

-- A part by name, alias or short name ("f767zi"), any case; or nil and an
-- error with a suggestion and the known names.
function M.get(name)
  local p = type(name) == "string" and lf.part(name)
  if p then return M.list[p.name:lower()] end
  local s = require("luaflash.settings")
  local hint = type(name) == "string" and s.suggest(name:lower(), M.names())
  return nil, "unknown target '" .. tostring(name) .. "'" .. (hint and (" (did you mean '" .. hint .. "'?)") or "") ..
    "; known: " .. table.concat(M.names(), ", ")
end

return M
