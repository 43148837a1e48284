function will_conect(ctx) end
return { target = "stm32f767zi" }
