/* A debug probe behind one vtable. A driver knows its wire protocol and its
 * limits (transfer sizes, alignment, firmware features), nothing about flash.
 * Every function returns 0 or a negative LF_E* code with a message recorded
 * in the session (core/session.h) that names the probe and the operation. */
#ifndef LF_PROBE_PROBE_H
#define LF_PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"
#include "usb/usb.h"

typedef enum lf_connect_mode {
  LF_CONNECT_NORMAL = 0,
  LF_CONNECT_UNDER_RESET = 1, /* NRST held low across the SWD connect */
} lf_connect_mode;

typedef struct lf_probe_info {
  char kind[16];          /* "stlink" */
  char product[64];       /* "ST-LINK/V2-1" */
  char serial[64];
  char firmware[32];      /* "V2J37M26" */
  uint16_t vid, pid;
  char location[32];      /* "bench:1" or "usb:1-4.2" */
  char detail[64];        /* free-form, for listings: "v2 bulk, 4 x 64-byte packets" or "" */
} lf_probe_info;

typedef struct lf_probe lf_probe;

/* One step of a raw DAP transaction run (lf_probe_ops.dap_run): `count`
 * accesses of one DP or AP register (addr bits 3:2; an AP register of the AP
 * and bank the host's SELECT names). count > 1 is a block: DRW repeated
 * while TAR auto-increments. data holds count words: read into, or written
 * from. done is set by the probe: the accesses of this op completed (count
 * for every op before a failure, 0 after it); on a FAULT, an AP access whose
 * bus error the next access reported (posted reads and writes) is not done,
 * so the failed access of a DRW block is at its first address + done x
 * size. */
typedef struct lf_dap_op {
  bool ap;
  bool read;
  uint8_t addr;
  uint32_t count;
  uint32_t *data;
  uint32_t done;
} lf_dap_op;

/* Counters every driver keeps (the transport counts USB traffic itself:
 * lf_usb_dev_stats on lf_probe.usb). */
typedef struct lf_probe_stats {
  uint64_t commands;      /* wire commands sent */
  uint64_t round_trips;   /* USB batches */
  uint64_t mem_commands;  /* native memory commands (0 on raw-DAP probes) */
  uint64_t mem_round_trips; /* round trips carrying one or more of them */
  uint64_t bytes_read, bytes_written; /* target memory bytes moved natively */
} lf_probe_stats;

typedef struct lf_probe_ops {
  /* Actual SWD clock chosen: the nearest supported frequency not above hz
   * (with LF_PROBE_CAP_CLOCK_REQUESTED: hz itself, all the probe tells). */
  int (*set_clock)(lf_probe *p, uint32_t hz, uint32_t *actual_hz);
  /* Enter SWD and bring the DP up; the target is reachable after this. A
   * driver whose connect reads DPIDR anyway stores it in p->dpidr (the arm
   * layer then does not read it again). */
  int (*connect)(lf_probe *p, lf_connect_mode mode);
  /* Optional: SWD multidrop (the RP2040's DPs, dormant at power-on). A
   * TARGETSEL value != 0: the next connects wake the wire from dormant and
   * select that DP; 0: a single-drop target (the default). NULL: the probe
   * cannot send TARGETSEL (its caller says so). */
  int (*set_targetsel)(lf_probe *p, uint32_t targetsel);
  /* Leave debug mode (the probe's own exit; DP power-down is the arm layer's). */
  int (*disconnect)(lf_probe *p);
  /* DP register: addr bits 3:2 = register, bits 7:4 = DP bank. May be NULL
   * (old firmware without register access: the arm layer then leaves DP
   * power to the probe). */
  int (*dp_read)(lf_probe *p, uint8_t addr, uint32_t *val);
  int (*dp_write)(lf_probe *p, uint8_t addr, uint32_t val);
  int (*ap_read)(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t *val);
  int (*ap_write)(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t val);
  /* Optional, raw-DAP probes: ops[0..n) in order, as one unit, packed into
   * as few wire commands and USB round trips as the probe allows (CMSIS-DAP:
   * DAP_Transfer and DAP_TransferBlock packets, Packet Count of them in
   * flight). Same semantics as the single calls above one after the other
   * (a DP write to ABORT included), but stops at the first failing access:
   * its error is returned (message naming the register and the ack), the
   * ops' done counts say how far it got, read data of the failed op and
   * later ones is unspecified. src/arm/adi.c builds every raw access
   * (SELECT, CSW, TAR, DRW runs up to a 1 KiB TAR block, several blocks) as
   * such a run when the probe has it, else calls the single ones. */
  int (*dap_run)(lf_probe *p, lf_dap_op *ops, size_t n);
  /* Optional, with dap_run: the same run, posted: the probe may return
   * before it has answered (its packets in flight, or kept to share a
   * packet with what comes next), so a run that follows never waits for a
   * round trip of this one. Writes are copied; a read's data lands in its
   * buffer, which must stay valid until the next dap_run or dap_flush
   * returns. Done counts are not set. Posted runs go to the target in
   * order, before anything asked later, and no later than the next call
   * on the probe. A posted run's failure is returned by the next dap_run
   * or dap_flush (its message names the access, "posted earlier"; the
   * accesses after it are then not done either). NULL: callers use
   * dap_run. */
  int (*dap_post)(lf_probe *p, lf_dap_op *ops, size_t n);
  /* Waits for every posted run: 0, or the first failure among them. */
  int (*dap_flush)(lf_probe *p);
  /* Native memory through MEM-AP `ap`, for probes whose firmware runs the
   * MEM-AP itself (ST-Link). width 0: the driver's choice (bytes up to
   * 4-byte alignment, 32-bit body, bytes after); 1, 2 or 4: every access
   * exactly that wide (addr and len multiples of it, checked by the arm
   * layer). Any address/length: the driver splits into what the probe
   * accepts (sizes, 1 KiB TAR blocks). A bus fault is LF_EFAULT with the
   * faulting address in the message. NULL on raw-DAP probes
   * (LF_PROBE_CAP_RAW_DAP): src/arm then builds memory access from
   * ap_read/ap_write. Nothing above src/arm calls these directly. */
  int (*mem_read)(lf_probe *p, uint8_t ap, uint32_t addr, void *buf, size_t len, unsigned width);
  int (*mem_write)(lf_probe *p, uint8_t ap, uint32_t addr, const void *buf, size_t len,
                   unsigned width);
  /* One aligned 32-bit word, the cheapest way the probe has (ST-Link: one
   * round trip). NULL: mem_read/mem_write with width 4. */
  int (*read32)(lf_probe *p, uint8_t ap, uint32_t addr, uint32_t *val);
  int (*write32)(lf_probe *p, uint8_t ap, uint32_t addr, uint32_t val);
  /* Optional: write32 of wval at waddr, then mem_write of buf, queued in
   * one submission (ST-Link: one round trip instead of two). The word is
   * written first, whatever the memory write does after it; an error names
   * the first that failed. NULL: the two calls. */
  int (*write32_mem)(lf_probe *p, uint8_t ap, uint32_t waddr, uint32_t wval, uint32_t addr,
                     const void *buf, size_t len, unsigned width);
  int (*set_nrst)(lf_probe *p, bool asserted);
  /* Optional: a core register (DCRSR REGSEL) of the core behind AP 0 written
   * the probe's way, in one round trip (ST-Link WRITEREG: the firmware
   * writes DCRDR and DCRSR and polls DHCSR.S_REGRDY); the core must be
   * halted. NULL: src/arm writes DCRDR and DCRSR and reads DHCSR itself. */
  int (*write_core_reg)(lf_probe *p, unsigned regsel, uint32_t val);
  /* Optional: core registers (as write_core_reg), then words on AP 0, in
   * this order and in one round trip (ST-Link: WRITEREG x nregs, then
   * WRITEDEBUGREG x nwords, one submission; every one is sent, the first
   * failing one is the error: *failed = its index, registers first).
   * NULL: write_core_reg per register and the words one by one. */
  int (*write_core_regs_then)(lf_probe *p, const unsigned *regsel, const uint32_t *vals, size_t nregs,
                              const uint32_t *waddr, const uint32_t *wvals, size_t nwords,
                              size_t *failed);
  /* Volts, or LF_ENOTSUP. */
  int (*target_voltage)(lf_probe *p, double *volts);
  void (*close)(lf_probe *p);
  /* Read commands the driver may pipeline per USB round trip (a tuning
   * knob, 1 = none). NULL: the probe has no such knob. */
  void (*set_read_depth)(lf_probe *p, unsigned depth);
  /* The probe's time base in ns. NULL (every USB driver): the transport's,
   * lf_usb_now_ns(p->usb) (bench virtual time on the bench transport). Only
   * probes without a USB device (test doubles) set it. */
  uint64_t (*now_ns)(lf_probe *p);
  /* LF_PROBE_CAP_* */
  unsigned caps;
} lf_probe_ops;

/* ap_read/ap_write are single raw AP transactions at addr bits 3:2 with the
 * SELECT the host wrote (the arm layer caches SELECT, CSW, TAR and drives the
 * MEM-AP itself; dap_run, when present, takes whole runs of them); mem_* and
 * read32/write32 are NULL. Without the flag the probe selects the AP itself
 * (ST-Link) and offers native memory. */
#define LF_PROBE_CAP_RAW_DAP 0x1u
/* set_clock's actual_hz is the request: the probe runs at most that and
 * never says how much less (CMSIS-DAP, cmsis-dap.md 2.3); callers show it as
 * the clock requested, not the one produced. */
#define LF_PROBE_CAP_CLOCK_REQUESTED 0x2u

struct lf_probe {
  const lf_probe_ops *ops;
  lf_session *s;
  lf_probe_info info;
  lf_usb_dev *usb;         /* the transport (NULL for test doubles) */
  uint32_t dpidr;          /* DPIDR read by the last connect, 0 = not read */
  lf_probe_stats st;
};

/* Calls through the vtable (NULL-safe close). */
static inline void lf_probe_close(lf_probe *p)
{
  if (p)
    p->ops->close(p);
}

/* The probe's time base (see lf_probe_ops.now_ns). */
uint64_t lf_probe_now_ns(lf_probe *p);

/* ---- probe registry (probe.c): list probes and open one by selector ----
 *
 * One row per driver kind says how it finds its devices: VID/PID rows or a
 * substring of the USB interface name ("CMSIS-DAP") with the interface
 * class, and per row the interface to claim and how its endpoints move data
 * (a device is taken under the first row it matches: list the preferred
 * interface first). A new kind is one driver file and
 * one row; nothing outside src/probe asks which kind a probe is. */

/* Empty/negative fields are "not given"; the first given of location,
 * serial (full or unique prefix), index wins. kind restricts to one driver
 * ("stlink"); index counts among the probes of that kind. */
typedef struct lf_probe_selector {
  const char *serial;
  int index;            /* -1 = not given */
  const char *location;
  const char *kind;     /* NULL = any */
  const char *transport; /* NULL = the driver's first matching row; "bulk" or "hid" (a
                            CMSIS-DAP device with both interfaces used as v1) */
} lf_probe_selector;

typedef struct lf_probe_entry {
  lf_probe_info info;
  bool has_voltage;
  double voltage;       /* target volts, when cheap to read */
  char note[192];       /* why firmware/voltage are missing (access denied, busy) */
} lf_probe_entry;

/* Every known probe on the backend. *out is malloc'ed (free()). */
int lf_probe_list(lf_session *s, lf_usb_ctx *usb, lf_probe_entry **out, size_t *n);
int lf_probe_open(lf_session *s, lf_usb_ctx *usb, const lf_probe_selector *sel,
                  lf_probe **out);
/* Kinds the registry knows, NULL-terminated. */
const char *const *lf_probe_kinds(void);

/* A registry row as data (for listings, udev rules and tests); each match
 * row carries its interface (-1: the one whose name matched) and transfer
 * type. */
typedef struct lf_probe_driver_info {
  const char *kind;
  const lf_usb_match *match;
  size_t nmatch;
} lf_probe_driver_info;
/* Row i of the registry (false past the end). */
bool lf_probe_driver_get(size_t i, lf_probe_driver_info *out);

#endif
