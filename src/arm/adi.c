/* ADIv5 debug port and MEM-AP over the probe vtable (adi.h).
 *
 * Invariants:
 *  - sel/csw/tar caches are only used on raw-DAP probes and describe what the
 *    hardware holds; any fault, connect or ABORT forgets them (a faulted
 *    transfer leaves TAR unknown).
 *  - tar_valid implies the next DRW access goes to `tar` (auto-increment
 *    single is tracked; crossing a 1 KiB block forgets TAR because ADIv5
 *    only guarantees the low 10 bits, stm32f7-target.md 10.3).
 *  - A fault never leaves sticky bits set behind: ABORT is written before the
 *    error returns, and the error message of the fault is kept. */
#include "arm/adi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS_REQS (LF_CS_CDBGPWRUPREQ | LF_CS_CSYSPWRUPREQ)
#define CS_ACKS (LF_CS_CDBGPWRUPACK | LF_CS_CSYSPWRUPACK)
#define CS_STICKY (LF_CS_STICKYORUN | LF_CS_STICKYCMP | LF_CS_STICKYERR | LF_CS_WDATAERR)

/* CSW (stm32f7-target.md 10.3) */
#define CSW_SIZE8 0x0u
#define CSW_SIZE16 0x1u
#define CSW_SIZE32 0x2u
#define CSW_INC_SINGLE 0x10u
#define TAR_BLOCK 1024u

/* The memory interface of one MEM-AP: native probe memory commands, or
 * (raw-DAP probes) CSW/TAR/DRW transactions with this AP's CSW and TAR
 * cached. */
struct lf_memap {
  lf_adi *a;
  uint8_t ap;
  bool csw_valid, tar_valid;
  uint32_t csw, tar;
  lf_memap *next;
};

struct lf_adi {
  lf_session *s;
  lf_probe *p;
  lf_adi_cfg cfg;
  lf_adi_stats st;
  bool connected;
  bool raw;
  bool dp_managed;   /* the probe has no DP register access: it powers the DP itself */
  uint32_t dpidr;
  bool sel_valid;
  uint32_t sel;
  lf_memap *maps;    /* created on first use, freed with the adi */
  lf_memap *mem;     /* the one of cfg.ap (lf_adi_read & co.) */
};

void lf_adi_cfg_default(lf_adi_cfg *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->ap = 0;
  cfg->powerup_timeout_s = 0.1;
  cfg->disconnect_timeout_s = 0.1; /* issue 4: default 0.1 s, never pyOCD's 5 s */
  cfg->power_down = true;
  cfg->csw_bits = 0x23000000u;     /* ST-Link firmware default CSW (probe-protocols.md 1.7) */
}

static int check_timeout(lf_session *s, double v, const char *what)
{
  if (!(v >= 0.0) || v > 3600.0)
    return lf_err_set(s, LF_EINVAL, "adi: %s %g s: expected 0 .. 3600 seconds", what, v);
  return 0;
}

int lf_adi_new(lf_session *s, lf_probe *p, const lf_adi_cfg *cfg, lf_adi **out)
{
  *out = NULL;
  if (!p)
    return lf_err_set(s, LF_EINVAL, "adi: no probe");
  lf_adi_cfg c;
  if (cfg)
    c = *cfg;
  else
    lf_adi_cfg_default(&c);
  int r = check_timeout(s, c.powerup_timeout_s, "power-up timeout");
  if (!r)
    r = check_timeout(s, c.disconnect_timeout_s, "disconnect timeout");
  if (r)
    return r;
  bool raw = (p->ops->caps & LF_PROBE_CAP_RAW_DAP) != 0;
  if (raw ? !p->ops->ap_read || !p->ops->ap_write || !p->ops->dp_write
          : !p->ops->mem_read || !p->ops->mem_write)
    return lf_err_set(s, LF_EINVAL, "adi: probe %s offers neither native memory access nor raw "
                      "DAP transactions", p->info.product);
  lf_adi *a = calloc(1, sizeof *a);
  if (!a)
    return lf_err_set(s, LF_ENOMEM, "adi: out of memory");
  a->s = s;
  a->p = p;
  a->cfg = c;
  a->raw = raw;
  if (!(a->mem = lf_adi_memap(a, c.ap))) {
    free(a);
    return LF_ENOMEM;
  }
  *out = a;
  return 0;
}

void lf_adi_free(lf_adi *a)
{
  if (!a)
    return;
  while (a->maps) {
    lf_memap *m = a->maps;
    a->maps = m->next;
    free(m);
  }
  free(a);
}

/* The memap of `ap` if one exists (no allocation). */
static lf_memap *find_map(const lf_adi *a, uint8_t ap)
{
  for (lf_memap *m = a->maps; m; m = m->next)
    if (m->ap == ap)
      return m;
  return NULL;
}

lf_memap *lf_adi_memap(lf_adi *a, uint8_t ap)
{
  lf_memap *m = find_map(a, ap);
  if (m)
    return m;
  if (!(m = calloc(1, sizeof *m))) {
    lf_err_set(a->s, LF_ENOMEM, "adi: out of memory");
    return NULL;
  }
  m->a = a;
  m->ap = ap;
  m->next = a->maps;
  a->maps = m;
  return m;
}

uint8_t lf_memap_ap(const lf_memap *m) { return m->ap; }
lf_adi *lf_memap_adi(const lf_memap *m) { return m->a; }

lf_probe *lf_adi_probe(const lf_adi *a) { return a->p; }
lf_session *lf_adi_session(const lf_adi *a) { return a->s; }
const lf_adi_cfg *lf_adi_cfg_get(const lf_adi *a) { return &a->cfg; }
const lf_adi_stats *lf_adi_stats_get(const lf_adi *a) { return &a->st; }
uint32_t lf_adi_dpidr(const lf_adi *a) { return a->dpidr; }
bool lf_adi_connected(const lf_adi *a) { return a->connected; }

int lf_adi_set_disconnect_timeout(lf_adi *a, double seconds)
{
  int r = check_timeout(a->s, seconds, "disconnect timeout");
  if (!r)
    a->cfg.disconnect_timeout_s = seconds;
  return r;
}

int lf_adi_set_powerup_timeout(lf_adi *a, double seconds)
{
  int r = check_timeout(a->s, seconds, "power-up timeout");
  if (!r)
    a->cfg.powerup_timeout_s = seconds;
  return r;
}

uint64_t lf_adi_now_ns(const lf_adi *a) { return lf_probe_now_ns(a->p); }

static uint64_t s_to_ns(double s) { return (uint64_t)(s * 1e9 + 0.5); }

static void forget_caches(lf_adi *a)
{
  a->sel_valid = false;
  for (lf_memap *m = a->maps; m; m = m->next)
    m->csw_valid = m->tar_valid = false;
}

/* ---- sticky errors ---- */

static int abort_raw(lf_adi *a)
{
  if (!a->p->ops->dp_write)
    return LF_ENOTSUP;
  forget_caches(a);
  a->st.sticky_clears++;
  return a->p->ops->dp_write(a->p, LF_DP_ABORT, LF_ABORT_CLEAR_ALL);
}

int lf_adi_clear_sticky(lf_adi *a)
{
  int r = abort_raw(a);
  if (r == LF_ENOTSUP)
    return lf_err_set(a->s, r, "adi: clear sticky errors: the probe has no DP register access");
  return r ? lf_err_wrap(a->s, r, "adi: clear sticky errors (ABORT 0x%02x)", LF_ABORT_CLEAR_ALL)
           : 0;
}

/* After a fault: ABORT, keeping the fault's code and message. */
static int after_fault(lf_adi *a, int code)
{
  if (code != LF_EFAULT)
    return code;
  char msg[512];
  snprintf(msg, sizeof msg, "%s", lf_err_msg(a->s));
  int r = abort_raw(a);
  lf_err_set(a->s, code, "%s%s", msg,
             r == 0 || r == LF_ENOTSUP ? "" : " (clearing sticky errors failed too)");
  return code;
}

/* ---- raw DP/AP with SELECT caching ---- */

static int select_for(lf_adi *a, uint32_t want, uint32_t mask)
{
  if (a->sel_valid && (a->sel & mask) == (want & mask)) {
    a->st.select_skips++;
    return 0;
  }
  uint32_t v = a->sel_valid ? (a->sel & ~mask) | (want & mask) : want;
  int r = a->p->ops->dp_write(a->p, LF_DP_SELECT, v);
  if (r) {
    a->sel_valid = false;
    return r;
  }
  a->st.select_writes++;
  a->sel = v;
  a->sel_valid = true;
  return 0;
}

static int dp_access(lf_adi *a, bool write, uint8_t addr, uint32_t *val)
{
  lf_probe *p = a->p;
  if (write ? !p->ops->dp_write : !p->ops->dp_read)
    return lf_err_set(a->s, LF_ENOTSUP, "adi: DP %s 0x%02x: the probe has no DP register access",
                      write ? "write" : "read", addr);
  int r;
  if (a->raw) {
    uint8_t reg = addr & 0x0Cu;
    if (reg == 0x04) { /* CTRL/STAT bank in SELECT.DPBANKSEL */
      if ((r = select_for(a, (addr >> 4) & 0xFu, 0xFu)))
        return after_fault(a, r);
    }
    if (write && reg == LF_DP_SELECT) {
      a->sel = *val;
      a->sel_valid = true;
    }
    if (write && reg == LF_DP_ABORT)
      forget_caches(a);
    r = write ? p->ops->dp_write(p, reg, *val) : p->ops->dp_read(p, reg, val);
  } else {
    r = write ? p->ops->dp_write(p, addr, *val) : p->ops->dp_read(p, addr, val);
  }
  return r ? after_fault(a, r) : 0;
}

int lf_adi_dp_read(lf_adi *a, uint8_t addr, uint32_t *val) { return dp_access(a, false, addr, val); }

int lf_adi_dp_write(lf_adi *a, uint8_t addr, uint32_t val) { return dp_access(a, true, addr, &val); }

static int ap_access(lf_adi *a, bool write, uint8_t ap, uint8_t addr, uint32_t *val)
{
  lf_probe *p = a->p;
  if (write ? !p->ops->ap_write : !p->ops->ap_read)
    return lf_err_set(a->s, LF_ENOTSUP, "adi: AP%u %s 0x%02x: the probe has no AP register access",
                      ap, write ? "write" : "read", addr);
  int r;
  if (a->raw) {
    if ((r = select_for(a, (uint32_t)ap << 24 | (addr & 0xF0u), 0xFF0000F0u)))
      return after_fault(a, r);
    r = write ? p->ops->ap_write(p, ap, addr & 0x0Cu, *val) : p->ops->ap_read(p, ap, addr & 0x0Cu, val);
    lf_memap *m = find_map(a, ap);
    if (m && !r && write && (addr & 0xFCu) == LF_AP_CSW) {
      m->csw = *val;
      m->csw_valid = true;
    }
    if (m && !r && write && (addr & 0xFCu) == LF_AP_TAR) {
      m->tar = *val;
      m->tar_valid = true;
    }
    if (m && ((addr & 0xFCu) == LF_AP_DRW || (addr & 0xF0u) == 0x10u))
      m->tar_valid = false; /* the caller moved TAR behind our back */
  } else {
    r = write ? p->ops->ap_write(p, ap, addr, *val) : p->ops->ap_read(p, ap, addr, val);
  }
  return r ? after_fault(a, r) : 0;
}

int lf_adi_ap_read(lf_adi *a, uint8_t ap, uint8_t addr, uint32_t *val)
{
  return ap_access(a, false, ap, addr, val);
}

int lf_adi_ap_write(lf_adi *a, uint8_t ap, uint8_t addr, uint32_t val)
{
  return ap_access(a, true, ap, addr, &val);
}

/* ---- power ---- */

int lf_adi_power_up(lf_adi *a)
{
  if (a->dp_managed)
    return 0;
  uint32_t cs = 0;
  int r = lf_adi_dp_read(a, LF_DP_CTRLSTAT, &cs);
  if (r)
    return lf_err_wrap(a->s, r, "adi: DP power-up");
  if ((cs & CS_REQS) == CS_REQS && (cs & CS_ACKS) == CS_ACKS)
    return 0;
  if ((r = lf_adi_dp_write(a, LF_DP_CTRLSTAT, CS_REQS)))
    return lf_err_wrap(a->s, r, "adi: DP power-up: write CTRL/STAT 0x%08x", CS_REQS);
  uint64_t deadline = lf_adi_now_ns(a) + s_to_ns(a->cfg.powerup_timeout_s);
  for (;;) {
    a->st.powerup_polls++;
    if ((r = lf_adi_dp_read(a, LF_DP_CTRLSTAT, &cs)))
      return lf_err_wrap(a->s, r, "adi: DP power-up: poll CTRL/STAT");
    if ((cs & CS_ACKS) == CS_ACKS)
      return 0;
    if (lf_adi_now_ns(a) >= deadline)
      return lf_err_set(a->s, LF_ETIMEDOUT,
                        "adi: DP power-up: CTRL/STAT 0x%08x has no CDBGPWRUPACK|CSYSPWRUPACK after "
                        "%.3f s (target unpowered or held?)",
                        cs, a->cfg.powerup_timeout_s);
  }
}

/* Polls CTRL/STAT until (cs & mask) == 0 or the deadline. A poll starts
 * only while now + reserve < deadline (reserve: time kept for the writes
 * still to come), so the whole handshake ends within one transaction of the
 * deadline. */
static int wait_clear(lf_adi *a, uint32_t mask, uint64_t deadline, uint64_t reserve, bool *clear,
                      uint32_t *cs)
{
  *clear = false;
  for (;;) {
    uint64_t now = lf_adi_now_ns(a);
    if (now + reserve >= deadline)
      return 0;
    a->st.powerdown_polls++;
    int r = lf_adi_dp_read(a, LF_DP_CTRLSTAT, cs);
    if (r)
      return r;
    if (!(*cs & mask)) {
      *clear = true;
      return 0;
    }
  }
}

int lf_adi_power_down(lf_adi *a, bool *acked)
{
  bool dummy;
  if (!acked)
    acked = &dummy;
  *acked = false;
  if (a->dp_managed) {
    *acked = true;
    return 0;
  }
  uint64_t t0 = lf_adi_now_ns(a), deadline = t0 + s_to_ns(a->cfg.disconnect_timeout_s);
  /* Phase 1 (pyOCD order, stm32f7-target.md 10.2): drop CSYSPWRUPREQ, wait
   * for CSYSPWRUPACK = 0. Phase 2: drop CDBGPWRUPREQ, wait for both = 0.
   * One deadline for both. */
  int r = lf_adi_dp_write(a, LF_DP_CTRLSTAT, LF_CS_CDBGPWRUPREQ);
  if (r)
    return lf_err_wrap(a->s, r, "adi: DP power-down: write CTRL/STAT 0x%08x", LF_CS_CDBGPWRUPREQ);
  uint64_t tx = lf_adi_now_ns(a) - t0; /* one DP write: reserved for phase 2's write */
  bool clear1 = false, clear2 = false;
  uint32_t cs = 0;
  if ((r = wait_clear(a, LF_CS_CSYSPWRUPACK, deadline, tx, &clear1, &cs)))
    return lf_err_wrap(a->s, r, "adi: DP power-down: poll CTRL/STAT");
  if ((r = lf_adi_dp_write(a, LF_DP_CTRLSTAT, 0)))
    return lf_err_wrap(a->s, r, "adi: DP power-down: write CTRL/STAT 0x00000000");
  if ((r = wait_clear(a, CS_ACKS, deadline, 0, &clear2, &cs)))
    return lf_err_wrap(a->s, r, "adi: DP power-down: poll CTRL/STAT");
  *acked = clear1 && clear2;
  if (!*acked) {
    a->st.powerdown_timeouts++;
    lf_log(a->s, LF_LOG_INFO,
           "adi: DP power-down not acknowledged within %.3f s (CTRL/STAT 0x%08x); continuing",
           a->cfg.disconnect_timeout_s, cs);
  }
  return 0;
}

/* ---- connect / disconnect ---- */

int lf_adi_connect(lf_adi *a, lf_connect_mode mode)
{
  lf_probe *p = a->p;
  a->connected = false;
  forget_caches(a);
  p->dpidr = 0;
  int r = p->ops->connect(p, mode);
  if (r)
    return r;
  a->connected = true;
  a->dp_managed = false;
  if (p->dpidr) {
    a->dpidr = p->dpidr; /* read by the probe's connect itself: no extra round trip */
  } else if ((r = lf_adi_dp_read(a, LF_DP_DPIDR, &a->dpidr))) {
    return lf_err_wrap(a->s, r, "adi: connect: read DPIDR");
  }
  uint32_t cs = 0;
  r = lf_adi_dp_read(a, LF_DP_CTRLSTAT, &cs);
  if (r == LF_ENOTSUP) {
    /* Old ST-Link firmware without DAP register access powers the DP up in
     * its own connect; nothing to do (and nothing we could do). */
    lf_log(a->s, LF_LOG_DEBUG, "adi: probe has no DP register access; it manages DP power");
    a->dp_managed = true;
    lf_err_clear(a->s);
    return 0;
  }
  if (r)
    return lf_err_wrap(a->s, r, "adi: connect: read CTRL/STAT");
  if (cs & CS_STICKY) {
    lf_log(a->s, LF_LOG_DEBUG, "adi: connect: sticky errors in CTRL/STAT 0x%08x, cleared", cs);
    if ((r = lf_adi_clear_sticky(a)))
      return r;
  }
  if ((cs & CS_REQS) == CS_REQS && (cs & CS_ACKS) == CS_ACKS)
    return 0;
  return lf_adi_power_up(a);
}

int lf_adi_disconnect(lf_adi *a)
{
  if (!a->connected)
    return 0;
  uint64_t t0 = lf_adi_now_ns(a);
  if (a->cfg.power_down) {
    int r = lf_adi_power_down(a, NULL);
    if (r)
      lf_log(a->s, LF_LOG_WARN, "adi: disconnect: %s", lf_err_msg(a->s));
  }
  a->connected = false;
  forget_caches(a);
  int r = a->p->ops->disconnect(a->p);
  a->st.last_disconnect_ns = lf_adi_now_ns(a) - t0;
  return r;
}

/* ---- memory ---- */

static int need_connected(lf_adi *a, const char *op, uint32_t addr)
{
  if (a->connected)
    return 0;
  return lf_err_set(a->s, LF_ETARGET, "adi: %s 0x%08x: not connected", op, addr);
}

/* Raw MEM-AP: CSW and TAR written only when they change. */
static int raw_setup(lf_memap *m, uint32_t size_bits, uint32_t addr)
{
  lf_adi *a = m->a;
  uint32_t csw = a->cfg.csw_bits | CSW_INC_SINGLE | size_bits;
  int r;
  if (m->csw_valid && m->csw == csw) {
    a->st.csw_skips++;
  } else {
    if ((r = lf_adi_ap_write(a, m->ap, LF_AP_CSW, csw)))
      return r;
    a->st.csw_writes++;
  }
  if (m->tar_valid && m->tar == addr) {
    a->st.tar_skips++;
    return 0;
  }
  if ((r = lf_adi_ap_write(a, m->ap, LF_AP_TAR, addr)))
    return r;
  a->st.tar_writes++;
  return 0;
}

/* One DRW access of `size` bytes at addr (raw probes); data in lane order. */
static int raw_one(lf_memap *m, bool write, uint32_t addr, unsigned size, uint32_t *val)
{
  static const uint32_t size_bits[5] = {0, CSW_SIZE8, CSW_SIZE16, 0, CSW_SIZE32};
  lf_adi *a = m->a;
  int r = raw_setup(m, size_bits[size], addr);
  if (!r)
    r = select_for(a, (uint32_t)m->ap << 24, 0xFF0000F0u); /* DRW: bank 0 of the AP */
  if (r)
    return after_fault(a, r);
  unsigned lane = (addr & 3u) * 8;
  uint32_t d = write ? *val << lane : 0;
  lf_probe *p = a->p;
  r = write ? p->ops->ap_write(p, m->ap, LF_AP_DRW, d) : p->ops->ap_read(p, m->ap, LF_AP_DRW, &d);
  if (r) {
    m->tar_valid = false;
    return after_fault(a, r);
  }
  if (!write)
    *val = size == 4 ? d : (d >> lane) & (size == 1 ? 0xFFu : 0xFFFFu);
  uint32_t next = addr + size;
  m->tar = next;
  m->tar_valid = (next % TAR_BLOCK) != 0; /* crossing a block: TAR is unknown */
  return 0;
}

static int raw_range(lf_memap *m, bool write, uint32_t addr, uint8_t *buf, size_t len,
                     unsigned width)
{
  size_t i = 0;
  while (i < len) {
    uint32_t at = addr + (uint32_t)i;
    unsigned w = width;
    if (!w)
      w = (at & 3u) == 0 && len - i >= 4 ? 4 : 1;
    uint32_t v = 0;
    if (write)
      for (unsigned k = 0; k < w; k++)
        v |= (uint32_t)buf[i + k] << (8 * k);
    int r = raw_one(m, write, at, w, &v);
    if (r)
      return lf_err_wrap(m->a->s, r, "adi: %s 0x%08x", write ? "write" : "read", at);
    if (!write)
      for (unsigned k = 0; k < w; k++)
        buf[i + k] = (uint8_t)(v >> (8 * k));
    i += w;
  }
  return 0;
}

int lf_memap_read32(lf_memap *m, uint32_t addr, uint32_t *val)
{
  lf_adi *a = m->a;
  int r = need_connected(a, "read", addr);
  if (r)
    return r;
  if (addr & 3u)
    return lf_err_set(a->s, LF_EINVAL, "adi: read word at 0x%08x: not 4-byte aligned", addr);
  if (a->raw) {
    r = raw_one(m, false, addr, 4, val);
    return r ? lf_err_wrap(a->s, r, "adi: read 0x%08x", addr) : 0;
  }
  if (a->p->ops->read32) {
    r = a->p->ops->read32(a->p, m->ap, addr, val);
  } else {
    uint8_t b[4];
    r = a->p->ops->mem_read(a->p, m->ap, addr, b, 4, 4);
    if (!r)
      *val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  }
  return r ? after_fault(a, r) : 0;
}

int lf_memap_write32(lf_memap *m, uint32_t addr, uint32_t val)
{
  lf_adi *a = m->a;
  int r = need_connected(a, "write", addr);
  if (r)
    return r;
  if (addr & 3u)
    return lf_err_set(a->s, LF_EINVAL, "adi: write word at 0x%08x: not 4-byte aligned", addr);
  if (a->raw) {
    r = raw_one(m, true, addr, 4, &val);
    return r ? lf_err_wrap(a->s, r, "adi: write 0x%08x", addr) : 0;
  }
  if (a->p->ops->write32) {
    r = a->p->ops->write32(a->p, m->ap, addr, val);
  } else {
    uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24)};
    r = a->p->ops->mem_write(a->p, m->ap, addr, b, 4, 4);
  }
  return r ? after_fault(a, r) : 0;
}

/* width 0 = any (not forced); forced: width must be 1, 2 or 4. */
static int check_access(lf_adi *a, const char *op, uint32_t addr, size_t len, unsigned width,
                        bool forced)
{
  int r = need_connected(a, op, addr);
  if (r)
    return r;
  if (len > 0 && (uint64_t)addr + len - 1 > 0xFFFFFFFFu)
    return lf_err_set(a->s, LF_EINVAL, "adi: %s 0x%08x + %zu bytes: beyond the 4 GiB address space",
                      op, addr, len);
  if (width == 0 && !forced)
    return 0;
  if (width != 1 && width != 2 && width != 4)
    return lf_err_set(a->s, LF_EINVAL, "adi: %s 0x%08x: access width %u, expected 1, 2 or 4", op,
                      addr, width);
  if (addr % width || len % width)
    return lf_err_set(a->s, LF_EINVAL,
                      "adi: %s 0x%08x + %zu bytes: not aligned to the %u-byte access width", op,
                      addr, len, width);
  return 0;
}

static int memap_rw(lf_memap *m, bool write, uint32_t addr, uint8_t *buf, size_t len,
                    unsigned width, bool forced)
{
  lf_adi *a = m->a;
  int r = check_access(a, write ? "write" : "read", addr, len, width, forced);
  if (r || !len)
    return r;
  if (a->raw)
    return raw_range(m, write, addr, buf, len, width);
  r = write ? a->p->ops->mem_write(a->p, m->ap, addr, buf, len, width)
            : a->p->ops->mem_read(a->p, m->ap, addr, buf, len, width);
  return r ? after_fault(a, r) : 0;
}

int lf_memap_read(lf_memap *m, uint32_t addr, void *buf, size_t len, unsigned width)
{
  return memap_rw(m, false, addr, buf, len, width, false);
}

int lf_memap_write(lf_memap *m, uint32_t addr, const void *buf, size_t len, unsigned width)
{
  return memap_rw(m, true, addr, (uint8_t *)(uintptr_t)buf, len, width, false);
}

/* ---- the default MEM-AP (cfg.ap) ---- */

int lf_adi_read32(lf_adi *a, uint32_t addr, uint32_t *val) { return lf_memap_read32(a->mem, addr, val); }
int lf_adi_write32(lf_adi *a, uint32_t addr, uint32_t val) { return lf_memap_write32(a->mem, addr, val); }

int lf_adi_read(lf_adi *a, uint32_t addr, void *buf, size_t len)
{
  return memap_rw(a->mem, false, addr, buf, len, 0, false);
}

int lf_adi_write(lf_adi *a, uint32_t addr, const void *buf, size_t len)
{
  return memap_rw(a->mem, true, addr, (uint8_t *)(uintptr_t)buf, len, 0, false);
}

int lf_adi_read_width(lf_adi *a, uint32_t addr, void *buf, size_t len, unsigned width)
{
  return memap_rw(a->mem, false, addr, buf, len, width, true);
}

int lf_adi_write_width(lf_adi *a, uint32_t addr, const void *buf, size_t len, unsigned width)
{
  return memap_rw(a->mem, true, addr, (uint8_t *)(uintptr_t)buf, len, width, true);
}

lf_memap *lf_adi_default_memap(lf_adi *a) { return a->mem; }
