-- luaflash with its defaults on the NUCLEO-F767ZI (benchmark scenario 4);
-- the image comes from the command line: image=FILE.bin
board = "nucleo_f767zi"
