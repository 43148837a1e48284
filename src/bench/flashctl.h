/* Private to the SoC model: the STM32F4/F7 embedded-flash controller
 * (FLASH_ACR/KEYR/OPTKEYR/SR/CR/OPTCR/OPTCR1), its array, OTP and option
 * bytes. One design, parameterised by a part description (lf_fc_desc) so the
 * F767ZI and later the F429ZI differ only in data.
 *
 * Time model: every operation records its end time; BSY = t < end. Array
 * content changes when an operation starts (a read of the busy bank stalls
 * until the end, so no master can observe the difference; power loss before
 * the end overwrites the target with pseudo-random content). */
#ifndef LF_BENCH_FLASHCTL_H
#define LF_BENCH_FLASHCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/bus.h"
#include "bench/faults.h"
#include "bench/params.h"
#include "bench/soc.h"

/* A run of equal sectors; a bank is up to 4 runs. Every bank of a layout has
 * the same runs. */
typedef struct lf_fc_run { uint8_t count; uint32_t bytes; } lf_fc_run;

typedef enum lf_fc_wrp_map {
  LF_FC_WRP_SECTOR,   /* logical sector i <-> OPTCR nWRP bit i (F7 single bank, F4 bank 1) */
  LF_FC_WRP_PAIRS,    /* sectors 2i, 2i+1 <-> OPTCR nWRP bit i (F7 dual bank, 7.4) */
  LF_FC_WRP_SPLIT,    /* sector i < 12: OPTCR bit i; 12+k: OPTCR1 bit k (F4 6.2) */
} lf_fc_wrp_map;

typedef struct lf_fc_layout {
  unsigned nbanks;
  uint32_t bank_bytes;      /* bank b starts at b * bank_bytes */
  lf_fc_run runs[4];
  lf_fc_wrp_map wrp;
} lf_fc_layout;

/* One 32-bit word of the read-only option-byte image: the low half is the
 * 16-bit field (reg >> shift), the high half its complement. */
typedef struct lf_fc_optword { uint32_t addr; uint8_t reg; uint8_t shift; } lf_fc_optword;

/* Which parameter rows time erases (params.h): the F7 rows or flash_f4_*. */
typedef enum lf_fc_timing { LF_FC_TIMING_F7, LF_FC_TIMING_F4 } lf_fc_timing;

typedef struct lf_fc_desc {
  uint32_t flash_base, flash_size;
  lf_fc_timing timing;
  uint32_t acr_mask;          /* writable ACR bits (F7 ART 0xB0F, F4 caches 0x1F0F) */
  uint32_t sprmod_bit;        /* OPTCR bit inverting nWRP into PCROP (F4 31); 0 = none */
  lf_fc_layout single, dual;
  uint32_t ndbank_bit;        /* OPTCR bit: 1 = single bank; 0 = layout fixed */
  bool fixed_dual;            /* ndbank_bit == 0: which layout is fixed */
  uint32_t otp_base, otp_size, otp_block, lock_base, nlocks;
  uint32_t cr_mask;           /* writable CR bits */
  uint32_t optcr_factory, optcr1_factory;
  uint32_t optcr_mask, optcr1_mask; /* implemented bits */
  const lf_fc_optword *optimg;
  size_t noptimg;
  /* Image windows (F7: one at 0x1FFF0000; F4: one per bank); words not
   * listed read 0xFFFFFFFF; size 0 = unused. */
  struct { uint32_t base, size; } optimg_win[2];
} lf_fc_desc;

/* Register offsets and bits shared by the F4/F7 controller (3.1-3.7). */
enum {
  LF_FC_ACR = 0x00, LF_FC_KEYR = 0x04, LF_FC_OPTKEYR = 0x08, LF_FC_SR = 0x0C,
  LF_FC_CR = 0x10, LF_FC_OPTCR = 0x14, LF_FC_OPTCR1 = 0x18, LF_FC_NREGS_BYTES = 0x1C,
};
#define LF_FC_SR_EOP 0x1u
#define LF_FC_SR_OPERR 0x2u
#define LF_FC_SR_WRPERR 0x10u
#define LF_FC_SR_PGAERR 0x20u
#define LF_FC_SR_PGPERR 0x40u
#define LF_FC_SR_ERSERR 0x80u
#define LF_FC_SR_PGSERR LF_FC_SR_ERSERR /* F4 name of bit 7 (stm32f4-target.md 3.4) */
#define LF_FC_SR_RDERR 0x100u /* F4 only: PCROP read error (never raised: PCROP reads not modeled) */
#define LF_FC_SR_BSY 0x10000u
#define LF_FC_CR_PG 0x1u
#define LF_FC_CR_SER 0x2u
#define LF_FC_CR_MER 0x4u
#define LF_FC_CR_MER2 0x8000u /* F4: RM0090 calls it MER1 (bank 2) */
#define LF_FC_CR_STRT 0x10000u
#define LF_FC_CR_EOPIE 0x1000000u
#define LF_FC_CR_ERRIE 0x2000000u
#define LF_FC_CR_LOCK 0x80000000u
#define LF_FC_OPTCR_OPTLOCK 0x1u
#define LF_FC_OPTCR_OPTSTRT 0x2u
#define LF_FC_KEY1 0x45670123u
#define LF_FC_KEY2 0xCDEF89ABu
#define LF_FC_OPTKEY1 0x08192A3Bu
#define LF_FC_OPTKEY2 0x4C5D6E7Fu

typedef struct lf_flashctl lf_flashctl;

lf_flashctl *lf_flashctl_new(const lf_fc_desc *d, const lf_bench_params *p, lf_faults *faults,
                             lf_soc_counters *counters);
void lf_flashctl_free(lf_flashctl *fc);

uint8_t *lf_flashctl_array(lf_flashctl *fc);
const uint8_t *lf_flashctl_array_ro(const lf_flashctl *fc);
/* OTP data followed by the lock bytes (otp_size + nlocks bytes). */
uint8_t *lf_flashctl_otp(lf_flashctl *fc);

/* Register block access; off is relative to the controller base, lanes in
 * val as on the bus (val holds the whole aligned word's lanes). */
int lf_flashctl_reg(lf_flashctl *fc, lf_bus_master m, uint32_t off, unsigned size, bool write,
                    uint32_t *val, uint64_t *t_ns);
/* Array access via the programming alias; off from flash_base. */
int lf_flashctl_array_access(lf_flashctl *fc, lf_bus_master m, uint32_t off, unsigned size,
                             bool write, uint32_t *val, uint64_t *t_ns);
/* Read-path stall only (ITCM alias reads): waits for a busy bank. */
void lf_flashctl_read_stall(lf_flashctl *fc, uint32_t off, uint64_t *t_ns);
/* OTP + lock bytes; off from otp_base. */
int lf_flashctl_otp_access(lf_flashctl *fc, lf_bus_master m, uint32_t off, unsigned size,
                           bool write, uint32_t *val, uint64_t *t_ns);
/* Option image read; false if addr is outside the image window. */
bool lf_flashctl_optimg_read(const lf_flashctl *fc, uint32_t addr, uint8_t *byte);

void lf_flashctl_reset(lf_flashctl *fc, bool power, uint64_t t_ns);
void lf_flashctl_power_loss(lf_flashctl *fc, uint64_t t_ns);

/* Options loaded at the last reset (what the chip obeys). */
uint32_t lf_flashctl_optcr_active(const lf_flashctl *fc);
uint32_t lf_flashctl_optcr1_active(const lf_flashctl *fc);
/* Programmed option values (what the next reset loads). */
void lf_flashctl_stored_options(const lf_flashctl *fc, uint32_t *optcr, uint32_t *optcr1);
void lf_flashctl_set_stored_options(lf_flashctl *fc, uint32_t optcr, uint32_t optcr1);
/* 0, 1 or 2 from the active RDP byte. */
int lf_flashctl_rdp_level(const lf_flashctl *fc);
/* Read protection with a debugger (the SoC decides when): program stores and
 * erases are refused with params rdp1_debug_flash_error; options still
 * program. Kept across resets (the SoC re-evaluates it at each reset). */
void lf_flashctl_set_locked(lf_flashctl *fc, bool locked);
bool lf_flashctl_locked(const lf_flashctl *fc);
bool lf_flashctl_busy(const lf_flashctl *fc, uint64_t t_ns);
uint64_t lf_flashctl_busy_until(const lf_flashctl *fc);

/* Deterministic "undefined" byte for address a (power loss, garbage RAM). */
uint8_t lf_flashctl_garbage(uint32_t a);

#endif
