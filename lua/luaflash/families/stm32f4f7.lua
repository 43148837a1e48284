-- The Lua side of the STM32F2/F4/F7 family unit (src/flash/stm32f4f7.c):
-- its settings layer and the lines whose option bytes luaflash writes.
return {
  title = "STM32F2/F4/F7",
  -- merged between the built-in defaults and the board (the defaults fit
  -- every line today: the layer is empty but real, --settings would name it)
  settings = {},
  -- DEV_ID -> option-byte module (decode/encode/write, stm32f7-target.md §3.6)
  option_bytes = { [0x451] = "luaflash.targets.stm32f7_options" },
}
