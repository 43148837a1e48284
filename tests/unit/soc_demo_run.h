/* Test helper for the SoC unit tests (header-only, static): runs a SoC's
 * flash contents on the Cortex-M core model and counts changes of GPIOA's
 * output register, the way a board watches its LED. The including test
 * defines nothing; it provides the parameters and the SoC. */
#ifndef LF_TEST_SOC_DEMO_RUN_H
#define LF_TEST_SOC_DEMO_RUN_H

#include "bench/cortexm.h"
#include "bench/soc.h"

static unsigned led_changes;
static uint32_t led_odr;

static void on_gpio(void *ctx, unsigned port, uint32_t o, uint32_t n, uint64_t t)
{
  (void)ctx;
  (void)o;
  (void)t;
  if (port == 0) {
    led_changes++;
    led_odr = n;
  }
}

static int soc_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                   uint32_t *val, uint64_t *t)
{
  return lf_soc_access(ctx, m, addr, size, write, val, t);
}

static uint32_t boot_of(void *ctx) { return lf_soc_boot_address(ctx); }
static double clk_of(void *ctx) { return lf_soc_sysclk_hz(ctx); }

/* Power-on resets a core on s at start_ns and runs it in 10 ms steps up to
 * end_ns, counting GPIOA changes from zero; returns the core (the caller
 * frees it) to look at its registers. */
static lf_core *soc_demo_run(lf_soc *s, const lf_bench_params *p, uint64_t start_ns, uint64_t end_ns)
{
  led_changes = 0;
  lf_soc_set_gpio_cb(s, on_gpio, NULL);
  const lf_soc_region *r;
  size_t n = lf_soc_regions(s, &r);
  lf_core_env env = {
    .bus = {soc_bus, s}, .regions = r, .nregions = n, .cpuid = lf_soc_cpuid(s),
    .idcode = lf_soc_idcode(s), .sysclk_hz = clk_of, .boot_address = boot_of, .ctx = s,
  };
  char err[256];
  lf_core *c = lf_core_new(&env, p, err, sizeof err);
  if (!c)
    fail_msg("core: %s", err);
  lf_core_reset(c, LF_CORE_RESET_POWER, start_ns);
  for (uint64_t u = start_ns; u <= end_ns; u += 10000000ull)
    lf_core_catch_up(c, u);
  return c;
}

#endif
