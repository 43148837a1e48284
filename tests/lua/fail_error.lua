-- A plain Lua error: exit 1 with file:line and traceback; the probe closes.
local lf = require("luaflash")
local p <close> = lf.open()
p:connect()
error("deliberate failure")
