/* A raw-DAP probe for tests: the probe.h vtable with only DP/AP register
 * transactions (LF_PROBE_CAP_RAW_DAP, what a CMSIS-DAP probe gives), wired
 * straight to a bench board's SW-DP model (no USB; no NRST, no voltage). WAIT is retried, FAULT
 * is LF_EFAULT, anything else LF_EIO. Time is the board's virtual clock. */
#ifndef LF_TESTS_RAWPROBE_H
#define LF_TESTS_RAWPROBE_H

#include "bench/bench.h"
#include "probe/probe.h"

/* NULL when out of memory. lf_probe_close frees it (not the board). */
lf_probe *lf_test_rawprobe_new(lf_session *s, lf_bench_board *b);
/* SWD transactions it made (WAIT retries included). */
unsigned lf_test_rawprobe_transactions(const lf_probe *p);

#endif
