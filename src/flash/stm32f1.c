/* Family unit: STM32F1 embedded flash (the FPEC: FLASH_KEYR, SR, CR with
 * PG/PER/MER/STRT, AR, OBR, WRPR; one bank of equal pages, half-word
 * programming). Everything luaflash knows about these chips is here:
 * registers, lines (DEV_IDs), page layouts and timings, identification, the
 * loader adapter (target side: loaders/stm32f1.c), read protection and the
 * unique ID. Facts: stm32-f1-l4-h7-targets.md ("R n.m" below); every time
 * is a datasheet figure named in its row.
 *
 * Lines. Medium density (DEV_ID 0x410: STM32F101/F102/F103 x8/xB, up to
 * 128 KiB in 1 KiB pages) and high density (0x414: x C/D/E, up to 512 KiB in
 * 2 KiB pages) are supported (R 1.1, 2.1; OpenOCD's stm32f1x table). The
 * low-density, connectivity, value and XL-density lines are named, not
 * supported yet (their RAM and layouts are not in the references; XL has a
 * second bank with its own registers). */
#include <stdio.h>
#include <string.h>

#include "arm/adi.h"
#include "flash/family.h"
#include "flash/loader.h"

extern const lf_family lf_family_stm32f1;
#include "flash/loaders/stm32f1_b_blob.h"
#include "flash/loaders/stm32f1_blob.h"
#include "flash/loaders/stm32f1_z_blob.h"

#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/stm32f1.c" /* the family words of the control block (struct lf_ldr_f1) */
#undef LF_LDR_CONTRACT_ONLY

/* ---- registers (R 1.1, 3.1, 7, 8) ---- */

#define DBGMCU_IDCODE 0xE0042000u /* the debugger reads it (the core reads 0, R 12 #12) */
#define DBGMCU_CR 0xE0042004u
#define DBGMCU_CR_SLEEP_STOP_STANDBY 0x7u

#define FLASH_REGS 0x40022000u
#define FLASH_KEYR (FLASH_REGS + 0x04u)
#define FLASH_SR (FLASH_REGS + 0x0Cu)
#define FLASH_CR (FLASH_REGS + 0x10u)
#define FLASH_AR (FLASH_REGS + 0x14u)
#define FLASH_OBR (FLASH_REGS + 0x1Cu)
#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define CR_PER 0x02u
#define CR_STRT 0x40u
#define CR_LOCK 0x80u
#define OBR_RDPRT 0x2u

#define FLASH_SIZE_REG 0x1FFFF7E0u /* u16, KiB */
#define UID_ADDR 0x1FFFF7E8u       /* 96 bits */
#define CRC_REGS 0x40023000u
#define RCC_AHBENR 0x40021014u     /* CRC clock: bit 6 (CRCEN) */
#define RCC_CRCEN 0x40u
#define IWDG_REGS 0x40003000u

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull

/* ---- timings (column x16 = the only program unit) ---- */

/* DS5319 Table 28 (R 6): tprog (16-bit) 40/52.5/70 us min/typ/max; tERASE
 * (page) and tME (mass) 20 ms min, 40 ms max, no typical given: the minimum
 * stands for the typical (as the reference's floor does). High density
 * (DS5792) is assumed to be the same [unconf]; tME does not scale with the
 * array size (mass_ref_bytes 0). */
static const lf_flash_timing f1_timing = {
  .prog_ns = {{0, 52500}, {0, 70 * US}},
  .erase = {
    {1 * KiB, {{20 * MS, 20 * MS}, {40 * MS, 40 * MS}}},
    {2 * KiB, {{20 * MS, 20 * MS}, {40 * MS, 40 * MS}}},
  },
  .mass_ns = {{20 * MS, 20 * MS}, {40 * MS, 40 * MS}},
  .mass_ref_bytes = 0,
};

/* ---- lines (DEV_ID = DBGMCU_IDCODE & 0xFFF) ---- */

typedef struct line {
  uint16_t dev_id;
  const char *name;
  uint32_t page, max_kib;     /* page size; 0 = the line is only named */
  uint32_t ram;               /* the loader's RAM window: the smallest SRAM of the line */
} line;

static const line lines[] = {
  /* 0x410: R 1.1 (DEV_ID), 2.1 (1 KiB pages, 128 KiB); SRAM 10 KiB on the
   * smallest parts (F101x8/F102x8, ST datasheets as recalled [unconf]),
   * 20 KiB on the F103RB */
  {0x410, "STM32F10x medium density", 1 * KiB, 128, 10 * KiB},
  /* 0x414: 2 KiB pages up to 512 KiB (pyOCD's stm32f103rc map, R 10); SRAM
   * 32 KiB on the smallest (F101RC [unconf]), 48 KiB on the F103RC */
  {0x414, "STM32F10x high density", 2 * KiB, 512, 32 * KiB},
  {0x412, "STM32F10x low density", 0, 0, 0},
  {0x418, "STM32F105/F107 connectivity line", 0, 0, 0},
  {0x420, "STM32F100 value line", 0, 0, 0},
  {0x428, "STM32F100 high-density value line", 0, 0, 0},
  {0x430, "STM32F10x XL density", 0, 0, 0},
};

static const line *line_of(uint32_t dev_id)
{
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if (lines[i].dev_id == (dev_id & 0xFFFu))
      return &lines[i];
  return NULL;
}

/* ---- identify ---- */

static const char *f1_line_name(uint32_t dev_id, bool *supported)
{
  const line *ln = line_of(dev_id);
  *supported = ln && ln->page != 0;
  return ln ? ln->name : NULL;
}

static int f1_identify(lf_session *s, lf_memap *m, lf_chip *out)
{
  return lf_identify_by_idcode(s, m, DBGMCU_IDCODE, f1_line_name, out);
}

static int f1_flash_info(lf_session *s, lf_memap *m, lf_chip *c)
{
  const line *ln = line_of(c->line);
  if (!ln || !ln->page)
    return 0;
  uint32_t v = 0;
  int r = lf_memap_read32(m, FLASH_SIZE_REG, &v);
  if (r)
    return lf_err_wrap(s, r, "%s: flash size register 0x%08x", ln->name, FLASH_SIZE_REG);
  c->flash_kib = v & 0xFFFFu;
  c->dual_bank = false;
  c->flash_known = true;
  return 0;
}

/* ---- geometry ---- */

static int f1_geometry(lf_session *s, const lf_chip *c, lf_flash_geometry *g)
{
  const line *ln = line_of(c->line);
  if (!ln)
    return lf_err_set(s, LF_ENOTSUP, "flash: DEV_ID 0x%03x is not an STM32F1 line", (unsigned)c->line);
  if (!ln->page)
    return lf_err_set(s, LF_ENOTSUP, "flash: %s (DEV_ID 0x%03x) is not supported yet (known: "
                      "STM32F10x medium and high density)", ln->name, (unsigned)ln->dev_id);
  uint32_t kib = c->flash_kib;
  if (kib == 0 || kib == 0xFFFF)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: flash size register 0x%08X reads 0x%04X (not programmed); "
                      "give the flash size explicitly", ln->name, FLASH_SIZE_REG, (unsigned)kib);
  if (kib > ln->max_kib || (kib * KiB) % ln->page)
    return lf_err_set(s, LF_EINVAL, "flash: %s: a %u KiB array does not fit the line (%u KiB pages, "
                      "at most %u KiB)", ln->name, (unsigned)kib, (unsigned)(ln->page / KiB),
                      (unsigned)ln->max_kib);
  if (c->dual_bank)
    return lf_err_set(s, LF_EINVAL, "flash: %s has no dual-bank mode", ln->name);
  lf_geometry_region rg = {LF_LDR_F1_FLASH_BASE, kib * KiB / ln->page, ln->page, 0, 0};
  char name[64];
  snprintf(name, sizeof name, "%s %u KiB", ln->name, (unsigned)kib);
  lf_geometry_desc d = {
    .name = name, .family = &lf_family_stm32f1, .line = ln->dev_id, .regions = &rg, .nregions = 1,
    .erased = 0xFF, .prog_units = 0x2 /* half-words only (R 3.2) */, .prog_unit = 2,
    .timing = &f1_timing,
  };
  return lf_geometry_build(s, &d, g);
}

/* A described geometry fits the loader when it is one bank of equal pages
 * of 1 or 2 KiB at 0x08000000 (the loader erases a page by any address in
 * it, FLASH_AR). */
static int f1_check_geometry(lf_session *s, const lf_flash_geometry *g)
{
  uint32_t page = g->nsectors ? g->sector[0].size : 0;
  if (g->base != LF_LDR_F1_FLASH_BASE || g->nbanks != 1 || (page != 1 * KiB && page != 2 * KiB))
    return lf_err_set(s, LF_EINVAL, "%s: an STM32F1 flash is one bank of 1 or 2 KiB pages at 0x%08x",
                      g->name, LF_LDR_F1_FLASH_BASE);
  for (unsigned i = 0; i < g->nsectors; i++)
    if (g->sector[i].size != page)
      return lf_err_set(s, LF_EINVAL, "%s: page at 0x%08x is %u bytes, the others %u", g->name,
                        g->sector[i].addr, g->sector[i].size, page);
  return 0;
}

/* ---- loader adapter ---- */

static int f1_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                        uint32_t fam[LF_LDR_FAM_WORDS])
{
  if (cfg->prog_unit != 2)
    return lf_err_set(s, LF_EINVAL, "loader: %s: program unit %u bytes (half-words only)", g->name,
                      cfg->prog_unit);
  struct lf_ldr_f1 c = {
    .flash_regs = FLASH_REGS,
    .crc_mode = LF_LDR_F1_CRC_FIXED,
    .crc_regs = CRC_REGS,
    .rcc_enr = RCC_AHBENR,
    .rcc_bit = RCC_CRCEN,
    .iwdg_regs = IWDG_REGS, /* the loader slows and feeds a running IWDG (hardware watchdog) */
    .page_size = g->nsectors ? g->sector[0].size : 1024,
    .zero_ok = 1, /* PM0075: 0x0000 is accepted over a programmed half-word [unconf] (f1 3.3) */
  };
  memcpy(fam, &c, sizeof c);
  return 0;
}

/* Starts the erase of one page through the debug port (R 3.2): unlock when
 * locked, clear stale flags, CR = PER, AR = the page, CR = PER | STRT. A
 * failed unlock is not checked here: CR ignores writes while locked and the
 * loader's init reports LF_LDR_ST_LOCKED. The loader's first command then
 * only waits for this erase. */
static int f1_erase_start(lf_session *s, lf_memap *m, const lf_flash_geometry *g,
                          const lf_flash_sector *sec, const lf_loader_cfg *cfg)
{
  uint32_t cr;
  int r = lf_memap_read32(m, FLASH_CR, &cr);
  if (!r && (cr & CR_LOCK) && (r = lf_memap_write32(m, FLASH_KEYR, FLASH_KEY1)) == 0)
    r = lf_memap_write32(m, FLASH_KEYR, FLASH_KEY2);
  if (r)
    return lf_err_wrap(s, r, "loader: unlock flash");
  if ((r = lf_memap_write32(m, FLASH_SR, LF_LDR_F1_SR_ERRORS | LF_LDR_F1_SR_EOP)) ||
      (r = lf_memap_write32(m, FLASH_CR, CR_PER)) || (r = lf_memap_write32(m, FLASH_AR, sec->addr)) ||
      (r = lf_memap_write32(m, FLASH_CR, CR_PER | CR_STRT)))
    return lf_err_wrap(s, r, "loader: start erase of page %u", sec->index);
  return 0;
}

static void f1_status_names(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len)
{
  static const lf_flag_name names[] = {{0x04, "PGERR"}, {0x10, "WRPRTERR"}, {0x01, "BSY"}};
  lf_flag_names(names, sizeof names / sizeof names[0], sr, buf, len);
}

/* One adapter per RAM window (the smallest SRAM of the line), same blob. */
#define F1_ADAPTER(ram)                                                                         \
  {                                                                                             \
    .zblob = lf_blob_stm32f1_z, .zblob_len = &lf_blob_stm32f1_z_len,                            \
    .z_core_hz = 64e6, /* the routine runs the PLL at 64 MHz (loaders/stm32f1.c) */            \
    .z_chunk = 2048,  /* region 12 KiB: fits a 20 KiB window (ram_size) and the 32 KiB one */ \
    .name = "stm32f1", .blob = lf_blob_stm32f1, .blob_len = &lf_blob_stm32f1_len,                 \
    .load_addr = LF_BLOB_STM32F1_LOAD, .entry_off = LF_BLOB_STM32F1_ENTRY,                        \
    .exit_off = LF_BLOB_STM32F1_EXIT, .ram_size = (ram),                                        \
    .core_hz = 8e6, /* HSI after reset (R 8): the loader does not touch the clocks */           \
    .status_reg = "FLASH_SR", .configure = f1_configure, .erase_start = f1_erase_start,         \
    .status_names = f1_status_names,                                                            \
    .bblob = lf_blob_stm32f1_b, .bblob_len = &lf_blob_stm32f1_b_len,                            \
  }
static const lf_loader_adapter md_adapter = F1_ADAPTER(10 * KiB);
static const lf_loader_adapter hd_adapter = F1_ADAPTER(32 * KiB);

static const lf_loader_adapter *f1_loader(const lf_flash_geometry *g)
{
  const line *ln = line_of(g->line);
  if (!ln || !ln->page)
    return NULL;
  return ln->ram >= 32 * KiB ? &hd_adapter : &md_adapter;
}

/* ---- protection ---- */

/* RDP (R 3.4): OBR.RDPRT = the RDP option byte is not 0xA5. The F1 has one
 * level: debugger reads of the flash fail, and with a debugger connected
 * program and erase are refused; the way back erases the option bytes,
 * which mass-erases the main flash. */
static int f1_protection(lf_session *s, lf_memap *m, const lf_chip *c, lf_protection *out)
{
  memset(out, 0, sizeof *out);
  uint32_t obr = 0;
  int r = lf_memap_read32(m, FLASH_OBR, &obr);
  if (r)
    return lf_err_wrap(s, r, "read protection: FLASH_OBR");
  out->level = (obr & OBR_RDPRT) ? 1 : 0;
  out->reg = FLASH_OBR;
  out->value = obr;
  snprintf(out->what, sizeof out->what, "RDP level %d (FLASH_OBR 0x%08x, RDPRT %s)", out->level, obr,
           out->level ? "set" : "clear");
  if (out->level)
    snprintf(out->message, sizeof out->message,
             "A chip with read protection refuses flash reads through the debug port, and "
             "erases and programs while a debugger is connected: flashing needs it off, and "
             "removing it erases the option bytes, which mass-erases the whole flash (all "
             "content is lost). To do that: `luaflash scripts/examples/unprotect.lua "
             "allow_mass_erase=true` (installed in share/doc/luaflash/examples), or a "
             "production script (luaflash.production) with option_bytes = { rdp = 0 } and "
             "allow_mass_erase = true");
  return 0;
}

static void f1_unique_id(uint32_t dev_id, uint32_t *addr, uint32_t *len)
{
  const line *ln = line_of(dev_id);
  *addr = ln ? UID_ADDR : 0; /* R 1.1: every F1 line */
  *len = *addr ? 12 : 0;
}

static bool f1_knows_line(uint32_t dev_id) { return line_of(dev_id) != NULL; }

const lf_family lf_family_stm32f1 = {
  .name = "stm32f1",
  .title = "STM32F1 embedded flash",
  .debug = {DBGMCU_CR, DBGMCU_CR_SLEEP_STOP_STANDBY},
  .identify = f1_identify,
  .flash_info = f1_flash_info,
  .geometry = f1_geometry,
  .loader = f1_loader,
  .protection = f1_protection,
  .unique_id = f1_unique_id,
  .check_geometry = f1_check_geometry,
  .knows_line = f1_knows_line,
  .bits_only = true, .bits_blank_only = true, .bits_zero_ok = true, /* a half-word over 0xFFFF, or
                                                                       0x0000 over anything (f1 3.3) */
};
