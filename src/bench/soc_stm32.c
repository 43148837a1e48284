/* STM32 SoC model: the SoC family "stm32" behind soc.c (soc_family.h; it
 * implements every op), neutral among the STM32 families: memory map, flash
 * (flashctl.c), option bytes, OTP, unique ID, and the small peripherals
 * loaders and applications touch (RCC, CRC, IWDG, GPIO, DBGMCU). Facts:
 * stm32f7-target.md ("F7 n.m" below) and stm32f4-target.md ("F4 n.m").
 *
 * Table-driven: a part is an lf_stm32_part (soc_stm32_int.h) contributed by
 * its family file (soc_stm32f7.c, soc_stm32f4.c) and found by name in the
 * family table below; the logic never names a part's number. What a part's
 * data selects:
 * - the boot rule: BOOT_ADD0 of the active OPTCR1, or the flash alias at 0;
 * - LF_STM32_FLASH_ALIAS: a read-only path to the array (reads stall like
 *   the array, stores answer LF_BUS_ERR); LF_STM32_FLASH_BOOT: a full flash
 *   path (stores program through the controller);
 * - the CRC unit of its register table: with INIT/POL a programmable unit
 *   fed by the written width; without them the polynomial is 0x04C11DB7,
 *   RESET loads 0xFFFFFFFF and any store to DR feeds the whole 32-bit data
 *   word;
 * - bit-band windows: an alias write is one byte read-modify-write on the
 *   target (bench choice).
 *
 * Bench decisions (documented, not hardware facts):
 * - System memory (ST bootloader ROM, not available) holds a tiny image: a
 *   vector table whose SP is the part's sysrom_sp and whose handlers all
 *   point to a "b ." loop at +0x40 of the last system-memory alias; the rest
 *   reads 0xFF.
 * - Unmodeled peripheral: any address inside a peripheral bus window with no
 *   model reads 0 and ignores writes; addresses outside every memory and bus
 *   window answer LF_BUS_ERR (counted in bus_errors).
 * - CRC and GPIO registers need their RCC AHB1ENR clock bit: while it is 0
 *   they read 0 and ignore writes (RM behaviour recalled, unconfirmed).
 * - RDP level 1 (active option RDP not 0xAA/0xCC): DEBUG-master accesses to
 *   flash (both aliases), OTP + lock bytes and backup SRAM answer LF_BUS_ERR
 *   (F7 5, unconfirmed). With params rdp1_blocks_flash_with_debug (default
 *   1; RM0402's read-protection text for the same controller: no read,
 *   erase or program while the debug feature is connected or after a boot
 *   from RAM/system memory, a bus error on reads) the chip is "locked" while
 *   RDP >= 1 and either the debug port was used since power-on
 *   (lf_soc_debug_connected: the board calls it on every AHB-AP access,
 *   which needs the debug power-up; a system reset keeps the latch, a
 *   power-on clears it) or the last reset booted from outside flash. Then
 *   the CORE's reads/fetches of those memories fault too (the regions are
 *   marked blocked; the core maps them without access), core stores to
 *   backup SRAM fault, and the controller refuses program/erase with
 *   rdp1_debug_flash_error (flashctl.c). Option programming still works:
 *   RDP 1 -> 0 mass-erases, and the next reset loads level 0 (unlocked).
 * - Power loss fills every RAM (incl. backup SRAM, VBAT is VDD on the NUCLEO)
 *   with lf_flashctl_garbage(address).
 * - DBGMCU_CR/APB1_FZ/APB2_FZ survive a system reset, cleared only by power-on
 *   (F7 12 "Persistence", ≈). IWDG freeze on halt is the board's business.
 * - IWDG timeout = 4 * 2^PR * (RLR + 1) / iwdg_lsi_hz (ST's formula); a
 *   hardware watchdog (active option IWDG_SW = 0) runs from every reset.
 * - RCC ready bits: HSIRDY follows HSION at once; HSERDY follows HSEON at once
 *   when params hse_hz > 0 (never otherwise); PLLRDY (and the I2S/SAI PLLs)
 *   pll_lock_ns after PLLON. SWS follows SW once the source is ready. */
#include "bench/soc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/flashctl.h"
#include "bench/soc_family.h"
#include "bench/soc_stm32_int.h"
#include "bench/soc_util.h"

/* The STM32 families whose parts this SoC family lists (part_name), in the
 * order the unknown-part message lists them. */
static const lf_stm32_part *const *const families[] = {lf_stm32_parts_f7, lf_stm32_parts_f4};

/* ------------------------------------------------------------------ */
/* Small peripherals: offsets and bits the logic uses                 */

/* RCC offsets and CR bits (RM0410 register map). */
enum { RCC_CR = 0x00, RCC_PLLCFGR = 0x04, RCC_CFGR = 0x08, RCC_CIR = 0x0C, RCC_AHB1ENR = 0x30 };
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CR_PLLI2SON (1u << 26)
#define RCC_CR_PLLI2SRDY (1u << 27)
#define RCC_CR_PLLSAION (1u << 28)
#define RCC_CR_PLLSAIRDY (1u << 29)


/* DBGMCU (F7 12). */
enum { DBG_IDCODE = 0x00, DBG_CR = 0x04, DBG_APB1 = 0x08, DBG_APB2 = 0x0C };

#define MAXGPIO 11

/* ------------------------------------------------------------------ */
/* Bus map                                                             */

typedef enum ent_kind {
  E_MEM, E_SYSINFO, E_OPTIMG, E_FLASHREG, E_RCC, E_CRC, E_IWDG, E_GPIO, E_DBGMCU, E_UNMODELED
} ent_kind;

typedef struct bus_ent { uint32_t base, size; ent_kind kind; unsigned idx; } bus_ent;

#define MAXENTS 48

typedef struct stm32_soc {
  const lf_stm32_part *d;
  const lf_bench_params *p;
  const lf_soc_gpio_obs *gpio_obs; /* the board's observer (soc.c owns it) */
  lf_flashctl *fc;
  uint8_t **bufs;            /* per lf_stm32_mem: host buffer (flash aliases share) */
  uint8_t *sysrom;
  uint8_t *sysinfo;
  lf_soc_region *regions;
  size_t nregions;
  bus_ent ents[MAXENTS];
  size_t nents;
  /* peripherals */
  lf_regblock rcc, dbgmcu;
  lf_gpio_port gpio[MAXGPIO];
  lf_crc_unit crc;
  lf_iwdg iwdg;
  uint64_t pll_on_at[3];      /* PLL, PLLI2S, PLLSAI: PLLON rising edge */
  unsigned sws;               /* active SYSCLK source */
  bool debug_seen;            /* debug port used since power-on */
  bool boot_nonflash;         /* the last reset booted from RAM or system memory */
  uint64_t uid_seed;
  lf_soc_counters *c;
} stm32_soc;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static uint64_t ns_of(double v) { return v <= 0 ? 0 : (uint64_t)llround(v); }

/* ------------------------------------------------------------------ */
/* RCC                                                                 */

static bool rcc_ready(const stm32_soc *s, unsigned src, uint64_t t)
{
  uint32_t cr = lf_regblock_get(&s->rcc, RCC_CR);
  switch (src) {
  case 0: return cr & RCC_CR_HSION;
  case 1: return (cr & RCC_CR_HSEON) && s->p->hse_hz > 0;
  case 2: return (cr & RCC_CR_PLLON) && t >= s->pll_on_at[0] + ns_of(s->p->pll_lock_ns);
  default: return false;
  }
}

/* SWS follows SW once the selected source is ready. */
static void rcc_update(stm32_soc *s, uint64_t t)
{
  unsigned sw = lf_regblock_get(&s->rcc, RCC_CFGR) & 3;
  if (sw != s->sws && sw < 3 && rcc_ready(s, sw, t))
    s->sws = sw;
}

static uint32_t rcc_read(stm32_soc *s, uint32_t off, uint64_t t)
{
  rcc_update(s, t);
  uint32_t v = lf_regblock_get(&s->rcc, off);
  if (off == RCC_CR) {
    uint64_t lock = ns_of(s->p->pll_lock_ns);
    static const uint32_t on[3] = {RCC_CR_PLLON, RCC_CR_PLLI2SON, RCC_CR_PLLSAION};
    static const uint32_t rdy[3] = {RCC_CR_PLLRDY, RCC_CR_PLLI2SRDY, RCC_CR_PLLSAIRDY};
    v &= ~(RCC_CR_HSIRDY | RCC_CR_HSERDY | rdy[0] | rdy[1] | rdy[2]);
    if (rcc_ready(s, 0, t))
      v |= RCC_CR_HSIRDY;
    if (rcc_ready(s, 1, t))
      v |= RCC_CR_HSERDY;
    for (int i = 0; i < 3; i++)
      if ((v & on[i]) && t >= s->pll_on_at[i] + lock)
        v |= rdy[i];
  } else if (off == RCC_CFGR) {
    v = (v & ~0xCu) | (s->sws << 2);
  }
  return v;
}

static void rcc_write(stm32_soc *s, uint32_t off, uint32_t wv, uint32_t lanes, uint64_t t)
{
  rcc_update(s, t);
  uint32_t old = lf_regblock_get(&s->rcc, off);
  lf_regblock_write(&s->rcc, off, wv, lanes);
  if (off == RCC_CR) {
    uint32_t n = lf_regblock_get(&s->rcc, RCC_CR);
    static const uint32_t on[3] = {RCC_CR_PLLON, RCC_CR_PLLI2SON, RCC_CR_PLLSAION};
    for (int i = 0; i < 3; i++)
      if ((n & on[i]) && !(old & on[i]))
        s->pll_on_at[i] = t;
  }
  rcc_update(s, t);
}

static bool ahb1_clock(const stm32_soc *s, unsigned bit)
{
  return (lf_regblock_get(&s->rcc, RCC_AHB1ENR) >> bit) & 1;
}

/* ------------------------------------------------------------------ */
/* GPIO                                                                */

static void gpio_write(stm32_soc *s, unsigned port, uint32_t off, uint32_t wv, uint32_t lanes,
                       uint64_t t)
{
  uint32_t old, now;
  if (lf_gpio_write(&s->gpio[port], off, wv, lanes, &old, &now) && s->gpio_obs->fn)
    s->gpio_obs->fn(s->gpio_obs->ctx, port, old, now, t);
}

static void gpio_port_reset(stm32_soc *s, unsigned port)
{
  lf_gpio_reset(&s->gpio[port], port < s->d->ngpio_resets ? &s->d->gpio_resets[port] : NULL);
}

/* ------------------------------------------------------------------ */
/* Register blocks: dispatch with lanes                                */

static double stm32_sysclk_hz(const void *self);

static int periph_access(stm32_soc *s, const bus_ent *e, lf_bus_master m, uint32_t off,
                         unsigned size, bool write, uint32_t *val, uint64_t *t)
{
  if (e->kind == E_FLASHREG)
    return lf_flashctl_reg(s->fc, m, off, size, write, val, t);
  uint32_t word = off & ~3u, sh = (off & 3) * 8;
  uint32_t lanes = (size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1)) << sh;
  uint32_t wv = write ? (*val << sh) & lanes : 0;
  uint32_t v = 0;
  switch (e->kind) {
  case E_RCC:
    if (write) rcc_write(s, word, wv, lanes, *t);
    else v = rcc_read(s, word, *t);
    break;
  case E_CRC:
    if (!ahb1_clock(s, s->d->crc_clk_bit))
      break;
    if (write) lf_crc_write(&s->crc, word, wv, lanes, *val, size, stm32_sysclk_hz(s), t, &s->c->stall_ns);
    else v = lf_crc_read(&s->crc, word, t, &s->c->stall_ns);
    break;
  case E_IWDG:
    if (write) lf_iwdg_write(&s->iwdg, word, wv, lanes, s->p->iwdg_lsi_hz, *t);
    else v = lf_regblock_read(&s->iwdg.r, word);
    break;
  case E_GPIO:
    if (!ahb1_clock(s, e->idx))
      break;
    if (write) gpio_write(s, e->idx, word, wv, lanes, *t);
    else v = lf_gpio_read(&s->gpio[e->idx], word);
    break;
  case E_DBGMCU:
    if (write) lf_regblock_write(&s->dbgmcu, word, wv, lanes);
    else v = word == DBG_IDCODE ? s->d->idcode : lf_regblock_get(&s->dbgmcu, word);
    break;
  default:
    break;
  }
  if (!write)
    *val = (v & lanes) >> sh;
  return LF_BUS_OK;
}

/* ------------------------------------------------------------------ */
/* Memories                                                            */

static int mem_access(stm32_soc *s, const bus_ent *e, lf_bus_master m, uint32_t off, unsigned size,
                      bool write, uint32_t *val, uint64_t *t)
{
  const lf_stm32_mem *md = &s->d->mems[e->idx];
  if (m == LF_BUS_DEBUG && md->rdp_debug_block && lf_flashctl_rdp_level(s->fc) >= 1)
    return LF_BUS_ERR;
  /* Locked: the core's reads fault; its flash stores reach the controller,
   * which refuses them with a flag; other stores (backup SRAM) fault. */
  if (m == LF_BUS_CORE && md->rdp_debug_block && lf_flashctl_locked(s->fc) &&
      (!write || md->kind == LF_STM32_RAM))
    return LF_BUS_ERR;
  switch (md->kind) {
  case LF_STM32_RAM:
    if (write)
      lf_le_put(s->bufs[e->idx] + off, *val, size);
    else
      *val = lf_le_get(s->bufs[e->idx] + off, size);
    return LF_BUS_OK;
  case LF_STM32_FLASH:
  case LF_STM32_FLASH_BOOT:
    return lf_flashctl_array_access(s->fc, m, off, size, write, val, t);
  case LF_STM32_FLASH_ALIAS:
    if (write)
      return LF_BUS_ERR; /* F7 5: not a programming path; error type unconfirmed */
    lf_flashctl_read_stall(s->fc, off, t);
    *val = lf_le_get(s->bufs[e->idx] + off, size);
    return LF_BUS_OK;
  case LF_STM32_SYSROM:
    if (write)
      return LF_BUS_ERR;
    *val = lf_le_get(s->sysrom + off, size);
    return LF_BUS_OK;
  }
  return LF_BUS_ERR;
}

static bool in_otp(const stm32_soc *s, uint32_t addr, unsigned size)
{
  const lf_fc_desc *f = s->d->flash;
  return addr >= f->otp_base && addr + size <= f->lock_base + f->nlocks &&
         f->lock_base == f->otp_base + f->otp_size;
}

static int sysinfo_access(stm32_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                          uint32_t *val, uint64_t *t)
{
  const lf_fc_desc *f = s->d->flash;
  bool otp = in_otp(s, addr, size);
  if (otp && m == LF_BUS_DEBUG && lf_flashctl_rdp_level(s->fc) >= 1)
    return LF_BUS_ERR;
  if (otp && m == LF_BUS_CORE && !write && lf_flashctl_locked(s->fc))
    return LF_BUS_ERR;
  if (otp)
    return lf_flashctl_otp_access(s->fc, m, addr - f->otp_base, size, write, val, t);
  if (write)
    return LF_BUS_ERR; /* UID, flash size, package: read-only */
  *val = lf_le_get(s->sysinfo + (addr - s->d->sysinfo_base), size);
  return LF_BUS_OK;
}

static const bus_ent *find_ent(const stm32_soc *s, uint32_t addr)
{
  for (size_t i = 0; i < s->nents; i++)
    if (addr >= s->ents[i].base && addr - s->ents[i].base < s->ents[i].size)
      return &s->ents[i];
  return NULL;
}

static int access1(stm32_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                   uint32_t *val, uint64_t *t)
{
  const bus_ent *e = find_ent(s, addr);
  if (!e || addr - e->base + size > e->size)
    return LF_BUS_ERR;
  uint32_t off = addr - e->base;
  switch (e->kind) {
  case E_MEM: return mem_access(s, e, m, off, size, write, val, t);
  case E_SYSINFO: return sysinfo_access(s, m, addr, size, write, val, t);
  case E_OPTIMG: {
    if (write)
      return LF_BUS_ERR;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
      uint8_t b = 0xFF;
      lf_flashctl_optimg_read(s->fc, addr + i, &b);
      v |= (uint32_t)b << (8 * i);
    }
    *val = v;
    return LF_BUS_OK;
  }
  case E_UNMODELED:
    if (!write)
      *val = 0;
    return LF_BUS_OK;
  default:
    return periph_access(s, e, m, off, size, write, val, t);
  }
}

/* Bit-band alias: the access becomes a read (or read-modify-write) of the
 * target byte holding the bit (bench choice: byte-sized on the target,
 * whatever the alias access size). *hit says whether addr is an alias. */
static int bitband_access(stm32_soc *s, lf_bus_master m, uint32_t addr, bool write, uint32_t *val,
                          uint64_t *t, bool *hit)
{
  *hit = false;
  for (size_t i = 0; i < s->d->nbitband; i++) {
    const lf_stm32_window *w = &s->d->bitband[i];
    uint32_t alias = w->base + 0x02000000u;
    if (addr < alias || addr - alias >= w->size * 32u)
      continue;
    *hit = true;
    uint32_t off = addr - alias, target = w->base + (off >> 5), bit = (off >> 2) & 7u;
    uint32_t b = 0;
    int rc = access1(s, m, target, 1, false, &b, t);
    if (rc != LF_BUS_OK || !write) {
      if (rc == LF_BUS_OK)
        *val = (b >> bit) & 1u;
      return rc;
    }
    b = (*val & 1u) ? (b | (1u << bit)) : (b & ~(1u << bit));
    return access1(s, m, target, 1, true, &b, t);
  }
  return LF_BUS_ERR;
}

/* The bus slave behind lf_soc_access (soc.c counts the errors). */
static int stm32_access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                        uint32_t *val, uint64_t *t_ns)
{
  stm32_soc *s = self;
  int rc;
  bool bb = false;
  if (size != 1 && size != 2 && size != 4) {
    rc = LF_BUS_ERR;
  } else if (s->d->nbitband && (rc = bitband_access(s, m, addr, write, val, t_ns, &bb), bb)) {
    /* rc from the target access */
  } else if (addr % size == 0) {
    rc = access1(s, m, addr, size, write, val, t_ns);
  } else {
    /* Unaligned: memories take it byte by byte; flash programming sees the
     * whole store (PGAERR); registers answer an error. */
    const bus_ent *e = find_ent(s, addr);
    if (e && e->kind == E_MEM && write &&
        (s->d->mems[e->idx].kind == LF_STM32_FLASH ||
         s->d->mems[e->idx].kind == LF_STM32_FLASH_BOOT)) {
      rc = access1(s, m, addr, size, write, val, t_ns);
    } else if (e && (e->kind == E_MEM || e->kind == E_SYSINFO || e->kind == E_OPTIMG)) {
      rc = LF_BUS_OK;
      uint32_t v = write ? *val : 0;
      for (unsigned i = 0; i < size && rc == LF_BUS_OK; i++) {
        uint32_t b = (v >> (8 * i)) & 0xFF;
        rc = access1(s, m, addr + i, 1, write, &b, t_ns);
        if (!write)
          v |= (b & 0xFF) << (8 * i);
      }
      if (!write && rc == LF_BUS_OK)
        *val = v;
    } else {
      rc = LF_BUS_ERR;
    }
  }
  return rc;
}

/* ------------------------------------------------------------------ */
/* Construction                                                        */

static void add_ent(stm32_soc *s, uint32_t base, uint32_t size, ent_kind k, unsigned idx)
{
  if (s->nents < MAXENTS)
    s->ents[s->nents++] = (bus_ent){base, size, k, idx};
}

static void fill_sysrom(stm32_soc *s, uint32_t size)
{
  memset(s->sysrom, 0xFF, size);
  uint32_t loop = 0; /* called only for a part with system memory */
  for (const lf_stm32_mem *m = s->d->mems; m < s->d->mems + s->d->nmems; m++)
    if (m->kind == LF_STM32_SYSROM)
      loop = m->base + 0x40u; /* the last alias (F7: AXIM) names the handlers */
  lf_le_put(s->sysrom, s->d->sysrom_sp, 4);
  for (uint32_t v = 1; v < 16; v++)
    lf_le_put(s->sysrom + 4 * v, loop | 1u, 4);
  lf_le_put(s->sysrom + 0x40, 0xE7FEu, 2); /* b . */
}

static void stm32_set_uid(void *self, uint64_t seed)
{
  stm32_soc *s = self;
  lf_stm32_uid_fill(s->sysinfo + (s->d->uid_addr - s->d->sysinfo_base), seed);
  s->uid_seed = seed;
}

/* The i-th part of the families, in table order; NULL past the last. */
static const lf_stm32_part *part_at(size_t i)
{
  for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
    for (const lf_stm32_part *const *d = families[f]; *d; d++)
      if (i-- == 0)
        return *d;
  return NULL;
}

static const char *stm32_part_name(size_t i)
{
  const lf_stm32_part *d = part_at(i);
  return d ? d->name : NULL;
}

static void stm32_destroy(void *self);
static void stm32_reset(void *self, lf_soc_reset_kind kind, uint64_t t);

static void *stm32_create(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                          size_t errlen)
{
  const lf_stm32_part *d = NULL;
  for (size_t i = 0; (d = part_at(i)) != NULL; i++)
    if (strcmp(d->name, part) == 0)
      break;
  if (!d) {
    snprintf(err, errlen, "soc: unknown part '%s'", part); /* soc.c asked part_name first */
    return NULL;
  }
  const lf_bench_params *p = env->p;
  stm32_soc *s = calloc(1, sizeof *s);
  if (!s)
    goto oom;
  s->d = d;
  s->p = p;
  s->c = env->c;
  s->gpio_obs = env->gpio;
  s->fc = lf_flashctl_new(d->flash, p, env->faults, env->c);
  s->bufs = calloc(d->nmems, sizeof *s->bufs);
  s->regions = calloc(d->nmems, sizeof *s->regions);
  s->sysinfo = malloc(d->sysinfo_size);
  if (!s->fc || !s->bufs || !s->regions || !s->sysinfo)
    goto oom;
  memset(s->sysinfo, 0xFF, d->sysinfo_size);
  uint32_t romsize = 0;
  for (size_t i = 0; i < d->nmems; i++)
    if (d->mems[i].kind == LF_STM32_SYSROM && d->mems[i].size > romsize)
      romsize = d->mems[i].size;
  if (romsize) {
    s->sysrom = malloc(romsize);
    if (!s->sysrom)
      goto oom;
    fill_sysrom(s, romsize);
  }
  for (size_t i = 0; i < d->nmems; i++) {
    const lf_stm32_mem *m = &d->mems[i];
    switch (m->kind) {
    case LF_STM32_RAM:
      s->bufs[i] = calloc(1, m->size);
      if (!s->bufs[i])
        goto oom;
      break;
    case LF_STM32_FLASH: case LF_STM32_FLASH_ALIAS: case LF_STM32_FLASH_BOOT:
      s->bufs[i] = lf_flashctl_array(s->fc);
      break;
    case LF_STM32_SYSROM: s->bufs[i] = s->sysrom; break;
    }
    s->regions[s->nregions++] = (lf_soc_region){m->name, m->base, m->size, s->bufs[i],
                                                 m->kind == LF_STM32_RAM, false};
    add_ent(s, m->base, m->size, E_MEM, (unsigned)i);
  }
  add_ent(s, d->sysinfo_base, d->sysinfo_size, E_SYSINFO, 0);
  for (size_t w = 0; w < 2; w++)
    if (d->flash->optimg_win[w].size)
      add_ent(s, d->flash->optimg_win[w].base, d->flash->optimg_win[w].size, E_OPTIMG, 0);
  add_ent(s, d->flashreg_base, 0x400, E_FLASHREG, 0);
  add_ent(s, d->rcc_base, 0x400, E_RCC, 0);
  add_ent(s, d->crc_base, 0x400, E_CRC, 0);
  add_ent(s, d->iwdg_base, 0x400, E_IWDG, 0);
  for (unsigned g = 0; g < d->ngpio && g < MAXGPIO; g++)
    add_ent(s, d->gpio_base + 0x400u * g, 0x400, E_GPIO, g);
  add_ent(s, d->dbgmcu_base, 0x1000, E_DBGMCU, 0);
  for (size_t w = 0; w < d->nwindows; w++)
    add_ent(s, d->windows[w].base, d->windows[w].size, E_UNMODELED, 0);

  lf_le_put(s->sysinfo + (d->fsize_addr - d->sysinfo_base), d->flash->flash_size >> 10, 2);
  lf_le_put(s->sysinfo + (d->pkg_addr - d->sysinfo_base), d->pkg_value, 2);
  stm32_set_uid(s, d->uid_seed);

  lf_regblock_init(&s->rcc, d->rcc_regs);
  lf_crc_init(&s->crc, d->crc_regs, p->crc_cycles_per_word);
  lf_iwdg_init(&s->iwdg, d->iwdg_regs);
  lf_regblock_init(&s->dbgmcu, d->dbgmcu_regs);
  for (unsigned g = 0; g < MAXGPIO; g++)
    lf_gpio_init(&s->gpio[g], false);
  stm32_reset(s, LF_SOC_RESET_POWER, 0);
  *info = (lf_soc_info){.part = d->name, .idcode = d->idcode, .cpuid = d->cpuid, .dpidr = d->dpidr,
                        .targetid = d->targetid, .ap_idr = d->ap_idr, .ap_base = d->ap_base,
                        .regions = s->regions, .nregions = s->nregions};
  return s;
oom:
  snprintf(err, errlen, "soc: out of memory");
  stm32_destroy(s);
  return NULL;
}

static void stm32_destroy(void *self)
{
  stm32_soc *s = self;
  if (!s)
    return;
  if (s->bufs)
    for (size_t i = 0; i < s->d->nmems; i++)
      if (s->d->mems[i].kind == LF_STM32_RAM)
        free(s->bufs[i]);
  free(s->bufs);
  free(s->regions);
  free(s->sysinfo);
  free(s->sysrom);
  lf_flashctl_free(s->fc);
  free(s);
}

static uint32_t stm32_boot_address(const void *self)
{
  const stm32_soc *s = self;
  switch (s->d->boot) {
  case LF_STM32_BOOT_OPTCR1_ADD0: return (lf_flashctl_optcr1_active(s->fc) & 0xFFFFu) << 14;
  case LF_STM32_BOOT_FLASH_ALIAS: return 0; /* F4 2: BOOT0 = 0, flash at 0 */
  }
  return 0;
}

/* Where the last reset fetched its vectors: outside flash = a RAM or
 * system-memory boot (RM0402: level 1 then blocks flash as with a debugger). */
static bool boots_outside_flash(const stm32_soc *s)
{
  uint32_t a = stm32_boot_address(s);
  for (size_t i = 0; i < s->d->nmems; i++) {
    const lf_stm32_mem *m = &s->d->mems[i];
    if (a >= m->base && a - m->base < m->size)
      return m->kind != LF_STM32_FLASH && m->kind != LF_STM32_FLASH_ALIAS &&
             m->kind != LF_STM32_FLASH_BOOT;
  }
  return true;
}

/* Re-evaluates the read-protection lock (after a reset or a debug access). */
static void update_lock(stm32_soc *s)
{
  bool locked = s->p->rdp1_blocks_flash_with_debug != 0 && lf_flashctl_rdp_level(s->fc) >= 1 &&
                (s->debug_seen || s->boot_nonflash);
  lf_flashctl_set_locked(s->fc, locked);
  for (size_t i = 0; i < s->nregions; i++)
    s->regions[i].blocked = locked && s->d->mems[i].rdp_debug_block;
}

static void stm32_debug_connected(void *self)
{
  stm32_soc *s = self;
  if (s->debug_seen)
    return;
  s->debug_seen = true;
  update_lock(s);
}

static bool stm32_flash_locked(const void *self)
{
  const stm32_soc *s = self;
  return lf_flashctl_locked(s->fc);
}

static void stm32_reset(void *self, lf_soc_reset_kind kind, uint64_t t)
{
  stm32_soc *s = self;
  bool power = kind == LF_SOC_RESET_POWER;
  lf_flashctl_reset(s->fc, power, t);
  if (power)
    s->debug_seen = false;
  s->boot_nonflash = boots_outside_flash(s);
  update_lock(s);
  lf_regblock_reset(&s->rcc, true);
  lf_crc_reset(&s->crc);
  lf_regblock_reset(&s->dbgmcu, power);
  for (unsigned g = 0; g < MAXGPIO; g++)
    gpio_port_reset(s, g);
  memset(s->pll_on_at, 0, sizeof s->pll_on_at);
  s->sws = 0;
  /* Hardware watchdog (option IWDG_SW = 0) starts with the chip. */
  lf_iwdg_reset(&s->iwdg, !(lf_flashctl_optcr_active(s->fc) & s->d->iwdg_sw_bit),
                s->p->iwdg_lsi_hz, t);
}

static double stm32_sysclk_hz(const void *self)
{
  const stm32_soc *s = self;
  double hsi = s->p->core_hsi_hz, hse = s->p->hse_hz;
  switch (s->sws) {
  case 1: return hse;
  case 2: {
    uint32_t c = lf_regblock_get(&s->rcc, RCC_PLLCFGR);
    unsigned pm = c & 0x3F, pn = (c >> 6) & 0x1FF, pp = 2 * (((c >> 16) & 3) + 1);
    double src = (c & (1u << 22)) ? hse : hsi;
    return pm ? src / pm * pn / pp : 0;
  }
  default: return hsi;
  }
}

static int stm32_rdp_level(const void *self)
{
  const stm32_soc *s = self;
  return lf_flashctl_rdp_level(s->fc);
}

static uint64_t stm32_watchdog_deadline(const void *self)
{
  const stm32_soc *s = self;
  return lf_iwdg_deadline(&s->iwdg);
}

/* ------------------------------------------------------------------ */
/* Backdoor, state, power                                              */

static bool stm32_peek_byte(const void *self, uint32_t a, uint8_t *out)
{
  const stm32_soc *s = self;
  const bus_ent *e = find_ent(s, a);
  if (!e)
    return false;
  switch (e->kind) {
  case E_MEM: *out = s->bufs[e->idx][a - e->base]; return true;
  case E_SYSINFO:
    if (in_otp(s, a, 1)) {
      *out = lf_flashctl_otp(s->fc)[a - s->d->flash->otp_base];
      return true;
    }
    *out = s->sysinfo[a - e->base];
    return true;
  case E_OPTIMG: return lf_flashctl_optimg_read(s->fc, a, out);
  default: return false;
  }
}

/* The state file: the flash array, OTP + lock bytes, and the programmed
 * OPTCR, OPTCR1 (little-endian). */
static int state_io(stm32_soc *s, FILE *f, bool save, char *err, size_t errlen)
{
  const lf_fc_desc *fd = s->d->flash;
  uint8_t opt[8];
  uint32_t o, o1;
  lf_flashctl_stored_options(s->fc, &o, &o1);
  lf_le_put(opt, o, 4);
  lf_le_put(opt + 4, o1, 4);
  lf_soc_state_blob blobs[] = {
    {"flash", lf_flashctl_array(s->fc), fd->flash_size},
    {"otp", lf_flashctl_otp(s->fc), fd->otp_size + fd->nlocks},
    {"options", opt, sizeof opt},
  };
  if (save)
    return lf_soc_state_save(f, s->d->name, blobs, 3, err, errlen);
  if (lf_soc_state_load(f, s->d->name, blobs, 3, err, errlen) != 0)
    return -1;
  lf_flashctl_set_stored_options(s->fc, lf_le_get(opt, 4), lf_le_get(opt + 4, 4));
  return 0;
}

static int stm32_save_state(const void *self, FILE *f, char *err, size_t errlen)
{
  return state_io((stm32_soc *)self, f, true, err, errlen);
}

static int stm32_load_state(void *self, FILE *f, char *err, size_t errlen)
{
  return state_io(self, f, false, err, errlen);
}

static void stm32_power_loss(void *self, uint64_t t)
{
  stm32_soc *s = self;
  lf_flashctl_power_loss(s->fc, t);
  for (size_t i = 0; i < s->d->nmems; i++) {
    const lf_stm32_mem *m = &s->d->mems[i];
    if (m->kind != LF_STM32_RAM)
      continue;
    for (uint32_t k = 0; k < m->size; k++)
      s->bufs[i][k] = lf_flashctl_garbage(m->base + k);
  }
  s->iwdg.running = false;
}

/* Registered in soc.c's family table. */
const lf_soc_family lf_soc_family_stm32 = {
  .name = "stm32",
  .part_name = stm32_part_name,
  .create = stm32_create,
  .destroy = stm32_destroy,
  .access = stm32_access,
  .reset = stm32_reset,
  .sysclk_hz = stm32_sysclk_hz,
  .boot_address = stm32_boot_address,
  .rdp_level = stm32_rdp_level,
  .flash_locked = stm32_flash_locked,
  .debug_connected = stm32_debug_connected,
  .peek_byte = stm32_peek_byte,
  .save_state = stm32_save_state,
  .load_state = stm32_load_state,
  .power_loss = stm32_power_loss,
  .set_uid = stm32_set_uid,
  .watchdog_deadline = stm32_watchdog_deadline,
};
