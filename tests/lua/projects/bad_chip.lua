-- A misspelt chip: an input error naming this line
chip = "stm32f76zi"
image = "app.bin"
