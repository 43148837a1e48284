#!/usr/bin/env bash
# Erase avoidance (issue 17) on the command line, on the bench: a sector the
# image touches that reads blank is programmed without its erase (F767, F103
# pages); never on ECC flash (L476); erase_avoid=false erases as before; a
# sector forged to have a blank sector's CRC32 while it is not blank (a CRC
# collision) fails the verify, is erased and programmed again, and the run
# ends right. The flash is checked against the image by reading it back
# through the bench (an oracle independent of the CRCs), and a power loss
# mid-program is repaired by the rerun.
# usage: cli_erase_avoid.sh LUAFLASH
. "$(dirname "$0")/cli_bench_lib.sh" flash_cli_erase_avoid "$1"

pattern 42 71680 app.bin        # F767 sectors 0-2
pattern 43 71680 other.bin      # other firmware over the same sectors
pattern 44 4096 small.bin       # F103 pages 0-3, L476 pages 0-1
pattern 45 1024 k1.bin          # 1 KiB for the forged sector
# 32 KiB that are not blank but have a blank sector's CRC32 (a collision)
lua5.4 "$here/forge.lua" 32768 "$dir/forged.bin"
head -c 1024 "$dir/k1.bin" > "$dir/k1want.bin"
lua5.4 -e 'io.write(string.rep("\255", 31744))' >> "$dir/k1want.bin"

proj f7.lua nucleo_f767zi app.bin
proj f7off.lua nucleo_f767zi app.bin "erase_avoid = false"
proj f7other.lua nucleo_f767zi other.bin
proj forge.lua nucleo_f767zi forged.bin "base = 0x08008000" "smart_flash = false" "erase_avoid = false"
proj k1.lua nucleo_f767zi k1.bin "base = 0x08008000"
proj f1.lua nucleo_f103rb small.bin
proj l4.lua nucleo_l476rg small.bin

B=nucleo-f767zi
run "blank F767: 3 sectors programmed, none erased" 0 $B s1 f7.lua -- \
  --out "71680 bytes: 0 sectors erased, 3 programmed \(3 read blank: not erased\), 0 unchanged; verified" \
  --out "connect [0-9.]+ ms, erase 0\.0 ms"
same "blank F767: the flash holds the image" $B s1 0x08000000 app.bin
run "other firmware over it: every sector erased" 0 $B s1 f7other.lua -- \
  --out "3 sectors erased, 3 programmed, 0 unchanged; verified" --no-out "read blank"
same "other firmware: the flash holds it" $B s1 0x08000000 other.bin
run "erase_avoid = false: a blank board is erased" 0 $B s2 f7off.lua -- \
  --out "3 sectors erased, 3 programmed, 0 unchanged; verified" --no-out "read blank"
run "erase_avoid=false on the command line" 0 $B s3 f7.lua erase_avoid=false -- \
  --out "3 sectors erased, 3 programmed, 0 unchanged" --no-out "read blank"

# a CRC32 collision: sector 1 holds the forged 32 KiB, which read blank
run "forge sector 1 (not blank, a blank sector's CRC32)" 0 $B s4 forge.lua -- --out "verified"
same "the forged sector is on the board" $B s4 0x08008000 forged.bin
run "collision: verify fails, the sector is erased and programmed again" 0 $B s4 k1.lua -- \
  --err "warn: verify failed on a sector programmed without its erase .*CRC32 collision.*erasing and programming again" \
  --out "1024 bytes: 1 sectors erased, 1 programmed, 0 unchanged; verified"
same "collision: the sector holds the image and 0xFF after it" $B s4 0x08008000 k1want.bin
# the same collision inside a 3-sector job: the verify CRCs adjacent sectors
# as one range, so the mismatch is looked up sector by sector and named
run "forge sector 1 again (the collision)" 0 $B s4b forge.lua -- --out "verified"
run "collision in one verify range: sector 1 named, erased and programmed again" 0 $B s4b f7.lua -- \
  --err "warn: verify failed on a sector programmed without its erase .*verify: sector 1 \(0x08008000" \
  --out "71680 bytes: 1 sectors erased, 1 programmed, 2 unchanged; verified"
same "collision in one verify range: the flash holds the image" $B s4b 0x08000000 app.bin

# a power loss while programming a blank sector without its erase: the
# rerun finds it no longer blank, erases it and ends right
run "power loss mid-program on a blank board: exit 1" 1 $B s5 f7.lua --bench-faults power_loss@280ms -- \
  --no-out "verified"
run "the rerun erases what the power loss left" 0 $B s5 f7.lua -- --out "verified" --out "[1-3] sectors erased"
same "power loss: the flash holds the image after the rerun" $B s5 0x08000000 app.bin

# F103 pages (no ECC): not erased; L476 (ECC): always erased
run "blank F103RB: 4 pages programmed, none erased" 0 nucleo-f103rb s6 f1.lua -- \
  --out "4096 bytes: 0 sectors erased, 4 programmed \(4 read blank: not erased\)"
same "F103RB: the flash holds the image" nucleo-f103rb s6 0x08000000 small.bin
run "blank L476 (ECC): every page erased" 0 nucleo-l476rg s7 l4.lua -- \
  --out "4096 bytes: 2 sectors erased, 2 programmed, 0 unchanged; verified" --no-out "read blank"
same "L476: the flash holds the image" nucleo-l476rg s7 0x08000000 small.bin

finish
