-- Every combination of erase (sector/chip/auto) x smart_flash x
-- keep_unwritten x verify (crc/readback/false) on the NUCLEO-H743ZI (2 MiB,
-- two independent banks of 8 x 128 KiB, 32-byte flash words), each job from
-- the same old flash content, checked byte for byte by the oracle
-- (flashtest.lua). The jobs touch both banks, so the stream engine pairs
-- their program ranges (loader.h) and every result must still be exact.
--
-- Image: starts unaligned across sectors 0/1, holds a run of 0xFF longer
-- than ff_gap (split range) in sector 2, crosses the bank boundary (sector
-- 7 -> 8) unaligned, and writes the last bytes of sector 15. Sectors 3 and
-- 9 are untouched but hold old data (a chip erase must wipe or keep them).
local H = require("flashtest")

local img = {
  { base = 0x0801FFF3, data = H.bytes(0x1D, 21) },                  -- sector 0 -> 1, unaligned
  { base = 0x08040800, data = H.bytes(0x100, 22) .. string.rep("\255", 0x200) .. H.bytes(0x101, 23) },
  { base = 0x080FFFE9, data = H.bytes(0x2F, 24) },                  -- bank 1 -> bank 2
  { base = 0x081FFF05, data = H.bytes(0xFB, 25) },                  -- last bytes of sector 15
}
local touched = { [0] = true, [1] = true, [2] = true, [7] = true, [8] = true, [15] = true }

local state = H.tmp .. "/lf_flashint_h743_" .. tostring(os.time()) .. "_" .. tostring(math.random(1e9)) .. ".state"
H.test("two independent banks and old content", function()
  local S = H.open { "nucleo-h743zi" }
  H.eq(S.gi.banks, 2, "banks")
  H.eq(S.gi.parallel_banks, true, "independent banks")
  H.eq(#S.gi.sectors, 16, "sectors")
  H.eq(S.gi.sectors[9].addr, 0x08100000, "bank 2 start")
  H.eq(S.gi.prog_unit, 32, "flash word")
  H.background(S, { 0, 1, 3, 7, 8, 9, 15 })
  S.F:close()
  H.save(S, state)
  S.close()
end)

for _, erase in ipairs { "sector", "chip", "auto" } do
  for _, smart in ipairs { true, false } do
    for _, keep in ipairs { false, true } do
      for _, verify in ipairs { "crc", "readback", false } do
        H.test(string.format("erase=%s smart_flash=%s keep_unwritten=%s verify=%s", erase,
          tostring(smart), tostring(keep), tostring(verify)), function()
          local copy = state .. ".run"
          H.copy(state, copy)
          local S = H.open { "nucleo-h743zi", state = copy }
          local ok, err = pcall(function()
            local r = H.job(S, img, { erase = erase, smart_flash = smart, keep_unwritten = keep, verify = verify })
            local used = erase == "auto" and "sector" or erase
            H.eq(r.plan.erase, used, "erase mode used")
            for _, sec in ipairs(r.sectors) do
              local want = used == "chip" or touched[sec.index] or false
              H.eq(sec.action ~= "skip", want, "sector " .. sec.index .. " erased")
            end
            -- both banks at once: the floor is the slower bank's
            H.check(r.plan.floor_s < r.plan.serial_floor_s, "floor below one bank after the other")
            if smart and used == "sector" then
              local r2 = S.F:program(img, { erase = erase, smart_flash = true, keep_unwritten = keep, verify = verify })
              H.eq(r2.plan.erased, 0, "re-flash: sectors erased")
              H.eq(r2.plan.unchanged, 6, "re-flash: sectors unchanged")
            end
          end)
          S.close()
          os.remove(copy)
          if not ok then error(err, 0) end
        end)
      end
    end
  end
end

H.run("flash_matrix_h743")
os.remove(state)
