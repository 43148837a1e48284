#include "bench/tools/rawstlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lf_bench_board *lf_raw_board(const char *probe, const char *faults)
{
  return lf_raw_board_named(NULL, probe, faults);
}

lf_bench_board *lf_raw_board_named(const char *board, const char *probe, const char *faults)
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  if (board)
    cfg.board = board;
  cfg.probe = probe;
  cfg.faults = faults;
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!b)
    fprintf(stderr, "lf_raw_board: %s\n", err);
  return b;
}

int lf_raw_cmd(lf_bench_board *b, const uint8_t *cmd, size_t cmdlen, const void *out, size_t outlen,
           void *reply, size_t rlen)
{
  const lf_bench_usb_info *u = lf_bench_usb_info_get(b);
  uint8_t blk[16] = {0};
  memcpy(blk, cmd, cmdlen > 16 ? 16 : cmdlen);
  size_t n = 0;
  int rc = lf_bench_usb_bulk_out(b, u->ep_out, blk, 16, &n, 1000);
  if (rc != 0)
    return rc;
  if (outlen) {
    rc = lf_bench_usb_bulk_out(b, u->ep_out, out, outlen, &n, 1000);
    if (rc != 0)
      return rc;
  }
  if (rlen)
    rc = lf_bench_usb_bulk_in(b, u->ep_in, reply, rlen, &n, 1000);
  return rc;
}

int lf_raw_enter_swd(lf_bench_board *b)
{
  uint8_t r[2] = {0};
  lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x30, 0xA3}, 3, NULL, 0, r, 2);
  return r[0];
}

int lf_raw_read_dap(lf_bench_board *b, uint16_t port, uint16_t addr, uint32_t *val)
{
  uint8_t c[6] = {0xF2, 0x45, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)addr, (uint8_t)(addr >> 8)};
  uint8_t r[8] = {0};
  lf_raw_cmd(b, c, 6, NULL, 0, r, 8);
  memcpy(val, r + 4, 4);
  return r[0];
}

int lf_raw_write_dap(lf_bench_board *b, uint16_t port, uint16_t addr, uint32_t val)
{
  uint8_t c[10] = {0xF2, 0x46, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)addr, (uint8_t)(addr >> 8)};
  memcpy(c + 6, &val, 4);
  uint8_t r[2] = {0};
  lf_raw_cmd(b, c, 10, NULL, 0, r, 2);
  return r[0];
}

int lf_raw_read_debug32(lf_bench_board *b, uint32_t addr, uint32_t *val)
{
  uint8_t c[6] = {0xF2, 0x36};
  memcpy(c + 2, &addr, 4);
  uint8_t r[8] = {0};
  lf_raw_cmd(b, c, 6, NULL, 0, r, 8);
  memcpy(val, r + 4, 4);
  return r[0];
}

int lf_raw_write_debug32(lf_bench_board *b, uint32_t addr, uint32_t val)
{
  uint8_t c[10] = {0xF2, 0x35};
  memcpy(c + 2, &addr, 4);
  memcpy(c + 6, &val, 4);
  uint8_t r[2] = {0};
  lf_raw_cmd(b, c, 10, NULL, 0, r, 2);
  return r[0];
}

static int rw_status(lf_bench_board *b)
{
  uint8_t r[12] = {0};
  lf_raw_cmd(b, (const uint8_t[]){0xF2, 0x3E}, 2, NULL, 0, r, 12);
  return r[0];
}

static int mem_cmd(lf_bench_board *b, uint8_t sub, uint32_t addr, void *in, const void *out,
                   uint16_t len)
{
  uint8_t c[8] = {0xF2, sub};
  memcpy(c + 2, &addr, 4);
  memcpy(c + 6, &len, 2);
  if (out)
    lf_raw_cmd(b, c, 8, out, len, NULL, 0);
  else {
    uint8_t tmp[6144 + 2];
    size_t rl = (sub == 0x0C && len == 1) ? 2 : len;
    lf_raw_cmd(b, c, 8, NULL, 0, tmp, rl);
    memcpy(in, tmp, len);
  }
  return rw_status(b);
}

int lf_raw_read_mem32(lf_bench_board *b, uint32_t addr, void *buf, uint16_t len) { return mem_cmd(b, 0x07, addr, buf, NULL, len); }
int lf_raw_write_mem32(lf_bench_board *b, uint32_t addr, const void *buf, uint16_t len) { return mem_cmd(b, 0x08, addr, NULL, buf, len); }
int lf_raw_read_mem8(lf_bench_board *b, uint32_t addr, void *buf, uint16_t len) { return mem_cmd(b, 0x0C, addr, buf, NULL, len); }
int lf_raw_write_mem8(lf_bench_board *b, uint32_t addr, const void *buf, uint16_t len) { return mem_cmd(b, 0x0D, addr, NULL, buf, len); }

int lf_raw_ap_read32(lf_bench_board *b, uint32_t addr, uint32_t *val)
{
  int st;
  uint32_t csw = 0;
  if ((st = lf_raw_read_dap(b, 0, 0x00, &csw)) != 0x80)
    return st;
  /* CSW: Size = word, AddrInc off, keep the rest (ADIv5 MEM-AP CSW) */
  if ((st = lf_raw_write_dap(b, 0, 0x00, (csw & ~0x37u) | 0x2u)) != 0x80)
    return st;
  if ((st = lf_raw_write_dap(b, 0, 0x04, addr)) != 0x80)
    return st;
  return lf_raw_read_dap(b, 0, 0x0C, val);
}
