/* SoC family "stm32l4": the STM32L476RG of the NUCLEO-L476RG. One flat
 * file: memory map, the flash controller (two banks of 256 pages of 2 KiB,
 * 64-bit double words with ECC, fast programming, option bytes) and the
 * peripherals loaders and firmware touch (RCC with MSI, GPIO, CRC, IWDG,
 * DBGMCU). Facts: stm32-f1-l4-h7-targets.md ("R n.m" below): 1.2 identity,
 * 2.2 memory map, 4 flash controller, 6 timings, 7 CRC, 8 DBGMCU and clocks,
 * 9-12 what the tools do. Every timing and every unconfirmed behaviour is a
 * bench parameter (params.c, rows l4_*).
 *
 * Flash controller (0x40022000; R 4):
 * - KEYR: KEY1 then KEY2 clears CR.LOCK; a wrong key or order, or (with
 *   l4_keys_unlocked_lock) a key while unlocked, answers a bus error and
 *   keeps CR locked until the next reset. OPTKEYR (its own keys) clears
 *   OPTLOCK once CR is unlocked.
 * - CR: writes ignored while LOCK (setting LOCK is always accepted). STRT
 *   with PER (the page PNB of bank BKER) or MER1/MER2 (a bank, or both)
 *   starts an erase; PER with a MER, or STRT with neither: PGSERR, nothing
 *   runs (bench choice). OPTSTRT programs the option registers; OBL_LAUNCH
 *   reloads them through a system reset of the chip.
 * - Standard programming (PG = 1): two 32-bit stores to one double word, the
 *   low word first (8-aligned), programming starts at the second. Checks in
 *   order, the first failing one sets its flag and nothing is written: a
 *   store with PG and FSTPG both 0, or with PROGERR/SIZERR/PGAERR/WRPERR/
 *   MISERR/FASTERR still set -> PGSERR (R 4.2, 12 #10); a byte or half-word
 *   store -> SIZERR; a first word not 8-aligned or a second word not at
 *   +4 -> PGAERR; a write-protected page (WRP area, RDP with a debugger) ->
 *   WRPERR; a double word that is not erased, unless the new value is all
 *   zero -> PROGERR (ECC: a double word cannot be programmed twice, R 4.3).
 *   BSY for l4_prog_ns per double word.
 * - Fast programming (FSTPG = 1, PG = 0): a row of 32 double words (64 word
 *   stores from a 256-byte-aligned address, in order). A store out of order
 *   -> PGAERR + FASTERR; a double word whose data arrive after the previous
 *   one finished programming -> MISERR + FASTERR (the row is cut there); a
 *   double word not erased -> PROGERR + FASTERR (bench choice, the ECC
 *   invariant); with l4_fast_needs_mass_erase a bank not mass-erased since
 *   the last reset -> PGSERR. Each double word takes l4_fast_row_ns / 32;
 *   the controller buffers one double word (a further store stalls).
 * - Stores, CR writes and reads of a busy bank stall the master until its
 *   operation ends; reads of the other bank do not (read-while-write, R 4.3).
 *   A CORE read of SR while BSY stalls too (the busy-wait costs virtual
 *   time); a DEBUG read shows BSY.
 * - EOP on success and OPERR with an error are set only with EOPIE / ERRIE
 *   (l4_eop_needs_eopie). Flags 0-15 are write-1-to-clear.
 * - Option bytes: OPTR, PCROP1SR/ER, WRP1AR/BR, PCROP2SR/ER, WRP2AR/BR read
 *   back what was written; OPTSTRT (l4_opt_ns) stores them; the chip obeys
 *   them after OBL_LAUNCH or a power-on (or any reset with
 *   l4_options_load_on_system_reset). RDP 0xAA level 0, 0xCC level 2 (option
 *   programming then refused silently), anything else level 1. Level 1 -> 0
 *   mass-erases both banks and clears SRAM2 (R 4.4, RM0351 p.101). WRPxyR:
 *   pages STRT..END of the bank protected when STRT <= END. PCROP is stored,
 *   not enforced. DUALBANK is stored; the 1 MiB part is always dual bank.
 * - Read protection (level >= 1): debugger accesses to flash, OTP and SRAM2
 *   answer a bus error; with rdp1_blocks_flash_with_debug and the debug port
 *   used since power-on the core loses them too and program/erase fail with
 *   rdp1_debug_flash_error (WRPERR); option programming still works.
 * - OTP (0x1FFF7000, 1 KiB): programmed like flash, never erased.
 * - A reset or power loss during an operation leaves its target (double
 *   word, row, page, bank, array) with lf_soc_garbage() content.
 *
 * Other bench decisions: system memory (the ST bootloader ROM) is a vector
 * table pointing at a "b ." loop; GPIO and CRC need their RCC clock bit;
 * peripherals without a model inside a bus window read 0; DBGMCU_CR and the
 * freeze registers keep their value across a system reset. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/soc_family.h"
#include "bench/soc_util.h"

/* ---- memory map (R 2.2) ---- */
#define FLASH_ALIAS 0x00000000u   /* BOOT0 = 0 on the NUCLEO */
#define FLASH_BASE 0x08000000u
#define FLASH_SIZE (1024u << 10)
#define BANK_SIZE (512u << 10)
#define PAGE 2048u
#define ROW 256u
#define SRAM2_BASE 0x10000000u
#define SRAM2_SIZE (32u << 10)
#define SYSMEM_BASE 0x1FFF0000u   /* 28 KiB */
#define SYSMEM_SIZE 0x7000u
#define OTP_BASE 0x1FFF7000u
#define OTP_SIZE 0x400u
#define INFO_BASE 0x1FFF7400u     /* package 0x7500, UID 0x7590, flash size 0x75E0 */
#define INFO_SIZE 0x400u
#define OPT1_BASE 0x1FFF7800u     /* option images: bank 1 and bank 2 slots */
#define OPT2_BASE 0x1FFFF800u
#define OPT_WIN 0x28u
#define SRAM1_BASE 0x20000000u
#define SRAM1_SIZE (96u << 10)
#define IWDG_BASE 0x40003000u
#define RCC_BASE 0x40021000u
#define FLASHR_BASE 0x40022000u
#define CRC_BASE 0x40023000u
#define GPIO_BASE 0x48000000u     /* GPIOA; port n at + 0x400 * n (A..H) */
#define NGPIO 8
#define DBGMCU_BASE 0xE0042000u

/* ---- flash registers (R 4.1, 4.2) ---- */
enum { F_ACR = 0x00, F_PDKEYR = 0x04, F_KEYR = 0x08, F_OPTKEYR = 0x0C, F_SR = 0x10, F_CR = 0x14,
       F_ECCR = 0x18, F_OPTR = 0x20 };
#define SR_EOP (1u << 0)
#define SR_OPERR (1u << 1)
#define SR_PROGERR (1u << 3)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_SIZERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_MISERR (1u << 8)
#define SR_FASTERR (1u << 9)
#define SR_BSY (1u << 16)
#define SR_BLOCKING (SR_PROGERR | SR_WRPERR | SR_PGAERR | SR_SIZERR | SR_MISERR | SR_FASTERR)
#define SR_W1C 0xC3FBu            /* EOP OPERR PROGERR..FASTERR RDERR OPTVERR */
#define CR_PG (1u << 0)
#define CR_PER (1u << 1)
#define CR_MER1 (1u << 2)
#define CR_PNB_SHIFT 3
#define CR_BKER (1u << 11)
#define CR_MER2 (1u << 15)
#define CR_STRT (1u << 16)
#define CR_OPTSTRT (1u << 17)
#define CR_FSTPG (1u << 18)
#define CR_EOPIE (1u << 24)
#define CR_ERRIE (1u << 25)
#define CR_OBL_LAUNCH (1u << 27)
#define CR_OPTLOCK (1u << 30)
#define CR_LOCK (1u << 31)
#define CR_MASK 0x0F07FFFFu
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu
#define OPTKEY2 0x4C5D6E7Fu
#define OPTR_IWDG_SW (1u << 16)

/* The option registers (offset, writable bits, factory value; R 4.4, the
 * factory table of Black Magic Probe). Index 0 is OPTR. */
static const struct { uint16_t off; uint32_t mask, factory; } opt_regs[] = {
  {0x20, 0x03BF77FFu, 0xFFEFF8AAu}, /* OPTR: RDP AA, BFB2 0, DUALBANK 1 */
  {0x24, 0x0000FFFFu, 0xFFFFFFFFu}, /* PCROP1SR */
  {0x28, 0x8000FFFFu, 0x00000000u}, /* PCROP1ER (PCROP_RDP bit 31) */
  {0x2C, 0x00FF00FFu, 0xFF00FFFFu}, /* WRP1AR: STRT FF > END 00: nothing protected */
  {0x30, 0x00FF00FFu, 0xFF00FFFFu}, /* WRP1BR */
  {0x44, 0x0000FFFFu, 0xFFFFFFFFu}, /* PCROP2SR */
  {0x48, 0x0000FFFFu, 0x00000000u}, /* PCROP2ER */
  {0x4C, 0x00FF00FFu, 0xFF00FFFFu}, /* WRP2AR */
  {0x50, 0x00FF00FFu, 0xFF00FFFFu}, /* WRP2BR */
};
#define NOPT 9
/* Where each option word sits in the read-only images (value, complement). */
static const uint32_t opt_img[NOPT] = {
  OPT1_BASE, OPT1_BASE + 0x08, OPT1_BASE + 0x10, OPT1_BASE + 0x18, OPT1_BASE + 0x20,
  OPT2_BASE + 0x08, OPT2_BASE + 0x10, OPT2_BASE + 0x18, OPT2_BASE + 0x20,
};

/* ---- RCC (RM0351 register map) ---- */
enum { RCC_CR = 0x00, RCC_CFGR = 0x08, RCC_PLLCFGR = 0x0C, RCC_AHB1ENR = 0x48, RCC_AHB2ENR = 0x4C,
       RCC_CSR = 0x94 };
#define RCC_AHB1_CRCEN 12
static const lf_clk_src clk_srcs[] = { /* SW: 0 MSI, 1 HSI16, 2 HSE, 3 PLL */
  {1u << 0, 1u << 1, LF_CLK_OSC}, {1u << 8, 1u << 10, LF_CLK_OSC}, {1u << 16, 1u << 17, LF_CLK_HSE},
  {1u << 24, 1u << 25, LF_CLK_PLL},
};
static const double msi_hz[12] = {100e3, 200e3, 400e3, 800e3, 1e6, 2e6, 4e6, 8e6, 16e6, 24e6, 32e6, 48e6};

static const lf_stm32_reg rcc_regs[] = {
  {0x00, 0x00000063u, 0x15FF0BF9u, 0},  /* CR: MSION|MSIRDY, MSIRANGE 6 */
  {0x04, 0x10000000u, 0x00FF0000u, 0},  /* ICSCR: MSITRIM */
  {0x08, 0x00000000u, 0x7F00FFF3u, 0},  /* CFGR: SWS from the model */
  {0x0C, 0x00001000u, 0xFF7F7F73u, 0},  /* PLLCFGR: PLLN 16 */
  {0x48, 0x00000100u, 0x00031F07u, 0},  /* AHB1ENR: FLASHEN; CRCEN bit 12 */
  {0x4C, 0x00000000u, 0x000700FFu, 0},  /* AHB2ENR: GPIOAEN..GPIOHEN */
  {0x50, 0, 0xFFFFFFFFu, 0}, {0x58, 0, 0xFFFFFFFFu, 0}, {0x5C, 0, 0xFFFFFFFFu, 0},
  {0x60, 0, 0xFFFFFFFFu, 0},
  {0x90, 0, 0x03FF3FFFu, LF_STM32_KEEP_SYS}, /* BDCR (backup domain) */
  {0x94, 0x0C000600u, 0x00800F01u, 0},  /* CSR: MSISRANGE 6, LSION, RMVF */
};
/* R 7: DR, 8-bit IDR, CR (RESET, POLYSIZE, REV_IN, REV_OUT), INIT, POL. */
static const lf_stm32_reg crc_regs[] = {
  {0x00, 0xFFFFFFFFu, 0, 0}, {0x04, 0, 0xFFu, 0}, {0x08, 0, 0xF9u, 0},
  {0x10, 0xFFFFFFFFu, 0xFFFFFFFFu, 0}, {0x14, 0x04C11DB7u, 0xFFFFFFFFu, 0},
};
static const lf_stm32_reg iwdg_regs[] = {
  {0x00, 0, 0, LF_STM32_WO}, {0x04, 0, 0x7u, 0}, {0x08, 0xFFFu, 0xFFFu, 0},
  {0x0C, 0, 0, LF_STM32_RO}, {0x10, 0xFFFu, 0xFFFu, 0},
};
/* R 8: CR bits 0-2, 5-7; APB1FZR1, APB1FZR2, APB2FZ (pyOCD writes them). */
static const lf_stm32_reg dbgmcu_regs[] = {
  {0x00, 0, 0, LF_STM32_RO}, {0x04, 0, 0xE7u, LF_STM32_KEEP_SYS},
  {0x08, 0, 0x86E01C3Fu, LF_STM32_KEEP_SYS}, {0x0C, 0, 0x00000022u, LF_STM32_KEEP_SYS},
  {0x10, 0, 0x00072800u, LF_STM32_KEEP_SYS},
};
/* GPIOA: PA13/PA14/PA15 debug (AF, pull-up/-down), the rest analog (RM0351 reset values). */
static const lf_stm32_gpio_reset gpio_resets[] = {
  {0xABFFFFFFu, 0x0C000000u, 0x64000000u}, {0xFFFFFEBFu, 0x00000000u, 0x00000100u},
  {0xFFFFFFFFu, 0, 0}, {0xFFFFFFFFu, 0, 0}, {0xFFFFFFFFu, 0, 0}, {0xFFFFFFFFu, 0, 0},
  {0xFFFFFFFFu, 0, 0}, {0x0000000Fu, 0, 0},
};
/* Peripheral bus windows: unmodeled registers read 0 (APB1, APB2, AHB1, AHB2 upper). */
static const struct { uint32_t base, size; } windows[] = {
  {0x40000000u, 0xA000u}, {0x40010000u, 0x7000u}, {0x40020000u, 0x5000u}, {0x50000000u, 0x61000u},
};

typedef enum op_kind { OP_NONE, OP_PROG, OP_FAST, OP_OTP, OP_PAGE, OP_MASS, OP_OPT } op_kind;

typedef struct l4_soc {
  const lf_bench_params *p;
  lf_faults *faults;
  lf_soc_counters *c;
  const lf_soc_gpio_obs *gpio_obs;
  uint8_t *flash, *sram1, *sram2;
  uint8_t sysmem[SYSMEM_SIZE], otp[OTP_SIZE], info[INFO_SIZE];
  lf_soc_region regions[5];
  /* flash controller */
  uint32_t acr, pdkeyr, sr, cr, eccr;
  uint32_t opt[NOPT];        /* the option registers (what OPTSTRT stores) */
  uint32_t opt_st[NOPT];     /* stored in the option bytes */
  uint32_t opt_act[NOPT];    /* loaded: what the chip obeys */
  unsigned key_stage, optkey_stage;
  bool key_dead, optkey_dead;
  bool lo_pending;           /* standard: the low word latched */
  uint32_t lo_off, lo_val;
  bool otp_pending;          /* the same for OTP */
  uint32_t otp_off, otp_val;
  /* fast programming: row, words received, the end of the last double word */
  bool fast;
  uint32_t fast_row, fast_words;
  uint64_t fast_dw_end;
  bool mass_erased[2];       /* since the last reset (l4_fast_needs_mass_erase) */
  op_kind op;
  bool op_settled;
  uint64_t op_end;
  uint32_t op_off, op_len;
  unsigned op_banks;         /* bit b: bank b busy */
  bool locked, debug_seen;
  uint64_t obl_at;           /* OBL_LAUNCH: the chip resets at this time */
  bool obl_pending;
  /* peripherals */
  lf_rcc rcc;
  lf_regblock dbgmcu;
  lf_gpio_port gpio[NGPIO];
  lf_crc_unit crc;
  lf_iwdg iwdg;
} l4_soc;

static uint64_t ns_of(double v) { return v <= 0 ? 0 : (uint64_t)llround(v); }
static bool tmax(const l4_soc *s) { return s->p->flash_timing_max != 0; }
static bool in(uint32_t a, unsigned size, uint32_t base, uint32_t len)
{
  return a >= base && a - base < len && a - base + size <= len;
}

/* ------------------------------------------------------------------ */
/* Options and protection                                              */

static int rdp_of(uint32_t optr)
{
  uint32_t rdp = optr & 0xFF;
  return rdp == 0xAA ? 0 : rdp == 0xCC ? 2 : 1;
}

static int rdp_level(const l4_soc *s) { return rdp_of(s->opt_act[0]); }

/* WRPxyR of bank b (index 3/4 bank 1, 7/8 bank 2): pages STRT..END. */
static bool page_protected(const l4_soc *s, unsigned bank, uint32_t page)
{
  for (unsigned k = 0; k < 2; k++) {
    uint32_t w = s->opt_act[(bank ? 7 : 3) + k], strt = w & 0xFF, end = (w >> 16) & 0xFF;
    if (strt <= end && page >= strt && page <= end)
      return true;
  }
  return false;
}

static void load_options(l4_soc *s)
{
  memcpy(s->opt_act, s->opt_st, sizeof s->opt_act);
  memcpy(s->opt, s->opt_st, sizeof s->opt);
}

/* ------------------------------------------------------------------ */
/* Flash controller                                                    */

static bool busy(const l4_soc *s, uint64_t t) { return s->op != OP_NONE && t < s->op_end; }

static void settle(l4_soc *s, uint64_t t)
{
  if (s->op == OP_NONE || s->op_settled || t < s->op_end)
    return;
  if (s->op == OP_FAST && s->fast)
    return; /* a row in progress: BSY until its last double word */
  s->cr &= ~(CR_STRT | CR_OPTSTRT);
  if ((s->cr & CR_EOPIE) || s->p->l4_eop_needs_eopie == 0)
    s->sr |= SR_EOP;
  s->op_settled = true;
  s->fast = false;
}

static void stall_to(l4_soc *s, uint64_t *t, uint64_t end)
{
  if (*t < end) {
    s->c->stall_ns += end - *t;
    *t = end;
  }
}

static void stall_if_busy(l4_soc *s, uint64_t *t)
{
  if (busy(s, *t))
    stall_to(s, t, s->op_end);
  settle(s, *t);
}

static unsigned bank_of(uint32_t off) { return off >= BANK_SIZE ? 1 : 0; }

/* A read of the array: waits only for an operation on its own bank. */
static void read_stall(l4_soc *s, uint32_t off, uint64_t *t)
{
  if (busy(s, *t) && s->op != OP_OTP && (s->op_banks & (1u << bank_of(off))))
    stall_to(s, t, s->op_end);
  settle(s, *t);
}

static void begin(l4_soc *s, op_kind k, uint64_t t, double ns, uint32_t off, uint32_t len, unsigned banks)
{
  uint64_t d = ns_of(ns);
  s->op = k;
  s->op_settled = false;
  s->op_end = t + d;
  s->op_off = off;
  s->op_len = len;
  s->op_banks = banks;
  s->c->flash_busy_ns += d;
  settle(s, t);
}

static void set_error(l4_soc *s, uint32_t bits)
{
  if ((s->cr & CR_ERRIE) || s->p->l4_eop_needs_eopie == 0)
    bits |= SR_OPERR;
  s->sr |= bits;
  s->cr &= ~CR_STRT;
  s->lo_pending = s->otp_pending = false;
  s->c->flash_errors++;
}

static bool injected_failure(l4_soc *s)
{
  lf_fault *f = s->faults ? lf_faults_event(s->faults, LF_FAULT_FLASH_ERROR) : NULL;
  if (!f)
    return false;
  set_error(s, (uint32_t)f->arg & SR_W1C & ~SR_EOP);
  return true;
}

static uint32_t locked_error(const l4_soc *s)
{
  uint32_t bits = (uint32_t)s->p->rdp1_debug_flash_error & SR_BLOCKING;
  return bits ? bits : SR_WRPERR;
}

static double prog_ns(const l4_soc *s) { return tmax(s) ? s->p->l4_prog_ns_max : s->p->l4_prog_ns_typ; }
/* The k-th double word of a fast row: the row time in 32 parts that add up
 * to it exactly. */
static uint64_t fast_dw_ns(const l4_soc *s, unsigned k)
{
  double row = tmax(s) ? s->p->l4_fast_row_ns_max : s->p->l4_fast_row_ns_typ;
  return ns_of(row * (k + 1) / 32.0) - ns_of(row * k / 32.0);
}
static double page_ns(const l4_soc *s)
{
  return tmax(s) ? s->p->l4_page_erase_max_ns : s->p->l4_page_erase_ns;
}
static double mass_ns(const l4_soc *s)
{
  return tmax(s) ? s->p->l4_mass_erase_max_ns : s->p->l4_mass_erase_ns;
}

static bool dw_blank(const uint8_t *p)
{
  for (int i = 0; i < 8; i++)
    if (p[i] != 0xFF)
      return false;
  return true;
}

/* Programs the double word at dst (lo, hi) if the ECC rule allows it. */
static bool dw_program(l4_soc *s, uint8_t *dst, uint32_t lo, uint32_t hi, uint32_t fast_flag)
{
  if (!dw_blank(dst) && (lo | hi) != 0) {
    set_error(s, SR_PROGERR | fast_flag);
    return false;
  }
  if (injected_failure(s))
    return false;
  lf_le_put(dst, lo, 4);
  lf_le_put(dst + 4, hi, 4);
  s->c->flash_prog_ops++;
  s->c->flash_prog_bytes += 8;
  return true;
}

/* A word store in a fast-programming row (R 4.3). */
static void fast_store(l4_soc *s, uint32_t off, uint32_t v, uint64_t t)
{
  unsigned bank = bank_of(off);
  if (!s->fast) {
    if ((off % ROW) || (s->p->l4_fast_needs_mass_erase != 0 && !s->mass_erased[bank])) {
      set_error(s, (off % ROW) ? SR_PGAERR | SR_FASTERR : SR_PGSERR);
      return;
    }
    if (s->locked || page_protected(s, bank, (off % BANK_SIZE) / PAGE)) {
      set_error(s, (s->locked ? locked_error(s) : SR_WRPERR) | SR_FASTERR);
      return;
    }
    s->fast = true;
    s->fast_row = off;
    s->fast_words = 0;
    s->fast_dw_end = t;
    begin(s, OP_FAST, t, 0, off, ROW, 1u << bank);
    s->op_end = UINT64_MAX; /* until the row's last double word */
  }
  if (off != s->fast_row + 4 * s->fast_words) {
    s->fast = false;
    s->op_end = s->fast_dw_end;
    set_error(s, SR_PGAERR | SR_FASTERR);
    return;
  }
  if (s->fast_words % 2 == 0) {
    s->lo_val = v;
    s->fast_words++;
    return;
  }
  /* the second word completes a double word: programmed after the previous one */
  if (s->fast_words > 1 && t > s->fast_dw_end) {
    s->fast = false;
    s->op_end = s->fast_dw_end;
    set_error(s, SR_MISERR | SR_FASTERR);
    return;
  }
  if (!dw_program(s, s->flash + off - 4, s->lo_val, v, SR_FASTERR)) {
    s->fast = false;
    s->op_end = s->fast_dw_end > t ? s->fast_dw_end : t;
    return;
  }
  uint64_t start = s->fast_dw_end > t ? s->fast_dw_end : t, d = fast_dw_ns(s, s->fast_words / 2);
  s->fast_dw_end = start + d;
  s->c->flash_busy_ns += d;
  s->fast_words++;
  if (s->fast_words == 64) {
    s->op_end = s->fast_dw_end;
    s->fast = false;
  }
}

/* A store to the array (off from FLASH_BASE) or to OTP (otp true). */
static int flash_store(l4_soc *s, uint32_t off, unsigned size, uint32_t v, uint64_t *t, bool otp)
{
  /* one double word may be buffered in a fast row; further stores wait */
  if (s->op == OP_FAST && s->fast && *t < s->fast_dw_end && s->fast_words % 2 == 0 && s->fast_words > 0)
    stall_to(s, t, s->fast_dw_end - fast_dw_ns(s, s->fast_words / 2 - 1));
  else if (!(s->op == OP_FAST && s->fast))
    stall_if_busy(s, t);
  uint32_t cr = s->cr;
  if ((cr & CR_LOCK) || !(cr & (CR_PG | CR_FSTPG)) || (s->sr & SR_BLOCKING)) {
    set_error(s, SR_PGSERR);
    return LF_BUS_OK;
  }
  if (size != 4) {
    set_error(s, SR_SIZERR | ((cr & CR_FSTPG) ? SR_FASTERR : 0));
    return LF_BUS_OK;
  }
  if ((cr & CR_FSTPG) && !otp) {
    fast_store(s, off, v, *t);
    return LF_BUS_OK;
  }
  bool *pend = otp ? &s->otp_pending : &s->lo_pending;
  uint32_t *poff = otp ? &s->otp_off : &s->lo_off, *pval = otp ? &s->otp_val : &s->lo_val;
  if (!*pend) {
    if (off % 8) {
      set_error(s, SR_PGAERR);
      return LF_BUS_OK;
    }
    *pend = true;
    *poff = off;
    *pval = v;
    return LF_BUS_OK;
  }
  *pend = false;
  if (off != *poff + 4) {
    set_error(s, SR_PGAERR);
    return LF_BUS_OK;
  }
  uint32_t dw = *poff;
  if (s->locked || (!otp && page_protected(s, bank_of(dw), (dw % BANK_SIZE) / PAGE))) {
    set_error(s, s->locked ? locked_error(s) : SR_WRPERR);
    return LF_BUS_OK;
  }
  if (!dw_program(s, (otp ? s->otp : s->flash) + dw, *pval, v, 0))
    return LF_BUS_OK;
  begin(s, otp ? OP_OTP : OP_PROG, *t, prog_ns(s), dw, 8, otp ? 0 : 1u << bank_of(dw));
  return LF_BUS_OK;
}

/* STRT (R 4.3). */
static void start_erase(l4_soc *s, uint64_t t)
{
  uint32_t cr = s->cr;
  bool per = cr & CR_PER;
  unsigned mer = ((cr & CR_MER1) ? 1u : 0u) | ((cr & CR_MER2) ? 2u : 0u);
  if ((per && mer) || (!per && !mer) || (s->sr & SR_BLOCKING)) {
    set_error(s, SR_PGSERR);
    return;
  }
  if (s->locked) {
    set_error(s, locked_error(s));
    return;
  }
  if (per) {
    unsigned bank = (cr & CR_BKER) ? 1 : 0;
    uint32_t page = (cr >> CR_PNB_SHIFT) & 0xFF;
    if (page_protected(s, bank, page)) {
      set_error(s, SR_WRPERR);
      return;
    }
    if (injected_failure(s))
      return;
    uint32_t off = bank * BANK_SIZE + page * PAGE;
    memset(s->flash + off, 0xFF, PAGE);
    s->mass_erased[bank] = false;
    s->c->flash_sector_erases++;
    begin(s, OP_PAGE, t, page_ns(s), off, PAGE, 1u << bank);
    return;
  }
  for (unsigned b = 0; b < 2; b++)
    for (uint32_t pg = 0; (mer & (1u << b)) && pg < BANK_SIZE / PAGE; pg++)
      if (page_protected(s, b, pg)) {
        set_error(s, SR_WRPERR);
        return;
      }
  if (injected_failure(s))
    return;
  uint32_t lo = (mer & 1u) ? 0 : BANK_SIZE, hi = (mer & 2u) ? FLASH_SIZE : BANK_SIZE;
  memset(s->flash + lo, 0xFF, hi - lo);
  for (unsigned b = 0; b < 2; b++)
    if (mer & (1u << b))
      s->mass_erased[b] = true;
  s->c->flash_mass_erases++;
  begin(s, OP_MASS, t, mass_ns(s), lo, hi - lo, mer);
}

/* OPTSTRT (R 4.4). */
static void start_options(l4_soc *s, uint64_t t)
{
  if (rdp_of(s->opt_st[0]) == 2) {
    memcpy(s->opt, s->opt_st, sizeof s->opt);
    s->cr &= ~CR_OPTSTRT;
    return;
  }
  if (injected_failure(s)) {
    s->cr &= ~CR_OPTSTRT;
    return;
  }
  double ns = s->p->l4_opt_ns;
  bool erase = rdp_of(s->opt_st[0]) == 1 && rdp_of(s->opt[0]) == 0;
  memcpy(s->opt_st, s->opt, sizeof s->opt_st);
  s->c->flash_opt_writes++;
  if (erase) { /* level 1 -> 0: both banks and SRAM2 (RM0351 p.101) */
    memset(s->flash, 0xFF, FLASH_SIZE);
    memset(s->sram2, 0, SRAM2_SIZE);
    s->c->flash_mass_erases++;
    ns += mass_ns(s);
  }
  begin(s, OP_OPT, t, ns, 0, erase ? FLASH_SIZE : 0, erase ? 3u : 0u);
}

static bool key_write(l4_soc *s, bool opt, uint32_t v)
{
  unsigned *stage = opt ? &s->optkey_stage : &s->key_stage;
  bool *dead = opt ? &s->optkey_dead : &s->key_dead;
  bool locked = opt ? (s->cr & CR_OPTLOCK) != 0 : (s->cr & CR_LOCK) != 0;
  uint32_t k1 = opt ? OPTKEY1 : KEY1, k2 = opt ? OPTKEY2 : KEY2;
  if (opt && (s->cr & CR_LOCK))
    return true; /* OPTKEYR needs CR unlocked first: ignored */
  if (!locked && !*dead && s->p->l4_keys_unlocked_lock == 0)
    return true;
  if (!*dead && locked && *stage == 0 && v == k1) {
    *stage = 1;
    return true;
  }
  if (!*dead && locked && *stage == 1 && v == k2) {
    *stage = 0;
    s->cr &= opt ? ~CR_OPTLOCK : ~CR_LOCK;
    return true;
  }
  *dead = true;
  *stage = 0;
  s->cr |= opt ? CR_OPTLOCK : (CR_LOCK | CR_OPTLOCK);
  return false;
}

static int opt_index(uint32_t off)
{
  for (int i = 0; i < NOPT; i++)
    if (opt_regs[i].off == off)
      return i;
  return -1;
}

static int fctl_access(l4_soc *s, lf_bus_master m, uint32_t off, unsigned size, bool write,
                       uint32_t *val, uint64_t *t)
{
  uint32_t word = off & ~3u, sh = (off & 3) * 8, lanes = lf_soc_lanes(off, size);
  int oi = opt_index(word);
  if (!write) {
    if (word == F_SR && m == LF_BUS_CORE)
      stall_if_busy(s, t);
    else
      settle(s, *t);
    uint32_t v = 0;
    switch (word) {
    case F_ACR: v = s->acr; break;
    case F_PDKEYR: case F_KEYR: case F_OPTKEYR: v = 0; break;
    case F_SR: v = s->sr | (busy(s, *t) ? SR_BSY : 0); break;
    case F_CR: v = s->cr; break;
    case F_ECCR: v = s->eccr; break;
    default: v = oi >= 0 ? s->opt[oi] : 0; break;
    }
    *val = (v & lanes) >> sh;
    return LF_BUS_OK;
  }
  uint32_t wv = (*val << sh) & lanes;
  switch (word) {
  case F_ACR:
    settle(s, *t);
    s->acr = (s->acr & ~(lanes & 0x7F07u)) | (wv & 0x7F07u);
    return LF_BUS_OK;
  case F_PDKEYR:
    s->pdkeyr = wv;
    return LF_BUS_OK;
  case F_KEYR:
  case F_OPTKEYR:
    settle(s, *t);
    return key_write(s, word == F_OPTKEYR, wv) ? LF_BUS_OK : LF_BUS_ERR;
  case F_SR:
    settle(s, *t);
    s->sr &= ~(wv & SR_W1C);
    return LF_BUS_OK;
  case F_ECCR:
    s->eccr = (s->eccr & ~(lanes & 0x01000000u)) | (wv & 0x01000000u);
    s->eccr &= ~(wv & 0xC0000000u); /* ECCC/ECCD w1c */
    return LF_BUS_OK;
  case F_CR: {
    stall_if_busy(s, t);
    if (s->cr & CR_LOCK)
      return LF_BUS_OK;
    uint32_t keep = s->cr & (CR_LOCK | CR_OPTLOCK);
    uint32_t n = (s->cr & ~(lanes & CR_MASK)) | (wv & CR_MASK);
    n = (n & ~(CR_LOCK | CR_OPTLOCK)) | keep | (wv & lanes & (CR_LOCK | CR_OPTLOCK));
    bool strt = (lanes & CR_STRT) && (wv & CR_STRT);
    bool optstrt = (lanes & CR_OPTSTRT) && (wv & CR_OPTSTRT) && !(keep & CR_OPTLOCK);
    bool obl = (lanes & CR_OBL_LAUNCH) && (wv & CR_OBL_LAUNCH) && !(keep & CR_OPTLOCK);
    s->cr = n & ~(CR_OBL_LAUNCH | (optstrt ? 0 : CR_OPTSTRT));
    if (!(s->cr & CR_PG))
      s->lo_pending = s->otp_pending = false;
    if (strt)
      start_erase(s, *t);
    if (optstrt)
      start_options(s, *t);
    if (obl) { /* option reload = a system reset of the chip (R 12 #13) */
      s->obl_pending = true;
      s->obl_at = *t;
    }
    return LF_BUS_OK;
  }
  default:
    if (oi >= 0) {
      stall_if_busy(s, t);
      if (!(s->cr & CR_OPTLOCK))
        s->opt[oi] = (s->opt[oi] & ~(lanes & opt_regs[oi].mask)) | (wv & opt_regs[oi].mask);
    }
    return LF_BUS_OK;
  }
}

/* ------------------------------------------------------------------ */
/* RCC                                                                 */


static double msi(const l4_soc *s)
{
  uint32_t cr = lf_regblock_get(&s->rcc.r, RCC_CR);
  unsigned r = (cr & 8u) ? (cr >> 4) & 0xF : (lf_regblock_get(&s->rcc.r, RCC_CSR) >> 8) & 0xF;
  return r < 12 ? msi_hz[r] * (s->p->l4_msi_hz / 4e6) : 0;
}

/* SYSCLK: MSI, HSI16, HSE or the PLL (PLLSRC / (PLLM + 1) x PLLN / PLLR). */
static double l4_sysclk_hz(const void *self)
{
  const l4_soc *s = self;
  switch (s->rcc.clk.sws) {
  case 0: return msi(s);
  case 1: return 16e6;
  case 2: return s->p->hse_hz;
  default: {
    uint32_t c = lf_regblock_get(&s->rcc.r, RCC_PLLCFGR);
    double src = (c & 3) == 1 ? msi(s) : (c & 3) == 2 ? 16e6 : (c & 3) == 3 ? s->p->hse_hz : 0;
    unsigned m = ((c >> 4) & 7) + 1, n = (c >> 8) & 0x7F, r = 2 * (((c >> 25) & 3) + 1);
    return src / m * n / r;
  }
  }
}

/* ------------------------------------------------------------------ */
/* The bus                                                             */

static bool clock_on(const l4_soc *s, uint32_t reg, unsigned bit)
{
  return (lf_regblock_get(&s->rcc.r, reg) >> bit) & 1;
}

static int periph_access(l4_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                         uint32_t *val, uint64_t *t)
{
  uint32_t word = addr & ~3u, sh = (addr & 3) * 8, lanes = lf_soc_lanes(addr, size);
  uint32_t wv = write ? (*val << sh) & lanes : 0, v = 0;
  if (in(addr, size, RCC_BASE, 0x400)) {
    if (write)
      lf_rcc_write(&s->rcc, word - RCC_BASE, wv, lanes, s->p->hse_hz, s->p->pll_lock_ns, *t);
    else
      v = lf_rcc_read(&s->rcc, word - RCC_BASE, s->p->hse_hz, s->p->pll_lock_ns, *t);
  } else if (in(addr, size, CRC_BASE, 0x400)) {
    if (clock_on(s, RCC_AHB1ENR, RCC_AHB1_CRCEN)) {
      if (write)
        lf_crc_write(&s->crc, word - CRC_BASE, wv, lanes, *val, size, l4_sysclk_hz(s), t, &s->c->stall_ns);
      else
        v = lf_crc_read(&s->crc, word - CRC_BASE, t, &s->c->stall_ns);
    }
  } else if (in(addr, size, IWDG_BASE, 0x400)) {
    if (write)
      lf_iwdg_write(&s->iwdg, word - IWDG_BASE, wv, lanes, s->p->l4_lsi_hz, *t);
    else
      v = lf_regblock_read(&s->iwdg.r, word - IWDG_BASE);
  } else if (in(addr, size, GPIO_BASE, 0x400u * NGPIO)) {
    unsigned port = (addr - GPIO_BASE) / 0x400u;
    uint32_t off = word - GPIO_BASE - 0x400u * port, old, now;
    if (clock_on(s, RCC_AHB2ENR, port)) {
      if (!write)
        v = lf_gpio_read(&s->gpio[port], off);
      else if (lf_gpio_write(&s->gpio[port], off, wv, lanes, &old, &now) && s->gpio_obs->fn)
        s->gpio_obs->fn(s->gpio_obs->ctx, port, old, now, *t);
    }
  } else if (in(addr, size, DBGMCU_BASE, 0x1000)) {
    uint32_t off = word - DBGMCU_BASE;
    if (write)
      lf_regblock_write(&s->dbgmcu, off, wv, lanes);
    else
      v = off == 0 ? 0x10076415u : lf_regblock_get(&s->dbgmcu, off); /* R 1.2: rev 4 */
  } else {
    bool mapped = false;
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++)
      mapped |= in(addr, size, windows[i].base, windows[i].size);
    if (!mapped)
      return LF_BUS_ERR;
  }
  if (!write)
    *val = (v & lanes) >> sh;
  return LF_BUS_OK;
}

/* The option images: each option word and its complement (R 2.2). */
static uint8_t optimg_byte(const l4_soc *s, uint32_t a)
{
  for (int i = 0; i < NOPT; i++)
    if (a >= opt_img[i] && a < opt_img[i] + 8) {
      uint32_t o = a - opt_img[i], v = o < 4 ? s->opt_st[i] : ~s->opt_st[i];
      return (uint8_t)(v >> (8 * (o & 3)));
    }
  return 0xFF;
}

/* Memories read-protected from the debugger, and from the core once locked. */
static int protected_access(const l4_soc *s, lf_bus_master m, bool write)
{
  if (m == LF_BUS_DEBUG && rdp_level(s) >= 1)
    return LF_BUS_ERR;
  if (m == LF_BUS_CORE && s->locked && !write)
    return LF_BUS_ERR;
  return LF_BUS_OK;
}

static int access1(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                   uint32_t *val, uint64_t *t)
{
  l4_soc *s = self;
  bool alias = in(addr, size, FLASH_ALIAS, FLASH_SIZE);
  if (alias || in(addr, size, FLASH_BASE, FLASH_SIZE)) {
    uint32_t off = addr - (alias ? FLASH_ALIAS : FLASH_BASE);
    if (protected_access(s, m, write) != LF_BUS_OK)
      return LF_BUS_ERR;
    if (write)
      return flash_store(s, off, size, *val, t, false);
    read_stall(s, off, t);
    *val = lf_le_get(s->flash + off, size);
    return LF_BUS_OK;
  }
  if (in(addr, size, SRAM1_BASE, SRAM1_SIZE) || in(addr, size, SRAM2_BASE, SRAM2_SIZE)) {
    bool two = addr < SRAM1_BASE;
    if (two && (protected_access(s, m, false) != LF_BUS_OK))
      return LF_BUS_ERR; /* SRAM2: no access at all once locked */
    uint8_t *p = two ? s->sram2 + (addr - SRAM2_BASE) : s->sram1 + (addr - SRAM1_BASE);
    if (write)
      lf_le_put(p, *val, size);
    else
      *val = lf_le_get(p, size);
    return LF_BUS_OK;
  }
  if (in(addr, size, SYSMEM_BASE, SYSMEM_SIZE) || in(addr, size, INFO_BASE, INFO_SIZE)) {
    if (write)
      return LF_BUS_ERR;
    *val = lf_le_get(addr < INFO_BASE ? s->sysmem + (addr - SYSMEM_BASE) : s->info + (addr - INFO_BASE), size);
    return LF_BUS_OK;
  }
  if (in(addr, size, OTP_BASE, OTP_SIZE)) {
    if (protected_access(s, m, write) != LF_BUS_OK)
      return LF_BUS_ERR;
    if (write)
      return flash_store(s, addr - OTP_BASE, size, *val, t, true);
    settle(s, *t);
    *val = lf_le_get(s->otp + (addr - OTP_BASE), size);
    return LF_BUS_OK;
  }
  if (in(addr, size, OPT1_BASE, OPT_WIN) || in(addr, size, OPT2_BASE, OPT_WIN)) {
    if (write)
      return LF_BUS_ERR;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
      v |= (uint32_t)optimg_byte(s, addr + i) << (8 * i);
    *val = v;
    return LF_BUS_OK;
  }
  if (in(addr, size, FLASHR_BASE, 0x400))
    return fctl_access(s, m, addr - FLASHR_BASE, size, write, val, t);
  return periph_access(s, m, addr, size, write, val, t);
}

static bool is_memory(uint32_t a)
{
  return in(a, 1, SRAM1_BASE, SRAM1_SIZE) || in(a, 1, SRAM2_BASE, SRAM2_SIZE) ||
         in(a, 1, SYSMEM_BASE, SYSMEM_SIZE) || in(a, 1, INFO_BASE, INFO_SIZE) ||
         in(a, 1, OPT1_BASE, OPT_WIN) || in(a, 1, OPT2_BASE, OPT_WIN);
}

static int l4_access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                     uint32_t *val, uint64_t *t)
{
  l4_soc *s = self;
  if (size != 1 && size != 2 && size != 4)
    return LF_BUS_ERR;
  if (lf_bitband_alias(addr))
    return lf_bitband_access(access1, s, m, addr, write, val, t);
  if (addr % size == 0)
    return access1(s, m, addr, size, write, val, t);
  bool flash = in(addr, 1, FLASH_BASE, FLASH_SIZE) || in(addr, 1, FLASH_ALIAS, FLASH_SIZE) ||
               in(addr, 1, OTP_BASE, OTP_SIZE);
  if (flash && write) { /* a misaligned program store: its own flags */
    set_error(s, size == 4 ? SR_PGAERR : SR_SIZERR);
    return LF_BUS_OK;
  }
  if (flash || is_memory(addr))
    return lf_bytewise_access(access1, s, m, addr, size, write, val, t);
  return LF_BUS_ERR;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static const char *l4_part_name(size_t i) { return i == 0 ? "stm32l476rg" : NULL; }

static void update_lock(l4_soc *s)
{
  s->locked = s->p->rdp1_blocks_flash_with_debug != 0 && rdp_level(s) >= 1 && s->debug_seen;
  s->regions[0].blocked = s->regions[1].blocked = s->regions[2].blocked = s->locked;
}

/* An operation in progress leaves its target undefined. */
static void corrupt(l4_soc *s, uint64_t t)
{
  if (!busy(s, t))
    return;
  uint8_t *base = s->op == OP_OTP ? s->otp : s->flash;
  uint32_t abase = s->op == OP_OTP ? OTP_BASE : FLASH_BASE;
  for (uint32_t i = 0; i < s->op_len; i++)
    base[s->op_off + i] = lf_soc_garbage(abase + s->op_off + i);
}

static void l4_reset(void *self, lf_soc_reset_kind kind, uint64_t t)
{
  l4_soc *s = self;
  bool power = kind == LF_SOC_RESET_POWER;
  corrupt(s, t);
  s->op = OP_NONE;
  s->acr = 0x600u; /* ICEN DCEN [unconf, R 4.1] */
  s->sr = 0;
  s->cr = CR_LOCK | CR_OPTLOCK;
  s->eccr = 0;
  s->key_stage = s->optkey_stage = 0;
  s->key_dead = s->optkey_dead = false;
  s->lo_pending = s->otp_pending = s->fast = false;
  s->mass_erased[0] = s->mass_erased[1] = false;
  if (power || s->obl_pending || s->p->l4_options_load_on_system_reset != 0)
    load_options(s);
  else
    memcpy(s->opt, s->opt_act, sizeof s->opt);
  s->obl_pending = false;
  if (power)
    s->debug_seen = false;
  update_lock(s);
  lf_rcc_reset(&s->rcc, power);
  lf_regblock_reset(&s->dbgmcu, power);
  for (unsigned g = 0; g < NGPIO; g++)
    lf_gpio_reset(&s->gpio[g], &gpio_resets[g]);
  lf_crc_reset(&s->crc);
  lf_iwdg_reset(&s->iwdg, !(s->opt_act[0] & OPTR_IWDG_SW), s->p->l4_lsi_hz, t);
}

static void l4_set_uid(void *self, uint64_t seed)
{
  l4_soc *s = self;
  lf_stm32_uid_fill(s->info + 0x190, seed);
}

static void l4_destroy(void *self)
{
  l4_soc *s = self;
  if (!s)
    return;
  free(s->flash);
  free(s->sram1);
  free(s->sram2);
  free(s);
}

static void *l4_create(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                       size_t errlen)
{
  if (strcmp(part, "stm32l476rg") != 0) {
    snprintf(err, errlen, "soc: unknown part '%s'", part);
    return NULL;
  }
  l4_soc *s = calloc(1, sizeof *s);
  if (s) {
    s->flash = malloc(FLASH_SIZE);
    s->sram1 = calloc(1, SRAM1_SIZE);
    s->sram2 = calloc(1, SRAM2_SIZE);
  }
  if (!s || !s->flash || !s->sram1 || !s->sram2) {
    l4_destroy(s);
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  s->p = env->p;
  s->faults = env->faults;
  s->c = env->c;
  s->gpio_obs = env->gpio;
  memset(s->flash, 0xFF, FLASH_SIZE);
  memset(s->otp, 0xFF, sizeof s->otp);
  memset(s->info, 0xFF, sizeof s->info);
  for (int i = 0; i < NOPT; i++)
    s->opt_st[i] = opt_regs[i].factory;
  /* system memory stand-in: SP at the top of SRAM1, every vector to a "b ." loop */
  memset(s->sysmem, 0xFF, sizeof s->sysmem);
  lf_le_put(s->sysmem, SRAM1_BASE + SRAM1_SIZE, 4);
  for (uint32_t v = 1; v < 16; v++)
    lf_le_put(s->sysmem + 4 * v, (SYSMEM_BASE + 0x40u) | 1u, 4);
  lf_le_put(s->sysmem + 0x40, 0xE7FEu, 2);
  lf_le_put(s->info + 0x100, 0x0003u, 2); /* package LQFP64 [unconf] */
  lf_le_put(s->info + 0x1E0, FLASH_SIZE >> 10, 2);
  l4_set_uid(s, 0x4C464476ull);
  s->regions[0] = (lf_soc_region){"flash-boot", FLASH_ALIAS, FLASH_SIZE, s->flash, false, false};
  s->regions[1] = (lf_soc_region){"flash", FLASH_BASE, FLASH_SIZE, s->flash, false, false};
  s->regions[2] = (lf_soc_region){"sram2", SRAM2_BASE, SRAM2_SIZE, s->sram2, true, false};
  s->regions[3] = (lf_soc_region){"sysmem", SYSMEM_BASE, SYSMEM_SIZE, s->sysmem, false, false};
  s->regions[4] = (lf_soc_region){"sram1", SRAM1_BASE, SRAM1_SIZE, s->sram1, true, false};
  lf_rcc_init(&s->rcc, (lf_stm32_reg_table)LF_STM32_REG_TABLE(rcc_regs), clk_srcs,
              sizeof clk_srcs / sizeof clk_srcs[0], RCC_CFGR, RCC_CSR);
  lf_regblock_init(&s->dbgmcu, (lf_stm32_reg_table)LF_STM32_REG_TABLE(dbgmcu_regs));
  for (unsigned g = 0; g < NGPIO; g++)
    lf_gpio_init(&s->gpio[g], true);
  lf_crc_init(&s->crc, (lf_stm32_reg_table)LF_STM32_REG_TABLE(crc_regs), s->p->crc_cycles_per_word);
  lf_iwdg_init(&s->iwdg, (lf_stm32_reg_table)LF_STM32_REG_TABLE(iwdg_regs));
  l4_reset(s, LF_SOC_RESET_POWER, 0);
  *info = (lf_soc_info){
    .part = "stm32l476rg",
    .idcode = 0x10076415u, /* R 1.2: rev 4 (NUCLEO-L476RG logs) */
    .cpuid = 0x410FC241u,  /* R 1.2: Cortex-M4 r0p1 */
    .dpidr = 0x2BA01477u,  /* R 1.2: SW-DP DPv1 rev 2 */
    .targetid = 0,
    .ap_idr = 0x24770011u, /* R 1.2: ≈ generic M4 r0p1 */
    .ap_base = 0xE00FF003u,
    .regions = s->regions,
    .nregions = 5,
  };
  return s;
}

static uint32_t l4_boot_address(const void *self) { return FLASH_ALIAS; }
static int l4_rdp_level(const void *self) { return rdp_level(self); }
static bool l4_flash_locked(const void *self) { return ((const l4_soc *)self)->locked; }

static void l4_debug_connected(void *self)
{
  l4_soc *s = self;
  if (!s->debug_seen) {
    s->debug_seen = true;
    update_lock(s);
  }
}

static bool l4_peek_byte(const void *self, uint32_t a, uint8_t *out)
{
  const l4_soc *s = self;
  if (in(a, 1, OTP_BASE, OTP_SIZE))
    *out = s->otp[a - OTP_BASE];
  else if (in(a, 1, INFO_BASE, INFO_SIZE))
    *out = s->info[a - INFO_BASE];
  else if (in(a, 1, OPT1_BASE, OPT_WIN) || in(a, 1, OPT2_BASE, OPT_WIN))
    *out = optimg_byte(s, a);
  else {
    for (size_t i = 0; i < 5; i++)
      if (in(a, 1, s->regions[i].base, s->regions[i].size)) {
        *out = s->regions[i].mem[a - s->regions[i].base];
        return true;
      }
    return false;
  }
  return true;
}

/* State file: the array, OTP and the 9 stored option words. */
static int state_io(l4_soc *s, FILE *f, bool save, char *err, size_t errlen)
{
  uint8_t opt[4 * NOPT];
  for (int i = 0; i < NOPT; i++)
    lf_le_put(opt + 4 * i, s->opt_st[i], 4);
  lf_soc_state_blob b[] = {{"flash", s->flash, FLASH_SIZE}, {"otp", s->otp, OTP_SIZE},
                           {"options", opt, sizeof opt}};
  if (save)
    return lf_soc_state_save(f, "stm32l476rg", b, 3, err, errlen);
  if (lf_soc_state_load(f, "stm32l476rg", b, 3, err, errlen) != 0)
    return -1;
  for (int i = 0; i < NOPT; i++)
    s->opt_st[i] = (lf_le_get(opt + 4 * i, 4) & opt_regs[i].mask) | (opt_regs[i].factory & ~opt_regs[i].mask);
  return 0;
}

static int l4_save_state(const void *self, FILE *f, char *err, size_t errlen)
{
  return state_io((l4_soc *)self, f, true, err, errlen);
}

static int l4_load_state(void *self, FILE *f, char *err, size_t errlen)
{
  return state_io(self, f, false, err, errlen);
}

static void l4_power_loss(void *self, uint64_t t)
{
  l4_soc *s = self;
  corrupt(s, t);
  s->op = OP_NONE;
  for (uint32_t k = 0; k < SRAM1_SIZE; k++)
    s->sram1[k] = lf_soc_garbage(SRAM1_BASE + k);
  for (uint32_t k = 0; k < SRAM2_SIZE; k++)
    s->sram2[k] = lf_soc_garbage(SRAM2_BASE + k);
  s->iwdg.running = false;
  s->obl_pending = false;
}

/* The chip resets itself at the IWDG deadline or at an OBL_LAUNCH. */
static uint64_t l4_watchdog_deadline(const void *self)
{
  const l4_soc *s = self;
  uint64_t w = lf_iwdg_deadline(&s->iwdg);
  return s->obl_pending && s->obl_at < w ? s->obl_at : w;
}

/* Registered in soc.c's family table. */
const lf_soc_family lf_soc_family_stm32l4 = {
  .name = "stm32l4",
  .part_name = l4_part_name,
  .create = l4_create,
  .destroy = l4_destroy,
  .access = l4_access,
  .reset = l4_reset,
  .sysclk_hz = l4_sysclk_hz,
  .boot_address = l4_boot_address,
  .rdp_level = l4_rdp_level,
  .flash_locked = l4_flash_locked,
  .debug_connected = l4_debug_connected,
  .peek_byte = l4_peek_byte,
  .save_state = l4_save_state,
  .load_state = l4_load_state,
  .power_loss = l4_power_loss,
  .set_uid = l4_set_uid,
  .watchdog_deadline = l4_watchdog_deadline,
};
