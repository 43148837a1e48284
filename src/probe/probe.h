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
} lf_probe_info;

typedef struct lf_probe lf_probe;

typedef struct lf_probe_ops {
  /* Actual SWD clock chosen: the nearest supported frequency not above hz. */
  int (*set_clock)(lf_probe *p, uint32_t hz, uint32_t *actual_hz);
  /* Enter SWD and bring the DP up; the target is reachable after this. */
  int (*connect)(lf_probe *p, lf_connect_mode mode);
  /* Leave debug mode (the probe's own exit; DP power-down is the arm layer's). */
  int (*disconnect)(lf_probe *p);
  /* DP register: addr bits 3:2 = register, bits 7:4 = DP bank. */
  int (*dp_read)(lf_probe *p, uint8_t addr, uint32_t *val);
  int (*dp_write)(lf_probe *p, uint8_t addr, uint32_t val);
  int (*ap_read)(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t *val);
  int (*ap_write)(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t val);
  /* Target memory through MEM-AP `ap`. Any address/length: the driver splits
   * into what the probe accepts (sizes, alignment, 1 KiB TAR blocks). A bus
   * fault is LF_EFAULT with the faulting address in the message. */
  int (*mem_read)(lf_probe *p, uint8_t ap, uint32_t addr, void *buf, size_t len);
  int (*mem_write)(lf_probe *p, uint8_t ap, uint32_t addr, const void *buf, size_t len);
  /* One 32-bit word, the cheapest way the probe has (ST-Link: one round trip). */
  int (*read32)(lf_probe *p, uint8_t ap, uint32_t addr, uint32_t *val);
  int (*write32)(lf_probe *p, uint8_t ap, uint32_t addr, uint32_t val);
  int (*set_nrst)(lf_probe *p, bool asserted);
  /* Volts, or LF_ENOTSUP. */
  int (*target_voltage)(lf_probe *p, double *volts);
  void (*close)(lf_probe *p);
  /* The probe's time base in ns (deadlines of the arm layer): the bench's
   * virtual clock on the bench transport, else CLOCK_MONOTONIC. NULL: the
   * caller uses CLOCK_MONOTONIC. */
  uint64_t (*now_ns)(lf_probe *p);
  /* LF_PROBE_CAP_* */
  unsigned caps;
} lf_probe_ops;

/* ap_read/ap_write are single raw AP transactions at addr bits 3:2 with the
 * SELECT the host wrote (the arm layer caches SELECT, CSW, TAR and drives the
 * MEM-AP itself); mem_* and read32/write32 may be NULL. Without the flag the
 * probe selects the AP itself (ST-Link). */
#define LF_PROBE_CAP_RAW_DAP 0x1u

struct lf_probe {
  const lf_probe_ops *ops;
  lf_session *s;
  lf_probe_info info;
};

/* Calls through the vtable (NULL-safe close). */
static inline void lf_probe_close(lf_probe *p)
{
  if (p)
    p->ops->close(p);
}

/* ---- probe registry (probe.c): list probes and open one by selector ---- */
struct lf_usb_ctx;

/* Empty/negative fields are "not given"; the first given of location,
 * serial (full or unique prefix), index wins. kind restricts to one driver
 * ("stlink"); index counts among the probes of that kind. */
typedef struct lf_probe_selector {
  const char *serial;
  int index;            /* -1 = not given */
  const char *location;
  const char *kind;     /* NULL = any */
} lf_probe_selector;

typedef struct lf_probe_entry {
  lf_probe_info info;
  bool has_voltage;
  double voltage;       /* target volts, when cheap to read */
  char note[192];       /* why firmware/voltage are missing (access denied, busy) */
} lf_probe_entry;

/* Every known probe on the backend. *out is malloc'ed (free()). */
int lf_probe_list(lf_session *s, struct lf_usb_ctx *usb, lf_probe_entry **out, size_t *n);
int lf_probe_open(lf_session *s, struct lf_usb_ctx *usb, const lf_probe_selector *sel,
                  lf_probe **out);
/* Kinds the registry knows, NULL-terminated. */
const char *const *lf_probe_kinds(void);

#endif
