-- An nRF52840 project that flashes its image, then writes UICR words (a
-- customer word and pin reset on P0.18) once the image is verified:
--
--   luaflash --bench nrf52840-dk nrf52_uicr_project.lua image=app.hex
--
-- NVMC operations from the debugger need the core halted, so the hook stops
-- the flash loader first (the core halts at the loader's return BKPT);
-- luaflash.targets.nrf52_uicr reads every word back.
board = "nrf52840_dk"

function did_verify(ctx)
  ctx.target.F.close()
  local r = require("luaflash.targets.nrf52_uicr").write(ctx.target.t, {
    ["CUSTOMER[0]"] = 0x12345678,
    ["PSELRESET[0]"] = 18, ["PSELRESET[1]"] = 18,
  })
  print(string.format("UICR: %d word(s) written%s, verified", r.written, r.erased and " (UICR erased and rewritten)" or ""))
end
