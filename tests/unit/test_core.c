/* Cortex-M7 core model (src/bench/cortexm.c) against a fake SoC: a 64 KiB
 * flash at 0x08000000 with its ITCM alias at 0x00200000, 64 KiB RAM at
 * 0x20000000, and a toy bus (flash controller, GPIOB, a slow register).
 * References: stm32f7-target.md (F7 n.m), ARMv7-M for SysTick. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/bench.h"
#include "bench/cortexm.h"

#define FLASH_BASE 0x08000000u
#define ALIAS_BASE 0x00200000u
#define RAM_BASE 0x20000000u
#define MEM_SIZE 0x10000u
#define CODE 0x20000100u /* test code in RAM */
#define FC_SR 0x40023C0Cu
#define FC_CR 0x40023C10u
#define SLOW_REG 0x40000000u
#define RCC_AHB1ENR 0x40023830u
#define GPIOB_MODER 0x40020400u
#define GPIOB_ODR 0x40020414u
#define PROG_NS 16000u   /* toy flash program time */
#define SLOW_NS 1000u    /* toy slow register stall */

#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define DFSR 0xE000ED30u
#define AIRCR 0xE000ED0Cu

typedef struct ev { uint64_t t; uint32_t odr; } ev;

typedef struct fake {
  uint8_t flash[MEM_SIZE], ram[MEM_SIZE];
  lf_soc_region regions[3];
  lf_bench_params p;
  lf_core *core;
  double hz;
  uint32_t boot;
  uint64_t t;
  uint32_t fcr, rcc, moder, odr;
  uint64_t busy_until;
  ev evs[256];
  size_t nev;
  unsigned sysresets;
} fake;

static int fake_bus(void *ctx, lf_bus_master m, uint32_t a, unsigned size, bool write,
                    uint32_t *v, uint64_t *t)
{
  fake *f = ctx;
  (void)m;
  if (a >= FLASH_BASE && a - FLASH_BASE < MEM_SIZE) {
    uint8_t *p = f->flash + (a - FLASH_BASE);
    if (!write) {
      *v = 0;
      memcpy(v, p, size);
      return LF_BUS_OK;
    }
    if (!(f->fcr & 1u))
      return LF_BUS_ERR; /* toy rule: PG must be set */
    for (unsigned i = 0; i < size; i++)
      p[i] &= (uint8_t)(*v >> (8 * i)); /* NOR: bits only go 1 -> 0 */
    f->busy_until = *t + PROG_NS;
    return LF_BUS_OK;
  }
  switch (a) {
  case FC_CR: if (write) f->fcr = *v; else *v = f->fcr; return LF_BUS_OK;
  case FC_SR:
    if (write) return LF_BUS_OK;
    if (*t < f->busy_until)
      *t = f->busy_until; /* busy flag: the read waits until the operation ends */
    *v = 0;
    return LF_BUS_OK;
  case SLOW_REG: if (!write) { *t += SLOW_NS; *v = 0x5A; } return LF_BUS_OK;
  case RCC_AHB1ENR: if (write) f->rcc = *v; else *v = f->rcc; return LF_BUS_OK;
  case GPIOB_MODER: if (write) f->moder = *v; else *v = f->moder; return LF_BUS_OK;
  case GPIOB_ODR:
    if (!write) { *v = f->odr; return LF_BUS_OK; }
    if (*v != f->odr && f->nev < sizeof f->evs / sizeof f->evs[0])
      f->evs[f->nev++] = (ev){*t, *v};
    f->odr = *v;
    return LF_BUS_OK;
  default: return LF_BUS_ERR;
  }
}

static double fake_hz(void *ctx) { return ((fake *)ctx)->hz; }
static uint32_t fake_boot(void *ctx) { return ((fake *)ctx)->boot; }
static void fake_sysreset(void *ctx, uint64_t t)
{
  fake *f = ctx;
  f->sysresets++;
  lf_core_reset(f->core, LF_CORE_RESET_SYSTEM, t);
}

static void put32(uint8_t *m, uint32_t v) { for (int i = 0; i < 4; i++) m[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get32(const uint8_t *m) { return (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24; }

static uint8_t *mem_at(fake *f, uint32_t a)
{
  if (a >= RAM_BASE && a - RAM_BASE < MEM_SIZE) return f->ram + (a - RAM_BASE);
  if (a >= FLASH_BASE && a - FLASH_BASE < MEM_SIZE) return f->flash + (a - FLASH_BASE);
  return NULL;
}

/* Host (debugger-side) code load: writes then invalidates like the board. */
static void load16(fake *f, uint32_t a, const uint16_t *hw, size_t n)
{
  uint8_t *m = mem_at(f, a);
  for (size_t i = 0; i < n; i++) {
    m[2 * i] = (uint8_t)hw[i];
    m[2 * i + 1] = (uint8_t)(hw[i] >> 8);
  }
  lf_core_invalidate_code(f->core, a, (uint32_t)(2 * n));
}

static uint32_t dbg_rd(fake *f, uint32_t a)
{
  uint32_t v = 0;
  assert_int_equal(lf_core_ppb_access(f->core, LF_BUS_DEBUG, a, 4, false, &v, &f->t), LF_BUS_OK);
  return v;
}

static void dbg_wr(fake *f, uint32_t a, uint32_t v)
{
  assert_int_equal(lf_core_ppb_access(f->core, LF_BUS_DEBUG, a, 4, true, &v, &f->t), LF_BUS_OK);
}

static uint32_t reg_rd(fake *f, unsigned sel)
{
  dbg_wr(f, DCRSR, sel);
  assert_true(dbg_rd(f, DHCSR) & (1u << 16)); /* S_REGRDY (F7 11.2) */
  return dbg_rd(f, DCRDR);
}

static void reg_wr(fake *f, unsigned sel, uint32_t v)
{
  dbg_wr(f, DCRDR, v);
  dbg_wr(f, DCRSR, sel | (1u << 16));
}

static void run_for(fake *f, uint64_t ns)
{
  f->t += ns;
  lf_core_catch_up(f->core, f->t);
}

static uint32_t setup_cpuid = 0x411FC270u; /* Cortex-M7 r1p0 (the F767's) */

static int setup(void **state)
{
  fake *f = calloc(1, sizeof *f);
  assert_non_null(f);
  lf_bench_params_default(&f->p);
  f->hz = 16e6;
  f->boot = ALIAS_BASE;
  memset(f->flash, 0xFF, sizeof f->flash);
  /* vector table: SP top of RAM, reset -> an endless loop at 0x08000100 */
  put32(f->flash, RAM_BASE + MEM_SIZE);
  put32(f->flash + 4, FLASH_BASE + 0x101);
  f->flash[0x100] = 0xFE; f->flash[0x101] = 0xE7; /* b . */
  f->regions[0] = (lf_soc_region){"flash-itcm", ALIAS_BASE, MEM_SIZE, f->flash, false, false};
  f->regions[1] = (lf_soc_region){"flash", FLASH_BASE, MEM_SIZE, f->flash, false, false};
  f->regions[2] = (lf_soc_region){"ram", RAM_BASE, MEM_SIZE, f->ram, true, false};
  lf_core_env env = {
    .bus = {fake_bus, f}, .regions = f->regions, .nregions = 3, .cpuid = setup_cpuid,
    .sysclk_hz = fake_hz, .boot_address = fake_boot, .system_reset = fake_sysreset, .ctx = f,
  };
  char err[256];
  f->core = lf_core_new(&env, &f->p, err, sizeof err);
  if (!f->core)
    fail_msg("%s", err);
  lf_core_reset(f->core, LF_CORE_RESET_POWER, 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fake *f = *state;
  lf_core_free(f->core);
  free(f);
  return 0;
}

/* Connect: debug on, vector catch, system reset, wait out the reset window. */
static void halt_at_reset(fake *f)
{
  dbg_wr(f, DHCSR, 0xA05F0001u);
  dbg_wr(f, DEMCR, 1u);
  lf_core_reset(f->core, LF_CORE_RESET_SYSTEM, f->t);
  run_for(f, (uint64_t)f->p.core_reset_ns + 1000);
  assert_true(lf_core_halted(f->core));
}

static void start_at(fake *f, uint32_t pc)
{
  reg_wr(f, 15, pc);
  dbg_wr(f, DHCSR, 0xA05F0001u); /* C_HALT = 0: resume */
}

/* F7 13 #13: SP/PC from the boot address (ITCM alias of flash). */
static void reset_fetches_sp_and_pc_from_boot_address(void **state)
{
  fake *f = *state;
  assert_int_equal(lf_core_reg(f->core, 17), RAM_BASE + MEM_SIZE);
  assert_int_equal(lf_core_reg(f->core, 13), RAM_BASE + MEM_SIZE);
  assert_int_equal(lf_core_reg(f->core, 15), FLASH_BASE + 0x100);
  assert_int_equal(lf_core_reg(f->core, 16), 0x01000000u);
  assert_int_equal(lf_core_reg(f->core, 14), 0xFFFFFFFFu);
  /* reset window: no instruction before core_reset_ns */
  run_for(f, (uint64_t)f->p.core_reset_ns - 1);
  assert_int_equal(lf_core_counters_get(f->core)->instructions, 0);
  run_for(f, 10000);
  /* ~10 us = 160 cycles at 16 MHz of `b .`, 1 + P cycles each (R7 table) */
  double per = 1 + f->p.core_branch_refill;
  uint64_t n = lf_core_counters_get(f->core)->instructions;
  assert_true(n + 2 >= (uint64_t)(160 / per) && n <= (uint64_t)(160 / per) + 2);
  assert_false(lf_core_halted(f->core));
}

/* F7 11.4 VC_CORERESET + F7 13 #1: halts at the reset vector, DFSR.VCATCH. */
static void vector_catch_halts_at_reset_vector(void **state)
{
  fake *f = *state;
  halt_at_reset(f);
  uint32_t dh = dbg_rd(f, DHCSR);
  assert_int_equal(reg_rd(f, 15), FLASH_BASE + 0x100);
  assert_int_equal(dbg_rd(f, DFSR) & 8u, 8u);
  assert_true(dh & (1u << 17));               /* S_HALT */
  assert_true(dh & (1u << 25));               /* S_RESET_ST, sticky */
  assert_false(dbg_rd(f, DHCSR) & (1u << 25)); /* cleared by a read */
  assert_int_equal(lf_core_counters_get(f->core)->instructions, 0);
  dbg_wr(f, DFSR, 8u); /* write-1-to-clear (F7 11.5) */
  assert_int_equal(dbg_rd(f, DFSR), 0);
}

/* F7 11.2: halt needs DBGKEY and C_DEBUGEN; step runs exactly one instruction. */
static void dhcsr_halt_step_resume(void **state)
{
  fake *f = *state;
  static const uint16_t loop[] = {0x3001, 0xE7FD}; /* adds r0,#1; b loop */
  halt_at_reset(f);
  load16(f, CODE, loop, 2);
  reg_wr(f, 0, 0);
  start_at(f, CODE);
  run_for(f, 100000);
  dbg_wr(f, DHCSR, 0x00000003u); /* no key: ignored */
  run_for(f, 1000);
  assert_false(lf_core_halted(f->core));
  dbg_wr(f, DHCSR, 0xA05F0003u);
  assert_true(lf_core_halted(f->core));
  assert_true(dbg_rd(f, DFSR) & 1u); /* HALTED */
  uint32_t r0 = reg_rd(f, 0), pc = reg_rd(f, 15);
  uint64_t n0 = lf_core_counters_get(f->core)->instructions;
  /* 100 us at 16 MHz = 1600 cycles; one loop = adds 1 + b (1 + P) cycles
   * (R7 table): ~1600 / (2 + P) adds, within 10 % */
  double iters = 1600 / (2 + f->p.core_branch_refill);
  assert_true(r0 > 0.9 * iters && r0 < 1.1 * iters);
  run_for(f, 1000000);
  assert_int_equal(reg_rd(f, 0), r0); /* halted: nothing runs */
  dbg_wr(f, DHCSR, 0xA05F0005u);       /* step */
  assert_true(lf_core_halted(f->core));
  assert_int_equal(lf_core_counters_get(f->core)->instructions, n0 + 1);
  assert_int_equal(lf_core_counters_get(f->core)->steps, 1);
  uint32_t pc2 = reg_rd(f, 15);
  assert_true(pc2 == (pc == CODE ? CODE + 2 : CODE));
  assert_int_equal(reg_rd(f, 0), pc == CODE ? r0 + 1 : r0);
  dbg_wr(f, DHCSR, 0xA05F0001u);
  run_for(f, 1000);
  assert_false(lf_core_halted(f->core));
  dbg_wr(f, DCRSR, 0);
  assert_false(dbg_rd(f, DHCSR) & (1u << 16)); /* S_REGRDY stays 0 while running */
}

/* F7 11.3: REGSEL numbering, special-register packing, FPU registers. */
static void dcrsr_reads_and_writes_every_register_class(void **state)
{
  fake *f = *state;
  halt_at_reset(f);
  reg_wr(f, 5, 0xCAFEF00Du);
  assert_int_equal(reg_rd(f, 5), 0xCAFEF00Du);
  reg_wr(f, 12, 0x12u);
  assert_int_equal(reg_rd(f, 12), 0x12u);
  reg_wr(f, 14, 0x08000201u);
  assert_int_equal(reg_rd(f, 14), 0x08000201u);
  reg_wr(f, 16, 0x81000000u); /* N flag + T */
  assert_int_equal(reg_rd(f, 16), 0x81000000u);
  reg_wr(f, 17, 0x2000F000u);
  assert_int_equal(reg_rd(f, 17), 0x2000F000u);
  assert_int_equal(reg_rd(f, 13), 0x2000F000u); /* SP = MSP in thread mode, SPSEL 0 */
  reg_wr(f, 18, 0x2000E000u);
  assert_int_equal(reg_rd(f, 18), 0x2000E000u);
  reg_wr(f, 20, 0x00014001u); /* FAULTMASK 1, BASEPRI 0x40, PRIMASK 1 */
  assert_int_equal(reg_rd(f, 20), 0x00014001u);
  reg_wr(f, 0x21, 0x03C00000u);
  assert_int_equal(reg_rd(f, 0x21), 0x03C00000u);
  reg_wr(f, 0x47, 0x3F800000u); /* S7 = 1.0f */
  assert_int_equal(reg_rd(f, 0x47), 0x3F800000u);
  assert_int_equal(reg_rd(f, 0x46), 0);
}

/* F7 11.5: BKPT halts with DFSR.BKPT, PC at the BKPT. */
static void bkpt_halts_with_dfsr_bkpt(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x2001, 0xBE00}; /* movs r0,#1; bkpt */
  halt_at_reset(f);
  load16(f, CODE, code, 2);
  dbg_wr(f, DFSR, 0x1F);
  start_at(f, CODE);
  run_for(f, 10000);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(dbg_rd(f, DFSR), 2u);
  assert_int_equal(reg_rd(f, 15), CODE + 2);
  assert_int_equal(reg_rd(f, 0), 1);
  assert_int_equal(lf_core_counters_get(f->core)->instructions, 1); /* BKPT does not retire */
}

/* DESIGN.md run_function: args in R0-R3, LR -> BKPT, result in R0. */
static void run_function_returns_through_bkpt(void **state)
{
  fake *f = *state;
  static const uint16_t fn[] = {0x1840, 0x1880, 0x18C0, 0x4770, 0xBE00};
  halt_at_reset(f);
  load16(f, CODE, fn, 5);
  for (unsigned i = 0; i < 4; i++)
    reg_wr(f, i, i + 1);
  reg_wr(f, 13, RAM_BASE + 0x8000);
  reg_wr(f, 14, (CODE + 8) | 1u);
  reg_wr(f, 16, 0x01000000u);
  start_at(f, CODE);
  run_for(f, 5000);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(reg_rd(f, 0), 10);
  assert_int_equal(reg_rd(f, 15), CODE + 8);
  assert_true(dbg_rd(f, DFSR) & 2u);
}

static void straight_line(fake *f, uint32_t at, unsigned n)
{
  uint16_t *c = calloc(n + 1, sizeof *c);
  for (unsigned i = 0; i < n; i++)
    c[i] = 0x3001; /* adds r0,#1 */
  c[n] = 0xBE00;
  load16(f, at, c, n + 1);
  free(c);
}

/* 100 data-processing instructions (1 cycle each in the cycle model, or
 * core_cpi=1 in the flat one) at 16 MHz (F7 9.2 HSI) = 6250 ns. */
static void instructions_cost_cpi_cycles_at_sysclk(void **state)
{
  fake *f = *state;
  halt_at_reset(f);
  straight_line(f, CODE, 100);
  start_at(f, CODE);
  run_for(f, 1000000);
  const lf_core_counters *k = lf_core_counters_get(f->core);
  assert_int_equal(k->instructions, 100);
  assert_int_equal(k->cycles, 100);
  assert_int_equal(k->run_ns, 6250);
  /* same code at 32 MHz, the flat model (core_cycle_model 0) at CPI 2:
   * 100 x 2 / 32 MHz = 6250 ns again, 200 cycles */
  f->hz = 32e6;
  f->p.core_cycle_model = 0;
  f->p.core_cpi = 2;
  start_at(f, CODE);
  run_for(f, 1000000);
  assert_int_equal(k->instructions, 200);
  assert_int_equal(k->cycles, 300);
  assert_int_equal(k->run_ns, 12500);
}

/* Calibration R7 (issue 18): cycles per instruction class, Cortex-M4 table
 * (the M7 uses it as an upper bound). From the table in cortexm.c:
 *   ldr r2,[r1]  2 | ldr r3,[r1]  1 (after a load) | str r2,[r1]  1 (after a
 *   load) | str r3,[r1]  2 (nothing pipelines after a store) | muls  1 |
 *   movs  1 | push {r0,r1}  1+2 | pop {r0,r1}  1+2 | subs  1 | bne not
 *   taken  1 = 16 cycles for 10 instructions (the BKPT does not retire). */
static void cycles_per_instruction_class_r7(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x680A, 0x680B, 0x600A, 0x600B, 0x4348, 0x2001,
                                  0xB403, 0xBC03, 0x3801, 0xD1FD, 0xBE00};
  halt_at_reset(f);
  load16(f, CODE, code, 11);
  reg_wr(f, 1, RAM_BASE + 0x800);
  start_at(f, CODE);
  run_for(f, 1000000);
  const lf_core_counters *k = lf_core_counters_get(f->core);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(k->instructions, 10);
  assert_int_equal(k->cycles, 2 + 1 + 1 + 2 + 1 + 1 + 3 + 3 + 1 + 1);
  assert_int_equal(k->run_ns, 16 * 1000 / 16); /* 16 cycles at 16 MHz */
}

/* The same on a Cortex-M0+ (RP2040's, CPUID 0x410CC601; Cortex-M0+ TRM):
 * loads and stores 2 each (no pipelining), muls 1 (single-cycle
 * multiplier), movs 1, push/pop {r0,r1} 1+2 each, subs 1, bne not taken 1
 * = 18 cycles; a loop of 3 with the taken bne at core_m0p_branch_taken. */
static int setup_m0p(void **state)
{
  setup_cpuid = 0x410CC601u;
  int r = setup(state);
  setup_cpuid = 0x411FC270u;
  return r;
}

static void cycles_per_instruction_class_m0p_r7(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x680A, 0x680B, 0x600A, 0x600B, 0x4348, 0x2001,
                                  0xB403, 0xBC03, 0x3801, 0xD1FD, 0xBE00};
  halt_at_reset(f);
  load16(f, CODE, code, 11);
  reg_wr(f, 1, RAM_BASE + 0x800);
  start_at(f, CODE);
  run_for(f, 1000000);
  const lf_core_counters *k = lf_core_counters_get(f->core);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(k->instructions, 10);
  assert_int_equal(k->cycles, 2 + 2 + 2 + 2 + 1 + 1 + 3 + 3 + 1 + 1);
  /* movs r0,#3 | loop: subs r0,#1 | bne loop: 1 + 3 x 2 + 2 x (taken - 1) */
  static const uint16_t loop[] = {0x2003, 0x3801, 0xD1FD, 0xBE00};
  load16(f, CODE + 0x40, loop, 4);
  uint64_t c0 = k->cycles, n0 = k->instructions;
  start_at(f, CODE + 0x40);
  run_for(f, 1000000);
  assert_int_equal(k->instructions - n0, 7);
  assert_int_equal(k->cycles - c0, (uint64_t)(7 + 2 * (f->p.core_m0p_branch_taken - 1)));
}

/* A taken conditional branch costs 1 + P (P = core_branch_refill), charged
 * when the next block is not the fall-through; not taken 1:
 *   movs r0,#3 | loop: subs r0,#1 | bne loop  ->  1 + 3 x (1 + 1) + 2 x P. */
static void taken_branch_costs_refill_r7(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x2003, 0x3801, 0xD1FD, 0xBE00};
  halt_at_reset(f);
  load16(f, CODE, code, 4);
  start_at(f, CODE);
  run_for(f, 1000000);
  const lf_core_counters *k = lf_core_counters_get(f->core);
  assert_int_equal(reg_rd(f, 0), 0);
  assert_int_equal(k->instructions, 7);
  double P = f->p.core_branch_refill;
  assert_int_equal(k->cycles, (uint64_t)(7 + 2 * P));
}

/* bus.h: a slave's stall moves the core's time. */
static void bus_stall_advances_core_time(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x680A, 0x680A, 0x680A, 0xBE00}; /* 3x ldr r2,[r1] */
  halt_at_reset(f);
  load16(f, CODE, code, 4);
  reg_wr(f, 1, SLOW_REG);
  start_at(f, CODE);
  run_for(f, 1000000);
  const lf_core_counters *k = lf_core_counters_get(f->core);
  assert_int_equal(k->instructions, 3);
  /* The block (3 loads + BKPT) is charged when it starts: LDR 2, two
   * pipelined LDRs 1 + 1, BKPT 1 (R7 table) = 5 cycles = 312.5 ns (rounded to
   * 313), then 3 stalls. The BKPT does not retire (instructions = 3) but its
   * slot is not refunded once a stall has moved the core's time (time never
   * goes back). */
  assert_int_equal(k->run_ns, 313 + 3 * SLOW_NS);
  assert_int_equal(reg_rd(f, 2), 0x5A);
}

/* ARMv7-M B3.3 SysTick: COUNTFLAG every RVR+1 processor cycles. */
static void systick_countflag_polling_takes_rvr_plus_one_cycles(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x6041, 0x2200, 0x6082, 0x2205, 0x6002, 0x6802,
                                  0x03D2, 0xD5FC, 0x3B01, 0xD1FA, 0xBE00};
  halt_at_reset(f);
  load16(f, CODE, code, 11);
  reg_wr(f, 0, 0xE000E010u);
  reg_wr(f, 1, 999);
  reg_wr(f, 3, 10);
  start_at(f, CODE);
  run_for(f, 10000000);
  assert_true(lf_core_halted(f->core));
  uint64_t ns = lf_core_counters_get(f->core)->run_ns;
  /* 10 periods of 1000 cycles at 62.5 ns, plus setup (5 instructions, at
   * most 2 cycles each: 10), at most one poll (ldr 2 + lsls 1 + bpl 1 + P)
   * and the exit (subs 1 + bne 1): R7 table, P = 2 -> at most 20 cycles */
  assert_true(ns >= 625000);
  assert_true(ns <= 625000 + (uint64_t)((10 + 4 + f->p.core_branch_refill + 2) * 62.5));
}

/* F7 16 #4: a store over non-erased flash leaves old AND new, and the very
 * next instruction reads that (not Unicorn's raw store). */
static void flash_store_reads_back_nor_result_immediately(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x2201, 0x6102, 0x6021, 0x6822, 0xBE00};
  halt_at_reset(f);
  put32(f->flash + 0x1000, 0xFFFF00FFu);
  load16(f, CODE, code, 5);
  reg_wr(f, 0, 0x40023C00u);
  reg_wr(f, 1, 0x12345678u);
  reg_wr(f, 4, FLASH_BASE + 0x1000);
  start_at(f, CODE);
  run_for(f, 100000);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(reg_rd(f, 2), 0x12340078u);
  assert_int_equal(get32(f->flash + 0x1000), 0x12340078u);
  /* without PG the toy controller answers a bus error: the core faults */
  static const uint16_t code2[] = {0x6021, 0xBE00};
  f->fcr = 0;
  load16(f, CODE, code2, 2);
  start_at(f, CODE);
  run_for(f, 100000);
  assert_true(lf_core_halted(f->core));
  assert_true(dbg_rd(f, DFSR) & 8u);
  assert_int_equal(reg_rd(f, 15), CODE); /* stopped at the store */
  assert_int_equal(lf_core_counters_get(f->core)->faults, 1);
  assert_int_equal(get32(f->flash + 0x1000), 0x12340078u);
}

/* cortexm.h lf_core_invalidate_code: rewritten code runs the new bytes. */
static void invalidate_code_runs_rewritten_ram_code(void **state)
{
  fake *f = *state;
  static const uint16_t one[] = {0x2001, 0xBE00}, two[] = {0x2002, 0xBE00};
  halt_at_reset(f);
  load16(f, CODE, one, 2);
  start_at(f, CODE);
  run_for(f, 10000);
  assert_int_equal(reg_rd(f, 0), 1);
  uint64_t fl = lf_core_counters_get(f->core)->code_flushes;
  load16(f, CODE, two, 2);
  start_at(f, CODE);
  run_for(f, 10000);
  assert_int_equal(reg_rd(f, 0), 2);
  assert_int_equal(lf_core_counters_get(f->core)->code_flushes, fl + 1);
}

/* Faults (UDF) halt with DFSR.VCATCH as if VC_HARDERR (cortexm.h). */
static void undefined_instruction_halts_as_vcatch(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0x2001, 0xDE00};
  halt_at_reset(f);
  load16(f, CODE, code, 2);
  dbg_wr(f, DFSR, 0x1F);
  start_at(f, CODE);
  run_for(f, 10000);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(dbg_rd(f, DFSR), 8u);
  assert_int_equal(reg_rd(f, 15), CODE + 2);
  assert_int_equal(lf_core_counters_get(f->core)->faults, 1);
}

/* F7 11.7: an enabled FPB comparator halts before the instruction. */
static void fpb_comparator_halts_before_instruction(void **state)
{
  fake *f = *state;
  halt_at_reset(f);
  straight_line(f, CODE, 20);
  reg_wr(f, 0, 0);
  dbg_wr(f, 0xE0002008u, (CODE + 14) | 1u); /* FP_COMP0 */
  dbg_wr(f, 0xE0002000u, 1u);               /* no KEY: ignored */
  assert_int_equal(dbg_rd(f, 0xE0002000u), 0x10000181u & ~1u);
  dbg_wr(f, 0xE0002000u, 3u);
  assert_int_equal(dbg_rd(f, 0xE0002000u), 0x10000181u);
  dbg_wr(f, DFSR, 0x1F);
  start_at(f, CODE);
  run_for(f, 10000);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(reg_rd(f, 15), CODE + 14);
  assert_int_equal(reg_rd(f, 0), 7);
  assert_int_equal(dbg_rd(f, DFSR), 2u);
}

/* F7 11.6 + 17: SYSRESETREQ goes to the system; VECTRESET resets the core only
 * and honours vector catch. */
static void aircr_resets(void **state)
{
  fake *f = *state;
  halt_at_reset(f);
  assert_int_equal(dbg_rd(f, AIRCR) & 0xFFFF0000u, 0xFA050000u);
  reg_wr(f, 0, 0x1234);
  dbg_wr(f, AIRCR, 0x00000004u); /* no key */
  assert_int_equal(f->sysresets, 0);
  dbg_wr(f, AIRCR, 0x05FA0001u);
  assert_int_equal(f->sysresets, 0);
  run_for(f, (uint64_t)f->p.core_reset_ns + 1000);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(reg_rd(f, 0), 0);
  assert_int_equal(reg_rd(f, 15), FLASH_BASE + 0x100);
  dbg_wr(f, AIRCR, 0x05FA0004u);
  assert_int_equal(f->sysresets, 1);
  /* firmware-initiated: str r1,[r0] to AIRCR from running code */
  static const uint16_t code[] = {0x6001, 0xE7FE};
  run_for(f, (uint64_t)f->p.core_reset_ns + 1000);
  load16(f, CODE, code, 2);
  reg_wr(f, 0, AIRCR);
  reg_wr(f, 1, 0x05FA0004u);
  start_at(f, CODE);
  run_for(f, 10000);
  assert_int_equal(f->sysresets, 2);
}

/* F7 13 #1/#2: debug registers writable under NRST; release = system reset
 * that honours vector catch. */
static void connect_under_reset(void **state)
{
  fake *f = *state;
  run_for(f, 1000000);
  assert_false(lf_core_halted(f->core));
  lf_core_set_nrst(f->core, true, f->t);
  run_for(f, 1000);
  uint64_t n = lf_core_counters_get(f->core)->instructions;
  dbg_wr(f, DEMCR, 0x01000001u);
  dbg_wr(f, DHCSR, 0xA05F0001u);
  assert_int_equal(dbg_rd(f, DEMCR), 0x01000001u);
  assert_true(dbg_rd(f, DHCSR) & (1u << 25));
  assert_true(dbg_rd(f, DHCSR) & (1u << 25)); /* still held: stays set */
  run_for(f, 1000000);
  assert_int_equal(lf_core_counters_get(f->core)->instructions, n);
  lf_core_set_nrst(f->core, false, f->t);
  run_for(f, (uint64_t)f->p.core_reset_ns + 1000);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(reg_rd(f, 15), FLASH_BASE + 0x100);
  assert_true(dbg_rd(f, DFSR) & 8u);
}

/* WFI/WFE without interrupts: the core sleeps (S_SLEEP) until a debug halt. */
static void wfi_sleeps_until_halt(void **state)
{
  fake *f = *state;
  static const uint16_t code[] = {0xBF30, 0x2007, 0xBE00};
  halt_at_reset(f);
  load16(f, CODE, code, 3);
  start_at(f, CODE);
  run_for(f, 1000000);
  assert_false(lf_core_halted(f->core));
  assert_true(dbg_rd(f, DHCSR) & (1u << 18));
  assert_int_equal(lf_core_counters_get(f->core)->instructions, 1);
  dbg_wr(f, DHCSR, 0xA05F0003u);
  assert_true(lf_core_halted(f->core));
  assert_int_equal(reg_rd(f, 15), CODE + 2);
  dbg_wr(f, DHCSR, 0xA05F0001u);
  run_for(f, 1000);
  assert_int_equal(reg_rd(f, 0), 7);
  /* WFE (0xBF20) sleeps the same way; it is not a fault */
  static const uint16_t wfe[] = {0xBF20, 0x2008, 0xBE00};
  load16(f, CODE, wfe, 3);
  start_at(f, CODE);
  run_for(f, 1000000);
  assert_false(lf_core_halted(f->core));
  assert_true(dbg_rd(f, DHCSR) & (1u << 18));
  assert_int_equal(lf_core_counters_get(f->core)->faults, 0);
  dbg_wr(f, DHCSR, 0xA05F0003u);
  assert_int_equal(reg_rd(f, 15), CODE + 2);
}

/* F7 1 CPUID; F7 10.4 ROM tables (PIDR/CIDR). */
static void identification_registers(void **state)
{
  fake *f = *state;
  assert_int_equal(dbg_rd(f, 0xE000ED00u), 0x411FC270u);
  assert_int_equal(dbg_rd(f, 0xE00FFFF0u), 0x0D);
  assert_int_equal(dbg_rd(f, 0xE00FFFF4u), 0x10);
  assert_int_equal(dbg_rd(f, 0xE00FFFE0u), 0xC7);
  assert_int_equal(dbg_rd(f, 0xE00FFFE4u), 0xB4);
  assert_int_equal(dbg_rd(f, 0xE00FEFE0u), 0xC8);
  assert_int_equal(dbg_rd(f, 0xE00FF000u), 0xFFF0F003u); /* -> SCS 0xE000E000 */
  assert_int_equal(dbg_rd(f, 0xE00FD000u), 0x00001003u);
  assert_int_equal(dbg_rd(f, 0xE0001000u) >> 28, 4);      /* DWT NUMCOMP */
  assert_int_equal(dbg_rd(f, 0xE000E100u), 0);            /* unmodeled: RAZ */
}

/* Steps through a loop whose blocks are already translated: each C_STEP
 * retires exactly one instruction, also across the taken branch. */
static void steps_are_exact_in_translated_loops(void **state)
{
  fake *f = *state;
  static const uint16_t loop[] = {0x3001, 0xE7FD}; /* adds r0,#1; b loop */
  halt_at_reset(f);
  load16(f, CODE, loop, 2);
  reg_wr(f, 0, 0);
  start_at(f, CODE);
  run_for(f, 50000);
  dbg_wr(f, DHCSR, 0xA05F0003u);
  uint64_t n = lf_core_counters_get(f->core)->instructions;
  uint32_t pc = reg_rd(f, 15), r0 = reg_rd(f, 0);
  for (int i = 1; i <= 6; i++) {
    dbg_wr(f, DHCSR, 0xA05F0005u);
    assert_true(lf_core_halted(f->core));
    assert_int_equal(lf_core_counters_get(f->core)->instructions, n + (uint64_t)i);
    if (pc == CODE)
      r0++;
    pc = pc == CODE ? CODE + 2 : CODE;
    assert_int_equal(reg_rd(f, 15), pc);
    assert_int_equal(reg_rd(f, 0), r0);
  }
  assert_false(dbg_rd(f, DHCSR) & (1u << 24)); /* S_RETIRE_ST cleared by reg_rd's reads */
  dbg_wr(f, DHCSR, 0xA05F0005u);
  assert_true(dbg_rd(f, DHCSR) & (1u << 24));  /* set: an instruction retired */
  assert_false(dbg_rd(f, DHCSR) & (1u << 24));
  n++;
  /* and running again afterwards is still charged per block */
  dbg_wr(f, DHCSR, 0xA05F0001u);
  run_for(f, 62500); /* 1000 cycles at 16 MHz */
  uint64_t d = lf_core_counters_get(f->core)->instructions - n - 6;
  /* 1000 cycles; the 7 steps already moved the core ahead of the debugger by
   * their cycles (4 of one kind, 3 of the other: adds 1, b 1 + P), and the
   * loop retires 2 instructions per 2 + P cycles (R7 table) */
  double P = f->p.core_branch_refill;
  double lo = 2 * (1000 - (4 * (1 + P) + 3)) / (2 + P) - 2, hi = 2 * (1000 - (4 + 3 * (1 + P))) / (2 + P) + 2;
  if (!((double)d >= lo && (double)d <= hi))
    fail_msg("ran %llu instructions", (unsigned long long)d);
}

/* F7 11.1 DWT: CYCCNT counts core cycles when CYCCNTENA and DEMCR.TRCENA;
 * SysTick CLKSOURCE=0 ticks at SYSCLK / core_systick_ext_div. */
static void cyccnt_and_systick_reference_clock(void **state)
{
  fake *f = *state;
  halt_at_reset(f);
  straight_line(f, CODE, 200);
  dbg_wr(f, 0xE0001000u, 1u);            /* CYCCNTENA without TRCENA: stopped */
  dbg_wr(f, 0xE000E014u, 0xFFFFFFu);     /* RVR */
  dbg_wr(f, 0xE000E018u, 0);             /* CVR */
  dbg_wr(f, 0xE000E010u, 1u);            /* ENABLE, CLKSOURCE = reference */
  start_at(f, CODE);
  run_for(f, 100000);
  assert_int_equal(dbg_rd(f, 0xE0001004u), 0);
  /* 200 cycles / 8 = 25 reference ticks: 1 reload from 0, then 24 down */
  assert_int_equal(dbg_rd(f, 0xE000E018u), 0xFFFFFFu - 24);
  dbg_wr(f, DEMCR, 0x01000001u);
  start_at(f, CODE);
  run_for(f, 100000);
  assert_int_equal(dbg_rd(f, 0xE0001004u), 200);
}

/* Demo blob: LD1 every 100 ms, LD2 every 200 ms, LD3 every 400 ms. */
static void run_demo(fake *f, uint64_t ns)
{
  memcpy(f->flash, lf_demo_f767_bin, lf_demo_f767_bin_len);
  lf_core_invalidate_code(f->core, FLASH_BASE, lf_demo_f767_bin_len);
  lf_core_reset(f->core, LF_CORE_RESET_POWER, f->t);
  for (uint64_t end = f->t + ns; f->t < end;)
    run_for(f, 1000000);
}

static void demo_blob_toggles_leds_at_the_right_times(void **state)
{
  fake *f = *state;
  run_demo(f, 1001000000ull); /* 10th toggle just after 1 s + reset */
  assert_int_equal(f->rcc & 2u, 2u);
  assert_int_equal(f->moder & 0x3000C003u, 0x10004001u);
  assert_int_equal(f->nev, 10);
  uint32_t odr = 0;
  for (size_t k = 1; k <= f->nev; k++) {
    const ev *e = &f->evs[k - 1];
    uint64_t want = (uint64_t)f->p.core_reset_ns + k * 100000000ull;
    assert_true(e->t >= want && e->t < want + 5000);
    odr ^= 1u | (k % 2 == 0 ? 1u << 7 : 0) | (k % 4 == 0 ? 1u << 14 : 0);
    assert_int_equal(e->odr, odr);
  }
  assert_int_equal(lf_core_counters_get(f->core)->faults, 0);
}

static void identical_runs_give_identical_counters(void **state)
{
  fake *f = *state;
  run_demo(f, 300000000ull);
  lf_core_counters a = *lf_core_counters_get(f->core);
  ev ea[8];
  memcpy(ea, f->evs, sizeof ea);
  fake *g = NULL;
  setup((void **)&g);
  run_demo(g, 300000000ull);
  lf_core_counters b = *lf_core_counters_get(g->core);
  assert_memory_equal(&a, &b, sizeof a);
  assert_int_equal(g->nev, f->nev);
  assert_memory_equal(ea, g->evs, sizeof ea);
  teardown((void **)&g);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(reset_fetches_sp_and_pc_from_boot_address),
    T(vector_catch_halts_at_reset_vector),
    T(dhcsr_halt_step_resume),
    T(dcrsr_reads_and_writes_every_register_class),
    T(bkpt_halts_with_dfsr_bkpt),
    T(run_function_returns_through_bkpt),
    T(instructions_cost_cpi_cycles_at_sysclk),
    T(cycles_per_instruction_class_r7),
    T(taken_branch_costs_refill_r7),
    cmocka_unit_test_setup_teardown(cycles_per_instruction_class_m0p_r7, setup_m0p, teardown),
    T(bus_stall_advances_core_time),
    T(systick_countflag_polling_takes_rvr_plus_one_cycles),
    T(flash_store_reads_back_nor_result_immediately),
    T(invalidate_code_runs_rewritten_ram_code),
    T(undefined_instruction_halts_as_vcatch),
    T(fpb_comparator_halts_before_instruction),
    T(aircr_resets),
    T(connect_under_reset),
    T(wfi_sleeps_until_halt),
    T(identification_registers),
    T(steps_are_exact_in_translated_loops),
    T(cyccnt_and_systick_reference_clock),
    T(demo_blob_toggles_leds_at_the_right_times),
    T(identical_runs_give_identical_counters),
  };
  return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
