board = "nucleo_f767zi"
erase = 3
