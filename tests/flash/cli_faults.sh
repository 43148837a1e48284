#!/usr/bin/env bash
# The command line under flash failures (issue 5): `luaflash --bench ...
# project.lua` with injected faults and a write-protected sector must exit 1
# with a message naming what and where, never print "verified", and a rerun
# with the same board state (--bench-state) must repair the flash.
# usage: cli_faults.sh LUAFLASH
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
echo "[==========] flash_cli_faults"

# 70 KiB image over sectors 0-2, and a project for it
# (a fixed pseudo-random pattern: the same bytes on every run)
lua5.4 -e 'local x, t = 42, {}
for i = 1, 71680 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))' > "$dir/app.bin"
# (erase_avoid off: the faults are injected into the erases a fresh board
# would otherwise skip; cli_erase_avoid.sh tests the avoidance)
printf 'board = "nucleo_f767zi"\nimage = "app.bin"\nerase_avoid = false\n' > "$dir/p.lua"

# run NAME STATUS STATE FAULTS [--out RE | --no-out RE]...
run() {
  local name=$1 want=$2 state=$3 faults=$4; shift 4
  local args=(--bench nucleo-f767zi --bench-state "$dir/$state")
  [ -n "$faults" ] && args+=(--bench-faults "$faults")
  (cd "$dir" && "$bin" "${args[@]}" p.lua) >"$dir/out" 2>&1
  local st=$? ok=1 why=""
  [ "$st" -eq "$want" ] || { ok=0; why="exit $st, want $want"; }
  while [ $# -gt 0 ]; do
    case $1 in
      --out) grep -qE -- "$2" "$dir/out" || { ok=0; why="$why; output lacks /$2/"; } ;;
      --no-out) ! grep -qiE -- "$2" "$dir/out" || { ok=0; why="$why; output has /$2/"; } ;;
    esac
    shift 2
  done
  if [ $ok = 1 ]; then
    pass=$((pass+1)); echo "[       OK ] $name"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $name: $why"; sed 's/^/    /' "$dir/out" | head -20
  fi
}

# flash contents equal to the image (peeked through a bench script)
cat > "$dir/peek.lua" <<'LUA'
local lf = require("luaflash")
local b = lf.bench { "nucleo-f767zi", state = arg[1] }
local f = assert(io.open(arg[2], "rb")); local want = f:read("a"); f:close()
local got = b:peek(0x08000000, #want)
b:close()
if got ~= want then error("flash differs from the image", 0) end
print("flash equals the image")
LUA
same() {
  local name=$1 state=$2
  if (cd "$dir" && "$bin" peek.lua "$dir/$state" "$dir/app.bin") >"$dir/out" 2>&1; then
    pass=$((pass+1)); echo "[       OK ] $name"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $name"; sed 's/^/    /' "$dir/out" | head -5
  fi
}

run "flash error on an erase: exit 1, sector and flag named" 1 s1 "flash_error@2:0x80" \
  --out "erase sector 1 \(0x08008000, 32 KiB\) failed: FLASH_SR 0x00000080 \(ERSERR\)" --no-out "verified"
run "rerun with the same state repairs" 0 s1 "" --out "3 sectors erased|3 programmed" --out "verified"
same "flash equals the image after the rerun" s1

run "USB timeout mid-stream: exit 1, where" 1 s2 "usb_timeout@1500" \
  --out "flash job stopped \(target last seen at (erase sector|program 0x)" --out "timeout" --no-out "verified"
run "rerun after the USB timeout" 0 s2 "" --out "verified"
same "flash equals the image after the USB-timeout rerun" s2

run "power loss mid-program: exit 1" 1 s3 "power_loss@700ms" --out "last seen at program 0x080" --no-out "verified"
run "rerun after power loss repairs" 0 s3 "" --out "verified"
same "flash equals the image after the power-loss rerun" s3

# fail fast (issue 19): after a link fault the cleanup (stop the loader,
# reset, disconnect) takes at most 0.5 s modeled and a bounded number of USB
# transfers (it took 33 s and 274,000 transfers when the loader's EXIT was
# queued behind a program command starving for data)
failfast() { # NAME STATE FAULTS
  (cd "$dir" && "$bin" --bench nucleo-f767zi --bench-state "$dir/$2" --bench-faults "$3" p.lua --json) \
    >"$dir/ff.json" 2>/dev/null
  if lua5.4 "$here/cli/failfast.lua" "$dir/ff.json" 0.5 500 >"$dir/out" 2>&1; then
    pass=$((pass+1)); echo "[       OK ] $1: $(cat "$dir/out")"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $1"; sed 's/^/    /' "$dir/out"
  fi
}
failfast "fail fast: USB timeout while the first sector erases" s5 "usb_timeout@150"
failfast "fail fast: USB timeout mid-program" s6 "usb_timeout@1500"
failfast "fail fast: USB stall mid-program" s7 "usb_stall@1500"
failfast "fail fast: power loss mid-program" s8 "power_loss@700ms"

(cd "$dir" && "$bin" --bench nucleo-f767zi --bench-state "$dir/s4" "$here/cli/set_wrp.lua" 1) >"$dir/out" 2>&1 \
  && { pass=$((pass+1)); echo "[       OK ] write-protect sector 1 through OPTCR"; } \
  || { fail=$((fail+1)); echo "[  FAILED  ] write-protect sector 1"; cat "$dir/out"; }
run "write-protected sector: exit 1, sector and WRPERR named" 1 s4 "" \
  --out "erase sector 1 \(0x08008000, 32 KiB\) failed: FLASH_SR 0x00000010 \(WRPERR\)" --no-out "verified"

echo "[==========] flash_cli_faults: $((pass+fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
