/* The SoC dispatch layer (soc.c, soc_family.h): a family that implements
 * only the required ops gets the defaults soc.h documents; the registry
 * finds parts and lists them all when one is unknown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/params.h"
#include "bench/soc.h"
#include "bench/soc_family.h"

/* A minimal family: one part, 4 KiB of RAM at 0x20000000, nothing else. */
#define RAM_BASE 0x20000000u
#define RAM_SIZE 0x1000u

typedef struct ramsoc {
  uint8_t ram[RAM_SIZE];
  lf_soc_region region;
} ramsoc;

static const char *ram_part_name(size_t i) { return i == 0 ? "ramchip" : NULL; }

static void *ram_create(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                        size_t errlen)
{
  ramsoc *r = calloc(1, sizeof *r);
  if (!r) {
    snprintf(err, errlen, "oom");
    return NULL;
  }
  r->region = (lf_soc_region){"RAM", RAM_BASE, RAM_SIZE, r->ram, true, false};
  *info = (lf_soc_info){.part = "ramchip", .cpuid = 0x410FC241u, .dpidr = 0x2BA01477u,
                        .ap_idr = 0x24770011u, .ap_base = 0xE00FF003u, .regions = &r->region,
                        .nregions = 1};
  return r;
}

static void ram_destroy(void *self) { free(self); }

static int ram_access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                      uint32_t *val, uint64_t *t_ns)
{
  ramsoc *r = self;
  if (addr < RAM_BASE || addr - RAM_BASE + size > RAM_SIZE)
    return LF_BUS_ERR;
  uint8_t *p = r->ram + (addr - RAM_BASE);
  if (write)
    memcpy(p, val, size); /* little-endian host, as the bench's targets */
  else {
    *val = 0;
    memcpy(val, p, size);
  }
  return LF_BUS_OK;
}

static const lf_soc_family ramfam = {
  .name = "ram",
  .part_name = ram_part_name,
  .create = ram_create,
  .destroy = ram_destroy,
  .access = ram_access,
};

static lf_bench_params P;

static lf_soc *mk(void)
{
  char err[256] = "";
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new_family(&ramfam, "ramchip", &P, NULL, err, sizeof err);
  assert_non_null(s);
  return s;
}

static void gpio_never(void *ctx, unsigned port, uint32_t o, uint32_t n, uint64_t t)
{
  (void)ctx, (void)port, (void)o, (void)n, (void)t;
  fail_msg("a SoC without GPIO reported an output change");
}

static void family_without_optional_ops_gets_the_documented_defaults(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t v = 0x12345678u;
  uint64_t t = 0;
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, RAM_BASE, 4, true, &v, &t), LF_BUS_OK);

  lf_soc_set_gpio_cb(s, gpio_never, NULL);
  lf_soc_debug_connected(s);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 1000);
  lf_soc_reset(s, LF_SOC_RESET_POWER, 2000);
  lf_soc_power_loss(s, 3000);
  lf_soc_set_uid(s, 42);
  assert_int_equal(lf_soc_rdp_level(s), 0);
  assert_false(lf_soc_flash_locked(s));
  assert_int_equal(lf_soc_boot_address(s), 0);
  assert_true(lf_soc_sysclk_hz(s) == P.core_hsi_hz);
  assert_true(lf_soc_watchdog_deadline(s) == UINT64_MAX);
  /* reset and power loss left the memory alone */
  v = 0;
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, RAM_BASE, 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(v, 0x12345678u);

  /* identity and regions: the data the family gave at creation */
  assert_string_equal(lf_soc_part(s), "ramchip");
  assert_int_equal(lf_soc_idcode(s), 0);
  assert_int_equal(lf_soc_cpuid(s), 0x410FC241u);
  uint32_t dpidr, targetid, ap_idr, ap_base;
  lf_soc_debug_ids(s, &dpidr, &targetid, &ap_idr, &ap_base);
  assert_int_equal(dpidr, 0x2BA01477u);
  assert_int_equal(targetid, 0);
  assert_int_equal(ap_idr, 0x24770011u);
  assert_int_equal(ap_base, 0xE00FF003u);
  const lf_soc_region *rg;
  assert_int_equal(lf_soc_regions(s, &rg), 1);
  assert_int_equal(rg[0].base, RAM_BASE);
  /* one AP (AP 0), no debug APB, the core's own ROM tables */
  for (unsigned i = 0; i <= LF_SOC_MAX_APS; i++)
    assert_int_equal(lf_soc_debug_ap(s, i).view, LF_SOC_AP_NONE);
  v = 0x55u;
  uint64_t bc = lf_soc_counters_get(s)->bus_errors;
  assert_int_equal(lf_soc_debug_apb_access(s, 0xE00E1000u, 4, false, &v, &t), LF_BUS_ERR);
  assert_int_equal(lf_soc_counters_get(s)->bus_errors, bc + 1);
  const lf_cs_ident *rom = (const lf_cs_ident *)1;
  assert_int_equal(lf_soc_core_rom(s, &rom), 0);
  assert_null(rom);

  /* no state file: both directions fail with a message naming the part */
  char err[128] = "";
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), -1);
  assert_string_equal(err, "soc state: ramchip keeps no state file");
  err[0] = 0;
  assert_int_equal(lf_soc_load_state(s, f, err, sizeof err), -1);
  assert_string_equal(err, "soc state: ramchip keeps no state file");
  fclose(f);
  lf_soc_free(s);
}

static void default_peek_reads_the_regions_and_stops_outside(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t v = 0xA1B2C3D4u;
  uint64_t t = 0;
  assert_int_equal(lf_soc_access(s, LF_BUS_DEBUG, RAM_BASE + RAM_SIZE - 4, 4, true, &v, &t),
                   LF_BUS_OK);
  uint8_t b[8];
  assert_int_equal(lf_soc_peek(s, RAM_BASE + RAM_SIZE - 4, b, 4), 0);
  assert_memory_equal(b, ((uint8_t[]){0xD4, 0xC3, 0xB2, 0xA1}), 4);
  memset(b, 0x55, sizeof b);
  assert_int_equal(lf_soc_peek(s, RAM_BASE + RAM_SIZE - 4, b, 8), -1);
  assert_memory_equal(b, ((uint8_t[]){0xD4, 0xC3, 0xB2, 0xA1, 0, 0, 0, 0}), 8);
  lf_soc_free(s);
}

static void bus_errors_are_counted_for_every_family(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t v = 0;
  uint64_t t = 0;
  assert_int_equal(lf_soc_counters_get(s)->bus_errors, 0);
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, 0x40000000u, 4, false, &v, &t), LF_BUS_ERR);
  assert_int_equal(lf_soc_access(s, LF_BUS_CORE, RAM_BASE, 4, false, &v, &t), LF_BUS_OK);
  assert_int_equal(lf_soc_counters_get(s)->bus_errors, 1);
  assert_int_equal(lf_soc_counters_get(s)->flash_prog_ops, 0);
  lf_soc_free(s);
}

static void family_without_a_required_op_is_refused(void **state)
{
  (void)state;
  lf_soc_family broken = ramfam;
  broken.access = NULL;
  char err[128] = "";
  lf_bench_params_default(&P);
  assert_null(lf_soc_new_family(&broken, "ramchip", &P, NULL, err, sizeof err));
  assert_string_equal(err, "soc: family ram lacks a required op");
}

static void registry_finds_parts_and_lists_all_when_unknown(void **state)
{
  (void)state;
  char err[256] = "";
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new("stm32f429zi", &P, NULL, err, sizeof err);
  assert_non_null(s);
  assert_string_equal(lf_soc_part(s), "stm32f429zi");
  lf_soc_free(s);
  s = lf_soc_new("stm32f103rb", &P, NULL, err, sizeof err); /* a second family */
  assert_non_null(s);
  assert_string_equal(lf_soc_part(s), "stm32f103rb");
  lf_soc_free(s);
  /* every family's parts, in registry order */
  assert_null(lf_soc_new("gd32vf103", &P, NULL, err, sizeof err));
  assert_string_equal(err, "soc: unknown part 'gd32vf103' (known: stm32f767zi, stm32f429zi, stm32h743zi, "
                           "stm32f103rb, stm32f103rc, stm32l476rg, rp2040, nrf52840)");
  assert_null(lf_soc_new(NULL, &P, NULL, err, sizeof err));
  assert_string_equal(err, "soc: unknown part '(null)' (known: stm32f767zi, stm32f429zi, stm32h743zi, "
                           "stm32f103rb, stm32f103rc, stm32l476rg, rp2040, nrf52840)");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(family_without_optional_ops_gets_the_documented_defaults),
    cmocka_unit_test(default_peek_reads_the_regions_and_stops_outside),
    cmocka_unit_test(bus_errors_are_counted_for_every_family),
    cmocka_unit_test(family_without_a_required_op_is_refused),
    cmocka_unit_test(registry_finds_parts_and_lists_all_when_unknown),
  };
  return cmocka_run_group_tests_name("soc_family", tests, NULL, NULL);
}
