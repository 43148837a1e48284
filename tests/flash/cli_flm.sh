#!/usr/bin/env bash
# The command line with CMSIS packs and FLMs on the bench: chips --pack
# lists the test pack's devices; a pack flash verifies; a device the pack
# lacks and a broken FLM are input errors (exit 2) before any write; a
# failing algorithm is a target error (exit 1) naming the file, the
# function and the page.
set -uo pipefail
lf=$1
top=${LF_SOURCE_DIR:?run through ctest}
pack=$top/tests/data/flm/Luaflash.BenchParts_DFP.1.0.0.pack
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name, want status, pattern, command...
  local name=$1 want=$2 pat=$3; shift 3
  local out st
  out=$("$@" 2>&1); st=$?
  if [ "$st" -eq "$want" ] && grep -q -- "$pat" <<<"$out"; then
    echo "ok   $name"
  else
    echo "FAIL $name (status $st, want $want; expected '$pat')"; echo "$out" | tail -5; fails=$((fails + 1))
  fi
}
head -c 40000 /dev/urandom > "$tmp/img.bin"
head -c 3000 "$top/tests/data/flm/lf_stm32f76x_2048.FLM" > "$tmp/trunc.FLM"
check chips_pack 0 "STM32F429ZIYx .*Flash/lf_stm32f42x_2048.FLM" "$lf" chips --pack "$pack"
check pack_flash 0 "verified" "$lf" --bench nucleo-f767zi flash "$tmp/img.bin" --pack "$pack" --chip STM32F767ZI
check pack_no_device 2 "no device 'STM32F746NG' in the pack" \
  "$lf" --bench nucleo-f767zi flash "$tmp/img.bin" --pack "$pack" --chip STM32F746NG
check truncated_flm 2 "trunc.FLM: not a usable FLM" \
  "$lf" --bench nucleo-f767zi flash "$tmp/img.bin" --chip STM32F767ZI flm="$tmp/trunc.FLM"
check failing_algorithm 1 "lf_bad_error.FLM.*0x08008000.*ProgramPage returned 1" \
  "$lf" --bench nucleo-f767zi flash "$tmp/img.bin" --chip STM32F767ZI flm="$top/tests/data/flm/lf_bad_error.FLM"
check classic_flash 0 "verified" "$lf" --bench nucleo-f429zi flash "$tmp/img.bin" --pack "$pack" \
  --chip STM32F429ZITx flm_mode=classic
[ "$fails" -eq 0 ] && echo "cli_flm: 6 passed, 0 failed" || { echo "cli_flm: $fails failed"; exit 1; }
