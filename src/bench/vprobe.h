/* A virtual probe: one debug probe's firmware at its USB interface, wired to
 * a board's debug port (lf_dap) and reset line. A board holds one; any probe
 * model can be wired to any target (board.c).
 *
 * A probe model (vstlink.c, vcmsisdap.c) exports one lf_vprobe_model: its
 * presets by name and the ops below, the way a SoC family exports an
 * lf_soc_family (soc_family.h). vprobe.c keeps the registry of models and
 * dispatches; nothing outside a model's file knows its internals.
 *
 * Time: every op that moves data charges the board's clock (USB bus time,
 * firmware time, SWD wire time through lf_dap), as the models document. */
#ifndef LF_BENCH_VPROBE_H
#define LF_BENCH_VPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/clock.h"
#include "bench/dap.h"
#include "bench/faults.h"
#include "bench/params.h"

struct lf_bench_usb_info;

/* Transfer results, numerically equal to libusb's codes so the libusb
 * stand-in and the bench transport pass them through. */
enum {
  LF_VUSB_OK = 0,
  LF_VUSB_ERR_IO = -1,
  LF_VUSB_ERR_INVALID = -2,   /* e.g. an interrupt transfer on a bulk endpoint (usbfs: EINVAL) */
  LF_VUSB_ERR_NO_DEVICE = -4,
  LF_VUSB_ERR_TIMEOUT = -7,
  LF_VUSB_ERR_OVERFLOW = -8,
  LF_VUSB_ERR_PIPE = -9,
};

/* Counters every probe model keeps (each documents what its "commands" and
 * "mem bytes" are). */
typedef struct lf_vprobe_counters {
  uint64_t usb_out_transfers, usb_in_transfers;
  uint64_t usb_out_bytes, usb_in_bytes;
  uint64_t usb_timeouts, usb_stalls;
  uint64_t usb_round_trips; /* transfers that paid usb_{fs,hs}_transfer_latency_ns */
  uint64_t commands;
  uint64_t mem_read_bytes, mem_write_bytes;
  uint64_t status_errors;   /* commands answered with an error status */
} lf_vprobe_counters;

/* What the board gives a probe. */
typedef struct lf_vprobe_env {
  lf_clock *clk;
  const lf_bench_params *p;
  lf_dap *dap;
  lf_faults *faults;
  /* the probe's reset output (open drain on the board's NRST) */
  void (*nrst)(void *ctx, bool asserted, uint64_t t_ns);
  void *ctx;
  /* USB serial: the user's (serial_given) or the board's default, a
   * 24-hex-digit ST-LINK serial a model may derive its own format from */
  const char *serial;
  bool serial_given;
} lf_vprobe_env;

/* in() flags */
enum {
  /* The reader is not the host context that sent the command (pyOCD's HID
   * receive thread): the data is handed over at its modeled delivery time
   * without moving the board's clock; *done_ns receives that time. A model
   * without the notion treats it as an ordinary read. */
  LF_VPROBE_DETACHED = 1,
};

typedef struct lf_vprobe_ops {
  /* Data transfers on the probe's endpoints (bulk or interrupt, the model
   * knows which); LF_VUSB_* results, *actual = bytes moved. */
  int (*out)(void *m, uint8_t ep, const uint8_t *data, size_t len, size_t *actual,
             unsigned timeout_ms);
  int (*in)(void *m, uint8_t ep, uint8_t *buf, size_t len, size_t *actual, unsigned timeout_ms,
            unsigned flags, uint64_t *done_ns);
  /* Whether an IN on ep would return data now (no time passes). */
  bool (*in_pending)(const void *m, uint8_t ep);
  /* Transfers queued back to back by the host: one round trip (vstlink.h). */
  void (*batch_begin)(void *m);
  void (*batch_end)(void *m);
  /* Inside a batch, the next transfers were submitted at t_ns
   * (lf_bench_usb_batch_submit); NULL: the model ignores it. */
  void (*batch_submit)(void *m, uint64_t t_ns);
  /* USB bus reset: endpoint state flushed, firmware state kept. */
  void (*usb_reset)(void *m);
  /* Class/vendor control request on EP0 addressed to an interface (HID
   * SET_REPORT/GET_REPORT ...): bytes of the data stage moved, or a
   * negative LF_VUSB_* (LF_VUSB_ERR_PIPE = stall). NULL: every such request
   * stalls. The caller charges the control transfer's time. */
  int (*control)(void *m, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                 uint8_t *data, size_t len);
  /* USB time of one transfer of len bytes on its own (latency + wire), and
   * of the packets alone. */
  uint64_t (*usb_ns)(const void *m, size_t len);
  uint64_t (*usb_wire_ns)(const void *m, size_t len);
  const struct lf_bench_usb_info *(*usb_info)(const void *m);
  const lf_vprobe_counters *(*counters)(const void *m);
  /* Model lines of the bench report after the common "usb:" line; NULL = none. */
  void (*report)(const void *m, FILE *out);
  void (*free)(void *m);
} lf_vprobe_ops;

typedef struct lf_vprobe_model {
  const char *kind;                     /* "stlink", "cmsis-dap" */
  const char *(*preset_name)(size_t i); /* its presets, NULL past the last */
  /* The probe in its power-on state, or NULL with err set. */
  void *(*create)(const char *preset, const lf_vprobe_env *env, char *err, size_t errlen);
  const lf_vprobe_ops *ops;
} lf_vprobe_model;

typedef struct lf_vprobe lf_vprobe;

/* The probe of that preset name from any model ("v2-1", "daplink" ...), or
 * NULL with "unknown probe 'x' (known: ...)" in err. */
lf_vprobe *lf_vprobe_new(const char *preset, const lf_vprobe_env *env, char *err, size_t errlen);
void lf_vprobe_free(lf_vprobe *p);
/* "v2, v2-1, v3, daplink, rpi-debugprobe" (every preset of every model). */
const char *lf_vprobe_list(char *buf, size_t len);
/* Whether a preset of that name exists. */
bool lf_vprobe_known(const char *preset);

const char *lf_vprobe_kind(const lf_vprobe *p);
const char *lf_vprobe_preset(const lf_vprobe *p);
/* The model's own object when the probe is of that kind, else NULL (white-box
 * tests and the model-specific accessors of bench.h). */
void *lf_vprobe_state(lf_vprobe *p, const char *kind);

int lf_vprobe_out(lf_vprobe *p, uint8_t ep, const void *data, size_t len, size_t *actual,
                  unsigned timeout_ms);
int lf_vprobe_in(lf_vprobe *p, uint8_t ep, void *buf, size_t len, size_t *actual,
                 unsigned timeout_ms, unsigned flags, uint64_t *done_ns);
bool lf_vprobe_in_pending(const lf_vprobe *p, uint8_t ep);
void lf_vprobe_batch_begin(lf_vprobe *p);
void lf_vprobe_batch_end(lf_vprobe *p);
void lf_vprobe_batch_submit(lf_vprobe *p, uint64_t t_ns);
void lf_vprobe_usb_reset(lf_vprobe *p);
int lf_vprobe_control(lf_vprobe *p, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                      uint8_t *data, size_t len);
uint64_t lf_vprobe_usb_ns(const lf_vprobe *p, size_t len);
uint64_t lf_vprobe_usb_wire_ns(const lf_vprobe *p, size_t len);
const struct lf_bench_usb_info *lf_vprobe_usb_info(const lf_vprobe *p);
const lf_vprobe_counters *lf_vprobe_counters_get(const lf_vprobe *p);
void lf_vprobe_report(const lf_vprobe *p, FILE *out);
/* Transfers the hostile layer (faults.h hostile@) corrupted so far. */
uint64_t lf_vprobe_hostile_count(const lf_vprobe *p);

/* For models: USB bus timing. A link at full speed (12 Mbit/s, 64-byte
 * packets) or high speed (480 Mbit/s, 512) with usb_*_packet_overhead bytes
 * per packet; a transfer costs usb_{fs,hs}_transfer_latency_ns when it starts a
 * round trip (outside a batch, or the first of one) plus its wire time. */
typedef struct lf_vusb_link {
  lf_clock *clk;
  const lf_bench_params *p;
  bool high_speed;
  bool batch, batch_paid; /* inside a batch; its latency already charged */
  uint64_t batch_t0;      /* when the batch (or its next transfer) was submitted */
} lf_vusb_link;
unsigned lf_vusb_max_packet(const lf_vusb_link *l);
uint64_t lf_vusb_wire_ns(const lf_vusb_link *l, size_t len);
uint64_t lf_vusb_ns(const lf_vusb_link *l, size_t len); /* latency + wire */
uint64_t lf_vusb_latency_ns(const lf_vusb_link *l); /* usb_hs_/usb_fs_transfer_latency_ns by the link speed */
void lf_vusb_batch_begin(lf_vusb_link *l);
void lf_vusb_batch_end(lf_vusb_link *l);
/* Inside a batch: later transfers were submitted at t (batch_t0 := t). */
void lf_vusb_batch_submit(lf_vusb_link *l, uint64_t t);
/* Charges one transfer of len bytes to LF_CLK_USB (round trips counted in c). */
void lf_vusb_charge(lf_vusb_link *l, lf_vprobe_counters *c, size_t len);

/* For models: the USB fault due on this transfer (faults.h usb_*; one event
 * per transfer, either direction). usb_timeout: counted, the host's timeout
 * charged to LF_CLK_TIMEOUT, returns LF_VUSB_ERR_TIMEOUT; usb_stall: as
 * lf_vprobe_stall; usb_short: *short_pkt set for an IN, returns LF_VUSB_OK;
 * unplug: LF_VUSB_ERR_NO_DEVICE at no bus time, this and every later transfer. */
int lf_vprobe_usb_fault(lf_faults *f, lf_vusb_link *l, lf_vprobe_counters *c, bool in,
                        unsigned timeout_ms, bool *short_pkt);
/* A stalled transfer: counted, a bus round trip charged, LF_VUSB_ERR_PIPE. */
int lf_vprobe_stall(lf_vusb_link *l, lf_vprobe_counters *c);

#endif
