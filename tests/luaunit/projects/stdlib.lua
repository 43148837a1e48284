-- A project is code: it uses the whole standard library like any Lua
-- program (README "A project file is code").
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local f = assert(io.open(here .. "/good.lua"))
board = f:read("a"):match('board = "([%w_]+)"')
f:close()
smart_flash = os.time() > 0
local S = require("luaflash.settings")
verify = S.spec.verify and "readback"
keep_unwritten = load("return 2 * ...")(21) == 42
erase = coroutine.wrap(function() coroutine.yield("sector") end)()
base = package.loaded["luaflash.settings"] == S and 0x08000000 or 0
