/* The committed flash loader (src/flash/loader_blob.[ch]) is sane and is
 * exactly what scripts/gen-loaders.sh builds from src/flash/loaders/. The
 * rebuild needs arm-none-eabi-gcc: without it the test FAILS (CI and
 * scripts/setup install gcc-arm-none-eabi), so a stale blob cannot pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash/loader_blob.h"

static uint16_t half(size_t off)
{
  return (uint16_t)(lf_loader_blob[off] | lf_loader_blob[off + 1] << 8);
}

/* Entry at the load address, a BKPT at the exit offset, code fits below the
 * control block the host places after it (loader.c rounds up to 64 bytes). */
static void blob_has_entry_and_bkpt_exit(void **state)
{
  (void)state;
  assert_true(lf_loader_blob_len > 64 && lf_loader_blob_len <= 0x800);
  assert_int_equal(lf_loader_blob_len % 4, 0);
  assert_int_equal(LF_LOADER_ENTRY_OFF, 0);
  assert_true(LF_LOADER_EXIT_OFF < lf_loader_blob_len);
  assert_int_equal(LF_LOADER_EXIT_OFF % 2, 0);
  assert_int_equal(half(LF_LOADER_EXIT_OFF) & 0xFF00u, 0xBE00u); /* BKPT #imm8 */
}

static int same_file(const char *path, const void *want, size_t len)
{
  FILE *f = fopen(path, "rb");
  unsigned char *buf = malloc(len + 1);
  size_t n = f && buf ? fread(buf, 1, len + 1, f) : 0;
  if (f)
    fclose(f);
  int same = n == len && memcmp(buf, want, n) == 0;
  free(buf);
  return same;
}

static void committed_blob_matches_a_fresh_build(void **state)
{
  (void)state;
  const char *src = getenv("LF_SOURCE_DIR");
  if (!src)
    fail_msg("LF_SOURCE_DIR not set: run through ctest");
  if (system("command -v arm-none-eabi-gcc >/dev/null 2>&1 && "
             "command -v arm-none-eabi-objcopy >/dev/null 2>&1 && "
             "command -v arm-none-eabi-nm >/dev/null 2>&1") != 0)
    fail_msg("arm-none-eabi-gcc/objcopy/nm not installed: cannot check the committed loader "
             "blob (install gcc-arm-none-eabi, scripts/setup does)");
  char dir[] = "/tmp/lf-loader-blob-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char cmd[4096], path[4096];
  snprintf(cmd, sizeof cmd, "'%s/scripts/gen-loaders.sh' '%s' >/dev/null", src, dir);
  int rc = system(cmd);
  snprintf(path, sizeof path, "%s/loader.bin", dir);
  int bin_same = rc == 0 && same_file(path, lf_loader_blob, lf_loader_blob_len);
  snprintf(cmd, sizeof cmd, "cmp -s '%s/loader_blob.c' '%s/src/flash/loader_blob.c' && "
           "cmp -s '%s/loader_blob.h' '%s/src/flash/loader_blob.h'", dir, src, dir, src);
  int c_same = rc == 0 && system(cmd) == 0;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("warning: could not remove %s\n", dir);
  assert_int_equal(rc, 0);
  if (!bin_same)
    fail_msg("scripts/gen-loaders.sh builds different bytes than src/flash/loader_blob.c: "
             "run scripts/gen-loaders.sh and commit (or your compiler differs)");
  if (!c_same)
    fail_msg("scripts/gen-loaders.sh regenerates a different src/flash/loader_blob.[ch]");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(blob_has_entry_and_bkpt_exit),
    cmocka_unit_test(committed_blob_matches_a_fresh_build),
  };
  return cmocka_run_group_tests_name("loader_blob", tests, NULL, NULL);
}
