/* Fuzz driver of our deflate encoder (src/flash/zenc.c): a round trip.
 * Byte 0 picks the settings (effort, code length limit, split) and
 * whether the output buffer is cut short,
 * bytes 1-2 how many of the rest are the history (the preset dictionary);
 * the others are the input. Checks: no access outside the buffers (ASan);
 * the stream decodes to the input through zlib's inflate (with the
 * history as its dictionary) and through the target inflater's host build
 * (lf_inflate.h, the history before its output); a short buffer gives -2
 * and nothing written past it. The replay build (fuzz.cmake's lf_fuzz,
 * replay_main.c: ctest fuzz_zenc_replay) replays tests/fuzz/corpus/zenc.
 * Run the fuzzer:
 *   mkdir -p /tmp/new && build-x/fuzz_zenc /tmp/new tests/fuzz/corpus/zenc */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "flash/loaders/lf_inflate.h"
#include "flash/zenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct lfz_work w;
  if (size < 3 || size > (1u << 18))
    return 0;
  uint32_t sel = data[0], hn = (uint32_t)data[1] | (uint32_t)data[2] << 8;
  const uint8_t *d = data + 3;
  size_t rest = size - 3;
  if (hn > rest)
    hn = (uint32_t)rest;
  const uint8_t *hist = d, *in = d + hn;
  size_t n = rest - hn, bound = lf_zenc_bound(n);
  size_t cap = (sel & 0x80u) ? bound * (sel & 0x1Fu) / 32u : bound; /* cut short: maybe too small */
  uint8_t *z = malloc(cap ? cap : 1); /* exact size: ASan sees any write past it */
  if (!z)
    return 0;
  lf_zenc_opt o = {1 + (int)(sel % LF_ZENC_EFFORT_MAX), (uint8_t)(9 + (sel >> 3) % 7), (uint16_t)((sel >> 2) * 20u),
                   (sel & 0x40u) != 0};
  long zn = lf_zenc(hn ? hist : NULL, hn, in, n, z, cap, &o);
  if (zn == -2 && cap < bound) { /* too small: refused (what fit is not a stream) */
    free(z);
    return 0;
  }
  if (zn < 0 || (size_t)zn > cap)
    abort();
  uint32_t h = hn > 32768u ? 32768u : hn;
  uint8_t *back = malloc(h + n + 1);
  if (!back)
    abort();
  /* zlib */
  z_stream s;
  memset(&s, 0, sizeof s);
  if (inflateInit2(&s, -15) != Z_OK)
    abort();
  if (h && inflateSetDictionary(&s, hist + hn - h, h) != Z_OK)
    abort();
  s.next_in = z;
  s.avail_in = (uInt)zn;
  s.next_out = back;
  s.avail_out = (uInt)(n + 1);
  int zr = inflate(&s, Z_FINISH);
  if (zr != Z_STREAM_END || s.total_out != n || s.avail_in || (n && memcmp(back, in, n)))
    abort();
  inflateEnd(&s);
  /* the target inflater */
  if (h)
    memcpy(back, hist + hn - h, h);
  int32_t r = lfz_inflate_io(&w, z, z + zn, z, (uint32_t)zn, back + h, (uint32_t)n, h, 0, 0, (uint32_t)zn, 0, 0);
  if (r != (int32_t)n || (n && memcmp(back + h, in, n)))
    abort();
  free(back);
  free(z);
  return 0;
}
