/* Flash families (src/flash/family.c) and the plan (src/flash/plan.c):
 * layouts and times against stm32f7-target.md §7/§9.1 and
 * stm32f4-target.md §7/§9.1, and every plan decision with hand-computed
 * costs. Times in the comments: x32 typical unless said otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "core/session.h"
#include "flash/family.h"
#include "flash/loader.h"
#include "flash/plan.h"

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull

static lf_session *S;

static int setup(void **state)
{
  S = lf_session_new();
  return 0;
}

static int teardown(void **state)
{
  lf_session_free(S);
  return 0;
}

/* (Re)fills *g (zero-initialised by the caller); free with lf_geometry_free. */
static void geometry(uint16_t dev, uint32_t kib, bool dual, lf_flash_geometry *g)
{
  lf_geometry_free(g);
  if (lf_line_geometry(S, NULL, dev, kib, dual, g) < 0)
    fail_msg("%s", lf_err_msg(S));
}

static void sector_is(const lf_flash_geometry *g, unsigned i, uint32_t addr, uint32_t size, unsigned index,
                      unsigned bank)
{
  assert_int_equal(g->sector[i].addr, addr);
  assert_int_equal(g->sector[i].size, size);
  assert_int_equal(g->sector[i].index, index);
  assert_int_equal(g->sector[i].bank, bank);
}

/* ---- families ---- */

static void test_f76x_layouts(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g); /* §7.1: 4x32K, 1x128K, 7x256K */
  assert_int_equal(g.nsectors, 12);
  assert_int_equal(g.nbanks, 1);
  sector_is(&g, 0, 0x08000000, 32 * KiB, 0, 0);
  sector_is(&g, 3, 0x08018000, 32 * KiB, 3, 0);
  sector_is(&g, 4, 0x08020000, 128 * KiB, 4, 0);
  sector_is(&g, 5, 0x08040000, 256 * KiB, 5, 0);
  sector_is(&g, 11, 0x081C0000, 256 * KiB, 11, 0);
  assert_string_equal(g.name, "STM32F76x/F77x 2048 KiB single bank");
  assert_ptr_equal(lf_geometry_sector_at(&g, 0x0801FFFF), &g.sector[3]);
  assert_ptr_equal(lf_geometry_sector_at(&g, 0x081FFFFF), &g.sector[11]);
  assert_null(lf_geometry_sector_at(&g, 0x08200000));
  assert_null(lf_geometry_sector_at(&g, 0x07FFFFFF));
  /* alias and writable regions come with the family */
  assert_int_equal(g.naliases, 1);
  assert_int_equal(g.alias[0].from, 0x00200000);
  assert_int_equal(g.alias[0].size, 2048 * KiB);
  assert_int_equal(g.alias[0].to, 0x08000000);
  assert_int_equal(g.nregions, 3);
  assert_int_equal(g.region[1].start, 0x1FF0F000);
  assert_int_equal(g.region[2].start, 0x1FF0F400);
  assert_int_equal(g.region[2].size, 16);

  geometry(0x451, 2048, true, &g); /* §7.2: per bank 4x16K, 64K, 7x128K; bank 2 SNB 0x10+k */
  assert_int_equal(g.nsectors, 24);
  assert_int_equal(g.nbanks, 2);
  sector_is(&g, 1, 0x08004000, 16 * KiB, 1, 0);
  sector_is(&g, 4, 0x08010000, 64 * KiB, 4, 0);
  sector_is(&g, 11, 0x080E0000, 128 * KiB, 11, 0);
  sector_is(&g, 12, 0x08100000, 16 * KiB, 12, 1);
  sector_is(&g, 16, 0x08110000, 64 * KiB, 16, 1);
  sector_is(&g, 23, 0x081E0000, 128 * KiB, 23, 1);

  geometry(0x451, 1024, false, &g); /* §7.5: 4x32K, 128K, 3x256K */
  assert_int_equal(g.nsectors, 8);
  sector_is(&g, 7, 0x080C0000, 256 * KiB, 7, 0);
  assert_int_equal(g.alias[0].size, 1024 * KiB);
  geometry(0x451, 1024, true, &g); /* §7.5: per bank 4x16K, 64K, 3x128K; bank 2 directly behind bank 1 */
  assert_int_equal(g.nsectors, 16);
  sector_is(&g, 7, 0x08060000, 128 * KiB, 7, 0);
  sector_is(&g, 8, 0x08080000, 16 * KiB, 12, 1);
  sector_is(&g, 15, 0x080E0000, 128 * KiB, 19, 1);
  lf_geometry_free(&g);
}

static void test_other_families(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x449, 1024, false, &g); /* F74x: 4x32K, 128K, 3x256K */
  assert_int_equal(g.nsectors, 8);
  geometry(0x449, 512, false, &g); /* §7.6: 4x32K, 128K, 256K */
  assert_int_equal(g.nsectors, 6);
  sector_is(&g, 5, 0x08040000, 256 * KiB, 5, 0);
  geometry(0x452, 512, false, &g); /* §7.6: 4x16K, 64K, 3x128K */
  assert_int_equal(g.nsectors, 8);
  sector_is(&g, 4, 0x08010000, 64 * KiB, 4, 0);
  assert_int_equal(g.nregions, 1); /* no OTP declared for F72x */

  geometry(0x419, 2048, false, &g); /* F4 §7.1: 2 MiB is always dual bank, DB1M ignored */
  assert_true(g.dual_bank);
  assert_int_equal(g.nsectors, 24);
  assert_int_equal(g.naliases, 0);
  sector_is(&g, 12, 0x08100000, 16 * KiB, 12, 1);
  sector_is(&g, 23, 0x081E0000, 128 * KiB, 23, 1);
  assert_int_equal(g.region[1].start, 0x1FFF7800);
  assert_int_equal(g.region[1].size, 512);
  geometry(0x419, 1024, false, &g); /* §7.2: DB1M = 0, 12 sectors */
  assert_int_equal(g.nsectors, 12);
  sector_is(&g, 11, 0x080E0000, 128 * KiB, 11, 0);
  geometry(0x419, 1024, true, &g); /* §7.3: DB1M = 1, sector 15 at 0x0808C000 */
  assert_int_equal(g.nsectors, 16);
  sector_is(&g, 8, 0x08080000, 16 * KiB, 12, 1);
  sector_is(&g, 11, 0x0808C000, 16 * KiB, 15, 1);
  sector_is(&g, 15, 0x080E0000, 128 * KiB, 19, 1);
  geometry(0x413, 1024, false, &g); /* F40x: 4x16K, 64K, 7x128K */
  assert_int_equal(g.nsectors, 12);
  lf_geometry_free(&g);
}

static void test_family_errors_and_bank_option(void **state)
{
  lf_flash_geometry g = {0};
  assert_int_equal(lf_line_geometry(S, NULL, 0x999, 2048, false, &g), LF_ENOTSUP);
  assert_string_equal(lf_err_msg(S), "flash: no flash family knows the line with ID 0x999 (tried: "
                                     "stm32f4f7, stm32f1, stm32l4, stm32h7, rp2040, nrf52)");
  assert_int_equal(lf_line_geometry(S, NULL, 0x470, 2048, false, &g), LF_ENOTSUP); /* named by the L4 unit */
  assert_non_null(strstr(lf_err_msg(S), "STM32L4R/L4S (DEV_ID 0x470) is not supported yet"));
  assert_int_equal(lf_line_geometry(S, NULL, 0x480, 2048, false, &g), LF_ENOTSUP); /* named by the H7 unit */
  assert_non_null(strstr(lf_err_msg(S), "STM32H7Ax/H7Bx (DEV_ID 0x480) is not supported yet"));
  assert_int_equal(lf_line_geometry(S, lf_family_by_name("stm32f4f7"), 0x450, 2048, false, &g), LF_ENOTSUP);
  assert_string_equal(lf_err_msg(S), "flash: DEV_ID 0x450 is not an STM32F2/F4/F7 line");
  assert_int_equal(lf_line_geometry(S, NULL, 0x431, 512, false, &g), LF_ENOTSUP); /* a named line */
  assert_non_null(strstr(lf_err_msg(S), "STM32F411 (DEV_ID 0x431) is not supported yet"));
  assert_int_equal(lf_line_geometry(S, NULL, 0x451, 0xFFFF, false, &g), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "flash: STM32F76x/F77x: flash size register 0x1FF0F442 reads 0xFFFF (not "
                                     "programmed); give the flash size explicitly");
  assert_int_equal(lf_line_geometry(S, NULL, 0x451, 300, false, &g), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "flash: STM32F76x/F77x: a 300 KiB single-bank array does not fit the sector "
                                     "layout (4 x 32 KiB, 128 KiB, then 256 KiB sectors)");
  assert_int_equal(lf_line_geometry(S, NULL, 0x451, 4096, false, &g), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "flash: STM32F76x/F77x: flash size 4096 KiB is larger than the family's 2048 KiB");
  assert_int_equal(lf_line_geometry(S, NULL, 0x413, 1024, true, &g), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "flash: STM32F40x/F41x has no dual-bank mode");
  assert_int_equal(lf_line_geometry(S, NULL, 0x419, 512, true, &g), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "flash: STM32F42x/F43x 512 KiB has no dual-bank mode (DB1M needs 1024 KiB)");

  lf_geometry_free(&g);
}

static void test_family_times_from_datasheet_rows(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[0], 4, false), 200 * MS); /* tERASE32KB x32 typ */
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[0], 1, true), 800 * MS);   /* x8 max */
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[4], 2, false), 800 * MS); /* tERASE128KB x16 */
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[11], 1, true), 4000 * MS); /* tERASE256KB x8 max */
  assert_int_equal(lf_geometry_mass_ns(&g, 4, false), 8000 * MS);               /* tME x32 */
  assert_int_equal(lf_geometry_mass_ns(&g, 1, true), 32000 * MS);
  assert_int_equal(lf_geometry_prog_ns(&g, 4, false), 16 * US);
  assert_int_equal(lf_geometry_prog_ns(&g, 1, true), 100 * US);
  geometry(0x451, 2048, true, &g); /* 16K/64K: half of 32K/128K (assumption) */
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[0], 4, false), 100 * MS);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[4], 4, false), 250 * MS);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[5], 4, false), 500 * MS);
  geometry(0x451, 1024, false, &g); /* mass erase scales with the size */
  assert_int_equal(lf_geometry_mass_ns(&g, 4, false), 4000 * MS);
  geometry(0x419, 2048, false, &g);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[12], 4, false), 250 * MS); /* tERASE16KB */
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[4], 1, false), 1200 * MS); /* tERASE64KB */
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[11], 8, false), 875 * MS); /* VPP */
  assert_int_equal(lf_geometry_mass_ns(&g, 2, false), 11000 * MS);
  lf_geometry_free(&g);
}

/* ---- plan ---- */

typedef struct img {
  lf_segment seg[16];
  size_t n;
} img;

static void img_add(img *m, uint32_t addr, uint32_t len, int fill) /* fill < 0: i % 251 pattern */
{
  uint8_t *d = malloc(len);
  for (uint32_t i = 0; i < len; i++)
    d[i] = fill < 0 ? (uint8_t)(i % 251) : (uint8_t)fill;
  m->seg[m->n++] = (lf_segment){addr, len, d};
}

static void img_free(img *m)
{
  for (size_t i = 0; i < m->n; i++)
    free(m->seg[i].data);
  m->n = 0;
}

static lf_plan *build(const img *m, const lf_flash_geometry *g, const lf_plan_settings *set)
{
  lf_plan *p;
  if (lf_plan_build(S, m->seg, m->n, g, set, &p) < 0)
    fail_msg("%s", lf_err_msg(S));
  return p;
}

static void finalize(lf_plan *p)
{
  if (lf_plan_finalize(S, p) < 0)
    fail_msg("%s", lf_err_msg(S));
}

static void range_is(const lf_plan_range *r, uint32_t addr, uint32_t len)
{
  assert_int_equal(r->addr, addr);
  assert_int_equal(r->len, len);
}

/* The reference job: 65 KB (66560 B) at 0x08000000 on the F767,
 * single bank: sectors 0, 1 (32 KiB each) full, sector 2 (32 KiB) 1024 B. */
static void test_65k_image_on_f767_floor(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  lf_plan *p = build(&m, &g, &set);
  /* auto: sectors 3 x 200 ms + 16640 words x 16 us = 866.24 ms; chip 8 s + 266.24 ms */
  assert_int_equal(p->sum.sector_cost_ns, 866240000ull);
  assert_int_equal(p->sum.chip_cost_ns, 8266240000ull);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  assert_true(p->sector[0].want_crc && p->sector[1].want_crc && p->sector[2].want_crc);
  assert_false(p->sector[3].want_crc);
  assert_int_equal(p->sum.crc_bytes, 3 * 32768);
  assert_int_equal(p->sum.read_bytes, 0);
  finalize(p);
  for (unsigned i = 0; i < 3; i++) {
    assert_int_equal(p->sector[i].action, LF_SECTOR_PROGRAM);
    assert_int_equal(p->sector[i].erase_ns, 200 * MS);
    assert_true(p->sector[i].verify);
  }
  for (unsigned i = 3; i < 12; i++) {
    assert_int_equal(p->sector[i].action, LF_SECTOR_SKIP);
    assert_string_equal(p->sector[i].reason, "no image data");
  }
  assert_int_equal(p->sector[0].nprog, 1);
  range_is(&p->sector[0].prog[0], 0x08000000, 32768);
  range_is(&p->sector[1].prog[0], 0x08008000, 32768);
  assert_int_equal(p->sector[2].nprog, 1);
  range_is(&p->sector[2].prog[0], 0x08010000, 1024);
  assert_int_equal(p->sector[2].prog_words, 256);
  /* would-be content of sector 2: image bytes then 0xFF */
  uint8_t *want = malloc(32768);
  memset(want, 0xFF, 32768);
  memcpy(want, m.seg[0].data + 65536, 1024);
  assert_memory_equal(p->sector[2].content, want, 32768);
  assert_int_equal(p->sector[2].crc, (uint32_t)crc32(0, want, 32768));
  free(want);
  assert_int_equal(p->sum.erased, 3);
  assert_int_equal(p->sum.programmed, 3);
  assert_int_equal(p->sum.untouched, 9);
  assert_int_equal(p->sum.program_bytes, 66560);
  assert_int_equal(p->sum.program_words, 16640);
  assert_int_equal(p->sum.erase_ns, 600 * MS);
  assert_int_equal(p->sum.program_ns, 266240000ull);
  assert_int_equal(p->sum.floor_ns, 866240000ull); /* 0.866 s */
  assert_int_equal(p->sum.verify_bytes, 3 * 32768);
  assert_null(p->sum.smart_note);
  lf_plan_free(p);

  /* x8 parallelism: 3 x 400 ms + 66560 bytes x 16 us = 2264.96 ms */
  set.prog_unit = 1;
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.program_words, 66560);
  assert_int_equal(p->sum.floor_ns, 2264960000ull);
  lf_plan_free(p);
  /* datasheet maxima, x32: 3 x 500 ms + 16640 x 100 us = 3164 ms */
  set.prog_unit = 4;
  set.timing_max = true;
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.floor_ns, 3164 * MS);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

static void test_chip_erase_mode(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.erase = LF_ERASE_CHIP;
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  assert_string_equal(p->sum.smart_note, "smart flash not used: the chip erase erases every sector anyway");
  assert_int_equal(p->sum.crc_bytes, 0);
  for (unsigned i = 0; i < 12; i++)
    assert_false(p->sector[i].want_crc);
  finalize(p);
  for (unsigned i = 0; i < 12; i++) {
    assert_true(p->sector[i].by_chip_erase);
    assert_int_equal(p->sector[i].erase_ns, 0);
    assert_int_equal(p->sector[i].action, i < 3 ? LF_SECTOR_PROGRAM : LF_SECTOR_ERASE);
  }
  assert_string_equal(p->sector[5].reason, "chip erase");
  /* the would-be CRC of an untouched sector is that of 256 KiB of 0xFF */
  uint8_t *ff = malloc(256 * KiB);
  memset(ff, 0xFF, 256 * KiB);
  assert_int_equal(p->sector[5].crc, (uint32_t)crc32(0, ff, 256 * KiB));
  free(ff);
  assert_int_equal(p->sum.erased, 12);
  assert_int_equal(p->sum.programmed, 3);
  assert_int_equal(p->sum.erase_ns, 8000 * MS);
  assert_int_equal(p->sum.floor_ns, 8266240000ull);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

static void test_auto_picks_chip_only_when_cheaper(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  img m = {0};
  /* one byte in each of the 12 sectors: sectors 4x200 + 500 + 7x1000 = 8300 ms > 8000 ms */
  for (unsigned i = 0; i < 12; i++)
    img_add(&m, g.sector[i].addr, 1, 0);
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 8300 * MS + 12 * 16 * US);
  assert_int_equal(p->sum.chip_cost_ns, 8000 * MS + 12 * 16 * US);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  lf_plan_free(p);
  /* without the last 256 KiB sector: 7300 ms < 8000 ms */
  free(m.seg[--m.n].data);
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 7300 * MS + 11 * 16 * US);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  lf_plan_free(p);
  img_free(&m);
  /* a full 2 MiB image */
  img_add(&m, 0x08000000, 2048 * KiB, -1);
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  finalize(p);
  assert_int_equal(p->sum.program_words, 512 * KiB);
  assert_int_equal(p->sum.floor_ns, 8000 * MS + 512ull * KiB * 16 * US); /* 8 s + 8.389 s */
  lf_plan_free(p);
  /* explicit sector mode keeps sector erase whatever it costs */
  set.erase = LF_ERASE_SECTOR;
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.erase_ns, 8300 * MS);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

static void test_smart_flash_skips_unchanged_sectors(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  lf_plan *p = build(&m, &g, &set);
  uint32_t crc0 = (uint32_t)crc32(0, m.seg[0].data, 32768);
  assert_int_equal(lf_plan_set_target_crc(S, p, 0, crc0), 0);
  assert_int_equal(lf_plan_set_target_crc(S, p, 1, 0), 0); /* differs */
  assert_int_equal(lf_plan_set_target_crc(S, p, 12, 0), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "plan: no sector 12 (the plan has 12)");
  finalize(p);
  assert_int_equal(p->sector[0].action, LF_SECTOR_SKIP);
  assert_string_equal(p->sector[0].reason, "unchanged: the target's CRC32 matches");
  assert_false(p->sector[0].verify);
  assert_int_equal(p->sector[1].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[2].action, LF_SECTOR_PROGRAM); /* no CRC given: programmed */
  assert_int_equal(p->sum.unchanged, 1);
  assert_int_equal(p->sum.erased, 2);
  /* 2 x 200 ms + (8192 + 256) words x 16 us */
  assert_int_equal(p->sum.floor_ns, 400 * MS + 8448 * 16 * US);
  /* an unchanged re-flash: nothing to do */
  assert_int_equal(lf_plan_set_target_crc(S, p, 1, (uint32_t)crc32(0, m.seg[0].data + 32768, 32768)), 0);
  assert_int_equal(lf_plan_set_target_crc(S, p, 2, p->sector[2].crc), 0);
  finalize(p);
  assert_int_equal(p->sum.unchanged, 3);
  assert_int_equal(p->sum.erased, 0);
  assert_int_equal(p->sum.floor_ns, 0);
  lf_plan_free(p);

  /* smart flash off: no CRC wanted, target CRCs ignored */
  set.smart_flash = false;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.crc_bytes, 0);
  assert_false(p->sector[0].want_crc);
  assert_int_equal(lf_plan_set_target_crc(S, p, 0, crc0), 0);
  finalize(p);
  assert_int_equal(p->sector[0].action, LF_SECTOR_PROGRAM);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* Bits-only on the STM32F1 (bits_blank_only, bits_zero_ok): the sample
 * vetoes a half-word that changes unless it reads 0xFFFF or becomes 0x0000;
 * unchanged bytes never veto. Image bytes are i % 251 (F103 1 KiB pages). */
static void test_bits_only_f1_rule(void **state)
{
  (void)state;
  lf_flash_geometry g = {0};
  geometry(0x410, 128, false, &g);
  assert_true(g.bits_only && g.bits_blank_only && g.bits_zero_ok);
  img m = {0};
  img_add(&m, 0x08000000, 1024, -1);
  uint8_t *z = m.seg[0].data;
  z[16] = z[17] = 0; /* half-word 8 becomes 0x0000 */
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.erase_avoid = set.bits_only = true;
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(lf_plan_set_target_crc(S, p, 0, 0x12345678u), 0);
  finalize(p);
  assert_true(p->sector[0].bits_want);
  uint8_t old[32];
  for (unsigned i = 0; i < 32; i++)
    old[i] = (uint8_t)(i % 251);
  old[16] = 0x12; /* programmed, becomes 0x0000: fine */
  old[17] = 0x34;
  assert_int_equal(lf_plan_bits_sample(S, p, 0, 0x08000000, old, sizeof old), 0);
  assert_false(p->sector[0].bits_veto);
  old[4] = old[5] = 0xFF; /* erased, gets data: fine */
  assert_int_equal(lf_plan_bits_sample(S, p, 0, 0x08000000, old, sizeof old), 0);
  assert_false(p->sector[0].bits_veto);
  old[6] = 0x07; /* programmed; new (0x06) only clears a bit, but not to 0x0000: PGERR on the F1 */
  assert_int_equal(lf_plan_bits_sample(S, p, 0, 0x08000000, old, sizeof old), 0);
  assert_true(p->sector[0].bits_veto);
  p->set.link_bps = 200000;
  p->set.ring_bytes = 4096;
  finalize(p);
  assert_false(p->sector[0].bits);
  assert_int_equal(p->sum.bits, 0);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* Bits-only (erase_avoid + bits_only, geometry bits_only): a touched sector
 * neither blank nor unchanged waits for the link rate and a sample of its
 * old bytes (bits_want); a sample that needs a 0 -> 1 bit vetoes it; the
 * model takes it when its head fits the ring and its erase outweighs the
 * extra upload and the lost overlap; never on ECC (program_once). */
static void test_bits_only_sectors(void **state)
{
  (void)state;
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  assert_true(g.bits_only);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  assert_false(set.bits_only);
  set.erase_avoid = set.bits_only = true;
  lf_plan *p = build(&m, &g, &set);
  for (unsigned i = 0; i < 3; i++)
    assert_int_equal(lf_plan_set_target_crc(S, p, i, 0x12345678u), 0); /* neither blank nor the image */
  finalize(p);
  assert_int_equal(p->sum.bits_want, 3);
  assert_int_equal(p->sum.bits, 0);
  assert_int_equal(p->sum.erased, 3);
  assert_true(p->sector[0].bits_want);
  uint8_t ff[32], zero[32];
  memset(ff, 0xFF, sizeof ff);
  memset(zero, 0, sizeof zero);
  assert_int_equal(lf_plan_bits_sample(S, p, 0, 0x08000000, ff, sizeof ff), 0);
  assert_int_equal(lf_plan_bits_sample(S, p, 1, 0x08008000, zero, sizeof zero), 0); /* needs 0 -> 1 */
  assert_int_equal(lf_plan_bits_sample(S, p, 2, 0x08010000, ff, sizeof ff), 0);
  assert_int_equal(lf_plan_bits_sample(S, p, 2, 0x08007FF0, ff, sizeof ff), LF_EINVAL); /* not in sector 2 */
  p->set.link_bps = 200000;
  p->set.ring_bytes = 256 * 1024;
  finalize(p);
  assert_int_equal(p->sum.bits_want, 0);
  assert_true(p->sector[0].bits);
  assert_false(p->sector[1].bits);
  assert_true(p->sector[2].bits);
  assert_int_equal(p->sum.bits, 2);
  assert_int_equal(p->sum.erased, 1);
  assert_int_equal(p->sum.programmed, 3);
  assert_int_equal(p->sector[0].erase_ns, 0);
  assert_true(p->sector[0].verify);
  /* one erase (sector 1); sectors 0 and 2 as PROGRAM_BITS of their heads */
  lf_loader_step *st = NULL;
  size_t n = 0, bits = 0, erases = 0;
  assert_int_equal(lf_loader_plan_steps(S, p, &st, &n), 0);
  for (size_t i = 0; i < n; i++) {
    if (st[i].kind == LF_LOADER_ERASE) {
      erases++;
      assert_int_equal(st[i].addr, 0x08008000);
    } else if (st[i].kind == LF_LOADER_PROGRAM_BITS) {
      assert_int_equal(st[i].len, bits++ ? 1024 : 32768);
    }
  }
  assert_int_equal(erases, 1);
  assert_int_equal(bits, 2);
  free(st);
  /* a ring smaller than sector 0's head: only sector 2 */
  p->set.ring_bytes = 16 * 1024;
  finalize(p);
  assert_false(p->sector[0].bits);
  assert_true(p->sector[2].bits);
  /* a link so fast that the overlap lost costs more than nothing gained:
   * sector 0's programming (131 ms) overlaps the upload (33 ms at 1 MB/s)
   * that it would lose, still less than the erase (200 ms): taken */
  p->set.ring_bytes = 256 * 1024;
  p->set.link_bps = 1000000;
  finalize(p);
  assert_true(p->sector[0].bits);
  lf_plan_free(p);
  /* bits_only off: candidates are erased, nothing waits */
  set.bits_only = false;
  p = build(&m, &g, &set);
  for (unsigned i = 0; i < 3; i++)
    assert_int_equal(lf_plan_set_target_crc(S, p, i, 0x12345678u), 0);
  finalize(p);
  assert_int_equal(p->sum.bits_want, 0);
  assert_int_equal(p->sum.erased, 3);
  lf_plan_free(p);
  img_free(&m);

  /* ECC (STM32L4: program_once): never */
  geometry(0x415, 1024, false, &g);
  assert_false(g.bits_only);
  img_add(&m, 0x08000000, 4096, -1);
  set.bits_only = true;
  p = build(&m, &g, &set);
  for (unsigned i = 0; i < p->nsectors; i++)
    if (p->sector[i].want_crc)
      assert_int_equal(lf_plan_set_target_crc(S, p, i, 0x12345678u), 0);
  finalize(p);
  assert_int_equal(p->sum.bits_want, 0);
  assert_int_equal(p->sum.bits, 0);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* Erase avoidance: a touched sector whose target CRC32 is an erased
 * sector's is programmed without its erase; never on ECC geometries
 * (program_once), in chip mode, without the target's CRC or when off. */
static void test_erase_avoid_blank_sectors(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  assert_false(g.program_once);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  uint8_t *ff = malloc(32768);
  memset(ff, 0xFF, 32768);
  uint32_t blank = (uint32_t)crc32(0, ff, 32768);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  assert_false(set.erase_avoid);
  set.erase_avoid = true;
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(lf_plan_set_target_crc(S, p, 0, blank), 0);
  assert_int_equal(lf_plan_set_target_crc(S, p, 1, blank ^ 1), 0); /* not blank */
  assert_int_equal(lf_plan_set_target_crc(S, p, 2, blank), 0);
  finalize(p);
  assert_int_equal(p->sector[0].action, LF_SECTOR_PROGRAM);
  assert_true(p->sector[0].erase_skipped);
  assert_string_equal(p->sector[0].reason, "image data (read blank: not erased)");
  assert_int_equal(p->sector[0].erase_ns, 0);
  assert_true(p->sector[0].verify);
  assert_false(p->sector[1].erase_skipped);
  assert_int_equal(p->sector[1].erase_ns, 200 * MS);
  assert_true(p->sector[2].erase_skipped);
  assert_int_equal(p->sum.blank, 2);
  assert_int_equal(p->sum.erased, 1);
  assert_int_equal(p->sum.programmed, 3);
  /* one 32 KiB erase + (8192 x 2 + 256) words x 16 us */
  assert_int_equal(p->sum.floor_ns, 200 * MS + (16384 + 256) * 16 * US);
  /* the loader's steps: one erase (sector 1), three programs */
  lf_loader_step *st = NULL;
  size_t n = 0;
  assert_int_equal(lf_loader_plan_steps(S, p, &st, &n), 0);
  size_t erases = 0, progs = 0;
  for (size_t i = 0; i < n; i++) {
    if (st[i].kind == LF_LOADER_ERASE) {
      erases++;
      assert_int_equal(st[i].addr, 0x08008000);
    } else {
      progs++;
    }
  }
  assert_int_equal(erases, 1);
  assert_true(progs >= 3);
  free(st);
  lf_plan_free(p);

  /* off: every touched sector is erased */
  set.erase_avoid = false;
  p = build(&m, &g, &set);
  for (unsigned i = 0; i < 3; i++)
    assert_int_equal(lf_plan_set_target_crc(S, p, i, blank), 0);
  finalize(p);
  assert_int_equal(p->sum.blank, 0);
  assert_int_equal(p->sum.erased, 3);
  lf_plan_free(p);

  /* chip erase: the mass erase clears everything anyway */
  set.erase_avoid = true;
  set.erase = LF_ERASE_CHIP;
  p = build(&m, &g, &set);
  for (unsigned i = 0; i < p->nsectors; i++)
    if (p->sector[i].want_crc)
      assert_int_equal(lf_plan_set_target_crc(S, p, i, blank), 0);
  finalize(p);
  assert_int_equal(p->sum.blank, 0);
  assert_false(p->sector[0].erase_skipped);
  lf_plan_free(p);

  /* smart flash off: no target CRC, so nothing reads blank */
  set.erase = LF_ERASE_SECTOR;
  set.smart_flash = false;
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.blank, 0);
  assert_int_equal(p->sum.erased, 3);
  lf_plan_free(p);
  img_free(&m);

  /* ECC (STM32L4: program_once): a blank page is erased all the same */
  geometry(0x415, 1024, false, &g);
  assert_true(g.program_once);
  img_add(&m, 0x08000000, 4096, -1);
  set.smart_flash = true;
  p = build(&m, &g, &set);
  uint32_t blank2k = (uint32_t)crc32(0, ff, 2048);
  assert_int_equal(lf_plan_set_target_crc(S, p, 0, blank2k), 0);
  assert_int_equal(lf_plan_set_target_crc(S, p, 1, blank2k), 0);
  finalize(p);
  assert_int_equal(p->sum.blank, 0);
  assert_int_equal(p->sum.erased, 2);
  lf_plan_free(p);
  img_free(&m);

  /* the F1 (no ECC): blank 1 KiB pages are not erased */
  geometry(0x410, 128, false, &g);
  assert_false(g.program_once);
  img_add(&m, 0x08000000, 2048, -1);
  p = build(&m, &g, &set);
  uint32_t blank1k = (uint32_t)crc32(0, ff, 1024);
  assert_int_equal(lf_plan_set_target_crc(S, p, 0, blank1k), 0);
  assert_int_equal(lf_plan_set_target_crc(S, p, 1, blank1k), 0);
  finalize(p);
  assert_int_equal(p->sum.blank, 2);
  assert_int_equal(p->sum.erased, 0);
  lf_plan_free(p);
  img_free(&m);
  free(ff);
  lf_geometry_free(&g);
}

static void test_keep_unwritten_reads_and_writes_back(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  img m = {0};
  img_add(&m, 0x08000010, 100, 0x5A);
  img_add(&m, 0x08000100, 50, 0xA5);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.keep_unwritten = true;
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sector[0].nread, 3);
  range_is(&p->sector[0].read[0], 0x08000000, 0x10);
  range_is(&p->sector[0].read[1], 0x08000074, 0x8C);
  range_is(&p->sector[0].read[2], 0x08000132, 0x8000 - 0x132);
  assert_int_equal(p->sum.read_bytes, 32768 - 150);
  assert_int_equal(p->sector[1].nread, 0);
  /* kept words count as programmed in the estimate: 200 ms + (25 + 13 + 8155) x 16 us */
  assert_int_equal(p->sum.sector_cost_ns, 200 * MS + (25 + 13 + 8155) * 16 * US);

  assert_int_equal(lf_plan_finalize(S, p), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "plan: keep_unwritten: the old bytes of 0x08000000-0x0800000F (sector 0) were "
                                     "not supplied");
  uint8_t *old = malloc(32768);
  memset(old, 0x00, 32768);
  assert_int_equal(lf_plan_set_old(S, p, 0x08000000, old, 8), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "plan: old bytes 0x08000000-0x08000007 cover only part of the read range "
                                     "0x08000000-0x0800000F");
  /* old content all 0x00: the whole sector is written back */
  assert_int_equal(lf_plan_set_old(S, p, 0x08000000, old, 32768), 0);
  finalize(p);
  assert_int_equal(p->sector[0].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[0].nprog, 1);
  range_is(&p->sector[0].prog[0], 0x08000000, 32768);
  assert_int_equal(p->sector[0].content[0x0F], 0x00);
  assert_int_equal(p->sector[0].content[0x10], 0x5A);
  assert_int_equal(p->sector[0].content[0x131], 0xA5);
  assert_int_equal(p->sector[0].content[0x132], 0x00);
  lf_plan_free(p);

  /* old content erased except one word: only image words and that word are written */
  p = build(&m, &g, &set);
  memset(old, 0xFF, 32768);
  memset(old + 0x4000, 0x12, 4);
  assert_int_equal(lf_plan_set_old(S, p, 0x08000000, old, 32768), 0);
  finalize(p);
  assert_int_equal(p->sector[0].nprog, 3);
  range_is(&p->sector[0].prog[0], 0x08000010, 0x64);
  range_is(&p->sector[0].prog[1], 0x08000100, 0x34);
  range_is(&p->sector[0].prog[2], 0x08004000, 4);
  assert_int_equal(p->sum.program_words, 25 + 13 + 1);
  lf_plan_free(p);

  /* chip erase keeping everything: the whole rest of the array is read */
  set.erase = LF_ERASE_CHIP;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.read_bytes, 2048 * KiB - 150);
  assert_int_equal(p->sector[11].nread, 1);
  range_is(&p->sector[11].read[0], 0x081C0000, 256 * KiB);
  lf_plan_free(p);
  /* auto never pays for that here */
  set.erase = LF_ERASE_AUTO;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  lf_plan_free(p);
  free(old);
  img_free(&m);
  lf_geometry_free(&g);
}

static void test_program_ranges_skip_erased_runs(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  img m = {0};
  img_add(&m, 0x08000000, 64, 0x00);
  memset(m.seg[0].data + 16, 0xFF, 32); /* a 32-byte 0xFF run inside */
  img_add(&m, 0x08008001, 3, 0x11);    /* unaligned start in sector 1 */
  img_add(&m, 0x08010000, 16, 0xFF);   /* only 0xFF in sector 2 */
  lf_plan *p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sector[0].nprog, 1); /* 32 < ff_gap 64: one range */
  range_is(&p->sector[0].prog[0], 0x08000000, 64);
  assert_int_equal(p->sector[1].nprog, 1);
  range_is(&p->sector[1].prog[0], 0x08008000, 4);
  assert_int_equal(p->sector[1].content[0], 0xFF);
  assert_int_equal(p->sector[2].action, LF_SECTOR_ERASE);
  assert_string_equal(p->sector[2].reason, "image bytes are all 0xFF");
  assert_int_equal(p->sector[2].nprog, 0);
  assert_int_equal(p->sum.erased, 3);
  assert_int_equal(p->sum.programmed, 2);
  assert_int_equal(p->sum.program_words, 16 + 1);
  lf_plan_free(p);
  set.ff_gap = 32; /* now the run splits the range and is not written */
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sector[0].nprog, 2);
  range_is(&p->sector[0].prog[0], 0x08000000, 16);
  range_is(&p->sector[0].prog[1], 0x08000030, 16);
  assert_int_equal(p->sum.program_words, 8 + 1);
  lf_plan_free(p);
  /* x64: ranges align to 8 bytes */
  set.prog_unit = 8;
  p = build(&m, &g, &set);
  finalize(p);
  range_is(&p->sector[1].prog[0], 0x08008000, 8);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* The unit-by-unit scan that program ranges were computed with before the
 * eight-bytes-at-a-time skip of erased bytes (plan.c next_written): the same
 * ranges are expected. */
static size_t ref_ranges(const uint8_t *c, uint32_t addr, uint32_t size, unsigned unit, uint32_t gap,
                         lf_plan_range *out)
{
  if (gap < unit)
    gap = unit;
  size_t n = 0;
  bool open = false;
  uint32_t start = 0, end = 0;
  for (uint32_t off = 0; off < size; off += unit) {
    bool blank = true;
    for (unsigned i = 0; i < unit; i++)
      blank = blank && c[off + i] == 0xFF;
    if (blank)
      continue;
    if (open && off - end >= gap) {
      out[n++] = (lf_plan_range){addr + start, end - start, false};
      open = false;
    }
    if (!open) {
      start = off;
      open = true;
    }
    end = off + unit;
  }
  if (open)
    out[n++] = (lf_plan_range){addr + start, end - start, false};
  return n;
}

static void test_program_ranges_match_unit_scan(void **state)
{
  (void)state;
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  static lf_plan_range want[32768];
  uint32_t seed = 12345;
  static const uint32_t gaps[] = {1, 8, 64, 200};
  for (int trial = 0; trial < 48; trial++) {
    /* even trials: an erased sector with a few written bytes and short runs
     * anywhere (none at all in trial 0); odd ones: a written sector with
     * erased bytes and runs of up to 80 bytes (none in trial 1); the
     * sector's first and last bytes changed in some */
    bool written = trial % 2;
    img m = {0};
    img_add(&m, 0x08000000, 32768, written ? 0x00 : 0xFF);
    uint8_t *c = m.seg[0].data;
    int nw = trial / 2 * 7;
    for (int k = 0; k < nw; k++) {
      seed = seed * 1103515245u + 12345u;
      uint32_t at = (seed >> 8) % 32768, len = 1 + (seed >> 26) % (written ? 80 : 11);
      for (uint32_t j = at; j < at + len && j < 32768; j++)
        c[j] = written ? 0xFF : (uint8_t)((seed >> (j % 24)) % 255); /* never 0xFF */
    }
    if (trial % 3 == 1)
      c[0] = written ? 0xFF : 0x7E;
    if (trial % 4 == 2 || trial % 4 == 3)
      c[32767] = written ? 0xFF : 0x00;
    for (unsigned unit = 4; unit <= 8; unit += 4)
      for (size_t gi = 0; gi < sizeof gaps / sizeof gaps[0]; gi++) {
        lf_plan_settings set;
        lf_plan_settings_default(&set);
        set.erase = LF_ERASE_SECTOR;
        set.prog_unit = unit;
        set.ff_gap = gaps[gi];
        lf_plan *p = build(&m, &g, &set);
        finalize(p);
        size_t n = ref_ranges(c, 0x08000000, 32768, unit, gaps[gi], want);
        uint32_t words = 0;
        assert_int_equal(p->sector[0].nprog, n);
        for (size_t r = 0; r < n; r++) {
          range_is(&p->sector[0].prog[r], want[r].addr, want[r].len);
          words += want[r].len / unit;
        }
        assert_int_equal(p->sector[0].prog_words, words);
        assert_int_equal(p->sector[0].action, n ? LF_SECTOR_PROGRAM : LF_SECTOR_ERASE);
        if (trial == 0)
          assert_int_equal(n, 0);
        if (written)
          assert_true(n >= 1);
        lf_plan_free(p);
      }
    img_free(&m);
  }
  lf_geometry_free(&g);
}

/* Every sector gets its CRC32; an untouched one the CRC of its erased bytes,
 * combined from one 1 KiB block's (plan.c crc_of): against zlib over the
 * bytes, for sectors of 256 B to 256 KiB and both erased values. */
static void test_erased_sector_crcs(void **state)
{
  (void)state;
  static const lf_geometry_region rg[] = {
    {0x08000000u, 4, 256, 0, 0},     {0x08000400u, 2, 512, 0, 4},     {0x08000800u, 2, 1024, 0, 6},
    {0x08001000u, 1, 4096, 0, 8},    {0x08002000u, 1, 8192, 0, 9},    {0x08004000u, 1, 16384, 0, 10},
    {0x08008000u, 1, 32768, 0, 11},  {0x08010000u, 1, 65536, 0, 12},  {0x08020000u, 1, 131072, 0, 13},
    {0x08040000u, 1, 262144, 0, 14},
  };
  lf_flash_timing tm = {0};
  for (int k = 0; k < LF_FLASH_UNITS; k++) {
    tm.prog_ns[0][k] = tm.prog_ns[1][k] = 80 * US;
    tm.mass_ns[0][k] = tm.mass_ns[1][k] = 22 * MS;
  }
  tm.erase[0].size = 256;
  for (int k = 0; k < LF_FLASH_UNITS; k++)
    tm.erase[0].ns[0][k] = tm.erase[0].ns[1][k] = 21 * MS;
  static uint8_t bytes[262144];
  for (int erased = 0; erased < 2; erased++) {
    lf_geometry_desc d = {.name = "made-up sizes", .regions = rg, .nregions = sizeof rg / sizeof rg[0],
                          .erased = erased ? 0xFF : 0x00, .prog_units = 4, .prog_unit = 4, .timing = &tm};
    lf_flash_geometry g = {0};
    assert_int_equal(lf_geometry_build(S, &d, &g), 0);
    assert_int_equal(g.nsectors, 15);
    img m = {0};
    img_add(&m, 0x08000100, 16, 0x5A); /* sector 1 only */
    lf_plan_settings set;
    lf_plan_settings_default(&set);
    set.erase = LF_ERASE_SECTOR;
    lf_plan *p = build(&m, &g, &set);
    finalize(p);
    for (unsigned i = 0; i < g.nsectors; i++) {
      uint32_t size = g.sector[i].size;
      memset(bytes, d.erased, size);
      if (i == 1)
        memset(bytes, 0x5A, 16);
      assert_int_equal(p->sector[i].crc, (uint32_t)crc32(0, bytes, size));
    }
    lf_plan_free(p);
    img_free(&m);
    lf_geometry_free(&g);
  }
}

static void test_dual_bank_and_f4_boundaries(void **state)
{
  lf_flash_geometry g = {0};
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  img m = {0};
  img_add(&m, 0x080FFFF0, 32, -1); /* last bank-1 sector + first bank-2 sector */
  geometry(0x451, 2048, true, &g);
  lf_plan *p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sector[11].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[12].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[12].sector->bank, 1);
  assert_int_equal(p->sector[12].sector->index, 12);
  range_is(&p->sector[11].prog[0], 0x080FFFF0, 16);
  range_is(&p->sector[12].prog[0], 0x08100000, 16);
  /* 128 KiB (500 ms) + 16 KiB (100 ms, assumed half of 32 KiB) + 8 words */
  assert_int_equal(p->sum.floor_ns, 600 * MS + 8 * 16 * US);
  lf_plan_free(p);
  geometry(0x419, 2048, false, &g); /* F429: 1 s + 250 ms */
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.floor_ns, 1250 * MS + 8 * 16 * US);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

static void test_plan_input_errors_and_verify_off(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  img m = {0};
  img_add(&m, 0x1FF0F000, 16, 0);
  lf_plan *p = NULL;
  assert_int_equal(lf_plan_build(S, m.seg, m.n, &g, &set, &p), LF_EINVAL);
  assert_null(p);
  assert_string_equal(lf_err_msg(S), "plan: 0x1FF0F000 is not in a flash sector of STM32F76x/F77x 2048 KiB single "
                                     "bank (0x08000000-0x081FFFFF; OTP is not planned)");
  img_free(&m);
  img_add(&m, 0x08000000, 16, 0);
  set.prog_unit = 16;
  assert_int_equal(lf_plan_build(S, m.seg, m.n, &g, &set, &p), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "plan: STM32F76x/F77x 2048 KiB single bank cannot program 16-byte units");
  set.prog_unit = 4;
  set.verify = LF_VERIFY_NONE;
  p = build(&m, &g, &set);
  finalize(p);
  assert_false(p->sector[0].verify);
  assert_int_equal(p->sum.verify_bytes, 0);
  assert_string_equal(lf_plan_action_name(p->sector[0].action), "program");
  assert_string_equal(lf_plan_erase_name(p->sum.erase_used), "sector");
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* A part no family table knows, described as data (as a board file can):
 * two banks of 64 pages of 2 KiB, 8-byte program unit, its own times. The
 * plan works on it as on a family's geometry. */
static void test_described_part_plans_unchanged(void **state)
{
  static const lf_geometry_region rg[] = {
    {0x08000000u, 64, 2048, 0, 0}, {0x08020000u, 64, 2048, 1, 256},
  };
  lf_flash_timing tm = {0};
  for (int k = 0; k < LF_FLASH_UNITS; k++) {
    tm.prog_ns[0][k] = 80 * US;
    tm.prog_ns[1][k] = 90 * US;
    tm.mass_ns[0][k] = tm.mass_ns[1][k] = 22 * MS;
  }
  tm.erase[0].size = 2048;
  for (int k = 0; k < LF_FLASH_UNITS; k++)
    tm.erase[0].ns[0][k] = tm.erase[0].ns[1][k] = 21 * MS;
  lf_geometry_desc d = {.name = "made-up 256 KiB", .regions = rg, .nregions = 2, .erased = 0xFF,
                        .prog_units = 8, .prog_unit = 8, .timing = &tm};
  lf_flash_geometry g = {0};
  assert_int_equal(lf_geometry_build(S, &d, &g), 0);
  assert_int_equal(g.nsectors, 128);
  assert_int_equal(g.nbanks, 2);
  assert_int_equal(g.bank_base[1], 0x08020000u);
  assert_int_equal(g.sector[64].index, 256);
  assert_int_equal(g.sector[64].bank, 1);
  assert_null(g.family);
  img m = {0};
  img_add(&m, 0x0801FFFA, 13, -1); /* the last page of bank 1 and the first of bank 2 */
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.erase = LF_ERASE_SECTOR;
  lf_plan *p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->set.prog_unit, 8);
  assert_int_equal(p->sum.erased, 2);
  assert_int_equal(p->sector[63].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[64].action, LF_SECTOR_PROGRAM);
  range_is(&p->sector[63].prog[0], 0x0801FFF8, 8); /* 8-byte aligned */
  range_is(&p->sector[64].prog[0], 0x08020000, 8);
  assert_int_equal(p->sum.floor_ns, 2 * 21 * MS + 2 * 80 * US);
  lf_plan_free(p);
  /* a program unit the part does not have, and bad descriptions */
  set.prog_unit = 4;
  assert_int_equal(lf_plan_build(S, m.seg, m.n, &g, &set, &p), LF_EINVAL);
  lf_flash_geometry bad = {0};
  lf_geometry_region gap[] = {{0x08000000u, 4, 2048, 0, 0}, {0x08003000u, 4, 2048, 0, 4}};
  d.regions = gap;
  assert_int_equal(lf_geometry_build(S, &d, &bad), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(S), "starts at 0x08003000, expected 0x08002000"));
  lf_geometry_region odd[] = {{0x08000000u, 4, 3000, 0, 0}};
  d.regions = odd;
  d.nregions = 1;
  assert_int_equal(lf_geometry_build(S, &d, &bad), LF_EINVAL);
  img_free(&m);
  lf_geometry_free(&g);
}

/* ---- protected regions (issue 21) ---- */

static void old_fill(lf_plan *p, uint8_t v) /* every read range's old bytes = v */
{
  for (unsigned i = 0; i < p->nsectors; i++)
    for (size_t r = 0; r < p->sector[i].nread; r++) {
      uint8_t *b = malloc(p->sector[i].read[r].len);
      memset(b, v, p->sector[i].read[r].len);
      assert_int_equal(lf_plan_set_old(S, p, p->sector[i].read[r].addr, b, p->sector[i].read[r].len), 0);
      free(b);
    }
}

/* A region in the middle of a sector the image also uses: read first and
 * written back whatever keep_unwritten says, counted in both estimates. */
static void test_protect_region_in_touched_sector(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1); /* sectors 0, 1 and 1 KiB of 2 */
  lf_plan_protect cal[] = {{0x08011000, 0x100, "calibration"}};
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.erase = LF_ERASE_SECTOR;
  set.protect = cal;
  set.nprotect = 1;
  lf_plan *p = build(&m, &g, &set);
  assert_null(p->set.protect); /* borrowed by the build only */
  assert_int_equal(p->sector[2].nread, 1);
  range_is(&p->sector[2].read[0], 0x08011000, 0x100);
  assert_int_equal(p->sector[0].nread + p->sector[1].nread + p->sector[3].nread, 0);
  assert_int_equal(p->sum.read_bytes, 0x100);
  assert_int_equal(p->sum.protect_bytes, 0x100);
  /* 3 x 200 ms + (16640 + 64 written-back) words x 16 us */
  assert_int_equal(p->sum.sector_cost_ns, 600 * MS + (16640 + 64) * 16 * US);
  assert_int_equal(lf_plan_finalize(S, p), LF_EINVAL); /* the old bytes are needed */
  old_fill(p, 0x11);
  finalize(p);
  assert_int_equal(p->sector[2].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[2].nprog, 2);
  range_is(&p->sector[2].prog[0], 0x08010000, 1024);
  range_is(&p->sector[2].prog[1], 0x08011000, 0x100);
  assert_int_equal(p->sector[2].content[0x1000], 0x11);
  assert_int_equal(p->sector[2].content[0x10FF], 0x11);
  assert_int_equal(p->sector[2].content[0x1100], 0xFF);
  assert_int_equal(p->sum.program_words, 16640 + 64);
  assert_true(p->sector[2].verify); /* the written-back bytes are verified with the sector */
  lf_plan_free(p);

  /* keep_unwritten: the whole rest of the sector is read; the region is part of it */
  set.keep_unwritten = true;
  p = build(&m, &g, &set);
  assert_int_equal(p->sector[2].nread, 1);
  range_is(&p->sector[2].read[0], 0x08010400, 0x8000 - 0x400);
  assert_int_equal(p->sum.protect_bytes, 0x100);
  lf_plan_free(p);

  /* smart flash: a sector whose target CRC matches the would-be content
   * (image + the region's old bytes) is skipped: nothing erased */
  set.keep_unwritten = false;
  set.erase = LF_ERASE_AUTO;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  old_fill(p, 0x11);
  uint8_t *want = malloc(32768);
  memset(want, 0xFF, 32768);
  memcpy(want, m.seg[0].data + 65536, 1024);
  memset(want + 0x1000, 0x11, 0x100);
  assert_int_equal(lf_plan_set_target_crc(S, p, 2, (uint32_t)crc32(0, want, 32768)), 0);
  free(want);
  finalize(p);
  assert_int_equal(p->sector[2].action, LF_SECTOR_SKIP);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* A region in a sector of its own: never erased by sector erase; a chip
 * erase reads and restores it (and loses only what nobody protected). */
static void test_protect_own_sector_and_chip_erase(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan_protect cal[] = {{0x081C0000, 256 * KiB, "calibration"}};
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.protect = cal;
  set.nprotect = 1;
  static const lf_erase_mode modes[] = {LF_ERASE_SECTOR, LF_ERASE_AUTO};
  for (unsigned k = 0; k < 2; k++) {
    set.erase = modes[k];
    for (int keep = 0; keep < 2; keep++) {
      set.keep_unwritten = keep;
      lf_plan *p = build(&m, &g, &set);
      assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
      assert_int_equal(p->sector[11].nread, 0);
      assert_int_equal(p->sum.protect_bytes, 0);
      if (!keep)
        assert_int_equal(p->sum.read_bytes, 0);
      old_fill(p, 0x22);
      finalize(p);
      assert_int_equal(p->sector[11].action, LF_SECTOR_SKIP);
      lf_plan_free(p);
    }
  }
  /* chip: the region is read and written back; other untouched sectors are
   * not (the project asked for a chip erase and protected only this one) */
  set.erase = LF_ERASE_CHIP;
  set.keep_unwritten = false;
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sector[11].nread, 1);
  range_is(&p->sector[11].read[0], 0x081C0000, 256 * KiB);
  assert_int_equal(p->sector[10].nread, 0);
  assert_int_equal(p->sum.protect_bytes, 256 * KiB);
  assert_int_equal(p->sum.read_bytes, 256 * KiB);
  /* 8 s + (16640 + 65536) words x 16 us */
  assert_int_equal(p->sum.chip_cost_ns, 8000 * MS + (16640 + 65536) * 16 * US);
  old_fill(p, 0x22);
  finalize(p);
  assert_true(p->sector[11].by_chip_erase);
  assert_int_equal(p->sector[11].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[11].nprog, 1);
  range_is(&p->sector[11].prog[0], 0x081C0000, 256 * KiB);
  assert_true(p->sector[11].verify);
  assert_int_equal(p->sector[10].action, LF_SECTOR_ERASE);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* Regions spanning two sectors (only the erased one's part is read), at the
 * end of flash, overlapping each other (their union), and the input errors. */
static void test_protect_spanning_end_and_errors(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x451, 2048, false, &g);
  img m = {0};
  img_add(&m, 0x08019000, 16, 0x5A); /* sector 3 only */
  lf_plan_protect r[] = {
    {0x08017F00, 0x200, "span"},         /* end of sector 2, start of sector 3 */
    {0x080180C0, 0x80, "inside span"},   /* overlaps "span": one range */
    {0x081FFF00, 0x100, "end"},          /* the last 256 bytes of flash */
  };
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  set.protect = r;
  set.nprotect = 3;
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  assert_int_equal(p->sector[2].nread, 0); /* sector 2 is not erased */
  assert_int_equal(p->sector[3].nread, 1);
  range_is(&p->sector[3].read[0], 0x08018000, 0x140);
  assert_int_equal(p->sector[11].nread, 0);
  assert_int_equal(p->sum.protect_bytes, 0x140);
  old_fill(p, 0x33);
  finalize(p);
  assert_int_equal(p->sector[3].nprog, 2);
  range_is(&p->sector[3].prog[0], 0x08018000, 0x140);
  range_is(&p->sector[3].prog[1], 0x08019000, 16);
  lf_plan_free(p);
  /* chip erase: every part of every region, the end of flash included */
  set.erase = LF_ERASE_CHIP;
  p = build(&m, &g, &set);
  assert_int_equal(p->sector[2].nread, 1);
  range_is(&p->sector[2].read[0], 0x08017F00, 0x100);
  range_is(&p->sector[3].read[0], 0x08018000, 0x140);
  assert_int_equal(p->sector[11].nread, 1);
  range_is(&p->sector[11].read[0], 0x081FFF00, 0x100);
  assert_int_equal(p->sum.protect_bytes, 0x100 + 0x140 + 0x100);
  lf_plan_free(p);

  /* an image byte inside a region */
  set.erase = LF_ERASE_SECTOR;
  img_add(&m, 0x081FFFF0, 32, 0); /* the image's second segment ends past 0x081FFF00 */
  m.seg[1].addr = 0x081FFEF8;
  p = NULL;
  assert_int_equal(lf_plan_build(S, m.seg, m.n, &g, &set, &p), LF_EINVAL);
  assert_null(p);
  assert_string_equal(lf_err_msg(S), "plan: image byte at 0x081FFF00 is inside protected region 'end' "
                                     "(0x081FFF00-0x081FFFFF)");
  img_free(&m);
  img_add(&m, 0x08000000, 16, 0);
  lf_plan_protect bad[] = {{0x08000100, 0, "empty"}};
  set.protect = bad;
  set.nprotect = 1;
  assert_int_equal(lf_plan_build(S, m.seg, m.n, &g, &set, &p), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "plan: protected region 'empty' at 0x08000100: 0 bytes");
  bad[0] = (lf_plan_protect){0xFFFFFF00u, 0x200, NULL};
  assert_int_equal(lf_plan_build(S, m.seg, m.n, &g, &set, &p), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "plan: protected region '?' at 0xFFFFFF00: 512 bytes");
  img_free(&m);
  lf_geometry_free(&g);
}

/* A part whose mass erase (22 ms) costs about one page erase (21 ms), as on
 * STM32F1/L4: "auto" must still never erase data outside the image. */
static void test_auto_never_surprise_mass_erase(void **state)
{
  static const lf_geometry_region rg[] = {{0x08000000u, 128, 2048, 0, 0}};
  lf_flash_timing tm = {0};
  for (int k = 0; k < LF_FLASH_UNITS; k++) {
    tm.prog_ns[0][k] = tm.prog_ns[1][k] = 80 * US;
    tm.mass_ns[0][k] = tm.mass_ns[1][k] = 22 * MS;
  }
  tm.erase[0].size = 2048;
  for (int k = 0; k < LF_FLASH_UNITS; k++)
    tm.erase[0].ns[0][k] = tm.erase[0].ns[1][k] = 21 * MS;
  lf_geometry_desc d = {.name = "mass-erase-cheap 256 KiB", .regions = rg, .nregions = 1, .erased = 0xFF,
                        .prog_units = 8, .prog_unit = 8, .timing = &tm};
  lf_flash_geometry g = {0};
  assert_int_equal(lf_geometry_build(S, &d, &g), 0);
  img m = {0};
  img_add(&m, 0x08000000, 4096, -1); /* pages 0 and 1 */
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  lf_plan *p = build(&m, &g, &set);
  /* sector: 42 ms + 512 words; chip: 22 ms + 512 words: cheaper, but pages
   * 2..127 would be lost */
  assert_int_equal(p->sum.sector_cost_ns, 42 * MS + 512 * 80 * US);
  assert_int_equal(p->sum.chip_cost_ns, 22 * MS + 512 * 80 * US);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  assert_non_null(p->sum.auto_note);
  assert_non_null(strstr(p->sum.auto_note, "\"fastest\""));
  finalize(p);
  assert_int_equal(p->sum.erased, 2);
  assert_non_null(p->sum.auto_note); /* kept through finalize */
  lf_plan_free(p);
  /* "fastest" takes the mass erase */
  set.erase = LF_ERASE_FASTEST;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  assert_null(p->sum.auto_note);
  assert_string_equal(lf_plan_erase_name(set.erase), "fastest");
  lf_plan_free(p);
  /* keep_unwritten: nothing would be lost, but restoring 254 KiB costs more */
  set.erase = LF_ERASE_AUTO;
  set.keep_unwritten = true;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  assert_null(p->sum.auto_note);
  lf_plan_free(p);
  /* the image in pages 0..126 and page 127 protected: the mass erase loses
   * nothing (page 127 is restored) and is cheaper: auto takes it */
  set.keep_unwritten = false;
  img_free(&m);
  img_add(&m, 0x08000000, 127 * 2048, -1);
  lf_plan_protect cal[] = {{0x0803F800, 2048, "calibration"}};
  set.protect = cal;
  set.nprotect = 1;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 127 * 21 * MS + 127 * 256 * 80 * US);
  assert_int_equal(p->sum.chip_cost_ns, 22 * MS + 128 * 256 * 80 * US);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  assert_int_equal(p->sector[127].nread, 1);
  range_is(&p->sector[127].read[0], 0x0803F800, 2048);
  old_fill(p, 0x44);
  finalize(p);
  assert_int_equal(p->sector[127].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[127].content[0], 0x44);
  lf_plan_free(p);
  /* half of page 127 protected: the other half would be lost: sector erase */
  cal[0].len = 1024;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  assert_non_null(p->sum.auto_note);
  assert_int_equal(p->sector[127].nread, 0);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* ---- STM32H7: two banks that work at the same time ----
 * stm32-f1-l4-h7-targets.md 2.3 (2 x 8 x 128 KiB, bank 2 at 0x08100000),
 * 5.3 (concurrency), 6 at x64: sector erase 1 s, flash word (32 B) 100 us,
 * bank erase 5 s (max 2 s / 200 us / 10 s). */
static void test_h743_geometry_and_times(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x450, 2048, true, &g);
  assert_string_equal(g.name, "STM32H74x/H75x 2048 KiB dual bank");
  assert_int_equal(g.nsectors, 16);
  assert_int_equal(g.nbanks, 2);
  assert_true(g.parallel_banks);
  assert_int_equal(g.bank_base[1], 0x08100000);
  assert_int_equal(g.bank_size[0], 1024 * KiB);
  sector_is(&g, 0, 0x08000000, 128 * KiB, 0, 0);
  sector_is(&g, 7, 0x080E0000, 128 * KiB, 7, 0);
  sector_is(&g, 8, 0x08100000, 128 * KiB, 8, 1);
  sector_is(&g, 15, 0x081E0000, 128 * KiB, 15, 1);
  assert_int_equal(g.prog_unit, 32);
  assert_int_equal(lf_geometry_unit_log2(&g, 32), 5);
  assert_int_equal(lf_geometry_unit_log2(&g, 4), -1);
  assert_int_equal(lf_geometry_prog_ns(&g, 32, false), 100 * US);
  assert_int_equal(lf_geometry_prog_ns(&g, 32, true), 200 * US);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[9], 32, false), 1000 * MS);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[9], 32, true), 2000 * MS);
  /* both banks erase at once: a mass erase takes one bank's time */
  assert_int_equal(lf_geometry_mass_ns(&g, 32, false), 5000 * MS);
  assert_int_equal(lf_geometry_mass_ns(&g, 32, true), 10000 * MS);
  lf_geometry_free(&g);
  assert_int_equal(lf_line_geometry(S, NULL, 0x450, 1024, true, &g), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(S), "1024 KiB is not supported"));
  assert_int_equal(lf_line_geometry(S, NULL, 0x450, 0xFFFF, true, &g), LF_EINVAL);
  lf_geometry_free(&g);
}

/* Floors on the H743, by hand (x64 typical). */
static void test_h743_floor_is_the_slower_bank(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x450, 2048, true, &g);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  /* 65 KB at 0x08000000: one sector of bank 1: 1 s + 2080 x 100 us = 1.208 s;
   * a chip erase would lose the other 15 sectors: not considered */
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 1208 * MS);
  assert_int_equal(p->sum.chip_cost_ns, 5208 * MS);
  finalize(p);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  assert_int_equal(p->sum.program_words, 2080);
  assert_int_equal(p->sum.floor_ns, 1208 * MS);
  assert_int_equal(p->sum.serial_ns, 1208 * MS);
  assert_int_equal(p->sum.bank_ns[0], 1208 * MS);
  assert_int_equal(p->sum.bank_ns[1], 0);
  lf_plan_free(p);
  img_free(&m);

  /* 256 KiB across the bank boundary (sector 7 and sector 8): both banks
   * 1 s + 4096 x 100 us = 1.4096 s at the same time; in turn 2.8192 s */
  img_add(&m, 0x080E0000, 256 * KiB, -1);
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 1409600000ull);
  finalize(p);
  assert_int_equal(p->sum.floor_ns, 1409600000ull);
  assert_int_equal(p->sum.serial_ns, 2819200000ull);
  assert_int_equal(p->sum.erase_ns, 2000 * MS);
  assert_int_equal(p->sum.program_ns, 819200000ull);
  lf_plan_free(p);
  img_free(&m);

  /* uneven: three sectors of bank 1, one of bank 2: 3 x 1.4096 s bounds */
  img_add(&m, 0x08000000, 384 * KiB, -1);
  img_add(&m, 0x08100000, 128 * KiB, -1);
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.bank_ns[0], 4228800000ull);
  assert_int_equal(p->sum.bank_ns[1], 1409600000ull);
  assert_int_equal(p->sum.floor_ns, 4228800000ull);
  assert_int_equal(p->sum.serial_ns, 5638400000ull);
  lf_plan_free(p);
  img_free(&m);

  /* 2 MiB: sectors 8 x (1 s + 0.4096 s) = 11.2768 s per bank; a chip erase
   * (both banks at once, 5 s) + 32768 words x 100 us per bank = 8.2768 s
   * wins and loses nothing; one controller doing both banks in turn would
   * need 2 x 8.2768 = 16.5536 s */
  img_add(&m, 0x08000000, 2048 * KiB, -1);
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 11276800000ull);
  assert_int_equal(p->sum.chip_cost_ns, 8276800000ull);
  finalize(p);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  assert_int_equal(p->sum.erase_ns, 5000 * MS);
  assert_int_equal(p->sum.floor_ns, 8276800000ull);
  assert_int_equal(p->sum.serial_ns, 16553600000ull);
  lf_plan_free(p);
  /* sector erase forced: the slower bank, 11.2768 s (in turn 22.5536 s) */
  set.erase = LF_ERASE_SECTOR;
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.floor_ns, 11276800000ull);
  assert_int_equal(p->sum.serial_ns, 22553600000ull);
  lf_plan_free(p);
  /* a known upload rate bounds both: 200 KB/s x 2 MiB = 10.48576 s for the
   * sectors; the chip erase uploads the ring (512 KiB) during the erase,
   * the rest (1.5 MiB = 7.86432 s) while programming: 12.86432 s */
  set.erase = LF_ERASE_AUTO;
  set.link_bps = 200000;
  set.ring_bytes = 512 * KiB;
  p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 11276800000ull);
  assert_int_equal(p->sum.chip_cost_ns, 12864320000ull);
  finalize(p);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* A described part with independent banks (lf.geometry{parallel_banks}):
 * the same per-bank floor; without the flag the banks add up. */
static void test_described_parallel_banks(void **state)
{
  lf_flash_timing tm = {.prog_ns = {{10 * US}}, .erase = {{4 * KiB, {{20 * MS}}}},
                        .mass_ns = {{100 * MS}}, .mass_ref_bytes = 64 * KiB};
  lf_geometry_region rg[2] = {{0x10000000, 8, 4 * KiB, 0, 0}, {0x10008000, 8, 4 * KiB, 1, 8}};
  lf_geometry_desc d = {.name = "two", .regions = rg, .nregions = 2, .erased = 0xFF,
                        .prog_units = 1, .prog_unit = 1, .timing = &tm, .parallel_banks = true};
  lf_flash_geometry g;
  assert_int_equal(lf_geometry_build(S, &d, &g), 0);
  assert_true(g.parallel_banks);
  assert_int_equal(lf_geometry_mass_ns(&g, 1, false), 50 * MS); /* one 32 KiB bank of 64 */
  img m = {0};
  img_add(&m, 0x10007000, 8 * KiB, -1); /* last sector of bank 0, first of bank 1 */
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  lf_plan *p = build(&m, &g, &set);
  finalize(p);
  /* per bank 20 ms + 4096 x 10 us = 60.96 ms */
  assert_int_equal(p->sum.floor_ns, 60960000ull);
  assert_int_equal(p->sum.serial_ns, 121920000ull);
  lf_plan_free(p);
  lf_geometry_free(&g);
  d.parallel_banks = false;
  assert_int_equal(lf_geometry_build(S, &d, &g), 0);
  assert_false(g.parallel_banks);
  assert_int_equal(lf_geometry_mass_ns(&g, 1, false), 100 * MS);
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.floor_ns, 121920000ull);
  assert_int_equal(p->sum.serial_ns, 121920000ull);
  lf_plan_free(p);
  lf_geometry_free(&g);
  img_free(&m);
}

/* ---- STM32F1 (stm32-f1-l4-h7-targets.md 1.1, 2.1, 6) ---- */

/* Medium density (0x410): 1 KiB pages, high density (0x414): 2 KiB pages;
 * half-words only; DS5319 times: tprog 52.5/70 us, page and mass erase
 * 20/40 ms whatever the array size. */
static void test_f1_pages_units_and_times(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x410, 128, false, &g);
  assert_int_equal(g.nsectors, 128);
  sector_is(&g, 0, 0x08000000, 1024, 0, 0);
  sector_is(&g, 127, 0x0801FC00, 1024, 127, 0);
  assert_int_equal(g.prog_unit, 2);
  assert_int_equal(lf_geometry_unit_log2(&g, 2), 1);
  assert_int_equal(lf_geometry_unit_log2(&g, 4), -1);
  assert_int_equal(lf_geometry_prog_ns(&g, 2, false), 52500);
  assert_int_equal(lf_geometry_prog_ns(&g, 2, true), 70 * US);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[5], 2, false), 20 * MS);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[5], 2, true), 40 * MS);
  assert_int_equal(lf_geometry_mass_ns(&g, 2, false), 20 * MS);
  geometry(0x410, 64, false, &g); /* F103C8 */
  assert_int_equal(g.nsectors, 64);
  assert_int_equal(lf_geometry_mass_ns(&g, 2, true), 40 * MS);
  geometry(0x414, 256, false, &g); /* F103RC */
  assert_int_equal(g.nsectors, 128);
  sector_is(&g, 1, 0x08000800, 2048, 1, 0);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[1], 2, false), 20 * MS);
  geometry(0x414, 512, false, &g);
  assert_int_equal(g.nsectors, 256);
  lf_geometry_free(&g); /* the failing calls below leave g empty */
  assert_int_equal(lf_line_geometry(S, NULL, 0x410, 256, false, &g), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "flash: STM32F10x medium density: a 256 KiB array does not fit the "
                                     "line (1 KiB pages, at most 128 KiB)");
  assert_int_equal(lf_line_geometry(S, NULL, 0x410, 128, true, &g), LF_EINVAL);
  assert_int_equal(lf_line_geometry(S, NULL, 0x412, 32, false, &g), LF_ENOTSUP);
  assert_non_null(strstr(lf_err_msg(S), "STM32F10x low density (DEV_ID 0x412) is not supported yet"));
  lf_geometry_free(&g);
}

/* 65 KB on the F103RB: 65 pages x 20 ms + 33280 half-words x 52.5 us =
 * 1.3 s + 1.7472 s = 3.0472 s; a mass erase (20 ms + 1.7472 s) is cheaper
 * but loses pages 65-127: auto stays with pages, "fastest" takes it. On the
 * F103RC: 33 pages of 2 KiB: 0.66 s + 1.7472 s. A full 128 KiB image loses
 * nothing: auto takes the mass erase (20 ms + 65536 x 52.5 us). */
static void test_f1_65k_floors(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x410, 128, false, &g);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 3047200000ull);
  assert_int_equal(p->sum.chip_cost_ns, 1767200000ull);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  assert_non_null(p->sum.auto_note);
  finalize(p);
  assert_int_equal(p->sum.erased, 65);
  assert_int_equal(p->sum.program_words, 33280);
  assert_int_equal(p->sum.floor_ns, 3047200000ull);
  assert_int_equal(p->sector[64].nprog, 1);
  range_is(&p->sector[64].prog[0], 0x08010000, 1024);
  lf_plan_free(p);
  set.erase = LF_ERASE_FASTEST;
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  assert_int_equal(p->sum.floor_ns, 1767200000ull);
  lf_plan_free(p);
  set.erase = LF_ERASE_AUTO;
  geometry(0x414, 256, false, &g);
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.erased, 33);
  assert_int_equal(p->sum.floor_ns, 660 * MS + 1747200000ull);
  lf_plan_free(p);
  img_free(&m);
  geometry(0x410, 128, false, &g);
  img_add(&m, 0x08000000, 128 * 1024, -1);
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.erase_used, LF_ERASE_CHIP);
  assert_int_equal(p->sum.floor_ns, 20 * MS + 65536ull * 52500);
  assert_int_equal(p->sum.sector_cost_ns, 128 * 20 * MS + 65536ull * 52500);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

/* ---- STM32L4 (stm32-f1-l4-h7-targets.md 1.2, 2.2, 4.4, 6) ---- */

/* L47x/L48x: 1 MiB always two banks of 256 pages of 2 KiB (bank 2 numbered
 * from 256); 512 KiB one bank or, with DUALBANK, two of 128 pages; double
 * words only; DS10198 times: tprog 81.69/90.76 us, page 22.02/24.47 ms,
 * mass 22.13/24.59 ms whatever the size. */
static void test_l4_banks_units_and_times(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x415, 1024, false, &g);
  assert_int_equal(g.nsectors, 512);
  assert_int_equal(g.nbanks, 2);
  sector_is(&g, 255, 0x0807F800, 2048, 255, 0);
  sector_is(&g, 256, 0x08080000, 2048, 256, 1);
  assert_int_equal(g.prog_unit, 8);
  assert_int_equal(lf_geometry_unit_log2(&g, 4), -1);
  assert_int_equal(lf_geometry_prog_ns(&g, 8, false), 81690);
  assert_int_equal(lf_geometry_prog_ns(&g, 8, true), 90760);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[300], 8, false), 22020 * US);
  assert_int_equal(lf_geometry_erase_ns(&g, &g.sector[300], 8, true), 24470 * US);
  assert_int_equal(lf_geometry_mass_ns(&g, 8, false), 22130 * US);
  assert_int_equal(g.nregions, 2); /* main array + OTP */
  assert_int_equal(g.region[1].start, 0x1FFF7000u);
  geometry(0x415, 512, false, &g);
  assert_int_equal(g.nbanks, 1);
  assert_int_equal(g.nsectors, 256);
  geometry(0x415, 512, true, &g);
  assert_int_equal(g.nbanks, 2);
  sector_is(&g, 128, 0x08040000, 2048, 256, 1);
  assert_int_equal(lf_geometry_mass_ns(&g, 8, true), 24590 * US);
  lf_geometry_free(&g); /* the failing calls below leave g empty */
  assert_int_equal(lf_line_geometry(S, NULL, 0x415, 2048, false, &g), LF_EINVAL);
  assert_string_equal(lf_err_msg(S), "flash: STM32L47x/L48x: a 2048 KiB array does not fit the line (256, "
                                     "512 or 1024 KiB)");
  assert_int_equal(lf_line_geometry(S, NULL, 0x435, 256, false, &g), LF_ENOTSUP);
  assert_non_null(strstr(lf_err_msg(S), "STM32L43x/L44x (DEV_ID 0x435) is not supported yet"));
  lf_geometry_free(&g);
}

/* 65 KB on the L476: 33 pages x 22.02 ms + 8320 double words x 81.69 us =
 * 726.66 ms + 679.6608 ms; a mass erase (22.13 ms + 679.6608 ms) loses the
 * rest of the 1 MiB: auto keeps to pages. 8 KiB across the bank boundary:
 * pages 254, 255 of bank 1 and 256, 257 of bank 2. */
static void test_l4_65k_floor_and_bank_boundary(void **state)
{
  lf_flash_geometry g = {0};
  geometry(0x415, 1024, false, &g);
  img m = {0};
  img_add(&m, 0x08000000, 66560, -1);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  lf_plan *p = build(&m, &g, &set);
  assert_int_equal(p->sum.sector_cost_ns, 1406320800ull);
  assert_int_equal(p->sum.chip_cost_ns, 701790800ull);
  assert_int_equal(p->sum.erase_used, LF_ERASE_SECTOR);
  finalize(p);
  assert_int_equal(p->sum.erased, 33);
  assert_int_equal(p->sum.program_words, 8320);
  assert_int_equal(p->sum.floor_ns, 1406320800ull);
  lf_plan_free(p);
  img_free(&m);
  img_add(&m, 0x0807F000, 8192, -1);
  p = build(&m, &g, &set);
  finalize(p);
  assert_int_equal(p->sum.erased, 4);
  for (unsigned i = 254; i < 258; i++)
    assert_int_equal(p->sector[i].action, LF_SECTOR_PROGRAM);
  assert_int_equal(p->sector[256].sector->bank, 1);
  range_is(&p->sector[256].prog[0], 0x08080000, 2048);
  lf_plan_free(p);
  img_free(&m);
  lf_geometry_free(&g);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_h743_geometry_and_times),
    cmocka_unit_test(test_h743_floor_is_the_slower_bank),
    cmocka_unit_test(test_described_parallel_banks),
    cmocka_unit_test(test_f76x_layouts),
    cmocka_unit_test(test_other_families),
    cmocka_unit_test(test_family_errors_and_bank_option),
    cmocka_unit_test(test_family_times_from_datasheet_rows),
    cmocka_unit_test(test_described_part_plans_unchanged),
    cmocka_unit_test(test_65k_image_on_f767_floor),
    cmocka_unit_test(test_chip_erase_mode),
    cmocka_unit_test(test_auto_picks_chip_only_when_cheaper),
    cmocka_unit_test(test_smart_flash_skips_unchanged_sectors),
    cmocka_unit_test(test_erase_avoid_blank_sectors),
    cmocka_unit_test(test_bits_only_sectors),
    cmocka_unit_test(test_bits_only_f1_rule),
    cmocka_unit_test(test_keep_unwritten_reads_and_writes_back),
    cmocka_unit_test(test_program_ranges_skip_erased_runs),
    cmocka_unit_test(test_program_ranges_match_unit_scan),
    cmocka_unit_test(test_erased_sector_crcs),
    cmocka_unit_test(test_dual_bank_and_f4_boundaries),
    cmocka_unit_test(test_plan_input_errors_and_verify_off),
    cmocka_unit_test(test_protect_region_in_touched_sector),
    cmocka_unit_test(test_protect_own_sector_and_chip_erase),
    cmocka_unit_test(test_protect_spanning_end_and_errors),
    cmocka_unit_test(test_auto_never_surprise_mass_erase),
    cmocka_unit_test(test_f1_pages_units_and_times),
    cmocka_unit_test(test_f1_65k_floors),
    cmocka_unit_test(test_l4_banks_units_and_times),
    cmocka_unit_test(test_l4_65k_floor_and_bank_boundary),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
