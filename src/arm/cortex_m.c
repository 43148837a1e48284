/* Cortex-M core debug (cortex_m.h). STUB: being implemented. */
#include "arm/cortex_m.h"

#include <stdlib.h>
#include <string.h>

struct lf_cm {
  lf_adi *a;
  lf_session *s;
  lf_cm_cfg cfg;
  lf_cm_info info;
  lf_cm_stats st;
};

void lf_cm_cfg_default(lf_cm_cfg *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->dbgmcu_base = LF_DBGMCU_BASE_F4F7;
  cfg->dbgmcu_cr = LF_DBGMCU_CR_DBG_SLEEP | LF_DBGMCU_CR_DBG_STOP | LF_DBGMCU_CR_DBG_STANDBY;
  cfg->halt_timeout_s = 0.1;
  cfg->reset_timeout_s = 0.1;
}

int lf_cm_new(lf_adi *a, const lf_cm_cfg *cfg, lf_cm **out)
{
  lf_cm *t = calloc(1, sizeof *t);
  if (!t)
    return lf_err_set(lf_adi_session(a), LF_ENOMEM, "cortex-m: out of memory");
  t->a = a;
  t->s = lf_adi_session(a);
  if (cfg)
    t->cfg = *cfg;
  else
    lf_cm_cfg_default(&t->cfg);
  *out = t;
  return 0;
}

void lf_cm_free(lf_cm *t) { free(t); }
lf_adi *lf_cm_adi(const lf_cm *t) { return t->a; }
const lf_cm_info *lf_cm_info_get(const lf_cm *t) { return &t->info; }
const lf_cm_stats *lf_cm_stats_get(const lf_cm *t) { return &t->st; }

#define STUB(...) return lf_err_set(t->s, LF_ENOTSUP, "cortex-m: not implemented yet")
int lf_cm_connect(lf_cm *t, lf_cm_connect_mode mode) { STUB(); }
int lf_cm_identify(lf_cm *t) { STUB(); }
int lf_cm_disconnect(lf_cm *t, bool resume) { STUB(); }
int lf_cm_halt(lf_cm *t) { STUB(); }
int lf_cm_resume(lf_cm *t) { STUB(); }
int lf_cm_step(lf_cm *t) { STUB(); }
int lf_cm_is_halted(lf_cm *t, bool *halted) { STUB(); }
int lf_cm_read_dhcsr(lf_cm *t, uint32_t *dhcsr) { STUB(); }
int lf_cm_read_reg(lf_cm *t, unsigned reg, uint32_t *val) { STUB(); }
int lf_cm_write_reg(lf_cm *t, unsigned reg, uint32_t val) { STUB(); }
int lf_cm_read_regs(lf_cm *t, const unsigned *regs, uint32_t *vals, size_t n) { STUB(); }
int lf_cm_write_regs(lf_cm *t, const unsigned *regs, const uint32_t *vals, size_t n) { STUB(); }
int lf_cm_reg_lookup(const char *name) { return -1; }
const char *lf_cm_reg_name(unsigned reg) { return NULL; }
int lf_cm_reset(lf_cm *t, lf_cm_reset_kind kind, bool halt) { STUB(); }
int lf_cm_set_return_bkpt(lf_cm *t, uint32_t addr) { STUB(); }
int lf_cm_run_function(lf_cm *t, uint32_t entry, const uint32_t args[4], uint32_t sp,
                       double timeout_s, uint32_t *r0) { STUB(); }
int lf_cm_start_function(lf_cm *t, uint32_t entry, const uint32_t args[4], uint32_t sp) { STUB(); }
int lf_cm_poll_function(lf_cm *t, bool *done, uint32_t *r0) { STUB(); }
int lf_cm_wait_function(lf_cm *t, double timeout_s, uint32_t *r0) { STUB(); }
