#!/usr/bin/env bash
# Compressed upload (issue 17) on the command line, on the bench: a
# realistic image (scripts/realistic-fw, newlib) on a blank F767 and F429 is
# uploaded compressed with compress = "auto" and the flash holds it byte for
# byte (read back through the bench: an oracle independent of the CRCs);
# compress = false uploads plain; the incompressible image stays plain with
# auto and is still right with compress = true; a board holding other
# firmware (sector erases: the flash is the bound) stays plain; a power loss
# and a USB disconnect mid-stream fail cleanly and the rerun ends right; the
# F103RB with its line's 10 KiB loader window has no room for the inflater;
# every other family's loader compresses too (auto, true, false on the
# realistic image, read back; the incompressible image stays plain);
# compress_effort = 3 (our encoder) uploads fewer bytes, the flash right.
# usage: cli_compress.sh LUAFLASH
. "$(dirname "$0")/cli_bench_lib.sh" flash_cli_compress "$1"
top=$(cd "$here/../.." && pwd)

pattern 42 66560 rand.bin
pattern 43 4096 small.bin
cp "$top/scripts/realistic-fw/small.bin" "$dir/real.bin"
cp "$top/scripts/realistic-fw/medium.bin" "$dir/real2.bin"

proj real.lua nucleo_f767zi real.bin
proj real2.lua nucleo_f767zi real2.bin
proj realoff.lua nucleo_f767zi real.bin "compress = false"
proj rand.lua nucleo_f767zi rand.bin
proj real429.lua nucleo_f429zi real.bin
proj h7.lua nucleo_h743zi real.bin
proj f1.lua nucleo_f103rb small.bin

B=nucleo-f767zi
run "realistic 66 KB, blank F767: compressed (auto)" 0 $B s1 real.lua -- \
  --out "67492 bytes: 0 sectors erased, 3 programmed \(3 read blank: not erased\), 0 unchanged; verified" \
  --out "^  compress: on, uploaded [0-9.]+ KiB compressed \([0-9]+ % of 65.9 KiB; link bound: upload [0-9.]+ s > program [0-9.]+ s; compressed [0-9.]+ s\)$" \
  --no-out "^  uploaded" --no-out "compress: on \("
cp "$dir/out" "$dir/s1.out"
same "realistic 66 KB: the flash holds the image" $B s1 0x08000000 real.bin
# compress_effort: our encoder instead of zlib -9: fewer bytes, same flash
run "compress_effort = 3: our encoder, right" 0 $B s1e real.lua compress_effort=3 -- \
  --out "67492 bytes: .*verified" --out "^  compress: on, uploaded [0-9.]+ KiB compressed"
cp "$dir/out" "$dir/s1e.out"
same "compress_effort = 3: the flash holds the image" $B s1e 0x08000000 real.bin
kib() { sed -nE 's/^  compress: on, uploaded ([0-9.]+) KiB compressed.*/\1/p' "$1"; }
if awk -v a="$(kib "$dir/s1e.out")" -v b="$(kib "$dir/s1.out")" 'BEGIN { exit !(a > 0 && b > 0 && a < b) }'; then
  pass=$((pass+1)); echo "[       OK ] compress_effort = 3 uploads fewer bytes than zlib -9 ($(kib "$dir/s1e.out") < $(kib "$dir/s1.out") KiB)"
else
  fail=$((fail+1)); echo "[  FAILED  ] compress_effort = 3 uploads fewer bytes: '$(kib "$dir/s1e.out")' vs zlib's '$(kib "$dir/s1.out")' KiB"
fi
run "bad compress_effort: clear error, nothing written" 2 $B s1x real.lua compress_effort=9 -- \
  --err "compress_effort"
run "realistic 297 KB, blank F767: compressed, several sectors" 0 $B s1b real2.lua -- \
  --out "uploaded [0-9.]+ KiB compressed" --out "verified"
same "realistic 297 KB: the flash holds the image" $B s1b 0x08000000 real2.bin
run "compress = false: uploaded plain" 0 $B s2 realoff.lua -- --out "verified" --no-out "uploaded" --no-out "compress:"
same "compress = false: the flash holds the image" $B s2 0x08000000 real.bin
run "compress=true on the command line" 0 $B s3 real.lua compress=true -- \
  --out "compress: on, uploaded [0-9.]+ KiB compressed \([0-9]+ % of 65.9 KiB; on: compressed [0-9.]+ s vs plain" --out "verified"
run "bad compress value: clear error, nothing written" 2 $B s3x real.lua compress=maybe -- \
  --err "compress.*expected \"auto\", true or false"
run "incompressible, auto: plain" 0 $B s4 rand.lua -- \
  --out "^  compress: off, uploaded uncompressed \(compress = \"auto\": does not pay: compressed [0-9.]+ s vs plain [0-9.]+ s; inflate [0-9.]+ s; it would be [0-9]+ %\)$" \
  --no-out "^  uploaded" --out "verified"
same "incompressible, auto: the flash holds the image" $B s4 0x08000000 rand.bin
run "incompressible, compress = true: stored records, still right" 0 $B s5 rand.lua compress=true -- \
  --out "compress: on, uploaded [0-9.]+ KiB compressed \(10[0-9] % of 65.0 KiB" --out "verified"
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
run "H743 (ECC: its 128 KiB sector erased, flash bound): plain, right" 0 nucleo-h743zi s10 h7.lua -- \
  --out "verified" --out "uploaded uncompressed \(compress = \"auto\": flash bound"
same "H743: the flash holds the image" nucleo-h743zi s10 0x08000000 real.bin
run "F103RB (10 KiB loader window: no room for the inflater): plain, right" 0 nucleo-f103rb s11 f1.lua -- \
  --out "verified" --out "uploaded uncompressed \(compress = \"auto\": no room for the inflater" --no-out " compressed"

# every other family's loader (lf_ldr_serve.h: F1, L4, nRF52; H7; RP2040):
# the realistic image with compress = auto, true and false, each checked by
# reading the flash back through the bench; auto names its reason with the
# model's figures; the incompressible image stays plain under auto
fam() { # BOARD BENCH BASE "SETTINGS" AUTO_RE
  local board=$1 bench=$2 base=$3 extra=$4 auto=$5 i=0
  proj "z-$board.lua" "$board" real.bin $extra
  proj "zr-$board.lua" "$board" rand.bin $extra
  for m in auto true false; do
    i=$((i+1))
    case $m in
      auto) want=(--out "compress: $auto") ;;
      true) want=(--out "compress: on, uploaded [0-9.]+ KiB compressed \([0-9]+ % of 6[56].[0-9] KiB; on: compressed [0-9.]+ s vs plain [0-9.]+ s") ;;
      false) want=(--no-out "compress:" --no-out "KiB compressed") ;;
    esac
    run "$bench: realistic 66 KB, compress = $m" 0 "$bench" "z$board$i" "z-$board.lua" compress=$m -- \
      --out "verified" "${want[@]}"
    same "$bench: compress = $m: the flash holds the image" "$bench" "z$board$i" "$base" real.bin
  done
  run "$bench: incompressible, auto: plain" 0 "$bench" "zr$board" "zr-$board.lua" -- \
    --out "verified" --out "uploaded uncompressed \(compress = \"auto\": (does not pay|flash bound)" --no-out "KiB compressed"
  same "$bench: incompressible: the flash holds the image" "$bench" "zr$board" "$base" rand.bin
}
fam nucleo_l476rg nucleo-l476rg 0x08000000 "" "off, uploaded uncompressed \(compress = \"auto\": flash bound: upload [0-9.]+ s <= program [0-9.]+ s; it would be"
fam nucleo_h743zi nucleo-h743zi 0x08000000 "" "off, uploaded uncompressed \(compress = \"auto\": flash bound: upload [0-9.]+ s <= program [0-9.]+ s; it would be"
fam nucleo_f103rb nucleo-f103rb 0x08000000 "loader_ram = 20480" "off, uploaded uncompressed \(compress = \"auto\": flash bound"
fam nrf52840_dk nrf52840-dk 0x0 "" "off, uploaded uncompressed \(compress = \"auto\": flash bound"
fam pico pico 0x10000000 "" "on, uploaded [0-9.]+ KiB compressed \([0-9]+ % of 6[56].[0-9] KiB; link bound: upload [0-9.]+ s > program [0-9.]+ s; compressed [0-9.]+ s\)"

# a CMSIS-Pack algorithm (FLM dispatcher): compressed through ProgramPage when
# forced; auto weighs the inflate at the algorithm's core clock
flm=$top/tests/data/flm/lf_stm32f76x_2048.FLM
run "FLM, compress = true: compressed, right" 0 nucleo-f767zi zflm1 real.lua "flm=$flm" compress=true -- \
  --out "verified" --out "compress: on, uploaded [0-9.]+ KiB compressed \([0-9]+ % of 6[56].[0-9] KiB; on: "
same "FLM, compress = true: the flash holds the image" nucleo-f767zi zflm1 0x08000000 real.bin
run "FLM, auto: the decision with its figures" 0 nucleo-f767zi zflm2 real.lua "flm=$flm" -- \
  --out "verified" --out "compress: (on, uploaded [0-9.]+ KiB compressed|off, uploaded uncompressed) \([^)]*(link bound|flash bound|does not pay): "
same "FLM, auto: the flash holds the image" nucleo-f767zi zflm2 0x08000000 real.bin

finish
