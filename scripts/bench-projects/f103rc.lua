-- luaflash with its defaults on the bench's NUCLEO-F103RC variant (an
-- STM32F103RC on a NUCLEO-64; no board file: the chip alone); the image
-- comes from the command line: image=FILE.bin
chip = "stm32f103rc"
