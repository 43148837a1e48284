-- The Lua side of the STM32L4 family unit (src/flash/stm32l4.c): its
-- settings layer and the lines whose option bytes luaflash writes.
return {
  title = "STM32L4",
  -- merged between the built-in defaults and the board (the defaults fit)
  settings = {},
  -- DEV_ID -> option-byte module (FLASH_OPTR and the WRP areas, stm32-f1-l4-h7-targets.md §4.4)
  option_bytes = { [0x415] = "luaflash.targets.stm32l4_options" },
}
