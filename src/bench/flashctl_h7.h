/* Private to the STM32H7 SoC model (soc_stm32h7.c): the embedded flash of
 * the STM32H743 — two bank controllers (registers at 0x52002000 and +0x100)
 * that work at the same time, each with its own keys, CR, SR/CCR, write
 * buffer of one 256-bit flash word, queue and busy time, plus the shared
 * option bytes (OPTCR, OPTSR, WPSN, BOOT, PRAR/SCAR), RDP and the ECC of
 * every flash word. Facts: stm32-f1-l4-h7-targets.md ("H7 n.m").
 *
 * Time model: every operation records its end per bank; QW and BSY are
 * t < end for that bank, so both banks can be busy at once. Array content
 * changes when an operation starts (a read of the busy bank stalls until the
 * end). */
#ifndef LF_BENCH_FLASHCTL_H7_H
#define LF_BENCH_FLASHCTL_H7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/bus.h"
#include "bench/faults.h"
#include "bench/params.h"
#include "bench/soc.h"

#define LF_FCH7_BASE 0x08000000u       /* H7 2.3: bank 1; bank 2 at +1 MiB */
#define LF_FCH7_SIZE (2u << 20)
#define LF_FCH7_BANK_SIZE (1u << 20)
#define LF_FCH7_SECTOR (128u << 10)
#define LF_FCH7_WORD 32u               /* flash word: 256 bits (+ ECC) */

/* Register offsets (H7 5.1) from 0x52002000; bank 2's own registers at +0x100. */
enum {
  LF_FCH7_ACR = 0x00, LF_FCH7_KEYR = 0x04, LF_FCH7_OPTKEYR = 0x08, LF_FCH7_CR = 0x0C,
  LF_FCH7_SR = 0x10, LF_FCH7_CCR = 0x14, LF_FCH7_OPTCR = 0x18, LF_FCH7_OPTSR_CUR = 0x1C,
  LF_FCH7_OPTSR_PRG = 0x20, LF_FCH7_OPTCCR = 0x24, LF_FCH7_PRAR_CUR = 0x28,
  LF_FCH7_PRAR_PRG = 0x2C, LF_FCH7_SCAR_CUR = 0x30, LF_FCH7_SCAR_PRG = 0x34,
  LF_FCH7_WPSN_CUR = 0x38, LF_FCH7_WPSN_PRG = 0x3C, LF_FCH7_BOOT_CUR = 0x40,
  LF_FCH7_BOOT_PRG = 0x44, LF_FCH7_CRCCR = 0x50, LF_FCH7_CRCSADD = 0x54,
  LF_FCH7_CRCEADD = 0x58, LF_FCH7_CRCDATA = 0x5C, LF_FCH7_ECC_FA = 0x60,
  LF_FCH7_BANK2 = 0x100,
};
/* CR (H7 5.2) */
#define LF_FCH7_CR_LOCK 0x1u
#define LF_FCH7_CR_PG 0x2u
#define LF_FCH7_CR_SER 0x4u
#define LF_FCH7_CR_BER 0x8u
#define LF_FCH7_CR_PSIZE 0x30u
#define LF_FCH7_CR_FW 0x40u
#define LF_FCH7_CR_START 0x80u
#define LF_FCH7_CR_SNB 0x700u
#define LF_FCH7_CR_CRC_EN 0x8000u
/* SR / CCR (H7 5.2) */
#define LF_FCH7_SR_BSY 0x1u
#define LF_FCH7_SR_WBNE 0x2u
#define LF_FCH7_SR_QW 0x4u
#define LF_FCH7_SR_CRC_BUSY 0x8u
#define LF_FCH7_SR_EOP 0x10000u
#define LF_FCH7_SR_WRPERR 0x20000u
#define LF_FCH7_SR_PGSERR 0x40000u
#define LF_FCH7_SR_STRBERR 0x80000u
#define LF_FCH7_SR_INCERR 0x200000u
#define LF_FCH7_SR_OPERR 0x400000u
#define LF_FCH7_SR_RDPERR 0x800000u
#define LF_FCH7_SR_RDSERR 0x1000000u
#define LF_FCH7_SR_SNECCERR 0x2000000u
#define LF_FCH7_SR_DBECCERR 0x4000000u
#define LF_FCH7_SR_CRCEND 0x8000000u
#define LF_FCH7_SR_CRCRDERR 0x10000000u
#define LF_FCH7_SR_ERRORS 0x07EE0000u /* what OpenOCD checks (H7 5.2) */
/* OPTCR / OPTSR (H7 5.1, 5.4) */
#define LF_FCH7_OPTCR_OPTLOCK 0x1u
#define LF_FCH7_OPTCR_OPTSTART 0x2u
#define LF_FCH7_OPTCR_MER 0x10u
#define LF_FCH7_OPTSR_OPT_BUSY 0x1u
#define LF_FCH7_OPTSR_IWDG1_SW 0x10u
#define LF_FCH7_OPTSR_OPTCHANGEERR 0x40000000u
#define LF_FCH7_KEY1 0x45670123u
#define LF_FCH7_KEY2 0xCDEF89ABu
#define LF_FCH7_OPTKEY1 0x08192A3Bu
#define LF_FCH7_OPTKEY2 0x4C5D6E7Fu

/* The programmed option bytes (what a state file keeps): OPTSR, WPSN of
 * each bank, BOOT, PRAR and SCAR of each bank. */
typedef struct lf_fch7_options {
  uint32_t optsr, wpsn[2], boot, prar[2], scar[2];
} lf_fch7_options;

typedef struct lf_fch7 lf_fch7;

lf_fch7 *lf_fch7_new(const lf_bench_params *p, lf_faults *faults, lf_soc_counters *counters);
void lf_fch7_free(lf_fch7 *f);

uint8_t *lf_fch7_array(lf_fch7 *f);
/* One bit per flash word (LF_FCH7_SIZE / 32 bits): set = its ECC no longer
 * matches (programmed twice); cleared by an erase. */
uint8_t *lf_fch7_ecc_map(lf_fch7 *f);
size_t lf_fch7_ecc_map_bytes(void);

/* Register block (off from 0x52002000, < 0x200). */
int lf_fch7_reg(lf_fch7 *f, lf_bus_master m, uint32_t off, unsigned size, bool write,
                uint32_t *val, uint64_t *t_ns);
/* The array (off from 0x08000000): reads stall on a busy bank, stores go
 * through the bank's write buffer. */
int lf_fch7_array_access(lf_fch7 *f, lf_bus_master m, uint32_t off, unsigned size, bool write,
                         uint32_t *val, uint64_t *t_ns);

void lf_fch7_reset(lf_fch7 *f, bool power, uint64_t t_ns);
void lf_fch7_power_loss(lf_fch7 *f, uint64_t t_ns);

/* Options in force (OPTSR_CUR, BOOT_CUR) and the level of its RDP byte. */
uint32_t lf_fch7_optsr(const lf_fch7 *f);
uint32_t lf_fch7_boot(const lf_fch7 *f);
int lf_fch7_rdp_level(const lf_fch7 *f);
void lf_fch7_options_get(const lf_fch7 *f, lf_fch7_options *o);
/* Loads programmed options (a state file) as if they were in force. */
void lf_fch7_options_set(lf_fch7 *f, const lf_fch7_options *o);
/* Read protection with a debugger (the SoC decides when): program and
 * erase refused with WRPERR; options still program. */
void lf_fch7_set_locked(lf_fch7 *f, bool locked);
bool lf_fch7_locked(const lf_fch7 *f);
/* Bank b (0, 1) busy at t. */
bool lf_fch7_busy(const lf_fch7 *f, unsigned bank, uint64_t t_ns);

#endif
