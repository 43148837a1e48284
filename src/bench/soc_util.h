/* Private to the SoC models: pieces several SoC families share. Register
 * tables (reset value, writable bits, read-only / write-only / kept across a
 * system reset), the STM32 CRC and IWDG units, the unique-ID layout, the
 * deterministic "undefined" byte, and the state-file format. A family file
 * keeps only what is its own (memory map, flash controller, clock tree).
 *
 * Bus lanes: a register access of `size` bytes at `off` covers the lanes
 * lf_soc_lanes(off, size) of the aligned word; values are passed shifted
 * into their lanes (wv), as on the bus. */
#ifndef LF_BENCH_SOC_UTIL_H
#define LF_BENCH_SOC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/bus.h"

/* ---- register tables ---- */

/* One register: offset, reset value, writable bits, flags. */
enum { LF_STM32_RO = 1, LF_STM32_WO = 2, LF_STM32_KEEP_SYS = 4 };
typedef struct lf_stm32_reg { uint16_t off; uint32_t reset, wmask; uint8_t flags; } lf_stm32_reg;

typedef struct lf_stm32_reg_table { const lf_stm32_reg *regs; size_t n; } lf_stm32_reg_table;
#define LF_STM32_REG_TABLE(a) {a, sizeof a / sizeof a[0]}

#define LF_REGBLOCK_MAX 32

/* A table's registers with their current values. */
typedef struct lf_regblock {
  const lf_stm32_reg *regs;
  size_t nregs;
  uint32_t v[LF_REGBLOCK_MAX];
} lf_regblock;

/* At most LF_REGBLOCK_MAX registers (the rest are ignored); power-on values. */
void lf_regblock_init(lf_regblock *b, lf_stm32_reg_table t);
/* Reset values; a system reset (power false) keeps LF_STM32_KEEP_SYS ones. */
void lf_regblock_reset(lf_regblock *b, bool power);
int lf_regblock_index(const lf_regblock *b, uint32_t off);   /* -1: not in the table */
uint32_t *lf_regblock_ptr(lf_regblock *b, uint32_t off);      /* NULL: not in the table */
uint32_t lf_regblock_get(const lf_regblock *b, uint32_t off); /* 0: not in the table */
/* Bus read: write-only and unlisted registers read 0. */
uint32_t lf_regblock_read(const lf_regblock *b, uint32_t off);
/* Plain write of the lanes' writable bits; read-only registers ignore it. */
void lf_regblock_write(lf_regblock *b, uint32_t off, uint32_t wv, uint32_t lanes);

static inline uint32_t lf_soc_lanes(uint32_t off, unsigned size)
{
  return (size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1)) << ((off & 3) * 8);
}

/* ---- STM32 CRC unit ----
 * Registers DR 0x00, IDR 0x04, CR 0x08 and, on a programmable unit (F7, L4),
 * INIT 0x10 and POL 0x14 (CR: POLYSIZE 4:3, REV_IN 6:5, REV_OUT 7). A table
 * without INIT is the fixed unit (F1, F4): polynomial 0x04C11DB7, RESET loads
 * 0xFFFFFFFF, no reversal, and any store to DR feeds the whole 32-bit data
 * word (narrower stores: unconfirmed). CR.RESET loads DR from INIT.
 *
 * Time (params crc_cycles_per_word, RM0090 4.2 "CRC computation done in 4 AHB
 * clock cycles"): a 32-bit DR write starts a computation of that many HCLK
 * cycles (16/8-bit writes on a programmable unit: a half / a quarter). The
 * fixed unit (F1, F4) has no input buffer: a DR write while a computation
 * runs stalls the master until it ends. The programmable unit (RM0091/RM0351
 * "input buffer to avoid bus stall"; the F7's assumed the same) holds one
 * word: a write stalls only while a computation runs and another word waits.
 * A DR read waits for the last computation (bench choice). HCLK = SYSCLK
 * (the AHB prescaler is not modeled); stalls move *t and add to *stall_ns. */
typedef struct lf_crc_unit {
  lf_regblock r;
  uint32_t acc;
  double cycles_per_word;
  uint64_t done;       /* end of the last computation */
  uint64_t last_start; /* start of the last computation (the buffer frees then) */
} lf_crc_unit;

void lf_crc_init(lf_crc_unit *u, lf_stm32_reg_table t, double cycles_per_word);
void lf_crc_reset(lf_crc_unit *u);
uint32_t lf_crc_read(lf_crc_unit *u, uint32_t off, uint64_t *t, uint64_t *stall_ns);
/* raw/size: the store as the master made it (a programmable unit feeds that width). */
void lf_crc_write(lf_crc_unit *u, uint32_t off, uint32_t wv, uint32_t lanes, uint32_t raw,
                  unsigned size, double hclk_hz, uint64_t *t, uint64_t *stall_ns);

/* ---- STM32 independent watchdog (KR 0x00, PR 0x04, RLR 0x08, SR 0x0C, WINR 0x10) ----
 * Timeout = 4 * 2^PR * (RLR + 1) / LSI (ST's formula, PR capped at 6). KR:
 * 0xCCCC starts it, 0xAAAA reloads, 0x5555 unlocks PR/RLR/WINR until any
 * other key. A hardware watchdog (option) runs from every reset. */
typedef struct lf_iwdg {
  lf_regblock r;
  bool running, unlocked;
  uint64_t deadline;
} lf_iwdg;

void lf_iwdg_init(lf_iwdg *w, lf_stm32_reg_table t);
void lf_iwdg_reset(lf_iwdg *w, bool hardware, double lsi_hz, uint64_t t);
void lf_iwdg_write(lf_iwdg *w, uint32_t off, uint32_t wv, uint32_t lanes, double lsi_hz, uint64_t t);
/* UINT64_MAX while stopped. */
uint64_t lf_iwdg_deadline(const lf_iwdg *w);

/* ---- STM32 GPIO port, MODER layout (F2/F4/F7, L4, H7) ----
 * MODER 0x00, OTYPER 0x04, OSPEEDR 0x08, PUPDR 0x0C, IDR 0x10, ODR 0x14, BSRR
 * 0x18 (set wins), LCKR 0x1C (the LCKK sequence 1+bits, 0+bits, 1+bits, then
 * a read, freezes the configuration of the pins until reset), AFRL 0x20,
 * AFRH 0x24 and, where the port has it (L4), BRR 0x28 (write-only reset
 * bits). IDR: an output pin reads its ODR bit, an input its pull-up. */
typedef struct lf_stm32_gpio_reset { uint32_t moder, ospeedr, pupdr; } lf_stm32_gpio_reset;

typedef struct lf_gpio_port {
  lf_regblock r;
  bool brr;                /* the port has BRR at 0x28 */
  unsigned lck_stage;
  uint32_t lck_locked;     /* pins whose configuration is frozen */
} lf_gpio_port;

void lf_gpio_init(lf_gpio_port *g, bool brr);
/* Reset values; rv NULL: MODER, OSPEEDR, PUPDR 0. */
void lf_gpio_reset(lf_gpio_port *g, const lf_stm32_gpio_reset *rv);
uint32_t lf_gpio_read(lf_gpio_port *g, uint32_t off);
/* A write of the lanes; returns true when it changed ODR (*old, *now). */
bool lf_gpio_write(lf_gpio_port *g, uint32_t off, uint32_t wv, uint32_t lanes, uint32_t *old,
                   uint32_t *now);

/* ---- STM32 RCC clock sources ----
 * A source is its ON and RDY bits in RCC_CR; RDY follows ON at once for an
 * oscillator, for the HSE only when the board has one (hse_hz > 0), for a
 * PLL pll_lock_ns after ON rose (bench choices, the F4/F7 model's rules).
 * SW/SWS: the clock switch selects table entry SW; SWS follows SW once that
 * source is ready. */
typedef enum lf_clk_kind { LF_CLK_OSC, LF_CLK_HSE, LF_CLK_PLL } lf_clk_kind;
typedef struct lf_clk_src { uint32_t on, rdy; lf_clk_kind kind; } lf_clk_src;

typedef struct lf_clk_tree {
  const lf_clk_src *src;   /* indexed by SW */
  size_t n;
  uint64_t pll_on_at;
  unsigned sws;
} lf_clk_tree;

bool lf_clk_ready(const lf_clk_tree *k, unsigned i, uint32_t cr, double hse_hz, double lock_ns, uint64_t t);
/* RCC_CR as read: each source's RDY recomputed. */
uint32_t lf_clk_cr_read(const lf_clk_tree *k, uint32_t cr, double hse_hz, double lock_ns, uint64_t t);
/* After a write of RCC_CR (old -> now): remembers a PLL's rising ON. */
void lf_clk_cr_written(lf_clk_tree *k, uint32_t old, uint32_t now, uint64_t t);
/* SWS follows SW once the selected source is ready. */
void lf_clk_switch(lf_clk_tree *k, unsigned sw, uint32_t cr, double hse_hz, double lock_ns, uint64_t t);

/* An STM32 RCC of this shape: RCC_CR at 0 (the sources' ON/RDY bits),
 * RCC_CFGR with SW 1:0 and SWS 3:2, RCC_CSR with LSION 0 / LSIRDY 1 (F1,
 * L4). */
typedef struct lf_rcc {
  lf_regblock r;
  lf_clk_tree clk;
  uint16_t cfgr, csr;     /* offsets of RCC_CFGR and RCC_CSR */
} lf_rcc;

void lf_rcc_init(lf_rcc *k, lf_stm32_reg_table t, const lf_clk_src *src, size_t n, uint16_t cfgr,
                 uint16_t csr);
void lf_rcc_reset(lf_rcc *k, bool power);
uint32_t lf_rcc_read(lf_rcc *k, uint32_t off, double hse_hz, double lock_ns, uint64_t t);
void lf_rcc_write(lf_rcc *k, uint32_t off, uint32_t wv, uint32_t lanes, double hse_hz, double lock_ns,
                  uint64_t t);

/* ---- bus helpers ---- */

/* Cortex-M3/M4 bit-band (ARMv7-M B3.1): the 32 MiB aliases at 0x22000000
 * (SRAM) and 0x42000000 (peripherals) map one word per bit of the first
 * MiB at 0x20000000 and 0x40000000. */
bool lf_bitband_alias(uint32_t addr);
/* An alias access through `one` (the family's access to one block): a read,
 * or a read-modify-write, of the byte holding the bit (bench choice:
 * byte-sized on the target). */
int lf_bitband_access(lf_bus_fn one, void *ctx, lf_bus_master m, uint32_t addr, bool write,
                      uint32_t *val, uint64_t *t);
/* An unaligned access to plain memory, byte by byte through `one`. */
int lf_bytewise_access(lf_bus_fn one, void *ctx, lf_bus_master m, uint32_t addr, unsigned size,
                       bool write, uint32_t *val, uint64_t *t);

/* ---- bytes ---- */

uint32_t lf_le_get(const uint8_t *p, unsigned n);
void lf_le_put(uint8_t *p, uint32_t v, unsigned n);
/* Deterministic "undefined" content of address a (power loss, garbage RAM). */
uint8_t lf_soc_garbage(uint32_t a);
/* A 96-bit STM32 unique ID from seed, after ST's layout: X, Y wafer
 * coordinates (16 bit each), wafer number, 7-character ASCII lot number. */
void lf_stm32_uid_fill(uint8_t u[12], uint64_t seed);

/* ---- state files ----
 * "luaflash-soc-state 1", "part NAME", one "KEY BYTES" line per blob, an
 * empty line, then the blobs' bytes in that order. Loading checks the magic,
 * the part, every key and size, and that nothing follows; on any error
 * nothing is copied and err says what (prefixed "soc state: "). */
typedef struct lf_soc_state_blob {
  const char *key;
  uint8_t *data;
  size_t len;
} lf_soc_state_blob;

int lf_soc_state_save(FILE *f, const char *part, const lf_soc_state_blob *blobs, size_t n,
                      char *err, size_t errlen);
int lf_soc_state_load(FILE *f, const char *part, const lf_soc_state_blob *blobs, size_t n,
                      char *err, size_t errlen);

#endif
