-- SIZE bytes that are not erased (a pattern in the first KiB) yet whose zlib
-- CRC32 equals that of SIZE bytes of 0xFF: four bytes at offset 1024 force
-- it (CRC-32 is linear: its register can be run backwards from the wanted
-- value). The erase-avoidance tests use it as a CRC collision.
--   require("forge")(size) -> string     lua5.4 forge.lua SIZE OUT
local function forged_blank_crc(size)
  local POLY = 0xEDB88320
  local function step(r) if r & 1 == 1 then return (r >> 1) ~ POLY end return r >> 1 end
  local function unstep(r)
    if r & 0x80000000 ~= 0 then return (((r ~ POLY) << 1) | 1) & 0xFFFFFFFF end
    return (r << 1) & 0xFFFFFFFF
  end
  local function feed(r, v) r = r ~ v for _ = 1, 8 do r = step(r) end return r end
  local function unfeed(r, v) for _ = 1, 8 do r = unstep(r) end return r ~ v end
  local b = {}
  for i = 1, size do b[i] = i <= 1024 and (i * 7 + 3) & 0xFF or 0xFF end
  local want, before = 0xFFFFFFFF, 0xFFFFFFFF
  for _ = 1, size do want = feed(want, 0xFF) end
  for i = 1, 1024 do before = feed(before, b[i]) end
  for i = size, 1029, -1 do want = unfeed(want, b[i]) end
  for _ = 1, 32 do want = unstep(want) end
  local w = want ~ before
  for k = 0, 3 do b[1025 + k] = (w >> (8 * k)) & 0xFF end
  local out = {}
  for i = 1, size do out[i] = string.char(b[i]) end
  return table.concat(out)
end

if arg and arg[0] and arg[0]:match("forge%.lua$") and arg[2] then
  local f = assert(io.open(arg[2], "wb"))
  f:write(forged_blank_crc(assert(tonumber(arg[1]), "SIZE expected")))
  f:close()
end
return forged_blank_crc
