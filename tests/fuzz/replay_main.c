/* main() of the replay build of a fuzz target (fuzz_<name>_replay): runs
 * LLVMFuzzerTestOneInput once over every file named, and over every file
 * of every folder named (the committed corpus), so the targets keep
 * building and working without clang and old findings stay fixed. Built
 * with LF_FUZZ_REPLAY_SPREAD, each file also runs behind a spread of
 * selector bytes (drivers whose byte 0 picks their settings). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned *n)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", path);
    return 1;
  }
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
      }
      buf = nb;
    }
  }
  fclose(f);
  if (!buf) {
    fprintf(stderr, "%s: out of memory\n", path);
    return 1;
  }
  /* an exact-size copy, so reads past the end are caught by the sanitizers */
  uint8_t *exact = malloc(len ? len : 1);
  if (!exact) {
    free(buf);
    return 1;
  }
  memcpy(exact, buf, len);
  free(buf);
  LLVMFuzzerTestOneInput(exact, len);
#ifdef LF_FUZZ_REPLAY_SPREAD
  /* a driver whose byte 0 selects its settings: the file also behind a
   * spread of selector bytes */
  uint8_t *sel = malloc(len + 1);
  if (!sel) {
    free(exact);
    fprintf(stderr, "%s: out of memory\n", path);
    return 1;
  }
  memcpy(sel + 1, exact, len);
  for (unsigned b = 0; b < 256; b += 37) {
    sel[0] = (uint8_t)b;
    LLVMFuzzerTestOneInput(sel, len + 1);
  }
  free(sel);
#endif
  free(exact);
  (*n)++;
  return 0;
}

static int cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
  unsigned n = 0;
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "%s: not found\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      rc |= run_file(argv[i], &n);
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (!d) {
      fprintf(stderr, "%s: cannot open folder\n", argv[i]);
      return 1;
    }
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.')
        continue;
      char **nb = realloc(names, (nn + 1) * sizeof *names);
      if (!nb)
        break;
      names = nb;
      size_t l = strlen(argv[i]) + strlen(e->d_name) + 2;
      if (!(names[nn] = malloc(l)))
        break;
      snprintf(names[nn++], l, "%s/%s", argv[i], e->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp);
    for (size_t k = 0; k < nn; k++) {
      rc |= run_file(names[k], &n);
      free(names[k]);
    }
    free(names);
  }
  printf("replayed %u inputs\n", n);
  return rc;
}
