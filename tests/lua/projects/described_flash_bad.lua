-- A described flash the family's loader cannot drive (the F4/F7 sector
-- shape is 4 x U, 4U, 8U...): an input error before the probe is opened.
chip = "stm32f767zi"
image = "app.bin"
flash = {
  regions = { { base = 0x08000000, count = 8, size = 32768 } },
  timing = { program_us = 16, erase_ms = { [32768] = 200 } },
}
