#!/usr/bin/env bash
# Bits-only programming (issue 17) on the command line, on the bench (F767,
# nRF52840, F103RB, L476): over
# an image, a new one that only clears bits (new AND old == new) is
# programmed without any erase (F767); a sector that needs a 0 -> 1 bit is
# erased, found by the host's sample or by the loader's own compare (then
# counted "tried bits-only first"), or because old data lies beyond the new
# content; bits_only=false and ECC flash (L476) erase as before; a power
# loss mid-program is repaired by the rerun. The flash is checked against
# the expected bytes by reading it back through the bench (an oracle
# independent of luaflash's CRC verify).
# usage: cli_bits.sh LUAFLASH
. "$(dirname "$0")/cli_bench_lib.sh" flash_cli_bits "$1"
bits() { lua5.4 "$here/bits.lua" "$1" "$dir/$2" "$dir/$3" ${4:-}; }

pattern 42 71680 old.bin        # F767 sectors 0-2 (32 KiB each, the third partly)
bits clear old.bin clear.bin
bits mixed old.bin mixed.bin
bits hidden old.bin hidden.bin 40000     # sector 1, away from the sampled spots
bits head old.bin head.bin 40000         # sector 1 keeps old data after the new content
{ cat "$dir/head.bin"; lua5.4 -e 'io.write(string.rep("\255", 65536 - 40000))'; } > "$dir/headwant.bin"
tail -c +65537 "$dir/old.bin" > "$dir/old2.bin"
pattern 44 4096 small.bin
bits clear small.bin smallclear.bin

pattern 46 18432 n0.bin                   # nRF52840: pages 0-3 and half of page 4
bits grow n0.bin n1.bin 1024
bits grow n0.bin n2.bin 1568
bits clear n0.bin nclear.bin
proj n0.lua nrf52840_dk n0.bin
proj n1.lua nrf52840_dk n1.bin
proj n2.lua nrf52840_dk n2.bin
proj nclear.lua nrf52840_dk nclear.bin
pattern 47 3584 f0.bin                    # F103RB: pages 0-2 and half of page 3
bits grow f0.bin f1.bin 256
bits zero f0.bin fzero.bin 100
bits clear f0.bin fclear.bin
proj f0.lua nucleo_f103rb f0.bin
proj f1.lua nucleo_f103rb f1.bin
proj fzero.lua nucleo_f103rb fzero.bin
proj fclear.lua nucleo_f103rb fclear.bin
proj old.lua nucleo_f767zi old.bin
proj clear.lua nucleo_f767zi clear.bin
proj mixed.lua nucleo_f767zi mixed.bin
proj hidden.lua nucleo_f767zi hidden.bin
proj head.lua nucleo_f767zi head.bin
proj off.lua nucleo_f767zi clear.bin "bits_only = false"
proj l4old.lua nucleo_l476rg small.bin
proj l4.lua nucleo_l476rg smallclear.bin

B=nucleo-f767zi
for s in s1 s2 s3 s4 s5 s6; do
  run "old image on $s" 0 $B $s old.lua -- --out "verified"
done
run "only clears bits: no erase" 0 $B s1 clear.lua -- \
  --out "71680 bytes: 0 sectors erased, 3 programmed \(3 only cleared bits: not erased\), 0 unchanged; verified" \
  --out "erase 0\.0 ms"
same "only clears bits: the flash holds the new image" $B s1 0x08000000 clear.bin
run "the same again: unchanged" 0 $B s1 clear.lua -- --out "0 sectors erased, 0 programmed, 3 unchanged"

run "sector 1 needs 0 -> 1 (seen by the sample): only it is erased" 0 $B s2 mixed.lua -- \
  --out "1 sectors erased, 3 programmed \(2 only cleared bits: not erased\), 0 unchanged; verified" \
  --no-out "tried bits-only"
same "mixed: the flash holds the new image" $B s2 0x08000000 mixed.bin

run "one 0 -> 1 byte the sample misses: the loader erases that sector" 0 $B s3 hidden.lua -- \
  --out "1 sectors erased, 3 programmed \(2 only cleared bits: not erased\) \(1 of the erased tried bits-only first\)"
same "hidden: the flash holds the new image" $B s3 0x08000000 hidden.bin

run "old data after the new content: that sector is erased" 0 $B s4 head.lua -- \
  --out "1 sectors erased, 2 programmed \(1 only cleared bits: not erased\)"
same "head: sectors 0-1 hold the new image, then 0xFF" $B s4 0x08000000 headwant.bin
same "head: sector 2 (untouched) keeps the old image" $B s4 0x08010000 old2.bin

run "bits_only = false: every sector erased" 0 $B s5 off.lua -- \
  --out "3 sectors erased, 3 programmed, 0 unchanged; verified" --no-out "cleared bits"
run "--json counts the sectors programmed without erase" 0 $B s6 clear.lua --json -- \
  --out '"bits_kept":3' --out '"without_erase":3'

run "old image on s7" 0 $B s7 old.lua -- --out "verified"
run "power loss mid-program (bits-only): exit 1" 1 $B s7 clear.lua --bench-faults power_loss@250ms -- \
  --no-out "verified"
run "the rerun ends right" 0 $B s7 clear.lua -- --out "verified"
same "power loss: the flash holds the new image after the rerun" $B s7 0x08000000 clear.bin

# nRF52840: a word may be written twice between erases and nothing counts
# it (the bench does: a third write corrupts the word), so only erased words
# are written over: an image that grows into the erased rest of its last page
# is programmed without erase, twice in a row (each word once), and still
# reads right; clearing bits of programmed words erases the page
N=nrf52840-dk
run "nRF old image (4.5 pages)" 0 $N s9 n0.lua -- --out "verified"
run "nRF: grows into the erased rest of page 4: no erase" 0 $N s9 n1.lua -- \
  --out "19456 bytes: 0 sectors erased, 1 programmed \(1 only cleared bits: not erased\), 4 unchanged; verified"
run "nRF: grows again in the same page: no erase" 0 $N s9 n2.lua -- \
  --out "20000 bytes: 0 sectors erased, 1 programmed \(1 only cleared bits: not erased\), 4 unchanged; verified"
same "nRF: the flash holds the grown image (no word written too often)" $N s9 0 n2.bin
run "nRF: clearing bits of programmed words: those pages are erased" 0 $N s9 nclear.lua -- \
  --out "5 sectors erased, 5 programmed, 0 unchanged; verified" --no-out "cleared bits"
same "nRF: the flash holds the cleared image" $N s9 0 nclear.bin

# STM32F103RB (1 KiB pages): a half-word is programmed only over 0xFFFF, or
# with 0x0000 (PM0075; the bench's f1_zero_overwrite_ok): growing into
# erased half-words and zeroing programmed ones need no erase, clearing
# other bits does; a part that refuses the 0x0000 write (PGERR) gets the
# sector erased and programmed again, and the run ends right
F=nucleo-f103rb
run "F103 old image (3.5 pages)" 0 $F s10 f0.lua -- --out "verified"
run "F103: grows into erased half-words: no erase" 0 $F s10 f1.lua -- \
  --out "3840 bytes: 0 sectors erased, 1 programmed \(1 only cleared bits: not erased\), 3 unchanged; verified"
same "F103: the flash holds the grown image" $F s10 0x08000000 f1.bin
run "F103 old image again" 0 $F s11 f0.lua -- --out "verified"
run "F103: half-words zeroed in two pages: no erase" 0 $F s11 fzero.lua -- \
  --out "3584 bytes: 0 sectors erased, 2 programmed \(2 only cleared bits: not erased\), 2 unchanged; verified"
same "F103: the flash holds the zeroed image" $F s11 0x08000000 fzero.bin
run "F103: clearing other bits of programmed half-words: erased" 0 $F s11 fclear.lua -- \
  --out "4 sectors erased, 4 programmed, 0 unchanged; verified" --no-out "cleared bits"
same "F103: the flash holds the cleared image" $F s11 0x08000000 fclear.bin
run "F103 old image once more" 0 $F s12 f0.lua -- --out "verified"
run "F103 refusing 0x0000 over data (PGERR): erased and programmed again" 0 $F s12 fzero.lua \
  --bench-param f1_zero_overwrite_ok=0 -- \
  --err "warn: a sector programmed without its erase failed .*PGERR" --out "2 sectors erased, 2 programmed"
same "F103 refusing 0x0000: the flash holds the zeroed image" $F s12 0x08000000 fzero.bin

# ECC (L476): a double word is programmed once after an erase: never bits-only
run "L476 old image" 0 nucleo-l476rg s8 l4old.lua -- --out "verified"
run "L476 (ECC): every page erased" 0 nucleo-l476rg s8 l4.lua -- \
  --out "4096 bytes: 2 sectors erased, 2 programmed, 0 unchanged; verified" --no-out "cleared bits"
same "L476: the flash holds the new image" nucleo-l476rg s8 0x08000000 smallclear.bin

finish
