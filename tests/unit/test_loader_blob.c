/* The committed flash loaders (src/flash/loaders/NAME_blob.[ch], one per
 * family) are sane and are exactly what scripts/gen-loaders.sh builds from
 * src/flash/loaders/NAME.c. The rebuild needs arm-none-eabi-gcc: without it
 * the test FAILS (CI and scripts/setup install gcc-arm-none-eabi), so a
 * stale blob cannot pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <cmocka.h>

#include "core/session.h"
#include "flash/family.h"
#include "flash/loader.h"

/* Every loader adapter some part of the parts table uses (one per blob,
 * named as its loaders/NAME.c): found through the registry, so a new
 * family's loader is checked without touching this file. */
#define MAX_ADAPTERS 16
static const lf_loader_adapter *adapters[MAX_ADAPTERS];
static size_t nadapters;

static int find_adapters(void **state)
{
  (void)state;
  lf_session *s = lf_session_new();
  const lf_part *p;
  for (size_t i = 0; (p = lf_part_at(i)); i++) {
    lf_flash_geometry g = {0};
    if (lf_part_geometry(s, p, &g) != 0)
      fail_msg("%s: %s", p->name, lf_err_msg(s));
    const lf_loader_adapter *ad = g.family->loader ? g.family->loader(&g) : NULL;
    lf_geometry_free(&g);
    if (!ad)
      continue;
    bool seen = false;
    for (size_t k = 0; k < nadapters; k++)
      seen = seen || adapters[k]->blob == ad->blob;
    if (!seen && nadapters < MAX_ADAPTERS)
      adapters[nadapters++] = ad;
  }
  lf_session_free(s);
  assert_true(nadapters >= 1);
  return 0;
}

/* Entry at the load address, a BKPT at the exit offset, code fits below the
 * control block the host places after it (the engine rounds up to 64 bytes). */
static void blob_has_entry_and_bkpt_exit(void **state)
{
  (void)state;
  for (size_t i = 0; i < nadapters; i++) {
    const lf_loader_adapter *ad = adapters[i];
    unsigned len = *ad->blob_len, x = ad->exit_off;
    printf("%s: %u bytes at 0x%08x\n", ad->name, len, ad->load_addr);
    assert_true(len > 64 && len <= 0x800);
    assert_int_equal(len % 4, 0);
    assert_int_equal(ad->entry_off, 0);
    assert_true(x < len);
    assert_int_equal(x % 2, 0);
    assert_int_equal(ad->blob[x + 1], 0xBE); /* BKPT #imm8 (little-endian halfword) */
  }
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
  bool bin_same = rc == 0, c_same = rc == 0;
  for (size_t i = 0; rc == 0 && i < nadapters; i++) {
    snprintf(path, sizeof path, "%s/%s.bin", dir, adapters[i]->name);
    if (!same_file(path, adapters[i]->blob, *adapters[i]->blob_len)) {
      printf("%s: the build differs from the committed blob\n", adapters[i]->name);
      bin_same = false;
    }
  }
  /* every generated file equals its committed copy (and none is missing) */
  snprintf(cmd, sizeof cmd, "cd '%s' && for f in *_blob.c *_blob.h; do cmp -s \"$f\" "
           "'%s/src/flash/loaders/'\"$f\" || { echo \"$f differs\"; exit 1; }; done", dir, src);
  if (rc == 0 && system(cmd) != 0)
    c_same = false;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("warning: could not remove %s\n", dir);
  assert_int_equal(rc, 0);
  if (!bin_same)
    fail_msg("scripts/gen-loaders.sh builds different bytes than the committed blobs: "
             "run scripts/gen-loaders.sh and commit (or your compiler differs)");
  if (!c_same)
    fail_msg("scripts/gen-loaders.sh regenerates a different src/flash/loaders/*_blob.[ch]");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(blob_has_entry_and_bkpt_exit),
    cmocka_unit_test(committed_blob_matches_a_fresh_build),
  };
  return cmocka_run_group_tests_name("loader_blob", tests, find_adapters, NULL);
}
