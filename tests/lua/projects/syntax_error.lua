-- a syntax error
board = "nucleo_f767zi"
image = = "app.bin"
