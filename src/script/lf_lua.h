/* The embedded Lua runtime of luaflash, as seen from C code that does not
 * include Lua headers (the CLI, tests).
 *
 *   lf_lua *l; lf_lua_new(s, LF_LUA_DIR, &l);
 *   lf_lua_attach_bench(l, &(lf_lua_bench_opts){.boards = "nucleo-f767zi"});
 *   int status = lf_lua_run_script(l, "blink.lua", argc, argv);
 *   if (status) fprintf(stderr, "%s\n", lf_lua_message(l));
 *   lf_lua_free(l);   // closes every probe and bench still open
 *
 * Statuses are the CLI's exit codes: 0 success, 1 failure (script error,
 * target or probe failure), 2 usage or input error (missing or unreadable
 * script, syntax error, luaflash.usage_error()). */
#ifndef LF_SCRIPT_LUA_H
#define LF_SCRIPT_LUA_H

#include <stddef.h>

#include "core/session.h"

enum { LF_EXIT_OK = 0, LF_EXIT_FAIL = 1, LF_EXIT_USAGE = 2 };

typedef struct lf_lua lf_lua;

/* lua_dir: folder holding luaflash/ modules (require finds them first). */
int lf_lua_new(lf_session *s, const char *lua_dir, lf_lua **out);
void lf_lua_free(lf_lua *l);

/* Virtual boards used by luaflash.open()/probes() instead of libusb. */
typedef struct lf_lua_bench_opts {
  const char *boards;              /* "nucleo-f767zi[,BOARD...]" */
  const char *probe;               /* "v2", "v2-1", "v3" or NULL */
  const char *faults;              /* fault spec (bench/faults.h) or NULL */
  const char *state;               /* state file (one board) or NULL */
  const char *const *params;       /* "key=value" bench parameters */
  size_t nparams;
} lf_lua_bench_opts;
/* LF_EINVAL with the message in lf_lua_message() for a bad spec. */
int lf_lua_attach_bench(lf_lua *l, const lf_lua_bench_opts *o);

/* luaflash.cli[key] = value (strings from the command line). */
void lf_lua_set_cli(lf_lua *l, const char *key, const char *value);
void lf_lua_set_cli_int(lf_lua *l, const char *key, long value);

/* Runs only `path`: sets arg[0..], then calls lua/luaflash/init.lua's
 * main(path, args...), which loads the file (luaflash.load_script) and runs
 * it as a script or hands a project to the default sequence. */
int lf_lua_run_script(lf_lua *l, const char *path, int argc, char *const *argv);
/* Runs a built-in command: function `name` of lua/luaflash/commands.lua. */
int lf_lua_run_command(lf_lua *l, const char *name, int argc, char *const *argv);
/* Runs a chunk of Lua source (tests). */
int lf_lua_run_string(lf_lua *l, const char *chunk, const char *name);

/* "Lua 5.4.6, libusb 1.0.26, zlib 1.2.13, unicorn 2.0.1" */
void lf_lua_versions(char *buf, size_t len);

/* The message of the last failing run (error, file:line, traceback). */
const char *lf_lua_message(const lf_lua *l);

#endif
