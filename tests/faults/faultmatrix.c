/* lf-faultmatrix: the fault matrix of issue 19 for one probe kind: every
 * bench family board x phase (connect, plan, erase, program, verify, reset)
 * x fault (USB timeout, stall, short reply, unplug, SWD WAIT burst, SWD
 * FAULT; flash error flags and power loss in erase and program), each a
 * luaflash run in process (a fresh Lua runtime and a fresh virtual board)
 * with the fault armed relative to the phase (faults.h `usb_timeout@erase+3`:
 * the bench learns the host's phases from the report, bench:phase).
 *
 * Per board: a setup run flashes image B (no fault) and saves the state, so
 * each case starts from flash holding other data (the erase phase really
 * erases); a clean run of image A on that state gives the run's own figures
 * (modeled time, flash busy time, USB transfers). Per case, on a copy of the
 * state: the faulty run of image A, then a rerun without faults. A case
 * passes when
 *   - it failed (non-zero) with a message that names the phase the host was
 *     in when the fault fired (bench report) and the cause, or succeeded
 *     with image A really in flash (bench peek: a retry absorbed the fault);
 *     a success with other bytes is a FALSE SUCCESS;
 *   - fail fast (a failed run): modeled time from the fault (when it fired,
 *     bench report) to the end of the run <= the clean run's flash busy
 *     time (a bound of the flash work that can be pending) + 0.5 s; and the
 *     run's USB transfers <= 10 x the clean run's;
 *   - the rerun without faults exits 0 with image A in flash.
 * A fault that never fired (its phase ended before the Nth event) is a
 * failure of the matrix, not a pass. Combinations that make no sense are
 * n/a with their reason.
 *
 *   lf-faultmatrix --probe v2-1|v3|daplink-hid|daplink [--boards B,...]
 *                  [--phases P,...] [--set KEY=VALUE]... [--out FILE.md] [-v]
 *
 * The Markdown rows go to --out (scripts/fault-matrix-doc assembles them; a
 * run limited by --phases or changed by --set writes none: its counts are
 * not the table's); --set verify=false shows the matrix catching false
 * successes (an nRF52 flash error is then invisible to luaflash);
 * exit 0 when every case passed. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/session.h"
#include "script/lf_lua.h"

#ifndef LF_FM_LUA_DIR
#define LF_FM_LUA_DIR "lua"
#endif

typedef struct fm_board {
  const char *bench;   /* bench board name */
  const char *file;    /* board file */
  const char *family;  /* for the table */
  uint32_t base;       /* image address: 1 KiB before a sector boundary */
  const char *err_bits; /* flash_error SR bits (WRPERR; nRF52, RP2040: no flag, ignored) */
} fm_board;

static const fm_board boards[] = {
  {"nucleo-f767zi", "nucleo_f767zi", "STM32F7", 0x08007C00u, "0x10"},
  {"nucleo-f429zi", "nucleo_f429zi", "STM32F4", 0x08003C00u, "0x10"},
  {"nucleo-h743zi", "nucleo_h743zi", "STM32H7", 0x0801FC00u, "0x20000"},
  {"nucleo-f103rb", "nucleo_f103rb", "STM32F1", 0x08000400u, "0x10"},
  {"nucleo-l476rg", "nucleo_l476rg", "STM32L4", 0x08000400u, "0x10"},
  {"nrf52840-dk", "nrf52840_dk", "nRF52", 0x00000C00u, "0x1"},
  {"pico", "pico", "RP2040", 0x10000C00u, "0x1"},
};
#define NBOARDS (sizeof boards / sizeof boards[0])

static const char *const phases[] = {"connect", "plan", "erase", "program", "verify", "reset"};
#define NPHASES 6

typedef struct fm_fault {
  const char *name;  /* table name */
  const char *kind;  /* faults.h kind: the spec is KIND@PHASE+WHEN (flash_error: then the SR bits) */
  const char *when;
  const char *cause; /* '|'-separated words one of which the message holds (case-insensitive) */
  unsigned phases;   /* bit i: phases[i] applies */
} fm_fault;

#define ALL 0x3Fu
#define EP ((1u << 2) | (1u << 3))

static const fm_fault faults[] = {
  {"USB timeout", "usb_timeout", "3", "timeout", ALL},
  {"USB stall", "usb_stall", "3", "stall|pipe", ALL},
  {"short reply", "usb_short", "3", "short", ALL},
  {"unplug", "unplug", "3", "no device|unplugged|gone", ALL},
  {"SWD WAIT burst", "swd_wait", "3x200", "wait", ALL},
  {"SWD FAULT", "swd_fault", "3", "fault", ALL},
  {"flash error", "flash_error", "1:", "flash_sr|err|differ|verify|crc", EP},
  {"power loss", "power_loss", "100us", "", EP},
};
#define NFAULTS (sizeof faults / sizeof faults[0])

static double host_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* After a run: flash against image A, the state saved, the figures of the
 * bench report; through the error message (the only channel back). */
static const char check_chunk[] =
  "local lf = require('luaflash')\n"
  "local b = lf.cli.bench\n"
  "local f = assert(io.open(lf.cli.fm_image, 'rb'))\n"
  "local img = f:read('a')\n"
  "f:close()\n"
  "local got = b:peek(tonumber(lf.cli.fm_base), #img, 1)\n"
  "b:save_state(lf.cli.fm_state, 1)\n"
  "local r = b:report(1)\n"
  "local c = b:counters(1)\n"
  "local fired, fin = r:match('fault: [^\\n]-fired %d+ at ([%d.]+) s in phase (%S+)')\n"
  "local busy = r:match('flash: [^\\n]-busy ([%d.]+) s')\n"
  "local xf = c.probe.usb_out_transfers + c.probe.usb_in_transfers\n"
  "error(string.format('RESULT same=%d t_ns=%d fired=%s busy=%s xfers=%d in=%s', got == img and 1 or 0,\n"
  "  b:time_ns(1), fired or '-1', busy or '0', xf, fin or '-'), 0)\n";

typedef struct fm_run {
  int st;
  char msg[600];
  int same;
  double t, fired, busy, host;
  unsigned long long xfers;
  char in[16]; /* the host's phase when the fault fired */
} fm_run;

static const char *lua_dir;
static char *extra[8]; /* --set key=value: more settings for every run (e.g. verify=false: the matrix
                        * must then find false successes) */
static int nextra;

static int run_one(const char *board_spec, const char *project, const char *image, uint32_t base,
                   const char *state, const char *spec, fm_run *r)
{
  memset(r, 0, sizeof *r);
  lf_session *s = lf_session_new();
  lf_lua *l = NULL;
  double t0 = host_s();
  if (!s || lf_lua_new(s, lua_dir, &l) != 0) {
    fprintf(stderr, "lf-faultmatrix: cannot start Lua (%s)\n", lua_dir);
    return -1;
  }
  lf_lua_bench_opts o = {.boards = board_spec, .faults = spec, .state = state};
  if (lf_lua_attach_bench(l, &o) != 0) {
    fprintf(stderr, "lf-faultmatrix: bench %s (%s): %s\n", board_spec, spec ? spec : "", lf_lua_message(l));
    lf_lua_free(l);
    lf_session_free(s);
    return -1;
  }
  char basestr[32], imgarg[600], basearg[48];
  snprintf(basestr, sizeof basestr, "0x%08X", base);
  lf_lua_set_cli(l, "fm_image", image);
  lf_lua_set_cli(l, "fm_base", basestr);
  lf_lua_set_cli(l, "fm_state", state);
  snprintf(imgarg, sizeof imgarg, "image=%s", image);
  snprintf(basearg, sizeof basearg, "base=%s", basestr);
  char *args[3 + 8] = {imgarg, basearg, "--quiet"};
  for (int i = 0; i < nextra; i++)
    args[3 + i] = extra[i];
  r->st = lf_lua_run_script(l, project, 3 + nextra, args);
  r->host = host_s() - t0;
  snprintf(r->msg, sizeof r->msg, "%s", r->st ? lf_lua_message(l) : "");
  for (char *p = r->msg; *p; p++)
    if (*p == '\n')
      *p = ' ';
  lf_lua_run_string(l, check_chunk, "=faultmatrix-check");
  const char *m = strstr(lf_lua_message(l), "RESULT ");
  unsigned long long t_ns = 0;
  if (!m || sscanf(m, "RESULT same=%d t_ns=%llu fired=%lf busy=%lf xfers=%llu in=%15s", &r->same, &t_ns,
                   &r->fired, &r->busy, &r->xfers, r->in) != 6) {
    fprintf(stderr, "lf-faultmatrix: the check failed: %s\n", lf_lua_message(l));
    lf_lua_free(l);
    lf_session_free(s);
    return -1;
  }
  r->t = (double)t_ns / 1e9;
  lf_lua_free(l);
  lf_session_free(s);
  return 0;
}

static int copy_file(const char *from, const char *to)
{
  FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
  if (!a || !b) {
    if (a)
      fclose(a);
    return -1;
  }
  char buf[65536];
  size_t n;
  int rc = 0;
  while ((n = fread(buf, 1, sizeof buf, a)) > 0)
    if (fwrite(buf, 1, n, b) != n)
      rc = -1;
  fclose(a);
  if (fclose(b) != 0)
    rc = -1;
  return rc;
}

static int write_image(const char *path, unsigned size, uint32_t seed)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  uint32_t x = seed;
  for (unsigned i = 0; i < size; i++) {
    x = x * 1664525u + 1013904223u;
    fputc((int)(x >> 24), f);
  }
  return fclose(f);
}

/* "PHASE: ..." (luaflash names the phase a failure happened in first) */
static int starts_with_phase(const char *msg, const char *phase)
{
  size_t n = strlen(phase);
  return strncmp(msg, phase, n) == 0 && msg[n] == ':';
}

/* case-insensitive: does msg hold one of the '|'-separated words? */
static int names_any(const char *msg, const char *words)
{
  if (!words[0])
    return 1;
  char lower[sizeof ((fm_run *)0)->msg];
  size_t i;
  for (i = 0; msg[i] && i + 1 < sizeof lower; i++)
    lower[i] = (char)(msg[i] >= 'A' && msg[i] <= 'Z' ? msg[i] + 32 : msg[i]);
  lower[i] = '\0';
  const char *w = words;
  while (*w) {
    size_t n = strcspn(w, "|");
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)n, w);
    if (strstr(lower, word))
      return 1;
    w += n + (w[n] == '|');
  }
  return 0;
}

typedef struct fm_tally {
  unsigned cases, failed_msg, absorbed, na, false_success, bad;
  unsigned later; /* fired after the host had left the case's phase (a phase shorter than N events) */
  double max_ff;     /* fault -> end of run, modeled s */
  double max_excess; /* that less the bound's flash part */
} fm_tally;

static FILE *out;
static int no_rows; /* --phases: the counts are not the table's */

static void emit(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (out && !no_rows)
    vfprintf(out, fmt, ap);
  va_end(ap);
}

int main(int argc, char **argv)
{
  const char *probe = "v2-1", *only = NULL, *outpath = NULL, *only_phases = NULL;
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-v")) {
      verbose = 1;
      continue;
    }
    if (!v) {
      fprintf(stderr, "lf-faultmatrix: %s needs a value\n", a);
      return 2;
    }
    i++;
    if (!strcmp(a, "--probe"))
      probe = v;
    else if (!strcmp(a, "--boards"))
      only = v;
    else if (!strcmp(a, "--set") && nextra < 8)
      extra[nextra++] = (char *)v, no_rows = 1;
    else if (!strcmp(a, "--phases"))
      only_phases = v, no_rows = 1;
    else if (!strcmp(a, "--out"))
      outpath = v;
    else {
      fprintf(stderr, "lf-faultmatrix: unknown option %s\n", a);
      return 2;
    }
  }
  int hid = !strcmp(probe, "daplink-hid");
  const char *model = hid ? "daplink" : probe;
  const char *probe_label = !strcmp(probe, "v2-1")  ? "ST-LINK/V2-1"
                            : !strcmp(probe, "v3")  ? "STLINK-V3"
                            : hid                   ? "DAPLink CMSIS-DAP v1 (HID)"
                            : !strcmp(probe, "daplink") ? "DAPLink CMSIS-DAP v2 (bulk)"
                                                    : probe;
  const char *src = getenv("LF_SOURCE_DIR");
  static char dirbuf[4096];
  snprintf(dirbuf, sizeof dirbuf, "%s", LF_FM_LUA_DIR);
  if (src && src[0])
    snprintf(dirbuf, sizeof dirbuf, "%s/lua", src);
  lua_dir = dirbuf;
  if (outpath && !(out = fopen(outpath, "w"))) {
    perror(outpath);
    return 1;
  }
  char dir[] = "/tmp/lf-faultmatrix-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("lf-faultmatrix: mkdtemp");
    return 1;
  }
  char imgA[128], imgB[128], project[128], st0[128], st[128];
  snprintf(imgA, sizeof imgA, "%s/a.bin", dir);
  snprintf(imgB, sizeof imgB, "%s/b.bin", dir);
  snprintf(project, sizeof project, "%s/project.lua", dir);
  snprintf(st0, sizeof st0, "%s/setup.state", dir);
  snprintf(st, sizeof st, "%s/case.state", dir);
  /* 2 KiB over two erase units (1 KiB each side of a boundary) */
  if (write_image(imgA, 2048, 0x12345678u) || write_image(imgB, 2048, 0x9abcdef0u)) {
    perror("lf-faultmatrix: image");
    return 1;
  }
  if (only) { /* every name given must be a board */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", only);
    for (char *w = strtok(buf, ","); w; w = strtok(NULL, ",")) {
      size_t k = 0;
      while (k < NBOARDS && strcmp(boards[k].bench, w) != 0)
        k++;
      if (k == NBOARDS) {
        fprintf(stderr, "lf-faultmatrix: unknown board '%s' in --boards\n", w);
        return 2;
      }
    }
  }
  fm_tally all = {0};
  double worst_host = 0;
  unsigned long long worst_xfer_ratio_num = 0, worst_xfer_ratio_den = 1;
  for (size_t bi = 0; bi < NBOARDS; bi++) {
    const fm_board *B = &boards[bi];
    if (only && !strstr(only, B->bench))
      continue;
    FILE *pf = fopen(project, "w");
    if (!pf) {
      perror(project);
      return 1;
    }
    fprintf(pf, "board = \"%s\"\n%s", B->file,
            hid ? "probe = { kind = \"cmsis-dap\", transport = \"hid\" }\n"
                : !strcmp(model, "daplink") ? "probe = { kind = \"cmsis-dap\" }\n"
                                            : "probe = { kind = \"stlink\" }\n");
    fclose(pf);
    char spec[96];
    snprintf(spec, sizeof spec, "%s@%s", B->bench, model);
    unlink(st0);
    fm_run setup, clean, r, rep;
    /* setup: image B in flash (the erase phase then erases) */
    if (run_one(spec, project, imgB, B->base, st0, NULL, &setup) != 0)
      return 1;
    if (setup.st != 0 && strstr(setup.msg, "multidrop")) {
      /* the probe cannot reach this target at all: every case n/a */
      fm_tally t = {0};
      for (size_t fi = 0; fi < NFAULTS; fi++)
        for (int pi = 0; pi < NPHASES; pi++)
          if (faults[fi].phases & (1u << pi))
            t.cases++, t.na++;
      emit("| %s | %s (`%s`) | %u | 0 | 0 | %u | 0 | 0 | 0 | - | n/a: %s cannot select a DP on a multidrop SWD "
           "bus (luaflash refuses before writing anything) |\n", probe_label, B->family, B->bench, t.cases, t.na,
           probe_label);
      printf("%s: %u cases n/a: %s\n", spec, t.cases, setup.msg);
      all.cases += t.cases;
      all.na += t.na;
      continue;
    }
    if (setup.st != 0) {
      fprintf(stderr, "lf-faultmatrix: %s: the setup run failed: %s\n", spec, setup.msg);
      return 1;
    }
    if (copy_file(st0, st) || run_one(spec, project, imgA, B->base, st, NULL, &clean) != 0)
      return 1;
    if (clean.st != 0 || !clean.same) {
      fprintf(stderr, "lf-faultmatrix: %s: the clean run failed: %s\n", spec, clean.msg);
      return 1;
    }
    fm_tally t = {0};
    for (size_t fi = 0; fi < NFAULTS; fi++) {
      const fm_fault *F = &faults[fi];
      for (int pi = 0; pi < NPHASES; pi++) {
        const char *ph = phases[pi];
        if (!(F->phases & (1u << pi)))
          continue; /* not a case: the issue asks flash errors and power loss in erase and program */
        if (only_phases && !strstr(only_phases, ph))
          continue;
        t.cases++;
        char fs[96];
        snprintf(fs, sizeof fs, "%s@%s+%s%s", F->kind, ph, F->when,
                 !strcmp(F->kind, "flash_error") ? B->err_bits : "");
        if (copy_file(st0, st) || run_one(spec, project, imgA, B->base, st, fs, &r) != 0)
          return 1;
        if (run_one(spec, project, imgA, B->base, st, NULL, &rep) != 0)
          return 1;
        char why[256] = "";
        int false_success = 0;
        double ff = r.fired >= 0 ? r.t - r.fired : 0;
        double bound = clean.busy + 0.5;
        if (r.fired < 0)
          snprintf(why, sizeof why, "the fault never fired (phase %s ended first)", ph);
        else if (r.st == 0 && !r.same) {
          false_success = 1;
          snprintf(why, sizeof why, "FALSE SUCCESS: exit 0, flash does not hold the image");
        } else if (r.st != 0 && !r.msg[0])
          snprintf(why, sizeof why, "failed without a message");
        else if (r.st != 0 && !starts_with_phase(r.msg, r.in) &&
                 !(!strcmp(F->kind, "flash_error") && starts_with_phase(r.msg, "verify")))
          snprintf(why, sizeof why, "the message does not start with the phase %s (the host's when it fired)",
                   r.in);
        else if (r.st != 0 && !names_any(r.msg, F->cause))
          snprintf(why, sizeof why, "the message does not name the cause (%s)", F->cause);
        else if (r.st != 0 && ff > bound)
          snprintf(why, sizeof why, "slow: %.3f s from the fault to the end > %.3f s", ff, bound);
        else if (r.xfers > 10 * clean.xfers)
          snprintf(why, sizeof why, "USB flood: %llu transfers > 10 x %llu", r.xfers, clean.xfers);
        else if (rep.st != 0 || !rep.same)
          snprintf(why, sizeof why, "the rerun did not repair the board: exit %d, %s", rep.st,
                   rep.same ? "image in flash" : "flash differs");
        if (r.fired >= 0 && strcmp(r.in, ph) != 0)
          t.later++;
        if (r.host > worst_host)
          worst_host = r.host;
        if (r.xfers * worst_xfer_ratio_den > worst_xfer_ratio_num * clean.xfers) {
          worst_xfer_ratio_num = r.xfers;
          worst_xfer_ratio_den = clean.xfers;
        }
        if (r.fired >= 0 && r.st != 0) { /* fail fast: the failures (an absorbed run just goes on) */
          if (ff > t.max_ff)
            t.max_ff = ff;
          if (ff - clean.busy > t.max_excess)
            t.max_excess = ff - clean.busy;
        }
        if (why[0]) {
          t.bad++;
          t.false_success += (unsigned)false_success;
          printf("FAIL %s %s %s (%s): %s: exit %d, fault at %.6f s, end %.6f s, %llu transfers: %s\n",
                 spec, F->name, ph, fs, why, r.st, r.fired, r.t, r.xfers, r.msg);
        } else {
          if (r.st == 0)
            t.absorbed++;
          else
            t.failed_msg++;
          if (verbose)
            printf("ok %s %s %s (%s): %s, %.3f s fault to end, %llu transfers%s%s\n", spec, F->name, ph, fs,
                   r.st ? "failed" : "absorbed (image verified)", ff, r.xfers, r.st ? ": " : "", r.msg);
        }
        fflush(stdout);
      }
    }
    emit("| %s | %s (`%s`) | %u | %u | %u | %u | %u | %u | %u | %.3f s | |\n", probe_label, B->family, B->bench,
         t.cases, t.failed_msg, t.absorbed, t.na, t.false_success, t.bad, t.later, t.max_ff);
    printf("%s: %u cases: %u failed with a message naming phase and cause, %u absorbed (image verified), "
           "%u n/a, %u false successes, %u bad, %u fired in a later phase; fault to end at most %.3f s (%.3f s beyond the clean "
           "run's flash busy time %.3f s); clean run %.3f s, %llu transfers\n",
           spec, t.cases, t.failed_msg, t.absorbed, t.na, t.false_success, t.bad, t.later, t.max_ff, t.max_excess,
           clean.busy, clean.t, clean.xfers);
    fflush(stdout);
    all.cases += t.cases;
    all.failed_msg += t.failed_msg;
    all.absorbed += t.absorbed;
    all.na += t.na;
    all.false_success += t.false_success;
    all.bad += t.bad;
    if (t.max_ff > all.max_ff)
      all.max_ff = t.max_ff;
    if (t.max_excess > all.max_excess)
      all.max_excess = t.max_excess;
  }
  unlink(imgA);
  unlink(imgB);
  unlink(project);
  unlink(st0);
  unlink(st);
  rmdir(dir);
  printf("lf-faultmatrix %s: %u cases, %u passed (%u failed with a message, %u absorbed), %u n/a, %u false "
         "successes, %u bad; fault to end at most %.3f s; longest host run %.3f s; most USB transfers "
         "%.2f x the clean run's\n",
         probe, all.cases, all.failed_msg + all.absorbed, all.failed_msg, all.absorbed, all.na,
         all.false_success, all.bad, all.max_ff, worst_host,
         (double)worst_xfer_ratio_num / (double)worst_xfer_ratio_den);
  if (out)
    fclose(out);
  return all.bad ? 1 : 0;
}
