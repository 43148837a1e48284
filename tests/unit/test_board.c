/* Whole-board tests: the virtual NUCLEO-F767ZI driven only through its USB
 * API with raw ST-Link commands, as a host driver would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/tools/rawstlink.h"

#define FLASH_KEYR 0x40023C04u
#define FLASH_SR 0x40023C0Cu
#define FLASH_CR 0x40023C10u
#define DHCSR 0xE000EDF0u
#define DEMCR 0xE000EDFCu
#define AIRCR 0xE000ED0Cu

static void dap_up(lf_bench_board *b)
{
  assert_int_equal(lf_raw_enter_swd(b), 0x80);
  assert_int_equal(lf_raw_write_dap(b, 0xFFFF, 0x4, 0x50000000u), 0x80);
  uint32_t ctrl = 0;
  for (int i = 0; i < 10 && (ctrl >> 29 & 5) != 5; i++)
    lf_raw_read_dap(b, 0xFFFF, 0x4, &ctrl);
  assert_int_equal(ctrl & 0xA0000000u, 0xA0000000u);
}

static lf_bench_board *connect(const char *faults)
{
  lf_bench_board *b = lf_raw_board(NULL, faults);
  assert_non_null(b);
  dap_up(b);
  return b;
}

static void halt_at_reset(lf_bench_board *b)
{
  assert_int_equal(lf_raw_write_debug32(b, DHCSR, 0xA05F0003u), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, DEMCR, 0x01000001u), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, AIRCR, 0x05FA0004u), 0x80);
  uint32_t d = 0;
  assert_int_equal(lf_raw_read_debug32(b, DHCSR, &d), 0x80);
  assert_true(d & (1u << 17));
}

static void unlock(lf_bench_board *b)
{
  assert_int_equal(lf_raw_write_debug32(b, FLASH_KEYR, 0x45670123u), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_KEYR, 0xCDEF89ABu), 0x80);
  uint32_t cr = 0;
  lf_raw_read_debug32(b, FLASH_CR, &cr);
  assert_int_equal(cr & 0x80000000u, 0);
}

static uint32_t wait_bsy(lf_bench_board *b)
{
  uint32_t sr = 0;
  for (int i = 0; i < 100000; i++) {
    assert_int_equal(lf_raw_read_debug32(b, FLASH_SR, &sr), 0x80);
    if (!(sr & (1u << 16)))
      return sr;
  }
  fail_msg("flash stayed busy");
  return sr;
}

/* probe-protocols.md 1.4: GET_VERSION of the NUCLEO's V2-1 (V2J37M26). */
static void identify_reports_v2j37m26_and_nucleo_pid(void **s)
{
  (void)s;
  lf_bench_board *b = lf_raw_board(NULL, NULL);
  uint8_t r[6] = {0};
  assert_int_equal(lf_raw_cmd(b, (const uint8_t[]){0xF1}, 1, NULL, 0, r, 6), 0);
  unsigned v = (unsigned)r[0] << 8 | r[1];
  assert_int_equal(v >> 12, 2);
  assert_int_equal((v >> 6) & 63, 37);
  assert_int_equal(v & 63, 26);
  assert_int_equal(r[2] | r[3] << 8, 0x0483);
  assert_int_equal(r[4] | r[5] << 8, 0x374B);
  assert_int_equal(lf_bench_usb_info_get(b)->pid, 0x374B);
  lf_bench_board_free(b);
}

/* stm32f7-target.md 1: DPIDR 0x5BA02477, DBGMCU_IDCODE 0x10016451, CPUID 0x411FC270,
 * flash size 0x0800 KiB. */
static void enter_swd_and_read_identity_registers(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  uint8_t ids[12] = {0};
  lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x31}, 2, NULL, 0, ids, 12);
  assert_int_equal(ids[0], 0x80);
  uint32_t dpidr;
  memcpy(&dpidr, ids + 4, 4);
  assert_int_equal(dpidr, 0x5BA02477u);
  uint32_t v = 0;
  assert_int_equal(lf_raw_read_debug32(b, 0xE0042000u, &v), 0x80);
  assert_int_equal(v, 0x10016451u);
  assert_int_equal(lf_raw_read_debug32(b, 0xE000ED00u, &v), 0x80);
  assert_int_equal(v, 0x411FC270u);
  uint8_t fs[4] = {0};
  assert_int_equal(lf_raw_read_mem32(b, 0x1FF0F440u, fs, 4), 0x80);
  assert_int_equal(fs[2] | fs[3] << 8, 0x0800);
  assert_int_equal(lf_raw_read_dap(b, 0, 0xFC, &v), 0x80);
  assert_int_equal(v, 0x74770001u);
  lf_bench_board_free(b);
}

static uint32_t rd32(lf_bench_board *b, uint32_t addr)
{
  uint32_t v = 0;
  assert_int_equal(lf_raw_read_debug32(b, addr, &v), 0x80);
  return v;
}

/* The Cortex-M7 as the F767 shows it (stm32f7-target.md 10.4, 11.7): three
 * ROM tables from the AP BASE 0xE00FD003 (ST part 0x451 -> PPB table 0x4C8
 * -> core table 0x4C7 listing SCS, DWT, FPB, ITM); FPBv2 with 8 code + 1
 * literal comparators; MVFR0-2 of the FPv5 DP unit; CCR cache enables. */
static void m7_rom_tables_fpb_mvfr_and_ccr(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  uint32_t v = 0;
  assert_int_equal(lf_raw_read_dap(b, 0, 0xF8, &v), 0x80);
  assert_int_equal(v, 0xE00FD003u);
  static const struct { uint32_t base, part, pidr2, pidr1; uint32_t e[5]; } t[] = {
    {0xE00FD000u, 0x51, 0x0A, 0x04, {0x00001003u, 0}},
    {0xE00FE000u, 0xC8, 0x0B, 0xB4, {0x00001003u, 0}},
    {0xE00FF000u, 0xC7, 0x0B, 0xB4, {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u, 0}},
  };
  for (unsigned i = 0; i < 3; i++) {
    for (unsigned k = 0; k < 5; k++)
      assert_int_equal(rd32(b, t[i].base + 4 * k), t[i].e[k]);
    assert_int_equal(rd32(b, t[i].base + 0xFE0), t[i].part);
    assert_int_equal(rd32(b, t[i].base + 0xFE4), t[i].pidr1);
    assert_int_equal(rd32(b, t[i].base + 0xFE8), t[i].pidr2);
    assert_int_equal(rd32(b, t[i].base + 0xFF4), 0x10);
  }
  static const uint32_t comp[][2] = {{0xE000E000u, 0x0C}, {0xE0001000u, 0x02}, {0xE0002000u, 0x0E},
                                     {0xE0000000u, 0x01}};
  for (unsigned i = 0; i < 4; i++) {
    assert_int_equal(rd32(b, comp[i][0] + 0xFE0), comp[i][1]);
    assert_int_equal(rd32(b, comp[i][0] + 0xFE8), 0x0B);
    assert_int_equal(rd32(b, comp[i][0] + 0xFF4), 0xE0);
  }
  assert_int_equal(rd32(b, 0xE0040FF4u), 0); /* no TPIU entry on this model */
  assert_int_equal(rd32(b, 0xE0002000u), 0x10000180u);
  assert_int_equal(rd32(b, 0xE000EF40u), 0x10110221u);
  assert_int_equal(rd32(b, 0xE000EF44u), 0x12000011u);
  assert_int_equal(rd32(b, 0xE000EF48u), 0x00000040u);
  assert_int_equal(lf_raw_write_debug32(b, 0xE000ED14u, 0x00070018u), 0x80);
  assert_int_equal(rd32(b, 0xE000ED14u), 0x00070218u);
  lf_bench_board_free(b);
}

static void sram_write_then_read_back_all_widths(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  uint8_t out[6144], in[6144];
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 7 + 3);
  assert_int_equal(lf_raw_write_mem32(b, 0x20000000u, out, 6144), 0x80);
  assert_int_equal(lf_raw_read_mem32(b, 0x20000000u, in, 6144), 0x80);
  assert_memory_equal(in, out, 6144);
  assert_int_equal(lf_raw_write_mem8(b, 0x20010001u, out, 63), 0x80);
  memset(in, 0, 64);
  assert_int_equal(lf_raw_read_mem8(b, 0x20010001u, in, 63), 0x80);
  assert_memory_equal(in, out, 63);
  uint8_t one[1] = {0};
  assert_int_equal(lf_raw_read_mem8(b, 0x20010001u, one, 1), 0x80);
  assert_int_equal(one[0], out[0]);
  lf_bench_board_free(b);
}

/* stm32f7-target.md 4.1/4.3/4.2: unlock, erase sector 1, program words at x32. */
static void erase_and_program_a_sector_through_the_debugger(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  halt_at_reset(b);
  unlock(b);
  uint64_t t0 = lf_bench_clock(b)->now_ns;
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, 0x2u | 1u << 3 | 2u << 8 | 1u << 16), 0x80);
  uint32_t sr = wait_bsy(b);
  assert_int_equal(sr & 0xF2u, 0);
  /* 32 KiB at x32: 200 ms typical (stm32f7-target.md 9.1) */
  uint64_t took = lf_bench_clock(b)->now_ns - t0;
  assert_true(took >= 200000000ull && took < 210000000ull);
  uint8_t sector[64];
  assert_int_equal(lf_bench_peek(b, 0x08008000u, sector, 64), 0);
  for (int i = 0; i < 64; i++)
    assert_int_equal(sector[i], 0xFF);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, 0x1u | 2u << 8), 0x80);
  uint32_t words[16];
  for (int i = 0; i < 16; i++)
    words[i] = 0x01020304u * (uint32_t)(i + 1);
  assert_int_equal(lf_raw_write_mem32(b, 0x08008000u, words, sizeof words), 0x80);
  sr = wait_bsy(b);
  assert_int_equal(sr & 0xF2u, 0);
  uint32_t back[16];
  assert_int_equal(lf_raw_read_mem32(b, 0x08008000u, back, sizeof back), 0x80);
  assert_memory_equal(back, words, sizeof words);
  lf_bench_board_free(b);
}

/* stm32f7-target.md 5: byte write with PSIZE x32 -> PGPERR, nothing written;
 * write without PG -> ERSERR; wrong key -> bus error and locked until reset. */
static void flash_misuse_sets_error_flags_and_writes_nothing(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  halt_at_reset(b);
  unlock(b);
  lf_raw_write_debug32(b, FLASH_CR, 0x2u | 2u << 3 | 2u << 8 | 1u << 16);
  wait_bsy(b);
  lf_raw_write_debug32(b, FLASH_CR, 0x1u | 2u << 8);
  uint8_t byte = 0x12;
  lf_raw_write_mem8(b, 0x08010000u, &byte, 1);
  uint32_t sr = wait_bsy(b);
  assert_true(sr & (1u << 6)); /* PGPERR */
  uint8_t v = 0;
  lf_bench_peek(b, 0x08010000u, &v, 1);
  assert_int_equal(v, 0xFF);
  lf_raw_write_debug32(b, FLASH_SR, 0xF3u);
  lf_raw_write_debug32(b, FLASH_CR, 2u << 8);
  uint32_t w = 0;
  lf_raw_write_mem32(b, 0x08010000u, &w, 4);
  sr = wait_bsy(b);
  assert_true(sr & (1u << 7)); /* ERSERR */
  lf_raw_write_debug32(b, FLASH_CR, 0x80000000u);
  assert_int_not_equal(lf_raw_write_debug32(b, FLASH_KEYR, 0x11111111u), 0x80);
  lf_raw_write_dap(b, 0xFFFF, 0x0, 0x1Eu); /* ABORT: clear sticky errors */
  lf_raw_write_debug32(b, FLASH_KEYR, 0x45670123u);
  lf_raw_write_debug32(b, FLASH_KEYR, 0xCDEF89ABu);
  uint32_t cr = 0;
  lf_raw_read_debug32(b, FLASH_CR, &cr);
  assert_true(cr & 0x80000000u); /* stays locked until reset */
  lf_raw_write_dap(b, 0xFFFF, 0x0, 0x1Eu);
  lf_raw_write_debug32(b, AIRCR, 0x05FA0004u);
  unlock(b);
  lf_bench_board_free(b);
}

static void flash_demo(lf_bench_board *b)
{
  halt_at_reset(b);
  unlock(b);
  size_t len = (lf_demo_f767_bin_len + 3) & ~3u;
  assert_true(len > 64 && len <= 32768);
  uint8_t *img = malloc(len);
  memset(img, 0xFF, len);
  memcpy(img, lf_demo_f767_bin, lf_demo_f767_bin_len);
  lf_raw_write_debug32(b, FLASH_CR, 0x2u | 0u << 3 | 2u << 8 | 1u << 16);
  assert_int_equal(wait_bsy(b) & 0xF2u, 0);
  lf_raw_write_debug32(b, FLASH_CR, 0x1u | 2u << 8);
  for (size_t o = 0; o < len; o += 1024) {
    uint16_t n = (uint16_t)(len - o < 1024 ? len - o : 1024);
    assert_int_equal(lf_raw_write_mem32(b, 0x08000000u + (uint32_t)o, img + o, n), 0x80);
  }
  assert_int_equal(wait_bsy(b) & 0xF2u, 0);
  lf_raw_write_debug32(b, FLASH_CR, 0x80000000u);
  uint8_t *back = malloc(len);
  assert_int_equal(lf_bench_peek(b, 0x08000000u, back, len), 0);
  assert_memory_equal(back, img, len);
  free(back);
  free(img);
}

static void count_toggles(lf_bench_board *b, unsigned t[4]) { lf_bench_led_toggles(b, t); }

/* The demo: after a reset the flashed firmware boots from BOOT_ADD0 (ITCM
 * alias of flash) and toggles LD1/LD2/LD3 at 100/200/400 ms. */
static void flashed_demo_boots_and_blinks(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  flash_demo(b);
  lf_raw_write_debug32(b, DEMCR, 0);
  lf_raw_write_debug32(b, DHCSR, 0xA05F0000u);
  lf_raw_write_debug32(b, AIRCR, 0x05FA0004u);
  lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x21}, 2, NULL, 0, NULL, 0);
  lf_bench_led_events_clear(b);
  lf_bench_run(b, 1000000000ull);
  unsigned t[4];
  count_toggles(b, t);
  assert_in_range(t[1], 9, 11);
  assert_in_range(t[2], 4, 6);
  assert_in_range(t[3], 2, 3);
  lf_bench_board_free(b);
}

static void erased_board_does_not_blink(void **s)
{
  (void)s;
  lf_bench_board *b = lf_raw_board(NULL, NULL);
  lf_bench_press_reset(b);
  lf_bench_run(b, 500000000ull);
  unsigned t[4];
  count_toggles(b, t);
  assert_int_equal(t[1] + t[2] + t[3], 0);
  lf_bench_board_free(b);
}

/* A second board loading the state file sees what the first programmed, and
 * runs it after power-on. */
static void state_file_carries_flash_to_the_next_run(void **s)
{
  (void)s;
  char path[] = "/tmp/lf-bench-state-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
  char err[256];
  lf_bench_board *b = connect(NULL);
  flash_demo(b);
  assert_int_equal(lf_bench_save_state(b, path, err, sizeof err), 0);
  lf_bench_board_free(b);

  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.state_file = path;
  lf_bench_board *b2 = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b2);
  uint8_t head[16];
  lf_bench_peek(b2, 0x08000000u, head, 16);
  assert_memory_equal(head, lf_demo_f767_bin, 16);
  lf_bench_run(b2, 500000000ull);
  unsigned t[4];
  count_toggles(b2, t);
  assert_true(t[1] >= 4);
  lf_bench_board_free(b2);

  FILE *f = fopen(path, "wb");
  fputs("garbage", f);
  fclose(f);
  assert_null(lf_bench_board_new(&cfg, err, sizeof err));
  assert_non_null(strstr(err, path));
  unlink(path);
}

/* Everything is deterministic: the same command sequence twice gives the
 * same virtual time and the same counters. */
static void same_sequence_gives_identical_time_and_counters(void **s)
{
  (void)s;
  char r1[4096], r2[4096];
  for (int k = 0; k < 2; k++) {
    lf_bench_board *b = connect(NULL);
    flash_demo(b);
    lf_raw_write_debug32(b, DEMCR, 0);
    lf_raw_write_debug32(b, DHCSR, 0xA05F0000u);
    lf_raw_write_debug32(b, AIRCR, 0x05FA0004u);
    lf_bench_run(b, 300000000ull);
    FILE *m = fmemopen(k ? r2 : r1, 4096, "w");
    lf_bench_report(b, m);
    fclose(m);
    lf_bench_board_free(b);
  }
  assert_string_equal(r1, r2);
}

/* stm32f7-target.md 13 #4: on this board the power-up ACKs never clear after
 * the requests are cleared. */
static void powerdown_ack_never_clears_on_this_board(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  assert_int_equal(lf_raw_write_dap(b, 0xFFFF, 0x4, 0), 0x80);
  uint32_t ctrl = 0;
  for (int i = 0; i < 20; i++)
    lf_raw_read_dap(b, 0xFFFF, 0x4, &ctrl);
  assert_int_equal(ctrl & 0xA0000000u, 0xA0000000u);
  lf_bench_board_free(b);
}

/* USB: reading the reply endpoint with nothing pending times out after the
 * host's timeout, charged as virtual time. */
static void empty_in_endpoint_times_out_in_virtual_time(void **s)
{
  (void)s;
  lf_bench_board *b = lf_raw_board(NULL, NULL);
  uint8_t buf[64];
  size_t n = 99;
  uint64_t t0 = lf_bench_clock(b)->now_ns;
  assert_int_equal(lf_bench_usb_bulk_in(b, 0x81, buf, sizeof buf, &n, 250), -7);
  assert_int_equal(n, 0);
  assert_true(lf_bench_clock(b)->now_ns - t0 >= 250000000ull);
  lf_bench_board_free(b);
}

/* Fault: power lost in the middle of a sector erase leaves the sector with
 * undefined content, and the board comes back. */
static void power_loss_during_erase_leaves_sector_undefined(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  halt_at_reset(b);
  unlock(b);
  uint64_t now = lf_bench_clock(b)->now_ns;
  lf_bench_board_free(b);
  char spec[64];
  snprintf(spec, sizeof spec, "power_loss@%lluns", (unsigned long long)(now + 100000000ull));
  b = connect(spec);
  halt_at_reset(b);
  unlock(b);
  lf_raw_write_debug32(b, FLASH_CR, 0x2u | 3u << 3 | 2u << 8 | 1u << 16);
  lf_bench_run(b, 300000000ull);
  uint8_t buf[256];
  lf_bench_peek(b, 0x08018000u, buf, sizeof buf);
  int ff = 0;
  for (size_t i = 0; i < sizeof buf; i++)
    ff += buf[i] == 0xFF;
  assert_true(ff < 200); /* neither erased nor the old (erased) content */
  lf_bench_board_free(b);
}

/* ---- read protection level 1 with a debugger (RM0402's text for this
 * controller family; params rdp1_blocks_flash_with_debug) ---- */

#define FLASH_OPTKEYR 0x40023C08u
#define FLASH_OPTCR 0x40023C14u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DFSR 0xE000ED30u

/* Option bytes through the debugger (stm32f7-target.md 4.5); `ms` of
 * virtual time covers the operation (50 ms, + the mass erase of 1 -> 0). */
static void program_options(lf_bench_board *b, uint32_t optcr, uint64_t ms)
{
  assert_int_equal(lf_raw_write_debug32(b, FLASH_OPTKEYR, 0x08192A3Bu), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_OPTKEYR, 0x4C5D6E7Fu), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_OPTCR, optcr & ~3u), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_OPTCR, (optcr & ~3u) | 2u), 0x80);
  lf_bench_run(b, ms * 1000000ull);
  assert_int_equal(wait_bsy(b) & 0xF2u, 0);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_OPTCR, (optcr & ~3u) | 1u), 0x80);
}

static void set_reg(lf_bench_board *b, uint32_t sel, uint32_t v)
{
  assert_int_equal(lf_raw_write_debug32(b, DCRDR, v), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, DCRSR, 0x10000u | sel), 0x80);
}

/* Runs two Thumb halfwords at 0x20000000 (the RAM a flash loader uses) with
 * r0-r3 set, debug enabled; returns DFSR once the core halted: 2 = its BKPT,
 * 8 = a fault (vector catch). */
static uint32_t run_in_ram(lf_bench_board *b, uint16_t insn, uint32_t r0, uint32_t r1, uint32_t r2,
                           uint32_t r3)
{
  uint16_t code[2] = {insn, 0xBE00u}; /* insn; bkpt #0 */
  assert_int_equal(lf_raw_write_mem32(b, 0x20000000u, code, 4), 0x80);
  set_reg(b, 0, r0);
  set_reg(b, 1, r1);
  set_reg(b, 2, r2);
  set_reg(b, 3, r3);
  set_reg(b, 13, 0x20001000u);
  set_reg(b, 15, 0x20000000u);
  set_reg(b, 16, 0x01000000u);
  assert_int_equal(lf_raw_write_debug32(b, DFSR, 0x1Fu), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, DHCSR, 0xA05F0001u), 0x80);
  lf_bench_run(b, 1000000ull);
  assert_true(rd32(b, DHCSR) & (1u << 17));
  return rd32(b, DFSR);
}

/* At RDP 1 with the debugger attached, a loader running from RAM cannot
 * read (bus error -> fault), program or erase (WRPERR, nothing changes) the
 * flash; the RDP 1 -> 0 regression mass-erases, and after the reset the same
 * loader programs. (The bench used to let the core program here: a loader
 * that re-flashes an RDP 1 board works on the bench, never on silicon.) */
static void rdp1_loader_in_ram_cannot_touch_flash_until_regressed(void **s)
{
  (void)s;
  lf_bench_board *b = connect(NULL);
  flash_demo(b);
  program_options(b, 0xFFFF55FCu, 60);
  halt_at_reset(b); /* loads level 1 */
  uint32_t v = 0;
  assert_int_not_equal(lf_raw_read_debug32(b, 0x08000000u, &v), 0x80);
  lf_raw_write_dap(b, 0xFFFF, 0x0, 0x1Eu); /* ABORT: clear STICKYERR */
  assert_int_equal(run_in_ram(b, 0x6808u /* ldr r0,[r1] */, 0, 0x08000000u, 0, 0), 8u);
  assert_int_equal(run_in_ram(b, 0x6808u, 0, 0x00200000u, 0, 0), 8u); /* ITCM alias */
  assert_int_equal(run_in_ram(b, 0x6808u, 0, 0x20000004u, 0, 0), 2u); /* RAM reads */
  unlock(b);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, 0x1u | 2u << 8), 0x80); /* PG, x32 */
  assert_int_equal(run_in_ram(b, 0x6008u /* str r0,[r1] */, 0, 0x08000000u, 0, 0), 2u);
  assert_int_equal(rd32(b, FLASH_SR) & 0xF2u, 0x10u); /* WRPERR */
  assert_int_equal(lf_raw_write_debug32(b, FLASH_SR, 0xF3u), 0x80);
  /* sector 0 erase, STRT written by the core */
  assert_int_equal(run_in_ram(b, 0x601Au /* str r2,[r3] */, 0, 0,
                              0x2u | 0u << 3 | 2u << 8 | 1u << 16, FLASH_CR), 2u);
  assert_int_equal(rd32(b, FLASH_SR) & 0xF2u, 0x10u);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_SR, 0xF3u), 0x80);
  uint8_t head[16];
  assert_int_equal(lf_bench_peek(b, 0x08000000u, head, 16), 0);
  assert_memory_equal(head, lf_demo_f767_bin, 16); /* untouched */
  /* RDP 1 -> 0 (PSIZE x32 in CR: mass erase 8 s + 50 ms) */
  uint64_t t0 = lf_bench_clock(b)->now_ns;
  program_options(b, 0xFFFFAAFCu, 8100);
  assert_true(lf_bench_clock(b)->now_ns - t0 >= 8050000000ull);
  halt_at_reset(b);
  assert_int_equal(rd32(b, 0x08000000u), 0xFFFFFFFFu);
  unlock(b);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, 0x1u | 2u << 8), 0x80);
  assert_int_equal(run_in_ram(b, 0x6008u, 0x12345678u, 0x08000000u, 0, 0), 2u);
  assert_int_equal(wait_bsy(b) & 0xF2u, 0);
  assert_int_equal(rd32(b, 0x08000000u), 0x12345678u);
  lf_bench_board_free(b);
}

/* An RDP 1 board runs its firmware from flash after power-on; once a
 * debugger uses the debug port the core loses the flash (its next fetch
 * faults: locked up, no more blinking) until the next power-on. */
static void rdp1_firmware_runs_until_a_debugger_connects(void **s)
{
  (void)s;
  char path[] = "/tmp/lf-bench-rdp1-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  char err[256];
  lf_bench_board *b = connect(NULL);
  flash_demo(b);
  program_options(b, 0xFFFF55FCu, 60);
  assert_int_equal(lf_bench_save_state(b, path, err, sizeof err), 0);
  lf_bench_board_free(b);

  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.state_file = path;
  b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b);
  lf_bench_run(b, 500000000ull);
  unsigned t[4];
  count_toggles(b, t);
  assert_true(t[1] >= 4);
  dap_up(b);
  assert_int_equal(rd32(b, 0xE0042000u), 0x10016451u); /* DBGMCU_IDCODE over the AP */
  lf_bench_led_events_clear(b);
  lf_bench_run(b, 500000000ull);
  count_toggles(b, t);
  assert_int_equal(t[1] + t[2] + t[3], 0);
  assert_true(rd32(b, DHCSR) & (1u << 19)); /* S_LOCKUP */
  lf_bench_board_free(b);
  unlink(path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(identify_reports_v2j37m26_and_nucleo_pid),
    cmocka_unit_test(enter_swd_and_read_identity_registers),
    cmocka_unit_test(m7_rom_tables_fpb_mvfr_and_ccr),
    cmocka_unit_test(sram_write_then_read_back_all_widths),
    cmocka_unit_test(erase_and_program_a_sector_through_the_debugger),
    cmocka_unit_test(flash_misuse_sets_error_flags_and_writes_nothing),
    cmocka_unit_test(flashed_demo_boots_and_blinks),
    cmocka_unit_test(erased_board_does_not_blink),
    cmocka_unit_test(state_file_carries_flash_to_the_next_run),
    cmocka_unit_test(same_sequence_gives_identical_time_and_counters),
    cmocka_unit_test(powerdown_ack_never_clears_on_this_board),
    cmocka_unit_test(empty_in_endpoint_times_out_in_virtual_time),
    cmocka_unit_test(power_loss_during_erase_leaves_sector_undefined),
    cmocka_unit_test(rdp1_loader_in_ram_cannot_touch_flash_until_regressed),
    cmocka_unit_test(rdp1_firmware_runs_until_a_debugger_connects),
  };
  return cmocka_run_group_tests_name("board", tests, NULL, NULL);
}
