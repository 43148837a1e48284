#!/usr/bin/env bash
# Benchmark regression test (ctest bench_regression): runs the scenarios the
# suite's ratios need (luaflash full program and unchanged re-flash of the
# 65 KB image, OpenOCD and st-flash on the same image; the same for the
# NUCLEO-F103RB and NUCLEO-L476RG with OpenOCD) twice through
# scripts/benchmark, then tests/bench/check.lua asserts the ratios and that
# both runs gave identical virtual times. No host timings are asserted.
#
#   tests/bench/bench_test.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: bench_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ids=full,blank-f767,ram-luaflash-stlink,unchanged,openocd,st-flash,f103,f103-unchanged,openocd-f103,l476,l476-unchanged,openocd-l476
ids=$ids,blank-f429,ram-luaflash-stlink-f429,z-small-f429,z-small-f429-erase,z-xl-f429,z-small,z-small-erase
for run in 1 2; do
  LF_BUILD_DIR=$build "$top/scripts/benchmark" --out "$work/run$run" --report "$work/run$run/report.md" \
    --only "$ids" --no-callgrind
done
lua5.4 "$top/tests/bench/check.lua" "$top" "$build" "$work/run1/results.json" "$work/run2/results.json"
