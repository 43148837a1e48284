/* PROGRAM_BITS routine of the page-flash loaders that use lf_ldr_serve.h
 * (lf_loader_abi.h PROGRAM_BITS): a loader's .c built with
 * LF_LDR_SERVE_BITS includes this instead of the engine, which makes its
 * lf_ldr_main the bits-only program command (int fn(ctrl, cmd, index)),
 * position independent; the host uploads it into the PROGRAM_Z region only
 * for a stream with such commands (its counters: struct lf_ldr_bits at
 * LF_LDR_B_COUNTERS). Besides the engine's hooks the family part defines
 *
 *   static int fam_bits_ok(const ctl_t *c, uint32_t old, uint32_t nw);
 *     whether a program unit (FAM_UNIT <= 4 bytes, as an integer) holding
 *     old may be written with nw without an erase (it differs from old)
 *   static uint32_t fam_page_end(const ctl_t *c, uint32_t addr);
 *     the end of the erase unit holding addr
 *
 * The data of the command is waited for whole; when every unit fits and
 * the rest of the page reads erased, only the differing units are
 * programmed, else the page is erased first. */
#ifndef LF_LDR_BITS_H
#define LF_LDR_BITS_H

static int ldr_fail(ctl_t *c, uint32_t status, uint32_t addr, uint32_t sr)
{
  c->err_addr = addr;
  c->err_sr = sr;
  c->status = status;
  fam_clean(c, sr);
  return (int)status;
}

static inline uint32_t bits_unit(const uint8_t *p)
{
  return FAM_UNIT == 4 ? *(const uint32_t *)p : FAM_UNIT == 2 ? *(const uint16_t *)p : *p;
}

static inline uint32_t bits_flash(uint32_t a)
{
  return FAM_UNIT == 4 ? REG(a) : FAM_UNIT == 2 ? REG16(a) : *(volatile uint8_t *)a;
}

#define BITS_ERASED (FAM_UNIT == 4 ? 0xFFFFFFFFu : (1u << (8 * FAM_UNIT)) - 1u)

/* Whether [s, s+n) can be written over the flash at d (s NULL: erased). */
static int bits_fit(const ctl_t *c, const uint8_t *s, uint32_t d, uint32_t n)
{
  for (uint32_t i = 0; i < n; i += FAM_UNIT) {
    uint32_t old = bits_flash(d + i), nw = s ? bits_unit(s + i) : BITS_ERASED;
    if (nw != old && !fam_bits_ok(c, old, nw))
      return 0;
  }
  return 1;
}

/* Programs the units that differ, in runs; 0 or the status (*at its offset). */
static uint32_t bits_program(const ctl_t *c, uint32_t d, const uint8_t *s, uint32_t n, uint32_t *at)
{
  uint32_t run = 0, len = 0;
  for (uint32_t i = 0; i <= n; i += FAM_UNIT) {
    if (i < n && bits_unit(s + i) != bits_flash(d + i)) {
      if (!len)
        run = i;
      len += FAM_UNIT;
      continue;
    }
    if (len) {
      uint32_t bad = fam_prog_run(c, d + run, s + run, len, at);
      if (bad) {
        *at += run;
        return bad;
      }
      len = 0;
    }
  }
  return 0;
}

int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx) __attribute__((section(".text.entry"), used));
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t t0 = cycles(), ecyc = 0;
  uint32_t dst = k->addr, len = k->len, size = c->ring_size, roff = c->ring_roff, rd = c->data_rd;
  uint32_t end = fam_page_end(c, dst);
  if (k->op != LF_LDR_OP_PROGRAM_BITS || ((dst | len | roff) & (FAM_UNIT - 1u)) || !len || len > size ||
      len > end - dst)
    return ldr_fail(c, LF_LDR_ST_BADCMD, idx, 0);
  if (*(volatile uint32_t *)&c->data_wr - rd < len) {
    uint32_t w0 = cycles();
    while (*(volatile uint32_t *)&c->data_wr - rd < len)
      fam_kick(c);
    c->cyc_starve += cycles() - w0;
  }
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  uint32_t n1 = size - roff < len ? size - roff : len, n2 = len - n1;
  struct lf_ldr_bits *out = (struct lf_ldr_bits *)(c->z_region + LF_LDR_B_COUNTERS);
  if (bits_fit(c, ring + roff, dst, n1) && bits_fit(c, ring, dst + n1, n2) && bits_fit(c, 0, dst + len, end - dst - len)) {
    out->kept++;
  } else {
    cmd_t e = {LF_LDR_OP_ERASE, dst, 0, 0};
    uint32_t e0 = cycles();
    int r = fam_erase(c, &e);
    ecyc = cycles() - e0;
    if (r)
      return r;
    out->erased++;
  }
  fam_prog_begin(c);
  uint32_t at = 0, bad = bits_program(c, dst, ring + roff, n1, &at);
  if (!bad && n2 && (bad = bits_program(c, dst + n1, ring, n2, &at)))
    at += n1;
  if (bad) {
    uint32_t a = dst + at;
    if (a > dst)
      a -= FAM_UNIT;
    fam_idle(c);
    return ldr_fail(c, LF_LDR_ST_FLASH, a, bad);
  }
  uint32_t sr = fam_idle(c);
  fam_clean(c, 0);
  if (sr & FAM_ERRORS)
    return ldr_fail(c, LF_LDR_ST_FLASH, dst + len - FAM_UNIT, sr);
  roff += len;
  if (roff >= size)
    roff -= size;
  c->ring_roff = roff;
  *(volatile uint32_t *)&c->data_rd = rd + len;
  fam_kick(c);
  k->result = cycles() - t0;
  c->cyc_erase += ecyc;
  c->cyc_prog += k->result - ecyc;
  return 0;
}

__attribute__((naked, section(".text.exit"), used)) void lf_ldr_exit(void)
{
  __asm volatile("bkpt #0xAB");
}

#endif /* LF_LDR_BITS_H */
