/* Raw ST-Link commands against a bench board, for tests and the bench tools
 * (the real driver lives in src/probe/ and shares nothing with this). */
#ifndef LF_BENCH_RAWSTLINK_H
#define LF_BENCH_RAWSTLINK_H

#include <stddef.h>
#include <stdint.h>

#include "bench/bench.h"

/* A board with default parameters (optionally a fault spec / probe preset):
 * lf_raw_board is the default board (NUCLEO-F767ZI), lf_raw_board_named any
 * board by name (NULL = default). NULL (message on stderr) on error. */
lf_bench_board *lf_raw_board(const char *probe, const char *faults);
lf_bench_board *lf_raw_board_named(const char *board, const char *probe, const char *faults);

/* One ST-Link command: 16-byte block (zero-padded from `cmd`), optional data
 * OUT phase, optional reply of `rlen` bytes. Returns the last transfer's
 * LF_VUSB_* code. */
int lf_raw_cmd(lf_bench_board *b, const uint8_t *cmd, size_t cmdlen, const void *out, size_t outlen,
           void *reply, size_t rlen);

/* Convenience wrappers; return the ST-Link status byte (0x80 = OK). */
int lf_raw_enter_swd(lf_bench_board *b);
int lf_raw_read_dap(lf_bench_board *b, uint16_t port, uint16_t addr, uint32_t *val);
int lf_raw_write_dap(lf_bench_board *b, uint16_t port, uint16_t addr, uint32_t val);
int lf_raw_read_debug32(lf_bench_board *b, uint32_t addr, uint32_t *val);
int lf_raw_write_debug32(lf_bench_board *b, uint32_t addr, uint32_t val);
/* READMEM/WRITEMEM_32BIT (+GETLASTRWSTATUS2); returns the RW status. */
int lf_raw_read_mem32(lf_bench_board *b, uint32_t addr, void *buf, uint16_t len);
int lf_raw_write_mem32(lf_bench_board *b, uint32_t addr, const void *buf, uint16_t len);
int lf_raw_write_mem8(lf_bench_board *b, uint32_t addr, const void *buf, uint16_t len);
int lf_raw_read_mem8(lf_bench_board *b, uint32_t addr, void *buf, uint16_t len);
/* One 32-bit word through the AHB-AP's own registers (CSW, TAR, DRW as
 * DAP register commands on APSEL 0), not the probe's memory commands (the
 * probe follows the posted AP read with RDBUFF itself). Returns the status of the first failing command, else 0x80. */
int lf_raw_ap_read32(lf_bench_board *b, uint32_t addr, uint32_t *val);

#endif
