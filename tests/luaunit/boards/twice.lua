function reset(ctx, default) return default(ctx) end
return { target = "stm32f767zi", reset = function(ctx, default) return default(ctx) end }
