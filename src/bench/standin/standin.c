/* libusb-1.0 stand-in: the libusb API that OpenOCD 0.12 (with libftdi1 and
 * libjaylink), libstlink 1.7 and pyusb 1.2.1 import (libusb-standin.md), served
 * by virtual boards of the bench instead of USB hardware. Built as
 * libusb-1.0.so.0; only the libusb_* symbols are exported (standin.map).
 *
 * Devices: one per board of LF_BENCH_BOARDS (standin_env.c), bus 1, port =
 * position, address = position + 1. Descriptors are built from the board's
 * probe identity; string descriptors 1..3 are manufacturer, product, serial.
 *
 * Transfers:
 *  - bulk/interrupt (sync): run at once on the board; one round trip each.
 *  - async (submit_transfer): queued on the context of the handle's device
 *    (the context whose device list it came from); nothing runs until the
 *    tool handles that context's events. handle_events*(ctx) runs ctx's
 *    queue in submission order, one transfer at a time with its callback,
 *    until the queue is empty or (when given) *completed is set, so a
 *    callback may cancel the transfers behind it.
 *    Transfers submitted while earlier ones of the same device are still
 *    queued form one batch: the bench charges the USB turnaround latency once
 *    (lf_bench_usb_batch_begin). Cancelling a queued transfer completes it with
 *    LIBUSB_TRANSFER_CANCELLED at the next event handling.
 *  - control (EP0): standard requests answered from the descriptors
 *    (GET_DESCRIPTOR device/config/string, GET/SET_CONFIGURATION,
 *    SET_INTERFACE, CLEAR_FEATURE, GET_STATUS); anything else stalls. A
 *    control transfer costs a round trip with an 8-byte setup packet plus
 *    the wire time of its data stage.
 *  - An IN with nothing pending times out after the transfer's timeout in
 *    virtual time (LF_CLK_TIMEOUT); the host never sleeps.
 *
 * Kernel drivers: HID interfaces start with one bound (usbhid, as on Linux):
 * kernel_driver_active reports it, detach/attach unbind and rebind it,
 * claiming such an interface fails with BUSY unless the handle asked for
 * auto-detach (then it is rebound on release); other interfaces have none.
 * reset_device flushes the probe's USB state (lf_bench_usb_reset).
 * HID (CMSIS-DAP v1): interrupt transfers (sync and async) like bulk ones
 * (an interrupt transfer on a bulk endpoint fails as usbfs refuses it),
 * GET_DESCRIPTOR of the HID and report descriptors (recipient interface),
 * class requests (SET_REPORT, GET_REPORT, SET_IDLE ...) to the probe.
 *
 * Threads: every entry point may be called from any thread (locks in
 * standin.h). Each context has its own devices and transfer queue, so
 * threads with a context each (luaflash's gang) never run each other's
 * transfers; the default context (NULL) is one more context.
 * One board used by two threads (pyOCD's HID backend: the main thread
 * writes each command, a receive thread reads its response with a 10 s
 * timeout, started before the write): an IN with nothing pending, on a
 * board another thread has moved data on, waits in host time (at most its
 * timeout, 60 s for "forever") until an OUT gives it data, as a pending
 * IN does on hardware; a single-threaded tool's IN times out at once as
 * before. An IN that reads a response another thread's OUT produced is a
 * detached read (vprobe.h): the board's clock does not move, the reader's
 * time goes to when the data reached the host, so the result does not
 * depend on how the host schedules the two threads. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>

#include "bench/standin/standin.h"
#include "bench/standin/standin_api.h"
#include "bench/vprobe.h"

#define API __attribute__((visibility("default")))

typedef struct xfer_priv xfer_priv;

struct su_context {
  su_device devs[SU_MAX_BOARDS]; /* this context's devices, one per board */
  size_t ndevs;
  xfer_priv *head, *tail;        /* queued transfers (su_proc.lock) */
  int refs;                      /* the default context: libusb_init(NULL) minus libusb_exit(NULL) */
};

/* The default context (ctx NULL); its devices are filled when the boards come up. */
static su_context default_ctx;

static su_context *ctx_of(su_context *ctx) { return ctx ? ctx : &default_ctx; }

/* ctx's devices: one per board (under su_proc.lock, boards up). */
static void ctx_fill(su_context *c)
{
  c->ndevs = su_proc.nboards;
  for (size_t i = 0; i < su_proc.nboards; i++) {
    c->devs[i] = su_proc.boards[i].dev;
    c->devs[i].ctx = c;
  }
}

struct su_device_handle {
  su_device *dev;
  int config;
  uint32_t claimed;
  bool auto_detach;
  uint32_t auto_detached; /* interfaces whose kernel driver claim detached */
};

/* Private part of a transfer, allocated in front of it (fields under
 * su_proc.lock). */
struct xfer_priv {
  struct xfer_priv *next;
  su_board *board;
  su_context *ctx;
  bool queued, cancel;
};

#define PRIV_SIZE ((sizeof(xfer_priv) + 15u) & ~(size_t)15u)

static xfer_priv *priv_of(su_transfer *t) { return (xfer_priv *)(void *)((char *)t - PRIV_SIZE); }
static su_transfer *xfer_of(xfer_priv *p) { return (su_transfer *)(void *)((char *)p + PRIV_SIZE); }

/* ---- version, errors, options ---- */

static const su_version version = {1, 0, 26, 0, "", "luaflash bench libusb stand-in"};

API const su_version *libusb_get_version(void) { return &version; }

API int libusb_has_capability(uint32_t cap)
{
  return cap == SU_CAP_HAS_CAPABILITY || cap == SU_CAP_SUPPORTS_DETACH_KERNEL_DRIVER;
}

static const struct { int code; const char *name, *text; } errors[] = {
  {SU_SUCCESS, "LIBUSB_SUCCESS", "Success"},
  {SU_ERROR_IO, "LIBUSB_ERROR_IO", "Input/Output Error"},
  {SU_ERROR_INVALID_PARAM, "LIBUSB_ERROR_INVALID_PARAM", "Invalid parameter"},
  {SU_ERROR_ACCESS, "LIBUSB_ERROR_ACCESS", "Access denied (insufficient permissions)"},
  {SU_ERROR_NO_DEVICE, "LIBUSB_ERROR_NO_DEVICE", "No such device (it may have been disconnected)"},
  {SU_ERROR_NOT_FOUND, "LIBUSB_ERROR_NOT_FOUND", "Entity not found"},
  {SU_ERROR_BUSY, "LIBUSB_ERROR_BUSY", "Resource busy"},
  {SU_ERROR_TIMEOUT, "LIBUSB_ERROR_TIMEOUT", "Operation timed out"},
  {SU_ERROR_OVERFLOW, "LIBUSB_ERROR_OVERFLOW", "Overflow"},
  {SU_ERROR_PIPE, "LIBUSB_ERROR_PIPE", "Pipe error"},
  {SU_ERROR_INTERRUPTED, "LIBUSB_ERROR_INTERRUPTED", "System call interrupted (perhaps due to signal)"},
  {SU_ERROR_NO_MEM, "LIBUSB_ERROR_NO_MEM", "Insufficient memory"},
  {SU_ERROR_NOT_SUPPORTED, "LIBUSB_ERROR_NOT_SUPPORTED", "Operation not supported or unimplemented on this platform"},
  {SU_ERROR_OTHER, "LIBUSB_ERROR_OTHER", "Other error"},
};

static const char *const transfer_names[] = {
  "LIBUSB_TRANSFER_COMPLETED", "LIBUSB_TRANSFER_ERROR", "LIBUSB_TRANSFER_TIMED_OUT",
  "LIBUSB_TRANSFER_CANCELLED", "LIBUSB_TRANSFER_STALL", "LIBUSB_TRANSFER_NO_DEVICE",
  "LIBUSB_TRANSFER_OVERFLOW",
};

/* libusb_error_name also names transfer status values (positive codes). */
API const char *libusb_error_name(int code)
{
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
    if (errors[i].code == code)
      return errors[i].name;
  if (code > 0 && (size_t)code < sizeof transfer_names / sizeof transfer_names[0])
    return transfer_names[code];
  return "**UNKNOWN**";
}

API const char *libusb_strerror(int code)
{
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
    if (errors[i].code == code)
      return errors[i].text;
  return "Unknown error";
}

API int libusb_setlocale(const char *locale)
{
  return locale && (strncmp(locale, "en", 2) == 0 || strcmp(locale, "C") == 0) ? SU_SUCCESS
                                                                                : SU_ERROR_NOT_FOUND;
}

API void libusb_set_debug(su_context *ctx, int level) { (void)ctx; (void)level; }

API int libusb_set_option(su_context *ctx, int option, ...)
{
  (void)ctx;
  switch (option) {
  case SU_OPTION_LOG_LEVEL:
  case SU_OPTION_NO_DEVICE_DISCOVERY:
    return SU_SUCCESS;
  case SU_OPTION_USE_USBDK:
    return SU_ERROR_NOT_SUPPORTED; /* Windows only */
  default:
    return SU_ERROR_INVALID_PARAM;
  }
}

/* ---- library lifetime ---- */

API int libusb_init(su_context **ctx)
{
  int rc = SU_SUCCESS;
  pthread_mutex_lock(&su_proc.lock);
  bool first = !atomic_load(&su_proc.ready);
  if (su_env_setup() != 0) {
    rc = SU_ERROR_OTHER;
  } else {
    if (first)
      ctx_fill(&default_ctx);
    if (ctx) {
      *ctx = calloc(1, sizeof **ctx);
      if (*ctx)
        ctx_fill(*ctx);
      else
        rc = SU_ERROR_NO_MEM;
    } else {
      default_ctx.refs++;
    }
    if (rc == SU_SUCCESS)
      su_proc.contexts++;
  }
  pthread_mutex_unlock(&su_proc.lock);
  return rc;
}

API void libusb_exit(su_context *ctx)
{
  pthread_mutex_lock(&su_proc.lock);
  if (ctx)
    free(ctx);
  else if (default_ctx.refs > 0)
    default_ctx.refs--;
  if (su_proc.contexts > 0 && --su_proc.contexts == 0)
    su_env_save(); /* the boards live on until the process ends */
  pthread_mutex_unlock(&su_proc.lock);
}

/* ---- devices ---- */

API ssize_t libusb_get_device_list(su_context *ctx, su_device ***list)
{
  su_context *c = ctx_of(ctx);
  if (!atomic_load_explicit(&su_proc.ready, memory_order_acquire))
    return SU_ERROR_INVALID_PARAM;
  su_device **l = calloc(c->ndevs + 1, sizeof *l);
  if (!l)
    return SU_ERROR_NO_MEM;
  for (size_t i = 0; i < c->ndevs; i++)
    l[i] = &c->devs[i];
  *list = l;
  return (ssize_t)c->ndevs;
}

API void libusb_free_device_list(su_device **list, int unref) { (void)unref; free(list); }

/* Devices live as long as the process: references are not counted. */
API su_device *libusb_ref_device(su_device *dev) { return dev; }
API void libusb_unref_device(su_device *dev) { (void)dev; }

API int libusb_get_device_descriptor(su_device *dev, su_device_descriptor *desc)
{
  *desc = dev->desc;
  return SU_SUCCESS;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Parses the raw configuration into one allocation that
 * libusb_free_config_descriptor releases: interfaces with one alternate
 * setting each, their endpoints, and as the interface's `extra` the class
 * descriptors between its interface descriptor and its first endpoint (HID),
 * as libusb does. */
static int config_parse(const su_device *dev, su_config_descriptor **out)
{
  const uint8_t *r = dev->config_raw;
  size_t len = dev->config_len;
  unsigned nitf = 0, neps = 0;
  for (size_t o = r[0]; o + 2 <= len && r[o] >= 2; o += r[o]) {
    nitf += r[o + 1] == SU_DT_INTERFACE;
    neps += r[o + 1] == SU_DT_ENDPOINT;
  }
  size_t size = sizeof(su_config_descriptor) + nitf * (sizeof(su_interface) + sizeof(su_interface_descriptor)) +
                neps * sizeof(su_endpoint_descriptor);
  char *mem = calloc(1, size);
  if (!mem)
    return SU_ERROR_NO_MEM;
  su_config_descriptor *c = (su_config_descriptor *)(void *)mem;
  su_interface *itfs = (su_interface *)(void *)(mem + sizeof *c);
  su_interface_descriptor *alts = (su_interface_descriptor *)(void *)(itfs + nitf);
  su_endpoint_descriptor *eps = (su_endpoint_descriptor *)(void *)(alts + nitf);
  *c = (su_config_descriptor){r[0], r[1], le16(r + 2), r[4], r[5], r[6], r[7], r[8], itfs, NULL, 0};
  su_interface_descriptor *cur = NULL;
  unsigned ni = 0, ne = 0;
  for (size_t o = r[0]; o + 2 <= len && r[o] >= 2; o += r[o]) {
    const uint8_t *a = r + o;
    if (a[1] == SU_DT_INTERFACE) {
      cur = &alts[ni];
      *cur = (su_interface_descriptor){a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                                       &eps[ne], NULL, 0};
      itfs[ni++] = (su_interface){cur, 1};
    } else if (a[1] == SU_DT_ENDPOINT) {
      eps[ne++] = (su_endpoint_descriptor){a[0], a[1], a[2], a[3], le16(a + 4), a[6], 0, 0, NULL, 0};
    } else if (cur && !cur->extra) {
      cur->extra = a; /* the descriptors live as long as the device */
      cur->extra_length = a[0];
    } else if (cur) {
      cur->extra_length += a[0];
    }
  }
  c->interface = itfs;
  *out = c;
  return SU_SUCCESS;
}

API int libusb_get_config_descriptor(su_device *dev, uint8_t index, su_config_descriptor **config)
{
  if (index >= dev->desc.bNumConfigurations)
    return SU_ERROR_NOT_FOUND;
  return config_parse(dev, config);
}

API int libusb_get_active_config_descriptor(su_device *dev, su_config_descriptor **config)
{
  return config_parse(dev, config);
}

API int libusb_get_config_descriptor_by_value(su_device *dev, uint8_t value, su_config_descriptor **config)
{
  if (value != dev->config_raw[5])
    return SU_ERROR_NOT_FOUND;
  return config_parse(dev, config);
}

API void libusb_free_config_descriptor(su_config_descriptor *config) { free(config); }

API uint8_t libusb_get_bus_number(su_device *dev) { return dev->board->bus; }
API uint8_t libusb_get_device_address(su_device *dev) { return dev->board->address; }
API uint8_t libusb_get_port_number(su_device *dev) { return dev->board->port; }

API int libusb_get_port_numbers(su_device *dev, uint8_t *ports, int len)
{
  if (len < 1)
    return SU_ERROR_OVERFLOW;
  ports[0] = dev->board->port;
  return 1;
}

API int libusb_get_port_path(su_context *ctx, su_device *dev, uint8_t *path, uint8_t len)
{
  (void)ctx;
  return libusb_get_port_numbers(dev, path, len);
}

API su_device *libusb_get_parent(su_device *dev) { (void)dev; return NULL; }

API int libusb_get_device_speed(su_device *dev)
{
  return lf_bench_usb_info_get(dev->board->b)->high_speed ? SU_SPEED_HIGH : SU_SPEED_FULL;
}

/* The endpoint descriptor of ep in the configuration, or NULL. */
static const uint8_t *find_ep(const su_device *dev, unsigned char ep)
{
  const uint8_t *r = dev->config_raw;
  for (size_t o = r[0]; o + 7 <= dev->config_len && r[o] >= 2; o += r[o])
    if (r[o + 1] == SU_DT_ENDPOINT && r[o + 2] == ep)
      return r + o;
  return NULL;
}

API int libusb_get_max_packet_size(su_device *dev, unsigned char ep)
{
  const uint8_t *e = find_ep(dev, ep);
  return e ? le16(e + 4) : SU_ERROR_NOT_FOUND;
}

API int libusb_get_max_iso_packet_size(su_device *dev, unsigned char ep)
{
  return libusb_get_max_packet_size(dev, ep);
}

/* ---- handles ---- */

API int libusb_open(su_device *dev, su_device_handle **handle)
{
  su_device_handle *h = calloc(1, sizeof *h);
  if (!h)
    return SU_ERROR_NO_MEM;
  h->dev = dev;
  h->config = dev->config_raw[5];
  *handle = h;
  return SU_SUCCESS;
}

API su_device_handle *libusb_open_device_with_vid_pid(su_context *ctx, uint16_t vid, uint16_t pid)
{
  su_context *c = ctx_of(ctx);
  bool ready = atomic_load_explicit(&su_proc.ready, memory_order_acquire);
  for (size_t i = 0; ready && i < c->ndevs; i++) {
    su_device *d = &c->devs[i];
    su_device_handle *h = NULL;
    if (d->desc.idVendor == vid && d->desc.idProduct == pid)
      return libusb_open(d, &h) == SU_SUCCESS ? h : NULL;
  }
  return NULL;
}

API void libusb_close(su_device_handle *h)
{
  if (!h)
    return;
  /* Transfers still queued on this handle never run: the tool is gone. */
  su_context *c = h->dev->ctx;
  pthread_mutex_lock(&su_proc.lock);
  for (xfer_priv **pp = &c->head; *pp;) {
    xfer_priv *p = *pp;
    if (xfer_of(p)->dev_handle == h) {
      *pp = p->next;
      p->queued = false;
      su_board *sb = p->board;
      pthread_mutex_lock(&sb->lock);
      if (sb->queued && --sb->queued == 0)
        lf_bench_usb_batch_end(sb->b);
      pthread_mutex_unlock(&sb->lock);
    } else {
      pp = &p->next;
    }
  }
  c->tail = NULL;
  for (xfer_priv *p = c->head; p; p = p->next)
    c->tail = p;
  pthread_mutex_unlock(&su_proc.lock);
  free(h);
}

API su_device *libusb_get_device(su_device_handle *h) { return h->dev; }

API int libusb_get_configuration(su_device_handle *h, int *config)
{
  *config = h->config;
  return SU_SUCCESS;
}

API int libusb_set_configuration(su_device_handle *h, int config)
{
  if (config != -1 && config != 0 && config != h->dev->config_raw[5])
    return SU_ERROR_NOT_FOUND;
  if (h->claimed)
    return SU_ERROR_BUSY;
  h->config = config < 0 ? 0 : config;
  return SU_SUCCESS;
}

static int check_iface(const su_device_handle *h, int iface)
{
  return iface < 0 || iface >= h->dev->config_raw[4] ? SU_ERROR_NOT_FOUND : SU_SUCCESS;
}

API int libusb_claim_interface(su_device_handle *h, int iface)
{
  int rc = check_iface(h, iface);
  if (rc != SU_SUCCESS)
    return rc;
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  if (sb->kernel_bound & (1u << iface)) {
    if (h->auto_detach) {
      sb->kernel_bound &= ~(1u << iface);
      h->auto_detached |= 1u << iface;
    } else {
      rc = SU_ERROR_BUSY; /* the kernel driver has it */
    }
  }
  pthread_mutex_unlock(&sb->lock);
  if (rc == SU_SUCCESS)
    h->claimed |= 1u << iface;
  return rc;
}

API int libusb_release_interface(su_device_handle *h, int iface)
{
  int rc = check_iface(h, iface);
  if (rc == SU_SUCCESS && !(h->claimed & (1u << iface)))
    rc = SU_ERROR_NOT_FOUND;
  if (rc == SU_SUCCESS) {
    h->claimed &= ~(1u << iface);
    if (h->auto_detached & (1u << iface)) {
      su_board *sb = h->dev->board;
      pthread_mutex_lock(&sb->lock);
      sb->kernel_bound |= 1u << iface;
      pthread_mutex_unlock(&sb->lock);
      h->auto_detached &= ~(1u << iface);
    }
  }
  return rc;
}

API int libusb_set_interface_alt_setting(su_device_handle *h, int iface, int alt)
{
  int rc = check_iface(h, iface);
  if (rc == SU_SUCCESS && !(h->claimed & (1u << iface)))
    rc = SU_ERROR_NOT_FOUND;
  return rc == SU_SUCCESS && alt != 0 ? SU_ERROR_NOT_FOUND : rc;
}

API int libusb_clear_halt(su_device_handle *h, unsigned char ep)
{
  return find_ep(h->dev, ep) ? SU_SUCCESS : SU_ERROR_NOT_FOUND;
}

API int libusb_reset_device(su_device_handle *h)
{
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  lf_bench_usb_reset(sb->b);
  pthread_mutex_unlock(&sb->lock);
  return SU_SUCCESS;
}

API int libusb_kernel_driver_active(su_device_handle *h, int iface)
{
  if (check_iface(h, iface) != SU_SUCCESS)
    return SU_ERROR_NOT_FOUND;
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  int bound = (sb->kernel_bound >> iface) & 1u;
  pthread_mutex_unlock(&sb->lock);
  return bound;
}

/* Only HID interfaces ever have a driver (usbhid); detaching where there is
 * none reports NOT_FOUND, as libusb does. */
API int libusb_detach_kernel_driver(su_device_handle *h, int iface)
{
  if (check_iface(h, iface) != SU_SUCCESS)
    return SU_ERROR_NOT_FOUND;
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  int rc = (sb->kernel_bound >> iface) & 1u ? SU_SUCCESS : SU_ERROR_NOT_FOUND;
  sb->kernel_bound &= ~(1u << iface);
  pthread_mutex_unlock(&sb->lock);
  return rc;
}

/* Rebinding: only where a driver belongs (HID), not while claimed, not twice. */
API int libusb_attach_kernel_driver(su_device_handle *h, int iface)
{
  if (check_iface(h, iface) != SU_SUCCESS)
    return SU_ERROR_NOT_FOUND;
  const lf_bench_usb_info *u = lf_bench_usb_info_get(h->dev->board->b);
  bool hid = false;
  for (unsigned i = 0; i < u->nifaces; i++)
    hid |= u->ifaces[i].number == iface && u->ifaces[i].cls == 0x03;
  if (!hid)
    return SU_ERROR_NOT_FOUND;
  if (h->claimed & (1u << iface))
    return SU_ERROR_BUSY;
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  int rc = (sb->kernel_bound >> iface) & 1u ? SU_ERROR_BUSY : SU_SUCCESS;
  sb->kernel_bound |= 1u << iface;
  pthread_mutex_unlock(&sb->lock);
  return rc;
}

API int libusb_set_auto_detach_kernel_driver(su_device_handle *h, int enable)
{
  h->auto_detach = enable != 0;
  return SU_SUCCESS;
}

/* ---- transfers ---- */

#define SHARED_WAIT_MAX_MS 60000u /* host-time cap of a shared-board IN wait */

/* Whether a thread other than `me` has moved data on the board (the first
 * two such threads are remembered; `me` is noted). */
static bool shared_with_other(su_board *sb, uint64_t me)
{
  if (!sb->data_tl[0])
    sb->data_tl[0] = me;
  else if (sb->data_tl[0] != me && !sb->data_tl[1])
    sb->data_tl[1] = me;
  return (sb->data_tl[0] && sb->data_tl[0] != me) || (sb->data_tl[1] && sb->data_tl[1] != me);
}

/* One bulk or interrupt transfer on the board (its lock held by the caller). */
static int data_xfer(su_board *sb, const char *how, unsigned char ep, bool interrupt,
                     unsigned char *data, int length, int *actual, unsigned timeout)
{
  size_t n = 0;
  if (length < 0)
    return SU_ERROR_INVALID_PARAM;
  uint64_t me = su_time_id();
  bool in = ep & 0x80, shared = shared_with_other(sb, me);
  if (in && shared && !lf_bench_usb_in_pending(sb->b, ep)) {
    unsigned ms = timeout && timeout < SHARED_WAIT_MAX_MS ? timeout : SHARED_WAIT_MAX_MS;
    while (!lf_bench_usb_in_pending(sb->b, ep) &&
           su_time_cond_wait_ms(&sb->data_cond, &sb->lock, ms) == 0) {
    }
  }
  int rc;
  if (in && shared && (sb->last_out_tl != me || !lf_bench_usb_in_pending(sb->b, ep))) {
    uint64_t done = 0;
    rc = lf_bench_usb_in_detached(sb->b, ep, data, (size_t)length, &n, timeout, &done);
    su_time_reach(done);
    how = interrupt ? "intr*" : "sync*";
  } else {
    su_time_enter(sb);
    if (interrupt)
      rc = in ? lf_bench_usb_interrupt_in(sb->b, ep, data, (size_t)length, &n, timeout)
              : lf_bench_usb_interrupt_out(sb->b, ep, data, (size_t)length, &n, timeout);
    else
      rc = in ? lf_bench_usb_bulk_in(sb->b, ep, data, (size_t)length, &n, timeout)
              : lf_bench_usb_bulk_out(sb->b, ep, data, (size_t)length, &n, timeout);
    su_time_leave(sb);
  }
  if (!in) {
    sb->last_out_tl = me;
    pthread_cond_broadcast(&sb->data_cond);
  }
  su_trace(sb, how, ep, data, (size_t)length, n, rc);
  if (actual)
    *actual = (int)n;
  return rc;
}

API int libusb_bulk_transfer(su_device_handle *h, unsigned char ep, unsigned char *data, int length,
                             int *actual, unsigned int timeout)
{
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  sb->c.sync++;
  int rc = data_xfer(sb, "sync ", ep, false, data, length, actual, timeout);
  pthread_mutex_unlock(&sb->lock);
  return rc;
}

API int libusb_interrupt_transfer(su_device_handle *h, unsigned char ep, unsigned char *data,
                                  int length, int *actual, unsigned int timeout)
{
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  sb->c.sync++;
  int rc = data_xfer(sb, "intr ", ep, true, data, length, actual, timeout);
  pthread_mutex_unlock(&sb->lock);
  return rc;
}

/* Data of a GET_DESCRIPTOR request; returns its length or a negative error. */
static int descriptor(const su_device *dev, uint16_t value, uint16_t langid, uint8_t *out, size_t cap)
{
  uint8_t type = (uint8_t)(value >> 8), index = (uint8_t)value;
  const lf_bench_usb_info *u = lf_bench_usb_info_get(dev->board->b);
  size_t n = 0;
  if (type == SU_DT_DEVICE && index == 0) {
    const su_device_descriptor *d = &dev->desc;
    uint8_t raw[18] = {d->bLength, d->bDescriptorType, (uint8_t)d->bcdUSB, (uint8_t)(d->bcdUSB >> 8),
                       d->bDeviceClass, d->bDeviceSubClass, d->bDeviceProtocol, d->bMaxPacketSize0,
                       (uint8_t)d->idVendor, (uint8_t)(d->idVendor >> 8), (uint8_t)d->idProduct,
                       (uint8_t)(d->idProduct >> 8), (uint8_t)d->bcdDevice, (uint8_t)(d->bcdDevice >> 8),
                       d->iManufacturer, d->iProduct, d->iSerialNumber, d->bNumConfigurations};
    n = sizeof raw < cap ? sizeof raw : cap;
    memcpy(out, raw, n);
    return (int)n;
  }
  if (type == SU_DT_CONFIG && index == 0) {
    n = dev->config_len < cap ? dev->config_len : cap;
    memcpy(out, dev->config_raw, n);
    return (int)n;
  }
  if (type != SU_DT_STRING)
    return SU_ERROR_PIPE;
  uint8_t raw[2 + 2 * 126];
  size_t len;
  if (index == 0) {
    raw[2] = 0x09; /* English (United States) */
    raw[3] = 0x04;
    len = 4;
  } else {
    /* 1-3: manufacturer, product, serial; 4 + i: interface i's name
     * (standin_env.c builds iInterface the same way) */
    const char *s = index == 1 ? u->manufacturer : index == 2 ? u->product : index == 3 ? u->serial
                  : index >= 4 && index - 4u < u->nifaces ? u->ifaces[index - 4].name : NULL;
    if (!s || langid != 0x0409)
      return SU_ERROR_PIPE;
    size_t sl = strlen(s);
    if (sl > 126)
      sl = 126;
    for (size_t i = 0; i < sl; i++) {
      raw[2 + 2 * i] = (uint8_t)s[i];
      raw[3 + 2 * i] = 0;
    }
    len = 2 + 2 * sl;
  }
  raw[0] = (uint8_t)len;
  raw[1] = SU_DT_STRING;
  n = len < cap ? len : cap;
  memcpy(out, raw, n);
  return (int)n;
}

/* GET_DESCRIPTOR addressed to interface `iface`: its HID descriptor (0x21)
 * or HID report descriptor (0x22). */
static int iface_descriptor(const su_device *dev, uint16_t value, uint16_t iface, uint8_t *out,
                            size_t cap)
{
  const lf_bench_usb_info *u = lf_bench_usb_info_get(dev->board->b);
  for (unsigned i = 0; i < u->nifaces; i++) {
    const lf_bench_usb_iface *f = &u->ifaces[i];
    if (f->number != iface || f->cls != 0x03)
      continue;
    uint8_t hid[9] = {9, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, (uint8_t)f->hid_report_len,
                      (uint8_t)(f->hid_report_len >> 8)};
    const uint8_t *src = value >> 8 == 0x21 ? hid : value >> 8 == 0x22 ? f->hid_report : NULL;
    size_t len = value >> 8 == 0x21 ? sizeof hid : f->hid_report_len;
    if (!src || (value & 0xFF) != 0)
      return SU_ERROR_PIPE;
    size_t n = len < cap ? len : cap;
    memcpy(out, src, n);
    return (int)n;
  }
  return SU_ERROR_PIPE;
}

/* One control transfer; data is the data stage (wLength bytes). Returns the
 * bytes moved or a negative error. Takes the board's lock. */
static int control(su_device_handle *h, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                   unsigned char *data, uint16_t length)
{
  su_board *sb = h->dev->board;
  pthread_mutex_lock(&sb->lock);
  sb->c.control++;
  int rc = SU_ERROR_PIPE;
  bool in = type & 0x80;
  bool standard = (type & 0x60) == 0;
  bool to_iface = (type & 0x1F) == 1;
  if (!standard) {
    /* class/vendor requests go to the probe (HID SET_REPORT runs a command:
     * the board is brought up to the caller's time first) */
    su_time_enter(sb);
    rc = lf_bench_usb_class_request(sb->b, type, req, value, index, data, length);
    lf_bench_usb_control_time(sb->b, rc > 0 ? (size_t)rc : 0);
    su_time_leave(sb);
    if (!in && rc >= 0) {
      sb->last_out_tl = su_time_id();
      pthread_cond_broadcast(&sb->data_cond);
    }
    if (su_proc.trace)
      fprintf(su_proc.trace, "%.9f %s control %02x %02x %04x %04x len %u -> %d\n",
              (double)lf_bench_clock(sb->b)->now_ns / 1e9, sb->serial, type, req, value, index,
              length, rc);
    pthread_mutex_unlock(&sb->lock);
    return rc;
  }
  if (standard && in && req == SU_REQUEST_GET_DESCRIPTOR && to_iface) {
    rc = iface_descriptor(h->dev, value, index, data, length);
  } else if (standard && in && req == SU_REQUEST_GET_DESCRIPTOR) {
    rc = descriptor(h->dev, value, index, data, length);
  } else if (standard && in && req == SU_REQUEST_GET_CONFIGURATION && length >= 1) {
    data[0] = (uint8_t)h->config;
    rc = 1;
  } else if (standard && in && req == SU_REQUEST_GET_STATUS && length >= 2) {
    data[0] = data[1] = 0;
    rc = 2;
  } else if (standard && !in && req == SU_REQUEST_SET_CONFIGURATION) {
    rc = value == 0 || value == h->dev->config_raw[5] ? 0 : SU_ERROR_PIPE;
    if (rc == 0)
      h->config = value;
  } else if (standard && !in && req == SU_REQUEST_SET_INTERFACE) {
    rc = index < h->dev->config_raw[4] && value == 0 ? 0 : SU_ERROR_PIPE;
  } else if (standard && !in && req == SU_REQUEST_CLEAR_FEATURE) {
    rc = 0;
  }
  /* Time: a round trip for the setup packet, then the data stage's packets.
   * On the board's clock when the calling thread owns the board (a control
   * transfer never takes a board over); otherwise, e.g. a gang thread
   * enumerating the probes another thread drives to find its own by
   * serial, the caller pays the same time on its own clock only, as the
   * request is answered from the descriptors and must not depend on how
   * far the other thread has got. */
  size_t moved = rc > 0 ? (size_t)rc : 0;
  uint64_t at;
  if (su_time_owns(sb)) {
    su_time_enter(sb);
    lf_bench_usb_control_time(sb->b, moved);
    su_time_leave(sb);
    at = lf_bench_clock(sb->b)->now_ns;
  } else {
    at = su_time_charge(lf_bench_usb_control_ns(sb->b, moved));
  }
  if (su_proc.trace)
    fprintf(su_proc.trace, "%.9f %s control %02x %02x %04x %04x len %u -> %d\n",
            (double)at / 1e9, sb->serial, type, req, value, index,
            length, rc);
  pthread_mutex_unlock(&sb->lock);
  return rc;
}

API int libusb_control_transfer(su_device_handle *h, uint8_t type, uint8_t req, uint16_t value,
                                uint16_t index, unsigned char *data, uint16_t length,
                                unsigned int timeout)
{
  (void)timeout;
  return control(h, type, req, value, index, data, length);
}

API int libusb_get_string_descriptor_ascii(su_device_handle *h, uint8_t index, unsigned char *data,
                                           int length)
{
  if (index == 0 || length <= 0)
    return SU_ERROR_INVALID_PARAM;
  uint8_t raw[255];
  int rc = control(h, 0x80, SU_REQUEST_GET_DESCRIPTOR, 0x0300, 0, raw, sizeof raw);
  if (rc < 4)
    return rc < 0 ? rc : SU_ERROR_IO;
  uint16_t langid = le16(raw + 2);
  rc = control(h, 0x80, SU_REQUEST_GET_DESCRIPTOR, (uint16_t)(0x0300 | index), langid, raw, sizeof raw);
  if (rc < 0)
    return rc;
  if (rc < 2 || raw[1] != SU_DT_STRING || raw[0] > rc)
    return SU_ERROR_IO;
  int n = 0;
  for (int i = 2; i + 1 < raw[0] && n < length - 1; i += 2)
    data[n++] = raw[i + 1] ? '?' : raw[i];
  data[n] = 0;
  return n;
}

/* ---- asynchronous transfers ---- */

API su_transfer *libusb_alloc_transfer(int iso_packets)
{
  if (iso_packets < 0)
    return NULL;
  size_t size = PRIV_SIZE + sizeof(su_transfer) + (size_t)iso_packets * sizeof(su_iso_packet_descriptor);
  char *mem = calloc(1, size);
  if (!mem)
    return NULL;
  su_transfer *t = xfer_of((xfer_priv *)(void *)mem);
  t->num_iso_packets = iso_packets;
  return t;
}

API void libusb_free_transfer(su_transfer *t)
{
  if (!t)
    return;
  if (t->flags & SU_TRANSFER_FREE_BUFFER)
    free(t->buffer);
  free(priv_of(t));
}

API int libusb_submit_transfer(su_transfer *t)
{
  xfer_priv *p = priv_of(t);
  if (!t->dev_handle)
    return SU_ERROR_INVALID_PARAM;
  if (t->type == SU_TRANSFER_TYPE_ISOCHRONOUS || t->type == SU_TRANSFER_TYPE_BULK_STREAM)
    return SU_ERROR_NOT_SUPPORTED;
  if (t->length < 0 || (t->type == SU_TRANSFER_TYPE_CONTROL && t->length < 8))
    return SU_ERROR_INVALID_PARAM;
  su_board *sb = t->dev_handle->dev->board;
  su_context *c = t->dev_handle->dev->ctx;
  pthread_mutex_lock(&su_proc.lock);
  if (p->queued) {
    pthread_mutex_unlock(&su_proc.lock);
    return SU_ERROR_BUSY;
  }
  p->board = sb;
  p->ctx = c;
  p->queued = true;
  p->cancel = false;
  p->next = NULL;
  if (c->tail)
    c->tail->next = p;
  else
    c->head = p;
  c->tail = p;
  pthread_mutex_lock(&sb->lock);
  if (sb->queued++ == 0) {
    lf_bench_usb_batch_begin(sb->b);
    sb->c.async_batches++;
  }
  pthread_mutex_unlock(&sb->lock);
  pthread_mutex_unlock(&su_proc.lock);
  return SU_SUCCESS;
}

API int libusb_cancel_transfer(su_transfer *t)
{
  xfer_priv *p = priv_of(t);
  int rc = SU_SUCCESS;
  pthread_mutex_lock(&su_proc.lock);
  if (!p->queued || p->cancel)
    rc = SU_ERROR_NOT_FOUND;
  else
    p->cancel = true;
  pthread_mutex_unlock(&su_proc.lock);
  return rc;
}

static su_transfer_status status_of(int rc)
{
  switch (rc) {
  case LF_VUSB_OK: return SU_TRANSFER_COMPLETED;
  case LF_VUSB_ERR_TIMEOUT: return SU_TRANSFER_TIMED_OUT;
  case LF_VUSB_ERR_PIPE: return SU_TRANSFER_STALL;
  case LF_VUSB_ERR_OVERFLOW: return SU_TRANSFER_OVERFLOW;
  case LF_VUSB_ERR_NO_DEVICE: return SU_TRANSFER_NO_DEVICE;
  default: return SU_TRANSFER_ERROR;
  }
}

/* Takes the head of ctx's queue, unless it is empty or *completed is set
 * (read under the lock: another thread's callback may set it). */
static xfer_priv *pop(su_context *c, int *completed, bool *cancel)
{
  pthread_mutex_lock(&su_proc.lock);
  xfer_priv *p = completed && *completed ? NULL : c->head;
  if (p) {
    c->head = p->next;
    if (!c->head)
      c->tail = NULL;
    p->queued = false;
    *cancel = p->cancel;
  }
  pthread_mutex_unlock(&su_proc.lock);
  return p;
}

/* Runs one transfer taken off the queue, then its callback (no lock held). */
static void run_one(xfer_priv *p, bool cancel)
{
  su_transfer *t = xfer_of(p);
  su_board *sb = p->board;
  t->actual_length = 0;
  if (cancel) {
    pthread_mutex_lock(&sb->lock);
    t->status = SU_TRANSFER_CANCELLED;
    sb->c.cancelled++;
    pthread_mutex_unlock(&sb->lock);
  } else if (t->type == SU_TRANSFER_TYPE_CONTROL) {
    const uint8_t *s = t->buffer;
    uint16_t len = le16(s + 6);
    int rc = (size_t)t->length < 8u + len
                 ? SU_ERROR_INVALID_PARAM
                 : control(t->dev_handle, s[0], s[1], le16(s + 2), le16(s + 4), t->buffer + 8, len);
    t->status = rc >= 0 ? SU_TRANSFER_COMPLETED : rc == SU_ERROR_PIPE ? SU_TRANSFER_STALL : SU_TRANSFER_ERROR;
    t->actual_length = rc > 0 ? rc : 0;
  } else {
    pthread_mutex_lock(&sb->lock);
    sb->c.async++;
    int rc = data_xfer(sb, "async", t->endpoint, t->type == SU_TRANSFER_TYPE_INTERRUPT, t->buffer,
                       t->length, &t->actual_length, t->timeout);
    pthread_mutex_unlock(&sb->lock);
    t->status = status_of(rc);
    if (t->status == SU_TRANSFER_COMPLETED && (t->flags & SU_TRANSFER_SHORT_NOT_OK) &&
        t->actual_length < t->length)
      t->status = SU_TRANSFER_ERROR;
  }
  pthread_mutex_lock(&sb->lock);
  if (sb->queued && --sb->queued == 0)
    lf_bench_usb_batch_end(sb->b);
  pthread_mutex_unlock(&sb->lock);
  bool free_it = t->flags & SU_TRANSFER_FREE_TRANSFER;
  if (t->callback)
    t->callback(t);
  if (free_it)
    libusb_free_transfer(t);
}

static int run_events(su_context *ctx, int *completed)
{
  su_context *c = ctx_of(ctx);
  xfer_priv *p;
  bool cancel = false;
  while ((p = pop(c, completed, &cancel)) != NULL)
    run_one(p, cancel);
  return SU_SUCCESS;
}

API int libusb_handle_events(su_context *ctx) { return run_events(ctx, NULL); }

API int libusb_handle_events_completed(su_context *ctx, int *completed)
{
  return run_events(ctx, completed);
}

API int libusb_handle_events_timeout(su_context *ctx, struct timeval *tv)
{
  (void)tv;
  return run_events(ctx, NULL);
}

API int libusb_handle_events_timeout_completed(su_context *ctx, struct timeval *tv, int *completed)
{
  (void)tv;
  return run_events(ctx, completed);
}

/* No timeouts are pending in host time: everything completes on handling. */
API int libusb_get_next_timeout(su_context *ctx, struct timeval *tv)
{
  su_context *c = ctx_of(ctx);
  pthread_mutex_lock(&su_proc.lock);
  bool pending = c->head != NULL;
  pthread_mutex_unlock(&su_proc.lock);
  if (!pending)
    return 0;
  tv->tv_sec = 0;
  tv->tv_usec = 0;
  return 1;
}
