/* On-target flash loader of the RP2040 (host side: src/flash/rp2040.c). The
 * flash is an external QSPI NOR chip (the Pico's W25Q16JV) that the boot
 * ROM's flash functions drive; this loader calls them. Runs from SRAM
 * (linked at LF_LDR_RP_LOAD_ADDR) on core 0, a Cortex-M0+ (ARMv6-M),
 * started once by the host with r0 = the control block (lf_loader_abi.h),
 * and serves the command queue until EXIT or an error. No globals: all state
 * lives in the control block.
 *
 * Facts: nrf52-rp2040-targets.md 10 (ROM table: the u16 function table
 * pointer at 0x14, rom_table_lookup at 0x18; IF EX RE RP FC CX and their
 * arguments), 11 (SSI SSIENR/BAUDR), 12 (the W25Q16JV: 64 KiB block erase
 * 0xD8, 256-byte pages, 0x03 reads limited to 50 MHz while PP and erase
 * commands run at any SCK the SSI makes).
 *
 * Flow: the first erase or program enters command mode (IF, EX; then the
 * SSI's divider is set to fam.ssi_baudr, clk_sys / 2 on the Pico, for the
 * commands' bytes); CRC and EXIT leave it (the divider EX chose is put
 * back, then FC and CX: XIP reads work again, in serial 0x03 mode, as the
 * ROM leaves them). Erases: a whole 64 KiB block (RE(offset, 65536, 65536,
 * 0xD8)) or 32 KiB block (RE(offset, 32768, 32768, 0x52)) when the host
 * merged its sectors into one ERASE (len carries the block size), else the
 * 4 KiB sector (RE(offset, 4096, 65536, 0xD8) sends 0x20). Programs: RP on
 * whole 256-byte pages straight from the ring (at most 16 pages per call,
 * so data_rd advances while the host streams), a partial or ring-straddling
 * page through a 256-byte bounce buffer padded with 0xFF (NOR programming
 * leaves 0xFF bytes unchanged). The ROM reports no errors: the host's
 * verify (CRC) is the check. Compressed programs (PROGRAM_Z, the routine
 * the host uploads: rp2040_z.c) go through the SSI instead (below).
 *
 * CRC32 (zlib) through the DMA sniffer (RP 13): channel fam.dma_ch copies
 * the range word by word to a scratch word (no write increment), the
 * sniffer with CALC 1 (CRC-32 of bit-reversed data), seed ~0, OUT_REV and
 * OUT_INV gives zlib's CRC-32 with no core work; the DMA moves a word per
 * couple of cycles where the M0+'s table loop needs about 8 cycles a byte.
 * An unaligned start, ranges under 16 bytes and the 1-3 tail bytes go
 * through a 256-entry table the loader builds at init in RAM the host names
 * (fam.crc_table; no table: bit by bit). fam.dma_ch = 0xFF: no DMA (software
 * for everything). The sniffer and the channel are left disabled.
 *
 * gen-loaders: -mcpu=cortex-m0plus
 * gen-loaders: flags -fno-jump-tables
 * (no case tables: on ARMv6-M they call libgcc helpers, and no libgcc is linked) */
#include <stdint.h>

#include "lf_loader_abi.h"
#ifdef LF_LDR_RP_Z
static uint32_t zmore(void *ctx, uint32_t used);
#define LFZ_MORE_FN zmore
#define LFZ_M0 1 /* lf_inflate.h's options for the M0+ (its head comment) */
#include "lf_inflate.h"
#include "lf_bcj.h"
#endif

/* ---- the contract with the host adapter (rp2040.c includes this part with
 * LF_LDR_CONTRACT_ONLY defined) ---- */

#define LF_LDR_RP_LOAD_ADDR 0x20000000u /* linked here: SRAM0 */
#define LF_LDR_RP_XIP_BASE 0x10000000u
#define LF_LDR_RP_BLOCK 0x10000u        /* 64 KiB block erase, 0xD8 */
#define LF_LDR_RP_BLOCK_CMD 0xD8u
#define LF_LDR_RP_BLOCK32 0x8000u       /* 32 KiB block erase, 0x52 */
#define LF_LDR_RP_BLOCK32_CMD 0x52u
#define LF_LDR_RP_PAGE 256u

/* status LF_LDR_ST_FLASH with err_sr = this: a ROM function is missing
 * (err_addr = its two-letter code) */
#define LF_LDR_RP_NO_ROM_FUNC 0x524F4D00u
/* ... the PROGRAM_Z routine's own page programs (err_addr = the page's
 * address), err_sr = one of these | the flash's status register 1 (bits
 * 7:0): the flash did not set WEL for the program ("WEL"), or stayed busy
 * longer than LF_LDR_RP_BUSY_US ("BSY") */
#define LF_LDR_RP_NO_WEL 0x57454C00u
#define LF_LDR_RP_BUSY 0x42535900u
#define LF_LDR_RP_SR_FLAG_MASK 0xFFFFFF00u
/* 10 x the W25Q16JV's tPP max (3 ms, RP 12): the routine waits this long
 * for a page program to end (measured from when it starts waiting) */
#define LF_LDR_RP_BUSY_US 30000u
/* PROGRAM_Z: status polls this often (microseconds) once pp_us passed */
#define LF_LDR_RP_POLL_US 4u

/* The family words of the control block (lf_ldr_ctrl.fam). */
struct lf_ldr_rp {
  uint32_t flash_base;   /* XIP base, 0x10000000: flash offset = address - base */
  uint32_t flash_size;   /* bytes (bank and chip erase) */
  uint32_t crc_table;    /* RAM for the 1 KiB CRC table, 0 = bit by bit */
  uint8_t ssi_baudr;     /* SSI divider for erase/program commands, 0 = the ROM's */
  uint8_t dma_ch;        /* DMA channel for the sniffer's CRC, 0xFF = none */
  uint16_t state;        /* loader private: bit 0 command mode; 15:8 the ROM's BAUDR */
  uint32_t fn[6];        /* loader private: IF EX RE RP FC CX (Thumb addresses) */
  uint32_t pp_us;        /* PROGRAM_Z: microseconds from a page program's start to its first
                            status poll (a little under the flash's typical tPP; 0 = at once) */
};
_Static_assert(sizeof(struct lf_ldr_rp) == 4 * LF_LDR_FAM_WORDS, "family words");

#ifndef LF_LDR_CONTRACT_ONLY

#define REG(a) (*(volatile uint32_t *)(a))
#define SSI_SSIENR 0x18000008u
#define SSI_BAUDR 0x18000014u
#define DMA_BASE 0x50000000u
#define DMA_CHAN_ABORT 0x50000444u
#define DMA_SNIFF_CTRL 0x50000434u
#define DMA_SNIFF_DATA 0x50000438u
/* CTRL_TRIG: EN, DATA_SIZE word (2 << 2), INCR_READ, TREQ_SEL permanent
 * (0x3F << 15), SNIFF_EN (1 << 23); BUSY is bit 24 */
#define DMA_CTRL_CRC (0x1u | 2u << 2 | 0x10u | 0x3Fu << 15 | 1u << 23)
#define DMA_BUSY (1u << 24)
/* SNIFF_CTRL: EN, DMACH (4:1), CALC 1 (8:5), OUT_REV (10), OUT_INV (11) */
#define SNIFF_ZLIB(ch) (0x1u | (ch) << 1 | 1u << 5 | 1u << 10 | 1u << 11)

typedef struct lf_ldr_ctrl ctl_t;
typedef struct lf_ldr_cmd cmd_t;
typedef void (*fn_void)(void);
typedef void (*fn_erase)(uint32_t off, uint32_t count, uint32_t block, uint8_t cmd);
typedef void (*fn_prog)(uint32_t off, const uint8_t *data, uint32_t count);
typedef void *(*fn_lookup)(uint16_t *table, uint32_t code);

enum { F_IF, F_EX, F_RE, F_RP, F_FC, F_CX };

#define RP(c) ((struct lf_ldr_rp *)(c)->fam)

#ifdef LF_LDR_RP_Z
int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx) __attribute__((section(".text.entry"), used));
#else
int lf_ldr_main(ctl_t *c) __attribute__((section(".text.entry"), used));
#endif

/* A u16 of the ROM at a small constant address (kept opaque to the
 * compiler, which would take it for a null-pointer offset). */
static uint32_t rom16(uint32_t a)
{
  __asm volatile("" : "+r"(a));
  return *(volatile uint16_t *)a;
}

static int fail(ctl_t *c, uint32_t status, uint32_t addr, uint32_t sr)
{
  c->err_addr = addr;
  c->err_sr = sr;
  c->status = status;
  return (int)status;
}

static void crc_table_init(const ctl_t *c)
{
  uint32_t *t = (uint32_t *)RP(c)->crc_table;
  if (!t)
    return;
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t v = i;
    for (int k = 0; k < 8; k++)
      v = (v >> 1) ^ (0xEDB88320u & (0u - (v & 1u)));
    t[i] = v;
  }
}

static int rp_init(ctl_t *c)
{
  static const uint16_t codes[6] = {'I' | 'F' << 8, 'E' | 'X' << 8, 'R' | 'E' << 8,
                                    'R' | 'P' << 8, 'F' | 'C' << 8, 'C' | 'X' << 8};
  fn_lookup lookup = (fn_lookup)rom16(0x18);
  uint16_t *table = (uint16_t *)rom16(0x14);
  for (int i = 0; i < 6; i++) {
    void *f = lookup(table, codes[i]);
    if (!f)
      return fail(c, LF_LDR_ST_FLASH, codes[i], LF_LDR_RP_NO_ROM_FUNC);
    RP(c)->fn[i] = (uint32_t)f;
  }
  RP(c)->state = 0;
  crc_table_init(c);
  return 0;
}

static void set_baudr(uint32_t v)
{
  REG(SSI_SSIENR) = 0;
  REG(SSI_BAUDR) = v;
  REG(SSI_SSIENR) = 1;
}

/* IF + EX (and the faster divider) once before erases and programs. */
static void cmd_mode(ctl_t *c)
{
  struct lf_ldr_rp *r = RP(c);
  if (r->state & 1u)
    return;
  ((fn_void)r->fn[F_IF])();
  ((fn_void)r->fn[F_EX])();
  uint32_t rom_baudr = REG(SSI_BAUDR) & 0xFFu;
  if (r->ssi_baudr)
    set_baudr(r->ssi_baudr);
  r->state = (uint16_t)(1u | rom_baudr << 8);
}

/* The ROM's divider back, FC + CX: XIP reads work again. */
static void xip_mode(ctl_t *c)
{
  struct lf_ldr_rp *r = RP(c);
  if (!(r->state & 1u))
    return;
  if (r->ssi_baudr)
    set_baudr(r->state >> 8 & 0xFFu);
  ((fn_void)r->fn[F_FC])();
  ((fn_void)r->fn[F_CX])();
  r->state = 0;
}

static int rp_erase(ctl_t *c, const cmd_t *k)
{
  struct lf_ldr_rp *r = RP(c);
  cmd_mode(c);
  uint32_t off, size;
  if (k->op == LF_LDR_OP_ERASE) {
    size = k->len & LF_LDR_ERASE_SIZE_MASK;
    if (!size)
      size = 0x1000u;
    off = (k->addr - r->flash_base) & ~(size - 1u);
  } else {
    off = 0;
    size = r->flash_size;
  }
  /* a 32 KiB block: RE with block size 32 KiB and 0x52; otherwise 64 KiB
   * blocks (0xD8) where aligned, 4 KiB sectors (0x20) elsewhere */
  uint32_t block = size == LF_LDR_RP_BLOCK32 ? LF_LDR_RP_BLOCK32 : LF_LDR_RP_BLOCK;
  uint8_t bcmd = size == LF_LDR_RP_BLOCK32 ? LF_LDR_RP_BLOCK32_CMD : LF_LDR_RP_BLOCK_CMD;
  ((fn_erase)r->fn[F_RE])(off, size, block, bcmd);
  return 0;
}

/* A PROGRAM command: the ring's bytes, as the host publishes them. */
static int rp_program(ctl_t *c, const cmd_t *k, uint32_t idx)
{
  struct lf_ldr_rp *r = RP(c);
  uint32_t dst = k->addr, left = k->len;
  if ((dst | left) & 3u)
    return fail(c, LF_LDR_ST_BADCMD, idx, 0);
  cmd_mode(c);
  fn_prog prog = (fn_prog)r->fn[F_RP];
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t in_page = dst & (LF_LDR_RP_PAGE - 1u);
    uint32_t want = LF_LDR_RP_PAGE - in_page;
    if (want > left)
      want = left;
    uint32_t avail;
    while ((avail = *(volatile uint32_t *)&c->data_wr - rd) < want)
      ;
    uint32_t n;
    if (!in_page && want == LF_LDR_RP_PAGE && size - roff >= LF_LDR_RP_PAGE) {
      n = avail < left ? avail : left;
      if (n > size - roff)
        n = size - roff;
      if (n > 16 * LF_LDR_RP_PAGE)
        n = 16 * LF_LDR_RP_PAGE;
      n &= ~(LF_LDR_RP_PAGE - 1u);
      prog(dst - r->flash_base, ring + roff, n);
    } else {
      uint32_t page[LF_LDR_RP_PAGE / 4];
      uint8_t *b = (uint8_t *)page;
      for (uint32_t i = 0; i < LF_LDR_RP_PAGE / 4; i++)
        page[i] = 0xFFFFFFFFu;
      uint32_t o = roff;
      for (uint32_t i = 0; i < want; i++) {
        b[in_page + i] = ring[o];
        if (++o == size)
          o = 0;
      }
      prog(dst - in_page - r->flash_base, b, LF_LDR_RP_PAGE);
      n = want;
    }
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

/* Whole words [a, a + 4 words) through the DMA sniffer: zlib's CRC-32 state
 * (before the final inversion) continuing from ~0. */
static uint32_t dma_crc_words(uint32_t ch, uint32_t a, uint32_t words)
{
  uint32_t scratch;
  uint32_t regs = DMA_BASE + 0x40u * ch;
  REG(DMA_CHAN_ABORT) = 1u << ch;
  REG(DMA_SNIFF_DATA) = 0xFFFFFFFFu;
  REG(DMA_SNIFF_CTRL) = SNIFF_ZLIB(ch);
  REG(regs + 0x0) = a;                     /* READ_ADDR */
  REG(regs + 0x4) = (uint32_t)&scratch;    /* WRITE_ADDR */
  REG(regs + 0x8) = words;                 /* TRANS_COUNT */
  REG(regs + 0xC) = DMA_CTRL_CRC;          /* CTRL_TRIG: go */
  while (REG(regs + 0xC) & DMA_BUSY)
    ;
  uint32_t z = ~REG(DMA_SNIFF_DATA);       /* read: reversed + inverted = zlib's final value */
  REG(DMA_SNIFF_CTRL) = 0;
  REG(regs + 0xC) = 0;
  return z;
}

/* zlib crc32 of [a, a+n) (through XIP). */
static uint32_t rp_crc(ctl_t *c, uint32_t a, uint32_t n)
{
  xip_mode(c);
  const uint32_t *t = (const uint32_t *)RP(c)->crc_table;
  const uint8_t *p = (const uint8_t *)a;
  uint32_t crc = 0xFFFFFFFFu;
  uint32_t ch = RP(c)->dma_ch;
  if (ch < 12u && !(a & 3u) && n >= 16) {
    crc = dma_crc_words(ch, a, n >> 2);
    p += n & ~3u;
    n &= 3u;
  }
  if (t) {
    while (n && ((uint32_t)p & 3u)) {
      crc = t[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
      n--;
    }
    const uint32_t *w = (const uint32_t *)p;
    for (; n >= 4; n -= 4) {
      uint32_t v = *w++ ^ crc;
      v = t[v & 0xFFu] ^ (v >> 8);
      v = t[v & 0xFFu] ^ (v >> 8);
      v = t[v & 0xFFu] ^ (v >> 8);
      crc = t[v & 0xFFu] ^ (v >> 8);
    }
    p = (const uint8_t *)w;
    while (n--)
      crc = t[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
  }
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

#ifdef LF_LDR_RP_Z
/* PROGRAM_Z (lf_loader_abi.h): each record is inflated as its bytes arrive
 * into the output buffer, and the routine programs the flash itself through
 * the SSI (left in standard SPI mode, 8-bit frames, by the ROM's EX in
 * cmd_mode) instead of the ROM's RP, which holds the core for the whole
 * page program: once the output holds the next piece (up to a page
 * boundary) and the flash reads idle (status 0x05, BUSY clear; polled from
 * the 1 MHz timer, see the pump below), it sends write enable (0x06),
 * checks WEL, and sends page program (0x02, 24-bit offset, the bytes); the
 * inflate goes on while the flash programs, and while it waits for the
 * host's bytes. NOR programming leaves the bytes a page program does not
 * send unchanged, so a piece needs no 0xFF padding. Chip select is forced
 * through IO_QSPI SS_CTRL.OUTOVER (low for a command, high after it, back
 * to the SSI's own at the end), as the ROM's functions do; the RX FIFO (16
 * entries) is drained as bytes go out, at most 14 in flight.
 *
 * Before any command other than another queued PROGRAM_Z, and before an
 * error is reported, everything inflated is programmed and the flash is
 * idle (the loader's erase, CRC and EXIT go through the ROM, which expects
 * an idle flash). Errors: a page program the flash refused (WEL still
 * clear after 0x06) or a flash still busy LF_LDR_RP_BUSY_US after the
 * program started (or the routine started waiting): LF_LDR_ST_FLASH,
 * err_addr = the piece's flash address, err_sr = LF_LDR_RP_NO_WEL or
 * LF_LDR_RP_BUSY | status register 1. */
#define SSI_RXFLR 0x18000024u
#define SSI_DR0 0x18000060u
#define IO_QSPI_SS_CTRL 0x4001800Cu
#define SS_OUTOVER(v) ((v) << 8)
#define SS_OUTOVER_MASK 0x300u
#define TIMER_RAWL 0x40054028u
#define W25_WREN 0x06u
#define W25_RDSR 0x05u
#define W25_PP 0x02u
#define W25_BUSY 0x01u
#define W25_WEL 0x02u

/* Chip select: OUTOVER 2 = low, 3 = high, 0 = the SSI drives it; set
 * through the register's atomic SET / CLR aliases (+0x2000 / +0x3000,
 * nrf52-rp2040-targets.md: addressmap.h REG_ALIAS_*): stores only, no
 * read-modify-write. Low: bit 9 set, then bit 8 clear (from 0 or 3). */
#define SS_SET (IO_QSPI_SS_CTRL + 0x2000u)
#define SS_CLR (IO_QSPI_SS_CTRL + 0x3000u)
static void cs_force(uint32_t over)
{
  if (over == 2) {
    REG(SS_SET) = SS_OUTOVER(2u);
    REG(SS_CLR) = SS_OUTOVER(1u);
  } else if (over == 3) {
    REG(SS_SET) = SS_OUTOVER_MASK;
  } else {
    REG(SS_CLR) = SS_OUTOVER_MASK;
  }
}

/* n bytes out (CS already low); returns the last byte the flash drove.
 * Every byte written yields one RX entry (TX+RX mode): at most 14 in
 * flight (the RX FIFO holds 16), 8 at a time from whole words where it
 * can. */
static uint32_t spi_bytes(const uint8_t *p, uint32_t n)
{
  uint32_t v = 0;
  if (!((uint32_t)p & 3u))
    for (; n >= 8; n -= 8, p += 8) {
      uint32_t a = ((const uint32_t *)p)[0], b = ((const uint32_t *)p)[1];
      REG(SSI_DR0) = a;
      REG(SSI_DR0) = a >> 8;
      REG(SSI_DR0) = a >> 16;
      REG(SSI_DR0) = a >> 24;
      REG(SSI_DR0) = b;
      REG(SSI_DR0) = b >> 8;
      REG(SSI_DR0) = b >> 16;
      REG(SSI_DR0) = b >> 24;
      while (REG(SSI_RXFLR) < 8)
        ;
      for (int i = 0; i < 8; i++)
        v = REG(SSI_DR0);
    }
  const uint8_t *end = p + n;
  uint32_t inflight = 0;
  while (p != end || inflight) {
    if (p != end && inflight < 14) {
      REG(SSI_DR0) = *p++;
      inflight++;
    }
    if (REG(SSI_RXFLR)) {
      v = REG(SSI_DR0);
      inflight--;
    }
  }
  return v;
}

/* One command of n bytes (CS low, the bytes, CS high). */
static uint32_t spi_cmd(const uint8_t *p, uint32_t n)
{
  cs_force(2);
  uint32_t v = spi_bytes(p, n);
  cs_force(3);
  return v;
}

static uint32_t rdsr(void)
{
  uint8_t b[2] = {W25_RDSR, 0};
  return spi_cmd(b, 2) & 0xFFu;
}

/* Waits until BUSY clears: 0, or -1 (*sr: the last status) after
 * LF_LDR_RP_BUSY_US microseconds of the RP2040's 1 MHz timer. */
static int wait_ready(uint32_t *sr)
{
  uint32_t t0 = REG(TIMER_RAWL);
  for (;;) {
    uint32_t s = rdsr();
    *sr = s;
    if (!(s & W25_BUSY))
      return 0;
    if (REG(TIMER_RAWL) - t0 > LF_LDR_RP_BUSY_US)
      return -1;
  }
}

/* Quad input page program (0x32: the instruction and the 24-bit address on
 * IO0, the data on IO0-3, two clocks a byte instead of eight; the flash
 * needs QE, status register 2 bit 1, which a Pico's boot2 sets) [unconf:
 * the Winbond W25Q family datasheets' "Quad Input Page Program (32h)"]:
 * the SSI in the quad frame format, transmit only, for the command (RP 11
 * CTRLR0 SPI_FRF 2, TMOD 1, DFS_32 31: 32-bit data frames, MSB first, so
 * each word goes byte-swapped; SPI_CTRLR0 INST_L 2 (8 bits), ADDR_L 6 (24
 * bits), TRANS_TYPE 0 (both on one line): the instruction and the address
 * are the first two frames), its registers back after it. The transmit
 * FIFO (16 entries) is fed four words whenever it has room for them
 * (TXFLR <= 12; the wire takes a word in 16 clk_sys cycles, the core less:
 * measured on the bench, 4 words per check take z-xl-pico 1.697 -> 1.676
 * s against a check per word) and drained (SR.TFE, not BUSY) before CS
 * rises. */
#define SSI_CTRLR0 0x18000000u
#define SSI_SR 0x18000028u
#define SSI_SPI_CTRLR0 0x180000F4u
#define SSI_TXFLR 0x18000020u
#define SR_BUSY 0x1u
#define SR_TFE 0x4u
#define CTRLR0_QUAD_TX (2u << 21 | 31u << 16 | 1u << 8)
#define SPI_CTRLR0_QPP (2u << 8 | 6u << 2)
#define W25_QPP 0x32u
#define W25_RDSR2 0x35u
#define W25_QE 0x02u

/* Quad programming (on: QE is set) and the SSI's registers to put back
 * after a quad command. */
struct zssi {
  uint32_t on, c0, sc0;
};

static void ssi_regs(uint32_t c0, uint32_t sc0)
{
  REG(SSI_SSIENR) = 0;
  REG(SSI_CTRLR0) = c0;
  REG(SSI_SPI_CTRLR0) = sc0;
  REG(SSI_SSIENR) = 1;
}

/* Starts the program of n bytes (one page at most, not crossing its end)
 * of s at flash address a, the flash idle (quad: n a multiple of 4, s
 * word aligned); 0 or the status of fail(). */
static int z_prog(ctl_t *c, const struct zssi *q, uint32_t a, const uint8_t *s, uint32_t n)
{
  uint32_t sr;
  uint8_t h[4] = {W25_WREN, 0, 0, 0};
  spi_cmd(h, 1);
  if (!((sr = rdsr()) & W25_WEL))
    return fail(c, LF_LDR_ST_FLASH, a, LF_LDR_RP_NO_WEL | sr);
  uint32_t off = a - RP(c)->flash_base;
  if (q->on) {
    cs_force(2);
    ssi_regs(CTRLR0_QUAD_TX, SPI_CTRLR0_QPP);
    REG(SSI_DR0) = W25_QPP;
    REG(SSI_DR0) = off;
    const uint32_t *w = (const uint32_t *)s;
    uint32_t nw = n / 4, i = 0;
    for (; i + 3 < nw; i += 4) { /* four words whenever the FIFO (16 entries) has room for them */
      while (REG(SSI_TXFLR) > 12u)
        ;
      REG(SSI_DR0) = __builtin_bswap32(w[i]);
      REG(SSI_DR0) = __builtin_bswap32(w[i + 1]);
      REG(SSI_DR0) = __builtin_bswap32(w[i + 2]);
      REG(SSI_DR0) = __builtin_bswap32(w[i + 3]);
    }
    for (; i < nw; i++) {
      while (REG(SSI_TXFLR) > 15u)
        ;
      REG(SSI_DR0) = __builtin_bswap32(w[i]);
    }
    while ((REG(SSI_SR) & (SR_TFE | SR_BUSY)) != SR_TFE)
      ;
    cs_force(3); /* the program starts */
    ssi_regs(q->c0, q->sc0);
    return 0;
  }
  h[0] = W25_PP;
  h[1] = (uint8_t)(off >> 16);
  h[2] = (uint8_t)(off >> 8);
  h[3] = (uint8_t)off;
  cs_force(2);
  spi_bytes(h, 4);
  spi_bytes(s, n);
  cs_force(3); /* the program starts */
  return 0;
}

/* The pump (lfz_pump_fn) and what is left to program. A record's output
 * is programmed piece by piece (up to a page boundary) through a cursor:
 * the record's bytes (base: offset 0), its flash address, its length,
 * the bytes programmed (done), and for a Thumb-branch filtered record
 * (LF_LDR_ZREC_BCJ) the filter's state (lf_bcj.h: each piece is undone
 * into a page buffer on its way to the flash; the output keeps the
 * filtered bytes, the next records' history). The record being inflated
 * (cur, in the output buffer) has its next piece ready once the output
 * holds it (and LFB_LAG bytes more when filtered: a pair may cross the
 * piece's end); before it, the carry: the part of an earlier record not
 * programmed yet (in the history area, where the record was moved). Once
 * a piece is there, the flash is asked whether it is still busy no sooner
 * than poll_at (the 1 MHz timer: pp_us after the last program started,
 * then every LF_LDR_RP_POLL_US); meanwhile the inflate goes on, so the
 * core inflates ahead while the flash programs, and when the flash is
 * idle one piece is programmed (then it is busy again).
 *
 * The carry outlives the routine only when the next queued command is
 * another PROGRAM_Z (state bit 1; that call programs it first, before any
 * of its own output, and before its first record's history move
 * overwrites it): any other command, and every error, finds it programmed
 * and the flash idle. It lives after the inflater's workspace, with the
 * history's length (the stream's last output bytes, up to z_out_size,
 * right before the output buffer: a record with LF_LDR_ZREC_CONT takes
 * them as its dictionary, one without has none). */
struct zcur {
  const uint8_t *base;
  uint32_t addr, olen, done, bcj;
  struct lfb_state b;
};
struct zcarry {
  struct zcur k;
  uint32_t hist, pos; /* the history's length; where the next record's output goes */
};
#define ZCARRY_OFF (LF_LDR_Z_WORK + ((sizeof(struct lfz_work) + 3u) & ~3u))
_Static_assert(ZCARRY_OFF + sizeof(struct zcarry) <= LF_LDR_Z_OUT, "PROGRAM_Z carry");
#define RP_CARRY 2u /* lf_ldr_rp.state: a carry is pending */

struct zpump {
  ctl_t *c;
  struct zssi q;           /* quad programming */
  struct zcarry *k;        /* the carry (k->k.done < k->k.olen: pending) */
  struct zcur cur;         /* the record being inflated */
  uint32_t next;           /* cur: the output needed before its next piece (0: a carry is pending) */
  uint32_t poll_at, since; /* timer: next poll; start of the program in progress */
  uint32_t n;              /* the output's length at the last pump call */
  int err;                 /* a program failed while waiting for input (fail() done) */
};

static uint32_t piece_end(const struct zcur *r)
{
  return r->done + LF_LDR_RP_PAGE - ((r->addr + r->done) & (LF_LDR_RP_PAGE - 1u));
}

/* cur's next readiness mark: its next piece's end (+ LFB_LAG when filtered). */
static void cur_next(struct zpump *z)
{
  z->next = piece_end(&z->cur) + (z->cur.bcj ? LFB_LAG : 0u);
}

/* lfb_unit (lf_bcj.h) for a whole piece: [d, d + u) of a record of olen
 * bytes at flash address a (d, u multiples of 4) into w, unfiltered; the
 * pairs found by half-words (a pair's first half-word rejects most). */
static void z_unbcj(struct lfb_state *s, const uint8_t *out, uint32_t d, uint32_t u, uint32_t olen,
                    uint32_t a, uint32_t *w)
{
  const uint32_t *src = (const uint32_t *)(out + d);
  for (uint32_t i = 0; i < u / 4; i++)
    w[i] = src[i];
  uint8_t *wb = (uint8_t *)w;
  lfb_put(wb, s->at - d, u, s->c);
  uint32_t p = s->scan, e = d + u;
  while (p < e) {
    if ((*(const uint16_t *)(out + p) & 0xF800u) == 0xF000u && p + 4 <= olen &&
        (out[p + 3] & 0xF8u) == 0xF8u) {
      lfb_pair(out + p, a + p, 0, s->c);
      s->at = p;
      lfb_put(wb, p - d, u, s->c);
      p += 4;
    } else {
      p += 2;
    }
  }
  s->scan = p;
}

/* Programs the next piece (the carry's first, else cur's up to its page
 * boundary, within n bytes of output) if the flash is idle: 1 =
 * programmed, 0 = still busy or nothing to program, -1 = an error (fail()
 * done). */
static int z_try(struct zpump *z, uint32_t n)
{
  struct zcur *r = &z->k->k;
  int carry = r->done < r->olen;
  if (!carry && n < z->next)
    return 0;
  uint32_t now = REG(TIMER_RAWL), sr = rdsr();
  if (!carry) {
    r = &z->cur;
    if (r->done >= r->olen)
      return 0;
  }
  if (sr & W25_BUSY) {
    if (now - z->since > LF_LDR_RP_BUSY_US) {
      fail(z->c, LF_LDR_ST_FLASH, r->addr + r->done, LF_LDR_RP_BUSY | sr);
      return -1;
    }
    z->poll_at = now + LF_LDR_RP_POLL_US;
    return 0;
  }
  uint32_t m = piece_end(r);
  if (m > r->olen)
    m = r->olen;
  m -= r->done;
  const uint8_t *src = r->base + r->done;
  uint32_t page[LF_LDR_RP_PAGE / 4];
  if (r->bcj) {
    z_unbcj(&r->b, r->base, r->done, m, r->olen, r->addr, page);
    src = (const uint8_t *)page;
  }
  if (z_prog(z->c, &z->q, r->addr + r->done, src, m))
    return -1;
  r->done += m;
  if (!carry || r->done == r->olen)
    cur_next(z);
  z->since = REG(TIMER_RAWL);
  z->poll_at = z->since + RP(z->c)->pp_us;
  return 1;
}

static int zpump(void *ctx, const uint8_t *out, uint32_t n)
{
  struct zpump *z = ctx;
  (void)out;
  z->n = n;
  if (z->err)
    return 1;
  /* (with a carry pending, next is 0) */
  if (n < z->next || (int32_t)(REG(TIMER_RAWL) - z->poll_at) < 0)
    return 0;
  return z_try(z, n) < 0;
}

/* The inflater's input source (LFZ_MORE_FN): waits for the host's next
 * bytes, programming the ready pieces meanwhile (the flash keeps busy
 * while the link is the bound). */
struct zsrc {
  ctl_t *c;
  uint32_t from, zlen;
  struct zpump *p;
};

__attribute__((noinline)) static uint32_t zmore(void *ctx, uint32_t used)
{
  struct zsrc *z = ctx;
  struct zpump *p = z->p;
  uint32_t there;
  while ((there = *(volatile uint32_t *)&z->c->data_wr - z->from) <= used)
    if (zpump(p, 0, p->n))
      p->err = 1;
  return there < z->zlen ? there : z->zlen;
}

/* The carry programmed (waiting for the flash between pieces); 0 or the
 * status. */
static int z_flush_carry(struct zpump *z)
{
  while (z->k->k.done < z->k->k.olen)
    if (z_try(z, 0) < 0)
      return (int)z->c->status;
  return 0;
}

/* The routine's end: the carry programmed and the flash idle unless the
 * next command is another PROGRAM_Z, CS back to the SSI. st (0 = none),
 * ea, es: an error to report, only after that (the host stops the loader
 * once it sees it); a program failure is already reported (status). */
static int z_end(struct zpump *z, cmd_t *k, uint32_t idx, uint32_t st, uint32_t ea, uint32_t es)
{
  ctl_t *c = z->c;
  int r = (int)c->status;
  cmd_t *next = k + 1;
  if (next == (cmd_t *)c->cmd_base + c->cmd_count)
    next = (cmd_t *)c->cmd_base;
  uint32_t sr;
  if (r || st || *(volatile uint32_t *)&c->cmd_wr == idx + 1u ||
      *(volatile uint32_t *)&next->op != LF_LDR_OP_PROGRAM_Z) {
    if (!r)
      r = z_flush_carry(z);
    if (wait_ready(&sr) && !r)
      r = fail(c, LF_LDR_ST_FLASH, k->addr + k->len, LF_LDR_RP_BUSY | sr);
    if (!r && st)
      r = fail(c, st, ea, es);
  }
  if (r || st)
    z->k->hist = 0;
  if (z->k->k.done < z->k->k.olen)
    RP(c)->state |= RP_CARRY;
  else
    RP(c)->state &= (uint16_t)~RP_CARRY;
  cs_force(0);
  return r;
}

/* The history moved down: the nh bytes before to end at `to` (the
 * output buffer's start), in 1 KiB steps with the pump between them (the
 * move writes below the output buffer only, and the carry is there: it
 * goes on programming from where it is, and is then moved along). */
typedef struct {
  uint32_t w[4];
} blk16;
static void z_move_hist(struct zpump *z, uint8_t *to, const uint8_t *from, uint32_t nh)
{
  uint32_t *dw = (uint32_t *)(to - nh);
  const uint32_t *sw = (const uint32_t *)(from - nh);
  uint32_t head = (nh & 15u) / 4; /* words first, then 16-byte blocks (forward: to < from) */
  for (uint32_t i = 0; i < head; i++)
    dw[i] = sw[i];
  blk16 *d = (blk16 *)(dw + head);
  const blk16 *s = (const blk16 *)(sw + head);
  for (uint32_t i = 0; i < nh / 16;) {
    uint32_t e = i + 64u < nh / 16 ? i + 64u : nh / 16;
    for (; i < e; i++)
      d[i] = s[i];
    zpump(z, 0, 0);
  }
  z->k->k.base -= from - to;
}

int lf_ldr_main(ctl_t *c, cmd_t *k, uint32_t idx)
{
  uint32_t dst = k->addr, left = k->len, cap = c->z_out_size;
  k->result = 0;
  uint32_t t = REG(TIMER_RAWL);
  /* a program may still run (the previous PROGRAM_Z's last): poll at once */
  struct zpump zp;
  zp.c = c;
  zp.k = (struct zcarry *)(c->z_region + ZCARRY_OFF);
  zp.next = zp.n = 0;
  zp.cur.done = zp.cur.olen = 0;
  zp.poll_at = zp.since = t;
  zp.err = 0;
  if (!(RP(c)->state & RP_CARRY))
    zp.k->k.done = zp.k->k.olen = 0;
  cmd_mode(c);
  {
    uint8_t b[2] = {W25_RDSR2, 0};
    zp.q.on = spi_cmd(b, 2) & W25_QE;
    if (zp.q.on) {
      zp.q.c0 = REG(SSI_CTRLR0);
      zp.q.sc0 = REG(SSI_SPI_CTRLR0);
    }
  }
  if ((dst | left) & 3u)
    return z_end(&zp, k, idx, LF_LDR_ST_BADCMD, idx, 0);
  struct lfz_work *w = (struct lfz_work *)(c->z_region + LF_LDR_Z_WORK);
  uint8_t *out0 = (uint8_t *)(c->z_region + LF_LDR_Z_OUT + cap);
  uint32_t rd = c->data_rd, roff = c->ring_roff, size = c->ring_size;
  const uint8_t *ring = (const uint8_t *)c->ring_base;
  while (left) {
    uint32_t avail;
    while ((avail = *(volatile uint32_t *)&c->data_wr - rd) < 8) /* a record header */
      ;
    uint32_t hw[2], o = roff; /* byte by byte: it may wrap */
    for (uint32_t i = 0; i < 8; i++) {
      ((uint8_t *)hw)[i] = ring[o];
      if (++o == size)
        o = 0;
    }
    uint32_t zlen = hw[0], olen = hw[1] & LF_LDR_ZREC_LEN, flags = hw[1] & ~LF_LDR_ZREC_LEN;
    if (zlen > size - 8 || !olen || olen > left || olen > cap || (olen & 3u) ||
        (flags & ~(LF_LDR_ZREC_BCJ | LF_LDR_ZREC_CONT)))
      return z_end(&zp, k, idx, LF_LDR_ST_DATA, dst, hw[1]);
    /* the output goes after the last record's (so the history is already
     * before it) while it fits; else the history moves down first. A
     * record without history starts at the buffer's start (the carry
     * programmed first: it may be there) */
    uint32_t hist = zp.k->hist, pos = zp.k->pos;
    if (!(flags & LF_LDR_ZREC_CONT)) {
      if (z_flush_carry(&zp))
        return z_end(&zp, k, idx, 0, 0, 0);
      hist = pos = 0;
    } else if (pos + olen > cap) {
      z_move_hist(&zp, out0, out0 + pos, hist);
      if (zp.err)
        return z_end(&zp, k, idx, 0, 0, 0);
      pos = 0;
    }
    uint8_t *out = out0 + pos;
    struct zsrc zs = {c, rd + 8, zlen, &zp};
    zp.cur.base = out;
    zp.cur.addr = dst;
    zp.cur.olen = olen;
    zp.cur.done = 0;
    zp.cur.bcj = flags & LF_LDR_ZREC_BCJ;
    zp.cur.b.scan = 0;
    zp.cur.b.at = LFB_NONE;
    zp.n = 0;
    cur_next(&zp);
    if (zp.k->k.done < zp.k->k.olen)
      zp.next = 0;
    int32_t got = lfz_inflate_io(w, ring + o, ring + size, ring, zlen, out, olen, hist, zpump, &zp,
                                 avail - 8 < zlen ? avail - 8 : zlen, 0, &zs);
    if (got == LFZ_E_PUMP)
      return z_end(&zp, k, idx, 0, 0, 0);
    if (got != (int32_t)olen)
      return z_end(&zp, k, idx, LF_LDR_ST_DATA, dst, got < 0 ? (uint32_t)got : olen);
    rd += 8 + zlen;
    roff += 8 + zlen;
    if (roff >= size)
      roff -= size;
    c->ring_roff = roff;
    *(volatile uint32_t *)&c->data_rd = rd; /* the host refills while the last pages program */
    if (z_flush_carry(&zp)) /* (the earlier record's, if any: one carry) */
      return z_end(&zp, k, idx, 0, 0, 0);
    zp.k->k = zp.cur; /* what is left of this record: the new carry */
    zp.cur.olen = 0;
    zp.next = 0;
    zp.k->hist = hist + olen < cap ? hist + olen : cap;
    zp.k->pos = pos + olen;
    dst += olen;
    left -= olen;
  }
  return z_end(&zp, k, idx, 0, 0, 0);
}


#else /* the loader */

int lf_ldr_main(ctl_t *c)
{
  int r = rp_init(c);
  if (r)
    return r;
  c->version = LF_LDR_ABI_VERSION;
  c->magic = LF_LDR_READY;
  cmd_t *q = (cmd_t *)c->cmd_base;
  uint32_t rd = c->cmd_rd, slot = rd;
  while (slot >= c->cmd_count) /* rd % cmd_count: no divide instruction on ARMv6-M */
    slot -= c->cmd_count;
  for (;;) {
    while (*(volatile uint32_t *)&c->cmd_wr == rd)
      ;
    cmd_t *k = &q[slot];
    if (++slot == c->cmd_count)
      slot = 0;
    uint32_t op = k->op;
    if (op == LF_LDR_OP_ERASE || op == LF_LDR_OP_ERASE_BANK || op == LF_LDR_OP_ERASE_CHIP) {
      r = rp_erase(c, k);
      k->result = 0;
    } else if (op == LF_LDR_OP_PROGRAM) {
      r = rp_program(c, k, rd);
      k->result = 0;
    } else if (op == LF_LDR_OP_CRC) {
      k->result = rp_crc(c, k->addr, k->len);
      r = 0;
    } else if (op == LF_LDR_OP_PROGRAM_Z && c->z_region) { /* the routine the host uploaded */
      r = ((int (*)(ctl_t *, cmd_t *, uint32_t))(c->z_region | 1u))(c, k, rd);
    } else if (op == LF_LDR_OP_EXIT) {
      xip_mode(c);
      c->cmd_rd = ++rd;
      return 0;
    } else {
      r = fail(c, LF_LDR_ST_BADCMD, rd, 0);
    }
    if (r) {
      xip_mode(c);
      return r;
    }
    *(volatile uint32_t *)&c->cmd_rd = ++rd;
  }
}

#endif /* LF_LDR_RP_Z */

/* The host's return address: lf_ldr_main returns here and the core halts. */
__attribute__((naked, section(".text.exit"), used)) void lf_ldr_exit(void)
{
  __asm volatile("bkpt #0xAB");
}

#endif /* LF_LDR_CONTRACT_ONLY */
