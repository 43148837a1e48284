/* STM32L476RG SoC model (soc_stm32l4.c): identity and memory map, the flash
 * controller (keys, double-word programming with PROGERR/SIZERR/PGAERR/
 * PGSERR, the ECC rule and its all-zero exception, fast programming with
 * MISERR/FASTERR, page erase by PNB/BKER, bank and mass erase, read-while-
 * write), option registers (OPTSTRT, OBL_LAUNCH reload, WRP areas, RDP and
 * its regression), OTP, the programmable CRC unit, MSI/PLL clocks, GPIO with
 * BRR, IWDG, DBGMCU, the demo blink and the state file. Rows cited are
 * stm32-f1-l4-h7-targets.md sections ("R n.m"); times from the l4_*
 * parameter rows: tprog 81.69 us, page erase 22.02 ms, mass 22.13 ms, fast
 * row 1.91 ms, option change 22.8 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "bench/cortexm.h"
#include "bench/demo_image.h"
#include "bench/params.h"
#include "bench/soc.h"
#include "soc_demo_run.h"

#define FLASH 0x08000000u
#define BANK2 0x08080000u
#define KEYR 0x40022008u
#define OPTKEYR 0x4002200Cu
#define SR 0x40022010u
#define CR 0x40022014u
#define OPTR 0x40022020u
#define WRP1AR 0x4002202Cu
#define WRP2AR 0x4002204Cu
#define RCC 0x40021000u
#define CRC 0x40023000u
#define GPIOA 0x48000000u
#define DBGMCU 0xE0042000u
#define OTP 0x1FFF7000u
#define SRAM2 0x10000000u
#define MS 1000000ull
#define US 1000ull
#define TPROG 81690u
#define TPAGE 22020000u
#define TMASS 22130000u
#define TOPT 22800000u

#define PG (1u << 0)
#define PER (1u << 1)
#define MER1 (1u << 2)
#define PNB(n) ((uint32_t)(n) << 3)
#define BKER (1u << 11)
#define MER2 (1u << 15)
#define STRT (1u << 16)
#define OPTSTRT (1u << 17)
#define FSTPG (1u << 18)
#define EOPIE (1u << 24)
#define OBL_LAUNCH (1u << 27)
#define OPTLOCK (1u << 30)
#define LOCK (1u << 31)
#define EOP (1u << 0)
#define PROGERR (1u << 3)
#define WRPERR (1u << 4)
#define PGAERR (1u << 5)
#define SIZERR (1u << 6)
#define PGSERR (1u << 7)
#define MISERR (1u << 8)
#define FASTERR (1u << 9)
#define BSY (1u << 16)

static lf_bench_params P;

static lf_soc *mk(void)
{
  char err[256];
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new("stm32l476rg", &P, NULL, err, sizeof err);
  assert_non_null(s);
  return s;
}

static uint32_t rdm(lf_soc *s, lf_bus_master m, uint32_t a, unsigned size, uint64_t *t)
{
  uint32_t v = 0xDEADBEEF;
  assert_int_equal(lf_soc_access(s, m, a, size, false, &v, t), LF_BUS_OK);
  return v;
}

static uint32_t rd(lf_soc *s, uint32_t a, uint64_t t) { return rdm(s, LF_BUS_DEBUG, a, 4, &t); }

static int acc(lf_soc *s, uint32_t a, unsigned size, bool w, uint32_t v, uint64_t t)
{
  return lf_soc_access(s, LF_BUS_DEBUG, a, size, w, &v, &t);
}

static void wrn(lf_soc *s, uint32_t a, unsigned size, uint32_t v, uint64_t t)
{
  assert_int_equal(acc(s, a, size, true, v, t), LF_BUS_OK);
}

static void wr(lf_soc *s, uint32_t a, uint32_t v, uint64_t t) { wrn(s, a, 4, v, t); }

static void unlock(lf_soc *s, uint64_t t)
{
  wr(s, KEYR, 0x45670123u, t);
  wr(s, KEYR, 0xCDEF89ABu, t);
  assert_int_equal(rd(s, CR, t) & LOCK, 0);
}

/* PG + one double word; returns the end of BSY. */
static uint64_t program(lf_soc *s, uint32_t a, uint32_t lo, uint32_t hi, uint64_t t)
{
  wr(s, CR, PG, t);
  wr(s, a, lo, t);
  wr(s, a + 4, hi, t);
  return t + TPROG;
}

static uint64_t set_options(lf_soc *s, uint32_t optr, uint32_t wrp1a, uint64_t t)
{
  wr(s, OPTKEYR, 0x08192A3Bu, t);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, t);
  assert_int_equal(rd(s, CR, t) & OPTLOCK, 0);
  wr(s, OPTR, optr, t);
  wr(s, WRP1AR, wrp1a, t);
  wr(s, CR, OPTSTRT, t);
  assert_int_equal(rd(s, SR, t + TOPT - 1) & BSY, BSY);
  return t + TOPT;
}

/* R 1.2, 2.2: identity, regions, flash size, UID, OTP and option images. */
static void l4_1_identity_regions_and_info(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t dpidr, targetid, ap, base;
  lf_soc_debug_ids(s, &dpidr, &targetid, &ap, &base);
  assert_int_equal(dpidr, 0x2BA01477u);
  assert_int_equal(ap, 0x24770011u);
  assert_int_equal(lf_soc_cpuid(s), 0x410FC241u);
  assert_int_equal(rd(s, DBGMCU, 0), 0x10076415u);
  uint64_t t = 0;
  assert_int_equal(rdm(s, LF_BUS_CORE, DBGMCU, 4, &t), 0x10076415u); /* pyOCD's algorithm reads it */
  const lf_soc_region *r;
  assert_int_equal(lf_soc_regions(s, &r), 5);
  assert_int_equal(r[1].base, FLASH);
  assert_int_equal(r[1].size, 1u << 20);
  assert_int_equal(r[2].base, SRAM2);
  assert_int_equal(r[4].size, 96u << 10);
  assert_int_equal(rdm(s, LF_BUS_DEBUG, 0x1FFF75E0u, 2, &t), 1024);
  assert_int_equal(rd(s, 0x1FFF7000u, 0), 0xFFFFFFFFu); /* OTP erased */
  assert_int_equal(rd(s, 0x1FFF7800u, 0), 0xFFEFF8AAu); /* OPTR image: value, complement */
  assert_int_equal(rd(s, 0x1FFF7804u, 0), 0x00100755u);
  assert_int_equal(rd(s, OPTR, 0), 0xFFEFF8AAu);
  assert_int_equal(rd(s, CR, 0), LOCK | OPTLOCK);
  assert_int_equal(lf_soc_sysclk_hz(s), 4e6);
  lf_soc_free(s);
}

/* R 4.2, 4.3, 12 #10, #11: double words (programming starts at the second
 * word), SIZERR, PGAERR, PGSERR with PG = 0 and with a stale flag, the ECC
 * rule (PROGERR, nothing written) and its all-zero exception. */
static void l4_4_double_words_and_their_errors(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, FLASH + 0x10, 0x11111111u, 0x22222222u, 0);
  assert_int_equal(rd(s, SR, t - 1) & BSY, BSY);
  assert_int_equal(rd(s, SR, t) & (BSY | EOP), 0); /* EOP only with EOPIE */
  assert_int_equal(rd(s, FLASH + 0x14, t), 0x22222222u);
  wr(s, CR, PG | EOPIE, t);
  wr(s, FLASH + 0x18, 1, t);
  assert_int_equal(rd(s, SR, t) & BSY, 0); /* one word: nothing yet */
  wr(s, FLASH + 0x1C, 2, t);
  t += TPROG;
  assert_int_equal(rd(s, SR, t) & EOP, EOP);
  wr(s, SR, EOP, t);
  /* the same double word again: PROGERR, unchanged; then every store PGSERR */
  t = program(s, FLASH + 0x10, 0x0F0F0F0Fu, 0, t);
  assert_int_equal(rd(s, SR, t) & (PROGERR | BSY), PROGERR);
  assert_int_equal(rd(s, FLASH + 0x10, t), 0x11111111u);
  wr(s, FLASH + 0x40, 0, t);
  assert_int_equal(rd(s, SR, t) & PGSERR, PGSERR);
  wr(s, SR, PROGERR | PGSERR, t);
  /* all zero over a programmed double word is allowed */
  t = program(s, FLASH + 0x10, 0, 0, t);
  assert_int_equal(rd(s, SR, t) & 0x3FAu, 0);
  assert_int_equal(rd(s, FLASH + 0x10, t), 0);
  /* half-word store: SIZERR; high word first: PGAERR */
  wr(s, CR, PG, t);
  wrn(s, FLASH + 0x20, 2, 0x1234, t);
  assert_int_equal(rd(s, SR, t) & SIZERR, SIZERR);
  wr(s, SR, SIZERR, t);
  wr(s, FLASH + 0x24, 0x1234, t);
  assert_int_equal(rd(s, SR, t) & PGAERR, PGAERR);
  wr(s, SR, PGAERR, t);
  wr(s, FLASH + 0x20, 1, t);
  wr(s, FLASH + 0x2C, 2, t); /* second word of another double word */
  assert_int_equal(rd(s, SR, t) & PGAERR, PGAERR);
  wr(s, SR, PGAERR, t);
  /* PG = 0: PGSERR */
  wr(s, CR, 0, t);
  wr(s, FLASH + 0x30, 1, t);
  assert_int_equal(rd(s, SR, t) & PGSERR, PGSERR);
  assert_int_equal(rd(s, FLASH + 0x20, t), 0xFFFFFFFFu);
  assert_int_equal(rd(s, FLASH + 0x30, t), 0xFFFFFFFFu);
  lf_soc_free(s);
}

/* R 4.2, 4.3, 6: page erase by PNB + BKER (22.02 ms); a read of the other
 * bank does not wait (read-while-write), of the same bank it does; MER1,
 * MER2 and both (22.13 ms); PER with MER: PGSERR. */
static void l4_4_page_bank_and_mass_erase_rww(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, BANK2 + 5 * 2048, 1, 2, 0);
  t = program(s, FLASH + 5 * 2048, 3, 4, t);
  wr(s, CR, PER | PNB(5) | BKER | STRT, t);
  uint64_t tr = t + MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, FLASH + 5 * 2048, 4, &tr), 3); /* bank 1: at once */
  assert_int_equal(tr, t + MS);
  assert_int_equal(rdm(s, LF_BUS_DEBUG, BANK2 + 5 * 2048, 4, &tr), 0xFFFFFFFFu);
  assert_int_equal(tr, t + TPAGE); /* bank 2: after the erase */
  t += TPAGE;
  assert_int_equal(lf_soc_counters_get(s)->flash_sector_erases, 1);
  /* global page 256 + 7 as "page << 3" sets BKER (R 4.2 note) */
  t = program(s, BANK2 + 7 * 2048, 5, 6, t);
  wr(s, CR, PER | PNB(263 & 0xFF) | ((263u << 3) & BKER) | STRT, t);
  t += TPAGE;
  assert_int_equal(rd(s, BANK2 + 7 * 2048, t), 0xFFFFFFFFu);
  /* PER + MER1: nothing runs */
  wr(s, CR, PER | MER1 | STRT, t);
  assert_int_equal(rd(s, SR, t) & (PGSERR | BSY), PGSERR);
  wr(s, SR, PGSERR, t);
  /* bank 2 alone keeps bank 1 */
  t = program(s, BANK2, 7, 8, t);
  wr(s, CR, MER2 | STRT, t);
  assert_int_equal(rd(s, SR, t + TMASS - 1) & BSY, BSY);
  t += TMASS;
  assert_int_equal(rd(s, BANK2, t), 0xFFFFFFFFu);
  assert_int_equal(rd(s, FLASH + 5 * 2048, t), 3);
  wr(s, CR, MER1 | MER2 | STRT, t);
  t += TMASS;
  assert_int_equal(rd(s, FLASH + 5 * 2048, t), 0xFFFFFFFFu);
  assert_int_equal(lf_soc_counters_get(s)->flash_mass_erases, 2);
  lf_soc_free(s);
}

/* R 4.3, 6: fast programming: a row of 32 double words from 256-byte
 * alignment in 1.91 ms when the data come in time; a late double word:
 * MISERR + FASTERR; a row start off the row: PGAERR + FASTERR; with
 * l4_fast_needs_mass_erase a page-erased bank refuses (PGSERR). */
static void l4_4_fast_programming_rows(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  wr(s, CR, FSTPG, 0);
  uint64_t t = 1000;
  for (unsigned i = 0; i < 64; i++) {
    uint32_t v = 0xA5000000u | i;
    assert_int_equal(lf_soc_access(s, LF_BUS_CORE, FLASH + 0x100 + 4 * i, 4, true, &v, &t), LF_BUS_OK);
  }
  assert_int_equal(rd(s, SR, t) & BSY, BSY);
  assert_int_equal(rd(s, SR, 1000 + 1910 * US - 1) & BSY, BSY);
  assert_int_equal(rd(s, SR, 1000 + 1910 * US) & (BSY | 0x3FAu), 0);
  assert_int_equal(rd(s, FLASH + 0x1FC, 1000 + 1910 * US), 0xA500003Fu);
  /* a late double word */
  t = 10 * MS;
  wr(s, FLASH + 0x200, 1, t);
  wr(s, FLASH + 0x204, 2, t);
  wr(s, FLASH + 0x208, 3, t + MS); /* the first one ended at t + 59.7 us */
  wr(s, FLASH + 0x20C, 4, t + MS);
  assert_int_equal(rd(s, SR, t + MS) & (MISERR | FASTERR), MISERR | FASTERR);
  assert_int_equal(rd(s, FLASH + 0x208, t + 2 * MS), 0xFFFFFFFFu);
  wr(s, SR, MISERR | FASTERR, t + 2 * MS);
  wr(s, FLASH + 0x308, 1, t + 2 * MS); /* not on a row start */
  assert_int_equal(rd(s, SR, t + 2 * MS) & (PGAERR | FASTERR), PGAERR | FASTERR);
  lf_soc_free(s);
  s = mk();
  P.l4_fast_needs_mass_erase = 1;
  unlock(s, 0);
  wr(s, CR, FSTPG, 0);
  wr(s, FLASH, 1, 0);
  assert_int_equal(rd(s, SR, 0) & PGSERR, PGSERR);
  wr(s, SR, PGSERR, 0);
  wr(s, CR, MER1 | STRT, 0);
  wr(s, CR, FSTPG, TMASS);
  wr(s, FLASH, 1, TMASS);
  wr(s, FLASH + 4, 2, TMASS);
  assert_int_equal(rd(s, SR, TMASS) & 0x3FAu, 0);
  lf_soc_free(s);
}

/* R 4.3, 12 #6: a key while unlocked locks until reset (bus error); CR
 * ignores writes while locked; OPTKEYR only after CR is unlocked. */
static void l4_4_keys(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, OPTKEYR, 0x08192A3Bu, 0);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, 0);
  assert_int_equal(rd(s, CR, 0) & OPTLOCK, OPTLOCK);
  unlock(s, 0);
  assert_int_equal(acc(s, KEYR, 4, true, 0x45670123u, 0), LF_BUS_ERR);
  assert_int_equal(rd(s, CR, 0) & LOCK, LOCK);
  assert_int_equal(acc(s, KEYR, 4, true, 0x45670123u, 0), LF_BUS_ERR);
  wr(s, CR, PG, 0);
  assert_int_equal(rd(s, CR, 0) & PG, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, MS);
  unlock(s, MS);
  lf_soc_free(s);
}

/* R 4.4: options take effect after OBL_LAUNCH (the chip resets at once:
 * lf_soc_watchdog_deadline), not after NRST; WRP1A pages 2-3 refuse erase
 * and program (WRPERR); RDP 1 (0xBB) with a debugger; back to 0 erases both
 * banks and SRAM2. */
static void l4_4_options_wrp_rdp_and_regression(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, BANK2 + 0x100, 9, 9, 0);
  t = set_options(s, 0xFFEFF8AAu, 0x00030002u, t); /* WRP1A: pages 2..3 */
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  unlock(s, t);
  t = program(s, FLASH + 2 * 2048, 1, 1, t);
  assert_int_equal(rd(s, SR, t) & WRPERR, 0); /* not loaded by a system reset */
  wr(s, OPTKEYR, 0x08192A3Bu, t);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, t);
  wr(s, CR, OBL_LAUNCH, t);
  assert_int_equal(lf_soc_watchdog_deadline(s), t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t); /* what the board does at the deadline */
  assert_int_equal(lf_soc_watchdog_deadline(s), UINT64_MAX);
  unlock(s, t);
  t = program(s, FLASH + 3 * 2048, 1, 1, t);
  assert_int_equal(rd(s, SR, t) & WRPERR, WRPERR);
  wr(s, SR, WRPERR, t);
  wr(s, CR, PER | PNB(2) | STRT, t);
  assert_int_equal(rd(s, SR, t) & (WRPERR | BSY), WRPERR);
  wr(s, SR, WRPERR, t);
  /* RDP 1 */
  t = set_options(s, 0xFFEFF8BBu, 0xFF00FFFFu, t);
  lf_soc_reset(s, LF_SOC_RESET_POWER, t);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  assert_int_equal(acc(s, SRAM2 + 0x10, 4, true, 0, t), LF_BUS_ERR); /* nor SRAM2 */
  uint32_t v;
  uint64_t tt = t;
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, BANK2 + 0x100, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, SRAM2, 4, false, &v, &tt), LF_BUS_ERR);
  tt = t;
  assert_int_equal(rdm(s, LF_BUS_CORE, BANK2 + 0x100, 4, &tt), 9); /* no debugger yet */
  lf_soc_debug_connected(s);
  assert_true(lf_soc_flash_locked(s));
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, BANK2 + 0x100, 4, false, &v, &tt), LF_BUS_ERR);
  /* back to 0: 22.8 ms + 22.13 ms, both banks and SRAM2 erased */
  unlock(s, t);
  t = set_options(s, 0xFFEFF8AAu, 0xFF00FFFFu, t);
  assert_int_equal(rd(s, SR, t + TMASS - 1) & BSY, BSY);
  t += TMASS;
  wr(s, CR, OBL_LAUNCH, t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  assert_int_equal(rd(s, BANK2 + 0x100, t), 0xFFFFFFFFu);
  assert_int_equal(rd(s, SRAM2, t), 0);
  /* level 2: further option programming is refused silently */
  unlock(s, t);
  t = set_options(s, 0xFFEFF8CCu, 0xFF00FFFFu, t);
  wr(s, CR, OBL_LAUNCH, t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 2);
  unlock(s, t);
  wr(s, OPTKEYR, 0x08192A3Bu, t);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, t);
  wr(s, OPTR, 0xFFEFF8AAu, t);
  wr(s, CR, OPTSTRT, t);
  assert_int_equal(rd(s, OPTR, t) & 0xFF, 0xCC);
  lf_soc_free(s);
}

/* R 2.2: OTP programs like flash (double words, ECC rule) and is never erased. */
static void l4_2_otp(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, OTP + 8, 0x12345678u, 0x9ABCDEF0u, 0);
  assert_int_equal(rd(s, OTP + 12, t), 0x9ABCDEF0u);
  t = program(s, OTP + 8, 1, 1, t);
  assert_int_equal(rd(s, SR, t) & PROGERR, PROGERR);
  wr(s, SR, PROGERR, t);
  wr(s, CR, MER1 | MER2 | STRT, t);
  assert_int_equal(rd(s, OTP + 8, t + TMASS), 0x12345678u);
  lf_soc_free(s);
}

/* R 7: the programmable unit: POL/INIT/REV_IN/REV_OUT give zlib's CRC. */
static void l4_7_crc_unit_zlib_recipe(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, RCC + 0x48, rd(s, RCC + 0x48, 0) | (1u << 12), 0);
  assert_int_equal(rd(s, CRC + 0x14, 0), 0x04C11DB7u);
  uint8_t d[64];
  for (unsigned i = 0; i < sizeof d; i++)
    d[i] = (uint8_t)(i * 13 + 1);
  wr(s, CRC + 0x08, 0x60u | 0x80u | 1u, 0);
  for (unsigned i = 0; i < sizeof d; i += 4)
    wr(s, CRC, (uint32_t)d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16 | (uint32_t)d[i + 3] << 24, 0);
  assert_int_equal(~rd(s, CRC, 0), (uint32_t)crc32(0, d, sizeof d));
  lf_soc_free(s);
}

/* RCC: MSI ranges (OpenOCD's reset-init writes RCC_CR 0x99: MSIRGSEL, 24
 * MHz), HSI16, the PLL (MSI 4 MHz / 1 x 40 / 2 = 80 MHz). */
static void l4_8_clocks_msi_hsi_pll(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, RCC, 0) & 3u, 3u); /* MSION, MSIRDY */
  wr(s, RCC, 0x99u, 0);
  assert_int_equal(lf_soc_sysclk_hz(s), 24e6);
  wr(s, RCC, 0x99u | (1u << 8), 0);
  assert_int_equal(rd(s, RCC, 0) & (1u << 10), 1u << 10);
  wr(s, RCC + 8, 1u, 0);
  assert_int_equal(lf_soc_sysclk_hz(s), 16e6);
  wr(s, RCC, 0x61u | (1u << 24), 0);                 /* MSI 4 MHz, PLLON */
  wr(s, RCC + 0x0C, 1u | (40u << 8) | (1u << 24), 0); /* MSI, M 1, N 40, R 2 */
  wr(s, RCC + 8, 3u, MS);
  assert_int_equal(rd(s, RCC + 8, MS) & 0xCu, 0xCu);
  assert_int_equal(lf_soc_sysclk_hz(s), 80e6);
  lf_soc_free(s);
}

/* GPIO: AHB2ENR gate, PA reset 0xABFFFFFF (analog), BSRR and the L4's BRR. */
static void l4_gpio_brr_and_reset_values(void **state)
{
  (void)state;
  lf_soc *s = mk();
  led_changes = 0;
  lf_soc_set_gpio_cb(s, on_gpio, NULL);
  assert_int_equal(rd(s, GPIOA, 0), 0);
  wr(s, RCC + 0x4C, 1u, 0);
  assert_int_equal(rd(s, GPIOA, 0), 0xABFFFFFFu);
  wr(s, GPIOA + 0x18, 0x20u, 0);
  assert_int_equal(led_odr, 0x20u);
  wr(s, GPIOA + 0x28, 0x20u, 0);
  assert_int_equal(led_odr, 0);
  assert_int_equal(led_changes, 2);
  lf_soc_free(s);
}

/* The committed L476 demo (blink-ld2.c) toggles LD2 every 100 ms at 4 MHz. */
static void l4_11_demo_blinks_ld2(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = 0;
  uint8_t img[128];
  memset(img, 0xFF, sizeof img);
  assert_true(lf_demo_l476_bin_len <= sizeof img);
  memcpy(img, lf_demo_l476_bin, lf_demo_l476_bin_len);
  for (unsigned i = 0; i < (lf_demo_l476_bin_len + 7) / 8 * 8; i += 8) {
    uint32_t lo, hi;
    memcpy(&lo, img + i, 4);
    memcpy(&hi, img + i + 4, 4);
    t = program(s, FLASH + i, lo, hi, t);
  }
  wr(s, CR, LOCK, t);
  lf_core *c = soc_demo_run(s, &P, 10 * MS, 1060 * MS);
  assert_int_equal(led_changes, 10);
  assert_int_equal(lf_core_reg(c, 13), 0x20018000u);
  lf_core_free(c);
  lf_soc_free(s);
}

/* IWDG at 32 kHz; a hardware watchdog with OPTR.IWDG_SW = 0 (after reload). */
static void l4_iwdg_and_dbgmcu(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, 0x40003000u, 0xCCCC, 0);
  assert_int_equal(lf_soc_watchdog_deadline(s), 512 * MS);
  wr(s, DBGMCU + 8, 0x86E01C3Fu, 0); /* pyOCD's stm32l475xx writes */
  wr(s, DBGMCU + 8, 0x22u, 0);
  assert_int_equal(rd(s, DBGMCU + 8, 0), 0x22u);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, MS);
  assert_int_equal(rd(s, DBGMCU + 8, MS), 0x22u);
  unlock(s, MS);
  uint64_t t = set_options(s, 0xFFEEF8AAu, 0xFF00FFFFu, MS); /* IWDG_SW = 0 */
  wr(s, CR, OBL_LAUNCH, t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_watchdog_deadline(s), t + 512 * MS);
  lf_soc_free(s);
}

/* State file round trip (array, OTP, options); power loss mid-page-erase. */
static void l4_state_file_and_power_loss(void **state)
{
  (void)state;
  char err[256];
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, BANK2 + 0x800, 0x600DF00Du, 1, 0);
  t = program(s, OTP, 2, 3, t);
  t = set_options(s, 0xFFEFF8AAu, 0x00050004u, t);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), 0);
  lf_soc *d = mk();
  rewind(f);
  assert_int_equal(lf_soc_load_state(d, f, err, sizeof err), 0);
  lf_soc_reset(d, LF_SOC_RESET_POWER, 0);
  assert_int_equal(rd(d, BANK2 + 0x800, 0), 0x600DF00Du);
  assert_int_equal(rd(d, OTP + 4, 0), 3);
  assert_int_equal(rd(d, WRP1AR, 0), 0xFF05FF04u); /* reserved bits read 1 */
  fclose(f);
  unlock(d, 0);
  wr(d, CR, PER | PNB(1) | BKER | STRT, 0);
  lf_soc_power_loss(d, 10 * MS);
  uint8_t page[64];
  assert_int_equal(lf_soc_peek(d, BANK2 + 0x800, page, sizeof page), 0);
  unsigned ff = 0;
  for (unsigned i = 0; i < sizeof page; i++)
    ff += page[i] == 0xFF;
  assert_true(ff < 16);
  lf_soc_free(d);
  lf_soc_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(l4_1_identity_regions_and_info),
    cmocka_unit_test(l4_4_double_words_and_their_errors),
    cmocka_unit_test(l4_4_page_bank_and_mass_erase_rww),
    cmocka_unit_test(l4_4_fast_programming_rows),
    cmocka_unit_test(l4_4_keys),
    cmocka_unit_test(l4_4_options_wrp_rdp_and_regression),
    cmocka_unit_test(l4_2_otp),
    cmocka_unit_test(l4_7_crc_unit_zlib_recipe),
    cmocka_unit_test(l4_8_clocks_msi_hsi_pll),
    cmocka_unit_test(l4_gpio_brr_and_reset_values),
    cmocka_unit_test(l4_11_demo_blinks_ld2),
    cmocka_unit_test(l4_iwdg_and_dbgmcu),
    cmocka_unit_test(l4_state_file_and_power_loss),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
