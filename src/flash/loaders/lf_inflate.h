/* A small raw-deflate (RFC 1951) decoder for the on-target loaders, and
 * the host build (fuzzed: tests/fuzz/fuzz_inflate.c; checked against zlib:
 * tests/unit/test_inflate.c). Written for this project from the RFC.
 *
 * One call decodes one whole deflate stream (stored, fixed and dynamic
 * Huffman blocks) from an input that may wrap once around a ring buffer
 * into a flat output buffer, with no state between calls and no globals
 * (the loaders have no .data/.bss): the caller passes a workspace
 * (struct lfz_work, ~2.6 KiB) and the input
 *
 *     in = [p, end) then [wrap, ...) for a total of n bytes
 *
 * Back-references reach into this call's output and, with lfz_inflate_io,
 * into `hist` bytes before it (the previous chunk: a preset dictionary). Every read is bounded by n, every write by the
 * output's size: a truncated, corrupt or hostile stream ends with a
 * negative LFZ_E* code, never a read or write outside the buffers.
 *
 * Decoding is table-driven: a code's first LFZ_FAST bits index a table
 * (symbol, length); longer codes (rare: at most 15 bits) go on bit by bit
 * through the canonical code's per-length counts.
 *
 * Plain C99, fixed-width types, no library calls: static inline functions
 * only, so each includer gets its own copy (the loaders are single files).
 *
 * Per-routine options (the same results with each: the host tests and fuzz
 * replays are built with them too, cmake/inflate.cmake): LFZ_RBIT and
 * LFZ_COMPACT (below, the F2/F4/F7 routine), LFZ_M0 (the RP2040 routine,
 * where the Cortex-M0+'s inflate is the bound):
 *  - the bit reader keeps no separate count of input left (used == n is
 *    the end) and takes two bytes at a time where they are known to be
 *    there before the ring's end (one set of checks per two bytes);
 *  - a match is copied in runs between pump calls (one call per
 *    LFZ_PUMP_MATCH bytes, not per 4: the call costs as much as the copy
 *    of a few bytes on the M0+);
 *  - the fast tables are cleared a word at a time, and the canonical
 *    codes' bit-reversed forms are counted up (reversed increment) instead
 *    of reversed bit by bit per symbol;
 *  - the pump also runs while a dynamic block's header is decoded. */
#ifndef LF_INFLATE_H
#define LF_INFLATE_H

#include <stdint.h>

#ifdef LF_INFLATE_HOST_RBIT /* the host tests' stand-in for RBIT (LFZ_RBIT below) */
static inline uint32_t lfz_host_rbit(uint32_t v)
{
  uint32_t r = 0;
  for (int b = 0; b < 32; b++)
    r |= ((v >> b) & 1u) << (31 - b);
  return r;
}
#endif

/* results (>= 0: bytes written) */
#define LFZ_E_INPUT (-1)  /* ran out of input before the final block ended */
#define LFZ_E_OUTPUT (-2) /* the output would exceed its buffer */
#define LFZ_E_DATA (-3)   /* invalid stream: bad block type, code, length or distance */
#define LFZ_E_PUMP (-4)   /* the pump (below) failed */

/* Optional consumer of the output as it grows: called after every decoded
 * symbol (and stored byte) with the bytes written so far; the loaders
 * program one flash word per call, so inflating runs while the flash
 * programs. Non-zero stops the inflate with LFZ_E_PUMP. */
typedef int (*lfz_pump_fn)(void *ctx, const uint8_t *out, uint32_t done);

#define LFZ_FAST 9u            /* bits of the first table lookup */
#define LFZ_NLIT 288u          /* literal/length symbols (286, 287 invalid) */
#define LFZ_NDIST 32u          /* distance symbols (30, 31 invalid) */

/* One Huffman code: per-length counts and the symbols in canonical order
 * (for codes longer than LFZ_FAST), and the fast table: entry = (length
 * << 9) | symbol for a code of at most LFZ_FAST bits whose bits (first bit
 * = lowest) index it; 0 = a longer code starts with these bits. */
struct lfz_code {
  uint16_t count[16];
  uint16_t sym[LFZ_NLIT];
#ifdef LFZ_M0
  union {
    uint16_t fast[1u << LFZ_FAST];
    uint32_t fast2[1u << (LFZ_FAST - 1)]; /* cleared a word at a time */
  };
#else
  uint16_t fast[1u << LFZ_FAST];
#endif
};

struct lfz_work {
  struct lfz_code lit, dist;
  uint8_t lens[LFZ_NLIT + LFZ_NDIST];
};

#ifdef LF_LDR_ZWORK_SIZE
_Static_assert(sizeof(struct lfz_work) <= LF_LDR_ZWORK_SIZE, "PROGRAM_Z workspace");
#endif

/* Optional source of more input (a stream still arriving): called when the
 * bytes known to be there (lim) are used up; returns the new count of input
 * bytes that are there, more than `used` (it waits for them). */
typedef uint32_t (*lfz_more_fn)(void *ctx, uint32_t used);

/* A loader that must stay position independent names its function at
 * compile time (LFZ_MORE_FN: a direct call, no function pointer). */
#ifdef LFZ_MORE_FN
#define LFZ_CALL_MORE(in) LFZ_MORE_FN((in)->mctx, (in)->used)
#else
#define LFZ_CALL_MORE(in) (in)->more((in)->mctx, (in)->used)
#endif

/* Optional, for a routine whose every byte is uploaded before its stream
 * (the F2/F4/F7 one): LFZ_RBIT(x), a 32-bit bit reversal (ARMv7-M RBIT)
 * for the fast tables' codes; LFZ_COMPACT, smaller forms of the fixed
 * code's lengths and of the fast table's clear (the same results:
 * test_inflate_compact and fuzz_inflate_replay_compact build the host tests
 * with both). LFZ_M0, for the RP2040 routine (the head comment; with
 * LFZ_RBIT it is LFZ_M0's reversed increment that fills the tables):
 * test_inflate_m0 and fuzz_inflate_m0_replay. */

/* Output bytes between pump calls in the symbol loop (a loader that
 * paces the flash by time calls it more often). */
#ifndef LFZ_PUMP_LIT
#define LFZ_PUMP_LIT 4u
#endif
/* Match bytes between pump calls, a match then copied in runs (LFZ_M0's
 * default; without it the pump runs every 4 bytes of a match). */
#if defined LFZ_M0 && !defined LFZ_PUMP_MATCH
#define LFZ_PUMP_MATCH 16u
#endif

#ifdef LFZ_M0
struct lfz_in {
  const uint8_t *p, *end, *wrap;
  uint32_t bits, nbits; /* bit buffer, first bit lowest */
  uint32_t used, lim, n; /* bytes taken; bytes there (lim <= n); the input's length */
  lfz_more_fn more;
  void *mctx;
};
#define LFZ_LEFT(in) ((in)->n - (in)->used) /* input bytes not yet taken */
#define LFZ_ANY_LEFT(in) ((in)->used < (in)->n)

/* One more byte into the bit buffer: 0, or -1 at the end of the input. */
static inline int lfz_byte(struct lfz_in *in)
{
  if (in->used == in->lim) {
    if (in->lim == in->n)
      return -1;
    in->lim = LFZ_CALL_MORE(in); /* lim < n only with a `more` */
  }
  in->used++;
  if (in->p == in->end)
    in->p = in->wrap;
  in->bits |= (uint32_t)*in->p++ << in->nbits;
  in->nbits += 8;
  return 0;
}

/* At least `need` (<= 25) bits; 0, or -1 at the end of the input. */
static inline int lfz_fill(struct lfz_in *in, uint32_t need)
{
  while (in->nbits < need) {
    const uint8_t *p = in->p;
    if (in->nbits <= 16 && in->lim - in->used >= 2 && in->end - p >= 2) {
      in->bits |= ((uint32_t)p[0] | (uint32_t)p[1] << 8) << in->nbits;
      in->p = p + 2;
      in->used += 2;
      in->nbits += 16;
    } else if (lfz_byte(in)) {
      return -1;
    }
  }
  return 0;
}
#else
struct lfz_in {
  const uint8_t *p, *end, *wrap;
  uint32_t left;  /* input bytes not yet taken */
  uint32_t bits;  /* bit buffer, first bit lowest */
  uint32_t nbits;
  uint32_t used, lim; /* bytes taken; bytes there (lim <= n) */
  lfz_more_fn more;
  void *mctx;
};
#define LFZ_LEFT(in) ((in)->left)
#define LFZ_ANY_LEFT(in) ((in)->left)

/* Refills the bit buffer to at least `need` (<= 25) bits; 0, or -1 at the
 * end of the input. */
static inline int lfz_fill(struct lfz_in *in, uint32_t need)
{
  while (in->nbits < need) {
    if (!in->left)
      return -1;
    if (in->used == in->lim) /* lim < n only with a `more` */
      in->lim = LFZ_CALL_MORE(in);
    in->used++;
    if (in->p == in->end)
      in->p = in->wrap;
    in->bits |= (uint32_t)*in->p++ << in->nbits;
    in->left--;
    in->nbits += 8;
  }
  return 0;
}
#endif

/* n (<= 25) bits as a number, first bit lowest; -1 at the end of input. */
static inline int32_t lfz_bits(struct lfz_in *in, uint32_t n)
{
  if (lfz_fill(in, n))
    return -1;
  uint32_t v = in->bits & ((1u << n) - 1u);
  in->bits >>= n;
  in->nbits -= n;
  return (int32_t)v;
}

/* Builds code c from lens[0..n). 0, or LFZ_E_DATA for an over-subscribed
 * or incomplete set of lengths; with `sparse`, a code of no symbol or of a
 * single one-bit symbol is accepted (RFC 1951 3.2.7: one distance code;
 * zlib accepts the same for both codes of a block). */
static inline int lfz_build(struct lfz_code *c, const uint8_t *lens, uint32_t n, int sparse)
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
#if defined LFZ_M0
  for (i = 0; i < (1u << (LFZ_FAST - 1)); i++)
    c->fast2[i] = 0;
#elif defined LFZ_COMPACT
  for (i = 0; i < (1u << LFZ_FAST); i += 2) { /* two entries per store */
    typedef uint32_t __attribute__((may_alias)) u32a;
    *(u32a *)(void *)&c->fast[i] = 0;
  }
#else
  for (i = 0; i < (1u << LFZ_FAST); i++)
    c->fast[i] = 0;
#endif
#ifdef LFZ_M0
  /* the canonical codes of length <= LFZ_FAST in order, their bit-reversed
   * form counted up: a code one longer keeps it (the new last bit is a 0
   * at the reversed form's top) */
  uint32_t rev = 0, k = 0;
  for (uint32_t len = 1; len <= LFZ_FAST; len++) {
    uint32_t step = 1u << len;
    for (uint32_t j = 0; j < c->count[len]; j++, k++) {
      uint16_t e = (uint16_t)((len << 9) | c->sym[k]);
      for (uint32_t x = rev; x < (1u << LFZ_FAST); x += step)
        c->fast[x] = e;
      uint32_t bit = 1u << (len - 1); /* the reversed increment */
      while (rev & bit) {
        rev ^= bit;
        bit >>= 1;
      }
      rev |= bit;
    }
  }
#else
  /* canonical codes of length <= LFZ_FAST, bit-reversed into the table
   * with every completion of the remaining bits */
  uint32_t code = 0, k = 0;
  for (uint32_t len = 1; len <= LFZ_FAST; len++) {
    for (uint32_t j = 0; j < c->count[len]; j++, k++, code++) {
#ifdef LFZ_RBIT
      uint32_t rev = LFZ_RBIT(code) >> (32u - len);
#else
      uint32_t rev = 0;
      for (uint32_t b = 0; b < len; b++)
        rev |= ((code >> b) & 1u) << (len - 1 - b);
#endif
      for (uint32_t x = rev; x < (1u << LFZ_FAST); x += 1u << len)
        c->fast[x] = (uint16_t)((len << 9) | c->sym[k]);
    }
    code <<= 1;
  }
#endif
  return 0;
}

/* Next symbol of code c; -1 (end of input or no such code). */
static inline int32_t lfz_decode(struct lfz_in *in, const struct lfz_code *c)
{
#ifdef LFZ_M0
  if (in->nbits < LFZ_FAST)
#endif
    lfz_fill(in, LFZ_FAST); /* may come short at the very end: checked below */
  uint32_t e = c->fast[in->bits & ((1u << LFZ_FAST) - 1u)];
  if (e) {
    uint32_t len = e >> 9;
    if (len > in->nbits)
      return -1;
    in->bits >>= len;
    in->nbits -= len;
    return (int32_t)(e & 0x1FFu);
  }
  /* longer than LFZ_FAST: walk the canonical code bit by bit */
  int32_t code = 0, firstc = 0, index = 0;
  for (uint32_t len = 1; len < 16; len++) {
    int32_t b = lfz_bits(in, 1);
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

/* Length and distance bases and extra bits (RFC 1951 3.2.5), computed so
 * no table lives in .rodata-with-relocations: length symbol 257 + i. */
static inline uint32_t lfz_len_base(uint32_t i, uint32_t *extra)
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

static inline uint32_t lfz_dist_base(uint32_t i, uint32_t *extra)
{
  if (i < 4) {
    *extra = 0;
    return 1 + i;
  }
  uint32_t e = (i >> 1) - 1;
  *extra = e;
  return 1 + ((2u + (i & 1u)) << e);
}

/* Dynamic block header: the two codes into w->lit / w->dist. */
#ifdef LFZ_M0
/* The pump also runs while the header is decoded (every 32 code lengths
 * and after each code is built: o bytes, unchanged): a consumer with
 * earlier output still to take (the RP2040 routine's carry) keeps the
 * flash busy meanwhile. */
#define LFZ_PUMP_HDR()                                                                            \
  do {                                                                                             \
    if (pump && pump(ctx, out, o))                                                                 \
      return LFZ_E_PUMP;                                                                           \
  } while (0)
static inline int lfz_dynamic(struct lfz_in *in, struct lfz_work *w, lfz_pump_fn pump, void *ctx,
                              const uint8_t *out, uint32_t o)
#else
#define LFZ_PUMP_HDR() ((void)0)
static inline int lfz_dynamic(struct lfz_in *in, struct lfz_work *w)
#endif
{
  int32_t hlit = lfz_bits(in, 5), hdist = lfz_bits(in, 5), hclen = lfz_bits(in, 4);
  if (hclen < 0)
    return LFZ_E_INPUT;
  hlit += 257;
  hdist += 1;
  hclen += 4;
  if (hlit > 286 || hdist > 30)
    return LFZ_E_DATA;
  /* the code length code (its order computed: no constant table) */
  uint8_t cl[19];
  for (uint32_t i = 0; i < 19; i++)
    cl[i] = 0;
  for (int32_t i = 0; i < hclen; i++) {
    /* RFC order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 15: after the
     * first four, even i count up from 8, odd i down from 7 */
    uint32_t pos = i < 3 ? (uint32_t)(16 + i)
                   : i == 3 ? 0u
                   : (i & 1) ? (uint32_t)(7 - ((i - 5) >> 1))
                             : (uint32_t)(8 + ((i - 4) >> 1));
    int32_t v = lfz_bits(in, 3);
    if (v < 0)
      return LFZ_E_INPUT;
    cl[pos] = (uint8_t)v;
  }
  int r = lfz_build(&w->lit, cl, 19, 0);
  if (r)
    return r;
  LFZ_PUMP_HDR();
  uint32_t n = 0, total = (uint32_t)(hlit + hdist);
#ifdef LFZ_M0
  uint32_t syms = 0;
#endif
  while (n < total) {
#ifdef LFZ_M0
    if (!(++syms & 31u))
      LFZ_PUMP_HDR();
#endif
    int32_t s = lfz_decode(in, &w->lit);
    if (s < 0)
      return LFZ_ANY_LEFT(in) || in->nbits ? LFZ_E_DATA : LFZ_E_INPUT;
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
      x = lfz_bits(in, 2);
      rep = 3;
    } else if (s == 17) {
      x = lfz_bits(in, 3);
      rep = 3;
    } else if (s == 18) {
      x = lfz_bits(in, 7);
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
  if (!w->lens[256]) /* no end-of-block code */
    return LFZ_E_DATA;
  if ((r = lfz_build(&w->dist, w->lens + hlit, (uint32_t)hdist, 1)))
    return r;
  LFZ_PUMP_HDR();
  return lfz_build(&w->lit, w->lens, (uint32_t)hlit, 1);
}

static inline void lfz_fixed(struct lfz_work *w)
{
#ifdef LFZ_COMPACT
  /* one loop (a smaller routine; the same lengths) */
  for (uint32_t i = 0; i < LFZ_NLIT + LFZ_NDIST; i++)
    w->lens[i] = (uint8_t)(i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : i < 288 ? 8 : 5);
#else
  uint32_t i = 0;
  for (; i < 144; i++)
    w->lens[i] = 8;
  for (; i < 256; i++)
    w->lens[i] = 9;
  for (; i < 280; i++)
    w->lens[i] = 7;
  for (; i < 288; i++)
    w->lens[i] = 8;
  for (i = 0; i < 32; i++) /* 30 and 31 take part in the code, never valid */
    w->lens[288 + i] = 5;
#endif
  lfz_build(&w->lit, w->lens, 288, 0);
  lfz_build(&w->dist, w->lens + 288, 32, 0);
}

/* Decodes the raw deflate stream in (n bytes: [p, end), then from wrap)
 * into out[0..cap). Returns the bytes written or LFZ_E_*. */
/* The general form: hist bytes before out are earlier output (a preset
 * dictionary: back-references may reach them); the input's first `there`
 * bytes are there, `more` brings the rest (NULL: all n are there). */
static inline int32_t lfz_inflate_io(struct lfz_work *w, const uint8_t *p, const uint8_t *end,
                                     const uint8_t *wrap, uint32_t n, uint8_t *out, uint32_t cap,
                                     uint32_t hist, lfz_pump_fn pump, void *ctx, uint32_t there,
                                     lfz_more_fn more, void *mctx)
{
#ifdef LFZ_M0
  struct lfz_in in = {p, end, wrap, 0, 0, 0, there < n ? there : n, n, more, mctx};
#else
  struct lfz_in in = {p, end, wrap, n, 0, 0, 0, there < n ? there : n, more, mctx};
#endif
  uint32_t o = 0;
  for (;;) {
    int32_t hdr = lfz_bits(&in, 3);
    if (hdr < 0)
      return LFZ_E_INPUT;
    uint32_t type = (uint32_t)hdr >> 1;
    if (type == 0) { /* stored: to a byte boundary, LEN, NLEN, bytes */
      in.bits >>= in.nbits & 7u;
      in.nbits -= in.nbits & 7u;
      int32_t len = lfz_bits(&in, 16), nlen = lfz_bits(&in, 16);
      if (nlen < 0)
        return LFZ_E_INPUT;
      if ((uint32_t)len != (~(uint32_t)nlen & 0xFFFFu))
        return LFZ_E_DATA;
      if ((uint32_t)len > cap - o)
        return LFZ_E_OUTPUT;
      while (len && in.nbits) { /* whole bytes still in the bit buffer (nbits is 0 here
                                   with this reader, kept general) */
        out[o++] = (uint8_t)in.bits;
        in.bits >>= 8;
        in.nbits -= 8;
        len--;
      }
      if ((uint32_t)len > LFZ_LEFT(&in))
        return LFZ_E_INPUT;
      while (len--) {
#ifdef LFZ_M0
        lfz_byte(&in); /* cannot fail: len <= what is left */
#else
        lfz_fill(&in, 8); /* cannot fail: len <= left */
#endif
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
        lfz_fixed(w);
      else {
#ifdef LFZ_M0
        int r = lfz_dynamic(&in, w, pump, ctx, out, o);
#else
        int r = lfz_dynamic(&in, w);
#endif
        if (r)
          return r;
      }
      uint32_t pumped = o; /* the pump runs once per 4 output bytes */
      for (;;) {
        if (pump && o - pumped >= LFZ_PUMP_LIT) {
          pumped = o;
          if (pump(ctx, out, o))
            return LFZ_E_PUMP;
        }
        int32_t s = lfz_decode(&in, &w->lit);
        if (s < 0)
          return LFZ_ANY_LEFT(&in) || in.nbits ? LFZ_E_DATA : LFZ_E_INPUT;
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
        uint32_t extra, len = lfz_len_base((uint32_t)s - 257, &extra);
        int32_t x = lfz_bits(&in, extra);
        if (x < 0)
          return LFZ_E_INPUT;
        len += (uint32_t)x;
        int32_t ds = lfz_decode(&in, &w->dist);
        if (ds < 0)
          return LFZ_ANY_LEFT(&in) || in.nbits ? LFZ_E_DATA : LFZ_E_INPUT;
        if (ds > 29)
          return LFZ_E_DATA;
        uint32_t dist = lfz_dist_base((uint32_t)ds, &extra);
        if ((x = lfz_bits(&in, extra)) < 0)
          return LFZ_E_INPUT;
        dist += (uint32_t)x;
        if (dist > o + hist)
          return LFZ_E_DATA;
        if (len > cap - o)
          return LFZ_E_OUTPUT;
#ifdef LFZ_PUMP_MATCH
        /* in runs up to the next pump call (from the history when dist > o) */
        uint8_t *d = out + o;
        const uint8_t *s2 = d - dist;
        o += len;
        while (len) {
          uint32_t run = len < LFZ_PUMP_MATCH ? len : LFZ_PUMP_MATCH;
          len -= run;
          while (run--)
            *d++ = *s2++;
          if (pump && len) {
            if (pump(ctx, out, o - len))
              return LFZ_E_PUMP;
          }
        }
#else
        while (len--) { /* the pump every 4 bytes: a long match feeds the flash too */
          out[o] = out[(int32_t)o - (int32_t)dist]; /* from the history when dist > o */
          if (++o - pumped >= 4 && pump) {
            pumped = o;
            if (pump(ctx, out, o))
              return LFZ_E_PUMP;
          }
        }
#endif
      }
    }
    if (hdr & 1)
      return (int32_t)o;
  }
}

static inline int32_t lfz_inflate(struct lfz_work *w, const uint8_t *p, const uint8_t *end,
                                  const uint8_t *wrap, uint32_t n, uint8_t *out, uint32_t cap)
{
  return lfz_inflate_io(w, p, end, wrap, n, out, cap, 0, 0, 0, n, 0, 0);
}

#endif
