/* The device description every CMSIS-Pack flash algorithm (FLM) carries in
 * its DevDscr section, as luaflash's own test algorithms declare it. Layout
 * from the facts in cmsis-pack-flm.md 2.1 (offsets 0..160 fixed, then 512
 * {size, offset} sector pairs, 4256 bytes in all); src/flash/flm.c reads the
 * same offsets. */
#ifndef LF_FLM_DEVICE_H
#define LF_FLM_DEVICE_H

#include <stdint.h>

#define LF_FLM_VERSION 0x0101u   /* driver version 1.01, as every FLM checked (2.1) */
#define LF_FLM_ONCHIP 1u         /* DevType: on-chip flash */
#define LF_FLM_SECTORS 512
#define LF_FLM_SECTOR_END {0xFFFFFFFFu, 0xFFFFFFFFu}

struct lf_flm_sector {
  uint32_t size;   /* bytes of each sector in this range */
  uint32_t offset; /* first sector of the range, from dev_addr */
};

struct lf_flm_device {
  uint16_t version;
  char name[128];
  uint16_t type;
  uint32_t dev_addr;
  uint32_t dev_size;
  uint32_t page_size;     /* bytes per ProgramPage call */
  uint32_t reserved;
  uint8_t empty;          /* value of an erased byte */
  uint8_t pad[3];
  uint32_t prog_timeout_ms;
  uint32_t erase_timeout_ms;
  struct lf_flm_sector sectors[LF_FLM_SECTORS];
};

_Static_assert(sizeof(struct lf_flm_device) == 4256, "FlashDevice is 4256 bytes");

#endif
