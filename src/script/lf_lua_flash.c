/* The flash engine from Lua: parts, families, geometry, images and plans.
 *
 *   local g   = lf.geometry{ part = "STM32F767ZI" }  -- nominal, from the parts table
 *   local g   = lf.geometry{ line = 0x451, flash_kib = 2048, dual_bank = false }
 *   local g   = lf.geometry{ name = "my part", regions = {{base=, count=, size=}...}, ... }
 *   local g   = lf.target_geometry(target)          -- as the connected chip reports
 *   local img = lf.image{ { path = "app.hex" }, { path = "boot.bin", base = 0x08000000 } }
 *   img:check(g)                                    -- aliases, writable regions
 *   local p   = lf.plan(img, g, { erase = "auto", smart_flash = true, ... })
 *   p:needs() -> { reads = {{addr, len}...}, crcs = {{index, addr, size}...} }
 *   p:set_old(addr, bytes)  p:set_crc(index, crc)  p:finalize()
 *   p:summary(), p:sectors()
 *
 * Geometries, images and plans are lf_lobj objects like probes and targets
 * (lf_lua_int.h): one lifecycle, released exactly once by close(), __close
 * or __gc. A plan is its geometry's child (it points into it): closing the
 * geometry closes its plans, and a reachable plan keeps its geometry alive. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arm/adi.h"
#include "arm/cortex_m.h"
#include "flash/family.h"
#include "flash/image.h"
#include "flash/loader.h"
#include "flash/plan.h"
#include "flash/zenc.h"
#include "script/lf_lua_int.h"

void lf_lua_flm_funcs(lua_State *L);                /* lf_lua_flm.c */
lf_flash_geometry *lf_lua_new_geometry(lua_State *L); /* for lf_lua_flm.c */

#define MT_GEOM "luaflash.geometry"
#define MT_IMAGE "luaflash.image"
#define MT_PLAN "luaflash.plan"

typedef struct lgeom {
  lf_lobj o;
  lf_flash_geometry g;
} lgeom;

typedef struct limage {
  lf_lobj o;
  lf_image *im;
} limage;

typedef struct lplan {
  lf_lobj o;
  lf_plan *p;
} lplan;

/* ---- geometry ---- */

static lgeom *check_geom(lua_State *L, int idx) { return lf_lobj_check(L, idx, MT_GEOM); }

static int geom_release(lf_lobj *o)
{
  lf_geometry_free(&((lgeom *)o)->g);
  return 0;
}

static lgeom *new_geom(lua_State *L)
{
  lgeom *g = lf_lobj_push(L, sizeof *g, MT_GEOM, 0);
  lf_lobj_init(&g->o, "geometry", geom_release, NULL);
  return g;
}

/* A new geometry object (for the other binding files: lf_lua_flm.c). */
lf_flash_geometry *lf_lua_new_geometry(lua_State *L) { return &new_geom(L)->g; }

/* A chip's geometry from the family that knows its line: the named one, or
 * the first registered family whose table has it. */
static int push_line_geometry(lua_State *L, const lf_family *f, const lf_chip *c)
{
  lgeom *g = new_geom(L);
  LF_LUA_TRY(L, lf_line_geometry(lf_lua_session(L), f, c->line, c->flash_kib, c->dual_bank, &g->g));
  return 1;
}

static uint32_t field_u32(lua_State *L, int t, const char *k, uint32_t def, const char *what)
{
  uint32_t v = def;
  if (lua_getfield(L, t, k) != LUA_TNIL)
    v = lf_lua_check_u32(L, -1, what);
  lua_pop(L, 1);
  return v;
}

/* Milliseconds/microseconds from a description field, as ns. */
static uint64_t field_ns(lua_State *L, int t, const char *k, double scale, const char *fn)
{
  uint64_t v = 0;
  if (lua_getfield(L, t, k) != LUA_TNIL) {
    if (!lua_isnumber(L, -1) || lua_tonumber(L, -1) < 0)
      luaL_error(L, "%s: '%s' must be a non-negative number", fn, k);
    v = (uint64_t)(lua_tonumber(L, -1) * scale + 0.5);
  }
  lua_pop(L, 1);
  return v;
}

/* timing = { program_us=, program_us_max=, erase_ms = {[size]=ms, ...},
 * erase_ms_max = {...}, mass_ms=, mass_ms_max= }: the same figure for every
 * program unit. */
static void check_timing(lua_State *L, int t, lf_flash_timing *tm)
{
  static const char *const keys[] = {"program_us", "program_us_max", "erase_ms", "erase_ms_max",
                                     "mass_ms", "mass_ms_max", NULL};
  memset(tm, 0, sizeof *tm);
  luaL_checktype(L, t, LUA_TTABLE);
  lf_lua_check_keys(L, t, "geometry: timing", keys);
  for (int mx = 0; mx < 2; mx++) {
    uint64_t p = field_ns(L, t, mx ? "program_us_max" : "program_us", 1e3, "geometry: timing");
    uint64_t m = field_ns(L, t, mx ? "mass_ms_max" : "mass_ms", 1e6, "geometry: timing");
    for (int k = 0; k < LF_FLASH_UNITS; k++) {
      tm->prog_ns[mx][k] = p ? p : tm->prog_ns[0][k];
      tm->mass_ns[mx][k] = m ? m : tm->mass_ns[0][k];
    }
    if (lua_getfield(L, t, mx ? "erase_ms_max" : "erase_ms") == LUA_TTABLE) {
      size_t n = 0;
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        if (!lua_isinteger(L, -2) || !lua_isnumber(L, -1))
          luaL_error(L, "geometry: timing: erase_ms is { [sector size] = milliseconds, ... }");
        uint32_t size = (uint32_t)lua_tointeger(L, -2);
        size_t row = 0;
        while (row < n && tm->erase[row].size != size)
          row++;
        if (row == n && n++ >= LF_FLASH_MAX_ERASE_ROWS)
          luaL_error(L, "geometry: timing: at most %d erase sizes", LF_FLASH_MAX_ERASE_ROWS);
        tm->erase[row].size = size;
        for (int k = 0; k < LF_FLASH_UNITS; k++) {
          tm->erase[row].ns[mx][k] = (uint64_t)(lua_tonumber(L, -1) * 1e6 + 0.5);
          if (!mx)
            tm->erase[row].ns[1][k] = tm->erase[row].ns[1][k] ? tm->erase[row].ns[1][k] : tm->erase[row].ns[0][k];
        }
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
}

/* A geometry described in Lua: regions and the rest (README "Describing a
 * part"). */
static int described_geometry(lua_State *L)
{
  static const char *const keys[] = {"name", "family", "line", "regions", "prog_unit", "prog_units",
                                     "erased", "timing", "parallel_banks", "program_once", NULL};
  lf_lua_check_keys(L, 1, "geometry", keys);
  lf_geometry_desc d;
  memset(&d, 0, sizeof d);
  lua_getfield(L, 1, "name");
  d.name = luaL_optstring(L, -1, "described part");
  if (lua_getfield(L, 1, "family") != LUA_TNIL) {
    const char *fam = luaL_checkstring(L, -1);
    if (!(d.family = lf_family_by_name(fam)))
      return luaL_error(L, "geometry: unknown family '%s'", fam);
  }
  d.line = field_u32(L, 1, "line", 0, "geometry: line");
  d.erased = (uint8_t)field_u32(L, 1, "erased", 0xFF, "geometry: erased");
  lua_getfield(L, 1, "parallel_banks");
  d.parallel_banks = lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, 1, "program_once");
  d.program_once = lua_toboolean(L, -1);
  lua_pop(L, 1);
  d.prog_unit = field_u32(L, 1, "prog_unit", 4, "geometry: prog_unit");
  d.prog_units = d.prog_unit;
  if (lua_getfield(L, 1, "prog_units") == LUA_TTABLE) {
    d.prog_units = 0;
    for (lua_Integer k = 1; k <= luaL_len(L, -1); k++) {
      lua_geti(L, -1, k);
      uint32_t u = lf_lua_check_u32(L, -1, "geometry: prog_units");
      if (u == 0 || u >= 1u << LF_FLASH_UNITS || (u & (u - 1)))
        return luaL_error(L, "geometry: prog_units: %u is not 1, 2, 4, 8, 16 or 32", (unsigned)u);
      d.prog_units |= u;
      lua_pop(L, 1);
    }
  }
  if (lua_getfield(L, 1, "regions") != LUA_TTABLE)
    return luaL_error(L, "geometry: 'regions' expected: { {base=, count=, size=, bank=}, ... }");
  int rt = lua_gettop(L);
  lua_Integer n = luaL_len(L, rt);
  if (n < 1 || n > 64)
    return luaL_error(L, "geometry: 1 to 64 regions expected, got %d", (int)n);
  lf_geometry_region *rg = lua_newuserdatauv(L, sizeof *rg * (size_t)n, 0);
  uint32_t next = 0, index = 0;
  for (lua_Integer k = 1; k <= n; k++) {
    lua_geti(L, rt, k);
    if (!lua_istable(L, -1))
      return luaL_error(L, "geometry: region %d must be a table {base=, count=, size=, bank=}", (int)k);
    int e = lua_gettop(L);
    static const char *const rkeys[] = {"base", "count", "size", "bank", "first_index", NULL};
    lf_lua_check_keys(L, e, "geometry: region", rkeys);
    lf_geometry_region *r = &rg[k - 1];
    r->base = field_u32(L, e, "base", next, "geometry: region base");
    if (k == 1 && lua_getfield(L, e, "base") == LUA_TNIL)
      return luaL_error(L, "geometry: the first region needs a 'base'");
    lua_settop(L, e);
    r->count = field_u32(L, e, "count", 1, "geometry: region count");
    r->size = field_u32(L, e, "size", 0, "geometry: region size");
    r->bank = (uint8_t)field_u32(L, e, "bank", k > 1 ? rg[k - 2].bank : 0, "geometry: region bank");
    if (k > 1 && r->bank != rg[k - 2].bank)
      index = 0;
    r->first_index = field_u32(L, e, "first_index", index, "geometry: region first_index");
    index = r->first_index + r->count;
    next = r->base + r->count * r->size;
    lua_settop(L, e - 1);
  }
  d.regions = rg;
  d.nregions = (size_t)n;
  lf_flash_timing tm;
  if (lua_getfield(L, 1, "timing") == LUA_TNIL)
    return luaL_error(L, "geometry: 'timing' expected: { program_us=, erase_ms = {[size]=ms}, mass_ms= }");
  check_timing(L, lua_gettop(L), &tm);
  d.timing = &tm;
  lgeom *g = new_geom(L);
  lf_session *s = lf_lua_session(L);
  LF_LUA_TRY(L, lf_geometry_build(s, &d, &g->g));
  if (d.family && d.family->check_geometry)
    LF_LUA_TRY(L, d.family->check_geometry(s, &g->g));
  return 1;
}

/* lf.geometry{part=} | {line=/dev_id=, flash_kib=, dual_bank=, family=} |
 * {name=, regions=, ...} */
static int m_geometry(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_getfield(L, 1, "regions") != LUA_TNIL) {
    lua_pop(L, 1);
    return described_geometry(L);
  }
  lua_pop(L, 1);
  static const char *const keys[] = {"part", "family", "line", "dev_id", "flash_kib", "dual_bank", NULL};
  lf_lua_check_keys(L, 1, "geometry", keys);
  if (lua_getfield(L, 1, "part") != LUA_TNIL) {
    const char *name = luaL_checkstring(L, -1);
    const lf_part *p = lf_part_find(name);
    if (!p)
      return luaL_error(L, "geometry: unknown part '%s'", name);
    lf_chip c = {.line = p->line, .flash_kib = p->flash_kib, .supported = true};
    return push_line_geometry(L, lf_family_by_name(p->family), &c);
  }
  const lf_family *f = NULL;
  if (lua_getfield(L, 1, "family") != LUA_TNIL) {
    const char *fam = luaL_checkstring(L, -1);
    if (!(f = lf_family_by_name(fam)))
      return luaL_error(L, "geometry: unknown family '%s'", fam);
  }
  lua_getfield(L, 1, "line");
  if (lua_isnil(L, -1))
    lua_getfield(L, 1, "dev_id");
  lf_chip c = {.supported = true};
  c.line = lf_lua_check_u32(L, -1, "geometry: line");
  lua_getfield(L, 1, "flash_kib");
  c.flash_kib = lf_lua_check_u32(L, -1, "geometry: flash_kib");
  lua_getfield(L, 1, "dual_bank");
  c.dual_bank = lua_toboolean(L, -1);
  return push_line_geometry(L, f, &c);
}

/* lf.target_geometry(target): the chip's own geometry (its flash size
 * register and bank mode, read when the target connected). */
static int m_target_geometry(lua_State *L)
{
  lf_lua_target_cm(L, 1);
  const lf_chip *c = lf_lua_target_chip(L, 1, true);
  if (!c)
    return luaL_error(L, "target: the chip was not identified (not connected, or no flash family "
                         "knows it): describe its flash with lf.geometry{regions = ...}");
  return push_line_geometry(L, c->family, c);
}

static void push_sector(lua_State *L, const lf_flash_sector *sec)
{
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, sec->index);
  lua_setfield(L, -2, "index");
  lua_pushinteger(L, sec->addr);
  lua_setfield(L, -2, "addr");
  lua_pushinteger(L, sec->size);
  lua_setfield(L, -2, "size");
  lua_pushinteger(L, sec->bank);
  lua_setfield(L, -2, "bank");
}

/* g:info() -> { name, family, line, flash_kib, dual_bank, banks, base, size,
 * prog_unit, erased, sectors = {...} } */
static int g_info(lua_State *L)
{
  const lf_flash_geometry *g = &check_geom(L, 1)->g;
  lua_createtable(L, 0, 12);
  lua_pushstring(L, g->name);
  lua_setfield(L, -2, "name");
  if (g->family) {
    lua_pushstring(L, g->family->name);
    lua_setfield(L, -2, "family");
  }
  lua_pushinteger(L, g->line);
  lua_setfield(L, -2, "line");
  lua_pushinteger(L, g->flash_kib);
  lua_setfield(L, -2, "flash_kib");
  lua_pushboolean(L, g->dual_bank);
  lua_setfield(L, -2, "dual_bank");
  lua_pushinteger(L, g->nbanks);
  lua_setfield(L, -2, "banks");
  lua_pushboolean(L, g->parallel_banks);
  lua_setfield(L, -2, "parallel_banks");
  lua_pushboolean(L, g->program_once);
  lua_setfield(L, -2, "program_once");
  lua_pushinteger(L, g->base);
  lua_setfield(L, -2, "base");
  lua_pushinteger(L, g->size);
  lua_setfield(L, -2, "size");
  lua_pushinteger(L, g->prog_unit);
  lua_setfield(L, -2, "prog_unit");
  lua_pushinteger(L, g->erased);
  lua_setfield(L, -2, "erased");
  lua_createtable(L, (int)g->nsectors, 0);
  for (unsigned i = 0; i < g->nsectors; i++) {
    push_sector(L, &g->sector[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "sectors");
  return 1;
}

static int g_tostring(lua_State *L)
{
  lgeom *g = luaL_checkudata(L, 1, MT_GEOM);
  lua_pushfstring(L, "geometry (%s)", g->o.closed ? "closed" : g->g.name);
  return 1;
}

/* ---- parts and families ---- */

static void push_part(lua_State *L, const lf_part *p)
{
  lua_createtable(L, 0, 5);
  lua_pushstring(L, p->name);
  lua_setfield(L, -2, "name");
  lua_pushstring(L, p->family);
  lua_setfield(L, -2, "family");
  lua_pushinteger(L, p->line);
  lua_setfield(L, -2, "line");
  lua_pushinteger(L, p->flash_kib);
  lua_setfield(L, -2, "flash_kib");
  lua_newtable(L);
  char sh[32];
  if (lf_part_short_name(p, sh, sizeof sh)) {
    lua_pushstring(L, sh);
    lua_rawseti(L, -2, 1);
  }
  for (const char *a = p->aliases; *a;) {
    const char *e = strchr(a, ',');
    size_t n = e ? (size_t)(e - a) : strlen(a);
    lua_pushlstring(L, a, n);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    a += n + (e ? 1 : 0);
  }
  lua_setfield(L, -2, "aliases"); /* the short name first, then the table's */
}

/* lf.parts() -> { {name, family, line, flash_kib, aliases}, ... } */
static int m_parts(lua_State *L)
{
  lua_newtable(L);
  const lf_part *p;
  for (size_t i = 0; (p = lf_part_at(i)); i++) {
    push_part(L, p);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* lf.part(name) -> the row (name, alias or short name; any case) or nil */
static int m_part(lua_State *L)
{
  const lf_part *p = lf_part_find(luaL_checkstring(L, 1));
  if (!p)
    return 0;
  push_part(L, p);
  return 1;
}

/* lf.families() -> { {name, title}, ... } */
static int m_families(lua_State *L)
{
  lua_newtable(L);
  const lf_family *f;
  for (size_t i = 0; (f = lf_family_at(i)); i++) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, f->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, f->title);
    lua_setfield(L, -2, "title");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* lf.protection(target) -> { level, reg, value, what, message } (read now),
 * or nil when the chip's family has no read protection or is unknown. */
static int m_protection(lua_State *L)
{
  lf_cm *cm = lf_lua_target_cm(L, 1);
  const lf_chip *c = lf_lua_target_chip(L, 1, false);
  if (!c || !c->family->protection)
    return 0;
  lf_protection pr;
  LF_LUA_TRY(L, c->family->protection(lf_lua_session(L), lf_adi_default_memap(lf_cm_adi(cm)), c, &pr));
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, pr.level);
  lua_setfield(L, -2, "level");
  lua_pushinteger(L, pr.reg);
  lua_setfield(L, -2, "reg");
  lua_pushinteger(L, pr.value);
  lua_setfield(L, -2, "value");
  lua_pushstring(L, pr.what);
  lua_setfield(L, -2, "what");
  lua_pushstring(L, pr.message);
  lua_setfield(L, -2, "message");
  return 1;
}

/* lf.unique_id(target) -> addr, len of the chip's unique ID (nil: none known) */
static int m_unique_id(lua_State *L)
{
  lf_lua_target_cm(L, 1);
  const lf_chip *c = lf_lua_target_chip(L, 1, false);
  uint32_t addr = 0, len = 0;
  if (c && c->family->unique_id)
    c->family->unique_id(c->line, &addr, &len);
  if (!addr)
    return 0;
  lua_pushinteger(L, addr);
  lua_pushinteger(L, len);
  return 2;
}

/* ---- image ---- */

static limage *check_image(lua_State *L, int idx) { return lf_lobj_check(L, idx, MT_IMAGE); }

static int image_release(lf_lobj *o)
{
  limage *i = (limage *)o;
  lf_image_free(i->im);
  i->im = NULL;
  return 0;
}

/* lf.image(list [, geometry [, {max_file = bytes}]]) with list = { "path" |
 * {path=, format=, base=}, ... }; max_file: the largest file read (default
 * LF_IMAGE_MAX_FILE). */
static int m_image(lua_State *L)
{
  static const char *const keys[] = {"path", "format", "base", "data", "name", NULL};
  static const char *const okeys[] = {"max_file", NULL};
  luaL_checktype(L, 1, LUA_TTABLE);
  const lf_flash_geometry *g = lua_isnoneornil(L, 2) ? NULL : &check_geom(L, 2)->g;
  uint64_t max = 0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lf_lua_check_keys(L, 3, "image", okeys);
    if (lua_getfield(L, 3, "max_file") != LUA_TNIL) {
      lua_Integer v = luaL_checkinteger(L, -1);
      if (v < 1)
        return luaL_error(L, "image: max_file must be a positive number of bytes");
      max = (uint64_t)v;
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  limage *i = lf_lobj_push(L, sizeof *i, MT_IMAGE, 0);
  lf_lobj_init(&i->o, "image", image_release, NULL);
  i->im = lf_image_new();
  if (!i->im)
    return luaL_error(L, "image: out of memory");
  lf_image_set_max_file(i->im, max);
  lf_session *s = lf_lua_session(L);
  lua_Integer n = luaL_len(L, 1);
  if (n == 0)
    return luaL_error(L, "image: no image files given");
  for (lua_Integer k = 1; k <= n; k++) {
    lua_geti(L, 1, k);
    const char *path, *data = NULL;
    size_t dlen = 0;
    int fmt = LF_IMAGE_AUTO;
    uint64_t base = LF_IMAGE_NO_BASE;
    if (lua_type(L, -1) == LUA_TSTRING) {
      path = lua_tostring(L, -1);
    } else if (lua_istable(L, -1)) {
      int t = lua_gettop(L);
      lf_lua_check_keys(L, t, "image", keys);
      if (lua_getfield(L, t, "data") != LUA_TNIL) { /* bytes in memory: {data=, base=, name=} */
        if (lua_type(L, -1) != LUA_TSTRING)
          return luaL_error(L, "image[%d]: 'data' must be a string of bytes", (int)k);
        data = lua_tolstring(L, -1, &dlen);
        lua_getfield(L, t, "name");
        path = lua_isnil(L, -1) ? lua_pushfstring(L, "image[%d] (data)", (int)k) : luaL_checkstring(L, -1);
      } else {
        lua_getfield(L, t, "path");
        if (lua_type(L, -1) != LUA_TSTRING)
          return luaL_error(L, "image[%d]: 'path' (a file) or 'data' (bytes) expected", (int)k);
        path = lua_tostring(L, -1);
      }
      if (lua_getfield(L, t, "format") != LUA_TNIL) {
        const char *f = luaL_checkstring(L, -1);
        fmt = lf_image_format_parse(f);
        if (fmt < 0)
          return luaL_error(L, "image[%d]: unknown format '%s' (bin, hex, elf, srec, auto)", (int)k, f);
      }
      lua_pop(L, 1);
      if (lua_getfield(L, t, "base") != LUA_TNIL)
        base = lf_lua_check_u32(L, -1, "image: base");
      lua_pop(L, 1);
    } else {
      return luaL_error(L, "image[%d]: expected a path or {path=, format=, base=}", (int)k);
    }
    lf_err_clear(s);
    int rc = data ? lf_image_add_buffer(s, i->im, path, (const uint8_t *)data, dlen, (lf_image_format)fmt, base)
                  : lf_image_add_file(s, i->im, path, (lf_image_format)fmt, base);
    if (rc != 0)
      return lf_lua_fail_rc(L, rc);
    lua_settop(L, 3);
  }
  LF_LUA_TRY(L, lf_image_finish(s, i->im, g, LF_REGION_MAIN));
  return 1;
}

/* img:check(geometry [, "otp"]) -> img (aliases translated, regions checked) */
static int i_check(lua_State *L)
{
  limage *i = check_image(L, 1);
  const lf_flash_geometry *g = &check_geom(L, 2)->g;
  unsigned regions = LF_REGION_MAIN;
  if (lua_toboolean(L, 3))
    regions |= LF_REGION_OTP;
  LF_LUA_TRY(L, lf_image_finish(lf_lua_session(L), i->im, g, regions));
  lua_settop(L, 1);
  return 1;
}

/* img:segments() -> { {addr=, len=}, ... } ; img:bytes() ; img:read(addr, len) */
static int i_segments(lua_State *L)
{
  limage *i = check_image(L, 1);
  size_t n = lf_image_count(i->im);
  lua_createtable(L, (int)n, 0);
  for (size_t k = 0; k < n; k++) {
    const lf_segment *sg = lf_image_segment(i->im, k);
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, sg->addr);
    lua_setfield(L, -2, "addr");
    lua_pushinteger(L, sg->len);
    lua_setfield(L, -2, "len");
    lua_rawseti(L, -2, (lua_Integer)k + 1);
  }
  return 1;
}

static int i_bytes(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)lf_image_bytes(check_image(L, 1)->im));
  return 1;
}

/* The image's bytes of [addr, addr+len); bytes not in the image read 0xFF. */
static int i_read(lua_State *L)
{
  limage *i = check_image(L, 1);
  uint32_t addr = lf_lua_check_u32(L, 2, "image:read: addr");
  uint32_t len = lf_lua_check_u32(L, 3, "image:read: len");
  if (len > 64u << 20)
    return luaL_error(L, "image:read: len %u too large", (unsigned)len);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, len);
  memset(out, 0xFF, len);
  for (size_t k = 0; k < lf_image_count(i->im); k++) {
    const lf_segment *sg = lf_image_segment(i->im, k);
    uint64_t lo = sg->addr > addr ? sg->addr : addr;
    uint64_t hi1 = (uint64_t)sg->addr + sg->len, hi2 = (uint64_t)addr + len;
    uint64_t hi = hi1 < hi2 ? hi1 : hi2;
    if (lo < hi)
      memcpy(out + (lo - addr), sg->data + (lo - sg->addr), (size_t)(hi - lo));
  }
  luaL_pushresultsize(&b, len);
  return 1;
}

/* img:patch(addr, bytes [, geometry [, name]]) -> img: per-board data laid
 * over the image (image.h lf_image_patch); with a geometry the patch is
 * checked against that flash at once (and again at every img:check). */
static int i_patch(lua_State *L)
{
  limage *i = check_image(L, 1);
  uint32_t addr = lf_lua_check_u32(L, 2, "image:patch: addr");
  size_t len;
  const char *data = luaL_checklstring(L, 3, &len);
  const lf_flash_geometry *g = lua_isnoneornil(L, 4) ? NULL : &check_geom(L, 4)->g;
  const char *name = luaL_optstring(L, 5, "patch");
  if (len > 0xFFFFFFFFu - addr + 1ull)
    return luaL_error(L, "image:patch: %d bytes at 0x%08x pass the end of the address space", (int)len,
                      (unsigned)addr);
  lf_session *s = lf_lua_session(L);
  LF_LUA_TRY(L, lf_image_patch(s, i->im, name, addr, (const uint8_t *)data, len, g, LF_REGION_MAIN));
  lua_settop(L, 1);
  return 1;
}

/* img:source(addr [, geometry]) -> "app.hex line 12" | nil: where the
 * image's byte at addr came from (messages naming the file). */
static int i_source(lua_State *L)
{
  limage *i = check_image(L, 1);
  uint32_t addr = lf_lua_check_u32(L, 2, "image:source: addr");
  const lf_flash_geometry *g = lua_isnoneornil(L, 3) ? NULL : &check_geom(L, 3)->g;
  char buf[512];
  if (!lf_image_source(i->im, g, addr, buf, sizeof buf))
    return 0;
  lua_pushstring(L, buf);
  return 1;
}

static int i_entry(lua_State *L)
{
  uint64_t e = lf_image_entry(check_image(L, 1)->im);
  if (e == UINT64_MAX)
    lua_pushnil(L);
  else
    lua_pushinteger(L, (lua_Integer)e);
  return 1;
}

static int i_tostring(lua_State *L)
{
  limage *i = luaL_checkudata(L, 1, MT_IMAGE);
  if (i->o.closed)
    lua_pushliteral(L, "image (closed)");
  else
    lua_pushfstring(L, "image (%d segments, %d bytes)", (int)lf_image_count(i->im),
                    (int)lf_image_bytes(i->im));
  return 1;
}

/* ---- plan ---- */

static lplan *check_plan(lua_State *L, int idx) { return lf_lobj_check(L, idx, MT_PLAN); }

static int plan_release(lf_lobj *o)
{
  lplan *p = (lplan *)o;
  lf_plan_free(p->p);
  p->p = NULL;
  return 0;
}

static bool opt_bool(lua_State *L, int t, const char *key, bool def)
{
  int ty = lua_getfield(L, t, key);
  bool v = def;
  if (ty == LUA_TBOOLEAN)
    v = lua_toboolean(L, -1);
  else if (ty != LUA_TNIL)
    luaL_error(L, "plan: setting '%s' must be true or false", key);
  lua_pop(L, 1);
  return v;
}

/* The program unit of an options table: prog_unit = bytes, or psize =
 * "x8".."x64" (the STM32 name of the same thing); 0 = the geometry's. */
static unsigned check_unit(lua_State *L, int t)
{
  unsigned unit = 0;
  if (lua_getfield(L, t, "psize") != LUA_TNIL) {
    static const char *const ps[] = {"x8", "x16", "x32", "x64", NULL};
    unit = 1u << luaL_checkoption(L, -1, NULL, ps);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "prog_unit") != LUA_TNIL) {
    unit = lf_lua_check_u32(L, -1, "prog_unit");
    if (unit == 0 || unit >= 1u << LF_FLASH_UNITS || (unit & (unit - 1)))
      luaL_error(L, "prog_unit %d: expected 1, 2, 4, 8, 16 or 32 bytes", (int)unit);
  }
  lua_pop(L, 1);
  return unit;
}

/* settings.protect = { {addr, len [, name]} | {addr=, len=, name=}, ... }:
 * the array is a userdata pushed on the stack (the names are the table's
 * strings: both live as long as the call). */
static void check_protect(lua_State *L, int t, lf_plan_settings *set)
{
  if (lua_getfield(L, t, "protect") == LUA_TNIL)
    return;
  int list = lua_gettop(L);
  luaL_checktype(L, list, LUA_TTABLE);
  lua_Integer n = luaL_len(L, list);
  if (n < 0 || n > 4096)
    luaL_error(L, "plan: protect: %d regions (at most 4096)", (int)n);
  lf_plan_protect *v = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *v, 0);
  for (lua_Integer k = 1; k <= n; k++) {
    lua_geti(L, list, k);
    int e = lua_gettop(L);
    if (!lua_istable(L, e))
      luaL_error(L, "plan: protect[%d]: expected {addr, len, name}", (int)k);
    if (lua_getfield(L, e, "addr") == LUA_TNIL) {
      lua_pop(L, 1);
      lua_geti(L, e, 1);
    }
    if (lua_getfield(L, e, "len") == LUA_TNIL) {
      lua_pop(L, 1);
      lua_geti(L, e, 2);
    }
    if (lua_getfield(L, e, "name") == LUA_TNIL) {
      lua_pop(L, 1);
      lua_geti(L, e, 3);
    }
    v[k - 1].addr = lf_lua_check_u32(L, e + 1, "plan: protect: addr");
    v[k - 1].len = lf_lua_check_u32(L, e + 2, "plan: protect: len");
    v[k - 1].name = lua_type(L, e + 3) == LUA_TSTRING ? lua_tostring(L, e + 3) : NULL;
    lua_settop(L, e - 1); /* the names stay reachable from the settings table */
  }
  set->protect = v;
  set->nprotect = (size_t)n;
}

/* lf.plan(img, geometry [, settings]) */
static int m_plan(lua_State *L)
{
  static const char *const keys[] = {"erase", "keep_unwritten", "erase_avoid", "bits_only", "smart_flash",
                                     "verify", "psize", "prog_unit", "erase_psize", "timing_max", "ff_gap",
                                     "link_bps", "ring_bytes", "protect", NULL};
  limage *i = check_image(L, 1);
  check_geom(L, 2);
  lf_plan_settings set;
  lf_plan_settings_default(&set);
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lf_lua_check_keys(L, 3, "plan", keys);
    if (lua_getfield(L, 3, "erase") != LUA_TNIL) {
      static const char *const e[] = {"sector", "chip", "auto", "fastest", NULL};
      set.erase = (lf_erase_mode)luaL_checkoption(L, -1, NULL, e);
    }
    lua_pop(L, 1);
    set.keep_unwritten = opt_bool(L, 3, "keep_unwritten", set.keep_unwritten);
    set.erase_avoid = opt_bool(L, 3, "erase_avoid", set.erase_avoid);
    set.bits_only = opt_bool(L, 3, "bits_only", set.bits_only);
    set.smart_flash = opt_bool(L, 3, "smart_flash", set.smart_flash);
    set.timing_max = opt_bool(L, 3, "timing_max", set.timing_max);
    int ty = lua_getfield(L, 3, "verify");
    if (ty == LUA_TBOOLEAN) {
      set.verify = lua_toboolean(L, -1) ? LF_VERIFY_CRC : LF_VERIFY_NONE;
    } else if (ty != LUA_TNIL) {
      static const char *const v[] = {"none", "crc", "readback", NULL};
      set.verify = (lf_verify_mode)luaL_checkoption(L, -1, NULL, v);
    }
    lua_pop(L, 1);
    set.prog_unit = check_unit(L, 3);
    if (lua_getfield(L, 3, "erase_psize") != LUA_TNIL) {
      static const char *const ps[] = {"x8", "x16", "x32", "x64", NULL};
      set.erase_unit = 1u << luaL_checkoption(L, -1, NULL, ps);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "ff_gap") != LUA_TNIL)
      set.ff_gap = lf_lua_check_u32(L, -1, "plan: ff_gap");
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "link_bps") != LUA_TNIL)
      set.link_bps = lf_lua_check_u32(L, -1, "plan: link_bps");
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "ring_bytes") != LUA_TNIL)
      set.ring_bytes = lf_lua_check_u32(L, -1, "plan: ring_bytes");
    lua_pop(L, 1);
    check_protect(L, 3, &set); /* pushes the array (kept on the stack through the build) */
  }
  lgeom *lg = check_geom(L, 2);
  lplan *p = lf_lobj_push(L, sizeof *p, MT_PLAN, 2); /* the plan points into the geometry */
  lf_lobj_init(&p->o, "plan", plan_release, &lg->o);
  const lf_flash_geometry *g = &lg->g;
  LF_LUA_TRY(L, lf_plan_build(lf_lua_session(L), lf_image_segment(i->im, 0), lf_image_count(i->im),
                              g, &set, &p->p));
  return 1;
}

/* p:needs() -> { reads = {{addr=, len=}...}, crcs = {{index=, addr=, size=}...} } */
static int p_needs(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  lua_createtable(L, 0, 2);
  lua_newtable(L);
  lua_newtable(L);
  for (unsigned k = 0; k < p->nsectors; k++) {
    const lf_plan_sector *ps = &p->sector[k];
    for (size_t r = 0; r < ps->nread; r++) {
      if (ps->read[r].filled)
        continue;
      lua_createtable(L, 0, 2);
      lua_pushinteger(L, ps->read[r].addr);
      lua_setfield(L, -2, "addr");
      lua_pushinteger(L, ps->read[r].len);
      lua_setfield(L, -2, "len");
      lua_rawseti(L, -3, (lua_Integer)lua_rawlen(L, -3) + 1);
    }
    if (ps->want_crc && !ps->have_target_crc) {
      lua_createtable(L, 0, 3);
      lua_pushinteger(L, k);
      lua_setfield(L, -2, "index");
      lua_pushinteger(L, ps->sector->addr);
      lua_setfield(L, -2, "addr");
      lua_pushinteger(L, ps->sector->size);
      lua_setfield(L, -2, "size");
      lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    }
  }
  lua_setfield(L, -3, "crcs");
  lua_setfield(L, -2, "reads");
  return 1;
}

static int p_set_old(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  uint32_t addr = lf_lua_check_u32(L, 2, "plan:set_old: addr");
  size_t len;
  const char *d = luaL_checklstring(L, 3, &len);
  LF_LUA_TRY(L, lf_plan_set_old(lf_lua_session(L), p, addr, (const uint8_t *)d, len));
  return 0;
}

static int p_set_crc(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  uint32_t i = lf_lua_check_u32(L, 2, "plan:set_crc: index");
  uint32_t crc = lf_lua_check_u32(L, 3, "plan:set_crc: crc");
  LF_LUA_TRY(L, lf_plan_set_target_crc(lf_lua_session(L), p, i, crc));
  return 0;
}

/* p:bits_sample(i, addr, old bytes) -> still a candidate (lf_plan_bits_sample;
 * i from 0); p:bits_sample(i) vetoes sector i */
static int p_bits_sample(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  uint32_t i = lf_lua_check_u32(L, 2, "plan:bits_sample: index");
  if (i >= p->nsectors)
    return luaL_error(L, "plan:bits_sample: sector index %d out of range", (int)i);
  if (lua_isnoneornil(L, 3)) {
    p->sector[i].bits_veto = p->sector[i].bits_sampled = true;
  } else {
    uint32_t addr = lf_lua_check_u32(L, 3, "plan:bits_sample: addr");
    size_t n;
    const char *b = luaL_checklstring(L, 4, &n);
    LF_LUA_TRY(L, lf_plan_bits_sample(lf_lua_session(L), p, i, addr, (const uint8_t *)b, n));
  }
  lua_pushboolean(L, !p->sector[i].bits_veto);
  return 1;
}

/* p:finalize([link_bps, ring_bytes]): the rate and ring for the bits-only
 * model when the plan was made without them (summary bits_want) */
static int p_finalize(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  if (!lua_isnoneornil(L, 2)) {
    p->set.link_bps = lf_lua_check_u32(L, 2, "plan:finalize: link_bps");
    p->set.ring_bytes = lf_lua_check_u32(L, 3, "plan:finalize: ring_bytes");
  }
  LF_LUA_TRY(L, lf_plan_finalize(lf_lua_session(L), p));
  lua_settop(L, 1);
  return 1;
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static void set_sec(lua_State *L, const char *k, uint64_t ns)
{
  lua_pushnumber(L, (double)ns / 1e9);
  lua_setfield(L, -2, k);
}

static int p_summary(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  const lf_plan_summary *u = &p->sum;
  lua_createtable(L, 0, 20);
  lua_pushboolean(L, p->final);
  lua_setfield(L, -2, "final");
  lua_pushstring(L, lf_plan_erase_name(u->erase_used));
  lua_setfield(L, -2, "erase");
  set_int(L, "erased", u->erased);
  set_int(L, "programmed", u->programmed);
  set_int(L, "unchanged", u->unchanged);
  set_int(L, "untouched", u->untouched);
  set_int(L, "blank", u->blank);
  set_int(L, "bits", u->bits);
  set_int(L, "bits_want", u->bits_want);
  set_int(L, "image_bytes", (lua_Integer)u->image_bytes);
  set_int(L, "program_bytes", (lua_Integer)u->program_bytes);
  set_int(L, "program_words", (lua_Integer)u->program_words);
  set_int(L, "read_bytes", (lua_Integer)u->read_bytes);
  set_int(L, "crc_bytes", (lua_Integer)u->crc_bytes);
  set_int(L, "verify_bytes", (lua_Integer)u->verify_bytes);
  set_sec(L, "erase_s", u->erase_ns);
  set_sec(L, "program_s", u->program_ns);
  set_sec(L, "floor_s", u->floor_ns);
  set_sec(L, "serial_floor_s", u->serial_ns);
  set_sec(L, "sector_cost_s", u->sector_cost_ns);
  set_sec(L, "chip_cost_s", u->chip_cost_ns);
  set_int(L, "protect_bytes", (lua_Integer)u->protect_bytes);
  if (u->smart_note) {
    lua_pushstring(L, u->smart_note);
    lua_setfield(L, -2, "smart_note");
  }
  if (u->auto_note) {
    lua_pushstring(L, u->auto_note);
    lua_setfield(L, -2, "auto_note");
  }
  return 1;
}

/* p:sectors() -> one table per sector of the geometry */
static int p_sectors(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  lua_createtable(L, (int)p->nsectors, 0);
  for (unsigned k = 0; k < p->nsectors; k++) {
    const lf_plan_sector *ps = &p->sector[k];
    push_sector(L, ps->sector);
    lua_pushstring(L, lf_plan_action_name(ps->action));
    lua_setfield(L, -2, "action");
    lua_pushstring(L, ps->reason ? ps->reason : "");
    lua_setfield(L, -2, "reason");
    set_int(L, "image_bytes", ps->image_bytes);
    set_int(L, "crc", ps->crc);
    set_int(L, "prog_words", ps->prog_words);
    set_int(L, "erase_ns", (lua_Integer)ps->erase_ns);
    set_int(L, "prog_ns", (lua_Integer)ps->prog_ns);
    lua_pushboolean(L, ps->by_chip_erase);
    lua_setfield(L, -2, "by_chip_erase");
    lua_pushboolean(L, ps->erase_skipped);
    lua_setfield(L, -2, "erase_skipped");
    lua_pushboolean(L, ps->bits);
    lua_setfield(L, -2, "bits");
    lua_pushboolean(L, ps->bits_want);
    lua_setfield(L, -2, "bits_want");
    lua_pushboolean(L, ps->verify);
    lua_setfield(L, -2, "verify");
    if (ps->have_target_crc)
      set_int(L, "target_crc", ps->target_crc);
    lua_createtable(L, (int)ps->nprog, 0);
    for (size_t r = 0; r < ps->nprog; r++) {
      lua_createtable(L, 0, 2);
      set_int(L, "addr", ps->prog[r].addr);
      set_int(L, "len", ps->prog[r].len);
      lua_rawseti(L, -2, (lua_Integer)r + 1);
    }
    lua_setfield(L, -2, "ranges");
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

static int p_tostring(lua_State *L)
{
  lplan *p = luaL_checkudata(L, 1, MT_PLAN);
  if (p->o.closed || !p->p)
    lua_pushliteral(L, "plan (closed)");
  else
    lua_pushfstring(L, "plan (%s, %d sectors erased, %d programmed)", p->p->final ? "final" : "draft",
                    (int)p->p->sum.erased, (int)p->p->sum.programmed);
  return 1;
}

lf_plan *lf_lua_plan_get(lua_State *L, int idx);
lf_plan *lf_lua_plan_get(lua_State *L, int idx) { return check_plan(L, idx)->p; }

void lf_lua_loader_register(lua_State *L);
void lf_lua_loader_funcs(lua_State *L);

void lf_lua_flash_register(lua_State *L)
{
  static const luaL_Reg geom[] = {{"info", g_info}, {NULL, NULL}};
  static const luaL_Reg image[] = {{"check", i_check}, {"segments", i_segments}, {"bytes", i_bytes},
                                   {"read", i_read},   {"entry", i_entry},       {"patch", i_patch},
                                   {"source", i_source}, {NULL, NULL}};
  static const luaL_Reg plan[] = {{"needs", p_needs},       {"set_old", p_set_old},
                                  {"set_crc", p_set_crc},   {"finalize", p_finalize},
                                  {"bits_sample", p_bits_sample},
                                  {"summary", p_summary},   {"sectors", p_sectors},
                                  {NULL, NULL}};
  lf_lobj_register(L, MT_GEOM, geom, g_tostring);
  lf_lobj_register(L, MT_IMAGE, image, i_tostring);
  lf_lobj_register(L, MT_PLAN, plan, p_tostring);
  lf_lua_loader_register(L);
}

void lf_lua_flash_funcs(lua_State *L)
{
  static const luaL_Reg funcs[] = {{"geometry", m_geometry},
                                   {"target_geometry", m_target_geometry},
                                   {"image", m_image},
                                   {"plan", m_plan},
                                   {"parts", m_parts},
                                   {"part", m_part},
                                   {"families", m_families},
                                   {"protection", m_protection},
                                   {"unique_id", m_unique_id},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
  lf_lua_loader_funcs(L);
  lf_lua_flm_funcs(L);
}

/* ---- loader ---- */

#define MT_LOADER LF_MT_LOADER

typedef struct lloader {
  lf_lobj o;
  lf_loader *l;      /* holds its own copy of the geometry */
  bool stopped;
} lloader;

static int loader_release(lf_lobj *o)
{
  lloader *x = (lloader *)o;
  lf_loader_free(x->l);
  x->l = NULL;
  return 0;
}

static lloader *check_loader(lua_State *L) { return lf_lobj_check(L, 1, MT_LOADER); }

/* lf.loader(target, geometry [, {psize=|prog_unit=, chunk=, timeout=, ram_size=, compress=, link_bps=,
 * z_effort=}]): no I/O. */
static int m_loader(lua_State *L)
{
  static const char *const keys[] = {"psize", "prog_unit", "chunk", "timeout", "ram_size", "compress",
                                     "link_bps", "z_effort", NULL};
  lf_cm *cm = lf_lua_target_cm(L, 1);
  const lf_flash_geometry *g = &check_geom(L, 2)->g;
  lf_loader_cfg cfg;
  lf_loader_cfg_default(&cfg);
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lf_lua_check_keys(L, 3, "loader", keys);
    cfg.prog_unit = check_unit(L, 3);
    if (lua_getfield(L, 3, "chunk") != LUA_TNIL)
      cfg.chunk = lf_lua_check_u32(L, -1, "loader: chunk");
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "ram_size") != LUA_TNIL)
      cfg.ram_size = lf_lua_check_u32(L, -1, "loader: ram_size");
    lua_pop(L, 1);
    int ct = lua_getfield(L, 3, "compress");
    if (ct == LUA_TBOOLEAN)
      cfg.compress = lua_toboolean(L, -1) ? LF_COMPRESS_ON : LF_COMPRESS_OFF;
    else if (ct == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "auto"))
      cfg.compress = LF_COMPRESS_AUTO;
    else if (ct != LUA_TNIL)
      return luaL_error(L, "loader: compress must be \"auto\", true or false");
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "link_bps") != LUA_TNIL)
      cfg.link_bps = lf_lua_check_u32(L, -1, "loader: link_bps");
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "z_effort") != LUA_TNIL) {
      lua_Integer e = luaL_checkinteger(L, -1);
      if (e < 0 || e > LF_ZENC_EFFORT_MAX)
        return luaL_error(L, "loader: z_effort %d out of range 0..%d", (int)e, LF_ZENC_EFFORT_MAX);
      cfg.z_effort = (int)e;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "timeout") != LUA_TNIL) {
      double t = luaL_checknumber(L, -1);
      if (!(t > 0 && t <= 3600))
        return luaL_error(L, "loader: timeout %f out of range (0, 3600] s", t);
      cfg.timeout_s = t;
    }
    lua_pop(L, 1);
  }
  lloader *x = lf_lobj_push(L, sizeof *x, MT_LOADER, 1);
  lf_lobj *parent = lf_lobj_check(L, 1, LF_MT_TARGET);
  lf_lobj_init(&x->o, "loader", loader_release, parent);
  LF_LUA_TRY(L, lf_loader_new(cm, g, &cfg, &x->l));
  return 1;
}

/* Progress from the C loader into a Lua function fn(done, total, phase)
 * that sits at stack index idx for the duration of one call. An error in
 * the function is logged once and the function is not called again (the
 * flash job itself goes on: a progress bar must not break a flash). */
typedef struct lprogress {
  lua_State *L;
  int idx;
  bool failed;
  const lf_loader *l;   /* its upload count is the 4th argument, the stream's upload total the 5th */
} lprogress;

static void lua_progress(void *ctx, uint64_t done, uint64_t total, const char *phase)
{
  lprogress *p = ctx;
  if (p->failed)
    return;
  lua_State *L = p->L;
  lua_pushvalue(L, p->idx);
  lua_pushinteger(L, (lua_Integer)done);
  lua_pushinteger(L, (lua_Integer)total);
  lua_pushstring(L, phase);
  lua_pushinteger(L, p->l ? (lua_Integer)lf_loader_stats_get(p->l)->stream_bytes : 0);
  lua_pushinteger(L, p->l ? (lua_Integer)lf_loader_stats_get(p->l)->stream_total : 0);
  if (lua_pcall(L, 5, 0, 0) != LUA_OK) {
    p->failed = true;
    lf_log(lf_lua_session(L), LF_LOG_WARN, "progress callback failed (no longer called): %s",
           lua_tostring(L, -1));
    lua_pop(L, 1);
  }
}

/* Sets the loader's progress to the function at idx (none when not a function). */
static void progress_on(lua_State *L, lloader *x, int idx, lprogress *p)
{
  p->L = L;
  p->idx = lua_absindex(L, idx);
  p->failed = false;
  p->l = x->l;
  lf_loader_set_progress(x->l, lua_isfunction(L, idx) ? lua_progress : NULL, p);
}

/* Clears the progress function, then raises rc's error if any. */
static void progress_off(lua_State *L, lloader *x, int rc)
{
  lf_loader_set_progress(x->l, NULL, NULL);
  if (rc != 0)
    lf_lua_fail_rc(L, rc);
}

static int l_start(lua_State *L)
{
  LF_LUA_TRY(L, lf_loader_start(check_loader(L)->l));
  return 0;
}

static int l_stop(lua_State *L)
{
  lloader *x = check_loader(L);
  LF_LUA_TRY(L, lf_loader_stop(x->l));
  x->stopped = true;
  return 0;
}

/* Steps from a Lua list: {op="erase", addr=} {op="mass", banks=} {op="program", addr=, data=}.
 * The data strings stay referenced by the table at idx during the run. */
static lf_loader_step *check_steps(lua_State *L, int idx, size_t *n)
{
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_Integer len = luaL_len(L, idx);
  lf_loader_step *st = lua_newuserdatauv(L, sizeof *st * (size_t)(len ? len : 1), 0);
  for (lua_Integer k = 1; k <= len; k++) {
    lua_geti(L, idx, k);
    int t = lua_gettop(L);
    if (!lua_istable(L, t))
      luaL_error(L, "loader: step %d must be a table", (int)k);
    lua_getfield(L, t, "op");
    const char *op = lua_tostring(L, -1);
    lf_loader_step *s = &st[k - 1];
    memset(s, 0, sizeof *s);
    if (op && !strcmp(op, "erase")) {
      s->kind = LF_LOADER_ERASE;
      lua_getfield(L, t, "addr");
      s->addr = lf_lua_check_u32(L, -1, "loader: erase addr");
    } else if (op && !strcmp(op, "mass")) {
      s->kind = LF_LOADER_MASS;
      lua_getfield(L, t, "banks");
      s->addr = lua_isnil(L, -1) ? 1 : lf_lua_check_u32(L, -1, "loader: mass banks");
    } else if (op && !strcmp(op, "program")) {
      s->kind = LF_LOADER_PROGRAM;
      lua_getfield(L, t, "addr");
      s->addr = lf_lua_check_u32(L, -1, "loader: program addr");
      lua_getfield(L, t, "data");
      size_t dl;
      const char *d = lua_tolstring(L, -1, &dl);
      if (!d)
        luaL_error(L, "loader: step %d: 'data' must be a string", (int)k);
      s->data = (const uint8_t *)d;
      s->len = dl;
    } else {
      luaL_error(L, "loader: step %d: op must be \"erase\", \"mass\" or \"program\"", (int)k);
    }
    lua_settop(L, t - 1);
  }
  *n = (size_t)len;
  return st;
}

/* ldr:run(steps [, progress]) */
static int l_run(lua_State *L)
{
  lloader *x = check_loader(L);
  size_t n;
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TFUNCTION);
  lf_loader_step *st = check_steps(L, 2, &n);
  lprogress pg;
  progress_on(L, x, 3, &pg);
  lf_err_clear(lf_lua_session(L));
  progress_off(L, x, lf_loader_run(x->l, st, n));
  return 0;
}

/* ldr:crc32({{addr=, len=}, ...}) -> { crc, ... } (at most 32 ranges per call) */
static int l_crc32(lua_State *L)
{
  lloader *x = check_loader(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 2);
  if (n < 1 || n > 32)
    return luaL_error(L, "loader:crc32: 1 to 32 ranges, got %d", (int)n);
  lf_loader_range r[32];
  uint32_t crcs[32];
  for (lua_Integer k = 1; k <= n; k++) {
    lua_geti(L, 2, k);
    lua_getfield(L, -1, "addr");
    lua_getfield(L, -2, "len");
    r[k - 1].addr = lf_lua_check_u32(L, -2, "loader:crc32: addr");
    r[k - 1].len = lf_lua_check_u32(L, -1, "loader:crc32: len");
    lua_pop(L, 3);
  }
  LF_LUA_TRY(L, lf_loader_crc32(x->l, r, (size_t)n, crcs));
  lua_createtable(L, (int)n, 0);
  for (lua_Integer k = 0; k < n; k++) {
    lua_pushinteger(L, crcs[k]);
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

/* ldr:plan_crcs(plan [, progress]) */
static int l_plan_crcs(lua_State *L)
{
  lloader *x = check_loader(L);
  lf_plan *p = check_plan(L, 2)->p;
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TFUNCTION);
  lprogress pg;
  progress_on(L, x, 3, &pg);
  lf_err_clear(lf_lua_session(L));
  progress_off(L, x, lf_loader_plan_crcs(x->l, p));
  return 0;
}

/* ldr:plan_run(plan, {erase=true, program=true, verify=true, progress=fn}) -> sectors verified.
 * erase/program select the plan's steps; verify (with program) CRCs every
 * sector the plan flags in the same stream. */
static int l_plan_run(lua_State *L)
{
  static const char *const keys[] = {"erase", "program", "verify", "progress", NULL};
  lloader *x = check_loader(L);
  lf_plan *p = check_plan(L, 2)->p;
  bool erase = true, program = true, verify = true;
  lua_settop(L, 3);
  lua_pushnil(L); /* 4: progress function */
  if (!lua_isnil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lf_lua_check_keys(L, 3, "loader:plan_run", keys);
    lua_getfield(L, 3, "erase");
    lua_getfield(L, 3, "program");
    lua_getfield(L, 3, "verify");
    erase = lua_isnil(L, -3) || lua_toboolean(L, -3);
    program = lua_isnil(L, -2) || lua_toboolean(L, -2);
    verify = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_pop(L, 3);
    if (lua_getfield(L, 3, "progress") != LUA_TNIL)
      luaL_checktype(L, -1, LUA_TFUNCTION);
    lua_replace(L, 4);
  }
  lf_session *s = lf_lua_session(L);
  unsigned verified = 0;
  lprogress pg;
  progress_on(L, x, 4, &pg);
  if (erase && program && verify) {
    lf_err_clear(s);
    progress_off(L, x, lf_loader_plan_program(x->l, p, &verified));
  } else {
    lf_loader_step *st = NULL;
    size_t n = 0;
    lf_err_clear(s);
    int rc = lf_loader_plan_steps(s, p, &st, &n);
    if (rc == 0) {
      size_t k = 0;
      for (size_t i = 0; i < n; i++) {
        bool is_prog = st[i].kind == LF_LOADER_PROGRAM || st[i].kind == LF_LOADER_PROGRAM_BITS;
        if ((is_prog && program) || (!is_prog && erase))
          st[k++] = st[i];
      }
      if (k)
        rc = lf_loader_run(x->l, st, k);
      if (rc == 0 && verify && program)
        rc = lf_loader_plan_verify(x->l, p, &verified);
    }
    free(st);
    progress_off(L, x, rc);
  }
  lua_pushinteger(L, verified);
  return 1;
}

/* ldr:plan_verify(plan [, progress]) -> sectors verified */
static int l_plan_verify(lua_State *L)
{
  lloader *x = check_loader(L);
  lf_plan *p = check_plan(L, 2)->p;
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TFUNCTION);
  unsigned verified = 0;
  lprogress pg;
  progress_on(L, x, 3, &pg);
  lf_err_clear(lf_lua_session(L));
  progress_off(L, x, lf_loader_plan_verify(x->l, p, &verified));
  lua_pushinteger(L, verified);
  return 1;
}

static int l_stats(lua_State *L)
{
  const lf_loader_stats *st = lf_loader_stats_get(check_loader(L)->l);
  double hz = st->core_hz > 0 ? st->core_hz : 16e6;
  lua_createtable(L, 0, 14);
  set_sec(L, "start_s", st->start_ns);
  set_sec(L, "run_s", st->run_ns);
  set_sec(L, "crc_s", st->crc_ns);
  set_sec(L, "stop_s", st->stop_ns);
  lua_pushnumber(L, (double)st->erase_cyc / hz);
  lua_setfield(L, -2, "target_erase_s");
  lua_pushnumber(L, (double)st->prog_cyc / hz);
  lua_setfield(L, -2, "target_program_s");
  lua_pushnumber(L, (double)st->starve_cyc / hz);
  lua_setfield(L, -2, "target_starved_s");
  lua_pushnumber(L, (double)st->crc_cyc / hz);
  lua_setfield(L, -2, "target_crc_s");
  set_int(L, "commands", (lua_Integer)st->commands);
  set_int(L, "data_bytes", (lua_Integer)st->data_bytes);
  set_int(L, "uploads", (lua_Integer)st->uploads);
  set_int(L, "polls", (lua_Integer)st->polls);
  set_int(L, "full_polls", (lua_Integer)st->full_polls);
  lua_pushboolean(L, st->z_used);
  lua_setfield(L, -2, "compressed");
  if (st->z_why) {
    lua_pushstring(L, st->z_why);
    lua_setfield(L, -2, "compress_why");
  }
  set_int(L, "z_raw", (lua_Integer)st->z_raw);
  set_int(L, "z_bytes", (lua_Integer)st->z_bytes);
  set_int(L, "z_total_raw", (lua_Integer)st->z_total_raw);
  set_int(L, "z_total_bytes", (lua_Integer)st->z_total_bytes);
  lua_pushnumber(L, st->z_link_bps);
  lua_setfield(L, -2, "z_link_bps");
  set_sec(L, "z_pred_off_s", st->z_pred_off_ns);
  set_sec(L, "z_pred_on_s", st->z_pred_on_ns);
  set_int(L, "bits_kept", (lua_Integer)st->bits_kept);
  set_int(L, "bits_erased", (lua_Integer)st->bits_erased);
  set_sec(L, "z_upload_s", st->z_up_ns);
  set_sec(L, "z_upload_compressed_s", st->z_up_z_ns);
  set_sec(L, "z_flash_s", st->z_flash_ns);
  set_sec(L, "z_inflate_s", st->z_inflate_ns);
  return 1;
}

/* ldr:set_compress("auto" | true | false): the next streams' compressed upload (no I/O). */
static int l_set_compress(lua_State *L)
{
  lloader *x = check_loader(L);
  lf_loader_compress c;
  if (lua_isboolean(L, 2))
    c = lua_toboolean(L, 2) ? LF_COMPRESS_ON : LF_COMPRESS_OFF;
  else if (lua_type(L, 2) == LUA_TSTRING && !strcmp(lua_tostring(L, 2), "auto"))
    c = LF_COMPRESS_AUTO;
  else
    return luaL_error(L, "loader: compress must be \"auto\", true or false");
  lf_loader_set_compress(x->l, c);
  return 0;
}

/* ldr:layout() -> { ctrl=, ring=, ring_size= } (no I/O) */
static int l_layout(lua_State *L)
{
  uint32_t ctrl, ring, size;
  lf_loader_layout(check_loader(L)->l, &ctrl, &ring, &size);
  lua_createtable(L, 0, 3);
  set_int(L, "ctrl", ctrl);
  set_int(L, "ring", ring);
  set_int(L, "ring_size", size);
  set_int(L, "bits_max", lf_loader_bits_max(check_loader(L)->l));
  return 1;
}

static int l_tostring(lua_State *L)
{
  lloader *x = luaL_checkudata(L, 1, MT_LOADER);
  lua_pushfstring(L, "loader (%s%s)", x->l ? lf_loader_geometry(x->l)->name : "-",
                  x->o.closed ? ", closed" : "");
  return 1;
}

/* p:content(index) -> the sector's would-be bytes (after finalize) */
static int p_content(lua_State *L)
{
  lf_plan *p = check_plan(L, 1)->p;
  uint32_t i = lf_lua_check_u32(L, 2, "plan:content: index");
  if (i >= p->nsectors)
    return luaL_error(L, "plan:content: sector index %d out of range 0..%d", (int)i, (int)p->nsectors - 1);
  const lf_plan_sector *ps = &p->sector[i];
  if (ps->content) {
    lua_pushlstring(L, (const char *)ps->content, ps->sector->size);
  } else {
    luaL_Buffer b;
    char *o = luaL_buffinitsize(L, &b, ps->sector->size);
    memset(o, 0xFF, ps->sector->size);
    luaL_pushresultsize(&b, ps->sector->size);
  }
  return 1;
}

void lf_lua_loader_register(lua_State *L);
void lf_lua_loader_register(lua_State *L)
{
  static const luaL_Reg methods[] = {{"start", l_start},         {"stop", l_stop},
                                     {"run", l_run},             {"crc32", l_crc32},
                                     {"plan_crcs", l_plan_crcs}, {"plan_run", l_plan_run},
                                     {"plan_verify", l_plan_verify}, {"stats", l_stats},
                                     {"layout", l_layout},
                                     {"set_compress", l_set_compress},
                                     {NULL, NULL}};
  lf_lobj_register(L, MT_LOADER, methods, l_tostring);
  luaL_getmetatable(L, MT_PLAN);
  lua_getfield(L, -1, "__index");
  lua_pushcfunction(L, p_content);
  lua_setfield(L, -2, "content");
  lua_pop(L, 2);
}

/* lf.monotonic() -> seconds on the host's monotonic clock */
static int m_monotonic(lua_State *L)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
  return 1;
}

void lf_lua_loader_funcs(lua_State *L);
void lf_lua_loader_funcs(lua_State *L)
{
  lua_pushcfunction(L, m_monotonic);
  lua_setfield(L, -2, "monotonic");
  lua_pushcfunction(L, m_loader);
  lua_setfield(L, -2, "loader");
}
