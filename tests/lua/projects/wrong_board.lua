-- a board that does not exist
board = "nucleo_f767"
image = "app.bin"
