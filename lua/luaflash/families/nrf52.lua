-- The Lua side of the Nordic nRF52 family unit (src/flash/nrf52.c): its
-- settings layer. UICR writes: luaflash.targets.nrf52_uicr; access-port
-- protection: `luaflash recover` (the C family's recover hook).
return {
  title = "Nordic nRF52",
  -- merged between the built-in defaults and the board (the defaults fit)
  settings = {},
}
