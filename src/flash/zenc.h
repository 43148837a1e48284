/* A near-optimal raw-deflate (RFC 1951) encoder for the compressed upload
 * (loader.c z_compress). Written for this project from the RFC.
 *
 * The output is one raw deflate stream (no zlib header, 32 KiB window)
 * that any inflater decodes, given the same preset history: zlib's inflate
 * with inflateSetDictionary, and the target inflater loaders/lf_inflate.h
 * (whose limits it keeps: every Huffman code is complete, lengths <= 15
 * bits and <= 7 for the code-length code, distances <= 32768 and never
 * before the history).
 *
 * How: hash chains over history + input give each position its candidate
 * matches (the nearest distance of every longer length); a shortest path
 * over the positions with symbol costs from the previous pass's statistics
 * chooses literals and matches (a few passes, the smallest result kept);
 * the symbols go in a dynamic-Huffman block (several where that is smaller,
 * with opt split), a fixed or stored one where that is smaller. The input is taken in segments
 * of LF_ZENC_SEG bytes (each a parse of its own; the window spans them). */
#ifndef LF_ZENC_H
#define LF_ZENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LF_ZENC_SEG 32768u

/* Effort 1..LF_ZENC_EFFORT_MAX: parse passes and match-search depth.
 * 0 = LF_ZENC_EFFORT_DEFAULT (chosen by measurement: README, "compress"). */
#define LF_ZENC_EFFORT_DEFAULT 3
#define LF_ZENC_EFFORT_MAX 5

/* Bytes of output that always suffice for n input bytes (stored blocks at worst). */
size_t lf_zenc_bound(size_t n);

/* What the stream is for (all zero: the defaults). */
typedef struct lf_zenc_opt {
  int effort;       /* 0: LF_ZENC_EFFORT_DEFAULT */
  uint8_t max_bits; /* longest literal/length and distance code, 9..15 (else 15): an
                       inflater that decodes codes of up to k bits by one table lookup
                       and longer ones bit by bit (lf_inflate.h: LFZ_FAST) decodes a
                       stream limited to k faster, for a slightly larger stream */
  uint16_t match_cost; /* hundredths of a bit added to every match's cost in the parse: an
                          inflater that pays more per symbol than per bit gets fewer,
                          longer matches */
  bool split;       /* more than one block per LF_ZENC_SEG where that is smaller: each
                       block costs the inflater its code tables (time, not bytes) */
} lf_zenc_opt;

/* Deflates in[0..n) into out[0..cap) with hist[0..hlen) as the bytes
 * before it (a preset dictionary: only its last 32 KiB count; hist may be
 * NULL when hlen is 0); opt NULL: the defaults. Returns the bytes written,
 * -1 when out of memory, -2 when cap is too small (cap >= lf_zenc_bound(n)
 * never is). */
long lf_zenc(const uint8_t *hist, size_t hlen, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
             const lf_zenc_opt *opt);

#endif
