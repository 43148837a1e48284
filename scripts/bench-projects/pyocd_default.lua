-- pyOCD's default flashing behaviour on the NUCLEO-F767ZI, as users reported
-- it (25.5 s for a 65 KB image), expressed as a luaflash project: settings
-- plus one program(ctx) hook that drives the flash the way pyOCD's flash
-- builder does. Used by scripts/benchmark (scenario 1); scenario 2 (the
-- tuned pyOCD setup) is this file with key=value overrides on the command
-- line (see scripts/bench-projects/pyocd_tuned.lua for the values).
--
-- What pyOCD does by default, and how it is expressed here:
--   chip erase .................... erase = "chip" (one mass erase)
--   SWD 1.8 MHz ................... clock = "1.8MHz"
--   keep_unwritten ................ keep_unwritten = true: the bytes of every
--                                   touched sector that the image does not
--                                   cover are read over SWD first and
--                                   written back page by page
--   smart flash by read-back ...... smart_flash = true: every image page is
--                                   read back over SWD and compared before
--                                   erasing (with chip erase the answer
--                                   cannot save anything: pure cost)
--   page-by-page programming ...... program(ctx) below: for each 1 KiB page
--                                   the flash algorithm is started, programs
--                                   that page, and the core is halted again
--                                   (pyOCD: write the page buffer, run
--                                   ProgramPage, wait for the BKPT)
--   5 s power-down wait ........... disconnect_timeout = 5 (this board never
--                                   acknowledges: the whole 5 s are spent)
-- Verification: the image is checked by CRC32 on the target at the end (cheap;
-- luaflash never reports success without it).
--
-- The image comes from the command line (image=FILE.bin); the settings here
-- can be overridden the same way (erase=sector clock=4MHz ...).

board = "nucleo_f767zi"
clock = "1.8MHz"
erase = "chip"
keep_unwritten = true
smart_flash = true
disconnect_timeout = 5

-- Program page size of the STM32F7 2 MiB flash algorithm in ST's CMSIS pack
-- (STM32F7x_2048.FLM, the algorithm pyOCD uses for this part): 1 KiB.
local PAGE = 1024

local lf = require("luaflash")

-- Is [a, a+n) covered by the image's segments? Returns "all", "none" or "some".
local function coverage(segs, a, n)
  local covered = 0
  for _, sg in ipairs(segs) do
    local lo = math.max(a, sg.addr)
    local hi = math.min(a + n, sg.addr + sg.len)
    if hi > lo then covered = covered + (hi - lo) end
  end
  if covered == n then return "all" elseif covered == 0 then return "none" end
  return "some"
end

-- Bytes of the image where it has data, `old` elsewhere.
local function merge(segs, a, n, image_bytes, old)
  local out = {}
  for i = 1, n do
    local addr = a + i - 1
    local inside = false
    for _, sg in ipairs(segs) do
      if addr >= sg.addr and addr < sg.addr + sg.len then inside = true break end
    end
    out[i] = inside and image_bytes:sub(i, i) or old:sub(i, i)
  end
  return table.concat(out)
end

function program(ctx)
  local s, T = ctx.settings, ctx.target
  local t, img = T.t, ctx.images.image
  local segs = img:segments()
  local info = T.geometry:info()
  local ldr = T:loader()

  -- Touched sectors and their pages (the page list pyOCD builds from the image).
  local sectors = {}
  for _, sec in ipairs(info.sectors) do
    if coverage(segs, sec.addr, sec.size) ~= "none" then
      local pages = {}
      for a = sec.addr, sec.addr + sec.size - 1, PAGE do
        local cov = coverage(segs, a, PAGE)
        if cov ~= "none" or s.keep_unwritten then
          pages[#pages + 1] = { addr = a, cov = cov }
        end
      end
      sectors[#sectors + 1] = { sec = sec, pages = pages }
    end
  end

  -- Page contents: image bytes; keep_unwritten reads what the image does
  -- not cover from the target (pyOCD fills the unwritten sector data).
  local t0 = ctx.engine.clock()
  local read_bytes = 0
  for _, st in ipairs(sectors) do
    for _, pg in ipairs(st.pages) do
      local data = img:read(pg.addr, PAGE)
      if pg.cov ~= "all" and s.keep_unwritten then
        local old = t:read(pg.addr, PAGE)
        read_bytes = read_bytes + PAGE
        data = pg.cov == "none" and old or merge(segs, pg.addr, PAGE, data, old)
      end
      pg.data = data
    end
  end
  ctx.result.keep_read_s = ctx.engine.clock() - t0

  -- Smart flash by read-back: compare every page with what the flash holds.
  local t1 = ctx.engine.clock()
  local same = 0
  if s.smart_flash then
    for _, st in ipairs(sectors) do
      st.same = true
      for _, pg in ipairs(st.pages) do
        pg.same = t:read(pg.addr, PAGE) == pg.data
        if pg.same then same = same + 1 else st.same = false end
      end
    end
  end
  ctx.result.smart_read_s = ctx.engine.clock() - t1

  local erased = 0
  local function run_page(pg)
    -- start the algorithm, program one page, halt the core again
    ldr:run({ { op = "program", addr = pg.addr, data = pg.data } })
    ldr:stop()
  end
  local erase_s, prog_s, pages_written = 0, 0, 0
  local function timed(fn)
    local a = ctx.engine.clock(); fn(); return ctx.engine.clock() - a
  end
  local blank = string.rep("\xff", PAGE)
  if s.erase == "chip" then
    erase_s = erase_s + timed(function()
      ldr:run({ { op = "mass", banks = info.dual_bank and 3 or 1 } })
      ldr:stop()
    end)
    erased = #info.sectors
    -- after a chip erase every page that is not blank is programmed
    for _, st in ipairs(sectors) do
      for _, pg in ipairs(st.pages) do
        if pg.data ~= blank then
          prog_s = prog_s + timed(function() run_page(pg) end)
          pages_written = pages_written + 1
        end
      end
    end
  else
    for _, st in ipairs(sectors) do
      if not (s.smart_flash and st.same) then
        erase_s = erase_s + timed(function()
          ldr:run({ { op = "erase", addr = st.sec.addr } })
          ldr:stop()
        end)
        erased = erased + 1
        for _, pg in ipairs(st.pages) do
          if pg.data ~= blank then
            prog_s = prog_s + timed(function() run_page(pg) end)
            pages_written = pages_written + 1
          end
        end
      end
    end
  end
  ctx.result.phases[#ctx.result.phases + 1] = { name = "erase", seconds = erase_s }
  ctx.result.phases[#ctx.result.phases + 1] = { name = "program", seconds = prog_s }

  -- Verify: CRC32 of every touched sector on the target against the pages.
  local v0 = ctx.engine.clock()
  local ranges, want = {}, {}
  for _, st in ipairs(sectors) do
    local c = 0
    local parts = {}
    local by_addr = {}
    for _, pg in ipairs(st.pages) do by_addr[pg.addr] = pg.data end
    for a = st.sec.addr, st.sec.addr + st.sec.size - 1, PAGE do
      parts[#parts + 1] = by_addr[a] or blank
    end
    c = lf.crc32(table.concat(parts))
    ranges[#ranges + 1] = { addr = st.sec.addr, len = st.sec.size }
    want[#want + 1] = c
  end
  ldr:start()
  local got = ldr:crc32(ranges)
  ldr:stop()
  for i, c in ipairs(got) do
    if c ~= want[i] then
      error(string.format("verify: sector at 0x%08x: CRC32 0x%08x on the target, 0x%08x expected",
        ranges[i].addr, c, want[i]), 0)
    end
  end
  ctx.result.phases[#ctx.result.phases + 1] = { name = "verify", seconds = ctx.engine.clock() - v0 }
  ctx.result.verified = true
  ctx.result.verified_sectors = #ranges
  ctx.result.pyocd = { pages_written = pages_written, pages_same = same, read_bytes = read_bytes,
    sectors_erased = erased, page_size = PAGE }
end
