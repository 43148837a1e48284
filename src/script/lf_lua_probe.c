/* Probes from Lua: listing and opening on a backend (libusb host or bench),
 * and the probe object's methods: the probe.h vtable's clock, connect, NRST,
 * voltage and raw DP/AP registers. Memory is the target's (probe:target():
 * the arm layer's memory interface of a MEM-AP), never the probe's.
 *
 * Selection (luaflash.open / bench:open): nil = the only probe; a string =
 * serial or unique serial prefix, or a location when it holds ':' ("bench:2",
 * "usb:1-4.2"); an integer = index (0-based, the order of luaflash.probes());
 * a table {serial=, index=, location=, kind=, transport=}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "probe/probe.h"
#include "script/lf_lua_int.h"
#include "usb/usb.h"

typedef struct lf_lprobe {
  lf_lobj o;
  lf_probe *p;
  lf_session *s;
  int board;                   /* bench board number (1-based), 0 on libusb */
} lf_lprobe;

static int probe_release(lf_lobj *o)
{
  lf_lprobe *lp = (lf_lprobe *)o;
  lf_probe_close(lp->p);
  lp->p = NULL;
  return 0;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static void push_info(lua_State *L, const lf_probe_info *i)
{
  set_str(L, "kind", i->kind);
  set_str(L, "product", i->product);
  set_str(L, "serial", i->serial);
  set_str(L, "firmware", i->firmware);
  set_str(L, "location", i->location);
  set_int(L, "vid", i->vid);
  set_int(L, "pid", i->pid);
  if (i->detail[0])
    set_str(L, "detail", i->detail);
}

int lf_lua_backend_probes(lua_State *L, lf_lbackend *be)
{
  lf_probe_entry *es = NULL;
  size_t n = 0;
  if (lf_probe_list(be->s, be->usb, &es, &n) != 0)
    return lf_lua_fail(L);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 10);
    set_int(L, "index", (lua_Integer)i);
    push_info(L, &es[i].info);
    if (es[i].has_voltage) {
      lua_pushnumber(L, es[i].voltage);
      lua_setfield(L, -2, "voltage");
    }
    if (es[i].note[0])
      set_str(L, "note", es[i].note);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(es);
  return 1;
}

static const char *const sel_keys[] = {"serial", "index", "location", "kind", "transport", NULL};

int lf_lua_backend_open(lua_State *L, lf_lbackend *be, int be_idx, int sel_idx)
{
  lf_probe_selector sel = {.index = -1};
  switch (lua_type(L, sel_idx)) {
  case LUA_TNONE:
  case LUA_TNIL:
    break;
  case LUA_TSTRING: {
    const char *v = lua_tostring(L, sel_idx);
    if (strchr(v, ':'))
      sel.location = v;
    else
      sel.serial = v;
    break;
  }
  case LUA_TNUMBER: {
    lua_Integer i = luaL_checkinteger(L, sel_idx);
    if (i < 0 || i > 1000)
      luaL_argerror(L, sel_idx, "probe index out of range 0..1000");
    sel.index = (int)i;
    break;
  }
  case LUA_TTABLE:
    lf_lua_check_keys(L, sel_idx, "open", sel_keys);
    if (lua_getfield(L, sel_idx, "serial") != LUA_TNIL)
      sel.serial = luaL_checkstring(L, -1);
    if (lua_getfield(L, sel_idx, "location") != LUA_TNIL)
      sel.location = luaL_checkstring(L, -1);
    if (lua_getfield(L, sel_idx, "kind") != LUA_TNIL)
      sel.kind = luaL_checkstring(L, -1);
    if (lua_getfield(L, sel_idx, "transport") != LUA_TNIL)
      sel.transport = luaL_checkstring(L, -1);
    if (lua_getfield(L, sel_idx, "index") != LUA_TNIL) {
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 1000)
        luaL_error(L, "open: 'index' must be an integer 0..1000");
      sel.index = (int)lua_tointeger(L, -1);
    }
    break; /* the strings stay referenced by the table */
  default:
    luaL_argerror(L, sel_idx, "expected a serial, location, index or table");
  }
  lf_lprobe *lp = lf_lobj_push(L, sizeof *lp, LF_MT_PROBE, be_idx);
  lp->s = be->s;
  if (lf_probe_open(be->s, be->usb, &sel, &lp->p) != 0)
    return lf_lua_fail(L); /* lp stays closed: its __gc does nothing */
  lf_lobj_init(&lp->o, "probe", probe_release, &be->o);
  if (be->bench && sscanf(lp->p->info.location, "bench:%d", &lp->board) == 1 && lp->board >= 1 &&
      (size_t)lp->board <= be->n) /* log lines follow the board last opened */
    lf_log_set_virtual_clock(be->s, &lf_bench_clock(be->boards[lp->board - 1])->now_ns);
  return 1;
}

/* ---- probe methods ---- */

static lf_lprobe *check_probe(lua_State *L) { return lf_lobj_check(L, 1, LF_MT_PROBE); }

static int p_info(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  lua_createtable(L, 0, 8);
  push_info(L, &lp->p->info);
  return 1;
}

static int p_set_clock(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  lua_Number hz = luaL_checknumber(L, 2);
  if (!(hz >= 1 && hz <= 1e9))
    luaL_argerror(L, 2, "clock out of range 1 Hz..1 GHz");
  uint32_t actual = 0;
  LF_LUA_TRY(L, lp->p->ops->set_clock(lp->p, (uint32_t)hz, &actual));
  lua_pushinteger(L, actual);
  /* false: the probe never tells the clock it produces (the request is returned) */
  lua_pushboolean(L, !(lp->p->ops->caps & LF_PROBE_CAP_CLOCK_REQUESTED));
  return 2;
}

static lf_connect_mode check_mode(lua_State *L, int idx)
{
  static const char *const modes[] = {"normal", "under-reset", NULL};
  return luaL_checkoption(L, idx, "normal", modes) ? LF_CONNECT_UNDER_RESET : LF_CONNECT_NORMAL;
}

/* probe:connect(mode [, targetsel]): targetsel (SWD multidrop, the RP2040)
 * selects one DP of a multidrop wire; nil or 0 = a single-drop target. */
static int p_connect(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  lf_connect_mode mode = check_mode(L, 2);
  lua_Integer ts = luaL_optinteger(L, 3, 0);
  if (ts < 0 || ts > 0xFFFFFFFF)
    return luaL_error(L, "probe:connect: targetsel 0x%llx out of range", (unsigned long long)ts);
  if (ts && !lp->p->ops->set_targetsel) {
    char hex[16];
    snprintf(hex, sizeof hex, "0x%08x", (unsigned)ts);
    return luaL_error(L, "probe:connect: %s cannot select a DP of a multidrop SWD target "
                      "(TARGETSEL %s, e.g. an RP2040): use a CMSIS-DAP probe; nothing was written",
                      lp->p->info.product, hex);
  }
  if (lp->p->ops->set_targetsel)
    LF_LUA_TRY(L, lp->p->ops->set_targetsel(lp->p, (uint32_t)ts));
  LF_LUA_TRY(L, lp->p->ops->connect(lp->p, mode));
  return 0;
}

static int p_disconnect(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  LF_LUA_TRY(L, lp->p->ops->disconnect(lp->p));
  return 0;
}

static int p_target_voltage(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  double v = 0;
  if (!lp->p->ops->target_voltage)
    return luaL_error(L, "probe:target_voltage: %s cannot measure the target voltage",
                      lp->p->info.product);
  LF_LUA_TRY(L, lp->p->ops->target_voltage(lp->p, &v));
  lua_pushnumber(L, v);
  return 1;
}

/* The probe must have the optional vtable entry fn (name: its method). */
static void need_op(lua_State *L, lf_lprobe *lp, bool has, const char *name)
{
  if (!has)
    luaL_error(L, "probe:%s: %s has no DP/AP register access", name, lp->p->info.product);
}

static int p_read_dp(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  need_op(L, lp, lp->p->ops->dp_read != NULL, "read_dp");
  uint32_t v;
  LF_LUA_TRY(L, lp->p->ops->dp_read(lp->p, lf_lua_check_reg(L, 2), &v));
  lua_pushinteger(L, v);
  return 1;
}

static int p_write_dp(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  need_op(L, lp, lp->p->ops->dp_write != NULL, "write_dp");
  uint8_t r = lf_lua_check_reg(L, 2);
  LF_LUA_TRY(L, lp->p->ops->dp_write(lp->p, r, lf_lua_check_u32(L, 3, "value")));
  return 0;
}

static int p_read_ap(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  need_op(L, lp, lp->p->ops->ap_read != NULL, "read_ap");
  uint8_t ap = lf_lua_check_ap(L, false, 2), r = lf_lua_check_reg(L, 3);
  uint32_t v;
  LF_LUA_TRY(L, lp->p->ops->ap_read(lp->p, ap, r, &v));
  lua_pushinteger(L, v);
  return 1;
}

static int p_write_ap(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  need_op(L, lp, lp->p->ops->ap_write != NULL, "write_ap");
  uint8_t ap = lf_lua_check_ap(L, false, 2), r = lf_lua_check_reg(L, 3);
  LF_LUA_TRY(L, lp->p->ops->ap_write(lp->p, ap, r, lf_lua_check_u32(L, 4, "value")));
  return 0;
}

static int p_nrst(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  luaL_checktype(L, 2, LUA_TBOOLEAN);
  if (!lp->p->ops->set_nrst)
    return luaL_error(L, "probe:nrst: %s has no NRST line", lp->p->info.product);
  LF_LUA_TRY(L, lp->p->ops->set_nrst(lp->p, lua_toboolean(L, 2)));
  return 0;
}

/* DPIDR as the last probe:connect() read it (probes that read it anyway). */
static int p_idcode(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  if (!lp->p->dpidr)
    return luaL_error(L, "probe:idcode: %s did not read DPIDR at connect; use probe:read_dp(0)",
                      lp->p->info.product);
  lua_pushinteger(L, lp->p->dpidr);
  return 1;
}

static int p_read_depth(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  lua_Integer d = luaL_checkinteger(L, 2);
  if (d < 1 || d > 16)
    luaL_argerror(L, 2, "depth out of range 1..16");
  if (lp->p->ops->set_read_depth)
    lp->p->ops->set_read_depth(lp->p, (unsigned)d);
  return 0;
}

static int p_stats(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  const lf_probe_stats *st = &lp->p->st;
  lua_newtable(L);
  set_int(L, "commands", (lua_Integer)st->commands);
  set_int(L, "round_trips", (lua_Integer)st->round_trips);
  set_int(L, "mem_commands", (lua_Integer)st->mem_commands);
  set_int(L, "mem_round_trips", (lua_Integer)st->mem_round_trips);
  set_int(L, "bytes_read", (lua_Integer)st->bytes_read);
  set_int(L, "bytes_written", (lua_Integer)st->bytes_written);
  if (lp->p->usb) {
    const lf_usb_stats *u = lf_usb_dev_stats(lp->p->usb);
    lua_newtable(L);
    set_int(L, "round_trips", (lua_Integer)u->round_trips);
    set_int(L, "transfers", (lua_Integer)u->transfers);
    set_int(L, "bytes_out", (lua_Integer)u->bytes_out);
    set_int(L, "bytes_in", (lua_Integer)u->bytes_in);
    lua_setfield(L, -2, "usb");
  }
  return 1;
}

/* The bench and the board number behind this probe, or nil. */
static int p_bench(lua_State *L)
{
  lf_lprobe *lp = check_probe(L);
  if (!lp->board)
    return 0;
  lua_getiuservalue(L, 1, 1);
  lua_pushinteger(L, lp->board);
  return 2;
}

static int p_tostring(lua_State *L)
{
  lf_lprobe *lp = luaL_checkudata(L, 1, LF_MT_PROBE);
  if (lp->o.closed || !lp->p)
    lua_pushliteral(L, "luaflash.probe (closed)");
  else
    lua_pushfstring(L, "luaflash.probe (%s %s %s at %s)", lp->p->info.product, lp->p->info.firmware,
                    lp->p->info.serial, lp->p->info.location);
  return 1;
}

/* For the target binding: the C probe behind a probe userdata. */
lf_probe *lf_lua_probe_get(lua_State *L, int idx, lf_lobj **obj);
lf_probe *lf_lua_probe_get(lua_State *L, int idx, lf_lobj **obj)
{
  lf_lprobe *lp = lf_lobj_check(L, idx, LF_MT_PROBE);
  *obj = &lp->o;
  return lp->p;
}

int lf_lua_target_new(lua_State *L); /* lf_lua_target.c: probe:target(opts) */

static const luaL_Reg probe_methods[] = {
  {"info", p_info},
  {"set_clock", p_set_clock},
  {"connect", p_connect},
  {"disconnect", p_disconnect},
  {"target_voltage", p_target_voltage},
  {"read_dp", p_read_dp},
  {"write_dp", p_write_dp},
  {"read_ap", p_read_ap},
  {"write_ap", p_write_ap},
  {"nrst", p_nrst},
  {"idcode", p_idcode},
  {"read_depth", p_read_depth},
  {"stats", p_stats},
  {"bench", p_bench},
  {"target", lf_lua_target_new},
  {NULL, NULL},
};

void lf_lua_probe_register(lua_State *L)
{
  lf_lobj_register(L, LF_MT_PROBE, probe_methods, p_tostring);
}
