-- The Lua side of the RP2040 family unit (src/flash/rp2040.c): its settings
-- layer. The RP2040's debug ports share one multidrop SWD wire and start
-- dormant (nrf52-rp2040-targets.md §8): connect selects core 0's DP by its
-- TARGETSEL (a board or project may name core 1's, 0x11002927).
return {
  title = "RP2040",
  settings = {
    targetsel = 0x01002927,
  },
}
