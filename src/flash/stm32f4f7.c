/* Family unit: STM32F2/F4/F7 embedded flash (one controller: FLASH_ACR,
 * KEYR, SR, CR with PSIZE/SNB/SER/MER, OPTCR; sectors of 4 x U, 4U, then
 * 8U per bank). Everything luaflash knows about these chips is here:
 * registers, lines (DEV_IDs), sector layouts and timings, identification,
 * the loader adapter (target side: loaders/stm32f4f7.c) and read
 * protection. Facts: stm32f7-target.md and stm32f4-target.md ("F7 n.m",
 * "F4 n.m" below); every time is a datasheet figure named in its row, the
 * ones the references tag unconfirmed are marked.
 *
 * Sector layouts. Every array (or bank) listed here has the same shape: four
 * sectors of a unit U, one of 4U, then sectors of 8U up to the bank size
 * (F7 single bank U = 32 KiB; F7 dual bank, F72x and F4 U = 16 KiB):
 *   F76x 2 MiB single   4x32 + 128 + 7x256 KiB       F7 7.1
 *   F76x 2 MiB dual     per bank 4x16 + 64 + 7x128   F7 7.2 (bank 2 SNB 0x10+k)
 *   F76x 1 MiB          4x32 + 128 + 3x256 / dual per bank 4x16 + 64 + 3x128  F7 7.5
 *   F72x/F73x 512 KiB   4x16 + 64 + 3x128            F7 7.6
 *   F74x/F75x 512 KiB   4x32 + 128 + 256             F7 7.6 (≈, unconfirmed against RM0385)
 *   F42x 2 MiB          always dual, per bank 4x16 + 64 + 7x128   F4 7.1
 *   F42x 1 MiB          DB1M=0: 12 sectors as bank 1; DB1M=1: 2 x (4x16 + 64 + 3x128),
 *                       bank 2 at 0x08080000, logical sectors 12-19, SNB 0x10+k   F4 7.2, 7.3
 *   F40x/F41x 1 MiB     4x16 + 64 + 7x128 (same controller as F42x bank 1; RM0090)
 * so the layout is generated from (U, bank size) and a flash size that the
 * shape does not fill exactly is rejected. Bank 2 always follows bank 1
 * directly (F76x 1 MiB dual: RM0410 as quoted and OpenOCD say 0x08080000;
 * BMP says 0x08100000 — F7 7.5 marks this conflicting). */
#include <stdio.h>
#include <string.h>

#include "arm/adi.h"
#include "flash/family.h"
#include "flash/loader.h"

extern const lf_family lf_family_stm32f4f7;
#include "flash/loaders/stm32f4f7_blob.h"
#include "flash/loaders/stm32f4f7_z_blob.h"
#include "flash/loaders/stm32f4f7_b_blob.h"

#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/stm32f4f7.c" /* the family words of the control block (struct lf_ldr_f47) */
#undef LF_LDR_CONTRACT_ONLY

/* ---- registers ---- */

#define DBGMCU_IDCODE 0xE0042000u /* F7 1, F4 1 */
#define DBGMCU_CR 0xE0042004u
#define DBGMCU_CR_SLEEP_STOP_STANDBY 0x7u /* DBG_SLEEP | DBG_STOP | DBG_STANDBY */

#define FLASH_REGS 0x40023C00u
#define FLASH_KEYR (FLASH_REGS + 0x04u)
#define FLASH_SR (FLASH_REGS + 0x0Cu)
#define FLASH_CR (FLASH_REGS + 0x10u)
#define FLASH_OPTCR (FLASH_REGS + 0x14u) /* F7 3.6 / F4 3.6: RDP in bits 15:8 */
#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define CR_SER 0x2u
#define CR_STRT 0x10000u
#define CR_LOCK 0x80000000u

#define CRC_REGS 0x40023000u     /* CMSIS CRC_BASE, F4 and F7 */
#define RCC_AHB1ENR 0x40023830u  /* CRC clock: bit 12 (RCC_AHB1ENR_CRCEN) */
#define RCC_CRCEN 0x1000u
#define IWDG_REGS 0x40003000u    /* CMSIS IWDG_BASE, F4 and F7 */

#define RDP_LEVEL0 0xAAu
#define RDP_LEVEL2 0xCCu

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull

/* ---- timings (columns x8, x16, x32, x64 = program units 1, 2, 4, 8) ---- */

/* STM32F7 (F7 9.1, DS11532 "Flash memory programming"; the reference tags
 * every number unconfirmed). x64 (external VPP) figures are not known: the
 * x32 ones are used. The dual-bank 16 KiB / 64 KiB sector times are not known
 * either: half of the 32 KiB / 128 KiB time is assumed (the bench's params.c
 * makes the same assumption). F72x/F73x and F74x/F75x use these rows too:
 * their datasheets are not in the references. */
static const lf_flash_timing f7_timing = {
  /* tPROG typ 16 us, max 100 us, for x8/x16/x32 alike (9.1 row tPROG) */
  .prog_ns = {{16 * US, 16 * US, 16 * US, 16 * US}, {100 * US, 100 * US, 100 * US, 100 * US}},
  .erase = {
    /* assumption: half of tERASE32KB */
    {16 * KiB, {{200 * MS, 125 * MS, 100 * MS, 100 * MS}, {400 * MS, 300 * MS, 250 * MS, 250 * MS}}},
    /* 9.1 tERASE32KB: 400/250/200 ms typ, 800/600/500 ms max */
    {32 * KiB, {{400 * MS, 250 * MS, 200 * MS, 200 * MS}, {800 * MS, 600 * MS, 500 * MS, 500 * MS}}},
    /* assumption: half of tERASE128KB */
    {64 * KiB, {{550 * MS, 400 * MS, 250 * MS, 250 * MS}, {1200 * MS, 700 * MS, 550 * MS, 550 * MS}}},
    /* 9.1 tERASE128KB: 1100/800/500 ms typ, 2400/1400/1100 ms max */
    {128 * KiB, {{1100 * MS, 800 * MS, 500 * MS, 500 * MS}, {2400 * MS, 1400 * MS, 1100 * MS, 1100 * MS}}},
    /* 9.1 tERASE256KB: 2/1.3/1 s typ, 4/2.6/2 s max */
    {256 * KiB, {{2000 * MS, 1300 * MS, 1000 * MS, 1000 * MS}, {4000 * MS, 2600 * MS, 2000 * MS, 2000 * MS}}},
  },
  /* 9.1 tME (2 MiB): 16/11/8 s typ, 32/22/16 s max; smaller arrays scale
   * with size (assumption, as the bench). */
  .mass_ns = {{16000 * MS, 11000 * MS, 8000 * MS, 8000 * MS}, {32000 * MS, 22000 * MS, 16000 * MS, 16000 * MS}},
  .mass_ref_bytes = 2048 * KiB,
};

/* STM32F4 (F4 9.1, DS9405; all unconfirmed there, the 128 KiB maxima and
 * tPROG max corroborated by DS8626 for the F40x). x64 typ = the VPP column
 * (230/490/875 ms, 6.9 s); x64 max: x32 values. F40x/F41x use the same rows
 * (DS8626 gives the same 128 KiB maxima). */
static const lf_flash_timing f4_timing = {
  /* tPROG typ 16 us, max 100 us (x64 with VPP: 16 us typ) */
  .prog_ns = {{16 * US, 16 * US, 16 * US, 16 * US}, {100 * US, 100 * US, 100 * US, 100 * US}},
  .erase = {
    /* tERASE16KB: 400/300/250 ms typ (VPP 230), 800/600/500 ms max */
    {16 * KiB, {{400 * MS, 300 * MS, 250 * MS, 230 * MS}, {800 * MS, 600 * MS, 500 * MS, 500 * MS}}},
    /* tERASE64KB: 1200/700/550 ms typ (VPP 490), 2400/1400/1100 ms max */
    {64 * KiB, {{1200 * MS, 700 * MS, 550 * MS, 490 * MS}, {2400 * MS, 1400 * MS, 1100 * MS, 1100 * MS}}},
    /* tERASE128KB: 2/1.3/1 s typ (VPP 875 ms), 4/2.6/2 s max */
    {128 * KiB, {{2000 * MS, 1300 * MS, 1000 * MS, 875 * MS}, {4000 * MS, 2600 * MS, 2000 * MS, 2000 * MS}}},
  },
  /* tME (2 MiB, both banks): 16/11/8 s typ (VPP 6.9 s), 32/22/16 s max;
   * smaller arrays scale with size (assumption, as the bench). */
  .mass_ns = {{16000 * MS, 11000 * MS, 8000 * MS, 6900 * MS}, {32000 * MS, 22000 * MS, 16000 * MS, 16000 * MS}},
  .mass_ref_bytes = 2048 * KiB,
};

/* ---- lines (DEV_ID = DBGMCU_IDCODE & 0xFFF) ---- */

enum { DUAL_NEVER, DUAL_OPTION, DUAL_ABOVE_1M }; /* DUAL_ABOVE_1M: > 1 MiB always dual, 1 MiB option */

/* The loader on a line: RAM it may use (F7: DTCM + SRAM1 + SRAM2, one
 * contiguous 512 KiB window; the ring reaching into the cacheable SRAM1 is
 * safe because the loader cleans and disables the D-cache before the host
 * writes any ring data), CRC unit kind, FLASH_ACR cache bits, name of
 * FLASH_SR bit 7. F7: F7 2 (DTCM), 3.2 (ARTEN bit 9, ARTRST bit 11), 3.4
 * (ERSERR); F4: F4 2 (SRAM1-3 192 KiB), 3.2 (ICEN 9, DCEN 10, ICRST 11, DCRST
 * 12), 3.4 (PGSERR). */
typedef struct line_loader {
  const lf_loader_adapter *adapter; /* its RAM window */
  uint32_t crc_mode;
  uint32_t acr_en, acr_rst;
  const char *bit7;
} line_loader;

static const lf_loader_adapter f7_adapter, f4_adapter;
static const line_loader f7_loader = {&f7_adapter, LF_LDR_F47_CRC_PROG, 0x200u, 0x800u, "ERSERR"};
static const line_loader f4_loader = {&f4_adapter, LF_LDR_F47_CRC_FIXED, 0x600u, 0x1800u, "PGSERR"};

/* How to get a line at RDP level 1 back to level 0 (shown when a chip is
 * protected): luaflash writes option bytes of the F76x/F77x layout
 * (lua/luaflash/targets/stm32f7_options.lua); other lines need the vendor's
 * tool. */
static const char how_f7[] =
  "To do that: `luaflash scripts/examples/unprotect.lua allow_mass_erase=true` (installed "
  "in share/doc/luaflash/examples), or a production script (luaflash.production) with "
  "option_bytes = { rdp = 0 } and allow_mass_erase = true (it regresses, then flashes the image)";
static const char how_vendor[] =
  "luaflash writes option bytes on the STM32F7 family only: regress with the vendor's "
  "tool (STM32CubeProgrammer: -ob RDP=0xAA), then flash again";

typedef struct line {
  uint16_t dev_id;
  const char *name;               /* "STM32F76x/F77x" */
  uint32_t size_reg;              /* 16-bit flash size in KiB; 0 = the line is only named */
  uint32_t dual_mask;             /* FLASH_OPTCR bit of the bank mode, 0 = none */
  bool dual_when_set;             /* true: bit = 1 means dual bank (DB1M); false: nDBANK */
  uint32_t unit_single, unit_dual; /* smallest sector, single / dual bank */
  int dual;                       /* DUAL_* */
  uint32_t max_kib;
  uint32_t otp, otp_size, otp_lock_size; /* 0 = no OTP region declared */
  bool itcm_alias;                /* flash also at 0x00200000 (ITCM, read-only) */
  const lf_flash_timing *timing;
  const line_loader *loader;      /* NULL: no loader for this line yet */
  uint32_t uid;                   /* 96-bit unique ID, 0 = unknown */
  const char *how;
} line;

static const line lines[] = {
  /* F76x/F77x: F7 1 (DEV_ID, size register 0x1FF0F442, UID 0x1FF0F420), 3.6
   * (OPTCR.nDBANK bit 29, 1 = single), 2 (OTP 1024 B + 16 lock bytes at
   * 0x1FF0F000, ITCM alias 0x00200000). */
  {0x451, "STM32F76x/F77x", 0x1FF0F442u, 1u << 29, false, 32 * KiB, 16 * KiB, DUAL_OPTION, 2048,
   0x1FF0F000u, 1024, 16, true, &f7_timing, &f7_loader, 0x1FF0F420u, how_f7},
  /* F74x/F75x: DEV_ID 0x449 and 512 KiB/1 MiB shape per F7 2.1/7.6 (≈);
   * size register and UID as the F76x (OpenOCD stm32f2x probe); no dual bank. */
  {0x449, "STM32F74x/F75x", 0x1FF0F442u, 0, false, 32 * KiB, 0, DUAL_NEVER, 1024, 0x1FF0F000u,
   1024, 16, true, &f7_timing, NULL, 0x1FF0F420u, how_f7},
  /* F72x/F73x: DEV_ID 0x452, size register 0x1FF07A22 (OpenOCD stm32f2x:
   * "yes, 0x1FF*0*7A22"), max 512 KiB, F7 7.6 shape; OTP not declared (its
   * address is not in the references); UID 0x1FF07A10 (RM0431, unconfirmed). */
  {0x452, "STM32F72x/F73x", 0x1FF07A22u, 0, false, 16 * KiB, 0, DUAL_NEVER, 512, 0, 0, 0, true,
   &f7_timing, NULL, 0x1FF07A10u, how_f7},
  /* F42x/F43x: F4 1 (0x419, size register 0x1FFF7A22, UID 0x1FFF7A10), 3.6
   * (OPTCR.DB1M bit 30), 2 (OTP 512 B + 16 lock bytes at 0x1FFF7800). */
  {0x419, "STM32F42x/F43x", 0x1FFF7A22u, 1u << 30, true, 16 * KiB, 16 * KiB, DUAL_ABOVE_1M, 2048,
   0x1FFF7800u, 512, 16, false, &f4_timing, &f4_loader, 0x1FFF7A10u, how_vendor},
  /* F40x/F41x: DEV_ID 0x413, max 1 MiB single bank (OpenOCD stm32f2x);
   * same size register, OTP and UID as the F42x (RM0090 covers both). */
  {0x413, "STM32F40x/F41x", 0x1FFF7A22u, 0, false, 16 * KiB, 0, DUAL_NEVER, 1024, 0x1FFF7800u,
   512, 16, false, &f4_timing, NULL, 0x1FFF7A10u, how_vendor},
  /* Lines of the same controller luaflash names but has no layout for yet
   * (ST reference manuals' DEV_ID tables). */
  {0x411, "STM32F2xx", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
  {0x421, "STM32F446", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
  {0x423, "STM32F401xB/C", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
  {0x431, "STM32F411", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
  {0x433, "STM32F401xD/E", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
  {0x434, "STM32F469/F479", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
  {0x441, "STM32F412", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
  {0x463, "STM32F413/F423", 0, 0, false, 0, 0, DUAL_NEVER, 0, 0, 0, 0, false, NULL, NULL, 0, how_vendor},
};

static const line *line_of(uint32_t dev_id)
{
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if (lines[i].dev_id == (dev_id & 0xFFFu))
      return &lines[i];
  return NULL;
}

/* UF2 family IDs a line takes (microsoft/uf2 uf2families.json via
 * nrf52-rp2040-targets.md 17.2): STM32F7 for the F7 lines; the generic
 * STM32F4 ID for every F4 line, and the part-specific F407/F411 IDs for
 * theirs; STM32F2 for the F2. */
static uint32_t f47_uf2_family(uint32_t line_id, size_t i)
{
  static const uint32_t f7[] = {0x53B80F00u, 0}, f4[] = {0x57755A57u, 0},
                        f407[] = {0x57755A57u, 0x6D0922FAu, 0x8FB060FEu, 0},
                        f411[] = {0x57755A57u, 0x2DC309C5u, 0x06D1097Bu, 0}, f2[] = {0x5D1A0A2Eu, 0};
  const uint32_t *ids;
  switch (line_id & 0xFFFu) {
  case 0x449: case 0x451: case 0x452: ids = f7; break;
  case 0x413: ids = f407; break;
  case 0x431: ids = f411; break;
  case 0x411: ids = f2; break;
  default: ids = f4; break;
  }
  for (size_t k = 0; ids[k]; k++)
    if (k == i)
      return ids[k];
  return 0;
}

/* ---- identify ---- */

static int f47_identify(lf_session *s, lf_memap *m, lf_chip *out)
{
  uint32_t idcode = 0;
  int r = lf_memap_read32(m, DBGMCU_IDCODE, &idcode);
  if (r)
    return r;
  const line *ln = line_of(idcode & 0xFFFu);
  if (!idcode || !ln)
    return 0;
  out->line = ln->dev_id;
  out->rev = idcode >> 16;
  out->idcode = idcode;
  snprintf(out->name, sizeof out->name, "%s", ln->name);
  out->supported = ln->size_reg != 0;
  return 1;
}

/* The flash-size register and the bank-mode option of a supported line. */
static int f47_flash_info(lf_session *s, lf_memap *m, lf_chip *c)
{
  const line *ln = line_of(c->line);
  if (!ln || !ln->size_reg)
    return 0;
  uint32_t v = 0, opt = 0;
  int r = lf_memap_read32(m, ln->size_reg & ~3u, &v);
  if (r)
    return lf_err_wrap(s, r, "%s: flash size register 0x%08x", ln->name, ln->size_reg);
  c->flash_kib = (ln->size_reg & 2) ? (v >> 16) : (v & 0xFFFF);
  if (ln->dual_mask) {
    if ((r = lf_memap_read32(m, FLASH_OPTCR, &opt)))
      return lf_err_wrap(s, r, "%s: FLASH_OPTCR", ln->name);
    c->dual_bank = ((opt & ln->dual_mask) != 0) == ln->dual_when_set;
  }
  c->flash_known = true;
  return 0;
}

/* ---- geometry ---- */

/* Regions of one bank of the 4U / 4U / 8U... shape; false if bank_bytes is
 * not exactly filled. */
static bool add_bank(lf_geometry_region *rg, size_t *n, uint32_t addr, uint32_t bank_bytes,
                     uint32_t unit, uint8_t bank)
{
  uint32_t first = bank ? 12 : 0;
  if (bank_bytes < 8 * unit || (bank_bytes - 8 * unit) % (8 * unit) || (bank_bytes - 8 * unit) / (8 * unit) > 7)
    return false;
  rg[(*n)++] = (lf_geometry_region){addr, 4, unit, bank, first};
  rg[(*n)++] = (lf_geometry_region){addr + 4 * unit, 1, 4 * unit, bank, first + 4};
  uint32_t rest = (bank_bytes - 8 * unit) / (8 * unit);
  if (rest)
    rg[(*n)++] = (lf_geometry_region){addr + 8 * unit, rest, 8 * unit, bank, first + 5};
  return true;
}

static int f47_geometry(lf_session *s, const lf_chip *c, lf_flash_geometry *g)
{
  const line *ln = line_of(c->line);
  if (!ln)
    return lf_err_set(s, LF_ENOTSUP, "flash: DEV_ID 0x%03x is not an STM32F2/F4/F7 line",
                      (unsigned)c->line);
  if (!ln->size_reg)
    return lf_err_set(s, LF_ENOTSUP, "flash: %s (DEV_ID 0x%03x) is not supported yet (known: "
                      "STM32F76x/F77x, F74x/F75x, F72x/F73x, F42x/F43x, F40x/F41x)", ln->name,
                      (unsigned)ln->dev_id);
  uint32_t kib = c->flash_kib;
  if (kib == 0 || kib == 0xFFFF)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: flash size register 0x%08X reads 0x%04X (not programmed); "
                      "give the flash size explicitly", ln->name, (unsigned)ln->size_reg, (unsigned)kib);
  if (kib > ln->max_kib)
    return lf_err_set(s, LF_EINVAL, "flash: %s: flash size %u KiB is larger than the family's %u KiB",
                      ln->name, (unsigned)kib, (unsigned)ln->max_kib);
  bool dual;
  switch (ln->dual) {
  case DUAL_NEVER:
    if (c->dual_bank)
      return lf_err_set(s, LF_EINVAL, "flash: %s has no dual-bank mode", ln->name);
    dual = false;
    break;
  case DUAL_ABOVE_1M:
    if (kib < 1024 && c->dual_bank)
      return lf_err_set(s, LF_EINVAL, "flash: %s %u KiB has no dual-bank mode (DB1M needs 1024 KiB)",
                        ln->name, (unsigned)kib);
    dual = kib > 1024 || c->dual_bank;
    break;
  default:
    dual = c->dual_bank;
    break;
  }
  const uint32_t base = LF_LDR_F47_FLASH_BASE, size = kib * KiB;
  uint32_t unit = dual ? ln->unit_dual : ln->unit_single;
  lf_geometry_region rg[6];
  size_t n = 0;
  bool ok = dual ? add_bank(rg, &n, base, size / 2, unit, 0) && add_bank(rg, &n, base + size / 2, size / 2, unit, 1)
                 : add_bank(rg, &n, base, size, unit, 0);
  if (!ok)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: a %u KiB %s array does not fit the sector layout "
                      "(4 x %u KiB, %u KiB, then %u KiB sectors%s)",
                      ln->name, (unsigned)kib, dual ? "dual-bank" : "single-bank", (unsigned)(unit / KiB),
                      (unsigned)(4 * unit / KiB), (unsigned)(8 * unit / KiB), dual ? " per bank" : "");
  lf_mem_region extra[2];
  size_t nextra = 0;
  if (ln->otp) {
    extra[nextra++] = (lf_mem_region){ln->otp, ln->otp_size, LF_REGION_OTP, "OTP"};
    extra[nextra++] = (lf_mem_region){ln->otp + ln->otp_size, ln->otp_lock_size, LF_REGION_OTP, "OTP lock bytes"};
  }
  lf_addr_alias alias = {0x00200000u, size, base, "ITCM flash alias"};
  char name[64];
  snprintf(name, sizeof name, "%s %u KiB %s", ln->name, (unsigned)kib, dual ? "dual bank" : "single bank");
  lf_geometry_desc d = {
    .name = name, .family = &lf_family_stm32f4f7, .line = ln->dev_id, .regions = rg, .nregions = n,
    .extra = extra, .nextra = nextra, .aliases = &alias, .naliases = ln->itcm_alias ? 1 : 0,
    .erased = 0xFF, .prog_units = 0xF /* x8, x16, x32, x64 (F7 8) */, .prog_unit = 4 /* x32 at 2.7-3.6 V */,
    .timing = ln->timing,
  };
  return lf_geometry_build(s, &d, g);
}

/* The smallest sector U of the bank holding sec (its first sector). */
static uint32_t bank_unit(const lf_flash_geometry *g, unsigned bank)
{
  const lf_flash_sector *first = lf_geometry_sector_at(g, g->bank_base[bank]);
  return first ? first->size : 0;
}

/* The sector number within its bank from the 4U/4U/8U shape (the loader's
 * own mapping, loaders/stm32f4f7.c erase_bits). */
static uint32_t shape_index(const lf_flash_geometry *g, const lf_flash_sector *sec, uint32_t *unit)
{
  *unit = bank_unit(g, sec->bank);
  uint32_t u = (sec->addr - g->bank_base[sec->bank]) / *unit;
  return u < 4 ? u : u < 8 ? 4 : 4 + u / 8;
}

/* A described geometry fits the loader when every sector is where the
 * 4U/4U/8U shape of its bank puts it (the loader maps addresses to SNB with
 * that shape), both banks have the same U (one unit_shift word) and bank 2,
 * if any, starts right after bank 1. */
static int f47_check_geometry(lf_session *s, const lf_flash_geometry *g)
{
  if (g->base != LF_LDR_F47_FLASH_BASE || g->nbanks > 2)
    return lf_err_set(s, LF_EINVAL, "%s: an STM32F2/F4/F7 flash starts at 0x%08x with at most 2 banks",
                      g->name, LF_LDR_F47_FLASH_BASE);
  if (g->nbanks == 2 && bank_unit(g, 0) != bank_unit(g, 1))
    return lf_err_set(s, LF_EINVAL, "%s: both banks must start with sectors of the same size", g->name);
  for (unsigned i = 0; i < g->nsectors; i++) {
    const lf_flash_sector *sec = &g->sector[i];
    uint32_t unit, k = shape_index(g, sec, &unit);
    uint32_t off = sec->addr - g->bank_base[sec->bank];
    uint32_t want = k < 4 ? unit : k == 4 ? 4 * unit : 8 * unit;
    uint32_t at = k < 4 ? k * unit : k == 4 ? 4 * unit : (k - 4) * 8 * unit;
    if (sec->size != want || off != at || k > 15)
      return lf_err_set(s, LF_EINVAL, "%s: sector at 0x%08x (%u bytes) does not follow the "
                        "4 x U, 4U, 8U... sector shape of this flash controller", g->name, sec->addr,
                        sec->size);
  }
  return 0;
}

/* ---- loader adapter ---- */

static const line_loader *loader_of(const lf_flash_geometry *g)
{
  const line *ln = line_of(g->line);
  return ln ? ln->loader : NULL;
}

static int f47_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                         uint32_t fam[LF_LDR_FAM_WORDS])
{
  const line_loader *ll = loader_of(g);
  int k = lf_geometry_unit_log2(g, cfg->prog_unit);
  if (!ll || k < 0 || k > 3)
    return lf_err_set(s, LF_EINVAL, "loader: %s: program unit %u bytes (x8..x64 only)", g->name,
                      cfg->prog_unit);
  struct lf_ldr_f47 c = {
    .flash_regs = FLASH_REGS,
    .psize = (uint32_t)k,
    .crc_mode = ll->crc_mode,
    .crc_regs = CRC_REGS,
    .rcc_enr = RCC_AHB1ENR,
    .rcc_bit = RCC_CRCEN,
    .acr_en = ll->acr_en,
    .acr_rst = ll->acr_rst,
    .iwdg_regs = IWDG_REGS, /* the loader slows and feeds a running IWDG (hardware watchdog) */
    .unit_shift = (uint32_t)__builtin_ctz(g->sector[0].size),
    .bank2 = g->nbanks > 1 ? g->bank_base[1] : 0,
  };
  memcpy(fam, &c, sizeof c);
  return 0;
}

/* FLASH_CR.SNB of a sector: its number in the bank's shape, bank 2 from
 * 0x10 (F7 7.2, F4 7.4) — from its address, as the loader maps it, not from
 * the vendor's logical numbering. */
static uint32_t snb_of(const lf_flash_geometry *g, const lf_flash_sector *sec)
{
  uint32_t unit;
  return (sec->bank ? 0x10u : 0u) | shape_index(g, sec, &unit);
}

/* Starts the erase of one sector through the debug port (F7 4.1, 4.3):
 * unlock when locked, then one 8-byte write of FLASH_SR (w1c: stale error
 * flags cleared) and FLASH_CR = SER | SNB | PSIZE | STRT (one store, as
 * OpenOCD does). A failed unlock is not checked here: CR ignores writes
 * while locked and the loader's init reports LF_LDR_ST_LOCKED. The loader's
 * first command then only waits for this erase. */
static int f47_erase_start(lf_session *s, lf_memap *m, const lf_flash_geometry *g,
                           const lf_flash_sector *sec, const lf_loader_cfg *cfg)
{
  uint32_t cr;
  int r = lf_memap_read32(m, FLASH_CR, &cr);
  if (!r && (cr & CR_LOCK) && (r = lf_memap_write32(m, FLASH_KEYR, FLASH_KEY1)) == 0)
    r = lf_memap_write32(m, FLASH_KEYR, FLASH_KEY2);
  if (r)
    return lf_err_wrap(s, r, "loader: unlock flash");
  uint32_t psize = (uint32_t)lf_geometry_unit_log2(g, cfg->prog_unit);
  uint32_t v[2] = {LF_LDR_F47_SR_ERRORS, CR_SER | (snb_of(g, sec) << 3) | (psize << 8) | CR_STRT};
  uint8_t w[8];
  for (int i = 0; i < 8; i++)
    w[i] = (uint8_t)(v[i / 4] >> (8 * (i % 4)));
  if ((r = lf_memap_write(m, FLASH_SR, w, sizeof w, 0)))
    return lf_err_wrap(s, r, "loader: start erase of sector %u", sec->index);
  return 0;
}

static void f47_status_names(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len)
{
  const line_loader *ll = loader_of(g);
  static const struct { uint32_t bit; const char *name; } names[] = {
    {0x02, "OPERR"}, {0x10, "WRPERR"}, {0x20, "PGAERR"}, {0x40, "PGPERR"}, {0x80, NULL},
    {0x100, "RDERR"}, {0x10000, "BSY"},
  };
  size_t o = 0;
  buf[0] = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if ((sr & names[i].bit) && o < len) {
      const char *n = names[i].name ? names[i].name : ll ? ll->bit7 : "ERSERR";
      int k = snprintf(buf + o, len - o, "%s%s", o ? " " : "", n);
      if (k > 0)
        o += (size_t)k;
    }
  if (!buf[0])
    snprintf(buf, len, "no error flag");
}

/* FLASH_SR.BSY (F7 3.7.5 / F4 3.9.4): an erase or program in progress. */
static int f47_flash_busy(lf_session *s, lf_memap *m, const lf_flash_geometry *g, bool *busy)
{
  uint32_t sr;
  int r = lf_memap_read32(m, FLASH_SR, &sr);
  if (r)
    return lf_err_wrap(s, r, "read FLASH_SR");
  *busy = (sr & 0x10000u) != 0;
  return 0;
}

/* One adapter per RAM window (F7 512 KiB, F4 192 KiB), same blob. */
#define F47_ADAPTER(ram)                                                                        \
  {                                                                                             \
    .name = "stm32f4f7", .blob = lf_blob_stm32f4f7, .blob_len = &lf_blob_stm32f4f7_len,           \
    .load_addr = LF_BLOB_STM32F4F7_LOAD, .entry_off = LF_BLOB_STM32F4F7_ENTRY,                    \
    .exit_off = LF_BLOB_STM32F4F7_EXIT, .ram_size = (ram),                                        \
    .core_hz = 16e6, /* HSI after reset (F7 9.2): the loader does not touch the clocks */        \
    .status_reg = "FLASH_SR", .configure = f47_configure, .erase_start = f47_erase_start,         \
    .status_names = f47_status_names, .flash_busy = f47_flash_busy,                             \
    .zblob = lf_blob_stm32f4f7_z, .zblob_len = &lf_blob_stm32f4f7_z_len,                        \
    .z_core_hz = 96e6, /* the routine runs from the PLL at 96 MHz (loaders/stm32f4f7.c) */      \
    .z_chunk = 32768, /* records of 32 KiB, a history of 32 KiB (deflate's window) */           \
    .z_cont = true, .z_bcj = true,                                                              \
    .bblob = lf_blob_stm32f4f7_b, .bblob_len = &lf_blob_stm32f4f7_b_len,                        \
  }
static const lf_loader_adapter f7_adapter = F47_ADAPTER(0x80000u);
static const lf_loader_adapter f4_adapter = F47_ADAPTER(0x30000u);

static const lf_loader_adapter *f47_loader(const lf_flash_geometry *g)
{
  const line_loader *ll = loader_of(g);
  return ll ? ll->adapter : NULL;
}

/* ---- protection ---- */

/* RDP (F7 3.6, 4.5, 5; F4 3.6, 5; RM0402's read-protection text for the same
 * controller): level 1 refuses every flash read, erase and program while a
 * debugger is connected, the core running luaflash's loader included; only
 * the option-byte regression to level 0 works, and it mass-erases the chip;
 * level 2 is permanent. */
static int f47_protection(lf_session *s, lf_memap *m, const lf_chip *c, lf_protection *out)
{
  const line *ln = line_of(c->line);
  memset(out, 0, sizeof *out);
  uint32_t optcr = 0;
  int r = lf_memap_read32(m, FLASH_OPTCR, &optcr);
  if (r)
    return lf_err_wrap(s, r, "read protection: FLASH_OPTCR");
  uint32_t rdp = (optcr >> 8) & 0xFFu;
  out->level = rdp == RDP_LEVEL0 ? 0 : rdp == RDP_LEVEL2 ? 2 : 1;
  out->reg = FLASH_OPTCR;
  out->value = optcr;
  snprintf(out->what, sizeof out->what, "RDP level %d (FLASH_OPTCR 0x%08x, RDP byte 0x%02X)",
           out->level, optcr, rdp);
  if (out->level == 2)
    snprintf(out->message, sizeof out->message,
             "Level 2 is permanent: the flash can never again be read, erased or programmed "
             "through the debug port (only firmware already on the chip can update it)");
  else if (out->level == 1)
    snprintf(out->message, sizeof out->message,
             "A chip at level 1 refuses flash reads, erases and programs while a debugger is "
             "connected: flashing needs RDP level 0, and going back from level 1 to level 0 "
             "mass-erases the whole chip (all flash content is lost). %s",
             ln ? ln->how : how_vendor);
  return 0;
}

static void f47_unique_id(uint32_t dev_id, uint32_t *addr, uint32_t *len)
{
  const line *ln = line_of(dev_id);
  *addr = ln ? ln->uid : 0;
  *len = *addr ? 12 : 0;
}

static bool f47_knows_line(uint32_t id) { return line_of(id) != NULL; }

const lf_family lf_family_stm32f4f7 = {
  .name = "stm32f4f7",
  .title = "STM32F2/F4/F7 embedded flash",
  .debug = {DBGMCU_CR, DBGMCU_CR_SLEEP_STOP_STANDBY},
  .identify = f47_identify,
  .flash_info = f47_flash_info,
  .geometry = f47_geometry,
  .loader = f47_loader,
  .protection = f47_protection,
  .unique_id = f47_unique_id,
  .check_geometry = f47_check_geometry,
  .uf2_family = f47_uf2_family,
  .bits_only = true, /* no ECC, a store ANDs into the cell (f4 4, f7 4.2) */
  .knows_line = f47_knows_line,
};
