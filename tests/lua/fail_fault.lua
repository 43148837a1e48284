-- A bus fault in the script: exit 1, file:line, the address, a traceback.
local lf = require("luaflash")
local p <close> = lf.open()
p:connect()
local function peek_reserved()
  return p:read32(0x30000000)
end
peek_reserved()
