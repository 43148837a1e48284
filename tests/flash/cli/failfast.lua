-- lua5.4 failfast.lua RESULT.json [MAX_S [MAX_TRANSFERS]]: a failed run's
-- --json result; the phases after the failed one (cleanup: stop the loader,
-- reset, disconnect) must take at most MAX_S of modeled time (default 0.5 s)
-- and MAX_TRANSFERS USB transfers (default 500). Prints the figures.
local top = arg[0]:match("^(.*)/tests/flash/cli/[^/]*$") or "."
package.path = top .. "/lua/?.lua;" .. package.path
local json = require("luaflash.json")
local f = assert(io.open(arg[1], "rb"))
local res = assert(json.decode(f:read("a")))
f:close()
local max_s, max_x = tonumber(arg[2] or "0.5"), tonumber(arg[3] or "500")
assert(res.ok == false, "the run did not fail")
local failed, after_s, after_x, names = false, 0, 0, {}
for _, ph in ipairs(res.timeline) do
  if failed and ph.depth == 0 then
    after_s = after_s + (ph.bench_s or 0)
    after_x = after_x + (ph.usb and ph.usb.transfers or 0)
    names[#names + 1] = ph.name
  end
  if ph.failed and ph.depth == 0 and not failed then failed = ph.name end
end
assert(failed, "no failed phase in the timeline")
print(string.format("fail fast: after the failed %s phase: %s in %.4f s modeled, %d USB transfers",
  failed, table.concat(names, ", "), after_s, after_x))
if after_s > max_s or after_x > max_x then
  print(string.format("too slow: allowed %.3f s and %d transfers", max_s, max_x))
  os.exit(1)
end
