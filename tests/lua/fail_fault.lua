-- A bus fault in the script: exit 1, file:line, the address, a traceback.
local lf = require("luaflash")
local p <close> = lf.open()
local t <close> = p:target(); t:connect("attach")
local function peek_reserved()
  return t:read32(0x30000000)
end
peek_reserved()
