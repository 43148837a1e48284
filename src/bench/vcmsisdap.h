/* CMSIS-DAP probe firmware model at the USB level (cmsis-dap.md, the
 * reference; probe-protocols.md 3 and 4): commands as the ARM reference
 * firmware 2.1.2 executes them (DAP.c), queued in the probe's packet
 * buffers, answered on a v2 bulk and/or a v1 HID interface, every SWD
 * transaction through lf_dap at the SWCLK the firmware really produces.
 *
 * The board wires it as the probe model "cmsis-dap" (vprobe.h) with two
 * presets (cmsis-dap.md 5):
 *   "daplink"         DAPLink >= v0254 on a k20dx HIC: composite 0d28:0204,
 *                     HID "CMSIS-DAP v1" (64-byte interrupt reports) and
 *                     vendor bulk "CMSIS-DAP v2", product "DAPLink CMSIS-DAP";
 *   "rpi-debugprobe"  Raspberry Pi Debug Probe, debugprobe v2.3.x: 2e8a:000c,
 *                     vendor bulk "CMSIS-DAP v2 Interface" only.
 * vcmsisdap.c's header lists every behaviour and its source, and the bench
 * choices where the references are silent. */
#ifndef LF_BENCH_VCMSISDAP_H
#define LF_BENCH_VCMSISDAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/vprobe.h"

/* What a full request queue does with one more request. */
typedef enum lf_vcd_full {
  LF_VCD_FULL_DROP, /* the request is discarded, no response (reference HID, DAPLink) */
  LF_VCD_FULL_NAK,  /* the OUT is NAKed: the host's transfer times out (debugprobe) */
} lf_vcd_full;

/* A personality: USB identity, interfaces, firmware build values, clock. */
typedef struct lf_vcmsisdap_cfg {
  const char *name;
  uint16_t vid, pid, bcd_device;
  const char *manufacturer, *product;
  char serial[64];
  /* interfaces (0 = absent): HID v1 with interrupt endpoints, vendor bulk v2 */
  bool has_hid, has_bulk;
  uint8_t hid_iface, bulk_iface;
  const char *hid_name, *bulk_name;
  uint8_t hid_ep_out, hid_ep_in, bulk_ep_out, bulk_ep_in;
  /* firmware build (DAP_config.h) */
  unsigned packet_size;         /* DAP_PACKET_SIZE = Info 0xFF */
  unsigned packet_count;        /* Info 0xFE */
  unsigned buffers;             /* request buffers (>= packet_count) */
  const char *protocol_version; /* Info 0x04 */
  const char *product_fw;       /* Info 0x09, NULL = none */
  uint8_t caps[2];              /* Info 0xF0 */
  unsigned caps_len;
  uint32_t timer_hz;            /* Info 0xF1 and timestamps; 0 = none */
  bool execute_cmds;            /* 0x7F ExecuteCommands */
  bool queue_cmds_bulk;         /* 0x7E QueueCommands handled on the bulk interface */
  bool abort_hid, abort_bulk;   /* 0x07 intercepted in that interface's receive path */
  lf_vcd_full full_hid, full_bulk;
  /* SWCLK (cmsis-dap.md 6) */
  bool pio_clock;               /* debugprobe: PIO divider; else bit-banged with a ceiling */
  double cpu_hz;                /* CPU_CLOCK of the delay formula */
  double pio_hz;                /* PIO clk_sys */
  double swclk_max_hz;          /* bit-banged ceiling (0 = none) */
  double default_hz;            /* DAP_DEFAULT_SWJ_CLOCK */
} lf_vcmsisdap_cfg;

typedef struct lf_vcmsisdap lf_vcmsisdap;

/* Model-specific counters (the common ones: lf_vcmsisdap_counters_get). */
typedef struct lf_vcmsisdap_stats {
  uint64_t bulk_commands, hid_commands;  /* USB packets decoded per interface */
  uint64_t transfers;      /* DAP_Transfer requests + TransferBlock words executed */
  uint64_t swd_attempts;   /* SWD transactions issued by transfers (WAIT retries included) */
  uint64_t wait_retries;   /* of which retries after WAIT */
  uint64_t dropped;        /* requests discarded (queue full) */
  uint64_t naked;          /* OUTs NAKed until their timeout (queue full) */
  uint64_t invalid;        /* 1-byte 0xFF answers (unknown / unsupported command) */
  uint64_t protocol_errors; /* truncated requests, responses beyond the packet size */
  unsigned max_queued;     /* most requests buffered at once */
} lf_vcmsisdap_stats;

/* Fills a personality: "daplink", "rpi-debugprobe" (timings and counts from
 * the parameters). serial: the USB serial (NULL: the preset's own). */
int lf_vcmsisdap_cfg_preset(lf_vcmsisdap_cfg *cfg, const char *name, const lf_bench_params *p,
                            const char *serial);

/* env: clock, params, DAP, faults, NRST wiring (env->serial is not used:
 * cfg->serial is). */
lf_vcmsisdap *lf_vcmsisdap_new(const lf_vcmsisdap_cfg *cfg, const lf_vprobe_env *env);
void lf_vcmsisdap_free(lf_vcmsisdap *v);

/* USB entry points (vprobe.h semantics). */
int lf_vcmsisdap_out(lf_vcmsisdap *v, uint8_t ep, const uint8_t *data, size_t len, size_t *actual,
                     unsigned timeout_ms);
int lf_vcmsisdap_in(lf_vcmsisdap *v, uint8_t ep, uint8_t *buf, size_t len, size_t *actual,
                    unsigned timeout_ms, unsigned flags, uint64_t *done_ns);
bool lf_vcmsisdap_in_pending(const lf_vcmsisdap *v, uint8_t ep);
int lf_vcmsisdap_control(lf_vcmsisdap *v, uint8_t type, uint8_t req, uint16_t value,
                         uint16_t index, uint8_t *data, size_t len);
void lf_vcmsisdap_batch_begin(lf_vcmsisdap *v);
void lf_vcmsisdap_batch_end(lf_vcmsisdap *v);
/* Inside a batch: the next transfers were submitted at t_ns (a pipelined
 * host, lf_bench_usb_batch_submit). */
void lf_vcmsisdap_batch_submit(lf_vcmsisdap *v, uint64_t t_ns);
void lf_vcmsisdap_usb_reset(lf_vcmsisdap *v);

/* USB timing: a bulk transfer on its own (usb_fs_transfer_latency_ns + wire),
 * the packets alone (full speed, 64-byte packets). */
uint64_t lf_vcmsisdap_usb_ns(const lf_vcmsisdap *v, size_t len);
uint64_t lf_vcmsisdap_usb_wire_ns(const lf_vcmsisdap *v, size_t len);

/* The SWCLK this firmware produces for a DAP_SWJ_Clock request (Hz). */
double lf_vcmsisdap_swclk_for(const lf_vcmsisdap_cfg *cfg, const lf_bench_params *p, double request_hz);

const struct lf_bench_usb_info *lf_vcmsisdap_usb_info(const lf_vcmsisdap *v);
const lf_vprobe_counters *lf_vcmsisdap_counters_get(const lf_vcmsisdap *v);
const lf_vcmsisdap_stats *lf_vcmsisdap_stats_get(const lf_vcmsisdap *v);
const lf_vcmsisdap_cfg *lf_vcmsisdap_cfg_get(const lf_vcmsisdap *v);
/* LEDs of DAP_HostStatus: connected, running. */
void lf_vcmsisdap_leds(const lf_vcmsisdap *v, bool *connected, bool *running);

#endif
