#!/usr/bin/env bash
# The driver library does not depend on the simulator: a program linked
# with lfdriver alone (tests/driver/driver_only.c) builds, runs, needs no
# libunicorn and contains no bench code; no driver source includes a bench
# header.   usage: driver_no_bench.sh SOURCE_DIR DRIVER_ONLY_BINARY
set -u
src=$1
bin=$2
fail=0
out=$("$bin") || { echo "FAIL $bin exited $?: $out"; fail=1; }
echo "$out"
if ldd "$bin" | grep -qi unicorn; then
  echo "FAIL $bin links libunicorn:"; ldd "$bin" | grep -i unicorn; fail=1
else
  echo "ok   no libunicorn in ldd $bin"
fi
syms=$(nm "$bin" | grep -E ' [TtDdBbRr] (lf_bench_|lf_soc_|lf_vstlink_|lf_dap_|lf_bcm_|uc_)' | head -5)
if [ -n "$syms" ]; then
  echo "FAIL bench or Unicorn symbols in $bin:"; echo "$syms"; fail=1
else
  echo "ok   no bench or Unicorn symbols in $bin"
fi
inc=$(cd "$src" && grep -lE '#include +"bench/|unicorn' src/core/*.[ch] src/usb/usb.[ch] \
  src/usb/usb_libusb.c src/probe/*.[ch] src/arm/*.[ch] src/flash/*.[ch] 2>/dev/null)
if [ -n "$inc" ]; then
  echo "FAIL driver sources include bench or Unicorn headers:"; echo "$inc"; fail=1
else
  echo "ok   no driver source includes a bench or Unicorn header"
fi
exit $fail
