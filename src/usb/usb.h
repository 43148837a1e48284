/* USB transport: one interface, two backends.
 *
 *   - libusb-1.0 (real probes; later the bench through the libusb stand-in)
 *   - the in-process bench: a list of lf_bench_board objects, each one USB
 *     device at location "bench:<n>" (n = 1-based position in the list).
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

struct lf_bench_board;

typedef struct lf_usb_ctx lf_usb_ctx; /* a backend instance */
typedef struct lf_usb_dev lf_usb_dev; /* an opened, claimed device */

/* One row of an enumeration filter. */
typedef struct lf_usb_match {
  uint16_t vid, pid;
} lf_usb_match;

typedef struct lf_usb_devinfo {
  uint16_t vid, pid, bcd_device;
  size_t match;          /* row of the filter table that matched */
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

/* Backends. The bench backend borrows the boards (they must outlive it). */
int lf_usb_new_libusb(lf_session *s, lf_usb_ctx **out);
int lf_usb_new_bench(lf_session *s, struct lf_bench_board *const *boards, size_t n,
                     lf_usb_ctx **out);
void lf_usb_free(lf_usb_ctx *c);
const char *lf_usb_backend_name(const lf_usb_ctx *c); /* "libusb" / "bench" */

/* Bench backend only: a log of every bulk transfer with its virtual start
 * and end time (for --trace). Off by default (one branch per transfer);
 * lf_usb_bench_log(c, max) turns it on keeping at most `max` events (later
 * ones are counted as dropped; 0 turns it off and frees the log). LF_EINVAL
 * on a libusb context. lf_usb_bench_events returns the events so far. */
typedef struct lf_usb_bench_event {
  uint64_t t0_ns, t1_ns;   /* board's virtual clock around the transfer */
  uint32_t len, actual;
  uint8_t ep;              /* 0x80 bit: IN */
  uint8_t board;           /* 1-based, as in "bench:<n>" */
  int8_t result;           /* 0 or LF_USB_ERR_* */
} lf_usb_bench_event;
int lf_usb_bench_log(lf_usb_ctx *c, size_t max);
const lf_usb_bench_event *lf_usb_bench_events(const lf_usb_ctx *c, size_t *n, size_t *dropped);

/* Candidates matching the filter, with their strings. *out is malloc'ed
 * (free()), possibly NULL with *n = 0. */
int lf_usb_list(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
                lf_usb_devinfo **out, size_t *n);

/* Open the selected candidate and claim `iface`. info (optional) receives
 * the device description. No match: LF_ENODEV; ambiguous: LF_EINVAL with the
 * matches listed. */
int lf_usb_open(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
                const lf_usb_select *sel, int iface, lf_usb_dev **out, lf_usb_devinfo *info);
void lf_usb_close(lf_usb_dev *d);

/* Submit xs[0..n) back to back, wait for all (one round trip). Returns 0 when
 * every transfer completed (short IN transfers are not errors here: check
 * actual), else the LF_E* of the first failure, with a message
 * "usb <serial> (<location>): <op>: <why>"; `op` names the operation for the
 * message. Each xfer's result/actual are filled in. */
int lf_usb_batch(lf_usb_dev *d, lf_usb_xfer *xs, size_t n, unsigned timeout_ms, const char *op);

const lf_usb_devinfo *lf_usb_dev_info(const lf_usb_dev *d);
const lf_usb_stats *lf_usb_dev_stats(const lf_usb_dev *d);
lf_session *lf_usb_session(const lf_usb_dev *d);
/* The bench board behind the device, or NULL on libusb. */
struct lf_bench_board *lf_usb_dev_bench(const lf_usb_dev *d);

/* Serial matching rule shared by the backends and the probe registry:
 * returns true when `want` equals `serial` or is a prefix of it. */
bool lf_usb_serial_matches(const char *serial, const char *want);

/* ---- backend interface (usb.c <-> usb_libusb.c / usb_bench.c) ---- */
typedef struct lf_usb_backend {
  const char *name;
  /* Candidates without strings (descriptor data only). handles[i] is the
   * backend's device reference, kept until release. */
  int (*scan)(lf_usb_ctx *c, const lf_usb_match *filter, size_t nfilter,
              lf_usb_devinfo **out, void ***handles, size_t *n);
  /* Fill manufacturer/product/serial (or note). May open the device. */
  void (*strings)(lf_usb_ctx *c, void *h, lf_usb_devinfo *info);
  void (*release)(lf_usb_ctx *c, void **handles, size_t n);
  int (*open)(lf_usb_ctx *c, void *h, const lf_usb_devinfo *info, int iface, void **dev);
  int (*batch)(lf_usb_ctx *c, void *dev, lf_usb_xfer *xs, size_t n, unsigned timeout_ms);
  void (*close)(lf_usb_ctx *c, void *dev);
  void (*free)(lf_usb_ctx *c);
} lf_usb_backend;

struct lf_usb_ctx {
  const lf_usb_backend *be;
  lf_session *s;
  void *priv;
};

#endif
