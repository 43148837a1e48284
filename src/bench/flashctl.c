/* STM32F4/F7 embedded-flash controller model. Facts: stm32f7-target.md
 * 3-9 (rows cited inline as "F7 n.m"); the F42x sibling (stm32f4-target.md,
 * "F4 n.m") uses the same logic, its description (soc_stm32f4.c) selecting:
 * fixed dual bank with SNB 0x10 + k for bank 2 (F4 7.4), nWRP of bank 2 in
 * OPTCR1 (LF_FC_WRP_SPLIT, F4 6.2), SPRMOD inverting nWRP (PCROP sectors
 * refuse program/erase; RDERR on PCROP reads is not modeled), ACR cache
 * bits, and the flash_f4_* timing rows. SR bit 7 is ERSERR on the F7 and
 * PGSERR on the F4: same bit, same rules here.
 *
 * Modeling decisions (all unconfirmed facts are parameters or stated here):
 * - Key sequence (F7 4.1): KEY1 then KEY2 clears CR.LOCK. A wrong key, wrong
 *   order or a KEYR write while unlocked answers a bus error, sets LOCK and
 *   refuses every further KEYR write until the next system reset. OPTKEYR
 *   behaves the same for OPTLOCK, with its own lock-out.
 * - CR/OPTCR writes while locked are ignored (writing LOCK=1 is always
 *   accepted). Writes to CR/OPTCR or to the array while BSY stall the master
 *   until BSY clears, then apply; the stall moves the master's time (the
 *   core's virtual time: cortexm.c rebases on it). Sources (calibration
 *   research, issue 18): RM0090 3.5-3.6 for CR ("stall the AHB until BSY
 *   clears"); the F1 programming manual "any attempt to read the Flash memory
 *   will stall the bus" during a write (ST community quote) and the F7
 *   community text "execution from Flash will stall" for reads of the busy
 *   bank (lf_flashctl_read_stall); for an array store no ST sentence exists
 *   [≈]: Black Magic and luaflash's loader stream stores with PG set and
 *   poll BSY once, which only works if the store is held.
 * - Programming (F7 4.2, 5): checks in this order, first failing one sets
 *   its flag and nothing is written: sequence (LOCK, PG=0, MER also set,
 *   or stale errors with flash_errors_block_ops) -> ERSERR; access size !=
 *   PSIZE -> PGPERR (x64: two 32-bit stores, first 8-aligned, second at +4);
 *   address not aligned to its size -> PGAERR (an aligned access of <= 8 B
 *   never crosses the 128-bit row of the F4 text); write-protected sector ->
 *   WRPERR; injected flash_error fault -> its SR bits. Success: cells AND the
 *   new data (NOR: 1->0 only), BSY for flash_prog_ns. SER left set by
 *   an earlier sector erase does not disturb programming: st-flash 1.7 sets
 *   PG by read-modify-write of a CR that still holds SER|SNB from its erase
 *   (its F4/F7 path) and programs real F4/F7 chips that way (bench finding
 *   1, src/bench/README.md); SER only selects what STRT erases.
 * - OPERR is set with any error flag when ERRIE=1, EOP on success when
 *   EOPIE=1 (flash_eop_needs_eopie=0 sets them unconditionally).
 * - STRT/OPTSTRT stay set while BSY and clear when the operation ends.
 * - Options: OPTCR/OPTCR1 read back what was written (immediately); OPTSTRT
 *   copies them to the stored options; the chip obeys the stored values only
 *   after the next system reset (RDP, nWRP, nDBANK, BOOT_ADDx). RDP 1->0
 *   mass-erases the array (BSY = mass-erase time at the CR.PSIZE in force +
 *   flash_opt_ns); an nDBANK change erases too when flash_ndbank_change_erases.
 *   With stored RDP = 0xCC option programming is refused silently (no flag;
 *   OPTCR reloads the stored values).
 * - Read protection with a debugger (lf_flashctl_set_locked, decided by the
 *   SoC: RDP >= 1 and the debug port used since power-on, params
 *   rdp1_blocks_flash_with_debug): program stores to the array or OTP and
 *   sector/mass erases are refused with params rdp1_debug_flash_error
 *   (default WRPERR: "as if write-protected", F4 5; the flag is unconfirmed),
 *   checked where WRP is; option programming (the RDP 1 -> 0 regression)
 *   is not affected. Read faults are the SoC's (bus errors).
 * - OTP (F7 4.6): programmed like flash; never erasable; block b refuses
 *   programs (WRPERR) once its lock byte is not 0xFF (bench rule: any
 *   programmed lock value locks). OTP programs stall no array reads.
 * - A system reset or power loss during an operation leaves the target
 *   (word, sector, bank or array) with lf_flashctl_garbage() content. */
#include "bench/flashctl.h"

#include "bench/soc_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECTORS 32
#define SR_ERRORS (LF_FC_SR_WRPERR | LF_FC_SR_PGAERR | LF_FC_SR_PGPERR | LF_FC_SR_ERSERR)
#define SR_W1C (LF_FC_SR_EOP | LF_FC_SR_OPERR | SR_ERRORS | LF_FC_SR_RDERR)

typedef struct sector { uint32_t off, size; uint8_t snb, logical, bank; } sector;

typedef enum op_kind { OP_NONE, OP_PROG, OP_OTP, OP_ERASE, OP_MASS, OP_OPT } op_kind;

struct lf_flashctl {
  const lf_fc_desc *d;
  const lf_bench_params *p;
  lf_faults *faults;
  lf_soc_counters *c;
  uint8_t *array;
  uint8_t *otp;
  /* registers */
  uint32_t acr, sr, cr, optcr, optcr1;
  unsigned key_stage, optkey_stage;
  bool key_dead, optkey_dead;   /* wrong sequence: locked until system reset */
  /* options */
  uint32_t st_optcr, st_optcr1;     /* programmed */
  uint32_t act_optcr, act_optcr1;   /* loaded at the last reset */
  /* geometry of the active layout */
  const lf_fc_layout *lay;
  sector sec[MAX_SECTORS];
  size_t nsec;
  /* x64 programming: first word latched */
  bool x64_pending;
  uint32_t x64_off, x64_lo;
  /* operation in progress */
  op_kind op;                /* last operation; OP_NONE after reset/power loss */
  bool op_settled;           /* its end effects (EOP, STRT clear) applied */
  uint64_t op_end;
  uint32_t op_off, op_len;   /* target range (array offset; OTP offset for OP_OTP) */
  unsigned op_banks;         /* bit b: bank b busy */
  bool locked;               /* RDP 1 + debugger: program/erase refused */
};

uint8_t lf_flashctl_garbage(uint32_t a) { return lf_soc_garbage(a); }

static uint64_t ns_of(double v) { return v <= 0 ? 0 : (uint64_t)llround(v); }

static void build_layout(lf_flashctl *fc)
{
  const lf_fc_desc *d = fc->d;
  bool single = d->ndbank_bit ? (fc->act_optcr & d->ndbank_bit) != 0 : !d->fixed_dual;
  fc->lay = single ? &d->single : &d->dual;
  fc->nsec = 0;
  for (unsigned b = 0; b < fc->lay->nbanks; b++) {
    uint32_t off = b * fc->lay->bank_bytes;
    unsigned k = 0;
    for (unsigned r = 0; r < 4 && fc->lay->runs[r].count; r++)
      for (unsigned i = 0; i < fc->lay->runs[r].count && fc->nsec < MAX_SECTORS; i++, k++) {
        sector *s = &fc->sec[fc->nsec];
        s->off = off;
        s->size = fc->lay->runs[r].bytes;
        s->snb = (uint8_t)(b * 0x10 + k);   /* F7 7.3 */
        s->bank = (uint8_t)b;
        s->logical = (uint8_t)fc->nsec;
        off += s->size;
        fc->nsec++;
      }
  }
}

static const sector *sector_at(const lf_flashctl *fc, uint32_t off)
{
  for (size_t i = 0; i < fc->nsec; i++)
    if (off >= fc->sec[i].off && off - fc->sec[i].off < fc->sec[i].size)
      return &fc->sec[i];
  return NULL;
}

static unsigned bank_of(const lf_flashctl *fc, uint32_t off)
{
  return fc->lay->nbanks > 1 ? off / fc->lay->bank_bytes : 0;
}

/* F7 7.4 / F4 6.2: nWRP bit = 0 protects. Uses the options loaded at reset.
 * F4 SPRMOD = 1 (F4 3.6): the bits mean PCROP (1 = protected); a PCROP
 * sector refuses program/erase like a WRP one (bench rule, RDERR on reads
 * not modeled). */
static bool write_protected(const lf_flashctl *fc, const sector *s)
{
  unsigned l = s->logical;
  bool bit = true;
  switch (fc->lay->wrp) {
  case LF_FC_WRP_SECTOR: bit = fc->act_optcr & (1u << (16 + l)); break;
  case LF_FC_WRP_PAIRS: bit = fc->act_optcr & (1u << (16 + l / 2)); break;
  case LF_FC_WRP_SPLIT:
    bit = l < 12 ? (fc->act_optcr & (1u << (16 + l))) : (fc->act_optcr1 & (1u << (16 + l - 12)));
    break;
  }
  if (fc->d->sprmod_bit && (fc->act_optcr & fc->d->sprmod_bit))
    return bit;
  return !bit;
}

/* Erase durations from the rows the part's description selects. */
static double erase_ns(const lf_flashctl *fc, uint32_t bytes, unsigned ps)
{
  return fc->d->timing == LF_FC_TIMING_F4 ? lf_param_flash_f4_erase_ns(fc->p, bytes, ps)
                                          : lf_param_flash_erase_ns(fc->p, bytes, ps);
}

static double mass_ns(const lf_flashctl *fc, unsigned ps, uint32_t bytes)
{
  return fc->d->timing == LF_FC_TIMING_F4 ? lf_param_flash_f4_mass_ns(fc->p, ps, bytes)
                                          : lf_param_flash_mass_ns(fc->p, ps, bytes);
}

/* Lazily applies the end of the last operation once t has passed it. BSY
 * itself is t < op_end for every observer, so a master whose time is behind
 * another's (a debugger access after the core stalled on SR) still sees the
 * operation in progress. */
static void settle(lf_flashctl *fc, uint64_t t)
{
  if (fc->op == OP_NONE || fc->op_settled || t < fc->op_end)
    return;
  if (fc->op == OP_OPT)
    fc->optcr &= ~LF_FC_OPTCR_OPTSTRT;
  fc->cr &= ~LF_FC_CR_STRT;
  if ((fc->cr & LF_FC_CR_EOPIE) || fc->p->flash_eop_needs_eopie == 0)
    fc->sr |= LF_FC_SR_EOP;
  fc->op_settled = true;
}

bool lf_flashctl_busy(const lf_flashctl *fc, uint64_t t) { return fc->op != OP_NONE && t < fc->op_end; }
uint64_t lf_flashctl_busy_until(const lf_flashctl *fc) { return fc->op != OP_NONE ? fc->op_end : 0; }

static void stall_to(lf_flashctl *fc, uint64_t *t, uint64_t end)
{
  if (*t < end) {
    fc->c->stall_ns += end - *t;
    *t = end;
  }
  settle(fc, *t);
}

static void stall_if_busy(lf_flashctl *fc, uint64_t *t)
{
  if (lf_flashctl_busy(fc, *t))
    stall_to(fc, t, fc->op_end);
  else
    settle(fc, *t);
}

static void set_error(lf_flashctl *fc, uint32_t bits)
{
  if ((fc->cr & LF_FC_CR_ERRIE) || fc->p->flash_eop_needs_eopie == 0)
    bits |= LF_FC_SR_OPERR;
  fc->sr |= bits;
  fc->cr &= ~LF_FC_CR_STRT;
  fc->c->flash_errors++;
}

/* Every started operation is one LF_FAULT_FLASH_ERROR event. */
static bool injected_failure(lf_flashctl *fc)
{
  lf_fault *f = fc->faults ? lf_faults_event(fc->faults, LF_FAULT_FLASH_ERROR) : NULL;
  if (!f)
    return false;
  set_error(fc, f->arg & ~LF_FC_SR_BSY);
  return true;
}

static void begin(lf_flashctl *fc, op_kind k, uint64_t t, double ns, uint32_t off, uint32_t len,
                  unsigned banks)
{
  uint64_t d = ns_of(ns);
  fc->op = k;
  fc->op_settled = false;
  fc->op_end = t + d;
  fc->op_off = off;
  fc->op_len = len;
  fc->op_banks = banks;
  fc->c->flash_busy_ns += d;
  settle(fc, t); /* a zero-length operation ends at once */
}

static bool sequence_blocked(const lf_flashctl *fc)
{
  return fc->p->flash_errors_block_ops != 0 && (fc->sr & SR_ERRORS);
}

/* The flag a program/erase refused by read protection sets (params). */
static uint32_t locked_error(const lf_flashctl *fc)
{
  uint32_t bits = (uint32_t)fc->p->rdp1_debug_flash_error & SR_ERRORS;
  return bits ? bits : LF_FC_SR_WRPERR;
}

static unsigned psize_bytes(const lf_flashctl *fc) { return 1u << ((fc->cr >> 8) & 3); }
static unsigned psize(const lf_flashctl *fc) { return (fc->cr >> 8) & 3; }

/* Common checks of a program store (order documented at the top). Returns 0
 * when the store may proceed; *len is the bytes it programs (0 = latched). */
static int program_checks(lf_flashctl *fc, uint32_t off, unsigned size, uint32_t *len)
{
  uint32_t cr = fc->cr;
  if ((cr & LF_FC_CR_LOCK) || !(cr & LF_FC_CR_PG) ||
      (cr & (LF_FC_CR_MER | LF_FC_CR_MER2)) || sequence_blocked(fc)) {
    fc->x64_pending = false;
    set_error(fc, LF_FC_SR_ERSERR);
    return -1;
  }
  unsigned want = psize_bytes(fc);
  if (want == 8) {
    if (size != 4) {
      fc->x64_pending = false;
      set_error(fc, LF_FC_SR_PGPERR);
      return -1;
    }
    if (!fc->x64_pending) {
      if (off % 8) {
        set_error(fc, LF_FC_SR_PGAERR);
        return -1;
      }
      *len = 0;
      return 0;
    }
    if (off != fc->x64_off + 4) {
      fc->x64_pending = false;
      set_error(fc, LF_FC_SR_PGAERR);
      return -1;
    }
    *len = 8;
    return 0;
  }
  if (size != want) {
    set_error(fc, LF_FC_SR_PGPERR);
    return -1;
  }
  if (off % size) {
    set_error(fc, LF_FC_SR_PGAERR);
    return -1;
  }
  *len = size;
  return 0;
}

static void put_le(uint8_t *dst, uint32_t v, unsigned n)
{
  for (unsigned i = 0; i < n; i++)
    dst[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *src, unsigned n)
{
  uint32_t v = 0;
  for (unsigned i = 0; i < n; i++)
    v |= (uint32_t)src[i] << (8 * i);
  return v;
}

/* Programs len bytes at dst (AND semantics), data from the latched x64 word
 * or the store itself. */
static void program_bytes(lf_flashctl *fc, uint8_t *dst, uint32_t len, uint32_t v)
{
  uint8_t data[8];
  if (len == 8) {
    put_le(data, fc->x64_lo, 4);
    put_le(data + 4, v, 4);
    fc->x64_pending = false;
  } else {
    put_le(data, v, len);
  }
  for (uint32_t i = 0; i < len; i++)
    dst[i] &= data[i];
  fc->c->flash_prog_ops++;
  fc->c->flash_prog_bytes += len;
}

static void array_store(lf_flashctl *fc, uint32_t off, unsigned size, uint32_t v, uint64_t t)
{
  uint32_t len;
  if (program_checks(fc, off, size, &len) != 0)
    return;
  if (len == 0) {
    fc->x64_pending = true;
    fc->x64_off = off;
    fc->x64_lo = v;
    return;
  }
  uint32_t start = len == 8 ? fc->x64_off : off;
  const sector *s = sector_at(fc, start);
  if (!s || write_protected(fc, s) || fc->locked) {
    fc->x64_pending = false;
    set_error(fc, s && fc->locked ? locked_error(fc) : LF_FC_SR_WRPERR);
    return;
  }
  if (injected_failure(fc)) {
    fc->x64_pending = false;
    return;
  }
  program_bytes(fc, fc->array + start, len, v);
  begin(fc, OP_PROG, t, lf_param_flash_prog_ns(fc->p), start, len, 1u << bank_of(fc, start));
}

int lf_flashctl_array_access(lf_flashctl *fc, lf_bus_master m, uint32_t off, unsigned size,
                             bool write, uint32_t *val, uint64_t *t)
{
  (void)m;
  if (!write) {
    lf_flashctl_read_stall(fc, off, t);
    *val = get_le(fc->array + off, size);
    return LF_BUS_OK;
  }
  stall_if_busy(fc, t);
  array_store(fc, off, size, *val, *t);
  return LF_BUS_OK;
}

/* F7 5: a read of the bank being programmed/erased stalls until the end;
 * the other bank (dual-bank mode) reads at once (RWW). */
void lf_flashctl_read_stall(lf_flashctl *fc, uint32_t off, uint64_t *t)
{
  if (lf_flashctl_busy(fc, *t) && fc->op != OP_OTP &&
      (fc->op_banks & (1u << bank_of(fc, off))))
    stall_to(fc, t, fc->op_end);
  else
    settle(fc, *t);
}

int lf_flashctl_otp_access(lf_flashctl *fc, lf_bus_master m, uint32_t off, unsigned size,
                           bool write, uint32_t *val, uint64_t *t)
{
  (void)m;
  const lf_fc_desc *d = fc->d;
  if (!write) {
    settle(fc, *t);
    *val = get_le(fc->otp + off, size);
    return LF_BUS_OK;
  }
  stall_if_busy(fc, t);
  uint32_t len;
  if (program_checks(fc, off, size, &len) != 0)
    return LF_BUS_OK;
  if (len == 0) {
    fc->x64_pending = true;
    fc->x64_off = off;
    fc->x64_lo = *val;
    return LF_BUS_OK;
  }
  uint32_t start = len == 8 ? fc->x64_off : off;
  if (fc->locked) {
    fc->x64_pending = false;
    set_error(fc, locked_error(fc));
    return LF_BUS_OK;
  }
  if (start < d->otp_size && fc->otp[d->otp_size + start / d->otp_block] != 0xFF) {
    fc->x64_pending = false;
    set_error(fc, LF_FC_SR_WRPERR);
    return LF_BUS_OK;
  }
  if (injected_failure(fc)) {
    fc->x64_pending = false;
    return LF_BUS_OK;
  }
  program_bytes(fc, fc->otp + start, len, *val);
  begin(fc, OP_OTP, *t, lf_param_flash_prog_ns(fc->p), start, len, 0);
  return LF_BUS_OK;
}

static void erase_range(lf_flashctl *fc, uint32_t off, uint32_t len)
{
  memset(fc->array + off, 0xFF, len);
}

/* STRT with SER or MERx (F7 4.3, 4.4, 7.3). */
static void start_erase(lf_flashctl *fc, uint64_t t)
{
  uint32_t cr = fc->cr;
  bool ser = cr & LF_FC_CR_SER;
  unsigned mer = ((cr & LF_FC_CR_MER) ? 1u : 0u) | ((cr & LF_FC_CR_MER2) ? 2u : 0u);
  if (sequence_blocked(fc) || (ser && mer) || (!ser && !mer)) {
    set_error(fc, LF_FC_SR_ERSERR); /* SER+MER: neither runs (F7 4.4) */
    return;
  }
  if (ser) {
    unsigned snb = (cr >> 3) & 0x1F;
    const sector *s = NULL;
    for (size_t i = 0; i < fc->nsec; i++)
      if (fc->sec[i].snb == snb)
        s = &fc->sec[i];
    if (!s) {
      set_error(fc, LF_FC_SR_ERSERR);
      return;
    }
    if (fc->locked) {
      set_error(fc, locked_error(fc));
      return;
    }
    if (write_protected(fc, s)) {
      set_error(fc, LF_FC_SR_WRPERR);
      return;
    }
    if (injected_failure(fc))
      return;
    erase_range(fc, s->off, s->size);
    fc->c->flash_sector_erases++;
    begin(fc, OP_ERASE, t, erase_ns(fc, s->size, psize(fc)), s->off, s->size,
          1u << s->bank);
    return;
  }
  /* Single bank: MER erases everything; MER2 alone names a bank that does not exist. */
  unsigned banks = fc->lay->nbanks == 1 ? (mer & 1u ? 1u : 0u) : mer;
  if (!banks) {
    set_error(fc, LF_FC_SR_ERSERR);
    return;
  }
  if (fc->locked) {
    set_error(fc, locked_error(fc));
    return;
  }
  for (size_t i = 0; i < fc->nsec; i++)
    if ((banks & (1u << fc->sec[i].bank)) && write_protected(fc, &fc->sec[i])) {
      set_error(fc, LF_FC_SR_WRPERR);
      return;
    }
  if (injected_failure(fc))
    return;
  uint32_t lo = UINT32_MAX, hi = 0;
  for (size_t i = 0; i < fc->nsec; i++)
    if (banks & (1u << fc->sec[i].bank)) {
      if (fc->sec[i].off < lo)
        lo = fc->sec[i].off;
      if (fc->sec[i].off + fc->sec[i].size > hi)
        hi = fc->sec[i].off + fc->sec[i].size;
    }
  erase_range(fc, lo, hi - lo);
  fc->c->flash_mass_erases++;
  begin(fc, OP_MASS, t, mass_ns(fc, psize(fc), hi - lo), lo, hi - lo, banks);
}

static int rdp_of(uint32_t optcr)
{
  uint32_t rdp = (optcr >> 8) & 0xFF;
  return rdp == 0xAA ? 0 : rdp == 0xCC ? 2 : 1;
}

/* OPTSTRT (F7 4.5). */
static void start_options(lf_flashctl *fc, uint64_t t)
{
  const lf_fc_desc *d = fc->d;
  if (rdp_of(fc->st_optcr) == 2) {
    fc->optcr = fc->st_optcr | (fc->optcr & LF_FC_OPTCR_OPTLOCK);
    fc->optcr1 = fc->st_optcr1;
    return;
  }
  if (injected_failure(fc)) {
    fc->optcr &= ~LF_FC_OPTCR_OPTSTRT;
    return;
  }
  uint32_t n = fc->optcr & d->optcr_mask & ~(LF_FC_OPTCR_OPTLOCK | LF_FC_OPTCR_OPTSTRT);
  uint32_t n1 = fc->optcr1 & d->optcr1_mask;
  double ns = fc->p->flash_opt_ns;
  bool erase = rdp_of(fc->st_optcr) == 1 && rdp_of(n) == 0;
  if (d->ndbank_bit && ((n ^ fc->st_optcr) & d->ndbank_bit) && fc->p->flash_ndbank_change_erases != 0)
    erase = true;
  fc->st_optcr = n;
  fc->st_optcr1 = n1;
  fc->c->flash_opt_writes++;
  if (erase) {
    erase_range(fc, 0, d->flash_size);
    fc->c->flash_mass_erases++;
    ns += mass_ns(fc, psize(fc), d->flash_size);
  }
  begin(fc, OP_OPT, t, ns, 0, erase ? d->flash_size : 0, erase ? 3u : 0u);
}

static bool key_write(lf_flashctl *fc, bool opt, uint32_t v)
{
  unsigned *stage = opt ? &fc->optkey_stage : &fc->key_stage;
  bool *dead = opt ? &fc->optkey_dead : &fc->key_dead;
  bool locked = opt ? (fc->optcr & LF_FC_OPTCR_OPTLOCK) : (fc->cr & LF_FC_CR_LOCK);
  uint32_t k1 = opt ? LF_FC_OPTKEY1 : LF_FC_KEY1, k2 = opt ? LF_FC_OPTKEY2 : LF_FC_KEY2;
  if (!*dead && locked && *stage == 0 && v == k1) {
    *stage = 1;
    return true;
  }
  if (!*dead && locked && *stage == 1 && v == k2) {
    *stage = 0;
    if (opt)
      fc->optcr &= ~LF_FC_OPTCR_OPTLOCK;
    else
      fc->cr &= ~LF_FC_CR_LOCK;
    return true;
  }
  *dead = true;
  *stage = 0;
  if (opt)
    fc->optcr |= LF_FC_OPTCR_OPTLOCK;
  else
    fc->cr |= LF_FC_CR_LOCK;
  return false;
}

int lf_flashctl_reg(lf_flashctl *fc, lf_bus_master m, uint32_t off, unsigned size, bool write,
                    uint32_t *val, uint64_t *t)
{
  const lf_fc_desc *d = fc->d;
  uint32_t word = off & ~3u, sh = (off & 3) * 8;
  uint32_t lanes = (size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1)) << sh;
  if (!write) {
    /* A CORE read of SR while BSY models the polling loop: it returns when
     * the operation ends (bench approximation; DEBUG reads never stall). */
    if (word == LF_FC_SR && m == LF_BUS_CORE)
      stall_if_busy(fc, t);
    else
      settle(fc, *t);
    uint32_t v = 0;
    switch (word) {
    case LF_FC_ACR: v = fc->acr; break;
    case LF_FC_SR: v = fc->sr | (lf_flashctl_busy(fc, *t) ? LF_FC_SR_BSY : 0); break;
    case LF_FC_CR: v = fc->cr; break;
    case LF_FC_OPTCR: v = fc->optcr; break;
    case LF_FC_OPTCR1: v = fc->optcr1; break;
    default: v = 0; break; /* KEYR/OPTKEYR write-only */
    }
    *val = (v & lanes) >> sh;
    return LF_BUS_OK;
  }
  uint32_t wv = (*val << sh) & lanes;
  switch (word) {
  case LF_FC_ACR:
    settle(fc, *t);
    fc->acr = (fc->acr & ~lanes) | (wv & d->acr_mask);
    return LF_BUS_OK;
  case LF_FC_KEYR:
  case LF_FC_OPTKEYR:
    settle(fc, *t);
    return key_write(fc, word == LF_FC_OPTKEYR, wv) ? LF_BUS_OK : LF_BUS_ERR;
  case LF_FC_SR:
    settle(fc, *t);
    fc->sr &= ~(wv & SR_W1C);
    return LF_BUS_OK;
  case LF_FC_CR: {
    stall_if_busy(fc, t);
    if (fc->cr & LF_FC_CR_LOCK) {
      return LF_BUS_OK; /* ignored while locked (LOCK already set) */
    }
    uint32_t n = (fc->cr & ~lanes) | (wv & d->cr_mask);
    fc->cr = n;
    if ((n & LF_FC_CR_STRT) && (lanes & LF_FC_CR_STRT) && (wv & LF_FC_CR_STRT))
      start_erase(fc, *t);
    return LF_BUS_OK;
  }
  case LF_FC_OPTCR: {
    stall_if_busy(fc, t);
    if (fc->optcr & LF_FC_OPTCR_OPTLOCK)
      return LF_BUS_OK;
    fc->optcr = (fc->optcr & ~lanes) | (wv & d->optcr_mask);
    if ((lanes & LF_FC_OPTCR_OPTSTRT) && (wv & LF_FC_OPTCR_OPTSTRT) &&
        !(fc->optcr & LF_FC_OPTCR_OPTLOCK))
      start_options(fc, *t);
    else
      fc->optcr &= ~LF_FC_OPTCR_OPTSTRT;
    return LF_BUS_OK;
  }
  case LF_FC_OPTCR1:
    stall_if_busy(fc, t);
    if (!(fc->optcr & LF_FC_OPTCR_OPTLOCK))
      fc->optcr1 = (fc->optcr1 & ~lanes) | (wv & d->optcr1_mask);
    return LF_BUS_OK;
  default:
    return LF_BUS_OK;
  }
}

bool lf_flashctl_optimg_read(const lf_flashctl *fc, uint32_t addr, uint8_t *byte)
{
  const lf_fc_desc *d = fc->d;
  bool in = false;
  for (size_t i = 0; i < 2; i++)
    in |= d->optimg_win[i].size && addr >= d->optimg_win[i].base &&
          addr - d->optimg_win[i].base < d->optimg_win[i].size;
  if (!in)
    return false;
  uint32_t w = 0xFFFFFFFFu, base = addr & ~3u;
  for (size_t i = 0; i < d->noptimg; i++)
    if (d->optimg[i].addr == base) {
      uint32_t r = d->optimg[i].reg ? fc->st_optcr1 : (fc->st_optcr | LF_FC_OPTCR_OPTLOCK);
      uint32_t f = (r >> d->optimg[i].shift) & 0xFFFF;
      w = f | ((~f & 0xFFFFu) << 16);
    }
  *byte = (uint8_t)(w >> (8 * (addr & 3)));
  return true;
}

static void corrupt_op(lf_flashctl *fc, uint64_t t)
{
  if (!lf_flashctl_busy(fc, t))
    return;
  uint8_t *base = fc->op == OP_OTP ? fc->otp : fc->array;
  uint32_t abase = fc->op == OP_OTP ? fc->d->otp_base : fc->d->flash_base;
  for (uint32_t i = 0; i < fc->op_len; i++)
    base[fc->op_off + i] = lf_flashctl_garbage(abase + fc->op_off + i);
}

void lf_flashctl_power_loss(lf_flashctl *fc, uint64_t t)
{
  corrupt_op(fc, t);
  fc->op = OP_NONE;
  fc->cr &= ~LF_FC_CR_STRT;
  fc->optcr &= ~LF_FC_OPTCR_OPTSTRT;
}

void lf_flashctl_reset(lf_flashctl *fc, bool power, uint64_t t)
{
  (void)power; /* the controller has no power-only state */
  corrupt_op(fc, t);
  fc->op = OP_NONE;
  fc->acr = 0;
  fc->sr = 0;
  fc->cr = LF_FC_CR_LOCK;
  fc->key_stage = fc->optkey_stage = 0;
  fc->key_dead = fc->optkey_dead = false;
  fc->x64_pending = false;
  fc->act_optcr = fc->st_optcr;
  fc->act_optcr1 = fc->st_optcr1;
  fc->optcr = fc->st_optcr | LF_FC_OPTCR_OPTLOCK;
  fc->optcr1 = fc->st_optcr1;
  build_layout(fc);
}

lf_flashctl *lf_flashctl_new(const lf_fc_desc *d, const lf_bench_params *p, lf_faults *faults,
                             lf_soc_counters *counters)
{
  lf_flashctl *fc = calloc(1, sizeof *fc);
  if (!fc)
    return NULL;
  fc->array = malloc(d->flash_size);
  fc->otp = malloc(d->otp_size + d->nlocks);
  if (!fc->array || !fc->otp) {
    lf_flashctl_free(fc);
    return NULL;
  }
  memset(fc->array, 0xFF, d->flash_size);
  memset(fc->otp, 0xFF, d->otp_size + d->nlocks);
  fc->d = d;
  fc->p = p;
  fc->faults = faults;
  fc->c = counters;
  fc->st_optcr = d->optcr_factory & ~(LF_FC_OPTCR_OPTLOCK | LF_FC_OPTCR_OPTSTRT);
  fc->st_optcr1 = d->optcr1_factory;
  lf_flashctl_reset(fc, true, 0);
  return fc;
}

void lf_flashctl_free(lf_flashctl *fc)
{
  if (!fc)
    return;
  free(fc->array);
  free(fc->otp);
  free(fc);
}

uint8_t *lf_flashctl_array(lf_flashctl *fc) { return fc->array; }
const uint8_t *lf_flashctl_array_ro(const lf_flashctl *fc) { return fc->array; }
uint8_t *lf_flashctl_otp(lf_flashctl *fc) { return fc->otp; }
uint32_t lf_flashctl_optcr_active(const lf_flashctl *fc) { return fc->act_optcr; }
uint32_t lf_flashctl_optcr1_active(const lf_flashctl *fc) { return fc->act_optcr1; }
int lf_flashctl_rdp_level(const lf_flashctl *fc) { return rdp_of(fc->act_optcr); }
void lf_flashctl_set_locked(lf_flashctl *fc, bool locked) { fc->locked = locked; }
bool lf_flashctl_locked(const lf_flashctl *fc) { return fc->locked; }

void lf_flashctl_stored_options(const lf_flashctl *fc, uint32_t *optcr, uint32_t *optcr1)
{
  *optcr = fc->st_optcr;
  *optcr1 = fc->st_optcr1;
}

void lf_flashctl_set_stored_options(lf_flashctl *fc, uint32_t optcr, uint32_t optcr1)
{
  fc->st_optcr = optcr & fc->d->optcr_mask & ~(LF_FC_OPTCR_OPTLOCK | LF_FC_OPTCR_OPTSTRT);
  fc->st_optcr1 = optcr1 & fc->d->optcr1_mask;
}
