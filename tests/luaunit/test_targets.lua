-- Unit tests of lua/luaflash/targets.lua (the C parts table from Lua):
-- names, families and the family settings layer in the merge order.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local lf = require("luaflash")
local targets = require("luaflash.targets")
local family = require("luaflash.family")
local settings = require("luaflash.settings")

test("every_target_has_a_known_family_and_a_line", function()
  local fams = {}
  for _, f in ipairs(lf.families()) do fams[f.name] = true end
  assert(#targets.names() >= 18, "the parts table")
  for _, n in ipairs(targets.names()) do
    local t = assert(targets.get(n))
    assert(fams[t.family], n .. " has a known family")
    assert(t.dev_id > 0 and t.dev_id < 0x1000, n)
    assert(targets.family_layer(n), n)
    -- its nominal geometry exists and has its flash size
    local g = lf.geometry { part = n }
    eq(g:info().flash_kib, t.flash_kib, n)
  end
  eq(targets.get("STM32F767ZI").dev_id, 0x451, "names are case-insensitive")
  eq(targets.get("f767zi").name, "STM32F767ZI", "the short name without STM32")
end)

test("unknown_target_suggests_and_lists", function()
  local t, err = targets.get("stm32f429z")
  eq(t, nil)
  assert(err:find("did you mean 'stm32f429zi'", 1, true), err)
  assert(err:find("known: ", 1, true), err)
end)

test("family_layer_sits_between_defaults_and_board", function()
  local fam = targets.family_layer("stm32f767zi")
  eq(fam.name, "target family STM32F2/F4/F7")
  -- a family value is overridden by the board, and names its origin otherwise
  fam.values = { clock = 1000000, erase = "sector" }
  local eff, origin = settings.merge({ fam, { name = "board b", values = { clock = 2000000 } } })
  eq(eff.clock, 2000000); eq(origin.clock, "board b")
  eq(eff.erase, "sector"); eq(origin.erase, "target family STM32F2/F4/F7")
  eq(#family.get("stm32f4f7").settings, 0, "the family's own table is untouched")
end)

T.done()
