-- The tiny test harness of the pure-Lua unit tests: cmocka-like lines, a
-- summary, exit status 1 on any failure.
--
--   local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
--   T.test("name", function() T.eq(got, want, "what") end)
--   T.done()
local src = os.getenv("LF_SOURCE_DIR") or "."
package.path = src .. "/lua/?.lua;" .. package.path

local T = { src = src, passed = 0, failed = 0 }

function T.test(name, f)
  local ok, err = pcall(f)
  if ok then
    T.passed = T.passed + 1
    print("[       OK ] " .. name)
  else
    T.failed = T.failed + 1
    print("[  FAILED  ] " .. name .. ": " .. tostring(err))
  end
end

function T.eq(a, b, what)
  if a ~= b then
    error((what or "value") .. ": expected " .. tostring(b) .. ", got " .. tostring(a), 2)
  end
end

function T.done()
  print(string.format("[==========] %d test(s) run.", T.passed + T.failed))
  if T.failed > 0 then
    print(string.format("[  FAILED  ] %d test(s).", T.failed))
    os.exit(1)
  end
  print(string.format("[  PASSED  ] %d test(s).", T.passed))
end

return T
