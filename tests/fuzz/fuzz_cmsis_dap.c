/* Fuzz target: the CMSIS-DAP driver (src/probe/cmsis_dap.c) over fuzzed USB
 * replies: DAP_Info, connect, DAP_Transfer and DAP_TransferBlock replies,
 * posted runs, the drain after a reply out of step (fuzz_probe.h has the
 * input format). Seeds: tests/fuzz/corpus/cmsis_dap (recorded bench
 * sessions: fuzz_probe_seed). */
#include "fuzz_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return lf_fuzz_probe_input(data, size, 1);
}
