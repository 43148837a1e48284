/* The flash plan: from image segments, the chip's geometry and the settings,
 * decide per sector skip / erase / program and the exact bytes. Pure: no
 * probe, no I/O. What the plan needs from the target (old bytes for
 * keep_unwritten, CRC32s for smart flash) the caller supplies in between:
 *
 *     lf_plan *p;
 *     lf_plan_build(s, segs, nsegs, &geometry, &settings, &p);
 *     for each sector i with p->sector[i].nread:  read the ranges, lf_plan_set_old(...)
 *     for each sector i with p->sector[i].want_crc: crc on target, lf_plan_set_target_crc(p, i, crc)
 *     lf_plan_finalize(s, p);      // decisions, program ranges, CRCs, costs, summary
 *     ... the loader erases and programs what the plan says ...
 *     lf_plan_free(p);
 *
 * Decisions (all documented here, tested in tests/unit/test_plan.c):
 * - A sector is touched when the image has at least one byte in it. Its
 *   would-be content is the image bytes, and elsewhere 0xFF
 *   (keep_unwritten = false) or the sector's current bytes (keep_unwritten =
 *   true: those ranges are listed in `read` and must be supplied before
 *   finalize). Untouched sectors are skipped in sector-erase mode.
 * - erase = chip: one mass erase; every sector ends erased. With
 *   keep_unwritten every sector's old content must be read first (the whole
 *   array) and written back. erase = fastest: chip only when its modeled
 *   cost (mass erase + programming) is below the sector-erase cost (erasing
 *   every touched sector + programming); both are in the summary. erase =
 *   auto: as fastest, but a chip erase is considered only when it loses
 *   nothing outside the image: the image touches every sector, or every
 *   untouched sector is restored (keep_unwritten, or wholly protected) —
 *   never a surprise mass erase of data the image does not carry.
 * - Protected regions (settings.protect): an image byte inside one is
 *   LF_EINVAL naming the region; in every sector that gets erased their
 *   bytes are read ranges (restored after the erase), counted as programmed
 *   words in both cost estimates. With
 *   keep_unwritten both costs count every kept word as programmed (upper
 *   bound: the old bytes are not known yet). With a known upload rate
 *   (settings.link_bps) both costs are bounded below by the upload: in
 *   sector mode it overlaps the erases and the programming, after a mass
 *   erase only ring_bytes were uploaded during the erase and the rest must
 *   stream while programming. (2 MiB at 4 MHz SWD, ~164 KB/s: chip erase
 *   8 s + 9.6 s of link-bound programming loses to 8.3 s of sector erases
 *   overlapping the whole upload.)
 * - smart_flash (sector erase only): touched sectors want a CRC32 (zlib
 *   crc32) of their current content, computed on the target; a sector whose
 *   CRC equals the would-be CRC is skipped. With chip erase smart flash is
 *   pointless (every sector is erased anyway): no CRC is asked for and
 *   summary.smart_note says so. With keep_unwritten the old bytes are read
 *   before the CRC comparison (the would-be CRC depends on them).
 * - Program ranges: after an erase the flash reads the erased value (0xFF),
 *   so program units (words) that are all erased need not be written. A run
 *   of such words of at least ff_gap bytes splits a range (and is not
 *   written); shorter runs stay inside the range (writing 0xFF over erased
 *   flash is harmless) so the loader gets few, long ranges. Ranges are
 *   aligned to the program unit and never cross a sector. A geometry with
 *   pages (page_size: a CMSIS-Pack algorithm) gets whole pages instead:
 *   ranges start on a page, cover whole pages, an all-erased page is skipped. A touched sector
 *   whose would-be content is all 0xFF is only erased.
 * - Bits-only (erase_avoid and bits_only, geometry bits_only, sector
 *   erase): a touched sector that is neither blank nor unchanged may be
 *   programmed over its old content when the new content only clears bits
 *   (new AND old == new). Only the target knows the old bytes, so such a
 *   sector's content up to the end of its last program range is sent as
 *   one PROGRAM_BITS (its 0xFF bytes too; the loader checks that the rest
 *   reads erased) and the loader decides (lf_loader_abi.h): that costs the
 *   upload of the 0xFF bytes between the program ranges, and the sector's programming no longer
 *   overlaps its own upload (the loader waits for all of it), and when it
 *   must erase after all, the erase no longer overlaps the upload either.
 *   So it is tried only when that head fits the ring (ring_bytes: the
 *   loader's lf_loader_bits_max) and the sector's erase time exceeds the
 *   extra upload plus the lost overlap (the smaller of the head's upload
 *   and its programming) at link_bps; with
 *   no link rate or ring size, or before the caller sampled a few of its
 *   old bytes (lf_plan_bits_sample: a sector that surely needs its erase,
 *   as over other firmware, is not tried) the sector is counted in
 *   bits_want and erased as usual (the caller may measure the link, sample
 *   and finalize again).
 *   Its modeled cost is the programming alone (floor without the erase).
 * - Modeled cost (family table; SWD/USB not included): erase = sum of the
 *   sector erase times of erased sectors, or one mass erase; program = words
 *   (program operations in program ranges) x tPROG. floor = erase + program:
 *   what the flash itself needs, the bound the benchmark compares against.
 * - Independent banks (geometry parallel_banks: a controller per bank, the
 *   STM32H7): the banks erase and program at the same time, so each cost is
 *   the slowest bank's: floor = max over banks of (its sector erases + its
 *   programming), or with a chip erase the mass erase (every bank at once)
 *   + the slowest bank's programming; both "auto" estimates are per bank the
 *   same way. bank_ns[b] is each bank's own time, serial_ns their sum (one
 *   controller doing the banks in turn, a mass erase once per bank);
 *   without independent banks floor = serial = erase + program. The upload
 *   bound (link_bps) stays on the total bytes: the banks share the probe. */
#ifndef LF_FLASH_PLAN_H
#define LF_FLASH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"
#include "flash/family.h"
#include "flash/image.h"

typedef enum lf_erase_mode {
  LF_ERASE_SECTOR = 0,
  LF_ERASE_CHIP,
  LF_ERASE_AUTO,    /* the cheaper of the two, but a chip erase only when it destroys
                       nothing outside the image (see below) */
  LF_ERASE_FASTEST, /* the cheaper of the two, whatever it erases */
} lf_erase_mode;

/* Bytes the plan must never lose (calibration data, a bootloader): no image
 * byte may fall inside one; a sector holding protected bytes is erased only
 * when it must be (image data, chip erase), and then its protected bytes are
 * read first and written back, whatever keep_unwritten says. */
typedef struct lf_plan_protect {
  uint32_t addr, len;
  const char *name;
} lf_plan_protect;
typedef enum lf_verify_mode { LF_VERIFY_NONE = 0, LF_VERIFY_CRC, LF_VERIFY_READBACK } lf_verify_mode;

typedef struct lf_plan_settings {
  lf_erase_mode erase;   /* default LF_ERASE_AUTO */
  bool keep_unwritten;   /* default false */
  bool erase_avoid;      /* default false (Lua setting erase_avoid): a touched sector whose target CRC32 is that of an
                            erased sector is programmed without its erase (needs smart_flash's
                            CRCs; never on program_once geometries) */
  bool bits_only;        /* default false (Lua setting bits_only, with erase_avoid): see
                            "Bits-only" above */
  bool smart_flash;      /* default true */
  lf_verify_mode verify; /* default LF_VERIFY_CRC; recorded for the loader, sectors to verify are flagged */
  unsigned prog_unit;    /* bytes per program operation; 0 = the geometry's default */
  unsigned erase_unit;   /* parallelism of the erases (STM32 PSIZE as bytes) for their
                            datasheet times; 0 = prog_unit (Lua plan key erase_psize) */
  bool timing_max;       /* false: typical datasheet times (default), true: maxima */
  uint32_t ff_gap;       /* bytes of 0xFF words that split a program range; default 64 */
  uint32_t link_bps;     /* host -> target upload rate in bytes/s; 0 = unknown (default):
                            "auto" then compares flash times only */
  uint32_t ring_bytes;   /* the loader's ring (data uploaded during a mass erase) */
  const lf_plan_protect *protect; /* protected regions (borrowed by lf_plan_build only;
                                     plan->set has none) */
  size_t nprotect;
} lf_plan_settings;

typedef enum lf_sector_action {
  LF_SECTOR_SKIP = 0,  /* not erased, not written */
  LF_SECTOR_ERASE,     /* erased (by itself or by the chip erase), nothing written */
  LF_SECTOR_PROGRAM,   /* erased, then the program ranges written */
} lf_sector_action;

typedef struct lf_plan_range {
  uint32_t addr, len;
  bool filled; /* read ranges: old bytes supplied */
} lf_plan_range;

typedef struct lf_plan_sector {
  const lf_flash_sector *sector; /* into the geometry given to lf_plan_build */
  lf_sector_action action;
  const char *reason;            /* why, for people and for Lua */
  uint32_t image_bytes;          /* bytes of the image in this sector (0 = untouched) */
  bool by_chip_erase;            /* erased by the mass erase */
  bool erase_skipped;            /* PROGRAM without the erase: it read blank (erase avoidance) */
  bool bits;                     /* PROGRAM sent whole to the loader, which erases it only when
                                    the new content does not just clear bits of the old */
  bool bits_want;                /* a bits-only candidate waiting for the link rate and a sample
                                    (lf_plan_bits_sample) */
  bool bits_sampled, bits_veto;  /* sampled; the sample needs a 0 -> 1 bit (no bits-only) */
  bool want_crc;                 /* smart flash: target CRC wanted before finalize */
  bool have_target_crc;
  uint32_t target_crc;
  bool verify;                   /* programmed or erased and settings.verify != none */
  uint32_t crc;                  /* CRC32 of the would-be content (after finalize) */
  uint8_t *content;              /* would-be content, sector->size bytes (NULL: all 0xFF) */
  lf_plan_range *read;           /* keep_unwritten: ranges to read before finalize */
  size_t nread;
  lf_plan_range *prog;           /* after finalize: ranges to write, aligned to the program unit */
  size_t nprog;
  uint32_t prog_words;
  uint64_t erase_ns, prog_ns;    /* modeled (erase_ns 0 when erased by the chip erase) */
} lf_plan_sector;

typedef struct lf_plan_summary {
  lf_erase_mode erase_used;      /* LF_ERASE_SECTOR or LF_ERASE_CHIP */
  unsigned erased, programmed, unchanged, untouched; /* sector counts */
  unsigned blank;                /* of the programmed: without an erase, they read blank */
  unsigned bits;                 /* of the programmed: bits-only attempts (erased or not: the
                                    loader's stats tell) */
  unsigned bits_want;            /* sectors that could be tried bits-only but the model had no
                                    link rate / ring size (settings link_bps, ring_bytes) */
  uint64_t image_bytes;
  uint64_t program_bytes, program_words; /* words = program operations of prog_unit bytes */
  uint64_t read_bytes;           /* keep_unwritten and protected-region reads */
  uint64_t protect_bytes;        /* protected bytes read and written back (in erased sectors) */
  uint64_t crc_bytes;            /* bytes the target CRCs for smart flash */
  uint64_t verify_bytes;         /* bytes of sectors flagged for verify */
  uint64_t erase_ns, program_ns, floor_ns; /* floor = erase + program (independent banks:
                                              the slowest bank, see above) */
  uint64_t serial_ns;            /* every bank in turn: erase + program (independent banks:
                                    the sum of bank_ns, each bank's own mass erase included) */
  uint64_t bank_ns[LF_FLASH_MAX_BANKS]; /* each bank's erases + programming (mass erase: the
                                           mass erase + its programming) */
  uint64_t sector_cost_ns, chip_cost_ns;   /* the two estimates "auto" compared */
  const char *smart_note;        /* NULL, or why smart flash was not used */
  const char *auto_note;         /* NULL, or why erase = auto did not pick the faster chip erase */
} lf_plan_summary;

typedef struct lf_plan {
  lf_plan_settings set;          /* prog_unit filled in (never 0) */
  const lf_flash_geometry *g;
  unsigned nsectors;             /* = g->nsectors; sector[i] matches g->sector[i] */
  lf_plan_sector *sector;        /* nsectors (allocated) */
  lf_plan_summary sum;
  bool final;
} lf_plan;

void lf_plan_settings_default(lf_plan_settings *set);
const char *lf_plan_action_name(lf_sector_action a);   /* "skip", "erase", "program" */
const char *lf_plan_erase_name(lf_erase_mode m);        /* "sector", "chip", "auto", "fastest" */

/* segs: sorted, non-overlapping (lf_image_finish output); every byte must be
 * in the main array. g must outlive the plan. */
int lf_plan_build(lf_session *s, const lf_segment *segs, size_t nsegs, const lf_flash_geometry *g,
                  const lf_plan_settings *set, lf_plan **out);
/* Old flash bytes: every read range touching [addr, addr+len) must lie
 * inside it; the uncovered bytes of the would-be content are filled. */
int lf_plan_set_old(lf_session *s, lf_plan *p, uint32_t addr, const uint8_t *data, size_t len);
/* Target CRC32 (zlib) of sector i's current content. */
int lf_plan_set_target_crc(lf_session *s, lf_plan *p, unsigned i, uint32_t crc);
/* Bits-only: old flash bytes at addr (inside sector i) sampled by the
 * caller; a byte the image sets where the flash has a 0 bit vetoes the
 * sector (it needs its erase: not sent bits-only), on bits_blank_only
 * geometries also a byte that changes in a unit that does not read erased
 * (or is not wholly in the sample), unless bits_zero_ok and the new unit is
 * all zero. */
int lf_plan_bits_sample(lf_session *s, lf_plan *p, unsigned i, uint32_t addr, const uint8_t *old, size_t len);
/* Final decisions; LF_EINVAL if a read range was not supplied. */
int lf_plan_finalize(lf_session *s, lf_plan *p);
void lf_plan_free(lf_plan *p);

#endif
