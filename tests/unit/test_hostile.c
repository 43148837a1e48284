/* The hostile probe (faults.h hostile@SEED[:PERMILLE], vprobe.c): the spec,
 * and the layer's behaviour on raw ST-Link traffic: deterministic per seed,
 * corrupting about the rate asked, nothing at rate 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/bench.h"
#include "bench/faults.h"

static void hostile_spec_parses_seed_and_rate(void **state)
{
  (void)state;
  lf_faults f;
  char err[256];
  assert_int_equal(lf_faults_parse(&f, "hostile@7:25", err, sizeof err), 0);
  const lf_fault *h = lf_faults_hostile(&f);
  assert_non_null(h);
  assert_int_equal(h->at, 7);
  assert_int_equal(h->arg, 25);
  assert_int_equal(lf_faults_parse(&f, "usb_timeout@3,hostile@0", err, sizeof err), 0);
  h = lf_faults_hostile(&f);
  assert_non_null(h);
  assert_int_equal(h->at, 0);
  assert_int_equal(h->arg, 10);
  assert_int_equal(lf_faults_parse(&f, "usb_timeout@3", err, sizeof err), 0);
  assert_null(lf_faults_hostile(&f));
  assert_int_equal(lf_faults_parse(&f, "hostile@3:1001", err, sizeof err), -1);
  assert_non_null(strstr(err, "PERMILLE"));
  assert_int_equal(lf_faults_parse(&f, "hostile@x", err, sizeof err), -1);
}

#define ROUNDS 400

/* GET_VERSION ROUNDS times on a board with that fault spec; the replies
 * (6 bytes, or a marker for a failed transfer) into out. */
static void run(const char *faults, uint8_t out[ROUNDS][8])
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = "nucleo-f103rb";
  cfg.faults = faults;
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b);
  for (int i = 0; i < ROUNDS; i++) {
    uint8_t cmd[16] = {0xF1}, r[8] = {0};
    size_t n = 0;
    int ro = lf_bench_usb_bulk_out(b, 0x01, cmd, sizeof cmd, &n, 100);
    int ri = ro ? 0 : lf_bench_usb_bulk_in(b, 0x81, r, 6, &n, 100);
    memset(out[i], 0, 8);
    memcpy(out[i], r, 6);
    out[i][6] = (uint8_t)(ro ? 0x80 | -ro : ri ? 0x40 | -ri : 0);
    out[i][7] = (uint8_t)n;
  }
  lf_bench_board_free(b);
}

static void hostile_layer_is_seeded_and_keeps_its_rate(void **state)
{
  (void)state;
  static uint8_t clean[ROUNDS][8], a[ROUNDS][8], b[ROUNDS][8], c[ROUNDS][8], none[ROUNDS][8];
  run(NULL, clean);
  run("hostile@42:100", a);
  run("hostile@42:100", b);
  run("hostile@43:100", c);
  run("hostile@42:0", none);
  assert_memory_equal(a, b, sizeof a);         /* same seed, same corruption */
  assert_memory_equal(none, clean, sizeof none); /* rate 0: the layer is transparent */
  int bad = 0, differ = 0;
  for (int i = 0; i < ROUNDS; i++) {
    bad += memcmp(a[i], clean[i], 8) != 0;
    differ += memcmp(a[i], c[i], 8) != 0;
  }
  /* 10 % of 800 transfers: some 80 spoiled, a few replies each unchanged
   * by chance; another seed spoils others */
  assert_true(bad > 20 && bad < 200);
  assert_true(differ > 20);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(hostile_spec_parses_seed_and_rate),
    cmocka_unit_test(hostile_layer_is_seeded_and_keeps_its_rate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
