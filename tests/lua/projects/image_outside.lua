-- an image that does not fit the target's flash
board = "nucleo_f767zi"
image = { { "app.bin", base = 0x08200000 } }
