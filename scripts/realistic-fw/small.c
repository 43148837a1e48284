/* ~64 KB: a sensor-logging style application on newlib's libc and libm
 * (formatted I/O with floats, string and math functions, qsort, strtod). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void)
{
  static double v[64];
  char line[128];
  for (int i = 0; i < 64; i++)
    v[i] = sin(i * 0.1) * exp(-i / 30.0) + pow(1.01, i) + log1p(i) + atan2(i, 7.0) + sqrt(i) + cbrt(i);
  qsort(v, 64, sizeof v[0], cmp);
  snprintf(line, sizeof line, "median %.6f max %g min %e", v[32], v[63], v[0]);
  double back = strtod(strchr(line, ' ') + 1, NULL);
  int n = (int)strlen(line);
  printf("%s %d %ld %s\n", line, n, lround(fmod(back, 3.0)), strerror(n & 7));
  return (int)hypot(v[1], v[2]);
}
