/* Host facts the report (lua/luaflash/report.lua) needs to decide how to
 * show progress (whether a file descriptor is a terminal, and its width),
 * a folder's entries (lua/luaflash/boards.lua: Lua has no directory
 * listing, and a shell would run a path's `$(...)` as code), and the bench's
 * USB transfer log for --trace. */
#define _DEFAULT_SOURCE /* syscall(), gethostname() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "script/lf_lua_int.h"
#include "bench/usb_bench.h"

/* lf.isatty(fd) -> boolean (fd 1 = stdout, 2 = stderr) */
static int m_isatty(lua_State *L)
{
  lua_Integer fd = luaL_checkinteger(L, 1);
  luaL_argcheck(L, fd >= 0 && fd <= 1024, 1, "file descriptor out of range 0..1024");
  lua_pushboolean(L, isatty((int)fd) == 1);
  return 1;
}

/* lf.term_width(fd) -> columns of the terminal on fd, or nil when fd is not
 * a terminal (or reports no size). */
static int m_term_width(lua_State *L)
{
  lua_Integer fd = luaL_checkinteger(L, 1);
  luaL_argcheck(L, fd >= 0 && fd <= 1024, 1, "file descriptor out of range 0..1024");
  struct winsize ws;
  if (ioctl((int)fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, ws.ws_col);
  return 1;
}

/* The entries of one folder while they are read and sorted. It lives in a
 * userdata whose __gc frees it, so a Lua error (out of memory) on the way
 * leaks neither the DIR nor the names. */
typedef struct dir_list {
  DIR *dir;
  char **names;
  size_t n, cap;
} dir_list;

#define MT_DIR_LIST "luaflash.dir_list"

static void dir_list_free(dir_list *dl)
{
  if (dl->dir)
    closedir(dl->dir);
  for (size_t i = 0; i < dl->n; i++)
    free(dl->names[i]);
  free(dl->names);
  *dl = (dir_list){0};
}

static int dir_list_gc(lua_State *L)
{
  dir_list_free(luaL_checkudata(L, 1, MT_DIR_LIST));
  return 0;
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every entry but "." and ".." into dl; 0 or an errno value. */
static int dir_list_read(dir_list *dl, const char *path)
{
  dl->dir = opendir(path);
  if (!dl->dir)
    return errno;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(dl->dir);
    if (!e)
      return errno;
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    if (dl->n == dl->cap) {
      size_t cap = dl->cap ? dl->cap * 2 : 16;
      char **names = realloc(dl->names, cap * sizeof *names);
      if (!names)
        return ENOMEM;
      dl->names = names;
      dl->cap = cap;
    }
    if (!(dl->names[dl->n] = strdup(e->d_name)))
      return ENOMEM;
    dl->n++;
  }
}

/* lf.listdir(path) -> { name, ... } sorted bytewise, without "." and "..";
 * or nil, "path: reason", errno (as io.open) when the folder cannot be
 * read. The path goes to opendir() as it is: no shell, no globbing. */
static int m_listdir(lua_State *L)
{
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  luaL_argcheck(L, strlen(path) == len, 1, "path contains a NUL byte");
  dir_list *dl = lua_newuserdatauv(L, sizeof *dl, 0);
  *dl = (dir_list){0};
  if (luaL_newmetatable(L, MT_DIR_LIST)) {
    lua_pushcfunction(L, dir_list_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  int e = dir_list_read(dl, path);
  if (e != 0) {
    dir_list_free(dl);
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    lua_pushinteger(L, e);
    return 3;
  }
  if (dl->n > 1) /* names is NULL in an empty folder */
    qsort(dl->names, dl->n, sizeof *dl->names, name_cmp);
  lua_createtable(L, dl->n > 0x7fffffff ? 0x7fffffff : (int)dl->n, 0);
  for (size_t i = 0; i < dl->n; i++) {
    lua_pushstring(L, dl->names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  dir_list_free(dl);
  return 1;
}

/* lf.usb_log(bench, max): record every USB transfer of that bench (at most
 * max; 0 = off). lf.usb_events(bench [, first]) -> { {t0_ns, t1_ns, ep, len,
 * actual, board, result}, ... } from event `first` (1-based) on, and the
 * number of events dropped beyond max. */
static lf_lbackend *check_bench_be(lua_State *L)
{
  return lf_lobj_check(L, 1, LF_MT_BENCH);
}

static int m_usb_log(lua_State *L)
{
  lf_lbackend *be = check_bench_be(L);
  lua_Integer max = luaL_checkinteger(L, 2);
  luaL_argcheck(L, max >= 0 && max <= 10000000, 2, "0 .. 10000000 events");
  LF_LUA_TRY(L, lf_usb_bench_log(be->usb, (size_t)max));
  return 0;
}

static int m_usb_events(lua_State *L)
{
  lf_lbackend *be = check_bench_be(L);
  lua_Integer first = luaL_optinteger(L, 2, 1);
  luaL_argcheck(L, first >= 1, 2, "first event is 1 or more");
  size_t n, dropped;
  const lf_usb_bench_event *ev = lf_usb_bench_events(be->usb, &n, &dropped);
  lua_createtable(L, n >= (size_t)first ? (int)(n - (size_t)first + 1) : 0, 0);
  for (size_t i = (size_t)first - 1, k = 1; i < n; i++, k++) {
    const lf_usb_bench_event *e = &ev[i];
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, (lua_Integer)e->t0_ns);
    lua_setfield(L, -2, "t0_ns");
    lua_pushinteger(L, (lua_Integer)e->t1_ns);
    lua_setfield(L, -2, "t1_ns");
    lua_pushinteger(L, e->ep);
    lua_setfield(L, -2, "ep");
    lua_pushinteger(L, e->len);
    lua_setfield(L, -2, "len");
    lua_pushinteger(L, e->actual);
    lua_setfield(L, -2, "actual");
    lua_pushinteger(L, e->board);
    lua_setfield(L, -2, "board");
    lua_pushinteger(L, e->result);
    lua_setfield(L, -2, "result");
    lua_rawseti(L, -2, (lua_Integer)k);
  }
  lua_pushinteger(L, (lua_Integer)dropped);
  return 2;
}

/* lf.hostname() -> the machine's name (a production station's default name) */
static int m_hostname(lua_State *L)
{
  char buf[256];
  if (gethostname(buf, sizeof buf - 1) != 0)
    return luaL_error(L, "hostname: %s", strerror(errno));
  buf[sizeof buf - 1] = '\0';
  lua_pushstring(L, buf);
  return 1;
}

/* lf.random_id([bytes]) -> hex text of that many random bytes (default 16)
 * from the kernel's generator: ids that never repeat across threads,
 * processes and machines (production board attempts). */
static int m_random_id(lua_State *L)
{
  lua_Integer n = luaL_optinteger(L, 1, 16);
  if (n < 1 || n > 64)
    return luaL_error(L, "random_id: 1 to 64 bytes, got %d", (int)n);
  unsigned char b[64];
  size_t got = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    while (got < (size_t)n) {
      ssize_t r = read(fd, b + got, (size_t)n - got);
      if (r <= 0) {
        if (r < 0 && errno == EINTR)
          continue;
        break;
      }
      got += (size_t)r;
    }
    close(fd);
  }
  if (got < (size_t)n)
    return luaL_error(L, "random_id: cannot read /dev/urandom");
  char hex[129];
  for (lua_Integer i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", b[i]);
  lua_pushlstring(L, hex, (size_t)(2 * n));
  return 1;
}

/* lf.sleep(seconds): the host waits (database retries), in the kernel's
 * time: under the bench's libusb stand-in libc's sleeps are virtual, and a
 * retry must really wait without costing a board modeled time. */
static int m_sleep(lua_State *L)
{
  lua_Number s = luaL_checknumber(L, 1);
  if (s > 0) {
    struct timespec ts = {(time_t)s, (long)((s - (lua_Number)(time_t)s) * 1e9)};
    while (syscall(SYS_nanosleep, &ts, &ts) != 0 && errno == EINTR) {
    }
  }
  return 0;
}

static const luaL_Reg sys_funcs[] = {
  {"hostname", m_hostname},
  {"random_id", m_random_id},
  {"sleep", m_sleep},
  {"isatty", m_isatty},
  {"term_width", m_term_width},
  {"listdir", m_listdir},
  {"usb_log", m_usb_log},
  {"usb_events", m_usb_events},
  {NULL, NULL},
};

void lf_lua_sys_funcs(lua_State *L)
{
  luaL_setfuncs(L, sys_funcs, 0);
}
