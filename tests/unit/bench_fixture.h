/* Shared helpers for tests that drive the bench with raw ST-Link commands. */
#ifndef LF_TEST_BENCH_FIXTURE_H
#define LF_TEST_BENCH_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "bench/bench.h"

/* A board with default parameters (optionally a fault spec / probe preset). */
lf_bench_board *fx_board(const char *probe, const char *faults);

/* One ST-Link command: 16-byte block (zero-padded from `cmd`), optional data
 * OUT phase, optional reply of `rlen` bytes. Returns the last transfer's
 * LF_USB_* code. */
int fx_cmd(lf_bench_board *b, const uint8_t *cmd, size_t cmdlen, const void *out, size_t outlen,
           void *reply, size_t rlen);

/* Convenience wrappers; return the ST-Link status byte (0x80 = OK). */
int fx_enter_swd(lf_bench_board *b);
int fx_read_dap(lf_bench_board *b, uint16_t port, uint16_t addr, uint32_t *val);
int fx_write_dap(lf_bench_board *b, uint16_t port, uint16_t addr, uint32_t val);
int fx_read_debug32(lf_bench_board *b, uint32_t addr, uint32_t *val);
int fx_write_debug32(lf_bench_board *b, uint32_t addr, uint32_t val);
/* READMEM/WRITEMEM_32BIT (+GETLASTRWSTATUS2); returns the RW status. */
int fx_read_mem32(lf_bench_board *b, uint32_t addr, void *buf, uint16_t len);
int fx_write_mem32(lf_bench_board *b, uint32_t addr, const void *buf, uint16_t len);
int fx_write_mem8(lf_bench_board *b, uint32_t addr, const void *buf, uint16_t len);
int fx_read_mem8(lf_bench_board *b, uint32_t addr, void *buf, uint16_t len);

#endif
