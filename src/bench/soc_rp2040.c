/* The SoC family "rp2040", one flat file: the Raspberry Pi RP2040 of a
 * Raspberry Pi Pico with its W25Q16JV 2 MiB QSPI flash.
 * Facts: nrf52-rp2040-targets.md ("RP n" below) 8-16.
 *
 * Modeled:
 *  - debug: three DPs on one multidrop SWD wire (RP 8): core 0 (TARGETSEL
 *    0x01002927), core 1 (0x11002927), each DPIDR 0x0BC12477 with one
 *    AHB-AP (IDR 0x04770031) and DLPIDR instance << 28 | 1, and the rescue
 *    DP (0xF1002927, no AP): setting then clearing its CDBGPWRUPREQ restarts
 *    the chip with CHIP_RESET.PSM_RESTART_FLAG set, and the boot ROM then
 *    parks core 0 (RP 14). All DPs start dormant. Two Cortex-M0+ cores
 *    (board.c runs a core model for each); SYSRESETREQ resets only the core
 *    that wrote it (RP 14).
 *  - memories: boot ROM 16 KiB at 0, SRAM 264 KiB at 0x20000000 (striped
 *    view only), XIP SRAM 16 KiB, the XIP window 0x10000000 (+ the aliases
 *    0x11/0x12/0x13000000) onto the flash array, mirrored every 2 MiB.
 *  - the W25Q16JV (RP 12): SPI commands 06 04 05 35 03 02 20 52 D8 C7/60 9F
 *    4B, WEL (set by 06, cleared at the end of PP/erase, a PP/erase without
 *    it is ignored), BUSY for the datasheet time (params rp_w25_*), NOR AND
 *    programming with the page wrap, commands other than 05/35 ignored while
 *    busy; 32 (quad input page program: instruction and 24-bit address on
 *    IO0, the data on IO0-3, two clocks a byte; needs QE, status register 2
 *    bit 1: params rp_w25_qe, set) [unconf: the Winbond W25Q family datasheets'
 *    "Quad Input Page Program (32h)" and the W25Q16JV's quad pins (QE=1:
 *    /WP and /HOLD become IO2, IO3); the W25Q16JV's own page of it not
 *    read]: a PP whose data came on the wrong number of lines programs
 *    nothing. The SSI (0x18000000) and IO_QSPI SS_CTRL.OUTOVER let a
 *    debugger talk to it with CS forced low (OpenOCD's JEDEC ID read, RP
 *    11); each byte costs 8 x BAUDR clk_sys cycles; in the quad frame
 *    format, transmit only (CTRLR0 SPI_FRF 2, TMOD 1), a frame costs its
 *    bits / lines x BAUDR (instruction, address, data frames as SPI_CTRLR0
 *    says; see ssi_access).
 *  - the boot ROM (RP 10): the magic 'M','u',1,3 (B2) at 0x10, the u16
 *    function and data table pointers and rom_table_lookup at 0x14/0x16/0x18,
 *    the function table {code, address | 1} with IF EX RE RP FC CX DT DE.
 *    Every function is real Thumb code (a stub: push {r4, lr}; store r0-r3
 *    and a function number to the bench's ROM service registers at
 *    ROM_SVC (0x00008000, an address with nothing on silicon); read r0; pop
 *    {r4, pc}); the service does the work on the flash model through the
 *    same SPI engine the SSI path uses, and stalls the core for the modeled
 *    time (SPI bytes at clk_sys / BAUDR, flash busy time, rp_rom_call_ns).
 *    DT/DE are the ROM's debug trampoline (movs r6, #1; orrs r7, r6;
 *    blx r7 / bkpt #0; b DT). RE and RP do nothing while the SSI is in XIP
 *    mode (after boot or CX, until EX), as the ROM's SPI bytes would not
 *    reach the flash then (counted as flash errors in the report).
 *  - boot: both cores start in the ROM; core 1 parks (wfi loop, the ROM's
 *    wait_for_vector); core 0 asks the service to boot: after a rescue
 *    restart it parks; else it reads flash offset 0..255 into 0x20041F00
 *    and checks the CRC-32 (MSB-first, init ~0, no final XOR) of 252 bytes
 *    against the last word; good: it jumps to boot2 at 0x20041F01 with SP
 *    0x20042000 and XIP in serial 0x03 mode; bad: it parks (the ROM would
 *    start USB BOOTSEL, not modeled).
 *  - DMA (RP 13): 12 channels with READ_ADDR, WRITE_ADDR, TRANS_COUNT,
 *    CTRL_TRIG (EN, DATA_SIZE, INCR_READ, INCR_WRITE, BSWAP, SNIFF_EN, BUSY)
 *    and the sniffer (SNIFF_CTRL EN, DMACH, CALC, BSWAP, OUT_REV, OUT_INV;
 *    SNIFF_DATA): a CTRL_TRIG write with EN starts the channel; its data
 *    moves at once (reads of SRAM, XIP, ROM; writes to SRAM), BUSY reads 1
 *    for count x rp_dma_xfer_cycles at clk_sys; the sniffer computes CALC
 *    0x0 (CRC-32, data MSB first) and 0x1 (CRC-32 of bit-reversed data: with
 *    seed ~0, OUT_REV and OUT_INV, zlib's CRC-32); other CALC values leave
 *    SNIFF_DATA alone (not modeled). Transfer requests (TREQ), chaining,
 *    rings, IRQs and the alias registers are not modeled.
 *  - SIO: CPUID (0 or 1 by the master), GPIO_OUT/OE with SET/CLR/XOR; the
 *    LED on GPIO25 (pin visible when OE and IO_BANK0 FUNCSEL = 5 SIO);
 *    TIMER (1 MHz, TIMERAWL/H, TIMELR/HR); SYSINFO CHIP_ID 0x20002927;
 *    RESETS (RESET_DONE = ~RESET); XOSC STATUS.STABLE, PLL CS.LOCK and
 *    CLOCKS CLK_*_SELECTED follow what was written; CHIP_RESET.
 *
 * Bench choices, not silicon: every other APB register (0x40000000-
 * 0x4006FFFF) is storage with the atomic aliases (+0x1000 XOR, +0x2000 SET,
 * +0x3000 CLR); the other AHB peripherals (USB, PIO, 0x50100000-0x5FFFFFFF)
 * read 0 and ignore writes; the XIP window always reads the flash array (no cache,
 * no dependence on the SSI mode; a debug read costs rp_xip_read_ns); no
 * clock tree: clk_sys is params rp_clk_sys_hz; power loss during an
 * operation leaves the array as it was. */
#include <stdlib.h>
#include <string.h>

#include "bench/soc_family.h"
#include "bench/soc_util.h"

#define ROM_BASE 0x00000000u
#define ROM_SIZE 0x4000u
#define ROM_SVC 0x00008000u /* bench: the ROM service registers */
#define XIP_BASE 0x10000000u
#define XIP_WINDOW 0x04000000u /* 0x10.. 0x11.. 0x12.. 0x13.. */
#define XIP_CTRL_BASE 0x14000000u
#define XIP_SRAM_BASE 0x15000000u
#define XIP_SRAM_SIZE 0x4000u
#define SSI_BASE 0x18000000u
#define SRAM_BASE 0x20000000u
#define SRAM_SIZE 0x42000u
#define APB_BASE 0x40000000u
#define APB_SIZE 0x70000u
#define AHB_BASE 0x50000000u
#define SIO_BASE 0xD0000000u
#define DMA_BASE 0x50000000u
#define DMA_CHANNELS 12u
#define DMA_SNIFF_CTRL 0x434u
#define DMA_SNIFF_DATA 0x438u
#define DMA_EN 0x1u
#define DMA_INCR_READ 0x10u
#define DMA_INCR_WRITE 0x20u
#define DMA_BSWAP (1u << 22)
#define DMA_SNIFF_EN (1u << 23)
#define DMA_BUSY (1u << 24)
#define FLASH_SIZE 0x200000u

/* APB registers (RP 9, 11, 14) */
#define SYSINFO_CHIP_ID 0x40000000u
#define SYSINFO_PLATFORM 0x40000004u
#define CLK_REF_CTRL 0x40008030u
#define CLK_REF_SELECTED 0x40008038u
#define CLK_SYS_CTRL 0x4000803Cu
#define CLK_SYS_SELECTED 0x40008044u
#define RESETS_RESET 0x4000C000u
#define RESETS_DONE 0x4000C008u
#define IO_BANK0_GPIO25_CTRL 0x400140CCu
#define IO_QSPI_SS_CTRL 0x4001800Cu
#define XOSC_CTRL 0x40024000u
#define XOSC_STATUS 0x40024004u
#define PLL_SYS_CS 0x40028000u
#define TIMER_BASE 0x40054000u
#define CHIP_RESET 0x40064008u
#define CHIP_ID_VALUE 0x20002927u /* REVISION 2 (B2), PART 0x0002, MANUFACTURER 0x927 (RP 9) */
#define PSM_RESTART_FLAG (1u << 24)
#define HAD_PSM_RESTART (1u << 20)
#define HAD_POR (1u << 8)

/* SSI (RP 11) */
#define SSI_CTRLR0 0x00u
#define SSI_SSIENR 0x08u
#define SSI_BAUDR 0x14u
#define SSI_TXFLR 0x20u
#define SSI_RXFLR 0x24u
#define SSI_SR 0x28u
#define SSI_DR0 0x60u
#define SSI_SPI_CTRLR0 0xF4u
#define SSI_REGS 0x100u

/* SIO (RP 9) */
#define SIO_CPUID 0x00u
#define SIO_GPIO_IN 0x04u
#define SIO_GPIO_OUT 0x10u
#define SIO_GPIO_OE 0x20u
#define LED_PIN 25u

/* ROM layout (bench; the offsets a tool reads are RP 10's) */
#define ROM_FUNC_TABLE 0x100u
#define ROM_DATA_TABLE 0x180u
#define ROM_STUBS 0x200u
#define ROM_STUB_SIZE 24u
#define ROM_DT 0x2C0u
#define ROM_DE 0x2C6u
#define ROM_BOOT 0x2D0u
#define ROM_PARK 0x2EAu
#define BOOT2_ADDR 0x20041F00u
#define STACK_TOP 0x20042000u

enum { SVC_LOOKUP = 1, SVC_IF, SVC_EX, SVC_RE, SVC_RP, SVC_FC, SVC_CX, SVC_BOOT, SVC_N };
#define ROM_CODE(a, b) ((uint16_t)((a) | (b) << 8))
static const struct { uint16_t code; unsigned svc; } rom_funcs[] = {
  {ROM_CODE('I', 'F'), SVC_IF}, {ROM_CODE('E', 'X'), SVC_EX}, {ROM_CODE('R', 'E'), SVC_RE},
  {ROM_CODE('R', 'P'), SVC_RP}, {ROM_CODE('F', 'C'), SVC_FC}, {ROM_CODE('C', 'X'), SVC_CX},
};

typedef struct w25 {
  uint8_t *mem;
  bool cs;            /* selected (CS low) */
  uint8_t cmd;
  unsigned n;         /* bytes of this command so far */
  uint32_t addr;
  bool wel;
  uint64_t busy_until;
  uint8_t page[256];
  bool page_used[256];
  uint8_t uid[8];
  bool quad;          /* the byte being exchanged is on four lines (the SSI's quad frames) */
  bool wrong_lines;   /* a PP's data on 4 lines, or a quad PP's on 1 (or QE clear): not programmed */
} w25;

typedef struct dma_ch {
  uint32_t rd, wr, count, ctrl;
  uint64_t busy_until;
} dma_ch;

typedef struct rp2040 {
  lf_soc_env env;
  const lf_bench_params *p;
  lf_soc_region regions[4];
  uint8_t *rom, *sram, *xsram;
  w25 fl;
  uint32_t *apb;      /* storage of 0x40000000-0x4006FFFF */
  uint32_t ssi[SSI_REGS / 4];
  uint8_t rx[16];
  unsigned rx_n;
  unsigned qframe;    /* quad TX mode: frames written since the SSI was enabled */
  bool ssi_xip;       /* SSI in XIP mode (after boot or CX, until EX) */
  uint32_t xip_ctrl;
  uint32_t sio_out, sio_oe;
  bool led;
  uint32_t chip_reset;
  uint32_t svc_arg[4], svc_ret;
  bool rescue_req;
  uint64_t restart_at;
  dma_ch dma[DMA_CHANNELS];
  uint32_t sniff_ctrl, sniff_data;
} rp2040;

static const char *const parts[] = {"rp2040", NULL};
static const char *part_name(size_t i) { return i < 1 ? parts[i] : NULL; }

static uint32_t le_read(const uint8_t *m, unsigned size)
{
  uint32_t v = 0;
  for (unsigned i = 0; i < size; i++)
    v |= (uint32_t)m[i] << 8 * i;
  return v;
}

/* ---- W25Q16JV ---- */

static double pick(const rp2040 *s, double typ, double max)
{
  return s->p->rp_w25_timing_max != 0 ? max : typ;
}

static bool w25_busy(const rp2040 *s, uint64_t t) { return t < s->fl.busy_until; }

/* Status register 2: QE (bit 1) as params rp_w25_qe says (set on a Pico) */
#define W25_SR2 (s->p->rp_w25_qe != 0 ? 0x02u : 0x00u)

static void w25_select(rp2040 *s, uint64_t t)
{
  (void)t;
  s->fl.cs = true;
  s->fl.n = 0;
  s->fl.addr = 0;
  s->fl.wrong_lines = false;
  memset(s->fl.page_used, 0, sizeof s->fl.page_used);
}

/* Every W25Q page program and erase is one LF_FAULT_FLASH_ERROR event. The
 * W25Q16JV's status registers have no program/erase fail flag (only BUSY
 * and WEL; an operation on a protected area is ignored), so an injected
 * flash error is an operation that takes its time and changes nothing:
 * only a verify can see it. (Its SR bits are ignored.) */
static bool injected_failure(rp2040 *s)
{
  if (!s->env.faults || !lf_faults_event(s->env.faults, LF_FAULT_FLASH_ERROR))
    return false;
  s->env.c->flash_errors++;
  return true;
}

static void w25_erase(rp2040 *s, uint32_t addr, uint32_t len, double ns, uint64_t t)
{
  if (!injected_failure(s))
    memset(s->fl.mem + addr, 0xFF, len);
  s->fl.busy_until = t + (uint64_t)ns;
  s->env.c->flash_busy_ns += (uint64_t)ns;
  if (len == FLASH_SIZE)
    s->env.c->flash_mass_erases++;
  else
    s->env.c->flash_sector_erases++;
}

/* CS rises: a complete PP or erase starts (with WEL, not busy). */
static void w25_deselect(rp2040 *s, uint64_t t)
{
  w25 *f = &s->fl;
  if (!f->cs)
    return;
  f->cs = false;
  if (f->n == 0 || w25_busy(s, t))
    return;
  const lf_bench_params *p = s->p;
  switch (f->cmd) {
  case 0x06: f->wel = true; return;
  case 0x04: f->wel = false; return;
  case 0x02:
  case 0x32:
    if (!f->wel || f->n < 5 || f->wrong_lines)
      return;
    for (unsigned i = 0, dropped = injected_failure(s); i < 256 && !dropped; i++)
      if (f->page_used[i])
        f->mem[(f->addr & ~0xFFu) + i] &= f->page[i];
    f->busy_until = t + (uint64_t)pick(s, p->rp_w25_pp_ns, p->rp_w25_pp_max_ns);
    s->env.c->flash_busy_ns += f->busy_until - t;
    s->env.c->flash_prog_ops++;
    s->env.c->flash_prog_bytes += f->n - 4;
    break;
  case 0x20:
    if (!f->wel || f->n != 4)
      return;
    w25_erase(s, f->addr & ~0xFFFu, 0x1000, pick(s, p->rp_w25_se_ns, p->rp_w25_se_max_ns), t);
    break;
  case 0x52:
    if (!f->wel || f->n != 4)
      return;
    w25_erase(s, f->addr & ~0x7FFFu, 0x8000, pick(s, p->rp_w25_be32_ns, p->rp_w25_be32_max_ns), t);
    break;
  case 0xD8:
    if (!f->wel || f->n != 4)
      return;
    w25_erase(s, f->addr & ~0xFFFFu, 0x10000, pick(s, p->rp_w25_be64_ns, p->rp_w25_be64_max_ns), t);
    break;
  case 0xC7:
  case 0x60:
    if (!f->wel || f->n != 1)
      return;
    w25_erase(s, 0, FLASH_SIZE, pick(s, p->rp_w25_ce_ns, p->rp_w25_ce_max_ns), t);
    break;
  default: return;
  }
  f->wel = false;
}

/* One byte exchanged while selected: returns what the flash drives. */
static uint8_t w25_xfer(rp2040 *s, uint8_t out, uint64_t t)
{
  w25 *f = &s->fl;
  if (!f->cs)
    return 0xFF;
  unsigned i = f->n++;
  if (i == 0) {
    f->cmd = out;
    return 0xFF;
  }
  bool busy = w25_busy(s, t);
  switch (f->cmd) {
  case 0x05: return (uint8_t)((busy ? 1u : 0u) | (f->wel ? 2u : 0u));
  case 0x35: return W25_SR2; /* SR2: QE (params rp_w25_qe) */
  case 0x9F: {
    static const uint8_t id[3] = {0xEF, 0x40, 0x15};
    return busy ? 0xFF : id[(i - 1) % 3];
  }
  case 0x4B: return busy || i < 5 ? 0xFF : f->uid[(i - 5) % 8];
  case 0x03:
    if (busy)
      return 0xFF;
    if (i <= 3) {
      f->addr = f->addr << 8 | out;
      return 0xFF;
    }
    return f->mem[(f->addr + (i - 4)) % FLASH_SIZE];
  case 0x02:
  case 0x32: /* quad input page program: the data on IO0-3 (QE set) [unconf], see the header */
    if (i <= 3) {
      f->addr = (f->addr << 8 | out) & (FLASH_SIZE - 1);
      return 0xFF;
    }
    if (f->quad != (f->cmd == 0x32) || (f->cmd == 0x32 && !(W25_SR2 & 0x02u)))
      f->wrong_lines = true;
    { /* bytes past the page end wrap to its start (RP 12) */
      unsigned k = ((f->addr & 0xFFu) + (i - 4)) & 0xFFu;
      f->page[k] = f->page_used[k] ? (uint8_t)(f->page[k] & out) : out;
      f->page_used[k] = true;
    }
    return 0xFF;
  case 0x20:
  case 0x52:
  case 0xD8:
    if (i <= 3)
      f->addr = (f->addr << 8 | out) & (FLASH_SIZE - 1);
    return 0xFF;
  default: return 0xFF;
  }
}

/* ---- the ROM's flash functions on the model (time cursor *t) ---- */

static double spi_byte_ns(const rp2040 *s)
{
  uint32_t baudr = s->ssi[SSI_BAUDR / 4] & 0xFFFFu;
  if (baudr < 2)
    baudr = (uint32_t)s->p->rp_ssi_baudr_reset;
  return 8.0 * baudr * 1e9 / s->p->rp_clk_sys_hz;
}

static void spi_cmd(rp2040 *s, const uint8_t *out, unsigned n, const uint8_t *data, unsigned ndata,
                    double *t)
{
  w25_select(s, (uint64_t)*t);
  for (unsigned i = 0; i < n; i++)
    w25_xfer(s, out[i], (uint64_t)*t);
  for (unsigned i = 0; i < ndata; i++)
    w25_xfer(s, data[i], (uint64_t)*t);
  *t += (n + ndata) * spi_byte_ns(s);
  w25_deselect(s, (uint64_t)*t);
}

/* flash_wait_ready: RDSR polls until BUSY clears. */
static void spi_wait(rp2040 *s, double *t)
{
  double poll = 2 * spi_byte_ns(s);
  *t += poll;
  if (*t < (double)s->fl.busy_until)
    *t = (double)s->fl.busy_until + poll;
}

static uint8_t mem_byte(rp2040 *s, uint32_t a)
{
  if (a >= SRAM_BASE && a - SRAM_BASE < SRAM_SIZE)
    return s->sram[a - SRAM_BASE];
  if (a >= XIP_SRAM_BASE && a - XIP_SRAM_BASE < XIP_SRAM_SIZE)
    return s->xsram[a - XIP_SRAM_BASE];
  if (a < ROM_SIZE)
    return s->rom[a];
  if (a >= XIP_BASE && a - XIP_BASE < XIP_WINDOW)
    return s->fl.mem[(a - XIP_BASE) % FLASH_SIZE];
  return 0;
}

static void rom_erase(rp2040 *s, uint32_t addr, uint32_t count, uint32_t block, uint8_t cmd,
                      double *t)
{
  if (s->ssi_xip) {
    s->env.c->flash_errors++;
    return;
  }
  uint32_t end = addr + count;
  while (addr < end) {
    uint8_t wren = 0x06;
    spi_cmd(s, &wren, 1, NULL, 0, t);
    bool big = block && (addr & (block - 1)) == 0 && end - addr >= block;
    uint8_t c[4] = {big ? cmd : 0x20, (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr};
    spi_cmd(s, c, 4, NULL, 0, t);
    spi_wait(s, t);
    addr += big ? block : 0x1000u;
  }
}

static void rom_program(rp2040 *s, uint32_t addr, uint32_t data, uint32_t count, double *t)
{
  if (s->ssi_xip) {
    s->env.c->flash_errors++;
    return;
  }
  uint8_t page[256];
  for (uint32_t off = 0; off < count; off += 256) {
    for (unsigned i = 0; i < 256; i++)
      page[i] = mem_byte(s, data + off + i); /* count rounds up: reads past the buffer */
    uint8_t wren = 0x06;
    spi_cmd(s, &wren, 1, NULL, 0, t);
    uint32_t a = addr + off;
    uint8_t c[4] = {0x02, (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
    spi_cmd(s, c, 4, page, 256, t);
    spi_wait(s, t);
  }
}

/* CRC-32 MSB-first, init ~0, no final XOR (the boot2 check, RP 13, 14). */
static uint32_t crc32_msb(const uint8_t *b, size_t n)
{
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= (uint32_t)b[i] << 24;
    for (int k = 0; k < 8; k++)
      c = c & 0x80000000u ? c << 1 ^ 0x04C11DB7u : c << 1;
  }
  return c;
}

static uint32_t rom_boot(rp2040 *s, double *t)
{
  if (s->chip_reset & PSM_RESTART_FLAG) {
    s->chip_reset &= ~PSM_RESTART_FLAG; /* check_rescue: clear it and park */
    return 0;
  }
  /* IF, EX, a 0x03 read of 256 bytes, CRC check */
  uint8_t c[4] = {0x03, 0, 0, 0};
  w25_select(s, (uint64_t)*t);
  for (unsigned i = 0; i < 4; i++)
    w25_xfer(s, c[i], (uint64_t)*t);
  uint8_t *b2 = s->sram + (BOOT2_ADDR - SRAM_BASE);
  for (unsigned i = 0; i < 256; i++)
    b2[i] = w25_xfer(s, 0, (uint64_t)*t);
  *t += 260 * spi_byte_ns(s) + s->p->rp_rom_call_ns;
  w25_deselect(s, (uint64_t)*t);
  uint32_t want = (uint32_t)b2[252] | (uint32_t)b2[253] << 8 | (uint32_t)b2[254] << 16 |
                  (uint32_t)b2[255] << 24;
  s->ssi_xip = true;
  return crc32_msb(b2, 252) == want ? BOOT2_ADDR | 1u : 0;
}

static uint32_t rom_lookup(rp2040 *s, uint32_t table, uint32_t code)
{
  for (uint32_t a = table; a + 4 <= ROM_SIZE; a += 4) {
    uint16_t c = (uint16_t)(mem_byte(s, a) | mem_byte(s, a + 1) << 8);
    if (c == 0)
      return 0;
    if (c == (uint16_t)code)
      return (uint32_t)(mem_byte(s, a + 2) | mem_byte(s, a + 3) << 8);
  }
  return 0;
}

static void svc_call(rp2040 *s, unsigned fn, uint64_t *t_ns)
{
  double t = (double)*t_ns + s->p->rp_rom_call_ns;
  uint32_t *a = s->svc_arg;
  s->svc_ret = 0;
  switch (fn) {
  case SVC_LOOKUP: s->svc_ret = rom_lookup(s, a[0], a[1]); t = (double)*t_ns; break;
  case SVC_IF: w25_deselect(s, (uint64_t)t); break;
  case SVC_EX: {
    /* flash_exit_xip: SSI to standard SPI at BAUDR 6; 0xFF bytes take the
     * flash out of continuous read (10 bytes on the wire) */
    s->ssi[SSI_BAUDR / 4] = (uint32_t)s->p->rp_ssi_baudr_reset;
    s->ssi_xip = false;
    t += 10 * spi_byte_ns(s);
    break;
  }
  case SVC_RE: rom_erase(s, a[0], a[1], a[2], (uint8_t)a[3], &t); break;
  case SVC_RP: rom_program(s, a[0], a[1], a[2], &t); break;
  case SVC_FC: s->xip_ctrl |= 1u; break;
  case SVC_CX: s->ssi_xip = true; break;
  case SVC_BOOT: s->svc_ret = rom_boot(s, &t); break;
  default: return;
  }
  if (t > (double)*t_ns)
    *t_ns = (uint64_t)(t + 0.5);
}

/* ---- the ROM image ---- */

static void put16(uint8_t *m, uint32_t a, uint16_t v)
{
  m[a] = (uint8_t)v;
  m[a + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *m, uint32_t a, uint32_t v)
{
  put16(m, a, (uint16_t)v);
  put16(m, a + 2, (uint16_t)(v >> 16));
}

static uint32_t stub_at(unsigned svc) { return ROM_STUBS + (svc - 1) * ROM_STUB_SIZE; }

static void build_rom(uint8_t *m)
{
  memset(m, 0, ROM_SIZE);
  put32(m, 0x0, STACK_TOP);
  put32(m, 0x4, ROM_BOOT | 1u);
  put32(m, 0x8, ROM_PARK | 1u);
  put32(m, 0xC, ROM_PARK | 1u);
  m[0x10] = 'M';
  m[0x11] = 'u';
  m[0x12] = 0x01;
  m[0x13] = 0x03; /* B2 */
  put16(m, 0x14, ROM_FUNC_TABLE);
  put16(m, 0x16, ROM_DATA_TABLE);
  put16(m, 0x18, (uint16_t)(stub_at(SVC_LOOKUP) | 1u));
  uint32_t e = ROM_FUNC_TABLE;
  for (size_t i = 0; i < sizeof rom_funcs / sizeof rom_funcs[0]; i++, e += 4) {
    put16(m, e, rom_funcs[i].code);
    put16(m, e + 2, (uint16_t)(stub_at(rom_funcs[i].svc) | 1u));
  }
  put16(m, e, ROM_CODE('D', 'T'));
  put16(m, e + 2, ROM_DT | 1u);
  put16(m, e + 4, ROM_CODE('D', 'E'));
  put16(m, e + 6, ROM_DE | 1u);
  /* e + 8: terminator (0); the data table holds only its terminator */
  for (unsigned svc = SVC_LOOKUP; svc < SVC_BOOT; svc++) {
    static const uint16_t stub[10] = {0xB510, 0x4C04, 0x6020, 0x6061, 0x60A2,
                                      0x60E3, 0x2000, 0x6120, 0x6820, 0xBD10};
    uint32_t a = stub_at(svc);
    for (unsigned i = 0; i < 10; i++)
      put16(m, a + 2 * i, (uint16_t)(i == 6 ? stub[i] | svc : stub[i]));
    put32(m, a + 20, ROM_SVC);
  }
  /* debug trampoline: movs r6, #1; orrs r7, r6; blx r7 / bkpt #0; b DT */
  static const uint16_t dt[5] = {0x2601, 0x4337, 0x47B8, 0xBE00, 0xE7FA};
  for (unsigned i = 0; i < 5; i++)
    put16(m, ROM_DT + 2 * i, dt[i]);
  /* reset handler: core 1 parks; core 0 boots through the service */
  static const uint16_t boot[16] = {
    0x4807,         /* ldr r0, =SIO_BASE */
    0x6800,         /* ldr r0, [r0] (CPUID) */
    0x2800,         /* cmp r0, #0 */
    0xD108,         /* bne park */
    0x4C06,         /* ldr r4, =ROM_SVC */
    0x2000 | SVC_BOOT, /* movs r0, #SVC_BOOT */
    0x6120,         /* str r0, [r4, #16] */
    0x6820,         /* ldr r0, [r4] */
    0x2800,         /* cmp r0, #0 */
    0xD002,         /* beq park */
    0x4904,         /* ldr r1, =STACK_TOP */
    0x468D,         /* mov sp, r1 */
    0x4700,         /* bx r0 */
    0xBF30,         /* park: wfi */
    0xE7FD,         /* b park */
    0xBF00,         /* nop (literal alignment) */
  };
  for (unsigned i = 0; i < 16; i++)
    put16(m, ROM_BOOT + 2 * i, boot[i]);
  put32(m, ROM_BOOT + 0x20, SIO_BASE);
  put32(m, ROM_BOOT + 0x24, ROM_SVC);
  put32(m, ROM_BOOT + 0x28, STACK_TOP);
}

/* ---- bus ---- */

static uint32_t apb_word(rp2040 *s, uint32_t a) { return s->apb[(a - APB_BASE) / 4]; }

static void led_update(rp2040 *s, uint64_t t)
{
  uint32_t funcsel = apb_word(s, IO_BANK0_GPIO25_CTRL) & 0x1Fu;
  bool on = funcsel == 5 && (s->sio_oe >> LED_PIN & 1u) && (s->sio_out >> LED_PIN & 1u);
  if (on == s->led)
    return;
  uint32_t old = s->led ? 1u << LED_PIN : 0, now = on ? 1u << LED_PIN : 0;
  s->led = on;
  if (s->env.gpio && s->env.gpio->fn)
    s->env.gpio->fn(s->env.gpio->ctx, 0, old, now, t);
}

static uint32_t apb_read(rp2040 *s, uint32_t a, uint64_t t)
{
  uint32_t base = a & ~0x3000u; /* atomic aliases read as the register */
  switch (base) {
  case SYSINFO_CHIP_ID: return CHIP_ID_VALUE;
  case SYSINFO_PLATFORM: return 0x2u; /* ASIC */
  case RESETS_DONE: return ~apb_word(s, RESETS_RESET) & 0x01FFFFFFu;
  case CLK_REF_SELECTED: return 1u << (apb_word(s, CLK_REF_CTRL) & 3u);
  case CLK_SYS_SELECTED: return 1u << (apb_word(s, CLK_SYS_CTRL) & 1u);
  case XOSC_STATUS: return 0x80001000u | (apb_word(s, XOSC_CTRL) & 0xFFFu ? 0 : 0);
  case PLL_SYS_CS: return apb_word(s, PLL_SYS_CS) | 0x80000000u;
  case CHIP_RESET: return s->chip_reset;
  default: break;
  }
  if (base >= TIMER_BASE && base < TIMER_BASE + 0x44) {
    uint64_t us = t / 1000;
    switch (base - TIMER_BASE) {
    case 0x08: case 0x24: return (uint32_t)(us >> 32); /* TIMEHR, TIMERAWH */
    case 0x0C: case 0x28: return (uint32_t)us;         /* TIMELR, TIMERAWL */
    default: break;
    }
  }
  return apb_word(s, base);
}

static void apb_write(rp2040 *s, uint32_t a, uint32_t v, uint64_t t)
{
  uint32_t base = a & ~0x3000u;
  uint32_t *r = &s->apb[(base - APB_BASE) / 4];
  uint32_t old = *r;
  switch (a & 0x3000u) {
  case 0x0000: *r = v; break;
  case 0x1000: *r ^= v; break;
  case 0x2000: *r |= v; break;
  default: *r &= ~v; break;
  }
  if (base == CHIP_RESET) {
    s->chip_reset &= ~(*r & PSM_RESTART_FLAG); /* write-1-clear */
    *r = 0;
  } else if (base == IO_QSPI_SS_CTRL && ((old ^ *r) & 0x300u)) {
    unsigned over = *r >> 8 & 3u;
    if (over == 2)
      w25_select(s, t);
    else
      w25_deselect(s, t);
  } else if (base == IO_BANK0_GPIO25_CTRL) {
    led_update(s, t);
  }
}

static int ssi_access(rp2040 *s, uint32_t off, bool write, uint32_t *val, uint64_t *t)
{
  off &= SSI_REGS - 1;
  if (!write) {
    switch (off) {
    case SSI_TXFLR: *val = 0; return LF_BUS_OK;
    case SSI_RXFLR: *val = s->rx_n; return LF_BUS_OK;
    case SSI_SR: *val = 0x6u | (s->rx_n ? 0x8u : 0); return LF_BUS_OK; /* TFNF TFE RFNE */
    case SSI_DR0:
      *val = s->rx_n ? s->rx[0] : 0;
      if (s->rx_n) {
        memmove(s->rx, s->rx + 1, --s->rx_n);
      }
      return LF_BUS_OK;
    default: *val = s->ssi[off / 4]; return LF_BUS_OK;
    }
  }
  uint32_t c0 = s->ssi[SSI_CTRLR0 / 4];
  if (off == SSI_DR0 && (c0 >> 21 & 3u) == 2 && (c0 >> 8 & 3u) == 1) {
    /* quad frame format, transmit only (RP 11 CTRLR0 SPI_FRF 2, TMOD 1;
     * SPI_CTRLR0 INST_L, ADDR_L, TRANS_TYPE): the first frame after the
     * SSI is enabled is the instruction (INST_L 2: 8 bits), the next the
     * address (ADDR_L x 4 bits), on one line (TRANS_TYPE 0) or four (1:
     * the address, 2: both), then data frames of DFS_32 + 1 bits on four
     * lines, each MSB first; no receive entries. The core is held for the
     * frame's SCK cycles, as for a standard byte [unconf: the SSI's
     * transmit FIFO is not modeled] */
    uint32_t sc = s->ssi[SSI_SPI_CTRLR0 / 4], inst_l = sc >> 8 & 3u, addr_l = sc >> 2 & 0xFu, tt = sc & 3u;
    unsigned f = s->qframe++, bits, lines;
    if (inst_l && f == 0) {
      bits = inst_l == 1 ? 4 : inst_l == 2 ? 8 : 16;
      lines = tt == 2 ? 4 : 1;
    } else if (addr_l && f == (inst_l ? 1u : 0u)) {
      bits = 4 * addr_l;
      lines = tt ? 4 : 1;
    } else {
      bits = (c0 >> 16 & 31u) + 1;
      lines = 4;
    }
    s->fl.quad = lines == 4;
    for (unsigned k = bits / 8; k--;)
      w25_xfer(s, (uint8_t)(*val >> 8 * k), *t);
    s->fl.quad = false;
    *t += (uint64_t)(spi_byte_ns(s) * bits / (8.0 * lines) + 0.5);
    return LF_BUS_OK;
  }
  if (off == SSI_SSIENR)
    s->qframe = 0;
  if (off == SSI_DR0) {
    uint8_t in = w25_xfer(s, (uint8_t)*val, *t);
    if (s->rx_n < sizeof s->rx)
      s->rx[s->rx_n++] = in;
    *t += (uint64_t)(spi_byte_ns(s) + 0.5);
    return LF_BUS_OK;
  }
  s->ssi[off / 4] = *val;
  return LF_BUS_OK;
}

/* ---- DMA and its sniffer (RP 13) ---- */

static uint32_t rev32(uint32_t v)
{
  uint32_t r = 0;
  for (int i = 0; i < 32; i++, v >>= 1)
    r = r << 1 | (v & 1u);
  return r;
}

static uint32_t bswap(uint32_t v, unsigned bytes)
{
  if (bytes == 4)
    return v >> 24 | (v >> 8 & 0xFF00u) | (v << 8 & 0xFF0000u) | v << 24;
  if (bytes == 2)
    return (v >> 8 & 0xFFu) | (v & 0xFFu) << 8;
  return v;
}

/* One transfer's data into the sniffer: `bits` of v, MSB first (CALC 0) or
 * of v bit-reversed (CALC 1). */
static void sniff(rp2040 *s, uint32_t v, unsigned bytes)
{
  unsigned calc = s->sniff_ctrl >> 5 & 0xFu, bits = 8 * bytes;
  if (calc > 1)
    return; /* CRC-16, parity, sum: not modeled */
  if (calc == 1)
    v = rev32(v) >> (32 - bits);
  uint32_t c = s->sniff_data;
  for (int i = (int)bits - 1; i >= 0; i--) {
    uint32_t in = (v >> i & 1u) ^ (c >> 31);
    c = c << 1 ^ (in ? 0x04C11DB7u : 0);
  }
  s->sniff_data = c;
}

static void dma_store(rp2040 *s, uint32_t a, uint32_t v, unsigned bytes)
{
  uint8_t *m = a >= SRAM_BASE && a - SRAM_BASE + bytes <= SRAM_SIZE ? s->sram + (a - SRAM_BASE)
             : a >= XIP_SRAM_BASE && a - XIP_SRAM_BASE + bytes <= XIP_SRAM_SIZE ? s->xsram + (a - XIP_SRAM_BASE)
             : NULL;
  for (unsigned i = 0; m && i < bytes; i++)
    m[i] = (uint8_t)(v >> 8 * i);
}

/* CTRL_TRIG written with EN: the whole transfer, its time as BUSY. */
static void dma_run(rp2040 *s, unsigned ch, uint64_t t)
{
  dma_ch *d = &s->dma[ch];
  unsigned bytes = 1u << (d->ctrl >> 2 & 3u);
  if (bytes > 4)
    bytes = 4;
  bool sniffing = (s->sniff_ctrl & 1u) && (s->sniff_ctrl >> 1 & 0xFu) == ch && (d->ctrl & DMA_SNIFF_EN);
  bool swap = ((d->ctrl & DMA_BSWAP) != 0) != ((s->sniff_ctrl & 0x200u) != 0);
  uint32_t n = d->count;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v = 0;
    for (unsigned k = 0; k < bytes; k++)
      v |= (uint32_t)mem_byte(s, d->rd + k) << 8 * k;
    if (sniffing)
      sniff(s, swap ? bswap(v, bytes) : v, bytes);
    dma_store(s, d->wr, (d->ctrl & DMA_BSWAP) ? bswap(v, bytes) : v, bytes);
    if (d->ctrl & DMA_INCR_READ)
      d->rd += bytes;
    if (d->ctrl & DMA_INCR_WRITE)
      d->wr += bytes;
  }
  d->count = 0;
  d->busy_until = t + (uint64_t)((double)n * s->p->rp_dma_xfer_cycles * 1e9 / s->p->rp_clk_sys_hz + 0.5);
}

static int dma_access(rp2040 *s, uint32_t off, bool write, uint32_t *val, uint64_t t)
{
  if (off == DMA_SNIFF_CTRL || off == DMA_SNIFF_DATA) {
    uint32_t *r = off == DMA_SNIFF_CTRL ? &s->sniff_ctrl : &s->sniff_data;
    if (write) {
      *r = off == DMA_SNIFF_CTRL ? *val & 0xFFFu : *val;
    } else if (off == DMA_SNIFF_DATA) {
      uint32_t v = s->sniff_data; /* OUT_REV / OUT_INV change only what is read */
      if (s->sniff_ctrl & 0x400u)
        v = rev32(v);
      if (s->sniff_ctrl & 0x800u)
        v = ~v;
      *val = v;
    } else {
      *val = *r;
    }
    return LF_BUS_OK;
  }
  unsigned ch = off / 0x40u, reg = off % 0x40u;
  if (ch >= DMA_CHANNELS || reg > 0x0Cu) {
    if (!write)
      *val = 0; /* alias registers, the other control registers: not modeled */
    return LF_BUS_OK;
  }
  uint32_t *r = reg == 0x0 ? &s->dma[ch].rd : reg == 0x4 ? &s->dma[ch].wr
              : reg == 0x8 ? &s->dma[ch].count : &s->dma[ch].ctrl;
  if (!write) {
    *val = *r;
    if (reg == 0xC && t < s->dma[ch].busy_until)
      *val |= DMA_BUSY;
    return LF_BUS_OK;
  }
  *r = reg == 0xC ? *val & ~DMA_BUSY : *val;
  if (reg == 0xC && (*val & DMA_EN))
    dma_run(s, ch, t);
  return LF_BUS_OK;
}

static int sio_access(rp2040 *s, lf_bus_master m, uint32_t off, bool write, uint32_t *val,
                      uint64_t t)
{
  if (!write) {
    switch (off) {
    case SIO_CPUID: *val = m == LF_BUS_CORE1 ? 1u : 0u; return LF_BUS_OK;
    case SIO_GPIO_IN: *val = s->sio_out & s->sio_oe; return LF_BUS_OK;
    case SIO_GPIO_OUT: *val = s->sio_out; return LF_BUS_OK;
    case SIO_GPIO_OE: *val = s->sio_oe; return LF_BUS_OK;
    default: *val = 0; return LF_BUS_OK;
    }
  }
  uint32_t *r = off >= SIO_GPIO_OE && off < SIO_GPIO_OE + 0x10 ? &s->sio_oe
              : off >= SIO_GPIO_OUT && off < SIO_GPIO_OUT + 0x10 ? &s->sio_out : NULL;
  if (!r)
    return LF_BUS_OK;
  switch (off & 0xCu) {
  case 0x0: *r = *val; break;
  case 0x4: *r |= *val; break;
  case 0x8: *r &= ~*val; break;
  default: *r ^= *val; break;
  }
  *r &= 0x3FFFFFFFu;
  led_update(s, t);
  return LF_BUS_OK;
}

static int mem_rw(uint8_t *m, unsigned size, bool write, uint32_t *val)
{
  if (write)
    for (unsigned i = 0; i < size; i++)
      m[i] = (uint8_t)(*val >> 8 * i);
  else
    *val = le_read(m, size);
  return LF_BUS_OK;
}

static int access(void *self, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                  uint32_t *val, uint64_t *t_ns)
{
  rp2040 *s = self;
  if (addr >= ROM_SVC && addr < ROM_SVC + 0x20) {
    unsigned r = (addr - ROM_SVC) / 4;
    if (!write)
      *val = r == 0 ? s->svc_ret : 0;
    else if (r < 4)
      s->svc_arg[r] = *val;
    else if (r == 4)
      svc_call(s, *val, t_ns);
    return LF_BUS_OK;
  }
  if (addr >= SRAM_BASE && addr - SRAM_BASE + size <= SRAM_SIZE)
    return mem_rw(s->sram + (addr - SRAM_BASE), size, write, val);
  if (addr >= XIP_SRAM_BASE && addr - XIP_SRAM_BASE + size <= XIP_SRAM_SIZE)
    return mem_rw(s->xsram + (addr - XIP_SRAM_BASE), size, write, val);
  if (addr < ROM_SIZE) { /* stores to the ROM are ignored */
    if (!write)
      *val = le_read(s->rom + addr, size);
    return LF_BUS_OK;
  }
  if (addr >= XIP_BASE && addr < XIP_BASE + XIP_WINDOW) {
    if (write) /* the cached alias tolerates writes; the others fault while ERR_BADWRITE */
      return addr < XIP_BASE + 0x01000000u || !(s->xip_ctrl & 2u) ? LF_BUS_OK : LF_BUS_ERR;
    uint32_t off = (addr - XIP_BASE) % FLASH_SIZE;
    *val = le_read(s->fl.mem + (off + size <= FLASH_SIZE ? off : 0), size);
    if (m == LF_BUS_DEBUG)
      *t_ns += (uint64_t)s->p->rp_xip_read_ns;
    return LF_BUS_OK;
  }
  if (addr >= XIP_CTRL_BASE && addr < XIP_CTRL_BASE + 0x20) {
    switch (addr & 0x1Cu) {
    case 0x0:
      if (write)
        s->xip_ctrl = *val & 0xFu;
      else
        *val = s->xip_ctrl;
      return LF_BUS_OK;
    case 0x8: if (!write) *val = 0x3u; return LF_BUS_OK; /* FLUSH_READY, FIFO_EMPTY */
    default: if (!write) *val = 0; return LF_BUS_OK;
    }
  }
  if (addr >= SSI_BASE && addr < SSI_BASE + SSI_REGS)
    return ssi_access(s, addr - SSI_BASE, write, val, t_ns);
  if (addr >= APB_BASE && addr < APB_BASE + APB_SIZE) {
    uint32_t a = addr & ~3u;
    if (write)
      apb_write(s, a, size == 4 ? *val : *val << 8 * (addr & 3u), *t_ns);
    else
      *val = apb_read(s, a, *t_ns) >> 8 * (addr & 3u);
    return LF_BUS_OK;
  }
  if (addr >= DMA_BASE && addr < DMA_BASE + 0x1000u)
    return dma_access(s, (addr - DMA_BASE) & ~3u, write, val, *t_ns);
  if (addr >= AHB_BASE && addr < 0x60000000u) {
    if (!write)
      *val = 0;
    return LF_BUS_OK;
  }
  if (addr >= SIO_BASE && addr < SIO_BASE + 0x200)
    return sio_access(s, m, addr - SIO_BASE, write, val, *t_ns);
  return LF_BUS_ERR;
}

/* ---- life cycle ---- */

static void reset(void *self, lf_soc_reset_kind kind, uint64_t t)
{
  rp2040 *s = self;
  if (kind == LF_SOC_RESET_POWER) {
    s->chip_reset = HAD_POR;
    s->fl.busy_until = 0;
    s->fl.wel = false;
  }
  if (s->restart_at != UINT64_MAX) { /* the rescue DP's restart */
    s->chip_reset |= PSM_RESTART_FLAG | HAD_PSM_RESTART;
    s->restart_at = UINT64_MAX;
  }
  memset(s->apb, 0, APB_SIZE);
  s->apb[(RESETS_RESET - APB_BASE) / 4] = 0x01FFFFFFu;
  s->apb[(IO_BANK0_GPIO25_CTRL - APB_BASE) / 4] = 0x1Fu;
  memset(s->ssi, 0, sizeof s->ssi);
  s->rx_n = 0;
  s->ssi_xip = false;
  s->xip_ctrl = 0x3u;
  s->sio_out = s->sio_oe = 0;
  memset(s->dma, 0, sizeof s->dma);
  s->sniff_ctrl = s->sniff_data = 0;
  led_update(s, t);
  w25_deselect(s, t);
}

static void debug_rescue(void *self, uint32_t ctrl, uint64_t t)
{
  rp2040 *s = self;
  bool req = (ctrl & 0x10000000u) != 0; /* CDBGPWRUPREQ */
  if (s->rescue_req && !req)
    s->restart_at = t;
  s->rescue_req = req;
}

static uint64_t watchdog_deadline(const void *self) { return ((const rp2040 *)self)->restart_at; }

static double sysclk_hz(const void *self) { return ((const rp2040 *)self)->p->rp_clk_sys_hz; }

static void destroy(void *self)
{
  rp2040 *s = self;
  if (!s)
    return;
  free(s->rom);
  free(s->sram);
  free(s->xsram);
  free(s->fl.mem);
  free(s->apb);
  free(s);
}

static void *create(const char *part, const lf_soc_env *env, lf_soc_info *info, char *err,
                    size_t errlen)
{
  rp2040 *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  s->env = *env;
  s->p = env->p;
  s->rom = malloc(ROM_SIZE);
  s->sram = malloc(SRAM_SIZE);
  s->xsram = malloc(XIP_SRAM_SIZE);
  s->fl.mem = malloc(FLASH_SIZE);
  s->apb = calloc(1, APB_SIZE);
  if (!s->rom || !s->sram || !s->xsram || !s->fl.mem || !s->apb) {
    destroy(s);
    snprintf(err, errlen, "soc: out of memory");
    return NULL;
  }
  build_rom(s->rom);
  for (size_t i = 0; i < SRAM_SIZE; i++)
    s->sram[i] = lf_soc_garbage(SRAM_BASE + (uint32_t)i);
  memset(s->xsram, 0, XIP_SRAM_SIZE);
  memset(s->fl.mem, 0xFF, FLASH_SIZE); /* a new Pico: erased */
  static const uint8_t uid[8] = {0xE6, 0x60, 0x38, 0xB7, 0x13, 0x2F, 0x48, 0x2A}; /* bench */
  memcpy(s->fl.uid, uid, sizeof uid);
  s->restart_at = UINT64_MAX;
  s->regions[0] = (lf_soc_region){"rom", ROM_BASE, ROM_SIZE, s->rom, false, false};
  s->regions[1] = (lf_soc_region){"xip", XIP_BASE, FLASH_SIZE, s->fl.mem, false, false};
  s->regions[2] = (lf_soc_region){"xip-sram", XIP_SRAM_BASE, XIP_SRAM_SIZE, s->xsram, true, false};
  s->regions[3] = (lf_soc_region){"sram", SRAM_BASE, SRAM_SIZE, s->sram, true, false};
  info->part = parts[0];
  info->idcode = 0;
  info->cpuid = 0x410CC601u;
  info->dpidr = 0x0BC12477u;
  info->targetid = 0x01002927u;
  info->ap_idr = 0x04770031u;
  info->ap_base = 0xE00FF003u;
  info->regions = s->regions;
  info->nregions = 4;
  info->md.targetsel = 0x01002927u;
  info->md.dlpidr = 0x00000001u;
  info->md.drops[0] = (lf_soc_drop){0x0BC12477u, 0x01002927u, 0x11002927u, 0x10000001u,
                                    0x04770031u, 0xE00FF003u, 1, false};
  /* rescue DP: Raspberry Pi designer, part 0x2 (RP 8: BMP's rule); the rest
   * of the DPIDR and its DLPIDR are [unconf] */
  info->md.drops[1] = (lf_soc_drop){0x10212927u, 0x01002927u, 0xF1002927u, 0xF0000001u,
                                    0, 0, 0, true};
  info->md.ndrops = 2;
  info->md.ncores = 2;
  info->md.sysresetreq_core_only = true;
  (void)part;
  return s;
}

static bool peek_byte(const void *self, uint32_t a, uint8_t *out)
{
  rp2040 *s = (rp2040 *)self;
  if ((a < ROM_SIZE) || (a >= XIP_BASE && a - XIP_BASE < XIP_WINDOW) ||
      (a >= SRAM_BASE && a - SRAM_BASE < SRAM_SIZE) ||
      (a >= XIP_SRAM_BASE && a - XIP_SRAM_BASE < XIP_SRAM_SIZE)) {
    *out = mem_byte(s, a);
    return true;
  }
  return false;
}

static int save_state(const void *self, FILE *f, char *err, size_t errlen)
{
  const rp2040 *s = self;
  lf_soc_state_blob b[] = {{"flash", s->fl.mem, FLASH_SIZE}};
  return lf_soc_state_save(f, parts[0], b, 1, err, errlen);
}

static int load_state(void *self, FILE *f, char *err, size_t errlen)
{
  rp2040 *s = self;
  lf_soc_state_blob b[] = {{"flash", s->fl.mem, FLASH_SIZE}};
  return lf_soc_state_load(f, parts[0], b, 1, err, errlen);
}

const lf_soc_family lf_soc_family_rp2040 = {
  .name = "rp2040",
  .part_name = part_name,
  .create = create,
  .destroy = destroy,
  .access = access,
  .reset = reset,
  .sysclk_hz = sysclk_hz,
  .peek_byte = peek_byte,
  .save_state = save_state,
  .load_state = load_state,
  .watchdog_deadline = watchdog_deadline,
  .debug_rescue = debug_rescue,
};
