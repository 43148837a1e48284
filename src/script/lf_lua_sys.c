/* Host facts the report (lua/luaflash/report.lua) needs to decide how to
 * show progress (whether a file descriptor is a terminal, and its width),
 * and the bench's USB transfer log for --trace. */
#include <sys/ioctl.h>
#include <unistd.h>

#include "script/lf_lua_int.h"
#include "usb/usb_bench.h"

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

static const luaL_Reg sys_funcs[] = {
  {"isatty", m_isatty},
  {"term_width", m_term_width},
  {"usb_log", m_usb_log},
  {"usb_events", m_usb_events},
  {NULL, NULL},
};

void lf_lua_sys_funcs(lua_State *L)
{
  luaL_setfuncs(L, sys_funcs, 0);
}
