-- luaflash with its defaults on the Raspberry Pi Pico (benchmark group 11):
-- the board file's settings (core 0's TARGETSEL, SYSRESETREQ reset); the
-- image and the clock come from the command line: image=FILE.bin clock=...
board = "pico"
