/* The streaming flash loader (src/flash/loader.c + the committed target
 * blob) on the in-process bench: NUCLEO-F767ZI (ST-LINK/V2-1 at 4 MHz) and
 * NUCLEO-F429ZI. Flash contents are checked byte for byte with the bench's
 * backdoor, target CRCs against zlib, errors for injected flash faults and
 * write-protected sectors, and the modeled time of the 65 KB job against the
 * flash floor computed from the bench parameter rows (params.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "arm/adi.h"
#include "arm/cortex_m.h"
#include "bench/bench.h"
#include "bench/soc.h"
#include "core/session.h"
#include "flash/loaders/lf_bcj.h"
#include "flash/family.h"
#include "flash/loader.h"
#include "flash/plan.h"
#include "probe/probe.h"
#include "probe/stlink.h"
#include "bench/usb_bench.h"

#define FLASH 0x08000000u
#define IMAGE_LEN 66560u /* 65 KiB: sectors 0, 1 (32 KiB) and 1 KiB of sector 2 */

typedef struct fx {
  lf_session *s;
  lf_bench_board *b;
  lf_usb_ctx *usb;
  lf_probe *p;
  lf_adi *a;
  lf_cm *cm;
  lf_flash_geometry g;
  lf_loader *l;
} fx;

/* Family words a test overrides (F4/F7 layout: loaders/stm32f4f7.c); the
 * adapter is the family's, with configure wrapped. */
#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/stm32f4f7.c"
#undef LF_LDR_CONTRACT_ONLY

static struct {
  bool on;
  int crc_mode;   /* -1 = the line's */
  bool no_iwdg;
  const lf_loader_adapter *base;
  lf_loader_adapter ad;
} over;

static int over_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                          uint32_t fam[LF_LDR_FAM_WORDS])
{
  int r = over.base->configure(s, g, cfg, fam);
  struct lf_ldr_f47 w;
  memcpy(&w, fam, sizeof w);
  if (over.crc_mode >= 0)
    w.crc_mode = (uint32_t)over.crc_mode;
  if (over.no_iwdg)
    w.iwdg_regs = 0;
  memcpy(fam, &w, sizeof w);
  return r;
}

static void override_words(int crc_mode, bool no_iwdg)
{
  over.on = true;
  over.crc_mode = crc_mode;
  over.no_iwdg = no_iwdg;
}

static const char *transport; /* the probe selector's (NULL: the driver's first row) */
static double rp_qe = 1; /* the next fx_open's bench parameter rp_w25_qe (then back to 1) */
static double pll_lock_ns;    /* > 0: the bench's PLL lock time for the next fx_open */

static void fx_open(fx *f, const char *board, const char *faults, const lf_loader_cfg *lcfg)
{
  memset(f, 0, sizeof *f);
  f->s = lf_session_new();
  assert_non_null(f->s);
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = board;
  cfg.faults = faults;
  cfg.params.rp_w25_qe = rp_qe;
  rp_qe = 1;
  if (pll_lock_ns > 0)
    cfg.params.pll_lock_ns = pll_lock_ns;
  pll_lock_ns = 0;
  char err[256];
  f->b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!f->b)
    fail_msg("bench: %s", err);
  assert_int_equal(lf_usb_new_bench(f->s, &f->b, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1, .transport = transport};
  transport = NULL;
  if (lf_probe_open(f->s, f->usb, &sel, &f->p))
    fail_msg("open: %s", lf_err_msg(f->s));
  uint32_t hz;
  assert_int_equal(f->p->ops->set_clock(f->p, getenv("LF_TEST_SWD_HZ") ? (uint32_t)atoi(getenv("LF_TEST_SWD_HZ")) : 4000000u, &hz), 0);
  bool pico = strcmp(board, "pico") == 0;
  if (pico) /* the RP2040 over multidrop SWD: core 0's TARGETSEL (test_rp2040.c) */
    assert_int_equal(f->p->ops->set_targetsel(f->p, 0x01002927u), 0);
  assert_int_equal(lf_adi_new(f->s, f->p, NULL, &f->a), 0);
  assert_int_equal(lf_cm_new(f->a, NULL, &f->cm), 0);
  /* the nRF52840's nRESET pin is a GPIO until UICR.PSELRESET routes it: halt instead */
  if (lf_cm_connect(f->cm, strncmp(board, "nrf52", 5) == 0 || pico ? LF_CM_ATTACH_HALT : LF_CM_UNDER_RESET))
    fail_msg("connect: %s", lf_err_msg(f->s));
  lf_chip chip;
  if (lf_family_identify(f->s, lf_adi_default_memap(f->a), NULL, &chip) ||
      lf_chip_flash_info(f->s, lf_adi_default_memap(f->a), &chip) ||
      chip.family->geometry(f->s, &chip, &f->g))
    fail_msg("geometry: %s", lf_err_msg(f->s));
  const lf_loader_adapter *ad = f->g.family->loader(&f->g);
  assert_non_null(ad);
  if (over.on) {
    over.base = ad;
    over.ad = *ad;
    over.ad.configure = over_configure;
    ad = &over.ad;
    over.on = false;
  }
  if (lf_loader_new_with(f->cm, &f->g, ad, lcfg, &f->l))
    fail_msg("loader: %s", lf_err_msg(f->s));
}

static void fx_close(fx *f)
{
  lf_loader_free(f->l);
  lf_geometry_free(&f->g);
  lf_cm_free(f->cm);
  lf_adi_free(f->a);
  lf_probe_close(f->p);
  lf_usb_free(f->usb);
  lf_bench_board_free(f->b);
  lf_session_free(f->s);
}

static uint64_t now(fx *f) { return lf_bench_clock(f->b)->now_ns; }

static uint8_t *random_bytes(size_t n, uint32_t seed)
{
  uint8_t *d = malloc(n);
  assert_non_null(d);
  uint32_t x = seed;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    d[i] = (uint8_t)(x >> 11);
  }
  return d;
}

static void expect_flash(fx *f, uint32_t addr, const uint8_t *want, size_t n)
{
  uint8_t *got = malloc(n);
  assert_non_null(got);
  assert_int_equal(lf_bench_peek(f->b, addr, got, n), 0);
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i]) {
      uint8_t g = got[i];
      free(got);
      fail_msg("flash 0x%08zx: 0x%02x, expected 0x%02x", (size_t)addr + i, g, want[i]);
    }
  free(got);
}

static void must(fx *f, int r, const char *what)
{
  if (r)
    fail_msg("%s: %s (%s)", what, lf_err_msg(f->s), lf_err_name(r));
}

/* Sector-wise plan for [FLASH, FLASH+len): erase each touched sector right
 * before programming its part. */
static size_t plan_steps(const fx *f, const uint8_t *img, uint32_t base, uint32_t len,
                         lf_loader_step *st)
{
  size_t n = 0;
  for (unsigned i = 0; i < f->g.nsectors; i++) {
    const lf_flash_sector *s = &f->g.sector[i];
    uint32_t lo = s->addr > base ? s->addr : base;
    uint64_t hi = (uint64_t)s->addr + s->size < (uint64_t)base + len ? (uint64_t)s->addr + s->size
                                                                     : (uint64_t)base + len;
    if (hi <= lo)
      continue;
    st[n++] = (lf_loader_step){LF_LOADER_ERASE, s->addr, NULL, 0};
    st[n++] = (lf_loader_step){LF_LOADER_PROGRAM, lo, img + (lo - base), (size_t)(hi - lo)};
  }
  return n;
}

/* The 65 KB job on the F767: flash equals the image, the target CRC equals
 * zlib, and the modeled time stays within 1.10 x the floor (3 x tERASE32KB
 * x32 + 16640 x tPROG, params.c rows flash_erase32k_ns[x32], flash_prog_ns_typ). */
static void f767_65k_image_programs_within_floor(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, NULL);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x65A1u);
  lf_loader_step st[8];
  size_t n = plan_steps(&f, img, FLASH, IMAGE_LEN, st);
  assert_int_equal(n, 6);
  const lf_usb_stats *us = lf_usb_dev_stats(f.p->usb);
  uint64_t x0 = us->transfers, rt0 = us->round_trips;
  /* run starts the loader itself, with sector 0 already erasing; the
   * verify CRC follows the last word in the same command stream */
  uint64_t t0 = now(&f);
  lf_loader_range rg = {FLASH, IMAGE_LEN};
  uint32_t crc = 0;
  must(&f, lf_loader_run_crc32(f.l, st, n, &rg, 1, &crc), "run + crc");
  uint64_t t3 = now(&f);
  /* a second CRC by itself, to show its own cost */
  uint32_t crc2 = 0;
  must(&f, lf_loader_crc32(f.l, &rg, 1, &crc2), "crc");
  uint64_t t3b = now(&f);
  assert_int_equal(crc2, crc);
  must(&f, lf_loader_stop(f.l), "stop");
  uint64_t t4 = now(&f);
  assert_int_equal(crc, (uint32_t)crc32(0L, img, IMAGE_LEN));
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  /* the rest of sector 2 is erased */
  uint8_t ff[256], rest[256];
  memset(ff, 0xFF, sizeof ff);
  assert_int_equal(lf_bench_peek(f.b, FLASH + IMAGE_LEN, rest, sizeof rest), 0);
  assert_memory_equal(rest, ff, sizeof rest);

  const lf_bench_params *p = lf_bench_params_get(f.b);
  double floor_ns = 3 * p->flash_erase32k_ns[2] + (IMAGE_LEN / 4) * p->flash_prog_ns_typ;
  double job = (double)(t3 - t0);
  const lf_loader_stats *ls = lf_loader_stats_get(f.l);
  double cyc_ns = 1e9 / ls->core_hz;
  printf("floor %.2f ms (3 x %.0f ms erase + %u x %.0f us program)\n", floor_ns / 1e6,
         p->flash_erase32k_ns[2] / 1e6, IMAGE_LEN / 4, p->flash_prog_ns_typ / 1e3);
  printf("start %.2f ms (during the first erase), erase+program+crc %.2f ms; separate crc %.2f ms, "
         "stop %.2f ms; job (run..crc) %.2f ms = %.4f x floor\n", ls->start_ns / 1e6,
         ls->run_ns / 1e6, (t3b - t3) / 1e6, (t4 - t3b) / 1e6, job / 1e6, job / floor_ns);
  printf("target: erase %.2f ms, program %.2f ms (ring empty %.3f ms), crc %.3f ms\n",
         ls->erase_cyc * cyc_ns / 1e6, ls->prog_cyc * cyc_ns / 1e6, ls->starve_cyc * cyc_ns / 1e6,
         ls->crc_cyc * cyc_ns / 1e6);
  printf("host: %llu commands, %llu bytes in %llu uploads, %llu polls (%llu for space); USB %llu transfers in %llu round trips\n",
         (unsigned long long)ls->commands, (unsigned long long)ls->data_bytes,
         (unsigned long long)ls->uploads, (unsigned long long)ls->polls,
         (unsigned long long)ls->full_polls, (unsigned long long)(us->transfers - x0),
         (unsigned long long)(us->round_trips - rt0));
  /* the flash never waited for data, and the whole job is within 10 % */
  assert_true(ls->starve_cyc * cyc_ns < 1e6);
  assert_true(job < 1.10 * floor_ns);
  assert_true(job > floor_ns); /* the floor is a floor */
  free(img);
  fx_close(&f);
}

/* The same job through a DAPLink's v1 HID interface (one 64-byte report
 * per frame and direction, a probe that posts): the link, not the flash, is
 * the bottleneck. The image needs ceil(66560 / 56) = 1189 reports of
 * TransferBlock data at one per frame; the loader start, the commands and
 * the TAR writes add about 3 %. The whole job (start, upload overlapping
 * the erases, program, CRC) stays within 1.10 x that; after the last data
 * the target has only the last small piece to program and the CRC left,
 * and the CRC results come with the status poll that sees them done (no
 * round trip of their own): a CRC by itself costs its target time plus at
 * most four frames of polls. */
static void f767_65k_over_daplink_hid_runs_at_the_link_rate(void **state)
{
  (void)state;
  fx f;
  transport = "hid";
  fx_open(&f, "nucleo-f767zi@daplink", NULL, NULL);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x65A1u);
  lf_loader_step st[8];
  size_t n = plan_steps(&f, img, FLASH, IMAGE_LEN, st);
  const lf_bench_params *p = lf_bench_params_get(f.b);
  const double frame = p->usb_fs_frame_ns, link = ceil(IMAGE_LEN / 56.0) * frame;
  uint64_t t0 = now(&f), c0 = f.p->st.commands;
  lf_loader_range rg = {FLASH, IMAGE_LEN};
  uint32_t crc = 0;
  must(&f, lf_loader_run_crc32(f.l, st, n, &rg, 1, &crc), "run + crc");
  uint64_t t1 = now(&f), reports = f.p->st.commands - c0;
  uint32_t crc2 = 0;
  const lf_loader_stats *ls = lf_loader_stats_get(f.l);
  uint64_t crc_cyc0 = ls->crc_cyc;
  must(&f, lf_loader_crc32(f.l, &rg, 1, &crc2), "crc");
  uint64_t t2 = now(&f);
  double crc_ns = (ls->crc_cyc - crc_cyc0) * 1e9 / ls->core_hz;
  assert_int_equal(crc, (uint32_t)crc32(0L, img, IMAGE_LEN));
  assert_int_equal(crc2, crc);
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  printf("HID: job %.1f ms (link %.0f ms: %.4f x), %llu reports + %.0f frames without one; a CRC "
         "by itself %.2f ms (target %.2f ms)\n", (t1 - t0) / 1e6, link / 1e6, (t1 - t0) / link,
         (unsigned long long)reports, (t1 - t0 - reports * frame) / frame, (t2 - t1) / 1e6, crc_ns / 1e6);
  assert_true(t1 - t0 > link);
  assert_true(t1 - t0 < 1.10 * link);
  /* a report in almost every frame: the few without one are the loader
   * start's reads, the last piece (256 bytes: 1 ms to program) and the CRC
   * at the end (8 KiB pieces to the end would leave 33 ms here) */
  assert_true(t1 - t0 <= (reports + 12) * frame);
  /* (three frames while the CRC took ~2 ms; with the CRC unit's 4 HCLK per
   * word (calibration R6) it takes ~7 ms, spans several polls and can end
   * just after one: one frame more) */
  assert_true(t2 - t1 <= crc_ns + 4 * frame);
  must(&f, lf_loader_stop(f.l), "stop");
  free(img);
  fx_close(&f);
}

/* Every CRC mode equals zlib, for unaligned starts and lengths, over RAM
 * (written by the host) and flash. */
static void crc_modes_equal_zlib(void **state)
{
  (void)state;
  static const int modes[] = {LF_LDR_F47_CRC_SOFT, LF_LDR_F47_CRC_FIXED, LF_LDR_F47_CRC_PROG};
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    lf_loader_cfg c;
    lf_loader_cfg_default(&c);
    override_words(modes[m], false);
    c.ram_size = 0x20000; /* DTCM only: the buffer below is the test's */
    fx f;
    fx_open(&f, "nucleo-f767zi", NULL, &c);
    uint8_t *d = random_bytes(3000, 77u + (uint32_t)m);
    const uint32_t buf = 0x20040000u; /* SRAM1, outside the loader's DTCM */
    must(&f, lf_adi_write(f.a, buf, d, 3000), "fill");
    must(&f, lf_loader_start(f.l), "start");
    static const uint32_t offs[][2] = {{0, 3000}, {1, 2999}, {3, 17}, {2, 2}, {0, 0}, {5, 2048}, {7, 15}};
    lf_loader_range rg[7];
    uint32_t got[7];
    for (size_t i = 0; i < 7; i++)
      rg[i] = (lf_loader_range){buf + offs[i][0], offs[i][1]};
    must(&f, lf_loader_crc32(f.l, rg, 7, got), "crc");
    for (size_t i = 0; i < 7; i++)
      if (got[i] != (uint32_t)crc32(0L, d + offs[i][0], offs[i][1]))
        fail_msg("mode %d range +%u len %u: 0x%08x, zlib 0x%08x", modes[m], offs[i][0], offs[i][1],
                 got[i], (unsigned)crc32(0L, d + offs[i][0], offs[i][1]));
    /* erased flash: zlib of 0xFF bytes */
    uint8_t ff[4096];
    memset(ff, 0xFF, sizeof ff);
    lf_loader_range fr = {FLASH + 0x100, sizeof ff};
    uint32_t fc;
    must(&f, lf_loader_crc32(f.l, &fr, 1, &fc), "crc flash");
    assert_int_equal(fc, (uint32_t)crc32(0L, ff, sizeof ff));
    must(&f, lf_loader_stop(f.l), "stop");
    free(d);
    fx_close(&f);
  }
}

/* flash_error@N:BITS fails the Nth flash operation: erase sector 0 is #1, so
 * #101 is the 100th word (0x0800018C). */
static void injected_program_error_names_address_and_flag(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", "flash_error@101:0x40", NULL);
  uint8_t *img = random_bytes(4096, 5u);
  lf_loader_step st[2] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_PROGRAM, FLASH, img, 4096}};
  must(&f, lf_loader_start(f.l), "start");
  int r = lf_loader_run(f.l, st, 2);
  assert_int_equal(r, LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "program 0x0800018c"));
  assert_non_null(strstr(lf_err_msg(f.s), "PGPERR"));
  /* the words before it are programmed, the failing one is not */
  expect_flash(&f, FLASH, img, 0x18C);
  uint32_t w;
  assert_int_equal(lf_bench_peek(f.b, FLASH + 0x18C, &w, 4), 0);
  assert_int_equal(w, 0xFFFFFFFFu);
  /* the loader is gone: further work is refused until it is started again */
  lf_loader_range rg = {FLASH, 16};
  uint32_t crc;
  assert_int_equal(lf_loader_crc32(f.l, &rg, 1, &crc), LF_ETARGET);
  bool halted = false;
  assert_int_equal(lf_cm_is_halted(f.cm, &halted), 0);
  assert_true(halted);
  /* a restart works (the flash controller was left usable) */
  must(&f, lf_loader_start(f.l), "restart");
  must(&f, lf_loader_crc32(f.l, &rg, 1, &crc), "crc after restart");
  assert_int_equal(crc, (uint32_t)crc32(0L, img, 16));
  must(&f, lf_loader_stop(f.l), "stop");
  free(img);
  fx_close(&f);
}

/* An erase that fails (injected ERSERR on the first operation) names the sector. */
static void injected_erase_error_names_sector(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", "flash_error@2:0x80", NULL);
  lf_loader_step st[2] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_ERASE, FLASH + 0x8000, NULL, 0}};
  must(&f, lf_loader_start(f.l), "start");
  assert_int_equal(lf_loader_run(f.l, st, 2), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "erase sector 1 (0x08008000"));
  assert_non_null(strstr(lf_err_msg(f.s), "ERSERR"));
  fx_close(&f);
}

/* Clears `bits` in FLASH_OPTCR through the option sequence (F7 4.5) and
 * resets (halted) so the chip obeys them. */
static void clear_option_bits(fx *f, uint32_t bits)
{
  uint32_t optcr;
  must(f, lf_adi_read32(f->a, 0x40023C14u, &optcr), "optcr");
  must(f, lf_adi_write32(f->a, 0x40023C08u, 0x08192A3Bu), "optkey1");
  must(f, lf_adi_write32(f->a, 0x40023C08u, 0x4C5D6E7Fu), "optkey2");
  optcr &= ~bits & ~1u; /* OPTLOCK = 0 */
  must(f, lf_adi_write32(f->a, 0x40023C14u, optcr), "optcr");
  must(f, lf_adi_write32(f->a, 0x40023C14u, optcr | 2u), "optstrt");
  uint32_t sr = 0x10000;
  for (int i = 0; i < 10000 && (sr & 0x10000); i++)
    must(f, lf_adi_read32(f->a, 0x40023C0Cu, &sr), "sr");
  must(f, lf_cm_reset(f->cm, LF_CM_RESET_SYSRESETREQ, true), "reset");
}

/* Hardware watchdog (option IWDG_SW = 0, F7 3.6 bit 5): it runs from reset
 * with its shortest setting (4 * 4096 / 32 kHz = 512 ms, shorter than the
 * 600 ms of erases). The loader stretches and reloads it: the job succeeds;
 * with the watchdog left alone the chip resets mid-job and the host says so. */
static void hardware_watchdog_survives_the_job(void **state)
{
  (void)state;
  for (int kick = 1; kick >= 0; kick--) {
    lf_loader_cfg c;
    lf_loader_cfg_default(&c);
    if (!kick)
      override_words(-1, true);
    fx f;
    fx_open(&f, "nucleo-f767zi", NULL, &c);
    clear_option_bits(&f, 1u << 5);
    uint8_t *img = random_bytes(IMAGE_LEN, 0x65A1u);
    lf_loader_step st[8];
    size_t n = plan_steps(&f, img, FLASH, IMAGE_LEN, st);
    int r = lf_loader_run(f.l, st, n);
    if (kick) {
      must(&f, r, "run with the watchdog reloaded");
      must(&f, lf_loader_stop(f.l), "stop");
      expect_flash(&f, FLASH, img, IMAGE_LEN);
    } else {
      printf("watchdog left alone: %s\n", lf_err_msg(f.s));
      assert_true(r < 0);
    }
    free(img);
    fx_close(&f);
  }
}

/* Sector 1 write-protected through the option bytes (nWRP1 = 0, F7 3.6):
 * its erase fails with WRPERR naming the sector. */
static void write_protected_sector_is_reported(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, NULL);
  clear_option_bits(&f, 1u << (16 + 1));
  uint8_t *img = random_bytes(0x9000, 9u);
  lf_loader_step st[4] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_PROGRAM, FLASH, img, 0x8000},
                          {LF_LOADER_ERASE, FLASH + 0x8000, NULL, 0},
                          {LF_LOADER_PROGRAM, FLASH + 0x8000, img + 0x8000, 0x1000}};
  must(&f, lf_loader_start(f.l), "start");
  assert_int_equal(lf_loader_run(f.l, st, 4), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "erase sector 1 (0x08008000, 32 KiB)"));
  assert_non_null(strstr(lf_err_msg(f.s), "WRPERR"));
  /* the data fits the ring, so both erases ran first (loader.h): sector 0
   * is erased and nothing was programmed */
  uint8_t *ff = malloc(0x8000);
  assert_non_null(ff);
  memset(ff, 0xFF, 0x8000);
  expect_flash(&f, FLASH, ff, 0x8000);
  free(ff);
  assert_int_equal(lf_loader_stats_get(f.l)->data_bytes > 0, 1); /* uploads overlapped the erases */
  /* programming into the protected sector (no erase) fails on its first word */
  must(&f, lf_loader_start(f.l), "restart");
  lf_loader_step pg = {LF_LOADER_PROGRAM, FLASH + 0x8010, img, 64};
  assert_int_equal(lf_loader_run(f.l, &pg, 1), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "program 0x08008010 (sector 1)"));
  assert_non_null(strstr(lf_err_msg(f.s), "WRPERR"));
  free(img);
  fx_close(&f);
}

/* The loader faults (CRC over an unmapped address: bus error, the bench
 * halts the core as a vector catch): the host notices through DHCSR and
 * names the state instead of waiting for its timeout. */
static void loader_fault_is_reported_not_waited_for(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, NULL);
  must(&f, lf_loader_start(f.l), "start");
  uint64_t t0 = now(&f);
  lf_loader_range rg = {0x30000000u, 64};
  uint32_t crc;
  int r = lf_loader_crc32(f.l, &rg, 1, &crc);
  printf("%s (%s) after %.2f ms\n", lf_err_msg(f.s), lf_err_name(r), (now(&f) - t0) / 1e6);
  assert_true(r == LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "loader: stopped while running crc32"));
  assert_true(now(&f) - t0 < 500000000u); /* well before the 5 s no-progress timeout */
  /* refused until started again */
  assert_int_equal(lf_loader_crc32(f.l, &rg, 1, &crc), LF_ETARGET);
  fx_close(&f);
}

/* A USB failure while streaming ends the run with the transport's error and
 * says what the host was doing. */
static void usb_error_mid_stream_is_reported(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", "usb_stall@400", NULL);
  uint8_t *img = random_bytes(0x8000, 8u);
  lf_loader_step st[2] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_PROGRAM, FLASH, img, 0x8000}};
  int r = lf_loader_run(f.l, st, 2);
  printf("%s (%s)\n", lf_err_msg(f.s), lf_err_name(r));
  assert_true(r < 0);
  assert_non_null(strstr(lf_err_msg(f.s), "loader: "));
  free(img);
  fx_close(&f);
}

/* Power lost while sector 1 is programmed (erases 0-2 take the first
 * 600 ms, then sector 0 programs for 131 ms): the job fails, the flash holds
 * garbage; a rerun over a fresh connection repairs it byte for byte. */
static void power_loss_mid_program_then_rerun_repairs(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", "power_loss@800ms", NULL);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x65A1u);
  lf_loader_step st[8];
  size_t n = plan_steps(&f, img, FLASH, IMAGE_LEN, st);
  int r = lf_loader_run(f.l, st, n);
  printf("power loss: %s (%s)\n", lf_err_msg(f.s), lf_err_name(r));
  assert_true(r < 0);
  uint8_t *got = malloc(IMAGE_LEN);
  assert_non_null(got);
  assert_int_equal(lf_bench_peek(f.b, FLASH, got, IMAGE_LEN), 0);
  assert_true(memcmp(got, img, IMAGE_LEN) != 0);
  free(got);
  /* rerun once the supply is back (the bench restores it after 10 ms):
   * new connection, new loader */
  lf_bench_run(f.b, 20000000u);
  lf_loader_free(f.l);
  f.l = NULL;
  lf_cm_free(f.cm);
  f.cm = NULL;
  assert_int_equal(lf_cm_new(f.a, NULL, &f.cm), 0);
  must(&f, lf_cm_connect(f.cm, LF_CM_UNDER_RESET), "reconnect");
  must(&f, lf_loader_new(f.cm, &f.g, NULL, &f.l), "loader");
  must(&f, lf_loader_run(f.l, st, n), "rerun");
  lf_loader_range rg = {FLASH, IMAGE_LEN};
  uint32_t crc;
  must(&f, lf_loader_crc32(f.l, &rg, 1, &crc), "crc");
  assert_int_equal(crc, (uint32_t)crc32(0L, img, IMAGE_LEN));
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  free(img);
  fx_close(&f);
}

/* A wrong key locks FLASH_CR until reset (F7 4.1): the loader's init says
 * so instead of failing somewhere later. */
static void locked_flash_is_reported(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, NULL);
  int wr = lf_adi_write32(f.a, 0x40023C04u, 0x12345678u); /* wrong first key */
  printf("wrong key write: %s\n", wr ? lf_err_msg(f.s) : "accepted");
  must(&f, lf_loader_start(f.l), "start");
  uint8_t d[64] = {0};
  lf_loader_step pg = {LF_LOADER_PROGRAM, FLASH + 0x100, d, sizeof d};
  assert_int_equal(lf_loader_run(f.l, &pg, 1), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  /* the loader's own key write faults (bus error) and the host names it */
  assert_non_null(strstr(lf_err_msg(f.s), "a wrong key locks FLASH_CR until reset"));
  fx_close(&f);
}

/* Bad steps are rejected before anything is posted. */
static void bad_steps_rejected_before_posting(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, NULL);
  must(&f, lf_loader_start(f.l), "start");
  uint8_t d[8] = {0};
  lf_loader_step outside = {LF_LOADER_PROGRAM, 0x081FFFFCu, d, 8};
  assert_int_equal(lf_loader_run(f.l, &outside, 1), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(f.s), "step 1: program 0x081ffffc + 8: outside the flash"));
  lf_loader_step er = {LF_LOADER_ERASE, 0x20000000u, NULL, 0};
  assert_int_equal(lf_loader_run(f.l, &er, 1), LF_EINVAL);
  lf_loader_step mass = {LF_LOADER_MASS, 2, NULL, 0};
  assert_int_equal(lf_loader_run(f.l, &mass, 1), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(f.s), "single bank"));
  assert_int_equal(lf_loader_stats_get(f.l)->commands, 0);
  must(&f, lf_loader_stop(f.l), "stop");
  fx_close(&f);
}

/* Unaligned program ranges are padded with 0xFF: bytes around them stay erased. */
static void unaligned_program_pads_with_ff(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, NULL);
  uint8_t *img = random_bytes(1001, 3u);
  lf_loader_step st[2] = {{LF_LOADER_ERASE, FLASH + 0x18000, NULL, 0},
                          {LF_LOADER_PROGRAM, FLASH + 0x18003, img, 1001}};
  must(&f, lf_loader_start(f.l), "start");
  must(&f, lf_loader_run(f.l, st, 2), "run");
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, FLASH + 0x18003, img, 1001);
  uint8_t b[3];
  assert_int_equal(lf_bench_peek(f.b, FLASH + 0x18000, b, 3), 0);
  assert_int_equal(b[0] & b[1] & b[2], 0xFF);
  assert_int_equal(lf_bench_peek(f.b, FLASH + 0x18003 + 1001, b, 3), 0);
  assert_int_equal(b[0] & b[1] & b[2], 0xFF);
  free(img);
  fx_close(&f);
}

/* A ring smaller than the data: the stream wraps many times and the data
 * still lands byte for byte. */
static void small_ring_wraps(void **state)
{
  (void)state;
  lf_loader_cfg c;
  lf_loader_cfg_default(&c);
  c.ram_size = 0x3000; /* ring = 8 KiB after code, control, queue and stack */
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, &c);
  uint32_t ring_size;
  lf_loader_layout(f.l, NULL, NULL, &ring_size);
  assert_true(ring_size <= 0x2000);
  /* 36 KiB over sectors 1 and 2: more than the ring, so the steps keep
   * their order (erase 1, program 1, erase 2, program 2) */
  uint8_t *img = random_bytes(0x11000, 11u);
  lf_loader_step st[8];
  size_t n = plan_steps(&f, img, FLASH, 0x11000, st);
  assert_int_equal(n, 6); /* sectors 0, 1, 2: only 1 and 2 are run below */
  must(&f, lf_loader_start(f.l), "start");
  must(&f, lf_loader_run(f.l, st + 2, 4), "run");
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, FLASH + 0x8000, img + 0x8000, 0x9000);
  assert_true(lf_loader_stats_get(f.l)->uploads >= 0x9000 / ring_size);
  free(img);
  fx_close(&f);
}

/* x8, x16 and x64 parallelism (x64 needs VPP on silicon; the bench accepts
 * it) program the same bytes as x32. */
static void every_psize_programs(void **state)
{
  (void)state;
  static const unsigned units[] = {1, 2, 8}; /* x8, x16, x64 */
  for (size_t i = 0; i < 3; i++) {
    lf_loader_cfg c;
    lf_loader_cfg_default(&c);
    c.prog_unit = units[i];
    fx f;
    fx_open(&f, "nucleo-f767zi", NULL, &c);
    uint8_t *img = random_bytes(2051, 40u + (uint32_t)i);
    lf_loader_step st[2] = {{LF_LOADER_ERASE, FLASH + 0x10000, NULL, 0},
                            {LF_LOADER_PROGRAM, FLASH + 0x10005, img, 2051}};
    must(&f, lf_loader_run(f.l, st, 2), "run");
    lf_loader_range rg = {FLASH + 0x10005, 2051};
    uint32_t crc;
    must(&f, lf_loader_crc32(f.l, &rg, 1, &crc), "crc");
    must(&f, lf_loader_stop(f.l), "stop");
    assert_int_equal(crc, (uint32_t)crc32(0L, img, 2051));
    expect_flash(&f, FLASH + 0x10005, img, 2051);
    free(img);
    fx_close(&f);
  }
}

/* Compressed upload (PROGRAM_Z) at every program unit, through a ring small
 * enough to wrap records and headers, into erased sectors and an unaligned
 * range: byte-exact, and the stats say it was compressed. */
static void compressed_program_every_psize(void **state)
{
  (void)state;
  static const unsigned units[] = {1, 2, 4, 8};
  for (size_t i = 0; i < 4; i++) {
    lf_loader_cfg c;
    lf_loader_cfg_default(&c);
    c.prog_unit = units[i];
    c.compress = LF_COMPRESS_ON;
    c.ram_size = 0x8000; /* ring ~28 KiB, ~12 KiB once the inflater takes its region */
    fx f;
    fx_open(&f, "nucleo-f767zi", NULL, &c);
    /* 40 KiB + 3 bytes: text-like (compresses) with random stretches */
    size_t len = 0xA003;
    uint8_t *img = random_bytes(len, 60u + (uint32_t)i);
    for (size_t k = 0; k < len; k++)
      if ((k / 700) % 3 != 2)
        img[k] = (uint8_t)"firmware strings and code "[k % 26];
    lf_loader_step st[4] = {{LF_LOADER_ERASE, FLASH + 0x8000, NULL, 0},
                            {LF_LOADER_ERASE, FLASH + 0x10000, NULL, 0},
                            {LF_LOADER_PROGRAM, FLASH + 0x8001, img, len}};
    must(&f, lf_loader_run(f.l, st, 3), "run");
    const lf_loader_stats *ls = lf_loader_stats_get(f.l);
    assert_true(ls->z_used);
    assert_true(ls->z_bytes < ls->z_raw);
    lf_loader_range rg = {FLASH + 0x8001, (uint32_t)len};
    uint32_t crc;
    must(&f, lf_loader_crc32(f.l, &rg, 1, &crc), "crc");
    must(&f, lf_loader_stop(f.l), "stop");
    assert_int_equal(crc, (uint32_t)crc32(0L, img, (uInt)len));
    expect_flash(&f, FLASH + 0x8001, img, len);
    free(img);
    fx_close(&f);
  }
}

/* A compressed stream into blank flash through the ST-LINK (the link the
 * bound): each piece's count rides with the next piece's memory command,
 * so the round trips that are no memory command (the region's words, a
 * count written alone before a status read) are far fewer than the
 * pieces; the flash still equals the image. */
static void compressed_counts_ride_with_the_data(void **state)
{
  (void)state;
  lf_loader_cfg c;
  lf_loader_cfg_default(&c);
  c.compress = LF_COMPRESS_ON;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, &c);
  size_t len = 0xC000;
  uint8_t *img = random_bytes(len, 77u); /* about half random: the link stays the bound */
  for (size_t k = 0; k < len; k++)
    if ((k / 500) % 2)
      img[k] = (uint8_t)"firmware strings and code "[k % 26];
  lf_loader_step st[1] = {{LF_LOADER_PROGRAM, FLASH, img, len}};
  must(&f, lf_loader_start(f.l), "start");
  const lf_probe_stats *ps = &f.p->st;
  uint64_t rt0 = ps->round_trips, mc0 = ps->mem_round_trips;
  must(&f, lf_loader_run(f.l, st, 1), "run");
  const lf_loader_stats *ls = lf_loader_stats_get(f.l);
  uint64_t other = (ps->round_trips - rt0) - (ps->mem_round_trips - mc0);
  printf("%llu uploads, %llu polls, %llu round trips without a memory command\n",
         (unsigned long long)ls->uploads, (unsigned long long)ls->polls, (unsigned long long)other);
  assert_true(ls->z_used);
  assert_true(ls->uploads >= 16);
  assert_true(2 * other < ls->uploads); /* a count alone for each piece: more than uploads */
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, FLASH, img, len);
  free(img);
  fx_close(&f);
}

/* A blank-board compressed stream of several PROGRAM_Z commands (8 KiB
 * each) keeps the F4/F7 routine's 96 MHz clock from one command to the
 * next: with a PLL lock of 5 ms instead of 0.1 ms the job is longer by at
 * most about one lock, not one per command; the clock registers are the
 * reset state's again after it. */
static void compressed_commands_keep_the_clock(void **state)
{
  (void)state;
  size_t len = 0xC000; /* six commands */
  uint8_t *img = random_bytes(len, 91u);
  for (size_t k = 0; k < len; k++)
    if ((k / 300) % 3)
      img[k] = (uint8_t)"firmware strings and code "[k % 26];
  static const uint32_t regs[4] = {0x40023800u /* RCC_CR */, 0x40023804u /* PLLCFGR */,
                                   0x40023808u /* CFGR */, 0x40023C00u /* FLASH_ACR */};
  double ms[2];
  for (int slow = 0; slow < 2; slow++) {
    lf_loader_cfg c;
    lf_loader_cfg_default(&c);
    c.compress = LF_COMPRESS_ON;
    pll_lock_ns = slow ? 5e6 : 1e5;
    fx f;
    fx_open(&f, "nucleo-f767zi", NULL, &c);
    uint32_t before[4], after[4];
    for (int i = 0; i < 4; i++)
      assert_int_equal(lf_adi_read32(f.a, regs[i], &before[i]), 0);
    lf_loader_step st[1] = {{LF_LOADER_PROGRAM, FLASH, img, len}};
    must(&f, lf_loader_start(f.l), "start");
    uint64_t t0 = now(&f);
    must(&f, lf_loader_run(f.l, st, 1), "run");
    ms[slow] = (double)(now(&f) - t0) / 1e6;
    const lf_loader_stats *ls = lf_loader_stats_get(f.l);
    assert_true(ls->z_used);
    must(&f, lf_loader_stop(f.l), "stop");
    for (int i = 0; i < 4; i++) {
      assert_int_equal(lf_adi_read32(f.a, regs[i], &after[i]), 0);
      assert_int_equal(after[i], before[i]);
    }
    expect_flash(&f, FLASH, img, len);
    fx_close(&f);
  }
  printf("compressed 48 KiB: %.2f ms with a 0.1 ms PLL lock, %.2f ms with 5 ms\n", ms[0], ms[1]);
  /* the first command's lock is hidden (the first piece still travels);
   * relocking for each command: +24 ms here */
  assert_true(ms[1] - ms[0] < 10.0);
  free(img);
}

/* The F429 (Cortex-M4, fixed CRC unit, 16 KiB sectors, PGSERR naming). */
static void f429_programs_and_crcs(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f429zi", NULL, NULL);
  uint8_t *img = random_bytes(0x5000, 21u);
  lf_loader_step st[8];
  size_t n = plan_steps(&f, img, FLASH, 0x5000, st);
  assert_int_equal(n, 4); /* sectors 0 and 1 (16 KiB) */
  must(&f, lf_loader_start(f.l), "start");
  must(&f, lf_loader_run(f.l, st, n), "run");
  lf_loader_range rg[2] = {{FLASH, 0x5000}, {FLASH + 1, 0x4000}};
  uint32_t crc[2];
  must(&f, lf_loader_crc32(f.l, rg, 2, crc), "crc");
  assert_int_equal(crc[0], (uint32_t)crc32(0L, img, 0x5000));
  assert_int_equal(crc[1], (uint32_t)crc32(0L, img + 1, 0x4000));
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, FLASH, img, 0x5000);
  char names[64];
  lf_loader_adapter_get(f.l)->status_names(lf_loader_geometry(f.l), 0x90, names, sizeof names);
  assert_string_equal(names, "WRPERR PGSERR");
  /* bank 2 (SNB 0x10 + k, F4 7.4): sector 12 at 0x08100000, then a bank-1
   * mass erase (MER) leaves bank 2 alone */
  const uint32_t b2 = FLASH + 0x100000u;
  lf_loader_step st2[2] = {{LF_LOADER_ERASE, b2, NULL, 0}, {LF_LOADER_PROGRAM, b2 + 0x3F00, img, 0x200}};
  must(&f, lf_loader_start(f.l), "restart");
  must(&f, lf_loader_run(f.l, st2, 2), "bank 2");
  expect_flash(&f, b2 + 0x3F00, img, 0x200);
  lf_loader_step mass = {LF_LOADER_MASS, 1, NULL, 0};
  must(&f, lf_loader_run(f.l, &mass, 1), "mass erase bank 1");
  must(&f, lf_loader_stop(f.l), "stop");
  uint8_t ff[0x5000];
  memset(ff, 0xFF, sizeof ff);
  expect_flash(&f, FLASH, ff, sizeof ff);
  expect_flash(&f, b2 + 0x3F00, img, 0x200);
  free(img);
  fx_close(&f);
}

/* One plan-driven job (smart flash CRCs, erase/program, CRC verify) on a
 * running loader at base; returns the modeled ns and fills the plan's floor. */
static uint64_t plan_job_at(fx *f, uint32_t base, const uint8_t *img, uint32_t len,
                            uint64_t *floor_ns, size_t *nsteps)
{
  lf_segment seg = {base, len, (uint8_t *)img};
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  lf_plan *p = NULL;
  uint64_t t0 = now(f);
  must(f, lf_plan_build(f->s, &seg, 1, &f->g, &set, &p), "plan");
  must(f, lf_loader_plan_crcs(f->l, p), "smart flash crcs");
  must(f, lf_plan_finalize(f->s, p), "finalize");
  lf_loader_step *st = NULL;
  must(f, lf_loader_plan_steps(f->s, p, &st, nsteps), "steps");
  unsigned verified = 0;
  must(f, lf_loader_plan_program(f->l, p, &verified), "program + verify");
  uint64_t t = now(f) - t0;
  /* the separate verify agrees (and costs CRC time only) */
  unsigned again = 0;
  must(f, lf_loader_plan_verify(f->l, p, &again), "verify again");
  assert_int_equal(again, verified);
  *floor_ns = p->sum.floor_ns;
  printf("  %zu steps, %u sectors verified, %u unchanged: %.2f ms, floor %.2f ms",
         *nsteps, verified, p->sum.unchanged, t / 1e6, p->sum.floor_ns / 1e6);
  if (p->sum.floor_ns)
    printf(" = %.4f x floor", (double)t / (double)p->sum.floor_ns);
  printf("\n");
  free(st);
  lf_plan_free(p);
  return t;
}

static uint64_t plan_job(fx *f, const uint8_t *img, uint32_t len, uint64_t *floor_ns, size_t *nsteps)
{
  return plan_job_at(f, FLASH, img, len, floor_ns, nsteps);
}

/* The flow the table measures, driven by flash/plan.h on the
 * F767: full program of the 65 KB image, unchanged re-flash (smart flash:
 * CRCs only), one-byte change (one sector). */
static void plan_jobs_full_unchanged_one_byte(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", NULL, NULL);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x65A1u);
  uint64_t floor_ns;
  size_t n;
  printf("full program:\n");
  uint64_t t = plan_job(&f, img, IMAGE_LEN, &floor_ns, &n);
  assert_int_equal(n, 6);
  assert_int_equal(floor_ns, 866240000u);
  assert_true(t < 1.10 * (double)floor_ns);
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  printf("unchanged re-flash:\n");
  t = plan_job(&f, img, IMAGE_LEN, &floor_ns, &n);
  assert_int_equal(n, 0);
  assert_int_equal(floor_ns, 0);
  assert_true(t < 20000000u); /* CRCs of 3 x 32 KiB and polls: far below one erase */
  printf("one-byte change at 0x08009000:\n");
  img[0x9000] ^= 0x5A;
  t = plan_job(&f, img, IMAGE_LEN, &floor_ns, &n);
  assert_int_equal(n, 2); /* sector 1: erase + program */
  assert_true(t < 1.10 * (double)floor_ns + 20e6);
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  must(&f, lf_loader_stop(f.l), "stop");
  free(img);
  fx_close(&f);
}

/* ---- STM32H743 (NUCLEO-H743ZI): two banks at the same time ----
 * Floors from the bench rows (params.c, x64): sector erase h7_erase_ns[3]
 * 1 s, flash word h7_prog_ns[3] 100 us, bank erase h7_bank_erase_ns[3] 5 s;
 * stm32-f1-l4-h7-targets.md 5.3 (concurrency). */
#define BANK2 0x08100000u

static double h7_floor_ns(const fx *f, unsigned sectors, uint32_t bytes)
{
  const lf_bench_params *p = lf_bench_params_get(f->b);
  return sectors * p->h7_erase_ns[3] + (bytes / 32) * p->h7_prog_ns[3];
}

/* The 65 KB job: one sector of bank 1, 2080 flash words: 1.208 s floor,
 * the loader started while sector 0 erases, no starvation, within 1.10 x. */
static void h743_65k_image_programs_within_floor(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-h743zi", NULL, NULL);
  uint32_t ring, ring_size;
  lf_loader_layout(f.l, NULL, &ring, &ring_size);
  assert_int_equal(ring, 0x24000000u); /* AXI SRAM, its own window */
  assert_int_equal(ring_size, 512u << 10);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x7431u);
  lf_loader_step st[4];
  size_t n = plan_steps(&f, img, FLASH, IMAGE_LEN, st);
  assert_int_equal(n, 2);
  uint64_t t0 = now(&f);
  lf_loader_range rg = {FLASH, IMAGE_LEN};
  uint32_t crc = 0;
  must(&f, lf_loader_run_crc32(f.l, st, n, &rg, 1, &crc), "run + crc");
  double job = (double)(now(&f) - t0), floor_ns = h7_floor_ns(&f, 1, IMAGE_LEN);
  must(&f, lf_loader_stop(f.l), "stop");
  assert_int_equal(crc, (uint32_t)crc32(0L, img, IMAGE_LEN));
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  const lf_loader_stats *ls = lf_loader_stats_get(f.l);
  printf("h743 65 KB: %.2f ms, floor %.2f ms = %.4f x; ring empty %.3f ms\n", job / 1e6,
         floor_ns / 1e6, job / floor_ns, ls->starve_cyc * 1e3 / ls->core_hz);
  assert_true(floor_ns == 1208e6);
  assert_true(job > floor_ns && job < 1.10 * floor_ns);
  assert_true(ls->starve_cyc * 1e9 / ls->core_hz < 1e6);
  free(img);
  fx_close(&f);
}

/* An image across the bank boundary (64 KiB at the end of sector 7 of bank
 * 1, 64 KiB at the start of sector 8 of bank 2): both controllers erase and
 * program at once: 1 s + 2048 x 100 us = 1.2048 s, not the 2.4096 s of one
 * bank after the other. Through the plan (its floor is the slower bank) and
 * the stream engine (pairs). The upload (128 KiB at 4 MHz, ~0.8 s) hides
 * behind the erases. */
static void h743_both_banks_at_once(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-h743zi", NULL, NULL);
  const uint32_t base = 0x080F0000u, len = 128u << 10;
  uint8_t *img = random_bytes(len, 0xB4A7u);
  uint64_t floor_ns;
  size_t n;
  uint64_t t = plan_job_at(&f, base, img, len, &floor_ns, &n);
  assert_int_equal(floor_ns, 1204800000u);
  assert_true(floor_ns == h7_floor_ns(&f, 1, len / 2));
  assert_true(t > floor_ns && t < 1.10 * (double)floor_ns);
  assert_true((double)t < 0.55 * 2 * (double)floor_ns); /* far from one bank after the other */
  expect_flash(&f, base, img, len);
  const lf_soc_counters *c = lf_soc_counters_get(lf_bench_soc(f.b));
  assert_int_equal(c->flash_sector_erases, 2);
  assert_int_equal(c->flash_prog_ops, len / 32);
  /* unequal ranges: 128 KiB + 32 bytes in bank 2, 64 KiB in bank 1 (the
   * longer range is split; everything lands where it belongs) */
  uint8_t *a = random_bytes(64u << 10, 1u), *b = random_bytes((128u << 10) + 32, 2u);
  lf_loader_step st[4] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_PROGRAM, FLASH, a, 64u << 10},
                          {LF_LOADER_ERASE, BANK2 + 0x20000u, NULL, 0},
                          {LF_LOADER_PROGRAM, BANK2 + 0x20000u, b, (128u << 10) + 32}};
  st[2].addr = BANK2 + 0x20000u;
  must(&f, lf_loader_run(f.l, st, 2), "erase sector 0"); /* programs bank 1 alone first */
  lf_loader_step both[3] = {{LF_LOADER_ERASE, BANK2 + 0x40000u, NULL, 0}, st[1],
                            {LF_LOADER_PROGRAM, BANK2 + 0x40000u, b, (128u << 10) + 32}};
  lf_loader_step erase2 = {LF_LOADER_ERASE, BANK2 + 0x60000u, NULL, 0};
  must(&f, lf_loader_run(f.l, &erase2, 1), "erase sector 11");
  both[1].addr = FLASH + 0x10000u; /* fresh bytes of sector 0 */
  both[2].addr = BANK2 + 0x40000u;
  both[2].len = (128u << 10) + 32; /* ends in sector 11 */
  must(&f, lf_loader_run(f.l, both, 3), "pair of unequal ranges");
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, FLASH + 0x10000u, a, 64u << 10);
  expect_flash(&f, BANK2 + 0x40000u, b, (128u << 10) + 32);
  free(a);
  free(b);
  free(img);
  fx_close(&f);
}

/* A failing erase of bank 2 is only seen when the bank is needed again (the
 * loader does not wait for it): the error still names that erase, and the
 * other bank's work is done. */
static void h743_deferred_erase_error_names_its_sector(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-h743zi", "flash_error@2:0x20000", NULL); /* 2nd operation: WRPERR */
  uint8_t *img = random_bytes(8192, 3u);
  lf_loader_step st[4] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_ERASE, BANK2, NULL, 0},
                          {LF_LOADER_PROGRAM, FLASH, img, 4096}, {LF_LOADER_PROGRAM, BANK2, img + 4096, 4096}};
  must(&f, lf_loader_start(f.l), "start");
  assert_int_equal(lf_loader_run(f.l, st, 4), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "erase sector 8 (0x08100000, 128 KiB) failed"));
  assert_non_null(strstr(lf_err_msg(f.s), "WRPERR"));
  free(img);
  fx_close(&f);
}

/* A write-protected sector of bank 2 (WPSN_PRG2 through the option
 * sequence) fails its program inside a pair: the error names the address
 * in bank 2. */
static void h743_program_error_in_a_pair_names_its_bank(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-h743zi", NULL, NULL);
  lf_memap *m = lf_adi_default_memap(f.a);
  must(&f, lf_memap_write32(m, 0x52002008u, 0x08192A3Bu), "optkey1");
  must(&f, lf_memap_write32(m, 0x52002008u, 0x4C5D6E7Fu), "optkey2");
  must(&f, lf_memap_write32(m, 0x5200213Cu, 0xFEu), "WPSN_PRG2: sector 8");
  must(&f, lf_memap_write32(m, 0x52002018u, 0x2u), "OPTSTART");
  uint32_t sr = 1;
  for (int i = 0; i < 100 && (sr & 1); i++)
    must(&f, lf_memap_read32(m, 0x5200201Cu, &sr), "OPTSR_CUR");
  uint8_t *img = random_bytes(8192, 4u);
  lf_loader_step st[2] = {{LF_LOADER_PROGRAM, FLASH + 0x40000u, img, 4096},
                          {LF_LOADER_PROGRAM, BANK2 + 0x40u, img + 4096, 4096}};
  must(&f, lf_loader_start(f.l), "start");
  assert_int_equal(lf_loader_run(f.l, st, 2), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "program 0x08100040 (sector 8)"));
  assert_non_null(strstr(lf_err_msg(f.s), "WRPERR"));
  free(img);
  fx_close(&f);
}

/* Bank and mass erase on the H743 (LF_LOADER_MASS with a bank mask): bank
 * 2 alone takes one bank erase (h7_bank_erase_ns[3], 5 s) and leaves bank 1;
 * both banks erase at once, also in one bank erase's time, not two. */
static void h743_bank_and_mass_erase(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-h743zi", NULL, NULL);
  uint8_t *a = random_bytes(4096, 7u);
  lf_loader_step st[4] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_ERASE, BANK2, NULL, 0},
                          {LF_LOADER_PROGRAM, FLASH, a, 4096}, {LF_LOADER_PROGRAM, BANK2, a, 4096}};
  must(&f, lf_loader_run(f.l, st, 4), "program both banks");
  const double bank_ns = lf_bench_params_get(f.b)->h7_bank_erase_ns[3];
  uint64_t t0 = now(&f);
  lf_loader_step m2 = {LF_LOADER_MASS, 2u, NULL, 0};
  must(&f, lf_loader_run(f.l, &m2, 1), "erase bank 2");
  double dt = (double)(now(&f) - t0);
  expect_flash(&f, FLASH, a, 4096);
  uint8_t ff[4096];
  memset(ff, 0xFF, sizeof ff);
  expect_flash(&f, BANK2, ff, sizeof ff);
  assert_true(dt >= bank_ns && dt < 1.01 * bank_ns);
  t0 = now(&f);
  lf_loader_step m3 = {LF_LOADER_MASS, 3u, NULL, 0};
  must(&f, lf_loader_run(f.l, &m3, 1), "mass erase");
  dt = (double)(now(&f) - t0);
  expect_flash(&f, FLASH, ff, sizeof ff);
  printf("bank erase and mass erase of both banks: %.3f s each (bank erase %.3f s)\n", dt / 1e9, bank_ns / 1e9);
  assert_true(dt >= bank_ns && dt < 1.01 * bank_ns);
  must(&f, lf_loader_stop(f.l), "stop");
  assert_int_equal(lf_soc_counters_get(lf_bench_soc(f.b))->flash_mass_erases, 3);
  free(a);
  fx_close(&f);
}

/* The plan-driven flow on the H743: full program of the 65 KB image,
 * unchanged re-flash (CRC per sector only), one-byte change. */
static void h743_plan_jobs_full_unchanged_one_byte(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-h743zi", NULL, NULL);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x65A7u);
  uint64_t floor_ns;
  size_t n;
  uint64_t t = plan_job(&f, img, IMAGE_LEN, &floor_ns, &n);
  assert_int_equal(floor_ns, 1208000000u);
  assert_true(t < 1.10 * (double)floor_ns);
  uint64_t full = t;
  t = plan_job(&f, img, IMAGE_LEN, &floor_ns, &n);
  assert_int_equal(n, 0);
  assert_true(t < full / 10);
  img[0x9000] ^= 0x5A;
  t = plan_job(&f, img, IMAGE_LEN, &floor_ns, &n);
  assert_int_equal(n, 2);
  assert_true(t < 1.10 * (double)floor_ns + 20e6);
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  must(&f, lf_loader_stop(f.l), "stop");
  free(img);
  fx_close(&f);
}

/* ---- the page-flash families: shared shapes of their tests ---- */

/* Runs the 65 KB image through the plan's steps (nsteps of them) on board,
 * checks flash and the zlib CRC, and returns the job's virtual time in ns
 * with the loader's time without data (ring empty) in *starve_ns. */
static double run_65k_job(const char *board, uint32_t seed, size_t nsteps, double *starve_ns)
{
  fx f;
  fx_open(&f, board, NULL, NULL);
  uint8_t *img = random_bytes(IMAGE_LEN, seed);
  lf_loader_step *st = calloc(nsteps, sizeof *st);
  assert_non_null(st);
  size_t n = plan_steps(&f, img, FLASH, IMAGE_LEN, st);
  assert_int_equal(n, nsteps);
  uint64_t t0 = now(&f);
  lf_loader_range rg = {FLASH, IMAGE_LEN};
  uint32_t crc = 0;
  must(&f, lf_loader_run_crc32(f.l, st, n, &rg, 1, &crc), "run + crc");
  double job = (double)(now(&f) - t0);
  must(&f, lf_loader_stop(f.l), "stop");
  assert_int_equal(crc, (uint32_t)crc32(0L, img, IMAGE_LEN));
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  const lf_loader_stats *ls = lf_loader_stats_get(f.l);
  *starve_ns = (double)ls->starve_cyc * 1e9 / ls->core_hz;
  printf("%s: job %.2f ms; ring empty %.3f ms; %llu uploads, %llu polls\n", board, job / 1e6, *starve_ns / 1e6,
         (unsigned long long)ls->uploads, (unsigned long long)ls->polls);
  free(st);
  free(img);
  fx_close(&f);
  return job;
}

/* The loader's zlib CRC over 3000 random bytes the host wrote at buf, in
 * 8 ranges (offset, length) of which some are unaligned, short or empty. */
static void crc_ranges_equal_zlib(fx *f, uint32_t buf, uint32_t seed, const uint32_t offs[8][2])
{
  uint8_t *d = random_bytes(3000, seed);
  must(f, lf_adi_write(f->a, buf, d, 3000), "fill");
  must(f, lf_loader_start(f->l), "start");
  lf_loader_range rg[8];
  uint32_t got[8];
  for (size_t i = 0; i < 8; i++)
    rg[i] = (lf_loader_range){buf + offs[i][0], offs[i][1]};
  must(f, lf_loader_crc32(f->l, rg, 8, got), "crc");
  for (size_t i = 0; i < 8; i++)
    if (got[i] != (uint32_t)crc32(0L, d + offs[i][0], offs[i][1]))
      fail_msg("range +%u len %u: 0x%08x, zlib 0x%08x", offs[i][0], offs[i][1], got[i],
               (unsigned)crc32(0L, d + offs[i][0], offs[i][1]));
  free(d);
}

/* ---- STM32F1 (loaders/stm32f1.c) on the NUCLEO-F103RB ---- */

/* The 65 KB job on the F103RB: 65 pages erased, 33280 half-words, flash
 * equals the image, the CRC equals zlib; within 1.10 x the floor from the
 * params rows (65 x f1_page_erase_ns + 33280 x f1_prog_ns_typ = 3.0472 s).
 * The flash waits for data only at the start: page 0's data goes up after
 * the loader itself, both within page 0's 20 ms erase (a few ms short). */
static void f103_65k_image_programs_within_floor(void **state)
{
  (void)state;
  double starve;
  double job = run_65k_job("nucleo-f103rb", 0xF103u, 2 * 65, &starve);
  lf_bench_params p;
  lf_bench_params_default(&p);
  double floor_ns = 65 * p.f1_page_erase_ns + (IMAGE_LEN / 2) * p.f1_prog_ns_typ;
  printf("F103RB: %.4f x floor %.2f ms\n", job / floor_ns, floor_ns / 1e6);
  assert_int_equal((uint64_t)floor_ns, 3047200000ull);
  assert_true(starve < 10e6);
  assert_true(job < 1.10 * floor_ns);
  assert_true(job > floor_ns);
}

/* zlib CRC on the target: the fixed unit (aligned, 16 bytes or more) and
 * software (unaligned starts, short ranges, tails) agree with zlib, over
 * RAM the host wrote and over erased flash. */
static void f103_crc_unit_and_software_equal_zlib(void **state)
{
  (void)state;
  lf_loader_cfg c;
  lf_loader_cfg_default(&c);
  c.ram_size = 0x2800; /* the loader keeps to 10 KiB; the buffer sits above */
  fx f;
  fx_open(&f, "nucleo-f103rb", NULL, &c);
  static const uint32_t offs[8][2] = {{0, 3000}, {1, 2999}, {3, 17}, {2, 2}, {0, 0}, {4, 2048}, {8, 15}, {0, 16}};
  crc_ranges_equal_zlib(&f, 0x20003000u, 103u, offs);
  uint8_t ff[4096];
  memset(ff, 0xFF, sizeof ff);
  lf_loader_range fr = {FLASH + 0x400, sizeof ff};
  uint32_t fc;
  must(&f, lf_loader_crc32(f.l, &fr, 1, &fc), "crc flash");
  assert_int_equal(fc, (uint32_t)crc32(0L, ff, sizeof ff));
  must(&f, lf_loader_stop(f.l), "stop");
  fx_close(&f);
}

/* Injected flags on the F1: #1 is the page erase, so #101 is the 100th
 * half-word (0x080000C6): PGERR named with its address, the half-words
 * before it written; an erase error names the page and WRPRTERR. */
static void f103_errors_name_address_page_and_flag(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f103rb", "flash_error@101:0x04", NULL);
  uint8_t *img = random_bytes(1024, 7u);
  lf_loader_step st[2] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_PROGRAM, FLASH, img, 1024}};
  assert_int_equal(lf_loader_run(f.l, st, 2), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "program 0x080000c6 (sector 0) failed"));
  assert_non_null(strstr(lf_err_msg(f.s), "(PGERR)"));
  expect_flash(&f, FLASH, img, 0xC6);
  uint16_t h;
  assert_int_equal(lf_bench_peek(f.b, FLASH + 0xC6, &h, 2), 0);
  assert_int_equal(h, 0xFFFF);
  fx_close(&f);
  fx_open(&f, "nucleo-f103rb", "flash_error@2:0x10", NULL);
  lf_loader_step er[2] = {{LF_LOADER_ERASE, FLASH, NULL, 0}, {LF_LOADER_ERASE, FLASH + 0x7FE, NULL, 0}};
  assert_int_equal(lf_loader_run(f.l, er, 2), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "erase sector 1 (0x08000400, 1 KiB) failed: FLASH_SR 0x00000010 (WRPRTERR)"));
  free(img);
  fx_close(&f);
}

/* High density: 2 KiB pages; a mass erase; the 32 KiB window of its line. */
static void f103rc_pages_and_mass_erase(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f103rc", NULL, NULL);
  assert_int_equal(f.g.sector[1].addr, FLASH + 0x800);
  uint32_t ctrl, ring, ring_size;
  lf_loader_layout(f.l, &ctrl, &ring, &ring_size);
  assert_true(ring + ring_size <= 0x20008000u);
  uint8_t *img = random_bytes(5000, 9u);
  lf_loader_step st[2] = {{LF_LOADER_MASS, 1, NULL, 0}, {LF_LOADER_PROGRAM, FLASH + 0x7FE, img, 5000}};
  must(&f, lf_loader_run(f.l, st, 2), "mass erase + program");
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, FLASH + 0x7FE, img, 5000);
  free(img);
  fx_close(&f);
}

/* ---- STM32L4 (loaders/stm32l4.c) on the NUCLEO-L476RG ---- */

/* The 65 KB job on the L476: 33 pages, 8320 double words; flash equals the
 * image, the CRC equals zlib; within 1.10 x the floor from the params rows
 * (33 x l4_page_erase_ns + 8320 x l4_prog_ns_typ = 1.4063208 s). The whole
 * image fits the 96 KiB ring: the erases go first while it uploads. */
static void l476_65k_image_programs_within_floor(void **state)
{
  (void)state;
  double starve;
  double job = run_65k_job("nucleo-l476rg", 0x476u, 2 * 33, &starve);
  lf_bench_params p;
  lf_bench_params_default(&p);
  double floor_ns = 33 * p.l4_page_erase_ns + (IMAGE_LEN / 8) * p.l4_prog_ns_typ;
  printf("L476: %.4f x floor %.2f ms\n", job / floor_ns, floor_ns / 1e6);
  assert_int_equal((uint64_t)floor_ns, 1406320800ull);
  assert_true(starve < 1e6);
  assert_true(job < 1.10 * floor_ns);
  assert_true(job > floor_ns);
}

/* zlib CRC on the L4's programmable unit and in software (unaligned heads,
 * short ranges, tails), over RAM and erased flash. */
static void l476_crc_unit_and_software_equal_zlib(void **state)
{
  (void)state;
  lf_loader_cfg c;
  lf_loader_cfg_default(&c);
  c.ram_size = 0x10000;
  fx f;
  fx_open(&f, "nucleo-l476rg", NULL, &c);
  static const uint32_t offs[8][2] = {{0, 3000}, {1, 2999}, {3, 17}, {2, 2}, {0, 0}, {4, 2048}, {7, 15}, {0, 32}};
  crc_ranges_equal_zlib(&f, 0x20012000u, 476u, offs);
  must(&f, lf_loader_stop(f.l), "stop");
  fx_close(&f);
}

/* The ECC rule through the loader: a double word programmed twice fails
 * with PROGERR naming its address; an injected erase flag names the page
 * (bank 2: sector 257); a bank erase and programming across the boundary. */
static void l476_errors_and_banks(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-l476rg", NULL, NULL);
  uint8_t *img = random_bytes(4096, 11u);
  lf_loader_step st[4] = {{LF_LOADER_ERASE, 0x0807F800u, NULL, 0}, {LF_LOADER_ERASE, 0x08080000u, NULL, 0},
                          {LF_LOADER_PROGRAM, 0x0807F800u, img, 4096}, {LF_LOADER_PROGRAM, 0x0807F800u + 0x100, img, 8}};
  assert_int_equal(lf_loader_run(f.l, st, 4), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "program 0x0807f900 (sector 255) failed"));
  assert_non_null(strstr(lf_err_msg(f.s), "(PROGERR)"));
  expect_flash(&f, 0x0807F800u, img, 4096);
  fx_close(&f);
  fx_open(&f, "nucleo-l476rg", "flash_error@2:0x10", NULL);
  lf_loader_step er[2] = {{LF_LOADER_ERASE, 0x08080000u, NULL, 0}, {LF_LOADER_ERASE, 0x08080800u, NULL, 0}};
  assert_int_equal(lf_loader_run(f.l, er, 2), LF_ETARGET);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "erase sector 257 (0x08080800, 2 KiB) failed: FLASH_SR 0x00000010 (WRPERR)"));
  fx_close(&f);
  fx_open(&f, "nucleo-l476rg", NULL, NULL);
  lf_loader_step bk[2] = {{LF_LOADER_MASS, 2, NULL, 0}, {LF_LOADER_PROGRAM, 0x080FF000u, img, 4096}};
  must(&f, lf_loader_run(f.l, bk, 2), "bank 2 erase + program");
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, 0x080FF000u, img, 4096);
  free(img);
  fx_close(&f);
}

/* ---- nRF52840 (issue 15; loaders/nrf52.c) on the nRF52840 DK through a DAPLink ---- */

#define NRF_NVMC 0x4001E000u
#define NRF_UICR 0x10001000u

/* The 65 KB job at 0: 17 pages erased, 16640 words, flash equals the image,
 * the CRC equals zlib; within 1.10 x the floor from the params rows
 * (17 x nrf_erasepage_ns + 16640 x nrf_write_ns = 2.1274 s), and above it
 * (the words really wait tWRITE each). */
static void nrf52_65k_image_programs_within_floor(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nrf52840-dk", NULL, NULL);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x52840u);
  lf_loader_step st[34];
  size_t n = plan_steps(&f, img, 0, IMAGE_LEN, st);
  assert_int_equal(n, 34);
  uint64_t t0 = now(&f);
  lf_loader_range rg = {0, IMAGE_LEN};
  uint32_t crc = 0;
  must(&f, lf_loader_run_crc32(f.l, st, n, &rg, 1, &crc), "run + crc");
  double job = (double)(now(&f) - t0);
  must(&f, lf_loader_stop(f.l), "stop");
  assert_int_equal(crc, (uint32_t)crc32(0L, img, IMAGE_LEN));
  expect_flash(&f, 0, img, IMAGE_LEN);
  lf_bench_params p;
  lf_bench_params_default(&p);
  double floor_ns = 17 * p.nrf_erasepage_ns + (IMAGE_LEN / 4) * p.nrf_write_ns;
  printf("nRF52840: job %.2f ms, %.4f x floor %.2f ms\n", job / 1e6, job / floor_ns, floor_ns / 1e6);
  assert_int_equal((uint64_t)floor_ns, 2127240000ull);
  assert_true(job < 1.10 * floor_ns);
  assert_true(job > floor_ns);
  free(img);
  fx_close(&f);
}

/* zlib CRC on the target (byte table built at init; heads, tails, short
 * and empty ranges) over RAM the host wrote and over erased flash. */
static void nrf52_crc_equals_zlib(void **state)
{
  (void)state;
  lf_loader_cfg c;
  lf_loader_cfg_default(&c);
  c.ram_size = 0x10000; /* the loader keeps to 64 KiB; the buffer sits above */
  fx f;
  fx_open(&f, "nrf52840-dk", NULL, &c);
  static const uint32_t offs[8][2] = {{0, 3000}, {1, 2999}, {3, 17}, {2, 2}, {0, 0}, {4, 2048}, {7, 15}, {0, 3}};
  crc_ranges_equal_zlib(&f, 0x20030000u, 52840u, offs);
  uint8_t ff[4096];
  memset(ff, 0xFF, sizeof ff);
  lf_loader_range fr = {0x1000, sizeof ff};
  uint32_t fc;
  must(&f, lf_loader_crc32(f.l, &fr, 1, &fc), "crc flash");
  assert_int_equal(fc, (uint32_t)crc32(0L, ff, sizeof ff));
  must(&f, lf_loader_stop(f.l), "stop");
  fx_close(&f);
}

/* A chip erase is NVMC ERASEALL: every page and the UICR erased, in
 * tERASEALL; an unaligned program range is padded with 0xFF to words; the
 * NVMC is back to read-only (CONFIG = Ren) after the loader stops. */
static void nrf52_mass_erase_takes_the_uicr_and_pads_words(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nrf52840-dk", NULL, NULL);
  /* a UICR word and a word at the end of the flash, written over the debug port */
  must(&f, lf_adi_write32(f.a, NRF_NVMC + 0x504, 1), "CONFIG = Wen");
  must(&f, lf_adi_write32(f.a, NRF_UICR + 0x80, 0x12345678u), "UICR CUSTOMER[0]");
  must(&f, lf_adi_write32(f.a, 0xFFFFCu, 0), "last flash word");
  must(&f, lf_adi_write32(f.a, NRF_NVMC + 0x504, 0), "CONFIG = Ren");
  uint8_t *img = random_bytes(5001, 11u);
  lf_loader_step st[2] = {{LF_LOADER_MASS, 1, NULL, 0}, {LF_LOADER_PROGRAM, 0x1FFE, img, 5001}};
  uint64_t t0 = now(&f);
  must(&f, lf_loader_run(f.l, st, 2), "mass erase + program");
  lf_bench_params p;
  lf_bench_params_default(&p);
  assert_true((double)(now(&f) - t0) > p.nrf_eraseall_ns);
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, 0x1FFE, img, 5001);
  uint32_t w;
  assert_int_equal(lf_bench_peek(f.b, 0x1FFC, &w, 4), 0);
  assert_int_equal(w & 0xFFFFu, 0xFFFFu); /* padding before the range */
  assert_int_equal(lf_bench_peek(f.b, NRF_UICR + 0x80, &w, 4), 0);
  assert_int_equal(w, 0xFFFFFFFFu);
  assert_int_equal(lf_bench_peek(f.b, 0xFFFFC, &w, 4), 0);
  assert_int_equal(w, 0xFFFFFFFFu);
  must(&f, lf_adi_read32(f.a, NRF_NVMC + 0x504, &w), "CONFIG");
  assert_int_equal(w, 0);
  free(img);
  fx_close(&f);
}

/* ---- PROGRAM_Z records the inflater must refuse (every family) ---- */

/* Raw deflate of src into dst (zlib, level 9); returns its length. */
static size_t deflate_raw(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = (uint8_t *)src;
  zs.avail_in = (uInt)n;
  zs.next_out = dst;
  zs.avail_out = (uInt)cap;
  assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
  size_t got = zs.total_out;
  deflateEnd(&zs);
  return got;
}

static uint32_t rd32(const uint8_t *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Posts k PROGRAM_Z commands (olen[i] bytes at addr[i], each one record:
 * rec[i], n[i] bytes of header + deflate bytes) at once behind the
 * engine's back (the loader idles after a stream: cmd_wr == cmd_rd,
 * data_wr == data_rd), then polls until the loader reports (an error, or
 * all k done); returns its status and err_addr / err_sr. */
static uint32_t post_raw_zn(fx *f, size_t k, const uint32_t *addr, const uint32_t *olen,
                            const uint8_t *const *rec, const uint32_t *n, uint32_t *err_addr,
                            uint32_t *err_sr)
{
  uint32_t ctrl, ring, ring_size;
  lf_loader_layout(f->l, &ctrl, &ring, &ring_size);
  uint8_t cb[LF_LDR_CTRL_SIZE];
  must(f, lf_adi_read(f->a, ctrl, cb, sizeof cb), "read ctrl");
  uint32_t tsize = rd32(cb + 0x0C), cmds = rd32(cb + 0x10), count = rd32(cb + 0x14), roff = rd32(cb + 0x18);
  uint32_t cmd_wr = rd32(cb + 0x48), data_wr = rd32(cb + 0x4C);
  assert_int_equal(cmd_wr, rd32(cb + 0x50));
  assert_int_equal(data_wr, rd32(cb + 0x54));
  assert_int_equal(tsize, ring_size);
  uint32_t v = data_wr;
  for (size_t i = 0; i < k; i++) {
    uint32_t first = n[i] < tsize - roff ? n[i] : tsize - roff; /* the record may wrap */
    must(f, lf_adi_write(f->a, ring + roff, rec[i], first), "ring");
    if (first < n[i])
      must(f, lf_adi_write(f->a, ring, rec[i] + first, n[i] - first), "ring (wrapped)");
    roff = (roff + n[i]) % tsize;
    v += n[i];
    uint32_t cmd[4] = {LF_LDR_OP_PROGRAM_Z, addr[i], olen[i], 0};
    must(f, lf_adi_write(f->a, cmds + ((cmd_wr + (uint32_t)i) % count) * 16u, cmd, sizeof cmd),
         "command");
  }
  must(f, lf_adi_write(f->a, ctrl + 0x4C, &v, 4), "data_wr");
  v = cmd_wr + (uint32_t)k;
  must(f, lf_adi_write(f->a, ctrl + 0x48, &v, 4), "cmd_wr");
  for (int i = 0; i < 20000; i++) {
    must(f, lf_adi_read(f->a, ctrl, cb, sizeof cb), "status");
    if (rd32(cb + 0x58) || rd32(cb + 0x50) == v)
      break;
  }
  *err_addr = rd32(cb + 0x5C);
  *err_sr = rd32(cb + 0x60);
  if (!rd32(cb + 0x58))
    assert_int_equal(rd32(cb + 0x50), v); /* finished, not stuck */
  return rd32(cb + 0x58);
}

static uint32_t post_raw_z(fx *f, uint32_t addr, uint32_t olen, const uint8_t *rec, uint32_t n,
                           uint32_t *err_addr, uint32_t *err_sr)
{
  return post_raw_zn(f, 1, &addr, &olen, &rec, &n, err_addr, err_sr);
}

/* The Pico's routine programs pages through the SSI and inflates ahead of
 * the flash: what one PROGRAM_Z has not programmed when it ends is carried
 * into the next queued PROGRAM_Z. Two commands posted at once, the second
 * with a record that does not inflate: the loader stops naming the second,
 * and the first one's bytes are all in the flash (the carry programmed
 * before the error was reported), nothing of the second. */
static void rp2040_carry_is_programmed_before_an_error(void **state)
{
  (void)state;
  size_t len = 0x2000;
  uint8_t *img = random_bytes(len, 91u);
  for (size_t k = 0; k < len; k++)
    if ((k / 300) % 3 != 2)
      img[k] = (uint8_t)"the carry is programmed first "[k % 30];
  lf_loader_cfg c;
  lf_loader_cfg_default(&c);
  c.compress = LF_COMPRESS_ON;
  fx f;
  fx_open(&f, "pico", NULL, &c);
  const uint32_t a = 0x10000000u, olen = 0x800;
  lf_loader_step st[4] = {
    {LF_LOADER_ERASE, a, NULL, 0}, {LF_LOADER_ERASE, a + 0x1000, NULL, 0},
    {LF_LOADER_ERASE, a + 0x2000, NULL, 0}, {LF_LOADER_PROGRAM, a, img, 0x1000}};
  must(&f, lf_loader_run(f.l, st, 4), "run");
  assert_true(lf_loader_stats_get(f.l)->z_used);
  expect_flash(&f, a, img, 0x1000);
  uint8_t good[0x1000], bad[0x1000];
  size_t zg = deflate_raw(img + 0x1000, olen, good + 8, sizeof good - 8);
  size_t zb = deflate_raw(img + 0x1000 + olen, olen, bad + 8, sizeof bad - 8);
  bad[8] |= 0x06; /* BTYPE 11: reserved */
  uint32_t hg[2] = {(uint32_t)zg, olen}, hb[2] = {(uint32_t)zb, olen};
  memcpy(good, hg, 8);
  memcpy(bad, hb, 8);
  uint32_t addr[2] = {a + 0x1000, a + 0x1000 + olen}, ol[2] = {olen, olen};
  uint32_t n[2] = {(uint32_t)(8 + zg), (uint32_t)(8 + zb)};
  const uint8_t *rec[2] = {good, bad};
  uint32_t ea, es;
  uint32_t status = post_raw_zn(&f, 2, addr, ol, rec, n, &ea, &es);
  assert_int_equal(status, LF_LDR_ST_DATA);
  assert_int_equal(ea, addr[1]);
  assert_int_equal((int32_t)es, -3);
  expect_flash(&f, addr[0], img + 0x1000, olen); /* the first command: all of it */
  uint8_t ff[0x800];
  memset(ff, 0xFF, sizeof ff);
  expect_flash(&f, addr[1], ff, olen); /* the second: nothing */
  assert_int_not_equal(lf_loader_stop(f.l), 0);
  fx_close(&f);
  free(img);
}

/* The Pico's routine knows the record flags: two PROGRAM_Z commands posted
 * at once, each one Thumb-branch filtered record over BL pairs (BCJ), the
 * second deflated with the first's filtered bytes as its dictionary
 * (CONT): both land in the flash with their branches as they were (the
 * history carried across the commands). The same second record without
 * CONT (no history) refers back to nothing: the loader stops at it. */
static void rp2040_history_and_branches_across_commands(void **state)
{
  (void)state;
  size_t len = 0x1000;
  uint8_t *img = random_bytes(len, 93u);
  for (size_t k = 0; k < len; k++)
    if ((k / 300) % 3 != 2)
      img[k] = (uint8_t)"history across the commands "[k % 28];
  const uint32_t a = 0x10000000u, olen = 0x800;
  uint8_t src[0x1000];
  memcpy(src, img, olen);
  for (uint32_t o = 6; o + 4 <= olen; o += 2 * (1 + (o * 2654435761u >> 27) % 9)) {
    uint32_t off = (o * 40503u) & 0x3FFFFFu;
    src[o] = (uint8_t)(off >> 11);
    src[o + 1] = (uint8_t)(0xF0u | ((off >> 19) & 7u));
    src[o + 2] = (uint8_t)off;
    src[o + 3] = (uint8_t)(0xF8u | ((off >> 8) & 7u));
  }
  memcpy(src + olen, src, olen); /* the second: the first again, a few bytes changed */
  for (uint32_t o = olen + 100; o < 2 * olen; o += 397)
    src[o] ^= 0x5A;
  for (int with_cont = 1; with_cont >= 0; with_cont--) {
    lf_loader_cfg c;
    lf_loader_cfg_default(&c);
    c.compress = LF_COMPRESS_ON;
    fx f;
    fx_open(&f, "pico", NULL, &c);
    lf_loader_step st[4] = {
      {LF_LOADER_ERASE, a, NULL, 0}, {LF_LOADER_ERASE, a + 0x1000, NULL, 0},
      {LF_LOADER_ERASE, a + 0x2000, NULL, 0}, {LF_LOADER_PROGRAM, a, img, 0x1000}};
    must(&f, lf_loader_run(f.l, st, 4), "run");
    assert_true(lf_loader_stats_get(f.l)->z_used);
    uint32_t addr[2] = {a + 0x1000, a + 0x1000 + olen}, ol[2] = {olen, olen};
    uint8_t filt[0x1000];
    memcpy(filt, src, 2 * olen);
    lfb_filter(filt, olen, addr[0], 1);
    lfb_filter(filt + olen, olen, addr[1], 1);
    static uint8_t r1[0x1000], r2[0x1000];
    size_t z1 = deflate_raw(filt, olen, r1 + 8, sizeof r1 - 8);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    assert_int_equal(deflateSetDictionary(&zs, filt, olen), Z_OK);
    zs.next_in = filt + olen;
    zs.avail_in = olen;
    zs.next_out = r2 + 8;
    zs.avail_out = sizeof r2 - 8;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t z2 = zs.total_out;
    deflateEnd(&zs);
    printf("records: %zu and %zu deflate bytes\n", z1, z2);
    assert_true(z2 < z1 * 3 / 4); /* the second refers back into the first */
    uint32_t h1[2] = {(uint32_t)z1, olen | LF_LDR_ZREC_BCJ},
             h2[2] = {(uint32_t)z2, olen | LF_LDR_ZREC_BCJ | (with_cont ? LF_LDR_ZREC_CONT : 0)};
    memcpy(r1, h1, 8);
    memcpy(r2, h2, 8);
    uint32_t n[2] = {(uint32_t)(8 + z1), (uint32_t)(8 + z2)};
    const uint8_t *rec[2] = {r1, r2};
    uint32_t ea, es;
    uint32_t status = post_raw_zn(&f, 2, addr, ol, rec, n, &ea, &es);
    printf("pico, two filtered records, %s: status %u at 0x%08x, code %d\n",
           with_cont ? "the second with the first as history" : "the second without history", status, ea,
           (int)es);
    expect_flash(&f, addr[0], src, olen); /* the first: branches restored */
    if (with_cont) {
      assert_int_equal(status, LF_LDR_ST_OK);
      expect_flash(&f, addr[1], src + olen, olen);
    } else {
      assert_int_equal(status, LF_LDR_ST_DATA);
      assert_int_equal(ea, addr[1]);
      assert_int_equal((int32_t)es, -3); /* a distance beyond the output: LFZ_E_DATA */
      assert_int_not_equal(lf_loader_stop(f.l), 0);
    }
    fx_close(&f);
  }
  free(img);
}

/* The Pico's routine programs with the quad input page program (0x32)
 * only when the flash's QE bit reads set (the bench's 0x32 programs
 * nothing without it): a compressed stream over the same flash with QE
 * clear (0x02, one line) and set lands whole either way. */
static void rp2040_quad_program_only_with_qe(void **state)
{
  (void)state;
  size_t len = 0x3000;
  uint8_t *img = random_bytes(len, 95u);
  for (size_t k = 0; k < len; k++)
    if ((k / 700) % 3 != 2)
      img[k] = (uint8_t)"quad or single line, the same "[k % 30];
  for (int qe = 0; qe < 2; qe++) {
    lf_loader_cfg c;
    lf_loader_cfg_default(&c);
    c.compress = LF_COMPRESS_ON;
    fx f;
    rp_qe = qe;
    fx_open(&f, "pico", NULL, &c);
    const uint32_t a = 0x10000000u;
    lf_loader_step st[4] = {
      {LF_LOADER_ERASE, a, NULL, 0}, {LF_LOADER_ERASE, a + 0x1000, NULL, 0},
      {LF_LOADER_ERASE, a + 0x2000, NULL, 0}, {LF_LOADER_PROGRAM, a, img, (uint32_t)len}};
    must(&f, lf_loader_run(f.l, st, 4), "run");
    assert_true(lf_loader_stats_get(f.l)->z_used);
    must(&f, lf_loader_stop(f.l), "stop");
    expect_flash(&f, a, img, len);
    fx_close(&f);
  }
  free(img);
}

/* Per family: a compressed stream first (the routine goes up), then a
 * record with an invalid block type (nothing decodes: the flash stays
 * erased), or one whose deflate bytes are cut short (the inflater runs out
 * of input): the loader stops with LF_LDR_ST_DATA naming the record's
 * address and the inflater's code, nothing after the record is programmed,
 * and stopping the loader fails (it is gone: no success). The same with a
 * Thumb-branch filtered record (flags BCJ | CONT) over BL pairs: corrupt, it
 * stops the same way; whole, the F2/F4/F7 and RP2040 routines program the
 * branches back as they were, and every other family's routine (which does
 * not know the flags) stops at it as at a wrong length. */
static void corrupt_compressed_record_is_refused(void **state)
{
  (void)state;
  static const struct {
    const char *board;
    uint32_t base, ram;
  } boards[] = {
    {"nucleo-f767zi", FLASH, 0},
    {"nucleo-l476rg", FLASH, 0},
    {"nucleo-h743zi", FLASH, 0},
    {"nucleo-f103rb", FLASH, 0x5000}, /* its 20 KiB (the line's window is 10 KiB) */
    {"nrf52840-dk", 0, 0},
    {"pico", 0x10000000u, 0},
  };
  size_t len = 0x2000;
  uint8_t *img = random_bytes(len, 77u);
  for (size_t k = 0; k < len; k++)
    if ((k / 500) % 4 != 3)
      img[k] = (uint8_t)"flash loader inflates records "[k % 30];
  for (size_t b = 0; b < sizeof boards / sizeof boards[0]; b++)
    for (int kind = 0; kind < 4; kind++) {
      lf_loader_cfg c;
      lf_loader_cfg_default(&c);
      c.compress = LF_COMPRESS_ON;
      c.ram_size = boards[b].ram;
      fx f;
      fx_open(&f, boards[b].board, NULL, &c);
      uint32_t a = boards[b].base;
      /* erase what [a, a + 3 x len) touches, program the first len compressed */
      lf_loader_step st[32];
      size_t n = 0;
      for (uint32_t o = 0; o < 3 * len && n < 31;) {
        const lf_flash_sector *sec = lf_geometry_sector_at(&f.g, a + o);
        assert_non_null(sec);
        st[n++] = (lf_loader_step){LF_LOADER_ERASE, sec->addr, NULL, 0};
        o = sec->addr + sec->size - a;
      }
      st[n++] = (lf_loader_step){LF_LOADER_PROGRAM, a, img, len};
      must(&f, lf_loader_run(f.l, st, n), "run");
      assert_true(lf_loader_stats_get(f.l)->z_used);
      expect_flash(&f, a, img, len);
      /* the bad record for [a + len, a + len + 2 KiB) (2 KiB: every family's record size) */
      const uint32_t olen = 0x800;
      uint32_t ea, es, at = a + (uint32_t)len;
      /* kinds 2 and 3: Thumb-branch filtered (flags BCJ | CONT) over data
       * with BL pairs (at the record's end too: a pair cut by it stays) */
      uint8_t src[0x800];
      memcpy(src, img, olen);
      if (kind >= 2)
        for (uint32_t o = 6; o + 4 <= olen + 2; o += 2 * (1 + (o * 2654435761u >> 27) % 9)) {
          uint32_t off = (o * 40503u) & 0x3FFFFFu; /* halfwords, any sign */
          src[o] = (uint8_t)(off >> 11);
          src[o + 1] = (uint8_t)(0xF0u | ((off >> 19) & 7u));
          if (o + 4 <= olen) {
            src[o + 2] = (uint8_t)off;
            src[o + 3] = (uint8_t)(0xF8u | ((off >> 8) & 7u));
          }
        }
      uint8_t filt[0x800];
      memcpy(filt, src, olen);
      if (kind >= 2) {
        lfb_filter(filt, olen, at, 1);
        assert_memory_not_equal(filt, src, olen); /* the filter changed the branches */
      }
      uint8_t rec[0x1000];
      size_t zl = deflate_raw(filt, olen, rec + 8, sizeof rec - 8);
      if (kind == 0 || kind == 2)
        rec[8] |= 0x06; /* BTYPE 11: reserved */
      else if (kind == 1)
        zl /= 2; /* cut short */
      uint32_t hdr[2] = {(uint32_t)zl, olen | (kind >= 2 ? LF_LDR_ZREC_BCJ | LF_LDR_ZREC_CONT : 0)};
      memcpy(rec, hdr, 8);
      uint32_t status = post_raw_z(&f, at, olen, rec, (uint32_t)(8 + zl), &ea, &es);
      static const char *const kinds[] = {"bad block type", "cut short", "filtered, bad block type", "filtered"};
      printf("%s, %s: status %u at 0x%08x, code %d\n", boards[b].board, kinds[kind], status, ea, (int)es);
      /* only the F2/F4/F7 and RP2040 routines know the record flags: the
       * others stop at a flagged record as at a wrong length */
      bool flags_known = b == 0 || b == 5;
      uint8_t *ff = malloc(2 * len);
      assert_non_null(ff);
      memset(ff, 0xFF, 2 * len);
      if (kind == 3 && flags_known) {
        assert_int_equal(status, LF_LDR_ST_OK);
        expect_flash(&f, at, src, olen); /* the branches are relative again */
        /* no lf_loader_stop: the engine did not post that command (its
         * counters lag), so its stop would wait out its timeout (5 s of
         * host time emulating the polling core); fx_close frees it */
      } else {
        assert_int_equal(status, LF_LDR_ST_DATA);
        assert_int_equal(ea, at);
        if (kind >= 2 && !flags_known) /* the wrong length: the header's word */
          assert_int_equal(es, olen | LF_LDR_ZREC_BCJ | LF_LDR_ZREC_CONT);
        else /* LFZ_E_DATA; cut short: LFZ_E_INPUT, or LFZ_E_DATA when a code is cut */
          assert_true((int32_t)es == -3 || (kind == 1 && (int32_t)es == -1));
        if (kind != 1)
          expect_flash(&f, at, ff, olen); /* nothing decoded, nothing written */
        expect_flash(&f, at + olen, ff, 2 * len - olen); /* nothing after the record */
        assert_int_not_equal(lf_loader_stop(f.l), 0); /* the loader is gone: no success */
      }
      free(ff);
      fx_close(&f);
    }
  free(img);
}

int main(int argc, char **argv)
{
  if (argc > 1)
    cmocka_set_test_filter(argv[1]); /* e.g. ./test_loader 'f767*' */
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(f767_65k_image_programs_within_floor),
    cmocka_unit_test(f767_65k_over_daplink_hid_runs_at_the_link_rate),
    cmocka_unit_test(plan_jobs_full_unchanged_one_byte),
    cmocka_unit_test(crc_modes_equal_zlib),
    cmocka_unit_test(injected_program_error_names_address_and_flag),
    cmocka_unit_test(injected_erase_error_names_sector),
    cmocka_unit_test(write_protected_sector_is_reported),
    cmocka_unit_test(hardware_watchdog_survives_the_job),
    cmocka_unit_test(bad_steps_rejected_before_posting),
    cmocka_unit_test(locked_flash_is_reported),
    cmocka_unit_test(loader_fault_is_reported_not_waited_for),
    cmocka_unit_test(usb_error_mid_stream_is_reported),
    cmocka_unit_test(power_loss_mid_program_then_rerun_repairs),
    cmocka_unit_test(unaligned_program_pads_with_ff),
    cmocka_unit_test(small_ring_wraps),
    cmocka_unit_test(every_psize_programs),
    cmocka_unit_test(compressed_program_every_psize),
    cmocka_unit_test(compressed_counts_ride_with_the_data),
    cmocka_unit_test(compressed_commands_keep_the_clock),
    cmocka_unit_test(corrupt_compressed_record_is_refused),
    cmocka_unit_test(rp2040_carry_is_programmed_before_an_error),
    cmocka_unit_test(rp2040_history_and_branches_across_commands),
    cmocka_unit_test(rp2040_quad_program_only_with_qe),
    cmocka_unit_test(f429_programs_and_crcs),
    cmocka_unit_test(h743_65k_image_programs_within_floor),
    cmocka_unit_test(h743_both_banks_at_once),
    cmocka_unit_test(h743_deferred_erase_error_names_its_sector),
    cmocka_unit_test(h743_program_error_in_a_pair_names_its_bank),
    cmocka_unit_test(h743_plan_jobs_full_unchanged_one_byte),
    cmocka_unit_test(h743_bank_and_mass_erase),
    cmocka_unit_test(f103_65k_image_programs_within_floor),
    cmocka_unit_test(f103_crc_unit_and_software_equal_zlib),
    cmocka_unit_test(f103_errors_name_address_page_and_flag),
    cmocka_unit_test(f103rc_pages_and_mass_erase),
    cmocka_unit_test(l476_65k_image_programs_within_floor),
    cmocka_unit_test(l476_crc_unit_and_software_equal_zlib),
    cmocka_unit_test(l476_errors_and_banks),
    cmocka_unit_test(nrf52_65k_image_programs_within_floor),
    cmocka_unit_test(nrf52_crc_equals_zlib),
    cmocka_unit_test(nrf52_mass_erase_takes_the_uicr_and_pads_words),
  };
  return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
