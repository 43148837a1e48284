/* ST-LINK firmware model at the USB level (probe-protocols.md 1).
 *
 * USB framing (1.2): a command is one 16-byte bulk OUT transfer on the command
 * endpoint; commands with a data OUT phase (WRITEMEM_*, RW_MISC_OUT) take the
 * next OUT transfer on the same endpoint as their data; replies wait on EP
 * 0x81 until the host reads them. Every transfer costs its wire time
 * (lf_vstlink_usb_wire_ns) on LF_CLK_USB, plus usb_{fs,hs}_transfer_latency_ns when it
 * starts a round trip (outside a batch, or first of a batch); every decoded command costs stlink_cmd_ns on LF_CLK_FW; each
 * SWD transaction the firmware makes is preceded by stlink_swd_gap_ns on
 * LF_CLK_FW and costs its own wire time inside lf_dap (LF_CLK_SWD).
 *
 * Bench choices where the references are silent (all deterministic):
 *  - USB errors: an OUT transfer that is not 16 bytes while no command is
 *    pending, a data phase whose length differs from the declared one (the
 *    pending command is dropped, GETLASTRWSTATUS* then report 0x08), and any
 *    transfer on an endpoint the probe does not have answer LF_VUSB_ERR_PIPE
 *    (a stall costs usb_ns(0); the endpoint does not stay halted).
 *  - IN with nothing pending times out (the host's timeout_ms is charged to
 *    LF_CLK_TIMEOUT; timeout 0 = "forever" in libusb charges nothing and
 *    returns LF_VUSB_ERR_TIMEOUT at once). The trace endpoint never has data.
 *    An IN shorter than the reply: LF_VUSB_ERR_OVERFLOW, `len` bytes copied,
 *    the reply is consumed. A new command discards an unread reply.
 *  - Unknown top-level command byte: no reply (the host's IN times out).
 *    Unknown 0xF2 sub-command, or one the firmware version is too old for
 *    (feature table 1.12): 2-byte reply with status 0x42 UNKNOWN_CMD.
 *    GET_VERSION_EX (0xFB) on a V2 is an unknown top-level command.
 *  - A command that needs debug mode, sent in mass-storage mode, is answered
 *    with status 0x08 CMD_ERROR (memory reads return zeros, writes consume
 *    their data phase and report 0x08 through GETLASTRWSTATUS*). Clock
 *    setting, DRIVE_NRST, GETLASTRWSTATUS* and voltage work in any mode.
 *  - Memory commands (1.7): 32-bit needs addr%4 == 0 and len%4 == 0, 16-bit
 *    %2 (else 0x0A ALIGNMENT_ERROR); length limits 6144 (16/32-bit), 8-bit 64
 *    on full-speed probes / 512 on V3 >= J6, 32-bit writes stlink_write32_max
 *    (65532: st-flash 1.7 writes 32 KiB at once, probe-rs up to 65532;
 *    reference 1.7 [disagree]) (else 0x08 CMD_ERROR). A rejected
 *    command makes no SWD traffic; a read still returns its full data phase as
 *    zeros and a write still consumes its data phase. Length 0: nothing on
 *    the wire, no data phase, status 0x80.
 *  - Only memory commands (0x07 0x08 0x0C 0x0D 0x47 0x48 0x50 0x54) set the
 *    last RW status; READ/WRITEDEBUGREG and the register commands carry their
 *    status in their own reply.
 *  - Memory errors are reported only by GETLASTRWSTATUS (0x3B, 2 B) and
 *    GETLASTRWSTATUS2 (0x3E, 12 B: status u16, fault address u32 at 4):
 *    0x80 OK; 0x10 SWD_AP_WAIT after stlink_wait_retries WAIT retries; 0x11
 *    SWD_AP_FAULT for an AP FAULT (AHB error, sticky error); 0x12 SWD_AP_ERROR
 *    when the target does not answer. The fault address is the element whose
 *    AHB access failed (reads are posted, so the FAULT is seen one transaction
 *    later; the firmware knows which element was in flight). After a FAULT the
 *    firmware writes ABORT = STKCMPCLR|STKERRCLR|WDERRCLR|ORUNERRCLR (0x1E),
 *    as pyOCD does after a memory fault (1.11). Read data from the failed
 *    element on is zero. Writes end with a CTRL/STAT read (no WAIT on it), so
 *    an error of the last write is reported while a slow write (flash) may
 *    still be in progress: the next AP access then sees WAIT (Q7).
 *  - Memory commands write CSW = (bytes 9-11 of the command << 8, or the
 *    firmware default 0x23000000 when zero; J32+/V3J2+ honour the bytes) |
 *    Size | AddrInc single (off for 0x50/0x54), and TAR; TAR is rewritten at
 *    every 1 KiB boundary (the firmware handles rollover, 1.14 Q1). The
 *    firmware caches SELECT and CSW and writes them only when they change.
 *  - Single access in SWD mode (calibration, issue 18: "according to ST
 *    they do single access in SWD mode", a statement recorded in OpenOCD's
 *    ST-Link driver; fits of P5/P6/P8): with stlink_read_xfers_per_word 3
 *    every read element is TAR write + DRW read + RDBUFF read, with
 *    stlink_write_xfers_per_word 2 every written element is TAR write + DRW
 *    write (8/16-bit: per element). 1 restores the auto-increment stream
 *    (one DRW access per element, TAR at 1 KiB boundaries); a read with 2
 *    writes TAR per element and takes each result from the next DRW read.
 *    CSW keeps AddrInc single, so TAR after a command is the last element's
 *    address + size as on the wire. Element counts 1 are identical in all
 *    modes (TAR, DRW, then RDBUFF or the CTRL/STAT check).
 *  - READ_DAP_REG/WRITE_DAP_REG (1.8): status 0x80, WAIT 0x10/0x14, FAULT
 *    0x11/0x15, no answer 0x12/0x16 (AP/DP). The firmware does not clear
 *    sticky errors for these (the host does, 1.13b). AP > 8: 0x1D BAD_AP.
 *    AP reads are AP read + RDBUFF read. DP bank (addr bits 7:4) is written to
 *    SELECT.DPBANKSEL before a DP 0x4 access.
 *  - ENTER SWD (F2 30 A3): line reset, JTAG-to-SWD, DPIDR read (no answer:
 *    status 0x09 GET_IDCODE_ERROR, mode unchanged), then ABORT 0x1E, SELECT 0,
 *    CTRL/STAT = CDBGPWRUPREQ|CSYSPWRUPREQ and CTRL/STAT polls (at most
 *    stlink_poll_limit) until both ACKs: hosts that only use memory commands
 *    (st-flash, OpenOCD HLA) never power the debug domain up themselves, so
 *    the firmware must. No ACK: 0x0B DBG_POWER_ERROR. JTAG modes are not
 *    modeled (0x08).
 *  - READREG/WRITEREG: DCRSR/DCRDR with DHCSR.S_REGRDY polled at most
 *    stlink_poll_limit times (never ready: status 0x81 DEBUG_ERR_FAULT).
 *    READALLREGS: r0-r15, xPSR, MSP, PSP, REGSEL 0x14 (CONTROL/FAULTMASK/
 *    BASEPRI/PRIMASK), and a 21st word of unknown meaning reported as 0.
 *  - V2 SWD_SET_FREQ accepts only divisors of the 1.10 table (others: 0x41
 *    FREQ_NOT_SUPPORTED). V3 frequency list: unconfirmed (1.10), see table.
 *  - INIT_AP/CLOSE_AP_DBG are accepted for AP 0..8 (else 0x1D) and not
 *    required before AP access. GET_BOARD_IDENTIFIERS reports no board ID.
 *  - RW_MISC: at most 64 items (V2) / 1227 (V3), as OpenOCD hard-codes; more:
 *    the data phase is consumed and every item reports 0x08 (above 16384
 *    items no data phase is expected and RW_MISC_IN has nothing to send).
 *    Items run as single-word memory accesses (TAR, DRW, then RDBUFF for a
 *    READ or the CTRL/STAT check for a WRITE).
 *  - usb_short faults only affect IN transfers. */
#include "bench/vstlink.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

#define MODE_DFU 0x00
#define MODE_MSC 0x01
#define MODE_DEBUG 0x02

#define ST_OK 0x80
#define ST_FAULT 0x81
#define ST_NO_DEVICE 0x05
#define ST_CMD_ERROR 0x08
#define ST_IDCODE_ERROR 0x09
#define ST_ALIGNMENT 0x0A
#define ST_DBG_POWER 0x0B
#define ST_AP_WAIT 0x10
#define ST_AP_FAULT 0x11
#define ST_AP_ERROR 0x12
#define ST_DP_WAIT 0x14
#define ST_DP_FAULT 0x15
#define ST_DP_ERROR 0x16
#define ST_BAD_AP 0x1D
#define ST_FREQ_NOT_SUPPORTED 0x41
#define ST_UNKNOWN_CMD 0x42

/* Target addresses (stm32f7-target.md 11) */
#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define AIRCR 0xE000ED0Cu
#define DHCSR_S_REGRDY 0x00010000u
#define DCRSR_REGWNR 0x00010000u
#define AIRCR_SYSRESETREQ 0x05FA0004u

/* DP (stm32f7-target.md 10.2) */
#define DP_ABORT 0x0
#define DP_CTRLSTAT 0x4
#define DP_SELECT 0x8
#define DP_RDBUFF 0xC
#define ABORT_CLEAR_STICKY 0x1Eu
#define CS_PWRUP_REQ 0x50000000u
#define CS_PWRUP_ACK 0xA0000000u
#define CS_STICKY_ANY 0x000000A2u /* STICKYORUN, STICKYERR, WDATAERR */
#define AP_CSW 0x00
#define AP_TAR 0x04
#define AP_DRW 0x0C

#define CSW_FW_DEFAULT 0x23000000u /* [unconf] firmware's own CSW[31:8] */
#define CSW_INC_SINGLE 0x10u
#define MAX_AP 8
#define TAR_BLOCK 0x400u
#define MISC_ITEMS_MAX 16384u /* larger RW_MISC item counts are refused outright */
#define BUF_SIZE (8 * MISC_ITEMS_MAX + 16) /* >= RW_MISC reply, data phase, 64 KiB memory data */
#define MISC_MAX_V2 64
#define MISC_MAX_V3 1227

/* probe-protocols.md 1.10: V2 SWD divisor -> kHz. nominal: OpenOCD/stlink-org
 * (divisor 0: OpenOCD 4000 vs pyOCD 4600, [disagree]; 5/9/10/25 pyOCD only);
 * measured: psdb scope on a V2-1, 0 = not measured. */
static const struct { uint16_t div; uint32_t nominal_khz, measured_khz; } swd_div_table[] = {
  {0, 4000, 2360}, {1, 1800, 1553}, {2, 1200, 1230}, {3, 950, 960}, {5, 650, 0},
  {7, 480, 484},   {9, 400, 0},     {10, 360, 0},    {15, 240, 245}, {25, 150, 0},
  {31, 125, 123},  {40, 100, 0},    {79, 50, 0},     {158, 25, 0},   {265, 15, 0},
  {798, 5, 0},
};
#define SWD_DIV_DEFAULT 1 /* 1.8 MHz after power-up (1.10, stlink-org PR #534) */

/* V3 SET/GET_COM_FREQ lists, highest first. [unconf] only 24000, 8000 and
 * 1000 (SWD) and 21333 (JTAG) appear in logs (1.10); the rest is assumed. */
static const uint32_t v3_swd_khz[] = {24000, 8000, 3300, 1000, 200, 50, 5};
static const uint32_t v3_jtag_khz[] = {21333, 16000, 12000, 8000, 1000, 200, 50};
#define V3_KHZ_DEFAULT 1000 /* [unconf] stlink-org's default request */

struct lf_vstlink {
  lf_vstlink_cfg cfg;
  lf_clock *clk;
  const lf_bench_params *p;
  lf_dap *dap;
  lf_vstlink_wiring wiring;
  lf_faults *faults;
  lf_vstlink_counters c;
  lf_vusb_link link;

  uint8_t mode;
  uint16_t swd_div;
  uint32_t v3_khz[2]; /* SWD, JTAG */
  bool nrst;

  /* the firmware's knowledge of DP/AP state */
  bool sel_valid, csw_valid;
  uint32_t sel, csw;

  /* pending data OUT phase */
  bool pend;
  uint8_t pend_cmd[16];
  size_t pend_len;
  uint8_t *out;

  bool reply_pending;
  size_t reply_len;
  uint8_t *reply;

  uint16_t rw_status;
  uint32_t rw_fault;

  uint32_t misc_n;
  bool misc_ready;
  uint32_t *misc_res; /* values then statuses */

  /* as a probe model (vprobe.h) */
  char serial[64];
  lf_bench_usb_iface iface;
  lf_bench_usb_info usb;
};

static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t get32(const uint8_t *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t v)
{
  b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24);
}

static uint64_t ns_of(double v) { return v > 0 ? (uint64_t)llround(v) : 0; }

static bool is_v3(const lf_vstlink *v) { return v->cfg.hw >= 3; }

/* ---- presets ---- */

int lf_vstlink_cfg_preset(lf_vstlink_cfg *cfg, const char *name)
{
  static const struct {
    const char *name;
    uint16_t pid;
    uint8_t hw, j, m, b;
    bool hs;
  } presets[] = {
    {"v2", 0x3748, 2, 37, 7, 0, false},    /* V2J37S7 */
    {"v2-1", 0x374B, 2, 37, 26, 0, false}, /* V2J37M26 (NUCLEO-F767ZI) */
    {"v3", 0x374F, 3, 7, 3, 5, true},      /* V3J7M3B5 */
  };
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
    if (!name || strcmp(name, presets[i].name) != 0)
      continue;
    memset(cfg, 0, sizeof *cfg);
    cfg->vid = 0x0483;
    cfg->pid = presets[i].pid;
    cfg->hw = presets[i].hw;
    cfg->jtag_ver = presets[i].j;
    cfg->msc_ver = presets[i].m;
    cfg->bridge_ver = presets[i].b;
    cfg->high_speed = presets[i].hs;
    cfg->serial = "066DFF555654725187102240";
    cfg->target_volts = 3.25;
    return 0;
  }
  return -1;
}

/* ---- USB identity and timing ---- */

uint8_t lf_vstlink_ep_out(const lf_vstlink *v) { return v->cfg.pid == 0x3748 ? 0x02 : 0x01; }
uint8_t lf_vstlink_ep_in(const lf_vstlink *v) { (void)v; return 0x81; }
uint8_t lf_vstlink_ep_trace(const lf_vstlink *v) { return v->cfg.pid == 0x3748 ? 0x83 : 0x82; }
unsigned lf_vstlink_max_packet(const lf_vstlink *v) { return v->cfg.high_speed ? 512 : 64; }

uint64_t lf_vstlink_usb_wire_ns(const lf_vstlink *v, size_t len) { return lf_vusb_wire_ns(&v->link, len); }
uint64_t lf_vstlink_usb_ns(const lf_vstlink *v, size_t len) { return lf_vusb_ns(&v->link, len); }
void lf_vstlink_batch_begin(lf_vstlink *v) { lf_vusb_batch_begin(&v->link); }
void lf_vstlink_batch_end(lf_vstlink *v) { lf_vusb_batch_end(&v->link); }

/* Charges one transfer of `len` bytes: latency when it starts a round trip. */
static void usb_charge(lf_vstlink *v, size_t len) { lf_vusb_charge(&v->link, &v->c, len); }

/* ---- SWD through the DAP, as the firmware does it ---- */

static void fw_ns(lf_vstlink *v, double ns) { lf_clock_advance(v->clk, LF_CLK_FW, ns_of(ns)); }

/* One transaction, WAIT retried up to stlink_wait_retries times. */
static lf_swd_ack xfer(lf_vstlink *v, bool ap, bool rnw, uint8_t a, uint32_t *data)
{
  uint64_t retries = ns_of(v->p->stlink_wait_retries);
  for (uint64_t i = 0;; i++) {
    fw_ns(v, v->p->stlink_swd_gap_ns);
    lf_swd_ack ack = lf_dap_transact(v->dap, ap, rnw, a, data);
    if (ack == LF_SWD_NOACK)
      v->sel_valid = v->csw_valid = false; /* the DP may have been reset */
    if (ack != LF_SWD_WAIT || i >= retries)
      return ack;
  }
}

static lf_swd_ack dp_wr(lf_vstlink *v, uint8_t a, uint32_t val) { return xfer(v, false, false, a, &val); }

static uint8_t ack_status(lf_swd_ack ack, bool ap)
{
  switch (ack) {
  case LF_SWD_OK: return ST_OK;
  case LF_SWD_WAIT: return ap ? ST_AP_WAIT : ST_DP_WAIT;
  case LF_SWD_FAULT: return ap ? ST_AP_FAULT : ST_DP_FAULT;
  default: return ap ? ST_AP_ERROR : ST_DP_ERROR;
  }
}

/* SELECT with the given APSEL/APBANKSEL, DPBANKSEL kept. */
static lf_swd_ack select_ap(lf_vstlink *v, unsigned ap, unsigned bank)
{
  uint32_t want = (uint32_t)ap << 24 | (bank & 0xFu) << 4 | (v->sel_valid ? v->sel & 0xFu : 0);
  if (v->sel_valid && v->sel == want)
    return LF_SWD_OK;
  if (!v->sel_valid || v->sel >> 24 != ap)
    v->csw_valid = false; /* the CSW cache belongs to one AP */
  lf_swd_ack ack = dp_wr(v, DP_SELECT, want);
  if (ack == LF_SWD_OK) {
    v->sel = want;
    v->sel_valid = true;
  }
  return ack;
}

static lf_swd_ack select_dpbank(lf_vstlink *v, unsigned bank)
{
  uint32_t want = (v->sel_valid ? v->sel & ~0xFu : 0) | (bank & 0xFu);
  if (v->sel_valid && v->sel == want)
    return LF_SWD_OK;
  lf_swd_ack ack = dp_wr(v, DP_SELECT, want);
  if (ack == LF_SWD_OK) {
    v->sel = want;
    v->sel_valid = true;
  }
  return ack;
}

static lf_swd_ack read_ctrlstat(lf_vstlink *v, uint32_t *cs)
{
  lf_swd_ack ack = select_dpbank(v, 0);
  return ack == LF_SWD_OK ? xfer(v, false, true, DP_CTRLSTAT, cs) : ack;
}

typedef struct mem_op {
  unsigned ap;
  uint32_t addr;
  size_t len;
  unsigned size;  /* 1, 2, 4 */
  bool incr, write;
  uint32_t csw_hi; /* CSW[31:8] from the command, 0 = firmware default */
  uint8_t *buf;
} mem_op;

static unsigned lane_shift(uint32_t a, unsigned size) { return size == 4 ? 0 : 8 * (a & 3u); }

/* Runs a memory transfer; returns the status, *fault = failing address. */
static uint8_t mem_run(lf_vstlink *v, const mem_op *m, uint32_t *fault)
{
  uint32_t csw = (m->csw_hi ? m->csw_hi << 8 : CSW_FW_DEFAULT) |
                 (m->size == 1 ? 0u : m->size == 2 ? 1u : 2u) | (m->incr ? CSW_INC_SINGLE : 0);
  size_t n = m->len / m->size;
  size_t stored = 0;           /* read elements already in buf */
  uint32_t inflight = m->addr; /* element whose AHB access is pending */
  uint32_t attempt = m->addr;  /* element being issued */
  uint32_t val = 0;
  lf_swd_ack ack = select_ap(v, m->ap, 0);
  if (ack == LF_SWD_OK && !(v->csw_valid && v->csw == csw)) {
    ack = xfer(v, true, false, AP_CSW, &csw);
    v->csw_valid = ack == LF_SWD_OK;
    v->csw = csw;
  }
  if (ack == LF_SWD_OK) {
    uint32_t tar = m->addr;
    ack = xfer(v, true, false, AP_TAR, &tar);
  }
  /* Single access (stlink_*_xfers_per_word >= 2): every element gets its
   * own TAR write; a read with 3 per word fetches each posted result with
   * RDBUFF before the next element, so the loop below ends with nothing in
   * flight. */
  unsigned per = (unsigned)ns_of(m->write ? v->p->stlink_write_xfers_per_word
                                          : v->p->stlink_read_xfers_per_word);
  bool single = per >= 2, rdbuff_each = !m->write && per >= 3;
  for (size_t i = 0; ack == LF_SWD_OK && i < n; i++) {
    attempt = m->incr ? m->addr + (uint32_t)(i * m->size) : m->addr;
    if (i > 0 && (single || (m->incr && (attempt & (TAR_BLOCK - 1)) == 0))) {
      uint32_t tar = attempt;
      if ((ack = xfer(v, true, false, AP_TAR, &tar)) != LF_SWD_OK)
        break;
    }
    if (m->write) {
      uint32_t e = 0;
      memcpy(&e, m->buf + i * m->size, m->size); /* bench hosts are little-endian */
      val = e << lane_shift(attempt, m->size);
      ack = xfer(v, true, false, AP_DRW, &val);
    } else {
      ack = xfer(v, true, true, AP_DRW, &val);
      if (ack == LF_SWD_OK && i > 0 && !rdbuff_each) {
        uint32_t e = val >> lane_shift(inflight, m->size);
        memcpy(m->buf + stored++ * m->size, &e, m->size);
      }
    }
    if (ack == LF_SWD_OK)
      inflight = attempt;
    if (ack == LF_SWD_OK && rdbuff_each && i + 1 < n) {
      ack = xfer(v, false, true, DP_RDBUFF, &val);
      if (ack == LF_SWD_OK) {
        uint32_t e = val >> lane_shift(inflight, m->size);
        memcpy(m->buf + stored++ * m->size, &e, m->size);
      }
    }
  }
  if (ack == LF_SWD_OK && n > 0) {
    if (!m->write) {
      ack = xfer(v, false, true, DP_RDBUFF, &val);
      if (ack == LF_SWD_OK) {
        uint32_t e = val >> lane_shift(inflight, m->size);
        memcpy(m->buf + stored++ * m->size, &e, m->size);
      }
    } else {
      uint32_t cs = 0;
      ack = read_ctrlstat(v, &cs);
      if (ack == LF_SWD_OK && (cs & CS_STICKY_ANY))
        ack = LF_SWD_FAULT;
    }
  }
  if (ack == LF_SWD_OK) {
    *fault = 0;
    return ST_OK;
  }
  if (!m->write)
    memset(m->buf + stored * m->size, 0, m->len - stored * m->size);
  if (ack == LF_SWD_FAULT)
    dp_wr(v, DP_ABORT, ABORT_CLEAR_STICKY);
  *fault = ack == LF_SWD_FAULT ? inflight : attempt;
  return ack_status(ack, true);
}

static uint8_t rd32(lf_vstlink *v, unsigned ap, uint32_t addr, uint32_t *val)
{
  uint8_t b[4] = {0};
  uint32_t fault;
  mem_op m = {ap, addr, 4, 4, true, false, 0, b};
  uint8_t st = mem_run(v, &m, &fault);
  *val = get32(b);
  return st;
}

static uint8_t wr32(lf_vstlink *v, unsigned ap, uint32_t addr, uint32_t val)
{
  uint8_t b[4];
  uint32_t fault;
  put32(b, val);
  mem_op m = {ap, addr, 4, 4, true, true, 0, b};
  return mem_run(v, &m, &fault);
}

/* ---- replies ---- */

static uint8_t *reply(lf_vstlink *v, size_t n)
{
  memset(v->reply, 0, n);
  v->reply_len = n;
  v->reply_pending = n > 0;
  return v->reply;
}

static void reply_status(lf_vstlink *v, size_t n, uint8_t st)
{
  reply(v, n)[0] = st;
  if (st != ST_OK)
    v->c.status_errors++;
}

static void set_swclk(lf_vstlink *v)
{
  double hz = 0;
  if (is_v3(v)) {
    hz = v->v3_khz[0] * 1e3;
  } else {
    for (size_t i = 0; i < sizeof swd_div_table / sizeof swd_div_table[0]; i++) {
      if (swd_div_table[i].div != v->swd_div)
        continue;
      uint32_t khz = swd_div_table[i].nominal_khz;
      if (v->p->stlink_swclk_measured != 0 && swd_div_table[i].measured_khz)
        khz = swd_div_table[i].measured_khz;
      hz = khz * 1e3;
    }
  }
  lf_dap_set_swclk(v->dap, hz);
}

static void set_nrst(lf_vstlink *v, bool asserted)
{
  v->nrst = asserted;
  if (v->wiring.nrst)
    v->wiring.nrst(v->wiring.ctx, asserted, v->clk->now_ns);
}

/* ---- command handlers: `st` is ST_OK, or the error decided before the
 * handler runs (wrong mode); handlers then answer without wire traffic. ---- */

typedef void (*handler)(lf_vstlink *v, const uint8_t *c, uint8_t st);

static void h_version(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  uint8_t *r = reply(v, 6);
  uint16_t ver = is_v3(v) ? (uint16_t)(v->cfg.hw << 12)
                          : (uint16_t)(v->cfg.hw << 12 | (v->cfg.jtag_ver & 0x3F) << 6 |
                                       (v->cfg.msc_ver & 0x3F));
  r[0] = (uint8_t)(ver >> 8); /* big-endian (1.4) */
  r[1] = (uint8_t)ver;
  put16(r + 2, v->cfg.vid);
  put16(r + 4, v->cfg.pid);
}

static void h_version_ex(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  uint8_t *r = reply(v, 12);
  r[0] = v->cfg.hw;
  r[1] = 0; /* SWIM */
  r[2] = v->cfg.jtag_ver;
  r[3] = v->cfg.msc_ver;
  r[4] = v->cfg.bridge_ver;
  put16(r + 8, v->cfg.vid);
  put16(r + 10, v->cfg.pid);
}

static void h_mode(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  reply(v, 2)[0] = v->mode;
}

static void h_voltage(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  /* 1.4b: V = 2 * 1.2 * b / a; a = 1521 as in the OpenOCD manual example.
   * An unpowered target reads 0 V. */
  const uint32_t a = 1521;
  double volts = lf_dap_powered(v->dap) ? v->cfg.target_volts : 0;
  double b = volts > 0 ? volts * a / 2.4 : 0;
  uint8_t *r = reply(v, 8);
  put32(r, a);
  put32(r + 4, (uint32_t)llround(b));
}

static void h_no_reply(lf_vstlink *v, const uint8_t *c, uint8_t st) { (void)v; (void)c; (void)st; }

static void h_exit(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  if (v->nrst)
    set_nrst(v, false); /* leaving debug releases NRST (1.5, psdb) */
  v->mode = MODE_MSC;
}

static void h_enter(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  if (st == ST_OK && c[2] != 0xA3)
    st = ST_CMD_ERROR; /* JTAG not modeled */
  if (st != ST_OK) {
    reply_status(v, 2, st);
    return;
  }
  fw_ns(v, v->p->stlink_enter_swd_ns);
  v->sel_valid = v->csw_valid = false;
  lf_dap_line_reset(v->dap);
  lf_dap_jtag_to_swd(v->dap);
  uint32_t idr = 0;
  if (xfer(v, false, true, 0x0, &idr) != LF_SWD_OK) {
    reply_status(v, 2, ST_IDCODE_ERROR);
    return;
  }
  lf_swd_ack ack = dp_wr(v, DP_ABORT, ABORT_CLEAR_STICKY);
  if (ack == LF_SWD_OK && (ack = dp_wr(v, DP_SELECT, 0)) == LF_SWD_OK) {
    v->sel = 0;
    v->sel_valid = true;
    ack = dp_wr(v, DP_CTRLSTAT, CS_PWRUP_REQ);
  }
  bool up = false;
  uint64_t polls = ns_of(v->p->stlink_poll_limit);
  for (uint64_t i = 0; ack == LF_SWD_OK && !up && i < polls; i++) {
    uint32_t cs = 0;
    ack = xfer(v, false, true, DP_CTRLSTAT, &cs);
    up = (cs & CS_PWRUP_ACK) == CS_PWRUP_ACK;
  }
  v->mode = MODE_DEBUG;
  reply_status(v, 2, ack != LF_SWD_OK ? ack_status(ack, false) : up ? ST_OK : ST_DBG_POWER);
}

static void h_idcodes(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c;
  uint32_t idr = 0;
  if (st == ST_OK)
    st = ack_status(xfer(v, false, true, 0x0, &idr), false);
  reply_status(v, 12, st);
  put32(v->reply + 4, st == ST_OK ? idr : 0);
}

static void h_coreid(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c;
  uint32_t idr = 0;
  if (st == ST_OK)
    xfer(v, false, true, 0x0, &idr);
  put32(reply(v, 4), idr);
}

static void h_lastrw(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  reply(v, 2)[0] = (uint8_t)v->rw_status;
}

static void h_lastrw2(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  uint8_t *r = reply(v, 12);
  put16(r, v->rw_status);
  put32(r + 4, v->rw_fault);
}

static void h_swd_freq(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)st;
  uint16_t div = get16(c + 2);
  for (size_t i = 0; i < sizeof swd_div_table / sizeof swd_div_table[0]; i++) {
    if (swd_div_table[i].div == div) {
      v->swd_div = div;
      set_swclk(v);
      reply_status(v, 2, ST_OK);
      return;
    }
  }
  reply_status(v, 2, ST_FREQ_NOT_SUPPORTED);
}

static void h_jtag_freq(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  reply_status(v, 2, ST_OK); /* JTAG is not modeled; the setting is accepted */
}

static void h_set_com_freq(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)st;
  unsigned proto = c[2] ? 1 : 0;
  const uint32_t *list = proto ? v3_jtag_khz : v3_swd_khz;
  size_t n = proto ? sizeof v3_jtag_khz / sizeof v3_jtag_khz[0] : sizeof v3_swd_khz / sizeof v3_swd_khz[0];
  uint32_t want = get32(c + 4);
  for (size_t i = 0; i < n; i++) {
    if (list[i] <= want) {
      v->v3_khz[proto] = list[i];
      if (proto == 0)
        set_swclk(v);
      reply_status(v, 8, ST_OK);
      put32(v->reply + 4, list[i]);
      return;
    }
  }
  reply_status(v, 8, ST_CMD_ERROR); /* below the minimum (psdb) */
  put32(v->reply + 4, v->v3_khz[proto]);
}

static void h_get_com_freq(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)st;
  unsigned proto = c[2] ? 1 : 0;
  const uint32_t *list = proto ? v3_jtag_khz : v3_swd_khz;
  size_t n = proto ? sizeof v3_jtag_khz / sizeof v3_jtag_khz[0] : sizeof v3_swd_khz / sizeof v3_swd_khz[0];
  uint8_t *r = reply(v, 52);
  r[0] = ST_OK;
  put32(r + 4, v->v3_khz[proto]);
  r[8] = (uint8_t)n;
  for (size_t i = 0; i < n && i < 10; i++)
    put32(r + 12 + 4 * i, list[i]);
}

static void h_switch_freq(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)st;
  /* 1.6 [1src pyOCD]: prescaler 1/2/4 answers 0x40 CONF_CHANGED. bench: the
   * frequency list does not change with it. */
  bool ok = c[2] == 1 || c[2] == 2 || c[2] == 4;
  reply(v, 8)[0] = ok ? 0x40 : ST_CMD_ERROR;
  if (!ok)
    v->c.status_errors++;
}

static void h_trace_status(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  reply_status(v, 2, ST_OK); /* START/STOP_TRACE_RX: SWO is not modeled */
}

static void h_trace_nb(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  reply(v, 2); /* no trace bytes ever */
}

static uint8_t dap_port_check(const lf_vstlink *v, uint16_t port, uint16_t addr)
{
  if (port == 0xFFFF) {
    bool banked = (addr & 0xF0) != 0;
    bool old = is_v3(v) ? v->cfg.jtag_ver < 2 : v->cfg.jtag_ver < 32;
    return banked && old ? ST_CMD_ERROR : ST_OK; /* DP banks need J32 / V3J2 (1.8) */
  }
  return port > MAX_AP ? ST_BAD_AP : ST_OK;
}

static void h_read_dap(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  uint16_t port = get16(c + 2), addr = get16(c + 4);
  uint32_t val = 0;
  if (st == ST_OK)
    st = dap_port_check(v, port, addr);
  if (st == ST_OK && port == 0xFFFF) {
    uint8_t a = addr & 0xC;
    lf_swd_ack ack = a == DP_CTRLSTAT ? select_dpbank(v, (addr >> 4) & 0xF) : LF_SWD_OK;
    if (ack == LF_SWD_OK)
      ack = xfer(v, false, true, a, &val);
    st = ack_status(ack, false);
  } else if (st == ST_OK) {
    lf_swd_ack ack = select_ap(v, port, (addr >> 4) & 0xF);
    if (ack == LF_SWD_OK)
      ack = xfer(v, true, true, addr & 0xC, &val);
    if (ack == LF_SWD_OK)
      ack = xfer(v, false, true, DP_RDBUFF, &val);
    st = ack_status(ack, true);
  }
  reply_status(v, 8, st);
  put32(v->reply + 4, st == ST_OK ? val : 0);
}

static void h_write_dap(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  uint16_t port = get16(c + 2), addr = get16(c + 4);
  uint32_t val = get32(c + 6);
  if (st == ST_OK)
    st = dap_port_check(v, port, addr);
  if (st == ST_OK && port == 0xFFFF) {
    uint8_t a = addr & 0xC;
    lf_swd_ack ack = a == DP_CTRLSTAT ? select_dpbank(v, (addr >> 4) & 0xF) : LF_SWD_OK;
    if (ack == LF_SWD_OK)
      ack = xfer(v, false, false, a, &val);
    if (a == DP_SELECT) {
      if (!v->sel_valid || v->sel >> 24 != val >> 24)
        v->csw_valid = false;
      v->sel = val;
      v->sel_valid = ack == LF_SWD_OK;
    }
    st = ack_status(ack, false);
  } else if (st == ST_OK) {
    lf_swd_ack ack = select_ap(v, port, (addr >> 4) & 0xF);
    if (ack == LF_SWD_OK)
      ack = xfer(v, true, false, addr & 0xC, &val);
    if ((addr & 0xFC) == AP_CSW)
      v->csw_valid = false;
    st = ack_status(ack, true);
  }
  reply_status(v, 2, st);
}

static void h_read_debugreg(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  uint32_t addr = get32(c + 2), val = 0;
  if (st == ST_OK && (addr & 3))
    st = ST_ALIGNMENT;
  if (st == ST_OK && c[6] > MAX_AP)
    st = ST_BAD_AP;
  if (st == ST_OK)
    st = rd32(v, c[6], addr, &val);
  reply_status(v, 8, st);
  put32(v->reply + 4, val);
}

static void h_write_debugreg(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  uint32_t addr = get32(c + 2);
  if (st == ST_OK && (addr & 3))
    st = ST_ALIGNMENT;
  if (st == ST_OK && c[10] > MAX_AP)
    st = ST_BAD_AP;
  if (st == ST_OK)
    st = wr32(v, c[10], addr, get32(c + 6));
  reply_status(v, 2, st);
}

/* DCRSR handshake (stm32f7-target.md 11.3). */
static uint8_t wait_regrdy(lf_vstlink *v)
{
  uint64_t polls = ns_of(v->p->stlink_poll_limit);
  for (uint64_t i = 0; i < polls; i++) {
    uint32_t dhcsr = 0;
    uint8_t st = rd32(v, 0, DHCSR, &dhcsr);
    if (st != ST_OK)
      return st;
    if (dhcsr & DHCSR_S_REGRDY)
      return ST_OK;
  }
  return ST_FAULT;
}

static uint8_t core_reg_read(lf_vstlink *v, uint8_t regsel, uint32_t *val)
{
  uint8_t st = wr32(v, 0, DCRSR, regsel & 0x7Fu);
  if (st == ST_OK)
    st = wait_regrdy(v);
  if (st == ST_OK)
    st = rd32(v, 0, DCRDR, val);
  return st;
}

static void h_readreg(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  uint32_t val = 0;
  if (st == ST_OK)
    st = core_reg_read(v, c[2], &val);
  reply_status(v, 8, st);
  put32(v->reply + 4, st == ST_OK ? val : 0);
}

static void h_writereg(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  if (st == ST_OK)
    st = wr32(v, 0, DCRDR, get32(c + 3));
  if (st == ST_OK)
    st = wr32(v, 0, DCRSR, (c[2] & 0x7Fu) | DCRSR_REGWNR);
  if (st == ST_OK)
    st = wait_regrdy(v);
  reply_status(v, 2, st);
}

static void h_readallregs(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c;
  static const uint8_t regsel[20] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x10, 0x11, 0x12, 0x14};
  uint32_t vals[21] = {0};
  for (size_t i = 0; st == ST_OK && i < sizeof regsel; i++)
    st = core_reg_read(v, regsel[i], &vals[i]);
  reply_status(v, 88, st);
  for (size_t i = 0; st == ST_OK && i < 21; i++)
    put32(v->reply + 4 + 4 * i, vals[i]);
}

static void h_resetsys(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c;
  if (st == ST_OK)
    st = wr32(v, 0, AIRCR, AIRCR_SYSRESETREQ);
  reply_status(v, 2, st);
}

static void h_nrst(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)st;
  switch (c[2]) {
  case 0: set_nrst(v, true); break;
  case 1: set_nrst(v, false); break;
  case 2:
    set_nrst(v, true);
    fw_ns(v, v->p->stlink_nrst_pulse_ns);
    set_nrst(v, false);
    break;
  default: reply_status(v, 2, ST_CMD_ERROR); return;
  }
  reply_status(v, 2, ST_OK);
}

static void h_ap_init(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  if (st == ST_OK && c[2] > MAX_AP)
    st = ST_BAD_AP;
  reply_status(v, 2, st);
}

static void h_board_ids(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  reply(v, 128)[0] = ST_OK; /* board ID all zero = none */
}

static uint32_t misc_max(const lf_vstlink *v) { return is_v3(v) ? MISC_MAX_V3 : MISC_MAX_V2; }

static void h_misc_max(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c; (void)st;
  put16(reply(v, 2), (uint16_t)misc_max(v));
}

static void h_misc_in(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  (void)c;
  if (st != ST_OK || !v->misc_ready) {
    reply_status(v, 2, st != ST_OK ? st : ST_CMD_ERROR);
    return;
  }
  uint8_t *r = reply(v, 8 * (size_t)v->misc_n);
  for (uint32_t i = 0; i < 2 * v->misc_n; i++)
    put32(r + 4 * i, v->misc_res[i]);
  v->misc_ready = false;
}

/* ---- memory commands (1.7) ---- */

typedef struct mem_kind { uint8_t sub; unsigned size; bool incr, write; } mem_kind;
static const mem_kind mem_kinds[] = {
  {0x07, 4, true, false}, {0x08, 4, true, true}, {0x0C, 1, true, false}, {0x0D, 1, true, true},
  {0x47, 2, true, false}, {0x48, 2, true, true}, {0x50, 4, false, true}, {0x54, 4, false, false},
};

static const mem_kind *mem_kind_of(uint8_t sub)
{
  for (size_t i = 0; i < sizeof mem_kinds / sizeof mem_kinds[0]; i++)
    if (mem_kinds[i].sub == sub)
      return &mem_kinds[i];
  return NULL;
}

/* Length limits (probe-protocols.md 1.7): 6144 bytes for 16/32-bit ("the
 * internal buffer size", read limit "determined by experiment on V2" per
 * probe-rs); the firmware's answer to a longer command is not documented:
 * the bench rejects it with 0x08 before any SWD traffic. */
static uint8_t mem_check(const lf_vstlink *v, const mem_kind *k, uint32_t addr, size_t len)
{
  size_t max = k->size == 1 ? (is_v3(v) && v->cfg.jtag_ver >= 6 ? 512 : 64) : 6144;
  if (k->sub == 0x08) /* WRITEMEM_32BIT: see stlink_write32_max */
    max = (size_t)ns_of(v->p->stlink_write32_max);
  if ((addr | len) & (k->size - 1))
    return ST_ALIGNMENT;
  return len > max ? ST_CMD_ERROR : ST_OK;
}

static bool csw_honoured(const lf_vstlink *v) { return is_v3(v) ? v->cfg.jtag_ver >= 2 : v->cfg.jtag_ver >= 32; }

static void mem_exec(lf_vstlink *v, const uint8_t *c, const mem_kind *k, uint8_t st, uint8_t *buf)
{
  uint32_t addr = get32(c + 2);
  size_t len = get16(c + 6);
  if (st == ST_OK)
    st = mem_check(v, k, addr, len);
  if (st == ST_OK && c[8] > MAX_AP)
    st = ST_BAD_AP;
  v->rw_fault = 0;
  if (st == ST_OK && len > 0) {
    uint32_t hi = csw_honoured(v) ? (uint32_t)c[9] | (uint32_t)c[10] << 8 | (uint32_t)c[11] << 16 : 0;
    mem_op m = {c[8], addr, len, k->size, k->incr, k->write, hi, buf};
    st = mem_run(v, &m, &v->rw_fault);
  } else if (!k->write) {
    memset(buf, 0, len);
  }
  if (k->write)
    v->c.mem_write_bytes += st == ST_OK ? len : 0;
  else
    v->c.mem_read_bytes += st == ST_OK ? len : 0;
  v->rw_status = st;
  if (st != ST_OK)
    v->c.status_errors++;
}

static void h_mem_read(lf_vstlink *v, const uint8_t *c, uint8_t st)
{
  const mem_kind *k = mem_kind_of(c[1]);
  size_t len = get16(c + 6);
  uint8_t *r = reply(v, len);
  mem_exec(v, c, k, st, r);
  if (k->size == 1 && len == 1)
    v->reply_len = 2; /* 1.7 Q4: a 1-byte 8-bit read replies 2 bytes */
}

/* Commands with a data OUT phase: length of the phase. */
static size_t data_len(const lf_vstlink *v, const uint8_t *c)
{
  (void)v;
  if (c[0] != 0xF2)
    return 0;
  if (c[1] == 0x51) {
    uint32_t items = get32(c + 2);
    return items > MISC_ITEMS_MAX ? 0 : ((items + 3) & ~3u) + 4 * (size_t)items;
  }
  const mem_kind *k = mem_kind_of(c[1]);
  return k && k->write ? get16(c + 6) : 0;
}

static void misc_exec(lf_vstlink *v, const uint8_t *c, uint8_t st, const uint8_t *d)
{
  uint32_t n = get32(c + 2);
  if (data_len(v, c) == 0)
    n = 0; /* no (or an impossible) data phase: nothing to report */
  free(v->misc_res);
  v->misc_res = calloc(2 * (size_t)n + 1, sizeof *v->misc_res);
  v->misc_n = v->misc_res ? n : 0;
  v->misc_ready = v->misc_res != NULL;
  if (!v->misc_res)
    return;
  if (st == ST_OK && n > misc_max(v))
    st = ST_CMD_ERROR;
  const uint8_t *payload = d + ((n + 3) & ~3u);
  uint32_t waddr = 0;
  unsigned ap = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t arg = get32(payload + 4 * i);
    uint32_t val = 0;
    uint8_t ist = st;
    if (ist == ST_OK) {
      switch (d[i]) {
      case 1: waddr = arg; break;
      case 2: ist = wr32(v, ap, waddr, arg); break;
      case 3: ist = rd32(v, ap, arg, &val); break;
      case 5: ap = arg; ist = arg > MAX_AP ? ST_BAD_AP : ST_OK; break;
      default: ist = ST_CMD_ERROR; break;
      }
    }
    v->misc_res[i] = val;
    v->misc_res[n + i] = ist;
  }
}

/* ---- command table ---- */

#define NA 0xFF
#define ANYMODE 0
#define DEBUG 1

typedef struct cmd_desc {
  uint8_t b0, sub;       /* sub only for 0xF2 / 0xF3 / 0xF4 */
  uint8_t min_j2, min_j3; /* feature thresholds (1.12); NA = not on this hardware */
  uint8_t needs;
  handler run;
} cmd_desc;

static const cmd_desc cmds[] = {
  {0xF1, 0, 0, 0, ANYMODE, h_version},
  {0xFB, 0, NA, 0, ANYMODE, h_version_ex},
  {0xF5, 0, 0, 0, ANYMODE, h_mode},
  {0xF7, 0, 13, 0, ANYMODE, h_voltage},
  {0xF3, 0x07, 0, 0, ANYMODE, h_no_reply},  /* DFU_EXIT: already out of DFU */
  {0xF4, 0x01, 0, 0, ANYMODE, h_no_reply},  /* SWIM_EXIT */
  {0xF2, 0x21, 0, 0, ANYMODE, h_exit},
  {0xF2, 0x22, 0, 0, DEBUG, h_coreid},
  {0xF2, 0x30, 0, 0, ANYMODE, h_enter},
  {0xF2, 0x31, 0, 0, DEBUG, h_idcodes},
  {0xF2, 0x32, 0, 0, DEBUG, h_resetsys},
  {0xF2, 0x33, 0, 0, DEBUG, h_readreg},
  {0xF2, 0x34, 0, 0, DEBUG, h_writereg},
  {0xF2, 0x35, 0, 0, DEBUG, h_write_debugreg},
  {0xF2, 0x36, 0, 0, DEBUG, h_read_debugreg},
  {0xF2, 0x3A, 0, 0, DEBUG, h_readallregs},
  {0xF2, 0x3B, 0, 0, ANYMODE, h_lastrw},
  {0xF2, 0x3C, 0, 0, ANYMODE, h_nrst},
  {0xF2, 0x3E, 15, 0, ANYMODE, h_lastrw2},
  {0xF2, 0x40, 13, 0, DEBUG, h_trace_status},
  {0xF2, 0x41, 13, 0, DEBUG, h_trace_status},
  {0xF2, 0x42, 13, 0, DEBUG, h_trace_nb},
  {0xF2, 0x43, 22, NA, ANYMODE, h_swd_freq},
  {0xF2, 0x44, 24, NA, ANYMODE, h_jtag_freq},
  {0xF2, 0x45, 24, 0, DEBUG, h_read_dap},
  {0xF2, 0x46, 24, 0, DEBUG, h_write_dap},
  {0xF2, 0x07, 0, 0, DEBUG, h_mem_read},
  {0xF2, 0x0C, 0, 0, DEBUG, h_mem_read},
  {0xF2, 0x47, 26, 0, DEBUG, h_mem_read},
  {0xF2, 0x54, 32, 2, DEBUG, h_mem_read},
  {0xF2, 0x08, 0, 0, DEBUG, NULL}, /* data phase: mem_exec */
  {0xF2, 0x0D, 0, 0, DEBUG, NULL},
  {0xF2, 0x48, 26, 0, DEBUG, NULL},
  {0xF2, 0x50, 26, 1, DEBUG, NULL},
  {0xF2, 0x4B, 28, 0, DEBUG, h_ap_init},
  {0xF2, 0x4C, 28, 0, DEBUG, h_ap_init},
  {0xF2, 0x51, 32, 2, DEBUG, NULL}, /* data phase: misc_exec */
  {0xF2, 0x52, 32, 2, DEBUG, h_misc_in},
  {0xF2, 0x53, 32, 2, DEBUG, h_misc_max},
  {0xF2, 0x56, 36, 6, ANYMODE, h_board_ids},
  {0xF2, 0x61, NA, 0, ANYMODE, h_set_com_freq},
  {0xF2, 0x62, NA, 0, ANYMODE, h_get_com_freq},
  {0xF2, 0x63, NA, 0, ANYMODE, h_switch_freq},
};

static const cmd_desc *find_cmd(const uint8_t *c)
{
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    bool has_sub = cmds[i].b0 == 0xF2 || cmds[i].b0 == 0xF3 || cmds[i].b0 == 0xF4;
    if (cmds[i].b0 == c[0] && (!has_sub || cmds[i].sub == c[1]))
      return &cmds[i];
  }
  return NULL;
}

static bool supported(const lf_vstlink *v, const cmd_desc *d)
{
  uint8_t min = is_v3(v) ? d->min_j3 : d->min_j2;
  return min != NA && v->cfg.jtag_ver >= min;
}

static void command(lf_vstlink *v, const uint8_t *c)
{
  v->c.commands++;
  v->reply_pending = false;
  fw_ns(v, v->p->stlink_cmd_ns);
  const cmd_desc *d = find_cmd(c);
  if (!d || !supported(v, d)) {
    if (c[0] == 0xF2 && (!d || d->b0 == 0xF2))
      reply_status(v, 2, ST_UNKNOWN_CMD);
    else
      v->c.status_errors++; /* unknown top-level command: no reply */
    return;
  }
  uint8_t st = (d->needs == DEBUG && v->mode != MODE_DEBUG) ? ST_CMD_ERROR : ST_OK;
  size_t dl = data_len(v, c);
  if (dl > 0 || !d->run) {
    if (dl == 0) { /* zero-length write: nothing to do */
      const mem_kind *k = mem_kind_of(c[1]);
      if (k)
        mem_exec(v, c, k, st, v->out);
      else
        misc_exec(v, c, st, v->out);
      return;
    }
    memcpy(v->pend_cmd, c, 16);
    v->pend_len = dl;
    v->pend = true;
    return;
  }
  d->run(v, c, st);
}

static void data_phase(lf_vstlink *v, const uint8_t *data, size_t len)
{
  const uint8_t *c = v->pend_cmd;
  v->pend = false;
  memcpy(v->out, data, len);
  uint8_t st = v->mode != MODE_DEBUG ? ST_CMD_ERROR : ST_OK;
  const mem_kind *k = mem_kind_of(c[1]);
  if (k)
    mem_exec(v, c, k, st, v->out);
  else
    misc_exec(v, c, st, v->out);
}

/* ---- USB entry points ---- */

static int usb_fault(lf_vstlink *v, bool in, unsigned timeout_ms, size_t *actual, bool *short_pkt)
{
  *actual = 0;
  return lf_vprobe_usb_fault(v->faults, &v->link, &v->c, in, timeout_ms, short_pkt);
}

static int stall(lf_vstlink *v) { return lf_vprobe_stall(&v->link, &v->c); }

void lf_vstlink_usb_reset(lf_vstlink *v)
{
  v->pend = false;
  v->reply_pending = false;
}

int lf_vstlink_bulk_out(lf_vstlink *v, uint8_t ep, const uint8_t *data, size_t len,
                        size_t *actual, unsigned timeout_ms)
{
  bool short_pkt = false;
  v->c.usb_out_transfers++;
  int rc = usb_fault(v, false, timeout_ms, actual, &short_pkt);
  if (rc != LF_VUSB_OK)
    return rc;
  if (ep != lf_vstlink_ep_out(v))
    return stall(v);
  if (v->pend) {
    if (len != v->pend_len) {
      v->pend = false;
      v->rw_status = ST_CMD_ERROR;
      v->rw_fault = 0;
      v->c.status_errors++;
      return stall(v);
    }
  } else if (len != 16) {
    return stall(v);
  }
  usb_charge(v, len);
  v->c.usb_out_bytes += len;
  *actual = len;
  if (v->pend)
    data_phase(v, data, len);
  else
    command(v, data);
  return LF_VUSB_OK;
}

int lf_vstlink_bulk_in(lf_vstlink *v, uint8_t ep, uint8_t *buf, size_t len, size_t *actual,
                       unsigned timeout_ms)
{
  bool short_pkt = false;
  v->c.usb_in_transfers++;
  int rc = usb_fault(v, true, timeout_ms, actual, &short_pkt);
  if (rc != LF_VUSB_OK)
    return rc;
  if (ep != lf_vstlink_ep_in(v) && ep != lf_vstlink_ep_trace(v))
    return stall(v);
  if (ep != lf_vstlink_ep_in(v) || !v->reply_pending) {
    v->c.usb_timeouts++;
    lf_clock_advance(v->clk, LF_CLK_TIMEOUT, (uint64_t)timeout_ms * 1000000u);
    return LF_VUSB_ERR_TIMEOUT;
  }
  size_t n = v->reply_len;
  rc = LF_VUSB_OK;
  if (len < n) {
    n = len;
    rc = LF_VUSB_ERR_OVERFLOW;
  } else if (short_pkt) {
    n /= 2;
  }
  usb_charge(v, rc == LF_VUSB_OK ? n : v->reply_len);
  memcpy(buf, v->reply, n);
  v->reply_pending = false;
  v->c.usb_in_bytes += n;
  *actual = n;
  return rc;
}

/* ---- lifetime ---- */

lf_vstlink *lf_vstlink_new(const lf_vstlink_cfg *cfg, lf_clock *clk, const lf_bench_params *p,
                           lf_dap *dap, lf_vstlink_wiring wiring, lf_faults *faults)
{
  lf_vstlink *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->out = malloc(BUF_SIZE);
  v->reply = malloc(BUF_SIZE);
  if (!v->out || !v->reply) {
    lf_vstlink_free(v);
    return NULL;
  }
  v->cfg = *cfg;
  v->clk = clk;
  v->p = p;
  v->link = (lf_vusb_link){.clk = clk, .p = p, .high_speed = cfg->high_speed};
  v->dap = dap;
  v->wiring = wiring;
  v->faults = faults;
  v->mode = MODE_MSC;
  v->swd_div = SWD_DIV_DEFAULT;
  v->v3_khz[0] = V3_KHZ_DEFAULT;
  v->v3_khz[1] = V3_KHZ_DEFAULT;
  v->rw_status = ST_OK;
  set_swclk(v);
  return v;
}

void lf_vstlink_free(lf_vstlink *v)
{
  if (!v)
    return;
  free(v->out);
  free(v->reply);
  free(v->misc_res);
  free(v);
}

const lf_vstlink_counters *lf_vstlink_counters_get(const lf_vstlink *v) { return &v->c; }

/* ---- the probe model "stlink" (vprobe.h) ---- */

static const char *const preset_names[] = {"v2", "v2-1", "v3"};

static const char *m_preset_name(size_t i)
{
  return i < sizeof preset_names / sizeof preset_names[0] ? preset_names[i] : NULL;
}

static void *m_create(const char *preset, const lf_vprobe_env *env, char *err, size_t errlen)
{
  lf_vstlink_cfg cfg;
  if (lf_vstlink_cfg_preset(&cfg, preset) != 0) {
    snprintf(err, errlen, "bench: unknown ST-LINK preset '%s'", preset);
    return NULL;
  }
  lf_vstlink *v = lf_vstlink_new(&cfg, env->clk, env->p, env->dap,
                                 (lf_vstlink_wiring){env->nrst, env->ctx}, env->faults);
  if (!v) {
    snprintf(err, errlen, "bench: out of memory");
    return NULL;
  }
  snprintf(v->serial, sizeof v->serial, "%s", env->serial ? env->serial : cfg.serial);
  v->cfg.serial = v->serial;
  /* One configuration with the debug interface (vendor class 0xFF/0xFF/0xFF)
   * and its three bulk endpoints: reply IN, command OUT, trace IN
   * (probe-protocols.md 1.1). The V2-1's mass-storage and VCP interfaces
   * are not modeled: no tool here touches them. */
  v->iface = (lf_bench_usb_iface){
    .number = 0, .cls = 0xFF, .subclass = 0xFF, .protocol = 0xFF, .name = "ST-Link Debug",
    .ep_out = lf_vstlink_ep_out(v), .ep_in = lf_vstlink_ep_in(v), .interrupt = false,
    .ep_extra = lf_vstlink_ep_trace(v), .in_first = true,
    .max_packet = (uint16_t)lf_vstlink_max_packet(v),
  };
  v->usb = (lf_bench_usb_info){
    .vid = cfg.vid,
    .pid = cfg.pid,
    .bcd_device = 0x0100,
    .manufacturer = "STMicroelectronics",
    .product = is_v3(v) ? "STLINK-V3" : "STM32 STLink",
    .serial = v->serial,
    .ep_out = v->iface.ep_out,
    .ep_in = v->iface.ep_in,
    .ep_trace = v->iface.ep_extra,
    .max_packet = v->iface.max_packet,
    .high_speed = cfg.high_speed,
    .ifaces = &v->iface,
    .nifaces = 1,
  };
  return v;
}

static int m_out(void *m, uint8_t ep, const uint8_t *data, size_t len, size_t *actual,
                 unsigned timeout_ms)
{
  return lf_vstlink_bulk_out(m, ep, data, len, actual, timeout_ms);
}

static int m_in(void *m, uint8_t ep, uint8_t *buf, size_t len, size_t *actual, unsigned timeout_ms,
                unsigned flags, uint64_t *done_ns)
{
  lf_vstlink *v = m;
  (void)flags; /* one host context per ST-LINK: every read is an ordinary one */
  int rc = lf_vstlink_bulk_in(v, ep, buf, len, actual, timeout_ms);
  *done_ns = v->clk->now_ns;
  return rc;
}

static bool m_in_pending(const void *m, uint8_t ep)
{
  const lf_vstlink *v = m;
  return ep == lf_vstlink_ep_in(v) && v->reply_pending;
}

static void m_batch_begin(void *m) { lf_vstlink_batch_begin(m); }
static void m_batch_end(void *m) { lf_vstlink_batch_end(m); }
static void m_usb_reset(void *m) { lf_vstlink_usb_reset(m); }
static uint64_t m_usb_ns(const void *m, size_t len) { return lf_vstlink_usb_ns(m, len); }
static uint64_t m_usb_wire_ns(const void *m, size_t len) { return lf_vstlink_usb_wire_ns(m, len); }
static const lf_bench_usb_info *m_usb_info(const void *m) { return &((const lf_vstlink *)m)->usb; }
static const lf_vprobe_counters *m_counters(const void *m) { return lf_vstlink_counters_get(m); }
static void m_free(void *m) { lf_vstlink_free(m); }

static const lf_vprobe_ops stlink_ops = {
  .out = m_out,
  .in = m_in,
  .in_pending = m_in_pending,
  .batch_begin = m_batch_begin,
  .batch_end = m_batch_end,
  .usb_reset = m_usb_reset,
  .control = NULL, /* no class requests: they stall */
  .usb_ns = m_usb_ns,
  .usb_wire_ns = m_usb_wire_ns,
  .usb_info = m_usb_info,
  .counters = m_counters,
  .report = NULL, /* the common usb: line says it all */
  .free = m_free,
};

const lf_vprobe_model lf_vprobe_model_stlink = {
  .kind = "stlink",
  .preset_name = m_preset_name,
  .create = m_create,
  .ops = &stlink_ops,
};
