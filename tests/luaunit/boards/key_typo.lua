return { target = "stm32f767zi", setings = {} }
