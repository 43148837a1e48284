/* The SoC dispatch layer: soc.h's API over the families' ops tables
 * (soc_family.h). Finds a part in the registry below, owns what every
 * family shares (identity, counters, the GPIO observer) and supplies the
 * defaults soc.h documents for the ops a family leaves NULL.
 *
 * Invariant: s->fam's required ops are non-NULL (checked at creation), so
 * lf_soc_access is one indirect call. */
#include "bench/soc.h"

#include <stdlib.h>
#include <string.h>

#include "bench/soc_family.h"

/* The registry: every family lf_soc_new knows, in the order the
 * unknown-part message lists their parts. A new family: its file and one
 * line in each of these two. */
extern const lf_soc_family lf_soc_family_stm32;
extern const lf_soc_family lf_soc_family_stm32h7;
extern const lf_soc_family lf_soc_family_stm32f1;
extern const lf_soc_family lf_soc_family_stm32l4;
extern const lf_soc_family lf_soc_family_rp2040;
extern const lf_soc_family lf_soc_family_nrf52;
static const lf_soc_family *const families[] = {&lf_soc_family_stm32, &lf_soc_family_stm32h7,
                                                &lf_soc_family_stm32f1, &lf_soc_family_stm32l4,
                                                &lf_soc_family_rp2040, &lf_soc_family_nrf52};
#define NFAMILIES (sizeof families / sizeof families[0])

struct lf_soc {
  const lf_soc_family *fam;
  void *self;                     /* the family's state */
  lf_soc_info info;
  lf_soc_counters c;
  lf_soc_gpio_obs gpio;
  const lf_bench_params *p;
};

static bool has_part(const lf_soc_family *f, const char *name)
{
  const char *n;
  for (size_t i = 0; (n = f->part_name(i)) != NULL; i++)
    if (strcmp(n, name) == 0)
      return true;
  return false;
}

/* "a, b, c": every part of every family, in registry order. */
static const char *part_list(char *buf, size_t len)
{
  size_t used = 0;
  buf[0] = 0;
  for (size_t f = 0; f < NFAMILIES; f++) {
    const char *n;
    for (size_t i = 0; (n = families[f]->part_name(i)) != NULL && used < len; i++) {
      int k = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n);
      used += k > 0 ? (size_t)k : 0;
    }
  }
  return buf;
}

lf_soc *lf_soc_new_family(const lf_soc_family *fam, const char *part, const lf_bench_params *p,
                          lf_faults *faults, char *err, size_t errlen)
{
  if (!fam->part_name || !fam->create || !fam->destroy || !fam->access) {
    snprintf(err, errlen, "soc: family %s lacks a required op", fam->name);
    return NULL;
  }
  lf_soc *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  s->fam = fam;
  s->p = p;
  lf_soc_env env = {p, faults, &s->c, &s->gpio};
  s->self = fam->create(part, &env, &s->info, err, errlen);
  if (!s->self) {
    free(s);
    return NULL;
  }
  return s;
}

lf_soc *lf_soc_new(const char *part, const lf_bench_params *p, lf_faults *faults, char *err,
                   size_t errlen)
{
  for (size_t f = 0; part && f < NFAMILIES; f++)
    if (has_part(families[f], part))
      return lf_soc_new_family(families[f], part, p, faults, err, errlen);
  char known[512];
  snprintf(err, errlen, "soc: unknown part '%s' (known: %s)", part ? part : "(null)",
           part_list(known, sizeof known));
  return NULL;
}

void lf_soc_free(lf_soc *s)
{
  if (!s)
    return;
  s->fam->destroy(s->self);
  free(s);
}

int lf_soc_access(lf_soc *s, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                  uint32_t *val, uint64_t *t_ns)
{
  int rc = s->fam->access(s->self, m, addr, size, write, val, t_ns);
  if (rc != LF_BUS_OK)
    s->c.bus_errors++;
  return rc;
}

/* ------------------------------------------------------------------ */
/* Identity and regions: data the family gave at creation              */

const char *lf_soc_part(const lf_soc *s) { return s->info.part; }
uint32_t lf_soc_idcode(const lf_soc *s) { return s->info.idcode; }
uint32_t lf_soc_cpuid(const lf_soc *s) { return s->info.cpuid; }

void lf_soc_debug_ids(const lf_soc *s, uint32_t *dpidr, uint32_t *targetid, uint32_t *ap_idr,
                      uint32_t *ap_base)
{
  *dpidr = s->info.dpidr;
  *targetid = s->info.targetid;
  *ap_idr = s->info.ap_idr;
  *ap_base = s->info.ap_base;
}

lf_soc_ap lf_soc_debug_ap(const lf_soc *s, unsigned apsel)
{
  lf_soc_ap none = {0, 0, LF_SOC_AP_NONE};
  return apsel >= 1 && apsel < LF_SOC_MAX_APS ? s->info.aps[apsel - 1] : none;
}

const lf_soc_multidrop *lf_soc_debug_multidrop(const lf_soc *s) { return &s->info.md; }

void lf_soc_debug_rescue(lf_soc *s, uint32_t ctrl, uint64_t t_ns)
{
  if (s->fam->debug_rescue)
    s->fam->debug_rescue(s->self, ctrl, t_ns);
}

size_t lf_soc_core_rom(const lf_soc *s, const lf_cs_ident **out)
{
  *out = s->info.core_rom;
  return s->info.core_rom ? s->info.ncore_rom : 0;
}

size_t lf_soc_regions(lf_soc *s, const lf_soc_region **out)
{
  *out = s->info.regions;
  return s->info.nregions;
}

const lf_soc_counters *lf_soc_counters_get(const lf_soc *s) { return &s->c; }

void lf_soc_set_gpio_cb(lf_soc *s, lf_soc_gpio_fn fn, void *ctx)
{
  s->gpio = (lf_soc_gpio_obs){fn, ctx};
}

/* ------------------------------------------------------------------ */
/* Optional ops and their defaults (soc.h)                             */

void lf_soc_reset(lf_soc *s, lf_soc_reset_kind kind, uint64_t t_ns)
{
  if (s->fam->reset)
    s->fam->reset(s->self, kind, t_ns);
}

double lf_soc_sysclk_hz(const lf_soc *s)
{
  return s->fam->sysclk_hz ? s->fam->sysclk_hz(s->self) : s->p->core_hsi_hz;
}

uint32_t lf_soc_boot_address(const lf_soc *s)
{
  return s->fam->boot_address ? s->fam->boot_address(s->self) : 0;
}

int lf_soc_rdp_level(const lf_soc *s) { return s->fam->rdp_level ? s->fam->rdp_level(s->self) : 0; }

bool lf_soc_flash_locked(const lf_soc *s)
{
  return s->fam->flash_locked ? s->fam->flash_locked(s->self) : false;
}

void lf_soc_debug_connected(lf_soc *s)
{
  if (s->fam->debug_connected)
    s->fam->debug_connected(s->self);
}

/* Default peek_byte: the bytes of the directly mapped regions. */
static bool region_byte(const lf_soc *s, uint32_t a, uint8_t *out)
{
  for (size_t i = 0; i < s->info.nregions; i++) {
    const lf_soc_region *r = &s->info.regions[i];
    if (a >= r->base && a - r->base < r->size) {
      *out = r->mem[a - r->base];
      return true;
    }
  }
  return false;
}

int lf_soc_peek(const lf_soc *s, uint32_t addr, void *buf, size_t len)
{
  uint8_t *b = buf;
  for (size_t i = 0; i < len; i++)
    if (!(s->fam->peek_byte ? s->fam->peek_byte(s->self, addr + (uint32_t)i, &b[i])
                            : region_byte(s, addr + (uint32_t)i, &b[i]))) {
      memset(b + i, 0, len - i);
      return -1;
    }
  return 0;
}

int lf_soc_save_state(const lf_soc *s, FILE *f, char *err, size_t errlen)
{
  if (s->fam->save_state)
    return s->fam->save_state(s->self, f, err, errlen);
  snprintf(err, errlen, "soc state: %s keeps no state file", s->info.part);
  return -1;
}

int lf_soc_load_state(lf_soc *s, FILE *f, char *err, size_t errlen)
{
  if (s->fam->load_state)
    return s->fam->load_state(s->self, f, err, errlen);
  snprintf(err, errlen, "soc state: %s keeps no state file", s->info.part);
  return -1;
}

void lf_soc_power_loss(lf_soc *s, uint64_t t_ns)
{
  if (s->fam->power_loss)
    s->fam->power_loss(s->self, t_ns);
}

void lf_soc_set_uid(lf_soc *s, uint64_t seed)
{
  if (s->fam->set_uid)
    s->fam->set_uid(s->self, seed);
}

int lf_soc_debug_apb_access(lf_soc *s, uint32_t addr, unsigned size, bool write, uint32_t *val,
                            uint64_t *t_ns)
{
  int rc = s->fam->debug_apb_access ? s->fam->debug_apb_access(s->self, addr, size, write, val, t_ns)
                                    : LF_BUS_ERR;
  if (rc != LF_BUS_OK)
    s->c.bus_errors++;
  return rc;
}

int lf_soc_ctrl_ap_access(lf_soc *s, unsigned apsel, uint8_t reg, bool write, uint32_t *val,
                          uint64_t t_ns)
{
  if (s->fam->ctrl_ap_access)
    return s->fam->ctrl_ap_access(s->self, apsel, reg, write, val, t_ns);
  if (!write)
    *val = 0;
  return LF_BUS_OK;
}

bool lf_soc_ahb_ap_locked(const lf_soc *s, uint64_t t_ns)
{
  return s->fam->ahb_ap_locked ? s->fam->ahb_ap_locked(s->self, t_ns) : false;
}

bool lf_soc_pin_reset(const lf_soc *s) { return s->fam->pin_reset ? s->fam->pin_reset(s->self) : true; }

bool lf_soc_reset_held(const lf_soc *s) { return s->fam->reset_held ? s->fam->reset_held(s->self) : false; }

uint64_t lf_soc_watchdog_deadline(const lf_soc *s)
{
  return s->fam->watchdog_deadline ? s->fam->watchdog_deadline(s->self) : UINT64_MAX;
}
