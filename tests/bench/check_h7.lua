-- Assertions of the H743 benchmark regression test (bench_test_h7.sh):
--   lua5.4 check_h7.lua TOP BUILD RESULTS1.json RESULTS2.json
-- Issue 14's targets on the NUCLEO-H743ZI. Every expected floor is computed
-- here from the bench's parameter table (lf-bench-demo --params, PSIZE x64,
-- typical times), not copied from a previous run.
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
local function by_id(r)
  local t = {}
  for _, s in ipairs(r.scenarios) do t[s.id] = s end
  return t
end
local A, B = by_id(r1), by_id(r2)

local P = {}
do
  local p = io.popen("'" .. build .. "/lf-bench-demo' --params")
  for line in p:lines() do
    local n, v = line:match("^(%S+)%s+(%S+)")
    if n then P[n] = tonumber(v) end
  end
  p:close()
end
local erase, prog, bank = P["h7_erase_ns[x64]"] / 1e9, P["h7_prog_ns[x64]"] / 1e9, P["h7_bank_erase_ns[x64]"] / 1e9
-- 66560 bytes: sector 0 of bank 1, 2080 flash words of 32 bytes
local floor65 = erase + 2080 * prog
-- 2 MiB: both banks at once; sector by sector or one chip erase of both
local per_bank = 1024 * 1024 // 32
local sector2m, chip2m = 8 * erase + per_bank * prog, bank + per_bank * prog
local in_turn = 2 * chip2m -- one controller doing both banks in turn (its best: a bank erase each)
print(string.format("floors by hand: 65 KB %.6f s; 2 MB sector %.6f s, chip %.6f s, banks in turn %.6f s",
  floor65, sector2m, chip2m, in_turn))

local full, unch, ocd = A["h743-full"], A["h743-unchanged"], A["h743-openocd"]
local m2, up2, m3, up3 = A["h743-2m"], A["h743-2m-upload"], A["h743-2m-v3"], A["h743-2m-v3-upload"]
check(full and unch and ocd and m2 and up2 and m3 and up3, "all seven scenarios ran")
if not (full and unch and ocd and m2 and up2 and m3 and up3) then os.exit(1) end

check(math.abs(full.floor_s - floor65) < 1e-9, "65 KB: plan floor_s %.6f s = hand-computed %.6f s",
  full.floor_s, floor65)
check(full.virtual_s >= floor65 and full.virtual_s <= 1.10 * floor65,
  "65 KB full program %.6f s within 1.10 x its floor (%.4f x)", full.virtual_s, full.virtual_s / floor65)
check(unch.plan.unchanged == 1 and unch.plan.erased == 0 and unch.virtual_s < 0.10 * full.virtual_s,
  "unchanged re-flash %.6f s under 10%% of the full program (%.2f%%)", unch.virtual_s,
  100 * unch.virtual_s / full.virtual_s)
local ratio = ocd.process_virtual_s / floor65
local want = ratio > 2.2 and 2.0 or 1.0
check(ocd.process_virtual_s >= want * full.process_virtual_s,
  "OpenOCD %.6f s (%.3f x floor) vs luaflash %.6f s (process): %.2f x faster, %s", ocd.process_virtual_s,
  ratio, full.process_virtual_s, ocd.process_virtual_s / full.process_virtual_s,
  ratio > 2.2 and "at least 2x needed" or "OpenOCD is within 2.2x of the floor: faster is needed")

-- 2 MB: within 1.10 x of the larger of the two-bank floor and the upload time
check(math.abs(m3.floor_s - chip2m) < 1e-9 and m3.plan.erase == "chip",
  "2 MB via the V3: one chip erase, plan floor %.6f s = both banks at once %.6f s", m3.floor_s, chip2m)
check(math.abs(m3.plan.serial_floor_s - in_turn) < 1e-9, "2 MB: plan's banks-in-turn floor %.6f s = %.6f s",
  m3.plan.serial_floor_s, in_turn)
for _, c in ipairs({ { m2, up2, "ST-LINK/V2-1 at 4 MHz" }, { m3, up3, "STLINK-V3 at 24 MHz" } }) do
  local s, u, what = c[1], c[2], c[3]
  local bound = math.max(s.floor_s, u.virtual_s)
  check(s.floor_s >= chip2m - 1e-9 and s.virtual_s <= 1.10 * bound,
    "2 MB via the %s: %.6f s within 1.10 x max(plan floor %.6f, upload %.6f) (%.4f x)", what, s.virtual_s,
    s.floor_s, u.virtual_s, s.virtual_s / bound)
end
check(up3.virtual_s < m3.floor_s, "the V3 at 24 MHz is fast enough for the flash to be the bound (upload %.6f s)",
  up3.virtual_s)
check(m3.virtual_s <= 0.60 * in_turn, "2 MB via the V3: %.6f s is %.3f x of one controller doing both banks in turn",
  m3.virtual_s, m3.virtual_s / in_turn)

for id, s in pairs(A) do
  local t = B[id]
  check(t ~= nil and s.virtual_s == t.virtual_s and s.process_virtual_s == t.process_virtual_s,
    "%s: virtual time identical on rerun (%.9f)", id, s.virtual_s)
end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
