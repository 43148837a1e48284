/* See fakedap.h. Firmware behaviour follows ARM's reference DAP.c as the
 * reference files describe it (cmsis-dap.md 2.4, 2.5). */
#include "fakedap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/dap.h"

#define MAX_PENDING 256

typedef struct reply {
  uint8_t *b;
  size_t n;
  bool short_frame; /* v1: delivered as is, not padded to a report */
} reply;

struct lf_fake_dap {
  lf_fake_dap_cfg cfg;
  lf_fake_dap_state st;
  const lf_fake_iface *claimed;
  reply q[MAX_PENDING];
  size_t qhead, qn;
  uint8_t mangle_cmd;
  unsigned mangle_nth;
  lf_fake_mangle mangle;
  uint8_t force_ack;
  unsigned force_after, force_n;
  uint8_t **log;
  size_t *loglen, nlog, logcap;
  uint64_t ns; /* time without a board */
  lf_usb_xfer *pipe_in[LF_USB_PIPE_MAX]; /* pipe: replies to read (requests went out at push) */
  int pipe_r[LF_USB_PIPE_MAX];           /* the request's result, when it failed */
  size_t pipe_head, pipe_n;
};

/* ---- device shapes ---- */

static void defaults(lf_fake_dap_cfg *c)
{
  memset(c, 0, sizeof *c);
  c->max_packet = 64;
  c->packet_size = 64;
  c->packet_count = 4;
  c->caps = 0x11;
  c->protocol = "2.1.0";
  c->firmware = "";
  c->info_vendor = "";
  c->info_product = "";
  c->info_serial = "";
}

/* What tells the shapes apart (the rest is defaults()). */
typedef struct shape {
  uint16_t vid, pid;
  const char *manufacturer, *product, *serial, *protocol, *firmware;
  unsigned packet_count;
  uint8_t caps;
  lf_fake_iface ifaces[4];
  unsigned nifaces;
} shape;

enum { DAPLINK, DEBUGPROBE, HID_ONLY };
static const shape shapes[] = {
  [DAPLINK] = {0x0D28, 0x0204, "ARM", "DAPLink CMSIS-DAP", "0240000032044e4500257009997b00386781000097969900",
               "2.1.0", "0257", 4, 0x11,
               {{0, 0x08, "USB_MSC", 0x02, 0x82, false},
                {1, 0x02, "mbed Serial Port", 0, 0x83, true},
                {3, 0x03, "CMSIS-DAP v1", 0x01, 0x81, true},
                {4, 0xFF, "CMSIS-DAP v2", 0x04, 0x85, false}}, 4},
  [DEBUGPROBE] = {0x2E8A, 0x000C, "Raspberry Pi", "Debug Probe (CMSIS-DAP)", "E6614C311B597D32", "2.0.0",
                  "", 2, 0x31,
                  {{0, 0xFF, "CMSIS-DAP v2 Interface", 0x04, 0x85, false},
                   {1, 0x02, "Board CDC", 0, 0x81, true}}, 2},
  [HID_ONLY] = {0x0D28, 0x0204, "ARM", "DAPLink CMSIS-DAP", "0240000031754e45001c0011", "1.10", "", 4, 0x11,
                {{0, 0x08, "USB_MSC", 0x02, 0x82, false},
                 {3, 0x03, "CMSIS-DAP", 0x01, 0x81, true}}, 2},
};

static void apply(lf_fake_dap_cfg *c, const shape *sh)
{
  defaults(c);
  c->vid = sh->vid;
  c->pid = sh->pid;
  c->manufacturer = sh->manufacturer;
  c->product = sh->product;
  c->serial = sh->serial;
  c->protocol = sh->protocol;
  c->firmware = sh->firmware;
  c->packet_count = sh->packet_count;
  c->caps = sh->caps;
  memcpy(c->ifaces, sh->ifaces, sizeof c->ifaces);
  c->nifaces = sh->nifaces;
}

void lf_fake_dap_cfg_daplink(lf_fake_dap_cfg *c) { apply(c, &shapes[DAPLINK]); }
void lf_fake_dap_cfg_debugprobe(lf_fake_dap_cfg *c) { apply(c, &shapes[DEBUGPROBE]); }
void lf_fake_dap_cfg_hid_only(lf_fake_dap_cfg *c) { apply(c, &shapes[HID_ONLY]); }

lf_fake_dap *lf_fake_dap_new(const lf_fake_dap_cfg *cfg)
{
  lf_fake_dap *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->cfg = *cfg;
  f->st.iface = -1;
  f->st.wait_retry = 100;
  return f;
}

void lf_fake_dap_clear_log(lf_fake_dap *f)
{
  f->st.max_timeout_ms = 0;
  for (size_t i = 0; i < f->nlog; i++)
    free(f->log[i]);
  f->nlog = 0;
}

static void drop_replies(lf_fake_dap *f)
{
  while (f->qn) {
    free(f->q[f->qhead].b);
    f->qhead = (f->qhead + 1) % MAX_PENDING;
    f->qn--;
  }
}

void lf_fake_dap_free(lf_fake_dap *f)
{
  if (!f)
    return;
  lf_fake_dap_clear_log(f);
  free(f->log);
  free(f->loglen);
  drop_replies(f);
  free(f);
}

void lf_fake_dap_mangle(lf_fake_dap *f, uint8_t cmd, unsigned nth, lf_fake_mangle how)
{
  f->mangle_cmd = cmd;
  f->mangle_nth = nth;
  f->mangle = how;
}

void lf_fake_dap_force_ack(lf_fake_dap *f, unsigned after, uint8_t ack, unsigned n)
{
  f->force_after = after;
  f->force_ack = ack;
  f->force_n = n;
}

const lf_fake_dap_state *lf_fake_dap_state_get(const lf_fake_dap *f) { return &f->st; }
size_t lf_fake_dap_nlog(const lf_fake_dap *f) { return f->nlog; }

const uint8_t *lf_fake_dap_log(const lf_fake_dap *f, size_t i, size_t *len)
{
  *len = i < f->nlog ? f->loglen[i] : 0;
  return i < f->nlog ? f->log[i] : NULL;
}

static void log_req(lf_fake_dap *f, const uint8_t *b, size_t n)
{
  if (f->nlog == f->logcap) {
    size_t cap = f->logcap ? 2 * f->logcap : 64;
    uint8_t **l = realloc(f->log, cap * sizeof *l);
    if (l)
      f->log = l;
    size_t *ll = realloc(f->loglen, cap * sizeof *ll);
    if (ll)
      f->loglen = ll;
    if (!l || !ll)
      return;
    f->logcap = cap;
  }
  uint8_t *c = malloc(n ? n : 1);
  if (!c)
    return;
  memcpy(c, b, n);
  f->log[f->nlog] = c;
  f->loglen[f->nlog++] = n;
}

/* ---- the firmware ---- */

static uint32_t get32(const uint8_t *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static void put32(uint8_t *b, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
}

/* One SWD access as the reference SWD_Transfer does it, WAIT retried. */
static uint8_t wire1(lf_fake_dap *f, uint8_t req, uint32_t *data)
{
  f->st.wire++;
  if (f->force_n && f->force_after) {
    f->force_after--;
  } else if (f->force_n) {
    f->force_n--;
    return f->force_ack;
  }
  if (!f->cfg.board)
    return 7;
  uint32_t dummy = data ? *data : 0;
  return (uint8_t)lf_dap_transact(lf_bench_dap(f->cfg.board), req & 1, (req & 2) != 0, req & 0x0C,
                                  data ? data : &dummy);
}

static uint8_t wire(lf_fake_dap *f, uint8_t req, uint32_t *data)
{
  uint8_t ack;
  unsigned retry = f->st.wait_retry;
  do
    ack = wire1(f, req, data);
  while (ack == 2 && retry--);
  return ack;
}

#define RDBUFF_READ 0x0E /* DP, read, A = 0xC */

/* DAP_Transfer (cmsis-dap.md 2.4). */
static size_t do_transfer(lf_fake_dap *f, const uint8_t *q, size_t qn, uint8_t *r)
{
  r[0] = 0x05;
  if (qn < 3 || !f->st.port) {
    r[1] = r[2] = 0;
    return 3;
  }
  unsigned count = q[2], done = 0;
  size_t at = 3, o = 3;
  uint8_t ack = 0;
  bool post = false, check = false;
  uint32_t d;
  for (; done < count && at < qn; done++) {
    uint8_t rq = q[at++];
    if (rq & 2) {
      if (post) {
        bool ap_read = (rq & 0x11) == 0x01;
        ack = wire(f, ap_read ? rq : RDBUFF_READ, &d);
        if (!ap_read)
          post = false;
        if (ack != 1)
          break;
        put32(r + o, d);
        o += 4;
      }
      if (!post) {
        if (rq & 1) {
          ack = wire(f, rq, NULL);
          if (ack != 1)
            break;
          post = true;
        } else {
          ack = wire(f, rq, &d);
          if (ack != 1)
            break;
          put32(r + o, d);
          o += 4;
        }
      }
      check = false;
    } else {
      if (post) {
        ack = wire(f, RDBUFF_READ, &d);
        post = false;
        if (ack != 1)
          break;
        put32(r + o, d);
        o += 4;
      }
      if (at + 4 > qn)
        break;
      d = get32(q + at);
      at += 4;
      ack = wire(f, rq, &d);
      if (ack != 1)
        break;
      check = true;
    }
  }
  if (ack == 1 && post) {
    ack = wire(f, RDBUFF_READ, &d);
    if (ack == 1) {
      put32(r + o, d);
      o += 4;
    }
  } else if (ack == 1 && check) {
    ack = wire(f, RDBUFF_READ, NULL);
  }
  r[1] = (uint8_t)done;
  r[2] = ack;
  return o;
}

/* DAP_TransferBlock (cmsis-dap.md 2.5). */
static size_t do_block(lf_fake_dap *f, const uint8_t *q, size_t qn, uint8_t *r)
{
  r[0] = 0x06;
  unsigned count = qn >= 5 ? (unsigned)(q[2] | q[3] << 8) : 0, done = 0;
  uint8_t ack = 0, rq = qn >= 5 ? q[4] & 0x0F : 0;
  size_t o = 4;
  if (!count || !f->st.port)
    goto end;
  uint32_t d;
  if (rq & 2) {
    if ((rq & 1) && (ack = wire(f, rq, NULL)) != 1)
      goto end;
    for (unsigned i = 0; i < count; i++) {
      bool last = i + 1 == count;
      if ((ack = wire(f, (rq & 1) && last ? RDBUFF_READ : rq, &d)) != 1)
        goto end;
      put32(r + o, d);
      o += 4;
      done++;
    }
  } else {
    if (qn < 5 + 4 * (size_t)count) {
      ack = 0;
      goto end;
    }
    for (unsigned i = 0; i < count; i++) {
      d = get32(q + 5 + 4 * i);
      if ((ack = wire(f, rq, &d)) != 1)
        goto end;
      done++;
    }
    ack = wire(f, RDBUFF_READ, NULL);
  }
end:
  r[1] = (uint8_t)done;
  r[2] = (uint8_t)(done >> 8);
  r[3] = ack;
  return o;
}

static size_t info_str(uint8_t *r, const char *s)
{
  size_t n = s && s[0] ? strlen(s) + 1 : 0;
  r[1] = (uint8_t)n;
  memcpy(r + 2, s ? s : "", n);
  return 2 + n;
}

static size_t do_info(lf_fake_dap *f, uint8_t id, uint8_t *r)
{
  const lf_fake_dap_cfg *c = &f->cfg;
  switch (id) {
  case 0x01: return info_str(r, c->info_vendor);
  case 0x02: return info_str(r, c->info_product);
  case 0x03: return info_str(r, c->info_serial);
  case 0x04: return info_str(r, c->protocol);
  case 0x09: return info_str(r, c->firmware);
  case 0xF0: r[1] = 1; r[2] = c->caps; return 3;
  case 0xFE: r[1] = 1; r[2] = (uint8_t)c->packet_count; return 3;
  case 0xFF: r[1] = 2; r[2] = (uint8_t)c->packet_size; r[3] = (uint8_t)(c->packet_size >> 8); return 4;
  default: r[1] = 0; return 2;
  }
}

/* The SWJ sequences of probe-protocols.md 4.2, LSB first. */
static const uint8_t jtag_to_swd[17] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7,
                                        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
static const uint8_t dormant_alert[16] = {0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86,
                                          0xE9, 0xAF, 0xDD, 0xE3, 0xA2, 0x0E, 0xBC, 0x19};

static void do_sequence(lf_fake_dap *f, unsigned bits, const uint8_t *b)
{
  f->st.nreset_low_at_sequence = f->st.nreset_low;
  if (!f->cfg.board)
    return;
  lf_dap *d = lf_bench_dap(f->cfg.board);
  if (bits == 136 && memcmp(b, jtag_to_swd, 17) == 0)
    lf_dap_jtag_to_swd(d);
  else if ((bits == 64 && b[7] == 0x00 && b[6] == 0xFF) ||
           (bits == 224 && memcmp(b + 1, dormant_alert, 16) == 0 && b[17] == 0xA0 && b[18] == 0xF1))
    lf_dap_line_reset(d); /* line reset, or the wake-up that ends in one */
  else
    lf_dap_idle(d, bits);
}

/* DAP_SWD_Sequence: records a TARGETSEL write (8 out 0x99, 5 in, 33 out). */
static size_t do_swd_sequence(lf_fake_dap *f, const uint8_t *q, size_t qn, uint8_t *r)
{
  r[0] = 0x1D;
  r[1] = 0;
  size_t o = 2, at = 2;
  unsigned n = qn > 1 ? q[1] : 0;
  const uint8_t *out[3] = {NULL, NULL, NULL};
  unsigned info[3] = {0, 0, 0};
  for (unsigned i = 0; i < n; i++) {
    if (at >= qn) {
      r[1] = 0xFF;
      return 2;
    }
    unsigned in = q[at++], cycles = (in & 0x3F) ? in & 0x3F : 64, bytes = (cycles + 7) / 8;
    if (i < 3) {
      info[i] = in;
      out[i] = q + at;
    }
    if (in & 0x80) {
      memset(r + o, 0x07 /* ACK lines undriven: pulled high */, bytes);
      o += bytes;
    } else {
      at += bytes;
    }
  }
  if (n == 3 && info[0] == 0x08 && out[0][0] == 0x99 && info[1] == 0x85 && info[2] == 0x21) {
    uint32_t v = get32(out[2]), p = v;
    p ^= p >> 16;
    p ^= p >> 8;
    p ^= p >> 4;
    p ^= p >> 2;
    p ^= p >> 1;
    f->st.targetsel_seen = true;
    f->st.targetsel = v;
    f->st.targetsel_parity_ok = (p & 1u) == (out[2][4] & 1u);
  }
  return o;
}

/* Room for the reply to q (and 8 bytes of LF_FAKE_LONG). */
static size_t reply_room(const uint8_t *q, size_t qn)
{
  if (q[0] == 0x06 && qn >= 4)
    return 4 + 4 * (size_t)(q[2] | q[3] << 8) + 8;
  return 3 + 4 * qn + 600;
}

/* One command; the reply into r (reply_room bytes), its length returned. */
static size_t execute(lf_fake_dap *f, const uint8_t *q, size_t qn, uint8_t *r)
{
  lf_fake_dap_state *st = &f->st;
  st->commands[q[0]]++;
  r[0] = q[0];
  r[1] = 0x00;
  switch (q[0]) {
  case 0x00: return do_info(f, qn > 1 ? q[1] : 0, r);
  case 0x01:
    if (q[1] == 0)
      st->led_connect = q[2] != 0;
    r[1] = q[1] <= 1 ? 0x00 : 0xFF;
    return 2;
  case 0x02: {
    unsigned port = q[1] ? q[1] : 1;
    st->port = port == 1 ? 1 : 0;
    r[1] = (uint8_t)st->port;
    return 2;
  }
  case 0x03: st->port = 0; return 2;
  case 0x04:
    st->idle = q[1];
    st->wait_retry = (uint16_t)(q[2] | q[3] << 8);
    st->match_retry = (uint16_t)(q[4] | q[5] << 8);
    return 2;
  case 0x05: return do_transfer(f, q, qn, r);
  case 0x06: return do_block(f, q, qn, r);
  case 0x08:
    if (!st->port) {
      r[1] = 0xFF;
      return 2;
    }
    st->aborts++;
    st->last_abort = get32(q + 2);
    (void)wire1(f, 0x00, &st->last_abort); /* one DP ABORT write, no retry, ack ignored */
    return 2;
  case 0x0A:
    r[2] = f->cfg.reset_sequence;
    return 3;
  case 0x10:
    if (q[2] & 0x80)
      st->nreset_low = !(q[1] & 0x80);
    r[1] = (uint8_t)((st->nreset_low ? 0 : 0x80) | 0x02);
    return 2;
  case 0x11: {
    uint32_t hz = get32(q + 1);
    if (!hz) {
      r[1] = 0xFF;
      return 2;
    }
    st->clock_hz = hz;
    if (f->cfg.board)
      lf_dap_set_swclk(lf_bench_dap(f->cfg.board), hz);
    return 2;
  }
  case 0x12: {
    unsigned bits = q[1] ? q[1] : 256;
    if (qn < 2 + (bits + 7) / 8) {
      r[1] = 0xFF;
      return 2;
    }
    do_sequence(f, bits, q + 2);
    return 2;
  }
  case 0x13: st->swd_cfg = q[1]; return 2;
  case 0x1D: return do_swd_sequence(f, q, qn, r);
  default: r[0] = 0xFF; return 1;
  }
}

/* Request bytes of the command at q (qn bytes left), as the reference
 * DAP_ProcessCommand consumes them; 0 = unknown here. */
static size_t req_len(const uint8_t *q, size_t qn)
{
  switch (q[0]) {
  case 0x00: return 2;
  case 0x01: return 3;
  case 0x02: return 2;
  case 0x03: return 1;
  case 0x04: return 6;
  case 0x05: {
    size_t o = 3;
    for (unsigned i = 0; i < (qn > 2 ? q[2] : 0u) && o < qn; i++)
      o += (q[o] & 0x02) && !(q[o] & 0x10) ? 1 : 5; /* reads 1; writes, match value 5 */
    return o;
  }
  case 0x06: return qn >= 5 && !(q[4] & 0x02) ? 5 + 4 * (size_t)(q[2] | q[3] << 8) : 5;
  case 0x08: return 6;
  case 0x0A: return 1;
  case 0x10: return 7;
  case 0x11: return 5;
  case 0x12: return 2 + ((qn > 1 && q[1] ? q[1] : 256u) + 7) / 8;
  case 0x13: return 2;
  case 0x1D: {
    size_t o = 2;
    for (unsigned i = 0; i < (qn > 1 ? q[1] : 0u) && o < qn; i++) {
      unsigned info = q[o++], bits = info & 0x3F ? info & 0x3F : 64;
      if (!(info & 0x80))
        o += (bits + 7) / 8;
    }
    return o;
  }
  default: return 0;
  }
}

const uint8_t *lf_fake_dap_command(const lf_fake_dap *f, size_t i, size_t j, size_t *len)
{
  size_t n;
  const uint8_t *q = lf_fake_dap_log(f, i, &n);
  *len = 0;
  if (!q || !n)
    return NULL;
  if (q[0] != 0x7F) {
    *len = j == 0 ? n : 0;
    return j == 0 ? q : NULL;
  }
  size_t o = 2;
  for (size_t k = 0; k < (n > 1 ? q[1] : 0u) && o < n; k++) {
    size_t m = req_len(q + o, n - o);
    if (!m || o + m > n)
      return NULL;
    if (k == j) {
      *len = m;
      return q + o;
    }
    o += m;
  }
  return NULL;
}

/* A whole packet: DAP_ExecuteCommands runs its commands back to back, their
 * replies back to back after 7F n (ref DAP.c DAP_ExecuteCommand; the fake
 * knows the lengths of the commands a driver sends in one). */
static size_t execute_packet(lf_fake_dap *f, const uint8_t *q, size_t qn, uint8_t *r)
{
  if (q[0] != 0x7F)
    return execute(f, q, qn, r);
  f->st.commands[0x7F]++;
  if (f->cfg.no_execute) {
    r[0] = 0xFF;
    return 1;
  }
  unsigned n = qn > 1 ? q[1] : 0;
  size_t o = 2, ro = 2;
  r[0] = 0x7F;
  r[1] = (uint8_t)n;
  for (unsigned i = 0; i < n && o < qn; i++) {
    size_t k = req_len(q + o, qn - o);
    if (!k || o + k > qn)
      break;
    size_t rn = execute(f, q + o, k, r + ro);
    /* a command's own reply mangled inside the list (garbage, wrong ID, 0xFF) */
    lf_fake_mangle how = f->mangle;
    if ((how == LF_FAKE_GARBAGE || how == LF_FAKE_WRONG_ID || how == LF_FAKE_NOT_IMPL) &&
        f->mangle_cmd == q[o] && f->mangle_nth-- == 0) {
      f->mangle = 0;
      if (how == LF_FAKE_GARBAGE)
        memset(r + ro + 1, 0xA5, rn > 1 ? rn - 1 : 0);
      else if (how == LF_FAKE_WRONG_ID)
        r[ro] ^= 0x80;
      else {
        r[ro] = 0xFF;
        rn = 1;
      }
    }
    ro += rn;
    o += k;
  }
  return ro;
}

static unsigned report_size(const lf_fake_dap *f)
{
  return f->cfg.report ? f->cfg.report : f->cfg.max_packet;
}

/* An OUT transfer: one request (v1: one report). */
static void request(lf_fake_dap *f, const uint8_t *b, size_t n)
{
  bool hid = f->claimed->interrupt;
  if (hid ? n != report_size(f) : n > f->cfg.packet_size)
    f->st.bad_frames++;
  if (!hid && n % f->cfg.max_packet == 0 && n < f->cfg.packet_size)
    f->st.zlp_needed++;
  log_req(f, b, n);
  if (n == 0)
    return;
  if (f->qn >= (f->cfg.packet_count ? f->cfg.packet_count : 1) || f->qn >= MAX_PENDING) {
    f->st.dropped++;
    return;
  }
  uint8_t *r = calloc(1, reply_room(b, n));
  if (!r)
    return;
  size_t rn = execute_packet(f, b, n, r);
  bool hit = f->mangle && (f->mangle_cmd == b[0]) && f->mangle_nth-- == 0;
  bool short_frame = false;
  if (hit) {
    lf_fake_mangle how = f->mangle;
    f->mangle = 0;
    switch (how) {
    case LF_FAKE_GARBAGE: memset(r + 1, 0xA5, rn > 1 ? rn - 1 : 0); break;
    case LF_FAKE_SHORT: rn = 1; short_frame = true; break;
    case LF_FAKE_WRONG_ID: r[0] ^= 0x80; break;
    case LF_FAKE_SILENT: free(r); return;
    case LF_FAKE_NOT_IMPL: r[0] = 0xFF; rn = 1; break;
    case LF_FAKE_LONG: memset(r + rn, 0, 8); rn += 8; break;
    }
  }
  size_t i = (f->qhead + f->qn++) % MAX_PENDING;
  f->q[i] = (reply){r, rn, short_frame};
  if (f->qn > f->st.max_pending)
    f->st.max_pending = (unsigned)f->qn;
}

/* An IN transfer: the oldest reply (v1: padded to the report). */
static int respond(lf_fake_dap *f, uint8_t *buf, size_t len, size_t *actual)
{
  *actual = 0;
  if (!f->qn)
    return LF_USB_ERR_TIMEOUT;
  reply rp = f->q[f->qhead];
  f->qhead = (f->qhead + 1) % MAX_PENDING;
  f->qn--;
  int res = 0;
  size_t n = rp.n;
  if (f->claimed->interrupt && !rp.short_frame) { /* a full report */
    size_t rep = report_size(f);
    memset(buf, 0, len < rep ? len : rep);
    n = rep;
  }
  if (n > len) {
    n = len;
    res = LF_USB_ERR_OVERFLOW;
  } else if (!f->claimed->interrupt && n < len && n % f->cfg.max_packet == 0) {
    f->st.zlp_needed++;
  }
  memcpy(buf, rp.b, n < rp.n ? n : rp.n);
  *actual = n;
  free(rp.b);
  return res;
}

/* ---- the backend ---- */

typedef struct fake_priv {
  lf_fake_dap **devs;
  size_t n;
} fake_priv;

static int iface_named(const lf_fake_dap *f, const char *want, uint8_t cls)
{
  for (unsigned i = 0; i < f->cfg.nifaces; i++) {
    const lf_fake_iface *x = &f->cfg.ifaces[i];
    if (x->name && strstr(x->name, want) && (!cls || x->cls == cls) &&
        (x->cls == 0xFF || x->cls == 0x03))
      return x->number;
  }
  return -1;
}

static int f_scan(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter, lf_usb_devinfo **out,
                  void ***handles, size_t *n)
{
  fake_priv *p = c->priv;
  *out = calloc(p->n ? p->n : 1, sizeof **out);
  *handles = calloc(p->n ? p->n : 1, sizeof **handles);
  if (!*out || !*handles) {
    free(*out);
    free(*handles);
    return lf_err_set(c->s, LF_ENOMEM, "fake usb: out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < p->n; i++) {
    const lf_fake_dap_cfg *u = &p->devs[i]->cfg;
    for (size_t fi = 0; fi < nfilter; fi++) {
      const lf_usb_match *m = &filter[fi];
      if ((m->vid || m->pid) && (m->vid != u->vid || m->pid != u->pid))
        continue;
      int iface = -1;
      if (m->iface_name && (iface = iface_named(p->devs[i], m->iface_name, m->iface_class)) < 0)
        continue;
      lf_usb_devinfo *d = &(*out)[k];
      d->vid = u->vid;
      d->pid = u->pid;
      d->match = fi;
      d->iface = iface;
      d->max_packet = u->max_packet;
      snprintf(d->location, sizeof d->location, "fake:%zu", i + 1);
      (*handles)[k++] = p->devs[i];
      break;
    }
  }
  *n = k;
  return 0;
}

static void f_strings(lf_usb_ctx *c, void *h, lf_usb_devinfo *d)
{
  const lf_fake_dap_cfg *u = &((lf_fake_dap *)h)->cfg;
  snprintf(d->manufacturer, sizeof d->manufacturer, "%s", u->manufacturer ? u->manufacturer : "");
  snprintf(d->product, sizeof d->product, "%s", u->product ? u->product : "");
  snprintf(d->serial, sizeof d->serial, "%s", u->serial ? u->serial : "");
}

static void f_release(lf_usb_ctx *c, void **handles, size_t n) { free(handles); }

static int f_open(lf_usb_ctx *c, void *h, const lf_usb_devinfo *info, int iface,
                  lf_usb_xfer_type type, void **dev)
{
  lf_fake_dap *f = h;
  for (unsigned i = 0; i < f->cfg.nifaces; i++)
    if (f->cfg.ifaces[i].number == iface) {
      if (f->cfg.ifaces[i].interrupt != (type == LF_USB_INTERRUPT))
        return LF_USB_ERR_IO;
      f->claimed = &f->cfg.ifaces[i];
      f->st.iface = iface;
      *dev = f;
      return 0;
    }
  return LF_USB_ERR_NOT_FOUND;
}

static int f_batch(lf_usb_ctx *c, void *dev, lf_usb_xfer *xs, size_t n, unsigned timeout_ms)
{
  lf_fake_dap *f = dev;
  f->st.batches++;
  f->st.last_timeout_ms = timeout_ms;
  if (timeout_ms > f->st.max_timeout_ms)
    f->st.max_timeout_ms = timeout_ms;
  f->ns += 1000;
  for (size_t i = 0; i < n; i++) {
    lf_usb_xfer *x = &xs[i];
    bool in = x->ep & 0x80;
    int r = 0;
    if (x->ep != (in ? f->claimed->ep_in : f->claimed->ep_out)) {
      r = LF_USB_ERR_PIPE;
    } else if (in) {
      r = respond(f, x->buf, x->len, &x->actual);
    } else {
      request(f, x->buf, x->len);
      x->actual = x->len;
    }
    x->result = r;
    if (r) {
      for (size_t j = i + 1; j < n; j++)
        xs[j].actual = 0;
      return r;
    }
  }
  return 0;
}

/* One transfer on the claimed interface. */
static int f_xfer(lf_fake_dap *f, lf_usb_xfer *x)
{
  bool in = x->ep & 0x80;
  if (x->ep != (in ? f->claimed->ep_in : f->claimed->ep_out))
    return LF_USB_ERR_PIPE;
  if (in)
    return respond(f, x->buf, x->len, &x->actual);
  request(f, x->buf, x->len);
  x->actual = x->len;
  return 0;
}

/* Pipes: a request reaches the firmware when it is pushed (so more of them
 * than the firmware has buffers are dropped, as on a real probe), its
 * reply is read when it is popped. Each pipe that empties is one batch. */
static int f_pipe_push(lf_usb_ctx *c, void *dev, lf_usb_xfer *out, lf_usb_xfer *in,
                       unsigned timeout_ms)
{
  lf_fake_dap *f = dev;
  size_t cap = sizeof f->pipe_in / sizeof f->pipe_in[0];
  if (f->pipe_n == cap)
    return LF_USB_ERR_NO_MEM;
  if (f->pipe_n == 0) {
    f->st.batches++;
    f->ns += 1000;
  }
  f->st.last_timeout_ms = timeout_ms;
  if (timeout_ms > f->st.max_timeout_ms)
    f->st.max_timeout_ms = timeout_ms;
  size_t k = (f->pipe_head + f->pipe_n++) % cap;
  f->pipe_in[k] = in;
  f->pipe_r[k] = out->result = f_xfer(f, out);
  return 0;
}

static int f_pipe_pop(lf_usb_ctx *c, void *dev)
{
  lf_fake_dap *f = dev;
  size_t cap = sizeof f->pipe_in / sizeof f->pipe_in[0];
  size_t k = f->pipe_head;
  f->pipe_head = (f->pipe_head + 1) % cap;
  f->pipe_n--;
  if (!f->pipe_r[k])
    f->pipe_in[k]->result = f_xfer(f, f->pipe_in[k]);
  return 0;
}

static void f_pipe_cancel(lf_usb_ctx *c, void *dev)
{
  lf_fake_dap *f = dev;
  f->pipe_head = f->pipe_n = 0;
}

static int f_endpoints(lf_usb_ctx *c, void *dev, int iface, lf_usb_ep *eps, size_t max)
{
  lf_fake_dap *f = dev;
  const lf_fake_iface *x = f->claimed;
  const uint8_t both[2] = {x->ep_out, x->ep_in};
  int k = 0;
  for (size_t i = 0; i < 2 && (size_t)k < max; i++)
    if (both[i])
      eps[k++] = (lf_usb_ep){both[i], x->interrupt ? LF_USB_INTERRUPT : LF_USB_BULK, f->cfg.max_packet};
  return k;
}

static uint64_t f_now_ns(lf_usb_ctx *c, void *dev)
{
  lf_fake_dap *f = dev;
  return f->cfg.board ? lf_bench_clock(f->cfg.board)->now_ns : f->ns;
}

static void f_close(lf_usb_ctx *c, void *dev)
{
  lf_fake_dap *f = dev;
  f->claimed = NULL;
  f->st.iface = -1;
}

static void f_free(lf_usb_ctx *c)
{
  fake_priv *p = c->priv;
  free(p->devs);
  free(p);
  free(c);
}

static const lf_usb_backend fake_backend = {
  .name = "fake",
  .scan = f_scan,
  .strings = f_strings,
  .release = f_release,
  .open = f_open,
  .batch = f_batch,
  .pipe_push = f_pipe_push,
  .pipe_pop = f_pipe_pop,
  .pipe_cancel = f_pipe_cancel,
  .endpoints = f_endpoints,
  .now_ns = f_now_ns,
  .close = f_close,
  .free = f_free,
};

int lf_fake_usb_new(lf_session *s, lf_fake_dap *const *devs, size_t n, lf_usb_ctx **out)
{
  lf_usb_ctx *c = calloc(1, sizeof *c);
  fake_priv *p = calloc(1, sizeof *p);
  lf_fake_dap **d = calloc(n ? n : 1, sizeof *d);
  if (!c || !p || !d) {
    free(c);
    free(p);
    free(d);
    return lf_err_set(s, LF_ENOMEM, "fake usb: out of memory");
  }
  memcpy(d, devs, n * sizeof *d);
  p->devs = d;
  p->n = n;
  c->be = &fake_backend;
  c->s = s;
  c->priv = p;
  *out = c;
  return 0;
}
