/* The family registry and the parts table (family.h): one row per family
 * unit (in identification order), one row per orderable part luaflash knows,
 * used by C (nominal geometry before connect) and Lua (luaflash.parts,
 * --chip, board files) alike. A part row names its family unit and the
 * family's line ID; the rest (sector layout, timings, loader) is the
 * family's.
 * Facts: stm32f7-target.md §1, §12; stm32f4-target.md §1, §12;
 * stm32-f1-l4-h7-targets.md 1 (DEV_IDs and flash sizes of the parts). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "flash/family.h"

extern const lf_family lf_family_stm32f4f7;
extern const lf_family lf_family_stm32f1;
extern const lf_family lf_family_stm32l4;
extern const lf_family lf_family_stm32h7;
extern const lf_family lf_family_rp2040;
extern const lf_family lf_family_nrf52;

static const lf_family *const families[] = {
  &lf_family_stm32f4f7,
  &lf_family_stm32f1,
  &lf_family_stm32l4,
  &lf_family_stm32h7, /* reads 0x5C001000: after the families that read 0xE0042000 */
  &lf_family_rp2040,  /* reads SYSINFO CHIP_ID 0x40000000 (TIM2_CR1 on an STM32: no match) */
  /* ---- nRF52 (issue 15) ---- reads FICR 0x10000100 (CCM RAM on an STM32F4): last */
  &lf_family_nrf52,
};

const lf_family *lf_family_at(size_t i)
{
  return i < sizeof families / sizeof families[0] ? families[i] : NULL;
}

static const lf_part parts[] = {
  /* STM32F76x/F77x (DEV_ID 0x451) */
  {"STM32F765ZI", "", "stm32f4f7", 0x451, 2048},
  {"STM32F767ZI", "", "stm32f4f7", 0x451, 2048},
  {"STM32F769NI", "", "stm32f4f7", 0x451, 2048},
  {"STM32F777ZI", "", "stm32f4f7", 0x451, 2048},
  {"STM32F779NI", "", "stm32f4f7", 0x451, 2048},
  {"STM32F767ZG", "", "stm32f4f7", 0x451, 1024},
  /* STM32F74x/F75x (DEV_ID 0x449) */
  {"STM32F746ZG", "", "stm32f4f7", 0x449, 1024},
  {"STM32F756ZG", "", "stm32f4f7", 0x449, 1024},
  {"STM32F746NG", "", "stm32f4f7", 0x449, 1024},
  /* STM32F72x/F73x (DEV_ID 0x452) */
  {"STM32F722ZE", "", "stm32f4f7", 0x452, 512},
  {"STM32F723IE", "", "stm32f4f7", 0x452, 512},
  {"STM32F732ZE", "", "stm32f4f7", 0x452, 512}, /* ST size letter E = 512 KiB */
  /* STM32F42x/F43x (DEV_ID 0x419) */
  {"STM32F429ZI", "", "stm32f4f7", 0x419, 2048},
  {"STM32F439ZI", "", "stm32f4f7", 0x419, 2048},
  {"STM32F427VG", "", "stm32f4f7", 0x419, 1024},
  /* STM32F40x/F41x (DEV_ID 0x413) */
  {"STM32F407VG", "", "stm32f4f7", 0x413, 1024},
  {"STM32F405RG", "", "stm32f4f7", 0x413, 1024},
  {"STM32F417IG", "", "stm32f4f7", 0x413, 1024},
  /* STM32H74x/H75x (DEV_ID 0x450, stm32-f1-l4-h7-targets.md 1.3): the 2 MiB
   * parts (two banks of 8 x 128 KiB) */
  {"STM32H743ZI", "", "stm32h7", 0x450, 2048},
  {"STM32H743VI", "", "stm32h7", 0x450, 2048},
  {"STM32H743II", "", "stm32h7", 0x450, 2048},
  {"STM32H743BI", "", "stm32h7", 0x450, 2048},
  {"STM32H743XI", "", "stm32h7", 0x450, 2048},
  {"STM32H743AI", "", "stm32h7", 0x450, 2048},
  {"STM32H753ZI", "", "stm32h7", 0x450, 2048},
  {"STM32H753VI", "", "stm32h7", 0x450, 2048},
  {"STM32H753II", "", "stm32h7", 0x450, 2048},
  {"STM32H753BI", "", "stm32h7", 0x450, 2048},
  {"STM32H753XI", "", "stm32h7", 0x450, 2048},
  /* STM32F10x medium density (DEV_ID 0x410; stm32-f1-l4-h7-targets.md 1.1) */
  {"STM32F103C8", "", "stm32f1", 0x410, 64},
  {"STM32F103CB", "", "stm32f1", 0x410, 128},
  {"STM32F103RB", "", "stm32f1", 0x410, 128},
  {"STM32F103VB", "", "stm32f1", 0x410, 128},
  /* STM32F10x high density (DEV_ID 0x414; ST size letters C/D/E = 256/384/512 KiB) */
  {"STM32F103RC", "", "stm32f1", 0x414, 256},
  {"STM32F103RE", "", "stm32f1", 0x414, 512},
  {"STM32F103VE", "", "stm32f1", 0x414, 512},
  {"STM32F103ZE", "", "stm32f1", 0x414, 512},
  /* STM32L47x/L48x (DEV_ID 0x415; stm32-f1-l4-h7-targets.md 1.2; size letters C/E/G = 256/512/1024 KiB) */
  {"STM32L476RG", "", "stm32l4", 0x415, 1024},
  {"STM32L476VG", "", "stm32l4", 0x415, 1024},
  {"STM32L476ZG", "", "stm32l4", 0x415, 1024},
  {"STM32L476RE", "", "stm32l4", 0x415, 512},
  {"STM32L476RC", "", "stm32l4", 0x415, 256},
  {"STM32L475VG", "", "stm32l4", 0x415, 1024},
  {"STM32L486RG", "", "stm32l4", 0x415, 1024},
  /* RP2040 (CHIP_ID PART 0x0002, nrf52-rp2040-targets.md 9) with the
   * Raspberry Pi Pico's 2 MiB W25Q16JV: the flash is a separate chip, its
   * size the board's */
  {"RP2040", "rp2040-pico", "rp2040", 0x0002, 2048},
  /* ---- nRF52 (issue 15): line = FICR INFO.PART (nrf52-rp2040-targets.md 1);
   * aliases: pyOCD's target name, the QIAA package ---- */
  {"nRF52840", "nrf52840_xxaa,nrf52840-qiaa,nrf52840qiaa", "nrf52", 0x52840, 1024},
};
#define NPARTS (sizeof parts / sizeof parts[0])

const lf_part *lf_part_at(size_t i) { return i < NPARTS ? &parts[i] : NULL; }

static bool same(const char *a, const char *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
      return false;
  return true;
}

static bool eq(const char *a, const char *b) { return strlen(a) == strlen(b) && same(a, b, strlen(a)); }

/* `want` is one of the comma-separated names in list. */
static bool in_list(const char *list, const char *want)
{
  size_t n = strlen(want);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && same(p, want, n))
      return true;
    p += len + (e ? 1 : 0);
  }
  return false;
}

/* Vendor prefixes a part may be named without ("f767zi"). */
static const char *const prefixes[] = {"STM32"};

bool lf_part_short_name(const lf_part *p, char *buf, size_t len)
{
  for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
    size_t pl = strlen(prefixes[k]);
    if (same(p->name, prefixes[k], pl) && p->name[pl]) {
      snprintf(buf, len, "%s", p->name + pl);
      for (char *c = buf; *c; c++)
        *c = (char)tolower((unsigned char)*c);
      return true;
    }
  }
  return false;
}

/* The part a name means exactly: its name, an alias, or its short name. */
static const lf_part *find_exact(const char *name)
{
  char sh[32];
  for (size_t i = 0; i < NPARTS; i++)
    if (eq(parts[i].name, name) || in_list(parts[i].aliases, name) ||
        (lf_part_short_name(&parts[i], sh, sizeof sh) && eq(sh, name)))
      return &parts[i];
  return NULL;
}

const lf_part *lf_part_find(const char *name)
{
  if (!name || !*name)
    return NULL;
  const lf_part *p = find_exact(name);
  if (p)
    return p;
  /* an ordering code: the part + package letter + temperature digit
   * ("STM32F767ZIT6", probe-rs' "STM32F767ZITx") */
  size_t n = strlen(name);
  char base[64];
  if (n < 3 || n >= sizeof base || !isalpha((unsigned char)name[n - 2]) ||
      !(isdigit((unsigned char)name[n - 1]) || name[n - 1] == 'x' || name[n - 1] == 'X'))
    return NULL;
  memcpy(base, name, n - 2);
  base[n - 2] = 0;
  return find_exact(base);
}

int lf_part_geometry(lf_session *s, const lf_part *p, lf_flash_geometry *g)
{
  const lf_family *f = lf_family_by_name(p->family);
  if (!f)
    return lf_err_set(s, LF_EINVAL, "part %s: unknown family '%s'", p->name, p->family);
  lf_chip c = {.family = f, .line = p->line, .flash_kib = p->flash_kib, .supported = true};
  snprintf(c.name, sizeof c.name, "%s", p->name);
  return f->geometry(s, &c, g);
}
