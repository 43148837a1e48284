/* CMSIS-DAP v1 (HID) and v2 (bulk) driver (probe-protocols.md 3 and 4,
 * ../shared/reference/cmsis-dap.md).
 *
 * Wire shape: every command is one packet (v1: one HID report of the
 * interrupt OUT endpoint's size, zero-padded; v2: one bulk transfer of the
 * command's exact length), its response one packet (v1: a full report; v2:
 * read with the exact length a success has, so no zero-length packet is
 * ever needed). Packets go through a USB pipe (lf_usb_pipe) with a sliding
 * window of `inflight` of them in flight (the probe's Packet Count, Info
 * 0xFE, capped by cfg.max_inflight and MAX_INFLIGHT): the next packet goes
 * out as the oldest reply comes in, so the probe always has its next
 * request and never more than its buffers; on a HID link that is one
 * report per frame instead of two. Replies are checked in order; the first
 * failure ends the exchange (what is still in flight is given up and its
 * replies drained).
 *
 * Decisions:
 *  - The arm layer drives the MEM-AP (LF_PROBE_CAP_RAW_DAP) and hands runs
 *    of ops (dap_run): single accesses are packed into DAP_Transfer packets
 *    (as many as the packet size and the 255-request limit allow, a block's
 *    accesses included), a block that does not fit the current packet goes
 *    into DAP_TransferBlock packets of the most words a packet holds. A DP
 *    write to ABORT is its own DAP_WriteABORT (no WAIT retry, ACK ignored:
 *    it also recovers a DP that answers WAIT).
 *  - Posted runs (dap_post): packed and sent, not waited for; the window
 *    stays open across calls, so a stream of runs never waits for a round
 *    trip and a write followed by a read costs one. The last DAP_Transfer
 *    of a posted run stays unsent while it has room: the next run's
 *    accesses join it (a DP access never joins an AP write: that write's
 *    bus error would then show nowhere, cmsis-dap.md 2.4). A posted run's
 *    failure comes with the next exchange that waits (named "posted
 *    earlier"; nothing after it counts as done).
 *  - The probe retries WAIT itself (DAP_TransferConfigure, cfg.wait_retry);
 *    a WAIT it reports is LF_ETIMEDOUT, after which the driver writes ABORT
 *    = DAPABORT|clear-all so the next access works. FAULT is LF_EFAULT (the
 *    arm layer clears the sticky error), no ACK LF_ETARGET, a parity error
 *    LF_EIO.
 *  - open: Info 0xFE alone (Packet Count: nothing is pipelined before it is
 *    known, cmsis-dap.md 7 #2/#3), then 0xFF and 0xF0, then the strings
 *    (with packet-size buffers), each group one round trip.
 *  - connect: DAP_Connect(SWD), SWJ_Clock, TransferConfigure,
 *    SWD_Configure(0), HostStatus(connect), [SWJ_Pins nRESET low],
 *    JTAG-to-SWD (or JTAG-to-dormant, dormant-to-SWD and TARGETSEL through
 *    DAP_SWD_Sequence for multidrop targets), DPIDR read: in one
 *    DAP_ExecuteCommands packet when the probe has atomic commands
 *    (capabilities bit 4; cmsis-dap.md 2.6) and they fit, else pipelined
 *    one by one (also for good once a probe answers 0x7F with 0xFF,
 *    debugprobe's HID build). A connect while connected, nothing changed
 *    since, sends only the SWD sequence and the DPIDR read; SWJ_Clock while
 *    not connected waits for the connect. NRST stays low after a connect
 *    under reset (the arm layer releases it). Disconnect and HostStatus(off)
 *    go in one packet the same way.
 *  - v2: a request whose length is a multiple of the OUT endpoint's packet
 *    size but below the DAP packet size gets one zero byte more (the
 *    firmware ignores trailing bytes; no ZLP needed); a block read whose
 *    reply would be such a multiple carries one word less.
 *  - After a reply out of step (wrong command byte, garbage, short, missing)
 *    up to `inflight` stale replies are drained with DRAIN_MS reads.
 *  - Target voltage: CMSIS-DAP has no command for it (LF_ENOTSUP). */
#include "probe/cmsis_dap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAP_OK 0x00
#define DAP_ERROR 0xFF

#define ACK_OK 1
#define ACK_WAIT 2
#define ACK_FAULT 4
#define ACK_NONE 7
#define RESP_PARITY 0x08
#define RESP_MISMATCH 0x10

#define INFO_VENDOR 0x01
#define INFO_PRODUCT 0x02
#define INFO_SERIAL 0x03
#define INFO_PROTOCOL 0x04
#define INFO_FIRMWARE 0x09
#define INFO_CAPS 0xF0
#define INFO_PACKET_COUNT 0xFE
#define INFO_PACKET_SIZE 0xFF

#define CAP_SWD 0x01u
#define CAP_ATOMIC 0x10u /* DAP_ExecuteCommands / DAP_QueueCommands */
#define ID_EXECUTE_COMMANDS 0x7Fu
#define MAX_SUBS 8u
#define PIN_NRESET 0x80u
#define ABORT_ALL 0x1Fu /* DAPABORT | STKCMPCLR | STKERRCLR | WDERRCLR | ORUNERRCLR */

#define PACKET_MIN 64u     /* smallest DAP packet size accepted */
#define PACKET_MAX 32768u  /* probe-protocols.md 3.4 */
#define MAX_INFLIGHT ((unsigned)LF_USB_PIPE_MAX)
#define BUF_BUDGET (1u << 20) /* bytes of request + reply buffers */
#define DRAIN_MS 10u
#define TIMEOUT_MS 1000u

const lf_usb_match lf_cmsis_dap_usb_match[] = {
  {.iface_name = "CMSIS-DAP", .iface_class = 0xFF, .iface = -1, .xfer = LF_USB_BULK},
  {.iface_name = "CMSIS-DAP", .iface_class = 0x03, .iface = -1, .xfer = LF_USB_INTERRUPT},
};
const size_t lf_cmsis_dap_usb_nmatch = sizeof lf_cmsis_dap_usb_match / sizeof lf_cmsis_dap_usb_match[0];

/* HID report sizes hosts cannot learn from the endpoint (cmsis-dap.md 1.2,
 * OpenOCD's list): Atmel EDBG/ICE send 512-byte reports on a 64-byte
 * endpoint. pid 0 = every PID of the vendor; report 0 = the endpoint's. */
static const struct {
  uint16_t vid, pid;
  unsigned report;
} hid_reports[] = {
  {0x03EB, 0x2145, 0},
  {0x03EB, 0x2175, 0},
  {0x03EB, 0, 512},
};

/* probe-protocols.md 4.2, LSB first */
const uint8_t lf_cmsis_dap_seq_jtag_to_swd[17] = {
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
};
/* 9 ones, then the 31-bit select code 0x33BBBBBA */
const uint8_t lf_cmsis_dap_seq_jtag_to_dormant[5] = {0xFF, 0x75, 0x77, 0x77, 0x67};
/* 8 ones, the 128-bit selection alert, 4 zeros, activation code 0x1A, 68
 * ones, 8 zeros (the tail is a line reset) */
const uint8_t lf_cmsis_dap_seq_dormant_to_swd[28] = {
  0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86, 0xE9, 0xAF, 0xDD, 0xE3, 0xA2,
  0x0E, 0xBC, 0x19, 0xA0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
};

static uint32_t get32(const uint8_t *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static void put32(uint8_t *b, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
}

uint8_t lf_cmsis_dap_request(bool ap, bool read, uint8_t addr)
{
  return (uint8_t)((ap ? 0x01u : 0u) | (read ? 0x02u : 0u) | (addr & 0x0Cu));
}

static unsigned parity32(uint32_t v)
{
  v ^= v >> 16;
  v ^= v >> 8;
  v ^= v >> 4;
  v ^= v >> 2;
  v ^= v >> 1;
  return v & 1u;
}

void lf_cmsis_dap_targetsel_cmd(uint8_t cmd[11], uint32_t targetsel)
{
  cmd[0] = LF_DAP_SWD_SEQUENCE;
  cmd[1] = 3;    /* sequences */
  cmd[2] = 0x08; /* 8 bits out: */
  cmd[3] = 0x99; /* start, DP, write, A = 0xC, parity 0, stop, park */
  cmd[4] = 0x85; /* 5 bits in: turnaround, ACK (not driven), turnaround */
  cmd[5] = 0x21; /* 33 bits out: data and parity */
  put32(cmd + 6, targetsel);
  cmd[10] = (uint8_t)parity32(targetsel);
}

/* ---- the driver ---- */

typedef struct cmsis_dap cmsis_dap;
typedef struct dap_pkt dap_pkt;
typedef int (*pkt_parse)(cmsis_dap *d, dap_pkt *k);

/* One DAP_Transfer request: the op of the run it belongs to (-1: a posted
 * op, whose caller does not count completions), its request byte, where a
 * read's word goes. */
typedef struct dap_ent {
  long op;
  uint8_t rq;
  uint32_t *dst;
} dap_ent;

/* A command inside a DAP_ExecuteCommands packet (cmsis-dap.md 2.6): where
 * its request starts in the packet, its reply's length, and for a
 * DAP_Transfer its one request. */
typedef struct dap_sub {
  const char *name;
  pkt_parse parse;
  size_t roff, want;
  size_t nreq, nreads;
  dap_ent ent;
} dap_sub;

/* A command packet and what its reply needs. */
struct dap_pkt {
  const char *name;  /* "DAP_Transfer" */
  uint8_t *req;
  size_t len;        /* request bytes */
  uint8_t *rsp;
  size_t want;       /* v2: the reply's length on success */
  size_t got;
  pkt_parse parse;
  size_t nreq;       /* DAP_Transfer: requests; TransferBlock: words */
  size_t nreads;     /* DAP_Transfer: data words of a successful reply */
  dap_ent *ent;      /* DAP_Transfer: one per request */
  long op;           /* TransferBlock / WriteABORT: the op (-1: posted) */
  uint8_t rq;        /* TransferBlock: the request byte */
  uint32_t *bdst;    /* TransferBlock read: the words */
  char *sdst;        /* DAP_Info string: destination */
  size_t scap;
  uint8_t arg;       /* DAP_Info: the ID asked */
  dap_sub sub[MAX_SUBS]; /* DAP_ExecuteCommands: its commands */
  size_t nsub;
  lf_usb_xfer out, in; /* its USB transfers while in flight */
};

struct cmsis_dap {
  lf_probe base; /* first: lf_probe * <-> cmsis_dap * */
  lf_usb_dev *usb;
  lf_cmsis_dap_info in;
  lf_cmsis_dap_cfg cfg;
  unsigned ep_out_mps, ep_in_mps;
  size_t bufsize;    /* bytes of each request (+1) and reply buffer */
  size_t slots;      /* packet slots allocated (in.inflight + 1) */
  dap_pkt *pk;       /* ring: nfly packets in flight from head, then cur */
  uint8_t *mem;
  dap_ent *ents;
  size_t nents;      /* entries per slot */
  size_t head, nfly; /* oldest packet in flight; packets in flight */
  dap_pkt *cur;      /* the packet being built, not sent yet (NULL: none) */
  int qerr;          /* first error of the current exchange */
  bool need_abort;   /* a WAIT was reported: DAPABORT after the failure */
  bool desync;       /* replies may be out of step: drain after the failure */
  lf_dap_op *ops;    /* the run being executed (done counts); NULL while posting */
  bool grouping;     /* cmd() packs commands into DAP_ExecuteCommands packets */
  bool no_atomic;    /* the probe refused DAP_ExecuteCommands: never again */
  bool exec_refused; /* the last DAP_ExecuteCommands was answered 0xFF */
  bool connected;
  bool setup;        /* connected, and the probe holds port, clock and transfer settings
                        as cfg and clock_hz say (a reconnect needs only the SWD line) */
  uint32_t clock_hz; /* last set_clock, 0 = the probe's default */
  uint8_t pins;      /* last DAP_SWJ_Pins reply */
  bool reset_exec;   /* last DAP_ResetTarget reply */
};

static const lf_probe_ops cmsis_dap_ops;

static cmsis_dap *CD(lf_probe *p) { return (cmsis_dap *)p; }

static const char *sname(const cmsis_dap *d)
{
  const lf_usb_devinfo *i = lf_usb_dev_info(d->usb);
  return i->serial[0] ? i->serial : i->location;
}

/* "05 01 02 ..." of up to 12 bytes of b, for messages. */
static const char *hex(const uint8_t *b, size_t n, char *buf, size_t len)
{
  size_t o = 0;
  buf[0] = 0;
  for (size_t i = 0; i < n && i < 12 && o + 4 < len; i++)
    o += (size_t)snprintf(buf + o, len - o, "%s%02x", i ? " " : "", b[i]);
  if (n > 12 && o + 4 < len)
    snprintf(buf + o, len - o, " ...");
  return buf;
}

/* ---- packet slots ---- */

static void free_slots(cmsis_dap *d)
{
  free(d->pk);
  free(d->mem);
  free(d->ents);
  d->pk = NULL;
  d->mem = NULL;
  d->ents = NULL;
  d->slots = 0;
}

static int alloc_slots(cmsis_dap *d, size_t bufsize, size_t slots)
{
  free_slots(d);
  size_t nents = bufsize < 255 ? bufsize : 255;
  d->pk = calloc(slots, sizeof *d->pk);
  d->mem = malloc(slots * (2 * bufsize + 1));
  d->ents = malloc(slots * nents * sizeof *d->ents);
  if (!d->pk || !d->mem || !d->ents) {
    free_slots(d);
    return lf_err_set(d->base.s, LF_ENOMEM, "cmsis-dap: out of memory");
  }
  for (size_t i = 0; i < slots; i++) {
    d->pk[i].req = d->mem + i * (2 * bufsize + 1);
    d->pk[i].rsp = d->pk[i].req + bufsize + 1;
    d->pk[i].ent = d->ents + i * nents;
  }
  d->bufsize = bufsize;
  d->slots = slots;
  d->nents = nents;
  d->head = d->nfly = 0;
  d->cur = NULL;
  return 0;
}

/* A slot made empty (its buffers kept). */
static dap_pkt *reset_pkt(dap_pkt *k)
{
  uint8_t *req = k->req, *rsp = k->rsp;
  dap_ent *ent = k->ent;
  memset(k, 0, sizeof *k);
  k->req = req;
  k->rsp = rsp;
  k->ent = ent;
  return k;
}

/* ---- the exchange: a window of packets in flight, replies in order ----
 *
 * The ring holds the packets in flight (nfly of them from head) and `cur`,
 * the one being built. A packet is sent when the next one is started or
 * the exchange ends; before it is sent, the oldest reply is taken while
 * `inflight` packets are out (a sliding window: the probe always has the
 * next request while it works, and never more than its buffers). Replies
 * are parsed in order; the first failure gives up the rest (cancelled,
 * stale replies drained, ABORT after a WAIT). A posted exchange (dap_post)
 * ends without waiting and may leave `cur`, a DAP_Transfer with room, open
 * for the next exchange's requests. */

static void q_begin(cmsis_dap *d)
{
  d->qerr = 0;
  d->need_abort = false;
  d->desync = false;
}

static dap_pkt *ring(cmsis_dap *d, size_t i) { return &d->pk[(d->head + i) % d->slots]; }

static int parse_status(cmsis_dap *d, dap_pkt *k);

/* Runs a recovery exchange after a failure, keeping the failure's code and
 * message, with a note on how the recovery went (none when NULL). */
static void recover(cmsis_dap *d, int (*fn)(cmsis_dap *), const char *ok, const char *failed)
{
  lf_session *s = d->base.s;
  int code = lf_err_code(s);
  char *msg = strdup(lf_err_msg(s));
  const char *note = fn(d) ? failed : ok;
  lf_err_set(s, code, "%s%s%s", msg ? msg : "", note ? "; " : "", note ? note : "");
  free(msg);
}

/* Stale replies after a reply out of step: read until nothing comes. */
static int drain(cmsis_dap *d)
{
  size_t n = 0;
  for (size_t i = 0; i < d->in.inflight + 1; i++) {
    lf_usb_xfer x = {.ep = d->in.ep_in, .buf = d->pk[0].rsp,
                     .len = d->in.v1 ? d->in.report : d->bufsize};
    if (lf_usb_batch(d->usb, &x, 1, DRAIN_MS, "drain") || x.actual == 0)
      break;
    n++;
  }
  if (n)
    lf_log(d->base.s, LF_LOG_DEBUG, "cmsis-dap %s: %zu stale repl%s drained", sname(d), n,
           n == 1 ? "y" : "ies");
  return 0;
}

static int q_end(cmsis_dap *d, bool wait);
static int parse_transfer(cmsis_dap *d, dap_pkt *k);
static dap_pkt *cmd(cmsis_dap *d, const char *name, pkt_parse parse, size_t want,
                    const uint8_t *bytes, size_t n);

/* After a WAIT: ABORT = DAPABORT | clear all, so the next access works. */
static int abort_wait(cmsis_dap *d)
{
  uint8_t b[6] = {LF_DAP_WRITE_ABORT, 0};
  put32(b + 2, ABORT_ALL);
  q_begin(d);
  cmd(d, "DAP_WriteABORT", parse_status, 2, b, sizeof b);
  return q_end(d, true);
}

/* The first failure of the exchange (r, its message set): give up what
 * is in flight and bring the link back in step; the exchange keeps r
 * (d->qerr), whatever the recovery exchanges did. Returns r. */
static int q_fail(cmsis_dap *d, int r)
{
  if (d->nfly)
    d->desync = true; /* requests that went out may still be answered */
  lf_usb_pipe_cancel(d->usb);
  d->head = d->nfly = 0;
  d->cur = NULL;
  d->setup = false; /* the next connect sets everything again */
  bool desync = d->desync, abort = d->need_abort;
  if (desync)
    recover(d, drain, NULL, NULL);
  if (abort)
    recover(d, abort_wait, "ABORT written (DAPABORT)", "writing ABORT (DAPABORT) failed too");
  d->qerr = r;
  return r;
}

/* Takes the oldest reply and parses it. */
static int q_pop(cmsis_dap *d)
{
  dap_pkt *k = ring(d, 0);
  int r = lf_usb_pipe_pop(d->usb, "reply");
  d->head = (d->head + 1) % d->slots;
  d->nfly--;
  if (r) {
    d->desync = true;
    r = lf_err_wrap(d->base.s, r, "cmsis-dap %s: %s (%s)", sname(d), k->name,
                    k->out.result ? "request" : "reply");
  } else {
    k->got = k->in.actual;
    r = k->parse(d, k);
  }
  return r ? q_fail(d, r) : 0;
}

/* Sends cur (the window made room first). */
static int q_push(cmsis_dap *d)
{
  dap_pkt *k = d->cur;
  d->cur = NULL;
  int r;
  while (d->nfly >= d->in.inflight)
    if ((r = q_pop(d)))
      return r;
  const lf_cmsis_dap_info *in = &d->in;
  size_t len = k->len;
  if (in->v1) { /* a full report, zero-padded (cmsis-dap.md 1.1) */
    memset(k->req + len, 0, in->report - len);
    len = in->report;
  } else if (len < in->packet_size && len % d->ep_out_mps == 0) {
    k->req[len++] = 0; /* no ZLP needed: the firmware ignores a trailing byte */
  }
  k->out = (lf_usb_xfer){.ep = in->ep_out, .buf = k->req, .len = len};
  k->in = (lf_usb_xfer){.ep = in->ep_in, .buf = k->rsp,
                        .len = in->v1 ? in->report : k->want < d->bufsize ? k->want : d->bufsize};
  k->got = 0;
  if (lf_log_enabled(d->base.s, LF_LOG_TRACE)) {
    char h[64];
    lf_log(d->base.s, LF_LOG_TRACE, "cmsis-dap > %s (%s)", k->name, hex(k->req, k->len, h, sizeof h));
  }
  d->base.st.commands++;
  if (d->nfly == 0)
    d->base.st.round_trips++;
  r = lf_usb_pipe_push(d->usb, &k->out, &k->in, d->cfg.timeout_ms);
  if (r)
    return q_fail(d, lf_err_wrap(d->base.s, r, "cmsis-dap %s: %s (request)", sname(d), k->name));
  d->nfly++;
  return 0;
}

/* A new packet slot (cur is sent first), or NULL after an error (d->qerr). */
static dap_pkt *q_slot(cmsis_dap *d)
{
  if (d->qerr || (d->cur && q_push(d)))
    return NULL;
  d->cur = reset_pkt(ring(d, d->nfly));
  return d->cur;
}

/* Ends the exchange: sends cur and waits for every reply; posted (!wait):
 * returns at once, an open DAP_Transfer stays cur for what comes next. */
static int q_end(cmsis_dap *d, bool wait)
{
  int r = d->qerr;
  if (r)
    return r;
  if (d->cur && (wait || d->cur->parse != parse_transfer) && (r = q_push(d)))
    return r;
  while (wait && d->nfly)
    if ((r = q_pop(d)))
      return r;
  return 0;
}

/* A command of n bytes whose reply (v2) is `want` bytes long. */
static int parse_execute(cmsis_dap *d, dap_pkt *k);

/* While grouping: the command goes into the open DAP_ExecuteCommands packet
 * when it fits, else starts one. Returns that packet (the command is its
 * last sub). */
static dap_pkt *group_add(cmsis_dap *d, const char *name, pkt_parse parse, size_t want,
                          const uint8_t *bytes, size_t n)
{
  const size_t P = d->in.packet_size;
  dap_pkt *k = d->cur;
  if (!k || k->parse != parse_execute || k->nsub == MAX_SUBS || k->len + n > P || k->want + want > P) {
    if (!(k = q_slot(d)))
      return NULL;
    k->name = "DAP_ExecuteCommands";
    k->parse = parse_execute;
    k->req[0] = ID_EXECUTE_COMMANDS;
    k->len = k->want = 2;
  }
  dap_sub *u = &k->sub[k->nsub++];
  *u = (dap_sub){.name = name, .parse = parse, .roff = k->len, .want = want};
  memcpy(k->req + k->len, bytes, n);
  k->len += n;
  k->want += want;
  k->req[1] = (uint8_t)k->nsub;
  return k;
}

static dap_pkt *cmd(cmsis_dap *d, const char *name, pkt_parse parse, size_t want,
                    const uint8_t *bytes, size_t n)
{
  if (d->grouping)
    return group_add(d, name, parse, want, bytes, n);
  dap_pkt *k = q_slot(d);
  if (!k)
    return NULL;
  k->name = name;
  k->parse = parse;
  memcpy(k->req, bytes, n);
  k->len = n;
  k->want = want;
  return k;
}

/* ---- replies ---- */

static int proto_err(cmsis_dap *d, int code, const dap_pkt *k, const char *what)
{
  char h[64];
  d->desync = true;
  return lf_err_set(d->base.s, code, "cmsis-dap %s: %s: %s (reply %zu bytes: %s)", sname(d),
                    k->name, what, k->got, hex(k->rsp, k->got, h, sizeof h));
}

/* The reply is this command's and at least `need` bytes long. */
static int reply_ok(cmsis_dap *d, dap_pkt *k, size_t need)
{
  if (k->got == 0)
    return proto_err(d, LF_EIO, k, "empty reply");
  if (k->rsp[0] != k->req[0]) {
    if (k->rsp[0] == DAP_ERROR && (d->in.v1 || k->got == 1))
      return lf_err_set(d->base.s, LF_ENOTSUP,
                        "cmsis-dap %s: %s: not implemented by the probe firmware (reply 0xff)",
                        sname(d), k->name);
    char what[64];
    snprintf(what, sizeof what, "reply is for command 0x%02x, expected 0x%02x", k->rsp[0], k->req[0]);
    return proto_err(d, LF_EPROTO, k, what);
  }
  if (k->got < need) {
    char what[64];
    snprintf(what, sizeof what, "short reply, expected %zu bytes", need);
    return proto_err(d, LF_EIO, k, what);
  }
  return 0;
}

static int parse_status(cmsis_dap *d, dap_pkt *k)
{
  int r = reply_ok(d, k, 2);
  if (!r && k->rsp[1] != DAP_OK)
    r = lf_err_set(d->base.s, LF_EPROTO, "cmsis-dap %s: %s: status 0x%02x (DAP_ERROR)", sname(d),
                   k->name, k->rsp[1]);
  return r;
}

/* HostStatus (LEDs): any status is fine, the reply must still be its own. */
static int parse_any(cmsis_dap *d, dap_pkt *k)
{
  int r = reply_ok(d, k, 1);
  return r == LF_ENOTSUP ? (lf_err_clear(d->base.s), 0) : r;
}

/* DAP_ExecuteCommands: the replies of its commands back to back, each
 * parsed as its own (the last one takes the rest). */
static int parse_execute(cmsis_dap *d, dap_pkt *k)
{
  d->exec_refused = false;
  int r = reply_ok(d, k, 2);
  if (r == LF_ENOTSUP)
    d->exec_refused = true;
  if (r)
    return r;
  if (k->rsp[1] != k->nsub) {
    char what[64];
    snprintf(what, sizeof what, "%u replies, expected %zu", k->rsp[1], k->nsub);
    return proto_err(d, LF_EPROTO, k, what);
  }
  size_t off = 2;
  for (size_t i = 0; i < k->nsub && !r; i++) {
    dap_sub *u = &k->sub[i];
    size_t left = k->got > off ? k->got - off : 0;
    dap_pkt t = {.name = u->name, .req = k->req + u->roff, .rsp = k->rsp + off, .want = u->want,
                 .parse = u->parse, .nreq = u->nreq, .nreads = u->nreads, .ent = &u->ent,
                 .got = i + 1 < k->nsub && left > u->want ? u->want : left};
    r = u->parse(d, &t);
    off += u->want;
  }
  return r;
}

static int parse_connect(cmsis_dap *d, dap_pkt *k)
{
  int r = reply_ok(d, k, 2);
  if (!r && k->rsp[1] != k->req[1])
    r = lf_err_set(d->base.s, LF_ENOTSUP,
                   "cmsis-dap %s: DAP_Connect: port %u (SWD) not initialised, reply port %u",
                   sname(d), k->req[1], k->rsp[1]);
  return r;
}

static int parse_pins(cmsis_dap *d, dap_pkt *k)
{
  int r = reply_ok(d, k, 2);
  if (!r)
    d->pins = k->rsp[1];
  return r;
}

static int parse_reset(cmsis_dap *d, dap_pkt *k)
{
  int r = parse_status(d, k);
  if (!r)
    r = reply_ok(d, k, 3);
  if (!r)
    d->reset_exec = k->rsp[2] != 0;
  return r;
}

static int parse_info(cmsis_dap *d, dap_pkt *k)
{
  int r = reply_ok(d, k, 2);
  if (r)
    return r;
  size_t n = k->rsp[1];
  char what[80];
  if (k->got < 2 + n) {
    snprintf(what, sizeof what, "DAP_Info 0x%02x: length byte %zu, only %zu bytes follow (short reply)", k->arg,
             n, k->got - 2);
    return proto_err(d, LF_EIO, k, what);
  }
  const uint8_t *v = k->rsp + 2;
  lf_cmsis_dap_info *in = &d->in;
  switch (k->arg) {
  case INFO_PACKET_COUNT:
    if (n != 1 || v[0] == 0) {
      snprintf(what, sizeof what, "packet count: %zu byte(s), expected 1 byte of 1..255", n);
      return proto_err(d, LF_EPROTO, k, what);
    }
    in->packet_count = v[0];
    return 0;
  case INFO_PACKET_SIZE: {
    unsigned p = n == 2 ? (unsigned)(v[0] | v[1] << 8) : 0;
    if (n != 2 || p < PACKET_MIN || p > PACKET_MAX) {
      snprintf(what, sizeof what, "packet size %u (%zu bytes): expected %u..%u", p, n, PACKET_MIN,
               PACKET_MAX);
      return proto_err(d, LF_EPROTO, k, what);
    }
    if (in->v1 && p > in->report)
      return lf_err_set(d->base.s, LF_EPROTO,
                        "cmsis-dap %s: DAP_Info: packet size %u exceeds the %u-byte HID report of "
                        "endpoint 0x%02x", sname(d), p, in->report, in->ep_out);
    in->packet_size = p;
    return 0;
  }
  case INFO_CAPS:
    if (n != 1 && n != 2) {
      snprintf(what, sizeof what, "capabilities: %zu bytes, expected 1 or 2", n);
      return proto_err(d, LF_EPROTO, k, what);
    }
    in->caps = (uint16_t)(v[0] | (n == 2 ? v[1] << 8 : 0));
    return 0;
  default: /* a string; the length counts its NUL */
    if (k->sdst) {
      size_t c = n < k->scap - 1 ? n : k->scap - 1;
      memcpy(k->sdst, v, c);
      k->sdst[c] = 0;
    }
    return 0;
  }
}

/* ---- DAP_Transfer / DAP_TransferBlock ---- */

#define RQ_AP 0x01u
#define RQ_READ 0x02u

static const char *reg_name(bool ap, bool read, uint8_t addr)
{
  static const char *const dp_r[4] = {"DPIDR", "CTRL/STAT", "RESEND", "RDBUFF"};
  static const char *const dp_w[4] = {"ABORT", "CTRL/STAT", "SELECT", "TARGETSEL"};
  if (ap)
    return addr == 0x0C ? "DRW" : addr == 0x04 ? "TAR" : addr == 0x00 ? "CSW" : "AP";
  return (read ? dp_r : dp_w)[(addr >> 2) & 3];
}

/* "AP write 0x0c DRW" for a transfer request byte. */
static const char *access_name(uint8_t rq, char *buf, size_t len)
{
  bool ap = rq & RQ_AP, read = rq & RQ_READ;
  uint8_t addr = rq & 0x0Cu;
  snprintf(buf, len, "%s %s 0x%02x %s", ap ? "AP" : "DP", read ? "read" : "write", addr,
           reg_name(ap, read, addr));
  return buf;
}

/* The error of a transfer that ended with `ack` at `what`. */
static int ack_error(cmsis_dap *d, const char *name, const char *what, uint8_t ack)
{
  lf_session *s = d->base.s;
  const char *sn = sname(d);
  if (ack & RESP_PARITY)
    return lf_err_set(s, LF_EIO, "cmsis-dap %s: %s: %s: SWD parity error (ack 0x%02x)", sn, name,
                      what, ack);
  if (ack & RESP_MISMATCH)
    return lf_err_set(s, LF_EPROTO, "cmsis-dap %s: %s: %s: value mismatch (ack 0x%02x)", sn, name,
                      what, ack);
  switch (ack & 7) {
  case ACK_WAIT:
    d->need_abort = true;
    return lf_err_set(s, LF_ETIMEDOUT,
                      "cmsis-dap %s: %s: %s: WAIT after %u retries (target bus busy or stalled)",
                      sn, name, what, d->cfg.wait_retry);
  case ACK_FAULT:
    return lf_err_set(s, LF_EFAULT, "cmsis-dap %s: %s: %s: FAULT (bus error, or a sticky error set)",
                      sn, name, what);
  case ACK_NONE:
    return lf_err_set(s, LF_ETARGET,
                      "cmsis-dap %s: %s: %s: no ACK (target not responding: power, wiring, SWD "
                      "disabled, or the DP needs a line reset)", sn, name, what);
  case 0:
    return lf_err_set(s, LF_EPROTO,
                      "cmsis-dap %s: %s: %s: nothing done (ack 0): the probe's SWD port is not "
                      "connected", sn, name, what);
  default:
    return lf_err_set(s, LF_EPROTO, "cmsis-dap %s: %s: %s: invalid ack 0x%02x", sn, name, what, ack);
  }
}

static int parse_transfer(cmsis_dap *d, dap_pkt *k)
{
  int r = reply_ok(d, k, 3);
  if (r)
    return r;
  size_t c = k->rsp[1];
  uint8_t ack = k->rsp[2];
  char what[96];
  if (c > k->nreq || (ack == ACK_OK && c < k->nreq)) {
    snprintf(what, sizeof what, "%zu of %zu requests done with ack 0x%02x", c, k->nreq, ack);
    return proto_err(d, LF_EPROTO, k, what);
  }
  /* A FAULT reports the bus error of the AP access acknowledged before it
   * (posted reads and writes): that one is not done. */
  size_t ok = c && (ack & 7) == ACK_FAULT && (k->ent[c - 1].rq & RQ_AP) ? c - 1 : c;
  for (size_t i = 0; i < ok; i++)
    if (k->ent[i].op >= 0)
      d->ops[k->ent[i].op].done++;
  if (ack == ACK_OK) {
    size_t need = 3 + 4 * k->nreads;
    if (k->got < need || (!d->in.v1 && k->got != need)) {
      snprintf(what, sizeof what, "%zu read(s) done, expected a %zu-byte reply, got %zu (%s reply)", k->nreads,
               need, k->got, k->got < need ? "short" : "oversized");
      return proto_err(d, LF_EIO, k, what);
    }
    const uint8_t *p = k->rsp + 3;
    for (size_t i = 0; i < k->nreq; i++)
      if (k->ent[i].dst) {
        *k->ent[i].dst = get32(p);
        p += 4;
      }
    return 0;
  }
  /* the access that failed: the one the ACK came for, or for a FAULT the AP
   * access acknowledged before it, whose bus error it reports */
  size_t f = ok < c ? c - 1 : c < k->nreq ? c : k->nreq - 1;
  char an[32];
  snprintf(what, sizeof what, "%s%s%s (request %zu of %zu)",
           c == k->nreq && ok == c ? "check after " : "",
           access_name(k->ent[f].rq, an, sizeof an), k->ent[f].op < 0 ? ", posted earlier" : "",
           f + 1, k->nreq);
  return ack_error(d, k->name, what, ack);
}

static int parse_block(cmsis_dap *d, dap_pkt *k)
{
  int r = reply_ok(d, k, 4);
  if (r)
    return r;
  size_t c = (size_t)(k->rsp[1] | k->rsp[2] << 8);
  uint8_t ack = k->rsp[3];
  char what[112];
  bool read = k->rq & RQ_READ;
  if (c > k->nreq || (ack == ACK_OK && c < k->nreq)) {
    snprintf(what, sizeof what, "%zu of %zu words done with ack 0x%02x", c, k->nreq, ack);
    return proto_err(d, LF_EPROTO, k, what);
  }
  if (read && k->got < 4 + 4 * c) {
    snprintf(what, sizeof what, "%zu words read, expected a %zu-byte reply", c, 4 + 4 * c);
    return proto_err(d, LF_EIO, k, what);
  }
  for (size_t i = 0; read && i < c; i++)
    k->bdst[i] = get32(k->rsp + 4 + 4 * i);
  /* reads: c words arrived; writes: a FAULT reports the bus error of the
   * last write acknowledged, which is then not done */
  if (k->op >= 0)
    d->ops[k->op].done += (uint32_t)(!read && c && (ack & 7) == ACK_FAULT && (k->rq & RQ_AP) ? c - 1 : c);
  if (ack == ACK_OK)
    return 0;
  char an[32];
  snprintf(what, sizeof what, "%s%s, %zu of %zu words done", access_name(k->rq, an, sizeof an),
           k->op < 0 ? " (posted earlier)" : "", c, k->nreq);
  return ack_error(d, k->name, what, ack);
}

static int parse_abort(cmsis_dap *d, dap_pkt *k)
{
  int r = parse_status(d, k);
  if (!r && k->op >= 0)
    d->ops[k->op].done++;
  return r;
}

/* Where the packer is in a run of ops. */
typedef struct packer {
  lf_dap_op *ops;
  size_t n;
  size_t oi;    /* current op */
  uint32_t oj;  /* its accesses already packed */
  bool posted;  /* the caller does not wait: no done counts (op -1) */
} packer;

static void advance(packer *pk, uint32_t k)
{
  pk->oj += k;
  while (pk->oi < pk->n && pk->oj >= pk->ops[pk->oi].count) {
    pk->oi++;
    pk->oj = 0;
  }
}

static bool is_abort(const lf_dap_op *o) { return !o->ap && !o->read && (o->addr & 0x0C) == 0; }

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

static long op_index(const packer *pk) { return pk->posted ? -1 : (long)pk->oi; }

/* Accesses of o that still fit the DAP_Transfer k (request bytes so far
 * k->len, reply bytes k->want). */
static size_t transfer_fit(const cmsis_dap *d, const dap_pkt *k, const lf_dap_op *o)
{
  const size_t P = d->in.packet_size;
  size_t fit = min_sz((P - k->len) / (o->read ? 1 : 5), 255 - k->nreq);
  return o->read ? min_sz(fit, (P - k->want) / 4) : fit;
}

/* Whether the next op of the run can go into the unsent DAP_Transfer k.
 * Not a DP access after an AP write: the firmware checks a write with an
 * RDBUFF read only at the end of the transfer or before an AP access (2.4),
 * so a DP access there would hide the write's bus error. */
static bool extends(const cmsis_dap *d, const dap_pkt *k, const packer *pk)
{
  const lf_dap_op *o = &pk->ops[pk->oi];
  if (k->parse != parse_transfer || is_abort(o) || transfer_fit(d, k, o) == 0)
    return false;
  return !(k->nreq && (k->ent[k->nreq - 1].rq & (RQ_AP | RQ_READ)) == RQ_AP && !o->ap);
}

/* Fills the DAP_Transfer k with as many accesses as fit, from the packer's
 * position on. */
static void fill_transfer(cmsis_dap *d, packer *pk, dap_pkt *k)
{
  while (pk->oi < pk->n) {
    lf_dap_op *o = &pk->ops[pk->oi];
    if (is_abort(o))
      break;
    uint8_t rq = lf_cmsis_dap_request(o->ap, o->read, o->addr);
    uint32_t rest = o->count - pk->oj;
    size_t take = min_sz(transfer_fit(d, k, o), rest);
    for (size_t i = 0; i < take; i++) {
      uint32_t *w = &o->data[pk->oj + i];
      k->req[k->len++] = rq;
      if (!o->read) {
        put32(k->req + k->len, *w);
        k->len += 4;
      }
      k->ent[k->nreq++] = (dap_ent){.op = op_index(pk), .rq = rq, .dst = o->read ? w : NULL};
    }
    if (o->read) {
      k->nreads += take;
      k->want += 4 * take;
    }
    advance(pk, (uint32_t)take);
    if (take < rest)
      break;
  }
  k->req[2] = (uint8_t)k->nreq;
}

/* The next packet of the run into the new slot k: a DAP_WriteABORT, a
 * DAP_TransferBlock (a block that does not fit one DAP_Transfer) or a
 * DAP_Transfer filled with as many accesses as fit. */
static void pack_next(cmsis_dap *d, packer *pk, dap_pkt *k)
{
  const size_t P = d->in.packet_size;
  lf_dap_op *o = &pk->ops[pk->oi];
  uint32_t rest = o->count - pk->oj;
  uint8_t rq = lf_cmsis_dap_request(o->ap, o->read, o->addr);
  k->op = op_index(pk);
  k->rq = rq;
  if (is_abort(o)) {
    k->name = "DAP_WriteABORT";
    k->parse = parse_abort;
    k->req[0] = LF_DAP_WRITE_ABORT;
    k->req[1] = 0;
    put32(k->req + 2, o->data[pk->oj]);
    k->len = 6;
    k->want = 2;
    advance(pk, 1);
    return;
  }
  size_t tcap = min_sz(255, o->read ? (P - 3) / 4 : (P - 3) / 5);
  if (rest >= 2 && rest > tcap) {
    size_t n = min_sz(min_sz(65535, o->read ? (P - 4) / 4 : (P - 5) / 4), rest);
    if (o->read && !d->in.v1 && n > 1 && (4 + 4 * n) % d->ep_in_mps == 0 && 4 + 4 * n < P)
      n--; /* no reply of a whole number of USB packets below the packet size */
    k->name = "DAP_TransferBlock";
    k->parse = parse_block;
    k->req[0] = LF_DAP_TRANSFER_BLOCK;
    k->req[1] = 0;
    k->req[2] = (uint8_t)n;
    k->req[3] = (uint8_t)(n >> 8);
    k->req[4] = rq;
    k->len = 5;
    if (!o->read)
      for (size_t i = 0; i < n; i++, k->len += 4)
        put32(k->req + k->len, o->data[pk->oj + i]);
    k->bdst = o->data + pk->oj;
    k->nreq = n;
    k->want = o->read ? 4 + 4 * n : 4;
    advance(pk, (uint32_t)n);
    return;
  }
  k->name = "DAP_Transfer";
  k->parse = parse_transfer;
  k->req[0] = LF_DAP_TRANSFER;
  k->req[1] = 0;
  k->len = 3;
  k->want = 3;
  fill_transfer(d, pk, k);
}

static int not_connected(cmsis_dap *d, const char *op)
{
  return lf_err_set(d->base.s, LF_ETARGET, "cmsis-dap %s: %s: not connected (call connect first)",
                    sname(d), op);
}

/* A run of ops: into the open DAP_Transfer first when it takes them, then
 * into new packets. wait: the replies are in when it returns; else posted
 * (the ops are copied into packets: nothing of them is kept but read
 * destinations). */
static int run_ops(cmsis_dap *d, lf_dap_op *ops, size_t n, bool wait)
{
  packer pk = {.ops = ops, .n = n, .posted = !wait};
  advance(&pk, 0);
  d->ops = wait ? ops : NULL;
  q_begin(d);
  while (pk.oi < pk.n) {
    if (d->cur && extends(d, d->cur, &pk)) {
      fill_transfer(d, &pk, d->cur);
      continue;
    }
    dap_pkt *k = q_slot(d);
    if (!k)
      break;
    pack_next(d, &pk, k);
  }
  int r = q_end(d, wait);
  d->ops = NULL;
  return r;
}

static int cd_dap_run(lf_probe *p, lf_dap_op *ops, size_t n)
{
  cmsis_dap *d = CD(p);
  for (size_t i = 0; i < n; i++)
    ops[i].done = 0;
  if (!d->connected)
    return not_connected(d, "DAP transfer");
  return run_ops(d, ops, n, true);
}

static int cd_dap_post(lf_probe *p, lf_dap_op *ops, size_t n)
{
  cmsis_dap *d = CD(p);
  if (!d->connected)
    return not_connected(d, "DAP transfer");
  return run_ops(d, ops, n, false);
}

static int cd_dap_flush(lf_probe *p)
{
  cmsis_dap *d = CD(p);
  q_begin(d);
  return q_end(d, true);
}

static int one(lf_probe *p, bool ap, bool read, uint8_t addr, uint32_t *val)
{
  lf_dap_op op = {.ap = ap, .read = read, .addr = (uint8_t)(addr & 0x0Cu), .count = 1, .data = val};
  return cd_dap_run(p, &op, 1);
}

static int cd_dp_read(lf_probe *p, uint8_t addr, uint32_t *val) { return one(p, false, true, addr, val); }
static int cd_dp_write(lf_probe *p, uint8_t addr, uint32_t val) { return one(p, false, false, addr, &val); }
static int cd_ap_read(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t *val)
{
  return one(p, true, true, addr, val);
}
static int cd_ap_write(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t val)
{
  return one(p, true, false, addr, &val);
}

/* ---- commands ---- */

static void q_clock(cmsis_dap *d, uint32_t hz)
{
  uint8_t b[5] = {LF_DAP_SWJ_CLOCK};
  put32(b + 1, hz);
  cmd(d, "DAP_SWJ_Clock", parse_status, 2, b, sizeof b);
}

static void q_sequence(cmsis_dap *d, const uint8_t *bits, size_t nbytes)
{
  uint8_t b[2 + 32] = {LF_DAP_SWJ_SEQUENCE, (uint8_t)(nbytes * 8)}; /* 256 bits = 0 */
  memcpy(b + 2, bits, nbytes);
  cmd(d, "DAP_SWJ_Sequence", parse_status, 2, b, 2 + nbytes);
}

static void q_pins(cmsis_dap *d, bool nreset_low)
{
  uint8_t b[7] = {LF_DAP_SWJ_PINS, nreset_low ? 0 : PIN_NRESET, PIN_NRESET, 0, 0, 0, 0};
  cmd(d, "DAP_SWJ_Pins", parse_pins, 2, b, sizeof b);
}

static void q_host_status(cmsis_dap *d, bool on)
{
  uint8_t b[3] = {LF_DAP_HOST_STATUS, 0 /* connect LED */, on};
  cmd(d, "DAP_HostStatus", parse_any, 2, b, sizeof b);
}

static int cd_set_clock(lf_probe *p, uint32_t hz, uint32_t *actual_hz)
{
  cmsis_dap *d = CD(p);
  if (hz == 0)
    return lf_err_set(p->s, LF_EINVAL, "cmsis-dap %s: set clock: 0 Hz", sname(d));
  if (d->connected && hz != d->clock_hz) { /* else it goes with the next connect */
    q_begin(d);
    q_clock(d, hz);
    int r = q_end(d, true);
    if (r)
      return r;
  }
  d->clock_hz = hz;
  /* The firmware runs at most hz and never says how much less
   * (cmsis-dap.md 2.3): the request is the best figure there is. */
  if (actual_hz)
    *actual_hz = hz;
  return 0;
}

static int release_nrst(cmsis_dap *d)
{
  q_begin(d);
  q_pins(d, false);
  return q_end(d, true);
}

/* The DPIDR read that ends a connect: a DAP_Transfer of its own, or the
 * last command of the DAP_ExecuteCommands packet while grouping. */
static void q_read_dpidr(cmsis_dap *d, uint32_t *dst)
{
  const uint8_t rq = lf_cmsis_dap_request(false, true, 0x00);
  if (d->grouping) {
    dap_pkt *k = group_add(d, "DAP_Transfer (DPIDR)", parse_transfer, 7,
                           (const uint8_t[]){LF_DAP_TRANSFER, 0, 1, rq}, 4);
    if (k) {
      dap_sub *u = &k->sub[k->nsub - 1];
      u->nreq = u->nreads = 1;
      u->ent = (dap_ent){.op = 0, .rq = rq, .dst = dst};
    }
    return;
  }
  packer pk = {.ops = d->ops, .n = 1};
  dap_pkt *k = q_slot(d);
  if (k)
    pack_next(d, &pk, k);
}

/* One connect: again = only the SWD line (the probe is set up); group =
 * every command in one DAP_ExecuteCommands packet when they fit (one round
 * trip: the DPIDR read is last, its reply the only one of varying length). */
static int connect_once(cmsis_dap *d, lf_connect_mode mode, bool again, bool group)
{
  const lf_cmsis_dap_cfg *c = &d->cfg;
  bool ur = mode == LF_CONNECT_UNDER_RESET;
  uint32_t dpidr = 0;
  lf_dap_op id = {.read = true, .addr = 0x00, .count = 1, .data = &dpidr};
  d->connected = false;
  d->setup = false;
  d->ops = &id;
  q_begin(d);
  d->grouping = group;
  if (!again) {
    cmd(d, "DAP_Connect", parse_connect, 2, (const uint8_t[]){LF_DAP_CONNECT, 1 /* SWD */}, 2);
    if (d->clock_hz)
      q_clock(d, d->clock_hz);
    uint8_t tc[6] = {LF_DAP_TRANSFER_CONFIGURE, c->idle_cycles, (uint8_t)c->wait_retry,
                     (uint8_t)(c->wait_retry >> 8), (uint8_t)c->match_retry, (uint8_t)(c->match_retry >> 8)};
    cmd(d, "DAP_TransferConfigure", parse_status, 2, tc, sizeof tc);
    cmd(d, "DAP_SWD_Configure", parse_status, 2, (const uint8_t[]){LF_DAP_SWD_CONFIGURE, 0}, 2);
    q_host_status(d, true);
  }
  if (ur)
    q_pins(d, true);
  if (c->multidrop) {
    uint8_t ts[11];
    lf_cmsis_dap_targetsel_cmd(ts, c->targetsel);
    q_sequence(d, lf_cmsis_dap_seq_jtag_to_dormant, sizeof lf_cmsis_dap_seq_jtag_to_dormant);
    q_sequence(d, lf_cmsis_dap_seq_dormant_to_swd, sizeof lf_cmsis_dap_seq_dormant_to_swd);
    cmd(d, "DAP_SWD_Sequence (TARGETSEL)", parse_status, 3, ts, sizeof ts);
  } else {
    q_sequence(d, lf_cmsis_dap_seq_jtag_to_swd, sizeof lf_cmsis_dap_seq_jtag_to_swd);
  }
  q_read_dpidr(d, &dpidr);
  d->grouping = false;
  int r = q_end(d, true);
  d->ops = NULL;
  if (r)
    return r;
  d->connected = true;
  d->setup = true;
  d->base.dpidr = dpidr;
  lf_log(d->base.s, LF_LOG_DEBUG, "cmsis-dap %s: connected%s, DPIDR 0x%08x", sname(d),
         c->multidrop ? " (multidrop)" : "", dpidr);
  return 0;
}

static int cd_connect(lf_probe *p, lf_connect_mode mode)
{
  cmsis_dap *d = CD(p);
  /* Connected with the probe set up as asked: port, clock and transfer
   * settings stand, only the SWD line is brought up again. */
  bool again = d->connected && d->setup;
  bool group = (d->in.caps & CAP_ATOMIC) && !d->no_atomic;
  d->exec_refused = false;
  int r = connect_once(d, mode, again, group);
  if (r && group && d->exec_refused) {
    /* advertised but not there (debugprobe's HID build): nothing of it ran */
    lf_log(p->s, LF_LOG_DEBUG, "cmsis-dap %s: DAP_ExecuteCommands refused; commands one by one",
           sname(d));
    d->no_atomic = true;
    lf_err_clear(p->s);
    r = connect_once(d, mode, again, false);
  }
  if (r && mode == LF_CONNECT_UNDER_RESET) /* never leave the target held in reset */
    recover(d, release_nrst, NULL, "releasing NRST failed too");
  return r;
}

static int cd_disconnect(lf_probe *p)
{
  cmsis_dap *d = CD(p);
  if (!d->connected)
    return 0;
  d->connected = false;
  d->setup = false;
  bool group = (d->in.caps & CAP_ATOMIC) && !d->no_atomic;
  for (;;) { /* both in one packet when the probe executes command lists */
    q_begin(d);
    d->grouping = group;
    d->exec_refused = false;
    cmd(d, "DAP_Disconnect", parse_status, 2, (const uint8_t[]){LF_DAP_DISCONNECT}, 1);
    q_host_status(d, false);
    d->grouping = false;
    int r = q_end(d, true);
    if (!(r && group && d->exec_refused))
      return r;
    d->no_atomic = true;
    group = false;
    lf_err_clear(d->base.s);
  }
}

static int cd_set_nrst(lf_probe *p, bool asserted)
{
  cmsis_dap *d = CD(p);
  q_begin(d);
  q_pins(d, asserted);
  int r = q_end(d, true);
  if (!r && asserted == ((d->pins & PIN_NRESET) != 0))
    lf_log(p->s, LF_LOG_DEBUG, "cmsis-dap %s: nRESET reads %s after driving it %s", sname(d),
           asserted ? "high" : "low", asserted ? "low" : "high");
  return r;
}

static int cd_target_voltage(lf_probe *p, double *volts)
{
  return lf_err_set(p->s, LF_ENOTSUP, "cmsis-dap %s: target voltage: CMSIS-DAP has no command for it",
                    sname(CD(p)));
}

static void cd_set_read_depth(lf_probe *p, unsigned depth)
{
  cmsis_dap *d = CD(p);
  (void)cd_dap_flush(p); /* the window shrinks with nothing in flight */
  size_t most = d->slots - 1;
  d->in.inflight = (unsigned)(depth < 1 ? 1 : depth > most ? most : depth);
}

static void cd_close(lf_probe *p)
{
  cmsis_dap *d = CD(p);
  if (d->connected)
    (void)cd_disconnect(p);
  lf_usb_close(d->usb);
  free_slots(d);
  free(d);
}

static int cd_set_targetsel(lf_probe *p, uint32_t targetsel)
{
  cmsis_dap *d = CD(p);
  if (d->cfg.multidrop == (targetsel != 0) && (!targetsel || d->cfg.targetsel == targetsel))
    return 0; /* as it is: the next connect may keep the probe's set-up */
  lf_cmsis_dap_cfg c = d->cfg;
  c.multidrop = targetsel != 0;
  c.targetsel = targetsel;
  return lf_cmsis_dap_configure(p, &c);
}

static const lf_probe_ops cmsis_dap_ops = {
  .set_clock = cd_set_clock,
  .connect = cd_connect,
  .set_targetsel = cd_set_targetsel,
  .disconnect = cd_disconnect,
  .dp_read = cd_dp_read,
  .dp_write = cd_dp_write,
  .ap_read = cd_ap_read,
  .ap_write = cd_ap_write,
  .dap_run = cd_dap_run,
  .dap_post = cd_dap_post,
  .dap_flush = cd_dap_flush,
  .set_nrst = cd_set_nrst,
  .target_voltage = cd_target_voltage,
  .close = cd_close,
  .set_read_depth = cd_set_read_depth,
  .caps = LF_PROBE_CAP_RAW_DAP | LF_PROBE_CAP_CLOCK_REQUESTED,
};

int lf_cmsis_dap_reset_target(lf_probe *p, bool *executed)
{
  cmsis_dap *d = CD(p);
  q_begin(d);
  cmd(d, "DAP_ResetTarget", parse_reset, 3, (const uint8_t[]){LF_DAP_RESET_TARGET}, 1);
  int r = q_end(d, true);
  if (!r && executed)
    *executed = d->reset_exec;
  return r;
}

void lf_cmsis_dap_cfg_default(lf_cmsis_dap_cfg *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->wait_retry = 100;
  cfg->timeout_ms = TIMEOUT_MS;
}

bool lf_cmsis_dap_is(const lf_probe *p) { return p && p->ops == &cmsis_dap_ops; }
const lf_cmsis_dap_info *lf_cmsis_dap_info_get(const lf_probe *p) { return &((const cmsis_dap *)p)->in; }
const lf_cmsis_dap_cfg *lf_cmsis_dap_cfg_get(const lf_probe *p) { return &((const cmsis_dap *)p)->cfg; }

/* Packet slots: the probe's Packet Count within MAX_INFLIGHT and the
 * buffer budget, and one for the packet being built. */
static size_t slots_for(const cmsis_dap *d, size_t bufsize)
{
  size_t n = min_sz(d->in.packet_count ? d->in.packet_count : 1, MAX_INFLIGHT);
  size_t budget = BUF_BUDGET / (2 * bufsize + 1);
  return min_sz(n, budget > 1 ? budget - 1 : 1) + 1;
}

/* Packets in flight: the slots but the one being built, within
 * cfg.max_inflight. */
static unsigned inflight_for(const cmsis_dap *d)
{
  size_t n = d->slots - 1;
  if (d->cfg.max_inflight && d->cfg.max_inflight < n)
    n = d->cfg.max_inflight;
  return (unsigned)(n ? n : 1);
}

int lf_cmsis_dap_configure(lf_probe *p, const lf_cmsis_dap_cfg *cfg)
{
  cmsis_dap *d = CD(p);
  if (cfg->timeout_ms == 0)
    return lf_err_set(p->s, LF_EINVAL, "cmsis-dap %s: configure: timeout 0 ms", sname(d));
  int r = cd_dap_flush(p); /* nothing in flight while the window changes */
  if (r)
    return r;
  d->cfg = *cfg;
  d->setup = false; /* retries, TARGETSEL: sent with the next connect */
  if (d->in.packet_size)
    d->in.inflight = inflight_for(d);
  return 0;
}

/* ---- open ---- */

/* Endpoints by position (v2: bulk OUT, then bulk IN) or direction (v1:
 * interrupt IN and OUT), cmsis-dap.md 1.1. */
static int find_endpoints(cmsis_dap *d)
{
  lf_usb_ep eps[8];
  size_t n = 0;
  int r = lf_usb_endpoints(d->usb, eps, 8, &n);
  if (r)
    return r;
  lf_cmsis_dap_info *in = &d->in;
  const lf_usb_devinfo *di = lf_usb_dev_info(d->usb);
  in->iface = lf_usb_dev_iface(d->usb);
  if (n >= 1 && eps[0].type == LF_USB_BULK) {
    if (n < 2 || (eps[0].addr & 0x80) || !(eps[1].addr & 0x80) || eps[1].type != LF_USB_BULK)
      return lf_err_set(d->base.s, LF_EPROTO,
                        "cmsis-dap %s: interface %d: expected a bulk OUT then a bulk IN endpoint "
                        "(CMSIS-DAP v2), found %zu endpoint(s)", sname(d), in->iface, n);
    in->ep_out = eps[0].addr;
    in->ep_in = eps[1].addr;
    d->ep_out_mps = eps[0].max_packet ? eps[0].max_packet : 64;
    d->ep_in_mps = eps[1].max_packet ? eps[1].max_packet : 64;
    return 0;
  }
  in->v1 = true;
  for (size_t i = 0; i < n; i++) {
    if (eps[i].type != LF_USB_INTERRUPT)
      continue;
    if ((eps[i].addr & 0x80) && !in->ep_in) {
      in->ep_in = eps[i].addr;
      d->ep_in_mps = eps[i].max_packet;
    } else if (!(eps[i].addr & 0x80) && !in->ep_out) {
      in->ep_out = eps[i].addr;
      d->ep_out_mps = eps[i].max_packet;
    }
  }
  if (!in->ep_in)
    return lf_err_set(d->base.s, LF_EPROTO,
                      "cmsis-dap %s: interface %d: no interrupt IN endpoint (CMSIS-DAP v1 HID)",
                      sname(d), in->iface);
  if (!in->ep_out)
    return lf_err_set(d->base.s, LF_ENOTSUP,
                      "cmsis-dap %s: interface %d: HID without an interrupt OUT endpoint (commands "
                      "as SET_REPORT control transfers are not supported)", sname(d), in->iface);
  in->report = d->ep_out_mps ? d->ep_out_mps : 64;
  for (size_t i = 0; i < sizeof hid_reports / sizeof hid_reports[0]; i++)
    if (hid_reports[i].vid == di->vid && (!hid_reports[i].pid || hid_reports[i].pid == di->pid)) {
      if (hid_reports[i].report)
        in->report = hid_reports[i].report;
      break;
    }
  return 0;
}

static void q_info(cmsis_dap *d, uint8_t id, char *dst, size_t cap)
{
  dap_pkt *k = cmd(d, "DAP_Info", parse_info, d->bufsize, (const uint8_t[]){LF_DAP_INFO, id}, 2);
  if (k) {
    k->arg = id;
    k->sdst = dst;
    k->scap = cap;
  }
}

static int read_info(cmsis_dap *d)
{
  lf_cmsis_dap_info *in = &d->in;
  size_t first = in->v1 ? in->report : d->ep_in_mps > PACKET_MIN ? d->ep_in_mps : PACKET_MIN;
  int r = alloc_slots(d, first, 3);
  if (r)
    return r;
  in->inflight = 1; /* nothing pipelined before the Packet Count is known */
  q_begin(d);
  q_info(d, INFO_PACKET_COUNT, NULL, 0);
  if ((r = q_end(d, true)))
    return r;
  in->inflight = (unsigned)min_sz(in->packet_count, 2);
  q_begin(d);
  q_info(d, INFO_PACKET_SIZE, NULL, 0);
  q_info(d, INFO_CAPS, NULL, 0);
  if ((r = q_end(d, true)))
    return r;
  if (!(in->caps & CAP_SWD))
    return lf_err_set(d->base.s, LF_ENOTSUP,
                      "cmsis-dap %s: the probe has no SWD (capabilities 0x%02x); luaflash drives SWD only",
                      sname(d), in->caps);
  size_t bufsize = in->v1 ? in->report : in->packet_size;
  if ((r = alloc_slots(d, bufsize, slots_for(d, bufsize))))
    return r;
  in->inflight = inflight_for(d);
  q_begin(d);
  q_info(d, INFO_PROTOCOL, in->protocol, sizeof in->protocol);
  q_info(d, INFO_VENDOR, in->vendor, sizeof in->vendor);
  q_info(d, INFO_PRODUCT, in->product, sizeof in->product);
  q_info(d, INFO_SERIAL, in->serial, sizeof in->serial);
  q_info(d, INFO_FIRMWARE, in->firmware, sizeof in->firmware);
  return q_end(d, true);
}

static void fill_info(cmsis_dap *d)
{
  const lf_usb_devinfo *di = lf_usb_dev_info(d->usb);
  const lf_cmsis_dap_info *in = &d->in;
  lf_probe_info *i = &d->base.info;
  snprintf(i->kind, sizeof i->kind, "cmsis-dap");
  snprintf(i->product, sizeof i->product, "%s", di->product[0] ? di->product : in->product);
  snprintf(i->serial, sizeof i->serial, "%s", di->serial[0] ? di->serial : in->serial);
  snprintf(i->firmware, sizeof i->firmware, "%s", in->firmware[0] ? in->firmware : in->protocol);
  i->vid = di->vid;
  i->pid = di->pid;
  snprintf(i->location, sizeof i->location, "%s", di->location);
  snprintf(i->detail, sizeof i->detail, "%s, %u x %u-byte packets, DAP %s", in->v1 ? "v1 HID" : "v2 bulk",
           in->packet_count, in->packet_size, in->protocol[0] ? in->protocol : "?");
}

static cmsis_dap *alloc_cd(lf_session *s, lf_usb_dev *usb)
{
  cmsis_dap *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->base.ops = &cmsis_dap_ops;
  d->base.s = s;
  d->base.usb = usb;
  d->usb = usb;
  lf_cmsis_dap_cfg_default(&d->cfg);
  return d;
}

static int init(cmsis_dap *d)
{
  int r = find_endpoints(d);
  if (!r)
    r = read_info(d);
  if (!r)
    fill_info(d);
  return r;
}

int lf_cmsis_dap_open(lf_session *s, lf_usb_dev *usb, lf_probe **out)
{
  *out = NULL;
  cmsis_dap *d = alloc_cd(s, usb);
  if (!d) {
    lf_usb_close(usb);
    return lf_err_set(s, LF_ENOMEM, "cmsis-dap: out of memory");
  }
  int r = init(d);
  if (r) {
    lf_usb_close(usb);
    free_slots(d);
    free(d);
    return r;
  }
  *out = &d->base;
  return 0;
}

int lf_cmsis_dap_describe(lf_session *s, lf_usb_dev *usb, lf_probe_entry *e)
{
  cmsis_dap *d = alloc_cd(s, usb);
  if (!d)
    return lf_err_set(s, LF_ENOMEM, "cmsis-dap: out of memory");
  int r = init(d);
  if (!r)
    e->info = d->base.info;
  free_slots(d);
  free(d);
  return r;
}
