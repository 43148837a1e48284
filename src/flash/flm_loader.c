/* A part programmed by a CMSIS-Pack algorithm (flm.h): where the algorithm,
 * our dispatcher, buffers and stacks go in the part's RAM, its geometry
 * (a family of its own) and the two loader adapters: streamed (the
 * dispatcher loaders/flm.c behind the stream engine) and classic (the host
 * calls the algorithm once per page). Facts: cmsis-pack-flm.md 3 (calling
 * convention, timeouts, sequences), 4 (RAM layouts, double buffering).
 *
 * RAM window [ram_start, ram_end), streamed:
 *   algorithm image (PrgCode, PrgData, ZI zeros)   at its fixed address or ram_start
 *   dispatcher (PI), the sector list               } one upload: the engine's "blob"
 *   control block, queue, engine stack, ring       the stream engine's (loader.c)
 *   scratch: CRC table 4 KiB, bounce page, guard word, the algorithm's stack   (top)
 * classic:
 *   algorithm image, page buffer 0, page buffer 1 (when it fits), ..., stack (top)
 *
 * Timeouts (classic calls; the streamed engine's "no progress" timeout
 * comes from the geometry's maxima, which are these figures): Init/UnInit
 * 5 s (pyOCD 0.45 flash.timeout.init, 3.4); EraseSector and ProgramPage the
 * FLM's toErase / toProg, 10 s each when the FLM gives 0 (pyOCD's defaults,
 * 3.4); EraseChip has no figure of its own: toErase x the number of sectors
 * (the spec's replacement for a missing EraseChip, 1.3). A loader timeout
 * setting (cfg.timeout_s) overrides all of them. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arm/adi.h"
#include "flash/flm.h"
#include "flash/loader.h"
#include "flash/loaders/flm_blob.h"
#include "flash/loaders/flm_z_blob.h"

#define LF_LDR_CONTRACT_ONLY
#include "flash/loaders/flm.c" /* struct lf_ldr_flm, function codes, scratch layout */
#undef LF_LDR_CONTRACT_ONLY
_Static_assert(LF_LDR_FLM_Z_CHUNK == LF_LOADER_ZCHUNK, "the dispatcher's PROGRAM_Z records are the engine's chunks");

#define ENGINE_FIXED (0x80u + 32u * 16u + 0x400u + 0x400u) /* ctrl, queue, engine stack, alignment */
#define MIN_RING 4096u
#define INIT_TIMEOUT_S 5.0   /* pyOCD 0.45 flash.timeout.init (3.4) */
#define DEFAULT_TIMEOUT_MS 10000u /* pyOCD 0.45 erase_sector / program defaults (3.4) */
#define DEFAULT_STACK 2048u  /* probe-rs gives 512 B (4.3); ST's FLMs need far less */
#define DEFAULT_CORE_HZ 16e6 /* an assumption: the algorithms checked keep the reset clock */

struct lf_flm_part {
  lf_family fam;              /* geometry.family: its loader() is `ad` */
  lf_loader_adapter ad;
  lf_flm *flm;
  char *name;
  char title[160];
  lf_flm_part_cfg cfg;
  lf_flash_timing timing;
  bool streamed;
  uint32_t flash_start, flash_size;
  uint32_t ram_end;
  uint32_t algo_base, static_base, stack_top;
  /* streamed */
  uint8_t *blob;
  unsigned int blob_len;
  uint32_t disp, sectors, scratch;
  /* classic */
  uint32_t buf[2];
  unsigned nbuf;
};

static const char *base_name(const char *path)
{
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

static const lf_flm_part *part_of_family(const lf_family *f)
{
  return f ? (const lf_flm_part *)((const char *)f - offsetof(lf_flm_part, fam)) : NULL;
}

static const lf_loader_adapter *flm_family_loader(const lf_flash_geometry *g)
{
  return &part_of_family(g->family)->ad;
}

const lf_flm_part *lf_flm_part_of(const lf_flash_geometry *g)
{
  return g && g->family && g->family->loader == flm_family_loader ? part_of_family(g->family) : NULL;
}

const lf_flm *lf_flm_part_algo(const lf_flm_part *p) { return p->flm; }
const char *lf_flm_part_mode(const lf_flm_part *p) { return p->streamed ? "streamed" : "classic"; }

static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) & ~(a - 1); }
static double ms_or_default(uint32_t ms) { return (ms ? ms : DEFAULT_TIMEOUT_MS) / 1e3; }

/* The sector list of the flash range: {size, addr} per FLM range inside it,
 * then {0, end}. Returns the entries written (n + 1), 0 if out is too small. */
static size_t range_list(const lf_flm_part *p, uint32_t *out, size_t cap)
{
  const lf_flm *f = p->flm;
  size_t k = 0;
  uint64_t lo = p->flash_start, hi = (uint64_t)p->flash_start + p->flash_size;
  for (size_t i = 0; i < f->nranges; i++) {
    uint64_t a = (uint64_t)f->dev_addr + f->ranges[i].offset;
    uint64_t e = (uint64_t)f->dev_addr + (i + 1 < f->nranges ? f->ranges[i + 1].offset : f->dev_size);
    if (a < lo)
      a = lo;
    if (e > hi)
      e = hi;
    if (e <= a)
      continue;
    if (k + 2 > cap)
      return 0;
    out[2 * k] = f->ranges[i].size;
    out[2 * k + 1] = (uint32_t)a;
    k++;
  }
  out[2 * k] = 0;
  out[2 * k + 1] = (uint32_t)hi;
  return k + 1;
}

/* ---- geometry ---- */

static uint64_t typ_erase(const lf_flash_timing *t, uint32_t size, int col)
{
  for (int i = 0; t && i < LF_FLASH_MAX_ERASE_ROWS && t->erase[i].size; i++)
    if (t->erase[i].size == size)
      return t->erase[i].ns[0][col];
  return 0;
}

static int build_timing(lf_session *s, lf_flm_part *p)
{
  const lf_flm *f = p->flm;
  const lf_flash_timing *typ = p->cfg.typical;
  lf_flash_timing *t = &p->timing;
  memset(t, 0, sizeof *t);
  uint64_t erase_max = (uint64_t)(ms_or_default(f->erase_timeout_ms) * 1e9);
  uint64_t page_max = (uint64_t)(ms_or_default(f->prog_timeout_ms) * 1e9);
  size_t nsec = 0, rows = 0;
  uint32_t list[2 * (LF_FLM_MAX_RANGES + 1)];
  size_t n = range_list(p, list, LF_FLM_MAX_RANGES + 1);
  for (size_t i = 0; i + 1 < n; i++) {
    uint32_t size = list[2 * i];
    nsec += (list[2 * i + 3] - list[2 * i + 1]) / size;
    bool seen = false;
    for (size_t r = 0; r < rows; r++)
      seen |= t->erase[r].size == size;
    if (seen)
      continue;
    if (rows == LF_FLASH_MAX_ERASE_ROWS)
      return lf_err_set(s, LF_EINVAL, "%s: more than %d sector sizes", p->flm->path, LF_FLASH_MAX_ERASE_ROWS);
    t->erase[rows].size = size;
    for (int u = 0; u < LF_FLASH_UNITS; u++) {
      uint64_t ty = typ_erase(typ, size, u);
      t->erase[rows].ns[1][u] = erase_max;
      t->erase[rows].ns[0][u] = ty ? ty : erase_max;
    }
    rows++;
  }
  /* per program unit of u bytes: the page's timeout shared by its units */
  for (int u = 0; u < LF_FLASH_UNITS; u++) {
    uint64_t per = page_max * (1u << u) / f->page_size;
    t->prog_ns[1][u] = per ? per : 1;
    t->prog_ns[0][u] = typ && typ->prog_ns[0][u] ? typ->prog_ns[0][u] : t->prog_ns[1][u];
  }
  t->mass_ref_bytes = typ && typ->mass_ref_bytes ? typ->mass_ref_bytes : p->flash_size;
  for (int u = 0; u < LF_FLASH_UNITS; u++) {
    uint64_t mx = erase_max * nsec * t->mass_ref_bytes / p->flash_size;
    t->mass_ns[1][u] = mx;
    t->mass_ns[0][u] = typ && typ->mass_ns[0][u] ? typ->mass_ns[0][u] : mx;
  }
  return 0;
}

int lf_flm_part_geometry(lf_session *s, const lf_flm_part *p, lf_flash_geometry *g)
{
  uint32_t list[2 * (LF_FLM_MAX_RANGES + 1)];
  size_t n = range_list(p, list, LF_FLM_MAX_RANGES + 1);
  lf_geometry_region rg[LF_FLM_MAX_RANGES];
  uint32_t index = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    uint32_t size = list[2 * i], count = (list[2 * i + 3] - list[2 * i + 1]) / size;
    rg[i] = (lf_geometry_region){list[2 * i + 1], count, size, 0, index};
    index += count;
  }
  unsigned page = p->flm->page_size, unit = page >= 4 ? 4 : page;
  unsigned units = 0;
  for (unsigned k = 0; k < LF_FLASH_UNITS; k++)
    if ((1u << k) <= page && (1u << k) <= unit * 8)
      units |= 1u << k;
  char nm[64];
  snprintf(nm, sizeof nm, "%s (%s)", p->name, base_name(p->flm->path));
  lf_geometry_desc d = {.name = nm, .family = &p->fam, .regions = rg, .nregions = n - 1,
                        .erased = p->flm->erased, .prog_units = units, .prog_unit = unit,
                        .timing = &p->timing, .program_once = !p->cfg.blank_reprogram};
  int r = lf_geometry_build(s, &d, g);
  if (r)
    return lf_err_wrap(s, r, "%s", p->flm->path);
  g->page_size = page;
  return 0;
}

/* ---- placement ---- */

static int place(lf_session *s, lf_flm_part *p)
{
  const lf_flm *f = p->flm;
  uint32_t lo = p->cfg.ram_start;
  p->ram_end = (uint32_t)(((uint64_t)p->cfg.ram_start + p->cfg.ram_size) & ~7ull);
  /* linked for a fixed address inside the window: there; else the window's start */
  p->algo_base = (f->link_addr && f->link_addr >= lo && f->link_addr < p->ram_end) ? f->link_addr : lo;
  if (f->link_addr && p->algo_base != f->link_addr)
    lf_log(s, LF_LOG_INFO, "%s: PrgCode linked at 0x%08x, outside RAM: placed at 0x%08x (treated as "
           "position independent, like probe-rs' target-gen)", f->path, f->link_addr, p->algo_base);
  p->static_base = p->algo_base + f->data_off;
  uint32_t stack = p->cfg.stack_size ? align_up(p->cfg.stack_size, 8) : DEFAULT_STACK;
  uint32_t page = align_up(f->page_size, 8);
  uint64_t img_end = (uint64_t)p->algo_base + align_up(f->image_size, 8);
  p->stack_top = p->ram_end;
  /* streamed */
  uint64_t disp = img_end, sectors = disp + align_up(lf_blob_flm_len, 8);
  uint64_t blob_end = sectors + 8 * (f->nranges + 1);
  uint64_t scratch = (p->ram_end - (LF_LDR_FLM_CRC_TABLE + page + 8 + stack)) & ~7ull;
  uint64_t ring_start = align_up((uint32_t)(align_up((uint32_t)(blob_end - p->algo_base), 64) + ENGINE_FIXED),
                                 1024) + (uint64_t)p->algo_base;
  uint32_t ring_need = 2 * page > MIN_RING ? 2 * page : MIN_RING;
  bool fits = p->ram_end > p->algo_base && scratch > ring_start && scratch - ring_start >= ring_need;
  if (p->cfg.mode == LF_FLM_STREAMED && !fits)
    return lf_err_set(s, LF_EINVAL, "%s: streamed needs 0x%llx bytes of RAM from 0x%08x (algorithm, "
                      "dispatcher, ring, scratch), the window 0x%08x + 0x%x has less: use the classic mode",
                      f->path, (unsigned long long)(ring_need + (ring_start - p->algo_base) + (p->ram_end - scratch)),
                      p->algo_base, p->cfg.ram_start, p->cfg.ram_size);
  p->streamed = p->cfg.mode != LF_FLM_CLASSIC && fits;
  if (p->streamed) {
    p->disp = (uint32_t)disp;
    p->sectors = (uint32_t)sectors;
    p->scratch = (uint32_t)scratch;
    p->blob_len = (unsigned int)(blob_end - p->algo_base);
    p->blob = calloc(1, p->blob_len);
    if (!p->blob)
      return lf_err_set(s, LF_ENOMEM, "%s: out of memory", f->path);
    memcpy(p->blob, f->image, f->image_size);
    memcpy(p->blob + (p->disp - p->algo_base), lf_blob_flm, lf_blob_flm_len);
    uint32_t list[2 * (LF_FLM_MAX_RANGES + 1)];
    size_t n = range_list(p, list, LF_FLM_MAX_RANGES + 1);
    for (size_t i = 0; i < 2 * n; i++) {
      uint8_t *q = p->blob + (p->sectors - p->algo_base) + 4 * i;
      q[0] = (uint8_t)list[i];
      q[1] = (uint8_t)(list[i] >> 8);
      q[2] = (uint8_t)(list[i] >> 16);
      q[3] = (uint8_t)(list[i] >> 24);
    }
    return 0;
  }
  /* classic: image, buffers, stack at the top */
  uint64_t room = p->ram_end > img_end + stack ? p->ram_end - stack - img_end : 0;
  if (room < page)
    return lf_err_set(s, LF_EINVAL, "%s: the RAM window 0x%08x + 0x%x cannot hold the algorithm (0x%x "
                      "bytes at 0x%08x), a %u-byte page buffer and a %u-byte stack", f->path,
                      p->cfg.ram_start, p->cfg.ram_size, f->image_size, p->algo_base, f->page_size, stack);
  p->nbuf = room >= 2ull * page ? 2 : 1;
  p->buf[0] = (uint32_t)img_end;
  p->buf[1] = p->buf[0] + page;
  return 0;
}

/* ---- streamed: the engine's adapter ---- */

static int streamed_configure(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                              uint32_t fam[LF_LDR_FAM_WORDS])
{
  const lf_flm_part *p = part_of_family(g->family);
  const lf_flm *f = p->flm;
  struct lf_ldr_flm w = {0};
  uint32_t *e[] = {&w.init, &w.uninit, &w.erase_sector, &w.program_page, &w.erase_chip};
  for (int k = 0; k < 5; k++)
    *e[k] = f->has[k] ? p->algo_base + f->entry[k] : 0;
  w.static_base = p->static_base;
  w.page_size = f->page_size;
  w.dev_addr = f->dev_addr;
  w.scratch = p->scratch;
  w.stack_top = p->stack_top;
  w.sectors = p->sectors;
  memcpy(fam, &w, sizeof w);
  return 0;
}

static const char *fn_name(uint32_t code)
{
  static const char *const n[] = {"?", "Init", "UnInit", "EraseSector", "ProgramPage", "EraseChip"};
  return code < sizeof n / sizeof n[0] ? n[code] : "?";
}

static void streamed_status_names(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len)
{
  if (sr & LF_LDR_FLM_STACK_SMASHED)
    snprintf(buf, len, "%s overflowed its stack", fn_name(sr >> 24));
  else
    snprintf(buf, len, "%s returned %u", fn_name(sr >> 24), sr & 0xFFFFu);
}

/* The function the dispatcher was calling when the stream failed. */
static void streamed_explain(lf_session *s, lf_adi *a, const lf_flash_geometry *g, uint32_t ctrl, int rc)
{
  const lf_flm_part *p = part_of_family(g->family);
  uint8_t b[8];
  if (lf_adi_read(a, ctrl + LF_LDR_FLM_OFF_CALL, b, sizeof b)) {
    lf_err_wrap(s, rc, "%s", p->flm->path); /* the first error's message stays */
    return;
  }
  uint32_t call = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  uint32_t arg = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
  if (call & LF_LDR_FLM_IN_CALL)
    lf_err_wrap(s, rc, "%s: %s(0x%08x) did not return", p->flm->path, fn_name(call & 0xFF), arg);
  else
    lf_err_wrap(s, rc, "%s", p->flm->path);
}

/* ---- classic: the host calls the algorithm ---- */

typedef struct classic {
  lf_session *s;
  lf_cm *cm;
  lf_adi *a;
  const lf_flash_geometry *g;
  const lf_flm_part *p;
  const lf_loader_cfg *cfg;
  lf_loader_stats *st;
  bool loaded;
  uint32_t cur; /* Init'ed function kind, 0 none */
  uint8_t *page;
  /* progress */
  uint64_t done, total;
} classic;

static int classic_open(lf_session *s, lf_cm *cm, const lf_flash_geometry *g, const lf_loader_adapter *ad,
                        const lf_loader_cfg *cfg, lf_loader_stats *st, void **ctx)
{
  classic *c = calloc(1, sizeof *c);
  const lf_flm_part *p = part_of_family(g->family);
  if (!c || !(c->page = malloc(align_up(p->flm->page_size, 8)))) {
    free(c);
    return lf_err_set(s, LF_ENOMEM, "loader: out of memory");
  }
  *c = (classic){s, cm, lf_cm_adi(cm), g, p, cfg, st, false, 0, c->page, 0, 0};
  *ctx = c;
  return 0;
}

static void classic_close(void *ctx)
{
  classic *c = ctx;
  if (c)
    free(c->page);
  free(c);
}

static double timeout_for(const classic *c, int fn)
{
  if (c->cfg->timeout_s > 0)
    return c->cfg->timeout_s;
  const lf_flm *f = c->p->flm;
  switch (fn) {
  case LF_FLM_ERASE_SECTOR:
    return ms_or_default(f->erase_timeout_ms);
  case LF_FLM_PROGRAM_PAGE:
    return ms_or_default(f->prog_timeout_ms);
  case LF_FLM_ERASE_CHIP:
    return (double)lf_geometry_mass_ns(c->g, c->g->prog_unit, true) / 1e9;
  default:
    return INIT_TIMEOUT_S;
  }
}

/* Starts function fn (args a0..a2); wait = also waits for its return. */
static int classic_start_call(classic *c, int fn, uint32_t a0, uint32_t a1, uint32_t a2)
{
  const uint32_t args[4] = {a0, a1, a2, 0};
  int r = lf_cm_start_function(c->cm, c->p->algo_base + c->p->flm->entry[fn], args, c->p->stack_top);
  return r ? lf_err_wrap(c->s, r, "%s: %s(0x%08x)", c->p->flm->path, lf_flm_func_name(fn), a0) : 0;
}

static int classic_wait(classic *c, int fn, uint32_t a0, uint32_t a1)
{
  uint32_t r0 = 0;
  int r = lf_cm_wait_function(c->cm, timeout_for(c, fn), &r0);
  const char *path = c->p->flm->path, *nm = lf_flm_func_name(fn);
  if (r) {
    c->loaded = false; /* the core was halted somewhere: load again before the next call */
    c->cur = 0;
    return lf_err_wrap(c->s, r, "%s: %s(0x%08x)", path, nm, a0);
  }
  if (r0 == 0)
    return 0;
  if (fn == LF_FLM_PROGRAM_PAGE) {
    const lf_flash_sector *sec = lf_geometry_sector_at(c->g, a0);
    return lf_err_set(c->s, LF_ETARGET, "%s: ProgramPage(0x%08x, %u) returned %u: programming the page at "
                      "0x%08x (sector %d) failed", path, a0, a1, r0, a0, sec ? (int)sec->index : -1);
  }
  if (fn == LF_FLM_ERASE_SECTOR) {
    const lf_flash_sector *sec = lf_geometry_sector_at(c->g, a0);
    return lf_err_set(c->s, LF_ETARGET, "%s: EraseSector(0x%08x) returned %u: erasing sector %d failed",
                      path, a0, r0, sec ? (int)sec->index : -1);
  }
  return lf_err_set(c->s, LF_ETARGET, "%s: %s(0x%08x) returned %u", path, nm, a0, r0);
}

static int classic_call(classic *c, int fn, uint32_t a0, uint32_t a1, uint32_t a2)
{
  int r = classic_start_call(c, fn, a0, a1, a2);
  return r ? r : classic_wait(c, fn, a0, a1);
}

static int classic_start(void *ctx)
{
  classic *c = ctx;
  if (c->loaded)
    return 0;
  bool halted = false;
  int r = lf_cm_is_halted(c->cm, &halted);
  if (r)
    return lf_err_wrap(c->s, r, "loader: start");
  if (!halted)
    return lf_err_set(c->s, LF_ETARGET, "loader: start: the core must be halted first");
  const lf_flm *f = c->p->flm;
  if ((r = lf_adi_write(c->a, c->p->algo_base, f->image, f->image_size)))
    return lf_err_wrap(c->s, r, "%s: upload to 0x%08x", f->path, c->p->algo_base);
  if ((r = lf_cm_write_reg(c->cm, 9, c->p->static_base)))
    return lf_err_wrap(c->s, r, "%s: r9 (static base)", f->path);
  lf_cm_set_return_bkpt(c->cm, 0);
  c->loaded = true;
  c->cur = 0;
  lf_log(c->s, LF_LOG_DEBUG, "loader: %s (classic: one call per page, %u buffer(s)) at 0x%08x", f->path,
         c->p->nbuf, c->p->algo_base);
  return 0;
}

static int classic_phase(classic *c, uint32_t fnc)
{
  int r;
  if (c->cur == fnc)
    return 0;
  if (c->cur && (r = classic_call(c, LF_FLM_UNINIT, c->cur, 0, 0)))
    return r;
  c->cur = 0;
  if (fnc) {
    /* r9 on every Init, as pyOCD and probe-rs do (3.3) */
    if ((r = lf_cm_write_reg(c->cm, 9, c->p->static_base)) ||
        (r = classic_call(c, LF_FLM_INIT, c->p->flm->dev_addr, c->p->cfg.clk, fnc)))
      return r;
  }
  c->cur = fnc;
  return 0;
}

static void classic_progress(classic *c, uint64_t add, const char *phase)
{
  c->done += add;
  if (c->cfg->progress)
    c->cfg->progress(c->cfg->progress_ctx, c->done, c->total, phase);
}

static int classic_erase(classic *c, uint32_t addr)
{
  int r = classic_call(c, LF_FLM_ERASE_SECTOR, addr, 0, 0);
  const lf_flash_sector *sec = lf_geometry_sector_at(c->g, addr);
  if (!r)
    classic_progress(c, sec ? sec->size : 0, "erase");
  return r;
}

/* The bytes of a program step, padded to whole program units with the
 * erased value, in pages: double-buffered (page k+1 goes over the debug
 * port while page k programs). */
static int classic_program(classic *c, const lf_loader_step *s)
{
  const lf_flm *f = c->p->flm;
  uint32_t unit = c->g->prog_unit;
  uint32_t a0 = s->addr & ~(unit - 1);
  uint64_t e1 = ((uint64_t)s->addr + s->len + unit - 1) & ~(uint64_t)(unit - 1);
  uint32_t pad = s->addr - a0, dst = a0;
  int busy = -1; /* buffer whose ProgramPage runs */
  uint32_t busy_addr = 0, busy_len = 0;
  int r = 0;
  unsigned k = 0;
  while (dst < e1 && !r) {
    uint32_t n = f->page_size - (dst - f->dev_addr) % f->page_size;
    if (n > e1 - dst)
      n = (uint32_t)(e1 - dst);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t o = (uint64_t)(dst - a0) + i;
      c->page[i] = o >= pad && o - pad < s->len ? s->data[o - pad] : c->g->erased;
    }
    uint32_t buf = c->p->buf[k % c->p->nbuf];
    if (c->p->nbuf == 1 && busy >= 0) { /* one buffer: wait before overwriting it */
      if ((r = classic_wait(c, LF_FLM_PROGRAM_PAGE, busy_addr, busy_len)))
        break;
      classic_progress(c, busy_len, "program");
      busy = -1;
    }
    if ((r = lf_adi_write(c->a, buf, c->page, n))) {
      lf_err_wrap(c->s, r, "%s: page 0x%08x to 0x%08x", f->path, dst, buf);
      break;
    }
    c->st->data_bytes += n;
    c->st->uploads++;
    if (busy >= 0) {
      if ((r = classic_wait(c, LF_FLM_PROGRAM_PAGE, busy_addr, busy_len)))
        break;
      classic_progress(c, busy_len, "program");
    }
    if ((r = classic_start_call(c, LF_FLM_PROGRAM_PAGE, dst, n, buf)))
      break;
    busy = (int)(k % c->p->nbuf);
    busy_addr = dst;
    busy_len = n;
    c->st->commands++;
    dst += n;
    k++;
  }
  if (!r && busy >= 0 && !(r = classic_wait(c, LF_FLM_PROGRAM_PAGE, busy_addr, busy_len)))
    classic_progress(c, busy_len, "program");
  return r;
}

static int classic_crc(classic *c, const lf_loader_range *rg, uint32_t *crc)
{
  uint8_t buf[4096];
  uLong v = crc32_z(0L, Z_NULL, 0);
  for (uint32_t off = 0; off < rg->len;) {
    uint32_t n = rg->len - off < sizeof buf ? rg->len - off : (uint32_t)sizeof buf;
    int r = lf_adi_read(c->a, rg->addr + off, buf, n);
    if (r)
      return lf_err_wrap(c->s, r, "crc32: read 0x%08x", rg->addr + off);
    v = crc32_z(v, buf, n);
    off += n;
    classic_progress(c, n, "crc32");
  }
  *crc = (uint32_t)v;
  return 0;
}

static int classic_run(void *ctx, const lf_loader_step *steps, size_t n, const lf_loader_range *rg, size_t nr,
                       uint32_t *crcs)
{
  classic *c = ctx;
  const lf_flash_geometry *g = c->g;
  c->done = c->total = 0;
  for (size_t i = 0; i < n; i++) { /* every step checked before the first call */
    const lf_loader_step *s = &steps[i];
    if (s->kind == LF_LOADER_ERASE) {
      const lf_flash_sector *sec = lf_geometry_sector_at(g, s->addr);
      if (!sec)
        return lf_err_set(c->s, LF_EINVAL, "loader: step %zu: erase 0x%08x: not in the flash (0x%08x + %u KiB)",
                          i + 1, s->addr, g->base, g->size / 1024);
      c->total += sec->size;
    } else if (s->kind == LF_LOADER_MASS) {
      if (s->addr != 1)
        return lf_err_set(c->s, LF_EINVAL, "loader: step %zu: mass erase bank mask 0x%x: expected 1 "
                          "(an algorithm erases the whole device)", i + 1, s->addr);
      c->total += g->size;
    } else if (s->kind == LF_LOADER_PROGRAM) {
      uint64_t end = (uint64_t)s->addr + s->len;
      if (!s->len || !s->data || s->addr < g->base || end > (uint64_t)g->base + g->size)
        return lf_err_set(c->s, LF_EINVAL, "loader: step %zu: program 0x%08x + %zu: %s", i + 1, s->addr,
                          s->len, !s->len || !s->data ? "no data" : "outside the flash");
      c->total += s->len;
    } else {
      return lf_err_set(c->s, LF_EINVAL, "loader: step %zu: unknown kind %d", i + 1, (int)s->kind);
    }
  }
  for (size_t j = 0; j < nr; j++)
    c->total += rg[j].len;
  int r = classic_start(c);
  for (size_t i = 0; i < n && !r; i++) {
    const lf_loader_step *s = &steps[i];
    if (s->kind == LF_LOADER_PROGRAM) {
      if (!(r = classic_phase(c, 2)))
        r = classic_program(c, s);
      continue;
    }
    if ((r = classic_phase(c, 1)))
      break;
    if (s->kind == LF_LOADER_ERASE) {
      r = classic_erase(c, lf_geometry_sector_at(g, s->addr)->addr);
    } else if (c->p->flm->has[LF_FLM_ERASE_CHIP]) {
      if (!(r = classic_call(c, LF_FLM_ERASE_CHIP, g->base, 0, 0)))
        classic_progress(c, g->size, "mass erase");
    } else {
      for (unsigned k = 0; k < g->nsectors && !r; k++)
        r = classic_erase(c, g->sector[k].addr);
    }
    c->st->commands++;
  }
  if (!r && nr)
    r = classic_phase(c, 3); /* Init(verify): flash readable through the bus (3.5) */
  for (size_t j = 0; j < nr && !r; j++)
    r = classic_crc(c, &rg[j], &crcs[j]);
  if (!r && c->cfg->progress)
    c->cfg->progress(c->cfg->progress_ctx, c->done, c->total, "done");
  return r;
}

static int classic_stop(void *ctx)
{
  classic *c = ctx;
  int r = c->loaded ? classic_phase(c, 0) : 0;
  c->loaded = false; /* its RAM is free again: load anew next time */
  return r;
}

static const lf_loader_direct classic_ops = {classic_open, classic_start, classic_run, classic_stop,
                                             classic_close};

/* ---- the part ---- */

int lf_flm_part_new(lf_session *s, lf_flm *flm, const lf_flm_part_cfg *cfg, lf_flm_part **out)
{
  *out = NULL;
  lf_flm_part *p = calloc(1, sizeof *p);
  if (!p) {
    lf_flm_free(flm);
    return lf_err_set(s, LF_ENOMEM, "flm: out of memory");
  }
  p->flm = flm;
  p->cfg = *cfg;
  p->name = strdup(cfg->name ? cfg->name : flm->dev_name);
  if (!p->name) {
    lf_flm_part_free(p);
    return lf_err_set(s, LF_ENOMEM, "flm: out of memory");
  }
  p->cfg.name = p->name;
  p->cfg.typical = NULL; /* copied into p->timing below; the caller's table may go */
  uint64_t dev_end = (uint64_t)flm->dev_addr + flm->dev_size;
  p->flash_start = cfg->flash_size ? cfg->flash_start : flm->dev_addr;
  p->flash_size = cfg->flash_size ? cfg->flash_size : flm->dev_size;
  int r = 0;
  if (p->flash_start < flm->dev_addr || (uint64_t)p->flash_start + p->flash_size > dev_end)
    r = lf_err_set(s, LF_EINVAL, "%s: flash range 0x%08x + 0x%x is not inside the algorithm's device "
                   "\"%s\" (0x%08x + 0x%x)", flm->path, p->flash_start, p->flash_size, flm->dev_name,
                   flm->dev_addr, flm->dev_size);
  uint32_t list[2 * (LF_FLM_MAX_RANGES + 1)];
  size_t n = r ? 0 : range_list(p, list, LF_FLM_MAX_RANGES + 1);
  for (size_t i = 0; !r && i + 1 < n; i++) {
    uint32_t a = list[2 * i + 1], e = list[2 * i + 3], size = list[2 * i];
    uint32_t first = flm->dev_addr + (a - flm->dev_addr) / size * size;
    if (size % flm->page_size)
      r = lf_err_set(s, LF_EINVAL, "%s: sectors of 0x%x bytes are not whole pages of 0x%x", flm->path, size,
                     flm->page_size);
    else if (a != first || (e - a) % size)
      r = lf_err_set(s, LF_EINVAL, "%s: flash range 0x%08x + 0x%x does not start and end on sector "
                     "boundaries (sectors of 0x%x from 0x%08x)", flm->path, p->flash_start, p->flash_size,
                     size, a);
  }
  if (!r && (!cfg->ram_size || (uint64_t)cfg->ram_start + cfg->ram_size > 0x100000000ull))
    r = lf_err_set(s, LF_EINVAL, "%s: no RAM to run the algorithm in (RAM 0x%08x + 0x%x)", flm->path,
                   cfg->ram_start, cfg->ram_size);
  p->cfg.typical = cfg->typical;
  if (!r)
    r = build_timing(s, p);
  p->cfg.typical = NULL;
  if (!r)
    r = place(s, p);
  if (r) {
    lf_flm_part_free(p);
    return r;
  }
  snprintf(p->title, sizeof p->title, "CMSIS-Pack algorithm %s", base_name(flm->path));
  p->fam.name = "flm";
  p->fam.title = p->title;
  p->fam.loader = flm_family_loader;
  double hz = cfg->core_hz > 0 ? cfg->core_hz : DEFAULT_CORE_HZ;
  if (p->streamed) {
    p->ad = (lf_loader_adapter){.name = "flm", .blob = p->blob, .blob_len = &p->blob_len,
                                .load_addr = p->algo_base, .entry_off = p->disp - p->algo_base + LF_BLOB_FLM_ENTRY,
                                .exit_off = p->disp - p->algo_base + LF_BLOB_FLM_EXIT,
                                .ram_size = p->scratch - p->algo_base, .core_hz = hz,
                                .status_reg = "result", .configure = streamed_configure,
                                .status_names = streamed_status_names, .explain = streamed_explain,
                                /* compressed upload: ProgramPage per page of each inflated record */
                                .zblob = lf_blob_flm_z, .zblob_len = &lf_blob_flm_z_len, .z_core_hz = hz,
                                .z_in_cmd = true, .z_serial = true};
  } else {
    p->ad = (lf_loader_adapter){.name = "flm (classic)", .load_addr = p->buf[0],
                                .ram_size = p->nbuf * align_up(flm->page_size, 8), .core_hz = hz,
                                .status_reg = "result", .status_names = streamed_status_names,
                                .direct = &classic_ops};
  }
  *out = p;
  return 0;
}

void lf_flm_part_free(lf_flm_part *p)
{
  if (!p)
    return;
  lf_flm_free(p->flm);
  free(p->blob);
  free(p->name);
  free(p);
}
