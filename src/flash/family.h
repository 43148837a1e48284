/* Flash families and geometry.
 *
 * A family unit (one C file per flash controller, e.g. stm32f4f7.c) knows
 * everything about its chips: how to identify them through target reads,
 * their flash geometry and timings, the streaming loader that programs them,
 * and their protection. It is reached only through an lf_family and the
 * registry below; nothing else in C or Lua names a family.
 *
 * A geometry is data: erase units (sectors or pages) in address order, built
 * from regions {base, count, size}; writable regions and address aliases;
 * the program units the controller accepts; timings. It is allocated (no
 * fixed sector maximum) and may also be described by a board or project file
 * (lf_geometry_build) for a variant the tables do not know. The plan works
 * on any geometry; a loader needs a family's adapter.
 *
 *     lf_chip c;
 *     lf_family_identify(s, memap, NULL, &c);          // reads the chip's ID registers
 *     lf_flash_geometry g;
 *     c.family->geometry(s, &c, &g);                   // or lf_part_geometry()
 *     const lf_flash_sector *sec = lf_geometry_sector_at(&g, 0x08010000);
 *     lf_geometry_free(&g);
 *
 * Every timing in a family table names its datasheet source. */
#ifndef LF_FLASH_FAMILY_H
#define LF_FLASH_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

struct lf_memap;
struct lf_adi;
struct lf_loader_adapter;

#define LF_FLASH_MAX_REGIONS 4
#define LF_FLASH_MAX_ALIASES 2
#define LF_FLASH_MAX_BANKS 2
#define LF_FLASH_MAX_ERASE_ROWS 8
#define LF_FLASH_MAX_BLOCKS 2
/* Program units are 1 << k bytes, k = 0 (x8) .. LF_FLASH_UNITS - 1 (256-bit words). */
#define LF_FLASH_UNITS 6

/* Kinds of writable regions (bit mask, see lf_image_finish). */
enum { LF_REGION_MAIN = 1u, LF_REGION_OTP = 2u };

/* One erase unit (sector or page). */
typedef struct lf_flash_sector {
  uint32_t addr, size;
  uint32_t index; /* logical number as the vendor counts (ST HAL: bank-2 sectors of an F7 start at 12) */
  uint8_t bank;   /* 0-based */
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

/* Times in ns; [0] typical, [1] maximum; inner index log2 of the program
 * unit in bytes (some controllers erase faster with a wider parallelism). A
 * column that is 0 is not known for that unit: the nearest narrower one is
 * used. */
typedef struct lf_flash_erase_row {
  uint32_t size;
  uint64_t ns[2][LF_FLASH_UNITS];
} lf_flash_erase_row;

typedef struct lf_flash_timing {
  uint64_t prog_ns[2][LF_FLASH_UNITS];            /* one program operation of that unit */
  lf_flash_erase_row erase[LF_FLASH_MAX_ERASE_ROWS]; /* by erase-unit size; size 0 ends the list */
  uint64_t mass_ns[2][LF_FLASH_UNITS];            /* mass erase of mass_ref_bytes */
  uint32_t mass_ref_bytes;                        /* other sizes scale linearly (assumption) */
  /* Erase blocks (a QSPI NOR flash's 64 KiB and 32 KiB block erases,
   * W25Q16JV), largest first, size 0 ends the list: an aligned block of
   * block_size[k] bytes whose erase units are all erased goes in one
   * operation of block_ns[k] ([0] typical, [1] maximum). The plan costs such
   * a block so (lf_geometry_block_at) and a loader adapter with
   * erase_blocks gets one ERASE command for it. */
  uint32_t block_size[LF_FLASH_MAX_BLOCKS];
  uint64_t block_ns[LF_FLASH_MAX_BLOCKS][2];
} lf_flash_timing;

typedef struct lf_family lf_family;

typedef struct lf_flash_geometry {
  const lf_family *family;        /* NULL: described by a board/project, no loader */
  uint32_t line;                  /* the family's line/part ID (STM32: DEV_ID) */
  char name[64];                  /* "STM32F76x/F77x 2048 KiB single bank" */
  uint32_t flash_kib;
  bool dual_bank;
  uint32_t base, size;            /* main array */
  unsigned nbanks;
  uint32_t bank_base[LF_FLASH_MAX_BANKS], bank_size[LF_FLASH_MAX_BANKS];
  /* Independent banks: each bank has a controller of its own, so erases and
   * programs of different banks run at the same time (STM32H7). The plan's
   * costs are then per bank and the slowest bank bounds them; a mass erase
   * takes the time of one bank (all erase at once). */
  bool parallel_banks;
  /* A program unit can be written once after an erase (ECC: STM32L4, H7):
   * a unit that reads erased but was programmed (with the erased value) may
   * not be programmed again, so a sector is never programmed without its
   * erase, however blank it reads (the plan's erase avoidance is off). */
  bool program_once;
  /* The family's streaming loader serves PROGRAM_BITS (lf_loader_abi.h): a
   * sector whose new content only clears bits of the old is programmed
   * without its erase (no ECC; never with program_once). */
  bool bits_only;
  /* ... but a program unit is written over only when it reads erased (the
   * nRF52: nWRITE), not whenever new AND old == new */
  bool bits_blank_only;
  bool bits_zero_ok;              /* ... or when the new unit is all zero (the STM32F1) */
  unsigned nsectors;
  lf_flash_sector *sector;        /* nsectors, ascending addresses (allocated) */
  unsigned nregions;
  lf_mem_region region[LF_FLASH_MAX_REGIONS];   /* writable; region[0] is the main array */
  unsigned naliases;
  lf_addr_alias alias[LF_FLASH_MAX_ALIASES];
  uint8_t erased;                 /* value of an erased byte (0xFF) */
  unsigned prog_units;            /* bit k: a program unit of 1 << k bytes is possible */
  unsigned prog_unit;             /* the default program unit in bytes */
  lf_flash_timing timing;
  uint32_t page_size;             /* > 0: program ranges are whole pages of this many bytes,
                                     page-aligned (a CMSIS-Pack algorithm's szPage: flash/flm.h) */
} lf_flash_geometry;

/* ---- geometry ---- */

/* A description to build a geometry from: the main array as regions of equal
 * erase units (one bank each, or several regions per bank), optional extra
 * writable regions and aliases. */
typedef struct lf_geometry_region {
  uint32_t base, count, size;
  uint8_t bank;
  uint32_t first_index;           /* logical number of the first unit */
} lf_geometry_region;

typedef struct lf_geometry_desc {
  const char *name;
  const lf_family *family;        /* may be NULL */
  uint32_t line;
  const lf_geometry_region *regions;
  size_t nregions;                /* contiguous, ascending, no gaps */
  const lf_mem_region *extra;     /* OTP and the like */
  size_t nextra;
  const lf_addr_alias *aliases;
  size_t naliases;
  uint8_t erased;
  unsigned prog_units, prog_unit;
  const lf_flash_timing *timing;
  bool parallel_banks;            /* lf_flash_geometry.parallel_banks */
  bool program_once;              /* lf_flash_geometry.program_once */
} lf_geometry_desc;

/* Fills *g (zeroed first; lf_geometry_free releases it). LF_EINVAL naming
 * what is wrong: no regions, a gap or overlap, a size not a power of two
 * multiple of the program unit, too many banks/regions, no timing. */
int lf_geometry_build(lf_session *s, const lf_geometry_desc *d, lf_flash_geometry *g);
void lf_geometry_free(lf_flash_geometry *g);
/* Deep copy (dst is overwritten; free it with lf_geometry_free). */
int lf_geometry_copy(lf_session *s, lf_flash_geometry *dst, const lf_flash_geometry *src);

/* The sector holding addr (main array address), or NULL. */
const lf_flash_sector *lf_geometry_sector_at(const lf_flash_geometry *g, uint32_t addr);
/* The bank holding addr, or -1. */
int lf_geometry_bank_at(const lf_flash_geometry *g, uint32_t addr);
/* log2 of a program unit the geometry allows; -1 when it does not. */
int lf_geometry_unit_log2(const lf_flash_geometry *g, unsigned unit_bytes);

/* Modeled times (ns) from the geometry's table for a program unit (bytes);
 * max selects the maximum column. A mass erase scales the table's time by
 * the bytes it erases over mass_ref_bytes: the whole array, or with
 * parallel banks the largest bank (they erase at once). */
uint64_t lf_geometry_erase_ns(const lf_flash_geometry *g, const lf_flash_sector *sec, unsigned unit,
                              bool max);
uint64_t lf_geometry_mass_ns(const lf_flash_geometry *g, unsigned unit, bool max);
uint64_t lf_geometry_prog_ns(const lf_flash_geometry *g, unsigned unit, bool max);
/* Erase blocks: the number of erase units in a block of kind k
 * (timing.block_size[k]) starting at sector index i, when i starts one (its
 * address aligned) and the block lies wholly in the flash; else 0. */
unsigned lf_geometry_block_at(const lf_flash_geometry *g, unsigned i, unsigned k);

/* ---- families ---- */

/* What identification found on a connected chip. */
typedef struct lf_chip {
  const lf_family *family;
  uint32_t line;                  /* family's line ID (STM32: DEV_ID) */
  uint32_t rev;                   /* silicon revision as the chip reports it */
  uint32_t idcode;                /* the raw ID register (STM32: DBGMCU_IDCODE) */
  char name[48];                  /* "STM32F76x/F77x" */
  uint32_t flash_kib;             /* from the chip's flash-size register (0: unknown) */
  bool dual_bank;                 /* from its bank-mode option */
  bool flash_known;               /* flash_kib and dual_bank were read (lf_chip_flash_info) */
  bool supported;                 /* the family can program this line */
} lf_chip;

/* Read protection as the family decodes it. */
typedef struct lf_protection {
  int level;                      /* 0 = none; 1, 2 = the vendor's levels */
  uint32_t reg;                   /* address of the register decoded */
  uint32_t value;                 /* its value */
  char what[96];                  /* "RDP level 1 (FLASH_OPTCR 0x..., RDP byte 0x55)" */
  /* level > 0: what the level means for flashing and how to get back to
   * level 0 (or that it is permanent), for the user */
  char message[640];
} lf_protection;

/* What a debugger sets at connect for this family: a register whose bits
 * keep the debug port alive in low-power modes (STM32 DBGMCU_CR). 0 = none. */
typedef struct lf_family_debug {
  uint32_t lowpower_reg, lowpower_bits;
} lf_family_debug;

struct lf_family {
  const char *name;               /* "stm32f4f7" (unit name, for listings and board files) */
  const char *title;              /* "STM32F2/F4/F7 embedded flash" */
  lf_family_debug debug;
  /* Reads the chip's ID through m: 1 = a chip of this family (out filled),
   * 0 = not this family, < 0 = error. Only what names the chip is read:
   * connect stays as cheap as the ID register. */
  int (*identify)(lf_session *s, struct lf_memap *m, lf_chip *out);
  /* Reads what the geometry needs from the chip (flash size, bank mode)
   * into c and sets c->flash_known; NULL: identify knows it all. */
  int (*flash_info)(lf_session *s, struct lf_memap *m, lf_chip *c);
  /* The geometry of one chip: line, flash size and bank mode as the chip
   * reports them or as a part row says. LF_ENOTSUP for a line it knows but
   * cannot program, LF_EINVAL for a size or bank mode the line does not have. */
  int (*geometry)(lf_session *s, const lf_chip *c, lf_flash_geometry *g);
  /* The streaming loader for a geometry of this family, or NULL. */
  const struct lf_loader_adapter *(*loader)(const lf_flash_geometry *g);
  /* Reads and decodes read protection; LF_ENOTSUP when it has none. */
  int (*protection)(lf_session *s, struct lf_memap *m, const lf_chip *c, lf_protection *out);
  /* Unique ID of a line (address 0 = none) */
  void (*unique_id)(uint32_t line, uint32_t *addr, uint32_t *len);
  /* Checks that a described geometry (lf_geometry_build from a board file)
   * fits what this family's loader can program; NULL = any. */
  int (*check_geometry)(lf_session *s, const lf_flash_geometry *g);
  /* Optional: the i-th UF2 family ID (microsoft/uf2 uf2families.json) a
   * line accepts, 0 after the last (UF2 images: lf_image_finish). */
  uint32_t (*uf2_family)(uint32_t line, size_t i);
  /* The family names this line (supported or not): lf_line_geometry asks
   * it for that line and nobody else. NULL: geometry is tried. */
  bool (*knows_line)(uint32_t line);
  /* Every geometry of the family is program_once (ECC flash), described
   * ones too. */
  bool program_once;
  /* Its loader serves PROGRAM_BITS (lf_flash_geometry.bits_only,
   * bits_blank_only). */
  bool bits_only, bits_blank_only, bits_zero_ok;
  /* Optional (nRF52): access-port protection seen from a vendor AP, for a
   * chip whose memory AP refuses every transfer. After a failed connect:
   * 1 = a chip of this family, protected (out: what it is and how to
   * recover), 0 = not this family or not protected, < 0 = error. a is
   * connected (the DP answers). */
  int (*access_check)(lf_session *s, struct lf_adi *a, lf_protection *out);
  /* Optional (nRF52): erase everything through the vendor AP, which also
   * lifts the protection (the caller asked the user's consent). a is
   * connected; the chip is reset afterwards. LF_ENOTSUP when the chip
   * behind a is not one of this family's. */
  int (*recover)(lf_session *s, struct lf_adi *a);
};

/* ---- helpers for family units ---- */

/* Identification by one 32-bit ID register whose low 12 bits name the line
 * (STM32 DBGMCU_IDCODE; revision in bits 31:16): reads reg through m and
 * asks name_of(line) whether the family names it (NULL: not this family)
 * and whether it can program it. Returns as lf_family.identify. */
int lf_identify_by_idcode(lf_session *s, struct lf_memap *m, uint32_t reg,
                          const char *(*name_of)(uint32_t line, bool *supported), lf_chip *out);

/* One named flag of a status register. */
typedef struct lf_flag_name {
  uint32_t bit;
  const char *name;
} lf_flag_name;

/* "WRPERR PGSERR": the names of sr's flags in table order, or "no error flag"
 * (lf_loader_adapter.status_names). */
void lf_flag_names(const lf_flag_name *names, size_t n, uint32_t sr, char *buf, size_t len);

/* The registry: every family unit, in identification order. */
const lf_family *lf_family_at(size_t i);
const lf_family *lf_family_by_name(const char *name);

/* Identifies the chip behind m: the hinted family first (when given), then
 * every registered one. A family that reads a missing register (a bus fault)
 * does not match. LF_ENOTSUP with the IDs read when no family knows the chip. */
int lf_family_identify(lf_session *s, struct lf_memap *m, const lf_family *hint, lf_chip *out);
/* The chip's flash size and bank mode, read once (c->flash_known). */
int lf_chip_flash_info(lf_session *s, struct lf_memap *m, lf_chip *c);

/* The geometry of a line of a family (NULL: the registered family that
 * names the line, else the first whose geometry takes it) with a flash
 * size and bank mode. LF_ENOTSUP when no family has it. */
int lf_line_geometry(lf_session *s, const lf_family *f, uint32_t line, uint32_t flash_kib,
                     bool dual_bank, lf_flash_geometry *g);

/* ---- parts: one row per orderable part (parts.c) ---- */
typedef struct lf_part {
  const char *name;               /* "STM32F767ZI" */
  const char *aliases;            /* comma-separated extra names, or "" */
  const char *family;             /* family unit name */
  uint32_t line;                  /* the family's line ID (DEV_ID) */
  uint32_t flash_kib;             /* nominal flash size */
} lf_part;

const lf_part *lf_part_at(size_t i);
/* Case-insensitive: the name, an alias, the name without the vendor's
 * prefix ("f767zi"), or an ordering code of one of those (package letter +
 * temperature digit or x: "STM32F767ZIT6", "STM32F767ZITx"). NULL when
 * unknown. */
const lf_part *lf_part_find(const char *name);
/* The part's name without its vendor prefix, lower case ("f767zi"); false
 * when it has none. */
bool lf_part_short_name(const lf_part *p, char *buf, size_t len);
/* The nominal geometry of a part (its flash size, the default bank mode). */
int lf_part_geometry(lf_session *s, const lf_part *p, lf_flash_geometry *g);

#endif
