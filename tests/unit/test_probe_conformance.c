/* Probe conformance: what every probe driver must give the arm layer, run
 * against each kind the project has. A new driver adds one row to `kinds`
 * (how to open it on a bench board) and must pass every test unchanged.
 *
 * Today: the ST-Link driver over the bench transport (native memory
 * commands), a raw-DAP probe on the bench's SW-DP (tests/support: single
 * DP/AP transactions, the arm layer builds memory from them), and the
 * CMSIS-DAP driver (runs of transactions, DAP_Transfer/TransferBlock) on a
 * fake CMSIS-DAP firmware over the same SW-DP (tests/support/fakedap.h)
 * behind a test USB backend, and on the bench's CMSIS-DAP models (DAPLink
 * as v2 bulk and as v1 HID, the Raspberry Pi Debug Probe) through the bench
 * transport.
 * Each test goes through src/arm (lf_adi + its memory interfaces), the only
 * layer above src/probe, and checks the target's memory through the bench's
 * backdoor, so a driver cannot pass by agreeing with itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arm/adi.h"
#include "bench/bench.h"
#include "bench/dap.h"
#include "core/session.h"
#include "probe/cmsis_dap.h"
#include "probe/probe.h"
#include "bench/usb_bench.h"

#include "fakedap.h"
#include "rawprobe.h"

#define SRAM 0x20020000u     /* F767 SRAM1 */
#define UNMAPPED 0x30000000u /* reserved above SRAM2: bus fault */
#define DPIDR_F767 0x5BA02477u
#define AHB_AP_IDR 0x74770001u

typedef struct fx {
  lf_session *s;
  lf_bench_board *b;
  lf_usb_ctx *usb; /* NULL for probes without USB */
  lf_fake_dap *fake; /* the fake CMSIS-DAP firmware, or NULL */
  lf_probe *p;
  lf_adi *a;
} fx;

typedef struct probe_kind {
  const char *name;
  void (*open)(fx *f); /* f->s and f->b are set; opens f->p */
  const char *bench_probe; /* the bench's probe model wired to the board (NULL = its own ST-LINK) */
  const char *transport;   /* selector transport (NULL = the driver's first row) */
} probe_kind;

static const struct probe_kind *current; /* the row being opened */

static void open_stlink(fx *f)
{
  assert_int_equal(lf_usb_new_bench(f->s, &f->b, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1, .kind = "stlink"};
  if (lf_probe_open(f->s, f->usb, &sel, &f->p))
    fail_msg("open: %s", lf_err_msg(f->s));
}

static void open_rawdap(fx *f)
{
  f->p = lf_test_rawprobe_new(f->s, f->b);
  assert_non_null(f->p);
}

static void open_cmsis_dap_fake(fx *f)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c); /* composite: driven as v2 */
  c.board = f->b;
  f->fake = lf_fake_dap_new(&c);
  assert_non_null(f->fake);
  assert_int_equal(lf_fake_usb_new(f->s, &f->fake, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1, .kind = "cmsis-dap"};
  if (lf_probe_open(f->s, f->usb, &sel, &f->p))
    fail_msg("open: %s", lf_err_msg(f->s));
}

/* The CMSIS-DAP driver over the bench's CMSIS-DAP firmware models (their
 * USB timing, packet counts and HID reports), through the bench transport. */
static void open_cmsis_dap_model(fx *f)
{
  assert_int_equal(lf_usb_new_bench(f->s, &f->b, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1, .kind = "cmsis-dap", .transport = current->transport};
  if (lf_probe_open(f->s, f->usb, &sel, &f->p))
    fail_msg("open: %s", lf_err_msg(f->s));
  /* the row's transport is the one in use: HID reports, or bulk */
  bool hid = current->transport && strcmp(current->transport, "hid") == 0;
  assert_int_equal(lf_cmsis_dap_info_get(f->p)->v1, hid);
}

static const probe_kind kinds[] = {
  {"stlink", open_stlink, NULL, NULL},
  {"raw-DAP", open_rawdap, NULL, NULL},
  {"cmsis-dap (fake firmware)", open_cmsis_dap_fake, NULL, NULL},
  {"cmsis-dap v2 (DAPLink model)", open_cmsis_dap_model, "daplink", "bulk"},
  {"cmsis-dap v1 HID (DAPLink model)", open_cmsis_dap_model, "daplink", "hid"},
  {"cmsis-dap v2 (Debug Probe model)", open_cmsis_dap_model, "rpi-debugprobe", NULL},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static void fx_open(fx *f, const probe_kind *k)
{
  memset(f, 0, sizeof *f);
  f->s = lf_session_new();
  assert_non_null(f->s);
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.probe = k->bench_probe;
  char err[256];
  f->b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!f->b)
    fail_msg("bench: %s", err);
  current = k;
  k->open(f);
  uint32_t hz = 0;
  assert_int_equal(f->p->ops->set_clock(f->p, 4000000, &hz), 0);
  assert_true(hz > 0 && hz <= 4000000);
  assert_int_equal(lf_adi_new(f->s, f->p, NULL, &f->a), 0);
  if (lf_adi_connect(f->a, LF_CONNECT_NORMAL))
    fail_msg("%s: connect: %s", k->name, lf_err_msg(f->s));
}

static void fx_close(fx *f)
{
  lf_adi_disconnect(f->a);
  lf_adi_free(f->a);
  lf_probe_close(f->p);
  lf_usb_free(f->usb);
  lf_fake_dap_free(f->fake);
  lf_bench_board_free(f->b);
  lf_session_free(f->s);
}

#define EACH_KIND(...)                                                                         \
  for (size_t ki = 0; ki < NKINDS; ki++) {                                                     \
    fx f;                                                                                      \
    fx_open(&f, &kinds[ki]);                                                                   \
    const char *kind = kinds[ki].name;                                                         \
    (void)kind;                                                                                \
    __VA_ARGS__;                                                                               \
    fx_close(&f);                                                                              \
  }

static void backdoor(fx *f, uint32_t addr, void *buf, size_t len)
{
  assert_int_equal(lf_bench_peek(f->b, addr, buf, len), 0);
}

static void connect_reads_dpidr_powers_up_and_reaches_the_ap(void **state)
{
  EACH_KIND({
    assert_true(lf_adi_connected(f.a));
    assert_int_equal(lf_adi_dpidr(f.a), DPIDR_F767);
    uint32_t cs = 0, idr = 0;
    assert_int_equal(lf_adi_dp_read(f.a, LF_DP_CTRLSTAT, &cs), 0);
    if ((cs & 0xF0000000u) != 0xF0000000u)
      fail_msg("%s: CTRL/STAT 0x%08x: both power-up requests and ACKs expected", kind, cs);
    assert_int_equal(lf_adi_ap_read(f.a, 0, LF_AP_IDR, &idr), 0);
    assert_int_equal(idr, AHB_AP_IDR);
  });
}

static void words_round_trip_and_land_in_target_memory(void **state)
{
  EACH_KIND({
    lf_memap *m = lf_adi_memap(f.a, 0);
    assert_non_null(m);
    assert_int_equal(lf_memap_write32(m, SRAM, 0xCAFEF00Du), 0);
    uint32_t v = 0, back = 0;
    assert_int_equal(lf_memap_read32(m, SRAM, &v), 0);
    assert_int_equal(v, 0xCAFEF00Du);
    backdoor(&f, SRAM, &back, 4);
    assert_int_equal(back, 0xCAFEF00Du);
    assert_int_equal(lf_memap_read32(m, SRAM + 2, &v), LF_EINVAL); /* unaligned word */
  });
}

/* Every length 0..9 at every offset around a 1 KiB TAR block boundary, and
 * a 64 KiB + 5 byte block at an odd address. */
static void bytes_at_any_address_and_length_across_tar_blocks(void **state)
{
  EACH_KIND({
    lf_memap *m = lf_adi_memap(f.a, 0);
    uint8_t out[16], in[16], bd[16];
    for (uint32_t off = 0x3F9; off <= 0x400; off++)
      for (size_t len = 0; len <= 9; len++) {
        uint32_t a = SRAM + off;
        for (size_t i = 0; i < len; i++)
          out[i] = (uint8_t)(off * 7 + len * 13 + i);
        assert_int_equal(lf_memap_write(m, a, out, len, 0), 0);
        memset(in, 0xEE, sizeof in);
        assert_int_equal(lf_memap_read(m, a, in, len, 0), 0);
        backdoor(&f, a, bd, len);
        if (memcmp(in, out, len) || memcmp(bd, out, len))
          fail_msg("%s: %zu bytes at 0x%08x differ", kind, len, a);
      }
    size_t n = 65536 + 5;
    uint8_t *big = malloc(n), *rb = malloc(n), *bb = malloc(n);
    for (size_t i = 0; i < n; i++)
      big[i] = (uint8_t)(i * 31 + 7);
    assert_int_equal(lf_memap_write(m, SRAM + 3, big, n, 0), 0);
    assert_int_equal(lf_memap_read(m, SRAM + 3, rb, n, 0), 0);
    backdoor(&f, SRAM + 3, bb, n);
    assert_memory_equal(rb, big, n);
    assert_memory_equal(bb, big, n);
    free(big);
    free(rb);
    free(bb);
  });
}

/* A forced width is honoured: N bytes at width w are N/w bus accesses of
 * exactly w bytes (the bench's AHB-AP counts them), and the data lands in
 * the right byte lanes. */
static void forced_access_width_is_honoured(void **state)
{
  EACH_KIND({
    lf_memap *m = lf_adi_memap(f.a, 0);
    const lf_dap_counters *c = lf_dap_counters_get(lf_bench_dap(f.b));
    static const unsigned widths[] = {1, 2, 4};
    for (size_t wi = 0; wi < 3; wi++) {
      unsigned w = widths[wi];
      uint8_t out[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, in[8], bd[8];
      uint64_t bw = c->bus_writes, br = c->bus_reads;
      assert_int_equal(lf_memap_write(m, SRAM + 8, out, 8, w), 0);
      assert_int_equal(lf_memap_read(m, SRAM + 8, in, 8, w), 0);
      if (c->bus_writes - bw != 8 / w || c->bus_reads - br != 8 / w)
        fail_msg("%s: width %u: %llu bus writes and %llu reads for 8 bytes, expected %u each", kind,
                 w, (unsigned long long)(c->bus_writes - bw), (unsigned long long)(c->bus_reads - br),
                 8 / w);
      backdoor(&f, SRAM + 8, bd, 8);
      assert_memory_equal(in, out, 8);
      assert_memory_equal(bd, out, 8);
    }
    uint8_t b[4];
    assert_int_equal(lf_adi_read_width(f.a, SRAM + 1, b, 2, 2), LF_EINVAL); /* unaligned */
    assert_int_equal(lf_adi_read_width(f.a, SRAM, b, 3, 2), LF_EINVAL);     /* odd length */
    assert_int_equal(lf_adi_read_width(f.a, SRAM, b, 4, 3), LF_EINVAL);     /* no such width */
    assert_non_null(strstr(lf_err_msg(f.s), "expected 1, 2 or 4"));
  });
}

static void bus_fault_names_the_address_and_the_next_access_works(void **state)
{
  EACH_KIND({
    lf_memap *m = lf_adi_memap(f.a, 0);
    uint32_t v = 0;
    assert_int_equal(lf_memap_read32(m, UNMAPPED, &v), LF_EFAULT);
    if (!strstr(lf_err_msg(f.s), "0x30000000"))
      fail_msg("%s: fault message lacks the address: %s", kind, lf_err_msg(f.s));
    uint8_t buf[64];
    assert_int_equal(lf_memap_read(m, UNMAPPED, buf, sizeof buf, 0), LF_EFAULT);
    assert_int_equal(lf_memap_write32(m, SRAM, 0x01020304u), 0);
    assert_int_equal(lf_memap_read32(m, SRAM, &v), 0);
    assert_int_equal(v, 0x01020304u);
    uint32_t cs = 0;
    assert_int_equal(lf_adi_dp_read(f.a, LF_DP_CTRLSTAT, &cs), 0);
    assert_int_equal(cs & LF_CS_STICKYERR, 0);
  });
}

static void disconnect_and_reconnect(void **state)
{
  EACH_KIND({
    lf_memap *m = lf_adi_memap(f.a, 0);
    assert_int_equal(lf_adi_disconnect(f.a), 0);
    assert_false(lf_adi_connected(f.a));
    uint32_t v;
    assert_int_equal(lf_memap_read32(m, SRAM, &v), LF_ETARGET); /* not connected */
    assert_int_equal(lf_adi_connect(f.a, LF_CONNECT_NORMAL), 0);
    assert_int_equal(lf_adi_dpidr(f.a), DPIDR_F767);
    assert_int_equal(lf_memap_write32(m, SRAM, 0x5A5A0001u), 0);
    assert_int_equal(lf_memap_read32(m, SRAM, &v), 0);
    assert_int_equal(v, 0x5A5A0001u);
  });
}

/* The time base is the board's virtual clock for every kind: memory traffic
 * advances it, and it never runs backwards. */
static void time_base_is_the_bench_clock(void **state)
{
  EACH_KIND({
    uint64_t t0 = lf_probe_now_ns(f.p);
    assert_int_equal(t0, lf_bench_clock(f.b)->now_ns);
    uint8_t buf[1024];
    assert_int_equal(lf_adi_read(f.a, SRAM, buf, sizeof buf), 0);
    uint64_t t1 = lf_probe_now_ns(f.p);
    assert_true(t1 > t0);
    assert_int_equal(t1, lf_bench_clock(f.b)->now_ns);
  });
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(connect_reads_dpidr_powers_up_and_reaches_the_ap),
    cmocka_unit_test(words_round_trip_and_land_in_target_memory),
    cmocka_unit_test(bytes_at_any_address_and_length_across_tar_blocks),
    cmocka_unit_test(forced_access_width_is_honoured),
    cmocka_unit_test(bus_fault_names_the_address_and_the_next_access_works),
    cmocka_unit_test(disconnect_and_reconnect),
    cmocka_unit_test(time_base_is_the_bench_clock),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
