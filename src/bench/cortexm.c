/* STUB: replaced by the Cortex-M7 core model. */
#include "bench/cortexm.h"
#include <stdlib.h>
struct lf_core { lf_core_counters c; };
lf_core *lf_core_new(const lf_core_env *env, const lf_bench_params *p, char *err, size_t errlen) { (void)env; (void)p; (void)err; (void)errlen; return calloc(1, sizeof(lf_core)); }
void lf_core_free(lf_core *c) { free(c); }
void lf_core_catch_up(lf_core *c, uint64_t t_ns) { (void)c; (void)t_ns; }
int lf_core_ppb_access(lf_core *c, lf_bus_master m, uint32_t addr, unsigned size, bool write, uint32_t *val, uint64_t *t_ns) { (void)c; (void)m; (void)addr; (void)size; (void)write; (void)val; (void)t_ns; return LF_BUS_ERR; }
void lf_core_reset(lf_core *c, lf_core_reset_kind kind, uint64_t t_ns) { (void)c; (void)kind; (void)t_ns; }
void lf_core_set_nrst(lf_core *c, bool asserted, uint64_t t_ns) { (void)c; (void)asserted; (void)t_ns; }
void lf_core_invalidate_code(lf_core *c, uint32_t addr, uint32_t len) { (void)c; (void)addr; (void)len; }
bool lf_core_halted(const lf_core *c) { (void)c; return true; }
uint32_t lf_core_reg(const lf_core *c, unsigned regsel) { (void)c; (void)regsel; return 0; }
const lf_core_counters *lf_core_counters_get(const lf_core *c) { return &c->c; }
