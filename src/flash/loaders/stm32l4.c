/* On-target flash loader of the STM32L4 flash controller (host side:
 * src/flash/stm32l4.c). Runs from RAM (linked at LF_LDR_L4_LOAD_ADDR) on the
 * Cortex-M4, started once by the host with r0 = the control block
 * (lf_loader_abi.h); the command loop and the ring are lf_ldr_serve.h's.
 *
 * Facts: stm32-f1-l4-h7-targets.md 4.1-4.3 (registers, SR/CR bits, unlock,
 * page erase with PNB/BKER, mass erase MER1/MER2, double-word programming,
 * PGSERR on stale flags), 4.3 (HAL flushes the flash caches after program
 * and erase), 7 (the programmable CRC unit).
 *
 * Commands name addresses: the bank from the address (bank 2 from the
 * family word bank2), the page number within the bank from the page size.
 *
 * Programming loop, per double word:
 *     until !BSY: st = FLASH_SR;  low word;  high word (programming starts);
 *     DSB;  if (st & errors) fail
 * The SR read before the stores reports the previous double word, and the
 * next one starts the moment BSY clears (no store is issued while BSY: the
 * RM0351 sequence, HAL and OpenOCD's loader wait for it too). Every double word is
 * new (the host erased it) or all zero: a double word cannot be programmed
 * twice (ECC, PROGERR). Stale error flags are cleared first: any of them
 * would turn the next store into PGSERR (12 #10).
 *
 * gen-loaders: -mcpu=cortex-m4 */
#include <stdint.h>

#include "lf_loader_abi.h"

/* ---- the contract with the host adapter (stm32l4.c includes this part
 * with LF_LDR_CONTRACT_ONLY defined) ---- */

#define LF_LDR_L4_LOAD_ADDR 0x20000000u  /* linked here: SRAM1 */
#define LF_LDR_L4_FLASH_BASE 0x08000000u
/* FLASH_SR (4.2): BSY 16; errors OPERR PROGERR WRPERR PGAERR SIZERR PGSERR
 * MISERR FASTERR; w1c flags 0-15. */
#define LF_LDR_L4_SR_BSY 0x10000u
#define LF_LDR_L4_SR_ERRORS 0x3FAu
#define LF_LDR_L4_SR_W1C 0xC3FBu

/* The family words of the control block (lf_ldr_ctrl.fam). */
struct lf_ldr_l4 {
  uint32_t flash_regs;   /* FLASH base, 0x40022000 */
  uint32_t bank2;        /* bank 2 base (0x08080000 on 1 MiB), 0 = one bank */
  uint32_t page_shift;   /* log2 of the page size (11: 2 KiB) */
  uint32_t crc_regs;     /* CRC unit base (0x40023000), 0 = software CRC */
  uint32_t rcc_enr;      /* RCC_AHB1ENR address (CRC clock), 0 = none */
  uint32_t rcc_bit;      /* its CRCEN mask */
  uint32_t iwdg_regs;    /* IWDG base (0x40003000): slowed and fed; 0 = left alone */
  uint32_t acr_en;       /* FLASH_ACR cache enable bits (ICEN | DCEN) */
  uint32_t acr_rst;      /* FLASH_ACR cache reset bits (ICRST | DCRST) */
  uint32_t reserved[2];
};
_Static_assert(sizeof(struct lf_ldr_l4) == 4 * LF_LDR_FAM_WORDS, "family words");

#ifndef LF_LDR_CONTRACT_ONLY

#include "lf_ldr_serve.h"

/* FLASH registers (offsets, 4.1) and CR bits (4.2) */
#define F_ACR 0x00u
#define F_KEYR 0x08u
#define F_SR 0x10u
#define F_CR 0x14u
#define CR_PG (1u << 0)
#define CR_PER (1u << 1)
#define CR_MER1 (1u << 2)
#define CR_BKER (1u << 11)
#define CR_MER2 (1u << 15)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu

#define L4(c) ((const struct lf_ldr_l4 *)(c)->fam)
#define FAM_UNIT 8u
#define FAM_ERRORS LF_LDR_L4_SR_ERRORS

static void fam_kick(const ctl_t *c)
{
  if (L4(c)->iwdg_regs)
    REG(L4(c)->iwdg_regs) = 0xAAAAu;
}

static uint32_t fam_idle(const ctl_t *c)
{
  uint32_t sr;
  dsb();
  for (;;) {
    sr = REG(L4(c)->flash_regs + F_SR);
    if (!(sr & LF_LDR_L4_SR_BSY))
      return sr;
    fam_kick(c);
  }
}

static void fam_clean(const ctl_t *c, uint32_t sr)
{
  if (sr & LF_LDR_L4_SR_W1C)
    REG(L4(c)->flash_regs + F_SR) = sr & LF_LDR_L4_SR_W1C;
  REG(L4(c)->flash_regs + F_CR) = 0;
}

static void fam_lock(const ctl_t *c) { REG(L4(c)->flash_regs + F_CR) = CR_LOCK; }

/* Flash read caches: disable, reset, restore, so no stale line survives an
 * erase or program (HAL FLASH_FlushCaches, 4.3). */
static void flush_caches(const ctl_t *c)
{
  uint32_t a = L4(c)->flash_regs + F_ACR, acr = REG(a);
  if (!(acr & L4(c)->acr_en))
    return;
  uint32_t off = acr & ~L4(c)->acr_en;
  REG(a) = off;
  REG(a) = off | L4(c)->acr_rst;
  REG(a) = off;
  REG(a) = acr;
}

static int fam_init(ctl_t *c)
{
  uint32_t f = L4(c)->flash_regs;
  if (L4(c)->rcc_enr)
    REG(L4(c)->rcc_enr) |= L4(c)->rcc_bit;
  if (L4(c)->iwdg_regs)
    ldr_iwdg_slow(L4(c)->iwdg_regs);
  if (REG(f + F_CR) & CR_LOCK) { /* keys only when locked: a second unlock locks (12 #6) */
    REG(f + F_KEYR) = KEY1;
    REG(f + F_KEYR) = KEY2;
    if (REG(f + F_CR) & CR_LOCK)
      return ldr_fail(c, LF_LDR_ST_LOCKED, f + F_CR, REG(f + F_SR));
  }
  return 0;
}

/* FLASH_CR for an erase: PER + PNB + BKER of the page holding addr, MER1 /
 * MER2 of the bank holding it, or both banks. */
static uint32_t erase_bits(const ctl_t *c, uint32_t op, uint32_t addr)
{
  uint32_t b2 = L4(c)->bank2;
  uint32_t two = b2 && addr >= b2;
  if (op == LF_LDR_OP_ERASE_CHIP)
    return b2 ? CR_MER1 | CR_MER2 : CR_MER1;
  if (op == LF_LDR_OP_ERASE_BANK)
    return two ? CR_MER2 : CR_MER1;
  uint32_t page = (addr - (two ? b2 : LF_LDR_L4_FLASH_BASE)) >> L4(c)->page_shift;
  return CR_PER | (page << 3) | (two ? CR_BKER : 0);
}

static int fam_erase(ctl_t *c, const cmd_t *k)
{
  uint32_t f = L4(c)->flash_regs;
  if (!(k->len & LF_LDR_ERASE_STARTED)) {
    fam_clean(c, fam_idle(c));
    uint32_t cr = erase_bits(c, k->op, k->addr);
    REG(f + F_CR) = cr;
    REG(f + F_CR) = cr | CR_STRT;
  }
  uint32_t sr = fam_idle(c);
  REG(f + F_CR) = 0;
  flush_caches(c);
  if (sr & LF_LDR_L4_SR_ERRORS)
    return ldr_fail(c, LF_LDR_ST_FLASH, k->addr, sr);
  return 0;
}

static void fam_prog_begin(const ctl_t *c)
{
  fam_clean(c, fam_idle(c));
  REG(L4(c)->flash_regs + F_CR) = CR_PG;
}

static uint32_t fam_prog_run(const ctl_t *c, uint32_t d, const uint8_t *s, uint32_t n, uint32_t *at)
{
  volatile uint32_t *sr = &REG(L4(c)->flash_regs + F_SR);
  for (uint32_t i = 0; i < n; i += 8) {
    uint32_t lo = *(const uint32_t *)(s + i), hi = *(const uint32_t *)(s + i + 4);
    uint32_t st;
    do /* the previous double word's end (no store while BSY: the HAL and OpenOCD wait too) */
      st = *sr;
    while (st & LF_LDR_L4_SR_BSY);
    REG(d + i) = lo;
    isb(); /* HAL: the two word stores separated by an ISB (4.3) */
    REG(d + i + 4) = hi;
    dsb();
    if (st & LF_LDR_L4_SR_ERRORS) {
      *at = i;
      flush_caches(c);
      return st;
    }
  }
  flush_caches(c);
  return 0;
}

static uint32_t fam_crc(const ctl_t *c, uint32_t a, uint32_t n)
{
  if (!L4(c)->crc_regs)
    return ~crc_soft(0xFFFFFFFFu, (const uint8_t *)a, n);
  return crc_prog_range(L4(c)->crc_regs, a, n);
}

#ifdef LF_LDR_SERVE_Z
/* Inflating at the reset clock (MSI 4 MHz) is slower than the flash
 * programs, so for a PROGRAM_Z command the core runs from the MSI at 48 MHz
 * (RCC_CR.MSIRANGE 11 selected by MSIRGSEL; 2 flash wait states first: 48
 * MHz at voltage range 1, the reset range) when the system clock is the MSI
 * at 4 MHz (the state after reset; a firmware's clock setup is left alone);
 * RCC_CR and FLASH_ACR are restored after the command. Voltage range 1
 * (PWR_CR1.VOS, its reset value) is assumed, not read: a firmware that
 * selected range 2 (26 MHz at most) and kept the MSI at 4 MHz would run the
 * command out of spec [unconf: the bench has no PWR block to read]. */
#define FAM_Z_CLOCK 1
#define RCC_CR 0x00u
#define RCC_CFGR 0x08u
#define RCC_CR_MSIRDY 0x2u
#define RCC_CR_MSI_MASK 0xF8u /* MSIRANGE 7:4, MSIRGSEL 3 */
#define RCC_CR_MSI_48 0xB8u   /* range 11, MSIRGSEL */
#define RCC_CR_MSI_4 0x68u    /* range 6 (4 MHz), MSIRGSEL */
#define Z_FAST 12u            /* 48 / 4 MHz */

static uint32_t fam_z_clock_up(const ctl_t *c, uint32_t *saved)
{
  uint32_t en = L4(c)->rcc_enr, f = L4(c)->flash_regs;
  if (!en)
    return 1;
  uint32_t rcc = en - 0x48u; /* RCC_AHB1ENR is at 0x48 */
  uint32_t cr = REG(rcc + RCC_CR);
  /* SWS = MSI, running at range 6 (MSIRGSEL: RCC_CR, else RCC_CSR.MSISRANGE) */
  uint32_t range = (cr & 8u) ? (cr >> 4) & 0xFu : (REG(rcc + 0x94u) >> 8) & 0xFu;
  if ((REG(rcc + RCC_CFGR) & 0xCu) || range != 6u)
    return 1;
  saved[0] = rcc;
  saved[1] = cr;
  saved[2] = REG(f + F_ACR);
  if ((saved[2] & 7u) < 2u)
    REG(f + F_ACR) = (saved[2] & ~7u) | 2u;
  REG(rcc + RCC_CR) = (cr & ~RCC_CR_MSI_MASK) | RCC_CR_MSI_48;
  while (!(REG(rcc + RCC_CR) & RCC_CR_MSIRDY))
    ;
  return Z_FAST;
}

static void fam_z_clock_down(const ctl_t *c, const uint32_t *saved)
{
  uint32_t rcc = saved[0];
  REG(rcc + RCC_CR) = (saved[1] & ~RCC_CR_MSI_MASK) | RCC_CR_MSI_4;
  while (!(REG(rcc + RCC_CR) & RCC_CR_MSIRDY))
    ;
  REG(rcc + RCC_CR) = (REG(rcc + RCC_CR) & ~RCC_CR_MSI_MASK) | (saved[1] & RCC_CR_MSI_MASK);
  REG(L4(c)->flash_regs + F_ACR) = saved[2];
}
#endif

#define LF_LDR_SERVE_ENGINE
#include "lf_ldr_serve.h"

#endif /* LF_LDR_CONTRACT_ONLY */
