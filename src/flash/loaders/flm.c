/* The dispatcher of CMSIS-Pack flash algorithms: luaflash's target-side
 * loader for any part programmed by an FLM (src/flash/flm_loader.c is its
 * host side). It serves the stream engine's command queue and ring
 * (lf_loader_abi.h) like a family's native loader, but erases and programs
 * by calling the algorithm loaded next to it: EraseSector per ERASE,
 * ProgramPage per page of a PROGRAM (straight from the ring, while the host
 * keeps uploading), EraseChip (or EraseSector over every sector when the
 * algorithm has none) per chip erase, Init/UnInit around each run of one
 * kind (cmsis-pack-flm.md 3.1, 3.5). CRC32 (zlib) with its own routine,
 * slicing by 4 over a table it builds in scratch RAM at start.
 *
 * Position independent: the host places it after the algorithm, wherever
 * that is (no absolute addresses: only PC-relative branches and literal
 * constants; gen-loaders.sh links it at two addresses and compares). No
 * globals. r9 stays the algorithm's static base (-ffixed-r9: this code
 * never touches it; the algorithm keeps it, AAPCS callee-saved).
 *
 * Entry lf_ldr_main(ctrl): switches to the stack the host reserved (scratch
 * RAM, big enough for the algorithm), sets r9, serves commands until EXIT,
 * returns to the host's BKPT. Errors stop the job: status FLASH, err_addr =
 * the sector or page, err_sr = function << 24 | the function's return value
 * (bit 23: the stack guard word below the stack was overwritten). While an
 * algorithm function runs, reserved[0] = 0x80000000 | function (bits 7:0)
 * and reserved[1] = its address argument, so the host can name a function
 * that faults or never returns; bits 15:8 of reserved[0] hold the kind of
 * the function set Init'ed (1 erase, 2 program, 3 verify; 0 none).
 *
 * gen-loaders: -mcpu=cortex-m3 (ARMv7-M: UDIV, runs on M3/M4/M7)
 * gen-loaders: position-independent
 * gen-loaders: flags -ffixed-r9
 */
#include <stdint.h>

#include "lf_loader_abi.h"
#ifdef LF_LDR_FLM_Z
static uint32_t zmore(void *ctx, uint32_t used);
#define LFZ_MORE_FN zmore
#include "lf_inflate.h"
#endif

/* ---- the contract with the host adapter (flm_loader.c includes this part
 * with LF_LDR_CONTRACT_ONLY defined) ---- */

/* Function codes (in err_sr bits 31:24 and reserved[0]). */
enum {
  LF_LDR_FLM_FN_INIT = 1,
  LF_LDR_FLM_FN_UNINIT = 2,
  LF_LDR_FLM_FN_ERASE_SECTOR = 3,
  LF_LDR_FLM_FN_PROGRAM_PAGE = 4,
  LF_LDR_FLM_FN_ERASE_CHIP = 5,
};
#define LF_LDR_FLM_STACK_SMASHED 0x00800000u /* err_sr: the guard word was overwritten */
#define LF_LDR_FLM_GUARD 0x4C46474Bu         /* "KGFL", below the stack */
#define LF_LDR_FLM_IN_CALL 0x80000000u       /* reserved[0] while a function runs */
#define LF_LDR_FLM_CRC_TABLE 4096u           /* scratch: 4 x 256 words */
#define LF_LDR_FLM_OFF_CALL 0x78u            /* reserved[0], reserved[1] in the control block */
/* Compressed upload: the control block's words at 0x78 are the call
 * tracking above, so the PROGRAM_Z routine's address (the region's start,
 * lf_loader_abi.h) travels in each PROGRAM_Z command's result word, and its
 * records inflate to at most LF_LDR_FLM_Z_CHUNK bytes (the region holds the
 * history and output buffers of that size). */
#define LF_LDR_FLM_Z_CHUNK 8192u

/* The family words of the control block (lf_ldr_ctrl.fam). Addresses of
 * functions are absolute with the Thumb bit; 0 = absent. */
struct lf_ldr_flm {
  uint32_t init, uninit, erase_sector, program_page, erase_chip;
  uint32_t static_base;  /* r9 */
  uint32_t page_size;    /* ProgramPage never gets more, nor crosses a page */
  uint32_t dev_addr;     /* Init's adr, the base of the page grid */
  uint32_t scratch;      /* [crc table][bounce page][guard word][stack ... stack_top) */
  uint32_t stack_top;    /* 8-aligned */
  uint32_t sectors;      /* {size, addr} pairs (absolute), size 0 ends: the device end */
};
_Static_assert(sizeof(struct lf_ldr_flm) == 4 * LF_LDR_FAM_WORDS, "family words");

#ifndef LF_LDR_CONTRACT_ONLY

#define DWT_CTRL 0xE0001000u
#define DWT_CYCCNT 0xE0001004u
#define REG(a) (*(volatile uint32_t *)(a))

typedef struct lf_ldr_ctrl ctl_t;
typedef struct lf_ldr_cmd cmd_t;
typedef uint32_t (*fn3)(uint32_t, uint32_t, uint32_t);

#define FLM(c) ((const struct lf_ldr_flm *)(c)->fam)

static inline uint32_t cycles(void) { return REG(DWT_CYCCNT); }

static void crc_table(uint32_t *t)
{
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    t[i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int k = 1; k < 4; k++)
      t[256 * k + i] = (t[256 * (k - 1) + i] >> 8) ^ t[t[256 * (k - 1) + i] & 0xFFu];
}

/* zlib crc32 of [a, a+n) (slicing by 4: one table row per byte of a word). */
static uint32_t crc32(const uint32_t *t, uint32_t a, uint32_t n)
{
  uint32_t c = 0xFFFFFFFFu;
  const uint8_t *p = (const uint8_t *)a;
  while (n && ((uint32_t)p & 3u)) {
    c = t[(c ^ *p++) & 0xFFu] ^ (c >> 8);
    n--;
  }
  const uint32_t *w = (const uint32_t *)p;
  for (; n >= 4; n -= 4) {
    c ^= *w++;
    c = t[768 + (c & 0xFFu)] ^ t[512 + ((c >> 8) & 0xFFu)] ^ t[256 + ((c >> 16) & 0xFFu)] ^ t[c >> 24];
  }
  p = (const uint8_t *)w;
  while (n--)
    c = t[(c ^ *p++) & 0xFFu] ^ (c >> 8);
  return ~c;
}

static int fail(ctl_t *c, uint32_t addr, uint32_t sr)
{
  c->err_addr = addr;
  c->err_sr = sr;
  c->status = LF_LDR_ST_FLASH;
  return 1;
}

/* Calls an algorithm function; its r0, or the guard flag when the stack
 * guard did not survive. */
static uint32_t call(ctl_t *c, uint32_t fn, uint32_t code, uint32_t a0, uint32_t a1, uint32_t a2)
{
  volatile uint32_t *guard = (volatile uint32_t *)(FLM(c)->scratch + LF_LDR_FLM_CRC_TABLE + FLM(c)->page_size);
  uint32_t kind = c->reserved[0] & 0xFF00u;
  c->reserved[1] = a0;
  *(volatile uint32_t *)&c->reserved[0] = LF_LDR_FLM_IN_CALL | kind | code;
  uint32_t r = ((fn3)fn)(a0, a1, a2);
  *(volatile uint32_t *)&c->reserved[0] = kind | code;
  if (*guard != LF_LDR_FLM_GUARD)
    return LF_LDR_FLM_STACK_SMASHED | (r & 0xFFFFu);
  return r & 0xFFFFFFu;
}

#define KIND(c) (((c)->reserved[0] >> 8) & 0xFFu)
#define SET_KIND(c, k) ((c)->reserved[0] = ((c)->reserved[0] & ~0xFF00u) | ((k) << 8))

/* The function kind now initialised (1 erase, 2 program, 3 verify; 0 none)
 * lives in bits 15:8 of reserved[0]: UnInit the old one, Init the new one. */
static int phase(ctl_t *c, uint32_t fnc)
{
  uint32_t cur = KIND(c);
  if (cur == fnc)
    return 0;
  uint32_t r;
  if (cur && (r = call(c, FLM(c)->uninit, LF_LDR_FLM_FN_UNINIT, cur, 0, 0)))
    return fail(c, cur, (uint32_t)LF_LDR_FLM_FN_UNINIT << 24 | r);
  SET_KIND(c, 0u);
  if (fnc && (r = call(c, FLM(c)->init, LF_LDR_FLM_FN_INIT, FLM(c)->dev_addr, 0, fnc)))
    return fail(c, fnc, (uint32_t)LF_LDR_FLM_FN_INIT << 24 | r);
  SET_KIND(c, fnc);
  return 0;
}

static int erase_sector(ctl_t *c, uint32_t addr)
{
  uint32_t r = call(c, FLM(c)->erase_sector, LF_LDR_FLM_FN_ERASE_SECTOR, addr, 0, 0);
  return r ? fail(c, addr, (uint32_t)LF_LDR_FLM_FN_ERASE_SECTOR << 24 | r) : 0;
}

static int do_erase(ctl_t *c, const cmd_t *k, uint32_t idx)
{
  if (phase(c, 1))
    return 1;
  if (k->op == LF_LDR_OP_ERASE)
    return erase_sector(c, k->addr);
  if (k->op != LF_LDR_OP_ERASE_CHIP) {
    c->err_addr = idx; /* one bank: an algorithm knows no banks */
    c->status = LF_LDR_ST_BADCMD;
    return 1;
  }
  if (FLM(c)->erase_chip) {
    uint32_t r = call(c, FLM(c)->erase_chip, LF_LDR_FLM_FN_ERASE_CHIP, k->addr, 0, 0);
    return r ? fail(c, k->addr, (uint32_t)LF_LDR_FLM_FN_ERASE_CHIP << 24 | r) : 0;
  }
  /* no EraseChip: every sector (cmsis-pack-flm.md 1.3) */
  const uint32_t *s = (const uint32_t *)FLM(c)->sectors;
  for (; s[0]; s += 2)
    for (uint32_t a = s[1]; a < s[3]; a += s[0]) {
      if (erase_sector(c, a))
        return 1;
    }
  return 0;
}

static int do_program(ctl_t *c, const cmd_t *k)
{
  if (phase(c, 2))
    return 1;
  const struct lf_ldr_flm *w = FLM(c);
  uint8_t *bounce = (uint8_t *)(w->scratch + LF_LDR_FLM_CRC_TABLE);
  uint32_t dst = k->addr, left = k->len, rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t n = w->page_size - (dst - w->dev_addr) % w->page_size;
    if (n > left)
      n = left;
    uint32_t avail = *(volatile uint32_t *)&c->data_wr - rd;
    if (avail < n) {
      uint32_t t0 = cycles();
      while (*(volatile uint32_t *)&c->data_wr - rd < n)
        ;
      c->cyc_starve += cycles() - t0;
    }
    const uint8_t *src = ring + roff;
    if (n > size - roff) { /* the page wraps around the ring's end */
      uint32_t a = size - roff;
      for (uint32_t i = 0; i < a; i++)
        bounce[i] = src[i];
      for (uint32_t i = a; i < n; i++)
        bounce[i] = ring[i - a];
      src = bounce;
    }
    uint32_t r = call(c, w->program_page, LF_LDR_FLM_FN_PROGRAM_PAGE, dst, n, (uint32_t)src);
    if (r)
      return fail(c, dst, (uint32_t)LF_LDR_FLM_FN_PROGRAM_PAGE << 24 | r);
    dst += n;
    left -= n;
    rd += n;
    roff += n;
    if (roff >= size)
      roff -= size;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd;
  }
  return 0;
}

#ifdef LF_LDR_FLM_Z
/* PROGRAM_Z (the dispatcher Init'ed the program functions): each record is
 * inflated as its bytes arrive into the output buffer (after the previous
 * record: its history), then programmed page by page with ProgramPage
 * straight from the buffer; its ring space is released first, so the host
 * uploads the next records while the algorithm programs. */
struct zsrc {
  ctl_t *c;
  uint32_t from, zlen;
};

static uint32_t zmore(void *ctx, uint32_t used)
{
  struct zsrc *z = ctx;
  uint32_t there = *(volatile uint32_t *)&z->c->data_wr - z->from;
  if (there <= used) {
    uint32_t t0 = cycles();
    while ((there = *(volatile uint32_t *)&z->c->data_wr - z->from) <= used)
      ;
    z->c->cyc_starve += cycles() - t0;
  }
  return there < z->zlen ? there : z->zlen;
}

static int z_program(ctl_t *c, const cmd_t *k, uint32_t region, uint32_t idx)
{
  const struct lf_ldr_flm *w = FLM(c);
  struct lfz_work *wk = (struct lfz_work *)(region + LF_LDR_Z_WORK);
  uint8_t *out = (uint8_t *)(region + LF_LDR_Z_OUT + LF_LDR_FLM_Z_CHUNK);
  uint32_t dst = k->addr, left = k->len, hist = 0, rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t avail;
    if ((avail = *(volatile uint32_t *)&c->data_wr - rd) < 8) { /* a record header */
      uint32_t t0 = cycles();
      while ((avail = *(volatile uint32_t *)&c->data_wr - rd) < 8)
        ;
      c->cyc_starve += cycles() - t0;
    }
    uint32_t hw[2], o = roff; /* byte by byte: it may wrap */
    for (uint32_t i = 0; i < 8; i++) {
      ((uint8_t *)hw)[i] = ring[o];
      if (++o == size)
        o = 0;
    }
    uint32_t zlen = hw[0], olen = hw[1];
    if (zlen > size - 8 || !olen || olen > left || olen > LF_LDR_FLM_Z_CHUNK) {
      c->err_addr = dst;
      c->err_sr = olen;
      c->status = LF_LDR_ST_DATA;
      return 1;
    }
    struct zsrc zs = {c, rd + 8, zlen};
    int32_t got = lfz_inflate_io(wk, ring + o, ring + size, ring, zlen, out, olen, hist, 0, 0,
                                 avail - 8 < zlen ? avail - 8 : zlen, 0, &zs);
    if (got != (int32_t)olen) {
      c->err_addr = dst;
      c->err_sr = got < 0 ? (uint32_t)got : olen;
      c->status = LF_LDR_ST_DATA;
      return 1;
    }
    rd += 8 + zlen;
    roff += 8 + zlen;
    if (roff >= size)
      roff -= size;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd;
    for (uint32_t p = 0; p < olen;) {
      uint32_t n = w->page_size - (dst + p - w->dev_addr) % w->page_size;
      if (n > olen - p)
        n = olen - p;
      uint32_t r = call(c, w->program_page, LF_LDR_FLM_FN_PROGRAM_PAGE, dst + p, n, (uint32_t)(out + p));
      if (r)
        return fail(c, dst + p, (uint32_t)LF_LDR_FLM_FN_PROGRAM_PAGE << 24 | r);
      p += n;
    }
    for (uint32_t i = 0; i < olen; i += 4) /* the next record's history */
      *(uint32_t *)(out - olen + i) = *(const uint32_t *)(out + i);
    hist = olen;
    dst += olen;
    left -= olen;
  }
  (void)idx;
  return 0;
}

/* Entry (the region's start, called by the dispatcher with the command's
 * result word = the region): the command, its cycles counted as a
 * PROGRAM's. r9 is the algorithm's (-ffixed-r9 here too). */
__attribute__((section(".text.entry"), used)) int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t t0 = cycles();
  int r = z_program(c, k, k->result, idx);
  k->result = cycles() - t0;
  c->cyc_prog += k->result;
  return r;
}

#else /* the dispatcher */

__attribute__((used, noinline)) static int serve(ctl_t *c)
{
  const struct lf_ldr_flm *w = FLM(c);
  uint32_t *table = (uint32_t *)w->scratch;
  REG(DWT_CTRL) |= 1u; /* CYCCNTENA (counts only with DEMCR.TRCENA, set by the host) */
  crc_table(table);
  *(volatile uint32_t *)(w->scratch + LF_LDR_FLM_CRC_TABLE + w->page_size) = LF_LDR_FLM_GUARD;
  c->reserved[0] = 0;
  c->version = LF_LDR_ABI_VERSION;
  c->magic = LF_LDR_READY;
  cmd_t *q = (cmd_t *)c->cmd_base;
  uint32_t rd = c->cmd_rd;
  for (;;) {
    while (*(volatile uint32_t *)&c->cmd_wr == rd)
      ;
    cmd_t *k = &q[rd % c->cmd_count];
    uint32_t t0 = cycles(), op = k->op;
    int r = 0;
    if (op == LF_LDR_OP_ERASE || op == LF_LDR_OP_ERASE_BANK || op == LF_LDR_OP_ERASE_CHIP) {
      r = do_erase(c, k, rd);
      k->result = cycles() - t0;
      c->cyc_erase += k->result;
    } else if (op == LF_LDR_OP_PROGRAM) {
      r = do_program(c, k);
      k->result = cycles() - t0;
      c->cyc_prog += k->result;
    } else if (op == LF_LDR_OP_CRC) {
      /* flash is read through the bus; Init(3) first, as for Verify (3.5) */
      if (!(r = phase(c, 3)))
        k->result = crc32(table, k->addr, k->len);
      c->cyc_crc += cycles() - t0;
    } else if (op == LF_LDR_OP_PROGRAM_Z && k->result) { /* result: the routine the host uploaded */
      if (!(r = phase(c, 2)))
        r = ((int (*)(ctl_t *, cmd_t *, uint32_t))(k->result | 1u))(c, k, rd); /* counts its cycles */
    } else if (op == LF_LDR_OP_EXIT) {
      r = phase(c, 0);
      if (!r)
        c->cmd_rd = ++rd;
      return r;
    } else {
      c->err_addr = rd;
      c->status = LF_LDR_ST_BADCMD;
      r = 1;
    }
    if (r) {
      if (c->status == LF_LDR_ST_FLASH && KIND(c) && (c->err_sr >> 24) != LF_LDR_FLM_FN_UNINIT)
        call(c, w->uninit, LF_LDR_FLM_FN_UNINIT, KIND(c), 0, 0); /* leave the flash locked */
      return r;
    }
    *(volatile uint32_t *)&c->cmd_rd = ++rd;
  }
}

/* Entry: r0 = the control block. The stack and r9 come from the family
 * words; serve() returns here and we return to the host's BKPT. */
__attribute__((naked, section(".text.entry"), used)) void lf_ldr_main(ctl_t *c)
{
  (void)c;
  __asm volatile("ldr r1, [r0, #0x40]\n" /* fam[9]: stack_top */
                 "mov sp, r1\n"
                 "ldr r1, [r0, #0x30]\n" /* fam[5]: static_base */
                 "mov r9, r1\n"
                 "push {r4, lr}\n"
                 "bl serve\n"
                 "pop {r4, pc}\n");
}

#endif /* LF_LDR_FLM_Z */

/* The host's return address: lf_ldr_main returns here and the core halts. */
__attribute__((naked, section(".text.exit"), used)) void lf_ldr_exit(void)
{
  __asm volatile("bkpt #0xAB");
}

#endif /* LF_LDR_CONTRACT_ONLY */
