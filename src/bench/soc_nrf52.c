/* The SoC family `nrf52`, one flat file: the Nordic nRF52840 (Cortex-M4F at
 * 64 MHz, 1 MiB of flash in 256 pages of 4 KiB, 256 KiB of RAM).
 * Facts: nrf52-rp2040-targets.md ("N n" below = its section n).
 *
 * Modeled:
 *  - memory map (N 2): flash at 0, FICR 0x10000000 (read-only factory data:
 *    INFO.PART/VARIANT/PACKAGE/RAM/FLASH, CODEPAGESIZE, CODESIZE, DEVICEID,
 *    0x1000005C, 0x10000130/134), UICR 0x10001000 (flash-backed, 4 KiB),
 *    RAM 0x20000000 and its code alias 0x00800000, the APB peripherals
 *    (0x40000000-0x4003FFFF: plain registers that keep what is written,
 *    except the ones below), GPIO P0/P1 (0x50000000/0x50000300);
 *  - the NVMC (N 3, 3.1): READY, READYNEXT, CONFIG (WEN Ren/Wen/Een),
 *    ERASEPAGE (= ERASEPCR1) and ERASEPCR0, ERASEALL (flash and UICR),
 *    ERASEUICR, ERASEPAGEPARTIAL with ERASEPAGEPARTIALCFG, ICACHECNF/IHIT/
 *    IMISS as storage. Only aligned 32-bit writes program (others: a bus
 *    error = HardFault / STICKYERR); a write ANDs into the cell; writes
 *    with CONFIG != Wen and erases with CONFIG != Een are ignored (Nordic's
 *    HW model; counted as flash errors); CONFIG = 3 (Wen and Een) does
 *    neither [unconf, "unpredictable"]. A word written more than nWRITE
 *    times between erases reads garbage (params nrf_nwrite,
 *    nrf_nwrite_corrupts; no flag exists, N 3.1 #6-7).
 *  - timing (N 3.1 #8, N 4): a write takes tWRITE, an erase tERASEPAGE /
 *    tERASEALL; a master writing while the NVMC is busy stalls until it can
 *    go on (one word write is buffered behind the one in progress:
 *    READYNEXT, param nrf_readynext); reads of flash or UICR stall while an
 *    operation runs (the core's fetches from RAM do not). Contents change
 *    when the operation starts (nobody can read them before it ends).
 *  - APPROTECT (N 5): UICR.APPROTECT.PALL evaluated at every reset: legacy
 *    parts (default, build code D0) protect for any value but 0xFF;
 *    hardened parts (param nrf_hardened_approtect: build code F0, FICR
 *    0x10000134 = 5) protect after every reset unless PALL = 0x5A and the
 *    firmware writes 0x5A to APPROTECT.DISABLE (0x40000558); FORCEPROTECT
 *    (0x40000550) = 0 protects until the next reset. While protected every
 *    AHB-AP transfer fails (lf_soc_ahb_ap_locked; the board answers the
 *    AP's transfers, PPB included, with a bus error -> STICKYERR).
 *  - the CTRL-AP (AP 1, IDR 0x02880000, N 5.3): RESET holds the chip in
 *    reset (lf_soc_reset_held), ERASEALL = 1 erases flash, UICR and RAM
 *    (RAM reads 0 after it [unconf]) in nrf_ctrlap_eraseall_ns, during which
 *    ERASEALLSTATUS reads 1; from its end the AHB-AP is open until the next
 *    reset (N 5.2) other than the one CTRL-AP RESET holds (bench choice:
 *    pyOCD writes the UICR right after it); APPROTECTSTATUS bit 0 = 1 when
 *    not protected. The CTRL-AP keeps its registers across a system reset
 *    (debug domain).
 *  - the NRST pin (P0.18) resets the chip only once UICR.PSELRESET[0] and
 *    [1] route it (evaluated at reset, N 6; lf_soc_pin_reset; param
 *    nrf_pin_reset_needs_pselreset): on an erased UICR a probe's nRESET
 *    does nothing;
 *  - GPIO P0/P1: OUT/OUTSET/OUTCLR/IN/DIR/DIRSET/DIRCLR/PIN_CNF; OUT changes
 *    go to the board's observer (the DK's LEDs on P0.13-P0.16, active low).
 *  - WDT (N 6): REQSTATUS, CRV, RREN read their reset values; the watchdog
 *    never runs (no firmware here starts it; tools' RR writes are kept).
 *  - state file: flash and UICR.
 * Not modeled: the CPU-halted requirement for NVMC operations started by the
 * debugger (N 3.1 #9), power loss (memories keep their content), the
 * I-cache, RESETREAS, clocks (64 MHz from reset), ACL, the partial erase's
 * undefined intermediate contents (the page keeps its content until the
 * accumulated time reaches tERASEPAGE). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/soc_family.h"
#include "bench/soc_util.h"

#define KiB 1024u
#define FLASH_SIZE (1024u * KiB)
#define PAGE_SIZE (4u * KiB)
#define NPAGES (FLASH_SIZE / PAGE_SIZE)
#define FICR_BASE 0x10000000u
#define UICR_BASE 0x10001000u
#define UICR_SIZE (4u * KiB)
#define RAM_BASE 0x20000000u
#define RAM_ALIAS 0x00800000u
#define RAM_SIZE (256u * KiB)
#define APB_BASE 0x40000000u
#define APB_SIZE 0x40000u
#define NVMC_BASE 0x4001E000u
#define WDT_BASE 0x40010000u
#define GPIO_BASE 0x50000000u
#define GPIO_SIZE 0x1000u

/* NVMC (N 3) offsets */
#define NV_READY 0x400u
#define NV_READYNEXT 0x408u
#define NV_CONFIG 0x504u
#define NV_ERASEPAGE 0x508u
#define NV_ERASEALL 0x50Cu
#define NV_ERASEPCR0 0x510u
#define NV_ERASEUICR 0x514u
#define NV_ERASEPARTIAL 0x518u
#define NV_PARTIALCFG 0x51Cu
#define CFG_REN 0u
#define CFG_WEN 1u
#define CFG_EEN 2u

/* UICR.APPROTECT (N 5.1), APPROTECT peripheral (N 5.2) */
#define UICR_APPROTECT 0x208u
#define PALL_DISABLED 0xFFu
#define UICR_PSELRESET0 0x200u
#define PSEL_MASK 0x8000003Fu  /* CONNECT 31, PORT 5, PIN 4:0 */
#define PSEL_P0_18 0x00000012u
#define PALL_HWDISABLED 0x5Au
#define APPROTECT_FORCEPROTECT 0x550u
#define APPROTECT_DISABLE 0x558u

/* CTRL-AP (N 5.3) */
#define CTRL_RESET 0x00u
#define CTRL_ERASEALL 0x04u
#define CTRL_ERASEALLSTATUS 0x08u
#define CTRL_APPROTECTSTATUS 0x0Cu
#define CTRL_IDR 0xFCu
#define CTRL_AP_IDR 0x02880000u

/* GPIO port offsets */
#define G_OUT 0x504u
#define G_OUTSET 0x508u
#define G_OUTCLR 0x50Cu
#define G_IN 0x510u
#define G_DIR 0x514u
#define G_DIRSET 0x518u
#define G_DIRCLR 0x51Cu

typedef struct nrf_soc {
  const lf_bench_params *p;
  lf_soc_counters *c;
  lf_faults *faults;
  const lf_soc_gpio_obs *gpio_obs;
  uint8_t *flash, *ram, *apb;
  uint8_t ficr[4 * KiB], uicr[UICR_SIZE];
  uint8_t *wcount;          /* writes per word since its erase: flash then UICR */
  uint64_t partial_ns[NPAGES]; /* accumulated partial erase per page */
  lf_soc_region regions[5];
  /* NVMC: the last operation queued [op_start, op_end); op_erase: it is an
   * erase (nothing is buffered behind it) */
  uint32_t config, partial_cfg, icache[3];
  uint64_t op_start, op_end;
  bool op_erase;
  /* protection */
  bool protect;             /* from UICR (and the firmware) since the last reset */
  bool pin_reset;           /* P0.18 is the reset pin (UICR.PSELRESET at the last reset) */
  bool force_protect;
  bool ctrl_unlocked;       /* a CTRL-AP ERASEALL ran since the last reset ... */
  uint64_t ctrl_unlock_at;  /* ... and opens the AHB-AP from its end */
  uint32_t ctrl_reset, ctrl_eraseall;
  uint64_t ctrl_erase_end;
  uint32_t gpio_out[2], gpio_dir[2], gpio_cnf[2][32];
  uint64_t uid_seed;
} nrf_soc;

static uint64_t ns_of(double v) { return v <= 0 ? 0 : (uint64_t)llround(v); }
static bool in(uint32_t a, unsigned size, uint32_t base, uint32_t len)
{
  return a >= base && a - base < len && size <= len - (a - base);
}
static bool hardened(const nrf_soc *s) { return s->p->nrf_hardened_approtect != 0; }

/* ---- FICR (N 1) ---- */

static void ficr_fill(nrf_soc *s)
{
  memset(s->ficr, 0xFF, sizeof s->ficr);
  lf_le_put(s->ficr + 0x010, PAGE_SIZE, 4);            /* CODEPAGESIZE */
  lf_le_put(s->ficr + 0x014, NPAGES, 4);               /* CODESIZE (pages) */
  lf_le_put(s->ficr + 0x05C, 0xFFFFFFFFu, 4);          /* nRF51 CONFIGID: matches no HWID */
  /* DEVICEID: 64 random bits (never 0 or all ones: BMP refuses those) */
  uint64_t h = s->uid_seed * 0x9E3779B97F4A7C15ull + 0x52840ull;
  h ^= h >> 29;
  uint32_t lo = (uint32_t)h | 0x01000000u, hi = (uint32_t)(h >> 32) & 0x7FFFFFFFu;
  lf_le_put(s->ficr + 0x060, lo, 4);
  lf_le_put(s->ficr + 0x064, hi ? hi : 1u, 4);
  lf_le_put(s->ficr + 0x100, 0x00052840u, 4);          /* INFO.PART */
  lf_le_put(s->ficr + 0x104, hardened(s) ? 0x41414630u : 0x41414430u, 4); /* "AAF0" / "AAD0" */
  lf_le_put(s->ficr + 0x108, 0x2004u, 4);              /* INFO.PACKAGE QI */
  lf_le_put(s->ficr + 0x10C, 0x100u, 4);               /* INFO.RAM KiB */
  lf_le_put(s->ficr + 0x110, 0x400u, 4);               /* INFO.FLASH KiB */
  lf_le_put(s->ficr + 0x130, 0x08u, 4);                /* part code (MDK errata tests) */
  lf_le_put(s->ficr + 0x134, hardened(s) ? 5u : 2u, 4); /* revision index: >= 5 hardened */
}

/* ---- protection ---- */

static void eval_protect(nrf_soc *s)
{
  uint32_t pall = s->uicr[UICR_APPROTECT];
  s->protect = hardened(s) ? true : pall != PALL_DISABLED;
}

static bool locked(const nrf_soc *s, uint64_t t)
{
  if (s->ctrl_unlocked && t >= s->ctrl_unlock_at)
    return false;
  return s->protect || s->force_protect;
}

/* ---- NVMC ---- */

static uint64_t t_write(const nrf_soc *s) { return ns_of(s->p->nrf_write_ns); }

/* Waits (moves *t) until the NVMC takes a new operation: a write may queue
 * behind a write in progress (READYNEXT); anything else waits for idle. */
static void nvmc_wait(nrf_soc *s, bool write, uint64_t *t)
{
  uint64_t until = s->op_end;
  if (write && !s->op_erase && s->p->nrf_readynext != 0)
    until = s->op_start; /* the buffered one has started */
  if (*t < until) {
    s->c->stall_ns += until - *t;
    *t = until;
  }
}

static void nvmc_begin(nrf_soc *s, uint64_t t, uint64_t ns, bool erase)
{
  s->op_start = t > s->op_end ? t : s->op_end;
  s->op_end = s->op_start + ns;
  s->op_erase = erase;
  s->c->flash_busy_ns += ns;
}

static void read_stall(nrf_soc *s, uint64_t *t)
{
  if (*t < s->op_end) {
    s->c->stall_ns += s->op_end - *t;
    *t = s->op_end;
  }
}

static void erase_range(nrf_soc *s, uint8_t *mem, uint8_t *wc, uint32_t len)
{
  memset(mem, 0xFF, len);
  memset(wc, 0, len / 4);
}

/* Every NVMC word write and page erase is one LF_FAULT_FLASH_ERROR event.
 * The NVMC has no error flag (N 3: only READY/READYNEXT), so an injected
 * flash error is an operation that takes its time and changes nothing: only
 * a verify can see it. (Its SR bits are ignored.) */
static bool injected_failure(nrf_soc *s)
{
  if (!s->faults || !lf_faults_event(s->faults, LF_FAULT_FLASH_ERROR))
    return false;
  s->c->flash_errors++;
  return true;
}

static int nvmc_word(nrf_soc *s, uint32_t addr, unsigned size, uint32_t v, uint64_t *t)
{
  if (size != 4 || (addr & 3u))
    return LF_BUS_ERR; /* N 3.1 #1 */
  if (s->config != CFG_WEN) {
    s->c->flash_errors++; /* N 3.1 #3: ignored */
    return LF_BUS_OK;
  }
  nvmc_wait(s, true, t);
  bool uicr = addr >= UICR_BASE;
  uint32_t off = uicr ? addr - UICR_BASE : addr;
  uint8_t *cell = (uicr ? s->uicr : s->flash) + off;
  uint8_t *wc = &s->wcount[(uicr ? FLASH_SIZE : 0) / 4 + off / 4];
  uint32_t old = (uint32_t)lf_le_get(cell, 4), nv = old & v; /* N 3.1 #2 */
  if (injected_failure(s))
    nv = old;
  if (*wc < 255)
    (*wc)++;
  if (*wc > s->p->nrf_nwrite && s->p->nrf_nwrite_corrupts != 0)
    for (unsigned i = 0; i < 4; i++) /* N 3.1 #6-7: unreliable, no flag */
      nv &= ~(0xFFu << (8 * i)) | ((uint32_t)lf_soc_garbage(addr + i) << (8 * i));
  lf_le_put(cell, nv, 4);
  nvmc_begin(s, *t, t_write(s), false);
  s->c->flash_prog_ops++;
  s->c->flash_prog_bytes += 4;
  if (uicr)
    s->c->flash_opt_writes++;
  return LF_BUS_OK;
}

static void erase_page(nrf_soc *s, uint32_t page)
{
  erase_range(s, s->flash + page * PAGE_SIZE, s->wcount + page * PAGE_SIZE / 4, PAGE_SIZE);
  s->partial_ns[page] = 0;
}

static void erase_all(nrf_soc *s)
{
  erase_range(s, s->flash, s->wcount, FLASH_SIZE);
  erase_range(s, s->uicr, s->wcount + FLASH_SIZE / 4, UICR_SIZE);
  memset(s->partial_ns, 0, sizeof s->partial_ns);
}

/* An erase register written with v (N 3, 3.1 #4, #10, #11). */
static void nvmc_erase(nrf_soc *s, uint32_t reg, uint32_t v, uint64_t *t)
{
  if (s->config != CFG_EEN) {
    s->c->flash_errors++;
    return;
  }
  const lf_bench_params *p = s->p;
  if ((reg == NV_ERASEALL || reg == NV_ERASEUICR) && v != 1)
    return;
  if ((reg == NV_ERASEPAGE || reg == NV_ERASEPCR0 || reg == NV_ERASEPARTIAL) && v >= FLASH_SIZE) {
    s->c->flash_errors++; /* not a code page (bench: ignored) */
    return;
  }
  nvmc_wait(s, false, t);
  switch (reg) {
  case NV_ERASEALL:
    erase_all(s);
    nvmc_begin(s, *t, ns_of(p->nrf_eraseall_ns), true);
    s->c->flash_mass_erases++;
    return;
  case NV_ERASEUICR:
    erase_range(s, s->uicr, s->wcount + FLASH_SIZE / 4, UICR_SIZE);
    nvmc_begin(s, *t, ns_of(p->nrf_eraseuicr_ns), true);
    s->c->flash_opt_writes++;
    return;
  case NV_ERASEPARTIAL: {
    uint32_t page = v / PAGE_SIZE;
    uint64_t ns = (uint64_t)(s->partial_cfg & 0x7Fu) * 1000000ull + ns_of(p->nrf_partial_setup_ns);
    s->partial_ns[page] += ns;
    if (s->partial_ns[page] >= ns_of(p->nrf_erasepage_ns)) {
      erase_page(s, page);
      s->c->flash_sector_erases++;
    }
    nvmc_begin(s, *t, ns, true);
    return;
  }
  default: /* ERASEPAGE, ERASEPCR0: the page holding v */
    if (!injected_failure(s))
      erase_page(s, v / PAGE_SIZE);
    nvmc_begin(s, *t, ns_of(p->nrf_erasepage_ns), true);
    s->c->flash_sector_erases++;
    return;
  }
}

static int nvmc_access(nrf_soc *s, uint32_t off, unsigned size, bool write, uint32_t *val,
                       uint64_t *t)
{
  if (size != 4 || (off & 3u))
    return LF_BUS_ERR;
  if (!write) {
    switch (off) {
    case NV_READY: *val = *t >= s->op_end; return LF_BUS_OK;
    case NV_READYNEXT:
      *val = *t >= s->op_end || (s->p->nrf_readynext != 0 && !s->op_erase && *t >= s->op_start);
      return LF_BUS_OK;
    case NV_CONFIG: *val = s->config; return LF_BUS_OK;
    case NV_PARTIALCFG: *val = s->partial_cfg; return LF_BUS_OK;
    case 0x540: case 0x548: case 0x54C: *val = s->icache[(off - 0x540) / 4 % 3]; return LF_BUS_OK;
    default: *val = 0; return LF_BUS_OK; /* write-only and reserved: 0 */
    }
  }
  switch (off) {
  case NV_CONFIG: s->config = *val & 3u; return LF_BUS_OK;
  case NV_PARTIALCFG: s->partial_cfg = *val & 0x7Fu; return LF_BUS_OK;
  case NV_ERASEPAGE: case NV_ERASEALL: case NV_ERASEPCR0: case NV_ERASEUICR: case NV_ERASEPARTIAL:
    nvmc_erase(s, off, *val, t);
    return LF_BUS_OK;
  case 0x540: case 0x548: case 0x54C: s->icache[(off - 0x540) / 4 % 3] = *val; return LF_BUS_OK;
  default: return LF_BUS_OK;
  }
}

/* ---- GPIO ---- */

static void gpio_set_out(nrf_soc *s, unsigned port, uint32_t nv, uint64_t t)
{
  uint32_t old = s->gpio_out[port];
  s->gpio_out[port] = nv;
  if (old != nv && s->gpio_obs->fn)
    s->gpio_obs->fn(s->gpio_obs->ctx, port, old, nv, t);
}

static int gpio_access(nrf_soc *s, uint32_t off, unsigned size, bool write, uint32_t *val,
                       uint64_t t)
{
  unsigned port = off >= 0x800u ? 1 : 0; /* P1 = P0 + 0x300: its registers from 0x800 */
  off -= port * 0x300u;
  if (size != 4 || (off & 3u) || off < 0x500u || off >= 0x800u)
    return LF_BUS_ERR;
  uint32_t *out = &s->gpio_out[port], *dir = &s->gpio_dir[port];
  if (!write) {
    switch (off) {
    case G_OUT: case G_OUTSET: case G_OUTCLR: *val = *out; return LF_BUS_OK;
    case G_IN: *val = *out & *dir; return LF_BUS_OK; /* outputs read back; inputs low */
    case G_DIR: case G_DIRSET: case G_DIRCLR: *val = *dir; return LF_BUS_OK;
    default: *val = off >= 0x700u ? s->gpio_cnf[port][(off - 0x700u) / 4] : 0; return LF_BUS_OK;
    }
  }
  switch (off) {
  case G_OUT: gpio_set_out(s, port, *val, t); return LF_BUS_OK;
  case G_OUTSET: gpio_set_out(s, port, *out | *val, t); return LF_BUS_OK;
  case G_OUTCLR: gpio_set_out(s, port, *out & ~*val, t); return LF_BUS_OK;
  case G_DIR: *dir = *val; return LF_BUS_OK;
  case G_DIRSET: *dir |= *val; return LF_BUS_OK;
  case G_DIRCLR: *dir &= ~*val; return LF_BUS_OK;
  default:
    if (off >= 0x700u) {
      uint32_t pin = (off - 0x700u) / 4;
      s->gpio_cnf[port][pin] = *val;
      *dir = (*dir & ~(1u << pin)) | ((*val & 1u) << pin); /* PIN_CNF.DIR */
    }
    return LF_BUS_OK;
  }
}

/* ---- the bus ---- */

static int apb_access(nrf_soc *s, uint32_t addr, unsigned size, bool write, uint32_t *val,
                      uint64_t *t)
{
  if (in(addr, size, NVMC_BASE, 0x1000u))
    return nvmc_access(s, addr - NVMC_BASE, size, write, val, t);
  uint32_t off = addr - APB_BASE;
  if (write && hardened(s) && size == 4) {
    if (off == APPROTECT_DISABLE && *val == PALL_HWDISABLED &&
        s->uicr[UICR_APPROTECT] == PALL_HWDISABLED)
      s->protect = false; /* N 5.2: both branches open */
    if (off == APPROTECT_FORCEPROTECT && *val == 0)
      s->force_protect = true;
  }
  /* bench: every other APB register keeps what is written (tools and
   * firmware touch CLOCK, POWER, WDT RR ...; none of it matters here) */
  if (write)
    lf_le_put(s->apb + off, *val, size);
  else
    *val = (uint32_t)lf_le_get(s->apb + off, size);
  return LF_BUS_OK;
}

static int nrf_access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                      uint32_t *val, uint64_t *t)
{
  (void)m;
  nrf_soc *s = self;
  if (size != 1 && size != 2 && size != 4)
    return LF_BUS_ERR;
  if (in(addr, size, 0, FLASH_SIZE) || in(addr, size, UICR_BASE, UICR_SIZE)) {
    if (write)
      return nvmc_word(s, addr, size, *val, t);
    read_stall(s, t);
    const uint8_t *mem = addr >= UICR_BASE ? s->uicr + (addr - UICR_BASE) : s->flash + addr;
    *val = (uint32_t)lf_le_get(mem, size);
    return LF_BUS_OK;
  }
  if (in(addr, size, FICR_BASE, sizeof s->ficr)) {
    if (write)
      return LF_BUS_ERR;
    *val = (uint32_t)lf_le_get(s->ficr + (addr - FICR_BASE), size);
    return LF_BUS_OK;
  }
  uint8_t *ram = in(addr, size, RAM_BASE, RAM_SIZE)    ? s->ram + (addr - RAM_BASE)
                 : in(addr, size, RAM_ALIAS, RAM_SIZE) ? s->ram + (addr - RAM_ALIAS)
                                                       : NULL;
  if (ram) {
    if (write)
      lf_le_put(ram, *val, size);
    else
      *val = (uint32_t)lf_le_get(ram, size);
    return LF_BUS_OK;
  }
  if (in(addr, size, APB_BASE, APB_SIZE))
    return apb_access(s, addr, size, write, val, t);
  if (in(addr, size, GPIO_BASE, GPIO_SIZE))
    return gpio_access(s, addr - GPIO_BASE, size, write, val, *t);
  return LF_BUS_ERR; /* DBGMCU 0xE0042000 included: an STM32 probe finds nothing here */
}

/* ---- CTRL-AP ---- */

static int nrf_ctrl_ap_access(void *self, unsigned apsel, uint8_t reg, bool write, uint32_t *val,
                              uint64_t t)
{
  (void)apsel;
  nrf_soc *s = self;
  if (!write) {
    switch (reg) {
    case CTRL_RESET: *val = s->ctrl_reset; break;
    case CTRL_ERASEALL: *val = s->ctrl_eraseall; break;
    case CTRL_ERASEALLSTATUS: *val = t < s->ctrl_erase_end; break;
    case CTRL_APPROTECTSTATUS: *val = !locked(s, t); break;
    case CTRL_IDR: *val = CTRL_AP_IDR; break;
    default: *val = 0; break;
    }
    return LF_BUS_OK;
  }
  switch (reg) {
  case CTRL_RESET: s->ctrl_reset = *val & 1u; break;
  case CTRL_ERASEALL:
    s->ctrl_eraseall = *val & 1u;
    if (s->ctrl_eraseall && t >= s->ctrl_erase_end) {
      uint64_t ns = ns_of(s->p->nrf_ctrlap_eraseall_ns);
      erase_all(s);
      if (s->p->nrf_ctrlap_erases_ram != 0)
        memset(s->ram, 0, RAM_SIZE);
      uint64_t start = t > s->op_end ? t : s->op_end;
      s->ctrl_erase_end = start + ns;
      s->op_start = start;
      s->op_end = s->ctrl_erase_end; /* the NVMC is busy with it */
      s->op_erase = true;
      s->ctrl_unlocked = true;
      s->ctrl_unlock_at = s->ctrl_erase_end;
      s->c->flash_mass_erases++;
      s->c->flash_busy_ns += ns;
    }
    break;
  default: break; /* ERASEALLSTATUS, APPROTECTSTATUS, IDR: read-only */
  }
  return LF_BUS_OK;
}

static bool nrf_ahb_ap_locked(const void *self, uint64_t t) { return locked(self, t); }
static bool nrf_reset_held(const void *self) { return ((const nrf_soc *)self)->ctrl_reset != 0; }
static bool nrf_pin_reset(const void *self) { return ((const nrf_soc *)self)->pin_reset; }

/* ---- life cycle ---- */

static const char *nrf_part_name(size_t i) { return i == 0 ? "nrf52840" : NULL; }

static void apb_reset(nrf_soc *s)
{
  memset(s->apb, 0, APB_SIZE);
  uint32_t w = WDT_BASE - APB_BASE;
  lf_le_put(s->apb + w + 0x404, 1u, 4);          /* REQSTATUS: RR[0] enabled */
  lf_le_put(s->apb + w + 0x504, 0xFFFFFFFFu, 4); /* CRV */
  lf_le_put(s->apb + w + 0x508, 1u, 4);          /* RREN */
}

static void nrf_reset(void *self, lf_soc_reset_kind kind, uint64_t t)
{
  (void)kind;
  nrf_soc *s = self;
  if (t < s->op_end) /* an operation cut short: the bench keeps what it did */
    s->op_end = s->op_start = t;
  s->config = CFG_REN;
  s->partial_cfg = 0x0Au;
  memset(s->icache, 0, sizeof s->icache);
  apb_reset(s);
  for (unsigned g = 0; g < 2; g++) {
    gpio_set_out(s, g, 0, t);
    s->gpio_dir[g] = 0;
    for (unsigned i = 0; i < 32; i++)
      s->gpio_cnf[g][i] = 0x2u; /* input buffer disconnected */
  }
  s->force_protect = false;
  /* bench: the reset the CTRL-AP's RESET holds keeps its ERASEALL's unlock
   * (pyOCD writes UICR.APPROTECT through the AHB-AP right after that reset,
   * N 5.2, 5.4); NRST, SYSRESETREQ and power-on end it */
  if (!s->ctrl_reset)
    s->ctrl_unlocked = false;
  eval_protect(s);
  /* N 6: P0.18 resets the chip only when PSELRESET[0] and [1] both say
   * pin 18, port 0, connected (0x00000012 over an erased word) */
  uint32_t p0 = (uint32_t)lf_le_get(s->uicr + UICR_PSELRESET0, 4);
  uint32_t p1 = (uint32_t)lf_le_get(s->uicr + UICR_PSELRESET0 + 4, 4);
  s->pin_reset = s->p->nrf_pin_reset_needs_pselreset == 0 ||
                 ((p0 & PSEL_MASK) == PSEL_P0_18 && (p1 & PSEL_MASK) == PSEL_P0_18);
}

static void nrf_set_uid(void *self, uint64_t seed)
{
  nrf_soc *s = self;
  s->uid_seed = seed;
  ficr_fill(s);
}

static void nrf_destroy(void *self)
{
  nrf_soc *s = self;
  if (!s)
    return;
  free(s->flash);
  free(s->ram);
  free(s->apb);
  free(s->wcount);
  free(s);
}

/* ROM table (N 1): AP0 BASE -> 0xE00FF000, Nordic's (JEP106 0x244 = bank 4
 * + 0x44), part 0x008, listing SCS, DWT, FPB, ITM, TPIU, ETM; the Arm
 * components as the Cortex-M4 profile's (cortexm.c). */
static const lf_cs_ident core_rom[] = {
  {0xE00FF000u, 0x008, 0x44, 0x4, 0x1, 0, 0,
   {0xFFF0F003u, 0xFFF02003u, 0xFFF03003u, 0xFFF01003u, 0xFFF41003u, 0xFFF42003u, 0}},
  {0xE000E000u, 0x00C, 0x3B, 0x4, 0xE, 0, 0, {0}},    /* SCS-M4 */
  {0xE0001000u, 0x002, 0x3B, 0x4, 0xE, 3, 0, {0}},    /* DWT */
  {0xE0002000u, 0x003, 0x3B, 0x4, 0xE, 2, 0, {0}},    /* FPB */
  {0xE0000000u, 0x001, 0x3B, 0x4, 0xE, 3, 0, {0}},    /* ITM */
  {0xE0040000u, 0x9A1, 0x3B, 0x4, 0x9, 0, 0x11, {0}}, /* TPIU-M4 */
  {0xE0041000u, 0x925, 0x3B, 0x4, 0x9, 0, 0x13, {0}}, /* ETM-M4 */
};

static void *nrf_create(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                        size_t errlen)
{
  if (strcmp(part, "nrf52840") != 0) {
    snprintf(err, errlen, "soc: unknown part '%s'", part);
    return NULL;
  }
  nrf_soc *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  s->p = env->p;
  s->c = env->c;
  s->faults = env->faults;
  s->gpio_obs = env->gpio;
  s->flash = malloc(FLASH_SIZE);
  s->ram = calloc(1, RAM_SIZE);
  s->apb = calloc(1, APB_SIZE);
  s->wcount = calloc(1, (FLASH_SIZE + UICR_SIZE) / 4);
  if (!s->flash || !s->ram || !s->apb || !s->wcount) {
    nrf_destroy(s);
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  memset(s->flash, 0xFF, FLASH_SIZE);
  memset(s->uicr, 0xFF, UICR_SIZE);
  nrf_set_uid(s, 0x0528400000000001ull);
  s->regions[0] = (lf_soc_region){"flash", 0, FLASH_SIZE, s->flash, false, false};
  s->regions[1] = (lf_soc_region){"ficr", FICR_BASE, sizeof s->ficr, s->ficr, false, false};
  s->regions[2] = (lf_soc_region){"uicr", UICR_BASE, UICR_SIZE, s->uicr, false, false};
  s->regions[3] = (lf_soc_region){"ram", RAM_BASE, RAM_SIZE, s->ram, true, false};
  s->regions[4] = (lf_soc_region){"code-ram", RAM_ALIAS, RAM_SIZE, s->ram, true, false};
  nrf_reset(s, LF_SOC_RESET_POWER, 0);
  *info = (lf_soc_info){
    .part = "nrf52840",
    .idcode = 0,
    .cpuid = 0x410FC241u,  /* N 1: Cortex-M4 r0p1 */
    .dpidr = 0x2BA01477u,  /* N 1: SW-DP DPv1 */
    .targetid = 0,
    .ap_idr = 0x24770011u, /* N 1: AHB-AP */
    .ap_base = 0xE00FF003u,
    .regions = s->regions,
    .nregions = 5,
    .aps = {{CTRL_AP_IDR, 0, LF_SOC_AP_CTRL}},
    .core_rom = core_rom,
    .ncore_rom = sizeof core_rom / sizeof core_rom[0],
  };
  return s;
}

static double nrf_sysclk_hz(const void *self) { return ((const nrf_soc *)self)->p->nrf_hclk_hz; }
static int nrf_rdp_level(const void *self) { return ((const nrf_soc *)self)->protect ? 1 : 0; }

static bool nrf_peek_byte(const void *self, uint32_t a, uint8_t *out)
{
  const nrf_soc *s = self;
  for (size_t i = 0; i < 5; i++)
    if (in(a, 1, s->regions[i].base, s->regions[i].size)) {
      *out = s->regions[i].mem[a - s->regions[i].base];
      return true;
    }
  return false;
}

/* State file: the flash array and the UICR. */
static int nrf_save_state(const void *self, FILE *f, char *err, size_t errlen)
{
  nrf_soc *s = (nrf_soc *)self;
  lf_soc_state_blob b[] = {{"flash", s->flash, FLASH_SIZE}, {"uicr", s->uicr, UICR_SIZE}};
  return lf_soc_state_save(f, "nrf52840", b, 2, err, errlen);
}

static int nrf_load_state(void *self, FILE *f, char *err, size_t errlen)
{
  nrf_soc *s = self;
  lf_soc_state_blob b[] = {{"flash", s->flash, FLASH_SIZE}, {"uicr", s->uicr, UICR_SIZE}};
  int rc = lf_soc_state_load(f, "nrf52840", b, 2, err, errlen);
  eval_protect(s); /* the board resets the SoC after loading; this keeps peeks consistent */
  return rc;
}

/* Registered in soc.c's family table. */
const lf_soc_family lf_soc_family_nrf52 = {
  .name = "nrf52",
  .part_name = nrf_part_name,
  .create = nrf_create,
  .destroy = nrf_destroy,
  .access = nrf_access,
  .reset = nrf_reset,
  .sysclk_hz = nrf_sysclk_hz,
  .rdp_level = nrf_rdp_level,
  .peek_byte = nrf_peek_byte,
  .save_state = nrf_save_state,
  .load_state = nrf_load_state,
  .set_uid = nrf_set_uid,
  .ctrl_ap_access = nrf_ctrl_ap_access,
  .ahb_ap_locked = nrf_ahb_ap_locked,
  .reset_held = nrf_reset_held,
  .pin_reset = nrf_pin_reset,
};
