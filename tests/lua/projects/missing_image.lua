-- an image file that does not exist
board = "nucleo_f767zi"
image = "build/missing.bin"
