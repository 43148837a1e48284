/* ARMv7-M helpers the on-target loaders share (included by a loader's
 * source, never by the host): barriers, RBIT, zlib's CRC-32 bit by bit for
 * heads and tails, and the Cortex-M7 D-cache clean + invalidate + disable
 * (stm32f7-target.md 11.8, 13 #6; RAZ on the M4, which has no cache). */
#ifndef LF_LDR_ARMV7M_H
#define LF_LDR_ARMV7M_H

#include <stdint.h>

#define LF_LDR_SCB_CCR 0xE000ED14u
#define LF_LDR_CCR_DC 0x10000u
#define LF_LDR_SCB_CCSIDR 0xE000ED80u
#define LF_LDR_SCB_CSSELR 0xE000ED84u
#define LF_LDR_SCB_DCCISW 0xE000EF74u

static inline void dsb(void) { __asm volatile("dsb" ::: "memory"); }
static inline void isb(void) { __asm volatile("isb" ::: "memory"); }

static inline uint32_t rbit(uint32_t v)
{
  uint32_t r;
  __asm("rbit %0, %1" : "=r"(r) : "r"(v));
  return r;
}

/* Reflected CRC-32 (zlib), bit by bit: only heads and tails shorter than a
 * word go through it, so a table would cost more upload time than it saves. */
static uint32_t crc_soft(uint32_t crc, const uint8_t *p, uint32_t n)
{
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc;
}

/* M7 D-cache on (firmware enabled it before the halt): clean + invalidate by
 * set/way, then leave it off, so the loader's flash reads and the host's RAM
 * writes are coherent. */
static void dcache_off(void)
{
  volatile uint32_t *ccr = (volatile uint32_t *)LF_LDR_SCB_CCR;
  if (!(*ccr & LF_LDR_CCR_DC))
    return;
  *(volatile uint32_t *)LF_LDR_SCB_CSSELR = 0; /* level 1 data cache */
  dsb();
  uint32_t id = *(volatile uint32_t *)LF_LDR_SCB_CCSIDR;
  uint32_t sets = ((id >> 13) & 0x7FFFu) + 1, ways = ((id >> 3) & 0x3FFu) + 1;
  uint32_t line = (id & 7u) + 4, wsh = ways > 1 ? (uint32_t)__builtin_clz(ways - 1) : 0;
  *ccr &= ~LF_LDR_CCR_DC;
  dsb();
  for (uint32_t s = 0; s < sets; s++)
    for (uint32_t w = 0; w < ways; w++)
      *(volatile uint32_t *)LF_LDR_SCB_DCCISW = (s << line) | (w << wsh);
  dsb();
  isb();
}

#endif
