/* STM32F103 SoC model (soc_stm32f1.c): identity and memory map, the FPEC
 * (keys, half-word programming and its PGERR/WRPRTERR rules, page and mass
 * erase with the datasheet times, stalls, EOP), option bytes (erase,
 * program, complement, reload at reset, write protection, RDP and its
 * regression), the fixed CRC unit, RCC, GPIO, IWDG, DBGMCU, the demo blink,
 * state files and power loss. Rows cited are stm32-f1-l4-h7-targets.md
 * sections ("R n.m"); times from the f1_* parameter rows: tprog 52.5 us
 * (max 70), page and mass erase 20 ms (max 40). */
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
#define ACR 0x40022000u
#define KEYR 0x40022004u
#define OPTKEYR 0x40022008u
#define SR 0x4002200Cu
#define CR 0x40022010u
#define AR 0x40022014u
#define OBR 0x4002201Cu
#define WRPR 0x40022020u
#define OPT 0x1FFFF800u
#define RCC 0x40021000u
#define CRC 0x40023000u
#define IWDG 0x40003000u
#define GPIOA 0x40010800u
#define DBGMCU 0xE0042000u
#define MS 1000000ull
#define US 1000ull

#define PG 0x1u
#define PER 0x2u
#define MER 0x4u
#define OPTPG 0x10u
#define OPTER 0x20u
#define STRT 0x40u
#define LOCK 0x80u
#define OPTWRE 0x200u
#define BSY 0x1u
#define PGERR 0x4u
#define WRPRTERR 0x10u
#define EOP 0x20u
#define TPROG 52500u /* ns */

static lf_bench_params P;

static lf_soc *mk_part(const char *part)
{
  char err[256];
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new(part, &P, NULL, err, sizeof err);
  assert_non_null(s);
  return s;
}

static lf_soc *mk(void) { return mk_part("stm32f103rb"); }

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

/* PG + one half-word store; leaves CR = PG (unlocked); the end of BSY. */
static uint64_t program(lf_soc *s, uint32_t a, uint16_t v, uint64_t t)
{
  wr(s, CR, PG, t);
  wrn(s, a, 2, v, t);
  return t + TPROG;
}

static uint64_t erase_page(lf_soc *s, uint32_t a, uint64_t t)
{
  wr(s, CR, PER, t);
  wr(s, AR, a, t);
  wr(s, CR, PER | STRT, t);
  return t + 20 * MS;
}

static void unlock_options(lf_soc *s, uint64_t t)
{
  unlock(s, t);
  wr(s, OPTKEYR, 0x45670123u, t);
  wr(s, OPTKEYR, 0xCDEF89ABu, t);
  assert_int_equal(rd(s, CR, t) & OPTWRE, OPTWRE);
}

/* OpenOCD's option write (R 3.4): OPTER, then OPTPG and one half-word per
 * option byte (value in the low byte). Returns the time after. */
static uint64_t write_options(lf_soc *s, const uint8_t v[8], uint64_t t)
{
  unlock_options(s, t);
  wr(s, CR, OPTER | OPTWRE, t);
  wr(s, CR, OPTER | STRT | OPTWRE, t);
  t += 100 * MS; /* past the option erase, and a mass erase if one was started */
  wr(s, CR, OPTPG | OPTWRE, t);
  for (unsigned i = 0; i < 8; i++, t += TPROG)
    wrn(s, OPT + 2 * i, 2, v[i], t);
  wr(s, CR, LOCK, t);
  return t;
}

static const uint8_t factory[8] = {0xA5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

/* R 1.1, 2.1: debug identity, regions, flash size and UID. */
static void f1_1_identity_regions_and_system_memory(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t dpidr, targetid, ap, base;
  lf_soc_debug_ids(s, &dpidr, &targetid, &ap, &base);
  assert_int_equal(dpidr, 0x1BA01477u);
  assert_int_equal(targetid, 0);
  assert_int_equal(ap, 0x14770011u);
  assert_int_equal(base, 0xE00FF003u);
  assert_int_equal(lf_soc_cpuid(s), 0x411FC231u);
  assert_int_equal(lf_soc_idcode(s), 0x20036410u);
  assert_int_equal(rd(s, DBGMCU, 0), 0x20036410u);
  uint64_t t = 0;
  assert_int_equal(rdm(s, LF_BUS_CORE, DBGMCU, 4, &t), 0); /* R 12 #12 */
  const lf_soc_region *r;
  size_t n = lf_soc_regions(s, &r);
  assert_int_equal(n, 4);
  assert_int_equal(r[0].base, 0);
  assert_int_equal(r[0].size, 128u << 10);
  assert_ptr_equal(r[0].mem, r[1].mem);
  assert_int_equal(r[1].base, FLASH);
  assert_int_equal(r[3].base, 0x20000000u);
  assert_int_equal(r[3].size, 20u << 10);
  assert_true(r[3].writable && !r[1].writable);
  assert_int_equal(rdn(s, 0x1FFFF7E0u, 2, 0), 128);
  uint8_t uid[12];
  assert_int_equal(lf_soc_peek(s, 0x1FFFF7E8u, uid, 12), 0);
  assert_int_not_equal(uid[5], 0xFF);
  assert_int_equal(rd(s, 0x1FFFF000u, 0), 0x20005000u); /* stand-in ROM: SP */
  assert_int_equal(acc(s, 0x1FFFF000u, 4, true, 0, 0), LF_BUS_ERR);
  assert_int_equal(acc(s, 0x30000000u, 4, false, 0, 0), LF_BUS_ERR);
  assert_int_equal(rd(s, 0x40007000u, 0), 0); /* PWR: inside APB1, no model */
  assert_int_equal(lf_soc_sysclk_hz(s), 8e6);
  lf_soc_free(s);
  /* the high-density part */
  s = mk_part("stm32f103rc");
  assert_int_equal(lf_soc_idcode(s), 0x10036414u);
  n = lf_soc_regions(s, &r);
  assert_int_equal(r[1].size, 256u << 10);
  assert_int_equal(r[3].size, 48u << 10);
  assert_int_equal(rdn(s, 0x1FFFF7E0u, 2, 0), 256);
  lf_soc_free(s);
}

/* R 3.1, 3.4: factory option bytes (value + complement), OBR 0x03FFFFFC,
 * WRPR all ones, CR locked, ACR with the prefetch buffer on. */
static void f1_3_factory_options_obr_wrpr(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rdn(s, OPT, 2, 0), 0x5AA5);
  assert_int_equal(rdn(s, OPT + 2, 2, 0), 0x00FF);
  assert_int_equal(rd(s, OPT + 12, 0), 0x00FF00FFu);
  assert_int_equal(rd(s, OBR, 0), 0x03FFFFFCu);
  assert_int_equal(rd(s, WRPR, 0), 0xFFFFFFFFu);
  assert_int_equal(rd(s, CR, 0), LOCK);
  assert_int_equal(rd(s, ACR, 0), 0x30u);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  lf_soc_free(s);
}

/* R 3.2, 3.3: KEY1, KEY2 unlock; keys while unlocked are ignored (OpenOCD
 * writes them unchecked); a wrong key faults and locks until reset; CR
 * ignores writes while locked; OPTKEYR sets OPTWRE only once CR is open. */
static void f1_3_key_sequences(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, CR, PG, 0);
  assert_int_equal(rd(s, CR, 0), LOCK);
  wr(s, OPTKEYR, 0x45670123u, 0);
  wr(s, OPTKEYR, 0xCDEF89ABu, 0);
  assert_int_equal(rd(s, CR, 0) & OPTWRE, 0); /* CR still locked: ignored */
  unlock(s, 0);
  unlock(s, 0); /* again while unlocked: still unlocked */
  wr(s, CR, LOCK, 0);
  assert_int_equal(rd(s, CR, 0), LOCK);
  unlock(s, 0);
  wr(s, CR, LOCK, 0);
  wr(s, KEYR, 0x45670123u, 0);
  assert_int_equal(acc(s, KEYR, 4, true, 0x12345678u, 0), LF_BUS_ERR);
  assert_int_equal(acc(s, KEYR, 4, true, 0x45670123u, 0), LF_BUS_ERR);
  assert_int_equal(acc(s, KEYR, 4, true, 0xCDEF89ABu, 0), LF_BUS_ERR);
  assert_int_equal(rd(s, CR, 0), LOCK);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, MS);
  unlock(s, MS);
  /* OPTWRE: set by the key sequence, cleared by writing 0, never by writing 1 */
  wr(s, OPTKEYR, 0x45670123u, MS);
  wr(s, OPTKEYR, 0xCDEF89ABu, MS);
  assert_int_equal(rd(s, CR, MS), OPTWRE);
  wr(s, CR, 0, MS);
  assert_int_equal(rd(s, CR, MS), 0);
  wr(s, CR, OPTWRE, MS);
  assert_int_equal(rd(s, CR, MS), 0);
  /* the parameter: keys while unlocked as a wrong sequence */
  P.f1_keys_unlocked_lock = 1;
  assert_int_equal(acc(s, KEYR, 4, true, 0x45670123u, MS), LF_BUS_ERR);
  assert_int_equal(rd(s, CR, MS), LOCK);
  lf_soc_free(s);
}

/* R 3.2, 6: half-word programming, BSY for tprog, EOP after; a second
 * store waits for the first (stall); CORE SR reads stall, DEBUG ones show
 * BSY; flash reads stall. */
static void f1_3_program_half_words_timing_stall_eop(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  wr(s, SR, 0x34u, 0);
  wr(s, CR, PG, 0);
  uint64_t t = 1000;
  uint32_t v = 0x1234;
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, FLASH, 2, true, &v, &t), LF_BUS_OK);
  assert_int_equal(t, 1000);
  assert_int_equal(rd(s, SR, 1000) & (BSY | EOP), BSY);
  v = 0x5678;
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, FLASH + 2, 2, true, &v, &t), LF_BUS_OK);
  assert_int_equal(t, 1000 + TPROG); /* stalled until the first ended */
  uint64_t t2 = t;
  assert_int_equal(rdm(s, LF_BUS_CORE, SR, 4, &t2) & BSY, 0);
  assert_int_equal(t2, 1000 + 2 * TPROG);
  assert_int_equal(rd(s, SR, t2) & EOP, EOP);
  assert_int_equal(rd(s, FLASH, t2), 0x56781234u);
  const lf_soc_counters *c = lf_soc_counters_get(s);
  assert_int_equal(c->flash_prog_ops, 2);
  assert_int_equal(c->flash_busy_ns, 2 * TPROG);
  /* the alias at 0 programs too (bench choice, as the F429 model) */
  program(s, 0x10u, 0xBEEF, t2);
  assert_int_equal(rdn(s, FLASH + 0x10u, 2, t2 + TPROG), 0xBEEF);
  lf_soc_free(s);
}

/* R 3.3: PGERR over a programmed half-word (nothing written), the 0x0000
 * exception, byte/word stores with PG = 1 fault, stores with PG = 0 do
 * nothing and set no flag. */
static void f1_3_3_pgerr_zero_exception_and_wrong_widths(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, FLASH + 4, 0x00F0, 0);
  t = program(s, FLASH + 4, 0x0F0F, t);
  assert_int_equal(rd(s, SR, t) & PGERR, PGERR);
  assert_int_equal(rdn(s, FLASH + 4, 2, t), 0x00F0);
  wr(s, SR, PGERR, t);
  t = program(s, FLASH + 4, 0x0000, t);
  assert_int_equal(rd(s, SR, t) & PGERR, 0);
  assert_int_equal(rdn(s, FLASH + 4, 2, t), 0x0000);
  assert_int_equal(lf_soc_counters_get(s)->flash_errors, 1);
  /* parameter off: 0x0000 over a programmed cell is refused too */
  P.f1_zero_overwrite_ok = 0;
  t = program(s, FLASH + 6, 0x1111, t);
  t = program(s, FLASH + 6, 0x0000, t);
  assert_int_equal(rd(s, SR, t) & PGERR, PGERR);
  assert_int_equal(rdn(s, FLASH + 6, 2, t), 0x1111);
  wr(s, SR, PGERR, t);
  /* byte and word stores with PG = 1; an odd address */
  wr(s, CR, PG, t);
  assert_int_equal(acc(s, FLASH + 8, 4, true, 0, t), LF_BUS_ERR);
  assert_int_equal(acc(s, FLASH + 8, 1, true, 0, t), LF_BUS_ERR);
  assert_int_equal(acc(s, FLASH + 9, 2, true, 0, t), LF_BUS_ERR);
  assert_int_equal(rd(s, FLASH + 8, t), 0xFFFFFFFFu);
  /* PG = 0: ignored, no flag */
  wr(s, CR, 0, t);
  wrn(s, FLASH + 8, 2, 0x1234, t);
  wr(s, FLASH + 8, 0, t);
  assert_int_equal(rd(s, FLASH + 8, t), 0xFFFFFFFFu);
  assert_int_equal(rd(s, SR, t) & (PGERR | WRPRTERR), 0);
  lf_soc_free(s);
}

/* R 3.2, 6: page erase of the page holding AR (any address in it), 20 ms;
 * mass erase of the whole array, 20 ms; maxima with flash_timing_max;
 * F103RC pages are 2 KiB. STRT reads 1 while busy. */
static void f1_3_page_and_mass_erase(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, FLASH + 0x400, 0x1111, 0);
  t = program(s, FLASH + 0x7FE, 0x2222, t);
  t = program(s, FLASH + 0x800, 0x3333, t);
  wr(s, CR, PER, t);
  wr(s, AR, FLASH + 0x5A2, t);
  wr(s, CR, PER | STRT, t);
  assert_int_equal(rd(s, CR, t) & STRT, STRT);
  assert_int_equal(rd(s, SR, t + 20 * MS - 1) & BSY, BSY);
  assert_int_equal(rd(s, SR, t + 20 * MS), EOP);
  assert_int_equal(rd(s, CR, t + 20 * MS) & STRT, 0);
  assert_int_equal(rdn(s, FLASH + 0x400, 2, t + 20 * MS), 0xFFFF);
  assert_int_equal(rdn(s, FLASH + 0x7FE, 2, t + 20 * MS), 0xFFFF);
  assert_int_equal(rdn(s, FLASH + 0x800, 2, t + 20 * MS), 0x3333); /* next page kept */
  t += 20 * MS;
  /* a debugger read of the array while busy stalls */
  t = erase_page(s, FLASH + 0x800, t);
  uint64_t tr = t - 20 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, FLASH + 0x800, 2, &tr), 0xFFFF);
  assert_int_equal(tr, t);
  /* mass erase */
  t = program(s, FLASH + 0x1FFFE, 0x4444, t);
  wr(s, CR, MER, t);
  wr(s, CR, MER | STRT, t);
  assert_int_equal(rd(s, SR, t + 20 * MS - 1) & BSY, BSY);
  assert_int_equal(rd(s, FLASH + 0x1FFFC, t + 20 * MS), 0xFFFFFFFFu);
  assert_int_equal(lf_soc_counters_get(s)->flash_mass_erases, 1);
  assert_int_equal(lf_soc_counters_get(s)->flash_sector_erases, 2);
  t += 20 * MS;
  /* PER and MER together, or STRT alone: nothing runs, PGERR (bench choice) */
  wr(s, CR, PER | MER | STRT, t);
  assert_int_equal(rd(s, SR, t) & (BSY | PGERR), PGERR);
  wr(s, SR, PGERR, t);
  wr(s, CR, STRT, t);
  assert_int_equal(rd(s, SR, t) & (BSY | PGERR), PGERR);
  /* maxima */
  P.flash_timing_max = 1;
  wr(s, SR, PGERR, t);
  t = program(s, FLASH, 0x1, t);
  assert_int_equal(rd(s, SR, t + 70 * US - TPROG - 1) & BSY, BSY);
  t += 70 * US;
  wr(s, CR, PER, t);
  wr(s, AR, FLASH, t);
  wr(s, CR, PER | STRT, t);
  assert_int_equal(rd(s, SR, t + 40 * MS - 1) & BSY, BSY);
  assert_int_equal(rd(s, SR, t + 40 * MS) & BSY, 0);
  lf_soc_free(s);
  /* F103RC: 2 KiB pages */
  s = mk_part("stm32f103rc");
  unlock(s, 0);
  t = program(s, FLASH + 0x7FE, 0x1234, 0);
  t = program(s, FLASH + 0x800, 0x5678, t);
  t = erase_page(s, FLASH + 0x400, t);
  assert_int_equal(rdn(s, FLASH + 0x7FE, 2, t), 0xFFFF);
  assert_int_equal(rdn(s, FLASH + 0x800, 2, t), 0x5678);
  lf_soc_free(s);
}

/* R 3.4: OPTER + OPTPG write the options (complement by the hardware); they
 * apply after a reset: WRP0 bit 0 = 0 protects pages 0-3 (R 3.1: 4 pages per
 * bit) against program and erase (WRPRTERR); mass erase refused too. */
static void f1_3_4_option_bytes_and_write_protection(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint8_t o[8];
  memcpy(o, factory, 8);
  o[4] = 0xFE; /* WRP0: pages 0-3 */
  o[2] = 0x3C; /* DATA0 */
  uint64_t t = write_options(s, o, 0);
  assert_int_equal(rdn(s, OPT + 8, 2, t), 0x01FE);
  assert_int_equal(rdn(s, OPT + 4, 2, t), 0xC33C);
  assert_int_equal(rd(s, WRPR, t), 0xFFFFFFFFu); /* not yet: after a reset */
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(rd(s, WRPR, t), 0xFFFFFFFEu);
  assert_int_equal((rd(s, OBR, t) >> 10) & 0xFF, 0x3C);
  unlock(s, t);
  t = program(s, FLASH + 0xFFE, 0x1234, t); /* page 3 */
  assert_int_equal(rd(s, SR, t) & WRPRTERR, WRPRTERR);
  assert_int_equal(rdn(s, FLASH + 0xFFE, 2, t), 0xFFFF);
  wr(s, SR, WRPRTERR, t);
  t = program(s, FLASH + 0x1000, 0x1234, t); /* page 4 */
  assert_int_equal(rd(s, SR, t) & WRPRTERR, 0);
  wr(s, CR, PER, t);
  wr(s, AR, FLASH + 0x800, t);
  wr(s, CR, PER | STRT, t);
  assert_int_equal(rd(s, SR, t) & (BSY | WRPRTERR), WRPRTERR);
  wr(s, SR, WRPRTERR, t);
  wr(s, CR, MER | STRT, t);
  assert_int_equal(rd(s, SR, t) & (BSY | WRPRTERR), WRPRTERR);
  assert_int_equal(rdn(s, FLASH + 0x1000, 2, t), 0x1234);
  /* an option half-word that is not erased: PGERR */
  wr(s, SR, WRPRTERR, t);
  wr(s, OPTKEYR, 0x45670123u, t);
  wr(s, OPTKEYR, 0xCDEF89ABu, t);
  wr(s, CR, OPTPG | OPTWRE, t);
  wrn(s, OPT + 8, 2, 0xFF, t);
  assert_int_equal(rd(s, SR, t) & PGERR, PGERR);
  lf_soc_free(s);
}

/* R 3.4: RDP byte != 0xA5 after a reset: level 1, debugger reads of the
 * array fault, the first 4 KiB are write-protected; once the debug port was
 * used the core loses the array and program/erase fail (WRPRTERR). OPTER
 * then mass-erases the array, and RDP = 0xA5 gives level 0 after a reset. */
static void f1_3_4_rdp1_and_its_regression(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, FLASH + 0x2000, 0xCAFE, 0);
  uint8_t o[8];
  memcpy(o, factory, 8);
  o[0] = 0x00; /* anything but 0xA5 */
  t = write_options(s, o, t);
  lf_soc_reset(s, LF_SOC_RESET_POWER, t);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  assert_int_equal(rd(s, OBR, t) & 3u, 2u); /* RDPRT, no OPTERR */
  assert_int_equal(acc(s, FLASH + 0x2000, 4, false, 0, t), LF_BUS_ERR);
  uint64_t tc = t;
  assert_int_equal(rdm(s, LF_BUS_CORE, FLASH + 0x2000, 2, &tc), 0xCAFE); /* no debugger yet */
  lf_soc_debug_connected(s);
  assert_true(lf_soc_flash_locked(s));
  uint32_t v = 0;
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, FLASH + 0x2000, 2, false, &v, &tc), LF_BUS_ERR);
  unlock(s, t);
  t = program(s, FLASH + 0x3000, 0x1, t);
  assert_int_equal(rd(s, SR, t) & WRPRTERR, WRPRTERR);
  wr(s, SR, WRPRTERR, t);
  t = erase_page(s, FLASH + 0x3000, t);
  assert_int_equal(rd(s, SR, t) & WRPRTERR, WRPRTERR);
  wr(s, CR, LOCK, t);
  /* regression: the option erase mass-erases the array (20 + 20 ms) */
  unlock_options(s, t);
  wr(s, CR, OPTER | OPTWRE, t);
  wr(s, CR, OPTER | STRT | OPTWRE, t);
  assert_int_equal(rd(s, SR, t + 40 * MS - 1) & BSY, BSY);
  assert_int_equal(rd(s, SR, t + 40 * MS) & BSY, 0);
  t += 40 * MS;
  assert_int_equal(lf_soc_counters_get(s)->flash_mass_erases, 1);
  wr(s, CR, OPTPG | OPTWRE, t);
  wrn(s, OPT, 2, 0xA5, t);
  t += TPROG;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  assert_false(lf_soc_flash_locked(s));
  assert_int_equal(rd(s, FLASH + 0x2000, t), 0xFFFFFFFFu); /* gone */
  /* the other bytes stayed erased: OPTERR, and they read 0xFF */
  assert_int_equal(rd(s, OBR, t) & 3u, 1u);
  assert_int_equal(rd(s, WRPR, t), 0xFFFFFFFFu);
  /* an erased RDP alone means read protection (0xFF != 0xA5) */
  unlock_options(s, t);
  wr(s, CR, OPTER | STRT | OPTWRE, t);
  t += 20 * MS;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  lf_soc_free(s);
}

/* R 7: the fixed unit (no REV_IN/REV_OUT, no INIT): CRC-32/MPEG-2 on words;
 * RBIT of every little-endian word in, RBIT and NOT of the result out give
 * zlib's crc32 (how the loader uses it). Clock: AHBENR.CRCEN. */
static uint32_t rbit(uint32_t v)
{
  uint32_t r = 0;
  for (int i = 0; i < 32; i++)
    r |= ((v >> i) & 1u) << (31 - i);
  return r;
}

static void f1_7_crc_unit_gives_zlib_crc_with_rbit(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, CRC, 0, 0);
  assert_int_equal(rd(s, CRC, 0), 0); /* clock off */
  wr(s, RCC + 0x14, rd(s, RCC + 0x14, 0) | (1u << 6), 0);
  wr(s, CRC + 8, 1, 0);
  wr(s, CRC, 0, 0);
  assert_int_equal(rd(s, CRC, 0), 0xC704DD7Bu); /* CRC-32/MPEG-2 of one zero word */
  uint8_t data[256];
  for (unsigned i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7 + 3);
  wr(s, CRC + 8, 1, 0);
  for (unsigned i = 0; i < sizeof data; i += 4)
    wr(s, CRC, rbit((uint32_t)data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16 |
                    (uint32_t)data[i + 3] << 24), 0);
  assert_int_equal(~rbit(rd(s, CRC, 0)), (uint32_t)crc32(0, data, sizeof data));
  wr(s, CRC + 0x10, 0x12345678u, 0); /* no INIT register */
  assert_int_equal(rd(s, CRC + 0x10, 0), 0);
  wr(s, CRC + 4, 0xFFFFFFFFu, 0);
  assert_int_equal(rd(s, CRC + 4, 0), 0xFFu);
  lf_soc_free(s);
}

/* RCC: HSI 8 MHz after reset; PLL from HSI/2 x 16 = 64 MHz once locked and
 * selected (SWS follows SW). */
static void f1_rcc_pll_from_hsi(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, RCC, 0), 0x83u);
  assert_int_equal(rd(s, RCC + 0x14, 0), 0x14u);
  wr(s, RCC + 4, 14u << 18, 0);           /* PLLMUL x16, PLLSRC HSI/2 */
  wr(s, RCC, rd(s, RCC, 0) | (1u << 24), 0);
  assert_int_equal(rd(s, RCC, 0) & (1u << 25), 0);
  wr(s, RCC + 4, (14u << 18) | 2u, MS); /* SW = PLL */
  assert_int_equal(rd(s, RCC, MS) & (1u << 25), 1u << 25);
  assert_int_equal(rd(s, RCC + 4, MS) & 0xCu, 0x8u);
  assert_int_equal(lf_soc_sysclk_hz(s), 64e6);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 2 * MS);
  assert_int_equal(lf_soc_sysclk_hz(s), 8e6);
  lf_soc_free(s);
}

/* GPIO (F1 layout): clock gate, CRL/CRH reset 0x44444444, ODR/BSRR/BRR and
 * the observer, IDR of output pins. */
static void f1_gpio_odr_bsrr_brr_and_clock_gate(void **state)
{
  (void)state;
  lf_soc *s = mk();
  led_changes = 0;
  lf_soc_set_gpio_cb(s, on_gpio, NULL);
  wr(s, GPIOA + 0x0C, 0x20u, 0);
  assert_int_equal(rd(s, GPIOA + 0x0C, 0), 0); /* IOPAEN off */
  assert_int_equal(led_changes, 0);
  wr(s, RCC + 0x18, 1u << 2, 0);
  assert_int_equal(rd(s, GPIOA, 0), 0x44444444u);
  wr(s, GPIOA, 0x44244444u, 0); /* PA5 output */
  wr(s, GPIOA + 0x10, 0x20u, 0); /* BSRR set */
  assert_int_equal(led_odr, 0x20u);
  assert_int_equal(rd(s, GPIOA + 0x08, 0) & 0x20u, 0x20u);
  wr(s, GPIOA + 0x14, 0x20u, 0); /* BRR */
  assert_int_equal(led_odr, 0);
  wr(s, GPIOA + 0x10, 0x00200020u, 0); /* set and reset: set wins */
  assert_int_equal(led_odr, 0x20u);
  assert_int_equal(led_changes, 3);
  lf_soc_free(s);
}

/* The committed F103 demo (scripts/demo-fw/blink-f103.c) programmed
 * half-word by half-word boots from the alias on the Cortex-M3 and toggles
 * LD2 (PA5) every 100 ms at 8 MHz: 10 changes in 1.05 s. */
static void f1_11_demo_blinks_ld2(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = 0;
  for (unsigned i = 0; i < lf_demo_f103_bin_len; i += 2)
    t = program(s, FLASH + i, (uint16_t)(lf_demo_f103_bin[i] | lf_demo_f103_bin[i + 1] << 8), t);
  wr(s, CR, LOCK, t);
  lf_core *c = soc_demo_run(s, &P, 10 * MS, 1060 * MS);
  assert_int_equal(led_changes, 10);
  assert_int_equal(led_odr & 0x20u, 0);
  assert_int_equal(lf_core_reg(c, 13), 0x20005000u);
  lf_core_free(c);
  lf_soc_free(s);
}

/* IWDG with the F1's 40 kHz LSI: PR 6, RLR 0xFFF = 26.2 s; a hardware
 * watchdog (USER WDG_SW = 0) runs from reset with PR 0, RLR 0xFFF: 409.6 ms. */
static void f1_iwdg_lsi_40khz_and_hardware_option(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(lf_soc_watchdog_deadline(s), UINT64_MAX);
  wr(s, IWDG, 0xCCCC, 0);
  assert_int_equal(lf_soc_watchdog_deadline(s), 409600000ull);
  wr(s, IWDG, 0x5555, 0);
  wr(s, IWDG + 4, 6, 0);
  wr(s, IWDG, 0xAAAA, 0);
  assert_int_equal(lf_soc_watchdog_deadline(s), 26214400000ull);
  uint8_t o[8];
  memcpy(o, factory, 8);
  o[1] = 0xFE; /* WDG_SW = 0 */
  uint64_t t = write_options(s, o, MS);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(rd(s, OBR, t) & 4u, 0);
  assert_int_equal(lf_soc_watchdog_deadline(s), t + 409600000ull);
  lf_soc_free(s);
}

/* R 8: DBGMCU_CR keeps its bits across a system reset, not a power-on;
 * pyOCD's stm32f103rc target writes 0x7E3FFF00 (defined bits kept). */
static void f1_8_dbgmcu_cr_persistence(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, DBGMCU + 4, 0x7E3FFF00u, 0);
  assert_int_equal(rd(s, DBGMCU + 4, 0), 0x7E3FFF00u & 0x001FFFE7u);
  wr(s, DBGMCU + 4, 0x307u, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, MS);
  assert_int_equal(rd(s, DBGMCU + 4, MS), 0x307u);
  lf_soc_reset(s, LF_SOC_RESET_POWER, 2 * MS);
  assert_int_equal(rd(s, DBGMCU + 4, 2 * MS), 0);
  lf_soc_free(s);
}

/* State file: array and option bytes round trip; another part's file is
 * refused naming both; power loss during a page erase leaves the page
 * undefined and the SRAM garbage. */
static void f1_state_file_and_power_loss(void **state)
{
  (void)state;
  char err[256];
  lf_soc *s = mk();
  unlock(s, 0);
  uint64_t t = program(s, FLASH + 0x100, 0x600D, 0);
  uint8_t o[8];
  memcpy(o, factory, 8);
  o[5] = 0x7F;
  t = write_options(s, o, t);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), 0);
  lf_soc *d = mk();
  rewind(f);
  assert_int_equal(lf_soc_load_state(d, f, err, sizeof err), 0);
  lf_soc_reset(d, LF_SOC_RESET_POWER, 0);
  assert_int_equal(rdn(d, FLASH + 0x100, 2, 0), 0x600D);
  assert_int_equal(rd(d, WRPR, 0), 0xFFFF7FFFu);
  lf_soc *rc = mk_part("stm32f103rc");
  rewind(f);
  assert_int_equal(lf_soc_load_state(rc, f, err, sizeof err), -1);
  assert_non_null(strstr(err, "part stm32f103rb in state file does not match stm32f103rc"));
  fclose(f);
  lf_soc_free(rc);
  /* power loss 5 ms into a page erase */
  unlock(d, 0);
  erase_page(d, FLASH + 0x100, 0);
  lf_soc_power_loss(d, 5 * MS);
  uint8_t page[1024];
  assert_int_equal(lf_soc_peek(d, FLASH, page, sizeof page), 0);
  unsigned ff = 0;
  for (unsigned i = 0; i < sizeof page; i++)
    ff += page[i] == 0xFF;
  assert_true(ff < 64);
  lf_soc_free(d);
  lf_soc_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(f1_1_identity_regions_and_system_memory),
    cmocka_unit_test(f1_3_factory_options_obr_wrpr),
    cmocka_unit_test(f1_3_key_sequences),
    cmocka_unit_test(f1_3_program_half_words_timing_stall_eop),
    cmocka_unit_test(f1_3_3_pgerr_zero_exception_and_wrong_widths),
    cmocka_unit_test(f1_3_page_and_mass_erase),
    cmocka_unit_test(f1_3_4_option_bytes_and_write_protection),
    cmocka_unit_test(f1_3_4_rdp1_and_its_regression),
    cmocka_unit_test(f1_7_crc_unit_gives_zlib_crc_with_rbit),
    cmocka_unit_test(f1_rcc_pll_from_hsi),
    cmocka_unit_test(f1_gpio_odr_bsrr_brr_and_clock_gate),
    cmocka_unit_test(f1_11_demo_blinks_ld2),
    cmocka_unit_test(f1_iwdg_lsi_40khz_and_hardware_option),
    cmocka_unit_test(f1_8_dbgmcu_cr_persistence),
    cmocka_unit_test(f1_state_file_and_power_loss),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
