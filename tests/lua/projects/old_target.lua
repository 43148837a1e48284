-- An older project: the chip under its old setting name
target = "stm32f767zi"
image = "app.bin"
