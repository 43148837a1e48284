helper = 1
return { target = "stm32f767zi" }
