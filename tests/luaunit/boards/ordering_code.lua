-- the chip by its ordering code: stored as its part
return { target = "STM32F429ZIT6" }
