/* STUB: replaced by the DAP model. */
#include "bench/dap.h"
#include <stdlib.h>
struct lf_dap { lf_dap_counters c; double hz; };
lf_dap *lf_dap_new(const lf_dap_cfg *cfg, lf_clock *clk, const lf_bench_params *p, lf_bus bus,
                   lf_faults *faults) { (void)cfg; (void)clk; (void)p; (void)bus; (void)faults; return calloc(1, sizeof(lf_dap)); }
void lf_dap_free(lf_dap *d) { free(d); }
void lf_dap_set_swclk(lf_dap *d, double hz) { d->hz = hz; }
double lf_dap_swclk(const lf_dap *d) { return d->hz; }
lf_swd_ack lf_dap_transact(lf_dap *d, bool apndp, bool rnw, uint8_t a, uint32_t *data) { (void)d; (void)apndp; (void)rnw; (void)a; (void)data; return LF_SWD_NOACK; }
void lf_dap_line_reset(lf_dap *d) { (void)d; }
void lf_dap_jtag_to_swd(lf_dap *d) { (void)d; }
void lf_dap_idle(lf_dap *d, uint64_t cycles) { (void)d; (void)cycles; }
void lf_dap_set_power(lf_dap *d, bool on) { (void)d; (void)on; }
const lf_dap_counters *lf_dap_counters_get(const lf_dap *d) { return &d->c; }
