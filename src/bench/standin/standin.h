/* Internals of the libusb-1.0 stand-in (libusb-1.0.so.0 built from
 * src/bench/standin/): the boards it serves, chosen by environment variables,
 * and the per-process bookkeeping shared by the API file (standin.c) and the
 * environment/report file (standin_env.c).
 *
 * Thread-safe, as the real libusb is (luaflash's gang drives one probe per
 * thread, each with its own context). Locks, always taken in this order:
 *   su_proc.lock   process state: setup, context count, every context's
 *                  transfer queue and the queued/cancel flags of transfers;
 *   board->lock    one board: every bench call on it, its counters, its
 *                  time owner; never held while taking su_proc.lock;
 *   the trace FILE's own lock (flockfile) for one trace line.
 * No lock is held while a transfer callback runs. Time is per thread
 * (standin_time.c). */
#ifndef LF_STANDIN_H
#define LF_STANDIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bench/bench.h"
#include "bench/standin/standin_abi.h"

#define SU_MAX_BOARDS 16

typedef struct su_counters {
  uint64_t control;        /* control transfers on EP0 (descriptors, requests) */
  uint64_t sync;           /* bulk/interrupt transfers through libusb_bulk_transfer & co */
  uint64_t async;          /* transfers through libusb_submit_transfer */
  uint64_t async_batches;  /* runs of async transfers queued back to back */
  uint64_t cancelled;      /* async transfers completed as CANCELLED */
} su_counters;

#define SU_CONFIG_MAX 512

struct su_device {
  struct su_board *board;
  su_context *ctx;         /* the context whose device list holds it */
  su_device_descriptor desc;
  /* the raw configuration descriptor: configuration, then per interface its
   * interface descriptor, class descriptors (HID) and endpoints */
  uint8_t config_raw[SU_CONFIG_MAX];
  size_t config_len;
};

typedef struct su_board {
  pthread_mutex_t lock;  /* see the top of this file */
  lf_bench_board *b;
  char name[32];
  char probe[16];
  char serial[64];
  char state_path[4096]; /* "" = no state file */
  uint8_t bus, address, port;
  struct su_device dev;
  su_counters c;
  unsigned queued;       /* async transfers submitted and not yet run */
  uint64_t owner;        /* timeline (thread) that last used it; 0 = none yet */
  /* Threads sharing the board (pyOCD's HID receive thread reads what the
   * main thread sent; standin.c "Threads"): the timeline of the last OUT,
   * the first two timelines that moved data, and the signal an OUT gives a
   * reader waiting for its response. */
  pthread_cond_t data_cond;
  uint64_t last_out_tl, data_tl[2];
  /* interfaces with a kernel driver bound (bit per interface number): HID
   * ones start bound (usbhid), as on Linux */
  uint32_t kernel_bound;
} su_board;

typedef struct su_process {
  pthread_mutex_t lock;  /* see the top of this file */
  atomic_bool ready;     /* boards created (first successful libusb_init) */
  bool host_time;        /* LF_BENCH_HOST_TIME set: sleeps and clocks are libc's */
  int contexts;          /* libusb_init minus libusb_exit */
  su_board boards[SU_MAX_BOARDS];
  size_t nboards;
  FILE *trace;
  char report_path[4096];
  /* time (standin_time.c): the first thread's timeline (the one that
   * brought the boards up), the latest time of any timeline, the number of
   * timelines handed out */
  _Atomic uint64_t host_ns, max_ns, timelines;
  _Atomic uint64_t sleeps, sleep_ns, clock_reads;
} su_process;

extern su_process su_proc;

/* Creates the boards from LF_BENCH_* on the first call; 0 or -1 (message on
 * stderr: the stand-in has no other channel to the user of the tool). */
int su_env_setup(void);
/* Saves every board's state file and writes the report file (if set). */
void su_env_save(void);
/* Host time (standin_time.c), one timeline per thread: su_time_start when
 * the boards come up (the calling thread's timeline is the first);
 * enter/leave around every bench call of one board (board lock held);
 * sync_owned brings the boards the calling thread used last (and, for the
 * first thread, the boards nobody used yet) up to its time (takes the board
 * locks). */
void su_time_start(void);
void su_time_enter(su_board *sb);
void su_time_leave(su_board *sb);
void su_time_sync_owned(void);
/* Whether the calling thread owns the board (the first thread also owns
 * the boards nobody used yet); board lock held. */
bool su_time_owns(const su_board *sb);
/* Advances the calling thread's time by ns (a cost not on any board's
 * clock); returns its new time. */
uint64_t su_time_charge(uint64_t ns);
/* Moves the calling thread's time up to ns (never back); the boards stay. */
void su_time_reach(uint64_t ns);
/* The calling thread's timeline id (1 = the thread that brought the boards up). */
uint64_t su_time_id(void);
/* Waits on c (a CLOCK_MONOTONIC condition, m held) for at most ms of real
 * host time; pthread_cond_timedwait's result. */
int su_time_cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, unsigned ms);
/* Trace line for one transfer (no-op without LF_BENCH_TRACE). */
void su_trace(const su_board *sb, const char *how, uint8_t ep, const uint8_t *data, size_t len,
              size_t actual, int rc);

#endif
