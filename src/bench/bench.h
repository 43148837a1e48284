/* The virtual bench: a whole board (probe + target) behind a USB-level API.
 * This is what the luaflash bench transport and the libusb stand-in attach to,
 * and what tests drive with raw ST-Link commands.
 *
 *   lf_bench_board_cfg cfg; lf_bench_board_cfg_default(&cfg);
 *   lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
 *   lf_bench_usb_bulk_out(b, 0x01, cmd, 16, &n, 1000);
 *   lf_bench_usb_bulk_in(b, 0x81, reply, 6, &n, 1000);
 *
 * Everything is deterministic: the same calls give the same virtual time and
 * the same counters on every run. */
#ifndef LF_BENCH_BENCH_H
#define LF_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/clock.h"
#include "bench/demo_image.h"
#include "bench/params.h"

typedef struct lf_bench_board_cfg {
  /* "nucleo-f767zi" (default) or "nucleo-f429zi"; "BOARD@PROBE" wires that
   * probe to the board instead of its own (e.g. "nucleo-f767zi@daplink") */
  const char *board;
  /* NULL = the board's own (V2-1); a preset of any probe model: "v2", "v2-1",
   * "v3" (ST-LINK), "daplink", "rpi-debugprobe" (CMSIS-DAP); lf_vprobe_list.
   * A probe named in `board` after '@' wins over this one. */
  const char *probe;
  const char *serial;      /* NULL = a fixed per-board default */
  const char *faults;      /* fault spec (faults.h), NULL = none */
  const char *state_file;  /* NULL = factory state (erased flash, default options) */
  lf_bench_params params;
} lf_bench_board_cfg;

/* One interface of a virtual probe's USB configuration. */
typedef struct lf_bench_usb_iface {
  uint8_t number;
  uint8_t cls;              /* bInterfaceClass: 0xFF vendor-specific, 0x03 HID, 0x08 mass storage ... */
  const char *name;         /* iInterface string, NULL = none */
  uint8_t ep_out, ep_in;    /* 0 = none */
  bool interrupt;           /* interrupt endpoints (HID), else bulk */
  /* what the descriptors (the libusb stand-in) show besides: */
  uint8_t subclass, protocol; /* bInterfaceSubClass, bInterfaceProtocol */
  uint8_t ep_extra;         /* a third endpoint, bulk IN (ST-LINK trace), 0 = none */
  bool in_first;            /* endpoint order IN, OUT, extra (ST-LINK); else OUT, IN, extra */
  uint16_t max_packet;      /* wMaxPacketSize of its endpoints */
  uint8_t interval;         /* bInterval of interrupt endpoints (frames) */
  const uint8_t *hid_report; /* HID: its report descriptor */
  uint16_t hid_report_len;
} lf_bench_usb_iface;

typedef struct lf_bench_usb_info {
  uint16_t vid, pid, bcd_device;
  const char *manufacturer, *product, *serial;
  /* the probe's main debug interface (ST-LINK: its only one; CMSIS-DAP: v2
   * bulk if it has one, else the HID interface) */
  uint8_t ep_out, ep_in, ep_trace;
  unsigned max_packet;
  bool high_speed;
  const lf_bench_usb_iface *ifaces; /* the configuration's interfaces, by number */
  unsigned nifaces;
} lf_bench_usb_info;

typedef struct lf_bench_led_event {
  uint64_t t_ns;
  unsigned led;   /* 1..3 = LD1 (green PB0), LD2 (blue PB7), LD3 (red PB14) */
  bool on;
} lf_bench_led_event;

/* A modeled board as the table in board.c describes it. */
typedef struct lf_bench_board_info {
  const char *name;                /* "nucleo-f429zi" */
  const char *part;                /* SoC part: "stm32f429zi" */
  const char *probe;               /* on-board probe preset: "v2-1" */
  const char *serial;              /* default USB serial of the on-board probe (distinct per
                                      board; other probes derive theirs from it) */
  const unsigned char *demo;       /* demo firmware built for the board (demo_image.h) */
  const unsigned int *demo_len;
} lf_bench_board_info;

/* The known boards: i = 0, 1, ... until NULL (index 0 is the default). */
const lf_bench_board_info *lf_bench_board_at(size_t i);
/* NULL for an unknown name. */
const lf_bench_board_info *lf_bench_board_find(const char *name);
/* "nucleo-f767zi, nucleo-f429zi" into buf (for messages); returns buf. */
const char *lf_bench_board_list(char *buf, size_t len);

typedef struct lf_bench_board lf_bench_board;

void lf_bench_board_cfg_default(lf_bench_board_cfg *cfg);
lf_bench_board *lf_bench_board_new(const lf_bench_board_cfg *cfg, char *err, size_t errlen);
void lf_bench_board_free(lf_bench_board *b);

const lf_bench_usb_info *lf_bench_usb_info_get(const lf_bench_board *b);
const lf_bench_board_info *lf_bench_board_info_get(const lf_bench_board *b);
/* "v2, v2-1, v3, daplink, rpi-debugprobe" into buf; returns buf. */
const char *lf_bench_probe_list(char *buf, size_t len);
/* The preset of the probe wired to the board ("v2-1", "daplink"). */
const char *lf_bench_probe_name(const lf_bench_board *b);
/* Bulk transfers. As on Linux (usbfs), a bulk request on an interrupt
 * endpoint is carried out as an interrupt transfer. */
int lf_bench_usb_bulk_out(lf_bench_board *b, uint8_t ep, const void *data, size_t len,
                          size_t *actual, unsigned timeout_ms);
int lf_bench_usb_bulk_in(lf_bench_board *b, uint8_t ep, void *buf, size_t len, size_t *actual,
                         unsigned timeout_ms);
/* Interrupt transfers: only on interrupt endpoints (else LF_VUSB_ERR_INVALID,
 * as usbfs refuses them); otherwise as the bulk calls. */
int lf_bench_usb_interrupt_out(lf_bench_board *b, uint8_t ep, const void *data, size_t len,
                               size_t *actual, unsigned timeout_ms);
int lf_bench_usb_interrupt_in(lf_bench_board *b, uint8_t ep, void *buf, size_t len,
                              size_t *actual, unsigned timeout_ms);
/* An IN read by a host thread other than the one that sent the command
 * (vprobe.h LF_VPROBE_DETACHED): *done_ns receives when the data reached the
 * host; the board's clock does not move. */
int lf_bench_usb_in_detached(lf_bench_board *b, uint8_t ep, void *buf, size_t len,
                             size_t *actual, unsigned timeout_ms, uint64_t *done_ns);
/* Whether an IN on ep would return data now. */
bool lf_bench_usb_in_pending(const lf_bench_board *b, uint8_t ep);
/* A class or vendor request on EP0 (HID SET_REPORT/GET_REPORT): data-stage
 * bytes or a negative LF_VUSB_* (stall: LF_VUSB_ERR_PIPE). No time passes
 * (the caller charges lf_bench_usb_control_time). */
int lf_bench_usb_class_request(lf_bench_board *b, uint8_t type, uint8_t req, uint16_t value,
                               uint16_t index, uint8_t *data, size_t len);
/* USB bus reset (libusb_reset_device): the probe's endpoint state is flushed. */
void lf_bench_usb_reset(lf_bench_board *b);
/* Transfers between begin and end were queued back to back by the host (one
 * round trip): the USB turnaround latency is charged once (vstlink.h). */
void lf_bench_usb_batch_begin(lf_bench_board *b);
void lf_bench_usb_batch_end(lf_bench_board *b);
/* Inside a batch: the host submitted the next transfers at t_ns (>= the
 * batch's start), not with the batch (a host that keeps requests in flight
 * and submits each as an earlier reply arrives: lf_usb_pipe). A model whose
 * timing depends on submission (HID frames) uses it; others ignore it. */
void lf_bench_usb_batch_submit(lf_bench_board *b, uint64_t t_ns);
/* The time of one control transfer on EP0 (setup packet round trip, then
 * data_len bytes of data stage), charged to USB. Standard requests are
 * answered by the USB device controller of the probe, not its firmware.
 * String descriptors as a host reads them (language table, then the
 * string): lf_bench_usb_string_time. Both transports charge these, so
 * enumeration costs the same in-process and through the libusb stand-in. */
void lf_bench_usb_control_time(lf_bench_board *b, size_t data_len);
/* That time, without charging it. */
uint64_t lf_bench_usb_control_ns(const lf_bench_board *b, size_t data_len);
/* Bytes of the string descriptor with that text (2 + 2 per character, at most 254). */
size_t lf_bench_usb_string_len(const char *text);

/* Let virtual time pass with the USB idle (a host sleep); the core runs. */
void lf_bench_run(lf_bench_board *b, uint64_t ns);
/* Press/release the board's reset button (NRST), independent of the probe. */
void lf_bench_press_reset(lf_bench_board *b);

lf_clock *lf_bench_clock(lf_bench_board *b);
const lf_bench_params *lf_bench_params_get(const lf_bench_board *b);

size_t lf_bench_led_events(const lf_bench_board *b, const lf_bench_led_event **ev);
void lf_bench_led_events_clear(lf_bench_board *b);
/* Toggles per LED since the last clear: counts[1..3] for LD1..LD3; returns the total. */
size_t lf_bench_led_toggles(const lf_bench_board *b, unsigned counts[4]);

/* Backdoor read of target memory (no time passes, nothing changes). */
int lf_bench_peek(const lf_bench_board *b, uint32_t addr, void *buf, size_t len);

int lf_bench_save_state(const lf_bench_board *b, const char *path, char *err, size_t errlen);
int lf_bench_load_state(lf_bench_board *b, const char *path, char *err, size_t errlen);

/* Counters of every model plus time per category, as text. */
void lf_bench_report(const lf_bench_board *b, FILE *out);
/* The host entered phase `name` (connect, plan, erase, program, verify,
 * reset, ...): arms the fault items relative to it (faults.h PHASE+N).
 * Returns how many it armed. */
size_t lf_bench_phase(lf_bench_board *b, const char *name);
/* The probe's counters (vprobe.h). */
const struct lf_vprobe_counters *lf_bench_probe_counters(const lf_bench_board *b);

/* Internals for white-box tests. */
struct lf_soc *lf_bench_soc(lf_bench_board *b);
struct lf_core *lf_bench_core(lf_bench_board *b);
struct lf_dap *lf_bench_dap(lf_bench_board *b);
struct lf_vprobe *lf_bench_probe(lf_bench_board *b);
/* The probe's model object when it is of that model, else NULL. */
struct lf_vstlink *lf_bench_vstlink(lf_bench_board *b);
struct lf_vcmsisdap *lf_bench_vcmsisdap(lf_bench_board *b);

#endif
