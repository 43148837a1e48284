/* CMSIS-Pack device family packs (.pack: a zip with one .pdsc at its root):
 * the devices they describe and the flash algorithms (FLM) of each.
 * Facts: cmsis-pack-flm.md 5 (files, device tree and inheritance, memory
 * and algorithm attributes).
 *
 *     lf_pack *k;
 *     lf_pack_open(s, "Keil.STM32F7xx_DFP.2.16.0.pack", &k);  // zip + pdsc, every device resolved
 *     const lf_pack_device *d = lf_pack_find(k, "STM32F767ZI");
 *     lf_flm_part *p;
 *     lf_pack_part(s, k, d, &cfg, &p);                          // its default algorithm, RAM
 *     lf_pack_free(k);
 *
 * Inheritance: a device (or a variant: once a device has variants, only
 * they are selectable) sees the memories and algorithms of its family and
 * sub-family; an inner <memory> with the same name (or id) replaces the
 * outer one; an inner <algorithm> on the same range replaces the outer one.
 * The algorithm used is the default one (default="1", Keil style) that
 * covers the device's boot flash (the startup memory, else the first
 * read-only executable memory), the innermost when several do; its range is
 * clipped to that memory. RAM: the algorithm's RAMstart/RAMsize, else the
 * first default rwx memory (the spec's rule, 4.1).
 *
 * Debug sequences (<sequences>, <debugvars>) are read by nothing here:
 * luaflash runs none of them (README "CMSIS packs"). */
#ifndef LF_FLASH_PACK_H
#define LF_FLASH_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"
#include "flash/flm.h"

#define LF_PACK_MAX_MEMS 16
#define LF_PACK_MAX_ALGOS 16

typedef struct lf_pack_memory {
  char name[48];
  char access[16];          /* "rwx", "rx" ... (from id when access is absent) */
  uint32_t start, size;
  bool is_default, startup;
} lf_pack_memory;

typedef struct lf_pack_algo {
  char path[256];           /* inside the pack, '/' separators */
  uint32_t start, size;
  uint32_t ram_start, ram_size; /* ram_size 0: not given */
  bool is_default;
  int depth;                /* 0 family, 1 sub-family, 2 device, 3 variant */
} lf_pack_algo;

typedef struct lf_pack_device {
  char name[64];            /* Dname or Dvariant */
  char family[64], subfamily[64], device[64]; /* device: the Dname of a variant */
  char core[32];
  size_t nmem, nalgo;
  lf_pack_memory mem[LF_PACK_MAX_MEMS];
  lf_pack_algo algo[LF_PACK_MAX_ALGOS];
  int line;                 /* of its element in the pdsc */
} lf_pack_device;

typedef struct lf_pack lf_pack;

int lf_pack_open(lf_session *s, const char *path, lf_pack **out);
/* The same from a pack in memory (name: for messages; data is copied), and
 * from a .pdsc alone (no zip: lf_pack_part then fails, naming the member
 * it would read). Both for tests and the fuzz target. */
int lf_pack_open_buffer(lf_session *s, const char *name, const uint8_t *data, size_t len, lf_pack **out);
int lf_pack_open_pdsc(lf_session *s, const char *name, const uint8_t *xml, size_t len, lf_pack **out);
void lf_pack_free(lf_pack *k); /* NULL-safe */
const char *lf_pack_path(const lf_pack *k);
const char *lf_pack_pdsc(const lf_pack *k);      /* its name inside the zip */
const char *lf_pack_name(const lf_pack *k);      /* "Vendor.Name" */
size_t lf_pack_count(const lf_pack *k);
const lf_pack_device *lf_pack_device_at(const lf_pack *k, size_t i);
/* Case-insensitive; LF_EINVAL naming the pack and a few of its devices when
 * it has no such device, or listing the variants of a device named. */
int lf_pack_find(lf_session *s, const lf_pack *k, const char *name, const lf_pack_device **out);
/* The algorithm a device is flashed with (see above); LF_EINVAL when none. */
int lf_pack_device_algo(lf_session *s, const lf_pack *k, const lf_pack_device *d, const lf_pack_algo **algo,
                        const lf_pack_memory **flash);
/* The part: the algorithm read from the pack, its range, its RAM. cfg gives
 * mode, typical times, core clock, stack (its name, ranges and RAM are
 * filled from the pack; a ram_size set in cfg wins). */
int lf_pack_part(lf_session *s, const lf_pack *k, const lf_pack_device *d, const lf_flm_part_cfg *cfg,
                 lf_flm_part **out);

#endif
