/* ADIv5 debug port and MEM-AP on top of a probe (probe/probe.h).
 *
 * An lf_adi borrows a probe (the caller keeps owning and closing it) and adds
 * what every target layer needs from the debug port:
 *
 *  - connect: the probe's own connect (SWD entry, NRST for connect under
 *    reset), DPIDR, sticky-error check, and the DP power-up handshake
 *    (CTRL/STAT.CSYSPWRUPREQ|CDBGPWRUPREQ, CTRL/STAT polled until both ACKs,
 *    bounded by powerup_timeout; stm32f7-target.md 10.2).
 *  - sticky errors: after a memory or AP fault the layer writes
 *    ABORT = STKCMPCLR|STKERRCLR|WDERRCLR|ORUNERRCLR, so the next access works.
 *  - memory: one interface per MEM-AP (lf_memap), through the probe's native
 *    mem_read/mem_write/read32/write32 (ST-Link runs its own MEM-AP: SELECT,
 *    CSW, TAR and 1 KiB TAR blocks). For a probe that only gives raw DP/AP
 *    transactions (LF_PROBE_CAP_RAW_DAP) the layer drives the MEM-AP itself
 *    with SELECT, CSW and TAR cached: a register is written only when its
 *    value changes, TAR is rewritten at each 1 KiB auto-increment block
 *    (stm32f7-target.md 10.3).
 *  - disconnect: DP power-down (CSYSPWRUPREQ cleared, wait for CSYSPWRUPACK=0;
 *    then CDBGPWRUPREQ cleared, wait for both ACKs = 0) bounded by ONE
 *    deadline of disconnect_timeout (default 0.1 s, never pyOCD's 5 s + 5 s,
 *    stm32f7-target.md 10.2 / 13 #4). A target that never acknowledges (the
 *    NUCLEO-F767ZI report) costs at most the timeout plus one transaction and
 *    is logged (LF_LOG_INFO), not an error. Then the probe leaves debug mode.
 *
 * Time: deadlines are measured with lf_adi_now_ns(): the bench's virtual
 * clock when the probe sits on the bench transport (each poll costs modeled
 * USB/SWD time, no host sleep), CLOCK_MONOTONIC otherwise.
 *
 * Every function returns 0 or a negative LF_E* code with a session message
 * naming the operation and the register or address ("adi: read 0x30000000:
 * ..."). */
#ifndef LF_ARM_ADI_H
#define LF_ARM_ADI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"
#include "probe/probe.h"

/* DP registers (addr bits 3:2; bank in bits 7:4), stm32f7-target.md 10.2. */
#define LF_DP_DPIDR 0x00u    /* read */
#define LF_DP_ABORT 0x00u    /* write */
#define LF_DP_CTRLSTAT 0x04u
#define LF_DP_SELECT 0x08u   /* write */
#define LF_DP_RDBUFF 0x0Cu   /* read */
#define LF_DP_TARGETID 0x24u /* bank 2 (DPv2) */

/* ABORT bits */
#define LF_ABORT_DAPABORT 0x01u
#define LF_ABORT_STKCMPCLR 0x02u
#define LF_ABORT_STKERRCLR 0x04u
#define LF_ABORT_WDERRCLR 0x08u
#define LF_ABORT_ORUNERRCLR 0x10u
#define LF_ABORT_CLEAR_ALL 0x1Eu

/* CTRL/STAT bits */
#define LF_CS_STICKYORUN 0x00000002u
#define LF_CS_STICKYCMP 0x00000010u
#define LF_CS_STICKYERR 0x00000020u
#define LF_CS_WDATAERR 0x00000080u
#define LF_CS_CDBGPWRUPREQ 0x10000000u
#define LF_CS_CDBGPWRUPACK 0x20000000u
#define LF_CS_CSYSPWRUPREQ 0x40000000u
#define LF_CS_CSYSPWRUPACK 0x80000000u

/* MEM-AP registers (stm32f7-target.md 10.3) */
#define LF_AP_CSW 0x00u
#define LF_AP_TAR 0x04u
#define LF_AP_DRW 0x0Cu
#define LF_AP_CFG 0xF4u
#define LF_AP_BASE 0xF8u
#define LF_AP_IDR 0xFCu

typedef struct lf_adi_cfg {
  uint8_t ap;                   /* MEM-AP of lf_adi_read & co. (default 0: the system AHB-AP
                                   of most Cortex-M parts) */
  double powerup_timeout_s;     /* DP power-up ACK wait (default 0.1 s) */
  double disconnect_timeout_s;  /* DP power-down ACK wait (default 0.1 s); 0 = do not wait */
  bool power_down;              /* request DP power-down on disconnect (default true) */
  uint32_t csw_bits;            /* raw-DAP probes: CSW bits above Size/AddrInc
                                   (default 0x23000000: HPROT1|HPROT0|MasterType, ST-Link's default) */
} lf_adi_cfg;

typedef struct lf_adi_stats {
  uint64_t sticky_clears;       /* ABORT writes after a fault */
  uint64_t powerup_polls;       /* CTRL/STAT reads while powering up */
  uint64_t powerdown_polls;     /* CTRL/STAT reads while powering down */
  uint64_t powerdown_timeouts;  /* disconnects that hit disconnect_timeout */
  uint64_t select_writes, select_skips; /* raw DAP: SELECT written / cache hits */
  uint64_t csw_writes, csw_skips;       /* raw DAP: CSW written / cache hits */
  uint64_t tar_writes, tar_skips;       /* raw DAP: TAR written / auto-increment reuse */
  uint64_t last_disconnect_ns;  /* time the last lf_adi_disconnect took (lf_adi_now_ns) */
} lf_adi_stats;

typedef struct lf_adi lf_adi;
/* The memory interface of one MEM-AP (see lf_adi_memap). */
typedef struct lf_memap lf_memap;

void lf_adi_cfg_default(lf_adi_cfg *cfg);

/* No I/O. cfg NULL = defaults. The probe must outlive the lf_adi. */
int lf_adi_new(lf_session *s, lf_probe *p, const lf_adi_cfg *cfg, lf_adi **out);
/* No I/O (does not disconnect); NULL-safe. */
void lf_adi_free(lf_adi *a);

lf_probe *lf_adi_probe(const lf_adi *a);
lf_session *lf_adi_session(const lf_adi *a);
const lf_adi_cfg *lf_adi_cfg_get(const lf_adi *a);
const lf_adi_stats *lf_adi_stats_get(const lf_adi *a);
/* Change the timeouts after creation (seconds, >= 0; else LF_EINVAL). */
int lf_adi_set_disconnect_timeout(lf_adi *a, double seconds);
int lf_adi_set_powerup_timeout(lf_adi *a, double seconds);

/* The time base of deadlines, ns: bench virtual time or CLOCK_MONOTONIC. */
uint64_t lf_adi_now_ns(const lf_adi *a);

/* Probe connect (mode: normal or under reset — NRST stays asserted until
 * the caller releases it, see cortex_m.h), DPIDR read, sticky errors cleared,
 * DP powered up. */
int lf_adi_connect(lf_adi *a, lf_connect_mode mode);
/* DPIDR read at the last connect (0 before). */
uint32_t lf_adi_dpidr(const lf_adi *a);
bool lf_adi_connected(const lf_adi *a);

/* The power-up handshake alone: CTRL/STAT = CSYSPWRUPREQ|CDBGPWRUPREQ, then
 * CTRL/STAT polled until both ACKs (skipped when they already are set with
 * both requests), at most powerup_timeout (LF_ETIMEDOUT naming CTRL/STAT). */
int lf_adi_power_up(lf_adi *a);
/* The power-down handshake alone, bounded by disconnect_timeout. *acked
 * (optional) = both ACKs seen clear. A timeout is not an error (logged). */
int lf_adi_power_down(lf_adi *a, bool *acked);
/* Power-down (when cfg.power_down) and the probe's disconnect. Errors of
 * the power-down are logged, the probe disconnect always runs; returns the
 * probe disconnect's result. Does nothing when not connected. */
int lf_adi_disconnect(lf_adi *a);

/* ABORT = STKCMPCLR|STKERRCLR|WDERRCLR|ORUNERRCLR (and the raw-DAP caches
 * forgotten). Done automatically after every fault. */
int lf_adi_clear_sticky(lf_adi *a);

/* Raw DP/AP registers. DP addr: bits 3:2 register, 7:4 bank. AP addr: full
 * 8-bit register offset (bank from bits 7:4, cached SELECT on raw probes). */
int lf_adi_dp_read(lf_adi *a, uint8_t addr, uint32_t *val);
int lf_adi_dp_write(lf_adi *a, uint8_t addr, uint32_t val);
int lf_adi_ap_read(lf_adi *a, uint8_t ap, uint8_t addr, uint32_t *val);
int lf_adi_ap_write(lf_adi *a, uint8_t ap, uint8_t addr, uint32_t val);

/* Memory interfaces, one per MEM-AP: built from the probe's native memory
 * commands (ST-Link) or from raw DAP transactions (CSW/TAR/DRW with CSW and
 * TAR cached per AP; CMSIS-DAP). Created on first use, owned by the adi
 * (valid until lf_adi_free); NULL only when out of memory. Nothing above
 * src/arm sees which of the two it is.
 *
 * lf_memap_read/write: any address and length; width 0 = the cheapest
 * accesses (bytes up to 4-byte alignment, 32-bit words, bytes after), 1/2/4
 * = every access exactly that wide (addr and len multiples of it, else
 * LF_EINVAL): peripheral registers that need a given width. A bus fault is
 * LF_EFAULT naming the address; sticky errors are cleared before
 * returning, so the next access works. */
lf_memap *lf_adi_memap(lf_adi *a, uint8_t ap);
lf_memap *lf_adi_default_memap(lf_adi *a); /* the one of cfg.ap */
uint8_t lf_memap_ap(const lf_memap *m);
lf_adi *lf_memap_adi(const lf_memap *m);
int lf_memap_read(lf_memap *m, uint32_t addr, void *buf, size_t len, unsigned width);
int lf_memap_write(lf_memap *m, uint32_t addr, const void *buf, size_t len, unsigned width);
int lf_memap_read32(lf_memap *m, uint32_t addr, uint32_t *val);
int lf_memap_write32(lf_memap *m, uint32_t addr, uint32_t val);

/* Memory through cfg.ap's interface. 32-bit words need 4-byte aligned addresses
 * (LF_EINVAL otherwise). Bulk read/write take any address and length. A bus
 * fault is LF_EFAULT naming the address; sticky errors are cleared before
 * returning, so the next access works. */
int lf_adi_read32(lf_adi *a, uint32_t addr, uint32_t *val);
int lf_adi_write32(lf_adi *a, uint32_t addr, uint32_t val);
int lf_adi_read(lf_adi *a, uint32_t addr, void *buf, size_t len);
int lf_adi_write(lf_adi *a, uint32_t addr, const void *buf, size_t len);
/* Every access exactly `width` bytes wide (1, 2 or 4; addr and len multiples
 * of it, else LF_EINVAL): peripheral registers that need a given width. */
int lf_adi_read_width(lf_adi *a, uint32_t addr, void *buf, size_t len, unsigned width);
int lf_adi_write_width(lf_adi *a, uint32_t addr, const void *buf, size_t len, unsigned width);

/* Posted accesses: on a probe that posts (LF_PROBE_CAP_RAW_DAP with
 * dap_post: CMSIS-DAP) the access goes out without waiting for its round
 * trip, so what follows does not wait either (a write then a read of
 * another register costs one round trip, a stream of writes none). Its
 * failure is returned by a later access through this adi or by
 * lf_adi_flush (message naming the access as posted earlier). A posted
 * read's word lands in *val no later than the next non-posted access or
 * lf_adi_flush returns: *val must stay valid until then. Posted accesses
 * reach the target in order, before anything asked later. On any other
 * probe they are the plain calls (done when they return). A caller that
 * needs the outcome at a given point calls lf_adi_flush. */
bool lf_adi_posts(const lf_adi *a);
int lf_memap_write_posted(lf_memap *m, uint32_t addr, const void *buf, size_t len);
int lf_memap_read32_posted(lf_memap *m, uint32_t addr, uint32_t *val);
int lf_adi_write_posted(lf_adi *a, uint32_t addr, const void *buf, size_t len);
int lf_adi_write32_posted(lf_adi *a, uint32_t addr, uint32_t val);
/* The word wval at waddr, then len bytes at addr (the default MEM-AP), in
 * one submission when the probe queues them (lf_probe_ops.write32_mem); the
 * word is written first whatever the bytes' write does. Elsewhere the two
 * writes (posted where the probe posts). */
int lf_adi_write32_then(lf_adi *a, uint32_t waddr, uint32_t wval, uint32_t addr, const void *buf,
                        size_t len);
int lf_adi_read32_posted(lf_adi *a, uint32_t addr, uint32_t *val);
/* n aligned 32-bit words into dst[0..n) (posted as lf_adi_read32_posted). */
int lf_memap_read_words_posted(lf_memap *m, uint32_t addr, uint32_t *dst, size_t n);
int lf_adi_read_words_posted(lf_adi *a, uint32_t addr, uint32_t *dst, size_t n);
/* Waits for every posted access: 0 or the first failure (a fault clears
 * the sticky errors, as for any access). */
int lf_adi_flush(lf_adi *a);

#endif
