/* Virtual clock of the bench: one deterministic timeline in nanoseconds.
 *
 * Invariant: only the host-facing side (USB transfers, probe firmware, SWD wire
 * time, explicit waits) advances `now_ns`. The target core and the flash
 * controller run concurrently with it and never move it; they keep their own
 * timestamps and are brought up to `now_ns` on demand (see cortexm.h).
 * Every advance is attributed to exactly one category, so the per-category
 * totals always sum to now_ns. */
#ifndef LF_BENCH_CLOCK_H
#define LF_BENCH_CLOCK_H

#include <stdint.h>

typedef enum lf_clk_cat {
  LF_CLK_USB = 0,   /* bus time of USB transfers (latency + packets) */
  LF_CLK_FW,        /* probe firmware command handling */
  LF_CLK_SWD,       /* SWD wire time, incl. WAIT retries and sequences */
  LF_CLK_TIMEOUT,   /* host waited for a transfer that never completed */
  LF_CLK_RUN,       /* explicit lf_bench_run() / host sleeps */
  LF_CLK_NCAT
} lf_clk_cat;

typedef struct lf_clock {
  uint64_t now_ns;
  uint64_t cat_ns[LF_CLK_NCAT];
} lf_clock;

void lf_clock_init(lf_clock *c);
void lf_clock_advance(lf_clock *c, lf_clk_cat cat, uint64_t ns);
const char *lf_clock_cat_name(lf_clk_cat cat);

/* Rounded conversion helpers used by every model so rounding is uniform. */
uint64_t lf_clock_cycles_ns(uint64_t cycles, double hz);

#endif
