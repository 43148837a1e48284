board = "nucleo_f767zi"

smartflash = false
