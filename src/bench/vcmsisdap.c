/* CMSIS-DAP probe firmware model (vcmsisdap.h). Facts are from cmsis-dap.md
 * (sections in brackets) unless marked "bench:" (a choice where the
 * references are silent, deterministic).
 *
 * Commands [2.1-2.6, probe-protocols.md 3.3]: each request is decoded as
 * the reference firmware 2.1.2 does (DAP.c: DAP_ProcessCommand,
 * DAP_ExecuteCommand): byte 0 echoed, unknown or unbuilt commands (SWO,
 * UART, vendor 0x80-0x9F) answered with the single byte 0xFF; JTAG commands
 * answered with status 0xFF (no JTAG port built, DAP_JTAG 0). DAP_Transfer
 * follows the reference execution exactly [2.4]: AP reads posted (the next
 * plain AP read collects the previous value, any other request or the end of
 * the request collects it with a DP RDBUFF read), the last write checked
 * with an RDBUFF read, every wire access retried while it answers WAIT, at
 * most the configured retry count more times, value-match reads re-read up
 * to the match retry count, the first failure stops the request (the rest is
 * parsed and skipped, the data of a still-pending read dropped, the response
 * carries the count completed and the failing ACK, bit 4 for a mismatch),
 * timestamps (request bit 7) when the firmware has a timer. TransferBlock
 * [2.5]: one posted AP read, count-1 AP reads and RDBUFF; writes then an
 * RDBUFF check; count 0 answers resp 0. Not connected (before Connect, after
 * Disconnect): Transfer answers `05 00 00`, TransferBlock `06 00 00 00`,
 * WriteABORT 0xFF. WriteABORT: one DP ABORT write, no retry, ACK ignored.
 * Connect 0 selects SWD (the default port); JTAG (2) answers 0. Connect and
 * Disconnect release nRESET (PORT_SWD_SETUP, PORT_OFF).
 *
 * Buffers and interfaces [1.1, 3.1]: each interface has its own queue of
 * `buffers` request slots; a request executes when its OUT arrives (DAPLink
 * executes inside the OUT event) and its response waits in the slot until
 * the host reads it. A request beyond the free slots is dropped (HID,
 * DAPLink bulk) or NAKed until the host's timeout (debugprobe bulk).
 * DAP_TransferAbort (0x07) is intercepted where the personality does
 * (DAPLink HID: flag set, no response, no slot); elsewhere it reaches the
 * decoder and answers 0xFF. DAP_QueueCommands (0x7E) where handled (debugprobe
 * bulk): such packets are held; the next other packet runs them in order,
 * each answered as 0x7F, then itself; elsewhere 0x7E answers 0xFF.
 * HID: every IN report is the full packet size (zero padded); an OUT report
 * may be shorter (the rest reads as zero). Bulk: the response has its exact
 * length. HID class requests on EP0: SET_REPORT (output) is a request,
 * GET_REPORT (input) returns the next response or nothing (DAPLink
 * USBD_HID_REQ_EP_CTRL), SET_IDLE/SET_PROTOCOL accepted.
 *
 * Time (each on the clock's category):
 *  - bulk OUT/IN: usb_fs_transfer_latency_ns (full speed) once per round trip (batch) +
 *    wire time of the packets at 12 Mbit/s, as the ST-LINK model [USB];
 *  - HID: one report per endpoint per full-speed frame (usb_fs_frame_ns,
 *    bInterval 1) [1.1, 6]: an OUT goes in the first frame at or after its
 *    submission + usb_fs_transfer_latency_ns (and after the endpoint's previous
 *    one), a response in the first frame after it is ready (and after the
 *    previous response); the transfer completes with its packet's wire time
 *    [USB]. The host submits its next transfer when its last one completed
 *    (not when the firmware finished executing: the next OUT is received
 *    while the firmware works, USB and SWD overlap) unless something else
 *    moved the clock since; in a batch, when the batch was submitted or
 *    when the host says the next transfers were (a pipelined host submits
 *    each request as an earlier reply arrives: lf_vcmsisdap_batch_submit).
 *    A host waiting for each response thus pays about 2 frames per
 *    command; one that keeps Packet Count requests in flight about 1, or
 *    the firmware's execution time when that is longer;
 *  - a request cannot start before a slot is free: request n waits for the
 *    response n - buffers to have reached the host (packet count = requests
 *    in flight) [3.1] [USB];
 *  - cmsisdap_cmd_ns per command (sub-commands of 0x7F each), plus
 *    cmsisdap_xfer_ns around every SWD transaction of a transfer, WAIT
 *    retries included [FW];
 *  - the SWD wire through lf_dap at the firmware's real SWCLK [SWD]: 46
 *    cycles per OK transaction, 13 per WAIT/FAULT, plus 2(T-1) for a
 *    turnaround T > 1, 33 for the data phase on WAIT/FAULT when configured,
 *    33 back-off cycles after no ACK, and the configured idle cycles after
 *    each OK transaction (probe-protocols.md 4.1, cmsis-dap.md 4);
 *  - DAP_Delay: its microseconds [FW]; sequences: their bits [SWD].
 * SWCLK [6]: DAPLink bit-bangs: the reference delay formula (fast mode at
 * or above CPU/(2 IO), else delay = ceil(CPU/2f) - IO rounded up in units of
 * DELAY_SLOW_CYCLES, f = CPU/(2 (IO + delay SLOW))), capped at
 * cmsisdap_daplink_swclk_max_hz; debugprobe: the reference delay turned
 * back into kHz (100000 kHz in fast mode), then the PIO divider:
 * SWCLK = clk_sys / (4 ceil(ceil(clk_sys/f') / 4)).
 *
 * Bench choices: an OUT longer than the packet size (bulk) or the report
 * (HID), and any transfer on an endpoint the probe lacks, stall; a request
 * shorter than its command needs reads zeros for the missing bytes, and a
 * response that would pass the packet size stops there (the transfer count
 * says how far it got) - the real firmware reads and writes past its buffers
 * instead; both count as protocol errors. SWJ_Pins answers the levels it
 * drives (SWCLK, SWDIO, nRESET) and 0 for TDI, TDO, nTRST, and never waits
 * (the pins read back at once). SWD_Sequence input bits read 1 (SWDIO pulled
 * up; nothing drives it outside a packet). ResetTarget: no device-specific
 * sequence (execute 0). Vendor commands answer 0xFF. A bulk response of a
 * multiple of 64 bytes read with a longer buffer: cmsisdap_bulk_zlp. The
 * 100-200 Hz special clock range of DAP.c 2.1.2 is not modeled. usb_short
 * faults halve IN data. */
#include "bench/vcmsisdap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

/* Command IDs (probe-protocols.md 3.2) */
enum {
  ID_INFO = 0x00, ID_HOST_STATUS = 0x01, ID_CONNECT = 0x02, ID_DISCONNECT = 0x03,
  ID_TRANSFER_CONFIGURE = 0x04, ID_TRANSFER = 0x05, ID_TRANSFER_BLOCK = 0x06,
  ID_TRANSFER_ABORT = 0x07, ID_WRITE_ABORT = 0x08, ID_DELAY = 0x09, ID_RESET_TARGET = 0x0A,
  ID_SWJ_PINS = 0x10, ID_SWJ_CLOCK = 0x11, ID_SWJ_SEQUENCE = 0x12, ID_SWD_CONFIGURE = 0x13,
  ID_JTAG_SEQUENCE = 0x14, ID_JTAG_CONFIGURE = 0x15, ID_JTAG_IDCODE = 0x16,
  ID_SWD_SEQUENCE = 0x1D, ID_QUEUE_COMMANDS = 0x7E, ID_EXECUTE_COMMANDS = 0x7F,
  ID_INVALID = 0xFF,
};
#define DAP_OK 0x00
#define DAP_ERROR 0xFF

/* Transfer request bits (probe-protocols.md 3.5) */
#define XFER_APNDP 0x01u
#define XFER_RNW 0x02u
#define XFER_A32 0x0Cu
#define XFER_MATCH_VALUE 0x10u
#define XFER_MATCH_MASK 0x20u
#define XFER_TIMESTAMP 0x80u
#define XFER_MISMATCH 0x10u
#define DP_ABORT 0x0
#define DP_RDBUFF 0xC

/* SWJ pins (DAP_SWJ_Pins) */
#define PIN_SWCLK 0x01u
#define PIN_SWDIO 0x02u
#define PIN_NRESET 0x80u

#define PORT_DISABLED 0
#define PORT_SWD 1
#define DEFAULT_PORT PORT_SWD     /* DAP_DEFAULT_PORT 1 (template, debugprobe) */
#define WAIT_RETRY_DEFAULT 100    /* DAP_Setup [2.3] */
#define USB_FS_PACKET 64 /* wMaxPacketSize (full speed) */
#define MAX_PACKET 1024
#define MAX_BUFFERS 64

/* ---- presets (cmsis-dap.md 5; bench choices marked) ---- */

/* DAPLink's HID report descriptor [1.1]: vendor page 0xFF00, usage 1,
 * 64 x 8-bit input, output and feature reports, no report ID. */
static const uint8_t hid_report_64[] = {
  0x06, 0x00, 0xFF, /* Usage Page (vendor 0xFF00) */
  0x09, 0x01,       /* Usage (1) */
  0xA1, 0x01,       /* Collection (application) */
  0x15, 0x00,       /*   Logical Minimum (0) */
  0x26, 0xFF, 0x00, /*   Logical Maximum (255) */
  0x75, 0x08,       /*   Report Size (8) */
  0x95, 0x40,       /*   Report Count (64) */
  0x09, 0x01,       /*   Usage (1) */
  0x81, 0x02,       /*   Input (data, variable, absolute) */
  0x95, 0x40,       /*   Report Count (64) */
  0x09, 0x01,       /*   Usage (1) */
  0x91, 0x02,       /*   Output (data, variable, absolute) */
  0x95, 0x40,       /*   Report Count (64) */
  0x09, 0x01,       /*   Usage (1) */
  0xB1, 0x02,       /*   Feature (data, variable, absolute) */
  0xC0,             /* End Collection */
};

int lf_vcmsisdap_cfg_preset(lf_vcmsisdap_cfg *cfg, const char *name, const lf_bench_params *p,
                            const char *serial)
{
  memset(cfg, 0, sizeof *cfg);
  if (name && strcmp(name, "daplink") == 0) {
    /* DAPLink >= v0254 interface firmware on a k20dx HIC (OpenSDA), composite
     * device [5]: HID v1 + vendor bulk v2; its MSC, CDC and WebUSB
     * interfaces are not modeled (no tool here uses them), so HID and bulk
     * are interfaces 0 and 1 (bench; DAPLink numbers them after MSC/CDC). */
    cfg->name = "daplink";
    cfg->vid = 0x0D28;
    cfg->pid = 0x0204;
    cfg->bcd_device = 0x0100;  /* [unconf] */
    cfg->manufacturer = "ARM"; /* [unconf] DAPLink's USB manufacturer string */
    cfg->product = "DAPLink CMSIS-DAP";
    snprintf(cfg->serial, sizeof cfg->serial, "%s",
             serial ? serial : "0240000034544e45001b00028aa9001e8d31000097969900");
    cfg->has_hid = cfg->has_bulk = true;
    cfg->hid_iface = 0;
    cfg->bulk_iface = 1;
    cfg->hid_name = "CMSIS-DAP v1";
    cfg->bulk_name = "CMSIS-DAP v2";
    cfg->hid_ep_in = 0x81;  /* as the pre-v0254 HID-only DAPLink dump [5] */
    cfg->hid_ep_out = 0x01;
    cfg->bulk_ep_out = 0x02; /* bench: [unconf] */
    cfg->bulk_ep_in = 0x82;
    cfg->packet_size = 64;   /* HID built in [5] */
    cfg->packet_count = (unsigned)lround(p->cmsisdap_daplink_packet_count);
    cfg->buffers = cfg->packet_count;
    cfg->protocol_version = "2.1.0"; /* [2.2] */
    cfg->product_fw = "0257";        /* [unconf] DAPLink version string (info_get_version) */
    cfg->caps[0] = 0x31;             /* SWD, atomic, timer; 1 byte without UART [2.2] */
    cfg->caps_len = 1;
    cfg->timer_hz = 1000000;         /* k20dx TIMESTAMP_CLOCK */
    cfg->execute_cmds = true;        /* DAP_queue -> DAP_ExecuteCommand [2.6] */
    cfg->queue_cmds_bulk = false;    /* 0x7E answered 0xFF [2.6] */
    cfg->abort_hid = true;           /* usbd_user_hid.c intercepts 0x07 [1.1] */
    cfg->abort_bulk = false;
    cfg->full_hid = LF_VCD_FULL_DROP; /* asserts and drops [1.1] */
    cfg->full_bulk = LF_VCD_FULL_DROP;
    cfg->pio_clock = false;
    cfg->cpu_hz = p->cmsisdap_daplink_cpu_hz;
    cfg->swclk_max_hz = p->cmsisdap_daplink_swclk_max_hz;
    cfg->default_hz = p->cmsisdap_daplink_default_hz;
    return 0;
  }
  if (name && strcmp(name, "rpi-debugprobe") == 0) {
    /* Raspberry Pi Debug Probe with debugprobe v2.3.x [5]: vendor bulk v2 on
     * interface 0 (its CDC UART is not modeled). */
    cfg->name = "rpi-debugprobe";
    cfg->vid = 0x2E8A;
    cfg->pid = 0x000C;
    cfg->bcd_device = 0x0203;          /* [unconf] major.minor of v2.3 */
    cfg->manufacturer = "Raspberry Pi"; /* [unconf] */
    cfg->product = "Debug Probe (CMSIS-DAP)";
    snprintf(cfg->serial, sizeof cfg->serial, "%s", serial ? serial : "E6614103E7452D2F");
    cfg->has_bulk = true;
    cfg->bulk_iface = 0;
    cfg->bulk_name = "CMSIS-DAP v2 Interface";
    cfg->bulk_ep_out = 0x04;
    cfg->bulk_ep_in = 0x85;
    cfg->packet_size = 64;
    cfg->packet_count = (unsigned)lround(p->cmsisdap_rpi_packet_count);
    cfg->buffers = (unsigned)lround(p->cmsisdap_rpi_buffers);
    cfg->protocol_version = "2.0.0"; /* [2.2] */
    cfg->product_fw = NULL;          /* [unconf] */
    cfg->caps[0] = 0x31;             /* [2.2] */
    cfg->caps_len = 1;
    cfg->timer_hz = 1000000;         /* [2.2] */
    cfg->execute_cmds = true;
    cfg->queue_cmds_bulk = true;     /* dap_thread [2.6] */
    cfg->abort_bulk = false;         /* [1.1] */
    cfg->full_bulk = LF_VCD_FULL_NAK; /* [1.1, 3.1] */
    cfg->pio_clock = true;
    cfg->cpu_hz = p->cmsisdap_rpi_clk_sys_hz;
    cfg->pio_hz = p->cmsisdap_rpi_clk_sys_hz;
    cfg->default_hz = p->cmsisdap_rpi_default_hz;
    return 0;
  }
  return -1;
}

double lf_vcmsisdap_swclk_for(const lf_vcmsisdap_cfg *cfg, const lf_bench_params *p, double req)
{
  if (req <= 0)
    return 0;
  double io = p->cmsisdap_io_port_write_cycles, slow = p->cmsisdap_delay_slow_cycles;
  double half = cfg->cpu_hz / 2;
  bool fast = io > 0 && req >= half / io; /* MAX_SWJ_CLOCK(DELAY_FAST_CYCLES = 0) */
  double delay = 1;
  if (!fast) {
    delay = ceil(half / req);
    delay = delay > io ? ceil((delay - io) / (slow > 0 ? slow : 1)) : 1;
  }
  if (!cfg->pio_clock) {
    double f = fast ? half / io : half / (io + delay * slow);
    return cfg->swclk_max_hz > 0 && f > cfg->swclk_max_hz ? cfg->swclk_max_hz : f;
  }
  /* debugprobe: MAKE_KHZ then probe_set_swclk_freq [6] */
  double khz = fast ? 100000 : floor(floor(cfg->cpu_hz / 2000) / (delay * slow + io));
  if (khz < 1)
    khz = 1;
  double div = ceil(ceil(cfg->pio_hz / 1000 / khz) / 4);
  if (div < 1)
    div = 1;
  return cfg->pio_hz / (4 * div);
}

/* ---- state ---- */

typedef struct dq_reply {
  uint8_t *data;      /* packet_size bytes */
  size_t len;
  uint64_t ready_ns;  /* when the firmware finished it */
  uint64_t seq;       /* request number on its interface */
} dq_reply;

/* One interface's request/response buffers. */
typedef struct dqueue {
  bool present, hid;
  uint8_t ep_out, ep_in;
  lf_vcd_full full;
  bool abort_intercept, queue_cmds;
  dq_reply *r;        /* ring of `buffers` responses */
  unsigned head, count;
  uint8_t *held;      /* 0x7E packets held, `buffers` x packet_size */
  size_t *held_len;
  unsigned nheld;
  uint64_t seq;       /* requests accepted */
  uint64_t *done;     /* [seq % buffers]: when that response reached the host */
  uint64_t out_free_ns, in_free_ns; /* HID: the next frame each endpoint may use */
  uint64_t host_ns;   /* HID: when the host saw its last transfer here complete */
  uint64_t fw_end_ns; /* HID: the clock when the last request finished executing */
  uint64_t in_done_ns; /* bulk, detached reader: when the last response arrived */
} dqueue;

struct lf_vcmsisdap {
  lf_vcmsisdap_cfg cfg;
  lf_clock *clk;
  const lf_bench_params *p;
  lf_dap *dap;
  lf_faults *faults;
  void (*nrst)(void *ctx, bool asserted, uint64_t t_ns);
  void *nrst_ctx;
  lf_vprobe_counters c;
  lf_vcmsisdap_stats st;
  lf_vusb_link link; /* full speed */

  dqueue q[2]; /* [0] bulk, [1] HID */

  /* DAP_Data */
  uint8_t port;
  uint8_t idle_cycles;
  uint16_t retry, match_retry;
  uint32_t match_mask;
  unsigned turnaround;
  bool data_phase;
  double swclk_request;
  bool abort;
  bool led_connected, led_running;
  uint8_t pins;      /* levels driven: PIN_SWCLK, PIN_SWDIO, PIN_NRESET */

  lf_bench_usb_iface ifaces[2];
  lf_bench_usb_info usb;
};

static uint64_t ns_of(double v) { return v > 0 ? (uint64_t)llround(v) : 0; }
static void fw_ns(lf_vcmsisdap *v, double ns) { lf_clock_advance(v->clk, LF_CLK_FW, ns_of(ns)); }

/* ---- request reader / response writer (bounds: bench choices above) ---- */

typedef struct rd {
  const uint8_t *p;
  size_t n, off;
  bool short_;
} rd;

static uint8_t get8(rd *r)
{
  if (r->off >= r->n) {
    r->short_ = true;
    r->off++;
    return 0;
  }
  return r->p[r->off++];
}
static uint16_t get16(rd *r)
{
  uint16_t lo = get8(r);
  return (uint16_t)(lo | get8(r) << 8);
}
static uint32_t get32(rd *r)
{
  uint32_t lo = get16(r);
  return lo | (uint32_t)get16(r) << 16;
}

typedef struct wr {
  uint8_t *p;
  size_t cap, len;
  bool overflow;
} wr;

static bool room(wr *w, size_t n)
{
  if (w->len + n <= w->cap)
    return true;
  w->overflow = true;
  return false;
}
static void put8(wr *w, uint8_t b)
{
  if (room(w, 1))
    w->p[w->len++] = b;
}
static void put32(wr *w, uint32_t x)
{
  if (!room(w, 4))
    return;
  for (int i = 0; i < 4; i++)
    w->p[w->len++] = (uint8_t)(x >> (8 * i));
}

/* ---- SWD through the DAP, as SW_DP.c clocks it ---- */

static lf_swd_ack swd(lf_vcmsisdap *v, uint8_t req, uint32_t *data)
{
  bool ap = req & XFER_APNDP, rnw = req & XFER_RNW;
  uint8_t a = req & XFER_A32;
  uint32_t scratch = data ? *data : 0;
  fw_ns(v, v->p->cmsisdap_xfer_ns);
  v->st.swd_attempts++;
  lf_swd_ack ack = lf_dap_transact(v->dap, ap, rnw, a, &scratch);
  uint64_t extra = 2u * (v->turnaround - 1);
  if (ack == LF_SWD_OK) {
    extra += v->idle_cycles;
    if (ap && a == 0xC) {
      if (rnw)
        v->c.mem_read_bytes += 4;
      else
        v->c.mem_write_bytes += 4;
    }
    if (data)
      *data = scratch;
  } else if (ack == LF_SWD_WAIT || ack == LF_SWD_FAULT) {
    extra += v->data_phase ? 33 : 0;
  } else {
    extra += 33; /* no valid ACK: the firmware clocks the data phase to back off */
  }
  if (extra)
    lf_dap_idle(v->dap, extra);
  return ack;
}

/* One transfer retried while it answers WAIT (DAP_Transfer's retry loop). */
static uint8_t swd_retry(lf_vcmsisdap *v, uint8_t req, uint32_t *data)
{
  unsigned left = v->retry;
  for (;;) {
    lf_swd_ack ack = swd(v, req, data);
    if (ack != LF_SWD_WAIT || left == 0 || v->abort)
      return (uint8_t)ack;
    left--;
    v->st.wait_retries++;
  }
}

static uint32_t timestamp(const lf_vcmsisdap *v)
{
  return (uint32_t)((double)v->clk->now_ns * v->cfg.timer_hz / 1e9);
}

static void set_nrst(lf_vcmsisdap *v, bool asserted)
{
  bool was = !(v->pins & PIN_NRESET);
  v->pins = asserted ? v->pins & ~PIN_NRESET : v->pins | PIN_NRESET;
  if (was != asserted && v->nrst)
    v->nrst(v->nrst_ctx, asserted, v->clk->now_ns);
}

static void set_clock(lf_vcmsisdap *v, double req)
{
  v->swclk_request = req;
  lf_dap_set_swclk(v->dap, lf_vcmsisdap_swclk_for(&v->cfg, v->p, req));
}

/* ---- commands ---- */

static const char *info_string(const lf_vcmsisdap *v, uint8_t id)
{
  switch (id) {
  case 0x03: return v->cfg.serial; /* DAPLink: the unique ID [2.2] */
  case 0x04: return v->cfg.protocol_version;
  case 0x09: return v->cfg.product_fw;
  default: return NULL; /* vendor/product (0x01/0x02: use the USB strings), target 0x05-0x08 */
  }
}

static void cmd_info(lf_vcmsisdap *v, rd *q, wr *w)
{
  uint8_t id = get8(q);
  const char *s = info_string(v, id);
  uint8_t tmp[64];
  size_t n = 0;
  if (s) {
    n = strlen(s) + 1; /* the length counts the NUL [7 #14] */
    if (n > 61)
      n = 61;
    memcpy(tmp, s, n);
    tmp[n - 1] = 0;
  } else if (id == 0xF0) {
    memcpy(tmp, v->cfg.caps, v->cfg.caps_len);
    n = v->cfg.caps_len;
  } else if (id == 0xF1 && v->cfg.timer_hz) {
    for (int i = 0; i < 4; i++)
      tmp[i] = (uint8_t)(v->cfg.timer_hz >> (8 * i));
    n = 4;
  } else if (id == 0xFE) {
    tmp[0] = (uint8_t)v->cfg.packet_count;
    n = 1;
  } else if (id == 0xFF) {
    tmp[0] = (uint8_t)v->cfg.packet_size;
    tmp[1] = (uint8_t)(v->cfg.packet_size >> 8);
    n = 2;
  }
  put8(w, (uint8_t)n);
  for (size_t i = 0; i < n; i++)
    put8(w, tmp[i]);
}

static void cmd_transfer(lf_vcmsisdap *v, rd *q, wr *w)
{
  (void)get8(q); /* DAP index: ignored in SWD mode */
  unsigned count = get8(q);
  size_t head = w->len;
  put8(w, 0);
  put8(w, 0);
  bool ts_ok = v->cfg.timer_hz != 0;
  unsigned done = 0, i = 0;
  uint8_t ack = 0;
  uint32_t data = 0;
  bool post = false, check_write = false;
  v->abort = false;
  if (v->port != PORT_SWD) {
    i = 0; /* DAP_Dummy_Transfer: everything parsed, nothing done */
    goto skip;
  }
  for (; i < count; i++) {
    uint8_t req = get8(q);
    v->st.transfers++;
    if (req & XFER_RNW) {
      if (post) {
        /* a plain AP read collects the previous value and posts itself;
         * anything else collects it with RDBUFF */
        if ((req & (XFER_APNDP | XFER_MATCH_VALUE)) == XFER_APNDP) {
          ack = swd_retry(v, req, &data);
        } else {
          ack = swd_retry(v, DP_RDBUFF | XFER_RNW, &data);
          post = false;
        }
        if (ack != LF_SWD_OK || !room(w, 4))
          break; /* no room: the response ends here (bench) */
        put32(w, data);
        if (post && (req & XFER_TIMESTAMP) && ts_ok)
          put32(w, timestamp(v));
      }
      if (req & XFER_MATCH_VALUE) {
        uint32_t want = get32(q);
        unsigned left = v->match_retry;
        if (req & XFER_APNDP) {
          ack = swd_retry(v, req, NULL); /* post the read */
          if (ack != LF_SWD_OK)
            break;
        }
        for (;;) {
          ack = swd_retry(v, req, &data);
          if (ack != LF_SWD_OK || (data & v->match_mask) == want || left == 0 || v->abort)
            break;
          left--;
        }
        if ((data & v->match_mask) != want)
          ack |= XFER_MISMATCH;
        if (ack != LF_SWD_OK)
          break;
      } else if (req & XFER_APNDP) {
        if (!post) {
          ack = swd_retry(v, req, NULL);
          if (ack != LF_SWD_OK)
            break;
          if ((req & XFER_TIMESTAMP) && ts_ok)
            put32(w, timestamp(v));
          post = true;
        }
      } else {
        ack = swd_retry(v, req, &data);
        if (ack != LF_SWD_OK)
          break;
        if (!room(w, ((req & XFER_TIMESTAMP) && ts_ok) ? 8 : 4))
          break;
        if ((req & XFER_TIMESTAMP) && ts_ok)
          put32(w, timestamp(v));
        put32(w, data);
      }
      check_write = false;
    } else {
      if (post) {
        ack = swd_retry(v, DP_RDBUFF | XFER_RNW, &data);
        if (ack != LF_SWD_OK)
          break;
        put32(w, data);
        post = false;
      }
      data = get32(q);
      if (req & XFER_MATCH_MASK) {
        v->match_mask = data;
        ack = LF_SWD_OK;
      } else {
        ack = swd_retry(v, req, &data);
        if (ack != LF_SWD_OK)
          break;
        if ((req & XFER_TIMESTAMP) && ts_ok)
          put32(w, timestamp(v));
        check_write = true;
      }
    }
    done++;
    if (v->abort)
      break;
  }
  i++; /* the request that stopped the loop was consumed */
skip:
  for (; i < count; i++) { /* cancelled requests: parse only */
    uint8_t req = get8(q);
    if (!(req & XFER_RNW) || (req & XFER_MATCH_VALUE))
      (void)get32(q);
  }
  if (v->port == PORT_SWD && ack == LF_SWD_OK) {
    if (post) {
      ack = swd_retry(v, DP_RDBUFF | XFER_RNW, &data);
      if (ack == LF_SWD_OK)
        put32(w, data);
    } else if (check_write) {
      ack = swd_retry(v, DP_RDBUFF | XFER_RNW, NULL);
    }
  }
  if (v->port != PORT_SWD)
    ack = 0;
  w->p[head] = (uint8_t)done;
  w->p[head + 1] = ack;
  if (ack != LF_SWD_OK)
    v->c.status_errors++;
}

static void cmd_transfer_block(lf_vcmsisdap *v, rd *q, wr *w)
{
  size_t base = q->off;
  (void)get8(q); /* DAP index */
  unsigned count = get16(q);
  uint8_t req = get8(q);
  size_t head = w->len;
  put8(w, 0);
  put8(w, 0);
  put8(w, 0);
  unsigned done = 0;
  uint8_t ack = 0;
  uint32_t data = 0;
  v->abort = false;
  bool connected = v->port == PORT_SWD;
  if (connected && count && (req & XFER_RNW)) {
    bool ap = req & XFER_APNDP;
    if (ap)
      ack = swd_retry(v, req, NULL); /* post */
    for (unsigned k = 0; (!ap || ack == LF_SWD_OK) && k < count; k++) {
      if (!room(w, 4))
        break; /* no room: the response ends here (bench) */
      uint8_t r = (ap && k == count - 1) ? (DP_RDBUFF | XFER_RNW) : req;
      v->st.transfers++;
      ack = swd_retry(v, r, &data);
      if (ack != LF_SWD_OK)
        break;
      put32(w, data);
      done++;
    }
  } else if (connected && count) {
    for (unsigned k = 0; k < count; k++) {
      if (q->off + 4 > q->n)
        break; /* words missing from the request (bench) */
      data = get32(q);
      v->st.transfers++;
      ack = swd_retry(v, req & 0x0F, &data);
      if (ack != LF_SWD_OK)
        break;
      done++;
    }
    if (ack == LF_SWD_OK)
      ack = swd_retry(v, DP_RDBUFF | XFER_RNW, NULL); /* check the last write */
  }
  /* request bytes: reads 4, writes 4 + 4 count (DAP_TransferBlock) */
  q->off = base + 4 + ((req & XFER_RNW) ? 0 : 4 * (size_t)count);
  w->p[head] = (uint8_t)done;
  w->p[head + 1] = (uint8_t)(done >> 8);
  w->p[head + 2] = ack;
  if (ack != LF_SWD_OK)
    v->c.status_errors++;
}

static void cmd_swj_sequence(lf_vcmsisdap *v, rd *q, wr *w)
{
  unsigned bits = get8(q);
  if (bits == 0)
    bits = 256;
  uint8_t data[32] = {0};
  for (unsigned i = 0; i < (bits + 7) / 8; i++)
    data[i] = get8(q);
  if (v->port == PORT_SWD)
    lf_dap_swj_bits(v->dap, data, bits);
  else
    lf_dap_idle(v->dap, bits); /* pins off: the clocks reach nobody */
  if (bits)
    v->pins = (data[(bits - 1) / 8] >> ((bits - 1) % 8) & 1u) ? v->pins | PIN_SWDIO
                                                              : v->pins & ~PIN_SWDIO;
  put8(w, DAP_OK);
}

static void cmd_swd_sequence(lf_vcmsisdap *v, rd *q, wr *w)
{
  unsigned n = get8(q);
  put8(w, DAP_OK);
  for (unsigned s = 0; s < n; s++) {
    uint8_t info = get8(q);
    unsigned bits = info & 0x3F;
    if (bits == 0)
      bits = 64;
    unsigned bytes = (bits + 7) / 8;
    if (info & 0x80) {
      lf_dap_idle(v->dap, bits); /* input: nobody drives SWDIO, the pull-up reads 1 */
      for (unsigned i = 0; i < bytes; i++)
        put8(w, (uint8_t)(i + 1 < bytes || bits % 8 == 0 ? 0xFF : (1u << (bits % 8)) - 1));
    } else {
      uint8_t data[8];
      for (unsigned i = 0; i < bytes; i++)
        data[i] = get8(q);
      if (v->port == PORT_SWD)
        lf_dap_swj_bits(v->dap, data, bits);
      else
        lf_dap_idle(v->dap, bits);
    }
  }
}

static void cmd_swj_pins(lf_vcmsisdap *v, rd *q, wr *w)
{
  uint8_t value = get8(q), select = get8(q);
  (void)get32(q); /* wait: the pins read back at once (bench) */
  if (select & PIN_SWCLK)
    v->pins = (v->pins & ~PIN_SWCLK) | (value & PIN_SWCLK);
  if (select & PIN_SWDIO)
    v->pins = (v->pins & ~PIN_SWDIO) | (value & PIN_SWDIO);
  if (select & PIN_NRESET)
    set_nrst(v, !(value & PIN_NRESET));
  put8(w, v->pins);
}

/* One command (DAP_ProcessCommand); 0x7F and 0x7E are not commands here. */
static void process(lf_vcmsisdap *v, rd *q, wr *w)
{
  uint8_t id = get8(q);
  v->c.commands++;
  fw_ns(v, v->p->cmsisdap_cmd_ns);
  size_t at = w->len;
  put8(w, id);
  switch (id) {
  case ID_INFO: cmd_info(v, q, w); return;
  case ID_HOST_STATUS: {
    uint8_t type = get8(q), on = get8(q) & 1u;
    if (type == 0)
      v->led_connected = on;
    else if (type == 1)
      v->led_running = on;
    put8(w, type <= 1 ? DAP_OK : DAP_ERROR);
    return;
  }
  case ID_CONNECT: {
    uint8_t port = get8(q);
    if (port == 0)
      port = DEFAULT_PORT;
    if (port == PORT_SWD) {
      v->port = PORT_SWD;
      v->pins |= PIN_SWCLK | PIN_SWDIO; /* PORT_SWD_SETUP: outputs high, nRESET released */
      set_nrst(v, false);
    } else {
      port = PORT_DISABLED; /* no JTAG port built */
    }
    put8(w, port);
    return;
  }
  case ID_DISCONNECT:
    v->port = PORT_DISABLED;
    set_nrst(v, false); /* PORT_OFF: nRESET back to input */
    put8(w, DAP_OK);
    return;
  case ID_TRANSFER_CONFIGURE:
    v->idle_cycles = get8(q);
    v->retry = get16(q);
    v->match_retry = get16(q);
    put8(w, DAP_OK);
    return;
  case ID_TRANSFER: cmd_transfer(v, q, w); return;
  case ID_TRANSFER_BLOCK: cmd_transfer_block(v, q, w); return;
  case ID_WRITE_ABORT: {
    (void)get8(q);
    uint32_t data = get32(q);
    if (v->port != PORT_SWD) {
      put8(w, DAP_ERROR);
      return;
    }
    swd(v, DP_ABORT, &data); /* no retry, ACK ignored [2.3] */
    put8(w, DAP_OK);
    return;
  }
  case ID_DELAY:
    fw_ns(v, 1000.0 * get16(q));
    put8(w, DAP_OK);
    return;
  case ID_RESET_TARGET:
    put8(w, DAP_OK);
    put8(w, 0); /* no device-specific reset sequence */
    return;
  case ID_SWJ_PINS: cmd_swj_pins(v, q, w); return;
  case ID_SWJ_CLOCK: {
    uint32_t hz = get32(q);
    if (hz)
      set_clock(v, hz);
    put8(w, hz ? DAP_OK : DAP_ERROR);
    return;
  }
  case ID_SWJ_SEQUENCE: cmd_swj_sequence(v, q, w); return;
  case ID_SWD_CONFIGURE: {
    uint8_t cfg = get8(q);
    v->turnaround = (cfg & 3u) + 1;
    v->data_phase = (cfg & 4u) != 0;
    put8(w, DAP_OK);
    return;
  }
  case ID_SWD_SEQUENCE: cmd_swd_sequence(v, q, w); return;
  case ID_JTAG_SEQUENCE: { /* parsed, refused: no JTAG port */
    unsigned n = get8(q);
    for (unsigned s = 0; s < n; s++) {
      unsigned bits = get8(q) & 0x3Fu;
      q->off += ((bits ? bits : 64) + 7) / 8;
    }
    put8(w, DAP_ERROR);
    return;
  }
  case ID_JTAG_CONFIGURE:
    q->off += get8(q);
    put8(w, DAP_ERROR);
    return;
  case ID_JTAG_IDCODE:
    (void)get8(q);
    put8(w, DAP_ERROR);
    return;
  default: /* unknown, unbuilt (SWO, UART), vendor, 0x07/0x7E/0x7F nested */
    w->len = at;
    put8(w, ID_INVALID);
    v->st.invalid++;
    v->c.status_errors++;
    return;
  }
}

/* A whole packet (DAP_ExecuteCommand): 0x7F runs its sub-commands back to back. */
static void execute(lf_vcmsisdap *v, const uint8_t *req, size_t len, wr *w)
{
  rd q = {req, len, 0, false};
  if (len && req[0] == ID_EXECUTE_COMMANDS && v->cfg.execute_cmds) {
    q.off = 1;
    unsigned n = get8(&q);
    put8(w, ID_EXECUTE_COMMANDS);
    put8(w, (uint8_t)n);
    v->c.commands++;
    for (unsigned i = 0; i < n && !w->overflow; i++)
      process(v, &q, w);
  } else {
    process(v, &q, w);
  }
  if (q.short_ || q.off > len || w->overflow)
    v->st.protocol_errors++;
}

/* ---- queues and USB ---- */

static unsigned frame_ns(const lf_vcmsisdap *v)
{
  double f = v->p->usb_fs_frame_ns;
  return f >= 1 ? (unsigned)llround(f) : 1;
}
static uint64_t frame_ceil(const lf_vcmsisdap *v, uint64_t t)
{
  uint64_t f = frame_ns(v);
  return (t + f - 1) / f * f;
}
static uint64_t frame_after(const lf_vcmsisdap *v, uint64_t t)
{
  uint64_t f = frame_ns(v);
  return (t / f + 1) * f;
}

uint64_t lf_vcmsisdap_usb_wire_ns(const lf_vcmsisdap *v, size_t len)
{
  return lf_vusb_wire_ns(&v->link, len);
}
uint64_t lf_vcmsisdap_usb_ns(const lf_vcmsisdap *v, size_t len) { return lf_vusb_ns(&v->link, len); }
void lf_vcmsisdap_batch_begin(lf_vcmsisdap *v) { lf_vusb_batch_begin(&v->link); }
void lf_vcmsisdap_batch_end(lf_vcmsisdap *v) { lf_vusb_batch_end(&v->link); }
void lf_vcmsisdap_batch_submit(lf_vcmsisdap *v, uint64_t t_ns) { lf_vusb_batch_submit(&v->link, t_ns); }

/* A bulk transfer's bus time: latency when it starts a round trip. */
static void bulk_charge(lf_vcmsisdap *v, size_t len) { lf_vusb_charge(&v->link, &v->c, len); }

static void wait_until(lf_vcmsisdap *v, uint64_t t)
{
  if (t > v->clk->now_ns)
    lf_clock_advance(v->clk, LF_CLK_USB, t - v->clk->now_ns);
}

static dqueue *queue_out(lf_vcmsisdap *v, uint8_t ep)
{
  for (int i = 0; i < 2; i++)
    if (v->q[i].present && v->q[i].ep_out == ep)
      return &v->q[i];
  return NULL;
}

static dqueue *queue_in(lf_vcmsisdap *v, uint8_t ep)
{
  for (int i = 0; i < 2; i++)
    if (v->q[i].present && v->q[i].ep_in == ep)
      return &v->q[i];
  return NULL;
}

/* Runs one packet and queues its response (ready now). */
static void respond(lf_vcmsisdap *v, dqueue *q, const uint8_t *req, size_t len, uint64_t seq)
{
  dq_reply *r = &q->r[(q->head + q->count) % v->cfg.buffers];
  uint8_t in[MAX_PACKET] = {0};
  memcpy(in, req, len);
  memset(r->data, 0, v->cfg.packet_size);
  wr w = {r->data, v->cfg.packet_size, 0, false};
  execute(v, in, len, &w);
  r->len = q->hid ? v->cfg.packet_size : w.len; /* HID: always a full report */
  r->ready_ns = v->clk->now_ns;
  r->seq = seq;
  q->count++;
  if (q->count + q->nheld > v->st.max_queued)
    v->st.max_queued = q->count + q->nheld;
}

/* A request has reached the firmware (its OUT done): run it, or hold it
 * (0x7E), or act on it in the receive path (0x07). */
static void accept(lf_vcmsisdap *v, dqueue *q, const uint8_t *data, size_t len)
{
  if (q->hid)
    v->st.hid_commands++;
  else
    v->st.bulk_commands++;
  uint64_t seq = q->seq++;
  if (q->queue_cmds && data[0] == ID_QUEUE_COMMANDS) {
    uint8_t *h = q->held + (size_t)q->nheld * v->cfg.packet_size;
    memcpy(h, data, len);
    h[0] = ID_EXECUTE_COMMANDS; /* run later as 0x7F [2.6] */
    q->held_len[q->nheld++] = len;
    if (q->count + q->nheld > v->st.max_queued)
      v->st.max_queued = q->count + q->nheld;
    return;
  }
  for (unsigned i = 0; i < q->nheld; i++)
    respond(v, q, q->held + (size_t)i * v->cfg.packet_size, q->held_len[i], seq - q->nheld + i);
  q->nheld = 0;
  respond(v, q, data, len, seq);
}

/* When the host submits its next HID transfer: with its batch (or when a
 * pipelined host said it did, lf_vcmsisdap_batch_submit); else as soon as
 * its last one here completed, if nothing but that request's execution has
 * moved the clock since (the firmware's time is not the host's: on hardware
 * the next OUT goes while the firmware executes, USB and SWD overlap); else
 * now. */
static uint64_t host_submit(const lf_vcmsisdap *v, const dqueue *q)
{
  if (v->link.batch)
    return v->link.batch_t0;
  return v->clk->now_ns == q->fw_end_ns && q->host_ns < v->clk->now_ns ? q->host_ns : v->clk->now_ns;
}

static int usb_fault(lf_vcmsisdap *v, bool in, unsigned timeout_ms, bool *short_pkt)
{
  return lf_vprobe_usb_fault(v->faults, &v->link, &v->c, in, timeout_ms, short_pkt);
}

static int stall(lf_vcmsisdap *v) { return lf_vprobe_stall(&v->link, &v->c); }

static int timed_out(lf_vcmsisdap *v, unsigned timeout_ms)
{
  v->c.usb_timeouts++;
  lf_clock_advance(v->clk, LF_CLK_TIMEOUT, (uint64_t)timeout_ms * 1000000u);
  return LF_VUSB_ERR_TIMEOUT;
}

int lf_vcmsisdap_out(lf_vcmsisdap *v, uint8_t ep, const uint8_t *data, size_t len, size_t *actual,
                     unsigned timeout_ms)
{
  bool short_pkt = false;
  *actual = 0;
  v->c.usb_out_transfers++;
  int rc = usb_fault(v, false, timeout_ms, &short_pkt);
  if (rc != LF_VUSB_OK)
    return rc;
  dqueue *q = queue_out(v, ep);
  if (!q || len > v->cfg.packet_size)
    return stall(v);
  bool abort_now = len && data[0] == ID_TRANSFER_ABORT && q->abort_intercept;
  bool full = len && !abort_now && q->count + q->nheld >= v->cfg.buffers;
  if (full && q->full == LF_VCD_FULL_NAK) {
    v->st.naked++;
    return timed_out(v, timeout_ms);
  }
  /* a slot is free since the response that held it reached the host */
  uint64_t gate = 0;
  if (len && !full && q->seq >= v->cfg.buffers)
    gate = q->done[q->seq % v->cfg.buffers];
  if (q->hid) {
    uint64_t t = host_submit(v, q) + ns_of(v->p->usb_fs_transfer_latency_ns);
    uint64_t slot = frame_ceil(v, t > gate ? t : gate);
    if (slot < q->out_free_ns)
      slot = q->out_free_ns;
    q->out_free_ns = slot + frame_ns(v);
    q->host_ns = slot + lf_vcmsisdap_usb_wire_ns(v, len);
    wait_until(v, q->host_ns); /* the firmware takes it once it is done with the last one */
    v->c.usb_round_trips++;
  } else {
    wait_until(v, gate); /* NAKed until a slot is free */
    bulk_charge(v, len);
  }
  v->c.usb_out_bytes += len;
  *actual = len;
  if (!len)
    return LF_VUSB_OK; /* a ZLP ends nothing here */
  if (abort_now)
    v->abort = true; /* intercepted: no slot, no response [1.1] */
  else if (full)
    v->st.dropped++;
  else
    accept(v, q, data, len);
  q->fw_end_ns = v->clk->now_ns;
  return LF_VUSB_OK;
}

bool lf_vcmsisdap_in_pending(const lf_vcmsisdap *v, uint8_t ep)
{
  dqueue *q = queue_in((lf_vcmsisdap *)v, ep);
  return q && q->count > 0;
}

/* Takes the head response, recording when it reached the host. */
static void pop(lf_vcmsisdap *v, dqueue *q, uint64_t done)
{
  q->done[q->r[q->head].seq % v->cfg.buffers] = done;
  q->head = (q->head + 1) % v->cfg.buffers;
  q->count--;
}

int lf_vcmsisdap_in(lf_vcmsisdap *v, uint8_t ep, uint8_t *buf, size_t len, size_t *actual,
                    unsigned timeout_ms, unsigned flags, uint64_t *done_ns)
{
  bool short_pkt = false, detached = flags & LF_VPROBE_DETACHED;
  *actual = 0;
  *done_ns = v->clk->now_ns;
  v->c.usb_in_transfers++;
  int rc = usb_fault(v, true, timeout_ms, &short_pkt);
  if (rc != LF_VUSB_OK)
    return rc;
  dqueue *q = queue_in(v, ep);
  if (!q)
    return stall(v);
  if (!q->count) {
    if (detached) { /* the reader waits on its own time */
      v->c.usb_timeouts++;
      *done_ns = v->clk->now_ns + (uint64_t)timeout_ms * 1000000u;
      return LF_VUSB_ERR_TIMEOUT;
    }
    return timed_out(v, timeout_ms);
  }
  dq_reply *r = &q->r[q->head];
  size_t n = r->len;
  rc = LF_VUSB_OK;
  bool no_zlp = !q->hid && n && n % USB_FS_PACKET == 0 && len > n && v->p->cmsisdap_bulk_zlp == 0;
  if (len < n) {
    n = len;
    rc = LF_VUSB_ERR_OVERFLOW;
  } else if (short_pkt) {
    n /= 2;
  }
  uint64_t done;
  if (q->hid) {
    uint64_t slot = frame_after(v, r->ready_ns);
    if (slot < q->in_free_ns)
      slot = q->in_free_ns;
    if (!detached) { /* this host submits its IN when it can (or with its batch) */
      uint64_t t = frame_ceil(v, host_submit(v, q) + ns_of(v->p->usb_fs_transfer_latency_ns));
      slot = t > slot ? t : slot;
    }
    q->in_free_ns = slot + frame_ns(v);
    done = slot + lf_vcmsisdap_usb_wire_ns(v, r->len);
    v->c.usb_round_trips++;
    if (!detached) {
      wait_until(v, done);
      q->host_ns = done;
    }
  } else if (detached) {
    uint64_t start = r->ready_ns > q->in_done_ns ? r->ready_ns : q->in_done_ns;
    done = start + lf_vcmsisdap_usb_ns(v, r->len);
    q->in_done_ns = done;
  } else {
    bulk_charge(v, rc == LF_VUSB_OK ? n : r->len);
    done = v->clk->now_ns;
  }
  memcpy(buf, r->data, n);
  pop(v, q, done);
  v->c.usb_in_bytes += n;
  *actual = n;
  *done_ns = done;
  if (rc == LF_VUSB_OK && no_zlp) { /* the transfer never ends: the host times out */
    if (!detached)
      return timed_out(v, timeout_ms);
    *done_ns = done + (uint64_t)timeout_ms * 1000000u;
    v->c.usb_timeouts++;
    return LF_VUSB_ERR_TIMEOUT;
  }
  return rc;
}

int lf_vcmsisdap_control(lf_vcmsisdap *v, uint8_t type, uint8_t req, uint16_t value,
                         uint16_t index, uint8_t *data, size_t len)
{
  dqueue *q = &v->q[1];
  if (!q->present || (type & 0x1F) != 1 || index != v->cfg.hid_iface)
    return LF_VUSB_ERR_PIPE; /* only the HID interface has class requests */
  bool in = type & 0x80;
  if ((type & 0x60) != 0x20)
    return LF_VUSB_ERR_PIPE;
  switch (req) {
  case 0x09: /* SET_REPORT (output): a request [1.1] */
    if (in || value >> 8 != 2 || len == 0 || len > v->cfg.packet_size)
      return LF_VUSB_ERR_PIPE;
    if (data[0] == ID_TRANSFER_ABORT && q->abort_intercept)
      v->abort = true;
    else if (q->count + q->nheld >= v->cfg.buffers)
      v->st.dropped++;
    else
      accept(v, q, data, len);
    return (int)len;
  case 0x01: { /* GET_REPORT (input): the next response, if any */
    if (!in || value >> 8 != 1)
      return LF_VUSB_ERR_PIPE;
    if (!q->count)
      return 0;
    size_t n = len < v->cfg.packet_size ? len : v->cfg.packet_size;
    memcpy(data, q->r[q->head].data, n);
    pop(v, q, v->clk->now_ns);
    v->c.usb_in_bytes += n;
    return (int)n;
  }
  case 0x0A: /* SET_IDLE */
  case 0x0B: /* SET_PROTOCOL */
    return in ? LF_VUSB_ERR_PIPE : 0;
  case 0x02: /* GET_IDLE: 0 = only on change */
  case 0x03: /* GET_PROTOCOL: 1 = report protocol */
    if (!in || len < 1)
      return LF_VUSB_ERR_PIPE;
    data[0] = req == 0x03;
    return 1;
  default:
    return LF_VUSB_ERR_PIPE;
  }
}

void lf_vcmsisdap_usb_reset(lf_vcmsisdap *v)
{
  for (int i = 0; i < 2; i++) {
    v->q[i].count = v->q[i].nheld = 0;
    v->q[i].head = 0;
  }
}

/* ---- lifetime ---- */

static bool queue_init(dqueue *q, const lf_vcmsisdap_cfg *cfg, bool hid)
{
  q->present = hid ? cfg->has_hid : cfg->has_bulk;
  q->hid = hid;
  q->ep_out = hid ? cfg->hid_ep_out : cfg->bulk_ep_out;
  q->ep_in = hid ? cfg->hid_ep_in : cfg->bulk_ep_in;
  q->full = hid ? cfg->full_hid : cfg->full_bulk;
  q->abort_intercept = hid ? cfg->abort_hid : cfg->abort_bulk;
  q->queue_cmds = !hid && cfg->queue_cmds_bulk;
  if (!q->present)
    return true;
  q->r = calloc(cfg->buffers, sizeof *q->r);
  q->held = calloc(cfg->buffers, cfg->packet_size);
  q->held_len = calloc(cfg->buffers, sizeof *q->held_len);
  q->done = calloc(cfg->buffers, sizeof *q->done);
  if (!q->r || !q->held || !q->held_len || !q->done)
    return false;
  for (unsigned i = 0; i < cfg->buffers; i++)
    if (!(q->r[i].data = calloc(1, cfg->packet_size)))
      return false;
  return true;
}

static void queue_free(dqueue *q, unsigned buffers)
{
  for (unsigned i = 0; q->r && i < buffers; i++)
    free(q->r[i].data);
  free(q->r);
  free(q->held);
  free(q->held_len);
  free(q->done);
}

lf_vcmsisdap *lf_vcmsisdap_new(const lf_vcmsisdap_cfg *cfg, const lf_vprobe_env *env)
{
  if (cfg->packet_size < 64 || cfg->packet_size > MAX_PACKET || cfg->buffers < 1 ||
      cfg->buffers > MAX_BUFFERS || cfg->packet_count > cfg->buffers || cfg->packet_count > 255)
    return NULL;
  lf_vcmsisdap *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->cfg = *cfg;
  v->clk = env->clk;
  v->p = env->p;
  v->link = (lf_vusb_link){.clk = env->clk, .p = env->p, .high_speed = false};
  v->dap = env->dap;
  v->faults = env->faults;
  v->nrst = env->nrst;
  v->nrst_ctx = env->ctx;
  if (!queue_init(&v->q[0], cfg, false) || !queue_init(&v->q[1], cfg, true)) {
    lf_vcmsisdap_free(v);
    return NULL;
  }
  /* DAP_Setup [2.3]: port off, idle 0, WAIT retry 100, match retry 0,
   * mask 0, turnaround 1, no data phase, the default clock */
  v->port = PORT_DISABLED;
  v->retry = WAIT_RETRY_DEFAULT;
  v->turnaround = 1;
  v->pins = PIN_SWCLK | PIN_SWDIO | PIN_NRESET;
  set_clock(v, cfg->default_hz);

  unsigned n = 0;
  if (cfg->has_hid)
    v->ifaces[n++] = (lf_bench_usb_iface){
      .number = cfg->hid_iface, .cls = 0x03, .name = cfg->hid_name,
      .ep_out = cfg->hid_ep_out, .ep_in = cfg->hid_ep_in, .interrupt = true, .in_first = true,
      .max_packet = (uint16_t)cfg->packet_size, .interval = 1,
      .hid_report = hid_report_64, .hid_report_len = sizeof hid_report_64,
    };
  if (cfg->has_bulk)
    v->ifaces[n++] = (lf_bench_usb_iface){
      .number = cfg->bulk_iface, .cls = 0xFF, .name = cfg->bulk_name,
      .ep_out = cfg->bulk_ep_out, .ep_in = cfg->bulk_ep_in, .in_first = false,
      .max_packet = USB_FS_PACKET,
    };
  if (n == 2 && v->ifaces[1].number < v->ifaces[0].number) {
    lf_bench_usb_iface t = v->ifaces[0];
    v->ifaces[0] = v->ifaces[1];
    v->ifaces[1] = t;
  }
  const lf_bench_usb_iface *main_if = cfg->has_bulk ? &v->ifaces[n - 1] : &v->ifaces[0];
  for (unsigned i = 0; i < n; i++)
    if (v->ifaces[i].cls == 0xFF)
      main_if = &v->ifaces[i];
  v->usb = (lf_bench_usb_info){
    .vid = cfg->vid, .pid = cfg->pid, .bcd_device = cfg->bcd_device,
    .manufacturer = cfg->manufacturer, .product = cfg->product, .serial = v->cfg.serial,
    .ep_out = main_if->ep_out, .ep_in = main_if->ep_in, .ep_trace = 0,
    .max_packet = main_if->max_packet, .high_speed = false,
    .ifaces = v->ifaces, .nifaces = n,
  };
  return v;
}

void lf_vcmsisdap_free(lf_vcmsisdap *v)
{
  if (!v)
    return;
  queue_free(&v->q[0], v->cfg.buffers);
  queue_free(&v->q[1], v->cfg.buffers);
  free(v);
}

const lf_bench_usb_info *lf_vcmsisdap_usb_info(const lf_vcmsisdap *v) { return &v->usb; }
const lf_vprobe_counters *lf_vcmsisdap_counters_get(const lf_vcmsisdap *v) { return &v->c; }
const lf_vcmsisdap_stats *lf_vcmsisdap_stats_get(const lf_vcmsisdap *v) { return &v->st; }
const lf_vcmsisdap_cfg *lf_vcmsisdap_cfg_get(const lf_vcmsisdap *v) { return &v->cfg; }

void lf_vcmsisdap_leds(const lf_vcmsisdap *v, bool *connected, bool *running)
{
  *connected = v->led_connected;
  *running = v->led_running;
}

/* ---- the probe model "cmsis-dap" (vprobe.h) ---- */

static const char *const preset_names[] = {"daplink", "rpi-debugprobe"};

static const char *m_preset_name(size_t i)
{
  return i < sizeof preset_names / sizeof preset_names[0] ? preset_names[i] : NULL;
}

/* The probe's own serial when the user gave none: derived from the board's
 * default (bench: distinct per board, in the probe's format). DAPLink: 48 hex
 * digits (its unique ID [2.2]); debugprobe: 16 (the RP2040 flash ID). */
static void derive_serial(const char *preset, const lf_vprobe_env *env, char *out, size_t cap)
{
  const char *board = env->serial ? env->serial : "";
  if (env->serial_given)
    snprintf(out, cap, "%s", board);
  else if (strcmp(preset, "daplink") == 0)
    snprintf(out, cap, "02400000%.24s%s", board, "0000000000000000");
  else
    snprintf(out, cap, "%.16s", board);
}

static void *m_create(const char *preset, const lf_vprobe_env *env, char *err, size_t errlen)
{
  char serial[64];
  derive_serial(preset, env, serial, sizeof serial);
  lf_vcmsisdap_cfg cfg;
  if (lf_vcmsisdap_cfg_preset(&cfg, preset, env->p, serial[0] ? serial : NULL) != 0) {
    snprintf(err, errlen, "bench: unknown CMSIS-DAP preset '%s'", preset);
    return NULL;
  }
  lf_vcmsisdap *v = lf_vcmsisdap_new(&cfg, env);
  if (!v)
    snprintf(err, errlen, "bench: probe %s: packet count %u / buffers %u out of range 1..%d, "
             "or out of memory", preset, cfg.packet_count, cfg.buffers, MAX_BUFFERS);
  return v;
}

static int m_out(void *m, uint8_t ep, const uint8_t *data, size_t len, size_t *actual,
                 unsigned timeout_ms)
{
  return lf_vcmsisdap_out(m, ep, data, len, actual, timeout_ms);
}

static int m_in(void *m, uint8_t ep, uint8_t *buf, size_t len, size_t *actual, unsigned timeout_ms,
                unsigned flags, uint64_t *done_ns)
{
  return lf_vcmsisdap_in(m, ep, buf, len, actual, timeout_ms, flags, done_ns);
}

static bool m_in_pending(const void *m, uint8_t ep) { return lf_vcmsisdap_in_pending(m, ep); }
static void m_batch_begin(void *m) { lf_vcmsisdap_batch_begin(m); }
static void m_batch_end(void *m) { lf_vcmsisdap_batch_end(m); }
static void m_batch_submit(void *m, uint64_t t_ns) { lf_vcmsisdap_batch_submit(m, t_ns); }
static void m_usb_reset(void *m) { lf_vcmsisdap_usb_reset(m); }
static int m_control(void *m, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                     uint8_t *data, size_t len)
{
  return lf_vcmsisdap_control(m, type, req, value, index, data, len);
}
static uint64_t m_usb_ns(const void *m, size_t len) { return lf_vcmsisdap_usb_ns(m, len); }
static uint64_t m_usb_wire_ns(const void *m, size_t len) { return lf_vcmsisdap_usb_wire_ns(m, len); }
static const lf_bench_usb_info *m_usb_info(const void *m) { return lf_vcmsisdap_usb_info(m); }
static const lf_vprobe_counters *m_counters(const void *m) { return lf_vcmsisdap_counters_get(m); }
static void m_free(void *m) { lf_vcmsisdap_free(m); }

static void m_report(const void *m, FILE *out)
{
  const lf_vcmsisdap *v = m;
  const lf_vcmsisdap_stats *s = &v->st;
  fprintf(out, "cmsis-dap: %s, packets %llu bulk / %llu hid, %llu transfers (%llu swd attempts, "
               "%llu WAIT retries), %llu 0xFF answers, %llu dropped, %llu NAKed, %llu protocol "
               "errors, at most %u of %u buffers; swclk %.0f Hz for %.0f Hz requested\n",
          v->cfg.name, (unsigned long long)s->bulk_commands, (unsigned long long)s->hid_commands,
          (unsigned long long)s->transfers, (unsigned long long)s->swd_attempts,
          (unsigned long long)s->wait_retries, (unsigned long long)s->invalid,
          (unsigned long long)s->dropped, (unsigned long long)s->naked,
          (unsigned long long)s->protocol_errors, s->max_queued, v->cfg.buffers,
          lf_dap_swclk(v->dap), v->swclk_request);
}

static const lf_vprobe_ops cmsisdap_ops = {
  .out = m_out,
  .in = m_in,
  .in_pending = m_in_pending,
  .batch_begin = m_batch_begin,
  .batch_end = m_batch_end,
  .batch_submit = m_batch_submit,
  .usb_reset = m_usb_reset,
  .control = m_control,
  .usb_ns = m_usb_ns,
  .usb_wire_ns = m_usb_wire_ns,
  .usb_info = m_usb_info,
  .counters = m_counters,
  .report = m_report,
  .free = m_free,
};

const lf_vprobe_model lf_vprobe_model_cmsisdap = {
  .kind = "cmsis-dap",
  .preset_name = m_preset_name,
  .create = m_create,
  .ops = &cmsisdap_ops,
};
