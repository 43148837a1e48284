-- Upload only (benchmark group 11: the link-rate bound of the 1.5 MB image
-- on the Raspberry Pi Pico): the image's bytes are written into target RAM,
-- nothing is erased or programmed, so total_s is what the Debug Probe's link
-- needs to move them. They go where the RP2040 loader's ring lies (SRAM0-3
-- from 0x20000000; 224 KiB at a time, the ring's size) in the engine's 8 KiB
-- writes. The image comes from the command line: image=FILE.bin
board = "pico"

function program(ctx)
  local T, img = ctx.target, ctx.images.image
  local ring, ring_size, chunk = 0x20000000, 224 * 1024, 8192
  local moved = 0
  for _, seg in ipairs(img:segments()) do
    for off = 0, seg.len - 1, chunk do
      local n = math.min(chunk, seg.len - off)
      T.t:write(ring + moved % ring_size, img:read(seg.addr + off, n))
      moved = moved + n
    end
  end
  ctx.result.upload_bytes = moved
  ctx.result.verified = false -- nothing was flashed
end
