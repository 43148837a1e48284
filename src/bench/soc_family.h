/* Private to the SoC models: what a SoC family implements behind soc.h.
 * soc.c is the dispatch layer: it owns struct lf_soc (the family's ops,
 * its state, its identity, the counters and the GPIO observer) and finds
 * a part in the registry of families (the table in soc.c). Callers only
 * see soc.h; a family is one file (soc_<family>.c) exporting one
 * lf_soc_family, plus its row in that registry.
 *
 * Ops take the family's own state (`self`, what create returned). Required:
 * part_name, create, destroy, access. Any other op may be NULL; soc.h says
 * what a SoC without it does (no reset side effects, the clock after reset,
 * boot at 0, no read protection, peek through the regions, no state file,
 * memories keep their content on power loss, fixed unique ID, no
 * watchdog, no debug APB). */
#ifndef LF_BENCH_SOC_FAMILY_H
#define LF_BENCH_SOC_FAMILY_H

#include "bench/soc.h"

/* The board's GPIO observer (lf_soc_set_gpio_cb); fn is NULL until set. */
typedef struct lf_soc_gpio_obs {
  lf_soc_gpio_fn fn;
  void *ctx;
} lf_soc_gpio_obs;

/* What soc.c hands a family at create; every pointer outlives the SoC. */
typedef struct lf_soc_env {
  const lf_bench_params *p;
  lf_faults *faults;              /* NULL = no fault injection */
  lf_soc_counters *c;             /* zeroed; the family adds to them (soc.c counts bus errors) */
  const lf_soc_gpio_obs *gpio;    /* read at every output change: the board sets it later */
} lf_soc_env;

/* Fixed for the SoC's life; create fills it. */
typedef struct lf_soc_info {
  const char *part;               /* the name as the family lists it */
  uint32_t idcode;                /* vendor device id the core's vendor ROM table shows
                                     (STM32: DBGMCU_IDCODE); 0 = the core model's default */
  uint32_t cpuid;                 /* SCB CPUID: selects the core model (cortexm.h) */
  uint32_t dpidr, targetid, ap_idr, ap_base; /* lf_soc_debug_ids */
  const lf_soc_region *regions;   /* owned by the family; only `blocked` may change */
  size_t nregions;
  lf_soc_ap aps[LF_SOC_MAX_APS - 1]; /* APSEL 1, 2, 3 (zeroed: none) */
  const lf_cs_ident *core_rom;    /* lf_soc_core_rom; NULL = the core profile's */
  size_t ncore_rom;
  lf_soc_multidrop md;            /* lf_soc_debug_multidrop (zeroed: single drop, one core) */
} lf_soc_info;

typedef struct lf_soc_family {
  const char *name;               /* "stm32" (messages, README) */
  /* i-th part name, NULL past the last: lf_soc_new's lookup and its
   * unknown-part message. */
  const char *(*part_name)(size_t i);
  /* part is one of part_name's. NULL with err on failure. The SoC is in
   * its power-on state on return. */
  void *(*create)(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                  size_t errlen);
  void (*destroy)(void *self);
  /* lf_soc_access; soc.c checks nothing before and counts LF_BUS_ERR after. */
  int (*access)(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                uint32_t *val, uint64_t *t_ns);

  /* Optional (NULL: the default soc.h documents). */
  void (*reset)(void *self, lf_soc_reset_kind kind, uint64_t t_ns);
  double (*sysclk_hz)(const void *self);
  uint32_t (*boot_address)(const void *self);
  int (*rdp_level)(const void *self);
  bool (*flash_locked)(const void *self);
  void (*debug_connected)(void *self);
  /* One byte of lf_soc_peek; false where the SoC has nothing to show. */
  bool (*peek_byte)(const void *self, uint32_t addr, uint8_t *out);
  int (*save_state)(const void *self, FILE *f, char *err, size_t errlen);
  int (*load_state)(void *self, FILE *f, char *err, size_t errlen);
  void (*power_loss)(void *self, uint64_t t_ns);
  void (*set_uid)(void *self, uint64_t seed);
  uint64_t (*watchdog_deadline)(const void *self);
  /* lf_soc_debug_apb_access (for parts with an LF_SOC_AP_DEBUG_APB AP). */
  int (*debug_apb_access)(void *self, uint32_t addr, unsigned size, bool write, uint32_t *val,
                          uint64_t *t_ns);
  /* lf_soc_debug_rescue (parts with a rescue DP). */
  void (*debug_rescue)(void *self, uint32_t ctrl, uint64_t t_ns);
  /* lf_soc_ctrl_ap_access, lf_soc_ahb_ap_locked, lf_soc_reset_held (parts
   * with an LF_SOC_AP_CTRL AP and access-port protection: nRF52). */
  int (*ctrl_ap_access)(void *self, unsigned apsel, uint8_t reg, bool write, uint32_t *val,
                        uint64_t t_ns);
  bool (*ahb_ap_locked)(const void *self, uint64_t t_ns);
  bool (*reset_held)(const void *self);
  /* lf_soc_pin_reset (nRF52: UICR.PSELRESET). */
  bool (*pin_reset)(const void *self);
} lf_soc_family;

/* A SoC of one given family, bypassing the registry (tests of the
 * dispatch layer's defaults with a minimal family). */
lf_soc *lf_soc_new_family(const lf_soc_family *fam, const char *part, const lf_bench_params *p,
                          lf_faults *faults, char *err, size_t errlen);

#endif
