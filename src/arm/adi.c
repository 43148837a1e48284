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
 *    error returns, and the error message of the fault is kept.
 *  - Raw probes get whole runs (raw_run): the SELECT/CSW/TAR writes a memory
 *    access needs and its DRW blocks, several 1 KiB TAR blocks per run, in
 *    one lf_probe_ops.dap_run call when the probe has it (CMSIS-DAP packs
 *    them into DAP_Transfer/TransferBlock packets with Packet Count in
 *    flight), else one single transaction after the other (the same
 *    transactions either way). */
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

/* ---- raw DP/AP: runs of transactions with SELECT caching ---- */

/* A run of raw transactions being built: SELECT/CSW/TAR writes and DRW
 * blocks, executed as one unit by the probe's dap_run (one or a few USB
 * round trips), or one transaction at a time through the single calls.
 * Caches are updated as ops are queued; a failed run forgets them all. */
#define RUN_OPS 160 /* 64 KiB of words in 1 KiB TAR blocks (TAR + DRW each) in one run */
typedef struct raw_run {
  uint8_t ap;              /* the AP of the AP ops (single calls name it) */
  size_t n;
  lf_dap_op op[RUN_OPS];
  uint32_t val[RUN_OPS];   /* the word of single-access ops */
  uint32_t at[RUN_OPS];    /* DRW blocks: target address of the first access */
  uint8_t size[RUN_OPS];   /* DRW blocks: access size in bytes; 0 = not a DRW block */
} raw_run;                 /* start from {0}: size[] must be zero */

static lf_dap_op *run_add(raw_run *q, bool ap, bool read, uint8_t addr, uint32_t count,
                          uint32_t *data)
{
  size_t i = q->n++;
  q->op[i] = (lf_dap_op){.ap = ap, .read = read, .addr = (uint8_t)(addr & 0x0Cu), .count = count,
                         .data = data};
  return &q->op[i];
}

/* One access of one register; a write's value is kept in the run. */
static void run_word(raw_run *q, bool ap, bool read, uint8_t addr, uint32_t v, uint32_t *rd)
{
  q->val[q->n] = v;
  run_add(q, ap, read, addr, 1, read ? rd : &q->val[q->n]);
}

static int run_singles(lf_adi *a, raw_run *q)
{
  lf_probe *p = a->p;
  for (size_t i = 0; i < q->n; i++) {
    lf_dap_op *o = &q->op[i];
    for (o->done = 0; o->done < o->count; o->done++) {
      uint32_t *d = &o->data[o->done];
      int r = o->ap ? (o->read ? p->ops->ap_read(p, q->ap, o->addr, d)
                               : p->ops->ap_write(p, q->ap, o->addr, *d))
                    : (o->read ? p->ops->dp_read(p, o->addr, d) : p->ops->dp_write(p, o->addr, *d));
      if (r)
        return r;
    }
  }
  return 0;
}

/* posted: the probe may return before the run is done (dap_post; its
 * outcome comes with a later run or lf_adi_flush); without dap_post the
 * run is done when this returns, as any other. */
static int run_exec_as(lf_adi *a, raw_run *q, bool posted)
{
  if (!q->n)
    return 0;
  for (size_t i = 0; i < q->n; i++)
    q->op[i].done = 0;
  lf_probe *p = a->p;
  int r = posted && p->ops->dap_post ? p->ops->dap_post(p, q->op, q->n)
          : p->ops->dap_run        ? p->ops->dap_run(p, q->op, q->n)
                                   : run_singles(a, q);
  if (r)
    forget_caches(a);
  return r;
}

static int run_exec(lf_adi *a, raw_run *q) { return run_exec_as(a, q, false); }

static void select_for(lf_adi *a, raw_run *q, uint32_t want, uint32_t mask)
{
  if (a->sel_valid && (a->sel & mask) == (want & mask)) {
    a->st.select_skips++;
    return;
  }
  uint32_t v = a->sel_valid ? (a->sel & ~mask) | (want & mask) : want;
  run_word(q, false, false, LF_DP_SELECT, v, NULL);
  a->st.select_writes++;
  a->sel = v;
  a->sel_valid = true;
}

static int dp_access(lf_adi *a, bool write, uint8_t addr, uint32_t *val)
{
  lf_probe *p = a->p;
  if (write ? !p->ops->dp_write : !p->ops->dp_read)
    return lf_err_set(a->s, LF_ENOTSUP, "adi: DP %s 0x%02x: the probe has no DP register access",
                      write ? "write" : "read", addr);
  int r;
  if (a->raw) {
    raw_run q = {.n = 0};
    uint8_t reg = addr & 0x0Cu;
    if (reg == 0x04) /* CTRL/STAT bank in SELECT.DPBANKSEL */
      select_for(a, &q, (addr >> 4) & 0xFu, 0xFu);
    if (write && reg == LF_DP_ABORT)
      forget_caches(a);
    run_word(&q, false, !write, reg, write ? *val : 0, val);
    if (write && reg == LF_DP_SELECT) {
      a->sel = *val;
      a->sel_valid = true;
    }
    r = run_exec(a, &q);
  } else {
    r = write ? p->ops->dp_write(p, addr, *val) : p->ops->dp_read(p, addr, val);
  }
  return r ? after_fault(a, r) : 0;
}

int lf_adi_dp_read(lf_adi *a, uint8_t addr, uint32_t *val) { return dp_access(a, false, addr, val); }

int lf_adi_dp_write(lf_adi *a, uint8_t addr, uint32_t val) { return dp_access(a, true, addr, &val); }

/* A DP register write a read follows (posted when the probe posts, adi.h). */
static int dp_write_posted(lf_adi *a, uint8_t addr, uint32_t val)
{
  uint8_t reg = addr & 0x0Cu;
  if (!lf_adi_posts(a) || reg == LF_DP_ABORT || reg == LF_DP_SELECT)
    return lf_adi_dp_write(a, addr, val);
  raw_run q = {.n = 0};
  if (reg == 0x04)
    select_for(a, &q, (addr >> 4) & 0xFu, 0xFu);
  run_word(&q, false, false, reg, val, NULL);
  int r = run_exec_as(a, &q, true);
  return r ? after_fault(a, r) : 0;
}

static int ap_access(lf_adi *a, bool write, uint8_t ap, uint8_t addr, uint32_t *val)
{
  lf_probe *p = a->p;
  if (write ? !p->ops->ap_write : !p->ops->ap_read)
    return lf_err_set(a->s, LF_ENOTSUP, "adi: AP%u %s 0x%02x: the probe has no AP register access",
                      ap, write ? "write" : "read", addr);
  int r;
  if (a->raw) {
    raw_run q = {.ap = ap, .n = 0};
    select_for(a, &q, (uint32_t)ap << 24 | (addr & 0xF0u), 0xFF0000F0u);
    run_word(&q, true, !write, addr, write ? *val : 0, val);
    r = run_exec(a, &q);
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

/* The handshake from CTRL/STAT as just read. */
static int power_up_from(lf_adi *a, uint32_t cs)
{
  int r;
  if ((cs & CS_REQS) == CS_REQS && (cs & CS_ACKS) == CS_ACKS)
    return 0;
  if ((r = dp_write_posted(a, LF_DP_CTRLSTAT, CS_REQS)))
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

int lf_adi_power_up(lf_adi *a)
{
  if (a->dp_managed)
    return 0;
  uint32_t cs = 0;
  int r = lf_adi_dp_read(a, LF_DP_CTRLSTAT, &cs);
  if (r)
    return lf_err_wrap(a->s, r, "adi: DP power-up");
  return power_up_from(a, cs);
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
  int r = dp_write_posted(a, LF_DP_CTRLSTAT, LF_CS_CDBGPWRUPREQ);
  if (r)
    return lf_err_wrap(a->s, r, "adi: DP power-down: write CTRL/STAT 0x%08x", LF_CS_CDBGPWRUPREQ);
  uint64_t tx = lf_adi_now_ns(a) - t0; /* one DP write: reserved for phase 2's write */
  bool clear1 = false, clear2 = false;
  uint32_t cs = 0;
  if ((r = wait_clear(a, LF_CS_CSYSPWRUPACK, deadline, tx, &clear1, &cs)))
    return lf_err_wrap(a->s, r, "adi: DP power-down: poll CTRL/STAT");
  if ((r = dp_write_posted(a, LF_DP_CTRLSTAT, 0)))
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
  return power_up_from(a, cs); /* from the CTRL/STAT just read */
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

/* ---- raw MEM-AP memory: runs of CSW/TAR/DRW ---- */

#define RUN_WORDS 16384u /* DRW accesses per run: 64 KiB of words */

/* A write of MEM-AP register reg (CSW, TAR) into q, unless its cache
 * (valid, cur) says the AP holds v already. */
static void queue_cached(lf_memap *m, raw_run *q, uint8_t reg, uint32_t v, bool *valid,
                         uint32_t *cur, uint64_t *writes, uint64_t *skips)
{
  if (*valid && *cur == v) {
    (*skips)++;
    return;
  }
  select_for(m->a, q, (uint32_t)m->ap << 24, 0xFF0000F0u);
  run_word(q, true, false, reg, v, NULL);
  *cur = v;
  *valid = true;
  (*writes)++;
}

/* Queue the accesses from buf[i] on into q: per stretch of one access size
 * up to a 1 KiB TAR block, CSW and TAR when they change, then one DRW block
 * (write data placed in its byte lanes). Stops when q or the word buffer is
 * full; returns the new i. */
static size_t raw_queue(lf_memap *m, raw_run *q, bool write, uint32_t addr, const uint8_t *buf,
                        size_t len, unsigned width, size_t i, uint32_t *words, size_t nwords)
{
  static const uint32_t size_bits[5] = {0, CSW_SIZE8, CSW_SIZE16, 0, CSW_SIZE32};
  lf_adi *a = m->a;
  size_t nw = 0;
  const uint32_t bank0 = (uint32_t)m->ap << 24;
  while (i < len && q->n + 5 <= RUN_OPS && nw < nwords) {
    uint32_t at = addr + (uint32_t)i;
    unsigned w = width ? width : (at & 3u) == 0 && len - i >= 4 ? 4 : 1;
    size_t k = (len - i) / w; /* forced width, or the 32-bit body */
    if (!width && w == 1 && (at & 3u))
      k = 4 - (at & 3u) < len - i ? 4 - (at & 3u) : len - i; /* head bytes to alignment */
    size_t to_block = (TAR_BLOCK - at % TAR_BLOCK) / w;
    if (k > to_block)
      k = to_block;
    if (k > nwords - nw)
      k = nwords - nw;
    uint32_t csw = a->cfg.csw_bits | CSW_INC_SINGLE | size_bits[w];
    queue_cached(m, q, LF_AP_CSW, csw, &m->csw_valid, &m->csw, &a->st.csw_writes, &a->st.csw_skips);
    queue_cached(m, q, LF_AP_TAR, at, &m->tar_valid, &m->tar, &a->st.tar_writes, &a->st.tar_skips);
    select_for(a, q, bank0, 0xFF0000F0u); /* DRW: bank 0 of the AP */
    uint32_t *d = words + nw;
    if (write)
      for (size_t j = 0; j < k; j++) {
        uint32_t v = 0;
        for (unsigned b = 0; b < w; b++)
          v |= (uint32_t)buf[i + j * w + b] << (8 * b);
        d[j] = v << (((at + (uint32_t)(j * w)) & 3u) * 8);
      }
    q->at[q->n] = at;
    q->size[q->n] = (uint8_t)w;
    run_add(q, true, !write, LF_AP_DRW, (uint32_t)k, d);
    nw += k;
    i += k * w;
    uint32_t next = at + (uint32_t)(k * w);
    m->tar = next;
    m->tar_valid = (next % TAR_BLOCK) != 0; /* crossing a block: TAR is unknown */
  }
  return i;
}

/* The target address of the access a failed run stopped at: inside a DRW
 * block, the block's address plus what it completed; before one (a SELECT,
 * CSW or TAR write failed), that block's first address. */
static uint32_t run_fail_addr(const raw_run *q, uint32_t dflt)
{
  size_t f = 0;
  while (f < q->n && q->op[f].done == q->op[f].count)
    f++;
  for (size_t i = f; i < q->n; i++)
    if (q->size[i])
      return q->at[i] + (i == f ? q->op[i].done * q->size[i] : 0);
  return dflt;
}

/* Any address, length and width (0 = bytes to 4-byte alignment, words,
 * bytes after) through CSW/TAR/DRW, in runs of up to RUN_WORDS accesses;
 * writes posted when asked (reads never: their words are unpacked here). */
static int raw_mem_as(lf_memap *m, bool write, uint32_t addr, uint8_t *buf, size_t len,
                      unsigned width, bool posted)
{
  lf_adi *a = m->a;
  uint32_t small[64], *words = small;
  size_t nwords = sizeof small / sizeof small[0];
  if (len > nwords) {
    nwords = len < RUN_WORDS ? len : RUN_WORDS;
    if (!(words = malloc(nwords * sizeof *words)))
      return lf_err_set(a->s, LF_ENOMEM, "adi: out of memory");
  }
  int r = 0;
  for (size_t i = 0; i < len && !r;) {
    raw_run q = {.ap = m->ap, .n = 0};
    size_t i0 = i;
    i = raw_queue(m, &q, write, addr, buf, len, width, i, words, nwords);
    if ((r = run_exec_as(a, &q, write && posted))) {
      uint32_t at = run_fail_addr(&q, addr + (uint32_t)i0);
      r = lf_err_wrap(a->s, after_fault(a, r), "adi: %s 0x%08x", write ? "write" : "read", at);
      break;
    }
    if (write)
      continue;
    for (size_t o = 0; o < q.n; o++) {
      unsigned w = q.size[o];
      for (uint32_t j = 0; w && j < q.op[o].count; j++) {
        uint32_t at = q.at[o] + j * w, v = q.op[o].data[j] >> ((at & 3u) * 8);
        for (unsigned b = 0; b < w; b++)
          buf[at - addr + b] = (uint8_t)(v >> (8 * b));
      }
    }
  }
  if (words != small)
    free(words);
  return r;
}

static int raw_mem(lf_memap *m, bool write, uint32_t addr, uint8_t *buf, size_t len,
                   unsigned width)
{
  return raw_mem_as(m, write, addr, buf, len, width, false);
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
    uint8_t b[4];
    if ((r = raw_mem(m, false, addr, b, 4, 4)))
      return r;
    *val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
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
    uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24)};
    return raw_mem(m, true, addr, b, 4, 4);
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
    return raw_mem(m, write, addr, buf, len, width);
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

/* ---- posted accesses ---- */

bool lf_adi_posts(const lf_adi *a) { return a->raw && a->p->ops->dap_post != NULL; }

int lf_memap_write_posted(lf_memap *m, uint32_t addr, const void *buf, size_t len)
{
  lf_adi *a = m->a;
  if (!lf_adi_posts(a))
    return lf_memap_write(m, addr, buf, len, 0);
  int r = check_access(a, "write", addr, len, 0, false);
  if (r || !len)
    return r;
  return raw_mem_as(m, true, addr, (uint8_t *)(uintptr_t)buf, len, 0, true);
}

int lf_memap_read32_posted(lf_memap *m, uint32_t addr, uint32_t *val)
{
  lf_adi *a = m->a;
  if (!lf_adi_posts(a))
    return lf_memap_read32(m, addr, val);
  int r = need_connected(a, "read", addr);
  if (r)
    return r;
  if (addr & 3u)
    return lf_err_set(a->s, LF_EINVAL, "adi: read word at 0x%08x: not 4-byte aligned", addr);
  /* CSW/TAR as raw_queue sets them, then one DRW read straight into *val */
  raw_run q = {.ap = m->ap, .n = 0};
  uint32_t csw = a->cfg.csw_bits | CSW_INC_SINGLE | CSW_SIZE32;
  queue_cached(m, &q, LF_AP_CSW, csw, &m->csw_valid, &m->csw, &a->st.csw_writes, &a->st.csw_skips);
  queue_cached(m, &q, LF_AP_TAR, addr, &m->tar_valid, &m->tar, &a->st.tar_writes, &a->st.tar_skips);
  select_for(a, &q, (uint32_t)m->ap << 24, 0xFF0000F0u);
  run_add(&q, true, true, LF_AP_DRW, 1, val);
  m->tar = addr + 4;
  m->tar_valid = (m->tar % TAR_BLOCK) != 0;
  if ((r = run_exec_as(a, &q, true)))
    return lf_err_wrap(a->s, after_fault(a, r), "adi: read 0x%08x", addr);
  return 0;
}

int lf_memap_read_words_posted(lf_memap *m, uint32_t addr, uint32_t *dst, size_t n)
{
  lf_adi *a = m->a;
  if (addr & 3u)
    return lf_err_set(a->s, LF_EINVAL, "adi: read words at 0x%08x: not 4-byte aligned", addr);
  if (!lf_adi_posts(a)) {
    uint8_t b[256];
    for (size_t i = 0; i < n;) {
      size_t k = n - i < sizeof b / 4 ? n - i : sizeof b / 4;
      int r = lf_memap_read(m, addr + (uint32_t)(4 * i), b, 4 * k, 4);
      if (r)
        return r;
      for (size_t j = 0; j < k; j++, i++)
        dst[i] = (uint32_t)b[4 * j] | (uint32_t)b[4 * j + 1] << 8 | (uint32_t)b[4 * j + 2] << 16 |
                 (uint32_t)b[4 * j + 3] << 24;
    }
    return 0;
  }
  int r = check_access(a, "read", addr, 4 * n, 4, true);
  if (r || !n)
    return r;
  /* the words land in dst as the DRW data (raw_queue with dst as its word
   * buffer; no unpacking: 32-bit accesses at aligned addresses) */
  for (size_t i = 0; i < n && !r;) {
    raw_run q = {.ap = m->ap, .n = 0};
    size_t i0 = i;
    i = raw_queue(m, &q, false, addr, NULL, 4 * n, 4, 4 * i, dst + i, n - i) / 4;
    if ((r = run_exec_as(a, &q, true)))
      r = lf_err_wrap(a->s, after_fault(a, r), "adi: read 0x%08x", addr + (uint32_t)(4 * i0));
  }
  return r;
}

int lf_adi_read_words_posted(lf_adi *a, uint32_t addr, uint32_t *dst, size_t n)
{
  return lf_memap_read_words_posted(a->mem, addr, dst, n);
}

int lf_adi_flush(lf_adi *a)
{
  if (!lf_adi_posts(a) || !a->p->ops->dap_flush)
    return 0;
  int r = a->p->ops->dap_flush(a->p);
  if (r) {
    forget_caches(a);
    r = lf_err_wrap(a->s, after_fault(a, r), "adi: posted accesses");
  }
  return r;
}

int lf_adi_write_posted(lf_adi *a, uint32_t addr, const void *buf, size_t len)
{
  return lf_memap_write_posted(a->mem, addr, buf, len);
}

int lf_adi_write32_posted(lf_adi *a, uint32_t addr, uint32_t val)
{
  if (!lf_adi_posts(a))
    return lf_memap_write32(a->mem, addr, val);
  if (addr & 3u)
    return lf_err_set(a->s, LF_EINVAL, "adi: write word at 0x%08x: not 4-byte aligned", addr);
  uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24)};
  return lf_memap_write_posted(a->mem, addr, b, 4);
}

int lf_adi_write32_then(lf_adi *a, uint32_t waddr, uint32_t wval, uint32_t addr, const void *buf,
                        size_t len)
{
  lf_memap *m = a->mem;
  if (a->raw || !a->p->ops->write32_mem || !len) {
    int r = lf_adi_write32_posted(a, waddr, wval);
    return r ? r : lf_adi_write_posted(a, addr, buf, len);
  }
  int r = need_connected(a, "write", waddr);
  if (!r && (waddr & 3u))
    r = lf_err_set(a->s, LF_EINVAL, "adi: write word at 0x%08x: not 4-byte aligned", waddr);
  if (!r)
    r = check_access(a, "write", addr, len, 0, false);
  if (r)
    return r;
  r = a->p->ops->write32_mem(a->p, m->ap, waddr, wval, addr, buf, len, 0);
  return r ? after_fault(a, r) : 0;
}

int lf_adi_read32_posted(lf_adi *a, uint32_t addr, uint32_t *val)
{
  return lf_memap_read32_posted(a->mem, addr, val);
}
