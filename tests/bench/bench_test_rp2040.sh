#!/usr/bin/env bash
# Benchmark regression test of the Raspberry Pi Pico (ctest
# bench_regression_rp2040, label slow): runs the suite's group-11 scenarios
# twice through scripts/benchmark (and issue 17's blank 65 KB and realistic
# 977 KB rows), then tests/bench/check_rp2040.lua asserts issue 15's and 17's
# ratios (floors computed from the parameter table) and identical virtual
# times.
#
#   tests/bench/bench_test_rp2040.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: bench_test_rp2040.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ids=pico-1m5,blank-pico-1m5,pico-1m5-unchanged,pico-1m5-upload,openocd-pico-1m5,pico-65k,openocd-pico-65k,blank-pico-65k,pico-65k-upload,z-xl-pico
for run in 1 2; do
  LF_BUILD_DIR=$build "$top/scripts/benchmark" --out "$work/run$run" --report "$work/run$run/report.md" \
    --only "$ids" --no-callgrind
done
lua5.4 "$top/tests/bench/check_rp2040.lua" "$top" "$build" "$work/run1/results.json" "$work/run2/results.json"
