/* Whole-board tests of the virtual NUCLEO-F429ZI, driven only through its
 * USB API with raw ST-Link commands (and the AHB-AP's own registers), as a
 * host would. Facts: stm32f4-target.md ("F4 n.m"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/cortexm.h"
#include "bench/soc.h"
#include "bench/tools/rawstlink.h"

#define BOARD "nucleo-f429zi"
#define FLASH_KEYR 0x40023C04u
#define FLASH_SR 0x40023C0Cu
#define FLASH_CR 0x40023C10u
#define DHCSR 0xE000EDF0u
#define DFSR 0xE000ED30u
#define DEMCR 0xE000EDFCu
#define AIRCR 0xE000ED0Cu
#define FP_CTRL 0xE0002000u
#define FP_COMP0 0xE0002008u
#define CR_PG 0x1u
#define CR_SER 0x2u
#define CR_STRT (1u << 16)
#define CR_LOCK 0x80000000u
#define PSIZE_X8 (0u << 8)
#define PSIZE_X16 (1u << 8)
#define PSIZE_X32 (2u << 8)
#define SR_BSY (1u << 16)
#define SR_PGPERR (1u << 6)
#define MS 1000000ull

static lf_bench_board *connect_to(const char *board)
{
  lf_bench_board *b = lf_raw_board_named(board, NULL, NULL);
  assert_non_null(b);
  assert_int_equal(lf_raw_enter_swd(b), 0x80);
  assert_int_equal(lf_raw_write_dap(b, 0xFFFF, 0x4, 0x50000000u), 0x80);
  uint32_t ctrl = 0;
  for (int i = 0; i < 10 && (ctrl & 0xA0000000u) != 0xA0000000u; i++)
    lf_raw_read_dap(b, 0xFFFF, 0x4, &ctrl);
  assert_int_equal(ctrl & 0xA0000000u, 0xA0000000u);
  return b;
}

static lf_bench_board *connect(void) { return connect_to(BOARD); }

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
  assert_int_equal(lf_raw_read_debug32(b, FLASH_CR, &cr), 0x80);
  assert_int_equal(cr & CR_LOCK, 0);
}

static uint32_t wait_bsy(lf_bench_board *b)
{
  uint32_t sr = 0;
  for (int i = 0; i < 100000; i++) {
    assert_int_equal(lf_raw_read_debug32(b, FLASH_SR, &sr), 0x80);
    if (!(sr & SR_BSY))
      return sr;
  }
  fail_msg("flash stayed busy");
  return sr;
}

static uint64_t now(lf_bench_board *b) { return lf_bench_clock(b)->now_ns; }
static uint64_t busy_ns(lf_bench_board *b) { return lf_soc_counters_get(lf_bench_soc(b))->flash_busy_ns; }

/* Sector erase (SER + SNB + PSIZE, then STRT as a second write, as HAL does). */
static uint32_t erase_sector(lf_bench_board *b, uint32_t snb, uint32_t psize)
{
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, CR_SER | snb << 3 | psize), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, CR_SER | snb << 3 | psize | CR_STRT), 0x80);
  return wait_bsy(b);
}

static void program_words(lf_bench_board *b, uint32_t addr, const void *data, size_t len)
{
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, CR_PG | PSIZE_X32), 0x80);
  for (size_t o = 0; o < len; o += 1024) {
    uint16_t n = (uint16_t)(len - o < 1024 ? len - o : 1024);
    assert_int_equal(lf_raw_write_mem32(b, addr + (uint32_t)o, (const uint8_t *)data + o, n), 0x80);
  }
  assert_int_equal(wait_bsy(b) & 0xF2u, 0);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, 0), 0x80);
}

/* The board table: every board known in table order, the F429 board on its
 * own part with the V2-1 probe of a NUCLEO-144 and its own default serial and
 * demo. */
static void board_table_lists_both_boards_and_rejects_unknown_names(void **s)
{
  (void)s;
  const lf_bench_board_info *f7 = lf_bench_board_find("nucleo-f767zi");
  const lf_bench_board_info *f4 = lf_bench_board_find(BOARD);
  assert_non_null(f7);
  assert_non_null(f4);
  assert_ptr_equal(lf_bench_board_at(0), f7); /* the default stays first */
  assert_ptr_equal(lf_bench_board_at(1), f4);
  assert_string_equal(lf_bench_board_at(2)->name, "nucleo-h743zi");
  assert_string_equal(lf_bench_board_at(3)->name, "nucleo-f103rb");
  assert_string_equal(lf_bench_board_at(4)->name, "nucleo-f103rc");
  assert_string_equal(lf_bench_board_at(5)->name, "nucleo-l476rg");
  assert_string_equal(lf_bench_board_at(6)->name, "pico");
  assert_string_equal(lf_bench_board_at(7)->name, "nrf52840-dk"); /* issue 15 */
  assert_null(lf_bench_board_at(8));
  for (size_t i = 0; lf_bench_board_at(i); i++)
    assert_ptr_equal(lf_bench_board_find(lf_bench_board_at(i)->name), lf_bench_board_at(i));
  assert_null(lf_bench_board_find("nucleo-f429"));
  assert_null(lf_bench_board_find(NULL));
  assert_string_equal(f4->part, "stm32f429zi");
  assert_string_equal(f4->probe, "v2-1");
  assert_string_not_equal(f4->serial, f7->serial);
  assert_ptr_equal(f4->demo, lf_demo_f429_bin);
  assert_int_equal(*f4->demo_len, lf_demo_f429_bin_len);
  char list[160];
  assert_string_equal(lf_bench_board_list(list, sizeof list),
                      "nucleo-f767zi, nucleo-f429zi, nucleo-h743zi, nucleo-f103rb, nucleo-f103rc, nucleo-l476rg, "
                      "pico, nrf52840-dk");
  char tiny[5];
  assert_string_equal(lf_bench_board_list(tiny, sizeof tiny), "nucl"); /* truncated, terminated */

  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  assert_string_equal(cfg.board, "nucleo-f767zi");
  cfg.board = "nucleo-f446re";
  char err[256];
  assert_null(lf_bench_board_new(&cfg, err, sizeof err));
  assert_string_equal(err, "bench: unknown board 'nucleo-f446re' (known: nucleo-f767zi, nucleo-f429zi, nucleo-h743zi, nucleo-f103rb, nucleo-f103rc, nucleo-l476rg, pico, nrf52840-dk)");
}

/* F4 1 / 10 / 15: ST-LINK/V2-1 0483:374B; SW-DP DPIDR 0x2BA01477 (DPv1);
 * DBGMCU_IDCODE 0x20016419 (DEV_ID 0x419); AHB-AP IDR 0x24770011, BASE
 * 0xE00FF003; flash size 0x0800 KiB at 0x1FFF7A22; CPUID 0x410FC241. */
static void identify_f429_over_the_probe(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  const lf_bench_usb_info *u = lf_bench_usb_info_get(b);
  assert_int_equal(u->vid, 0x0483);
  assert_int_equal(u->pid, 0x374B);
  assert_string_equal(u->serial, "0670FF485550755187121623");
  assert_string_equal(lf_bench_board_info_get(b)->name, BOARD);
  uint8_t ids[12] = {0};
  lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x31}, 2, NULL, 0, ids, 12);
  assert_int_equal(ids[0], 0x80);
  uint32_t v = 0;
  memcpy(&v, ids + 4, 4);
  assert_int_equal(v, 0x2BA01477u);
  assert_int_equal(lf_raw_read_dap(b, 0xFFFF, 0x0, &v), 0x80);
  assert_int_equal(v, 0x2BA01477u);
  assert_int_equal(lf_raw_read_debug32(b, 0xE0042000u, &v), 0x80);
  assert_int_equal(v, 0x20016419u);
  assert_int_equal(v & 0xFFFu, 0x419);
  assert_int_equal(lf_raw_read_debug32(b, 0xE000ED00u, &v), 0x80);
  assert_int_equal(v, 0x410FC241u);
  uint8_t fs[4] = {0};
  assert_int_equal(lf_raw_read_mem32(b, 0x1FFF7A20u, fs, 4), 0x80);
  assert_int_equal(fs[2] | fs[3] << 8, 0x0800);
  assert_int_equal(lf_raw_read_dap(b, 0, 0xFC, &v), 0x80);
  assert_int_equal(v, 0x24770011u);
  assert_int_equal(lf_raw_read_dap(b, 0, 0xF8, &v), 0x80);
  assert_int_equal(v, 0xE00FF003u);
  /* the F7's identity is nowhere: its flash size register is not mapped */
  assert_int_not_equal(lf_raw_read_mem32(b, 0x1FF0F440u, fs, 4), 0x80);
  lf_bench_board_free(b);
}

/* F4 1, 11: the Cortex-M4 seen through the AHB-AP's CSW/TAR/DRW: CPUID
 * 0x410FC241; FP_CTRL 0x260 = FPB rev 0 (v1), 6 code + 2 literal
 * comparators; DWT_CTRL.NUMCOMP 4; MVFR0/1 0x10110021/0x11000011, no MVFR2. */
static void m4_cpuid_fpb_dwt_and_mvfr_over_the_ap(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  uint32_t v = 0;
  assert_int_equal(lf_raw_ap_read32(b, 0xE000ED00u, &v), 0x80);
  assert_int_equal(v, 0x410FC241u);
  assert_int_equal((v >> 4) & 0xFFF, 0xC24);
  assert_int_equal(lf_raw_ap_read32(b, FP_CTRL, &v), 0x80);
  assert_int_equal(v, 0x00000260u);
  unsigned ncode = ((v >> 4) & 0xF) | ((v >> 12) & 0x7) << 4, nlit = (v >> 8) & 0xF;
  assert_int_equal(ncode, 6);
  assert_int_equal(nlit, 2);
  assert_int_equal(v >> 28, 0);
  assert_int_equal(lf_raw_ap_read32(b, 0xE0001000u, &v), 0x80);
  assert_int_equal(v >> 28, 4);
  assert_int_equal(lf_raw_ap_read32(b, 0xE000EF40u, &v), 0x80);
  assert_int_equal(v, 0x10110021u);
  assert_int_equal(lf_raw_ap_read32(b, 0xE000EF44u, &v), 0x80);
  assert_int_equal(v, 0x11000011u);
  assert_int_equal(lf_raw_ap_read32(b, 0xE000EF48u, &v), 0x80);
  assert_int_equal(v, 0);
  /* no core caches (F4 11): CCR.DC/IC/BP (bits 16-18) are not there */
  assert_int_equal(lf_raw_write_debug32(b, 0xE000ED14u, 0x00070018u), 0x80);
  assert_int_equal(lf_raw_read_debug32(b, 0xE000ED14u, &v), 0x80);
  assert_int_equal(v, 0x00000218u);
  /* OpenOCD's examine clears all 6 + 2 comparators (F4 14.2): they exist and
   * keep what is written; the ninth word (0xE0002028) is not a comparator */
  for (uint32_t i = 0; i < 9; i++)
    assert_int_equal(lf_raw_write_debug32(b, FP_COMP0 + 4 * i, 0x08000101u), 0x80);
  assert_int_equal(lf_raw_read_debug32(b, FP_COMP0 + 4 * 7, &v), 0x80);
  assert_int_equal(v, 0x08000101u);
  assert_int_equal(lf_raw_read_debug32(b, FP_COMP0 + 4 * 8, &v), 0x80);
  assert_int_equal(v, 0);
  lf_bench_board_free(b);
}

static uint32_t word_at(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* F4 10.3: one ROM table at 0xE00FF000 (ST identity, part = DEV_ID 0x419)
 * listing SCS, DWT, FPB, ITM, TPIU, ETM; read as pyOCD 0.13.1 does: 9 entry
 * words at a time and 17 words from base + 0xFBC per component. */
static void rom_table_walk_finds_the_m4_components(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  uint8_t w[68];
  assert_int_equal(lf_raw_read_mem32(b, 0xE00FF000u, w, 36), 0x80);
  static const uint32_t want_entries[] = {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u,
                                          0xFFF41003u, 0xFFF42003u, 0, 0, 0};
  for (unsigned i = 0; i < 9; i++)
    assert_int_equal(word_at(w + 4 * i), want_entries[i]);
  /* the table: CIDR 0xB105100D, PIDR 0x00000A0419 (ST 0x20, part 0x419) */
  assert_int_equal(lf_raw_read_mem32(b, 0xE00FFFBCu, w, 68), 0x80);
  for (unsigned i = 0; i < 5; i++)
    assert_int_equal(word_at(w + 4 * i), i == 4 ? 1u : 0u); /* 0xFBC..0xFCC: MEMTYPE SYSMEM */
  assert_int_equal(word_at(w + 0x14), 0); /* PIDR4 */
  assert_int_equal(word_at(w + 0x24), 0x19);
  assert_int_equal(word_at(w + 0x28), 0x04);
  assert_int_equal(word_at(w + 0x2C), 0x0A);
  assert_int_equal(word_at(w + 0x34) | word_at(w + 0x38) << 8 | word_at(w + 0x3C) << 16 |
                       word_at(w + 0x40) << 24, 0xB105100Du);
  static const struct { uint32_t base, cidr; uint64_t pidr; } comp[] = {
    {0xE000E000u, 0xB105E00Du, 0x4000BB00Cull}, /* SCS-M4 */
    {0xE0001000u, 0xB105E00Du, 0x4003BB002ull}, /* DWT */
    {0xE0002000u, 0xB105E00Du, 0x4002BB003ull}, /* FPB */
    {0xE0000000u, 0xB105E00Du, 0x4003BB001ull}, /* ITM */
    {0xE0040000u, 0xB105900Du, 0x4000BB9A1ull}, /* TPIU-M4 */
    {0xE0041000u, 0xB105900Du, 0x4000BB925ull}, /* ETM-M4 */
  };
  for (unsigned i = 0; i < 6; i++) {
    uint32_t base = 0xE00FF000u + (want_entries[i] & 0xFFFFF000u);
    assert_int_equal(base, comp[i].base);
    assert_int_equal(lf_raw_read_mem32(b, base + 0xFBC, w, 68), 0x80);
    uint32_t cidr = word_at(w + 0x34) | word_at(w + 0x38) << 8 | word_at(w + 0x3C) << 16 |
                    word_at(w + 0x40) << 24;
    uint64_t pidr = (uint64_t)word_at(w + 0x14) << 32 | word_at(w + 0x24) | word_at(w + 0x28) << 8 |
                    word_at(w + 0x2C) << 16 | word_at(w + 0x30) << 24;
    assert_int_equal(cidr, comp[i].cidr);
    assert_int_equal(pidr, comp[i].pidr);
  }
  /* ETM DEVTYPE 0x13 at 0xFCC */
  assert_int_equal(lf_raw_read_mem32(b, 0xE0041FCCu, w, 4), 0x80);
  assert_int_equal(word_at(w), 0x13);
  lf_bench_board_free(b);
}

/* F4 9.1 via the params rows: a 16 KiB sector at x32 takes
 * flash_f4_erase16k_ns[x32] = 250 ms; a 128 KiB sector of bank 2 (sector 17,
 * SNB 0x15) at x8 (as pyOCD and OpenOCD erase) flash_f4_erase128k_ns[x8] =
 * 2 s. The host sees BSY drop at its first SR poll after that. */
static void erase_times_of_16k_and_128k_sectors(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  const lf_bench_params *p = lf_bench_params_get(b);
  assert_true(p->flash_f4_erase16k_ns[2] == 250e6);
  assert_true(p->flash_f4_erase128k_ns[0] == 2000e6);
  halt_at_reset(b);
  unlock(b);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_SR, 0xF3u), 0x80);

  uint64_t b0 = busy_ns(b), t0 = now(b);
  assert_int_equal(erase_sector(b, 1, PSIZE_X32) & 0xF2u, 0); /* sector 1: 0x08004000, 16 KiB */
  assert_int_equal(busy_ns(b) - b0, 250 * MS);
  uint64_t took = now(b) - t0;
  assert_in_range(took, 250 * MS, 252 * MS);

  /* sector 17 erased alone: neighbours 16 (last word) and 18 keep data */
  static const uint32_t mark = 0x12345678u;
  program_words(b, 0x0811FFFCu, &mark, 4);
  program_words(b, 0x08120000u, &mark, 4);
  program_words(b, 0x0813FFFCu, &mark, 4);
  program_words(b, 0x08140000u, &mark, 4);
  b0 = busy_ns(b);
  t0 = now(b);
  assert_int_equal(erase_sector(b, 0x15, PSIZE_X8) & 0xF2u, 0);
  assert_int_equal(busy_ns(b) - b0, 2000 * MS);
  took = now(b) - t0;
  assert_in_range(took, 2000 * MS, 2002 * MS);
  uint32_t v[4];
  lf_bench_peek(b, 0x0811FFFCu, &v[0], 4);
  lf_bench_peek(b, 0x08120000u, &v[1], 4);
  lf_bench_peek(b, 0x0813FFFCu, &v[2], 4);
  lf_bench_peek(b, 0x08140000u, &v[3], 4);
  assert_int_equal(v[0], mark);
  assert_int_equal(v[1], 0xFFFFFFFFu);
  assert_int_equal(v[2], 0xFFFFFFFFu);
  assert_int_equal(v[3], mark);
  lf_bench_board_free(b);
}

/* F4 5: the probe's 32-bit stores with PSIZE x16 or x8 are the wrong size:
 * PGPERR, nothing written. */
static void word_stores_with_psize_x16_set_pgperr(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  halt_at_reset(b);
  unlock(b);
  assert_int_equal(erase_sector(b, 2, PSIZE_X32) & 0xF2u, 0);
  uint32_t psizes[] = {PSIZE_X16, PSIZE_X8};
  for (unsigned i = 0; i < 2; i++) {
    assert_int_equal(lf_raw_write_debug32(b, FLASH_SR, 0xF3u), 0x80);
    assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, CR_PG | psizes[i]), 0x80);
    uint32_t w = 0x11223344u;
    lf_raw_write_mem32(b, 0x08008000u, &w, 4);
    uint32_t sr = wait_bsy(b);
    assert_true(sr & SR_PGPERR);
    lf_bench_peek(b, 0x08008000u, &w, 4);
    assert_int_equal(w, 0xFFFFFFFFu);
  }
  lf_bench_board_free(b);
}

static void flash_demo(lf_bench_board *b)
{
  halt_at_reset(b);
  unlock(b);
  size_t len = (lf_demo_f429_bin_len + 3) & ~3u;
  assert_true(len > 64 && len <= 16384); /* fits sector 0 */
  uint8_t *img = malloc(len);
  memset(img, 0xFF, len);
  memcpy(img, lf_demo_f429_bin, lf_demo_f429_bin_len);
  assert_int_equal(erase_sector(b, 0, PSIZE_X32) & 0xF2u, 0);
  program_words(b, 0x08000000u, img, len);
  assert_int_equal(lf_raw_write_debug32(b, FLASH_CR, CR_LOCK), 0x80);
  uint8_t *back = malloc(len);
  for (size_t o = 0; o < len; o += 1024) {
    uint16_t n = (uint16_t)(len - o < 1024 ? len - o : 1024);
    assert_int_equal(lf_raw_read_mem32(b, 0x08000000u + (uint32_t)o, back + o, n), 0x80);
  }
  assert_memory_equal(back, img, len);
  free(back);
  free(img);
}

static uint64_t run_from_reset(lf_bench_board *b)
{
  lf_raw_write_debug32(b, DEMCR, 0);
  lf_raw_write_debug32(b, DHCSR, 0xA05F0000u);
  uint64_t t = now(b); /* the reset happens during the next command */
  lf_raw_write_debug32(b, AIRCR, 0x05FA0004u);
  lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x21}, 2, NULL, 0, NULL, 0); /* leave debug mode */
  lf_bench_led_events_clear(b);
  return t;
}

/* The F429 demo flashed through the controller boots (from the alias at 0,
 * vector PC 0x08000009) and toggles LD1/LD2/LD3 every 100/200/400 ms: SysTick
 * reload 1,599,999 at the 16 MHz HSI = 100 ms per tick. In 1.05 s after the
 * reset: 10 ticks -> LD1 10, LD2 5, LD3 2 toggles; the first at reset + 100 ms
 * (+ the 0.1 ms reset window and a few instructions). */
static void flashed_demo_boots_and_blinks(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  flash_demo(b);
  uint64_t t_reset = run_from_reset(b);
  lf_bench_run(b, 1050 * MS);
  unsigned t[4];
  assert_int_equal(lf_bench_led_toggles(b, t), 17);
  assert_int_equal(t[1], 10);
  assert_int_equal(t[2], 5);
  assert_int_equal(t[3], 2);
  const lf_bench_led_event *ev;
  assert_int_equal(lf_bench_led_events(b, &ev), 17);
  assert_int_equal(ev[0].led, 1);
  assert_true(ev[0].on);
  assert_in_range(ev[0].t_ns - t_reset, 100 * MS, 101 * MS);
  lf_bench_board_free(b);
}

/* F4 11: FPB version 1: a comparator holds COMP[28:2] and REPLACE (01 lower
 * halfword, 10 upper halfword). REPLACE 01 at the reset handler 0x08000008
 * halts the core there (DFSR.BKPT) right after a reset; REPLACE 10 on the
 * word 0x08000040 breaks at 0x08000042 (the demo's "adds r3, #1" after the
 * first SysTick wrap, 100 ms later) and not at the bpl.n at 0x08000040 the
 * core passes a million times before. */
static void fpb_v1_replace_breaks_on_lower_and_upper_halfwords(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  flash_demo(b);
  assert_int_equal(lf_raw_write_debug32(b, FP_CTRL, 0x3u), 0x80); /* KEY | ENABLE */
  assert_int_equal(lf_raw_write_debug32(b, FP_COMP0, 0x40000000u | 0x08000008u | 1u), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, DFSR, 0x1Fu), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, DEMCR, 0x01000000u), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, DHCSR, 0xA05F0001u), 0x80); /* run, debug on */
  assert_int_equal(lf_raw_write_debug32(b, AIRCR, 0x05FA0004u), 0x80);
  uint32_t d = 0, pc = 0, dfsr = 0;
  lf_bench_run(b, 1 * MS);
  assert_int_equal(lf_raw_read_debug32(b, DHCSR, &d), 0x80);
  assert_true(d & (1u << 17));
  assert_int_equal(lf_raw_read_debug32(b, DFSR, &dfsr), 0x80);
  assert_true(dfsr & 2u);
  assert_int_equal(lf_core_reg(lf_bench_core(b), 15), 0x08000008u);

  assert_int_equal(lf_raw_write_debug32(b, FP_COMP0, 0), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, FP_COMP0 + 4, 0x80000000u | 0x08000040u | 1u), 0x80);
  assert_int_equal(lf_raw_read_debug32(b, FP_COMP0 + 4, &d), 0x80);
  assert_int_equal(d, 0x88000041u);
  assert_int_equal(lf_raw_write_debug32(b, DFSR, 0x1Fu), 0x80);
  uint64_t t0 = now(b);
  assert_int_equal(lf_raw_write_debug32(b, DHCSR, 0xA05F0001u), 0x80); /* resume */
  lf_bench_run(b, 150 * MS);
  assert_int_equal(lf_raw_read_debug32(b, DHCSR, &d), 0x80);
  assert_true(d & (1u << 17));
  pc = lf_core_reg(lf_bench_core(b), 15);
  assert_int_equal(pc, 0x08000042u);
  assert_int_equal(lf_core_reg(lf_bench_core(b), 3), 0); /* r3 not yet incremented */
  assert_true(now(b) - t0 >= 100 * MS);
  lf_bench_board_free(b);
}

static void temp_path(char *path)
{
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
}

/* The F429's state file carries its flash into the next F429 board (which
 * then blinks), and is refused by an F767 board with both parts named. */
static void state_file_is_bound_to_the_f429(void **s)
{
  (void)s;
  char path[] = "/tmp/lf-bench-f429-XXXXXX";
  temp_path(path);
  char err[512];
  lf_bench_board *b = connect();
  flash_demo(b);
  assert_int_equal(lf_bench_save_state(b, path, err, sizeof err), 0);
  lf_bench_board_free(b);

  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = BOARD;
  cfg.state_file = path;
  lf_bench_board *b2 = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b2);
  uint8_t head[16];
  lf_bench_peek(b2, 0x08000000u, head, 16);
  assert_memory_equal(head, lf_demo_f429_bin, 16);
  lf_bench_run(b2, 450 * MS);
  unsigned t[4];
  lf_bench_led_toggles(b2, t);
  assert_int_equal(t[1], 4);
  lf_bench_board_free(b2);

  cfg.board = "nucleo-f767zi";
  err[0] = 0;
  assert_null(lf_bench_board_new(&cfg, err, sizeof err));
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "stm32f429zi"));
  assert_non_null(strstr(err, "stm32f767zi"));
  unlink(path);
}

static void write_core_reg(lf_bench_board *b, unsigned sel, uint32_t v)
{
  assert_int_equal(lf_raw_write_debug32(b, 0xE000EDF8u, v), 0x80);           /* DCRDR */
  assert_int_equal(lf_raw_write_debug32(b, 0xE000EDF4u, 0x10000u | sel), 0x80); /* DCRSR write */
}

static uint64_t flushes(lf_bench_board *b) { return lf_core_counters_get(lf_bench_core(b))->code_flushes; }

/* F4 16 #8: OpenOCD streams data into SRAM right after its running loader.
 * Debug writes to bytes no translated block covers leave the core's code
 * alone (no flush, the loop keeps running); a debug write over code that ran
 * drops it, and the core executes the new instruction (BKPT halts it). */
static void debug_writes_next_to_running_code_keep_it_and_writes_over_it_replace_it(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  halt_at_reset(b);
  /* 0x20000000: ldr r1, [r0]; adds r2, #1; b.n 0x20000000 */
  static const uint16_t loop[] = {0x6801, 0x3201, 0xE7FC, 0xBF00};
  assert_int_equal(lf_raw_write_mem32(b, 0x20000000u, loop, sizeof loop), 0x80);
  write_core_reg(b, 0, 0x20000008u); /* the loop reads the word right after itself */
  write_core_reg(b, 2, 0);
  write_core_reg(b, 15, 0x20000000u);
  write_core_reg(b, 16, 0x01000000u);
  assert_int_equal(lf_raw_write_debug32(b, DEMCR, 0), 0x80);
  assert_int_equal(lf_raw_write_debug32(b, DHCSR, 0xA05F0001u), 0x80); /* run */
  lf_bench_run(b, 1 * MS);
  uint64_t f0 = flushes(b);
  for (uint32_t i = 0; i < 50; i++) {
    uint32_t words[4] = {i, i + 1, i + 2, i + 3};
    assert_int_equal(lf_raw_write_mem32(b, 0x20000008u, words, sizeof words), 0x80);
  }
  assert_int_equal(flushes(b), f0);
  uint32_t d = 0;
  assert_int_equal(lf_raw_read_debug32(b, DHCSR, &d), 0x80);
  assert_false(d & (1u << 17));
  assert_int_equal(lf_core_reg(lf_bench_core(b), 1), 49);       /* it read the last data */
  assert_true(lf_core_reg(lf_bench_core(b), 2) > 1000);

  static const uint16_t bkpt[] = {0xBE00, 0xBE00};
  assert_int_equal(lf_raw_write_debug32(b, DFSR, 0x1Fu), 0x80);
  assert_int_equal(lf_raw_write_mem32(b, 0x20000000u, bkpt, sizeof bkpt), 0x80);
  lf_bench_run(b, 1 * MS);
  assert_int_equal(flushes(b), f0 + 1);
  assert_int_equal(lf_raw_read_debug32(b, DHCSR, &d), 0x80);
  assert_true(d & (1u << 17));
  assert_int_equal(lf_raw_read_debug32(b, DFSR, &d), 0x80);
  assert_true(d & 2u);
  assert_int_equal(lf_core_reg(lf_bench_core(b), 15), 0x20000000u);
  lf_bench_board_free(b);
}

/* F4 1.1: pyOCD scans APs until an IDR reads 0 or fails: AP1 must do either. */
static void ap1_idr_reads_zero_or_fails(void **s)
{
  (void)s;
  lf_bench_board *b = connect();
  uint32_t v = 0xDEADBEEFu;
  int st = lf_raw_read_dap(b, 1, 0xFC, &v);
  assert_true(st != 0x80 || v == 0);
  lf_bench_board_free(b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(board_table_lists_both_boards_and_rejects_unknown_names),
    cmocka_unit_test(identify_f429_over_the_probe),
    cmocka_unit_test(m4_cpuid_fpb_dwt_and_mvfr_over_the_ap),
    cmocka_unit_test(rom_table_walk_finds_the_m4_components),
    cmocka_unit_test(erase_times_of_16k_and_128k_sectors),
    cmocka_unit_test(word_stores_with_psize_x16_set_pgperr),
    cmocka_unit_test(flashed_demo_boots_and_blinks),
    cmocka_unit_test(fpb_v1_replace_breaks_on_lower_and_upper_halfwords),
    cmocka_unit_test(state_file_is_bound_to_the_f429),
    cmocka_unit_test(debug_writes_next_to_running_code_keep_it_and_writes_over_it_replace_it),
    cmocka_unit_test(ap1_idr_reads_zero_or_fails),
  };
  return cmocka_run_group_tests_name("board_f429", tests, NULL, NULL);
}
