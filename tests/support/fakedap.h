/* A fake CMSIS-DAP probe for tests, behind a test lf_usb backend (usb.h
 * lf_usb_backend): a small firmware written from the reference
 * (probe-protocols.md 3, ../shared/reference/cmsis-dap.md: DAP_Info,
 * Connect, TransferConfigure, Transfer with posted AP reads and the final
 * RDBUFF check, TransferBlock, WriteABORT, SWJ_Pins/Clock/Sequence,
 * SWD_Sequence, ResetTarget, ExecuteCommands), independent of the driver's
 * code. Its target
 * is a bench board's SW-DP (bench/dap.h), so memory, faults and WAIT are
 * real; without a board every wire access answers no ACK.
 *
 * The device is v1 (HID: interrupt endpoints, every report the full report
 * size), v2 (vendor class, bulk, exact lengths) or both (a composite device,
 * as DAPLink); the claimed interface decides. Like firmware it keeps Packet
 * Count request buffers and drops a request when all are full (DAPLink);
 * it counts what a real probe would choke on (dropped requests, malformed
 * HID frames, transfers that would need a zero-length packet). Replies can
 * be mangled and wire acks forced to test the driver's error paths. */
#ifndef LF_TESTS_FAKEDAP_H
#define LF_TESTS_FAKEDAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/bench.h"
#include "usb/usb.h"

typedef struct lf_fake_iface {
  uint8_t number, cls;  /* 0xFF vendor, 0x03 HID, 0x08 MSC ... */
  const char *name;
  uint8_t ep_out, ep_in;
  bool interrupt;
} lf_fake_iface;

typedef struct lf_fake_dap_cfg {
  uint16_t vid, pid;
  const char *manufacturer, *product, *serial; /* USB strings */
  lf_fake_iface ifaces[4];
  unsigned nifaces;
  unsigned max_packet;    /* wMaxPacketSize of every endpoint (64) */
  unsigned report;        /* HID report bytes (0 = max_packet) */
  unsigned packet_size;   /* Info 0xFF, also the firmware's limit (64) */
  unsigned packet_count;  /* Info 0xFE, also its request buffers (4) */
  uint8_t caps;           /* Info 0xF0 (0x11: SWD, atomic commands) */
  const char *protocol, *firmware, *info_vendor, *info_product, *info_serial; /* Info strings */
  bool reset_sequence;    /* DAP_ResetTarget has a device-specific sequence */
  bool no_execute;        /* DAP_ExecuteCommands (0x7F) answered 0xFF although caps say
                             atomic commands (debugprobe's HID build) */
  lf_bench_board *board;  /* the target; NULL = none (no ACK) */
} lf_fake_dap_cfg;

/* A DAPLink-like composite (MSC 0, CDC 1/2, HID 3 "CMSIS-DAP v1", vendor 4
 * "CMSIS-DAP v2"), 0d28:0204, 64-byte packets, count 4. */
void lf_fake_dap_cfg_daplink(lf_fake_dap_cfg *c);
/* A Raspberry Pi Debug Probe-like v2 device (interface 0 "CMSIS-DAP v2
 * Interface", OUT 0x04, IN 0x85), 2e8a:000c, 64-byte packets, count 2. */
void lf_fake_dap_cfg_debugprobe(lf_fake_dap_cfg *c);
/* An old DAPLink: HID only, interface 3 "CMSIS-DAP", OUT 0x01 IN 0x81. */
void lf_fake_dap_cfg_hid_only(lf_fake_dap_cfg *c);

typedef struct lf_fake_dap lf_fake_dap;

lf_fake_dap *lf_fake_dap_new(const lf_fake_dap_cfg *cfg);
void lf_fake_dap_free(lf_fake_dap *f);

/* A backend whose devices are the fakes (borrowed), at "fake:<n>". */
int lf_fake_usb_new(lf_session *s, lf_fake_dap *const *devs, size_t n, lf_usb_ctx **out);

typedef enum lf_fake_mangle {
  LF_FAKE_GARBAGE = 1, /* the command byte kept, every other byte 0xA5 */
  LF_FAKE_SHORT,       /* the command byte only */
  LF_FAKE_WRONG_ID,    /* the command byte with bit 7 flipped */
  LF_FAKE_SILENT,      /* executed, no reply */
  LF_FAKE_NOT_IMPL,    /* 0xFF alone, as for an unknown command */
  LF_FAKE_LONG,        /* 8 zero bytes more */
} lf_fake_mangle;

/* The reply to the nth (0 = next) command with ID cmd is mangled. */
void lf_fake_dap_mangle(lf_fake_dap *f, uint8_t cmd, unsigned nth, lf_fake_mangle how);
/* After `after` more wire accesses (WAIT retries count), the next n answer
 * ack without reaching the target. */
void lf_fake_dap_force_ack(lf_fake_dap *f, unsigned after, uint8_t ack, unsigned n);

typedef struct lf_fake_dap_state {
  int iface;                  /* claimed interface, -1 = none */
  unsigned port;              /* 0 = disconnected, 1 = SWD */
  uint32_t clock_hz;
  uint8_t idle;
  uint16_t wait_retry, match_retry;
  uint8_t swd_cfg;
  bool nreset_low;
  bool nreset_low_at_sequence; /* at the last SWJ_Sequence */
  bool led_connect;
  bool targetsel_seen, targetsel_parity_ok;
  uint32_t targetsel;
  unsigned aborts;            /* DAP_WriteABORT commands */
  uint32_t last_abort;
  unsigned commands[256];     /* by ID */
  unsigned batches;
  unsigned wire;              /* SWD accesses (WAIT retries included) */
  unsigned max_pending;       /* most replies queued at once */
  unsigned dropped;           /* requests dropped: all buffers full */
  unsigned bad_frames;        /* HID OUT not a full report, bulk OUT longer than a packet */
  unsigned zlp_needed;        /* transfers a real device would end only with a ZLP */
  unsigned last_timeout_ms;
  unsigned max_timeout_ms;    /* since the last lf_fake_dap_clear_log */
} lf_fake_dap_state;

const lf_fake_dap_state *lf_fake_dap_state_get(const lf_fake_dap *f);
/* Requests received since the last clear (v1: whole reports); clearing
 * also resets max_timeout_ms. */
size_t lf_fake_dap_nlog(const lf_fake_dap *f);
const uint8_t *lf_fake_dap_log(const lf_fake_dap *f, size_t i, size_t *len);
void lf_fake_dap_clear_log(lf_fake_dap *f);
/* Command j of request i: inside a DAP_ExecuteCommands packet its jth
 * command, else the request itself (j = 0); NULL when there is none. */
const uint8_t *lf_fake_dap_command(const lf_fake_dap *f, size_t i, size_t j, size_t *len);

#endif
