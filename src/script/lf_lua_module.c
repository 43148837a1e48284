/* The preloaded `luaflash` module: the C primitives every script and the
 * default sequence (lua/luaflash/init.lua) build on. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "probe/probe.h"
#include "script/lf_lua_int.h"
#include "script/lf_version.h"

/* luaflash.log(level, fmt-less message): level "error" | "warn" | "info" |
 * "debug" | "trace" */
static int m_log(lua_State *L)
{
  static const char *const levels[] = {"error", "warn", "info", "debug", "trace", NULL};
  int level = luaL_checkoption(L, 1, NULL, levels);
  const char *msg = luaL_checkstring(L, 2);
  lf_log(lf_lua_session(L), level, "%s", msg);
  return 0;
}

/* luaflash.log_enabled(level) -> boolean (skip building costly messages) */
static int m_log_enabled(lua_State *L)
{
  static const char *const levels[] = {"error", "warn", "info", "debug", "trace", NULL};
  lua_pushboolean(L, lf_log_enabled(lf_lua_session(L), luaL_checkoption(L, 1, NULL, levels)));
  return 1;
}

/* luaflash.crc32(data [, crc]) -> zlib CRC-32 (continues from crc) */
static int m_crc32(lua_State *L)
{
  size_t len;
  const char *d = luaL_checklstring(L, 1, &len);
  uint32_t crc = lf_lua_opt_u32(L, 2, 0, "crc");
  uLong c = crc;
  while (len) { /* zlib takes uInt lengths */
    uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
    c = crc32_z(c, (const Bytef *)d, n); /* zlib's, never Unicorn's namesake (plan.c) */
    d += n;
    len -= n;
  }
  lua_pushinteger(L, (lua_Integer)(c & 0xFFFFFFFFu));
  return 1;
}

static int m_probes(lua_State *L)
{
  lf_lbackend *be = lf_lua_default_backend(L);
  return lf_lua_backend_probes(L, be);
}

/* luaflash.open([sel]): without sel, the command line's --probe SEL
 * (digits = index). */
static int m_open(lua_State *L)
{
  lua_settop(L, 1);
  if (lua_isnil(L, 1)) {
    lua_getfield(L, lua_upvalueindex(1), "cli");
    if (lua_istable(L, -1) && lua_getfield(L, -1, "probe") == LUA_TSTRING) {
      const char *v = lua_tostring(L, -1);
      if (v[0] && strspn(v, "0123456789") == strlen(v) && strlen(v) < 5)
        lua_pushinteger(L, atoi(v));
      else
        lua_pushvalue(L, -1);
      lua_replace(L, 1);
    }
    lua_settop(L, 1);
  }
  lf_lbackend *be = lf_lua_default_backend(L); /* pushed at 2 */
  return lf_lua_backend_open(L, be, 2, 1);
}

/* luaflash.backend() -> the bench given on the command line, or the libusb host */
static int m_backend(lua_State *L)
{
  lf_lua_default_backend(L);
  return 1;
}

/* luaflash.use(bench) makes luaflash.open()/probes() use that bench. */
static int m_use(lua_State *L)
{
  lf_lobj_check(L, 1, LF_MT_BENCH);
  lf_lua_set_default_backend(L, 1);
  return 0;
}

static int usage_tostring(lua_State *L)
{
  lua_getfield(L, 1, "message");
  return 1;
}

/* luaflash.usage_error(msg [, level]): raises an input error; the CLI
 * exits with status 2 and prints msg (prefixed by file:line of `level`, 1 =
 * the caller, 0 = no position) without a traceback. */
static int m_usage_error(lua_State *L)
{
  const char *msg = luaL_checkstring(L, 1);
  int level = (int)luaL_optinteger(L, 2, 1);
  lua_createtable(L, 0, 2);
  if (level > 0) {
    luaL_where(L, level);
    lua_pushstring(L, msg);
    lua_concat(L, 2);
  } else {
    lua_pushstring(L, msg);
  }
  lua_setfield(L, -2, "message");
  lua_pushinteger(L, 2);
  lua_setfield(L, -2, "exit");
  if (luaL_newmetatable(L, "luaflash.usage_error")) {
    lua_pushcfunction(L, usage_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
  return lua_error(L);
}

/* luaflash.load_script(path) -> function: the file as a Lua chunk (text
 * only). A file that cannot be read or compiled is an input error (exit 2). */
static int m_load_script(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  if (luaL_loadfilex(L, path, "t") == LUA_OK)
    return 1;
  lua_pushcfunction(L, m_usage_error);
  lua_insert(L, -2);
  lua_pushinteger(L, 0);
  lua_call(L, 2, 0);
  return 0;
}

/* luaflash.probe_drivers() -> { {kind=, match={ {vid=, pid=, iface_name=,
 * iface_class=, iface=, xfer="bulk"|"interrupt"}... }}... }: the probe
 * registry as data (iface -1: the interface whose name matched). */
static int m_probe_drivers(lua_State *L)
{
  lua_newtable(L);
  lf_probe_driver_info d;
  for (size_t i = 0; lf_probe_driver_get(i, &d); i++) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, d.kind);
    lua_setfield(L, -2, "kind");
    lua_createtable(L, (int)d.nmatch, 0);
    for (size_t k = 0; k < d.nmatch; k++) {
      lua_createtable(L, 0, 6);
      lua_pushinteger(L, d.match[k].iface);
      lua_setfield(L, -2, "iface");
      lua_pushstring(L, d.match[k].xfer == LF_USB_INTERRUPT ? "interrupt" : "bulk");
      lua_setfield(L, -2, "xfer");
      lua_pushinteger(L, d.match[k].iface_class);
      lua_setfield(L, -2, "iface_class");
      lua_pushinteger(L, d.match[k].vid);
      lua_setfield(L, -2, "vid");
      lua_pushinteger(L, d.match[k].pid);
      lua_setfield(L, -2, "pid");
      if (d.match[k].iface_name) {
        lua_pushstring(L, d.match[k].iface_name);
        lua_setfield(L, -2, "iface_name");
      }
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "match");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static const luaL_Reg funcs[] = {
  {"load_script", m_load_script},
  {"probe_drivers", m_probe_drivers},
  {"log", m_log},
  {"log_enabled", m_log_enabled},
  {"crc32", m_crc32},
  {"probes", m_probes},
  {"open", m_open},
  {"bench", lf_lua_bench_new},
  {"backend", m_backend},
  {"use", m_use},
  {"usage_error", m_usage_error},
  {NULL, NULL},
};

int lf_lua_open_luaflash(lua_State *L)
{
  luaL_newlibtable(L, funcs);
  lua_pushvalue(L, -1); /* functions see the module table as upvalue 1 */
  luaL_setfuncs(L, funcs, 1);
  lf_lua_flash_funcs(L);
  lf_lua_prod_funcs(L);
  lf_lua_db_funcs(L);
  lf_lua_sys_funcs(L);
  lua_pushstring(L, lf_version());
  lua_setfield(L, -2, "version");
  lua_newtable(L);
  for (const char *const *k = lf_probe_kinds(); *k; k++) {
    lua_pushstring(L, *k);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  }
  lua_setfield(L, -2, "kinds");
  lua_newtable(L);
  lua_setfield(L, -2, "cli");
  lua_getfield(L, LUA_REGISTRYINDEX, "luaflash.lua_dir");
  lua_setfield(L, -2, "lua_dir");
  return 1;
}
