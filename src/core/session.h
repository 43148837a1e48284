/* The session: the one place a luaflash run keeps its last error and its
 * logger. Every layer of the driver (usb, probe, arm, flash, script) takes a
 * session and reports failures as
 *
 *     return lf_err_set(s, LF_EIO, "stlink %s: read 0x%08x: %s", serial, addr, why);
 *
 * The CLI prints lf_err_msg() once; Lua sees the same text as a Lua error.
 * Library code never prints: log lines go to the session's sink. */
#ifndef LF_CORE_SESSION_H
#define LF_CORE_SESSION_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum {
  LF_OK = 0,
  LF_EIO = -1,          /* transfer failed (USB error, stall, short reply) */
  LF_ETIMEDOUT = -2,    /* no answer in time */
  LF_ENODEV = -3,       /* no such probe / device unplugged */
  LF_EACCES = -4,       /* permission denied (udev) */
  LF_EBUSY = -5,        /* claimed by another program */
  LF_EINVAL = -6,       /* bad argument or input */
  LF_ENOMEM = -7,
  LF_EPROTO = -8,       /* probe answered with an error status / protocol violation */
  LF_EFAULT = -9,       /* target bus fault (address given in the message) */
  LF_ENOTSUP = -10,     /* probe firmware or target lacks the feature */
  LF_ETARGET = -11,     /* target in the wrong state (not halted, locked, no power) */
};

enum { LF_LOG_ERROR = 0, LF_LOG_WARN = 1, LF_LOG_INFO = 2, LF_LOG_DEBUG = 3, LF_LOG_TRACE = 4 };

/* host_ms: milliseconds since the session started (monotonic clock);
 * virt_ns: bench virtual time, or UINT64_MAX when not on the bench. */
typedef void (*lf_log_sink)(void *ctx, int level, double host_ms, uint64_t virt_ns, const char *msg);

typedef struct lf_session lf_session;

lf_session *lf_session_new(void);
void lf_session_free(lf_session *s);

/* Records the message (replacing the previous one) and returns `code`. */
int lf_err_set(lf_session *s, int code, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
/* Prefixes the current message with "context: " (for callers adding where). */
int lf_err_wrap(lf_session *s, int code, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
const char *lf_err_msg(const lf_session *s);
int lf_err_code(const lf_session *s);
void lf_err_clear(lf_session *s);
const char *lf_err_name(int code);

void lf_log_set_sink(lf_session *s, lf_log_sink sink, void *ctx, int max_level);
/* Where virtual time comes from when a bench is attached (NULL to detach). */
void lf_log_set_virtual_clock(lf_session *s, const uint64_t *virt_ns);
void lf_log(lf_session *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int lf_log_enabled(const lf_session *s, int level);

#endif
