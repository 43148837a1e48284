board = "nucleo_f767zi"
clock = = 3
