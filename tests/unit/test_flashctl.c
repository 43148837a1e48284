/* STM32F767ZI flash controller through lf_soc_access, with explicit times.
 * Rows cited are stm32f7-target.md sections; times come from the default
 * parameter table (params.c): tPROG 16 us, 32 KiB erase x32 200 ms, x8
 * 400 ms, 256 KiB x8 2 s, mass x32 8 s, x8 16 s, option write 50 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bench/faults.h"
#include "bench/params.h"
#include "bench/soc.h"

#define FLASH 0x08000000u
#define ITCMF 0x00200000u
#define ACR 0x40023C00u
#define KEYR 0x40023C04u
#define OPTKEYR 0x40023C08u
#define SR 0x40023C0Cu
#define CR 0x40023C10u
#define OPTCR 0x40023C14u
#define OPTCR1 0x40023C18u
#define MS 1000000ull
#define US 1000ull

#define PG 0x1u
#define SER 0x2u
#define MER 0x4u
#define MER2 0x8000u
#define STRT 0x10000u
#define EOPIE 0x1000000u
#define ERRIE 0x2000000u
#define LOCK 0x80000000u
#define PSIZE(x) ((uint32_t)(x) << 8)
#define SNB(n) ((uint32_t)(n) << 3)
#define BSY 0x10000u

static lf_bench_params P;
static lf_faults F;

static lf_soc *mk(const char *faults)
{
  char err[256];
  lf_bench_params_default(&P);
  assert_int_equal(lf_faults_parse(&F, faults, err, sizeof err), 0);
  lf_soc *s = lf_soc_new("stm32f767zi", &P, &F, err, sizeof err);
  assert_non_null(s);
  return s;
}

static uint32_t rdm(lf_soc *s, lf_bus_master m, uint32_t a, unsigned size, uint64_t *t)
{
  uint32_t v = 0xDEADBEEF;
  assert_int_equal(lf_soc_access(s, m, a, size, false, &v, t), LF_BUS_OK);
  return v;
}

static uint32_t rd(lf_soc *s, uint32_t a, uint64_t t)
{
  return rdm(s, LF_BUS_DEBUG, a, 4, &t);
}

static int wrm(lf_soc *s, lf_bus_master m, uint32_t a, unsigned size, uint32_t v, uint64_t *t)
{
  return lf_soc_access(s, m, a, size, true, &v, t);
}

static void wr(lf_soc *s, uint32_t a, uint32_t v, uint64_t t)
{
  assert_int_equal(wrm(s, LF_BUS_DEBUG, a, 4, v, &t), LF_BUS_OK);
}

static void unlock(lf_soc *s, uint64_t t)
{
  wr(s, KEYR, 0x45670123u, t);
  wr(s, KEYR, 0xCDEF89ABu, t);
  assert_int_equal(rd(s, CR, t) & LOCK, 0);
}

static void opt_unlock(lf_soc *s, uint64_t t)
{
  wr(s, OPTKEYR, 0x08192A3Bu, t);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, t);
  assert_int_equal(rd(s, OPTCR, t) & 1u, 0);
}

/* Programs options (OPTCR value without lock/start, OPTCR1) at t; returns the end of BSY. */
static uint64_t set_options(lf_soc *s, uint32_t optcr, uint32_t optcr1, uint64_t t)
{
  opt_unlock(s, t);
  wr(s, OPTCR1, optcr1, t);
  wr(s, OPTCR, optcr & ~3u, t);
  wr(s, OPTCR, (optcr & ~3u) | 2u, t);
  uint64_t end = t;
  while (rd(s, SR, end) & BSY)
    end += MS;
  return end;
}

/* 3.1, 3.5: reset values; 4.1: KEY1, KEY2 clears LOCK. */
static void cr_locked_after_reset_keys_unlock(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  assert_int_equal(rd(s, CR, 0), LOCK);
  assert_int_equal(rd(s, SR, 0), 0);
  assert_int_equal(rd(s, ACR, 0), 0);
  assert_int_equal(rd(s, OPTCR, 0), 0xFFFFAAFDu); /* 3.6 factory */
  assert_int_equal(rd(s, OPTCR1, 0), 0x00400080u); /* 3.7 factory */
  unlock(s, 10);
  assert_int_equal(rd(s, CR, 10), 0);
  wr(s, CR, LOCK, 20); /* 3.5 LOCK: write 1 to lock */
  assert_int_equal(rd(s, CR, 20), LOCK);
  lf_soc_free(s);
}

/* 3.2: ACR keeps LATENCY, PRFTEN, ARTEN, ARTRST only (0xB0F); the F4's
 * DCEN/DCRST bits (10, 12) do not exist here; RDERR (bit 8, F4 only) is
 * never set and its w1c write is harmless. */
static void acr_implements_f7_bits_only(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  wr(s, ACR, 0xFFFFFFFFu, 0);
  assert_int_equal(rd(s, ACR, 0), 0xB0Fu);
  wr(s, ACR, 0x00000102u, 0);
  assert_int_equal(rd(s, ACR, 0), 0x102u);
  wr(s, SR, 0x1F3u, 0);
  assert_int_equal(rd(s, SR, 0), 0);
  lf_soc_free(s);
}

/* 4.1: wrong key -> bus error, locked until the next system reset. */
static void wrong_key_bus_error_and_locked_until_system_reset(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = 0;
  assert_int_equal(wrm(s, LF_BUS_DEBUG, KEYR, 4, 0xCDEF89ABu, &t), LF_BUS_ERR); /* wrong order */
  assert_int_equal(wrm(s, LF_BUS_DEBUG, KEYR, 4, 0x45670123u, &t), LF_BUS_ERR);
  assert_int_equal(wrm(s, LF_BUS_DEBUG, KEYR, 4, 0xCDEF89ABu, &t), LF_BUS_ERR);
  assert_int_equal(rd(s, CR, 0) & LOCK, LOCK);
  assert_true(lf_soc_counters_get(s)->bus_errors >= 3);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 100);
  unlock(s, 200);
  lf_soc_free(s);
}

/* 4.1: KEYR write while unlocked -> bus error; the controller relocks. */
static void keyr_write_while_unlocked_is_bus_error(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  uint64_t t = 5;
  assert_int_equal(wrm(s, LF_BUS_DEBUG, KEYR, 4, 0x45670123u, &t), LF_BUS_ERR);
  assert_int_equal(rd(s, CR, 5) & LOCK, LOCK);
  assert_int_equal(wrm(s, LF_BUS_DEBUG, KEYR, 4, 0x45670123u, &t), LF_BUS_ERR);
  lf_soc_free(s);
}

/* 3.5: CR writes are ignored while LOCK=1. */
static void cr_writes_ignored_while_locked(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  wr(s, CR, PG | PSIZE(2), 0);
  assert_int_equal(rd(s, CR, 0), LOCK);
  wr(s, FLASH, 0, 10); /* program attempt with PG=0 -> ERSERR (5) */
  assert_int_equal(rd(s, SR, 10), 0x80u);
  assert_int_equal(rd(s, FLASH, 10), 0xFFFFFFFFu);
  lf_soc_free(s);
}

/* 4.2 / 9.1: x32 word program takes tPROG 16 us; a read of the busy bank
 * stalls until the end; NOR AND semantics (4.2 note). */
static void program_word_busy_tprog_and_and_semantics(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH + 8, 0x12345678u, 1000);
  assert_int_equal(rd(s, SR, 1000 + 16 * US - 1), BSY);
  assert_int_equal(rd(s, SR, 1000 + 16 * US), 0);
  /* new op, then a read at its start stalls to its end */
  wr(s, FLASH + 8, 0xFFFF00FFu, 100 * US);
  uint64_t t = 100 * US;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, FLASH + 8, 4, &t), 0x12340078u);
  assert_int_equal(t, 116 * US);
  assert_int_equal(lf_soc_counters_get(s)->stall_ns, 16 * US);
  assert_int_equal(lf_soc_counters_get(s)->flash_prog_ops, 2);
  assert_int_equal(lf_soc_counters_get(s)->flash_prog_bytes, 8);
  assert_int_equal(lf_soc_counters_get(s)->flash_busy_ns, 32 * US);
  lf_soc_free(s);
}

/* 5: size != PSIZE -> PGPERR, nothing written. */
static void size_not_psize_sets_pgperr(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  uint64_t t = 10;
  assert_int_equal(wrm(s, LF_BUS_DEBUG, FLASH, 1, 0x00, &t), LF_BUS_OK);
  assert_int_equal(rd(s, SR, 10), 0x40u);
  assert_int_equal(rd(s, FLASH, 10), 0xFFFFFFFFu);
  lf_soc_free(s);
}

/* 5 / bench rule: an access not aligned to its size -> PGAERR. */
static void unaligned_program_sets_pgaerr(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(1), 0);
  uint64_t t = 10;
  assert_int_equal(wrm(s, LF_BUS_CORE, FLASH + 1, 2, 0x0000, &t), LF_BUS_OK);
  assert_int_equal(rd(s, SR, 10), 0x20u);
  assert_int_equal(rd(s, FLASH, 10), 0xFFFFFFFFu);
  lf_soc_free(s);
}

/* 5: write with PG=0 -> ERSERR; stale errors refuse the next program
 * (flash_errors_block_ops, 13 #8) until cleared by writing 1s (3.4 w1c). */
static void erserr_is_sticky_until_w1c(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, FLASH, 0x0, 10);
  assert_int_equal(rd(s, SR, 10), 0x80u);
  wr(s, CR, PG | PSIZE(2), 20);
  wr(s, FLASH, 0x0, 30);
  assert_int_equal(rd(s, FLASH, 30), 0xFFFFFFFFu);
  wr(s, SR, 0x40u, 40); /* wrong bit: ERSERR stays */
  assert_int_equal(rd(s, SR, 40), 0x80u);
  wr(s, SR, 0xF3u, 50);
  assert_int_equal(rd(s, SR, 50), 0);
  wr(s, FLASH, 0x0, 60);
  assert_int_equal(rd(s, FLASH, 60 + 16 * US), 0);
  lf_soc_free(s);
}

/* 3.4 (unconfirmed, flash_eop_needs_eopie): EOP only with EOPIE, OPERR only with ERRIE. */
static void eop_and_operr_follow_interrupt_enables(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH, 0x0, 10);
  assert_int_equal(rd(s, SR, 20 * US), 0); /* no EOP without EOPIE */
  wr(s, CR, PG | PSIZE(2) | EOPIE | ERRIE, 30 * US);
  wr(s, FLASH + 4, 0x0, 30 * US);
  assert_int_equal(rd(s, SR, 30 * US + 16 * US), 0x1u);
  wr(s, FLASH + 9, 0x0, 60 * US); /* unaligned word -> PGAERR + OPERR */
  assert_int_equal(rd(s, SR, 60 * US) & 0xF2u, 0x22u);
  lf_soc_free(s);
}

/* 4.2, 8: x64 = two 32-bit stores; one operation of tPROG after the second. */
static void x64_programs_two_word_stores_as_one_operation(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(3), 0);
  wr(s, FLASH + 16, 0x11111111u, 100);
  assert_int_equal(rd(s, SR, 100), 0);
  assert_int_equal(rd(s, FLASH + 16, 100), 0xFFFFFFFFu);
  wr(s, FLASH + 20, 0x22222222u, 200);
  assert_int_equal(rd(s, SR, 200), BSY);
  assert_int_equal(rd(s, FLASH + 16, 200 + 16 * US), 0x11111111u);
  assert_int_equal(rd(s, FLASH + 20, 200 + 16 * US), 0x22222222u);
  assert_int_equal(lf_soc_counters_get(s)->flash_prog_ops, 1);
  uint64_t t = 100 * US;
  assert_int_equal(wrm(s, LF_BUS_DEBUG, FLASH + 32, 2, 0, &t), LF_BUS_OK);
  assert_int_equal(rd(s, SR, t) & 0x40u, 0x40u); /* half-word with x64 -> PGPERR */
  lf_soc_free(s);
}

/* 4.3, 9.1: sector 0 (32 KiB) x32 erase is busy exactly 200 ms; the stalled
 * read completes at the end time; content reads 0xFF. */
static void sector0_erase_x32_busy_200ms_and_read_stalls(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH + 0x100, 0x0, 0);
  wr(s, CR, SER | SNB(0) | PSIZE(2), 1 * MS);
  wr(s, CR, SER | SNB(0) | PSIZE(2) | STRT, 1 * MS);
  assert_int_equal(rd(s, SR, 201 * MS - 1), BSY);
  assert_int_equal(rd(s, CR, 201 * MS - 1) & STRT, STRT);
  assert_int_equal(rd(s, SR, 201 * MS), 0);
  assert_int_equal(rd(s, CR, 201 * MS) & STRT, 0); /* STRT clears with BSY */
  uint64_t t = 2 * MS;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 300 * MS);
  unlock(s, 300 * MS);
  wr(s, CR, SER | SNB(0) | STRT, 300 * MS); /* OpenOCD style: x8 -> 400 ms */
  t = 300 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, ITCMF + 0x100, 4, &t), 0xFFFFFFFFu);
  assert_int_equal(t, 700 * MS);
  assert_int_equal(lf_soc_counters_get(s)->flash_sector_erases, 2);
  lf_soc_free(s);
}

/* 7.1, 9.1: sector 5 (256 KiB) x8 erase = 2 s and erases exactly its range. */
static void sector5_erase_x8_is_2s_and_bounded(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, 0x0803FFFCu, 0, 0);        /* last word of sector 4 */
  wr(s, 0x08040000u, 0, 1 * MS);   /* first of sector 5 */
  wr(s, 0x0807FFFCu, 0, 2 * MS);   /* last of sector 5 */
  wr(s, 0x08080000u, 0, 3 * MS);   /* first of sector 6 */
  wr(s, CR, SER | SNB(5) | STRT, 4 * MS);
  assert_int_equal(rd(s, SR, 4 * MS + 2000 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, 4 * MS + 2000 * MS), 0);
  assert_int_equal(rd(s, 0x0803FFFCu, 3 * 1000 * MS), 0);
  assert_int_equal(rd(s, 0x08040000u, 3 * 1000 * MS), 0xFFFFFFFFu);
  assert_int_equal(rd(s, 0x0807FFFCu, 3 * 1000 * MS), 0xFFFFFFFFu);
  assert_int_equal(rd(s, 0x08080000u, 3 * 1000 * MS), 0);
  lf_soc_free(s);
}

/* 4.4: SER and MER together -> neither runs (ERSERR); 7.3 invalid SNB -> ERSERR. */
static void ser_with_mer_or_bad_snb_runs_nothing(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH, 0, 0);
  wr(s, CR, SER | MER | SNB(0) | STRT, 1 * MS);
  assert_int_equal(rd(s, SR, 1 * MS), 0x80u);
  assert_int_equal(rd(s, FLASH, 1 * MS), 0);
  wr(s, SR, 0xF3, 2 * MS);
  wr(s, CR, SER | SNB(12) | STRT, 2 * MS); /* single bank has sectors 0-11 */
  assert_int_equal(rd(s, SR, 2 * MS), 0x80u);
  lf_soc_free(s);
}

/* 4.4, 9.1: single-bank mass erase (MER) x32 = 8 s; MER2 alone names no bank. */
static void mass_erase_single_bank_8s(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, 0x081FFFFCu, 0, 0);
  wr(s, CR, MER2 | PSIZE(2) | STRT, 1 * MS);
  assert_int_equal(rd(s, SR, 1 * MS), 0x80u);
  wr(s, SR, 0xF3, 1 * MS);
  wr(s, CR, MER | PSIZE(2) | STRT, 1 * MS);
  assert_int_equal(rd(s, SR, 8001 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, 8001 * MS), 0);
  assert_int_equal(rd(s, 0x081FFFFCu, 8001 * MS), 0xFFFFFFFFu);
  assert_int_equal(lf_soc_counters_get(s)->flash_mass_erases, 1);
  lf_soc_free(s);
}

/* 3.6, 7.4: nWRP bit 1 = 0 protects sector 1 (after reset): erase and
 * program give WRPERR; mass erase too; sector 0 still works. */
static void write_protection_refuses_erase_and_program(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = set_options(s, 0xFFFDAAFCu, 0x00400080u, 0);
  assert_int_equal(t, 50 * MS); /* flash_opt_ns */
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  unlock(s, t);
  wr(s, CR, SER | SNB(1) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), 0x10u);
  wr(s, SR, 0xF3, t);
  wr(s, CR, PG | PSIZE(2), t);
  wr(s, 0x08008000u, 0, t);
  assert_int_equal(rd(s, SR, t), 0x10u);
  assert_int_equal(rd(s, 0x08008000u, t), 0xFFFFFFFFu);
  wr(s, SR, 0xF3, t);
  wr(s, 0x08000000u, 0, t);
  assert_int_equal(rd(s, SR, t), BSY);
  wr(s, CR, MER | STRT, t + 1 * MS);
  assert_int_equal(rd(s, SR, t + 1 * MS), 0x10u);
  lf_soc_free(s);
}

/* 4.5, 6.2: OPTCR reads back new values at once, the image and the chip
 * follow the stored values; RDP takes effect at the next system reset. */
static void option_write_readback_image_and_effect_after_reset(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = 0;
  wr(s, OPTCR, 0xFFFF55FCu, t); /* locked: ignored */
  assert_int_equal(rd(s, OPTCR, t), 0xFFFFAAFDu);
  opt_unlock(s, t);
  wr(s, OPTCR, 0xFFFF55FCu, t);
  assert_int_equal(rd(s, OPTCR, t), 0xFFFF55FCu);
  assert_int_equal(rd(s, 0x1FFF0000u, t), 0x5502AAFDu); /* not yet stored */
  /* HAL byte store of RDP at 0x40023C15 (3.1 note) */
  uint64_t tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, OPTCR + 1, 1, 0x55, &tt), LF_BUS_OK);
  wr(s, OPTCR, 0xFFFF55FEu, t);
  assert_int_equal(rd(s, SR, t), BSY);
  assert_int_equal(rd(s, OPTCR, t) & 2u, 2u);
  assert_int_equal(rd(s, SR, 50 * MS), 0);
  assert_int_equal(rd(s, OPTCR, 50 * MS) & 2u, 0);
  assert_int_equal(rd(s, 0x1FFF0000u, 50 * MS), 0xAA0255FDu);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  assert_int_equal(rd(s, FLASH, 50 * MS), 0xFFFFFFFFu);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 60 * MS);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  assert_int_equal(rd(s, OPTCR, 60 * MS), 0xFFFF55FDu);
  assert_int_equal(lf_soc_counters_get(s)->flash_opt_writes, 1);
  lf_soc_free(s);
}

/* 5 (unconfirmed) + 4.5: RDP 1 blocks DEBUG flash access; the core too only
 * once the board reports the debug port in use (lf_soc_debug_connected,
 * below); 1 -> 0 mass-erases (x8 after reset: 16 s + 50 ms). */
static void rdp1_blocks_debug_and_regression_mass_erases(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH, 0x0, 0);
  uint64_t t = set_options(s, 0xFFFF55FCu, 0x00400080u, 1 * MS);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  uint32_t v;
  uint64_t tt = t;
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, FLASH, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, ITCMF, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, 0x1FF0F000u, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, 0x40024000u, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(rdm(s, LF_BUS_CORE, FLASH, 4, &tt), 0);
  assert_int_equal(rd(s, 0x20000000u, tt), 0); /* RAM still readable */
  opt_unlock(s, t);
  wr(s, OPTCR, 0xFFFFAAFCu, t);
  wr(s, OPTCR, 0xFFFFAAFEu, t);
  assert_int_equal(rd(s, SR, t + 16050 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, t + 16050 * MS), 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t + 16100 * MS);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  assert_int_equal(rd(s, FLASH, t + 16100 * MS), 0xFFFFFFFFu);
  lf_soc_free(s);
}

/* Read protection with a debugger (params rdp1_blocks_flash_with_debug,
 * RM0402's read-protection text for this controller family): at RDP 1 the
 * firmware keeps its flash until the debug port is used; from then on (until
 * power-on) the core's reads of flash, its ITCM alias, OTP and backup SRAM
 * are bus errors, its program stores and erases are refused with WRPERR
 * (rdp1_debug_flash_error) and change nothing. Options still program: RDP
 * 1 -> 0 mass-erases (x8 after reset: 16 s + 50 ms) and level 0 after the
 * next reset gives the flash back to the core. */
static void rdp1_with_debugger_core_cannot_read_program_or_erase(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH, 0x12345678u, 0);
  uint64_t t = set_options(s, 0xFFFF55FCu, 0x00400080u, 1 * MS);
  assert_int_equal(t, 51 * MS); /* option write 50 ms */
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  /* no debugger since power-on: the firmware reads its flash */
  assert_false(lf_soc_flash_locked(s));
  uint64_t tt = t;
  assert_int_equal(rdm(s, LF_BUS_CORE, FLASH, 4, &tt), 0x12345678u);
  lf_soc_debug_connected(s);
  assert_true(lf_soc_flash_locked(s));
  uint32_t v = 0;
  static const uint32_t blocked[] = {FLASH, FLASH + 0x1000u, ITCMF, 0x1FF0F000u, 0x1FF0F400u,
                                     0x40024000u};
  for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++) {
    tt = t;
    assert_int_equal(lf_soc_access(s, LF_BUS_CORE, blocked[i], 4, false, &v, &tt), LF_BUS_ERR);
  }
  tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, 0x40024000u, 4, 1, &tt), LF_BUS_ERR); /* backup SRAM */
  assert_int_equal(rdm(s, LF_BUS_CORE, 0x20000000u, 4, &tt), 0);            /* RAM is not */
  assert_int_equal(rdm(s, LF_BUS_CORE, 0x1FF0F442u, 2, &tt), 0x0800);        /* nor the size */
  /* programming: the store is taken, the controller refuses it */
  unlock(s, t);
  wr(s, CR, PG | PSIZE(2), t);
  tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, 0x08008000u, 4, 0, &tt), LF_BUS_OK);
  assert_int_equal(rd(s, SR, t), 0x10u); /* WRPERR, not busy */
  wr(s, SR, 0xF3u, t);
  tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, 0x1FF0F000u, 4, 0, &tt), LF_BUS_OK); /* OTP */
  assert_int_equal(rd(s, SR, t), 0x10u);
  wr(s, SR, 0xF3u, t);
  /* sector and mass erase, started by the core */
  tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, CR, 4, SER | SNB(1) | PSIZE(2) | STRT, &tt), LF_BUS_OK);
  assert_int_equal(rd(s, SR, t), 0x10u);
  wr(s, SR, 0xF3u, t);
  tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, CR, 4, MER | PSIZE(2) | STRT, &tt), LF_BUS_OK);
  assert_int_equal(rd(s, SR, t), 0x10u);
  assert_int_equal(rd(s, CR, t) & STRT, 0);
  wr(s, SR, 0xF3u, t);
  const lf_soc_counters *c = lf_soc_counters_get(s);
  assert_int_equal(c->flash_prog_ops, 1);
  assert_int_equal(c->flash_sector_erases, 0);
  assert_int_equal(c->flash_mass_erases, 0);
  assert_int_equal(c->flash_errors, 4);
  uint8_t b[4];
  assert_int_equal(lf_soc_peek(s, FLASH, b, 4), 0);
  assert_memory_equal(b, "\x78\x56\x34\x12", 4);
  assert_int_equal(lf_soc_peek(s, 0x08008000u, b, 4), 0);
  assert_memory_equal(b, "\xFF\xFF\xFF\xFF", 4);
  assert_int_equal(lf_soc_peek(s, 0x1FF0F000u, b, 4), 0);
  assert_memory_equal(b, "\xFF\xFF\xFF\xFF", 4);
  /* a system reset keeps the debugger latch */
  t += 1 * MS;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_true(lf_soc_flash_locked(s));
  /* RDP 1 -> 0: option programming still works and mass-erases */
  opt_unlock(s, t);
  wr(s, OPTCR, 0xFFFFAAFCu, t);
  wr(s, OPTCR, 0xFFFFAAFEu, t);
  assert_int_equal(rd(s, SR, t + 16050 * MS - 1), BSY);
  assert_int_equal(rd(s, SR, t + 16050 * MS), 0);
  assert_int_equal(c->flash_mass_erases, 1);
  assert_true(lf_soc_flash_locked(s)); /* level 1 until the next reset */
  t += 16100 * MS;
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  assert_false(lf_soc_flash_locked(s));
  tt = t;
  assert_int_equal(rdm(s, LF_BUS_CORE, FLASH, 4, &tt), 0xFFFFFFFFu);
  unlock(s, t);
  wr(s, CR, PG | PSIZE(2), t);
  tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, 0x08008000u, 4, 0xCAFEF00Du, &tt), LF_BUS_OK);
  assert_int_equal(rd(s, SR, t), BSY);
  assert_int_equal(rd(s, SR, t + 16 * US), 0);
  tt = t + 16 * US;
  assert_int_equal(rdm(s, LF_BUS_CORE, 0x08008000u, 4, &tt), 0xCAFEF00Du);
  lf_soc_free(s);
}

/* The latch is cleared by power-on only; rdp1_blocks_flash_with_debug = 0
 * gives the old bench (only the debugger is blocked). */
static void rdp1_debug_latch_power_on_and_parameter(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = set_options(s, 0xFFFF55FCu, 0x00400080u, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  lf_soc_debug_connected(s);
  assert_true(lf_soc_flash_locked(s));
  lf_soc_reset(s, LF_SOC_RESET_POWER, t);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  assert_false(lf_soc_flash_locked(s));
  uint64_t tt = t;
  assert_int_equal(rdm(s, LF_BUS_CORE, FLASH, 4, &tt), 0xFFFFFFFFu);
  uint32_t v;
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, FLASH, 4, false, &v, &tt), LF_BUS_ERR);
  lf_soc_reset(s, LF_SOC_RESET_POWER, t);
  P.rdp1_blocks_flash_with_debug = 0;
  lf_soc_debug_connected(s);
  assert_false(lf_soc_flash_locked(s));
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, FLASH, 4, false, &v, &tt), LF_BUS_ERR);
  unlock(s, t);
  wr(s, CR, PG | PSIZE(2), t);
  tt = t;
  assert_int_equal(wrm(s, LF_BUS_CORE, FLASH, 4, 0, &tt), LF_BUS_OK);
  assert_int_equal(rd(s, SR, t), BSY);
  tt = t + 16 * US;
  assert_int_equal(rdm(s, LF_BUS_CORE, FLASH, 4, &tt), 0);
  lf_soc_free(s);
}

/* RM0402: booting from RAM (BOOT_ADD0 = 0x8000 -> DTCM) at RDP 1 locks the
 * flash without a debugger; rdp1_debug_flash_error picks the refusal flag. */
static void rdp1_boot_from_ram_locks_and_error_flag_is_a_parameter(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  P.rdp1_debug_flash_error = 0x80; /* ERSERR */
  uint64_t t = set_options(s, 0xFFFF55FCu, 0x00408000u, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_boot_address(s), 0x20000000u);
  assert_true(lf_soc_flash_locked(s));
  unlock(s, t);
  wr(s, CR, SER | SNB(0) | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), 0x80u);
  assert_int_equal(lf_soc_counters_get(s)->flash_sector_erases, 0);
  lf_soc_free(s);
}

/* The F429 (stm32f4-target.md 5: program/erase refused at RDP 1 with a
 * debugger "even if nWRP = 1"): the boot alias at 0 is flash too, so the
 * firmware's own view of flash goes with it. */
static void rdp1_with_debugger_f429_boot_alias_and_array(void **state)
{
  (void)state;
  char err[256];
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new("stm32f429zi", &P, NULL, err, sizeof err);
  assert_non_null(s);
  uint64_t t = set_options(s, 0x0FFF55ECu, 0x0FFF0000u, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  uint64_t tt = t;
  assert_int_equal(rdm(s, LF_BUS_CORE, 0x00000000u, 4, &tt), 0xFFFFFFFFu);
  lf_soc_debug_connected(s);
  uint32_t v;
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, 0x00000000u, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, 0x08100000u, 4, false, &v, &tt), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, 0x1FFF7800u, 4, false, &v, &tt), LF_BUS_ERR);
  unlock(s, t);
  wr(s, CR, PG | PSIZE(2), t);
  assert_int_equal(wrm(s, LF_BUS_CORE, 0x00004000u, 4, 0, &tt), LF_BUS_OK); /* via the alias */
  assert_int_equal(rd(s, SR, t), 0x10u);
  wr(s, SR, 0xF3u, t);
  wr(s, CR, MER | MER2 | PSIZE(2) | STRT, t);
  assert_int_equal(rd(s, SR, t), 0x10u);
  assert_int_equal(lf_soc_counters_get(s)->flash_mass_erases, 0);
  lf_soc_free(s);
}

/* 3.6: RDP level 2 (0xCC) is irreversible. */
static void rdp2_refuses_further_option_changes(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = set_options(s, 0xFFFFCCFCu, 0x00400080u, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 2);
  t = set_options(s, 0xFFFFAAFCu, 0x00400080u, t);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_rdp_level(s), 2);
  assert_int_equal(rd(s, 0x1FFF0000u, t) & 0xFFFF, 0xCCFDu);
  lf_soc_free(s);
}

/* 7.2, 7.3, 5 (RWW), 4.5 (nDBANK, flash_ndbank_change_erases=1). */
static void dual_bank_geometry_snb_and_read_while_write(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH, 0x0, 0);
  uint64_t t = set_options(s, 0xDFFFAAFCu, 0x00400080u, 1 * MS); /* nDBANK = 0 */
  assert_int_equal(t, 1 * MS + 8050 * MS); /* option write + 2 MiB erase at x32 */
  assert_int_equal(rd(s, FLASH, t), 0xFFFFFFFFu);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  unlock(s, t);
  wr(s, CR, PG | PSIZE(2), t);
  wr(s, 0x08100000u, 0x0, t);
  wr(s, 0x08104000u, 0x0, t + 1 * MS);
  wr(s, 0x08000000u, 0x0, t + 2 * MS);
  /* SNB 0x10 = bank 2 sector 0: 16 KiB x32 = 100 ms (params: half of 32 KiB) */
  wr(s, CR, SER | SNB(0x10) | PSIZE(2) | STRT, t + 3 * MS);
  uint64_t r = t + 3 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, 0x08000000u, 4, &r), 0); /* bank 1: no stall */
  assert_int_equal(r, t + 3 * MS);
  assert_int_equal(rdm(s, LF_BUS_DEBUG, 0x08100000u, 4, &r), 0xFFFFFFFFu);
  assert_int_equal(r, t + 103 * MS);
  assert_int_equal(rd(s, 0x08104000u, r), 0); /* sector 13 untouched */
  /* 7.4: nWRP bit 6 protects bank-2 sectors 0 and 1 (logical 12, 13) */
  uint64_t t2 = set_options(s, 0xDFBFAAFCu, 0x00400080u, r);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t2);
  unlock(s, t2);
  wr(s, CR, SER | SNB(0x11) | PSIZE(2) | STRT, t2);
  assert_int_equal(rd(s, SR, t2), 0x10u);
  wr(s, SR, 0xF3, t2);
  wr(s, CR, SER | SNB(0x12) | PSIZE(2) | STRT, t2);
  assert_int_equal(rd(s, SR, t2), BSY);
  lf_soc_free(s);
}

/* 4.4: dual bank, MER2 alone erases bank 2 only: x32 = 8 s * 1 MiB / 2 MiB;
 * bank 1 keeps its data and stays readable meanwhile (RWW). */
static void dual_bank_mer2_erases_bank2_only(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = set_options(s, 0xDFFFAAFCu, 0x00400080u, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  unlock(s, t);
  wr(s, CR, PG | PSIZE(2), t);
  wr(s, 0x080FFFFCu, 0x0, t);
  wr(s, 0x08100000u, 0x0, t + 1 * MS);
  wr(s, CR, MER2 | PSIZE(2) | STRT, t + 2 * MS);
  uint64_t r = t + 2 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, 0x080FFFFCu, 4, &r), 0);
  assert_int_equal(r, t + 2 * MS);
  /* one bank of two: the full tME at x32 (flash_mass_ns[x32], 8 s;
   * calibration R9), not half of it */
  uint64_t B = (uint64_t)(P.flash_mass_ns[2] / 1e6);
  assert_int_equal(B, 8000);
  assert_int_equal(rd(s, SR, t + 2 * MS + B * MS - 1), BSY);
  assert_int_equal(rd(s, SR, t + 2 * MS + B * MS), 0);
  assert_int_equal(rd(s, 0x08100000u, t + (B + 2) * MS), 0xFFFFFFFFu);
  lf_soc_free(s);
}

/* 3.7, 4.5: BOOT_ADD0 from OPTCR1 takes effect at the next reset. */
static void boot_add0_change_applies_after_reset(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = set_options(s, 0xFFFFAAFCu, 0x00402000u, 0); /* 0x2000 -> 0x08000000 */
  assert_int_equal(t, 50 * MS);
  assert_int_equal(lf_soc_boot_address(s), 0x00200000u);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t);
  assert_int_equal(lf_soc_boot_address(s), 0x08000000u);
  assert_int_equal(rd(s, 0x1FFF0010u, t), 0xDFFF2000u);
  lf_soc_free(s);
}

/* 4.6: OTP programs once (AND), lock byte 0x00 blocks the block, no erase. */
static void otp_program_once_and_lock(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, 0x1FF0F000u, 0xA5A5A5A5u, 0);
  assert_int_equal(rd(s, 0x1FF0F000u, 20 * US), 0xA5A5A5A5u);
  wr(s, CR, PG | PSIZE(0), 20 * US);
  uint64_t t = 20 * US;
  assert_int_equal(wrm(s, LF_BUS_DEBUG, 0x1FF0F400u, 1, 0x00, &t), LF_BUS_OK);
  wr(s, CR, PG | PSIZE(2), 40 * US);
  wr(s, 0x1FF0F004u, 0x0, 40 * US);
  assert_int_equal(rd(s, SR, 40 * US), 0x10u);
  assert_int_equal(rd(s, 0x1FF0F004u, 40 * US), 0xFFFFFFFFu);
  wr(s, SR, 0xF3, 40 * US);
  wr(s, 0x1FF0F040u, 0x0, 40 * US); /* block 1 still open */
  assert_int_equal(rd(s, 0x1FF0F040u, 60 * US), 0);
  wr(s, CR, MER | STRT, 60 * US);
  assert_int_equal(rd(s, 0x1FF0F000u, 9000 * MS), 0xA5A5A5A5u);
  lf_soc_free(s);
}

/* faults.h: flash_error@N:BITS fails the Nth operation with those SR bits. */
static void injected_flash_error_fails_operation_without_change(void **state)
{
  (void)state;
  lf_soc *s = mk("flash_error@2:0x10");
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  wr(s, FLASH, 0x11111111u, 0);
  wr(s, FLASH + 4, 0x22222222u, 1 * MS);
  assert_int_equal(rd(s, SR, 1 * MS), 0x10u);
  assert_int_equal(rd(s, FLASH + 4, 1 * MS), 0xFFFFFFFFu);
  assert_int_equal(rd(s, FLASH, 1 * MS), 0x11111111u);
  assert_int_equal(lf_soc_counters_get(s)->flash_errors, 1);
  wr(s, SR, 0xF3, 2 * MS);
  wr(s, FLASH + 4, 0x22222222u, 2 * MS);
  assert_int_equal(rd(s, FLASH + 4, 3 * MS), 0x22222222u);
  lf_soc_free(s);
}

/* Bench approximation: a CORE read of SR while BSY returns at the end (a
 * polling loop in virtual time); DEBUG reads never stall. */
static void core_sr_poll_stalls_debug_does_not(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, SER | SNB(1) | PSIZE(2) | STRT, 0);
  uint64_t t = 10 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, SR, 4, &t), BSY);
  assert_int_equal(t, 10 * MS);
  assert_int_equal(rdm(s, LF_BUS_CORE, SR, 4, &t), 0);
  assert_int_equal(t, 200 * MS);
  /* the debugger's clock is behind the core's: it still sees BSY */
  t = 150 * MS;
  assert_int_equal(rdm(s, LF_BUS_DEBUG, SR, 4, &t), BSY);
  lf_soc_free(s);
}

/* 5 / 4.2: ITCM alias is not a programming path (bus error); an array write
 * while BSY stalls until BSY clears and is then processed. */
static void itcm_write_errors_and_busy_write_stalls(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  wr(s, CR, PG | PSIZE(2), 0);
  uint64_t t = 0;
  assert_int_equal(wrm(s, LF_BUS_DEBUG, ITCMF, 4, 0, &t), LF_BUS_ERR);
  assert_int_equal(rd(s, SR, 0), 0);
  wr(s, FLASH, 0, 1000);
  t = 2000;
  assert_int_equal(wrm(s, LF_BUS_DEBUG, FLASH + 4, 4, 0, &t), LF_BUS_OK);
  assert_int_equal(t, 1000 + 16 * US);
  assert_int_equal(rd(s, SR, t), BSY);
  assert_int_equal(rd(s, FLASH + 4, t + 16 * US), 0);
  lf_soc_free(s);
}

/* System reset: CR/OPTCR relock, SR cleared, an interrupted erase leaves
 * pseudo-random content; power loss does the same and clears BSY. */
static void reset_and_power_loss_during_erase(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  unlock(s, 0);
  opt_unlock(s, 0);
  wr(s, CR, SER | SNB(0) | PSIZE(2) | STRT, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 100 * MS);
  assert_int_equal(rd(s, CR, 100 * MS), LOCK);
  assert_int_equal(rd(s, OPTCR, 100 * MS) & 1u, 1u);
  assert_int_equal(rd(s, SR, 100 * MS), 0);
  uint8_t a[64], b[64];
  assert_int_equal(lf_soc_peek(s, FLASH, a, sizeof a), 0);
  int ff = 0;
  for (size_t i = 0; i < sizeof a; i++)
    ff += a[i] == 0xFF;
  assert_true(ff < 8);
  /* power loss during the same erase gives the same (deterministic) bytes */
  unlock(s, 200 * MS);
  wr(s, CR, SER | SNB(0) | PSIZE(2) | STRT, 200 * MS);
  lf_soc_power_loss(s, 250 * MS);
  assert_int_equal(rd(s, SR, 250 * MS), 0);
  assert_int_equal(lf_soc_peek(s, FLASH, b, sizeof b), 0);
  assert_memory_equal(a, b, sizeof a);
  lf_soc_reset(s, LF_SOC_RESET_POWER, 260 * MS);
  assert_int_equal(rd(s, CR, 260 * MS), LOCK);
  lf_soc_free(s);
}

/* A debugger-style session at increasing times (4.1-4.3): unlock, erase
 * sector 2 (x32), program 64 bytes with x32 polling SR, verify, lock. */
static void script_unlock_erase_program_verify(void **state)
{
  (void)state;
  lf_soc *s = mk(NULL);
  uint64_t t = 1000;
  const uint64_t step = 500; /* one debugger access */
  uint32_t base = 0x08010000u;
  assert_int_equal(rd(s, CR, t) & LOCK, LOCK);
  t += step;
  wr(s, KEYR, 0x45670123u, t);
  t += step;
  wr(s, KEYR, 0xCDEF89ABu, t);
  t += step;
  assert_int_equal(rd(s, CR, t), 0);
  t += step;
  wr(s, SR, 0xF3u, t);
  t += step;
  wr(s, CR, SER | SNB(2) | PSIZE(2), t);
  t += step;
  wr(s, CR, SER | SNB(2) | PSIZE(2) | STRT, t);
  uint64_t erase_end = t + 200 * MS;
  int polls = 0;
  while (rd(s, SR, t) & BSY) {
    t += 10 * MS;
    polls++;
  }
  assert_int_equal(polls, 20);
  assert_true(t >= erase_end);
  assert_int_equal(rd(s, SR, t) & 0xF2u, 0);
  wr(s, CR, PG | PSIZE(2), t);
  for (uint32_t i = 0; i < 16; i++) {
    t += step;
    wr(s, base + 4 * i, 0xC0DE0000u | i, t);
    t += step;
    while (rd(s, SR, t) & BSY)
      t += step;
  }
  assert_int_equal(rd(s, SR, t) & 0xF2u, 0);
  wr(s, CR, LOCK, t);
  for (uint32_t i = 0; i < 16; i++) {
    t += step;
    assert_int_equal(rd(s, base + 4 * i, t), 0xC0DE0000u | i);
    assert_int_equal(rd(s, ITCMF + 0x10000u + 4 * i, t), 0xC0DE0000u | i);
  }
  assert_int_equal(rd(s, base + 64, t), 0xFFFFFFFFu);
  const lf_soc_counters *c = lf_soc_counters_get(s);
  assert_int_equal(c->flash_prog_ops, 16);
  assert_int_equal(c->flash_sector_erases, 1);
  assert_int_equal(c->flash_busy_ns, 200 * MS + 16 * 16 * US);
  assert_int_equal(c->flash_errors, 0);
  lf_soc_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(cr_locked_after_reset_keys_unlock),
    cmocka_unit_test(acr_implements_f7_bits_only),
    cmocka_unit_test(wrong_key_bus_error_and_locked_until_system_reset),
    cmocka_unit_test(keyr_write_while_unlocked_is_bus_error),
    cmocka_unit_test(cr_writes_ignored_while_locked),
    cmocka_unit_test(program_word_busy_tprog_and_and_semantics),
    cmocka_unit_test(size_not_psize_sets_pgperr),
    cmocka_unit_test(unaligned_program_sets_pgaerr),
    cmocka_unit_test(erserr_is_sticky_until_w1c),
    cmocka_unit_test(eop_and_operr_follow_interrupt_enables),
    cmocka_unit_test(x64_programs_two_word_stores_as_one_operation),
    cmocka_unit_test(sector0_erase_x32_busy_200ms_and_read_stalls),
    cmocka_unit_test(sector5_erase_x8_is_2s_and_bounded),
    cmocka_unit_test(ser_with_mer_or_bad_snb_runs_nothing),
    cmocka_unit_test(mass_erase_single_bank_8s),
    cmocka_unit_test(write_protection_refuses_erase_and_program),
    cmocka_unit_test(option_write_readback_image_and_effect_after_reset),
    cmocka_unit_test(rdp1_blocks_debug_and_regression_mass_erases),
    cmocka_unit_test(rdp1_with_debugger_core_cannot_read_program_or_erase),
    cmocka_unit_test(rdp1_debug_latch_power_on_and_parameter),
    cmocka_unit_test(rdp1_boot_from_ram_locks_and_error_flag_is_a_parameter),
    cmocka_unit_test(rdp1_with_debugger_f429_boot_alias_and_array),
    cmocka_unit_test(rdp2_refuses_further_option_changes),
    cmocka_unit_test(dual_bank_geometry_snb_and_read_while_write),
    cmocka_unit_test(dual_bank_mer2_erases_bank2_only),
    cmocka_unit_test(boot_add0_change_applies_after_reset),
    cmocka_unit_test(otp_program_once_and_lock),
    cmocka_unit_test(injected_flash_error_fails_operation_without_change),
    cmocka_unit_test(core_sr_poll_stalls_debug_does_not),
    cmocka_unit_test(itcm_write_errors_and_busy_write_stalls),
    cmocka_unit_test(reset_and_power_loss_during_erase),
    cmocka_unit_test(script_unlock_erase_program_verify),
  };
  return cmocka_run_group_tests_name("flashctl", tests, NULL, NULL);
}
