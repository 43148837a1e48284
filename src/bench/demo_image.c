/* STUB: generated from scripts/demo/ by scripts/gen-demo.sh. */
#include "bench/bench.h"
const unsigned char lf_demo_f767_bin[] = {0};
const unsigned int lf_demo_f767_bin_len = 0;
