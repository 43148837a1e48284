-- A bare chip, no board: the chip by its short alias, any case
chip = "F767ZI"
image = "app.bin"
