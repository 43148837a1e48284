-- Unit tests of lua/luaflash/targets/stm32l4_options.lua
-- (stm32-f1-l4-h7-targets.md §4.1 WRP areas, §4.4 OPTR and RDP).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local O = require("luaflash.targets.stm32l4_options")

test("factory_optr_decodes_per_4_4", function()
  local o = O.decode(O.FACTORY_OPTR)
  eq(o.rdp, 0); eq(o.bor, 0); eq(o.dual_bank, true); eq(o.bfb2, false); eq(o.iwdg_sw, true)
  eq(o.nboot1, true); eq(#o.write_protected, 0)
  local optr, wrp = O.encode(o)
  eq(optr, O.FACTORY_OPTR, "encode inverts decode")
  eq(wrp[1], O.FACTORY_WRP); eq(wrp[4], O.FACTORY_WRP)
end)

test("rdp_levels_aa_cc_and_the_rest", function()
  eq(O.decode(0xFFEFF8BB).rdp, 1); eq(O.decode(0xFFEFF800).rdp, 1); eq(O.decode(0xFFEFF8CC).rdp, 2)
  local o = O.decode(O.FACTORY_OPTR)
  o.rdp = 1
  eq(O.encode(o) & 0xFF, 0xBB, "level 1 written as 0xBB (HAL)")
  o.rdp = 2
  eq(O.encode(o) & 0xFF, 0xCC)
end)

test("write_protected_pages_become_wrp_areas_per_bank", function()
  local o = O.decode(O.FACTORY_OPTR)
  o.write_protected = { 3, 4, 5, 9, 256, 511 }
  local _, wrp = O.encode(o)
  eq(wrp[1], 0xFF05FF03, "bank 1 area A: pages 3..5")
  eq(wrp[2], 0xFF09FF09, "bank 1 area B: page 9")
  eq(wrp[3], 0xFF00FF00, "bank 2 area A: its page 0")
  eq(wrp[4], 0xFFFFFFFF, "bank 2 area B: its page 255")
  eq(table.concat(O.decode(O.FACTORY_OPTR, wrp).write_protected, ","), "3,4,5,9,256,511")
  o.write_protected = { 1, 3, 5 }
  local v, err = O.encode(o)
  eq(v, nil); eq(err, "option 'write_protected': bank 1 needs 3 runs of pages, its WRP areas hold 2")
end)

test("consent_for_regression_and_level_2", function()
  local l0, l1, l2 = O.decode(O.FACTORY_OPTR), O.decode(0xFFEFF8BB), O.decode(0xFFEFF8CC)
  local ok, err = O.check_change(l1, l0, {})
  eq(ok, nil); assert(err:find("mass-erases both banks and SRAM2", 1, true), err)
  eq(O.check_change(l1, l0, { allow_mass_erase = true }), true)
  ok, err = O.check_change(l0, l2, { allow_mass_erase = true })
  eq(ok, nil); assert(err:find("allow_rdp2", 1, true), err)
end)

test("check_fields_names_unknown_fields_and_bad_values", function()
  eq(O.check_fields({ rdp = 1, bor = 2, iwdg_sw = false }), true)
  local ok, err = O.check_fields({ nwrp = 1 })
  eq(ok, nil); assert(err:find("unknown field 'nwrp'", 1, true), err)
  ok, err = O.check_fields({ bor = 7 })
  eq(ok, nil); eq(err, "option_bytes: option 'bor': expected a BOR level 0..4, got 7")
end)

T.done()
