/* Family unit: Raspberry Pi RP2040 with its external QSPI NOR flash behind
 * the XIP window (the Pico's W25Q16JV, 2 MiB), programmed through the boot
 * ROM's flash functions (target side: loaders/rp2040.c; a compressed
 * stream's pages go through the SSI from the loader itself, so it inflates
 * while the flash programs: loaders/rp2040_z.c). Everything luaflash
 * knows about the chip is here: identification (SYSINFO CHIP_ID), the
 * geometry (4 KiB sectors, 256-byte pages, 64 KiB block erases, erased
 * 0xFF, the W25Q16JV's datasheet times), the loader adapter, the UF2 family.
 * Facts: nrf52-rp2040-targets.md ("RP n" below).
 *
 * Connect: the RP2040's DPs share one multidrop SWD wire and start dormant
 * (RP 8); the family's Lua settings (lua/luaflash/families/rp2040.lua) name
 * core 0's TARGETSEL, which the probe sends at connect (probe.h
 * set_targetsel). Flash size: the chip has no flash-size register (the flash
 * is a separate chip); the geometry takes the part's (the Pico's 2 MiB) or a
 * board's `flash` setting. No read protection exists (no protection op). The flash's unique ID needs SPI commands (0x4B), not a
 * memory read: unique_id names none. */
#include <stdio.h>
#include <string.h>

#include "arm/adi.h"
#include "flash/family.h"
#include "flash/loader.h"

extern const lf_family lf_family_rp2040;
#include "flash/loaders/rp2040_blob.h"
#include "flash/loaders/rp2040_z_blob.h"

#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/rp2040.c" /* the family words of the control block (struct lf_ldr_rp) */
#undef LF_LDR_CONTRACT_ONLY

/* ---- registers (RP 9) ---- */

#define SYSINFO_CHIP_ID 0x40000000u /* REVISION 31:28, PART 27:12, MANUFACTURER 11:0 */
#define CHIP_MANUFACTURER 0x927u    /* Raspberry Pi (matches TARGETID's designer) */
#define CHIP_PART_RP2040 0x0002u
#define LINE_RP2040 0x0002u         /* the family's line ID: CHIP_ID.PART */
#define CRC_TABLE 0x20040000u       /* SRAM4 (4 KiB): the loader's CRC table, outside its window */
#define SSI_BAUDR_FAST 2u           /* clk_sys / 2 for PP/erase commands (RP 11, 12) */
#define UF2_RP2040 0xE48BFF56u      /* microsoft/uf2 family "RP2040" (RP 17.2) */

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull

/* ---- timings: W25Q16JV (RP 12, the datasheet as BMP transcribes it) ----
 * Program unit column x32 (4 bytes, the loader's word): one 256-byte page
 * program (tPP typ 0.4 ms, max 3 ms) over its 64 words; erase: tSE 4 KiB
 * 45/400 ms; erase blocks tBE2 64 KiB 150/2000 ms and tBE1 32 KiB 120/1600
 * ms; chip: the loader
 * erases the chip by 64 KiB blocks (the ROM has no chip-erase function):
 * 32 x tBE2 for 2 MiB. */
static const lf_flash_timing w25q16jv_timing = {
  .prog_ns = {{0, 0, 400 * US / 64}, {0, 0, 3 * MS / 64}},
  .erase = {{4 * KiB, {{0, 0, 45 * MS}, {0, 0, 400 * MS}}}},
  .mass_ns = {{0, 0, 32 * 150 * MS}, {0, 0, 32 * 2000 * MS}},
  .mass_ref_bytes = 2048 * KiB,
  .block_size = {64 * KiB, 32 * KiB},
  .block_ns = {{150 * MS, 2000 * MS}, {120 * MS, 1600 * MS}},
};

/* ---- identify ---- */

static int rp_identify(lf_session *s, lf_memap *m, lf_chip *out)
{
  (void)s;
  uint32_t id = 0;
  int r = lf_memap_read32(m, SYSINFO_CHIP_ID, &id);
  if (r)
    return r; /* a fault: not this family (lf_family_identify) */
  if ((id & 0xFFFu) != CHIP_MANUFACTURER || ((id >> 12) & 0xFFFFu) != CHIP_PART_RP2040)
    return 0;
  memset(out, 0, sizeof *out);
  out->family = &lf_family_rp2040;
  out->line = LINE_RP2040;
  out->rev = id >> 28;
  out->idcode = id;
  snprintf(out->name, sizeof out->name, "RP2040 B%u", (unsigned)(id >> 28) - 1u);
  out->supported = true;
  return 1;
}

/* ---- geometry ---- */

static int rp_geometry(lf_session *s, const lf_chip *c, lf_flash_geometry *g)
{
  if (c->line != LINE_RP2040)
    return lf_err_set(s, LF_ENOTSUP, "flash: line 0x%04x is not an RP2040", (unsigned)c->line);
  uint32_t kib = c->flash_kib ? c->flash_kib : 2048; /* the Pico's W25Q16JV */
  if (kib < 64 || kib > 16 * 1024 || (kib & (kib - 1)))
    return lf_err_set(s, LF_EINVAL, "flash: RP2040: a %u KiB QSPI flash does not fit the XIP window "
                      "(a power of two, 64 KiB .. 16 MiB)", (unsigned)kib);
  if (c->dual_bank)
    return lf_err_set(s, LF_EINVAL, "flash: RP2040 has no dual-bank mode");
  lf_geometry_region rg = {LF_LDR_RP_XIP_BASE, kib * KiB / (4 * KiB), 4 * KiB, 0, 0};
  char name[64];
  snprintf(name, sizeof name, "RP2040 QSPI flash %u KiB (XIP)", (unsigned)kib);
  lf_geometry_desc d = {
    .name = name, .family = &lf_family_rp2040, .line = LINE_RP2040, .regions = &rg, .nregions = 1,
    .erased = 0xFF, .prog_units = 0x4 /* words */, .prog_unit = 4, .timing = &w25q16jv_timing,
  };
  int r = lf_geometry_build(s, &d, g);
  if (!r)
    g->page_size = LF_LDR_RP_PAGE; /* program ranges are whole 256-byte pages */
  return r;
}

/* A described geometry fits the loader when it is one bank of 4 KiB sectors
 * at the XIP base (the ROM erases by 4 KiB sectors and 64 KiB blocks). */
static int rp_check_geometry(lf_session *s, const lf_flash_geometry *g)
{
  if (g->base != LF_LDR_RP_XIP_BASE || g->nbanks != 1)
    return lf_err_set(s, LF_EINVAL, "%s: an RP2040 flash is one bank at 0x%08x", g->name,
                      LF_LDR_RP_XIP_BASE);
  for (unsigned i = 0; i < g->nsectors; i++)
    if (g->sector[i].size != 4 * KiB)
      return lf_err_set(s, LF_EINVAL, "%s: sector at 0x%08x is %u bytes: the RP2040's flash "
                        "erases 4 KiB sectors", g->name, g->sector[i].addr, g->sector[i].size);
  return 0;
}

/* ---- loader adapter ---- */

static int rp_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                        uint32_t fam[LF_LDR_FAM_WORDS])
{
  if (cfg->prog_unit != 4)
    return lf_err_set(s, LF_EINVAL, "loader: %s: program unit %u bytes (words, in 256-byte pages)",
                      g->name, cfg->prog_unit);
  struct lf_ldr_rp c = {
    .flash_base = g->base,
    .flash_size = g->size,
    .crc_table = CRC_TABLE,
    .ssi_baudr = SSI_BAUDR_FAST,
    .dma_ch = 0, /* the sniffer's CRC on channel 0 (the halted firmware's use of it is lost) */
    /* PROGRAM_Z's first status poll after a page program: 95 % of tPP typ */
    .pp_us = (uint32_t)(w25q16jv_timing.prog_ns[0][2] * 64u * 19u / 20u / US),
  };
  memcpy(fam, &c, sizeof c);
  return 0;
}

static void rp_status_names(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len)
{
  (void)g;
  uint32_t flag = sr & LF_LDR_RP_SR_FLAG_MASK;
  if (sr == LF_LDR_RP_NO_ROM_FUNC)
    snprintf(buf, len, "a boot ROM flash function is missing from its table");
  else if (flag == LF_LDR_RP_NO_WEL)
    snprintf(buf, len, "the flash refused the page program (WEL not set; status 0x%02x)",
             (unsigned)(sr & 0xFFu));
  else if (flag == LF_LDR_RP_BUSY)
    snprintf(buf, len, "the flash stayed busy over %u ms (status 0x%02x)",
             (unsigned)(LF_LDR_RP_BUSY_US / 1000u), (unsigned)(sr & 0xFFu));
  else
    snprintf(buf, len, "no error flag");
}

/* The loader's RAM window: SRAM0-3 (256 KiB striped, RP 9); SRAM4 holds the
 * CRC table, SRAM5 the boot ROM's boot2 copy. clk_sys as the bench runs it
 * (no cycle counter on the M0+: the figure only names the clock). */
static const lf_loader_adapter rp_adapter = {
  .name = "rp2040", .blob = lf_blob_rp2040, .blob_len = &lf_blob_rp2040_len,
  .load_addr = LF_BLOB_RP2040_LOAD, .entry_off = LF_BLOB_RP2040_ENTRY, .exit_off = LF_BLOB_RP2040_EXIT,
  .ram_size = 256 * KiB, .erase_blocks = true, .post_ahead = true, .core_hz = 125e6, .status_reg = "ROM",
  .configure = rp_configure, .status_names = rp_status_names,
  .zblob = lf_blob_rp2040_z, .zblob_len = &lf_blob_rp2040_z_len,
  .z_core_hz = 125e6, /* the loader's clock (clk_sys) */
  /* measured on the bench: z-xl-pico (977 KB realistic image) streams
   * 977,408 bytes in 1.644 s, 210 cycles a byte at 125 MHz: the page
   * programs and, per page, what the routine does between them (write
   * enable, the quad page program, the pages its inflate, ~100 cycles a
   * byte, had not finished); Z_CYC_PER_BYTE (120) is the F4/F7's */
  .z_cyc_per_byte = 210,
  /* the routine programs pages through the SSI itself and inflates the next
   * page while the flash programs one (loaders/rp2040.c PROGRAM_Z): not z_serial */
  .z_chunk = 32768, /* records of 32 KiB, a history of 32 KiB (deflate's window) */
  .z_cont = true,
  /* the routine undoes the Thumb branch filter (flag BCJ: 44 -> 42 KB for
   * the realistic 66 KB image), but undoing a page costs the M0+ ~4000
   * cycles and its inflate is not a page ahead of the flash on ~40 % of
   * the pages: measured on the bench (the routine with the quad program),
   * z-small-pico 0.149 s with, 0.139 s without, z-xl-pico 1.844 / 1.697 s
   * (undone ahead while the flash is busy: still 1.768 s); only the 4 MHz
   * row, link bound, gains (0.285 / 0.296 s). Off: the host does not
   * filter for the Pico */
  .z_bcj = false,
};

static const lf_loader_adapter *rp_loader(const lf_flash_geometry *g)
{
  return g->line == LINE_RP2040 ? &rp_adapter : NULL;
}

static void rp_unique_id(uint32_t line, uint32_t *addr, uint32_t *len)
{
  (void)line;
  *addr = 0; /* the flash chip's ID (0x4B) is an SPI command, not memory */
  *len = 0;
}

static uint32_t rp_uf2_family(uint32_t line, size_t i)
{
  return line == LINE_RP2040 && i == 0 ? UF2_RP2040 : 0;
}

static bool rp_knows_line(uint32_t line) { return line == LINE_RP2040; }

const lf_family lf_family_rp2040 = {
  .name = "rp2040",
  .title = "RP2040 QSPI flash through the boot ROM",
  .identify = rp_identify,
  .geometry = rp_geometry,
  .loader = rp_loader,
  /* no read protection: .protection NULL */
  .unique_id = rp_unique_id,
  .check_geometry = rp_check_geometry,
  .uf2_family = rp_uf2_family,
  .knows_line = rp_knows_line,
};
