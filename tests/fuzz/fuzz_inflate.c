/* Fuzz driver of the target-side inflater (src/flash/loaders/lf_inflate.h).
 * Byte 0 picks where the input wraps around a ring (the loader's case) and
 * the output buffer's size; the rest is a raw deflate stream. Checks: no
 * access outside the buffers (ASan), and differential: what lfz decodes
 * successfully, zlib decodes the same; the Thumb branch filter undone unit
 * by unit over the output equals it undone at once, and round-trips. Built with -DLF_FUZZ_STANDALONE it
 * runs each file named on the command line (ctest fuzz_inflate_replay
 * replays tests/fuzz/corpus/inflate). Run the fuzzer:
 *   mkdir -p /tmp/new && build-x/fuzz_inflate /tmp/new tests/fuzz/corpus/inflate */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "flash/loaders/lf_bcj.h"
#include "flash/loaders/lf_inflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX 65536u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct lfz_work w;
  static uint8_t out[OUT_MAX], ref[OUT_MAX];
  if (size < 1 || size > (1u << 20))
    return 0;
  uint32_t sel = data[0];
  const uint8_t *d = data + 1;
  uint32_t n = (uint32_t)size - 1;
  /* the stream placed in a ring of n bytes starting at offset k: ring[k..n)
   * holds its first n - k bytes, ring[0..k) the rest */
  uint8_t *ring = malloc(n ? n : 1);
  if (!ring)
    return 0;
  uint32_t k = n ? (sel * 7919u) % n : 0;
  for (uint32_t i = 0; i < n; i++)
    ring[(k + i) % (n ? n : 1)] = d[i];
  uint32_t cap = (sel & 0x80u) ? OUT_MAX : ((sel & 0x7Fu) + 1u) * 256u;
  uint8_t *o = malloc(cap); /* exact size: ASan sees any write past it */
  if (!o) {
    free(ring);
    return 0;
  }
  int32_t r = lfz_inflate(&w, ring + k, ring + n, ring, n, o, cap);
  int32_t r2 = lfz_inflate(&w, d, d + n, d, n, out, cap); /* flat: the same answer */
  if (r != r2)
    abort();
  if (r >= 0 && memcmp(o, out, (size_t)r) != 0)
    abort();
  if (r >= 0) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
      abort();
    z.next_in = (Bytef *)d;
    z.avail_in = n;
    z.next_out = ref;
    z.avail_out = OUT_MAX;
    int zr = inflate(&z, Z_FINISH);
    uLong zn = z.total_out;
    inflateEnd(&z);
    if (zr != Z_STREAM_END || zn != (uLong)r || memcmp(ref, out, (size_t)r) != 0)
      abort();
    /* the Thumb branch filter (lf_bcj.h) over the output: undone unit by
     * unit as the routine does (units of 1, 2, 4, 8 bytes, each once
     * LFB_LAG more bytes are there or the record is whole) equals undone
     * at once, and filtering then undoing gives the bytes back */
    uint32_t u = 1u << ((sel >> 5) & 3u), olen = (uint32_t)r & ~(u - 1u), a = (sel * 0x1000u) & ~1u;
    memcpy(ref, out, olen);
    lfb_filter(ref, olen, a, 0);
    struct lfb_state b = LFB_START;
    uint8_t wu[8];
    for (uint32_t at = 0; at < olen; at += u) {
      lfb_unit(&b, out, at, u, olen, a, wu);
      if (memcmp(wu, ref + at, u) != 0)
        abort();
    }
    lfb_filter(ref, olen, a, 1);
    if (memcmp(ref, out, olen) != 0)
      abort();
  }
  free(o);
  free(ring);
  return 0;
}

#ifdef LF_FUZZ_STANDALONE
/* Each file as-is, and behind a spread of selector bytes. */
int main(int argc, char **argv)
{
  static uint8_t buf[1 << 20];
  unsigned files = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "%s: cannot open\n", argv[i]);
      return 1;
    }
    size_t n = fread(buf + 1, 1, sizeof buf - 1, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf + 1, n);
    for (unsigned sel = 0; sel < 256; sel += 37) {
      buf[0] = (uint8_t)sel;
      LLVMFuzzerTestOneInput(buf, n + 1);
    }
    files++;
  }
  printf("fuzz_inflate_replay: %u files, no finding\n", files);
  return files ? 0 : 1;
}
#endif
