/* Virtual clock and parameter table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bench/clock.h"
#include "bench/faults.h"
#include "bench/params.h"
#include "bench/soc_util.h"

static void clock_categories_sum_to_now(void **state)
{
  (void)state;
  lf_clock c;
  lf_clock_init(&c);
  lf_clock_advance(&c, LF_CLK_USB, 1000);
  lf_clock_advance(&c, LF_CLK_SWD, 46);
  lf_clock_advance(&c, LF_CLK_FW, 7);
  uint64_t sum = 0;
  for (int i = 0; i < LF_CLK_NCAT; i++)
    sum += c.cat_ns[i];
  assert_int_equal(c.now_ns, 1053);
  assert_int_equal(sum, c.now_ns);
}

static void swd_read_at_4mhz_is_11500ns(void **state)
{
  (void)state; /* probe-protocols.md 4.1: 46 cycles */
  assert_int_equal(lf_clock_cycles_ns(46, 4e6), 11500);
  assert_int_equal(lf_clock_cycles_ns(46, 1.8e6), 25556);
}

static void every_param_row_has_a_source_and_is_settable(void **state)
{
  (void)state;
  const lf_param_desc *rows;
  size_t n = lf_bench_params_table(&rows);
  assert_true(n > 30);
  lf_bench_params p;
  lf_bench_params_default(&p);
  char err[256];
  for (size_t i = 0; i < n; i++) {
    assert_non_null(rows[i].source);
    assert_true(strlen(rows[i].source) > 5);
    char a[128];
    snprintf(a, sizeof a, "%s=3", rows[i].name);
    assert_int_equal(lf_bench_params_set(&p, a, err, sizeof err), 0);
    assert_true(*(double *)((char *)&p + rows[i].offset) == 3.0);
  }
}

static void params_set_units_and_errors(void **state)
{
  (void)state;
  lf_bench_params p;
  lf_bench_params_default(&p);
  char err[256];
  assert_int_equal(lf_bench_params_set(&p, "usb_fs_transfer_latency_ns=250us", err, sizeof err), 0);
  assert_true(p.usb_fs_transfer_latency_ns == 250e3);
  assert_true(p.usb_hs_transfer_latency_ns == 40e3); /* the HS row is its own */
  /* the old single row is an alias that sets both */
  assert_int_equal(lf_bench_params_set(&p, "usb_transfer_latency_ns=1ms", err, sizeof err), 0);
  assert_true(p.usb_fs_transfer_latency_ns == 1e6 && p.usb_hs_transfer_latency_ns == 1e6);
  assert_int_equal(lf_bench_params_set(&p, "usb_transfer_latency_ns=x", err, sizeof err), -1);
  assert_int_equal(lf_bench_params_set(&p, "core_hsi_hz=8MHz", err, sizeof err), 0);
  assert_true(p.core_hsi_hz == 8e6);
  assert_int_equal(lf_bench_params_set(&p, "nope=1", err, sizeof err), -1);
  assert_non_null(strstr(err, "unknown bench parameter 'nope'"));
  assert_int_equal(lf_bench_params_set(&p, "core_cpi=abc", err, sizeof err), -1);
  assert_non_null(strstr(err, "not a number"));
  assert_int_equal(lf_bench_params_set(&p, "core_cpi=1furlong", err, sizeof err), -1);
  assert_non_null(strstr(err, "unknown unit"));
}

static void flash_times_follow_table_9_1(void **state)
{
  (void)state; /* stm32f7-target.md 9.1, typical column */
  lf_bench_params p;
  lf_bench_params_default(&p);
  assert_true(lf_param_flash_erase_ns(&p, 32 * 1024, 2) == 200e6);
  assert_true(lf_param_flash_erase_ns(&p, 128 * 1024, 0) == 1100e6);
  assert_true(lf_param_flash_erase_ns(&p, 256 * 1024, 1) == 1300e6);
  assert_true(lf_param_flash_mass_ns(&p, 2, 2 * 1024 * 1024) == 8e9);
  /* one bank of two: the full tME too (calibration P13/P11), not half */
  assert_true(lf_param_flash_mass_ns(&p, 2, 1024 * 1024) == p.flash_mass_ns[2]);
  assert_true(lf_param_flash_f4_mass_ns(&p, 0, 1024 * 1024) == p.flash_f4_mass_ns[0]);
  assert_true(lf_param_flash_prog_ns(&p) == 16e3);
  p.flash_timing_max = 1;
  assert_true(lf_param_flash_erase_ns(&p, 32 * 1024, 0) == 800e6);
  assert_true(lf_param_flash_prog_ns(&p) == 100e3);
}

/* Calibration R6 (issue 18), RM0090 4.2: "CRC computation done in 4 AHB
 * clock cycles". At HCLK 16 MHz one word = crc_cycles_per_word / 16 MHz =
 * 250 ns. The fixed unit (F1/F4: no INIT register) stalls a DR write while
 * the previous word computes; the programmable one (F7/L4) buffers one word.
 * Four writes at the same instant t = 0 (a core block's accesses):
 *   fixed: accepted at 0, 250, 500, 750 -> stalls 0 + 250 + 500 + 750;
 *   buffered: the 2nd is held at once, the 3rd waits until the 2nd starts
 *   (250), the 4th until the 3rd starts (500) -> 0 + 0 + 250 + 500.
 * A DR read waits for the last computation (1000 ns in both). */
static void crc_unit_charges_cycles_per_word(void **state)
{
  (void)state;
  static const lf_stm32_reg fixed_regs[] = {{0x00, 0xFFFFFFFFu, 0, 0}, {0x04, 0, 0xFFu, 0}, {0x08, 0, 0, 0}};
  static const lf_stm32_reg prog_regs[] = {{0x00, 0xFFFFFFFFu, 0, 0}, {0x04, 0, 0xFFu, 0}, {0x08, 0, 0xF9u, 0},
                                           {0x10, 0xFFFFFFFFu, 0xFFFFFFFFu, 0},
                                           {0x14, 0x04C11DB7u, 0xFFFFFFFFu, 0}};
  lf_bench_params p;
  lf_bench_params_default(&p);
  assert_true(p.crc_cycles_per_word == 4);
  uint64_t word_ns = (uint64_t)(p.crc_cycles_per_word * 1e9 / 16e6);
  for (int prog = 0; prog < 2; prog++) {
    lf_crc_unit u;
    if (prog)
      lf_crc_init(&u, (lf_stm32_reg_table)LF_STM32_REG_TABLE(prog_regs), p.crc_cycles_per_word);
    else
      lf_crc_init(&u, (lf_stm32_reg_table)LF_STM32_REG_TABLE(fixed_regs), p.crc_cycles_per_word);
    uint64_t stall = 0, sum = 0;
    for (int i = 0; i < 4; i++) {
      uint64_t t = 0;
      lf_crc_write(&u, 0x00, 0x12345678u, 0xFFFFFFFFu, 0x12345678u, 4, 16e6, &t, &stall);
      uint64_t want = prog ? (i < 2 ? 0 : (uint64_t)(i - 1) * word_ns) : (uint64_t)i * word_ns;
      assert_int_equal(t, want);
      sum += want;
    }
    assert_int_equal(stall, sum);
    uint64_t t = 0;
    (void)lf_crc_read(&u, 0x00, &t, &stall);
    assert_int_equal(t, 4 * word_ns);
  }
  /* crc_cycles_per_word = 0: no time at all */
  lf_crc_unit u;
  lf_crc_init(&u, (lf_stm32_reg_table)LF_STM32_REG_TABLE(fixed_regs), 0);
  uint64_t t = 0, stall = 0;
  for (int i = 0; i < 4; i++)
    lf_crc_write(&u, 0x00, 1, 0xFFFFFFFFu, 1, 4, 16e6, &t, &stall);
  assert_int_equal(t, 0);
  assert_int_equal(stall, 0);
}

static void faults_parse_and_fire_on_the_right_event(void **state)
{
  (void)state;
  lf_faults f;
  char err[256];
  assert_int_equal(lf_faults_parse(&f, "usb_timeout@3,swd_wait@5x2,flash_error@2:0x40,power_loss@1.5ms",
                                   err, sizeof err), 0);
  assert_int_equal(f.n, 4);
  assert_null(lf_faults_event(&f, LF_FAULT_USB_TIMEOUT));
  assert_null(lf_faults_event(&f, LF_FAULT_USB_TIMEOUT));
  lf_fault *u = lf_faults_event(&f, LF_FAULT_USB_TIMEOUT);
  assert_non_null(u);
  assert_int_equal(u->kind, LF_FAULT_USB_TIMEOUT);
  for (int i = 1; i <= 7; i++) {
    lf_fault *w = lf_faults_event(&f, LF_FAULT_SWD_WAIT);
    if (i == 5 || i == 6)
      assert_non_null(w);
    else
      assert_null(w);
  }
  assert_null(lf_faults_event(&f, LF_FAULT_FLASH_ERROR));
  lf_fault *fe = lf_faults_event(&f, LF_FAULT_FLASH_ERROR);
  assert_non_null(fe);
  assert_int_equal(fe->arg, 0x40);
  assert_null(lf_faults_due(&f, LF_FAULT_POWER_LOSS, 1499999));
  assert_non_null(lf_faults_due(&f, LF_FAULT_POWER_LOSS, 1500000));
}

static void faults_bad_spec_names_the_problem(void **state)
{
  (void)state;
  lf_faults f;
  char err[256];
  assert_int_equal(lf_faults_parse(&f, "usb_timeout@0", err, sizeof err), -1);
  assert_non_null(strstr(err, "event number >= 1"));
  assert_int_equal(lf_faults_parse(&f, "usb_tmeout@3", err, sizeof err), -1);
  assert_non_null(strstr(err, "unknown fault 'usb_tmeout'"));
  assert_int_equal(lf_faults_parse(&f, "flash_error@1", err, sizeof err), -1);
  assert_non_null(strstr(err, ":SRBITS"));
  assert_int_equal(lf_faults_parse(&f, "power_loss@12", err, sizeof err), -1);
  assert_non_null(strstr(err, "expected a time"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(clock_categories_sum_to_now),
    cmocka_unit_test(swd_read_at_4mhz_is_11500ns),
    cmocka_unit_test(every_param_row_has_a_source_and_is_settable),
    cmocka_unit_test(params_set_units_and_errors),
    cmocka_unit_test(flash_times_follow_table_9_1),
    cmocka_unit_test(crc_unit_charges_cycles_per_word),
    cmocka_unit_test(faults_parse_and_fire_on_the_right_event),
    cmocka_unit_test(faults_bad_spec_names_the_problem),
  };
  return cmocka_run_group_tests_name("clock_params", tests, NULL, NULL);
}
