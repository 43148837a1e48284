-- The Lua side of the STM32F1 family unit (src/flash/stm32f1.c): its
-- settings layer and the lines whose option bytes luaflash writes.
return {
  title = "STM32F1",
  -- merged between the built-in defaults and the board (the defaults fit)
  settings = {},
  -- DEV_ID -> option-byte module (the FPEC's option block, stm32-f1-l4-h7-targets.md §3.4)
  option_bytes = {
    [0x410] = "luaflash.targets.stm32f1_options",
    [0x414] = "luaflash.targets.stm32f1_options",
  },
}
