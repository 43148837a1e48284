#!/usr/bin/env bash
# Integration tests of `luaflash PROJECT.lua` on the virtual NUCLEO-F767ZI:
# the example projects end to end, every input error (exit 2, file:line,
# did-you-mean), a project using io/os/require (and nothing from the cwd),
# a failing hook (file:line + traceback, on_error, target reset, probe
# closed, exit 1), the --json result against tests/lua/result_schema.lua
# and --trace output as Chrome trace events.
#   usage: project_test.sh LUAFLASH LUA_INTERPRETER
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
lua=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
P=$here/projects
X=$top/scripts/examples
pass=0; fail=0
tmp=$(mktemp -d)
export XDG_STATE_HOME="$tmp/state"   # saved copies of protected regions: not in the real home
out=$tmp/out; err=$tmp/err
trap 'rm -rf "$tmp"' EXIT

check_dir="$tmp"
# shellcheck source=tests/lua/check.sh
. "$here/check.sh"
# json NAME KIND FILE [success|failure]  /  trace NAME FILE EVENT...
json() {
  local name=$1; shift
  if r=$("$lua" "$here/check_json.lua" "$@" 2>&1); then pass=$((pass+1)); echo "ok   $name: ${r#ok   }"
  else fail=$((fail+1)); echo "FAIL $name: $r"; fi
}

B=(--bench nucleo-f767zi)
# zlib CRC32 of 32 KiB of 0xFF (an erased sector 0): gzip's trailer holds it
blank32k_crc=$(printf '%s' "$(head -c 32768 /dev/zero | tr '\0' '\377' | gzip -c | tail -c 8 | head -c 4 | od -An -tx4 | tr -d ' \n')")

# ---- the examples end to end ----
check example-minimal 0 --out "^luaflash: STM32F76x/F77x 2048 KiB single bank via ST-LINK/V2-1 066DFF575251717867174428 at 4\.00 MHz" \
  --out "116 bytes: 0 sectors erased, 1 programmed \(1 read blank: not erased\), 0 unchanged; verified \(CRC32" -- "${B[@]}" "$X/minimal.lua"
check example-tuned-hooks-in-order 0 --out "tuned: connected to STM32F76x/F77x \(Cortex-M7\)" \
  --out "tuned: sector 0 will be rewritten" --out "tuned: 1 sector\(s\) verified by CRC32" \
  --no-out "on_error|failed" -- "${B[@]}" "$X/tuned.lua"
tr=$(grep -nE "^tuned: " "$out" | cut -d: -f3- | tr '\n' '|')
[ "$tr" = " connected to STM32F76x/F77x (Cortex-M7)| sector 0 will be rewritten| 1 sector(s) verified by CRC32|" ] \
  && { pass=$((pass+1)); echo "ok   tuned hooks ran in phase order"; } \
  || { fail=$((fail+1)); echo "FAIL tuned hook order: $tr"; }
NO_RESET=1 check example-tuned-will_reset-skips 0 --out "reset skipped" -- "${B[@]}" "$X/tuned.lua"
check example-bootloader-then-app 0 --out "part 1 at 0x08000000: 116 byte\(s\), 1 sector\(s\) verified" \
  --out "part 2 at 0x08008000: 116 byte\(s\), 1 sector\(s\) verified" --out "program\(ctx\) [0-9.]+ ms" \
  -- "${B[@]}" "$X/bootloader_app.lua"
check example-steps-replace-and-call-the-default 0 --out "^steps: watchdogs stop while halted \(DBGMCU_APB1_FZ 0x00001800\)" \
  --out "^steps: system reset of the STM32F76x/F77x" --out "reset 2\.[0-9] ms" --out "verified" -- "${B[@]}" "$X/steps.lua"
check example-erase-only 0 --out "erase_only: 1 sector\(s\) erased and blank" -- "${B[@]}" "$X/erase_only.lua"
check example-readout 0 --out "readout: .*d\.bin: 32768 bytes from 0x08000000 \(STM32F76x/F77x\), CRC32 0x[0-9a-f]{8}" \
  -- "${B[@]}" "$X/readout.lua" "$tmp/d.bin"
# pyOCD's defaults: 1.8 MHz, read-back compare, chip erase at x8 as pyOCD's
# algorithm (erase_psize = "x8": flash_mass_ns[x8] 16 s modeled, all 12
# sectors), the cheapest verify (CRC32 of the one written sector), and the
# 5 s disconnect wait this board never acknowledges
check example-pyocd-default 0 --out "at 1\.80 MHz" --out "compare [0-9.]+ ms, erase 16\.0[0-9]+ s" \
  --out "disconnect 5\.00[0-9] s" --out "12 sectors erased, 1 programmed" --out "verified \(CRC32: 1 written" \
  -- "${B[@]}" "$X/pyocd_default.lua" --profile
# erase_psize other than the program parallelism: luaflash's own flow refuses
# it before touching the target; a bad value is a settings error
check erase-psize-refused 1 --err "setting 'erase_psize' = \"x8\": luaflash's loader erases at the program parallelism \(x32 here\)" \
  -- "${B[@]}" "$X/minimal.lua" erase_psize=x8
check erase-psize-same-ok 0 --out "verified" -- "${B[@]}" "$X/minimal.lua" erase_psize=x32
check erase-psize-bad 2 --err "erase_psize" -- "${B[@]}" "$X/minimal.lua" erase_psize=x7
# the same image again: every page read back equal, nothing erased or written
pst=$tmp/pyocd-state.bin
check example-pyocd-first 0 --out "12 sectors erased" -- "${B[@]}" --bench-state "$pst" "$X/pyocd_default.lua" disconnect_timeout=0
check example-pyocd-unchanged 0 --out "compare [0-9.]+ ms, reset" --out "0 sectors erased, 0 programmed, 1 unchanged" \
  --no-out "erase [0-9]" -- "${B[@]}" --bench-state "$pst" "$X/pyocd_default.lua" disconnect_timeout=0
# the tuned user's overrides (benchmark scenario 2): no compare, sector erase
# (x8: flash_erase32k_ns[x8] 400 ms + the loader's start and stop)
check example-pyocd-tuned 0 --out "at 4\.00 MHz" --out "connect [0-9.]+ ms, erase 40[0-9]\.[0-9] ms" \
  --out "1 sectors erased, 1 programmed" --out "verified \(CRC32: 1 written" --no-out compare \
  -- "${B[@]}" "$X/pyocd_default.lua" erase=sector clock=4MHz keep_unwritten=false smart_flash=false disconnect_timeout=0
check example-pyocd-default-profile 0 --out "^  erase +[0-9.]+ +160[0-9][0-9]\.[0-9]+ " \
  --out "^  program +[0-9.]+ +[0-9.]+ " --out "^disconnect +[0-9.]+ +500[0-9]\.[0-9]+ " \
  -- "${B[@]}" "$X/pyocd_default.lua" --profile --quiet
# a second flash of the same image changes nothing (bench state kept)
st=$tmp/state.bin
check smart-flash-first 0 --out "0 sectors erased, 1 programmed \(1 read blank: not erased\), 0 unchanged" -- "${B[@]}" --bench-state "$st" "$X/minimal.lua"
check smart-flash-again-unchanged 0 --out "0 sectors erased, 0 programmed, 1 unchanged" -- "${B[@]}" --bench-state "$st" "$X/minimal.lua"

# ---- outputs: quiet, plain progress, profile, json, trace ----
check quiet-prints-nothing 0 --no-out . --no-err . -- "${B[@]}" "$X/minimal.lua" --quiet
# (erase_avoid=false: the lines of an erase; a blank board's sector 0 is not erased)
# 200 ms x32 sector erase (streamed) + the rest of the 512 B demo + the CRC32 of
# the 32 KiB sector (8192 words at >= crc_cycles_per_word 4 HCLK; the loader runs
# it from the PLL at 96 MHz: 0.35 ms + the PLL's start and the loop)
check plain-progress-lines 0 --err "^luaflash: erase\+program\+verify +203\.[0-9] ms +32\.1 KiB" \
  --err "^luaflash:   target erase +(19|20)[0-9]\.[0-9] ms +32\.0 KiB" --err "^luaflash: disconnect " -- "${B[@]}" "$X/minimal.lua" erase_avoid=false
check plain-progress-no-carriage-returns 0 --no-err $'\r' -- "${B[@]}" "$X/minimal.lua"
# on a terminal (a pty from script(1)): the bar with phase, bytes, rate, ETA
no_tty=$(no_tty_reason)
if [ -z "$no_tty" ]; then
  # (erase_avoid=false: the sector erase gives the bar time to be drawn)
  (cd "$tmp" && script -qec "'$bin' --bench nucleo-f767zi '$X/minimal.lua' erase_avoid=false" /dev/null) | tr '\r' '\n' >"$tmp/tty"
  if grep -qE '^program +\[#+\.*\] +[0-9]+% [0-9.]+ KiB/64\.1 KiB [0-9.]+ KiB/s ETA [0-9.]+ ms' "$tmp/tty" \
     && grep -qE '^erase\+program\+verify \.\.\.' "$tmp/tty" && ! grep -qE '^luaflash: +target' "$tmp/tty"; then
    pass=$((pass+1)); echo "ok   progress bar on a terminal"
  else
    fail=$((fail+1)); echo "FAIL progress bar on a terminal"; sed 's/^/  tty: /' "$tmp/tty" | head -20
  fi
  (cd "$tmp" && script -qec "'$bin' --bench nucleo-f767zi '$X/minimal.lua' --quiet" /dev/null) >"$tmp/tty"
  [ ! -s "$tmp/tty" ] && { pass=$((pass+1)); echo "ok   --quiet on a terminal prints nothing"; } \
    || { fail=$((fail+1)); echo "FAIL --quiet on a terminal: $(head -c 200 "$tmp/tty")"; }
else
  echo "skip $no_tty, skipping TTY checks (progress bar, --quiet on a terminal)"
fi
check profile-table 0 --out "^phase +host ms +bench ms +bytes +rate +usb xfer +usb bytes" \
  --out "^erase\+program\+verify +[0-9.]+ +203\.[0-9]+ +32\.1 KiB" --out "^total +[0-9.]+ +23[0-9]\.[0-9]+ " \
  -- "${B[@]}" "$X/minimal.lua" --profile --quiet erase_avoid=false
# the ETA from the model (issue 17): within 10 % at 25/50/75 % of a 64 KiB job
lua5.4 -e 'local x, t = 3, {} for i = 1, 65536 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end io.write(table.concat(t))' > "$tmp/eta.bin"
printf 'board = "nucleo_f767zi"\nimage = "%s"\nerase_avoid = false\n' "$tmp/eta.bin" > "$tmp/eta.lua"
check profile-eta-error 0 \
  --out "^   ETA error at 25/50/75 % of the time: model [-+][0-9]\.[0-9] % / [-+][0-9]\.[0-9] % / [-+][0-9]\.[0-9] %; rate so far" \
  -- "${B[@]}" "$tmp/eta.lua" --profile --quiet
# ... and for a compressed upload (the model counts the compressed bytes the
# link carries, not the plan's): within 15 % for the realistic images on a
# blank F767 (66 KB: link bound; 977 KB: flash bound), F429 and Pico (66 KB;
# its routine's own cost per byte, adapter z_cyc_per_byte)
eta15="^   ETA error at 25/50/75 % of the time: model [-+]([0-9]|1[0-4])\.[0-9] % / [-+]([0-9]|1[0-4])\.[0-9] % / [-+]([0-9]|1[0-4])\.[0-9] %; rate so far"
for z in "small nucleo_f767zi nucleo-f767zi" "xl nucleo_f767zi nucleo-f767zi" "small nucleo_f429zi nucleo-f429zi" \
  "small pico pico"; do
  set -- $z
  printf 'board = "%s"\nimage = "%s"\n' "$2" "$top/scripts/realistic-fw/$1.bin" > "$tmp/eta-$1-$2.lua"
  check "profile-eta-error-compressed-$1-$2" 0 --out "compress: on, uploaded" --out "$eta15" \
    -- --bench "$3" "$tmp/eta-$1-$2.lua" --profile
done
check json-result 0 --out '^\{"clock":"bench virtual time"' --no-out "^luaflash:" \
  -- "${B[@]}" "$X/minimal.lua" --json --quiet
cp "$out" "$tmp/ok.json"
json json-schema-success result "$tmp/ok.json" success
# CMSIS-DAP never reports the SWD clock it produces: the summary and --json say
# the clock is the one requested (an ST-LINK's is the one it runs)
check cmsis-dap-clock-is-requested 0 --out "via DAPLink CMSIS-DAP [0-9A-F]+ at 4\.00 MHz requested$" \
  --err "SWD clock 4\.000 MHz requested \(the probe does not report" \
  -- --bench nucleo-f767zi@daplink "$X/minimal.lua" -v
check cmsis-dap-json-clock-requested 0 --out '"clock_requested":true' \
  -- --bench nucleo-f767zi@daplink "$X/minimal.lua" --json --quiet
cp "$out" "$tmp/dap.json"
json json-schema-success-cmsis-dap result "$tmp/dap.json" success
check stlink-json-clock-not-requested 0 --no-out 'clock_requested' -- "${B[@]}" "$X/minimal.lua" --json --quiet
check json-hook-print-goes-to-stderr 0 --out '^\{"clock":"bench virtual time"' --no-out "hello from a hook" \
  --err "hello from a hook	42" -- "${B[@]}" "$P/hook_print.lua" --json --quiet
check hook-print-without-json 0 --out "hello from a hook	42" -- "${B[@]}" "$P/hook_print.lua" --quiet
check trace-file 0 -- "${B[@]}" "$X/minimal.lua" --quiet --trace "$tmp/trace.json" erase_avoid=false
json trace-events trace "$tmp/trace.json" process_name/M images/X connect/X plan/X \
  "erase+program+verify/X" "target erase/X" "target program/X" "target crc32/X" reset/X disconnect/X usb/C \
  "usb in/X" "usb out/X"
json trace-usb-events-match-counters usbsum "$tmp/trace.json" "erase+program+verify"
json trace-usb-events-match-counters-plan usbsum "$tmp/trace.json" plan
# (sector erase and no disconnect wait: the mass erase and the 5 s wait poll
# ~95000 USB transfers, a 12 MB trace)
check trace-equals-form 0 -- "${B[@]}" "$X/pyocd_default.lua" --quiet "--trace=$tmp/trace2.json" \
  erase=sector disconnect_timeout=0
json trace-custom-program trace "$tmp/trace2.json" "program(ctx)/X" erase/X program/X verify/X usb/C
check flash-command-json 0 --out '"ok":true' -- "${B[@]}" flash "$P/app.bin" --board nucleo_f767zi --json --quiet
cp "$out" "$tmp/flash.json"
json json-schema-flash-command result "$tmp/flash.json" success
check flash-command-json-protected 0 --out '"protected":\[' -- "${B[@]}" flash "$P/app.bin" --board nucleo_f767zi \
  --json --quiet "protect=0x08011000:0x100:cal,0x081C0000:0x1000:cal2" allow_protected=cal2
cp "$out" "$tmp/flashp.json"
json json-schema-protected result "$tmp/flashp.json" success

# ---- a board file with behaviour (tests/lua/boards, found through LUAFLASH_BOARDS) ----
# the project's did_connect replaces the board's; its reset runs the board's,
# which runs luaflash's (the reset phase takes its 2.9 ms); the board's
# will_connect and disconnect run as the project defines none
LUAFLASH_BOARDS="$here/boards" check board-behaviour-under-the-project 0 --out "reset 2\.[0-9] ms, disconnect" \
  --out "verified \(CRC32" --no-out "board: did_connect" -- "${B[@]}" "$P/board_behaviour.lua"
tr=$(grep -E "^(board|project): " "$out" | tr '\n' '|')
[ "$tr" = "board: will_connect|project: did_connect (the board's is replaced)|project: reset, then the board's|board: reset, then luaflash's|board: disconnect, then luaflash's|" ] \
  && { pass=$((pass+1)); echo "ok   board and project functions ran in order, the project's first"; } \
  || { fail=$((fail+1)); echo "FAIL board/project function order: $tr"; }
LUAFLASH_BOARDS="$here/boards" check board-behaviour-without-a-project 0 --out "^board: will_connect" \
  --out "^board: did_connect" --out "^board: reset, then luaflash's" --out "reset 2\.[0-9] ms" \
  -- "${B[@]}" flash "$P/app.bin" --board behave_f767zi

# ---- the chip of a project: `chip` (its old name `target` still works), --chip ----
check project-chip-without-board 0 --out "116 bytes: 0 sectors erased, 1 programmed \(1 read blank: not erased\).*verified" \
  -- "${B[@]}" "$P/chip_only.lua"
check project-chip-origin 0 --out 'chip += "stm32f767zi" +-- project .*chip_only\.lua \(.*chip_only\.lua:2\)' \
  -- "${B[@]}" "$P/chip_only.lua" --settings
# ---- a chip's flash described as data (setting `flash`) ----
check project-described-flash-programs 0 --out "^luaflash: STM32F767 as 1 MiB \(described\) via " \
  --out "116 bytes: 0 sectors erased, 1 programmed \(1 read blank: not erased\).*verified" -- "${B[@]}" "$P/described_flash.lua"
check project-described-flash-checks-images 2 \
  --err "image: .*0x08100000.*STM32F767 as 1 MiB \(described\)" -- "${B[@]}" "$P/described_flash.lua" base=0x08100000
check project-described-flash-the-loader-cannot-drive 2 \
  --err "setting 'flash': .*does not follow the 4 x U, 4U, 8U\.\.\. sector shape" --no-err traceback \
  -- "${B[@]}" "$P/described_flash_bad.lua"
# bank 2 of a described dual-bank flash with the default numbering: the
# first erase, started through the debug port (no smart flash: no loader
# yet), must hit bank 2's sector 0 (SNB 0x10) and leave bank 1 alone
std=$tmp/state_dual.bin
FB=(--bench nucleo-f429zi)
check described-dual-bank1-data 0 --out "verified" -- "${FB[@]}" --bench-state "$std" flash "$P/app.bin" \
  --chip stm32f429zi base=0x08010000
check described-dual-bank2-by-address 0 --out "1 sectors erased, 1 programmed.*verified" \
  -- "${FB[@]}" --bench-state "$std" "$P/described_dual.lua" smart_flash=false
check described-dual-bank1-untouched 0 --out "0 sectors erased, 0 programmed, 1 unchanged" \
  -- "${FB[@]}" --bench-state "$std" flash "$P/app.bin" --chip stm32f429zi base=0x08010000
check project-old-target-name-still-works 0 --out "verified" -- "${B[@]}" "$P/old_target.lua"
check project-old-target-origin 0 --out "chip += \"stm32f767zi\" +-- project .*old_target\.lua:2\) as 'target'" \
  -- "${B[@]}" "$P/old_target.lua" --settings
check project-bad-chip 2 --err "bad_chip\.lua:2: setting 'chip': unknown chip 'stm32f76zi' \(did you mean" \
  --no-err traceback -- "${B[@]}" "$P/bad_chip.lua"
check project-chip-on-the-command-line 0 --out 'chip += "stm32f767zi" +-- command line \(--chip\)' \
  --out 'board += "nucleo_f767zi"' -- "${B[@]}" --chip stm32f767zit6 "$X/minimal.lua" --settings
# a chip the board does not carry: stopped after connect, before any write
st3=$tmp/state3.bin
check project-wrong-chip-fails 1 --err "is not the stm32f429zi the settings name" \
  -- "${B[@]}" --bench-state "$st3" "$X/minimal.lua" --chip f429zi
check after-wrong-chip-flash-blank 0 --out "readout: .* CRC32 0x${blank32k_crc}" \
  -- "${B[@]}" --bench-state "$st3" "$X/readout.lua" "$tmp/blank3.bin"

# ---- a project file is code: full standard library, nothing from the cwd ----
# (run from tests/lua/cwd, whose cwd_only_mod.lua the project must not find)
check_dir="$here/cwd"
LF_TEST_PROJECT_CLOCK=1.8MHz check project-uses-io-os-require-and-nothing-from-cwd 0 \
  --out 'board += "nucleo_f767zi" +-- project .*uses_stdlib\.lua:5\)' \
  --out 'clock += 1800000 +-- project .*uses_stdlib\.lua:7\)' \
  --out 'keep_unwritten += true +-- project .*uses_stdlib\.lua:10\)' --no-err . \
  -- "${B[@]}" "$P/uses_stdlib.lua" --settings
LF_TEST_PROJECT_CLOCK=1.8MHz check project-flashes-after-using-io-os-require 0 --out "at 1\.80 MHz" \
  --out "116 bytes: 0 sectors erased, 1 programmed" -- "${B[@]}" "$P/uses_stdlib.lua"
check_dir="$tmp"

# ---- input errors: exit 2, file:line, no traceback, nothing written ----
check unknown-key 2 --err "unknown_key\.lua:4: unknown setting or hook 'clokc' \(did you mean 'clock'\?\)" \
  --no-err traceback -- "${B[@]}" "$P/unknown_key.lua"
check hook-typo 2 --err "hook_typo\.lua:4: unknown setting or hook 'will_conect' \(did you mean 'will_connect'\?\)" \
  --no-err traceback -- "${B[@]}" "$P/hook_typo.lua"
check bad-type 2 --err "bad_type\.lua:4: setting 'smart_flash': expected true or false" --no-err traceback \
  -- "${B[@]}" "$P/bad_type.lua"
check bad-range 2 --err "bad_range\.lua:4: setting 'clock': out of range: 9e\+08 Hz" -- "${B[@]}" "$P/bad_range.lua"
check missing-image 2 --err "missing_image\.lua:3: image: .*/projects/build/missing\.bin: cannot open: No such file" \
  --no-err "engine\.lua" -- "${B[@]}" "$P/missing_image.lua"
check image-outside-flash 2 --err "image_outside\.lua:3: image: .*app\.bin offset 0x0: 0x08200000 is past the end of the 2048 KiB flash" \
  -- "${B[@]}" "$P/image_outside.lua"
check wrong-board 2 --err "wrong_board\.lua:2: unknown board 'nucleo_f767' \(did you mean 'nucleo_f767zi'\?\)" \
  -- "${B[@]}" "$P/wrong_board.lua"
check syntax-error 2 --err "syntax_error\.lua:3: unexpected symbol near '='" -- "${B[@]}" "$P/syntax_error.lua"
# the probe kind reaches the registry: no CMSIS-DAP probe on the bench, a target-stage failure
check probe-kind-selects-the-driver 1 --err "probe \(kind cmsis-dap\): usb: no probe found \(bench backend\)" \
  -- "${B[@]}" "$P/probe_kind.lua"
check input-error-json 2 --out '"ok":false' --out '"stage":"input"' -- "${B[@]}" "$P/missing_image.lua" --json --quiet
cp "$out" "$tmp/in.json"
json json-schema-input-error result "$tmp/in.json" failure
check input-error-json-names-the-line 2 --out '"error":".*missing_image\.lua:3: image: ' -- "${B[@]}" "$P/missing_image.lua" --json
check unknown-key-json 2 --out '^\{"error":".*unknown_key\.lua:4: unknown setting or hook .clokc.' \
  --out '"stage":"input"' -- "${B[@]}" "$P/unknown_key.lua" --json
cp "$out" "$tmp/in2.json"
json json-schema-unknown-key result "$tmp/in2.json" failure
check bad-type-json 2 --out '"error":".*bad_type\.lua:4: setting .smart_flash.: expected true or false' \
  -- "${B[@]}" "$P/bad_type.lua" --json
check kv-error-json 2 --out '"error":"command line argument 1: unknown setting .clokc.' \
  -- "${B[@]}" "$X/minimal.lua" clokc=1 --json
# the board stays untouched by an input error: its flash is still blank
st2=$tmp/state2.bin
check input-error-writes-nothing 2 -- "${B[@]}" --bench-state "$st2" "$P/missing_image.lua"
check after-input-error-flash-blank 0 --out "readout: .* CRC32 0x${blank32k_crc}" \
  -- "${B[@]}" --bench-state "$st2" "$X/readout.lua" "$tmp/blank.bin"

# ---- key=value and option errors ----
check kv-bad-value 2 --err "command line: setting 'clock': expected a number with a unit .*got 'fast'|argument 1.*clock" \
  -- "${B[@]}" "$X/minimal.lua" clock=fast
check kv-unknown-key 2 --err "command line argument 1: unknown setting 'clokc' \(did you mean 'clock'\?\)" \
  -- "${B[@]}" "$X/minimal.lua" clokc=4MHz
check kv-not-key-value 2 --err "command line argument 1 'fast': expected key=value" -- "${B[@]}" "$X/minimal.lua" fast
check kv-bad-enum 2 --err "setting 'erase': expected one of \"sector\", \"chip\", \"auto\", \"fastest\", got \"sectors\" \(did you mean \"sector\"\?\)" \
  -- "${B[@]}" "$X/minimal.lua" erase=sectors
check kv-unit 0 --out "at 1\.80 MHz" -- "${B[@]}" "$X/minimal.lua" clock=1.8MHz
# resource limits (issue 19): an endless hook, an image file beyond image_max_mb
check limit-endless-hook 1 --err "hook did_connect ran 50 million Lua instructions without returning \(an endless loop\? it was at [^)]*hook_loop\.lua:7\); raise the limit with the setting hook_limit" \
  -- "${B[@]}" "$P/hook_loop.lua" hook_limit=50
head -c 2000000 /dev/zero > "$tmp/two_mb.bin"
check limit-image-file 2 --err "two_mb\.bin: larger than 1 MiB, the limit for an image file \(raise it with the setting image_max_mb\)" \
  -- "${B[@]}" flash "$tmp/two_mb.bin" --board nucleo_f767zi image_max_mb=1
check kv-settings-origin 0 --out 'clock += 1800000 +-- command line \(argument 1\)' \
  --out 'disconnect_timeout += 0 +-- board nucleo_f767zi' -- "${B[@]}" "$X/minimal.lua" clock=1.8MHz --settings
check unknown-project-option 2 --err "unknown project option '--profil'" -- "${B[@]}" "$X/minimal.lua" --profil
check trace-needs-file 2 --err "--trace needs a file name" -- "${B[@]}" "$X/minimal.lua" --trace

# ---- a failing hook: file:line + traceback, on_error, reset, probe closed, exit 1 ----
check hook-error 1 --err "^luaflash: .*hook_error\.lua:7: supply too low for programming" \
  --err "stack traceback:" --err "hook_error\.lua:7: in " --err "hook_error\.lua:11: in " \
  --err "on_error called: .*hook_error\.lua:7: supply too low" \
  -- "${B[@]}" "$P/hook_error.lua" --trace "$tmp/fail.json" --quiet
json hook-error-trace-reset-and-close trace "$tmp/fail.json" did_connect/X reset/X disconnect/X close/X
json hook-error-then-reset-disconnect-close order "$tmp/fail.json" \
  "images open connect did_connect! reset disconnect close"
check hook-error-json 1 --out '"ok":false' --out '"stage":"target"' --out 'hook_error\.lua:7: supply too low' \
  -- "${B[@]}" "$P/hook_error.lua" --json --quiet
cp "$out" "$tmp/fail-result.json"
json json-schema-hook-error result "$tmp/fail-result.json" failure
# the schema can fail: a result without its probe is rejected
sed 's/"probe":{[^}]*},//' "$tmp/ok.json" >"$tmp/bad.json"
if "$lua" "$here/check_json.lua" result "$tmp/bad.json" >"$tmp/o" 2>&1; then
  fail=$((fail+1)); echo "FAIL schema accepted a result without probe"
else
  grep -q "missing key 'probe'" "$tmp/o" && { pass=$((pass+1)); echo "ok   schema rejects a result without probe"; } \
    || { fail=$((fail+1)); echo "FAIL schema message: $(cat "$tmp/o")"; }
fi

echo "project tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
