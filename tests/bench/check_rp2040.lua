-- Assertions of the Raspberry Pi Pico benchmark regression test
-- (bench_test_rp2040.sh):
--   lua5.4 check_rp2040.lua TOP BUILD RESULTS1.json RESULTS2.json
-- Issue 15's targets for the RP2040. Every expected floor is computed here
-- from the bench's parameter table (lf-bench-demo --params, the W25Q16JV's
-- typical rows rp_w25_*), not copied from a previous run.
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
local be64, be32, se, pp = P.rp_w25_be64_ns / 1e9, P.rp_w25_be32_ns / 1e9, P.rp_w25_se_ns / 1e9, P.rp_w25_pp_ns / 1e9
-- 1 500 000 bytes: 367 sectors = 22 blocks of 64 KiB, one of 32 KiB, 7
-- sectors; 5860 pages. 66 560 bytes: one 64 KiB block, one sector; 260 pages.
local floor1m5 = 22 * be64 + be32 + 7 * se + 5860 * pp
local floor65 = be64 + se + 260 * pp
print(string.format("floors by hand: 1.5 MB %.6f s, 65 KB %.6f s", floor1m5, floor65))

local m, unch, up, ocd = A["pico-1m5"], A["pico-1m5-unchanged"], A["pico-1m5-upload"], A["openocd-pico-1m5"]
local k, ocdk = A["pico-65k"], A["openocd-pico-65k"]
check(m and unch and up and ocd and k and ocdk, "all six scenarios ran")
if not (m and unch and up and ocd and k and ocdk) then os.exit(1) end

check(math.abs(m.floor_s - floor1m5) < 1e-9 and m.plan.erase == "sector",
  "1.5 MB: plan floor_s %.6f s = hand-computed %.6f s (64/32 KiB blocks, 4 KiB sectors)", m.floor_s, floor1m5)
local bound = math.max(floor1m5, up.virtual_s)
check(m.process_virtual_s >= floor1m5 and m.process_virtual_s <= 1.10 * bound,
  "1.5 MB: %.6f s (process) within 1.10 x max(QSPI floor %.6f, upload %.6f) (%.4f x)", m.process_virtual_s,
  floor1m5, up.virtual_s, m.process_virtual_s / bound)
check(unch.plan.unchanged == 367 and unch.plan.erased == 0 and unch.virtual_s < 0.10 * m.virtual_s,
  "1.5 MB unchanged re-flash %.6f s under 10%% of the full program (%.2f%%)", unch.virtual_s,
  100 * unch.virtual_s / m.virtual_s)
check(ocd.process_virtual_s > m.process_virtual_s,
  "OpenOCD 1.5 MB %.6f s vs luaflash %.6f s: %.2f x", ocd.process_virtual_s, m.process_virtual_s,
  ocd.process_virtual_s / m.process_virtual_s)
check(math.abs(k.floor_s - floor65) < 1e-9 and k.process_virtual_s <= 1.10 * floor65,
  "65 KB: %.6f s (process) within 1.10 x its floor %.6f s (%.4f x)", k.process_virtual_s, floor65,
  k.process_virtual_s / floor65)
check(ocdk.process_virtual_s > k.process_virtual_s, "OpenOCD 65 KB %.6f s vs luaflash %.6f s",
  ocdk.process_virtual_s, k.process_virtual_s)

-- erase avoidance (issue 17): the same 1.5 MB on the blank flash erases
-- nothing; bound = max(page programming, upload)
local bl = A["blank-pico-1m5"]
check(bl ~= nil, "blank-pico-1m5 ran")
if bl then
  local prog = 5860 * pp
  local bb = math.max(prog, up.virtual_s)
  check(bl.plan.erased == 0 and (bl.plan.blank or 0) == 367,
    "blank 1.5 MB: no sector or block erased, 367 read blank (plan: %d erased, %d blank)", bl.plan.erased,
    bl.plan.blank or -1)
  check(bl.process_virtual_s >= bb and bl.process_virtual_s <= 1.10 * bb,
    "blank 1.5 MB: %.6f s (process) within 1.10 x max(page programming %.6f, upload %.6f) (%.4f x); erasing: %.6f s",
    bl.process_virtual_s, prog, up.virtual_s, bl.process_virtual_s / bb, m.process_virtual_s)
end

-- issue 17 (b): the pseudo-random 65 KB on the blank flash within 1.10 x
-- the larger of its page programming and its upload at the probe's rate;
-- (c): the realistic 977 KB image (scripts/realistic-fw/xl.bin, compressed
-- upload) within 1.10 x its page programming
local b65, up65, zx = A["blank-pico-65k"], A["pico-65k-upload"], A["z-xl-pico"]
check(b65 and up65 and zx, "blank-pico-65k, pico-65k-upload and z-xl-pico ran")
if b65 and up65 then
  local bb = math.max(260 * pp, up65.virtual_s)
  check(b65.plan.erased == 0 and b65.virtual_s <= 1.10 * bb,
    "(b) blank 65 KB: %.6f s within 1.10 x max(page programming %.6f, upload %.6f) (%.4f x)", b65.virtual_s,
    260 * pp, up65.virtual_s, b65.virtual_s / bb)
end
if zx then
  local f = assert(io.open(top .. "/scripts/realistic-fw/xl.bin", "rb"))
  local pages = math.ceil(f:seek("end") / 256)
  f:close()
  local prog = pages * pp
  check(zx.compress and zx.compress.used and zx.plan.erased == 0 and zx.virtual_s <= 1.10 * prog,
    "(c) realistic 977 KB blank, compressed: %.6f s within 1.10 x its page programming %.6f s (%d pages; %.4f x)",
    zx.virtual_s, prog, pages, zx.virtual_s / prog)
end

for id, s in pairs(A) do
  local t = B[id]
  check(t ~= nil and s.virtual_s == t.virtual_s and s.process_virtual_s == t.process_virtual_s,
    "%s: virtual time identical on rerun (%.9f)", id, s.virtual_s)
end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
