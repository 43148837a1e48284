/* libusb-1.0 backend (usb.h).
 *
 * Enumeration uses only cached device descriptors (no I/O) to filter by
 * VID/PID; strings are read only for candidates, by opening them (libusb
 * offers no other way to read a serial). A device that cannot be opened is
 * still listed, with a note saying why.
 *
 * A batch allocates and submits every transfer, then runs
 * libusb_handle_events_completed until all have completed; the first failure
 * cancels the transfers still in flight. */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usb/usb.h"

typedef struct lu_dev {
  libusb_device_handle *h;
  int iface;
  lf_usb_xfer_type type;
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

static void LIBUSB_CALL on_done(struct libusb_transfer *t)
{
  xfer_slot *sl = t->user_data;
  static const struct { enum libusb_transfer_status st; int r; } map[] = {
    {LIBUSB_TRANSFER_COMPLETED, 0},
    {LIBUSB_TRANSFER_TIMED_OUT, LIBUSB_ERROR_TIMEOUT},
    {LIBUSB_TRANSFER_STALL, LIBUSB_ERROR_PIPE},
    {LIBUSB_TRANSFER_NO_DEVICE, LIBUSB_ERROR_NO_DEVICE},
    {LIBUSB_TRANSFER_OVERFLOW, LIBUSB_ERROR_OVERFLOW},
    {LIBUSB_TRANSFER_CANCELLED, LIBUSB_ERROR_INTERRUPTED},
  };
  int r = LIBUSB_ERROR_IO;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (map[i].st == t->status)
      r = map[i].r;
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
    if (d->type == LF_USB_INTERRUPT)
      libusb_fill_interrupt_transfer(ts[i], d->h, xs[i].ep, xs[i].buf, (int)xs[i].len, on_done,
                                     &sl[i], timeout_ms);
    else
      libusb_fill_bulk_transfer(ts[i], d->h, xs[i].ep, xs[i].buf, (int)xs[i].len, on_done,
                                &sl[i], timeout_ms);
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
