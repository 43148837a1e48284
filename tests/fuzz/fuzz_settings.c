/* Fuzz target: the settings parser (lua/luaflash/settings.lua): key=value
 * words of the command line (one per input line) through parse_args, the
 * layer through merge (every check: units, ranges, enums, booleans,
 * integers, regions, chip names, "did you mean"), the result through
 * format. It must answer every input with a value or with nil and a
 * message: a Lua error raised out of it (an unchecked value reaching
 * arithmetic or indexing) is a finding, and so is a wrong shape of the
 * result. The C side only carries the bytes in (hex, so NULs survive) and
 * aborts on a finding.
 *
 * Coverage feedback is thin (the Lua VM is the system's, not
 * instrumented: libFuzzer sees the C of luaflash's Lua bindings); the
 * seeds (tests/fuzz/corpus/settings) hold one valid and a few invalid
 * words per kind of setting, which the mutator recombines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/lf_lua.h"

#ifndef LF_FUZZ_LUA_DIR
#define LF_FUZZ_LUA_DIR "lua"
#endif

static const char harness[] =
  "local settings = require('luaflash.settings')\n"
  "function __lf_fuzz_settings(hex)\n"
  "  local input = hex:gsub('..', function(h) return string.char(tonumber(h, 16)) end)\n"
  "  local words = {}\n"
  "  for w in input:gmatch('[^\\n]+') do words[#words + 1] = w end\n"
  "  local ok, layer, err = pcall(settings.parse_args, words)\n"
  "  if not ok then error('FUZZBUG parse_args raised: ' .. tostring(layer), 0) end\n"
  "  if not layer then\n"
  "    if type(err) ~= 'string' then error('FUZZBUG parse_args: nil without a message', 0) end\n"
  "    return\n"
  "  end\n"
  "  local ok2, eff, origin = pcall(settings.merge, { layer })\n"
  "  if not ok2 then error('FUZZBUG merge raised: ' .. tostring(eff), 0) end\n"
  "  if not eff then\n"
  "    if type(origin) ~= 'string' then error('FUZZBUG merge: nil without a message', 0) end\n"
  "    return\n"
  "  end\n"
  "  for k, sp in pairs(settings.spec) do\n"
  "    local v = eff[k]\n"
  "    if type(v) == 'number' and ((sp.min and v < sp.min) or (sp.max and v > sp.max) or v ~= v) then\n"
  "      error('FUZZBUG ' .. k .. ' = ' .. tostring(v) .. ' accepted out of range', 0)\n"
  "    end\n"
  "  end\n"
  "  for i, r in ipairs(eff.protect or {}) do\n"
  "    if math.type(r.addr) ~= 'integer' or math.type(r.len) ~= 'integer' or r.addr < 0 or r.len < 1\n"
  "       or r.addr > 0xffffffff or r.len > 0x100000000 - r.addr then\n"
  "      error(string.format('FUZZBUG protect region %d accepted: addr %s len %s', i, r.addr, r.len), 0)\n"
  "    end\n"
  "  end\n"
  "  local ok3, text = pcall(settings.format, eff, origin)\n"
  "  if not ok3 or type(text) ~= 'string' then error('FUZZBUG format: ' .. tostring(text), 0) end\n"
  "end\n";

static lf_lua *L;
static lf_session *S;

static void setup(void)
{
  S = lf_session_new();
  const char *src = getenv("LF_SOURCE_DIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", LF_FUZZ_LUA_DIR);
  if (src && src[0])
    snprintf(dir, sizeof dir, "%s/lua", src);
  if (!S || lf_lua_new(S, dir, &L) != 0 || lf_lua_run_string(L, harness, "=fuzz_settings") != 0) {
    fprintf(stderr, "fuzz_settings: setup failed: %s\n", L ? lf_lua_message(L) : "lf_lua_new");
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!L)
    setup();
  if (size > 4096)
    return 0; /* command lines are short; the parser's cost grows with the word */
  char *hex = malloc(2 * size + 1);
  if (!hex)
    return 0;
  for (size_t i = 0; i < size; i++)
    snprintf(hex + 2 * i, 3, "%02x", data[i]);
  hex[2 * size] = 0;
  lf_lua_set_cli(L, "fuzz_input", hex);
  free(hex);
  if (lf_lua_run_string(L, "__lf_fuzz_settings(require('luaflash').cli.fuzz_input)", "=fuzz") != 0) {
    fprintf(stderr, "fuzz_settings: %s\n", lf_lua_message(L));
    abort();
  }
  return 0;
}
