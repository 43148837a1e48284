/* STM32H743 embedded flash: two bank controllers and the shared option
 * bytes. Facts: stm32-f1-l4-h7-targets.md ("H7 n.m"): 5.1 registers, 5.2
 * CR/SR bits, 5.3 sequences, 5.4 options and RDP, 6 timings, 12 pitfalls
 * #6, #8, #9. Every time is a params.h row (h7_*).
 *
 * Modeling decisions (the reference marks these facts unconfirmed or does
 * not give them; each is a choice stated here):
 * - Banks: bank 1 (0x08000000) and bank 2 (0x08100000) each have KEYR, CR,
 *   SR/CCR, a write buffer, a one-deep queue and their own busy time, so
 *   both program or erase at once (H7 5.3 "Concurrency"). Bank swap
 *   (SWAP_BANK) is stored, not applied.
 * - Keys (H7 5.3, 12 #6): KEY1 then KEY2 on a locked bank clears LOCK; a
 *   wrong key, wrong order or a second unlock while unlocked answers a bus
 *   error and keeps the bank locked until the next system reset (as the
 *   F4/F7 bench). OPTKEYR the same for OPTLOCK.
 * - SR writes are ignored; CCR bits 16-28 clear the SR flags (H7 12 #9).
 *   Stale error flags do not block later operations (no source says so).
 * - CR writes are ignored while LOCK is set, and wait while the bank is busy
 *   (as the F4/F7 bench). START with BER erases the bank (BER wins over SER),
 *   with SER the sector SNB; START with neither does nothing; START while
 *   the write buffer holds a partial word sets PGSERR and erases nothing.
 *   START clears when the erase ends.
 * - Programming (H7 5.3): stores with LOCK or PG = 0 set PGSERR and are
 *   dropped. Any store width fills the bank's write buffer (PSIZE is the
 *   program parallelism, i.e. the time column: H7 12 #8). A store to another
 *   flash word while the buffer holds a partial one sets INCERR and drops
 *   both; writing a byte the buffer already holds sets STRBERR and drops the
 *   store. The buffer is programmed when its 32 bytes are written, or by
 *   CR.FW (missing bytes 0xFF); the store (or FW) that completes it waits
 *   while the bank still executes the previous operation (queue of one).
 *   Then: read protection with a debugger or a WPSN-protected sector ->
 *   WRPERR; an injected flash_error -> its bits; else the cells AND the data
 *   (NOR), BSY/QW for h7_prog_ns[PSIZE], EOP at the end. A word that was not
 *   erased gets a broken ECC (h7_reprogram_ecc_error): reads of it set
 *   DBECCERR and ECC_FA and answer a bus error until it is erased.
 * - OPERR is never raised by the model itself (only by fault injection).
 * - Erase: a WPSN-protected sector (bank erase: any) -> WRPERR; sector time
 *   h7_erase_ns[PSIZE], bank h7_bank_erase_ns[PSIZE]. OPTCR.MER (with OPTLOCK
 *   clear and both banks unlocked, else ignored) erases both banks at once,
 *   each for its own bank-erase time.
 * - Reads: a read of a busy bank stalls until its operation ends (H7 5.3
 *   "Read stall"); the other bank reads at once. A CORE read of SRx while
 *   bank x is busy models the polling loop and returns at the end (DEBUG
 *   reads never stall), as does a CORE read of OPTSR_CUR while OPT_BUSY.
 * - Options (H7 5.4): the _PRG registers (OPTSR, WPSN, BOOT, PRAR, SCAR)
 *   are writable while OPTLOCK is clear; OPTSTART programs them: OPT_BUSY for
 *   h7_opt_ns, then they are in force at once (no reset needed, HAL note).
 *   At RDP level 2 every change is refused with OPTCHANGEERR (cleared by
 *   OPTCCR bit 30); level 1 -> 0 erases both banks (PCROP areas not kept)
 *   and takes h7_bank_erase_ns[CR1.PSIZE] more, with both banks busy.
 * - RDP >= 1: DEBUG reads of the array answer a bus error and set RDPERR.
 *   With a debugger since power-on (lf_fch7_set_locked, decided by the SoC)
 *   the core's reads fault too and program/erase end in WRPERR.
 * - The flash-CRC engine registers (CRCCR, CRCSADD, CRCEADD, CRCDATA) are
 *   storage only (its algorithm is not known: H7 5.5).
 * - A system reset or power loss during an operation leaves its target
 *   range with lf_soc_garbage() content. */
#include "bench/flashctl_h7.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/soc_util.h"

#define NBANKS 2u
#define NWORDS (LF_FCH7_SIZE / LF_FCH7_WORD)
#define SR_W1C 0x1FEF0000u /* EOP .. CRCRDERR (CCR bit positions) */
#define SR_FLAGS SR_W1C
#define CR_WRITABLE 0x1FFF87FFu
#define CR_RESET 0x31u /* LOCK, PSIZE x64 [unconf] (H7 5.1) */
#define ACR_RESET 0x37u /* LATENCY 7, WRHIGHFREQ 3 [unconf] */
/* OPTSR_PRG bits (H7 5.4): BOR_LEV, IWDG1_SW, NRST_STOP/STBY_D1, RDP,
 * FZ_IWDG_STOP/SDBY, ST_RAM_SIZE, SECURITY, IO_HSLV, SWAP_BANK_OPT. */
#define OPTSR_WRITABLE 0xA03EFFDCu
/* Factory options [unconf]: OPTSR with RDP 0xAA, IWDG1_SW, NRST_STOP/STBY,
 * FZ_IWDG_STOP/SDBY; no sector protected; BOOT_ADD0 0x0800 (0x08000000),
 * BOOT_ADD1 0x1FF0 (system memory); empty PCROP/secure areas. */
#define OPTSR_FACTORY 0x03C6AAF0u
#define WPSN_FACTORY 0xFFu
#define BOOT_FACTORY 0x1FF00800u
#define AREA_EMPTY 0x000000FFu

typedef enum op_kind { OP_NONE, OP_PROG, OP_SECTOR, OP_BANK } op_kind;

typedef struct bank {
  uint32_t cr, sr;             /* sr: the sticky flags (EOP, errors) */
  unsigned key_stage;
  bool key_dead;
  bool wb_on;                  /* the write buffer holds bytes of wb_word */
  uint32_t wb_word, wb_mask;   /* array offset of the flash word; bytes written */
  uint8_t wb[LF_FCH7_WORD];
  op_kind op;
  bool settled;
  uint64_t end;
  uint32_t off, len;
  uint32_t ecc_fa;
  uint32_t crccr, crcsadd, crceadd, crcdata;
} bank;

struct lf_fch7 {
  const lf_bench_params *p;
  lf_faults *faults;
  lf_soc_counters *c;
  uint8_t *array, *ecc;
  bank b[NBANKS];
  uint32_t acr, optcr;
  unsigned optkey_stage;
  bool optkey_dead;
  lf_fch7_options cur, prg;    /* in force / the _PRG registers */
  bool changeerr;
  bool opt_busy;               /* an OPTSTART not yet applied */
  uint64_t opt_end;
  lf_fch7_options opt_new;
  bool locked;
};

static uint64_t ns_of(double v) { return v <= 0 ? 0 : (uint64_t)llround(v); }
static bool tmax(const lf_fch7 *f) { return f->p->flash_timing_max != 0; }
static unsigned psize(const bank *b) { return (b->cr & LF_FCH7_CR_PSIZE) >> 4; }
static double prog_ns(const lf_fch7 *f, unsigned ps)
{
  return tmax(f) ? f->p->h7_prog_max_ns[ps & 3] : f->p->h7_prog_ns[ps & 3];
}
static double erase_ns(const lf_fch7 *f, unsigned ps)
{
  return tmax(f) ? f->p->h7_erase_max_ns[ps & 3] : f->p->h7_erase_ns[ps & 3];
}
static double bank_erase_ns(const lf_fch7 *f, unsigned ps)
{
  return tmax(f) ? f->p->h7_bank_erase_max_ns[ps & 3] : f->p->h7_bank_erase_ns[ps & 3];
}

static int rdp_of(uint32_t optsr)
{
  uint32_t rdp = (optsr >> 8) & 0xFFu;
  return rdp == 0xAA ? 0 : rdp == 0xCC ? 2 : 1;
}

static bool ecc_bad(const lf_fch7 *f, uint32_t off)
{
  uint32_t w = off / LF_FCH7_WORD;
  return (f->ecc[w / 8] >> (w % 8)) & 1u;
}

static void ecc_set(lf_fch7 *f, uint32_t off, bool bad)
{
  uint32_t w = off / LF_FCH7_WORD;
  if (bad)
    f->ecc[w / 8] |= (uint8_t)(1u << (w % 8));
  else
    f->ecc[w / 8] &= (uint8_t)~(1u << (w % 8));
}

static void erase_range(lf_fch7 *f, uint32_t off, uint32_t len)
{
  memset(f->array + off, 0xFF, len);
  for (uint32_t o = off; o < off + len; o += LF_FCH7_WORD)
    ecc_set(f, o, false);
}

/* ------------------------------------------------------------------ */
/* Time                                                                */

static void apply_options(lf_fch7 *f)
{
  f->cur = f->opt_new;
  f->prg = f->opt_new;
  f->opt_busy = false;
  f->optcr &= ~LF_FCH7_OPTCR_OPTSTART;
}

/* Lazily applies the ends of finished operations (bank bi; options). BSY
 * itself is t < end for every observer. */
static void settle(lf_fch7 *f, unsigned bi, uint64_t t)
{
  bank *b = &f->b[bi];
  if (b->op != OP_NONE && !b->settled && t >= b->end) {
    b->sr |= LF_FCH7_SR_EOP;
    b->cr &= ~LF_FCH7_CR_START;
    b->settled = true;
  }
  if (f->opt_busy && t >= f->opt_end)
    apply_options(f);
}

static void settle_all(lf_fch7 *f, uint64_t t)
{
  for (unsigned i = 0; i < NBANKS; i++)
    settle(f, i, t);
}

bool lf_fch7_busy(const lf_fch7 *f, unsigned bi, uint64_t t)
{
  return bi < NBANKS && f->b[bi].op != OP_NONE && t < f->b[bi].end;
}

static void stall_to(lf_fch7 *f, uint64_t *t, uint64_t end)
{
  if (*t < end) {
    f->c->stall_ns += end - *t;
    *t = end;
  }
}

/* The master waits until bank bi is idle. */
static void wait_bank(lf_fch7 *f, unsigned bi, uint64_t *t)
{
  if (lf_fch7_busy(f, bi, *t))
    stall_to(f, t, f->b[bi].end);
  settle(f, bi, *t);
}

static void begin(lf_fch7 *f, unsigned bi, op_kind k, uint64_t t, double ns, uint32_t off,
                  uint32_t len)
{
  bank *b = &f->b[bi];
  uint64_t d = ns_of(ns);
  b->op = k;
  b->settled = false;
  b->end = t + d;
  b->off = off;
  b->len = len;
  f->c->flash_busy_ns += d;
  settle(f, bi, t);
}

static void set_error(lf_fch7 *f, unsigned bi, uint32_t bits)
{
  f->b[bi].sr |= bits & SR_FLAGS;
  f->c->flash_errors++;
}

/* Every started operation is one LF_FAULT_FLASH_ERROR event; its argument
 * is SR bits. */
static bool injected_failure(lf_fch7 *f, unsigned bi)
{
  lf_fault *x = f->faults ? lf_faults_event(f->faults, LF_FAULT_FLASH_ERROR) : NULL;
  if (!x)
    return false;
  set_error(f, bi, (uint32_t)x->arg);
  return true;
}

/* ------------------------------------------------------------------ */
/* Programming                                                         */

static void wb_drop(bank *b)
{
  b->wb_on = false;
  b->wb_mask = 0;
}

/* The write buffer of bank bi becomes one program operation (H7 5.3). */
static void commit(lf_fch7 *f, unsigned bi, uint64_t *t)
{
  bank *b = &f->b[bi];
  wait_bank(f, bi, t);
  uint32_t off = b->wb_word;
  uint8_t data[LF_FCH7_WORD];
  memcpy(data, b->wb, sizeof data);
  wb_drop(b);
  unsigned sector = (off % LF_FCH7_BANK_SIZE) / LF_FCH7_SECTOR;
  if (f->locked || !(f->cur.wpsn[bi] & (1u << sector))) {
    set_error(f, bi, LF_FCH7_SR_WRPERR);
    return;
  }
  if (injected_failure(f, bi))
    return;
  bool erased = true;
  for (unsigned i = 0; i < LF_FCH7_WORD; i++) {
    erased &= f->array[off + i] == 0xFF;
    f->array[off + i] &= data[i];
  }
  if (!erased && f->p->h7_reprogram_ecc_error != 0)
    ecc_set(f, off, true);
  f->c->flash_prog_ops++;
  f->c->flash_prog_bytes += LF_FCH7_WORD;
  begin(f, bi, OP_PROG, *t, prog_ns(f, psize(b)), off, LF_FCH7_WORD);
}

static void array_store(lf_fch7 *f, uint32_t off, unsigned size, uint32_t v, uint64_t *t)
{
  unsigned bi = off / LF_FCH7_BANK_SIZE;
  bank *b = &f->b[bi];
  settle(f, bi, *t);
  if ((b->cr & LF_FCH7_CR_LOCK) || !(b->cr & LF_FCH7_CR_PG)) {
    set_error(f, bi, LF_FCH7_SR_PGSERR);
    return;
  }
  uint32_t word = off & ~(LF_FCH7_WORD - 1), at = off - word;
  uint32_t m = (size == 4 ? 0xFu : size == 2 ? 0x3u : 0x1u) << at;
  if (b->wb_on && b->wb_word != word) {
    wb_drop(b);
    set_error(f, bi, LF_FCH7_SR_INCERR);
    return;
  }
  if (b->wb_on && (b->wb_mask & m)) {
    set_error(f, bi, LF_FCH7_SR_STRBERR);
    return;
  }
  if (!b->wb_on) {
    b->wb_on = true;
    b->wb_word = word;
    b->wb_mask = 0;
    memset(b->wb, 0xFF, sizeof b->wb);
  }
  lf_le_put(b->wb + at, v, size);
  b->wb_mask |= m;
  if (b->wb_mask == 0xFFFFFFFFu)
    commit(f, bi, t);
}

int lf_fch7_array_access(lf_fch7 *f, lf_bus_master m, uint32_t off, unsigned size, bool write,
                         uint32_t *val, uint64_t *t)
{
  unsigned bi = off / LF_FCH7_BANK_SIZE;
  if (off + size > LF_FCH7_SIZE || (off & (size - 1)))
    return LF_BUS_ERR;
  if (write) {
    if (m == LF_BUS_DEBUG && rdp_of(f->cur.optsr) >= 1)
      return LF_BUS_ERR;
    array_store(f, off, size, *val, t);
    return LF_BUS_OK;
  }
  if (m == LF_BUS_DEBUG && rdp_of(f->cur.optsr) >= 1) {
    f->b[bi].sr |= LF_FCH7_SR_RDPERR;
    return LF_BUS_ERR;
  }
  if (m == LF_BUS_CORE && f->locked)
    return LF_BUS_ERR;
  wait_bank(f, bi, t);
  if (ecc_bad(f, off)) {
    f->b[bi].sr |= LF_FCH7_SR_DBECCERR;
    f->b[bi].ecc_fa = (off % LF_FCH7_BANK_SIZE) / LF_FCH7_WORD;
    return LF_BUS_ERR;
  }
  *val = lf_le_get(f->array + off, size);
  return LF_BUS_OK;
}

/* ------------------------------------------------------------------ */
/* Erase                                                               */

static void start_erase(lf_fch7 *f, unsigned bi, uint64_t t)
{
  bank *b = &f->b[bi];
  bool ber = b->cr & LF_FCH7_CR_BER, ser = b->cr & LF_FCH7_CR_SER;
  if (!ber && !ser) {
    b->cr &= ~LF_FCH7_CR_START;
    return;
  }
  if (b->wb_on) {
    b->cr &= ~LF_FCH7_CR_START;
    set_error(f, bi, LF_FCH7_SR_PGSERR);
    return;
  }
  unsigned snb = (b->cr & LF_FCH7_CR_SNB) >> 8;
  uint8_t need = ber ? 0xFFu : (uint8_t)(1u << snb);
  if (f->locked || (f->cur.wpsn[bi] & need) != need) {
    b->cr &= ~LF_FCH7_CR_START;
    set_error(f, bi, LF_FCH7_SR_WRPERR);
    return;
  }
  if (injected_failure(f, bi)) {
    b->cr &= ~LF_FCH7_CR_START;
    return;
  }
  uint32_t off = bi * LF_FCH7_BANK_SIZE + (ber ? 0 : snb * LF_FCH7_SECTOR);
  uint32_t len = ber ? LF_FCH7_BANK_SIZE : LF_FCH7_SECTOR;
  erase_range(f, off, len);
  if (ber)
    f->c->flash_mass_erases++;
  else
    f->c->flash_sector_erases++;
  begin(f, bi, ber ? OP_BANK : OP_SECTOR, t, ber ? bank_erase_ns(f, psize(b)) : erase_ns(f, psize(b)),
        off, len);
}

/* OPTCR.MER: both banks at once (H7 5.3 "Both banks"). */
static void mass_erase(lf_fch7 *f, uint64_t *t)
{
  for (unsigned i = 0; i < NBANKS; i++) {
    if (f->b[i].cr & LF_FCH7_CR_LOCK)
      return;
    wait_bank(f, i, t);
  }
  for (unsigned i = 0; i < NBANKS; i++)
    if (f->locked || f->cur.wpsn[i] != WPSN_FACTORY) {
      set_error(f, i, LF_FCH7_SR_WRPERR);
      return;
    }
  if (injected_failure(f, 0))
    return;
  erase_range(f, 0, LF_FCH7_SIZE);
  f->c->flash_mass_erases++;
  for (unsigned i = 0; i < NBANKS; i++)
    begin(f, i, OP_BANK, *t, bank_erase_ns(f, psize(&f->b[i])), i * LF_FCH7_BANK_SIZE,
          LF_FCH7_BANK_SIZE);
}

/* ------------------------------------------------------------------ */
/* Options                                                             */

static void start_options(lf_fch7 *f, uint64_t *t)
{
  if (f->opt_busy)
    stall_to(f, t, f->opt_end);
  settle_all(f, *t);
  if (rdp_of(f->cur.optsr) == 2) {
    f->changeerr = true;
    f->optcr &= ~LF_FCH7_OPTCR_OPTSTART;
    f->prg = f->cur;
    return;
  }
  if (injected_failure(f, 0)) {
    f->optcr &= ~LF_FCH7_OPTCR_OPTSTART;
    return;
  }
  lf_fch7_options n = f->prg;
  n.optsr = (n.optsr & OPTSR_WRITABLE) | (f->cur.optsr & ~OPTSR_WRITABLE & ~0x1u);
  double ns = f->p->h7_opt_ns;
  bool regress = rdp_of(f->cur.optsr) == 1 && rdp_of(n.optsr) == 0;
  f->c->flash_opt_writes++;
  if (regress) {
    for (unsigned i = 0; i < NBANKS; i++)
      wait_bank(f, i, t);
    erase_range(f, 0, LF_FCH7_SIZE);
    f->c->flash_mass_erases++;
    ns += bank_erase_ns(f, psize(&f->b[0]));
  }
  f->opt_new = n;
  f->opt_busy = true;
  f->opt_end = *t + ns_of(ns);
  f->c->flash_busy_ns += ns_of(ns);
  if (regress)
    for (unsigned i = 0; i < NBANKS; i++) {
      f->b[i].op = OP_BANK;
      f->b[i].settled = true; /* no EOP: not a bank operation of its own */
      f->b[i].end = f->opt_end;
      f->b[i].off = i * LF_FCH7_BANK_SIZE;
      f->b[i].len = LF_FCH7_BANK_SIZE;
    }
  settle_all(f, *t);
}

static bool key_write(lf_fch7 *f, int bi, uint32_t v)
{
  bool opt = bi < 0;
  unsigned *stage = opt ? &f->optkey_stage : &f->b[bi].key_stage;
  bool *dead = opt ? &f->optkey_dead : &f->b[bi].key_dead;
  uint32_t *reg = opt ? &f->optcr : &f->b[bi].cr;
  uint32_t lock = opt ? LF_FCH7_OPTCR_OPTLOCK : LF_FCH7_CR_LOCK;
  uint32_t k1 = opt ? LF_FCH7_OPTKEY1 : LF_FCH7_KEY1, k2 = opt ? LF_FCH7_OPTKEY2 : LF_FCH7_KEY2;
  bool locked = *reg & lock;
  if (!*dead && locked && *stage == 0 && v == k1) {
    *stage = 1;
    return true;
  }
  if (!*dead && locked && *stage == 1 && v == k2) {
    *stage = 0;
    *reg &= ~lock;
    return true;
  }
  *dead = true;
  *stage = 0;
  *reg |= lock;
  return false;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */

static uint32_t optsr_cur(const lf_fch7 *f)
{
  return f->cur.optsr | (f->opt_busy ? LF_FCH7_OPTSR_OPT_BUSY : 0) |
         (f->changeerr ? LF_FCH7_OPTSR_OPTCHANGEERR : 0);
}

static uint32_t bank_sr(const lf_fch7 *f, unsigned bi, uint64_t t)
{
  const bank *b = &f->b[bi];
  uint32_t v = b->sr;
  if (lf_fch7_busy(f, bi, t))
    v |= LF_FCH7_SR_BSY | LF_FCH7_SR_QW;
  if (b->wb_on)
    v |= LF_FCH7_SR_WBNE;
  return v;
}

/* A register of bank bi's own set (off within its 0x100 block), or of the
 * shared set (seen in both blocks). */
static uint32_t reg_read(lf_fch7 *f, lf_bus_master m, unsigned bi, uint32_t off, uint64_t *t)
{
  bank *b = &f->b[bi];
  switch (off) {
  case LF_FCH7_ACR: return f->acr;
  case LF_FCH7_CR: return b->cr;
  case LF_FCH7_SR:
    if (m == LF_BUS_CORE)
      wait_bank(f, bi, t); /* the polling loop */
    return bank_sr(f, bi, *t);
  case LF_FCH7_OPTCR:
    return f->optcr | ((f->cur.optsr >> 31) << 31);
  case LF_FCH7_OPTSR_CUR:
    if (m == LF_BUS_CORE && f->opt_busy) {
      stall_to(f, t, f->opt_end);
      settle_all(f, *t);
    }
    return optsr_cur(f);
  case LF_FCH7_OPTSR_PRG: return f->prg.optsr;
  case LF_FCH7_PRAR_CUR: return f->cur.prar[bi];
  case LF_FCH7_PRAR_PRG: return f->prg.prar[bi];
  case LF_FCH7_SCAR_CUR: return f->cur.scar[bi];
  case LF_FCH7_SCAR_PRG: return f->prg.scar[bi];
  case LF_FCH7_WPSN_CUR: return f->cur.wpsn[bi];
  case LF_FCH7_WPSN_PRG: return f->prg.wpsn[bi];
  case LF_FCH7_BOOT_CUR: return f->cur.boot;
  case LF_FCH7_BOOT_PRG: return f->prg.boot;
  case LF_FCH7_CRCCR: return b->crccr;
  case LF_FCH7_CRCSADD: return b->crcsadd;
  case LF_FCH7_CRCEADD: return b->crceadd;
  case LF_FCH7_CRCDATA: return b->crcdata;
  case LF_FCH7_ECC_FA: return b->ecc_fa;
  default: return 0; /* KEYR, OPTKEYR, OPTCCR write-only; reserved */
  }
}

static void prg_write(lf_fch7 *f, uint32_t *reg, uint32_t wv, uint32_t lanes, uint32_t mask,
                      uint64_t *t)
{
  if (f->opt_busy)
    stall_to(f, t, f->opt_end);
  settle_all(f, *t);
  if (!(f->optcr & LF_FCH7_OPTCR_OPTLOCK))
    *reg = (*reg & ~(lanes & mask)) | (wv & lanes & mask);
}

static int reg_write(lf_fch7 *f, unsigned bi, uint32_t off, uint32_t wv, uint32_t lanes, uint64_t *t)
{
  bank *b = &f->b[bi];
  switch (off) {
  case LF_FCH7_ACR: f->acr = (f->acr & ~(lanes & 0x3Fu)) | (wv & lanes & 0x3Fu); return LF_BUS_OK;
  case LF_FCH7_KEYR: return key_write(f, (int)bi, wv) ? LF_BUS_OK : LF_BUS_ERR;
  case LF_FCH7_OPTKEYR: return key_write(f, -1, wv) ? LF_BUS_OK : LF_BUS_ERR;
  case LF_FCH7_CR: {
    wait_bank(f, bi, t);
    if (b->cr & LF_FCH7_CR_LOCK)
      return LF_BUS_OK; /* ignored while locked */
    b->cr = (b->cr & ~(lanes & CR_WRITABLE)) | (wv & lanes & CR_WRITABLE);
    if (b->cr & LF_FCH7_CR_FW) {
      b->cr &= ~LF_FCH7_CR_FW;
      if (b->wb_on) {
        b->wb_mask = 0xFFFFFFFFu; /* missing bytes stay 0xFF */
        commit(f, bi, t);
      }
    }
    if ((b->cr & LF_FCH7_CR_START) && (wv & lanes & LF_FCH7_CR_START))
      start_erase(f, bi, *t);
    return LF_BUS_OK;
  }
  case LF_FCH7_CCR: b->sr &= ~(wv & lanes & SR_W1C); return LF_BUS_OK;
  case LF_FCH7_OPTCR: {
    if (f->opt_busy)
      stall_to(f, t, f->opt_end);
    settle_all(f, *t);
    if (f->optcr & LF_FCH7_OPTCR_OPTLOCK)
      return LF_BUS_OK;
    uint32_t n = (f->optcr & ~(lanes & 0x40000013u)) | (wv & lanes & 0x40000013u);
    f->optcr = n & ~(LF_FCH7_OPTCR_MER | LF_FCH7_OPTCR_OPTSTART);
    if (n & LF_FCH7_OPTCR_OPTLOCK)
      return LF_BUS_OK;
    if (n & LF_FCH7_OPTCR_MER)
      mass_erase(f, t);
    if (n & LF_FCH7_OPTCR_OPTSTART) {
      f->optcr |= LF_FCH7_OPTCR_OPTSTART;
      start_options(f, t);
    }
    return LF_BUS_OK;
  }
  case LF_FCH7_OPTCCR:
    if (wv & lanes & LF_FCH7_OPTSR_OPTCHANGEERR)
      f->changeerr = false;
    return LF_BUS_OK;
  case LF_FCH7_OPTSR_PRG: prg_write(f, &f->prg.optsr, wv, lanes, OPTSR_WRITABLE, t); return LF_BUS_OK;
  case LF_FCH7_PRAR_PRG: prg_write(f, &f->prg.prar[bi], wv, lanes, 0x8FFF0FFFu, t); return LF_BUS_OK;
  case LF_FCH7_SCAR_PRG: prg_write(f, &f->prg.scar[bi], wv, lanes, 0x8FFF0FFFu, t); return LF_BUS_OK;
  case LF_FCH7_WPSN_PRG: prg_write(f, &f->prg.wpsn[bi], wv, lanes, 0xFFu, t); return LF_BUS_OK;
  case LF_FCH7_BOOT_PRG: prg_write(f, &f->prg.boot, wv, lanes, 0xFFFFFFFFu, t); return LF_BUS_OK;
  case LF_FCH7_CRCCR: b->crccr = (b->crccr & ~lanes) | (wv & lanes & 0x00730707u); return LF_BUS_OK;
  case LF_FCH7_CRCSADD: b->crcsadd = (b->crcsadd & ~lanes) | (wv & lanes & 0x000FFFFCu); return LF_BUS_OK;
  case LF_FCH7_CRCEADD: b->crceadd = (b->crceadd & ~lanes) | (wv & lanes & 0x000FFFFCu); return LF_BUS_OK;
  default: return LF_BUS_OK; /* SR, _CUR, ECC_FA read-only; reserved */
  }
}

/* Bank 2's block (+0x100) has its own KEYR, CR, SR, CCR, PRAR, SCAR, WPSN,
 * CRC and ECC_FA registers and shows the shared ones (ACR, OPTKEYR, OPTCR,
 * OPTSR, OPTCCR, BOOT) at the same offsets (RM0433 register map as
 * recalled [unconf]). */
int lf_fch7_reg(lf_fch7 *f, lf_bus_master m, uint32_t off, unsigned size, bool write,
                uint32_t *val, uint64_t *t)
{
  unsigned bi = off >= LF_FCH7_BANK2 ? 1 : 0;
  uint32_t word = (off & ~3u) - bi * LF_FCH7_BANK2, sh = (off & 3) * 8;
  uint32_t lanes = lf_soc_lanes(off, size);
  settle_all(f, *t);
  if (!write) {
    *val = (reg_read(f, m, bi, word, t) & lanes) >> sh;
    return LF_BUS_OK;
  }
  return reg_write(f, bi, word, (*val << sh) & lanes, lanes, t);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static void corrupt(lf_fch7 *f, uint64_t t)
{
  for (unsigned i = 0; i < NBANKS; i++) {
    bank *b = &f->b[i];
    if (lf_fch7_busy(f, i, t))
      for (uint32_t k = 0; k < b->len; k++)
        f->array[b->off + k] = lf_soc_garbage(LF_FCH7_BASE + b->off + k);
    b->op = OP_NONE;
    b->cr &= ~LF_FCH7_CR_START;
    wb_drop(b);
  }
  if (f->opt_busy && t < f->opt_end) {
    f->opt_busy = false; /* the change did not happen [unconf] */
    f->optcr &= ~LF_FCH7_OPTCR_OPTSTART;
  } else if (f->opt_busy) {
    apply_options(f);
  }
}

void lf_fch7_power_loss(lf_fch7 *f, uint64_t t) { corrupt(f, t); }

void lf_fch7_reset(lf_fch7 *f, bool power, uint64_t t)
{
  (void)power;
  corrupt(f, t);
  for (unsigned i = 0; i < NBANKS; i++) {
    bank *b = &f->b[i];
    b->cr = CR_RESET;
    b->sr = 0;
    b->key_stage = 0;
    b->key_dead = false;
    b->ecc_fa = 0;
    b->crccr = b->crcsadd = b->crceadd = b->crcdata = 0;
  }
  f->acr = ACR_RESET;
  f->optcr = LF_FCH7_OPTCR_OPTLOCK;
  f->optkey_stage = 0;
  f->optkey_dead = false;
  f->changeerr = false;
  f->prg = f->cur;
}

lf_fch7 *lf_fch7_new(const lf_bench_params *p, lf_faults *faults, lf_soc_counters *counters)
{
  lf_fch7 *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->array = malloc(LF_FCH7_SIZE);
  f->ecc = calloc(1, lf_fch7_ecc_map_bytes());
  if (!f->array || !f->ecc) {
    lf_fch7_free(f);
    return NULL;
  }
  memset(f->array, 0xFF, LF_FCH7_SIZE);
  f->p = p;
  f->faults = faults;
  f->c = counters;
  f->cur = (lf_fch7_options){OPTSR_FACTORY, {WPSN_FACTORY, WPSN_FACTORY}, BOOT_FACTORY,
                             {AREA_EMPTY, AREA_EMPTY}, {AREA_EMPTY, AREA_EMPTY}};
  lf_fch7_reset(f, true, 0);
  return f;
}

void lf_fch7_free(lf_fch7 *f)
{
  if (!f)
    return;
  free(f->array);
  free(f->ecc);
  free(f);
}

uint8_t *lf_fch7_array(lf_fch7 *f) { return f->array; }
uint8_t *lf_fch7_ecc_map(lf_fch7 *f) { return f->ecc; }
size_t lf_fch7_ecc_map_bytes(void) { return NWORDS / 8; }
uint32_t lf_fch7_optsr(const lf_fch7 *f) { return f->cur.optsr; }
uint32_t lf_fch7_boot(const lf_fch7 *f) { return f->cur.boot; }
int lf_fch7_rdp_level(const lf_fch7 *f) { return rdp_of(f->cur.optsr); }
void lf_fch7_options_get(const lf_fch7 *f, lf_fch7_options *o) { *o = f->opt_busy ? f->opt_new : f->cur; }
void lf_fch7_set_locked(lf_fch7 *f, bool locked) { f->locked = locked; }
bool lf_fch7_locked(const lf_fch7 *f) { return f->locked; }

void lf_fch7_options_set(lf_fch7 *f, const lf_fch7_options *o)
{
  f->cur = *o;
  f->cur.optsr &= ~(LF_FCH7_OPTSR_OPT_BUSY | LF_FCH7_OPTSR_OPTCHANGEERR);
  for (unsigned i = 0; i < NBANKS; i++)
    f->cur.wpsn[i] &= 0xFFu;
  f->prg = f->cur;
  f->opt_busy = false;
}
