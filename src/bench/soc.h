/* The SoC model behind the bus: memories, flash and its controller,
 * protection, unique ID and the peripherals loaders and applications touch,
 * for any SoC family. Everything outside the Cortex-M private peripheral bus
 * (0xE0000000-0xE00FFFFF) is the SoC's; on an STM32, DBGMCU (0xE0042000) is
 * the SoC's too (board.c and cortexm.c carve it out of the PPB).
 *
 * One API over the families: soc.c finds the part in its registry of
 * families and dispatches to the family's ops table (soc_family.h; the
 * STM32 F2/F4/F7 machinery is soc_stm32.c). A family may leave an op out;
 * each call below says what a SoC without it does ("Default:").
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
#include "bench/coresight.h"
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

/* A part of any registered family ("stm32f767zi", "stm32f429zi"), in its
 * power-on state. NULL with err for an unknown name (the message lists
 * every known part). */
lf_soc *lf_soc_new(const char *part, const lf_bench_params *p, lf_faults *faults, char *err,
                   size_t errlen);
void lf_soc_free(lf_soc *s);

const char *lf_soc_part(const lf_soc *s);
/* The vendor device id the core's vendor ROM table shows (STM32:
 * DBGMCU_IDCODE); 0 = none (the core model's default). */
uint32_t lf_soc_idcode(const lf_soc *s);
uint32_t lf_soc_cpuid(const lf_soc *s);       /* SCB CPUID of its core */
/* The part's debug identity as a debugger reads it: SW-DP DPIDR, TARGETID
 * (0 when the DP is DPv1), AHB-AP IDR and the AP's BASE (ROM table | 3). */
void lf_soc_debug_ids(const lf_soc *s, uint32_t *dpidr, uint32_t *targetid, uint32_t *ap_idr,
                      uint32_t *ap_base);

/* MEM-APs beyond AP 0 (AP 0 is the AHB-AP of lf_soc_debug_ids, reaching
 * what the core sees, PPB included). What each further AP reaches: */
typedef enum lf_soc_ap_view {
  LF_SOC_AP_NONE = 0,     /* no AP at this APSEL */
  LF_SOC_AP_SYSTEM,       /* the SoC bus (lf_soc_access), without the core's PPB */
  LF_SOC_AP_DEBUG_APB,    /* the SoC's own debug bus (lf_soc_debug_apb_access) */
  LF_SOC_AP_CTRL,         /* not a MEM-AP: a vendor control AP whose registers are the SoC's
                             (lf_soc_ctrl_ap_access; the nRF52 CTRL-AP) */
} lf_soc_ap_view;
#define LF_SOC_MAX_APS 4
typedef struct lf_soc_ap {
  uint32_t idr, base;     /* as read from the AP's IDR and BASE */
  lf_soc_ap_view view;
} lf_soc_ap;
/* The AP at apsel (1 .. LF_SOC_MAX_APS-1). Default: none. */
lf_soc_ap lf_soc_debug_ap(const lf_soc *s, unsigned apsel);
/* An access on the SoC's debug APB (an APB-AP's view: DBGMCU, trace
 * components, their ROM table). Default: LF_BUS_ERR everywhere. */
int lf_soc_debug_apb_access(lf_soc *s, uint32_t addr, unsigned size, bool write, uint32_t *val,
                            uint64_t *t_ns);
/* A register of a vendor control AP (LF_SOC_AP_CTRL) at apsel: reg is the
 * AP register address (APBANKSEL << 4 | A[3:2], 0x00-0xFC, IDR at 0xFC
 * included). Default: reads 0, writes ignored. */
int lf_soc_ctrl_ap_access(lf_soc *s, unsigned apsel, uint8_t reg, bool write, uint32_t *val,
                          uint64_t t_ns);
/* Access-port protection: the debugger's MEM-AP 0 (and with it the core's
 * debug registers) answers every transfer with an error at time t (nRF52
 * APPROTECT). Default: false. */
bool lf_soc_ahb_ap_locked(const lf_soc *s, uint64_t t_ns);
/* The SoC holds the chip in reset by itself (nRF52 CTRL-AP RESET = 1); the
 * board asserts the core's reset while it does. Default: false. */
bool lf_soc_reset_held(const lf_soc *s);
/* Whether the NRST pin resets the chip now (nRF52: only once UICR.PSELRESET
 * routes it, at a reset). Default: true. */
bool lf_soc_pin_reset(const lf_soc *s);
/* The identification of the components around the core as the SoC
 * integrates them (cortexm.h lf_core_env.rom). Default: 0 (the core
 * profile's own). */
size_t lf_soc_core_rom(const lf_soc *s, const lf_cs_ident **out);

/* SWD multidrop (the RP2040's three DPs on one wire, nrf52-rp2040-targets.md
 * 8). AP 0's DP (lf_soc_debug_ids) is the first; `drops` are the others. */
typedef struct lf_soc_drop {
  uint32_t dpidr, targetid, targetsel, dlpidr;
  uint32_t ap_idr, ap_base;       /* its AP 0; ap_idr 0 = a DP without APs */
  unsigned core;                  /* the core whose debug view its AP 0 gives */
  bool rescue;                    /* CTRL/STAT writes go to lf_soc_debug_rescue */
} lf_soc_drop;
#define LF_SOC_MAX_DROPS 3
typedef struct lf_soc_multidrop {
  uint32_t targetsel, dlpidr;     /* AP 0's DP; targetsel 0 = a single-drop part */
  lf_soc_drop drops[LF_SOC_MAX_DROPS];
  size_t ndrops;
  unsigned ncores;                /* cores (each its own Cortex-M model); 0 = 1 */
  bool sysresetreq_core_only;     /* AIRCR.SYSRESETREQ resets only the core that wrote it */
} lf_soc_multidrop;
/* The part's multidrop wiring; targetsel 0 for a single-drop part. */
const lf_soc_multidrop *lf_soc_debug_multidrop(const lf_soc *s);
/* A CTRL/STAT write on a rescue DP (value written). Default: nothing. */
void lf_soc_debug_rescue(lf_soc *s, uint32_t ctrl, uint64_t t_ns);

/* The bus slave for everything but the PPB. Counts LF_BUS_ERR answers
 * (bus_errors) for every family. */
int lf_soc_access(lf_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                  uint32_t *val, uint64_t *t_ns);

/* Fixed for the SoC's life (the core maps them once); only `blocked` changes. */
size_t lf_soc_regions(lf_soc *s, const lf_soc_region **out);

/* Default: nothing happens (memories keep their content). */
void lf_soc_reset(lf_soc *s, lf_soc_reset_kind kind, uint64_t t_ns);
/* Current core clock (STM32: SYSCLK, HSI, HSE or PLL as selected in RCC).
 * Default: params core_hsi_hz, the clock after reset. */
double lf_soc_sysclk_hz(const lf_soc *s);
/* Initial SP/PC fetch address after reset (STM32 F7: BOOT_ADD0 << 14, BOOT
 * pin low). Default: 0. */
uint32_t lf_soc_boot_address(const lf_soc *s);
/* Read-protection level (STM32 RDP 1/2 active: debug access to flash fails;
 * with a debugger connected since power-on (lf_soc_debug_connected) the core
 * loses flash, OTP and backup SRAM too, params rdp1_blocks_flash_with_debug).
 * Default: 0, no protection. */
int lf_soc_rdp_level(const lf_soc *s);
/* The debug port was used (the board calls this on every AHB-AP access).
 * Latched until the next power-on reset; a system reset keeps it.
 * Default: nothing. */
void lf_soc_debug_connected(lf_soc *s);
/* Read protection currently blocks the core's flash accesses. Default: false. */
bool lf_soc_flash_locked(const lf_soc *s);

/* The observer of output pins; a SoC without GPIO never calls it. */
void lf_soc_set_gpio_cb(lf_soc *s, lf_soc_gpio_fn fn, void *ctx);

/* Backdoor (no time, no side effects) for tests and state files. -1 (and
 * zeros from the first unreadable byte) when the range leaves what the SoC
 * can show. Default: the bytes of the regions (lf_soc_regions). */
int lf_soc_peek(const lf_soc *s, uint32_t addr, void *buf, size_t len);

/* Persistent state (STM32: flash array, OTP, option bytes; text header +
 * binary), in a format of the family's. Default: -1, "keeps no state file". */
int lf_soc_save_state(const lf_soc *s, FILE *f, char *err, size_t errlen);
int lf_soc_load_state(lf_soc *s, FILE *f, char *err, size_t errlen);

/* Target power lost at t (STM32: an erase/program in progress leaves its
 * sector or word with undefined, deterministically pseudo-random content;
 * RAM is garbage). Default: nothing (memories keep their content). */
void lf_soc_power_loss(lf_soc *s, uint64_t t_ns);

/* Zero at creation; the family adds flash figures, soc.c bus errors. */
const lf_soc_counters *lf_soc_counters_get(const lf_soc *s);

/* Unique ID derived deterministically from seed (STM32: 96 bits); each
 * part has a fixed default seed. Takes effect at once (the UID is read-only
 * silicon). Default: nothing (the part's ID is fixed). */
void lf_soc_set_uid(lf_soc *s, uint64_t seed);

/* Virtual time at which the watchdog (STM32: IWDG) would reset the chip,
 * UINT64_MAX when it is not running. The SoC never resets itself: the board
 * calls lf_soc_reset. Default: UINT64_MAX. */
uint64_t lf_soc_watchdog_deadline(const lf_soc *s);

#endif
