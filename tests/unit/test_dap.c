/* ADIv5 SW-DP + AHB-AP model (src/bench/dap.c) over a fake bus.
 * References: stm32f7-target.md 10 (registers), probe-protocols.md 4 (wire). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bench/dap.h"

#define RAM_BASE 0x20000000u
#define RAM_SIZE 0x1000u
#define SLOW_BASE 0x08000000u /* writes stall SLOW_NS, like flash programming */
#define SLOW_NS 100000u
#define CS_STICKYERR 0x20u
#define CS_READOK 0x40u
#define CS_PWRUP_REQ 0x50000000u
#define CS_PWRUP_ACK 0xA0000000u

typedef struct fake {
  uint8_t ram[RAM_SIZE];
  uint32_t slow_last;
  unsigned accesses;
  unsigned last_size;
  uint32_t last_addr;
} fake;

static int fake_access(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                       uint32_t *val, uint64_t *t)
{
  fake *f = ctx;
  assert_int_equal(m, LF_BUS_DEBUG);
  f->accesses++;
  f->last_size = size;
  f->last_addr = addr;
  if (addr >= RAM_BASE && addr + size <= RAM_BASE + RAM_SIZE) {
    if (write)
      memcpy(f->ram + (addr - RAM_BASE), val, size); /* little-endian host */
    else {
      *val = 0;
      memcpy(val, f->ram + (addr - RAM_BASE), size);
    }
    return LF_BUS_OK;
  }
  if (addr >= SLOW_BASE && addr < SLOW_BASE + 0x100) {
    if (write) {
      f->slow_last = *val;
      *t += SLOW_NS;
    } else {
      *val = f->slow_last;
    }
    return LF_BUS_OK;
  }
  return LF_BUS_ERR;
}

typedef struct rig {
  lf_clock clk;
  lf_bench_params p;
  lf_faults faults;
  fake bus;
  lf_dap *d;
} rig;

static const lf_dap_cfg cfg = {.dpidr = 0x5BA02477, .targetid = 0x04510041, .ap_idr = 0x74770001,
                               .ap_base = 0xE00FD003};

static rig *rig_new(const char *faults)
{
  static rig r;
  memset(&r, 0, sizeof r);
  lf_clock_init(&r.clk);
  lf_bench_params_default(&r.p);
  char err[128];
  assert_int_equal(lf_faults_parse(&r.faults, faults, err, sizeof err), 0);
  r.d = lf_dap_new(&cfg, &r.clk, &r.p, (lf_bus){fake_access, &r.bus}, &r.faults);
  assert_non_null(r.d);
  lf_dap_set_swclk(r.d, 1e6); /* 1 cycle = 1000 ns: 46 cycles = 46 us, 13 = 13 us */
  return &r;
}

static lf_swd_ack rd(rig *r, bool ap, uint8_t a, uint32_t *v) { return lf_dap_transact(r->d, ap, true, a, v); }
static lf_swd_ack wr(rig *r, bool ap, uint8_t a, uint32_t v) { return lf_dap_transact(r->d, ap, false, a, &v); }

/* line reset + DPIDR read + power-up request + wait for the ACKs */
static void connect(rig *r)
{
  uint32_t v;
  lf_dap_line_reset(r->d);
  assert_int_equal(rd(r, false, 0x0, &v), LF_SWD_OK);
  assert_int_equal(wr(r, false, 0x4, CS_PWRUP_REQ), LF_SWD_OK);
  assert_int_equal(rd(r, false, 0x4, &v), LF_SWD_OK);
  assert_int_equal(v & CS_PWRUP_ACK, CS_PWRUP_ACK); /* 46 us later > dp_pwrup_ack_ns 1 us */
}

static void teardown(rig *r) { lf_dap_free(r->d); }

/* probe-protocols.md 4.2: nothing is answered before a line reset; after it
 * only a DPIDR read; wire time 64 bits + 13-cycle no-ACK + 46-cycle read. */
static void only_dpidr_answered_after_line_reset_4_2(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  uint32_t v = 0;
  assert_int_equal(rd(r, false, 0x0, &v), LF_SWD_NOACK); /* power-on: no line reset yet */
  assert_int_equal(r->clk.now_ns, 13000);
  lf_dap_line_reset(r->d);
  assert_int_equal(r->clk.now_ns, 13000 + 64000);
  assert_int_equal(rd(r, false, 0x4, &v), LF_SWD_NOACK);
  assert_int_equal(wr(r, false, 0x8, 0), LF_SWD_NOACK);
  assert_int_equal(rd(r, false, 0x0, &v), LF_SWD_OK);
  assert_int_equal(v, 0x5BA02477);
  assert_int_equal(rd(r, false, 0x4, &v), LF_SWD_OK);
  assert_int_equal(r->clk.now_ns, 13000 + 64000 + 13000 + 13000 + 46000 + 46000);
  assert_int_equal(r->clk.cat_ns[LF_CLK_SWD], r->clk.now_ns);
  const lf_dap_counters *c = lf_dap_counters_get(r->d);
  assert_int_equal(c->noacks, 3);
  assert_int_equal(c->transactions, 5);
  assert_int_equal(c->dp_reads, 4);
  assert_int_equal(c->dp_writes, 1);
  assert_int_equal(c->sequences, 1);
  lf_dap_jtag_to_swd(r->d); /* 136 bits; leaves the DP waiting for DPIDR again */
  assert_int_equal(r->clk.now_ns, 195000 + 136000);
  assert_int_equal(rd(r, false, 0x4, &v), LF_SWD_NOACK);
  lf_dap_idle(r->d, 7);
  assert_int_equal(r->clk.now_ns, 331000 + 13000 + 7000);
  teardown(r);
}

/* stm32f7-target.md 10.2: ACKs follow the requests after dp_pwrup_ack_ns; with
 * the NUCLEO quirk (13 #4) they never clear. */
static void power_ack_delay_and_never_clear_quirk_10_2_13_4(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  r->p.dp_pwrup_ack_ns = 100000;
  uint32_t v;
  lf_dap_line_reset(r->d);
  rd(r, false, 0x0, &v);
  wr(r, false, 0x4, CS_PWRUP_REQ);
  rd(r, false, 0x4, &v); /* 46 us after the write: not yet */
  assert_int_equal(v, CS_PWRUP_REQ);
  lf_dap_idle(r->d, 8);  /* 46 + 8 + 46 = 100 us after the write */
  rd(r, false, 0x4, &v);
  assert_int_equal(v, CS_PWRUP_REQ | CS_PWRUP_ACK);
  wr(r, false, 0x4, 0);  /* quirk on (default): the ACKs stay */
  lf_dap_idle(r->d, 1000);
  rd(r, false, 0x4, &v);
  assert_int_equal(v, CS_PWRUP_ACK);

  r->p.dp_pwrdown_ack_never_clears = 0;
  wr(r, false, 0x4, CS_PWRUP_REQ);
  lf_dap_idle(r->d, 200);
  wr(r, false, 0x4, 0);
  rd(r, false, 0x4, &v);
  assert_int_equal(v, CS_PWRUP_ACK); /* 46 us after clearing: still set */
  lf_dap_idle(r->d, 54);
  rd(r, false, 0x4, &v);
  assert_int_equal(v, 0);
  teardown(r);
}

/* stm32f7-target.md 10.2: DPBANKSEL selects CTRL/STAT, DLCR, TARGETID, DLPIDR,
 * EVENTSTAT at 0x4; 10.3: IDR, BASE, CFG; only AP 0 exists. */
static void banked_dp_and_ap_id_registers_10_2_10_3(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  connect(r);
  uint32_t v;
  wr(r, false, 0x8, 0x2);
  rd(r, false, 0x4, &v);
  assert_int_equal(v, 0x04510041);
  wr(r, false, 0x8, 0x3);
  rd(r, false, 0x4, &v);
  assert_int_equal(v, 0x00000001);
  wr(r, false, 0x8, 0x1);
  wr(r, false, 0x4, 0x100);
  rd(r, false, 0x4, &v);
  assert_int_equal(v, 0x100);
  wr(r, false, 0x8, 0xF0); /* AP 0 bank 0xF */
  rd(r, true, 0xC, &v);    /* IDR, posted */
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x74770001);
  rd(r, true, 0x8, &v);    /* BASE; returns IDR (posted) */
  assert_int_equal(v, 0x74770001);
  rd(r, true, 0x4, &v);    /* CFG; returns BASE */
  assert_int_equal(v, 0xE00FD003);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0);
  wr(r, false, 0x8, 0x010000F0); /* AP 1 does not exist */
  rd(r, true, 0xC, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0);
  teardown(r);
}

/* ADIv5 posted reads (stm32f7-target.md 10.1): an AP read returns the result
 * of the previous AP read; RDBUFF returns the last one without an access. */
static void ap_reads_are_posted_10_1(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  connect(r);
  uint32_t v;
  wr(r, true, 0x0, 0x23000012); /* word, single increment */
  wr(r, true, 0x4, RAM_BASE);
  wr(r, true, 0xC, 0x11111111);
  wr(r, true, 0xC, 0x22222222);
  assert_memory_equal(r->bus.ram, "\x11\x11\x11\x11\x22\x22\x22\x22", 8);
  wr(r, true, 0x4, RAM_BASE);
  rd(r, true, 0xC, &v);
  assert_int_equal(v, 0); /* previous AP read result (none yet) */
  rd(r, true, 0xC, &v);
  assert_int_equal(v, 0x11111111);
  unsigned before = r->bus.accesses;
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x22222222);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x22222222);
  assert_int_equal(r->bus.accesses, before); /* RDBUFF makes no access */
  rd(r, true, 0x4, &v);                       /* TAR read: posted DRW result first */
  rd(r, false, 0xC, &v);
  assert_int_equal(v, RAM_BASE + 8);
  const lf_dap_counters *c = lf_dap_counters_get(r->d);
  assert_int_equal(c->bus_writes, 2);
  assert_int_equal(c->bus_reads, 2);
  teardown(r);
}

/* dap.h / stm32f7-target.md 10.3 (16 #12): TAR auto-increment wraps inside the
 * 1 KiB block; CSW.Size byte uses byte lane addr & 3. */
static void tar_wraps_in_1k_and_byte_lanes_10_3(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  connect(r);
  uint32_t v;
  wr(r, true, 0x0, 0x23000012);
  wr(r, true, 0x4, RAM_BASE + 0x3FC);
  wr(r, true, 0xC, 0xAAAAAAAA);
  wr(r, true, 0xC, 0xBBBBBBBB); /* lands at RAM_BASE, not RAM_BASE + 0x400 */
  assert_int_equal(r->bus.ram[0x3FC], 0xAA);
  assert_int_equal(r->bus.ram[0], 0xBB);
  assert_int_equal(r->bus.ram[0x400], 0);
  rd(r, true, 0x4, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, RAM_BASE + 4);

  wr(r, true, 0x0, 0x23000010); /* byte, single increment */
  wr(r, true, 0x4, RAM_BASE + 0x101);
  wr(r, true, 0xC, 0x0000CD00); /* lane 1 */
  wr(r, true, 0xC, 0x00EF0000); /* lane 2 */
  assert_int_equal(r->bus.last_size, 1);
  assert_int_equal(r->bus.ram[0x101], 0xCD);
  assert_int_equal(r->bus.ram[0x102], 0xEF);
  wr(r, true, 0x0, 0x23000011); /* halfword */
  wr(r, true, 0x4, RAM_BASE + 0x102);
  rd(r, true, 0xC, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x00EF0000); /* halfword at +2 on lanes 2-3 */
  rd(r, true, 0x0, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x23000051); /* DeviceEn read-only 1 */
  teardown(r);
}

/* stm32f7-target.md 10.3: BD0-BD3 access (TAR & ~0xF) + 4n, no increment. */
static void banked_data_registers_10_3(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  connect(r);
  uint32_t v;
  wr(r, true, 0x0, 0x23000012);
  wr(r, true, 0x4, RAM_BASE + 0x24);
  wr(r, false, 0x8, 0x10); /* APBANKSEL 1 */
  wr(r, true, 0x8, 0x12345678); /* BD2 -> 0x28 */
  assert_int_equal(r->bus.last_addr, RAM_BASE + 0x28);
  rd(r, true, 0x8, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x12345678);
  wr(r, false, 0x8, 0x0);
  rd(r, true, 0x4, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, RAM_BASE + 0x24);
  teardown(r);
}

/* dap.h: a stalled AHB access makes the next AP access and RDBUFF answer WAIT
 * (13 cycles each) until it completes: 100 us stall at 1 MHz = 8 WAITs. */
static void stalled_access_answers_wait_until_done(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  connect(r);
  uint32_t v;
  wr(r, true, 0x0, 0x23000012);
  wr(r, true, 0x4, SLOW_BASE);
  wr(r, true, 0xC, 0x5555AAAA);
  uint64_t t0 = r->clk.now_ns;
  rd(r, false, 0x4, &v); /* CTRL/STAT is answered during the stall */
  unsigned waits = 0;
  while (wr(r, true, 0xC, 1) == LF_SWD_WAIT)
    waits++;
  /* issued at t0 + 46 us + 13 us * k; WAIT while < t0 + 100 us -> k = 0..4 */
  assert_int_equal(waits, 5);
  assert_int_equal(r->clk.now_ns, t0 + 46000 + 5 * 13000 + 46000);
  assert_int_equal(lf_dap_counters_get(r->d)->waits, 5);
  /* RDBUFF waits too */
  waits = 0;
  while (rd(r, false, 0xC, &v) == LF_SWD_WAIT)
    waits++;
  assert_int_equal(waits, 8); /* k = 0..7: 13 * 7 = 91 < 100 <= 104 */
  teardown(r);
}

/* stm32f7-target.md 10.1 / ADIv5: AHB error -> STICKYERR, AP accesses FAULT
 * until ABORT.STKERRCLR; DP accesses still answered. */
static void bus_error_sets_stickyerr_until_abort_10_1(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  connect(r);
  uint32_t v;
  wr(r, true, 0x0, 0x23000012);
  wr(r, true, 0x4, 0x60000000);
  assert_int_equal(wr(r, true, 0xC, 1), LF_SWD_OK); /* posted: the error shows later */
  uint64_t t0 = r->clk.now_ns;
  assert_int_equal(wr(r, true, 0xC, 2), LF_SWD_FAULT);
  assert_int_equal(r->clk.now_ns, t0 + 13000);
  assert_int_equal(rd(r, false, 0x4, &v), LF_SWD_OK);
  assert_true(v & CS_STICKYERR);
  assert_int_equal(rd(r, true, 0x4, &v), LF_SWD_FAULT);
  assert_int_equal(rd(r, false, 0xC, &v), LF_SWD_FAULT); /* RDBUFF carries AP results */
  rd(r, false, 0x4, &v);
  assert_false(v & CS_READOK);
  assert_int_equal(wr(r, false, 0x0, 0x04), LF_SWD_OK); /* STKERRCLR */
  rd(r, false, 0x4, &v);
  assert_false(v & CS_STICKYERR);
  assert_int_equal(rd(r, true, 0x4, &v), LF_SWD_OK);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x60000000); /* a failed transfer does not increment TAR */
  assert_int_equal(lf_dap_counters_get(r->d)->faults, 3);
  teardown(r);
}

/* dap.c bench choice: MEM-AP transfers need CDBGPWRUPACK and CSYSPWRUPACK. */
static void transfer_without_powerup_fails_sticky(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  uint32_t v;
  lf_dap_line_reset(r->d);
  rd(r, false, 0x0, &v);
  wr(r, true, 0x4, RAM_BASE); /* TAR is not a transfer: fine */
  assert_int_equal(wr(r, true, 0xC, 0x1234), LF_SWD_OK);
  assert_int_equal(r->bus.accesses, 0);
  rd(r, false, 0x4, &v);
  assert_true(v & CS_STICKYERR);
  teardown(r);
}

/* dap.h: power off -> no ACK; power on -> reset state (line reset + DPIDR
 * needed, SELECT 0, requests and sticky flags cleared). */
static void power_cycle_resets_the_dp(void **state)
{
  (void)state;
  rig *r = rig_new(NULL);
  connect(r);
  uint32_t v;
  wr(r, false, 0x8, 0x2);
  wr(r, true, 0x4, 0x60000000);
  wr(r, true, 0xC, 0); /* sticky error */
  lf_dap_set_power(r->d, false);
  lf_dap_line_reset(r->d);
  assert_int_equal(rd(r, false, 0x0, &v), LF_SWD_NOACK);
  lf_dap_set_power(r->d, true);
  assert_int_equal(rd(r, false, 0x0, &v), LF_SWD_NOACK);
  lf_dap_line_reset(r->d);
  assert_int_equal(rd(r, false, 0x0, &v), LF_SWD_OK);
  rd(r, false, 0x4, &v); /* SELECT back to 0: CTRL/STAT, all clear */
  assert_int_equal(v, 0);
  teardown(r);
}

/* faults.h: swd_wait@N[xK] counts every transaction, swd_fault@N counts AP
 * transactions (WAIT-answered ones included) and sets STICKYERR. */
static void injected_wait_and_fault(void **state)
{
  (void)state;
  rig *r = rig_new("swd_wait@5x2,swd_fault@4");
  uint32_t v;
  connect(r); /* transactions 1-3 */
  assert_int_equal(wr(r, true, 0x0, 0x23000012), LF_SWD_OK);  /* 4, AP #1 */
  uint64_t t0 = r->clk.now_ns;
  assert_int_equal(wr(r, true, 0x4, RAM_BASE), LF_SWD_WAIT);  /* 5 */
  assert_int_equal(wr(r, true, 0x4, RAM_BASE), LF_SWD_WAIT);  /* 6 */
  assert_int_equal(r->clk.now_ns, t0 + 2 * 13000);
  assert_int_equal(wr(r, true, 0x4, RAM_BASE), LF_SWD_FAULT); /* 7 = AP transaction #4 */
  rd(r, false, 0x4, &v);
  assert_true(v & CS_STICKYERR);
  teardown(r);
}

/* Several MEM-APs (lf_dap_cfg.more; the STM32H7 layout of stm32-f1-l4-h7-
 * targets.md 1.3: AP0 AHB-AP, AP1 AHB-AP, AP2 APB-AP): each AP has its own
 * IDR/BASE, CSW and TAR and reaches its own bus; an APB-AP makes word
 * accesses only whatever CSW.Size says; an APSEL without an AP reads 0. */
static void several_aps_each_with_its_own_csw_tar_and_bus(void **state)
{
  (void)state;
  static fake bus1, bus2;
  memset(&bus1, 0, sizeof bus1);
  memset(&bus2, 0, sizeof bus2);
  lf_dap_cfg c = cfg;
  c.more[0] = (lf_dap_ap){0x84770001u, 0xE00FE003u, {fake_access, &bus1}};
  c.more[1] = (lf_dap_ap){0x54770002u, 0xE00F0003u, {fake_access, &bus2}};
  rig *r = rig_new(NULL);
  lf_dap_free(r->d);
  r->d = lf_dap_new(&c, &r->clk, &r->p, (lf_bus){fake_access, &r->bus}, &r->faults);
  assert_non_null(r->d);
  lf_dap_set_swclk(r->d, 1e6);
  connect(r);
  uint32_t v;
  /* identity per APSEL (bank 0xF), posted */
  const struct { uint32_t sel, idr, base; } ids[] = {
    {0x000000F0u, 0x74770001u, 0xE00FD003u}, {0x010000F0u, 0x84770001u, 0xE00FE003u},
    {0x020000F0u, 0x54770002u, 0xE00F0003u}, {0x030000F0u, 0, 0},
  };
  for (size_t i = 0; i < 4; i++) {
    wr(r, false, 0x8, ids[i].sel);
    rd(r, true, 0xC, &v);
    rd(r, true, 0x8, &v);
    assert_int_equal(v, ids[i].idr);
    rd(r, false, 0xC, &v);
    assert_int_equal(v, ids[i].base);
  }
  /* AP 0 and AP 1: own CSW/TAR, own bus */
  wr(r, false, 0x8, 0x00000000u);
  wr(r, true, 0x0, 0x23000012u);
  wr(r, true, 0x4, RAM_BASE);
  wr(r, false, 0x8, 0x01000000u);
  wr(r, true, 0x0, 0x23000010u); /* byte, increment */
  wr(r, true, 0x4, RAM_BASE + 1);
  wr(r, true, 0xC, 0x0000AB00u);  /* lane 1 */
  wr(r, false, 0x8, 0x00000000u);
  wr(r, true, 0xC, 0x11223344u);
  rd(r, true, 0x4, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, RAM_BASE + 4); /* AP 0's TAR moved by its own word */
  assert_memory_equal(r->bus.ram, "\x44\x33\x22\x11", 4);
  assert_int_equal(bus1.ram[1], 0xAB);
  assert_int_equal(bus1.last_size, 1);
  assert_int_equal(r->bus.ram[1], 0x33); /* AP 1 never reached AP 0's bus */
  wr(r, false, 0x8, 0x01000000u);
  rd(r, true, 0x0, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v & 0x37u, 0x10u); /* AP 1 kept its byte size */
  /* AP 2 (APB-AP): Size stays word, a byte request makes a word access */
  wr(r, false, 0x8, 0x02000000u);
  rd(r, true, 0x0, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x80000042u);
  wr(r, true, 0x0, 0x23000010u);
  rd(r, true, 0x0, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0x00000052u); /* AddrInc and DbgSwEnable taken, Size and HPROT not */
  wr(r, true, 0x4, RAM_BASE + 8);
  wr(r, true, 0xC, 0xCAFEF00Du);
  assert_int_equal(bus2.last_size, 4);
  assert_memory_equal(bus2.ram + 8, "\x0D\xF0\xFE\xCA", 4);
  /* APSEL 3: no AP, writes ignored, nothing reached */
  unsigned a0 = r->bus.accesses, a1 = bus1.accesses, a2 = bus2.accesses;
  wr(r, false, 0x8, 0x03000000u);
  wr(r, true, 0x4, RAM_BASE);
  wr(r, true, 0xC, 0x55555555u);
  rd(r, true, 0xC, &v);
  rd(r, false, 0xC, &v);
  assert_int_equal(v, 0);
  assert_int_equal(r->bus.accesses + bus1.accesses + bus2.accesses, a0 + a1 + a2);
  teardown(r);
}

/* ---- nRF52 (issue 15) ----
 * A vendor control AP (lf_dap_cfg.ctrl_aps, the nRF52 CTRL-AP at APSEL 1):
 * every register access, IDR included, is one word access of its bus at the
 * AP register address (bank | A[3:2]); reads are posted as any AP read; no
 * CSW/TAR, no auto-increment, answered without the power-up handshake. */
typedef struct ctrl_regs { uint32_t reg[64]; unsigned n; uint32_t last; } ctrl_regs;

static int ctrl_access(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                       uint32_t *val, uint64_t *t)
{
  (void)m;
  (void)t;
  ctrl_regs *c = ctx;
  assert_int_equal(size, 4);
  assert_true(addr < 0x100 && (addr & 3u) == 0);
  c->n++;
  c->last = addr;
  if (write)
    c->reg[addr / 4] = *val;
  else
    *val = addr == 0xFC ? 0x02880000u : c->reg[addr / 4];
  return LF_BUS_OK;
}

static void control_ap_registers_go_to_its_bus(void **state)
{
  (void)state;
  static ctrl_regs cr;
  memset(&cr, 0, sizeof cr);
  lf_dap_cfg c = cfg;
  c.more[0] = (lf_dap_ap){0x02880000u, 0, {ctrl_access, &cr}};
  c.ctrl_aps = 1u; /* APSEL 1 */
  rig *r = rig_new(NULL);
  lf_dap_free(r->d);
  r->d = lf_dap_new(&c, &r->clk, &r->p, (lf_bus){fake_access, &r->bus}, &r->faults);
  assert_non_null(r->d);
  lf_dap_set_swclk(r->d, 1e6);
  uint32_t v = 0;
  /* a line reset and DPIDR only: no power-up request */
  lf_dap_line_reset(r->d);
  assert_int_equal(rd(r, false, 0x0, &v), LF_SWD_OK);
  wr(r, false, 0x8, 0x010000F0u); /* APSEL 1, bank 0xF */
  assert_int_equal(rd(r, true, 0xC, &v), LF_SWD_OK);
  assert_int_equal(rd(r, false, 0xC, &v), LF_SWD_OK); /* RDBUFF */
  assert_int_equal(v, 0x02880000u);
  assert_int_equal(cr.last, 0xFCu);
  wr(r, false, 0x8, 0x01000000u); /* bank 0 */
  assert_int_equal(wr(r, true, 0x4, 1), LF_SWD_OK); /* ERASEALL = 1 */
  assert_int_equal(cr.reg[1], 1u);
  assert_int_equal(wr(r, true, 0x0, 1), LF_SWD_OK); /* RESET = 1 */
  assert_int_equal(rd(r, true, 0x0, &v), LF_SWD_OK);
  assert_int_equal(rd(r, true, 0x4, &v), LF_SWD_OK);
  assert_int_equal(v, 1u); /* RESET, posted */
  assert_int_equal(rd(r, false, 0xC, &v), LF_SWD_OK);
  assert_int_equal(v, 1u); /* ERASEALL */
  assert_int_equal(cr.n, 5u); /* IDR, two writes, two reads */
  assert_int_equal(r->bus.accesses, 0u); /* AP 0's bus untouched */
  teardown(r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(only_dpidr_answered_after_line_reset_4_2),
    cmocka_unit_test(power_ack_delay_and_never_clear_quirk_10_2_13_4),
    cmocka_unit_test(banked_dp_and_ap_id_registers_10_2_10_3),
    cmocka_unit_test(ap_reads_are_posted_10_1),
    cmocka_unit_test(tar_wraps_in_1k_and_byte_lanes_10_3),
    cmocka_unit_test(banked_data_registers_10_3),
    cmocka_unit_test(stalled_access_answers_wait_until_done),
    cmocka_unit_test(bus_error_sets_stickyerr_until_abort_10_1),
    cmocka_unit_test(transfer_without_powerup_fails_sticky),
    cmocka_unit_test(power_cycle_resets_the_dp),
    cmocka_unit_test(injected_wait_and_fault),
    cmocka_unit_test(several_aps_each_with_its_own_csw_tar_and_bus),
    cmocka_unit_test(control_ap_registers_go_to_its_bus),
  };
  return cmocka_run_group_tests_name("dap", tests, NULL, NULL);
}
