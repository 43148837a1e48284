/* Fuzz target: the FLM (CMSIS-Pack flash algorithm, an ELF) loader
 * (src/flash/flm.c lf_flm_parse) and the part built from it
 * (lf_flm_part_new, lf_flm_part_geometry in flm_loader.c: sector ranges,
 * page size, RAM window). Byte 0 picks the RAM window and the flash range
 * asked (the algorithm's device, or a window of it); the rest is the file.
 * Seeds: tests/fuzz/corpus/flm (the test algorithms of tests/data/flm,
 * minimised variants). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/session.h"
#include "flash/family.h"
#include "flash/flm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  uint8_t sel = data[0];
  lf_session *s = lf_session_new();
  lf_flm *a = NULL;
  if (lf_flm_parse(s, "fuzz.FLM", data + 1, size - 1, &a) == 0) {
    if (!a->has[LF_FLM_INIT] || !a->has[LF_FLM_PROGRAM_PAGE] || !a->page_size || !a->nranges)
      abort(); /* the parser promises these */
    lf_flm_part_cfg cfg = {.ram_start = 0x20000000,
                           .ram_size = (sel & 1) ? 0x1000 : 0x20000,
                           .mode = (lf_flm_mode)((sel >> 1) % 3)};
    if (sel & 8) {
      cfg.flash_start = a->dev_addr + (sel & 0x10 ? a->ranges[0].size : 0);
      cfg.flash_size = sel & 0x20 ? 0x10000 : a->dev_size / 2;
    }
    lf_flm_part *p;
    if (lf_flm_part_new(s, a, &cfg, &p) == 0) {
      lf_flash_geometry g;
      if (lf_flm_part_geometry(s, p, &g) == 0)
        lf_geometry_free(&g);
      lf_flm_part_free(p);
    }
  }
  lf_session_free(s);
  return 0;
}
