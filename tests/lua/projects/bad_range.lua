-- a value out of range
board = "nucleo_f767zi"
image = "app.bin"
clock = "900MHz"
