-- The Quick start demo: a luaflash project that flashes the LED-blink demo
-- firmware onto the board, and on the virtual bench lets the board run for
-- one second of virtual time after the reset to show that it blinks.
--
--   luaflash --bench nucleo-f767zi scripts/demo-project.lua
--   luaflash --bench nucleo-f429zi scripts/demo-project.lua board=nucleo_f429zi image=scripts/demo-fw/demo-f429.bin
--   luaflash --bench nucleo-h743zi scripts/demo-project.lua board=nucleo_h743zi image=scripts/demo-fw/demo-h743.bin
board = "nucleo_f767zi"
image = "demo-fw/demo-f767.bin"     -- relative to this file

function did_disconnect(ctx)
  local bench, n = ctx.probe.p:bench()
  if not bench then return end       -- a real board: nothing to watch
  bench:clear_leds(n)
  bench:run(1000000000, n)           -- 1 s of virtual time, the core runs the firmware
  local leds = bench:leds(n)
  print(string.format("board ran 1 s after the reset: LD1 toggled %d times, LD2 %d, LD3 %d",
    leds[1], leds[2], leds[3]))
  if leds.total == 0 then error("the demo firmware did not blink", 0) end
end
