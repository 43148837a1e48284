/* lf-hostile: luaflash over a hostile probe (faults.h hostile@SEED:PM), one
 * seed after another, in process: for each seed a fresh Lua runtime and a
 * fresh virtual board whose probe corrupts its USB traffic at random, the
 * `flash` command (the whole default sequence: connect, plan, erase,
 * program, verify, reset, disconnect) with a deterministic image, then the
 * board's flash is read on the bench. A seed passes when luaflash did not
 * crash (this process is alive), failed with a message or succeeded with
 * the image really in flash, and stayed within the bounds of modeled and
 * host time (no hang past its timeouts).
 *
 *   lf-hostile [--board B] [--probe P] [--seeds FIRST:COUNT] [--permille N]
 *              [--size BYTES] [--max-modeled S] [--max-host S] [-v]
 *
 * --permille 0 (default) varies the rate with the seed: 1 + seed % 10 per
 * mille of the transfers. Exit 0 when every seed passed; the summary line
 * (and with -v one line per seed) on stdout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/session.h"
#include "script/lf_lua.h"

#ifndef LF_HOSTILE_LUA_DIR
#define LF_HOSTILE_LUA_DIR "lua"
#endif

static double host_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* After the run: flash against the image, the board's virtual time and the
 * transfers spoiled, reported through the error message (the only channel
 * back from lf_lua_run_string). */
static const char check_chunk[] =
  "local lf = require('luaflash')\n"
  "local b = lf.cli.bench\n"
  "local f = assert(io.open(lf.cli.hostile_image, 'rb'))\n"
  "local img = f:read('a')\n"
  "f:close()\n"
  "local got = b:peek(0x08000000, #img, 1)\n"
  "local c = b:counters(1)\n"
  "local spoiled = tonumber(b:report(1):match('hostile: (%d+) transfers corrupted')) or 0\n"
  "error(string.format('RESULT same=%d t_ns=%d to_ns=%d spoiled=%d', got == img and 1 or 0,\n"
  "  b:time_ns(1), c.time.timeout or 0, spoiled), 0)\n";

int main(int argc, char **argv)
{
  const char *board = "nucleo-f103rb", *probe = "v2-1", *board_file = "nucleo_f103rb";
  unsigned long long first = 0, count = 1000;
  unsigned permille = 0, size = 2048;
  double max_modeled = 30.0, max_host = 60.0;
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-v")) {
      verbose = 1;
      continue;
    }
    if (!v) {
      fprintf(stderr, "lf-hostile: %s needs a value\n", a);
      return 2;
    }
    i++;
    if (!strcmp(a, "--board"))
      board = v;
    else if (!strcmp(a, "--board-file"))
      board_file = v;
    else if (!strcmp(a, "--probe"))
      probe = v;
    else if (!strcmp(a, "--seeds")) {
      if (sscanf(v, "%llu:%llu", &first, &count) != 2) {
        fprintf(stderr, "lf-hostile: --seeds FIRST:COUNT\n");
        return 2;
      }
    } else if (!strcmp(a, "--permille"))
      permille = (unsigned)atoi(v);
    else if (!strcmp(a, "--size"))
      size = (unsigned)atoi(v);
    else if (!strcmp(a, "--max-modeled"))
      max_modeled = atof(v);
    else if (!strcmp(a, "--max-host"))
      max_host = atof(v);
    else {
      fprintf(stderr, "lf-hostile: unknown option %s\n", a);
      return 2;
    }
  }
  const char *src = getenv("LF_SOURCE_DIR");
  char lua_dir[4096];
  snprintf(lua_dir, sizeof lua_dir, "%s", LF_HOSTILE_LUA_DIR);
  if (src && src[0])
    snprintf(lua_dir, sizeof lua_dir, "%s/lua", src);
  /* the image: deterministic bytes, never all 0xFF */
  char image[] = "/tmp/lf-hostile-XXXXXX";
  int fd = mkstemp(image);
  if (fd < 0) {
    perror("lf-hostile: mkstemp");
    return 1;
  }
  uint8_t *img = malloc(size);
  uint32_t x = 0x12345678;
  for (unsigned i = 0; i < size; i++) {
    x = x * 1664525u + 1013904223u;
    img[i] = (uint8_t)(x >> 24);
  }
  if (write(fd, img, size) != (ssize_t)size) {
    perror("lf-hostile: write");
    return 1;
  }
  close(fd);
  free(img);
  char board_spec[128];
  snprintf(board_spec, sizeof board_spec, "%s@%s", board, probe);

  unsigned long long ok = 0, failed = 0, bad = 0, absorbed = 0;
  double worst_modeled = 0, worst_host = 0;
  unsigned long long worst_modeled_seed = 0, worst_host_seed = 0, worst_busy_seed = 0;
  double worst_busy = 0;
  for (unsigned long long seed = first; seed < first + count; seed++) {
    unsigned pm = permille ? permille : (unsigned)(1 + seed % 10);
    char faults[64];
    snprintf(faults, sizeof faults, "hostile@%llu:%u", seed, pm);
    lf_session *s = lf_session_new();
    lf_lua *l = NULL;
    double t0 = host_s();
    if (!s || lf_lua_new(s, lua_dir, &l) != 0) {
      fprintf(stderr, "lf-hostile: cannot start Lua (%s)\n", lua_dir);
      return 1;
    }
    lf_lua_bench_opts o = {.boards = board_spec, .faults = faults};
    if (lf_lua_attach_bench(l, &o) != 0) {
      fprintf(stderr, "lf-hostile: bench: %s\n", lf_lua_message(l));
      return 1;
    }
    lf_lua_set_cli(l, "hostile_image", image);
    char *args[] = {image, "--board", (char *)board_file, "base=0x08000000", "--quiet"};
    int st = lf_lua_run_command(l, "flash", 5, args);
    double host = host_s() - t0;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", st ? lf_lua_message(l) : "");
    for (char *p = msg; *p; p++)
      if (*p == '\n')
        *p = ' ';
    lf_lua_run_string(l, check_chunk, "=hostile-check");
    int same = -1;
    unsigned long long t_ns = 0, to_ns = 0, spoiled = 0;
    const char *r = strstr(lf_lua_message(l), "RESULT ");
    if (!r || sscanf(r, "RESULT same=%d t_ns=%llu to_ns=%llu spoiled=%llu", &same, &t_ns, &to_ns,
                     &spoiled) != 4) {
      fprintf(stderr, "lf-hostile: seed %llu: the check failed: %s\n", seed, lf_lua_message(l));
      return 1;
    }
    lf_lua_free(l);
    lf_session_free(s);
    double modeled = (double)t_ns / 1e9, waited = (double)to_ns / 1e9;
    if (modeled - waited > worst_busy) {
      worst_busy = modeled - waited;
      worst_busy_seed = seed;
    }
    const char *verdict = NULL;
    if (st == 0 && !same)
      verdict = "FALSE SUCCESS (flash does not hold the image)";
    else if (st != 0 && !msg[0])
      verdict = "FAILED WITHOUT A MESSAGE";
    else if (modeled > max_modeled)
      verdict = "TOO SLOW (modeled time)";
    else if (host > max_host)
      verdict = "TOO SLOW (host time)";
    if (modeled > worst_modeled) {
      worst_modeled = modeled;
      worst_modeled_seed = seed;
    }
    if (host > worst_host) {
      worst_host = host;
      worst_host_seed = seed;
    }
    if (verdict) {
      bad++;
      printf("seed %llu (%s): %s: exit %d, modeled %.3f s, host %.3f s: %s\n", seed, faults, verdict, st,
             modeled, host, msg);
    } else if (verbose) {
      printf("seed %llu (%s): %s, %llu transfers spoiled, modeled %.3f s (%.3f s of it timeouts), "
             "host %.3f s%s%s\n", seed, faults, st ? "failed" : "ok (verified on the bench)", spoiled,
             modeled, waited, host, st ? ": " : "", msg);
    }
    if (st == 0 && spoiled)
      absorbed++;
    if (st == 0)
      ok++;
    else
      failed++;
    fflush(stdout);
  }
  unlink(image);
  printf("lf-hostile: %s, %llu seeds from %llu: %llu succeeded with the image in flash (%llu of them "
         "despite spoiled transfers), %llu failed with "
         "a message, %llu bad (false success, no message, too slow); 0 crashes; longest modeled %.3f s "
         "(seed %llu), %.3f s without the timeouts waited (seed %llu), longest host %.3f s (seed %llu)\n",
         board_spec, count, first, ok, absorbed, failed, bad, worst_modeled, worst_modeled_seed, worst_busy,
         worst_busy_seed, worst_host, worst_host_seed);
  return bad ? 1 : 0;
}
