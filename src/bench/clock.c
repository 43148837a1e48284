#include "bench/clock.h"

#include <math.h>
#include <string.h>

void lf_clock_init(lf_clock *c) { memset(c, 0, sizeof *c); }

void lf_clock_advance(lf_clock *c, lf_clk_cat cat, uint64_t ns)
{
  c->now_ns += ns;
  c->cat_ns[cat] += ns;
}

const char *lf_clock_cat_name(lf_clk_cat cat)
{
  static const char *const names[LF_CLK_NCAT] = {"usb", "probe_fw", "swd", "timeout", "run"};
  return (unsigned)cat < LF_CLK_NCAT ? names[cat] : "?";
}

uint64_t lf_clock_cycles_ns(uint64_t cycles, double hz)
{
  if (hz <= 0)
    return 0;
  return (uint64_t)llround((double)cycles * 1e9 / hz);
}
