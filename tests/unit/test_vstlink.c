/* ST-LINK firmware model (src/bench/vstlink.c) over a real lf_dap over a fake
 * bus, driven with raw 16-byte commands. References: probe-protocols.md 1
 * (commands, limits, status codes), 4 (wire), stm32f7-target.md 10-11.
 * Default parameters: USB FS 12 Mbit/s, 15 B/packet overhead, 125 us per
 * transfer; stlink_cmd_ns 20 us; swd gap 500 ns; measured SWCLK 1553 kHz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/dap.h"
#include "bench/vstlink.h"

#define RAM_BASE 0x20000000u
#define RAM_SIZE 0x10000u
#define SLOW_BASE 0x08000000u
#define SLOW_NS 100000u
#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define AIRCR 0xE000ED0Cu

typedef struct fake {
  uint8_t ram[RAM_SIZE];
  uint32_t slow[64];
  uint32_t dcrsr, dcrdr_written, aircr;
  unsigned dcrsr_writes;
} fake;

static int fake_access(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                       uint32_t *val, uint64_t *t)
{
  fake *f = ctx;
  (void)m;
  if (addr >= RAM_BASE && addr + size <= RAM_BASE + RAM_SIZE) {
    if (write)
      memcpy(f->ram + (addr - RAM_BASE), val, size);
    else {
      *val = 0;
      memcpy(val, f->ram + (addr - RAM_BASE), size);
    }
    return LF_BUS_OK;
  }
  if (addr >= SLOW_BASE && addr < SLOW_BASE + 256 && size == 4) {
    if (write) {
      f->slow[(addr - SLOW_BASE) / 4] = *val;
      *t += SLOW_NS;
    } else {
      *val = f->slow[(addr - SLOW_BASE) / 4];
    }
    return LF_BUS_OK;
  }
  switch (write ? addr | 1u : addr) {
  case DHCSR: *val = 0x00030003; return LF_BUS_OK; /* S_REGRDY, S_HALT, C_HALT, C_DEBUGEN */
  case DCRSR | 1u: f->dcrsr = *val; f->dcrsr_writes++; return LF_BUS_OK;
  case DCRDR: *val = 0x1000u + (f->dcrsr & 0x7F); return LF_BUS_OK;
  case DCRDR | 1u: f->dcrdr_written = *val; return LF_BUS_OK;
  case AIRCR | 1u: f->aircr = *val; return LF_BUS_OK;
  default: return LF_BUS_ERR;
  }
}

typedef struct nrst_ev { bool asserted; uint64_t t; } nrst_ev;

typedef struct rig {
  lf_clock clk;
  lf_bench_params p;
  lf_faults faults;
  fake bus;
  lf_dap *d;
  lf_vstlink *v;
  lf_vstlink_cfg cfg;
  nrst_ev ev[8];
  unsigned nev;
} rig;

static void nrst_cb(void *ctx, bool asserted, uint64_t t)
{
  rig *r = ctx;
  if (r->nev < 8)
    r->ev[r->nev++] = (nrst_ev){asserted, t};
}

static rig *rig_new(const char *probe, const char *faults, bool measured)
{
  static rig r;
  memset(&r, 0, sizeof r);
  lf_clock_init(&r.clk);
  lf_bench_params_default(&r.p);
  r.p.stlink_swclk_measured = measured;
  char err[128];
  assert_int_equal(lf_faults_parse(&r.faults, faults, err, sizeof err), 0);
  lf_dap_cfg dc = {.dpidr = 0x5BA02477, .targetid = 0x04510041, .ap_idr = 0x74770001,
                   .ap_base = 0xE00FD003};
  r.d = lf_dap_new(&dc, &r.clk, &r.p, (lf_bus){fake_access, &r.bus}, &r.faults);
  assert_int_equal(lf_vstlink_cfg_preset(&r.cfg, probe), 0);
  r.v = lf_vstlink_new(&r.cfg, &r.clk, &r.p, r.d, (lf_vstlink_wiring){nrst_cb, &r}, &r.faults);
  assert_non_null(r.d);
  assert_non_null(r.v);
  return &r;
}

static void rig_free(rig *r)
{
  lf_vstlink_free(r->v);
  lf_dap_free(r->d);
}

/* Command block (zero-padded), optional data OUT, optional IN of rlen bytes.
 * Returns the last transfer's code; *got = bytes received. */
static int cmd(rig *r, const uint8_t *c, size_t clen, const void *out, size_t olen, void *in,
               size_t rlen, size_t *got)
{
  uint8_t blk[16] = {0};
  memcpy(blk, c, clen);
  size_t n = 0;
  int rc = lf_vstlink_bulk_out(r->v, lf_vstlink_ep_out(r->v), blk, 16, &n, 1000);
  if (rc == LF_VUSB_OK && olen)
    rc = lf_vstlink_bulk_out(r->v, lf_vstlink_ep_out(r->v), out, olen, &n, 1000);
  if (got)
    *got = 0;
  if (rc == LF_VUSB_OK && rlen)
    rc = lf_vstlink_bulk_in(r->v, 0x81, in, rlen, got ? got : &n, 1000);
  return rc;
}

static uint8_t status1(rig *r, const uint8_t *c, size_t clen)
{
  uint8_t rep[2] = {0xEE, 0xEE};
  assert_int_equal(cmd(r, c, clen, NULL, 0, rep, 2, NULL), LF_VUSB_OK);
  return rep[0];
}

static uint8_t enter(rig *r) { return status1(r, (const uint8_t[]){0xF2, 0x30, 0xA3}, 3); }

static uint32_t le32(const uint8_t *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void mem_cmd_block(uint8_t *c, uint8_t sub, uint32_t addr, uint16_t len)
{
  memset(c, 0, 16);
  c[0] = 0xF2;
  c[1] = sub;
  memcpy(c + 2, &addr, 4);
  memcpy(c + 6, &len, 2);
}

/* GETLASTRWSTATUS2: returns status, *fault = fault address. */
static uint16_t rw2(rig *r, uint32_t *fault)
{
  uint8_t rep[12];
  size_t got;
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x3E}, 2, NULL, 0, rep, 12, &got), LF_VUSB_OK);
  assert_int_equal(got, 12);
  if (fault)
    *fault = le32(rep + 4);
  return (uint16_t)(rep[0] | rep[1] << 8);
}

static uint16_t mem_write(rig *r, uint8_t sub, uint32_t addr, const void *buf, uint16_t len)
{
  uint8_t c[16];
  mem_cmd_block(c, sub, addr, len);
  assert_int_equal(cmd(r, c, 16, buf, len, NULL, 0, NULL), LF_VUSB_OK);
  return rw2(r, NULL);
}

static uint16_t mem_read(rig *r, uint8_t sub, uint32_t addr, void *buf, uint16_t len, size_t *got)
{
  uint8_t c[16];
  mem_cmd_block(c, sub, addr, len);
  assert_int_equal(cmd(r, c, 16, NULL, 0, buf, (size_t)len + 2, got), LF_VUSB_OK);
  return rw2(r, NULL);
}

static uint8_t read_dap(rig *r, uint16_t port, uint16_t addr, uint32_t *val)
{
  uint8_t c[6] = {0xF2, 0x45, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)addr, (uint8_t)(addr >> 8)};
  uint8_t rep[8];
  assert_int_equal(cmd(r, c, 6, NULL, 0, rep, 8, NULL), LF_VUSB_OK);
  *val = le32(rep + 4);
  return rep[0];
}

static uint8_t write_dap(rig *r, uint16_t port, uint16_t addr, uint32_t val)
{
  uint8_t c[10] = {0xF2, 0x46, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)addr, (uint8_t)(addr >> 8)};
  memcpy(c + 6, &val, 4);
  return status1(r, c, 10);
}

/* probe-protocols.md 1.4 and 1.1: version word (BE), VID/PID, endpoints. */
static void version_and_endpoints_per_probe_1_1_1_4(void **state)
{
  (void)state;
  uint8_t rep[12];
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF1}, 1, NULL, 0, rep, 6, NULL), LF_VUSB_OK);
  assert_memory_equal(rep, "\x29\x5A\x83\x04\x4B\x37", 6); /* 2<<12 | 37<<6 | 26 */
  assert_int_equal(lf_vstlink_ep_out(r->v), 0x01);
  assert_int_equal(lf_vstlink_ep_trace(r->v), 0x82);
  assert_int_equal(lf_vstlink_max_packet(r->v), 64);
  rig_free(r);

  r = rig_new("v2", NULL, true);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF1}, 1, NULL, 0, rep, 6, NULL), LF_VUSB_OK);
  assert_memory_equal(rep, "\x29\x47\x83\x04\x48\x37", 6); /* V2J37S7 */
  assert_int_equal(lf_vstlink_ep_out(r->v), 0x02);
  assert_int_equal(lf_vstlink_ep_trace(r->v), 0x83);
  rig_free(r);

  r = rig_new("v3", NULL, true);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF1}, 1, NULL, 0, rep, 6, NULL), LF_VUSB_OK);
  assert_memory_equal(rep, "\x30\x00\x83\x04\x4F\x37", 6); /* HW 3, J = M = 0 */
  assert_int_equal(cmd(r, (const uint8_t[]){0xFB}, 1, NULL, 0, rep, 12, NULL), LF_VUSB_OK);
  assert_memory_equal(rep, "\x03\x00\x07\x03\x05\x00\x00\x00\x83\x04\x4F\x37", 12);
  assert_int_equal(lf_vstlink_max_packet(r->v), 512);
  assert_int_equal(lf_vstlink_cfg_preset(&r->cfg, "v9"), -1);
  rig_free(r);
}

/* probe-protocols.md 1.5: starts in mass storage, ENTER -> debug, EXIT back;
 * DFU_EXIT has no reply (the IN times out). 1.4b: voltage = 2.4 * b / a. */
static void modes_voltage_and_no_reply_commands_1_5_1_4b(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(status1(r, (const uint8_t[]){0xF5}, 1), 0x01);
  uint8_t rep[8];
  size_t got;
  assert_int_equal(cmd(r, (const uint8_t[]){0xF3, 0x07}, 2, NULL, 0, rep, 2, &got), LF_VUSB_ERR_TIMEOUT);
  assert_int_equal(r->clk.cat_ns[LF_CLK_TIMEOUT], 1000000000ull);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF7}, 1, NULL, 0, rep, 8, &got), LF_VUSB_OK);
  assert_int_equal(le32(rep), 1521);
  assert_int_equal(le32(rep + 4), 2060); /* 3.25 V * 1521 / 2.4 = 2059.69 */
  assert_int_equal(enter(r), 0x80);
  assert_int_equal(status1(r, (const uint8_t[]){0xF5}, 1), 0x02);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x21}, 2, NULL, 0, NULL, 0, NULL), LF_VUSB_OK);
  assert_int_equal(status1(r, (const uint8_t[]){0xF5}, 1), 0x01);
  rig_free(r);
}

/* probe-protocols.md 1.10: V2 divisor table, measured vs nominal SWCLK;
 * V3 SET_COM_FREQ picks the highest supported <= request. */
static void swd_clock_tables_1_10(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_true(lf_dap_swclk(r->d) == 1553e3); /* power-on divisor 1, measured */
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x43, 0x00, 0x00}, 4), 0x80);
  assert_true(lf_dap_swclk(r->d) == 2360e3);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x43, 0x4F, 0x00}, 4), 0x80); /* 79 */
  assert_true(lf_dap_swclk(r->d) == 50e3); /* no measurement: nominal */
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x43, 0x04, 0x00}, 4), 0x41);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x61, 0, 0, 0x10, 0, 0, 0}, 8), 0x42); /* V3 only */
  rig_free(r);

  r = rig_new("v2-1", NULL, false);
  assert_true(lf_dap_swclk(r->d) == 1800e3);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x43, 0x00, 0x00}, 4), 0x80);
  assert_true(lf_dap_swclk(r->d) == 4000e3);
  rig_free(r);

  r = rig_new("v3", NULL, true);
  uint8_t rep[52];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x61, 0, 0, 0xA0, 0x0F, 0, 0}, 8, NULL, 0, rep, 8, NULL), 0);
  assert_int_equal(rep[0], 0x80);
  assert_int_equal(le32(rep + 4), 3300); /* request 4000 kHz */
  assert_true(lf_dap_swclk(r->d) == 3300e3);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x61, 0, 0, 4, 0, 0, 0}, 8, NULL, 0, rep, 8, NULL), 0);
  assert_int_equal(rep[0], 0x08); /* below the minimum */
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x62, 0}, 3, NULL, 0, rep, 52, NULL), 0);
  assert_int_equal(rep[0], 0x80);
  assert_int_equal(le32(rep + 4), 3300);
  assert_int_equal(rep[8], 7);
  assert_int_equal(le32(rep + 12), 24000);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x43, 0x00, 0x00}, 4), 0x42); /* V2 only */
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x63, 1}, 3, NULL, 0, rep, 8, NULL), 0);
  assert_int_equal(rep[0], 0x40); /* SWITCH_STLINK_FREQ: CONF_CHANGED */
  rig_free(r);
}

/* ENTER SWD: line reset (64) + JTAG-to-SWD (136) + DPIDR read + ABORT +
 * SELECT + CTRL/STAT power-up + 1 poll, at 1553 kHz, all hand-computed:
 * SWD 41211 + 87572 + 5 * 29620 = 276883 ns; FW 20000 + 100000 + 5 gaps
 * (stlink_swd_gap_ns G, 150); USB out 16 B: latency L
 * (usb_fs_transfer_latency_ns, 160000) + (16 + 15) * 8 / 12 MHz = L + 20667,
 * in 2 B: L + 11333. */
static void enter_swd_costs_hand_computed_time_1_5_4_2(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  uint64_t L = (uint64_t)r->p.usb_fs_transfer_latency_ns, G = (uint64_t)r->p.stlink_swd_gap_ns;
  assert_int_equal(enter(r), 0x80);
  assert_int_equal(r->clk.cat_ns[LF_CLK_SWD], 276883);
  assert_int_equal(r->clk.cat_ns[LF_CLK_FW], 120000 + 5 * G);
  assert_int_equal(r->clk.cat_ns[LF_CLK_USB], L + 20667 + L + 11333);
  assert_int_equal(r->clk.now_ns, 276883 + 120000 + 5 * G + 2 * L + 32000);
  const lf_dap_counters *d = lf_dap_counters_get(r->d);
  assert_int_equal(d->sequences, 2);
  assert_int_equal(d->transactions, 5);
  uint32_t cs;
  assert_int_equal(read_dap(r, 0xFFFF, 0x04, &cs), 0x80);
  assert_int_equal(cs & 0xF0000000u, 0xF0000000u); /* the firmware powered the DP up */
  uint8_t rep[12];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x31}, 2, NULL, 0, rep, 12, NULL), 0);
  assert_int_equal(rep[0], 0x80);
  assert_int_equal(le32(rep + 4), 0x5BA02477);
  lf_dap_set_power(r->d, false); /* no target: GET_IDCODE_ERROR, 0 V */
  assert_int_equal(enter(r), 0x09);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF7}, 1, NULL, 0, rep, 8, NULL), 0);
  assert_int_equal(le32(rep), 1521);
  assert_int_equal(le32(rep + 4), 0);
  rig_free(r);
}

/* USB bus time (probe-protocols.md 4.4 + params): FS GET_VERSION =
 * usb(16) L + 20667 + cmd 20000 + usb(6) L + 21 * 8 / 12 MHz = L + 14000
 * (L = usb_fs_transfer_latency_ns); HS (STLINK-V3): usb(16) = LH + 81 * 8 /
 * 480 MHz = LH + 1350 (LH = usb_hs_transfer_latency_ns); 6144 B FS = 96
 * packets. */
static void usb_transfer_time_hand_computed_4_4(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  uint64_t L = (uint64_t)r->p.usb_fs_transfer_latency_ns, LH = (uint64_t)r->p.usb_hs_transfer_latency_ns;
  assert_true(LH < L); /* the V3 is high speed: its own latency row */
  uint8_t rep[6];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF1}, 1, NULL, 0, rep, 6, NULL), LF_VUSB_OK);
  assert_int_equal(r->clk.now_ns, L + 20667 + 20000 + L + 14000);
  assert_int_equal(lf_vstlink_usb_ns(r->v, 6144), L + 5056000); /* (6144 + 96*15) * 8 / 12e6 */
  assert_int_equal(lf_vstlink_usb_ns(r->v, 0), L + 10000);
  const lf_vstlink_counters *c = lf_vstlink_counters_get(r->v);
  assert_int_equal(c->usb_out_transfers, 1);
  assert_int_equal(c->usb_in_transfers, 1);
  assert_int_equal(c->usb_out_bytes, 16);
  assert_int_equal(c->usb_in_bytes, 6);
  assert_int_equal(c->commands, 1);
  rig_free(r);
  r = rig_new("v3", NULL, true);
  assert_int_equal(lf_vstlink_usb_ns(r->v, 16), LH + 1350);
  assert_int_equal(lf_vstlink_usb_ns(r->v, 1024), LH + 19233); /* (1024 + 2*65) * 8 / 480e6 */
  rig_free(r);
}

/* Round trips: a host that queues command, data and reply back to back
 * (libusb async; OpenOCD, lf_usb_batch) waits for the turnaround once.
 * FS GET_VERSION in a batch = latency L (usb_fs_transfer_latency_ns) +
 * wire(16) 20667 + cmd 20000 + wire(6) (6 + 15) * 8 / 12 MHz = 14000;
 * outside a batch each transfer pays the latency again (L + 20667 + 20000 +
 * L + 14000, as above). */
static void batch_pays_latency_once(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  uint64_t L = (uint64_t)r->p.usb_fs_transfer_latency_ns;
  uint8_t blk[16] = {0xF1}, rep[6];
  size_t n;
  lf_vstlink_batch_begin(r->v);
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x01, blk, 16, &n, 1000), LF_VUSB_OK);
  assert_int_equal(lf_vstlink_bulk_in(r->v, 0x81, rep, 6, &n, 1000), LF_VUSB_OK);
  lf_vstlink_batch_end(r->v);
  assert_int_equal(r->clk.now_ns, L + 20667 + 20000 + 14000);
  assert_int_equal(r->clk.cat_ns[LF_CLK_USB], L + 20667 + 14000);
  assert_int_equal(lf_vstlink_usb_wire_ns(r->v, 6), 14000);
  assert_int_equal(lf_vstlink_counters_get(r->v)->usb_round_trips, 1);
  uint64_t t0 = r->clk.now_ns;
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x01, blk, 16, &n, 1000), LF_VUSB_OK);
  assert_int_equal(lf_vstlink_bulk_in(r->v, 0x81, rep, 6, &n, 1000), LF_VUSB_OK);
  assert_int_equal(r->clk.now_ns - t0, L + 20667 + 20000 + L + 14000);
  assert_int_equal(lf_vstlink_counters_get(r->v)->usb_round_trips, 3);
  /* a new batch pays again; a stall inside a batch pays only wire(0) = 10000 */
  t0 = r->clk.now_ns;
  lf_vstlink_batch_begin(r->v);
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x01, blk, 16, &n, 1000), LF_VUSB_OK);
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x05, blk, 16, &n, 1000), LF_VUSB_ERR_PIPE);
  lf_vstlink_batch_end(r->v);
  assert_int_equal(r->clk.now_ns - t0, L + 20667 + 20000 + 10000);
  rig_free(r);
}

/* st-flash 1.7 loads its F4/F7 flash loader's data with one WRITEMEM_32BIT
 * of 32768 bytes (bench finding 2; probe-protocols.md 1.7 lists 6144 vs
 * 65532 as [disagree]): the firmware accepts it up to stlink_write32_max. */
static void write32_of_32k_accepted_st_flash(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  size_t len = 32768;
  uint8_t *data = malloc(len), st[12];
  for (size_t i = 0; i < len; i++)
    data[i] = (uint8_t)(i * 7 + 3);
  uint8_t c[16] = {0xF2, 0x08, 0x34, 0x00, 0x00, 0x20, 0x00, 0x80};
  assert_int_equal(cmd(r, c, 16, data, len, NULL, 0, NULL), LF_VUSB_OK);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x3E}, 2, NULL, 0, st, 12, NULL), LF_VUSB_OK);
  assert_int_equal(st[0], 0x80);
  for (size_t i = 0; i < len; i += 4093)
    assert_int_equal(r->bus.ram[0x34 + i], data[i]);
  /* above the parameter: CMD_ERROR, data phase consumed */
  r->p.stlink_write32_max = 6144;
  c[6] = 0x04; c[7] = 0x18; /* 6148 */
  assert_int_equal(cmd(r, c, 16, data, 6148, NULL, 0, NULL), LF_VUSB_OK);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x3E}, 2, NULL, 0, st, 12, NULL), LF_VUSB_OK);
  assert_int_equal(st[0], 0x08);
  free(data);
  rig_free(r);
}

/* 1.2: IN with nothing pending times out (timeout charged), trace EP has
 * nothing, short host buffer -> overflow, a longer one gets the reply length. */
static void empty_in_times_out_and_overflow_1_2(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  uint8_t buf[64];
  size_t got = 99;
  assert_int_equal(lf_vstlink_bulk_in(r->v, 0x81, buf, 64, &got, 250), LF_VUSB_ERR_TIMEOUT);
  assert_int_equal(got, 0);
  assert_int_equal(r->clk.cat_ns[LF_CLK_TIMEOUT], 250000000ull);
  assert_int_equal(lf_vstlink_bulk_in(r->v, 0x82, buf, 64, &got, 10), LF_VUSB_ERR_TIMEOUT);
  assert_int_equal(lf_vstlink_counters_get(r->v)->usb_timeouts, 2);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF1}, 1, NULL, 0, buf, 64, &got), LF_VUSB_OK);
  assert_int_equal(got, 6);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF1}, 1, NULL, 0, buf, 4, &got), LF_VUSB_ERR_OVERFLOW);
  assert_int_equal(lf_vstlink_bulk_in(r->v, 0x81, buf, 64, &got, 10), LF_VUSB_ERR_TIMEOUT); /* consumed */
  size_t n;
  uint8_t blk[16] = {0xF1};
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x01, blk, 15, &n, 10), LF_VUSB_ERR_PIPE);
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x03, blk, 16, &n, 10), LF_VUSB_ERR_PIPE);
  assert_int_equal(lf_vstlink_counters_get(r->v)->usb_stalls, 2);
  rig_free(r);
}

/* faults.h: usb_timeout / usb_stall / usb_short on the Nth transfer. */
static void usb_fault_injection(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", "usb_timeout@1,usb_stall@3,usb_short@4", true);
  uint8_t blk[16] = {0xF1}, buf[8];
  size_t n;
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x01, blk, 16, &n, 500), LF_VUSB_ERR_TIMEOUT);
  assert_int_equal(r->clk.now_ns, 500000000ull); /* nothing reached the probe */
  assert_int_equal(lf_vstlink_counters_get(r->v)->commands, 0);
  assert_int_equal(lf_vstlink_bulk_out(r->v, 0x01, blk, 16, &n, 500), LF_VUSB_OK);
  assert_int_equal(lf_vstlink_bulk_in(r->v, 0x81, buf, 8, &n, 500), LF_VUSB_ERR_PIPE);
  assert_int_equal(lf_vstlink_bulk_in(r->v, 0x81, buf, 8, &n, 500), LF_VUSB_OK);
  assert_int_equal(n, 3); /* half of 6 */
  assert_memory_equal(buf, "\x29\x5A\x83", 3);
  rig_free(r);
}

/* 1.6: unknown 0xF2 sub-commands answer 0x42; an unknown top-level byte gets
 * no reply; GET_VERSION_EX does not exist on a V2-1. Debug-mode commands fail
 * before ENTER without touching the wire. */
static void unknown_commands_and_mode_checks_1_6_1_11(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  uint8_t rep[12];
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x7F}, 2), 0x42);
  assert_int_equal(cmd(r, (const uint8_t[]){0xAA}, 1, NULL, 0, rep, 2, NULL), LF_VUSB_ERR_TIMEOUT);
  assert_int_equal(cmd(r, (const uint8_t[]){0xFB}, 1, NULL, 0, rep, 12, NULL), LF_VUSB_ERR_TIMEOUT);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x36, 0, 0, 0, 0x20}, 6, NULL, 0, rep, 8, NULL), 0);
  assert_int_equal(rep[0], 0x08);
  uint8_t data[4];
  assert_int_equal(mem_read(r, 0x07, RAM_BASE, data, 4, NULL), 0x08);
  assert_int_equal(lf_dap_counters_get(r->d)->transactions, 0);
  rig_free(r);
}

/* 1.8: READ/WRITE_DAP_REG on DP (bank in addr bits 7:4) and AP; AP > 8 BAD_AP. */
static void dap_register_access_1_8(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  uint32_t v;
  assert_int_equal(read_dap(r, 0, 0xFC, &v), 0x80);
  assert_int_equal(v, 0x74770001);
  assert_int_equal(read_dap(r, 0, 0xF8, &v), 0x80);
  assert_int_equal(v, 0xE00FD003);
  assert_int_equal(read_dap(r, 0xFFFF, 0x24, &v), 0x80);
  assert_int_equal(v, 0x04510041);
  assert_int_equal(read_dap(r, 0xFFFF, 0x00, &v), 0x80);
  assert_int_equal(v, 0x5BA02477);
  assert_int_equal(write_dap(r, 0, 0x04, 0x20000123), 0x80);
  assert_int_equal(read_dap(r, 0, 0x04, &v), 0x80);
  assert_int_equal(v, 0x20000123);
  assert_int_equal(read_dap(r, 9, 0x00, &v), 0x1D);
  /* AHB error through raw DRW: the write is posted (OK), the next AP access
   * FAULTs (0x11), the host clears with ABORT. */
  assert_int_equal(write_dap(r, 0, 0x04, 0x60000000), 0x80);
  assert_int_equal(write_dap(r, 0, 0x0C, 1), 0x80);
  assert_int_equal(read_dap(r, 0, 0x0C, &v), 0x11);
  assert_int_equal(read_dap(r, 0xFFFF, 0x04, &v), 0x80);
  assert_true(v & 0x20);
  assert_int_equal(write_dap(r, 0xFFFF, 0x00, 0x1E), 0x80);
  assert_int_equal(read_dap(r, 0xFFFF, 0x04, &v), 0x80);
  assert_false(v & 0x20);
  rig_free(r);
}

/* 1.7: READMEM/WRITEMEM 8/16/32 and the no-increment variants; 8-bit read of
 * one byte replies two bytes (Q4). */
static void memory_commands_all_sizes_1_7(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  uint8_t w[16], rd[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint8_t)(0xA0 + i);
  size_t got;
  assert_int_equal(mem_write(r, 0x08, RAM_BASE + 0x100, w, 16), 0x80);
  assert_memory_equal(r->bus.ram + 0x100, w, 16);
  assert_int_equal(mem_read(r, 0x07, RAM_BASE + 0x100, rd, 16, &got), 0x80);
  assert_int_equal(got, 16);
  assert_memory_equal(rd, w, 16);
  assert_int_equal(mem_write(r, 0x48, RAM_BASE + 0x202, w, 6), 0x80);
  assert_memory_equal(r->bus.ram + 0x202, w, 6);
  assert_int_equal(mem_read(r, 0x47, RAM_BASE + 0x202, rd, 6, &got), 0x80);
  assert_memory_equal(rd, w, 6);
  assert_int_equal(mem_write(r, 0x0D, RAM_BASE + 0x301, w, 3), 0x80);
  assert_memory_equal(r->bus.ram + 0x301, w, 3);
  assert_int_equal(r->bus.ram[0x300], 0);
  assert_int_equal(r->bus.ram[0x304], 0);
  assert_int_equal(mem_read(r, 0x0C, RAM_BASE + 0x302, rd, 1, &got), 0x80);
  assert_int_equal(got, 2);
  assert_int_equal(rd[0], 0xA1);
  assert_int_equal(mem_read(r, 0x0C, RAM_BASE + 0x301, rd, 3, &got), 0x80);
  assert_int_equal(got, 3);
  assert_memory_equal(rd, w, 3);
  assert_int_equal(mem_write(r, 0x50, RAM_BASE + 0x400, w, 8), 0x80); /* FIFO-style */
  assert_memory_equal(r->bus.ram + 0x400, w + 4, 4);
  assert_int_equal(r->bus.ram[0x404], 0);
  assert_int_equal(mem_read(r, 0x54, RAM_BASE + 0x400, rd, 8, &got), 0x80);
  assert_memory_equal(rd, w + 4, 4);
  assert_memory_equal(rd + 4, w + 4, 4);
  const lf_vstlink_counters *c = lf_vstlink_counters_get(r->v);
  assert_int_equal(c->mem_write_bytes, 16 + 6 + 3 + 8);
  assert_int_equal(c->mem_read_bytes, 16 + 6 + 1 + 3 + 8);
  rig_free(r);
}

/* 1.7 limits and Q2 alignment: rejected commands make no SWD traffic, reads
 * still return their data phase (zeros), writes still consume theirs. */
static void memory_limits_and_alignment_1_7_q2(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  static uint8_t buf[6150];
  size_t got;
  memset(r->bus.ram, 0x5A, 64);
  uint64_t tx = lf_dap_counters_get(r->d)->transactions;
  assert_int_equal(mem_read(r, 0x0C, RAM_BASE, buf, 65, &got), 0x08); /* 8-bit > 64 on FS */
  assert_int_equal(got, 65);
  assert_int_equal(buf[0], 0);
  assert_int_equal(mem_write(r, 0x08, RAM_BASE + 2, buf, 8), 0x0A);
  assert_int_equal(mem_write(r, 0x08, RAM_BASE, buf, 6), 0x0A);
  assert_int_equal(mem_read(r, 0x47, RAM_BASE, buf, 3, &got), 0x0A);
  assert_int_equal(mem_read(r, 0x07, RAM_BASE, buf, 6148, &got), 0x08);
  assert_int_equal(got, 6148);
  assert_int_equal(lf_dap_counters_get(r->d)->transactions, tx);
  assert_int_equal(r->bus.ram[2], 0x5A); /* nothing written */
  assert_int_equal(mem_read(r, 0x07, RAM_BASE, buf, 6144, &got), 0x80);
  assert_int_equal(got, 6144);
  assert_int_equal(mem_read(r, 0x0C, RAM_BASE, buf, 64, &got), 0x80);
  assert_int_equal(buf[63], 0x5A);
  uint8_t rep[2];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x3B}, 2, NULL, 0, rep, 2, NULL), 0);
  assert_int_equal(rep[0], 0x80);
  rig_free(r);

  r = rig_new("v3", NULL, true); /* V3 >= J6: 8-bit up to 512 */
  assert_int_equal(enter(r), 0x80);
  assert_int_equal(mem_read(r, 0x0C, RAM_BASE, buf, 512, &got), 0x80);
  assert_int_equal(mem_read(r, 0x0C, RAM_BASE, buf, 513, &got), 0x08);
  rig_free(r);
}

/* 1.11 / 1.7: an AHB error is reported by GETLASTRWSTATUS2 with the address
 * of the failing element; the firmware clears STICKYERR afterwards. */
static void fault_address_in_lastrwstatus2_1_11(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  memset(r->bus.ram + RAM_SIZE - 8, 0x77, 8);
  uint8_t buf[18];
  uint8_t c[16];
  mem_cmd_block(c, 0x07, RAM_BASE + RAM_SIZE - 8, 16);
  size_t got;
  assert_int_equal(cmd(r, c, 16, NULL, 0, buf, 16, &got), LF_VUSB_OK);
  assert_int_equal(got, 16);
  uint32_t fault;
  assert_int_equal(rw2(r, &fault), 0x11);
  assert_int_equal(fault, RAM_BASE + RAM_SIZE);
  assert_memory_equal(buf, "\x77\x77\x77\x77\x77\x77\x77\x77\0\0\0\0\0\0\0\0", 16);
  uint8_t rep[2];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x3B}, 2, NULL, 0, rep, 2, NULL), 0);
  assert_int_equal(rep[0], 0x11);
  uint32_t cs;
  assert_int_equal(read_dap(r, 0xFFFF, 0x04, &cs), 0x80);
  assert_false(cs & 0x20); /* firmware wrote ABORT */
  mem_cmd_block(c, 0x08, RAM_BASE + RAM_SIZE - 4, 12);
  assert_int_equal(cmd(r, c, 16, buf, 12, NULL, 0, NULL), LF_VUSB_OK);
  assert_int_equal(rw2(r, &fault), 0x11);
  assert_int_equal(fault, RAM_BASE + RAM_SIZE);
  /* the last write fails: found by the closing CTRL/STAT check */
  assert_int_equal(mem_write(r, 0x08, 0x60000000, buf, 4), 0x11);
  assert_int_equal(mem_write(r, 0x08, RAM_BASE, buf, 4), 0x80);
  assert_int_equal(rw2(r, &fault), 0x80);
  assert_int_equal(fault, 0);
  /* a single failing read (posted): the RDBUFF fetch FAULTs, status in reply */
  uint8_t rep8[8];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x36, 0, 0, 0, 0x60}, 6, NULL, 0, rep8, 8, NULL), 0);
  assert_int_equal(rep8[0], 0x11);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x36, 0, 0, 0, 0x20}, 6, NULL, 0, rep8, 8, NULL), 0);
  assert_int_equal(rep8[0], 0x80);
  assert_int_equal(le32(rep8 + 4), le32(r->bus.ram));
  rig_free(r);
}

/* 1.14 Q1: the firmware rewrites TAR at each 1 KiB boundary, so a transfer
 * across it is correct although the AP wraps TAR[9:0]. Only in the TAR
 * auto-increment mode (stlink_*_xfers_per_word 1; single access, the
 * default, writes TAR for every element anyway). */
static void tar_rewritten_at_1k_boundary_q1(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  r->p.stlink_read_xfers_per_word = r->p.stlink_write_xfers_per_word = 1;
  assert_int_equal(enter(r), 0x80);
  uint8_t w[32], rd[32];
  for (int i = 0; i < 32; i++)
    w[i] = (uint8_t)(i + 1);
  uint64_t apw = lf_dap_counters_get(r->d)->ap_writes;
  assert_int_equal(mem_write(r, 0x08, RAM_BASE + 0x3F0, w, 32), 0x80);
  assert_int_equal(lf_dap_counters_get(r->d)->ap_writes - apw, 11); /* CSW, TAR, 8 DRW, TAR */
  assert_memory_equal(r->bus.ram + 0x3F0, w, 32);
  assert_int_equal(r->bus.ram[0], 0);
  size_t got;
  assert_int_equal(mem_read(r, 0x07, RAM_BASE + 0x3F0, rd, 32, &got), 0x80);
  assert_memory_equal(rd, w, 32);
  rig_free(r);
}

/* Calibration R1 (issue 18): ST-Link memory commands in SWD mode do single
 * accesses. From the parameter rows: a write of n elements is n x
 * stlink_write_xfers_per_word transactions (TAR + DRW each) plus CSW (not
 * cached yet) and the final CTRL/STAT read; a read of n elements is n x
 * stlink_read_xfers_per_word (TAR + DRW + RDBUFF each). 8-bit: per byte.
 * With 1 per word the old TAR auto-increment stream comes back. The data is
 * the same whichever way. */
static void single_access_transactions_per_element_r1(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, false);
  assert_int_equal(enter(r), 0x80);
  const lf_dap_counters *k = lf_dap_counters_get(r->d);
  uint8_t w[64], rd[64];
  for (int i = 0; i < 64; i++)
    w[i] = (uint8_t)(0xA0 + i);
  unsigned wx = (unsigned)r->p.stlink_write_xfers_per_word, rx = (unsigned)r->p.stlink_read_xfers_per_word;
  assert_int_equal(wx, 2);
  assert_int_equal(rx, 3);
  /* WRITEMEM_32BIT, 16 words: CSW + 16 x (TAR + DRW) = 33 AP writes, one
   * CTRL/STAT (DP read); GETLASTRWSTATUS2 makes no SWD traffic */
  uint64_t apw = k->ap_writes, apr = k->ap_reads, dpr = k->dp_reads, tx = k->transactions;
  assert_int_equal(mem_write(r, 0x08, RAM_BASE + 0x100, w, 64), 0x80);
  assert_int_equal(k->ap_writes - apw, 1 + 16 * wx);
  assert_int_equal(k->dp_reads - dpr, 1);
  assert_int_equal(k->transactions - tx, 1 + 16 * wx + 1);
  assert_memory_equal(r->bus.ram + 0x100, w, 64);
  /* READMEM_32BIT, 16 words: CSW cached, 16 x (TAR + DRW + RDBUFF) */
  apw = k->ap_writes, apr = k->ap_reads, dpr = k->dp_reads, tx = k->transactions;
  size_t got;
  assert_int_equal(mem_read(r, 0x07, RAM_BASE + 0x100, rd, 64, &got), 0x80);
  assert_int_equal(k->ap_writes - apw, 16);
  assert_int_equal(k->ap_reads - apr, 16);
  assert_int_equal(k->dp_reads - dpr, 16);
  assert_int_equal(k->transactions - tx, 16 * rx);
  assert_memory_equal(rd, w, 64);
  /* READMEM_8BIT of 5 bytes: CSW changes (8-bit), then 5 x 3 */
  tx = k->transactions;
  assert_int_equal(mem_read(r, 0x0C, RAM_BASE + 0x101, rd, 5, &got), 0x80);
  assert_int_equal(k->transactions - tx, 1 + 5 * rx);
  assert_memory_equal(rd, w + 1, 5);
  /* 1 per word: the stream (TAR once, one DRW per element, RDBUFF at the end) */
  r->p.stlink_read_xfers_per_word = 1;
  r->p.stlink_write_xfers_per_word = 1;
  tx = k->transactions;
  assert_int_equal(mem_read(r, 0x07, RAM_BASE + 0x100, rd, 64, &got), 0x80);
  assert_int_equal(k->transactions - tx, 1 /* CSW back to 32-bit */ + 1 + 16 + 1);
  assert_memory_equal(rd, w, 64);
  tx = k->transactions;
  assert_int_equal(mem_write(r, 0x08, RAM_BASE + 0x200, w, 64), 0x80);
  assert_int_equal(k->transactions - tx, 1 + 16 + 1);
  assert_memory_equal(r->bus.ram + 0x200, w, 64);
  rig_free(r);
}

/* Memory write timing, hand-computed: WRITEMEM_32 of 8 bytes right after
 * ENTER at 1553 kHz: cmd OUT L + 20667 + 20000 (L = usb_fs_transfer_latency_ns);
 * data OUT L + 23 * 8 / 12e6 = L + 15333; SWD: SELECT cached, CSW + 2 words x
 * stlink_write_xfers_per_word (TAR + DRW: single access) + CTRL/STAT = 6
 * transactions x (G + 29620) (G = stlink_swd_gap_ns). */
static void memory_write_time_hand_computed(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  uint64_t L = (uint64_t)r->p.usb_fs_transfer_latency_ns, G = (uint64_t)r->p.stlink_swd_gap_ns;
  uint64_t nx = 1 + 2 * (uint64_t)r->p.stlink_write_xfers_per_word + 1;
  assert_int_equal(nx, 6);
  assert_int_equal(enter(r), 0x80);
  uint64_t t0 = r->clk.now_ns;
  uint8_t c[16], w[8] = {0};
  mem_cmd_block(c, 0x08, RAM_BASE, 8);
  assert_int_equal(cmd(r, c, 16, w, 8, NULL, 0, NULL), LF_VUSB_OK);
  assert_int_equal(r->clk.now_ns - t0, L + 20667 + 20000 + L + 15333 + nx * (G + 29620));
  rig_free(r);
}

/* probe-protocols.md 1.11: WAIT is retried stlink_wait_retries times; then
 * SWD_AP_WAIT 0x10 with the address being written. */
static void wait_retries_then_ap_wait_1_11(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  assert_int_equal(mem_write(r, 0x08, SLOW_BASE, w, 8), 0x80); /* 100 us stall absorbed */
  assert_true(lf_dap_counters_get(r->d)->waits >= 10);
  assert_int_equal(r->bus.slow[1], 0x08070605);
  r->p.stlink_wait_retries = 2;
  uint64_t waits = lf_dap_counters_get(r->d)->waits;
  assert_int_equal(mem_write(r, 0x08, SLOW_BASE + 0x10, w, 8), 0x10);
  /* DRW 1 stalls 100 us; DRW 2 answers WAIT 3 times (3 * (500 + 8371) ns) */
  uint32_t fault;
  assert_int_equal(rw2(r, &fault), 0x10);
  assert_int_equal(fault, SLOW_BASE + 0x14);
  assert_int_equal(lf_dap_counters_get(r->d)->waits - waits, 3);
  rig_free(r);
}

/* stm32f7-target.md 11.3: core registers through DCRSR/DCRDR + S_REGRDY;
 * 11.6: RESETSYS writes AIRCR = 0x05FA0004. */
static void core_registers_and_resetsys_11_3_11_6(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  uint8_t rep[88];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x33, 0x02}, 3, NULL, 0, rep, 8, NULL), 0);
  assert_int_equal(rep[0], 0x80);
  assert_int_equal(le32(rep + 4), 0x1002);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x34, 0x0F, 0x78, 0x56, 0x34, 0x12}, 7), 0x80);
  assert_int_equal(r->bus.dcrdr_written, 0x12345678);
  assert_int_equal(r->bus.dcrsr, 0x0001000F);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x3A}, 2, NULL, 0, rep, 88, NULL), 0);
  assert_int_equal(rep[0], 0x80);
  assert_int_equal(le32(rep + 4), 0x1000);
  assert_int_equal(le32(rep + 4 + 4 * 15), 0x100F);
  assert_int_equal(le32(rep + 4 + 4 * 19), 0x1014);
  uint32_t v;
  uint8_t rc[8] = {0};
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x36, 0xF0, 0xED, 0x00, 0xE0}, 6, NULL, 0, rc, 8, NULL), 0);
  v = le32(rc + 4);
  assert_int_equal(rc[0], 0x80);
  assert_int_equal(v, 0x00030003);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x35, 0x00, 0x01, 0, 0x20, 0xEF, 0xBE, 0xAD, 0xDE}, 10), 0x80);
  assert_int_equal(le32(r->bus.ram + 0x100), 0xDEADBEEF);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x32}, 2), 0x80);
  assert_int_equal(r->bus.aircr, 0x05FA0004);
  rig_free(r);
}

/* 1.6 DRIVE_NRST and 1.5: a pulse lasts stlink_nrst_pulse_ns; leaving debug
 * mode releases an asserted NRST. */
static void drive_nrst_pulse_and_exit_release_1_5(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x3C, 0x02}, 3), 0x80);
  assert_int_equal(r->nev, 2);
  assert_true(r->ev[0].asserted);
  assert_false(r->ev[1].asserted);
  assert_int_equal(r->ev[1].t - r->ev[0].t, 1000000);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x3C, 0x00}, 3), 0x80);
  assert_int_equal(enter(r), 0x80);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x21}, 2, NULL, 0, NULL, 0, NULL), 0);
  assert_int_equal(r->nev, 4);
  assert_true(r->ev[2].asserted);
  assert_false(r->ev[3].asserted);
  rig_free(r);
}

/* 1.7 / 1.2: a data phase of the wrong length stalls and the command is
 * dropped (status 0x08); the probe then accepts commands again. */
static void wrong_data_phase_length_stalls_1_2(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  uint8_t c[16], w[8] = {0};
  mem_cmd_block(c, 0x08, RAM_BASE, 8);
  assert_int_equal(cmd(r, c, 16, w, 4, NULL, 0, NULL), LF_VUSB_ERR_PIPE);
  assert_int_equal(rw2(r, NULL), 0x08);
  assert_int_equal(mem_write(r, 0x08, RAM_BASE, w, 8), 0x80);
  rig_free(r);
}

/* 1.9: RW_MISC scatter/gather (APNUM, ADDRESS, WRITE, READ). */
static void rw_misc_scatter_gather_1_9(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  uint8_t data[4 + 16] = {5, 1, 2, 3};
  uint32_t payload[4] = {0, RAM_BASE + 0x40, 0xCAFEBABE, RAM_BASE + 0x40};
  memcpy(data + 4, payload, 16);
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x51, 4, 0, 0, 0}, 6, data, sizeof data, NULL, 0, NULL), 0);
  uint8_t rep[32];
  size_t got;
  assert_int_equal(cmd(r, (const uint8_t[]){0xF2, 0x52}, 2, NULL, 0, rep, 32, &got), 0);
  assert_int_equal(got, 32);
  assert_int_equal(le32(rep + 12), 0xCAFEBABE);
  for (int i = 0; i < 4; i++)
    assert_int_equal(le32(rep + 16 + 4 * i), 0x80);
  assert_int_equal(le32(r->bus.ram + 0x40), 0xCAFEBABE);
  rig_free(r);
}

/* faults.h swd_fault@N through the firmware: AP transaction #3 of a read
 * (CSW, TAR, DRW) faults -> 0x11 at the start address. */
static void injected_swd_fault_reported_by_firmware(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", "swd_fault@3", true);
  assert_int_equal(enter(r), 0x80);
  uint8_t buf[8];
  assert_int_equal(mem_read(r, 0x07, RAM_BASE + 0x10, buf, 8, NULL), 0x11);
  uint32_t fault;
  rw2(r, &fault);
  assert_int_equal(fault, RAM_BASE + 0x10);
  assert_int_equal(mem_read(r, 0x07, RAM_BASE + 0x10, buf, 8, NULL), 0x80);
  rig_free(r);
}

/* Determinism (common rules): the same command script gives the same virtual
 * time, per-category times and counters on two fresh probes. */
static void same_script_same_time_and_counters(void **state)
{
  (void)state;
  uint64_t now[2], swd[2], waits[2], cmds[2];
  for (int k = 0; k < 2; k++) {
    rig *r = rig_new("v2-1", "swd_wait@40x3", true);
    assert_int_equal(enter(r), 0x80);
    uint8_t w[64], rd[64];
    for (int i = 0; i < 64; i++)
      w[i] = (uint8_t)(i * 7);
    assert_int_equal(mem_write(r, 0x08, RAM_BASE + 0x3E0, w, 64), 0x80);
    assert_int_equal(mem_write(r, 0x08, SLOW_BASE, w, 16), 0x80);
    assert_int_equal(mem_read(r, 0x07, RAM_BASE + 0x3E0, rd, 64, NULL), 0x80);
    assert_memory_equal(rd, w, 64);
    now[k] = r->clk.now_ns;
    swd[k] = r->clk.cat_ns[LF_CLK_SWD];
    waits[k] = lf_dap_counters_get(r->d)->waits;
    cmds[k] = lf_vstlink_counters_get(r->v)->commands;
    uint64_t sum = 0;
    for (int c = 0; c < LF_CLK_NCAT; c++)
      sum += r->clk.cat_ns[c];
    assert_int_equal(sum, r->clk.now_ns);
    rig_free(r);
  }
  assert_int_equal(now[0], now[1]);
  assert_int_equal(swd[0], swd[1]);
  assert_int_equal(waits[0], waits[1]);
  assert_true(waits[0] >= 3);
  assert_int_equal(cmds[0], cmds[1]);
  assert_int_equal(cmds[0], 7);
}

/* 1.5 (psdb): ENTER may be re-issued in debug mode; 1.12: a V2 older than
 * J15 has no GETLASTRWSTATUS2 (0x42) and 16-bit memory needs J26. */
static void reenter_and_feature_thresholds_1_5_1_12(void **state)
{
  (void)state;
  rig *r = rig_new("v2-1", NULL, true);
  assert_int_equal(enter(r), 0x80);
  assert_int_equal(enter(r), 0x80);
  rig_free(r);
  r = rig_new("v2", NULL, true);
  r->cfg.jtag_ver = 14;
  lf_vstlink_free(r->v);
  r->v = lf_vstlink_new(&r->cfg, &r->clk, &r->p, r->d, (lf_vstlink_wiring){NULL, NULL}, NULL);
  assert_int_equal(enter(r), 0x80);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x3E}, 2), 0x42);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x47, 0, 0, 0, 0x20, 4, 0}, 8), 0x42);
  assert_int_equal(status1(r, (const uint8_t[]){0xF2, 0x43, 1, 0}, 4), 0x42); /* J22 */
  uint8_t rep[8];
  assert_int_equal(cmd(r, (const uint8_t[]){0xF7}, 1, NULL, 0, rep, 8, NULL), 0); /* J13 */
  assert_int_equal(le32(rep), 1521);
  rig_free(r);
}

/* V3 (1.10, 4.4): power-on SWD 1000 kHz [unconf], high-speed USB. ENTER:
 * SWD 64000 + 136000 + 5 * 46000; FW 120000 + 5 gaps G (stlink_swd_gap_ns);
 * USB out 16 B LH + 1350, in 2 B LH + 67 * 8 / 480 MHz = LH + 1117 (LH =
 * usb_hs_transfer_latency_ns: the V3 is high speed). */
static void v3_enter_time_hand_computed_1_10(void **state)
{
  (void)state;
  rig *r = rig_new("v3", NULL, true);
  uint64_t LH = (uint64_t)r->p.usb_hs_transfer_latency_ns, G = (uint64_t)r->p.stlink_swd_gap_ns;
  assert_true(lf_dap_swclk(r->d) == 1e6);
  assert_int_equal(enter(r), 0x80);
  assert_int_equal(r->clk.cat_ns[LF_CLK_SWD], 430000);
  assert_int_equal(r->clk.cat_ns[LF_CLK_USB], LH + 1350 + LH + 1117);
  assert_int_equal(r->clk.now_ns, LH + 1350 + 120000 + 5 * G + 430000 + LH + 1117);
  uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, rd[8];
  assert_int_equal(mem_write(r, 0x48, RAM_BASE + 6, w, 8), 0x80); /* 16-bit */
  assert_int_equal(mem_read(r, 0x47, RAM_BASE + 6, rd, 8, NULL), 0x80);
  assert_memory_equal(rd, w, 8);
  rig_free(r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(version_and_endpoints_per_probe_1_1_1_4),
    cmocka_unit_test(modes_voltage_and_no_reply_commands_1_5_1_4b),
    cmocka_unit_test(swd_clock_tables_1_10),
    cmocka_unit_test(enter_swd_costs_hand_computed_time_1_5_4_2),
    cmocka_unit_test(usb_transfer_time_hand_computed_4_4),
    cmocka_unit_test(batch_pays_latency_once),
    cmocka_unit_test(write32_of_32k_accepted_st_flash),
    cmocka_unit_test(empty_in_times_out_and_overflow_1_2),
    cmocka_unit_test(usb_fault_injection),
    cmocka_unit_test(unknown_commands_and_mode_checks_1_6_1_11),
    cmocka_unit_test(dap_register_access_1_8),
    cmocka_unit_test(memory_commands_all_sizes_1_7),
    cmocka_unit_test(memory_limits_and_alignment_1_7_q2),
    cmocka_unit_test(fault_address_in_lastrwstatus2_1_11),
    cmocka_unit_test(tar_rewritten_at_1k_boundary_q1),
    cmocka_unit_test(single_access_transactions_per_element_r1),
    cmocka_unit_test(memory_write_time_hand_computed),
    cmocka_unit_test(wait_retries_then_ap_wait_1_11),
    cmocka_unit_test(core_registers_and_resetsys_11_3_11_6),
    cmocka_unit_test(drive_nrst_pulse_and_exit_release_1_5),
    cmocka_unit_test(wrong_data_phase_length_stalls_1_2),
    cmocka_unit_test(rw_misc_scatter_gather_1_9),
    cmocka_unit_test(injected_swd_fault_reported_by_firmware),
    cmocka_unit_test(same_script_same_time_and_counters),
    cmocka_unit_test(reenter_and_feature_thresholds_1_5_1_12),
    cmocka_unit_test(v3_enter_time_hand_computed_1_10),
  };
  return cmocka_run_group_tests_name("vstlink", tests, NULL, NULL);
}
