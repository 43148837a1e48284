-- A tuned project: settings chosen for a daily edit-flash-debug loop, and
-- hooks around the phases (the names pyOCD's user scripts use where the
-- meaning is the same).
--
--   luaflash --bench nucleo-f767zi tuned.lua
--   luaflash tuned.lua clock=1MHz           # the command line wins over the file
board = "nucleo_f767zi"
image = { { "../demo-fw/demo-f767.bin", base = 0x08000000 } }  -- a list of { path, base = }
clock = "8MHz"            -- the probe picks the nearest supported clock not above it
erase = "sector"          -- never a chip erase, even when it would be faster
smart_flash = true        -- sectors already holding the image are left alone
verify = "crc"            -- CRC32 computed on the target
reset = "system"
halt_after_reset = false  -- let the new firmware run
disconnect_timeout = "0ms"

local started

-- A slow cable? Lower the clock here (ctx.settings may be changed in any
-- will_* hook before the phase runs).
function will_connect(ctx)
  started = os.clock()
  if os.getenv("SLOW_CABLE") then ctx.settings.clock = 1000000 end
end

function did_connect(ctx)
  local info = ctx.target.info   -- what the connect identified
  print(string.format("tuned: connected to %s (%s)", info.chip, info.core))
end

-- The plan is known before anything is erased: refuse to touch a bootloader
-- sector by mistake (the image here starts at the flash base on purpose, so
-- this only logs).
function will_erase(ctx)
  for _, sec in ipairs(ctx.plan:sectors()) do
    if sec.action ~= "skip" and sec.index == 0 then
      print("tuned: sector 0 will be rewritten")
    end
  end
end

function did_verify(ctx)
  print(string.format("tuned: %d sector(s) verified by CRC32", ctx.result.verified_sectors or 0))
end

-- Skip the reset when asked (return false from a will_* hook skips the phase).
function will_reset(ctx)
  if os.getenv("NO_RESET") then return false end
end

function on_error(ctx, err)
  io.stderr:write("tuned: flashing failed; the target is reset and the probe closed\n")
end
