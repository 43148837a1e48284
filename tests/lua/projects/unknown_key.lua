-- a typo in a setting name
board = "nucleo_f767zi"
image = "app.bin"
clokc = "4MHz"
