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
 *  - host time: the calling thread's timeline (one per thread, below; a
 *    single-threaded tool has one). Before a board handles a transfer it is
 *    brought up to host time (lf_bench_run: its core runs, flash operations
 *    progress); afterwards host time is the board's time.
 *  - usleep, nanosleep, clock_nanosleep, sleep: host time advances by the
 *    request, the boards of the timeline are brought up to it, the call
 *    returns at once.
 *  - clock_gettime, gettimeofday, time: the clock at the first libusb_init
 *    plus host time. Reads are free while time moves; a tool busy-waiting on
 *    the clock alone pays 1 us per read (bench choice) so it progresses.
 * The tool's run then costs in modeled time what it costs on hardware, its
 * sleeps included, deterministically, and takes no host time waiting.
 *
 * Threads (luaflash's gang: one thread per probe, each with its own
 * context): every thread has its own timeline, as threads run concurrently
 * on hardware.
 *  - The thread that brings the boards up (the first libusb_init) starts at
 *    0. Any other thread's timeline starts, at its first call into the
 *    stand-in after that, at the first thread's time at that moment.
 *  - A thread's transfer brings the board up to the thread's time and leaves
 *    the thread at the board's time after it (max of the two), and makes the
 *    thread the board's owner. A board is never moved by another thread's
 *    time except through that thread's own transfers on it.
 *  - A board nobody used yet belongs to the first thread's timeline.
 *  - A control transfer (descriptors) on a board the calling thread does not
 *    own costs that thread its modeled time and leaves the board alone (the
 *    gang: every thread enumerates every probe to find its own by serial,
 *    while the others may already be driving theirs).
 *  - A sleep advances the calling thread's time only and brings up to it
 *    the boards that thread owns (and, for the first thread, the boards no
 *    thread used yet: a single-threaded tool sees exactly the behaviour of
 *    one timeline).
 *  - Clock reads return the calling thread's time; the spin rule below
 *    counts per thread.
 * Deterministic whenever each board is driven by one thread at a time and
 * the first thread's clock does not move while other threads start (the
 * gang: the main thread enumerates, starts the threads and waits). A board
 * shared by threads running at once gets their transfers in host order, as
 * a shared probe would. The report's host line gives the latest time of any
 * timeline and how many there were.
 *
 * Interposition needs the stand-in ahead of libc in the tool's symbol search
 * order: scripts/bench-peer preloads it. LF_BENCH_HOST_TIME=1 turns all of
 * this off (sleeps and clocks go to libc); before the first libusb_init
 * (no boards) they always do. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
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

/* One thread's time. */
typedef struct timeline {
  uint64_t id;        /* 0 = not started; 1 = the thread that brought the boards up */
  uint64_t ns;        /* time since the boards came up */
  uint64_t last_seen; /* spin rule (virtual_clock) */
  unsigned stalled;
  int busy;           /* a bench model calling back into these functions: use libc */
} timeline;

static _Thread_local timeline tl;

static bool virtual_on(void)
{
  return atomic_load_explicit(&su_proc.ready, memory_order_acquire) && !su_proc.host_time;
}

static void *real_fn(_Atomic(void *) *slot, const char *name)
{
  void *f = atomic_load_explicit(slot, memory_order_relaxed);
  if (!f) {
    f = dlsym(RTLD_NEXT, name);
    atomic_store_explicit(slot, f, memory_order_relaxed);
  }
  return f;
}

static _Atomic(void *) real_gettime, real_nanosleep, real_clock_nanosleep;

static int real_clock_gettime(clockid_t clk, struct timespec *ts)
{
  clock_gettime_fn real = (clock_gettime_fn)real_fn(&real_gettime, "clock_gettime");
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

/* Host clocks at the moment the boards came up: the virtual clocks start
 * there. Written before su_proc.ready is set (release), read after. */
static struct { uint64_t realtime, monotonic; } epoch;

static void atomic_max(_Atomic uint64_t *a, uint64_t v)
{
  uint64_t cur = atomic_load_explicit(a, memory_order_relaxed);
  while (cur < v && !atomic_compare_exchange_weak_explicit(a, &cur, v, memory_order_relaxed,
                                                           memory_order_relaxed)) {
  }
}

/* Called under su_proc.lock by the thread that brings the boards up. */
void su_time_start(void)
{
  struct timespec r = {0, 0}, m = {0, 0};
  const char *e = getenv("LF_BENCH_HOST_TIME");
  su_proc.host_time = e && *e && *e != '0';
  real_clock_gettime(CLOCK_REALTIME, &r);
  real_clock_gettime(CLOCK_MONOTONIC, &m);
  epoch.realtime = ts_ns(&r);
  epoch.monotonic = ts_ns(&m);
  atomic_store(&su_proc.host_ns, 0);
  atomic_store(&su_proc.max_ns, 0);
  atomic_store(&su_proc.timelines, 1);
  tl = (timeline){.id = 1, .ns = 0, .last_seen = UINT64_MAX};
}

/* The calling thread's timeline, started on first use. */
static timeline *me(void)
{
  if (tl.id == 0) {
    tl.id = atomic_fetch_add(&su_proc.timelines, 1) + 1;
    tl.ns = atomic_load(&su_proc.host_ns);
    tl.last_seen = UINT64_MAX;
  }
  return &tl;
}

static void set_ns(timeline *t, uint64_t ns)
{
  t->ns = ns;
  if (t->id == 1)
    atomic_store_explicit(&su_proc.host_ns, ns, memory_order_relaxed);
  atomic_max(&su_proc.max_ns, ns);
}

void su_time_enter(su_board *sb)
{
  timeline *t = me();
  uint64_t now = lf_bench_clock(sb->b)->now_ns;
  if (now < t->ns)
    lf_bench_run(sb->b, t->ns - now);
}

void su_time_leave(su_board *sb)
{
  timeline *t = me();
  uint64_t now = lf_bench_clock(sb->b)->now_ns;
  if (now > t->ns)
    set_ns(t, now);
  sb->owner = t->id;
}

bool su_time_owns(const su_board *sb)
{
  uint64_t id = me()->id;
  return sb->owner == id || (sb->owner == 0 && id == 1);
}

void su_time_reach(uint64_t ns)
{
  timeline *t = me();
  if (ns > t->ns)
    set_ns(t, ns);
}

uint64_t su_time_id(void) { return me()->id; }

/* ---- timed waits ----
 * A tool computes the deadline of a timed wait from the clock it reads,
 * i.e. from virtual time; the kernel measures it on the real clock.
 * CPython's GIL hand-over between two threads (pyOCD's HID receive thread
 * and its main thread) waits on a condition variable for 5 ms past
 * clock_gettime(CLOCK_MONOTONIC): with virtual time behind real time every
 * such wait returned at once, the threads spun, and their clock reads (the
 * spin rule above) moved virtual time by how the host scheduled them. So
 * the timed waits are interposed too and keep the duration the tool asked
 * for: deadline - the thread's virtual now, from the real clock's now
 * (the clock is the one whose virtual now the deadline is nearer to). The
 * wait itself takes no virtual time: another thread is what it waits for. */
static bool virtual_clock_id(clockid_t clk);

typedef int (*cond_timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*cond_clockwait_fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                                 const struct timespec *);
typedef int (*sem_timedwait_fn)(sem_t *, const struct timespec *);
typedef int (*sem_clockwait_fn)(sem_t *, clockid_t, const struct timespec *);
static _Atomic(void *) real_cond_timedwait, real_cond_clockwait, real_sem_timedwait,
    real_sem_clockwait;

static struct timespec ts_of(uint64_t ns)
{
  return (struct timespec){(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
}

/* abs, a deadline on `clk` in virtual time, as the same distance from the
 * real clock's now. */
static struct timespec real_deadline(clockid_t clk, const struct timespec *abs)
{
  timeline *t = me();
  bool wall = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE;
  uint64_t vnow = (wall ? epoch.realtime : epoch.monotonic) + t->ns;
  uint64_t a = ts_ns(abs);
  struct timespec now = {0, 0};
  real_clock_gettime(wall ? CLOCK_REALTIME : CLOCK_MONOTONIC, &now);
  return ts_of(ts_ns(&now) + (a > vnow ? a - vnow : 0));
}

/* The clock a deadline was read from: the one whose virtual now it is nearer. */
static clockid_t clock_of(const struct timespec *abs)
{
  uint64_t a = ts_ns(abs), m = epoch.monotonic + tl.ns, r = epoch.realtime + tl.ns;
  uint64_t dm = a > m ? a - m : m - a, dr = a > r ? a - r : r - a;
  return dm <= dr ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

API int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                               const struct timespec *restrict abs)
{
  cond_timedwait_fn real = (cond_timedwait_fn)real_fn(&real_cond_timedwait, "pthread_cond_timedwait");
  if (!real)
    return ENOSYS;
  if (tl.busy || !virtual_on())
    return real(c, m, abs);
  struct timespec d = real_deadline(clock_of(abs), abs);
  return real(c, m, &d);
}

API int pthread_cond_clockwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                               clockid_t clk, const struct timespec *restrict abs)
{
  cond_clockwait_fn real = (cond_clockwait_fn)real_fn(&real_cond_clockwait, "pthread_cond_clockwait");
  if (!real)
    return ENOSYS;
  if (tl.busy || !virtual_on() || !virtual_clock_id(clk))
    return real(c, m, clk, abs);
  struct timespec d = real_deadline(clk, abs);
  bool wall = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE;
  return real(c, m, wall ? CLOCK_REALTIME : CLOCK_MONOTONIC, &d);
}

API int sem_timedwait(sem_t *restrict s, const struct timespec *restrict abs)
{
  sem_timedwait_fn real = (sem_timedwait_fn)real_fn(&real_sem_timedwait, "sem_timedwait");
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  if (tl.busy || !virtual_on())
    return real(s, abs);
  struct timespec d = real_deadline(CLOCK_REALTIME, abs); /* sem_timedwait: CLOCK_REALTIME */
  return real(s, &d);
}

API int sem_clockwait(sem_t *restrict s, clockid_t clk, const struct timespec *restrict abs)
{
  sem_clockwait_fn real = (sem_clockwait_fn)real_fn(&real_sem_clockwait, "sem_clockwait");
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  if (tl.busy || !virtual_on() || !virtual_clock_id(clk))
    return real(s, clk, abs);
  struct timespec d = real_deadline(clk, abs);
  bool wall = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE;
  return real(s, wall ? CLOCK_REALTIME : CLOCK_MONOTONIC, &d);
}

int su_time_cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, unsigned ms)
{
  cond_timedwait_fn real = (cond_timedwait_fn)real_fn(&real_cond_timedwait, "pthread_cond_timedwait");
  if (!real)
    return ENOSYS;
  struct timespec now = {0, 0};
  real_clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec d = ts_of(ts_ns(&now) + (uint64_t)ms * 1000000u);
  return real(c, m, &d);
}

uint64_t su_time_charge(uint64_t ns)
{
  timeline *t = me();
  set_ns(t, t->ns + ns);
  return t->ns;
}

void su_time_sync_owned(void)
{
  timeline *t = me();
  for (size_t i = 0; i < su_proc.nboards; i++) {
    su_board *sb = &su_proc.boards[i];
    pthread_mutex_lock(&sb->lock);
    if (sb->owner == t->id || (sb->owner == 0 && t->id == 1))
      su_time_enter(sb);
    pthread_mutex_unlock(&sb->lock);
  }
}

static void host_sleep_ns(uint64_t ns)
{
  timeline *t = me();
  t->busy = 1;
  if (su_proc.trace) {
    flockfile(su_proc.trace);
    fprintf(su_proc.trace, "%.9f host sleep %llu ns (thread %llu)\n", (double)t->ns / 1e9,
            (unsigned long long)ns, (unsigned long long)t->id);
    funlockfile(su_proc.trace);
  }
  set_ns(t, t->ns + ns);
  atomic_fetch_add(&su_proc.sleeps, 1);
  atomic_fetch_add(&su_proc.sleep_ns, ns);
  su_time_sync_owned();
  t->busy = 0;
}

/* A clock read costs nothing while time moves between reads (transfers,
 * sleeps); a tool spinning on the clock alone (more than SPIN_READS reads in
 * a row with no progress) pays CLOCK_READ_NS per read from then on, so it
 * progresses. Host time then does not depend on how often a tool looks at
 * the clock for its logs, and equals the in-process transport's. Counted
 * per thread. */
#define SPIN_READS 64u

static uint64_t virtual_clock(clockid_t clk)
{
  timeline *t = me();
  if (t->ns == t->last_seen) {
    if (++t->stalled > SPIN_READS)
      set_ns(t, t->ns + CLOCK_READ_NS);
  } else {
    t->stalled = 0;
  }
  t->last_seen = t->ns;
  atomic_fetch_add_explicit(&su_proc.clock_reads, 1, memory_order_relaxed);
  bool wall = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE;
  return (wall ? epoch.realtime : epoch.monotonic) + t->ns;
}

static bool virtual_clock_id(clockid_t clk)
{
  return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC ||
         clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_BOOTTIME;
}

API int clock_gettime(clockid_t clk, struct timespec *ts)
{
  if (tl.busy || !virtual_on() || !virtual_clock_id(clk))
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
  if (!tl.busy && virtual_on()) {
    host_sleep_ns(ts_ns(req));
    if (rem)
      rem->tv_sec = rem->tv_nsec = 0;
    return 0;
  }
  nanosleep_fn real = (nanosleep_fn)real_fn(&real_nanosleep, "nanosleep");
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
  if (!tl.busy && virtual_on() && virtual_clock_id(clk)) {
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
  clock_nanosleep_fn real = (clock_nanosleep_fn)real_fn(&real_clock_nanosleep, "clock_nanosleep");
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
