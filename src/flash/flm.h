/* CMSIS-Pack flash algorithms (FLM files) and the parts they program.
 *
 * An FLM is an ELF file (cmsis-pack-flm.md 1): the algorithm's code
 * (section PrgCode), its RW data (PrgData, PROGBITS and/or NOBITS), the
 * device description (DevDscr: struct FlashDevice, 2.1) and the entry points
 * Init, UnInit, EraseSector, ProgramPage (mandatory), EraseChip, Verify,
 * BlankCheck (optional) as symbols. lf_flm_parse reads and checks all of it
 * before anything touches a target; every error names the file, what is
 * wrong and where (file offset, section, symbol).
 *
 *     lf_flm *a;
 *     lf_flm_load(s, "STM32F7x_2048.FLM", &a);            // or lf_flm_parse(bytes)
 *     lf_flm_part_cfg c = {.ram_start = 0x20000000, .ram_size = 0x20000};
 *     lf_flm_part *p;
 *     lf_flm_part_new(s, a, &c, &p);                       // takes a
 *     lf_flash_geometry g;
 *     lf_flm_part_geometry(s, p, &g);                      // g.family -> p's adapter
 *     lf_loader_new(cm, &g, NULL, &l) ... as with a native family
 *     lf_flm_part_free(p);                                  // after every g and loader
 *
 * A part couples an algorithm with a flash range (the pack's <algorithm
 * start size>, default the algorithm's device) and a RAM window (the pack's
 * RAMstart/RAMsize or default RAM). Its geometry belongs to a family of its
 * own whose loader is the FLM adapter (flm_loader.c):
 *  - streamed (default): our dispatcher (loaders/flm.c) next to the
 *    algorithm serves the stream engine's queue and ring and calls
 *    EraseSector / ProgramPage / EraseChip per command (no host round trip
 *    per page); CRC32 with its own routine;
 *  - classic (RAM too small for that, or asked for): the host calls the
 *    algorithm once per page, two page buffers (the next page is uploaded
 *    while the current one programs); CRCs from bytes read over the debug
 *    port.
 * Program ranges of an FLM geometry are whole pages (geometry.page_size):
 * the algorithm always gets a page-aligned address and never crosses a page.
 *
 * Algorithms linked at a fixed address (a PrgCode address that lies in the
 * RAM window: e.g. a pyOCD built-in algorithm written out as an FLM) run
 * there; position-independent ones (PrgCode at 0, every vendor FLM) run at
 * the start of the RAM window. r9 = the static base (PrgData's address). */
#ifndef LF_FLASH_FLM_H
#define LF_FLASH_FLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"
#include "flash/family.h"

/* Entry points, in the order of their names (lf_flm_func_name). */
enum {
  LF_FLM_INIT = 0,
  LF_FLM_UNINIT,
  LF_FLM_ERASE_SECTOR,
  LF_FLM_PROGRAM_PAGE,
  LF_FLM_ERASE_CHIP,  /* optional: missing = EraseSector over every sector */
  LF_FLM_VERIFY,      /* optional, not called (flash is memory mapped: CRC32) */
  LF_FLM_BLANK_CHECK, /* optional, not called */
  LF_FLM_NFUNCS
};

/* Limits of what a sane FLM holds (an FLM beyond them is refused as absurd):
 * the algorithm's RAM image, a page (FlashOS.h PAGE_MAX), sectors entries
 * (SECTOR_NUM). */
#define LF_FLM_MAX_IMAGE (256u * 1024u)
#define LF_FLM_MAX_PAGE 65536u
#define LF_FLM_MAX_RANGES 512u

typedef struct lf_flm_range {
  uint32_t size;   /* each sector of the range */
  uint32_t offset; /* the range's first sector, from dev_addr */
} lf_flm_range;

typedef struct lf_flm {
  char *path;                 /* as given (errors and logs name it) */
  /* FlashDevice */
  uint16_t version, dev_type;
  char dev_name[129];
  uint32_t dev_addr, dev_size, page_size;
  uint8_t erased;             /* valEmpty */
  uint32_t prog_timeout_ms, erase_timeout_ms; /* as the file says (0: not given) */
  lf_flm_range *ranges;
  size_t nranges;
  /* the RAM image: PrgCode at 0, PrgData, zero-init after it */
  uint8_t *image;
  uint32_t image_size, code_size, data_off, data_size, zi_size;
  uint32_t link_addr;         /* PrgCode's address in the file */
  uint32_t entry[LF_FLM_NFUNCS]; /* offsets from the image start, Thumb bit set */
  bool has[LF_FLM_NFUNCS];
} lf_flm;

const char *lf_flm_func_name(int fn);

/* name: for messages (a path or "pack.zip:Flash/x.FLM"). data is copied. */
int lf_flm_parse(lf_session *s, const char *name, const uint8_t *data, size_t len, lf_flm **out);
int lf_flm_load(lf_session *s, const char *path, lf_flm **out);
void lf_flm_free(lf_flm *f); /* NULL-safe */

/* ---- a part programmed by an algorithm ---- */

typedef enum lf_flm_mode {
  LF_FLM_AUTO = 0,    /* streamed when the RAM window holds it, else classic */
  LF_FLM_STREAMED,
  LF_FLM_CLASSIC,
} lf_flm_mode;

typedef struct lf_flm_part_cfg {
  const char *name;           /* device name for the geometry (NULL: the algorithm's) */
  uint32_t flash_start, flash_size; /* range programmed; size 0 = the algorithm's device */
  uint32_t ram_start, ram_size;     /* RAM the algorithm, its buffers and stack may use */
  lf_flm_mode mode;
  /* Typical times of the part (a family table of the same chip), for the
   * plan's model and the benchmark floor; NULL: the algorithm's timeouts
   * stand in for them too. */
  const lf_flash_timing *typical;
  double core_hz;             /* core clock while the algorithm runs (stats); 0 = 16 MHz */
  uint32_t stack_size;        /* stack of the algorithm; 0 = 2 KiB */
  unsigned clk;               /* Init's clk argument (Hz); 0 like pyOCD and probe-rs */
  /* The flash takes a program over a unit that reads blank (no ECC: a part
   * luaflash knows whose geometry is not program_once). false: the
   * geometry is program_once, so erase avoidance stays off, as it must for
   * an algorithm whose flash luaflash cannot see. */
  bool blank_reprogram;
} lf_flm_part_cfg;

typedef struct lf_flm_part lf_flm_part;

/* Takes flm (freed on error too). Checks the range against the algorithm's
 * sectors and the RAM window against what the algorithm needs; LF_EINVAL
 * naming both when they do not fit. */
int lf_flm_part_new(lf_session *s, lf_flm *flm, const lf_flm_part_cfg *cfg, lf_flm_part **out);
void lf_flm_part_free(lf_flm_part *p);
const lf_flm *lf_flm_part_algo(const lf_flm_part *p);
/* "streamed" or "classic": what the adapter does. */
const char *lf_flm_part_mode(const lf_flm_part *p);
/* The geometry of the part's flash range (a family of its own). */
int lf_flm_part_geometry(lf_session *s, const lf_flm_part *p, lf_flash_geometry *g);
/* The part behind a geometry built by lf_flm_part_geometry, or NULL. */
const lf_flm_part *lf_flm_part_of(const lf_flash_geometry *g);

#endif
