-- Assertions of the nRF52840 benchmark regression test (tests/bench/nrf52_test.sh):
--   lua5.4 nrf52_check.lua TOP BUILD RESULTS1.json RESULTS2.json
-- Issue 15's bounds: luaflash within 1.10 x the floor (pages touched x
-- tERASEPAGE + words x tWRITE, from the bench's parameter table), faster
-- than OpenOCD on the same bench (at least 2 x wherever OpenOCD takes more
-- than 2.2 x the floor), an unchanged re-flash under 10 % of a full one,
-- identical virtual times on a rerun.
local top, build, f1, f2 = arg[1], arg[2], arg[3], arg[4]
package.path = top .. "/lua/?.lua;" .. package.path
local json = require("luaflash.json")

local function load(p)
  local f = assert(io.open(p, "rb"))
  local r = assert(json.decode(f:read("a")))
  f:close()
  return r
end
local r1, r2 = load(f1), load(f2)

local failed, passed = 0, 0
local function check(ok, fmt, ...)
  local msg = string.format(fmt, ...)
  if ok then passed = passed + 1; print("ok   " .. msg)
  else failed = failed + 1; print("FAIL " .. msg) end
end

local P = {}
do
  local p = io.popen("'" .. build .. "/lf-bench-demo' --params")
  for line in p:lines() do
    local n, v = line:match("^(%S+)%s+(%S+)")
    if n then P[n] = tonumber(v) end
  end
  p:close()
end
local floor = (17 * P.nrf_erasepage_ns + 16640 * P.nrf_write_ns) / 1e9
print(string.format("floor %.6f s (17 x %.0f ns + 16640 x %.0f ns)", floor, P.nrf_erasepage_ns, P.nrf_write_ns))
check(math.abs(floor - r1.floor["nrf52840-65k"].floor_s) < 1e-9, "the report's floor %.6f s is the same",
  r1.floor["nrf52840-65k"].floor_s)

local A, B = {}, {}
for _, s in ipairs(r1.scenarios) do A[s.id] = s end
for _, s in ipairs(r2.scenarios) do B[s.id] = s end
local L, U, O = A["nrf52"], A["nrf52-unchanged"], A["openocd-nrf52"]
check(L and U and O, "all three scenarios ran")
if not (L and U and O) then os.exit(1) end
check(L.virtual_s <= 1.10 * floor, "nrf52 %.6f s within 1.10 x the floor (%.4f x)", L.virtual_s, L.virtual_s / floor)
check(L.process_virtual_s <= 1.10 * floor, "nrf52 whole process %.6f s within 1.10 x the floor (%.4f x)",
  L.process_virtual_s, L.process_virtual_s / floor)
check(L.virtual_s >= floor, "nrf52 %.6f s is not below the floor", L.virtual_s)
local want = O.process_virtual_s > 2.2 * floor and 2 or 1
check(O.process_virtual_s >= want * L.process_virtual_s,
  "OpenOCD %.6f s (%.2f x the floor) vs luaflash %.6f s: %.2f x, at least %d x", O.process_virtual_s,
  O.process_virtual_s / floor, L.process_virtual_s, O.process_virtual_s / L.process_virtual_s, want)
check(U.virtual_s < 0.10 * L.virtual_s, "unchanged re-flash %.6f s under 10 %% of %.6f s", U.virtual_s, L.virtual_s)
for _, id in ipairs({ "nrf52", "nrf52-unchanged", "openocd-nrf52" }) do
  check(B[id] and B[id].virtual_s == A[id].virtual_s, "%s: identical virtual time on the rerun (%.9f)", id,
    A[id].virtual_s)
end
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
