-- Unit tests of lua/luaflash/project.lua (pure Lua, run by lua5.4).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local P = require("luaflash.project")
local S = require("luaflash.settings")
local dir = src .. "/tests/luaunit/projects"


test("settings_and_hooks_are_collected_with_lines", function()
  local p = assert(P.load(dir .. "/good.lua"))
  eq(p.values.board, "nucleo_f767zi")
  eq(p.where.clock, dir .. "/good.lua:5")
  eq(type(p.hooks.will_connect), "function")
  eq(p.values.image, dir .. "/build/app.bin", "image resolved against the project folder")
  local eff, origin = S.merge({ p.layer })
  assert(eff, origin)
  eq(eff.clock, 1800000)
  eq(origin.clock, "project " .. dir .. "/good.lua (" .. dir .. "/good.lua:5)")
  eq(eff.base, 0x08000000)
  local ctx = { settings = eff }
  p.hooks.will_connect(ctx)
  eq(ctx.settings.clock, 4000000)
end)

test("unknown_key_is_an_error_with_line_and_suggestion", function()
  local p, err = P.load(dir .. "/typo.lua")
  eq(p, nil)
  eq(err, dir .. "/typo.lua:3: unknown setting or hook 'smartflash' (did you mean 'smart_flash'?)")
end)

test("misspelt_hook_is_an_error", function()
  local p, err = P.load(dir .. "/hooktypo.lua")
  eq(p, nil)
  eq(err, dir .. "/hooktypo.lua:1: unknown setting or hook 'will_conect' (did you mean 'will_connect'?)")
end)

test("bad_type_is_reported_at_merge_with_file_line", function()
  local p = assert(P.load(dir .. "/badtype.lua"))
  local eff, err = S.merge({ p.layer })
  eq(eff, nil)
  eq(err, dir .. '/badtype.lua:2: setting \'erase\': expected one of "sector", "chip", "auto"')
end)

test("returned_table_and_image_lists", function()
  local p = assert(P.load(dir .. "/returns.lua"))
  eq(p.values.verify, false)
  eq(p.values.image[1].path, dir .. "/a.hex")
  eq(p.values.image[2].path, dir .. "/b.bin")
  eq(p.values.image[2].base, 0x08040000)
end)

test("syntax_error_and_missing_file", function()
  local p, err = P.load(dir .. "/syntax.lua")
  eq(p, nil); assert(err:find("syntax.lua:2:"), err)
  p, err = P.load(dir .. "/nope.lua")
  eq(p, nil); eq(err, dir .. "/nope.lua: cannot open project file")
end)

test("paths_resolve_against_the_project_folder", function()
  eq(P.resolve("/a/b", "c.bin"), "/a/b/c.bin")
  eq(P.resolve("/a/b", "/abs.bin"), "/abs.bin")
  eq(P.resolve(".", "c.bin"), "c.bin")
  eq(P.dirname("x.lua"), ".")
  eq(P.dirname("/x.lua"), "/")
  eq(P.dirname("p/q/x.lua"), "p/q")
end)

T.done()
