-- Unit tests of lua/luaflash/chips.lua (chip names as users write them, the
-- C parts table from Lua) and of the `chip` setting built on it (its old
-- name `target` included).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local lf = require("luaflash")
local chips = require("luaflash.chips")
local family = require("luaflash.family")
local settings = require("luaflash.settings")

test("a_part_by_any_case_short_alias_or_ordering_code", function()
  for _, n in ipairs({ "stm32f767zi", "STM32F767ZI", "f767zi", "F767ZI", "STM32F767ZIT6", "STM32F767ZITx",
    "f767zit6" }) do
    local c, err = chips.get(n)
    assert(c, err)
    eq(c.name, "stm32f767zi", n)
  end
  local c = chips.get("stm32f429zi")
  eq(c.family, "stm32f4f7"); eq(c.family_name, "STM32F2/F4/F7"); eq(c.dev_id, 0x419); eq(c.flash_kib, 2048)
  eq(table.concat(c.aliases, ","), "f429zi")
  eq(chips.get("stm32f767zg").flash_kib, 1024, "zg is its own part, not zi's ordering code")
  c = chips.get("STM32H743ZIT6")
  eq(c.name, "stm32h743zi"); eq(c.family, "stm32h7"); eq(c.family_name, "STM32H7"); eq(c.dev_id, 0x450)
  eq(c.flash_kib, 2048)
end)

test("unknown_chip_is_an_error_with_a_suggestion", function()
  local c, err = chips.get("STM32F429Z")
  eq(c, nil)
  eq(err, "unknown chip 'STM32F429Z' (did you mean 'stm32f429zi'?); luaflash chips lists the known chips")
  c, err = chips.get("f42zi")
  eq(c, nil); assert(err:find("did you mean 'f429zi'", 1, true), err)
  c, err = chips.get("stm32f767")
  eq(c, nil, "a family prefix is no part")
  eq(chips.get("nrf52832"), nil)
end)

test("names_and_list_cover_every_part_sorted", function()
  local names, list = chips.names(), chips.list()
  eq(#names, #list); assert(#names >= 18, #names)
  for i, c in ipairs(list) do
    eq(c.name, names[i])
    if i > 1 then assert(names[i - 1] < names[i], "sorted") end
    assert(c.flash_kib > 0 and c.family_name == family.get(c.family).title, c.name)
  end
end)

test("every_part_has_a_known_family_and_its_nominal_geometry", function()
  local fams = {}
  for _, f in ipairs(lf.families()) do fams[f.name] = true end
  for _, c in ipairs(chips.list()) do
    assert(fams[c.family], c.name .. " has a known family")
    -- the family's line ID: an STM32 DEV_ID (12 bits), an nRF52 FICR INFO.PART
    assert(c.dev_id > 0 and (c.dev_id < 0x1000 or c.family ~= c.family:match("^stm32.*")), c.name)
    local g <close> = lf.geometry { part = c.name }
    eq(g:info().flash_kib, c.flash_kib, c.name)
  end
end)

test("family_layer_sits_between_defaults_and_board", function()
  local fam = chips.family_layer("F767ZI")
  eq(fam.name, "target family STM32F2/F4/F7")
  eq(chips.family_layer("nope"), nil)
  -- a family value is overridden by the board, and names its origin otherwise
  fam.values = { clock = 1000000, erase = "sector" }
  local eff, origin = settings.merge({ fam, { name = "board b", values = { clock = 2000000 } } })
  eq(eff.clock, 2000000); eq(origin.clock, "board b")
  eq(eff.erase, "sector"); eq(origin.erase, "target family STM32F2/F4/F7")
  eq(next(family.get("stm32f4f7").settings), nil, "the family's own table is untouched")
end)

test("chip_setting_is_checked_and_stored_canonical", function()
  local eff, origin = settings.merge({ { name = "project p", values = { chip = "F767ZI" }, where = { chip = "p.lua:2" } } })
  assert(eff, origin)
  eq(eff.chip, "stm32f767zi"); eq(origin.chip, "project p (p.lua:2)")
  eq(eff.target, "stm32f767zi", "the old name reads the same value")
  local bad, err = settings.merge({ { name = "project p", values = { chip = "stm32f42zi" }, where = { chip = "p.lua:2" } } })
  eq(bad, nil)
  eq(err, "p.lua:2: setting 'chip': unknown chip 'stm32f42zi' (did you mean 'stm32f429zi'?); " ..
    "luaflash chips lists the known chips")
end)

test("target_is_the_old_name_of_chip", function()
  local eff, origin = settings.merge({
    { name = "project p", values = { target = "stm32f429zi" }, where = { target = "p.lua:3" } } })
  assert(eff, origin)
  eq(eff.chip, "stm32f429zi"); eq(origin.chip, "project p (p.lua:3) as 'target'")
  -- a later layer's chip wins over an earlier target, and the other way round
  eff = assert(settings.merge({ { name = "a", values = { target = "stm32f429zi" } }, { name = "b", values = { chip = "f767zi" } } }))
  eq(eff.chip, "stm32f767zi"); eq(eff.target, "stm32f767zi")
  eff = assert(settings.merge({ { name = "a", values = { chip = "f767zi" } }, { name = "b", values = { target = "f429zi" } } }))
  eq(eff.chip, "stm32f429zi")
  local bad, err = settings.merge({ { name = "p", values = { chip = "f767zi", target = "f767zi" } } })
  eq(bad, nil); eq(err, "p: setting 'target' is the old name of 'chip': set one of them")
  assert(not settings.format(eff, {}):find("\ntarget "), "--settings shows chip only")
end)

T.done()
