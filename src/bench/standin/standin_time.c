/* The tool's time is the bench's virtual time.
 *
 * A tool that waits for the target sleeps between polls and gives up after a
 * deadline on its own clock: st-flash 1.7 polls DHCSR while its flash loader
 * runs, OpenOCD's `sleep 10` (stm32f7x.cfg reset-init, PLL lock) loops on
 * gettimeofday with 1 ms sleeps, pyOCD uses time.sleep and time.monotonic.
 * On hardware the target keeps running meanwhile. With host sleeps and a
 * host clock the bench would see either no time pass (the target never
 * finishes) or a run whose length depends on the host's speed.
 *
 * So the stand-in exports the sleep and clock functions too:
 *  - host time: one timeline (su_proc.host_ns). Before a board handles a
 *    transfer it is brought up to host time (lf_bench_run: its core runs,
 *    flash operations progress); afterwards host time is the board's time.
 *  - usleep, nanosleep, clock_nanosleep, sleep: host time advances by the
 *    request, every board is brought up to it, the call returns at once.
 *  - clock_gettime, gettimeofday, time: the clock at the first libusb_init
 *    plus host time. Reads are free while time moves; a tool busy-waiting on
 *    the clock alone pays 1 us per read (bench choice) so it progresses.
 * The tool's run then costs in modeled time what it costs on hardware, its
 * sleeps included, deterministically, and takes no host time waiting.
 *
 * Interposition needs the stand-in ahead of libc in the tool's symbol search
 * order: scripts/bench-peer preloads it. LF_BENCH_HOST_TIME=1 turns all of
 * this off (sleeps and clocks go to libc); before the first libusb_init
 * (no boards) they always do. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench/standin/standin.h"

#define API __attribute__((visibility("default")))
#define CLOCK_READ_NS 1000u /* bench choice: host cost of one clock read */

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*nanosleep_fn)(const struct timespec *, struct timespec *);
typedef int (*clock_nanosleep_fn)(clockid_t, int, const struct timespec *, struct timespec *);

static int host_time_mode(void)
{
  static int mode = -1;
  if (mode < 0) {
    const char *e = getenv("LF_BENCH_HOST_TIME");
    mode = e && *e && *e != '0';
  }
  return mode;
}

static bool virtual_on(void) { return su_proc.ready && !host_time_mode(); }

static int real_clock_gettime(clockid_t clk, struct timespec *ts)
{
  static clock_gettime_fn real;
  if (!real)
    real = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  return real(clk, ts);
}

static uint64_t ts_ns(const struct timespec *ts)
{
  if (ts->tv_sec < 0 || ts->tv_nsec < 0)
    return 0;
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* Host clocks at the moment the boards came up: the virtual clocks start there. */
static struct { bool set; uint64_t realtime, monotonic; } epoch;

void su_time_start(void)
{
  struct timespec r = {0, 0}, m = {0, 0};
  real_clock_gettime(CLOCK_REALTIME, &r);
  real_clock_gettime(CLOCK_MONOTONIC, &m);
  epoch.realtime = ts_ns(&r);
  epoch.monotonic = ts_ns(&m);
  epoch.set = true;
  su_proc.host_ns = 0;
}

void su_time_enter(su_board *sb)
{
  uint64_t now = lf_bench_clock(sb->b)->now_ns;
  if (now < su_proc.host_ns)
    lf_bench_run(sb->b, su_proc.host_ns - now);
}

void su_time_leave(su_board *sb)
{
  uint64_t now = lf_bench_clock(sb->b)->now_ns;
  if (now > su_proc.host_ns)
    su_proc.host_ns = now;
}

void su_time_sync_all(void)
{
  for (size_t i = 0; i < su_proc.nboards; i++)
    su_time_enter(&su_proc.boards[i]);
}

static int busy; /* a bench model calling back into these functions: use libc */

static void host_sleep_ns(uint64_t ns)
{
  busy = 1;
  if (su_proc.trace)
    fprintf(su_proc.trace, "%.9f host sleep %llu ns\n", (double)su_proc.host_ns / 1e9,
            (unsigned long long)ns);
  su_proc.host_ns += ns;
  su_proc.sleeps++;
  su_proc.sleep_ns += ns;
  su_time_sync_all();
  busy = 0;
}

/* A clock read costs nothing while time moves between reads (transfers,
 * sleeps); a tool spinning on the clock alone (more than SPIN_READS reads in
 * a row with no progress) pays CLOCK_READ_NS per read from then on, so it
 * progresses. Host time then does not depend on how often a tool looks at
 * the clock for its logs, and equals the in-process transport's. */
#define SPIN_READS 64u

static uint64_t virtual_clock(clockid_t clk)
{
  static uint64_t last_seen = UINT64_MAX;
  static unsigned stalled;
  if (su_proc.host_ns == last_seen) {
    if (++stalled > SPIN_READS)
      su_proc.host_ns += CLOCK_READ_NS;
  } else {
    stalled = 0;
  }
  last_seen = su_proc.host_ns;
  su_proc.clock_reads++;
  bool wall = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE;
  return (wall ? epoch.realtime : epoch.monotonic) + su_proc.host_ns;
}

static bool virtual_clock_id(clockid_t clk)
{
  return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC ||
         clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_BOOTTIME;
}

API int clock_gettime(clockid_t clk, struct timespec *ts)
{
  if (busy || !virtual_on() || !epoch.set || !virtual_clock_id(clk))
    return real_clock_gettime(clk, ts);
  uint64_t ns = virtual_clock(clk);
  ts->tv_sec = (time_t)(ns / 1000000000u);
  ts->tv_nsec = (long)(ns % 1000000000u);
  return 0;
}

API int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
  (void)tz;
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return -1;
  tv->tv_sec = ts.tv_sec; /* glibc declares tv nonnull */
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

API time_t time(time_t *t)
{
  struct timespec ts = {0, 0};
  clock_gettime(CLOCK_REALTIME, &ts);
  if (t)
    *t = ts.tv_sec;
  return ts.tv_sec;
}

API int nanosleep(const struct timespec *req, struct timespec *rem)
{
  if (!req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000) {
    errno = EINVAL;
    return -1;
  }
  if (!busy && virtual_on()) {
    host_sleep_ns(ts_ns(req));
    if (rem)
      rem->tv_sec = rem->tv_nsec = 0;
    return 0;
  }
  nanosleep_fn real = (nanosleep_fn)dlsym(RTLD_NEXT, "nanosleep");
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  return real(req, rem);
}

API int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
  if (!req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
    return EINVAL;
  if (!busy && virtual_on() && virtual_clock_id(clk)) {
    uint64_t ns = ts_ns(req);
    if (flags & TIMER_ABSTIME) {
      struct timespec now;
      clock_gettime(clk, &now);
      uint64_t t = ts_ns(&now);
      ns = ns > t ? ns - t : 0;
    } else if (rem) {
      rem->tv_sec = rem->tv_nsec = 0;
    }
    host_sleep_ns(ns);
    return 0;
  }
  clock_nanosleep_fn real = (clock_nanosleep_fn)dlsym(RTLD_NEXT, "clock_nanosleep");
  return real ? real(clk, flags, req, rem) : ENOSYS;
}

API int usleep(useconds_t us)
{
  struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000};
  return nanosleep(&ts, NULL);
}

API unsigned int sleep(unsigned int s)
{
  struct timespec ts = {(time_t)s, 0}, rem = {0, 0};
  if (nanosleep(&ts, &rem) != 0)
    return (unsigned)rem.tv_sec;
  return 0;
}
