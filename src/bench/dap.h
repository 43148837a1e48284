/* ADIv5 SW-DP (DPv2) with one AHB-AP (MEM-AP) and optionally more MEM-APs
 * (APSEL 1..LF_DAP_MAX_APS-1, each with its own CSW/TAR and its own bus:
 * the STM32H7's second AHB-AP and its debug APB-AP), at the level of single
 * SWD transactions. Every transaction charges its wire time (params swd_*_cycles
 * at the current SWCLK) to LF_CLK_SWD on the clock, WAIT answers included.
 *
 * Modeled (stm32f7-target.md 10, probe-protocols.md 4):
 *  - DPIDR, ABORT, CTRL/STAT (power-up request/ack with delay, sticky bits,
 *    optional "ACK never clears" board quirk), SELECT (APSEL, APBANKSEL,
 *    DPBANKSEL), RDBUFF, DLCR/TARGETID/DLPIDR/EVENTSTAT banks, RESEND.
 *  - Protocol state: after a line reset only a DPIDR read is answered.
 *  - AHB-AP: CSW (size, AddrInc single/packed, DbgStatus, HPROT), TAR with
 *    auto-increment that wraps inside the 1 KiB block (ADIv5 only guarantees
 *    the low 10 bits; the bench wraps, so a host that crosses a boundary
 *    without rewriting TAR writes to the wrong place — conservative choice,
 *    see stm32f7-target.md 16 #12), DRW, BD0-BD3, CFG, BASE, IDR.
 *  - Posted AP reads (the value arrives with the next AP read or RDBUFF).
 *  - A bus access still in progress makes the next AP/RDBUFF access answer
 *    WAIT; an AHB error sets CTRL/STAT.STICKYERR and later AP accesses FAULT
 *    until ABORT.STKERRCLR.
 *  - No power (target unpowered / power loss): no ACK. */
#ifndef LF_BENCH_DAP_H
#define LF_BENCH_DAP_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/bus.h"
#include "bench/clock.h"
#include "bench/faults.h"
#include "bench/params.h"

typedef enum lf_swd_ack {
  LF_SWD_OK = 1,
  LF_SWD_WAIT = 2,
  LF_SWD_FAULT = 4,
  LF_SWD_NOACK = 7, /* line not driven: protocol error, no power, lost sync */
} lf_swd_ack;

#define LF_DAP_MAX_APS 4

/* A MEM-AP beyond AP 0. IDR bits 3:0 give its bus type (ADIv5 C2.6): 2 = an
 * APB-AP, which only makes 32-bit accesses (CSW.Size reads 2 whatever is
 * written); every other type behaves as the AHB-AP. */
typedef struct lf_dap_ap {
  uint32_t idr;          /* 0 = no AP at this APSEL: its registers read 0 */
  uint32_t base;         /* ROM table base as read from its BASE */
  lf_bus bus;            /* what its transfers reach */
} lf_dap_ap;

typedef struct lf_dap_cfg {
  uint32_t dpidr;        /* 0x5BA02477 */
  uint32_t targetid;     /* DPv2 TARGETID (unconfirmed for the F7) */
  uint32_t ap_idr;       /* AP 0: 0x74770001 (its bus is lf_dap_new's) */
  uint32_t ap_base;      /* AP 0: ROM table base as read from AP BASE */
  lf_dap_ap more[LF_DAP_MAX_APS - 1]; /* APSEL 1, 2, 3 (zeroed: absent) */
} lf_dap_cfg;

typedef struct lf_dap_counters {
  uint64_t transactions;  /* every SWD transaction on the wire */
  uint64_t dp_reads, dp_writes, ap_reads, ap_writes;
  uint64_t waits, faults, noacks;
  uint64_t bus_reads, bus_writes; /* AHB accesses made by the AP */
  uint64_t sequences;     /* line resets / JTAG-to-SWD */
} lf_dap_counters;

typedef struct lf_dap lf_dap;

lf_dap *lf_dap_new(const lf_dap_cfg *cfg, lf_clock *clk, const lf_bench_params *p, lf_bus bus,
                   lf_faults *faults);
void lf_dap_free(lf_dap *d);

/* SWCLK frequency actually on the wire, in Hz. */
void lf_dap_set_swclk(lf_dap *d, double hz);
double lf_dap_swclk(const lf_dap *d);

/* One SWD transaction. apndp: 1 = AP. a: register address bits [3:2] as 0x0,
 * 0x4, 0x8 or 0xC. For reads *data receives the value (posted for AP reads). */
lf_swd_ack lf_dap_transact(lf_dap *d, bool apndp, bool rnw, uint8_t a, uint32_t *data);

/* Wire sequences (charged as bits at SWCLK). */
void lf_dap_line_reset(lf_dap *d);
void lf_dap_jtag_to_swd(lf_dap *d);
/* Idle cycles on the wire (e.g. a probe's fixed gap). */
void lf_dap_idle(lf_dap *d, uint64_t cycles);

/* Target power: off -> every transaction answers NOACK; on -> DP in reset
 * state (needs line reset + DPIDR read, power-up request cleared). */
void lf_dap_set_power(lf_dap *d, bool on);
/* Whether the target side of the DAP is powered (the probe's VDD sense). */
bool lf_dap_powered(const lf_dap *d);

const lf_dap_counters *lf_dap_counters_get(const lf_dap *d);

#endif
