/* See rawprobe.h. */
#include "rawprobe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/dap.h"

typedef struct rawprobe {
  lf_probe base;
  lf_bench_board *b;
  lf_dap *d;
  unsigned transactions;
} rawprobe;

static int raw_ack(rawprobe *rp, lf_swd_ack ack, const char *op, uint8_t a)
{
  if (ack == LF_SWD_OK)
    return 0;
  return lf_err_set(rp->base.s, ack == LF_SWD_FAULT ? LF_EFAULT : LF_EIO, "raw: %s 0x%02x: ack %d",
                    op, a, ack);
}

static lf_swd_ack raw_xfer(rawprobe *rp, bool ap, bool rnw, uint8_t a, uint32_t *v)
{
  for (int i = 0;; i++) {
    rp->transactions++;
    lf_swd_ack ack = lf_dap_transact(rp->d, ap, rnw, a, v);
    if (ack != LF_SWD_WAIT || i > 100)
      return ack;
  }
}

static int raw_set_clock(lf_probe *p, uint32_t hz, uint32_t *actual)
{
  lf_dap_set_swclk(((rawprobe *)p)->d, hz);
  *actual = hz;
  return 0;
}

static int raw_connect(lf_probe *p, lf_connect_mode mode)
{
  rawprobe *rp = (rawprobe *)p;
  lf_dap_line_reset(rp->d);
  uint32_t id;
  return raw_ack(rp, raw_xfer(rp, false, true, 0, &id), "DPIDR", 0);
}

static int raw_disconnect(lf_probe *p) { return 0; }

static int raw_dp_read(lf_probe *p, uint8_t a, uint32_t *v)
{
  return raw_ack((rawprobe *)p, raw_xfer((rawprobe *)p, false, true, a, v), "DP read", a);
}

static int raw_dp_write(lf_probe *p, uint8_t a, uint32_t v)
{
  return raw_ack((rawprobe *)p, raw_xfer((rawprobe *)p, false, false, a, &v), "DP write", a);
}

static int raw_ap_read(lf_probe *p, uint8_t ap, uint8_t a, uint32_t *v)
{
  rawprobe *rp = (rawprobe *)p;
  int r = raw_ack(rp, raw_xfer(rp, true, true, a, v), "AP read", a); /* posted */
  return r ? r : raw_ack(rp, raw_xfer(rp, false, true, 0xC, v), "RDBUFF", 0xC);
}

static int raw_ap_write(lf_probe *p, uint8_t ap, uint8_t a, uint32_t v)
{
  rawprobe *rp = (rawprobe *)p;
  return raw_ack(rp, raw_xfer(rp, true, false, a, &v), "AP write", a);
}

static uint64_t raw_now(lf_probe *p) { return lf_bench_clock(((rawprobe *)p)->b)->now_ns; }
static void raw_close(lf_probe *p) { free(p); }

static const lf_probe_ops raw_ops = {
  .set_clock = raw_set_clock, .connect = raw_connect, .disconnect = raw_disconnect,
  .dp_read = raw_dp_read, .dp_write = raw_dp_write, .ap_read = raw_ap_read,
  .ap_write = raw_ap_write, .close = raw_close, .now_ns = raw_now, .caps = LF_PROBE_CAP_RAW_DAP,
};

lf_probe *lf_test_rawprobe_new(lf_session *s, lf_bench_board *b)
{
  rawprobe *rp = calloc(1, sizeof *rp);
  if (!rp)
    return NULL;
  rp->base.ops = &raw_ops;
  rp->base.s = s;
  snprintf(rp->base.info.kind, sizeof rp->base.info.kind, "rawdap");
  snprintf(rp->base.info.product, sizeof rp->base.info.product, "raw-DAP test probe");
  snprintf(rp->base.info.location, sizeof rp->base.info.location, "bench:dap");
  rp->b = b;
  rp->d = lf_bench_dap(b);
  return &rp->base;
}

unsigned lf_test_rawprobe_transactions(const lf_probe *p)
{
  return ((const rawprobe *)p)->transactions;
}
