/* On-target flash loader of the STM32H7 embedded flash with two independent
 * bank controllers (src/flash/stm32h7.c is its host side). Runs from DTCM
 * (linked at LF_LDR_H7_LOAD_ADDR, never cached) on the Cortex-M7, started
 * once with r0 = the control block (lf_loader_abi.h), its ring in AXI SRAM,
 * and serves the command queue until EXIT or an error. No globals: the
 * per-bank state lives on the stack of lf_ldr_main.
 *
 * Facts: stm32-f1-l4-h7-targets.md ("H7 n.m"): 5.1 registers (bank 2 at
 * +0x100), 5.2 CR/SR bits, 5.3 sequences (unlock only when LOCK, a flash
 * word = 8 word stores, QW the flag to poll, errors cleared through CCR,
 * both banks at the same time), 7 CRC unit, 12 #9 (SR writes ignored).
 *
 * Independent banks (the ABI's deferred erases): an erase command only
 * starts the erase (after waiting for the bank to be idle) and moves on; the
 * bank's next command, SYNC, CRC or EXIT waits for it and reports its
 * failure with err_cmd naming it. A PROGRAM_PAIR programs one range in each
 * bank from one ring stream interleaved by flash word: word i of bank A,
 * word i of bank B, ... The store completing a flash word waits while its
 * bank still programs the previous one (the controller's one-deep queue), so
 * while the loader waits for one bank the other one programs.
 *
 * Program loop, per flash word: st = SRx; 8 stores; DSB; if (st & errors)
 * fail(previous word of that bank). The SR read reports the previous word
 * (on the bench it waits for it, on silicon it returns at once); the last
 * word is checked after the loop.
 *
 * gen-loaders: -mcpu=cortex-m7 */
#include <stdint.h>

#include "lf_loader_abi.h"
#ifdef LF_LDR_H7_Z
static uint32_t zmore(void *ctx, uint32_t used);
#define LFZ_MORE_FN zmore
#include "lf_inflate.h"
#endif

/* ---- the contract with the host adapter (stm32h7.c includes this part
 * with LF_LDR_CONTRACT_ONLY defined) ---- */

#define LF_LDR_H7_LOAD_ADDR 0x20000000u  /* DTCM (H7 2.4): never cached, clocked after reset */
#define LF_LDR_H7_FLASH_BASE 0x08000000u /* bank 1; bank 2 in lf_ldr_h7.bank2 */
/* FLASH_SR errors of a program or erase (H7 5.2): WRPERR PGSERR STRBERR
 * INCERR OPERR. Read errors (RDPERR, RDSERR, ECC) of earlier reads are
 * cleared before each operation, not checked. */
#define LF_LDR_H7_SR_ERRORS 0x006E0000u
#define LF_LDR_H7_SR_CLEAR 0x1FEF0000u /* every CCR bit */

/* The family words of the control block (lf_ldr_ctrl.fam). */
struct lf_ldr_h7 {
  uint32_t flash_regs;   /* 0x52002000: bank 1's registers and the shared ones */
  uint32_t bank_regs;    /* offset of bank 2's registers (0x100) */
  uint32_t bank2;        /* bank 2 base address (0x08100000) */
  uint32_t psize;        /* CR.PSIZE 0..3 (program/erase parallelism) */
  uint32_t sector_shift; /* log2 of the sector size (17: 128 KiB) */
  uint32_t crc_regs;     /* CRC unit base (0x58024C00) */
  uint32_t rcc_enr;      /* RCC_AHB4ENR address (CRC clock) */
  uint32_t rcc_bit;      /* its CRCEN mask */
  uint32_t iwdg_regs;    /* IWDG1 base: slowed to its longest timeout and reloaded while
                            waiting; 0 = left alone */
  uint32_t reserved[2];
};
_Static_assert(sizeof(struct lf_ldr_h7) == 4 * LF_LDR_FAM_WORDS, "family words");

#ifndef LF_LDR_CONTRACT_ONLY

#define REG(a) (*(volatile uint32_t *)(a))

/* FLASH registers (offsets, H7 5.1) */
#define F_KEYR 0x04u
#define F_CR 0x0Cu
#define F_SR 0x10u
#define F_CCR 0x14u
#define SR_QW 0x4u
#define CR_LOCK 0x1u
#define CR_PG 0x2u
#define CR_SER 0x4u
#define CR_BER 0x8u
#define CR_START 0x80u
#define KEY1 0x45670123u
#define KEY2 0xCDEF89ABu
#define WORD 32u /* flash word */


/* DWT (cache maintenance: lf_ldr_armv7m.h) */
#define DWT_CTRL 0xE0001000u
#define DWT_CYCCNT 0xE0001004u

#define IWDG_KR 0x00u
#define IWDG_PR 0x04u
#define IWDG_RLR 0x08u

typedef struct lf_ldr_ctrl ctl_t;
typedef struct lf_ldr_cmd cmd_t;

#define H7(c) ((const struct lf_ldr_h7 *)(c)->fam)

/* A bank: its registers and the erase it may still be running. */
typedef struct bank {
  uint32_t regs;
  uint32_t pend_cmd;   /* 1 + command index of a started erase, 0 = none */
  uint32_t pend_addr;
} bank;

#ifdef LF_LDR_H7_Z
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx) __attribute__((section(".text.entry"), used));
#else
int lf_ldr_main(ctl_t *c) __attribute__((section(".text.entry"), used));
#endif

#include "lf_ldr_armv7m.h"

static inline uint32_t cycles(void) { return REG(DWT_CYCCNT); }

static inline void kick(const ctl_t *c)
{
  if (H7(c)->iwdg_regs)
    REG(H7(c)->iwdg_regs + IWDG_KR) = 0xAAAAu;
}

/* Waits until the bank has no operation queued or running; returns SR. */
static uint32_t idle(const ctl_t *c, uint32_t regs)
{
  uint32_t sr;
  while ((sr = REG(regs + F_SR)) & SR_QW)
    kick(c);
  return sr;
}

static int fail(ctl_t *c, uint32_t status, uint32_t addr, uint32_t sr, uint32_t cmd)
{
  c->err_addr = addr;
  c->err_sr = sr;
  c->err_cmd = cmd;
  c->status = status;
  return (int)status;
}

/* The bank is idle, its started erase (if any) checked. */
static int settle(ctl_t *c, bank *b)
{
  uint32_t sr = idle(c, b->regs);
  uint32_t cmd = b->pend_cmd;
  b->pend_cmd = 0;
  if (cmd && (sr & LF_LDR_H7_SR_ERRORS))
    return fail(c, LF_LDR_ST_FLASH, b->pend_addr, sr, cmd);
  return 0;
}

static int settle_all(ctl_t *c, bank *bk)
{
  int r = settle(c, &bk[0]);
  return r ? r : settle(c, &bk[1]);
}


/* Starts an erase of bank b: BER (bank) or SER + SNB of the sector at addr. */
static void start_erase(const ctl_t *c, bank *b, uint32_t bits, uint32_t cmd, uint32_t addr)
{
  uint32_t cr = (H7(c)->psize << 4) | bits;
  REG(b->regs + F_CCR) = LF_LDR_H7_SR_CLEAR;
  REG(b->regs + F_CR) = cr;
  REG(b->regs + F_CR) = cr | CR_START;
  dsb();
  b->pend_cmd = cmd;
  b->pend_addr = addr;
}

static int do_erase(ctl_t *c, bank *bk, const cmd_t *k, uint32_t idx)
{
  uint32_t b2 = H7(c)->bank2, a = k->addr;
  int r;
  if (k->op == LF_LDR_OP_ERASE_CHIP) {
    if ((r = settle_all(c, bk)))
      return r;
    start_erase(c, &bk[0], CR_BER, idx + 1, a);
    start_erase(c, &bk[1], CR_BER, idx + 1, a);
    return 0;
  }
  bank *b = &bk[b2 && a >= b2];
  if ((r = settle(c, b)))
    return r;
  if (k->op == LF_LDR_OP_ERASE && (k->len & LF_LDR_ERASE_STARTED)) {
    b->pend_cmd = idx + 1; /* the host started it through the debug port */
    b->pend_addr = a;
    return 0;
  }
  uint32_t off = a - (b == &bk[1] ? b2 : LF_LDR_H7_FLASH_BASE);
  start_erase(c, b, k->op == LF_LDR_OP_ERASE_BANK ? CR_BER : CR_SER | ((off >> H7(c)->sector_shift) << 8),
              idx + 1, a);
  return 0;
}

/* One flash word from the ring to dst (8 word stores). */
static inline void put_word(uint32_t dst, const uint32_t *src)
{
  volatile uint32_t *d = (volatile uint32_t *)dst;
  for (int i = 0; i < 8; i++)
    d[i] = src[i];
  dsb();
}

/* Waits for `need` ring bytes beyond rd. */
static void wait_data(ctl_t *c, uint32_t rd, uint32_t need)
{
  if (*(volatile uint32_t *)&c->data_wr - rd >= need)
    return;
  uint32_t t0 = cycles();
  while (*(volatile uint32_t *)&c->data_wr - rd < need)
    kick(c);
  c->cyc_starve += cycles() - t0;
}

/* PROGRAM (n = 1: k[0]) or PROGRAM_PAIR (n = 2: k[0] and k[1], the ring
 * interleaved by flash word). */
static int do_program(ctl_t *c, bank *bk, const cmd_t *const *k, unsigned n, uint32_t idx)
{
  uint32_t b2 = H7(c)->bank2, len = k[0]->len;
  bank *b[2];
  uint32_t dst[2];
  for (unsigned j = 0; j < n; j++) {
    if (((k[j]->addr | k[j]->len) & (WORD - 1)) || k[j]->len != len)
      return fail(c, LF_LDR_ST_BADCMD, idx, 0, 0);
    b[j] = &bk[b2 && k[j]->addr >= b2];
    dst[j] = k[j]->addr;
    int r = settle(c, b[j]);
    if (r)
      return r;
    REG(b[j]->regs + F_CCR) = LF_LDR_H7_SR_CLEAR;
    REG(b[j]->regs + F_CR) = (H7(c)->psize << 4) | CR_PG;
  }
  if (n == 2 && b[0] == b[1])
    return fail(c, LF_LDR_ST_BADCMD, idx, 0, 0);
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  for (uint32_t done = 0; done < len; done += WORD) {
    for (unsigned j = 0; j < n; j++) {
      wait_data(c, rd, WORD);
      uint32_t st = REG(b[j]->regs + F_SR);
      put_word(dst[j], (const uint32_t *)(ring + roff));
      if (st & LF_LDR_H7_SR_ERRORS) {
        idle(c, b[j]->regs);
        return fail(c, LF_LDR_ST_FLASH, dst[j] > k[j]->addr ? dst[j] - WORD : dst[j], st, 0);
      }
      dst[j] += WORD;
      rd += WORD;
      roff += WORD;
      if (roff == size)
        roff = 0;
      c->ring_roff = roff;
      *(volatile uint32_t *)&c->data_rd = rd;
    }
    kick(c);
  }
  for (unsigned j = 0; j < n; j++) {
    uint32_t sr = idle(c, b[j]->regs);
    REG(b[j]->regs + F_CR) = H7(c)->psize << 4;
    if (sr & LF_LDR_H7_SR_ERRORS)
      return fail(c, LF_LDR_ST_FLASH, dst[j] - WORD, sr, 0);
  }
  return 0;
}

/* zlib crc32 of [a, a+n) through the CRC unit (crc_prog_range). */
static uint32_t do_crc(const ctl_t *c, uint32_t a, uint32_t n)
{
  return crc_prog_range(H7(c)->crc_regs, a, n);
}

static int unlock(ctl_t *c, uint32_t regs)
{
  if (REG(regs + F_CR) & CR_LOCK) {
    REG(regs + F_KEYR) = KEY1;
    REG(regs + F_KEYR) = KEY2;
    if (REG(regs + F_CR) & CR_LOCK)
      return fail(c, LF_LDR_ST_LOCKED, regs + F_CR, REG(regs + F_SR), 0);
  }
  return 0;
}

#ifdef LF_LDR_H7_Z
/* PROGRAM_Z (lf_loader_abi.h; the loader settled the command's bank
 * first): each record is inflated as its bytes arrive into the output
 * buffer, one flash word programmed per 32 output bytes (the pump: the
 * store waits while the bank still programs the previous word, so the
 * inflating runs in the programming time), the rest after the record. */
struct zpump {
  uint32_t regs, dst, done, bad, at;
};

static int pump(void *ctx, const uint8_t *out, uint32_t n)
{
  struct zpump *z = ctx;
  if (n - z->done < WORD)
    return 0;
  uint32_t st = REG(z->regs + F_SR);
  put_word(z->dst + z->done, (const uint32_t *)(out + z->done));
  if (st & LF_LDR_H7_SR_ERRORS) {
    z->bad = st;
    z->at = z->done;
    return 1;
  }
  z->done += WORD;
  return 0;
}

struct zsrc {
  ctl_t *c;
  uint32_t from, zlen;
};

static uint32_t zmore(void *ctx, uint32_t used)
{
  struct zsrc *z = ctx;
  wait_data(z->c, z->from, used + 1);
  uint32_t there = *(volatile uint32_t *)&z->c->data_wr - z->from;
  return there < z->zlen ? there : z->zlen;
}

static int z_program(ctl_t *c, const cmd_t *k, uint32_t idx)
{
  uint32_t b2 = H7(c)->bank2, dst = k->addr, left = k->len, cap = c->z_out_size;
  uint32_t regs = H7(c)->flash_regs + (b2 && dst >= b2 ? H7(c)->bank_regs : 0);
  if ((dst | left) & (WORD - 1))
    return fail(c, LF_LDR_ST_BADCMD, idx, 0, 0);
  struct lfz_work *w = (struct lfz_work *)(c->z_region + LF_LDR_Z_WORK);
  uint8_t *out = (uint8_t *)(c->z_region + LF_LDR_Z_OUT + cap);
  uint32_t hist = 0;
  idle(c, regs);
  REG(regs + F_CCR) = LF_LDR_H7_SR_CLEAR;
  REG(regs + F_CR) = (H7(c)->psize << 4) | CR_PG;
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    wait_data(c, rd, 8); /* a record header */
    uint32_t hw[2], o = roff; /* byte by byte: it may wrap */
    for (uint32_t i = 0; i < 8; i++) {
      ((uint8_t *)hw)[i] = ring[o];
      if (++o == size)
        o = 0;
    }
    uint32_t zlen = hw[0], olen = hw[1];
    if (zlen > size - 8 || !olen || olen > left || olen > cap || (olen & (WORD - 1))) {
      idle(c, regs);
      return fail(c, LF_LDR_ST_DATA, dst, olen, 0);
    }
    struct zpump z = {regs, dst, 0, 0, 0};
    struct zsrc zs = {c, rd + 8, zlen};
    uint32_t avail = *(volatile uint32_t *)&c->data_wr - rd - 8;
    int32_t got = lfz_inflate_io(w, ring + o, ring + size, ring, zlen, out, olen, hist, pump, &z,
                                 avail < zlen ? avail : zlen, 0, &zs);
    if (got != (int32_t)olen && !z.bad) {
      idle(c, regs);
      return fail(c, LF_LDR_ST_DATA, dst, got < 0 ? (uint32_t)got : olen, 0);
    }
    while (!z.bad && z.done < olen) /* the rest of the record */
      pump(&z, out, olen);
    if (z.bad) {
      uint32_t a = dst + z.at;
      idle(c, regs);
      return fail(c, LF_LDR_ST_FLASH, a > k->addr ? a - WORD : a, z.bad, 0);
    }
    rd += 8 + zlen;
    roff += 8 + zlen;
    if (roff >= size)
      roff -= size;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd;
    for (uint32_t i = 0; i < olen; i += 4) /* the next record's history */
      *(uint32_t *)(out - olen + i) = *(const uint32_t *)(out + i);
    hist = olen;
    dst += olen;
    left -= olen;
    kick(c);
  }
  uint32_t sr = idle(c, regs);
  REG(regs + F_CR) = H7(c)->psize << 4;
  if (sr & LF_LDR_H7_SR_ERRORS)
    return fail(c, LF_LDR_ST_FLASH, dst - WORD, sr, 0);
  return 0;
}

/* The entry: the command, its cycles counted as a PROGRAM's. */
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t t0 = cycles();
  int r = z_program(c, k, idx);
  k->result = cycles() - t0;
  c->cyc_prog += k->result;
  return r;
}

#else /* the loader */

int lf_ldr_main(ctl_t *c)
{
  bank bk[2] = {{H7(c)->flash_regs, 0, 0}, {H7(c)->flash_regs + H7(c)->bank_regs, 0, 0}};
  dcache_off();
  REG(DWT_CTRL) |= 1u; /* CYCCNTENA (counts only with DEMCR.TRCENA, set by the host) */
  if (H7(c)->rcc_enr)
    REG(H7(c)->rcc_enr) |= H7(c)->rcc_bit;
  if (H7(c)->iwdg_regs) {
    /* longest timeout, 4 * 256 * 4096 / 32 kHz = 32.8 s: longer than any
     * erase (bank x8 max 26 s); harmless when the watchdog is not running */
    uint32_t w = H7(c)->iwdg_regs;
    REG(w + IWDG_KR) = 0xAAAAu;
    REG(w + IWDG_KR) = 0x5555u;
    REG(w + IWDG_PR) = 6u;
    REG(w + IWDG_RLR) = 0xFFFu;
    REG(w + IWDG_KR) = 0xAAAAu;
  }
  int r = unlock(c, bk[0].regs);
  if (!r && H7(c)->bank2)
    r = unlock(c, bk[1].regs);
  if (r)
    return r;
  c->version = LF_LDR_ABI_VERSION;
  c->magic = LF_LDR_READY;
  cmd_t *q = (cmd_t *)c->cmd_base;
  uint32_t rd = c->cmd_rd;
  for (;;) {
    while (*(volatile uint32_t *)&c->cmd_wr == rd)
      kick(c);
    cmd_t *k = &q[rd % c->cmd_count];
    uint32_t t0 = cycles(), op = k->op, step = 1;
    if (op == LF_LDR_OP_ERASE || op == LF_LDR_OP_ERASE_BANK || op == LF_LDR_OP_ERASE_CHIP) {
      r = do_erase(c, bk, k, rd);
      k->result = cycles() - t0;
      c->cyc_erase += k->result;
    } else if (op == LF_LDR_OP_PROGRAM || op == LF_LDR_OP_PROGRAM_PAIR) {
      const cmd_t *pk[2] = {k, &q[(rd + 1) % c->cmd_count]};
      if (op == LF_LDR_OP_PROGRAM_PAIR) {
        while (*(volatile uint32_t *)&c->cmd_wr - rd < 2) /* its mate may be posted later */
          kick(c);
        step = 2;
      }
      r = do_program(c, bk, pk, step, rd);
      k->result = cycles() - t0;
      c->cyc_prog += k->result;
    } else if (op == LF_LDR_OP_CRC) {
      r = settle_all(c, bk);
      k->result = r ? 0 : do_crc(c, k->addr, k->len);
      c->cyc_crc += cycles() - t0;
    } else if (op == LF_LDR_OP_SYNC) {
      r = settle_all(c, bk);
    } else if (op == LF_LDR_OP_PROGRAM_Z && c->z_region) {
      /* the routine the host uploaded (it counts its cycles), once the
       * command's bank is idle and its started erase checked */
      r = settle(c, &bk[H7(c)->bank2 && k->addr >= H7(c)->bank2]);
      if (!r)
        r = ((int (*)(ctl_t *, cmd_t *, uint32_t))(c->z_region | 1u))(c, k, rd);
    } else if (op == LF_LDR_OP_EXIT) {
      r = settle_all(c, bk);
      REG(bk[0].regs + F_CR) = CR_LOCK;
      REG(bk[1].regs + F_CR) = CR_LOCK;
      if (!r)
        c->cmd_rd = ++rd;
      return r;
    } else {
      r = fail(c, LF_LDR_ST_BADCMD, rd, 0, 0);
    }
    if (r) {
      idle(c, bk[0].regs);
      idle(c, bk[1].regs);
      REG(bk[0].regs + F_CR) = CR_LOCK;
      REG(bk[1].regs + F_CR) = CR_LOCK;
      return r;
    }
    *(volatile uint32_t *)&c->cmd_rd = rd += step;
  }
}

#endif /* LF_LDR_H7_Z */

/* The host's return address: lf_ldr_main returns here and the core halts. */
__attribute__((naked, section(".text.exit"), used)) void lf_ldr_exit(void)
{
  __asm volatile("bkpt #0xAB");
}

#endif /* LF_LDR_CONTRACT_ONLY */
