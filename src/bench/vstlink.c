/* STUB: replaced by the ST-Link firmware model. */
#include "bench/vstlink.h"
#include <stdlib.h>
#include <string.h>
struct lf_vstlink { lf_vstlink_cfg cfg; lf_vstlink_counters c; };
int lf_vstlink_cfg_preset(lf_vstlink_cfg *cfg, const char *name) { memset(cfg, 0, sizeof *cfg); cfg->vid = 0x0483; cfg->pid = 0x374B; cfg->hw = 2; cfg->jtag_ver = 37; cfg->msc_ver = 26; cfg->serial = "066DFF555654725187102240"; cfg->target_volts = 3.25; (void)name; return 0; }
lf_vstlink *lf_vstlink_new(const lf_vstlink_cfg *cfg, lf_clock *clk, const lf_bench_params *p,
                           lf_dap *dap, lf_vstlink_wiring wiring, lf_faults *faults) { (void)clk; (void)p; (void)dap; (void)wiring; (void)faults; lf_vstlink *v = calloc(1, sizeof *v); if (v) v->cfg = *cfg; return v; }
void lf_vstlink_free(lf_vstlink *v) { free(v); }
uint8_t lf_vstlink_ep_out(const lf_vstlink *v) { (void)v; return 0x01; }
uint8_t lf_vstlink_ep_in(const lf_vstlink *v) { (void)v; return 0x81; }
uint8_t lf_vstlink_ep_trace(const lf_vstlink *v) { (void)v; return 0x82; }
unsigned lf_vstlink_max_packet(const lf_vstlink *v) { (void)v; return 64; }
int lf_vstlink_bulk_out(lf_vstlink *v, uint8_t ep, const uint8_t *data, size_t len, size_t *actual, unsigned timeout_ms) { (void)v; (void)ep; (void)data; (void)len; (void)timeout_ms; *actual = 0; return LF_USB_ERR_IO; }
int lf_vstlink_bulk_in(lf_vstlink *v, uint8_t ep, uint8_t *buf, size_t len, size_t *actual, unsigned timeout_ms) { (void)v; (void)ep; (void)buf; (void)len; (void)timeout_ms; *actual = 0; return LF_USB_ERR_IO; }
uint64_t lf_vstlink_usb_ns(const lf_vstlink *v, size_t len) { (void)v; (void)len; return 0; }
const lf_vstlink_counters *lf_vstlink_counters_get(const lf_vstlink *v) { return &v->c; }
