/* Probe registry (probe.h): one row per driver kind. A row gives the kind's
 * USB match rows (VID/PID, or an interface name and class; each says which
 * interface to claim and how its endpoints move data) and the driver's
 * open/describe. A new kind is one more row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/cmsis_dap.h"
#include "probe/probe.h"
#include "probe/stlink.h"
#include "usb/usb.h"

typedef struct probe_driver {
  const char *kind;
  const lf_usb_match *match;  /* rows of the USB filter, with interface and transfer type */
  const size_t *nmatch;
  int (*open)(lf_session *s, lf_usb_dev *usb, lf_probe **out);
  int (*describe)(lf_session *s, lf_usb_dev *usb, lf_probe_entry *e);
} probe_driver;

static const probe_driver drivers[] = {
  {"stlink", lf_stlink_usb_ids, &lf_stlink_usb_nids, lf_stlink_open, lf_stlink_describe},
  {"cmsis-dap", lf_cmsis_dap_usb_match, &lf_cmsis_dap_usb_nmatch, lf_cmsis_dap_open,
   lf_cmsis_dap_describe},
};
#define NDRIVERS (sizeof drivers / sizeof drivers[0])

const char *const *lf_probe_kinds(void)
{
  static const char *kinds[NDRIVERS + 1];
  for (size_t i = 0; i < NDRIVERS; i++)
    kinds[i] = drivers[i].kind;
  return kinds;
}

bool lf_probe_driver_get(size_t i, lf_probe_driver_info *out)
{
  if (i >= NDRIVERS)
    return false;
  const probe_driver *d = &drivers[i];
  *out = (lf_probe_driver_info){d->kind, d->match, *d->nmatch};
  return true;
}

uint64_t lf_probe_now_ns(lf_probe *p)
{
  if (p->ops->now_ns)
    return p->ops->now_ns(p);
  if (p->usb)
    return lf_usb_now_ns(p->usb);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define MAX_IDS 64

/* Filter over the selected kinds; drv[i] = driver of row i. */
static int build_filter(lf_session *s, const char *kind, const char *transport, lf_usb_match *f, size_t *drv,
                        size_t *n)
{
  int want = -1; /* the transfer type the selector asks for, -1 = any */
  if (transport && transport[0]) {
    if (strcmp(transport, "bulk") == 0)
      want = LF_USB_BULK;
    else if (strcmp(transport, "hid") == 0 || strcmp(transport, "interrupt") == 0)
      want = LF_USB_INTERRUPT;
    else
      return lf_err_set(s, LF_EINVAL, "probe: unknown transport '%s' (bulk, hid)", transport);
  }
  *n = 0;
  bool any = false;
  char known[128] = "";
  for (size_t d = 0; d < NDRIVERS; d++) {
    size_t o = strlen(known);
    snprintf(known + o, sizeof known - o, "%s%s", o ? ", " : "", drivers[d].kind);
    if (kind && kind[0] && strcmp(kind, drivers[d].kind) != 0)
      continue;
    any = true;
    for (size_t i = 0; i < *drivers[d].nmatch && *n < MAX_IDS; i++) {
      if (want >= 0 && (int)drivers[d].match[i].xfer != want)
        continue;
      f[*n] = drivers[d].match[i];
      drv[(*n)++] = d;
    }
  }
  if (!any)
    return lf_err_set(s, LF_EINVAL, "probe: unknown kind '%s' (known: %s)", kind, known);
  return 0;
}

int lf_probe_list(lf_session *s, lf_usb_ctx *usb, lf_probe_entry **out, size_t *n)
{
  lf_usb_match f[MAX_IDS];
  size_t drv[MAX_IDS], nf;
  *out = NULL;
  *n = 0;
  int r = build_filter(s, NULL, NULL, f, drv, &nf);
  if (r)
    return r;
  lf_usb_devinfo *ds;
  size_t nd;
  if ((r = lf_usb_list(usb, f, nf, &ds, &nd)))
    return r;
  lf_probe_entry *es = calloc(nd ? nd : 1, sizeof *es);
  if (!es) {
    free(ds);
    return lf_err_set(s, LF_ENOMEM, "probe: out of memory");
  }
  for (size_t i = 0; i < nd; i++) {
    const probe_driver *d = &drivers[drv[ds[i].match]];
    lf_probe_entry *e = &es[i];
    snprintf(e->info.kind, sizeof e->info.kind, "%s", d->kind);
    snprintf(e->info.serial, sizeof e->info.serial, "%s", ds[i].serial);
    snprintf(e->info.product, sizeof e->info.product, "%s", ds[i].product);
    snprintf(e->info.location, sizeof e->info.location, "%s", ds[i].location);
    e->info.vid = ds[i].vid;
    e->info.pid = ds[i].pid;
    snprintf(e->note, sizeof e->note, "%s", ds[i].note);
    if (ds[i].note[0])
      continue;
    lf_usb_select sel = {.location = ds[i].location, .index = -1};
    lf_usb_dev *dev;
    if (lf_usb_open(usb, &f[ds[i].match], 1, &sel, &dev, NULL) != 0) {
      snprintf(e->note, sizeof e->note, "%s", lf_err_msg(s));
      continue;
    }
    if (d->describe(s, dev, e) != 0)
      snprintf(e->note, sizeof e->note, "%s", lf_err_msg(s));
    lf_usb_close(dev);
  }
  lf_err_clear(s);
  free(ds);
  *out = es;
  *n = nd;
  return 0;
}

int lf_probe_open(lf_session *s, lf_usb_ctx *usb, const lf_probe_selector *sel,
                  lf_probe **out)
{
  lf_usb_match f[MAX_IDS];
  size_t drv[MAX_IDS], nf;
  *out = NULL;
  int r = build_filter(s, sel ? sel->kind : NULL, sel ? sel->transport : NULL, f, drv, &nf);
  if (r)
    return r;
  lf_usb_select us = {.index = -1};
  if (sel) {
    us.serial = sel->serial;
    us.location = sel->location;
    us.index = sel->index;
  }
  lf_usb_dev *dev;
  lf_usb_devinfo info;
  if ((r = lf_usb_open(usb, f, nf, &us, &dev, &info)))
    return sel && sel->kind && sel->kind[0] ? lf_err_wrap(s, r, "probe (kind %s)", sel->kind) : r;
  return drivers[drv[info.match]].open(s, dev, out);
}
