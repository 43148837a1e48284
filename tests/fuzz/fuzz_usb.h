/* A USB backend for the probe-driver fuzz targets (fuzz_stlink.c,
 * fuzz_cmsis_dap.c): one device whose IN transfers are answered from the
 * fuzz input, and a recorder that writes a bench session in the same
 * format (the seed corpus: fuzz_probe_seed.c).
 *
 * Reply stream: per IN transfer one control byte, then the data:
 *   0x00        a full reply (the length the host asked for), its bytes follow
 *   0x01..0xFA  a reply of that many bytes (at most the length asked for)
 *   0xFB L H    a reply of L | H << 8 bytes (0 = zero-length, or > 0xFA)
 *   0xFC        overflow   0xFD  device unplugged
 *   0xFE        stall      0xFF  timeout
 * Data past the end of the input reads as zeros; an IN transfer after the
 * end times out. OUT transfers always complete. The device's clock moves
 * 125 us per transfer and the whole timeout on a timeout, so deadline loops
 * of the drivers end. More than LF_FUZZ_USB_MAX_XFERS transfers for one
 * input is a hang (abort). */
#ifndef LF_TESTS_FUZZ_USB_H
#define LF_TESTS_FUZZ_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "usb/usb.h"

#define LF_FUZZ_USB_MAX_XFERS 200000u

typedef struct lf_fuzz_usb_dev {
  uint16_t vid, pid;
  const char *iface_name; /* NULL: no interface name */
  uint8_t iface_class;
  lf_usb_xfer_type xfer;
  uint8_t ep_out, ep_in;
  unsigned max_packet;
  bool high_speed;
} lf_fuzz_usb_dev;

int lf_fuzz_usb_new(lf_session *s, const lf_fuzz_usb_dev *dev, const uint8_t *data, size_t n,
                    lf_usb_ctx **out);
/* Transfers moved so far (IN and OUT). */
uint64_t lf_fuzz_usb_transfers(const lf_usb_ctx *c);
/* Reply bytes read so far. */
size_t lf_fuzz_usb_used(const lf_usb_ctx *c);

/* The recorder: a context that forwards everything to `inner` (it keeps
 * ownership of inner and frees it with itself) and appends every IN
 * transfer's outcome to `rec` in the reply-stream format. */
int lf_fuzz_usb_recorder(lf_session *s, lf_usb_ctx *inner, FILE *rec, lf_usb_ctx **out);

#endif
