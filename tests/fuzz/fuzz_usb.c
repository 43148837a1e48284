/* The fuzz USB backend and the session recorder (fuzz_usb.h). */
#include "fuzz_usb.h"

#include <stdlib.h>
#include <string.h>

enum {
  C_LEN16 = 0xFB,
  C_OVERFLOW = 0xFC,
  C_NODEV = 0xFD,
  C_STALL = 0xFE,
  C_TIMEOUT = 0xFF,
};

#define XFER_NS 125000u

typedef struct fz {
  lf_fuzz_usb_dev dev;
  const uint8_t *d;
  size_t n, pos;
  uint64_t now_ns, xfers;
  int open;
} fz;

static int take(fz *f)
{
  return f->pos < f->n ? f->d[f->pos++] : -1;
}

static int f_scan(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter, lf_usb_devinfo **out,
                  void ***handles, size_t *n)
{
  fz *f = c->priv;
  *n = 0;
  *out = calloc(1, sizeof **out);
  *handles = calloc(1, sizeof **handles);
  if (!*out || !*handles) {
    free(*out);
    free(*handles);
    *out = NULL;
    *handles = NULL;
    return lf_err_set(c->s, LF_ENOMEM, "usb: out of memory");
  }
  for (size_t i = 0; i < nfilter; i++) {
    const lf_usb_match *m = &filter[i];
    if ((m->vid || m->pid) && (m->vid != f->dev.vid || m->pid != f->dev.pid))
      continue;
    if (m->iface_name && (!f->dev.iface_name || !strstr(f->dev.iface_name, m->iface_name) ||
                          (m->iface_class && m->iface_class != f->dev.iface_class)))
      continue;
    lf_usb_devinfo *d = *out;
    d->vid = f->dev.vid;
    d->pid = f->dev.pid;
    d->match = i;
    d->iface = m->iface_name ? 0 : -1;
    d->high_speed = f->dev.high_speed;
    d->max_packet = f->dev.max_packet;
    snprintf(d->location, sizeof d->location, "fuzz:1");
    (*handles)[0] = f;
    *n = 1;
    break;
  }
  return 0;
}

static void f_strings(lf_usb_ctx *c, void *h, lf_usb_devinfo *d)
{
  snprintf(d->manufacturer, sizeof d->manufacturer, "fuzz");
  snprintf(d->product, sizeof d->product, "fuzz probe");
  snprintf(d->serial, sizeof d->serial, "FUZZ0001");
}

static void f_release(lf_usb_ctx *c, void **handles, size_t n) { free(handles); }

static int f_open(lf_usb_ctx *c, void *h, const lf_usb_devinfo *info, int iface,
                  lf_usb_xfer_type type, void **dev)
{
  fz *f = h;
  f->open++;
  *dev = f;
  return 0;
}

static int one(fz *f, lf_usb_xfer *x, unsigned timeout_ms)
{
  if (++f->xfers > LF_FUZZ_USB_MAX_XFERS) {
    fprintf(stderr, "fuzz usb: more than %u transfers for one input: a hang\n", LF_FUZZ_USB_MAX_XFERS);
    abort();
  }
  x->actual = 0;
  if (!(x->ep & 0x80)) {
    f->now_ns += XFER_NS;
    x->actual = x->len;
    return 0;
  }
  int c = take(f);
  size_t len;
  switch (c) {
  case -1:
  case C_TIMEOUT:
    f->now_ns += (uint64_t)timeout_ms * 1000000u;
    return LF_USB_ERR_TIMEOUT;
  case C_STALL: f->now_ns += XFER_NS; return LF_USB_ERR_PIPE;
  case C_NODEV: f->now_ns += XFER_NS; return LF_USB_ERR_NO_DEVICE;
  case C_OVERFLOW: f->now_ns += XFER_NS; return LF_USB_ERR_OVERFLOW;
  case C_LEN16: {
    int lo = take(f), hi = take(f);
    len = (size_t)(lo < 0 ? 0 : lo) | (size_t)(hi < 0 ? 0 : hi) << 8;
    break;
  }
  case 0: len = x->len; break;
  default: len = (size_t)c; break;
  }
  if (len > x->len)
    len = x->len;
  uint8_t *b = x->buf;
  size_t avail = f->n - f->pos;
  size_t k = len < avail ? len : avail;
  if (k)
    memcpy(b, f->d + f->pos, k);
  memset(b + k, 0, len - k);
  f->pos += k;
  x->actual = len;
  f->now_ns += XFER_NS;
  return 0;
}

static int f_batch(lf_usb_ctx *c, void *dev, lf_usb_xfer *xs, size_t n, unsigned timeout_ms)
{
  for (size_t i = 0; i < n; i++) {
    int r = one(dev, &xs[i], timeout_ms);
    xs[i].result = r;
    if (r) {
      for (size_t j = i + 1; j < n; j++)
        xs[j].actual = 0;
      return r;
    }
  }
  return 0;
}

static int f_endpoints(lf_usb_ctx *c, void *dev, int iface, lf_usb_ep *eps, size_t max)
{
  fz *f = dev;
  const uint8_t both[2] = {f->dev.ep_out, f->dev.ep_in};
  int k = 0;
  for (size_t i = 0; i < 2 && (size_t)k < max; i++)
    if (both[i])
      eps[k++] = (lf_usb_ep){.addr = both[i], .type = f->dev.xfer, .max_packet = f->dev.max_packet};
  return k;
}

static uint64_t f_now(lf_usb_ctx *c, void *dev) { return ((fz *)dev)->now_ns; }
static void f_close(lf_usb_ctx *c, void *dev) { ((fz *)dev)->open--; }

static void f_free(lf_usb_ctx *c)
{
  fz *f = c->priv;
  if (f->open)
    abort(); /* a driver left its device open */
  free(f);
  free(c);
}

static const lf_usb_backend fuzz_backend = {
  .name = "fuzz",
  .scan = f_scan,
  .strings = f_strings,
  .release = f_release,
  .open = f_open,
  .batch = f_batch,
  .endpoints = f_endpoints,
  .now_ns = f_now,
  .close = f_close,
  .free = f_free,
};

int lf_fuzz_usb_new(lf_session *s, const lf_fuzz_usb_dev *dev, const uint8_t *data, size_t n,
                    lf_usb_ctx **out)
{
  lf_usb_ctx *c = calloc(1, sizeof *c);
  fz *f = calloc(1, sizeof *f);
  if (!c || !f) {
    free(c);
    free(f);
    return lf_err_set(s, LF_ENOMEM, "usb: out of memory");
  }
  f->dev = *dev;
  f->d = data;
  f->n = n;
  f->now_ns = 1000000000u;
  c->be = &fuzz_backend;
  c->s = s;
  c->priv = f;
  *out = c;
  return 0;
}

uint64_t lf_fuzz_usb_transfers(const lf_usb_ctx *c) { return ((const fz *)c->priv)->xfers; }
size_t lf_fuzz_usb_used(const lf_usb_ctx *c) { return ((const fz *)c->priv)->pos; }

/* ---- the recorder ---- */

typedef struct rec {
  lf_usb_ctx *inner;
  FILE *out;
} rec;

static int r_scan(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter, lf_usb_devinfo **out,
                  void ***handles, size_t *n)
{
  rec *r = c->priv;
  return r->inner->be->scan(r->inner, filter, nfilter, out, handles, n);
}
static void r_strings(lf_usb_ctx *c, void *h, lf_usb_devinfo *d)
{
  rec *r = c->priv;
  r->inner->be->strings(r->inner, h, d);
}
static void r_release(lf_usb_ctx *c, void **handles, size_t n)
{
  rec *r = c->priv;
  r->inner->be->release(r->inner, handles, n);
}
static int r_open(lf_usb_ctx *c, void *h, const lf_usb_devinfo *info, int iface,
                  lf_usb_xfer_type type, void **dev)
{
  rec *r = c->priv;
  return r->inner->be->open(r->inner, h, info, iface, type, dev);
}

static void record(rec *r, const lf_usb_xfer *x)
{
  if (!(x->ep & 0x80))
    return;
  switch (x->result) {
  case LF_USB_ERR_TIMEOUT: fputc(C_TIMEOUT, r->out); return;
  case LF_USB_ERR_PIPE: fputc(C_STALL, r->out); return;
  case LF_USB_ERR_NO_DEVICE: fputc(C_NODEV, r->out); return;
  case LF_USB_ERR_OVERFLOW: fputc(C_OVERFLOW, r->out); return;
  default:
    if (x->result)
      return; /* not run */
  }
  if (x->actual == x->len && x->len)
    fputc(0, r->out);
  else if (x->actual >= 1 && x->actual < C_LEN16)
    fputc((int)x->actual, r->out);
  else {
    fputc(C_LEN16, r->out);
    fputc((int)(x->actual & 0xFF), r->out);
    fputc((int)(x->actual >> 8), r->out);
  }
  fwrite(x->buf, 1, x->actual, r->out);
}

static int r_batch(lf_usb_ctx *c, void *dev, lf_usb_xfer *xs, size_t n, unsigned timeout_ms)
{
  rec *r = c->priv;
  int rc = r->inner->be->batch(r->inner, dev, xs, n, timeout_ms);
  for (size_t i = 0; i < n; i++) {
    record(r, &xs[i]);
    if (xs[i].result)
      break;
  }
  return rc;
}
static int r_endpoints(lf_usb_ctx *c, void *dev, int iface, lf_usb_ep *eps, size_t max)
{
  rec *r = c->priv;
  return r->inner->be->endpoints ? r->inner->be->endpoints(r->inner, dev, iface, eps, max)
                                 : LF_USB_ERR_NOT_FOUND;
}
static uint64_t r_now(lf_usb_ctx *c, void *dev)
{
  rec *r = c->priv;
  return r->inner->be->now_ns ? r->inner->be->now_ns(r->inner, dev) : 0;
}
static void r_close(lf_usb_ctx *c, void *dev)
{
  rec *r = c->priv;
  r->inner->be->close(r->inner, dev);
}
static void r_free(lf_usb_ctx *c)
{
  rec *r = c->priv;
  lf_usb_free(r->inner);
  free(r);
  free(c);
}

static const lf_usb_backend rec_backend = {
  .name = "record",
  .scan = r_scan,
  .strings = r_strings,
  .release = r_release,
  .open = r_open,
  .batch = r_batch,
  .endpoints = r_endpoints,
  .now_ns = r_now,
  .close = r_close,
  .free = r_free,
};

int lf_fuzz_usb_recorder(lf_session *s, lf_usb_ctx *inner, FILE *out, lf_usb_ctx **ctx)
{
  lf_usb_ctx *c = calloc(1, sizeof *c);
  rec *r = calloc(1, sizeof *r);
  if (!c || !r) {
    free(c);
    free(r);
    return lf_err_set(s, LF_ENOMEM, "usb: out of memory");
  }
  r->inner = inner;
  r->out = out;
  c->be = &rec_backend;
  c->s = s;
  c->priv = r;
  *ctx = c;
  return 0;
}
