/* The bench backend's optional USB transfer log (lf_usb_bench_log, used by
 * luaflash --trace): off by default, every bulk transfer with its virtual
 * start/end when on, capped with a dropped count, refused on libusb. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bench/bench.h"
#include "core/session.h"
#include "probe/stlink.h"
#include "bench/usb_bench.h"

typedef struct rig {
  lf_session *s;
  lf_bench_board *b;
  lf_usb_ctx *usb;
  lf_usb_dev *d;
} rig;

static void rig_open(rig *r)
{
  char err[256];
  r->s = lf_session_new();
  assert_non_null(r->s);
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  r->b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(r->b);
  assert_int_equal(lf_usb_new_bench(r->s, &r->b, 1, &r->usb), 0);
  lf_usb_select sel = {.index = -1};
  assert_int_equal(lf_usb_open(r->usb, lf_stlink_usb_ids, lf_stlink_usb_nids, &sel, &r->d, NULL), 0);
}

static void rig_close(rig *r)
{
  lf_usb_close(r->d);
  lf_usb_free(r->usb);
  lf_bench_board_free(r->b);
  lf_session_free(r->s);
}

/* GET_VERSION: the 16-byte command out (EP 0x01 on the ST-LINK/V2-1), then
 * the 6-byte reply in (EP 0x81). */
static int get_version(rig *r, uint8_t ep_out, uint8_t ep_in)
{
  uint8_t cmd[16] = {0xF1}, reply[6];
  lf_usb_xfer xs[2] = {{.ep = ep_out, .buf = cmd, .len = sizeof cmd},
                       {.ep = ep_in, .buf = reply, .len = sizeof reply}};
  return lf_usb_batch(r->d, xs, 2, 1000, "get version");
}

static void log_records_each_transfer_with_virtual_times(void **state)
{
  (void)state;
  rig r;
  rig_open(&r);
  size_t n = 99, dropped = 99;
  lf_usb_bench_events(r.usb, &n, &dropped);
  assert_int_equal(n, 0); /* off by default */
  assert_int_equal(dropped, 0);

  assert_int_equal(lf_usb_bench_log(r.usb, 3), 0);
  uint64_t start = lf_bench_clock(r.b)->now_ns;
  assert_int_equal(get_version(&r, 0x01, 0x81), 0);
  assert_int_equal(get_version(&r, 0x01, 0x81), 0);
  uint64_t end = lf_bench_clock(r.b)->now_ns;
  const lf_usb_bench_event *ev = lf_usb_bench_events(r.usb, &n, &dropped);
  assert_int_equal(n, 3); /* capped at 3 of the 4 transfers */
  assert_int_equal(dropped, 1);
  assert_int_equal(ev[0].ep, 0x01);
  assert_int_equal(ev[0].len, 16);
  assert_int_equal(ev[0].actual, 16);
  assert_int_equal(ev[1].ep, 0x81);
  assert_int_equal(ev[1].len, 6);
  assert_int_equal(ev[1].actual, 6);
  assert_int_equal(ev[2].ep, 0x01);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(ev[i].board, 1);
    assert_int_equal(ev[i].result, 0);
    assert_true(ev[i].t0_ns >= start && ev[i].t1_ns <= end && ev[i].t1_ns >= ev[i].t0_ns);
    if (i)
      assert_true(ev[i].t0_ns >= ev[i - 1].t1_ns); /* in order, no overlap */
  }
  /* the first transfer of a batch carries the round trip's start (USB latency) */
  assert_true(ev[0].t1_ns > ev[0].t0_ns);
  assert_int_equal(ev[0].t0_ns, start);

  assert_int_equal(lf_usb_bench_log(r.usb, 0), 0); /* off: freed, nothing kept */
  assert_int_equal(get_version(&r, 0x01, 0x81), 0);
  lf_usb_bench_events(r.usb, &n, &dropped);
  assert_int_equal(n, 0);
  rig_close(&r);
}

static void log_refused_on_libusb(void **state)
{
  (void)state;
  lf_session *s = lf_session_new();
  lf_usb_ctx *c = NULL;
  if (lf_usb_new_libusb(s, &c) != 0) {
    lf_session_free(s);
    skip();
  }
  assert_int_equal(lf_usb_bench_log(c, 10), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(s), "only on the bench"));
  size_t n = 1;
  assert_null(lf_usb_bench_events(c, &n, NULL));
  assert_int_equal(n, 0);
  lf_usb_free(c);
  lf_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(log_records_each_transfer_with_virtual_times),
    cmocka_unit_test(log_refused_on_libusb),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
