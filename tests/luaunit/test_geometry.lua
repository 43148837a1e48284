-- Geometry as data from Lua (README "Describing a part as data"): a part the
-- tables do not know plans like a family's; with a family named, its loader
-- checks the layout; bad descriptions are clear errors.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local lf = require("luaflash")

local function variant(regions, extra)
  local d = {
    name = "my STM32F4 variant 256 KiB", family = "stm32f4f7", line = 0x419, regions = regions,
    prog_unit = 4, prog_units = { 1, 2, 4, 8 },
    timing = { program_us = 16, erase_ms = { [16384] = 250, [65536] = 550, [131072] = 1000 }, mass_ms = 8000 },
  }
  for k, v in pairs(extra or {}) do d[k] = v end
  return lf.geometry(d)
end

local shape = {
  { base = 0x08000000, count = 4, size = 16384 }, { count = 1, size = 65536 }, { count = 1, size = 131072 },
}

test("described_variant_has_its_sectors_and_plans", function()
  local g <close> = variant(shape)
  local i = g:info()
  eq(#i.sectors, 6); eq(i.flash_kib, 256); eq(i.family, "stm32f4f7"); eq(i.banks, 1)
  eq(i.sectors[6].addr, 0x08020000); eq(i.sectors[6].index, 5)
  local img <close> = lf.image({ { data = string.rep("\x11", 20000), base = 0x08003000 } }, g)
  local p <close> = lf.plan(img, g, { erase = "sector", smart_flash = false })
  p:finalize()
  local s = p:summary()
  eq(s.erased, 2); eq(s.programmed, 2)                  -- sectors 0 and 1 (16 KiB each)
  eq(s.floor_s, 0.5 + 5000 * 16e-6)                     -- 2 x 250 ms + 5000 words x 16 us
end)

test("a_made_up_part_without_family_plans_too", function()
  local g <close> = lf.geometry {
    name = "made-up", regions = { { base = 0x00000000, count = 256, size = 4096 } },
    prog_unit = 4, erased = 0xFF, timing = { program_us = 41, erase_ms = { [4096] = 85 } },
  }
  eq(#g:info().sectors, 256)
  eq(g:info().family, nil)
  local img <close> = lf.image({ { data = "abcdefgh", base = 0x1FFC } }, g)
  local p <close> = lf.plan(img, g, { erase = "sector", smart_flash = false })
  p:finalize()
  eq(p:summary().erased, 2)
end)

test("family_rejects_a_layout_its_loader_cannot_drive", function()
  local ok, err = pcall(variant, { { base = 0x08000000, count = 8, size = 16384 } })
  eq(ok, false)
  assert(tostring(err):find("does not follow the 4 x U, 4U, 8U... sector shape", 1, true), err)
end)

test("bad_descriptions_name_what_is_wrong", function()
  local function fails(d, want)
    local ok, err = pcall(lf.geometry, d)
    eq(ok, false)
    assert(tostring(err):find(want, 1, true), tostring(err) .. " lacks " .. want)
  end
  local tm = { program_us = 16, erase_ms = { [2048] = 20 } }
  fails({ regions = { { base = 0, count = 4, size = 2048 }, { base = 0x3000, count = 1, size = 2048 } }, timing = tm },
    "starts at 0x00003000, expected 0x00002000")
  fails({ regions = { { count = 4, size = 2048 } }, timing = tm }, "the first region needs a 'base'")
  fails({ regions = { { base = 0, count = 4, size = 3000 } }, timing = tm }, "power-of-two")
  fails({ regions = { { base = 0, count = 4, size = 2048 } } }, "'timing' expected")
  fails({ regions = { { base = 0, count = 4, size = 2048 } }, timing = tm, family = "nosuch" }, "unknown family 'nosuch'")
  fails({ regions = { { base = 0, count = 4, size = 2048 } }, timing = tm, prog_unit = 3 }, "program unit 3 bytes")
  fails({ part = "stm32f999" }, "unknown part 'stm32f999'")
end)

test("parts_table_and_short_names", function()
  eq(lf.part("f429zi").name, "STM32F429ZI")
  eq(lf.part("STM32F429ZI").family, "stm32f4f7")
  eq(lf.part("nosuch"), nil)
  local g <close> = lf.geometry { part = "stm32f429zi" }
  eq(g:info().dual_bank, true) -- 2 MiB F42x: always dual bank
end)

test("one_lifecycle_plans_close_with_their_geometry", function()
  local g = lf.geometry { part = "stm32f767zi" }
  local img = lf.image({ { data = "x", base = 0x08000000 } }, g)
  local p = lf.plan(img, g, { erase = "sector", smart_flash = false })
  g:close()
  eq(p:is_closed(), true, "the plan pointed into the geometry")
  local ok, err = pcall(p.summary, p)
  eq(ok, false); assert(tostring(err):find("plan is closed", 1, true), err)
  img:close(); img:close() -- twice is fine
  ok, err = pcall(img.bytes, img)
  eq(ok, false); assert(tostring(err):find("image is closed", 1, true), err)
  do
    local g2 <close> = lf.geometry { part = "stm32f429zi" }
    p = lf.plan(lf.image({ { data = "y", base = 0x08000000 } }, g2), g2)
  end
  eq(p:is_closed(), true, "<close> of the geometry closed the plan")
end)

T.done()
