-- To-be-closed values for luaflash's Lua objects (the flash object of
-- flash.lua, the engine's probe and target), the same rule as the C objects'
-- __close (src/script/lf_lua.c): the scope's end calls obj:close(); a close
-- failure is raised on a normal exit, and only logged while an error unwinds,
-- so the first error is the one reported.
--
--   local mt = { __close = require("luaflash.closing").tbc }
--   local F <close> = setmetatable(obj_with_close, mt)

local M = {}

function M.tbc(obj, err)
  if err == nil then return obj:close() end
  local ok, cerr = pcall(obj.close, obj)
  if not ok then
    require("luaflash").log("warn", "closing " .. tostring(obj) .. ": " .. tostring(cerr))
  end
end

return M
