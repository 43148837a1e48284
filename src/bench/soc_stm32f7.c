/* STUB: replaced by the STM32F7 SoC model. */
#include "bench/soc.h"
#include <stdlib.h>
#include <string.h>
struct lf_soc { lf_soc_counters c; };
lf_soc *lf_soc_new(const char *part, const lf_bench_params *p, lf_faults *faults, char *err, size_t errlen) { (void)part; (void)p; (void)faults; (void)err; (void)errlen; return calloc(1, sizeof(lf_soc)); }
void lf_soc_free(lf_soc *s) { free(s); }
const char *lf_soc_part(const lf_soc *s) { (void)s; return "stm32f767zi"; }
uint32_t lf_soc_idcode(const lf_soc *s) { (void)s; return 0x10016451; }
uint32_t lf_soc_cpuid(const lf_soc *s) { (void)s; return 0x411FC270; }
int lf_soc_access(lf_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write, uint32_t *val, uint64_t *t_ns) { (void)s; (void)m; (void)addr; (void)size; (void)write; (void)val; (void)t_ns; return LF_BUS_ERR; }
size_t lf_soc_regions(lf_soc *s, const lf_soc_region **out) { (void)s; *out = NULL; return 0; }
void lf_soc_reset(lf_soc *s, lf_soc_reset_kind kind, uint64_t t_ns) { (void)s; (void)kind; (void)t_ns; }
double lf_soc_sysclk_hz(const lf_soc *s) { (void)s; return 16e6; }
uint32_t lf_soc_boot_address(const lf_soc *s) { (void)s; return 0x00200000; }
int lf_soc_rdp_level(const lf_soc *s) { (void)s; return 0; }
void lf_soc_set_gpio_cb(lf_soc *s, lf_soc_gpio_fn fn, void *ctx) { (void)s; (void)fn; (void)ctx; }
int lf_soc_peek(const lf_soc *s, uint32_t addr, void *buf, size_t len) { (void)s; (void)addr; memset(buf, 0, len); return -1; }
int lf_soc_save_state(const lf_soc *s, FILE *f, char *err, size_t errlen) { (void)s; (void)f; (void)err; (void)errlen; return -1; }
int lf_soc_load_state(lf_soc *s, FILE *f, char *err, size_t errlen) { (void)s; (void)f; (void)err; (void)errlen; return -1; }
void lf_soc_power_loss(lf_soc *s, uint64_t t_ns) { (void)s; (void)t_ns; }
const lf_soc_counters *lf_soc_counters_get(const lf_soc *s) { return &s->c; }
