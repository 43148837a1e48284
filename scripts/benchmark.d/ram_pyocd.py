# RAM write and read throughput through pyOCD 0.13.1's Python API (the
# benchmark's RAM rows; scripts/bench-ram runs it through the bench's libusb
# stand-in, where the process's clocks are the bench's virtual time, so
# time.monotonic() around a transfer is its modeled time).
#
#   python3 ram_pyocd.py TARGET FREQUENCY_HZ ADDR LEN
import sys
import time

from pyocd.core.helpers import ConnectHelper

target, hz, addr, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0), int(sys.argv[4], 0)
data = [(i * 7 + 3) % 256 for i in range(length)]  # the pattern of scripts/bench-ram
session = ConnectHelper.session_with_chosen_probe(return_first=True, target_override=target,
                                                  frequency=hz)
if session is None:
    sys.exit("ram_pyocd: no probe")
with session:
    t = session.board.target
    t.halt()
    t0 = time.monotonic()
    t.write_memory_block8(addr, data)
    t.flush()
    t1 = time.monotonic()
    back = t.read_memory_block8(addr, length)
    t2 = time.monotonic()
if list(back) != data:
    sys.exit("ram_pyocd: the bytes read back differ from those written")
print("ram write_s %.6f read_s %.6f bytes %d" % (t1 - t0, t2 - t1, length))
