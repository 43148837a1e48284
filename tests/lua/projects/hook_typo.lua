-- a misspelt hook
board = "nucleo_f767zi"
image = "app.bin"
function will_conect(ctx) end
