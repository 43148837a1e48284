#!/bin/bash
# kill -9 of luaflash at random moments while it gang-flashes 20 virtual
# boards, RUNS times over the same production database (SQLite); then one
# run to the end; then tests/prod/crash_check.lua checks the database.
#   crash_test.sh path/to/luaflash [RUNS]
set -u
LF=$1
RUNS=${2:-25}
HERE=$(cd "$(dirname "$0")" && pwd)
export LUAFLASH_PROD_DIR=$(mktemp -d /tmp/lf_crash_XXXXXX)
[ -n "${KEEP:-}" ] && echo "$LUAFLASH_PROD_DIR" || trap 'rm -rf "$LUAFLASH_PROD_DIR"' EXIT
B=$(printf 'nucleo-f767zi,%.0s' $(seq 20)); B=${B%,}
RANDOM=8   # repeatable kill moments
kills=0
for ((i = 0; i < RUNS; i++)); do
  "$LF" --bench "$B" "$HERE/job_plain.lua" --all-probes >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 600)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid"
  [ $? -eq 137 ] && kills=$((kills + 1))
done
# a last run to the end: all 20 boards pass, numbering goes on
if ! "$LF" --bench "$B" "$HERE/job_plain.lua" --all-probes >/dev/null 2>"$LUAFLASH_PROD_DIR/last.err"; then
  echo "[  FAILED  ] the run after the kills failed:"; tail -5 "$LUAFLASH_PROD_DIR/last.err"; exit 1
fi
exec "$LF" "$HERE/crash_check.lua" "$((RUNS + 1))" "$kills"
