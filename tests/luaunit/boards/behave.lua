-- A board with behaviour: a top-level step and a hook in its table.
local function note(ctx, what) ctx.notes[#ctx.notes + 1] = what end
function reset(ctx, default)
  note(ctx, "board reset")
  return default(ctx)
end
return {
  description = "test board with behaviour",
  target = "stm32f767zi",
  settings = { reset = "hardware" },
  will_connect = function(ctx) note(ctx, "board will_connect") end,
}
