-- Unit tests of lua/luaflash/settings.lua (pure Lua, run by lua5.4).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local S = require("luaflash.settings")


test("units_of_clock_are_parsed_to_hz", function()
  eq(S.check("clock", "4MHz", true), 4000000)
  eq(S.check("clock", "1.8 MHz", true), 1800000)
  eq(S.check("clock", "480kHz", true), 480000)
  eq(S.check("clock", 2000000), 2000000)
end)

test("units_of_timeouts_are_parsed_to_seconds", function()
  eq(S.check("disconnect_timeout", "50ms", true), 0.05)
  eq(S.check("disconnect_timeout", "5s", true), 5)
  eq(S.check("disconnect_timeout", 0.1), 0.1)
  eq(S.check("disconnect_timeout", "250us", true), 0.00025)
end)

test("unknown_unit_and_out_of_range_are_errors_naming_the_key", function()
  local v, err = S.check("clock", "4MHZZ", true)
  eq(v, nil); assert(err:find("setting 'clock': unknown unit 'MHZZ'"), err)
  v, err = S.check("clock", "500MHz", true)
  eq(v, nil); assert(err:find("setting 'clock': out of range: 5e%+08 Hz"), err)
  v, err = S.check("disconnect_timeout", -1)
  eq(v, nil); assert(err:find("out of range"), err)
end)

test("unknown_key_suggests_the_closest", function()
  local v, err = S.check("clok", 1)
  eq(v, nil); eq(err, "unknown setting 'clok' (did you mean 'clock'?)")
  v, err = S.check("smartflash", true)
  eq(err, "unknown setting 'smartflash' (did you mean 'smart_flash'?)")
  v, err = S.check("zzzzzzzzzzzz", true)
  eq(err, "unknown setting 'zzzzzzzzzzzz'")
  -- a word far longer than every key gets no suggestion, and quickly
  local long = string.rep("c", 200000) .. "lock"
  v, err = S.check(long, 1)
  eq(err, "unknown setting '" .. long .. "'")
end)

test("enums_and_bools_are_checked", function()
  eq(S.check("erase", "chip"), "chip")
  local v, err = S.check("erase", "sectr")
  eq(v, nil); assert(err:find('did you mean "sector"'), err)
  v, err = S.check("smart_flash", "yes")
  eq(v, nil); eq(err, "setting 'smart_flash': expected true or false")
  eq(S.check("smart_flash", "no", true), false)
  eq(S.check("verify", false), false)
  eq(S.check("verify", true), "crc")
  eq(S.check("verify", "off", true), false)
  v, err = S.check("verify", "bytes")
  eq(v, nil); assert(err:find('expected "crc", "readback" or false'), err)
end)

test("merge_order_later_layers_win_and_origins_are_recorded", function()
  local eff, origin = S.merge({
    { name = "board nucleo_f767zi", values = { clock = 4000000, reset = "hardware" } },
    { name = "project app.lua", values = { clock = "1.8MHz", erase = "sector" },
      where = { clock = "app.lua:3", erase = "app.lua:4" } },
    assert(S.parse_args({ "clock=2MHz", "verify=false" })),
  })
  assert(eff, origin)
  eq(eff.clock, 2000000); eq(origin.clock, "command line (argument 1)")
  eq(eff.erase, "sector"); eq(origin.erase, "project app.lua (app.lua:4)")
  eq(eff.reset, "hardware"); eq(origin.reset, "board nucleo_f767zi")
  eq(eff.verify, false)
  eq(eff.disconnect_timeout, 0.1); eq(origin.disconnect_timeout, "default")
  eq(eff.smart_flash, true); eq(eff.keep_unwritten, false)
  assert(S.format(eff, origin):find('clock%s+= 2000000%s+%-%- command line'))
end)

test("merge_error_names_file_and_line", function()
  local eff, err = S.merge({
    { name = "project app.lua", values = { erase = 3 }, where = { erase = "app.lua:7" } } })
  eq(eff, nil)
  eq(err, 'app.lua:7: setting \'erase\': expected one of "sector", "chip", "auto", "fastest"')
end)

test("command_line_words_must_be_key_value", function()
  local l, err = S.parse_args({ "clock" })
  eq(l, nil); eq(err, "command line argument 1 'clock': expected key=value")
  l, err = S.parse_args({ "erase=chip", "clk=1" })
  eq(l, nil); eq(err, "command line argument 2: unknown setting 'clk' (did you mean 'clock'?)")
end)

test("protect_regions_add_up_over_the_layers", function()
  local eff, origin = S.merge({
    { name = "board b", values = { protect = { { 0x08000000, 0x8000, "bootloader" } } }, where = { protect = "b.lua:4" } },
    { name = "project p", values = { protect = { { addr = 0x081C0000, len = 0x40000, name = "cal" },
      { 0x08000000, 0x4000, "bootloader" } } }, where = { protect = "p.lua:3" } },
    { name = "command line", values = { protect = "0x081FFF00:256:end,0x08100000:0x10" }, text = true },
  })
  assert(eff, origin)
  eq(#eff.protect, 4)
  -- the project's "bootloader" replaced the board's (same name), in place
  eq(eff.protect[1].name, "bootloader"); eq(eff.protect[1].len, 0x4000); eq(eff.protect[1].from, "project p (p.lua:3)")
  eq(eff.protect[2].name, "cal"); eq(eff.protect[2].addr, 0x081C0000)
  eq(eff.protect[3].name, "end"); eq(eff.protect[3].len, 256); eq(eff.protect[3].from, "command line")
  eq(eff.protect[4].name, "0x08100000") -- no name: the address
  eq(origin.protect, "board b (b.lua:4) + project p (p.lua:3) + command line")
  local text = S.format(eff, origin)
  assert(text:find("protect%s+= { bootloader 0x08000000%+0x4000, cal 0x081C0000%+0x40000, end"), text)
  assert(text:find("cal: 0x081C0000%-0x081FFFFF %(262144 bytes%), project p %(p.lua:3%)"), text)
end)

test("protect_bad_regions_say_what_is_wrong", function()
  local function bad(v, want, text)
    local ok, err = S.check("protect", v, text)
    eq(ok, nil)
    assert(err:find(want, 1, true), err)
  end
  bad(5, "expected a list of {addr, len, \"name\"} regions")
  bad({ { 0x08000000 } }, "region 1: len must be 1 ..")
  bad({ { 0x08000000, 0 } }, "region 1: len must be 1 ..")
  bad({ { 0xFFFFFF00, 0x200, "x" } }, "region 1: len must be 1 .. 0x100 bytes")
  -- a length that wraps addr + len around (fuzz_settings finding)
  bad({ { 1, math.maxinteger } }, "region 1: len must be 1 .. 0xffffffff bytes")
  bad("0x1:0x7fffffffffffffff", "region 1: len must be 1 ..", true)
  bad({ { -1, 4 } }, "region 1: addr must be an integer address")
  bad({ { 0x08000000, 4, "" } }, "region 1: name must be a non-empty string")
  bad({ { 0x08000000, 4, "a", extra = 1 } }, "region 1: unknown key 'extra'")
  bad({ { 0x08000000, 4, "a" }, { 0x08001000, 4, "a" } }, "region 2: the name 'a' is used twice")
  bad("0x08000000", "expected addr:len[:name]", true)
  -- one region given bare
  local one = S.check("protect", { 0x08000000, 16, "boot" })
  eq(#one, 1); eq(one[1].name, "boot")
end)

test("allow_protected_is_true_or_names", function()
  eq(S.check("allow_protected", true), true)
  eq(S.check("allow_protected", "cal", false)[1], "cal")
  local l = S.check("allow_protected", "cal, boot", true)
  eq(l[1], "cal"); eq(l[2], "boot")
  eq(S.check("allow_protected", "all", true), true)
  local v, err = S.check("allow_protected", 3)
  eq(v, nil); assert(err:find("expected true or a list of names"), err)
  eq(S.check("erase", "fastest"), "fastest")
end)

test("format_shows_names_with_control_bytes_on_one_line", function()
  -- a NUL in a name (a project file may hold one) made string.format raise (fuzz_settings finding)
  local eff, origin = S.merge({
    { name = "project p", values = { allow_protected = { "cl\0o" }, protect = { { 0x08000000, 16, "a\nb" } } } },
  })
  assert(eff, origin)
  local text = S.format(eff, origin)
  assert(text:find("allow_protected%s+= { cl\\000o }"), text)
  assert(text:find("a\\010b 0x08000000%+0x10"), text)
end)

T.done()
