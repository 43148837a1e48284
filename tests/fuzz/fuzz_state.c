/* Fuzz target: the bench state file reader (src/bench/soc_util.c
 * lf_soc_state_load and each family's load_state: header, sizes, blobs,
 * option words taken from the file). Byte 0 picks the SoC (F103RB, L476RG,
 * F429ZI, F767ZI, H743ZI), the rest is the file. After a load that
 * succeeds the SoC is power-cycled with what the file held (option bytes
 * of any value: read protection, boot addresses, bank swap) and asked its
 * state, so option words no real chip could hold are exercised too.
 * Seeds: tests/fuzz/corpus/state (a saved F103RB state, headers of the
 * others, broken headers). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/params.h"
#include "bench/soc.h"

static const char *const parts[] = {"stm32f103rb", "stm32l476rg", "stm32f429zi", "stm32f767zi",
                                    "stm32h743zi"};
#define NPARTS (sizeof parts / sizeof parts[0])
static lf_soc *socs[NPARTS];
static lf_bench_params params;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t i = data[0] % NPARTS;
  char err[512];
  if (!socs[i]) {
    lf_bench_params_default(&params);
    if (!(socs[i] = lf_soc_new(parts[i], &params, NULL, err, sizeof err))) {
      fprintf(stderr, "fuzz_state: %s\n", err);
      abort();
    }
  }
  static char empty[1];
  /* fmemopen needs a size >= 1: an empty file is one byte read away */
  FILE *f = size > 1 ? fmemopen((void *)(data + 1), size - 1, "rb") : fmemopen(empty, 1, "rb");
  if (!f)
    return 0;
  if (size == 1)
    fgetc(f);
  err[0] = 0;
  int rc = lf_soc_load_state(socs[i], f, err, sizeof err);
  fclose(f);
  if (getenv("LF_FUZZ_VERBOSE"))
    fprintf(stderr, "%s: %s\n", parts[i], rc ? err : "loaded");
  if (rc != 0 && !err[0])
    abort(); /* a failure must say why */
  if (rc == 0) {
    lf_soc_reset(socs[i], LF_SOC_RESET_POWER, 0);
    (void)lf_soc_rdp_level(socs[i]);
    (void)lf_soc_boot_address(socs[i]);
    (void)lf_soc_flash_locked(socs[i]);
  }
  return 0;
}
