/* Durable file operations (see fileio.h). */
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int sys_err(lf_session *s, const char *op, const char *path)
{
  int e = errno;
  int code = (e == ENOENT) ? LF_ENODEV : (e == EACCES || e == EPERM) ? LF_EACCES : LF_EIO;
  return lf_err_set(s, code, "%s %s: %s", op, path, strerror(e));
}

static int write_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int sync_dir_of(lf_session *s, const char *path)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash) {
    strcpy(dir, ".");
  } else if (slash == path) {
    strcpy(dir, "/");
  } else {
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir)
      return lf_err_set(s, LF_EINVAL, "path too long: %s", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return sys_err(s, "open folder of", path);
  int rc = 0;
  if (fsync(fd) != 0 && errno != EINVAL) /* some file systems cannot sync folders */
    rc = sys_err(s, "fsync folder of", path);
  close(fd);
  return rc;
}

int lf_file_replace(lf_session *s, const char *path, const void *data, size_t len)
{
  /* pid + a per-process sequence number: threads replacing at the same
   * time never share a temporary file */
  static atomic_uint seq;
  char tmp[PATH_MAX];
  int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
                   atomic_fetch_add(&seq, 1u));
  if (n < 0 || (size_t)n >= sizeof tmp)
    return lf_err_set(s, LF_EINVAL, "path too long: %s", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return sys_err(s, "create", tmp);
  if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
    int rc = sys_err(s, "write", tmp);
    close(fd);
    unlink(tmp);
    return rc;
  }
  if (close(fd) != 0) {
    int rc = sys_err(s, "close", tmp);
    unlink(tmp);
    return rc;
  }
  if (rename(tmp, path) != 0) {
    int rc = sys_err(s, "rename to", path);
    unlink(tmp);
    return rc;
  }
  return sync_dir_of(s, path);
}

int lf_file_append(lf_session *s, const char *path, const void *data, size_t len)
{
  struct stat st;
  int existed = stat(path, &st) == 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return sys_err(s, "open for append", path);
  /* One write() per record: O_APPEND makes it atomic with respect to other
   * appenders on local file systems. */
  ssize_t w;
  do {
    w = write(fd, data, len);
  } while (w < 0 && errno == EINTR);
  if (w < 0 || (size_t)w != len || fsync(fd) != 0) {
    int rc = w >= 0 && (size_t)w != len ? lf_err_set(s, LF_EIO, "append %s: short write", path)
                                         : sys_err(s, "append", path);
    close(fd);
    return rc;
  }
  if (close(fd) != 0)
    return sys_err(s, "close", path);
  return existed ? 0 : sync_dir_of(s, path);
}

int lf_file_read(lf_session *s, const char *path, char **data, size_t *len)
{
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return sys_err(s, "open", path);
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return lf_err_set(s, LF_ENOMEM, "read %s: out of memory", path);
  }
  for (;;) {
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        fclose(f);
        return lf_err_set(s, LF_ENOMEM, "read %s: out of memory", path);
      }
      buf = nb;
      cap *= 2;
    }
    size_t r = fread(buf + n, 1, cap - 1 - n, f);
    n += r;
    if (r == 0)
      break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return lf_err_set(s, LF_EIO, "read %s: I/O error", path);
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return 0;
}

int lf_file_lock(lf_session *s, const char *path, int *fd)
{
  char lk[PATH_MAX];
  *fd = -1;
  int n = snprintf(lk, sizeof lk, "%s.lock", path);
  if (n < 0 || (size_t)n >= sizeof lk)
    return lf_err_set(s, LF_EINVAL, "path too long: %s", path);
  int f = open(lk, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (f < 0)
    return sys_err(s, "open lock", lk);
  while (flock(f, LOCK_EX) != 0) {
    if (errno == EINTR)
      continue;
    int rc = sys_err(s, "lock", lk);
    close(f);
    return rc;
  }
  *fd = f;
  return 0;
}

void lf_file_unlock(int fd)
{
  if (fd >= 0)
    close(fd); /* the last descriptor of the open file: the flock goes with it */
}

int lf_file_remove(lf_session *s, const char *path)
{
  if (unlink(path) != 0)
    return errno == ENOENT ? 0 : sys_err(s, "remove", path);
  return sync_dir_of(s, path);
}

int lf_file_mkdirs(lf_session *s, const char *path, unsigned mode)
{
  char buf[PATH_MAX];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf)
    return lf_err_set(s, LF_EINVAL, "folder path %s", n ? "too long" : "empty");
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0')
      continue;
    char c = buf[i];
    buf[i] = '\0';
    struct stat st;
    if (stat(buf, &st) != 0) {
      if (errno != ENOENT || (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST))
        return sys_err(s, "create folder", buf);
    } else if (!S_ISDIR(st.st_mode)) {
      return lf_err_set(s, LF_EINVAL, "create folder %s: %s is not a folder", path, buf);
    }
    buf[i] = c;
  }
  return 0;
}
