-- Assertions of tests/bench/flm_test.sh: lua5.4 check_flm.lua TOP BUILD RESULTS.json
-- The F767 floor is computed here from the bench's parameter table.
local top, build, f1 = arg[1], arg[2], arg[3]
package.path = top .. "/lua/?.lua;" .. package.path
local json = require("luaflash.json")
local f = assert(io.open(f1, "rb"))
local res = assert(json.decode(f:read("a")))
f:close()
local S = {}
for _, s in ipairs(res.scenarios) do S[s.id] = s end

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
-- 66560 bytes = sectors 0-2 of the F767 (32 KiB each), 16640 words at x32
local floor = (3 * P["flash_erase32k_ns[x32]"] + 16640 * P.flash_prog_ns_typ) / 1e9
local own, algo, blank, py = S["flm-f767"], S["flm-pyocd-f429"], S["blank-flm-pyocd-f429"], S["pyocd-f429"]
check(own and algo and blank and py, "the four scenarios ran")
if not (own and algo and blank and py) then os.exit(1) end
check(own.plan.erased == 3, "own FLM: 3 sectors erased (erase_avoid=false: as over other firmware)")
check(own.virtual_s <= 1.15 * floor, "own FLM streamed %.6f s within 1.15 x the floor %.6f s (%.4f x)",
  own.virtual_s, floor, own.virtual_s / floor)
check((blank.plan.blank or 0) > 0 and blank.plan.erased == 0,
  "pyOCD's algorithm on a blank board: no sector erased (%d read blank)", blank.plan.blank or 0)
check(py.virtual_s >= 2 * blank.virtual_s, "pyOCD %.6f s at least 2 x luaflash running its algorithm %.6f s (%.2f x)",
  py.virtual_s, blank.virtual_s, py.virtual_s / blank.virtual_s)
check(algo.virtual_s < py.virtual_s, "over other firmware (every sector erased at the algorithm's x8) %.6f s, " ..
  "still faster than pyOCD on a blank board %.6f s (%.2f x)", algo.virtual_s, py.virtual_s, py.virtual_s / algo.virtual_s)
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
