/* Images: raw binary, Intel HEX, ELF32 (little-endian ARM) and Motorola
 * S-record files -> one sorted set of merged segments.
 *
 *     lf_image *im = lf_image_new();
 *     lf_image_add_file(s, im, "boot.hex", LF_IMAGE_AUTO, 0);
 *     lf_image_add_file(s, im, "app.bin", LF_IMAGE_BIN, 0x08008000);
 *     lf_image_finish(s, im, &geometry, LF_REGION_MAIN);   // alias, range check, merge
 *     for (size_t i = 0; i < lf_image_count(im); i++) use(lf_image_segment(im, i));
 *     lf_image_free(im);
 *
 * Parsing never touches a target. Errors name the file and the line (HEX,
 * S-record; "line 3 column 9") or byte offset (ELF, binary) and say what was
 * expected. lf_image_finish translates addresses through the geometry's
 * alias table (F7: 0x00200000 + x -> 0x08000000 + x), rejects any byte
 * outside the allowed writable regions (naming the first such address and
 * where it came from), and merges: adjacent data joins one segment,
 * overlapping data must be identical (else both sources and the address are
 * named). Several files may be added before one finish (bootloader + app). */
#ifndef LF_FLASH_IMAGE_H
#define LF_FLASH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"
#include "flash/family.h"

typedef enum lf_image_format {
  LF_IMAGE_AUTO = 0, /* by content: ELF magic, ':' (HEX), "S0".."S9" (S-record); else binary if a base was given */
  LF_IMAGE_BIN,
  LF_IMAGE_IHEX,
  LF_IMAGE_ELF,
  LF_IMAGE_SREC,
  LF_IMAGE_UF2,
} lf_image_format;

/* base argument of the add functions when there is no base address:
 * an undetected format is then an error instead of a raw binary. */
#define LF_IMAGE_NO_BASE UINT64_MAX

typedef struct lf_segment {
  uint32_t addr;
  uint32_t len;
  uint8_t *data;
} lf_segment;

typedef struct lf_image lf_image;

lf_image *lf_image_new(void);
void lf_image_free(lf_image *im);

/* The largest image file read (a file or a buffer), so that a huge or
 * endless input (a HEX of millions of records, /dev/zero) is refused with a
 * clear error instead of exhausting memory: parsing needs about 3x the file
 * in memory. 0 = the default, LF_IMAGE_MAX_FILE (256 MiB: flash is at most
 * a few MiB, a HEX about 3x its data). */
#define LF_IMAGE_MAX_FILE (256ull << 20)
void lf_image_set_max_file(lf_image *im, uint64_t bytes);

/* "bin", "hex"/"ihex", "elf", "srec"/"s19"/"s28"/"s37"/"mot", "auto" -> format; -1 if unknown. */
int lf_image_format_parse(const char *name);
const char *lf_image_format_name(lf_image_format f);

/* Parses one file / buffer into the image. base: load address of a raw
 * binary (LF_IMAGE_BIN or AUTO falling back to binary); ignored otherwise.
 * name is used in messages. On error nothing of that file is kept. */
int lf_image_add_file(lf_session *s, lf_image *im, const char *path, lf_image_format fmt, uint64_t base);
int lf_image_add_buffer(lf_session *s, lf_image *im, const char *name, const uint8_t *buf, size_t len,
                        lf_image_format fmt, uint64_t base);

/* UF2 (512-byte blocks, github.com/microsoft/uf2): every block is checked
 * (the three magic numbers, payload size and bounds, block numbers against
 * numBlocks per family: none missing, none twice), "not main flash" and
 * file-container blocks are skipped, blocks with a family ID are kept for
 * lf_image_finish, which takes the family of the geometry's chip
 * (lf_family.uf2_family) and ignores the others, as the format says; a file
 * with no block of the chip's family is refused naming both. */

/* The name of a UF2 family ID ("RP2040", "STM32F7"), NULL when unknown. */
const char *lf_uf2_family_name(uint32_t id);

/* Translates aliases, checks writable regions (g may be NULL: no alias, no
 * check; regions: mask of LF_REGION_* kinds allowed), sorts and merges.
 * After it the segments are valid; adding more files needs a new finish. */
int lf_image_finish(lf_session *s, lf_image *im, const lf_flash_geometry *g, unsigned regions);

/* Per-board data (serial number, MAC, calibration) laid over the image's
 * bytes at addr: replaces what the files put there, or adds bytes where they
 * put nothing. The image is finished again at once (g, regions as for
 * lf_image_finish: the patch is range-checked like file data) and keeps the
 * patch through later finishes; on error it is left as it was. Patches apply
 * in the order they were made. name is used in messages ("serial number"). */
int lf_image_patch(lf_session *s, lf_image *im, const char *name, uint32_t addr, const uint8_t *data,
                   size_t len, const lf_flash_geometry *g, unsigned regions);

/* Segments are one array sorted by address: lf_image_segment(im, 0) is its
 * start (what lf_plan_build takes), NULL when i >= count. Valid until the
 * next finish or free. */
size_t lf_image_count(const lf_image *im);
const lf_segment *lf_image_segment(const lf_image *im, size_t i);
/* Sum of segment lengths. */
uint64_t lf_image_bytes(const lf_image *im);
/* Where the image's byte at addr (a flash address: file addresses are
 * translated through g's aliases; g may be NULL) came from, in buf:
 * "app.hex line 12", "app.bin offset 0x10", or a patch's name (the last
 * patch holding it wins, as in the image). false when nothing holds it. */
bool lf_image_source(const lf_image *im, const lf_flash_geometry *g, uint32_t addr, char *buf, size_t n);
/* Start address from the file (ELF e_entry, HEX 03/05, S7/S8/S9), or UINT64_MAX. */
uint64_t lf_image_entry(const lf_image *im);

#endif
