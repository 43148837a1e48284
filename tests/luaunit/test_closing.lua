-- Unit tests of lua/luaflash/closing.lua, the __close of luaflash's Lua
-- objects: close() at the end of the scope; a close failure is raised on a
-- normal exit and only logged while an error unwinds (the first error wins).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local logs = {}
package.loaded["luaflash"] = { log = function(level, msg) logs[#logs + 1] = level .. ": " .. msg end }
local closing = require("luaflash.closing")

local mt = { __close = closing.tbc, __name = "thing" }
local function thing(fail)
  local o = { closed = 0 }
  function o.close(self)
    self.closed = self.closed + 1
    if fail then error("close failed", 0) end
  end
  return setmetatable(o, mt)
end

test("normal_exit_closes_once", function()
  local o = thing()
  do local x <close> = o end -- luacheck: ignore
  eq(o.closed, 1)
end)

test("normal_exit_raises_a_close_failure", function()
  local o = thing(true)
  local ok, err = pcall(function() local x <close> = o end) -- luacheck: ignore
  eq(ok, false); eq(err, "close failed"); eq(o.closed, 1)
end)

test("error_exit_closes_and_the_first_error_wins_the_close_failure_is_logged", function()
  local o = thing(true)
  logs = {}
  local ok, err = pcall(function()
    local x <close> = o -- luacheck: ignore
    error("first", 0)
  end)
  eq(ok, false); eq(err, "first"); eq(o.closed, 1)
  eq(#logs, 1); assert(logs[1]:find("^warn: closing thing: .*close failed"), logs[1])
end)

T.done()
