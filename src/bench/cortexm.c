/* Cortex-M7 / Cortex-M4 / Cortex-M3 core model: Thumb-2 execution under Unicorn 2 in
 * virtual time, plus the PPB registers the debugger and the firmware see.
 * Facts: stm32f7-target.md ("F7 n.m" below) §1, §10.4, §11, §13, §17 and
 * stm32f4-target.md ("F4 n.m") §1, §10.3, §11. The core is chosen by the
 * CPUID part number (core_profile): Unicorn CPU model, ROM table and
 * component ids, FPB version and comparator counts, MVFR0-2, ICTR. The
 * Cortex-M4 has no caches or TCMs, which this model does not have anyway.
 *
 * Time. The core keeps its own time: seg_t0 (ns) + seg_cyc cycles at hz
 * (SYSCLK, sampled at every slice start and after every bus access). A
 * UC_HOOK_BLOCK hook charges a whole translation block (its instructions'
 * cycles from the per-class table of insn_cost, decoded once per block and
 * cached until the code changes; core_cycle_model 0: core_cpi each) when
 * the block starts, and stops the emulation at the
 * first block that starts at or after the target time, so catch_up(t) ends
 * with the core at a time >= t (at most one block late). A block cut short
 * (BKPT, fault) is re-counted up to the PC where it stopped. Bus accesses
 * inside a block are timestamped at the block's end; a stall returned by a
 * slave moves the core's time to the stall's end (busy-waits on FLASH_SR cost
 * virtual time, not host time).
 *
 * Not modeled (bench decisions, documented): exceptions and interrupts (no
 * NVIC; SVC, UDF, bus errors, INVSTATE, NOCP halt the core with DFSR.VCATCH
 * as if DEMCR.VC_HARDERR were set when C_DEBUGEN=1, else the core locks up:
 * S_LOCKUP); SysTick and DWT count but never interrupt; WFI/WFE sleep until
 * a debug halt or a reset (nothing else can wake the core); SysTick and
 * CYCCNT stop while the core is halted or in reset; DWT comparators and the
 * FPB literal comparator are storage only; bus errors on core loads/stores to
 * MMIO stop the core at the end of the current block (imprecise); caches are
 * not modeled; Unicorn executes FP instructions whatever CPACR says (CPACR
 * is storage: no NOCP fault). FPB code comparators halt the core before the instruction at
 * the comparator address (DFSR.BKPT); a single step ignores them.
 *
 * Stores to read-only mappings (flash and its ITCM alias) reach Unicorn's
 * UC_HOOK_MEM_WRITE_PROT hook: the store is routed to env->bus (the SoC
 * applies the flash rules and updates the shared buffer), the correct bytes
 * are remembered as a pending fixup, and Unicorn's raw store that follows is
 * undone by re-applying the fixup at the next hook or MMIO callback (a data
 * read hook covers the read-only regions) and when the slice ends.
 *
 * Read protection (soc.h lf_soc_region.blocked): before each run the core
 * maps a blocked region without access (and drops its translated code), so
 * fetches and loads there end the run with a fault; stores reach the
 * write-protection hook and the SoC (which refuses them). Reset vector
 * fetches from a blocked region fail (the core then faults: EPSR.T = 0). */
#include "bench/cortexm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "bench/clock.h"
#include "bench/coresight.h"

#define PPB_BASE 0xE0000000u
#define PPB_SIZE 0x00100000u
#define DBGMCU_BASE 0xE0042000u
#define DBGMCU_SIZE 0x1000u

/* SCS (F7 11.1) */
enum {
  R_ICTR = 0xE000E004u,
  R_SYST_CSR = 0xE000E010u, R_SYST_RVR = 0xE000E014u, R_SYST_CVR = 0xE000E018u,
  R_SYST_CALIB = 0xE000E01Cu,
  R_CPUID = 0xE000ED00u, R_ICSR = 0xE000ED04u, R_VTOR = 0xE000ED08u, R_AIRCR = 0xE000ED0Cu,
  R_SCR = 0xE000ED10u, R_CCR = 0xE000ED14u, R_SHPR1 = 0xE000ED18u, R_SHPR2 = 0xE000ED1Cu,
  R_SHPR3 = 0xE000ED20u, R_SHCSR = 0xE000ED24u, R_CFSR = 0xE000ED28u, R_HFSR = 0xE000ED2Cu,
  R_DFSR = 0xE000ED30u, R_MMFAR = 0xE000ED34u, R_BFAR = 0xE000ED38u, R_CPACR = 0xE000ED88u,
  R_DHCSR = 0xE000EDF0u, R_DCRSR = 0xE000EDF4u, R_DCRDR = 0xE000EDF8u, R_DEMCR = 0xE000EDFCu,
  R_DWT_CTRL = 0xE0001000u, R_DWT_CYCCNT = 0xE0001004u,
  R_MVFR0 = 0xE000EF40u, R_MVFR1 = 0xE000EF44u, R_MVFR2 = 0xE000EF48u,
  R_FP_CTRL = 0xE0002000u, R_FP_REMAP = 0xE0002004u, R_FP_COMP0 = 0xE0002008u,
};

/* DHCSR (F7 11.2) */
#define DBGKEY 0xA05F0000u
#define C_DEBUGEN (1u << 0)
#define C_HALT (1u << 1)
#define C_STEP (1u << 2)
#define C_MASKINTS (1u << 3)
#define C_SNAPSTALL (1u << 5)
#define S_REGRDY (1u << 16)
#define S_HALT (1u << 17)
#define S_SLEEP (1u << 18)
#define S_LOCKUP (1u << 19)
#define S_RETIRE_ST (1u << 24)
#define S_RESET_ST (1u << 25)
/* DFSR (F7 11.5) */
#define DFSR_HALTED 1u
#define DFSR_BKPT 2u
#define DFSR_DWTTRAP 4u
#define DFSR_VCATCH 8u
#define DFSR_EXTERNAL 16u
/* DEMCR (F7 11.4) */
#define VC_CORERESET (1u << 0)
#define DEMCR_MASK 0x010F07F1u
#define TRCENA (1u << 24)
/* AIRCR (F7 11.6) */
#define VECTKEY 0x05FAu
#define VECTKEYSTAT 0xFA050000u
#define SYSRESETREQ (1u << 2)
#define VECTRESET (1u << 0)

/* Array bounds for the largest comparator counts of any modeled core. */
#define FPB_MAX 9
#define DWT_NCOMP 4
/* SysTick CALIB: no value found for the F767 or the F429 [unconf]: 0 (TENMS unknown). */
#define SYST_CALIB_VALUE 0u

/* Identification registers: CoreSight tables (coresight.h). */
typedef lf_cs_ident ppb_ident;

/* F7 10.4: part numbers of the ROM tables are ≈ (F746 log); the ST table's
 * part (0x451) and the SCS/DWT/FPB/ITM part numbers and classes are
 * unconfirmed; revisions 0 (not known). */
static const ppb_ident m7_idents[] = {
  {0xE00FD000u, 0x451, 0x20, 0x0, 0x1, 0, 0, {0x00001003u, 0}},             /* ST ROM table */
  {0xE00FE000u, 0x4C8, 0x3B, 0x4, 0x1, 0, 0, {0x00001003u, 0}},             /* PPB ROM table */
  {0xE00FF000u, 0x4C7, 0x3B, 0x4, 0x1, 0, 0,                                /* core ROM table */
   {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u, 0}},                /* SCS DWT FPB ITM */
  {0xE000E000u, 0x00C, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* SCS */
  {0xE0001000u, 0x002, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* DWT */
  {0xE0002000u, 0x00E, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* FPB */
  {0xE0000000u, 0x001, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* ITM */
};

/* F4 10.3: one ROM table at 0xE00FF000 with ST's identity (part = DEV_ID,
 * ≈ pattern of other STM32 dumps) listing SCS, DWT, FPB, ITM, TPIU, ETM;
 * PIDRs SCS 0x4000BB00C, DWT 0x4003BB002, FPB 0x4002BB003, ETM 0x4000BB925
 * (≈ other Cortex-M4 r0p1); ITM 0x4003BB001 and the TPIU (part 0x9A1, rev 0,
 * DEVTYPE 0x11 trace port) unconfirmed; ETM DEVTYPE 0x13 (≈). */
static const ppb_ident m4_idents[] = {
  {0xE00FF000u, 0x419, 0x20, 0x0, 0x1, 0, 0,                                /* ROM table */
   {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u, 0xFFF41003u, 0xFFF42003u, 0}},
  {0xE000E000u, 0x00C, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* SCS-M4 */
  {0xE0001000u, 0x002, 0x3B, 0x4, 0xE, 3, 0, {0}},                          /* DWT */
  {0xE0002000u, 0x003, 0x3B, 0x4, 0xE, 2, 0, {0}},                          /* FPB */
  {0xE0000000u, 0x001, 0x3B, 0x4, 0xE, 3, 0, {0}},                          /* ITM */
  {0xE0040000u, 0x9A1, 0x3B, 0x4, 0x9, 0, 0x11, {0}},                       /* TPIU-M4 */
  {0xE0041000u, 0x925, 0x3B, 0x4, 0x9, 0, 0x13, {0}},                       /* ETM-M4 */
};

/* Cortex-M3 r1p1 (STM32F103): one ROM table at 0xE00FF000 with ST's identity
 * (part = DEV_ID) listing SCS, DWT, FPB, ITM, TPIU, ETM, as pyOCD/J-Link
 * logs of F103 boards show it (stm32-f1-l4-h7-targets.md 1.1: ROM base
 * 0xE00FF000 ✔; component part numbers SCS-M3 0x000, TPIU-M3 0x923, ETM-M3
 * 0x924 ≈ from such logs; revisions [unconf] 0). */
static const ppb_ident m3_idents[] = {
  {0xE00FF000u, 0x410, 0x20, 0x0, 0x1, 0, 0,                                /* ROM table */
   {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u, 0xFFF41003u, 0xFFF42003u, 0}},
  {0xE000E000u, 0x000, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* SCS-M3 */
  {0xE0001000u, 0x002, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* DWT */
  {0xE0002000u, 0x003, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* FPB */
  {0xE0000000u, 0x001, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* ITM */
  {0xE0040000u, 0x923, 0x3B, 0x4, 0x9, 0, 0x11, {0}},                       /* TPIU-M3 */
  {0xE0041000u, 0x924, 0x3B, 0x4, 0x9, 0, 0x13, {0}},                       /* ETM-M3 */
};

/* Cortex-M0+ r0p1 (RP2040, nrf52-rp2040-targets.md 8, 9): one ROM table at
 * 0xE00FF000 listing SCS, DWT and the BPU (the M0+'s FPB); part numbers
 * ROM 0x4C0, SCS 0x008, DWT 0x00A, BPU 0x00B [unconf, recalled from the
 * Cortex-M0+ TRM]; revisions 0. */
static const ppb_ident m0p_idents[] = {
  {0xE00FF000u, 0x4C0, 0x3B, 0x4, 0x1, 0, 0, {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0}},
  {0xE000E000u, 0x008, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* SCS */
  {0xE0001000u, 0x00A, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* DWT */
  {0xE0002000u, 0x00B, 0x3B, 0x4, 0xE, 0, 0, {0}},                          /* BPU */
};

/* What differs between the modeled cores, chosen by the CPUID part number
 * (bits 15:4) the SoC gives in lf_core_env.cpuid. */
typedef struct core_profile {
  uint16_t cpuid_part;
  const char *name;
  int uc_model;                   /* Unicorn CPU model */
  const ppb_ident *idents;
  size_t nidents;
  uint32_t fpb_ncode, fpb_nlit;
  uint32_t fpb_rev;               /* FP_CTRL.REV: 0 = FPBv1 (code region only, REPLACE), 1 = FPBv2 */
  uint32_t mvfr0, mvfr1, mvfr2;
  uint32_t ictr;
  uint32_t ccr_mask;              /* writable CCR bits (the M7 adds BP/IC/DC, 18:16) */
  uint32_t dwt_ncomp;             /* DWT_CTRL.NUMCOMP */
} core_profile;

static const core_profile profiles[] = {
  /* F7 11.7: FPBv2, 8 code comparators, NUM_LIT 1 (unconfirmed). MVFR:
   * FPv5 double precision, the values OpenOCD 0.12 matches as "Cortex-M7 DP"
   * (≈); MVFR2 0x40 (VFP misc) unconfirmed. ICTR 7 [unconf]: 256 lines. */
  {0xC27, "Cortex-M7", UC_CPU_ARM_CORTEX_M7, m7_idents, sizeof m7_idents / sizeof m7_idents[0],
   8, 1, 1, 0x10110221u, 0x12000011u, 0x00000040u, 7, 0x000F031Bu, 4},
  /* F4 11: FPBv1 (REV 0), 6 code + 2 literal comparators (FP_CTRL 0x260
   * disabled; count ✔ on an F429, literal count and REV ≈); F4 1: MVFR0/1
   * 0x10110021/0x11000011 (FPv4-SP, OpenOCD requires them exactly); MVFR2
   * does not exist on ARMv7-M r0p1 (reads 0). ICTR 2 (up to 96 lines: the
   * F429's 91 vectors [unconf, recalled from CMSIS]). CCR: no cache or
   * branch-predictor enables (F4 11: no core caches). */
  {0xC24, "Cortex-M4", UC_CPU_ARM_CORTEX_M4, m4_idents, sizeof m4_idents / sizeof m4_idents[0],
   6, 2, 0, 0x10110021u, 0x11000011u, 0x00000000u, 2, 0x0000031Bu, 4},
  /* stm32-f1-l4-h7-targets.md 1.1: Cortex-M3 r1p1, FPBv1 with 6 code + 2
   * literal comparators, 4 DWT comparators (J-Link log ✔); no FPU (MVFR0/1
   * read 0: ARMv7-M without the FP extension); ICTR 1 (up to 64 lines: the
   * F103's 43 or 60 [unconf, recalled from CMSIS]); CCR as the M4 (STKALIGN writable on
   * r1p1). */
  {0xC23, "Cortex-M3", UC_CPU_ARM_CORTEX_M3, m3_idents, sizeof m3_idents / sizeof m3_idents[0],
   6, 2, 0, 0x00000000u, 0x00000000u, 0x00000000u, 1, 0x0000031Bu, 4},
  /* nrf52-rp2040-targets.md 8: Cortex-M0+ r0p1 (CPUID 0x410CC601), BPU with 4
   * breakpoints (FPBv1 layout, no literal comparators), DWT 2 watchpoints;
   * ARMv6-M: no FPU, no ICTR, CCR read-only. Unicorn's Cortex-M0 model runs
   * ARMv6-M Thumb. */
  {0xC60, "Cortex-M0+", UC_CPU_ARM_CORTEX_M0, m0p_idents, sizeof m0p_idents / sizeof m0p_idents[0],
   4, 0, 0, 0x00000000u, 0x00000000u, 0x00000000u, 0, 0x00000000u, 2},
};

static const core_profile *profile_of(uint32_t cpuid)
{
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (profiles[i].cpuid_part == ((cpuid >> 4) & 0xFFFu))
      return &profiles[i];
  return NULL;
}

static uint32_t fpb_ncomp(const core_profile *pr) { return pr->fpb_ncode + pr->fpb_nlit; }

/* FP_CTRL read-only part: REV, NUM_CODE[6:4] at 14:12, NUM_LIT, NUM_CODE[3:0]. */
static uint32_t fp_ctrl_ro(const core_profile *pr)
{
  return pr->fpb_rev << 28 | ((pr->fpb_ncode >> 4) & 7u) << 12 | pr->fpb_nlit << 8 |
         (pr->fpb_ncode & 0xFu) << 4;
}

typedef struct bblock {
  uint32_t addr, size, n;
  double cyc;   /* cycles, a final conditional branch as not taken */
  bool cond_end; /* ends with a conditional branch */
} bblock;
#define BCACHE 4096

struct lf_core {
  lf_core_env env;
  const lf_bench_params *p;
  uc_engine *uc;
  lf_core_counters cnt;

  /* time */
  uint64_t seg_t0;
  double seg_cyc;     /* cycles since seg_t0 at hz */
  double cyc_base;    /* running cycles before seg_t0 (SysTick/CYCCNT clock) */
  double hz;
  uint64_t target;
  uint64_t run_at;    /* first instruction fetch after a reset */
  uint64_t run_base;  /* run_ns before seg_t0 */

  /* state */
  bool nrst, halted, sleeping, lockup, reset_pending;
  bool t_bit;         /* EPSR.T as the debugger sees it */
  bool stepping;      /* exact run (count) in progress: block hook only observes */
  bool first_block;   /* exact run: the next block hook is its first block */
  uint32_t exact_start; /* PC where the exact run started */
  uint32_t stop_kind; /* why the emulation stopped (STOP_*) */
  uint32_t bp_k;      /* FPB hit: instructions before the comparator */
  bool sysreset_req, vectreset_req;
  bblock cur;         /* block being executed */
  bblock cache[BCACHE];

  /* pending fixup of a flash store (see top) */
  bool fix_on;
  uint8_t *fix_mem;
  uint8_t fix_bytes[8];
  unsigned fix_len;

  /* code invalidation; xmap[i]: one bit per halfword of region i that a
   * translated block covers (set when the block first runs, cleared when all
   * code is dropped), so debug writes to data never flush code */
  uint8_t **xmap;
  bool *blocked;      /* per region: mapped without access (read protection) */
  bool dirty_all;
  bool dirty;
  uint32_t dirty_lo, dirty_hi;

  /* debug + SCS registers */
  uint32_t dhcsr;     /* C_* bits */
  bool regrdy, retire_st, reset_st;
  uint32_t dcrdr, demcr, dfsr;
  uint32_t vtor, aircr, scr, ccr, shpr[3], shcsr, cfsr, hfsr, cpacr;
  uint32_t syst_csr, syst_rvr, syst_val;
  double syst_anchor;  /* cycle count at which syst_val was valid */
  bool syst_flag;
  uint32_t dwt_ctrl, dwt_comp[DWT_NCOMP][3];
  uint32_t cyccnt;
  double cyc_anchor;
  uint32_t fp_ctrl, fp_comp[FPB_MAX];
  const core_profile *prof;
};

enum { STOP_NONE = 0, STOP_BUDGET, STOP_BKPT, STOP_FAULT, STOP_FPB, STOP_RESET };

/* ------------------------------------------------------------------ */
/* Time                                                                */

static uint64_t core_now(const lf_core *c)
{
  if (c->seg_cyc <= 0 || c->hz <= 0)
    return c->seg_t0;
  return c->seg_t0 + (uint64_t)llround(c->seg_cyc * 1e9 / c->hz);
}

static double cycles_now(const lf_core *c) { return c->cyc_base + c->seg_cyc; }

/* Starts a new segment at time t (>= now); `running` counts the gap as core
 * cycles (stall, sleep) for SysTick/CYCCNT. */
static void rebase(lf_core *c, uint64_t t, bool running)
{
  uint64_t now = core_now(c);
  c->cyc_base += c->seg_cyc;
  c->run_base += now - c->seg_t0; /* a segment's own time is instruction time */
  if (t > now && running && c->hz > 0)
    c->cyc_base += (double)(t - now) * c->hz / 1e9;
  if (t > now && running)
    c->run_base += t - now;
  c->seg_t0 = t > now ? t : now;
  c->seg_cyc = 0;
}

static void sync_counters(lf_core *c)
{
  c->cnt.run_ns = c->run_base + (core_now(c) - c->seg_t0);
}

/* n instructions of `cyc` cycles (scan_insns; negative: undo). */
static void charge(lf_core *c, int64_t n, double cyc)
{
  c->seg_cyc += cyc;
  c->cnt.instructions += (uint64_t)n;
  c->cnt.cycles = (uint64_t)llround(c->cyc_base + c->seg_cyc);
  if (n > 0)
    c->retire_st = true;
}

/* ------------------------------------------------------------------ */
/* Memory helpers                                                      */

static const lf_soc_region *region_of(const lf_core *c, uint32_t addr)
{
  for (size_t i = 0; i < c->env.nregions; i++) {
    const lf_soc_region *r = &c->env.regions[i];
    if (addr >= r->base && addr - r->base < r->size)
      return r;
  }
  return NULL;
}

static bool read32(lf_core *c, uint32_t addr, uint32_t *v)
{
  const lf_soc_region *r = region_of(c, addr);
  if (r && r->blocked)
    return false;
  if (r && addr - r->base <= r->size - 4) {
    const uint8_t *m = r->mem + (addr - r->base);
    *v = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    return true;
  }
  uint64_t t = core_now(c);
  return lf_bus_read(&c->env.bus, LF_BUS_CORE, addr, 4, v, &t) == LF_BUS_OK;
}

/* Thumb: a halfword with top five bits 0b11101/0b11110/0b11111 starts a
 * 32-bit instruction (ARMv7-M A5.1). */
static bool is32(uint16_t hw) { return (hw >> 11) >= 0x1D; }

static uint16_t fetch16(lf_core *c, const lf_soc_region *r, uint32_t addr)
{
  uint16_t hw = 0;
  if (r && addr >= r->base && addr - r->base <= r->size - 2)
    hw = (uint16_t)(r->mem[addr - r->base] | r->mem[addr - r->base + 1] << 8);
  else
    uc_mem_read(c->uc, addr, &hw, 2);
  return hw;
}

/* Instruction classes of the cycle model (core_cycle_model = 1). Cycle
 * numbers: Cortex-M3/M4 instruction timing tables (ARM Cortex-M4 TRM 3.3,
 * TI SWCU192, M3 TRM table; params.c rows): data processing and MUL 1;
 * LDR 2, STR 2, and 1 for a single load or store that directly follows a
 * single load (address/data phases pipeline; nothing pipelines after a
 * store); LDRD/STRD 3; LDM/STM/PUSH/POP 1+N (+P with PC); B, BL, BX and
 * writes to PC 1+P; TBB/TBH 2+P; conditional branches and CBZ/CBNZ 1 plus
 * P when taken (added when the next block does not start at the fall-through
 * address, see hook_block); SDIV/UDIV core_div_cycles. The Cortex-M7 uses the
 * M4 numbers as an upper bound [unconf]. Cortex-M0+ (TRM): loads and stores
 * 2, LDM/STM/PUSH/POP 1+N, taken branch core_m0p_branch_taken (P = that - 1),
 * BL 3, POP with PC 3+N, MULS 1 (RP2040: single-cycle multiplier), no load
 * pipelining. IT-skipped instructions count as executed (bench choice). */
enum { K_OTHER, K_LOAD, K_STORE };

typedef struct icost {
  double cyc;     /* cycles, a conditional branch counted as not taken */
  bool cond_br;   /* B<c> / CBZ / CBNZ: + P when taken */
  int kind;       /* K_LOAD / K_STORE (single), for pipelining */
} icost;

static icost insn_cost(const lf_core *c, uint16_t h, uint16_t h2, bool wide, int prev)
{
  bool m0 = c->prof && c->prof->uc_model == UC_CPU_ARM_CORTEX_M0;
  double P = m0 ? c->p->core_m0p_branch_taken - 1 : c->p->core_branch_refill;
  double ldst = m0 ? 2 : (prev == K_LOAD ? 1 : 2);
  icost k = {1, false, K_OTHER};
  if (P < 0)
    P = 0;
  if (!wide) {
    if ((h & 0xF000) == 0x5000) { /* register offset: bits 11:9 >= 3 load */
      k.kind = ((h >> 9) & 7) >= 3 ? K_LOAD : K_STORE;
      k.cyc = ldst;
    } else if ((h & 0xE000) == 0x6000 || (h & 0xF000) == 0x8000 || (h & 0xF000) == 0x9000) {
      k.kind = (h & 0x0800) ? K_LOAD : K_STORE;
      k.cyc = ldst;
    } else if ((h & 0xF800) == 0x4800) { /* LDR literal */
      k.kind = K_LOAD;
      k.cyc = ldst;
    } else if ((h & 0xF600) == 0xB400) { /* PUSH / POP */
      unsigned n = (unsigned)__builtin_popcount(h & 0x1FFu);
      bool pc = (h & 0x0800) && (h & 0x0100);
      k.cyc = 1 + n + (pc ? P : 0);
    } else if ((h & 0xF000) == 0xC000) { /* STM / LDM */
      k.cyc = 1 + (unsigned)__builtin_popcount(h & 0xFFu);
    } else if ((h & 0xF000) == 0xD000 && ((h >> 8) & 0xE) != 0xE) { /* B<c> */
      k.cond_br = true;
    } else if ((h & 0xF500) == 0xB100) { /* CBZ / CBNZ */
      k.cond_br = true;
    } else if ((h & 0xF800) == 0xE000) { /* B */
      k.cyc = 1 + P;
    } else if ((h & 0xFF00) == 0x4700) { /* BX / BLX */
      k.cyc = 1 + P;
    } else if ((h & 0xFC00) == 0x4400 && ((h >> 8) & 3) != 1 && (h & 0x87) == 0x87) {
      k.cyc = 1 + P; /* ADD/MOV to PC */
    }
    return k;
  }
  if ((h & 0xFE00) == 0xF800) { /* single load/store, PLD */
    bool load = h & 0x0010;
    if (load && ((h2 >> 12) & 0xF) == 0xF && (h & 0x0060) == 0x0040) {
      k.cyc = ldst + P; /* LDR to PC */
    } else {
      k.kind = load ? K_LOAD : K_STORE;
      k.cyc = ldst;
    }
  } else if ((h & 0xFFF0) == 0xE8D0 && (h2 & 0xFFE0) == 0xF000) {
    k.cyc = 2 + P; /* TBB / TBH */
  } else if ((h & 0xFE40) == 0xE840) {
    k.cyc = (h & 0x0180) ? 3 : 2; /* LDRD/STRD : LDREX/STREX */
  } else if ((h & 0xFE40) == 0xE800) { /* LDM / STM */
    unsigned n = (unsigned)__builtin_popcount(h2 & 0xDFFFu);
    k.cyc = 1 + n + ((h & 0x0010) && (h2 & 0x8000) ? P : 0);
  } else if ((h & 0xFFD0) == 0xFB90) { /* SDIV / UDIV */
    k.cyc = c->p->core_div_cycles;
  } else if ((h & 0xF800) == 0xF000 && (h2 & 0x8000)) { /* branches, misc control */
    bool link = h2 & 0x4000, t4 = h2 & 0x1000; /* BL: 11x1; B.W (T4): 10x1; B<c>.W (T3): 10x0 */
    if (link) /* BL (M0+: 3 = 2 + P) */
      k.cyc = m0 ? 2 + P : 1 + P;
    else if (t4)
      k.cyc = 1 + P; /* B.W */
    else if (((h >> 6) & 0xE) != 0xE)
      k.cond_br = true; /* B<c>.W */
  }
  return k;
}

/* Instructions in [addr, end) and, in *cyc, their cycles (a conditional
 * branch as not taken; core_cycle_model 0: core_cpi each). *cond_end: the
 * last one is a conditional branch. */
static uint32_t scan_insns(lf_core *c, uint32_t addr, uint32_t end, double *cyc, bool *cond_end)
{
  const lf_soc_region *r = region_of(c, addr);
  bool model = c->p->core_cycle_model != 0;
  uint32_t n = 0;
  double sum = 0;
  int prev = K_OTHER;
  bool cond = false;
  while (addr < end) {
    uint16_t hw = fetch16(c, r, addr);
    bool wide = is32(hw);
    if (model) {
      icost k = insn_cost(c, hw, wide ? fetch16(c, r, addr + 2) : 0, wide, prev);
      sum += k.cyc;
      prev = k.kind;
      cond = k.cond_br;
    } else {
      sum += c->p->core_cpi > 0.01 ? c->p->core_cpi : 0.01;
    }
    addr += wide ? 4 : 2;
    n++;
  }
  if (cyc)
    *cyc = sum;
  if (cond_end)
    *cond_end = cond;
  return n;
}

static uint32_t count_insns(lf_core *c, uint32_t addr, uint32_t end)
{
  return scan_insns(c, addr, end, NULL, NULL);
}

/* Cycles of the first `count` instructions from addr (straight line). */
static double cycles_of_n(lf_core *c, uint32_t addr, uint64_t count)
{
  const lf_soc_region *r = region_of(c, addr);
  uint32_t a = addr;
  for (uint64_t i = 0; i < count; i++)
    a += is32(fetch16(c, r, a)) ? 4 : 2;
  double cyc = 0;
  scan_insns(c, addr, a, &cyc, NULL);
  return cyc;
}

static void apply_fixup(lf_core *c)
{
  if (c->fix_on) {
    memcpy(c->fix_mem, c->fix_bytes, c->fix_len);
    c->fix_on = false;
  }
}

/* Code can only come from the mapped regions (MMIO does not execute), so
 * removing their ranges empties the translation cache. uc_ctl_flush_tlb
 * (UC_CTL_TB_FLUSH) costs ~40 ms of host time in Unicorn 2.0.1; range
 * removal costs microseconds. */
static void remove_all_code(lf_core *c)
{
  for (size_t i = 0; i < c->env.nregions; i++) {
    const lf_soc_region *r = &c->env.regions[i];
    uc_ctl_remove_cache(c->uc, r->base, (uint64_t)r->base + r->size);
  }
}

static void flush_code(lf_core *c)
{
  if (c->dirty_all) {
    remove_all_code(c);
    c->cnt.code_flushes++;
    for (size_t i = 0; c->xmap && i < c->env.nregions; i++)
      memset(c->xmap[i], 0, c->env.regions[i].size / 16 + 1);
  } else if (c->dirty) {
    uc_ctl_remove_cache(c->uc, c->dirty_lo, (uint64_t)c->dirty_hi + 1);
    c->cnt.code_flushes++;
  }
  if (c->dirty_all || c->dirty)
    memset(c->cache, 0, sizeof c->cache);
  c->dirty_all = c->dirty = false;
}

static void mark_dirty(lf_core *c, uint32_t lo, uint32_t hi)
{
  if (!c->dirty) {
    c->dirty_lo = lo;
    c->dirty_hi = hi;
    c->dirty = true;
    return;
  }
  if (lo < c->dirty_lo) c->dirty_lo = lo;
  if (hi > c->dirty_hi) c->dirty_hi = hi;
}

/* Does region i hold translated code in the bytes [off, end]? */
static bool xmap_any(const lf_core *c, size_t i, uint32_t off, uint32_t end)
{
  const uint8_t *m = c->xmap[i];
  for (uint32_t h = off / 2; h <= end / 2; h++)
    if (m[h >> 3] & (1u << (h & 7)))
      return true;
  return false;
}

static void xmap_mark(lf_core *c, uint32_t addr, uint32_t size)
{
  const lf_soc_region *r = region_of(c, addr);
  if (!r || !c->xmap || size == 0)
    return;
  uint8_t *m = c->xmap[r - c->env.regions];
  uint32_t off = addr - r->base;
  uint32_t end = off + size - 1 < r->size ? off + size - 1 : r->size - 1;
  for (uint32_t h = off / 2; h <= end / 2; h++)
    m[h >> 3] |= (uint8_t)(1u << (h & 7));
}

void lf_core_invalidate_code(lf_core *c, uint32_t addr, uint32_t len)
{
  if (len == 0)
    return;
  const lf_soc_region *r = region_of(c, addr);
  if (!r) {
    /* Not a mapped memory: nothing the core executes changed directly. */
    return;
  }
  uint32_t off = addr - r->base;
  /* The same bytes may be visible at several addresses (flash + ITCM alias). */
  for (size_t i = 0; i < c->env.nregions; i++) {
    const lf_soc_region *q = &c->env.regions[i];
    if (q->mem != r->mem || off >= q->size)
      continue;
    uint32_t end = off + len - 1 < q->size ? off + len - 1 : q->size - 1;
    if (c->xmap && !xmap_any(c, i, off, end))
      continue; /* no translated block covers these bytes: nothing stale */
    mark_dirty(c, q->base + off, q->base + end);
  }
}

/* ------------------------------------------------------------------ */
/* State changes                                                       */

static void enter_halt(lf_core *c, uint32_t dfsr_bits)
{
  if (!c->halted)
    c->cnt.halts++;
  c->halted = true;
  c->sleeping = false;
  c->dfsr |= dfsr_bits;
  c->dhcsr |= C_HALT;
}

static void core_fault(lf_core *c)
{
  c->cnt.faults++;
  if (c->dhcsr & C_DEBUGEN)
    enter_halt(c, DFSR_VCATCH);
  else
    c->lockup = true;
}

/* SysTick (ARMv7-M B3.3): counts down from CVR; reaching 0 sets COUNTFLAG,
 * the next tick reloads RVR. CLKSOURCE=0: SYSCLK / params core_systick_ext_div. */
static double syst_ticks(const lf_core *c, double cyc)
{
  double div = c->p->core_systick_ext_div >= 1 ? c->p->core_systick_ext_div : 1;
  return (c->syst_csr & 4u) ? floor(cyc) : floor(cyc / div);
}

static void syst_update(lf_core *c)
{
  double now = cycles_now(c);
  if (!(c->syst_csr & 1u)) {
    c->syst_anchor = now;
    return;
  }
  double n = syst_ticks(c, now) - syst_ticks(c, c->syst_anchor);
  c->syst_anchor = now;
  if (n <= 0)
    return;
  if (n <= c->syst_val) {
    c->syst_val -= (uint32_t)n;
    if (c->syst_val == 0 && n > 0)
      c->syst_flag = true;
    return;
  }
  if (c->syst_val > 0)
    c->syst_flag = true;
  double m = n - c->syst_val - 1; /* ticks after the first reload */
  uint32_t rvr = c->syst_rvr & 0xFFFFFFu;
  if (rvr == 0) {
    c->syst_val = 0;
    return;
  }
  double period = (double)rvr + 1;
  if (m >= rvr)
    c->syst_flag = true;
  c->syst_val = rvr - (uint32_t)fmod(m, period);
}

static bool cyccnt_on(const lf_core *c) { return (c->dwt_ctrl & 1u) && (c->demcr & TRCENA); }

static void cyccnt_update(lf_core *c)
{
  double now = cycles_now(c);
  if (cyccnt_on(c))
    c->cyccnt += (uint32_t)(uint64_t)(floor(now) - floor(c->cyc_anchor));
  c->cyc_anchor = now;
}

static void clear_scs(lf_core *c)
{
  syst_update(c);
  c->vtor = 0; /* F7 13 #13: VTOR reset value unconfirmed */
  c->aircr = 0;
  c->scr = c->ccr = c->shcsr = c->cfsr = c->hfsr = c->cpacr = 0;
  memset(c->shpr, 0, sizeof c->shpr);
  c->syst_csr = c->syst_rvr = c->syst_val = 0;
  c->syst_flag = false;
}

static void clear_debug(lf_core *c)
{
  c->dhcsr = 0;
  c->dcrdr = 0;
  c->demcr = 0;
  c->dfsr = 0;
  c->dwt_ctrl = (c->prof ? c->prof->dwt_ncomp : (uint32_t)DWT_NCOMP) << 28;
  memset(c->dwt_comp, 0, sizeof c->dwt_comp);
  c->cyccnt = 0;
  c->fp_ctrl = 0;
  memset(c->fp_comp, 0, sizeof c->fp_comp);
}

/* Loads SP/PC from the vector table and arms the reset release. */
static void core_reset_regs(lf_core *c, uint64_t t)
{
  static const int zero_regs[] = {
    UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4,
    UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9,
    UC_ARM_REG_R10, UC_ARM_REG_R11, UC_ARM_REG_R12, UC_ARM_REG_PRIMASK,
    UC_ARM_REG_BASEPRI, UC_ARM_REG_FAULTMASK, UC_ARM_REG_CONTROL, UC_ARM_REG_FPSCR,
    UC_ARM_REG_PSP,
  };
  uint32_t zero = 0, ones = 0xFFFFFFFFu;
  for (size_t i = 0; i < sizeof zero_regs / sizeof zero_regs[0]; i++)
    uc_reg_write(c->uc, zero_regs[i], &zero);
  for (int i = 0; i < 32; i++)
    uc_reg_write(c->uc, UC_ARM_REG_S0 + i, &zero);
  uc_reg_write(c->uc, UC_ARM_REG_LR, &ones);
  uint32_t xpsr = 0x01000000u;
  uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
  uint32_t boot = c->env.boot_address ? c->env.boot_address(c->env.ctx) : 0;
  uint32_t sp = 0, pc = 0;
  bool ok = read32(c, boot, &sp) && read32(c, boot + 4, &pc);
  sp &= ~3u;
  uc_reg_write(c->uc, UC_ARM_REG_MSP, &sp);
  uc_reg_write(c->uc, UC_ARM_REG_SP, &sp);
  uint32_t pcv = pc & ~1u;
  uc_reg_write(c->uc, UC_ARM_REG_PC, &pcv);
  c->t_bit = ok && (pc & 1u);
  c->halted = c->sleeping = c->lockup = false;
  c->fix_on = false;
  c->dirty_all = true;
  c->reset_pending = true;
  c->reset_st = true;
  c->regrdy = true;
  c->run_at = t + (uint64_t)llround(c->p->core_reset_ns);
  c->cnt.resets++;
}

void lf_core_reset(lf_core *c, lf_core_reset_kind kind, uint64_t t_ns)
{
  rebase(c, t_ns, false);
  cyccnt_update(c);
  switch (kind) {
  case LF_CORE_RESET_POWER:
    clear_debug(c);
    clear_scs(c);
    break;
  case LF_CORE_RESET_SYSTEM:
  case LF_CORE_RESET_VECT:
    /* Debug domain (DHCSR.C_DEBUGEN, DEMCR, DFSR, FPB, DWT) survives; the
     * halt request does not [unconf: ARMv7-M leaves C_HALT after a local
     * reset to the implementation; tools use VC_CORERESET]. */
    c->dhcsr &= C_DEBUGEN;
    clear_scs(c);
    break;
  }
  c->hz = c->env.sysclk_hz ? c->env.sysclk_hz(c->env.ctx) : c->p->core_hsi_hz;
  core_reset_regs(c, core_now(c));
  sync_counters(c);
}

/* At the end of the reset window: vector catch or run. */
static void leave_reset(lf_core *c)
{
  c->reset_pending = false;
  if ((c->demcr & VC_CORERESET) && (c->dhcsr & C_DEBUGEN))
    enter_halt(c, DFSR_VCATCH);
  else if ((c->dhcsr & (C_DEBUGEN | C_HALT)) == (C_DEBUGEN | C_HALT))
    enter_halt(c, DFSR_HALTED); /* halt requested during the reset window */
}

void lf_core_set_nrst(lf_core *c, bool asserted, uint64_t t_ns)
{
  lf_core_catch_up(c, t_ns);
  if (asserted == c->nrst)
    return;
  c->nrst = asserted;
  if (asserted) {
    rebase(c, t_ns, false);
    c->reset_st = true;
    c->halted = c->sleeping = c->lockup = false;
    return;
  }
  lf_core_reset(c, LF_CORE_RESET_SYSTEM, t_ns);
}

/* ------------------------------------------------------------------ */
/* PPB registers                                                       */

/* The SoC's table of the core's components when it gives one (its ROM
 * tables around the core), else the profile's; an ST-designed table (JEP106
 * 0x20) carries the chip's DEV_ID as part number. */
static uint32_t ident_reg(const lf_core *c, uint32_t addr, bool *hit)
{
  const core_profile *pr = c->prof;
  if (c->env.rom)
    return lf_cs_ident_read(c->env.rom, c->env.nrom, addr, (uint16_t)(c->env.idcode & 0xFFFu), hit);
  return lf_cs_ident_read(pr->idents, pr->nidents, addr, (uint16_t)(c->env.idcode & 0xFFFu), hit);
}

static bool read_reg(lf_core *c, unsigned sel, uint32_t *v)
{
  if (sel <= 12) return uc_reg_read(c->uc, UC_ARM_REG_R0 + (int)sel, v) == UC_ERR_OK;
  switch (sel) {
  case 13: return uc_reg_read(c->uc, UC_ARM_REG_SP, v) == UC_ERR_OK;
  case 14: return uc_reg_read(c->uc, UC_ARM_REG_LR, v) == UC_ERR_OK;
  case 15: return uc_reg_read(c->uc, UC_ARM_REG_PC, v) == UC_ERR_OK;
  case 16: {
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, v);
    *v = (*v & ~0x01000000u) | (c->t_bit ? 0x01000000u : 0);
    return true;
  }
  case 17: return uc_reg_read(c->uc, UC_ARM_REG_MSP, v) == UC_ERR_OK;
  case 18: return uc_reg_read(c->uc, UC_ARM_REG_PSP, v) == UC_ERR_OK;
  case 20: {
    uint32_t ctl = 0, fm = 0, bp = 0, pm = 0;
    uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &ctl);
    uc_reg_read(c->uc, UC_ARM_REG_FAULTMASK, &fm);
    uc_reg_read(c->uc, UC_ARM_REG_BASEPRI, &bp);
    uc_reg_read(c->uc, UC_ARM_REG_PRIMASK, &pm);
    *v = (ctl & 0xFF) << 24 | (fm & 0xFF) << 16 | (bp & 0xFF) << 8 | (pm & 0xFF);
    return true;
  }
  case 0x21: return uc_reg_read(c->uc, UC_ARM_REG_FPSCR, v) == UC_ERR_OK;
  default:
    if (sel >= 0x40 && sel <= 0x5F)
      return uc_reg_read(c->uc, UC_ARM_REG_S0 + (int)(sel - 0x40), v) == UC_ERR_OK;
    *v = 0;
    return false;
  }
}

static void write_reg(lf_core *c, unsigned sel, uint32_t v)
{
  if (sel <= 12) { uc_reg_write(c->uc, UC_ARM_REG_R0 + (int)sel, &v); return; }
  switch (sel) {
  case 13: uc_reg_write(c->uc, UC_ARM_REG_SP, &v); return;
  case 14: uc_reg_write(c->uc, UC_ARM_REG_LR, &v); return;
  case 15: v &= ~1u; uc_reg_write(c->uc, UC_ARM_REG_PC, &v); return;
  case 16: {
    c->t_bit = (v >> 24) & 1u;
    uint32_t x = v | 0x01000000u; /* Unicorn keeps Thumb; T=0 faults at resume */
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &x);
    return;
  }
  case 17: uc_reg_write(c->uc, UC_ARM_REG_MSP, &v); return;
  case 18: uc_reg_write(c->uc, UC_ARM_REG_PSP, &v); return;
  case 20: {
    uint32_t ctl = v >> 24 & 0xFF, fm = v >> 16 & 0xFF, bp = v >> 8 & 0xFF, pm = v & 0xFF;
    uc_reg_write(c->uc, UC_ARM_REG_PRIMASK, &pm);
    uc_reg_write(c->uc, UC_ARM_REG_BASEPRI, &bp);
    uc_reg_write(c->uc, UC_ARM_REG_FAULTMASK, &fm);
    uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &ctl);
    return;
  }
  case 0x21: uc_reg_write(c->uc, UC_ARM_REG_FPSCR, &v); return;
  default:
    if (sel >= 0x40 && sel <= 0x5F)
      uc_reg_write(c->uc, UC_ARM_REG_S0 + (int)(sel - 0x40), &v);
    return;
  }
}

static void do_step(lf_core *c);

static void dhcsr_write(lf_core *c, lf_bus_master m, uint32_t v)
{
  if ((v & 0xFFFF0000u) != DBGKEY)
    return;
  if (m == LF_BUS_CORE)
    return; /* bench decision: software writes to DHCSR are ignored (C_DEBUGEN is debugger-only) */
  uint32_t ctl = v & (C_DEBUGEN | C_HALT | C_STEP | C_MASKINTS | C_SNAPSTALL);
  if (!(ctl & C_DEBUGEN))
    ctl = 0; /* clearing C_DEBUGEN clears the others and resumes */
  bool was_halted = c->halted;
  c->dhcsr = ctl;
  if (c->nrst || c->reset_pending)
    return; /* applied when the core leaves reset */
  if (ctl & C_HALT) {
    if (!c->halted) {
      enter_halt(c, DFSR_HALTED);
      c->lockup = false;
    }
    return;
  }
  if (!was_halted)
    return;
  c->halted = false;
  if (ctl & C_STEP)
    do_step(c);
}

static int scs_read(lf_core *c, uint32_t addr, uint32_t *v)
{
  switch (addr) {
  case R_ICTR: *v = c->prof->ictr; return 0;
  case R_SYST_CSR:
    syst_update(c);
    *v = (c->syst_csr & 7u) | (c->syst_flag ? 1u << 16 : 0);
    c->syst_flag = false;
    return 0;
  case R_SYST_RVR: *v = c->syst_rvr; return 0;
  case R_SYST_CVR: syst_update(c); *v = c->syst_val; return 0;
  case R_SYST_CALIB: *v = SYST_CALIB_VALUE; return 0;
  case R_CPUID: *v = c->env.cpuid; return 0;
  case R_ICSR: *v = 0; return 0;
  case R_VTOR: *v = c->vtor; return 0;
  case R_AIRCR: *v = VECTKEYSTAT | (c->aircr & 0x700u); return 0;
  case R_SCR: *v = c->scr; return 0;
  case R_CCR: *v = c->ccr | 0x200u; return 0; /* STKALIGN reads 1 on ARMv7-M r1 [unconf] */
  case R_SHPR1: case R_SHPR2: case R_SHPR3: *v = c->shpr[(addr - R_SHPR1) / 4]; return 0;
  case R_SHCSR: *v = c->shcsr; return 0;
  case R_CFSR: *v = c->cfsr; return 0;
  case R_HFSR: *v = c->hfsr; return 0;
  case R_DFSR: *v = c->dfsr; return 0;
  case R_CPACR: *v = c->cpacr; return 0;
  case R_DHCSR: {
    uint32_t r = c->dhcsr & 0xFFFFu;
    if (c->regrdy) r |= S_REGRDY;
    if (c->halted) r |= S_HALT;
    if (c->sleeping) r |= S_SLEEP;
    if (c->lockup) r |= S_LOCKUP;
    if (c->retire_st) r |= S_RETIRE_ST;
    if (c->reset_st) r |= S_RESET_ST;
    c->retire_st = false;
    c->reset_st = c->nrst; /* sticky; re-set while reset is held */
    *v = r;
    return 0;
  }
  case R_DCRSR: *v = 0; return 0;
  case R_DCRDR: *v = c->dcrdr; return 0;
  case R_DEMCR: *v = c->demcr; return 0;
  case R_DWT_CTRL: *v = c->dwt_ctrl; return 0;
  case R_DWT_CYCCNT: cyccnt_update(c); *v = c->cyccnt; return 0;
  case R_FP_CTRL: *v = fp_ctrl_ro(c->prof) | (c->fp_ctrl & 1u); return 0;
  case R_FP_REMAP: *v = 0; return 0;
  case R_MVFR0: *v = c->prof->mvfr0; return 0;
  case R_MVFR1: *v = c->prof->mvfr1; return 0;
  case R_MVFR2: *v = c->prof->mvfr2; return 0;
  default: break;
  }
  if (addr >= R_FP_COMP0 && addr < R_FP_COMP0 + 4 * fpb_ncomp(c->prof)) {
    *v = c->fp_comp[(addr - R_FP_COMP0) / 4];
    return 0;
  }
  if (addr >= 0xE0001020u && addr < 0xE0001020u + 16 * DWT_NCOMP && (addr & 0xC) != 0xC) {
    *v = c->dwt_comp[(addr - 0xE0001020u) / 16][(addr & 0xC) / 4];
    return 0;
  }
  bool hit;
  *v = ident_reg(c, addr, &hit);
  return 0; /* other PPB addresses read 0 (bench decision) */
}

static void scs_write(lf_core *c, lf_bus_master m, uint32_t addr, uint32_t v)
{
  switch (addr) {
  case R_SYST_CSR:
    syst_update(c);
    c->syst_csr = v & 7u;
    return;
  case R_SYST_RVR: c->syst_rvr = v & 0xFFFFFFu; return;
  case R_SYST_CVR: syst_update(c); c->syst_val = 0; c->syst_flag = false; return;
  case R_VTOR: c->vtor = v & 0xFFFFFF80u; return;
  case R_AIRCR:
    if ((v >> 16) != VECTKEY)
      return;
    c->aircr = v & 0x700u;
    if (v & SYSRESETREQ)
      c->sysreset_req = true;
    else if (v & VECTRESET)
      c->vectreset_req = true;
    return;
  case R_SCR: c->scr = v & 0x16u; return;
  case R_CCR: c->ccr = v & c->prof->ccr_mask; return;
  case R_SHPR1: case R_SHPR2: case R_SHPR3: c->shpr[(addr - R_SHPR1) / 4] = v; return;
  case R_SHCSR: c->shcsr = v & 0x00070000u; return;
  case R_CFSR: c->cfsr &= ~v; return;
  case R_HFSR: c->hfsr &= ~v; return;
  case R_DFSR: c->dfsr &= ~(v & 0x1Fu); return;
  case R_CPACR: c->cpacr = v & 0x00F00000u; return;
  case R_DHCSR: dhcsr_write(c, m, v); return;
  case R_DCRSR: {
    unsigned sel = v & 0x7Fu;
    if (!c->halted) {
      c->regrdy = false; /* no transfer while running (F7 11.3: valid only while halted) */
      return;
    }
    if (v & (1u << 16))
      write_reg(c, sel, c->dcrdr);
    else
      read_reg(c, sel, &c->dcrdr);
    c->regrdy = true;
    return;
  }
  case R_DCRDR: c->dcrdr = v; return;
  case R_DEMCR: cyccnt_update(c); c->demcr = v & DEMCR_MASK; return;
  case R_DWT_CTRL: cyccnt_update(c); c->dwt_ctrl = (c->dwt_ctrl & 0xF0000000u) | (v & 0x0FFFFFFFu); return;
  case R_DWT_CYCCNT: cyccnt_update(c); c->cyccnt = v; return;
  case R_FP_CTRL:
    if (v & 2u)
      c->fp_ctrl = v & 1u; /* KEY must be 1 (F7 11.7) */
    return;
  default: break;
  }
  if (addr >= R_FP_COMP0 && addr < R_FP_COMP0 + 4 * fpb_ncomp(c->prof)) {
    /* FPBv1: bits 29 and 1 are reserved (ARMv7-M C1.11.5) */
    c->fp_comp[(addr - R_FP_COMP0) / 4] = c->prof->fpb_rev == 0 ? v & 0xDFFFFFFDu : v;
    return;
  }
  if (addr >= 0xE0001020u && addr < 0xE0001020u + 16 * DWT_NCOMP && (addr & 0xC) != 0xC)
    c->dwt_comp[(addr - 0xE0001020u) / 16][(addr & 0xC) / 4] = v;
}

static void take_reset_requests(lf_core *c)
{
  if (c->sysreset_req) {
    c->sysreset_req = c->vectreset_req = false;
    uint64_t t = core_now(c);
    if (c->env.system_reset)
      c->env.system_reset(c->env.ctx, t);
    else
      lf_core_reset(c, LF_CORE_RESET_SYSTEM, t);
  } else if (c->vectreset_req) {
    c->vectreset_req = false;
    lf_core_reset(c, LF_CORE_RESET_VECT, core_now(c));
  }
}

int lf_core_ppb_access(lf_core *c, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                       uint32_t *val, uint64_t *t_ns)
{
  if (m == LF_BUS_DEBUG)
    lf_core_catch_up(c, *t_ns);
  uint32_t a = addr & ~3u;
  unsigned sh = (addr & 3u) * 8;
  if (write) {
    uint32_t v = *val;
    if (size < 4) {
      uint32_t old = 0, mask = (size == 1 ? 0xFFu : 0xFFFFu) << sh;
      scs_read(c, a, &old);
      if (a == R_DHCSR || a == R_SYST_CSR) old &= 0xFFFFu; /* reading must not clear flags */
      v = (old & ~mask) | ((v << sh) & mask);
    }
    scs_write(c, m, a, v);
    if (m == LF_BUS_DEBUG)
      take_reset_requests(c);
  } else {
    uint32_t v = 0;
    scs_read(c, a, &v);
    if (size == 1) v = (v >> sh) & 0xFFu;
    else if (size == 2) v = (v >> sh) & 0xFFFFu;
    *val = v;
  }
  if (m == LF_BUS_DEBUG)
    sync_counters(c);
  return LF_BUS_OK;
}

/* ------------------------------------------------------------------ */
/* Unicorn callbacks                                                   */

static bblock *block_info(lf_core *c, uint32_t addr, uint32_t size)
{
  bblock *b = &c->cache[(addr >> 1) & (BCACHE - 1)];
  if (b->addr != addr || b->size != size || b->n == 0) {
    b->addr = addr;
    b->size = size;
    b->n = scan_insns(c, addr, addr + size, &b->cyc, &b->cond_end);
    xmap_mark(c, addr, size); /* first run of this block since the cache was cleared */
  }
  return b;
}

static bool fpb_in(const lf_core *c, uint32_t lo, uint32_t hi, uint32_t *hit)
{
  if (!(c->fp_ctrl & 1u))
    return false;
  bool found = false;
  for (uint32_t i = 0; i < c->prof->fpb_ncode; i++) {
    uint32_t v = c->fp_comp[i];
    if (!(v & 1u))
      continue;
    uint32_t a[2];
    unsigned n = 0;
    if (c->prof->fpb_rev == 0) {
      /* FPBv1: COMP[28:2] in the code region; REPLACE 01 = lower halfword,
       * 10 = upper, 11 = both, 00 = remap (not modeled: no breakpoint). */
      uint32_t w = v & 0x1FFFFFFCu, rep = v >> 30;
      if (rep & 1u) a[n++] = w;
      if (rep & 2u) a[n++] = w + 2;
    } else {
      a[n++] = v & 0xFFFFFFFEu; /* FPBv2: BPADDR[31:1] */
    }
    for (unsigned k = 0; k < n; k++)
      if (a[k] >= lo && a[k] < hi && (!found || a[k] < *hit)) {
        *hit = a[k];
        found = true;
      }
  }
  return found;
}

static void hook_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
  lf_core *c = user;
  apply_fixup(c);
  uint32_t addr = (uint32_t)address;
  if (c->stepping) {
    xmap_mark(c, addr, size); /* translated, whether it runs or not */
    if (!c->first_block)
      uc_emu_stop(uc); /* an exact run never leaves its first block */
    c->first_block = false;
    return;
  }
  uint32_t bp = 0;
  if (fpb_in(c, addr, addr + size, &bp)) {
    xmap_mark(c, addr, size);
    c->bp_k = count_insns(c, addr, bp);
    c->stop_kind = STOP_FPB;
    c->cur = (bblock){.addr = addr, .size = size};
    uc_emu_stop(uc);
    return;
  }
  if (core_now(c) >= c->target || c->halted) {
    xmap_mark(c, addr, size);
    c->stop_kind = STOP_BUDGET;
    c->cur = (bblock){.addr = addr, .size = size};
    uc_emu_stop(uc);
    return;
  }
  /* The previous block ended with a conditional branch and this block is
   * not its fall-through: the branch was taken (+P, insn_cost). */
  if (c->cur.n && c->cur.cond_end && addr != c->cur.addr + c->cur.size &&
      c->p->core_cycle_model != 0) {
    bool m0 = c->prof && c->prof->uc_model == UC_CPU_ARM_CORTEX_M0;
    double P = m0 ? c->p->core_m0p_branch_taken - 1 : c->p->core_branch_refill;
    if (P > 0)
      charge(c, 0, P);
  }
  bblock *b = block_info(c, addr, size);
  c->cur = *b;
  charge(c, b->n, b->cyc);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
  lf_core *c = user;
  apply_fixup(c);
  c->stop_kind = intno == 7 ? STOP_BKPT : STOP_FAULT; /* 7 = EXCP_BKPT */
  uc_emu_stop(uc);
}

static void hook_read(uc_engine *uc, uc_mem_type type, uint64_t a, int size, int64_t v, void *user)
{
  apply_fixup(user);
}

static bool hook_wprot(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
                       void *user)
{
  lf_core *c = user;
  apply_fixup(c);
  uint32_t addr = (uint32_t)address;
  uint64_t t = core_now(c);
  int rc = lf_bus_write(&c->env.bus, LF_BUS_CORE, addr, (unsigned)size, (uint32_t)value, &t);
  if (t > core_now(c))
    rebase(c, t, true);
  const lf_soc_region *r = region_of(c, addr);
  if (rc != LF_BUS_OK || !r || size > 8 || addr - r->base > r->size - (uint32_t)size) {
    c->stop_kind = STOP_FAULT;
    return false;
  }
  c->fix_mem = r->mem + (addr - r->base);
  c->fix_len = (unsigned)size;
  memcpy(c->fix_bytes, c->fix_mem, (size_t)size);
  c->fix_on = true;
  lf_core_invalidate_code(c, addr, (uint32_t)size);
  return true;
}

typedef struct mmio_ctx { lf_core *c; uint32_t base; bool ppb; } mmio_ctx;

static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
  mmio_ctx *x = user;
  lf_core *c = x->c;
  apply_fixup(c);
  uint32_t addr = x->base + (uint32_t)off, v = 0;
  uint64_t t = core_now(c);
  if (x->ppb) {
    lf_core_ppb_access(c, LF_BUS_CORE, addr, size, false, &v, &t);
    return v;
  }
  if (lf_bus_read(&c->env.bus, LF_BUS_CORE, addr, size, &v, &t) != LF_BUS_OK) {
    c->stop_kind = STOP_FAULT;
    uc_emu_stop(uc);
  }
  if (t > core_now(c))
    rebase(c, t, true);
  return v;
}

static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t value, void *user)
{
  mmio_ctx *x = user;
  lf_core *c = x->c;
  apply_fixup(c);
  uint32_t addr = x->base + (uint32_t)off, v = (uint32_t)value;
  uint64_t t = core_now(c);
  if (x->ppb) {
    lf_core_ppb_access(c, LF_BUS_CORE, addr, size, true, &v, &t);
    if (c->sysreset_req || c->vectreset_req) {
      c->stop_kind = STOP_RESET;
      uc_emu_stop(uc);
    }
    return;
  }
  if (lf_bus_write(&c->env.bus, LF_BUS_CORE, addr, size, v, &t) != LF_BUS_OK) {
    c->stop_kind = STOP_FAULT;
    uc_emu_stop(uc);
  }
  if (t > core_now(c))
    rebase(c, t, true);
  /* SYSCLK may change with this write (RCC_CFGR.SW): new cycles use it. */
  double hz = c->env.sysclk_hz ? c->env.sysclk_hz(c->env.ctx) : c->hz;
  if (hz != c->hz) {
    rebase(c, core_now(c), true);
    c->hz = hz;
  }
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

/* Was the instruction before pc a WFI/WFE (16- or 32-bit encoding)? */
static bool after_wait(lf_core *c, uint32_t pc)
{
  uint16_t h[2] = {0, 0};
  if (uc_mem_read(c->uc, pc - 2, &h[1], 2) != UC_ERR_OK)
    return false;
  if (h[1] == 0xBF30u || h[1] == 0xBF20u)
    return true;
  if (uc_mem_read(c->uc, pc - 4, &h[0], 2) != UC_ERR_OK)
    return false;
  return h[0] == 0xF3AFu && (h[1] == 0x8003u || h[1] == 0x8002u);
}

static uint32_t get_pc(lf_core *c)
{
  uint32_t pc = 0;
  uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
  return pc;
}

/* Undo the part of the current block that did not execute (stopped at pc). */
static void uncharge_rest(lf_core *c, uint32_t pc)
{
  if (c->cur.n && pc >= c->cur.addr && pc < c->cur.addr + c->cur.size) {
    double cyc = 0;
    uint32_t done = scan_insns(c, c->cur.addr, pc, &cyc, NULL);
    charge(c, (int64_t)done - (int64_t)c->cur.n, cyc - c->cur.cyc);
  }
  c->cur.n = 0;
}

/* Maps regions whose read-protection state changed since the last run. */
static void sync_blocked(lf_core *c)
{
  for (size_t i = 0; c->blocked && i < c->env.nregions; i++) {
    const lf_soc_region *r = &c->env.regions[i];
    if (r->blocked == c->blocked[i])
      continue;
    uint32_t prot = r->blocked ? UC_PROT_NONE
                               : r->writable ? UC_PROT_ALL : (UC_PROT_READ | UC_PROT_EXEC);
    uc_mem_protect(c->uc, r->base, r->size, prot);
    uc_ctl_remove_cache(c->uc, r->base, (uint64_t)r->base + r->size);
    c->blocked[i] = r->blocked;
  }
}

/* Runs `count` instructions exactly (0 = until the block hook stops). */
static uc_err emu(lf_core *c, uint64_t count)
{
  sync_blocked(c);
  flush_code(c);
  /* Unicorn 2.0.1 counts instructions (count > 0) with a code hook that only
   * blocks translated after it was installed contain: an exact run (step, FPB
   * hit) first drops the blocks containing the PC; the block hook stops it at
   * any later block (not counted as a code flush: memory did not change). */
  if (count > 0) {
    uint32_t pc = get_pc(c);
    uc_ctl_remove_cache(c->uc, pc, (uint64_t)pc + 4);
  }
  c->first_block = true;
  c->exact_start = get_pc(c);
  c->stop_kind = STOP_NONE;
  c->cur = (bblock){.n = 0};
  uc_err e = uc_emu_start(c->uc, get_pc(c) | 1u, 0xFFFFFFFFu, 0, (size_t)count);
  apply_fixup(c);
  return e;
}

static void after_stop(lf_core *c, uc_err e, bool exact, uint64_t count)
{
  uint32_t pc = get_pc(c);
  /* Unicorn 2.0.1 ends a run after WFE with UC_ERR_INSN_INVALID and the PC
   * past the WFE (seen in an experiment): that is a wait, not a fault. */
  if (e == UC_ERR_INSN_INVALID && c->stop_kind == STOP_NONE && after_wait(c, pc))
    e = UC_ERR_OK;
  if (exact) {
    /* straight-line within one block: what retired is what lies before pc */
    if (c->stop_kind == STOP_NONE && e == UC_ERR_OK) {
      charge(c, (int64_t)count, cycles_of_n(c, c->exact_start, count));
    } else if (pc >= c->exact_start && pc - c->exact_start < 4 * count) {
      double cyc = 0;
      uint32_t n = scan_insns(c, c->exact_start, pc, &cyc, NULL);
      charge(c, n, cyc);
    }
  } else if ((c->stop_kind != STOP_NONE && c->stop_kind != STOP_BUDGET) || e != UC_ERR_OK) {
    if (c->stop_kind != STOP_RESET)
      uncharge_rest(c, pc);
  }
  if (e != UC_ERR_OK && c->stop_kind == STOP_NONE)
    c->stop_kind = STOP_FAULT;
  switch (c->stop_kind) {
  case STOP_BKPT: enter_halt(c, DFSR_BKPT); break;
  case STOP_FAULT: core_fault(c); break;
  case STOP_RESET: take_reset_requests(c); break;
  case STOP_NONE:
    /* Unicorn returns by itself after WFI/WFE (nothing else ends a run);
     * without interrupts nothing sets the event register either. */
    if (e == UC_ERR_OK && !exact && after_wait(c, pc))
      c->sleeping = true;
    break;
  default: break;
  }
}

static void do_step(lf_core *c)
{
  c->cnt.steps++;
  c->halted = false;
  c->sleeping = false;
  if (!c->t_bit) {
    core_fault(c);
    enter_halt(c, DFSR_HALTED);
    return;
  }
  c->stepping = true;
  c->target = UINT64_MAX;
  uc_err e = emu(c, 1);
  c->stepping = false;
  after_stop(c, e, true, 1);
  if (!c->halted && !c->nrst && !c->reset_pending && !c->lockup)
    enter_halt(c, DFSR_HALTED);
}

static bool runnable(const lf_core *c)
{
  return !c->nrst && !c->halted && !c->lockup && !c->reset_pending && !c->sleeping;
}

static void catch_up(lf_core *c, uint64_t t_ns);

void lf_core_catch_up(lf_core *c, uint64_t t_ns)
{
  catch_up(c, t_ns);
  sync_counters(c);
}

static void catch_up(lf_core *c, uint64_t t_ns)
{
  for (int guard = 0; guard < 1000000; guard++) {
    uint64_t now = core_now(c);
    if (now >= t_ns)
      return;
    if (c->nrst || c->halted || c->lockup) {
      rebase(c, t_ns, false);
      return;
    }
    if (c->reset_pending) {
      if (t_ns < c->run_at) {
        rebase(c, t_ns, false);
        return;
      }
      rebase(c, c->run_at, false);
      c->hz = c->env.sysclk_hz ? c->env.sysclk_hz(c->env.ctx) : c->p->core_hsi_hz;
      syst_update(c);
      cyccnt_update(c);
      leave_reset(c);
      continue;
    }
    if (c->sleeping) {
      rebase(c, t_ns, true);
      return;
    }
    if (!c->t_bit) {
      core_fault(c); /* INVSTATE: EPSR.T = 0 */
      continue;
    }
    double hz = c->env.sysclk_hz ? c->env.sysclk_hz(c->env.ctx) : c->hz;
    if (hz != c->hz) {
      rebase(c, now, true);
      c->hz = hz;
    }
    if (c->hz <= 0) {
      rebase(c, t_ns, false);
      return;
    }
    c->target = t_ns;
    uc_err e = emu(c, 0);
    if (c->stop_kind == STOP_FPB) {
      uint32_t k = c->bp_k;
      if (k > 0) {
        c->stepping = true;
        e = emu(c, k);
        c->stepping = false;
        after_stop(c, e, true, k);
      }
      if (runnable(c))
        enter_halt(c, DFSR_BKPT);
      continue;
    }
    after_stop(c, e, false, 0);
  }
}

/* ------------------------------------------------------------------ */
/* Construction                                                        */

typedef struct span { uint32_t lo; uint64_t hi; } span; /* [lo, hi) */

static int map_mmio(lf_core *c, mmio_ctx **ctxs, size_t *nctx, uint32_t base, uint64_t end,
                    bool ppb, char *err, size_t errlen)
{
  if (end <= base)
    return 0;
  mmio_ctx *x = calloc(1, sizeof *x);
  if (!x) {
    snprintf(err, errlen, "core: out of memory");
    return -1;
  }
  *x = (mmio_ctx){c, base, ppb};
  ctxs[(*nctx)++] = x;
  uc_err e = uc_mmio_map(c->uc, base, (size_t)(end - base), mmio_read, x, mmio_write, x);
  if (e != UC_ERR_OK) {
    snprintf(err, errlen, "core: mmio map 0x%08x-0x%08llx: %s", base,
             (unsigned long long)end, uc_strerror(e));
    return -1;
  }
  return 0;
}

#define MAX_MMIO 64

/* Kept with the core so the contexts are freed with it. */
typedef struct core_alloc { lf_core core; mmio_ctx *ctx[MAX_MMIO]; size_t nctx; } core_alloc;

static int cmp_region(const void *a, const void *b)
{
  const lf_soc_region *x = *(const lf_soc_region *const *)a, *y = *(const lf_soc_region *const *)b;
  return x->base < y->base ? -1 : x->base > y->base;
}

lf_core *lf_core_new(const lf_core_env *env, const lf_bench_params *p, char *err, size_t errlen)
{
  const core_profile *prof = profile_of(env->cpuid);
  if (!prof) {
    snprintf(err, errlen, "core: CPUID 0x%08x (part 0x%03x) is not a modeled core (known: "
             "Cortex-M7 0xC27, Cortex-M4 0xC24, Cortex-M3 0xC23)", env->cpuid, (env->cpuid >> 4) & 0xFFFu);
    return NULL;
  }
  core_alloc *ca = calloc(1, sizeof *ca);
  if (!ca) {
    snprintf(err, errlen, "core: out of memory");
    return NULL;
  }
  lf_core *c = &ca->core;
  c->env = *env;
  c->prof = prof;
  c->p = p;
  c->hz = p->core_hsi_hz;
  uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &c->uc);
  if (e != UC_ERR_OK) {
    snprintf(err, errlen, "core: uc_open: %s", uc_strerror(e));
    free(ca);
    return NULL;
  }
  uc_ctl_set_cpu_model(c->uc, c->prof->uc_model);
  const lf_soc_region **sorted = calloc(env->nregions ? env->nregions : 1, sizeof *sorted);
  if (!sorted) {
    snprintf(err, errlen, "core: out of memory");
    goto fail;
  }
  for (size_t i = 0; i < env->nregions; i++)
    sorted[i] = &env->regions[i];
  qsort(sorted, env->nregions, sizeof *sorted, cmp_region);
  uc_hook h;
  for (size_t i = 0; i < env->nregions; i++) {
    const lf_soc_region *r = sorted[i];
    uint32_t prot = r->writable ? UC_PROT_ALL : (UC_PROT_READ | UC_PROT_EXEC);
    e = uc_mem_map_ptr(c->uc, r->base, r->size, prot, r->mem);
    if (e != UC_ERR_OK) {
      snprintf(err, errlen, "core: map %s 0x%08x+0x%x: %s", r->name, r->base, r->size,
               uc_strerror(e));
      free(sorted);
      goto fail;
    }
    if (!r->writable)
      uc_hook_add(c->uc, &h, UC_HOOK_MEM_READ, hook_read, c, r->base,
                  (uint64_t)r->base + r->size - 1);
  }
  /* Everything else: the PPB (ours, minus DBGMCU) and the bus (the SoC
   * decides what answers and what is a bus error). */
  uint64_t cur = 0;
  int rc = 0;
  for (size_t i = 0; i <= env->nregions && rc == 0; i++) {
    uint64_t next = i < env->nregions ? sorted[i]->base : 0x100000000ull;
    uint64_t lo = cur, hi = next;
    /* split around the PPB */
    if (lo < PPB_BASE && hi > PPB_BASE) {
      rc |= map_mmio(c, ca->ctx, &ca->nctx, (uint32_t)lo, PPB_BASE, false, err, errlen);
      lo = PPB_BASE;
    }
    if (lo >= PPB_BASE && lo < (uint64_t)PPB_BASE + PPB_SIZE && rc == 0) {
      uint64_t pe = hi < (uint64_t)PPB_BASE + PPB_SIZE ? hi : (uint64_t)PPB_BASE + PPB_SIZE;
      rc |= map_mmio(c, ca->ctx, &ca->nctx, (uint32_t)lo, DBGMCU_BASE, true, err, errlen);
      rc |= rc ? 0 : map_mmio(c, ca->ctx, &ca->nctx, DBGMCU_BASE, DBGMCU_BASE + DBGMCU_SIZE,
                              false, err, errlen);
      rc |= rc ? 0 : map_mmio(c, ca->ctx, &ca->nctx, DBGMCU_BASE + DBGMCU_SIZE, pe, true, err,
                              errlen);
      lo = pe;
    }
    if (rc == 0 && hi > lo)
      rc |= map_mmio(c, ca->ctx, &ca->nctx, (uint32_t)lo, hi, false, err, errlen);
    if (i < env->nregions)
      cur = (uint64_t)sorted[i]->base + sorted[i]->size;
    if (ca->nctx > MAX_MMIO - 4 && rc == 0) {
      snprintf(err, errlen, "core: too many memory regions");
      rc = -1;
    }
  }
  free(sorted);
  if (rc != 0)
    goto fail;
  c->xmap = calloc(env->nregions ? env->nregions : 1, sizeof *c->xmap);
  for (size_t i = 0; c->xmap && i < env->nregions; i++)
    if (!(c->xmap[i] = calloc(env->regions[i].size / 16 + 1, 1))) {
      snprintf(err, errlen, "core: out of memory");
      goto fail;
    }
  if (!c->xmap) {
    snprintf(err, errlen, "core: out of memory");
    goto fail;
  }
  c->blocked = calloc(env->nregions ? env->nregions : 1, sizeof *c->blocked);
  if (!c->blocked) {
    snprintf(err, errlen, "core: out of memory");
    goto fail;
  }
  uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, hook_block, c, 1, 0);
  uc_hook_add(c->uc, &h, UC_HOOK_INTR, hook_intr, c, 1, 0);
  uc_hook_add(c->uc, &h, UC_HOOK_MEM_WRITE_PROT, hook_wprot, c, 1, 0);
  clear_debug(c);
  clear_scs(c);
  c->nrst = false;
  core_reset_regs(c, 0);
  c->cnt.resets = 0;
  return c;
fail:
  lf_core_free(c);
  return NULL;
}

void lf_core_free(lf_core *c)
{
  if (!c)
    return;
  core_alloc *ca = (core_alloc *)c;
  if (c->uc)
    uc_close(c->uc);
  for (size_t i = 0; c->xmap && i < c->env.nregions; i++)
    free(c->xmap[i]);
  free(c->xmap);
  free(c->blocked);
  for (size_t i = 0; i < ca->nctx; i++)
    free(ca->ctx[i]);
  free(ca);
}

bool lf_core_halted(const lf_core *c) { return c->halted; }

uint32_t lf_core_reg(const lf_core *c, unsigned regsel)
{
  uint32_t v = 0;
  read_reg((lf_core *)c, regsel, &v);
  return v;
}

const lf_core_counters *lf_core_counters_get(const lf_core *c) { return &c->cnt; }
