#!/usr/bin/env bash
# The udev rules name exactly the USB IDs the probe registry matches by
# VID/PID (luaflash.probe_drivers(), src/probe/probe.c).
#   usage: udev_test.sh SOURCE_DIR LUAFLASH
set -u
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/ids.lua" <<'LUA'
for _, d in ipairs(require("luaflash").probe_drivers()) do
  for _, m in ipairs(d.match) do
    if m.vid ~= 0 then print(string.format("%04x:%04x", m.vid, m.pid)) end
  end
end
LUA
drv=$("$bin" "$tmp/ids.lua" | sort -u)
rules=$(grep -oE 'ATTR\{idVendor\}=="[0-9a-f]{4}", ATTR\{idProduct\}=="[0-9a-f]{4}"' \
  "$src/packaging/udev/49-luaflash.rules" | sed -E 's/.*"(....)".*"(....)"/\1:\2/' | sort -u)
n=$(echo "$drv" | grep -c .)
if [ "$n" -ge 9 ] && [ "$drv" = "$rules" ]; then
  echo "ok   udev rules cover the $n USB IDs of the probe registry"; exit 0
fi
echo "FAIL udev rules differ from the probe registry"; diff <(echo "$drv") <(echo "$rules"); exit 1
