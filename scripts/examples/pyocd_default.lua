-- pyOCD's default flashing behaviour, reproduced as a luaflash project with
-- settings and hooks only (no change to luaflash itself). It is the
-- "before" of the benchmark: what a pyOCD user measured at 25.5 s for a
-- 65 KB image on a NUCLEO-F767ZI (ST-LINK/V2-1).
--
--   luaflash --bench nucleo-f767zi scripts/examples/pyocd_default.lua
--   luaflash --bench nucleo-f767zi scripts/examples/pyocd_default.lua image=big.bin --profile
--
-- pyOCD default                      here
--   SWD at 1.8 MHz                   clock = "1.8MHz"
--   chip erase                       erase = "chip" (one mass erase)
--   keep_unwritten                   keep_unwritten = true: the bytes of a
--                                    touched sector the image does not cover
--                                    are read over SWD and written back
--   smart flash by read-back         every page is read over SWD and compared
--   compare                          before anything is erased; when all are
--                                    equal nothing is erased or written
--   page-by-page programming         program(ctx) below: per 1 KiB page the
--                                    algorithm is started, programs the page,
--                                    and the core is halted again
--   read-back verify                 verify = "readback": every written
--                                    sector read over SWD and compared
--   5 s wait for the power-down      disconnect_timeout = "5s" (this board
--   acknowledge                      never acknowledges: all 5 s are spent)
--
-- Any of these can be switched back on the command line to measure what
-- each costs (clock=4MHz erase=sector disconnect_timeout=0 ...).

board = "nucleo_f767zi"
image = "../demo-fw/demo-f767.bin"
clock = "1.8MHz"
erase = "chip"
keep_unwritten = true
smart_flash = true          -- by read-back compare in program(ctx), not CRC32
verify = "readback"
disconnect_timeout = "5s"

-- Program page of ST's STM32F7 2 MiB flash algorithm (the FLM in ST's CMSIS
-- pack that pyOCD runs for this part): 1 KiB.
local PAGE = 1024

function program(ctx)
  local s, T = ctx.settings, ctx.target
  -- The plan gives each touched sector's would-be bytes: the image, and with
  -- keep_unwritten the old flash bytes it does not cover (read over SWD).
  -- Its own smart flash (CRC32 on the target) is off: pyOCD compares pages
  -- by reading them back instead, below.
  local ps = {}
  for k, v in pairs(s) do ps[k] = v end
  ps.smart_flash = false
  ps.erase = "sector"
  ctx.plan = ctx.engine.plan(ctx.images, T, ps)

  -- Pages of every sector the image touches, with their would-be bytes.
  local pages = {}
  local blank = string.rep("\xff", PAGE)
  for i, sec in ipairs(ctx.plan:sectors()) do
    if sec.image_bytes > 0 then
      local content = ctx.plan:content(i - 1)
      for off = 0, sec.size - 1, PAGE do
        pages[#pages + 1] = { addr = sec.addr + off, data = content:sub(off + 1, off + PAGE) }
      end
    end
  end

  -- Smart flash: read back every page and compare.
  local changed = 0
  if s.smart_flash then
    for _, pg in ipairs(pages) do
      pg.same = T.t:read(pg.addr, PAGE) == pg.data
      if not pg.same then changed = changed + 1 end
    end
  else
    changed = #pages
  end
  ctx.result.pyocd = { pages = #pages, pages_changed = changed, page_size = PAGE, pages_written = 0 }
  if changed == 0 then
    ctx.engine.log("info", "pyocd_default: every page already matches; nothing erased")
    ctx.result.verified = true     -- every page was just read back and compared
    ctx.result.verified_sectors = 0
    return
  end

  local ldr = T:loader()
  local phase = require("luaflash.sequence").phase
  phase(ctx, "erase", function()
    -- chip erase: one mass erase, the loader halted at its end
    ldr:run({ { op = s.erase == "chip" and "mass" or "erase", addr = 0x08000000, banks = 1 } })
    ldr:stop()
  end)
  phase(ctx, "program", function()
    for _, pg in ipairs(pages) do
      -- after the erase every page is blank: only non-blank pages are written,
      -- each by starting the algorithm and halting the core again
      if pg.data ~= blank then
        ldr:run({ { op = "program", addr = pg.addr, data = pg.data } })
        ldr:stop()
        ctx.result.pyocd.pages_written = ctx.result.pyocd.pages_written + 1
      end
    end
  end)
  local ran = phase(ctx, "verify", function()
    ctx.result.verified_sectors = T:verify(ctx.plan, "readback")
  end)
  ctx.result.verified = ran
end
