-- The F429's own 2 MiB dual-bank flash described as data with the default
-- sector numbering (bank 2 numbered from 0 here, 12 in ST's tables): the
-- loader finds the sectors by address, so an image in bank 2 (SNB 0x10 on
-- the chip) programs and verifies.
chip = "stm32f429zi"
image = { { "app.bin", base = 0x08100000 } }
local bank = { { count = 4, size = 16384 }, { count = 1, size = 65536 }, { count = 7, size = 131072 } }
local regions = {}
for b = 0, 1 do
  for i, r in ipairs(bank) do
    regions[#regions + 1] = { base = (b == 0 and i == 1) and 0x08000000 or nil, count = r.count,
      size = r.size, bank = b }
  end
end
flash = {
  name = "STM32F429 2 MiB (described)", regions = regions, prog_unit = 4, prog_units = { 1, 2, 4, 8 },
  timing = { program_us = 16, erase_ms = { [16384] = 250, [65536] = 550, [131072] = 1000 }, mass_ms = 8000 },
}
