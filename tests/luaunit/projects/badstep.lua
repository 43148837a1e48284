board = "nucleo_f767zi"
program = 3
