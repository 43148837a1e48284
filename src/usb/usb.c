/* Backend-independent half of the USB transport: selection rules, error
 * messages, round-trip accounting (usb.h). */
#include "usb/usb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A pair in a pipe (lf_usb_pipe_*). */
typedef struct pipe_pair {
  lf_usb_xfer *out, *in;
  unsigned timeout_ms;
} pipe_pair;

struct lf_usb_dev {
  lf_usb_ctx *c;
  void *h;
  lf_usb_devinfo info;
  lf_usb_stats st;
  int iface; /* the claimed interface */
  pipe_pair pipe[LF_USB_PIPE_MAX]; /* ring of the pairs in flight, oldest at pipe_head */
  size_t pipe_head, pipe_n;
};

static const struct {
  int usb;
  int lf;
  const char *why;
} usb_errors[] = {
  {LF_USB_ERR_TIMEOUT, LF_ETIMEDOUT, "timeout"},
  {LF_USB_ERR_PIPE, LF_EIO, "endpoint stalled"},
  {LF_USB_ERR_NO_DEVICE, LF_ENODEV, "device unplugged"},
  {LF_USB_ERR_OVERFLOW, LF_EIO, "reply longer than expected (overflow)"},
  {LF_USB_ERR_ACCESS, LF_EACCES,
   "access denied (add a udev rule granting access to the probe, or run as root)"},
  {LF_USB_ERR_BUSY, LF_EBUSY, "claimed by another program"},
  {LF_USB_ERR_NOT_FOUND, LF_ENODEV, "device gone"},
  {LF_USB_ERR_NO_MEM, LF_ENOMEM, "out of memory"},
};

static int map_usb(int r, const char **why)
{
  for (size_t i = 0; i < sizeof usb_errors / sizeof usb_errors[0]; i++)
    if (usb_errors[i].usb == r) {
      *why = usb_errors[i].why;
      return usb_errors[i].lf;
    }
  *why = "I/O error";
  return LF_EIO;
}

bool lf_usb_serial_matches(const char *serial, const char *want)
{
  size_t n = strlen(want);
  return n > 0 && strncmp(serial, want, n) == 0;
}

const char *lf_usb_backend_name(const lf_usb_ctx *c) { return c->be->name; }

void lf_usb_free(lf_usb_ctx *c)
{
  if (c)
    c->be->free(c);
}

int lf_usb_list(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter, lf_usb_devinfo **out,
                size_t *n)
{
  void **hs = NULL;
  *out = NULL;
  *n = 0;
  int r = c->be->scan(c, filter, nfilter, out, &hs, n);
  if (r)
    return r;
  for (size_t i = 0; i < *n; i++)
    c->be->strings(c, hs[i], &(*out)[i]);
  c->be->release(c, hs, *n);
  return 0;
}

static void describe(const lf_usb_devinfo *d, char *buf, size_t len)
{
  snprintf(buf, len, "%s (%s)", d->serial[0] ? d->serial : "?", d->location);
}

/* "A (bench:1), B (bench:2)" for error messages. */
static void list_names(const lf_usb_devinfo *ds, const size_t *idx, size_t n, char *buf,
                       size_t len)
{
  size_t o = 0;
  buf[0] = 0;
  for (size_t i = 0; i < n && o + 1 < len; i++) {
    char one[112];
    describe(&ds[idx ? idx[i] : i], one, sizeof one);
    int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", one);
    if (w < 0)
      break;
    o += (size_t)w;
  }
}

int lf_usb_open(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
                const lf_usb_select *sel, lf_usb_dev **out, lf_usb_devinfo *info)
{
  lf_session *s = c->s;
  lf_usb_devinfo *ds = NULL;
  void **hs = NULL;
  size_t n = 0;
  *out = NULL;
  int r = c->be->scan(c, filter, nfilter, &ds, &hs, &n);
  if (r)
    return r;
  size_t *hit = calloc(n ? n : 1, sizeof *hit);
  size_t nhit = 0;
  char names[512];
  if (!hit) {
    r = lf_err_set(s, LF_ENOMEM, "usb: out of memory");
    goto done;
  }
  const char *loc = sel && sel->location && sel->location[0] ? sel->location : NULL;
  const char *ser = sel && sel->serial && sel->serial[0] ? sel->serial : NULL;
  int index = sel ? sel->index : -1;
  if (n == 0) {
    r = lf_err_set(s, LF_ENODEV, "usb: no probe found (%s backend)", c->be->name);
    goto done;
  }
  if (loc) {
    for (size_t i = 0; i < n; i++)
      if (strcmp(ds[i].location, loc) == 0)
        hit[nhit++] = i;
    if (!nhit) {
      list_names(ds, NULL, 0, names, sizeof names);
      r = lf_err_set(s, LF_ENODEV, "usb: no probe at location %s", loc);
      goto done;
    }
  } else if (ser) {
    /* Serial needs strings; the bench reads them for free, libusb opens each
     * candidate (it has no other way to learn a serial). */
    for (size_t i = 0; i < n; i++) {
      c->be->strings(c, hs[i], &ds[i]);
      if (strcmp(ds[i].serial, ser) == 0) { /* exact match wins over prefixes */
        hit[0] = i;
        nhit = 1;
        break;
      }
      if (lf_usb_serial_matches(ds[i].serial, ser))
        hit[nhit++] = i;
    }
    if (nhit == 0) {
      list_names(ds, NULL, n, names, sizeof names);
      r = lf_err_set(s, LF_ENODEV, "usb: no probe with serial %s (found: %s)", ser, names);
      goto done;
    }
    if (nhit > 1) {
      list_names(ds, hit, nhit, names, sizeof names);
      r = lf_err_set(s, LF_EINVAL, "usb: serial prefix %s is ambiguous, it matches %s", ser,
                     names);
      goto done;
    }
  } else if (index >= 0) {
    if ((size_t)index >= n) {
      r = lf_err_set(s, LF_ENODEV, "usb: no probe with index %d (%zu found)", index, n);
      goto done;
    }
    hit[nhit++] = (size_t)index;
  } else {
    if (n > 1) {
      for (size_t i = 0; i < n; i++)
        c->be->strings(c, hs[i], &ds[i]);
      list_names(ds, NULL, n, names, sizeof names);
      r = lf_err_set(s, LF_EINVAL, "usb: %zu probes found, select one by serial, index or location: %s",
                     n, names);
      goto done;
    }
    hit[nhit++] = 0;
  }
  lf_usb_devinfo *di = &ds[hit[0]];
  if (!di->serial[0] && !di->note[0])
    c->be->strings(c, hs[hit[0]], di);
  lf_usb_dev *d = calloc(1, sizeof *d);
  if (!d) {
    r = lf_err_set(s, LF_ENOMEM, "usb: out of memory");
    goto done;
  }
  d->c = c;
  d->info = *di;
  const lf_usb_match *row = &filter[di->match];
  int iface = row->iface >= 0 ? row->iface : di->iface;
  d->iface = iface;
  r = c->be->open(c, hs[hit[0]], di, iface, row->xfer, &d->h);
  if (r) {
    const char *why;
    int code = map_usb(r, &why);
    describe(di, names, sizeof names);
    r = lf_err_set(s, code, "usb %s: open/claim interface %d: %s", names, iface, why);
    free(d);
    goto done;
  }
  if (info)
    *info = d->info;
  *out = d;
done:
  c->be->release(c, hs, n);
  free(ds);
  free(hit);
  return r;
}

void lf_usb_close(lf_usb_dev *d)
{
  if (!d)
    return;
  lf_usb_pipe_cancel(d);
  d->c->be->close(d->c, d->h);
  free(d);
}

/* Counts xs[0..n) and turns the first failure (or the backend's own, r)
 * into the session error. */
static int account(lf_usb_dev *d, lf_usb_xfer **xs, size_t n, int r, const char *op)
{
  for (size_t i = 0; i < n; i++) {
    if (xs[i]->ep & 0x80)
      d->st.bytes_in += xs[i]->actual;
    else
      d->st.bytes_out += xs[i]->actual;
  }
  d->st.transfers += n;
  for (size_t i = 0; i < n; i++) {
    const lf_usb_xfer *x = xs[i];
    if (x->result == 0)
      continue;
    const char *why;
    int code = map_usb(x->result, &why);
    char name[112];
    describe(&d->info, name, sizeof name);
    return lf_err_set(d->c->s, code, "usb %s: %s: %s transfer of %zu bytes on endpoint 0x%02x: %s",
                      name, op ? op : "transfer", x->ep & 0x80 ? "IN" : "OUT", x->len, x->ep, why);
  }
  if (r) { /* backend failure outside any transfer (submit failed) */
    const char *why;
    int code = map_usb(r, &why);
    char name[112];
    describe(&d->info, name, sizeof name);
    return lf_err_set(d->c->s, code, "usb %s: %s: %s", name, op ? op : "transfer", why);
  }
  return 0;
}

int lf_usb_batch(lf_usb_dev *d, lf_usb_xfer *xs, size_t n, unsigned timeout_ms, const char *op)
{
  lf_usb_xfer *ps[64], **p = n <= 64 ? ps : malloc(n * sizeof *p);
  if (!p)
    return lf_err_set(d->c->s, LF_ENOMEM, "usb: out of memory");
  for (size_t i = 0; i < n; i++) {
    xs[i].actual = 0;
    xs[i].result = 0;
    p[i] = &xs[i];
  }
  d->st.round_trips++;
  int r = d->c->be->batch(d->c, d->h, xs, n, timeout_ms);
  r = account(d, p, n, r, op);
  if (p != ps)
    free(p);
  return r;
}

/* ---- pipes ---- */

static bool has_pipe(const lf_usb_dev *d) { return d->c->be->pipe_push != NULL; }

int lf_usb_pipe_push(lf_usb_dev *d, lf_usb_xfer *out, lf_usb_xfer *in, unsigned timeout_ms)
{
  if (d->pipe_n == LF_USB_PIPE_MAX)
    return lf_err_set(d->c->s, LF_EINVAL, "usb: pipe: %d pairs in flight already", LF_USB_PIPE_MAX);
  out->actual = in->actual = 0;
  out->result = in->result = 0;
  if (has_pipe(d)) {
    int r = d->c->be->pipe_push(d->c, d->h, out, in, timeout_ms);
    if (r) {
      lf_usb_xfer *xs[2] = {out, in};
      return account(d, xs, 0, r, "submit");
    }
  }
  if (d->pipe_n == 0)
    d->st.round_trips++;
  d->pipe[(d->pipe_head + d->pipe_n++) % LF_USB_PIPE_MAX] = (pipe_pair){out, in, timeout_ms};
  return 0;
}

int lf_usb_pipe_pop(lf_usb_dev *d, const char *op)
{
  if (d->pipe_n == 0)
    return lf_err_set(d->c->s, LF_EINVAL, "usb: %s: nothing in flight", op ? op : "pipe");
  pipe_pair pp = d->pipe[d->pipe_head];
  d->pipe_head = (d->pipe_head + 1) % LF_USB_PIPE_MAX;
  d->pipe_n--;
  int r;
  if (has_pipe(d)) {
    r = d->c->be->pipe_pop(d->c, d->h);
  } else {
    lf_usb_xfer xs[2] = {*pp.out, *pp.in};
    r = d->c->be->batch(d->c, d->h, xs, 2, pp.timeout_ms);
    *pp.out = xs[0];
    *pp.in = xs[1];
  }
  lf_usb_xfer *xs[2] = {pp.out, pp.in};
  return account(d, xs, 2, r, op);
}

void lf_usb_pipe_cancel(lf_usb_dev *d)
{
  if (!d->pipe_n)
    return;
  if (has_pipe(d))
    d->c->be->pipe_cancel(d->c, d->h);
  d->pipe_n = 0;
  d->pipe_head = 0;
}

size_t lf_usb_pipe_depth(const lf_usb_dev *d) { return d->pipe_n; }

int lf_usb_dev_iface(const lf_usb_dev *d) { return d->iface; }

int lf_usb_endpoints(lf_usb_dev *d, lf_usb_ep *eps, size_t max, size_t *n)
{
  *n = 0;
  char name[112];
  describe(&d->info, name, sizeof name);
  if (!d->c->be->endpoints)
    return lf_err_set(d->c->s, LF_ENOTSUP, "usb %s: the %s backend cannot list endpoints", name,
                      d->c->be->name);
  int r = d->c->be->endpoints(d->c, d->h, d->iface, eps, max);
  if (r < 0) {
    const char *why;
    int code = map_usb(r, &why);
    return lf_err_set(d->c->s, code, "usb %s: endpoints of interface %d: %s", name, d->iface, why);
  }
  *n = (size_t)r;
  return 0;
}

const lf_usb_devinfo *lf_usb_dev_info(const lf_usb_dev *d) { return &d->info; }
const lf_usb_stats *lf_usb_dev_stats(const lf_usb_dev *d) { return &d->st; }
lf_session *lf_usb_session(const lf_usb_dev *d) { return d->c->s; }

lf_usb_ctx *lf_usb_dev_ctx(const lf_usb_dev *d) { return d->c; }
void *lf_usb_dev_handle(const lf_usb_dev *d) { return d->h; }

uint64_t lf_usb_now_ns(const lf_usb_dev *d)
{
  if (d->c->be->now_ns)
    return d->c->be->now_ns(d->c, d->h);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
