/* One bus access on the target's AHB/AXI fabric, as seen by a bus master.
 *
 * `t_ns` is in/out: on entry the virtual time at which the master issues the
 * access, on return the time at which it completes (>= entry). A slave that
 * stalls (flash busy, a read of a bank under erase) moves it forward; the
 * master converts the stall into its own cost (the core waits, the AHB-AP
 * answers WAIT on the wire). Returns LF_BUS_OK or LF_BUS_ERR (AHB error
 * response: the core faults, the AP sets STICKYERR). */
#ifndef LF_BENCH_BUS_H
#define LF_BENCH_BUS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum lf_bus_master {
  LF_BUS_CORE = 0,  /* the core (core 0 of a multi-core part) */
  LF_BUS_DEBUG = 1,
  LF_BUS_CORE1 = 2, /* the second core of a dual-core part (RP2040) */
} lf_bus_master;
enum { LF_BUS_OK = 0, LF_BUS_ERR = -1 };

typedef int (*lf_bus_fn)(void *ctx, lf_bus_master m, uint32_t addr, unsigned size, bool write,
                         uint32_t *val, uint64_t *t_ns);

typedef struct lf_bus {
  lf_bus_fn access;
  void *ctx;
} lf_bus;

static inline int lf_bus_read(const lf_bus *b, lf_bus_master m, uint32_t addr, unsigned size,
                              uint32_t *val, uint64_t *t_ns)
{
  return b->access(b->ctx, m, addr, size, false, val, t_ns);
}

static inline int lf_bus_write(const lf_bus *b, lf_bus_master m, uint32_t addr, unsigned size,
                               uint32_t val, uint64_t *t_ns)
{
  return b->access(b->ctx, m, addr, size, true, &val, t_ns);
}

#endif
