/* The fault spec (bench/faults.h): phase-relative items (KIND@PHASE+N),
 * unplug, usb_short on the first IN transfer, and the phase marks on a
 * bench board (lf_bench_phase) with the report's "fired ... in phase". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/bench.h"
#include "bench/faults.h"

static void phase_items_parse(void **state)
{
  (void)state;
  lf_faults f;
  char err[256];
  assert_int_equal(lf_faults_parse(&f, "usb_timeout@erase+3,power_loss@program+2ms,flash_error@erase+1:0x10,"
                                       "swd_wait@verify+2x50,unplug@7",
                                   err, sizeof err),
                   0);
  assert_int_equal(f.n, 5);
  assert_string_equal(f.items[0].phase, "erase");
  assert_int_equal(f.items[0].at, 3);
  assert_string_equal(f.items[1].phase, "program");
  assert_int_equal(f.items[1].at, 2000000);
  assert_int_equal(f.items[2].arg, 0x10);
  assert_int_equal(f.items[3].count, 50);
  assert_int_equal(f.items[4].kind, LF_FAULT_USB_UNPLUG);
  assert_string_equal(f.items[4].phase, "");
  /* errors: no '+', hostile relative to a phase, a name too long, N = 0 */
  assert_int_equal(lf_faults_parse(&f, "usb_timeout@erase3", err, sizeof err), -1);
  assert_non_null(strstr(err, "PHASE+N"));
  assert_int_equal(lf_faults_parse(&f, "hostile@erase+3", err, sizeof err), -1);
  assert_int_equal(lf_faults_parse(&f, "usb_stall@averyveryverylongphase+3", err, sizeof err), -1);
  assert_int_equal(lf_faults_parse(&f, "usb_stall@erase+0", err, sizeof err), -1);
  assert_int_equal(lf_faults_parse(&f, "unplugged@3", err, sizeof err), -1);
  assert_non_null(strstr(err, "unplug"));
}

static void phase_items_fire_only_after_their_phase(void **state)
{
  (void)state;
  lf_faults f;
  char err[256];
  assert_int_equal(lf_faults_parse(&f, "usb_stall@erase+2", err, sizeof err), 0);
  for (int i = 0; i < 10; i++) /* before erase: never */
    assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, true));
  assert_int_equal(lf_faults_phase(&f, "program", 0), 0);
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, true));
  assert_int_equal(lf_faults_phase(&f, "erase", 0), 1);
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, false));    /* erase+1 */
  lf_fault *ft = lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, false); /* erase+2 */
  assert_non_null(ft);
  assert_string_equal(ft->fired_in, "erase");
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, true));
  /* a second entry does not re-arm */
  assert_int_equal(lf_faults_phase(&f, "erase", 0), 0);
  /* a time item: relative to the entry's time */
  assert_int_equal(lf_faults_parse(&f, "power_loss@program+1ms", err, sizeof err), 0);
  assert_null(lf_faults_due(&f, LF_FAULT_POWER_LOSS, 5000000));
  lf_faults_phase(&f, "program", 5000000);
  assert_null(lf_faults_due(&f, LF_FAULT_POWER_LOSS, 5999999));
  assert_non_null(lf_faults_due(&f, LF_FAULT_POWER_LOSS, 6000000));
}

static void unplug_is_forever_and_short_waits_for_an_in(void **state)
{
  (void)state;
  lf_faults f;
  char err[256];
  assert_int_equal(lf_faults_parse(&f, "unplug@3", err, sizeof err), 0);
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, true));
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, true));
  assert_false(lf_faults_unplugged(&f));
  for (int i = 0; i < 5; i++)
    assert_non_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, i & 1));
  assert_true(lf_faults_unplugged(&f));
  assert_int_equal(lf_faults_parse(&f, "usb_short@2", err, sizeof err), 0);
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, false));
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, false)); /* 2nd is an OUT */
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, false));
  assert_non_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, true)); /* the first IN from there */
  assert_null(lf_faults_usb_event(&f, LF_FAULT_USB_TIMEOUT, true));    /* once */
}

/* On a board: an unplugged probe answers NO_DEVICE to every transfer from
 * the Nth of its phase on; the report says when and in which phase. */
static void board_unplug_after_phase(void **state)
{
  (void)state;
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = "nucleo-f103rb";
  cfg.faults = "unplug@connect+2";
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b);
  const lf_bench_usb_info *u = lf_bench_usb_info_get(b);
  uint8_t cmd[16] = {0xF1}; /* GET_VERSION */
  uint8_t buf[64];
  size_t n;
  for (int i = 0; i < 3; i++) { /* before the phase: fine */
    assert_int_equal(lf_bench_usb_bulk_out(b, u->ep_out, cmd, 16, &n, 1000), 0);
    assert_int_equal(lf_bench_usb_bulk_in(b, u->ep_in, buf, 6, &n, 1000), 0);
  }
  assert_int_equal(lf_bench_phase(b, "connect"), 1);
  assert_int_equal(lf_bench_usb_bulk_out(b, u->ep_out, cmd, 16, &n, 1000), 0);
  assert_int_equal(lf_bench_usb_bulk_in(b, u->ep_in, buf, 6, &n, 1000), -4);
  assert_int_equal(lf_bench_usb_bulk_out(b, u->ep_out, cmd, 16, &n, 1000), -4);
  char *rep = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&rep, &len);
  lf_bench_report(b, f);
  fclose(f);
  assert_non_null(strstr(rep, "fault: unplug@connect armed, fired 2 at"));
  assert_non_null(strstr(rep, "in phase connect"));
  free(rep);
  lf_bench_board_free(b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(phase_items_parse),
    cmocka_unit_test(phase_items_fire_only_after_their_phase),
    cmocka_unit_test(unplug_is_forever_and_short_waits_for_an_in),
    cmocka_unit_test(board_unplug_after_phase),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
