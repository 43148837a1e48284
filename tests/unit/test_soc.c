/* STM32F767ZI SoC model: memory map, identity, option image, RCC, CRC,
 * IWDG, GPIO, DBGMCU, state file, power loss. Rows cited are
 * stm32f7-target.md sections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bench/params.h"
#include "bench/soc.h"

#define MS 1000000ull
#define RCC 0x40023800u
#define CRC 0x40023000u
#define IWDG 0x40003000u
#define GPIOA 0x40020000u
#define GPIOB 0x40020400u
#define DBGMCU 0xE0042000u

static lf_bench_params P;

static lf_soc *mk(void)
{
  char err[256];
  lf_bench_params_default(&P);
  lf_soc *s = lf_soc_new("stm32f767zi", &P, NULL, err, sizeof err);
  assert_non_null(s);
  return s;
}

static int acc(lf_soc *s, lf_bus_master m, uint32_t a, unsigned size, bool w, uint32_t *v,
               uint64_t t)
{
  return lf_soc_access(s, m, a, size, w, v, &t);
}

static uint32_t rdn(lf_soc *s, uint32_t a, unsigned size, uint64_t t)
{
  uint32_t v = 0xDEADBEEF;
  assert_int_equal(acc(s, LF_BUS_DEBUG, a, size, false, &v, t), LF_BUS_OK);
  return v;
}

static uint32_t rd(lf_soc *s, uint32_t a, uint64_t t) { return rdn(s, a, 4, t); }

static void wrn(lf_soc *s, uint32_t a, unsigned size, uint32_t v, uint64_t t)
{
  assert_int_equal(acc(s, LF_BUS_DEBUG, a, size, true, &v, t), LF_BUS_OK);
}

static void wr(lf_soc *s, uint32_t a, uint32_t v, uint64_t t) { wrn(s, a, 4, v, t); }

static void unknown_part_is_refused_with_message(void **state)
{
  (void)state;
  char err[256] = "";
  lf_bench_params_default(&P);
  assert_null(lf_soc_new("stm32f103c8", &P, NULL, err, sizeof err));
  assert_non_null(strstr(err, "stm32f103c8"));
  assert_non_null(strstr(err, "stm32f429zi")); /* the message lists the known parts */
}

/* 2: the memories the core maps directly. */
static void regions_match_memory_map(void **state)
{
  (void)state;
  lf_soc *s = mk();
  const lf_soc_region *r;
  size_t n = lf_soc_regions(s, &r);
  static const struct { uint32_t base, size; bool w; } want[] = {
    {0x00000000u, 0x4000u, true},    {0x00100000u, 0xF000u, false},
    {0x00200000u, 0x200000u, false}, {0x08000000u, 0x200000u, false},
    {0x1FF00000u, 0xF000u, false},   {0x20000000u, 0x20000u, true},
    {0x20020000u, 0x5C000u, true},   {0x2007C000u, 0x4000u, true},
    {0x40024000u, 0x1000u, true},
  };
  assert_int_equal(n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(r[i].base, want[i].base);
    assert_int_equal(r[i].size, want[i].size);
    assert_int_equal(r[i].writable, want[i].w);
    assert_int_equal(r[i].base % 4096, 0);
    assert_int_equal(r[i].size % 4096, 0);
  }
  assert_ptr_equal(r[2].mem, r[3].mem); /* flash and its ITCM alias share bytes */
  assert_ptr_equal(r[1].mem, r[4].mem);
  lf_soc_free(s);
}

/* 2: unmapped -> bus error; unmodeled peripheral reads 0, ignores writes;
 * little-endian lanes. */
static void unmapped_bus_error_unmodeled_zero_and_le_lanes(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint32_t v = 0;
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x00004000u, 4, false, &v, 0), LF_BUS_ERR);
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x30000000u, 4, false, &v, 0), LF_BUS_ERR);
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x60000000u, 4, false, &v, 0), LF_BUS_ERR);
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x20080000u, 4, false, &v, 0), LF_BUS_ERR);
  assert_int_equal(lf_soc_counters_get(s)->bus_errors, 4);
  wr(s, 0x40004800u, 0x1234u, 0); /* USART3: unmodeled */
  assert_int_equal(rd(s, 0x40004800u, 0), 0);
  wr(s, 0x2007FFFCu, 0x44332211u, 0);
  assert_int_equal(rdn(s, 0x2007FFFCu, 1, 0), 0x11);
  assert_int_equal(rdn(s, 0x2007FFFDu, 1, 0), 0x22);
  assert_int_equal(rdn(s, 0x2007FFFEu, 2, 0), 0x4433);
  wrn(s, 0x2007FFFDu, 1, 0xAA, 0);
  assert_int_equal(rd(s, 0x2007FFFCu, 0), 0x4433AA11u);
  assert_int_equal(rdn(s, 0x2007FFFDu, 2, 0), 0x33AA); /* unaligned RAM read */
  lf_soc_free(s);
}

/* 1, 2: IDCODE, flash size, package, UID (seeded), CPUID. */
static void identity_registers(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(lf_soc_idcode(s), 0x10016451u);
  assert_int_equal(lf_soc_cpuid(s), 0x411FC270u);
  assert_string_equal(lf_soc_part(s), "stm32f767zi");
  assert_int_equal(rd(s, DBGMCU, 0), 0x10016451u);
  wr(s, DBGMCU, 0, 0);
  assert_int_equal(rd(s, DBGMCU, 0), 0x10016451u);
  assert_int_equal(rdn(s, 0x1FF0F442u, 2, 0), 0x0800);
  uint32_t v = 0;
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x1FF0F442u, 2, true, &v, 0), LF_BUS_ERR);
  uint8_t u1[12], u2[12], u3[12];
  assert_int_equal(lf_soc_peek(s, 0x1FF0F420u, u1, 12), 0);
  assert_int_equal(rd(s, 0x1FF0F420u, 0), (uint32_t)u1[0] | (uint32_t)u1[1] << 8 |
                                           (uint32_t)u1[2] << 16 | (uint32_t)u1[3] << 24);
  lf_soc_set_uid(s, 42);
  assert_int_equal(lf_soc_peek(s, 0x1FF0F420u, u2, 12), 0);
  assert_memory_not_equal(u1, u2, 12);
  lf_soc *s2 = mk();
  lf_soc_set_uid(s2, 42);
  assert_int_equal(lf_soc_peek(s2, 0x1FF0F420u, u3, 12), 0);
  assert_memory_equal(u2, u3, 12); /* deterministic per seed */
  lf_soc_free(s2);
  lf_soc_free(s);
}

/* 6.2: option image layout with complements; 3.7: boot from BOOT_ADD0. */
static void option_image_and_boot_address(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, 0x1FFF0000u, 0), 0x5502AAFDu);
  assert_int_equal(rd(s, 0x1FFF0008u, 0), 0x0000FFFFu);
  assert_int_equal(rd(s, 0x1FFF0010u, 0), 0xFF7F0080u); /* ST-BOOTADD factory word */
  assert_int_equal(rd(s, 0x1FFF0018u, 0), 0xFFBF0040u);
  assert_int_equal(rdn(s, 0x1FFF0010u, 2, 0), 0x0080);
  uint32_t v = 0;
  assert_int_equal(acc(s, LF_BUS_DEBUG, 0x1FFF0000u, 4, true, &v, 0), LF_BUS_ERR);
  assert_int_equal(lf_soc_boot_address(s), 0x00200000u);
  uint8_t b[4];
  assert_int_equal(lf_soc_peek(s, 0x1FFF0018u, b, 4), 0);
  assert_int_equal(b[0], 0x40);
  lf_soc_free(s);
}

/* Stand-in system memory: SP = top of SRAM, handlers -> "b ." at +0x40. */
static void system_memory_is_a_parking_loop(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_int_equal(rd(s, 0x00100000u, 0), 0x20080000u);
  assert_int_equal(rd(s, 0x1FF00004u, 0), 0x1FF00041u);
  assert_int_equal(rdn(s, 0x1FF00040u, 2, 0), 0xE7FE);
  assert_int_equal(rdn(s, 0x00100040u, 2, 0), 0xE7FE);
  uint32_t v = 0;
  assert_int_equal(acc(s, LF_BUS_CORE, 0x1FF00000u, 4, true, &v, 0), LF_BUS_ERR);
  lf_soc_free(s);
}

/* 12: DBGMCU_CR survives system reset, power-on reset clears it. */
static void dbgmcu_cr_survives_system_reset(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, DBGMCU + 4, 0x7, 0);
  wr(s, DBGMCU + 8, 0x1800, 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 10);
  assert_int_equal(rd(s, DBGMCU + 4, 10), 0x7);
  assert_int_equal(rd(s, DBGMCU + 8, 10), 0x1800);
  lf_soc_reset(s, LF_SOC_RESET_POWER, 20);
  assert_int_equal(rd(s, DBGMCU + 4, 20), 0);
  lf_soc_free(s);
}

/* 17: OpenOCD reset-init: PLL 160 MHz, 7 WS, PLLRDY after pll_lock_ns, SWS follows SW. */
static void rcc_openocd_reset_init_reaches_160mhz(void **state)
{
  (void)state;
  lf_soc *s = mk();
  uint64_t t = 1000;
  assert_int_equal(rd(s, RCC, t), 0x00000083u);
  assert_int_equal(rd(s, RCC + 4, t), 0x24003010u);
  assert_true(lf_soc_sysclk_hz(s) == 16e6);
  assert_int_equal(rd(s, RCC, t) & (1u << 17), 0); /* HSERDY clear: skip the CSS trick */
  wr(s, RCC + 4, 0x08002808u, t);
  wr(s, 0x40023C00u, 0x107u, t);
  assert_int_equal(rd(s, 0x40023C00u, t), 0x107u);
  wr(s, RCC, rd(s, RCC, t) | 0x01000000u, t);
  uint64_t lock = (uint64_t)P.pll_lock_ns;
  assert_int_equal(rd(s, RCC, t + lock - 1) & (1u << 25), 0);
  wr(s, RCC + 8, 0x00009400u, t + 1);
  wr(s, RCC + 8, 0x00009402u, t + 2); /* SW = PLL before lock */
  assert_int_equal(rd(s, RCC + 8, t + 3) & 0xC, 0);
  assert_true(lf_soc_sysclk_hz(s) == 16e6);
  assert_int_equal(rd(s, RCC, t + lock) & (1u << 25), 1u << 25);
  assert_int_equal(rd(s, RCC + 8, t + lock), 0x0000940Au);
  assert_true(lf_soc_sysclk_hz(s) == 160e6);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, t + lock + 1);
  assert_true(lf_soc_sysclk_hz(s) == 16e6);
  lf_soc_free(s);
}

/* HSE (NUCLEO: 8 MHz MCO, HSEBYP) ready only when params hse_hz > 0. */
static void rcc_hse_ready_depends_on_board(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, RCC, 0x00050083u, 0); /* HSEON | HSEBYP */
  assert_int_equal(rd(s, RCC, 0) & (1u << 17), 1u << 17);
  wr(s, RCC + 8, 1, 0);
  assert_true(lf_soc_sysclk_hz(s) == 8e6);
  lf_soc_free(s);
  lf_bench_params_default(&P);
  P.hse_hz = 0;
  char err[128];
  s = lf_soc_new("stm32f767zi", &P, NULL, err, sizeof err);
  wr(s, RCC, 0x00050083u, 0);
  assert_int_equal(rd(s, RCC, 5 * MS) & (1u << 17), 0);
  wr(s, RCC + 8, 1, 5 * MS);
  assert_int_equal(rd(s, RCC + 8, 5 * MS) & 0xC, 0);
  lf_soc_free(s);
}

/* Reference CRC-32 (reflected, poly 0xEDB88320) of the zlib/PKZIP kind. */
static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

/* CRC unit: clock gating, reset values, REV_IN=word + REV_OUT equals zlib
 * crc32 before the final XOR; no reversal gives CRC-32/MPEG-2. */
static void crc_unit_matches_zlib_crc32(void **state)
{
  (void)state;
  lf_soc *s = mk();
  wr(s, CRC + 0x14, 0x12345678u, 0);
  assert_int_equal(rd(s, CRC + 0x14, 0), 0); /* clock off: reads 0, writes ignored */
  wr(s, RCC + 0x30, 1u << 12, 0);
  assert_int_equal(rd(s, CRC + 0x14, 0), 0x04C11DB7u);
  assert_int_equal(rd(s, CRC, 0), 0xFFFFFFFFu);
  assert_int_equal(rd(s, CRC + 0x10, 0), 0xFFFFFFFFu);
  const uint8_t msg[] = "123456789";
  /* REV_IN = 11 (word), REV_OUT = 1, RESET */
  wr(s, CRC + 8, 0xE1u, 0);
  assert_int_equal(rd(s, CRC + 8, 0), 0xE0u);
  wr(s, CRC, (uint32_t)msg[0] | msg[1] << 8 | msg[2] << 16 | (uint32_t)msg[3] << 24, 0);
  wrn(s, CRC, 2, (uint32_t)msg[4] | msg[5] << 8, 0);
  wrn(s, CRC, 1, msg[6], 0);
  wrn(s, CRC, 1, msg[7], 0);
  wrn(s, CRC, 1, msg[8], 0);
  assert_int_equal(~rd(s, CRC, 0), 0xCBF43926u);
  assert_int_equal(~rd(s, CRC, 0), ref_crc32(msg, 9));
  /* longer buffer of words against the reference */
  uint8_t buf[256];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (uint8_t)(i * 7 + 3);
  wr(s, CRC + 8, 0xE1u, 0);
  for (size_t i = 0; i < sizeof buf; i += 4)
    wr(s, CRC, (uint32_t)buf[i] | buf[i + 1] << 8 | buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24, 0);
  assert_int_equal(~rd(s, CRC, 0), ref_crc32(buf, sizeof buf));
  /* plain MSB-first bytes: CRC-32/MPEG-2 check value */
  wr(s, CRC + 8, 0x01u, 0);
  for (int i = 0; i < 9; i++)
    wrn(s, CRC, 1, msg[i], 0);
  assert_int_equal(rd(s, CRC, 0), 0x0376E6E7u);
  lf_soc_free(s);
}

/* IWDG: 0xCCCC starts, deadline = 4 * 2^PR * (RLR+1) / LSI; 0x5555 unlocks PR/RLR. */
static void iwdg_deadline_follows_keys(void **state)
{
  (void)state;
  lf_soc *s = mk();
  assert_true(lf_soc_watchdog_deadline(s) == UINT64_MAX);
  wr(s, IWDG + 4, 3, 0); /* PR without unlock: ignored */
  assert_int_equal(rd(s, IWDG + 4, 0), 0);
  wr(s, IWDG, 0xCCCC, 10 * MS);
  assert_true(lf_soc_watchdog_deadline(s) == 10 * MS + 512 * MS); /* 4*4096/32 kHz */
  wr(s, IWDG, 0x5555, 20 * MS);
  wr(s, IWDG + 4, 1, 20 * MS);
  wr(s, IWDG + 8, 999, 20 * MS);
  wr(s, IWDG, 0xAAAA, 30 * MS);
  assert_true(lf_soc_watchdog_deadline(s) == 30 * MS + 250 * MS); /* 8*1000/32 kHz */
  assert_int_equal(rd(s, IWDG, 30 * MS), 0);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 40 * MS);
  assert_true(lf_soc_watchdog_deadline(s) == UINT64_MAX);
  lf_soc_free(s);
}

typedef struct led_log { unsigned n, port; uint32_t old_odr, new_odr; uint64_t t; } led_log;

static void on_gpio(void *ctx, unsigned port, uint32_t o, uint32_t n, uint64_t t)
{
  led_log *l = ctx;
  l->n++;
  l->port = port;
  l->old_odr = o;
  l->new_odr = n;
  l->t = t;
}

/* GPIO: reset values (A/B differ), clock gating, BSRR/ODR callback, IDR, LCKR. */
static void gpio_leds_bsrr_and_lock(void **state)
{
  (void)state;
  lf_soc *s = mk();
  led_log l = {0};
  lf_soc_set_gpio_cb(s, on_gpio, &l);
  assert_int_equal(rd(s, GPIOB, 0), 0); /* clock off */
  wr(s, RCC + 0x30, 0x3u, 0);           /* GPIOAEN | GPIOBEN */
  assert_int_equal(rd(s, GPIOA, 0), 0xA8000000u);
  assert_int_equal(rd(s, GPIOA + 0x0C, 0), 0x64000000u);
  assert_int_equal(rd(s, GPIOB, 0), 0x00000280u);
  assert_int_equal(rd(s, GPIOB + 0x08, 0), 0x000000C0u);
  wr(s, GPIOB, 0x10004281u, 0); /* PB0, PB7, PB14 outputs */
  wr(s, GPIOB + 0x18, 1u << 7, 5 * MS);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.port, 1);
  assert_int_equal(l.old_odr, 0);
  assert_int_equal(l.new_odr, 0x80u);
  assert_int_equal(l.t, 5 * MS);
  assert_int_equal(rd(s, GPIOB + 0x14, 5 * MS), 0x80u);
  assert_int_equal(rd(s, GPIOB + 0x10, 5 * MS) & 0x4081u, 0x80u);
  assert_int_equal(rd(s, GPIOB + 0x18, 5 * MS), 0); /* write-only */
  wrn(s, GPIOB + 0x1A, 2, 1u << 7, 6 * MS);           /* BSRR reset half */
  assert_int_equal(l.new_odr, 0);
  wr(s, GPIOB + 0x14, 0x4001u, 7 * MS);
  assert_int_equal(l.n, 3);
  wr(s, GPIOB + 0x14, 0x4001u, 8 * MS); /* no change, no callback */
  assert_int_equal(l.n, 3);
  /* LCKR sequence on PB0 freezes its mode */
  wr(s, GPIOB + 0x1C, 0x10001u, 9 * MS);
  wr(s, GPIOB + 0x1C, 0x00001u, 9 * MS);
  wr(s, GPIOB + 0x1C, 0x10001u, 9 * MS);
  rd(s, GPIOB + 0x1C, 9 * MS);
  assert_int_equal(rd(s, GPIOB + 0x1C, 9 * MS), 0x10001u);
  wr(s, GPIOB, 0x00000000u, 10 * MS);
  assert_int_equal(rd(s, GPIOB, 10 * MS), 0x00000001u);
  lf_soc_reset(s, LF_SOC_RESET_SYSTEM, 11 * MS);
  wr(s, RCC + 0x30, 0x3u, 11 * MS);
  assert_int_equal(rd(s, GPIOB + 0x1C, 11 * MS), 0);
  assert_int_equal(rd(s, GPIOB, 11 * MS), 0x00000280u);
  lf_soc_free(s);
}

static void program_word(lf_soc *s, uint32_t a, uint32_t v, uint64_t t)
{
  wr(s, 0x40023C04u, 0x45670123u, t);
  wr(s, 0x40023C04u, 0xCDEF89ABu, t);
  wr(s, 0x40023C10u, 0x201u, t);
  wr(s, a, v, t);
  wr(s, 0x40023C10u, 0x80000000u, t + MS);
}

/* State file: round trip of flash, OTP, options; strict header checks. */
static void state_file_round_trip_and_errors(void **state)
{
  (void)state;
  char err[256];
  lf_soc *s = mk();
  program_word(s, 0x08001000u, 0x600DF00Du, 0);
  program_word(s, 0x1FF0F010u, 0x0BADCAFEu, 2 * MS);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(lf_soc_save_state(s, f, err, sizeof err), 0);
  long size = ftell(f);
  lf_soc *d = mk();
  rewind(f);
  assert_int_equal(lf_soc_load_state(d, f, err, sizeof err), 0);
  lf_soc_reset(d, LF_SOC_RESET_POWER, 0);
  assert_int_equal(rd(d, 0x08001000u, 0), 0x600DF00Du);
  assert_int_equal(rd(d, 0x1FF0F010u, 0), 0x0BADCAFEu);
  assert_int_equal(rd(d, 0x1FFF0010u, 0), 0xFF7F0080u);
  /* truncated */
  FILE *g = tmpfile();
  rewind(f);
  char buf[4096];
  size_t n = fread(buf, 1, 1000, f);
  fwrite(buf, 1, n, g);
  rewind(g);
  assert_int_equal(lf_soc_load_state(d, g, err, sizeof err), -1);
  assert_non_null(strstr(err, "truncated at byte 1000"));
  fclose(g);
  /* wrong part */
  g = tmpfile();
  fprintf(g, "luaflash-soc-state 1\npart stm32f429zi\nflash 2097152\notp 1040\noptions 8\n\n");
  rewind(g);
  assert_int_equal(lf_soc_load_state(d, g, err, sizeof err), -1);
  assert_non_null(strstr(err, "part stm32f429zi in state file does not match stm32f767zi"));
  fclose(g);
  /* wrong size */
  g = tmpfile();
  fprintf(g, "luaflash-soc-state 1\npart stm32f767zi\nflash 1048576\n");
  rewind(g);
  assert_int_equal(lf_soc_load_state(d, g, err, sizeof err), -1);
  assert_non_null(strstr(err, "flash size 1048576"));
  fclose(g);
  /* trailing data */
  fseek(f, 0, SEEK_END);
  fputc(0, f);
  rewind(f);
  assert_int_equal(lf_soc_load_state(d, f, err, sizeof err), -1);
  assert_non_null(strstr(err, "trailing data"));
  assert_true(size > 2 * 1024 * 1024);
  fclose(f);
  lf_soc_free(d);
  lf_soc_free(s);
}

/* Power loss: RAM becomes deterministic garbage; power-on reset restores
 * register reset values. */
static void power_loss_garbles_ram_and_power_reset_restores_registers(void **state)
{
  (void)state;
  lf_soc *s = mk();
  lf_soc *s2 = mk();
  wr(s, 0x20000000u, 0x11223344u, 0);
  wr(s, RCC + 0x30, 0x3u, 0);
  wr(s, DBGMCU + 4, 7, 0);
  lf_soc_power_loss(s, 1 * MS);
  lf_soc_power_loss(s2, 5 * MS);
  uint8_t a[32], b[32];
  assert_int_equal(lf_soc_peek(s, 0x20000000u, a, 32), 0);
  assert_int_equal(lf_soc_peek(s2, 0x20000000u, b, 32), 0);
  assert_memory_equal(a, b, 32);
  assert_int_not_equal(rd(s, 0x20000000u, 2 * MS), 0x11223344u);
  lf_soc_reset(s, LF_SOC_RESET_POWER, 10 * MS);
  assert_int_equal(rd(s, RCC + 0x30, 10 * MS), 0x00100000u);
  assert_int_equal(rd(s, DBGMCU + 4, 10 * MS), 0);
  assert_int_equal(rd(s, 0x40023C10u, 10 * MS), 0x80000000u);
  uint8_t x[4];
  assert_int_equal(lf_soc_peek(s, 0x30000000u, x, 4), -1);
  lf_soc_free(s2);
  lf_soc_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(unknown_part_is_refused_with_message),
    cmocka_unit_test(regions_match_memory_map),
    cmocka_unit_test(unmapped_bus_error_unmodeled_zero_and_le_lanes),
    cmocka_unit_test(identity_registers),
    cmocka_unit_test(option_image_and_boot_address),
    cmocka_unit_test(system_memory_is_a_parking_loop),
    cmocka_unit_test(dbgmcu_cr_survives_system_reset),
    cmocka_unit_test(rcc_openocd_reset_init_reaches_160mhz),
    cmocka_unit_test(rcc_hse_ready_depends_on_board),
    cmocka_unit_test(crc_unit_matches_zlib_crc32),
    cmocka_unit_test(iwdg_deadline_follows_keys),
    cmocka_unit_test(gpio_leds_bsrr_and_lock),
    cmocka_unit_test(state_file_round_trip_and_errors),
    cmocka_unit_test(power_loss_garbles_ram_and_power_reset_restores_registers),
  };
  return cmocka_run_group_tests_name("soc", tests, NULL, NULL);
}
