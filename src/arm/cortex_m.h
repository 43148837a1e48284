/* Cortex-M (ARMv7-M / ARMv6-M debug) on top of the ADIv5 layer (arm/adi.h).
 *
 * An lf_cm borrows an lf_adi (which borrows the probe). It knows the core,
 * never the chip: which chip it is, is the flash families' business
 * (flash/family.h: lf_family_identify). Facts and register layouts:
 * stm32f7-target.md 11 (DHCSR, DCRSR/DCRDR, DEMCR, DFSR, AIRCR), 13 #1-#3
 * (connect under reset).
 *
 *  - connect: attach (core keeps running), attach and halt, or connect under
 *    reset (NRST held while the DP comes up, DEMCR.VC_CORERESET and
 *    DHCSR.C_DEBUGEN set, the low-power debug bits set, NRST released: the
 *    core halts at its reset vector before running one instruction). Every
 *    mode ORs cfg.lowpower_bits into the register at cfg.lowpower_reg (a
 *    chip's "keep debug alive in sleep/stop/standby" register, which the
 *    chip's family names; 0 = none) and identifies the core (CPUID, MVFR0).
 *  - run control: halt, resume, step, is_halted (DHCSR with DBGKEY).
 *  - core registers: DCRSR/DCRDR with DHCSR.S_REGRDY polled (bounded), all of
 *    r0-r12, sp, lr, pc, xpsr, msp, psp, the packed special word and, when
 *    the core has an FPU, fpscr and s0-s31. Only while halted (LF_ETARGET).
 *  - reset: SYSRESETREQ (AIRCR), VECTRESET (ARMv7-M only), hardware NRST via
 *    the probe; each optionally "and halt" through DEMCR.VC_CORERESET.
 *  - run_function: the base of flash loaders (see below).
 *
 * Every function returns 0 or a negative LF_E* code with a session message
 * naming the operation and the register or address. */
#ifndef LF_ARM_CORTEX_M_H
#define LF_ARM_CORTEX_M_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arm/adi.h"

/* Core debug registers (stm32f7-target.md 11.1) */
#define LF_CM_CPUID 0xE000ED00u
#define LF_CM_AIRCR 0xE000ED0Cu
#define LF_CM_DFSR 0xE000ED30u
#define LF_CM_DHCSR 0xE000EDF0u
#define LF_CM_DCRSR 0xE000EDF4u
#define LF_CM_DCRDR 0xE000EDF8u
#define LF_CM_DEMCR 0xE000EDFCu
#define LF_CM_MVFR0 0xE000EF40u

/* DHCSR (11.2) */
#define LF_DHCSR_DBGKEY 0xA05F0000u
#define LF_DHCSR_C_DEBUGEN 0x00000001u
#define LF_DHCSR_C_HALT 0x00000002u
#define LF_DHCSR_C_STEP 0x00000004u
#define LF_DHCSR_C_MASKINTS 0x00000008u
#define LF_DHCSR_S_REGRDY 0x00010000u
#define LF_DHCSR_S_HALT 0x00020000u
#define LF_DHCSR_S_SLEEP 0x00040000u
#define LF_DHCSR_S_LOCKUP 0x00080000u
#define LF_DHCSR_S_RETIRE_ST 0x01000000u
#define LF_DHCSR_S_RESET_ST 0x02000000u
/* DEMCR (11.4) */
#define LF_DEMCR_VC_CORERESET 0x00000001u
#define LF_DEMCR_VC_HARDERR 0x00000400u
#define LF_DEMCR_TRCENA 0x01000000u
/* DFSR (11.5, write 1 to clear) */
#define LF_DFSR_HALTED 0x01u
#define LF_DFSR_BKPT 0x02u
#define LF_DFSR_DWTTRAP 0x04u
#define LF_DFSR_VCATCH 0x08u
#define LF_DFSR_EXTERNAL 0x10u
#define LF_DFSR_ALL 0x1Fu
/* AIRCR (11.6) */
#define LF_AIRCR_VECTKEY 0x05FA0000u
#define LF_AIRCR_SYSRESETREQ 0x00000004u
#define LF_AIRCR_VECTRESET 0x00000001u

/* Core registers, numbered as DCRSR.REGSEL (11.3). */
enum {
  LF_CM_R0 = 0x00, /* .. LF_CM_R0 + 12 = r12 */
  LF_CM_SP = 0x0D, /* the current stack pointer */
  LF_CM_LR = 0x0E,
  LF_CM_PC = 0x0F, /* DebugReturnAddress */
  LF_CM_XPSR = 0x10,
  LF_CM_MSP = 0x11,
  LF_CM_PSP = 0x12,
  LF_CM_SPECIAL = 0x14, /* CONTROL[31:24] | FAULTMASK[23:16] | BASEPRI[15:8] | PRIMASK[7:0] */
  LF_CM_FPSCR = 0x21,
  LF_CM_S0 = 0x40, /* .. LF_CM_S0 + 31 = s31 */
};
#define LF_CM_XPSR_T 0x01000000u

typedef struct lf_cm_cfg {
  uint32_t lowpower_reg;  /* register whose bits keep debug alive in low-power modes
                             (STM32: DBGMCU_CR); 0 = none (default) */
  uint32_t lowpower_bits; /* bits OR'ed into it on connect */
  double halt_timeout_s;  /* halt / reset-and-halt / S_REGRDY wait (default 0.1 s) */
  double reset_timeout_s; /* wait for the core to come out of reset (default 0.1 s) */
  uint32_t nrst_pulse_ns; /* minimum NRST low time for hardware reset (default 0: one
                             probe command; the probe's own pulse is long enough) */
} lf_cm_cfg;

typedef enum lf_cm_connect_mode {
  LF_CM_ATTACH = 0,        /* the core keeps its state (running or halted) */
  LF_CM_ATTACH_HALT = 1,   /* attach, then halt wherever the core is */
  LF_CM_UNDER_RESET = 2,   /* NRST low across connect; halted at the reset vector */
} lf_cm_connect_mode;

typedef enum lf_cm_reset_kind {
  LF_CM_RESET_SYSRESETREQ = 0, /* AIRCR.SYSRESETREQ: whole chip except debug */
  LF_CM_RESET_VECTRESET = 1,   /* AIRCR.VECTRESET: core only (ARMv7-M) */
  LF_CM_RESET_HARDWARE = 2,    /* NRST through the probe */
} lf_cm_reset_kind;

/* What connect found. */
typedef struct lf_cm_info {
  uint32_t dpidr;
  uint32_t cpuid;
  const char *core;       /* "Cortex-M7", "Cortex-M4", ... or "unknown" */
  uint8_t variant, revision; /* r<variant>p<revision> */
  char core_rev[12];      /* "r1p0" */
  bool has_fpu;           /* MVFR0 non-zero */
  bool fpu_double;        /* MVFR0 double-precision field non-zero */
} lf_cm_info;

typedef struct lf_cm_stats {
  uint64_t regrdy_polls;  /* DHCSR reads waiting for S_REGRDY */
  uint64_t halt_polls;    /* DHCSR reads waiting for S_HALT */
  uint64_t run_polls;     /* DHCSR reads while a function runs */
} lf_cm_stats;

typedef struct lf_cm lf_cm;

void lf_cm_cfg_default(lf_cm_cfg *cfg);

/* No I/O. cfg NULL = defaults. The lf_adi must outlive the lf_cm. */
int lf_cm_new(lf_adi *a, const lf_cm_cfg *cfg, lf_cm **out);
void lf_cm_free(lf_cm *t); /* no I/O, NULL-safe */

lf_adi *lf_cm_adi(const lf_cm *t);
const lf_cm_info *lf_cm_info_get(const lf_cm *t);
const lf_cm_stats *lf_cm_stats_get(const lf_cm *t);

/* lf_adi_connect + core identification + the low-power bits, then per mode
 * (above). */
int lf_cm_connect(lf_cm *t, lf_cm_connect_mode mode);
/* Core identification alone (CPUID, MVFR0); done by connect. */
int lf_cm_identify(lf_cm *t);
/* Pure decode of the identification words into *in (dpidr untouched):
 * core name and r<variant>p<revision> from CPUID, FPU from MVFR0 (0 = none). */
void lf_cm_decode_ids(uint32_t cpuid, uint32_t mvfr0, lf_cm_info *in);
/* ORs bits into the low-power debug register reg (read, then written only
 * when a bit is missing), as connect does with cfg.lowpower_*. */
int lf_cm_set_lowpower(lf_cm *t, uint32_t reg, uint32_t bits);
/* resume: clear DEMCR.VC_CORERESET, clear DHCSR.C_DEBUGEN (core runs);
 * else the core stays as it is. Then lf_adi_disconnect (DP power-down
 * bounded by disconnect_timeout, probe leaves debug mode). */
int lf_cm_disconnect(lf_cm *t, bool resume);

/* Run control. halt waits (halt_timeout) for S_HALT. step executes one
 * instruction (interrupts masked) and returns halted. resume clears DFSR and
 * lets the core run. */
int lf_cm_halt(lf_cm *t);
int lf_cm_resume(lf_cm *t);
int lf_cm_step(lf_cm *t);
int lf_cm_is_halted(lf_cm *t, bool *halted);
/* DHCSR as read (note: reading clears S_RETIRE_ST / S_RESET_ST). */
int lf_cm_read_dhcsr(lf_cm *t, uint32_t *dhcsr);

/* Core registers (REGSEL numbering). Core must be halted (LF_ETARGET).
 * fpscr/s0-s31 on a core without FPU: LF_ENOTSUP. */
int lf_cm_read_reg(lf_cm *t, unsigned reg, uint32_t *val);
int lf_cm_write_reg(lf_cm *t, unsigned reg, uint32_t val);
int lf_cm_read_regs(lf_cm *t, const unsigned *regs, uint32_t *vals, size_t n);
int lf_cm_write_regs(lf_cm *t, const unsigned *regs, const uint32_t *vals, size_t n);
/* "r0".."r12", "sp", "lr", "pc", "xpsr", "msp", "psp", "special", "fpscr",
 * "s0".."s31" (case-insensitive; "r13"-"r15" too). Returns REGSEL or -1. */
int lf_cm_reg_lookup(const char *name);
/* Canonical name of a REGSEL, or NULL when it is not a register. */
const char *lf_cm_reg_name(unsigned reg);

/* Reset. halt = stop at the reset vector (DEMCR.VC_CORERESET set for the
 * reset and restored after; waits for S_HALT). Without halt, waits until
 * the core left reset (DHCSR.S_RESET_ST seen and NRST released). */
int lf_cm_reset(lf_cm *t, lf_cm_reset_kind kind, bool halt);

/* ---- running code on the target (the base of flash loaders) ----
 *
 * The core must be halted. Sets r0-r3 = args, SP (MSP) = sp, LR = the return
 * BKPT address | 1, PC = entry (bit 0 ignored), xPSR = T bit only, clears
 * DFSR, resumes. The function returns into the BKPT; the core halts with
 * DHCSR.S_HALT and DFSR.BKPT, and r0 is the result.
 *
 * Return BKPT: by default the layer writes BKPT #0 (0xBE00) at sp - 8 and
 * starts the function with SP = sp - 8 (8 bytes reserved, alignment kept), so
 * sp may be the top of RAM. lf_cm_set_return_bkpt(t, addr) names a halfword
 * that already holds a BKPT (e.g. inside the loader blob): then nothing is
 * written and SP = sp. addr 0 restores the default. */
int lf_cm_set_return_bkpt(lf_cm *t, uint32_t addr);

/* Core registers written back to back (lf_cm_write_regs, the starts above)
 * go through the probe's own command where it has one (probe.h
 * write_core_reg: one round trip each instead of three); on = false always
 * writes DCRDR/DCRSR and reads DHCSR (what another tool does, for a
 * faithful model of it). Default on. */
void lf_cm_set_probe_regs(lf_cm *t, bool on);

/* Blocking: start, then poll until the BKPT halt or timeout. Timeout: the
 * core is halted and LF_ETIMEDOUT names the entry and the PC where it was.
 * A halt for another reason (fault vector catch, lockup, external halt) is
 * LF_ETARGET with PC and DFSR. r0 may be NULL. */
int lf_cm_run_function(lf_cm *t, uint32_t entry, const uint32_t args[4], uint32_t sp,
                       double timeout_s, uint32_t *r0);
/* Non-blocking: start the function and return while it runs. On a probe
 * that posts (adi.h) the write that resumes the core is posted: the core
 * runs no later than the next access (lf_adi_flush to be sure), which also
 * reports a failure of it. */
int lf_cm_start_function(lf_cm *t, uint32_t entry, const uint32_t args[4], uint32_t sp);
/* The same for a function of nargs (0..4) arguments: r0..r(nargs-1) are
 * written, the other argument registers are left as they are (one register
 * write less each: three round trips on a probe that does not post).
 * halted_seen: the caller has just read DHCSR.S_HALT set and nothing ran
 * the core since (the halt check's DHCSR read is left out). */
int lf_cm_start_function_n(lf_cm *t, uint32_t entry, const uint32_t *args, unsigned nargs,
                           uint32_t sp, bool halted_seen);
/* One DHCSR read while running (*done = false). Once halted: DFSR and PC
 * are read; *done = true when the core stopped on the return BKPT (then r0
 * is read; r0 may be NULL). A BKPT elsewhere, a fault or an external halt is
 * LF_ETARGET naming the PC. No timeout here. */
int lf_cm_poll_function(lf_cm *t, bool *done, uint32_t *r0);
/* Poll until done or timeout_s after this call (timeout: halt, LF_ETIMEDOUT). */
int lf_cm_wait_function(lf_cm *t, double timeout_s, uint32_t *r0);
/* Give up on a running function: halt the core where it is and forget the
 * function (its return is no longer awaited). Fine when none runs. */
int lf_cm_abort_function(lf_cm *t);

#endif
