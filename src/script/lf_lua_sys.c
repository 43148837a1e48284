/* Host facts the report (lua/luaflash/report.lua) needs to decide how to
 * show progress: whether a file descriptor is a terminal, and its width. */
#include <sys/ioctl.h>
#include <unistd.h>

#include "script/lf_lua_int.h"

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

static const luaL_Reg sys_funcs[] = {
  {"isatty", m_isatty},
  {"term_width", m_term_width},
  {NULL, NULL},
};

void lf_lua_sys_funcs(lua_State *L)
{
  luaL_setfuncs(L, sys_funcs, 0);
}
