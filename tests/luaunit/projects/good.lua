-- a project file as users write it
board = "nucleo_f767zi"
image = "build/app.bin"
base = 0x08000000
clock = "1.8MHz"
erase = "chip"

local count = 0
function will_connect(ctx)
  count = count + 1
  ctx.settings.clock = 4000000
end
