-- Unit tests of lua/luaflash/svg.lua.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local V = require("luaflash.svg")


local function balanced(svg)
  local opens, closes = 0, 0
  for tag in svg:gmatch("<(/?)[%a]") do if tag == "/" then closes = closes + 1 else opens = opens + 1 end end
  local selfclosing = select(2, svg:gsub("/>", ""))
  return opens == closes + selfclosing
end

test("bars_scale_to_the_longest_and_escape_labels", function()
  local svg = V.bars("t <1>", { { label = "a & b", value = 2.0 }, { label = "c", value = 1.0, note = "(x)" } })
  assert(svg:find("t &lt;1&gt;", 1, true)); assert(svg:find("a &amp; b", 1, true))
  local w1 = svg:match('<rect x="330" y="44" width="(%d+)"')
  local w2 = svg:match('<rect x="330" y="70" width="(%d+)"')
  eq(tonumber(w1), 480); eq(tonumber(w2), 240)
  assert(svg:find("2.00 s", 1, true)); assert(svg:find("1.00 s (x)", 1, true))
  assert(balanced(svg), "tags balanced")
end)

test("timeline_places_spans_on_rows_by_name", function()
  local svg = V.timeline("run", { { name = "connect", start = 0, duration = 0.1 },
    { name = "erase", start = 0.1, duration = 0.6 }, { name = "connect", start = 0.7, duration = 0.1 } })
  local _, rects = svg:gsub("<rect x=", "")
  eq(rects, 3)
  assert(svg:find("800 ms", 1, true), "axis ends at the last span")
  assert(balanced(svg), "tags balanced")
  eq(V.format_seconds(12.34), "12.3 s"); eq(V.format_seconds(0.0421), "42 ms")
end)

T.done()
