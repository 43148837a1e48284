#!/usr/bin/env bash
# Protected regions on the command line (issue 21), on the virtual F767:
# regions in the middle of a sector the image also uses, in a sector of their
# own, spanning two sectors, at the end of flash; erase = sector, auto and
# chip; keep_unwritten on and off; the image overlapping a region (exit 2,
# board untouched); a power loss between the erase and the write-back (the
# rerun restores the region from the saved copy on the host); a damaged saved
# copy; --json, --settings; production refusing an RDP regression that would
# erase a protected region without consent.   usage: cli_protect.sh LUAFLASH
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export XDG_STATE_HOME="$dir/state"
store="$dir/state/luaflash/protected"
pass=0; fail=0
echo "[==========] flash_cli_protect"

# fixed pseudo-random patterns: the same bytes on every run
pattern() { # SEED BYTES FILE
  lua5.4 -e "local x, t = $1, {}
for i = 1, $2 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = string.char((x >> 16) & 255) end
io.write(table.concat(t))" > "$dir/$3"
}
pattern 42 66560 app.bin     # sectors 0, 1 and 1 KiB of sector 2
pattern 43 70000 big.bin     # ... reaching into 'cal'
pattern 7 256 cal.bin        # 0x08011000: in sector 2 (the image's last)
pattern 8 512 span.bin       # 0x08017F00: the end of sector 2, the start of sector 3
pattern 9 4096 cal2.bin      # 0x081C0000: sector 11 (no image there)
pattern 10 256 end.bin       # 0x081FFF00: the last bytes of the flash
tail -c 256 "$dir/span.bin" > "$dir/spanhi.bin"   # span's half in sector 3
cat > "$dir/base.lua" <<'LUA'
board = "nucleo_f767zi"
image = { { path = "cal.bin", base = 0x08011000 }, { path = "span.bin", base = 0x08017F00 },
          { path = "cal2.bin", base = 0x081C0000 }, { path = "end.bin", base = 0x081FFF00 } }
LUA
cat > "$dir/p.lua" <<'LUA'
board = "nucleo_f767zi"
erase_avoid = false -- the cases count erases of the blank sectors 0-1
image = "app.bin"
protect = { { 0x08011000, 256, "cal" } }
LUA
cat > "$dir/all.lua" <<'LUA'
board = "nucleo_f767zi"
erase_avoid = false -- the cases count erases of the blank sectors 0-1
image = "app.bin"
protect = {
  { 0x08011000, 256, "cal" },
  { addr = 0x08017F00, len = 512, name = "span" },
  { 0x081C0000, 4096, "cal2" },
  { 0x081FFF00, 256, "end" },
}
LUA
cat > "$dir/big.lua" <<'LUA'
board = "nucleo_f767zi"
image = "big.bin"
protect = { { 0x08011000, 256, "cal" } }
erase_avoid = false -- the cases count erases of the blank sectors 0-1
LUA
cat > "$dir/prod.lua" <<'LUA'
require("luaflash.production").run { board = "nucleo_f767zi", image = "app.bin",
  option_bytes = { rdp = 0 }, allow_mass_erase = true, protect = { { 0x081C0000, 4096, "cal2" } } }
LUA
cat > "$dir/prod_consent.lua" <<'LUA'
require("luaflash.production").run { board = "nucleo_f767zi", image = "app.bin",
  option_bytes = { rdp = 0 }, allow_mass_erase = true, protect = { { 0x081C0000, 4096, "cal2" } },
  allow_protected = { "cal2" } }
LUA

cat > "$dir/script.lua" <<'LUA'
-- the script API: t:program with protect, as a project run
local lf = require("luaflash")
local p <close> = lf.open()
p:connect()
local t = p:target()
t:connect("halt")
local ok, err = pcall(t.program, t, "big.bin", { protect = { { 0x08011000, 256, "cal" } } })
print("overlap: " .. tostring(ok) .. " " .. tostring(err))
local r = t:program("app.bin", { protect = { { 0x08011000, 256, "cal" }, { 0x081C0000, 4096, "cal2" } } })
for _, x in ipairs(r.protected) do
  print(string.format("script: %s %s %08X %d", x.name, x.status, x.crc, x.written_back))
end
print("verified: " .. tostring(r.verified))
LUA

# run NAME STATUS STATE ARGS... [-- --out RE | --no-out RE ...]
run() {
  local name=$1 want=$2 state=$3; shift 3
  local args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  (cd "$dir" && "$bin" --bench nucleo-f767zi --bench-state "$dir/$state" "${args[@]}") >"$dir/out" 2>&1
  local st=$? ok=1 why=""
  [ "$st" -eq "$want" ] || { ok=0; why="exit $st, want $want"; }
  while [ $# -gt 0 ]; do
    case $1 in
      --out) grep -qE -- "$2" "$dir/out" || { ok=0; why="$why; output lacks /$2/"; } ;;
      --no-out) ! grep -qiE -- "$2" "$dir/out" || { ok=0; why="$why; output has /$2/"; } ;;
    esac
    shift 2
  done
  if [ $ok = 1 ]; then
    pass=$((pass+1)); echo "[       OK ] $name"
  else
    fail=$((fail+1)); echo "[  FAILED  ] $name: $why"; sed 's/^/    /' "$dir/out" | head -20
  fi
}
check() { # NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then pass=$((pass+1)); echo "[       OK ] $name"
  else fail=$((fail+1)); echo "[  FAILED  ] $name"; fi
}
# holds NAME STATE ADDR FILE: the flash of STATE at ADDR holds FILE's bytes
holds() {
  local n; n=$(stat -c %s "$dir/$4")
  (cd "$dir" && "$bin" --bench nucleo-f767zi --bench-state "$dir/$2" "$here/cli/dump.lua" "$3" "$n" "$dir/dump") \
    >/dev/null 2>&1
  check "$1" cmp -s "$dir/dump" "$dir/$4"
}
# erased NAME STATE ADDR LEN: every byte reads 0xFF
erased() {
  (cd "$dir" && "$bin" --bench nucleo-f767zi --bench-state "$dir/$2" "$here/cli/dump.lua" "$3" "$4") >"$dir/out" 2>&1
  check "$1" grep -q "erased $(($4))\$" "$dir/out"
}
unchanged() { check "$1: board untouched" cmp -s "$dir/$2" "$dir/$2.before"; }
fresh() { cp "$dir/s0" "$dir/$1"; }   # a board holding the regions' data

run "the regions' data flashed" 0 s0 base.lua -- --out "verified"
holds "cal in place" s0 0x08011000 cal.bin

# --- a region in the middle of a sector the image also uses ---
for mode in sector auto; do
  fresh s1
  run "mid-sector, erase=$mode: read and written back, proven" 0 s1 p.lua erase=$mode \
    -- --out "protected 'cal' 0x08011000-0x080110FF: unchanged \(CRC32 0x[0-9A-F]{8}, 256 bytes read and written back\)" \
       --out "3 sectors erased, 3 programmed"
  holds "mid-sector, erase=$mode: cal intact" s1 0x08011000 cal.bin
  erased "mid-sector, erase=$mode: the rest of sector 2 erased (keep_unwritten off)" s1 0x08010400 0xC00
  erased "mid-sector, erase=$mode: unprotected 'span' bytes of sector 2 erased" s1 0x08017F00 0x100
  holds "mid-sector, erase=$mode: sector 3 untouched" s1 0x08018000 spanhi.bin
done
fresh s1
run "mid-sector, keep_unwritten=true" 0 s1 p.lua keep_unwritten=true \
  -- --out "protected 'cal' 0x08011000-0x080110FF: unchanged \(CRC32 0x[0-9A-F]{8}, 256 bytes read and written back\)"
holds "keep_unwritten: cal intact" s1 0x08011000 cal.bin
holds "keep_unwritten: span kept too" s1 0x08017F00 span.bin

# --- own sector, spanning, end of flash: erase = sector ---
fresh s2
run "four regions, erase=sector: only sector 2's protected bytes are written back" 0 s2 all.lua erase=sector \
  -- --out "protected 'cal' 0x08011000-0x080110FF: unchanged \(CRC32 0x[0-9A-F]{8}, 256 bytes read and written back\)" \
     --out "protected 'span' 0x08017F00-0x080180FF: unchanged \(CRC32 0x[0-9A-F]{8}, 256 bytes read and written back\)" \
     --out "protected 'cal2' 0x081C0000-0x081C0FFF: unchanged \(CRC32 0x[0-9A-F]{8}\)$" \
     --out "protected 'end' 0x081FFF00-0x081FFFFF: unchanged \(CRC32 0x[0-9A-F]{8}\)$"
for r in "cal 0x08011000" "span 0x08017F00" "cal2 0x081C0000" "end 0x081FFF00"; do
  set -- $r; holds "erase=sector: $1 intact" s2 "$2" "$1.bin"
done

# --- erase = chip: every region restored, nothing else kept ---
fresh s3
run "four regions, erase=chip: all read and written back" 0 s3 all.lua erase=chip \
  -- --out "protected 'cal2' 0x081C0000-0x081C0FFF: unchanged \(CRC32 0x[0-9A-F]{8}, 4096 bytes read and written back\)" \
     --out "protected 'end' 0x081FFF00-0x081FFFFF: unchanged \(CRC32 0x[0-9A-F]{8}, 256 bytes read and written back\)" \
     --out "protected 'span' 0x08017F00-0x080180FF: unchanged \(CRC32 0x[0-9A-F]{8}, 512 bytes read and written back\)" \
     --out "12 sectors erased"
for r in "cal 0x08011000" "span 0x08017F00" "cal2 0x081C0000" "end 0x081FFF00"; do
  set -- $r; holds "erase=chip: $1 intact" s3 "$2" "$1.bin"
done
erased "erase=chip: the unprotected rest of sector 11 erased" s3 0x081C1000 0x3EF00
fresh s3
run "one region, erase=chip: the others are lost (the project asked for a chip erase)" 0 s3 p.lua erase=chip \
  -- --out "protected 'cal' .*: unchanged"
erased "erase=chip: unprotected cal2 erased" s3 0x081C0000 4096
fresh s3
run "erase=auto never mass-erases the unprotected regions" 0 s3 p.lua erase=auto -- --out "3 sectors erased"
holds "erase=auto: cal2 intact" s3 0x081C0000 cal2.bin

# --- input errors: exit 2, nothing touched ---
fresh s4; cp "$dir/s4" "$dir/s4.before"
run "the image writes a protected region: exit 2, names region, file and address" 2 s4 big.lua \
  -- --out "the image writes protected region 'cal' \(0x08011000-0x080110FF, project big.lua \(big.lua:3\)\): first byte 0x08011000 from [^ ]*big.bin offset 0x11000" \
     --out "allow_protected = \{ \"cal\" \}" --no-out "traceback|verified"
unchanged "overlap" s4
run "a region outside the flash: exit 2" 2 s4 p.lua "protect=0x20000000:0x100:ram" \
  -- --out "protected region 'ram' \(0x20000000-0x200000FF, command line.*is not inside the flash"
run "allow_protected naming no region: exit 2" 2 s4 p.lua allow_protected=cla \
  -- --out "allow_protected': no protected region is named 'cla' \('cal'\)"
run "a bad region on the command line: exit 2" 2 s4 p.lua "protect=0x08000000" \
  -- --out "setting 'protect': expected addr:len\[:name\]"
unchanged "input errors" s4
run "allow_protected names the region: the image may write it" 0 s4 big.lua allow_protected=cal \
  -- --out "protected 'cal' 0x08011000-0x080110FF: not protected in this run" --out "verified"

# --- a power loss between the erase and the write-back ---
fresh s5
run "power loss after the erase: exit 1, the saved copy named" 1 s5 p.lua --bench-faults power_loss@700ms \
  -- --out "saved first in $store/uid-[0-9a-f]+\.lfprot" --no-out "verified"
erased "power loss: cal lost on the board" s5 0x08011000 256
check "power loss: one saved copy on the host" test "$(ls "$store" | wc -l)" -eq 1
saved=$(ls "$store"/*.lfprot 2>/dev/null | head -1)
cp "$saved" "$dir/saved.bak" 2>/dev/null
printf 'X' | dd of="$saved" bs=1 seek=20 conv=notrunc 2>/dev/null
cp "$dir/s5" "$dir/s5.before"
run "a damaged saved copy: exit 1 before any write" 1 s5 p.lua -- --out "is damaged \(its CRC32 does not match\)"
unchanged "damaged saved copy" s5
cp "$dir/saved.bak" "$saved"
run "the rerun restores the region from the saved copy" 0 s5 p.lua \
  -- --out "protected 'cal' 0x08011000-0x080110FF: restored \(CRC32 0x[0-9A-F]{8}" --out "verified"
holds "restored: cal intact" s5 0x08011000 cal.bin
check "restored: the saved copy removed" test -z "$(ls "$store")"
run "the next run: unchanged, nothing to restore" 0 s5 p.lua -- --out "protected 'cal' .*: unchanged" \
  --out "0 programmed, 3 unchanged" --no-out "restored"

# --- the script API ---
fresh s8
run "t:program(img, { protect = ... }) in a script" 0 s8 script.lua \
  -- --out "overlap: false .*the image writes protected region 'cal' \(0x08011000-0x080110FF\): first byte 0x08011000 from big.bin offset 0x11000" \
     --out "script: cal unchanged [0-9A-F]{8} 256" --out "script: cal2 unchanged [0-9A-F]{8} 0" --out "verified: true"
holds "script: cal intact" s8 0x08011000 cal.bin

# --- reports ---
fresh s6
run "--json: each region's proof" 0 s6 p.lua --json \
  -- --out '"protected":\[\{[^]]*"name":"cal"' --out '"status":"unchanged"'
run "--settings: the regions and where each comes from" 0 s6 p.lua "protect=0x081FFF00:0x100:end" --settings \
  -- --out "protect += \{ cal 0x08011000\+0x100, end 0x081FFF00\+0x100 \}" \
     --out "cal: 0x08011000-0x080110FF \(256 bytes\), project" --out "end: 0x081FFF00-0x081FFFFF \(256 bytes\), command line"

# --- production: an RDP regression would mass-erase a protected region ---
fresh s7
run "RDP level 1 set" 0 s7 "$here/cli/set_rdp.lua" 0x55
cp "$dir/s7" "$dir/s7.before"
run "production regressing RDP with a region protected: refused" 1 s7 prod.lua \
  -- --out "RDP level 1 -> 0 mass-erases the whole flash .* protected region\(s\) \"cal2\" would be lost" \
     --no-out "passed"
unchanged "refused regression" s7
run "with consent naming the region: regressed and flashed" 0 s7 prod_consent.lua -- --out "passed"

echo "[==========] $((pass+fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)"; exit 1; }
