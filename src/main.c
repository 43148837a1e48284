/* luaflash command line: options, the bench, logging, exit codes.
 *
 *   luaflash [options] SCRIPT.lua [args...]   run that script (and only it)
 *   luaflash [options] probes | boards | chips  list probes, boards, chips
 *   luaflash [options] flash FILE ...         flash without a project file
 *
 * Exit codes: 0 success, 1 failure (script error, probe or target failure),
 * 2 usage or input error (bad option, missing script, syntax error). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "core/session.h"
#include "script/lf_lua.h"
#include "script/lf_version.h"

#ifndef LF_LUA_DIR
#define LF_LUA_DIR "lua"
#endif

#define MAX_PARAMS 64

static const char usage_text[] =
  "usage: luaflash [options] SCRIPT.lua [args...]\n"
  "       luaflash [options] probes\n"
  "       luaflash [options] boards | chips\n"
  "       luaflash [options] flash FILE --board NAME | --chip PART [key=value ...]\n"
  "       luaflash report DATABASE [--station NAME] [--since TIME] [--csv|--boards-csv] [--svg FILE]\n"
  "\n"
  "Runs SCRIPT.lua with the luaflash Lua API (only that file: nothing is\n"
  "loaded from the current directory). A file that assigns settings (board,\n"
  "image, clock, ...), hooks (will_connect, ...) or steps (reset, ...), or\n"
  "returns a table of settings, is a project: the default sequence\n"
  "(lua/luaflash/sequence.lua) runs it after the file.\n"
  "\n"
  "commands:\n"
  "  probes                  list probes (kind, firmware, serial, voltage)\n"
  "  boards                  list the board files (boards/*.lua)\n"
  "  chips                   list the known chips (name, family, flash, aliases)\n"
  "  recover allow_mass_erase=true [--board NAME]\n"
  "                          erase a chip locked by access-port protection\n"
  "                          (nRF52 APPROTECT: CTRL-AP ERASEALL; all is lost)\n"
  "  flash FILE --board NAME flash an image without a project file\n"
  "  flash FILE --chip PART  the same for a bare chip\n"
  "  report DATABASE         a production line's yield per station, failures by\n"
  "                          phase and error, time per board (SQLite file or\n"
  "                          postgresql:// URL; --csv, --boards-csv, --svg FILE)\n"
  "\n"
  "project files (PROJECT.lua sets board, image, settings, hooks):\n"
  "  luaflash PROJECT.lua [key=value ...] [--settings] [--json] [--quiet]\n"
  "                        [--profile] [--trace FILE.json]\n"
  "  key=value               override a setting (clock=4MHz erase=sector ...)\n"
  "  --settings              print the effective settings and their origin\n"
  "  --json                  print the result as JSON\n"
  "  --quiet                 no progress and no summary\n"
  "  --profile               a table of the phases at the end (host and bench\n"
  "                          time, bytes, rates, USB traffic)\n"
  "  --trace FILE.json       the timeline as Chrome trace events (Perfetto)\n"
  "\n"
  "environment: LUAFLASH_LUA_DIR  folder of the Lua modules (default: the\n"
  "  install prefix's share/luaflash/lua)\n"
  "\n"
  "options:\n"
  "  --chip PART             the chip of a project or of flash FILE (the 'chip'\n"
  "                          setting): STM32F767ZI, stm32f767zi, f767zi, ...\n"
  "  --pack FILE.pack        a CMSIS-Pack (the 'pack' setting): --chip names one of\n"
  "                          its devices, its flash algorithm programs it;\n"
  "                          'chips --pack FILE' lists them\n"
  "  --probe SEL             probe for luaflash.open(): serial or serial prefix,\n"
  "                          location (bench:1, usb:1-4.2), index (0, 1, ...),\n"
  "                          or 'bench' (= --bench nucleo-f767zi)\n"
  "  --bench BOARD[,BOARD]   use in-process virtual boards instead of USB\n"
  "                          (boards: @BOARDS@;\n"
  "                          BOARD@PROBE wires another probe to it:\n"
  "                          nucleo-f767zi@daplink)\n"
  "  --bench-probe KIND      probe of every virtual board: v2, v2-1, v3 (ST-LINK),\n"
  "                          daplink, rpi-debugprobe (CMSIS-DAP)\n"
  "  --bench-faults SPEC     fault injection, e.g. usb_timeout@5,swd_fault@40\n"
  "  --bench-state FILE      board state (flash, options) loaded at start,\n"
  "                          saved when the bench closes\n"
  "  --bench-param KEY=VAL   override a bench model parameter (repeatable)\n"
  "  --all-probes            run the script on every probe at once (one thread\n"
  "                          per probe; on the bench: one per --bench board)\n"
  "  -v, -vv, -vvv           log info / debug / trace to stderr (host ms since\n"
  "                          start; bench virtual time on the bench)\n"
  "  -h, --help              this text\n"
  "  -V, --version           version and libraries\n"
  "\n"
  "Options may also follow a command; after SCRIPT.lua every word that is not\n"
  "one of the options above is passed to the script (arg[1..] and ...).\n"
  "Exit status: 0 success, 1 failure, 2 usage or input error.\n";

/* The usage text with the bench's boards (lf_bench_board_list) in place of
 * @BOARDS@, wrapped at the option column. */
static void print_usage(FILE *o)
{
  const char *mark = strstr(usage_text, "@BOARDS@");
  fwrite(usage_text, 1, (size_t)(mark - usage_text), o);
  char known[512];
  lf_bench_board_list(known, sizeof known);
  size_t col = 35; /* "                          (boards: " */
  for (const char *w = known; *w;) {
    size_t n = strcspn(w, " ");
    if (col > 35 && col + 1 + n > 78) {
      fputs("\n                          ", o);
      col = 26;
    } else if (col > 35) {
      fputc(' ', o);
      col++;
    }
    fwrite(w, 1, n, o);
    col += n;
    w += n + strspn(w + n, " ");
  }
  fputs(mark + strlen("@BOARDS@"), o);
}

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

static void sink(void *ctx, int level, double host_ms, uint64_t virt_ns, const char *msg)
{
  (void)ctx;
  const char *name = level >= 0 && level <= 4 ? level_names[level] : "log";
  if (virt_ns != UINT64_MAX)
    fprintf(stderr, "[%10.3f ms | bench %12.6f ms] %s: %s\n", host_ms, (double)virt_ns / 1e6, name,
            msg);
  else
    fprintf(stderr, "[%10.3f ms] %s: %s\n", host_ms, name, msg);
}

/* Where the Lua modules are: $LUAFLASH_LUA_DIR, else <prefix>/share/luaflash/lua
 * for an installed binary <prefix>/bin/luaflash, else the source tree's lua/
 * the build was configured from (a binary run from its build dir). */
static const char *lua_dir(char *buf, size_t len)
{
  const char *env = getenv("LUAFLASH_LUA_DIR");
  if (env && env[0])
    return env;
  static const char rel[] = "/share/luaflash/lua";
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  if (n > 0) {
    buf[n] = '\0';
    char *slash = strrchr(buf, '/'); /* <prefix>/bin/luaflash -> <prefix>/bin */
    if (slash) {
      *slash = '\0';
      slash = strrchr(buf, '/'); /* -> <prefix> */
    }
    struct stat st;
    if (slash && (size_t)(slash - buf) + sizeof rel <= len) {
      memcpy(slash, rel, sizeof rel);
      if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
        return buf;
    }
  }
  return LF_LUA_DIR;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "luaflash: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(luaflash --help for usage)\n");
  va_end(ap);
  return LF_EXIT_USAGE;
}

typedef struct cli {
  const char *probe;
  const char *chip;            /* --chip: the project's `chip` (init.lua) */
  const char *pack;            /* --pack: the project's `pack` (init.lua, `chips`) */
  lf_lua_bench_opts bench;
  bool want_bench;
  const char *params[MAX_PARAMS];
  int verbose;
  bool all_probes;
  const char *target;          /* script or command */
  bool is_script;
  char **args;
  int nargs;
} cli;

static bool is_script_name(const char *a)
{
  size_t n = strlen(a);
  return strchr(a, '/') || (n > 4 && strcmp(a + n - 4, ".lua") == 0);
}

enum { OPT_TAKEN = -1, OPT_NOT_OURS = -2, OPT_DONE = -3 /* --help/--version printed */ };

/* OPT_* or an exit status for a usage error. */
static int take_option(cli *c, int argc, char **argv, int *i)
{
  const char *a = argv[*i];
  const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  static const char *const with_value[] = {"--probe", "--chip", "--pack", "--bench", "--bench-probe",
                                           "--bench-faults", "--bench-state", "--bench-param", NULL};
  for (size_t k = 0; with_value[k]; k++)
    if (!strcmp(a, with_value[k]) && !v)
      return usage_error("option %s needs a value", a);
  if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
    print_usage(stdout);
    return OPT_DONE;
  }
  if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
    char libs[256];
    lf_lua_versions(libs, sizeof libs);
    printf("luaflash %s (%s)\n", lf_version(), libs);
    return OPT_DONE;
  }
  if (!strcmp(a, "--all-probes")) {
    c->all_probes = true;
    return OPT_TAKEN;
  }
  if (a[0] == '-' && a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
    c->verbose += (int)strlen(a + 1);
    return OPT_TAKEN;
  }
  if (!strcmp(a, "--probe")) {
    if (!strcmp(v, "bench"))
      c->want_bench = true;
    else
      c->probe = v;
  } else if (!strcmp(a, "--chip")) {
    if (!v[0])
      return usage_error("--chip needs a part name (%s lists them)", "luaflash chips");
    c->chip = v;
  } else if (!strcmp(a, "--pack")) {
    if (!v[0])
      return usage_error("--pack needs a file name (%s)", "a CMSIS-Pack .pack file");
    c->pack = v;
  } else if (!strcmp(a, "--bench")) {
    if (!v[0])
    {
      char known[512];
      return usage_error("--bench needs a board name (known: %s)", lf_bench_board_list(known, sizeof known));
    }
    c->bench.boards = v;
    c->want_bench = true;
  } else if (!strcmp(a, "--bench-probe")) {
    c->bench.probe = v;
    c->want_bench = true;
  } else if (!strcmp(a, "--bench-faults")) {
    c->bench.faults = v;
    c->want_bench = true;
  } else if (!strcmp(a, "--bench-state")) {
    c->bench.state = v;
    c->want_bench = true;
  } else if (!strcmp(a, "--bench-param")) {
    if (c->bench.nparams >= MAX_PARAMS)
      return usage_error("too many --bench-param (at most %s)", "64");
    if (!strchr(v, '='))
      return usage_error("--bench-param %s: expected KEY=VALUE", v);
    c->params[c->bench.nparams++] = v;
    c->want_bench = true;
  } else {
    return OPT_NOT_OURS;
  }
  (*i)++;
  return OPT_TAKEN;
}

static int parse(cli *c, int argc, char **argv)
{
  memset(c, 0, sizeof *c);
  c->bench.params = c->params;
  c->args = calloc((size_t)argc + 1, sizeof *c->args);
  if (!c->args)
    return usage_error("%s", "out of memory");
  bool dashdash = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!dashdash && !strcmp(a, "--")) {
      dashdash = true;
      continue;
    }
    if (!dashdash && a[0] == '-' && a[1]) {
      int r = take_option(c, argc, argv, &i);
      if (r == OPT_DONE)
        return LF_EXIT_OK;
      if (r >= 0)
        return r;
      if (r == OPT_TAKEN)
        continue;
      if (c->target) { /* the script's or the command's own option */
        c->args[c->nargs++] = argv[i];
        continue;
      }
      return usage_error("unknown option '%s'", a);
    }
    if (!c->target) {
      c->target = a;
      c->is_script = is_script_name(a);
    } else {
      c->args[c->nargs++] = argv[i];
    }
  }
  return OPT_TAKEN;
}

int main(int argc, char **argv)
{
  cli c;
  int r = parse(&c, argc, argv);
  if (r >= 0) {
    free(c.args);
    return r;
  }
  if (!c.target) {
    free(c.args);
    return usage_error("%s", "no script or command given (luaflash SCRIPT.lua, luaflash probes)");
  }
  if (!c.is_script && strcmp(c.target, "probes") != 0 && strcmp(c.target, "boards") != 0 &&
      strcmp(c.target, "chips") != 0 && strcmp(c.target, "flash") != 0 && strcmp(c.target, "report") != 0 &&
      strcmp(c.target, "recover") != 0) {
    int st = usage_error("unknown command '%s' (a script must end in .lua; commands: probes, "
                         "boards, chips, flash, report, recover)", c.target);
    free(c.args);
    return st;
  }

  lf_session *s = lf_session_new();
  if (!s) {
    free(c.args);
    fprintf(stderr, "luaflash: out of memory\n");
    return LF_EXIT_FAIL;
  }
  int level = c.verbose >= 3 ? LF_LOG_TRACE : c.verbose == 2 ? LF_LOG_DEBUG
            : c.verbose == 1 ? LF_LOG_INFO : LF_LOG_WARN;
  lf_log_set_sink(s, sink, NULL, level);

  char dirbuf[4096];
  lf_lua *l = NULL;
  int status = LF_EXIT_FAIL;
  if (lf_lua_new(s, lua_dir(dirbuf, sizeof dirbuf), &l) != 0) {
    fprintf(stderr, "luaflash: %s\n", lf_err_msg(s));
    goto out;
  }
  lf_lua_set_cli_int(l, "verbose", c.verbose);
  if (c.all_probes)
    lf_lua_set_cli_int(l, "all_probes", 1);
  if (c.probe)
    lf_lua_set_cli(l, "probe", c.probe);
  if (c.chip)
    lf_lua_set_cli(l, "chip", c.chip);
  if (c.pack)
    lf_lua_set_cli(l, "pack", c.pack);
  if (c.want_bench && lf_lua_attach_bench(l, &c.bench) != 0) {
    fprintf(stderr, "luaflash: %s\n", lf_lua_message(l));
    status = LF_EXIT_USAGE;
    goto out;
  }
  if (c.is_script)
    status = lf_lua_run_script(l, c.target, c.nargs, c.args);
  else
    status = lf_lua_run_command(l, c.target, c.nargs, c.args);
  if (status != LF_EXIT_OK)
    fprintf(stderr, "luaflash: %s\n", lf_lua_message(l));
out:
  lf_lua_free(l); /* closes probes and benches still open (bench state saved) */
  lf_session_free(s);
  free(c.args);
  /* the result (--json) reaches its file even when a sanitizer's exit
   * handler ends the process without flushing stdio */
  fflush(NULL);
  return status;
}
