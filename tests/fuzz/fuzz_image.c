/* Fuzz driver for the image parsers and the plan (src/flash/image.c, plan.c).
 * Input: byte 0 picks the format (AUTO, BIN, IHEX, ELF, SREC, UF2) and the plan
 * settings; the rest is the file. Every accepted image is range-checked on
 * the F767 and planned (with keep_unwritten's old bytes supplied).
 *
 * With libFuzzer (clang -fsanitize=fuzzer) this is LLVMFuzzerTestOneInput;
 * built with -DLF_FUZZ_STANDALONE it runs each file named on the command
 * line (ctest fuzz_image_replay replays tests/data/images and the minimized
 * corpus tests/fuzz/corpus/image, so the driver keeps working and old
 * findings stay fixed). Run the fuzzer:
 *   mkdir -p /tmp/new && build-x/fuzz_image -max_len=4096 /tmp/new tests/fuzz/corpus/image
 * (new units go to the first directory; merge worthwhile ones with -merge=1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/session.h"
#include "flash/family.h"
#include "flash/image.h"
#include "flash/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  lf_session *s = lf_session_new();
  lf_flash_geometry g;
  /* an STM32F76x 2 MiB, single or dual bank (the first family unit) */
  lf_chip chip = {.line = 0x451, .flash_kib = 2048, .dual_bank = (data[0] & 0x80) != 0};
  if (lf_family_at(0)->geometry(s, &chip, &g) < 0)
    abort();
  lf_image *im = lf_image_new();
  unsigned fmt = data[0] % 6;
  if (lf_image_add_buffer(s, im, "fuzz", data + 1, size - 1, (lf_image_format)fmt, 0x08000000) == 0 &&
      lf_image_finish(s, im, &g, LF_REGION_MAIN) == 0) {
    lf_plan_settings set;
    lf_plan_settings_default(&set);
    set.erase = (lf_erase_mode)((data[0] >> 3) % 4);
    set.keep_unwritten = (data[0] & 0x20) != 0;
    set.ff_gap = (data[0] & 0x40) ? 4 : 64;
    lf_plan *p;
    if (lf_plan_build(s, lf_image_segment(im, 0), lf_image_count(im), &g, &set, &p) == 0) {
      static uint8_t zero[256 * 1024];
      for (unsigned i = 0; i < p->nsectors; i++)
        for (size_t r = 0; r < p->sector[i].nread; r++)
          lf_plan_set_old(s, p, p->sector[i].read[r].addr, zero, p->sector[i].read[r].len);
      if (lf_plan_finalize(s, p) < 0)
        abort(); /* every read range was supplied */
      lf_plan_free(p);
    }
  }
  lf_image_free(im);
  lf_geometry_free(&g);
  lf_session_free(s);
  return 0;
}

#ifdef LF_FUZZ_STANDALONE
/* Each file runs as-is (its byte 0 is the selector, as in a libFuzzer
 * corpus) and, behind a spread of selector bytes, as a plain file. */
int main(int argc, char **argv)
{
  static uint8_t buf[1 << 20];
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "%s: cannot open\n", argv[i]);
      return 1;
    }
    size_t n = fread(buf + 1, 1, sizeof buf - 1, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf + 1, n);
    for (unsigned sel = 0; sel < 256; sel += 37) {
      buf[0] = (uint8_t)sel;
      LLVMFuzzerTestOneInput(buf, n + 1);
    }
  }
  printf("replayed %d inputs\n", argc - 1);
  return 0;
}
#endif
