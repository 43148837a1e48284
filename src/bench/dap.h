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
 *    auto-increment that wraps inside its block: 1 KiB (ADIv5 only
 *    guarantees the low 10 bits; the bench wraps, so a host that crosses a
 *    boundary without rewriting TAR writes to the wrong place — conservative
 *    choice, see stm32f7-target.md 16 #12), or 4 KiB for the Cortex-M3/M4
 *    AHB-AP (IDR 0x24770011, stm32f4-target.md 10.2: pyOCD and OpenOCD
 *    increment across 4 KiB on it), DRW, BD0-BD3, CFG, BASE, IDR.
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
  uint32_t tar_wrap;     /* AP 0: TAR auto-increment block in bytes; 0 = from ap_idr (dap.c) */
  lf_dap_ap more[LF_DAP_MAX_APS - 1]; /* APSEL 1, 2, 3 (zeroed: absent) */
  /* SWD multidrop (ADIv5.2 B4.3.4; nrf52-rp2040-targets.md 8): this DP's
   * TARGETSEL value; 0 = a single-drop DP (TARGETSEL writes ignored). */
  uint32_t targetsel;
  uint32_t dlpidr;       /* DLPIDR; 0 = 0x00000001 (PROTVSN 1, TINSTANCE 0) */
  bool no_ap;            /* a DP without any AP (the RP2040 rescue DP) */
  bool dormant_at_power_on; /* SWJ-DP v2 multidrop DPs start dormant, not in JTAG */
  /* Called after every CTRL/STAT write (the value written) at the write's
   * time; NULL = none. The RP2040 rescue DP restarts the chip this way. */
  void (*ctrl_written)(void *ctx, uint32_t ctrl, uint64_t t_ns);
  void *ctrl_ctx;
  /* Bit i - 1: APSEL i is not a MEM-AP but a vendor control AP (the nRF52
   * CTRL-AP): every register access, IDR included, is one 32-bit access of
   * its bus at the AP register address (APBANKSEL << 4 | A[3:2]); no
   * CSW/TAR, no power-up needed, always answered OK. */
  unsigned ctrl_aps;
} lf_dap_cfg;

#define LF_DAP_MAX_DROPS 4

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
/* Another DP on the same SWD wire (multidrop): every DP of the wire needs a
 * TARGETSEL value (cfg->targetsel, the head's too). The wire functions below
 * take the head: sequences reach every DP; after a line reset a TARGETSEL
 * write (a DP write to 0xC in DAP_Transfer, or the same packet as raw bits
 * through lf_dap_swj_bits) selects the DP whose value matches and locks the
 * others out until the next line reset (no DP drives the ACK); a line reset
 * keeps the selection. A DPIDR read that more than one DP would answer (no
 * TARGETSEL since they woke up) collides: no ACK (bench choice). Returns 0,
 * or -1 when out of memory or the wire is full. */
int lf_dap_add_drop(lf_dap *head, const lf_dap_cfg *cfg, lf_bus bus);
/* The selected DP's index on a multidrop wire (0 = the head), -1 none. */
int lf_dap_selected(const lf_dap *head);

/* SWCLK frequency actually on the wire, in Hz. */
void lf_dap_set_swclk(lf_dap *d, double hz);
double lf_dap_swclk(const lf_dap *d);

/* One SWD transaction. apndp: 1 = AP. a: register address bits [3:2] as 0x0,
 * 0x4, 0x8 or 0xC. For reads *data receives the value (posted for AP reads). */
lf_swd_ack lf_dap_transact(lf_dap *d, bool apndp, bool rnw, uint8_t a, uint32_t *data);

/* Wire sequences (charged as bits at SWCLK). These two are a probe
 * firmware's own fixed sequences (ST-LINK ENTER): each leaves the DP in SWD
 * mode, waiting for a DPIDR read. */
void lf_dap_line_reset(lf_dap *d);
void lf_dap_jtag_to_swd(lf_dap *d);
/* Raw bits a probe drives on SWDIO/TMS, LSB first, one per SWCLK cycle
 * (CMSIS-DAP SWJ_Sequence, SWD_Sequence output), charged at SWCLK. The
 * SWJ-DP watches them (probe-protocols.md 4.2): it starts in JTAG mode at
 * power-on; after at least 50 ones, the 16-bit codes 0xE79E (JTAG to SWD),
 * 0xE73C (SWD to JTAG) and 0xE3BC (SWD to dormant) switch the mode; in JTAG
 * mode, 5 or more ones and the 31-bit code 0x33BBBBBA go dormant; in dormant
 * mode, the 128-bit selection alert, 4 zeros and the activation code 0x1A
 * select SWD (0x000 after the alert: JTAG). In SWD mode a line reset (50 or
 * more ones, ended by a zero) makes the DP wait for a DPIDR read; in any
 * other mode, or after a switch until the next line reset, nothing is
 * answered. After a line reset the bits of a TARGETSEL write packet sent
 * this way (request 0x99, the probe's input cycles, 32 data bits and parity:
 * DAP_SWD_Sequence) are decoded on a multidrop wire; a parity error
 * selects nothing. */
void lf_dap_swj_bits(lf_dap *d, const uint8_t *data, unsigned nbits);
/* SWD wire mode (for tests and reports): "jtag", "swd", "dormant". */
const char *lf_dap_mode(const lf_dap *d);
/* Idle cycles on the wire (e.g. a probe's fixed gap). */
void lf_dap_idle(lf_dap *d, uint64_t cycles);

/* Target power: off -> every transaction answers NOACK; on -> DP in reset
 * state (needs line reset + DPIDR read, power-up request cleared). */
void lf_dap_set_power(lf_dap *d, bool on);
/* Whether the target side of the DAP is powered (the probe's VDD sense). */
bool lf_dap_powered(const lf_dap *d);

const lf_dap_counters *lf_dap_counters_get(const lf_dap *d);

#endif
