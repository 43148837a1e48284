/* fuzz_inflate.c's driver on the RP2040 routine's decoder
 * (src/flash/loaders/lf_inflate_m0.h, the M0+-tuned form of lf_inflate.h):
 * the same checks (no access outside the buffers, the ring and the flat
 * input give the same answer, what it decodes zlib decodes the same).
 * ctest fuzz_inflate_m0_replay replays tests/fuzz/corpus/inflate. */
#define LF_INFLATE_H /* fuzz_inflate.c's include of lf_inflate.h: this decoder instead */
#include "flash/loaders/lf_inflate_m0.h"
#define lfz_work lfm_work
#define lfz_inflate lfm_inflate
#include "fuzz_inflate.c"
