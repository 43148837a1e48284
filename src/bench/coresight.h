/* CoreSight identification of debug components (ARM CoreSight Architecture:
 * CIDR/PIDR, ROM table entries), as data: the core model answers them for
 * the PPB components of its profile (or the table its SoC gives), a SoC for
 * the components on a debug bus of its own (an APB-AP's ROM table). */
#ifndef LF_BENCH_CORESIGHT_H
#define LF_BENCH_CORESIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One 4 KiB component. */
typedef struct lf_cs_ident {
  uint32_t base;
  uint16_t part;                  /* PIDR part number */
  uint8_t jep_id, jep_cont;       /* JEP106 identity (0x3B/4 = Arm, 0x20/0 = ST) */
  uint8_t cls;                    /* CIDR1 class: 1 ROM table, 9 CoreSight, 0xE generic IP */
  uint8_t rev;                    /* PIDR2[7:4] */
  uint8_t devtype;                /* class 9: DEVTYPE (0xFCC) */
  uint32_t entries[8];            /* class 1: ROM table entries, 0-terminated */
} lf_cs_ident;

/* The identification register (or ROM table entry) at addr of the component
 * of tab holding it; *hit false (and 0) when no component answers there.
 * st_part: when not 0, the part number an ST-designed (JEP106 0x20) table
 * shows instead of its own (STM32: the DEV_ID of DBGMCU_IDCODE). */
uint32_t lf_cs_ident_read(const lf_cs_ident *tab, size_t n, uint32_t addr, uint16_t st_part,
                          bool *hit);

#endif
