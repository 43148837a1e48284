/* CMSIS-Pack flash algorithms and packs from Lua (flash/flm.h, pack.h):
 *
 *   local g, info = lf.flm_part{ flm = "x.FLM" | pack = "x.pack", chip = "NAME",
 *                                part = "STM32F767ZI",    -- a known part: typical times, default RAM
 *                                ram = { start =, size = }, flash = { start =, size = },
 *                                mode = "auto" | "streamed" | "classic", stack = bytes }
 *   -- g: a geometry (lf.geometry's kind) whose loader is the algorithm's
 *   local p = lf.pack_info("x.pack")  -- { name, pdsc, devices = { {name, family, ...}... } }
 *
 * Every input is read and checked here, before anything touches a target.
 * A part lives as long as the Lua state (its geometries and loaders point
 * into it): kept in the registry table luaflash.flm_parts. */
#include <stdlib.h>
#include <string.h>

#include "flash/family.h"
#include "flash/flm.h"
#include "flash/loader.h"
#include "flash/pack.h"
#include "script/lf_lua_int.h"

#define MT_PART "luaflash.flm_part"

void lf_lua_flm_funcs(lua_State *L);
lf_flash_geometry *lf_lua_new_geometry(lua_State *L);

typedef struct lpart {
  lf_flm_part *p;
} lpart;

static int part_gc(lua_State *L)
{
  lpart *x = luaL_checkudata(L, 1, MT_PART);
  lf_flm_part_free(x->p);
  x->p = NULL;
  return 0;
}

static uint32_t opt_field(lua_State *L, int t, const char *k, const char *what)
{
  uint32_t v = 0;
  if (lua_getfield(L, t, k) != LUA_TNIL)
    v = lf_lua_check_u32(L, -1, what);
  lua_pop(L, 1);
  return v;
}

static void range(lua_State *L, int t, const char *k, uint32_t *start, uint32_t *size)
{
  if (lua_getfield(L, t, k) != LUA_TNIL) {
    luaL_checktype(L, -1, LUA_TTABLE);
    int r = lua_gettop(L);
    char w[48];
    snprintf(w, sizeof w, "flm_part: %s.start", k);
    *start = opt_field(L, r, "start", w);
    snprintf(w, sizeof w, "flm_part: %s.size", k);
    *size = opt_field(L, r, "size", w);
    if (!*size)
      luaL_error(L, "flm_part: %s.size must be > 0", k);
  }
  lua_pop(L, 1);
}

static const char *opt_str(lua_State *L, int t, const char *k)
{
  const char *v = NULL;
  if (lua_getfield(L, t, k) != LUA_TNIL)
    v = luaL_checkstring(L, -1);
  lua_pop(L, 1); /* the string stays reachable from the table */
  return v;
}

static void set_u(lua_State *L, const char *k, lua_Integer v)
{
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static int m_flm_part(lua_State *L)
{
  static const char *const keys[] = {"flm", "pack", "chip", "part", "ram", "flash", "mode", "stack", NULL};
  luaL_checktype(L, 1, LUA_TTABLE);
  lf_lua_check_keys(L, 1, "flm_part", keys);
  lf_session *s = lf_lua_session(L);
  const char *flm = opt_str(L, 1, "flm"), *pack = opt_str(L, 1, "pack"), *chip = opt_str(L, 1, "chip");
  const char *pname = opt_str(L, 1, "part"), *mode = opt_str(L, 1, "mode");
  if (!flm == !pack)
    return luaL_error(L, "flm_part: give one of flm (an .FLM file) and pack (a .pack file)");
  if (pack && !chip)
    return luaL_error(L, "flm_part: pack %s: which device? (chip = NAME; luaflash chips --pack FILE)", pack);
  lf_flm_part_cfg cfg = {0};
  cfg.name = chip;
  cfg.stack_size = opt_field(L, 1, "stack", "flm_part: stack");
  range(L, 1, "ram", &cfg.ram_start, &cfg.ram_size);
  range(L, 1, "flash", &cfg.flash_start, &cfg.flash_size);
  if (mode && !strcmp(mode, "streamed"))
    cfg.mode = LF_FLM_STREAMED;
  else if (mode && !strcmp(mode, "classic"))
    cfg.mode = LF_FLM_CLASSIC;
  else if (mode && strcmp(mode, "auto"))
    return luaL_error(L, "flm_part: mode \"%s\": expected \"auto\", \"streamed\" or \"classic\"", mode);
  /* a part luaflash knows: its datasheet times and its native loader's RAM */
  lf_flash_geometry native;
  memset(&native, 0, sizeof native);
  bool have_native = false;
  if (pname) {
    const lf_part *kp = lf_part_find(pname);
    if (!kp)
      return luaL_error(L, "flm_part: part '%s' is not in the parts table", pname);
    LF_LUA_TRY(L, lf_part_geometry(s, kp, &native));
    have_native = true;
    cfg.typical = &native.timing;
    cfg.blank_reprogram = !native.program_once;
    const lf_loader_adapter *ad = native.family && native.family->loader ? native.family->loader(&native) : NULL;
    if (ad && !cfg.ram_size && flm) {
      cfg.ram_start = ad->load_addr;
      cfg.ram_size = ad->ram_size;
    }
    if (ad)
      cfg.core_hz = ad->core_hz;
  }
  lpart *x = lua_newuserdatauv(L, sizeof *x, 0);
  x->p = NULL;
  luaL_setmetatable(L, MT_PART);
  int part_idx = lua_gettop(L);
  int r = 0;
  lf_err_clear(s);
  if (flm) {
    if (!cfg.ram_size)
      r = lf_err_set(s, LF_EINVAL, "%s: no RAM for the algorithm: give ram = { start =, size = } (flm_ram) or "
                     "a chip luaflash knows", flm);
    lf_flm *a = NULL;
    if (!r && !(r = lf_flm_load(s, flm, &a)))
      r = lf_flm_part_new(s, a, &cfg, &x->p);
  } else {
    lf_pack *k = NULL;
    const lf_pack_device *d = NULL;
    if (!(r = lf_pack_open(s, pack, &k)) && !(r = lf_pack_find(s, k, chip, &d)))
      r = lf_pack_part(s, k, d, &cfg, &x->p);
    lf_pack_free(k);
  }
  if (have_native)
    lf_geometry_free(&native);
  if (r)
    lf_lua_fail_rc(L, r);
  /* kept for the life of the state */
  lua_getfield(L, LUA_REGISTRYINDEX, "luaflash.flm_parts");
  lua_pushvalue(L, part_idx);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
  lf_flash_geometry *g = lf_lua_new_geometry(L);
  LF_LUA_TRY(L, lf_flm_part_geometry(s, x->p, g));
  const lf_flm *a = lf_flm_part_algo(x->p);
  lua_createtable(L, 0, 12);
  lua_pushstring(L, lf_flm_part_mode(x->p));
  lua_setfield(L, -2, "mode");
  lua_pushstring(L, a->path);
  lua_setfield(L, -2, "algorithm");
  lua_pushstring(L, a->dev_name);
  lua_setfield(L, -2, "algorithm_device");
  set_u(L, "page_size", a->page_size);
  set_u(L, "prog_timeout_ms", a->prog_timeout_ms);
  set_u(L, "erase_timeout_ms", a->erase_timeout_ms);
  set_u(L, "flash_start", g->base);
  set_u(L, "flash_size", g->size);
  lua_pushboolean(L, a->has[LF_FLM_ERASE_CHIP]);
  lua_setfield(L, -2, "erase_chip");
  return 2;
}

static void push_device(lua_State *L, lf_session *s, const lf_pack *k, const lf_pack_device *d)
{
  lua_createtable(L, 0, 10);
  lua_pushstring(L, d->name);
  lua_setfield(L, -2, "name");
  lua_pushstring(L, d->family);
  lua_setfield(L, -2, "family");
  lua_pushstring(L, d->subfamily);
  lua_setfield(L, -2, "subfamily");
  if (d->device[0]) {
    lua_pushstring(L, d->device);
    lua_setfield(L, -2, "device");
  }
  lua_pushstring(L, d->core);
  lua_setfield(L, -2, "core");
  const lf_pack_algo *a;
  const lf_pack_memory *m;
  if (lf_pack_device_algo(s, k, d, &a, &m) == 0) {
    lua_pushstring(L, a->path);
    lua_setfield(L, -2, "algorithm");
    uint64_t hi = (uint64_t)a->start + a->size, mh = (uint64_t)m->start + m->size;
    uint32_t lo = a->start > m->start ? a->start : m->start;
    set_u(L, "flash_start", lo);
    set_u(L, "flash_size", (lua_Integer)((hi < mh ? hi : mh) - lo));
  } else {
    lua_pushstring(L, lf_err_msg(s));
    lua_setfield(L, -2, "problem");
    lf_err_clear(s);
  }
}

/* lf.pack_info(path) -> { name, pdsc, path, devices = {...} } */
static int m_pack_info(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  lf_session *s = lf_lua_session(L);
  lf_pack *k = NULL;
  LF_LUA_TRY(L, lf_pack_open(s, path, &k));
  lua_createtable(L, 0, 4);
  lua_pushstring(L, lf_pack_name(k));
  lua_setfield(L, -2, "name");
  lua_pushstring(L, lf_pack_pdsc(k));
  lua_setfield(L, -2, "pdsc");
  lua_pushstring(L, path);
  lua_setfield(L, -2, "path");
  lua_createtable(L, (int)lf_pack_count(k), 0);
  for (size_t i = 0; i < lf_pack_count(k); i++) {
    push_device(L, s, k, lf_pack_device_at(k, i));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "devices");
  lf_pack_free(k);
  return 1;
}

void lf_lua_flm_funcs(lua_State *L)
{
  if (luaL_newmetatable(L, MT_PART)) {
    lua_pushcfunction(L, part_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, "luaflash.flm_parts");
  if (lua_isnil(L, -1)) {
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "luaflash.flm_parts");
  }
  lua_pop(L, 1);
  static const luaL_Reg funcs[] = {{"flm_part", m_flm_part}, {"pack_info", m_pack_info}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
