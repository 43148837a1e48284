#!/usr/bin/env bash
# CLI tests: runs the built luaflash on tests/lua/*.lua with the virtual
# NUCLEO-F767ZI and checks exit codes (0 ok, 1 failure, 2 usage/input) and
# the text on stdout/stderr.   usage: cli_test.sh LUAFLASH
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
pass=0; fail=0
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

check_dir="$here/cwd"
# shellcheck source=tests/lua/check.sh
. "$here/check.sh"

B=(--bench nucleo-f767zi)
check identify 0 --out "DPIDR 0x5ba02477 IDCODE 0x10016451 STM32F76x/F77x Cortex-M7" \
  --out "args:	2	one	k=v" --out "arg\[0\]:	.*identify.lua" --no-err . \
  -- "${B[@]}" "$here/identify.lua" one k=v
check probe-bench-alias 0 --out "DPIDR 0x5ba02477" -- --probe bench "$here/identify.lua"
check probe-by-serial 0 --out "DPIDR 0x5ba02477" -- "${B[@]}" --probe 066DFF57 "$here/identify.lua"
check probe-wrong-serial 1 --err "identify.lua:3: usb: no probe with serial NOPE \(found: 066DFF575251717867174428 \(bench:1\)\)" -- "${B[@]}" --probe NOPE "$here/identify.lua"
check bus-fault 1 --err "fail_fault.lua:6: .*0x30000000" --err "stack traceback" \
  --err "fail_fault.lua:8: in " -- "${B[@]}" "$here/fail_fault.lua"
check lua-error 1 --err "fail_error.lua:5: deliberate failure" --err "stack traceback" \
  -- "${B[@]}" "$here/fail_error.lua"
check syntax-error 2 --err "syntax_error.lua:2:.*near '='" -- "${B[@]}" "$here/syntax_error.lua"
check usage-error-from-lua 2 --err "usage_error.lua:2: unknown key 'clokc'" --no-err traceback \
  -- "$here/usage_error.lua"
check requires 0 --out "requires ok" -- "$here/requires.lua"
check project-without-board-is-an-input-error 2 --err "no chip: set .board. .* or .chip." \
  -- "${B[@]}" "$here/project_stub.lua"
check bench-from-lua 0 --out "bench ok" -- "$here/bench_lua.lua"
check probes-bench 0 --out "^0 +stlink +ST-LINK/V2-1 +V2J37M26 +066DFF575251717867174428 +bench:1 +3.25 V" \
  -- "${B[@]}" probes
check probes-two-boards-v3 0 --out "^1 +stlink +STLINK-V3 +V3J7M3B5 +066DFF575251717867174402 +bench:2" \
  -- probes --bench nucleo-f767zi,nucleo-f767zi --bench-probe v3
check verbose-info-has-virtual-time 0 --err "^\[ *[0-9.]+ ms \| bench +[0-9.]+ ms\] info: cortex-m: Cortex-M7" \
  --err "\] info: identified STM32F76x/F77x$" --no-err "debug:" -- -v "${B[@]}" "$here/identify.lua"
check verbose-debug 0 --err "\] debug: debug line from Lua" -- -vv "${B[@]}" "$here/identify.lua"
check quiet-by-default 0 --no-err "info:" -- "${B[@]}" "$here/identify.lua"
check missing-script 2 --err "cannot open script .*nothere.lua: No such file" -- "$here/nothere.lua"
check unknown-option 2 --err "unknown option '--bogus'" -- --bogus "$here/identify.lua"
check unknown-command 2 --err "unknown command 'flsh'" -- flsh
check option-needs-value 2 --err "option --bench needs a value" -- "$here/identify.lua" --bench
check no-arguments 2 --err "no script or command given" --
check bad-board 2 --err "unknown board 'nucleo-x'" -- --bench nucleo-x probes
check bad-bench-param 2 --err "no_such" -- --bench-param no_such=1 probes
check bad-fault-spec 2 --err "usb_explode" -- --bench-faults usb_explode@1 probes
check usb-timeout-fault 1 --err "066DFF575251717867174428.*(time|TIME)" \
  -- "${B[@]}" --bench-faults usb_timeout@20 "$here/identify.lua"
check help 0 --out "usage: luaflash" --out "Exit status: 0 success, 1 failure, 2 usage" -- --help
# --help lists every board the bench knows (the list of its unknown-board error)
known=$("$bin" --bench nosuch "$here/identify.lua" 2>&1 | sed -n 's/.*(known: \(.*\))$/\1/p')
help_boards=$("$bin" --help | tr -s ' \n' '  ')
if [ -z "$known" ]; then
  echo "FAIL help-lists-bench-boards: no board list in the --bench error"; fail=$((fail + 1))
else
  missing=""
  for b in ${known//,/ }; do
    case "$help_boards" in *" $b,"* | *" $b;"*) ;; *) missing="$missing $b" ;; esac
  done
  if [ -n "$missing" ]; then
    echo "FAIL help-lists-bench-boards: --help lacks$missing"; fail=$((fail + 1))
  else
    echo "ok   help-lists-bench-boards"; pass=$((pass + 1))
  fi
fi
check version 0 --out "^luaflash [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4" -- --version
check probes-extra-arg 2 --err "probes: unexpected argument 'x'" -- "${B[@]}" probes x

# `luaflash boards`: the bundled boards, one line each (name, target, description)
check boards-lists-the-bundled-boards 0 \
  --out "^nucleo_f429zi +stm32f429zi +ST NUCLEO-F429ZI: STM32F429ZI, 2 MiB dual-bank flash" \
  --out "^nucleo_f767zi +stm32f767zi +ST NUCLEO-F767ZI: STM32F767ZI, 2 MiB flash" --no-err . -- boards
# A LUAFLASH_BOARDS folder whose path holds $(...), a backtick and a double
# quote is data: its boards are listed and no shell runs that text (it would
# create the PWNED files in the current directory, the scratch folder).
scratch=$(mktemp -d)
hostile="$scratch/"'b$(touch PWNED1)`touch PWNED2`"q'
mkdir "$hostile" && cp "$here/../../boards/nucleo_f767zi.lua" "$hostile/my_board.lua"
saved_check_dir=$check_dir; check_dir=$scratch
LUAFLASH_BOARDS="$hostile" check boards-folder-path-is-not-shell-code 0 \
  --out "^my_board +stm32f767zi " --out "^nucleo_f767zi " --no-err . -- boards
check_dir=$saved_check_dir
if [ -z "$(find "$scratch" -name 'PWNED*')" ]; then pass=$((pass+1)); echo "ok   boards-folder-path-ran-no-shell"
else fail=$((fail+1)); echo "FAIL boards-folder-path-ran-no-shell: $(find "$scratch" -name 'PWNED*')"; fi
rm -rf "$scratch"

# ---- --chip PART and `luaflash chips` (lua/luaflash/chips.lua) ----
app=$here/projects/app.bin
check chips-lists-the-parts 0 --out "^chip +family +flash +aliases" \
  --out "^stm32f767zi +STM32F2/F4/F7 +2048 KiB +f767zi$" --out "^stm32f429zi +STM32F2/F4/F7 +2048 KiB +f429zi$" --no-err . -- chips
check chips-extra-arg 2 --err "chips: unexpected argument 'x'" -- chips x
check chip-before-the-command 0 --out "116 bytes: 0 sectors erased, 1 programmed \(1 read blank: not erased\).*verified" \
  -- "${B[@]}" --chip STM32F767ZI flash "$app"
check chip-after-the-command-short-alias 0 --out "verified" -- "${B[@]}" flash "$app" --chip f767zi
check chip-ordering-code-names-its-part 0 --out 'chip += "stm32f767zi" +-- command line \(--chip\)' \
  -- "${B[@]}" flash "$app" --chip STM32F767ZITx --settings
check chip-equals-form 0 --out 'chip += "stm32f767zi" +-- command line' -- "${B[@]}" flash "$app" --chip=F767ZIT6 --settings
check chip-word-wins-over-the-option 0 --out 'chip += "stm32f429zi" +-- command line \(argument 1\)' \
  -- "${B[@]}" flash "$app" --chip f767zi chip=stm32f429zi --settings
check unknown-chip-suggests 2 --err "^luaflash: --chip: setting 'chip': unknown chip 'stm32f42zi' \(did you mean 'stm32f429zi'\?\); luaflash chips lists" \
  --no-err traceback -- "${B[@]}" flash "$app" --chip stm32f42zi
check flash-needs-a-board-or-a-chip 2 --err "no chip: set 'board' \(luaflash boards lists them\) or 'chip'" \
  -- "${B[@]}" flash "$app"
check chip-needs-a-value 2 --err "option --chip needs a value" -- flash "$app" --chip
check wrong-chip-fails-before-writing 1 --err "connected chip STM32F76x/F77x \(DEV_ID 0x451\) is not the stm32f429zi" \
  --err "nothing was written" --no-err traceback -- "${B[@]}" --chip stm32f429zi flash "$app"
check chip-reaches-every-gang-thread 0 --out "^#1 .* passed" --out "^#2 .* passed" \
  -- --bench nucleo-f767zi,nucleo-f767zi --chip f767zi flash "$app" --all-probes
check help-names-chips-and-chip 0 --out "^  chips +list the known chips" --out "^  --chip PART +the chip" \
  --out "flash FILE --board NAME \| --chip PART" -- --help

# libusb backend on a machine without probes: the "no probe" answer, fast
check probes-libusb-none 0 --out "^no probes found \(looked for: stlink, cmsis-dap on USB\)" -- probes
check open-libusb-none 1 --err "identify.lua:3: usb: no probe found \(libusb backend\)" -- "$here/identify.lua"
# the state file is written when the bench closes, also after a failing script
state=$(mktemp -u)
check state-saved-on-failure 1 -- --bench nucleo-f767zi --bench-state "$state" "$here/fail_error.lua"
if [ -s "$state" ]; then pass=$((pass+1)); echo "ok   state-file-written"
else fail=$((fail+1)); echo "FAIL state-file-written: $state missing"; fi
check state-reloaded 0 --out "DPIDR 0x5ba02477" -- --bench-state "$state" "$here/identify.lua"
rm -f "$state"

# The same script through libusb + the libusb stand-in gives the same
# virtual time, time per category and counters as the in-process bench
# transport (cmake/standin.cmake builds it); only the stand-in's own lines
# (host:, ==, standin:) are left out.
standin=$(dirname "$bin")/standin
if [ -e "$standin/libusb-1.0.so.0" ]; then
  r1=$(mktemp); r2=$(mktemp)
  o1=$(cd "$here/cwd" && "$bin" --bench nucleo-f767zi "$here/transport.lua" "$r1" 2>&1)
  o2=$(cd "$here/cwd" && LF_BENCH_REPORT="$r2" LD_LIBRARY_PATH="$standin" "$bin" "$here/transport.lua" 2>&1)
  keep='^(virtual time|  usb|  probe_fw|  swd|  timeout|  run|usb:|swd:|flash:|board:|core:)'
  if [ -n "$o1" ] && [ "$o1" = "$o2" ] && diff <(grep -E "$keep" "$r1") <(grep -E "$keep" "$r2") >/dev/null \
     && [ "$(grep -cE "$keep" "$r1")" -eq 11 ]; then
    pass=$((pass+1)); echo "ok   standin-same-counters-and-time ($(grep -E '^virtual time' "$r1") on both transports)"
  else
    fail=$((fail+1)); echo "FAIL standin-same-counters"; echo "$o1"; echo "$o2"; diff "$r1" "$r2"
  fi
  rm -f "$r1" "$r2"
else
  echo "skip standin-same-counters (no $standin/libusb-1.0.so.0)"
fi

echo "cli tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
