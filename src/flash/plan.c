/* The flash plan (see plan.h for the decisions it makes). */
#include "flash/plan.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void lf_plan_settings_default(lf_plan_settings *set)
{
  *set = (lf_plan_settings){
    .erase = LF_ERASE_AUTO,
    .keep_unwritten = false,
    .erase_avoid = false,
    .smart_flash = true,
    .verify = LF_VERIFY_CRC,
    .prog_unit = 0,
    .timing_max = false,
    .ff_gap = 64,
  };
}

const char *lf_plan_action_name(lf_sector_action a)
{
  static const char *names[] = {"skip", "erase", "program"};
  return (unsigned)a < 3 ? names[a] : "?";
}

const char *lf_plan_erase_name(lf_erase_mode m)
{
  static const char *names[] = {"sector", "chip", "auto", "fastest"};
  return (unsigned)m < 4 ? names[m] : "?";
}

static int push_range(lf_plan_range **v, size_t *n, uint32_t addr, uint32_t len);

/* The protected bytes of [addr, addr+len): appended to *v as ranges in
 * address order (regions may overlap: the union). */
static int protected_ranges(const lf_plan_settings *set, uint32_t addr, uint32_t len,
                            lf_plan_range **v, size_t *n)
{
  uint64_t end = (uint64_t)addr + len, pos = addr;
  while (pos < end) {
    /* the protected byte at or after pos with the lowest address, and how
     * far the protection runs from there */
    uint64_t lo = end, hi = end;
    for (size_t i = 0; i < set->nprotect; i++) {
      uint64_t a = set->protect[i].addr, e = a + set->protect[i].len;
      if (e <= pos || a >= end)
        continue;
      uint64_t s0 = a > pos ? a : pos;
      if (s0 < lo) {
        lo = s0;
        hi = e;
      }
    }
    if (lo >= end)
      break;
    for (bool grew = true; grew;) { /* join overlapping or touching regions */
      grew = false;
      for (size_t i = 0; i < set->nprotect; i++) {
        uint64_t a = set->protect[i].addr, e = a + set->protect[i].len;
        if (a <= hi && e > hi) {
          hi = e;
          grew = true;
        }
      }
    }
    if (hi > end)
      hi = end;
    if (push_range(v, n, (uint32_t)lo, (uint32_t)(hi - lo)) < 0)
      return LF_ENOMEM;
    pos = hi;
  }
  return 0;
}

static uint64_t protected_bytes(const lf_plan_settings *set, uint32_t addr, uint32_t len)
{
  lf_plan_range *r = NULL;
  size_t n = 0;
  uint64_t total = 0;
  if (protected_ranges(set, addr, len, &r, &n) == 0)
    for (size_t i = 0; i < n; i++)
      total += r[i].len;
  free(r);
  return total;
}

void lf_plan_free(lf_plan *p)
{
  if (!p)
    return;
  for (unsigned i = 0; i < p->nsectors; i++) {
    free(p->sector[i].content);
    free(p->sector[i].read);
    free(p->sector[i].prog);
  }
  free(p->sector);
  free(p);
}

static int push_range(lf_plan_range **v, size_t *n, uint32_t addr, uint32_t len)
{
  lf_plan_range *nv = realloc(*v, (*n + 1) * sizeof *nv);
  if (!nv)
    return LF_ENOMEM;
  *v = nv;
  nv[(*n)++] = (lf_plan_range){addr, len, false};
  return 0;
}

/* Program ranges scan sectors 64 bytes a step, not a unit at a time: a
 * touched sector is mostly erased (an image of a few bytes in a 256 KiB
 * sector) or mostly written (kept bytes written back after a chip erase),
 * and the unit-by-unit scan of every sector with content (twice per plan)
 * was most of the fuzz_image target's time.
 * next_written: the offset of the first byte at or after off that is not
 * the erased value; next_erased: of the first that is; size if none. */
static uint32_t next_written(const uint8_t *content, uint32_t off, uint32_t size, uint8_t erased)
{
  const uint64_t blank = 0x0101010101010101ull * erased;
  for (; off < size && (off & 63); off++)
    if (content[off] != erased)
      return off;
  for (; off < size && size - off >= 64; off += 64) {
    uint64_t w[8], diff = 0;
    memcpy(w, content + off, sizeof w);
    for (unsigned i = 0; i < 8; i++)
      diff |= w[i] ^ blank;
    if (diff)
      break;
  }
  for (; off < size; off++)
    if (content[off] != erased)
      return off;
  return size;
}

static uint32_t next_erased(const uint8_t *content, uint32_t off, uint32_t size, uint8_t erased)
{
  const uint64_t ones = 0x0101010101010101ull, highs = ones << 7, blank = ones * erased;
  for (; off < size && (off & 63); off++)
    if (content[off] == erased)
      return off;
  for (; off < size && size - off >= 64; off += 64) {
    uint64_t w[8], any = 0;
    memcpy(w, content + off, sizeof w);
    for (unsigned i = 0; i < 8; i++) {
      uint64_t v = w[i] ^ blank; /* a zero byte where the content is erased */
      any |= (v - ones) & ~v & highs;
    }
    if (any)
      break;
  }
  for (; off < size; off++)
    if (content[off] == erased)
      return off;
  return size;
}

/* Program ranges of one sector's content (plan.h "Program ranges"); with
 * out == NULL only the word count is computed. */
static int program_ranges(const uint8_t *content, uint32_t addr, uint32_t size, unsigned unit,
                          uint8_t erased, uint32_t gap, lf_plan_range **out, size_t *nout,
                          uint32_t *words)
{
  *words = 0;
  if (!content)
    return 0;
  if (gap < unit)
    gap = unit;
  uint32_t start = 0, end = 0; /* current range [start, end) as offsets; end = 0: none */
  bool open = false;
  for (uint32_t off = 0; off < size;) {
    /* the unit holding the next written byte (the units before it are
     * erased: they add nothing) */
    uint32_t w = next_written(content, off, size, erased);
    if (w >= size)
      break;
    off = w - w % unit;
    if (open && off - end >= gap) {
      *words += (end - start) / unit;
      if (out && push_range(out, nout, addr + start, end - start) < 0)
        return LF_ENOMEM;
      open = false;
    }
    if (!open) {
      start = off;
      open = true;
    }
    /* this unit and the next ones up to the unit holding the next erased
     * byte are written (no gap between them): the range runs on to there,
     * and that unit is looked at next */
    uint32_t e = next_erased(content, off + unit, size, erased);
    end = e - e % unit > off + unit ? e - e % unit : off + unit;
    off = end;
  }
  if (open) {
    *words += (end - start) / unit;
    if (out && push_range(out, nout, addr + start, end - start) < 0)
      return LF_ENOMEM;
  }
  return 0;
}

/* The granule of program ranges: the program unit, or a whole page when the
 * geometry has pages (a CMSIS-Pack algorithm programs page by page: ranges
 * start on a page and cover whole pages, a page all erased is skipped). */
/* The parallelism the erases run at (their datasheet times): erase_unit, else prog_unit. */
static unsigned erase_unit_of(const lf_plan_settings *set, unsigned unit)
{
  return set->erase_unit ? set->erase_unit : unit;
}

static unsigned span_of(const lf_flash_geometry *g, unsigned unit)
{
  return g->page_size > unit && g->page_size % unit == 0 ? g->page_size : unit;
}

/* crc32_z, not crc32: Unicorn (linked into the luaflash binary with the
 * bench) exports a `crc32` of its own, which the dynamic linker may bind
 * first; zlib's crc32_z has no such namesake. */
/* An erased sector's CRC (content NULL) comes from one 1 KiB block's by
 * crc32_combine, doubling: O(log size) instead of CRC'ing every byte (each
 * plan gives every sector its CRC: a 2 MiB chip cost 2 MiB of CRC per plan). */
static uint32_t crc_of(const uint8_t *content, uint32_t size, uint8_t erased)
{
  uLong crc = crc32_z(0L, Z_NULL, 0);
  if (content)
    return (uint32_t)crc32_z(crc, content, size);
  uint8_t ff[1024];
  memset(ff, erased, sizeof ff);
  uLong run = crc32_z(crc, ff, sizeof ff); /* the CRC of run_len erased bytes */
  z_off_t run_len = sizeof ff;
  for (uint32_t blocks = size / sizeof ff; blocks; blocks >>= 1) {
    if (blocks & 1)
      crc = crc32_combine(crc, run, run_len);
    if (blocks > 1) {
      run = crc32_combine(run, run, run_len);
      run_len *= 2;
    }
  }
  return (uint32_t)crc32_z(crc, ff, size % sizeof ff);
}

int lf_plan_build(lf_session *s, const lf_segment *segs, size_t nsegs, const lf_flash_geometry *g,
                  const lf_plan_settings *set, lf_plan **out)
{
  *out = NULL;
  unsigned unit = set->prog_unit ? set->prog_unit : g->prog_unit;
  if (lf_geometry_unit_log2(g, unit) < 0)
    return lf_err_set(s, LF_EINVAL, "plan: %s cannot program %u-byte units", g->name, unit);
  if (set->erase_unit && lf_geometry_unit_log2(g, set->erase_unit) < 0)
    return lf_err_set(s, LF_EINVAL, "plan: %s cannot erase at a %u-byte parallelism", g->name,
                      set->erase_unit);
  if ((unsigned)set->erase > LF_ERASE_FASTEST)
    return lf_err_set(s, LF_EINVAL, "plan: erase mode %d is not sector, chip, auto or fastest",
                      (int)set->erase);
  for (size_t i = 0; i < set->nprotect; i++) {
    const lf_plan_protect *r = &set->protect[i];
    const char *nm = r->name ? r->name : "?";
    if (!r->len || (uint64_t)r->addr + r->len > 0x100000000ull)
      return lf_err_set(s, LF_EINVAL, "plan: protected region '%s' at 0x%08X: %u bytes", nm,
                        (unsigned)r->addr, (unsigned)r->len);
    for (size_t k = 0; k < nsegs; k++) {
      uint64_t a = segs[k].addr > r->addr ? segs[k].addr : r->addr;
      uint64_t e1 = (uint64_t)segs[k].addr + segs[k].len, e2 = (uint64_t)r->addr + r->len;
      if (a < (e1 < e2 ? e1 : e2))
        return lf_err_set(s, LF_EINVAL,
                          "plan: image byte at 0x%08X is inside protected region '%s' "
                          "(0x%08X-0x%08X)", (unsigned)a, nm, (unsigned)r->addr,
                          (unsigned)(e2 - 1));
    }
  }
  lf_plan *p = calloc(1, sizeof *p);
  if (!p)
    return lf_err_set(s, LF_ENOMEM, "plan: out of memory");
  p->set = *set;
  p->set.prog_unit = unit;
  p->set.protect = NULL; /* borrowed for the build only: the read ranges carry them on */
  p->set.nprotect = 0;
  p->g = g;
  p->nsectors = g->nsectors;
  if (!(p->sector = calloc(g->nsectors ? g->nsectors : 1, sizeof *p->sector))) {
    free(p);
    return lf_err_set(s, LF_ENOMEM, "plan: out of memory");
  }
  for (unsigned i = 0; i < g->nsectors; i++)
    p->sector[i].sector = &g->sector[i];
  int rc = 0;

  /* image bytes into the touched sectors' content */
  for (size_t k = 0; k < nsegs && rc == 0; k++) {
    uint64_t a = segs[k].addr, end = a + segs[k].len;
    while (a < end) {
      const lf_flash_sector *sec = lf_geometry_sector_at(g, (uint32_t)a);
      if (!sec) {
        rc = lf_err_set(s, LF_EINVAL,
                        "plan: 0x%08X is not in a flash sector of %s (0x%08X-0x%08X; OTP is not planned)",
                        (unsigned)a, g->name, (unsigned)g->base, (unsigned)(g->base + g->size - 1));
        break;
      }
      lf_plan_sector *ps = &p->sector[sec - g->sector];
      if (!ps->content) {
        if (!(ps->content = malloc(sec->size))) {
          rc = lf_err_set(s, LF_ENOMEM, "plan: out of memory");
          break;
        }
        memset(ps->content, g->erased, sec->size);
      }
      uint64_t sec_end = (uint64_t)sec->addr + sec->size;
      uint32_t n = (uint32_t)((end < sec_end ? end : sec_end) - a);
      memcpy(ps->content + (a - sec->addr), segs[k].data + (a - segs[k].addr), n);
      ps->image_bytes += n;
      p->sum.image_bytes += n;
      a += n;
    }
  }
  if (rc < 0) {
    lf_plan_free(p);
    return rc;
  }

  /* the two cost estimates, per bank (independent banks: the slowest one
   * bounds them; otherwise the banks add up) */
  uint64_t tprog = lf_geometry_prog_ns(g, unit, set->timing_max);
  uint64_t erase_touched[LF_FLASH_MAX_BANKS] = {0}, image_words[LF_FLASH_MAX_BANKS] = {0};
  uint64_t kept_touched[LF_FLASH_MAX_BANKS] = {0}, kept_all[LF_FLASH_MAX_BANKS] = {0};
  uint64_t prot_touched[LF_FLASH_MAX_BANKS] = {0}, prot_all[LF_FLASH_MAX_BANKS] = {0};
  bool chip_loses_nothing = true; /* every untouched sector is restored or has nothing to lose */
  for (unsigned i = 0; i < p->nsectors; i++) {
    lf_plan_sector *ps = &p->sector[i];
    unsigned b = ps->sector->bank;
    uint32_t size = ps->sector->size, w;
    uint64_t prot = protected_bytes(set, ps->sector->addr, size);
    prot_all[b] += (prot + unit - 1) / unit;
    if (!ps->image_bytes) {
      kept_all[b] += size / unit;
      if (!set->keep_unwritten && prot < size)
        chip_loses_nothing = false;
      continue;
    }
    erase_touched[b] += lf_geometry_erase_ns(g, ps->sector, erase_unit_of(set, unit), set->timing_max);
    program_ranges(ps->content, ps->sector->addr, size, span_of(g, unit), g->erased, set->ff_gap, NULL,
                   NULL, &w);
    image_words[b] += (uint64_t)w * (span_of(g, unit) / unit);
    kept_touched[b] += (size - ps->image_bytes + unit - 1) / unit;
    prot_touched[b] += (prot + unit - 1) / unit;
  }
  /* erase blocks: an aligned block of touched sectors erases at once (the
   * largest kind that fits) */
  for (unsigned i = 0; i < p->nsectors; i++)
    for (unsigned kind = 0; kind < LF_FLASH_MAX_BLOCKS; kind++) {
      unsigned n = lf_geometry_block_at(g, (unsigned)(p->sector[i].sector - g->sector), kind), k = 0;
      while (k < n && i + k < p->nsectors && p->sector[i + k].image_bytes)
        k++;
      if (!n || k != n)
        continue;
      unsigned b = p->sector[i].sector->bank;
      for (k = 0; k < n; k++)
        erase_touched[b] -= lf_geometry_erase_ns(g, p->sector[i + k].sector, erase_unit_of(set, unit),
                                                 set->timing_max);
      erase_touched[b] += g->timing.block_ns[kind][set->timing_max ? 1 : 0];
      i += n - 1;
      break;
    }
  /* words written back: every kept byte (keep_unwritten), else the protected ones */
  uint64_t mass = lf_geometry_mass_ns(g, erase_unit_of(set, unit), set->timing_max);
  uint64_t sector_cost = 0, chip_prog = 0, bytes_s = 0, bytes_c = 0;
  for (unsigned b = 0; b < LF_FLASH_MAX_BANKS; b++) {
    kept_all[b] += kept_touched[b];
    uint64_t back_t = set->keep_unwritten ? kept_touched[b] : prot_touched[b];
    uint64_t back_a = set->keep_unwritten ? kept_all[b] : prot_all[b];
    uint64_t sc = erase_touched[b] + (image_words[b] + back_t) * tprog;
    uint64_t cp = (image_words[b] + back_a) * tprog;
    sector_cost = g->parallel_banks ? (sc > sector_cost ? sc : sector_cost) : sector_cost + sc;
    chip_prog = g->parallel_banks ? (cp > chip_prog ? cp : chip_prog) : chip_prog + cp;
    bytes_s += (image_words[b] + back_t) * unit;
    bytes_c += (image_words[b] + back_a) * unit;
  }
  p->sum.sector_cost_ns = sector_cost;
  p->sum.chip_cost_ns = mass + chip_prog;
  if (set->link_bps) {
    uint64_t up_s = bytes_s * 1000000000ull / set->link_bps;
    uint64_t up_c = (bytes_c > set->ring_bytes ? bytes_c - set->ring_bytes : 0) * 1000000000ull / set->link_bps;
    if (up_s > p->sum.sector_cost_ns)
      p->sum.sector_cost_ns = up_s;
    if (up_c > chip_prog)
      p->sum.chip_cost_ns = mass + up_c;
  }
  lf_erase_mode mode = set->erase;
  if (mode == LF_ERASE_FASTEST || (mode == LF_ERASE_AUTO && chip_loses_nothing))
    mode = p->sum.chip_cost_ns < p->sum.sector_cost_ns ? LF_ERASE_CHIP : LF_ERASE_SECTOR;
  else if (mode == LF_ERASE_AUTO) {
    mode = LF_ERASE_SECTOR;
    if (p->sum.chip_cost_ns < p->sum.sector_cost_ns)
      p->sum.auto_note = "a chip erase would be faster but would erase data outside the image "
                         "(erase = \"fastest\" or \"chip\" allows it)";
  }
  p->sum.erase_used = mode;
  if (set->smart_flash && mode == LF_ERASE_CHIP)
    p->sum.smart_note = "smart flash not used: the chip erase erases every sector anyway";

  /* what must come from the target before finalize */
  size_t seg = 0;
  for (unsigned i = 0; i < p->nsectors && rc == 0; i++) {
    lf_plan_sector *ps = &p->sector[i];
    const lf_flash_sector *sec = ps->sector;
    bool touched = ps->image_bytes != 0;
    ps->by_chip_erase = mode == LF_ERASE_CHIP;
    ps->want_crc = set->smart_flash && mode == LF_ERASE_SECTOR && touched;
    if (ps->want_crc)
      p->sum.crc_bytes += sec->size;
    if (!touched && mode == LF_ERASE_SECTOR)
      continue;
    if (!set->keep_unwritten) {
      /* only the protected bytes of a sector that gets erased */
      size_t before = ps->nread;
      if (protected_ranges(set, sec->addr, sec->size, &ps->read, &ps->nread) < 0) {
        rc = lf_err_set(s, LF_ENOMEM, "plan: out of memory");
        break;
      }
      if (ps->nread > before && !ps->content) {
        if (!(ps->content = malloc(sec->size))) {
          rc = lf_err_set(s, LF_ENOMEM, "plan: out of memory");
          break;
        }
        memset(ps->content, g->erased, sec->size);
      }
      for (size_t r = before; r < ps->nread; r++) {
        p->sum.read_bytes += ps->read[r].len;
        p->sum.protect_bytes += ps->read[r].len;
      }
      continue;
    }
    p->sum.protect_bytes += protected_bytes(set, sec->addr, sec->size);
    if (!touched) { /* chip erase keeping everything: the whole sector */
      if (!(ps->content = malloc(sec->size)) || push_range(&ps->read, &ps->nread, sec->addr, sec->size) < 0) {
        rc = lf_err_set(s, LF_ENOMEM, "plan: out of memory");
        break;
      }
      memset(ps->content, g->erased, sec->size);
      p->sum.read_bytes += sec->size;
      continue;
    }
    /* uncovered ranges of a touched sector: the sector minus the segments */
    uint64_t pos = sec->addr, sec_end = (uint64_t)sec->addr + sec->size;
    while (seg < nsegs && (uint64_t)segs[seg].addr + segs[seg].len <= pos)
      seg++;
    for (size_t k = seg; k < nsegs && segs[k].addr < sec_end && rc == 0; k++) {
      if (segs[k].addr > pos)
        rc = push_range(&ps->read, &ps->nread, (uint32_t)pos, (uint32_t)(segs[k].addr - pos));
      uint64_t e = (uint64_t)segs[k].addr + segs[k].len;
      if (e > pos)
        pos = e;
    }
    if (rc == 0 && pos < sec_end)
      rc = push_range(&ps->read, &ps->nread, (uint32_t)pos, (uint32_t)(sec_end - pos));
    if (rc < 0) {
      rc = lf_err_set(s, LF_ENOMEM, "plan: out of memory");
      break;
    }
    for (size_t r = 0; r < ps->nread; r++)
      p->sum.read_bytes += ps->read[r].len;
  }
  if (rc < 0) {
    lf_plan_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

int lf_plan_set_old(lf_session *s, lf_plan *p, uint32_t addr, const uint8_t *data, size_t len)
{
  uint64_t end = (uint64_t)addr + len;
  for (unsigned i = 0; i < p->nsectors; i++) {
    lf_plan_sector *ps = &p->sector[i];
    for (size_t r = 0; r < ps->nread; r++) {
      lf_plan_range *rg = &ps->read[r];
      uint64_t re = (uint64_t)rg->addr + rg->len;
      if (re <= addr || rg->addr >= end)
        continue;
      if (rg->addr < addr || re > end)
        return lf_err_set(s, LF_EINVAL,
                          "plan: old bytes 0x%08X-0x%08X cover only part of the read range 0x%08X-0x%08X",
                          (unsigned)addr, (unsigned)(end - 1), (unsigned)rg->addr, (unsigned)(re - 1));
      memcpy(ps->content + (rg->addr - ps->sector->addr), data + (rg->addr - addr), rg->len);
      rg->filled = true;
    }
  }
  return 0;
}

int lf_plan_set_target_crc(lf_session *s, lf_plan *p, unsigned i, uint32_t crc)
{
  if (i >= p->nsectors)
    return lf_err_set(s, LF_EINVAL, "plan: no sector %u (the plan has %u)", i, p->nsectors);
  p->sector[i].target_crc = crc;
  p->sector[i].have_target_crc = true;
  return 0;
}

int lf_plan_bits_sample(lf_session *s, lf_plan *p, unsigned i, uint32_t addr, const uint8_t *old, size_t len)
{
  if (i >= p->nsectors)
    return lf_err_set(s, LF_EINVAL, "plan: no sector %u (the plan has %u)", i, p->nsectors);
  lf_plan_sector *ps = &p->sector[i];
  const lf_flash_sector *sec = ps->sector;
  if (addr < sec->addr || (uint64_t)addr + len > (uint64_t)sec->addr + sec->size)
    return lf_err_set(s, LF_EINVAL, "plan: bits sample 0x%08X + %zu is not inside sector %u", (unsigned)addr, len,
                      sec->index);
  unsigned unit = p->set.prog_unit;
  for (size_t k = 0; k < len; k++) {
    uint8_t nw = ps->content ? ps->content[addr - sec->addr + k] : p->g->erased;
    if (nw & (uint8_t)~old[k])
      ps->bits_veto = true;
    /* written over only when the unit reads erased: a byte that changes in
     * a unit that does not read erased (the sample's whole units) */
    if (p->g->bits_blank_only && nw != old[k]) {
      size_t in = (addr + k - sec->addr) % unit;
      if (in > k) { /* the unit starts before the sample */
        ps->bits_veto = true;
        continue;
      }
      size_t u0 = k - in;
      bool erased = true, zero = p->g->bits_zero_ok && ps->content;
      for (size_t j = u0; j < u0 + unit; j++) {
        if (j >= len || old[j] != p->g->erased)
          erased = false;
        if (zero && ps->content[addr - sec->addr + j] != 0)
          zero = false;
      }
      if (!erased && !zero)
        ps->bits_veto = true;
    }
  }
  ps->bits_sampled = true;
  return 0;
}

int lf_plan_finalize(lf_session *s, lf_plan *p)
{
  const lf_flash_geometry *g = p->g;
  const lf_plan_settings *set = &p->set;
  unsigned unit = set->prog_unit;
  uint64_t tprog = lf_geometry_prog_ns(g, unit, set->timing_max);
  bool chip = p->sum.erase_used == LF_ERASE_CHIP;
  lf_plan_summary keep = p->sum;
  p->sum = (lf_plan_summary){
    .erase_used = keep.erase_used, .image_bytes = keep.image_bytes, .read_bytes = keep.read_bytes,
    .crc_bytes = keep.crc_bytes, .sector_cost_ns = keep.sector_cost_ns, .chip_cost_ns = keep.chip_cost_ns,
    .smart_note = keep.smart_note, .auto_note = keep.auto_note, .protect_bytes = keep.protect_bytes,
  };
  p->final = false;
  for (unsigned i = 0; i < p->nsectors; i++) {
    lf_plan_sector *ps = &p->sector[i];
    for (size_t r = 0; r < ps->nread; r++)
      if (!ps->read[r].filled)
        return lf_err_set(s, LF_EINVAL,
                          "plan: keep_unwritten: the old bytes of 0x%08X-0x%08X (sector %u) were not supplied",
                          (unsigned)ps->read[r].addr, (unsigned)(ps->read[r].addr + ps->read[r].len - 1),
                          ps->sector->index);
  }
  for (unsigned i = 0; i < p->nsectors; i++) {
    lf_plan_sector *ps = &p->sector[i];
    const lf_flash_sector *sec = ps->sector;
    free(ps->prog);
    ps->prog = NULL;
    ps->nprog = 0;
    ps->prog_words = 0;
    ps->erase_ns = ps->prog_ns = 0;
    ps->verify = false;
    bool touched = ps->image_bytes != 0;
    ps->crc = crc_of(ps->content, sec->size, g->erased);
    if (!chip && !touched) {
      ps->action = LF_SECTOR_SKIP;
      ps->reason = "no image data";
      p->sum.untouched++;
      continue;
    }
    if (!chip && ps->want_crc && ps->have_target_crc && ps->target_crc == ps->crc) {
      ps->action = LF_SECTOR_SKIP;
      ps->reason = "unchanged: the target's CRC32 matches";
      p->sum.unchanged++;
      continue;
    }
    if (program_ranges(ps->content, sec->addr, sec->size, span_of(g, unit), g->erased, set->ff_gap,
                       &ps->prog, &ps->nprog, &ps->prog_words) < 0)
      return lf_err_set(s, LF_ENOMEM, "plan: out of memory");
    ps->prog_words *= span_of(g, unit) / unit;
    ps->prog_ns = (uint64_t)ps->prog_words * tprog;
    /* erase avoidance: a sector that reads blank on the target (its CRC32 is
     * an erased sector's) is programmed without its erase; the verify after
     * programming catches the rare CRC collision (steps.lua then erases and
     * programs again) */
    ps->erase_skipped = false;
    ps->bits = ps->bits_want = false;
    if (!chip && set->erase_avoid && !g->program_once && ps->nprog && ps->want_crc && ps->have_target_crc &&
        ps->target_crc == crc_of(NULL, sec->size, g->erased)) {
      ps->erase_skipped = true;
      ps->action = LF_SECTOR_PROGRAM;
      ps->reason = "image data (read blank: not erased)";
      p->sum.programmed++;
      p->sum.blank++;
      ps->verify = set->verify != LF_VERIFY_NONE;
      if (ps->verify)
        p->sum.verify_bytes += sec->size;
      p->sum.program_words += ps->prog_words;
      p->sum.program_bytes += (uint64_t)ps->prog_words * unit;
      p->sum.program_ns += ps->prog_ns;
      continue;
    }
    if (!chip && set->erase_avoid && set->bits_only && g->bits_only && ps->nprog && touched &&
        ps->want_crc && ps->have_target_crc && !ps->bits_veto) {
      uint64_t erase = lf_geometry_erase_ns(g, sec, unit, set->timing_max);
      if (!set->link_bps || !set->ring_bytes || !ps->bits_sampled) {
        p->sum.bits_want++;
        ps->bits_want = true;
      } else {
        /* uploaded: the content up to the end of its last program range */
        uint64_t head = (uint64_t)ps->prog[ps->nprog - 1].addr + ps->prog[ps->nprog - 1].len - sec->addr;
        uint64_t gap = head - (uint64_t)ps->prog_words * unit;
        uint64_t up = head * 1000000000ull / set->link_bps;
        uint64_t extra = gap * 1000000000ull / set->link_bps + (up < ps->prog_ns ? up : ps->prog_ns);
        if (head <= set->ring_bytes && extra < erase) {
          ps->bits = true;
          ps->action = LF_SECTOR_PROGRAM;
          ps->reason = "image data (bits-only when it only clears bits, else erased by the loader)";
          p->sum.programmed++;
          p->sum.bits++;
          ps->verify = set->verify != LF_VERIFY_NONE;
          if (ps->verify)
            p->sum.verify_bytes += sec->size;
          p->sum.program_words += ps->prog_words;
          p->sum.program_bytes += (uint64_t)ps->prog_words * unit;
          p->sum.program_ns += ps->prog_ns;
          continue;
        }
      }
    }
    if (!chip)
      ps->erase_ns = lf_geometry_erase_ns(g, sec, erase_unit_of(set, unit), set->timing_max);
    if (ps->nprog) {
      ps->action = LF_SECTOR_PROGRAM;
      ps->reason = touched ? (chip ? "image data (chip erase)" : "image data")
                           : "kept bytes written back (chip erase)";
      p->sum.programmed++;
    } else {
      ps->action = LF_SECTOR_ERASE;
      ps->reason = touched ? "image bytes are all 0xFF" : "chip erase";
    }
    p->sum.erased++;
    ps->verify = set->verify != LF_VERIFY_NONE;
    if (ps->verify)
      p->sum.verify_bytes += sec->size;
    p->sum.program_words += ps->prog_words;
    p->sum.program_bytes += (uint64_t)ps->prog_words * unit;
    p->sum.program_ns += ps->prog_ns;
    p->sum.erase_ns += ps->erase_ns;
  }
  /* erase blocks: the sectors of an aligned block that all erase share one
   * block erase (its time on the first) */
  for (unsigned i = 0; !chip && i < p->nsectors; i++)
    for (unsigned kind = 0; kind < LF_FLASH_MAX_BLOCKS; kind++) {
      unsigned n = lf_geometry_block_at(g, (unsigned)(p->sector[i].sector - g->sector), kind), k = 0;
      while (k < n && i + k < p->nsectors && p->sector[i + k].erase_ns)
        k++;
      if (!n || k != n)
        continue;
      for (k = 0; k < n; k++) {
        p->sum.erase_ns -= p->sector[i + k].erase_ns;
        p->sector[i + k].erase_ns = k ? 0 : g->timing.block_ns[kind][set->timing_max ? 1 : 0];
        p->sum.erase_ns += p->sector[i + k].erase_ns;
      }
      i += n - 1;
      break;
    }
  uint64_t mass = chip ? lf_geometry_mass_ns(g, erase_unit_of(set, unit), set->timing_max) : 0;
  if (chip)
    p->sum.erase_ns = mass;
  for (unsigned i = 0; i < p->nsectors; i++) {
    unsigned b = p->sector[i].sector->bank;
    p->sum.bank_ns[b] += p->sector[i].erase_ns + p->sector[i].prog_ns;
  }
  uint64_t slowest = 0, in_turn = 0;
  for (unsigned b = 0; b < g->nbanks && b < LF_FLASH_MAX_BANKS; b++) {
    p->sum.bank_ns[b] += mass;
    in_turn += p->sum.bank_ns[b];
    if (p->sum.bank_ns[b] > slowest)
      slowest = p->sum.bank_ns[b];
  }
  p->sum.serial_ns = g->parallel_banks ? in_turn : p->sum.erase_ns + p->sum.program_ns;
  p->sum.floor_ns = g->parallel_banks ? slowest : p->sum.serial_ns;
  p->final = true;
  return 0;
}
