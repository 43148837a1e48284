/* The committed demo firmware (src/bench/demo_image.c, scripts/demo-fw/) is
 * sane for each board and reproducible from its sources with
 * scripts/gen-demo.sh (both blobs byte-identical to a fresh build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/bench.h"
#include "bench/demo_image.h"

typedef struct blob {
  const char *board;
  const unsigned char *bin;
  const unsigned int *len;
  uint32_t ram_lo, ram_hi; /* SP must lie in (ram_lo, ram_hi] */
} blob;

static const blob blobs[] = {
  /* F7 2: DTCM 0x20000000-0x2001FFFF */
  {"f767", lf_demo_f767_bin, &lf_demo_f767_bin_len, 0x20000000u, 0x20020000u},
  /* F4 2: SRAM1+2+3 0x20000000-0x2002FFFF */
  {"f429", lf_demo_f429_bin, &lf_demo_f429_bin_len, 0x20000000u, 0x20030000u},
  /* H7 2.3/2.4: DTCM 0x20000000-0x2001FFFF (clocked after reset) */
  {"h743", lf_demo_h743_bin, &lf_demo_h743_bin_len, 0x20000000u, 0x20020000u},
  /* stm32-f1-l4-h7-targets.md 2.1: F103RB SRAM 0x20000000-0x20004FFF */
  {"f103", lf_demo_f103_bin, &lf_demo_f103_bin_len, 0x20000000u, 0x20005000u},
  /* 2.2: L476 SRAM1 0x20000000-0x20017FFF */
  {"l476", lf_demo_l476_bin, &lf_demo_l476_bin_len, 0x20000000u, 0x20018000u},
};

static uint32_t word(const blob *b, size_t off)
{
  const unsigned char *p = b->bin + off;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* F7 13 #13 / F4 2: vector table at the image start; SP in the part's SRAM,
 * reset handler a Thumb address inside the image (linked at 0x08000000). */
static void vector_tables_point_into_ram_and_the_image(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++) {
    const blob *b = &blobs[i];
    assert_true(*b->len >= 8);
    uint32_t sp = word(b, 0), pc = word(b, 4);
    assert_true(sp > b->ram_lo && sp <= b->ram_hi);
    assert_int_equal(sp & 7u, 0);
    assert_int_equal(pc & 1u, 1u); /* Thumb */
    assert_true((pc & ~1u) >= 0x08000008u && (pc & ~1u) < 0x08000000u + *b->len);
  }
  /* the per-board linker scripts put the stacks at the top of each SRAM */
  assert_int_equal(word(&blobs[0], 0), 0x20020000u);
  assert_int_equal(word(&blobs[1], 0), 0x20030000u);
  assert_int_equal(word(&blobs[2], 0), 0x20020000u);
  assert_int_equal(word(&blobs[3], 0), 0x20005000u);
  assert_int_equal(word(&blobs[4], 0), 0x20018000u);
}

static int same_file(const char *path, const blob *b)
{
  FILE *f = fopen(path, "rb");
  unsigned char *buf = malloc(*b->len + 1);
  size_t n = f && buf ? fread(buf, 1, *b->len + 1, f) : 0;
  if (f)
    fclose(f);
  int same = n == *b->len && memcmp(buf, b->bin, n) == 0;
  free(buf);
  return same;
}

static void committed_blobs_match_a_fresh_build(void **state)
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
  int same[sizeof blobs / sizeof blobs[0]];
  for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++) {
    snprintf(path, sizeof path, "%s/demo-%s.bin", dir, blobs[i].board);
    same[i] = rc == 0 && same_file(path, &blobs[i]);
  }
  /* the generated C file equals the committed one too (reproducible text) */
  snprintf(cmd, sizeof cmd, "cmp -s '%s/demo_image.c' '%s/src/bench/demo_image.c'", dir, src);
  int c_same = rc == 0 && system(cmd) == 0;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("warning: could not remove %s\n", dir);
  assert_int_equal(rc, 0);
  for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++)
    if (!same[i])
      fail_msg("scripts/gen-demo.sh output for %s differs from src/bench/demo_image.c: "
               "run scripts/gen-demo.sh and commit (or your compiler differs)", blobs[i].board);
  if (!c_same)
    fail_msg("scripts/gen-demo.sh regenerates a different src/bench/demo_image.c");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(vector_tables_point_into_ram_and_the_image),
    cmocka_unit_test(committed_blobs_match_a_fresh_build),
  };
  return cmocka_run_group_tests_name("demo_blob", tests, NULL, NULL);
}
