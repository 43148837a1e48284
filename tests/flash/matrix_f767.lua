-- Every combination of erase (sector/chip/auto) x smart_flash x
-- keep_unwritten x verify (crc/readback/false) on the NUCLEO-F767ZI (2 MiB,
-- single bank: 4 x 32K, 128K, 7 x 256K), each job from the same old flash
-- content, checked byte for byte by the oracle (flashtest.lua).
--
-- Image "edges": starts unaligned, has gaps, spans the 32K->32K (sector
-- 0/1), 32K->128K (3/4) and 128K->256K (4/5) boundaries, holds a run of
-- 0xFF words longer than ff_gap (split range), ends unaligned, and writes
-- the last bytes of the last sector. Sectors 2 and 6 are untouched but hold
-- old data (a chip erase must wipe or keep them).
local H = require("flashtest")

local BASE = 0x08000000
local edges = {
  { base = 0x08007F03, data = H.bytes(0x1F1, 1) },                  -- sector 0 -> 1, unaligned
  { base = 0x0801FFF1, data = H.bytes(0x22, 2) },                   -- 32K -> 128K
  { base = 0x0803FFFA, data = H.bytes(0x0B, 3) },                   -- 128K -> 256K
  { base = 0x08040800, data = H.bytes(0x100, 4) .. string.rep("\255", 0x200) .. H.bytes(0x101, 5) },
  { base = 0x081FFF02, data = H.bytes(0xFE, 6) },                   -- last bytes of sector 11
}
-- "wide": a few bytes in every sector: erase = "auto" must compare both costs
local wide = {}
for i = 0, 11 do
  local a = ({ 0, 0x8000, 0x10000, 0x18000, 0x20000 })[i + 1] or (0x40000 * (i - 4))
  wide[#wide + 1] = { base = BASE + a + 0x400 + i, data = H.bytes(24, 100 + i) }
end

local state = H.tmp .. "/lf_flashint_f767_" .. tostring(os.time()) .. "_" .. tostring(math.random(1e9)) .. ".state"
do -- the old content, saved once
  local S = H.open { "nucleo-f767zi" }
  H.background(S, { 0, 1, 2, 3, 4, 5, 6, 11 })
  S.F:close()
  H.save(S, state)
  S.close()
end

local function session()
  local copy = state .. ".run"
  H.copy(state, copy)
  local S = H.open { "nucleo-f767zi", state = copy }
  local close = S.close
  S.close = function() close(); os.remove(copy) end
  return S
end

local verifies = { "crc", "readback", false }
for _, erase in ipairs { "sector", "chip", "auto" } do
  for _, smart in ipairs { true, false } do
    for _, keep in ipairs { false, true } do
      for _, verify in ipairs(verifies) do
        local name = string.format("edges erase=%s smart_flash=%s keep_unwritten=%s verify=%s", erase,
          tostring(smart), tostring(keep), tostring(verify))
        H.test(name, function()
          local S = session()
          local ok, err = pcall(function()
            local r = H.job(S, edges, { erase = erase, smart_flash = smart, keep_unwritten = keep, verify = verify })
            local used = erase == "auto" and "sector" or erase
            H.eq(r.plan.erase, used, "erase mode used")
            if used == "sector" then
              -- touched: 0, 1, 3, 4, 5, 11; nothing else erased
              H.eq(r.plan.erased + r.plan.unchanged, 6, "sectors erased + unchanged")
              for _, sec in ipairs(r.sectors) do
                local touched = ({ [0] = 1, 1, nil, 1, 1, 1 })[sec.index] or sec.index == 11
                H.eq(sec.action ~= "skip", touched and true or false, "sector " .. sec.index .. " erased")
              end
            else
              H.eq(r.plan.erased, 12, "chip erase: every sector erased")
            end
            -- the second run finds nothing to do with smart flash (sector mode)
            if smart and used == "sector" then
              local r2 = S.F:program(edges, { erase = erase, smart_flash = true, keep_unwritten = keep, verify = verify })
              H.eq(r2.plan.erased, 0, "re-flash: sectors erased")
              H.eq(r2.plan.unchanged, 6, "re-flash: sectors unchanged")
            end
          end)
          S.close()
          if not ok then error(err, 0) end
        end)
      end
    end
  end
end

-- erase = "auto" on an image touching every sector: the cheaper of the two
-- modeled costs wins, and the flash is right either way.
for _, keep in ipairs { false, true } do
  H.test("wide erase=auto keep_unwritten=" .. tostring(keep), function()
    local S = session()
    local ok, err = pcall(function()
      local r = H.job(S, wide, { erase = "auto", keep_unwritten = keep })
      local p = r.plan
      H.eq(p.erase, p.chip_cost_s < p.sector_cost_s and "chip" or "sector", "auto picks the cheaper")
      if not keep then H.eq(p.erase, "chip", "12 sector erases cost more than one mass erase") end
    end)
    S.close()
    if not ok then error(err, 0) end
  end)
end

H.run("flash_matrix_f767")
os.remove(state)
