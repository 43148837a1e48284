/* The committed demo firmware (src/bench/demo_image.c, scripts/demo-fw/) is
 * sane and reproducible from its sources with scripts/gen-demo.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/bench.h"

static uint32_t word(size_t off)
{
  const unsigned char *b = lf_demo_f767_bin + off;
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* F7 2 (DTCM 0x20000000-0x2001FFFF), F7 13 #13 (vector table at the image start). */
static void vector_table_points_into_dtcm_and_the_image(void **state)
{
  (void)state;
  assert_true(lf_demo_f767_bin_len >= 8);
  uint32_t sp = word(0), pc = word(4);
  assert_true(sp > 0x20000000u && sp <= 0x20020000u);
  assert_int_equal(sp & 7u, 0);
  assert_int_equal(pc & 1u, 1u); /* Thumb */
  assert_true((pc & ~1u) >= 0x08000008u && (pc & ~1u) < 0x08000000u + lf_demo_f767_bin_len);
}

static void committed_blob_matches_a_fresh_build(void **state)
{
  (void)state;
  const char *src = getenv("LF_SOURCE_DIR");
  if (!src) {
    printf("skip: LF_SOURCE_DIR not set (run through ctest)\n");
    skip();
  }
  if (system("command -v arm-none-eabi-gcc >/dev/null 2>&1 && "
             "command -v arm-none-eabi-objcopy >/dev/null 2>&1") != 0) {
    printf("skip: arm-none-eabi-gcc not installed; cannot rebuild the demo\n");
    skip();
  }
  char dir[] = "/tmp/lf-demo-blob-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char cmd[4096], path[4096];
  snprintf(cmd, sizeof cmd, "'%s/scripts/gen-demo.sh' '%s' >/dev/null", src, dir);
  int rc = system(cmd);
  snprintf(path, sizeof path, "%s/demo-f767.bin", dir);
  FILE *f = rc == 0 ? fopen(path, "rb") : NULL;
  unsigned char *buf = malloc(lf_demo_f767_bin_len + 1);
  size_t n = f && buf ? fread(buf, 1, lf_demo_f767_bin_len + 1, f) : 0;
  if (f)
    fclose(f);
  int same = n == lf_demo_f767_bin_len && memcmp(buf, lf_demo_f767_bin, n) == 0;
  free(buf);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("warning: could not remove %s\n", dir);
  assert_int_equal(rc, 0);
  if (!same)
    fail_msg("scripts/gen-demo.sh output differs from src/bench/demo_image.c: "
             "run scripts/gen-demo.sh and commit (or your compiler differs)");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(vector_table_points_into_dtcm_and_the_image),
    cmocka_unit_test(committed_blob_matches_a_fresh_build),
  };
  return cmocka_run_group_tests_name("demo_blob", tests, NULL, NULL);
}
