-- Unit tests of lua/luaflash/targets/stm32h7_options.lua
-- (stm32-f1-l4-h7-targets.md 5.1, 5.4).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local O = require("luaflash.targets.stm32h7_options")

test("factory_values_decode_per_5_4", function()
  local o = O.decode(O.FACTORY_OPTSR, O.FACTORY_WPSN, O.FACTORY_WPSN, O.FACTORY_BOOT)
  eq(o.rdp, 0); eq(o.rdp_raw, 0xAA); eq(o.bor, "off"); eq(o.iwdg_sw, true)
  eq(o.nrst_stop, true); eq(o.nrst_stdby, true); eq(o.swap_bank, false); eq(o.dual_bank, true)
  eq(#o.write_protected, 0)
  eq(o.boot_add0, 0x08000000, "BOOT_ADD0 0x0800 -> flash")
  eq(o.boot_add1, 0x1FF00000, "BOOT_ADD1 0x1FF0 -> system memory")
end)

test("encode_inverts_decode_keeping_bits_it_does_not_name", function()
  local optsr, w1, w2, boot = O.encode(O.decode(O.FACTORY_OPTSR, 0xFF, 0xFF, O.FACTORY_BOOT))
  eq(optsr, O.FACTORY_OPTSR); eq(w1, 0xFF); eq(w2, 0xFF); eq(boot, O.FACTORY_BOOT)
  -- SECURITY (bit 21) and ST_RAM_SIZE are kept as they are
  local o = O.decode(O.FACTORY_OPTSR | 0x00200000, 0xFF, 0xFF, O.FACTORY_BOOT)
  eq(O.encode(o) & 0x00200000, 0x00200000)
end)

test("rdp_levels_and_write_protection_of_both_banks", function()
  eq(O.decode(0x03C6BBF0, 0xFF, 0xFF, 0).rdp, 1)
  eq(O.decode(0x03C600F0, 0xFF, 0xFF, 0).rdp, 1)
  eq(O.decode(0x03C6CCF0, 0xFF, 0xFF, 0).rdp, 2)
  local o = O.decode(O.FACTORY_OPTSR, 0xFA, 0x7F, O.FACTORY_BOOT)
  eq(table.concat(o.write_protected, ","), "0,2,15")
  o.write_protected = { 1, 8, 9 }
  local _, w1, w2 = O.encode(o)
  eq(w1, 0xFD); eq(w2, 0xFC)
  o.rdp = 1
  eq((O.encode(o) >> 8) & 0xFF, 0xBB, "level 1 is written as 0xBB")
end)

test("bad_fields_are_errors_naming_the_field", function()
  local o = O.decode(O.FACTORY_OPTSR, 0xFF, 0xFF, O.FACTORY_BOOT)
  o.write_protected = { 16 }
  local v, err = O.encode(o)
  eq(v, nil); eq(err, "option 'write_protected': sector 16 out of range 0..15 (8-15: bank 2)")
  o.write_protected = {}; o.boot_add0 = 0x08008000
  v, err = O.encode(o); eq(v, nil); assert(err:find("option 'boot_add0': expected a 64 KiB aligned"), err)
  local ok
  ok, err = O.check_fields({ dual_bank = false })
  eq(ok, nil); assert(err:find("unknown field 'dual_bank'"), err)
  eq(O.check_fields({ rdp = 1, write_protected = { 0, 15 } }), true)
end)

test("regression_and_level_2_need_explicit_permission", function()
  local l0 = O.decode(O.FACTORY_OPTSR, 0xFF, 0xFF, O.FACTORY_BOOT)
  local l1 = O.decode(0x03C6BBF0, 0xFF, 0xFF, O.FACTORY_BOOT)
  local l2 = O.decode(0x03C6CCF0, 0xFF, 0xFF, O.FACTORY_BOOT)
  local ok, err = O.check_change(l1, l0, {})
  eq(ok, nil)
  eq(err, "option bytes: RDP level 1 -> 0 erases both flash banks (5.4); set allow_mass_erase = true to do it")
  eq(O.check_change(l1, l0, { allow_mass_erase = true }), true)
  eq(O.check_change(l0, l1, {}), true, "0 -> 1 is allowed without permission")
  ok, err = O.check_change(l0, l2, { allow_mass_erase = true })
  eq(ok, nil); assert(err:find("allow_rdp2"), err)
  ok, err = O.check_change(l2, l0, { allow_mass_erase = true, allow_rdp2 = true })
  eq(ok, nil); assert(err:find("permanent"), err)
  local swapped = O.decode(O.FACTORY_OPTSR | 0x80000000, 0xFF, 0xFF, O.FACTORY_BOOT)
  ok, err = O.check_change(l0, swapped, {})
  eq(ok, nil); assert(err:find("SWAP_BANK"), err)
end)

T.done()
