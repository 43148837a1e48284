-- The same work on either transport (in-process bench, or libusb through the
-- stand-in): connect, 64 KiB SRAM write and read, disconnect without waiting,
-- close. On the bench, arg[1] receives the bench report (the stand-in writes
-- its own to LF_BENCH_REPORT at exit); cli_test.sh compares the two.
local lf = require("luaflash")
local p = lf.open()
p:set_clock(4000000)
local t = p:target({ disconnect_timeout = 0 })
t:connect("halt")
local data = string.rep("\x5A\xA5\x0F\xF0", 16384)
t:write(0x20020000, data)
assert(t:read(0x20020000, #data) == data)
t:disconnect()
local s = p:stats()
print(string.format("usb round trips %d, transfers %d, out %d B, in %d B; stlink commands %d",
  s.usb.round_trips, s.usb.transfers, s.usb.bytes_out, s.usb.bytes_in, s.commands))
p:close()
if lf.cli.bench and arg[1] then
  local f = assert(io.open(arg[1], "w"))
  f:write(lf.cli.bench:report())
  f:close()
end
