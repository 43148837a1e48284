/* STM32F7 parts of the STM32 SoC model (soc_stm32.c): data only.
 * Facts: stm32f7-target.md ("F7 n.m" below).
 *
 * STM32F767ZI (NUCLEO-F767ZI): Cortex-M7 with ITCM/DTCM; the reset vector
 * is fetched at BOOT_ADD0 of the active OPTCR1 (<< 14); flash is also seen
 * read-only through its ITCM alias at 0x00200000 (F7 5: not a programming
 * path; error type unconfirmed); no bit-band. */
#include <stddef.h>

#include "bench/soc_stm32_int.h"

/* F7 2. System memory (a stand-in image, soc_stm32.c) is rounded to 0xF000
 * so both its aliases stay 4 KiB aligned (bench choice). */
static const lf_stm32_mem f767_mems[] = {
  {"itcm", 0x00000000u, 16u << 10, LF_STM32_RAM, false},
  {"sysmem-itcm", 0x00100000u, 0xF000u, LF_STM32_SYSROM, false},
  {"flash-itcm", 0x00200000u, 2u << 20, LF_STM32_FLASH_ALIAS, true},
  {"flash", 0x08000000u, 2u << 20, LF_STM32_FLASH, true},
  {"sysmem", 0x1FF00000u, 0xF000u, LF_STM32_SYSROM, false},
  {"dtcm", 0x20000000u, 128u << 10, LF_STM32_RAM, false},
  {"sram1", 0x20020000u, 368u << 10, LF_STM32_RAM, false},
  {"sram2", 0x2007C000u, 16u << 10, LF_STM32_RAM, false},
  {"bkpsram", 0x40024000u, 4u << 10, LF_STM32_RAM, true},
};

/* F7 6.2: option image words (low half field, high half complement). */
static const lf_fc_optword f767_optimg[] = {
  {0x1FFF0000u, 0, 0}, {0x1FFF0008u, 0, 16}, {0x1FFF0010u, 1, 0}, {0x1FFF0018u, 1, 16},
};

/* F7 3, 4, 7: 2 MiB; single bank 4x32K,1x128K,7x256K; dual 2x(4x16K,1x64K,7x128K). */
static const lf_fc_desc f767_flash = {
  .flash_base = 0x08000000u,
  .flash_size = 2u << 20,
  .timing = LF_FC_TIMING_F7,
  .acr_mask = 0xB0Fu,         /* LATENCY PRFTEN ARTEN ARTRST (F7 3.2) */
  .sprmod_bit = 0,
  .single = {1, 2u << 20, {{4, 32u << 10}, {1, 128u << 10}, {7, 256u << 10}}, LF_FC_WRP_SECTOR},
  .dual = {2, 1u << 20, {{4, 16u << 10}, {1, 64u << 10}, {7, 128u << 10}}, LF_FC_WRP_PAIRS},
  .ndbank_bit = 1u << 29,
  .fixed_dual = false,
  .otp_base = 0x1FF0F000u,
  .otp_size = 1024,
  .otp_block = 64,
  .lock_base = 0x1FF0F400u,
  .nlocks = 16,
  .cr_mask = 0x830183FFu, /* LOCK ERRIE EOPIE STRT MER2 PSIZE SNB MER SER PG (3.5) */
  .optcr_factory = 0xFFFFAAFDu,
  .optcr1_factory = 0x00400080u,
  .optcr_mask = 0xFFFFFFFFu,
  .optcr1_mask = 0xFFFFFFFFu,
  .optimg = f767_optimg,
  .noptimg = sizeof f767_optimg / sizeof f767_optimg[0],
  .optimg_win = {{0x1FFF0000u, 0x20}},
};

/* GPIOA/GPIOB reset values differ (debug pins): RM0410 GPIO register map. */
static const lf_stm32_gpio_reset f767_gpio_resets[] = {
  {0xA8000000u, 0x0C000000u, 0x64000000u},
  {0x00000280u, 0x000000C0u, 0x00000100u},
};

/* Peripheral bus windows (CMSIS bases): APB1, APB2, AHB1, AHB2, AHB3 regs. */
static const lf_stm32_window f767_windows[] = {
  {0x40000000u, 0x8000u}, {0x40010000u, 0x8000u}, {0x40020000u, 0x60000u},
  {0x50000000u, 0x61000u}, {0xA0000000u, 0x2000u},
};

/* RCC (RM0410 register map; reset values of rarely used registers unconfirmed). */
static const lf_stm32_reg f767_rcc_regs[] = {
  {0x00, 0x00000083u, 0x150D00F9u, 0},  /* CR: HSION|HSIRDY, HSITRIM 0x10 */
  {0x04, 0x24003010u, 0x7F437FFFu, 0},  /* PLLCFGR (F7 17) */
  {0x08, 0x00000000u, 0xFFFFFCF3u, 0},  /* CFGR: SWS read-only */
  {0x0C, 0x00000000u, 0x00007F00u, 0},  /* CIR: clear bits 23:16 not stored */
  {0x10, 0, 0xFFFFFFFFu, 0}, {0x14, 0, 0xFFFFFFFFu, 0}, {0x18, 0, 0xFFFFFFFFu, 0},
  {0x20, 0, 0xFFFFFFFFu, 0}, {0x24, 0, 0xFFFFFFFFu, 0},
  {0x30, 0x00100000u, 0xFFFFFFFFu, 0},  /* AHB1ENR: DTCMRAMEN */
  {0x34, 0, 0xFFFFFFFFu, 0}, {0x38, 0, 0xFFFFFFFFu, 0},
  {0x40, 0, 0xFFFFFFFFu, 0}, {0x44, 0, 0xFFFFFFFFu, 0},
  {0x50, 0x006FF0FFu, 0xFFFFFFFFu, 0}, {0x54, 0x000000F1u, 0xFFFFFFFFu, 0},
  {0x58, 0x00000003u, 0xFFFFFFFFu, 0}, {0x60, 0xFFFFCFFFu, 0xFFFFFFFFu, 0},
  {0x64, 0x04F77F33u, 0xFFFFFFFFu, 0},
  {0x70, 0, 0xFFFFFFFFu, 0}, {0x74, 0x0E000000u, 0x01000001u, 0},
  {0x80, 0, 0xFFFFFFFFu, 0}, {0x84, 0x24003000u, 0xFFFFFFFFu, 0},
  {0x88, 0x24003000u, 0xFFFFFFFFu, 0}, {0x8C, 0, 0xFFFFFFFFu, 0}, {0x90, 0, 0xFFFFFFFFu, 0},
};

/* CRC (F7 CRC unit): programmable INIT and POL. */
static const lf_stm32_reg f767_crc_regs[] = {
  {0x00, 0xFFFFFFFFu, 0, 0}, {0x04, 0, 0xFFu, 0}, {0x08, 0, 0xF8u, 0},
  {0x10, 0xFFFFFFFFu, 0xFFFFFFFFu, 0}, {0x14, 0x04C11DB7u, 0xFFFFFFFFu, 0},
};

/* IWDG: KR, PR, RLR, SR, WINR. */
static const lf_stm32_reg f767_iwdg_regs[] = {
  {0x00, 0, 0, LF_STM32_WO}, {0x04, 0, 0x7u, 0}, {0x08, 0xFFFu, 0xFFFu, 0},
  {0x0C, 0, 0, LF_STM32_RO}, {0x10, 0xFFFu, 0xFFFu, 0},
};

/* DBGMCU (F7 12). */
static const lf_stm32_reg f767_dbgmcu_regs[] = {
  {0x00, 0, 0, LF_STM32_RO}, {0x04, 0, 0xE7u, LF_STM32_KEEP_SYS},
  {0x08, 0, 0x07E03FFFu, LF_STM32_KEEP_SYS}, {0x0C, 0, 0x00070003u, LF_STM32_KEEP_SYS},
};

static const lf_stm32_part f767zi = {
  .name = "stm32f767zi",
  .idcode = 0x10016451u,   /* F7 1: rev Z as read on silicon */
  .cpuid = 0x411FC270u,    /* F7 1: Cortex-M7 r1p0 */
  .dpidr = 0x5BA02477u,    /* F7 1, 10: DPv2 */
  .targetid = 0x04510041u, /* [unconf] F7 10: TARGETID not documented for the F767 */
  .ap_idr = 0x74770001u,   /* F7 10: AHB-AP (AHB5?) var0 */
  .ap_base = 0xE00FD003u,  /* F7 10 (AP BASE ≈ F746 log; F767 unconfirmed) */
  .mems = f767_mems,
  .nmems = sizeof f767_mems / sizeof f767_mems[0],
  .flash = &f767_flash,
  .flashreg_base = 0x40023C00u,
  .sysinfo_base = 0x1FF0F000u,
  .sysinfo_size = 0x1000u,
  .uid_addr = 0x1FF0F420u,
  .fsize_addr = 0x1FF0F442u,
  .pkg_addr = 0x1FF0F7E0u,
  .pkg_value = 0x0300u,    /* [unconf] PKG[10:8] code for LQFP144 */
  .sysrom_sp = 0x20080000u,
  .rcc_base = 0x40023800u,
  .crc_base = 0x40023000u,
  .iwdg_base = 0x40003000u,
  .gpio_base = 0x40020000u,
  .dbgmcu_base = 0xE0042000u,
  .ngpio = 11,
  .gpio_resets = f767_gpio_resets,
  .ngpio_resets = sizeof f767_gpio_resets / sizeof f767_gpio_resets[0],
  .crc_clk_bit = 12,
  .iwdg_sw_bit = 1u << 5,
  .boot = LF_STM32_BOOT_OPTCR1_ADD0,
  .windows = f767_windows,
  .nwindows = sizeof f767_windows / sizeof f767_windows[0],
  .uid_seed = 0x4C46F767ull,
  .rcc_regs = LF_STM32_REG_TABLE(f767_rcc_regs),
  .crc_regs = LF_STM32_REG_TABLE(f767_crc_regs),
  .iwdg_regs = LF_STM32_REG_TABLE(f767_iwdg_regs),
  .dbgmcu_regs = LF_STM32_REG_TABLE(f767_dbgmcu_regs),
};

const lf_stm32_part *const lf_stm32_parts_f7[] = {&f767zi, NULL};
