/* libusb-1.0 backend (usb.h).
 *
 * Enumeration uses only cached device descriptors (no I/O) to filter by
 * VID/PID; strings are read only for candidates, by opening them (libusb
 * offers no other way to read a serial). A device that cannot be opened is
 * still listed, with a note saying why.
 *
 * A batch allocates and submits every transfer, then runs
 * libusb_handle_events_completed until all have completed; the first failure
 * cancels the transfers still in flight. A pipe (usb.h) submits each pair
 * asynchronously and handles events until the oldest pair is done. */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usb/usb.h"

typedef struct lu_pair lu_pair;

typedef struct lu_dev {
  libusb_device_handle *h;
  libusb_context *ctx;
  int iface;
  lf_usb_xfer_type type;
  lu_pair *pipe[LF_USB_PIPE_MAX]; /* pipe pairs in flight (ring, oldest at head) */
  size_t head, n;
} lu_dev;

static libusb_context *luctx(lf_usb_ctx *c) { return (libusb_context *)c->priv; }

static void location_of(libusb_device *dev, char *buf, size_t len)
{
  uint8_t ports[8];
  int np = libusb_get_port_numbers(dev, ports, (int)sizeof ports);
  int o = snprintf(buf, len, "usb:%u-", (unsigned)libusb_get_bus_number(dev));
  if (np <= 0) {
    snprintf(buf + o, len - (size_t)o, "%u", (unsigned)libusb_get_device_address(dev));
    return;
  }
  for (int i = 0; i < np && (size_t)o < len; i++)
    o += snprintf(buf + o, len - (size_t)o, "%s%u", i ? "." : "", (unsigned)ports[i]);
}

/* The number of the first interface of dev's active configuration whose
 * name contains `want` (of class cls, 0 = any), or -1. Only vendor-specific
 * and HID interfaces with a name are candidates (the configuration
 * descriptor is cached: no I/O); the device is opened only when one exists,
 * to read their names. */
static int iface_named(libusb_device *dev, const char *want, uint8_t cls)
{
  struct libusb_config_descriptor *cfg;
  if (libusb_get_active_config_descriptor(dev, &cfg) != 0)
    return -1;
  int found = -1;
  libusb_device_handle *dh = NULL;
  for (uint8_t i = 0; i < cfg->bNumInterfaces && found < 0; i++) {
    for (int a = 0; a < cfg->interface[i].num_altsetting && found < 0; a++) {
      const struct libusb_interface_descriptor *id = &cfg->interface[i].altsetting[a];
      if (!id->iInterface || (id->bInterfaceClass != LIBUSB_CLASS_VENDOR_SPEC &&
                              id->bInterfaceClass != LIBUSB_CLASS_HID) ||
          (cls && id->bInterfaceClass != cls))
        continue;
      if (!dh && libusb_open(dev, &dh) != 0)
        goto done; /* no access: not listed by name (a VID/PID row still lists it) */
      unsigned char name[128];
      int n = libusb_get_string_descriptor_ascii(dh, id->iInterface, name, sizeof name - 1);
      if (n <= 0)
        continue;
      name[n] = 0;
      if (strstr((const char *)name, want))
        found = id->bInterfaceNumber;
    }
  }
done:
  if (dh)
    libusb_close(dh);
  libusb_free_config_descriptor(cfg);
  return found;
}

static int l_scan(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
                  lf_usb_devinfo **out, void ***handles, size_t *n)
{
  libusb_device **list = NULL;
  ssize_t cnt = libusb_get_device_list(luctx(c), &list);
  *out = NULL;
  *handles = NULL;
  *n = 0;
  if (cnt < 0)
    return lf_err_set(c->s, LF_EIO, "usb: listing devices failed: %s",
                      libusb_strerror((int)cnt));
  size_t cap = cnt > 0 ? (size_t)cnt : 1;
  *out = calloc(cap, sizeof **out);
  *handles = calloc(cap, sizeof **handles);
  if (!*out || !*handles) {
    free(*out);
    free(*handles);
    *out = NULL;
    *handles = NULL;
    libusb_free_device_list(list, 1);
    return lf_err_set(c->s, LF_ENOMEM, "usb: out of memory");
  }
  size_t k = 0;
  for (ssize_t i = 0; i < cnt; i++) {
    struct libusb_device_descriptor dd;
    if (libusb_get_device_descriptor(list[i], &dd) != 0)
      continue;
    for (size_t f = 0; f < nfilter; f++) {
      const lf_usb_match *m = &filter[f];
      if ((m->vid || m->pid) && (m->vid != dd.idVendor || m->pid != dd.idProduct))
        continue;
      int iface = -1;
      if (m->iface_name && (iface = iface_named(list[i], m->iface_name, m->iface_class)) < 0)
        continue;
      lf_usb_devinfo *d = &(*out)[k];
      d->vid = dd.idVendor;
      d->pid = dd.idProduct;
      d->bcd_device = dd.bcdDevice;
      d->match = f;
      d->iface = iface;
      d->high_speed = libusb_get_device_speed(list[i]) >= LIBUSB_SPEED_HIGH;
      d->max_packet = d->high_speed ? 512 : 64;
      location_of(list[i], d->location, sizeof d->location);
      (*handles)[k++] = libusb_ref_device(list[i]);
      break;
    }
  }
  libusb_free_device_list(list, 1);
  *n = k;
  return 0;
}

static void l_strings(lf_usb_ctx *c, void *h, lf_usb_devinfo *d)
{
  libusb_device_handle *dh = NULL;
  int r = libusb_open(h, &dh);
  if (r) {
    snprintf(d->note, sizeof d->note, "%s",
             r == LIBUSB_ERROR_ACCESS
               ? "access denied (add a udev rule for the probe, or run as root)"
               : libusb_strerror(r));
    return;
  }
  struct libusb_device_descriptor dd;
  if (libusb_get_device_descriptor(h, &dd) == 0) {
    unsigned char buf[128];
    const struct { uint8_t idx; char *dst; size_t len; } s[] = {
      {dd.iManufacturer, d->manufacturer, sizeof d->manufacturer},
      {dd.iProduct, d->product, sizeof d->product},
      {dd.iSerialNumber, d->serial, sizeof d->serial},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
      if (!s[i].idx)
        continue;
      int n = libusb_get_string_descriptor_ascii(dh, s[i].idx, buf, sizeof buf - 1);
      if (n < 0)
        continue;
      buf[n] = 0;
      snprintf(s[i].dst, s[i].len, "%s", (char *)buf);
    }
    /* probe-protocols.md 1.1 Q9: old V2 firmware sends the 12 serial bytes
     * raw; hosts hex-encode them into the 24-character serial. */
    if (dd.iSerialNumber && strlen(d->serial) != 24) {
      unsigned char raw[64];
      int n = libusb_get_string_descriptor(dh, dd.iSerialNumber, 0x0409, raw, sizeof raw);
      if (n == 26) {
        char hex[32];
        for (int i = 0; i < 12; i++)
          snprintf(hex + 2 * i, 3, "%02X", raw[2 + 2 * i]);
        snprintf(d->serial, sizeof d->serial, "%s", hex);
      }
    }
  }
  libusb_close(dh);
}

static void l_release(lf_usb_ctx *c, void **handles, size_t n)
{
  for (size_t i = 0; i < n; i++)
    libusb_unref_device(handles[i]);
  free(handles);
}

static int l_open(lf_usb_ctx *c, void *h, const lf_usb_devinfo *info, int iface,
                  lf_usb_xfer_type type, void **dev)
{
  lu_dev *d = calloc(1, sizeof *d);
  if (!d)
    return LIBUSB_ERROR_NO_MEM;
  int r = libusb_open(h, &d->h);
  if (r) {
    free(d);
    return r;
  }
  libusb_set_auto_detach_kernel_driver(d->h, 1);
  r = libusb_claim_interface(d->h, iface);
  if (r) {
    libusb_close(d->h);
    free(d);
    return r;
  }
  d->iface = iface;
  d->type = type;
  d->ctx = luctx(c);
  *dev = d;
  return 0;
}

typedef struct batch_state {
  size_t done;
  size_t n;
  int all_done;
  int failed;
} batch_state;

typedef struct xfer_slot {
  batch_state *bs;
  lf_usb_xfer *x;
  int finished;
} xfer_slot;

/* A completed transfer's status as a libusb error code (0 = completed). */
static int status_result(enum libusb_transfer_status st)
{
  static const struct { enum libusb_transfer_status st; int r; } map[] = {
    {LIBUSB_TRANSFER_COMPLETED, 0},
    {LIBUSB_TRANSFER_TIMED_OUT, LIBUSB_ERROR_TIMEOUT},
    {LIBUSB_TRANSFER_STALL, LIBUSB_ERROR_PIPE},
    {LIBUSB_TRANSFER_NO_DEVICE, LIBUSB_ERROR_NO_DEVICE},
    {LIBUSB_TRANSFER_OVERFLOW, LIBUSB_ERROR_OVERFLOW},
    {LIBUSB_TRANSFER_CANCELLED, LIBUSB_ERROR_INTERRUPTED},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (map[i].st == st)
      return map[i].r;
  return LIBUSB_ERROR_IO;
}

static void fill(lu_dev *d, struct libusb_transfer *t, lf_usb_xfer *x, libusb_transfer_cb_fn cb,
                 void *user, unsigned timeout_ms)
{
  if (d->type == LF_USB_INTERRUPT)
    libusb_fill_interrupt_transfer(t, d->h, x->ep, x->buf, (int)x->len, cb, user, timeout_ms);
  else
    libusb_fill_bulk_transfer(t, d->h, x->ep, x->buf, (int)x->len, cb, user, timeout_ms);
}

static void LIBUSB_CALL on_done(struct libusb_transfer *t)
{
  xfer_slot *sl = t->user_data;
  int r = status_result(t->status);
  sl->x->actual = (size_t)t->actual_length;
  sl->x->result = r;
  sl->finished = 1;
  if (r && r != LIBUSB_ERROR_INTERRUPTED)
    sl->bs->failed = 1;
  if (++sl->bs->done == sl->bs->n)
    sl->bs->all_done = 1;
}

static int l_batch(lf_usb_ctx *c, void *dev, lf_usb_xfer *xs, size_t n, unsigned timeout_ms)
{
  lu_dev *d = dev;
  struct libusb_transfer **ts = calloc(n ? n : 1, sizeof *ts);
  xfer_slot *sl = calloc(n ? n : 1, sizeof *sl);
  batch_state bs = {0, 0, 0, 0};
  int ret = 0;
  if (!ts || !sl) {
    free(ts);
    free(sl);
    return LIBUSB_ERROR_NO_MEM;
  }
  size_t submitted = 0;
  for (size_t i = 0; i < n; i++) {
    ts[i] = libusb_alloc_transfer(0);
    if (!ts[i]) {
      ret = LIBUSB_ERROR_NO_MEM;
      break;
    }
    sl[i].bs = &bs;
    sl[i].x = &xs[i];
    fill(d, ts[i], &xs[i], on_done, &sl[i], timeout_ms);
  }
  if (!ret) {
    for (size_t i = 0; i < n; i++) {
      bs.n = i + 1;
      int r = libusb_submit_transfer(ts[i]);
      if (r) {
        bs.n = i;
        xs[i].result = r;
        ret = r;
        break;
      }
      submitted++;
    }
    bs.n = submitted;
    if (submitted == 0)
      bs.all_done = 1;
    else if (bs.done == bs.n)
      bs.all_done = 1;
    int cancelled = 0;
    while (!bs.all_done) {
      if ((bs.failed || ret) && !cancelled) {
        for (size_t i = 0; i < submitted; i++)
          if (!sl[i].finished)
            libusb_cancel_transfer(ts[i]);
        cancelled = 1;
      }
      int r = libusb_handle_events_completed(luctx(c), &bs.all_done);
      if (r && r != LIBUSB_ERROR_INTERRUPTED && !cancelled) {
        for (size_t i = 0; i < submitted; i++)
          if (!sl[i].finished)
            libusb_cancel_transfer(ts[i]);
        cancelled = 1;
        if (!ret)
          ret = r; /* event handling itself failed */
      }
    }
    /* Transfers cancelled because another one failed did not fail on their
     * own: only the real failure (its own result, or ret) is reported. */
    for (size_t i = 0; i < submitted; i++)
      if (xs[i].result == LIBUSB_ERROR_INTERRUPTED)
        xs[i].result = 0;
  }
  for (size_t i = 0; i < n; i++)
    if (ts[i])
      libusb_free_transfer(ts[i]);
  free(ts);
  free(sl);
  return ret;
}

/* ---- pipes: pairs of asynchronous transfers in flight ----
 *
 * Each pair is allocated on its own (callbacks hold it while the ring
 * grows). The OUT and the IN are submitted together; the IN waits on the
 * bus for its reply while later requests go out. A failed OUT cancels its
 * IN (no reply comes to a request the device did not get). */
struct lu_pair {
  struct libusb_transfer *t[2]; /* OUT, IN */
  lf_usb_xfer *x[2];
  int fin[2];                   /* callback ran */
  int done;                     /* both ran: the flag event handling waits for */
};

static void LIBUSB_CALL on_pipe(struct libusb_transfer *t)
{
  lu_pair *p = t->user_data;
  int i = t == p->t[1];
  p->x[i]->actual = (size_t)t->actual_length;
  p->x[i]->result = status_result(t->status);
  p->fin[i] = 1;
  if (i == 0 && p->x[0]->result && !p->fin[1])
    libusb_cancel_transfer(p->t[1]);
  p->done = p->fin[0] && p->fin[1];
}

static void free_pair(lu_pair *p)
{
  for (int i = 0; i < 2; i++)
    if (p->t[i])
      libusb_free_transfer(p->t[i]);
  free(p);
}

/* Handles events until p is done; a failure of event handling itself
 * cancels p's transfers (they then complete as cancelled). */
static int wait_pair(lu_dev *d, lu_pair *p)
{
  int ret = 0, cancelled = 0;
  while (!p->done) {
    int r = libusb_handle_events_completed(d->ctx, &p->done);
    if (r && r != LIBUSB_ERROR_INTERRUPTED && !cancelled) {
      for (int i = 0; i < 2; i++)
        if (!p->fin[i])
          libusb_cancel_transfer(p->t[i]);
      cancelled = 1;
      ret = r;
    }
  }
  return ret;
}

static int l_pipe_push(lf_usb_ctx *c, void *dev, lf_usb_xfer *out, lf_usb_xfer *in,
                       unsigned timeout_ms)
{
  lu_dev *d = dev;
  lu_pair *p = calloc(1, sizeof *p);
  if (!p || !(p->t[0] = libusb_alloc_transfer(0)) || !(p->t[1] = libusb_alloc_transfer(0))) {
    if (p)
      free_pair(p);
    return LIBUSB_ERROR_NO_MEM;
  }
  p->x[0] = out;
  p->x[1] = in;
  fill(d, p->t[0], out, on_pipe, p, timeout_ms);
  fill(d, p->t[1], in, on_pipe, p, timeout_ms);
  int r = libusb_submit_transfer(p->t[0]);
  if (r) {
    free_pair(p);
    return r;
  }
  if ((r = libusb_submit_transfer(p->t[1]))) {
    p->fin[1] = 1; /* never submitted */
    libusb_cancel_transfer(p->t[0]);
    wait_pair(d, p);
    free_pair(p);
    return r;
  }
  d->pipe[(d->head + d->n++) % LF_USB_PIPE_MAX] = p;
  return 0;
}

static int l_pipe_pop(lf_usb_ctx *c, void *dev)
{
  lu_dev *d = dev;
  lu_pair *p = d->pipe[d->head];
  d->head = (d->head + 1) % LF_USB_PIPE_MAX;
  d->n--;
  int r = wait_pair(d, p);
  /* an IN cancelled after its OUT failed did not fail on its own */
  if (p->x[0]->result && p->x[1]->result == LIBUSB_ERROR_INTERRUPTED)
    p->x[1]->result = 0;
  free_pair(p);
  return r;
}

static void l_pipe_cancel(lf_usb_ctx *c, void *dev)
{
  lu_dev *d = dev;
  for (size_t k = 0; k < d->n; k++) {
    lu_pair *p = d->pipe[(d->head + k) % LF_USB_PIPE_MAX];
    for (int i = 0; i < 2; i++)
      if (!p->fin[i])
        libusb_cancel_transfer(p->t[i]);
  }
  for (size_t k = 0; k < d->n; k++) {
    lu_pair *p = d->pipe[(d->head + k) % LF_USB_PIPE_MAX];
    wait_pair(d, p);
    free_pair(p);
  }
  d->n = d->head = 0;
}

/* Bulk and interrupt endpoints of altsetting 0 of `iface` (the claimed
 * one), in descriptor order, from the cached configuration descriptor. */
static int l_endpoints(lf_usb_ctx *c, void *dev, int iface, lf_usb_ep *eps, size_t max)
{
  lu_dev *d = dev;
  struct libusb_config_descriptor *cfg;
  int r = libusb_get_active_config_descriptor(libusb_get_device(d->h), &cfg);
  if (r)
    return r;
  int k = LIBUSB_ERROR_NOT_FOUND;
  for (uint8_t i = 0; i < cfg->bNumInterfaces && k < 0; i++) {
    if (cfg->interface[i].num_altsetting < 1 ||
        cfg->interface[i].altsetting[0].bInterfaceNumber != iface)
      continue;
    const struct libusb_interface_descriptor *id = &cfg->interface[i].altsetting[0];
    k = 0;
    for (uint8_t e = 0; e < id->bNumEndpoints && (size_t)k < max; e++) {
      const struct libusb_endpoint_descriptor *ed = &id->endpoint[e];
      unsigned type = ed->bmAttributes & 3u;
      if (type != LIBUSB_TRANSFER_TYPE_BULK && type != LIBUSB_TRANSFER_TYPE_INTERRUPT)
        continue;
      unsigned w = ed->wMaxPacketSize;
      eps[k++] = (lf_usb_ep){.addr = ed->bEndpointAddress,
                             .type = type == LIBUSB_TRANSFER_TYPE_BULK ? LF_USB_BULK : LF_USB_INTERRUPT,
                             .max_packet = (w & 0x7FFu) * (1u + ((w >> 11) & 3u))};
    }
  }
  libusb_free_config_descriptor(cfg);
  return k;
}

static void l_close(lf_usb_ctx *c, void *dev)
{
  lu_dev *d = dev;
  if (d->n)
    l_pipe_cancel(c, dev);
  libusb_release_interface(d->h, d->iface);
  libusb_close(d->h);
  free(d);
}

static void l_free(lf_usb_ctx *c)
{
  if (c->priv)
    libusb_exit(luctx(c));
  free(c);
}

static const lf_usb_backend libusb_backend = {
  .name = "libusb",
  .scan = l_scan,
  .strings = l_strings,
  .release = l_release,
  .open = l_open,
  .batch = l_batch,
  .pipe_push = l_pipe_push,
  .pipe_pop = l_pipe_pop,
  .pipe_cancel = l_pipe_cancel,
  .endpoints = l_endpoints,
  .close = l_close,
  .free = l_free,
};

int lf_usb_new_libusb(lf_session *s, lf_usb_ctx **out)
{
  *out = NULL;
  lf_usb_ctx *c = calloc(1, sizeof *c);
  if (!c)
    return lf_err_set(s, LF_ENOMEM, "usb: out of memory");
  libusb_context *lc = NULL;
  int r = libusb_init(&lc);
  if (r) {
    free(c);
    return lf_err_set(s, LF_EIO, "usb: libusb initialisation failed: %s", libusb_strerror(r));
  }
  c->be = &libusb_backend;
  c->s = s;
  c->priv = lc;
  *out = c;
  return 0;
}
