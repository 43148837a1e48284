/* The libusb stand-in driven from several threads at once, as luaflash's gang
 * drives it (one thread per probe, each with its own libusb context): every
 * thread opens its own board, exchanges ST-Link GET_VERSION commands with
 * sync and async transfers, and reads every board's serial string (also
 * those the other threads are driving). Checks:
 *  - nothing is lost or crosses over: every reply is right, every callback
 *    runs in the thread that handles its own context's events, on its own
 *    transfer (per-context queues);
 *  - each thread's virtual time is its own (standin_time.c): the exchanges
 *    cost exactly the hand-computed modeled time on every thread, whatever
 *    the other threads do meanwhile; reading another thread's board's
 *    strings costs the reader what reading its own board costs, and
 *    nothing on the other board's clock;
 *  - the report at the end has every board with its own transfer counts.
 * Threads record failures; the checks run in the main thread (cmocka's
 * asserts must not run in other threads). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libusb.h>

#define NTHREADS 4
#define ROUNDS 200

/* FS round trips from the params (as test_standin): OUT 16 bytes
 * 125000 + 20667, command 20000, IN 6 bytes 125000 + 14000; an async batch
 * (OUT + IN queued back to back) pays the latency once. */
/* usb_fs_transfer_latency_ns L (160 us) per round trip + wire + stlink_cmd_ns */
#define LAT_NS 160000u
#define SYNC_NS (LAT_NS + 20667u + 20000u + LAT_NS + 14000u)
#define ASYNC_NS (LAT_NS + 20667u + 20000u + 14000u)

static const char *const serials[NTHREADS] = {"GANGUSB0000000000000001", "GANGUSB0000000000000002",
                                              "GANGUSB0000000000000003", "GANGUSB0000000000000004"};

typedef struct worker {
  int index;
  pthread_t th;
  libusb_context *ctx;
  int errors;
  char first_error[200];
  uint64_t exchange_ns;    /* virtual time of the ROUNDS sync + async exchanges */
  uint64_t strings_ns;     /* reading every board's serial string */
  uint64_t own_string_ns;  /* reading its own board's serial string */
  int callbacks;
} worker;

typedef struct cbdata {
  worker *w;
  pthread_t th;
  int done;
} cbdata;

static void note(worker *w, const char *what, long got, long want)
{
  if (w->errors++ == 0)
    snprintf(w->first_error, sizeof w->first_error, "thread %d: %s: got %ld, expected %ld", w->index,
             what, got, want);
}

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_done(struct libusb_transfer *t)
{
  cbdata *c = t->user_data;
  if (!pthread_equal(c->th, pthread_self()))
    note(c->w, "callback ran in another thread", 1, 0);
  c->w->callbacks++;
  c->done++;
}

static int read_serial(worker *w, libusb_device *dev, char *out, int len)
{
  libusb_device_handle *h;
  int rc = libusb_open(dev, &h);
  if (rc != 0) {
    note(w, "libusb_open", rc, 0);
    return rc;
  }
  rc = libusb_get_string_descriptor_ascii(h, 3, (unsigned char *)out, len);
  libusb_close(h);
  return rc;
}

static void *work(void *arg)
{
  worker *w = arg;
  if (libusb_init(&w->ctx) != 0) {
    note(w, "libusb_init", 1, 0);
    return NULL;
  }
  libusb_device **list;
  ssize_t n = libusb_get_device_list(w->ctx, &list);
  if (n != NTHREADS) {
    note(w, "devices", (long)n, NTHREADS);
    libusb_exit(w->ctx);
    return NULL;
  }
  libusb_device_handle *h = NULL;
  int rc = libusb_open(list[w->index], &h);
  if (rc != 0 || libusb_claim_interface(h, 0) != 0) {
    note(w, "open/claim own board", rc, 0);
    libusb_free_device_list(list, 1);
    libusb_exit(w->ctx);
    return NULL;
  }
  uint8_t cmd[16] = {0xF1}, rep[64];
  uint64_t t0 = now_ns();
  for (int r = 0; r < ROUNDS; r++) {
    int got = 0;
    if ((rc = libusb_bulk_transfer(h, 0x01, cmd, 16, &got, 1000)) != 0 || got != 16)
      note(w, "sync OUT", rc ? rc : got, rc ? 0 : 16);
    if ((rc = libusb_bulk_transfer(h, 0x81, rep, 64, &got, 1000)) != 0 || got != 6)
      note(w, "sync IN", rc ? rc : got, rc ? 0 : 6);
    else if ((rep[4] | rep[5] << 8) != 0x374B)
      note(w, "sync reply PID", rep[4] | rep[5] << 8, 0x374B);
    /* async: OUT and IN queued back to back, handled on this context */
    cbdata c = {w, pthread_self(), 0};
    struct libusb_transfer *a = libusb_alloc_transfer(0), *b = libusb_alloc_transfer(0);
    libusb_fill_bulk_transfer(a, h, 0x01, cmd, 16, on_done, &c, 1000);
    libusb_fill_bulk_transfer(b, h, 0x81, rep, 64, on_done, &c, 1000);
    memset(rep, 0, sizeof rep);
    if (libusb_submit_transfer(a) != 0 || libusb_submit_transfer(b) != 0)
      note(w, "submit", 1, 0);
    while (c.done < 2 && libusb_handle_events_completed(w->ctx, NULL) == 0 && c.done < 2) {
    }
    if (a->status != LIBUSB_TRANSFER_COMPLETED || b->status != LIBUSB_TRANSFER_COMPLETED)
      note(w, "async status", b->status, LIBUSB_TRANSFER_COMPLETED);
    else if (b->actual_length != 6 || (rep[4] | rep[5] << 8) != 0x374B)
      note(w, "async reply", b->actual_length, 6);
    libusb_free_transfer(a);
    libusb_free_transfer(b);
  }
  w->exchange_ns = now_ns() - t0;
  /* every board's serial, the others' while their threads drive them */
  char s[64];
  t0 = now_ns();
  for (int i = 0; i < NTHREADS; i++) {
    int k = (w->index + 1 + i) % NTHREADS; /* the own board last */
    if ((rc = read_serial(w, list[k], s, sizeof s)) < 0 || strcmp(s, serials[k]) != 0)
      note(w, "serial string of another board", rc, (long)strlen(serials[k]));
  }
  w->strings_ns = now_ns() - t0;
  t0 = now_ns();
  if (read_serial(w, list[w->index], s, sizeof s) < 0 || strcmp(s, serials[w->index]) != 0)
    note(w, "own serial string", 1, 0);
  w->own_string_ns = now_ns() - t0;
  libusb_release_interface(h, 0);
  libusb_close(h);
  libusb_free_device_list(list, 1);
  libusb_exit(w->ctx);
  return NULL;
}

static char report_path[256];

static void threads_each_with_a_context(void **state)
{
  (void)state;
  /* the main thread brings the boards up and keeps a context, as the gang's
   * main thread does */
  libusb_context *main_ctx;
  assert_int_equal(libusb_init(&main_ctx), 0);
  worker w[NTHREADS];
  memset(w, 0, sizeof w);
  for (int i = 0; i < NTHREADS; i++) {
    w[i].index = i;
    assert_int_equal(pthread_create(&w[i].th, NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < NTHREADS; i++)
    pthread_join(w[i].th, NULL);
  for (int i = 0; i < NTHREADS; i++) {
    if (w[i].errors)
      fail_msg("%d errors, first: %s", w[i].errors, w[i].first_error);
    assert_int_equal(w[i].callbacks, 2 * ROUNDS);
    assert_int_equal(w[i].exchange_ns, (uint64_t)ROUNDS * (SYNC_NS + ASYNC_NS));
    assert_true(w[i].own_string_ns > 0);
    assert_int_equal(w[i].strings_ns, NTHREADS * w[i].own_string_ns);
  }
  libusb_exit(main_ctx); /* the last context: report and state */
  FILE *f = fopen(report_path, "r");
  assert_non_null(f);
  static char text[65536];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  assert_non_null(strstr(text, "5 threads (timelines)"));
  /* each board: its own thread's 2 x ROUNDS sync and 2 x ROUNDS async
   * transfers in ROUNDS batches */
  char want[200];
  snprintf(want, sizeof want, "%d sync, %d async transfers in %d batches, 0 cancelled", 2 * ROUNDS,
           2 * ROUNDS, ROUNDS);
  const char *p = text;
  for (int i = 0; i < NTHREADS; i++) {
    p = strstr(p, want);
    assert_non_null(p);
    p++;
  }
  assert_null(strstr(p, want));
}

int main(void)
{
  const char *build = getenv("LF_BUILD_DIR");
  snprintf(report_path, sizeof report_path, "%s/gang_usb_standin.report", build ? build : ".");
  char boards[512];
  snprintf(boards, sizeof boards, "nucleo-f767zi:%s,nucleo-f767zi:%s,nucleo-f767zi:%s,nucleo-f767zi:%s",
           serials[0], serials[1], serials[2], serials[3]);
  setenv("LF_BENCH_BOARDS", boards, 1);
  setenv("LF_BENCH_REPORT", report_path, 1);
  unsetenv("LF_BENCH_STATE");
  unsetenv("LF_BENCH_FAULTS");
  unsetenv("LF_BENCH_PARAMS");
  unsetenv("LF_BENCH_HOST_TIME");
  unsetenv("LF_BENCH_TRACE");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(threads_each_with_a_context),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
