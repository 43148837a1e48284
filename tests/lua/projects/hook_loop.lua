-- A hook that never returns: the run must end with an error naming it
-- (hook_limit), not hang.
board = "nucleo_f767zi"
image = "app.bin"
function did_connect(ctx)
  local n = 0
  while true do n = n + 1 end
end
