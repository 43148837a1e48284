/* A board: probe (any probe model of vprobe.h, by default the board's
 * on-board ST-LINK) + target SoC + core, glued by two bus views and the
 * reset/power wiring. The board owns the clock, the parameters and the fault
 * list that every model shares.
 *
 * Wiring: lf_bench_board_cfg.board is "BOARD" or "BOARD@PROBE"; the probe is
 * the one after '@', else cfg->probe, else the board's own. The probe drives
 * the board's SWD pins (lf_dap) and NRST (open drain, with the reset
 * button). */
#include "bench/bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cortexm.h"
#include "bench/dap.h"
#include "bench/faults.h"
#include "bench/soc.h"
#include "bench/vprobe.h"

#define PPB_BASE 0xE0000000u
#define PPB_END 0xE0100000u
#define DBGMCU_BASE 0xE0042000u
#define DBGMCU_END 0xE0043000u
#define LED_LOW 0x100u
#define POWER_OFF_NS 10000000ull /* bench choice: a lost supply comes back after 10 ms */

typedef struct board_desc {
  lf_bench_board_info info;
  struct { unsigned port, pin, led; } leds[3]; /* led 0: no LED in this slot; | LED_LOW: the
                                                  LED is on while its pin is low */
} board_desc;

/* All have an on-board ST-LINK/V2-1 (0483:374B). The NUCLEO-144 boards have
 * the same user LEDs: LD1 green PB0, LD2 blue PB7, LD3 red PB14 (UM1974;
 * stm32f4-target.md 15 for the F429ZI). The default serials are bench
 * choices (24 hex digits as a V2-1 reports them), distinct per board. */
static const board_desc boards[] = {
  {{"nucleo-f767zi", "stm32f767zi", "v2-1", "066DFF575251717867174428", lf_demo_f767_bin,
    &lf_demo_f767_bin_len},
   {{1, 0, 1}, {1, 7, 2}, {1, 14, 3}}},
  {{"nucleo-f429zi", "stm32f429zi", "v2-1", "0670FF485550755187121623", lf_demo_f429_bin,
    &lf_demo_f429_bin_len},
   {{1, 0, 1}, {1, 7, 2}, {1, 14, 3}}},
  /* NUCLEO-H743ZI (MB1137, ST-LINK/V2-1; the ZI2 has an STLINK-V3: wire it
   * with probe v3) with the same LEDs (stm32-f1-l4-h7-targets.md 11). */
  {{"nucleo-h743zi", "stm32h743zi", "v2-1", "0672FF495251897067184739", lf_demo_h743_bin,
    &lf_demo_h743_bin_len},
   {{1, 0, 1}, {1, 7, 2}, {1, 14, 3}}},
  /* NUCLEO-64 (MB1136) with its ST-LINK/V2-1: one user LED, LD2 green on
   * PA5 (stm32-f1-l4-h7-targets.md 11). nucleo-f103rc is a bench variant:
   * the same board with the high-density STM32F103RC (2 KiB pages), the
   * part pyOCD 0.13.1 has a target for. */
  {{"nucleo-f103rb", "stm32f103rb", "v2-1", "066BFF485550755187211234", lf_demo_f103_bin,
    &lf_demo_f103_bin_len},
   {{0, 5, 2}, {0, 0, 0}, {0, 0, 0}}},
  {{"nucleo-f103rc", "stm32f103rc", "v2-1", "066BFF485550755187215678", lf_demo_f103_bin,
    &lf_demo_f103_bin_len},
   {{0, 5, 2}, {0, 0, 0}, {0, 0, 0}}},
  {{"nucleo-l476rg", "stm32l476rg", "v2-1", "066EFF555051897267082342", lf_demo_l476_bin,
    &lf_demo_l476_bin_len},
   {{0, 5, 2}, {0, 0, 0}, {0, 0, 0}}},
  /* Raspberry Pi Pico (RP2040 + W25Q16JV) with a Raspberry Pi Debug Probe
   * on its SWD header (the Pico has no probe of its own); LED on GPIO25
   * (nrf52-rp2040-targets.md 8-12). The serial is the Debug Probe's
   * 16-hex-digit flash ID (bench choice). */
  {{"pico", "rp2040", "rpi-debugprobe", "E6605838B72F4A2A", lf_demo_pico_bin,
    &lf_demo_pico_bin_len},
   {{0, 25, 1}, {0, 0, 0}, {0, 0, 0}}},
  /* ---- nRF52 (issue 15) ----
   * Nordic nRF52840 DK (PCA10056): the nRF52840 with its LEDs LED1-LED3 on
   * P0.13-P0.15, active low (LED4 P0.16 is not observed: three slots). The
   * DK's interface MCU is a SEGGER J-Link OB; the bench wires a CMSIS-DAP
   * v2 probe (a DAPLink) by default, as issue 15 asks (any other probe with
   * @PROBE). Serial: bench choice. */
  {{"nrf52840-dk", "nrf52840", "daplink", "000683420528", lf_demo_nrf52840_bin,
    &lf_demo_nrf52840_bin_len},
   {{0, 13, 1 | LED_LOW}, {0, 14, 2 | LED_LOW}, {0, 15, 3 | LED_LOW}}},
};
#define NBOARDS (sizeof boards / sizeof boards[0])

const lf_bench_board_info *lf_bench_board_at(size_t i) { return i < NBOARDS ? &boards[i].info : NULL; }

static const board_desc *find_board(const char *name)
{
  for (size_t i = 0; name && i < NBOARDS; i++)
    if (strcmp(boards[i].info.name, name) == 0)
      return &boards[i];
  return NULL;
}

const lf_bench_board_info *lf_bench_board_find(const char *name)
{
  const board_desc *d = find_board(name);
  return d ? &d->info : NULL;
}

const char *lf_bench_board_list(char *buf, size_t len)
{
  size_t used = 0;
  if (len)
    buf[0] = 0;
  for (size_t i = 0; i < NBOARDS && used < len; i++) {
    int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", boards[i].info.name);
    if (n < 0)
      break;
    used += (size_t)n;
  }
  return buf;
}

struct lf_bench_board {
  const board_desc *desc;
  lf_bench_params params;
  lf_clock clock;
  lf_faults faults;
  lf_soc *soc;
  lf_core *core;
  lf_core *core1;        /* a dual-core part's second core (RP2040), else NULL */
  lf_dap *dap;
  lf_vprobe *probe;
  char serial[64];
  bool powered;
  uint64_t watchdog_resets;
  uint64_t power_on_at;  /* when an outage ends */
  lf_bench_led_event *leds;
  size_t nleds, capleds;
};

static bool in_ppb(uint32_t addr)
{
  return addr >= PPB_BASE && addr < PPB_END && !(addr >= DBGMCU_BASE && addr < DBGMCU_END);
}

static void sync_target(lf_bench_board *b, uint64_t t);

/* The AHB-AP's view: the core is brought up to the access time first. */
static int debug_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                     uint32_t *val, uint64_t *t)
{
  lf_bench_board *b = ctx;
  sync_target(b, *t);
  /* access-port protection (nRF52 APPROTECT): every transfer fails */
  if (lf_soc_ahb_ap_locked(b->soc, *t))
    return LF_BUS_ERR;
  /* the debug port is in use: read protection now also locks the core out
   * of flash until a power-on reset (soc.h) */
  lf_soc_debug_connected(b->soc);
  int rc = in_ppb(addr) ? lf_core_ppb_access(b->core, m, addr, size, write, val, t)
                        : lf_soc_access(b->soc, m, addr, size, write, val, t);
  if (rc == LF_BUS_OK && write && !in_ppb(addr)) {
    lf_core_invalidate_code(b->core, addr, size);
    if (b->core1)
      lf_core_invalidate_code(b->core1, addr, size);
  }
  return rc;
}

/* A further AHB-AP into the system (lf_soc_ap_view SYSTEM): the SoC bus as
 * the debugger's master, without the core's PPB. */
static int system_ap_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                         uint32_t *val, uint64_t *t)
{
  lf_bench_board *b = ctx;
  sync_target(b, *t);
  lf_soc_debug_connected(b->soc);
  int rc = lf_soc_access(b->soc, m, addr, size, write, val, t);
  if (rc == LF_BUS_OK && write) {
    lf_core_invalidate_code(b->core, addr, size);
    if (b->core1)
      lf_core_invalidate_code(b->core1, addr, size);
  }
  return rc;
}

/* An APB-AP on the SoC's debug bus (lf_soc_ap_view DEBUG_APB). */
static int debug_apb_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                         uint32_t *val, uint64_t *t)
{
  (void)m;
  lf_bench_board *b = ctx;
  sync_target(b, *t);
  lf_soc_debug_connected(b->soc);
  return lf_soc_debug_apb_access(b->soc, addr, size, write, val, t);
}

/* Core 1's debug view (its DP's AHB-AP on a dual-core part). */
static int debug_bus1(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                      uint32_t *val, uint64_t *t)
{
  lf_bench_board *b = ctx;
  sync_target(b, *t);
  lf_soc_debug_connected(b->soc);
  int rc = in_ppb(addr) ? lf_core_ppb_access(b->core1, m, addr, size, write, val, t)
                        : lf_soc_access(b->soc, m, addr, size, write, val, t);
  if (rc == LF_BUS_OK && write && !in_ppb(addr)) {
    lf_core_invalidate_code(b->core, addr, size);
    lf_core_invalidate_code(b->core1, addr, size);
  }
  return rc;
}

/* Core 1's view of everything outside its PPB (SIO tells the cores apart). */
static int core1_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                     uint32_t *val, uint64_t *t)
{
  lf_bench_board *b = ctx;
  return lf_soc_access(b->soc, m == LF_BUS_CORE ? LF_BUS_CORE1 : m, addr, size, write, val, t);
}

/* A rescue DP's CTRL/STAT write (multidrop parts). */
static void rescue_ctrl(void *ctx, uint32_t ctrl, uint64_t t)
{
  lf_bench_board *b = ctx;
  lf_soc_debug_rescue(b->soc, ctrl, t);
}

static void hold_reset(lf_bench_board *b, bool asserted, uint64_t t);

/* A vendor control AP (lf_soc_ap_view CTRL): addr is the AP register. Its
 * RESET register holds the chip in reset as NRST does. */
static int ctrl_ap_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                       uint32_t *val, uint64_t *t)
{
  (void)m;
  (void)size;
  lf_bench_board *b = ctx;
  sync_target(b, *t);
  bool held = lf_soc_reset_held(b->soc);
  unsigned apsel = 0;
  for (unsigned i = 1; i < LF_SOC_MAX_APS; i++)
    if (lf_soc_debug_ap(b->soc, i).view == LF_SOC_AP_CTRL)
      apsel = i;
  int rc = lf_soc_ctrl_ap_access(b->soc, apsel, (uint8_t)addr, write, val, *t);
  if (lf_soc_reset_held(b->soc) != held)
    hold_reset(b, !held, *t);
  return rc;
}

/* The core's view of everything outside its own PPB. */
static int core_bus(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                    uint32_t *val, uint64_t *t)
{
  lf_bench_board *b = ctx;
  return lf_soc_access(b->soc, m, addr, size, write, val, t);
}

static double env_sysclk(void *ctx) { return lf_soc_sysclk_hz(((lf_bench_board *)ctx)->soc); }
static uint32_t env_boot(void *ctx) { return lf_soc_boot_address(((lf_bench_board *)ctx)->soc); }

/* A reset of the whole chip (NRST, watchdog, a SoC's own restart). */
static void chip_reset(lf_bench_board *b, uint64_t t)
{
  lf_soc_reset(b->soc, LF_SOC_RESET_SYSTEM, t);
  lf_core_reset(b->core, LF_CORE_RESET_SYSTEM, t);
  if (b->core1)
    lf_core_reset(b->core1, LF_CORE_RESET_SYSTEM, t);
}

/* AIRCR.SYSRESETREQ of core 0 (a part may reset only that core). */
static void env_system_reset(void *ctx, uint64_t t)
{
  lf_bench_board *b = ctx;
  if (lf_soc_debug_multidrop(b->soc)->sysresetreq_core_only)
    lf_core_reset(b->core, LF_CORE_RESET_SYSTEM, t);
  else
    chip_reset(b, t);
}

static void env_system_reset1(void *ctx, uint64_t t)
{
  lf_bench_board *b = ctx;
  if (lf_soc_debug_multidrop(b->soc)->sysresetreq_core_only)
    lf_core_reset(b->core1, LF_CORE_RESET_SYSTEM, t);
  else
    chip_reset(b, t);
}

/* The chip's reset line, as NRST or a vendor AP (CTRL-AP RESET) drives it. */
static void hold_reset(lf_bench_board *b, bool asserted, uint64_t t)
{
  sync_target(b, t);
  if (asserted)
    lf_soc_reset(b->soc, LF_SOC_RESET_SYSTEM, t);
  lf_core_set_nrst(b->core, asserted, t);
  if (b->core1)
    lf_core_set_nrst(b->core1, asserted, t);
}

/* The NRST pin: a reset unless the SoC has it routed elsewhere (nRF52:
 * a GPIO until UICR.PSELRESET makes it the reset pin). */
static void wire_nrst(void *ctx, bool asserted, uint64_t t)
{
  lf_bench_board *b = ctx;
  if (!lf_soc_pin_reset(b->soc))
    return;
  hold_reset(b, asserted, t);
}

static void gpio_changed(void *ctx, unsigned port, uint32_t old_odr, uint32_t new_odr, uint64_t t)
{
  lf_bench_board *b = ctx;
  for (size_t i = 0; i < 3; i++) {
    uint32_t bit = 1u << b->desc->leds[i].pin;
    if (!b->desc->leds[i].led || b->desc->leds[i].port != port || !((old_odr ^ new_odr) & bit))
      continue;
    if (b->nleds == b->capleds) {
      size_t cap = b->capleds ? b->capleds * 2 : 64;
      lf_bench_led_event *n = realloc(b->leds, cap * sizeof *n);
      if (!n)
        return; /* observation only: losing an event never breaks the model */
      b->leds = n;
      b->capleds = cap;
    }
    unsigned led = b->desc->leds[i].led;
    bool on = ((new_odr & bit) != 0) != ((led & LED_LOW) != 0);
    b->leds[b->nleds++] = (lf_bench_led_event){t, led & ~LED_LOW, on};
  }
}

/* Brings the core up to t. An independent watchdog that expires on the way
 * resets the chip at its deadline (the deadline moves whenever the firmware
 * reloads it, so it is re-read after every partial catch-up). */
static void sync_target(lf_bench_board *b, uint64_t t)
{
  for (;;) {
    uint64_t due = lf_soc_watchdog_deadline(b->soc);
    uint64_t stop = due < t ? due : t;
    lf_core_catch_up(b->core, stop);
    if (b->core1)
      lf_core_catch_up(b->core1, stop);
    due = lf_soc_watchdog_deadline(b->soc);
    if (b->powered && due <= stop) {
      chip_reset(b, due);
      b->watchdog_resets++;
      continue;
    }
    if (stop == t)
      return;
  }
}

/* Applies a due power-loss fault, and ends an outage whose time has come. */
static void check_power(lf_bench_board *b)
{
  uint64_t now = b->clock.now_ns;
  if (b->powered) {
    lf_fault *f = lf_faults_due(&b->faults, LF_FAULT_POWER_LOSS, now);
    if (!f)
      return;
    if (!f->fired) {
      f->fired_ns = f->at;
      memcpy(f->fired_in, b->faults.phase, sizeof f->fired_in);
    }
    f->fired++;
    sync_target(b, f->at);
    lf_soc_power_loss(b->soc, f->at);
    lf_core_set_nrst(b->core, true, f->at); /* no supply: the core does nothing */
    if (b->core1)
      lf_core_set_nrst(b->core1, true, f->at);
    lf_dap_set_power(b->dap, false);
    b->powered = false;
    b->power_on_at = f->at + POWER_OFF_NS;
  }
  if (!b->powered && now >= b->power_on_at) {
    lf_soc_reset(b->soc, LF_SOC_RESET_POWER, b->power_on_at);
    lf_core_reset(b->core, LF_CORE_RESET_POWER, b->power_on_at);
    lf_core_set_nrst(b->core, false, b->power_on_at);
    if (b->core1) {
      lf_core_reset(b->core1, LF_CORE_RESET_POWER, b->power_on_at);
      lf_core_set_nrst(b->core1, false, b->power_on_at);
    }
    lf_dap_set_power(b->dap, true);
    b->powered = true;
  }
}

void lf_bench_board_cfg_default(lf_bench_board_cfg *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->board = boards[0].info.name;
  lf_bench_params_default(&cfg->params);
}

const char *lf_bench_probe_list(char *buf, size_t len) { return lf_vprobe_list(buf, len); }

lf_bench_board *lf_bench_board_new(const lf_bench_board_cfg *cfg, char *err, size_t errlen)
{
  const char *spec = cfg->board ? cfg->board : boards[0].info.name;
  char want[64], probe_name[64] = "";
  const char *at = strchr(spec, '@');
  size_t nlen = at ? (size_t)(at - spec) : strlen(spec);
  if (nlen >= sizeof want || (at && (at[1] == 0 || strlen(at + 1) >= sizeof probe_name))) {
    snprintf(err, errlen, "bench: board '%s': expected BOARD or BOARD@PROBE, e.g. "
             "nucleo-f767zi@daplink", spec);
    return NULL;
  }
  memcpy(want, spec, nlen);
  want[nlen] = 0;
  if (at)
    snprintf(probe_name, sizeof probe_name, "%s", at + 1);
  const board_desc *d = find_board(want);
  if (!d) {
    char known[256];
    snprintf(err, errlen, "bench: unknown board '%s' (known: %s)", want,
             lf_bench_board_list(known, sizeof known));
    return NULL;
  }
  lf_bench_board *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(err, errlen, "bench: out of memory");
    return NULL;
  }
  b->desc = d;
  b->params = cfg->params;
  lf_clock_init(&b->clock);
  if (lf_faults_parse(&b->faults, cfg->faults, err, errlen) != 0)
    goto fail;
  b->faults.now_ns = &b->clock.now_ns;
  const char *probe = probe_name[0] ? probe_name : cfg->probe ? cfg->probe : d->info.probe;
  if (!lf_vprobe_known(probe)) {
    char known[256];
    snprintf(err, errlen, "bench: unknown probe '%s' (known: %s)", probe,
             lf_vprobe_list(known, sizeof known));
    goto fail;
  }
  snprintf(b->serial, sizeof b->serial, "%s", cfg->serial ? cfg->serial : d->info.serial);

  b->soc = lf_soc_new(d->info.part, &b->params, &b->faults, err, errlen);
  if (!b->soc)
    goto fail;
  if (cfg->serial && strcmp(cfg->serial, d->info.serial) != 0) {
    /* another chip: its own 96-bit unique ID (FNV-1a of the probe serial),
     * so the boards of a gang are told apart as real ones are */
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *c = b->serial; *c; c++)
      h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
    lf_soc_set_uid(b->soc, h);
  }
  const lf_soc_region *regions;
  size_t nregions = lf_soc_regions(b->soc, &regions);
  lf_core_env env = {
    .bus = {core_bus, b},
    .regions = regions,
    .nregions = nregions,
    .cpuid = lf_soc_cpuid(b->soc),
    .idcode = lf_soc_idcode(b->soc),
    .sysclk_hz = env_sysclk,
    .boot_address = env_boot,
    .system_reset = env_system_reset,
    .ctx = b,
  };
  env.nrom = lf_soc_core_rom(b->soc, &env.rom);
  b->core = lf_core_new(&env, &b->params, err, errlen);
  if (!b->core)
    goto fail;
  const lf_soc_multidrop *md = lf_soc_debug_multidrop(b->soc);
  if (md->ncores > 1) {
    lf_core_env env1 = env;
    env1.bus = (lf_bus){core1_bus, b};
    env1.system_reset = env_system_reset1;
    b->core1 = lf_core_new(&env1, &b->params, err, errlen);
    if (!b->core1)
      goto fail;
  }
  lf_dap_cfg dcfg = {0};
  dcfg.targetsel = md->targetsel;
  dcfg.dlpidr = md->dlpidr;
  dcfg.dormant_at_power_on = md->targetsel != 0;
  lf_soc_debug_ids(b->soc, &dcfg.dpidr, &dcfg.targetid, &dcfg.ap_idr, &dcfg.ap_base);
  for (unsigned i = 1; i < LF_SOC_MAX_APS && i < LF_DAP_MAX_APS; i++) {
    lf_soc_ap ap = lf_soc_debug_ap(b->soc, i);
    if (ap.view == LF_SOC_AP_SYSTEM)
      dcfg.more[i - 1] = (lf_dap_ap){ap.idr, ap.base, {system_ap_bus, b}};
    else if (ap.view == LF_SOC_AP_DEBUG_APB)
      dcfg.more[i - 1] = (lf_dap_ap){ap.idr, ap.base, {debug_apb_bus, b}};
    else if (ap.view == LF_SOC_AP_CTRL) {
      dcfg.more[i - 1] = (lf_dap_ap){ap.idr, ap.base, {ctrl_ap_bus, b}};
      dcfg.ctrl_aps |= 1u << (i - 1);
    }
  }
  b->dap = lf_dap_new(&dcfg, &b->clock, &b->params, (lf_bus){debug_bus, b}, &b->faults);
  if (!b->dap) {
    snprintf(err, errlen, "bench: out of memory");
    goto fail;
  }
  for (size_t i = 0; i < md->ndrops; i++) {
    const lf_soc_drop *x = &md->drops[i];
    lf_dap_cfg c = {.dpidr = x->dpidr, .targetid = x->targetid, .ap_idr = x->ap_idr,
                    .ap_base = x->ap_base, .targetsel = x->targetsel, .dlpidr = x->dlpidr,
                    .no_ap = x->ap_idr == 0, .dormant_at_power_on = true};
    if (x->rescue) {
      c.ctrl_written = rescue_ctrl;
      c.ctrl_ctx = b;
    }
    lf_bus bus = x->core == 1 && b->core1 ? (lf_bus){debug_bus1, b} : (lf_bus){debug_bus, b};
    if (lf_dap_add_drop(b->dap, &c, bus) != 0) {
      snprintf(err, errlen, "bench: out of memory");
      goto fail;
    }
  }
  lf_vprobe_env penv = {
    .clk = &b->clock,
    .p = &b->params,
    .dap = b->dap,
    .faults = &b->faults,
    .nrst = wire_nrst,
    .ctx = b,
    .serial = b->serial,
    .serial_given = cfg->serial != NULL,
  };
  b->probe = lf_vprobe_new(probe, &penv, err, errlen);
  if (!b->probe)
    goto fail;
  lf_soc_set_gpio_cb(b->soc, gpio_changed, b);
  if (cfg->state_file && lf_bench_load_state(b, cfg->state_file, err, errlen) != 0)
    goto fail;
  lf_soc_reset(b->soc, LF_SOC_RESET_POWER, 0);
  lf_core_reset(b->core, LF_CORE_RESET_POWER, 0);
  if (b->core1)
    lf_core_reset(b->core1, LF_CORE_RESET_POWER, 0);
  lf_dap_set_power(b->dap, true);
  b->powered = true;
  return b;
fail:
  lf_bench_board_free(b);
  return NULL;
}

void lf_bench_board_free(lf_bench_board *b)
{
  if (!b)
    return;
  lf_vprobe_free(b->probe);
  lf_dap_free(b->dap);
  lf_core_free(b->core1);
  lf_core_free(b->core);
  lf_soc_free(b->soc);
  free(b->leds);
  free(b);
}

const lf_bench_usb_info *lf_bench_usb_info_get(const lf_bench_board *b)
{
  return lf_vprobe_usb_info(b->probe);
}
const lf_bench_board_info *lf_bench_board_info_get(const lf_bench_board *b) { return &b->desc->info; }
const char *lf_bench_probe_name(const lf_bench_board *b) { return lf_vprobe_preset(b->probe); }

/* Whether ep is an interrupt endpoint of one of the probe's interfaces. */
static bool ep_interrupt(const lf_bench_board *b, uint8_t ep)
{
  const lf_bench_usb_info *u = lf_vprobe_usb_info(b->probe);
  for (unsigned i = 0; i < u->nifaces; i++)
    if (u->ifaces[i].interrupt && (u->ifaces[i].ep_out == ep || u->ifaces[i].ep_in == ep))
      return true;
  return false;
}

int lf_bench_usb_bulk_out(lf_bench_board *b, uint8_t ep, const void *data, size_t len,
                          size_t *actual, unsigned timeout_ms)
{
  check_power(b);
  return lf_vprobe_out(b->probe, ep, data, len, actual, timeout_ms);
}

int lf_bench_usb_bulk_in(lf_bench_board *b, uint8_t ep, void *buf, size_t len, size_t *actual,
                         unsigned timeout_ms)
{
  check_power(b);
  return lf_vprobe_in(b->probe, ep, buf, len, actual, timeout_ms, 0, NULL);
}

int lf_bench_usb_interrupt_out(lf_bench_board *b, uint8_t ep, const void *data, size_t len,
                               size_t *actual, unsigned timeout_ms)
{
  *actual = 0;
  if (!ep_interrupt(b, ep))
    return LF_VUSB_ERR_INVALID;
  return lf_bench_usb_bulk_out(b, ep, data, len, actual, timeout_ms);
}

int lf_bench_usb_interrupt_in(lf_bench_board *b, uint8_t ep, void *buf, size_t len,
                              size_t *actual, unsigned timeout_ms)
{
  *actual = 0;
  if (!ep_interrupt(b, ep))
    return LF_VUSB_ERR_INVALID;
  return lf_bench_usb_bulk_in(b, ep, buf, len, actual, timeout_ms);
}

int lf_bench_usb_in_detached(lf_bench_board *b, uint8_t ep, void *buf, size_t len,
                             size_t *actual, unsigned timeout_ms, uint64_t *done_ns)
{
  return lf_vprobe_in(b->probe, ep, buf, len, actual, timeout_ms, LF_VPROBE_DETACHED, done_ns);
}

bool lf_bench_usb_in_pending(const lf_bench_board *b, uint8_t ep)
{
  return lf_vprobe_in_pending(b->probe, ep);
}

int lf_bench_usb_class_request(lf_bench_board *b, uint8_t type, uint8_t req, uint16_t value,
                               uint16_t index, uint8_t *data, size_t len)
{
  check_power(b);
  return lf_vprobe_control(b->probe, type, req, value, index, data, len);
}

void lf_bench_usb_reset(lf_bench_board *b) { lf_vprobe_usb_reset(b->probe); }

void lf_bench_usb_batch_begin(lf_bench_board *b) { lf_vprobe_batch_begin(b->probe); }
void lf_bench_usb_batch_end(lf_bench_board *b) { lf_vprobe_batch_end(b->probe); }
void lf_bench_usb_batch_submit(lf_bench_board *b, uint64_t t_ns) { lf_vprobe_batch_submit(b->probe, t_ns); }

uint64_t lf_bench_usb_control_ns(const lf_bench_board *b, size_t data_len)
{
  return lf_vprobe_usb_ns(b->probe, 8) + lf_vprobe_usb_wire_ns(b->probe, data_len);
}

void lf_bench_usb_control_time(lf_bench_board *b, size_t data_len)
{
  lf_clock_advance(&b->clock, LF_CLK_USB, lf_bench_usb_control_ns(b, data_len));
}

size_t lf_bench_usb_string_len(const char *text)
{
  size_t n = text ? strlen(text) : 0;
  return 2 + 2 * (n > 126 ? 126 : n);
}

void lf_bench_run(lf_bench_board *b, uint64_t ns)
{
  uint64_t end = b->clock.now_ns + ns;
  uint64_t slice = b->params.run_slice_ns >= 1 ? (uint64_t)b->params.run_slice_ns : 1000000;
  while (b->clock.now_ns < end) {
    uint64_t step = end - b->clock.now_ns < slice ? end - b->clock.now_ns : slice;
    lf_clock_advance(&b->clock, LF_CLK_RUN, step);
    check_power(b);
    sync_target(b, b->clock.now_ns);
  }
}

void lf_bench_press_reset(lf_bench_board *b)
{
  uint64_t t = b->clock.now_ns;
  wire_nrst(b, true, t);
  lf_bench_run(b, 1000000);
  wire_nrst(b, false, b->clock.now_ns);
}

lf_clock *lf_bench_clock(lf_bench_board *b) { return &b->clock; }
const lf_bench_params *lf_bench_params_get(const lf_bench_board *b) { return &b->params; }

size_t lf_bench_led_events(const lf_bench_board *b, const lf_bench_led_event **ev)
{
  *ev = b->leds;
  return b->nleds;
}

void lf_bench_led_events_clear(lf_bench_board *b) { b->nleds = 0; }

size_t lf_bench_led_toggles(const lf_bench_board *b, unsigned counts[4])
{
  memset(counts, 0, 4 * sizeof counts[0]);
  for (size_t i = 0; i < b->nleds; i++)
    counts[b->leds[i].led & 3]++;
  return b->nleds;
}

int lf_bench_peek(const lf_bench_board *b, uint32_t addr, void *buf, size_t len)
{
  return lf_soc_peek(b->soc, addr, buf, len);
}

int lf_bench_save_state(const lf_bench_board *b, const char *path, char *err, size_t errlen)
{
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    snprintf(err, errlen, "bench state %s: path too long", path);
    return -1;
  }
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    snprintf(err, errlen, "bench state %s: cannot create: %s", tmp, strerror(errno));
    return -1;
  }
  int rc = lf_soc_save_state(b->soc, f, err, errlen);
  if (fclose(f) != 0 && rc == 0) {
    snprintf(err, errlen, "bench state %s: write failed: %s", tmp, strerror(errno));
    rc = -1;
  }
  if (rc == 0 && rename(tmp, path) != 0) {
    snprintf(err, errlen, "bench state %s: rename failed: %s", path, strerror(errno));
    rc = -1;
  }
  if (rc != 0)
    remove(tmp);
  return rc;
}

int lf_bench_load_state(lf_bench_board *b, const char *path, char *err, size_t errlen)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errno == ENOENT)
      return 0; /* no state yet: factory state, the file is created on save */
    snprintf(err, errlen, "bench state %s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char inner[512];
  int rc = lf_soc_load_state(b->soc, f, inner, sizeof inner);
  if (rc != 0)
    snprintf(err, errlen, "bench state %s: %s", path, inner);
  fclose(f);
  return rc;
}

void lf_bench_report(const lf_bench_board *b, FILE *out)
{
  const lf_clock *c = &b->clock;
  fprintf(out, "virtual time: %.6f s\n", (double)c->now_ns / 1e9);
  for (int i = 0; i < LF_CLK_NCAT; i++)
    fprintf(out, "  %-10s %.6f s\n", lf_clock_cat_name((lf_clk_cat)i), (double)c->cat_ns[i] / 1e9);
  const lf_vprobe_counters *v = lf_vprobe_counters_get(b->probe);
  fprintf(out, "usb: %llu out (%llu B), %llu in (%llu B), %llu timeouts, %llu stalls; %llu commands, "
               "%llu status errors; mem read %llu B, mem write %llu B\n",
          (unsigned long long)v->usb_out_transfers, (unsigned long long)v->usb_out_bytes,
          (unsigned long long)v->usb_in_transfers, (unsigned long long)v->usb_in_bytes,
          (unsigned long long)v->usb_timeouts, (unsigned long long)v->usb_stalls,
          (unsigned long long)v->commands, (unsigned long long)v->status_errors,
          (unsigned long long)v->mem_read_bytes, (unsigned long long)v->mem_write_bytes);
  lf_vprobe_report(b->probe, out);
  const lf_dap_counters *d = lf_dap_counters_get(b->dap);
  fprintf(out, "swd: %llu transactions (dp r/w %llu/%llu, ap r/w %llu/%llu), %llu WAIT, %llu FAULT, "
               "%llu no-ack, %llu sequences; ahb %llu reads, %llu writes; swclk %.0f Hz\n",
          (unsigned long long)d->transactions, (unsigned long long)d->dp_reads,
          (unsigned long long)d->dp_writes, (unsigned long long)d->ap_reads,
          (unsigned long long)d->ap_writes, (unsigned long long)d->waits,
          (unsigned long long)d->faults, (unsigned long long)d->noacks,
          (unsigned long long)d->sequences, (unsigned long long)d->bus_reads,
          (unsigned long long)d->bus_writes, lf_dap_swclk(b->dap));
  const lf_soc_counters *s = lf_soc_counters_get(b->soc);
  fprintf(out, "flash: %llu program ops (%llu B), %llu sector erases, %llu mass erases, %llu option "
               "writes, %llu errors, busy %.6f s; bus errors %llu, stalls %.6f s\n",
          (unsigned long long)s->flash_prog_ops, (unsigned long long)s->flash_prog_bytes,
          (unsigned long long)s->flash_sector_erases, (unsigned long long)s->flash_mass_erases,
          (unsigned long long)s->flash_opt_writes, (unsigned long long)s->flash_errors,
          (double)s->flash_busy_ns / 1e9, (unsigned long long)s->bus_errors,
          (double)s->stall_ns / 1e9);
  for (size_t i = 0; i < b->faults.n; i++) {
    const lf_fault *f = &b->faults.items[i];
    if (f->kind == LF_FAULT_HOSTILE)
      continue; /* its own line (vprobe) */
    fprintf(out, "fault: %s%s%s %s", lf_fault_kind_name(f->kind), f->phase[0] ? "@" : "", f->phase,
            f->phase[0] && !f->armed ? "never armed (phase not entered)" : "armed");
    if (f->fired)
      fprintf(out, ", fired %llu at %.9f s in phase %s\n", (unsigned long long)f->fired,
              (double)f->fired_ns / 1e9, f->fired_in[0] ? f->fired_in : "-");
    else
      fprintf(out, ", not fired\n");
  }
  const lf_core_counters *k = lf_core_counters_get(b->core);
  fprintf(out, "board: %llu watchdog resets, powered %s\n", (unsigned long long)b->watchdog_resets,
          b->powered ? "yes" : "no");
  fprintf(out, "core: %llu instructions, %llu cycles, ran %.6f s, %llu halts, %llu resets, %llu faults, "
               "%llu steps, %llu code flushes\n",
          (unsigned long long)k->instructions, (unsigned long long)k->cycles,
          (double)k->run_ns / 1e9, (unsigned long long)k->halts, (unsigned long long)k->resets,
          (unsigned long long)k->faults, (unsigned long long)k->steps,
          (unsigned long long)k->code_flushes);
}

size_t lf_bench_phase(lf_bench_board *b, const char *name)
{
  return lf_faults_phase(&b->faults, name, b->clock.now_ns);
}

struct lf_soc *lf_bench_soc(lf_bench_board *b) { return b->soc; }
struct lf_core *lf_bench_core(lf_bench_board *b) { return b->core; }
struct lf_dap *lf_bench_dap(lf_bench_board *b) { return b->dap; }
const lf_vprobe_counters *lf_bench_probe_counters(const lf_bench_board *b)
{
  return lf_vprobe_counters_get(b->probe);
}
struct lf_vprobe *lf_bench_probe(lf_bench_board *b) { return b->probe; }
struct lf_vstlink *lf_bench_vstlink(lf_bench_board *b) { return lf_vprobe_state(b->probe, "stlink"); }
struct lf_vcmsisdap *lf_bench_vcmsisdap(lf_bench_board *b)
{
  return lf_vprobe_state(b->probe, "cmsis-dap");
}
