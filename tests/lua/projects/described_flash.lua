-- A chip variant described as data (setting `flash`): the F767 as a 1 MiB
-- single-bank part (4 x 32K, 128K, 3 x 256K); family and line are the
-- chip's. The images are checked against it and its loader programs it.
chip = "stm32f767zi"
image = "app.bin"
flash = {
  name = "STM32F767 as 1 MiB (described)",
  regions = {
    { base = 0x08000000, count = 4, size = 32768 },
    { count = 1, size = 131072 },
    { count = 3, size = 262144 },
  },
  prog_unit = 4, prog_units = { 1, 2, 4, 8 },
  timing = { program_us = 16, erase_ms = { [32768] = 200, [131072] = 500, [262144] = 1000 }, mass_ms = 4000 },
}
