/* Our deflate encoder (src/flash/zenc.c): every stream decodes to its
 * input through zlib's inflate (inflateSetDictionary) and through the
 * target inflater's host build (loaders/lf_inflate.h), with and without a
 * history; edge inputs (empty, one byte, 258-byte runs, 32 KiB of zeros,
 * random bytes, a match at distance 32768 exactly, matches only into the
 * history, several segments); a too-small output buffer is refused with
 * nothing written past it; and on the realistic firmware images, in the
 * records the F4/F7 upload makes (32 KiB, branch filter, the previous
 * 32 KiB as history), it is never larger than zlib -9, with the defaults
 * and with the F4/F7 upload's setting (9-bit codes, one block a record). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "flash/loaders/lf_bcj.h"
#include "flash/loaders/lf_inflate.h"
#include "flash/zenc.h"

static uint32_t rng = 0x2545F491u;
static uint32_t rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static struct lfz_work work;

/* zlib's raw inflate of z[0..zn) after dict: must give in[0..n) and end */
static void check_zlib(const uint8_t *dict, size_t dn, const uint8_t *z, size_t zn, const uint8_t *in, size_t n)
{
  uint8_t *back = malloc(n + 16);
  assert_non_null(back);
  z_stream s;
  memset(&s, 0, sizeof s);
  assert_int_equal(inflateInit2(&s, -15), Z_OK);
  if (dn)
    assert_int_equal(inflateSetDictionary(&s, dict, (uInt)dn), Z_OK);
  s.next_in = (Bytef *)z;
  s.avail_in = (uInt)zn;
  s.next_out = back;
  s.avail_out = (uInt)(n + 16);
  assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
  assert_int_equal(s.total_out, n);
  assert_int_equal(s.avail_in, 0);
  assert_memory_equal(back, in, n);
  inflateEnd(&s);
  free(back);
}

/* the target inflater: history bytes right before its output */
static void check_lfz(const uint8_t *dict, size_t dn, const uint8_t *z, size_t zn, const uint8_t *in, size_t n)
{
  uint32_t h = dn > 32768 ? 32768 : (uint32_t)dn;
  uint8_t *buf = malloc(h + n + 1);
  assert_non_null(buf);
  if (h)
    memcpy(buf, dict + dn - h, h);
  int32_t got = lfz_inflate_io(&work, z, z + zn, z, (uint32_t)zn, buf + h, (uint32_t)n, h, 0, 0, (uint32_t)zn, 0, 0);
  assert_int_equal(got, (int32_t)n);
  assert_memory_equal(buf + h, in, n);
  free(buf);
}

/* encodes with o (NULL: the defaults), checks both decoders, returns the
 * compressed size */
static size_t enc_opt(const uint8_t *dict, size_t dn, const uint8_t *in, size_t n, const lf_zenc_opt *o)
{
  size_t cap = lf_zenc_bound(n);
  uint8_t *z = malloc(cap);
  assert_non_null(z);
  long zn = lf_zenc(dict, dn, in, n, z, cap, o);
  assert_true(zn > 0);
  assert_true((size_t)zn <= cap);
  size_t h = dn > 32768 ? 32768 : dn;
  check_zlib(h ? dict + dn - h : NULL, h, z, (size_t)zn, in, n);
  check_lfz(dict, dn, z, (size_t)zn, in, n);
  free(z);
  return (size_t)zn;
}

/* effort 0: the defaults; else random settings (code length limits 9..15,
 * a cost per match, split or not) at that effort */
static size_t enc_check(const uint8_t *dict, size_t dn, const uint8_t *in, size_t n, int effort)
{
  lf_zenc_opt o = {effort, (uint8_t)(9 + (rnd() % 7)), (uint16_t)(rnd() % 400), (rnd() & 1) != 0};
  return enc_opt(dict, dn, in, n, effort ? &o : NULL);
}

static void fill_kind(uint8_t *d, size_t n, int kind)
{
  for (size_t i = 0; i < n; i++) {
    switch (kind) {
    case 0: d[i] = (uint8_t)rnd(); break;
    case 1: d[i] = (uint8_t)(i % 7 == 0 ? 0xFF : 0x00); break;
    case 2: d[i] = (uint8_t)("thumb code and strings "[i % 23] ^ (rnd() % 16 == 0)); break;
    case 3: d[i] = 0xFF; break;
    default: d[i] = (uint8_t)((rnd() % 4 == 0) ? rnd() : i >> 4); break;
    }
  }
}

static void test_edges(void **state)
{
  (void)state;
  static uint8_t d[70000];
  /* empty and one byte, with and without history */
  assert_true(enc_check(NULL, 0, d, 0, 0) <= 2);
  d[0] = 0x5A;
  assert_true(enc_check(NULL, 0, d, 1, 0) <= 4);
  assert_true(enc_check(d, 1, d, 1, 0) <= 4);
  /* runs around the longest match */
  for (size_t n = 255; n <= 262; n++) {
    memset(d, 'a', n);
    assert_true(enc_check(NULL, 0, d, n, 0) < 16);
  }
  memset(d, 'b', 516);
  assert_true(enc_check(NULL, 0, d, 516, 0) < 16);
  /* 32 KiB of zeros */
  memset(d, 0, 32768);
  assert_true(enc_check(NULL, 0, d, 32768, 0) < 200);
  /* incompressible: stored blocks at most */
  fill_kind(d, 32768, 0);
  size_t zn = enc_check(NULL, 0, d, 32768, 0);
  assert_true(zn <= 32768 + 5);
  /* more than one segment, and a segment boundary inside a run */
  fill_kind(d, 70000, 4);
  memset(d + 32000, 0x11, 2000);
  enc_check(NULL, 0, d, 70000, 0);
}

/* a random history, the input a copy of its first bytes: the first match is
 * at distance 32768 exactly (only through it does the input shrink) */
static void test_max_distance(void **state)
{
  (void)state;
  static uint8_t h[32768 + 8000], in[600];
  fill_kind(h, sizeof h, 0);
  memcpy(in, h, 300);
  size_t zn = enc_check(h, 32768, in, 300, 0);
  assert_true(zn < 20);
  /* a longer history: only its last 32 KiB count; its first bytes are out of reach */
  memcpy(in, h + 8000, 300);
  zn = enc_check(h, sizeof h, in, 300, 0);
  assert_true(zn < 20);
  memcpy(in, h + 7000, 300); /* 33768 back: too far, stays literal */
  zn = enc_check(h, sizeof h, in, 300, 0);
  assert_true(zn > 280);
}

/* matches only into the history: pieces of it in another order */
static void test_history_only(void **state)
{
  (void)state;
  static uint8_t h[20000], in[8192];
  fill_kind(h, sizeof h, 0);
  for (size_t o = 0; o < sizeof in; o += 512)
    memcpy(in + o, h + (rnd() % (sizeof h - 512)), 512);
  size_t with = enc_check(h, sizeof h, in, sizeof in, 0);
  size_t without = enc_check(NULL, 0, in, sizeof in, 0);
  assert_true(with < sizeof in / 20);
  assert_true(without > 4 * with);
}

/* random kinds, sizes, histories and efforts */
static void test_random_round_trips(void **state)
{
  (void)state;
  static uint8_t h[40000], in[40000];
  for (int t = 0; t < 60; t++) {
    size_t hn = rnd() % 3 == 0 ? 0 : rnd() % sizeof h, n = rnd() % (t < 40 ? 4096 : sizeof in);
    fill_kind(h, hn, (int)(rnd() % 5));
    fill_kind(in, n, (int)(rnd() % 5));
    if (hn && n > 64 && rnd() % 2) /* pieces of the history in the input */
      for (int k = 0; k < 8; k++) {
        size_t len = 3 + rnd() % 60, at = rnd() % (n - len), from = rnd() % (hn > len ? hn - len : 1);
        if (hn > len)
          memcpy(in + at, h + from, len);
      }
    enc_check(hn ? h : NULL, hn, in, n, 1 + (int)(rnd() % LF_ZENC_EFFORT_MAX));
  }
}

/* cap too small: -2 and nothing past cap */
static void test_small_cap(void **state)
{
  (void)state;
  static uint8_t in[4096], z[4096 + 64];
  fill_kind(in, sizeof in, 0);
  memset(z, 0xA5, sizeof z);
  assert_int_equal(lf_zenc(NULL, 0, in, sizeof in, z, 1000, NULL), -2);
  for (size_t i = 1000; i < sizeof z; i++)
    assert_int_equal(z[i], 0xA5);
}

static uint8_t *load(const char *name, size_t *n)
{
  const char *src = getenv("LF_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/scripts/realistic-fw/%s", src ? src : ".", name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *d = malloc((size_t)len + 1);
  assert_non_null(d);
  assert_int_equal(fread(d, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return d;
}

static size_t zlib9(const uint8_t *dict, size_t dn, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  if (dn)
    assert_int_equal(deflateSetDictionary(&z, dict, (uInt)dn), Z_OK);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  size_t r = z.total_out;
  deflateEnd(&z);
  return r;
}

/* The F4/F7 upload's records of each realistic image: ours no larger than
 * zlib -9 in total (and every record decodes). */
static void test_not_larger_than_zlib(void **state)
{
  (void)state;
  static const char *const names[] = {"small.bin", "medium.bin", "large.bin", "xl.bin"};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    size_t n = 0;
    uint8_t *d = load(names[k], &n);
    assert_non_null(d);
    lfb_filter(d, (uint32_t)n, 0x08000000u, 1);
    /* the defaults, and the F4/F7 upload's setting (loader.c z_options:
     * codes of at most 9 bits, one block per record) */
    static const lf_zenc_opt f7 = {0, 9, 0, false};
    size_t ours = 0, ours9 = 0, theirs = 0, cap = lf_zenc_bound(32768);
    uint8_t *z = malloc(cap + 64);
    assert_non_null(z);
    for (size_t off = 0; off < n; off += 32768) {
      size_t m = n - off < 32768 ? n - off : 32768, hl = off < 32768 ? off : 32768;
      ours += enc_check(d + off - hl, hl, d + off, m, 0);
      ours9 += enc_opt(d + off - hl, hl, d + off, m, &f7);
      theirs += zlib9(d + off - hl, hl, d + off, m, z, cap + 64);
    }
    printf("zenc %s: %zu bytes -> %zu, 9-bit codes %zu (zlib -9: %zu, %+.2f %%, %+.2f %%)\n", names[k], n, ours,
           ours9, theirs, 100.0 * ((double)ours - (double)theirs) / (double)theirs,
           100.0 * ((double)ours9 - (double)theirs) / (double)theirs);
    assert_true(ours <= theirs);
    assert_true(ours9 <= theirs);
    free(z);
    free(d);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_edges),
      cmocka_unit_test(test_max_distance),
      cmocka_unit_test(test_history_only),
      cmocka_unit_test(test_random_round_trips),
      cmocka_unit_test(test_small_cap),
      cmocka_unit_test(test_not_larger_than_zlib),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
