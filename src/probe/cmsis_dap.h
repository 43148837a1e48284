/* CMSIS-DAP v1 (HID) and v2 (bulk) driver (probe.h vtable, raw DAP) and its
 * testable pieces. References: probe-protocols.md 3 and 4,
 * ../shared/reference/cmsis-dap.md. */
#ifndef LF_PROBE_CMSIS_DAP_H
#define LF_PROBE_CMSIS_DAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"
#include "usb/usb.h"

/* Registry rows: an interface whose name contains "CMSIS-DAP", the vendor
 * (bulk, v2) one before the HID (interrupt, v1) one, so a device offering
 * both is used as v2 (cmsis-dap.md 0, 1.2). */
extern const lf_usb_match lf_cmsis_dap_usb_match[];
extern const size_t lf_cmsis_dap_usb_nmatch;

/* Command IDs (probe-protocols.md 3.2) */
enum {
  LF_DAP_INFO = 0x00,
  LF_DAP_HOST_STATUS = 0x01,
  LF_DAP_CONNECT = 0x02,
  LF_DAP_DISCONNECT = 0x03,
  LF_DAP_TRANSFER_CONFIGURE = 0x04,
  LF_DAP_TRANSFER = 0x05,
  LF_DAP_TRANSFER_BLOCK = 0x06,
  LF_DAP_WRITE_ABORT = 0x08,
  LF_DAP_RESET_TARGET = 0x0A,
  LF_DAP_SWJ_PINS = 0x10,
  LF_DAP_SWJ_CLOCK = 0x11,
  LF_DAP_SWJ_SEQUENCE = 0x12,
  LF_DAP_SWD_CONFIGURE = 0x13,
  LF_DAP_SWD_SEQUENCE = 0x1D,
};

/* Settings a session may change (lf_cmsis_dap_configure). */
typedef struct lf_cmsis_dap_cfg {
  uint8_t idle_cycles;     /* DAP_TransferConfigure: idle cycles after each transfer (0) */
  uint16_t wait_retry;     /* WAIT retries the probe makes per access (100, the firmware's
                              power-on default; cmsis-dap.md 2.3) */
  uint16_t match_retry;    /* value-match retries (0) */
  bool multidrop;          /* connect: dormant wake-up and TARGETSEL (SWD multidrop, RP2040) */
  uint32_t targetsel;      /* TARGETSEL value: TARGETID[27:0] | instance << 28
                              (RP2040 core 0: 0x01002927, core 1: 0x11002927) */
  unsigned timeout_ms;     /* per USB round trip (1000) */
  unsigned max_inflight;   /* packets in flight, at most the probe's Packet Count (0 = that) */
} lf_cmsis_dap_cfg;

void lf_cmsis_dap_cfg_default(lf_cmsis_dap_cfg *cfg);

/* What the probe told at open (DAP_Info) and how it is driven. */
typedef struct lf_cmsis_dap_info {
  bool v1;                 /* HID reports on interrupt endpoints; else v2 bulk */
  int iface;               /* the claimed interface */
  uint8_t ep_out, ep_in;
  unsigned report;         /* v1: bytes of every OUT and IN report */
  unsigned packet_size;    /* Info 0xFF */
  unsigned packet_count;   /* Info 0xFE */
  unsigned inflight;       /* packets sent before the first reply is read */
  uint16_t caps;           /* Info 0xF0 (bit 0 SWD, bit 1 JTAG, ...) */
  char vendor[64], product[64], serial[64];
  char protocol[16];       /* Info 0x04: CMSIS-DAP protocol version, "2.1.0" */
  char firmware[32];       /* Info 0x09 (product firmware version, v2.1+), may be "" */
} lf_cmsis_dap_info;

/* p must be a CMSIS-DAP probe (lf_cmsis_dap_is). */
bool lf_cmsis_dap_is(const lf_probe *p);
const lf_cmsis_dap_info *lf_cmsis_dap_info_get(const lf_probe *p);
/* Takes effect at the next connect (retries, TARGETSEL) or at once
 * (timeout, packets in flight). LF_EINVAL for a zero timeout. */
int lf_cmsis_dap_configure(lf_probe *p, const lf_cmsis_dap_cfg *cfg);
const lf_cmsis_dap_cfg *lf_cmsis_dap_cfg_get(const lf_probe *p);

/* DAP_ResetTarget: the probe's device-specific reset sequence; *executed =
 * whether it has one (the reply's execute byte). Not on the vtable (NRST is
 * set_nrst, DAP_SWJ_Pins). */
int lf_cmsis_dap_reset_target(lf_probe *p, bool *executed);

/* ---- wire encodings (probe-protocols.md 3.5, 4.2) ---- */

/* Transfer request byte: APnDP, RnW, A[3:2]. */
uint8_t lf_cmsis_dap_request(bool ap, bool read, uint8_t addr);
/* The DAP_SWD_Sequence command that writes TARGETSEL (cmsis-dap.md 4): 8
 * request bits, 5 undriven ACK cycles captured, 32 data bits + parity. */
void lf_cmsis_dap_targetsel_cmd(uint8_t cmd[11], uint32_t targetsel);

/* SWJ sequences, LSB first (probe-protocols.md 4.2). */
extern const uint8_t lf_cmsis_dap_seq_jtag_to_swd[17];      /* 136 bits, ends in a line reset */
extern const uint8_t lf_cmsis_dap_seq_jtag_to_dormant[5];   /* 40 bits */
extern const uint8_t lf_cmsis_dap_seq_dormant_to_swd[28];   /* 224 bits, ends in a line reset */

/* ---- driver ---- */

/* Opens the probe on an already-open USB device (takes ownership of it,
 * also on failure): finds the endpoints of the claimed interface, reads
 * DAP_Info (Packet Count first, alone; then Packet Size and capabilities;
 * then the strings). */
int lf_cmsis_dap_open(lf_session *s, lf_usb_dev *usb, lf_probe **out);
/* For the registry: the same DAP_Info reads, filling e->info. */
int lf_cmsis_dap_describe(lf_session *s, lf_usb_dev *usb, lf_probe_entry *e);

#endif
