-- Unit tests of lua/luaflash/targets/stm32f1_options.lua
-- (stm32-f1-l4-h7-targets.md §3.1 WRPR granularity, §3.4 option block).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local O = require("luaflash.targets.stm32f1_options")

test("factory_option_block_decodes_per_3_4", function()
  local o = O.decode(O.FACTORY)
  eq(o.rdp, 0); eq(o.rdp_raw, 0xA5); eq(o.iwdg_sw, true); eq(o.nrst_stop, true); eq(o.nrst_stdby, true)
  eq(o.data0, 0xFF); eq(o.data1, 0xFF); eq(#o.write_protected, 0)
  eq(table.concat(O.encode(o), ","), table.concat(O.FACTORY, ","), "encode inverts decode")
end)

test("rdp_any_byte_but_a5_is_level_1_and_there_is_no_level_2", function()
  eq(O.decode({ 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }).rdp, 1)
  eq(O.decode({ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }).rdp, 1, "erased RDP protects")
  local o = O.decode(O.FACTORY)
  o.rdp = 1
  eq(O.encode(o)[1], 0x00, "level 1 written as 0x00")
  o.rdp = 2
  local v, err = O.encode(o)
  eq(v, nil); eq(err, "option 'rdp': the STM32F1 has no level 2 (levels 0 and 1)")
end)

test("wrp_groups_of_4_pages_medium_density_2_high_density_bit31_rest", function()
  local o = O.decode(O.FACTORY)
  o.write_protected = { 5 }           -- medium density: bit 1 = pages 4-7
  local b = O.encode(o, 0x410)
  eq(b[5], 0xFD)
  eq(table.concat(O.decode(b, 0x410, 128).write_protected, ","), "4,5,6,7")
  b = O.encode(o, 0x414)               -- high density: bit 2 = pages 4-5
  eq(b[5], 0xFB)
  o.write_protected = { 200 }         -- bit 31: pages 62.. (256 pages)
  b = O.encode(o, 0x414)
  eq(b[8], 0x7F)
  local pages = O.decode(b, 0x414, 256).write_protected
  eq(#pages, 256 - 62); eq(pages[1], 62); eq(pages[#pages], 255)
  o.write_protected = { 256 }
  local v, err = O.encode(o, 0x414)
  eq(v, nil); eq(err, "option 'write_protected': page 256 out of range 0..255")
end)

test("removing_read_protection_needs_consent_it_mass_erases", function()
  local old, new = O.decode(O.FACTORY), O.decode(O.FACTORY)
  old.rdp = 1
  local c = O.consequences(old, new)
  eq(#c, 1); eq(c[1].erases_flash, true)
  local ok, err = O.check_change(old, new, {})
  eq(ok, nil); assert(err:find("allow_mass_erase = true", 1, true), err)
  eq(O.check_change(old, new, { allow_mass_erase = true }), true)
  eq(O.check_change(new, old, {}), true, "setting level 1 erases nothing")
end)

test("check_fields_names_unknown_fields_and_bad_values", function()
  eq(O.check_fields({ rdp = 1, data0 = 7 }), true)
  local ok, err = O.check_fields({ dual_bank = true })
  eq(ok, nil); assert(err:find("unknown field 'dual_bank'", 1, true), err)
  ok, err = O.check_fields({ data1 = 300 })
  eq(ok, nil); eq(err, "option_bytes: option 'data1': expected a byte 0..255, got 300")
end)

T.done()
