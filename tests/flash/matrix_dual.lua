-- The erase x smart_flash x keep_unwritten x verify matrix on dual-bank
-- geometry: the NUCLEO-F429ZI (2 MiB, two banks of 4 x 16K, 64K, 7 x 128K)
-- and the NUCLEO-F767ZI switched to dual bank (OPTCR.nDBANK = 0 written
-- through the flash controller, same layout, bank 2 SNB 0x10..). The image
-- crosses the 16K/64K and 64K/128K boundaries in both banks, the bank
-- boundary itself, and ends at the last byte of the last sector.
local H = require("flashtest")

local img = {
  { base = 0x0800FFF5, data = H.bytes(0x13, 11) },                  -- 16K -> 64K, bank 1
  { base = 0x0801FFFE, data = H.bytes(0x7, 12) },                   -- 64K -> 128K
  { base = 0x080FFFF0, data = H.bytes(0x21, 13) },                  -- bank 1 -> bank 2
  { base = 0x0810FFF9, data = H.bytes(0x11, 14) },                  -- 16K -> 64K, bank 2
  { base = 0x081FFFF1, data = H.bytes(0x0F, 15) },                  -- last sector, last byte
}
-- touched logical sectors: 3, 4 | 4, 5 | 11, 12 | 15, 16 | 23
local touched = { [3] = true, [4] = true, [5] = true, [11] = true, [12] = true, [15] = true,
  [16] = true, [23] = true }

local states = {}
local function prepare(board, optcr)
  local state = H.tmp .. "/lf_flashint_" .. board .. "_" .. tostring(os.time()) .. "_" ..
    tostring(math.random(1e9)) .. ".state"
  local S = H.open { board }
  if optcr then H.set_optcr(S, optcr) end
  H.eq(S.gi.dual_bank, true, board .. ": dual bank")
  H.eq(#S.gi.sectors, 24, board .. ": sectors")
  H.eq(S.gi.sectors[13].addr, 0x08100000, board .. ": bank 2 start")
  H.background(S, { 0, 3, 4, 5, 6, 11, 12, 15, 16, 17, 23 })
  S.F:close()
  H.save(S, state)
  S.close()
  states[#states + 1] = state
  return state
end

local boards = {
  { name = "nucleo-f429zi" },
  { name = "nucleo-f767zi", optcr = 0xDFFFAAFC, label = "nucleo-f767zi nDBANK=0" },
}

for _, bd in ipairs(boards) do
  local state
  local label = bd.label or bd.name
  H.test(label .. ": dual-bank geometry and old content", function() state = prepare(bd.name, bd.optcr) end)
  for _, erase in ipairs { "sector", "chip", "auto" } do
    for _, smart in ipairs { true, false } do
      for _, keep in ipairs { false, true } do
        for _, verify in ipairs { "crc", "readback", false } do
          H.test(string.format("%s erase=%s smart_flash=%s keep_unwritten=%s verify=%s", label, erase,
            tostring(smart), tostring(keep), tostring(verify)), function()
            assert(state, "no prepared state")
            local copy = state .. ".run"
            H.copy(state, copy)
            local S = H.open { bd.name, state = copy }
            local ok, err = pcall(function()
              H.eq(S.gi.dual_bank, true, "dual bank after the state reload")
              local r = H.job(S, img, { erase = erase, smart_flash = smart, keep_unwritten = keep, verify = verify })
              local used = erase == "auto" and "sector" or erase
              H.eq(r.plan.erase, used, "erase mode used")
              for _, sec in ipairs(r.sectors) do
                local want = used == "chip" or touched[sec.index] or false
                H.eq(sec.action ~= "skip", want, "sector " .. sec.index .. " erased")
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
end

H.run("flash_matrix_dual")
for _, s in ipairs(states) do os.remove(s) end
