#!/usr/bin/env bash
# The production gang over libusb (issue 8): luaflash finds its probes through
# libusb and runs one thread per probe, each with its own libusb context, here
# against the bench's libusb stand-in (<build>/standin/libusb-1.0.so.0), so the
# code path real hardware takes runs in CI.
#
#   tests/prod/gang_usb_test.sh BUILD_DIR [RUNS]
#
# RUNS (default 20) runs of scripts/production.lua on 4 virtual boards
# (SER1..SER4), alternating:
#   - all pass: exit 0, "4 passed", every board's flash (its state file, read
#     with lf-bench-check) holds the serial number its board-log line names,
#     four different serials; the per-board modeled times are the same in
#     every run (one virtual timeline per thread: no host-order effects);
#   - one board N (1..4 in turn) with a fault (LF_BENCH_FAULTS_<N>): a flash
#     error (the first erase fails with WRPERR) in the first four such runs,
#     unplugged mid-job (every USB transfer from the 60th on stalls) in the
#     next four, and so on: exit 1, "1 of 4 board(s) failed", that board
#     recorded failed with its error and its serial marked failed in the
#     database, the other three passed with their serials in flash.
# The first all-pass run preloads the stand-in (with the sanitizer runtime,
# ASan or TSan, first when the stand-in is a sanitizer build), as
# scripts/bench-peer does; the others find it through LD_LIBRARY_PATH. Any
# sanitizer report (ASan, LeakSanitizer, UBSan, TSan) fails the run.
set -u
build=$(cd "${1:?usage: gang_usb_test.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/prod
bin=$build/luaflash
standin=$build/standin
check=$build/lf-bench-check
for f in "$bin" "$standin/libusb-1.0.so.0" "$check"; do
  [ -e "$f" ] || { echo "gang_usb: missing $f"; exit 1; }
done
preload=$standin/libusb-1.0.so.0
asan=$(ldd "$preload" 2>/dev/null | awk '/lib[at]san/ {print $3}')
[ -n "$asan" ] && preload="$asan $preload"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
boards=nucleo-f767zi:SER1,nucleo-f767zi:SER2,nucleo-f767zi:SER3,nucleo-f767zi:SER4
times_ref=

# field VALUE of KEY in a JSON line (flat strings only: enough for the board log)
jfield() { sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$1"; }

bad() { fail=$((fail+1)); echo "FAIL run $1: $2"; [ -n "${3:-}" ] && cat "$3"; }

for ((k = 1; k <= runs; k++)); do
  d=$work/run$k
  mkdir -p "$d/state" "$d/out"
  faulty=0 fault_env=() want_err=
  if ((k % 2 == 0)); then
    faulty=$(( (k / 2 - 1) % 4 + 1 ))
    if (( (k / 2 - 1) / 4 % 2 == 0 )); then
      fault_env=("LF_BENCH_FAULTS_$faulty=flash_error@1:0x10") want_err=WRPERR
    else
      fault_env=("LF_BENCH_FAULTS_$faulty=$(seq -s, -f 'usb_stall@%g' 60 75)") want_err=stalled
    fi
  fi
  pre=()
  ((k == 1)) && pre=("LD_PRELOAD=$preload")
  env "${pre[@]}" "${fault_env[@]}" LD_LIBRARY_PATH="$standin" LF_BENCH_BOARDS=$boards \
    LF_BENCH_STATE="$d/state/" LF_BENCH_REPORT="$d/report.txt" LUAFLASH_PROD_DIR="$d/out" \
    timeout 60 "$bin" "$top/scripts/production.lua" >"$d/stdout" 2>"$d/stderr"
  rc=$?
  cat "$d/stdout" "$d/stderr" >"$d/all"
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$d/all"; then
    bad $k "sanitizer report" "$d/all"; continue
  fi
  if ((faulty == 0)); then
    want_rc=0 want_sum="4 board(s): 4 passed, 0 failed, 0 skipped"
  else
    want_rc=1 want_sum="1 of 4 board(s) failed"
  fi
  if [ $rc -ne $want_rc ] || ! grep -qF "$want_sum" "$d/all"; then
    bad $k "exit $rc (want $want_rc) or no '$want_sum' (fault on board $faulty: ${fault_env[*]})" "$d/all"; continue
  fi
  ok=1 serials=
  "$bin" "$here/dump_records.lua" "$d/out/production.db" >"$d/records.jsonl" 2>&1 || { ok=0; cat "$d/records.jsonl"; }
  for n in 1 2 3 4; do
    line=$(grep "\"probe\":\"SER$n\"" "$d/records.jsonl")
    if [ "$(grep -c . <<<"$line")" -ne 1 ]; then ok=0; echo "  SER$n: $(grep -c . <<<"$line") board-log lines"; continue; fi
    result=$(jfield "$line" result) sn=$(jfield "$line" serial)
    if ((n == faulty)); then
      if [ "$result" != failed ] || ! grep -q "$want_err" <<<"$line"; then ok=0; echo "  SER$n (faulty): $line"; fi
      if [ "$(jfield "$line" state)" != failed ]; then
        ok=0; echo "  SER$n: serial $sn not marked failed in the database"
      fi
      continue
    fi
    [ "$result" = passed ] || { ok=0; echo "  SER$n: $line"; continue; }
    printf '%s\0' "$sn" >"$d/sn$n.bin"
    if ! "$check" --board nucleo-f767zi --state "$d/state/SER$n.state" --compare "$d/sn$n.bin" \
         --at 0x08007F00 >"$d/check$n" 2>&1; then
      ok=0; echo "  SER$n: flash at 0x08007F00 does not hold $sn"; cat "$d/check$n"
    fi
    serials="$serials $sn"
  done
  dups=$(tr ' ' '\n' <<<"$serials" | grep . | sort | uniq -d)
  [ -n "$dups" ] && { ok=0; echo "  serial given twice: $dups"; }
  if ((faulty == 0)); then
    # "#1  SER1   passed  SN001003   289.7 ms": the times without the serials
    times=$(grep -E '^#[0-9]' "$d/stdout" | awk '{print $1, $2, $3, $(NF-1), $NF}' | tr '\n' ';')
    if [ -z "$times_ref" ]; then
      times_ref=$times
      echo "     modeled times per board: $times"
    elif [ "$times" != "$times_ref" ]; then
      ok=0; echo "  modeled times differ from run 1: $times vs $times_ref"
    fi
  fi
  if ((ok)); then
    pass=$((pass+1))
  else
    bad $k "board checks (fault on board $faulty: ${fault_env[*]})" "$d/all"
  fi
done
echo "gang over libusb: $pass of $runs runs passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -eq "$runs" ]
