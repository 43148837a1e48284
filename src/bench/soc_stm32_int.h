/* Private to the STM32 SoC model: what a family file (soc_stm32f7.c,
 * soc_stm32f4.c) describes for the family-neutral machinery in soc_stm32.c.
 * A part is data only: memories, system-info page, register blocks, flash
 * controller description (flashctl.h), debug identity. The machinery never
 * names a part's number; a family file holds no logic.
 *
 * Adding an STM32 family: a soc_stm32<family>.c exporting its
 * NULL-terminated part list, declared below and listed in soc_stm32.c's
 * family table. (A SoC family of another shape: soc_family.h.) */
#ifndef LF_BENCH_SOC_STM32_INT_H
#define LF_BENCH_SOC_STM32_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/flashctl.h"
#include "bench/soc_util.h" /* register tables: lf_stm32_reg */

/* LF_STM32_FLASH_ALIAS: read-only view of the array (F7 ITCM);
 * LF_STM32_FLASH_BOOT: boot remap at 0 that also programs (F4). */
typedef enum lf_stm32_mem_kind {
  LF_STM32_RAM, LF_STM32_FLASH, LF_STM32_FLASH_ALIAS, LF_STM32_FLASH_BOOT, LF_STM32_SYSROM
} lf_stm32_mem_kind;

typedef struct lf_stm32_mem {
  const char *name;
  uint32_t base, size;
  lf_stm32_mem_kind kind;
  bool rdp_debug_block; /* RDP 1: DEBUG accesses fail */
} lf_stm32_mem;

typedef struct lf_stm32_window { uint32_t base, size; } lf_stm32_window;


/* Where the reset vector is fetched: BOOT_ADD0 of OPTCR1 (<< 14), or the
 * flash alias at 0 (BOOT0 = 0). */
typedef enum lf_stm32_boot { LF_STM32_BOOT_OPTCR1_ADD0, LF_STM32_BOOT_FLASH_ALIAS } lf_stm32_boot;

typedef struct lf_stm32_part {
  const char *name;
  uint32_t idcode, cpuid;
  uint32_t dpidr, targetid, ap_idr, ap_base; /* SW-DP and AHB-AP as read by a debugger */
  const lf_stm32_mem *mems;
  size_t nmems;
  const lf_fc_desc *flash;
  uint32_t flashreg_base;
  uint32_t sysinfo_base, sysinfo_size, uid_addr, fsize_addr, pkg_addr;
  uint16_t pkg_value;
  uint32_t sysrom_sp;          /* initial SP of the stand-in system memory image */
  uint32_t rcc_base, crc_base, iwdg_base, gpio_base, dbgmcu_base;
  unsigned ngpio;
  const lf_stm32_gpio_reset *gpio_resets; /* index = port; ports beyond the list reset to 0 */
  size_t ngpio_resets;
  uint32_t crc_clk_bit;        /* AHB1ENR bit */
  uint32_t iwdg_sw_bit;        /* OPTCR bit: 1 = software IWDG */
  lf_stm32_boot boot;
  const lf_stm32_window *windows; /* peripheral bus windows: unmodeled addresses read 0 */
  size_t nwindows;
  uint64_t uid_seed;
  /* A CRC table without INIT/POL is a fixed CRC-32/MPEG-2 unit fed whole words. */
  lf_stm32_reg_table rcc_regs, crc_regs, iwdg_regs, dbgmcu_regs;
  const lf_stm32_window *bitband; /* regions with a bit-band alias (+0x02000000); NULL: none */
  size_t nbitband;
} lf_stm32_part;

/* Part lists of the families, NULL-terminated. */
extern const lf_stm32_part *const lf_stm32_parts_f7[];
extern const lf_stm32_part *const lf_stm32_parts_f4[];

#endif
