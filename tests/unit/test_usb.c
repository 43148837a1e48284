/* USB transport (usb.h): bench backend enumeration and selection rules, and
 * the libusb backend's enumeration: a device that does not match the filter
 * is never opened (only candidates' strings are read), so a filter matching
 * nothing costs no device I/O and returns at once.
 *
 * libusb_open is wrapped (-Wl,--wrap=libusb_open, cmake/usbtest.cmake) to
 * record which devices the backend opens. The binary runs twice: test_usb on
 * this machine's libusb (whatever devices it has; skipped with a message
 * when libusb cannot initialise, e.g. no USB stack in a container), and
 * test_usb_standin on the bench's libusb stand-in, whose devices are known
 * (LF_BENCH_BOARDS: an ST-LINK/V2-1 and an STLINK-V3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "core/session.h"
#include "probe/probe.h"
#include "probe/stlink.h"
#include "bench/usb_bench.h"

#define SER_A "066DFF575251717867174428"
#define SER_B "066DFF555654725187102240"

typedef struct two {
  lf_session *s;
  lf_bench_board *b[2];
  lf_usb_ctx *usb;
} two;

static void two_open(two *t)
{
  const char *sers[2] = {SER_A, SER_B};
  t->s = lf_session_new();
  for (int i = 0; i < 2; i++) {
    lf_bench_board_cfg cfg;
    lf_bench_board_cfg_default(&cfg);
    cfg.serial = sers[i];
    char err[256];
    t->b[i] = lf_bench_board_new(&cfg, err, sizeof err);
    assert_non_null(t->b[i]);
  }
  assert_int_equal(lf_usb_new_bench(t->s, t->b, 2, &t->usb), 0);
  assert_string_equal(lf_usb_backend_name(t->usb), "bench");
}

static void two_close(two *t)
{
  lf_usb_free(t->usb);
  for (int i = 0; i < 2; i++)
    lf_bench_board_free(t->b[i]);
  lf_session_free(t->s);
}

static int open_sel(two *t, const char *serial, int index, const char *loc, lf_usb_devinfo *info)
{
  lf_usb_select sel = {.serial = serial, .index = index, .location = loc};
  lf_usb_dev *d = NULL;
  int r = lf_usb_open(t->usb, lf_stlink_usb_ids, lf_stlink_usb_nids, &sel, &d, info);
  if (r == 0) {
    assert_non_null(d);
    assert_ptr_equal(lf_usb_bench_board(d), t->b[strcmp(info->location, "bench:1") == 0 ? 0 : 1]);
  }
  lf_usb_close(d);
  return r;
}

static void bench_list_filters_and_reads_strings(void **state)
{
  two t;
  two_open(&t);
  lf_usb_devinfo *ds;
  size_t n;
  assert_int_equal(lf_usb_list(t.usb, lf_stlink_usb_ids, lf_stlink_usb_nids, &ds, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(ds[0].serial, SER_A);
  assert_string_equal(ds[0].location, "bench:1");
  assert_int_equal(ds[0].vid, 0x0483);
  assert_int_equal(ds[0].pid, 0x374B); /* probe-protocols.md 1.1 V2-1 */
  assert_string_equal(ds[1].serial, SER_B);
  assert_string_equal(ds[1].location, "bench:2");
  free(ds);
  /* a filter without the V2-1 PID finds nothing */
  const lf_usb_match v3only[] = {{.vid = 0x0483, .pid = 0x374F}};
  assert_int_equal(lf_usb_list(t.usb, v3only, 1, &ds, &n), 0);
  assert_int_equal(n, 0);
  free(ds);
  two_close(&t);
}

static void bench_select_full_serial_prefix_index_location(void **state)
{
  two t;
  two_open(&t);
  lf_usb_devinfo info;
  assert_int_equal(open_sel(&t, SER_B, -1, NULL, &info), 0);
  assert_string_equal(info.serial, SER_B);
  assert_int_equal(open_sel(&t, "066DFF57", -1, NULL, &info), 0); /* unique prefix */
  assert_string_equal(info.serial, SER_A);
  assert_int_equal(open_sel(&t, NULL, 1, NULL, &info), 0);
  assert_string_equal(info.location, "bench:2");
  assert_int_equal(open_sel(&t, NULL, -1, "bench:1", &info), 0);
  assert_string_equal(info.serial, SER_A);
  two_close(&t);
}

static void bench_ambiguous_prefix_lists_matches(void **state)
{
  two t;
  two_open(&t);
  lf_usb_devinfo info;
  assert_int_equal(open_sel(&t, "066DFF", -1, NULL, &info), LF_EINVAL);
  const char *m = lf_err_msg(t.s);
  assert_non_null(strstr(m, "ambiguous"));
  assert_non_null(strstr(m, SER_A " (bench:1)"));
  assert_non_null(strstr(m, SER_B " (bench:2)"));
  /* no selector with two probes: also an error listing both */
  assert_int_equal(open_sel(&t, NULL, -1, NULL, &info), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(t.s), SER_B));
  two_close(&t);
}

static void bench_missing_serial_index_location_errors(void **state)
{
  two t;
  two_open(&t);
  lf_usb_devinfo info;
  assert_int_equal(open_sel(&t, "ABCDEF", -1, NULL, &info), LF_ENODEV);
  const char *m = lf_err_msg(t.s);
  assert_non_null(strstr(m, "no probe with serial ABCDEF"));
  assert_non_null(strstr(m, SER_A)); /* names what was found */
  assert_int_equal(open_sel(&t, NULL, 2, NULL, &info), LF_ENODEV);
  assert_non_null(strstr(lf_err_msg(t.s), "index 2"));
  assert_int_equal(open_sel(&t, NULL, -1, "bench:9", &info), LF_ENODEV);
  assert_non_null(strstr(lf_err_msg(t.s), "bench:9"));
  two_close(&t);
}

/* Registry on two boards: both listed, selection by serial prefix. */
static void registry_lists_two_and_opens_by_prefix(void **state)
{
  two t;
  two_open(&t);
  lf_probe_entry *es;
  size_t n;
  assert_int_equal(lf_probe_list(t.s, t.usb, &es, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(es[1].info.serial, SER_B);
  assert_string_equal(es[1].info.firmware, "V2J37M26");
  free(es);
  lf_probe *p;
  lf_probe_selector sel = {.serial = "066DFF55", .index = -1};
  assert_int_equal(lf_probe_open(t.s, t.usb, &sel, &p), 0);
  assert_string_equal(p->info.location, "bench:2");
  lf_probe_close(p);
  two_close(&t);
}

/* One batch = one round trip, whatever the number of transfers. */
static void batch_counts_one_round_trip(void **state)
{
  two t;
  two_open(&t);
  lf_usb_select sel = {.index = 0};
  lf_usb_dev *d;
  assert_int_equal(lf_usb_open(t.usb, lf_stlink_usb_ids, lf_stlink_usb_nids, &sel, &d, NULL), 0);
  uint8_t cmd[16] = {0xF1}, rep[6], mode[16] = {0xF5}, m[2];
  lf_usb_xfer xs[4] = {
    {.ep = 0x01, .buf = cmd, .len = 16},
    {.ep = 0x81, .buf = rep, .len = 6},
    {.ep = 0x01, .buf = mode, .len = 16},
    {.ep = 0x81, .buf = m, .len = 2},
  };
  uint64_t t0 = lf_bench_clock(t.b[0])->now_ns;
  assert_int_equal(lf_usb_batch(d, xs, 4, 100, "version+mode"), 0);
  /* modeled time by hand from the params: usb_fs_transfer_latency_ns
   * once for the batch, full-speed wire time (bytes + 15 B per packet) * 8 /
   * 12 Mbit/s of 16 B (20667), 6 B (14000), 16 B, 2 B (11333), and
   * stlink_cmd_ns 20000 per command */
  uint64_t lat = (uint64_t)lf_bench_params_get(t.b[0])->usb_fs_transfer_latency_ns;
  assert_int_equal(lf_bench_clock(t.b[0])->now_ns - t0,
                   lat + 20667 + 20000 + 14000 + 20667 + 20000 + 11333);
  assert_int_equal(xs[1].actual, 6);
  assert_int_equal(rep[4] | rep[5] << 8, 0x374B);
  const lf_usb_stats *st = lf_usb_dev_stats(d);
  assert_int_equal(st->round_trips, 1);
  assert_int_equal(st->transfers, 4);
  assert_int_equal(st->bytes_out, 32);
  assert_int_equal(st->bytes_in, 8);
  /* an IN with nothing pending times out: the error names device, op and
   * endpoint, and the later transfer does not run */
  lf_usb_xfer bad[2] = {{.ep = 0x81, .buf = m, .len = 2}, {.ep = 0x01, .buf = cmd, .len = 16}};
  assert_int_equal(lf_usb_batch(d, bad, 2, 100, "probe"), LF_ETIMEDOUT);
  assert_non_null(strstr(lf_err_msg(t.s), SER_A " (bench:1): probe: IN transfer"));
  assert_non_null(strstr(lf_err_msg(t.s), "timeout"));
  assert_int_equal(bad[1].actual, 0);
  lf_usb_close(d);
  two_close(&t);
}

/* A pipe: pairs pushed without waiting, popped in order; one round trip
 * while it is busy (the bench charges the latency once, as for a batch of
 * the same transfers); a failed reply names the operation; cancel empties
 * it and the pipe works again. On the bench transport and through the
 * libusb backend (asynchronous transfers; on the stand-in). */
static void pipe_pairs_in_order(lf_usb_ctx *c, lf_bench_board *b)
{
  lf_usb_select sel = {.index = 0};
  lf_usb_dev *d;
  assert_int_equal(lf_usb_open(c, lf_stlink_usb_ids, lf_stlink_usb_nids, &sel, &d, NULL), 0);
  uint8_t cmd[16] = {0xF1}, rep[6], mode[16] = {0xF5}, m[2];
  lf_usb_xfer xs[4] = {
    {.ep = 0x01, .buf = cmd, .len = 16},
    {.ep = 0x81, .buf = rep, .len = 6},
    {.ep = 0x01, .buf = mode, .len = 16},
    {.ep = 0x81, .buf = m, .len = 2},
  };
  uint64_t rt0 = lf_usb_dev_stats(d)->round_trips;
  uint64_t t0 = b ? lf_bench_clock(b)->now_ns : 0;
  assert_int_equal(lf_usb_pipe_push(d, &xs[0], &xs[1], 100), 0);
  assert_int_equal(lf_usb_pipe_push(d, &xs[2], &xs[3], 100), 0);
  assert_int_equal(lf_usb_pipe_depth(d), 2);
  assert_int_equal(lf_usb_pipe_pop(d, "version"), 0);
  assert_int_equal(xs[1].actual, 6);
  assert_int_equal(rep[4] | rep[5] << 8, 0x374B);
  assert_int_equal(lf_usb_pipe_pop(d, "mode"), 0);
  assert_int_equal(xs[3].actual, 2);
  assert_int_equal(lf_usb_pipe_depth(d), 0);
  if (b) /* the times of batch_counts_one_round_trip: the same transfers, one latency */
    assert_int_equal(lf_bench_clock(b)->now_ns - t0,
                     (uint64_t)lf_bench_params_get(b)->usb_fs_transfer_latency_ns + 20667 + 20000 + 14000 +
                         20667 + 20000 + 11333);
  const lf_usb_stats *st = lf_usb_dev_stats(d);
  assert_int_equal(st->round_trips - rt0, 1);
  /* a request the probe does not answer (DFU_EXIT has no reply phase): the
   * reply times out, named */
  uint8_t dfu_exit[16] = {0xF3, 0x07};
  lf_usb_xfer q[2] = {{.ep = 0x01, .buf = dfu_exit, .len = 16}, {.ep = 0x81, .buf = m, .len = 2}};
  assert_int_equal(lf_usb_pipe_push(d, &q[0], &q[1], 100), 0);
  assert_int_equal(lf_usb_pipe_pop(d, "probe"), LF_ETIMEDOUT);
  assert_non_null(strstr(lf_err_msg(lf_usb_session(d)), "probe: IN transfer"));
  /* cancel: nothing left in flight, the pipe works again */
  assert_int_equal(lf_usb_pipe_push(d, &xs[0], &xs[1], 100), 0);
  assert_int_equal(lf_usb_pipe_push(d, &xs[0], &xs[1], 100), 0);
  lf_usb_pipe_cancel(d);
  assert_int_equal(lf_usb_pipe_depth(d), 0);
  assert_int_equal(lf_usb_pipe_push(d, &xs[0], &xs[1], 100), 0);
  assert_int_equal(lf_usb_pipe_pop(d, "version"), 0);
  assert_int_equal(rep[4] | rep[5] << 8, 0x374B);
  assert_int_equal(lf_usb_pipe_pop(d, "nothing"), LF_EINVAL);
  lf_usb_close(d);
}

static void pipe_on_bench(void **state)
{
  two t;
  two_open(&t);
  pipe_pairs_in_order(t.usb, t.b[0]);
  two_close(&t);
}

/* ---- libusb backend ---- */

/* Every device the backend opens, by VID:PID (through the wrap). */
static struct {
  size_t n;
  uint16_t vid[16], pid[16];
} opened;

int __real_libusb_open(libusb_device *dev, libusb_device_handle **h);
int __wrap_libusb_open(libusb_device *dev, libusb_device_handle **h);
int __wrap_libusb_open(libusb_device *dev, libusb_device_handle **h)
{
  struct libusb_device_descriptor dd = {0};
  libusb_get_device_descriptor(dev, &dd);
  if (opened.n < 16) {
    opened.vid[opened.n] = dd.idVendor;
    opened.pid[opened.n] = dd.idProduct;
  }
  opened.n++;
  return __real_libusb_open(dev, h);
}

static bool on_standin(void)
{
  return strcmp(libusb_get_version()->describe, "luaflash bench libusb stand-in") == 0;
}

/* The libusb backend, or a cmocka skip saying why there is none. */
static lf_usb_ctx *libusb_or_skip(lf_session *s)
{
  lf_usb_ctx *c = NULL;
  if (lf_usb_new_libusb(s, &c) != 0) {
    /* the backend's failure is an error with a message, not a hang */
    assert_non_null(strstr(lf_err_msg(s), "libusb"));
    print_message("skipping: libusb cannot initialise here (%s); no USB stack to enumerate "
                  "(e.g. a container without /dev/bus/usb)\n", lf_err_msg(s));
    lf_session_free(s);
    skip();
  }
  assert_string_equal(lf_usb_backend_name(c), "libusb");
  return c;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A VID:PID that no device of this libusb has (and how many devices it has). */
static lf_usb_match absent_id(size_t *ndev)
{
  libusb_context *lc;
  assert_int_equal(libusb_init(&lc), 0);
  libusb_device **list;
  ssize_t n = libusb_get_device_list(lc, &list);
  assert_true(n >= 0);
  lf_usb_match m = {.vid = 0xFFFF, .pid = 0xFFFF};
  for (bool clash = true; clash;) {
    clash = false;
    for (ssize_t i = 0; i < n; i++) {
      struct libusb_device_descriptor dd;
      if (libusb_get_device_descriptor(list[i], &dd) == 0 && dd.idVendor == m.vid &&
          dd.idProduct == m.pid) {
        m.pid--;
        clash = true;
      }
    }
  }
  libusb_free_device_list(list, 1);
  libusb_exit(lc);
  *ndev = (size_t)n;
  return m;
}

/* Whatever devices this machine has: a filter matching none of them gives
 * no candidate, opens no device (so reads nothing from any), and returns
 * well within a second (no per-device timeouts, no sleeps); opening by that
 * filter says "no probe found". */
static void libusb_filter_matching_no_device_opens_none_and_returns_fast(void **state)
{
  (void)state;
  lf_session *s = lf_session_new();
  lf_usb_ctx *c = libusb_or_skip(s);
  size_t ndev;
  const lf_usb_match none = absent_id(&ndev);
  if (on_standin())
    assert_int_equal(ndev, 2); /* cmake/usbtest.cmake's two boards: non-candidates here */
  print_message("%zu USB device(s) present, filter %04x:%04x matches none\n", ndev, none.vid,
                none.pid);
  opened.n = 0;
  lf_usb_devinfo *ds;
  size_t n = 99;
  double t0 = now_s();
  assert_int_equal(lf_usb_list(c, &none, 1, &ds, &n), 0);
  double dt = now_s() - t0;
  assert_int_equal(n, 0);
  free(ds);
  assert_int_equal(opened.n, 0);
  if (dt > 0.5)
    fail_msg("listing %zu device(s) took %.3f s", ndev, dt);
  lf_usb_dev *d = NULL;
  lf_usb_select sel = {.index = -1};
  assert_int_equal(lf_usb_open(c, &none, 1, &sel, &d, NULL), LF_ENODEV);
  assert_null(d);
  assert_string_equal(lf_err_msg(s), "usb: no probe found (libusb backend)");
  assert_int_equal(opened.n, 0);
  lf_usb_free(c);
  lf_session_free(s);
}

/* On the stand-in (known devices: an ST-LINK/V2-1 and an STLINK-V3): only
 * candidates are opened to read their strings; the other device is not. */
static void libusb_reads_strings_of_candidates_only(void **state)
{
  (void)state;
  if (!on_standin()) {
    print_message("skipping: which devices get opened is checked on the libusb stand-in "
                  "(ctest test_usb_standin), where the devices are known\n");
    skip();
  }
  lf_session *s = lf_session_new();
  lf_usb_ctx *c = libusb_or_skip(s);
  const lf_usb_match v3[] = {{.vid = 0x0483, .pid = 0x374F}};
  lf_usb_devinfo *ds;
  size_t n;
  opened.n = 0;
  assert_int_equal(lf_usb_list(c, v3, 1, &ds, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(ds[0].serial, "USBTESTV3");
  free(ds);
  assert_int_equal(opened.n, 1);
  assert_int_equal(opened.vid[0], 0x0483);
  assert_int_equal(opened.pid[0], 0x374F);
  /* every ST-Link: both are candidates, each opened once */
  opened.n = 0;
  assert_int_equal(lf_usb_list(c, lf_stlink_usb_ids, lf_stlink_usb_nids, &ds, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(ds[0].serial, "USBTESTV21");
  assert_string_equal(ds[1].serial, "USBTESTV3");
  free(ds);
  assert_int_equal(opened.n, 2);
  lf_usb_free(c);
  lf_session_free(s);
}

/* A probe that fails while being described is still listed, with a note. */
static void registry_lists_failing_probe_with_note(void **state)
{
  lf_session *s = lf_session_new();
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.faults = "usb_stall@1";
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b);
  lf_usb_ctx *usb;
  assert_int_equal(lf_usb_new_bench(s, &b, 1, &usb), 0);
  lf_probe_entry *es;
  size_t n;
  assert_int_equal(lf_probe_list(s, usb, &es, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(es[0].info.serial, SER_A);
  assert_string_equal(es[0].info.firmware, "");
  assert_false(es[0].has_voltage);
  assert_non_null(strstr(es[0].note, "stalled"));
  free(es);
  /* the stall was one-shot: listing again gives the version */
  assert_int_equal(lf_probe_list(s, usb, &es, &n), 0);
  assert_string_equal(es[0].info.firmware, "V2J37M26");
  assert_string_equal(es[0].note, "");
  free(es);
  lf_usb_free(usb);
  lf_bench_board_free(b);
  lf_session_free(s);
}

/* The claimed interface and its endpoints in descriptor order: a bulk OUT
 * and a bulk IN (the ST-Link's 0x01/0x81), on the bench transport and
 * through the libusb backend's config descriptor (on the stand-in). */
static void endpoints_of_the_claimed_interface(lf_usb_ctx *c)
{
  const lf_usb_match v21[] = {{.vid = 0x0483, .pid = 0x374B, .iface = 0}};
  lf_usb_select sel = {.index = 0};
  lf_usb_dev *d;
  assert_int_equal(lf_usb_open(c, v21, 1, &sel, &d, NULL), 0);
  assert_int_equal(lf_usb_dev_iface(d), 0);
  lf_usb_ep eps[4];
  size_t n = 0;
  assert_int_equal(lf_usb_endpoints(d, eps, 4, &n), 0);
  assert_true(n >= 2);
  bool out = false, in = false;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(eps[i].type, LF_USB_BULK);
    assert_true(eps[i].max_packet == 64 || eps[i].max_packet == 512);
    out |= eps[i].addr == 0x01;
    in |= eps[i].addr == 0x81;
  }
  assert_true(out && in);
  assert_int_equal(lf_usb_endpoints(d, eps, 1, &n), 0); /* at most max */
  assert_int_equal(n, 1);
  lf_usb_close(d);
}

static void pipe_on_libusb(void **state)
{
  if (!on_standin()) {
    print_message("skipping: the devices are known on the stand-in (ctest test_usb_standin)\n");
    return;
  }
  lf_session *s = lf_session_new();
  lf_usb_ctx *c = libusb_or_skip(s);
  pipe_pairs_in_order(c, NULL);
  lf_usb_free(c);
  lf_session_free(s);
}

static void endpoints_are_listed_on_bench_and_libusb(void **state)
{
  two t;
  two_open(&t);
  endpoints_of_the_claimed_interface(t.usb);
  two_close(&t);
  if (!on_standin()) {
    print_message("skipping the libusb half: the devices are known on the stand-in "
                  "(ctest test_usb_standin)\n");
    return;
  }
  lf_session *s = lf_session_new();
  lf_usb_ctx *c = libusb_or_skip(s);
  endpoints_of_the_claimed_interface(c);
  lf_usb_free(c);
  lf_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(bench_list_filters_and_reads_strings),
    cmocka_unit_test(bench_select_full_serial_prefix_index_location),
    cmocka_unit_test(bench_ambiguous_prefix_lists_matches),
    cmocka_unit_test(bench_missing_serial_index_location_errors),
    cmocka_unit_test(registry_lists_two_and_opens_by_prefix),
    cmocka_unit_test(batch_counts_one_round_trip),
    cmocka_unit_test(pipe_on_bench),
    cmocka_unit_test(pipe_on_libusb),
    cmocka_unit_test(registry_lists_failing_probe_with_note),
    cmocka_unit_test(libusb_filter_matching_no_device_opens_none_and_returns_fast),
    cmocka_unit_test(libusb_reads_strings_of_candidates_only),
    cmocka_unit_test(endpoints_are_listed_on_bench_and_libusb),
  };
  return cmocka_run_group_tests_name("usb", tests, NULL, NULL);
}
