/* Near-optimal raw deflate (zenc.h). Written for this project from RFC 1951.
 *
 * Per segment (<= LF_ZENC_SEG input bytes):
 *  1. matches: every position's candidates from hash chains (3-byte hash)
 *     over the history and the input before it: a list of (length,
 *     distance) with rising lengths, each the nearest distance reaching that
 *     length. A match of at least `nice` bytes is taken as it is: the
 *     positions it covers get no list of their own (long runs, padding).
 *  2. parse: the cheapest path from the segment's first byte to its end,
 *     every edge a literal or a match of any length up to the candidate's,
 *     costs in bits from the previous pass's symbol statistics (the first
 *     pass: byte entropy and the fixed code's lengths). Each pass's path is
 *     sized as real blocks; the smallest is kept.
 *  3. blocks: with opt split, the path is split where two dynamic blocks
 *     are smaller than one (recursive, at evenly spaced symbols) and each
 *     block parsed again under its own statistics; each block goes as the
 *     smallest of dynamic, fixed and stored.
 *
 * Invariants the inflaters rely on: every code written is complete (at
 * least two symbols with non-zero length; the code-length code too),
 * literal/length and distance codes <= 15 bits, the code-length code <= 7
 * bits, a distance never exceeds 32768 nor reaches before the history. */
#include "flash/zenc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WIN 32768u
#define MINM 3u
#define MAXM 258u
#define HBITS 15u
#define NLIT 286u
#define NDIST 30u

size_t lf_zenc_bound(size_t n)
{
  return n + 5 * (n / 65535u + 1) + 16;
}

/* ---- symbol tables (RFC 1951 3.2.5) ---- */

static uint16_t len_sym(uint32_t l) /* 3..258 -> 257..285 */
{
  if (l == 258)
    return 285;
  uint32_t x = l - 3;
  if (x < 8)
    return (uint16_t)(257 + x);
  uint32_t b = 31u - (uint32_t)__builtin_clz(x);
  return (uint16_t)(257 + 4 * (b - 1) + ((x >> (b - 2)) & 3u));
}

static uint32_t len_ebits(uint32_t sym)
{
  return sym < 265 || sym == 285 ? 0 : (sym - 261) / 4;
}

static uint32_t len_base(uint32_t sym)
{
  if (sym == 285)
    return 258;
  uint32_t i = sym - 257;
  if (i < 8)
    return 3 + i;
  uint32_t e = (i >> 2) - 1;
  return 3 + ((4u + (i & 3u)) << e);
}

static uint32_t dist_sym(uint32_t d) /* 1..32768 -> 0..29 */
{
  uint32_t x = d - 1;
  if (x < 4)
    return x;
  uint32_t b = 31u - (uint32_t)__builtin_clz(x);
  return 2 * b + ((x >> (b - 1)) & 1u);
}

static uint32_t dist_ebits(uint32_t sym)
{
  return sym < 4 ? 0 : sym / 2 - 1;
}

static uint32_t dist_base(uint32_t sym)
{
  if (sym < 4)
    return 1 + sym;
  uint32_t e = sym / 2 - 1;
  return 1 + ((2u + (sym & 1u)) << e);
}

/* log2(x) for x >= 1, to ~0.01 bit (IEEE single layout) */
static float lg2(float x)
{
  union {
    float f;
    uint32_t i;
  } u = {x};
  float e = (float)(int32_t)((u.i >> 23) & 255u) - 127.0f;
  u.i = (u.i & 0x007FFFFFu) | 0x3F800000u;
  float m = u.f; /* [1, 2) */
  return e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f;
}

/* ---- Huffman code lengths, limited to maxbits, always complete for >= 2
 * used symbols (the caller makes sure there are two) ---- */

static void huff_lengths(const uint32_t *freq, uint32_t n, uint32_t maxbits, uint8_t *len)
{
  uint16_t sym[NLIT + 2];
  uint32_t cnt = 0;
  for (uint32_t i = 0; i < n; i++) {
    len[i] = 0;
    if (freq[i])
      sym[cnt++] = (uint16_t)i;
  }
  if (cnt < 2) {
    if (cnt)
      len[sym[0]] = 1;
    return;
  }
  for (uint32_t i = 1; i < cnt; i++) { /* insertion sort by frequency (stable) */
    uint16_t s = sym[i];
    uint32_t j = i;
    while (j && freq[sym[j - 1]] > freq[s]) {
      sym[j] = sym[j - 1];
      j--;
    }
    sym[j] = s;
  }
  /* two queues: the sorted leaves, then the inner nodes in creation order
   * (their weights rise) */
  uint64_t w[2 * (NLIT + 2)];
  uint16_t parent[2 * (NLIT + 2)];
  uint8_t depth[2 * (NLIT + 2)];
  for (uint32_t i = 0; i < cnt; i++)
    w[i] = freq[sym[i]];
  uint32_t li = 0, ii = cnt, next = cnt;
  for (; next < 2 * cnt - 1; next++) {
    uint32_t pick[2];
    for (int k = 0; k < 2; k++) {
      if (li < cnt && (ii >= next || w[li] <= w[ii]))
        pick[k] = li++;
      else
        pick[k] = ii++;
    }
    w[next] = w[pick[0]] + w[pick[1]];
    parent[pick[0]] = parent[pick[1]] = (uint16_t)next;
  }
  depth[2 * cnt - 2] = 0;
  uint32_t over = 0;
  for (uint32_t k = 2 * cnt - 2; k-- > 0;) {
    uint32_t d = depth[parent[k]] + 1u;
    depth[k] = (uint8_t)(d > 255 ? 255 : d);
  }
  for (uint32_t i = 0; i < cnt; i++) {
    uint32_t d = depth[i];
    if (d > maxbits) {
      d = maxbits;
      over = 1;
    }
    len[sym[i]] = (uint8_t)d;
  }
  if (!over)
    return;
  /* Kraft sum in units of 2^-maxbits: lengthen the rarest symbols until it
   * fits, then shorten the most frequent ones that still fit until full */
  const uint32_t T = 1u << maxbits;
  uint32_t K = 0;
  for (uint32_t i = 0; i < cnt; i++)
    K += T >> len[sym[i]];
  while (K > T)
    for (uint32_t i = 0; i < cnt && K > T; i++)
      if (len[sym[i]] < maxbits) {
        K -= T >> (len[sym[i]] + 1);
        len[sym[i]]++;
      }
  while (K < T)
    for (uint32_t i = cnt; i-- > 0 && K < T;)
      if (len[sym[i]] > 1 && (T >> len[sym[i]]) <= T - K) {
        K += T >> len[sym[i]];
        len[sym[i]]--;
      }
}

/* canonical codes, bit-reversed for LSB-first output */
static void huff_codes(const uint8_t *len, uint32_t n, uint16_t *code)
{
  uint16_t count[16] = {0}, next[16];
  for (uint32_t i = 0; i < n; i++)
    count[len[i]]++;
  count[0] = 0;
  uint32_t c = 0;
  for (uint32_t b = 1; b < 16; b++) {
    c = (c + count[b - 1]) << 1;
    next[b] = (uint16_t)c;
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t l = len[i], v = l ? next[l]++ : 0, r = 0;
    for (uint32_t b = 0; b < l; b++)
      r |= ((v >> b) & 1u) << (l - 1 - b);
    code[i] = (uint16_t)r;
  }
}

/* ---- output bits ---- */

typedef struct bw {
  uint8_t *out;
  size_t cap, n;
  uint64_t acc;
  uint32_t nb;
  bool full;
} bw;

static void put(bw *b, uint32_t v, uint32_t n)
{
  b->acc |= (uint64_t)v << b->nb;
  b->nb += n;
  while (b->nb >= 8) {
    if (b->n < b->cap)
      b->out[b->n++] = (uint8_t)b->acc;
    else
      b->full = true;
    b->acc >>= 8;
    b->nb -= 8;
  }
}

static void align(bw *b)
{
  if (b->nb & 7u)
    put(b, 0, 8 - (b->nb & 7u));
}

/* ---- a block's symbols and its dynamic header ---- */

typedef struct zsym {
  uint16_t len;  /* 0: literal */
  uint16_t dist; /* literal: the byte */
} zsym;

typedef struct dyn {
  uint32_t lf[NLIT + 2], df[NDIST + 2];
  uint8_t ll[NLIT + 2], dl[NDIST + 2], cl[19];
  uint32_t hlit, hdist, hclen;
  uint8_t rle[NLIT + NDIST], rlex[NLIT + NDIST]; /* code-length symbols and their extra values */
  uint32_t nrle;
  uint64_t bits; /* the whole block, header included */
} dyn;

static const uint8_t CL_ORDER[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

static void count_syms(const zsym *s, size_t ns, uint32_t *lf, uint32_t *df)
{
  memset(lf, 0, sizeof(uint32_t) * (NLIT + 2));
  memset(df, 0, sizeof(uint32_t) * (NDIST + 2));
  for (size_t i = 0; i < ns; i++) {
    if (!s[i].len)
      lf[s[i].dist]++;
    else {
      lf[len_sym(s[i].len)]++;
      df[dist_sym(s[i].dist)]++;
    }
  }
  lf[256]++;
}

/* data bits of the symbols under code lengths ll/dl (end of block included) */
static uint64_t data_bits(const uint32_t *lf, const uint32_t *df, const uint8_t *ll, const uint8_t *dl)
{
  uint64_t bits = 0;
  for (uint32_t i = 0; i < NLIT; i++)
    bits += (uint64_t)lf[i] * (ll[i] + (i > 256 ? len_ebits(i) : 0));
  for (uint32_t i = 0; i < NDIST; i++)
    bits += (uint64_t)df[i] * (dl[i] + dist_ebits(i));
  return bits;
}

/* Code lengths and header of a dynamic block from the counts in d->lf/df. */
static void dyn_build(dyn *d, uint32_t maxbits)
{
  uint32_t lf[NLIT + 2], df[NDIST + 2];
  memcpy(lf, d->lf, sizeof lf);
  memcpy(df, d->df, sizeof df);
  /* complete codes need two used symbols: add unused ones if short */
  uint32_t used = 0;
  for (uint32_t i = 0; i < NLIT; i++)
    used += lf[i] != 0;
  if (used < 2)
    lf[lf[0] ? 1 : 0] = 1; /* 256 is always there */
  used = 0;
  for (uint32_t i = 0; i < NDIST; i++)
    used += df[i] != 0;
  for (uint32_t i = 0; used < 2; i++)
    if (!df[i]) {
      df[i] = 1;
      used++;
    }
  memset(d->ll, 0, sizeof d->ll);
  memset(d->dl, 0, sizeof d->dl);
  huff_lengths(lf, NLIT, maxbits, d->ll);
  huff_lengths(df, NDIST, maxbits, d->dl);
  d->hlit = NLIT;
  while (d->hlit > 257 && !d->ll[d->hlit - 1])
    d->hlit--;
  d->hdist = NDIST;
  while (d->hdist > 1 && !d->dl[d->hdist - 1])
    d->hdist--;
  /* run-length code of the lengths (runs may cross from one code into the other) */
  uint8_t all[NLIT + NDIST];
  uint32_t na = d->hlit + d->hdist;
  memcpy(all, d->ll, d->hlit);
  memcpy(all + d->hlit, d->dl, d->hdist);
  d->nrle = 0;
  for (uint32_t i = 0; i < na;) {
    uint32_t v = all[i], r = 1;
    while (i + r < na && all[i + r] == v)
      r++;
    i += r;
    if (!v) {
      while (r >= 11) {
        uint32_t k = r > 138 ? 138 : r;
        if (r - k > 0 && r - k < 3 && k > 11 + 3 - (r - k)) /* leave 3 for a 17 */
          k = r - 3;
        d->rle[d->nrle] = 18;
        d->rlex[d->nrle++] = (uint8_t)(k - 11);
        r -= k;
      }
      if (r >= 3) {
        d->rle[d->nrle] = 17;
        d->rlex[d->nrle++] = (uint8_t)(r - 3);
        r = 0;
      }
    } else {
      d->rle[d->nrle] = (uint8_t)v;
      d->rlex[d->nrle++] = 0;
      r--;
      while (r >= 3) {
        uint32_t k = r > 6 ? 6 : r;
        if (r - k > 0 && r - k < 3 && k > 3 + 3 - (r - k))
          k = r - 3;
        d->rle[d->nrle] = 16;
        d->rlex[d->nrle++] = (uint8_t)(k - 3);
        r -= k;
      }
    }
    while (r--) {
      d->rle[d->nrle] = (uint8_t)v;
      d->rlex[d->nrle++] = 0;
    }
  }
  uint32_t cf[19] = {0};
  for (uint32_t i = 0; i < d->nrle; i++)
    cf[d->rle[i]]++;
  used = 0;
  for (uint32_t i = 0; i < 19; i++)
    used += cf[i] != 0;
  for (uint32_t i = 0; used < 2; i++)
    if (!cf[i]) {
      cf[i] = 1;
      used++;
    }
  huff_lengths(cf, 19, 7, d->cl);
  d->hclen = 19;
  while (d->hclen > 4 && !d->cl[CL_ORDER[d->hclen - 1]])
    d->hclen--;
  uint64_t bits = 3 + 5 + 5 + 4 + 3 * d->hclen;
  for (uint32_t i = 0; i < d->nrle; i++) {
    uint32_t s = d->rle[i];
    bits += d->cl[s] + (s == 16 ? 2 : s == 17 ? 3 : s == 18 ? 7 : 0);
  }
  d->bits = bits + data_bits(d->lf, d->df, d->ll, d->dl);
}

static uint8_t FIXED_LL[NLIT + 2], FIXED_DL[NDIST + 2];

static void fixed_init(void)
{
  if (FIXED_LL[0])
    return;
  for (uint32_t i = 0; i < NLIT + 2; i++)
    FIXED_LL[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  for (uint32_t i = 0; i < NDIST + 2; i++)
    FIXED_DL[i] = 5;
}

static uint64_t stored_bits(size_t nbytes, uint32_t bitpos)
{
  /* header, pad to a byte, LEN/NLEN per block of <= 65535 bytes */
  uint64_t blocks = nbytes / 65535u + 1, b = 0;
  for (uint64_t k = 0; k < blocks; k++) {
    b += 3;
    b += (8 - ((bitpos + b) & 7u)) & 7u;
    b += 32;
  }
  return b + 8 * (uint64_t)nbytes;
}

static void put_syms(bw *b, const zsym *s, size_t ns, const uint8_t *ll, const uint8_t *dl)
{
  uint16_t lc[NLIT + 2], dc[NDIST + 2];
  huff_codes(ll, NLIT + 2, lc);
  huff_codes(dl, NDIST + 2, dc);
  for (size_t i = 0; i < ns; i++) {
    if (!s[i].len) {
      put(b, lc[s[i].dist], ll[s[i].dist]);
      continue;
    }
    uint32_t ls = len_sym(s[i].len), ds = dist_sym(s[i].dist);
    put(b, lc[ls], ll[ls]);
    put(b, s[i].len - len_base(ls), len_ebits(ls));
    put(b, dc[ds], dl[ds]);
    put(b, s[i].dist - dist_base(ds), dist_ebits(ds));
  }
  put(b, lc[256], ll[256]);
}

/* One block: the symbols s[0..ns) standing for raw[0..nraw). */
static void put_block(bw *b, const zsym *s, size_t ns, const uint8_t *raw, size_t nraw, bool last,
                      uint32_t maxbits)
{
  dyn d;
  count_syms(s, ns, d.lf, d.df);
  dyn_build(&d, maxbits);
  uint64_t fixed = 3 + data_bits(d.lf, d.df, FIXED_LL, FIXED_DL);
  uint64_t stored = stored_bits(nraw, b->nb);
  if (stored < d.bits && stored < fixed) {
    size_t o = 0;
    do {
      size_t k = nraw - o > 65535u ? 65535u : nraw - o;
      put(b, last && o + k == nraw, 1);
      put(b, 0, 2);
      align(b);
      put(b, (uint32_t)k, 16);
      put(b, (uint32_t)k ^ 0xFFFFu, 16);
      for (size_t i = 0; i < k; i++)
        put(b, raw[o + i], 8);
      o += k;
    } while (o < nraw);
    return;
  }
  put(b, last, 1);
  if (fixed <= d.bits) {
    put(b, 1, 2);
    put_syms(b, s, ns, FIXED_LL, FIXED_DL);
    return;
  }
  put(b, 2, 2);
  put(b, d.hlit - 257, 5);
  put(b, d.hdist - 1, 5);
  put(b, d.hclen - 4, 4);
  for (uint32_t i = 0; i < d.hclen; i++)
    put(b, d.cl[CL_ORDER[i]], 3);
  uint16_t cc[19];
  huff_codes(d.cl, 19, cc);
  for (uint32_t i = 0; i < d.nrle; i++) {
    uint32_t s2 = d.rle[i];
    put(b, cc[s2], d.cl[s2]);
    if (s2 >= 16)
      put(b, d.rlex[i], s2 == 16 ? 2 : s2 == 17 ? 3 : 7);
  }
  put_syms(b, s, ns, d.ll, d.dl);
}

/* Smallest of dynamic and fixed for a run of symbols, in bits. */
static uint64_t block_cost(const zsym *s, size_t ns, uint32_t maxbits)
{
  dyn d;
  count_syms(s, ns, d.lf, d.df);
  dyn_build(&d, maxbits);
  uint64_t fixed = 3 + data_bits(d.lf, d.df, FIXED_LL, FIXED_DL);
  return fixed < d.bits ? fixed : d.bits;
}

/* Block starts (symbol indices) for s[a..b): recursive splitting at
 * evenly spaced points while a split saves more than `gain` bits. */
#define MAXBLK 64u
#define SPLIT_MIN 256u
static void split(const zsym *s, size_t a, size_t b, uint64_t whole, size_t *cuts, uint32_t *ncut, uint32_t maxbits)
{
  if (b - a < 2 * SPLIT_MIN || *ncut >= MAXBLK)
    return;
  size_t best = 0;
  uint64_t bl = 0, br = 0, bestc = whole;
  for (uint32_t k = 1; k < 16; k++) {
    size_t m = a + (b - a) * k / 16;
    uint64_t l = block_cost(s + a, m - a, maxbits), r = block_cost(s + m, b - m, maxbits);
    if (l + r < bestc) {
      bestc = l + r;
      best = m;
      bl = l;
      br = r;
    }
  }
  if (!best || whole - bestc < 16)
    return;
  split(s, a, best, bl, cuts, ncut, maxbits);
  if (*ncut >= MAXBLK)
    return;
  cuts[(*ncut)++] = best;
  split(s, best, b, br, cuts, ncut, maxbits);
}

/* ---- the encoder ---- */

typedef struct match {
  uint16_t len, dist;
} match;

typedef struct enc {
  const uint8_t *buf; /* history then input */
  size_t nbuf;
  int32_t *head, *prev;
  match *pool;
  size_t npool, cappool;
  uint32_t *mstart; /* per segment position: first match in pool; mstart[i+1] its end */
  float *cost;
  zsym *path, *best, *syms;
  uint16_t *plen, *pdist;
  uint32_t chain, nice, passes;
} enc;

static uint32_t hash3(const uint8_t *p)
{
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
  return (v * 2654435761u) >> (32 - HBITS);
}

static void insert(enc *e, size_t p)
{
  if (p + MINM > e->nbuf)
    return;
  uint32_t h = hash3(e->buf + p);
  e->prev[p] = e->head[h];
  e->head[h] = (int32_t)p;
}

static bool pool_add(enc *e, uint32_t len, uint32_t dist)
{
  if (e->npool == e->cappool) {
    size_t nc = e->cappool ? 2 * e->cappool : 65536;
    match *m = realloc(e->pool, nc * sizeof *m);
    if (!m)
      return false;
    e->pool = m;
    e->cappool = nc;
  }
  e->pool[e->npool].len = (uint16_t)len;
  e->pool[e->npool++].dist = (uint16_t)dist;
  return true;
}

/* Candidates of positions [s, s+n) of buf (the segment). */
static bool find_matches(enc *e, size_t s, size_t n)
{
  e->npool = 0;
  const uint8_t *buf = e->buf;
  size_t end = s + n;
  for (size_t i = 0; i < n; i++) {
    size_t p = s + i;
    e->mstart[i] = (uint32_t)e->npool;
    size_t maxl = end - p < MAXM ? end - p : MAXM;
    uint32_t best = MINM - 1;
    if (maxl >= MINM) {
      int32_t c = e->head[hash3(buf + p)];
      uint32_t steps = e->chain;
      while (c >= 0 && p - (size_t)c <= WIN && steps--) {
        const uint8_t *a = buf + c, *b = buf + p;
        if (a[best] == b[best] && a[0] == b[0] && a[1] == b[1]) {
          uint32_t l = 2;
          while (l < maxl && a[l] == b[l])
            l++;
          if (l > best) {
            best = l;
            if (!pool_add(e, l, (uint32_t)(p - (size_t)c)))
              return false;
            if (l >= maxl)
              break;
          }
        }
        c = e->prev[c];
      }
    }
    insert(e, p);
    if (best >= e->nice) { /* taken as it is: no candidates inside it */
      for (uint32_t k = 1; k < best; k++) {
        e->mstart[i + k] = (uint32_t)e->npool;
        insert(e, p + k);
      }
      i += best - 1;
    }
  }
  e->mstart[n] = (uint32_t)e->npool;
  return true;
}

typedef struct costs {
  float lit[256], len[MAXM + 1], dsym[NDIST];
} costs;

/* Costs from statistics: -log2 of each symbol's share (unused: a bit more
 * than the rarest could cost). */
static void costs_from(costs *c, const uint32_t *lf, const uint32_t *df, uint32_t maxbits, float mcost)
{
  uint64_t tl = 0, td = 0;
  for (uint32_t i = 0; i < NLIT; i++)
    tl += lf[i];
  for (uint32_t i = 0; i < NDIST; i++)
    td += df[i];
  float ll = lg2((float)(tl ? tl : 1)), ld = lg2((float)(td ? td : 1));
  float symc[NLIT];
  for (uint32_t i = 0; i < NLIT; i++) /* a code is at least one bit */
    symc[i] = lf[i] ? ll - lg2((float)lf[i]) : ll + 2.0f;
  const float top = (float)maxbits; /* no code is longer */
  for (uint32_t i = 0; i < NLIT; i++)
    symc[i] = symc[i] < 1.0f ? 1.0f : symc[i] > top ? top : symc[i];
  for (uint32_t i = 0; i < 256; i++)
    c->lit[i] = symc[i];
  for (uint32_t l = MINM; l <= MAXM; l++) {
    uint32_t s = len_sym(l);
    c->len[l] = symc[s] + (float)len_ebits(s) + mcost;
  }
  for (uint32_t i = 0; i < NDIST; i++) {
    float x = df[i] ? ld - lg2((float)df[i]) : ld + 2.0f;
    x = x < 1.0f ? 1.0f : x > top ? top : x;
    c->dsym[i] = x + (float)dist_ebits(i);
  }
}

/* The first pass's costs: byte entropy for literals, the fixed code for
 * lengths and distances. */
static void costs_initial(costs *c, const uint8_t *in, size_t n)
{
  uint32_t f[256] = {0};
  for (size_t i = 0; i < n; i++)
    f[in[i]]++;
  float ln = lg2((float)(n ? n : 1));
  for (uint32_t i = 0; i < 256; i++) {
    float x = f[i] ? ln - lg2((float)f[i]) : ln + 2.0f;
    c->lit[i] = x < 1.0f ? 1.0f : x;
  }
  for (uint32_t l = MINM; l <= MAXM; l++) {
    uint32_t s = len_sym(l);
    c->len[l] = (float)(s < 280 ? 7 : 8) + (float)len_ebits(s);
  }
  for (uint32_t i = 0; i < NDIST; i++)
    c->dsym[i] = 5.0f + (float)dist_ebits(i);
}

/* The cheapest path over in[0..n) (segment positions o..o+n) under c:
 * its symbols in e->path, their count returned. */
static size_t parse_at(enc *e, size_t o, const uint8_t *in, size_t n, const costs *c)
{
  float *cost = e->cost;
  cost[0] = 0;
  for (size_t i = 1; i <= n; i++)
    cost[i] = 3.0e38f;
  for (size_t i = 0; i < n; i++) {
    float base = cost[i];
    float lc = base + c->lit[in[i]];
    if (lc < cost[i + 1]) {
      cost[i + 1] = lc;
      e->plen[i + 1] = 0;
    }
    uint32_t lo = MINM;
    for (uint32_t k = e->mstart[o + i]; k < e->mstart[o + i + 1] && lo <= n - i; k++) {
      uint32_t ml = e->pool[k].len, d = e->pool[k].dist;
      if (ml > n - i)
        ml = (uint32_t)(n - i);
      float bd = base + c->dsym[dist_sym(d)];
      for (uint32_t l = lo; l <= ml; l++) {
        float x = bd + c->len[l];
        if (x < cost[i + l]) {
          cost[i + l] = x;
          e->plen[i + l] = (uint16_t)l;
          e->pdist[i + l] = (uint16_t)d;
        }
      }
      lo = ml + 1;
    }
  }
  /* back from the end: symbols in reverse, then turned around */
  size_t ns = 0;
  for (size_t i = n; i > 0;) {
    uint32_t l = e->plen[i];
    if (!l) {
      e->path[ns].len = 0;
      e->path[ns++].dist = in[i - 1];
      i--;
    } else {
      e->path[ns].len = (uint16_t)l;
      e->path[ns++].dist = e->pdist[i];
      i -= l;
    }
  }
  for (size_t a = 0, b = ns; a + 1 < b; a++, b--) {
    zsym t = e->path[a];
    e->path[a] = e->path[b - 1];
    e->path[b - 1] = t;
  }
  return ns;
}

static size_t parse(enc *e, const uint8_t *in, size_t n, const costs *c)
{
  return parse_at(e, 0, in, n, c);
}

static const struct {
  uint16_t chain, nice, passes;
} EFFORT[LF_ZENC_EFFORT_MAX + 1] = {
    {0, 0, 0}, {32, 128, 2}, {64, 192, 3}, {128, 258, 5}, {512, 258, 8}, {2048, 258, 15},
};

long lf_zenc(const uint8_t *hist, size_t hlen, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
             const lf_zenc_opt *opt)
{
  lf_zenc_opt o = {0, 0, 0, false};
  if (opt)
    o = *opt;
  int effort = o.effort <= 0 || o.effort > LF_ZENC_EFFORT_MAX ? LF_ZENC_EFFORT_DEFAULT : o.effort;
  const uint32_t mb = o.max_bits < 9 || o.max_bits > 15 ? 15u : o.max_bits;
  fixed_init();
  if (hlen > WIN) {
    hist += hlen - WIN;
    hlen = WIN;
  }
  size_t seg = n < LF_ZENC_SEG ? n : LF_ZENC_SEG;
  enc e = {0};
  e.chain = EFFORT[effort].chain;
  e.nice = EFFORT[effort].nice;
  e.passes = EFFORT[effort].passes;
  e.nbuf = hlen + n;
  uint8_t *buf = malloc(e.nbuf ? e.nbuf : 1);
  e.head = malloc(sizeof(int32_t) << HBITS);
  e.prev = malloc(sizeof(int32_t) * (e.nbuf ? e.nbuf : 1));
  e.mstart = malloc(sizeof(uint32_t) * (seg + 1));
  e.cost = malloc(sizeof(float) * (seg + 1));
  e.plen = malloc(sizeof(uint16_t) * (seg + 1));
  e.pdist = malloc(sizeof(uint16_t) * (seg + 1));
  e.path = malloc(sizeof(zsym) * (seg + 1));
  e.best = malloc(sizeof(zsym) * (seg + 1));
  long r = -1;
  zsym *blk = NULL; /* a block's own parse */
  size_t capblk = 0;
  if (!buf || !e.head || !e.prev || !e.mstart || !e.cost || !e.plen || !e.pdist || !e.path || !e.best)
    goto out;
  if (hlen)
    memcpy(buf, hist, hlen);
  if (n)
    memcpy(buf + hlen, in, n);
  e.buf = buf;
  for (uint32_t i = 0; i < (1u << HBITS); i++)
    e.head[i] = -1;
  for (size_t p = 0; p < hlen; p++)
    insert(&e, p);
  bw b = {out, cap, 0, 0, 0, false};
  size_t done = 0;
  do {
    size_t m = n - done < LF_ZENC_SEG ? n - done : LF_ZENC_SEG;
    const uint8_t *sin = buf + hlen + done;
    bool last = done + m == n;
    if (!find_matches(&e, hlen + done, m))
      goto out;
    costs c;
    costs_initial(&c, sin, m);
    size_t nbest = 0;
    uint64_t bestbits = UINT64_MAX;
    for (uint32_t pass = 0; pass < e.passes; pass++) {
      size_t ns = parse(&e, sin, m, &c);
      uint64_t bits = block_cost(e.path, ns, mb);
      uint32_t lf[NLIT + 2], df[NDIST + 2];
      count_syms(e.path, ns, lf, df);
      if (bits < bestbits) {
        bestbits = bits;
        nbest = ns;
        zsym *t = e.best;
        e.best = e.path;
        e.path = t;
      } else if (pass > 1) {
        break; /* no better than the best: converged */
      }
      costs_from(&c, lf, df, mb, (float)o.match_cost / 100.0f);
    }
    size_t cuts[MAXBLK + 2];
    uint32_t ncut = 0;
    cuts[ncut++] = 0;
    if (o.split)
      split(e.best, 0, nbest, bestbits, cuts, &ncut, mb);
    cuts[ncut] = nbest;
    /* each block parsed again with its own statistics */
    size_t rawpos = 0;
    for (uint32_t k = 0; k < ncut; k++) {
      const zsym *bs = e.best + cuts[k];
      size_t nb = cuts[k + 1] - cuts[k], nraw = 0;
      for (size_t i = 0; i < nb; i++)
        nraw += bs[i].len ? bs[i].len : 1;
      if (ncut > 1) {
        uint64_t bb = block_cost(bs, nb, mb);
        uint32_t lf[NLIT + 2], df[NDIST + 2];
        count_syms(bs, nb, lf, df);
        for (uint32_t pass = 0; pass < e.passes; pass++) {
          costs_from(&c, lf, df, mb, (float)o.match_cost / 100.0f);
          size_t ns = parse_at(&e, rawpos, sin + rawpos, nraw, &c);
          uint64_t bits = block_cost(e.path, ns, mb);
          if (bits >= bb)
            break;
          bb = bits;
          if (!blk || ns > capblk) {
            zsym *t = realloc(blk, sizeof(zsym) * (ns + 1));
            if (!t)
              goto out;
            blk = t;
            capblk = ns;
          }
          memcpy(blk, e.path, sizeof(zsym) * ns);
          nb = ns;
          bs = blk;
          count_syms(bs, nb, lf, df);
        }
      }
      put_block(&b, bs, nb, sin + rawpos, nraw, last && k + 1 == ncut, mb);
      rawpos += nraw;
    }
    done += m;
  } while (done < n);
  align(&b);
  r = b.full ? -2 : (long)b.n;
out:
  free(buf);
  free(e.head);
  free(e.prev);
  free(e.pool);
  free(e.mstart);
  free(e.cost);
  free(e.plen);
  free(e.pdist);
  free(e.path);
  free(e.best);
  free(blk);
  return r;
}
