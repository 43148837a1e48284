#!/usr/bin/env bash
# Installation test: `cmake --install` into a temporary DESTDIR, then the
# installed luaflash runs from another folder with LUAFLASH_LUA_DIR unset and
# must use the Lua modules and boards of its own prefix (never the source
# tree it was built from).   usage: install_test.sh BUILD_DIR SOURCE_DIR
set -u
build=$1; src=$2
dest=$(mktemp -d); work=$(mktemp -d)
trap 'rm -rf "$dest" "$work"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; shift; printf '  %s\n' "$@"; }

if ! DESTDIR="$dest" cmake --install "$build" --prefix /opt/lf >"$work/install.log" 2>&1; then
  bad install "$(cat "$work/install.log")"; echo "install tests: $pass passed, $fail failed"; exit 1
fi
bin=$dest/opt/lf/bin/luaflash
share=$dest/opt/lf/share/luaflash
for f in "$bin" "$share/lua/luaflash/init.lua" "$share/lua/luaflash/report.lua" \
         "$share/boards/nucleo_f767zi.lua" "$dest/opt/lf/lib/udev/rules.d/49-luaflash.rules" \
         "$dest/opt/lf/share/doc/luaflash/examples/minimal.lua"; do
  [ -e "$f" ] && ok "installed ${f#$dest}" || bad "installed ${f#$dest}" "missing"
done

run() { (cd "$work" && env -u LUAFLASH_LUA_DIR "$bin" "$@"); }

# the modules come from the prefix
printf 'print("lua_dir=" .. require("luaflash").lua_dir)\n' >"$work/where.lua"
out=$(run where.lua 2>&1)
case $out in
  "lua_dir=$share/lua"|"lua_dir=$dest/opt/lf/bin/../share/luaflash/lua") ok "modules from the prefix ($out)" ;;
  *) bad "modules from the prefix" "$out" ;;
esac
out=$(run boards 2>&1)
echo "$out" | grep -qE '^nucleo_f767zi +stm32f767zi' && ok "boards from the prefix" || bad "boards" "$out"
out=$(run --version 2>&1)
echo "$out" | grep -qE '^luaflash [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4\.[0-9]+, libusb [0-9.]+, zlib [0-9.]+, unicorn [0-9.]+' \
  && ok "version names the libraries: $out" || bad "version" "$out"

# a project on the bench with the installed binary, the image next to it
cp "$src/scripts/demo-fw/demo-f767.bin" "$work/app.bin"
printf 'board = "nucleo_f767zi"\nimage = "app.bin"\n' >"$work/p.lua"
out=$(run --bench nucleo-f767zi p.lua --json 2>&1); st=$?
[ $st -eq 0 ] && echo "$out" | grep -q '"ok":true' && echo "$out" | grep -q '"verified":true' \
  && ok "installed binary flashes a project on the bench" || bad "project on the bench (exit $st)" "$out"

# the environment variable still wins
mkdir -p "$work/mylua/luaflash"
printf 'return { main = function() print("override used") end }\n' >"$work/mylua/luaflash/init.lua"
out=$(cd "$work" && LUAFLASH_LUA_DIR="$work/mylua" "$bin" p.lua 2>&1)
[ "$out" = "override used" ] && ok "LUAFLASH_LUA_DIR overrides the prefix" || bad "LUAFLASH_LUA_DIR" "$out"

# the source tree is not reachable from the installed binary: neither the
# module path nor the boards folder leads into it
printf 'print(package.path)\nprint(require("luaflash.init").boards_dirs()[1] or "")\n' >"$work/paths.lua"
out=$(run paths.lua 2>&1)
if [ -n "$out" ] && ! echo "$out" | grep -qF "$src" && echo "$out" | grep -qF "$share/lua/?.lua"; then
  ok "no path into the source tree"
else
  bad "no path into the source tree" "$out"
fi

# the Debian package (CPack) holds the same tree under /usr
if command -v dpkg-deb >/dev/null 2>&1 && command -v cpack >/dev/null 2>&1; then
  if (cd "$work" && cpack -G DEB -B "$work/pkg" --config "$build/CPackConfig.cmake") >"$work/cpack.log" 2>&1; then
    deb=$(ls "$work"/pkg/*.deb 2>/dev/null | head -1)
    list=$(dpkg-deb -c "$deb" 2>&1)
    miss=""
    for f in ./usr/bin/luaflash ./usr/share/luaflash/lua/luaflash/init.lua ./usr/share/luaflash/boards/nucleo_f767zi.lua \
             ./usr/lib/udev/rules.d/49-luaflash.rules ./usr/share/doc/luaflash/examples/pyocd_default.lua; do
      echo "$list" | grep -q " $f\$" || miss="$miss $f"
    done
    dep=$(dpkg-deb -f "$deb" Depends)
    if [ -z "$miss" ] && echo "$dep" | grep -q "libusb-1.0-0" && echo "$dep" | grep -q "liblua5.4-0"; then
      ok "debian package $(basename "$deb") (Depends: $dep)"
    else
      bad "debian package" "missing:$miss" "Depends: $dep"
    fi
  else
    bad "cpack -G DEB" "$(tail -20 "$work/cpack.log")"
  fi
else
  echo "skip debian package (no dpkg-deb or cpack)"
fi

echo "install tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
