#!/usr/bin/env bash
# Benchmark regression test of the NUCLEO-H743ZI (ctest bench_regression_h7,
# label slow): runs the H743 scenarios of the suite twice through
# scripts/benchmark, then tests/bench/check_h7.lua asserts issue 14's ratios
# (floors computed from the parameter table) and identical virtual times.
#
#   tests/bench/bench_test_h7.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: bench_test_h7.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ids=h743-full,h743-unchanged,h743-openocd,h743-2m,h743-2m-upload,h743-2m-v3,h743-2m-v3-upload
for run in 1 2; do
  LF_BUILD_DIR=$build "$top/scripts/benchmark" --out "$work/run$run" --report "$work/run$run/report.md" \
    --only "$ids" --no-callgrind
done
lua5.4 "$top/tests/bench/check_h7.lua" "$top" "$build" "$work/run1/results.json" "$work/run2/results.json"
