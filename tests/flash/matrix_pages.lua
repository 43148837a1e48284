-- The F767 matrix (matrix_f767.lua) on the page-flash families: every
-- combination of erase (sector/chip/auto) x smart_flash x keep_unwritten x
-- verify (crc/readback/false) on the NUCLEO-F103RB (STM32F1: 128 pages of
-- 1 KiB, half-words) and the NUCLEO-L476RG (STM32L4: two banks of 256 pages
-- of 2 KiB, double words), each job from the same old flash content,
-- checked byte for byte by the oracle (flashtest.lua); then the
-- high-density F103RC's 2 KiB pages.
--
-- Image "edges" (per board): starts on an odd address (the program unit pads
-- it), spans page 0 -> 1, holds a run of 0xFF longer than ff_gap (split
-- range) in page 5, spans a page boundary (on the L476 the bank boundary)
-- and ends on an odd address, and writes the last bytes of the last page.
-- Pages 2 and 7 are untouched but hold old data (a chip erase must wipe or
-- keep them).
local H = require("flashtest")

local BASE = 0x08000000
local boards = {
  { board = "nucleo-f103rb", pages = 128, page = 1024, unit = 2, cross = 9,
    edges = {
      { base = 0x080003F3, data = H.bytes(0x1F1, 1) },                                      -- page 0 -> 1
      { base = 0x08001400, data = H.bytes(0x40, 4) .. string.rep("\255", 0x100) .. H.bytes(0x41, 5) }, -- page 5
      { base = 0x080027F0, data = H.bytes(0x21, 3) },                                       -- page 9 -> 10
      { base = 0x0801FFF2, data = H.bytes(0x0E, 6) },                                       -- last page
    } },
  { board = "nucleo-l476rg", pages = 512, page = 2048, unit = 8, cross = 255,
    edges = {
      { base = 0x080007F3, data = H.bytes(0x3F1, 1) },                                      -- page 0 -> 1
      { base = 0x08002800, data = H.bytes(0x40, 4) .. string.rep("\255", 0x100) .. H.bytes(0x41, 5) }, -- page 5
      { base = 0x0807FFF0, data = H.bytes(0x21, 3) },                                       -- bank 1 -> bank 2
      { base = 0x080FFFF2, data = H.bytes(0x0E, 6) },                                       -- last page
    } },
}

-- Old content: 256 bytes at the start and before the end of each listed
-- page (so kept and erased bytes differ everywhere).
local function background(S, pages)
  local list = {}
  for _, i in ipairs(pages) do
    local s = S.gi.sectors[i + 1]
    list[#list + 1] = { data = H.bytes(256, 1000 + i), base = s.addr }
    list[#list + 1] = { data = H.bytes(256, 2000 + i), base = s.addr + s.size - 256 }
  end
  S.F:program(list, { erase = "sector", smart_flash = false, verify = "crc" })
end

local function saved_state(board, pages)
  local state = H.tmp .. "/lf_flashint_" .. board .. "_" .. tostring(os.time()) .. "_" ..
    tostring(math.random(1e9)) .. ".state"
  local S = H.open { board }
  background(S, pages)
  S.F:close()
  H.save(S, state)
  S.close()
  return state
end

local function session(board, st)
  local copy = st .. ".run"
  H.copy(st, copy)
  local S = H.open { board, state = copy }
  local close = S.close
  S.close = function() close(); os.remove(copy) end
  return S
end

local function with(board, st, fn)
  local S = session(board, st)
  local ok, err = pcall(fn, S)
  S.close()
  if not ok then error(err, 0) end
end

for _, B in ipairs(boards) do
  local last = B.pages - 1
  local touched = { [0] = true, [1] = true, [5] = true, [B.cross] = true, [B.cross + 1] = true, [last] = true }
  local state = saved_state(B.board, { 0, 1, 2, 5, 7, B.cross, B.cross + 1, last })
  B.state = state
  H.test(B.board .. " geometry", function()
    with(B.board, state, function(S)
      H.eq(#S.gi.sectors, B.pages, "pages")
      H.eq(S.gi.sectors[B.pages].addr, BASE + B.page * last, "last page")
      H.eq(S.gi.sectors[1].size, B.page, "page size")
      H.eq(S.gi.prog_unit, B.unit, "program unit")
    end)
  end)
  for _, erase in ipairs { "sector", "chip", "auto" } do
    for _, smart in ipairs { true, false } do
      for _, keep in ipairs { false, true } do
        for _, verify in ipairs { "crc", "readback", false } do
          local name = string.format("%s edges erase=%s smart_flash=%s keep_unwritten=%s verify=%s", B.board,
            erase, tostring(smart), tostring(keep), tostring(verify))
          H.test(name, function()
            with(B.board, state, function(S)
              local r = H.job(S, B.edges, { erase = erase, smart_flash = smart, keep_unwritten = keep, verify = verify })
              -- auto: a chip erase would lose pages the image does not carry
              -- unless keep_unwritten restores them, and then it costs more
              -- (the whole array read and written back)
              local used = erase == "auto" and "sector" or erase
              H.eq(r.plan.erase, used, "erase mode used")
              if used == "sector" then
                H.eq(r.plan.erased + r.plan.unchanged, 6, "pages erased + unchanged")
                for _, sec in ipairs(r.sectors) do
                  H.eq(sec.action ~= "skip", touched[sec.index] or false, "page " .. sec.index .. " erased")
                end
              else
                H.eq(r.plan.erased, B.pages, "chip erase: every page erased")
              end
              if smart and used == "sector" then
                local r2 = S.F:program(B.edges, { erase = erase, smart_flash = true, keep_unwritten = keep, verify = verify })
                H.eq(r2.plan.erased, 0, "re-flash: pages erased")
                H.eq(r2.plan.unchanged, 6, "re-flash: pages unchanged")
              end
            end)
          end)
        end
      end
    end
  end
  -- erase = "auto" on an image touching every page: the page erases cost
  -- more than one mass erase, and nothing outside the image is lost, so auto
  -- takes the mass erase; "fastest" takes it even for "edges".
  H.test(B.board .. " every page touched: auto takes the mass erase", function()
    local wide = {}
    -- (data starting with ":" would be read as Intel HEX: a zero byte first)
    for i = 0, last do
      wide[#wide + 1] = { base = BASE + B.page * i + 0x100 + 8 * (i % 16), data = "\0" .. H.bytes(23, 100 + i) }
    end
    with(B.board, state, function(S)
      local r = H.job(S, wide, { erase = "auto" })
      H.eq(r.plan.erase, "chip", "auto with nothing to lose")
    end)
  end)
  -- a protected region in a page the image touches (page 5, after the
  -- image bytes there) and one in an untouched page that a chip erase
  -- would lose: both kept, under sector and chip erase
  for _, erase in ipairs { "sector", "chip" } do
    H.test(string.format("%s protected regions kept, erase=%s", B.board, erase), function()
      with(B.board, state, function(S)
        local p5 = BASE + 5 * B.page + B.page - 64
        local p2 = BASE + 2 * B.page
        local before5, before2 = S.b:peek(p5, 64), S.b:peek(p2, 256)
        local store = H.tmp .. "/lf_protstore_" .. tostring(math.random(1e9))
        local r = S.F:program(B.edges, { erase = erase, protect = { { p5, 64, "cal" }, { p2, 256, "boot" } },
          protect_store = store })
        S.F:close()
        H.eq(r.plan.erase, erase, "erase mode")
        H.check(S.b:peek(p5, 64) == before5, "protected bytes of page 5 kept")
        H.check(S.b:peek(p2, 256) == before2, "protected bytes of page 2 kept")
        for _, sg in ipairs(B.edges) do H.check(S.b:peek(sg.base, #sg.data) == sg.data, "image bytes") end
        os.execute("rm -rf '" .. store .. "'")
      end)
    end)
  end
  H.test(B.board .. " edges erase=fastest: the mass erase, pages 2 and 7 lost", function()
    with(B.board, state, function(S)
      local r = H.job(S, B.edges, { erase = "fastest" })
      H.eq(r.plan.erase, "chip", "fastest")
    end)
  end)
end

-- High density: 2 KiB pages (page 0 -> 1 at 0x08000800).
local state_rc = saved_state("nucleo-f103rc", { 0, 1, 2, 127 })
for _, erase in ipairs { "sector", "chip" } do
  for _, keep in ipairs { false, true } do
    H.test(string.format("F103RC 2 KiB pages erase=%s keep_unwritten=%s", erase, tostring(keep)), function()
      with("nucleo-f103rc", state_rc, function(S)
        H.eq(#S.gi.sectors, 128, "pages")
        H.eq(S.gi.sectors[1].size, 2048, "page size")
        local segs = { { base = 0x080007F1, data = H.bytes(0x211, 7) }, { base = 0x0803FFF0, data = H.bytes(16, 8) } }
        local r = H.job(S, segs, { erase = erase, keep_unwritten = keep })
        H.eq(r.plan.erased, erase == "chip" and 128 or 3, "pages erased")
      end)
    end)
  end
end

H.run("flash_matrix_pages")
for _, B in ipairs(boards) do os.remove(B.state) end
os.remove(state_rc)
