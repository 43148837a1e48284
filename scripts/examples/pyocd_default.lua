-- pyOCD's default flashing behaviour, reproduced as a luaflash project with
-- settings and one program(ctx) hook (no change to luaflash itself). It is
-- the "before" of the benchmark (scripts/benchmark, scenarios 1 and 2): what
-- a pyOCD user measured at 25.5 s for a 65 KB image on a NUCLEO-F767ZI
-- (ST-LINK/V2-1).
--
--   luaflash --bench nucleo-f767zi scripts/examples/pyocd_default.lua --profile
--   luaflash --bench nucleo-f767zi scripts/examples/pyocd_default.lua image=big.bin
--
-- pyOCD default                      here
--   SWD at 1.8 MHz                   clock = "1.8MHz"
--   chip erase                       erase = "chip": one mass erase
--   erases at x8                     erase_psize = "x8": pyOCD's built-in
--                                    STM32F767 algorithm writes CR = SER (or
--                                    MER) with PSIZE left 0, so every erase
--                                    runs at x8 (datasheet: twice the x32
--                                    time); programming stays x32 (its
--                                    one-word-per-BSY-poll loop: luaflash's
--                                    loader, which does not poll per word)
--   keep_unwritten                   keep_unwritten = true: the bytes of every
--                                    touched sector the image does not cover
--                                    are read over SWD and written back
--   smart flash by read-back         smart_flash = true: every page is read
--   compare                          over SWD and compared before anything is
--                                    erased (phase "compare"). With chip erase
--                                    it saves something only when every page
--                                    already matches (then nothing is erased);
--                                    with erase=sector a sector whose pages
--                                    all match is skipped
--   page-by-page programming         per 1 KiB page the flash algorithm is
--                                    started, programs that page, and the
--                                    core is halted again
--   5 s wait for the power-down      disconnect_timeout = "5s" (this board
--   acknowledge                      never acknowledges: all 5 s are spent)
--   no verify after programming      verify = "crc": luaflash never reports
--                                    success without checking the data, so
--                                    the cheapest check is added: a CRC32 of
--                                    each written sector computed on the
--                                    target (tens of ms). verify=readback
--                                    reads the sectors back over SWD instead
--
-- The benchmark's scenario 2 (the user's tuned pyOCD) is this file with
-- erase=sector clock=4MHz keep_unwritten=false smart_flash=false
-- disconnect_timeout=0 on the command line: switch any of them back the same
-- way to see what it costs.

board = "nucleo_f767zi"
image = "../demo-fw/demo-f767.bin"
clock = "1.8MHz"
erase = "chip"
erase_psize = "x8"
keep_unwritten = true
smart_flash = true          -- by read-back compare below, not CRC32
verify = "crc"
disconnect_timeout = "5s"

-- Program page of ST's STM32F7 2 MiB flash algorithm (STM32F7x_2048.FLM in
-- ST's CMSIS pack, the one pyOCD runs for this part): 1 KiB.
local PAGE = 1024

-- How much of [a, a+n) the image's segments cover: "all", "some" or "none".
local function coverage(segs, a, n)
  local covered = 0
  for _, sg in ipairs(segs) do
    local lo, hi = math.max(a, sg.addr), math.min(a + n, sg.addr + sg.len)
    if hi > lo then covered = covered + (hi - lo) end
  end
  return covered == n and "all" or covered == 0 and "none" or "some"
end

function program(ctx)
  local s, T = ctx.settings, ctx.target
  -- pyOCD writes core registers through DCRDR/DCRSR and polls DHCSR
  -- (coresight/cortex_m.py), not with the ST-LINK's WRITEREG
  T.t:probe_regs(false)
  local phase = require("luaflash.sequence").phase
  local info = T.geometry:info()

  -- The plan gives each touched sector's would-be bytes: the image, and with
  -- keep_unwritten the old bytes it does not cover (read over SWD, as pyOCD
  -- fills the pages' gaps). It is made for sector erase (luaflash's own
  -- keep_unwritten with chip erase would keep the whole array) and without
  -- its CRC32 smart flash (pyOCD compares by reading back instead).
  local ps = {}
  for k, v in pairs(s) do ps[k] = v end
  ps.smart_flash, ps.erase = false, "sector"
  ctx.plan = ctx.engine.plan(ctx.images, T, ps)

  -- pyOCD's page list: the pages the image touches, and with keep_unwritten
  -- every page of a touched sector.
  local segs = ctx.images.image:segments()
  local sectors, npages = {}, 0
  for i, sec in ipairs(ctx.plan:sectors()) do
    if sec.image_bytes > 0 then
      local content = ctx.plan:content(i - 1)
      local st = { sec = sec, content = content, pages = {} }
      for off = 0, sec.size - 1, PAGE do
        if s.keep_unwritten or coverage(segs, sec.addr + off, PAGE) ~= "none" then
          st.pages[#st.pages + 1] = { addr = sec.addr + off, data = content:sub(off + 1, off + PAGE) }
          npages = npages + 1
        end
      end
      sectors[#sectors + 1] = st
    end
  end
  ctx.result.pyocd = { page_size = PAGE, pages = npages, pages_same = 0, pages_written = 0,
    sectors_erased = 0 }
  local R = ctx.result.pyocd

  -- Smart flash: read every page back and compare.
  local changed = npages
  if s.smart_flash then
    local t0 = ctx.engine.clock()
    phase(ctx, "compare", function()
      for _, st in ipairs(sectors) do
        st.same = true
        for _, pg in ipairs(st.pages) do
          pg.same = T.t:read(pg.addr, PAGE) == pg.data
          if pg.same then R.pages_same = R.pages_same + 1 else st.same = false end
        end
      end
    end)
    ctx.result.smart_read_s = ctx.engine.clock() - t0
    changed = npages - R.pages_same
  end
  -- the run summary: what was really erased and written (the plan above
  -- describes sector erase)
  -- (ctx.result.plan, set by a project's program(ctx), is what the summary reports)
  local sum = ctx.plan:summary()
  ctx.result.plan = sum
  if changed == 0 then
    ctx.engine.log("info", "pyocd_default: every page already matches; nothing erased")
    if sum then sum.erase, sum.erased, sum.programmed, sum.unchanged = s.erase, 0, 0, #sectors end
    ctx.result.verified = true     -- every page was just read back and compared
    ctx.result.verified_sectors = 0
    return
  end

  local ldr = T:loader()
  -- erases at erase_psize: a second loader with that parallelism (each run
  -- uploads its loader anyway, as pyOCD reloads its algorithm's state)
  local eldr <close> = s.erase_psize and require("luaflash").loader(T.t, T.geometry, { psize = s.erase_psize })
    or nil
  local erase_ldr = eldr or ldr
  local blank = string.rep("\xff", PAGE)
  local written = {}      -- sectors erased here whose pages are programmed
  local function program_pages(st)
    -- after an erase every page is blank: only non-blank pages are written,
    -- each by starting the algorithm and halting the core again
    for _, pg in ipairs(st.pages) do
      if pg.data ~= blank then
        ldr:run({ { op = "program", addr = pg.addr, data = pg.data } })
        ldr:stop()
        R.pages_written = R.pages_written + 1
      end
    end
  end
  if s.erase == "chip" then
    phase(ctx, "erase", function()
      erase_ldr:run({ { op = "mass", banks = info.dual_bank and 3 or 1 } })
      erase_ldr:stop()
    end)
    R.sectors_erased = #info.sectors
    for _, st in ipairs(sectors) do written[#written + 1] = st end
    phase(ctx, "program", function()
      for _, st in ipairs(sectors) do program_pages(st) end
    end)
  else
    -- sector erase of every sector not already equal. pyOCD erases and
    -- programs one sector after the other; here all erases come first, then
    -- all pages (the same operations, the same modeled time, one phase each)
    for _, st in ipairs(sectors) do
      if not (s.smart_flash and st.same) then written[#written + 1] = st end
    end
    phase(ctx, "erase", function()
      for _, st in ipairs(written) do
        erase_ldr:run({ { op = "erase", addr = st.sec.addr } })
        erase_ldr:stop()
      end
    end)
    R.sectors_erased = #written
    phase(ctx, "program", function()
      for _, st in ipairs(written) do program_pages(st) end
    end)
  end
  if sum then
    sum.erase, sum.erased, sum.programmed, sum.unchanged = s.erase, R.sectors_erased, #written,
      #sectors - #written
  end

  -- Verify the written sectors (skipped ones were just compared page by page).
  if not s.verify then
    ctx.engine.log("warn", "verify = false: the programmed data was not verified")
    ctx.result.verified = false
    return
  end
  ctx.result.verified = phase(ctx, "verify", function()
    local got
    if s.verify == "crc" then
      local ranges = {}
      for i, st in ipairs(written) do ranges[i] = { addr = st.sec.addr, len = st.sec.size } end
      ldr:start()
      got = ldr:crc32(ranges)
      ldr:stop()
    end
    local crc32 = require("luaflash").crc32
    for i, st in ipairs(written) do
      local a = st.sec.addr
      if s.verify == "crc" then
        local want = crc32(st.content)
        if got[i] ~= want then
          error(string.format("verify: sector %d at 0x%08x: CRC32 0x%08x on the target, 0x%08x expected",
            st.sec.index, a, got[i], want), 0)
        end
      else
        local back = T.t:read(a, st.sec.size)
        if back ~= st.content then
          local k = 1
          while back:byte(k) == st.content:byte(k) do k = k + 1 end
          error(string.format("verify (readback): sector %d differs at 0x%08x: flash has 0x%02x, image 0x%02x",
            st.sec.index, a + k - 1, back:byte(k), st.content:byte(k)), 0)
        end
      end
    end
    ctx.result.verified_sectors = #written
  end)
end
