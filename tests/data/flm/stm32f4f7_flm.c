/* luaflash's own CMSIS-Pack flash algorithm (FLM) for the STM32F4/F7
 * embedded flash, written for the tests: it gives luaflash's FLM reader,
 * its dispatcher and its pack reader algorithms in the standard format
 * without any vendor's code. Built by scripts/gen-flm.sh with
 * arm-none-eabi-gcc (one variant per device, -DLF_FLM_DEV_*), linked by
 * flm.ld into the standard sections: PrgCode (code, position independent:
 * only PC-relative branches and literal constants), PrgData (the RW state,
 * reached through r9 = the static base, as RWPI code does; the compiler
 * keeps r9 free: -ffixed-r9) and DevDscr (struct lf_flm_device).
 *
 * Functions and their contract (cmsis-pack-flm.md 3.1): Init(adr, clk, fnc),
 * UnInit(fnc), EraseChip(), EraseSector(adr), ProgramPage(adr, sz, buf);
 * 0 = done, 1 = failed.
 *
 * Controller facts: stm32f7-target.md / stm32f4-target.md (FLASH at
 * 0x40023C00: KEYR keys, SR error bits, CR PG/SER/MER/SNB/PSIZE/STRT/LOCK;
 * sector shape per bank 4 x U, 4U, then 8U; F42x bank 2 SNB 0x10 + k and
 * MER1 = bit 15). Programming is x32 (PSIZE 2: 2.7-3.6 V).
 *
 * Test variants (-DLF_FLM_BAD=n, F767 only): 1 ProgramPage returns 1 for the
 * page at 0x08008000; 2 it faults there (UDF); 3 it never returns there. */
#include <stdint.h>

#include "flm_device.h"

#define REG(a) (*(volatile uint32_t *)(a))

#define FLASH_REGS 0x40023C00u
#define F_KEYR 0x04u
#define F_SR 0x0Cu
#define F_CR 0x10u
#define SR_BSY 0x10000u
#define SR_ERRORS 0xF2u /* OPERR WRPERR PGAERR PGPERR ERSERR/PGSERR */
#define CR_PG 0x1u
#define CR_SER 0x2u
#define CR_MER 0x4u
#define CR_MER2 0x8000u /* F7 MER2, F42x MER1: bank 2 */
#define CR_PSIZE_X32 (2u << 8)
#define CR_STRT 0x10000u
#define CR_LOCK 0x80000000u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define FLASH_BASE 0x08000000u

#define KiB 1024u

/* What differs between the devices, in PrgData (reached through r9). */
struct rw {
  uint32_t regs;       /* FLASH interface */
  uint32_t unit_shift; /* log2 of the smallest sector of a bank */
  uint32_t bank2;      /* bank 2 base, 0 = single bank */
  uint32_t mer_all;    /* CR bits of a whole-chip erase */
  uint32_t calls;      /* functions called since load (for the tests: r9 must hold across calls) */
};

#if defined(LF_FLM_DEV_F767)
/* STM32F76x/F77x 2 MiB, single bank (nDBANK = 1): 4 x 32K, 128K, 7 x 256K */
__attribute__((section("PrgData"), used)) struct rw lf_rw = {FLASH_REGS, 15, 0, CR_MER, 0};
__attribute__((section("DevDscr"), used)) const struct lf_flm_device FlashDevice = {
  LF_FLM_VERSION, "STM32F76x 2MB Flash (luaflash test algorithm)", LF_FLM_ONCHIP, FLASH_BASE,
  2048 * KiB, 1024, 0, 0xFF, {0, 0, 0},
  /* timeouts: a 1 KiB page is 256 x32 words of at most 100 us (F7 9.1 tPROG max) = 25.6 ms,
   * x4 margin; the slowest sector (256 KiB) erases in at most 2 s at x32 (F7 9.1), x2 margin */
  100, 4000,
  {{32 * KiB, 0}, {128 * KiB, 0x20000}, {256 * KiB, 0x40000}, LF_FLM_SECTOR_END}};
#elif defined(LF_FLM_DEV_F429)
/* STM32F42x/F43x 2 MiB, always dual bank: per bank 4 x 16K, 64K, 7 x 128K */
__attribute__((section("PrgData"), used)) struct rw lf_rw = {FLASH_REGS, 14, 0x08100000u,
                                                             CR_MER | CR_MER2, 0};
__attribute__((section("DevDscr"), used)) const struct lf_flm_device FlashDevice = {
  LF_FLM_VERSION, "STM32F42x 2MB dual bank Flash (luaflash test algorithm)", LF_FLM_ONCHIP,
  FLASH_BASE, 2048 * KiB, 1024, 0, 0xFF, {0, 0, 0},
  /* timeouts: 256 words x 100 us (F4 9.1 tPROG max) = 25.6 ms, x4; the 128 KiB sector
   * erases in at most 2 s at x32 (F4 9.1 tERASE128KB), x2 */
  100, 4000,
  {{16 * KiB, 0}, {64 * KiB, 0x10000}, {128 * KiB, 0x20000}, {16 * KiB, 0x100000},
   {64 * KiB, 0x110000}, {128 * KiB, 0x120000}, LF_FLM_SECTOR_END}};
#else
#error "define LF_FLM_DEV_F767 or LF_FLM_DEV_F429"
#endif

static struct rw *rw(void)
{
  struct rw *p;
  __asm volatile("mov %0, r9" : "=r"(p));
  return p;
}

static inline void dsb(void) { __asm volatile("dsb" ::: "memory"); }

/* Waits for the controller; returns SR with its error flags cleared. */
static uint32_t idle(uint32_t f)
{
  uint32_t sr;
  while ((sr = REG(f + F_SR)) & SR_BSY)
    ;
  if (sr & SR_ERRORS)
    REG(f + F_SR) = sr & SR_ERRORS; /* w1c */
  return sr;
}

int Init(uint32_t adr, uint32_t clk, uint32_t fnc)
{
  (void)adr;
  (void)clk;
  (void)fnc;
  uint32_t f = rw()->regs;
  rw()->calls++;
  if (REG(f + F_CR) & CR_LOCK) {
    REG(f + F_KEYR) = KEY1;
    REG(f + F_KEYR) = KEY2;
  }
  idle(f);
  return (REG(f + F_CR) & CR_LOCK) ? 1 : 0;
}

int UnInit(uint32_t fnc)
{
  (void)fnc;
  rw()->calls++;
  REG(rw()->regs + F_CR) = CR_LOCK;
  return 0;
}

static int run(uint32_t f, uint32_t cr)
{
  idle(f);
  REG(f + F_CR) = cr;
  REG(f + F_CR) = cr | CR_STRT;
  dsb();
  uint32_t sr = idle(f);
  REG(f + F_CR) = 0;
  return (sr & SR_ERRORS) ? 1 : 0;
}

int EraseChip(void)
{
  struct rw *p = rw();
  p->calls++;
  return run(p->regs, CR_PSIZE_X32 | p->mer_all);
}

int EraseSector(uint32_t adr)
{
  struct rw *p = rw();
  p->calls++;
  uint32_t off = adr - FLASH_BASE, snb = 0;
  if (p->bank2 && adr >= p->bank2) {
    off = adr - p->bank2;
    snb = 0x10u;
  }
  uint32_t u = off >> p->unit_shift; /* in units U: 4 x U, 4U, then 8U */
  snb |= u < 4 ? u : u < 8 ? 4 : 4 + (u >> 3);
  return run(p->regs, CR_PSIZE_X32 | CR_SER | (snb << 3));
}

/* x32 words; sz rounded up to whole words (the buffer holds them). Per word
 * the SR read comes before the store, so it reports the previous word, and
 * the store to the busy bank waits for the controller: the loop overlaps
 * the programming of the previous word. */
int ProgramPage(uint32_t adr, uint32_t sz, const uint8_t *buf)
{
  struct rw *p = rw();
  uint32_t f = p->regs;
  p->calls++;
#if defined(LF_FLM_BAD)
  if (adr == 0x08008000u) {
#if LF_FLM_BAD == 1
    return 1;
#elif LF_FLM_BAD == 2
    __asm volatile("udf #0");
#elif LF_FLM_BAD == 3
    for (;;)
      __asm volatile("" ::: "memory");
#endif
  }
#endif
  idle(f);
  REG(f + F_CR) = CR_PSIZE_X32 | CR_PG;
  uint32_t n = (sz + 3u) & ~3u, st = 0;
  for (uint32_t i = 0; i < n; i += 4) {
    uint32_t v = (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 | (uint32_t)buf[i + 2] << 16 |
                 (uint32_t)buf[i + 3] << 24;
    st |= REG(f + F_SR);
    REG(adr + i) = v;
    dsb();
  }
  st |= idle(f);
  REG(f + F_CR) = 0;
  return (st & SR_ERRORS) ? 1 : 0;
}
