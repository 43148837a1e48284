/* nRF52840 SoC model (soc_nrf52.c): FICR identity, the NVMC (word-only
 * AND programming, CONFIG gating, READY/READYNEXT and the stalls, page /
 * all / UICR / partial erase with their times, nWRITE), APPROTECT from the
 * UICR at reset, the CTRL-AP (IDR, ERASEALL, ERASEALLSTATUS, RESET,
 * APPROTECTSTATUS), GPIO and the demo blink, state files. Rows cited are
 * nrf52-rp2040-targets.md sections ("N n"); times from the nrf_* parameter
 * rows: tWRITE 41 us, tERASEPAGE 85 ms, tERASEALL 169 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/cortexm.h"
#include "bench/demo_image.h"
#include "bench/params.h"
#include "bench/soc.h"
#include "soc_demo_run.h"

#define NVMC 0x4001E000u
#define READY (NVMC + 0x400u)
#define READYNEXT (NVMC + 0x408u)
#define CONFIG (NVMC + 0x504u)
#define ERASEPAGE (NVMC + 0x508u)
#define ERASEALL (NVMC + 0x50Cu)
#define ERASEUICR (NVMC + 0x514u)
#define ERASEPARTIAL (NVMC + 0x518u)
#define UICR 0x10001000u
#define APPROTECT (UICR + 0x208u)
#define MS 1000000ull
#define US 1000ull
#define TWRITE (41 * US)
#define TPAGE (85 * MS)
#define TALL (169 * MS)

static lf_bench_params P;

static lf_soc *mk(void)
{
  char err[256];
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new("nrf52840", &P, NULL, err, sizeof err);
  assert_non_null(s);
  return s;
}

static uint32_t rd(lf_soc *s, uint32_t a, uint64_t *t)
{
  uint32_t v = 0xDEADBEEF;
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, a, 4, false, &v, t), LF_BUS_OK);
  return v;
}

static int wr(lf_soc *s, uint32_t a, unsigned size, uint32_t v, uint64_t *t)
{
  return lf_soc_access(s, LF_BUS_DEBUG, a, size, true, &v, t);
}

static void wr_ok(lf_soc *s, uint32_t a, uint32_t v, uint64_t *t)
{
  assert_int_equal(wr(s, a, 4, v, t), LF_BUS_OK);
}

static uint32_t peek32(lf_soc *s, uint32_t a)
{
  uint32_t v = 0;
  assert_int_equal(lf_soc_peek(s, a, &v, 4), 0);
  return v;
}

static void ficr_identity_n1(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  assert_int_equal(rd(s, 0x10000100u, &t), 0x52840u);  /* INFO.PART */
  assert_int_equal(rd(s, 0x10000010u, &t), 4096u);     /* CODEPAGESIZE */
  assert_int_equal(rd(s, 0x10000014u, &t), 256u);      /* CODESIZE */
  assert_int_equal(rd(s, 0x10000110u, &t), 0x400u);    /* INFO.FLASH */
  uint32_t id0 = rd(s, 0x10000060u, &t), id1 = rd(s, 0x10000064u, &t);
  assert_true(id0 != 0 && id0 != 0xFFFFFFFFu && id1 != 0 && id1 != 0xFFFFFFFFu);
  lf_soc_set_uid(s, 42);
  assert_true(rd(s, 0x10000060u, &t) != id0 || rd(s, 0x10000064u, &t) != id1);
  uint32_t dpidr, tid, idr, base;
  lf_soc_debug_ids(s, &dpidr, &tid, &idr, &base);
  assert_int_equal(dpidr, 0x2BA01477u);
  assert_int_equal(idr, 0x24770011u);
  assert_int_equal(lf_soc_cpuid(s), 0x410FC241u);
  lf_soc_ap ap = lf_soc_debug_ap(s, 1);
  assert_int_equal(ap.view, LF_SOC_AP_CTRL);
  assert_int_equal(ap.idr, 0x02880000u);
  assert_int_equal(lf_soc_debug_ap(s, 2).view, LF_SOC_AP_NONE);
  /* FICR is read-only; DBGMCU (an STM32's ID) does not exist */
  assert_int_equal(wr(s, 0x10000100u, 4, 0, &t), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, 0xE0042000u, 4, false, &(uint32_t){0}, &t), LF_BUS_ERR);
  lf_soc_free(s);
}

static void word_write_ands_and_takes_twrite_n3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 1000;
  wr_ok(s, 0x1000u, 0x12345678u, &t); /* CONFIG = Ren: ignored (N 3.1 #3) */
  assert_int_equal(peek32(s, 0x1000u), 0xFFFFFFFFu);
  wr_ok(s, CONFIG, 1, &t);
  uint64_t t0 = t;
  wr_ok(s, 0x1000u, 0xFFFF00FFu, &t);
  assert_int_equal(t, t0); /* posted: no stall */
  assert_int_equal(rd(s, READY, &t), 0);
  assert_int_equal(rd(s, READYNEXT, &t), 1);
  /* the next write is buffered at once; a third stalls until the first ends */
  wr_ok(s, 0x1004u, 0x0u, &t);
  assert_int_equal(t, t0);
  assert_int_equal(rd(s, READYNEXT, &t), 0);
  wr_ok(s, 0x1008u, 0x0u, &t);
  assert_int_equal(t, t0 + TWRITE);
  uint64_t tr = t;
  rd(s, 0x1000u, &tr); /* a flash read waits for the last write */
  assert_int_equal(tr, t0 + 3 * TWRITE);
  assert_int_equal(rd(s, READY, &tr), 1);
  /* AND: 1s only come back with an erase */
  wr_ok(s, 0x1000u, 0xFF00FFFFu, &tr);
  assert_int_equal(peek32(s, 0x1000u), 0xFF0000FFu);
  /* byte and half-word writes fault (N 3.1 #1), so do unaligned words */
  assert_int_equal(wr(s, 0x100Cu, 1, 0, &tr), LF_BUS_ERR);
  assert_int_equal(wr(s, 0x100Cu, 2, 0, &tr), LF_BUS_ERR);
  assert_int_equal(wr(s, 0x100Eu, 4, 0, &tr), LF_BUS_ERR);
  assert_int_equal(lf_soc_counters_get(s)->flash_prog_ops, 4);
  lf_soc_free(s);
}

static void nwrite_third_write_of_a_word_is_unreliable_n3_1_6(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, 0x2000u, 0xFFFFFFF0u, &t);
  wr_ok(s, 0x2000u, 0xFFFFFF00u, &t);
  assert_int_equal(peek32(s, 0x2000u), 0xFFFFFF00u);
  wr_ok(s, 0x2000u, 0xFFFFF000u, &t); /* third write: past nWRITE = 2 */
  assert_int_not_equal(peek32(s, 0x2000u), 0xFFFFF000u);
  lf_soc_free(s);
  /* with nrf_nwrite_corrupts = 0 it is a plain AND */
  s = mk();
  P.nrf_nwrite_corrupts = 0;
  t = 0;
  wr_ok(s, CONFIG, 1, &t);
  for (int i = 0; i < 3; i++)
    wr_ok(s, 0x2000u, 0xFFFFFFFFu << (4 * (i + 1)), &t);
  assert_int_equal(peek32(s, 0x2000u), 0xFFFFF000u);
  lf_soc_free(s);
}

static void erase_page_needs_een_and_takes_terasepage(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, 0x3000u, 0, &t);
  wr_ok(s, 0x4000u, 0, &t);
  t += MS;
  wr_ok(s, ERASEPAGE, 0x3000u, &t); /* CONFIG = Wen: ignored (N 3.1 #4) */
  assert_int_equal(peek32(s, 0x3000u), 0);
  wr_ok(s, CONFIG, 2, &t);
  uint64_t t0 = t;
  wr_ok(s, ERASEPAGE, 0x3004u, &t); /* not aligned: the page holding it (N 3.1 #10) */
  assert_int_equal(peek32(s, 0x3000u), 0xFFFFFFFFu);
  assert_int_equal(peek32(s, 0x4000u), 0);
  assert_int_equal(rd(s, READY, &t), 0);
  uint64_t tr = t;
  rd(s, 0x3000u, &tr);
  assert_int_equal(tr, t0 + TPAGE);
  /* a second erase waits for the first */
  wr_ok(s, ERASEPAGE, 0x4000u, &t);
  assert_int_equal(t, t0 + TPAGE);
  assert_int_equal(lf_soc_counters_get(s)->flash_sector_erases, 2);
  lf_soc_free(s);
}

static void eraseall_erases_flash_and_uicr_eraseuicr_only_uicr(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, 0x80000u, 0x11111111u, &t);
  wr_ok(s, UICR + 0x80u, 0x22222222u, &t); /* CUSTOMER[0] */
  t += MS;
  wr_ok(s, CONFIG, 2, &t);
  wr_ok(s, ERASEUICR, 1, &t);
  assert_int_equal(peek32(s, UICR + 0x80u), 0xFFFFFFFFu);
  assert_int_equal(peek32(s, 0x80000u), 0x11111111u);
  t += TPAGE;
  uint64_t t0 = t;
  wr_ok(s, ERASEALL, 1, &t);
  assert_int_equal(peek32(s, 0x80000u), 0xFFFFFFFFu);
  rd(s, 0x0u, &t);
  assert_int_equal(t, t0 + TALL);
  assert_int_equal(lf_soc_counters_get(s)->flash_mass_erases, 1);
  lf_soc_free(s);
}

static void partial_erase_accumulates_to_terasepage_n3_1_11(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, 0x5000u, 0, &t);
  t += MS;
  wr_ok(s, CONFIG, 2, &t);
  for (int i = 0; i < 8; i++) { /* 8 x 10 ms < 85 ms */
    wr_ok(s, ERASEPARTIAL, 0x5000u, &t);
    assert_int_equal(peek32(s, 0x5000u), 0);
  }
  wr_ok(s, ERASEPARTIAL, 0x5000u, &t);
  assert_int_equal(peek32(s, 0x5000u), 0xFFFFFFFFu);
  lf_soc_free(s);
}

static void approtect_in_uicr_locks_the_ahb_ap_after_reset_n5(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  assert_false(lf_soc_ahb_ap_locked(s, t));
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, APPROTECT, 0xFFFFFF00u, &t); /* Enabled */
  assert_false(lf_soc_ahb_ap_locked(s, t)); /* only after the next reset */
  t += MS;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_true(lf_soc_ahb_ap_locked(s, t));
  uint32_t v = 0;
  assert_int_equal(lf_soc_ctrl_ap_access(s, 1, 0x0C, false, &v, t), LF_BUS_OK);
  assert_int_equal(v, 0); /* APPROTECTSTATUS: protected */
  assert_int_equal(lf_soc_ctrl_ap_access(s, 1, 0xFC, false, &v, t), LF_BUS_OK);
  assert_int_equal(v, 0x02880000u);
  /* CTRL-AP ERASEALL: busy for tERASEALL, then open until the next reset */
  v = 1;
  lf_soc_ctrl_ap_access(s, 1, 0x04, true, &v, t);
  assert_int_equal(peek32(s, APPROTECT), 0xFFFFFFFFu);
  lf_soc_ctrl_ap_access(s, 1, 0x08, false, &v, t + TALL - 1);
  assert_int_equal(v, 1);
  assert_true(lf_soc_ahb_ap_locked(s, t + TALL - 1));
  lf_soc_ctrl_ap_access(s, 1, 0x08, false, &v, t + TALL);
  assert_int_equal(v, 0);
  assert_false(lf_soc_ahb_ap_locked(s, t + TALL));
  /* RESET holds the chip */
  v = 1;
  lf_soc_ctrl_ap_access(s, 1, 0x00, true, &v, t + TALL);
  assert_true(lf_soc_reset_held(s));
  v = 0;
  lf_soc_ctrl_ap_access(s, 1, 0x00, true, &v, t + TALL);
  assert_false(lf_soc_reset_held(s));
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t + TALL + MS);
  assert_false(lf_soc_ahb_ap_locked(s, t + TALL + MS)); /* UICR erased: 0xFF */
  lf_soc_free(s);
}

static void hardened_part_protects_unless_uicr_and_firmware_open_it_n5_2(void **state)
{
  (void)state;
  lf_soc *s = mk();
  P.nrf_hardened_approtect = 1;
  uint64_t t = 0;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_true(lf_soc_ahb_ap_locked(s, t));
  wr_ok(s, 0x40000558u, 0x5A, &t); /* DISABLE without UICR 0x5A: stays closed */
  assert_true(lf_soc_ahb_ap_locked(s, t));
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, APPROTECT, 0xFFFFFF5Au, &t);
  t += MS;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_true(lf_soc_ahb_ap_locked(s, t));
  wr_ok(s, 0x40000558u, 0x5A, &t);
  assert_false(lf_soc_ahb_ap_locked(s, t));
  lf_soc_free(s);
}

static void p0_18_resets_only_after_pselreset_n6(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  assert_false(lf_soc_pin_reset(s));
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, UICR + 0x200u, 18, &t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t + MS);
  assert_false(lf_soc_pin_reset(s)); /* both words are needed */
  t += 2 * MS;
  wr_ok(s, CONFIG, 1, &t); /* the reset set CONFIG back to Ren */
  wr_ok(s, UICR + 0x204u, 18, &t);
  assert_false(lf_soc_pin_reset(s)); /* from the next reset on */
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t + MS);
  assert_true(lf_soc_pin_reset(s));
  lf_soc_free(s);
  s = mk();
  P.nrf_pin_reset_needs_pselreset = 0;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 0);
  assert_true(lf_soc_pin_reset(s));
  lf_soc_free(s);
}

static void demo_blinks_led1_on_p0_13(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  wr_ok(s, CONFIG, 1, &t);
  for (uint32_t i = 0; i < lf_demo_nrf52840_bin_len; i += 4) {
    uint32_t w = 0xFFFFFFFFu;
    memcpy(&w, lf_demo_nrf52840_bin + i, lf_demo_nrf52840_bin_len - i < 4 ? lf_demo_nrf52840_bin_len - i : 4);
    wr_ok(s, i, w, &t);
  }
  wr_ok(s, CONFIG, 0, &t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 10 * MS);
  lf_core *c = soc_demo_run(s, &P, 10 * MS, 1010 * MS);
  /* 1 s: LED1 toggles 10 times, LED2 5, LED3 2, plus the OUTSET at start */
  assert_in_range(led_changes, 10, 12);
  lf_core_free(c);
  lf_soc_free(s);
}

static void state_file_keeps_flash_and_uicr(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 0;
  wr_ok(s, CONFIG, 1, &t);
  wr_ok(s, 0xFF000u, 0xA5A5A5A5u, &t);
  wr_ok(s, UICR + 0x84u, 0x12345678u, &t);
  FILE *f = tmpfile();
  char err[256];
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), 0);
  lf_soc_free(s);
  rewind(f);
  s = mk();
  assert_int_equal(lf_soc_load_state(s, f, err, sizeof err), 0);
  fclose(f);
  assert_int_equal(peek32(s, 0xFF000u), 0xA5A5A5A5u);
  assert_int_equal(peek32(s, UICR + 0x84u), 0x12345678u);
  lf_soc_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(ficr_identity_n1),
    cmocka_unit_test(word_write_ands_and_takes_twrite_n3),
    cmocka_unit_test(nwrite_third_write_of_a_word_is_unreliable_n3_1_6),
    cmocka_unit_test(erase_page_needs_een_and_takes_terasepage),
    cmocka_unit_test(eraseall_erases_flash_and_uicr_eraseuicr_only_uicr),
    cmocka_unit_test(partial_erase_accumulates_to_terasepage_n3_1_11),
    cmocka_unit_test(approtect_in_uicr_locks_the_ahb_ap_after_reset_n5),
    cmocka_unit_test(hardened_part_protects_unless_uicr_and_firmware_open_it_n5_2),
    cmocka_unit_test(p0_18_resets_only_after_pselreset_n6),
    cmocka_unit_test(demo_blinks_led1_on_p0_13),
    cmocka_unit_test(state_file_keeps_flash_and_uicr),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
