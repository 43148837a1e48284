/* Targets from Lua: probe:target(opts) puts the ARM layer (arm/adi.h +
 * arm/cortex_m.h) on an open probe. The target is the probe's child: closing
 * the probe closes it. Creating and closing it does no I/O; connect and
 * disconnect are explicit. connect also identifies the chip through the
 * flash families (flash/family.h): the one named by opts.family first. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arm/adi.h"
#include "arm/cortex_m.h"
#include "flash/family.h"
#include "script/lf_lua_int.h"

typedef struct lf_ltarget {
  lf_lobj o;
  lf_adi *adi;
  lf_cm *cm;
  const lf_family *hint;  /* opts.family: tried first, its low-power bits set at connect */
  lf_chip chip;           /* what the last connect identified (chip.family NULL: unknown) */
  bool chip_stale;        /* a reset since: options (bank mode) may have been reloaded */
} lf_ltarget;

lf_probe *lf_lua_probe_get(lua_State *L, int idx, lf_lobj **obj);
int lf_lua_target_new(lua_State *L);

static int target_release(lf_lobj *o)
{
  lf_ltarget *t = (lf_ltarget *)o;
  lf_cm_free(t->cm);
  lf_adi_free(t->adi);
  t->cm = NULL;
  t->adi = NULL;
  return 0;
}

static double opt_seconds(lua_State *L, int t, const char *key, double def)
{
  if (lua_getfield(L, t, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (!lua_isnumber(L, -1))
    luaL_error(L, "target: option '%s' must be a number of seconds, got %s", key,
               luaL_typename(L, -1));
  double v = lua_tonumber(L, -1);
  if (!(v >= 0 && v <= 3600))
    luaL_error(L, "target: option '%s' = %f out of range 0..3600 s", key, v);
  lua_pop(L, 1);
  return v;
}

static uint32_t opt_u32(lua_State *L, int t, const char *key, uint32_t def)
{
  if (lua_getfield(L, t, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 0xFFFFFFFFll)
    luaL_error(L, "target: option '%s' must be an integer 0..0xFFFFFFFF", key);
  uint32_t v = (uint32_t)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return v;
}

static const char *const target_keys[] = {"ap", "powerup_timeout", "disconnect_timeout",
                                          "power_down", "halt_timeout", "reset_timeout",
                                          "family", "lowpower_reg", "lowpower_bits", "targetsel",
                                          NULL};

/* probe:target{ap=0, disconnect_timeout=0.1, ...} */
int lf_lua_target_new(lua_State *L)
{
  lf_lobj *po;
  lf_probe *p = lf_lua_probe_get(L, 1, &po);
  lf_adi_cfg ac;
  lf_cm_cfg cc;
  const lf_family *hint = NULL;
  lf_adi_cfg_default(&ac);
  lf_cm_cfg_default(&cc);
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lf_lua_check_keys(L, 2, "probe:target", target_keys);
    uint32_t ap = opt_u32(L, 2, "ap", ac.ap);
    if (ap > 255)
      luaL_error(L, "target: option 'ap' out of range 0..255");
    ac.ap = (uint8_t)ap;
    ac.powerup_timeout_s = opt_seconds(L, 2, "powerup_timeout", ac.powerup_timeout_s);
    ac.disconnect_timeout_s = opt_seconds(L, 2, "disconnect_timeout", ac.disconnect_timeout_s);
    if (lua_getfield(L, 2, "power_down") != LUA_TNIL) {
      luaL_checktype(L, -1, LUA_TBOOLEAN);
      ac.power_down = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    cc.halt_timeout_s = opt_seconds(L, 2, "halt_timeout", cc.halt_timeout_s);
    cc.reset_timeout_s = opt_seconds(L, 2, "reset_timeout", cc.reset_timeout_s);
    if (lua_getfield(L, 2, "family") != LUA_TNIL) {
      const char *fam = luaL_checkstring(L, -1);
      if (!(hint = lf_family_by_name(fam)))
        luaL_error(L, "probe:target: unknown family '%s'", fam);
      cc.lowpower_reg = hint->debug.lowpower_reg;
      cc.lowpower_bits = hint->debug.lowpower_bits;
    }
    lua_pop(L, 1);
    cc.lowpower_reg = opt_u32(L, 2, "lowpower_reg", cc.lowpower_reg);
    cc.lowpower_bits = opt_u32(L, 2, "lowpower_bits", cc.lowpower_bits);
    /* SWD multidrop: the DP this target's connects select (probe.h set_targetsel) */
    uint32_t ts = opt_u32(L, 2, "targetsel", 0);
    if (ts && !p->ops->set_targetsel) {
      char hex[16];
      snprintf(hex, sizeof hex, "0x%08x", (unsigned)ts);
      luaL_error(L, "probe:target: %s cannot select a DP of a multidrop SWD target (TARGETSEL "
                 "%s, e.g. an RP2040): use a CMSIS-DAP probe", p->info.product, hex);
    }
    if (ts && p->ops->set_targetsel(p, ts) != 0)
      return lf_lua_fail(L);
  }
  lf_ltarget *t = lf_lobj_push(L, sizeof *t, LF_MT_TARGET, 1);
  t->hint = hint;
  lf_lobj_init(&t->o, "target", target_release, po);
  if (lf_adi_new(p->s, p, &ac, &t->adi) != 0 || lf_cm_new(t->adi, &cc, &t->cm) != 0)
    return lf_lua_fail(L); /* released by close/__gc */
  return 1;
}

static lf_ltarget *check_target(lua_State *L) { return lf_lobj_check(L, 1, LF_MT_TARGET); }

lf_cm *lf_lua_target_cm(lua_State *L, int idx)
{
  lf_ltarget *t = lf_lobj_check(L, idx, LF_MT_TARGET);
  return t->cm;
}

/* Runs the families' identification (the hinted one first). A chip no
 * family knows is not an error: t->chip stays empty. */
static void identify(lua_State *L, lf_ltarget *t)
{
  lf_session *s = lf_lua_session(L);
  const lf_family *hint = t->chip.family ? t->chip.family : t->hint;
  memset(&t->chip, 0, sizeof t->chip);
  t->chip_stale = false;
  lf_err_clear(s);
  int r = lf_family_identify(s, lf_adi_default_memap(t->adi), hint, &t->chip);
  if (r == LF_ENOTSUP) {
    lf_log(s, LF_LOG_INFO, "target: %s", lf_err_msg(s));
    memset(&t->chip, 0, sizeof t->chip);
  } else if (r) {
    lf_lua_fail_rc(L, r);
  } else {
    lf_log(s, LF_LOG_INFO, "target: chip %s (%s, ID 0x%08x)", t->chip.name, t->chip.family->name,
           t->chip.idcode);
  }
}

const lf_chip *lf_lua_target_chip(lua_State *L, int idx, bool flash)
{
  lf_ltarget *t = lf_lobj_check(L, idx, LF_MT_TARGET);
  if (t->chip_stale)
    identify(L, t);
  if (!t->chip.family)
    return NULL;
  if (flash)
    LF_LUA_TRY(L, lf_chip_flash_info(lf_lua_session(L), lf_adi_default_memap(t->adi), &t->chip));
  return &t->chip;
}

static void push_info(lua_State *L, const lf_ltarget *t)
{
  const lf_cm_info *i = lf_cm_info_get(t->cm);
  const lf_chip *c = &t->chip;
  lua_createtable(L, 0, 13);
  lua_pushinteger(L, i->dpidr);
  lua_setfield(L, -2, "dpidr");
  lua_pushinteger(L, i->cpuid);
  lua_setfield(L, -2, "cpuid");
  lua_pushstring(L, i->core ? i->core : "unknown");
  lua_setfield(L, -2, "core");
  lua_pushstring(L, i->core_rev);
  lua_setfield(L, -2, "core_rev");
  lua_pushboolean(L, i->has_fpu);
  lua_setfield(L, -2, "fpu");
  lua_pushboolean(L, i->fpu_double);
  lua_setfield(L, -2, "fpu_double");
  lua_pushinteger(L, c->idcode);
  lua_setfield(L, -2, "idcode");
  lua_pushinteger(L, c->line);
  lua_setfield(L, -2, "dev_id");
  lua_pushinteger(L, c->rev);
  lua_setfield(L, -2, "rev_id");
  lua_pushstring(L, c->family ? c->name : "unknown");
  lua_setfield(L, -2, "chip");
  if (c->family) {
    lua_pushstring(L, c->family->name);
    lua_setfield(L, -2, "family");
  }
  if (c->flash_known) {
    lua_pushinteger(L, c->flash_kib);
    lua_setfield(L, -2, "flash_kib");
    lua_pushboolean(L, c->dual_bank);
    lua_setfield(L, -2, "dual_bank");
  }
}

/* ---- nRF52 (issue 15): access-port protection ----
 * A connect failed (rc): when the DP answered and a family with an
 * access_check (the hinted one first) says the chip refuses its memory AP
 * for protection, that becomes the error: what it is, that nothing was
 * written, how to recover. Otherwise the connect's own error. Never
 * returns. */
static void protected_connect(lua_State *L, lf_ltarget *t, int rc)
{
  lf_session *s = lf_lua_session(L);
  char first[512];
  snprintf(first, sizeof first, "%s", lf_err_msg(s));
  if (lf_adi_connected(t->adi)) {
    const lf_family *f;
    for (size_t i = 0; i == 0 || lf_family_at(i - 1); i++) {
      f = i == 0 ? t->hint : lf_family_at(i - 1);
      if (!f || !f->access_check || (i > 0 && f == t->hint))
        continue;
      lf_protection p;
      lf_err_clear(s);
      int k = f->access_check(s, t->adi, &p);
      if (k == 1)
        lf_lua_fail_rc(L, lf_err_set(s, LF_ETARGET, "target is read-protected: %s; nothing was "
                                     "written. %s", p.what, p.message));
    }
  }
  lf_err_set(s, rc, "%s", first);
  lf_lua_fail_rc(L, rc);
}

/* t:recover() -> true: erase the whole chip through its vendor AP, which
 * lifts access-port protection (nRF52 CTRL-AP ERASEALL; family.h recover).
 * Everything on the chip is lost: the caller has the user's consent. Works
 * on a chip whose memory AP is closed (no core connect needed). */
static int t_recover(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  lf_session *s = lf_lua_session(L);
  if (!lf_adi_connected(t->adi))
    LF_LUA_TRY(L, lf_adi_connect(t->adi, LF_CONNECT_NORMAL));
  int r = LF_ENOTSUP;
  for (size_t i = 0; (i == 0 || lf_family_at(i - 1)) && r == LF_ENOTSUP; i++) {
    const lf_family *f = i == 0 ? t->hint : lf_family_at(i - 1);
    if (!f || !f->recover || (i > 0 && f == t->hint))
      continue;
    lf_err_clear(s);
    r = f->recover(s, t->adi);
  }
  if (r == LF_ENOTSUP && !lf_err_msg(s)[0])
    lf_err_set(s, r, "recover: no family of this chip can erase it through a vendor AP");
  LF_LUA_TRY(L, r);
  memset(&t->chip, 0, sizeof t->chip);
  lua_pushboolean(L, 1);
  return 1;
}

/* t:connect("attach" | "halt" | "under-reset") -> info. A chip no family
 * knows is not an error (info.chip = "unknown"); its flash cannot be planned. */
static int t_connect(lua_State *L)
{
  static const char *const modes[] = {"attach", "halt", "under-reset", NULL};
  static const lf_cm_connect_mode map[] = {LF_CM_ATTACH, LF_CM_ATTACH_HALT, LF_CM_UNDER_RESET};
  lf_ltarget *t = check_target(L);
  int m = luaL_checkoption(L, 2, "attach", modes);
  memset(&t->chip, 0, sizeof t->chip);
  int r = lf_cm_connect(t->cm, map[m]);
  if (r)
    protected_connect(L, t, r);
  identify(L, t);
  /* no family named at creation: the identified one's low-power bits now */
  if (!t->hint && t->chip.family)
    LF_LUA_TRY(L, lf_cm_set_lowpower(t->cm, t->chip.family->debug.lowpower_reg,
                                     t->chip.family->debug.lowpower_bits));
  push_info(L, t);
  return 1;
}

static int t_info(lua_State *L)
{
  push_info(L, check_target(L));
  return 1;
}

/* t:identify() -> info: the chip's IDs, flash size and bank mode read again */
static int t_identify(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  identify(L, t);
  push_info(L, t);
  return 1;
}

/* t:disconnect{resume = false, timeout = seconds} -> seconds it took */
static int t_disconnect(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  bool resume = false;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const keys[] = {"resume", "timeout", NULL};
    lf_lua_check_keys(L, 2, "target:disconnect", keys);
    if (lua_getfield(L, 2, "resume") != LUA_TNIL) {
      luaL_checktype(L, -1, LUA_TBOOLEAN);
      resume = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "timeout") != LUA_TNIL) {
      double s = luaL_checknumber(L, -1);
      if (lf_adi_set_disconnect_timeout(t->adi, s) != 0)
        return lf_lua_fail(L);
    }
    lua_pop(L, 1);
  }
  LF_LUA_TRY(L, lf_cm_disconnect(t->cm, resume));
  lua_pushnumber(L, (double)lf_adi_stats_get(t->adi)->last_disconnect_ns / 1e9);
  return 1;
}

static int t_halt(lua_State *L)
{
  LF_LUA_TRY(L, lf_cm_halt(check_target(L)->cm));
  return 0;
}

static int t_resume(lua_State *L)
{
  LF_LUA_TRY(L, lf_cm_resume(check_target(L)->cm));
  return 0;
}

static int t_step(lua_State *L)
{
  LF_LUA_TRY(L, lf_cm_step(check_target(L)->cm));
  return 0;
}

static int t_is_halted(lua_State *L)
{
  bool h = false;
  LF_LUA_TRY(L, lf_cm_is_halted(check_target(L)->cm, &h));
  lua_pushboolean(L, h);
  return 1;
}

static unsigned check_regname(lua_State *L, int idx)
{
  const char *name = luaL_checkstring(L, idx);
  int r = lf_cm_reg_lookup(name);
  if (r < 0)
    luaL_argerror(L, idx, lua_pushfstring(L, "unknown core register '%s' (r0-r12, sp, lr, pc, "
                                             "xpsr, msp, psp, special, fpscr, s0-s31)", name));
  return (unsigned)r;
}

static int t_read_reg(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint32_t v;
  LF_LUA_TRY(L, lf_cm_read_reg(t->cm, check_regname(L, 2), &v));
  lua_pushinteger(L, v);
  return 1;
}

static int t_write_reg(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  unsigned r = check_regname(L, 2);
  LF_LUA_TRY(L, lf_cm_write_reg(t->cm, r, lf_lua_check_u32(L, 3, "value")));
  return 0;
}

/* t:regs() -> {r0=..., ..., pc=, xpsr=, msp=, psp=} (one batch) */
static int t_regs(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  unsigned regs[20];
  uint32_t vals[20];
  size_t n = 0;
  for (unsigned r = LF_CM_R0; r <= LF_CM_PSP; r++)
    regs[n++] = r;
  LF_LUA_TRY(L, lf_cm_read_regs(t->cm, regs, vals, n));
  lua_createtable(L, 0, (int)n);
  for (size_t i = 0; i < n; i++) {
    lua_pushinteger(L, vals[i]);
    lua_setfield(L, -2, lf_cm_reg_name(regs[i]));
  }
  return 1;
}

/* t:reset("system" | "vector" | "hardware", halt) */
static int t_reset(lua_State *L)
{
  static const char *const kinds[] = {"system", "vector", "hardware", NULL};
  static const lf_cm_reset_kind map[] = {LF_CM_RESET_SYSRESETREQ, LF_CM_RESET_VECTRESET,
                                         LF_CM_RESET_HARDWARE};
  lf_ltarget *t = check_target(L);
  int k = luaL_checkoption(L, 2, "system", kinds);
  bool halt = lua_toboolean(L, 3);
  LF_LUA_TRY(L, lf_cm_reset(t->cm, map[k], halt));
  t->chip_stale = t->chip.family != NULL; /* read again when next asked */
  return 0;
}

static void check_args4(lua_State *L, int idx, uint32_t args[4])
{
  memset(args, 0, 4 * sizeof *args);
  if (lua_isnoneornil(L, idx))
    return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  if (n > 4)
    luaL_argerror(L, idx, "at most 4 arguments (r0-r3)");
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 0xFFFFFFFFll)
      luaL_argerror(L, idx, lua_pushfstring(L, "argument %d must be an integer 0..0xFFFFFFFF",
                                            (int)i));
    args[i - 1] = (uint32_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
}

static double check_timeout(lua_State *L, int idx, double def)
{
  double s = luaL_optnumber(L, idx, def);
  if (!(s >= 0 && s <= 3600))
    luaL_argerror(L, idx, "timeout out of range 0..3600 s");
  return s;
}

/* t:run_function(entry, {r0..r3}, sp, timeout_s) -> r0 */
static int t_run_function(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint32_t entry = lf_lua_check_u32(L, 2, "entry");
  uint32_t args[4];
  check_args4(L, 3, args);
  uint32_t sp = lf_lua_check_u32(L, 4, "sp");
  double timeout = check_timeout(L, 5, 1.0);
  uint32_t r0 = 0;
  LF_LUA_TRY(L, lf_cm_run_function(t->cm, entry, args, sp, timeout, &r0));
  lua_pushinteger(L, r0);
  return 1;
}

static int t_start_function(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint32_t entry = lf_lua_check_u32(L, 2, "entry");
  uint32_t args[4];
  check_args4(L, 3, args);
  uint32_t sp = lf_lua_check_u32(L, 4, "sp");
  LF_LUA_TRY(L, lf_cm_start_function(t->cm, entry, args, sp));
  /* the core runs when this returns (the start may be posted, adi.h) */
  LF_LUA_TRY(L, lf_adi_flush(lf_cm_adi(t->cm)));
  return 0;
}

static int t_wait_function(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  double timeout = check_timeout(L, 2, 1.0);
  uint32_t r0 = 0;
  LF_LUA_TRY(L, lf_cm_wait_function(t->cm, timeout, &r0));
  lua_pushinteger(L, r0);
  return 1;
}

static int t_set_return_bkpt(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  LF_LUA_TRY(L, lf_cm_set_return_bkpt(t->cm, lf_lua_check_u32(L, 2, "address")));
  return 0;
}

/* t:probe_regs(on): core registers through the probe's own command (default
 * true; false: DCRDR/DCRSR, as another tool does: cortex_m.h) */
static int t_probe_regs(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  luaL_checktype(L, 2, LUA_TBOOLEAN);
  lf_cm_set_probe_regs(t->cm, lua_toboolean(L, 2));
  return 0;
}

/* ---- memory and DAP through the ADI layer ---- */

static int t_read_dp(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint32_t v;
  LF_LUA_TRY(L, lf_adi_dp_read(t->adi, lf_lua_check_reg(L, 2), &v));
  lua_pushinteger(L, v);
  return 1;
}

static int t_write_dp(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint8_t r = lf_lua_check_reg(L, 2);
  LF_LUA_TRY(L, lf_adi_dp_write(t->adi, r, lf_lua_check_u32(L, 3, "value")));
  return 0;
}

static int t_read_ap(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint8_t ap = lf_lua_check_ap(L, true, 2), r = lf_lua_check_reg(L, 3);
  uint32_t v;
  LF_LUA_TRY(L, lf_adi_ap_read(t->adi, ap, r, &v));
  lua_pushinteger(L, v);
  return 1;
}

static int t_write_ap(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint8_t ap = lf_lua_check_ap(L, true, 2), r = lf_lua_check_reg(L, 3);
  LF_LUA_TRY(L, lf_adi_ap_write(t->adi, ap, r, lf_lua_check_u32(L, 4, "value")));
  return 0;
}

/* The memory interface for an optional AP argument at idx (default: the
 * target's MEM-AP, option 'ap'). */
static lf_memap *memap_arg(lua_State *L, lf_ltarget *t, int idx)
{
  if (lua_isnoneornil(L, idx))
    return lf_adi_default_memap(t->adi);
  lf_memap *m = lf_adi_memap(t->adi, lf_lua_check_ap(L, true, idx));
  if (!m)
    luaL_error(L, "out of memory");
  return m;
}

/* t:readN(addr [, ap]): one access exactly N bytes wide. */
static int read_n(lua_State *L, unsigned width)
{
  lf_ltarget *t = check_target(L);
  uint32_t addr = lf_lua_check_u32(L, 2, "address");
  lf_memap *m = memap_arg(L, t, 3);
  lf_lua_check_aligned(L, addr, width);
  uint32_t v = 0;
  if (width == 4) {
    LF_LUA_TRY(L, lf_memap_read32(m, addr, &v));
  } else {
    uint8_t b[2] = {0};
    LF_LUA_TRY(L, lf_memap_read(m, addr, b, width, width));
    v = b[0] | (width == 2 ? (uint32_t)b[1] << 8 : 0);
  }
  lua_pushinteger(L, v);
  return 1;
}

/* t:writeN(addr, value [, ap]) */
static int write_n(lua_State *L, unsigned width)
{
  lf_ltarget *t = check_target(L);
  uint32_t addr = lf_lua_check_u32(L, 2, "address");
  uint32_t v = lf_lua_check_u32(L, 3, "value");
  lf_memap *m = memap_arg(L, t, 4);
  lf_lua_check_aligned(L, addr, width);
  if (width < 4 && v >> (8 * width))
    luaL_argerror(L, 3, lf_lua_pushf(L, "value 0x%x does not fit in %u bits", (unsigned)v,
                                        8 * width));
  if (width == 4) {
    LF_LUA_TRY(L, lf_memap_write32(m, addr, v));
  } else {
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    LF_LUA_TRY(L, lf_memap_write(m, addr, b, width, width));
  }
  return 0;
}

static int t_read8(lua_State *L) { return read_n(L, 1); }
static int t_read16(lua_State *L) { return read_n(L, 2); }
static int t_read32(lua_State *L) { return read_n(L, 4); }
static int t_write8(lua_State *L) { return write_n(L, 1); }
static int t_write16(lua_State *L) { return write_n(L, 2); }
static int t_write32(lua_State *L) { return write_n(L, 4); }

#define MEM_MAX (64u << 20)

/* t:read(addr, len [, ap]) -> bytes */
static int t_read(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint32_t addr = lf_lua_check_u32(L, 2, "address");
  lua_Integer len = luaL_checkinteger(L, 3);
  lf_memap *m = memap_arg(L, t, 4);
  if (len < 0 || (lua_Unsigned)len > MEM_MAX)
    luaL_argerror(L, 3, "length out of range 0..64 MiB");
  if ((uint64_t)addr + (uint64_t)len > 0x100000000ull)
    luaL_argerror(L, 3, "range passes the end of the 32-bit address space");
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, (size_t)len);
  if (len)
    LF_LUA_TRY(L, lf_memap_read(m, addr, p, (size_t)len, 0));
  luaL_pushresultsize(&b, (size_t)len);
  return 1;
}

/* t:write(addr, bytes [, ap]) */
static int t_write(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  uint32_t addr = lf_lua_check_u32(L, 2, "address");
  size_t len;
  const char *data = luaL_checklstring(L, 3, &len);
  lf_memap *m = memap_arg(L, t, 4);
  if (len > MEM_MAX || (uint64_t)addr + len > 0x100000000ull)
    luaL_argerror(L, 3, "data passes the end of the 32-bit address space or exceeds 64 MiB");
  if (len)
    LF_LUA_TRY(L, lf_memap_write(m, addr, data, len, 0));
  return 0;
}

static int t_stats(lua_State *L)
{
  lf_ltarget *t = check_target(L);
  const lf_adi_stats *a = lf_adi_stats_get(t->adi);
  const lf_cm_stats *c = lf_cm_stats_get(t->cm);
  lua_newtable(L);
#define F(tab, name)                                                                             \
  lua_pushinteger(L, (lua_Integer)tab->name);                                                    \
  lua_setfield(L, -2, #name)
  F(a, sticky_clears);
  F(a, powerup_polls);
  F(a, powerdown_polls);
  F(a, powerdown_timeouts);
  F(a, last_disconnect_ns);
  F(c, regrdy_polls);
  F(c, halt_polls);
  F(c, run_polls);
#undef F
  return 1;
}

static int t_now_ns(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)lf_adi_now_ns(check_target(L)->adi));
  return 1;
}

static int t_tostring(lua_State *L)
{
  lf_ltarget *t = luaL_checkudata(L, 1, LF_MT_TARGET);
  if (t->o.closed || !t->cm)
    lua_pushliteral(L, "luaflash.target (closed)");
  else {
    const lf_cm_info *i = lf_cm_info_get(t->cm);
    lua_pushfstring(L, "luaflash.target (%s %s)", t->chip.family ? t->chip.name : "unknown",
                    i->core ? i->core : "unknown");
  }
  return 1;
}

static const luaL_Reg target_methods[] = {
  {"connect", t_connect},
  {"recover", t_recover},
  {"info", t_info},
  {"identify", t_identify},
  {"disconnect", t_disconnect},
  {"halt", t_halt},
  {"resume", t_resume},
  {"step", t_step},
  {"is_halted", t_is_halted},
  {"read_reg", t_read_reg},
  {"write_reg", t_write_reg},
  {"regs", t_regs},
  {"reset", t_reset},
  {"run_function", t_run_function},
  {"start_function", t_start_function},
  {"wait_function", t_wait_function},
  {"set_return_bkpt", t_set_return_bkpt},
  {"probe_regs", t_probe_regs},
  {"read_dp", t_read_dp},
  {"write_dp", t_write_dp},
  {"read_ap", t_read_ap},
  {"write_ap", t_write_ap},
  {"read8", t_read8},
  {"read16", t_read16},
  {"read32", t_read32},
  {"write8", t_write8},
  {"write16", t_write16},
  {"write32", t_write32},
  {"read", t_read},
  {"write", t_write},
  {"stats", t_stats},
  {"now_ns", t_now_ns},
  {NULL, NULL},
};

void lf_lua_target_register(lua_State *L)
{
  lf_lobj_register(L, LF_MT_TARGET, target_methods, t_tostring);
}
