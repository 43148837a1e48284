/* The stream engine: host side of the streaming flash loaders.
 *
 * A family's target-side loader (src/flash/loaders/, committed as a blob) is
 * loaded once into RAM and started; from then on it stays running and serves
 * a command queue (erase the unit at an address, erase a bank or the chip,
 * program a range from a ring buffer, CRC32 a range) until lf_loader_stop.
 * The host never halts the core between operations: it appends commands,
 * keeps the ring filled with the largest writes the probe allows, and reads
 * one status block (a single memory read) only when it needs ring space or a
 * result.
 *
 * The engine is family-neutral: what a family contributes is an adapter
 * (lf_loader_adapter below: its blob, RAM window, the family words of the
 * control block, an optional host-started first erase, the names of its
 * status flags), which the family unit returns for a geometry. A CMSIS-Pack
 * flash algorithm fits the same adapter: its blob is our dispatcher plus the
 * algorithm, its family words the algorithm's entry points and page size.
 *
 *     lf_loader *l;
 *     lf_loader_new(cm, &geometry, NULL, &l);   // no I/O; adapter from the family
 *     lf_loader_start(l);                        // core halted: upload + start
 *     lf_loader_run(l, steps, nsteps);           // erase/program, streamed
 *     lf_loader_crc32(l, ranges, n, crcs);       // zlib crc32 on the target
 *     lf_loader_stop(l);                         // EXIT: core halts at the BKPT
 *     lf_loader_free(l);
 *
 * Order of steps: when all program data of one lf_loader_run fits in the
 * ring, the loader moves every erase step to the front (the whole upload
 * then overlaps the erases); otherwise steps run in the given order, and
 * each sector's erase should come right before its program step, so the
 * host uploads the next sector's data while that sector erases and the ring
 * only needs to hold about one sector's data. Independent banks (geometry
 * parallel_banks, adapter banks): each bank's steps keep their order, the
 * banks' commands are interleaved (erases alternate between the banks, a
 * program range of one bank goes with one of the other as a PROGRAM_PAIR of
 * equal length, the longer range split at a program unit), and a SYNC ends
 * the steps, so both controllers erase and program at the same time.
 *
 * RAM: the loader uses [ram_base, ram_base + ram_size): code, control block,
 * command queue, stack, then the ring (the rest). The adapter gives the
 * default window (F7: DTCM + SRAM1 + SRAM2, 512 KiB; F4: SRAM1-3, 192 KiB).
 *
 * Errors: a flash error reported by the target is LF_ETARGET naming the
 * operation, the address (word or sector) and the status register's flags
 * ("program 0x08008000: FLASH_SR 0x00000090 (WRPERR ERSERR)"); the target
 * stops at that command. No progress for cfg.timeout_s is LF_ETIMEDOUT. */
#ifndef LF_FLASH_LOADER_H
#define LF_FLASH_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arm/cortex_m.h"
#include "core/session.h"
#include "flash/family.h"
#include "flash/loaders/lf_loader_abi.h"

/* Progress of one stream (lf_loader_run*, lf_loader_crc32, the plan
 * functions): done and total in bytes of flash work (an erased sector
 * counts its size, a mass erase the bank sizes, programmed and CRC'd bytes
 * themselves), phase = the command the target works on ("erase", "mass
 * erase", "program", "crc32") or "done" at the end. Called from the polling
 * loop whenever the target's status changed (no extra I/O); must not call
 * back into the loader. */
typedef void (*lf_loader_progress_fn)(void *ctx, uint64_t done, uint64_t total, const char *phase);

/* Compressed upload (cfg.compress): the host deflates each program range in
 * chunks (raw deflate, one stream per LF_LOADER_ZCHUNK bytes or the adapter's z_chunk: our
 * encoder zenc.h for the z_cont routine, zlib -9 for the others; loader.c z_options) and the
 * loader inflates them on the target (PROGRAM_Z, lf_loader_abi.h), when the
 * adapter has the routine (adapter zblob). AUTO decides per stream from the
 * model: upload of the raw bytes at the link rate (cfg.link_bps, else the
 * rate of the loader's own upload at start) against erase + program, and
 * with compression the compressed upload against erase + program + the
 * inflate time on the target's core (loader.c Z_CYC_PER_BYTE at the
 * adapter's z_core_hz, overlapped with the programming) + the routine's
 * upload; compressed when that is at least 3 % lower. */
typedef enum lf_loader_compress {
  LF_COMPRESS_OFF = 0,
  LF_COMPRESS_ON = 1,
  LF_COMPRESS_AUTO = 2,
} lf_loader_compress;
#define LF_LOADER_ZCHUNK 8192u

typedef struct lf_loader_cfg {
  uint32_t ram_size;      /* bytes usable from the adapter's load address; 0 = its default */
  unsigned prog_unit;     /* bytes per program operation; 0 = the geometry's default */
  uint32_t chunk;         /* largest single data upload (bytes); default 8 KiB */
  double timeout_s;       /* no progress for this long = error; default 2 x max erase + 1 s */
  double core_hz;         /* to convert DWT cycles to time; 0 = the adapter's default */
  lf_loader_progress_fn progress; /* optional (NULL: none) */
  void *progress_ctx;
  lf_loader_compress compress; /* default OFF (Lua setting compress: "auto") */
  uint32_t link_bps;      /* host -> target bytes/s for compress AUTO; 0 = measured at start */
  int z_effort;           /* compressed records' encoder: 0 = zlib -9 (default), 1..5 = ours
                             (zenc.h) at that effort (Lua setting compress_effort) */
} lf_loader_cfg;

struct lf_loader_adapter;
typedef struct lf_loader_range lf_loader_range;
typedef struct lf_loader_step lf_loader_step;
typedef struct lf_loader_stats lf_loader_stats;

/* An adapter that runs every operation itself, from the host, instead of a
 * streaming loader on the target (a CMSIS-Pack algorithm called once per
 * page when RAM is too small for the ring: flash/flm.h). The engine hands
 * it lf_loader_start / run_crc32 (steps as given, n may be 0; then only the
 * CRCs) / stop; the plan functions work on top unchanged. cfg and st are
 * the loader's own (live: progress callback, stats). */
typedef struct lf_loader_direct {
  int (*open)(lf_session *s, lf_cm *cm, const lf_flash_geometry *g, const struct lf_loader_adapter *ad,
              const struct lf_loader_cfg *cfg, lf_loader_stats *st, void **ctx);
  int (*start)(void *ctx);
  int (*run)(void *ctx, const lf_loader_step *steps, size_t n, const lf_loader_range *r, size_t nr,
             uint32_t *crcs);
  int (*stop)(void *ctx);
  void (*close)(void *ctx); /* no I/O */
} lf_loader_direct;

/* What a family contributes to the engine (family.h: lf_family.loader). */
typedef struct lf_loader_adapter {
  const char *name;                     /* its loader's file name: loaders/NAME.c ("stm32f4f7") */
  const unsigned char *blob;            /* target code, linked at load_addr */
  const unsigned int *blob_len;
  uint32_t load_addr, entry_off, exit_off;
  uint32_t ram_size;                    /* default RAM window from load_addr */
  /* The ring in a window of its own (0 = in the RAM window, after the
   * stack): the STM32H7 keeps code, queue and stack in DTCM (never cached)
   * and the ring in AXI SRAM. */
  uint32_t ring_addr, ring_size;
  /* The loader serves independent banks (geometry parallel_banks): erases
   * only start, PROGRAM_PAIR and SYNC are understood (lf_loader_abi.h); the
   * engine then interleaves the banks' commands so that every controller
   * stays busy. */
  bool banks;
  /* The loader erases a whole erase block (geometry timing.block_size) by
   * one ERASE with the block size in len (lf_loader_abi.h): the engine
   * merges the ERASE commands of every sector of an aligned block into one,
   * at the place of the block's first (no program of the block before it). */
  bool erase_blocks;
  /* The host polls when its upload has run ahead of the commands it could
   * post (the queue was full at its last poll), so a loader that eats many
   * small commands (RP2040: an erase and 16 programs per 64 KiB) never
   * idles for want of its next command while the host streams. Off for the
   * adapters whose benchmark figures were measured without it. */
  bool post_ahead;
  double core_hz;                       /* the core clock while the loader runs */
  const char *status_reg;               /* name of the register in err_sr ("FLASH_SR") */
  /* Fills the family words of the control block for geometry g. */
  int (*configure)(lf_session *s, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                   uint32_t fam[LF_LDR_FAM_WORDS]);
  /* Optional: starts the erase of sector sec through the debug port before
   * the loader is uploaded (the loader's first command then only waits for
   * it, so the upload costs nothing). NULL: the loader erases it. */
  int (*erase_start)(lf_session *s, struct lf_memap *m, const lf_flash_geometry *g,
                     const lf_flash_sector *sec, const lf_loader_cfg *cfg);
  /* "WRPERR ERSERR" for the status register's bits. */
  void (*status_names)(const lf_flash_geometry *g, uint32_t sr, char *buf, size_t len);
  /* Optional: whether the flash controller(s) still run an operation (read
   * over the debug port). After a link failure the loader is halted at once
   * and the operation in progress is awaited through this; NULL: the
   * slowest operation's datasheet maximum is waited out instead. */
  int (*flash_busy)(lf_session *s, struct lf_memap *m, const lf_flash_geometry *g, bool *busy);
  /* Optional: after a failed stream (the target stopped, faulted or made no
   * progress), reads what the target-side code says it was doing from the
   * control block at ctrl and adds it to the session's message. */
  void (*explain)(lf_session *s, lf_adi *a, const lf_flash_geometry *g, uint32_t ctrl, int rc);
  /* Optional: NULL = the streaming loader (blob ... above). */
  const lf_loader_direct *direct;
  /* Optional: the PROGRAM_Z routine (lf_loader_abi.h "The PROGRAM_Z region"),
   * position independent; NULL: no compressed upload */
  const unsigned char *zblob;
  const unsigned int *zblob_len;
  double z_core_hz;      /* the core clock while the routine inflates (the model's) */
  double z_cyc_per_byte; /* the routine's core cycles per output byte (inflate and whatever else
                            its core does per byte, measured on the bench); 0 = loader.c's
                            Z_CYC_PER_BYTE */
  /* Optional: the PROGRAM_BITS routine (LF_LOADER_PROGRAM_BITS steps),
   * position independent like zblob and uploaded into the same region
   * (the two take turns there) for a stream that has such steps; its
   * counters are a struct lf_ldr_bits at the region + LF_LDR_Z_WORK. NULL:
   * no bits-only programming */
  const unsigned char *bblob;
  const unsigned int *bblob_len;
  uint32_t z_chunk;      /* flash bytes per record at most (z_out_size; a multiple of 1 KiB and of
                            the program unit); 0 = LF_LOADER_ZCHUNK. The region takes
                            LF_LDR_Z_OUT + 2 x z_chunk bytes at the end of the RAM window. */
  /* The loader keeps its own words at the control block's 0x78 (the FLM
   * dispatcher's call tracking): the region's address travels in each
   * PROGRAM_Z command's result word instead, z_out_size is not written (its
   * records: at most LF_LOADER_ZCHUNK). */
  bool z_in_cmd;
  /* The routine cannot program while it inflates (the RP2040's ROM and an
   * FLM's ProgramPage hold the core): the model adds the two. */
  bool z_serial;
  /* The routine knows the record flags (lf_loader_abi.h LF_LDR_ZREC_*):
   * z_cont, the history across records and commands (the host then sends
   * records of z_chunk bytes from the stream's start: the routine inflates
   * as the bytes arrive, so a short first record gains nothing); z_bcj,
   * the Thumb branch filter (lf_bcj.h), which the host applies to every
   * record. */
  bool z_cont;
  bool z_bcj;
} lf_loader_adapter;

typedef enum lf_loader_step_kind {
  LF_LOADER_ERASE = 1,    /* addr = any address in the sector */
  LF_LOADER_MASS = 2,     /* addr = bank mask: bit b = bank b; every bank = one chip erase */
  LF_LOADER_PROGRAM = 3,  /* data[0..len) at addr; padded to the program unit with the erased value */
  LF_LOADER_PROGRAM_BITS = 4, /* addr = a sector's start, data[0..len) its new content from there
                                 (len in program units, at most lf_loader_bits_max; the rest of
                                 the sector is to read erased): the loader programs it without
                                 an erase when the new content only clears bits of the old and
                                 the rest reads erased, else erases it first (adapter bblob;
                                 lf_loader_abi.h PROGRAM_BITS) */
} lf_loader_step_kind;

struct lf_loader_step {
  lf_loader_step_kind kind;
  uint32_t addr;
  const uint8_t *data;
  size_t len;
};

struct lf_loader_range {
  uint32_t addr, len;
};

struct lf_loader_stats {
  /* host-observed, in lf_adi_now_ns units (virtual ns on the bench) */
  uint64_t start_ns;       /* lf_loader_start: blob upload + start */
  uint64_t run_ns;         /* lf_loader_run calls: first command posted .. last done */
  uint64_t crc_ns;         /* lf_loader_crc32 calls */
  uint64_t stop_ns;
  /* target-side, from DWT CYCCNT (0 when the core has no DWT) */
  uint64_t erase_cyc, prog_cyc, starve_cyc, crc_cyc;
  double core_hz;
  /* traffic */
  uint64_t commands;       /* commands posted */
  uint64_t data_bytes;     /* bytes streamed through the ring (incl. padding) */
  uint64_t stream_bytes;   /* of those, the current (or last) stream's */
  uint64_t stream_total;   /* the bytes that stream uploads in all (compressed when it is) */
  uint64_t uploads;        /* data write calls */
  uint64_t polls;          /* status block reads */
  uint64_t full_polls;     /* polls made because the ring or the queue was full */
  /* compressed upload (the last stream with program data) */
  bool z_used;             /* it was compressed */
  const char *z_why;       /* why (not): "off", "no inflater", "link bound", "flash bound", ... */
  uint64_t z_raw;          /* program bytes of that stream */
  uint64_t z_bytes;        /* their compressed size (records incl. headers), also when not used */
  double z_link_bps;       /* the link rate the decision used (0: none) */
  uint64_t z_pred_off_ns, z_pred_on_ns; /* the model's predictions */
  uint64_t z_up_ns, z_up_z_ns;          /* its parts: upload of the plain / compressed bytes, */
  uint64_t z_flash_ns, z_inflate_ns;    /* erase + program, inflate on the target's core */
  uint64_t z_total_raw, z_total_bytes;  /* every compressed stream so far */
  /* PROGRAM_BITS steps so far: done without an erase / needing it */
  uint64_t bits_kept, bits_erased;
};

typedef struct lf_loader lf_loader;

void lf_loader_cfg_default(lf_loader_cfg *cfg);

/* No I/O. cm must outlive the loader; g is copied. cfg NULL = defaults. The
 * adapter comes from g's family (LF_ENOTSUP when it has none);
 * lf_loader_new_with uses the given one. */
int lf_loader_new(lf_cm *cm, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                  lf_loader **out);
int lf_loader_new_with(lf_cm *cm, const lf_flash_geometry *g, const lf_loader_adapter *ad,
                       const lf_loader_cfg *cfg, lf_loader **out);
void lf_loader_free(lf_loader *l); /* no I/O, NULL-safe */

/* Core must be halted (LF_ETARGET otherwise). Sets DEMCR.TRCENA (cycle
 * counts), writes blob + control block, starts the loader. */
int lf_loader_start(lf_loader *l);
/* Streams the steps; returns when the target finished all of them. Every
 * step is checked before the first command is posted (LF_EINVAL naming the
 * step: address outside the flash, empty program). Not started yet (and not
 * stopped by an error): starts the loader itself, and when the first step
 * is a sector erase and the adapter can, starts that erase through the debug
 * port first, so the loader upload runs while the sector erases. */
int lf_loader_run(lf_loader *l, const lf_loader_step *steps, size_t n);
/* lf_loader_run, then the CRC32 of each range in the same stream: the CRCs
 * start the moment the last word is programmed, with no host round trip in
 * between (verify). */
int lf_loader_run_crc32(lf_loader *l, const lf_loader_step *steps, size_t n,
                        const lf_loader_range *r, size_t nr, uint32_t *crcs);
/* zlib crc32 of each range, computed on the target. */
int lf_loader_crc32(lf_loader *l, const lf_loader_range *r, size_t n, uint32_t *crcs);
/* EXIT command; waits for the core to halt at the loader's BKPT. Flash is
 * locked again. After a link failure in a run (a USB timeout or stall, the
 * loader perhaps waiting for data that never came, an EXIT queued behind it
 * never reached) it fails fast instead: the core is halted at once (no new
 * flash operation starts), the operation in progress is awaited (the
 * adapter's flash_busy; without one, the time itself) for at most the
 * longest datasheet maximum of the commands this loader posted (a mass
 * erase's only when one was posted) and the loader is stopped; the flash
 * stays unlocked until the reset that follows. */
int lf_loader_stop(lf_loader *l);

const lf_loader_stats *lf_loader_stats_get(const lf_loader *l);
/* Replaces cfg.compress for the next streams. ON or AUTO compress only when
 * the loader was made with compress not OFF (its RAM has the PROGRAM_Z
 * region then) and the adapter has the routine. */
void lf_loader_set_compress(lf_loader *l, lf_loader_compress c);
/* Replaces cfg.progress / cfg.progress_ctx (fn NULL: none). */
void lf_loader_set_progress(lf_loader *l, lf_loader_progress_fn fn, void *ctx);
/* The largest PROGRAM_BITS step (bytes: the ring while the routine is
 * loaded); 0 = the loader cannot program without erase. */
uint32_t lf_loader_bits_max(const lf_loader *l);
/* RAM layout chosen (for tests and logs). */
void lf_loader_layout(const lf_loader *l, uint32_t *ctrl, uint32_t *ring, uint32_t *ring_size);

/* ---- driving a plan (flash/plan.h) ---- */
struct lf_plan;

/* Smart flash: the target's CRC32 of every sector the plan wants one for
 * (lf_plan_set_target_crc), computed by the running loader in one batch. */
int lf_loader_plan_crcs(lf_loader *l, struct lf_plan *p);
/* The steps of a finalized plan: a mass erase first when the plan chose chip
 * erase, then per sector in address order its erase and its program ranges
 * (data points into the plan's content). *out is malloc'ed (free()); *n may
 * be 0 (nothing to do). */
int lf_loader_plan_steps(lf_session *s, const struct lf_plan *p, lf_loader_step **out, size_t *n);
/* The whole finalized plan in one stream: its steps, then the CRC32 of
 * every sector flagged verify, compared with the would-be CRCs (errors as
 * lf_loader_plan_verify). A sector the plan sends bits-only (lf_plan_sector.bits)
 * is one PROGRAM_BITS step. */
int lf_loader_plan_program(lf_loader *l, const struct lf_plan *p, unsigned *verified);
/* Verify: CRC32 on the target of every sector the plan flags, compared with
 * the plan's would-be CRC. A mismatch is LF_EIO naming the sector and both
 * CRCs; *verified (optional) = sectors checked. */
int lf_loader_plan_verify(lf_loader *l, const struct lf_plan *p, unsigned *verified);

const lf_loader_adapter *lf_loader_adapter_get(const lf_loader *l);
const lf_flash_geometry *lf_loader_geometry(const lf_loader *l);

#endif
