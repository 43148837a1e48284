/* Fuzz target: the ST-Link driver (src/probe/stlink.c) over fuzzed USB
 * replies: version decoding, mode changes, connect, status decoding, memory
 * commands, DAP registers, voltage (fuzz_probe.h has the input format).
 * Seeds: tests/fuzz/corpus/stlink (recorded bench sessions of every ST-Link
 * preset: fuzz_probe_seed). */
#include "fuzz_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return lf_fuzz_probe_input(data, size, 0);
}
