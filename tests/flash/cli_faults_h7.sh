#!/usr/bin/env bash
# The command line under flash failures (cli_faults.sh) and read protection
# (cli_rdp.sh) on the NUCLEO-H743ZI:
# an image across the bank boundary (64 KiB in sector 7 of bank 1, 64 KiB
# in sector 8 of bank 2: both controllers at once), injected faults and a
# write-protected sector of bank 2. Each failure must exit 1 with a message
# naming what and where, never print "verified", and a rerun with the same
# board state (--bench-state) must repair the flash. Then RDP level 1 set by
# a production run, a project refused at connect with nothing written, the
# ways back (stm32-f1-l4-h7-targets.md 5.4).
# usage: cli_faults_h7.sh LUAFLASH
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
echo "[==========] flash_cli_faults_h7"

# 128 KiB at 0x080F0000 (a fixed pseudo-random pattern), and a project for it
lua5.4 -e 'local x, t = 43, {}
for i = 1, 131072 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))' > "$dir/app.bin"
printf 'board = "nucleo_h743zi"\nimage = "app.bin"\nbase = 0x080F0000\n' > "$dir/p.lua"

ok() { pass=$((pass+1)); echo "[       OK ] $1"; }
bad() { fail=$((fail+1)); echo "[  FAILED  ] $1"; sed 's/^/    /' "$dir/out" | head -20; }

# go NAME STATUS STATE FILE [ARGS...] [-- --out RE | --no-out RE ...]: luaflash
# ARGS FILE on the virtual board with the state file STATE; exit status and
# output checked
go() {
  local name=$1 want=$2 state=$3 file=$4 why=""; shift 4
  local args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  (cd "$dir" && "$bin" --bench nucleo-h743zi --bench-state "$dir/$state" "${args[@]}" "$file") >"$dir/out" 2>&1
  local st=$?
  [ "$st" -eq "$want" ] || why="exit $st, want $want"
  while [ $# -gt 0 ]; do
    case $1 in
      --out) grep -qE -- "$2" "$dir/out" || why="$why; output lacks /$2/" ;;
      --no-out) ! grep -qiE -- "$2" "$dir/out" || why="$why; output has /$2/" ;;
    esac
    shift 2
  done
  [ -z "$why" ] && ok "$name" || bad "$name: $why"
}
# run NAME STATUS STATE FAULTS [--out RE | --no-out RE]...: the project p.lua
run() {
  local name=$1 want=$2 state=$3 faults=$4; shift 4
  go "$name" "$want" "$state" p.lua ${faults:+--bench-faults "$faults"} -- "$@"
}

# flash contents equal to the image (peeked through a bench script)
cat > "$dir/peek.lua" <<'LUA'
local lf = require("luaflash")
local b = lf.bench { "nucleo-h743zi", state = arg[1] }
local f = assert(io.open(arg[2], "rb")); local want = f:read("a"); f:close()
local got = b:peek(0x080F0000, #want)
b:close()
if got ~= want then error("flash differs from the image", 0) end
print("flash equals the image")
LUA
same() {
  (cd "$dir" && "$bin" peek.lua "$dir/$2" "$dir/app.bin") >"$dir/out" 2>&1 && ok "$1" || bad "$1"
}

# operation 1 is sector 7's erase (started through the debug port), 2 sector 8's
run "flash error on the erase of bank 2: exit 1, sector and flag named" 1 s1 "flash_error@2:0x20000" \
  --out "erase sector 8 \(0x08100000, 128 KiB\) failed: FLASH_SR 0x00020000 \(WRPERR\)" --no-out "verified"
run "rerun with the same state repairs" 0 s1 "" --out "2 sectors erased|2 programmed" --out "verified"
same "flash equals the image after the rerun" s1

# then the pairs alternate: bank 1 word 0, bank 2 word 0, ...: operation 100
# is bank 2's word 48 (EOP: its previous word had ended)
run "flash error on a word of bank 2 inside a pair: exit 1, address and flag named" 1 s5 \
  "flash_error@100:0x40000" \
  --out "program 0x08100600 \(sector 8\) failed: FLASH_SR 0x00050000 \(EOP PGSERR\)" --no-out "verified"
run "rerun after the program error" 0 s5 "" --out "verified"
same "flash equals the image after the program-error rerun" s5

run "USB timeout mid-stream: exit 1, where" 1 s2 "usb_timeout@1500" \
  --out "flash job stopped \(target last seen at (erase sector|program 0x|sync)" --out "timeout" --no-out "verified"
run "rerun after the USB timeout" 0 s2 "" --out "verified"
same "flash equals the image after the USB-timeout rerun" s2

run "power loss mid-program: exit 1" 1 s3 "power_loss@1100ms" --out "last seen at program 0x08" --no-out "verified"
run "rerun after power loss repairs" 0 s3 "" --out "verified"
same "flash equals the image after the power-loss rerun" s3

(cd "$dir" && "$bin" --bench nucleo-h743zi --bench-state "$dir/s4" "$here/cli/set_wrp_h7.lua" 8) >"$dir/out" 2>&1 \
  && ok "write-protect sector 8 (bank 2) through WPSN_PRG2" || bad "write-protect sector 8"
run "write-protected sector of bank 2: exit 1, sector and WRPERR named" 1 s4 "" \
  --out "erase sector 8 \(0x08100000, 128 KiB\) failed: FLASH_SR 0x00020000 \(WRPERR\)" --no-out "verified"

# read protection: level 1 through production; a project then stops at connect
cat > "$dir/prod1.lua" <<'LUA'
require("luaflash.production").run { board = "nucleo_h743zi", image = "app.bin", base = 0x080F0000,
  option_bytes = { rdp = 1 } }
LUA
cat > "$dir/prod0.lua" <<'LUA'
require("luaflash.production").run { board = "nucleo_h743zi", image = "app.bin", base = 0x080F0000,
  option_bytes = { rdp = 0 }, allow_mass_erase = true }
LUA
# a LUA file (not p.lua) on the state s6
runf() {
  local name=$1 want=$2 file=$3; shift 3
  go "$name" "$want" s6 "$file" "$@"
}
runf "production sets RDP level 1 (flash reads blocked after it)" 0 prod1.lua -- --out "passed"
cp "$dir/s6" "$dir/s6.before"
runf "a project on the RDP 1 chip: exit 1 at connect, says how to regress" 1 p.lua -- \
  --out "read-protected: RDP level 1 \(FLASH_OPTSR_CUR 0x[0-9a-f]+, RDP byte 0xBB\)" \
  --out "erases both flash banks" --out "unprotect.lua allow_mass_erase=true" --no-out "verified"
cmp -s "$dir/s6" "$dir/s6.before" && ok "nothing was written to the protected chip" || bad "state changed"
runf "unprotect without consent: refused, nothing written" 2 "$here/../../scripts/examples/unprotect.lua" -- \
  --out "erases both flash banks .*allow_mass_erase"
cmp -s "$dir/s6" "$dir/s6.before" && ok "nothing was written without consent" || bad "state changed"
runf "production with rdp = 0 and allow_mass_erase regresses and flashes" 0 prod0.lua -- --out "passed"
run "the project runs again on the regressed chip (unchanged: smart flash)" 0 s6 "" --out "verified" \
  --out "2 unchanged"

echo "[==========] flash_cli_faults_h7: $((pass+fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
