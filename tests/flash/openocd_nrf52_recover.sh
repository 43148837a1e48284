#!/usr/bin/env bash
# OpenOCD 0.12's view of the nRF52840 APPROTECT model through the stand-in
# (issue 15; nrf52-rp2040-targets.md 5.4): luaflash flashes a 65 KB image and
# sets UICR.APPROTECT, then OpenOCD (interface/cmsis-dap.cfg + target/nrf52.cfg)
# must fail its examine, print its lock warning (nrf52_check_ap_lock reads the
# CTRL-AP) and, with `nrf52_recover`, erase and unlock the chip: the flash and
# the UICR read erased afterwards and luaflash connects again.
# usage: openocd_nrf52_recover.sh LUAFLASH BUILD_DIR
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v openocd >/dev/null || { echo "openocd not installed"; exit 1; }
fail() { echo "FAILED: $*"; sed 's/^/    /' "$dir/out" | tail -20; exit 1; }
lua5.4 -e 'local t = {} for i = 1, 66560 do t[i] = string.char((i * 7 + (i >> 8)) & 255) end io.write(table.concat(t))' > "$dir/app.bin"
"$bin" --bench nrf52840-dk --bench-state "$dir/s" flash "$dir/app.bin" --board nrf52840_dk >"$dir/out" 2>&1 ||
  fail "luaflash flash"
"$bin" --bench nrf52840-dk --bench-state "$dir/s" "$top/scripts/examples/nrf52_uicr.lua" APPROTECT=0xFFFFFF00 \
  allow_protect=true >"$dir/out" 2>&1 || fail "set APPROTECT"
# the stand-in first (a sanitizer build: its runtime before it), as scripts/bench-peer does
standin=$build/standin/libusb-1.0.so.0
preload=$standin
if asan=$(ldd "$standin" 2>/dev/null | awk '/libasan/ {print $3}') && [ -n "$asan" ]; then
  preload="$asan $standin"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
fi
LF_BENCH_BOARDS=nrf52840-dk@daplink LF_BENCH_STATE="$dir/s" LD_PRELOAD="$preload" \
  LD_LIBRARY_PATH="$build/standin" openocd -f interface/cmsis-dap.cfg -c "cmsis_dap_backend usb_bulk" \
  -c "transport select swd" -f target/nrf52.cfg -c init -c nrf52_recover -c exit >"$dir/out" 2>&1 || fail "openocd"
grep -q "AP lock engaged" "$dir/out" || fail "OpenOCD did not see the lock"
grep -q "successfully erased and unlocked" "$dir/out" || fail "nrf52_recover did not finish"
cat > "$dir/peek.lua" <<LUA
local lf = require("luaflash")
local b = lf.bench { "nrf52840-dk", state = "$dir/s" }
assert(b:peek(0, 66560) == string.rep("\255", 66560), "flash not erased")
assert(b:peek(0x10001000, 4096) == string.rep("\255", 4096), "UICR not erased")
b:close()
print("erased")
LUA
"$bin" "$dir/peek.lua" >"$dir/out" 2>&1 || fail "flash and UICR erased"
"$bin" --bench nrf52840-dk --bench-state "$dir/s" flash "$dir/app.bin" --board nrf52840_dk >"$dir/out" 2>&1 ||
  fail "luaflash after the recover"
grep -q verified "$dir/out" || fail "luaflash after the recover: not verified"
echo "PASSED: OpenOCD saw the lock, nrf52_recover erased and unlocked, luaflash flashes again"
