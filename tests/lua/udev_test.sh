#!/usr/bin/env bash
# The udev rules name exactly the USB IDs the ST-Link driver matches
# (lf_stlink_usb_ids in src/probe/stlink.c).   usage: udev_test.sh SOURCE_DIR
set -u
src=$1
drv=$(sed -n '/lf_stlink_usb_ids\[\] = {/,/^};/p' "$src/src/probe/stlink.c" \
  | grep -oE '\{0x[0-9A-Fa-f]{4}, *0x[0-9A-Fa-f]{4}\}' | tr 'A-F' 'a-f' \
  | sed -E 's/\{0x(....), *0x(....)\}/\1:\2/' | sort)
rules=$(grep -oE 'ATTR\{idVendor\}=="[0-9a-f]{4}", ATTR\{idProduct\}=="[0-9a-f]{4}"' \
  "$src/packaging/udev/49-luaflash.rules" | sed -E 's/.*"(....)".*"(....)"/\1:\2/' | sort)
n=$(echo "$drv" | grep -c .)
if [ "$n" -ge 9 ] && [ "$drv" = "$rules" ]; then
  echo "ok   udev rules cover the $n ST-Link USB IDs of the driver"; exit 0
fi
echo "FAIL udev rules differ from the driver's table"; diff <(echo "$drv") <(echo "$rules"); exit 1
