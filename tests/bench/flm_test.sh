#!/usr/bin/env bash
# Benchmark regression test of the CMSIS-Pack flash algorithms (ctest
# bench_regression_flm, label slow; issue 16): luaflash's own F767 FLM
# streamed within 1.15 x the flash floor, pyOCD 0.13.1's F439 algorithm
# through luaflash's streamed adapter at least 2 x faster than pyOCD itself
# running it on the same (blank) bench, and the same algorithm over other
# firmware (every sector erased) never slower than pyOCD. One run each
# (the other regression tests check that reruns are identical).
#
#   tests/bench/flm_test.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: flm_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
LF_BUILD_DIR=$build "$top/scripts/benchmark" --out "$work/run" --report "$work/run/report.md" \
  --only flm-f767,flm-pyocd-f429,blank-flm-pyocd-f429,pyocd-f429 --no-callgrind
lua5.4 "$top/tests/bench/check_flm.lua" "$top" "$build" "$work/run/results.json"
