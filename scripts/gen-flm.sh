#!/usr/bin/env bash
# Builds luaflash's own CMSIS-Pack flash algorithms (tests/data/flm/*.c ->
# *.FLM, ELF files in the standard FLM layout: flm.ld) with
# arm-none-eabi-gcc, and the small device pack around them
# (tests/data/flm/pack/*.pdsc -> Luaflash.BenchParts_DFP.1.0.0.pack, a zip
# with fixed timestamps). The outputs are committed; tests/unit/test_flm.c
# rebuilds them into a temporary folder and fails when they differ.
#   scripts/gen-flm.sh [OUTDIR]      (default: tests/data/flm)
# No timestamps, build ids or absolute paths: the same compiler gives the
# same bytes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/tests/data/flm
out=${1:-$src}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${ARM_CC:-arm-none-eabi-gcc}
cd "$src" # relative paths only
# Cortex-M3 code (ARMv7-M: runs on the M4 and M7); r9 is the static base.
flags=(-mcpu=cortex-m3 -mthumb -mfloat-abi=soft -Os -ffreestanding -nostdlib -fno-common
       -ffixed-r9 -fno-builtin -Wall -Wextra -Werror -g0 -Wl,--build-id=none -Wl,-e,0
       -Wl,-T,flm.ld)
build() { # name, defines...
  local name=$1; shift
  "$CC" "${flags[@]}" "$@" -o "$out/$name.FLM" stm32f4f7_flm.c
}
build lf_stm32f76x_2048 -DLF_FLM_DEV_F767
build lf_stm32f42x_2048 -DLF_FLM_DEV_F429
# algorithms that fail on purpose at the page 0x08008000 (tests only)
build lf_bad_error -DLF_FLM_DEV_F767 -DLF_FLM_BAD=1
build lf_bad_fault -DLF_FLM_DEV_F767 -DLF_FLM_BAD=2
build lf_bad_hang -DLF_FLM_DEV_F767 -DLF_FLM_BAD=3
# the pack: the pdsc at the root, the algorithms under Flash/
python3 - "$out" "$src/pack/Luaflash.BenchParts_DFP.pdsc" <<'PY'
import sys, zipfile
out, pdsc = sys.argv[1], sys.argv[2]
members = [("Luaflash.BenchParts_DFP.pdsc", pdsc),
           ("Flash/lf_stm32f76x_2048.FLM", out + "/lf_stm32f76x_2048.FLM"),
           ("Flash/lf_stm32f42x_2048.FLM", out + "/lf_stm32f42x_2048.FLM")]
with zipfile.ZipFile(out + "/Luaflash.BenchParts_DFP.1.0.0.pack", "w") as z:
    for name, path in members:
        info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with open(path, "rb") as f:
            z.writestr(info, f.read())
PY
