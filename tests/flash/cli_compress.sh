#!/usr/bin/env bash
# Compressed upload (issue 17) on the command line, on the bench: a
# realistic image (scripts/realistic-fw, newlib) on a blank F767 and F429 is
# uploaded compressed with compress = "auto" and the flash holds it byte for
# byte (read back through the bench: an oracle independent of the CRCs);
# compress = false uploads plain; the incompressible image stays plain with
# auto and is still right with compress = true; a board holding other
# firmware (sector erases: the flash is the bound) stays plain; a power loss
# and a USB disconnect mid-stream fail cleanly and the rerun ends right; the
# H743 (no inflater in its loader) and the F103 are unaffected.
# usage: cli_compress.sh LUAFLASH
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
echo "[==========] flash_cli_compress"

pattern() { # SEED BYTES FILE
  lua5.4 -e "local x, t = $1, {}
for i = 1, $2 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))" > "$dir/$3"
}
pattern 42 66560 rand.bin
pattern 43 4096 small.bin
cp "$top/scripts/realistic-fw/small.bin" "$dir/real.bin"
cp "$top/scripts/realistic-fw/medium.bin" "$dir/real2.bin"

proj() { # FILE BOARD IMAGE [LINES...]
  local f=$1 board=$2 image=$3; shift 3
  { printf 'board = "%s"\nimage = "%s"\n' "$board" "$image"; printf '%s\n' "$@"; } > "$dir/$f"
}
proj real.lua nucleo_f767zi real.bin
proj real2.lua nucleo_f767zi real2.bin
proj realoff.lua nucleo_f767zi real.bin "compress = false"
proj rand.lua nucleo_f767zi rand.bin
proj real429.lua nucleo_f429zi real.bin
proj h7.lua nucleo_h743zi real.bin
proj f1.lua nucleo_f103rb small.bin

# run NAME STATUS BENCH STATE PROJECT [ARGS...] -- [--out RE | --no-out RE | --err RE]...
run() {
  local name=$1 want=$2 bench=$3 state=$4 p=$5; shift 5
  local args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  (cd "$dir" && "$bin" --bench "$bench" --bench-state "$dir/$state" "$p" "${args[@]}") >"$dir/out" 2>"$dir/err"
  local st=$? ok=1 why=""
  [ "$st" -eq "$want" ] || { ok=0; why="exit $st, want $want"; }
  while [ $# -gt 0 ]; do
    case $1 in
      --out) grep -qE -- "$2" "$dir/out" || { ok=0; why="$why; stdout lacks /$2/"; } ;;
      --no-out) ! grep -qE -- "$2" "$dir/out" || { ok=0; why="$why; stdout has /$2/"; } ;;
      --err) grep -qE -- "$2" "$dir/err" || { ok=0; why="$why; stderr lacks /$2/"; } ;;
    esac
    shift 2
  done
  if [ $ok = 1 ]; then
    pass=$((pass+1)); echo "[       OK ] $name"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $name: $why"; cat "$dir/out" "$dir/err" | sed 's/^/    /' | head -20
  fi
}

# same NAME BENCH STATE ADDR FILE: the flash at ADDR holds FILE (read back)
cat > "$dir/peek.lua" <<'LUA'
local lf = require("luaflash")
local b = lf.bench { arg[1], state = arg[2] }
local f = assert(io.open(arg[4], "rb")); local want = f:read("a"); f:close()
local got = b:peek(tonumber(arg[3]), #want)
b:close()
if got ~= want then error("the flash differs from " .. arg[4], 0) end
LUA
same() {
  if (cd "$dir" && "$bin" peek.lua "$2" "$dir/$3" "$4" "$dir/$5") >"$dir/out" 2>&1; then
    pass=$((pass+1)); echo "[       OK ] $1"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $1"; sed 's/^/    /' "$dir/out" | head -5
  fi
}

B=nucleo-f767zi
run "realistic 66 KB, blank F767: compressed (auto)" 0 $B s1 real.lua -- \
  --out "67492 bytes: 0 sectors erased, 3 programmed \(3 read blank: not erased\), 0 unchanged; verified" \
  --out "uploaded [0-9.]+ KiB compressed \([0-9]+ % of 65.9 KiB; link bound\)"
same "realistic 66 KB: the flash holds the image" $B s1 0x08000000 real.bin
run "realistic 297 KB, blank F767: compressed, several sectors" 0 $B s1b real2.lua -- \
  --out "uploaded [0-9.]+ KiB compressed" --out "verified"
same "realistic 297 KB: the flash holds the image" $B s1b 0x08000000 real2.bin
run "compress = false: uploaded plain" 0 $B s2 realoff.lua -- --out "verified" --no-out "uploaded"
same "compress = false: the flash holds the image" $B s2 0x08000000 real.bin
run "compress=true on the command line" 0 $B s3 real.lua compress=true -- \
  --out "uploaded [0-9.]+ KiB compressed \([0-9]+ % of 65.9 KiB; on\)" --out "verified"
run "bad compress value: clear error, nothing written" 2 $B s3x real.lua compress=maybe -- \
  --err "compress.*expected \"auto\", true or false"
run "incompressible, auto: plain" 0 $B s4 rand.lua -- \
  --out "uploaded uncompressed \(compress = \"auto\": does not pay" --out "verified"
same "incompressible, auto: the flash holds the image" $B s4 0x08000000 rand.bin
run "incompressible, compress = true: stored records, still right" 0 $B s5 rand.lua compress=true -- \
  --out "uploaded [0-9.]+ KiB compressed \(10[0-9] % of 65.0 KiB" --out "verified"
same "incompressible, compress = true: the flash holds the image" $B s5 0x08000000 rand.bin
# over other firmware the sector erases bound the job: plain
run "other firmware first" 0 $B s6 rand.lua -- --out "verified"
run "over other firmware (erases): auto stays plain" 0 $B s6 real.lua -- \
  --out "3 sectors erased" --out "uploaded uncompressed \(compress = \"auto\": flash bound" --out "verified"
same "over other firmware: the flash holds the image" $B s6 0x08000000 real.bin
# faults mid-stream: the job fails, the rerun ends right
run "power loss mid-stream (compressed): exit 1" 1 $B s7 real.lua --bench-faults power_loss@200ms -- \
  --no-out "verified"
run "the rerun after the power loss" 0 $B s7 real.lua -- --out "verified"
same "power loss: the flash holds the image after the rerun" $B s7 0x08000000 real.bin
run "USB timeout mid-stream (compressed): exit 1" 1 $B s8 real.lua --bench-faults usb_timeout@300 -- \
  --no-out "verified"
run "the rerun after the USB timeout" 0 $B s8 real.lua -- --out "verified"
same "USB timeout: the flash holds the image after the rerun" $B s8 0x08000000 real.bin
# the F429 (same loader) compresses; other families upload plain
run "realistic 66 KB, blank F429: compressed" 0 nucleo-f429zi s9 real429.lua -- \
  --out "uploaded [0-9.]+ KiB compressed" --out "verified"
same "F429: the flash holds the image" nucleo-f429zi s9 0x08000000 real.bin
run "H743 (no inflater): plain, right" 0 nucleo-h743zi s10 h7.lua -- --out "verified" --no-out "compressed"
same "H743: the flash holds the image" nucleo-h743zi s10 0x08000000 real.bin
run "F103RB: plain, right" 0 nucleo-f103rb s11 f1.lua -- --out "verified" --no-out "compressed"

echo "[==========] flash_cli_compress: $((pass+fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
