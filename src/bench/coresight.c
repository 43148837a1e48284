/* CoreSight identification registers from lf_cs_ident tables (coresight.h).
 * Layout: CIDR0-3 at 0xFF0-0xFFC (preamble 0x0D, class << 4, 0x05, 0xB1),
 * PIDR0-4 at 0xFE0-0xFEC and 0xFD0, MEMTYPE/DEVTYPE at 0xFCC. */
#include "bench/coresight.h"

#define JEP_ST 0x20

uint32_t lf_cs_ident_read(const lf_cs_ident *tab, size_t n, uint32_t addr, uint16_t st_part,
                          bool *hit)
{
  for (size_t i = 0; i < n; i++) {
    const lf_cs_ident *d = &tab[i];
    if (addr < d->base || addr - d->base >= 0x1000)
      continue;
    uint32_t off = addr - d->base;
    uint32_t part = d->part;
    if (d->jep_id == JEP_ST && d->jep_cont == 0 && st_part)
      part = st_part;
    *hit = true;
    if (d->cls == 1 && off < sizeof d->entries)
      return d->entries[off / 4];
    switch (off) {
    case 0xFD0: return d->jep_cont;                                    /* PIDR4 */
    case 0xFE0: return part & 0xFFu;                                   /* PIDR0 */
    case 0xFE4: return (uint32_t)(part >> 8 & 0xF) | (uint32_t)(d->jep_id & 0xF) << 4;
    case 0xFE8: return (uint32_t)(d->jep_id >> 4 & 7) | 8u | (uint32_t)(d->rev & 0xF) << 4; /* PIDR2 */
    case 0xFF0: return 0x0D;
    case 0xFF4: return (uint32_t)d->cls << 4;
    case 0xFF8: return 0x05;
    case 0xFFC: return 0xB1;
    case 0xFCC:                                                        /* MEMTYPE / DEVTYPE */
      return d->cls == 1 ? 1u : d->cls == 9 ? d->devtype : 0u;
    default: *hit = false; return 0;
    }
  }
  *hit = false;
  return 0;
}
