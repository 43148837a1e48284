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
    assert(require("luaflash.chips").get(b.target), n)
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
  eq(err, "unknown board 'nucleo_f76zi' (did you mean 'nucleo_f767zi'?); known boards: nrf52840_dk, nucleo_f103rb, nucleo_f429zi, nucleo_f767zi, nucleo_h743zi, nucleo_l476rg, pico")
  b, err = B.load("../etc/passwd", dirs)
  eq(b, nil); assert(err:find("board name must be a word"), err)
end)

test("a_board_folder_that_cannot_be_read_holds_no_boards", function()
  local names = B.list({ src .. "/no such folder", src .. "/boards/nucleo_f767zi.lua", src .. "/boards" })
  eq(table.concat(names, ","), "nrf52840_dk,nucleo_f103rb,nucleo_f429zi,nucleo_f767zi,nucleo_h743zi,nucleo_l476rg,pico")
end)

-- ---- board files with behaviour (tests/luaunit/boards/) ----
local tdirs = { src .. "/tests/luaunit/boards" }

test("a_board_file_carries_hooks_and_steps_top_level_or_in_its_table", function()
  local b = assert(B.load("behave", tdirs))
  eq(type(b.hooks.reset), "function", "top-level step")
  eq(type(b.hooks.will_connect), "function", "hook from the table")
  eq(b.will_connect, nil, "the function is not board data")
  eq(b.description, "test board with behaviour")
  eq(assert(S.merge({ b.layer })).reset, "hardware", "data and settings as before")
  local ctx = { notes = {} }
  b.hooks.will_connect(ctx)
  eq(b.hooks.reset(ctx, function() ctx.notes[#ctx.notes + 1] = "default" end), nil)
  eq(table.concat(ctx.notes, ","), "board will_connect,board reset,default")
end)

test("a_board_file_without_behaviour_has_no_functions", function()
  local b = assert(B.load("nucleo_f767zi", dirs))
  eq(next(b.hooks), nil)
end)

test("unknown_names_in_a_board_file_are_errors_with_line_and_suggestion", function()
  local d = tdirs[1]
  local b, err = B.load("stray_global", tdirs)
  eq(b, nil)
  assert(err:find(d .. "/stray_global.lua:1: unknown name 'helper' in a board file", 1, true), err)
  b, err = B.load("hook_typo", tdirs)
  eq(b, nil)
  assert(err:find(d .. "/hook_typo.lua:1: unknown name 'will_conect' in a board file (did you mean 'will_connect'?)",
    1, true), err)
  b, err = B.load("key_typo", tdirs)
  eq(b, nil); eq(err, d .. "/key_typo.lua: unknown board key 'setings' (did you mean 'settings'?)")
  b, err = B.load("twice", tdirs)
  eq(b, nil); eq(err, d .. "/twice.lua: 'reset' is defined twice (top level and table)")
end)

test("a_board_target_is_a_known_chip_stored_by_its_part_name", function()
  eq(assert(B.load("ordering_code", tdirs)).target, "stm32f429zi")
  local b, err = B.load("bad_target", tdirs)
  eq(b, nil)
  eq(err, tdirs[1] .. "/bad_target.lua: target: unknown chip 'stm32f42zi' (did you mean 'stm32f429zi'?); " ..
    "luaflash chips lists the known chips")
end)

T.done()
