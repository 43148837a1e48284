/* Cortex-M core debug over the ADIv5 layer (cortex_m.h). Registers and
 * sequences: stm32f7-target.md 11 (core debug), 13 #1-#3 (connect under
 * reset). Every wait is a poll loop bounded by a deadline in
 * lf_adi_now_ns() (virtual time on the bench: each poll costs a modeled round
 * trip, no host sleep).
 *
 * Invariants:
 *  - DHCSR is always written with DBGKEY and C_DEBUGEN (except by
 *    disconnect(resume), which drops C_DEBUGEN on purpose).
 *  - A reset-and-halt restores DEMCR to its value from before the reset.
 *  - fn.active: a function started by start_function that has not been seen
 *    returning; poll/wait only act on it.
 *  - Writes that a read of the same sequence follows are posted (adi.h: on
 *    a probe that posts they share the read's round trip; the read reports
 *    their failure). Register transfers go back to back and check
 *    S_REGRDY after each from the DHCSR read that follows it, in one round
 *    trip for many registers; a register not ready is done again the slow
 *    way (DHCSR polled). On other probes the same accesses run one after
 *    the other, as before. */
#include "arm/cortex_m.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BKPT_PAIR 0xBE00BE00u /* two BKPT #0 halfwords (Thumb, little-endian) */
#define REGWNR 0x10000u       /* DCRSR.REGWnR: write the register */

struct lf_cm {
  lf_adi *a;
  lf_session *s;
  lf_cm_cfg cfg;
  lf_cm_info info;
  lf_cm_stats st;
  bool identified;
  uint32_t return_bkpt; /* 0 = written below sp by each start */
  bool dap_regs;        /* core registers through DCRDR/DCRSR even where the probe has its own
                           command (lf_cm_set_probe_regs(t, false)) */
  struct {
    bool active;
    uint32_t entry;
    uint32_t bkpt; /* the return BKPT's address */
  } fn;
};

void lf_cm_cfg_default(lf_cm_cfg *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->halt_timeout_s = 0.1;
  cfg->reset_timeout_s = 0.1;
}

int lf_cm_new(lf_adi *a, const lf_cm_cfg *cfg, lf_cm **out)
{
  *out = NULL;
  lf_session *s = lf_adi_session(a);
  lf_cm_cfg c;
  if (cfg)
    c = *cfg;
  else
    lf_cm_cfg_default(&c);
  if (!(c.halt_timeout_s >= 0 && c.halt_timeout_s <= 3600) ||
      !(c.reset_timeout_s >= 0 && c.reset_timeout_s <= 3600))
    return lf_err_set(s, LF_EINVAL, "cortex-m: halt/reset timeout %g/%g s: expected 0 .. 3600 seconds",
                      c.halt_timeout_s, c.reset_timeout_s);
  lf_cm *t = calloc(1, sizeof *t);
  if (!t)
    return lf_err_set(s, LF_ENOMEM, "cortex-m: out of memory");
  t->a = a;
  t->s = s;
  t->cfg = c;
  t->info.core = "unknown";
  *out = t;
  return 0;
}

void lf_cm_free(lf_cm *t) { free(t); }
lf_adi *lf_cm_adi(const lf_cm *t) { return t->a; }
const lf_cm_info *lf_cm_info_get(const lf_cm *t) { return &t->info; }
const lf_cm_stats *lf_cm_stats_get(const lf_cm *t) { return &t->st; }

static uint64_t now(const lf_cm *t) { return lf_adi_now_ns(t->a); }

static const char *probe_name(const lf_probe *p)
{
  return p->info.product[0] ? p->info.product : "this probe";
}
static uint64_t s_to_ns(double s) { return (uint64_t)(s * 1e9 + 0.5); }

/* ---- register access with context ---- */

static int rd(lf_cm *t, uint32_t addr, uint32_t *v, const char *op)
{
  int r = lf_adi_read32(t->a, addr, v);
  return r ? lf_err_wrap(t->s, r, "cortex-m: %s", op) : 0;
}

static int wr(lf_cm *t, uint32_t addr, uint32_t v, const char *op)
{
  int r = lf_adi_write32(t->a, addr, v);
  return r ? lf_err_wrap(t->s, r, "cortex-m: %s", op) : 0;
}

/* A write whose outcome the next read reports (posted, adi.h). */
static int wr_posted(lf_cm *t, uint32_t addr, uint32_t v, const char *op)
{
  int r = lf_adi_write32_posted(t->a, addr, v);
  return r ? lf_err_wrap(t->s, r, "cortex-m: %s", op) : 0;
}

static int dhcsr_set(lf_cm *t, uint32_t ctl, const char *op)
{
  return wr(t, LF_CM_DHCSR, LF_DHCSR_DBGKEY | LF_DHCSR_C_DEBUGEN | ctl, op);
}

static int dhcsr_set_posted(lf_cm *t, uint32_t ctl, const char *op)
{
  return wr_posted(t, LF_CM_DHCSR, LF_DHCSR_DBGKEY | LF_DHCSR_C_DEBUGEN | ctl, op);
}

/* Polls DHCSR until (v & mask) == want, at most timeout_s. */
static int wait_dhcsr(lf_cm *t, uint32_t mask, uint32_t want, double timeout_s, uint64_t *counter,
                      uint32_t *out, const char *op, const char *what)
{
  uint64_t deadline = now(t) + s_to_ns(timeout_s);
  uint32_t v = 0;
  for (;;) {
    (*counter)++;
    int r = rd(t, LF_CM_DHCSR, &v, op);
    if (r)
      return r;
    if ((v & mask) == want) {
      if (out)
        *out = v;
      return 0;
    }
    if (now(t) >= deadline)
      return lf_err_set(t->s, LF_ETIMEDOUT, "cortex-m: %s: %s not seen within %.3f s (DHCSR 0x%08x)",
                        op, what, timeout_s, v);
  }
}

/* ---- identification ---- */

/* CPUID PARTNO (bits 15:4), Arm implementer 0x41. */
static const struct {
  uint16_t partno;
  const char *name;
  bool v7m;   /* ARMv7-M: AIRCR.VECTRESET exists */
  bool fp;    /* may have an FPU (MVFR0 worth reading) */
} cores[] = {
  {0xC20, "Cortex-M0", false, false},  {0xC60, "Cortex-M0+", false, false},
  {0xC21, "Cortex-M1", false, false},  {0xC23, "Cortex-M3", true, false},
  {0xC24, "Cortex-M4", true, true},    {0xC27, "Cortex-M7", true, true},
  {0xD20, "Cortex-M23", false, false}, {0xD21, "Cortex-M33", false, true},
  {0xD22, "Cortex-M55", false, true},  {0xD23, "Cortex-M85", false, true},
};

static int core_row(uint32_t cpuid)
{
  if ((cpuid >> 24) != 0x41)
    return -1;
  for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++)
    if (cores[i].partno == ((cpuid >> 4) & 0xFFFu))
      return (int)i;
  return -1;
}

void lf_cm_decode_ids(uint32_t cpuid, uint32_t mvfr0, lf_cm_info *in)
{
  in->cpuid = cpuid;
  in->variant = (uint8_t)((cpuid >> 20) & 0xFu);
  in->revision = (uint8_t)(cpuid & 0xFu);
  snprintf(in->core_rev, sizeof in->core_rev, "r%up%u", in->variant, in->revision);
  int k = core_row(cpuid);
  in->core = k >= 0 ? cores[k].name : "unknown";
  in->has_fpu = mvfr0 != 0;
  in->fpu_double = ((mvfr0 >> 8) & 0xFu) != 0; /* MVFR0.Double_precision */
}

int lf_cm_identify(lf_cm *t)
{
  lf_cm_info *in = &t->info;
  uint32_t cpuid = 0, mvfr0 = 0;
  int r = rd(t, LF_CM_CPUID, &cpuid, "identify: read CPUID 0xe000ed00");
  if (r)
    return r;
  int k = core_row(cpuid);
  if (k >= 0 && cores[k].fp && (r = rd(t, LF_CM_MVFR0, &mvfr0, "identify: read MVFR0 0xe000ef40")))
    return r;
  memset(in, 0, sizeof *in);
  in->dpidr = lf_adi_dpidr(t->a);
  lf_cm_decode_ids(cpuid, mvfr0, in);
  t->identified = true;
  lf_log(t->s, LF_LOG_INFO, "cortex-m: %s %s (CPUID 0x%08x%s), DPIDR 0x%08x", in->core,
         in->core_rev, in->cpuid, in->has_fpu ? ", FPU" : "", in->dpidr);
  return 0;
}

int lf_cm_set_lowpower(lf_cm *t, uint32_t reg, uint32_t bits)
{
  if (!reg || !bits)
    return 0;
  uint32_t v = 0;
  char op[64];
  snprintf(op, sizeof op, "read low-power debug register 0x%08x", reg);
  int r = rd(t, reg, &v, op);
  if (r || (v & bits) == bits)
    return r;
  snprintf(op, sizeof op, "write low-power debug register 0x%08x", reg);
  return wr_posted(t, reg, v | bits, op);
}

/* At connect the register comes from the family the settings expect: on
 * another chip (a board file naming the wrong part) it may not exist; the
 * bus fault is then left to identification, which names both chips (and
 * sets the identified family's register). */
static int set_lowpower(lf_cm *t)
{
  int r = lf_cm_set_lowpower(t, t->cfg.lowpower_reg, t->cfg.lowpower_bits);
  if (r == LF_EFAULT) {
    lf_log(t->s, LF_LOG_WARN, "cortex-m: low-power debug register 0x%08x faults: not the chip "
           "family the settings name? (%s)", t->cfg.lowpower_reg, lf_err_msg(t->s));
    lf_err_clear(t->s);
    return 0;
  }
  return r;
}

/* ---- run control ---- */

int lf_cm_read_dhcsr(lf_cm *t, uint32_t *dhcsr) { return rd(t, LF_CM_DHCSR, dhcsr, "read DHCSR"); }

int lf_cm_is_halted(lf_cm *t, bool *halted)
{
  uint32_t v;
  int r = rd(t, LF_CM_DHCSR, &v, "is halted: read DHCSR");
  if (!r)
    *halted = (v & LF_DHCSR_S_HALT) != 0;
  return r;
}

int lf_cm_halt(lf_cm *t)
{
  int r = dhcsr_set_posted(t, LF_DHCSR_C_HALT, "halt: write DHCSR");
  if (!r)
    r = wait_dhcsr(t, LF_DHCSR_S_HALT, LF_DHCSR_S_HALT, t->cfg.halt_timeout_s, &t->st.halt_polls,
                   NULL, "halt", "DHCSR.S_HALT");
  return r;
}

int lf_cm_resume(lf_cm *t)
{
  int r = wr_posted(t, LF_CM_DFSR, LF_DFSR_ALL, "resume: clear DFSR");
  if (!r)
    r = dhcsr_set(t, 0, "resume: write DHCSR");
  return r;
}

int lf_cm_step(lf_cm *t)
{
  /* C_MASKINTS may only change while halted: set it with C_HALT first,
   * then clear C_HALT with C_STEP (interrupts stay masked for the step). */
  int r = dhcsr_set(t, LF_DHCSR_C_HALT | LF_DHCSR_C_MASKINTS, "step: write DHCSR (mask interrupts)");
  if (!r)
    r = dhcsr_set(t, LF_DHCSR_C_STEP | LF_DHCSR_C_MASKINTS, "step: write DHCSR (step)");
  if (!r)
    r = wait_dhcsr(t, LF_DHCSR_S_HALT, LF_DHCSR_S_HALT, t->cfg.halt_timeout_s, &t->st.halt_polls,
                   NULL, "step", "DHCSR.S_HALT after the step");
  return r;
}

/* ---- core registers ---- */

static const struct {
  const char *name;
  unsigned sel;
} reg_names[] = {
  {"r0", 0},     {"r1", 1},     {"r2", 2},   {"r3", 3},       {"r4", 4},      {"r5", 5},
  {"r6", 6},     {"r7", 7},     {"r8", 8},   {"r9", 9},       {"r10", 10},    {"r11", 11},
  {"r12", 12},   {"sp", 13},    {"lr", 14},  {"pc", 15},      {"xpsr", 16},   {"msp", 17},
  {"psp", 18},   {"special", 20}, {"fpscr", 0x21}, {"r13", 13}, {"r14", 14},    {"r15", 15},
};

int lf_cm_reg_lookup(const char *name)
{
  if (!name)
    return -1;
  for (size_t i = 0; i < sizeof reg_names / sizeof reg_names[0]; i++)
    if (!strcasecmp(name, reg_names[i].name))
      return (int)reg_names[i].sel;
  if ((name[0] == 's' || name[0] == 'S') && isdigit((unsigned char)name[1])) {
    char *end;
    long n = strtol(name + 1, &end, 10);
    if (!*end && n >= 0 && n <= 31 && !(name[1] == '0' && name[2]))
      return LF_CM_S0 + (int)n;
  }
  return -1;
}

const char *lf_cm_reg_name(unsigned reg)
{
  static const char *const s_names[32] = {
    "s0",  "s1",  "s2",  "s3",  "s4",  "s5",  "s6",  "s7",  "s8",  "s9",  "s10",
    "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21",
    "s22", "s23", "s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31"};
  if (reg >= LF_CM_S0 && reg < LF_CM_S0 + 32)
    return s_names[reg - LF_CM_S0];
  for (size_t i = 0; i < sizeof reg_names / sizeof reg_names[0]; i++)
    if (reg_names[i].sel == reg)
      return reg_names[i].name; /* first row: canonical name */
  return NULL;
}

static int check_reg(lf_cm *t, unsigned reg, const char *op)
{
  const char *name = lf_cm_reg_name(reg);
  if (!name)
    return lf_err_set(t->s, LF_EINVAL,
                      "cortex-m: %s register 0x%02x: not a core register (REGSEL 0x00-0x12, 0x14, "
                      "0x21, 0x40-0x5F)",
                      op, reg);
  if ((reg == LF_CM_FPSCR || reg >= LF_CM_S0) && t->identified && !t->info.has_fpu)
    return lf_err_set(t->s, LF_ENOTSUP, "cortex-m: %s %s: this %s has no FPU", op, name,
                      t->info.core);
  return 0;
}

/* DHCSR.S_REGRDY after a DCRSR write; a running core is an error at once.
 * op: "read register pc" with the caller's context in front. */
static int wait_regrdy(lf_cm *t, const char *op)
{
  uint64_t deadline = now(t) + s_to_ns(t->cfg.halt_timeout_s);
  char o[128];
  snprintf(o, sizeof o, "%s: read DHCSR", op);
  for (;;) {
    uint32_t v;
    t->st.regrdy_polls++;
    int r = rd(t, LF_CM_DHCSR, &v, o);
    if (r)
      return r;
    if (!(v & LF_DHCSR_S_HALT))
      return lf_err_set(t->s, LF_ETARGET, "cortex-m: %s: the core is not halted (DHCSR 0x%08x)", op, v);
    if (v & LF_DHCSR_S_REGRDY)
      return 0;
    if (now(t) >= deadline)
      return lf_err_set(t->s, LF_ETIMEDOUT,
                        "cortex-m: %s: DHCSR.S_REGRDY not set within %.3f s (DHCSR 0x%08x)", op,
                        t->cfg.halt_timeout_s, v);
  }
}

/* One register through DCRSR/DCRDR; ctx ("" or "run function 0x...: ")
 * goes in front of every message. */
static int reg_xfer(lf_cm *t, bool write, unsigned reg, uint32_t *val, const char *ctx)
{
  char op[96], o[128];
  int r = check_reg(t, reg, write ? "write" : "read");
  if (r)
    return r;
  snprintf(op, sizeof op, "%s%s register %s", ctx, write ? "write" : "read", lf_cm_reg_name(reg));
  if (write) {
    snprintf(o, sizeof o, "%s: write DCRDR", op);
    if ((r = wr_posted(t, LF_CM_DCRDR, *val, o)))
      return r;
    snprintf(o, sizeof o, "%s: write DCRSR", op);
    if ((r = wr_posted(t, LF_CM_DCRSR, reg | REGWNR, o)))
      return r;
    return wait_regrdy(t, op);
  }
  snprintf(o, sizeof o, "%s: write DCRSR", op);
  if ((r = wr_posted(t, LF_CM_DCRSR, reg, o)))
    return r;
  /* DHCSR, then DCRDR in the same round trip: the word is the register's
   * when that DHCSR read saw S_REGRDY */
  uint32_t dhcsr = 0;
  snprintf(o, sizeof o, "%s: read DHCSR", op);
  t->st.regrdy_polls++;
  int rp = lf_adi_read32_posted(t->a, LF_CM_DHCSR, &dhcsr);
  if (rp)
    return lf_err_wrap(t->s, rp, "cortex-m: %s", o);
  snprintf(o, sizeof o, "%s: read DCRDR", op);
  if ((r = rd(t, LF_CM_DCRDR, val, o)))
    return r;
  if (!(dhcsr & LF_DHCSR_S_HALT))
    return lf_err_set(t->s, LF_ETARGET, "cortex-m: %s: the core is not halted (DHCSR 0x%08x)", op, dhcsr);
  if (dhcsr & LF_DHCSR_S_REGRDY)
    return 0;
  if ((r = wait_regrdy(t, op)))
    return r;
  return rd(t, LF_CM_DCRDR, val, o);
}

/* Registers transferred back to back (one round trip per 16 on a probe that
 * posts; elsewhere the same accesses one after the other): a write is
 * DCRDR, DCRSR, DHCSR; a read DCRSR, DHCSR, DCRDR (the word is the
 * register's when that DHCSR read saw S_REGRDY). From the first write not
 * seen ready on, the writes are done again the slow way; a read not seen
 * ready is read again the slow way. */
static int regs_xfer(lf_cm *t, bool write, const unsigned *regs, uint32_t *vals, size_t n,
                     const char *ctx)
{
  const char *dir = write ? "write" : "read";
  uint32_t dh[16];
  int r = 0;
  char o[128] = "";
  /* a probe that writes a register in one round trip (and does not post:
   * posting costs one round trip for all); a failure is explained by DHCSR */
  lf_probe *p = lf_adi_probe(t->a);
  if (write && p->ops->write_core_reg && !t->dap_regs && !lf_adi_posts(t->a) &&
      lf_memap_ap(lf_adi_default_memap(t->a)) == 0) {
    for (size_t i = 0; i < n; i++) {
      if ((r = check_reg(t, regs[i], dir)))
        return r;
      t->st.regrdy_polls++;
      if ((r = p->ops->write_core_reg(p, regs[i], vals[i]))) {
        uint32_t dhcsr = 0;
        if (lf_adi_read32(t->a, LF_CM_DHCSR, &dhcsr) == 0 && !(dhcsr & LF_DHCSR_S_HALT))
          return lf_err_set(t->s, LF_ETARGET, "cortex-m: %swrite register %s: the core is running, not "
                            "halted (halt it first; DHCSR 0x%08x)", ctx, lf_cm_reg_name(regs[i]), dhcsr);
        return lf_err_wrap(t->s, r, "cortex-m: %swrite register %s", ctx, lf_cm_reg_name(regs[i]));
      }
    }
    return 0;
  }
  for (size_t i0 = 0; i0 < n; i0 += 16) {
    size_t m = n - i0 < 16 ? n - i0 : 16;
    for (size_t i = 0; i < m; i++)
      if ((r = check_reg(t, regs[i0 + i], dir)))
        return r;
    for (size_t i = 0; i < m && !r; i++) {
      unsigned reg = regs[i0 + i];
      snprintf(o, sizeof o, "%s%s register %s", ctx, dir, lf_cm_reg_name(reg));
      t->st.regrdy_polls++;
      dh[i] = 0;
      if (write && (r = lf_adi_write32_posted(t->a, LF_CM_DCRDR, vals[i0 + i])))
        break;
      if (!(r = lf_adi_write32_posted(t->a, LF_CM_DCRSR, write ? reg | REGWNR : reg)) &&
          !(r = lf_adi_read32_posted(t->a, LF_CM_DHCSR, &dh[i])) && !write)
        r = lf_adi_read32_posted(t->a, LF_CM_DCRDR, &vals[i0 + i]);
    }
    if (!r)
      r = lf_adi_flush(t->a);
    if (r)
      return lf_err_wrap(t->s, r, "cortex-m: %s", o);
    for (size_t i = 0; i < m; i++) {
      if (!(dh[i] & LF_DHCSR_S_HALT))
        return lf_err_set(t->s, LF_ETARGET, "cortex-m: %s%s register %s: the core is running, not "
                          "halted (halt it first; DHCSR 0x%08x)", ctx, dir, lf_cm_reg_name(regs[i0 + i]),
                          dh[i]);
      if (dh[i] & LF_DHCSR_S_REGRDY)
        continue;
      for (size_t j = i; j < (write ? m : i + 1); j++)
        if ((r = reg_xfer(t, write, regs[i0 + j], &vals[i0 + j], ctx)))
          return r;
      if (write)
        break;
    }
  }
  return 0;
}

int lf_cm_read_reg(lf_cm *t, unsigned reg, uint32_t *val) { return reg_xfer(t, false, reg, val, ""); }

int lf_cm_write_reg(lf_cm *t, unsigned reg, uint32_t val) { return reg_xfer(t, true, reg, &val, ""); }

int lf_cm_read_regs(lf_cm *t, const unsigned *regs, uint32_t *vals, size_t n)
{
  return regs_xfer(t, false, regs, vals, n, "");
}

int lf_cm_write_regs(lf_cm *t, const unsigned *regs, const uint32_t *vals, size_t n)
{
  uint32_t v[16];
  for (size_t i = 0; i < n; i += 16) { /* regs_xfer may write vals back when it reads */
    size_t m = n - i < 16 ? n - i : 16;
    memcpy(v, vals + i, m * sizeof *v);
    int r = regs_xfer(t, true, regs + i, v, m, "");
    if (r)
      return r;
  }
  return 0;
}

/* ---- reset ---- */

static const char *const reset_names[] = {"SYSRESETREQ", "VECTRESET", "hardware (NRST)"};

int lf_cm_reset(lf_cm *t, lf_cm_reset_kind kind, bool halt)
{
  if ((unsigned)kind > LF_CM_RESET_HARDWARE)
    return lf_err_set(t->s, LF_EINVAL, "cortex-m: reset kind %d: expected 0..2", (int)kind);
  const char *kname = reset_names[kind];
  if (kind == LF_CM_RESET_VECTRESET && t->identified) {
    int k = core_row(t->info.cpuid);
    if (k < 0 || !cores[k].v7m)
      return lf_err_set(t->s, LF_ENOTSUP, "cortex-m: reset VECTRESET: %s has no AIRCR.VECTRESET "
                        "(ARMv7-M only)", t->info.core);
  }
  lf_probe *p = lf_adi_probe(t->a);
  if (kind == LF_CM_RESET_HARDWARE && !p->ops->set_nrst)
    return lf_err_set(t->s, LF_ENOTSUP, "cortex-m: hardware reset: %s cannot drive NRST",
                      probe_name(p));
  t->fn.active = false;
  uint32_t demcr = 0, dhcsr;
  int r;
  if (halt) {
    if ((r = rd(t, LF_CM_DEMCR, &demcr, "reset and halt: read DEMCR")) ||
        (r = wr_posted(t, LF_CM_DEMCR, demcr | LF_DEMCR_VC_CORERESET, "reset and halt: set DEMCR.VC_CORERESET")) ||
        (r = dhcsr_set_posted(t, 0, "reset and halt: write DHCSR (C_DEBUGEN)")))
      return r;
  }
  /* S_RESET_ST is sticky until read: read once so the next one is ours
   * (posted: it shares the AIRCR write's round trip, which reports it) */
  if ((r = lf_adi_read32_posted(t->a, LF_CM_DHCSR, &dhcsr)))
    return lf_err_wrap(t->s, r, "cortex-m: reset: read DHCSR");
  switch (kind) {
  case LF_CM_RESET_SYSRESETREQ:
  case LF_CM_RESET_VECTRESET: {
    uint32_t v = LF_AIRCR_VECTKEY |
                 (kind == LF_CM_RESET_SYSRESETREQ ? LF_AIRCR_SYSRESETREQ : LF_AIRCR_VECTRESET);
    r = lf_adi_write32(t->a, LF_CM_AIRCR, v);
    if (r == LF_EFAULT) { /* the reset can cut the write's answer short */
      lf_log(t->s, LF_LOG_DEBUG, "cortex-m: reset: AIRCR write answered with a fault (%s); continuing",
             lf_err_msg(t->s));
      r = 0;
    }
    if (r)
      return lf_err_wrap(t->s, r, "cortex-m: reset %s: write AIRCR 0x%08x", kname, v);
    break;
  }
  case LF_CM_RESET_HARDWARE:
    if ((r = p->ops->set_nrst(p, true)))
      return lf_err_wrap(t->s, r, "cortex-m: hardware reset");
    if ((r = p->ops->set_nrst(p, false)))
      return lf_err_wrap(t->s, r, "cortex-m: hardware reset");
    break;
  }
  char op[64];
  snprintf(op, sizeof op, "reset %s", kname);
  if (halt) {
    r = wait_dhcsr(t, LF_DHCSR_S_HALT, LF_DHCSR_S_HALT, t->cfg.reset_timeout_s + t->cfg.halt_timeout_s,
                   &t->st.halt_polls, NULL, op, "halt at the reset vector (DHCSR.S_HALT)");
    int r2 = wr(t, LF_CM_DEMCR, demcr, "reset and halt: restore DEMCR");
    return r ? r : r2;
  }
  /* VECTRESET resets the core only: S_RESET_ST is what shows it. */
  return wait_dhcsr(t, LF_DHCSR_S_RESET_ST, LF_DHCSR_S_RESET_ST, t->cfg.reset_timeout_s,
                    &t->st.halt_polls, NULL, op, "DHCSR.S_RESET_ST");
}

/* ---- connect / disconnect ---- */

int lf_cm_connect(lf_cm *t, lf_cm_connect_mode mode)
{
  if ((unsigned)mode > LF_CM_UNDER_RESET)
    return lf_err_set(t->s, LF_EINVAL, "cortex-m: connect mode %d: expected 0..2", (int)mode);
  t->fn.active = false;
  t->identified = false;
  bool ur = mode == LF_CM_UNDER_RESET;
  lf_probe *p = lf_adi_probe(t->a);
  if (ur && !p->ops->set_nrst)
    return lf_err_set(t->s, LF_ENOTSUP, "cortex-m: connect under reset: %s cannot drive NRST",
                      probe_name(p));
  int r = lf_adi_connect(t->a, ur ? LF_CONNECT_UNDER_RESET : LF_CONNECT_NORMAL);
  if (r)
    return r;
  if (!ur) {
    if ((r = lf_cm_identify(t)) || (r = set_lowpower(t)))
      return r;
    return mode == LF_CM_ATTACH_HALT ? lf_cm_halt(t) : 0;
  }
  /* Under reset (stm32f7-target.md 13 #1, #2): vector catch, debug enable
   * and the low-power debug bits while NRST is low, then release: the core halts at its
   * reset vector before the first instruction. */
  uint32_t demcr = 0;
  if (!(r = rd(t, LF_CM_DEMCR, &demcr, "connect under reset: read DEMCR")) &&
      !(r = wr_posted(t, LF_CM_DEMCR, demcr | LF_DEMCR_VC_CORERESET,
                      "connect under reset: set DEMCR.VC_CORERESET")) &&
      !(r = dhcsr_set_posted(t, 0, "connect under reset: write DHCSR (C_DEBUGEN)")))
    r = set_lowpower(t);
  int r2 = p->ops->set_nrst(p, false); /* never leave the target held in reset */
  if (r)
    return r;
  if (r2)
    return lf_err_wrap(t->s, r2, "cortex-m: connect under reset");
  if ((r = wait_dhcsr(t, LF_DHCSR_S_HALT, LF_DHCSR_S_HALT, t->cfg.reset_timeout_s + t->cfg.halt_timeout_s,
                      &t->st.halt_polls, NULL, "connect under reset",
                      "halt at the reset vector (DHCSR.S_HALT)")))
    return r;
  if ((r = wr_posted(t, LF_CM_DEMCR, demcr & ~LF_DEMCR_VC_CORERESET, "connect under reset: restore DEMCR")))
    return r;
  return lf_cm_identify(t);
}

int lf_cm_disconnect(lf_cm *t, bool resume)
{
  int r = 0;
  t->fn.active = false;
  if (resume && lf_adi_connected(t->a)) {
    uint32_t demcr = 0;
    if (!(r = rd(t, LF_CM_DEMCR, &demcr, "disconnect: read DEMCR")) &&
        (!(demcr & LF_DEMCR_VC_CORERESET) ||
         !(r = wr_posted(t, LF_CM_DEMCR, demcr & ~LF_DEMCR_VC_CORERESET, "disconnect: clear DEMCR.VC_CORERESET"))) &&
        !(r = wr_posted(t, LF_CM_DFSR, LF_DFSR_ALL, "disconnect: clear DFSR")) &&
        !(r = wr_posted(t, LF_CM_DHCSR, LF_DHCSR_DBGKEY, "disconnect: clear DHCSR.C_DEBUGEN (resume)")) &&
        !lf_adi_cfg_get(t->a)->power_down)
      r = lf_adi_flush(t->a); /* else the power-down's first access reports a failure */
    if (r)
      lf_log(t->s, LF_LOG_WARN, "%s", lf_err_msg(t->s));
  }
  int r2 = lf_adi_disconnect(t->a);
  return r ? r : r2;
}

/* ---- running code on the target ---- */

int lf_cm_set_return_bkpt(lf_cm *t, uint32_t addr)
{
  if (addr & 1u)
    return lf_err_set(t->s, LF_EINVAL,
                      "cortex-m: return BKPT address 0x%08x: expected a halfword address (bit 0 "
                      "clear; the Thumb bit is added to LR)", addr);
  t->return_bkpt = addr;
  return 0;
}

void lf_cm_set_probe_regs(lf_cm *t, bool on) { t->dap_regs = !on; }

int lf_cm_start_function(lf_cm *t, uint32_t entry, const uint32_t args[4], uint32_t sp)
{
  return lf_cm_start_function_n(t, entry, args, 4, sp, false);
}

int lf_cm_start_function_n(lf_cm *t, uint32_t entry, const uint32_t *args, unsigned nargs,
                           uint32_t sp, bool halted_seen)
{
  if (nargs > 4)
    return lf_err_set(t->s, LF_EINVAL, "cortex-m: run function 0x%08x: %u arguments (at most 4 in "
                      "registers)", entry, nargs);
  if (sp & 7u)
    return lf_err_set(t->s, LF_EINVAL,
                      "cortex-m: run function 0x%08x: stack pointer 0x%08x is not 8-byte aligned "
                      "(AAPCS)", entry, sp);
  if (!t->return_bkpt && sp < 8)
    return lf_err_set(t->s, LF_EINVAL, "cortex-m: run function 0x%08x: stack pointer 0x%08x too low",
                      entry, sp);
  t->fn.active = false;
  uint32_t dhcsr;
  int r;
  /* a probe that posts checks the halt with the register writes (each one's
   * DHCSR read), in their round trip */
  if (!lf_adi_posts(t->a) && !halted_seen) {
    if ((r = rd(t, LF_CM_DHCSR, &dhcsr, "run function: read DHCSR")))
      return r;
    if (!(dhcsr & LF_DHCSR_S_HALT))
      return lf_err_set(t->s, LF_ETARGET,
                        "cortex-m: run function 0x%08x: the core is running (halt it first; DHCSR "
                        "0x%08x)", entry, dhcsr);
  }
  uint32_t bkpt = t->return_bkpt, stack = sp;
  if (!bkpt) {
    bkpt = sp - 8;
    stack = sp - 8;
    if ((r = lf_adi_write32_posted(t->a, bkpt, BKPT_PAIR)))
      return lf_err_wrap(t->s, r, "cortex-m: run function 0x%08x: write the return BKPT at 0x%08x",
                         entry, bkpt);
  }
  /* r0..r(nargs-1), then SP, LR, PC, xPSR */
  const unsigned all[8] = {0, 1, 2, 3, LF_CM_SP, LF_CM_LR, LF_CM_PC, LF_CM_XPSR};
  const uint32_t vals[8] = {args ? args[0] : 0, args && nargs > 1 ? args[1] : 0,
                            args && nargs > 2 ? args[2] : 0, args && nargs > 3 ? args[3] : 0,
                            stack, bkpt | 1u, entry & ~1u, LF_CM_XPSR_T};
  unsigned regs[8];
  uint32_t v[8];
  size_t n = 0;
  for (unsigned i = 0; i < 8; i++)
    if (i >= 4 || i < nargs) {
      regs[n] = all[i];
      v[n++] = vals[i];
    }
  char ctx[40];
  snprintf(ctx, sizeof ctx, "run function 0x%08x: ", entry);
  /* a probe that writes registers and words in one round trip: the
   * registers, DFSR cleared and DHCSR (run) in that order, in one */
  lf_probe *p = lf_adi_probe(t->a);
  if (p->ops->write_core_regs_then && p->ops->write_core_reg && !t->dap_regs && !lf_adi_posts(t->a) &&
      lf_memap_ap(lf_adi_default_memap(t->a)) == 0) {
    for (size_t i = 0; i < n; i++)
      if ((r = check_reg(t, regs[i], "write")))
        return r;
    const uint32_t wa[2] = {LF_CM_DFSR, LF_CM_DHCSR};
    const uint32_t wv[2] = {LF_DFSR_ALL, LF_DHCSR_DBGKEY | LF_DHCSR_C_DEBUGEN};
    size_t failed = 0;
    t->st.regrdy_polls += n;
    if ((r = p->ops->write_core_regs_then(p, regs, v, n, wa, wv, 2, &failed))) {
      /* every write was sent, the run too: the core is halted again at
       * once (best effort, after DHCSR explains a register's failure), so
       * it runs no function with a register missing */
      char msg[256];
      uint32_t dh = 0;
      bool running = failed < n && lf_adi_read32(t->a, LF_CM_DHCSR, &dh) == 0 && !(dh & LF_DHCSR_S_HALT);
      if (failed >= n)
        snprintf(msg, sizeof msg, "cortex-m: run function 0x%08x: %s: %s", entry,
                 failed == n ? "clear DFSR" : "write DHCSR (run)", lf_err_msg(t->s));
      else if (running)
        snprintf(msg, sizeof msg, "cortex-m: %swrite register %s: the core is running, not halted (halt it "
                 "first; DHCSR 0x%08x)", ctx, lf_cm_reg_name(regs[failed]), dh);
      else
        snprintf(msg, sizeof msg, "cortex-m: %swrite register %s: %s", ctx, lf_cm_reg_name(regs[failed]),
                 lf_err_msg(t->s));
      if (!running)
        (void)lf_adi_write32(t->a, LF_CM_DHCSR, LF_DHCSR_DBGKEY | LF_DHCSR_C_DEBUGEN | LF_DHCSR_C_HALT);
      return lf_err_set(t->s, running ? LF_ETARGET : r, "%s", msg);
    }
    t->fn.active = true;
    t->fn.entry = entry;
    t->fn.bkpt = bkpt;
    return 0;
  }
  if ((r = regs_xfer(t, true, regs, v, n, ctx)))
    return r;
  /* posted: the core runs no later than the next access (the caller's
   * first poll reports a failure) */
  if ((r = wr_posted(t, LF_CM_DFSR, LF_DFSR_ALL, "run function: clear DFSR")) ||
      (r = dhcsr_set_posted(t, 0, "run function: write DHCSR (run)")))
    return r;
  t->fn.active = true;
  t->fn.entry = entry;
  t->fn.bkpt = bkpt;
  return 0;
}

int lf_cm_poll_function(lf_cm *t, bool *done, uint32_t *r0)
{
  *done = false;
  if (!t->fn.active)
    return lf_err_set(t->s, LF_EINVAL, "cortex-m: poll function: no function was started");
  uint32_t entry = t->fn.entry, dhcsr = 0, dfsr = 0, pc = 0;
  t->st.run_polls++;
  char op[64];
  /* a probe that posts reads DFSR with DHCSR (and r0 with pc) in the same
   * round trip; elsewhere each only when needed */
  bool posts = lf_adi_posts(t->a);
  snprintf(op, sizeof op, "function 0x%08x: poll: read DHCSR", entry);
  int r = posts ? lf_adi_read32_posted(t->a, LF_CM_DHCSR, &dhcsr) : rd(t, LF_CM_DHCSR, &dhcsr, op);
  if (r)
    return posts ? lf_err_wrap(t->s, r, "cortex-m: %s", op) : r;
  snprintf(op, sizeof op, "function 0x%08x: read DFSR", entry);
  if (posts && (r = rd(t, LF_CM_DFSR, &dfsr, op)))
    return r;
  if (!(dhcsr & LF_DHCSR_S_HALT)) {
    if (dhcsr & LF_DHCSR_S_LOCKUP) {
      t->fn.active = false;
      return lf_err_set(t->s, LF_ETARGET, "cortex-m: function 0x%08x: core locked up (DHCSR 0x%08x)",
                        entry, dhcsr);
    }
    return 0;
  }
  t->fn.active = false;
  if (!posts && (r = rd(t, LF_CM_DFSR, &dfsr, op)))
    return r;
  char ctx[40];
  snprintf(ctx, sizeof ctx, "function 0x%08x: ", entry);
  uint32_t v[2] = {0, 0};
  const unsigned regs[2] = {LF_CM_PC, LF_CM_R0};
  if ((r = regs_xfer(t, false, regs, v, posts && r0 ? 2 : 1, ctx)))
    return r;
  pc = v[0];
  if ((dfsr & LF_DFSR_BKPT) && pc == t->fn.bkpt) {
    *done = true;
    if (posts && r0)
      *r0 = v[1];
    return r0 && !posts ? reg_xfer(t, false, LF_CM_R0, r0, ctx) : 0;
  }
  if (dfsr & LF_DFSR_BKPT)
    return lf_err_set(t->s, LF_ETARGET,
                      "cortex-m: function 0x%08x: stopped at a BKPT at PC 0x%08x, not at the return "
                      "BKPT 0x%08x", entry, pc, t->fn.bkpt);
  return lf_err_set(t->s, LF_ETARGET,
                    "cortex-m: function 0x%08x: core halted at PC 0x%08x without reaching the return "
                    "BKPT (DFSR 0x%02x%s)",
                    entry, pc, dfsr, (dfsr & LF_DFSR_VCATCH) ? ": fault or reset vector catch" : "");
}

int lf_cm_wait_function(lf_cm *t, double timeout_s, uint32_t *r0)
{
  if (!(timeout_s >= 0))
    return lf_err_set(t->s, LF_EINVAL, "cortex-m: wait function: timeout %g s: expected >= 0", timeout_s);
  uint32_t entry = t->fn.entry;
  uint64_t t0 = now(t), deadline = t0 + s_to_ns(timeout_s);
  for (;;) {
    bool done;
    int r = lf_cm_poll_function(t, &done, r0);
    if (r || done)
      return r;
    if (now(t) >= deadline)
      break;
  }
  t->fn.active = false;
  uint32_t pc = 0;
  int r = lf_cm_halt(t);
  if (!r)
    r = lf_cm_read_reg(t, LF_CM_PC, &pc);
  if (r)
    return lf_err_wrap(t->s, LF_ETIMEDOUT, "cortex-m: function 0x%08x: no return within %.3f s, and "
                       "halting failed", entry, timeout_s);
  return lf_err_set(t->s, LF_ETIMEDOUT,
                    "cortex-m: function 0x%08x: no return within %.3f s; halted at PC 0x%08x",
                    entry, timeout_s, pc);
}

int lf_cm_abort_function(lf_cm *t)
{
  t->fn.active = false;
  return lf_cm_halt(t);
}

int lf_cm_run_function(lf_cm *t, uint32_t entry, const uint32_t args[4], uint32_t sp,
                       double timeout_s, uint32_t *r0)
{
  if (!(timeout_s >= 0))
    return lf_err_set(t->s, LF_EINVAL, "cortex-m: run function 0x%08x: timeout %g s: expected >= 0",
                      entry, timeout_s);
  int r = lf_cm_start_function(t, entry, args, sp);
  return r ? r : lf_cm_wait_function(t, timeout_s, r0);
}
