/* ARM layer (src/arm): ADIv5 DP/MEM-AP and Cortex-M debug against the
 * in-process bench (NUCLEO-F767ZI with its ST-LINK/V2-1, and with a V3), and
 * against a raw-DAP probe built in this file on the bench's SW-DP model (for
 * the parts ST-Link firmware does itself: power-up handshake, SELECT/CSW/TAR
 * caching). Facts: stm32f7-target.md 10-13. Costs are asserted in USB round
 * trips (one per probe command) and in modeled time computed from the bench
 * parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm/adi.h"
#include "arm/cortex_m.h"
#include "bench/bench.h"
#include "bench/cortexm.h"
#include "bench/dap.h"
#include "core/session.h"
#include "flash/family.h"
#include "probe/probe.h"
#include "probe/stlink.h"
#include "bench/usb_bench.h"

#include "rawprobe.h"

#define SRAM1 0x20020000u
#define CODE SRAM1
#define STACK_TOP 0x20022000u
#define UNMAPPED 0x30000000u /* stm32f7-target.md 2: reserved above SRAM2 */
#define DBGMCU_CR 0xE0042004u

/* ---- fixture ---- */

typedef struct fx {
  lf_session *s;
  lf_bench_board *b;
  lf_usb_ctx *usb;
  lf_probe *p;
  lf_adi *a;
  lf_cm *t;
  char log[16384];
  size_t loglen;
} fx;

static void sink(void *ctx, int level, double host_ms, uint64_t virt_ns, const char *msg)
{
  fx *f = ctx;
  int n = snprintf(f->log + f->loglen, sizeof f->log - f->loglen, "%s\n", msg);
  if (n > 0 && f->loglen + (size_t)n < sizeof f->log)
    f->loglen += (size_t)n;
}

static void fx_open_cfg(fx *f, lf_bench_board_cfg *cfg)
{
  memset(f, 0, sizeof *f);
  f->s = lf_session_new();
  assert_non_null(f->s);
  lf_log_set_sink(f->s, sink, f, LF_LOG_DEBUG);
  char err[256];
  f->b = lf_bench_board_new(cfg, err, sizeof err);
  if (!f->b)
    fail_msg("bench: %s", err);
  assert_int_equal(lf_usb_new_bench(f->s, &f->b, 1, &f->usb), 0);
  lf_probe_selector sel = {.index = -1};
  if (lf_probe_open(f->s, f->usb, &sel, &f->p))
    fail_msg("open: %s", lf_err_msg(f->s));
  uint32_t hz;
  assert_int_equal(f->p->ops->set_clock(f->p, 4000000, &hz), 0);
  assert_int_equal(lf_adi_new(f->s, f->p, NULL, &f->a), 0);
  /* the chip's family says which low-power debug bits to keep (STM32 DBGMCU_CR) */
  lf_cm_cfg cc;
  lf_cm_cfg_default(&cc);
  cc.lowpower_reg = lf_family_at(0)->debug.lowpower_reg;
  cc.lowpower_bits = lf_family_at(0)->debug.lowpower_bits;
  assert_int_equal(lf_cm_new(f->a, &cc, &f->t), 0);
}

static void fx_open(fx *f, const char *probe)
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.probe = probe;
  fx_open_cfg(f, &cfg);
}

static void fx_connect(fx *f, lf_cm_connect_mode mode)
{
  if (lf_cm_connect(f->t, mode))
    fail_msg("connect: %s", lf_err_msg(f->s));
}

static void fx_close(fx *f)
{
  lf_cm_free(f->t);
  lf_adi_free(f->a);
  lf_probe_close(f->p);
  lf_usb_free(f->usb);
  lf_bench_board_free(f->b);
  lf_session_free(f->s);
}

static uint64_t now(fx *f) { return lf_bench_clock(f->b)->now_ns; }
/* A probe that posts (adi.h): writes share the next read's round trip. */
static bool posts(fx *f) { return lf_adi_posts(f->a); }
/* a probe that writes a core register in one round trip (ST-Link WRITEREG) */
static bool writereg(fx *f) { return !posts(f) && f->p->ops->write_core_reg; }
static uint64_t rts(fx *f) { return lf_usb_dev_stats(f->p->usb)->round_trips; }
static const char *probe_of(void **state) { return *state ? (const char *)*state : "v2-1"; }

#define OK(expr)                                                                                  \
  do {                                                                                            \
    if ((expr) != 0)                                                                              \
      fail_msg("%s: %s", #expr, lf_err_msg(f.s));                                                 \
  } while (0)

static uint32_t rd32(fx *f, uint32_t addr)
{
  uint32_t v = 0;
  if (lf_adi_read32(f->a, addr, &v))
    fail_msg("read 0x%08x: %s", addr, lf_err_msg(f->s));
  return v;
}

static void put_code(fx *f, uint32_t addr, const uint16_t *ins, size_t n)
{
  if (lf_adi_write(f->a, addr, ins, n * 2))
    fail_msg("write code: %s", lf_err_msg(f->s));
}

/* ---- identification and power-up ---- */

static void connect_identifies_m7_and_f767_and_sets_dbgmcu(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  /* ST-LINK: probe connect (ENTER, READ_IDCODES, INIT_AP 0) + CTRL/STAT +
   * CPUID + MVFR0 + DBGMCU_CR read and write = 8 round trips. CMSIS-DAP:
   * the probe connect is one DAP_ExecuteCommands packet (DPIDR in it),
   * CTRL/STAT, the power-up request posted with its ACK poll, CPUID, MVFR0,
   * DBGMCU_CR read (its write posted: it goes with the next access) = 6 */
  uint64_t c0 = rts(&f), t0 = now(&f);
  fx_connect(&f, LF_CM_ATTACH);
  assert_int_equal(rts(&f) - c0, posts(&f) ? 6 : 8);
  printf("%s: connect (attach): %u round trips, %.1f us modeled\n", probe_of(state),
         (unsigned)(rts(&f) - c0), (double)(now(&f) - t0) / 1e3);
  const lf_cm_info *in = lf_cm_info_get(f.t);
  assert_int_equal(in->dpidr, 0x5BA02477u);   /* F7 1 */
  assert_int_equal(in->cpuid, 0x411FC270u);   /* F7 1: r1p0 */
  assert_string_equal(in->core, "Cortex-M7");
  assert_string_equal(in->core_rev, "r1p0");
  assert_true(in->has_fpu);
  assert_true(in->fpu_double);                /* FPv5 DP */
  /* DBGMCU_CR = DBG_SLEEP|DBG_STOP|DBG_STANDBY (F7 12) */
  assert_int_equal(rd32(&f, DBGMCU_CR) & 7u, 7u);
  /* the DP is powered: both requests and both ACKs */
  uint32_t cs;
  OK(lf_adi_dp_read(f.a, LF_DP_CTRLSTAT, &cs));
  assert_int_equal(cs & 0xF0000000u, 0xF0000000u);
  /* core identification = CPUID + MVFR0: two round trips */
  uint64_t r0 = rts(&f);
  OK(lf_cm_identify(f.t));
  assert_int_equal(rts(&f) - r0, 2);
  assert_non_null(strstr(f.log, "Cortex-M7 r1p0"));
  /* the chip is the families' business: DBGMCU_IDCODE names it (one
   * round trip); its flash size and OPTCR only when a geometry is wanted */
  lf_chip chip;
  r0 = rts(&f);
  OK(lf_family_identify(f.s, lf_adi_default_memap(f.a), NULL, &chip));
  assert_int_equal(rts(&f) - r0, 1);
  assert_int_equal(chip.idcode, 0x10016451u);
  assert_int_equal(chip.line, 0x451);
  assert_int_equal(chip.rev, 0x1001);
  assert_string_equal(chip.name, "STM32F76x/F77x");
  assert_true(chip.supported);
  assert_false(chip.flash_known);
  r0 = rts(&f);
  OK(lf_chip_flash_info(f.s, lf_adi_default_memap(f.a), &chip));
  OK(lf_chip_flash_info(f.s, lf_adi_default_memap(f.a), &chip)); /* once */
  assert_int_equal(rts(&f) - r0, 2);
  assert_int_equal(chip.flash_kib, 2048);
  assert_false(chip.dual_bank); /* nDBANK = 1 from the factory */
  fx_close(&f);
}

static void cpuid_decode_m4_on_f429(void **state)
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = "nucleo-f429zi";
  fx f;
  fx_open_cfg(&f, &cfg);
  fx_connect(&f, LF_CM_ATTACH);
  const lf_cm_info *in = lf_cm_info_get(f.t);
  assert_string_equal(in->core, "Cortex-M4");
  assert_int_equal((in->cpuid >> 4) & 0xFFF, 0xC24);
  char rev[8];
  snprintf(rev, sizeof rev, "r%up%u", (in->cpuid >> 20) & 0xF, in->cpuid & 0xF);
  assert_string_equal(in->core_rev, rev);
  assert_true(in->has_fpu);
  assert_false(in->fpu_double); /* FPv4-SP */
  lf_chip chip;
  OK(lf_family_identify(f.s, lf_adi_default_memap(f.a), NULL, &chip));
  OK(lf_chip_flash_info(f.s, lf_adi_default_memap(f.a), &chip));
  assert_int_equal(chip.line, 0x419);
  assert_string_equal(chip.name, "STM32F42x/F43x");
  assert_int_equal(chip.flash_kib, 2048);
  fx_close(&f);
}

/* stm32-f1-l4-h7-targets.md 1.1, 1.4: the NUCLEO-F103RB's Cortex-M3 r1p1
 * (no FPU; 6 breakpoints, OpenOCD's "Cortex-M3 r1p1 processor detected"),
 * DBGMCU_IDCODE 0x20036410 through the debugger: the STM32F1 family, medium
 * density, 128 KiB from the flash size register; the F103RC variant is high
 * density (0x414), 256 KiB. */
static void identify_f103_medium_and_high_density(void **state)
{
  static const struct { const char *board; uint32_t line, kib; const char *name; } rows[] = {
    {"nucleo-f103rb", 0x410, 128, "STM32F10x medium density"},
    {"nucleo-f103rc", 0x414, 256, "STM32F10x high density"},
  };
  for (size_t i = 0; i < 2; i++) {
    lf_bench_board_cfg cfg;
    lf_bench_board_cfg_default(&cfg);
    cfg.board = rows[i].board;
    fx f;
    fx_open_cfg(&f, &cfg);
    fx_connect(&f, LF_CM_ATTACH);
    const lf_cm_info *in = lf_cm_info_get(f.t);
    assert_string_equal(in->core, "Cortex-M3");
    assert_string_equal(in->core_rev, "r1p1");
    assert_false(in->has_fpu);
    lf_chip chip;
    OK(lf_family_identify(f.s, lf_adi_default_memap(f.a), NULL, &chip));
    OK(lf_chip_flash_info(f.s, lf_adi_default_memap(f.a), &chip));
    assert_string_equal(chip.family->name, "stm32f1");
    assert_int_equal(chip.line, rows[i].line);
    assert_string_equal(chip.name, rows[i].name);
    assert_int_equal(chip.flash_kib, rows[i].kib);
    assert_true(chip.supported);
    uint32_t ua, ul;
    chip.family->unique_id(chip.line, &ua, &ul);
    assert_int_equal(ua, 0x1FFFF7E8u);
    assert_int_equal(ul, 12);
    fx_close(&f);
  }
}

/* stm32-f1-l4-h7-targets.md 1.2: the NUCLEO-L476RG's Cortex-M4 r0p1 with
 * FPU, DBGMCU_IDCODE 0x10076415: the STM32L4 family, 1 MiB, dual bank
 * (always, at 1 MiB), UID at 0x1FFF7590; read protection level 0 from OPTR. */
static void identify_l476(void **state)
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = "nucleo-l476rg";
  fx f;
  fx_open_cfg(&f, &cfg);
  fx_connect(&f, LF_CM_ATTACH);
  const lf_cm_info *in = lf_cm_info_get(f.t);
  assert_string_equal(in->core, "Cortex-M4");
  assert_true(in->has_fpu);
  lf_chip chip;
  OK(lf_family_identify(f.s, lf_adi_default_memap(f.a), NULL, &chip));
  OK(lf_chip_flash_info(f.s, lf_adi_default_memap(f.a), &chip));
  assert_string_equal(chip.family->name, "stm32l4");
  assert_int_equal(chip.line, 0x415);
  assert_int_equal(chip.rev, 0x1007);
  assert_string_equal(chip.name, "STM32L47x/L48x");
  assert_int_equal(chip.flash_kib, 1024);
  assert_true(chip.dual_bank);
  uint32_t ua, ul;
  chip.family->unique_id(chip.line, &ua, &ul);
  assert_int_equal(ua, 0x1FFF7590u);
  lf_protection pr;
  OK(chip.family->protection(f.s, lf_adi_default_memap(f.a), &chip, &pr));
  assert_int_equal(pr.level, 0);
  assert_string_equal(pr.what, "RDP level 0 (FLASH_OPTR 0xffeff8aa, RDP byte 0xAA)");
  fx_close(&f);
}

/* stm32f7-target.md 1 (M7 CPUID values), stm32f4-target.md 1 (M4F r0p1) */
static void cpuid_decode(void **state)
{
  lf_cm_info in;
  memset(&in, 0, sizeof in);
  lf_cm_decode_ids(0x411FC271u, 0x10110221u, &in);
  assert_string_equal(in.core, "Cortex-M7");
  assert_string_equal(in.core_rev, "r1p1");
  assert_true(in.has_fpu && in.fpu_double);
  lf_cm_decode_ids(0x410FC241u, 0x10110021u, &in);
  assert_string_equal(in.core, "Cortex-M4");
  assert_string_equal(in.core_rev, "r0p1");
  assert_true(in.has_fpu);
  assert_false(in.fpu_double);
  lf_cm_decode_ids(0x410CC601u, 0, &in); /* Cortex-M0+ r0p1 */
  assert_string_equal(in.core, "Cortex-M0+");
  assert_false(in.has_fpu);
  lf_cm_decode_ids(0x4C0FC270u, 0, &in); /* not Arm-implemented */
  assert_string_equal(in.core, "unknown");
}

/* ---- sticky errors ---- */

static void bus_fault_is_reported_and_next_read_works(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  fx_connect(&f, LF_CM_ATTACH);
  uint32_t v = 0;
  assert_int_equal(lf_adi_read32(f.a, UNMAPPED, &v), LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "0x30000000"));
  uint32_t cs;
  OK(lf_adi_dp_read(f.a, LF_DP_CTRLSTAT, &cs));
  assert_int_equal(cs & LF_CS_STICKYERR, 0);
  OK(lf_adi_write32(f.a, SRAM1, 0xCAFEF00Du));
  assert_int_equal(rd32(&f, SRAM1), 0xCAFEF00Du);
  /* bulk access running into the hole: fault names an address, then recovery */
  uint8_t buf[64];
  assert_int_equal(lf_adi_read(f.a, 0x2007FFE0u, buf, sizeof buf), LF_EFAULT);
  assert_non_null(strstr(lf_err_msg(f.s), "0x20080000"));
  assert_int_equal(rd32(&f, SRAM1), 0xCAFEF00Du);
  /* bad input */
  assert_int_equal(lf_adi_read32(f.a, SRAM1 + 2, &v), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(f.s), "0x20020002"));
  assert_int_equal(lf_adi_read_width(f.a, SRAM1 + 1, buf, 2, 2), LF_EINVAL);
  assert_int_equal(lf_adi_read_width(f.a, SRAM1, buf, 3, 3), LF_EINVAL);
  fx_close(&f);
}

static void access_before_connect_is_an_error(void **state)
{
  fx f;
  fx_open(&f, "v2-1");
  uint32_t v;
  assert_int_equal(lf_adi_read32(f.a, SRAM1, &v), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "not connected"));
  assert_int_equal(lf_adi_set_disconnect_timeout(f.a, -1), LF_EINVAL);
  assert_int_equal(lf_adi_disconnect(f.a), 0); /* nothing to do */
  fx_close(&f);
}

/* ---- run control ---- */

/* SRAM1 loop: adds r0,#1 x4; b back to the start (T2: (0-(8+4))/2 = -6). */
static const uint16_t loop4[] = {0x3001, 0x3001, 0x3001, 0x3001, 0xE7FA};

static void set_pc_thumb(fx *f, uint32_t pc)
{
  if (lf_cm_write_reg(f->t, LF_CM_PC, pc) || lf_cm_write_reg(f->t, LF_CM_XPSR, LF_CM_XPSR_T) ||
      lf_cm_write_reg(f->t, LF_CM_R0, 0))
    fail_msg("regs: %s", lf_err_msg(f->s));
}

static void halt_step_resume_with_round_trips(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  fx_connect(&f, LF_CM_UNDER_RESET);
  put_code(&f, CODE, loop4, 5);
  set_pc_thumb(&f, CODE);
  bool h;
  OK(lf_cm_is_halted(f.t, &h));
  assert_true(h);
  /* step: DHCSR mask-ints write, DHCSR step write, one DHCSR read */
  uint64_t r0 = rts(&f);
  OK(lf_cm_step(f.t));
  assert_int_equal(rts(&f) - r0, 3);
  bool ps = posts(&f);
  uint32_t pc, x;
  OK(lf_cm_read_reg(f.t, LF_CM_PC, &pc));
  OK(lf_cm_read_reg(f.t, LF_CM_R0, &x));
  assert_int_equal(pc, CODE + 2);
  assert_int_equal(x, 1);
  /* resume: DFSR clear + DHCSR write (one round trip when the clear is posted) */
  r0 = rts(&f);
  OK(lf_cm_resume(f.t));
  assert_int_equal(rts(&f) - r0, ps ? 1 : 2);
  OK(lf_cm_is_halted(f.t, &h));
  assert_false(h);
  lf_bench_run(f.b, 1000000); /* 1 ms of running */
  /* halt: DHCSR write + one DHCSR read that already sees S_HALT (together
   * when the write is posted) */
  r0 = rts(&f);
  OK(lf_cm_halt(f.t));
  assert_int_equal(rts(&f) - r0, ps ? 1 : 2);
  assert_true(lf_core_halted(lf_bench_core(f.b)));
  OK(lf_cm_read_reg(f.t, LF_CM_PC, &pc));
  OK(lf_cm_read_reg(f.t, LF_CM_R0, &x));
  assert_true(pc >= CODE && pc <= CODE + 8);
  assert_true(x > 1000); /* 1 ms at 16 MHz HSI: thousands of adds */
  uint32_t dfsr = rd32(&f, LF_CM_DFSR);
  assert_true(dfsr & LF_DFSR_HALTED);
  fx_close(&f);
}

/* ---- registers ---- */

static void register_round_trip_all(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  fx_connect(&f, LF_CM_UNDER_RESET);
  unsigned regs[64];
  uint32_t vals[64], back[64];
  size_t n = 0;
  for (unsigned i = 0; i <= 12; i++) {
    regs[n] = i;
    vals[n++] = 0x10000000u + i * 0x01010101u;
  }
  regs[n] = LF_CM_LR, vals[n++] = 0x08000123u;
  regs[n] = LF_CM_PC, vals[n++] = 0x20020010u;      /* bit 0 must be 0 */
  regs[n] = LF_CM_XPSR, vals[n++] = 0xF9000000u;    /* NZCVQ + T */
  regs[n] = LF_CM_PSP, vals[n++] = 0x20001000u;
  regs[n] = LF_CM_SPECIAL, vals[n++] = 0x00012001u; /* FAULTMASK 1, BASEPRI 0x20, PRIMASK 1 */
  regs[n] = LF_CM_FPSCR, vals[n++] = 0x00C00000u;   /* RMode */
  for (unsigned i = 0; i < 32; i++) {
    regs[n] = LF_CM_S0 + i;
    vals[n++] = 0x3F800000u + i; /* 1.0f + i ulp */
  }
  regs[n] = LF_CM_MSP, vals[n++] = 0x20002000u;     /* last: SP (thread, SPSEL 0) follows */
  OK(lf_cm_write_regs(f.t, regs, vals, n));
  OK(lf_cm_read_regs(f.t, regs, back, n));
  for (size_t i = 0; i < n; i++)
    if (back[i] != vals[i])
      fail_msg("%s: wrote 0x%08x, read 0x%08x", lf_cm_reg_name(regs[i]), vals[i], back[i]);
  uint32_t sp;
  OK(lf_cm_read_reg(f.t, LF_CM_SP, &sp));
  assert_int_equal(sp, 0x20002000u);
  /* the bench core holds the same values (white box) */
  lf_core *c = lf_bench_core(f.b);
  assert_int_equal(lf_core_reg(c, 7), vals[7]);
  assert_int_equal(lf_core_reg(c, LF_CM_S0 + 31), 0x3F800000u + 31);
  /* one register = 3 round trips (DCRSR, DHCSR.S_REGRDY, DCRDR); 1 on a
   * probe that posts (the DCRSR write posted, DHCSR and DCRDR read together:
   * the word is the register's when that DHCSR read saw S_REGRDY) */
  unsigned per = posts(&f) ? 1 : 3;
  uint64_t r0 = rts(&f);
  uint32_t v;
  OK(lf_cm_read_reg(f.t, LF_CM_R0 + 5, &v));
  assert_int_equal(rts(&f) - r0, per);
  r0 = rts(&f);
  OK(lf_cm_write_reg(f.t, LF_CM_R0 + 5, 5));
  assert_int_equal(rts(&f) - r0, per);
  /* registers back to back: n x 3 round trips; one per 16 registers when
   * posting (each DHCSR read checks the transfer before it); written by a
   * probe that has its own command for it (ST-Link WRITEREG): one each */
  r0 = rts(&f);
  OK(lf_cm_write_regs(f.t, regs, vals, 16));
  assert_int_equal(rts(&f) - r0, posts(&f) ? 1 : writereg(&f) ? 16 : 16 * 3);
  lf_cm_set_probe_regs(f.t, false); /* as another tool does: DCRDR/DCRSR */
  r0 = rts(&f);
  OK(lf_cm_write_regs(f.t, regs, vals, 16));
  assert_int_equal(rts(&f) - r0, posts(&f) ? 1 : 16 * 3);
  lf_cm_set_probe_regs(f.t, true);
  r0 = rts(&f);
  OK(lf_cm_read_regs(f.t, regs, back, 16));
  assert_int_equal(rts(&f) - r0, posts(&f) ? 1 : 16 * 3);
  for (size_t i = 0; i < 16; i++)
    assert_int_equal(back[i], vals[i]);
  /* names */
  assert_int_equal(lf_cm_reg_lookup("XPSR"), LF_CM_XPSR);
  assert_int_equal(lf_cm_reg_lookup("s31"), LF_CM_S0 + 31);
  assert_int_equal(lf_cm_reg_lookup("r13"), LF_CM_SP);
  assert_int_equal(lf_cm_reg_lookup("s32"), -1);
  assert_int_equal(lf_cm_reg_lookup("s01"), -1);
  assert_int_equal(lf_cm_reg_lookup("r16"), -1);
  assert_string_equal(lf_cm_reg_name(LF_CM_SP), "sp");
  /* errors: no such register, core running */
  assert_int_equal(lf_cm_read_reg(f.t, 0x13, &v), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(f.s), "0x13"));
  put_code(&f, CODE, loop4, 5);
  set_pc_thumb(&f, CODE);
  OK(lf_cm_resume(f.t));
  assert_int_equal(lf_cm_read_reg(f.t, LF_CM_R0, &v), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "not halted"));
  /* ... written back to back too (WRITEREG: the probe's failure explained) */
  assert_int_equal(lf_cm_write_regs(f.t, regs, vals, 2), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "not halted"));
  /* ... and a function started on it with the halt taken as seen (ST-Link:
   * registers, DFSR and the run in one submission; the first register
   * named) */
  const uint32_t a1[1] = {1};
  assert_int_equal(lf_cm_start_function_n(f.t, CODE, a1, 1, STACK_TOP, true), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "not halted"));
  if (writereg(&f))
    assert_non_null(strstr(lf_err_msg(f.s), "write register r0"));
  fx_close(&f);
}

/* ---- reset kinds ---- */

static uint64_t resets(fx *f) { return lf_core_counters_get(lf_bench_core(f->b))->resets; }

static void reset_kinds_observed_on_the_bench(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  fx_connect(&f, LF_CM_ATTACH);
  /* erased flash: the reset vector (boot 0x00200000 -> flash) reads 0xFFFFFFFF */
  uint32_t vec;
  assert_int_equal(lf_bench_peek(f.b, 0x08000004u, &vec, 4), 0);
  const lf_cm_reset_kind kinds[] = {LF_CM_RESET_SYSRESETREQ, LF_CM_RESET_HARDWARE,
                                    LF_CM_RESET_VECTRESET};
  for (size_t k = 0; k < 3; k++) {
    OK(lf_adi_write32(f.a, SRAM1, 0x5A5A0000u + (uint32_t)k)); /* SRAM survives resets */
    uint64_t n0 = resets(&f);
    OK(lf_cm_reset(f.t, kinds[k], true));
    assert_int_equal(resets(&f) - n0, 1);
    assert_true(lf_core_halted(lf_bench_core(f.b)));
    uint32_t pc;
    OK(lf_cm_read_reg(f.t, LF_CM_PC, &pc));
    assert_int_equal(pc, vec & ~1u); /* halted at the reset vector */
    assert_true(rd32(&f, LF_CM_DFSR) & LF_DFSR_VCATCH);
    assert_int_equal(rd32(&f, LF_CM_DEMCR) & LF_DEMCR_VC_CORERESET, 0); /* restored */
    assert_int_equal(rd32(&f, SRAM1), 0x5A5A0000u + (uint32_t)k);
    assert_int_equal(rd32(&f, DBGMCU_CR) & 7u, 7u); /* survives system reset (F7 12) */
    /* without halt: the reset happens and is seen through S_RESET_ST */
    n0 = resets(&f);
    OK(lf_cm_reset(f.t, kinds[k], false));
    assert_int_equal(resets(&f) - n0, 1);
  }
  assert_int_equal(lf_cm_reset(f.t, (lf_cm_reset_kind)7, false), LF_EINVAL);
  fx_close(&f);
}

static void connect_under_reset_halts_before_first_instruction(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  /* NRST low, ENTER, READ_IDCODES, INIT_AP, CTRL/STAT, DEMCR read+write,
   * DHCSR, DBGMCU_CR read+write, NRST high, DHCSR poll, DEMCR restore,
   * CPUID, MVFR0 = 15 round trips (the chip's IDCODE is its family's read).
   * CMSIS-DAP: the probe connect with NRST low (one packet), CTRL/STAT,
   * power-up, DEMCR read, DBGMCU_CR read (the DEMCR and DHCSR writes
   * before it posted), NRST high (the DBGMCU_CR write with it), DHCSR poll,
   * CPUID (the DEMCR restore with it), MVFR0 = 9 */
  uint64_t c0 = rts(&f), t0 = now(&f);
  fx_connect(&f, LF_CM_UNDER_RESET);
  /* the STLINK-V3's round trips are short (usb_hs_transfer_latency_ns
   * 40 us): its first DHCSR poll after NRST high comes before the core left
   * its reset window (core_reset_ns), so it polls once more: 16 */
  bool v3 = strcmp(probe_of(state), "v3") == 0;
  assert_int_equal(rts(&f) - c0, posts(&f) ? 9 : v3 ? 16 : 15);
  printf("%s: connect under reset: %u round trips, %.1f us modeled\n", probe_of(state),
         (unsigned)(rts(&f) - c0), (double)(now(&f) - t0) / 1e3);
  lf_core *c = lf_bench_core(f.b);
  assert_true(lf_core_halted(c));
  assert_int_equal(lf_core_counters_get(c)->instructions, 0);
  assert_true(rd32(&f, LF_CM_DFSR) & LF_DFSR_VCATCH);
  assert_int_equal(rd32(&f, LF_CM_DEMCR) & LF_DEMCR_VC_CORERESET, 0);
  assert_int_equal(rd32(&f, DBGMCU_CR) & 7u, 7u);
  /* NRST is released: the core runs when resumed */
  put_code(&f, CODE, loop4, 5);
  set_pc_thumb(&f, CODE);
  OK(lf_cm_resume(f.t));
  lf_bench_run(f.b, 100000);
  OK(lf_cm_halt(f.t));
  assert_true(lf_core_counters_get(c)->instructions > 0);
  fx_close(&f);
}

/* ---- run_function ---- */

static void run_function_adds_and_returns_via_bkpt(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  fx_connect(&f, LF_CM_UNDER_RESET);
  const uint16_t add[] = {0x1840 /* adds r0, r0, r1 */, 0x4770 /* bx lr */};
  put_code(&f, CODE, add, 2);
  const uint32_t args[4] = {40, 2, 0, 0};
  uint32_t r0 = 0;
  OK(lf_cm_run_function(f.t, CODE | 1u, args, STACK_TOP, 0.1, &r0));
  assert_int_equal(r0, 42);
  uint32_t pc;
  OK(lf_cm_read_reg(f.t, LF_CM_PC, &pc));
  assert_int_equal(pc, STACK_TOP - 8); /* the default return BKPT below sp */
  uint32_t bk;
  assert_int_equal(lf_bench_peek(f.b, STACK_TOP - 8, &bk, 4), 0);
  assert_int_equal(bk, 0xBE00BE00u);
  /* start cost: DHCSR check, BKPT write, 8 registers x 3, DFSR clear,
   * DHCSR run; with WRITEREG (ST-Link) the registers, the DFSR clear and
   * the DHCSR run in one submission; posting: the BKPT write and the
   * registers in one round trip (each register's DHCSR read checks the
   * halt), DFSR and DHCSR posted */
  uint64_t r1 = rts(&f);
  OK(lf_cm_start_function(f.t, CODE, args, STACK_TOP));
  assert_int_equal(rts(&f) - r1, posts(&f) ? 1 : 1 + 1 + (writereg(&f) ? 1 : 8 * 3 + 2));
  printf("%s: start_function: %u round trips\n", probe_of(state), (unsigned)(rts(&f) - r1));
  /* non-blocking: poll until done */
  bool done = false;
  unsigned polls = 0;
  while (!done && polls < 100) {
    OK(lf_cm_poll_function(f.t, &done, &r0));
    polls++;
  }
  assert_true(done);
  assert_int_equal(r0, 42);
  /* a BKPT of the caller's choice: nothing written, SP as given */
  const uint16_t add_bk[] = {0x1840, 0x4770, 0xBE00};
  put_code(&f, CODE, add_bk, 3);
  assert_int_equal(lf_cm_set_return_bkpt(f.t, CODE + 5), LF_EINVAL);
  OK(lf_cm_set_return_bkpt(f.t, CODE + 4));
  const uint32_t args2[4] = {7, 8, 0, 0};
  OK(lf_cm_run_function(f.t, CODE, args2, STACK_TOP, 0.1, &r0));
  assert_int_equal(r0, 15);
  OK(lf_cm_read_reg(f.t, LF_CM_PC, &pc));
  assert_int_equal(pc, CODE + 4);
  /* bad input */
  assert_int_equal(lf_cm_run_function(f.t, CODE, args2, STACK_TOP + 4, 0.1, &r0), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(f.s), "8-byte aligned"));
  bool d2;
  assert_int_equal(lf_cm_poll_function(f.t, &d2, &r0), LF_EINVAL); /* nothing started */
  fx_close(&f);
}

static void run_function_timeout_halts_and_names_pc(void **state)
{
  fx f;
  fx_open(&f, probe_of(state));
  fx_connect(&f, LF_CM_UNDER_RESET);
  const uint16_t spin[] = {0xE7FE /* b . */};
  put_code(&f, CODE, spin, 1);
  uint64_t t0 = now(&f);
  uint32_t r0;
  assert_int_equal(lf_cm_run_function(f.t, CODE, NULL, STACK_TOP, 0.01, &r0), LF_ETIMEDOUT);
  uint64_t took = now(&f) - t0;
  assert_non_null(strstr(lf_err_msg(f.s), "halted at PC 0x20020000"));
  assert_non_null(strstr(lf_err_msg(f.s), "0.010 s"));
  assert_true(lf_core_halted(lf_bench_core(f.b)));
  /* virtual time: the 10 ms timeout plus start/halt/PC read (< 40 round trips of ~0.3 ms) */
  assert_true(took >= 10000000u);
  assert_true(took < 10000000u + 40u * 300000u);
  /* a function that faults: halted by the vector catch, not at the BKPT */
  const uint16_t udf[] = {0xDE00 /* udf #0 */};
  put_code(&f, CODE, udf, 1);
  assert_int_equal(lf_cm_run_function(f.t, CODE, NULL, STACK_TOP, 0.01, &r0), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "PC 0x20020000"));
  /* a BKPT inside the function is not the return */
  const uint16_t early[] = {0xBE01 /* bkpt #1 */, 0x4770};
  put_code(&f, CODE, early, 2);
  assert_int_equal(lf_cm_run_function(f.t, CODE, NULL, STACK_TOP, 0.01, &r0), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "BKPT at PC 0x20020000"));
  /* completion cost: DHCSR, DFSR, PC (3), r0 (3); posting: DHCSR with
   * DFSR, PC with r0 */
  const uint16_t ret[] = {0x4770};
  put_code(&f, CODE, ret, 1);
  OK(lf_cm_start_function(f.t, CODE, NULL, STACK_TOP));
  lf_bench_run(f.b, 100000);
  uint64_t r1 = rts(&f);
  bool done;
  OK(lf_cm_poll_function(f.t, &done, &r0));
  assert_true(done);
  assert_int_equal(rts(&f) - r1, posts(&f) ? 2 : 8);
  /* start needs a halted core */
  put_code(&f, CODE, spin, 1);
  OK(lf_cm_start_function(f.t, CODE, NULL, STACK_TOP));
  assert_int_equal(lf_cm_start_function(f.t, CODE, NULL, STACK_TOP), LF_ETARGET);
  assert_non_null(strstr(lf_err_msg(f.s), "running"));
  fx_close(&f);
}

/* ---- disconnect ---- */

/* One READ_DAP_REG (DP CTRL/STAT) in modeled time, from the parameters
 * (vstlink.c: latency once per round trip, wire bytes + per-packet overhead,
 * firmware command time, SWD gap + one read at the V2-1's SWCLK for divisor
 * 0: nominal 4 MHz, or psdb's measured 2.36 MHz with stlink_swclk_measured,
 * probe-protocols.md 1.10). */
static double dp_read_ns(const lf_bench_params *p, double swclk_hz)
{
  double usb = p->usb_fs_transfer_latency_ns + (16 + p->usb_fs_packet_overhead) * 8e9 / p->usb_fs_bit_rate +
               (8 + p->usb_fs_packet_overhead) * 8e9 / p->usb_fs_bit_rate;
  return usb + p->stlink_cmd_ns + p->stlink_swd_gap_ns + p->swd_read_cycles * 1e9 / swclk_hz;
}

static void disconnect_never_acked_costs_at_most_the_timeout(void **state)
{
  fx f;
  fx_open(&f, "v2-1");
  const lf_bench_params *bp = lf_bench_params_get(f.b);
  assert_true(bp->dp_pwrdown_ack_never_clears != 0); /* the NUCLEO-F767ZI report (F7 13 #4) */
  fx_connect(&f, LF_CM_ATTACH);
  /* hand-computed transaction time agrees with the bench */
  double tx = dp_read_ns(bp, bp->stlink_swclk_measured != 0 ? 2360000.0 : 4000000.0);
  uint64_t t0 = now(&f);
  uint32_t cs;
  OK(lf_adi_dp_read(f.a, LF_DP_CTRLSTAT, &cs));
  double measured = (double)(now(&f) - t0);
  assert_true(measured > tx - 5 && measured < tx + 5);
  /* power-down alone: <= timeout + one transaction, not an error, logged */
  bool acked = true;
  t0 = now(&f);
  OK(lf_adi_power_down(f.a, &acked));
  uint64_t pd = now(&f) - t0;
  assert_false(acked);
  assert_true(pd <= 100000000u + (uint64_t)tx + 5);
  assert_true(pd >= 100000000u - (uint64_t)(2 * tx)); /* it did wait */
  assert_non_null(strstr(f.log, "not acknowledged within 0.100 s"));
  OK(lf_adi_power_up(f.a));
  /* the whole disconnect: power-down + the probe's DBG_EXIT (one OUT transfer) */
  double exit_ns = bp->usb_fs_transfer_latency_ns +
                   (16 + bp->usb_fs_packet_overhead) * 8e9 / bp->usb_fs_bit_rate + bp->stlink_cmd_ns;
  t0 = now(&f);
  OK(lf_cm_disconnect(f.t, false));
  uint64_t dis = now(&f) - t0;
  assert_true(dis <= 100000000u + (uint64_t)(tx + exit_ns) + 10);
  printf("disconnect (never acknowledged, timeout 0.1 s): %.3f ms modeled; one DP read %.1f us\n",
         (double)dis / 1e6, tx / 1e3);
  assert_int_equal(lf_adi_stats_get(f.a)->last_disconnect_ns, dis);
  assert_int_equal(lf_adi_stats_get(f.a)->powerdown_timeouts, 2);
  assert_false(lf_adi_connected(f.a));
  fx_close(&f);
}

static void disconnect_timeout_is_configurable(void **state)
{
  fx f;
  fx_open(&f, "v2-1");
  fx_connect(&f, LF_CM_ATTACH);
  OK(lf_adi_set_disconnect_timeout(f.a, 0.02));
  double tx = dp_read_ns(lf_bench_params_get(f.b), 2360000.0);
  uint64_t t0 = now(&f);
  bool acked;
  OK(lf_adi_power_down(f.a, &acked));
  uint64_t pd = now(&f) - t0;
  assert_false(acked);
  assert_true(pd <= 20000000u + (uint64_t)tx + 5);
  assert_true(pd >= 20000000u - (uint64_t)(2 * tx));
  /* 0: request the power-down, do not wait: the two CTRL/STAT writes only */
  OK(lf_adi_power_up(f.a));
  OK(lf_adi_set_disconnect_timeout(f.a, 0));
  uint64_t r0 = rts(&f);
  OK(lf_adi_power_down(f.a, &acked));
  assert_int_equal(rts(&f) - r0, 2);
  fx_close(&f);
}

static void disconnect_on_acking_board_is_quick(void **state)
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.params.dp_pwrdown_ack_never_clears = 0;
  fx f;
  fx_open_cfg(&f, &cfg);
  fx_connect(&f, LF_CM_ATTACH);
  bool acked = false;
  uint64_t r0 = rts(&f);
  OK(lf_adi_power_down(f.a, &acked));
  assert_true(acked);
  /* write REQ=CDBG, poll (ACK delay 1 us < one round trip), write 0, poll */
  assert_int_equal(rts(&f) - r0, 4);
  uint32_t cs;
  OK(lf_adi_dp_read(f.a, LF_DP_CTRLSTAT, &cs));
  assert_int_equal(cs & 0xF0000000u, 0);
  /* and power-up again runs the handshake: write + one poll */
  r0 = rts(&f);
  OK(lf_adi_power_up(f.a));
  assert_int_equal(rts(&f) - r0, 3); /* CTRL/STAT read, write, poll */
  assert_int_equal(lf_adi_stats_get(f.a)->powerdown_timeouts, 0);
  OK(lf_cm_disconnect(f.t, true));
  fx_close(&f);
}

/* ---- a raw-DAP probe on the bench's SW-DP (tests/support/rawprobe.h) ---- */

static void raw_dap_powers_up_caches_select_csw_tar_and_recovers(void **state)
{
  lf_session *s = lf_session_new();
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b);
  lf_probe *rp = lf_test_rawprobe_new(s, b);
  assert_non_null(rp);
  lf_dap_set_swclk(lf_bench_dap(b), 4e6);
  lf_adi *a;
  assert_int_equal(lf_adi_new(s, rp, NULL, &a), 0);
  /* power-up handshake: the DP starts with no request (unlike after ST-Link's connect) */
  if (lf_adi_connect(a, LF_CONNECT_NORMAL))
    fail_msg("connect: %s", lf_err_msg(s));
  const lf_adi_stats *st = lf_adi_stats_get(a);
  assert_int_equal(lf_adi_dpidr(a), 0x5BA02477u);
  assert_true(st->powerup_polls >= 1);
  uint32_t cs;
  assert_int_equal(lf_adi_dp_read(a, LF_DP_CTRLSTAT, &cs), 0);
  assert_int_equal(cs & 0xF0000000u, 0xF0000000u);
  /* AP IDR through SELECT bank 0xF */
  uint32_t idr;
  assert_int_equal(lf_adi_ap_read(a, 0, LF_AP_IDR, &idr), 0);
  assert_int_equal(idr, 0x74770001u);
  /* memory: CSW + TAR once, then DRW only (auto-increment tracked) */
  uint32_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8];
  assert_int_equal(lf_adi_write(a, SRAM1, data, sizeof data), 0);
  uint64_t csw0 = st->csw_writes, tar0 = st->tar_writes, sel0 = st->select_writes;
  unsigned tx0 = lf_test_rawprobe_transactions(rp);
  assert_int_equal(lf_adi_read(a, SRAM1, back, sizeof back), 0);
  assert_memory_equal(back, data, sizeof data);
  assert_int_equal(st->csw_writes - csw0, 0);    /* same CSW as the writes */
  assert_int_equal(st->tar_writes - tar0, 1);    /* back to SRAM1 once */
  assert_int_equal(st->select_writes - sel0, 0); /* APSEL 0 bank 0 kept */
  assert_int_equal(lf_test_rawprobe_transactions(rp) - tx0, 1 + 8 * 2); /* TAR + 8 x (DRW + RDBUFF) */
  /* bytes: CSW size 8 with byte lanes */
  uint8_t bytes[3];
  assert_int_equal(lf_adi_read(a, SRAM1 + 1, bytes, 3), 0);
  assert_int_equal(bytes[0], 0);
  assert_int_equal(lf_adi_read(a, SRAM1 + 4, bytes, 1), 0);
  assert_int_equal(bytes[0], 2);
  /* a 1 KiB TAR block boundary forgets TAR (rewritten once) */
  uint32_t big[8];
  tar0 = st->tar_writes;
  assert_int_equal(lf_adi_read(a, SRAM1 + 0x3F0, big, sizeof big), 0);
  assert_int_equal(st->tar_writes - tar0, 2);
  /* sticky error: fault, ABORT, next read works */
  uint32_t v;
  assert_int_equal(lf_adi_read32(a, UNMAPPED, &v), LF_EFAULT);
  assert_true(st->sticky_clears >= 1);
  assert_int_equal(lf_adi_dp_read(a, LF_DP_CTRLSTAT, &cs), 0);
  assert_int_equal(cs & LF_CS_STICKYERR, 0);
  assert_int_equal(lf_adi_read32(a, SRAM1 + 4, &v), 0);
  assert_int_equal(v, 2);
  /* the Cortex-M layer over raw DAP: identify, halt, a register round trip */
  lf_cm *t;
  assert_int_equal(lf_cm_new(a, NULL, &t), 0);
  if (lf_cm_connect(t, LF_CM_ATTACH_HALT))
    fail_msg("cm connect: %s", lf_err_msg(s));
  assert_string_equal(lf_cm_info_get(t)->core, "Cortex-M7");
  lf_chip chip;
  assert_int_equal(lf_family_identify(s, lf_adi_default_memap(a), NULL, &chip), 0);
  assert_string_equal(chip.name, "STM32F76x/F77x");
  assert_true(lf_core_halted(lf_bench_core(b)));
  assert_int_equal(lf_cm_write_reg(t, 3, 0x12345678u), 0);
  assert_int_equal(lf_cm_read_reg(t, 3, &v), 0);
  assert_int_equal(v, 0x12345678u);
  /* no NRST on this probe: clear errors, nothing done */
  assert_int_equal(lf_cm_reset(t, LF_CM_RESET_HARDWARE, false), LF_ENOTSUP);
  assert_non_null(strstr(lf_err_msg(s), "NRST"));
  assert_int_equal(lf_cm_connect(t, LF_CM_UNDER_RESET), LF_ENOTSUP);
  lf_cm_free(t);
  /* disconnect on the never-acking board: bounded */
  uint64_t t0 = lf_bench_clock(b)->now_ns;
  assert_int_equal(lf_adi_disconnect(a), 0);
  assert_true(lf_bench_clock(b)->now_ns - t0 <= 100000000u + 100000u);
  lf_adi_free(a);
  lf_probe_close(rp);
  lf_bench_board_free(b);
  lf_session_free(s);
}

/* ---- faults: every injected fault ends in a clear error, never a hang ---- */

/* connect under reset, code + run_function, reset and halt, disconnect.
 * Returns the first error (0 = all fine). */
static int sequence(fx *f)
{
  const uint16_t add[] = {0x1840, 0x4770};
  const uint32_t args[4] = {1, 2, 0, 0};
  uint32_t r0;
  int r = lf_cm_connect(f->t, LF_CM_UNDER_RESET);
  if (!r)
    r = lf_adi_write(f->a, CODE, add, sizeof add);
  if (!r)
    r = lf_cm_run_function(f->t, CODE, args, STACK_TOP, 0.01, &r0);
  if (!r && r0 != 3)
    fail_msg("r0 %u", r0);
  if (!r)
    r = lf_cm_reset(f->t, LF_CM_RESET_SYSRESETREQ, true);
  int r2 = lf_cm_disconnect(f->t, true);
  return r ? r : r2;
}

static void injected_faults_give_errors_not_hangs(void **state)
{
  fx f;
  fx_open(&f, "v2-1");
  OK(lf_adi_set_disconnect_timeout(f.a, 0.002));
  const lf_usb_stats *us = lf_usb_dev_stats(f.p->usb);
  uint64_t base = us->transfers; /* open + set_clock: not under test here */
  OK(sequence(&f));
  uint64_t transfers = us->transfers;
  fx_close(&f);
  assert_true(transfers > 50);
  static const char *const kinds[] = {"usb_timeout", "usb_stall", "usb_short", "swd_fault"};
  unsigned runs = 0, failed = 0;
  for (size_t k = 0; k < 4; k++)
    for (uint64_t n = base + 1 + k; n <= transfers; n += 3) {
      char spec[64];
      snprintf(spec, sizeof spec, "%s@%llu", kinds[k], (unsigned long long)n);
      lf_bench_board_cfg cfg;
      lf_bench_board_cfg_default(&cfg);
      cfg.faults = spec;
      fx_open_cfg(&f, &cfg);
      OK(lf_adi_set_disconnect_timeout(f.a, 0.002));
      uint64_t t0 = now(&f);
      int r = sequence(&f);
      runs++;
      if (r) {
        failed++;
        const char *m = lf_err_msg(f.s);
        if (getenv("LF_TEST_VERBOSE"))
          printf("%s -> %s\n", spec, m);
        if (!m[0] || strstr(m, "(null)"))
          fail_msg("%s: error %d without a clear message '%s'", spec, r, m);
      }
      /* bounded: USB timeouts cost 1 s each (STLINK_TIMEOUT_MS); nothing loops */
      if (now(&f) - t0 > 5000000000u)
        fail_msg("%s: took %.3f s modeled", spec, (double)(now(&f) - t0) / 1e9);
      fx_close(&f);
    }
  printf("fault runs: %u, %u ended in an error\n", runs, failed);
  assert_true(failed > runs / 2);
}

int main(void)
{
  static char v21[] = "v2-1", v3[] = "v3", dl[] = "daplink";
  /* the ST-LINKs, and a DAPLink (CMSIS-DAP v2: raw DAP, posted accesses) */
#define BOTH(fn)                                                                                   \
  {#fn "_v2_1", fn, NULL, NULL, v21}, {#fn "_v3", fn, NULL, NULL, v3},                            \
    {#fn "_daplink", fn, NULL, NULL, dl}
  const struct CMUnitTest tests[] = {
    BOTH(connect_identifies_m7_and_f767_and_sets_dbgmcu),
    cmocka_unit_test(cpuid_decode_m4_on_f429),
    cmocka_unit_test(identify_f103_medium_and_high_density),
    cmocka_unit_test(identify_l476),
    cmocka_unit_test(cpuid_decode),
    BOTH(bus_fault_is_reported_and_next_read_works),
    cmocka_unit_test(access_before_connect_is_an_error),
    BOTH(halt_step_resume_with_round_trips),
    BOTH(register_round_trip_all),
    BOTH(reset_kinds_observed_on_the_bench),
    BOTH(connect_under_reset_halts_before_first_instruction),
    BOTH(run_function_adds_and_returns_via_bkpt),
    BOTH(run_function_timeout_halts_and_names_pc),
    cmocka_unit_test(disconnect_never_acked_costs_at_most_the_timeout),
    cmocka_unit_test(disconnect_timeout_is_configurable),
    cmocka_unit_test(disconnect_on_acking_board_is_quick),
    cmocka_unit_test(raw_dap_powers_up_caches_select_csw_tar_and_recovers),
    cmocka_unit_test(injected_faults_give_errors_not_hangs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
