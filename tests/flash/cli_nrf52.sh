#!/usr/bin/env bash
# The nRF52840 DK on the bench through the command line: a 65 KB image
# flashed and read back byte for byte, smart flash on a rerun, a flash
# error on the NVMC stream (no flag: the CRC verify catches a USB timeout),
# UF2 images (nRF52840 family accepted, an STM32 one refused with both IDs
# named, nothing written), UICR writes (erased word, rewrite, APPROTECT
# needs allow_protect), access-port protection: a protected chip fails at
# connect saying what and how to recover, nothing written; `recover` is
# refused without allow_mass_erase=true (exit 2, chip unchanged) and with
# it erases the chip (flash, UICR) and opens the debug port.
# usage: cli_nrf52.sh LUAFLASH
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
bench=nrf52840-dk
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
echo "[==========] flash_cli_nrf52"

# 65 KB image (66560 bytes: 17 pages, the last partly) of a fixed pseudo-random pattern
lua5.4 -e 'local x, t = 42, {}
for i = 1, 66560 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))' > "$dir/app.bin"
printf 'board = "nrf52840_dk"\nimage = "app.bin"\n' > "$dir/p.lua"
# UF2 of app.bin: 256-byte payloads, familyID flag, the given family
cat > "$dir/uf2.lua" <<'LUA'
local src, out, fam = arg[1], arg[2], tonumber(arg[3])
local f = assert(io.open(src, "rb")); local d = f:read("a"); f:close()
local n = (#d + 255) // 256
local o = assert(io.open(out, "wb"))
for i = 0, n - 1 do
  local chunk = d:sub(i * 256 + 1, i * 256 + 256)
  chunk = chunk .. string.rep("\0", 256 - #chunk)
  o:write(string.pack("<I4I4I4I4I4I4I4I4", 0x0A324655, 0x9E5D5157, 0x2000, i * 256, 256, i, n, fam),
    chunk, string.rep("\0", 476 - 256), string.pack("<I4", 0x0AB16F30))
end
o:close()
LUA
lua5.4 "$dir/uf2.lua" "$dir/app.bin" "$dir/app.uf2" 0xADA52840
lua5.4 "$dir/uf2.lua" "$dir/app.bin" "$dir/f4.uf2" 0x57755A57

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
# peek STATE ADDR FILE|ff LEN: the board's bytes at ADDR equal FILE (or LEN bytes of 0xFF)
cat > "$dir/peek.lua" <<LUA
local lf = require("luaflash")
local b = lf.bench { "$bench", state = arg[1] }
local want
if arg[3] == "ff" then want = string.rep("\255", tonumber(arg[4]))
else local f = assert(io.open(arg[3], "rb")); want = f:read("a"); f:close() end
local got = b:peek(tonumber(arg[2]), #want)
b:close()
if got ~= want then error(string.format("0x%08x: bytes differ", tonumber(arg[2])), 0) end
print("equal")
LUA
same() { # NAME STATE ADDR FILE|ff [LEN]
  if (cd "$dir" && "$bin" peek.lua "$dir/$2" "$3" "$4" "${5:-0}") >"$dir/out" 2>&1; then
    pass=$((pass+1)); echo "[       OK ] $1"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $1"; sed 's/^/    /' "$dir/out" | head -5
  fi
}
unchanged() {
  if cmp -s "$dir/$2" "$dir/$2.before"; then pass=$((pass+1)); echo "[       OK ] $1"
  else fail=$((fail+1)); echo "[  FAILED  ] $1: $2 changed"; fi
}

run "65 KB image on a blank chip: 17 pages programmed without erase (erase avoidance), verified" 0 s1 "" p.lua \
  -- --out "66560 bytes: 0 sectors erased, 17 programmed \(17 read blank: not erased\), 0 unchanged; verified" --out "nRF52840 1024 KiB"
same "flash equals the image" s1 0 app.bin
run "rerun: smart flash leaves every page alone" 0 s1 "" p.lua -- --out "0 programmed, 17 unchanged; verified"
run "USB timeout mid-stream: exit 1, never verified" 1 s2 "usb_timeout@300" p.lua -- --no-out "verified"
run "rerun after the USB timeout" 0 s2 "" p.lua -- --out "verified"
same "flash equals the image after the rerun" s2 0 app.bin

# UF2
run "UF2 of the nRF52840 family: flashed" 0 s3 "" flash app.uf2 --board nrf52840_dk \
  -- --out "66560 bytes: 0 sectors erased, 17 programmed \(17 read blank: not erased\).*verified"
same "flash equals the image (UF2)" s3 0 app.bin
run "UF2 of an STM32F4: refused, both IDs named, nothing written" 2 s4 "" flash f4.uf2 --board nrf52840_dk \
  -- --out "0x57755a57|0x57755A57" --out "0xada52840|0xADA52840" --no-out "verified"
same "nothing written (UF2 refused)" s4 0 ff 4096

# UICR
run "UICR: erased words written and read back" 0 s5 "" "$top/scripts/examples/nrf52_uicr.lua" \
  "CUSTOMER[0]=0x12345678" "PSELRESET[0]=18" -- --out "2 word\(s\) written, verified" --out "0x10001200 = 0x00000012"
run "UICR: a word setting bits: erased and rewritten, the rest kept" 0 s5 "" "$top/scripts/examples/nrf52_uicr.lua" \
  "CUSTOMER[0]=0x1234567F" -- --out "UICR erased and rewritten" --out "0x10001080 = 0x1234567f" \
  --out "0x10001200 = 0x00000012"
run "UICR: unknown register refused" 2 s5 "" "$top/scripts/examples/nrf52_uicr.lua" "CUSTOMR[0]=1" \
  -- --out "unknown register"

run "UICR words from a project's hook after the verify" 0 s8 "" "$top/scripts/examples/nrf52_uicr_project.lua" \
  image=app.bin -- --out "verified" --out "UICR: 3 word\(s\) written, verified"
printf '\x12\x00\x00\x00\x12\x00\x00\x00' > "$dir/psel.bin"
same "PSELRESET[0..1] = 18 in the UICR" s8 0x10001200 psel.bin
same "the image is there too" s8 0 app.bin

# access-port protection
run "a fresh board flashes" 0 s6 "" p.lua -- --out "verified"
run "APPROTECT without allow_protect: refused" 2 s6 "" "$top/scripts/examples/nrf52_uicr.lua" \
  "APPROTECT=0xFFFFFF00" -- --out "allow_protect = true"
run "APPROTECT set: the debug port closes at the reset" 0 s6 "" "$top/scripts/examples/nrf52_uicr.lua" \
  "APPROTECT=0xFFFFFF00" allow_protect=true -- --out "debug port is closed now"
cp "$dir/s6" "$dir/s6.before"
run "project on a protected chip: exit 1 at connect, says why and how" 1 s6 "" p.lua \
  -- --out "target is read-protected: nRF52 access-port protection" \
  --out "luaflash recover allow_mass_erase=true" --out "nothing was written" --no-out "verified|traceback"
unchanged "nothing written (protected)" s6
run "recover without consent: exit 2, nothing done" 2 s6 "" recover \
  -- --out "allow_mass_erase=true" --out "nothing was done"
unchanged "recover refused: chip unchanged" s6
run "recover with consent: erased through the CTRL-AP, port open" 0 s6 "" recover allow_mass_erase=true \
  -- --out "erased through its vendor AP; the debug port is open"
same "recover erased the flash" s6 0 ff 66560
same "recover erased the UICR" s6 0x10001000 ff 4096
run "the recovered chip flashes" 0 s6 "" p.lua -- --out "verified"
same "flash equals the image after recover" s6 0 app.bin

# hardened APPROTECT (build code F0): closed after every reset; recover opens
# it and leaves UICR.APPROTECT = HwDisabled (0x5A) for firmware to finish
hp=(--bench-param nrf_hardened_approtect=1)
run "hardened part: closed after power-on, refused at connect" 1 s7 "" "${hp[@]}" p.lua \
  -- --out "target is read-protected: nRF52 access-port protection" --no-out "verified"
run "hardened part: recover with consent" 0 s7 "" "${hp[@]}" recover allow_mass_erase=true \
  -- --out "nRF52840 AAF0 erased through its vendor AP"
printf '\x5a\xff\xff\xff' > "$dir/hw.bin"
same "hardened part: UICR.APPROTECT = HwDisabled after recover" s7 0x10001208 hw.bin

echo "[==========] $((pass+fail)) test(s) run."
if [ $fail -eq 0 ]; then echo "[  PASSED  ] $pass test(s)."; else echo "[  FAILED  ] $fail test(s)."; exit 1; fi
