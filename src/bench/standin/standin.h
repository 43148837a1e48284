/* Internals of the libusb-1.0 stand-in (libusb-1.0.so.0 built from
 * src/bench/standin/): the boards it serves, chosen by environment variables,
 * and the per-process bookkeeping shared by the API file (standin.c) and the
 * environment/report file (standin_env.c). Single-threaded, as every tool it
 * serves drives USB from one thread. */
#ifndef LF_STANDIN_H
#define LF_STANDIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

struct su_device {
  struct su_board *board;
  su_device_descriptor desc;
  /* the raw configuration descriptor (9 + 9 + 3 x 7 bytes) */
  uint8_t config_raw[64];
  size_t config_len;
};

typedef struct su_board {
  lf_bench_board *b;
  char name[32];
  char probe[16];
  char serial[64];
  char state_path[4096]; /* "" = no state file */
  uint8_t bus, address, port;
  struct su_device dev;
  su_counters c;
  unsigned queued;       /* async transfers submitted and not yet run */
} su_board;

typedef struct su_process {
  bool ready;            /* boards created (first successful libusb_init) */
  int contexts;          /* libusb_init minus libusb_exit */
  su_board boards[SU_MAX_BOARDS];
  size_t nboards;
  FILE *trace;
  char report_path[4096];
  uint64_t host_ns;      /* the tool's time since the boards came up (standin_time.c) */
  uint64_t sleeps, sleep_ns, clock_reads;
} su_process;

extern su_process su_proc;

/* Creates the boards from LF_BENCH_* on the first call; 0 or -1 (message on
 * stderr: the stand-in has no other channel to the user of the tool). */
int su_env_setup(void);
/* Saves every board's state file and writes the report file (if set). */
void su_env_save(void);
/* Host time (standin_time.c): su_time_start when the boards come up;
 * enter/leave around every bench call of one board; sync_all brings every
 * board up to host time. */
void su_time_start(void);
void su_time_enter(su_board *sb);
void su_time_leave(su_board *sb);
void su_time_sync_all(void);
/* Trace line for one transfer (no-op without LF_BENCH_TRACE). */
void su_trace(const su_board *sb, const char *how, uint8_t ep, const uint8_t *data, size_t len,
              size_t actual, int rc);

#endif
