/* lf-bench-check: looks at a board saved in a bench state file.
 *
 *   lf-bench-check --board NAME --state FILE [--compare IMAGE.bin [--at ADDR]]
 *                  [--run SECONDS]
 *
 * --compare: the flash at ADDR (default 0x08000000) must equal the file byte
 * for byte (the first difference is reported with its address).
 * --run: power the board on, run it for SECONDS of virtual time and print the
 * LED toggles; the board must blink (at least one toggle).
 * Exit status 0 when every requested check passed, 1 when one failed, 2 on
 * bad input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static int usage(void)
{
  fprintf(stderr, "usage: lf-bench-check --board NAME --state FILE [--compare IMAGE.bin [--at ADDR]] "
                  "[--run SECONDS]\n");
  return 2;
}

int main(int argc, char **argv)
{
  const char *board = NULL, *state = NULL, *image = NULL;
  unsigned long at = 0x08000000ul;
  double run_s = -1;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (!v)
      return usage();
    if (!strcmp(argv[i], "--board")) board = v;
    else if (!strcmp(argv[i], "--state")) state = v;
    else if (!strcmp(argv[i], "--compare")) image = v;
    else if (!strcmp(argv[i], "--at")) {
      errno = 0;
      at = strtoul(v, &end, 0);
      if (*end || errno || at > 0xFFFFFFFFul) {
        fprintf(stderr, "lf-bench-check: --at %s: expected an address such as 0x08000000\n", v);
        return 2;
      }
    } else if (!strcmp(argv[i], "--run")) {
      run_s = strtod(v, &end);
      if (*end || run_s < 0 || run_s > 3600) {
        fprintf(stderr, "lf-bench-check: --run %s: expected seconds between 0 and 3600\n", v);
        return 2;
      }
    } else
      return usage();
    i++;
  }
  if (!board || !state)
    return usage();

  FILE *probe = fopen(state, "rb");
  if (!probe) {
    fprintf(stderr, "lf-bench-check: %s: %s\n", state, strerror(errno));
    return 2;
  }
  fclose(probe);
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = board;
  cfg.state_file = state;
  char err[512];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!b) {
    fprintf(stderr, "lf-bench-check: %s\n", err);
    return 2;
  }
  int rc = 0;
  if (image) {
    FILE *f = fopen(image, "rb");
    if (!f) {
      fprintf(stderr, "lf-bench-check: %s: %s\n", image, strerror(errno));
      lf_bench_board_free(b);
      return 2;
    }
    unsigned char want[4096], got[4096];
    size_t n, off = 0;
    while (rc == 0 && (n = fread(want, 1, sizeof want, f)) > 0) {
      if (lf_bench_peek(b, (uint32_t)(at + off), got, n) != 0) {
        fprintf(stderr, "lf-bench-check: 0x%08lx: not readable target memory\n", at + off);
        rc = 1;
        break;
      }
      for (size_t i = 0; i < n; i++)
        if (want[i] != got[i]) {
          fprintf(stderr, "lf-bench-check: flash differs from %s at 0x%08lx (offset %zu): 0x%02x, "
                          "expected 0x%02x\n", image, at + off + i, off + i, got[i], want[i]);
          rc = 1;
          break;
        }
      off += n;
    }
    fclose(f);
    if (rc == 0)
      printf("flash equals %s (%zu bytes at 0x%08lx)\n", image, off, at);
  }
  if (rc == 0 && run_s >= 0) {
    lf_bench_led_events_clear(b);
    lf_bench_run(b, (uint64_t)(run_s * 1e9));
    unsigned t[4];
    size_t nev = lf_bench_led_toggles(b, t);
    printf("LED toggles in %.3f s: LD1 %u, LD2 %u, LD3 %u\n", run_s, t[1], t[2], t[3]);
    if (nev == 0) {
      fprintf(stderr, "lf-bench-check: the board did not blink\n");
      rc = 1;
    }
  }
  lf_bench_board_free(b);
  return rc;
}
