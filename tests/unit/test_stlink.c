/* ST-Link driver: pure pieces (command encoding, version decoding and gates,
 * chunk planner) and integration against the bench's ST-LINK/V2-1 model
 * through the bench USB backend. References: probe-protocols.md 1.x. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/cortexm.h"
#include "bench/dap.h"
#include "bench/vstlink.h"
#include "core/session.h"
#include "probe/probe.h"
#include "probe/stlink.h"
#include "bench/usb_bench.h"

#define SRAM1 0x20020000u
#define DBGMCU_IDCODE 0xE0042000u
#define UNMAPPED 0x30000000u /* stm32f7-target.md 2: reserved above SRAM2 */

/* ---- pure: encoding ---- */

/* probe-protocols.md 1.7: F2 sub addr(4) len(2) ap(1) csw[31:8](3) 0 0 0 0 */
static void mem_command_layout_1_7(void **state)
{
  uint8_t c[16];
  lf_stlink_cmd_mem(c, 0x08, 0x20001234u, 0x0400, 1, 0xA20000u);
  const uint8_t want[16] = {0xF2, 0x08, 0x34, 0x12, 0x00, 0x20, 0x00, 0x04,
                            0x01, 0x00, 0x00, 0xA2, 0, 0, 0, 0};
  assert_memory_equal(c, want, 16);
}

/* probe-protocols.md 1.8: port 0xFFFF = DP, DP bank in addr bits 7:4 */
static void dap_command_layout_1_8(void **state)
{
  uint8_t c[16];
  lf_stlink_cmd_dap(c, true, 0xFFFF, 0x24, 0x1E);
  const uint8_t want[16] = {0xF2, 0x46, 0xFF, 0xFF, 0x24, 0x00, 0x1E, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  assert_memory_equal(c, want, 16);
  lf_stlink_cmd_dap(c, false, 3, 0xFC, 0xDEAD);
  const uint8_t want_r[16] = {0xF2, 0x45, 0x03, 0x00, 0xFC, 0x00};
  assert_memory_equal(c, want_r, 16);
}

/* ---- pure: versions (1.4) and gates (1.12) ---- */

static void version_v21_decodes_J_and_M_1_4(void **state)
{
  /* V2J37M26: 2<<12 | 37<<6 | 26 = 0x295A, big-endian; VID/PID LE */
  const uint8_t r[6] = {0x29, 0x5A, 0x83, 0x04, 0x4B, 0x37};
  lf_stlink_version v;
  bool ex;
  lf_stlink_decode_version(r, &v, &ex);
  assert_false(ex);
  assert_int_equal(v.hw, 2);
  assert_int_equal(v.jtag, 37);
  assert_int_equal(v.msc, 26);
  assert_int_equal(v.swim, 0);
  assert_int_equal(v.pid, 0x374B);
  char s[32];
  lf_stlink_version_string(&v, s, sizeof s);
  assert_string_equal(s, "V2J37M26");
}

static void version_v2_field_is_swim_1_4(void **state)
{
  const uint8_t r[6] = {0x29, 0x47, 0x83, 0x04, 0x48, 0x37}; /* V2J37S7 */
  lf_stlink_version v;
  bool ex;
  lf_stlink_decode_version(r, &v, &ex);
  char s[32];
  lf_stlink_version_string(&v, s, sizeof s);
  assert_string_equal(s, "V2J37S7");
}

static void version_v3_needs_version_ex_1_4(void **state)
{
  const uint8_t r[6] = {0x30, 0x00, 0x83, 0x04, 0x4F, 0x37};
  lf_stlink_version v;
  bool ex;
  lf_stlink_decode_version(r, &v, &ex);
  assert_true(ex);
  const uint8_t x[12] = {3, 0, 7, 3, 5, 0, 0, 0, 0x83, 0x04, 0x4F, 0x37};
  lf_stlink_decode_version_ex(x, &v);
  char s[32];
  lf_stlink_version_string(&v, s, sizeof s);
  assert_string_equal(s, "V3J7M3B5");
}

static void feature_gates_follow_table_1_12(void **state)
{
  lf_stlink_version v = {.hw = 2, .jtag = 21};
  assert_false(lf_stlink_has(&v, LF_STF_SWD_FREQ));
  v.jtag = 22;
  assert_true(lf_stlink_has(&v, LF_STF_SWD_FREQ));
  assert_false(lf_stlink_has(&v, LF_STF_DAP_REG));
  assert_false(lf_stlink_has(&v, LF_STF_COM_FREQ));
  assert_false(lf_stlink_has(&v, LF_STF_RW8_512));
  char need[32];
  lf_stlink_needed(&v, LF_STF_MEM16, need, sizeof need);
  assert_string_equal(need, "V2J26");
  lf_stlink_version v3 = {.hw = 3, .jtag = 5};
  assert_true(lf_stlink_has(&v3, LF_STF_COM_FREQ));
  assert_false(lf_stlink_has(&v3, LF_STF_SWD_FREQ));
  assert_false(lf_stlink_has(&v3, LF_STF_RW8_512));
  v3.jtag = 6;
  assert_true(lf_stlink_has(&v3, LF_STF_RW8_512));
  lf_stlink_version v4 = {.hw = 4, .jtag = 1};
  assert_false(lf_stlink_has(&v4, LF_STF_DP_BANK)); /* V3 column: J2 */
}

/* 1.10: nearest nominal frequency not above the request */
static void v2_clock_table_rounds_down_1_10(void **state)
{
  uint16_t d;
  uint32_t hz;
  assert_int_equal(lf_stlink_v2_swd_divisor(4000000, &d, &hz), 0);
  assert_int_equal(d, 0);
  assert_int_equal(hz, 4000000);
  assert_int_equal(lf_stlink_v2_swd_divisor(3999999, &d, &hz), 0);
  assert_int_equal(d, 1);
  assert_int_equal(hz, 1800000);
  assert_int_equal(lf_stlink_v2_swd_divisor(1000000, &d, &hz), 0);
  assert_int_equal(d, 3);
  assert_int_equal(hz, 950000);
  assert_int_equal(lf_stlink_v2_swd_divisor(5000, &d, &hz), 0);
  assert_int_equal(d, 798);
  assert_int_equal(lf_stlink_v2_swd_divisor(4999, &d, &hz), -1);
  assert_int_equal(lf_stlink_v2_swd_divisor(100000000, &d, &hz), 0);
  assert_int_equal(d, 0);
}

/* ---- pure: chunk planner (1.7, 1.14 Q1-Q6) ---- */

static const lf_stlink_limits lim_fs = {6144, 64, 1024, true};

static void check_plan(uint32_t addr, size_t len, unsigned width, const lf_stlink_limits *lim)
{
  long n = lf_stlink_plan(addr, len, width, lim, NULL, 0);
  assert_true(n >= 0);
  lf_stlink_chunk *c = calloc((size_t)n + 1, sizeof *c);
  assert_int_equal(lf_stlink_plan(addr, len, width, lim, c, (size_t)n), n);
  uint64_t a = addr;
  for (long i = 0; i < n; i++) {
    assert_int_equal(c[i].addr, (uint32_t)a); /* contiguous, in order */
    assert_true(c[i].len > 0);
    assert_true(c[i].len <= (c[i].width == 1 ? lim->max8 : lim->max32));
    /* Q1: never crosses a 1 KiB TAR block */
    assert_int_equal(c[i].addr / lim->block, (c[i].addr + c[i].len - 1) / lim->block);
    /* Q2: aligned address and length for 16/32-bit */
    assert_int_equal(c[i].addr % c[i].width, 0);
    assert_int_equal(c[i].len % c[i].width, 0);
    if (width)
      assert_int_equal(c[i].width, width);
    a += c[i].len;
  }
  assert_true(a == (uint64_t)addr + len);
  free(c);
}

static void plan_never_crosses_1k_and_respects_limits_q1_q2(void **state)
{
  for (uint32_t off = 0; off < 8; off++)
    for (size_t len = 0; len < 40; len++)
      check_plan(0x200003F0u + off, len, 0, &lim_fs);
  check_plan(0x20000001u, 70000, 0, &lim_fs);
  check_plan(0x20000000u, 65536, 4, &lim_fs);
  check_plan(0x20000002u, 4096, 2, &lim_fs);
  check_plan(0x20000003u, 3000, 1, &lim_fs);
  lf_stlink_limits v3 = {6144, 512, 1024, true};
  check_plan(0x20000003u, 3000, 1, &v3);
}

static void plan_unaligned_head_body_tail_q3(void **state)
{
  lf_stlink_chunk c[8];
  /* 0x...3FE + 9 bytes: 8-bit head 2 (to 0x400), 32-bit body 4, 8-bit tail 3 */
  long n = lf_stlink_plan(0x200003FEu, 9, 0, &lim_fs, c, 8);
  assert_int_equal(n, 3);
  assert_int_equal(c[0].width, 1);
  assert_int_equal(c[0].len, 2);
  assert_int_equal(c[1].width, 4);
  assert_int_equal(c[1].addr, 0x20000400u);
  assert_int_equal(c[1].len, 4);
  assert_int_equal(c[2].width, 1);
  assert_int_equal(c[2].len, 3);
  /* 64 KiB aligned: 64 32-bit commands of 1 KiB */
  assert_int_equal(lf_stlink_plan(0x20020000u, 65536, 0, &lim_fs, NULL, 0), 64);
  /* 8-bit forced: 64-byte pieces on full speed (1.7) */
  assert_int_equal(lf_stlink_plan(0x20020000u, 1024, 1, &lim_fs, NULL, 0), 16);
  /* Q6: nothing for length 0 */
  assert_int_equal(lf_stlink_plan(0x20020000u, 0, 0, &lim_fs, NULL, 0), 0);
}

static void plan_rejects_misaligned_forced_width_q2(void **state)
{
  assert_int_equal(lf_stlink_plan(0x20000002u, 8, 4, &lim_fs, NULL, 0), -1);
  assert_int_equal(lf_stlink_plan(0x20000000u, 6, 4, &lim_fs, NULL, 0), -1);
  assert_int_equal(lf_stlink_plan(0x20000001u, 2, 2, &lim_fs, NULL, 0), -1);
  lf_stlink_limits no16 = lim_fs;
  no16.has16 = false;
  assert_int_equal(lf_stlink_plan(0x20000000u, 2, 2, &no16, NULL, 0), -1);
}

/* ---- integration against the bench ---- */

typedef struct fx {
  lf_session *s;
  lf_bench_board *b;
  lf_usb_ctx *usb;
  lf_probe *p;
} fx;

static void fx_open(fx *f, const char *probe, const char *faults)
{
  memset(f, 0, sizeof *f);
  f->s = lf_session_new();
  assert_non_null(f->s);
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.probe = probe;
  cfg.faults = faults;
  char err[256];
  f->b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(f->b);
  assert_int_equal(lf_usb_new_bench(f->s, &f->b, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1};
  int r = lf_probe_open(f->s, f->usb, &sel, &f->p);
  if (r)
    fail_msg("open: %s", lf_err_msg(f->s));
}

static void fx_connect(fx *f)
{
  uint32_t hz;
  assert_int_equal(f->p->ops->set_clock(f->p, 4000000, &hz), 0);
  if (f->p->ops->connect(f->p, LF_CONNECT_NORMAL))
    fail_msg("connect: %s", lf_err_msg(f->s));
}

static void fx_close(fx *f)
{
  lf_probe_close(f->p);
  lf_usb_free(f->usb);
  lf_bench_board_free(f->b);
  lf_session_free(f->s);
}

static uint64_t now(fx *f) { return lf_bench_clock(f->b)->now_ns; }

static void list_shows_bench_probe_with_version(void **state)
{
  fx f;
  memset(&f, 0, sizeof f);
  f.s = lf_session_new();
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  char err[256];
  f.b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_int_equal(lf_usb_new_bench(f.s, &f.b, 1, &f.usb), 0);
  lf_probe_entry *es;
  size_t n;
  assert_int_equal(lf_probe_list(f.s, f.usb, &es, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(es[0].info.kind, "stlink");
  assert_string_equal(es[0].info.product, "ST-LINK/V2-1");
  assert_string_equal(es[0].info.firmware, "V2J37M26");
  assert_string_equal(es[0].info.serial, "066DFF575251717867174428");
  assert_string_equal(es[0].info.location, "bench:1");
  assert_true(es[0].has_voltage);
  assert_true(es[0].voltage > 3.2 && es[0].voltage < 3.3); /* vstlink preset 3.25 V */
  free(es);
  fx_close(&f);
}

static void open_by_serial_prefix(void **state)
{
  fx f;
  memset(&f, 0, sizeof f);
  f.s = lf_session_new();
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  char err[256];
  f.b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_int_equal(lf_usb_new_bench(f.s, &f.b, 1, &f.usb), 0);
  lf_probe_selector sel = {.serial = "066DFF57", .index = -1, .kind = "stlink"};
  assert_int_equal(lf_probe_open(f.s, f.usb, &sel, &f.p), 0);
  assert_string_equal(f.p->info.serial, "066DFF575251717867174428");
  assert_string_equal(f.p->info.kind, "stlink");
  lf_probe_close(f.p);
  f.p = NULL;
  lf_probe_selector bad = {.serial = "1234", .index = -1};
  assert_int_equal(lf_probe_open(f.s, f.usb, &bad, &f.p), LF_ENODEV);
  assert_non_null(strstr(lf_err_msg(f.s), "1234"));
  lf_probe_selector kind = {.index = -1, .kind = "cmsis-dap"}; /* a kind the bench lacks */
  assert_int_equal(lf_probe_open(f.s, f.usb, &kind, &f.p), LF_ENODEV);
  assert_non_null(strstr(lf_err_msg(f.s), "kind cmsis-dap"));
  lf_probe_selector unknown = {.index = -1, .kind = "jlink"};
  assert_int_equal(lf_probe_open(f.s, f.usb, &unknown, &f.p), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(f.s), "known: stlink, cmsis-dap"));
  fx_close(&f);
}

/* 1.10: 4 MHz on V2 = divisor 0 (nominal 4000 kHz) */
static void clock_4mhz_v21_gives_table_value_1_10(void **state)
{
  fx f;
  fx_open(&f, NULL, NULL);
  uint32_t hz = 0;
  assert_int_equal(f.p->ops->set_clock(f.p, 4000000, &hz), 0);
  assert_int_equal(hz, 4000000);
  assert_int_equal(f.p->ops->set_clock(f.p, 1000000, &hz), 0);
  assert_int_equal(hz, 950000);
  assert_int_equal(f.p->ops->set_clock(f.p, 1000, &hz), LF_EINVAL);
  fx_close(&f);
}

/* 1.10: V3 SET_COM_FREQ picks the highest supported <= request */
static void clock_v3_uses_set_com_freq_1_10(void **state)
{
  fx f;
  fx_open(&f, "v3", NULL);
  assert_string_equal(f.p->info.firmware, "V3J7M3B5");
  uint32_t hz = 0;
  assert_int_equal(f.p->ops->set_clock(f.p, 4000000, &hz), 0);
  printf("V3 4 MHz request -> %u Hz\n", hz);
  assert_true(hz <= 4000000 && hz > 0);
  assert_int_equal(f.p->ops->set_clock(f.p, 24000000, &hz), 0);
  assert_int_equal(hz, 24000000);
  fx_close(&f);
}

/* stm32f7-target.md 10: DPIDR 0x5BA02477; DBGMCU IDCODE DEV_ID 0x451 */
static void connect_reads_dpidr_and_dbgmcu(void **state)
{
  fx f;
  fx_open(&f, NULL, NULL);
  uint32_t hz;
  const lf_probe_stats *st = &f.p->st;
  uint64_t t0 = now(&f), rt0 = st->round_trips;
  assert_int_equal(f.p->ops->set_clock(f.p, 4000000, &hz), 0);
  printf("set_clock 4 MHz: %llu round trip, %.1f us modeled\n",
         (unsigned long long)(st->round_trips - rt0), (double)(now(&f) - t0) / 1000.0);
  t0 = now(&f);
  rt0 = st->round_trips;
  assert_int_equal(f.p->ops->connect(f.p, LF_CONNECT_NORMAL), 0);
  printf("connect: %llu round trips (ENTER, READ_IDCODES, INIT_AP 0), %.1f us modeled\n",
         (unsigned long long)(st->round_trips - rt0), (double)(now(&f) - t0) / 1000.0);
  assert_int_equal(st->round_trips - rt0, 3);
  assert_int_equal(f.p->dpidr, 0x5BA02477u);
  uint32_t v;
  assert_int_equal(f.p->ops->dp_read(f.p, 0x00, &v), 0);
  assert_int_equal(v, 0x5BA02477u);
  assert_int_equal(f.p->ops->read32(f.p, 0, DBGMCU_IDCODE, &v), 0);
  assert_int_equal(v & 0xFFF, 0x451);
  double volts;
  assert_int_equal(f.p->ops->target_voltage(f.p, &volts), 0);
  assert_true(volts > 3.2 && volts < 3.3);
  fx_close(&f);
}

static void ram_round_trips_all_alignments(void **state)
{
  fx f;
  fx_open(&f, NULL, NULL);
  fx_connect(&f);
  uint8_t out[2100], in[2100], peek[2100];
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 7 + 3);
  const uint32_t bases[] = {SRAM1 + 0x3F0, SRAM1 + 0x3FD, SRAM1 + 0x7FF};
  const size_t lens[] = {1, 2, 3, 4, 5, 7, 8, 13, 64, 65, 1024, 1031, 2050};
  unsigned seed = 1;
  for (size_t b = 0; b < 3; b++)
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
      for (uint32_t off = 0; off < 4; off++) {
        uint32_t a = bases[b] + off;
        size_t n = lens[l];
        out[0] = (uint8_t)seed++;
        if (f.p->ops->mem_write(f.p, 0, a, out, n, 0))
          fail_msg("write 0x%08x+%zu: %s", a, n, lf_err_msg(f.s));
        assert_int_equal(lf_bench_peek(f.b, a, peek, n), 0);
        assert_memory_equal(peek, out, n);
        memset(in, 0xEE, sizeof in);
        if (f.p->ops->mem_read(f.p, 0, a, in, n, 0))
          fail_msg("read 0x%08x+%zu: %s", a, n, lf_err_msg(f.s));
        assert_memory_equal(in, out, n);
        assert_int_equal(in[n], 0xEE); /* nothing written past the end */
      }
  /* the same through pipelined reads (heads, bodies, tails in one batch) */
  f.p->ops->set_read_depth(f.p, 5);
  for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
    for (uint32_t off = 0; off < 4; off++) {
      uint32_t a = SRAM1 + 0x3FD + off;
      memset(in, 0xEE, sizeof in);
      assert_int_equal(lf_bench_peek(f.b, a, peek, lens[l]), 0);
      if (f.p->ops->mem_read(f.p, 0, a, in, lens[l], 0))
        fail_msg("pipelined read 0x%08x+%zu: %s", a, lens[l], lf_err_msg(f.s));
      assert_memory_equal(in, peek, lens[l]);
      assert_int_equal(in[lens[l]], 0xEE);
    }
  f.p->ops->set_read_depth(f.p, 1);
  /* forced widths */
  assert_int_equal(f.p->ops->mem_write(f.p, 0, SRAM1 + 0x3FE, out, 6, 2), 0);
  assert_int_equal(f.p->ops->mem_read(f.p, 0, SRAM1 + 0x3FE, in, 6, 2), 0);
  assert_memory_equal(in, out, 6);
  assert_int_equal(f.p->ops->mem_read(f.p, 0, SRAM1 + 2, in, 4, 4), LF_EINVAL);
  /* read32/write32 (READ/WRITEDEBUGREG) */
  assert_int_equal(f.p->ops->write32(f.p, 0, SRAM1, 0xCAFEF00Du), 0);
  uint32_t w;
  assert_int_equal(f.p->ops->read32(f.p, 0, SRAM1, &w), 0);
  assert_int_equal(w, 0xCAFEF00Du);
  fx_close(&f);
}

static void perf_64k_write_and_read(void **state)
{
  fx f;
  fx_open(&f, NULL, NULL);
  fx_connect(&f);
  size_t n = 65536;
  uint8_t *buf = malloc(n), *back = malloc(n);
  for (size_t i = 0; i < n; i++)
    buf[i] = (uint8_t)(i ^ (i >> 8));
  const lf_probe_stats *st = &f.p->st;
  const lf_clock *clk = lf_bench_clock(f.b);
  uint64_t c0[LF_CLK_NCAT], cw[LF_CLK_NCAT], cr[LF_CLK_NCAT];
  memcpy(c0, clk->cat_ns, sizeof c0);
  uint64_t t0 = now(&f), rt0 = st->round_trips;
  assert_int_equal(f.p->ops->mem_write(f.p, 0, SRAM1, buf, n, 0), 0);
  uint64_t tw = now(&f) - t0, rtw = st->round_trips - rt0;
  for (int c = 0; c < LF_CLK_NCAT; c++)
    cw[c] = clk->cat_ns[c] - c0[c];
  memcpy(c0, clk->cat_ns, sizeof c0);
  t0 = now(&f);
  rt0 = st->round_trips;
  assert_int_equal(f.p->ops->mem_read(f.p, 0, SRAM1, back, n, 0), 0);
  uint64_t tr = now(&f) - t0, rtr = st->round_trips - rt0;
  for (int c = 0; c < LF_CLK_NCAT; c++)
    cr[c] = clk->cat_ns[c] - c0[c];
  assert_memory_equal(back, buf, n);
  for (int c = 0; c < LF_CLK_NCAT; c++)
    printf("  %-8s write %10.3f ms  read %10.3f ms\n", lf_clock_cat_name((lf_clk_cat)c),
           cw[c] / 1e6, cr[c] / 1e6);
  /* USB time by hand from the params: per 1 KiB command one batch (round
   * trip) of cmd(16) + data(1024) + GETLASTRWSTATUS2(16) + status(12) on
   * full speed: usb_fs_transfer_latency_ns L once, plus each transfer's
   * wire time (bytes + 15 B per 64-byte packet) * 8 / 12 Mbit/s:
   * 16 B 20667, 1024 B (16 packets) 842667, 12 B 18000. */
  uint64_t L = (uint64_t)lf_bench_params_get(f.b)->usb_fs_transfer_latency_ns;
  uint64_t per = L + 20667 + 842667 + 20667 + 18000;
  assert_int_equal(cw[LF_CLK_USB], 64 * per);
  assert_int_equal(cr[LF_CLK_USB], 64 * per);
  assert_int_equal(cw[LF_CLK_TIMEOUT] + cr[LF_CLK_TIMEOUT], 0);
  /* pipelined reads: 8 commands + statuses per batch */
  f.p->ops->set_read_depth(f.p, 8);
  memset(back, 0, n);
  t0 = now(&f);
  rt0 = st->round_trips;
  assert_int_equal(f.p->ops->mem_read(f.p, 0, SRAM1, back, n, 0), 0);
  uint64_t tp = now(&f) - t0, rtp = st->round_trips - rt0;
  assert_memory_equal(back, buf, n);
  printf("64 KiB RAM read, depth 8: %llu round trips, %.3f ms modeled\n",
         (unsigned long long)rtp, tp / 1e6);
  assert_int_equal(rtp, 8);
  /* the latency is paid per round trip: 8 instead of 64, the rest is equal */
  assert_int_equal(tp, tr - (64 - 8) * L);
  printf("64 KiB RAM write: %llu round trips, %.3f ms modeled (%.0f KiB/s)\n",
         (unsigned long long)rtw, tw / 1e6, 64.0 / (tw / 1e9));
  printf("64 KiB RAM read:  %llu round trips, %.3f ms modeled (%.0f KiB/s)\n",
         (unsigned long long)rtr, tr / 1e6, 64.0 / (tr / 1e9));
  /* one round trip per 1 KiB command, status included */
  assert_int_equal(rtw, 64);
  assert_int_equal(rtr, 64);
  free(buf);
  free(back);
  fx_close(&f);
}

/* write32_mem: the word, then the bytes, in one round trip; the word is
 * written even when the bytes' write faults, and each failure names its
 * own address. */
static void word_then_memory_in_one_round_trip(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, NULL, NULL);
  fx_connect(&f);
  assert_non_null(f.p->ops->write32_mem);
  const lf_probe_stats *st = &f.p->st;
  uint8_t out[1024], peek[1024];
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 13 + 5);
  uint64_t rt0 = st->round_trips;
  assert_int_equal(f.p->ops->write32_mem(f.p, 0, SRAM1 + 0x10, 0xA5A5F00Du, SRAM1 + 0x400, out, sizeof out, 0), 0);
  assert_int_equal(st->round_trips - rt0, 1);
  uint32_t w = 0;
  assert_int_equal(f.p->ops->read32(f.p, 0, SRAM1 + 0x10, &w), 0);
  assert_int_equal(w, 0xA5A5F00Du);
  assert_int_equal(lf_bench_peek(f.b, SRAM1 + 0x400, peek, sizeof out), 0);
  assert_memory_equal(peek, out, sizeof out);
  /* the bytes fault: the word is there, the error names the bytes' address */
  int r = f.p->ops->write32_mem(f.p, 0, SRAM1 + 0x14, 0x01020304u, UNMAPPED, out, 16, 0);
  assert_int_equal(r, LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "0x30000000"));
  assert_int_equal(f.p->ops->read32(f.p, 0, SRAM1 + 0x14, &w), 0);
  assert_int_equal(w, 0x01020304u);
  /* the word faults: its address is named */
  r = f.p->ops->write32_mem(f.p, 0, UNMAPPED, 1, SRAM1 + 0x400, out, 16, 0);
  assert_int_equal(r, LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "0x30000000"));
  /* misaligned word: refused before anything is sent */
  rt0 = st->round_trips;
  assert_int_equal(f.p->ops->write32_mem(f.p, 0, SRAM1 + 2, 1, SRAM1 + 0x400, out, 16, 0), LF_EINVAL);
  assert_int_equal(st->round_trips - rt0, 0);
  /* three 1 KiB commands after the word: one round trip too, every byte there */
  static uint8_t big[3072], back[3072];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7 + 1);
  rt0 = st->round_trips;
  uint64_t m0 = st->mem_commands, mr0 = st->mem_round_trips;
  assert_int_equal(f.p->ops->write32_mem(f.p, 0, SRAM1 + 0x18, 0x11223344u, SRAM1 + 0x800, big, sizeof big, 0), 0);
  assert_int_equal(st->round_trips - rt0, 1);
  assert_int_equal(st->mem_commands - m0, 3);
  assert_int_equal(st->mem_round_trips - mr0, 1);
  assert_int_equal(lf_bench_peek(f.b, SRAM1 + 0x800, back, sizeof back), 0);
  assert_memory_equal(back, big, sizeof big);
  assert_int_equal(f.p->ops->read32(f.p, 0, SRAM1 + 0x18, &w), 0);
  assert_int_equal(w, 0x11223344u);
  /* ... the second of them faults (past the end of the RAM): it is named,
   * the first one's bytes are there */
  uint32_t end = 0x20080000u; /* F767: SRAM2 ends at 0x2007FFFF */
  memset(big, 0x5A, sizeof big);
  r = f.p->ops->write32_mem(f.p, 0, SRAM1 + 0x1C, 2, end - 1024, big, 2048, 0);
  assert_int_equal(r, LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "at 0x20080000"));
  assert_int_equal(lf_bench_peek(f.b, end - 1024, back, 1024), 0);
  assert_memory_equal(back, big, 1024);
  fx_close(&f);
}

/* write_core_regs_then: core registers, then words, in one round trip; a
 * register that fails is named by its index (the core running). */
static void registers_then_words_in_one_round_trip(void **state)
{
  (void)state;
  fx f;
  fx_open(&f, NULL, NULL);
  fx_connect(&f);
  assert_non_null(f.p->ops->write_core_regs_then);
  const lf_probe_stats *st = &f.p->st;
  assert_int_equal(f.p->ops->write32(f.p, 0, 0xE000EDF0u, 0xA05F0003u), 0); /* halt */
  const unsigned regs[3] = {0, 1, 15};
  const uint32_t vals[3] = {0x12345678u, 0x9ABCDEF0u, 0x20000100u};
  const uint32_t wa[2] = {SRAM1 + 0x20, SRAM1 + 0x24}, wv[2] = {0xCAFEF00Du, 0x0BADBEEFu};
  size_t failed = 99;
  uint64_t rt0 = st->round_trips;
  assert_int_equal(f.p->ops->write_core_regs_then(f.p, regs, vals, 3, wa, wv, 2, &failed), 0);
  assert_int_equal(st->round_trips - rt0, 1);
  for (int i = 0; i < 3; i++)
    assert_int_equal(lf_core_reg(lf_bench_core(f.b), regs[i]), vals[i]);
  uint32_t w = 0;
  assert_int_equal(f.p->ops->read32(f.p, 0, wa[1], &w), 0);
  assert_int_equal(w, wv[1]);
  /* a word that faults: its index (after the registers) and address */
  const uint32_t bad[1] = {0x30000000u};
  assert_int_equal(f.p->ops->write_core_regs_then(f.p, regs, vals, 1, bad, wv, 1, &failed), LF_EFAULT);
  assert_int_equal(failed, 1);
  assert_non_null(strstr(lf_err_msg(f.s), "0x30000000"));
  /* too many for one submission: refused before anything is sent */
  unsigned many[13] = {0};
  uint32_t mv[13] = {0};
  rt0 = st->round_trips;
  assert_int_equal(f.p->ops->write_core_regs_then(f.p, many, mv, 13, NULL, NULL, 0, &failed), LF_EINVAL);
  assert_int_equal(st->round_trips - rt0, 0);
  fx_close(&f);
}

static void memory_fault_names_address(void **state)
{
  fx f;
  fx_open(&f, NULL, NULL);
  fx_connect(&f);
  uint8_t b[32];
  int r = f.p->ops->mem_read(f.p, 0, UNMAPPED, b, 16, 0);
  assert_int_equal(r, LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "0x30000000"));
  /* the driver cleared the sticky error: RAM works again */
  uint32_t w;
  assert_int_equal(f.p->ops->write32(f.p, 0, SRAM1, 0x12345678u), 0);
  assert_int_equal(f.p->ops->read32(f.p, 0, SRAM1, &w), 0);
  assert_int_equal(w, 0x12345678u);
  /* a read running off the end of SRAM2 (0x2007FFFF, stm32f7-target.md 2):
   * the fault address is the first unmapped word, not the command's start */
  r = f.p->ops->mem_read(f.p, 0, 0x2007FFF0u, b, 16 + 8, 0);
  assert_int_equal(r, LF_EFAULT);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "at address 0x20080000"));
  uint8_t *big = malloc(8192);
  f.p->ops->set_read_depth(f.p, 8);
  r = f.p->ops->mem_read(f.p, 0, 0x2007F000u, big, 8192, 0); /* 4 KiB mapped, then not */
  assert_int_equal(r, LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "at address 0x20080000"));
  f.p->ops->set_read_depth(f.p, 1);
  free(big);
  r = f.p->ops->mem_write(f.p, 0, 0x2007FFF8u, b, 12, 0);
  assert_int_equal(r, LF_EFAULT);
  printf("%s\n", lf_err_msg(f.s));
  assert_non_null(strstr(lf_err_msg(f.s), "at address 0x20080000"));
  r = f.p->ops->read32(f.p, 0, UNMAPPED + 4, &w);
  assert_int_equal(r, LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "0x30000004"));
  fx_close(&f);
}

/* Fault injection (faults.h): each gives a clear error and no hang. */
static void fault_injection_gives_clear_errors(void **state)
{
  /* The fault counters are 1-based over the whole session: count the
   * transfers of open+connect first, then arm the fault on the transfer of
   * the memory read that follows. */
  fx f;
  fx_open(&f, NULL, NULL);
  fx_connect(&f);
  uint64_t base = lf_usb_dev_stats(f.p->usb)->transfers;
  fx_close(&f);
  const struct {
    const char *kind;
    unsigned delta; /* transfer within the read batch: 1 cmd, 2 data, 3 st cmd, 4 st */
    int want;
    const char *needle;
  } cases[] = {
    {"usb_timeout", 2, LF_ETIMEDOUT, "timeout"},
    {"usb_stall", 1, LF_EIO, "stalled"},
    {"usb_short", 2, LF_EIO, "short reply"},
    {"usb_timeout", 4, LF_ETIMEDOUT, "timeout"}, /* the GETLASTRWSTATUS2 reply */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char spec[64];
    snprintf(spec, sizeof spec, "%s@%llu", cases[i].kind,
             (unsigned long long)(base + cases[i].delta));
    fx g;
    fx_open(&g, NULL, spec);
    fx_connect(&g);
    uint8_t b[64];
    int r = g.p->ops->mem_read(g.p, 0, SRAM1, b, sizeof b, 0);
    if (r != cases[i].want || !strstr(lf_err_msg(g.s), cases[i].needle))
      fail_msg("%s: got %d '%s'", spec, r, lf_err_msg(g.s));
    printf("%s -> %s\n", spec, lf_err_msg(g.s));
    /* the probe stays usable */
    r = g.p->ops->mem_read(g.p, 0, SRAM1, b, sizeof b, 0);
    if (r)
      fail_msg("%s: after: %s", spec, lf_err_msg(g.s));
    fx_close(&g);
  }
  /* swd_fault@N: an AP transaction answers FAULT */
  fx g;
  fx_open(&g, NULL, "swd_fault@1");
  fx_connect(&g);
  uint8_t b[64];
  int r = g.p->ops->mem_read(g.p, 0, SRAM1, b, sizeof b, 0);
  printf("swd_fault@1 -> %d %s\n", r, lf_err_msg(g.s));
  assert_int_equal(r, LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(g.s), "0x2002"));
  assert_int_equal(g.p->ops->mem_read(g.p, 0, SRAM1, b, sizeof b, 0), 0);
  fx_close(&g);
}

/* WAIT beyond the firmware's retries is LF_ETIMEDOUT (1.11 0x10); the
 * target is usable once it stops answering WAIT. */
static void swd_wait_becomes_timeout_error(void **state)
{
  /* swd_wait counts every SWD transaction: arm it on the first one after
   * open + connect (count taken from a clean run). */
  fx f;
  fx_open(&f, NULL, NULL);
  fx_connect(&f);
  uint64_t base = lf_dap_counters_get(lf_bench_dap(f.b))->transactions;
  fx_close(&f);
  char spec[48];
  snprintf(spec, sizeof spec, "swd_wait@%llux150", (unsigned long long)base + 1);
  fx_open(&f, NULL, spec);
  fx_connect(&f);
  uint8_t b[8];
  int r = f.p->ops->mem_read(f.p, 0, SRAM1, b, sizeof b, 0);
  printf("%s -> %s\n", spec, lf_err_msg(f.s));
  assert_int_equal(r, LF_ETIMEDOUT);
  assert_non_null(strstr(lf_err_msg(f.s), "WAIT"));
  assert_int_equal(f.p->ops->mem_read(f.p, 0, SRAM1, b, sizeof b, 0), 0);
  fx_close(&f);
}

/* 1.5: a probe left in debug mode is brought back to idle on open. */
static void open_leaves_debug_mode_1_5(void **state)
{
  lf_session *s = lf_session_new();
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  const uint8_t enter[16] = {0xF2, 0x30, 0xA3}, mode[16] = {0xF5};
  uint8_t rep[2];
  size_t n;
  assert_int_equal(lf_bench_usb_bulk_out(b, 0x01, enter, 16, &n, 100), 0);
  assert_int_equal(lf_bench_usb_bulk_in(b, 0x81, rep, 2, &n, 100), 0);
  assert_int_equal(lf_bench_usb_bulk_out(b, 0x01, mode, 16, &n, 100), 0);
  assert_int_equal(lf_bench_usb_bulk_in(b, 0x81, rep, 2, &n, 100), 0);
  assert_int_equal(rep[0], 0x02);
  lf_usb_ctx *usb;
  assert_int_equal(lf_usb_new_bench(s, &b, 1, &usb), 0);
  lf_probe *p;
  lf_probe_selector sel = {.index = 0};
  assert_int_equal(lf_probe_open(s, usb, &sel, &p), 0);
  assert_int_equal(lf_bench_usb_bulk_out(b, 0x01, mode, 16, &n, 100), 0);
  assert_int_equal(lf_bench_usb_bulk_in(b, 0x81, rep, 2, &n, 100), 0);
  assert_int_equal(rep[0], 0x01); /* mass storage = idle */
  /* memory access before connect is refused without touching USB */
  uint8_t d[4];
  assert_int_equal(p->ops->mem_read(p, 0, SRAM1, d, 4, 0), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(s), "not connected"));
  lf_probe_close(p);
  lf_usb_free(usb);
  lf_bench_board_free(b);
  lf_session_free(s);
}

static void connect_under_reset_then_release(void **state)
{
  fx f;
  fx_open(&f, NULL, NULL);
  assert_int_equal(f.p->ops->connect(f.p, LF_CONNECT_UNDER_RESET), 0);
  assert_int_equal(f.p->dpidr, 0x5BA02477u);
  assert_int_equal(f.p->ops->set_nrst(f.p, false), 0);
  uint32_t v;
  assert_int_equal(f.p->ops->read32(f.p, 0, DBGMCU_IDCODE, &v), 0);
  assert_int_equal(v & 0xFFF, 0x451);
  /* banked DP register (1.8, J32+): TARGETID = DP bank 2, addr 0x24 */
  assert_int_equal(f.p->ops->dp_read(f.p, 0x24, &v), 0);
  printf("TARGETID 0x%08x\n", v);
  /* disconnect then connect again */
  assert_int_equal(f.p->ops->disconnect(f.p), 0);
  assert_int_equal(f.p->ops->read32(f.p, 0, SRAM1, &v), LF_ETARGET);
  assert_int_equal(f.p->ops->connect(f.p, LF_CONNECT_NORMAL), 0);
  assert_int_equal(f.p->ops->read32(f.p, 0, SRAM1, &v), 0);
  fx_close(&f);
}

/* 1.7/1.12: 8-bit commands carry 64 bytes on full-speed probes, 512 on V3 >= J6 */
static void eight_bit_limit_per_probe_1_7(void **state)
{
  const struct { const char *probe; uint64_t cmds; } cases[] = {{NULL, 16}, {"v3", 2}};
  uint8_t out[1024], in[1024];
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 13);
  for (size_t c = 0; c < 2; c++) {
    fx f;
    fx_open(&f, cases[c].probe, NULL);
    fx_connect(&f);
    const lf_probe_stats *st = &f.p->st;
    uint64_t m0 = st->mem_commands;
    assert_int_equal(f.p->ops->mem_write(f.p, 0, SRAM1, out, sizeof out, 1), 0);
    assert_int_equal(st->mem_commands - m0, cases[c].cmds);
    assert_int_equal(f.p->ops->mem_read(f.p, 0, SRAM1, in, sizeof in, 1), 0);
    assert_int_equal(st->mem_commands - m0, 2 * cases[c].cmds);
    assert_memory_equal(in, out, sizeof in);
    fx_close(&f);
  }
}

/* 1.1: the V2 (PID 0x3748) uses OUT endpoint 0x02; firmware string V2J37S7 */
static void v2_probe_uses_its_endpoints_1_1(void **state)
{
  fx f;
  fx_open(&f, "v2", NULL);
  assert_string_equal(f.p->info.product, "ST-LINK/V2");
  assert_string_equal(f.p->info.firmware, "V2J37S7");
  assert_int_equal(f.p->info.pid, 0x3748);
  fx_connect(&f);
  uint32_t v;
  assert_int_equal(f.p->ops->read32(f.p, 0, DBGMCU_IDCODE, &v), 0);
  assert_int_equal(v & 0xFFF, 0x451);
  fx_close(&f);
}

typedef struct logcap {
  unsigned lines;
  uint64_t last_virt;
  char first[160];
} logcap;

static void cap_sink(void *ctx, int level, double host_ms, uint64_t virt_ns, const char *msg)
{
  logcap *c = ctx;
  if (!strstr(msg, "stlink >"))
    return;
  if (!c->lines++)
    snprintf(c->first, sizeof c->first, "%s", msg);
  c->last_virt = virt_ns;
}

/* Trace lines name each command and carry the bench's virtual time. */
static void trace_log_has_commands_and_virtual_time(void **state)
{
  fx f;
  fx_open(&f, NULL, NULL);
  logcap c = {0};
  lf_log_set_sink(f.s, cap_sink, &c, LF_LOG_TRACE);
  fx_connect(&f);
  assert_int_equal(c.lines, 4); /* set clock, enter, idcodes, INIT_AP */
  assert_non_null(strstr(c.first, "f2 43"));
  assert_true(c.last_virt != UINT64_MAX && c.last_virt > 0);
  lf_log_set_sink(f.s, NULL, NULL, 0);
  fx_close(&f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(mem_command_layout_1_7),
    cmocka_unit_test(dap_command_layout_1_8),
    cmocka_unit_test(version_v21_decodes_J_and_M_1_4),
    cmocka_unit_test(version_v2_field_is_swim_1_4),
    cmocka_unit_test(version_v3_needs_version_ex_1_4),
    cmocka_unit_test(feature_gates_follow_table_1_12),
    cmocka_unit_test(v2_clock_table_rounds_down_1_10),
    cmocka_unit_test(plan_never_crosses_1k_and_respects_limits_q1_q2),
    cmocka_unit_test(plan_unaligned_head_body_tail_q3),
    cmocka_unit_test(plan_rejects_misaligned_forced_width_q2),
    cmocka_unit_test(list_shows_bench_probe_with_version),
    cmocka_unit_test(open_by_serial_prefix),
    cmocka_unit_test(clock_4mhz_v21_gives_table_value_1_10),
    cmocka_unit_test(clock_v3_uses_set_com_freq_1_10),
    cmocka_unit_test(connect_reads_dpidr_and_dbgmcu),
    cmocka_unit_test(ram_round_trips_all_alignments),
    cmocka_unit_test(perf_64k_write_and_read),
    cmocka_unit_test(word_then_memory_in_one_round_trip),
    cmocka_unit_test(registers_then_words_in_one_round_trip),
    cmocka_unit_test(memory_fault_names_address),
    cmocka_unit_test(fault_injection_gives_clear_errors),
    cmocka_unit_test(swd_wait_becomes_timeout_error),
    cmocka_unit_test(open_leaves_debug_mode_1_5),
    cmocka_unit_test(connect_under_reset_then_release),
    cmocka_unit_test(eight_bit_limit_per_probe_1_7),
    cmocka_unit_test(v2_probe_uses_its_endpoints_1_1),
    cmocka_unit_test(trace_log_has_commands_and_virtual_time),
  };
  return cmocka_run_group_tests_name("stlink", tests, NULL, NULL);
}
