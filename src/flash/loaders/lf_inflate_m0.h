/* The raw-deflate decoder of lf_inflate.h, tuned for the Cortex-M0+ of the
 * RP2040 routine (rp2040.c PROGRAM_Z), where the inflate is the bound:
 * same interface and results (prefix lfm_; the LFZ_E_* codes), written for
 * this project from lf_inflate.h and the RFC. Host-tested against zlib by
 * tests/unit/test_inflate_m0.c (test_inflate.c's cases, plus input that
 * arrives in pieces). What differs:
 *  - the bit reader keeps no separate count of input left (used == n is
 *    the end) and takes two bytes at a time where they are known to be
 *    there before the ring's end (one set of checks per two bytes);
 *  - a match is copied in runs between pump calls (one call per
 *    LFM_PUMP_MATCH bytes, not per 4: the call costs as much as the copy
 *    of a few bytes on the M0+);
 *  - the fast tables are cleared a word at a time, and the canonical
 *    codes' bit-reversed forms are counted up (reversed increment) instead
 *    of reversed bit by bit per symbol.
 *
 * Plain C99, fixed-width types, no library calls, static inline functions
 * only. */
#ifndef LF_INFLATE_M0_H
#define LF_INFLATE_M0_H

#include <stdint.h>

#ifndef LFZ_E_INPUT
#define LFZ_E_INPUT (-1)  /* ran out of input before the final block ended */
#define LFZ_E_OUTPUT (-2) /* the output would exceed its buffer */
#define LFZ_E_DATA (-3)   /* invalid stream: bad block type, code, length or distance */
#define LFZ_E_PUMP (-4)   /* the pump failed */
#endif

/* The output consumer, called with the bytes written so far (as
 * lf_inflate.h's lfz_pump_fn); non-zero stops with LFZ_E_PUMP. */
typedef int (*lfm_pump_fn)(void *ctx, const uint8_t *out, uint32_t done);
/* More input (as lfz_more_fn): the new count of input bytes there, more
 * than `used` (it waits for them). */
typedef uint32_t (*lfm_more_fn)(void *ctx, uint32_t used);

#define LFM_FAST 9u
#define LFM_NLIT 288u
#define LFM_NDIST 32u

/* Literal output bytes between pump calls, and match bytes. */
#ifndef LFM_PUMP_LIT
#define LFM_PUMP_LIT 4u
#endif
#ifndef LFM_PUMP_MATCH
#define LFM_PUMP_MATCH 16u
#endif

struct lfm_code {
  uint16_t count[16];
  uint16_t sym[LFM_NLIT];
  union {
    uint16_t fast[1u << LFM_FAST]; /* (length << 9) | symbol; 0 = a longer code */
    uint32_t fast2[1u << (LFM_FAST - 1)];
  };
};

struct lfm_work {
  struct lfm_code lit, dist;
  uint8_t lens[LFM_NLIT + LFM_NDIST];
};

#ifdef LFM_WORK_SIZE
_Static_assert(sizeof(struct lfm_work) <= LFM_WORK_SIZE, "inflater workspace");
#endif

#ifdef LFZ_MORE_FN
#define LFM_CALL_MORE(in) LFZ_MORE_FN((in)->mctx, (in)->used)
#else
#define LFM_CALL_MORE(in) (in)->more((in)->mctx, (in)->used)
#endif

struct lfm_in {
  const uint8_t *p, *end, *wrap;
  uint32_t bits, nbits; /* bit buffer, first bit lowest */
  uint32_t used, lim, n; /* bytes taken; bytes there (lim <= n); the input's length */
  lfm_more_fn more;
  void *mctx;
};

/* One more byte into the bit buffer: 0, or -1 at the end of the input. */
static inline int lfm_byte(struct lfm_in *in)
{
  if (in->used == in->lim) {
    if (in->lim == in->n)
      return -1;
    in->lim = LFM_CALL_MORE(in); /* lim < n only with a `more` */
  }
  in->used++;
  if (in->p == in->end)
    in->p = in->wrap;
  in->bits |= (uint32_t)*in->p++ << in->nbits;
  in->nbits += 8;
  return 0;
}

/* At least `need` (<= 25) bits; 0, or -1 at the end of the input. */
static inline int lfm_fill(struct lfm_in *in, uint32_t need)
{
  while (in->nbits < need) {
    const uint8_t *p = in->p;
    if (in->nbits <= 16 && in->lim - in->used >= 2 && in->end - p >= 2) {
      in->bits |= ((uint32_t)p[0] | (uint32_t)p[1] << 8) << in->nbits;
      in->p = p + 2;
      in->used += 2;
      in->nbits += 16;
    } else if (lfm_byte(in)) {
      return -1;
    }
  }
  return 0;
}

static inline int32_t lfm_bits(struct lfm_in *in, uint32_t n)
{
  if (lfm_fill(in, n))
    return -1;
  uint32_t v = in->bits & ((1u << n) - 1u);
  in->bits >>= n;
  in->nbits -= n;
  return (int32_t)v;
}

/* Builds code c from lens[0..n): 0, or LFZ_E_DATA (as lfz_build). */
static inline int lfm_build(struct lfm_code *c, const uint8_t *lens, uint32_t n, int sparse)
{
  uint16_t first[16];
  uint32_t i;
  for (i = 0; i < 16; i++)
    c->count[i] = 0;
  for (i = 0; i < n; i++)
    c->count[lens[i]]++;
  c->count[0] = 0;
  int32_t room = 1;
  for (i = 1; i < 16; i++) {
    room = 2 * room - c->count[i];
    if (room < 0)
      return LFZ_E_DATA;
  }
  if (room > 0) {
    uint32_t longer = 0;
    for (i = 2; i < 16; i++)
      longer += c->count[i];
    if (!sparse || longer)
      return LFZ_E_DATA;
  }
  first[1] = 0;
  for (i = 1; i < 15; i++)
    first[i + 1] = (uint16_t)(first[i] + c->count[i]);
  for (i = 0; i < n; i++)
    if (lens[i])
      c->sym[first[lens[i]]++] = (uint16_t)i;
  for (i = 0; i < (1u << (LFM_FAST - 1)); i++)
    c->fast2[i] = 0;
  /* the canonical codes of length <= LFM_FAST in order, their bit-reversed
   * form counted up: a code one longer keeps it (the new last bit is a 0
   * at the reversed form's top) */
  uint32_t rev = 0, k = 0;
  for (uint32_t len = 1; len <= LFM_FAST; len++) {
    uint32_t step = 1u << len;
    for (uint32_t j = 0; j < c->count[len]; j++, k++) {
      uint16_t e = (uint16_t)((len << 9) | c->sym[k]);
      for (uint32_t x = rev; x < (1u << LFM_FAST); x += step)
        c->fast[x] = e;
      uint32_t bit = 1u << (len - 1); /* the reversed increment */
      while (rev & bit) {
        rev ^= bit;
        bit >>= 1;
      }
      rev |= bit;
    }
  }
  return 0;
}

/* Next symbol of code c; -1 (end of input or no such code). */
static inline int32_t lfm_decode(struct lfm_in *in, const struct lfm_code *c)
{
  if (in->nbits < LFM_FAST)
    lfm_fill(in, LFM_FAST); /* may come short at the very end: checked below */
  uint32_t e = c->fast[in->bits & ((1u << LFM_FAST) - 1u)];
  if (e) {
    uint32_t len = e >> 9;
    if (len > in->nbits)
      return -1;
    in->bits >>= len;
    in->nbits -= len;
    return (int32_t)(e & 0x1FFu);
  }
  int32_t code = 0, firstc = 0, index = 0;
  for (uint32_t len = 1; len < 16; len++) {
    int32_t b = lfm_bits(in, 1);
    if (b < 0)
      return -1;
    code |= b;
    int32_t cnt = c->count[len];
    if (code - firstc < cnt)
      return c->sym[index + code - firstc];
    index += cnt;
    firstc = (firstc + cnt) << 1;
    code <<= 1;
  }
  return -1;
}

static inline uint32_t lfm_len_base(uint32_t i, uint32_t *extra)
{
  if (i < 8) {
    *extra = 0;
    return 3 + i;
  }
  if (i == 28) {
    *extra = 0;
    return 258;
  }
  uint32_t e = (i >> 2) - 1;
  *extra = e;
  return 3 + ((4u + (i & 3u)) << e);
}

static inline uint32_t lfm_dist_base(uint32_t i, uint32_t *extra)
{
  if (i < 4) {
    *extra = 0;
    return 1 + i;
  }
  uint32_t e = (i >> 1) - 1;
  *extra = e;
  return 1 + ((2u + (i & 1u)) << e);
}

/* The pump also runs while a dynamic block's header is decoded (every 32
 * code lengths and after each code is built: o bytes, unchanged): a
 * consumer with earlier output still to take (the RP2040 routine's carry)
 * keeps the flash busy meanwhile. */
#define LFM_PUMP_HDR()                                                                            \
  do {                                                                                             \
    if (pump && pump(ctx, out, o))                                                                 \
      return LFZ_E_PUMP;                                                                           \
  } while (0)

static inline int lfm_dynamic(struct lfm_in *in, struct lfm_work *w, lfm_pump_fn pump, void *ctx,
                              const uint8_t *out, uint32_t o)
{
  int32_t hlit = lfm_bits(in, 5), hdist = lfm_bits(in, 5), hclen = lfm_bits(in, 4);
  if (hclen < 0)
    return LFZ_E_INPUT;
  hlit += 257;
  hdist += 1;
  hclen += 4;
  if (hlit > 286 || hdist > 30)
    return LFZ_E_DATA;
  uint8_t cl[19];
  for (uint32_t i = 0; i < 19; i++)
    cl[i] = 0;
  for (int32_t i = 0; i < hclen; i++) {
    /* RFC order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 15 */
    uint32_t pos = i < 3 ? (uint32_t)(16 + i)
                   : i == 3 ? 0u
                   : (i & 1) ? (uint32_t)(7 - ((i - 5) >> 1))
                             : (uint32_t)(8 + ((i - 4) >> 1));
    int32_t v = lfm_bits(in, 3);
    if (v < 0)
      return LFZ_E_INPUT;
    cl[pos] = (uint8_t)v;
  }
  int r = lfm_build(&w->lit, cl, 19, 0);
  if (r)
    return r;
  LFM_PUMP_HDR();
  uint32_t n = 0, total = (uint32_t)(hlit + hdist), syms = 0;
  while (n < total) {
    if (!(++syms & 31u))
      LFM_PUMP_HDR();
    int32_t s = lfm_decode(in, &w->lit);
    if (s < 0)
      return in->used < in->n || in->nbits ? LFZ_E_DATA : LFZ_E_INPUT;
    if (s < 16) {
      w->lens[n++] = (uint8_t)s;
      continue;
    }
    uint32_t val = 0, rep;
    int32_t x;
    if (s == 16) {
      if (!n)
        return LFZ_E_DATA;
      val = w->lens[n - 1];
      x = lfm_bits(in, 2);
      rep = 3;
    } else if (s == 17) {
      x = lfm_bits(in, 3);
      rep = 3;
    } else if (s == 18) {
      x = lfm_bits(in, 7);
      rep = 11;
    } else {
      return LFZ_E_DATA;
    }
    if (x < 0)
      return LFZ_E_INPUT;
    rep += (uint32_t)x;
    if (n + rep > total)
      return LFZ_E_DATA;
    while (rep--)
      w->lens[n++] = (uint8_t)val;
  }
  if (!w->lens[256])
    return LFZ_E_DATA;
  if ((r = lfm_build(&w->dist, w->lens + hlit, (uint32_t)hdist, 1)))
    return r;
  LFM_PUMP_HDR();
  return lfm_build(&w->lit, w->lens, (uint32_t)hlit, 1);
}

static inline void lfm_fixed(struct lfm_work *w)
{
  uint32_t i = 0;
  for (; i < 144; i++)
    w->lens[i] = 8;
  for (; i < 256; i++)
    w->lens[i] = 9;
  for (; i < 280; i++)
    w->lens[i] = 7;
  for (; i < 288; i++)
    w->lens[i] = 8;
  for (i = 0; i < 32; i++)
    w->lens[288 + i] = 5;
  lfm_build(&w->lit, w->lens, 288, 0);
  lfm_build(&w->dist, w->lens + 288, 32, 0);
}

/* As lfz_inflate_io: the stream in (n bytes: [p, end), then from wrap)
 * into out[0..cap), hist bytes of earlier output before out; `there` bytes
 * are there, `more` brings the rest. The bytes written or LFZ_E_*. */
static inline int32_t lfm_inflate_io(struct lfm_work *w, const uint8_t *p, const uint8_t *end,
                                     const uint8_t *wrap, uint32_t n, uint8_t *out, uint32_t cap,
                                     uint32_t hist, lfm_pump_fn pump, void *ctx, uint32_t there,
                                     lfm_more_fn more, void *mctx)
{
  struct lfm_in in = {p, end, wrap, 0, 0, 0, there < n ? there : n, n, more, mctx};
  uint32_t o = 0;
  for (;;) {
    int32_t hdr = lfm_bits(&in, 3);
    if (hdr < 0)
      return LFZ_E_INPUT;
    uint32_t type = (uint32_t)hdr >> 1;
    if (type == 0) { /* stored: to a byte boundary, LEN, NLEN, bytes */
      in.bits >>= in.nbits & 7u;
      in.nbits -= in.nbits & 7u;
      int32_t len = lfm_bits(&in, 16), nlen = lfm_bits(&in, 16);
      if (nlen < 0)
        return LFZ_E_INPUT;
      if ((uint32_t)len != (~(uint32_t)nlen & 0xFFFFu))
        return LFZ_E_DATA;
      if ((uint32_t)len > cap - o)
        return LFZ_E_OUTPUT;
      while (len && in.nbits) { /* whole bytes still in the bit buffer */
        out[o++] = (uint8_t)in.bits;
        in.bits >>= 8;
        in.nbits -= 8;
        len--;
      }
      if ((uint32_t)len > in.n - in.used)
        return LFZ_E_INPUT;
      while (len--) {
        lfm_byte(&in); /* cannot fail: len <= what is left */
        out[o++] = (uint8_t)in.bits;
        in.bits = 0;
        in.nbits = 0;
        if ((o & 3u) == 0 && pump && pump(ctx, out, o))
          return LFZ_E_PUMP;
      }
    } else if (type == 3) {
      return LFZ_E_DATA;
    } else {
      if (type == 1)
        lfm_fixed(w);
      else {
        int r = lfm_dynamic(&in, w, pump, ctx, out, o);
        if (r)
          return r;
      }
      uint32_t pumped = o;
      for (;;) {
        if (pump && o - pumped >= LFM_PUMP_LIT) {
          pumped = o;
          if (pump(ctx, out, o))
            return LFZ_E_PUMP;
        }
        int32_t s = lfm_decode(&in, &w->lit);
        if (s < 0)
          return in.used < in.n || in.nbits ? LFZ_E_DATA : LFZ_E_INPUT;
        if (s < 256) {
          if (o >= cap)
            return LFZ_E_OUTPUT;
          out[o++] = (uint8_t)s;
          continue;
        }
        if (s == 256)
          break;
        if (s > 285)
          return LFZ_E_DATA;
        uint32_t extra, len = lfm_len_base((uint32_t)s - 257, &extra);
        int32_t x = lfm_bits(&in, extra);
        if (x < 0)
          return LFZ_E_INPUT;
        len += (uint32_t)x;
        int32_t ds = lfm_decode(&in, &w->dist);
        if (ds < 0)
          return in.used < in.n || in.nbits ? LFZ_E_DATA : LFZ_E_INPUT;
        if (ds > 29)
          return LFZ_E_DATA;
        uint32_t dist = lfm_dist_base((uint32_t)ds, &extra);
        if ((x = lfm_bits(&in, extra)) < 0)
          return LFZ_E_INPUT;
        dist += (uint32_t)x;
        if (dist > o + hist)
          return LFZ_E_DATA;
        if (len > cap - o)
          return LFZ_E_OUTPUT;
        /* in runs up to the next pump call (from the history when dist > o) */
        uint8_t *d = out + o;
        const uint8_t *s2 = d - dist;
        o += len;
        while (len) {
          uint32_t run = len < LFM_PUMP_MATCH ? len : LFM_PUMP_MATCH;
          len -= run;
          while (run--)
            *d++ = *s2++;
          if (pump && len) {
            if (pump(ctx, out, o - len))
              return LFZ_E_PUMP;
          }
        }
      }
    }
    if (hdr & 1)
      return (int32_t)o;
  }
}

static inline int32_t lfm_inflate(struct lfm_work *w, const uint8_t *p, const uint8_t *end,
                                  const uint8_t *wrap, uint32_t n, uint8_t *out, uint32_t cap)
{
  return lfm_inflate_io(w, p, end, wrap, n, out, cap, 0, 0, 0, n, 0, 0);
}

#endif
