-- Unit tests of lua/luaflash/json.lua.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local J = require("luaflash.json")


test("encoding_is_deterministic_with_sorted_keys", function()
  eq(J.encode({ b = 1, a = { 1, 2, "x" }, c = { d = true, e = false }, f = 0.5, g = J.array() }),
    '{"a":[1,2,"x"],"b":1,"c":{"d":true,"e":false},"f":0.5,"g":[]}')
  eq(J.encode("a\"b\\c\n\1"), '"a\\"b\\\\c\\n\\u0001"')
  eq(J.encode(3.0), "3")
  eq(J.encode(0x08000000), "134217728")
end)

test("unencodable_values_are_errors_with_a_path", function()
  local ok, err = pcall(J.encode, { a = { 0 / 0 } })
  eq(ok, false); eq(err, "json: $.a[1]: cannot encode " .. tostring(0 / 0))
  ok, err = pcall(J.encode, { f = print })
  eq(ok, false); eq(err, "json: $.f: cannot encode a function")
end)

test("decode_round_trips_and_reports_offsets", function()
  local v = assert(J.decode(' {"a":[1,2.5,"x\\u0041"],"b":{"c":null,"d":true}} '))
  eq(v.a[1], 1); eq(v.a[2], 2.5); eq(v.a[3], "xA"); eq(v.b.d, true)
  local r, err = J.decode('{"a":1,}')
  eq(r, nil); eq(err, "json: offset 7: expected a string key")
  r, err = J.decode('[1 2]')
  eq(r, nil); eq(err, "json: offset 3: expected ',' or ']'")
  r, err = J.decode('"abc')
  eq(r, nil); eq(err, "json: offset 4: unterminated string")
  r, err = J.decode('{} x')
  eq(r, nil); eq(err, "json: offset 3: trailing characters")
end)

T.done()
