/* STM32F429ZI SoC model (NUCLEO-F429ZI): memory map with the boot alias,
 * identity, dual-bank flash (SNB encoding, erase times, bank/mass erase),
 * OPTCR1 write protection of bank 2, option image, OTP, F4 CRC unit, RCC,
 * DBGMCU, state file with part check. Rows cited are stm32f4-target.md
 * sections ("F4 n.m"); times come from the flash_f4_* parameter rows
 * (params.c): 16 KiB x8 400 ms / x32 250 ms, 64 KiB x16 700 ms, 128 KiB x8
 * 2 s, mass (2 MiB) x32 8 s / x8 16 s, one bank = half, option write 50 ms,
 * tPROG 16 us. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bench/cortexm.h"
#include "bench/demo_image.h"
#include "bench/params.h"
#include "bench/soc.h"

#define FLASH 0x08000000u
#define BANK2 0x08100000u
#define ACR 0x40023C00u
#define KEYR 0x40023C04u
#define OPTKEYR 0x40023C08u
#define SR 0x40023C0Cu
#define CR 0x40023C10u
#define OPTCR 0x40023C14u
#define OPTCR1 0x40023C18u
#define RCC 0x40023800u
#define CRC 0x40023000u
#define GPIOB 0x40020400u
#define DBGMCU 0xE0042000u
#define MS 1000000ull
#define US 1000ull

#define PG 0x1u
#define SER 0x2u
#define MER 0x4u
#define MER1 0x8000u /* RM0090 name of bit 15 (bank 2); CMSIS MER2 */
#define STRT 0x10000u
#define ERRIE 0x2000000u
#define LOCK 0x80000000u
#define PSIZE(x) ((uint32_t)(x) << 8)
#define SNB(n) ((uint32_t)(n) << 3)
#define BSY 0x10000u
#define WRPERR 0x10u
#define PGSERR 0x80u
#define OPERR 0x2u

static lf_bench_params P;

static lf_soc *mk_part(const char *part)
{
  char err[256];
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new(part, &P, NULL, err, sizeof err);
  assert_non_null(s);
  return s;
}

static lf_soc *mk(void) { return mk_part("stm32f429zi"); }

static uint32_t rdm(lf_soc *s, lf_bus_master m, uint32_t a, unsigned size, uint64_t *t)
{
  uint32_t v = 0xDEADBEEF;
  assert_int_equal(lf_soc_access(s, m, a, size, false, &v, t), LF_BUS_OK);
  return v;
}

static uint32_t rdn(lf_soc *s, uint32_t a, unsigned size, uint64_t t)
{
  return rdm(s, LF_BUS_DEBUG, a, size, &t);
}

static uint32_t rd(lf_soc *s, uint32_t a, uint64_t t) { return rdn(s, a, 4, t); }

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

/* PG x32 word store; leaves CR = PG|x32 (unlocked). */
static void program(lf_soc *s, uint32_t a, uint32_t v, uint64_t t)
{
  wr(s, CR, PG | PSIZE(2), t);
  wr(s, a, v, t);
  assert_int_equal(rd(s, SR, t + 16 * US) & 0xF0u, 0);
}

/* OpenOCD's option write order (F4 14.3): OPTCR1 first, then OPTCR, then
 * OPTCR | OPTSTRT. Returns the end of BSY (50 ms option write). */
static uint64_t set_options(lf_soc *s, uint32_t optcr, uint32_t optcr1, uint64_t t)
{
  wr(s, OPTKEYR, 0x08192A3Bu, t);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, t);
  wr(s, OPTCR1, optcr1, t);
  wr(s, OPTCR, optcr & ~3u, t);
  wr(s, OPTCR, (optcr & ~3u) | 2u, t);
  assert_int_equal(rd(s, SR, t + 50 * MS - 1) & BSY, BSY);
  assert_int_equal(rd(s, SR, t + 50 * MS) & BSY, 0);
  return t + 50 * MS;
}

/* F4 2: the regions the core maps; the boot alias shares the flash buffer. */
static void f4_2_regions_boot_alias_ccm_and_sram123(void **state)
{
  (void)state;
  lf_soc *s = mk();
  const lf_soc_region *r;
  size_t n = lf_soc_regions(s, &r);
  static const struct { uint32_t base, size; bool w; } want[] = {
    {0x00000000u, 0x200000u, false}, {0x08000000u, 0x200000u, false},
    {0x10000000u, 0x10000u, true},   {0x1FFF0000u, 0x7000u, false},
    {0x20000000u, 0x1C000u, true},   {0x2001C000u, 0x4000u, true},
    {0x20020000u, 0x10000u, true},   {0x40024000u, 0x1000u, true},
  };
  assert_int_equal(n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(r[i].base, want[i].base);
    assert_int_equal(r[i].size, want[i].size);
    assert_int_equal(r[i].writable, want[i].w);
  }
  assert_ptr_equal(r[0].mem, r[1].mem);
  /* CCM: the debugger reaches it (F4 2 ≈); SRAM1..3 are one contiguous block */
  wr(s, 0x1000FFFCu, 0xCC11CC22u, 0);
  assert_int_equal(rd(s, 0x1000FFFCu, 0), 0xCC11CC22u);
  wr(s, 0x2002FFFCu, 0x5A5AA5A5u, 0);
  assert_int_equal(rd(s, 0x2002FFFCu, 0), 0x5A5AA5A5u);
  uint32_t v = 0;
  uint64_t t = 0;
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, 0x20030000u, 4, false, &v, &t), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, 0x0FFFFFFCu, 4, false, &v, &t), LF_BUS_ERR);
  /* F7 addresses are not the F4's: the F7 flash-size register is a hole */
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, 0x1FF0F442u, 2, false, &v, &t), LF_BUS_ERR);
  lf_soc_free(s);
}

/* F4 1, 10, 12: IDCODE 0x20016419 at DBGMCU, CPUID of the M4F r0p1, flash
 * size 2048 KiB at 0x1FFF7A22, UID at 0x1FFF7A10, debug identity. */
static void f4_1_identity_registers_and_debug_ids(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_string_equal(lf_soc_part(s), "stm32f429zi");
  assert_int_equal(lf_soc_idcode(s), 0x20016419u);
  assert_int_equal(rd(s, DBGMCU, 0) & 0xFFFu, 0x419u);
  assert_int_equal(rd(s, DBGMCU, 0), 0x20016419u);
  assert_int_equal(lf_soc_cpuid(s), 0x410FC241u);
  assert_int_equal(rdn(s, 0x1FFF7A22u, 2, 0), 0x0800);
  assert_int_equal(acc(s, 0x1FFF7A22u, 2, true, 0, 0), LF_BUS_ERR);
  uint8_t u[12];
  assert_int_equal(lf_soc_peek(s, 0x1FFF7A10u, u, 12), 0);
  assert_int_equal(rd(s, 0x1FFF7A14u, 0),
                   (uint32_t)u[4] | (uint32_t)u[5] << 8 | (uint32_t)u[6] << 16 | (uint32_t)u[7] << 24);
  uint32_t dpidr, tid, idr, base;
  lf_soc_debug_ids(s, &dpidr, &tid, &idr, &base);
  assert_int_equal(dpidr, 0x2BA01477u); /* OpenOCD HLA expects exactly this */
  assert_int_equal(tid, 0);             /* DPv1 */
  assert_int_equal(idr, 0x24770011u);
  assert_int_equal(base, 0xE00FF003u);
  lf_soc *f7 = mk_part("stm32f767zi");
  lf_soc_debug_ids(f7, &dpidr, &tid, &idr, &base);
  assert_int_equal(dpidr, 0x5BA02477u);
  assert_int_equal(tid, 0x04510041u);
  assert_int_equal(idr, 0x74770001u);
  assert_int_equal(base, 0xE00FD003u);
  lf_soc_free(f7);
  lf_soc_free(s);
}

/* F4 3.1, 3.2, 3.6, 3.7, 6.1: reset values, ACR cache bits, option image. */
static void f4_3_6_factory_options_acr_and_option_image(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, CR, 0), LOCK);
  assert_int_equal(rd(s, OPTCR, 0), 0x0FFFAAEDu);
  assert_int_equal(rd(s, OPTCR1, 0), 0x0FFF0000u);
  wr(s, ACR, 0xFFFFFFFFu, 0);
  assert_int_equal(rd(s, ACR, 0), 0x1F0Fu); /* LATENCY PRFTEN ICEN DCEN ICRST DCRST */
  wr(s, ACR, 0x00000102u, 0); /* OpenOCD reset-init (F4 3.2) */
  assert_int_equal(rd(s, ACR, 0), 0x102u);
  assert_int_equal(rd(s, 0x1FFFC000u, 0), 0x5512AAEDu);
  assert_int_equal(rd(s, 0x1FFFC008u, 0), 0xF0000FFFu);
  assert_int_equal(rd(s, 0x1FFEC008u, 0), 0xF0000FFFu);
  assert_int_equal(rd(s, 0x1FFFC004u, 0), 0xFFFFFFFFu);
  assert_int_equal(rd(s, 0x1FFEC000u, 0), 0xFFFFFFFFu);
  assert_int_equal(rdn(s, 0x1FFEC008u, 2, 0), 0x0FFF);
  assert_int_equal(acc(s, 0x1FFFC000u, 4, true, 0, 0), LF_BUS_ERR);
  /* the F7 image address is not part of the F4 map */
  assert_int_equal(acc(s, 0x1FFF0000u + 0x8000u, 4, false, 0, 0), LF_BUS_ERR);
  lf_soc_free(s);
}

/* F4 7.1, 7.4, 9.1: bank-2 sector 12 is SNB 0x10 (OpenOCD writes CR =
 * 0x00010082 at x8): busy 400 ms, erases exactly 16 KiB, stalls reads of
 * bank 2 but not of bank 1 (RWW). x32 on sector 13 (SNB 0x11): 250 ms. */
static void f4_7_bank2_sector12_snb_0x10_x8_400ms_rww(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  program(s, 0x080FFFFCu, 0x11111111u, 0);      /* sector 11 (bank 1 end) */
  program(s, BANK2, 0x22222222u, 1 * MS);        /* sector 12 */
  program(s, BANK2 + 0x3FFCu, 0x33333333u, 2 * MS);
  program(s, BANK2 + 0x4000u, 0x44444444u, 3 * MS); /* sector 13 */
  wr(s, CR, 0x00010082u, 10 * MS);
  assert_int_equal(rd(s, CR, 10 * MS), SER | SNB(0x10) | STRT);
  assert_int_equal(rd(s, SR, 410 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, 410 * MS), 0);
  uint64_t t = 20 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, 0x080FFFFCu, 4, &t), 0x11111111u);
  assert_int_equal(t, 20 * MS); /* bank 1 answers at once */
  assert_int_equal(rdm(s, LF_BUS_DEBUG, BANK2 + 0x3FFCu, 4, &t), 0xFFFFFFFFu);
  assert_int_equal(t, 410 * MS); /* bank 2 stalls to the end */
  assert_int_equal(rd(s, BANK2, t), 0xFFFFFFFFu);
  assert_int_equal(rd(s, BANK2 + 0x4000u, t), 0x44444444u);
  /* x32, SNB 0x11 = logical sector 13 */
  wr(s, CR, SER | SNB(0x11) | PSIZE(2), 500 * MS);
  wr(s, CR, SER | SNB(0x11) | PSIZE(2) | STRT, 500 * MS);
  assert_int_equal(rd(s, SR, 750 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, 750 * MS), 0);
  assert_int_equal(rd(s, BANK2 + 0x4000u, 750 * MS), 0xFFFFFFFFu);
  assert_int_equal(lf_soc_counters_get(s)->flash_sector_erases, 2);
  lf_soc_free(s);
}

/* F4 7.1, 9.1: 64 KiB sector 4 x16 = 700 ms; 128 KiB sector 23 (SNB 0x1B)
 * x8 = 2 s and bounded to 0x081E0000-0x081FFFFF. */
static void f4_7_sector4_64k_x16_and_sector23_128k_x8(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  program(s, 0x08010000u, 0, 0);
  program(s, 0x081DFFFCu, 0, 1 * MS);
  program(s, 0x081E0000u, 0, 2 * MS);
  program(s, 0x081FFFFCu, 0, 3 * MS);
  wr(s, CR, SER | SNB(4) | PSIZE(1) | STRT, 10 * MS);
  assert_int_equal(rd(s, SR, 710 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, 710 * MS), 0);
  assert_int_equal(rd(s, 0x08010000u, 710 * MS), 0xFFFFFFFFu);
  wr(s, CR, SER | SNB(0x1B) | STRT, 1000 * MS);
  assert_int_equal(rd(s, SR, 3000 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, 3000 * MS), 0);
  assert_int_equal(rd(s, 0x081E0000u, 3000 * MS), 0xFFFFFFFFu);
  assert_int_equal(rd(s, 0x081FFFFCu, 3000 * MS), 0xFFFFFFFFu);
  assert_int_equal(rd(s, 0x081DFFFCu, 3000 * MS), 0); /* sector 22 untouched */
  lf_soc_free(s);
}

/* F4 7.4 (unconfirmed behaviour): SNB 0x0C-0x0F and > 0x1B select no
 * sector: PGSERR (+OPERR with ERRIE), nothing erased, flag w1c. */
static void f4_7_4_invalid_snb_sets_pgserr_and_erases_nothing(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  program(s, FLASH, 0, 0);
  program(s, BANK2, 0, 1 * MS);
  static const unsigned bad[] = {0x0C, 0x0F, 0x1C};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t t = (10 + 10 * i) * MS;
    wr(s, CR, SER | SNB(bad[i]) | ERRIE | STRT, t);
    assert_int_equal(rd(s, SR, t), PGSERR | OPERR);
    wr(s, SR, PGSERR | OPERR, t);
    assert_int_equal(rd(s, SR, t), 0);
  }
  assert_int_equal(rd(s, FLASH, 100 * MS), 0);
  assert_int_equal(rd(s, BANK2, 100 * MS), 0);
  assert_int_equal(lf_soc_counters_get(s)->flash_sector_erases, 0);
  lf_soc_free(s);
}

/* F4 4 (bank/mass erase), 9.1: MER alone = bank 1, MER1 (bit 15) alone =
 * bank 2, both = the whole array. One bank takes the full tME as both
 * (calibration R9: P13 F407 1 MiB ~8 s, P11): x32 flash_f4_mass_ns[x32] = 8 s
 * each; pyOCD's EraseChip read-modify-writes at x8: 16 s. */
static void f4_4_mass_erase_each_bank_and_both(void **state)
{
  (void)state;
  const uint64_t B = (uint64_t)(P.flash_f4_mass_ns[2] / 1e6); /* ms */
  assert_int_equal(B, 8000);
  lf_soc *s = mk();
  unlock(s, 0);
  program(s, FLASH, 0, 0);
  program(s, BANK2, 0, 1 * MS);
  /* bank 1 */
  wr(s, CR, MER | PSIZE(2), 10 * MS);
  wr(s, CR, MER | PSIZE(2) | STRT, 10 * MS);
  uint64_t t = 20 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, BANK2, 4, &t), 0); /* bank 2 readable meanwhile */
  assert_int_equal(t, 20 * MS);
  assert_int_equal(rd(s, SR, (10 + B) * MS - 1), BSY);
  assert_int_equal(rd(s, SR, (10 + B) * MS), 0);
  assert_int_equal(rd(s, FLASH, (10 + B) * MS), 0xFFFFFFFFu);
  /* bank 2 */
  t = (B + 1000) * MS;
  program(s, FLASH, 0, t);
  wr(s, CR, MER1 | PSIZE(2) | STRT, t + MS);
  assert_int_equal(rd(s, SR, t + MS + B * MS - 1), BSY);
  assert_int_equal(rd(s, SR, t + MS + B * MS), 0);
  assert_int_equal(rd(s, BANK2, t + (B + 1) * MS), 0xFFFFFFFFu);
  assert_int_equal(rd(s, FLASH, t + (B + 1) * MS), 0);
  /* both, pyOCD EraseChip at x8 (CR = 0 after its Init): 16 s */
  t = (3 * B) * MS;
  program(s, BANK2 + 0x100u, 0, t);
  wr(s, CR, 0, t + MS);
  wr(s, CR, rd(s, CR, t + MS) | MER, t + MS);
  wr(s, CR, rd(s, CR, t + MS) | MER1, t + MS);
  wr(s, CR, rd(s, CR, t + MS) | STRT, t + MS);
  assert_int_equal(rd(s, SR, t + MS + 16000 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, t + MS + 16000 * MS), 0);
  assert_int_equal(rd(s, CR, t + MS + 16000 * MS) & STRT, 0); /* STRT self-clears (F4 16 #3) */
  assert_int_equal(rd(s, FLASH, t + 16001 * MS), 0xFFFFFFFFu);
  assert_int_equal(rd(s, BANK2 + 0x100u, t + 16001 * MS), 0xFFFFFFFFu);
  assert_int_equal(lf_soc_counters_get(s)->flash_mass_erases, 3);
  lf_soc_free(s);
}

/* F4 3.7, 6.2: OPTCR1 nWRP bit 1 = 0 protects sector 13 after the next
 * reset: erase and program there give WRPERR, a bank-2 mass erase too;
 * sector 12 and bank 1 (OPTCR nWRP bit 1 still 1) work. SPRMOD = 1 inverts
 * the bits (PCROP): then nWRP bit 0 = 1 refuses sector 0. */
static void f4_6_2_optcr1_write_protects_bank2_sector13(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = set_options(s, 0x0FFFAAECu, 0x0FFD0000u, 0);
  assert_int_equal(rd(s, 0x1FFEC008u, t), 0xF0020FFDu); /* image follows at once */
  unlock(s, t);
  wr(s, CR, SER | SNB(0x11) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t) & WRPERR, 0); /* not active before a reset */
  t += 300 * MS;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(rd(s, OPTCR1, t), 0x0FFD0000u);
  unlock(s, t);
  wr(s, CR, SER | SNB(0x11) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), WRPERR);
  wr(s, SR, WRPERR, t);
  wr(s, CR, PG | PSIZE(2), t);
  wr(s, BANK2 + 0x4000u, 0, t);
  assert_int_equal(rd(s, SR, t), WRPERR);
  assert_int_equal(rd(s, BANK2 + 0x4000u, t), 0xFFFFFFFFu);
  wr(s, SR, WRPERR, t);
  wr(s, CR, MER1 | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), WRPERR);
  wr(s, SR, WRPERR, t);
  wr(s, CR, SER | SNB(0x10) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), BSY);
  t += 250 * MS;
  wr(s, CR, SER | SNB(1) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), BSY);
  t += 250 * MS;
  assert_int_equal(rd(s, SR, t), 0);
  /* SPRMOD = 1, nWRP = 0x001: sector 0 PCROP, sector 1 free */
  t = set_options(s, 0x8001AAECu, 0x0FFF0000u, t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(rd(s, OPTCR, t), 0x8001AAEDu);
  unlock(s, t);
  wr(s, CR, SER | SNB(0) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), WRPERR);
  wr(s, SR, WRPERR, t);
  wr(s, CR, SER | SNB(1) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), BSY);
  lf_soc_free(s);
}

/* F4 6.1: option bytes image and OPTCR reserved bits (29:28 read 0,
 * OPTCR1 keeps only nWRP[23:12]); values reload at reset. */
static void f4_6_1_option_image_after_reprogramming(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = set_options(s, 0xFFFF55CCu, 0xFFFFFFFFu, 0);
  assert_int_equal(rd(s, 0x1FFFC000u, t), 0xAA3255CDu); /* RDP 0x55 (level 1), USER 0xCD */
  assert_int_equal(rd(s, 0x1FFFC008u, t), 0x3000CFFFu); /* bits 29:28 not implemented */
  assert_int_equal(rd(s, 0x1FFEC008u, t), 0xF0000FFFu);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  assert_int_equal(rd(s, OPTCR1, t), 0x0FFF0000u);
  uint32_t v = 0;
  uint64_t tt = t;
  /* RDP 1: debugger access to flash fails through both addresses */
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, FLASH, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, 0x0u, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, 0x0u, 4, false, &v, &tt), LF_BUS_OK);
  lf_soc_free(s);
}

/* F4 2, 7: OTP 512 B in 32-byte blocks at 0x1FFF7800, lock bytes at
 * 0x1FFF7A00: lock byte 0 refuses block 0 (WRPERR), block 1 still programs. */
static void f4_2_otp_blocks_of_32_bytes_and_locks(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  program(s, 0x1FFF7800u, 0x12345678u, 0);
  assert_int_equal(rd(s, 0x1FFF7800u, MS), 0x12345678u);
  wr(s, CR, PG, MS);
  wrn(s, 0x1FFF7A00u, 1, 0x00, MS);
  assert_int_equal(rdn(s, 0x1FFF7A00u, 1, 2 * MS), 0);
  wr(s, CR, PG | PSIZE(2), 2 * MS);
  wr(s, 0x1FFF781Cu, 0, 2 * MS);
  assert_int_equal(rd(s, SR, 2 * MS), WRPERR);
  wr(s, SR, WRPERR, 2 * MS);
  program(s, 0x1FFF7820u, 0xA5A5A5A5u, 3 * MS);
  assert_int_equal(rd(s, 0x1FFF7820u, 4 * MS), 0xA5A5A5A5u);
  assert_int_equal(rd(s, 0x1FFF781Cu, 4 * MS), 0xFFFFFFFFu);
  lf_soc_free(s);
}

/* CRC-32/MPEG-2 of 32-bit words (MSB first, poly 0x04C11DB7, init ~0, no
 * reflection, no final XOR): what the F4 CRC unit computes. */
static uint32_t ref_mpeg2_words(const uint32_t *w, size_t n)
{
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    crc ^= w[i];
    for (int b = 0; b < 32; b++)
      crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
  }
  return crc;
}

/* F4 CRC unit (RM0090 ch. CRC, fixed polynomial): DR/IDR/CR.RESET only; no
 * INIT/POL registers, no REV_IN/REV_OUT (CR bits other than RESET ignored). */
static void f4_crc_unit_is_fixed_mpeg2_on_words(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, CRC, 0, 0);
  assert_int_equal(rd(s, CRC, 0), 0); /* clock off */
  wr(s, RCC + 0x30, rd(s, RCC + 0x30, 0) | (1u << 12), 0);
  assert_int_equal(rd(s, CRC, 0), 0xFFFFFFFFu);
  wr(s, CRC, 0, 0);
  assert_int_equal(rd(s, CRC, 0), 0xC704DD7Bu); /* well-known STM32 CRC of one zero word */
  wr(s, CRC + 8, 0xE1u, 0);                   /* RESET; F7 REV bits do not exist here */
  assert_int_equal(rd(s, CRC + 8, 0), 0);
  assert_int_equal(rd(s, CRC, 0), 0xFFFFFFFFu);
  uint32_t words[64];
  for (size_t i = 0; i < 64; i++)
    words[i] = (uint32_t)(i * 0x01020304u + 0x89ABCDEFu);
  for (size_t i = 0; i < 64; i++)
    wr(s, CRC, words[i], 0);
  assert_int_equal(rd(s, CRC, 0), ref_mpeg2_words(words, 64));
  /* no POL / INIT: offsets 0x10, 0x14 read 0 and ignore writes */
  wr(s, CRC + 0x14, 0x12345678u, 0);
  wr(s, CRC + 0x10, 0x12345678u, 0);
  assert_int_equal(rd(s, CRC + 0x14, 0), 0);
  assert_int_equal(rd(s, CRC + 0x10, 0), 0);
  wr(s, CRC + 8, 1, 0);
  assert_int_equal(rd(s, CRC, 0), 0xFFFFFFFFu); /* RESET still loads ~0 */
  /* IDR: 8-bit scratch */
  wr(s, CRC + 4, 0xFFFFFFFFu, 0);
  assert_int_equal(rd(s, CRC + 4, 0), 0xFFu);
  lf_soc_free(s);
}

/* F4 2: BOOT0 = 0: the boot address is 0 and the alias reads the vector
 * table programmed at 0x08000000; the core executes from it (same buffer);
 * a busy bank 1 stalls alias reads too; stores to the alias program. */
static void f4_2_boot_alias_reads_vector_table(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(lf_soc_boot_address(s), 0);
  unlock(s, 0);
  program(s, FLASH, 0x20030000u, 0);
  program(s, FLASH + 4, 0x080001C1u, MS);
  uint64_t t = 2 * MS;
  assert_int_equal(rdm(s, LF_BUS_CORE, 0x0u, 4, &t), 0x20030000u);
  assert_int_equal(rdm(s, LF_BUS_CORE, 0x4u, 4, &t), 0x080001C1u);
  const lf_soc_region *r;
  lf_soc_regions(s, &r);
  assert_int_equal(r[0].mem[4], 0xC1);
  /* programming through the alias (bench choice) */
  wr(s, CR, PG | PSIZE(1), 3 * MS);
  wrn(s, 0x100u, 2, 0xBEEF, 3 * MS);
  assert_int_equal(rdn(s, FLASH + 0x100u, 2, 4 * MS), 0xBEEF);
  /* erase sector 0: alias reads stall like array reads */
  wr(s, CR, SER | SNB(0) | PSIZE(2) | STRT, 5 * MS);
  t = 6 * MS;
  assert_int_equal(rdm(s, LF_BUS_CORE, 0x0u, 4, &t), 0xFFFFFFFFu);
  assert_int_equal(t, 255 * MS);
  lf_soc_free(s);
}

static int soc_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                   uint32_t *val, uint64_t *t)
{
  return lf_soc_access(ctx, m, addr, size, write, val, t);
}

static uint32_t boot_of(void *ctx) { return lf_soc_boot_address(ctx); }
static double clk_of(void *ctx) { return lf_soc_sysclk_hz(ctx); }

/* F4 2 with the real core: after reset the core takes SP/PC from 0 (the
 * alias) and executes there: reset vector 0x00000009 runs
 * "movs r0,#42; movs r1,#7; bkpt; b ." from the alias mapping. */
static void f4_2_core_boots_and_executes_from_the_alias(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  static const uint32_t img[] = {0x20030000u, 0x00000009u, 0x2107202Au, 0xE7FEBE00u};
  for (unsigned i = 0; i < 4; i++)
    program(s, FLASH + 4 * i, img[i], i * MS);
  wr(s, CR, LOCK, 5 * MS);
  const lf_soc_region *r;
  size_t n = lf_soc_regions(s, &r);
  lf_core_env env = {
    .bus = {soc_bus, s}, .regions = r, .nregions = n, .cpuid = lf_soc_cpuid(s),
    .sysclk_hz = clk_of, .boot_address = boot_of, .ctx = s,
  };
  char err[256];
  lf_core *c = lf_core_new(&env, &P, err, sizeof err);
  assert_non_null(c);
  lf_core_reset(c, LF_CORE_RESET_POWER, 10 * MS);
  lf_core_catch_up(c, 20 * MS);
  assert_int_equal(lf_core_reg(c, 0), 42);
  assert_int_equal(lf_core_reg(c, 1), 7);
  assert_int_equal(lf_core_reg(c, 13), 0x20030000u);
  assert_true(lf_core_reg(c, 15) < 0x100u); /* still in the alias, not at 0x08000000 */
  lf_core_free(c);
  lf_soc_free(s);
}

static unsigned demo_changes;
static uint32_t demo_odr;
static void on_demo_gpio(void *ctx, unsigned port, uint32_t o, uint32_t n, uint64_t t)
{
  (void)ctx;
  (void)o;
  (void)t;
  if (port == 1) {
    demo_changes++;
    demo_odr = n;
  }
}

/* The committed F429 demo (scripts/demo-fw, lf_demo_f429_bin) programmed
 * through the controller boots from the alias and blinks on the F429 model:
 * SysTick ticks every 100 ms at 16 MHz HSI; in 1.05 s after reset 10 ticks:
 * LD1 toggled 10 times (off), LD2 5 times (on), LD3 2 times (off). */
static void f4_15_demo_blob_blinks_on_the_f429(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  assert_int_equal(lf_demo_f429_bin_len % 4, 0);
  uint64_t t = 0;
  for (unsigned i = 0; i < lf_demo_f429_bin_len; i += 4) {
    const unsigned char *b = lf_demo_f429_bin + i;
    program(s, FLASH + i, (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                              (uint32_t)b[3] << 24, t);
    t += 100 * US;
  }
  wr(s, CR, LOCK, t);
  demo_changes = 0;
  lf_soc_set_gpio_cb(s, on_demo_gpio, NULL);
  const lf_soc_region *r;
  size_t n = lf_soc_regions(s, &r);
  lf_core_env env = {
    .bus = {soc_bus, s}, .regions = r, .nregions = n, .cpuid = lf_soc_cpuid(s),
    .sysclk_hz = clk_of, .boot_address = boot_of, .ctx = s,
  };
  char err[256];
  lf_core *c = lf_core_new(&env, &P, err, sizeof err);
  assert_non_null(c);
  lf_core_reset(c, LF_CORE_RESET_POWER, 10 * MS);
  for (uint64_t u = 10 * MS; u <= 1060 * MS; u += 10 * MS)
    lf_core_catch_up(c, u);
  assert_int_equal(demo_changes, 10);
  assert_int_equal(demo_odr & 0x4081u, 0x0080u);
  assert_int_equal(lf_core_reg(c, 13), 0x20030000u); /* SP from the F429 linker script */
  lf_core_free(c);
  lf_soc_free(s);
}

/* Stand-in system memory at 0x1FFF0000: SP = top of SRAM3, handlers "b .". */
static void f4_2_system_memory_parking_loop(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, 0x1FFF0000u, 0), 0x20030000u);
  assert_int_equal(rd(s, 0x1FFF0004u, 0), 0x1FFF0041u);
  assert_int_equal(rdn(s, 0x1FFF0040u, 2, 0), 0xE7FE);
  assert_int_equal(rd(s, 0x1FFF7400u, 0), 0xFFFFFFFFu); /* ROM tail */
  lf_soc_free(s);
}

/* F4 14.4: OpenOCD reset-init: PLLCFGR 0x08012008 (HSI/8*128/4), PLLON, SW
 * = PLL -> 64 MHz; AHB1ENR resets to CCMDATARAMEN. */
static void f4_14_4_rcc_openocd_reset_init_reaches_64mhz(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, RCC + 0x30, 0), 0x00100000u);
  assert_int_equal(rd(s, RCC, 0) & 0x3u, 0x3u);
  assert_int_equal(rd(s, RCC + 4, 0), 0x24003010u);
  assert_true(lf_soc_sysclk_hz(s) == 16e6);
  wr(s, RCC + 4, 0x08012008u, 0);
  wr(s, RCC, rd(s, RCC, 0) | 0x01000000u, 0);
  wr(s, RCC + 8, rd(s, RCC + 8, 10 * MS) | 0x1000u, 10 * MS);
  wr(s, RCC + 8, rd(s, RCC + 8, 10 * MS) | 0x2u, 10 * MS);
  assert_int_equal(rd(s, RCC, 10 * MS) & 0x02000000u, 0x02000000u); /* PLLRDY */
  assert_int_equal(rd(s, RCC + 8, 10 * MS) & 0xCu, 0x8u);           /* SWS = PLL */
  assert_true(lf_soc_sysclk_hz(s) == 64e6);
  lf_soc_free(s);
}

/* F4 12: pyOCD's plain DBGMCU writes keep the F4's defined bits only; CR
 * survives a system reset. */
static void f4_12_dbgmcu_freeze_bits_and_persistence(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, DBGMCU + 4, 7, 0);
  wr(s, DBGMCU + 8, 0xFFFFFFFFu, 0);
  wr(s, DBGMCU + 0xC, 0xFFFFFFFFu, 0);
  assert_int_equal(rd(s, DBGMCU + 8, 0), 0x06E01DFFu);
  assert_int_equal(rd(s, DBGMCU + 0xC, 0), 0x00070003u);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, MS);
  assert_int_equal(rd(s, DBGMCU + 4, MS), 7);
  lf_soc_reset(s, LF_SOC_RESET_POWER, 2 * MS);
  assert_int_equal(rd(s, DBGMCU + 4, 2 * MS), 0);
  lf_soc_free(s);
}

/* F4 2: IWDG at 0x40003000 with KR/PR/RLR/SR only (no WINR at +0x10);
 * 0xCCCC starts it: deadline = 4 * 2^PR * (RLR + 1) / 32 kHz. */
static void f4_2_iwdg_without_window_register(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, 0x40003008u, 0), 0xFFFu);
  assert_int_equal(rd(s, 0x40003010u, 0), 0); /* F7 WINR resets to 0xFFF */
  wr(s, 0x40003000u, 0x5555u, 0);
  wr(s, 0x40003004u, 6, 0);
  wr(s, 0x40003000u, 0xCCCCu, MS);
  /* 4 * 64 * 4096 / 32000 Hz = 32.768 s */
  assert_true(lf_soc_watchdog_deadline(s) == MS + 32768ull * MS);
  lf_soc_free(s);
}

/* ARMv7-M bit-band on the M4 (F4 2 SRAM1_BB_BASE): bit n of byte a is the
 * word 0x22000000 + (a - 0x20000000) * 32 + n * 4 (peripherals: 0x42000000);
 * ST's F4 HAL enables the PLL through RCC_CR_PLLON_BB = 0x42470060. The F7
 * (M7) has no bit-band: its alias addresses are bus errors. */
static void f4_2_bitband_aliases_sram_and_peripherals(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, 0x20000100u, 0x00000000u, 0);
  wr(s, 0x22000000u + 0x100u * 32u + 5u * 4u, 1, 0);
  wr(s, 0x22000000u + 0x103u * 32u + 7u * 4u, 0xFFFFFFFEu, 0); /* only bit 0 counts: clear */
  wr(s, 0x22000000u + 0x103u * 32u + 6u * 4u, 3, 0);
  assert_int_equal(rd(s, 0x20000100u, 0), 0x40000020u);
  assert_int_equal(rd(s, 0x22000000u + 0x100u * 32u + 5u * 4u, 0), 1);
  assert_int_equal(rd(s, 0x22000000u + 0x100u * 32u + 4u * 4u, 0), 0);
  assert_int_equal(rd(s, RCC, 0) & 0x01000000u, 0);
  wr(s, 0x42470060u, 1, 0); /* RCC_CR.PLLON */
  assert_int_equal(rd(s, RCC, 0) & 0x01000000u, 0x01000000u);
  assert_int_equal(rd(s, RCC, 0) & 0x83u, 0x83u); /* other bits kept */
  assert_int_equal(rd(s, 0x42470064u, MS), 1);  /* PLLRDY after the lock time */
  assert_int_equal(acc(s, 0x22000000u + 0x30000u * 32u, 4, false, 0, 0), LF_BUS_ERR);
  lf_soc *f7 = mk_part("stm32f767zi");
  assert_int_equal(acc(f7, 0x22000000u, 4, false, 0, 0), LF_BUS_ERR);
  lf_soc_free(f7);
  lf_soc_free(s);
}

static unsigned led_changes;
static uint32_t led_last;
static void on_gpio(void *ctx, unsigned port, uint32_t o, uint32_t n, uint64_t t)
{
  (void)ctx;
  (void)o;
  (void)t;
  if (port == 1) {
    led_changes++;
    led_last = n;
  }
}

/* F4 15: LD1/LD2/LD3 on PB0/PB7/PB14, GPIOB clock bit 1. */
static void f4_15_leds_on_pb0_pb7_pb14(void **state)
{
  (void)state;
  lf_soc *s = mk();
  led_changes = 0;
  lf_soc_set_gpio_cb(s, on_gpio, NULL);
  assert_int_equal(rd(s, GPIOB, 0), 0); /* clock off */
  wr(s, RCC + 0x30, rd(s, RCC + 0x30, 0) | 0x2u, 0);
  assert_int_equal(rd(s, GPIOB, 0), 0x00000280u);
  wr(s, GPIOB, 0x10004281u, 0);
  wr(s, GPIOB + 0x18, (1u << 0) | (1u << 7) | (1u << 14), MS);
  assert_int_equal(led_changes, 1);
  assert_int_equal(led_last, 0x4081u);
  assert_int_equal(rd(s, GPIOB + 0x10, MS) & 0x4081u, 0x4081u);
  lf_soc_free(s);
}

/* State file: F429 round trip (bank-2 flash, OTP, OPTCR1 WRP); an F7 state
 * file is refused by the F429 (and the other way round) with a message
 * naming both parts. */
static void f4_state_file_round_trip_and_part_check(void **state)
{
  (void)state;
  char err[256];
  lf_soc *s = mk();
  unlock(s, 0);
  program(s, BANK2 + 0x40u, 0x600DF00Du, 0);
  program(s, 0x1FFF7840u, 0x0BADCAFEu, MS);
  wr(s, CR, LOCK, 2 * MS);
  set_options(s, 0x0FFFAAECu, 0x07FF0000u, 3 * MS);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), 0);
  assert_true(ftell(f) > 2 * 1024 * 1024 + 512);
  lf_soc *d = mk();
  rewind(f);
  assert_int_equal(lf_soc_load_state(d, f, err, sizeof err), 0);
  lf_soc_reset(d, LF_SOC_RESET_POWER, 0);
  assert_int_equal(rd(d, BANK2 + 0x40u, 0), 0x600DF00Du);
  assert_int_equal(rd(d, 0x1FFF7840u, 0), 0x0BADCAFEu);
  assert_int_equal(rd(d, OPTCR1, 0), 0x07FF0000u);
  /* F7 file into the F429 */
  lf_soc *f7 = mk_part("stm32f767zi");
  FILE *g = tmpfile();
  assert_non_null(g);
  assert_int_equal(lf_soc_save_state(f7, g, err, sizeof err), 0);
  rewind(g);
  err[0] = 0;
  assert_int_equal(lf_soc_load_state(d, g, err, sizeof err), -1);
  assert_non_null(strstr(err, "part stm32f767zi in state file does not match stm32f429zi"));
  assert_int_equal(rd(d, BANK2 + 0x40u, 0), 0x600DF00Du); /* unchanged */
  /* F429 file into the F7 */
  rewind(f);
  assert_int_equal(lf_soc_load_state(f7, f, err, sizeof err), -1);
  assert_non_null(strstr(err, "part stm32f429zi in state file does not match stm32f767zi"));
  fclose(g);
  fclose(f);
  lf_soc_free(f7);
  lf_soc_free(d);
  lf_soc_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(f4_2_regions_boot_alias_ccm_and_sram123),
    cmocka_unit_test(f4_1_identity_registers_and_debug_ids),
    cmocka_unit_test(f4_3_6_factory_options_acr_and_option_image),
    cmocka_unit_test(f4_7_bank2_sector12_snb_0x10_x8_400ms_rww),
    cmocka_unit_test(f4_7_sector4_64k_x16_and_sector23_128k_x8),
    cmocka_unit_test(f4_7_4_invalid_snb_sets_pgserr_and_erases_nothing),
    cmocka_unit_test(f4_4_mass_erase_each_bank_and_both),
    cmocka_unit_test(f4_6_2_optcr1_write_protects_bank2_sector13),
    cmocka_unit_test(f4_6_1_option_image_after_reprogramming),
    cmocka_unit_test(f4_2_otp_blocks_of_32_bytes_and_locks),
    cmocka_unit_test(f4_crc_unit_is_fixed_mpeg2_on_words),
    cmocka_unit_test(f4_2_boot_alias_reads_vector_table),
    cmocka_unit_test(f4_2_core_boots_and_executes_from_the_alias),
    cmocka_unit_test(f4_15_demo_blob_blinks_on_the_f429),
    cmocka_unit_test(f4_2_system_memory_parking_loop),
    cmocka_unit_test(f4_14_4_rcc_openocd_reset_init_reaches_64mhz),
    cmocka_unit_test(f4_12_dbgmcu_freeze_bits_and_persistence),
    cmocka_unit_test(f4_2_iwdg_without_window_register),
    cmocka_unit_test(f4_2_bitband_aliases_sram_and_peripherals),
    cmocka_unit_test(f4_15_leds_on_pb0_pb7_pb14),
    cmocka_unit_test(f4_state_file_round_trip_and_part_check),
  };
  return cmocka_run_group_tests_name("soc_f429", tests, NULL, NULL);
}
