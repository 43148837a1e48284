/* On-target flash loader of the nRF52 NVMC (host side: src/flash/nrf52.c).
 * Runs from RAM (linked at LF_LDR_NRF_LOAD_ADDR) on the Cortex-M4, started
 * once by the host with r0 = the control block (lf_loader_abi.h), and serves
 * the command queue until EXIT or an error. No globals: all state lives in
 * the control block.
 *
 * Facts: nrf52-rp2040-targets.md 3 (NVMC registers: READY, CONFIG with
 * Ren/Wen/Een, ERASEPAGE, ERASEALL), 3.1 (only aligned words program; a
 * write while the NVMC is busy stalls the bus, which OpenOCD's and Black
 * Magic Probe's loaders rely on; never Wen and Een at once), 6 (WDT RR[n]
 * reload value 0x6E524635).
 *
 * Commands name addresses: an erase takes the page holding the address
 * (ERASEPAGE wants the page's first word: the loader aligns it); a bank or
 * chip erase is ERASEALL, which erases the UICR too.
 *
 * Programming loop (the hot path), per word: `*dst = data`. The store
 * itself waits while the NVMC is busy (one write is buffered behind the one
 * in progress, READYNEXT), so the next write starts the moment the previous
 * one ends, with no READY poll per word; READY is awaited after the range.
 * The NVMC has no error flag (3.1 #7): the host's CRC verify is the check.
 *
 * CRC32 (zlib): the nRF52 has no CRC unit. A byte table (1 KiB) is built
 * at init in the RAM the host reserves for it (crc_table) and the loop
 * takes a word at a time, about five cycles a byte at 64 MHz (a chip
 * erase's verify reads all 1 MiB); without a table (crc_table 0) four bits
 * at a time from a 16-entry one, about ten.
 *
 * Watchdog: when the WDT runs (RUNSTATUS), every enabled RR[n] (RREN) is
 * reloaded while the loader waits (a started WDT cannot be stopped).
 *
 * gen-loaders: -mcpu=cortex-m4 */
#include <stdint.h>

#include "lf_loader_abi.h"

/* ---- the contract with the host adapter (nrf52.c includes this part
 * with LF_LDR_CONTRACT_ONLY defined) ---- */

#define LF_LDR_NRF_LOAD_ADDR 0x20000000u  /* linked here: the nRF52's RAM start */
#define LF_LDR_NRF_FLASH_BASE 0x00000000u
/* NVMC register offsets (3) */
#define LF_LDR_NRF_READY 0x400u
#define LF_LDR_NRF_CONFIG 0x504u
#define LF_LDR_NRF_ERASEPAGE 0x508u
#define LF_LDR_NRF_ERASEALL 0x50Cu
#define LF_LDR_NRF_CFG_REN 0u
#define LF_LDR_NRF_CFG_WEN 1u
#define LF_LDR_NRF_CFG_EEN 2u

/* The family words of the control block (lf_ldr_ctrl.fam). */
struct lf_ldr_nrf {
  uint32_t nvmc;         /* NVMC base, 0x4001E000 */
  uint32_t wdt;          /* WDT base (0x40010000): fed while it runs; 0 = left alone */
  uint32_t page_size;    /* 4096 */
  uint32_t crc_table;    /* 1 KiB of RAM outside the loader's window for the CRC table; 0 = none */
  uint32_t reserved[7];
};
_Static_assert(sizeof(struct lf_ldr_nrf) == 4 * LF_LDR_FAM_WORDS, "family words");

#ifndef LF_LDR_CONTRACT_ONLY

#include "lf_ldr_serve.h"

#define WDT_RUNSTATUS 0x400u
#define WDT_RREN 0x508u
#define WDT_RR0 0x600u
#define WDT_RELOAD 0x6E524635u

#define NRF(c) ((const struct lf_ldr_nrf *)(c)->fam)
#define FAM_UNIT 4u
#define FAM_ERRORS 0u /* the NVMC has no error flag */
#define FAM_BITS 1    /* PROGRAM_BITS: nrf52_b.c */

static void fam_kick(const ctl_t *c)
{
  uint32_t w = NRF(c)->wdt;
  if (!w || !(REG(w + WDT_RUNSTATUS) & 1u))
    return;
  uint32_t en = REG(w + WDT_RREN);
  for (uint32_t n = 0; n < 8; n++)
    if (en & (1u << n))
      REG(w + WDT_RR0 + 4 * n) = WDT_RELOAD;
}

/* 0 once the NVMC is ready (READY = 1). */
static uint32_t fam_idle(const ctl_t *c)
{
  dsb();
  while (!(REG(NRF(c)->nvmc + LF_LDR_NRF_READY) & 1u))
    fam_kick(c);
  return 0;
}

static void fam_config(const ctl_t *c, uint32_t v)
{
  REG(NRF(c)->nvmc + LF_LDR_NRF_CONFIG) = v;
  fam_idle(c);
}

static void fam_clean(const ctl_t *c, uint32_t sr)
{
  (void)sr;
  fam_config(c, LF_LDR_NRF_CFG_REN);
}

static void fam_lock(const ctl_t *c) { fam_clean(c, 0); }

static const uint32_t crc_nib[16];

static int fam_init(ctl_t *c)
{
  uint32_t *t = (uint32_t *)NRF(c)->crc_table;
  if (t)
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t v = i;
      v = (v >> 4) ^ crc_nib[v & 15u];
      t[i] = (v >> 4) ^ crc_nib[v & 15u];
    }
  fam_idle(c);
  fam_config(c, LF_LDR_NRF_CFG_REN);
  return 0;
}

/* A page by any address in it, or everything (ERASEALL: flash and UICR). */
static int fam_erase(ctl_t *c, const cmd_t *k)
{
  uint32_t n = NRF(c)->nvmc;
  if (!(k->len & LF_LDR_ERASE_STARTED)) {
    fam_idle(c);
    fam_config(c, LF_LDR_NRF_CFG_EEN);
    if (k->op == LF_LDR_OP_ERASE)
      REG(n + LF_LDR_NRF_ERASEPAGE) = k->addr & ~(NRF(c)->page_size - 1u);
    else
      REG(n + LF_LDR_NRF_ERASEALL) = 1u;
  }
  fam_idle(c);
  fam_config(c, LF_LDR_NRF_CFG_REN);
  return 0;
}

static void fam_prog_begin(const ctl_t *c)
{
  fam_idle(c);
  fam_config(c, LF_LDR_NRF_CFG_WEN);
}

static uint32_t fam_prog_run(const ctl_t *c, uint32_t d, const uint8_t *s, uint32_t n, uint32_t *at)
{
  (void)c;
  (void)at;
  volatile uint32_t *dst = (volatile uint32_t *)d;
  const uint32_t *src = (const uint32_t *)s;
  for (uint32_t i = 0; i < n / 4; i++)
    dst[i] = src[i];
  return 0;
}

/* zlib crc32 of [a, a+n), four bits at a time. */
static const uint32_t crc_nib[16] = {
  0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
  0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
  0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

static uint32_t fam_crc(const ctl_t *c, uint32_t a, uint32_t n)
{
  const uint8_t *p = (const uint8_t *)a;
  const uint32_t *t = (const uint32_t *)NRF(c)->crc_table;
  uint32_t crc = 0xFFFFFFFFu;
  if (n < 4)
    return ~crc_soft(crc, p, n);
  if (!t) {
    while (n--) {
      crc ^= *p++;
      crc = (crc >> 4) ^ crc_nib[crc & 15u];
      crc = (crc >> 4) ^ crc_nib[crc & 15u];
    }
    return ~crc;
  }
  while (n && ((uint32_t)p & 3u)) {
    crc = t[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    n--;
  }
  const uint32_t *w = (const uint32_t *)p;
  for (; n >= 4; n -= 4) {
    crc ^= *w++;
    crc = t[crc & 0xFFu] ^ (crc >> 8);
    crc = t[crc & 0xFFu] ^ (crc >> 8);
    crc = t[crc & 0xFFu] ^ (crc >> 8);
    crc = t[crc & 0xFFu] ^ (crc >> 8);
  }
  p = (const uint8_t *)w;
  while (n--)
    crc = t[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

#ifdef LF_LDR_SERVE_BITS
/* Bits-only (nrf52_b.c): a word may be written at most nWRITE (2) times
 * between erases and nothing counts it (3.1 #6-7), so only an erased word
 * is written over: a programmed word that differs needs the erase. */
static int fam_bits_ok(const ctl_t *c, uint32_t old, uint32_t nw)
{
  (void)c;
  (void)nw;
  return old == 0xFFFFFFFFu;
}

static uint32_t fam_page_end(const ctl_t *c, uint32_t addr)
{
  return (addr & ~(NRF(c)->page_size - 1u)) + NRF(c)->page_size;
}

#include "lf_ldr_bits.h"
#else
#define LF_LDR_SERVE_ENGINE
#include "lf_ldr_serve.h"
#endif

#endif /* LF_LDR_CONTRACT_ONLY */
