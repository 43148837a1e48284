/* Target-side engine shared by the page-flash loaders (stm32f1.c,
 * stm32l4.c): the command loop, the ring consumer of PROGRAM commands and
 * failure reporting, on the ARMv7-M helpers of lf_ldr_armv7m.h. Included by
 * a loader's .c (never by the host) after its family part, which defines:
 *
 *   FAM_UNIT                  program unit in bytes (a power of two)
 *   FAM_ERRORS                its status register's error flags
 *   static void fam_kick(const ctl_t *c);        feed a running watchdog
 *   static int fam_init(ctl_t *c);               clocks, watchdog, unlock: 0 or
 *                                                ldr_fail(...)'s status
 *   static uint32_t fam_idle(const ctl_t *c);    the status register once idle
 *   static void fam_clean(const ctl_t *c, uint32_t sr);  clear sr's flags, CR = 0
 *   static int fam_erase(ctl_t *c, const cmd_t *k);      page, bank or chip
 *   static void fam_prog_begin(const ctl_t *c);  flags cleared, CR = PG
 *   static uint32_t fam_prog_run(const ctl_t *c, uint32_t d, const uint8_t *s,
 *                                uint32_t n, uint32_t *at);
 *     programs n bytes (a multiple of FAM_UNIT); 0, or the status register
 *     seen before the store at offset *at (it reports the previous unit)
 *   static uint32_t fam_crc(const ctl_t *c, uint32_t a, uint32_t n);  zlib crc32
 *   static void fam_lock(const ctl_t *c);        CR = LOCK
 *   FAM_BITS (optional)       PROGRAM_BITS is served by an uploaded routine
 *                             (lf_ldr_bits.h)
 *
 * and uses ldr_fail from here and crc_soft / crc_prog_range / the barriers
 * from lf_ldr_armv7m.h. Host contract: lf_loader_abi.h. No globals: all
 * state lives in the control block.
 *
 * Compressed upload (lf_loader_abi.h "The PROGRAM_Z region"): the loader
 * passes a PROGRAM_Z command to the routine the host uploaded (z_region).
 * That routine is the same family file built with LF_LDR_SERVE_Z (NAME_z.c,
 * position independent): its lf_ldr_main is the inflating program command
 * below, on the family's fam_prog_begin / fam_prog_run / fam_idle. A family
 * whose core is too slow at its reset clock may define FAM_Z_CLOCK and
 *   static uint32_t fam_z_clock_up(const ctl_t *c, uint32_t *saved);
 *     the core's speed-up factor for the command (1: clocks left alone)
 *   static void fam_z_clock_down(const ctl_t *c, const uint32_t *saved);
 * (saved: 4 words). */
#ifndef LF_LDR_SERVE_H
#define LF_LDR_SERVE_H

#include <stdint.h>

#include "lf_ldr_armv7m.h"
#include "lf_loader_abi.h"

#define REG(a) (*(volatile uint32_t *)(a))
#define REG16(a) (*(volatile uint16_t *)(a))
#define DWT_CTRL 0xE0001000u
#define DWT_CYCCNT 0xE0001004u

typedef struct lf_ldr_ctrl ctl_t;
typedef struct lf_ldr_cmd cmd_t;

#ifdef LF_LDR_SERVE_Z
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx) __attribute__((section(".text.entry"), used));
static uint32_t ldr_zmore(void *ctx, uint32_t used);
#define LFZ_MORE_FN ldr_zmore
#include "lf_inflate.h"
#elif !defined(LF_LDR_SERVE_BITS) /* the PROGRAM_BITS routine has an entry of its own (lf_ldr_bits.h) */
int lf_ldr_main(ctl_t *c) __attribute__((section(".text.entry"), used));
#endif
/* Records a failure in the status block (the engine part defines it). */
static int ldr_fail(ctl_t *c, uint32_t status, uint32_t addr, uint32_t sr);

static inline uint32_t cycles(void) { return REG(DWT_CYCCNT); }

/* IWDG (KR, PR, RLR; ST's formula 4 * 2^PR * (RLR + 1) / LSI): the longest
 * timeout (PR 6, RLR 0xFFF: 26 s at 40 kHz, 32.8 s at 32 kHz), longer than
 * any erase; harmless when the watchdog is not running (a reset restores
 * PR/RLR). STM32 only: unused on other families. */
__attribute__((unused)) static void ldr_iwdg_slow(uint32_t w)
{
  REG(w + 0x00) = 0xAAAAu;
  REG(w + 0x00) = 0x5555u;
  REG(w + 0x04) = 6u;
  REG(w + 0x08) = 0xFFFu;
  REG(w + 0x00) = 0xAAAAu;
}

#endif /* LF_LDR_SERVE_H */

#ifdef LF_LDR_SERVE_ENGINE
/* ---- the engine (included a second time, after the family part) ---- */

static int ldr_fail(ctl_t *c, uint32_t status, uint32_t addr, uint32_t sr)
{
  c->err_addr = addr;
  c->err_sr = sr;
  c->status = status;
  fam_clean(c, sr); /* leave the controller usable */
  return (int)status;
}

#ifndef LF_LDR_SERVE_Z
/* A PROGRAM command: the ring's bytes, as the host publishes them. */
static int ldr_program(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t dst = k->addr, left = k->len;
  if ((dst | left) & (FAM_UNIT - 1u))
    return ldr_fail(c, LF_LDR_ST_BADCMD, idx, 0);
  fam_prog_begin(c);
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t avail = *(volatile uint32_t *)&c->data_wr - rd;
    if (avail < FAM_UNIT) {
      uint32_t t0 = cycles();
      do {
        fam_kick(c);
        avail = *(volatile uint32_t *)&c->data_wr - rd;
      } while (avail < FAM_UNIT);
      c->cyc_starve += cycles() - t0;
    }
    uint32_t n = avail < left ? avail : left;
    if (n > size - roff)
      n = size - roff;
    n &= ~(FAM_UNIT - 1u);
    uint32_t at = 0;
    uint32_t bad = fam_prog_run(c, dst, ring + roff, n, &at);
    if (bad) {
      /* the status read before the store at `at` reports the previous unit */
      uint32_t a = dst + at;
      if (a > k->addr)
        a -= FAM_UNIT;
      fam_idle(c);
      return ldr_fail(c, LF_LDR_ST_FLASH, a, bad);
    }
    dst += n;
    left -= n;
    rd += n;
    roff += n;
    if (roff == size)
      roff = 0;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd;
    fam_kick(c);
  }
  uint32_t sr = fam_idle(c);
  fam_clean(c, 0);
  if (sr & FAM_ERRORS)
    return ldr_fail(c, LF_LDR_ST_FLASH, dst - FAM_UNIT, sr);
  return 0;
}

/* PROGRAM_Z: the routine the host uploaded (a Thumb call to z_region). */
static int ldr_call_z(ctl_t *c, cmd_t *k, uint32_t idx)
{
  return ((int (*)(ctl_t *, cmd_t *, uint32_t))(c->z_region | 1u))(c, k, idx);
}

int lf_ldr_main(ctl_t *c)
{
  REG(DWT_CTRL) |= 1u; /* CYCCNTENA (counts only with DEMCR.TRCENA, set by the host) */
  int r = fam_init(c);
  if (r)
    return r;
  c->version = LF_LDR_ABI_VERSION;
  c->magic = LF_LDR_READY;
  cmd_t *q = (cmd_t *)c->cmd_base;
  uint32_t rd = c->cmd_rd;
  for (;;) {
    while (*(volatile uint32_t *)&c->cmd_wr == rd)
      fam_kick(c);
    cmd_t *k = &q[rd % c->cmd_count];
    uint32_t t0 = cycles(), op = k->op;
    if (op == LF_LDR_OP_ERASE || op == LF_LDR_OP_ERASE_BANK || op == LF_LDR_OP_ERASE_CHIP) {
      r = fam_erase(c, k);
      k->result = cycles() - t0;
      c->cyc_erase += k->result;
    } else if (op == LF_LDR_OP_PROGRAM) {
      r = ldr_program(c, k, rd);
      k->result = cycles() - t0;
      c->cyc_prog += k->result;
    } else if (op == LF_LDR_OP_CRC) {
      k->result = fam_crc(c, k->addr, k->len);
      c->cyc_crc += cycles() - t0;
      r = 0;
    } else if (op == LF_LDR_OP_EXIT) {
      fam_lock(c);
      c->cmd_rd = ++rd;
      return 0;
    } else if (op == LF_LDR_OP_PROGRAM_Z && c->z_region) {
      r = ldr_call_z(c, k, rd); /* the routine counts its cycles */
#ifdef FAM_BITS
    } else if (c->z_region) { /* PROGRAM_BITS: the routine the host uploaded (lf_ldr_bits.h;
                                 it counts its cycles and refuses any other command) */
      r = ((int (*)(ctl_t *, cmd_t *, uint32_t))(c->z_region | 1u))(c, k, rd);
#endif
    } else {
      r = ldr_fail(c, LF_LDR_ST_BADCMD, rd, 0);
    }
    if (r) {
      fam_lock(c);
      return r;
    }
    *(volatile uint32_t *)&c->cmd_rd = ++rd;
  }
}

#else /* LF_LDR_SERVE_Z: the PROGRAM_Z routine */

/* The pump's state: dst + done is the next program unit to program. */
struct ldr_zpump {
  const ctl_t *c;
  uint32_t dst, done, bad, at;
};

/* Programs the inflated output as it grows (lfz_pump_fn: called every 4
 * output bytes): a unit once it is there, two of a unit under 4 bytes (the
 * F1's half-words), so the flash keeps up with the inflater; a flash error
 * stops the inflate (bad = the status, at = its offset). */
#define LDR_Z_PER_PUMP (FAM_UNIT < 4u ? 4u / FAM_UNIT : 1u)
static int ldr_zpump(void *ctx, const uint8_t *out, uint32_t n)
{
  struct ldr_zpump *z = ctx;
  for (uint32_t k = 0; k < LDR_Z_PER_PUMP && n - z->done >= FAM_UNIT; k++) {
    uint32_t at = 0, bad = fam_prog_run(z->c, z->dst + z->done, out + z->done, FAM_UNIT, &at);
    if (bad) {
      z->bad = bad;
      z->at = z->done + at;
      return 1;
    }
    z->done += FAM_UNIT;
  }
  return 0;
}

/* The record's deflate bytes still arriving (lfz_more_fn): from ring
 * counter `from` on, zlen of them. */
struct ldr_zsrc {
  ctl_t *c;
  uint32_t from, zlen;
};

static uint32_t ldr_zmore(void *ctx, uint32_t used)
{
  struct ldr_zsrc *z = ctx;
  uint32_t there = *(volatile uint32_t *)&z->c->data_wr - z->from;
  if (there <= used) {
    uint32_t t0 = cycles();
    do {
      fam_kick(z->c);
      there = *(volatile uint32_t *)&z->c->data_wr - z->from;
    } while (there <= used);
    z->c->cyc_starve += cycles() - t0;
  }
  return there < z->zlen ? there : z->zlen;
}

/* PROGRAM_Z (lf_loader_abi.h): each record is inflated as its bytes arrive
 * into the output buffer (after z_out_size bytes of history: the previous
 * record), one program unit programmed per decoded symbol (the pump), the
 * rest after the record; its ring space is released when it is done. A
 * record that does not inflate to exactly olen bytes stops the command
 * with LF_LDR_ST_DATA before its remaining bytes are programmed. */
static int ldr_zprogram(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t dst = k->addr, left = k->len, cap = c->z_out_size;
  if ((dst | left) & (FAM_UNIT - 1u))
    return ldr_fail(c, LF_LDR_ST_BADCMD, idx, 0);
  struct lfz_work *w = (struct lfz_work *)(c->z_region + LF_LDR_Z_WORK);
  uint8_t *out = (uint8_t *)(c->z_region + LF_LDR_Z_OUT + cap);
  uint32_t hist = 0;
  fam_prog_begin(c);
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t avail = *(volatile uint32_t *)&c->data_wr - rd;
    if (avail < 8) { /* a record header */
      uint32_t t0 = cycles();
      do {
        fam_kick(c);
        avail = *(volatile uint32_t *)&c->data_wr - rd;
      } while (avail < 8);
      c->cyc_starve += cycles() - t0;
    }
    uint32_t hw[2], o = roff; /* the header, byte by byte: it may wrap */
    for (uint32_t i = 0; i < 8; i++) {
      ((uint8_t *)hw)[i] = ring[o];
      if (++o == size)
        o = 0;
    }
    uint32_t zlen = hw[0], olen = hw[1];
    if (zlen > size - 8 || !olen || olen > left || olen > cap || (olen & (FAM_UNIT - 1u))) {
      fam_idle(c);
      return ldr_fail(c, LF_LDR_ST_DATA, dst, olen);
    }
    struct ldr_zpump z = {c, dst, 0, 0, 0};
    struct ldr_zsrc zs = {c, rd + 8, zlen};
    uint32_t there = avail - 8 < zlen ? avail - 8 : zlen;
    int32_t got = lfz_inflate_io(w, ring + o, ring + size, ring, zlen, out, olen, hist, ldr_zpump, &z,
                                 there, 0, &zs);
    if (got == (int32_t)olen && !z.bad)
      z.bad = fam_prog_run(c, dst + z.done, out + z.done, olen - z.done, &z.at);
    else if (!z.bad) {
      fam_idle(c);
      return ldr_fail(c, LF_LDR_ST_DATA, dst, got < 0 ? (uint32_t)got : olen);
    } else
      z.at -= z.done; /* the pump's `at` is absolute */
    if (z.bad) {
      uint32_t a = dst + z.done + z.at;
      if (a > k->addr)
        a -= FAM_UNIT;
      fam_idle(c);
      return ldr_fail(c, LF_LDR_ST_FLASH, a, z.bad);
    }
    rd += 8 + zlen;
    roff += 8 + zlen;
    if (roff >= size)
      roff -= size;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd;
    for (uint32_t i = 0; i < olen; i += 4) /* the next record's history */
      *(uint32_t *)(out - olen + i) = *(const uint32_t *)(out + i);
    hist = olen;
    dst += olen;
    left -= olen;
    fam_kick(c);
  }
  uint32_t sr = fam_idle(c);
  fam_clean(c, 0);
  if (sr & FAM_ERRORS)
    return ldr_fail(c, LF_LDR_ST_FLASH, dst - FAM_UNIT, sr);
  return 0;
}

/* The entry: the command, its cycles counted as the loader counts a
 * PROGRAM's (in cycles of the loader's clock when the family speeds the
 * core up for it). */
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t t0 = cycles(), starve0 = c->cyc_starve, fast = 1;
#ifdef FAM_Z_CLOCK
  uint32_t saved[4];
  fast = fam_z_clock_up(c, saved);
#endif
  uint32_t t1 = cycles();
  int r = ldr_zprogram(c, k, idx);
  uint32_t t2 = cycles();
#ifdef FAM_Z_CLOCK
  if (fast > 1) {
    fam_z_clock_down(c, saved);
    c->cyc_starve = starve0 + (c->cyc_starve - starve0) / fast;
  }
#endif
  (void)starve0;
  k->result = (t1 - t0) + (t2 - t1) / fast + (cycles() - t2);
  c->cyc_prog += k->result;
  return r;
}

#endif /* LF_LDR_SERVE_Z */

/* The host's return address: lf_ldr_main returns here and the core halts. */
__attribute__((naked, section(".text.exit"), used)) void lf_ldr_exit(void)
{
  __asm volatile("bkpt #0xAB");
}

#endif /* LF_LDR_SERVE_ENGINE */
