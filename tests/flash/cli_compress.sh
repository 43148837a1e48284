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
  --out "uploaded [0-9.]+ KiB compressed \([0-9]+ % of 65.9 KiB; link bound\)" \
  --out "compress: on \(link bound: upload [0-9.]+ s > program [0-9.]+ s; compressed [0-9.]+ s\)"
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
run "F103RB (10 KiB loader window: no room for the inflater): plain, right" 0 nucleo-f103rb s11 f1.lua -- \
  --out "verified" --out "uploaded uncompressed \(compress = \"auto\": no room for the inflater" --no-out " compressed"

finish
