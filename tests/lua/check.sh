# Shared by the luaflash CLI test scripts (sourced): runs the binary and
# checks its exit status and output; says whether TTY checks can run here.
#   needs: bin (the luaflash binary), check_dir (the folder it runs in),
#          out, err (files for its stdout/stderr), pass, fail (counters)
#
# check NAME STATUS [--out PAT | --err PAT | --no-out PAT | --no-err PAT]... -- ARGS...
check() {
  local name=$1 want=$2; shift 2
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1" "$2"); shift 2; done
  shift
  (cd "$check_dir" && "$bin" "$@") >"$out" 2>"$err"
  local st=$? ok=1 why=""
  [ "$st" -eq "$want" ] || { ok=0; why="exit $st, want $want"; }
  local i=0
  while [ $i -lt ${#pats[@]} ]; do
    local kind=${pats[$i]} pat=${pats[$((i+1))]}
    case $kind in
      --out) grep -qE -- "$pat" "$out" || { ok=0; why="$why; stdout lacks /$pat/"; } ;;
      --no-out) ! grep -qE -- "$pat" "$out" || { ok=0; why="$why; stdout has /$pat/"; } ;;
      --err) grep -qE -- "$pat" "$err" || { ok=0; why="$why; stderr lacks /$pat/"; } ;;
      --no-err) ! grep -qE -- "$pat" "$err" || { ok=0; why="$why; stderr has /$pat/"; } ;;
    esac
    i=$((i+2))
  done
  if [ $ok = 1 ]; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name: $why"
    sed 's/^/  stdout: /' "$out" | head -20; sed 's/^/  stderr: /' "$err" | head -30
  fi
}

# Why no command here can run on a terminal, or "" when one can: script(1)
# must give its child a pseudo-terminal (stdin and stdout both a tty). A
# container or chroot without /dev/pts (or without script(1)) has none; TTY
# checks then skip with this reason instead of failing.
no_tty_reason() {
  if ! command -v script >/dev/null 2>&1; then echo "no script(1)"; return; fi
  local why
  if ! why=$(script -qec 'test -t 0 && test -t 1' /dev/null </dev/null 2>&1 >/dev/null); then
    echo "no pseudo-terminal: /dev/pts unavailable${why:+ (${why%%$'\n'*})}"
  fi
}
