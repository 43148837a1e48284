/* STM32H7 SoC model: the SoC family "stm32h7" behind soc.c (soc_family.h),
 * one part today, the STM32H743ZI of the NUCLEO-H743ZI. Facts:
 * stm32-f1-l4-h7-targets.md ("H7 n.m"): 1.3 identity and APs, 2.3 memory
 * map, 2.4 loader RAM, 5 flash (flashctl_h7.c), 7 CRC unit, 8 DBGMCU and
 * clocks, 9.1 what OpenOCD's examine-end touches, 11 board, 12 pitfalls.
 *
 * What is modeled:
 * - Memories: ITCM 64 KiB, flash 2 MiB (two banks, flashctl_h7.c), system
 *   memory 128 KiB holding the unique ID (0x1FF1E800) and the flash size
 *   (0x1FF1E880), DTCM 128 KiB, AXI SRAM 512 KiB, SRAM4 64 KiB, mapped for
 *   the core; SRAM1-3 (0x30000000, 288 KiB) and the backup SRAM
 *   (0x38800000, 4 KiB) through the bus: SRAM1-3 need their RCC_AHB2ENR
 *   clock bits 29-31 (off after reset) when h7_d2sram_clock_gated.
 * - Debug: SW-DP 0x6BA02477 (DPv2); AP0 AHB-AP (the core's view, ROM table
 *   0xE00FE000 by ST with part = DEV_ID, then the Cortex-M7 table, ETM,
 *   CTI), AP1 AHB-AP into the system (its purpose is unconfirmed: the SoC
 *   bus without the core's PPB), AP2 APB-AP on the debug APB: ROM table
 *   0xE00F0000, DBGMCU 0xE00E1000 (the same registers as 0x5C001000 on the
 *   system bus), SWO, SWTF, CSTF, ETF, TPIU (identification only).
 * - DBGMCU (IDCODE 0x10036450, rev Y [unconf which revision a NUCLEO-H743ZI
 *   carries]; CR and the freeze registers store every bit written: OpenOCD
 *   sets bits the H743 does not define, H7 9.1) and the trace funnel SWTF
 *   at 0x5C004000; 0xE0042000 (DBGMCU of the F4/F7) reads
 *   h7_e0042000_value.
 * - RCC (0x58024400): HSI 64 MHz with HSIDIV, CSI, HSE (params hse_hz, the
 *   ST-LINK's 8 MHz MCO), PLL1 (PLLCKSELR DIVM1, PLL1DIVR DIVN1/DIVP1, lock
 *   after pll_lock_ns), SW/SWS, D1CPRE for the core clock; the clock
 *   enables of AHB4 (GPIO ports, CRC) and AHB2 (SRAM1-3).
 * - CRC unit (0x58024C00, programmable as the F7's, IDR 32 bits, clock
 *   RCC_AHB4ENR bit 19: reads 0 and ignores writes without it), IWDG1
 *   (0x58004800, hardware mode from OPTSR.IWDG1_SW = 0), GPIOA-K
 *   (0x58020000, H7 reset values: analog mode; LCKR is storage, its lock
 *   sequence is not modeled).
 * - Read protection as on the F4/F7 bench (soc_stm32.c), with the H7's
 *   registers: RDP >= 1 makes DEBUG reads of flash and backup SRAM fail;
 *   with the debug port used since power-on or a boot from outside flash
 *   (params rdp1_blocks_flash_with_debug) the core loses flash and backup
 *   SRAM too, and program/erase end in WRPERR.
 * - Any other address of a peripheral bus window reads 0 and ignores
 *   writes; outside every memory and window: LF_BUS_ERR.
 * Not modeled: AP0 losing the system bus while NRST is held (H7 12 #14),
 * caches, the PWR block (reads 0), bank swap, the flash-CRC engine. */
#include "bench/soc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/flashctl_h7.h"
#include "bench/soc_family.h"
#include "bench/soc_util.h"

/* ------------------------------------------------------------------ */
/* Part data                                                           */

#define IDCODE_H743 0x10036450u
#define CPUID_H743 0x411FC271u  /* H7 1.3: Cortex-M7 r1p1 */
#define DPIDR_H743 0x6BA02477u  /* H7 1.3: DPv2 */
#define TARGETID_H743 0x04500041u /* [unconf] TPARTNO 0x450, designer ST (not in the references) */
#define AP0_IDR 0x84770001u     /* H7 1.3 (H750/H745 logs; ≈ for the H743) */
#define AP0_BASE 0xE00FE003u
#define AP1_IDR 0x84770001u
#define AP1_BASE 0x00000002u    /* [unconf] no ROM table (ADIv5 format, not present) */
#define AP2_IDR 0x54770002u
#define AP2_BASE 0xE00F0003u
#define UID_ADDR 0x1FF1E800u    /* H7 1.3 */
#define FSIZE_ADDR 0x1FF1E880u
#define UID_SEED 0x4C46F743ull

enum {
  ITCM = 0x00000000u, SYSMEM = 0x1FF00000u, DTCM = 0x20000000u, AXISRAM = 0x24000000u,
  D2SRAM = 0x30000000u, SRAM4 = 0x38000000u, BKPSRAM = 0x38800000u,
  FLASH_REGS = 0x52002000u, RCC_BASE = 0x58024400u, CRC_BASE = 0x58024C00u,
  IWDG_BASE = 0x58004800u, GPIO_BASE = 0x58020000u, DBGMCU_SYS = 0x5C001000u,
  SWTF_SYS = 0x5C004000u, F7_DBGMCU = 0xE0042000u,
  DBGMCU_APB = 0xE00E1000u, SWTF_APB = 0xE00E4000u,
};
#define SYSMEM_SIZE (128u << 10)
#define D2SRAM_SIZE (288u << 10)
#define NGPIO 11u
#define SYSROM_SP 0x20020000u /* the stand-in system memory's SP: DTCM top (bench choice) */

/* Memories the core maps directly (H7 2.3). */
enum { R_ITCM, R_FLASH, R_SYSMEM, R_DTCM, R_AXI, R_SRAM4, NREGIONS };
static const struct { const char *name; uint32_t base, size; } mems[NREGIONS] = {
  {"itcm", ITCM, 64u << 10},       {"flash", LF_FCH7_BASE, LF_FCH7_SIZE},
  {"sysmem", SYSMEM, SYSMEM_SIZE}, {"dtcm", DTCM, 128u << 10},
  {"axisram", AXISRAM, 512u << 10}, {"sram4", SRAM4, 64u << 10},
};

/* Peripheral bus windows (CMSIS bases): D2 APB1/APB2/AHB1, D2 AHB2, D1
 * APB3, AXI GPV, D1 AHB3, D3 APB4/AHB4, debug. */
static const struct { uint32_t base, size; } windows[] = {
  {0x40000000u, 0x80000u}, {0x48020000u, 0x4000u}, {0x50000000u, 0x10000u},
  {0x51000000u, 0x100000u}, {0x52000000u, 0x10000u}, {0x58000000u, 0x28000u},
  {0x5C000000u, 0x10000u},
};

/* RCC (RM0433 register map; reset values as recalled [unconf]). CR: ready
 * bits are computed (rcc_read). */
enum { RCC_CR = 0x000, RCC_CFGR = 0x010, RCC_D1CFGR = 0x018, RCC_PLLCKSELR = 0x028,
       RCC_PLL1DIVR = 0x030, RCC_AHB2ENR = 0x0DC, RCC_AHB4ENR = 0x0E0 };
#define CR_HSION 0x1u
#define CR_HSIRDY 0x4u
#define CR_HSIDIVF 0x20u
#define CR_CSION 0x80u
#define CR_CSIRDY 0x100u
#define CR_D1CKRDY 0x4000u
#define CR_D2CKRDY 0x8000u
#define CR_HSEON 0x10000u
#define CR_HSERDY 0x20000u
#define CR_PLL1ON 0x1000000u
#define CR_PLL1RDY 0x2000000u
static const lf_stm32_reg rcc_regs[] = {
  {0x000, 0x00000001u, 0x150D129Bu, 0}, /* CR: HSION (+ HSIRDY, HSIDIVF, DxCKRDY computed) */
  {0x004, 0x40000000u, 0x7F000FFFu, 0}, /* HSICFGR */
  {0x010, 0x00000000u, 0xFFFFFFC7u, 0}, /* CFGR: SWS 5:3 computed */
  {0x018, 0x00000000u, 0x00000F7Fu, 0}, /* D1CFGR */
  {0x01C, 0x00000000u, 0x00000770u, 0}, /* D2CFGR */
  {0x020, 0x00000000u, 0x00000070u, 0}, /* D3CFGR */
  {0x028, 0x02020200u, 0x03F3F3F3u, 0}, /* PLLCKSELR: DIVM1-3 = 32, PLLSRC HSI */
  {0x02C, 0x01FF0000u, 0x01FF0FFFu, 0}, /* PLLCFGR */
  {0x030, 0x01010280u, 0x7F7FFFFFu, 0}, /* PLL1DIVR */
  {0x034, 0x00000000u, 0x0000FFF8u, 0}, /* PLL1FRACR */
  {0x038, 0x01010280u, 0x7F7FFFFFu, 0}, /* PLL2DIVR */
  {0x040, 0x01010280u, 0x7F7FFFFFu, 0}, /* PLL3DIVR */
  {0x04C, 0x00000000u, 0xFFFFFFFFu, 0}, /* D1CCIPR */
  {0x050, 0x00000000u, 0xFFFFFFFFu, 0}, /* D2CCIP1R */
  {0x054, 0x00000000u, 0xFFFFFFFFu, 0}, /* D2CCIP2R */
  {0x058, 0x00000000u, 0xFFFFFFFFu, 0}, /* D3CCIPR */
  {0x070, 0x00000000u, 0xFFFFFFFFu, 0}, /* BDCR */
  {0x074, 0x00000000u, 0x00000001u, 0}, /* CSR: LSION */
  {0x0D0, 0x00000000u, 0x00010000u, 0}, /* RSR */
  {0x0D4, 0x00000000u, 0xFFFFFFFFu, 0}, /* AHB3ENR */
  {0x0D8, 0x00000000u, 0xFFFFFFFFu, 0}, /* AHB1ENR */
  {0x0DC, 0x00000000u, 0xFFFFFFFFu, 0}, /* AHB2ENR: SRAM1-3 29-31 */
  {0x0E0, 0x00000000u, 0xFFFFFFFFu, 0}, /* AHB4ENR: GPIOA-K 0-10, CRC 19, BKPRAM 28 */
  {0x0E4, 0x00000000u, 0xFFFFFFFFu, 0}, /* APB3ENR */
  {0x0E8, 0x00000000u, 0xFFFFFFFFu, 0}, /* APB1LENR */
  {0x0EC, 0x00000000u, 0xFFFFFFFFu, 0}, /* APB1HENR */
  {0x0F0, 0x00000000u, 0xFFFFFFFFu, 0}, /* APB2ENR */
  {0x0F4, 0x00000000u, 0xFFFFFFFFu, 0}, /* APB4ENR */
};
#define AHB4_CRCEN 19u

/* CRC unit (H7 7): as the F7's, IDR 32 bits. */
static const lf_stm32_reg crc_regs[] = {
  {0x00, 0xFFFFFFFFu, 0, 0}, {0x04, 0, 0xFFFFFFFFu, 0}, {0x08, 0, 0xF8u, 0},
  {0x10, 0xFFFFFFFFu, 0xFFFFFFFFu, 0}, {0x14, 0x04C11DB7u, 0xFFFFFFFFu, 0},
};

/* IWDG1: KR, PR, RLR, SR, WINR. */
static const lf_stm32_reg iwdg_regs[] = {
  {0x00, 0, 0, LF_STM32_WO}, {0x04, 0, 0x7u, 0}, {0x08, 0xFFFu, 0xFFFu, 0},
  {0x0C, 0, 0, LF_STM32_RO}, {0x10, 0xFFFu, 0xFFFu, 0},
};

/* DBGMCU (H7 8, 9.1): every bit written is kept (OpenOCD's read-modify-
 * writes set bits the H743 does not define); cleared by power-on only
 * [unconf, H7 8]. */
static const lf_stm32_reg dbgmcu_regs[] = {
  {0x00, IDCODE_H743, 0, LF_STM32_RO},
  {0x04, 0, 0xFFFFFFFFu, LF_STM32_KEEP_SYS}, {0x34, 0, 0xFFFFFFFFu, LF_STM32_KEEP_SYS},
  {0x3C, 0, 0xFFFFFFFFu, LF_STM32_KEEP_SYS}, {0x44, 0, 0xFFFFFFFFu, LF_STM32_KEEP_SYS},
  {0x4C, 0, 0xFFFFFFFFu, LF_STM32_KEEP_SYS}, {0x54, 0, 0xFFFFFFFFu, LF_STM32_KEEP_SYS},
};

/* SWO trace funnel (SWTF) CTRL/PRIO: storage, reset values [unconf]. */
static const lf_stm32_reg swtf_regs[] = {
  {0x00, 0x00000300u, 0xFFFFFFFFu, 0}, {0x04, 0, 0xFFFFFFFFu, 0},
};

/* GPIO port registers; MODER/OSPEEDR/PUPDR resets per port below. */
enum { G_MODER = 0x00, G_OSPEEDR = 0x08, G_PUPDR = 0x0C, G_IDR = 0x10, G_ODR = 0x14,
       G_BSRR = 0x18 };
static const lf_stm32_reg gpio_regs[] = {
  {0x00, 0xFFFFFFFFu, 0xFFFFFFFFu, 0}, {0x04, 0, 0xFFFFu, 0}, {0x08, 0, 0xFFFFFFFFu, 0},
  {0x0C, 0, 0xFFFFFFFFu, 0}, {0x10, 0, 0, LF_STM32_RO}, {0x14, 0, 0xFFFFu, 0},
  {0x18, 0, 0xFFFFFFFFu, LF_STM32_WO}, {0x1C, 0, 0x1FFFFu, 0}, {0x20, 0, 0xFFFFFFFFu, 0},
  {0x24, 0, 0xFFFFFFFFu, 0},
};
/* GPIOA/GPIOB differ (debug pins); the rest reset to analog [unconf]. */
static const struct { uint32_t moder, ospeedr, pupdr; } gpio_resets[2] = {
  {0xABFFFFFFu, 0x0C000000u, 0x64000000u}, {0xFFFFFEBFu, 0x000000C0u, 0x00000100u},
};

/* The core's CoreSight components as the H7 integrates them (H7 1.3: AP0
 * ROM table 0xE00FE000 by ST, part = DEV_ID, then the Arm Cortex-M7
 * table 0xE00FF000 (SCS, DWT, FPB, ITM), ETM 0xE0041000, CTI 0xE0043000).
 * Part numbers of the Arm components as the F7 profile (cortexm.c), ETM
 * 0x975 and CTI 0x906 [unconf]; revisions 0. */
static const lf_cs_ident core_rom[] = {
  {0xE00FE000u, 0x450, 0x20, 0x0, 0x1, 0, 0, {0x00001003u, 0xFFF43003u, 0xFFF45003u, 0}},
  {0xE00FF000u, 0x4C7, 0x3B, 0x4, 0x1, 0, 0,
   {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u, 0}},
  {0xE000E000u, 0x00C, 0x3B, 0x4, 0xE, 0, 0, {0}},   /* SCS */
  {0xE0001000u, 0x002, 0x3B, 0x4, 0xE, 0, 0, {0}},   /* DWT */
  {0xE0002000u, 0x00E, 0x3B, 0x4, 0xE, 0, 0, {0}},   /* FPB */
  {0xE0000000u, 0x001, 0x3B, 0x4, 0xE, 0, 0, {0}},   /* ITM */
  {0xE0041000u, 0x975, 0x3B, 0x4, 0x9, 0, 0x13, {0}}, /* ETM */
  {0xE0043000u, 0x906, 0x3B, 0x4, 0x9, 0, 0x14, {0}}, /* CTI */
};

/* The debug APB behind AP2 (H7 1.3: ROM table 0xE00F0000 listing DBGMCU
 * 0xE00E1000, SWO 0xE00E3000, SWTF 0xE00E4000, CSTF 0xE00F3000, ETF
 * 0xE00F4000, TPIU 0xE00F5000). Addresses from the reference; the ROM
 * table's identity (ST, part = DEV_ID) and the part numbers (SWO 0x914,
 * funnels 0x908, ETF 0x961, TPIU 0x912) are [unconf]. */
static const lf_cs_ident apb_rom[] = {
  {0xE00F0000u, 0x450, 0x20, 0x0, 0x1, 0, 0,
   {0xFFFF1003u, 0xFFFF3003u, 0xFFFF4003u, 0x00003003u, 0x00004003u, 0x00005003u, 0}},
  {0xE00E1000u, 0x450, 0x20, 0x0, 0xE, 0, 0, {0}},   /* DBGMCU */
  {0xE00E3000u, 0x914, 0x3B, 0x4, 0x9, 0, 0x11, {0}}, /* SWO */
  {0xE00E4000u, 0x908, 0x3B, 0x4, 0x9, 0, 0x12, {0}}, /* SWTF */
  {0xE00F3000u, 0x908, 0x3B, 0x4, 0x9, 0, 0x12, {0}}, /* CSTF */
  {0xE00F4000u, 0x961, 0x3B, 0x4, 0x9, 0, 0x32, {0}}, /* ETF */
  {0xE00F5000u, 0x912, 0x3B, 0x4, 0x9, 0, 0x11, {0}}, /* TPIU */
};

/* ------------------------------------------------------------------ */
/* State                                                               */

typedef struct h7_soc {
  const lf_bench_params *p;
  const lf_soc_gpio_obs *gpio_obs;
  lf_fch7 *fc;
  uint8_t *mem[NREGIONS];      /* R_FLASH points into the controller */
  uint8_t *d2sram, *bkpsram;
  lf_soc_region regions[NREGIONS];
  lf_regblock rcc, dbgmcu, swtf, gpio[NGPIO];
  lf_crc_unit crc;
  lf_iwdg iwdg;
  uint64_t pll1_on_at;
  unsigned sws;
  bool debug_seen, boot_nonflash;
  lf_soc_counters *c;
} h7_soc;

static const char *const parts[] = {"stm32h743zi", NULL};

static const char *h7_part_name(size_t i) { return i < 1 ? parts[i] : NULL; }

/* ------------------------------------------------------------------ */
/* RCC                                                                 */

static bool rcc_on(const h7_soc *s, uint32_t reg, unsigned bit)
{
  return (lf_regblock_get(&s->rcc, reg) >> bit) & 1u;
}

static double hsi_hz(const h7_soc *s)
{
  return s->p->h7_hsi_hz / (double)(1u << ((lf_regblock_get(&s->rcc, RCC_CR) >> 3) & 3));
}

static bool pll1_ready(const h7_soc *s, uint64_t t)
{
  return (lf_regblock_get(&s->rcc, RCC_CR) & CR_PLL1ON) &&
         t >= s->pll1_on_at + (uint64_t)llround(s->p->pll_lock_ns > 0 ? s->p->pll_lock_ns : 0);
}

/* SW: 0 HSI, 1 CSI, 2 HSE, 3 PLL1 (RM0433). */
static bool source_ready(const h7_soc *s, unsigned src, uint64_t t)
{
  uint32_t cr = lf_regblock_get(&s->rcc, RCC_CR);
  switch (src) {
  case 0: return cr & CR_HSION;
  case 1: return cr & CR_CSION;
  case 2: return (cr & CR_HSEON) && s->p->hse_hz > 0;
  case 3: return pll1_ready(s, t);
  default: return false;
  }
}

static void rcc_update(h7_soc *s, uint64_t t)
{
  unsigned sw = lf_regblock_get(&s->rcc, RCC_CFGR) & 7u;
  if (sw != s->sws && source_ready(s, sw, t))
    s->sws = sw;
}

static uint32_t rcc_read(h7_soc *s, uint32_t off, uint64_t t)
{
  rcc_update(s, t);
  uint32_t v = lf_regblock_get(&s->rcc, off);
  if (off == RCC_CR) {
    v |= CR_HSIDIVF | CR_D1CKRDY | CR_D2CKRDY;
    if (source_ready(s, 0, t))
      v |= CR_HSIRDY;
    if (source_ready(s, 1, t))
      v |= CR_CSIRDY;
    if (source_ready(s, 2, t))
      v |= CR_HSERDY;
    if (pll1_ready(s, t))
      v |= CR_PLL1RDY;
  } else if (off == RCC_CFGR) {
    v = (v & ~0x38u) | (s->sws << 3);
  }
  return v;
}

static void rcc_write(h7_soc *s, uint32_t off, uint32_t wv, uint32_t lanes, uint64_t t)
{
  rcc_update(s, t);
  uint32_t old = lf_regblock_get(&s->rcc, off);
  lf_regblock_write(&s->rcc, off, wv, lanes);
  if (off == RCC_CR && (lf_regblock_get(&s->rcc, RCC_CR) & CR_PLL1ON) && !(old & CR_PLL1ON))
    s->pll1_on_at = t;
  rcc_update(s, t);
}

static double h7_sysclk_hz(const void *self)
{
  const h7_soc *s = self;
  double sys;
  switch (s->sws) {
  case 1: sys = 4e6; break; /* CSI */
  case 2: sys = s->p->hse_hz; break;
  case 3: {
    uint32_t ck = lf_regblock_get(&s->rcc, RCC_PLLCKSELR), dv = lf_regblock_get(&s->rcc, RCC_PLL1DIVR);
    unsigned m = (ck >> 4) & 0x3F, n = (dv & 0x1FF) + 1, pdiv = ((dv >> 9) & 0x7F) + 1;
    double src = (ck & 3) == 0 ? hsi_hz(s) : (ck & 3) == 1 ? 4e6 : (ck & 3) == 2 ? s->p->hse_hz : 0;
    sys = m ? src / m * n / pdiv : 0;
    break;
  }
  default: sys = hsi_hz(s); break;
  }
  unsigned cpre = (lf_regblock_get(&s->rcc, RCC_D1CFGR) >> 8) & 0xF;
  static const unsigned div[8] = {2, 4, 8, 16, 64, 128, 256, 512};
  return cpre & 8 ? sys / div[cpre & 7] : sys;
}

/* ------------------------------------------------------------------ */
/* GPIO                                                                */

static uint32_t gpio_idr(const h7_soc *s, unsigned port)
{
  const lf_regblock *g = &s->gpio[port];
  uint32_t moder = lf_regblock_get(g, G_MODER), pupd = lf_regblock_get(g, G_PUPDR);
  uint32_t odr = lf_regblock_get(g, G_ODR), idr = 0;
  for (unsigned pin = 0; pin < 16; pin++) {
    unsigned mode = (moder >> (2 * pin)) & 3, pull = (pupd >> (2 * pin)) & 3;
    idr |= (uint32_t)(mode == 1 ? (odr >> pin) & 1 : pull == 1) << pin;
  }
  return idr;
}

static void gpio_odr(h7_soc *s, unsigned port, uint32_t n, uint64_t t)
{
  uint32_t *odr = lf_regblock_ptr(&s->gpio[port], G_ODR), old = *odr;
  *odr = n & 0xFFFFu;
  if (old != *odr && s->gpio_obs->fn)
    s->gpio_obs->fn(s->gpio_obs->ctx, port, old, *odr, t);
}

static void gpio_write(h7_soc *s, unsigned port, uint32_t off, uint32_t wv, uint32_t lanes,
                       uint64_t t)
{
  uint32_t odr = lf_regblock_get(&s->gpio[port], G_ODR);
  if (off == G_ODR)
    gpio_odr(s, port, (odr & ~lanes) | (wv & lanes), t);
  else if (off == G_BSRR)
    gpio_odr(s, port, (odr & ~((wv & lanes) >> 16)) | (wv & lanes & 0xFFFFu), t); /* set wins */
  else
    lf_regblock_write(&s->gpio[port], off, wv, lanes);
}

static void gpio_reset(h7_soc *s)
{
  for (unsigned g = 0; g < NGPIO; g++) {
    lf_regblock_reset(&s->gpio[g], true);
    if (g < 2) {
      *lf_regblock_ptr(&s->gpio[g], G_MODER) = gpio_resets[g].moder;
      *lf_regblock_ptr(&s->gpio[g], G_OSPEEDR) = gpio_resets[g].ospeedr;
      *lf_regblock_ptr(&s->gpio[g], G_PUPDR) = gpio_resets[g].pupdr;
    }
  }
}

/* ------------------------------------------------------------------ */
/* Bus                                                                 */

static bool in(uint32_t a, unsigned size, uint32_t base, uint32_t len)
{
  return a >= base && a - base < len && a - base + size <= len;
}

/* A peripheral register block: lanes of the aligned word. */
static int periph(h7_soc *s, uint32_t addr, unsigned size, bool write, uint32_t *val,
                  uint64_t *t, bool *hit)
{
  uint32_t off = addr & 0x3FCu, lanes = lf_soc_lanes(addr, size), sh = (addr & 3) * 8;
  uint32_t wv = write ? (*val << sh) & lanes : 0, v = 0;
  *hit = true;
  if (in(addr, size, RCC_BASE, 0x400)) {
    if (write) rcc_write(s, off, wv, lanes, *t);
    else v = rcc_read(s, off, *t);
  } else if (in(addr, size, CRC_BASE, 0x400)) {
    if (rcc_on(s, RCC_AHB4ENR, AHB4_CRCEN)) {
      if (write) lf_crc_write(&s->crc, off, wv, lanes, *val, size, h7_sysclk_hz(s), t, &s->c->stall_ns);
      else v = lf_crc_read(&s->crc, off, t, &s->c->stall_ns);
    }
  } else if (in(addr, size, IWDG_BASE, 0x400)) {
    if (write) lf_iwdg_write(&s->iwdg, off, wv, lanes, s->p->iwdg_lsi_hz, *t);
    else v = lf_regblock_read(&s->iwdg.r, off);
  } else if (in(addr, size, GPIO_BASE, 0x400 * NGPIO)) {
    unsigned port = (addr - GPIO_BASE) / 0x400;
    if (rcc_on(s, RCC_AHB4ENR, port)) {
      if (write) gpio_write(s, port, off, wv, lanes, *t);
      else v = off == G_IDR ? gpio_idr(s, port) : lf_regblock_read(&s->gpio[port], off);
    }
  } else if (in(addr, size, DBGMCU_SYS, 0x400) || in(addr, size, DBGMCU_APB, 0x400)) {
    if (write) lf_regblock_write(&s->dbgmcu, off, wv, lanes);
    else v = lf_regblock_read(&s->dbgmcu, off);
  } else if (in(addr, size, SWTF_SYS, 0x400) || in(addr, size, SWTF_APB, 0x400)) {
    if (write) lf_regblock_write(&s->swtf, off, wv, lanes);
    else v = lf_regblock_read(&s->swtf, off);
  } else if (in(addr, size, F7_DBGMCU, 0x1000)) {
    v = addr - F7_DBGMCU < 4 ? (uint32_t)s->p->h7_e0042000_value : 0;
  } else {
    *hit = false;
    return LF_BUS_ERR;
  }
  if (!write)
    *val = (v & lanes) >> sh;
  return LF_BUS_OK;
}

static bool rdp_blocks(const h7_soc *s, lf_bus_master m)
{
  return m == LF_BUS_DEBUG ? lf_fch7_rdp_level(s->fc) >= 1 : lf_fch7_locked(s->fc);
}

static int h7_access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                     uint32_t *val, uint64_t *t)
{
  h7_soc *s = self;
  if (size != 1 && size != 2 && size != 4)
    return LF_BUS_ERR;
  if (in(addr, size, LF_FCH7_BASE, LF_FCH7_SIZE))
    return lf_fch7_array_access(s->fc, m, addr - LF_FCH7_BASE, size, write, val, t);
  for (unsigned i = 0; i < NREGIONS; i++)
    if (i != R_FLASH && in(addr, size, mems[i].base, mems[i].size)) {
      uint8_t *p = s->mem[i] + (addr - mems[i].base);
      if (i == R_SYSMEM && write)
        return LF_BUS_ERR;
      if (write)
        lf_le_put(p, *val, size);
      else
        *val = lf_le_get(p, size);
      return LF_BUS_OK;
    }
  uint8_t *p = NULL;
  if (in(addr, size, D2SRAM, D2SRAM_SIZE)) {
    unsigned bit = 29 + (addr - D2SRAM < (128u << 10) ? 0 : addr - D2SRAM < (256u << 10) ? 1 : 2);
    if (s->p->h7_d2sram_clock_gated != 0 && !rcc_on(s, RCC_AHB2ENR, bit))
      return LF_BUS_ERR;
    p = s->d2sram + (addr - D2SRAM);
  } else if (in(addr, size, BKPSRAM, 4u << 10)) {
    if (rdp_blocks(s, m))
      return LF_BUS_ERR;
    p = s->bkpsram + (addr - BKPSRAM);
  }
  if (p) {
    if (write)
      lf_le_put(p, *val, size);
    else
      *val = lf_le_get(p, size);
    return LF_BUS_OK;
  }
  if (in(addr, size, FLASH_REGS, 0x200))
    return lf_fch7_reg(s->fc, m, addr - FLASH_REGS, size, write, val, t);
  bool hit;
  int rc = periph(s, addr, size, write, val, t, &hit);
  if (hit)
    return rc;
  for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++)
    if (in(addr, size, windows[i].base, windows[i].size)) {
      if (!write)
        *val = 0;
      return LF_BUS_OK;
    }
  return LF_BUS_ERR;
}

/* AP2's view: the debug APB (identification, DBGMCU, SWTF; the trace
 * components' other registers read 0). */
static int h7_debug_apb(void *self, uint32_t addr, unsigned size, bool write, uint32_t *val,
                        uint64_t *t)
{
  h7_soc *s = self;
  bool hit = false;
  uint32_t v = lf_cs_ident_read(apb_rom, sizeof apb_rom / sizeof apb_rom[0], addr & ~3u,
                                IDCODE_H743 & 0xFFFu, &hit);
  if (hit) {
    if (!write)
      *val = v;
    return LF_BUS_OK;
  }
  if (in(addr, size, DBGMCU_APB, 0x400) || in(addr, size, SWTF_APB, 0x400))
    return periph(s, addr, size, write, val, t, &hit);
  for (size_t i = 0; i < sizeof apb_rom / sizeof apb_rom[0]; i++)
    if (in(addr, size, apb_rom[i].base, 0x1000)) {
      if (!write)
        *val = 0;
      return LF_BUS_OK;
    }
  return LF_BUS_ERR;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static uint32_t h7_boot_address(const void *self)
{
  const h7_soc *s = self;
  return (lf_fch7_boot(s->fc) & 0xFFFFu) << 16; /* BOOT pin low: BOOT_ADD0 (H7 5.1) */
}

/* Re-evaluates the read-protection lock (soc_stm32.c's rule). */
static void update_lock(h7_soc *s)
{
  bool locked = s->p->rdp1_blocks_flash_with_debug != 0 && lf_fch7_rdp_level(s->fc) >= 1 &&
                (s->debug_seen || s->boot_nonflash);
  lf_fch7_set_locked(s->fc, locked);
  s->regions[R_FLASH].blocked = locked;
}

static void h7_reset(void *self, lf_soc_reset_kind kind, uint64_t t)
{
  h7_soc *s = self;
  bool power = kind == LF_SOC_RESET_POWER;
  lf_fch7_reset(s->fc, power, t);
  if (power)
    s->debug_seen = false;
  uint32_t boot = h7_boot_address(s);
  s->boot_nonflash = !(boot >= LF_FCH7_BASE && boot - LF_FCH7_BASE < LF_FCH7_SIZE);
  update_lock(s);
  lf_regblock_reset(&s->rcc, true);
  lf_regblock_reset(&s->dbgmcu, power);
  lf_regblock_reset(&s->swtf, true);
  lf_crc_reset(&s->crc);
  gpio_reset(s);
  s->pll1_on_at = 0;
  s->sws = 0;
  lf_iwdg_reset(&s->iwdg, !(lf_fch7_optsr(s->fc) & LF_FCH7_OPTSR_IWDG1_SW), s->p->iwdg_lsi_hz, t);
}

static void h7_debug_connected(void *self)
{
  h7_soc *s = self;
  if (s->debug_seen)
    return;
  s->debug_seen = true;
  update_lock(s);
}

static void h7_set_uid(void *self, uint64_t seed)
{
  h7_soc *s = self;
  lf_stm32_uid_fill(s->mem[R_SYSMEM] + (UID_ADDR - SYSMEM), seed);
}

static void fill_sysmem(uint8_t *m)
{
  memset(m, 0xFF, SYSMEM_SIZE);
  /* stand-in for ST's bootloader (as soc_stm32.c): SP, then every handler
   * a "b ." loop at +0x40 */
  lf_le_put(m, SYSROM_SP, 4);
  for (uint32_t v = 1; v < 16; v++)
    lf_le_put(m + 4 * v, (SYSMEM + 0x40u) | 1u, 4);
  lf_le_put(m + 0x40, 0xE7FEu, 2);
  lf_le_put(m + (FSIZE_ADDR - SYSMEM), LF_FCH7_SIZE >> 10, 2); /* 0x0800 = 2048 KiB */
}

static void h7_destroy(void *self)
{
  h7_soc *s = self;
  if (!s)
    return;
  for (unsigned i = 0; i < NREGIONS; i++)
    if (i != R_FLASH)
      free(s->mem[i]);
  free(s->d2sram);
  free(s->bkpsram);
  lf_fch7_free(s->fc);
  free(s);
}

static void *h7_create(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                       size_t errlen)
{
  if (strcmp(part, parts[0]) != 0) {
    snprintf(err, errlen, "soc: unknown part '%s'", part);
    return NULL;
  }
  h7_soc *s = calloc(1, sizeof *s);
  if (!s)
    goto oom;
  s->p = env->p;
  s->c = env->c;
  s->gpio_obs = env->gpio;
  s->fc = lf_fch7_new(env->p, env->faults, env->c);
  s->d2sram = calloc(1, D2SRAM_SIZE);
  s->bkpsram = calloc(1, 4u << 10);
  if (!s->fc || !s->d2sram || !s->bkpsram)
    goto oom;
  for (unsigned i = 0; i < NREGIONS; i++) {
    s->mem[i] = i == R_FLASH ? lf_fch7_array(s->fc) : calloc(1, mems[i].size);
    if (!s->mem[i])
      goto oom;
    bool ram = i != R_FLASH && i != R_SYSMEM;
    s->regions[i] = (lf_soc_region){mems[i].name, mems[i].base, mems[i].size, s->mem[i], ram, false};
  }
  fill_sysmem(s->mem[R_SYSMEM]);
  h7_set_uid(s, UID_SEED);
  lf_regblock_init(&s->rcc, (lf_stm32_reg_table)LF_STM32_REG_TABLE(rcc_regs));
  lf_regblock_init(&s->dbgmcu, (lf_stm32_reg_table)LF_STM32_REG_TABLE(dbgmcu_regs));
  lf_regblock_init(&s->swtf, (lf_stm32_reg_table)LF_STM32_REG_TABLE(swtf_regs));
  for (unsigned g = 0; g < NGPIO; g++)
    lf_regblock_init(&s->gpio[g], (lf_stm32_reg_table)LF_STM32_REG_TABLE(gpio_regs));
  lf_crc_init(&s->crc, (lf_stm32_reg_table)LF_STM32_REG_TABLE(crc_regs), env->p->crc_cycles_per_word);
  lf_iwdg_init(&s->iwdg, (lf_stm32_reg_table)LF_STM32_REG_TABLE(iwdg_regs));
  h7_reset(s, LF_SOC_RESET_POWER, 0);
  *info = (lf_soc_info){
    .part = parts[0], .idcode = IDCODE_H743, .cpuid = CPUID_H743, .dpidr = DPIDR_H743,
    .targetid = TARGETID_H743, .ap_idr = AP0_IDR, .ap_base = AP0_BASE, .regions = s->regions,
    .nregions = NREGIONS,
    .aps = {{AP1_IDR, AP1_BASE, LF_SOC_AP_SYSTEM}, {AP2_IDR, AP2_BASE, LF_SOC_AP_DEBUG_APB}},
    .core_rom = core_rom, .ncore_rom = sizeof core_rom / sizeof core_rom[0],
  };
  return s;
oom:
  snprintf(err, errlen, "soc: out of memory");
  h7_destroy(s);
  return NULL;
}

static int h7_rdp_level(const void *self) { return lf_fch7_rdp_level(((const h7_soc *)self)->fc); }
static bool h7_flash_locked(const void *self) { return lf_fch7_locked(((const h7_soc *)self)->fc); }
static uint64_t h7_watchdog_deadline(const void *self) { return lf_iwdg_deadline(&((const h7_soc *)self)->iwdg); }

static bool h7_peek_byte(const void *self, uint32_t a, uint8_t *out)
{
  const h7_soc *s = self;
  for (unsigned i = 0; i < NREGIONS; i++)
    if (in(a, 1, mems[i].base, mems[i].size)) {
      *out = s->mem[i][a - mems[i].base];
      return true;
    }
  if (in(a, 1, D2SRAM, D2SRAM_SIZE)) {
    *out = s->d2sram[a - D2SRAM];
    return true;
  }
  if (in(a, 1, BKPSRAM, 4u << 10)) {
    *out = s->bkpsram[a - BKPSRAM];
    return true;
  }
  return false;
}

/* State file: the flash array, the ECC map, the programmed options (8
 * little-endian words: OPTSR, WPSN1, WPSN2, BOOT, PRAR1, PRAR2, SCAR1,
 * SCAR2). */
static void opt_words(const lf_fch7_options *o, uint32_t w[8])
{
  const uint32_t v[8] = {o->optsr, o->wpsn[0], o->wpsn[1], o->boot, o->prar[0], o->prar[1],
                         o->scar[0], o->scar[1]};
  memcpy(w, v, sizeof v);
}

static int h7_save_state(const void *self, FILE *f, char *err, size_t errlen)
{
  const h7_soc *s = self;
  lf_fch7_options o;
  lf_fch7_options_get(s->fc, &o);
  uint32_t w[8];
  opt_words(&o, w);
  uint8_t opt[32];
  for (int i = 0; i < 8; i++)
    lf_le_put(opt + 4 * i, w[i], 4);
  const lf_soc_state_blob blobs[] = {
    {"flash", lf_fch7_array(s->fc), LF_FCH7_SIZE},
    {"ecc", lf_fch7_ecc_map(s->fc), lf_fch7_ecc_map_bytes()},
    {"options", opt, sizeof opt},
  };
  return lf_soc_state_save(f, parts[0], blobs, 3, err, errlen);
}

static int h7_load_state(void *self, FILE *f, char *err, size_t errlen)
{
  h7_soc *s = self;
  uint8_t opt[32];
  const lf_soc_state_blob blobs[] = {
    {"flash", lf_fch7_array(s->fc), LF_FCH7_SIZE},
    {"ecc", lf_fch7_ecc_map(s->fc), lf_fch7_ecc_map_bytes()},
    {"options", opt, sizeof opt},
  };
  if (lf_soc_state_load(f, parts[0], blobs, 3, err, errlen) != 0)
    return -1;
  uint32_t w[8];
  for (int i = 0; i < 8; i++)
    w[i] = lf_le_get(opt + 4 * i, 4);
  lf_fch7_options o = {w[0], {w[1], w[2]}, w[3], {w[4], w[5]}, {w[6], w[7]}};
  lf_fch7_options_set(s->fc, &o);
  return 0;
}

static void h7_power_loss(void *self, uint64_t t)
{
  h7_soc *s = self;
  lf_fch7_power_loss(s->fc, t);
  for (unsigned i = 0; i < NREGIONS; i++)
    if (s->regions[i].writable)
      for (uint32_t k = 0; k < mems[i].size; k++)
        s->mem[i][k] = lf_soc_garbage(mems[i].base + k);
  for (uint32_t k = 0; k < D2SRAM_SIZE; k++)
    s->d2sram[k] = lf_soc_garbage(D2SRAM + k);
  for (uint32_t k = 0; k < (4u << 10); k++)
    s->bkpsram[k] = lf_soc_garbage(BKPSRAM + k);
  lf_iwdg_reset(&s->iwdg, false, s->p->iwdg_lsi_hz, t);
}

/* Registered in soc.c's family table. */
const lf_soc_family lf_soc_family_stm32h7 = {
  .name = "stm32h7",
  .part_name = h7_part_name,
  .create = h7_create,
  .destroy = h7_destroy,
  .access = h7_access,
  .reset = h7_reset,
  .sysclk_hz = h7_sysclk_hz,
  .boot_address = h7_boot_address,
  .rdp_level = h7_rdp_level,
  .flash_locked = h7_flash_locked,
  .debug_connected = h7_debug_connected,
  .peek_byte = h7_peek_byte,
  .save_state = h7_save_state,
  .load_state = h7_load_state,
  .power_loss = h7_power_loss,
  .set_uid = h7_set_uid,
  .watchdog_deadline = h7_watchdog_deadline,
  .debug_apb_access = h7_debug_apb,
};
