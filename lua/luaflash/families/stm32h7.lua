-- The Lua side of the STM32H7 family unit (src/flash/stm32h7.c): its
-- settings layer and the lines whose option bytes luaflash writes.
return {
  title = "STM32H7",
  -- merged between the built-in defaults and the board (the defaults fit:
  -- the layer is empty but real, --settings would name it)
  settings = {},
  -- DEV_ID -> option-byte module (stm32-f1-l4-h7-targets.md 5.4)
  option_bytes = { [0x450] = "luaflash.targets.stm32h7_options" },
}
