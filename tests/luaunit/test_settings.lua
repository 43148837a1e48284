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
  eq(err, 'app.lua:7: setting \'erase\': expected one of "sector", "chip", "auto"')
end)

test("command_line_words_must_be_key_value", function()
  local l, err = S.parse_args({ "clock" })
  eq(l, nil); eq(err, "command line argument 1 'clock': expected key=value")
  l, err = S.parse_args({ "erase=chip", "clk=1" })
  eq(l, nil); eq(err, "command line argument 2: unknown setting 'clk' (did you mean 'clock'?)")
end)

T.done()
