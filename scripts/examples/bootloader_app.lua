-- A custom sequence: program(ctx) replaces the middle of the default
-- sequence (plan, erase, program, verify). Here a bootloader and an
-- application are flashed as two separate jobs, bootloader first, each
-- verified by CRC32 before the next starts, so a board is never left with
-- a new application behind an old bootloader.
--
--   luaflash --bench nucleo-f767zi bootloader_app.lua
--
-- Both images are parsed and range-checked before anything is written (the
-- default sequence loads `image` first); program(ctx) then uses the same
-- primitives the default sequence uses: ctx.engine.plan, ctx.target:flash.
board = "nucleo_f767zi"
image = {
  { "../demo-fw/demo-f767.bin", base = 0x08000000 },   -- "bootloader": sector 0
  { "../demo-fw/demo-f767.bin", base = 0x08008000 },   -- "application": sector 1
}

local lf = require("luaflash")

function program(ctx)
  local T, E, s = ctx.target, ctx.engine, ctx.settings
  local verified = 0
  for i, part in ipairs(ctx.images.list) do
    local img = lf.image({ part }, T.geometry)
    local plan = E.plan({ image = img }, T, s)
    local r = T:flash(plan, { erase = true, program = true, verify = true })
    print(string.format("bootloader_app: part %d at 0x%08x: %d byte(s), %d sector(s) verified",
      i, part.base, img:bytes(), r.verified))
    verified = verified + r.verified
    ctx.plan = plan
  end
  ctx.result.verified = true
  ctx.result.verified_sectors = verified
end
