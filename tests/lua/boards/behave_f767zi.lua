-- The NUCLEO-F767ZI with behaviour, for tests/lua/project_test.sh (found
-- through LUAFLASH_BOARDS): two hooks and two steps, each printing its name;
-- the steps run luaflash's own after it.
function will_connect(ctx) print("board: will_connect") end
function did_connect(ctx) print("board: did_connect") end

function reset(ctx, default)
  print("board: reset, then luaflash's")
  return default(ctx)
end

return {
  description = "NUCLEO-F767ZI with hooks and steps (a test board)",
  target = "stm32f767zi",
  bench = "nucleo-f767zi",
  probe = { kind = "stlink" },
  settings = { disconnect_timeout = 0 },
  disconnect = function(ctx, default)
    print("board: disconnect, then luaflash's")
    return default(ctx)
  end,
}
