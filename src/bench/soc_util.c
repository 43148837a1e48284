/* Pieces the SoC families share (soc_util.h). Facts: stm32f7-target.md
 * (CRC unit, IWDG), stm32f4-target.md (the fixed CRC unit),
 * stm32-f1-l4-h7-targets.md 7 (F1 fixed, L4 programmable). */
#include "bench/soc_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Register tables                                                     */

void lf_regblock_init(lf_regblock *b, lf_stm32_reg_table t)
{
  b->regs = t.regs;
  b->nregs = t.n < LF_REGBLOCK_MAX ? t.n : LF_REGBLOCK_MAX;
  lf_regblock_reset(b, true);
}

void lf_regblock_reset(lf_regblock *b, bool power)
{
  for (size_t i = 0; i < b->nregs; i++)
    if (power || !(b->regs[i].flags & LF_STM32_KEEP_SYS))
      b->v[i] = b->regs[i].reset;
}

int lf_regblock_index(const lf_regblock *b, uint32_t off)
{
  for (size_t i = 0; i < b->nregs; i++)
    if (b->regs[i].off == off)
      return (int)i;
  return -1;
}

uint32_t *lf_regblock_ptr(lf_regblock *b, uint32_t off)
{
  int i = lf_regblock_index(b, off);
  return i < 0 ? NULL : &b->v[i];
}

uint32_t lf_regblock_get(const lf_regblock *b, uint32_t off)
{
  int i = lf_regblock_index(b, off);
  return i < 0 ? 0 : b->v[i];
}

uint32_t lf_regblock_read(const lf_regblock *b, uint32_t off)
{
  int i = lf_regblock_index(b, off);
  return i < 0 || (b->regs[i].flags & LF_STM32_WO) ? 0 : b->v[i];
}

void lf_regblock_write(lf_regblock *b, uint32_t off, uint32_t wv, uint32_t lanes)
{
  int i = lf_regblock_index(b, off);
  if (i < 0 || (b->regs[i].flags & LF_STM32_RO))
    return;
  uint32_t m = lanes & b->regs[i].wmask;
  b->v[i] = (b->v[i] & ~m) | (wv & m);
}

/* ------------------------------------------------------------------ */
/* CRC unit                                                            */

enum { CRC_DR = 0x00, CRC_CR = 0x08, CRC_INIT = 0x10, CRC_POL = 0x14 };

static uint32_t bitrev(uint32_t v, unsigned n)
{
  uint32_t r = 0;
  for (unsigned i = 0; i < n; i++)
    r |= ((v >> i) & 1u) << (n - 1 - i);
  return r;
}

static bool crc_programmable(const lf_crc_unit *u) { return lf_regblock_index(&u->r, CRC_INIT) >= 0; }

static unsigned crc_polysize(const lf_crc_unit *u)
{
  static const unsigned sz[4] = {32, 16, 8, 7};
  return sz[(lf_regblock_get(&u->r, CRC_CR) >> 3) & 3];
}

/* REV_IN: 00 none, 01 by byte, 10 by half-word, 11 by word (by the written
 * width when narrower). */
static uint32_t crc_rev_in(uint32_t v, unsigned width, unsigned mode)
{
  unsigned unit = mode == 1 ? 8 : mode == 2 ? 16 : 32;
  if (mode == 0)
    return v;
  if (unit > width)
    unit = width;
  uint32_t r = 0;
  for (unsigned k = 0; k < width; k += unit)
    r |= bitrev((v >> k) & (unit == 32 ? 0xFFFFFFFFu : ((1u << unit) - 1)), unit) << k;
  return r;
}

static void crc_feed(lf_crc_unit *u, uint32_t data, unsigned width)
{
  unsigned ps = crc_polysize(u);
  uint32_t mask = ps == 32 ? 0xFFFFFFFFu : (1u << ps) - 1;
  uint32_t pol = (crc_programmable(u) ? lf_regblock_get(&u->r, CRC_POL) : 0x04C11DB7u) & mask;
  uint32_t crc = u->acc & mask;
  data = crc_rev_in(data, width, (lf_regblock_get(&u->r, CRC_CR) >> 5) & 3);
  for (int i = (int)width - 1; i >= 0; i--) {
    uint32_t fb = ((crc >> (ps - 1)) ^ (data >> i)) & 1u;
    crc = (crc << 1) & mask;
    if (fb)
      crc ^= pol;
  }
  u->acc = crc;
}

void lf_crc_init(lf_crc_unit *u, lf_stm32_reg_table t, double cycles_per_word)
{
  lf_regblock_init(&u->r, t);
  u->acc = 0xFFFFFFFFu;
  u->cycles_per_word = cycles_per_word;
  u->done = u->last_start = 0;
}

void lf_crc_reset(lf_crc_unit *u)
{
  lf_regblock_reset(&u->r, true);
  u->acc = 0xFFFFFFFFu;
  u->done = u->last_start = 0;
}

static void crc_stall(uint64_t *t, uint64_t until, uint64_t *stall_ns)
{
  if (*t < until) {
    if (stall_ns)
      *stall_ns += until - *t;
    *t = until;
  }
}

uint32_t lf_crc_read(lf_crc_unit *u, uint32_t off, uint64_t *t, uint64_t *stall_ns)
{
  if (off != CRC_DR)
    return lf_regblock_get(&u->r, off);
  crc_stall(t, u->done, stall_ns);
  uint32_t v = u->acc;
  if (lf_regblock_get(&u->r, CRC_CR) & 0x80u)
    v = bitrev(v, crc_polysize(u));
  return v;
}

void lf_crc_write(lf_crc_unit *u, uint32_t off, uint32_t wv, uint32_t lanes, uint32_t raw,
                  unsigned size, double hclk_hz, uint64_t *t, uint64_t *stall_ns)
{
  if (off == CRC_DR) {
    bool prog = crc_programmable(u);
    double cyc = u->cycles_per_word * (prog ? (double)size / 4.0 : 1.0);
    uint64_t dur = hclk_hz > 0 && cyc > 0 ? (uint64_t)llround(cyc * 1e9 / hclk_hz) : 0;
    crc_stall(t, prog ? u->last_start : u->done, stall_ns); /* room for the word */
    uint64_t start = *t > u->done ? *t : u->done;
    u->last_start = start;
    u->done = start + dur;
    if (prog)
      crc_feed(u, raw, size * 8);
    else
      crc_feed(u, wv, 32);
    return;
  }
  lf_regblock_write(&u->r, off, wv, lanes);
  if (off == CRC_CR && (wv & lanes & 1u)) /* RESET: DR <- INIT, bit self-clears */
    u->acc = crc_programmable(u) ? lf_regblock_get(&u->r, CRC_INIT) : 0xFFFFFFFFu;
}

/* ------------------------------------------------------------------ */
/* IWDG                                                                */

enum { IWDG_KR = 0x00, IWDG_PR = 0x04, IWDG_RLR = 0x08, IWDG_WINR = 0x10 };

static void iwdg_reload(lf_iwdg *w, double lsi_hz, uint64_t t)
{
  unsigned pr = lf_regblock_get(&w->r, IWDG_PR) & 7;
  if (pr > 6)
    pr = 6;
  double ticks = (double)(4u << pr) * (double)((lf_regblock_get(&w->r, IWDG_RLR) & 0xFFF) + 1);
  double lsi = lsi_hz > 0 ? lsi_hz : 32000;
  w->deadline = t + (uint64_t)llround(ticks * 1e9 / lsi);
}

void lf_iwdg_init(lf_iwdg *w, lf_stm32_reg_table t)
{
  lf_regblock_init(&w->r, t);
  w->running = w->unlocked = false;
  w->deadline = UINT64_MAX;
}

void lf_iwdg_reset(lf_iwdg *w, bool hardware, double lsi_hz, uint64_t t)
{
  lf_regblock_reset(&w->r, true);
  w->unlocked = false;
  w->running = hardware;
  if (hardware)
    iwdg_reload(w, lsi_hz, t);
}

void lf_iwdg_write(lf_iwdg *w, uint32_t off, uint32_t wv, uint32_t lanes, double lsi_hz, uint64_t t)
{
  if (off == IWDG_KR) {
    uint32_t key = wv & lanes & 0xFFFF;
    w->unlocked = key == 0x5555;
    if (key == 0xCCCC) {
      w->running = true;
      iwdg_reload(w, lsi_hz, t);
    } else if (key == 0xAAAA && w->running) {
      iwdg_reload(w, lsi_hz, t);
    }
    return;
  }
  if ((off == IWDG_PR || off == IWDG_RLR || off == IWDG_WINR) && w->unlocked)
    lf_regblock_write(&w->r, off, wv, lanes);
}

uint64_t lf_iwdg_deadline(const lf_iwdg *w) { return w->running ? w->deadline : UINT64_MAX; }

/* ------------------------------------------------------------------ */
/* GPIO port (MODER layout)                                            */

enum { G_MODER = 0x00, G_OTYPER = 0x04, G_OSPEEDR = 0x08, G_PUPDR = 0x0C, G_IDR = 0x10,
       G_ODR = 0x14, G_BSRR = 0x18, G_LCKR = 0x1C, G_AFRL = 0x20, G_AFRH = 0x24, G_BRR = 0x28 };
static const lf_stm32_reg gpio_regs[] = {
  {0x00, 0, 0xFFFFFFFFu, 0}, {0x04, 0, 0xFFFFu, 0}, {0x08, 0, 0xFFFFFFFFu, 0},
  {0x0C, 0, 0xFFFFFFFFu, 0}, {0x10, 0, 0, LF_STM32_RO}, {0x14, 0, 0xFFFFu, 0},
  {0x18, 0, 0xFFFFFFFFu, LF_STM32_WO}, {0x1C, 0, 0x1FFFFu, 0}, {0x20, 0, 0xFFFFFFFFu, 0},
  {0x24, 0, 0xFFFFFFFFu, 0},
};

void lf_gpio_init(lf_gpio_port *g, bool brr)
{
  lf_regblock_init(&g->r, (lf_stm32_reg_table)LF_STM32_REG_TABLE(gpio_regs));
  g->brr = brr;
  g->lck_stage = 0;
  g->lck_locked = 0;
}

void lf_gpio_reset(lf_gpio_port *g, const lf_stm32_gpio_reset *rv)
{
  lf_regblock_reset(&g->r, true);
  if (rv) {
    *lf_regblock_ptr(&g->r, G_MODER) = rv->moder;
    *lf_regblock_ptr(&g->r, G_OSPEEDR) = rv->ospeedr;
    *lf_regblock_ptr(&g->r, G_PUPDR) = rv->pupdr;
  }
  g->lck_stage = 0;
  g->lck_locked = 0;
}

static uint32_t gpio_idr(const lf_gpio_port *g)
{
  uint32_t moder = lf_regblock_get(&g->r, G_MODER), pupd = lf_regblock_get(&g->r, G_PUPDR);
  uint32_t odr = lf_regblock_get(&g->r, G_ODR), idr = 0;
  for (unsigned pin = 0; pin < 16; pin++) {
    unsigned mode = (moder >> (2 * pin)) & 3, pull = (pupd >> (2 * pin)) & 3;
    bool level = mode == 1 ? ((odr >> pin) & 1) : pull == 1;
    idr |= (uint32_t)level << pin;
  }
  return idr;
}

/* Field mask of the locked pins in a configuration register. */
static uint32_t gpio_lock_mask(const lf_gpio_port *g, uint32_t off)
{
  uint32_t pins = g->lck_locked, m = 0;
  for (unsigned pin = 0; pin < 16; pin++) {
    if (!((pins >> pin) & 1))
      continue;
    switch (off) {
    case G_OTYPER: m |= 1u << pin; break;
    case G_MODER: case G_OSPEEDR: case G_PUPDR: m |= 3u << (2 * pin); break;
    case G_AFRL: if (pin < 8) m |= 0xFu << (4 * pin); break;
    case G_AFRH: if (pin >= 8) m |= 0xFu << (4 * (pin - 8)); break;
    default: break;
    }
  }
  return m;
}

uint32_t lf_gpio_read(lf_gpio_port *g, uint32_t off)
{
  if (off == G_IDR)
    return gpio_idr(g);
  if (off == G_BSRR || off == G_BRR)
    return 0;
  if (off == G_LCKR) {
    uint32_t v = lf_regblock_get(&g->r, G_LCKR);
    if (g->lck_stage == 3) { /* the read completing the sequence */
      g->lck_locked = v & 0xFFFF;
      g->lck_stage = 4;
    }
    return g->lck_stage == 4 ? (g->lck_locked | 0x10000u) : (v & 0xFFFF);
  }
  return lf_regblock_get(&g->r, off);
}

bool lf_gpio_write(lf_gpio_port *g, uint32_t off, uint32_t wv, uint32_t lanes, uint32_t *old,
                   uint32_t *now)
{
  uint32_t *odr = lf_regblock_ptr(&g->r, G_ODR), o = *odr, n = o;
  switch (off) {
  case G_ODR: n = (o & ~lanes) | (wv & lanes); break;
  case G_BSRR: n = (o & ~((wv & lanes) >> 16)) | (wv & lanes & 0xFFFF); break; /* set wins */
  case G_BRR:
    if (!g->brr)
      return false;
    n = o & ~(wv & lanes & 0xFFFF);
    break;
  case G_LCKR: {
    /* LCKK sequence: 1+bits, 0+bits, 1+bits, then a read of LCKR (RM0410). */
    if (g->lck_stage == 4 || lanes != 0xFFFFFFFFu)
      return false;
    uint32_t *r = lf_regblock_ptr(&g->r, G_LCKR);
    bool k = wv & 0x10000u;
    unsigned st = g->lck_stage;
    bool same = (wv & 0xFFFF) == (*r & 0xFFFF);
    if (st == 0 && k) st = 1;
    else if (st == 1 && !k && same) st = 2;
    else if (st == 2 && k && same) st = 3;
    else st = k ? 1 : 0;
    g->lck_stage = st;
    *r = wv & 0x1FFFF;
    return false;
  }
  default:
    lf_regblock_write(&g->r, off, wv, lanes & ~gpio_lock_mask(g, off));
    return false;
  }
  *odr = n & 0xFFFF;
  *old = o;
  *now = *odr;
  return o != *odr;
}

/* ------------------------------------------------------------------ */
/* RCC clock sources                                                   */

bool lf_clk_ready(const lf_clk_tree *k, unsigned i, uint32_t cr, double hse_hz, double lock_ns, uint64_t t)
{
  if (i >= k->n || !(cr & k->src[i].on))
    return false;
  switch (k->src[i].kind) {
  case LF_CLK_HSE: return hse_hz > 0;
  case LF_CLK_PLL: return t >= k->pll_on_at + (uint64_t)llround(lock_ns > 0 ? lock_ns : 0);
  default: return true;
  }
}

uint32_t lf_clk_cr_read(const lf_clk_tree *k, uint32_t cr, double hse_hz, double lock_ns, uint64_t t)
{
  uint32_t v = cr;
  for (unsigned i = 0; i < k->n; i++)
    v = (v & ~k->src[i].rdy) | (lf_clk_ready(k, i, cr, hse_hz, lock_ns, t) ? k->src[i].rdy : 0);
  return v;
}

void lf_clk_cr_written(lf_clk_tree *k, uint32_t old, uint32_t now, uint64_t t)
{
  for (unsigned i = 0; i < k->n; i++)
    if (k->src[i].kind == LF_CLK_PLL && (now & k->src[i].on) && !(old & k->src[i].on))
      k->pll_on_at = t;
}

void lf_clk_switch(lf_clk_tree *k, unsigned sw, uint32_t cr, double hse_hz, double lock_ns, uint64_t t)
{
  if (sw != k->sws && lf_clk_ready(k, sw, cr, hse_hz, lock_ns, t))
    k->sws = sw;
}

void lf_rcc_init(lf_rcc *k, lf_stm32_reg_table t, const lf_clk_src *src, size_t n, uint16_t cfgr,
                 uint16_t csr)
{
  lf_regblock_init(&k->r, t);
  k->clk = (lf_clk_tree){src, n, 0, 0};
  k->cfgr = cfgr;
  k->csr = csr;
}

void lf_rcc_reset(lf_rcc *k, bool power)
{
  lf_regblock_reset(&k->r, power);
  k->clk.pll_on_at = 0;
  k->clk.sws = 0;
}

static void rcc_update(lf_rcc *k, double hse_hz, double lock_ns, uint64_t t)
{
  lf_clk_switch(&k->clk, lf_regblock_get(&k->r, k->cfgr) & 3, lf_regblock_get(&k->r, 0), hse_hz, lock_ns, t);
}

uint32_t lf_rcc_read(lf_rcc *k, uint32_t off, double hse_hz, double lock_ns, uint64_t t)
{
  rcc_update(k, hse_hz, lock_ns, t);
  uint32_t v = lf_regblock_get(&k->r, off);
  if (off == 0)
    v = lf_clk_cr_read(&k->clk, v, hse_hz, lock_ns, t);
  else if (off == k->cfgr)
    v = (v & ~0xCu) | (k->clk.sws << 2);
  else if (off == k->csr)
    v = (v & ~2u) | ((v & 1u) << 1); /* LSIRDY follows LSION */
  return v;
}

void lf_rcc_write(lf_rcc *k, uint32_t off, uint32_t wv, uint32_t lanes, double hse_hz, double lock_ns,
                  uint64_t t)
{
  rcc_update(k, hse_hz, lock_ns, t);
  uint32_t old = lf_regblock_get(&k->r, off);
  lf_regblock_write(&k->r, off, wv, lanes);
  if (off == 0)
    lf_clk_cr_written(&k->clk, old, lf_regblock_get(&k->r, 0), t);
  rcc_update(k, hse_hz, lock_ns, t);
}

/* ------------------------------------------------------------------ */
/* Bus helpers                                                         */

bool lf_bitband_alias(uint32_t addr)
{
  return (addr >= 0x22000000u && addr < 0x24000000u) || (addr >= 0x42000000u && addr < 0x44000000u);
}

int lf_bitband_access(lf_bus_fn one, void *ctx, lf_bus_master m, uint32_t addr, bool write,
                      uint32_t *val, uint64_t *t)
{
  uint32_t region = addr & 0xF0000000u, off = addr - region - 0x02000000u;
  uint32_t target = region + (off >> 5), bit = (off >> 2) & 7u, b = 0;
  int rc = one(ctx, m, target, 1, false, &b, t);
  if (rc != LF_BUS_OK || !write) {
    if (rc == LF_BUS_OK)
      *val = (b >> bit) & 1u;
    return rc;
  }
  b = (*val & 1u) ? (b | (1u << bit)) : (b & ~(1u << bit));
  return one(ctx, m, target, 1, true, &b, t);
}

int lf_bytewise_access(lf_bus_fn one, void *ctx, lf_bus_master m, uint32_t addr, unsigned size,
                       bool write, uint32_t *val, uint64_t *t)
{
  uint32_t v = write ? *val : 0;
  for (unsigned i = 0; i < size; i++) {
    uint32_t b = (v >> (8 * i)) & 0xFF;
    int rc = one(ctx, m, addr + i, 1, write, &b, t);
    if (rc != LF_BUS_OK)
      return rc;
    if (!write)
      v |= (b & 0xFF) << (8 * i);
  }
  if (!write)
    *val = v;
  return LF_BUS_OK;
}

/* ------------------------------------------------------------------ */
/* Bytes                                                               */

uint32_t lf_le_get(const uint8_t *p, unsigned n)
{
  uint32_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint32_t)p[i] << (8 * i);
  return v;
}

void lf_le_put(uint8_t *p, uint32_t v, unsigned n)
{
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t lf_soc_garbage(uint32_t a)
{
  uint32_t x = a * 0x9E3779B1u;
  x ^= x >> 15;
  x *= 0x85EBCA77u;
  x ^= x >> 13;
  x *= 0xC2B2AE3Du;
  x ^= x >> 16;
  return (uint8_t)x;
}

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void lf_stm32_uid_fill(uint8_t u[12], uint64_t seed)
{
  static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  uint64_t x = seed;
  uint64_t a = splitmix64(&x), b = splitmix64(&x);
  lf_le_put(u, (uint32_t)(a & 0x00FF00FFu), 4);
  u[4] = (uint8_t)(a >> 32);
  for (int i = 0; i < 7; i++)
    u[5 + i] = (uint8_t)alnum[(b >> (8 * i)) % 36];
}

/* ------------------------------------------------------------------ */
/* State files                                                         */

#define STATE_MAGIC "luaflash-soc-state 1"

int lf_soc_state_save(FILE *f, const char *part, const lf_soc_state_blob *blobs, size_t n,
                      char *err, size_t errlen)
{
  bool ok = fprintf(f, "%s\npart %s\n", STATE_MAGIC, part) >= 0;
  for (size_t i = 0; ok && i < n; i++)
    ok = fprintf(f, "%s %zu\n", blobs[i].key, blobs[i].len) >= 0;
  ok = ok && fputc('\n', f) != EOF;
  for (size_t i = 0; ok && i < n; i++)
    ok = fwrite(blobs[i].data, 1, blobs[i].len, f) == blobs[i].len;
  if (!ok || fflush(f) != 0) {
    snprintf(err, errlen, "soc state: write failed");
    return -1;
  }
  return 0;
}

/* Reads one header line (without newline) and counts its bytes. */
static bool read_line(FILE *f, char *buf, size_t n, size_t *pos)
{
  if (!fgets(buf, (int)n, f))
    return false;
  size_t l = strlen(buf);
  *pos += l;
  if (l == 0 || buf[l - 1] != '\n')
    return false;
  buf[l - 1] = 0;
  return true;
}

/* "KEY VALUE" against the expected key and value; 0 or -1 with err. */
static int header_field(FILE *f, size_t *pos, int lineno, const char *key, const char *want,
                        const char *part, char *err, size_t errlen)
{
  char line[128];
  if (!read_line(f, line, sizeof line, pos)) {
    snprintf(err, errlen, "soc state: truncated header at byte %zu (expected '%s')", *pos, key);
    return -1;
  }
  size_t kl = strlen(key);
  if (strncmp(line, key, kl) != 0 || line[kl] != ' ') {
    snprintf(err, errlen, "soc state: header line %d is '%s', expected '%s ...'", lineno, line, key);
    return -1;
  }
  if (strcmp(line + kl + 1, want) == 0)
    return 0;
  if (lineno == 2)
    snprintf(err, errlen, "soc state: part %s in state file does not match %s", line + kl + 1, part);
  else
    snprintf(err, errlen, "soc state: %s size %s in state file does not match %s of %s", key,
             line + kl + 1, want, part);
  return -1;
}

int lf_soc_state_load(FILE *f, const char *part, const lf_soc_state_blob *blobs, size_t n,
                      char *err, size_t errlen)
{
  char line[128];
  size_t pos = 0, total = 0;
  if (!read_line(f, line, sizeof line, &pos) || strcmp(line, STATE_MAGIC) != 0) {
    snprintf(err, errlen, "soc state: not a luaflash SoC state file (expected '%s' on line 1)",
             STATE_MAGIC);
    return -1;
  }
  if (header_field(f, &pos, 2, "part", part, part, err, errlen) != 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char want[32];
    snprintf(want, sizeof want, "%zu", blobs[i].len);
    if (header_field(f, &pos, (int)i + 3, blobs[i].key, want, part, err, errlen) != 0)
      return -1;
    total += blobs[i].len;
  }
  if (!read_line(f, line, sizeof line, &pos) || line[0] != 0) {
    snprintf(err, errlen, "soc state: expected an empty line ending the header at byte %zu", pos);
    return -1;
  }
  uint8_t *data = malloc(total ? total : 1);
  if (!data) {
    snprintf(err, errlen, "soc state: out of memory");
    return -1;
  }
  size_t got = fread(data, 1, total, f);
  if (got != total) {
    snprintf(err, errlen, "soc state: truncated at byte %zu (expected %zu)", pos + got, pos + total);
    free(data);
    return -1;
  }
  if (fgetc(f) != EOF) {
    snprintf(err, errlen, "soc state: trailing data after byte %zu", pos + total);
    free(data);
    return -1;
  }
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(blobs[i].data, data + o, blobs[i].len);
    o += blobs[i].len;
  }
  free(data);
  return 0;
}
