/* ADIv5 SW-DP (DPv2) + an AHB-AP at APSEL 0 and optional further MEM-APs
 * (lf_dap_cfg.more), one SWD transaction at a time.
 * Facts: stm32f7-target.md 10 (registers, bits, IDs), probe-protocols.md 4
 * (cycle counts, sequences). Bench choices (ADIv5 leaves them open or the
 * references do not say) are marked "bench:".
 *
 * Time: every transaction first charges its wire time to LF_CLK_SWD
 * (swd_read_cycles / swd_write_cycles when answered OK, swd_wait_cycles for
 * WAIT, FAULT and no-ACK: no data phase), then takes effect at the resulting
 * clk->now_ns. "Issued" (for the WAIT rule) is the time before the charge.
 * bench: SWCLK is 1 MHz until lf_dap_set_swclk is called.
 *
 * Protocol state (probe-protocols.md 4.2): after power-on the DP answers
 * nothing until a line reset (or JTAG-to-SWD, which ends in one); after a line
 * reset only a DPIDR read is answered until DPIDR has been read.
 *
 * Answers, in order of precedence for a synchronised, powered DP:
 *  1. an injected swd_fault fault on an AP access -> FAULT and STICKYERR;
 *  2. an injected swd_wait fault -> WAIT (bench: not for a DPIDR read or an
 *     ABORT write, which ADIv5 always answers, so a host can always recover);
 *  3. an AHB access still in progress -> WAIT for AP accesses and RDBUFF reads;
 *  4. a sticky error flag (STICKYERR, STICKYORUN, WDATAERR) -> FAULT for AP
 *     accesses and RDBUFF reads, so the failure of a single posted AP read is
 *     seen when its result is fetched (bench: other DP accesses stay answered;
 *     ADIv5 allows the DP to FAULT them too, but hosts only need DPIDR,
 *     CTRL/STAT and ABORT to recover).
 * The swd_fault counter counts AP transactions only (faults.h: "the Nth SWD AP
 * transaction"); the swd_wait counter counts every transaction.
 *
 * Not modeled: ORUNDETECT overrun detection (STICKYORUN is never set; OpenOCD
 * never enables it on ST-Link, probe-protocols.md 1.8), pushed compare/verify
 * (TRNMODE, STICKYCMP), MASKLANE/TRNCNT (stored only), WDATAERR (no parity
 * errors on a virtual wire), DLCR turnaround changes (cycle counts are params),
 * the JTAG-DP.
 *
 * Multidrop (lf_dap_add_drop; ADIv5.2 B4.3.4, nrf52-rp2040-targets.md 8):
 * the DPs of one wire share the clock, the SWCLK and the counters; every
 * sequence reaches each DP (each keeps its own mode and protocol state); a
 * transaction goes to the one DP that drives the line. Bench choices: a DP
 * that woke up (power-on, dormant-to-SWD) answers until a TARGETSEL names
 * another; two DPs answering at once collide (no ACK); a TARGETSEL write that
 * is not the first packet after a line reset is ignored.
 *
 * MEM-AP (bench choices):
 *  - Every AP keeps its own CSW and TAR and reaches its own bus; one
 *    transfer at a time is in progress on the whole DAP (the WAIT rule).
 *    An APSEL with no AP (IDR 0) reads 0 everywhere and ignores writes.
 *  - An APB-AP (IDR type 2) transfers 32-bit words only: CSW.Size reads 2
 *    whatever was written, CSW resets to 0x80000042 (DbgSwEnable, DeviceEn,
 *    Size word; the value is a bench choice, ADIv5 leaves it to the
 *    implementation), HPROT bits do not exist.
 *  - TAR auto-increment wraps inside the 1 KiB block (TAR[9:0]), dap.h.
 *  - A control AP (lf_dap_cfg.ctrl_aps, the nRF52 CTRL-AP) is no MEM-AP: its
 *    registers, IDR included, are its bus's, always answered OK.
 *  - DRW/BDx transfers need CDBGPWRUPACK and CSYSPWRUPACK; without them the
 *    transfer fails like an AHB error (STICKYERR), no bus access is made
 *    (ADIv5: implementation defined).
 *  - A failed transfer does not increment TAR.
 *  - BD0-BD3 always make 32-bit accesses at (TAR & ~0xF) + 4n, no increment.
 *  - Packed AddrInc behaves as single; Size values above word are ignored on
 *    write (the previous size is kept), as the AHB-AP only implements 8/16/32.
 *  - The bus convention is lf_bus's: size in bytes, value right-aligned;
 *    DRW carries sub-word data on byte lanes (lane = address & 3).
 *  - CSW reset value 0x23000040: DeviceEn, HPROT data+privileged, MasterType
 *    debug (stm32f7-target.md 10.3 observed HPROT 0xB through an ST-LINK,
 *    which may be the probe's own write; the reset value is unconfirmed). */
#include "bench/dap.h"

#include <stdlib.h>
#include <string.h>

/* CTRL/STAT (stm32f7-target.md 10.2) */
#define CS_ORUNDETECT 0x00000001u
#define CS_STICKYORUN 0x00000002u
#define CS_STICKYCMP 0x00000010u
#define CS_STICKYERR 0x00000020u
#define CS_READOK 0x00000040u
#define CS_WDATAERR 0x00000080u
#define CS_CDBGRSTREQ 0x04000000u
#define CS_CDBGRSTACK 0x08000000u
#define CS_CDBGPWRUPREQ 0x10000000u
#define CS_CDBGPWRUPACK 0x20000000u
#define CS_CSYSPWRUPREQ 0x40000000u
#define CS_CSYSPWRUPACK 0x80000000u
/* ORUNDETECT, TRNMODE, MASKLANE, TRNCNT and the three requests. */
#define CS_WRITABLE 0x54FFFF0Du
#define CS_STICKY_FAULT (CS_STICKYORUN | CS_STICKYERR | CS_WDATAERR)

/* ABORT (write to DP 0x0) */
#define AB_DAPABORT 0x01u
#define AB_STKCMPCLR 0x02u
#define AB_STKERRCLR 0x04u
#define AB_WDERRCLR 0x08u
#define AB_ORUNERRCLR 0x10u

/* AHB-AP registers (stm32f7-target.md 10.3) */
#define AP_CSW 0x00u
#define AP_TAR 0x04u
#define AP_DRW 0x0Cu
#define AP_BD0 0x10u
#define AP_BD3 0x1Cu
#define AP_CFG 0xF4u
#define AP_BASE 0xF8u
#define AP_IDR 0xFCu
#define CSW_SIZE 0x00000007u
#define CSW_ADDRINC 0x00000030u
#define CSW_DEVICEEN 0x00000040u
#define CSW_TRINPROG 0x00000080u
#define CSW_WRITABLE 0xFF000037u /* Size, AddrInc, Prot 30:24, DbgSwEnable */
#define CSW_RESET 0x23000040u
#define AHB_AP_CM4_IDR 0x24770011u
#define CSW_APB_WRITABLE 0x80000030u /* AddrInc, DbgSwEnable */
#define CSW_APB_RESET 0x80000042u
#define IDR_TYPE_APB 0x2u

#define DLPIDR_VALUE 0x00000001u /* PROTVSN 1 (SWD protocol v2), TINSTANCE 0 */

typedef enum { PROTO_LOCKOUT, PROTO_NEED_DPIDR, PROTO_ACTIVE } proto_state;
typedef enum { SEL_ANY, SEL_YES, SEL_NO } drop_sel; /* multidrop selection */
typedef enum { TS_IDLE, TS_ARMED, TS_REQ, TS_DATA } ts_state; /* raw TARGETSEL decoder */
#define TARGETSEL_REQ 0x99u /* start, DP, write, A = 0xC, parity 0, stop, park (LSB first) */
typedef enum { MODE_JTAG, MODE_SWD, MODE_DORMANT } wire_mode;

/* Bit history of lf_dap_swj_bits: the newest bit at bit 0 of h[0]. */
#define HIST_WORDS 3
typedef struct bit_hist { uint64_t h[HIST_WORDS]; } bit_hist;

/* The sequences the SWJ-DP recognises, as bit patterns ending with their
 * last bit (lf_dap_new builds them once per DAP). */
enum { PAT_LINE_RESET, PAT_JTAG_TO_SWD, PAT_SWD_TO_JTAG, PAT_SWD_TO_DORMANT, PAT_JTAG_TO_DORMANT,
       PAT_DORMANT_TO_SWD, PAT_DORMANT_TO_JTAG, NPAT };
static void build_patterns(bit_hist pats[NPAT], unsigned len[NPAT]);

/* One MEM-AP: identity, bus, and its CSW/TAR. */
typedef struct mem_ap {
  uint32_t idr, base;
  lf_bus bus;
  bool apb;           /* APB-AP: word accesses only */
  bool regs;          /* a control AP: registers on bus (lf_dap_cfg.ctrl_aps) */
  uint32_t csw, tar;
  uint32_t tar_wrap;  /* auto-increment block (power of two) */
} mem_ap;

/* TAR auto-increment block of an AP: the Cortex-M3/M4 AHB-AP (IDR
 * 0x24770011, variant 1) increments across 4 KiB, the others across the
 * 1 KiB ADIv5 guarantees (dap.h). */
static uint32_t wrap_of(uint32_t idr) { return idr == AHB_AP_CM4_IDR ? 0x1000u : 0x400u; }

/* One power-up handshake (debug or system): the ACK follows the request after
 * dp_pwrup_ack_ns; with dp_pwrdown_ack_never_clears it never drops. */
typedef struct pwr_hs {
  bool req;
  bool ack_from;  /* ACK before the last change */
  bool ack_to;    /* ACK after the delay */
  uint64_t t_change;
} pwr_hs;

struct lf_dap {
  lf_dap_cfg cfg;
  lf_clock *clk;
  const lf_bench_params *p;
  lf_faults *faults;
  lf_dap_counters c;
  double hz;
  bool powered;
  proto_state proto;
  wire_mode mode;
  bit_hist hist;      /* the last raw bits driven (lf_dap_swj_bits) */
  bit_hist pat[NPAT]; /* the sequences recognised (build_patterns) */
  unsigned pat_len[NPAT];
  uint32_t ctrl;      /* writable CTRL/STAT bits */
  uint32_t sticky;    /* STICKYORUN/STICKYCMP/STICKYERR/WDATAERR */
  bool readok;
  pwr_hs dbg, sys;
  uint32_t select;
  uint32_t dlcr;
  uint32_t rdbuff;    /* result of the last AP read */
  uint32_t last_read; /* value returned by the last OK read (RESEND) */
  uint64_t busy_until;
  mem_ap ap[LF_DAP_MAX_APS];
  /* multidrop: the head owns the wire (drop[0] = itself) */
  lf_dap *drop[LF_DAP_MAX_DROPS];
  unsigned ndrops;
  drop_sel sel;
  lf_dap_counters *cnt; /* the head's counters */
  ts_state ts;
  unsigned ts_n;
  uint64_t ts_v;
};

static void charge_cycles(lf_dap *d, double cycles)
{
  uint64_t n = cycles > 0 ? (uint64_t)(cycles + 0.5) : 0;
  lf_clock_advance(d->clk, LF_CLK_SWD, lf_clock_cycles_ns(n, d->hz));
}

static bool pwr_ack(const lf_dap *d, const pwr_hs *h)
{
  double delay = d->p->dp_pwrup_ack_ns > 0 ? d->p->dp_pwrup_ack_ns : 0;
  return d->clk->now_ns >= h->t_change + (uint64_t)(delay + 0.5) ? h->ack_to : h->ack_from;
}

static void pwr_request(lf_dap *d, pwr_hs *h, bool req)
{
  if (req == h->req)
    return;
  bool now_ack = pwr_ack(d, h);
  bool prev_to = h->ack_to;
  h->req = req;
  h->ack_from = now_ack;
  h->t_change = d->clk->now_ns;
  if (req)
    h->ack_to = true;
  else
    h->ack_to = d->p->dp_pwrdown_ack_never_clears != 0 ? (now_ack || prev_to) : false;
}

static uint32_t ctrlstat(const lf_dap *d)
{
  uint32_t v = d->ctrl | d->sticky;
  if (d->readok)
    v |= CS_READOK;
  if (d->ctrl & CS_CDBGRSTREQ)
    v |= CS_CDBGRSTACK; /* bench: the debug reset is acknowledged at once */
  if (pwr_ack(d, &d->dbg))
    v |= CS_CDBGPWRUPACK;
  if (pwr_ack(d, &d->sys))
    v |= CS_CSYSPWRUPACK;
  return v;
}

static void dp_reset_state(lf_dap *d)
{
  d->proto = PROTO_LOCKOUT;
  d->mode = d->cfg.dormant_at_power_on ? MODE_DORMANT : MODE_JTAG; /* SWJ-DP: JTAG after power-on */
  d->sel = SEL_ANY;
  d->ts = TS_IDLE;
  memset(&d->hist, 0, sizeof d->hist);
  d->ctrl = 0;
  d->sticky = 0;
  d->readok = false;
  memset(&d->dbg, 0, sizeof d->dbg);
  memset(&d->sys, 0, sizeof d->sys);
  d->select = 0;
  d->dlcr = 0;
  d->rdbuff = 0;
  d->last_read = 0;
  d->busy_until = 0;
  for (unsigned i = 0; i < LF_DAP_MAX_APS; i++) {
    d->ap[i].csw = d->ap[i].apb ? CSW_APB_RESET : CSW_RESET;
    d->ap[i].tar = 0;
  }
}

lf_dap *lf_dap_new(const lf_dap_cfg *cfg, lf_clock *clk, const lf_bench_params *p, lf_bus bus,
                   lf_faults *faults)
{
  lf_dap *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->cfg = *cfg;
  d->clk = clk;
  d->p = p;
  d->ap[0] = (mem_ap){cfg->ap_idr, cfg->ap_base, bus, false, false, 0, 0,
                      cfg->tar_wrap ? cfg->tar_wrap : wrap_of(cfg->ap_idr)};
  for (unsigned i = 1; i < LF_DAP_MAX_APS; i++) {
    const lf_dap_ap *m = &cfg->more[i - 1];
    if (m->idr && m->bus.access)
      d->ap[i] = (mem_ap){m->idr, m->base, m->bus, (m->idr & 0xFu) == IDR_TYPE_APB,
                          (cfg->ctrl_aps >> (i - 1) & 1u) != 0, 0, 0,
                          wrap_of(m->idr)};
  }
  if (cfg->no_ap)
    memset(d->ap, 0, sizeof d->ap);
  d->faults = faults;
  d->hz = 1e6;
  d->powered = true;
  d->cnt = &d->c;
  d->drop[0] = d;
  d->ndrops = 1;
  build_patterns(d->pat, d->pat_len);
  dp_reset_state(d);
  return d;
}

void lf_dap_free(lf_dap *d)
{
  if (!d)
    return;
  for (unsigned i = 1; i < d->ndrops; i++)
    free(d->drop[i]);
  free(d);
}

int lf_dap_add_drop(lf_dap *head, const lf_dap_cfg *cfg, lf_bus bus)
{
  if (head->ndrops >= LF_DAP_MAX_DROPS)
    return -1;
  lf_dap *d = lf_dap_new(cfg, head->clk, head->p, bus, head->faults);
  if (!d)
    return -1;
  d->cnt = &head->c;
  d->hz = head->hz;
  d->powered = head->powered;
  dp_reset_state(d);
  head->drop[head->ndrops++] = d;
  return 0;
}

int lf_dap_selected(const lf_dap *head)
{
  int found = -1;
  for (unsigned i = 0; i < head->ndrops; i++)
    if (head->drop[i]->sel != SEL_NO && head->drop[i]->mode == MODE_SWD) {
      if (found >= 0)
        return -1;
      found = (int)i;
    }
  return found;
}

void lf_dap_set_swclk(lf_dap *d, double hz)
{
  for (unsigned i = 0; i < d->ndrops; i++)
    d->drop[i]->hz = hz;
}
double lf_dap_swclk(const lf_dap *d) { return d->hz; }

void lf_dap_line_reset(lf_dap *d)
{
  d->cnt->sequences++;
  charge_cycles(d, d->p->swd_line_reset_bits);
  for (unsigned i = 0; i < d->ndrops; i++) {
    lf_dap *x = d->drop[i];
    /* bench: the ST-LINK's own sequence, SWD assumed (a dormant multidrop DP
     * does not wake up on it) */
    if (x->powered && (x->mode != MODE_DORMANT || d->ndrops == 1)) {
      x->proto = PROTO_NEED_DPIDR;
      x->mode = MODE_SWD;
    }
    memset(&x->hist, 0, sizeof x->hist);
  }
  d->ts = TS_ARMED;
}

void lf_dap_jtag_to_swd(lf_dap *d)
{
  d->cnt->sequences++;
  charge_cycles(d, d->p->swd_jtag_to_swd_bits);
  for (unsigned i = 0; i < d->ndrops; i++) {
    lf_dap *x = d->drop[i];
    /* bench: the ST-LINK's own sequence; a dormant multidrop DP ignores it */
    if (x->powered && (x->mode != MODE_DORMANT || d->ndrops == 1)) {
      x->proto = PROTO_NEED_DPIDR; /* the sequence ends with a line reset */
      x->mode = MODE_SWD;
    }
    memset(&x->hist, 0, sizeof x->hist);
  }
  d->ts = TS_ARMED;
}

/* ---- raw bit sequences (probe-protocols.md 4.2) ---- */

static void hist_push(bit_hist *h, unsigned bit)
{
  for (int i = HIST_WORDS - 1; i > 0; i--)
    h->h[i] = h->h[i] << 1 | h->h[i - 1] >> 63;
  h->h[0] = h->h[0] << 1 | (bit & 1u);
}

/* Pushes `nbits` bits of `bytes` (LSB first) into h. */
static void hist_push_bytes(bit_hist *h, const uint8_t *bytes, unsigned nbits)
{
  for (unsigned i = 0; i < nbits; i++)
    hist_push(h, bytes[i / 8] >> (i % 8) & 1u);
}

/* Whether the newest `n` bits of h equal the newest n bits of pat. */
static bool hist_match(const bit_hist *h, const bit_hist *pat, unsigned n)
{
  for (unsigned i = 0; i < HIST_WORDS && n; i++) {
    unsigned k = n >= 64 ? 64 : n;
    uint64_t mask = k == 64 ? ~0ull : (1ull << k) - 1;
    if ((h->h[i] ^ pat->h[i]) & mask)
      return false;
    n -= k;
  }
  return true;
}

/* Selection alert (128 bits), then 4 zeros and an activation code:
 * 0x1A (8 bits) selects SWD, 0x000 (12 bits) JTAG. */
static const uint8_t alert[16] = {0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86,
                                  0xE9, 0xAF, 0xDD, 0xE3, 0xA2, 0x0E, 0xBC, 0x19};
#define ALERT_SWD_BITS (128 + 4 + 8)
#define ALERT_JTAG_BITS (128 + 4 + 12)

static void alert_pattern(bit_hist *pat, bool swd)
{
  static const uint8_t zeros[2] = {0, 0}, act_swd = 0x1A;
  memset(pat, 0, sizeof *pat);
  hist_push_bytes(pat, alert, 128);
  hist_push_bytes(pat, zeros, 4);
  if (swd)
    hist_push_bytes(pat, &act_swd, 8);
  else
    hist_push_bytes(pat, zeros, 12);
}


static unsigned pattern_ones(bit_hist *p, unsigned n)
{
  for (unsigned i = 0; i < n; i++)
    hist_push(p, 1);
  return n;
}

/* Fills pats[] and their lengths. */
static void build_patterns(bit_hist pats[NPAT], unsigned len[NPAT])
{
  static const uint8_t zero = 0, jtag_swd[2] = {0x9E, 0xE7}, swd_jtag[2] = {0x3C, 0xE7},
                       swd_dormant[2] = {0xBC, 0xE3}, jtag_dormant[4] = {0xBA, 0xBB, 0xBB, 0x33};
  static const struct { const uint8_t *code; unsigned ones, bits; } codes[] = {
    [PAT_LINE_RESET] = {&zero, 50, 1},          /* >= 50 ones ended by a zero */
    [PAT_JTAG_TO_SWD] = {jtag_swd, 50, 16},     /* 0xE79E */
    [PAT_SWD_TO_JTAG] = {swd_jtag, 50, 16},     /* 0xE73C */
    [PAT_SWD_TO_DORMANT] = {swd_dormant, 50, 16}, /* 0xE3BC */
    [PAT_JTAG_TO_DORMANT] = {jtag_dormant, 5, 31}, /* 0x33BBBBBA after >= 5 TMS ones */
  };
  memset(pats, 0, NPAT * sizeof pats[0]);
  for (unsigned i = 0; i < PAT_DORMANT_TO_SWD; i++) {
    len[i] = pattern_ones(&pats[i], codes[i].ones) + codes[i].bits;
    hist_push_bytes(&pats[i], codes[i].code, codes[i].bits);
  }
  alert_pattern(&pats[PAT_DORMANT_TO_SWD], true);
  len[PAT_DORMANT_TO_SWD] = ALERT_SWD_BITS;
  alert_pattern(&pats[PAT_DORMANT_TO_JTAG], false);
  len[PAT_DORMANT_TO_JTAG] = ALERT_JTAG_BITS;
}

static void swj_bit(lf_dap *d, unsigned bit)
{
  hist_push(&d->hist, bit);
  const bit_hist *p = d->pat;
  const unsigned *n = d->pat_len;
  switch (d->mode) {
  case MODE_SWD:
    if (hist_match(&d->hist, &p[PAT_SWD_TO_JTAG], n[PAT_SWD_TO_JTAG])) {
      d->mode = MODE_JTAG;
      d->proto = PROTO_LOCKOUT;
    } else if (hist_match(&d->hist, &p[PAT_SWD_TO_DORMANT], n[PAT_SWD_TO_DORMANT])) {
      d->mode = MODE_DORMANT;
      d->proto = PROTO_LOCKOUT;
    } else if (hist_match(&d->hist, &p[PAT_LINE_RESET], n[PAT_LINE_RESET])) {
      d->proto = PROTO_NEED_DPIDR;
    }
    break;
  case MODE_JTAG:
    if (hist_match(&d->hist, &p[PAT_JTAG_TO_SWD], n[PAT_JTAG_TO_SWD])) {
      d->mode = MODE_SWD; /* locked out until the line reset that follows */
      d->proto = PROTO_LOCKOUT;
    } else if (hist_match(&d->hist, &p[PAT_JTAG_TO_DORMANT], n[PAT_JTAG_TO_DORMANT])) {
      d->mode = MODE_DORMANT;
    }
    break;
  case MODE_DORMANT:
    if (hist_match(&d->hist, &p[PAT_DORMANT_TO_SWD], n[PAT_DORMANT_TO_SWD])) {
      d->mode = MODE_SWD;
      d->proto = PROTO_LOCKOUT;
      d->sel = SEL_ANY;
    } else if (hist_match(&d->hist, &p[PAT_DORMANT_TO_JTAG], n[PAT_DORMANT_TO_JTAG])) {
      d->mode = MODE_JTAG;
    }
    break;
  }
}

static void apply_targetsel(lf_dap *head, uint32_t v)
{
  for (unsigned i = 0; i < head->ndrops; i++) {
    lf_dap *x = head->drop[i];
    if (!x->powered || x->mode != MODE_SWD || x->proto != PROTO_NEED_DPIDR)
      continue;
    if (x->cfg.targetsel == v) {
      x->sel = SEL_YES;
    } else {
      x->sel = SEL_NO;
      x->proto = PROTO_LOCKOUT; /* until the next line reset */
    }
  }
}

/* The head's decoder of a TARGETSEL packet driven as raw bits. */
static void ts_bit(lf_dap *d, unsigned bit)
{
  if (hist_match(&d->hist, &d->pat[PAT_LINE_RESET], d->pat_len[PAT_LINE_RESET])) {
    d->ts = TS_ARMED;
    return;
  }
  switch (d->ts) {
  case TS_IDLE: return;
  case TS_ARMED:
    if (bit) {
      d->ts = TS_REQ;
      d->ts_n = 1;
      d->ts_v = 1;
    }
    return;
  case TS_REQ:
    d->ts_v |= (uint64_t)bit << d->ts_n++;
    if (d->ts_n == 8) {
      d->ts = d->ts_v == TARGETSEL_REQ ? TS_DATA : TS_IDLE;
      d->ts_n = 0;
      d->ts_v = 0;
    }
    return;
  case TS_DATA:
    d->ts_v |= (uint64_t)bit << d->ts_n++;
    if (d->ts_n == 33) {
      uint32_t v = (uint32_t)d->ts_v;
      unsigned par = (unsigned)__builtin_popcount(v) & 1u;
      if (par == (unsigned)(d->ts_v >> 32 & 1u))
        apply_targetsel(d, v);
      d->ts = TS_IDLE;
    }
    return;
  }
}

void lf_dap_swj_bits(lf_dap *d, const uint8_t *data, unsigned nbits)
{
  d->cnt->sequences++;
  charge_cycles(d, nbits);
  for (unsigned i = 0; i < nbits; i++) {
    unsigned bit = data[i / 8] >> (i % 8) & 1u;
    for (unsigned k = 0; k < d->ndrops; k++)
      if (d->drop[k]->powered)
        swj_bit(d->drop[k], bit);
    if (d->ndrops > 1)
      ts_bit(d, bit);
  }
}

const char *lf_dap_mode(const lf_dap *d)
{
  static const char *const names[] = {"jtag", "swd", "dormant"};
  return names[d->mode];
}

void lf_dap_idle(lf_dap *d, uint64_t cycles)
{
  lf_clock_advance(d->clk, LF_CLK_SWD, lf_clock_cycles_ns(cycles, d->hz));
}

void lf_dap_set_power(lf_dap *d, bool on)
{
  for (unsigned i = 0; i < d->ndrops; i++) {
    d->drop[i]->powered = on;
    dp_reset_state(d->drop[i]);
  }
}

bool lf_dap_powered(const lf_dap *d) { return d->powered; }

const lf_dap_counters *lf_dap_counters_get(const lf_dap *d) { return &d->c; }

/* ---- MEM-AP data path ---- */

static bool powered_up(const lf_dap *d)
{
  return pwr_ack(d, &d->dbg) && pwr_ack(d, &d->sys);
}

static unsigned csw_bytes(uint32_t csw)
{
  static const unsigned bytes[8] = {1, 2, 4, 4, 4, 4, 4, 4};
  return bytes[csw & CSW_SIZE];
}

/* One AHB access by the AP at the current time; returns false on error
 * (STICKYERR set). `data` is the DRW image (byte lanes) for sub-word sizes. */
static bool ap_bus(lf_dap *d, mem_ap *ap, uint32_t addr, unsigned size, bool write, uint32_t *data)
{
  if (!powered_up(d)) {
    d->sticky |= CS_STICKYERR;
    return false;
  }
  /* bench: an unaligned halfword/word is made aligned (ADIv5: unpredictable) */
  uint32_t a = size == 4 ? addr & ~3u : (size == 2 ? addr & ~1u : addr);
  unsigned shift = 8 * (a & 3u);
  uint32_t mask = size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1);
  uint32_t val = write ? (*data >> shift) & mask : 0;
  uint64_t t = d->clk->now_ns;
  int rc = ap->bus.access(ap->bus.ctx, LF_BUS_DEBUG, a, size, write, &val, &t);
  if (write)
    d->cnt->bus_writes++;
  else
    d->cnt->bus_reads++;
  if (t > d->clk->now_ns)
    d->busy_until = t;
  if (rc != LF_BUS_OK) {
    d->sticky |= CS_STICKYERR;
    if (!write)
      *data = 0;
    return false;
  }
  if (!write)
    *data = (val & mask) << shift;
  return true;
}

static void tar_increment(mem_ap *ap, unsigned size)
{
  if ((ap->csw & CSW_ADDRINC) == 0)
    return; /* off; packed (2) behaves as single (1) */
  uint32_t m = ap->tar_wrap - 1;
  ap->tar = (ap->tar & ~m) | ((ap->tar + size) & m);
}

/* The AP SELECT names, or NULL when there is none at that APSEL. */
static mem_ap *selected_ap(lf_dap *d)
{
  uint32_t apsel = d->select >> 24;
  return apsel < LF_DAP_MAX_APS && d->ap[apsel].idr ? &d->ap[apsel] : NULL;
}

static uint32_t ap_read(lf_dap *d, uint8_t reg)
{
  uint32_t v = 0;
  mem_ap *ap = selected_ap(d);
  if (!ap)
    return 0;
  if (ap->regs) {
    uint64_t t = d->clk->now_ns;
    ap->bus.access(ap->bus.ctx, LF_BUS_DEBUG, reg, 4, false, &v, &t);
    return v;
  }
  switch (reg) {
  case AP_CSW:
    v = ap->csw | CSW_DEVICEEN;
    if (d->busy_until > d->clk->now_ns)
      v |= CSW_TRINPROG;
    return v;
  case AP_TAR: return ap->tar;
  case AP_DRW: {
    unsigned size = csw_bytes(ap->csw);
    if (ap_bus(d, ap, ap->tar, size, false, &v))
      tar_increment(ap, size);
    return v;
  }
  case AP_CFG: return 0; /* little-endian, no large address/data */
  case AP_BASE: return ap->base;
  case AP_IDR: return ap->idr;
  default:
    if (reg >= AP_BD0 && reg <= AP_BD3)
      ap_bus(d, ap, (ap->tar & ~0xFu) + (reg - AP_BD0), 4, false, &v);
    return v;
  }
}

static void ap_write(lf_dap *d, uint8_t reg, uint32_t v)
{
  mem_ap *ap = selected_ap(d);
  if (!ap)
    return;
  if (ap->regs) {
    uint64_t t = d->clk->now_ns;
    ap->bus.access(ap->bus.ctx, LF_BUS_DEBUG, reg, 4, true, &v, &t);
    return;
  }
  switch (reg) {
  case AP_CSW: {
    if (ap->apb) {
      ap->csw = (ap->csw & ~CSW_APB_WRITABLE) | (v & CSW_APB_WRITABLE);
      return;
    }
    uint32_t n = (ap->csw & ~CSW_WRITABLE) | (v & CSW_WRITABLE);
    if ((v & CSW_SIZE) > 2)
      n = (n & ~CSW_SIZE) | (ap->csw & CSW_SIZE);
    ap->csw = n;
    return;
  }
  case AP_TAR: ap->tar = v; return;
  case AP_DRW: {
    unsigned size = csw_bytes(ap->csw);
    if (ap_bus(d, ap, ap->tar, size, true, &v))
      tar_increment(ap, size);
    return;
  }
  default:
    if (reg >= AP_BD0 && reg <= AP_BD3)
      ap_bus(d, ap, (ap->tar & ~0xFu) + (reg - AP_BD0), 4, true, &v);
    return; /* CFG, BASE, IDR and reserved offsets are read-only */
  }
}

/* ---- DP ---- */

static uint32_t dp_read(lf_dap *d, uint8_t a)
{
  switch (a) {
  case 0x0: return d->cfg.dpidr;
  case 0x4:
    switch (d->select & 0xFu) {
    case 0: return ctrlstat(d);
    case 1: return d->dlcr;
    case 2: return d->cfg.targetid;
    case 3: return d->cfg.dlpidr ? d->cfg.dlpidr : DLPIDR_VALUE;
    default: return 0; /* EVENTSTAT (bank 4): 0 [unconf: no event model]; others reserved */
    }
  case 0x8: return d->last_read; /* RESEND */
  default: return d->rdbuff;      /* RDBUFF: no new AP access */
  }
}

static void dp_write(lf_dap *d, uint8_t a, uint32_t v)
{
  switch (a) {
  case 0x0:
    if (v & AB_DAPABORT)
      d->busy_until = 0; /* the host gives up on the transfer in progress */
    if (v & AB_STKCMPCLR)
      d->sticky &= ~CS_STICKYCMP;
    if (v & AB_STKERRCLR)
      d->sticky &= ~CS_STICKYERR;
    if (v & AB_WDERRCLR)
      d->sticky &= ~CS_WDATAERR;
    if (v & AB_ORUNERRCLR)
      d->sticky &= ~CS_STICKYORUN;
    return;
  case 0x4:
    if ((d->select & 0xFu) == 0) {
      d->ctrl = v & CS_WRITABLE;
      pwr_request(d, &d->dbg, (v & CS_CDBGPWRUPREQ) != 0);
      pwr_request(d, &d->sys, (v & CS_CSYSPWRUPREQ) != 0);
      if (d->cfg.ctrl_written)
        d->cfg.ctrl_written(d->cfg.ctrl_ctx, v, d->clk->now_ns);
    } else if ((d->select & 0xFu) == 1) {
      d->dlcr = v & 0x00000300u; /* TURNROUND (stored; the cycle counts are params) */
    }
    return;
  case 0x8: d->select = v; return;
  default: return; /* TARGETSEL: single-drop target, ignored */
  }
}

static lf_swd_ack finish(lf_dap *d, lf_swd_ack ack)
{
  if (ack == LF_SWD_OK)
    return ack;
  if (ack == LF_SWD_WAIT)
    d->cnt->waits++;
  else if (ack == LF_SWD_FAULT)
    d->cnt->faults++;
  else
    d->cnt->noacks++;
  charge_cycles(d, d->p->swd_wait_cycles);
  return ack;
}

static lf_swd_ack transact1(lf_dap *d, bool apndp, bool rnw, uint8_t a, uint32_t *data);

lf_swd_ack lf_dap_transact(lf_dap *d, bool apndp, bool rnw, uint8_t a, uint32_t *data)
{
  if (d->ndrops == 1)
    return transact1(d, apndp, rnw, a, data);
  a &= 0xC;
  d->ts = TS_IDLE;
  if (!apndp && !rnw && a == 0xC) {
    bool reset_state = false;
    for (unsigned i = 0; i < d->ndrops; i++)
      reset_state |= d->drop[i]->powered && d->drop[i]->mode == MODE_SWD &&
                     d->drop[i]->proto == PROTO_NEED_DPIDR;
    if (reset_state) {
      /* nobody drives the ACK; the data phase is still clocked */
      d->cnt->transactions++;
      d->cnt->dp_writes++;
      charge_cycles(d, d->p->swd_write_cycles);
      apply_targetsel(d, *data);
      return LF_SWD_NOACK;
    }
  }
  lf_dap *who = NULL;
  unsigned n = 0;
  for (unsigned i = 0; i < d->ndrops; i++) {
    lf_dap *x = d->drop[i];
    if (x->powered && x->mode == MODE_SWD && x->sel != SEL_NO && x->proto != PROTO_LOCKOUT) {
      who = x;
      n++;
    }
  }
  if (n != 1) {
    d->cnt->transactions++;
    return finish(d, LF_SWD_NOACK); /* nobody, or a collision (bench) */
  }
  return transact1(who, apndp, rnw, a, data);
}

static lf_swd_ack transact1(lf_dap *d, bool apndp, bool rnw, uint8_t a, uint32_t *data)
{
  a &= 0xC;
  d->cnt->transactions++;
  memset(&d->hist, 0, sizeof d->hist); /* a packet ends any sequence on the line */
  if (apndp)
    rnw ? d->cnt->ap_reads++ : d->cnt->ap_writes++;
  else
    rnw ? d->cnt->dp_reads++ : d->cnt->dp_writes++;
  lf_fault *fw = d->faults ? lf_faults_event(d->faults, LF_FAULT_SWD_WAIT) : NULL;
  lf_fault *ff = (d->faults && apndp) ? lf_faults_event(d->faults, LF_FAULT_SWD_FAULT) : NULL;

  bool dpidr_read = !apndp && rnw && a == 0x0;
  bool abort_write = !apndp && !rnw && a == 0x0;
  if (!d->powered || d->mode != MODE_SWD || d->proto == PROTO_LOCKOUT ||
      (d->proto == PROTO_NEED_DPIDR && !dpidr_read))
    return finish(d, LF_SWD_NOACK);
  if (ff) {
    d->sticky |= CS_STICKYERR;
    if (rnw)
      d->readok = false;
    return finish(d, LF_SWD_FAULT);
  }
  if (fw && !dpidr_read && !abort_write)
    return finish(d, LF_SWD_WAIT);
  uint64_t issued = d->clk->now_ns;
  if ((apndp || (rnw && a == 0xC)) && d->busy_until > issued)
    return finish(d, LF_SWD_WAIT);
  if ((apndp || (rnw && a == 0xC)) && (d->sticky & CS_STICKY_FAULT)) {
    if (rnw)
      d->readok = false;
    return finish(d, LF_SWD_FAULT);
  }

  charge_cycles(d, rnw ? d->p->swd_read_cycles : d->p->swd_write_cycles);
  uint8_t reg = (uint8_t)(((d->select >> 4) & 0xFu) << 4 | a);
  if (apndp && rnw) {
    uint32_t posted = d->rdbuff;
    d->rdbuff = ap_read(d, reg);
    d->readok = true;
    d->last_read = posted;
    *data = posted;
  } else if (apndp) {
    ap_write(d, reg, *data);
  } else if (rnw) {
    *data = dp_read(d, a);
    d->last_read = *data;
    if (a == 0xC)
      d->readok = true;
    if (dpidr_read)
      d->proto = PROTO_ACTIVE;
  } else {
    dp_write(d, a, *data);
  }
  return LF_SWD_OK;
}
