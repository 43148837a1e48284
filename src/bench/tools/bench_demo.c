/* lf-bench-demo: flashes the LED-blink demo firmware built for the board
 * onto a virtual board (NUCLEO-F767ZI by default, NUCLEO-F429ZI or
 * NUCLEO-H743ZI) using
 * nothing but raw ST-Link commands over the bench's USB API (the
 * debugger-driven path: flash controller registers written through the
 * AHB-AP, no loader), verifies it, resets the board and watches the LEDs.
 *
 *   lf-bench-demo [--board NAME] [--probe v2-1|v2|v3] [--state FILE]
 *                 [--faults SPEC] [--param name=value]... [--run SECONDS]
 *                 [--image FILE.bin] [--params]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/tools/rawstlink.h"

#define FLASH_BASE 0x08000000u
#define DHCSR 0xE000EDF0u
#define DEMCR 0xE000EDFCu
#define AIRCR 0xE000ED0Cu

/* A flash controller as the debugger drives it: bank 1's registers (bank b
 * at + b * bank_stride), the CR values of a sector erase (with SNB shifted
 * in), of its start bit and of programming, the busy and error bits of SR
 * and how errors are cleared (w1c register and bits), the program unit. */
typedef struct flash_regs {
  uint32_t keyr, sr, cr, clear_reg, clear_bits, bank_stride;
  uint32_t lock, erase, snb_shift, start, prog, busy, errors;
  unsigned unit;
} flash_regs;
/* STM32F2/F4/F7 (stm32f7-target.md 3.1-3.5, 4.1-4.3): x32. */
static const flash_regs f47_regs = {
  0x40023C04u, 0x40023C0Cu, 0x40023C10u, 0x40023C0Cu, 0xF3u, 0,
  0x80000000u, 0x2u | 2u << 8, 3, 1u << 16, 0x1u | 2u << 8, 1u << 16, 0xF2u, 4,
};
/* STM32H743 (stm32-f1-l4-h7-targets.md 5.1-5.3): two banks, x64, errors
 * cleared through CCR, busy = QW, 256-bit flash words. */
static const flash_regs h7_regs = {
  0x52002004u, 0x52002010u, 0x5200200Cu, 0x52002014u, 0x1FEF0000u, 0x100u,
  0x1u, 0x4u | 0x30u, 8, 0x80u, 0x2u | 0x30u, 0x4u, 0x07EE0000u, 32,
};

/* What a host must know about each part to flash it: its controller,
 * sector layout with the SNB value written to FLASH_CR (and the bank),
 * where the ID and the flash size register are. */
typedef struct sector { uint32_t size; uint8_t snb, bank; } sector;
typedef struct part_layout {
  const char *part;
  uint32_t idcode_reg;
  uint32_t flash_size_reg; /* 16-bit, KiB */
  const sector *sectors;
  size_t nsectors;
  const flash_regs *fr;
} part_layout;

#define K16 16384u
#define K32 32768u
#define K64 65536u
#define K128 131072u
#define K256 262144u
/* STM32F767ZI, single-bank 2 MiB (default nDBANK=1): stm32f7-target.md 7.1;
 * flash size register 0x1FF0F442 (F7 1). */
static const sector f767_sectors[] = {
  {K32, 0, 0}, {K32, 1, 0}, {K32, 2, 0}, {K32, 3, 0}, {K128, 4, 0}, {K256, 5, 0},
  {K256, 6, 0}, {K256, 7, 0}, {K256, 8, 0}, {K256, 9, 0}, {K256, 10, 0}, {K256, 11, 0},
};
/* STM32F429ZI, always dual bank 2 x 1 MiB; bank-2 sector k is SNB 0x10 + k
 * (stm32f4-target.md 7.1, 7.4); flash size register 0x1FFF7A22 (F4 1). */
static const sector f429_sectors[] = {
  {K16, 0x00, 0}, {K16, 0x01, 0}, {K16, 0x02, 0}, {K16, 0x03, 0}, {K64, 0x04, 0}, {K128, 0x05, 0},
  {K128, 0x06, 0}, {K128, 0x07, 0}, {K128, 0x08, 0}, {K128, 0x09, 0}, {K128, 0x0A, 0}, {K128, 0x0B, 0},
  {K16, 0x10, 0}, {K16, 0x11, 0}, {K16, 0x12, 0}, {K16, 0x13, 0}, {K64, 0x14, 0}, {K128, 0x15, 0},
  {K128, 0x16, 0}, {K128, 0x17, 0}, {K128, 0x18, 0}, {K128, 0x19, 0}, {K128, 0x1A, 0}, {K128, 0x1B, 0},
};
/* STM32H743ZI: 2 banks x 8 x 128 KiB (H7 2.3); ID at 0x5C001000 and flash
 * size at 0x1FF1E880 (H7 1.3). */
static const sector h743_sectors[] = {
  {K128, 0, 0}, {K128, 1, 0}, {K128, 2, 0}, {K128, 3, 0}, {K128, 4, 0}, {K128, 5, 0},
  {K128, 6, 0}, {K128, 7, 0}, {K128, 0, 1}, {K128, 1, 1}, {K128, 2, 1}, {K128, 3, 1},
  {K128, 4, 1}, {K128, 5, 1}, {K128, 6, 1}, {K128, 7, 1},
};
static const part_layout layouts[] = {
  {"stm32f767zi", 0xE0042000u, 0x1FF0F442u, f767_sectors,
   sizeof f767_sectors / sizeof f767_sectors[0], &f47_regs},
  {"stm32f429zi", 0xE0042000u, 0x1FFF7A22u, f429_sectors,
   sizeof f429_sectors / sizeof f429_sectors[0], &f47_regs},
  {"stm32h743zi", 0x5C001000u, 0x1FF1E880u, h743_sectors,
   sizeof h743_sectors / sizeof h743_sectors[0], &h7_regs},
};

static double secs(lf_bench_board *b) { return (double)lf_bench_clock(b)->now_ns / 1e9; }

static int fail(const char *what, int st)
{
  fprintf(stderr, "lf-bench-demo: %s failed (ST-Link status 0x%02x)\n", what, st);
  return 1;
}

static int wait_flash(lf_bench_board *b, const flash_regs *fr, unsigned bank, uint32_t *sr)
{
  for (int i = 0; i < 1000000; i++) {
    int st = lf_raw_read_debug32(b, fr->sr + bank * fr->bank_stride, sr);
    if (st != 0x80)
      return st;
    if (!(*sr & fr->busy))
      return 0x80;
  }
  return -1;
}

static unsigned char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "lf-bench-demo: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  unsigned char *buf = malloc((2u << 20) + 1); /* one byte more: detect oversize */
  *len = buf ? fread(buf, 1, (2u << 20) + 1, f) : 0;
  fclose(f);
  if (buf && *len == 0) {
    fprintf(stderr, "lf-bench-demo: %s: empty file; expected a raw binary image\n", path);
    free(buf);
    return NULL;
  }
  return buf;
}

int main(int argc, char **argv)
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  double run_s = 2.0;
  const char *image_path = NULL;
  char err[512];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--params")) {
      lf_bench_params_print(&cfg.params, stdout);
      return 0;
    } else if (!strcmp(a, "--board") && v) { cfg.board = v; i++; }
    else if (!strcmp(a, "--probe") && v) { cfg.probe = v; i++; }
    else if (!strcmp(a, "--state") && v) { cfg.state_file = v; i++; }
    else if (!strcmp(a, "--faults") && v) { cfg.faults = v; i++; }
    else if (!strcmp(a, "--image") && v) { image_path = v; i++; }
    else if (!strcmp(a, "--run") && v) {
      char *end;
      run_s = strtod(v, &end);
      if (*end || run_s < 0 || run_s > 3600) {
        fprintf(stderr, "lf-bench-demo: --run %s: expected seconds between 0 and 3600\n", v);
        return 2;
      }
      i++;
    } else if (!strcmp(a, "--param") && v) {
      if (lf_bench_params_set(&cfg.params, v, err, sizeof err) != 0) {
        fprintf(stderr, "lf-bench-demo: --param: %s\n", err);
        return 2;
      }
      i++;
    } else {
      fprintf(stderr, "usage: lf-bench-demo [--board NAME] [--probe v2-1|v2|v3] [--state FILE] "
                      "[--faults SPEC] [--param name=value]... [--run SECONDS] [--image FILE.bin] "
                      "[--params]\n");
      return 2;
    }
  }

  const lf_bench_board_info *bi = lf_bench_board_find(cfg.board);
  if (!bi) {
    char known[256];
    fprintf(stderr, "lf-bench-demo: --board %s: unknown board (known: %s)\n", cfg.board,
            lf_bench_board_list(known, sizeof known));
    return 2;
  }
  const part_layout *lay = NULL;
  for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
    if (!strcmp(layouts[i].part, bi->part))
      lay = &layouts[i];
  if (!lay) {
    fprintf(stderr, "lf-bench-demo: no flash layout for part %s of board %s\n", bi->part, bi->name);
    return 2;
  }
  size_t len = *bi->demo_len;
  unsigned char *owned = NULL;
  const unsigned char *image = bi->demo;
  if (image_path) {
    if (!(owned = read_file(image_path, &len)))
      return 2;
    image = owned;
  }
  if (len == 0 || len > (2u << 20)) {
    fprintf(stderr, "lf-bench-demo: image of %zu bytes does not fit the 2 MiB flash\n", len);
    free(owned);
    return 2;
  }
  /* Whole program units: pad the tail with the erased value. */
  const flash_regs *fr = lay->fr;
  size_t padded = (len + fr->unit - 1) & ~(size_t)(fr->unit - 1);
  unsigned char *copy = malloc(padded);
  if (!copy) {
    free(owned);
    return 2;
  }
  memset(copy, 0xFF, padded);
  memcpy(copy, image, len);
  free(owned);
  owned = copy;
  image = copy;
  len = padded;

  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!b) {
    fprintf(stderr, "lf-bench-demo: %s\n", err);
    free(owned);
    return 2;
  }
  int rc = 1, st;
  uint8_t ver[6] = {0}, mode[2] = {0};
  lf_raw_cmd(b, (const uint8_t[]){0xF1}, 1, NULL, 0, ver, 6);
  unsigned v = (unsigned)ver[0] << 8 | ver[1];
  unsigned hw = v >> 12, jv = (v >> 6) & 63, mv = v & 63;
  if (hw >= 3) { /* V3 reports its versions through GET_VERSION_EX (probe-protocols.md 1.4) */
    uint8_t ex[12] = {0};
    lf_raw_cmd(b, (const uint8_t[]){0xFB}, 1, NULL, 0, ex, 12);
    jv = ex[2];
    mv = ex[3];
  }
  printf("board: %s (%s)\n", bi->name, bi->part);
  printf("probe: ST-LINK V%uJ%uM%u  VID:PID %04x:%04x  serial %s\n", hw, jv, mv,
         ver[2] | ver[3] << 8, ver[4] | ver[5] << 8, lf_bench_usb_info_get(b)->serial);
  lf_raw_cmd(b, (const uint8_t[]){0xF5}, 1, NULL, 0, mode, 2);
  if (mode[0] == 0x00)
    lf_raw_cmd(b, (const uint8_t[]){0xF3, 0x07}, 2, NULL, 0, NULL, 0);
  if (v >> 12 >= 3) { /* V3: SET_COM_FREQ SWD 4000 kHz -> highest supported below */
    uint8_t r8[8] = {0};
    lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x61, 0x00, 0x00, 0xA0, 0x0F, 0x00, 0x00}, 8, NULL, 0, r8, 8);
  } else { /* V2: SWD_SET_FREQ divisor 0 (4 MHz nominal) */
    uint8_t r2[2] = {0};
    lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x43, 0x00, 0x00}, 4, NULL, 0, r2, 2);
  }
  if ((st = lf_raw_enter_swd(b)) != 0x80) { rc = fail("enter SWD", st); goto out; }
  uint32_t dpidr = 0, ctrl = 0, idcode = 0, cpuid = 0, fsize = 0;
  lf_raw_read_dap(b, 0xFFFF, 0x0, &dpidr);
  lf_raw_write_dap(b, 0xFFFF, 0x4, 0x50000000u); /* CSYSPWRUPREQ | CDBGPWRUPREQ */
  for (int i = 0; i < 100 && (ctrl & 0xA0000000u) != 0xA0000000u; i++)
    lf_raw_read_dap(b, 0xFFFF, 0x4, &ctrl);
  lf_raw_read_debug32(b, lay->idcode_reg, &idcode);
  lf_raw_read_debug32(b, 0xE000ED00u, &cpuid);
  lf_raw_read_debug32(b, lay->flash_size_reg & ~3u, &fsize);
  fsize = (lay->flash_size_reg & 2u) ? fsize >> 16 : fsize & 0xFFFFu;
  printf("target: DPIDR 0x%08x  DBGMCU_IDCODE 0x%08x  CPUID 0x%08x  flash %u KiB  CTRL/STAT 0x%08x"
         "  (%.6f s)\n", dpidr, idcode, cpuid, fsize, ctrl, secs(b));

  /* Halt at the reset vector: DEMCR.VC_CORERESET, then SYSRESETREQ. */
  lf_raw_write_debug32(b, DHCSR, 0xA05F0003u);
  lf_raw_write_debug32(b, DEMCR, 0x01000001u);
  lf_raw_write_debug32(b, AIRCR, 0x05FA0004u);
  uint32_t dhcsr = 0;
  lf_raw_read_debug32(b, DHCSR, &dhcsr);
  printf("core: halted=%d after reset (DHCSR 0x%08x)\n", (dhcsr >> 17) & 1, dhcsr);

  uint32_t sr = 0, cr = 0;
  unsigned nbanks = fr->bank_stride ? 2 : 1;
  for (unsigned k = 0; k < nbanks; k++) {
    uint32_t o = k * fr->bank_stride;
    lf_raw_read_debug32(b, fr->cr + o, &cr);
    if (cr & fr->lock) {
      lf_raw_write_debug32(b, fr->keyr + o, 0x45670123u);
      lf_raw_write_debug32(b, fr->keyr + o, 0xCDEF89ABu);
    }
    lf_raw_write_debug32(b, fr->clear_reg + o, fr->clear_bits);
  }
  double t0 = secs(b);
  uint32_t off = 0;
  unsigned nerased = 0;
  for (size_t s = 0; s < lay->nsectors && off < len; off += lay->sectors[s].size, s++) {
    uint32_t snb = lay->sectors[s].snb, o = lay->sectors[s].bank * fr->bank_stride;
    lf_raw_write_debug32(b, fr->cr + o, fr->erase | snb << fr->snb_shift);
    lf_raw_write_debug32(b, fr->cr + o, fr->erase | snb << fr->snb_shift | fr->start);
    if ((st = wait_flash(b, fr, lay->sectors[s].bank, &sr)) != 0x80 || (sr & fr->errors)) {
      fprintf(stderr, "lf-bench-demo: erase of sector %zu (SNB 0x%02x) failed: FLASH_SR 0x%08x\n",
              s, snb, sr);
      goto out;
    }
    nerased++;
  }
  printf("erase: %u sector(s) in %.6f s\n", nerased, secs(b) - t0);
  t0 = secs(b);
  for (unsigned k = 0; k < nbanks; k++)
    lf_raw_write_debug32(b, fr->cr + k * fr->bank_stride, fr->prog);
  for (size_t o = 0; o < len; o += 1024) {
    uint16_t n = (uint16_t)(len - o < 1024 ? len - o : 1024);
    if ((st = lf_raw_write_mem32(b, FLASH_BASE + (uint32_t)o, image + o, n)) != 0x80) {
      fprintf(stderr, "lf-bench-demo: programming at 0x%08x failed (status 0x%02x)\n",
              FLASH_BASE + (unsigned)o, st);
      goto out;
    }
  }
  for (unsigned k = 0; k < nbanks; k++)
    if ((st = wait_flash(b, fr, k, &sr)) != 0x80 || (sr & fr->errors)) {
      fprintf(stderr, "lf-bench-demo: programming failed: FLASH_SR 0x%08x\n", sr);
      goto out;
    }
  for (unsigned k = 0; k < nbanks; k++)
    lf_raw_write_debug32(b, fr->cr + k * fr->bank_stride, fr->lock); /* clear PG, lock */
  printf("program: %zu bytes in %.6f s\n", len, secs(b) - t0);

  t0 = secs(b);
  unsigned char back[1024];
  for (size_t o = 0; o < len; o += 1024) {
    uint16_t n = (uint16_t)(len - o < 1024 ? len - o : 1024);
    if (lf_raw_read_mem32(b, FLASH_BASE + (uint32_t)o, back, n) != 0x80 || memcmp(back, image + o, n)) {
      fprintf(stderr, "lf-bench-demo: verify failed in the 1 KiB block at 0x%08x\n",
              FLASH_BASE + (unsigned)o);
      goto out;
    }
  }
  printf("verify: ok in %.6f s\n", secs(b) - t0);

  /* Run: no vector catch, debug off, system reset, leave debug mode. */
  lf_raw_write_debug32(b, DEMCR, 0);
  lf_raw_write_debug32(b, DHCSR, 0xA05F0000u);
  lf_raw_write_debug32(b, AIRCR, 0x05FA0004u);
  lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x21}, 2, NULL, 0, NULL, 0);
  printf("flashed and reset at %.6f s (virtual); running %.1f s\n", secs(b), run_s);
  lf_bench_led_events_clear(b);
  lf_bench_run(b, (uint64_t)(run_s * 1e9));

  const lf_bench_led_event *ev;
  size_t nev = lf_bench_led_events(b, &ev);
  unsigned toggles[4];
  lf_bench_led_toggles(b, toggles);
  for (size_t i = 0; i < nev && i < 8; i++)
    printf("  %.6f s  LD%u %s\n", (double)ev[i].t_ns / 1e9, ev[i].led, ev[i].on ? "on" : "off");
  printf("LED toggles in %.1f s: LD1 %u, LD2 %u, LD3 %u\n", run_s, toggles[1], toggles[2], toggles[3]);
  printf("\n-- bench report --\n");
  lf_bench_report(b, stdout);
  if (cfg.state_file && lf_bench_save_state(b, cfg.state_file, err, sizeof err) != 0) {
    fprintf(stderr, "lf-bench-demo: %s\n", err);
    goto out;
  }
  rc = (run_s > 0 && nev == 0) ? 1 : 0;
  if (rc)
    fprintf(stderr, "lf-bench-demo: the board did not blink\n");
out:
  lf_bench_board_free(b);
  free(owned);
  return rc;
}
