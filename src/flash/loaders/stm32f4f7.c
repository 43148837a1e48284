/* On-target flash loader of the STM32F2/F4/F7 embedded-flash controller
 * family (src/flash/stm32f4f7.c is its host side). Runs from RAM (linked at
 * LF_LDR_F47_LOAD_ADDR) on a Cortex-M4 or M7, started once by the host with
 * r0 = the control block (lf_loader_abi.h), and serves the command queue
 * until EXIT or an error. No globals: all state lives in the control block,
 * so the blob has no .data/.bss.
 *
 * Facts: stm32f7-target.md 3.4/3.5 (SR, CR bits), 4.1-4.3 (unlock, program,
 * sector erase), 7 (sector layouts), 8 (PSIZE), 11.8 and 13 #5-#7 (caches,
 * barriers); stm32f4-target.md 3.2 (ACR caches), 3.4 (PGSERR), 7 (layouts).
 *
 * Commands name addresses; this loader maps them to the controller: a sector
 * number from the family's fixed sector shape (per bank: four sectors of a
 * unit U, one of 4U, then 8U each; bank 2 numbered from 0x10 in SNB), a bank
 * to MER (bank 1) or MER2 (bank 2).
 *
 * Programming loop (the hot path): per flash word
 *     st = FLASH_SR;  *dst = data;  DSB;  if (st & errors) fail(dst - 1)
 * The SR read comes before the store, so it returns the state of the
 * previous program operation; the store itself waits for the controller
 * (a write to a busy bank stalls the bus, stm32f4-target.md 3.5 / F7 4.2), so
 * the loop's own instructions run while the flash programs and the next
 * operation starts the moment the previous one ends. Error flags of every
 * operation are still checked: an error of word i is seen before word i+2 is
 * stored, and the final word is checked after the loop.
 *
 * gen-loaders: -mcpu=cortex-m4 (the same Thumb-2 code runs on the M7) */
#include <stdint.h>

#include "lf_loader_abi.h"
#ifdef LF_LDR_F47_Z
static uint32_t zmore(void *ctx, uint32_t used);
#define LFZ_MORE_FN zmore
#define LFZ_PUMP_LIT 1u /* the pump paces by time (pump below) */
/* the fast tables' bit reversal in one instruction (ARMv7-M RBIT) */
static inline uint32_t z_rbit(uint32_t v)
{
  uint32_t r;
  __asm("rbit %0, %1" : "=r"(r) : "r"(v));
  return r;
}
#define LFZ_RBIT z_rbit
#define LFZ_COMPACT 1 /* every byte of the routine is uploaded before the stream */
#include "lf_inflate.h"
#include "lf_bcj.h"
#endif

/* ---- the contract with the host adapter (stm32f4f7.c includes this part
 * with LF_LDR_CONTRACT_ONLY defined) ---- */

#define LF_LDR_F47_LOAD_ADDR 0x20000000u /* linked here: RAM start of the F4 and F7 (DTCM) */
#define LF_LDR_F47_FLASH_BASE 0x08000000u /* main flash of every F2/F4/F7 (bank 1) */
/* FLASH_SR error bits the loader checks (F7 3.4 / F4 3.4): OPERR WRPERR
 * PGAERR PGPERR ERSERR(PGSERR). */
#define LF_LDR_F47_SR_ERRORS 0xF2u

/* crc_mode */
enum {
  LF_LDR_F47_CRC_SOFT = 0,  /* nibble table, no peripheral */
  LF_LDR_F47_CRC_FIXED = 1, /* F4 unit: CRC-32/MPEG-2 on words; loader bit-reverses (RBIT) */
  LF_LDR_F47_CRC_PROG = 2,  /* F7 unit: INIT/POL/REV_IN/REV_OUT */
};

/* The family words of the control block (lf_ldr_ctrl.fam). */
struct lf_ldr_f47 {
  uint32_t flash_regs;   /* FLASH interface base, 0x40023C00 */
  uint32_t psize;        /* FLASH_CR.PSIZE 0..3 for program and erase */
  uint32_t crc_mode;     /* LF_LDR_F47_CRC_* */
  uint32_t crc_regs;     /* CRC unit base (0x40023000) */
  uint32_t rcc_enr;      /* RCC_AHB1ENR address (CRC clock), 0 = none */
  uint32_t rcc_bit;      /* its CRCEN mask */
  uint32_t acr_en;       /* FLASH_ACR cache enable bits (F7 ARTEN, F4 ICEN|DCEN) */
  uint32_t acr_rst;      /* FLASH_ACR cache reset bits (F7 ARTRST, F4 ICRST|DCRST) */
  uint32_t iwdg_regs;    /* IWDG base (0x40003000): slowed to its longest timeout and
                            reloaded before every command; 0 = left alone */
  uint32_t unit_shift;   /* log2 of U, the smallest sector of a bank */
  uint32_t bank2;        /* bank 2 base address, 0 = single bank */
};
_Static_assert(sizeof(struct lf_ldr_f47) == 4 * LF_LDR_FAM_WORDS, "family words");

#ifndef LF_LDR_CONTRACT_ONLY

#define REG(a) (*(volatile uint32_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))

/* FLASH registers (offsets, F7 3.1) */
#define F_ACR 0x00u
#define F_KEYR 0x04u
#define F_SR 0x0Cu
#define F_CR 0x10u
#define SR_BSY 0x10000u
#define CR_PG 0x1u
#define CR_SER 0x2u
#define CR_MER 0x4u
#define CR_MER2 0x8000u /* F7 MER2, F42x MER1: bank 2 */
#define CR_STRT 0x10000u
#define CR_LOCK 0x80000000u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu

/* CRC unit (F7: DR IDR CR INIT POL; F4: DR IDR CR) */
#define CRC_DR 0x00u
#define CRC_CR 0x08u
#define CRC_INIT 0x10u
#define CRC_POL 0x14u
#define CRC_CR_RESET 0x1u
#define CRC_CR_REVIN_WORD 0x60u
#define CRC_CR_REVOUT 0x80u

/* DWT (cache maintenance: lf_ldr_armv7m.h) */
#define DWT_CTRL 0xE0001000u
#define DWT_CYCCNT 0xE0001004u

/* IWDG (F7/F4: KR, PR, RLR; ST's formula 4 * 2^PR * (RLR + 1) / LSI) */
#define IWDG_KR 0x00u
#define IWDG_PR 0x04u
#define IWDG_RLR 0x08u

typedef struct lf_ldr_ctrl ctl_t;
typedef struct lf_ldr_cmd cmd_t;

#define F47(c) ((const struct lf_ldr_f47 *)(c)->fam)

#if defined(LF_LDR_F47_Z)
struct f47_lib;
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx, const struct f47_lib *L)
    __attribute__((section(".text.entry"), used));
#elif defined(LF_LDR_F47_B)
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx) __attribute__((section(".text.entry"), used));
#else
int lf_ldr_main(ctl_t *c) __attribute__((section(".text.entry"), used));
#endif

#include "lf_ldr_armv7m.h"

static inline uint32_t cycles(void) { return REG(DWT_CYCCNT); }

/* A running watchdog (hardware mode, IWDG_SW = 0, or started by the firmware
 * before the halt) would reset the chip in a long erase: reload it. */
static inline void kick(const ctl_t *c)
{
  if (F47(c)->iwdg_regs)
    REG(F47(c)->iwdg_regs + IWDG_KR) = 0xAAAAu;
}

#ifndef LF_LDR_F47_Z /* the routine borrows these from the loader (struct f47_lib) */
/* Waits for BSY = 0 and returns SR. On silicon SR reads return at once
 * and the loop keeps the watchdog fed through a long (mass) erase; on the
 * bench the first read already stalls until the end. */
static uint32_t flash_idle(const ctl_t *c)
{
  uint32_t sr;
  for (;;) {
    sr = REG(F47(c)->flash_regs + F_SR);
    if (!(sr & SR_BSY))
      return sr;
    kick(c);
  }
}

static int fail(ctl_t *c, uint32_t status, uint32_t addr, uint32_t sr)
{
  c->err_addr = addr;
  c->err_sr = sr;
  c->status = status;
  REG(F47(c)->flash_regs + F_SR) = sr & LF_LDR_F47_SR_ERRORS; /* w1c: leave the controller usable */
  REG(F47(c)->flash_regs + F_CR) = 0;
  return (int)status;
}

/* Flash read caches (F7 ART, F4 I/D caches): disable, reset, restore, so no
 * stale line survives an erase or program (F7 13 #5, HAL FLASH_FlushCaches). */
static void flush_flash_caches(const ctl_t *c)
{
  uint32_t a = F47(c)->flash_regs + F_ACR, acr = REG(a);
  if (!(acr & F47(c)->acr_en))
    return;
  uint32_t off = acr & ~F47(c)->acr_en;
  REG(a) = off;
  REG(a) = off | F47(c)->acr_rst;
  REG(a) = off;
  REG(a) = acr;
}
#endif


#ifndef LF_LDR_F47_Z
/* The FLASH_CR erase bits for a command: SER + SNB of the sector holding
 * addr, MER / MER2 of the bank holding it, or both banks. The host checked
 * that addr is in the flash. */
static uint32_t erase_bits(const ctl_t *c, uint32_t op, uint32_t addr)
{
  uint32_t b2 = F47(c)->bank2, off = addr - LF_LDR_F47_FLASH_BASE, snb = 0, mer = CR_MER;
  if (op == LF_LDR_OP_ERASE_CHIP)
    return b2 ? CR_MER | CR_MER2 : CR_MER;
  if (b2 && addr >= b2) {
    off = addr - b2;
    snb = 0x10u;
    mer = CR_MER2;
  }
  if (op == LF_LDR_OP_ERASE_BANK)
    return mer;
  uint32_t u = off >> F47(c)->unit_shift; /* in units U: 4 x U, 4U, then 8U */
  return CR_SER | ((snb | (u < 4 ? u : u < 8 ? 4 : 4 + (u >> 3))) << 3);
}

static int do_erase(ctl_t *c, const cmd_t *k)
{
  uint32_t f = F47(c)->flash_regs, sr;
  if (!(k->len & LF_LDR_ERASE_STARTED)) {
    sr = flash_idle(c);
    if (sr & LF_LDR_F47_SR_ERRORS)
      REG(f + F_SR) = sr & LF_LDR_F47_SR_ERRORS;
    uint32_t cr = (F47(c)->psize << 8) | erase_bits(c, k->op, k->addr);
    REG(f + F_CR) = cr;
    REG(f + F_CR) = cr | CR_STRT;
    dsb();
  }
  sr = flash_idle(c);
  REG(f + F_CR) = 0;
  flush_flash_caches(c);
  if (sr & LF_LDR_F47_SR_ERRORS)
    return fail(c, LF_LDR_ST_FLASH, k->addr, sr);
  return 0;
}

#endif

#ifndef LF_LDR_F47_Z
/* Programs n bytes (multiple of the unit) from s to d; returns 0, or the
 * SR value with *at = the byte offset of the store that saw it. */
static uint32_t prog_run(uint32_t f, uint32_t psize, uint32_t d, const uint8_t *s, uint32_t n,
                         uint32_t *at)
{
  volatile uint32_t *sr = &REG(f + F_SR);
  uint32_t st, i;
  switch (psize) {
  case 2:
    for (i = 0; i < n; i += 4) {
      uint32_t v = *(const uint32_t *)(s + i);
      st = *sr;
      REG(d + i) = v;
      dsb();
      if (st & LF_LDR_F47_SR_ERRORS)
        goto bad;
    }
    return 0;
  case 3:
    for (i = 0; i < n; i += 8) {
      uint32_t lo = *(const uint32_t *)(s + i), hi = *(const uint32_t *)(s + i + 4);
      st = *sr;
      REG(d + i) = lo;
      isb(); /* HAL: two word stores separated by ISB (F7 4.2) */
      REG(d + i + 4) = hi;
      dsb();
      if (st & LF_LDR_F47_SR_ERRORS)
        goto bad;
    }
    return 0;
  case 1:
    for (i = 0; i < n; i += 2) {
      uint16_t v = *(const uint16_t *)(s + i);
      st = *sr;
      *(volatile uint16_t *)(d + i) = v;
      dsb();
      if (st & LF_LDR_F47_SR_ERRORS)
        goto bad;
    }
    return 0;
  default:
    for (i = 0; i < n; i++) {
      uint8_t v = s[i];
      st = *sr;
      REG8(d + i) = v;
      dsb();
      if (st & LF_LDR_F47_SR_ERRORS)
        goto bad;
    }
    return 0;
  }
bad:
  *at = i;
  return st;
}
#endif

#if !defined(LF_LDR_F47_Z) && !defined(LF_LDR_F47_B)
static int do_program(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t f = F47(c)->flash_regs, unit = 1u << F47(c)->psize;
  uint32_t dst = k->addr, left = k->len;
  if ((dst | left) & (unit - 1))
    return fail(c, LF_LDR_ST_BADCMD, idx, 0);
  uint32_t sr = flash_idle(c);
  if (sr & LF_LDR_F47_SR_ERRORS)
    REG(f + F_SR) = sr & LF_LDR_F47_SR_ERRORS;
  REG(f + F_CR) = (F47(c)->psize << 8) | CR_PG;
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t avail = *(volatile uint32_t *)&c->data_wr - rd;
    if (avail < unit) {
      uint32_t t0 = cycles();
      do {
        kick(c);
        avail = *(volatile uint32_t *)&c->data_wr - rd;
      } while (avail < unit);
      c->cyc_starve += cycles() - t0;
    }
    uint32_t n = avail < left ? avail : left;
    if (n > size - roff)
      n = size - roff;
    n &= ~(unit - 1);
    uint32_t at = 0;
    uint32_t bad = prog_run(f, F47(c)->psize, dst, ring + roff, n, &at);
    if (bad) {
      /* the SR read before the store at `at` reports the previous store */
      uint32_t a = dst + at;
      if (a > k->addr)
        a -= unit;
      flash_idle(c);
      return fail(c, LF_LDR_ST_FLASH, a, bad);
    }
    dst += n;
    left -= n;
    rd += n;
    roff += n;
    if (roff == size)
      roff = 0;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd;
    kick(c);
  }
  sr = flash_idle(c);
  REG(f + F_CR) = 0;
  flush_flash_caches(c);
  if (sr & LF_LDR_F47_SR_ERRORS)
    return fail(c, LF_LDR_ST_FLASH, dst - unit, sr);
  return 0;
}

#endif

#ifdef LF_LDR_F47_B
/* ---- PROGRAM_BITS (lf_loader_abi.h): programming without the erase ----
 * The F2/F4/F7 flash has no ECC and no "not erased" flag: a store over a
 * programmed word leaves old AND new (stm32f4-target.md 4 "Overwrite a
 * programmed location", F7 4.2). So a sector whose new content only clears
 * bits (new AND old == new for every byte) is programmed as it stands:
 * only the units that differ are written (equal ones cost no tPROG). */

/* Whether [s, s+n) can be written over the flash at d without an erase
 * (s NULL: whether the flash there is erased). */
static int bits_fit(const uint8_t *s, uint32_t d, uint32_t n)
{
  uint32_t i = 0, bad = 0;
  for (; i + 4 <= n; i += 4)
    bad |= (s ? *(const uint32_t *)(s + i) : 0xFFFFFFFFu) & ~REG(d + i);
  for (; i < n; i++)
    bad |= (s ? s[i] : 0xFFu) & (uint32_t)~REG8(d + i);
  return bad == 0;
}

/* The end of the sector holding addr (the sector shape of erase_bits). */
static uint32_t sector_end(const ctl_t *c, uint32_t addr)
{
  uint32_t b2 = F47(c)->bank2, base = b2 && addr >= b2 ? b2 : LF_LDR_F47_FLASH_BASE;
  uint32_t sh = F47(c)->unit_shift, u = (addr - base) >> sh;
  return base + ((u < 4 ? u + 1 : u < 8 ? 8 : (u & ~7u) + 8) << sh);
}

/* Whether the unit at offset i differs from the flash. */
static inline int unit_differs(const uint8_t *s, uint32_t d, uint32_t unit)
{
  if (unit >= 4) {
    uint32_t x = *(const uint32_t *)s ^ REG(d);
    if (unit == 8)
      x |= *(const uint32_t *)(s + 4) ^ REG(d + 4);
    return x != 0;
  }
  return unit == 2 ? *(const uint16_t *)s != *(volatile uint16_t *)d : *s != REG8(d);
}

/* Programs the units of [s, s+n) that differ from the flash at d, in runs
 * of consecutive differing units; 0 or the SR value (*at its offset). */
static uint32_t bits_program(uint32_t f, uint32_t psize, uint32_t d, const uint8_t *s, uint32_t n,
                             uint32_t *at)
{
  uint32_t unit = 1u << psize, run = 0, len = 0;
  for (uint32_t i = 0; i <= n; i += unit) {
    if (i < n && unit_differs(s + i, d + i, unit)) {
      if (!len)
        run = i;
      len += unit;
      continue;
    }
    if (len) {
      uint32_t bad = prog_run(f, psize, d + run, s + run, len, at);
      if (bad) {
        *at += run;
        return bad;
      }
      len = 0;
    }
  }
  return 0;
}

/* The whole sector's data is in the ring (waited for); it may wrap once. */
static int do_program_bits(ctl_t *c, cmd_t *k, uint32_t idx, uint32_t *ecyc)
{
  uint32_t f = F47(c)->flash_regs, unit = 1u << F47(c)->psize;
  uint32_t dst = k->addr, len = k->len, size = c->ring_size, roff = c->ring_roff, rd = c->data_rd;
  uint32_t end = sector_end(c, dst);
  if (((dst | len | roff) & (unit - 1)) || !len || len > size || len > end - dst)
    return fail(c, LF_LDR_ST_BADCMD, idx, 0);
  if (*(volatile uint32_t *)&c->data_wr - rd < len) {
    uint32_t t0 = cycles();
    while (*(volatile uint32_t *)&c->data_wr - rd < len)
      kick(c);
    c->cyc_starve += cycles() - t0;
  }
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  uint32_t n1 = size - roff < len ? size - roff : len, n2 = len - n1;
  struct lf_ldr_bits *out = (struct lf_ldr_bits *)(c->z_region + LF_LDR_B_COUNTERS);
  if (bits_fit(ring + roff, dst, n1) && bits_fit(ring, dst + n1, n2) && bits_fit(0, dst + len, end - dst - len)) {
    out->kept++;
  } else {
    cmd_t e = {LF_LDR_OP_ERASE, dst, 0, 0};
    uint32_t t0 = cycles();
    int r = do_erase(c, &e);
    *ecyc = cycles() - t0;
    if (r)
      return r;
    out->erased++;
  }
  uint32_t sr = flash_idle(c);
  if (sr & LF_LDR_F47_SR_ERRORS)
    REG(f + F_SR) = sr & LF_LDR_F47_SR_ERRORS;
  REG(f + F_CR) = (F47(c)->psize << 8) | CR_PG;
  uint32_t at = 0, bad = bits_program(f, F47(c)->psize, dst, ring + roff, n1, &at);
  if (!bad && n2 && (bad = bits_program(f, F47(c)->psize, dst + n1, ring, n2, &at)))
    at += n1;
  if (bad) {
    uint32_t a = dst + at;
    if (a > dst)
      a -= unit;
    flash_idle(c);
    return fail(c, LF_LDR_ST_FLASH, a, bad);
  }
  sr = flash_idle(c);
  REG(f + F_CR) = 0;
  flush_flash_caches(c);
  if (sr & LF_LDR_F47_SR_ERRORS)
    return fail(c, LF_LDR_ST_FLASH, dst + len - unit, sr);
  roff += len;
  if (roff >= size)
    roff -= size;
  c->ring_roff = roff;
  *(volatile uint32_t *)&c->data_rd = rd + len;
  kick(c);
  return 0;
}

/* The entry: the command with its cycles counted as the loader counts a
 * PROGRAM's (an erase it needed as an ERASE's). */
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t t0 = cycles(), ecyc = 0;
  int r = do_program_bits(c, k, idx, &ecyc);
  k->result = cycles() - t0;
  c->cyc_erase += ecyc;
  c->cyc_prog += k->result - ecyc;
  return r;
}
#endif /* LF_LDR_F47_B */

#if !defined(LF_LDR_F47_B)
/* Inflating at the reset clock (HSI, 16 MHz) is slower than the flash
 * programs (and a long CRC is the tail of a blank-board job), so for the
 * command the core runs from the main PLL at 96 MHz
 * (RCC_PLLCFGR's reset value: HSI / 16 x 192 / 2, Q / 4; stm32f4-target.md
 * 9.2, F7 the same register) when the core runs from the HSI with the PLL
 * off (the state after reset; a firmware's clock setup is left alone):
 * 3 flash wait states first (both families, 2.7-3.6 V: 90 < 96 <= 120 MHz),
 * APB1 and APB2 / 2 (F4 APB2 <= 90 MHz, F7 APB1 <= 54 MHz: 48), and every
 * register restored at the end of the command. */
#define RCC_CR 0x00u
#define RCC_PLLCFGR 0x04u
#define RCC_CFGR 0x08u
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define PLL_96MHZ 0x24003010u
#define CFGR_PPRE_DIV2 0x9000u /* PPRE1 = 100, PPRE2 = 100 */
#define Z_FAST 6u              /* 96 / 16 MHz */

/* CRC ranges from this length on run at 96 MHz (the PLL's start-up and
 * stop cost less than the 16 MHz word loop saves) */
#define CRC_FAST_MIN 4096u

struct zclk {
  uint32_t rcc, pllcfgr, cfgr, acr;
};

#ifndef LF_LDR_F47_Z
static int clock_up(const ctl_t *c, struct zclk *z)
{
  uint32_t en = F47(c)->rcc_enr, f = F47(c)->flash_regs;
  if (!en)
    return 0;
  z->rcc = en - 0x30u; /* RCC_AHB1ENR is at 0x30 on the F2/F4/F7 */
  z->cfgr = REG(z->rcc + RCC_CFGR);
  if ((z->cfgr & 0xFu) || (REG(z->rcc + RCC_CR) & RCC_CR_PLLON))
    return 0; /* not on the HSI with the PLL off: leave the clocks alone */
  z->pllcfgr = REG(z->rcc + RCC_PLLCFGR);
  z->acr = REG(f + F_ACR);
  if ((z->acr & 0xFu) < 3u)
    REG(f + F_ACR) = (z->acr & ~0xFu) | 3u;
  REG(z->rcc + RCC_PLLCFGR) = PLL_96MHZ;
  REG(z->rcc + RCC_CFGR) = z->cfgr | CFGR_PPRE_DIV2;
  REG(z->rcc + RCC_CR) |= RCC_CR_PLLON;
  while (!(REG(z->rcc + RCC_CR) & RCC_CR_PLLRDY))
    ;
  REG(z->rcc + RCC_CFGR) = z->cfgr | CFGR_PPRE_DIV2 | 2u;
  while ((REG(z->rcc + RCC_CFGR) & 0xCu) != 0x8u)
    ;
  return 1;
}

static void clock_down(const ctl_t *c, const struct zclk *z)
{
  REG(z->rcc + RCC_CFGR) = z->cfgr | CFGR_PPRE_DIV2;
  while (REG(z->rcc + RCC_CFGR) & 0xCu)
    ;
  REG(z->rcc + RCC_CR) &= ~RCC_CR_PLLON;
  REG(z->rcc + RCC_CFGR) = z->cfgr;
  REG(z->rcc + RCC_PLLCFGR) = z->pllcfgr;
  REG(F47(c)->flash_regs + F_ACR) = z->acr;
}
#endif

/* What the loader lends the PROGRAM_Z routine (its 4th argument), so the
 * upload carries no second copy of them: the routine calls them here. */
struct f47_lib {
  uint32_t (*prog_run)(uint32_t f, uint32_t psize, uint32_t d, const uint8_t *s, uint32_t n,
                       uint32_t *at);
  uint32_t (*flash_idle)(const ctl_t *c);
  int (*fail)(ctl_t *c, uint32_t status, uint32_t addr, uint32_t sr);
  void (*flush_flash_caches)(const ctl_t *c);
  int (*clock_up)(const ctl_t *c, struct zclk *z);
  void (*clock_down)(const ctl_t *c, const struct zclk *z);
};

#endif

#ifdef LF_LDR_F47_Z
/* PROGRAM_Z (lf_loader_abi.h): each record is inflated as its bytes arrive
 * into the output buffer, a flash word programmed as the flash is ready
 * for it (paced by the cycle counter, pump below; the store waits for the
 * previous word, so the inflating runs in the flash's programming time). The routine knows the record flags: BCJ (lf_bcj.h,
 * undone per word on its way to the flash) and CONT (the history is the
 * stream's output before the record, up to z_out_size bytes: a record's
 * output follows the earlier ones' in the 2 x z_out_size output area,
 * moved down only when the next would not fit; its length and end in the
 * words after the workspace, struct zkeep). The helpers the loader has too
 * (prog_run, flash_idle, fail, the cache flush, the clock) are the
 * loader's, through its 4th argument (struct f47_lib): the upload carries
 * no second copy. */
/* The pump's state: dst + done is the next flash word to program. */
#define flash_idle(c) L->flash_idle(c)
#define fail(...) L->fail(__VA_ARGS__)
#define flush_flash_caches(c) L->flush_flash_caches(c)
#define clock_up(c, z) L->clock_up(c, z)
#define clock_down(c, z) L->clock_down(c, z)

struct zpump {
  const struct f47_lib *L;
  uint32_t dst, done, f, psize, bad, at, olen, bcj;
  struct lfb_state b;
  uint32_t t_store;  /* DWT cycles at the last unit's store */
};

/* Pacing: the inflater calls the pump at every literal (LFZ_PUMP_LIT) and
 * every 4 bytes of a match; a unit is stored (the store waits for the
 * previous one) only from Z_T_EARLY cycles after the previous store on
 * (6.3 us at 96 MHz, tPROG typ 16 us: the wait is short) or once Z_AHEAD
 * bytes wait. So the inflater runs a little ahead where it is fast and the
 * flash keeps busy where it is slow (literal runs, block headers); a wrong
 * guess of the flash's time costs a stall or an idle, never data.
 * Measured on the bench (z-small, 65 KB newlib image): 287.7 -> 284.5 ms of
 * target work, 0.7 ms better with 600 cycles than 700; 64..256 bytes and
 * 600..1100 cycles within 1.5 ms of it. */
#define Z_AHEAD 128u
#define Z_T_EARLY 600u

/* Programs the unit at done (unfiltered first for a BCJ record); a flash
 * error stops (bad = SR, at = its record offset). */
static int pump_unit(struct zpump *z, const uint8_t *out)
{
  uint32_t unit = 1u << z->psize, w[2], at = 0;
  const uint8_t *s = out + z->done;
  if (z->bcj) {
    lfb_unit(&z->b, out, z->done, unit, z->olen, z->dst, (uint8_t *)w);
    s = (const uint8_t *)w;
  }
  uint32_t bad = z->L->prog_run(z->f, z->psize, z->dst + z->done, s, unit, &at);
  if (bad) {
    z->bad = bad;
    z->at = z->done + at;
    return 1;
  }
  z->done += unit;
  return 0;
}

/* Programs one program unit from the inflated output when one is ready
 * (lfz_pump_fn; a BCJ record needs LFB_LAG bytes more). */
static int pump(void *ctx, const uint8_t *out, uint32_t n)
{
  struct zpump *z = ctx;
  uint32_t need = (1u << z->psize) + (z->bcj ? LFB_LAG : 0u);
  if (n - z->done < need)
    return 0;
  if (n - z->done < need + Z_AHEAD && cycles() - z->t_store < Z_T_EARLY)
    return 0;
  int r = pump_unit(z, out);
  z->t_store = cycles();
  return r;
}

/* The record's deflate bytes still arriving (lfz_more_fn): from ring
 * counter `from` on, zlen of them. */
struct zsrc {
  ctl_t *c;
  uint32_t from, zlen;
};

static uint32_t zmore(void *ctx, uint32_t used)
{
  struct zsrc *z = ctx;
  uint32_t there = *(volatile uint32_t *)&z->c->data_wr - z->from;
  if (there <= used) {
    uint32_t t0 = cycles();
    do {
      kick(z->c);
      there = *(volatile uint32_t *)&z->c->data_wr - z->from;
    } while (there <= used);
    z->c->cyc_starve += cycles() - t0;
  }
  return there < z->zlen ? there : z->zlen;
}

/* What the routine keeps across commands, after the workspace: the
 * history's length and where it ends in the output area (the next record's
 * output follows it there), and the clock a command left raised for the
 * next one (lf_ldr_main). */
struct zkeep {
  uint32_t hist, end;
  const cmd_t *clk_for; /* the queue entry the raised clock was left for, 0: none */
  uint32_t clk_stamp;   /* ... taken only while cyc_prog is still this (the same job,
                           nothing in between: the region's RAM is not cleared) */
  struct zclk clk;      /* the registers to restore */
};
_Static_assert(sizeof(struct lfz_work) + sizeof(struct zkeep) <= LF_LDR_ZWORK_SIZE, "kept words");

static int z_program(ctl_t *c, cmd_t *k, uint32_t idx, const struct f47_lib *L)
{
  uint32_t f = F47(c)->flash_regs, unit = 1u << F47(c)->psize;
  uint32_t dst = k->addr, left = k->len, cap = c->z_out_size;
  if ((dst | left) & (unit - 1))
    return fail(c, LF_LDR_ST_BADCMD, idx, 0);
  struct lfz_work *w = (struct lfz_work *)(c->z_region + LF_LDR_Z_WORK);
  struct zkeep *kp = (struct zkeep *)(w + 1);
  /* the output area: 2 x z_out_size bytes; a record's output follows its
   * history there (the earlier records' output), moved down only when the
   * record would not fit */
  uint8_t *area = (uint8_t *)(c->z_region + LF_LDR_Z_OUT);
  uint32_t sr = flash_idle(c);
  if (sr & LF_LDR_F47_SR_ERRORS)
    REG(f + F_SR) = sr & LF_LDR_F47_SR_ERRORS;
  REG(f + F_CR) = (F47(c)->psize << 8) | CR_PG;
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t avail = *(volatile uint32_t *)&c->data_wr - rd;
    if (avail < 8) { /* a record header */
      uint32_t t0 = cycles();
      do {
        kick(c);
        avail = *(volatile uint32_t *)&c->data_wr - rd;
      } while (avail < 8);
      c->cyc_starve += cycles() - t0;
    }
    uint32_t hw[2], o = roff; /* the header, byte by byte: it may wrap */
    for (uint32_t i = 0; i < 8; i++) {
      ((uint8_t *)hw)[i] = ring[o];
      if (++o == size)
        o = 0;
    }
    uint32_t zlen = hw[0], olen = hw[1] & LF_LDR_ZREC_LEN, flags = hw[1] & ~LF_LDR_ZREC_LEN;
    uint32_t rec = 8 + zlen;
    if (zlen > size - 8 || !olen || olen > left || olen > cap || (olen & (unit - 1)) ||
        (flags & ~(LF_LDR_ZREC_BCJ | LF_LDR_ZREC_CONT))) {
      flash_idle(c);
      return fail(c, LF_LDR_ST_DATA, dst, hw[1]);
    }
    uint32_t hist = 0, e = cap;
    if (flags & LF_LDR_ZREC_CONT) {
      hist = kp->hist;
      e = kp->end;
      if (hist > cap || e < hist || e > 2 * cap) /* not left by a record of this routine */
        hist = 0, e = cap;
    }
    if (e + olen > 2 * cap) {
      /* the history moved down to end at cap (olen <= cap fits after it) */
      uint8_t *hd = area + cap - hist;
      const uint8_t *hs = area + e - hist;
      if (!((hist | e) & 31u)) { /* 8-word bursts (LDM/STM) */
        typedef struct {
          uint32_t w[8];
        } blk32;
        for (uint32_t i = 0; i < hist; i += 32)
          *(blk32 *)(hd + i) = *(const blk32 *)(hs + i);
      } else {
        for (uint32_t i = 0; i < hist; i++)
          hd[i] = hs[i];
      }
      e = cap;
    }
    uint8_t *out = area + e;
    struct zpump z = {L, dst, 0, f, F47(c)->psize, 0, 0, olen, flags & LF_LDR_ZREC_BCJ, LFB_START, cycles()};
    /* the record's bytes are inflated as they arrive (zmore waits) */
    struct zsrc zs = {c, rd + 8, zlen};
    uint32_t there = avail - 8 < zlen ? avail - 8 : zlen;
    int32_t got = lfz_inflate_io(w, ring + o, ring + size, ring, zlen, out, olen, hist, pump, &z, there, 0,
                                 &zs);
    if (got == (int32_t)olen && !z.bad) { /* the rest of the record, unit by unit (the flash the bound) */
      while (z.done < olen && !pump_unit(&z, out))
        ;
    } else if (!z.bad) {
      flash_idle(c);
      kp->hist = 0;
      return fail(c, LF_LDR_ST_DATA, dst, got < 0 ? (uint32_t)got : olen);
    }
    if (z.bad) {
      uint32_t a = dst + z.at;
      if (a > k->addr)
        a -= unit;
      flash_idle(c);
      return fail(c, LF_LDR_ST_FLASH, a, z.bad);
    }
    rd += rec;
    roff += rec;
    if (roff >= size)
      roff -= size;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd;
    /* the history for the next record: the last cap bytes before its
     * output (no copy: the next record's output follows this one's) */
    kp->hist = hist + olen < cap ? hist + olen : cap;
    kp->end = e + olen;
    dst += olen;
    left -= olen;
    kick(c);
  }
  sr = flash_idle(c);
  REG(f + F_CR) = 0;
  flush_flash_caches(c);
  if (sr & LF_LDR_F47_SR_ERRORS)
    return fail(c, LF_LDR_ST_FLASH, dst - unit, sr);
  return 0;
}

/* The entry: the program command with its cycles counted as the loader
 * counts a PROGRAM's (in cycles of the loader's clock: those at 96 MHz
 * divided by Z_FAST, starvation too). */
/* The clock stays raised from one command to the next PROGRAM_Z when that
 * one is queued already (its PLL lock and the switches saved): the entry it
 * was left for is kept with the registers, and taken only with the core
 * still on the PLL; any other command, an error or the end restores them. */
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx, const struct f47_lib *L)
{
  struct zkeep *kp = (struct zkeep *)(c->z_region + LF_LDR_Z_WORK + sizeof(struct lfz_work));
  uint32_t t0 = cycles(), starve0 = c->cyc_starve;
  int fast = kp->clk_for == k && kp->clk_stamp == c->cyc_prog && (REG(kp->clk.rcc + RCC_CFGR) & 0xCu) == 0x8u;
  kp->clk_for = 0;
  if (!fast)
    fast = clock_up(c, &kp->clk);
  uint32_t t1 = cycles();
  int r = z_program(c, k, idx, L);
  uint32_t t2 = cycles();
  if (fast) {
    const cmd_t *next = (const cmd_t *)c->cmd_base + (idx + 1) % c->cmd_count;
    if (!r && *(volatile uint32_t *)&c->cmd_wr != idx + 1 && next->op == LF_LDR_OP_PROGRAM_Z)
      kp->clk_for = next;
    else
      clock_down(c, &kp->clk);
    c->cyc_starve = starve0 + (c->cyc_starve - starve0) / Z_FAST;
  }
  k->result = (t1 - t0) + (t2 - t1) / (fast ? Z_FAST : 1u) + (cycles() - t2);
  c->cyc_prog += k->result;
  kp->clk_stamp = c->cyc_prog;
  return r;
}

#elif !defined(LF_LDR_F47_B) /* the loader */

/* zlib crc32 of [a, a+n). */
static uint32_t do_crc(const ctl_t *c, uint32_t a, uint32_t n)
{
  uint32_t crc = 0xFFFFFFFFu;
  uint32_t mode = F47(c)->crc_mode, u = F47(c)->crc_regs;
  uint32_t head = (0u - a) & 3u;
  if (mode == LF_LDR_F47_CRC_FIXED && head)
    mode = LF_LDR_F47_CRC_SOFT; /* the F4 unit starts only from 0xFFFFFFFF */
  if (mode == LF_LDR_F47_CRC_SOFT || n < 16)
    return ~crc_soft(crc, (const uint8_t *)a, n);
  if (head) {
    crc = crc_soft(crc, (const uint8_t *)a, head);
    a += head;
    n -= head;
  }
  volatile uint32_t *dr = &REG(u + CRC_DR);
  const uint32_t *p = (const uint32_t *)a;
  uint32_t words = n >> 2;
  if (mode == LF_LDR_F47_CRC_PROG) {
    crc = crc_unit_words(u, &p, words, crc);
  } else {
    REG(u + CRC_CR) = CRC_CR_RESET;
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
  }
  return ~crc_soft(crc, (const uint8_t *)p, n & 3u);
}

int lf_ldr_main(ctl_t *c)
{
  uint32_t f = F47(c)->flash_regs;
  dcache_off();
  REG(DWT_CTRL) |= 1u; /* CYCCNTENA (counts only with DEMCR.TRCENA, set by the host) */
  if (F47(c)->rcc_enr)
    REG(F47(c)->rcc_enr) |= F47(c)->rcc_bit;
  if (F47(c)->iwdg_regs) {
    /* longest timeout, 4 * 256 * 4096 / 32 kHz = 32.8 s: longer than any
     * sector erase; harmless when the watchdog is not running (a reset
     * restores PR/RLR) */
    uint32_t w = F47(c)->iwdg_regs;
    REG(w + IWDG_KR) = 0xAAAAu;
    REG(w + IWDG_KR) = 0x5555u;
    REG(w + IWDG_PR) = 6u;
    REG(w + IWDG_RLR) = 0xFFFu;
    REG(w + IWDG_KR) = 0xAAAAu;
  }
  if (REG(f + F_CR) & CR_LOCK) {
    REG(f + F_KEYR) = KEY1;
    REG(f + F_KEYR) = KEY2;
    if (REG(f + F_CR) & CR_LOCK)
      return fail(c, LF_LDR_ST_LOCKED, f + F_CR, REG(f + F_SR));
  }
  c->version = LF_LDR_ABI_VERSION;
  c->magic = LF_LDR_READY;
  cmd_t *q = (cmd_t *)c->cmd_base;
  uint32_t rd = c->cmd_rd;
  for (;;) {
    while (*(volatile uint32_t *)&c->cmd_wr == rd)
      kick(c);
    cmd_t *k = &q[rd % c->cmd_count];
    uint32_t t0 = cycles(), op = k->op;
    int r;
    if (op == LF_LDR_OP_ERASE || op == LF_LDR_OP_ERASE_BANK || op == LF_LDR_OP_ERASE_CHIP) {
      r = do_erase(c, k);
      k->result = cycles() - t0;
      c->cyc_erase += k->result;
    } else if (op == LF_LDR_OP_PROGRAM) {
      r = do_program(c, k, rd);
      k->result = cycles() - t0;
      c->cyc_prog += k->result;
    } else if (op == LF_LDR_OP_CRC) {
      /* a long range runs from the PLL too (cycles counted at the
       * loader's clock, as PROGRAM_Z counts them) */
      struct zclk z;
      int fast = k->len >= CRC_FAST_MIN && clock_up(c, &z);
      uint32_t t1 = cycles();
      k->result = do_crc(c, k->addr, k->len);
      uint32_t t2 = cycles();
      if (fast)
        clock_down(c, &z);
      c->cyc_crc += (t1 - t0) + (t2 - t1) / (fast ? Z_FAST : 1u) + (cycles() - t2);
      r = 0;
    } else if (op == LF_LDR_OP_EXIT) {
      REG(f + F_CR) = CR_LOCK;
      c->cmd_rd = ++rd;
      return 0;
    } else if ((op == LF_LDR_OP_PROGRAM_Z || op == LF_LDR_OP_PROGRAM_BITS) && c->z_region) {
      /* the routine the host uploaded (stm32f4f7_z.c or stm32f4f7_b.c) */
      static const struct f47_lib lib = {prog_run, flash_idle, fail, flush_flash_caches, clock_up,
                                         clock_down};
      r = ((int (*)(ctl_t *, cmd_t *, uint32_t, const struct f47_lib *))(c->z_region | 1u))(
          c, k, rd, &lib); /* counts its cycles (the bits-only routine takes no lib) */
    } else {
      r = fail(c, LF_LDR_ST_BADCMD, rd, 0);
    }
    if (r) {
      REG(f + F_CR) = CR_LOCK;
      return r;
    }
    *(volatile uint32_t *)&c->cmd_rd = ++rd;
  }
}

#endif /* LF_LDR_F47_Z */

/* The host's return address: lf_ldr_main returns here and the core halts. */
__attribute__((naked, section(".text.exit"), used)) void lf_ldr_exit(void)
{
  __asm volatile("bkpt #0xAB");
}

#endif /* LF_LDR_CONTRACT_ONLY */
