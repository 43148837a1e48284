/* Flash families: sector geometry, writable regions, address aliases and
 * program/erase timing of the STM32 parts luaflash knows, as data.
 *
 * A family is picked by DBGMCU_IDCODE.DEV_ID (IDCODE & 0xFFF); the geometry
 * of one chip then follows from its flash size (the 16-bit KiB register at
 * lf_family.flash_size_reg) and its bank mode (the option bit described by
 * lf_family.dual_reg / dual_mask / dual_when_set: F76x nDBANK = 0, F42x
 * DB1M = 1). All of it is pure: nothing here touches a target.
 *
 *     const lf_family *f = lf_family_by_dev(0x451);
 *     lf_flash_geometry g;
 *     if (lf_family_find(s, 0x451, 2048, lf_family_dual_from_opt(f, optcr), &g) < 0) ...
 *     const lf_flash_sector *sec = lf_geometry_sector_at(&g, 0x08010000);
 *
 * References: stm32f7-target.md §7 (layouts), §9.1 (times); stm32f4-target.md
 * §2.1, §7 (layouts), §9.1 (times). Every time is a datasheet figure named in
 * family.c; the ones the references tag unconfirmed are marked there. */
#ifndef LF_FLASH_FAMILY_H
#define LF_FLASH_FAMILY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/session.h"

#define LF_FLASH_MAX_SECTORS 24
#define LF_FLASH_MAX_REGIONS 4
#define LF_FLASH_MAX_ALIASES 2

/* FLASH_CR.PSIZE: program and erase parallelism (x64 needs external VPP). */
enum { LF_PSIZE_X8 = 0, LF_PSIZE_X16 = 1, LF_PSIZE_X32 = 2, LF_PSIZE_X64 = 3 };

/* Kinds of writable regions (bit mask, see lf_image_finish). */
enum { LF_REGION_MAIN = 1u, LF_REGION_OTP = 2u };

typedef struct lf_flash_sector {
  uint32_t addr, size;
  uint8_t index; /* logical number (ST HAL numbering: bank-2 sectors start at 12) */
  uint8_t snb;   /* value for FLASH_CR.SNB[4:0] (bank 2: 0x10 + k) */
  uint8_t bank;  /* 0 or 1 */
} lf_flash_sector;

typedef struct lf_mem_region {
  uint32_t start, size;
  unsigned kind; /* LF_REGION_* */
  const char *name;
} lf_mem_region;

/* Addresses [from, from+size) are the same bytes as [to, to+size): images
 * linked at `from` are written at `to` (F7: flash through ITCM, read-only). */
typedef struct lf_addr_alias {
  uint32_t from, size, to;
  const char *name;
} lf_addr_alias;

/* Times in ns; [0] typical, [1] maximum; inner index PSIZE. */
typedef struct lf_flash_erase_row {
  uint32_t size;
  uint64_t ns[2][4];
} lf_flash_erase_row;

typedef struct lf_flash_timing {
  uint64_t prog_ns[2][4];         /* one program access of PSIZE width */
  lf_flash_erase_row erase[5];    /* by sector size; size 0 ends the list */
  uint64_t mass_ns[2][4];         /* mass erase of mass_ref_bytes */
  uint32_t mass_ref_bytes;        /* other sizes scale linearly (assumption) */
} lf_flash_timing;

typedef struct lf_family {
  uint16_t dev_id;
  const char *name;               /* "STM32F76x/F77x" */
  const char *manual;             /* "RM0410" */
  uint32_t flash_size_reg;        /* 16-bit register, size in KiB */
  uint32_t dual_reg;              /* option register holding the bank-mode bit, 0 = none */
  uint32_t dual_mask;
  bool dual_when_set;             /* true: bit = 1 means dual bank (DB1M); false: nDBANK */
} lf_family;

typedef struct lf_flash_geometry {
  const lf_family *family;
  uint32_t flash_kib;
  bool dual_bank;
  uint32_t base, size;            /* main array */
  unsigned nbanks;
  unsigned nsectors;
  lf_flash_sector sector[LF_FLASH_MAX_SECTORS]; /* ascending addresses */
  unsigned nregions;
  lf_mem_region region[LF_FLASH_MAX_REGIONS];   /* writable; region[0] is the main array */
  unsigned naliases;
  lf_addr_alias alias[LF_FLASH_MAX_ALIASES];
  const lf_flash_timing *timing;
  char name[64];                  /* "STM32F76x/F77x 2048 KiB single bank" */
} lf_flash_geometry;

/* The family for a DEV_ID (IDCODE & 0xFFF), or NULL. */
const lf_family *lf_family_by_dev(uint16_t dev_id);
/* Decodes the bank-mode option bit from the value of f->dual_reg. */
bool lf_family_dual_from_opt(const lf_family *f, uint32_t opt_value);

/* Fills *g for one chip. dual_bank: the chip's bank-mode option says dual
 * (ignored where the size fixes the mode, e.g. 2 MiB F42x is always dual).
 * LF_ENOTSUP for an unknown DEV_ID, LF_EINVAL for a flash size or bank mode
 * the family does not have (incl. an unprogrammed size register 0 / 0xFFFF). */
int lf_family_find(lf_session *s, uint16_t dev_id, uint32_t flash_kib, bool dual_bank,
                   lf_flash_geometry *g);

/* The sector holding addr (main array address), or NULL. */
const lf_flash_sector *lf_geometry_sector_at(const lf_flash_geometry *g, uint32_t addr);

/* Modeled times (ns) from the family's table; max selects the maximum column. */
uint64_t lf_geometry_erase_ns(const lf_flash_geometry *g, const lf_flash_sector *sec,
                              unsigned psize, bool max);
uint64_t lf_geometry_mass_ns(const lf_flash_geometry *g, unsigned psize, bool max);
uint64_t lf_geometry_prog_ns(const lf_flash_geometry *g, unsigned psize, bool max);

#endif
