-- a setting of the wrong type
board = "nucleo_f767zi"
image = "app.bin"
smart_flash = "yes"
