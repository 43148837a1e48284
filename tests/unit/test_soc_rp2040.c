/* The Raspberry Pi Pico bench board (soc_rp2040.c) driven at the SWD level
 * (lf_dap on the board's wire): multidrop selection of the three DPs, the
 * boot ROM's table and flash functions run on core 0 through the ROM's debug
 * trampoline, the W25Q16JV through the SSI with CS forced low, boot from
 * flash (boot2 CRC), SYSRESETREQ of one core, the rescue DP
 * (nrf52-rp2040-targets.md 8-14). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "bench/bench.h"
#include "bench/dap.h"
#include "bench/soc.h"

/* probe-protocols.md 4.2 / nrf52-rp2040-targets.md 8.1: JTAG-to-dormant (40
 * bits), dormant-to-SWD (224 bits: 8 ones, the alert, 4 zeros, 0x1A, line
 * reset), line reset (56 ones + 8 zeros). */
static const uint8_t jtag_to_dormant[5] = {0xFF, 0x75, 0x77, 0x77, 0x67};
static const uint8_t dormant_to_swd[28] = {
  0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86, 0xE9, 0xAF, 0xDD, 0xE3, 0xA2,
  0x0E, 0xBC, 0x19, 0xA0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
static const uint8_t line_reset[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

#define CORE0 0x01002927u
#define CORE1 0x11002927u
#define RESCUE 0xF1002927u

static lf_bench_board *pico(void)
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = "pico";
  char err[256] = "";
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!b)
    fail_msg("%s", err);
  return b;
}

/* TARGETSEL as OpenOCD and luaflash send it: DAP_SWD_Sequence of 8 bits
 * out, 5 bits in (nobody drives them), 33 bits out. */
static void targetsel_raw(lf_dap *d, uint32_t v)
{
  uint8_t req = 0x99, data[5];
  memcpy(data, &v, 4);
  data[4] = (uint8_t)(__builtin_popcount(v) & 1);
  lf_dap_swj_bits(d, line_reset, 64);
  lf_dap_swj_bits(d, &req, 8);
  lf_dap_idle(d, 5);
  lf_dap_swj_bits(d, data, 33);
}

/* A transaction retried on WAIT, as a probe does. */
static lf_swd_ack xact(lf_dap *d, bool ap, bool rnw, uint8_t a, uint32_t *v)
{
  lf_swd_ack k;
  for (int i = 0; i < 1000 && (k = lf_dap_transact(d, ap, rnw, a, v)) == LF_SWD_WAIT; i++)
    ;
  return k;
}

static uint32_t dp_read(lf_dap *d, uint8_t a)
{
  uint32_t v = 0xDEADBEEFu;
  assert_int_equal(xact(d, false, true, a, &v), LF_SWD_OK);
  return v;
}

static void dp_write(lf_dap *d, uint8_t a, uint32_t v)
{
  assert_int_equal(xact(d, false, false, a, &v), LF_SWD_OK);
}

static void ap_write(lf_dap *d, uint8_t a, uint32_t v)
{
  assert_int_equal(xact(d, true, false, a, &v), LF_SWD_OK);
}

static uint32_t ap_read(lf_dap *d, uint8_t a)
{
  uint32_t v = 0;
  assert_int_equal(xact(d, true, true, a, &v), LF_SWD_OK);
  return dp_read(d, 0xC);
}

/* Wakes the wire and selects a DP; powers it up when it has an AP. */
static lf_dap *select_dp(lf_bench_board *b, uint32_t targetsel, bool wake)
{
  lf_dap *d = lf_bench_dap(b);
  if (wake) {
    lf_dap_swj_bits(d, jtag_to_dormant, 40);
    lf_dap_swj_bits(d, dormant_to_swd, 224);
  }
  targetsel_raw(d, targetsel);
  dp_read(d, 0x0);
  dp_write(d, 0x0, 0x1E); /* ABORT: clear the sticky flags */
  return d;
}

static lf_dap *connect(lf_bench_board *b, uint32_t targetsel, bool wake)
{
  lf_dap *d = select_dp(b, targetsel, wake);
  dp_write(d, 0x8, 0);
  dp_write(d, 0x4, 0x50000000u);
  uint32_t cs = 0;
  for (int i = 0; i < 1000 && (cs & 0xA0000000u) != 0xA0000000u; i++)
    cs = dp_read(d, 0x4);
  assert_int_equal(cs & 0xA0000000u, 0xA0000000u);
  ap_write(d, 0x0, 0x23000002u); /* CSW: word, no increment */
  return d;
}

static uint32_t rd32(lf_dap *d, uint32_t a)
{
  ap_write(d, 0x4, a);
  return ap_read(d, 0xC);
}

static void wr32(lf_dap *d, uint32_t a, uint32_t v)
{
  ap_write(d, 0x4, a);
  ap_write(d, 0xC, v);
}

static uint16_t rd16(lf_dap *d, uint32_t a)
{
  return (uint16_t)(rd32(d, a & ~3u) >> 8 * (a & 2u));
}

#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define AIRCR 0xE000ED0Cu

static void set_reg(lf_dap *d, unsigned r, uint32_t v)
{
  wr32(d, DCRDR, v);
  wr32(d, DCRSR, 0x10000u | r);
}

static uint32_t get_reg(lf_dap *d, unsigned r)
{
  wr32(d, DCRSR, r);
  return rd32(d, DCRDR);
}

static uint16_t rom_func(lf_dap *d, char a, char c)
{
  uint16_t table = rd16(d, 0x14), code = (uint16_t)(a | c << 8);
  for (uint32_t e = table;; e += 4) {
    uint16_t k = rd16(d, e);
    if (k == 0)
      return 0;
    if (k == code)
      return rd16(d, e + 2);
  }
}

/* Runs a ROM function through DT/DE (OpenOCD's way) and waits for the halt. */
static void call_rom(lf_bench_board *b, lf_dap *d, char x, char y, uint32_t r0, uint32_t r1,
                     uint32_t r2, uint32_t r3, uint64_t budget_ns)
{
  uint16_t fn = rom_func(d, x, y), dt = rom_func(d, 'D', 'T'), de = rom_func(d, 'D', 'E');
  assert_true(fn & 1u);
  assert_int_equal(dt & 1u, 1);
  set_reg(d, 0, r0);
  set_reg(d, 1, r1);
  set_reg(d, 2, r2);
  set_reg(d, 3, r3);
  set_reg(d, 7, fn);
  set_reg(d, 13, 0x20040000u);
  set_reg(d, 15, dt & ~1u);
  set_reg(d, 16, 0x01000000u);
  wr32(d, DHCSR, 0xA05F0001u); /* run */
  lf_bench_run(b, budget_ns);
  assert_true(rd32(d, DHCSR) & (1u << 17));
  assert_int_equal(get_reg(d, 15), de & ~1u);
}

/* Halts the core (a halt asked while it is still in reset applies when the
 * reset ends: polled). */
static void halt(lf_dap *d)
{
  wr32(d, DHCSR, 0xA05F0003u);
  uint32_t v = 0;
  for (int i = 0; i < 1000 && !(v & (1u << 17)); i++)
    v = rd32(d, DHCSR);
  assert_true(v & (1u << 17));
}

/* RP 8: the DPs start dormant; a line reset alone wakes nobody; after the
 * wake-up each TARGETSEL selects one DP with its DLPIDR; the rescue DP has
 * no AP. */
static void multidrop_selects_core0_core1_and_rescue_8(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  lf_dap *d = lf_bench_dap(b);
  uint32_t v = 0;
  lf_dap_swj_bits(d, line_reset, 64);
  assert_int_equal(lf_dap_transact(d, false, true, 0x0, &v), LF_SWD_NOACK);
  lf_dap_swj_bits(d, jtag_to_dormant, 40);
  lf_dap_swj_bits(d, dormant_to_swd, 224);
  /* all three woke up: a DPIDR read without TARGETSEL collides */
  assert_int_equal(lf_dap_transact(d, false, true, 0x0, &v), LF_SWD_NOACK);
  targetsel_raw(d, CORE0);
  assert_int_equal(lf_dap_selected(d), 0);
  assert_int_equal(dp_read(d, 0x0), 0x0BC12477u);
  dp_write(d, 0x8, 3);
  assert_int_equal(dp_read(d, 0x4), 0x00000001u); /* DLPIDR */
  dp_write(d, 0x8, 2);
  assert_int_equal(dp_read(d, 0x4), 0x01002927u); /* TARGETID */
  targetsel_raw(d, CORE1);
  assert_int_equal(lf_dap_selected(d), 1);
  assert_int_equal(dp_read(d, 0x0), 0x0BC12477u);
  dp_write(d, 0x8, 3);
  assert_int_equal(dp_read(d, 0x4), 0x10000001u);
  /* a TARGETSEL with a bad parity selects nobody new: all deselected? no:
   * nothing changes */
  targetsel_raw(d, RESCUE);
  assert_int_equal(lf_dap_selected(d), 2);
  assert_int_equal(dp_read(d, 0x0) & 0x0FF00FFFu, 0x00200927u); /* part 2, Raspberry Pi */
  /* a TARGETSEL nobody has: every DP locked out until the next line reset */
  targetsel_raw(d, 0x21002927u);
  assert_int_equal(lf_dap_transact(d, false, true, 0x0, &v), LF_SWD_NOACK);
  /* the same through DAP_Transfer (a DP write to 0xC right after a line reset) */
  lf_dap_swj_bits(d, line_reset, 64);
  v = CORE0;
  assert_int_equal(lf_dap_transact(d, false, false, 0xC, &v), LF_SWD_NOACK);
  assert_int_equal(dp_read(d, 0x0), 0x0BC12477u);
  assert_int_equal(lf_dap_selected(d), 0);
  lf_bench_board_free(b);
}

static void core_aps_and_rom_table_8_9(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  lf_dap *d = connect(b, CORE0, true);
  dp_write(d, 0x8, 0xF0);
  assert_int_equal(ap_read(d, 0xC), 0x04770031u); /* AP0 IDR */
  dp_write(d, 0x8, 0);
  assert_int_equal(rd32(d, 0xE000ED00u), 0x410CC601u); /* CPUID */
  assert_int_equal(rd32(d, 0x40000000u), 0x20002927u); /* SYSINFO CHIP_ID */
  assert_int_equal(rd32(d, 0xD0000000u), 0);           /* SIO CPUID */
  assert_int_equal(rd32(d, 0xE0002000u) >> 4 & 0xFu, 4); /* BPU: 4 comparators */
  assert_int_equal(rd32(d, 0xE0001000u) >> 28, 2);       /* DWT: 2 */
  /* ROM: magic, version B2, the lookup function pointer */
  assert_int_equal(rd32(d, 0x10) & 0xFFFFFFu, 0x01754Du);
  assert_int_equal(rd32(d, 0x10) >> 24, 3);
  assert_true(rd16(d, 0x18) & 1u);
  const char *names[] = {"IF", "EX", "RE", "RP", "FC", "CX", "DT", "DE"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    assert_int_not_equal(rom_func(d, names[i][0], names[i][1]), 0);
  assert_int_equal(rom_func(d, 'Z', 'Z'), 0);
  /* core 1's DP: its own core, parked in the ROM */
  lf_dap *d1 = connect(b, CORE1, false);
  assert_int_equal(rd32(d1, 0xE000ED00u), 0x410CC601u);
  halt(d1);
  assert_true(get_reg(d1, 15) < 0x4000u);
  lf_bench_board_free(b);
}

/* RP 10.1, 12: IF, EX, RE (64 KiB block where aligned, 4 KiB sectors
 * elsewhere), RP, FC, CX on the flash model; the time is the flash's. */
static void rom_functions_erase_and_program_the_w25q16jv_10_12(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  lf_dap *d = connect(b, CORE0, true);
  halt(d);
  for (uint32_t i = 0; i < 1024; i++)
    wr32(d, 0x20001000u + 4 * i, 0x01020304u * i ^ 0xA5A55A5Au);
  /* still in XIP mode after boot: RE does nothing (the ROM's SPI bytes
   * would not reach the flash) */
  const lf_soc_counters *c = lf_soc_counters_get(lf_bench_soc(b));
  call_rom(b, d, 'R', 'E', 0, 0x1000, 0x10000, 0xD8, 10000000);
  assert_int_equal(c->flash_sector_erases, 0);
  assert_int_equal(c->flash_errors, 1); /* the report counts it */
  call_rom(b, d, 'I', 'F', 0, 0, 0, 0, 1000000);
  call_rom(b, d, 'E', 'X', 0, 0, 0, 0, 1000000);
  uint64_t t0 = lf_bench_clock(b)->now_ns;
  call_rom(b, d, 'R', 'E', 0, 0x11000, 0x10000, 0xD8, 400000000);
  assert_int_equal(c->flash_sector_erases, 2); /* one 64 KiB block, one 4 KiB sector */
  uint64_t t1 = lf_bench_clock(b)->now_ns;
  call_rom(b, d, 'R', 'P', 0x1000, 0x20001000u, 4096, 0, 100000000);
  assert_int_equal(c->flash_prog_ops, 16);
  call_rom(b, d, 'F', 'C', 0, 0, 0, 0, 1000000);
  call_rom(b, d, 'C', 'X', 0, 0, 0, 0, 1000000);
  for (uint32_t i = 0; i < 1024; i += 97)
    assert_int_equal(rd32(d, 0x10001000u + 4 * i), 0x01020304u * i ^ 0xA5A55A5Au);
  assert_int_equal(rd32(d, 0x10000000u), 0xFFFFFFFFu);
  assert_int_equal(rd32(d, 0x10010FFCu), 0xFFFFFFFFu);
  const lf_bench_params *p = lf_bench_params_get(b);
  assert_true(c->flash_busy_ns >= (uint64_t)(p->rp_w25_be64_ns + p->rp_w25_se_ns + 16 * p->rp_w25_pp_ns));
  (void)t0;
  (void)t1;
  lf_bench_board_free(b);
}

/* RP 11: OpenOCD's JEDEC ID read: SS forced low, four 0x9F writes to DR0,
 * four reads; ID in bytes 1-3. */
static void ssi_with_cs_forced_low_reads_the_jedec_id_11(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  lf_dap *d = connect(b, CORE0, true);
  halt(d);
  wr32(d, 0x4001800Cu, 2u << 8);
  for (int i = 0; i < 4; i++)
    wr32(d, 0x18000060u, 0x9F);
  uint32_t id = 0;
  for (int i = 0; i < 4; i++)
    id |= (rd32(d, 0x18000060u) & 0xFFu) << 8 * i;
  wr32(d, 0x4001800Cu, 3u << 8);
  assert_int_equal(id >> 8, 0x001540EFu);
  lf_bench_board_free(b);
}

/* One SPI command through the SSI with CS forced low: out[] sent, the bytes
 * the flash drives back into in[]; CS high at the end (the command runs). */
static void spi(lf_dap *d, const uint8_t *out, size_t n, uint8_t *in)
{
  wr32(d, 0x4001800Cu, 2u << 8);
  for (size_t i = 0; i < n; i++) {
    wr32(d, 0x18000060u, out[i]);
    uint32_t v = rd32(d, 0x18000060u);
    if (in)
      in[i] = (uint8_t)v;
  }
  wr32(d, 0x4001800Cu, 3u << 8);
}

/* RP 12: the W25Q16JV's rules as a debugger sees them through the SSI: a
 * page program without WREN is ignored; WREN sets WEL, the program clears
 * it; BUSY for tPP, commands other than the status reads ignored meanwhile;
 * bytes past the page end wrap to its start; NOR programming only clears
 * bits; a sector erase brings 0xFF back. */
static void w25q16jv_commands_through_the_ssi_12(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  lf_dap_set_swclk(lf_bench_dap(b), 50e6); /* the polls well inside tPP */
  lf_dap *d = connect(b, CORE0, true);
  halt(d);
  const lf_bench_params *p = lf_bench_params_get(b);
  uint8_t in[8];
  uint8_t pp[4 + 8] = {0x02, 0x00, 0x10, 0xFC, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  spi(d, pp, sizeof pp, NULL); /* no WREN: ignored */
  assert_int_equal(rd32(d, 0x100010FCu), 0xFFFFFFFFu);
  static const uint8_t wren = 0x06, rdsr[2] = {0x05, 0};
  spi(d, &wren, 1, NULL);
  spi(d, rdsr, 2, in);
  assert_int_equal(in[1], 0x02); /* WEL */
  uint64_t t0 = lf_bench_clock(b)->now_ns;
  spi(d, pp, sizeof pp, NULL);
  spi(d, rdsr, 2, in);
  assert_int_equal(in[1], 0x01); /* BUSY, WEL cleared */
  static const uint8_t jedec[4] = {0x9F, 0, 0, 0};
  spi(d, jedec, 4, in);
  assert_int_equal(in[1], 0xFF); /* ignored while busy */
  lf_bench_run(b, (uint64_t)p->rp_w25_pp_ns);
  spi(d, rdsr, 2, in);
  assert_int_equal(in[1], 0x00);
  assert_true(lf_bench_clock(b)->now_ns - t0 >= (uint64_t)p->rp_w25_pp_ns);
  /* 0x1000FC..FF then wrapped to 0x001000..03 */
  assert_int_equal(rd32(d, 0x100010FCu), 0x44332211u);
  assert_int_equal(rd32(d, 0x10001000u), 0x88776655u);
  /* programming only clears bits */
  uint8_t pp2[5] = {0x02, 0x00, 0x10, 0xFC, 0xF0};
  spi(d, &wren, 1, NULL);
  spi(d, pp2, sizeof pp2, NULL);
  lf_bench_run(b, (uint64_t)p->rp_w25_pp_ns);
  assert_int_equal(rd32(d, 0x100010FCu) & 0xFFu, 0x11u & 0xF0u);
  /* sector erase */
  uint8_t se[4] = {0x20, 0x00, 0x10, 0x80};
  spi(d, &wren, 1, NULL);
  spi(d, se, sizeof se, NULL);
  lf_bench_run(b, (uint64_t)p->rp_w25_se_ns);
  assert_int_equal(rd32(d, 0x100010FCu), 0xFFFFFFFFu);
  assert_int_equal(rd32(d, 0x10001000u), 0xFFFFFFFFu);
  lf_bench_board_free(b);
}

static uint32_t crc_msb(const uint8_t *b, size_t n)
{
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= (uint32_t)b[i] << 24;
    for (int k = 0; k < 8; k++)
      c = c & 0x80000000u ? c << 1 ^ 0x04C11DB7u : c << 1;
  }
  return c;
}

/* One sniffed DMA run of channel 3 over SRAM: the SNIFF_DATA read back. */
static uint32_t sniff_run(lf_bench_board *b, lf_dap *d, uint32_t src, uint32_t count,
                          uint32_t size_log2, uint32_t sniff_ctrl)
{
  uint32_t ch = 0x50000000u + 3 * 0x40u;
  wr32(d, 0x50000438u, 0xFFFFFFFFu);
  wr32(d, 0x50000434u, sniff_ctrl | 3u << 1 | 1u);
  wr32(d, ch + 0x0, src);
  wr32(d, ch + 0x4, 0x20038000u);
  wr32(d, ch + 0x8, count);
  wr32(d, ch + 0xC, 1u | size_log2 << 2 | 0x10u | 0x3Fu << 15 | 1u << 23);
  lf_bench_run(b, 100000);
  assert_int_equal(rd32(d, ch + 0xC) & (1u << 24), 0); /* no longer BUSY */
  assert_int_equal(rd32(d, ch + 0x8), 0);
  return rd32(d, 0x50000438u);
}

/* RP 13: the DMA sniffer's CRC-32: CALC 0 over bytes, and over words with
 * SNIFF_CTRL.BSWAP, equal the MSB-first CRC (OpenOCD's verify form); CALC 1
 * with OUT_REV and OUT_INV over words equals zlib's crc32 (the loader's). */
static void dma_sniffer_crc32_forms_13(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  lf_dap *d = connect(b, CORE0, true);
  halt(d);
  uint8_t data[64];
  for (unsigned i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 37 + 5);
  for (unsigned i = 0; i < sizeof data; i += 4)
    wr32(d, 0x20030000u + i, (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
                                 (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24);
  uint32_t want = crc_msb(data, sizeof data);
  assert_int_equal(sniff_run(b, d, 0x20030000u, 64, 0, 0x0u << 5), want);
  assert_int_equal(sniff_run(b, d, 0x20030000u, 16, 2, 0x0u << 5 | 0x200u), want);
  uint32_t z = sniff_run(b, d, 0x20030000u, 16, 2, 0x1u << 5 | 0x400u | 0x800u);
  assert_int_equal(z, (uint32_t)crc32(0L, data, sizeof data));
  lf_bench_board_free(b);
}

/* Programs the demo through the ROM, then SYSRESETREQ of core 0 (core 0
 * only, RP 14) boots it from flash: boot2 CRC, the LED blinks. */
static void demo_boots_from_flash_after_sysresetreq_and_blinks_14(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  const lf_bench_board_info *bi = lf_bench_board_info_get(b);
  lf_dap *d = connect(b, CORE0, true);
  halt(d);
  uint32_t n = (*bi->demo_len + 255u) & ~255u;
  for (uint32_t i = 0; i < n; i += 4) {
    uint32_t w = 0xFFFFFFFFu;
    for (unsigned k = 0; k < 4; k++)
      if (i + k < *bi->demo_len)
        w = (w & ~(0xFFu << 8 * k)) | (uint32_t)bi->demo[i + k] << 8 * k;
    wr32(d, 0x20002000u + i, w);
  }
  call_rom(b, d, 'I', 'F', 0, 0, 0, 0, 1000000);
  call_rom(b, d, 'E', 'X', 0, 0, 0, 0, 1000000);
  call_rom(b, d, 'R', 'E', 0, 0x1000, 0x10000, 0xD8, 100000000);
  call_rom(b, d, 'R', 'P', 0, 0x20002000u, n, 0, 10000000);
  call_rom(b, d, 'F', 'C', 0, 0, 0, 0, 1000000);
  call_rom(b, d, 'C', 'X', 0, 0, 0, 0, 1000000);
  lf_bench_led_events_clear(b);
  wr32(d, DHCSR, 0xA05F0001u);
  wr32(d, AIRCR, 0x05FA0004u);
  lf_bench_run(b, 350000000ull); /* 0.35 s: kept short for the valgrind pass */
  unsigned counts[4];
  lf_bench_led_toggles(b, counts);
  assert_in_range(counts[1], 3, 4); /* every 100 ms */
  /* core 1 was not reset: still parked in the ROM */
  lf_dap *d1 = connect(b, CORE1, false);
  halt(d1);
  assert_true(get_reg(d1, 15) < 0x4000u);
  lf_bench_board_free(b);
}

/* RP 14: the rescue DP restarts the chip; the ROM sees PSM_RESTART_FLAG and
 * parks core 0 (a blank or broken image never runs). */
static void rescue_dp_restarts_the_chip_and_parks_core0_14(void **st)
{
  (void)st;
  lf_bench_board *b = pico();
  lf_dap *d = select_dp(b, RESCUE, true);
  dp_write(d, 0x4, 0x10000000u);
  dp_write(d, 0x4, 0);
  lf_bench_run(b, 10000000);
  d = connect(b, CORE0, false);
  halt(d);
  uint32_t pc = get_reg(d, 15);
  assert_true(pc < 0x4000u);
  assert_int_equal(rd32(d, 0x40064008u) & (1u << 24), 0); /* the ROM cleared it */
  assert_true(rd32(d, 0x40064008u) & (1u << 20));        /* HAD_PSM_RESTART */
  lf_bench_board_free(b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(multidrop_selects_core0_core1_and_rescue_8),
    cmocka_unit_test(core_aps_and_rom_table_8_9),
    cmocka_unit_test(rom_functions_erase_and_program_the_w25q16jv_10_12),
    cmocka_unit_test(ssi_with_cs_forced_low_reads_the_jedec_id_11),
    cmocka_unit_test(w25q16jv_commands_through_the_ssi_12),
    cmocka_unit_test(dma_sniffer_crc32_forms_13),
    cmocka_unit_test(demo_boots_from_flash_after_sysresetreq_and_blinks_14),
    cmocka_unit_test(rescue_dp_restarts_the_chip_and_parks_core0_14),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
