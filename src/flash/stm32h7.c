/* Family unit: STM32H7 embedded flash with two independent bank
 * controllers (FLASH at 0x52002000, bank 2's registers at +0x100), 256-bit
 * flash words, 128 KiB sectors. Everything luaflash knows about these chips
 * is here: registers, lines (DEV_IDs), layout and timings, identification,
 * the loader adapter (target side: loaders/stm32h7.c) and read protection.
 * Facts: stm32-f1-l4-h7-targets.md ("H7 n.m"); every time is a datasheet
 * figure named in its row, the ones the reference tags unconfirmed are
 * marked.
 *
 * Layout (H7 2.3): bank 1 at 0x08000000 and bank 2 at 0x08100000, 8
 * sectors of 128 KiB each on a 2 MiB part; the banks work at the same time
 * (H7 5.3 "Concurrency"), so the geometry declares independent banks: the
 * plan's floor is the slower bank and the stream engine keeps both
 * controllers busy (loader.h). Parts with 1 MiB (two banks of 512 KiB with
 * a gap between them) are named but not supported yet. */
#include <stdio.h>
#include <string.h>

#include "arm/adi.h"
#include "flash/family.h"
#include "flash/loader.h"

extern const lf_family lf_family_stm32h7;
#include "flash/loaders/stm32h7_blob.h"
#include "flash/loaders/stm32h7_z_blob.h"

#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/stm32h7.c" /* the family words of the control block (struct lf_ldr_h7) */
#undef LF_LDR_CONTRACT_ONLY

/* ---- registers ---- */

#define DBGMCU_IDCODE 0x5C001000u /* H7 1.3: through AP0 (system bus) */
#define DBGMCU_CR 0x5C001004u
/* H7 8: DBG_SLEEPD1 | DBG_STOPD1 | DBG_STANDBYD1, D1DBGCKEN | D3DBGCKEN
 * (OpenOCD sets the same, H7 9.1) */
#define DBGMCU_CR_DEBUG 0x00600007u

#define FLASH_REGS 0x52002000u
#define BANK_REGS 0x100u
#define FLASH_KEYR 0x04u
#define FLASH_CR 0x0Cu
#define FLASH_SR 0x10u
#define FLASH_CCR 0x14u
#define FLASH_OPTSR_CUR 0x1Cu /* H7 5.4: RDP in bits 15:8 */
#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu
#define CR_LOCK 0x1u
#define CR_SER 0x4u
#define CR_START 0x80u
#define BANK2 0x08100000u

#define CRC_REGS 0x58024C00u    /* H7 7 */
#define RCC_AHB4ENR 0x580244E0u /* CRCEN bit 19 */
#define RCC_CRCEN (1u << 19)
#define IWDG1_REGS 0x58004800u  /* H7 2.3 */
#define UID_ADDR 0x1FF1E800u    /* H7 1.3 */
#define FSIZE_ADDR 0x1FF1E880u

#define RDP_LEVEL0 0xAAu
#define RDP_LEVEL2 0xCCu

/* The parallelism luaflash programs and erases with: x64 (PSIZE 3), the
 * fastest column of every time below; OpenOCD erases with it too (H7 9.2:
 * CR = 0x34 | SNB << 8). */
#define PSIZE_X64 3u

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull

/* ---- timings (only the 256-bit flash word column: program unit 32 B) ----
 * H7 6, at x64: flash word program 100 us typ / 200 us max [unconf,
 * DS12110]; 128 KiB sector erase 1 s / 2 s (DS12110 Table 53); bank erase
 * 5 s / 10 s [unconf], one bank (both banks erase at once: mass = one
 * bank's time, family.h). */
static const lf_flash_timing h7_timing = {
  .prog_ns = {{0, 0, 0, 0, 0, 100 * US}, {0, 0, 0, 0, 0, 200 * US}},
  .erase = {
    {128 * KiB, {{0, 0, 0, 0, 0, 1000 * MS}, {0, 0, 0, 0, 0, 2000 * MS}}},
  },
  .mass_ns = {{0, 0, 0, 0, 0, 5000 * MS}, {0, 0, 0, 0, 0, 10000 * MS}},
  .mass_ref_bytes = 1024 * KiB,
};

/* ---- lines (DEV_ID = DBGMCU_IDCODE & 0xFFF) ---- */

typedef struct line {
  uint16_t dev_id;
  const char *name;
  bool supported;
} line;

static const line lines[] = {
  /* H7 1.3: DEV_ID 0x450 (H742/H743/H750/H753: one die) */
  {0x450, "STM32H74x/H75x", true},
  /* Other H7 lines luaflash names but cannot program yet (other CR layout,
   * 8 KiB sectors, 128-bit words: OpenOCD stm32h7x) */
  {0x480, "STM32H7Ax/H7Bx", false},
  {0x483, "STM32H72x/H73x", false},
};

static const line *line_of(uint32_t dev_id)
{
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if (lines[i].dev_id == (dev_id & 0xFFFu))
      return &lines[i];
  return NULL;
}

/* ---- identify ---- */

static int h7_identify(lf_session *s, lf_memap *m, lf_chip *out)
{
  uint32_t idcode = 0;
  int r = lf_memap_read32(m, DBGMCU_IDCODE, &idcode);
  if (r)
    return r;
  const line *ln = line_of(idcode);
  if (!idcode || !ln)
    return 0;
  out->line = ln->dev_id;
  out->rev = idcode >> 16;
  out->idcode = idcode;
  snprintf(out->name, sizeof out->name, "%s", ln->name);
  out->supported = ln->supported;
  return 1;
}

/* The flash-size register (H7 1.3); both banks are always there. */
static int h7_flash_info(lf_session *s, lf_memap *m, lf_chip *c)
{
  const line *ln = line_of(c->line);
  if (!ln || !ln->supported)
    return 0;
  uint32_t v = 0;
  int r = lf_memap_read32(m, FSIZE_ADDR, &v);
  if (r)
    return lf_err_wrap(s, r, "%s: flash size register 0x%08x", ln->name, FSIZE_ADDR);
  c->flash_kib = v & 0xFFFFu;
  c->dual_bank = true;
  c->flash_known = true;
  return 0;
}

/* ---- geometry ---- */

static int h7_geometry(lf_session *s, const lf_chip *c, lf_flash_geometry *g)
{
  const line *ln = line_of(c->line);
  if (!ln)
    return lf_err_set(s, LF_ENOTSUP, "flash: DEV_ID 0x%03x is not an STM32H7 line", (unsigned)c->line);
  if (!ln->supported)
    return lf_err_set(s, LF_ENOTSUP, "flash: %s (DEV_ID 0x%03x) is not supported yet (known: "
                      "STM32H74x/H75x)", ln->name, (unsigned)ln->dev_id);
  uint32_t kib = c->flash_kib;
  if (kib == 0 || kib == 0xFFFF)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: flash size register 0x%08X reads 0x%04X (not programmed); "
                      "give the flash size explicitly", ln->name, FSIZE_ADDR, (unsigned)kib);
  if (kib != 2048)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: %u KiB is not supported (2048 KiB: two banks of 8 x 128 KiB; "
                      "smaller parts leave a gap between the banks)", ln->name, (unsigned)kib);
  const lf_geometry_region rg[2] = {
    {LF_LDR_H7_FLASH_BASE, 8, 128 * KiB, 0, 0},
    {BANK2, 8, 128 * KiB, 1, 8}, /* HAL/OpenOCD count bank-2 sectors 0-7; luaflash 8-15 */
  };
  char name[64];
  snprintf(name, sizeof name, "%s %u KiB dual bank", ln->name, (unsigned)kib);
  lf_geometry_desc d = {
    .name = name, .family = &lf_family_stm32h7, .line = ln->dev_id, .regions = rg, .nregions = 2,
    .erased = 0xFF, .prog_units = 32 /* the 256-bit flash word (H7 5.3) */, .prog_unit = 32,
    .timing = &h7_timing, .parallel_banks = true, .program_once = true /* ECC (stm32-f1-l4-h7 5.3) */,
  };
  return lf_geometry_build(s, &d, g);
}

/* The loader maps addresses with this layout: 128 KiB sectors, bank 1 at
 * 0x08000000 and bank 2 at 0x08100000. */
static int h7_check_geometry(lf_session *s, const lf_flash_geometry *g)
{
  if (g->base != LF_LDR_H7_FLASH_BASE || g->nbanks != 2 || g->bank_base[1] != BANK2 ||
      g->prog_unit != 32)
    return lf_err_set(s, LF_EINVAL, "%s: an STM32H7 flash has bank 1 at 0x%08x and bank 2 at "
                      "0x%08x, programmed in 32-byte flash words", g->name, LF_LDR_H7_FLASH_BASE,
                      BANK2);
  for (unsigned i = 0; i < g->nsectors; i++)
    if (g->sector[i].size != 128 * KiB)
      return lf_err_set(s, LF_EINVAL, "%s: sector at 0x%08x is %u bytes: the STM32H7 loader "
                        "erases 128 KiB sectors", g->name, g->sector[i].addr, g->sector[i].size);
  return 0;
}

/* ---- loader adapter ---- */

static int h7_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                        uint32_t fam[LF_LDR_FAM_WORDS])
{
  if (cfg->prog_unit != 32)
    return lf_err_set(s, LF_EINVAL, "loader: %s: program unit %u bytes (the flash word is 32)",
                      g->name, cfg->prog_unit);
  struct lf_ldr_h7 c = {
    .flash_regs = FLASH_REGS,
    .bank_regs = BANK_REGS,
    .bank2 = BANK2,
    .psize = PSIZE_X64,
    .sector_shift = 17,
    .crc_regs = CRC_REGS,
    .rcc_enr = RCC_AHB4ENR,
    .rcc_bit = RCC_CRCEN,
    .iwdg_regs = IWDG1_REGS, /* a hardware watchdog runs from reset at 512 ms (IWDG1_SW = 0) */
  };
  memcpy(fam, &c, sizeof c);
  return 0;
}

/* Starts the erase of one sector through the debug port (H7 5.3): unlock
 * its bank when locked, clear its flags (CCR), CR = SER | PSIZE | SNB, then
 * | START. A failed unlock is not checked here: CR ignores writes while
 * locked and the loader's init reports LF_LDR_ST_LOCKED. The loader's first
 * command then only takes the erase as started. */
static int h7_erase_start(lf_session *s, lf_memap *m, const lf_flash_geometry *g,
                          const lf_flash_sector *sec, const lf_loader_cfg *cfg)
{
  (void)cfg;
  uint32_t regs = FLASH_REGS + (sec->bank ? BANK_REGS : 0), cr;
  int r = lf_memap_read32(m, regs + FLASH_CR, &cr);
  if (!r && (cr & CR_LOCK) && (r = lf_memap_write32(m, regs + FLASH_KEYR, FLASH_KEY1)) == 0)
    r = lf_memap_write32(m, regs + FLASH_KEYR, FLASH_KEY2);
  if (r)
    return lf_err_wrap(s, r, "loader: unlock flash bank %u", sec->bank + 1);
  uint32_t v = CR_SER | (PSIZE_X64 << 4) | (((sec->addr - g->bank_base[sec->bank]) >> 17) << 8);
  if ((r = lf_memap_write32(m, regs + FLASH_CCR, LF_LDR_H7_SR_CLEAR)) ||
      (r = lf_memap_write32(m, regs + FLASH_CR, v)) ||
      (r = lf_memap_write32(m, regs + FLASH_CR, v | CR_START)))
    return lf_err_wrap(s, r, "loader: start erase of sector %u", sec->index);
  return 0;
}

static void h7_status_names(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len)
{
  (void)g;
  static const struct { uint32_t bit; const char *name; } names[] = {
    {0x1, "BSY"}, {0x2, "WBNE"}, {0x4, "QW"}, {0x10000, "EOP"}, {0x20000, "WRPERR"},
    {0x40000, "PGSERR"}, {0x80000, "STRBERR"}, {0x200000, "INCERR"}, {0x400000, "OPERR"},
    {0x800000, "RDPERR"}, {0x1000000, "RDSERR"}, {0x2000000, "SNECCERR"}, {0x4000000, "DBECCERR"},
  };
  size_t o = 0;
  buf[0] = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if ((sr & names[i].bit) && o < len) {
      int k = snprintf(buf + o, len - o, "%s%s", o ? " " : "", names[i].name);
      if (k > 0)
        o += (size_t)k;
    }
  if (!buf[0])
    snprintf(buf, len, "no error flag");
}

/* FLASH_SR1/SR2 BSY or QW (H7 5.9.5: an operation runs or waits in the
 * queue) on any bank: after a link error the loader waits for this instead
 * of the slowest operation's maximum (a bank erase: seconds). */
static int h7_flash_busy(lf_session *s, lf_memap *m, const lf_flash_geometry *g, bool *busy)
{
  *busy = false;
  for (unsigned b = 0; b < (g->nbanks > 1 ? 2u : 1u); b++) {
    uint32_t sr;
    int r = lf_memap_read32(m, FLASH_REGS + b * BANK_REGS + FLASH_SR, &sr);
    if (r)
      return lf_err_wrap(s, r, "read FLASH_SR%u", b + 1);
    if (sr & 0x5u)
      *busy = true;
  }
  return 0;
}

/* Code, control block, queue and stack in DTCM (128 KiB, never cached,
 * clocked after reset: H7 2.4), the ring in AXI SRAM (512 KiB; the loader
 * cleans and disables the D-cache before the host writes any ring data). */
static const lf_loader_adapter h7_adapter = {
  .name = "stm32h7", .blob = lf_blob_stm32h7, .blob_len = &lf_blob_stm32h7_len,
  .load_addr = LF_BLOB_STM32H7_LOAD, .entry_off = LF_BLOB_STM32H7_ENTRY,
  .exit_off = LF_BLOB_STM32H7_EXIT, .ram_size = 0x20000u,
  .ring_addr = 0x24000000u, .ring_size = 0x80000u,
  .banks = true,
  .core_hz = 64e6, /* HSI after reset (H7 8): the loader does not touch the clocks */
  .status_reg = "FLASH_SR", .configure = h7_configure, .erase_start = h7_erase_start,
  .status_names = h7_status_names, .flash_busy = h7_flash_busy,
  /* PROGRAM_Z for ranges of one bank (pairs stay plain); the region at the
   * end of the DTCM window, the ring stays whole in AXI SRAM */
  .zblob = lf_blob_stm32h7_z, .zblob_len = &lf_blob_stm32h7_z_len,
  .z_core_hz = 64e6, /* the loader's clock */
};

static const lf_loader_adapter *h7_loader(const lf_flash_geometry *g)
{
  const line *ln = line_of(g->line);
  return ln && ln->supported ? &h7_adapter : NULL;
}

/* ---- protection ---- */

/* RDP (H7 5.4): level 1 blocks flash reads (and, with the debugger
 * connected, program and erase) through the debug port; regression to
 * level 0 erases both banks; level 2 is permanent. */
static int h7_protection(lf_session *s, lf_memap *m, const lf_chip *c, lf_protection *out)
{
  (void)c;
  memset(out, 0, sizeof *out);
  uint32_t optsr = 0;
  int r = lf_memap_read32(m, FLASH_REGS + FLASH_OPTSR_CUR, &optsr);
  if (r)
    return lf_err_wrap(s, r, "read protection: FLASH_OPTSR_CUR");
  uint32_t rdp = (optsr >> 8) & 0xFFu;
  out->level = rdp == RDP_LEVEL0 ? 0 : rdp == RDP_LEVEL2 ? 2 : 1;
  out->reg = FLASH_REGS + FLASH_OPTSR_CUR;
  out->value = optsr;
  snprintf(out->what, sizeof out->what, "RDP level %d (FLASH_OPTSR_CUR 0x%08x, RDP byte 0x%02X)",
           out->level, optsr, rdp);
  if (out->level == 2)
    snprintf(out->message, sizeof out->message,
             "Level 2 is permanent: the flash can never again be read, erased or programmed "
             "through the debug port (only firmware already on the chip can update it)");
  else if (out->level == 1)
    snprintf(out->message, sizeof out->message,
             "A chip at level 1 refuses flash reads, erases and programs while a debugger is "
             "connected: flashing needs RDP level 0, and going back from level 1 to level 0 "
             "erases both flash banks (all flash content is lost). To do that: `luaflash "
             "scripts/examples/unprotect.lua allow_mass_erase=true` (installed in "
             "share/doc/luaflash/examples), or a production script (luaflash.production) with "
             "option_bytes = { rdp = 0 } and allow_mass_erase = true (it regresses, then "
             "flashes the image)");
  return 0;
}

static void h7_unique_id(uint32_t dev_id, uint32_t *addr, uint32_t *len)
{
  const line *ln = line_of(dev_id);
  *addr = ln && ln->supported ? UID_ADDR : 0;
  *len = *addr ? 12 : 0;
}

static bool h7_knows_line(uint32_t id) { return line_of(id) != NULL; }

const lf_family lf_family_stm32h7 = {
  .name = "stm32h7",
  .title = "STM32H7 embedded flash (two independent banks)",
  .debug = {DBGMCU_CR, DBGMCU_CR_DEBUG},
  .identify = h7_identify,
  .flash_info = h7_flash_info,
  .geometry = h7_geometry,
  .loader = h7_loader,
  .protection = h7_protection,
  .unique_id = h7_unique_id,
  .check_geometry = h7_check_geometry,
  .knows_line = h7_knows_line,
  .program_once = true, /* ECC on every flash word (H7 5.3) */
};
