-- The smallest project: a board and an image. Everything else is a default
-- (4 MHz SWD, erase only the sectors the image covers, skip sectors whose
-- CRC32 on the target already matches, CRC32 verify, system reset).
--
--   luaflash minimal.lua                        # a NUCLEO-F767ZI on USB
--   luaflash --bench nucleo-f767zi minimal.lua  # the virtual board
--   luaflash minimal.lua --settings             # what it will do, and why
board = "nucleo_f767zi"
image = "../demo-fw/demo-f767.bin"   -- relative to this file; .bin loads at the flash base
