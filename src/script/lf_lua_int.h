/* Internals shared by the binding files of src/script/ (the one folder that
 * includes Lua headers).
 *
 * Every luaflash object is a full userdata whose block starts with lf_lobj.
 * Objects form a tree (bench/host -> probe -> target): closing a node closes
 * its open children first, then releases its own C resources, exactly once.
 * __gc, __close and the explicit close() all end in lf_lobj_close, so the
 * order in which Lua finalizes unreachable objects does not matter: a child
 * closed by its parent is a no-op later, and a child only touches its parent
 * while it is open. A child's user value holds its parent, so a reachable
 * child keeps its parent alive. */
#ifndef LF_SCRIPT_LUA_INT_H
#define LF_SCRIPT_LUA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "core/session.h"
#include "usb/usb.h"

struct lf_bench_board;

typedef struct lf_lobj lf_lobj;
struct lf_lobj {
  const char *what;            /* "probe", "bench", "target" (for messages) */
  bool closed;
  lf_lobj *parent;             /* valid while this object is open */
  lf_lobj *child, *next, *prev;
  /* Frees the C resources; called once, children already closed. May record
   * an error in the session and return it (explicit close raises it). */
  int (*release)(lf_lobj *o);
};

/* Metatable names. */
#define LF_MT_BENCH "luaflash.bench"
#define LF_MT_HOST "luaflash.host"
#define LF_MT_PROBE "luaflash.probe"
#define LF_MT_TARGET "luaflash.target"
#define LF_MT_LOADER "luaflash.loader"

void lf_lobj_init(lf_lobj *o, const char *what, int (*release)(lf_lobj *), lf_lobj *parent);
int lf_lobj_close(lf_lobj *o);
/* The object at idx of metatable tname, raising "calling 'm' on bad self
 * (probe is closed)" when it is closed. */
void *lf_lobj_check(lua_State *L, int idx, const char *tname);
/* Pushes a new userdata of `size` bytes with metatable tname (zeroed). When
 * parent_idx != 0 the value at that index becomes its user value. */
void *lf_lobj_push(lua_State *L, size_t size, const char *tname, int parent_idx);
/* __gc / __close / close() for any object type; close() raises the release
 * error, __gc logs it. */
int lf_lobj_l_gc(lua_State *L);
int lf_lobj_l_close(lua_State *L);
int lf_lobj_l_is_closed(lua_State *L);
/* Creates the metatable: methods, __index, __gc, __close, __tostring. */
void lf_lobj_register(lua_State *L, const char *tname, const luaL_Reg *methods,
                      lua_CFunction tostring);

/* A USB backend owning its transport (and, for the bench, its boards). */
typedef struct lf_lbackend {
  lf_lobj o;
  lf_session *s;
  lf_usb_ctx *usb;
  struct lf_bench_board **boards;
  char **state_files;          /* per board, NULL = none (saved at close) */
  size_t n;
  bool bench;
} lf_lbackend;

lf_session *lf_lua_session(lua_State *L);
/* Raises the session's message (position of the calling Lua code first). */
int lf_lua_fail(lua_State *L);
/* Same for a call that returned rc: when the session's last error is not
 * rc (a path that forgot its message) the code's name is raised instead of
 * an older, unrelated message. */
int lf_lua_fail_rc(lua_State *L, int rc);
/* Runs expr with the session error cleared; raises when it returns != 0. */
#define LF_LUA_TRY(L, expr)                                                                      \
  do {                                                                                           \
    lf_err_clear(lf_lua_session(L));                                                             \
    int lf_rc_ = (expr);                                                                         \
    if (lf_rc_ != 0)                                                                             \
      lf_lua_fail_rc(L, lf_rc_);                                                                 \
  } while (0)

/* lua_pushfstring with the full printf syntax (%08x, %zu ...). */
const char *lf_lua_pushf(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint32_t lf_lua_check_u32(lua_State *L, int idx, const char *what);
/* AP number 0..255 (required, or optional defaulting to 0), DP/AP register
 * offset (multiple of 4, 0..0xFC), and address alignment (argument 2). */
uint8_t lf_lua_check_ap(lua_State *L, bool required, int idx);
uint8_t lf_lua_check_reg(lua_State *L, int idx);
void lf_lua_check_aligned(lua_State *L, uint32_t addr, unsigned width);
uint32_t lf_lua_opt_u32(lua_State *L, int idx, uint32_t def, const char *what);
/* Names of table fields that are not in `known` (NULL-terminated) raise
 * "<fn>: unknown option 'x' (known: a, b)". */
void lf_lua_check_keys(lua_State *L, int idx, const char *fn, const char *const *known);

/* The default backend (bench attached by the CLI, else libusb), pushed. */
lf_lbackend *lf_lua_default_backend(lua_State *L);
void lf_lua_set_default_backend(lua_State *L, int idx);

/* Module pieces. */
int lf_lua_bench_new(lua_State *L);            /* luaflash.bench(spec) */
int lf_lua_backend_probes(lua_State *L, lf_lbackend *be);
int lf_lua_backend_open(lua_State *L, lf_lbackend *be, int be_idx, int sel_idx);
void lf_lua_bench_register(lua_State *L);
void lf_lua_probe_register(lua_State *L);
void lf_lua_target_register(lua_State *L);
/* The Cortex-M behind a target userdata at idx (raises when closed). */
struct lf_cm;
struct lf_cm *lf_lua_target_cm(lua_State *L, int idx);
/* The chip its last connect identified, or NULL (unknown / not connected);
 * flash: its flash size and bank mode read too (once). */
struct lf_chip;
const struct lf_chip *lf_lua_target_chip(lua_State *L, int idx, bool flash);
/* Flash engine: geometry, image, plan (and loader) functions of the module. */
void lf_lua_flash_register(lua_State *L);
void lf_lua_flash_funcs(lua_State *L); /* adds them to the module table on top */
/* Production: luaflash.fs (durable files), gang runner (lf_lua_prod.c). */
void lf_lua_prod_funcs(lua_State *L);
void lf_lua_db_funcs(lua_State *L);     /* luaflash.db (lf_lua_db.c) */
void lf_lua_sys_funcs(lua_State *L);   /* isatty, term_width, listdir (lf_lua_sys.c) */
/* Bench behind a probe userdata (for probe:bench()). */
int lf_lua_open_luaflash(lua_State *L);

#endif
