/* The embedded Lua runtime: state setup (libraries, module path, the
 * preloaded luaflash module), object lifetime helpers shared by the binding
 * files, and running a script with file:line + traceback on error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>
#include <unicorn/unicorn.h>
#include <zlib.h>

#include "script/lf_lua.h"
#include "script/lf_lua_int.h"

struct lf_lua {
  lua_State *L;
  lf_session *s;
  char *msg;
};

static const char KEY_SESSION = 's';
static const char KEY_DEFAULT = 'd';

/* ---- objects ---- */

void lf_lobj_init(lf_lobj *o, const char *what, int (*release)(lf_lobj *), lf_lobj *parent)
{
  o->what = what;
  o->release = release;
  o->closed = false;
  o->parent = parent;
  o->child = o->next = o->prev = NULL;
  if (parent) {
    o->next = parent->child;
    if (parent->child)
      parent->child->prev = o;
    parent->child = o;
  }
}

int lf_lobj_close(lf_lobj *o)
{
  if (o->closed)
    return 0;
  o->closed = true; /* first: a release that re-enters sees it closed */
  int rc = 0;
  while (o->child) {
    int r = lf_lobj_close(o->child); /* unlinks itself */
    if (r && !rc)
      rc = r;
  }
  if (o->release) {
    int r = o->release(o);
    if (r && !rc)
      rc = r;
  }
  if (o->parent) {
    if (o->prev)
      o->prev->next = o->next;
    else
      o->parent->child = o->next;
    if (o->next)
      o->next->prev = o->prev;
    o->parent = NULL;
  }
  o->next = o->prev = NULL;
  return rc;
}

void *lf_lobj_check(lua_State *L, int idx, const char *tname)
{
  lf_lobj *o = luaL_checkudata(L, idx, tname);
  if (o->closed) {
    const char *why = lua_pushfstring(L, "%s is closed", o->what);
    luaL_argerror(L, idx, why);
  }
  return o;
}

void *lf_lobj_push(lua_State *L, size_t size, const char *tname, int parent_idx)
{
  if (parent_idx < 0)
    parent_idx = lua_absindex(L, parent_idx);
  void *u = lua_newuserdatauv(L, size, 1);
  memset(u, 0, size);
  ((lf_lobj *)u)->closed = true; /* not usable until the constructor inits it */
  luaL_setmetatable(L, tname);
  if (parent_idx) {
    lua_pushvalue(L, parent_idx);
    lua_setiuservalue(L, -2, 1);
  }
  return u;
}

/* Any of our object types: its metatable was made by lf_lobj_register
 * (marked __lf_lobj). */
static lf_lobj *any_obj(lua_State *L, int idx)
{
  void *p = lua_touserdata(L, idx);
  if (p && lua_getmetatable(L, idx)) {
    bool ours = lua_getfield(L, -1, "__lf_lobj") == LUA_TBOOLEAN;
    lua_pop(L, 2);
    if (ours)
      return p;
  }
  luaL_argerror(L, idx, "luaflash object expected");
  return NULL;
}

int lf_lobj_l_gc(lua_State *L)
{
  lf_lobj *o = any_obj(L, 1);
  if (!o->closed && lf_lobj_close(o) != 0) {
    lf_session *s = lf_lua_session(L);
    lf_log(s, LF_LOG_WARN, "closing %s: %s", o->what, lf_err_msg(s));
  }
  return 0;
}

int lf_lobj_l_close(lua_State *L)
{
  lf_lobj *o = any_obj(L, 1);
  if (!o->closed && lf_lobj_close(o) != 0)
    return lf_lua_fail(L);
  return 0;
}

int lf_lobj_l_is_closed(lua_State *L)
{
  lua_pushboolean(L, any_obj(L, 1)->closed);
  return 1;
}

/* To-be-closed: raises a close failure on a normal scope exit; while an
 * error unwinds (second argument) it only logs, so the first error wins. */
static int lobj_l_tbc(lua_State *L)
{
  if (lua_isnoneornil(L, 2))
    return lf_lobj_l_close(L);
  return lf_lobj_l_gc(L);
}

void lf_lobj_register(lua_State *L, const char *tname, const luaL_Reg *methods,
                      lua_CFunction tostring)
{
  luaL_newmetatable(L, tname);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_pushcfunction(L, lf_lobj_l_close);
  lua_setfield(L, -2, "close");
  lua_pushcfunction(L, lf_lobj_l_is_closed);
  lua_setfield(L, -2, "is_closed");
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lf_lobj_l_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, lobj_l_tbc);
  lua_setfield(L, -2, "__close");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "__lf_lobj");
  if (tostring) {
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
}

/* ---- errors and arguments ---- */

lf_session *lf_lua_session(lua_State *L)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_SESSION);
  lf_session *s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return s;
}

int lf_lua_fail(lua_State *L)
{
  lf_session *s = lf_lua_session(L);
  const char *m = lf_err_msg(s);
  return luaL_error(L, "%s", m && m[0] ? m : lf_err_name(lf_err_code(s)));
}

int lf_lua_fail_rc(lua_State *L, int rc)
{
  lf_session *s = lf_lua_session(L);
  if (lf_err_code(s) != rc)
    return luaL_error(L, "%s (no detail recorded)", lf_err_name(rc));
  return lf_lua_fail(L);
}

const char *lf_lua_pushf(lua_State *L, const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return lua_pushstring(L, buf);
}

uint8_t lf_lua_check_ap(lua_State *L, bool required, int idx)
{
  lua_Integer ap = required ? luaL_checkinteger(L, idx) : luaL_optinteger(L, idx, 0);
  if (ap < 0 || ap > 255)
    luaL_argerror(L, idx, "AP number out of range 0..255");
  return (uint8_t)ap;
}

uint8_t lf_lua_check_reg(lua_State *L, int idx)
{
  lua_Integer r = luaL_checkinteger(L, idx);
  if (r < 0 || r > 255 || (r & 3))
    luaL_argerror(L, idx, "register address must be a multiple of 4 in 0..0xFC");
  return (uint8_t)r;
}

void lf_lua_check_aligned(lua_State *L, uint32_t addr, unsigned width)
{
  if (addr % width)
    luaL_argerror(L, 2, lf_lua_pushf(L, "address 0x%08x is not %u-byte aligned", (unsigned)addr,
                                        width));
}

uint32_t lf_lua_check_u32(lua_State *L, int idx, const char *what)
{
  lua_Integer v = luaL_checkinteger(L, idx);
  if (v < 0 || v > 0xFFFFFFFFll)
    luaL_argerror(L, idx, lua_pushfstring(L, "%s out of range 0..0xFFFFFFFF", what));
  return (uint32_t)v;
}

uint32_t lf_lua_opt_u32(lua_State *L, int idx, uint32_t def, const char *what)
{
  return lua_isnoneornil(L, idx) ? def : lf_lua_check_u32(L, idx, what);
}

void lf_lua_check_keys(lua_State *L, int idx, const char *fn, const char *const *known)
{
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      continue; /* array part: the caller checks it */
    const char *k = lua_tostring(L, -1);
    bool ok = false;
    for (size_t i = 0; known[i]; i++)
      ok = ok || strcmp(k, known[i]) == 0;
    if (!ok) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (size_t i = 0; known[i]; i++) {
        if (i)
          luaL_addstring(&b, ", ");
        luaL_addstring(&b, known[i]);
      }
      luaL_pushresult(&b);
      luaL_error(L, "%s: unknown option '%s' (known: %s)", fn, k, lua_tostring(L, -1));
    }
  }
}

/* ---- backends ---- */

static int host_release(lf_lobj *o)
{
  lf_lbackend *be = (lf_lbackend *)o;
  lf_usb_free(be->usb);
  be->usb = NULL;
  return 0;
}

static int host_tostring(lua_State *L)
{
  lf_lbackend *be = luaL_checkudata(L, 1, LF_MT_HOST);
  lua_pushfstring(L, "luaflash.host (libusb%s)", be->o.closed ? ", closed" : "");
  return 1;
}

void lf_lua_set_default_backend(lua_State *L, int idx)
{
  lua_pushvalue(L, idx);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_DEFAULT);
}

lf_lbackend *lf_lua_default_backend(lua_State *L)
{
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_DEFAULT) != LUA_TNIL) {
    lf_lobj *o = luaL_testudata(L, -1, LF_MT_BENCH);
    if (!o)
      o = luaL_testudata(L, -1, LF_MT_HOST);
    if (o && !o->closed)
      return (lf_lbackend *)o;
    if (o && luaL_testudata(L, -1, LF_MT_BENCH))
      luaL_error(L, "the bench given on the command line is closed");
  }
  lua_pop(L, 1);
  lf_session *s = lf_lua_session(L);
  lf_lbackend *be = lf_lobj_push(L, sizeof *be, LF_MT_HOST, 0);
  be->s = s;
  if (lf_usb_new_libusb(s, &be->usb) != 0)
    lf_lua_fail(L);
  lf_lobj_init(&be->o, "host", host_release, NULL);
  lf_lua_set_default_backend(L, -1);
  return be;
}

static int host_probes(lua_State *L)
{
  return lf_lua_backend_probes(L, lf_lobj_check(L, 1, LF_MT_HOST));
}

static int host_open(lua_State *L)
{
  return lf_lua_backend_open(L, lf_lobj_check(L, 1, LF_MT_HOST), 1, 2);
}

static const luaL_Reg host_methods[] = {
  {"probes", host_probes},
  {"open", host_open},
  {NULL, NULL},
};

/* ---- the runtime ---- */

/* `luaflash` and `luaflash.core` are one table (the C primitives). */
static int l_open_alias(lua_State *L)
{
  lua_getglobal(L, "require");
  lua_pushliteral(L, "luaflash.core");
  lua_call(L, 1, 1);
  return 1;
}

static int l_register_all(lua_State *L)
{
  lf_lobj_register(L, LF_MT_HOST, host_methods, host_tostring);
  lf_lua_bench_register(L);
  lf_lua_probe_register(L);
  lf_lua_target_register(L);
  lf_lua_flash_register(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, lf_lua_open_luaflash);
  lua_setfield(L, -2, "luaflash.core");
  lua_pushcfunction(L, l_open_alias);
  lua_setfield(L, -2, "luaflash");
  lua_pop(L, 1);
  return 0;
}

static int set_message(lf_lua *l, const char *m)
{
  free(l->msg);
  l->msg = strdup(m ? m : "");
  return 0;
}

/* package.path = lua_dir first, then the script's folder; no cwd, no C modules. */
static void set_path(lua_State *L, const char *lua_dir, const char *script_dir)
{
  lua_getglobal(L, "package");
  if (script_dir)
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s/?.lua;%s/?/init.lua", lua_dir, lua_dir,
                    script_dir, script_dir);
  else
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", lua_dir, lua_dir);
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
}

int lf_lua_new(lf_session *s, const char *lua_dir, lf_lua **out)
{
  *out = NULL;
  lf_lua *l = calloc(1, sizeof *l);
  if (!l)
    return lf_err_set(s, LF_ENOMEM, "lua: out of memory");
  l->s = s;
  l->L = luaL_newstate();
  if (!l->L) {
    free(l);
    return lf_err_set(s, LF_ENOMEM, "lua: cannot create a Lua state");
  }
  lua_State *L = l->L;
  luaL_openlibs(L);
  lua_pushlightuserdata(L, s);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_SESSION);
  lua_pushstring(L, lua_dir ? lua_dir : ".");
  lua_setfield(L, LUA_REGISTRYINDEX, "luaflash.lua_dir");
  set_path(L, lua_dir ? lua_dir : ".", NULL);
  lua_pushcfunction(L, l_register_all);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    lf_err_set(s, LF_ENOMEM, "lua: %s", lua_tostring(L, -1));
    lua_close(L);
    free(l);
    return LF_ENOMEM;
  }
  *out = l;
  return 0;
}

void lf_lua_free(lf_lua *l)
{
  if (!l)
    return;
  lua_close(l->L); /* finalizers close every object still open */
  free(l->msg);
  free(l);
}

const char *lf_lua_message(const lf_lua *l) { return l->msg ? l->msg : ""; }

/* Message handler: strings get a traceback; usage errors (tables with an
 * exit field, from luaflash.usage_error) pass through unchanged. */
static int msgh(lua_State *L)
{
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_getfield(L, 1, "exit");
    bool tagged = lua_isinteger(L, -1);
    lua_pop(L, 1);
    if (tagged)
      return 1;
  }
  const char *m = lua_tostring(L, 1);
  if (!m) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      m = lua_tostring(L, -1);
    else
      m = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  if (strstr(m, "\nstack traceback:")) { /* re-raised with its traceback: keep the first */
    lua_pushstring(L, m);
    return 1;
  }
  luaL_traceback(L, L, m, 1);
  return 1;
}

/* Calls the function below nargs arguments; returns the exit status and
 * leaves nresults (or nothing on error). */
static int pcall_status(lf_lua *l, int nargs, int nresults)
{
  lua_State *L = l->L;
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, msgh);
  lua_insert(L, base);
  int r = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  if (r == LUA_OK)
    return LF_EXIT_OK;
  int status = LF_EXIT_FAIL;
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_getfield(L, -1, "exit");
    status = (int)lua_tointeger(L, -1);
    lua_getfield(L, -2, "message");
    set_message(l, lua_tostring(L, -1));
    lua_pop(L, 3);
    return status ? status : LF_EXIT_FAIL;
  }
  set_message(l, lua_tostring(L, -1));
  lua_pop(L, 1);
  return status;
}

static void push_args(lua_State *L, const char *name, int argc, char *const *argv)
{
  lua_createtable(L, argc, 1);
  lua_pushstring(L, name);
  lua_rawseti(L, -2, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

int lf_lua_run_script(lf_lua *l, const char *path, int argc, char *const *argv)
{
  lua_State *L = l->L;
  FILE *f = fopen(path, "r");
  if (!f) {
    char m[1200];
    snprintf(m, sizeof m, "cannot open script %s: %s", path, strerror(errno));
    set_message(l, m);
    return LF_EXIT_USAGE;
  }
  fclose(f);
  const char *slash = strrchr(path, '/');
  lua_getfield(L, LUA_REGISTRYINDEX, "luaflash.lua_dir");
  if (slash)
    lua_pushlstring(L, path, slash == path ? 1 : (size_t)(slash - path));
  else
    lua_pushliteral(L, ".");
  set_path(L, lua_tostring(L, -2), lua_tostring(L, -1));
  lua_pop(L, 2);

  push_args(L, path, argc, argv);
  lua_setglobal(L, "arg");
  /* lua/luaflash/init.lua's main(path, ...) decides what the file is (a
   * script, or a project for the default sequence). */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "luaflash.init");
  int status = pcall_status(l, 1, 1);
  if (status != LF_EXIT_OK)
    return status;
  if (lua_getfield(L, -1, "main") != LUA_TFUNCTION) {
    lua_pop(L, 2);
    set_message(l, "lua/luaflash/init.lua has no main(path, ...) function");
    return LF_EXIT_FAIL;
  }
  lua_remove(L, -2);
  lua_pushstring(L, path);
  for (int i = 0; i < argc; i++)
    lua_pushstring(L, argv[i]);
  return pcall_status(l, argc + 1, 0);
}

int lf_lua_run_command(lf_lua *l, const char *name, int argc, char *const *argv)
{
  lua_State *L = l->L;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "luaflash.commands");
  int status = pcall_status(l, 1, 1);
  if (status != LF_EXIT_OK)
    return status;
  if (lua_getfield(L, -1, name) != LUA_TFUNCTION) {
    lua_pop(L, 2);
    char m[256];
    snprintf(m, sizeof m, "unknown command '%s' (expected SCRIPT.lua, or a command: probes, boards, chips, flash)", name);
    set_message(l, m);
    return LF_EXIT_USAGE;
  }
  lua_remove(L, -2);
  push_args(L, name, argc, argv);
  lua_setglobal(L, "arg");
  for (int i = 0; i < argc; i++)
    lua_pushstring(L, argv[i]);
  return pcall_status(l, argc, 0);
}

int lf_lua_run_string(lf_lua *l, const char *chunk, const char *name)
{
  lua_State *L = l->L;
  if (luaL_loadbufferx(L, chunk, strlen(chunk), name, "t") != LUA_OK) {
    set_message(l, lua_tostring(L, -1));
    lua_pop(L, 1);
    return LF_EXIT_USAGE;
  }
  return pcall_status(l, 0, 0);
}

static void cli_table(lua_State *L)
{
  lua_getglobal(L, "require");
  lua_pushliteral(L, "luaflash");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "cli");
  lua_remove(L, -2);
}

static int l_set_cli(lua_State *L)
{
  cli_table(L);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_settable(L, -3);
  return 0;
}

static void set_cli(lf_lua *l)
{
  lua_State *L = l->L;
  lua_pushcfunction(L, l_set_cli);
  lua_insert(L, -3);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK)
    lua_pop(L, 1); /* only memory errors; the value is then missing */
}

void lf_lua_set_cli(lf_lua *l, const char *key, const char *value)
{
  lua_pushstring(l->L, key);
  lua_pushstring(l->L, value);
  set_cli(l);
}

void lf_lua_set_cli_int(lf_lua *l, const char *key, long value)
{
  lua_pushstring(l->L, key);
  lua_pushinteger(l->L, value);
  set_cli(l);
}

/* Builds the luaflash.bench spec table from the options and makes the
 * bench the default backend and luaflash.cli.bench. */
static int l_attach_bench(lua_State *L)
{
  const lf_lua_bench_opts *o = lua_touserdata(L, 1);
  lua_settop(L, 0);
  lua_pushcfunction(L, lf_lua_bench_new);
  lua_newtable(L);
  int n = 0;
  const char *p = o->boards ? o->boards : "nucleo-f767zi";
  for (;;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    lua_pushlstring(L, p, len);
    lua_rawseti(L, -2, ++n);
    if (!c)
      break;
    p = c + 1;
  }
  if (o->probe) {
    lua_pushstring(L, o->probe);
    lua_setfield(L, -2, "probe");
  }
  if (o->faults) {
    lua_pushstring(L, o->faults);
    lua_setfield(L, -2, "faults");
  }
  if (o->state) {
    lua_pushstring(L, o->state);
    lua_setfield(L, -2, "state");
  }
  lua_createtable(L, (int)o->nparams, 0);
  for (size_t i = 0; i < o->nparams; i++) {
    lua_pushstring(L, o->params[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "params");
  lua_call(L, 1, 1);
  lf_lua_set_default_backend(L, -1);
  cli_table(L);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "bench");
  return 0;
}

int lf_lua_attach_bench(lf_lua *l, const lf_lua_bench_opts *o)
{
  lua_State *L = l->L;
  lua_pushcfunction(L, l_attach_bench);
  lua_pushlightuserdata(L, (void *)o);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    set_message(l, lua_tostring(L, -1));
    lf_err_set(l->s, LF_EINVAL, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return LF_EINVAL;
  }
  return 0;
}

void lf_lua_versions(char *buf, size_t len)
{
  const struct libusb_version *u = libusb_get_version();
  unsigned major = 0, minor = 0;
  uc_version(&major, &minor);
  snprintf(buf, len, "%s, libusb %u.%u.%u, zlib %s, unicorn %u.%u (bench)", LUA_RELEASE,
           (unsigned)u->major, (unsigned)u->minor, (unsigned)u->micro, zlibVersion(), major, minor);
}
