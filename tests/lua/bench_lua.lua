-- luaflash.bench from Lua (no --bench needed): options, two boards, report,
-- counters, virtual time, LEDs.
local lf = require("luaflash")
local b <close> = lf.bench{ "nucleo-f767zi", { board = "nucleo-f767zi", probe = "v3" },
  params = { usb_transfer_latency_ns = 125000 } }
assert(b:count() == 2)
local list = b:probes()
assert(#list == 2 and list[1].product == "ST-LINK/V2-1" and list[2].firmware == "V3J7M3B5",
  list[2].firmware)
local p <close> = b:open("bench:2")
local before, other = b:time_ns(2), b:time_ns(1)
p:connect()
assert(b:time_ns(2) > before and b:time_ns(1) == other, "each board has its own clock")
local c = b:counters(2)
assert(c.time_ns == b:time_ns(2) and c.probe.commands > 0 and c.dap.transactions > 0)
local sum = 0
for _, v in pairs(c.time) do sum = sum + v end
assert(sum == c.time_ns, "time categories sum to the total")
b:run(1000000, 2)
assert(b:time_ns(2) >= c.time_ns + 1000000)
assert(b:leds(2).total == 0)
assert(b:report(2):find("virtual time"))
print("bench ok", b)
