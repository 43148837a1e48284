/* STM32H743ZI SoC model (NUCLEO-H743ZI): identity and APs, memory map and
 * the D2 SRAM clocks, the two bank controllers (keys, write buffer and its
 * errors, PSIZE timing, sector/bank/mass erase, both banks busy at once,
 * ECC of a word programmed twice, WPSN), option bytes and RDP (OPT_BUSY,
 * regression, level 2), the CRC unit, RCC clocks, IWDG, the debug APB of
 * AP2, state files and power loss. Rows cited are stm32-f1-l4-h7-targets.md
 * sections ("H7 n.m"); times are the h7_* parameter rows (params.c):
 * sector x64 1 s, x32 1.1 s, x8 2 s; bank x64 5 s; word x64 100 us, x8
 * 290 us; option change 50 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bench/params.h"
#include "bench/soc.h"

#define FLASH 0x08000000u
#define BANK2 0x08100000u
#define FR 0x52002000u
#define KEYR(b) (FR + 0x04u + (b) * 0x100u)
#define CR(b) (FR + 0x0Cu + (b) * 0x100u)
#define SR(b) (FR + 0x10u + (b) * 0x100u)
#define CCR(b) (FR + 0x14u + (b) * 0x100u)
#define OPTKEYR (FR + 0x08u)
#define OPTCR (FR + 0x18u)
#define OPTSR_CUR (FR + 0x1Cu)
#define OPTSR_PRG (FR + 0x20u)
#define OPTCCR (FR + 0x24u)
#define WPSN_CUR(b) (FR + 0x38u + (b) * 0x100u)
#define WPSN_PRG(b) (FR + 0x3Cu + (b) * 0x100u)
#define ECC_FA(b) (FR + 0x60u + (b) * 0x100u)
#define RCC 0x58024400u
#define AHB2ENR (RCC + 0xDCu)
#define AHB4ENR (RCC + 0xE0u)
#define CRC 0x58024C00u
#define IWDG 0x58004800u
#define MS 1000000ull
#define US 1000ull
#define S 1000000000ull

#define LOCK 0x1u
#define PG 0x2u
#define SER 0x4u
#define BER 0x8u
#define X64 0x30u
#define X32 0x20u
#define X8 0x00u
#define FW 0x40u
#define START 0x80u
#define SNB(n) ((uint32_t)(n) << 8)
#define QW 0x4u
#define BSY 0x1u
#define WBNE 0x2u
#define EOP 0x10000u
#define WRPERR 0x20000u
#define PGSERR 0x40000u
#define STRBERR 0x80000u
#define INCERR 0x200000u
#define RDPERR 0x800000u
#define DBECCERR 0x4000000u

static lf_bench_params P;

static lf_soc *mk_with(const lf_bench_params *p)
{
  char err[256];
  lf_soc *s = lf_soc_new("stm32h743zi", p, NULL, err, sizeof err);
  assert_non_null(s);
  return s;
}

static lf_soc *mk(void)
{
  lf_bench_params_default(&P);
  return mk_with(&P);
}

static int acc(lf_soc *s, lf_bus_master m, uint32_t a, unsigned size, bool w, uint32_t *v,
               uint64_t *t)
{
  return lf_soc_access(s, m, a, size, w, v, t);
}

static uint32_t rd(lf_soc *s, uint32_t a, uint64_t t)
{
  uint32_t v = 0xDEADBEEF;
  assert_int_equal(acc(s, LF_BUS_DEBUG, a, 4, false, &v, &t), LF_BUS_OK);
  return v;
}

static void wr(lf_soc *s, uint32_t a, uint32_t v, uint64_t t)
{
  assert_int_equal(acc(s, LF_BUS_DEBUG, a, 4, true, &v, &t), LF_BUS_OK);
}

static void unlock(lf_soc *s, unsigned b, uint64_t t)
{
  wr(s, KEYR(b), 0x45670123u, t);
  wr(s, KEYR(b), 0xCDEF89ABu, t);
  assert_int_equal(rd(s, CR(b), t) & LOCK, 0);
}

/* One flash word (8 words of v + i) at a, CR = PG | psize; returns when
 * the last store was accepted (t moves when it waited). */
static void program_word(lf_soc *s, uint32_t a, uint32_t v, uint32_t psize, uint64_t *t)
{
  unsigned b = a >= BANK2;
  wr(s, CR(b), PG | psize, *t);
  for (uint32_t i = 0; i < 8; i++) {
    uint32_t x = v + i;
    assert_int_equal(acc(s, LF_BUS_DEBUG, a + 4 * i, 4, true, &x, t), LF_BUS_OK);
  }
}

/* H7 1.3 identity; 2.3 memory map; 1.3 AP layout. */
static void identity_aps_and_memory_map_1_3_2_3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_string_equal(lf_soc_part(s), "stm32h743zi");
  assert_int_equal(lf_soc_idcode(s), 0x10036450u);
  assert_int_equal(lf_soc_cpuid(s), 0x411FC271u);
  uint32_t dpidr, tid, idr, base;
  lf_soc_debug_ids(s, &dpidr, &tid, &idr, &base);
  assert_int_equal(dpidr, 0x6BA02477u);
  assert_int_equal(idr, 0x84770001u);
  assert_int_equal(base, 0xE00FE003u);
  assert_int_equal(lf_soc_debug_ap(s, 1).view, LF_SOC_AP_SYSTEM);
  assert_int_equal(lf_soc_debug_ap(s, 1).idr, 0x84770001u);
  assert_int_equal(lf_soc_debug_ap(s, 2).view, LF_SOC_AP_DEBUG_APB);
  assert_int_equal(lf_soc_debug_ap(s, 2).idr, 0x54770002u);
  assert_int_equal(lf_soc_debug_ap(s, 2).base, 0xE00F0003u);
  assert_int_equal(lf_soc_debug_ap(s, 3).view, LF_SOC_AP_NONE);
  /* DBGMCU on the system bus and on the debug APB: the same registers */
  assert_int_equal(rd(s, 0x5C001000u, 0), 0x10036450u);
  uint32_t v = 0;
  uint64_t t = 0;
  assert_int_equal(lf_soc_debug_apb_access(s, 0xE00E1000u, 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(v, 0x10036450u);
  wr(s, 0x5C001004u, 0x00700007u, 0);
  assert_int_equal(lf_soc_debug_apb_access(s, 0xE00E1004u, 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(v, 0x00700007u);
  /* the debug APB's ROM table (class 1) lists DBGMCU at -0xF000 */
  assert_int_equal(lf_soc_debug_apb_access(s, 0xE00F0000u, 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(v, 0xFFFF1003u);
  assert_int_equal(lf_soc_debug_apb_access(s, 0xE00F0FF4u, 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(v, 0x10u);
  assert_int_equal(lf_soc_debug_apb_access(s, 0xE0100000u, 4, false, &v, &t), LF_BUS_ERR);
  /* the core's ROM tables: ST's at 0xE00FE000 (part = DEV_ID) */
  const lf_cs_ident *rom;
  size_t n = lf_soc_core_rom(s, &rom);
  assert_true(n >= 2);
  assert_int_equal(rom[0].base, 0xE00FE000u);
  assert_int_equal(rom[0].entries[0], 0x00001003u);
  /* not the DBGMCU on an H7 (H7 1.3) */
  assert_int_equal(rd(s, 0xE0042000u, 0), 0x00002001u);
  /* flash size and unique ID in system memory */
  assert_int_equal(rd(s, 0x1FF1E880u, 0) & 0xFFFFu, 0x0800u);
  uint8_t uid[12];
  assert_int_equal(lf_soc_peek(s, 0x1FF1E800u, uid, 12), 0);
  assert_true(uid[5] >= '0' && uid[5] <= 'Z');
  /* directly mapped memories */
  const lf_soc_region *rg;
  size_t nr = lf_soc_regions(s, &rg);
  uint32_t want[][3] = {{0x00000000u, 64u << 10, 1}, {0x08000000u, 2u << 20, 0},
                        {0x1FF00000u, 128u << 10, 0}, {0x20000000u, 128u << 10, 1},
                        {0x24000000u, 512u << 10, 1}, {0x38000000u, 64u << 10, 1}};
  assert_int_equal(nr, 6);
  for (size_t i = 0; i < nr; i++) {
    assert_int_equal(rg[i].base, want[i][0]);
    assert_int_equal(rg[i].size, want[i][1]);
    assert_int_equal(rg[i].writable, want[i][2] != 0);
  }
  wr(s, 0x24000000u + 0x7FFFCu, 0x11223344u, 0);
  assert_int_equal(rd(s, 0x24000000u + 0x7FFFCu, 0), 0x11223344u);
  v = 0;
  t = 0;
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x24080000u, 4, false, &v, &t), LF_BUS_ERR);
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x58024800u, 4, false, &v, &t), LF_BUS_OK); /* PWR: RAZ */
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x60000000u, 4, false, &v, &t), LF_BUS_ERR);
  lf_soc_free(s);
}

/* H7 2.3 / 12 #15: SRAM1-3 clocks (RCC_AHB2ENR 29-31) are off after reset;
 * with h7_d2sram_clock_gated = 0 they are always reachable. */
static void d2_srams_need_their_rcc_clock_2_3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t v = 0x5A5A5A5Au;
  uint64_t t = 0;
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x30000000u, 4, true, &v, &t), LF_BUS_ERR);
  wr(s, AHB2ENR, 1u << 29, 0);
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x30000000u, 4, true, &v, &t), LF_BUS_OK);
  assert_int_equal(rd(s, 0x30000000u, 0), 0x5A5A5A5Au);
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x30020000u, 4, false, &v, &t), LF_BUS_ERR); /* SRAM2 */
  assert_int_equal(acc(s, LF_BUS_CORE, 0x30040000u, 4, false, &v, &t), LF_BUS_ERR);  /* SRAM3 */
  wr(s, AHB2ENR, 7u << 29, 0);
  assert_int_equal(acc(s, LF_BUS_CORE, 0x30047FFCu, 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(acc(s, LF_BUS_CORE, 0x30048000u, 4, false, &v, &t), LF_BUS_ERR);
  lf_soc_free(s);
  lf_bench_params_default(&P);
  P.h7_d2sram_clock_gated = 0;
  s = mk_with(&P);
  assert_int_equal(acc(s, LF_BUS_CORE, 0x30020000u, 4, false, &v, &t), LF_BUS_OK);
  lf_soc_free(s);
}

/* H7 5.3, 12 #6: keys per bank; a second unlock (or a wrong key) answers
 * a bus error and keeps the bank locked until a system reset; CR writes
 * are ignored while locked; SR writes are ignored (12 #9). */
static void keys_per_bank_and_double_unlock_locks_5_3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, CR(0), 0), 0x31u);
  unlock(s, 0, 0);
  assert_int_equal(rd(s, CR(1), 0) & LOCK, LOCK); /* bank 2 has its own keys */
  uint32_t v = 0x45670123u;
  uint64_t t = 0;
  assert_int_equal(acc(s, LF_BUS_DEBUG, KEYR(0), 4, true, &v, &t), LF_BUS_ERR);
  assert_int_equal(rd(s, CR(0), 0) & LOCK, LOCK);
  v = 0x45670123u; /* a correct sequence is refused now */
  assert_int_equal(acc(s, LF_BUS_DEBUG, KEYR(0), 4, true, &v, &t), LF_BUS_ERR);
  v = 0xCDEF89ABu;
  assert_int_equal(acc(s, LF_BUS_DEBUG, KEYR(0), 4, true, &v, &t), LF_BUS_ERR);
  assert_int_equal(rd(s, CR(0), 0) & LOCK, LOCK);
  wr(s, CR(0), SER | START, 0); /* ignored while locked */
  assert_int_equal(rd(s, SR(0), 0) & QW, 0);
  unlock(s, 1, 0);
  wr(s, SR(1), 0xFFFFFFFFu, 0); /* no effect */
  assert_int_equal(rd(s, SR(1), 0), 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 0);
  unlock(s, 0, 0);
  lf_soc_free(s);
}

/* H7 5.3 / 6: sector erase (SER, SNB, START), QW and BSY for the PSIZE
 * column's time, EOP at the end cleared through CCR, START cleared. */
static void sector_erase_time_by_psize_5_3_6(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0, 0);
  wr(s, CR(0), SER | X64 | SNB(3), 0);
  wr(s, CR(0), SER | X64 | SNB(3) | START, 0);
  assert_int_equal(rd(s, SR(0), 0) & (QW | BSY), QW | BSY);
  assert_int_equal(rd(s, SR(0), 1 * S - 1) & QW, QW);
  assert_int_equal(rd(s, SR(0), 1 * S), EOP);
  assert_int_equal(rd(s, CR(0), 1 * S) & START, 0);
  wr(s, CCR(0), EOP, 1 * S);
  assert_int_equal(rd(s, SR(0), 1 * S), 0);
  wr(s, CR(0), SER | X32 | SNB(3) | START, 1 * S);
  assert_int_equal(rd(s, SR(0), 1 * S + 1100 * MS - 1) & QW, QW);
  assert_int_equal(rd(s, SR(0), 1 * S + 1100 * MS) & QW, 0);
  /* a CORE read of SR while busy is the polling loop: it returns at the end */
  wr(s, CR(0), SER | X8 | SNB(3) | START, 3 * S);
  uint32_t v;
  uint64_t t = 3 * S;
  assert_int_equal(acc(s, LF_BUS_CORE, SR(0), 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(t, 5 * S);
  assert_int_equal(v & QW, 0);
  const lf_soc_counters *c = lf_soc_counters_get(s);
  assert_int_equal(c->flash_sector_erases, 3);
  assert_int_equal(c->flash_busy_ns, 1 * S + 1100 * MS + 2 * S);
  lf_soc_free(s);
}

/* H7 5.3 "Concurrency": both banks erase and program at once; a read of
 * the busy bank stalls until its operation ends, the other bank reads at
 * once; a store that completes a flash word of a busy bank waits for it. */
static void both_banks_work_at_the_same_time_5_3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0, 0);
  unlock(s, 1, 0);
  wr(s, CR(0), SER | X64 | SNB(0) | START, 0);
  wr(s, CR(1), SER | X64 | SNB(7) | START, 0);
  assert_int_equal(rd(s, SR(0), 10 * MS) & QW, QW);
  assert_int_equal(rd(s, SR(1), 10 * MS) & QW, QW);
  assert_int_equal(rd(s, SR(0), 1 * S) & QW, 0); /* both done after 1 s, not 2 */
  assert_int_equal(rd(s, SR(1), 1 * S) & QW, 0);
  /* program bank 1 at t = 1 s, bank 2 right after: both busy 100 us (x64) */
  uint64_t t = 1 * S;
  program_word(s, FLASH, 0x11110000u, X64, &t);
  assert_int_equal(t, 1 * S);
  program_word(s, BANK2 + 0xE0000u, 0x22220000u, X64, &t);
  assert_int_equal(t, 1 * S);
  assert_int_equal(rd(s, SR(0), t + 99 * US) & QW, QW);
  assert_int_equal(rd(s, SR(1), t + 99 * US) & QW, QW);
  /* a second word in bank 1 waits for the first */
  program_word(s, FLASH + 32, 0x33330000u, X64, &t);
  assert_int_equal(t, 1 * S + 100 * US);
  /* reads: the busy bank stalls, the other one does not */
  uint32_t v;
  uint64_t tr = 1 * S + 100 * US;
  assert_int_equal(acc(s, LF_BUS_CORE, FLASH + 0x40000u, 4, false, &v, &tr), LF_BUS_OK);
  assert_int_equal(tr, 1 * S + 200 * US);
  tr = 1 * S + 150 * US;
  assert_int_equal(acc(s, LF_BUS_DEBUG, BANK2 + 0xE0000u, 4, false, &v, &tr), LF_BUS_OK);
  assert_int_equal(tr, 1 * S + 150 * US);
  assert_int_equal(v, 0x22220000u);
  assert_int_equal(rd(s, FLASH + 36, 2 * S), 0x33330001u);
  assert_int_equal(lf_soc_counters_get(s)->flash_prog_ops, 3);
  lf_soc_free(s);
}

/* H7 5.3 write buffer: PG = 0 or LOCK -> PGSERR; another flash word while
 * one is partly written -> INCERR (both dropped); a byte written twice ->
 * STRBERR; FW programs a partial word with 0xFF in the missing bytes; the
 * word's time follows PSIZE (12 #8: OpenOCD programs with x8). */
static void write_buffer_errors_and_force_write_5_3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t v = 0;
  uint64_t t = 0;
  acc(s, LF_BUS_DEBUG, FLASH, 4, true, &v, &t); /* locked */
  assert_int_equal(rd(s, SR(0), 0) & PGSERR, PGSERR);
  unlock(s, 0, 0);
  wr(s, CCR(0), 0x1FEF0000u, 0);
  wr(s, CR(0), X64, 0);
  acc(s, LF_BUS_DEBUG, FLASH, 4, true, &v, &t); /* PG = 0 */
  assert_int_equal(rd(s, SR(0), 0) & PGSERR, PGSERR);
  wr(s, CCR(0), PGSERR, 0);
  wr(s, CR(0), PG | X64, 0);
  v = 0x12345678u;
  acc(s, LF_BUS_DEBUG, FLASH + 0x100, 4, true, &v, &t);
  assert_int_equal(rd(s, SR(0), 0), WBNE);
  acc(s, LF_BUS_DEBUG, FLASH + 0x100, 2, true, &v, &t); /* same bytes again */
  assert_int_equal(rd(s, SR(0), 0), WBNE | STRBERR);
  acc(s, LF_BUS_DEBUG, FLASH + 0x120, 4, true, &v, &t); /* another flash word */
  assert_int_equal(rd(s, SR(0), 0), STRBERR | INCERR);
  assert_int_equal(rd(s, FLASH + 0x100, 1 * S), 0xFFFFFFFFu); /* nothing programmed */
  wr(s, CCR(0), 0x1FEF0000u, 0);
  /* FW: two words of a flash word, the rest stays erased */
  acc(s, LF_BUS_DEBUG, FLASH + 0x140, 4, true, &v, &t);
  v = 0xA5A5A5A5u;
  acc(s, LF_BUS_DEBUG, FLASH + 0x144, 4, true, &v, &t);
  wr(s, CR(0), PG | X8 | FW, 0);
  assert_int_equal(rd(s, SR(0), 0) & (QW | WBNE), QW);
  assert_int_equal(rd(s, SR(0), 290 * US - 1) & QW, QW);
  assert_int_equal(rd(s, SR(0), 290 * US), EOP);
  assert_int_equal(rd(s, FLASH + 0x140, 1 * S), 0x12345678u);
  assert_int_equal(rd(s, FLASH + 0x144, 1 * S), 0xA5A5A5A5u);
  assert_int_equal(rd(s, FLASH + 0x148, 1 * S), 0xFFFFFFFFu);
  assert_int_equal(rd(s, CR(0), 1 * S) & FW, 0);
  /* START with a partial word in the buffer: PGSERR, no erase */
  acc(s, LF_BUS_DEBUG, FLASH + 0x180, 4, true, &v, &t);
  wr(s, CR(0), PG | SER | SNB(0) | START, 1 * S);
  assert_int_equal(rd(s, SR(0), 1 * S) & (PGSERR | QW), PGSERR);
  assert_int_equal(rd(s, FLASH + 0x140, 1 * S), 0x12345678u);
  lf_soc_free(s);
}

/* H7 5.3 [unconf]: a flash word programmed twice keeps the AND of both,
 * but its ECC no longer matches: reads answer a bus error with DBECCERR
 * and ECC_FA = the word's index in its bank; an erase heals it; the state
 * file keeps the broken words. */
static void word_programmed_twice_breaks_its_ecc_5_3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 1, 0);
  uint64_t t = 0;
  program_word(s, BANK2 + 0x40, 0xFFFFFFF0u, X64, &t);
  t = 1 * MS;
  program_word(s, BANK2 + 0x40, 0xFFFFFF0Fu, X64, &t);
  uint32_t v;
  uint64_t tr = 2 * MS;
  assert_int_equal(acc(s, LF_BUS_DEBUG, BANK2 + 0x44, 4, false, &v, &tr), LF_BUS_ERR);
  assert_int_equal(rd(s, SR(1), tr) & DBECCERR, DBECCERR);
  assert_int_equal(rd(s, ECC_FA(1), tr), 2);
  uint8_t b[4];
  assert_int_equal(lf_soc_peek(s, BANK2 + 0x40, b, 4), 0);
  assert_int_equal(b[0], 0x00); /* 0xF0 & 0x0F */
  /* state file round trip keeps the mark */
  FILE *f = tmpfile();
  char err[256];
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), 0);
  lf_soc *s2 = mk();
  rewind(f);
  assert_int_equal(lf_soc_load_state(s2, f, err, sizeof err), 0);
  fclose(f);
  tr = 0;
  assert_int_equal(acc(s2, LF_BUS_DEBUG, BANK2 + 0x40, 4, false, &v, &tr), LF_BUS_ERR);
  lf_soc_free(s2);
  /* erase heals it */
  wr(s, CR(1), SER | X64 | SNB(0) | START, 2 * MS);
  tr = 2 * S;
  assert_int_equal(acc(s, LF_BUS_DEBUG, BANK2 + 0x44, 4, false, &v, &tr), LF_BUS_OK);
  assert_int_equal(v, 0xFFFFFFFFu);
  lf_soc_free(s);
  /* h7_reprogram_ecc_error = 0: plain NOR AND, readable */
  lf_bench_params_default(&P);
  P.h7_reprogram_ecc_error = 0;
  s = mk_with(&P);
  unlock(s, 0, 0);
  t = 0;
  program_word(s, FLASH, 0xFFFFFFF0u, X64, &t);
  t = 1 * MS;
  program_word(s, FLASH, 0xFFFFFF0Fu, X64, &t);
  assert_int_equal(rd(s, FLASH, 2 * MS), 0xFFFFFF00u);
  lf_soc_free(s);
}

/* H7 5.3/6: bank erase (BER wins over SER) for the bank time; OPTCR.MER
 * erases both banks at once (each busy for the bank time, not twice). */
static void bank_and_mass_erase_5_3(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0, 0);
  unlock(s, 1, 0);
  uint64_t t = 0;
  program_word(s, FLASH + 0x80000u, 0x01020304u, X64, &t);
  program_word(s, BANK2, 0x05060708u, X64, &t);
  wr(s, CR(1), BER | SER | X64 | START, 1 * MS);
  assert_int_equal(rd(s, SR(1), 1 * MS + 5 * S - 1) & QW, QW);
  assert_int_equal(rd(s, SR(1), 1 * MS + 5 * S) & QW, 0);
  assert_int_equal(rd(s, BANK2, 6 * S), 0xFFFFFFFFu);
  assert_int_equal(rd(s, FLASH + 0x80000u, 6 * S), 0x01020304u);
  /* mass erase through OPTCR (options unlocked) */
  wr(s, OPTKEYR, 0x08192A3Bu, 6 * S);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, 6 * S);
  assert_int_equal(rd(s, OPTCR, 6 * S) & 1u, 0);
  wr(s, OPTCR, 0x10u, 6 * S);
  assert_int_equal(rd(s, SR(0), 11 * S - 1) & QW, QW);
  assert_int_equal(rd(s, SR(1), 11 * S - 1) & QW, QW);
  assert_int_equal(rd(s, SR(0), 11 * S) & QW, 0);
  assert_int_equal(rd(s, FLASH + 0x80000u, 11 * S), 0xFFFFFFFFu);
  const lf_soc_counters *c = lf_soc_counters_get(s);
  assert_int_equal(c->flash_mass_erases, 2);
  lf_soc_free(s);
}

static void options_unlock(lf_soc *s, uint64_t t)
{
  wr(s, OPTKEYR, 0x08192A3Bu, t);
  wr(s, OPTKEYR, 0x4C5D6E7Fu, t);
}

/* H7 5.4: WPSN_PRG + OPTSTART -> OPT_BUSY for the option time, then in
 * force at once; a protected sector refuses erase and program (WRPERR), a
 * bank erase too. */
static void write_protection_through_options_5_4(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, WPSN_CUR(1), 0), 0xFFu);
  assert_int_equal(rd(s, OPTSR_CUR, 0) & 0xFF00u, 0xAA00u);
  wr(s, WPSN_PRG(1), 0xFBu, 0); /* locked: ignored */
  assert_int_equal(rd(s, WPSN_PRG(1), 0), 0xFFu);
  options_unlock(s, 0);
  wr(s, WPSN_PRG(1), 0xFBu, 0); /* sector 2 of bank 2 */
  wr(s, OPTCR, 0x2u, 0);
  assert_int_equal(rd(s, OPTSR_CUR, 0) & 1u, 1u);
  assert_int_equal(rd(s, WPSN_CUR(1), 0), 0xFFu);
  assert_int_equal(rd(s, OPTSR_CUR, 50 * MS) & 1u, 0);
  assert_int_equal(rd(s, WPSN_CUR(1), 50 * MS), 0xFBu);
  unlock(s, 1, 50 * MS);
  wr(s, CR(1), SER | X64 | SNB(2) | START, 50 * MS);
  assert_int_equal(rd(s, SR(1), 50 * MS) & (WRPERR | QW), WRPERR);
  wr(s, CCR(1), WRPERR, 50 * MS);
  wr(s, CR(1), BER | X64 | START, 50 * MS);
  assert_int_equal(rd(s, SR(1), 50 * MS) & (WRPERR | QW), WRPERR);
  wr(s, CCR(1), WRPERR, 50 * MS);
  uint64_t t = 50 * MS;
  program_word(s, BANK2 + 0x40000u, 0, X64, &t);
  assert_int_equal(rd(s, SR(1), t) & (WRPERR | QW), WRPERR);
  assert_int_equal(rd(s, BANK2 + 0x40000u, t), 0xFFFFFFFFu);
  program_word(s, BANK2 + 0x60000u, 0, X64, &t); /* sector 3: fine */
  assert_int_equal(rd(s, BANK2 + 0x60000u, t + 1 * MS), 0);
  assert_int_equal(lf_soc_counters_get(s)->flash_opt_writes, 1);
  lf_soc_free(s);
}

/* H7 5.4: RDP level 1 blocks debug reads of flash (bus error, RDPERR);
 * regression to level 0 erases both banks (the option time + a bank
 * erase); at level 2 every change is refused with OPTCHANGEERR, which
 * OPTCCR clears. */
static void rdp_levels_regression_and_level_2_5_4(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0, 0);
  uint64_t t = 0;
  program_word(s, FLASH, 0xC0DE0000u, X64, &t);
  options_unlock(s, 1 * MS);
  uint32_t optsr = rd(s, OPTSR_PRG, 1 * MS);
  wr(s, OPTSR_PRG, (optsr & ~0xFF00u) | 0xBB00u, 1 * MS);
  wr(s, OPTCR, 0x2u, 1 * MS);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  assert_int_equal(rd(s, OPTSR_CUR, 51 * MS) & 0xFF01u, 0xBB00u);
  assert_int_equal(lf_soc_rdp_level(s), 1);
  uint32_t v;
  uint64_t tr = 51 * MS;
  assert_int_equal(acc(s, LF_BUS_DEBUG, FLASH, 4, false, &v, &tr), LF_BUS_ERR);
  assert_int_equal(rd(s, SR(0), tr) & RDPERR, RDPERR);
  /* regression: both banks erased, busy for 50 ms + 5 s (x64) */
  wr(s, OPTSR_PRG, (optsr & ~0xFF00u) | 0xAA00u, 51 * MS);
  wr(s, OPTCR, 0x2u, 51 * MS);
  assert_int_equal(rd(s, OPTSR_CUR, 51 * MS + 5050 * MS - 1) & 1u, 1u);
  assert_int_equal(rd(s, SR(1), 51 * MS + 5050 * MS - 1) & QW, QW);
  assert_int_equal(rd(s, OPTSR_CUR, 51 * MS + 5050 * MS) & 0xFF01u, 0xAA00u);
  assert_int_equal(rd(s, FLASH, 6 * S), 0xFFFFFFFFu);
  /* level 2: no change possible any more */
  wr(s, OPTSR_PRG, (optsr & ~0xFF00u) | 0xCC00u, 6 * S);
  wr(s, OPTCR, 0x2u, 6 * S);
  assert_int_equal(rd(s, OPTSR_CUR, 6 * S + 50 * MS) & 0xFF00u, 0xCC00u);
  assert_int_equal(lf_soc_rdp_level(s), 2);
  wr(s, OPTSR_PRG, (optsr & ~0xFF00u) | 0xAA00u, 7 * S);
  wr(s, OPTCR, 0x2u, 7 * S);
  assert_int_equal(rd(s, OPTSR_CUR, 8 * S) & 0x4000FF00u, 0x4000CC00u);
  wr(s, OPTCCR, 0x40000000u, 8 * S);
  assert_int_equal(rd(s, OPTSR_CUR, 8 * S) & 0x40000000u, 0);
  assert_int_equal(lf_soc_rdp_level(s), 2);
  lf_soc_free(s);
}

/* H7 7: the CRC unit (programmable, IDR 32 bits) answers only with its
 * clock (RCC_AHB4ENR bit 19); zlib's CRC-32 of "123456789" through
 * POL 0x04C11DB7, REV_IN by byte, REV_OUT, final XOR by hand. */
static void crc_unit_with_its_clock_7(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, CRC + 0x04u, 0xCAFEBABEu, 0);
  assert_int_equal(rd(s, CRC + 0x04u, 0), 0); /* no clock */
  wr(s, AHB4ENR, 1u << 19, 0);
  wr(s, CRC + 0x04u, 0xCAFEBABEu, 0);
  assert_int_equal(rd(s, CRC + 0x04u, 0), 0xCAFEBABEu);
  wr(s, CRC + 0x08u, 0x20u | 0x80u | 0x1u, 0);
  const char *msg = "123456789";
  for (const char *p = msg; *p; p++) {
    uint32_t v = (uint8_t)*p;
    uint64_t t = 0;
    assert_int_equal(acc(s, LF_BUS_CORE, CRC, 1, true, &v, &t), LF_BUS_OK);
  }
  assert_int_equal(rd(s, CRC, 0) ^ 0xFFFFFFFFu, 0xCBF43926u);
  lf_soc_free(s);
}

/* H7 8: HSI 64 MHz after reset, HSIDIV, PLL1 from HSE (8 MHz MCO),
 * D1CPRE; SWS follows SW once the source is ready. */
static void clocks_hsi_hsidiv_pll1_8(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_true(lf_soc_sysclk_hz(s) == 64e6);
  assert_int_equal(rd(s, RCC, 0) & 0x4u, 0x4u); /* HSIRDY */
  wr(s, RCC, 0x1u | (2u << 3), 0);              /* HSIDIV /4 */
  assert_true(lf_soc_sysclk_hz(s) == 16e6);
  wr(s, RCC, 0x1u | 0x10000u | 0x1000000u, 0); /* HSEON, PLL1ON */
  wr(s, RCC + 0x28u, (4u << 4) | 2u, 0);         /* DIVM1 4, source HSE */
  wr(s, RCC + 0x30u, (1u << 9) | 199u, 0);       /* DIVN1 200, DIVP1 2: 200 MHz */
  wr(s, RCC + 0x10u, 3u, 0);                     /* SW = PLL1, not locked yet */
  assert_int_equal(rd(s, RCC + 0x10u, 0) & 0x38u, 0);
  assert_int_equal(rd(s, RCC + 0x10u, 1 * MS) & 0x38u, 3u << 3);
  assert_true(lf_soc_sysclk_hz(s) == 200e6);
  wr(s, RCC + 0x18u, 8u << 8, 1 * MS); /* D1CPRE /2 */
  assert_true(lf_soc_sysclk_hz(s) == 100e6);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 2 * MS);
  assert_true(lf_soc_sysclk_hz(s) == 64e6);
  lf_soc_free(s);
}

/* H7 5.4 / 8: IWDG1 in hardware mode (OPTSR.IWDG1_SW = 0) runs from reset:
 * 4 * 2^0 * 4096 / 32 kHz = 512 ms. */
static void hardware_watchdog_from_options_5_4(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_true(lf_soc_watchdog_deadline(s) == UINT64_MAX);
  options_unlock(s, 0);
  wr(s, OPTSR_PRG, rd(s, OPTSR_PRG, 0) & ~0x10u, 0);
  wr(s, OPTCR, 0x2u, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 100 * MS);
  assert_true(lf_soc_watchdog_deadline(s) == 100 * MS + 512 * MS);
  wr(s, IWDG, 0xAAAAu, 300 * MS);
  assert_true(lf_soc_watchdog_deadline(s) == 300 * MS + 512 * MS);
  lf_soc_free(s);
}

/* State file: flash, ECC map and options survive; another part's file is
 * refused; power loss during an erase leaves garbage in that sector only. */
static void state_file_and_power_loss(void **state)
{
  (void)state;
  lf_soc *s = mk();
  unlock(s, 0, 0);
  uint64_t t = 0;
  program_word(s, FLASH + 0x20000u, 0x600DF00Du, X64, &t);
  options_unlock(s, 1 * MS);
  wr(s, WPSN_PRG(0), 0x7Fu, 1 * MS);
  wr(s, OPTCR, 0x2u, 1 * MS);
  FILE *f = tmpfile();
  char err[256];
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), 0);
  lf_soc *s2 = mk();
  rewind(f);
  assert_int_equal(lf_soc_load_state(s2, f, err, sizeof err), 0);
  fclose(f);
  assert_int_equal(rd(s2, FLASH + 0x20000u, 0), 0x600DF00Du);
  assert_int_equal(rd(s2, WPSN_CUR(0), 0), 0x7Fu);
  lf_soc_free(s2);
  lf_soc *f7 = lf_soc_new("stm32f767zi", &P, NULL, err, sizeof err);
  f = tmpfile();
  assert_int_equal(lf_soc_save_state(f7, f, err, sizeof err), 0);
  rewind(f);
  assert_int_equal(lf_soc_load_state(s, f, err, sizeof err), -1);
  assert_non_null(strstr(err, "stm32h743zi"));
  fclose(f);
  lf_soc_free(f7);
  /* power loss in the middle of a sector erase of bank 2 */
  unlock(s, 1, 1 * S);
  program_word(s, BANK2 + 0x20000u, 0x12345678u, X64, &t);
  wr(s, CR(1), SER | X64 | SNB(0) | START, 1 * S);
  lf_soc_power_loss(s, 1 * S + 500 * MS);
  uint8_t b[16];
  lf_soc_peek(s, BANK2, b, 16);
  int ff = 0;
  for (int i = 0; i < 16; i++)
    ff += b[i] == 0xFF;
  assert_true(ff < 16);
  assert_int_equal(rd(s, BANK2 + 0x20000u, 2 * S), 0x12345678u);
  assert_int_equal(rd(s, FLASH + 0x20000u, 2 * S), 0x600DF00Du);
  lf_soc_free(s);
}

/* What OpenOCD 0.12 does to an H743 (H7 9.1/9.2, bench README "What
 * OpenOCD needed"), replayed without OpenOCD: examine-end's
 * read-modify-writes of DBGMCU and the SWO funnel keep every bit; the probe
 * reads IDCODE and the flash size; keys only when LOCK; a sector erase with
 * CR = 0x34 | SNB << 8 then 0xB4 | SNB << 8 (x64); its loader programs with
 * CR = 0x2 (x8: 290 us a word) and eight word stores per flash word;
 * errors through SR & 0x07EE0000; CR = 0x1 at the end. */
static void openocd_traffic_replayed_9_1_9_2(void **state)
{
  (void)state;
  lf_soc *s = mk();
  static const struct { uint32_t addr, bits; } rmw[] = {
    {0x5C001004u, 0x00600000u}, {0x5C001004u, 0x7u}, {0x5C001004u, 0x38u}, {0x5C001034u, 0x40u},
    {0x5C00103Cu, 0x800u}, {0x5C001054u, 0x000C0000u}, {0x5C001004u, 0x00100000u},
    {0x5C004000u, 0x3u},
  };
  for (size_t i = 0; i < sizeof rmw / sizeof rmw[0]; i++) {
    uint32_t v = rd(s, rmw[i].addr, 0);
    wr(s, rmw[i].addr, v | rmw[i].bits, 0);
    assert_int_equal(rd(s, rmw[i].addr, 0) & rmw[i].bits, rmw[i].bits);
  }
  assert_int_equal(rd(s, 0x5C001004u, 0), 0x0070003Fu);
  assert_int_equal(rd(s, 0x5C001000u, 0) & 0xFFFu, 0x450u);
  assert_int_equal(rd(s, 0x1FF1E880u, 0) & 0xFFFFu, 0x0800u);
  for (unsigned b = 0; b < 2; b++) {
    assert_int_equal(rd(s, WPSN_CUR(b), 0) & 0xFFu, 0xFFu);
    if (rd(s, CR(b), 0) & LOCK)
      unlock(s, b, 0);
  }
  wr(s, CR(0), 0x34u, 0);
  wr(s, CR(0), 0xB4u, 0);
  uint64_t t = 0;
  while (rd(s, SR(0), t) & QW)
    t += 10 * MS;
  assert_int_equal(t, 1 * S);
  assert_int_equal(rd(s, SR(0), t) & 0x07EE0000u, 0);
  wr(s, CR(0), 0x1u, t);
  unlock(s, 0, t);
  program_word(s, FLASH, 0x600D0000u, 0x0u /* CR = 0x2: PG, PSIZE x8 */, &t);
  assert_int_equal(rd(s, SR(0), t + 290 * US - 1) & QW, QW);
  assert_int_equal(rd(s, SR(0), t + 290 * US) & (QW | 0x07EE0000u), 0);
  assert_int_equal(rd(s, FLASH + 28, t + 290 * US), 0x600D0007u);
  wr(s, CR(0), 0x1u, t + 290 * US);
  assert_int_equal(rd(s, CR(0), t + 290 * US) & LOCK, LOCK);
  lf_soc_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(identity_aps_and_memory_map_1_3_2_3),
    cmocka_unit_test(d2_srams_need_their_rcc_clock_2_3),
    cmocka_unit_test(keys_per_bank_and_double_unlock_locks_5_3),
    cmocka_unit_test(sector_erase_time_by_psize_5_3_6),
    cmocka_unit_test(both_banks_work_at_the_same_time_5_3),
    cmocka_unit_test(write_buffer_errors_and_force_write_5_3),
    cmocka_unit_test(word_programmed_twice_breaks_its_ecc_5_3),
    cmocka_unit_test(bank_and_mass_erase_5_3),
    cmocka_unit_test(write_protection_through_options_5_4),
    cmocka_unit_test(rdp_levels_regression_and_level_2_5_4),
    cmocka_unit_test(crc_unit_with_its_clock_7),
    cmocka_unit_test(clocks_hsi_hsidiv_pll1_8),
    cmocka_unit_test(hardware_watchdog_from_options_5_4),
    cmocka_unit_test(state_file_and_power_loss),
    cmocka_unit_test(openocd_traffic_replayed_9_1_9_2),
  };
  return cmocka_run_group_tests_name("soc_h7", tests, NULL, NULL);
}
