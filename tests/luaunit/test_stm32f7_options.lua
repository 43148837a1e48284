-- Unit tests of lua/luaflash/targets/stm32f7_options.lua
-- (stm32f7-target.md §3.6, §3.7, §4.5, §7.4).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local O = require("luaflash.targets.stm32f7_options")


test("factory_values_decode_per_3_6_and_3_7", function()
  local o = O.decode(O.FACTORY_OPTCR, O.FACTORY_OPTCR1)
  eq(o.rdp, 0); eq(o.bor, "off"); eq(o.dual_bank, false); eq(o.dual_boot, false)
  eq(#o.write_protected, 0); eq(o.iwdg_sw, true); eq(o.wwdg_sw, true)
  eq(o.boot_add0, 0x00200000, "BOOT_ADD0 0x0080 -> flash via ITCM")
  eq(o.boot_add1, 0x00100000, "BOOT_ADD1 0x0040 -> system memory")
end)

test("encode_inverts_decode_with_lock_bits_clear", function()
  local optcr, optcr1 = O.encode(O.decode(O.FACTORY_OPTCR, O.FACTORY_OPTCR1))
  eq(optcr, O.FACTORY_OPTCR & ~1, "factory value without OPTLOCK")
  eq(optcr1, O.FACTORY_OPTCR1)
end)

test("rdp_levels_and_wrp_granularity_7_4", function()
  eq(O.decode(0xFFFF55FD, 0).rdp, 1); eq(O.decode(0xFFFF12FD, 0).rdp, 1); eq(O.decode(0xFFFFCCFD, 0).rdp, 2)
  local single = O.decode(0xFFFAAAFD, 0) -- nWRP bits 0 and 2 cleared
  eq(table.concat(single.write_protected, ","), "0,2")
  local dual = O.decode(0xDFFAAAFD, 0)   -- nDBANK = 0: pairs
  eq(dual.dual_bank, true)
  eq(table.concat(dual.write_protected, ","), "0,1,4,5")
  local o = O.decode(O.FACTORY_OPTCR, O.FACTORY_OPTCR1)
  o.write_protected = { 3 }
  eq((O.encode(o) >> 16) & 0xFFF, 0xFF7)
end)

test("bad_fields_are_errors_naming_the_field", function()
  local o = O.decode(O.FACTORY_OPTCR, O.FACTORY_OPTCR1)
  o.rdp = 3
  local v, err = O.encode(o); eq(v, nil); eq(err, "option 'rdp': expected 0, 1 or 2, got 3")
  o.rdp = 0; o.write_protected = { 12 }
  v, err = O.encode(o); eq(v, nil); eq(err, "option 'write_protected': sector 12 out of range 0..11")
  o.write_protected = {}; o.boot_add0 = 0x08000001
  v, err = O.encode(o); eq(v, nil); assert(err:find("option 'boot_add0': expected a 16 KiB aligned"), err)
end)

test("mass_erasing_changes_need_explicit_permission", function()
  local l0 = O.decode(O.FACTORY_OPTCR, O.FACTORY_OPTCR1)
  local l1 = O.decode(0xFFFF55FD, O.FACTORY_OPTCR1)
  local ok, err = O.check_change(l1, l0, {})
  eq(ok, nil); eq(err, "option bytes: RDP level 1 -> 0 mass-erases the whole flash (§4.5); set allow_mass_erase = true to do it")
  eq(O.check_change(l1, l0, { allow_mass_erase = true }), true)
  eq(O.check_change(l0, l1, {}), true, "0 -> 1 is allowed without permission")
  local dual = O.decode(0xDFFFAAFD, O.FACTORY_OPTCR1)
  ok, err = O.check_change(l0, dual, {})
  eq(ok, nil); assert(err:find("nDBANK"), err)
  local l2 = O.decode(0xFFFFCCFD, O.FACTORY_OPTCR1)
  ok, err = O.check_change(l0, l2, { allow_mass_erase = true })
  eq(ok, nil); assert(err:find("allow_rdp2"), err)
end)

T.done()
