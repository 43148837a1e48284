/* The Thumb branch filter of compressed upload (lf_loader_abi.h
 * LF_LDR_ZREC_BCJ): written for this project after the idea of the branch
 * converters of xz ("BCJ"). A Thumb BL is a pair of half-words, the first
 * 0xF000-0xF7FF (offset bits 21..11), the second 0xF800-0xFFFF (offset bits
 * 10..0), the offset in half-words from the pair's address + 4. Calls to the
 * same function from many places have different offsets but one target, so
 * the host rewrites each pair's offset into the absolute target (the
 * deflater then finds the repeats) and the target rewrites it back before it
 * programs.
 *
 * Which half-words are pairs is decided scanning a record from its start, by
 * the pattern bits alone (the conversion keeps them): at offset p (even), a
 * pair when p + 4 <= the record's length and the pattern matches, then the
 * scan goes on at p + 4, else at p + 2. Both directions see the same pairs.
 *
 * Plain C, static inline, no globals (the loaders include it; so do the
 * host and its tests). */
#ifndef LF_BCJ_H
#define LF_BCJ_H

#include <stdint.h>

static inline int lfb_is_pair(const uint8_t *b)
{
  return (b[1] & 0xF8u) == 0xF0u && (b[3] & 0xF8u) == 0xF8u;
}

/* The pair at b (flash address a) into o (may be b): enc = relative to
 * absolute, else back; modulo the 22-bit field. */
static inline void lfb_pair(const uint8_t *b, uint32_t a, int enc, uint8_t *o)
{
  uint32_t v = (uint32_t)(b[1] & 7u) << 19 | (uint32_t)b[0] << 11 | (uint32_t)(b[3] & 7u) << 8 | b[2];
  uint32_t pc = (a + 4u) >> 1;
  v = (enc ? v + pc : v - pc) & 0x3FFFFFu;
  o[0] = (uint8_t)(v >> 11);
  o[1] = (uint8_t)(0xF0u | (v >> 19));
  o[2] = (uint8_t)v;
  o[3] = (uint8_t)(0xF8u | ((v >> 8) & 7u));
}

/* A whole record in place: n bytes at flash address a. */
static inline void lfb_filter(uint8_t *b, uint32_t n, uint32_t a, int enc)
{
  for (uint32_t p = 0; p + 4 <= n;) {
    if (lfb_is_pair(b + p)) {
      lfb_pair(b + p, a + p, enc, b + p);
      p += 4;
    } else {
      p += 2;
    }
  }
}

/* Undoing the filter unit by unit while a record is still being inflated
 * (the filtered bytes stay in the output buffer: they are the next
 * records' history). Starts as LFB_START per record. */
struct lfb_state {
  uint32_t scan; /* next record offset to look at */
  uint32_t at;   /* record offset of c[0] (LFB_NONE: no pair yet) */
  uint8_t c[4];  /* the last pair, converted */
};
#define LFB_NONE 0x80000000u
#define LFB_START {0, LFB_NONE, {0}}

/* The bytes needed past a unit before it can be undone (a pair starting in
 * it may end up to 3 bytes after it). */
#define LFB_LAG 3u

/* c's bytes that fall into the unit w of u bytes, c[0] at unit offset rel
 * (modulo 2^32: a pair that began before the unit has rel = -1 .. -3). */
static inline void lfb_put(uint8_t *w, uint32_t rel, uint32_t u, const uint8_t *c)
{
  for (uint32_t i = 0; i < 4; i++)
    if (rel + i < u)
      w[rel + i] = c[i];
}

/* The unit [d, d + u) (u <= 8) of a record of olen bytes at flash address a
 * into w, unfiltered; out holds the record's filtered bytes at least up to
 * d + u + LFB_LAG (or all olen). Units are taken in order. */
static inline void lfb_unit(struct lfb_state *s, const uint8_t *out, uint32_t d, uint32_t u, uint32_t olen,
                            uint32_t a, uint8_t *w)
{
  for (uint32_t i = 0; i < u; i++)
    w[i] = out[d + i];
  lfb_put(w, s->at - d, u, s->c);
  while (s->scan < d + u) {
    uint32_t p = s->scan;
    s->scan = p + 2;
    if (p + 4 <= olen && lfb_is_pair(out + p)) {
      lfb_pair(out + p, a + p, 0, s->c);
      s->at = p;
      lfb_put(w, p - d, u, s->c);
      s->scan = p + 4;
    }
  }
}

#endif
