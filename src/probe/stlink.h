/* ST-LINK V2 / V2-1 / V3 driver (probe.h vtable) and its testable pieces. */
#ifndef LF_PROBE_STLINK_H
#define LF_PROBE_STLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"
#include "usb/usb.h"

/* probe-protocols.md 1.1: every ST-Link PID this driver drives (loaders and
 * V1 are not in it). */
extern const lf_usb_match lf_stlink_usb_ids[];
extern const size_t lf_stlink_usb_nids;

typedef struct lf_stlink_version {
  uint8_t hw;        /* 2 = V2/V2-1, 3 = V3, 4 = V3PWR */
  uint8_t jtag;      /* the "J" number every feature gate uses */
  uint8_t swim, msc, bridge, power;
  uint16_t vid, pid;
} lf_stlink_version;

/* probe-protocols.md 1.4: GET_VERSION (6 B) reply; *need_ex set when the
 * host must ask GET_VERSION_EX (HW >= 3 with zero J/S fields). */
void lf_stlink_decode_version(const uint8_t r[6], lf_stlink_version *v, bool *need_ex);
/* GET_VERSION_EX (12 B) reply. */
void lf_stlink_decode_version_ex(const uint8_t r[12], lf_stlink_version *v);
/* "V2J37M26", "V3J7M3B5" */
void lf_stlink_version_string(const lf_stlink_version *v, char *buf, size_t len);

/* Firmware features gated by version (probe-protocols.md 1.12). */
typedef enum lf_stlink_feature {
  LF_STF_VOLTAGE,      /* GET_TARGET_VOLTAGE, trace */
  LF_STF_RWSTATUS2,    /* GETLASTRWSTATUS2 with fault address */
  LF_STF_SWD_FREQ,     /* V2 SWD_SET_FREQ */
  LF_STF_COM_FREQ,     /* V3 SET/GET_COM_FREQ */
  LF_STF_DAP_REG,      /* READ/WRITE_DAP_REG */
  LF_STF_MEM16,        /* 16-bit memory commands */
  LF_STF_INIT_AP,      /* INIT_AP, AP number in memory commands */
  LF_STF_DP_BANK,      /* banked DP registers, CSW in memory commands */
  LF_STF_RW8_512,      /* 8-bit transfers up to 512 bytes */
  LF_STF_N
} lf_stlink_feature;

bool lf_stlink_has(const lf_stlink_version *v, lf_stlink_feature f);
/* "V2J22" / "V3J2": the oldest firmware with the feature for v's hardware,
 * or "no firmware" when this hardware never has it. */
void lf_stlink_needed(const lf_stlink_version *v, lf_stlink_feature f, char *buf, size_t len);
const char *lf_stlink_feature_name(lf_stlink_feature f);

/* V2 SWD divisor for the fastest nominal frequency not above hz
 * (probe-protocols.md 1.10). Returns -1 when hz is below the slowest. */
int lf_stlink_v2_swd_divisor(uint32_t hz, uint16_t *div, uint32_t *actual_hz);

/* ---- memory chunk planner (probe-protocols.md 1.7, 1.14 Q1-Q6) ---- */
typedef struct lf_stlink_limits {
  uint32_t max32;      /* 6144: 16/32-bit commands */
  uint32_t max8;       /* 64 (full-speed) or 512 (V3 >= J6) */
  uint32_t block;      /* TAR auto-increment block: 1024 */
  bool has16;
} lf_stlink_limits;

typedef struct lf_stlink_chunk {
  uint32_t addr;
  uint32_t len;        /* bytes */
  uint8_t width;       /* 1, 2 or 4 */
} lf_stlink_chunk;

/* Splits [addr, addr+len) into commands: width 0 = automatic (8-bit head up
 * to 4-byte alignment, 32-bit body, 8-bit tail); width 1/2/4 = that access
 * size only (2/4 need aligned addr and len). No chunk crosses a `block`
 * boundary or exceeds the size limit. Writes up to `max` chunks and returns
 * how many are needed (call with max 0 to count), or -1 for a width that
 * does not fit the alignment / firmware (no 16-bit). */
long lf_stlink_plan(uint32_t addr, size_t len, unsigned width, const lf_stlink_limits *lim,
                    lf_stlink_chunk *out, size_t max);

/* ---- driver ---- */

/* Opens the probe on an already-open USB device (takes ownership of it,
 * also on failure): reads the version, leaves DFU/SWIM/debug mode. The
 * probe's read depth (lf_probe_ops.set_read_depth) is 1..LF_STLINK_MAX_DEPTH
 * read commands per USB batch (default 1): depth 8 reads 8 KiB of RAM per
 * round trip. Reads past a faulting command in the same batch still happen
 * on the wire (their data is discarded). */
int lf_stlink_open(lf_session *s, lf_usb_dev *usb, lf_probe **out);
/* For the registry: version and (when the firmware has it) voltage. */
int lf_stlink_describe(lf_session *s, lf_usb_dev *usb, lf_probe_entry *e);

/* The firmware version of an ST-Link probe (p must be one: tests and the
 * driver's own helpers only). */
const lf_stlink_version *lf_stlink_version_get(const lf_probe *p);

#define LF_STLINK_MAX_DEPTH 16

/* Command block builders (16 bytes, unused bytes zero). */
void lf_stlink_cmd_mem(uint8_t cmd[16], uint8_t sub, uint32_t addr, uint16_t len, uint8_t ap,
                       uint32_t csw_hi);
void lf_stlink_cmd_dap(uint8_t cmd[16], bool write, uint16_t port, uint16_t addr, uint32_t val);

#endif
