/* STM32F4 parts of the STM32 SoC model (soc_stm32.c): data only.
 * Facts: stm32f4-target.md ("F4 n.m" below).
 *
 * STM32F429ZI (NUCLEO-F429ZI) differs from the F767ZI in data only; what
 * its tables select:
 * - boot rule LF_STM32_BOOT_FLASH_ALIAS: main flash aliased at 0 (BOOT0 = 0
 *   on the NUCLEO; SYSCFG_MEMRMP and BFB2 bank swapping are not modeled)
 *   and the reset vector is fetched at 0 (F4 2);
 * - the alias at 0 is a full flash path (LF_STM32_FLASH_BOOT): reads stall
 *   like the array, stores program through the controller (bench choice:
 *   the remap is in the bus matrix, so the controller sees the same access;
 *   unconfirmed);
 * - the CRC unit has no POL/INIT registers: the polynomial is 0x04C11DB7
 *   and RESET loads 0xFFFFFFFF, and any store to DR feeds the whole 32-bit
 *   data word (F4 CRC is word-only; narrower stores: unconfirmed);
 * - the Cortex-M4 bit-band aliases of SRAM and peripherals (one byte
 *   read-modify-write on the target per alias write; bench choice);
 * - CCM RAM (0x10000000) is a plain RAM region: the core could execute from
 *   it, which silicon forbids (D-bus only; not modeled). */
#include <stddef.h>

#include "bench/soc_stm32_int.h"

/* F4 2: flash aliased at 0 (BOOT0 = 0); CCM data RAM reachable by core and
 * debugger; system memory 30 KiB rounded down to 0x7000 so the region stays
 * 4 KiB aligned (its last 2 KiB read 0xFF through the system-info page). */
static const lf_stm32_mem f429_mems[] = {
  {"flash-boot", 0x00000000u, 2u << 20, LF_STM32_FLASH_BOOT, true},
  {"flash", 0x08000000u, 2u << 20, LF_STM32_FLASH, true},
  {"ccmram", 0x10000000u, 64u << 10, LF_STM32_RAM, false},
  {"sysmem", 0x1FFF0000u, 0x7000u, LF_STM32_SYSROM, false},
  {"sram1", 0x20000000u, 112u << 10, LF_STM32_RAM, false},
  {"sram2", 0x2001C000u, 16u << 10, LF_STM32_RAM, false},
  {"sram3", 0x20020000u, 64u << 10, LF_STM32_RAM, false},
  {"bkpsram", 0x40024000u, 4u << 10, LF_STM32_RAM, true},
};

/* Cortex-M4 bit-band (ARMv7-M B3.1; F4 2 SRAM1_BB_BASE): 1 MiB of SRAM and
 * of peripherals, each bit a word in the alias 32 MiB at +0x02000000. ST's
 * F4 HAL sets RCC_CR.HSION/PLLON through it. The M7 has none. */
static const lf_stm32_window f429_bitband[] = {{0x20000000u, 0x100000u}, {0x40000000u, 0x100000u}};

/* F4 6.1: OPTCR low half at 0x1FFFC000, high half at 0x1FFFC008, OPTCR1
 * high half at 0x1FFEC008. The complement in bits 31:16 is unconfirmed. */
static const lf_fc_optword f429_optimg[] = {
  {0x1FFFC000u, 0, 0}, {0x1FFFC008u, 0, 16}, {0x1FFEC008u, 1, 16},
};

/* F4 3, 6, 7.1: 2 MiB always dual bank, 2 x (4x16K, 1x64K, 7x128K); SNB of
 * bank 2 = 0x10 + k; nWRP bank 1 in OPTCR, bank 2 in OPTCR1; DB1M ignored. */
static const lf_fc_desc f429_flash = {
  .flash_base = 0x08000000u,
  .flash_size = 2u << 20,
  .timing = LF_FC_TIMING_F4,
  .acr_mask = 0x1F0Fu,        /* LATENCY PRFTEN ICEN DCEN ICRST DCRST (F4 3.2) */
  .sprmod_bit = 1u << 31,     /* F4 3.6 */
  .dual = {2, 1u << 20, {{4, 16u << 10}, {1, 64u << 10}, {7, 128u << 10}}, LF_FC_WRP_SPLIT},
  .ndbank_bit = 0,
  .fixed_dual = true,
  .otp_base = 0x1FFF7800u,
  .otp_size = 512,
  .otp_block = 32,
  .lock_base = 0x1FFF7A00u,
  .nlocks = 16,
  .cr_mask = 0x830183FFu, /* LOCK ERRIE EOPIE STRT MER1(bank 2) PSIZE SNB MER SER PG (F4 3.5) */
  .optcr_factory = 0x0FFFAAEDu,  /* F4 3.6 [BMP] */
  .optcr1_factory = 0x0FFF0000u, /* F4 3.7 [BMP] */
  .optcr_mask = 0xCFFFFFFFu,     /* bits 29:28 reserved */
  .optcr1_mask = 0x0FFF0000u,    /* nWRP[23:12] only */
  .optimg = f429_optimg,
  .noptimg = sizeof f429_optimg / sizeof f429_optimg[0],
  .optimg_win = {{0x1FFFC000u, 0x10}, {0x1FFEC000u, 0x10}},
};

/* GPIOA/GPIOB reset values (debug pins) as on the F7; F4 15: GPIOB
 * 0x280/0xC0/0x100. */
static const lf_stm32_gpio_reset f429_gpio_resets[] = {
  {0xA8000000u, 0x0C000000u, 0x64000000u},
  {0x00000280u, 0x000000C0u, 0x00000100u},
};

/* Peripheral bus windows (CMSIS bases, as on the F7): APB1, APB2, AHB1,
 * AHB2, AHB3 regs. */
static const lf_stm32_window f429_windows[] = {
  {0x40000000u, 0x8000u}, {0x40010000u, 0x8000u}, {0x40020000u, 0x60000u},
  {0x50000000u, 0x61000u}, {0xA0000000u, 0x2000u},
};

/* F4 14.4: RCC as on the F7 up to PLLSAICFGR/DCKCFGR (no DCKCFGR2); PLLCFGR
 * has no PLLR field on the F42x. Reset values of rarely used registers are
 * the F7's (unconfirmed). */
static const lf_stm32_reg f429_rcc_regs[] = {
  {0x00, 0x00000083u, 0x150D00F9u, 0},  /* CR: HSION|HSIRDY, HSITRIM 0x10 */
  {0x04, 0x24003010u, 0x0F437FFFu, 0},  /* PLLCFGR (F4 14.4) */
  {0x08, 0x00000000u, 0xFFFFFCF3u, 0},  /* CFGR: SWS read-only */
  {0x0C, 0x00000000u, 0x00007F00u, 0},
  {0x10, 0, 0xFFFFFFFFu, 0}, {0x14, 0, 0xFFFFFFFFu, 0}, {0x18, 0, 0xFFFFFFFFu, 0},
  {0x20, 0, 0xFFFFFFFFu, 0}, {0x24, 0, 0xFFFFFFFFu, 0},
  {0x30, 0x00100000u, 0xFFFFFFFFu, 0},  /* AHB1ENR: CCMDATARAMEN (F4 14.4) */
  {0x34, 0, 0xFFFFFFFFu, 0}, {0x38, 0, 0xFFFFFFFFu, 0},
  {0x40, 0, 0xFFFFFFFFu, 0}, {0x44, 0, 0xFFFFFFFFu, 0},
  {0x50, 0x7E6791FFu, 0xFFFFFFFFu, 0}, {0x54, 0x000000F1u, 0xFFFFFFFFu, 0},
  {0x58, 0x00000003u, 0xFFFFFFFFu, 0}, {0x60, 0xFFFFCFFFu, 0xFFFFFFFFu, 0},
  {0x64, 0x04F77F33u, 0xFFFFFFFFu, 0},
  {0x70, 0, 0xFFFFFFFFu, 0}, {0x74, 0x0E000000u, 0x01000001u, 0},
  {0x80, 0, 0xFFFFFFFFu, 0}, {0x84, 0x24003000u, 0xFFFFFFFFu, 0},
  {0x88, 0x24003000u, 0xFFFFFFFFu, 0}, {0x8C, 0, 0xFFFFFFFFu, 0},
};

/* F4 CRC: DR, 8-bit IDR, CR.RESET only; no INIT/POL (fixed CRC-32/MPEG-2). */
static const lf_stm32_reg f429_crc_regs[] = {
  {0x00, 0xFFFFFFFFu, 0, 0}, {0x04, 0, 0xFFu, 0}, {0x08, 0, 0, 0},
};

/* F4 2: IWDG KR/PR/RLR/SR; no window register on the F42x (CMSIS). */
static const lf_stm32_reg f429_iwdg_regs[] = {
  {0x00, 0, 0, LF_STM32_WO}, {0x04, 0, 0x7u, 0}, {0x08, 0xFFFu, 0xFFFu, 0},
  {0x0C, 0, 0, LF_STM32_RO},
};

/* F4 12: APB1_FZ defined bits 0x06E01DFF, APB2_FZ 0x00070003. */
static const lf_stm32_reg f429_dbgmcu_regs[] = {
  {0x00, 0, 0, LF_STM32_RO}, {0x04, 0, 0xE7u, LF_STM32_KEEP_SYS},
  {0x08, 0, 0x06E01DFFu, LF_STM32_KEEP_SYS}, {0x0C, 0, 0x00070003u, LF_STM32_KEEP_SYS},
};

static const lf_stm32_part f429zi = {
  .name = "stm32f429zi",
  .idcode = 0x20016419u,   /* F4 1: rev 3 as read on F429 silicon; NUCLEO's revision unconfirmed */
  .cpuid = 0x410FC241u,    /* F4 1: Cortex-M4F r0p1 (full word ≈) */
  .dpidr = 0x2BA01477u,    /* F4 1, 10.1: DPv1 rev 2 (OpenOCD requires it exactly) */
  .targetid = 0,           /* DPv1: no TARGETID */
  .ap_idr = 0x24770011u,   /* F4 10.2: AHB-AP var1 rev2 (≈ other M4 r0p1 chips) */
  .ap_base = 0xE00FF003u,  /* F4 10.2: ROM table at 0xE00FF000 (≈) */
  .mems = f429_mems,
  .nmems = sizeof f429_mems / sizeof f429_mems[0],
  .flash = &f429_flash,
  .flashreg_base = 0x40023C00u,
  /* OTP, locks, UID, size, package (F4 2); 0x7000-0x77FF: ROM tail reads 0xFF */
  .sysinfo_base = 0x1FFF7000u,
  .sysinfo_size = 0x1000u,
  .uid_addr = 0x1FFF7A10u,
  .fsize_addr = 0x1FFF7A22u,
  .pkg_addr = 0x1FFF7BF0u,
  .pkg_value = 0x0300u,    /* [unconf] F4 1: package register content not known */
  .sysrom_sp = 0x20030000u,
  .rcc_base = 0x40023800u,
  .crc_base = 0x40023000u,
  .iwdg_base = 0x40003000u,
  .gpio_base = 0x40020000u,
  .dbgmcu_base = 0xE0042000u,
  .ngpio = 11,             /* GPIOA..GPIOK (F4 2) */
  .gpio_resets = f429_gpio_resets,
  .ngpio_resets = sizeof f429_gpio_resets / sizeof f429_gpio_resets[0],
  .crc_clk_bit = 12,
  .iwdg_sw_bit = 1u << 5,  /* F4 3.6 WDG_SW */
  .boot = LF_STM32_BOOT_FLASH_ALIAS,
  .windows = f429_windows,
  .nwindows = sizeof f429_windows / sizeof f429_windows[0],
  .uid_seed = 0x4C46F429ull,
  .rcc_regs = LF_STM32_REG_TABLE(f429_rcc_regs),
  .crc_regs = LF_STM32_REG_TABLE(f429_crc_regs),
  .iwdg_regs = LF_STM32_REG_TABLE(f429_iwdg_regs),
  .dbgmcu_regs = LF_STM32_REG_TABLE(f429_dbgmcu_regs),
  .bitband = f429_bitband,
  .nbitband = sizeof f429_bitband / sizeof f429_bitband[0],
};

const lf_stm32_part *const lf_stm32_parts_f4[] = {&f429zi, NULL};
