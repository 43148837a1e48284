/* CMSIS-Pack flash algorithms (src/flash/flm.c, flm_loader.c, the
 * dispatcher loaders/flm.c): luaflash's own FLMs (tests/data/flm, built from
 * source by scripts/gen-flm.sh) are read, checked and rebuilt byte for byte;
 * broken files are refused naming the file and what is wrong; on the bench
 * (NUCLEO-F767ZI, NUCLEO-F429ZI) the algorithms program images byte-exact,
 * streamed and classic, within the budget over the flash floor; algorithms
 * that return an error, fault or hang are reported naming the file, the
 * function and the address. */
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
#include "core/fileio.h"
#include "core/session.h"
#include "flash/family.h"
#include "flash/flm.h"
#include "flash/loader.h"
#include "flash/plan.h"
#include "probe/probe.h"
#include "bench/usb_bench.h"

#define FLASH 0x08000000u
#define IMAGE_LEN 66560u

static char *data_path(const char *name)
{
  const char *src = getenv("LF_SOURCE_DIR");
  if (!src)
    fail_msg("LF_SOURCE_DIR not set: run through ctest");
  static char buf[4][4096];
  static int k;
  char *p = buf[k++ % 4];
  snprintf(p, 4096, "%s/tests/data/flm/%s", src, name);
  return p;
}

static uint8_t *read_all(const char *path, size_t *n)
{
  lf_session *s = lf_session_new();
  char *d = NULL;
  if (lf_file_read(s, path, &d, n))
    fail_msg("%s", lf_err_msg(s));
  lf_session_free(s);
  return (uint8_t *)d;
}

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

/* ---- the reader ---- */

static void own_flm_is_read(void **state)
{
  (void)state;
  lf_session *s = lf_session_new();
  lf_flm *f = NULL;
  if (lf_flm_load(s, data_path("lf_stm32f76x_2048.FLM"), &f))
    fail_msg("%s", lf_err_msg(s));
  assert_int_equal(f->version, 0x0101);
  assert_int_equal(f->dev_addr, FLASH);
  assert_int_equal(f->dev_size, 2048u * 1024);
  assert_int_equal(f->page_size, 1024);
  assert_int_equal(f->erased, 0xFF);
  assert_int_equal(f->prog_timeout_ms, 100);
  assert_int_equal(f->erase_timeout_ms, 4000);
  assert_int_equal(f->nranges, 3);
  assert_int_equal(f->ranges[2].size, 256u * 1024);
  assert_int_equal(f->ranges[2].offset, 0x40000);
  for (int k = 0; k <= LF_FLM_ERASE_CHIP; k++) {
    assert_true(f->has[k]);
    assert_true(f->entry[k] & 1u);
    assert_true((f->entry[k] & ~1u) < f->code_size);
  }
  assert_false(f->has[LF_FLM_VERIFY]);
  assert_int_equal(f->link_addr, 0);
  assert_true(f->data_size >= 16);
  assert_int_equal(f->data_off, f->code_size);
  /* the geometry of the whole device: 4 x 32K, 128K, 7 x 256K */
  lf_flm_part_cfg c = {.ram_start = 0x20000000, .ram_size = 0x80000};
  lf_flm_part *p = NULL;
  if (lf_flm_part_new(s, f, &c, &p))
    fail_msg("%s", lf_err_msg(s));
  assert_string_equal(lf_flm_part_mode(p), "streamed");
  lf_flash_geometry g;
  if (lf_flm_part_geometry(s, p, &g))
    fail_msg("%s", lf_err_msg(s));
  assert_int_equal(g.nsectors, 12);
  assert_int_equal(g.sector[4].size, 128u * 1024);
  assert_int_equal(g.sector[11].addr, 0x081C0000u);
  assert_int_equal(g.page_size, 1024);
  assert_ptr_equal(lf_flm_part_of(&g), p);
  /* the timeouts are the maxima: 4 s per sector erase */
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[0], 4, true), 4000000000ull);
  lf_geometry_free(&g);
  /* a pack's smaller range (1 MiB of the 2 MiB algorithm) */
  lf_flm_part_free(p);
  assert_int_equal(lf_flm_load(s, data_path("lf_stm32f76x_2048.FLM"), &f), 0);
  c.flash_start = FLASH;
  c.flash_size = 1024u * 1024;
  assert_int_equal(lf_flm_part_new(s, f, &c, &p), 0);
  assert_int_equal(lf_flm_part_geometry(s, p, &g), 0);
  assert_int_equal(g.nsectors, 8);
  lf_geometry_free(&g);
  lf_flm_part_free(p);
  /* a range that cuts a sector is refused */
  assert_int_equal(lf_flm_load(s, data_path("lf_stm32f76x_2048.FLM"), &f), 0);
  c.flash_size = 0x50000;
  assert_int_equal(lf_flm_part_new(s, f, &c, &p), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(s), "sector boundaries"));
  lf_session_free(s);
}

/* Parses a mutated copy; the error must name the file and contain want. */
static void refused(const uint8_t *d, size_t n, const char *want)
{
  lf_session *s = lf_session_new();
  lf_flm *f = NULL;
  int r = lf_flm_parse(s, "broken.FLM", d, n, &f);
  printf("  %s\n", lf_err_msg(s));
  assert_int_equal(r, LF_EINVAL);
  assert_null(f);
  assert_non_null(strstr(lf_err_msg(s), "broken.FLM"));
  if (!strstr(lf_err_msg(s), want))
    fail_msg("'%s' does not say '%s'", lf_err_msg(s), want);
  lf_session_free(s);
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* The section header of the section named nm. */
static uint8_t *section(uint8_t *d, const char *nm)
{
  uint32_t shoff = rd32(d + 32);
  unsigned num = d[48] | d[49] << 8, str = d[50] | d[51] << 8;
  const uint8_t *names = d + rd32(d + shoff + 40 * str + 16);
  for (unsigned i = 0; i < num; i++)
    if (!strcmp((const char *)names + rd32(d + shoff + 40 * i), nm))
      return d + shoff + 40 * i;
  fail_msg("no section %s", nm);
  return NULL;
}

static void broken_flms_are_refused(void **state)
{
  (void)state;
  size_t n;
  uint8_t *good = read_all(data_path("lf_stm32f76x_2048.FLM"), &n);
  uint8_t *d = malloc(n);
  assert_non_null(d);
  /* truncated: in the header, before the section table, inside a section */
  refused(good, 20, "truncated");
  refused(good, n - 100, "truncated");
  memcpy(d, good, n);
  refused(d, rd32(section(d, "DevDscr") + 16) + 200, "truncated");
  /* not ELF, not ARM */
  memcpy(d, good, n);
  d[1] = 'X';
  refused(d, n, "no ELF magic");
  memcpy(d, good, n);
  d[18] = 3;
  refused(d, n, "machine 3");
  /* a missing entry point: the symbol renamed */
  memcpy(d, good, n);
  uint8_t *strtab = section(d, ".strtab");
  char *sym = NULL;
  for (uint32_t o = rd32(strtab + 16), e = o + rd32(strtab + 20); o + 12 <= e && !sym; o++)
    if (!memcmp(d + o, "ProgramPage", 12))
      sym = (char *)d + o;
  assert_non_null(sym);
  sym[10] = 'X';
  refused(d, n, "entry point ProgramPage is missing");
  /* an absurd section size */
  memcpy(d, good, n);
  wr32(section(d, "PrgCode") + 20, 0x7FFFFFF0u);
  refused(d, n, "section 1");
  memcpy(d, good, n);
  uint8_t *zi = section(d, "PrgData");
  wr32(zi + 4, 8); /* PrgData turned into NOBITS of 16 MiB */
  wr32(zi + 20, 16u << 20);
  refused(d, n, "at most 256 KiB");
  /* FlashDevice: page size 0, no sectors end marker */
  memcpy(d, good, n);
  uint32_t dev = rd32(section(d, "DevDscr") + 16);
  wr32(d + dev + 140, 0);
  refused(d, n, "page size 0");
  memcpy(d, good, n);
  for (uint32_t o = dev + 160; o + 8 <= dev + 4256; o += 8)
    if (rd32(d + o) == 0xFFFFFFFFu || rd32(d + o + 4) == 0xFFFFFFFFu) {
      wr32(d + o, 0x1000);
      wr32(d + o + 4, 0x1FF000);
    }
  refused(d, n, "sector");
  /* a file that does not exist */
  lf_session *s = lf_session_new();
  lf_flm *f;
  assert_int_equal(lf_flm_load(s, "/nonexistent/x.FLM", &f), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(s), "/nonexistent/x.FLM"));
  lf_session_free(s);
  free(d);
  free(good);
}

/* The committed FLMs and pack are what scripts/gen-flm.sh builds. */
static void committed_flms_match_a_fresh_build(void **state)
{
  (void)state;
  const char *src = getenv("LF_SOURCE_DIR");
  if (system("command -v arm-none-eabi-gcc >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1") != 0)
    fail_msg("arm-none-eabi-gcc or python3 missing: cannot check the committed FLMs (scripts/setup)");
  char dir[] = "/tmp/lf-flm-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s/scripts/gen-flm.sh' '%s' && cd '%s' && for f in *.FLM *.pack; do "
           "cmp \"$f\" '%s/tests/data/flm/'\"$f\" || exit 1; done", src, dir, dir, src);
  int rc = system(cmd);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("warning: could not remove %s\n", dir);
  if (rc != 0)
    fail_msg("scripts/gen-flm.sh builds different files than tests/data/flm: run it and commit");
}

/* ---- on the bench ---- */

typedef struct fx {
  lf_session *s;
  lf_bench_board *b;
  lf_usb_ctx *usb;
  lf_probe *p;
  lf_adi *a;
  lf_cm *cm;
  lf_flm_part *part;
  lf_flash_geometry g, native;
  lf_loader *l;
} fx;

static void fx_open(fx *f, const char *board, const char *flm, lf_flm_mode mode, uint32_t ram,
                    uint32_t ram_size, double timeout_s)
{
  memset(f, 0, sizeof *f);
  f->s = lf_session_new();
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = board;
  char err[256];
  f->b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!f->b)
    fail_msg("bench: %s", err);
  assert_int_equal(lf_usb_new_bench(f->s, &f->b, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1};
  if (lf_probe_open(f->s, f->usb, &sel, &f->p))
    fail_msg("open: %s", lf_err_msg(f->s));
  uint32_t hz;
  assert_int_equal(f->p->ops->set_clock(f->p, 4000000u, &hz), 0);
  assert_int_equal(lf_adi_new(f->s, f->p, NULL, &f->a), 0);
  assert_int_equal(lf_cm_new(f->a, NULL, &f->cm), 0);
  if (lf_cm_connect(f->cm, LF_CM_UNDER_RESET))
    fail_msg("connect: %s", lf_err_msg(f->s));
  /* the chip's own family gives the typical times (the floor) */
  lf_chip chip;
  if (lf_family_identify(f->s, lf_adi_default_memap(f->a), NULL, &chip) ||
      lf_chip_flash_info(f->s, lf_adi_default_memap(f->a), &chip) ||
      chip.family->geometry(f->s, &chip, &f->native))
    fail_msg("geometry: %s", lf_err_msg(f->s));
  lf_flm *a = NULL;
  if (lf_flm_load(f->s, data_path(flm), &a))
    fail_msg("%s", lf_err_msg(f->s));
  lf_flm_part_cfg pc = {.ram_start = ram, .ram_size = ram_size, .mode = mode, .typical = &f->native.timing};
  if (lf_flm_part_new(f->s, a, &pc, &f->part) || lf_flm_part_geometry(f->s, f->part, &f->g))
    fail_msg("%s", lf_err_msg(f->s));
  lf_loader_cfg lc;
  lf_loader_cfg_default(&lc);
  lc.timeout_s = timeout_s;
  if (lf_loader_new(f->cm, &f->g, &lc, &f->l))
    fail_msg("loader: %s", lf_err_msg(f->s));
}

static void fx_close(fx *f)
{
  lf_loader_free(f->l);
  lf_geometry_free(&f->g);
  lf_geometry_free(&f->native);
  lf_flm_part_free(f->part);
  lf_cm_free(f->cm);
  lf_adi_free(f->a);
  lf_probe_close(f->p);
  lf_usb_free(f->usb);
  lf_bench_board_free(f->b);
  lf_session_free(f->s);
}

static uint64_t now(fx *f) { return lf_bench_clock(f->b)->now_ns; }

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

/* Plans img at FLASH (smart flash, CRC verify) and runs the plan; returns
 * the job's modeled ns and the plan's floor in *floor. */
static uint64_t program_plan(fx *f, const uint8_t *img, uint32_t len, uint64_t *floor, unsigned *verified)
{
  lf_segment seg = {.addr = FLASH, .len = len, .data = (uint8_t *)img};
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.erase = LF_ERASE_SECTOR;
  lf_plan *p = NULL;
  uint64_t t0 = now(f);
  if (lf_plan_build(f->s, &seg, 1, &f->g, &set, &p) || lf_loader_plan_crcs(f->l, p) ||
      lf_plan_finalize(f->s, p) || lf_loader_plan_program(f->l, p, verified))
    fail_msg("plan: %s", lf_err_msg(f->s));
  uint64_t dt = now(f) - t0;
  *floor = p->sum.floor_ns;
  for (unsigned i = 0; i < p->nsectors; i++)
    for (size_t j = 0; j < p->sector[i].nprog; j++) /* whole pages */
      assert_int_equal((p->sector[i].prog[j].addr | p->sector[i].prog[j].len) % 1024, 0);
  lf_plan_free(p);
  return dt;
}

static void f767_streamed_programs_within_budget(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", "lf_stm32f76x_2048.FLM", LF_FLM_STREAMED, 0x20000000u, 0x80000u, 0);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x767u);
  uint64_t floor = 0;
  unsigned verified = 0;
  uint64_t dt = program_plan(&f, img, IMAGE_LEN, &floor, &verified);
  assert_int_equal(lf_loader_stop(f.l), 0);
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  uint8_t ff[1024], rest[1024];
  memset(ff, 0xFF, sizeof ff);
  assert_int_equal(lf_bench_peek(f.b, FLASH + IMAGE_LEN, rest, sizeof rest), 0);
  assert_memory_equal(rest, ff, sizeof rest);
  assert_int_equal(verified, 3);
  const lf_loader_stats *ls = lf_loader_stats_get(f.l);
  printf("F767 FLM streamed: %.2f ms, floor %.2f ms = %.4f x; starved %.3f ms; %llu polls\n", dt / 1e6,
         floor / 1e6, (double)dt / floor, ls->starve_cyc / ls->core_hz * 1e3, (unsigned long long)ls->polls);
  assert_true(dt < 1.15 * floor);
  assert_true(dt > floor);
  /* the same image again: smart flash skips every sector */
  uint64_t dt2 = program_plan(&f, img, IMAGE_LEN, &floor, &verified);
  printf("unchanged: %.2f ms\n", dt2 / 1e6);
  assert_true(dt2 < dt / 10);
  free(img);
  fx_close(&f);
}

static void f767_classic_programs_byte_exact(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f767zi", "lf_stm32f76x_2048.FLM", LF_FLM_CLASSIC, 0x20000000u, 0x80000u, 0);
  uint8_t *img = random_bytes(IMAGE_LEN, 0x1767u);
  uint64_t floor = 0;
  unsigned verified = 0;
  uint64_t dt = program_plan(&f, img, IMAGE_LEN, &floor, &verified);
  assert_int_equal(lf_loader_stop(f.l), 0);
  expect_flash(&f, FLASH, img, IMAGE_LEN);
  assert_int_equal(verified, 3);
  printf("F767 FLM classic: %.2f ms = %.3f x floor\n", dt / 1e6, (double)dt / floor);
  /* a small RAM window: classic with one buffer, still byte-exact; the
   * auto mode picks classic by itself */
  free(img);
  fx_close(&f);
  fx_open(&f, "nucleo-f767zi", "lf_stm32f76x_2048.FLM", LF_FLM_AUTO, 0x20000000u, 0x1000u, 0);
  assert_string_equal(lf_flm_part_mode(f.part), "classic");
  img = random_bytes(5000, 0x2767u);
  program_plan(&f, img, 5000, &floor, &verified);
  assert_int_equal(lf_loader_stop(f.l), 0);
  expect_flash(&f, FLASH, img, 5000);
  free(img);
  fx_close(&f);
}

/* The F429's dual-bank algorithm, both banks, chip erase through EraseChip. */
static void f429_streamed_both_banks(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, "nucleo-f429zi", "lf_stm32f42x_2048.FLM", LF_FLM_STREAMED, 0x20000000u, 0x30000u, 0);
  assert_int_equal(f.g.nsectors, 24);
  uint8_t *a = random_bytes(40000, 0x429u), *b = random_bytes(3000, 0x430u);
  lf_loader_step st[] = {
    {LF_LOADER_MASS, 1, NULL, 0},
    {LF_LOADER_PROGRAM, FLASH, a, 40000},
    {LF_LOADER_PROGRAM, 0x08100000u + 0x4000u, b, 3000},
  };
  lf_loader_range rg[] = {{FLASH, 40000}, {0x08104000u, 3000}};
  uint32_t crc[2];
  if (lf_loader_run_crc32(f.l, st, 3, rg, 2, crc))
    fail_msg("%s", lf_err_msg(f.s));
  assert_int_equal(crc[0], (uint32_t)crc32(0, a, 40000));
  assert_int_equal(crc[1], (uint32_t)crc32(0, b, 3000));
  assert_int_equal(lf_loader_stop(f.l), 0);
  expect_flash(&f, FLASH, a, 40000);
  expect_flash(&f, 0x08104000u, b, 3000);
  free(a);
  free(b);
  fx_close(&f);
}

/* A failing algorithm: the error names the file, the function, the page. */
static void failing(const char *flm, lf_flm_mode mode, double timeout, const char *want1, const char *want2)
{
  fx f;
  fx_open(&f, "nucleo-f767zi", flm, mode, 0x20000000u, 0x80000u, timeout);
  uint8_t *img = random_bytes(IMAGE_LEN, 0xBADu);
  lf_loader_step st[] = {{LF_LOADER_ERASE, FLASH, NULL, 0},
                         {LF_LOADER_ERASE, FLASH + 0x8000u, NULL, 0},
                         {LF_LOADER_PROGRAM, FLASH, img, 0x10000}};
  int r = lf_loader_run(f.l, st, 3);
  printf("  %s: %s\n", lf_flm_part_mode(f.part), lf_err_msg(f.s));
  assert_true(r < 0);
  assert_non_null(strstr(lf_err_msg(f.s), flm));
  if (!strstr(lf_err_msg(f.s), want1) || !strstr(lf_err_msg(f.s), want2))
    fail_msg("'%s' does not say '%s' and '%s'", lf_err_msg(f.s), want1, want2);
  /* the pages before the failing one were programmed */
  expect_flash(&f, FLASH, img, 0x8000);
  free(img);
  fx_close(&f);
}

static void failing_algorithms_are_named(void **state)
{
  (void)state;
  failing("lf_bad_error.FLM", LF_FLM_STREAMED, 0, "ProgramPage returned 1", "0x08008000");
  failing("lf_bad_error.FLM", LF_FLM_CLASSIC, 0, "ProgramPage(0x08008000", "returned 1");
  failing("lf_bad_fault.FLM", LF_FLM_STREAMED, 0, "ProgramPage(0x08008000) did not return", "halted");
  failing("lf_bad_fault.FLM", LF_FLM_CLASSIC, 0, "ProgramPage(0x08008000)", "halted");
  failing("lf_bad_hang.FLM", LF_FLM_STREAMED, 0.5, "ProgramPage(0x08008000) did not return", "no progress");
  failing("lf_bad_hang.FLM", LF_FLM_CLASSIC, 0.5, "ProgramPage(0x08008000)", "no return within");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(own_flm_is_read),
    cmocka_unit_test(broken_flms_are_refused),
    cmocka_unit_test(committed_flms_match_a_fresh_build),
    cmocka_unit_test(f767_streamed_programs_within_budget),
    cmocka_unit_test(f767_classic_programs_byte_exact),
    cmocka_unit_test(f429_streamed_both_banks),
    cmocka_unit_test(failing_algorithms_are_named),
  };
  return cmocka_run_group_tests_name("flm", tests, NULL, NULL);
}
