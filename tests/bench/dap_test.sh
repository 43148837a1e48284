#!/usr/bin/env bash
# CMSIS-DAP benchmark regression test (ctest bench_regression_dap): runs the
# suite's CMSIS-DAP scenarios (luaflash through a DAPLink's v2 and v1 HID
# interfaces and a Debug Probe, OpenOCD on both v2 probes) and luaflash's
# RAM rows twice through scripts/benchmark, then tests/bench/dap_check.lua
# asserts the issue's bounds and identical virtual times on the rerun.
#
#   tests/bench/dap_test.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: dap_test.sh BUILD_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ids=dap-v2,dap-rpi,dap-hid,openocd-daplink,openocd-rpi,ram-luaflash-hid,ram-luaflash-v2,ram-luaflash-rpi
for run in 1 2; do
  LF_BUILD_DIR=$build "$top/scripts/benchmark" --out "$work/run$run" --report "$work/run$run/report.md" \
    --only "$ids" --no-callgrind
done
lua5.4 "$top/tests/bench/dap_check.lua" "$top" "$build" "$work/run1/results.json" "$work/run2/results.json"
