/* Cortex-M7, Cortex-M4, Cortex-M3 or Cortex-M0+ core (chosen by env.cpuid): real Thumb-2 execution
 * under Unicorn, in virtual time, plus the debug view of the core (SCS registers of the PPB: DHCSR, DCRSR, DCRDR,
 * DEMCR, DFSR, AIRCR, CPUID, VTOR, ...; ROM table/FPB/DWT identification).
 *
 * Time: the core keeps its own timestamp. lf_core_catch_up(t) runs it until t
 * (instructions x CPI at SYSCLK); a store that stalls on the bus moves the
 * core's time forward; a read of a busy flash status register while polling
 * is modeled as waiting until the flag changes (so a busy-wait costs virtual
 * time, not host time). The host-side models call catch_up before every debug
 * access, so the core is never behind the debugger. BKPT halts the core and
 * sets DFSR.BKPT. Exceptions and interrupts are not modeled: a fault halts
 * the core with DFSR.VCATCH as if DEMCR.VC_HARDERR were set. */
#ifndef LF_BENCH_CORTEXM_H
#define LF_BENCH_CORTEXM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/bus.h"
#include "bench/coresight.h"
#include "bench/params.h"
#include "bench/soc.h"

typedef struct lf_core_env {
  lf_bus bus;                     /* everything outside the PPB */
  const lf_soc_region *regions;   /* memories mapped directly */
  size_t nregions;
  uint32_t cpuid;                 /* 0x411FC270 (M7) or 0x410FC241 (M4): selects the core model */
  uint32_t idcode;                /* DBGMCU_IDCODE: its DEV_ID is the part number of ST's ROM
                                     table; 0 = the core model's default (0x451 M7, 0x419 M4) */
  const lf_cs_ident *rom;         /* the identification of the components around the core as
                                     this SoC integrates them (ROM tables, SCS, DWT, FPB, ETM...);
                                     NULL: the core profile's (F7 / F4 layout) */
  size_t nrom;
  double (*sysclk_hz)(void *ctx); /* current core clock */
  uint32_t (*boot_address)(void *ctx);
  void (*system_reset)(void *ctx, uint64_t t_ns); /* AIRCR.SYSRESETREQ */
  void *ctx;
} lf_core_env;

typedef enum lf_core_reset_kind {
  LF_CORE_RESET_POWER,   /* debug registers cleared too */
  LF_CORE_RESET_SYSTEM,  /* DHCSR.C_DEBUGEN and DEMCR survive; vector catch applies */
  LF_CORE_RESET_VECT,    /* AIRCR.VECTRESET: core only */
} lf_core_reset_kind;

typedef struct lf_core_counters {
  uint64_t instructions;
  uint64_t cycles;
  uint64_t run_ns;        /* virtual time spent running (not halted, not in reset) */
  uint64_t halts, resets, faults, steps;
  uint64_t code_flushes;  /* translation cache flushes after debug writes */
} lf_core_counters;

typedef struct lf_core lf_core;

lf_core *lf_core_new(const lf_core_env *env, const lf_bench_params *p, char *err, size_t errlen);
void lf_core_free(lf_core *c);

/* Run the core (if running) until virtual time t. */
void lf_core_catch_up(lf_core *c, uint64_t t_ns);

/* PPB slave (0xE0000000-0xE00FFFFF minus DBGMCU). */
int lf_core_ppb_access(lf_core *c, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                       uint32_t *val, uint64_t *t_ns);

void lf_core_reset(lf_core *c, lf_core_reset_kind kind, uint64_t t_ns);
/* NRST held low: the core does nothing; debug registers stay accessible. */
void lf_core_set_nrst(lf_core *c, bool asserted, uint64_t t_ns);

/* Memory the core may execute changed behind its back (debug write). */
void lf_core_invalidate_code(lf_core *c, uint32_t addr, uint32_t len);

bool lf_core_halted(const lf_core *c);
uint32_t lf_core_reg(const lf_core *c, unsigned regsel); /* DCRSR numbering; for tests */

const lf_core_counters *lf_core_counters_get(const lf_core *c);

#endif
