/* lf-bench-image: writes a test image for the bench: the blink demo for the
 * board followed by deterministic pseudo-random filler up to SIZE bytes, so
 * one image proves both byte-exact programming and that the board boots.
 *
 *   lf-bench-image [--board nucleo-f767zi|nucleo-f429zi] SIZE OUT.bin
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

int main(int argc, char **argv)
{
  const char *board = "nucleo-f767zi";
  int a = 1;
  if (argc > 2 && !strcmp(argv[1], "--board")) {
    board = argv[2];
    a = 3;
  }
  if (argc - a != 2) {
    fprintf(stderr, "usage: lf-bench-image [--board NAME] SIZE OUT.bin\n");
    return 2;
  }
  const lf_bench_board_info *bi = lf_bench_board_find(board);
  if (!bi) {
    char known[256];
    fprintf(stderr, "lf-bench-image: no demo firmware for board '%s' (known: %s)\n", board,
            lf_bench_board_list(known, sizeof known));
    return 2;
  }
  const unsigned char *demo = bi->demo;
  size_t demo_len = *bi->demo_len;
  char *end;
  errno = 0;
  unsigned long size = strtoul(argv[a], &end, 0);
  if (*end || errno || size < demo_len || size > (2ul << 20)) {
    fprintf(stderr, "lf-bench-image: SIZE %s: expected %zu..%lu bytes\n", argv[a], demo_len, 2ul << 20);
    return 2;
  }
  unsigned char *buf = malloc(size);
  if (!buf)
    return 2;
  memcpy(buf, demo, demo_len);
  uint32_t x = 0x2545F491u; /* xorshift32, fixed seed: the same image every time */
  for (size_t i = demo_len; i < size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (unsigned char)x;
  }
  FILE *f = fopen(argv[a + 1], "wb");
  if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "lf-bench-image: %s: %s\n", argv[a + 1], strerror(errno));
    free(buf);
    return 1;
  }
  free(buf);
  return 0;
}
