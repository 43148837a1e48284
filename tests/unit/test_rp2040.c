/* The RP2040 family unit (src/flash/rp2040.c) and its loader (loaders/
 * rp2040.c, calling the boot ROM's flash functions) on the in-process bench:
 * the Raspberry Pi Pico through its Debug Probe (CMSIS-DAP v2), connected
 * over multidrop SWD with core 0's TARGETSEL. Flash contents checked byte
 * for byte with the bench's backdoor, CRCs against zlib, erase blocks
 * counted on the flash model, times against the W25Q16JV rows of params.c,
 * the demo booting from flash after the job (XIP back on), UF2 images of the
 * RP2040 family taken and others refused (nrf52-rp2040-targets.md 8-17). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arm/adi.h"
#include "arm/cortex_m.h"
#include "bench/bench.h"
#include "bench/soc.h"
#include "core/session.h"
#include "flash/family.h"
#include "flash/image.h"
#include "flash/loader.h"
#include "flash/plan.h"
#include "probe/probe.h"
#include "bench/usb_bench.h"

#define XIP 0x10000000u
#define CORE0 0x01002927u

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

static void must(fx *f, int r, const char *what)
{
  if (r)
    fail_msg("%s: %s (%s)", what, lf_err_msg(f->s), lf_err_name(r));
}

static void fx_open(fx *f, const char *board)
{
  memset(f, 0, sizeof *f);
  f->s = lf_session_new();
  assert_non_null(f->s);
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = board;
  char err[256];
  f->b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!f->b)
    fail_msg("bench: %s", err);
  assert_int_equal(lf_usb_new_bench(f->s, &f->b, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1};
  must(f, lf_probe_open(f->s, f->usb, &sel, &f->p), "open");
  uint32_t hz;
  must(f, f->p->ops->set_clock(f->p, 50000000u, &hz), "clock");
  assert_non_null(f->p->ops->set_targetsel);
  must(f, f->p->ops->set_targetsel(f->p, CORE0), "targetsel");
  assert_int_equal(lf_adi_new(f->s, f->p, NULL, &f->a), 0);
  assert_int_equal(lf_cm_new(f->a, NULL, &f->cm), 0);
  must(f, lf_cm_connect(f->cm, LF_CM_ATTACH_HALT), "connect");
  lf_chip chip;
  must(f, lf_family_identify(f->s, lf_adi_default_memap(f->a), NULL, &chip), "identify");
  assert_string_equal(chip.family->name, "rp2040");
  assert_int_equal(chip.line, 0x0002);
  must(f, chip.family->geometry(f->s, &chip, &f->g), "geometry");
  must(f, lf_loader_new(f->cm, &f->g, NULL, &f->l), "loader");
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

/* Per 4 KiB sector of [XIP, XIP + len): its erase, then its bytes (the
 * plan's order; the engine merges the erases of whole blocks). */
static size_t sector_steps(const fx *f, const uint8_t *img, uint32_t len, lf_loader_step *st)
{
  size_t n = 0;
  for (unsigned i = 0; i < f->g.nsectors && f->g.sector[i].addr < XIP + len; i++) {
    const lf_flash_sector *s = &f->g.sector[i];
    uint32_t end = s->addr + s->size < XIP + len ? s->addr + s->size : XIP + len;
    st[n++] = (lf_loader_step){LF_LOADER_ERASE, s->addr, NULL, 0};
    st[n++] = (lf_loader_step){LF_LOADER_PROGRAM, s->addr, img + (s->addr - XIP), end - s->addr};
  }
  return n;
}

/* RP 8, 9, 12: core 0 found over multidrop, the XIP geometry: 512 sectors
 * of 4 KiB at 0x10000000, 256-byte pages, 64 and 32 KiB erase blocks; the
 * UF2 family. */
static void identify_and_geometry_of_the_pico(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "pico");
  assert_int_equal(f.g.base, XIP);
  assert_int_equal(f.g.size, 2u << 20);
  assert_int_equal(f.g.nsectors, 512);
  assert_int_equal(f.g.sector[1].addr, XIP + 0x1000);
  assert_int_equal(f.g.page_size, 256);
  assert_int_equal(f.g.erased, 0xFF);
  assert_int_equal(f.g.timing.block_size[0], 0x10000);
  assert_int_equal(f.g.timing.block_size[1], 0x8000);
  assert_int_equal(lf_geometry_block_at(&f.g, 16, 0), 16);
  assert_int_equal(lf_geometry_block_at(&f.g, 8, 0), 0);
  assert_int_equal(lf_geometry_block_at(&f.g, 8, 1), 8);
  assert_int_equal(f.g.family->uf2_family(f.g.line, 0), 0xE48BFF56u);
  assert_int_equal(f.g.family->uf2_family(f.g.line, 1), 0);
  fx_close(&f);
}

/* 64 KiB + 32 KiB + 12 KiB at 0: the engine sends one 64 KiB block erase,
 * one 32 KiB block erase and three sector erases (5 operations on the flash
 * model, not 27), the flash equals the data, and the chip's busy time is
 * exactly tBE2 + tBE1 + 3 tSE + 432 tPP (params rp_w25_*). */
static void erase_blocks_merge_and_pages_program(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "pico");
  uint32_t len = 0x10000 + 0x8000 + 0x3000;
  uint8_t *img = random_bytes(len, 0xB10Cu);
  lf_loader_step st[64];
  size_t n = sector_steps(&f, img, len, st);
  assert_int_equal(n, 2 * 27);
  must(&f, lf_loader_run(f.l, st, n), "run");
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, XIP, img, len);
  const lf_soc_counters *c = lf_soc_counters_get(lf_bench_soc(f.b));
  assert_int_equal(c->flash_sector_erases, 5);
  assert_int_equal(c->flash_prog_ops, len / 256);
  const lf_bench_params *p = lf_bench_params_get(f.b);
  uint64_t busy = (uint64_t)(p->rp_w25_be64_ns + p->rp_w25_be32_ns + 3 * p->rp_w25_se_ns +
                             (len / 256) * p->rp_w25_pp_ns);
  assert_int_equal(c->flash_busy_ns, busy);
  uint8_t after[16];
  assert_int_equal(lf_bench_peek(f.b, XIP + len, after, sizeof after), 0);
  for (size_t i = 0; i < sizeof after; i++)
    assert_int_equal(after[i], 0xFF); /* nothing past the image erased or written */
  free(img);
  fx_close(&f);
}

/* The 65 KB job (17 sectors: one 64 KiB block and one sector, 260 pages)
 * within 1.10 x its QSPI floor tBE2 + tSE + 260 tPP = 0.299 s, including the
 * loader's start and the CRC32 verify in the same stream; the CRC equals
 * zlib's. */
static void job_65k_within_floor_and_crc_equals_zlib(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "pico");
  uint32_t len = 66560;
  uint8_t *img = random_bytes(len, 0x65A1u);
  lf_loader_step st[64];
  size_t n = sector_steps(&f, img, len, st);
  lf_loader_range rg = {XIP, len};
  uint32_t crc = 0;
  uint64_t t0 = now(&f);
  must(&f, lf_loader_run_crc32(f.l, st, n, &rg, 1, &crc), "run");
  double job = (double)(now(&f) - t0);
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, XIP, img, len);
  assert_int_equal(crc, (uint32_t)crc32(0L, img, len));
  const lf_bench_params *p = lf_bench_params_get(f.b);
  double floor_ns = p->rp_w25_be64_ns + p->rp_w25_se_ns + 260 * p->rp_w25_pp_ns;
  printf("pico 65 KB: %.4f x floor %.1f ms\n", job / floor_ns, floor_ns / 1e6);
  assert_true(job > floor_ns);
  assert_true(job < 1.10 * floor_ns);
  free(img);
  fx_close(&f);
}

/* CRC32 on the target: the DMA sniffer (aligned, 16 bytes or more) and the
 * table (unaligned starts, short ranges, tails) equal zlib over SRAM and
 * over the erased flash through XIP. */
static void crc_sniffer_and_table_equal_zlib(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "pico");
  uint8_t *d = random_bytes(3000, 0xC3C3u);
  uint32_t buf = 0x20030000u;
  must(&f, lf_adi_write(f.a, buf, d, 3000), "fill");
  static const uint32_t offs[8][2] = {{0, 3000}, {1, 2999}, {4, 16}, {8, 15},
                                      {3, 3},    {0, 0},    {2, 1024}, {1000, 1001}};
  lf_loader_range rg[9];
  uint32_t got[9];
  for (size_t i = 0; i < 8; i++)
    rg[i] = (lf_loader_range){buf + offs[i][0], offs[i][1]};
  rg[8] = (lf_loader_range){XIP + 0x100000, 4096};
  must(&f, lf_loader_crc32(f.l, rg, 9, got), "crc");
  for (size_t i = 0; i < 8; i++)
    if (got[i] != (uint32_t)crc32(0L, d + offs[i][0], offs[i][1]))
      fail_msg("range +%u len %u: 0x%08x, zlib 0x%08x", offs[i][0], offs[i][1], got[i],
               (unsigned)crc32(0L, d + offs[i][0], offs[i][1]));
  uint8_t ff[4096];
  memset(ff, 0xFF, sizeof ff);
  assert_int_equal(got[8], (uint32_t)crc32(0L, ff, sizeof ff));
  must(&f, lf_loader_stop(f.l), "stop");
  free(d);
  fx_close(&f);
}

/* A range that is not whole pages: the partial pages go through the
 * loader's bounce buffer padded with 0xFF, so the bytes around it keep what
 * they held (NOR programming). */
static void partial_pages_keep_their_neighbours(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "pico");
  uint8_t *a = random_bytes(0x1000, 1u), *b = random_bytes(600, 2u);
  lf_loader_step st[3] = {
    {LF_LOADER_ERASE, XIP + 0x3000, NULL, 0},
    {LF_LOADER_PROGRAM, XIP + 0x3000, a, 0x104},   /* one page and 4 bytes */
    {LF_LOADER_PROGRAM, XIP + 0x3204, b, 600},     /* starts inside page 2 */
  };
  must(&f, lf_loader_run(f.l, st, 3), "run");
  must(&f, lf_loader_stop(f.l), "stop");
  expect_flash(&f, XIP + 0x3000, a, 0x104);
  expect_flash(&f, XIP + 0x3204, b, 600);
  uint8_t gap[0x100];
  assert_int_equal(lf_bench_peek(f.b, XIP + 0x3104, gap, sizeof gap), 0);
  for (size_t i = 0; i < sizeof gap; i++)
    assert_int_equal(gap[i], 0xFF);
  free(a);
  free(b);
  fx_close(&f);
}

/* After the job XIP works again (FC + CX): the demo, flashed by the loader
 * and started by SYSRESETREQ (core 0 only), boots through the ROM (boot2
 * CRC) and blinks GPIO25 every 100 ms. */
static void demo_boots_from_xip_after_the_job(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "pico");
  const lf_bench_board_info *bi = lf_bench_board_info_get(f.b);
  lf_loader_step st[2] = {{LF_LOADER_ERASE, XIP, NULL, 0},
                          {LF_LOADER_PROGRAM, XIP, bi->demo, *bi->demo_len}};
  must(&f, lf_loader_run(f.l, st, 2), "run");
  must(&f, lf_loader_stop(f.l), "stop");
  lf_bench_led_events_clear(f.b);
  must(&f, lf_cm_reset(f.cm, LF_CM_RESET_SYSRESETREQ, false), "reset");
  lf_bench_run(f.b, 350000000ull); /* 0.35 s: kept short for the valgrind pass */
  unsigned counts[4];
  lf_bench_led_toggles(f.b, counts);
  assert_in_range(counts[1], 3, 4); /* every 100 ms */
  fx_close(&f);
}

/* UF2 (RP 17): a Pico UF2 (family 0xE48BFF56, 256-byte payloads) is taken
 * for the RP2040's geometry; another family's is refused naming both IDs. */
static void put32(uint8_t *b, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
}

static size_t uf2_of(const uint8_t *d, size_t len, uint32_t base, uint32_t fam, uint8_t **out)
{
  size_t nb = (len + 255) / 256;
  uint8_t *u = calloc(nb, 512);
  assert_non_null(u);
  for (size_t i = 0; i < nb; i++) {
    uint8_t *b = u + 512 * i;
    put32(b, 0x0A324655u);
    put32(b + 4, 0x9E5D5157u);
    put32(b + 8, 0x2000u);
    put32(b + 12, base + 256 * (uint32_t)i);
    put32(b + 16, 256);
    put32(b + 20, (uint32_t)i);
    put32(b + 24, (uint32_t)nb);
    put32(b + 28, fam);
    size_t n = len - 256 * i < 256 ? len - 256 * i : 256;
    memcpy(b + 32, d + 256 * i, n);
    put32(b + 508, 0x0AB16F30u);
  }
  *out = u;
  return 512 * nb;
}

static void uf2_of_the_rp2040_taken_other_family_refused(void **state)
{
  (void)state;
  lf_session *s = lf_session_new();
  const lf_part *part = lf_part_find("rp2040");
  assert_non_null(part);
  lf_flash_geometry g;
  assert_int_equal(lf_part_geometry(s, part, &g), 0);
  const lf_bench_board_info *bi = lf_bench_board_find("pico");
  uint8_t *u;
  size_t n = uf2_of(bi->demo, *bi->demo_len, XIP, 0xE48BFF56u, &u);
  lf_image *im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(s, im, "blink.uf2", u, n, LF_IMAGE_AUTO, LF_IMAGE_NO_BASE), 0);
  assert_int_equal(lf_image_finish(s, im, &g, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_segment(im, 0)->addr, XIP);
  assert_int_equal(memcmp(lf_image_segment(im, 0)->data, bi->demo, *bi->demo_len), 0);
  lf_image_free(im);
  free(u);
  n = uf2_of(bi->demo, *bi->demo_len, XIP, 0x57755A57u, &u); /* STM32F4 */
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(s, im, "f4.uf2", u, n, LF_IMAGE_AUTO, LF_IMAGE_NO_BASE), 0);
  assert_int_equal(lf_image_finish(s, im, &g, LF_REGION_MAIN), LF_EINVAL);
  printf("%s\n", lf_err_msg(s));
  assert_non_null(strstr(lf_err_msg(s), "0x57755A57"));
  assert_non_null(strstr(lf_err_msg(s), "RP2040 (0xE48BFF56)"));
  lf_image_free(im);
  free(u);
  lf_geometry_free(&g);
  lf_session_free(s);
}

/* The ST-LINK has no TARGETSEL: a multidrop target cannot be reached with
 * it (the Lua layer refuses it with a message naming the probe). */
static void stlink_offers_no_targetsel(void **state)
{
  (void)state;
  lf_session *s = lf_session_new();
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = "pico@v2-1";
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b);
  lf_usb_ctx *usb;
  assert_int_equal(lf_usb_new_bench(s, &b, 1, &usb), 0);
  lf_probe_selector sel = {.index = -1};
  lf_probe *p;
  assert_int_equal(lf_probe_open(s, usb, &sel, &p), 0);
  assert_null(p->ops->set_targetsel);
  /* without TARGETSEL the dormant DPs never answer */
  assert_int_not_equal(p->ops->connect(p, LF_CONNECT_NORMAL), 0);
  lf_probe_close(p);
  lf_usb_free(usb);
  lf_bench_board_free(b);
  lf_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(identify_and_geometry_of_the_pico),
    cmocka_unit_test(erase_blocks_merge_and_pages_program),
    cmocka_unit_test(job_65k_within_floor_and_crc_equals_zlib),
    cmocka_unit_test(crc_sniffer_and_table_equal_zlib),
    cmocka_unit_test(partial_pages_keep_their_neighbours),
    cmocka_unit_test(demo_boots_from_xip_after_the_job),
    cmocka_unit_test(uf2_of_the_rp2040_taken_other_family_refused),
    cmocka_unit_test(stlink_offers_no_targetsel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
