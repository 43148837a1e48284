-- Upload only (benchmark: the link-rate bound of the 2 MB image on the
-- NUCLEO-H743ZI): the image's bytes are written into target RAM, nothing is
-- erased or programmed, so total_s is what the probe link needs to move
-- them. They go where the stream engine puts them (the H7 loader's ring,
-- AXI SRAM 0x24000000, 512 KiB at a time) in the engine's 8 KiB writes.
-- The image comes from the command line: image=FILE.bin
board = "nucleo_h743zi"

function program(ctx)
  local T, img = ctx.target, ctx.images.image
  local ring, ring_size, chunk = 0x24000000, 512 * 1024, 8192
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
