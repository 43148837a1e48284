/* ARMv7-M helpers the on-target loaders share (included by a loader's
 * source, never by the host): barriers, RBIT, zlib's CRC-32 bit by bit for
 * heads and tails, zlib's CRC-32 on a programmable STM32 CRC unit, and the
 * Cortex-M7 D-cache clean + invalidate + disable (stm32f7-target.md 11.8,
 * 13 #6; RAZ on the M4, which has no cache). */
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
__attribute__((unused)) static void dcache_off(void)
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

/* Whole words from *pp through a programmable STM32 CRC unit at u (F7, H7:
 * DR 0x00, CR 0x08, INIT 0x10, POL 0x14), continuing zlib's running crc:
 * the unit's MSB-first register is the bit reverse of zlib's state (POL
 * 0x04C11DB7, INIT = rbit(crc), REV_IN by word, REV_OUT). 8 words per LDM
 * burst, one store each: the unit takes a word per AHB write, so the loop
 * is load/store bound. Returns zlib's state after them; *pp advances; the
 * unit's INIT and CR go back to their reset values. */
static inline uint32_t crc_unit_words(uint32_t u, const uint32_t **pp, uint32_t words, uint32_t crc)
{
  volatile uint32_t *dr = (volatile uint32_t *)u;
  const uint32_t *p = *pp;
  *(volatile uint32_t *)(u + 0x14u) = 0x04C11DB7u;
  *(volatile uint32_t *)(u + 0x10u) = rbit(crc);
  *(volatile uint32_t *)(u + 0x08u) = 0x60u | 0x80u | 0x1u; /* REV_IN word, REV_OUT, RESET */
  if (words >= 8) {
    uint32_t blocks = words >> 3;
    __asm volatile("1: ldmia %[p]!, {r4-r11}\n"
                   "   str r4, [%[dr]]\n   str r5, [%[dr]]\n   str r6, [%[dr]]\n"
                   "   str r7, [%[dr]]\n   str r8, [%[dr]]\n   str r9, [%[dr]]\n"
                   "   str r10, [%[dr]]\n   str r11, [%[dr]]\n"
                   "   subs %[n], %[n], #1\n   bne 1b\n"
                   : [p] "+r"(p), [n] "+r"(blocks)
                   : [dr] "r"(dr)
                   : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "cc", "memory");
    words &= 7;
  }
  while (words--)
    *dr = *p++;
  crc = *dr;
  *(volatile uint32_t *)(u + 0x10u) = 0xFFFFFFFFu; /* reset values back */
  *(volatile uint32_t *)(u + 0x08u) = 0x1u;
  *pp = p;
  return crc;
}

/* zlib crc32 of [a, a+n) on a programmable CRC unit at u: whole words
 * through crc_unit_words, an unaligned head, the tail and ranges under 16
 * bytes bit by bit. */
static inline uint32_t crc_prog_range(uint32_t u, uint32_t a, uint32_t n)
{
  uint32_t crc = 0xFFFFFFFFu;
  uint32_t head = (0u - a) & 3u;
  if (n < 16)
    return ~crc_soft(crc, (const uint8_t *)a, n);
  if (head) {
    crc = crc_soft(crc, (const uint8_t *)a, head);
    a += head;
    n -= head;
  }
  const uint32_t *p = (const uint32_t *)a;
  crc = crc_unit_words(u, &p, n >> 2, crc);
  return ~crc_soft(crc, (const uint8_t *)p, n & 3u);
}

#endif
