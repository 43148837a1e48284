#!/usr/bin/env bash
# nRF52840 benchmark regression test (ctest bench_regression_nrf52, issue
# 15): runs the suite's group-10 scenarios (luaflash defaults, unchanged
# re-flash, OpenOCD on the nRF52840 DK through a DAPLink) twice through
# scripts/benchmark, then tests/bench/nrf52_check.lua asserts the bounds and
# identical virtual times on the rerun.
#
#   tests/bench/nrf52_test.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: nrf52_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ids=nrf52,nrf52-unchanged,openocd-nrf52
for run in 1 2; do
  LF_BUILD_DIR=$build "$top/scripts/benchmark" --out "$work/run$run" --report "$work/run$run/report.md" \
    --only "$ids" --no-callgrind
done
grep -q "^## 9\. nRF52840 DK" "$work/run1/report.md" || { echo "FAIL report has no section 9"; exit 1; }
lua5.4 "$top/tests/bench/nrf52_check.lua" "$top" "$build" "$work/run1/results.json" "$work/run2/results.json"
