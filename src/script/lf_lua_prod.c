/* Production support for Lua: durable files and the gang runner.
 *
 *   luaflash.fs.read(path) -> text | nil          (nil: the file does not exist)
 *   luaflash.fs.replace(path, text)               temp file, fsync, rename, folder fsync
 *   luaflash.fs.append(path, text)                one fsynced O_APPEND write
 *   luaflash.fs.lock(path, fn, ...) -> fn(...)    flock on path.lock around fn
 *   luaflash.fs.remove(path)                      unlink, folder fsync (missing: fine)
 *   luaflash.fs.mkdirs(path [, mode])             the folder and its parents (0700)
 *
 *   luaflash.gang{ script = PATH | command = NAME, args = {...},
 *                  on_status = function(index, serial, text) end } -> results
 *
 * The gang runs the same script (or built-in command) once per probe of the
 * default backend, each in its own thread with its own session, Lua state
 * and USB backend, sharing nothing but the collector below. On the bench the
 * thread's backend holds exactly one board of the command line's bench (so
 * each board is touched by one thread only, and the main thread does not
 * touch the bench until every thread has ended); on USB each thread opens
 * its own libusb context and its probe by serial. Inside a thread
 * luaflash.cli.gang = { index =, serial =, location = } tells the script
 * that it is one board of a gang; it reports through
 *
 *   luaflash.gang_status(text)     a status change (shown by on_status)
 *   luaflash.gang_report(text)     its result record (JSON text)
 *
 * results[i] = { index, serial, location, exit (0/1/2), message, report,
 * host_s, modeled_s (bench: the board's virtual time of the whole run) }.
 * on_status runs in the calling thread (the only one touching its Lua state)
 * while the gang runs; an error in it is raised after every thread ended. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "core/fileio.h"
#include "probe/probe.h"
#include "script/lf_lua.h"
#include "script/lf_lua_int.h"
#include "bench/usb_bench.h"

/* ---- durable files ---- */

static int fs_read(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  lf_session *s = lf_lua_session(L);
  char *data;
  size_t len;
  lf_err_clear(s);
  int rc = lf_file_read(s, path, &data, &len);
  if (rc == LF_ENODEV)
    return 0;
  if (rc != 0)
    return lf_lua_fail_rc(L, rc);
  lua_pushlstring(L, data, len);
  free(data);
  return 1;
}

static int fs_replace(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  LF_LUA_TRY(L, lf_file_replace(lf_lua_session(L), path, text, len));
  return 0;
}

static int fs_append(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  LF_LUA_TRY(L, lf_file_append(lf_lua_session(L), path, text, len));
  return 0;
}

static int fs_remove(lua_State *L)
{
  LF_LUA_TRY(L, lf_file_remove(lf_lua_session(L), luaL_checkstring(L, 1)));
  return 0;
}

static int fs_mkdirs(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  lua_Integer mode = luaL_optinteger(L, 2, 0700);
  LF_LUA_TRY(L, lf_file_mkdirs(lf_lua_session(L), path, (unsigned)mode));
  return 0;
}

/* fs.lock(path, fn, ...): the lock is released on every path, also when fn
 * raises (the error is raised again after the unlock). */
static int fs_lock(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  int fd;
  LF_LUA_TRY(L, lf_file_lock(lf_lua_session(L), path, &fd));
  int base = 2;
  int r = lua_pcall(L, lua_gettop(L) - base, LUA_MULTRET, 0);
  lf_file_unlock(fd);
  if (r != LUA_OK)
    return lua_error(L);
  return lua_gettop(L) - 1;
}

/* ---- the gang ---- */

typedef struct gang_event {
  size_t index;
  char *text;
  struct gang_event *next;
} gang_event;

typedef struct gang gang;

typedef struct gang_job {
  gang *g;
  size_t index;                /* 1-based */
  char serial[64], location[32];
  lf_bench_board *board;       /* bench: this thread's board; NULL on USB */
  pthread_t th;
  bool started;
  int exit;
  char *message, *report;
  uint64_t t0_ns, t1_ns;
  double host_s;
} gang_job;

struct gang {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  gang_event *head, *tail;
  size_t running;
  char *lua_dir, *script, *command;
  char *status_error;          /* first error raised by on_status */
  int argc;
  char **argv;
  long verbose;
  int log_level;
  lf_session *parent;          /* the caller's session: its logger */
  gang_job *jobs;
  size_t n;
};

/* The job of the calling thread (NULL outside a gang thread). */
static _Thread_local gang_job *this_job;

static void push_event(gang *g, size_t index, const char *text)
{
  gang_event *e = calloc(1, sizeof *e);
  char *t = text ? strdup(text) : NULL;
  pthread_mutex_lock(&g->mu);
  if (e && (t || !text)) {
    e->index = index;
    e->text = t;
    if (g->tail)
      g->tail->next = e;
    else
      g->head = e;
    g->tail = e;
  } else { /* out of memory: the status line is lost, nothing else */
    free(e);
    free(t);
  }
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

static int m_gang_status(lua_State *L)
{
  const char *text = luaL_checkstring(L, 1);
  if (this_job)
    push_event(this_job->g, this_job->index, text);
  return 0;
}

static int m_gang_report(lua_State *L)
{
  const char *text = luaL_checkstring(L, 1);
  if (!this_job)
    return luaL_error(L, "luaflash.gang_report: not running in a gang (luaflash --all-probes)");
  char *t = strdup(text);
  if (!t)
    return luaL_error(L, "luaflash.gang_report: out of memory");
  free(this_job->report);
  this_job->report = t;
  return 0;
}

/* Log lines of a gang thread go to the calling session's logger (one line at
 * a time: the collector's lock), prefixed with the board and, on the bench,
 * the board's own virtual time. */
static void job_sink(void *ctx, int level, double host_ms, uint64_t virt_ns, const char *msg)
{
  (void)host_ms;
  gang_job *j = ctx;
  size_t sl = strlen(j->serial);
  const char *tail = sl > 6 ? j->serial + sl - 6 : j->serial;
  pthread_mutex_lock(&j->g->mu);
  if (virt_ns != UINT64_MAX)
    lf_log(j->g->parent, level, "[#%zu ..%s | bench %.6f ms] %s", j->index, tail, (double)virt_ns / 1e6,
           msg);
  else
    lf_log(j->g->parent, level, "[#%zu ..%s] %s", j->index, tail, msg);
  pthread_mutex_unlock(&j->g->mu);
}

/* A bench backend over one board it does not own (the command line's bench
 * owns and frees it). */
static int borrowed_bench_release(lf_lobj *o)
{
  lf_lbackend *be = (lf_lbackend *)o;
  lf_usb_free(be->usb);
  be->usb = NULL;
  free(be->boards);
  be->boards = NULL;
  be->n = 0;
  return 0;
}

/* luaflash.gang_attach(): inside a gang thread, make this thread's board
 * the default backend and luaflash.cli.bench; sets luaflash.cli.gang. */
static int m_gang_attach(lua_State *L)
{
  gang_job *j = this_job;
  if (!j)
    return luaL_error(L, "luaflash.gang_attach: not running in a gang");
  lua_getfield(L, lua_upvalueindex(1), "cli");
  int cli = lua_gettop(L);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)j->index);
  lua_setfield(L, -2, "index");
  lua_pushstring(L, j->serial);
  lua_setfield(L, -2, "serial");
  lua_pushstring(L, j->location);
  lua_setfield(L, -2, "location");
  lua_setfield(L, cli, "gang");
  if (!j->board)
    return 0;
  lf_session *s = lf_lua_session(L);
  lf_lbackend *be = lf_lobj_push(L, sizeof *be, LF_MT_BENCH, 0);
  be->s = s;
  be->bench = true;
  lf_lobj_init(&be->o, "bench", borrowed_bench_release, NULL);
  be->boards = malloc(sizeof *be->boards);
  if (!be->boards)
    return luaL_error(L, "luaflash.gang_attach: out of memory");
  be->boards[0] = j->board;
  be->n = 1;
  lf_err_clear(s);
  if (lf_usb_new_bench(s, be->boards, 1, &be->usb) != 0)
    return lf_lua_fail(L);
  lf_lua_set_default_backend(L, -1);
  lua_setfield(L, cli, "bench");
  return 0;
}

static double host_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *job_main(void *arg)
{
  gang_job *j = arg;
  gang *g = j->g;
  this_job = j;
  double h0 = host_now();
  if (j->board)
    j->t0_ns = lf_bench_clock(j->board)->now_ns;
  j->exit = LF_EXIT_FAIL;
  lf_session *s = lf_session_new();
  lf_lua *l = NULL;
  const char *msg = "out of memory";
  if (s) {
    lf_log_set_sink(s, job_sink, j, g->log_level);
    if (lf_lua_new(s, g->lua_dir, &l) != 0) {
      msg = lf_err_msg(s);
    } else {
      lf_lua_set_cli_int(l, "verbose", g->verbose);
      lf_lua_set_cli(l, "probe", j->serial);
      j->exit = lf_lua_run_string(l, "require('luaflash').gang_attach()", "=gang");
      if (j->exit == LF_EXIT_OK)
        j->exit = g->script ? lf_lua_run_script(l, g->script, g->argc, g->argv)
                            : lf_lua_run_command(l, g->command, g->argc, g->argv);
      msg = j->exit == LF_EXIT_OK ? "" : lf_lua_message(l);
    }
  }
  j->message = strdup(msg ? msg : "");
  lf_lua_free(l); /* closes this thread's probe and backend (not the board) */
  lf_session_free(s);
  if (j->board)
    j->t1_ns = lf_bench_clock(j->board)->now_ns;
  j->host_s = host_now() - h0;
  this_job = NULL;
  pthread_mutex_lock(&g->mu);
  g->running--;
  pthread_cond_signal(&g->cv);
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

static void gang_free(gang *g)
{
  for (size_t i = 0; i < g->n; i++) {
    free(g->jobs[i].message);
    free(g->jobs[i].report);
  }
  free(g->jobs);
  free(g->lua_dir);
  free(g->script);
  free(g->command);
  free(g->status_error);
  for (int i = 0; i < g->argc; i++)
    free(g->argv[i]);
  free(g->argv);
  while (g->head) {
    gang_event *e = g->head;
    g->head = e->next;
    free(e->text);
    free(e);
  }
  pthread_mutex_destroy(&g->mu);
  pthread_cond_destroy(&g->cv);
}

/* The gang's state lives in a userdata so a Lua error in on_status (or out
 * of memory) still joins the threads and frees everything (__gc). */
#define MT_GANG "luaflash.gang"

static void gang_join_all(gang *g)
{
  for (size_t i = 0; i < g->n; i++)
    if (g->jobs[i].started) {
      pthread_join(g->jobs[i].th, NULL);
      g->jobs[i].started = false;
    }
}

static int gang_gc(lua_State *L)
{
  gang *g = luaL_checkudata(L, 1, MT_GANG);
  if (g->jobs || g->argv || g->lua_dir) {
    gang_join_all(g);
    gang_free(g);
    g->jobs = NULL;
    g->argv = NULL;
    g->lua_dir = g->script = g->command = g->status_error = NULL;
    g->n = 0;
    g->argc = 0;
  }
  return 0;
}

static void set_num(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
  if (!v)
    return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static int max_log_level(lf_session *s)
{
  int level = LF_LOG_ERROR;
  for (int k = LF_LOG_ERROR; k <= LF_LOG_TRACE; k++)
    if (lf_log_enabled(s, k))
      level = k;
  return level;
}

static int m_gang(lua_State *L)
{
  static const char *const keys[] = {"script", "command", "args", "on_status", NULL};
  luaL_checktype(L, 1, LUA_TTABLE);
  lf_lua_check_keys(L, 1, "luaflash.gang", keys);
  lua_settop(L, 1);
  lua_getfield(L, 1, "script");     /* 2 */
  lua_getfield(L, 1, "command");    /* 3 */
  lua_getfield(L, 1, "args");       /* 4 */
  lua_getfield(L, 1, "on_status");  /* 5 */
  if (lua_isnil(L, 2) == lua_isnil(L, 3))
    return luaL_error(L, "luaflash.gang: give exactly one of 'script' (a path) or 'command' (a name)");
  if (!lua_isnil(L, 4))
    luaL_checktype(L, 4, LUA_TTABLE);
  if (!lua_isnil(L, 5))
    luaL_checktype(L, 5, LUA_TFUNCTION);
  lf_session *s = lf_lua_session(L);

  gang *g = lua_newuserdatauv(L, sizeof *g, 0); /* 6 */
  memset(g, 0, sizeof *g);
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  luaL_setmetatable(L, MT_GANG);
  lua_getfield(L, LUA_REGISTRYINDEX, "luaflash.lua_dir");
  const char *dir = lua_tostring(L, -1);
  g->script = lua_isnil(L, 2) ? NULL : strdup(luaL_checkstring(L, 2));
  g->command = lua_isnil(L, 3) ? NULL : strdup(luaL_checkstring(L, 3));
  g->lua_dir = strdup(dir ? dir : ".");
  lua_pop(L, 1);
  if ((!g->script && !g->command) || !g->lua_dir)
    return luaL_error(L, "luaflash.gang: out of memory");
  lua_getfield(L, lua_upvalueindex(1), "cli");
  lua_getfield(L, -1, "verbose");
  g->verbose = (long)lua_tointeger(L, -1);
  lua_pop(L, 2);
  g->log_level = max_log_level(s);
  g->parent = s;
  int argc = lua_isnil(L, 4) ? 0 : (int)luaL_len(L, 4);
  g->argv = calloc((size_t)argc + 1, sizeof *g->argv);
  if (!g->argv)
    return luaL_error(L, "luaflash.gang: out of memory");
  for (int i = 0; i < argc; i++) {
    lua_geti(L, 4, i + 1);
    const char *a = luaL_checkstring(L, -1);
    if (!(g->argv[i] = strdup(a)))
      return luaL_error(L, "luaflash.gang: out of memory");
    g->argc = i + 1;
    lua_pop(L, 1);
  }

  /* The probes: every board of the bench, or every USB probe. */
  lf_lbackend *be = lf_lua_default_backend(L); /* pushed: 7 */
  lf_probe_entry *es = NULL;
  size_t n = 0;
  if (be->bench) {
    n = be->n;
  } else {
    lf_err_clear(s);
    if (lf_probe_list(s, be->usb, &es, &n) != 0)
      return lf_lua_fail(L);
  }
  g->jobs = calloc(n ? n : 1, sizeof *g->jobs);
  if (!g->jobs) {
    free(es);
    return luaL_error(L, "luaflash.gang: out of memory");
  }
  g->n = n;
  for (size_t i = 0; i < n; i++) {
    gang_job *j = &g->jobs[i];
    j->g = g;
    j->index = i + 1;
    if (be->bench) {
      j->board = be->boards[i];
      snprintf(j->serial, sizeof j->serial, "%s", lf_bench_usb_info_get(j->board)->serial);
      snprintf(j->location, sizeof j->location, "bench:%zu", i + 1);
    } else {
      snprintf(j->serial, sizeof j->serial, "%s", es[i].info.serial);
      snprintf(j->location, sizeof j->location, "%s", es[i].info.location);
      if (!j->serial[0]) { /* cannot select it alone: skip, with the reason */
        char m[256];
        snprintf(m, sizeof m, "skipped: serial number unreadable%s%s", es[i].note[0] ? ": " : "",
                 es[i].note);
        j->message = strdup(m);
        j->exit = -1;
      }
    }
  }
  free(es);

  /* The boards' clocks belong to their threads until the join: the caller's
   * log lines carry no board time meanwhile (each thread's lines carry its
   * own). */
  if (be->bench)
    lf_log_set_virtual_clock(s, NULL);
  for (size_t i = 0; i < n; i++) {
    gang_job *j = &g->jobs[i];
    if (j->exit == -1)
      continue;
    pthread_mutex_lock(&g->mu);
    g->running++;
    pthread_mutex_unlock(&g->mu);
    int e = pthread_create(&j->th, NULL, job_main, j);
    if (e != 0) {
      pthread_mutex_lock(&g->mu);
      g->running--;
      pthread_mutex_unlock(&g->mu);
      char m[160];
      snprintf(m, sizeof m, "skipped: cannot start a thread: %s", strerror(e));
      j->message = strdup(m);
      j->exit = -1;
      continue;
    }
    j->started = true;
  }

  /* Status events until every thread has ended. */
  for (;;) {
    pthread_mutex_lock(&g->mu);
    while (!g->head && g->running > 0)
      pthread_cond_wait(&g->cv, &g->mu);
    gang_event *e = g->head;
    if (e) {
      g->head = e->next;
      if (!g->head)
        g->tail = NULL;
    }
    bool done = !e && g->running == 0;
    pthread_mutex_unlock(&g->mu);
    if (done)
      break;
    if (!lua_isnil(L, 5)) {
      lua_pushvalue(L, 5);
      lua_pushinteger(L, (lua_Integer)e->index);
      lua_pushstring(L, g->jobs[e->index - 1].serial);
      lua_pushstring(L, e->text);
      free(e->text);
      free(e);
      /* a failing on_status must not leave threads behind: note it, go on */
      if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
        if (!g->status_error)
          g->status_error = strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_pop(L, 1);
      }
    } else {
      free(e->text);
      free(e);
    }
  }
  gang_join_all(g);
  if (be->bench && be->n) /* as the bench transport sets it (usb_bench.c) */
    lf_log_set_virtual_clock(s, &lf_bench_clock(be->boards[0])->now_ns);
  if (g->status_error)
    return luaL_error(L, "luaflash.gang: on_status: %s", g->status_error);

  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    gang_job *j = &g->jobs[i];
    lua_createtable(L, 0, 9);
    lua_pushinteger(L, (lua_Integer)j->index);
    lua_setfield(L, -2, "index");
    set_str(L, "serial", j->serial);
    set_str(L, "location", j->location);
    if (j->exit == -1) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "skipped");
    } else {
      lua_pushinteger(L, j->exit);
      lua_setfield(L, -2, "exit");
      set_num(L, "host_s", j->host_s);
      if (j->board)
        set_num(L, "modeled_s", (double)(j->t1_ns - j->t0_ns) / 1e9);
    }
    set_str(L, "message", j->message);
    set_str(L, "report", j->report);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

void lf_lua_prod_funcs(lua_State *L)
{
  if (luaL_newmetatable(L, MT_GANG)) {
    lua_pushcfunction(L, gang_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  static const luaL_Reg fs[] = {
    {"read", fs_read}, {"replace", fs_replace}, {"append", fs_append}, {"lock", fs_lock},
    {"remove", fs_remove}, {"mkdirs", fs_mkdirs}, {NULL, NULL},
  };
  luaL_newlib(L, fs);
  lua_setfield(L, -2, "fs");
  static const luaL_Reg funcs[] = {
    {"gang", m_gang},
    {"gang_attach", m_gang_attach},
    {"gang_status", m_gang_status},
    {"gang_report", m_gang_report},
    {NULL, NULL},
  };
  lua_pushvalue(L, -1); /* the module table as upvalue 1 (cli) */
  luaL_setfuncs(L, funcs, 1);
}
