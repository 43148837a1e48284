# The harness of the bench command-line tests (cli_erase_avoid.sh,
# cli_compress.sh): sourced as
#   . "$(dirname "$0")/cli_bench_lib.sh" NAME LUAFLASH
# sets bin, here, dir (removed at exit) and the counters, and gives pattern,
# proj, run, same and finish (prints the summary and exits).
set -u
cli_name=$1
bin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
echo "[==========] $cli_name"

pattern() { # SEED BYTES FILE
  lua5.4 -e "local x, t = $1, {}
for i = 1, $2 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))" > "$dir/$3"
}

proj() { # FILE BOARD IMAGE [LINES...]
  local f=$1 board=$2 image=$3; shift 3
  { printf 'board = "%s"\nimage = "%s"\n' "$board" "$image"; printf '%s\n' "$@"; } > "$dir/$f"
}

# run NAME STATUS BENCH STATE PROJECT [ARGS...] -- [--out RE | --no-out RE | --err RE]...
run() {
  local name=$1 want=$2 bench=$3 state=$4 p=$5; shift 5
  local args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  (cd "$dir" && "$bin" --bench "$bench" --bench-state "$dir/$state" "$p" "${args[@]}") >"$dir/out" 2>"$dir/err"
  local st=$? ok=1 why=""
  [ "$st" -eq "$want" ] || { ok=0; why="exit $st, want $want"; }
  while [ $# -gt 0 ]; do
    case $1 in
      --out) grep -qE -- "$2" "$dir/out" || { ok=0; why="$why; stdout lacks /$2/"; } ;;
      --no-out) ! grep -qE -- "$2" "$dir/out" || { ok=0; why="$why; stdout has /$2/"; } ;;
      --err) grep -qE -- "$2" "$dir/err" || { ok=0; why="$why; stderr lacks /$2/"; } ;;
    esac
    shift 2
  done
  if [ $ok = 1 ]; then
    pass=$((pass+1)); echo "[       OK ] $name"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $name: $why"; cat "$dir/out" "$dir/err" | sed 's/^/    /' | head -20
  fi
}

# same NAME BENCH STATE ADDR FILE: the flash at ADDR holds FILE (read back)
cat > "$dir/peek.lua" <<'LUA'
local lf = require("luaflash")
local b = lf.bench { arg[1], state = arg[2] }
local f = assert(io.open(arg[4], "rb")); local want = f:read("a"); f:close()
local got = b:peek(tonumber(arg[3]), #want)
b:close()
if got ~= want then error("the flash differs from " .. arg[4], 0) end
LUA
same() {
  if (cd "$dir" && "$bin" peek.lua "$2" "$dir/$3" "$4" "$dir/$5") >"$dir/out" 2>&1; then
    pass=$((pass+1)); echo "[       OK ] $1"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $1"; sed 's/^/    /' "$dir/out" | head -5
  fi
}

finish() {
  echo "[==========] $cli_name: $((pass+fail)) test(s) run."
  echo "[  PASSED  ] $pass test(s)."
  [ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
  exit 0
}
