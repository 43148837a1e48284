/* In-process bench backend (usb_bench.h): each lf_bench_board is one device at
 * "bench:<n>". Its descriptor, interfaces and strings come from
 * lf_bench_usb_info_get (no time passes); a batch runs the transfers in order
 * as one round trip (the bench charges the USB turnaround latency once,
 * lf_bench_usb_batch_begin) and stops at the first failure (the later ones
 * report LF_USB_ERR_IO, "not run"). An open device moves data as its filter
 * row says: bulk transfers, or interrupt transfers (HID probes), which the
 * bench refuses on a bulk endpoint as usbfs does (LF_VUSB_ERR_INVALID). */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "bench/bench.h"
#include "bench/vprobe.h"
#include "bench/usb_bench.h"

/* The bench answers with its own codes; they are libusb's numbers, as ours. */
_Static_assert((int)LF_VUSB_OK == (int)LF_USB_OK && (int)LF_VUSB_ERR_IO == (int)LF_USB_ERR_IO &&
                 (int)LF_VUSB_ERR_NO_DEVICE == (int)LF_USB_ERR_NO_DEVICE &&
                 (int)LF_VUSB_ERR_TIMEOUT == (int)LF_USB_ERR_TIMEOUT &&
                 (int)LF_VUSB_ERR_OVERFLOW == (int)LF_USB_ERR_OVERFLOW &&
                 (int)LF_VUSB_ERR_PIPE == (int)LF_USB_ERR_PIPE,
               "bench USB result codes differ from the transport's");

/* A pipe pair not run yet, and when the host submitted it. */
typedef struct bench_pair {
  lf_usb_xfer *out, *in;
  unsigned timeout_ms;
  uint64_t t_ns;
} bench_pair;

/* An open device: its board and how the claimed interface moves data. */
typedef struct bench_dev {
  lf_bench_board *b;
  lf_usb_xfer_type type;
  bench_pair pipe[LF_USB_PIPE_MAX]; /* ring, oldest at head */
  size_t head, n;
} bench_dev;

typedef struct bench_priv {
  lf_bench_board **boards;
  size_t n;
  /* optional transfer log (lf_usb_bench_log) */
  lf_usb_bench_event *ev;
  size_t nev, maxev, dropped;
} bench_priv;

static void log_xfer(bench_priv *p, lf_bench_board *b, const lf_usb_xfer *x, uint64_t t0, int r)
{
  if (p->nev >= p->maxev) {
    p->dropped++;
    return;
  }
  uint8_t idx = 0;
  for (size_t i = 0; i < p->n; i++)
    if (p->boards[i] == b)
      idx = (uint8_t)(i + 1);
  p->ev[p->nev++] = (lf_usb_bench_event){.t0_ns = t0, .t1_ns = lf_bench_clock(b)->now_ns,
                                         .len = (uint32_t)x->len, .actual = (uint32_t)x->actual,
                                         .ep = x->ep, .board = idx, .result = (int8_t)r};
}

/* The number of the first interface of u named with `want` (of class cls,
 * 0 = any), or -1. */
static int iface_named(const lf_bench_usb_info *u, const char *want, uint8_t cls)
{
  for (unsigned i = 0; i < u->nifaces; i++) {
    const lf_bench_usb_iface *f = &u->ifaces[i];
    if (f->name && strstr(f->name, want) && (!cls || f->cls == cls))
      return f->number;
  }
  return -1;
}

static int b_scan(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
                  lf_usb_devinfo **out, void ***handles, size_t *n)
{
  bench_priv *p = c->priv;
  *out = calloc(p->n ? p->n : 1, sizeof **out);
  *handles = calloc(p->n ? p->n : 1, sizeof **handles);
  if (!*out || !*handles) {
    free(*out);
    free(*handles);
    *out = NULL;
    *handles = NULL;
    return lf_err_set(c->s, LF_ENOMEM, "usb: out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < p->n; i++) {
    const lf_bench_usb_info *u = lf_bench_usb_info_get(p->boards[i]);
    for (size_t f = 0; f < nfilter; f++) {
      const lf_usb_match *m = &filter[f];
      if ((m->vid || m->pid) && (m->vid != u->vid || m->pid != u->pid))
        continue;
      int iface = -1;
      if (m->iface_name && (iface = iface_named(u, m->iface_name, m->iface_class)) < 0)
        continue;
      lf_usb_devinfo *d = &(*out)[k];
      d->vid = u->vid;
      d->pid = u->pid;
      d->bcd_device = u->bcd_device;
      d->match = f;
      d->iface = iface;
      d->high_speed = u->high_speed;
      d->max_packet = u->max_packet;
      snprintf(d->location, sizeof d->location, "bench:%zu", i + 1);
      (*handles)[k++] = p->boards[i];
      break;
    }
  }
  *n = k;
  return 0;
}

static void b_strings(lf_usb_ctx *c, void *h, lf_usb_devinfo *d)
{
  const lf_bench_usb_info *u = lf_bench_usb_info_get(h);
  /* What a libusb host pays for the three strings: per string the language
   * table (4 bytes), then the string descriptor. */
  const char *texts[] = {u->manufacturer, u->product, u->serial};
  for (size_t i = 0; i < 3; i++) {
    if (!texts[i])
      continue;
    lf_bench_usb_control_time(h, 4);
    lf_bench_usb_control_time(h, lf_bench_usb_string_len(texts[i]));
  }
  snprintf(d->manufacturer, sizeof d->manufacturer, "%s", u->manufacturer ? u->manufacturer : "");
  snprintf(d->product, sizeof d->product, "%s", u->product ? u->product : "");
  snprintf(d->serial, sizeof d->serial, "%s", u->serial ? u->serial : "");
}

static void b_release(lf_usb_ctx *c, void **handles, size_t n) { free(handles); }

static int b_open(lf_usb_ctx *c, void *h, const lf_usb_devinfo *info, int iface,
                  lf_usb_xfer_type type, void **dev)
{
  const lf_bench_usb_info *u = lf_bench_usb_info_get(h);
  bool found = false;
  for (unsigned i = 0; i < u->nifaces; i++)
    found |= u->ifaces[i].number == iface;
  if (!found)
    return LF_USB_ERR_NOT_FOUND; /* libusb_claim_interface: no such interface */
  bench_dev *d = calloc(1, sizeof *d);
  if (!d)
    return LF_USB_ERR_NO_MEM;
  d->b = h;
  d->type = type;
  *dev = d;
  return 0;
}

/* One transfer of the device's type. */
static int xfer(const bench_dev *d, lf_usb_xfer *x, unsigned timeout_ms)
{
  bool in = x->ep & 0x80;
  if (d->type == LF_USB_INTERRUPT)
    return in ? lf_bench_usb_interrupt_in(d->b, x->ep, x->buf, x->len, &x->actual, timeout_ms)
              : lf_bench_usb_interrupt_out(d->b, x->ep, x->buf, x->len, &x->actual, timeout_ms);
  return in ? lf_bench_usb_bulk_in(d->b, x->ep, x->buf, x->len, &x->actual, timeout_ms)
            : lf_bench_usb_bulk_out(d->b, x->ep, x->buf, x->len, &x->actual, timeout_ms);
}

static int b_batch(lf_usb_ctx *c, void *dev, lf_usb_xfer *xs, size_t n, unsigned timeout_ms)
{
  bench_priv *p = c->priv;
  const bench_dev *d = dev;
  uint64_t t0 = p->ev ? lf_bench_clock(d->b)->now_ns : 0;
  lf_bench_usb_batch_begin(d->b);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    lf_usb_xfer *x = &xs[i];
    int r = xfer(d, x, timeout_ms);
    x->result = r;
    if (p->ev) {
      log_xfer(p, d->b, x, t0, r);
      t0 = lf_bench_clock(d->b)->now_ns;
    }
    if (r) {
      /* With libusb the later transfers are cancelled; nothing of them ran. */
      for (size_t j = i + 1; j < n; j++)
        xs[j].actual = 0;
      rc = r;
    }
  }
  lf_bench_usb_batch_end(d->b);
  return rc;
}

/* Pipes. A pair runs when it is popped, its OUT then its IN, as the bus
 * moves them: the host had submitted both when it pushed them, so each
 * transfer is told its push time (lf_bench_usb_batch_submit: a HID frame
 * goes no earlier than that) and the pipe is one batch while it is busy (a
 * bulk link pays the turnaround latency once). Nothing of a pair runs
 * before it is popped, so the board's clock is the host's when it pushes
 * (the time of the last reply it saw), and a cancelled pair never reached
 * the bus. */
static int b_pipe_push(lf_usb_ctx *c, void *dev, lf_usb_xfer *out, lf_usb_xfer *in,
                       unsigned timeout_ms)
{
  bench_dev *d = dev;
  if (d->n == 0)
    lf_bench_usb_batch_begin(d->b);
  d->pipe[(d->head + d->n++) % LF_USB_PIPE_MAX] =
    (bench_pair){out, in, timeout_ms, lf_bench_clock(d->b)->now_ns};
  return 0;
}

static int b_pipe_pop(lf_usb_ctx *c, void *dev)
{
  bench_priv *p = c->priv;
  bench_dev *d = dev;
  bench_pair pp = d->pipe[d->head];
  d->head = (d->head + 1) % LF_USB_PIPE_MAX;
  d->n--;
  lf_usb_xfer *xs[2] = {pp.out, pp.in};
  for (size_t i = 0; i < 2; i++) {
    uint64_t t0 = p->ev ? lf_bench_clock(d->b)->now_ns : 0;
    lf_bench_usb_batch_submit(d->b, pp.t_ns);
    int r = xfer(d, xs[i], pp.timeout_ms);
    xs[i]->result = r;
    if (p->ev)
      log_xfer(p, d->b, xs[i], t0, r);
    if (r)
      break; /* a failed request has no reply */
  }
  if (d->n == 0)
    lf_bench_usb_batch_end(d->b);
  return 0;
}

static void b_pipe_cancel(lf_usb_ctx *c, void *dev)
{
  bench_dev *d = dev;
  if (d->n)
    lf_bench_usb_batch_end(d->b);
  d->n = d->head = 0;
}

/* The interface's OUT and IN endpoints (models without an interface list:
 * interface 0 with the device's bulk endpoints). */
static int b_endpoints(lf_usb_ctx *c, void *dev, int iface, lf_usb_ep *eps, size_t max)
{
  const lf_bench_usb_info *u = lf_bench_usb_info_get(((bench_dev *)dev)->b);
  uint8_t out = u->ep_out, in = u->ep_in;
  bool irq = false;
  for (unsigned i = 0; i < u->nifaces; i++)
    if (u->ifaces[i].number == iface) {
      out = u->ifaces[i].ep_out;
      in = u->ifaces[i].ep_in;
      irq = u->ifaces[i].interrupt;
    }
  const uint8_t both[2] = {out, in};
  int k = 0;
  for (size_t i = 0; i < 2 && (size_t)k < max; i++)
    if (both[i])
      eps[k++] = (lf_usb_ep){.addr = both[i], .type = irq ? LF_USB_INTERRUPT : LF_USB_BULK,
                             .max_packet = u->max_packet};
  return k;
}

static void b_close(lf_usb_ctx *c, void *dev) { free(dev); }

static uint64_t b_now_ns(lf_usb_ctx *c, void *dev)
{
  return lf_bench_clock(((bench_dev *)dev)->b)->now_ns;
}

static void b_free(lf_usb_ctx *c)
{
  bench_priv *p = c->priv;
  if (p->n)
    lf_log_set_virtual_clock(c->s, NULL);
  free(p->boards);
  free(p->ev);
  free(p);
  free(c);
}

static const lf_usb_backend lf_usb_bench_backend = {
  .name = "bench",
  .scan = b_scan,
  .strings = b_strings,
  .release = b_release,
  .open = b_open,
  .batch = b_batch,
  .pipe_push = b_pipe_push,
  .pipe_pop = b_pipe_pop,
  .pipe_cancel = b_pipe_cancel,
  .endpoints = b_endpoints,
  .close = b_close,
  .free = b_free,
  .now_ns = b_now_ns,
};

int lf_usb_new_bench(lf_session *s, struct lf_bench_board *const *boards, size_t n,
                     lf_usb_ctx **out)
{
  *out = NULL;
  lf_usb_ctx *c = calloc(1, sizeof *c);
  bench_priv *p = calloc(1, sizeof *p);
  lf_bench_board **bs = calloc(n ? n : 1, sizeof *bs);
  if (!c || !p || !bs) {
    free(c);
    free(p);
    free(bs);
    return lf_err_set(s, LF_ENOMEM, "usb: out of memory");
  }
  for (size_t i = 0; i < n; i++)
    bs[i] = boards[i];
  p->boards = bs;
  p->n = n;
  c->be = &lf_usb_bench_backend;
  c->s = s;
  c->priv = p;
  /* Log lines carry the virtual time of the (first) board until freed. */
  if (n)
    lf_log_set_virtual_clock(s, &lf_bench_clock(bs[0])->now_ns);
  *out = c;
  return 0;
}

int lf_usb_bench_log(lf_usb_ctx *c, size_t max)
{
  if (c->be != &lf_usb_bench_backend)
    return lf_err_set(c->s, LF_EINVAL, "usb: the transfer log exists only on the bench");
  bench_priv *p = c->priv;
  free(p->ev);
  p->ev = NULL;
  p->nev = p->maxev = p->dropped = 0;
  if (!max)
    return 0;
  p->ev = calloc(max, sizeof *p->ev);
  if (!p->ev)
    return lf_err_set(c->s, LF_ENOMEM, "usb: out of memory for %zu transfer log entries", max);
  p->maxev = max;
  return 0;
}

const lf_usb_bench_event *lf_usb_bench_events(const lf_usb_ctx *c, size_t *n, size_t *dropped)
{
  *n = 0;
  if (dropped)
    *dropped = 0;
  if (c->be != &lf_usb_bench_backend)
    return NULL;
  const bench_priv *p = c->priv;
  *n = p->nev;
  if (dropped)
    *dropped = p->dropped;
  return p->ev;
}

struct lf_bench_board *lf_usb_bench_board(const lf_usb_dev *d)
{
  if (lf_usb_dev_ctx(d)->be != &lf_usb_bench_backend)
    return NULL;
  return ((bench_dev *)lf_usb_dev_handle(d))->b;
}
