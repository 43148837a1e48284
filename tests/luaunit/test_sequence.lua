-- Unit tests of lua/luaflash/sequence.lua against a fake engine that records
-- every primitive call.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local Q = require("luaflash.sequence")
local S = require("luaflash.settings")


local function fake(fail_at)
  local calls = {}
  local function rec(name) calls[#calls + 1] = name; if fail_at == name then error("boom in " .. name, 0) end end
  local target = {
    erase = function() rec("erase") end,
    program = function() rec("program") end,
    verify = function(_, _, mode) rec("verify:" .. mode) end,
    reset = function(_, kind) rec("reset:" .. kind) end,
    disconnect = function(_, t) rec("disconnect:" .. t) end,
  }
  local probe = {
    connect = function(_, s) rec("connect@" .. s.clock); return target end,
    close = function() rec("close") end,
  }
  local logs = {}
  local engine = {
    load_images = function() rec("load_images"); return {} end,
    open_probe = function() rec("open_probe"); return probe end,
    check_images = function() rec("check_images") end,
    plan = function() rec("plan"); return {} end,
    log = function(level, msg) logs[#logs + 1] = level .. ": " .. msg end,
    clock = function() return #calls end,
  }
  return engine, calls, logs
end

local function settings(over)
  local layers = { { name = "test", values = over or {} } }
  return assert(S.merge(layers))
end

test("default_sequence_runs_every_phase_in_order", function()
  local engine, calls = fake()
  local s, o = settings()
  local r = Q.run({ hooks = {} }, s, o, engine)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan erase program " ..
    "verify:crc reset:system disconnect:0.1 close")
  eq(r.ok, true); eq(r.verified, true)
  eq(#r.phases, 6)
end)

test("will_connect_changes_the_clock_and_hooks_see_ctx", function()
  local engine, calls = fake()
  local s, o = settings()
  local seen = {}
  local hooks = {
    will_connect = function(ctx) ctx.settings.clock = 1800000 end,
    did_program = function(ctx) seen[#seen + 1] = ctx.plan and "plan" or "noplan" end,
  }
  Q.run({ hooks = hooks }, s, o, engine)
  eq(calls[3], "connect@1800000"); eq(seen[1], "plan")
end)

test("will_hook_returning_false_skips_the_phase", function()
  local engine, calls = fake()
  local s, o = settings()
  local r = Q.run({ hooks = { will_erase = function() return false end } }, s, o, engine)
  eq(table.concat(calls, " "):find("erase"), nil)
  eq(r.phases[2].skipped, true); eq(r.phases[2].by, "will_erase")
end)

test("verify_false_warns_and_result_says_unverified", function()
  local engine, calls, logs = fake()
  local s, o = settings({ verify = false, reset = "none" })
  local r = Q.run({ hooks = {} }, s, o, engine)
  eq(r.verified, false)
  eq(logs[1], "warn: verify = false: the programmed data was not verified")
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan erase program disconnect:0.1 close")
end)

test("bad_images_stop_before_the_probe_is_opened", function()
  local engine, calls = fake("load_images")
  local s, o = settings()
  local ok, err = pcall(Q.run, { hooks = {} }, s, o, engine)
  eq(ok, false); assert(tostring(err):find("boom in load_images"), err)
  eq(table.concat(calls, " "), "load_images")
end)

test("image_outside_flash_stops_before_any_write_and_closes_the_probe", function()
  local engine, calls = fake("check_images")
  local s, o = settings()
  local ok = pcall(Q.run, { hooks = {} }, s, o, engine)
  eq(ok, false)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images reset:system disconnect:0.1 close")
end)

test("failure_calls_on_error_once_resets_and_closes", function()
  local engine, calls = fake("program")
  local s, o = settings()
  local got
  local ok, err = pcall(Q.run, { hooks = { on_error = function(ctx, e) got = e; assert(ctx.target) end } }, s, o, engine)
  eq(ok, false)
  assert(got:find("boom in program"), got)
  assert(tostring(err):find("traceback"), "error carries a traceback")
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan erase program " ..
    "reset:system disconnect:0.1 close")
end)

test("hook_error_is_the_error_and_target_is_released", function()
  local engine, calls = fake()
  local s, o = settings()
  local ok, err = pcall(Q.run, { hooks = { did_erase = function() error("hook says no") end } }, s, o, engine)
  eq(ok, false)
  assert(tostring(err):find("hook says no"), err)
  eq(calls[#calls], "close")
end)

test("custom_program_replaces_the_middle", function()
  local engine, calls = fake()
  local s, o = settings()
  Q.run({ hooks = { program = function(ctx)
    ctx.target:erase({})
    Q.phase(ctx, "program", function() ctx.target:program({}) end)
  end } }, s, o, engine)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images erase program " ..
    "reset:system disconnect:0.1 close")
end)

T.done()
