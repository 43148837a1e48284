/* Geometry helpers and the family registry (family.h). Pure: nothing here
 * touches a target except lf_family_identify, which asks each family unit. */
#include "flash/family.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm/adi.h"

/* ---- the registry (its rows are in parts.c, next to the parts) ---- */

const lf_family *lf_family_by_name(const char *name)
{
  const lf_family *f;
  for (size_t i = 0; name && (f = lf_family_at(i)); i++)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

int lf_family_identify(lf_session *s, struct lf_memap *m, const lf_family *hint, lf_chip *out)
{
  memset(out, 0, sizeof *out);
  char tried[128] = "";
  for (size_t i = 0; i == 0 || lf_family_at(i - 1); i++) {
    const lf_family *f = i == 0 ? hint : lf_family_at(i - 1);
    if (!f || (i > 0 && f == hint))
      continue;
    size_t o = strlen(tried);
    snprintf(tried + o, sizeof tried - o, "%s%s", o ? ", " : "", f->name);
    int r = f->identify(s, m, out);
    if (r < 0 && r != LF_EFAULT)
      return r;
    if (r == 1) {
      out->family = f;
      return 0;
    }
    lf_err_clear(s); /* a fault on a register this chip lacks: not this family */
    memset(out, 0, sizeof *out);
  }
  return lf_err_set(s, LF_ENOTSUP, "flash: no flash family knows this chip (tried: %s)",
                    tried[0] ? tried : "none");
}

int lf_chip_flash_info(lf_session *s, struct lf_memap *m, lf_chip *c)
{
  if (c->flash_known || !c->supported || !c->family || !c->family->flash_info)
    return 0;
  return c->family->flash_info(s, m, c);
}

int lf_line_geometry(lf_session *s, const lf_family *f, uint32_t line, uint32_t flash_kib,
                     bool dual_bank, lf_flash_geometry *g)
{
  lf_chip c = {.family = f, .line = line, .flash_kib = flash_kib, .dual_bank = dual_bank,
               .supported = true};
  memset(g, 0, sizeof *g);
  for (size_t i = 0; !f && lf_family_at(i); i++)
    if (lf_family_at(i)->knows_line && lf_family_at(i)->knows_line(line))
      f = lf_family_at(i);
  int r = LF_ENOTSUP;
  char tried[128] = "";
  for (size_t i = 0; r == LF_ENOTSUP && (f ? i == 0 : lf_family_at(i) != NULL); i++) {
    c.family = f ? f : lf_family_at(i);
    if (!f && c.family->knows_line)
      continue; /* it says it does not name the line */
    lf_err_clear(s);
    r = c.family->geometry(s, &c, g);
  }
  if (r == LF_ENOTSUP && !f) {
    for (size_t i = 0; lf_family_at(i); i++) {
      size_t o = strlen(tried);
      snprintf(tried + o, sizeof tried - o, "%s%s", o ? ", " : "", lf_family_at(i)->name);
    }
    return lf_err_set(s, LF_ENOTSUP, "flash: no flash family knows the line with ID 0x%03x (tried: %s)",
                      (unsigned)line, tried);
  }
  return r;
}

/* ---- helpers for family units ---- */

int lf_identify_by_idcode(lf_session *s, struct lf_memap *m, uint32_t reg,
                          const char *(*name_of)(uint32_t line, bool *supported), lf_chip *out)
{
  uint32_t idcode = 0;
  int r = lf_memap_read32(m, reg, &idcode);
  if (r)
    return r;
  bool supported = false;
  const char *name = idcode ? name_of(idcode & 0xFFFu, &supported) : NULL;
  if (!name)
    return 0;
  out->line = idcode & 0xFFFu;
  out->rev = idcode >> 16;
  out->idcode = idcode;
  snprintf(out->name, sizeof out->name, "%s", name);
  out->supported = supported;
  return 1;
}

void lf_flag_names(const lf_flag_name *names, size_t n, uint32_t sr, char *buf, size_t len)
{
  size_t o = 0;
  buf[0] = 0;
  for (size_t i = 0; i < n; i++)
    if ((sr & names[i].bit) && names[i].name && o < len) {
      int k = snprintf(buf + o, len - o, "%s%s", o ? " " : "", names[i].name);
      if (k > 0)
        o += (size_t)k;
    }
  if (!buf[0])
    snprintf(buf, len, "no error flag");
}

/* ---- geometry ---- */

static bool pow2(uint32_t v) { return v && !(v & (v - 1)); }

int lf_geometry_build(lf_session *s, const lf_geometry_desc *d, lf_flash_geometry *g)
{
  memset(g, 0, sizeof *g);
  const char *nm = d->name ? d->name : "flash";
  if (!d->nregions)
    return lf_err_set(s, LF_EINVAL, "geometry %s: no regions", nm);
  if (!d->timing)
    return lf_err_set(s, LF_EINVAL, "geometry %s: no timing table", nm);
  if (!d->prog_units || !(d->prog_units & d->prog_unit) || !pow2(d->prog_unit) ||
      d->prog_unit >= 1u << LF_FLASH_UNITS)
    return lf_err_set(s, LF_EINVAL, "geometry %s: program unit %u bytes is not one of its units", nm,
                      d->prog_unit);
  if (d->nextra + 1 > LF_FLASH_MAX_REGIONS || d->naliases > LF_FLASH_MAX_ALIASES)
    return lf_err_set(s, LF_EINVAL, "geometry %s: at most %d extra regions and %d aliases", nm,
                      LF_FLASH_MAX_REGIONS - 1, LF_FLASH_MAX_ALIASES);
  uint64_t total = 0;
  uint32_t base = d->regions[0].base;
  for (size_t i = 0; i < d->nregions; i++) {
    const lf_geometry_region *r = &d->regions[i];
    if (!r->count || !pow2(r->size) || r->size < d->prog_unit)
      return lf_err_set(s, LF_EINVAL,
                        "geometry %s: region %zu: %u units of %u bytes (expected at least one unit of "
                        "a power-of-two size >= the program unit)", nm, i + 1, r->count, r->size);
    if (r->bank >= LF_FLASH_MAX_BANKS)
      return lf_err_set(s, LF_EINVAL, "geometry %s: region %zu: bank %u (at most %d banks)", nm,
                        i + 1, r->bank, LF_FLASH_MAX_BANKS);
    if ((uint64_t)r->base != base + total)
      return lf_err_set(s, LF_EINVAL, "geometry %s: region %zu starts at 0x%08x, expected 0x%08x "
                        "(regions are contiguous and ascending)", nm, i + 1, r->base,
                        (unsigned)(base + total));
    if (r->base % r->size)
      return lf_err_set(s, LF_EINVAL, "geometry %s: region %zu at 0x%08x is not aligned to its "
                        "%u-byte units", nm, i + 1, r->base, r->size);
    if (i > 0 && r->bank < d->regions[i - 1].bank)
      return lf_err_set(s, LF_EINVAL, "geometry %s: region %zu: banks must ascend", nm, i + 1);
    total += (uint64_t)r->count * r->size;
    if ((uint64_t)base + total > 0x100000000ull || g->nsectors + (uint64_t)r->count > 1u << 20)
      return lf_err_set(s, LF_EINVAL, "geometry %s: region %zu passes the end of the address space",
                        nm, i + 1);
    g->nsectors += r->count;
  }
  g->sector = calloc(g->nsectors, sizeof *g->sector);
  if (!g->sector)
    return lf_err_set(s, LF_ENOMEM, "geometry %s: out of memory", nm);
  unsigned k = 0;
  for (size_t i = 0; i < d->nregions; i++) {
    const lf_geometry_region *r = &d->regions[i];
    for (uint32_t j = 0; j < r->count; j++)
      g->sector[k++] = (lf_flash_sector){r->base + j * r->size, r->size, r->first_index + j, r->bank};
    unsigned b = r->bank;
    if (b + 1 > g->nbanks) {
      g->nbanks = b + 1;
      g->bank_base[b] = r->base;
    }
    g->bank_size[b] += r->count * r->size;
  }
  g->family = d->family;
  g->line = d->line;
  snprintf(g->name, sizeof g->name, "%s", nm);
  g->base = base;
  g->size = (uint32_t)total;
  g->flash_kib = (uint32_t)(total / 1024);
  g->dual_bank = g->nbanks > 1;
  g->region[g->nregions++] = (lf_mem_region){g->base, g->size, LF_REGION_MAIN, "flash"};
  for (size_t i = 0; i < d->nextra; i++)
    g->region[g->nregions++] = d->extra[i];
  for (size_t i = 0; i < d->naliases; i++)
    g->alias[g->naliases++] = d->aliases[i];
  g->erased = d->erased;
  g->prog_units = d->prog_units;
  g->prog_unit = d->prog_unit;
  g->timing = *d->timing;
  g->parallel_banks = d->parallel_banks && g->nbanks > 1;
  g->program_once = d->program_once || (d->family && d->family->program_once);
  g->bits_only = !g->program_once && d->family && d->family->bits_only;
  g->bits_blank_only = g->bits_only && d->family->bits_blank_only;
  g->bits_zero_ok = g->bits_blank_only && d->family->bits_zero_ok;
  return 0;
}

void lf_geometry_free(lf_flash_geometry *g)
{
  if (!g)
    return;
  free(g->sector);
  g->sector = NULL;
  g->nsectors = 0;
}

int lf_geometry_copy(lf_session *s, lf_flash_geometry *dst, const lf_flash_geometry *src)
{
  *dst = *src;
  dst->sector = malloc((src->nsectors ? src->nsectors : 1) * sizeof *dst->sector);
  if (!dst->sector) {
    dst->nsectors = 0;
    return lf_err_set(s, LF_ENOMEM, "geometry: out of memory");
  }
  memcpy(dst->sector, src->sector, src->nsectors * sizeof *dst->sector);
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

int lf_geometry_bank_at(const lf_flash_geometry *g, uint32_t addr)
{
  for (unsigned b = 0; b < g->nbanks; b++)
    if (addr >= g->bank_base[b] && addr - g->bank_base[b] < g->bank_size[b])
      return (int)b;
  return -1;
}

int lf_geometry_unit_log2(const lf_flash_geometry *g, unsigned unit)
{
  for (int k = 0; k < LF_FLASH_UNITS; k++)
    if (unit == 1u << k)
      return (g->prog_units & unit) ? k : -1;
  return -1;
}

/* The column of a table row for a unit: its own, else the nearest narrower
 * known one. */
static uint64_t column(const uint64_t row[LF_FLASH_UNITS], unsigned unit)
{
  int k = 0;
  while (k + 1 < LF_FLASH_UNITS && (1u << (k + 1)) <= unit)
    k++;
  for (; k >= 0; k--)
    if (row[k])
      return row[k];
  return 0;
}

uint64_t lf_geometry_erase_ns(const lf_flash_geometry *g, const lf_flash_sector *sec, unsigned unit,
                              bool max)
{
  const lf_flash_erase_row *best = NULL;
  for (const lf_flash_erase_row *e = g->timing.erase;
       e < g->timing.erase + LF_FLASH_MAX_ERASE_ROWS && e->size; e++)
    if (e->size == sec->size)
      best = e;
  return best ? column(best->ns[max ? 1 : 0], unit) : 0;
}

uint64_t lf_geometry_mass_ns(const lf_flash_geometry *g, unsigned unit, bool max)
{
  uint64_t full = column(g->timing.mass_ns[max ? 1 : 0], unit);
  uint64_t bytes = g->size;
  if (g->parallel_banks) {
    bytes = 0;
    for (unsigned b = 0; b < g->nbanks; b++)
      if (g->bank_size[b] > bytes)
        bytes = g->bank_size[b];
  }
  return g->timing.mass_ref_bytes ? full * bytes / g->timing.mass_ref_bytes : full;
}

unsigned lf_geometry_block_at(const lf_flash_geometry *g, unsigned i, unsigned k)
{
  uint32_t b = k < LF_FLASH_MAX_BLOCKS ? g->timing.block_size[k] : 0;
  if (!b || i >= g->nsectors || g->sector[i].addr % b)
    return 0;
  uint64_t end = (uint64_t)g->sector[i].addr + b;
  unsigned j = i;
  while (j < g->nsectors && g->sector[j].addr < end)
    j++;
  uint64_t last = j > i ? (uint64_t)g->sector[j - 1].addr + g->sector[j - 1].size : 0;
  return last == end && j - i > 1 ? j - i : 0;
}

uint64_t lf_geometry_prog_ns(const lf_flash_geometry *g, unsigned unit, bool max)
{
  return column(g->timing.prog_ns[max ? 1 : 0], unit);
}
