-- Unit tests of lua/luaflash/boards.lua and the boards/ files.
local src = os.getenv("LF_SOURCE_DIR") or "."
package.path = src .. "/lua/?.lua;" .. package.path
local B = require("luaflash.boards")
local S = require("luaflash.settings")
local dirs = { src .. "/boards" }

local passed, failed = 0, 0
local function test(name, f)
  local ok, err = pcall(f)
  if ok then passed = passed + 1; print("[       OK ] " .. name)
  else failed = failed + 1; print("[  FAILED  ] " .. name .. ": " .. tostring(err)) end
end
local function eq(a, b, what)
  if a ~= b then error((what or "value") .. ": expected " .. tostring(b) .. ", got " .. tostring(a), 2) end
end

test("every_board_file_loads_and_names_a_target", function()
  local names = B.list(dirs)
  assert(#names >= 2, "at least the two NUCLEO boards")
  for _, n in ipairs(names) do
    local b = assert(B.load(n, dirs))
    assert(b.target:match("^stm32"), n)
    assert(S.merge({ b.layer }), n)
  end
end)

test("dash_and_underscore_names_are_the_same_board", function()
  local b = assert(B.load("nucleo-f767zi", dirs))
  eq(b.name, "nucleo_f767zi"); eq(b.bench, "nucleo-f767zi"); eq(b.target, "stm32f767zi")
end)

test("unknown_board_lists_the_known_ones", function()
  local b, err = B.load("nucleo_f76zi", dirs)
  eq(b, nil)
  eq(err, "unknown board 'nucleo_f76zi' (did you mean 'nucleo_f767zi'?); known boards: nucleo_f429zi, nucleo_f767zi")
  b, err = B.load("../etc/passwd", dirs)
  eq(b, nil); assert(err:find("board name must be a word"), err)
end)

print(string.format("[==========] %d test(s) run.", passed + failed))
if failed > 0 then print(string.format("[  FAILED  ] %d test(s).", failed)); os.exit(1) end
print(string.format("[  PASSED  ] %d test(s).", passed))
