/* ST-LINK firmware model at the USB protocol level (probe-protocols.md 1):
 * a 16-byte command on the command OUT endpoint, an optional data OUT phase on
 * the same endpoint, and a reply on the IN endpoint 0x81. Reading an IN
 * endpoint with nothing pending times out (the host's timeout is charged to
 * LF_CLK_TIMEOUT), as on the real probe.
 *
 * One model covers V2, V2-1 and V3 (hardware version, PID, endpoint numbers,
 * packet size, USB speed, firmware version and the feature thresholds of
 * probe-protocols.md 1.12 are parameters). Every command runs its DP/AP
 * traffic through lf_dap at the selected SWCLK, so its cost is the sum of USB
 * bus time, firmware time and wire time. */
#ifndef LF_BENCH_VSTLINK_H
#define LF_BENCH_VSTLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/clock.h"
#include "bench/dap.h"
#include "bench/faults.h"
#include "bench/params.h"
#include "bench/vprobe.h"

/* The board wires it as the probe model "stlink" (vprobe.h): presets "v2",
 * "v2-1", "v3"; the USB serial is the board's (env->serial). Transfer
 * results are LF_VUSB_* (vprobe.h). */

typedef struct lf_vstlink_cfg {
  uint16_t vid, pid;        /* 0x0483, 0x374B (V2-1) */
  uint8_t hw;               /* 2 = V2/V2-1, 3 = V3 */
  uint8_t jtag_ver;         /* J: 37 for V2J37M26 */
  uint8_t msc_ver;          /* M (V2-1) or S (V2) */
  uint8_t bridge_ver;       /* B (V3) */
  bool high_speed;          /* V3: 512-byte packets at 480 Mbit/s */
  const char *serial;       /* 24 hex chars */
  double target_volts;      /* reported by GET_TARGET_VOLTAGE */
} lf_vstlink_cfg;

/* What the probe's pins do to the board. */
typedef struct lf_vstlink_wiring {
  void (*nrst)(void *ctx, bool asserted, uint64_t t_ns);
  void *ctx;
} lf_vstlink_wiring;

/* commands: 16-byte commands decoded; status_errors: answered with a status
 * other than 0x80; mem bytes: memory-command data moved. */
typedef lf_vprobe_counters lf_vstlink_counters;

typedef struct lf_vstlink lf_vstlink;

/* Fills a config for a known probe: "v2", "v2-1" (V2J37M26), "v3" (V3J7M3). */
int lf_vstlink_cfg_preset(lf_vstlink_cfg *cfg, const char *name);

lf_vstlink *lf_vstlink_new(const lf_vstlink_cfg *cfg, lf_clock *clk, const lf_bench_params *p,
                           lf_dap *dap, lf_vstlink_wiring wiring, lf_faults *faults);
void lf_vstlink_free(lf_vstlink *v);

/* Endpoints of this probe (PID rule of probe-protocols.md 1.1). */
uint8_t lf_vstlink_ep_out(const lf_vstlink *v);
uint8_t lf_vstlink_ep_in(const lf_vstlink *v);
uint8_t lf_vstlink_ep_trace(const lf_vstlink *v);
unsigned lf_vstlink_max_packet(const lf_vstlink *v);

/* Bulk transfers. Return LF_VUSB_* ; *actual receives the bytes moved. */
int lf_vstlink_bulk_out(lf_vstlink *v, uint8_t ep, const uint8_t *data, size_t len,
                        size_t *actual, unsigned timeout_ms);
int lf_vstlink_bulk_in(lf_vstlink *v, uint8_t ep, uint8_t *buf, size_t len, size_t *actual,
                       unsigned timeout_ms);

/* USB time of one transfer of `len` bytes on its own (a round trip):
 * usb_{fs,hs}_transfer_latency_ns + lf_vstlink_usb_wire_ns(len). */
uint64_t lf_vstlink_usb_ns(const lf_vstlink *v, size_t len);
/* Bus time of the packets alone (payload + per-packet overhead at the link rate). */
uint64_t lf_vstlink_usb_wire_ns(const lf_vstlink *v, size_t len);

/* Batches (round trips). A host that submits several transfers back to back
 * (libusb async API: command, data phase and reply queued together) waits for
 * the host-stack/controller turnaround once: between batch_begin and
 * batch_end only the first transfer pays usb_{fs,hs}_transfer_latency_ns, every other
 * one only its wire time. Outside a batch each transfer is its own round trip.
 * Nesting is not counted: begin inside a batch starts a new round trip. */
void lf_vstlink_batch_begin(lf_vstlink *v);
void lf_vstlink_batch_end(lf_vstlink *v);

/* USB bus reset (libusb_reset_device): the endpoint FIFOs are flushed, so a
 * pending data phase and an unread reply are dropped; the firmware's mode and
 * the target are untouched. No virtual time (bench choice). */
void lf_vstlink_usb_reset(lf_vstlink *v);

const lf_vstlink_counters *lf_vstlink_counters_get(const lf_vstlink *v);

#endif
