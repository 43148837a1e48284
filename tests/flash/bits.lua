-- Images for the bits-only tests (cli_bits.sh): from OLD, a new image
--   lua5.4 bits.lua clear OLD OUT            every 7th byte ANDed with 0xF0 (only clears bits)
--   lua5.4 bits.lua mixed OLD OUT            as clear, but bytes 32768..65535 (F767 sector 1) XOR 1
--                                            (0 -> 1 bits everywhere: the sample sees them)
--   lua5.4 bits.lua hidden OLD OUT OFF       as clear, but byte OFF gets a 0 -> 1 bit (one place
--                                            the sample does not look: the loader finds it)
--   lua5.4 bits.lua head OLD OUT N           the first N bytes of clear
--   lua5.4 bits.lua grow OLD OUT N           OLD and then N more bytes of its start (fills
--                                            erased words after it)
--   lua5.4 bits.lua zero OLD OUT N           OLD with 8 bytes zeroed at N and at N + 2000
local mode, old, out, n = arg[1], arg[2], arg[3], tonumber(arg[4])
local f = assert(io.open(old, "rb")); local a = f:read("a"); f:close()
local b = {}
for i = 1, #a do
  local v = a:byte(i)
  if i % 7 == 0 then v = v & 0xF0 end
  if mode == "mixed" and i > 32768 and i <= 65536 then v = a:byte(i) ~ 1 end
  b[i] = v
end
if mode == "hidden" then
  local v = a:byte(n + 1)
  if v == 0xFF then error("byte " .. n .. " is 0xFF: pick another") end
  for bit = 0, 7 do
    if v & (1 << bit) == 0 then b[n + 1] = v | (1 << bit) break end
  end
end
if mode == "zero" then
  local z = a:sub(1, n) .. string.rep("\0", 8) .. a:sub(n + 9, n + 2000) .. string.rep("\0", 8) .. a:sub(n + 2009)
  f = assert(io.open(out, "wb")); f:write(z); f:close()
  return
end
if mode == "grow" then
  f = assert(io.open(out, "wb")); f:write(a .. a:sub(1, n)); f:close()
  return
end
local t = {}
for i = 1, (mode == "head" and n or #a) do t[i] = string.char(b[i]) end
f = assert(io.open(out, "wb")); f:write(table.concat(t)); f:close()
