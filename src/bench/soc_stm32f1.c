/* SoC family "stm32f1": the STM32F103 (medium density STM32F103RB of the
 * NUCLEO-F103RB; high density STM32F103RC, the part pyOCD 0.13.1 has a
 * target for). One flat file: memory map, the flash controller (FPEC) with
 * its option bytes, and the peripherals loaders and firmware touch (RCC,
 * GPIO, CRC, IWDG, DBGMCU). Facts: stm32-f1-l4-h7-targets.md ("R n.m"
 * below): 1.1 identity, 2.1 memory map, 3 FPEC, 6 timings, 7 CRC, 8 DBGMCU
 * and clocks, 10-12 what the tools do. Every timing and every unconfirmed
 * behaviour is a bench parameter (params.c, rows f1_*).
 *
 * Flash controller (FPEC, 0x40022000; R 3):
 * - KEYR: KEY1 then KEY2 clears CR.LOCK. A wrong key or order answers a bus
 *   error and locks the FPEC until the next reset (PM0075 as recalled, R
 *   3.3 [unconf]). Keys written while unlocked are ignored
 *   (f1_keys_unlocked_lock = 0: OpenOCD writes them without checking LOCK).
 *   OPTKEYR (same keys) sets CR.OPTWRE while CR is unlocked.
 * - CR: writes ignored while LOCK (setting LOCK is always accepted);
 *   OPTWRE can only be cleared by software. STRT with exactly one of PER
 *   (page at AR), MER (whole array) or OPTER (option block; needs OPTWRE)
 *   starts the operation; with none or several nothing runs and PGERR is set
 *   (bench choice). STRT reads 1 until the operation ends.
 * - Programming: PG = 1 and a half-word store to the array: the half-word
 *   must read 0xFFFF, or the data be 0x0000 (f1_zero_overwrite_ok), else
 *   PGERR and nothing is written; a write-protected page (WRPR, or the first
 *   4 KiB at RDP 1 with f1_rdp_protects_first_pages) sets WRPRTERR. Byte and
 *   word stores with PG = 1 answer a bus error (f1_wide_store_bus_error);
 *   stores with PG = 0 are ignored (no flag exists, R 3.3). BSY lasts
 *   f1_prog_ns. Stale error flags do not block a new operation (no rule
 *   known for the F1).
 * - A store or a CR/AR write while BSY stalls the master until BSY clears
 *   (Black Magic Probe streams half-words with one poll per block, R 3.2),
 *   then applies. A CORE read of SR while BSY stalls too (the busy-wait
 *   costs virtual time, not host time; a DEBUG read shows BSY). Reads of the
 *   array or option bytes while BSY stall.
 * - EOP is set at the end of every operation (not gated by EOPIE, R 3.2).
 * - Option bytes (0x1FFFF800, 8 half-words, value in the low byte, its
 *   complement in the high byte; R 3.4): OPTER erases all 16 bytes
 *   (tERASE); OPTPG + a half-word store writes the low byte and the
 *   hardware writes its complement (the half-word must be erased, else
 *   PGERR). With the stored RDP byte not 0xA5, OPTER mass-erases the array
 *   first (the way back from read protection; RM0008 as recalled, R 3.4
 *   [unconf]). The chip obeys its options after the next reset (any reset;
 *   OBR, WRPR): a byte whose complement does not match reads 0xFF and sets
 *   OBR.OPTERR (so an erased RDP means read protection).
 * - Read protection (RDP byte != 0xA5): debugger reads of the array answer
 *   a bus error; with params rdp1_blocks_flash_with_debug and the debug
 *   port used since power-on the core loses the array too and program /
 *   erase are refused with rdp1_debug_flash_error (WRPRTERR, as on the
 *   F4/F7 model); option programming still works.
 * - A reset or power loss during an operation leaves its target (half-word,
 *   page, array, option block) with lf_soc_garbage() content.
 *
 * Other bench decisions: the system memory (ST bootloader ROM) holds a
 * vector table pointing at a "b ." loop; GPIO and CRC need their RCC clock
 * bit (read 0, writes ignored while off); GPIO LCKR is storage only;
 * peripherals without a model inside a bus window read 0; DBGMCU_CR keeps its
 * value across a system reset (R 8: cleared only by power-on). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/soc_family.h"
#include "bench/soc_util.h"

/* ---- memory map (R 2.1) ---- */
#define FLASH_ALIAS 0x00000000u  /* BOOT0 = 0 on the NUCLEO */
#define FLASH_BASE 0x08000000u
#define SYSMEM_BASE 0x1FFFF000u  /* 2 KiB; flash size at +0x7E0, UID at +0x7E8 */
#define SYSMEM_SIZE 0x800u
#define FSIZE_OFF 0x7E0u
#define UID_OFF 0x7E8u
#define OPT_BASE 0x1FFFF800u     /* 8 half-words */
#define OPT_SIZE 16u
#define SRAM_BASE 0x20000000u
#define RCC_BASE 0x40021000u
#define FPEC_BASE 0x40022000u
#define CRC_BASE 0x40023000u
#define IWDG_BASE 0x40003000u
#define GPIO_BASE 0x40010800u    /* GPIOA; port n at + 0x400 * n */
#define DBGMCU_BASE 0xE0042000u

/* ---- FPEC registers (R 3.1) ---- */
enum { F_ACR = 0x00, F_KEYR = 0x04, F_OPTKEYR = 0x08, F_SR = 0x0C, F_CR = 0x10, F_AR = 0x14,
       F_OBR = 0x1C, F_WRPR = 0x20 };
#define SR_BSY 0x01u
#define SR_PGERR 0x04u
#define SR_WRPRTERR 0x10u
#define SR_EOP 0x20u
#define SR_W1C (SR_PGERR | SR_WRPRTERR | SR_EOP)
#define CR_PG 0x001u
#define CR_PER 0x002u
#define CR_MER 0x004u
#define CR_OPTPG 0x010u
#define CR_OPTER 0x020u
#define CR_STRT 0x040u
#define CR_LOCK 0x080u
#define CR_OPTWRE 0x200u
#define CR_MASK 0x14F7u /* PG PER MER OPTPG OPTER STRT LOCK ERRIE EOPIE (OPTWRE apart) */
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define OBR_OPTERR 0x1u
#define OBR_RDPRT 0x2u
#define OBR_IWDG_SW 0x4u
#define RDP_KEY 0xA5u

/* ---- RCC (RM0008 register map) ---- */
enum { RCC_CR = 0x00, RCC_CFGR = 0x04, RCC_AHBENR = 0x14, RCC_APB2ENR = 0x18, RCC_CSR = 0x24 };
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_AHB_CRCEN 6           /* R 7 */
#define RCC_APB2_IOPAEN 2         /* port n: bit 2 + n */

/* ---- GPIO (F1 layout: CRL CRH IDR ODR BSRR BRR LCKR) ---- */
enum { G_CRL = 0x00, G_CRH = 0x04, G_IDR = 0x08, G_ODR = 0x0C, G_BSRR = 0x10, G_BRR = 0x14 };
#define NGPIO 7

/* ---- a part ---- */
typedef struct f1_part {
  const char *name;
  uint32_t idcode;         /* DBGMCU_IDCODE as the debugger reads it */
  uint32_t flash_kib, page_size, sram_kib;
  unsigned wrp_pages;      /* pages per WRPR bit */
  bool wrp31_rest;         /* bit 31 covers every page from 31 * wrp_pages on */
  uint64_t uid_seed;
} f1_part;

static const f1_part parts[] = {
  /* R 1.1: DEV_ID 0x410 rev Y (0x20036410, as ST-LINK/V2-1 logs show it);
   * 128 KiB in 1 KiB pages, 20 KiB SRAM (R 2.1); WRP: 4 pages per bit
   * (R 3.1, OpenOCD ppage_size 4). */
  {"stm32f103rb", 0x20036410u, 128, 1024, 20, 4, false, 0x4C46F103ull},
  /* High density (pyOCD 0.13.1's stm32f103rc target, R 10): DEV_ID 0x414,
   * REV_ID 0x1003 = rev Y ([unconf] which revision a board carries), 256 KiB
   * in 2 KiB pages, 48 KiB SRAM; WRP bits 0-30: 2 pages each, bit 31 the
   * rest (RM0008 as recalled [unconf]). */
  {"stm32f103rc", 0x10036414u, 256, 2048, 48, 2, true, 0x4C46F1C3ull},
};
#define NPARTS (sizeof parts / sizeof parts[0])

/* Peripheral bus windows: unmodeled registers read 0 (APB1, APB2, AHB). */
static const struct { uint32_t base, size; } windows[] = {
  {0x40000000u, 0x8000u}, {0x40010000u, 0x4000u}, {0x40018000u, 0xC000u},
};

/* RCC (RM0008 7.3; reset values as recalled [unconf] for the rarely used ones). */
static const lf_stm32_reg rcc_regs[] = {
  {0x00, 0x00000083u, 0x010D00F9u, 0},  /* CR: HSION|HSIRDY, HSITRIM 16 */
  {0x04, 0x00000000u, 0x077FFFF3u, 0},  /* CFGR: SWS (3:2) from the model */
  {0x08, 0x00000000u, 0x00001F00u, 0},  /* CIR: ready-interrupt enables */
  {0x0C, 0, 0xFFFFFFFFu, 0}, {0x10, 0, 0xFFFFFFFFu, 0},  /* APB2RSTR APB1RSTR */
  {0x14, 0x00000014u, 0x00000557u, 0},  /* AHBENR: SRAMEN|FLITFEN; CRCEN bit 6 */
  {0x18, 0, 0xFFFFFFFFu, 0}, {0x1C, 0, 0xFFFFFFFFu, 0},  /* APB2ENR APB1ENR */
  {0x20, 0, 0x00018305u, LF_STM32_KEEP_SYS},            /* BDCR (backup domain) */
  {0x24, 0x0C000000u, 0x01000001u, 0},  /* CSR: LSION, RMVF; PIN/POR flags */
};
static const lf_stm32_reg gpio_regs[] = {
  {0x00, 0x44444444u, 0xFFFFFFFFu, 0}, {0x04, 0x44444444u, 0xFFFFFFFFu, 0}, /* CRL CRH */
  {0x08, 0, 0, LF_STM32_RO}, {0x0C, 0, 0xFFFFu, 0},                          /* IDR ODR */
  {0x10, 0, 0xFFFFFFFFu, LF_STM32_WO}, {0x14, 0, 0xFFFFu, LF_STM32_WO},      /* BSRR BRR */
  {0x18, 0, 0x1FFFFu, 0},                                                    /* LCKR */
};
/* R 7: DR (RESET loads 0xFFFFFFFF), 8-bit IDR, CR.RESET; no INIT/POL. */
static const lf_stm32_reg crc_regs[] = {
  {0x00, 0xFFFFFFFFu, 0, 0}, {0x04, 0, 0xFFu, 0}, {0x08, 0, 0, 0},
};
static const lf_stm32_reg iwdg_regs[] = {
  {0x00, 0, 0, LF_STM32_WO}, {0x04, 0, 0x7u, 0}, {0x08, 0xFFFu, 0xFFFu, 0},
  {0x0C, 0, 0, LF_STM32_RO},
};
/* R 8: DBGMCU_CR bits 0-2, 5-20 (freeze bits live in CR on the F1). */
static const lf_stm32_reg dbgmcu_regs[] = {
  {0x00, 0, 0, LF_STM32_RO}, {0x04, 0, 0x001FFFE7u, LF_STM32_KEEP_SYS},
};

typedef enum op_kind { OP_NONE, OP_PROG, OP_PAGE, OP_MASS, OP_OPTPROG, OP_OPTERASE } op_kind;

typedef struct f1_soc {
  const f1_part *d;
  const lf_bench_params *p;
  lf_faults *faults;
  lf_soc_counters *c;
  const lf_soc_gpio_obs *gpio_obs;
  uint32_t flash_size, sram_size;
  uint8_t *flash, *sram;
  uint8_t sysmem[SYSMEM_SIZE];
  uint8_t opt[OPT_SIZE];     /* stored option bytes */
  lf_soc_region regions[4];
  /* FPEC */
  uint32_t acr, sr, cr, ar, obr, wrpr;
  unsigned key_stage, optkey_stage;
  bool key_dead, optkey_dead;
  op_kind op;
  bool op_settled;
  uint64_t op_end;
  uint32_t op_off, op_len;   /* array offset (or option offset) of the target */
  bool locked;               /* RDP + debugger: program/erase refused */
  bool debug_seen;
  /* peripherals */
  lf_rcc rcc;
  lf_regblock dbgmcu, gpio[NGPIO];
  lf_crc_unit crc;
  lf_iwdg iwdg;
} f1_soc;

static uint64_t ns_of(double v) { return v <= 0 ? 0 : (uint64_t)llround(v); }
static bool tmax(const f1_soc *s) { return s->p->flash_timing_max != 0; }

/* ------------------------------------------------------------------ */
/* Options as loaded at reset                                          */

/* Option byte i (0 RDP, 1 USER, 2-3 DATA, 4-7 WRP) as the chip obeys it:
 * 0xFF when its complement does not match (*err set). */
static uint8_t opt_byte(const uint8_t *opt, unsigned i, bool *err)
{
  uint8_t v = opt[2 * i], n = opt[2 * i + 1];
  if ((uint8_t)(v ^ n) != 0xFF) {
    *err = true;
    return 0xFF;
  }
  return v;
}

static void load_options(f1_soc *s)
{
  bool err = false;
  uint8_t b[8];
  for (unsigned i = 0; i < 8; i++)
    b[i] = opt_byte(s->opt, i, &err);
  s->obr = (err ? OBR_OPTERR : 0) | (b[0] != RDP_KEY ? OBR_RDPRT : 0) | (uint32_t)b[1] << 2 |
           (uint32_t)b[2] << 10 | (uint32_t)b[3] << 18;
  s->wrpr = b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
}

static int rdp_level(const f1_soc *s) { return (s->obr & OBR_RDPRT) ? 1 : 0; }

static bool page_protected(const f1_soc *s, uint32_t page)
{
  unsigned bit = page / s->d->wrp_pages;
  if (bit > 31 || (s->d->wrp31_rest && bit >= 31))
    bit = 31;
  if (!((s->wrpr >> bit) & 1))
    return true;
  return rdp_level(s) >= 1 && s->p->f1_rdp_protects_first_pages != 0 &&
         page * s->d->page_size < 4096;
}

/* ------------------------------------------------------------------ */
/* FPEC                                                                */

static bool busy(const f1_soc *s, uint64_t t) { return s->op != OP_NONE && t < s->op_end; }

/* The end effects of the last operation, once t has passed it. */
static void settle(f1_soc *s, uint64_t t)
{
  if (s->op == OP_NONE || s->op_settled || t < s->op_end)
    return;
  s->cr &= ~CR_STRT;
  s->sr |= SR_EOP;
  s->op_settled = true;
}

static void stall_if_busy(f1_soc *s, uint64_t *t)
{
  if (busy(s, *t)) {
    s->c->stall_ns += s->op_end - *t;
    *t = s->op_end;
  }
  settle(s, *t);
}

static void begin(f1_soc *s, op_kind k, uint64_t t, double ns, uint32_t off, uint32_t len)
{
  uint64_t d = ns_of(ns);
  s->op = k;
  s->op_settled = false;
  s->op_end = t + d;
  s->op_off = off;
  s->op_len = len;
  s->c->flash_busy_ns += d;
  settle(s, t);
}

static void set_error(f1_soc *s, uint32_t bits)
{
  s->sr |= bits;
  s->cr &= ~CR_STRT;
  s->c->flash_errors++;
}

/* Every started operation is one LF_FAULT_FLASH_ERROR event (BITS = FLASH_SR). */
static bool injected_failure(f1_soc *s)
{
  lf_fault *f = s->faults ? lf_faults_event(s->faults, LF_FAULT_FLASH_ERROR) : NULL;
  if (!f)
    return false;
  set_error(s, (uint32_t)f->arg & SR_W1C & ~SR_EOP);
  return true;
}

static uint32_t locked_error(const f1_soc *s)
{
  uint32_t bits = (uint32_t)s->p->rdp1_debug_flash_error & (SR_PGERR | SR_WRPRTERR);
  return bits ? bits : SR_WRPRTERR;
}

static double prog_ns(const f1_soc *s) { return tmax(s) ? s->p->f1_prog_ns_max : s->p->f1_prog_ns_typ; }
static double page_ns(const f1_soc *s)
{
  return tmax(s) ? s->p->f1_page_erase_max_ns : s->p->f1_page_erase_ns;
}
static double mass_ns(const f1_soc *s)
{
  return tmax(s) ? s->p->f1_mass_erase_max_ns : s->p->f1_mass_erase_ns;
}

/* A half-word store to the array at off (PG = 1 checked by the caller). */
static void array_program(f1_soc *s, uint32_t off, uint16_t v, uint64_t t)
{
  uint32_t page = off / s->d->page_size;
  if (s->locked || page_protected(s, page)) {
    set_error(s, s->locked ? locked_error(s) : SR_WRPRTERR);
    return;
  }
  uint16_t cell = (uint16_t)lf_le_get(s->flash + off, 2);
  if (cell != 0xFFFF && !(v == 0 && s->p->f1_zero_overwrite_ok != 0)) {
    set_error(s, SR_PGERR);
    return;
  }
  if (injected_failure(s))
    return;
  lf_le_put(s->flash + off, v, 2);
  s->c->flash_prog_ops++;
  s->c->flash_prog_bytes += 2;
  begin(s, OP_PROG, t, prog_ns(s), off, 2);
}

/* OPTPG: a half-word store to the option block (offset off). */
static void option_program(f1_soc *s, uint32_t off, uint16_t v, uint64_t t)
{
  if (lf_le_get(s->opt + off, 2) != 0xFFFF) {
    set_error(s, SR_PGERR);
    return;
  }
  if (injected_failure(s))
    return;
  uint8_t b = (uint8_t)v;
  s->opt[off] = b;
  s->opt[off + 1] = (uint8_t)~b; /* the complement is written by the hardware */
  s->c->flash_opt_writes++;
  begin(s, OP_OPTPROG, t, prog_ns(s), off, 2);
}

/* STRT (R 3.2). */
static void start(f1_soc *s, uint64_t t)
{
  uint32_t sel = s->cr & (CR_PER | CR_MER | CR_OPTER);
  if (sel != CR_PER && sel != CR_MER && sel != CR_OPTER) {
    set_error(s, SR_PGERR);
    return;
  }
  if (sel == CR_OPTER) {
    if (!(s->cr & CR_OPTWRE)) {
      set_error(s, SR_WRPRTERR);
      return;
    }
    if (injected_failure(s))
      return;
    double ns = page_ns(s);
    bool mass = opt_byte(s->opt, 0, &(bool){false}) != RDP_KEY;
    memset(s->opt, 0xFF, sizeof s->opt);
    s->c->flash_opt_writes++;
    if (mass) {
      memset(s->flash, 0xFF, s->flash_size);
      s->c->flash_mass_erases++;
      ns += mass_ns(s);
    }
    begin(s, OP_OPTERASE, t, ns, 0, mass ? s->flash_size : 0);
    return;
  }
  if (s->locked) {
    set_error(s, locked_error(s));
    return;
  }
  if (sel == CR_PER) {
    uint32_t a = s->ar >= FLASH_BASE ? s->ar - FLASH_BASE : s->ar;
    if (a >= s->flash_size) {
      set_error(s, SR_PGERR); /* AR outside the array: bench choice */
      return;
    }
    uint32_t page = a / s->d->page_size;
    if (page_protected(s, page)) {
      set_error(s, SR_WRPRTERR);
      return;
    }
    if (injected_failure(s))
      return;
    memset(s->flash + page * s->d->page_size, 0xFF, s->d->page_size);
    s->c->flash_sector_erases++;
    begin(s, OP_PAGE, t, page_ns(s), page * s->d->page_size, s->d->page_size);
    return;
  }
  /* MER: refused when any page is write-protected (bench choice, as the F4/F7 model) */
  for (uint32_t pg = 0; pg < s->flash_size / s->d->page_size; pg++)
    if (page_protected(s, pg)) {
      set_error(s, SR_WRPRTERR);
      return;
    }
  if (injected_failure(s))
    return;
  memset(s->flash, 0xFF, s->flash_size);
  s->c->flash_mass_erases++;
  begin(s, OP_MASS, t, mass_ns(s), 0, s->flash_size);
}

/* KEYR / OPTKEYR; false = a wrong sequence (bus error). */
static bool key_write(f1_soc *s, bool opt, uint32_t v)
{
  unsigned *stage = opt ? &s->optkey_stage : &s->key_stage;
  bool *dead = opt ? &s->optkey_dead : &s->key_dead;
  bool open = opt ? (s->cr & CR_OPTWRE) != 0 : !(s->cr & CR_LOCK);
  if (opt && (s->cr & CR_LOCK))
    return true; /* OPTKEYR needs CR unlocked first: ignored */
  if (open && !*dead && s->p->f1_keys_unlocked_lock == 0)
    return true;
  if (!*dead && !open && *stage == 0 && v == KEY1) {
    *stage = 1;
    return true;
  }
  if (!*dead && !open && *stage == 1 && v == KEY2) {
    *stage = 0;
    if (opt)
      s->cr |= CR_OPTWRE;
    else
      s->cr &= ~CR_LOCK;
    return true;
  }
  *dead = true;
  *stage = 0;
  if (opt)
    s->cr &= ~CR_OPTWRE;
  else
    s->cr = (s->cr | CR_LOCK) & ~CR_OPTWRE;
  return false;
}

static int fpec_access(f1_soc *s, lf_bus_master m, uint32_t off, unsigned size, bool write,
                       uint32_t *val, uint64_t *t)
{
  uint32_t word = off & ~3u, sh = (off & 3) * 8, lanes = lf_soc_lanes(off, size);
  if (!write) {
    if (word == F_SR && m == LF_BUS_CORE)
      stall_if_busy(s, t);
    else
      settle(s, *t);
    uint32_t v = 0;
    switch (word) {
    case F_ACR: v = s->acr | ((s->acr & 0x10u) << 1); break; /* PRFTBS follows PRFTBE */
    case F_SR: v = s->sr | (busy(s, *t) ? SR_BSY : 0); break;
    case F_CR: v = s->cr; break;
    case F_AR: v = s->ar; break;
    case F_OBR: v = s->obr; break;
    case F_WRPR: v = s->wrpr; break;
    default: break; /* KEYR, OPTKEYR write-only */
    }
    *val = (v & lanes) >> sh;
    return LF_BUS_OK;
  }
  uint32_t wv = (*val << sh) & lanes;
  switch (word) {
  case F_ACR:
    settle(s, *t);
    s->acr = (s->acr & ~lanes) | (wv & 0x1Fu);
    return LF_BUS_OK;
  case F_KEYR:
  case F_OPTKEYR:
    settle(s, *t);
    return key_write(s, word == F_OPTKEYR, wv) ? LF_BUS_OK : LF_BUS_ERR;
  case F_SR:
    settle(s, *t);
    s->sr &= ~(wv & SR_W1C);
    return LF_BUS_OK;
  case F_AR:
    stall_if_busy(s, t);
    if (!(s->cr & CR_LOCK))
      s->ar = (s->ar & ~lanes) | wv;
    return LF_BUS_OK;
  case F_CR: {
    stall_if_busy(s, t);
    if (s->cr & CR_LOCK)
      return LF_BUS_OK;
    uint32_t n = (s->cr & ~(lanes & CR_MASK)) | (wv & CR_MASK);
    if ((lanes & CR_OPTWRE) && !(wv & CR_OPTWRE))
      n &= ~CR_OPTWRE;
    if (n & CR_LOCK)
      n &= ~CR_OPTWRE;
    s->cr = n;
    if ((lanes & CR_STRT) && (wv & CR_STRT))
      start(s, *t);
    return LF_BUS_OK;
  }
  default:
    return LF_BUS_OK;
  }
}

/* ------------------------------------------------------------------ */
/* Flash array and option bytes on the bus                             */

static int array_access(f1_soc *s, lf_bus_master m, uint32_t off, unsigned size, bool write,
                        uint32_t *val, uint64_t *t)
{
  if (!write) {
    if (m == LF_BUS_DEBUG && rdp_level(s) >= 1)
      return LF_BUS_ERR;
    if (m == LF_BUS_CORE && s->locked)
      return LF_BUS_ERR;
    stall_if_busy(s, t);
    *val = lf_le_get(s->flash + off, size);
    return LF_BUS_OK;
  }
  stall_if_busy(s, t);
  if (!(s->cr & CR_PG))
    return LF_BUS_OK; /* not a programming access: ignored (R 3.3) */
  if (size != 2 || (off & 1)) {
    if (s->p->f1_wide_store_bus_error != 0)
      return LF_BUS_ERR;
    set_error(s, SR_PGERR);
    return LF_BUS_OK;
  }
  array_program(s, off, (uint16_t)*val, *t);
  return LF_BUS_OK;
}

static int option_access(f1_soc *s, uint32_t off, unsigned size, bool write, uint32_t *val,
                         uint64_t *t)
{
  stall_if_busy(s, t);
  if (!write) {
    *val = lf_le_get(s->opt + off, size);
    return LF_BUS_OK;
  }
  if (!(s->cr & CR_OPTPG) || !(s->cr & CR_OPTWRE))
    return LF_BUS_OK; /* no option programming selected: ignored */
  if (size != 2 || (off & 1))
    return LF_BUS_ERR;
  option_program(s, off, (uint16_t)*val, *t);
  return LF_BUS_OK;
}

/* ------------------------------------------------------------------ */
/* RCC                                                                 */

/* SW: 0 HSI, 1 HSE, 2 PLL (RM0008). */
static const lf_clk_src clk_srcs[] = {
  {RCC_CR_HSION, RCC_CR_HSIRDY, LF_CLK_OSC},
  {RCC_CR_HSEON, RCC_CR_HSERDY, LF_CLK_HSE},
  {RCC_CR_PLLON, RCC_CR_PLLRDY, LF_CLK_PLL},
};


/* SYSCLK: HSI, HSE or PLL (HSI/2 or HSE[/2] times PLLMUL + 2, at most 16). */
static double f1_sysclk_hz(const void *self)
{
  const f1_soc *s = self;
  double hsi = s->p->f1_hsi_hz, hse = s->p->hse_hz;
  if (s->rcc.clk.sws == 1)
    return hse;
  if (s->rcc.clk.sws != 2)
    return hsi;
  uint32_t c = lf_regblock_get(&s->rcc.r, RCC_CFGR);
  unsigned mul = ((c >> 18) & 0xF) + 2;
  double src = (c & (1u << 16)) ? hse / ((c & (1u << 17)) ? 2 : 1) : hsi / 2;
  return src * (mul > 16 ? 16 : mul);
}

/* ------------------------------------------------------------------ */
/* GPIO                                                                */

static bool clock_on(const f1_soc *s, uint32_t reg, unsigned bit)
{
  return (lf_regblock_get(&s->rcc.r, reg) >> bit) & 1;
}

static uint32_t gpio_idr(const f1_soc *s, unsigned port)
{
  const lf_regblock *g = &s->gpio[port];
  uint32_t odr = lf_regblock_get(g, G_ODR), idr = 0;
  for (unsigned pin = 0; pin < 16; pin++) {
    uint32_t cfg = lf_regblock_get(g, pin < 8 ? G_CRL : G_CRH) >> (4 * (pin & 7)) & 0xFu;
    bool out = (cfg & 3u) != 0, pulled = !out && (cfg >> 2) == 2;
    idr |= (uint32_t)((out || pulled) && ((odr >> pin) & 1)) << pin;
  }
  return idr;
}

static void gpio_write(f1_soc *s, unsigned port, uint32_t off, uint32_t wv, uint32_t lanes, uint64_t t)
{
  lf_regblock *g = &s->gpio[port];
  uint32_t *odr = lf_regblock_ptr(g, G_ODR), old = *odr, n = old;
  switch (off) {
  case G_ODR: n = (old & ~lanes) | (wv & lanes); break;
  case G_BSRR: n = (old & ~((wv & lanes) >> 16)) | (wv & lanes & 0xFFFF); break; /* set wins */
  case G_BRR: n = old & ~(wv & lanes); break;
  default: lf_regblock_write(g, off, wv, lanes); return;
  }
  *odr = n & 0xFFFF;
  if (*odr != old && s->gpio_obs->fn)
    s->gpio_obs->fn(s->gpio_obs->ctx, port, old, *odr, t);
}

/* ------------------------------------------------------------------ */
/* The bus                                                             */

static bool in(uint32_t a, unsigned size, uint32_t base, uint32_t len)
{
  return a >= base && a - base < len && a - base + size <= len;
}

static int periph_access(f1_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
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
    if (clock_on(s, RCC_AHBENR, RCC_AHB_CRCEN)) {
      if (write)
        lf_crc_write(&s->crc, word - CRC_BASE, wv, lanes, *val, size, f1_sysclk_hz(s), t, &s->c->stall_ns);
      else
        v = lf_crc_read(&s->crc, word - CRC_BASE, t, &s->c->stall_ns);
    }
  } else if (in(addr, size, IWDG_BASE, 0x400)) {
    if (write)
      lf_iwdg_write(&s->iwdg, word - IWDG_BASE, wv, lanes, s->p->f1_lsi_hz, *t);
    else
      v = lf_regblock_read(&s->iwdg.r, word - IWDG_BASE);
  } else if (in(addr, size, GPIO_BASE, 0x400u * NGPIO)) {
    unsigned port = (addr - GPIO_BASE) / 0x400u;
    uint32_t off = word - GPIO_BASE - 0x400u * port;
    if (clock_on(s, RCC_APB2ENR, RCC_APB2_IOPAEN + port)) {
      if (write)
        gpio_write(s, port, off, wv, lanes, *t);
      else
        v = off == G_IDR ? gpio_idr(s, port) : lf_regblock_read(&s->gpio[port], off);
    }
  } else if (in(addr, size, DBGMCU_BASE, 0x1000)) {
    uint32_t off = word - DBGMCU_BASE;
    if (write)
      lf_regblock_write(&s->dbgmcu, off, wv, lanes);
    else if (off == 0)
      v = m == LF_BUS_CORE && s->p->f1_idcode_core_reads_zero != 0 ? 0 : s->d->idcode;
    else
      v = lf_regblock_get(&s->dbgmcu, off);
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

/* One access inside one memory or register block. */
static int access1(f1_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                   uint32_t *val, uint64_t *t)
{
  if (in(addr, size, FLASH_BASE, s->flash_size))
    return array_access(s, m, addr - FLASH_BASE, size, write, val, t);
  if (in(addr, size, FLASH_ALIAS, s->flash_size))
    return array_access(s, m, addr - FLASH_ALIAS, size, write, val, t);
  if (in(addr, size, SRAM_BASE, s->sram_size)) {
    if (write)
      lf_le_put(s->sram + (addr - SRAM_BASE), *val, size);
    else
      *val = lf_le_get(s->sram + (addr - SRAM_BASE), size);
    return LF_BUS_OK;
  }
  if (in(addr, size, SYSMEM_BASE, SYSMEM_SIZE)) {
    if (write)
      return LF_BUS_ERR;
    *val = lf_le_get(s->sysmem + (addr - SYSMEM_BASE), size);
    return LF_BUS_OK;
  }
  if (in(addr, size, OPT_BASE, OPT_SIZE))
    return option_access(s, addr - OPT_BASE, size, write, val, t);
  if (in(addr, size, FPEC_BASE, 0x400))
    return fpec_access(s, m, addr - FPEC_BASE, size, write, val, t);
  return periph_access(s, m, addr, size, write, val, t);
}

static bool is_memory(const f1_soc *s, uint32_t a)
{
  return in(a, 1, SRAM_BASE, s->sram_size) || in(a, 1, SYSMEM_BASE, SYSMEM_SIZE + OPT_SIZE) ||
         (!(s->cr & CR_PG) && (in(a, 1, FLASH_BASE, s->flash_size) || in(a, 1, 0, s->flash_size)));
}

static int one_access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                      uint32_t *val, uint64_t *t)
{
  return access1(self, m, addr, size, write, val, t);
}

static int f1_access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                     uint32_t *val, uint64_t *t)
{
  f1_soc *s = self;
  if (size != 1 && size != 2 && size != 4)
    return LF_BUS_ERR;
  if (lf_bitband_alias(addr))
    return lf_bitband_access(one_access, s, m, addr, write, val, t);
  if (addr % size == 0)
    return access1(s, m, addr, size, write, val, t);
  if (!is_memory(s, addr)) /* a program store sees its misalignment; registers fault */
    return in(addr, size, FLASH_BASE, s->flash_size) || in(addr, size, FLASH_ALIAS, s->flash_size)
               ? access1(s, m, addr, size, write, val, t)
               : LF_BUS_ERR;
  return lf_bytewise_access(one_access, s, m, addr, size, write, val, t);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static const char *f1_part_name(size_t i) { return i < NPARTS ? parts[i].name : NULL; }

static void update_lock(f1_soc *s)
{
  s->locked = s->p->rdp1_blocks_flash_with_debug != 0 && rdp_level(s) >= 1 && s->debug_seen;
  s->regions[0].blocked = s->regions[1].blocked = s->locked;
}

static void f1_reset(void *self, lf_soc_reset_kind kind, uint64_t t)
{
  f1_soc *s = self;
  bool power = kind == LF_SOC_RESET_POWER;
  if (busy(s, t)) { /* the operation's target is left undefined */
    bool opt = s->op == OP_OPTPROG || s->op == OP_OPTERASE;
    uint32_t off = opt ? 0 : s->op_off, len = s->op == OP_OPTERASE ? OPT_SIZE : s->op_len;
    if (s->op == OP_OPTPROG)
      off = s->op_off;
    for (uint32_t i = 0; i < len; i++)
      (opt ? s->opt : s->flash)[off + i] = lf_soc_garbage((opt ? OPT_BASE : FLASH_BASE) + off + i);
    for (uint32_t i = 0; s->op == OP_OPTERASE && i < s->op_len; i++)
      s->flash[i] = lf_soc_garbage(FLASH_BASE + i); /* the mass erase it started */
  }
  s->op = OP_NONE;
  s->acr = 0x10u; /* PRFTBE (R 3.1 reset 0x30 with PRFTBS) */
  s->sr = 0;
  s->cr = CR_LOCK;
  s->ar = 0;
  s->key_stage = s->optkey_stage = 0;
  s->key_dead = s->optkey_dead = false;
  load_options(s);
  if (power)
    s->debug_seen = false;
  update_lock(s);
  lf_rcc_reset(&s->rcc, power);
  lf_regblock_reset(&s->dbgmcu, power);
  for (unsigned g = 0; g < NGPIO; g++)
    lf_regblock_reset(&s->gpio[g], true);
  lf_crc_reset(&s->crc);
  lf_iwdg_reset(&s->iwdg, !(s->obr & OBR_IWDG_SW), s->p->f1_lsi_hz, t);
}

static void f1_set_uid(void *self, uint64_t seed)
{
  f1_soc *s = self;
  lf_stm32_uid_fill(s->sysmem + UID_OFF, seed);
}

static void f1_destroy(void *self)
{
  f1_soc *s = self;
  if (!s)
    return;
  free(s->flash);
  free(s->sram);
  free(s);
}

static void *f1_create(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                       size_t errlen)
{
  const f1_part *d = NULL;
  for (size_t i = 0; i < NPARTS; i++)
    if (strcmp(parts[i].name, part) == 0)
      d = &parts[i];
  if (!d) {
    snprintf(err, errlen, "soc: unknown part '%s'", part);
    return NULL;
  }
  f1_soc *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  s->d = d;
  s->p = env->p;
  s->faults = env->faults;
  s->c = env->c;
  s->gpio_obs = env->gpio;
  s->flash_size = d->flash_kib * 1024u;
  s->sram_size = d->sram_kib * 1024u;
  s->flash = malloc(s->flash_size);
  s->sram = calloc(1, s->sram_size);
  if (!s->flash || !s->sram) {
    f1_destroy(s);
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  memset(s->flash, 0xFF, s->flash_size);
  /* factory options (R 3.4): RDP 0xA5 (0x5AA5), the others 0xFF (0x00FF) */
  for (unsigned i = 0; i < 8; i++)
    lf_le_put(s->opt + 2 * i, i == 0 ? 0x5AA5u : 0x00FFu, 2);
  /* system memory stand-in: SP at the top of SRAM, every vector to a "b ." loop */
  memset(s->sysmem, 0xFF, sizeof s->sysmem);
  lf_le_put(s->sysmem, SRAM_BASE + s->sram_size, 4);
  for (uint32_t v = 1; v < 16; v++)
    lf_le_put(s->sysmem + 4 * v, (SYSMEM_BASE + 0x40u) | 1u, 4);
  lf_le_put(s->sysmem + 0x40, 0xE7FEu, 2);
  lf_le_put(s->sysmem + FSIZE_OFF, d->flash_kib, 2);
  f1_set_uid(s, d->uid_seed);
  s->regions[0] = (lf_soc_region){"flash-boot", FLASH_ALIAS, s->flash_size, s->flash, false, false};
  s->regions[1] = (lf_soc_region){"flash", FLASH_BASE, s->flash_size, s->flash, false, false};
  s->regions[2] = (lf_soc_region){"sysmem", SYSMEM_BASE, SYSMEM_SIZE, s->sysmem, false, false};
  s->regions[3] = (lf_soc_region){"sram", SRAM_BASE, s->sram_size, s->sram, true, false};
  lf_rcc_init(&s->rcc, (lf_stm32_reg_table)LF_STM32_REG_TABLE(rcc_regs), clk_srcs,
              sizeof clk_srcs / sizeof clk_srcs[0], RCC_CFGR, RCC_CSR);
  lf_regblock_init(&s->dbgmcu, (lf_stm32_reg_table)LF_STM32_REG_TABLE(dbgmcu_regs));
  for (unsigned g = 0; g < NGPIO; g++)
    lf_regblock_init(&s->gpio[g], (lf_stm32_reg_table)LF_STM32_REG_TABLE(gpio_regs));
  lf_crc_init(&s->crc, (lf_stm32_reg_table)LF_STM32_REG_TABLE(crc_regs), s->p->crc_cycles_per_word);
  lf_iwdg_init(&s->iwdg, (lf_stm32_reg_table)LF_STM32_REG_TABLE(iwdg_regs));
  f1_reset(s, LF_SOC_RESET_POWER, 0);
  *info = (lf_soc_info){
    .part = d->name,
    .idcode = d->idcode,
    .cpuid = 0x411FC231u,  /* R 1.1: Cortex-M3 r1p1 ([disagree] CMSIS says r2p0) */
    .dpidr = 0x1BA01477u,  /* R 1.1: SW-DP DPv1 (OpenOCD's expected id) */
    .targetid = 0,
    .ap_idr = 0x14770011u, /* R 1.1: AHB-AP (J-Link logs) */
    .ap_base = 0xE00FF003u,
    .regions = s->regions,
    .nregions = 4,
  };
  return s;
}

static uint32_t f1_boot_address(const void *self) { return FLASH_ALIAS; }
static int f1_rdp_level(const void *self) { return rdp_level(self); }
static bool f1_flash_locked(const void *self) { return ((const f1_soc *)self)->locked; }

static void f1_debug_connected(void *self)
{
  f1_soc *s = self;
  if (!s->debug_seen) {
    s->debug_seen = true;
    update_lock(s);
  }
}

static bool f1_peek_byte(const void *self, uint32_t a, uint8_t *out)
{
  const f1_soc *s = self;
  if (in(a, 1, OPT_BASE, OPT_SIZE)) {
    *out = s->opt[a - OPT_BASE];
    return true;
  }
  for (size_t i = 0; i < 4; i++)
    if (in(a, 1, s->regions[i].base, s->regions[i].size)) {
      *out = s->regions[i].mem[a - s->regions[i].base];
      return true;
    }
  return false;
}

/* State file: the flash array and the 16 option bytes. */
static int f1_save_state(const void *self, FILE *f, char *err, size_t errlen)
{
  f1_soc *s = (f1_soc *)self;
  lf_soc_state_blob b[] = {{"flash", s->flash, s->flash_size}, {"options", s->opt, OPT_SIZE}};
  return lf_soc_state_save(f, s->d->name, b, 2, err, errlen);
}

static int f1_load_state(void *self, FILE *f, char *err, size_t errlen)
{
  f1_soc *s = self;
  lf_soc_state_blob b[] = {{"flash", s->flash, s->flash_size}, {"options", s->opt, OPT_SIZE}};
  return lf_soc_state_load(f, s->d->name, b, 2, err, errlen);
}

static void f1_power_loss(void *self, uint64_t t)
{
  f1_soc *s = self;
  f1_reset(s, LF_SOC_RESET_SYSTEM, t); /* corrupts what was being written */
  for (uint32_t k = 0; k < s->sram_size; k++)
    s->sram[k] = lf_soc_garbage(SRAM_BASE + k);
  s->iwdg.running = false;
}

static uint64_t f1_watchdog_deadline(const void *self)
{
  return lf_iwdg_deadline(&((const f1_soc *)self)->iwdg);
}

/* Registered in soc.c's family table. */
const lf_soc_family lf_soc_family_stm32f1 = {
  .name = "stm32f1",
  .part_name = f1_part_name,
  .create = f1_create,
  .destroy = f1_destroy,
  .access = f1_access,
  .reset = f1_reset,
  .sysclk_hz = f1_sysclk_hz,
  .boot_address = f1_boot_address,
  .rdp_level = f1_rdp_level,
  .flash_locked = f1_flash_locked,
  .debug_connected = f1_debug_connected,
  .peek_byte = f1_peek_byte,
  .save_state = f1_save_state,
  .load_state = f1_load_state,
  .power_loss = f1_power_loss,
  .set_uid = f1_set_uid,
  .watchdog_deadline = f1_watchdog_deadline,
};
