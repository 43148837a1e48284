/* The RP2040 routine's decoder (src/flash/loaders/lf_inflate_m0.h, the
 * M0+-tuned form of lf_inflate.h) through every case of test_inflate.c
 * (against zlib: levels, windows, strategies, ring wrap, output bound,
 * truncated and corrupt streams, history, hand-made streams), and what
 * only the routine exercises: the input arriving in pieces (the `more`
 * source, down to one byte at a time, the stream wrapping around a ring)
 * with a preset history, and the pump: called with a growing count of
 * bytes that are all final, the last call at most LFM_PUMP_MATCH bytes
 * short of the end; a failing pump stops with LFZ_E_PUMP. */
#define LF_INFLATE_H /* test_inflate.c's include of lf_inflate.h: this decoder instead */
#include "flash/loaders/lf_inflate_m0.h"
#define lfz_work lfm_work
#define lfz_inflate lfm_inflate
#define lfz_inflate_io lfm_inflate_io
#define main test_inflate_cases
int test_inflate_cases(void);
#include "test_inflate.c"
#undef main

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

static void test_pieces_pump_history(void **state)
{
  (void)state;
  static uint8_t d[24576], c[30000], ring[8192], out[24576];
  for (int kind = 1; kind < 5; kind++) {
    make(d, sizeof d, kind);
    for (int level = 1; level <= 9; level += 4) {
      z_stream z;
      memset(&z, 0, sizeof z);
      assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
      assert_int_equal(deflateSetDictionary(&z, d, 8192), Z_OK);
      z.next_in = d + 8192;
      z.avail_in = sizeof d - 8192;
      z.next_out = c;
      z.avail_out = sizeof c;
      assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
      uint32_t cl = (uint32_t)z.total_out;
      deflateEnd(&z);
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
        int32_t r = lfm_inflate_io(&work, ring + start, ring + sizeof ring, ring, cl, out + 8192,
                                   sizeof out - 8192, 8192, pump_check, &pc, pw.there, more_bytes, &pw);
        assert_int_equal(r, (int32_t)(sizeof d - 8192));
        assert_memory_equal(out + 8192, d + 8192, sizeof d - 8192);
        assert_true(pc.calls > 0);
        assert_true((uint32_t)r - pc.last <= LFM_PUMP_MATCH);
        assert_true(steps[si] >= cl || pw.calls > 0);
        /* a pump that fails half-way stops the inflate */
        struct piecewise pw2 = {cl, cl, 1, 0};
        struct pumpcheck pf = {d + 8192, 0, 0, pc.calls / 2 + 1};
        r = lfm_inflate_io(&work, ring + start, ring + sizeof ring, ring, cl, out + 8192, sizeof out - 8192,
                           8192, pump_check, &pf, cl, more_bytes, &pw2);
        assert_int_equal(r, LFZ_E_PUMP);
        assert_int_equal(pw2.calls, 0);
      }
    }
  }
}

int main(void)
{
  if (test_inflate_cases())
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pieces_pump_history),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
