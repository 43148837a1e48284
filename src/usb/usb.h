/* USB transport: one interface, pluggable backends.
 *
 *   - libusb-1.0 (usb_libusb.c): real probes, or the bench through the
 *     libusb stand-in;
 *   - the in-process bench transport (bench/usb_bench.h, a separate library that
 *     links the bench; the driver library never does): a list of virtual
 *     boards, each one USB device at location "bench:<n>".
 *
 * Enumeration filters by a caller-given VID/PID table first (descriptors
 * only, no I/O) and reads string descriptors only of the candidates. Opening
 * selects one candidate by location, by index (order of enumeration among the
 * candidates) or by serial (full, or a prefix matching exactly one device).
 *
 * Transfers are bulk transfers with explicit timeouts. lf_usb_batch submits
 * several transfers back to back (libusb async API) and waits once, so a
 * command, its data phase and its reply cost one round trip; the bench
 * executes them in order. The first failing transfer ends the batch.
 *
 * Errors are LF_E* codes with a session message naming the device
 * ("serial (location)") and the operation. No sleeps, no per-device timeouts
 * in enumeration. */
#ifndef LF_USB_USB_H
#define LF_USB_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

/* Transfer results (lf_usb_xfer.result, backend returns): numerically equal
 * to libusb's error codes, so a libusb backend passes them through. */
enum {
  LF_USB_OK = 0,
  LF_USB_ERR_IO = -1,
  LF_USB_ERR_ACCESS = -3,
  LF_USB_ERR_NO_DEVICE = -4,
  LF_USB_ERR_NOT_FOUND = -5,
  LF_USB_ERR_BUSY = -6,
  LF_USB_ERR_TIMEOUT = -7,
  LF_USB_ERR_OVERFLOW = -8,
  LF_USB_ERR_PIPE = -9,
  LF_USB_ERR_NO_MEM = -11,
};

/* How a probe's endpoints move data: bulk (ST-Link, CMSIS-DAP v2) or
 * interrupt (HID probes, CMSIS-DAP v1). */
typedef enum lf_usb_xfer_type { LF_USB_BULK = 0, LF_USB_INTERRUPT = 1 } lf_usb_xfer_type;

typedef struct lf_usb_ctx lf_usb_ctx; /* a backend instance */
typedef struct lf_usb_dev lf_usb_dev; /* an opened, claimed device */

/* One row of an enumeration filter: a device matches when its VID and PID
 * are the row's (both 0: any device) and, when iface_name is set, one of its
 * interfaces has a name (iInterface string) containing iface_name and, when
 * iface_class is set, that interface is of that class (0xFF vendor-specific,
 * 0x03 HID). CMSIS-DAP probes are found by "CMSIS-DAP" in that name,
 * whatever their IDs. Matching by VID/PID reads cached descriptors only;
 * matching by name reads the interface strings of devices that have a
 * vendor-specific or HID interface with a name. A device is listed once,
 * under the first row it matches. */
typedef struct lf_usb_match {
  uint16_t vid, pid;
  const char *iface_name;
  uint8_t iface_class;  /* 0 = any */
  /* How lf_usb_open uses a device this row matched: the interface to claim
   * (-1: the one whose name matched) and how its endpoints move data. */
  int iface;
  lf_usb_xfer_type xfer;
} lf_usb_match;

typedef struct lf_usb_devinfo {
  uint16_t vid, pid, bcd_device;
  size_t match;          /* row of the filter table that matched */
  int iface;             /* interface whose name matched the row, -1 = none asked */
  char location[32];     /* "bench:1", "usb:1-4.2" */
  char manufacturer[64];
  char product[64];
  char serial[64];       /* "" when it could not be read (see note) */
  char note[96];         /* why strings are missing ("access denied ..."), or "" */
  bool high_speed;
  unsigned max_packet;
} lf_usb_devinfo;

/* Selection: the first non-empty criterion of location, serial, index wins
 * (index < 0 = not given). All empty = the only candidate (several: error
 * listing them). */
typedef struct lf_usb_select {
  const char *serial;   /* full or unique prefix */
  const char *location;
  int index;
} lf_usb_select;

typedef struct lf_usb_xfer {
  uint8_t ep;           /* bit 7 set = IN */
  void *buf;
  size_t len;
  size_t actual;        /* bytes moved */
  int result;           /* LF_USB_* (= libusb error codes), 0 = done */
} lf_usb_xfer;

typedef struct lf_usb_stats {
  uint64_t round_trips; /* batches (a single transfer counts as one) */
  uint64_t transfers;
  uint64_t bytes_out, bytes_in;
} lf_usb_stats;

/* The libusb backend. Other backends (the bench transport, bench/usb_bench.h)
 * live outside the driver library and plug in through lf_usb_backend. */
int lf_usb_new_libusb(lf_session *s, lf_usb_ctx **out);
void lf_usb_free(lf_usb_ctx *c);
const char *lf_usb_backend_name(const lf_usb_ctx *c); /* "libusb" / "bench" */

/* Candidates matching the filter, with their strings. *out is malloc'ed
 * (free()), possibly NULL with *n = 0. */
int lf_usb_list(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
                lf_usb_devinfo **out, size_t *n);

/* Open the selected candidate and claim the interface its filter row
 * names (its endpoints then move data as the row says). info (optional)
 * receives the device description (info->match: the row). No match:
 * LF_ENODEV; ambiguous: LF_EINVAL with the matches listed. */
int lf_usb_open(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
                const lf_usb_select *sel, lf_usb_dev **out, lf_usb_devinfo *info);
void lf_usb_close(lf_usb_dev *d);

/* Submit xs[0..n) back to back, wait for all (one round trip). Returns 0 when
 * every transfer completed (short IN transfers are not errors here: check
 * actual), else the LF_E* of the first failure, with a message
 * "usb <serial> (<location>): <op>: <why>"; `op` names the operation for the
 * message. Each xfer's result/actual are filled in. */
int lf_usb_batch(lf_usb_dev *d, lf_usb_xfer *xs, size_t n, unsigned timeout_ms, const char *op);

/* ---- pipes: request/reply pairs in flight (CMSIS-DAP) ----
 *
 * lf_usb_pipe_push submits a request (an OUT transfer) and its reply (an IN
 * transfer) and returns without waiting for them; lf_usb_pipe_pop waits for
 * the oldest pair pushed and not popped yet and returns its outcome: 0 when
 * both transfers completed (a short IN is not an error: check actual), else
 * the LF_E* of the first that failed, with the message of lf_usb_batch
 * (`op` names the operation). Pairs complete in the order pushed. The caller
 * keeps the xfers and their buffers valid until the pair is popped or the
 * pipe cancelled, and bounds the pairs in flight (a probe's request
 * buffers): the next request goes on the bus while earlier replies are
 * still to come, so a window of requests never waits for a round trip
 * (libusb: asynchronous transfers; the bench: the pipe is one round trip
 * while it is busy, each transfer submitted when it was pushed). A pipe that
 * empties ends a round trip (lf_usb_stats.round_trips counts pushes into an
 * empty pipe). lf_usb_pipe_cancel gives up every pair in flight (after a
 * failure; requests already sent may still be answered: a driver drains
 * those). Backends without pipes run each pair as a batch when it is
 * popped. lf_usb_close cancels what is still in flight. At most
 * LF_USB_PIPE_MAX pairs are in flight (a push beyond: LF_EINVAL). */
#define LF_USB_PIPE_MAX 64
int lf_usb_pipe_push(lf_usb_dev *d, lf_usb_xfer *out, lf_usb_xfer *in, unsigned timeout_ms);
int lf_usb_pipe_pop(lf_usb_dev *d, const char *op);
void lf_usb_pipe_cancel(lf_usb_dev *d);
/* Pairs pushed and not popped yet. */
size_t lf_usb_pipe_depth(const lf_usb_dev *d);

/* One endpoint of the claimed interface. */
typedef struct lf_usb_ep {
  uint8_t addr;          /* bit 7 set = IN */
  lf_usb_xfer_type type; /* bulk or interrupt (other types are not listed) */
  unsigned max_packet;   /* wMaxPacketSize (bytes per packet, high-bandwidth included) */
} lf_usb_ep;

/* The number of the interface lf_usb_open claimed, and its bulk and
 * interrupt endpoints in descriptor order (drivers that find endpoints by
 * position or direction, CMSIS-DAP): the first max of them into eps, *n =
 * how many were written. LF_ENOTSUP (with a message) when the backend cannot
 * tell. */
int lf_usb_dev_iface(const lf_usb_dev *d);
int lf_usb_endpoints(lf_usb_dev *d, lf_usb_ep *eps, size_t max, size_t *n);

const lf_usb_devinfo *lf_usb_dev_info(const lf_usb_dev *d);
const lf_usb_stats *lf_usb_dev_stats(const lf_usb_dev *d);
lf_session *lf_usb_session(const lf_usb_dev *d);
/* The transport's time base in ns: the backend's clock when it keeps one
 * (the bench's virtual time), else CLOCK_MONOTONIC. Deadlines and polling
 * loops above the transport measure time with this, never with the host
 * clock directly, so on the bench they cost modeled time. */
uint64_t lf_usb_now_ns(const lf_usb_dev *d);
/* For backends: the context and backend handle of an open device. */
lf_usb_ctx *lf_usb_dev_ctx(const lf_usb_dev *d);
void *lf_usb_dev_handle(const lf_usb_dev *d);

/* Serial matching rule shared by the backends and the probe registry:
 * returns true when `want` equals `serial` or is a prefix of it. */
bool lf_usb_serial_matches(const char *serial, const char *want);

/* ---- backend interface (usb.c <-> usb_libusb.c / bench/usb_bench.c) ---- */
typedef struct lf_usb_backend {
  const char *name;
  /* Candidates without strings (descriptor data only). handles[i] is the
   * backend's device reference, kept until release. */
  int (*scan)(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
              lf_usb_devinfo **out, void ***handles, size_t *n);
  /* Fill manufacturer/product/serial (or note). May open the device. */
  void (*strings)(lf_usb_ctx *c, void *h, lf_usb_devinfo *info);
  void (*release)(lf_usb_ctx *c, void **handles, size_t n);
  int (*open)(lf_usb_ctx *c, void *h, const lf_usb_devinfo *info, int iface,
              lf_usb_xfer_type type, void **dev);
  int (*batch)(lf_usb_ctx *c, void *dev, lf_usb_xfer *xs, size_t n, unsigned timeout_ms);
  /* Endpoints of interface `iface` of the open device, in descriptor order
   * (lf_usb_endpoints): writes the first max, returns how many it wrote, or
   * a negative LF_USB_ERR_*. NULL: the backend cannot tell. */
  int (*endpoints)(lf_usb_ctx *c, void *dev, int iface, lf_usb_ep *eps, size_t max);
  /* Pipes (lf_usb_pipe_*), all three or none (NULL: the core runs a pair
   * through batch when it is popped). push submits out then in; pop waits
   * until the oldest pair pushed is done (results in its xfers; returns a
   * failure outside them, e.g. event handling); cancel gives up every pair
   * not popped yet and returns when none is in flight any more. The core
   * calls pop and cancel only with pairs pushed. */
  int (*pipe_push)(lf_usb_ctx *c, void *dev, lf_usb_xfer *out, lf_usb_xfer *in,
                   unsigned timeout_ms);
  int (*pipe_pop)(lf_usb_ctx *c, void *dev);
  void (*pipe_cancel)(lf_usb_ctx *c, void *dev);
  /* The backend's clock (ns), or NULL: CLOCK_MONOTONIC. */
  uint64_t (*now_ns)(lf_usb_ctx *c, void *dev);
  void (*close)(lf_usb_ctx *c, void *dev);
  void (*free)(lf_usb_ctx *c);
} lf_usb_backend;

struct lf_usb_ctx {
  const lf_usb_backend *be;
  lf_session *s;
  void *priv;
};

#endif
