/* luaflash.bench(spec): in-process virtual boards behind the bench USB
 * backend, so any script runs in CI without hardware. The bench object owns
 * its boards and transport; probes opened on it are its children.
 *
 *   spec = "nucleo-f767zi" | "nucleo-f767zi,nucleo-f767zi@daplink"
 *        | { "nucleo-f767zi", {board = "nucleo-f767zi", probe = "v3"},
 *            probe = "v2", faults = "usb_timeout@5", state = "board.state",
 *            serial = "...", params = {usb_transfer_latency_ns = 0} }
 *
 * probe: any probe preset (bench.h lf_bench_probe_list: v2, v2-1, v3,
 * daplink, rpi-debugprobe); "BOARD@PROBE" in a board name wires that probe
 * to that board whatever `probe` says. bench:counters(n).probe.name is the
 * preset wired to board n.
 *
 * Keys at the top apply to every board; a board's own table overrides them
 * (params: the top ones first, then the board's). A board without a serial
 * whose default serial an earlier board already has (the same board with
 * the same probe) gets its last two hex digits replaced by its position, so
 * selection by serial stays unique. */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/cortexm.h"
#include "bench/dap.h"
#include "bench/soc.h"
#include "bench/vprobe.h"
#include "script/lf_lua_int.h"
#include "bench/usb_bench.h"

#define MAX_BOARDS 64

static int bench_release(lf_lobj *o)
{
  lf_lbackend *be = (lf_lbackend *)o;
  int rc = 0;
  lf_usb_free(be->usb);
  be->usb = NULL;
  for (size_t i = 0; i < be->n; i++) {
    if (be->state_files && be->state_files[i]) {
      char err[512];
      if (lf_bench_save_state(be->boards[i], be->state_files[i], err, sizeof err) != 0 && !rc)
        rc = lf_err_set(be->s, LF_EIO, "bench board %zu: %s", i + 1, err);
      free(be->state_files[i]);
    }
    lf_bench_board_free(be->boards[i]);
  }
  free(be->state_files);
  free(be->boards);
  be->state_files = NULL;
  be->boards = NULL;
  be->n = 0;
  return rc;
}

static const char *const top_keys[] = {"probe", "faults", "state", "serial", "params", NULL};
static const char *const board_keys[] = {"board", "probe", "faults", "state", "serial", "params",
                                         NULL};

static const char *opt_string(lua_State *L, int t, const char *key, const char *def)
{
  int ty = lua_getfield(L, t, key);
  const char *v = def;
  if (ty == LUA_TSTRING)
    v = lua_tostring(L, -1); /* stays valid: the spec table holds it */
  else if (ty != LUA_TNIL)
    luaL_error(L, "luaflash.bench: option '%s' must be a string, got %s", key, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

/* params = {"k=v", ...} or {k = v, ...} applied in that order. */
static void apply_params(lua_State *L, int t, lf_bench_params *p)
{
  if (lua_getfield(L, t, "params") == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "luaflash.bench: option 'params' must be a table, got %s", luaL_typename(L, -1));
  int pt = lua_gettop(L);
  char err[256];
  lua_pushnil(L);
  while (lua_next(L, pt)) {
    const char *as;
    if (lua_type(L, -2) == LUA_TNUMBER) {
      as = luaL_tolstring(L, -1, NULL);
    } else {
      lua_pushvalue(L, -2);
      const char *k = lua_tostring(L, -1);
      luaL_tolstring(L, -2, NULL);
      as = lua_pushfstring(L, "%s=%s", k, lua_tostring(L, -1));
    }
    if (lf_bench_params_set(p, as, err, sizeof err) != 0)
      luaL_error(L, "luaflash.bench: params: %s", err);
    lua_settop(L, pt + 1); /* keep the key */
  }
  lua_pop(L, 1);
}

/* One board from the spec's entry at index `e` (string or table), with the
 * top table `top` (0 = none) as defaults. */
static lf_bench_board *make_board(lua_State *L, lf_lbackend *be, int top, int e, size_t k,
                                  bool explicit_serial[])
{
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  const char *state = NULL;
  if (top) {
    cfg.probe = opt_string(L, top, "probe", NULL);
    cfg.faults = opt_string(L, top, "faults", NULL);
    cfg.serial = opt_string(L, top, "serial", NULL);
    state = opt_string(L, top, "state", NULL);
    apply_params(L, top, &cfg.params);
  }
  if (lua_type(L, e) == LUA_TSTRING) {
    cfg.board = lua_tostring(L, e);
  } else if (lua_istable(L, e)) {
    lf_lua_check_keys(L, e, "luaflash.bench board", board_keys);
    cfg.board = opt_string(L, e, "board", "nucleo-f767zi");
    cfg.probe = opt_string(L, e, "probe", cfg.probe);
    cfg.faults = opt_string(L, e, "faults", cfg.faults);
    cfg.serial = opt_string(L, e, "serial", cfg.serial);
    state = opt_string(L, e, "state", state);
    apply_params(L, e, &cfg.params);
  } else {
    luaL_error(L, "luaflash.bench: board %d: expected a board name or a table, got %s", (int)k + 1,
               luaL_typename(L, e));
  }
  explicit_serial[k] = cfg.serial != NULL;
  if (state) {
    be->state_files[k] = strdup(state);
    if (!be->state_files[k])
      luaL_error(L, "luaflash.bench: out of memory");
  }
  cfg.state_file = state;
  char err[512];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!b)
    luaL_error(L, "luaflash.bench: board %d: %s", (int)k + 1, err);
  /* a default serial an earlier board already has: its last two hex
   * digits become the board's position (as the libusb stand-in does) */
  const char *mine = lf_bench_usb_info_get(b)->serial;
  size_t len = strlen(mine);
  bool clash = false;
  for (size_t i = 0; i < k && !explicit_serial[k]; i++)
    clash |= strcmp(lf_bench_usb_info_get(be->boards[i])->serial, mine) == 0;
  char serial[64];
  if (clash && len >= 2 && len < sizeof serial) {
    memcpy(serial, mine, len + 1);
    snprintf(serial + len - 2, 3, "%02X", (unsigned)(k + 1) & 0xFF);
    lf_bench_board_free(b);
    cfg.serial = serial;
    b = lf_bench_board_new(&cfg, err, sizeof err);
    if (!b)
      luaL_error(L, "luaflash.bench: board %d: %s", (int)k + 1, err);
  }
  return b;
}

int lf_lua_bench_new(lua_State *L)
{
  lf_session *s = lf_lua_session(L);
  if (lua_type(L, 1) == LUA_TSTRING) { /* "a,b" -> {"a", "b"} */
    const char *p = lua_tostring(L, 1);
    lua_newtable(L);
    int n = 0;
    for (;;) {
      const char *c = strchr(p, ',');
      lua_pushlstring(L, p, c ? (size_t)(c - p) : strlen(p));
      lua_rawseti(L, -2, ++n);
      if (!c)
        break;
      p = c + 1;
    }
    lua_replace(L, 1);
  } else if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
    lua_pushliteral(L, "nucleo-f767zi");
    lua_rawseti(L, -2, 1);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lf_lua_check_keys(L, 1, "luaflash.bench", top_keys);
  size_t n = (size_t)lua_rawlen(L, 1);
  if (n == 0)
    luaL_error(L, "luaflash.bench: no board given (expected a name such as 'nucleo-f767zi')");
  if (n > MAX_BOARDS)
    luaL_error(L, "luaflash.bench: %d boards given, at most %d", (int)n, MAX_BOARDS);
  if (n > 1 && lua_getfield(L, 1, "state") != LUA_TNIL)
    luaL_error(L, "luaflash.bench: 'state' names one board's file; give each board its own state");
  if (n > 1 && lua_getfield(L, 1, "serial") != LUA_TNIL)
    luaL_error(L, "luaflash.bench: 'serial' at the top would repeat on %d boards; give it per board",
               (int)n);
  lua_settop(L, 1);

  lf_lbackend *be = lf_lobj_push(L, sizeof *be, LF_MT_BENCH, 0);
  int bi = lua_gettop(L);
  be->s = s;
  be->bench = true;
  lf_lobj_init(&be->o, "bench", bench_release, NULL);
  be->boards = calloc(n, sizeof *be->boards);
  be->state_files = calloc(n, sizeof *be->state_files);
  if (!be->boards || !be->state_files)
    luaL_error(L, "luaflash.bench: out of memory");
  bool explicit_serial[MAX_BOARDS];
  for (size_t k = 0; k < n; k++) {
    lua_rawgeti(L, 1, (lua_Integer)k + 1);
    be->boards[k] = make_board(L, be, 1, lua_gettop(L), k, explicit_serial);
    be->n = k + 1;
    lua_settop(L, bi);
  }
  if (lf_usb_new_bench(s, be->boards, be->n, &be->usb) != 0)
    lf_lua_fail(L);
  return 1;
}

/* ---- methods ---- */

static lf_lbackend *check_bench(lua_State *L) { return lf_lobj_check(L, 1, LF_MT_BENCH); }

/* Optional board number (1-based) at idx; default 1. */
static lf_bench_board *board_arg(lua_State *L, lf_lbackend *be, int idx)
{
  lua_Integer k = luaL_optinteger(L, idx, 1);
  if (k < 1 || (size_t)k > be->n)
    luaL_argerror(L, idx, lua_pushfstring(L, "board %d does not exist (bench has %d)", (int)k,
                                          (int)be->n));
  return be->boards[k - 1];
}

static int b_count(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)check_bench(L)->n);
  return 1;
}

static int b_report(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lf_bench_board *b = board_arg(L, be, 2);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return luaL_error(L, "bench:report: out of memory");
  lf_bench_report(b, f);
  fclose(f);
  lua_pushlstring(L, buf, len);
  free(buf);
  return 1;
}

static void set_int(lua_State *L, const char *k, uint64_t v)
{
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}


/* Counter structs as tables of (Lua name, offset): every field is a uint64_t. */
typedef struct counter_field {
  const char *name;
  size_t off;
} counter_field;
#define CF(type, f) {#f, offsetof(type, f)}
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const counter_field probe_fields[] = {
  CF(lf_vprobe_counters, usb_out_transfers), CF(lf_vprobe_counters, usb_in_transfers),
  CF(lf_vprobe_counters, usb_out_bytes),     CF(lf_vprobe_counters, usb_in_bytes),
  CF(lf_vprobe_counters, usb_timeouts),      CF(lf_vprobe_counters, usb_stalls),
  CF(lf_vprobe_counters, usb_round_trips),   CF(lf_vprobe_counters, commands),
  CF(lf_vprobe_counters, mem_read_bytes),    CF(lf_vprobe_counters, mem_write_bytes),
  CF(lf_vprobe_counters, status_errors),
};
static const counter_field dap_fields[] = {
  CF(lf_dap_counters, transactions), CF(lf_dap_counters, dp_reads),  CF(lf_dap_counters, dp_writes),
  CF(lf_dap_counters, ap_reads),     CF(lf_dap_counters, ap_writes), CF(lf_dap_counters, waits),
  CF(lf_dap_counters, faults),       CF(lf_dap_counters, noacks),    CF(lf_dap_counters, bus_reads),
  CF(lf_dap_counters, bus_writes),   CF(lf_dap_counters, sequences),
};
static const counter_field soc_fields[] = {
  CF(lf_soc_counters, flash_prog_ops),      CF(lf_soc_counters, flash_prog_bytes),
  CF(lf_soc_counters, flash_sector_erases), CF(lf_soc_counters, flash_mass_erases),
  CF(lf_soc_counters, flash_opt_writes),    CF(lf_soc_counters, flash_busy_ns),
  CF(lf_soc_counters, flash_errors),        CF(lf_soc_counters, bus_errors),
  CF(lf_soc_counters, stall_ns),
};
static const counter_field core_fields[] = {
  CF(lf_core_counters, instructions), CF(lf_core_counters, cycles), CF(lf_core_counters, run_ns),
  CF(lf_core_counters, halts),        CF(lf_core_counters, resets), CF(lf_core_counters, faults),
  CF(lf_core_counters, steps),        CF(lf_core_counters, code_flushes),
};

static void push_fields(lua_State *L, const void *base, const counter_field *f, size_t n)
{
  lua_createtable(L, 0, (int)n);
  for (size_t i = 0; i < n; i++) {
    uint64_t v;
    memcpy(&v, (const char *)base + f[i].off, sizeof v);
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, f[i].name);
  }
}

static int b_counters(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lf_bench_board *b = board_arg(L, be, 2);
  const lf_clock *clk = lf_bench_clock(b);
  lua_newtable(L);
  set_int(L, "time_ns", clk->now_ns);
  lua_newtable(L);
  for (int c = 0; c < LF_CLK_NCAT; c++)
    set_int(L, lf_clock_cat_name((lf_clk_cat)c), clk->cat_ns[c]);
  lua_setfield(L, -2, "time");
  push_fields(L, lf_bench_probe_counters(b), probe_fields, NFIELDS(probe_fields));
  lua_pushstring(L, lf_bench_probe_name(b));
  lua_setfield(L, -2, "name"); /* probe.name: the preset wired to the board */
  lua_setfield(L, -2, "probe");
  push_fields(L, lf_dap_counters_get(lf_bench_dap(b)), dap_fields, NFIELDS(dap_fields));
  lua_setfield(L, -2, "dap");
  push_fields(L, lf_soc_counters_get(lf_bench_soc(b)), soc_fields, NFIELDS(soc_fields));
  lua_setfield(L, -2, "soc");
  push_fields(L, lf_core_counters_get(lf_bench_core(b)), core_fields, NFIELDS(core_fields));
  lua_setfield(L, -2, "core");
  return 1;
}

static int b_time_ns(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lua_pushinteger(L, (lua_Integer)lf_bench_clock(board_arg(L, be, 2))->now_ns);
  return 1;
}

/* bench:phase(name [, n]): the host entered phase `name` on board n (the
 * faults relative to that phase are armed); returns how many were armed. */
static int b_phase(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  const char *name = luaL_checkstring(L, 2);
  lf_bench_board *b = board_arg(L, be, 3);
  lua_pushinteger(L, (lua_Integer)lf_bench_phase(b, name));
  return 1;
}

#define PEEK_MAX (64u << 20)

static int b_peek(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  uint32_t addr = lf_lua_check_u32(L, 2, "address");
  lua_Integer len = luaL_checkinteger(L, 3);
  lf_bench_board *b = board_arg(L, be, 4);
  if (len < 0 || (lua_Unsigned)len > PEEK_MAX)
    luaL_argerror(L, 3, "length out of range 0..64 MiB");
  if ((uint64_t)addr + (uint64_t)len > 0x100000000ull)
    luaL_argerror(L, 3, "range passes the end of the 32-bit address space");
  luaL_Buffer buf;
  char *p = luaL_buffinitsize(L, &buf, (size_t)len);
  if (len && lf_bench_peek(b, addr, p, (size_t)len) != 0)
    return luaL_error(L, "%s", lf_lua_pushf(L, "bench:peek: 0x%08x..+%lld is not (entirely) mapped "
                                                 "memory", (unsigned)addr, (long long)len));
  luaL_pushresultsize(&buf, (size_t)len);
  return 1;
}

static int b_run(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lua_Integer ns = luaL_checkinteger(L, 2);
  lf_bench_board *b = board_arg(L, be, 3);
  if (ns < 0 || ns > 3600ll * 1000000000ll)
    luaL_argerror(L, 2, "nanoseconds out of range 0..3600e9");
  lf_bench_run(b, (uint64_t)ns);
  return 0;
}

static int b_leds(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  unsigned counts[4] = {0};
  size_t total = lf_bench_led_toggles(board_arg(L, be, 2), counts);
  lua_createtable(L, 3, 1);
  for (int i = 1; i <= 3; i++) {
    lua_pushinteger(L, counts[i]);
    lua_rawseti(L, -2, i);
  }
  set_int(L, "total", total);
  return 1;
}

static int b_clear_leds(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lf_bench_led_events_clear(board_arg(L, be, 2));
  return 0;
}

static int b_press_reset(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lf_bench_press_reset(board_arg(L, be, 2));
  return 0;
}

static int b_save_state(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  const char *path = luaL_checkstring(L, 2);
  char err[512];
  if (lf_bench_save_state(board_arg(L, be, 3), path, err, sizeof err) != 0)
    return luaL_error(L, "bench:save_state: %s", err);
  return 0;
}

static int b_serial(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lua_pushstring(L, lf_bench_usb_info_get(board_arg(L, be, 2))->serial);
  return 1;
}

static int b_params(lua_State *L)
{
  lf_lbackend *be = check_bench(L);
  lf_bench_board *b = board_arg(L, be, 2);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return luaL_error(L, "bench:params: out of memory");
  lf_bench_params_print(lf_bench_params_get(b), f);
  fclose(f);
  lua_pushlstring(L, buf, len);
  free(buf);
  return 1;
}

static int b_probes(lua_State *L) { return lf_lua_backend_probes(L, check_bench(L)); }
static int b_open(lua_State *L) { return lf_lua_backend_open(L, check_bench(L), 1, 2); }

static int b_tostring(lua_State *L)
{
  lf_lbackend *be = luaL_checkudata(L, 1, LF_MT_BENCH);
  if (be->o.closed)
    lua_pushliteral(L, "luaflash.bench (closed)");
  else
    lua_pushfstring(L, "luaflash.bench (%d board%s)", (int)be->n, be->n == 1 ? "" : "s");
  return 1;
}

static const luaL_Reg bench_methods[] = {
  {"count", b_count},
  {"report", b_report},
  {"counters", b_counters},
  {"time_ns", b_time_ns},
  {"phase", b_phase},
  {"peek", b_peek},
  {"run", b_run},
  {"leds", b_leds},
  {"clear_leds", b_clear_leds},
  {"press_reset", b_press_reset},
  {"save_state", b_save_state},
  {"serial", b_serial},
  {"params", b_params},
  {"probes", b_probes},
  {"open", b_open},
  {NULL, NULL},
};

void lf_lua_bench_register(lua_State *L)
{
  lf_lobj_register(L, LF_MT_BENCH, bench_methods, b_tostring);
}
