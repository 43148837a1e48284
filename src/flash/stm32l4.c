/* Family unit: STM32L4 embedded flash (FLASH_KEYR, SR, CR with PG/PER/PNB/
 * BKER/MER1/MER2/STRT, OPTR; pages of 2 KiB in one or two banks, 64-bit
 * double words with ECC). Everything luaflash knows about these chips is
 * here: registers, lines (DEV_IDs), layouts and timings, identification,
 * the loader adapter (target side: loaders/stm32l4.c), read protection and
 * the unique ID. Facts: stm32-f1-l4-h7-targets.md ("R n.m" below); every
 * time is a datasheet figure named in its row (the reference tags the L476
 * ones unconfirmed).
 *
 * Lines. STM32L47x/L48x (DEV_ID 0x415) is supported: 1 MiB as two banks of
 * 256 pages (always dual bank, R 4.4 [disagree] with BMP's single-bank
 * mapping: OpenOCD's rule), 512 and 256 KiB dual or single bank by
 * OPTR.DUALBANK (bank 2 right after bank 1). Other L4 lines are named, not
 * supported yet (their layouts are not in the references). */
#include <stdio.h>
#include <string.h>

#include "arm/adi.h"
#include "flash/family.h"
#include "flash/loader.h"

extern const lf_family lf_family_stm32l4;
#include "flash/loaders/stm32l4_blob.h"
#include "flash/loaders/stm32l4_z_blob.h"

#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/stm32l4.c" /* the family words of the control block (struct lf_ldr_l4) */
#undef LF_LDR_CONTRACT_ONLY

/* ---- registers (R 1.2, 4.1, 4.2, 7, 8) ---- */

#define DBGMCU_IDCODE 0xE0042000u
#define DBGMCU_CR 0xE0042004u
#define DBGMCU_CR_SLEEP_STOP_STANDBY 0x7u

#define FLASH_REGS 0x40022000u
#define FLASH_ACR (FLASH_REGS + 0x00u)
#define FLASH_KEYR (FLASH_REGS + 0x08u)
#define FLASH_SR (FLASH_REGS + 0x10u)
#define FLASH_CR (FLASH_REGS + 0x14u)
#define FLASH_OPTR (FLASH_REGS + 0x20u)
#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define CR_PER (1u << 1)
#define CR_BKER (1u << 11)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)
#define OPTR_DUALBANK (1u << 21)
#define ACR_ICEN_DCEN 0x600u
#define ACR_ICRST_DCRST 0x1800u

#define FLASH_SIZE_REG 0x1FFF75E0u /* u16, KiB */
#define UID_ADDR 0x1FFF7590u
#define OTP_ADDR 0x1FFF7000u       /* 1 KiB, double words, never erased (R 2.2) */
#define CRC_REGS 0x40023000u
#define RCC_AHB1ENR 0x40021048u    /* CRC clock: bit 12 */
#define RCC_CRCEN 0x1000u
#define IWDG_REGS 0x40003000u
#define SRAM1_SIZE (96u << 10)

#define RDP_LEVEL0 0xAAu
#define RDP_LEVEL2 0xCCu

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull
#define PAGE (2 * KiB)

/* ---- timings (column x64 = the only program unit) ---- */

/* DS10198 as the reference quotes it (R 6, all [unconf]): tprog 64-bit
 * 81.69 us typ, 90.76 us max; tERASE (2 KiB page) 22.02 / 24.47 ms; tME one
 * or both banks 22.13 / 24.59 ms (does not scale with the size). */
static const lf_flash_timing l4_timing = {
  .prog_ns = {{0, 0, 0, 81690}, {0, 0, 0, 90760}},
  .erase = {{PAGE, {{0, 0, 0, 22020 * US}, {0, 0, 0, 24470 * US}}}},
  .mass_ns = {{0, 0, 0, 22130 * US}, {0, 0, 0, 24590 * US}},
  .mass_ref_bytes = 0,
};

/* ---- lines (DEV_ID = DBGMCU_IDCODE & 0xFFF) ---- */

typedef struct line {
  uint16_t dev_id;
  const char *name;
  uint32_t max_kib;            /* 0 = the line is only named */
  uint32_t always_dual_kib;    /* from this size on always two banks */
} line;

static const line lines[] = {
  /* R 1.2: DEV_ID 0x415; R 2.2: 2 x 256 pages of 2 KiB; R 4.4: DUALBANK */
  {0x415, "STM32L47x/L48x", 1024, 1024},
  {0x435, "STM32L43x/L44x", 0, 0},
  {0x462, "STM32L45x/L46x", 0, 0},
  {0x461, "STM32L496/L4A6", 0, 0},
  {0x464, "STM32L41x/L42x", 0, 0},
  {0x470, "STM32L4R/L4S", 0, 0},
  {0x471, "STM32L4P5/L4Q5", 0, 0},
};

static const line *line_of(uint32_t dev_id)
{
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if (lines[i].dev_id == (dev_id & 0xFFFu))
      return &lines[i];
  return NULL;
}

/* ---- identify ---- */

static const char *l4_line_name(uint32_t dev_id, bool *supported)
{
  const line *ln = line_of(dev_id);
  *supported = ln && ln->max_kib != 0;
  return ln ? ln->name : NULL;
}

static int l4_identify(lf_session *s, lf_memap *m, lf_chip *out)
{
  return lf_identify_by_idcode(s, m, DBGMCU_IDCODE, l4_line_name, out);
}

static int l4_flash_info(lf_session *s, lf_memap *m, lf_chip *c)
{
  const line *ln = line_of(c->line);
  if (!ln || !ln->max_kib)
    return 0;
  uint32_t v = 0, optr = 0;
  int r = lf_memap_read32(m, FLASH_SIZE_REG, &v);
  if (r)
    return lf_err_wrap(s, r, "%s: flash size register 0x%08x", ln->name, FLASH_SIZE_REG);
  if ((r = lf_memap_read32(m, FLASH_OPTR, &optr)))
    return lf_err_wrap(s, r, "%s: FLASH_OPTR", ln->name);
  c->flash_kib = v & 0xFFFFu;
  c->dual_bank = c->flash_kib >= ln->always_dual_kib || (optr & OPTR_DUALBANK);
  c->flash_known = true;
  return 0;
}

/* ---- geometry ---- */

static int l4_geometry(lf_session *s, const lf_chip *c, lf_flash_geometry *g)
{
  const line *ln = line_of(c->line);
  if (!ln)
    return lf_err_set(s, LF_ENOTSUP, "flash: DEV_ID 0x%03x is not an STM32L4 line", (unsigned)c->line);
  if (!ln->max_kib)
    return lf_err_set(s, LF_ENOTSUP, "flash: %s (DEV_ID 0x%03x) is not supported yet (known: "
                      "STM32L47x/L48x)", ln->name, (unsigned)ln->dev_id);
  uint32_t kib = c->flash_kib;
  if (kib == 0 || kib == 0xFFFF)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: flash size register 0x%08X reads 0x%04X (not programmed); "
                      "give the flash size explicitly", ln->name, FLASH_SIZE_REG, (unsigned)kib);
  if (kib > ln->max_kib || kib < 256 || (kib & (kib - 1)))
    return lf_err_set(s, LF_EINVAL, "flash: %s: a %u KiB array does not fit the line (256, 512 or "
                      "%u KiB)", ln->name, (unsigned)kib, (unsigned)ln->max_kib);
  bool dual = kib >= ln->always_dual_kib || c->dual_bank;
  uint32_t pages = kib * KiB / PAGE;
  lf_geometry_region rg[2] = {
    {LF_LDR_L4_FLASH_BASE, dual ? pages / 2 : pages, PAGE, 0, 0},
    {LF_LDR_L4_FLASH_BASE + kib * KiB / 2, pages / 2, PAGE, 1, 256}, /* ST numbers bank 2 from 256 */
  };
  lf_mem_region otp = {OTP_ADDR, 1024, LF_REGION_OTP, "OTP"};
  char name[64];
  snprintf(name, sizeof name, "%s %u KiB %s", ln->name, (unsigned)kib, dual ? "dual bank" : "single bank");
  lf_geometry_desc d = {
    .name = name, .family = &lf_family_stm32l4, .line = ln->dev_id, .regions = rg,
    .nregions = dual ? 2 : 1, .extra = &otp, .nextra = 1, .erased = 0xFF,
    .prog_units = 0x8 /* double words only (R 4.3, 12 #11) */, .prog_unit = 8, .timing = &l4_timing,
    .program_once = true /* ECC: a double word is programmed once after an erase (R 4.3) */,
  };
  return lf_geometry_build(s, &d, g);
}

/* A described geometry fits the loader when it is one or two banks of
 * 2 KiB pages at 0x08000000, bank 2 (if any) right after bank 1. */
static int l4_check_geometry(lf_session *s, const lf_flash_geometry *g)
{
  if (g->base != LF_LDR_L4_FLASH_BASE || g->nbanks > 2 ||
      (g->nbanks == 2 && g->bank_base[1] != g->base + g->bank_size[0]))
    return lf_err_set(s, LF_EINVAL, "%s: an STM32L4 flash is one or two adjacent banks at 0x%08x",
                      g->name, LF_LDR_L4_FLASH_BASE);
  for (unsigned i = 0; i < g->nsectors; i++)
    if (g->sector[i].size != PAGE)
      return lf_err_set(s, LF_EINVAL, "%s: page at 0x%08x is %u bytes (STM32L4 pages: 2 KiB)", g->name,
                        g->sector[i].addr, g->sector[i].size);
  return 0;
}

/* ---- loader adapter ---- */

static int l4_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                        uint32_t fam[LF_LDR_FAM_WORDS])
{
  if (cfg->prog_unit != 8)
    return lf_err_set(s, LF_EINVAL, "loader: %s: program unit %u bytes (double words only)", g->name,
                      cfg->prog_unit);
  struct lf_ldr_l4 c = {
    .flash_regs = FLASH_REGS,
    .bank2 = g->nbanks > 1 ? g->bank_base[1] : 0,
    .page_shift = 11,
    .crc_regs = CRC_REGS,
    .rcc_enr = RCC_AHB1ENR,
    .rcc_bit = RCC_CRCEN,
    .iwdg_regs = IWDG_REGS, /* the loader slows and feeds a running IWDG (hardware watchdog) */
    .acr_en = ACR_ICEN_DCEN,
    .acr_rst = ACR_ICRST_DCRST,
  };
  memcpy(fam, &c, sizeof c);
  return 0;
}

/* Starts the erase of one page through the debug port (R 4.3): unlock when
 * locked (a second unlock would lock), clear every flag (a stale one turns
 * the erase into PGSERR), then one write CR = PER | PNB | BKER | STRT as
 * OpenOCD does. The loader's first command then only waits for it. */
static int l4_erase_start(lf_session *s, lf_memap *m, const lf_flash_geometry *g,
                          const lf_flash_sector *sec, const lf_loader_cfg *cfg)
{
  uint32_t cr;
  int r = lf_memap_read32(m, FLASH_CR, &cr);
  if (!r && (cr & CR_LOCK) && (r = lf_memap_write32(m, FLASH_KEYR, FLASH_KEY1)) == 0)
    r = lf_memap_write32(m, FLASH_KEYR, FLASH_KEY2);
  if (r)
    return lf_err_wrap(s, r, "loader: unlock flash");
  uint32_t page = (sec->addr - g->bank_base[sec->bank]) / PAGE;
  if ((r = lf_memap_write32(m, FLASH_SR, LF_LDR_L4_SR_W1C)) ||
      (r = lf_memap_write32(m, FLASH_CR, CR_PER | page << 3 | (sec->bank ? CR_BKER : 0) | CR_STRT)))
    return lf_err_wrap(s, r, "loader: start erase of page %u", sec->index);
  return 0;
}

static void l4_status_names(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len)
{
  static const lf_flag_name names[] = {
    {0x02, "OPERR"}, {0x08, "PROGERR"}, {0x10, "WRPERR"}, {0x20, "PGAERR"}, {0x40, "SIZERR"},
    {0x80, "PGSERR"}, {0x100, "MISERR"}, {0x200, "FASTERR"}, {0x10000, "BSY"},
  };
  lf_flag_names(names, sizeof names / sizeof names[0], sr, buf, len);
}

static const lf_loader_adapter l4_adapter = {
  .name = "stm32l4", .blob = lf_blob_stm32l4, .blob_len = &lf_blob_stm32l4_len,
  .load_addr = LF_BLOB_STM32L4_LOAD, .entry_off = LF_BLOB_STM32L4_ENTRY, .exit_off = LF_BLOB_STM32L4_EXIT,
  .ram_size = SRAM1_SIZE, /* SRAM1 (R 2.4; SRAM2 is lost at RDP regression) */
  .core_hz = 4e6,         /* MSI after reset (R 8): the loader does not touch the clocks */
  .status_reg = "FLASH_SR", .configure = l4_configure, .erase_start = l4_erase_start,
  .status_names = l4_status_names,
  .zblob = lf_blob_stm32l4_z, .zblob_len = &lf_blob_stm32l4_z_len,
  .z_core_hz = 48e6, /* the routine runs the MSI at 48 MHz (loaders/stm32l4.c) */
};

static const lf_loader_adapter *l4_loader(const lf_flash_geometry *g)
{
  const line *ln = line_of(g->line);
  return ln && ln->max_kib ? &l4_adapter : NULL;
}

/* ---- protection ---- */

/* RDP (R 4.4): OPTR byte 0xAA level 0, 0xCC level 2, anything else level 1:
 * flash, SRAM2 and the backup registers unreachable with a debugger
 * connected; back to level 0 mass-erases both banks and SRAM2. */
static int l4_protection(lf_session *s, lf_memap *m, const lf_chip *c, lf_protection *out)
{
  memset(out, 0, sizeof *out);
  uint32_t optr = 0;
  int r = lf_memap_read32(m, FLASH_OPTR, &optr);
  if (r)
    return lf_err_wrap(s, r, "read protection: FLASH_OPTR");
  uint32_t rdp = optr & 0xFFu;
  out->level = rdp == RDP_LEVEL0 ? 0 : rdp == RDP_LEVEL2 ? 2 : 1;
  out->reg = FLASH_OPTR;
  out->value = optr;
  snprintf(out->what, sizeof out->what, "RDP level %d (FLASH_OPTR 0x%08x, RDP byte 0x%02X)", out->level,
           optr, rdp);
  if (out->level == 2)
    snprintf(out->message, sizeof out->message,
             "Level 2 is permanent: the flash can never again be read, erased or programmed "
             "through the debug port (only firmware already on the chip can update it)");
  else if (out->level == 1)
    snprintf(out->message, sizeof out->message,
             "A chip at level 1 refuses flash and SRAM2 accesses while a debugger is connected: "
             "flashing needs RDP level 0, and going back from level 1 to level 0 mass-erases both "
             "banks and SRAM2 (all flash content is lost). To do that: `luaflash "
             "scripts/examples/unprotect.lua allow_mass_erase=true` (installed in "
             "share/doc/luaflash/examples), or a production script (luaflash.production) with "
             "option_bytes = { rdp = 0 } and allow_mass_erase = true");
  return 0;
}

static void l4_unique_id(uint32_t dev_id, uint32_t *addr, uint32_t *len)
{
  *addr = line_of(dev_id) ? UID_ADDR : 0; /* R 1.2 */
  *len = *addr ? 12 : 0;
}

static bool l4_knows_line(uint32_t dev_id) { return line_of(dev_id) != NULL; }

const lf_family lf_family_stm32l4 = {
  .name = "stm32l4",
  .title = "STM32L4 embedded flash",
  .debug = {DBGMCU_CR, DBGMCU_CR_SLEEP_STOP_STANDBY},
  .identify = l4_identify,
  .flash_info = l4_flash_info,
  .geometry = l4_geometry,
  .loader = l4_loader,
  .protection = l4_protection,
  .unique_id = l4_unique_id,
  .check_geometry = l4_check_geometry,
  .knows_line = l4_knows_line,
  .program_once = true, /* ECC on every double word (R 4.3) */
};
