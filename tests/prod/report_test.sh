#!/usr/bin/env bash
# `luaflash report`: three stations flash gangs of virtual boards into one
# SQLite database (station 2's board 3 fails with a flash error), then the
# report says what happened: yield per station, the failure grouped by phase
# and error, median and p95 times, the serial audit; --csv, --boards-csv and
# --svg; bad arguments are usage errors.   usage: report_test.sh LUAFLASH
set -u
LF=$1
HERE=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export LUAFLASH_PROD_DIR=$dir
pass=0; fail=0
echo "[==========] prod_report"
ok() { pass=$((pass+1)); echo "[       OK ] $1"; }
bad() { fail=$((fail+1)); echo "[  FAILED  ] $1"; sed 's/^/    /' "$dir/out" | head -20; }
has() { grep -qE -- "$2" "$dir/out" && ok "$1" || bad "$1: output lacks /$2/"; }

B4=nucleo-f767zi,nucleo-f767zi,nucleo-f767zi,nucleo-f767zi
B3=nucleo-f767zi,nucleo-f767zi,nucleo-f767zi
run() { # STATION ARGS...
  local st=$1; shift
  LUAFLASH_PROD_STATION="station-$st" "$LF" "$@" >>"$dir/st$st.out" 2>&1
}
run 1 --bench "$B4" "$HERE/job_plain.lua" --all-probes
run 3 --bench "$B4" "$HERE/job_plain.lua" --all-probes
# station 2: three boards pass, a fourth fails with a flash error (WRPERR)
run 2 --bench "$B3" "$HERE/job_plain.lua" --all-probes
run 2 --bench nucleo-f767zi --bench-faults "flash_error@2:0x10" "$HERE/job_plain.lua"
grep -q "WRPERR" "$dir/st2.out" && ok "station 2: one board failed" || { cp "$dir/st2.out" "$dir/out"; bad "station 2"; }

"$LF" report "$dir/production.db" >"$dir/out" 2>&1; st=$?
[ $st -eq 0 ] && ok "report exits 0" || bad "report exit $st"
has "yield per station" "^station-2 +4 +3 +1 +0 +75\.0% +0\.[0-9]{3} s +0\.[0-9]{3} s"
has "all stations" "^all +12 +11 +1 +0 +91\.7%"
has "failure by phase and error" "^ +1  program +flash: program 0x… \(sector N\) failed: FLASH_SR 0x… \(WRPERR\)  \[station-2\]"
has "serial audit" "serial numbers \(range default\): 11 passed, 1 failed, 0 unknown.*audit: 0 on two passed boards, 0 outcomes without"
"$LF" report "$dir/production.db" --station station-1 >"$dir/out" 2>&1
has "--station filters" "^station-1 +4 +4 +0"
"$LF" report "$dir/production.db" --csv >"$dir/out" 2>&1
has "--csv" "^station-2,4,3,1,0,0\.7500,0\.[0-9]+,0\.[0-9]+$"
"$LF" report "$dir/production.db" --boards-csv >"$dir/out" 2>&1
[ "$(grep -c ',passed,' "$dir/out")" = 11 ] && ok "--boards-csv: every record" || bad "--boards-csv"
"$LF" report "$dir/production.db" --svg "$dir/r.svg" >"$dir/out" 2>&1
grep -q "75.0%" "$dir/r.svg" && grep -q "</svg>" "$dir/r.svg" && ok "--svg chart" || bad "--svg"
"$LF" report "$dir/nope.db" >"$dir/out" 2>&1; st=$?
[ $st -eq 2 ] && has "missing database: usage error" "no such database file: .*nope.db" || bad "missing db exit $st"
"$LF" report "$dir/production.db" --bogus >"$dir/out" 2>&1; st=$?
[ $st -eq 2 ] && has "unknown option: usage error" "unknown option '--bogus'" || bad "unknown option exit $st"

echo "[==========] $((pass+fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)"; exit 1; }
