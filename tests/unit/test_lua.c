/* Lua bindings against the in-process bench: snippets run through the same
 * runtime as the CLI (lf_lua), with their assertions in Lua and the exit
 * status and message checked here. References: stm32f7-target.md 10.1
 * (DPIDR 0x5BA02477), 12 (DBGMCU_IDCODE 0x10016451 on the bench's F767). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/session.h"
#include "script/lf_lua.h"

typedef struct fx {
  lf_session *s;
  lf_lua *l;
} fx;

static int setup(void **state)
{
  fx *f = calloc(1, sizeof *f);
  f->s = lf_session_new();
  const char *src = getenv("LF_SOURCE_DIR");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/lua", src ? src : ".");
  assert_int_equal(lf_lua_new(f->s, dir, &f->l), 0);
  assert_int_equal(lf_lua_attach_bench(f->l, &(lf_lua_bench_opts){.boards = "nucleo-f767zi"}), 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fx *f = *state;
  lf_lua_free(f->l);
  lf_session_free(f->s);
  free(f);
  return 0;
}

static void ok(fx *f, const char *chunk)
{
  int st = lf_lua_run_string(f->l, chunk, "=snippet");
  if (st != 0)
    fail_msg("status %d: %s", st, lf_lua_message(f->l));
}

/* Runs a chunk that must fail with `status` and a message containing each of
 * the NULL-terminated `parts`. */
static void fails(fx *f, const char *chunk, int status, ...)
{
  int st = lf_lua_run_string(f->l, chunk, "=snippet");
  const char *m = lf_lua_message(f->l);
  if (st != status)
    fail_msg("status %d (want %d): %s", st, status, m);
  va_list ap;
  va_start(ap, status);
  for (const char *p; (p = va_arg(ap, const char *));)
    if (!strstr(m, p))
      fail_msg("message lacks '%s': %s", p, m);
  va_end(ap);
}

static void open_connect_reads_dpidr_and_idcode(void **state)
{
  ok(*state, "local lf = require 'luaflash'\n"
             "local list = lf.probes()\n"
             "assert(#list == 1 and list[1].kind == 'stlink' and list[1].firmware == 'V2J37M26')\n"
             "assert(list[1].serial == '066DFF575251717867174428' and list[1].index == 0)\n"
             "local p <close> = lf.open()\n"
             "assert(p:set_clock(4000000) == 4000000)\n"
             "assert(p:set_clock(3999999) == 1800000, 'nearest V2 frequency not above')\n"
             "p:connect()\n"
             "assert(p:read_dp(0) == 0x5BA02477, string.format('%08x', p:read_dp(0)))\n"
             "assert(p:idcode() == 0x5BA02477)\n"
             "assert(p:read_ap(0, 0xFC) == 0x74770001)\n"
             "assert(p.read32 == nil, 'memory is the target\\'s, not the probe\\'s')\n"
             "local t = p:target(); t:connect('attach')\n"
             "assert(t:read32(0xE0042000) == 0x10016451)\n"
             "local v = p:target_voltage(); assert(v > 3.0 and v < 3.5, v)\n"
             "local i = p:info(); assert(i.product == 'ST-LINK/V2-1' and i.location == 'bench:1')\n");
}

/* Every length 0..9 at every offset around the 1 KiB TAR boundary, checked
 * against the bench's backdoor. */
static void sram_round_trip_across_1k_boundary(void **state)
{
  ok(*state, "local lf = require 'luaflash'\n"
             "local p <close> = lf.open()\n"
             "local b = p:bench()\n"
             "local t = p:target(); t:connect('attach')\n"
             "for off = 0x3F9, 0x400 do for len = 0, 9 do\n"
             "  local a = 0x20020000 + off\n"
             "  local s = {} for i = 1, len do s[i] = string.char((off * 7 + len * 13 + i) % 256) end\n"
             "  s = table.concat(s)\n"
             "  t:write(a, s)\n"
             "  assert(t:read(a, len) == s, string.format('read %x+%d', a, len))\n"
             "  assert(b:peek(a, len) == s, string.format('peek %x+%d', a, len))\n"
             "end end\n"
             "local big = string.rep('\\1\\2\\3\\4\\5\\6\\7', 9363)\n" /* 65541 bytes */
             "t:write(0x20020003, big)\n"
             "assert(b:peek(0x20020003, #big) == big and t:read(0x20020003, #big) == big)\n"
             "t:write32(0x20020000, 0xDEADBEEF)\n"
             "assert(t:read32(0x20020000) == 0xDEADBEEF)\n"
             "assert(t:read16(0x20020002) == 0xDEAD and t:read8(0x20020001) == 0xBE)\n"
             "t:write16(0x20020002, 0x1234); t:write8(0x20020000, 0x56)\n"
             "assert(b:peek(0x20020000, 4) == '\\x56\\xBE\\x34\\x12')\n"
             "assert(lf.crc32('123456789') == 0xCBF43926)\n");
}

static void c_errors_reach_lua_with_their_text(void **state)
{
  fx *f = *state;
  ok(f, "local lf = require 'luaflash'\n"
        "P = lf.open(); T = P:target(); T:connect('attach')\n");
  fails(f, "T:read32(0x30000000)", 1, "snippet:1:", "0x30000000", "FAULT", NULL);
  fails(f, "T:read(0x30000000, 8)", 1, "0x30000000", NULL);
  fails(f, "T:read32(0x20020001)", 1, "bad argument #1 to 'read32'",
        "address 0x20020001 is not 4-byte aligned", NULL);
  fails(f, "T:read32('x')", 1, "bad argument #1 to 'read32'", "number expected, got string",
        NULL);
  fails(f, "T:write8(0x20020000, 256)", 1, "value 0x100 does not fit in 8 bits", NULL);
  fails(f, "T:read32(-1)", 1, "address out of range 0..0xFFFFFFFF", NULL);
  fails(f, "T:read(0xFFFFFFF0, 32)", 1, "passes the end of the 32-bit address space", NULL);
  fails(f, "P:connect('sideways')", 1, "invalid option 'sideways'", NULL);
  fails(f, "require('luaflash').open('NOSUCHSERIAL')", 1, "NOSUCHSERIAL", NULL);
  fails(f, "require('luaflash').open{serail = 'x'}", 1, "unknown option 'serail'",
        "known: serial, index, location, kind", NULL);
  fails(f, "require('luaflash').bench('nucleo-f999')", 1, "unknown board 'nucleo-f999'", NULL);
  fails(f, "require('luaflash').bench{'nucleo-f767zi', probe = 'v9'}", 1, "unknown probe 'v9'",
        NULL);
  fails(f, "require('luaflash').bench{'nucleo-f767zi', faults = 'usb_explode@1'}", 1,
        "usb_explode", NULL);
  fails(f, "require('luaflash').bench{'nucleo-f767zi', params = {no_such_param = 1}}", 1,
        "no_such_param", NULL);
  fails(f, "require('luaflash').usage_error('bad key clokc')", 2, "snippet:1: bad key clokc",
        NULL);
  fails(f, "error('plain')", 1, "snippet:1: plain", "stack traceback:", NULL);
  fails(f, "this is not lua", 2, "syntax error", NULL);
  ok(f, "P:close()");
}

/* A faulty USB transfer (bench fault injection) is an error naming the probe,
 * not a hang; the next script still runs. */
static void usb_fault_gives_clear_error(void **state)
{
  ok(*state, "local lf = require 'luaflash'\n"
             "local b <close> = lf.bench{'nucleo-f767zi', faults = 'usb_timeout@12'}\n"
             "local p <close> = b:open()\n"
             "local ok, e = pcall(function() local t = p:target(); t:connect('attach'); for i = 1, 10 do t:read32(0x20020000) end end)\n"
             "assert(not ok and e:find('066DFF575251717867174428') and e:find('time'), e)\n"
             "assert(b:counters().probe.usb_timeouts == 1)\n");
}

static void close_releases_on_every_path(void **state)
{
  ok(*state, "local lf = require 'luaflash'\n"
             "local b <close> = lf.bench('nucleo-f767zi,nucleo-f767zi')\n"
             "assert(b:count() == 2 and b:serial(2) == '066DFF575251717867174402')\n"
             "local held\n"
             "do local p <close> = b:open(1); held = p; p:connect() end\n"
             "assert(held:is_closed())\n"
             "local ok, e = pcall(function() local p <close> = b:open('bench:2'); held = p; error('x') end)\n"
             "assert(not ok and held:is_closed())\n"
             "local ok2, e2 = pcall(held.read_dp, held, 0)\n"
             "assert(not ok2 and e2:find('probe is closed'), e2)\n"
             "local ok3, e3 = pcall(function() return held:read_dp(0) end)\n"
             "assert(e3:find(\"calling 'read_dp' on bad self %(probe is closed%)\"), e3)\n"
             "local p = b:open{index = 1}; local t = p:target()\n"
             "assert(p:info().location == 'bench:2')\n"
             "b:close()\n" /* parent closes its children */
             "assert(p:is_closed() and t:is_closed() and b:is_closed())\n"
             "assert(not pcall(b.report, b))\n"
             "b:close(); p:close()\n" /* closing twice is fine */
             "collectgarbage(); collectgarbage()\n");
  /* Unreachable objects are finalized in any order without leaks (ASan). */
  ok(*state, "local lf = require 'luaflash'\n"
             "for i = 1, 3 do local b = lf.bench('nucleo-f767zi'); local p = b:open(); "
             "p:target(); p:connect() end\n"
             "collectgarbage(); collectgarbage()\n");
}

static void target_halt_regs_step_run_function(void **state)
{
  ok(*state,
     "local lf = require 'luaflash'\n"
     "local p <close> = lf.open(); local t <close> = p:target{disconnect_timeout = 0.1}\n"
     "local info = t:connect('halt')\n"
     "assert(info.core == 'Cortex-M7' and info.dpidr == 0x5BA02477 and info.idcode == 0x10016451)\n"
     "assert(t:is_halted())\n"
     /* adds r0, r0, r1 ; bx lr  |  nop ; nop ; b . */
     "t:write(0x20020000, string.pack('<I2I2I2I2I2', 0x1840, 0x4770, 0xBF00, 0xBF00, 0xE7FE))\n"
     "assert(t:run_function(0x20020001, {2, 3}, 0x20030000, 0.1) == 5)\n"
     "assert(t:run_function(0x20020001, {0xFFFFFFFF, 2}, 0x20030000, 0.1) == 1)\n"
     "t:write_reg('pc', 0x20020004); t:write_reg('xpsr', 0x01000000)\n"
     "t:write_reg('r7', 0x12345678); assert(t:read_reg('r7') == 0x12345678)\n"
     "t:step(); assert(t:read_reg('pc') == 0x20020006)\n"
     "t:step(); assert(t:read_reg('pc') == 0x20020008)\n"
     "local r = t:regs(); assert(r.pc == 0x20020008 and r.r7 == 0x12345678)\n"
     "t:resume(); assert(not t:is_halted()); t:halt(); assert(t:read_reg('pc') == 0x20020008)\n"
     "local ok, e = pcall(t.read_reg, t, 'r99'); assert(e:find(\"unknown core register 'r99'\"), e)\n"
     "local ok2, e2 = pcall(t.run_function, t, 0x20020009, {}, 0x20030000, 0.01)\n" /* b . */
     "assert(not ok2 and e2:find('0x20020008'), e2)\n"
     "t:reset('system', true); assert(t:is_halted())\n"
     "local d = t:disconnect(); assert(d >= 0.1 and d < 0.101, d)\n");
}

/* Each injected fault is an error naming what failed, bounded in modeled
 * time (no hang), and the target layer recovers for the next access except
 * when the connect itself was cut short. */
static void faults_give_clear_errors_and_no_hang(void **state)
{
  ok(*state,
     "local lf = require 'luaflash'\n"
     "local cases = {\n"
     "  {'usb_timeout@14', 'IN transfer of 8 bytes on endpoint 0x81: timeout', true},\n"
     "  {'usb_stall@14', 'endpoint stalled', true},\n"
     "  {'usb_short@8', 'read IDCODE: short reply %(6 of 12 bytes%)', false},\n"
     "  {'swd_fault@3', 'read word at 0xe000ed00: AP FAULT', true},\n"
     "}\n"
     "for _, c in ipairs(cases) do\n"
     "  local b <close> = lf.bench{'nucleo-f767zi', faults = c[1]}\n"
     "  local p <close> = b:open(); local t = p:target()\n"
     "  local ok, e = pcall(function() t:connect('halt'); for i = 1, 10 do t:read32(0x20020000) end end)\n"
     "  assert(not ok and e:find(c[2]), c[1] .. ': ' .. tostring(e))\n"
     "  assert(e:find('066DFF575251717867174428'), e)\n"
     "  assert(b:time_ns() < 1.1e9, c[1] .. ' took ' .. b:time_ns())\n"
     "  local ok2, e2 = pcall(t.read32, t, 0x20020000)\n"
     "  assert(ok2 == c[3], c[1] .. ' after: ' .. tostring(e2))\n"
     "end\n"
     /* WAIT answers are retried by the probe: no error at all */
     "local b <close> = lf.bench{'nucleo-f767zi', faults = 'swd_wait@20x5'}\n"
     "local p <close> = b:open(); local t = p:target(); t:connect('halt')\n"
     "assert(t:read32(0xE0042000) == 0x10016451 and b:counters().dap.waits == 5)\n");
}

/* Reset kinds through the target: with halt the core stops at the reset
 * vector of the erased flash (0xFFFFFFFE: vector 0xFFFFFFFF, bit 0 = Thumb). */
static void reset_kinds_and_nrst_halt_at_reset_vector(void **state)
{
  /* NRST through the probe: the core's reset counter moves when it is
   * released; connect under reset halts at the reset vector. */
  ok(*state,
     "local lf = require 'luaflash'\n"
     "local p <close> = lf.open(); local b = p:bench()\n"
     "p:connect('under-reset'); local n = b:counters().core.resets\n"
     "p:nrst(true); b:run(1000000); assert(b:counters().core.resets == n)\n"
     "p:nrst(false); b:run(1000000); assert(b:counters().core.resets == n + 1)\n"
     "local t <close> = p:target(); t:connect('under-reset')\n"
     "assert(t:is_halted() and t:read_reg('pc') == 0xFFFFFFFE)\n"
     "local ok, e = pcall(p.nrst, p, 1); assert(e:find('boolean expected'), e)\n");
  ok(*state,
     "local lf = require 'luaflash'\n"
     "local p <close> = lf.open(); local t <close> = p:target(); t:connect('halt')\n"
     "local b = p:bench()\n"
     "for _, k in ipairs{'system', 'vector', 'hardware'} do\n"
     "  t:write_reg('r5', 0x55); local n = b:counters().core.resets\n"
     "  t:reset(k, true)\n"
     "  assert(t:is_halted() and t:read_reg('pc') == 0xFFFFFFFE, k)\n"
     "  assert(b:counters().core.resets > n, k)\n"
     "end\n"
     "local ok, e = pcall(t.reset, t, 'sideways'); assert(e:find(\"invalid option 'sideways'\"), e)\n");
}

/* lf.listdir: a folder's entries sorted bytewise, without "." and "..";
 * names with shell syntax are plain names; a folder that cannot be read
 * answers nil, "path: reason", errno like io.open. */
static void listdir_sorts_names_and_reports_unreadable_folders(void **state)
{
  char dir[] = "/tmp/lf-listdir-XXXXXX";
  assert_non_null(mkdtemp(dir));
  static const char *const files[] = {"b.lua", "a.lua", "B", "$(x)`y`\"z"};
  char p[256];
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
  }
  snprintf(p, sizeof p, "%s/sub", dir);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/empty", dir);
  assert_int_equal(mkdir(p, 0700), 0);

  char chunk[2048];
  snprintf(chunk, sizeof chunk,
           "local lf = require 'luaflash'\n"
           "local d = '%s'\n"
           "local t = assert(lf.listdir(d))\n"
           "assert(table.concat(t, '|') == '$(x)`y`\"z|B|a.lua|b.lua|empty|sub', table.concat(t, '|'))\n"
           "assert(#assert(lf.listdir(d .. '/empty')) == 0)\n"
           "local n, e, code = lf.listdir(d .. '/missing')\n"
           "assert(n == nil and e == d .. '/missing: No such file or directory' and code == 2, e)\n"
           "n, e, code = lf.listdir(d .. '/a.lua')\n"
           "assert(n == nil and e == d .. '/a.lua: Not a directory' and code == 20, e)\n"
           "local ok, err = pcall(lf.listdir, d .. '\\0/sub')\n"
           "assert(not ok and err:find('path contains a NUL byte'), err)\n"
           "ok, err = pcall(lf.listdir)\n"
           "assert(not ok and err:find('string expected, got no value'), err)\n",
           dir);
  ok(*state, chunk);

  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  snprintf(p, sizeof p, "%s/sub", dir);
  rmdir(p);
  snprintf(p, sizeof p, "%s/empty", dir);
  rmdir(p);
  rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(open_connect_reads_dpidr_and_idcode, setup, teardown),
    cmocka_unit_test_setup_teardown(sram_round_trip_across_1k_boundary, setup, teardown),
    cmocka_unit_test_setup_teardown(c_errors_reach_lua_with_their_text, setup, teardown),
    cmocka_unit_test_setup_teardown(usb_fault_gives_clear_error, setup, teardown),
    cmocka_unit_test_setup_teardown(close_releases_on_every_path, setup, teardown),
    cmocka_unit_test_setup_teardown(target_halt_regs_step_run_function, setup, teardown),
    cmocka_unit_test_setup_teardown(faults_give_clear_errors_and_no_hang, setup, teardown),
    cmocka_unit_test_setup_teardown(reset_kinds_and_nrst_halt_at_reset_vector, setup, teardown),
    cmocka_unit_test_setup_teardown(listdir_sorts_names_and_reports_unreadable_folders, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
