#!/usr/bin/env bash
# Builds the realistic benchmark images (issue 17): STM32F767 applications
# from scripts/realistic-fw/ linked against code nobody here wrote, newlib's
# libc/libm and libstdc++ (Debian gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# libstdc++-arm-none-eabi-newlib; scripts/setup installs them), written to
# scripts/realistic-fw/<name>.bin (committed: the benchmark flashes them):
#   small   C,   -Os: libc stdio with floats, libm, qsort/strtod      ~66 KB
#   medium  C++, -Os: containers, string streams, exceptions         ~300 KB
#   large   C++, -O0 (a debug build): iostreams, locales, wide       ~680 KB
#           streams, regex, random, valarray, variant, ...
#   xl      C++, -O0: large + a report module (locale facets for char and   ~980 KB
#           wchar_t, every regex syntax, codecvt, chrono, algorithms over
#           many element types)
# The images are real Thumb-2 code and constants (what a user flashes),
# unlike the pseudo-random benchmark image (incompressible: the worst case
# for compressed upload). Flags are fixed and the build has no timestamps or
# build ids, so the same toolchain gives the same bytes.
#   scripts/gen-realistic.sh [OUTDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/scripts/realistic-fw
out=${1:-$src}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${ARM_CC:-arm-none-eabi-gcc}
CXX=${ARM_CXX:-arm-none-eabi-g++}
OBJCOPY=${ARM_OBJCOPY:-arm-none-eabi-objcopy}
cpu=(-mcpu=cortex-m7 -mthumb -mfloat-abi=soft)
link=(--specs=nosys.specs -nostartfiles -Wl,--gc-sections -Wl,--build-id=none -T "$src/app.ld")
cd "$src" # relative paths only
"$CC" "${cpu[@]}" -Os -ffunction-sections -fdata-sections -c startup.c -o "$tmp/startup.o"
# name  compiler  source  flags
while read -r name comp file opt; do
  [ "$comp" = cc ] && c=$CC || c=$CXX
  "$c" "${cpu[@]}" $opt -ffunction-sections -fdata-sections "${link[@]}" -o "$tmp/$name.elf" \
    "$tmp/startup.o" "$file" -lm 2> "$tmp/$name.log" || { cat "$tmp/$name.log" >&2; exit 1; }
  "$OBJCOPY" -O binary "$tmp/$name.elf" "$out/$name.bin"
  echo "gen-realistic: $name.bin $(stat -c %s "$out/$name.bin") bytes"
done <<'LIST'
small cc small.c -Os
medium cxx medium.cpp -Os
large cxx large.cpp -O0 -std=gnu++17
xl cxx xl.cpp -O0 -std=gnu++17
LIST
