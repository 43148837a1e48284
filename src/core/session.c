#include "core/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LF_ERR_MAX 1024

struct lf_session {
  int code;
  char msg[LF_ERR_MAX];
  lf_log_sink sink;
  void *sink_ctx;
  int max_level;
  const uint64_t *virt_ns;
  struct timespec start;
};

lf_session *lf_session_new(void)
{
  lf_session *s = calloc(1, sizeof *s);
  if (s) {
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    s->max_level = -1;
  }
  return s;
}

void lf_session_free(lf_session *s) { free(s); }

int lf_err_set(lf_session *s, int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->msg, sizeof s->msg, fmt, ap);
  va_end(ap);
  s->code = code;
  return code;
}

int lf_err_wrap(lf_session *s, int code, const char *fmt, ...)
{
  char prefix[LF_ERR_MAX], old[LF_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, s->msg, sizeof old);
  const char *tail = old[0] ? old : lf_err_name(code);
  size_t n = strlen(prefix);
  if (n > sizeof s->msg - 3)
    n = sizeof s->msg - 3;
  memcpy(s->msg, prefix, n);
  memcpy(s->msg + n, ": ", 2);
  size_t room = sizeof s->msg - n - 3, t = strlen(tail);
  if (t > room)
    t = room;
  memcpy(s->msg + n + 2, tail, t);
  s->msg[n + 2 + t] = '\0';
  s->code = code;
  return code;
}

const char *lf_err_msg(const lf_session *s) { return s->msg[0] ? s->msg : lf_err_name(s->code); }
int lf_err_code(const lf_session *s) { return s->code; }

void lf_err_clear(lf_session *s)
{
  s->code = LF_OK;
  s->msg[0] = '\0';
}

const char *lf_err_name(int code)
{
  static const char *const names[] = {"ok", "I/O error", "timed out", "no such device",
                                      "permission denied", "busy", "invalid argument",
                                      "out of memory", "protocol error", "target fault",
                                      "not supported", "target not ready"};
  return code <= 0 && -code < (int)(sizeof names / sizeof names[0]) ? names[-code] : "error";
}

void lf_log_set_sink(lf_session *s, lf_log_sink sink, void *ctx, int max_level)
{
  s->sink = sink;
  s->sink_ctx = ctx;
  s->max_level = sink ? max_level : -1;
}

void lf_log_set_virtual_clock(lf_session *s, const uint64_t *virt_ns) { s->virt_ns = virt_ns; }

int lf_log_enabled(const lf_session *s, int level) { return s->sink && level <= s->max_level; }

void lf_log(lf_session *s, int level, const char *fmt, ...)
{
  if (!lf_log_enabled(s, level))
    return;
  char msg[LF_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double ms = (double)(now.tv_sec - s->start.tv_sec) * 1e3 + (double)(now.tv_nsec - s->start.tv_nsec) / 1e6;
  s->sink(s->sink_ctx, level, ms, s->virt_ns ? *s->virt_ns : UINT64_MAX, msg);
}
