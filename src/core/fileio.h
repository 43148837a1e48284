/* Durable file operations for records that must survive a crash or a
 * kill -9 at any moment (production serial counters, board logs).
 *
 *   lf_file_replace: write to "<path>.tmp.<pid>", fsync it, rename over path,
 *                    fsync the folder. Readers see the old or the new content,
 *                    never a mix.
 *   lf_file_append:  append one record with O_APPEND and fsync before
 *                    returning; a record is one write() call, so concurrent
 *                    appenders (threads, processes) never interleave inside it.
 *   lf_file_lock:    an exclusive flock(2) on "<path>.lock" (created when
 *                    missing). Each call opens its own descriptor, so it
 *                    excludes other threads of this process as well as other
 *                    processes; the kernel drops it when the holder dies
 *                    (kill -9 included), so a crash never leaves it held.
 *
 * Both return 0 or a negative LF_E* code with the path and the system error in
 * the session message. */
#ifndef LF_CORE_FILEIO_H
#define LF_CORE_FILEIO_H

#include <stddef.h>

#include "core/session.h"

int lf_file_replace(lf_session *s, const char *path, const void *data, size_t len);
int lf_file_append(lf_session *s, const char *path, const void *data, size_t len);
/* Whole file into a malloc'ed NUL-terminated buffer (free()); LF_ENODEV when
 * it does not exist. */
int lf_file_read(lf_session *s, const char *path, char **data, size_t *len);
/* Blocks until the lock is ours; *fd is then the handle for lf_file_unlock. */
int lf_file_lock(lf_session *s, const char *path, int *fd);
void lf_file_unlock(int fd);
/* Removes path and fsyncs its folder; a missing file is not an error. */
int lf_file_remove(lf_session *s, const char *path);
/* Creates the folder and its missing parents (mode for the new ones, e.g.
 * 0700); existing folders are fine. */
int lf_file_mkdirs(lf_session *s, const char *path, unsigned mode);

#endif
