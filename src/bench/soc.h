/* The SoC model behind the bus: memories, flash array + flash controller,
 * option bytes, system memory, OTP, unique ID, and the small peripherals that
 * loaders and applications touch (RCC, CRC, IWDG, GPIO, DBGMCU). Everything
 * outside the Cortex-M private peripheral bus (0xE0000000-0xE00FFFFF) is the
 * SoC's; DBGMCU (0xE0042000) is the SoC's too.
 *
 * The SoC never advances the clock: each access carries its own time (see
 * bus.h), and operations such as a sector erase record when they finish. */
#ifndef LF_BENCH_SOC_H
#define LF_BENCH_SOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/bus.h"
#include "bench/faults.h"
#include "bench/params.h"

/* A memory the core maps directly (Unicorn map_ptr). Flash regions (and the
 * ITCM alias of flash) are mapped read/execute only: the core's stores to
 * them are routed to lf_soc_access, which applies the flash rules. */
typedef struct lf_soc_region {
  const char *name;
  uint32_t base, size;
  uint8_t *mem;
  bool writable;   /* plain RAM: core writes go straight to mem */
  bool blocked;    /* read protection with a debugger: every core access faults
                      (the SoC updates it; the core re-maps before it runs) */
} lf_soc_region;

typedef enum lf_soc_reset_kind {
  LF_SOC_RESET_POWER,   /* power-on: everything, DBGMCU_CR included */
  LF_SOC_RESET_SYSTEM,  /* NRST or SYSRESETREQ: peripherals, flash relocks, options reload */
} lf_soc_reset_kind;

typedef struct lf_soc_counters {
  uint64_t flash_prog_ops, flash_prog_bytes;
  uint64_t flash_sector_erases, flash_mass_erases, flash_opt_writes;
  uint64_t flash_busy_ns;      /* sum of modeled operation durations */
  uint64_t flash_errors;       /* operations that set an error flag */
  uint64_t bus_errors;
  uint64_t stall_ns;           /* time masters spent stalled on the SoC */
} lf_soc_counters;

/* GPIO output change, for LED observation. */
typedef void (*lf_soc_gpio_fn)(void *ctx, unsigned port, uint32_t old_odr, uint32_t new_odr,
                               uint64_t t_ns);

typedef struct lf_soc lf_soc;

/* "stm32f767zi" or "stm32f429zi". NULL with err for an unknown name. */
lf_soc *lf_soc_new(const char *part, const lf_bench_params *p, lf_faults *faults, char *err,
                   size_t errlen);
void lf_soc_free(lf_soc *s);

const char *lf_soc_part(const lf_soc *s);
uint32_t lf_soc_idcode(const lf_soc *s);      /* DBGMCU_IDCODE */
uint32_t lf_soc_cpuid(const lf_soc *s);       /* SCB CPUID of its core */
/* The part's debug identity as a debugger reads it: SW-DP DPIDR, TARGETID
 * (0 when the DP is DPv1), AHB-AP IDR and the AP's BASE (ROM table | 3). */
void lf_soc_debug_ids(const lf_soc *s, uint32_t *dpidr, uint32_t *targetid, uint32_t *ap_idr,
                      uint32_t *ap_base);

/* The bus slave for everything but the PPB. */
int lf_soc_access(lf_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                  uint32_t *val, uint64_t *t_ns);

size_t lf_soc_regions(lf_soc *s, const lf_soc_region **out);

void lf_soc_reset(lf_soc *s, lf_soc_reset_kind kind, uint64_t t_ns);
/* Current SYSCLK (HSI, HSE or PLL as selected in RCC). */
double lf_soc_sysclk_hz(const lf_soc *s);
/* Initial SP/PC fetch address after reset (BOOT_ADD0 << 14, BOOT pin low). */
uint32_t lf_soc_boot_address(const lf_soc *s);
/* RDP level 1/2 active: debug access to flash fails; with a debugger
 * connected since power-on (lf_soc_debug_connected) the core loses flash,
 * OTP and backup SRAM too (params rdp1_blocks_flash_with_debug). */
int lf_soc_rdp_level(const lf_soc *s);
/* The debug port was used (the board calls this on every AHB-AP access).
 * Latched until the next power-on reset; a system reset keeps it. */
void lf_soc_debug_connected(lf_soc *s);
/* Read protection currently blocks the core's flash accesses. */
bool lf_soc_flash_locked(const lf_soc *s);

void lf_soc_set_gpio_cb(lf_soc *s, lf_soc_gpio_fn fn, void *ctx);

/* Backdoor (no time, no side effects) for tests and state files. */
int lf_soc_peek(const lf_soc *s, uint32_t addr, void *buf, size_t len);

/* Persistent state: flash array, OTP, option bytes. Text header + binary. */
int lf_soc_save_state(const lf_soc *s, FILE *f, char *err, size_t errlen);
int lf_soc_load_state(lf_soc *s, FILE *f, char *err, size_t errlen);

/* Target power lost at t: an erase/program in progress leaves its sector or
 * word with undefined (deterministically pseudo-random) content. */
void lf_soc_power_loss(lf_soc *s, uint64_t t_ns);

const lf_soc_counters *lf_soc_counters_get(const lf_soc *s);

/* Unique ID (96 bits) derived deterministically from seed; each part has a
 * fixed default seed. Takes effect at once (the UID is read-only silicon). */
void lf_soc_set_uid(lf_soc *s, uint64_t seed);

/* Virtual time at which the IWDG would reset the chip, UINT64_MAX when it is
 * not running. The SoC never resets itself: the board calls lf_soc_reset. */
uint64_t lf_soc_watchdog_deadline(const lf_soc *s);

#endif
