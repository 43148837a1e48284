board = "nucleo_f767zi"
function plna(ctx, default) return default(ctx) end
