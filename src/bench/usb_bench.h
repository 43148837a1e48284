/* The bench transport: an lf_usb backend whose devices are in-process
 * virtual boards (src/bench/). It is a library of its own (lfbenchusb),
 * linked into the luaflash binary and the tests, never into the driver
 * library (lfdriver), which knows only the lf_usb_backend interface.
 *
 * Each lf_bench_board is one USB device at location "bench:<n>" (n =
 * 1-based position in the list). Its clock is the board's virtual clock:
 * lf_usb_now_ns on its devices returns modeled time. */
#ifndef LF_USB_USB_BENCH_H
#define LF_USB_USB_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "usb/usb.h"

struct lf_bench_board;

/* The boards are borrowed (they must outlive the context). The session's
 * log lines carry the first board's virtual time. */
int lf_usb_new_bench(lf_session *s, struct lf_bench_board *const *boards, size_t n,
                     lf_usb_ctx **out);

/* The bench board behind an open device, or NULL when the device is not on
 * the bench transport. */
struct lf_bench_board *lf_usb_bench_board(const lf_usb_dev *d);

/* A log of every bulk transfer with its virtual start and end time (for
 * --trace). Off by default (one branch per transfer); lf_usb_bench_log(c,
 * max) turns it on keeping at most `max` events (later ones are counted as
 * dropped; 0 turns it off and frees the log). LF_EINVAL on a context of
 * another backend. lf_usb_bench_events returns the events so far. */
typedef struct lf_usb_bench_event {
  uint64_t t0_ns, t1_ns;   /* board's virtual clock around the transfer */
  uint32_t len, actual;
  uint8_t ep;              /* 0x80 bit: IN */
  uint8_t board;           /* 1-based, as in "bench:<n>" */
  int8_t result;           /* 0 or LF_USB_ERR_* */
} lf_usb_bench_event;
int lf_usb_bench_log(lf_usb_ctx *c, size_t max);
const lf_usb_bench_event *lf_usb_bench_events(const lf_usb_ctx *c, size_t *n, size_t *dropped);

#endif
