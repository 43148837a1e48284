#!/usr/bin/env bash
# A production line on PostgreSQL: a throwaway PostgreSQL server
# (tests/prod/pgserver.sh: a fresh cluster on a loopback port, as an
# unprivileged user), three "stations" (luaflash processes, each a gang of
# virtual boards) flashing at the same time from one serial range, with
# random kill -9 of stations; then the server restarted under running
# stations; then a station that cannot reach the database. The audit
# (crash_check.lua) must find 0 numbers handed out twice and 0 outcomes lost
# or doubled. Skips (77) only when no server can start here.
#   pg_test.sh path/to/luaflash [ROUNDS]
set -u
LF=$1
ROUNDS=${2:-12}
HERE=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/lf_pg_XXXXXX)
chmod 755 "$work"
stop() { bash "$HERE/pgserver.sh" stop "$work/srv"; }
cleanup() { stop; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
echo "[==========] prod_postgresql"
if ! url=$(bash "$HERE/pgserver.sh" start "$work/srv" 2>"$work/start.err"); then
  echo "SKIPPED: no PostgreSQL server could be started here: $(cat "$work/start.err")"
  exit 77
fi
echo "server: $url"
export LUAFLASH_PROD_DB=$url
export LUAFLASH_PROD_DIR=$work
fail=0
B=$(printf 'nucleo-f767zi,%.0s' $(seq 5)); B=${B%,}

station() { # N TAG: one station's run (a gang of 5 boards) in the background; pid in $!
  LUAFLASH_PROD_STATION="station-$1" "$LF" --bench "$B" "$HERE/job_plain.lua" --all-probes \
    >"$work/st$1.$2.out" 2>&1 &
}

RANDOM=21   # repeatable kill moments
kills=0 runs=0
for ((r = 0; r < ROUNDS; r++)); do
  pids=()
  for s in 1 2 3; do station "$s" "r$r"; pids+=($!); runs=$((runs + 1)); done
  # (a station's run takes ~0.2 s of host time: kill one or two inside it)
  sleep "0.$(printf '%03d' $((20 + RANDOM % 160)))"
  victim=$((RANDOM % 3))
  kill -9 "${pids[$victim]}" 2>/dev/null
  if [ $((RANDOM % 2)) -eq 0 ]; then
    sleep "0.0$((RANDOM % 10))"; kill -9 "${pids[$(((victim + 1) % 3))]}" 2>/dev/null
  fi
  for i in 0 1 2; do
    wait "${pids[$i]}"; st=$?
    if [ "$st" -eq 137 ]; then kills=$((kills + 1))
    elif [ "$st" -ne 0 ]; then
      echo "[  FAILED  ] station $((i + 1)) was not killed but failed (exit $st):"
      tail -4 "$work/st$((i + 1)).r$r.out"; fail=1
    fi
  done
done
echo "[       OK ] $runs station runs, $kills killed by SIGKILL"

# the server restarts while the three stations run: transactions in flight
# fail, the stations reconnect (bounded retries); whatever failed says so
pids=()
for s in 1 2 3; do station "$s" restart; pids+=($!); runs=$((runs + 1)); done
sleep 0.08
bin=$(dirname "$(command -v pg_ctl 2>/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")
as=(); [ "$(id -u)" -eq 0 ] && as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
"${as[@]}" "$bin/pg_ctl" -D "$work/srv/data" -m fast -w restart >/dev/null 2>&1 || { echo "[  FAILED  ] restart"; fail=1; }
rfail=0
for i in 0 1 2; do
  wait "${pids[$i]}"; st=$?
  out="$work/st$((i + 1)).restart.out"
  # a station either finished, or failed saying the database was the cause
  if [ $st -ne 0 ] && ! grep -q "database\|connection" "$out"; then
    echo "[  FAILED  ] station $((i + 1)) during the restart: exit $st without naming the database:"
    tail -4 "$out"; rfail=1
  fi
  grep -h "passed\|failed" "$out" | grep -c "^#" >/dev/null
done
[ $rfail -eq 0 ] && echo "[       OK ] server restarted under 3 running stations: $(grep -l "lost\|terminat\|connection" "$work"/st*.restart.out 2>/dev/null | wc -l) station(s) saw it" || fail=1

# one more run per station to the end: all boards pass, numbering goes on
for s in 1 2 3; do
  if ! LUAFLASH_PROD_STATION="station-$s" "$LF" --bench "$B" "$HERE/job_plain.lua" --all-probes \
      >"$work/last$s.out" 2>&1; then
    echo "[  FAILED  ] station $s after the kills:"; tail -5 "$work/last$s.out"; fail=1
  fi
  runs=$((runs + 1))
done
[ $fail -eq 0 ] && echo "[       OK ] every station flashes again after the kills and the restart"

# the audit: no number twice, no outcome lost or doubled
"$LF" "$HERE/crash_check.lua" "$runs" "$kills" || fail=1

# a station that cannot reach its database flashes nothing
stop
"$LF" --bench-state "$work/unreached.state" --bench nucleo-f767zi "$HERE/job_plain.lua" >"$work/down.out" 2>&1
st=$?
if [ $st -ne 0 ] && grep -q "cannot connect" "$work/down.out" && [ ! -s "$work/unreached.state.written" ]; then
  if grep -q "erase\|program" "$work/down.out"; then
    echo "[  FAILED  ] the unreachable station flashed:"; cat "$work/down.out"; fail=1
  else
    echo "[       OK ] a station without its database stops before any board: $(grep -o 'cannot connect[^:]*' "$work/down.out" | head -1)"
  fi
else
  echo "[  FAILED  ] database down: exit $st:"; cat "$work/down.out"; fail=1
fi
[ $fail -eq 0 ] && echo "[  PASSED  ] prod_postgresql" || { echo "[  FAILED  ] prod_postgresql"; exit 1; }
