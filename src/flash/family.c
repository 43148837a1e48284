/* Flash family tables (see family.h).
 *
 * Sector layouts. Every STM32F4/F7 array (or bank) listed here has the same
 * shape: four sectors of a unit U, one of 4U, then sectors of 8U up to the
 * bank size (F7 single bank U = 32 KiB; F7 dual bank, F72x and F4 U = 16 KiB):
 *   F76x 2 MiB single   4x32 + 128 + 7x256 KiB       stm32f7-target.md §7.1
 *   F76x 2 MiB dual     per bank 4x16 + 64 + 7x128   §7.2 (bank 2 SNB 0x10+k)
 *   F76x 1 MiB          4x32 + 128 + 3x256 / dual per bank 4x16 + 64 + 3x128  §7.5
 *   F72x/F73x 512 KiB   4x16 + 64 + 3x128            §7.6
 *   F74x/F75x 512 KiB   4x32 + 128 + 256             §7.6 (≈, unconfirmed against RM0385)
 *   F42x 2 MiB          always dual, per bank 4x16 + 64 + 7x128   stm32f4-target.md §7.1
 *   F42x 1 MiB          DB1M=0: 12 sectors as bank 1; DB1M=1: 2 x (4x16 + 64 + 3x128),
 *                       bank 2 at 0x08080000, logical sectors 12-19, SNB 0x10+k   §7.2, §7.3
 *   F40x/F41x 1 MiB     4x16 + 64 + 7x128 (same controller as F42x bank 1; RM0090)
 * so the layout is generated from (U, bank size) and a flash size that the
 * shape does not fill exactly is rejected. Bank 2 always follows bank 1
 * directly (F76x 1 MiB dual: RM0410 as quoted and OpenOCD say 0x08080000;
 * BMP says 0x08100000 — stm32f7-target.md §7.5 marks this conflicting).
 *
 * Times: see the rows of f7_timing / f4_timing. */
#include "flash/family.h"

#include <stdio.h>
#include <string.h>

#define KiB 1024u
#define MS 1000000ull
#define US 1000ull

enum { DUAL_NEVER, DUAL_OPTION, DUAL_ABOVE_1M }; /* DUAL_ABOVE_1M: > 1 MiB always dual, 1 MiB option */

/* STM32F7 (stm32f7-target.md §9.1, DS11532 "Flash memory programming";
 * the reference tags every number unconfirmed). Columns x8/x16/x32/x64; x64
 * (external VPP) figures are not known: the x32 ones are used. The
 * dual-bank 16 KiB / 64 KiB sector times are not known either: half of the
 * 32 KiB / 128 KiB time is assumed (the bench's params.c makes the same
 * assumption). F72x/F73x and F74x/F75x use these rows too: their datasheets
 * are not in the references. */
static const lf_flash_timing f7_timing = {
  /* tPROG typ 16 us, max 100 us, for x8/x16/x32 alike (§9.1 row tPROG) */
  .prog_ns = {{16 * US, 16 * US, 16 * US, 16 * US}, {100 * US, 100 * US, 100 * US, 100 * US}},
  .erase = {
    /* assumption: half of tERASE32KB */
    {16 * KiB, {{200 * MS, 125 * MS, 100 * MS, 100 * MS}, {400 * MS, 300 * MS, 250 * MS, 250 * MS}}},
    /* §9.1 tERASE32KB: 400/250/200 ms typ, 800/600/500 ms max */
    {32 * KiB, {{400 * MS, 250 * MS, 200 * MS, 200 * MS}, {800 * MS, 600 * MS, 500 * MS, 500 * MS}}},
    /* assumption: half of tERASE128KB */
    {64 * KiB, {{550 * MS, 400 * MS, 250 * MS, 250 * MS}, {1200 * MS, 700 * MS, 550 * MS, 550 * MS}}},
    /* §9.1 tERASE128KB: 1100/800/500 ms typ, 2400/1400/1100 ms max */
    {128 * KiB, {{1100 * MS, 800 * MS, 500 * MS, 500 * MS}, {2400 * MS, 1400 * MS, 1100 * MS, 1100 * MS}}},
    /* §9.1 tERASE256KB: 2/1.3/1 s typ, 4/2.6/2 s max */
    {256 * KiB, {{2000 * MS, 1300 * MS, 1000 * MS, 1000 * MS}, {4000 * MS, 2600 * MS, 2000 * MS, 2000 * MS}}},
  },
  /* §9.1 tME (2 MiB): 16/11/8 s typ, 32/22/16 s max; smaller arrays scale
   * with size (assumption, as the bench). */
  .mass_ns = {{16000 * MS, 11000 * MS, 8000 * MS, 8000 * MS}, {32000 * MS, 22000 * MS, 16000 * MS, 16000 * MS}},
  .mass_ref_bytes = 2048 * KiB,
};

/* STM32F4 (stm32f4-target.md §9.1, DS9405; all unconfirmed there, the
 * 128 KiB maxima and tPROG max corroborated by DS8626 for the F40x). x64
 * typ = the VPP column (230/490/875 ms, 6.9 s); x64 max: x32 values. F40x/F41x
 * use the same rows (DS8626 gives the same 128 KiB maxima). */
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

#define OPTCR 0x40023C14u

typedef struct fam_row {
  lf_family f;
  uint32_t unit_single, unit_dual; /* smallest sector, single / dual bank */
  int dual;                        /* DUAL_* */
  uint32_t max_kib;
  uint32_t otp, otp_size, otp_lock_size; /* 0 = no OTP region declared */
  bool itcm_alias;                 /* flash also at 0x00200000 (ITCM, read-only) */
  const lf_flash_timing *timing;
} fam_row;

static const fam_row families[] = {
  /* F76x/F77x: stm32f7-target.md §1 (DEV_ID, size register 0x1FF0F442), §3.6
   * (OPTCR.nDBANK bit 29, 1 = single), §2 (OTP 1024 B + 16 lock bytes at
   * 0x1FF0F000, ITCM alias 0x00200000). */
  {{0x451, "STM32F76x/F77x", "RM0410", 0x1FF0F442u, OPTCR, 1u << 29, false},
   32 * KiB, 16 * KiB, DUAL_OPTION, 2048, 0x1FF0F000u, 1024, 16, true, &f7_timing},
  /* F74x/F75x: DEV_ID 0x449 and 512 KiB/1 MiB shape per §2.1/§7.6 (≈);
   * size register as the F76x (OpenOCD stm32f2x probe); no dual bank. */
  {{0x449, "STM32F74x/F75x", "RM0385", 0x1FF0F442u, 0, 0, false},
   32 * KiB, 0, DUAL_NEVER, 1024, 0x1FF0F000u, 1024, 16, true, &f7_timing},
  /* F72x/F73x: DEV_ID 0x452, size register 0x1FF07A22 (OpenOCD stm32f2x:
   * "yes, 0x1FF*0*7A22"), max 512 KiB, §7.6 shape; OTP not declared (its
   * address is not in the references). */
  {{0x452, "STM32F72x/F73x", "RM0431", 0x1FF07A22u, 0, 0, false},
   16 * KiB, 0, DUAL_NEVER, 512, 0, 0, 0, true, &f7_timing},
  /* F42x/F43x: stm32f4-target.md §1 (0x419, size register 0x1FFF7A22),
   * §3.6 (OPTCR.DB1M bit 30), §2 (OTP 512 B + 16 lock bytes at 0x1FFF7800). */
  {{0x419, "STM32F42x/F43x", "RM0090", 0x1FFF7A22u, OPTCR, 1u << 30, true},
   16 * KiB, 16 * KiB, DUAL_ABOVE_1M, 2048, 0x1FFF7800u, 512, 16, false, &f4_timing},
  /* F40x/F41x: DEV_ID 0x413, max 1 MiB single bank (OpenOCD stm32f2x);
   * same size register and OTP as the F42x (RM0090 covers both). */
  {{0x413, "STM32F40x/F41x", "RM0090", 0x1FFF7A22u, 0, 0, false},
   16 * KiB, 0, DUAL_NEVER, 1024, 0x1FFF7800u, 512, 16, false, &f4_timing},
};

static const fam_row *row_by_dev(uint16_t dev_id)
{
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
    if (families[i].f.dev_id == (dev_id & 0xFFFu))
      return &families[i];
  return NULL;
}

const lf_family *lf_family_by_dev(uint16_t dev_id)
{
  const fam_row *r = row_by_dev(dev_id);
  return r ? &r->f : NULL;
}

bool lf_family_dual_from_opt(const lf_family *f, uint32_t opt_value)
{
  if (!f || !f->dual_mask)
    return false;
  bool set = (opt_value & f->dual_mask) != 0;
  return set == f->dual_when_set;
}

/* Appends one bank of the 4U / 4U / 8U... shape; false if bank_bytes is not
 * exactly filled or the table would overflow. */
static bool add_bank(lf_flash_geometry *g, uint32_t addr, uint32_t bank_bytes, uint32_t unit,
                     unsigned bank)
{
  uint32_t off = 0;
  for (unsigned k = 0; off < bank_bytes; k++) {
    uint32_t size = k < 4 ? unit : k == 4 ? 4 * unit : 8 * unit;
    if (off + size > bank_bytes || g->nsectors >= LF_FLASH_MAX_SECTORS || k > 11)
      return false;
    lf_flash_sector *sec = &g->sector[g->nsectors++];
    sec->addr = addr + off;
    sec->size = size;
    sec->bank = (uint8_t)bank;
    sec->index = (uint8_t)(bank ? 12 + k : k);
    sec->snb = (uint8_t)(bank ? 0x10 + k : k);
    off += size;
  }
  return true;
}

int lf_family_find(lf_session *s, uint16_t dev_id, uint32_t flash_kib, bool dual_bank,
                   lf_flash_geometry *g)
{
  const fam_row *r = row_by_dev(dev_id);
  if (!r)
    return lf_err_set(s, LF_ENOTSUP,
                      "flash: DEV_ID 0x%03x is not a known flash family "
                      "(known: 0x451 F76x/F77x, 0x449 F74x/F75x, 0x452 F72x/F73x, "
                      "0x419 F42x/F43x, 0x413 F40x/F41x)",
                      (unsigned)(dev_id & 0xFFFu));
  if (flash_kib == 0 || flash_kib == 0xFFFF)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: flash size register 0x%08X reads 0x%04X (not programmed); "
                      "give the flash size explicitly",
                      r->f.name, (unsigned)r->f.flash_size_reg, (unsigned)flash_kib);
  if (flash_kib > r->max_kib)
    return lf_err_set(s, LF_EINVAL, "flash: %s: flash size %u KiB is larger than the family's %u KiB",
                      r->f.name, (unsigned)flash_kib, (unsigned)r->max_kib);
  bool dual;
  switch (r->dual) {
  case DUAL_NEVER:
    if (dual_bank)
      return lf_err_set(s, LF_EINVAL, "flash: %s has no dual-bank mode", r->f.name);
    dual = false;
    break;
  case DUAL_ABOVE_1M:
    if (flash_kib < 1024 && dual_bank)
      return lf_err_set(s, LF_EINVAL, "flash: %s %u KiB has no dual-bank mode (DB1M needs 1024 KiB)",
                        r->f.name, (unsigned)flash_kib);
    dual = flash_kib > 1024 || dual_bank;
    break;
  default:
    dual = dual_bank;
    break;
  }

  memset(g, 0, sizeof *g);
  g->family = &r->f;
  g->flash_kib = flash_kib;
  g->dual_bank = dual;
  g->base = 0x08000000u;
  g->size = flash_kib * KiB;
  g->timing = r->timing;
  g->nbanks = dual ? 2 : 1;
  bool ok;
  if (dual) {
    uint32_t half = g->size / 2;
    ok = add_bank(g, g->base, half, r->unit_dual, 0) && add_bank(g, g->base + half, half, r->unit_dual, 1);
  } else {
    ok = add_bank(g, g->base, g->size, r->unit_single, 0);
  }
  if (!ok)
    return lf_err_set(s, LF_EINVAL,
                      "flash: %s: a %u KiB %s array does not fit the sector layout "
                      "(4 x %u KiB, %u KiB, then %u KiB sectors%s)",
                      r->f.name, (unsigned)flash_kib, dual ? "dual-bank" : "single-bank",
                      (unsigned)((dual ? r->unit_dual : r->unit_single) / KiB),
                      (unsigned)(4 * (dual ? r->unit_dual : r->unit_single) / KiB),
                      (unsigned)(8 * (dual ? r->unit_dual : r->unit_single) / KiB),
                      dual ? " per bank" : "");

  g->region[g->nregions++] = (lf_mem_region){g->base, g->size, LF_REGION_MAIN, "flash"};
  if (r->otp) {
    g->region[g->nregions++] = (lf_mem_region){r->otp, r->otp_size, LF_REGION_OTP, "OTP"};
    g->region[g->nregions++] =
      (lf_mem_region){r->otp + r->otp_size, r->otp_lock_size, LF_REGION_OTP, "OTP lock bytes"};
  }
  if (r->itcm_alias)
    g->alias[g->naliases++] = (lf_addr_alias){0x00200000u, g->size, g->base, "ITCM flash alias"};
  snprintf(g->name, sizeof g->name, "%s %u KiB %s", r->f.name, (unsigned)flash_kib,
           dual ? "dual bank" : "single bank");
  return 0;
}

const lf_flash_sector *lf_geometry_sector_at(const lf_flash_geometry *g, uint32_t addr)
{
  unsigned lo = 0, hi = g->nsectors;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    const lf_flash_sector *sec = &g->sector[mid];
    if (addr < sec->addr)
      hi = mid;
    else if (addr - sec->addr >= sec->size)
      lo = mid + 1;
    else
      return sec;
  }
  return NULL;
}

uint64_t lf_geometry_erase_ns(const lf_flash_geometry *g, const lf_flash_sector *sec, unsigned psize,
                              bool max)
{
  const lf_flash_erase_row *best = NULL;
  for (const lf_flash_erase_row *e = g->timing->erase; e < g->timing->erase + 5 && e->size; e++)
    if (e->size == sec->size)
      best = e;
  if (!best) /* not reached for the tables above: every sector size has a row */
    return 0;
  return best->ns[max ? 1 : 0][psize & 3];
}

uint64_t lf_geometry_mass_ns(const lf_flash_geometry *g, unsigned psize, bool max)
{
  uint64_t full = g->timing->mass_ns[max ? 1 : 0][psize & 3];
  return full * g->size / g->timing->mass_ref_bytes;
}

uint64_t lf_geometry_prog_ns(const lf_flash_geometry *g, unsigned psize, bool max)
{
  return g->timing->prog_ns[max ? 1 : 0][psize & 3];
}
