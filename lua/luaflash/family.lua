-- A family's Lua companion (lua/luaflash/families/NAME.lua, optional): its
-- settings layer and option-byte modules. NAME is the C family unit's name
-- (luaflash.families()); nothing else in Lua names a family.
local M = {}

local cache = {}

-- The companion of family `name` ({} when it has none).
function M.get(name)
  if not name then return {} end
  if cache[name] == nil then
    local ok, mod = pcall(require, "luaflash.families." .. name)
    if not ok and not tostring(mod):find("module 'luaflash.families." .. name .. "' not found", 1, true) then
      error(mod, 0)
    end
    cache[name] = ok and mod or {}
  end
  return cache[name]
end

-- The option-byte module of a line of family `name`, or nil.
function M.option_bytes(name, line)
  local m = (M.get(name).option_bytes or {})[line]
  return m and require(m) or nil
end

return M
