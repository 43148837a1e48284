-- Unit tests of lua/luaflash/boards.lua and the boards/ files. Runs under
-- the luaflash binary (cmake/luaunit.cmake): boards.lua lists folders with
-- the C primitive lf.listdir. A folder path with shell syntax in it:
-- tests/lua/cli_test.sh (boards-folder-path-is-not-shell-code).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local B = require("luaflash.boards")
local S = require("luaflash.settings")
local dirs = { src .. "/boards" }


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

test("a_board_folder_that_cannot_be_read_holds_no_boards", function()
  local names = B.list({ src .. "/no such folder", src .. "/boards/nucleo_f767zi.lua", src .. "/boards" })
  eq(table.concat(names, ","), "nucleo_f429zi,nucleo_f767zi")
end)

T.done()
