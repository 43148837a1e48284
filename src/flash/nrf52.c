/* Family unit: Nordic nRF52 NVMC (the nRF52840: 1 MiB of flash in 4 KiB
 * pages at 0, 32-bit word programming, erased 0xFF, no ECC; UICR at
 * 0x10001000). Everything luaflash knows about these chips is here:
 * registers, identification (FICR), geometry and timings, the loader adapter
 * (target side: loaders/nrf52.c), access-port protection (APPROTECT) and its
 * recovery through the CTRL-AP, the unique ID (FICR DEVICEID), the UF2
 * family. Facts: nrf52-rp2040-targets.md ("N n" below); every time names its
 * source.
 *
 * Identification: FICR INFO.PART (0x10000100) = 0x52840 with CODEPAGESIZE
 * 4096 (N 1). The registry tries this family after the STM32 ones, whose
 * DBGMCU reads fault on an nRF52 (an STM32F4 has CCM RAM at 0x10000000,
 * so the order matters). The line ID is INFO.PART.
 *
 * Protection (N 5): with APPROTECT active the AHB-AP refuses every transfer,
 * so a connect fails before anything can be read; access_check then asks the
 * CTRL-AP (AP 1, IDR 0x02880000; bits 31:28 are a version, masked as pyOCD
 * does) for APPROTECTSTATUS and names the way back (recover). recover is
 * the CTRL-AP ERASEALL sequence (N 5.4, as OpenOCD's nrf52_recover and
 * pyOCD do it): ERASEALL = 1, ERASEALLSTATUS polled until 0, RESET 1 then
 * 0, ERASEALL = 0; then APPROTECTSTATUS must read 1. It erases all flash,
 * the UICR and RAM. On a hardened part (build code F0 and later) it then
 * writes UICR.APPROTECT = HwDisabled (0x5A), as pyOCD does. */
#include <stdio.h>
#include <string.h>

#include "arm/adi.h"
#include "flash/family.h"
#include "flash/loader.h"

extern const lf_family lf_family_nrf52;
#include "flash/loaders/nrf52_b_blob.h"
#include "flash/loaders/nrf52_blob.h"
#include "flash/loaders/nrf52_z_blob.h"

#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/nrf52.c" /* the family words of the control block (struct lf_ldr_nrf) */
#undef LF_LDR_CONTRACT_ONLY

/* ---- registers (N 1, 3, 5) ---- */

#define FICR_CODEPAGESIZE 0x10000010u
#define FICR_CODESIZE 0x10000014u
#define FICR_DEVICEID 0x10000060u
#define FICR_INFO_PART 0x10000100u
#define FICR_INFO_VARIANT 0x10000104u
#define FICR_PART_CODE 0x10000130u /* MDK errata tests: 0x08 = nRF52840 */
#define FICR_REV_INDEX 0x10000134u /* >= 5: hardened APPROTECT (N 1, 5.2) */
#define UICR_APPROTECT 0x10001208u
#define UICR_PALL_HWDISABLED 0x5Au
#define NVMC_BASE 0x4001E000u
#define WDT_BASE 0x40010000u

#define CTRL_AP 1u
#define CTRL_RESET 0x00u
#define CTRL_ERASEALL 0x04u
#define CTRL_ERASEALLSTATUS 0x08u
#define CTRL_APPROTECTSTATUS 0x0Cu
#define CTRL_IDR 0xFCu
#define CTRL_IDR_VALUE 0x02880000u
#define CTRL_IDR_MASK 0x0FFFFFFFu /* bits 31:28: version (pyOCD's CTRL_IDR_VERSION_MASK) */

#define PART_NRF52840 0x52840u
#define UF2_NRF52840 0xADA52840u /* microsoft/uf2 uf2families.json (N 17.2) */

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull
#define RECOVER_TIMEOUT_S 15.0 /* pyOCD's mass-erase limit (N 4, tool timeouts) */

/* RAM (N 2): the loader's window is the first 255 KiB; the CRC table the
 * loader builds at init takes the last KiB. */
#define RAM_BASE 0x20000000u
#define LOADER_RAM (255 * KiB)
#define CRC_TABLE (RAM_BASE + LOADER_RAM)

/* ---- timings (column x32 = the only program unit) ---- */

/* N 4: tWRITE 41 us [unconf, nRF52810 figure], tERASEPAGE 85 ms (nrf-hal
 * PR #385 for the nRF52840), tERASEALL 169 ms [unconf]; all maxima, used
 * for both columns (no typical is given). ERASEALL takes the same time for
 * any array size (mass_ref_bytes 0). */
static const lf_flash_timing nrf_timing = {
  .prog_ns = {{0, 0, 41 * US}, {0, 0, 41 * US}},
  .erase = {{4 * KiB, {{0, 0, 85 * MS}, {0, 0, 85 * MS}}}},
  .mass_ns = {{0, 0, 169 * MS}, {0, 0, 169 * MS}},
  .mass_ref_bytes = 0,
};

/* ---- identify ---- */

static int nrf_identify(lf_session *s, lf_memap *m, lf_chip *out)
{
  uint32_t part = 0, page = 0, variant = 0;
  int r = lf_memap_read32(m, FICR_INFO_PART, &part);
  if (r)
    return r == LF_EFAULT ? 0 : r;
  if (part != PART_NRF52840)
    return 0;
  if ((r = lf_memap_read32(m, FICR_CODEPAGESIZE, &page)) ||
      (r = lf_memap_read32(m, FICR_INFO_VARIANT, &variant)))
    return r == LF_EFAULT ? 0 : r;
  if (page != 4 * KiB)
    return 0;
  memset(out, 0, sizeof *out);
  out->line = part;
  out->idcode = part;
  out->rev = variant;
  out->supported = true;
  /* "nRF52840 AAD0": INFO.VARIANT is four ASCII characters, first in 31:24 */
  char v[5];
  for (int i = 0; i < 4; i++) {
    char ch = (char)(variant >> (24 - 8 * i));
    v[i] = ch >= 0x20 && ch < 0x7F ? ch : '?';
  }
  v[4] = 0;
  snprintf(out->name, sizeof out->name, "nRF52840 %s", v);
  (void)s;
  return 1;
}

/* Flash size from FICR: CODESIZE pages of CODEPAGESIZE bytes (N 1). */
static int nrf_flash_info(lf_session *s, lf_memap *m, lf_chip *c)
{
  uint32_t pages = 0, page = 0;
  int r = lf_memap_read32(m, FICR_CODESIZE, &pages);
  if (!r)
    r = lf_memap_read32(m, FICR_CODEPAGESIZE, &page);
  if (r)
    return lf_err_wrap(s, r, "nRF52: FICR CODESIZE/CODEPAGESIZE");
  if (page != 4 * KiB || pages == 0 || pages > 256)
    return lf_err_set(s, LF_EINVAL, "nRF52: FICR reads CODESIZE %u pages of CODEPAGESIZE %u bytes: "
                      "expected up to 256 pages of 4096", (unsigned)pages, (unsigned)page);
  c->flash_kib = pages * page / KiB;
  c->dual_bank = false;
  c->flash_known = true;
  return 0;
}

/* ---- geometry ---- */

static int nrf_geometry(lf_session *s, const lf_chip *c, lf_flash_geometry *g)
{
  if (c->line != PART_NRF52840)
    return lf_err_set(s, LF_ENOTSUP, "flash: INFO.PART 0x%05x is not an nRF52 part luaflash knows "
                      "(known: nRF52840)", (unsigned)c->line);
  uint32_t kib = c->flash_kib;
  if (kib == 0 || kib > 1024 || kib % 4)
    return lf_err_set(s, LF_EINVAL, "flash: nRF52840: a %u KiB array does not fit (4 KiB pages, at "
                      "most 1024 KiB)", (unsigned)kib);
  if (c->dual_bank)
    return lf_err_set(s, LF_EINVAL, "flash: nRF52840 has one bank");
  lf_geometry_region rg = {LF_LDR_NRF_FLASH_BASE, kib / 4, 4 * KiB, 0, 0};
  char name[64];
  snprintf(name, sizeof name, "nRF52840 %u KiB", (unsigned)kib);
  lf_geometry_desc d = {
    .name = name, .family = &lf_family_nrf52, .line = PART_NRF52840, .regions = &rg, .nregions = 1,
    .erased = 0xFF, .prog_units = 0x4 /* words only (N 3.1 #1) */, .prog_unit = 4,
    .timing = &nrf_timing,
  };
  return lf_geometry_build(s, &d, g);
}

/* A described geometry fits the loader when it is one bank of 4 KiB pages
 * at 0 (ERASEPAGE takes a page's first word; the loader aligns). */
static int nrf_check_geometry(lf_session *s, const lf_flash_geometry *g)
{
  if (g->base != LF_LDR_NRF_FLASH_BASE || g->nbanks != 1)
    return lf_err_set(s, LF_EINVAL, "%s: an nRF52 flash is one bank at 0", g->name);
  for (unsigned i = 0; i < g->nsectors; i++)
    if (g->sector[i].size != 4 * KiB)
      return lf_err_set(s, LF_EINVAL, "%s: page at 0x%08x is %u bytes (nRF52 pages are 4096)", g->name,
                        g->sector[i].addr, g->sector[i].size);
  return 0;
}

/* ---- loader adapter ---- */

static int nrf_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                         uint32_t fam[LF_LDR_FAM_WORDS])
{
  if (cfg->prog_unit != 4)
    return lf_err_set(s, LF_EINVAL, "loader: %s: program unit %u bytes (32-bit words only)", g->name,
                      cfg->prog_unit);
  struct lf_ldr_nrf c = {.nvmc = NVMC_BASE, .wdt = WDT_BASE, .page_size = 4 * KiB,
                         .crc_table = CRC_TABLE};
  memcpy(fam, &c, sizeof c);
  return 0;
}

/* Starts the erase of one page through the debug port (N 3): CONFIG = Een,
 * ERASEPAGE = the page. The loader's first command then only waits for
 * READY and sets CONFIG back to Ren. */
static int nrf_erase_start(lf_session *s, lf_memap *m, const lf_flash_geometry *g,
                           const lf_flash_sector *sec, const lf_loader_cfg *cfg)
{
  (void)g;
  (void)cfg;
  int r = lf_memap_write32(m, NVMC_BASE + LF_LDR_NRF_CONFIG, LF_LDR_NRF_CFG_EEN);
  if (!r)
    r = lf_memap_write32(m, NVMC_BASE + LF_LDR_NRF_ERASEPAGE, sec->addr);
  return r ? lf_err_wrap(s, r, "loader: start erase of page %u", sec->index) : 0;
}

static void nrf_status_names(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len)
{
  (void)g;
  (void)sr;
  snprintf(buf, len, "the NVMC has no error flag");
}

static int nrf_flash_busy(lf_session *s, lf_memap *m, const lf_flash_geometry *g, bool *busy)
{
  (void)g;
  uint32_t v = 0;
  int r = lf_memap_read32(m, NVMC_BASE + LF_LDR_NRF_READY, &v);
  if (r)
    return lf_err_wrap(s, r, "NVMC READY");
  *busy = !(v & 1u);
  return 0;
}

static const lf_loader_adapter nrf_adapter = {
  .name = "nrf52", .blob = lf_blob_nrf52, .blob_len = &lf_blob_nrf52_len,
  .load_addr = LF_BLOB_NRF52_LOAD, .entry_off = LF_BLOB_NRF52_ENTRY, .exit_off = LF_BLOB_NRF52_EXIT,
  .ram_size = LOADER_RAM, /* N 2: the RAM but the CRC table's KiB (the firmware's RAM is not kept) */
  .core_hz = 64e6,       /* N 6: 64 MHz from reset */
  .status_reg = "NVMC READY", .configure = nrf_configure, .erase_start = nrf_erase_start,
  .status_names = nrf_status_names, .flash_busy = nrf_flash_busy,
  .bblob = lf_blob_nrf52_b, .bblob_len = &lf_blob_nrf52_b_len, /* bits-only: blank words only (nWRITE) */
  .zblob = lf_blob_nrf52_z, .zblob_len = &lf_blob_nrf52_z_len,
  .z_core_hz = 64e6, /* the loader's clock */
};

static const lf_loader_adapter *nrf_loader(const lf_flash_geometry *g)
{
  return g->line == PART_NRF52840 ? &nrf_adapter : NULL;
}

/* ---- protection ---- */

static const char recover_how[] =
  "The debug port's memory access stays closed until the chip is erased through its CTRL-AP "
  "(ERASEALL: all flash, the UICR and RAM are lost, which lifts the protection): "
  "`luaflash recover allow_mass_erase=true` (with --bench / --probe as for the run)";

/* A connected chip's UICR.APPROTECT (N 5.1). The debug port is open (this
 * is read through it), so the level is 0; a PALL that closes it at the
 * next reset is named. */
static int nrf_protection(lf_session *s, lf_memap *m, const lf_chip *c, lf_protection *out)
{
  (void)c;
  memset(out, 0, sizeof *out);
  uint32_t v = 0;
  int r = lf_memap_read32(m, UICR_APPROTECT, &v);
  if (r)
    return lf_err_wrap(s, r, "APPROTECT: UICR 0x%08x", UICR_APPROTECT);
  out->reg = UICR_APPROTECT;
  out->value = v;
  const char *pall = (v & 0xFFu) == 0xFFu ? "disabled" : (v & 0xFFu) == 0x5Au ? "HwDisabled" : "enabled";
  bool closes = (v & 0xFFu) != 0xFFu && (v & 0xFFu) != 0x5Au;
  snprintf(out->what, sizeof out->what, "APPROTECT %s (UICR 0x%08x = 0x%08x)%s", pall, UICR_APPROTECT, v,
           closes ? ": the debug port closes at the next reset" : "");
  if (closes)
    lf_log(s, LF_LOG_WARN, "nRF52: %s; afterwards only `luaflash recover allow_mass_erase=true` opens it",
           out->what);
  return 0;
}

static int ctrl_ap_is_nordic(lf_session *s, lf_adi *a, bool *yes)
{
  uint32_t idr = 0;
  int r = lf_adi_ap_read(a, CTRL_AP, CTRL_IDR, &idr);
  if (r)
    return lf_err_wrap(s, r, "nRF52 CTRL-AP: read IDR");
  *yes = (idr & CTRL_IDR_MASK) == CTRL_IDR_VALUE;
  return 0;
}

static int nrf_access_check(lf_session *s, lf_adi *a, lf_protection *out)
{
  bool nordic = false;
  uint32_t st = 0;
  int r = ctrl_ap_is_nordic(s, a, &nordic);
  if (r || !nordic)
    return r;
  if ((r = lf_adi_ap_read(a, CTRL_AP, CTRL_APPROTECTSTATUS, &st)))
    return lf_err_wrap(s, r, "nRF52 CTRL-AP: read APPROTECTSTATUS");
  if (st & 1u)
    return 0;
  memset(out, 0, sizeof *out);
  out->level = 1;
  out->reg = CTRL_APPROTECTSTATUS;
  out->value = st;
  snprintf(out->what, sizeof out->what,
           "nRF52 access-port protection (APPROTECT: CTRL-AP APPROTECTSTATUS = %u)", (unsigned)st);
  snprintf(out->message, sizeof out->message, "%s", recover_how);
  return 1;
}

static int nrf_recover(lf_session *s, lf_adi *a)
{
  bool nordic = false;
  int r = ctrl_ap_is_nordic(s, a, &nordic);
  if (r)
    return r;
  if (!nordic)
    return lf_err_set(s, LF_ENOTSUP, "recover: no nRF52 CTRL-AP (AP 1 IDR is not 0x%08x): not an nRF52",
                      CTRL_IDR_VALUE);
  if ((r = lf_adi_ap_write(a, CTRL_AP, CTRL_ERASEALL, 1)))
    return lf_err_wrap(s, r, "recover: CTRL-AP ERASEALL");
  uint64_t t0 = lf_adi_now_ns(a);
  for (;;) {
    uint32_t busy = 1;
    if ((r = lf_adi_ap_read(a, CTRL_AP, CTRL_ERASEALLSTATUS, &busy)))
      return lf_err_wrap(s, r, "recover: CTRL-AP ERASEALLSTATUS");
    if (!(busy & 1u))
      break;
    if ((double)(lf_adi_now_ns(a) - t0) / 1e9 > RECOVER_TIMEOUT_S)
      return lf_err_set(s, LF_ETIMEDOUT, "recover: CTRL-AP ERASEALLSTATUS still 1 after %.0f s",
                        RECOVER_TIMEOUT_S);
  }
  uint32_t st = 0;
  if ((r = lf_adi_ap_write(a, CTRL_AP, CTRL_RESET, 1)) || (r = lf_adi_ap_write(a, CTRL_AP, CTRL_RESET, 0)) ||
      (r = lf_adi_ap_write(a, CTRL_AP, CTRL_ERASEALL, 0)) ||
      (r = lf_adi_ap_read(a, CTRL_AP, CTRL_APPROTECTSTATUS, &st)))
    return lf_err_wrap(s, r, "recover: CTRL-AP reset after the erase");
  if (!(st & 1u))
    return lf_err_set(s, LF_ETARGET, "recover: the erase finished but APPROTECTSTATUS still reads 0");
  /* Hardened APPROTECT (N 5.2: FICR 0x10000130 = 0x08, 0x10000134 >= 5):
   * the port closes again at every reset unless UICR.APPROTECT = 0x5A
   * (HwDisabled) and the firmware opens it; write 0x5A now, as pyOCD does
   * after its mass erase, so firmware built with the MDK keeps it open. */
  uint32_t code = 0, rev = 0;
  if ((r = lf_adi_read32(a, FICR_PART_CODE, &code)) || (r = lf_adi_read32(a, FICR_REV_INDEX, &rev)))
    return lf_err_wrap(s, r, "recover: FICR after the erase");
  if (code == 0x08u && rev >= 5u && rev != 0xFFFFFFFFu) {
    uint32_t ready = 0;
    if ((r = lf_adi_write32(a, NVMC_BASE + LF_LDR_NRF_CONFIG, LF_LDR_NRF_CFG_WEN)) ||
        (r = lf_adi_write32(a, UICR_APPROTECT, 0xFFFFFF00u | UICR_PALL_HWDISABLED)))
      return lf_err_wrap(s, r, "recover: UICR.APPROTECT = HwDisabled");
    for (int i = 0; i < 1000 && !(ready & 1u); i++)
      if ((r = lf_adi_read32(a, NVMC_BASE + LF_LDR_NRF_READY, &ready)))
        return lf_err_wrap(s, r, "recover: NVMC READY");
    uint32_t v = 0;
    if ((r = lf_adi_write32(a, NVMC_BASE + LF_LDR_NRF_CONFIG, LF_LDR_NRF_CFG_REN)) ||
        (r = lf_adi_read32(a, UICR_APPROTECT, &v)))
      return lf_err_wrap(s, r, "recover: UICR.APPROTECT read back");
    if ((v & 0xFFu) != UICR_PALL_HWDISABLED)
      return lf_err_set(s, LF_EIO, "recover: UICR.APPROTECT reads 0x%08x after writing HwDisabled", v);
    lf_log(s, LF_LOG_INFO, "recover: hardened APPROTECT part: UICR.APPROTECT = HwDisabled (0x5A); "
           "the firmware must still open the port after each reset (APPROTECT.DISABLE = 0x5A)");
  }
  lf_log(s, LF_LOG_INFO, "recover: nRF52 erased through the CTRL-AP in %.3f s; the debug port is open",
         (double)(lf_adi_now_ns(a) - t0) / 1e9);
  return 0;
}

/* ---- IDs ---- */

static void nrf_unique_id(uint32_t line, uint32_t *addr, uint32_t *len)
{
  *addr = line == PART_NRF52840 ? FICR_DEVICEID : 0; /* N 1: 64 random bits */
  *len = *addr ? 8 : 0;
}

static uint32_t nrf_uf2_family(uint32_t line, size_t i)
{
  return line == PART_NRF52840 && i == 0 ? UF2_NRF52840 : 0;
}

static bool nrf_knows_line(uint32_t line) { return line == PART_NRF52840; }

const lf_family lf_family_nrf52 = {
  .name = "nrf52",
  .title = "Nordic nRF52 NVMC",
  .identify = nrf_identify,
  .flash_info = nrf_flash_info,
  .geometry = nrf_geometry,
  .loader = nrf_loader,
  .protection = nrf_protection,
  .unique_id = nrf_unique_id,
  .check_geometry = nrf_check_geometry,
  .uf2_family = nrf_uf2_family,
  .knows_line = nrf_knows_line,
  .access_check = nrf_access_check,
  .recover = nrf_recover,
  .bits_only = true, .bits_blank_only = true, /* a word is written over only when it reads erased
                                                (nWRITE, N 3.1 #6) */
};
