/* On-target flash loader of the STM32F1 flash controller (FPEC; host side:
 * src/flash/stm32f1.c). Runs from RAM (linked at LF_LDR_F1_LOAD_ADDR) on the
 * Cortex-M3, started once by the host with r0 = the control block
 * (lf_loader_abi.h), and serves the command queue until EXIT or an error.
 * No globals: all state lives in the control block.
 *
 * Facts: stm32-f1-l4-h7-targets.md 3.1 (registers), 3.2 (unlock, page and
 * mass erase, half-word programming, EOP), 3.3 (PGERR, WRPRTERR), 7 (the
 * fixed CRC unit), 12 #12 (the core reads DBGMCU_IDCODE as 0: nothing here
 * identifies the chip).
 *
 * Commands name addresses: an erase takes any address in the page (FLASH_AR
 * accepts any address inside it), so this loader needs no page table; a
 * bank or chip erase is MER (one bank).
 *
 * Programming loop (the hot path), per half-word:
 *     st = FLASH_SR;  *dst = data (16-bit store);  DSB;  if (st & errors) fail
 * The SR read before the store reports the previous half-word; the store
 * itself waits while the FPEC is busy (a store while BSY stalls, as Black
 * Magic Probe's streaming relies on, 3.2), so the next program operation
 * starts the moment the previous one ends. The last one is checked after
 * the loop.
 *
 * CRC32 (zlib): the F1 unit is fixed (polynomial 0x04C11DB7, MSB first, no
 * input/output reversal, no INIT register, 7), so zlib's reflected CRC is
 * had by reversing in software around it: every little-endian word goes in
 * through RBIT, the result comes out through RBIT and NOT. The unit only
 * starts from 0xFFFFFFFF, so an unaligned start, short ranges and the 1-3
 * tail bytes are computed in software (bit by bit: no table, the blob stays
 * small). crc_mode SOFT does everything in software (a unit that is absent
 * or clocked off).
 *
 * gen-loaders: -mcpu=cortex-m3 */
#include <stdint.h>

#include "lf_loader_abi.h"

/* ---- the contract with the host adapter (stm32f1.c includes this part
 * with LF_LDR_CONTRACT_ONLY defined) ---- */

#define LF_LDR_F1_LOAD_ADDR 0x20000000u  /* linked here: the F1's SRAM start */
#define LF_LDR_F1_FLASH_BASE 0x08000000u
/* FLASH_SR bits (3.1): BSY 0, PGERR 2, WRPRTERR 4, EOP 5 (w1c). */
#define LF_LDR_F1_SR_BSY 0x01u
#define LF_LDR_F1_SR_ERRORS 0x14u
#define LF_LDR_F1_SR_EOP 0x20u

/* crc_mode */
enum {
  LF_LDR_F1_CRC_SOFT = 0,   /* bit by bit */
  LF_LDR_F1_CRC_FIXED = 1,  /* the fixed unit fed RBIT(word), read back RBIT'ed */
};

/* The family words of the control block (lf_ldr_ctrl.fam). */
struct lf_ldr_f1 {
  uint32_t flash_regs;   /* FPEC base, 0x40022000 */
  uint32_t crc_mode;     /* LF_LDR_F1_CRC_* */
  uint32_t crc_regs;     /* CRC unit base (0x40023000) */
  uint32_t rcc_enr;      /* RCC_AHBENR address (CRC clock), 0 = none */
  uint32_t rcc_bit;      /* its CRCEN mask */
  uint32_t iwdg_regs;    /* IWDG base (0x40003000): slowed to its longest timeout and
                            reloaded before every command; 0 = left alone */
  uint32_t page_size;    /* bytes per page (PROGRAM_BITS: stm32f1_b.c) */
  uint32_t zero_ok;      /* 1: 0x0000 may be written over a programmed half-word (PM0075) */
  uint32_t reserved[3];
};
_Static_assert(sizeof(struct lf_ldr_f1) == 4 * LF_LDR_FAM_WORDS, "family words");

#ifndef LF_LDR_CONTRACT_ONLY

#include "lf_ldr_serve.h"

/* FPEC registers (offsets, 3.1) */
#define F_KEYR 0x04u
#define F_SR 0x0Cu
#define F_CR 0x10u
#define F_AR 0x14u
#define CR_PG 0x01u
#define CR_PER 0x02u
#define CR_MER 0x04u
#define CR_STRT 0x40u
#define CR_LOCK 0x80u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define SR_W1C (LF_LDR_F1_SR_ERRORS | LF_LDR_F1_SR_EOP)

/* CRC unit (7): DR, CR.RESET */
#define CRC_DR 0x00u
#define CRC_CR 0x08u

#define F1(c) ((const struct lf_ldr_f1 *)(c)->fam)
#define FAM_UNIT 2u
#define FAM_ERRORS LF_LDR_F1_SR_ERRORS
#define FAM_BITS 1 /* PROGRAM_BITS: stm32f1_b.c */

static void fam_kick(const ctl_t *c)
{
  if (F1(c)->iwdg_regs)
    REG(F1(c)->iwdg_regs) = 0xAAAAu;
}

/* SR once the FPEC is idle. A store or STRT takes a cycle before BSY reads
 * 1 (3.2: the F1 must not sample BSY right away): the DSB before covers it. */
static uint32_t fam_idle(const ctl_t *c)
{
  uint32_t sr;
  dsb();
  for (;;) {
    sr = REG(F1(c)->flash_regs + F_SR);
    if (!(sr & LF_LDR_F1_SR_BSY))
      return sr;
    fam_kick(c);
  }
}

static void fam_clean(const ctl_t *c, uint32_t sr)
{
  if (sr & SR_W1C)
    REG(F1(c)->flash_regs + F_SR) = sr & SR_W1C;
  REG(F1(c)->flash_regs + F_CR) = 0;
}

static void fam_lock(const ctl_t *c) { REG(F1(c)->flash_regs + F_CR) = CR_LOCK; }

static int fam_init(ctl_t *c)
{
  uint32_t f = F1(c)->flash_regs;
  if (F1(c)->rcc_enr)
    REG(F1(c)->rcc_enr) |= F1(c)->rcc_bit;
  if (F1(c)->iwdg_regs)
    ldr_iwdg_slow(F1(c)->iwdg_regs);
  if (REG(f + F_CR) & CR_LOCK) {
    REG(f + F_KEYR) = KEY1;
    REG(f + F_KEYR) = KEY2;
    if (REG(f + F_CR) & CR_LOCK)
      return ldr_fail(c, LF_LDR_ST_LOCKED, f + F_CR, REG(f + F_SR));
  }
  return 0;
}

/* A page by any address in it (FLASH_AR), or the whole array (MER). */
static int fam_erase(ctl_t *c, const cmd_t *k)
{
  uint32_t f = F1(c)->flash_regs;
  if (!(k->len & LF_LDR_ERASE_STARTED)) {
    fam_clean(c, fam_idle(c));
    uint32_t sel = k->op == LF_LDR_OP_ERASE ? CR_PER : CR_MER;
    REG(f + F_CR) = sel;
    if (sel == CR_PER)
      REG(f + F_AR) = k->addr;
    REG(f + F_CR) = sel | CR_STRT;
  }
  uint32_t sr = fam_idle(c);
  REG(f + F_CR) = 0;
  if (sr & LF_LDR_F1_SR_ERRORS)
    return ldr_fail(c, LF_LDR_ST_FLASH, k->addr, sr);
  return 0;
}

static void fam_prog_begin(const ctl_t *c)
{
  fam_clean(c, fam_idle(c));
  REG(F1(c)->flash_regs + F_CR) = CR_PG;
}

static uint32_t fam_prog_run(const ctl_t *c, uint32_t d, const uint8_t *s, uint32_t n, uint32_t *at)
{
  volatile uint32_t *sr = &REG(F1(c)->flash_regs + F_SR);
  for (uint32_t i = 0; i < n; i += 2) {
    uint16_t v = *(const uint16_t *)(s + i);
    uint32_t st = *sr;
    REG16(d + i) = v;
    dsb();
    if (st & LF_LDR_F1_SR_ERRORS) {
      *at = i;
      return st;
    }
  }
  return 0;
}

/* zlib crc32 of [a, a+n): the fixed unit fed RBIT(word), or software. */
static uint32_t fam_crc(const ctl_t *c, uint32_t a, uint32_t n)
{
  uint32_t crc = 0xFFFFFFFFu;
  if (F1(c)->crc_mode != LF_LDR_F1_CRC_FIXED || (a & 3u) || n < 16)
    return ~crc_soft(crc, (const uint8_t *)a, n);
  volatile uint32_t *dr = &REG(F1(c)->crc_regs + CRC_DR);
  const uint32_t *p = (const uint32_t *)a;
  uint32_t words = n >> 2;
  REG(F1(c)->crc_regs + CRC_CR) = 1u; /* RESET: DR = 0xFFFFFFFF, zlib's start */
  if (words >= 4) {
    uint32_t blocks = words >> 2;
    __asm volatile("1: ldmia %[p]!, {r4-r7}\n"
                   "   rbit r4, r4\n   str r4, [%[dr]]\n   rbit r5, r5\n   str r5, [%[dr]]\n"
                   "   rbit r6, r6\n   str r6, [%[dr]]\n   rbit r7, r7\n   str r7, [%[dr]]\n"
                   "   subs %[n], %[n], #1\n   bne 1b\n"
                   : [p] "+r"(p), [n] "+r"(blocks)
                   : [dr] "r"(dr)
                   : "r4", "r5", "r6", "r7", "cc", "memory");
    words &= 3;
  }
  while (words--)
    *dr = rbit(*p++);
  crc = rbit(*dr);
  return ~crc_soft(crc, (const uint8_t *)p, n & 3u);
}

#ifdef LF_LDR_SERVE_BITS
/* Bits-only (stm32f1_b.c): a half-word is programmed only over 0xFFFF, or
 * with 0x0000 (PGERR otherwise, stm32-f1-l4-h7-targets.md 3.3, PM0075). */
static int fam_bits_ok(const ctl_t *c, uint32_t old, uint32_t nw)
{
  return old == 0xFFFFu || (nw == 0 && F1(c)->zero_ok);
}

static uint32_t fam_page_end(const ctl_t *c, uint32_t addr)
{
  return (addr & ~(F1(c)->page_size - 1u)) + F1(c)->page_size;
}

#include "lf_ldr_bits.h"
#else
#ifdef LF_LDR_SERVE_Z
/* Inflating at the reset clock (HSI, 8 MHz) is slower than the FPEC
 * programs half-words, so for a PROGRAM_Z command the core runs from the
 * PLL at 64 MHz (HSI / 2 x 16; RM0008: 2 flash wait states above 48 MHz,
 * APB1 at most 36 MHz: / 2) when it runs from the HSI with the PLL off (the
 * state after reset; a firmware's clock setup is left alone); RCC_CFGR,
 * RCC_CR.PLLON and FLASH_ACR are restored after the command. The FPEC
 * still runs from the HSI, which stays on. */
#define FAM_Z_CLOCK 1
#define RCC_CR 0x00u
#define RCC_CFGR 0x04u
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define CFGR_PLL_X16 (14u << 18)  /* PLLMUL x16, PLLSRC HSI / 2 */
#define CFGR_PPRE1_DIV2 (4u << 8)
#define Z_FAST 8u                  /* 64 / 8 MHz */

static uint32_t fam_z_clock_up(const ctl_t *c, uint32_t *saved)
{
  uint32_t en = F1(c)->rcc_enr, f = F1(c)->flash_regs;
  if (!en)
    return 1;
  uint32_t rcc = en - 0x14u; /* RCC_AHBENR is at 0x14 */
  uint32_t cfgr = REG(rcc + RCC_CFGR);
  if ((cfgr & 0xFu) || (REG(rcc + RCC_CR) & RCC_CR_PLLON))
    return 1; /* not on the HSI with the PLL off */
  saved[0] = rcc;
  saved[1] = cfgr;
  saved[2] = REG(f + 0x00u); /* FLASH_ACR */
  REG(f + 0x00u) = (saved[2] & ~7u) | 2u;
  uint32_t fast = (cfgr & ~(0x3Fu << 16) & ~(7u << 8)) | CFGR_PLL_X16 | CFGR_PPRE1_DIV2;
  REG(rcc + RCC_CFGR) = fast;
  REG(rcc + RCC_CR) |= RCC_CR_PLLON;
  while (!(REG(rcc + RCC_CR) & RCC_CR_PLLRDY))
    ;
  REG(rcc + RCC_CFGR) = fast | 2u;
  while ((REG(rcc + RCC_CFGR) & 0xCu) != 0x8u)
    ;
  return Z_FAST;
}

static void fam_z_clock_down(const ctl_t *c, const uint32_t *saved)
{
  uint32_t rcc = saved[0];
  REG(rcc + RCC_CFGR) &= ~3u;
  while (REG(rcc + RCC_CFGR) & 0xCu)
    ;
  REG(rcc + RCC_CR) &= ~RCC_CR_PLLON;
  REG(rcc + RCC_CFGR) = saved[1];
  REG(F1(c)->flash_regs + 0x00u) = saved[2];
}
#endif

#define LF_LDR_SERVE_ENGINE
#include "lf_ldr_serve.h"
#endif

#endif /* LF_LDR_CONTRACT_ONLY */
