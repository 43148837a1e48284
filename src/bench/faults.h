/* Fault injection for tests: a list of one-shot or repeating faults, each
 * armed at an event count or a virtual time. Parsed from a compact spec so a
 * test, the bench tools and (later) the libusb stand-in share one syntax:
 *
 *   usb_timeout@N        the Nth USB transfer (1-based, either direction) times out
 *   usb_stall@N          the Nth USB transfer stalls (LIBUSB_ERROR_PIPE)
 *   usb_short@N          the first IN transfer from the Nth transfer on returns
 *                        half of its data
 *   unplug@N             the probe is gone from the Nth USB transfer on: that
 *                        one and every later one fail with NO_DEVICE
 *   swd_wait@N[xK]       the Nth SWD transaction and K-1 following answer WAIT
 *   swd_fault@N          the Nth SWD AP transaction answers FAULT and sets STICKYERR
 *   flash_error@N:BITS   the Nth flash operation fails with SR BITS (hex, e.g. 0x10);
 *                        nRF52 NVMC, RP2040 W25Q: no error flag exists, the
 *                        operation takes its time and changes nothing
 *   power_loss@T         the target loses power at virtual time T (ns/us/ms/s suffix)
 *   hostile@SEED[:PM]    a hostile probe: PM per mille (default 10) of the USB
 *                        transfers, drawn by a PRNG seeded with SEED (0 allowed),
 *                        are corrupted (vprobe.c: random, short, oversized,
 *                        stale and late replies, wrong status bytes, wrong
 *                        sizes, stalls, timeouts, lost commands)
 *
 * Instead of an absolute N or T, any item but hostile may be armed relative
 * to a phase of the host: `usb_timeout@erase+3` is the 3rd USB transfer after
 * the host entered phase erase, `power_loss@program+2ms` 2 ms after it
 * entered program, `flash_error@erase+1:0x10` the first flash operation
 * after it entered erase. The host tells the bench its phases
 * (lf_faults_phase, through lf_bench_phase); an item fires only after its
 * phase was entered (the first entry arms it), never if it never is.
 * Phase names: letters, digits and '_', up to 15 characters.
 *
 * Items are separated by commas. */
#ifndef LF_BENCH_FAULTS_H
#define LF_BENCH_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum lf_fault_kind {
  LF_FAULT_USB_TIMEOUT,
  LF_FAULT_USB_STALL,
  LF_FAULT_USB_SHORT,
  LF_FAULT_SWD_WAIT,
  LF_FAULT_SWD_FAULT,
  LF_FAULT_FLASH_ERROR,
  LF_FAULT_POWER_LOSS,
  LF_FAULT_HOSTILE,
  LF_FAULT_USB_UNPLUG,
  LF_FAULT_NKINDS
} lf_fault_kind;

#define LF_FAULTS_MAX 16

typedef struct lf_fault {
  lf_fault_kind kind;
  uint64_t at;      /* event number (1-based) or virtual time in ns */
  uint64_t count;   /* how many consecutive events (>= 1) */
  uint32_t arg;     /* flash_error: SR bits; hostile: per mille */
  uint64_t fired;   /* how many times it has fired */
  uint64_t fired_ns; /* virtual time it first fired (with a clock, see lf_faults) */
  char phase[16];   /* "": armed from the start; else at is relative to the phase's entry */
  bool armed;       /* a phase item: its phase was entered and `at` made absolute */
  char fired_in[16]; /* the host's phase when it first fired ("" before any) */
} lf_fault;

typedef struct lf_faults {
  lf_fault items[LF_FAULTS_MAX];
  size_t n;
  uint64_t events[LF_FAULT_NKINDS]; /* running event counters per kind */
  const uint64_t *now_ns;           /* the board's virtual time (fired_ns), or NULL; set after parse */
  char phase[16];                   /* the host's phase (the last lf_faults_phase) */
} lf_faults;

void lf_faults_init(lf_faults *f);
/* Returns 0, or -1 with err naming the offending item and what was expected. */
int lf_faults_parse(lf_faults *f, const char *spec, char *err, size_t errlen);
/* Count one event of `kind` (for USB kinds pass LF_FAULT_USB_TIMEOUT: one
 * counter serves the three USB kinds) and return the fault that fires on it,
 * or NULL. */
lf_fault *lf_faults_event(lf_faults *f, lf_fault_kind kind);
/* The same for one USB transfer of direction `in` (usb_short fires on the
 * first IN transfer from its N on). */
lf_fault *lf_faults_usb_event(lf_faults *f, lf_fault_kind kind, bool in);
/* For time-armed faults: the first unfired fault of `kind` with at <= t. */
lf_fault *lf_faults_due(lf_faults *f, lf_fault_kind kind, uint64_t t);
/* The host entered phase `name` at virtual time now_ns: arms the unarmed
 * items of that phase (their `at` becomes absolute). Returns how many. */
size_t lf_faults_phase(lf_faults *f, const char *name, uint64_t now_ns);
/* The unplug item once it fired (every later USB transfer: NO_DEVICE). */
bool lf_faults_unplugged(const lf_faults *f);
/* The spec name of a kind ("usb_timeout"). */
const char *lf_fault_kind_name(lf_fault_kind k);
/* The hostile@ item (at = seed, arg = per mille), or NULL. */
const lf_fault *lf_faults_hostile(const lf_faults *f);

#endif
