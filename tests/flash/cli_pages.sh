#!/usr/bin/env bash
# The fault cases of cli_faults.sh and cli_rdp.sh on the page-flash
# families: the STM32F1 (NUCLEO-F103RB, 1 KiB pages) and the STM32L4
# (NUCLEO-L476RG, 2 KiB pages): an injected flash error on a page erase and
# on a program unit, a USB timeout mid-stream, power loss mid-job, a
# write-protected page and read protection. Each failing run must exit 1
# with a message naming what and where, never print "verified"; a rerun with
# the same board state (--bench-state) must repair the flash; a
# read-protected chip is refused at connect with nothing written, and the
# ways back (unprotect.lua with consent, production with rdp = 0 +
# allow_mass_erase) work.
# usage: cli_pages.sh LUAFLASH nucleo-f103rb|nucleo-l476rg
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
bench=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
echo "[==========] flash_cli_pages $bench"
# What differs per board: the flash operation numbers (bench counters: the
# host-started erase of page 0 is #1), page size, the registers and flags.
case $bench in
  nucleo-f103rb)
    board=nucleo_f103rb pages=70
    # 2-513: page 0's 512 half-words, 514: the erase of page 1
    err_erase="flash_error@514:0x10"
    msg_erase="erase sector 1 \(0x08000400, 1 KiB\) failed: FLASH_SR 0x00000010 \(WRPRTERR\)"
    err_prog="flash_error@600:0x04" msg_prog="FLASH_SR 0x000000[02]4 \(PGERR\)"
    msg_wp_set="FLASH_OBR 0x03fffffc / 0xfffffffb"
    msg_wp="erase sector 8 \(0x08002000, 1 KiB\) failed: FLASH_SR 0x00000010 \(WRPRTERR\)"
    msg_rdp_set="FLASH_OBR 0x03fffffe"
    msg_rdp="RDP level 1 \(FLASH_OBR 0x03fffffe, RDPRT set\); nothing was written"
    msg_noconsent="removing read protection erases the option bytes, which mass-erases the whole flash"
    msg_unprotect="now at RDP level 0 \(FLASH_OBR 0x03fffffc\); the flash was mass-erased in 0\.0[45][0-9] s" ;;
  nucleo-l476rg)
    board=nucleo_l476rg pages=35
    # the image fits the loader's ring: all 35 erases first (#1-35), then
    # the double words
    err_erase="flash_error@2:0x10"
    msg_erase="erase sector 1 \(0x08000800, 2 KiB\) failed: FLASH_SR 0x00000010 \(WRPERR\)"
    err_prog="flash_error@100:0x08" msg_prog="FLASH_SR 0x00000008 \(PROGERR\)"
    msg_wp_set="FLASH_OPTR 0xffeff8aa / 0xff08ff08"
    msg_wp="erase sector 8 \(0x08004000, 2 KiB\) failed: FLASH_SR 0x00000010 \(WRPERR\)"
    msg_rdp_set="FLASH_OPTR 0xffeff8bb"
    msg_rdp="RDP level 1 \(FLASH_OPTR 0xffeff8bb, RDP byte 0xBB\); nothing was written"
    msg_noconsent="RDP level 1 -> 0 mass-erases both banks and SRAM2"
    msg_unprotect="now at RDP level 0 \(FLASH_OPTR 0xffeff8aa\); the flash was mass-erased in 0\.0[0-9]+ s" ;;
  *) echo "cli_pages.sh: unknown board $bench" >&2; exit 2 ;;
esac

# 70 KiB image over pages 0-69 (a fixed pseudo-random pattern)
lua5.4 -e 'local x, t = 42, {}
for i = 1, 71680 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))' > "$dir/app.bin"
# (erase_avoid off: the faults are injected into the erases a fresh board
# would otherwise skip; cli_erase_avoid.sh tests the avoidance)
printf 'board = "%s"\nimage = "app.bin"\nerase_avoid = false\n' "$board" > "$dir/p.lua"
cat > "$dir/prod_rdp0.lua" <<LUA
require("luaflash.production").run { board = "$board", image = "app.bin",
  option_bytes = { rdp = 0 }, allow_mass_erase = true }
LUA

# run NAME STATUS STATE FAULTS ARGS... [-- --out RE | --no-out RE ...]
run() {
  local name=$1 want=$2 state=$3 faults=$4; shift 4
  local args=(--bench "$bench" --bench-state "$dir/$state")
  [ -n "$faults" ] && args+=(--bench-faults "$faults")
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  (cd "$dir" && "$bin" "${args[@]}") >"$dir/out" 2>&1
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
cat > "$dir/peek.lua" <<LUA
local lf = require("luaflash")
local b = lf.bench { "$bench", state = arg[1] }
local f = assert(io.open(arg[2], "rb")); local want = f:read("a"); f:close()
local got = b:peek(0x08000000, #want)
b:close()
if got ~= want then error("flash differs from the image", 0) end
print("flash equals the image")
LUA
same() {
  if (cd "$dir" && "$bin" peek.lua "$dir/$2" "$dir/app.bin") >"$dir/out" 2>&1; then
    pass=$((pass+1)); echo "[       OK ] $1"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $1"; sed 's/^/    /' "$dir/out" | head -5
  fi
}
unchanged() {
  if cmp -s "$dir/$2" "$dir/$2.before"; then pass=$((pass+1)); echo "[       OK ] $1"
  else fail=$((fail+1)); echo "[  FAILED  ] $1: $2 changed"; fi
}

run "flash error on a page erase: exit 1, page and flag named" 1 s1 "$err_erase" p.lua \
  -- --out "$msg_erase" --no-out "verified"
run "flash error on a program unit: the address named" 1 s1 "$err_prog" p.lua \
  -- --out "program 0x080[0-9a-f]{5} \(sector [0-9]+\) failed: $msg_prog" --no-out "verified"
run "rerun with the same state repairs" 0 s1 "" p.lua -- --out "[0-9]+ programmed, [0-9]+ unchanged" --out "verified"
same "flash equals the image after the rerun" s1

run "USB timeout mid-stream: exit 1, where" 1 s2 "usb_timeout@1500" p.lua \
  -- --out "flash job stopped \(target last seen at (erase sector|program 0x)" --out "timeout" --no-out "verified"
run "rerun after the USB timeout" 0 s2 "" p.lua -- --out "verified"
same "flash equals the image after the USB-timeout rerun" s2

run "power loss mid-job: exit 1" 1 s3 "power_loss@700ms" p.lua \
  -- --out "last seen at (program|erase sector)" --no-out "verified"
run "rerun after power loss repairs" 0 s3 "" p.lua -- --out "verified"
same "flash equals the image after the power-loss rerun" s3

run "write-protect page 8 (option bytes)" 0 s4 "" "$here/cli/options.lua" wp=8 -- --out "$msg_wp_set"
run "write-protected page: exit 1, page and flag named" 1 s4 "" p.lua -- --out "$msg_wp" --no-out "verified"

# read protection
run "a fresh board flashes" 0 s5 "" p.lua -- --out "verified"
run "read protection set (option bytes)" 0 s5 "" "$here/cli/options.lua" rdp=1 -- --out "$msg_rdp_set"
cp "$dir/s5" "$dir/s5.before"
run "project on a read-protected chip: exit 1 at connect, says why and how" 1 s5 "" p.lua \
  -- --out "target is read-protected: $msg_rdp" \
  --out "mass-erases" --out "unprotect.lua allow_mass_erase=true" \
  --out "connect .* FAILED" --no-out "verified|traceback"
unchanged "nothing written (flash, options)" s5
run "unprotect without consent: exit 2, nothing written" 2 s5 "" "$top/scripts/examples/unprotect.lua" \
  -- --out "$msg_noconsent" --out "allow_mass_erase=true"
unchanged "unprotect refused: nothing written" s5
cp "$dir/s5.before" "$dir/s6"
run "unprotect with consent: level 0, mass-erased" 0 s5 "" \
  "$top/scripts/examples/unprotect.lua" allow_mass_erase=true -- --out "$msg_unprotect"
run "then the project flashes again" 0 s5 "" p.lua -- --out "$pages sectors erased, $pages programmed.*verified"
run "production with rdp = 0 + allow_mass_erase on a protected chip: regresses, flashes" 0 s6 "" \
  prod_rdp0.lua -- --out "passed"
run "then the project finds the image in place" 0 s6 "" p.lua -- --out "0 programmed, $pages unchanged"

echo "[==========] flash_cli_pages $bench: $((pass+fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
