/* The NUCLEO-H743ZI board through its ST-LINK/V2-1 (raw ST-Link commands):
 * the DPv2 SW-DP and its three access ports as a debugger reads them
 * (stm32-f1-l4-h7-targets.md 1.3: AP0 AHB-AP with the H7's ROM tables, AP1
 * AHB-AP into the system, AP2 APB-AP on the debug APB with DBGMCU at
 * 0xE00E1000), each AP with its own CSW/TAR driven by raw DAP commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/bench.h"
#include "bench/tools/rawstlink.h"

static lf_bench_board *connect_h7(void)
{
  lf_bench_board *b = lf_raw_board_named("nucleo-h743zi", NULL, NULL);
  assert_non_null(b);
  assert_int_equal(lf_raw_enter_swd(b), 0x80);
  assert_int_equal(lf_raw_write_dap(b, 0xFFFF, 0x4, 0x50000000u), 0x80);
  uint32_t ctrl = 0;
  for (int i = 0; i < 10 && (ctrl & 0xA0000000u) != 0xA0000000u; i++)
    lf_raw_read_dap(b, 0xFFFF, 0x4, &ctrl);
  assert_int_equal(ctrl & 0xA0000000u, 0xA0000000u);
  return b;
}

static uint32_t ap_reg(lf_bench_board *b, unsigned ap, unsigned reg)
{
  uint32_t v = 0xDEADBEEFu;
  assert_int_equal(lf_raw_read_dap(b, (uint16_t)ap, (uint16_t)reg, &v), 0x80);
  return v;
}

/* One word through AP ap's own CSW/TAR/DRW; the ST-Link status byte. */
static int ap_mem(lf_bench_board *b, unsigned ap, uint32_t addr, uint32_t *v)
{
  assert_int_equal(lf_raw_write_dap(b, (uint16_t)ap, 0x00, 0x23000002u), 0x80); /* word */
  assert_int_equal(lf_raw_write_dap(b, (uint16_t)ap, 0x04, addr), 0x80);
  return lf_raw_read_dap(b, (uint16_t)ap, 0x0C, v);
}

static uint32_t rd32(lf_bench_board *b, uint32_t addr)
{
  uint32_t v = 0;
  assert_int_equal(lf_raw_read_debug32(b, addr, &v), 0x80);
  return v;
}

/* H7 1.3: DPIDR 0x6BA02477; AP IDRs 0x84770001, 0x84770001, 0x54770002; AP0
 * BASE 0xE00FE003, AP2 BASE 0xE00F0003; no AP 3. */
static void dpv2_and_three_access_ports_1_3(void **s)
{
  (void)s;
  lf_bench_board *b = connect_h7();
  uint32_t v = 0;
  assert_int_equal(lf_raw_read_dap(b, 0xFFFF, 0x0, &v), 0x80);
  assert_int_equal(v, 0x6BA02477u);
  assert_int_equal(ap_reg(b, 0, 0xFC), 0x84770001u);
  assert_int_equal(ap_reg(b, 0, 0xF8), 0xE00FE003u);
  assert_int_equal(ap_reg(b, 1, 0xFC), 0x84770001u);
  assert_int_equal(ap_reg(b, 2, 0xFC), 0x54770002u);
  assert_int_equal(ap_reg(b, 2, 0xF8), 0xE00F0003u);
  assert_int_equal(ap_reg(b, 3, 0xFC), 0);
  /* DBGMCU: 0x5C001000 on the system bus (AP0 and AP1), 0xE00E1000 on the
   * debug APB (AP2): one register set */
  assert_int_equal(rd32(b, 0x5C001000u), 0x10036450u);
  assert_int_equal(ap_mem(b, 1, 0x5C001000u, &v), 0x80);
  assert_int_equal(v, 0x10036450u);
  assert_int_equal(ap_mem(b, 2, 0xE00E1000u, &v), 0x80);
  assert_int_equal(v, 0x10036450u);
  assert_int_equal(lf_raw_write_debug32(b, 0x5C001004u, 0x00600007u), 0x80);
  assert_int_equal(ap_mem(b, 2, 0xE00E1004u, &v), 0x80);
  assert_int_equal(v, 0x00600007u);
  /* AP2's ROM table lists DBGMCU; AP1 does not reach the core's PPB */
  assert_int_equal(ap_mem(b, 2, 0xE00F0000u, &v), 0x80);
  assert_int_equal(v, 0xFFFF1003u);
  assert_true(ap_mem(b, 1, 0xE000ED00u, &v) != 0x80);
  lf_bench_board_free(b);
}

/* H7 1.3: AP0's ROM table is ST's at 0xE00FE000 (part = DEV_ID 0x450),
 * listing the Cortex-M7 table (+0x1000), the ETM (0xE0041000) and the CTI
 * (0xE0043000); the core table lists SCS, DWT, FPB, ITM. */
static void ap0_rom_tables_of_the_h7_1_3(void **s)
{
  (void)s;
  lf_bench_board *b = connect_h7();
  static const struct { uint32_t base, part, pidr1, pidr2; uint32_t e[4]; } t[] = {
    {0xE00FE000u, 0x50, 0x04, 0x0A, {0x00001003u, 0xFFF43003u, 0xFFF45003u, 0}},
    {0xE00FF000u, 0xC7, 0xB4, 0x0B, {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u}},
  };
  for (unsigned i = 0; i < 2; i++) {
    for (unsigned k = 0; k < 4; k++)
      assert_int_equal(rd32(b, t[i].base + 4 * k), t[i].e[k]);
    assert_int_equal(rd32(b, t[i].base + 0xFE0), t[i].part);
    assert_int_equal(rd32(b, t[i].base + 0xFE4), t[i].pidr1);
    assert_int_equal(rd32(b, t[i].base + 0xFE8), t[i].pidr2);
    assert_int_equal(rd32(b, t[i].base + 0xFF4), 0x10);
  }
  assert_int_equal(rd32(b, 0xE0041FE0u), 0x75); /* ETM 0x975 */
  assert_int_equal(rd32(b, 0xE0043FE0u), 0x06); /* CTI 0x906 */
  assert_int_equal(rd32(b, 0xE0041FF4u), 0x90);
  assert_int_equal(rd32(b, 0xE000ED00u), 0x411FC271u); /* CPUID r1p1 */
  lf_bench_board_free(b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(dpv2_and_three_access_ports_1_3),
    cmocka_unit_test(ap0_rom_tables_of_the_h7_1_3),
  };
  return cmocka_run_group_tests_name("board_h7", tests, NULL, NULL);
}
