return { target = "stm32f42zi" }
