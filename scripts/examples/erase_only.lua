-- A custom sequence that only erases: the sectors the image covers are
-- erased (the image is only used to say which), then checked blank by a
-- CRC32 on the target. Nothing is programmed.
--
--   luaflash --bench nucleo-f767zi erase_only.lua
board = "nucleo_f767zi"
image = "../demo-fw/demo-f767.bin"
reset = "none"                -- leave the (now empty) target halted

local lf = require("luaflash")

function program(ctx)
  local T = ctx.target
  -- a plan without smart flash: every covered sector is erased
  local s = {}
  for k, v in pairs(ctx.settings) do s[k] = v end
  s.smart_flash = false
  s.erase = "sector"
  ctx.plan = ctx.engine.plan(ctx.images, T, s)
  local ranges = {}
  for _, sec in ipairs(ctx.plan:sectors()) do
    if sec.action ~= "skip" then ranges[#ranges + 1] = { addr = sec.addr, len = sec.size } end
  end
  T:erase(ctx.plan)
  -- blank check: CRC32 of each erased sector on the target == CRC32 of 0xFF bytes
  local got = T:loader():crc32(ranges)
  for i, r in ipairs(ranges) do
    local want = lf.crc32(string.rep("\xff", r.len))
    if got[i] ~= want then
      error(string.format("erase_only: sector at 0x%08x is not blank (CRC32 0x%08x, blank 0x%08x)",
        r.addr, got[i], want), 0)
    end
  end
  print(string.format("erase_only: %d sector(s) erased and blank", #ranges))
  ctx.result.verified = true
  ctx.result.verified_sectors = #ranges
end
