-- connect and reset are settings and steps: a function is the step
board = "nucleo_f767zi"
reset = "hardware"
function reset(ctx, default) return default(ctx) end
connect = "under-reset"
function connect(ctx, default) return default(ctx) end
function plan(ctx, default) return default(ctx) end
function disconnect(ctx, default) return default(ctx) end
