-- A project on a board with behaviour (tests/lua/boards/behave_f767zi.lua):
-- its did_connect replaces the board's (which it does not call), its reset
-- runs before the board's, which runs luaflash's.
board = "behave_f767zi"
image = "app.bin"

function did_connect(ctx, board_did_connect)   -- luacheck: ignore (not called: replaced)
  print("project: did_connect (the board's is replaced)")
end

function reset(ctx, default)
  print("project: reset, then the board's")
  return default(ctx)
end
