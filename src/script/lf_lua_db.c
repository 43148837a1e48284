/* Databases for Lua (src/db/db.h):
 *
 *   local db <close> = luaflash.db.open("production.db")   -- or "postgresql://..."
 *   local rows = db:exec("SELECT serial, state FROM lf_serial WHERE state = ?", "failed")
 *   for _, r in ipairs(rows) do print(r.serial, r.state) end
 *   db:exec("UPDATE ...", ...) -> rows, changes
 *   db:kind() -> "sqlite" | "postgresql"; db:where() -> the URL without a password
 *   db:broken() -> true when a PostgreSQL connection is lost; db:reconnect()
 *
 * Parameters: integers, strings, booleans (1/0) and nil (NULL); a float is an
 * error (serials and times are integers). A row is a table column -> value
 * (integers as Lua integers; a NULL column is absent). */
#include <string.h>

#include "db/db.h"
#include "script/lf_lua.h"
#include "script/lf_lua_int.h"

#define MT_DB "luaflash.db"

typedef struct ldb {
  lf_lobj o;
  lf_db *db;
} ldb;

static int db_release(lf_lobj *o)
{
  ldb *d = (ldb *)o;
  lf_db_close(d->db);
  d->db = NULL;
  return 0;
}

static ldb *check_db(lua_State *L) { return lf_lobj_check(L, 1, MT_DB); }

static int m_open(lua_State *L)
{
  const char *url = luaL_checkstring(L, 1);
  ldb *d = lf_lobj_push(L, sizeof *d, MT_DB, 0);
  lf_lobj_init(&d->o, "database", db_release, NULL);
  LF_LUA_TRY(L, lf_db_open(lf_lua_session(L), url, &d->db));
  return 1;
}

static int d_exec(lua_State *L)
{
  ldb *d = check_db(L);
  const char *sql = luaL_checkstring(L, 2);
  int n = lua_gettop(L) - 2;
  if (n > 64)
    return luaL_error(L, "db:exec: at most 64 parameters, got %d", n);
  lf_db_value p[64];
  for (int i = 0; i < n; i++) {
    int idx = i + 3;
    memset(&p[i], 0, sizeof p[i]);
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
      p[i].type = LF_DB_NULL;
      break;
    case LUA_TBOOLEAN:
      p[i].type = LF_DB_INT;
      p[i].i = lua_toboolean(L, idx);
      break;
    case LUA_TNUMBER:
      if (!lua_isinteger(L, idx))
        return luaL_error(L, "db:exec: parameter %d is not an integer (%s)", i + 1, lua_tostring(L, idx));
      p[i].type = LF_DB_INT;
      p[i].i = (int64_t)lua_tointeger(L, idx);
      break;
    case LUA_TSTRING:
      p[i].type = LF_DB_TEXT;
      p[i].s = lua_tolstring(L, idx, &p[i].len);
      break;
    default:
      return luaL_error(L, "db:exec: parameter %d: %s is not a database value", i + 1, luaL_typename(L, idx));
    }
  }
  lf_db_result *r = NULL;
  LF_LUA_TRY(L, lf_db_exec(lf_lua_session(L), d->db, sql, p, (size_t)n, &r));
  size_t rows = lf_db_nrows(r), cols = lf_db_ncols(r);
  lua_createtable(L, (int)rows, 0);
  for (size_t i = 0; i < rows; i++) {
    lua_createtable(L, 0, (int)cols);
    for (size_t c = 0; c < cols; c++) {
      lf_db_value v = lf_db_get(r, i, c);
      if (v.type == LF_DB_INT)
        lua_pushinteger(L, (lua_Integer)v.i);
      else if (v.type == LF_DB_TEXT)
        lua_pushlstring(L, v.s, v.len);
      else
        continue;
      lua_setfield(L, -2, lf_db_colname(r, c));
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_pushinteger(L, (lua_Integer)lf_db_changes(r));
  lf_db_result_free(r);
  return 2;
}

static int d_kind(lua_State *L)
{
  lua_pushstring(L, lf_db_kind(check_db(L)->db));
  return 1;
}

static int d_where(lua_State *L)
{
  lua_pushstring(L, lf_db_where(check_db(L)->db));
  return 1;
}

static int d_broken(lua_State *L)
{
  lua_pushboolean(L, lf_db_broken(check_db(L)->db));
  return 1;
}

static int d_reconnect(lua_State *L)
{
  ldb *d = check_db(L);
  LF_LUA_TRY(L, lf_db_reconnect(lf_lua_session(L), d->db));
  return 0;
}

static int d_tostring(lua_State *L)
{
  ldb *d = luaL_checkudata(L, 1, MT_DB);
  if (d->o.closed)
    lua_pushliteral(L, "database (closed)");
  else
    lua_pushfstring(L, "database %s (%s)", lf_db_where(d->db), lf_db_kind(d->db));
  return 1;
}

void lf_lua_db_funcs(lua_State *L)
{
  static const luaL_Reg methods[] = {{"exec", d_exec},         {"kind", d_kind},
                                     {"where", d_where},       {"broken", d_broken},
                                     {"reconnect", d_reconnect}, {NULL, NULL}};
  lf_lobj_register(L, MT_DB, methods, d_tostring);
  static const luaL_Reg funcs[] = {{"open", m_open}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_setfield(L, -2, "db");
}
