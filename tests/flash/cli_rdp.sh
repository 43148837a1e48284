#!/usr/bin/env bash
# Read protection on the command line: a project run on a chip at RDP level 1
# (or 2) must fail at connect, exit 1, say the chip is read-protected, that
# flashing needs level 0 and that regressing mass-erases the chip (and how),
# and write nothing (the bench state file, i.e. flash, OTP and option bytes,
# stays byte for byte the same). Then the ways back: the unprotect example
# (refused without consent) and a production script with option_bytes
# rdp = 0 + allow_mass_erase.   usage: cli_rdp.sh LUAFLASH
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
echo "[==========] flash_cli_rdp"

# (a fixed pseudo-random pattern: the same bytes on every run)
lua5.4 -e 'local x, t = 42, {}
for i = 1, 71680 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))' > "$dir/app.bin"
printf 'board = "nucleo_f767zi"\nimage = "app.bin"\n' > "$dir/p.lua"
printf 'board = "nucleo_f429zi"\nimage = "app.bin"\n' > "$dir/p4.lua"
cat > "$dir/prod_rdp0.lua" <<'LUA'
require("luaflash.production").run { board = "nucleo_f767zi", image = "app.bin",
  option_bytes = { rdp = 0 }, allow_mass_erase = true }
LUA
cat > "$dir/prod_rdp1.lua" <<'LUA'
require("luaflash.production").run { board = "nucleo_f767zi", image = "app.bin",
  option_bytes = { rdp = 1 } }
LUA

# run NAME STATUS BOARD STATE ARGS... [-- --out RE | --no-out RE ...]
run() {
  local name=$1 want=$2 board=$3 state=$4; shift 4
  local args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  (cd "$dir" && "$bin" --bench "$board" --bench-state "$dir/$state" "${args[@]}") >"$dir/out" 2>&1
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
# unchanged NAME STATE: the state file equals its copy STATE.before
unchanged() {
  if cmp -s "$dir/$2" "$dir/$2.before"; then pass=$((pass+1)); echo "[       OK ] $1"
  else fail=$((fail+1)); echo "[  FAILED  ] $1: $2 changed"; fi
}

msg1='target is read-protected: RDP level 1 \(FLASH_OPTCR 0xffff55fd, RDP byte 0x55\); nothing was written'
run "a fresh board flashes" 0 nucleo-f767zi s1 p.lua -- --out "verified"
run "RDP level 1 set (raw option-byte sequence)" 0 nucleo-f767zi s1 "$here/cli/set_rdp.lua" 0x55 \
  -- --out "OPTCR 0xffff55fc"
cp "$dir/s1" "$dir/s1.before"
run "project on an RDP 1 chip: exit 1 at connect, says why and how" 1 nucleo-f767zi s1 p.lua \
  -- --out "$msg1" --out "flashing needs RDP level 0" --out "mass-erases the whole chip" \
  --out "unprotect.lua allow_mass_erase=true" --out "option_bytes = \{ rdp = 0 \} and allow_mass_erase = true" \
  --out "connect .* FAILED" --no-out "verified|erase .*ms|program .*ms|traceback"
unchanged "nothing written (flash, OTP, options)" s1
run "luaflash flash on an RDP 1 chip: the same" 1 nucleo-f767zi s1 flash app.bin --board nucleo_f767zi \
  -- --out "$msg1" --no-out "verified"
run "--json: the error in the result" 1 nucleo-f767zi s1 p.lua --json \
  -- --out '"error":"[^"]*read-protected: RDP level 1'
run "production re-flash keeping RDP 1: refused at connect" 1 nucleo-f767zi s1 prod_rdp1.lua \
  -- --out "read-protected: RDP level 1" --no-out "passed"
unchanged "nothing written by the refused runs" s1
run "unprotect without consent: exit 2, nothing written" 2 nucleo-f767zi s1 \
  "$top/scripts/examples/unprotect.lua" -- --out "RDP level 1 -> 0 mass-erases the whole flash" \
  --out "allow_mass_erase=true"
unchanged "unprotect refused: nothing written" s1
cp "$dir/s1.before" "$dir/s2"
run "unprotect with consent: level 0, mass-erased (x8: 16 s + 50 ms)" 0 nucleo-f767zi s1 \
  "$top/scripts/examples/unprotect.lua" allow_mass_erase=true \
  -- --out "now at RDP level 0 \(FLASH_OPTCR 0xffffaafd\); the flash was mass-erased in 16\.05[0-9] s"
run "then the project flashes again (the mass erase left it blank: no erase)" 0 nucleo-f767zi s1 p.lua -- --out "0 sectors erased, 3 programmed \(3 read blank: not erased\).*verified"
run "production with rdp = 0 + allow_mass_erase on an RDP 1 chip: regresses, flashes" 0 nucleo-f767zi s2 \
  prod_rdp0.lua -- --out "passed"
run "then the project finds the image in place" 0 nucleo-f767zi s2 p.lua -- --out "0 programmed, 3 unchanged"

run "level 2 set" 0 nucleo-f767zi s3 "$here/cli/set_rdp.lua" 0xCC
cp "$dir/s3" "$dir/s3.before"
run "project on an RDP 2 chip: exit 1, permanent" 1 nucleo-f767zi s3 p.lua \
  -- --out "RDP level 2 \(FLASH_OPTCR 0xffffccfd, RDP byte 0xCC\); nothing was written" --out "permanent" \
  --no-out "verified"
unchanged "RDP 2: nothing written" s3

run "F429: level 1 set" 0 nucleo-f429zi s4 "$here/cli/set_rdp.lua" 0x55 -- --out "OPTCR 0x0fff55ec"
cp "$dir/s4" "$dir/s4.before"
run "F429 project on an RDP 1 chip: exit 1, the vendor tool named" 1 nucleo-f429zi s4 p4.lua \
  -- --out "read-protected: RDP level 1 \(FLASH_OPTCR 0x0fff55ed" --out "STM32CubeProgrammer: -ob RDP=0xAA" \
  --no-out "verified"
unchanged "F429 RDP 1: nothing written" s4

echo "[==========] $((pass+fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)"; exit 1; }
