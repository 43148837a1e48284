/* The target-side inflater (src/flash/loaders/lf_inflate.h) against zlib's
 * raw deflate: levels 1..9, windowBits -9..-15, strategies (fixed codes,
 * Huffman only, RLE), random, repetitive and mixed data, empty input; the
 * input wrapping around a ring at every kind of offset; truncated and
 * corrupted streams end in a clean error and never write past the output
 * buffer (guard bytes around it); a preset history; the input arriving in
 * pieces (the `more` source, down to one byte at a time, the stream
 * wrapping around a ring) with a history, and the pump: called with a
 * growing count of bytes that are all final, the last call at most
 * LFZ_PUMP_MATCH (LFZ_M0) or 4 bytes short of the end; a failing pump stops
 * with LFZ_E_PUMP. cmake/inflate.cmake builds it with each routine's
 * options too (test_inflate_compact, test_inflate_m0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <cmocka.h>
#include <zlib.h>

#include "flash/loaders/lf_inflate.h"

static uint32_t rng = 0x12345678u;
static uint32_t rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

/* kinds of test data */
static void make(uint8_t *d, size_t n, int kind)
{
  for (size_t i = 0; i < n; i++) {
    switch (kind) {
    case 0: d[i] = (uint8_t)rnd(); break;                        /* incompressible */
    case 1: d[i] = (uint8_t)(i % 7 == 0 ? 0xFF : 0x00); break;   /* repetitive */
    case 2: d[i] = (uint8_t)("thumb code and strings "[i % 23] ^ (rnd() % 16 == 0)); break;
    case 3: d[i] = 0xFF; break;                                  /* erased flash */
    default: d[i] = (uint8_t)((rnd() % 4 == 0) ? rnd() : i >> 4); break; /* mixed */
    }
  }
}

static size_t deflate_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level, int wbits,
                          int strategy)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, wbits, 8, strategy), Z_OK);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  size_t len = z.total_out;
  deflateEnd(&z);
  return len;
}

#define GUARD 64
static struct lfz_work work;

/* Inflates c[0..clen) into a guarded buffer of cap bytes; checks the guards. */
static int32_t run(const uint8_t *c, size_t clen, uint8_t *out, uint32_t cap)
{
  uint8_t *buf = malloc(cap + 2 * GUARD);
  assert_non_null(buf);
  memset(buf, 0xA5, cap + 2 * GUARD);
  int32_t r = lfz_inflate(&work, c, c + clen, c, (uint32_t)clen, buf + GUARD, cap);
  for (size_t i = 0; i < GUARD; i++) {
    assert_int_equal(buf[i], 0xA5);
    assert_int_equal(buf[GUARD + cap + i], 0xA5);
  }
  if (r > 0)
    memcpy(out, buf + GUARD, (size_t)r);
  free(buf);
  return r;
}

static void test_levels_windows(void **state)
{
  (void)state;
  static const size_t sizes[] = {0, 1, 100, 4096, 8192, 70000};
  uint8_t *d = malloc(70000), *c = malloc(80000), *o = malloc(70000);
  for (int kind = 0; kind < 5; kind++)
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
      for (int level = 1; level <= 9; level++)
        for (int wb = 9; wb <= 15; wb += (si >= 4 ? 3 : 1)) {
          size_t n = sizes[si];
          make(d, n, kind);
          size_t cl = deflate_raw(d, n, c, 80000, level, -wb, Z_DEFAULT_STRATEGY);
          int32_t r = run(c, cl, o, (uint32_t)n);
          if (r != (int32_t)n)
            fail_msg("kind %d size %zu level %d wbits -%d: got %d", kind, n, level, wb, r);
          assert_memory_equal(o, d, n);
        }
  free(d);
  free(c);
  free(o);
}

static void test_strategies(void **state)
{
  (void)state;
  static const int strat[] = {Z_FIXED, Z_HUFFMAN_ONLY, Z_RLE, Z_FILTERED};
  uint8_t *d = malloc(20000), *c = malloc(30000), *o = malloc(20000);
  for (int kind = 0; kind < 5; kind++)
    for (size_t s = 0; s < 4; s++) {
      make(d, 20000, kind);
      size_t cl = deflate_raw(d, 20000, c, 30000, 6, -15, strat[s]);
      assert_int_equal(run(c, cl, o, 20000), 20000);
      assert_memory_equal(o, d, 20000);
    }
  /* level 0: stored blocks only */
  make(d, 20000, 0);
  size_t cl = deflate_raw(d, 20000, c, 30000, 0, -15, Z_DEFAULT_STRATEGY);
  assert_int_equal(run(c, cl, o, 20000), 20000);
  assert_memory_equal(o, d, 20000);
  free(d);
  free(c);
  free(o);
}

/* the stream starts anywhere in a ring and wraps at its end */
static void test_ring_wrap(void **state)
{
  (void)state;
  uint8_t d[6000], c[7000], o[6000], ring[4096];
  make(d, sizeof d, 4);
  size_t cl = deflate_raw(d, sizeof d, c, sizeof c, 9, -12, Z_DEFAULT_STRATEGY);
  assert_true(cl < sizeof ring);
  for (size_t start = 0; start < sizeof ring; start += 97) {
    for (size_t i = 0; i < cl; i++)
      ring[(start + i) % sizeof ring] = c[i];
    memset(o, 0, sizeof o);
    int32_t r = lfz_inflate(&work, ring + start, ring + sizeof ring, ring, (uint32_t)cl, o, sizeof o);
    assert_int_equal(r, (int32_t)sizeof d);
    assert_memory_equal(o, d, sizeof d);
  }
}

/* a short output buffer is LFZ_E_OUTPUT, with nothing written past it */
static void test_output_bound(void **state)
{
  (void)state;
  uint8_t d[5000], c[6000], o[5000];
  for (int kind = 0; kind < 5; kind++) {
    make(d, sizeof d, kind);
    for (int level = 0; level <= 9; level += 3) {
      size_t cl = deflate_raw(d, sizeof d, c, sizeof c, level, -15, Z_DEFAULT_STRATEGY);
      for (uint32_t cap = 0; cap < sizeof d; cap += 331)
        assert_int_equal(run(c, cl, o, cap), LFZ_E_OUTPUT);
    }
  }
}

/* every truncation is an error (never success, never out of bounds) */
static void test_truncated(void **state)
{
  (void)state;
  uint8_t d[3000], c[4000], o[3000];
  for (int kind = 0; kind < 5; kind++) {
    make(d, sizeof d, kind);
    size_t cl = deflate_raw(d, sizeof d, c, sizeof c, 6, -15, Z_DEFAULT_STRATEGY);
    for (size_t n = 0; n < cl; n++) {
      int32_t r = run(c, n, o, sizeof o);
      if (r >= 0)
        fail_msg("kind %d: %zu of %zu bytes decoded as %d bytes", kind, n, cl, r);
    }
  }
}

/* corrupt streams: never out of bounds; zlib's verdict on validity agrees
 * where zlib rejects the stream as invalid */
static void test_corrupt(void **state)
{
  (void)state;
  uint8_t d[3000], c[4000], x[4000], o[3000], z[3000];
  unsigned errors = 0, ok = 0;
  for (int round = 0; round < 3000; round++) {
    int kind = round % 5;
    make(d, sizeof d, kind);
    size_t cl = deflate_raw(d, sizeof d, c, sizeof c, 1 + round % 9, -15, Z_DEFAULT_STRATEGY);
    memcpy(x, c, cl);
    unsigned flips = 1 + rnd() % 4;
    for (unsigned f = 0; f < flips; f++)
      x[rnd() % cl] ^= (uint8_t)(1u << (rnd() % 8));
    int32_t r = run(x, cl, o, sizeof o);
    /* zlib on the same bytes */
    z_stream s;
    memset(&s, 0, sizeof s);
    assert_int_equal(inflateInit2(&s, -15), Z_OK);
    s.next_in = x;
    s.avail_in = (uInt)cl;
    s.next_out = z;
    s.avail_out = sizeof z;
    int zr = inflate(&s, Z_FINISH);
    size_t zn = s.total_out;
    inflateEnd(&s);
    if (zr == Z_STREAM_END && r >= 0) {
      assert_int_equal((size_t)r, zn);
      assert_memory_equal(o, z, zn);
      ok++;
    } else if (zr == Z_DATA_ERROR) {
      if (r >= 0)
        fail_msg("round %d: zlib says invalid, lfz decoded %d bytes", round, r);
      errors++;
    } else if (zr == Z_STREAM_END) {
      /* lfz refused a stream zlib accepts: only allowed for output beyond the buffer */
      if (r != LFZ_E_OUTPUT)
        fail_msg("round %d: zlib decoded %zu bytes, lfz error %d", round, zn, r);
    }
  }
  print_message("corrupt: %u rejected, %u still valid\n", errors, ok);
  assert_true(errors > 100);
}

/* d[hist..hist+n) compressed (raw, window 32 KiB) with d[0..hist) as
 * zlib's preset dictionary: the compressed length */
static uint32_t deflate_dict(const uint8_t *d, uint32_t hist, uint32_t n, uint8_t *c, uint32_t cap,
                             int level)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  assert_int_equal(deflateSetDictionary(&z, d, hist), Z_OK);
  z.next_in = (Bytef *)(d + hist);
  z.avail_in = n;
  z.next_out = c;
  z.avail_out = cap;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  uint32_t len = (uint32_t)z.total_out;
  deflateEnd(&z);
  return len;
}

/* a preset dictionary (the loader's history: the previous chunk before the
 * output) against zlib's deflateSetDictionary; without it such a stream
 * fails cleanly (a distance too far back) */
static void test_history(void **state)
{
  (void)state;
  static uint8_t buf[16384], c[12000];
  for (int kind = 1; kind < 5; kind++) {
    make(buf, sizeof buf, kind);
    for (int level = 1; level <= 9; level += 4) {
      uint32_t cl = deflate_dict(buf, 8192, 8192, c, sizeof c, level);
      static uint8_t out[16384];
      memcpy(out, buf, 8192); /* the history */
      memset(out + 8192, 0, 8192);
      int32_t r = lfz_inflate_io(&work, c, c + cl, c, cl, out + 8192, 8192, 8192, 0, 0, cl, 0, 0);
      assert_int_equal(r, 8192);
      assert_memory_equal(out + 8192, buf + 8192, 8192);
      /* the same stream with too short a history */
      r = lfz_inflate_io(&work, c, c + cl, c, cl, out + 8192, 8192, 0, 0, 0, cl, 0, 0);
      if (kind != 4 || level != 1)
        assert_true(r == LFZ_E_DATA || r == 8192);
    }
  }
}

/* the `more` source: reveals `step` bytes more at each call */
struct piecewise {
  uint32_t there, n, step, calls;
};

static uint32_t more_bytes(void *ctx, uint32_t used)
{
  struct piecewise *p = ctx;
  assert_true(used == p->there); /* asked only when everything there is used */
  p->calls++;
  p->there = p->there + p->step < p->n ? p->there + p->step : p->n;
  return p->there;
}

struct pumpcheck {
  const uint8_t *want;
  uint32_t last, calls, fail_at;
};

static int pump_check(void *ctx, const uint8_t *out, uint32_t done)
{
  struct pumpcheck *p = ctx;
  assert_true(done >= p->last);
  assert_memory_equal(out, p->want, done); /* every byte reported is final */
  p->last = done;
  p->calls++;
  return p->fail_at && p->calls == p->fail_at;
}

/* at most this many output bytes after the pump's last call */
#ifdef LFZ_PUMP_MATCH
#define PUMP_SHORT (LFZ_PUMP_MATCH > LFZ_PUMP_LIT ? LFZ_PUMP_MATCH : LFZ_PUMP_LIT)
#else
#define PUMP_SHORT (4u > LFZ_PUMP_LIT ? 4u : LFZ_PUMP_LIT)
#endif

static void test_pieces_pump_history(void **state)
{
  (void)state;
  static uint8_t d[24576], c[30000], ring[8192], out[24576];
  for (int kind = 1; kind < 5; kind++) {
    make(d, sizeof d, kind);
    for (int level = 1; level <= 9; level += 4) {
      uint32_t cl = deflate_dict(d, 8192, sizeof d - 8192, c, sizeof c, level);
      if (cl > sizeof ring)
        continue;
      static const uint32_t steps[] = {1, 2, 3, 7, 64, 1000};
      for (size_t si = 0; si < sizeof steps / sizeof steps[0]; si++) {
        uint32_t start = (uint32_t)(sizeof ring - 5 - si * 300) % sizeof ring;
        for (uint32_t i = 0; i < cl; i++)
          ring[(start + i) % sizeof ring] = c[i];
        memcpy(out, d, 8192); /* the history */
        memset(out + 8192, 0, sizeof out - 8192);
        struct piecewise pw = {steps[si] < cl ? steps[si] : cl, cl, steps[si], 0};
        struct pumpcheck pc = {d + 8192, 0, 0, 0};
        int32_t r = lfz_inflate_io(&work, ring + start, ring + sizeof ring, ring, cl, out + 8192,
                                   sizeof out - 8192, 8192, pump_check, &pc, pw.there, more_bytes, &pw);
        assert_int_equal(r, (int32_t)(sizeof d - 8192));
        assert_memory_equal(out + 8192, d + 8192, sizeof d - 8192);
        assert_true(pc.calls > 0);
        assert_true((uint32_t)r - pc.last <= PUMP_SHORT);
        assert_true(steps[si] >= cl || pw.calls > 0);
        /* a pump that fails half-way stops the inflate */
        struct piecewise pw2 = {cl, cl, 1, 0};
        struct pumpcheck pf = {d + 8192, 0, 0, pc.calls / 2 + 1};
        r = lfz_inflate_io(&work, ring + start, ring + sizeof ring, ring, cl, out + 8192, sizeof out - 8192,
                           8192, pump_check, &pf, cl, more_bytes, &pw2);
        assert_int_equal(r, LFZ_E_PUMP);
        assert_int_equal(pw2.calls, 0);
      }
    }
  }
}

static void test_hand_made(void **state)
{
  (void)state;
  uint8_t o[16];
  /* empty fixed block: BFINAL=1 BTYPE=01, EOB = 0000000 */
  static const uint8_t empty_fixed[] = {0x03, 0x00};
  assert_int_equal(run(empty_fixed, sizeof empty_fixed, o, sizeof o), 0);
  /* empty stored block */
  static const uint8_t empty_stored[] = {0x01, 0x00, 0x00, 0xFF, 0xFF};
  assert_int_equal(run(empty_stored, sizeof empty_stored, o, sizeof o), 0);
  /* stored, LEN/NLEN mismatch */
  static const uint8_t bad_nlen[] = {0x01, 0x01, 0x00, 0xFF, 0xFF, 0x41};
  assert_int_equal(run(bad_nlen, sizeof bad_nlen, o, sizeof o), LFZ_E_DATA);
  /* block type 3 */
  static const uint8_t type3[] = {0x07, 0x00};
  assert_int_equal(run(type3, sizeof type3, o, sizeof o), LFZ_E_DATA);
  /* nothing */
  assert_int_equal(run(o, 0, o, sizeof o), LFZ_E_INPUT);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hand_made),     cmocka_unit_test(test_levels_windows),
      cmocka_unit_test(test_strategies),    cmocka_unit_test(test_ring_wrap),
      cmocka_unit_test(test_output_bound),  cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_corrupt),       cmocka_unit_test(test_history),
      cmocka_unit_test(test_pieces_pump_history),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
