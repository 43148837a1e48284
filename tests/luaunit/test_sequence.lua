-- Unit tests of lua/luaflash/sequence.lua against a fake engine that records
-- every primitive call (and, in the streamed tests, every hook call in the
-- same list, so their relative order is asserted exactly). The streamed
-- tests give the target flash(), the one-stream loader production uses.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local Q = require("luaflash.sequence")
local S = require("luaflash.settings")


-- opts.flash: the target also offers the streaming loader, flash(plan,
-- {erase=, program=, verify=}), recorded as flash(<the parts it was asked
-- for>) with fixed phase times.
local function fake(fail_at, opts)
  local calls = {}
  local function rec(name) calls[#calls + 1] = name; if fail_at == name then error("boom in " .. name, 0) end end
  local target = {
    erase = function() rec("erase") end,
    program = function() rec("program") end,
    verify = function(_, _, mode) rec("verify:" .. mode) end,
    reset = function(_, kind) rec("reset:" .. kind) end,
    disconnect = function(_, t) rec("disconnect:" .. t) end,
  }
  if opts and opts.flash then
    target.flash = function(_, _, o)
      local parts = {}
      for _, k in ipairs({ "erase", "program", "verify" }) do if o[k] then parts[#parts + 1] = k end end
      rec("flash(" .. table.concat(parts, ",") .. ")")
      return { erase_s = 0.25, program_s = 0.5, verify_s = 0.125, run_s = 0.75, verified = 3 }
    end
  end
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

local function phase_names(r)
  local t = {}
  for _, p in ipairs(r.phases) do t[#t + 1] = p.name end
  return table.concat(t, " ")
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

-- ---- replaceable steps: a project or a board defines connect, plan, program, reset, disconnect ----

-- A function that appends `name` to calls, then calls its `default` (unless
-- call_default is false).
local function step(calls, name, call_default)
  return function(ctx, default)
    calls[#calls + 1] = name
    if call_default ~= false then return default(ctx) end
  end
end

test("every_step_is_replaced_by_the_project_and_each_calls_the_default", function()
  local engine, calls = fake()
  local s, o = settings()
  local hooks = {}
  for _, n in ipairs({ "connect", "plan", "program", "reset", "disconnect" }) do hooks[n] = step(calls, "my_" .. n) end
  local r = Q.run({ hooks = hooks }, s, o, engine)
  eq(table.concat(calls, " "), "load_images my_connect open_probe connect@4000000 check_images my_program " ..
    "my_plan plan erase program verify:crc my_reset reset:system my_disconnect disconnect:0.1 close")
  eq(r.ok, true); eq(r.verified, true)
  eq(phase_names(r), "connect erase program verify reset disconnect")
end)

test("connect_time_is_the_default_connect_s_own_or_from_its_start_when_a_replacement_returns_nothing", function()
  -- the fake clock counts calls: connect@ is one call after the connect starts
  local engine = fake()
  local s, o = settings()
  eq(Q.run({ hooks = {} }, s, o, engine).phases[1].seconds, 1, "the default's own time")
  local calls
  engine, calls = fake()
  local r = Q.run({ hooks = { connect = function(ctx, default)
    default(ctx)
    calls[#calls + 1] = "init1"; calls[#calls + 1] = "init2"
  end } }, s, o, engine)
  eq(r.phases[1].seconds, 3, "connect@ + the replacement's two steps after it")
end)

test("a_replacement_that_skips_the_default_replaces_it", function()
  local engine, calls = fake()
  local s, o = settings()
  local r = Q.run({ hooks = { reset = step(calls, "my_reset", false) } }, s, o, engine)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan erase program " ..
    "verify:crc my_reset disconnect:0.1 close")
  eq(phase_names(r), "connect erase program verify reset disconnect")
end)

test("reset_none_runs_no_reset_step_not_even_a_replacement", function()
  local engine, calls = fake()
  local s, o = settings({ reset = "none" })
  Q.run({ hooks = { reset = step(calls, "my_reset") } }, s, o, engine)
  eq(table.concat(calls, " "):find("reset"), nil)
end)

test("hooks_still_wrap_a_replaced_step", function()
  local engine, calls = fake()
  local s, o = settings()
  local hooks = { connect = step(calls, "my_connect"), reset = step(calls, "my_reset") }
  for _, n in ipairs({ "will_connect", "did_connect", "will_reset", "did_reset" }) do
    hooks[n] = function() calls[#calls + 1] = n end
  end
  Q.run({ hooks = hooks }, s, o, engine)
  eq(table.concat(calls, " "), "load_images will_connect my_connect open_probe connect@4000000 did_connect " ..
    "check_images plan erase program verify:crc will_reset my_reset reset:system did_reset disconnect:0.1 close")
end)

-- The calls of a default run with the board's and the project's functions
-- that make(calls) returns, after the plan/erase/program/verify part.
local function board_and_project(make)
  local engine, calls = fake()
  local board, project = make(calls)
  engine.board = { hooks = board }
  local s, o = settings()
  Q.run({ hooks = project }, s, o, engine)
  local all = table.concat(calls, " ")
  local head = "load_images open_probe connect@4000000 check_images plan erase program verify:crc "
  eq(all:sub(1, #head), head, "the run up to verify")
  return all:sub(#head + 1)
end

test("board_steps_sit_under_the_project_project_calls_board_calls_default", function()
  eq(board_and_project(function(c)
    return { reset = step(c, "board_reset"), disconnect = step(c, "board_disconnect") },
      { reset = step(c, "project_reset") }
  end), "project_reset board_reset reset:system board_disconnect disconnect:0.1 close")
end)

test("a_project_step_that_does_not_call_default_overrides_the_board_step", function()
  eq(board_and_project(function(c)
    return { reset = step(c, "board_reset") }, { reset = step(c, "project_reset", false) }
  end), "project_reset disconnect:0.1 close")
end)

test("luaflash_own_steps_stay_reachable_skipping_the_board", function()
  local steps = require("luaflash.steps")
  eq(board_and_project(function(c)
    return { reset = step(c, "board_reset") },
      { reset = function(ctx) c[#c + 1] = "project_reset"; steps.reset(ctx) end }
  end), "project_reset reset:system disconnect:0.1 close")
end)

test("board_hooks_run_and_a_project_hook_replaces_the_board_hook_it_gets_as_default", function()
  local engine, calls = fake()
  local function hook(name, call_default)
    return function(ctx, default)
      calls[#calls + 1] = name
      if call_default then return default(ctx) end
    end
  end
  engine.board = { hooks = { will_connect = hook("board_will_connect"), did_connect = hook("board_did_connect"),
    will_reset = hook("board_will_reset") } }
  local s, o = settings()
  Q.run({ hooks = { did_connect = hook("project_did_connect", false),
    will_reset = hook("project_will_reset", true), will_disconnect = hook("project_will_disconnect", true) } },
    s, o, engine)
  eq(table.concat(calls, " "), "load_images board_will_connect open_probe connect@4000000 project_did_connect " ..
    "check_images plan erase program verify:crc project_will_reset board_will_reset reset:system " ..
    "project_will_disconnect disconnect:0.1 close")
end)

test("a_replaced_plan_step_is_the_plan_the_default_program_flashes", function()
  local engine, calls = fake(nil, { flash = true })
  local s, o = settings()
  local mine = { mine = true }
  local got
  engine.plan = function() error("the engine's plan must not run") end
  local open_probe = engine.open_probe
  engine.open_probe = function(st)
    local p = open_probe(st)
    local connect = p.connect
    p.connect = function(self, st2)
      local T = connect(self, st2)
      local f = T.flash
      T.flash = function(t, plan, w) got = plan; return f(t, plan, w) end
      return T
    end
    return p
  end
  Q.run({ hooks = { plan = function(ctx) calls[#calls + 1] = "my_plan"; return mine end } }, s, o, engine)
  eq(got, mine, "the stream got the replaced step's plan")
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images my_plan " ..
    "flash(erase,program,verify) reset:system disconnect:0.1 close")
end)

test("a_plan_step_that_makes_no_plan_is_an_error_before_any_write", function()
  local engine, calls = fake()
  local s, o = settings()
  local ok, err = pcall(Q.run, { hooks = { plan = function() end } }, s, o, engine)
  eq(ok, false)
  assert(tostring(err):find("plan%(ctx%) made no plan"), err)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images reset:system disconnect:0.1 close")
end)

test("a_connect_step_that_leaves_no_target_is_an_error", function()
  local engine, calls = fake()
  local s, o = settings()
  local ok, err = pcall(Q.run, { hooks = { connect = function(ctx) ctx.probe = engine.open_probe(ctx.settings) end } },
    s, o, engine)
  eq(ok, false)
  assert(tostring(err):find("connect%(ctx%) left no target"), err)
  eq(table.concat(calls, " "), "load_images open_probe close")
end)

test("after_a_failure_the_replaced_reset_and_disconnect_run_without_hooks_and_on_error_gets_the_board_one", function()
  local engine, calls = fake("program")
  engine.board = { hooks = { on_error = function(_, e) calls[#calls + 1] = "board_on_error:" .. e:match("^[^\n]*") end } }
  local s, o = settings()
  local hooks = { reset = step(calls, "my_reset"), disconnect = step(calls, "my_disconnect"),
    will_reset = function() calls[#calls + 1] = "will_reset" end,
    on_error = function(ctx, err, default) calls[#calls + 1] = "on_error"; default(ctx, err) end }
  local ok = pcall(Q.run, { hooks = hooks }, s, o, engine)
  eq(ok, false)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan erase program " ..
    "on_error board_on_error:boom in program my_reset reset:system my_disconnect disconnect:0.1 close")
end)

-- ---- the streamed path: the target offers flash(), as production's does ----

-- Hooks that append their own name to `calls` (will_* return nothing: the
-- phase runs).
local function recording_hooks(calls, names)
  local h = {}
  for _, n in ipairs(names) do h[n] = function() calls[#calls + 1] = n end end
  return h
end

local all_hooks = { "will_connect", "did_connect", "will_erase", "did_erase", "will_program", "did_program",
  "will_verify", "did_verify", "will_reset", "did_reset", "will_disconnect", "did_disconnect" }
local function hooks_except(calls, leave_out)
  local names = {}
  for _, n in ipairs(all_hooks) do if not leave_out[n] then names[#names + 1] = n end end
  return recording_hooks(calls, names)
end

local function phase_list(r)
  local t = {}
  for _, p in ipairs(r.phases) do
    t[#t + 1] = p.name .. (p.skipped and "(skipped)" or "") .. (p.streamed and "(streamed)" or "")
  end
  return table.concat(t, " ")
end

test("streamed_erase_program_verify_is_one_flash_call_with_every_other_hook_in_order", function()
  local engine, calls = fake(nil, { flash = true })
  local s, o = settings()
  local hooks = hooks_except(calls, { did_erase = true, will_program = true, did_program = true, will_verify = true })
  local seen
  local did_verify = hooks.did_verify
  hooks.did_verify = function(ctx) seen = ctx.result.verified_sectors; did_verify(ctx) end
  local r = Q.run({ hooks = hooks }, s, o, engine)
  eq(table.concat(calls, " "), "load_images will_connect open_probe connect@4000000 did_connect check_images " ..
    "plan will_erase flash(erase,program,verify) did_verify will_reset reset:system did_reset " ..
    "will_disconnect disconnect:0.1 did_disconnect close")
  eq(seen, 3, "did_verify sees the verified sectors")
  eq(phase_list(r), "connect erase(streamed) program(streamed) verify(streamed) reset disconnect")
  eq(r.phases[2].seconds, 0.25); eq(r.phases[3].seconds, 0.5); eq(r.phases[4].seconds, 0.125)
  eq(r.stream_s, 0.75); eq(r.verified, true); eq(r.verified_sectors, 3)
end)

test("streamed_without_hooks_is_one_flash_call", function()
  local engine, calls = fake(nil, { flash = true })
  local s, o = settings()
  local r = Q.run({ hooks = {} }, s, o, engine)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan " ..
    "flash(erase,program,verify) reset:system disconnect:0.1 close")
  eq(r.verified, true)
end)

test("did_program_or_will_verify_verify_after_the_stream_between_the_hooks", function()
  for _, case in ipairs({
    { { "did_program" }, "flash(erase,program) did_program verify:crc" },
    { { "will_verify" }, "flash(erase,program) will_verify verify:crc" },
    { { "did_program", "will_verify", "did_verify" }, "flash(erase,program) did_program will_verify verify:crc did_verify" },
  }) do
    local engine, calls = fake(nil, { flash = true })
    local s, o = settings()
    local r = Q.run({ hooks = recording_hooks(calls, case[1]) }, s, o, engine)
    eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan " .. case[2] ..
      " reset:system disconnect:0.1 close", table.concat(case[1], "+"))
    eq(phase_list(r), "connect erase(streamed) program(streamed) verify reset disconnect", table.concat(case[1], "+"))
    eq(r.verified, true)
  end
end)

test("did_erase_or_will_program_split_erase_and_program_into_separate_calls", function()
  local plain = "load_images open_probe connect@4000000 check_images plan "
  local tail = " reset:system disconnect:0.1 close"
  for _, case in ipairs({
    { { "did_erase" }, plain .. "erase did_erase program verify:crc" .. tail },
    { { "will_program" }, plain .. "erase will_program program verify:crc" .. tail },
    { all_hooks, "load_images will_connect open_probe connect@4000000 did_connect check_images plan " ..
      "will_erase erase did_erase will_program program did_program will_verify verify:crc did_verify " ..
      "will_reset reset:system did_reset will_disconnect disconnect:0.1 did_disconnect close" },
  }) do
    local engine, calls = fake(nil, { flash = true })
    local s, o = settings()
    local r = Q.run({ hooks = recording_hooks(calls, case[1]) }, s, o, engine)
    eq(table.concat(calls, " "), case[2], table.concat(case[1], "+"))
    eq(phase_list(r), "connect erase program verify reset disconnect", table.concat(case[1], "+"))
  end
end)

test("streamed_readback_verify_runs_after_the_stream", function()
  local engine, calls = fake(nil, { flash = true })
  local s, o = settings({ verify = "readback" })
  local r = Q.run({ hooks = recording_hooks(calls, { "will_verify", "did_verify" }) }, s, o, engine)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan " ..
    "flash(erase,program) will_verify verify:readback did_verify reset:system disconnect:0.1 close")
  eq(r.verified, true)
end)

test("streamed_verify_false_flashes_without_verify_and_warns", function()
  local engine, calls, logs = fake(nil, { flash = true })
  local s, o = settings({ verify = false })
  local r = Q.run({ hooks = {} }, s, o, engine)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan " ..
    "flash(erase,program) reset:system disconnect:0.1 close")
  eq(r.verified, false)
  eq(logs[1], "warn: verify = false: the programmed data was not verified")
end)

test("streamed_will_erase_false_skips_erase_and_programs_alone", function()
  local engine, calls = fake(nil, { flash = true })
  local s, o = settings()
  local r = Q.run({ hooks = { will_erase = function() calls[#calls + 1] = "will_erase"; return false end } },
    s, o, engine)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan will_erase " ..
    "program verify:crc reset:system disconnect:0.1 close")
  eq(phase_list(r), "connect erase(skipped) program verify reset disconnect")
end)

test("streamed_failure_calls_on_error_resets_and_closes", function()
  local engine, calls = fake("flash(erase,program,verify)", { flash = true })
  local s, o = settings()
  local got
  local ok = pcall(Q.run, { hooks = { on_error = function(_, e) got = e end,
    did_verify = function() calls[#calls + 1] = "did_verify" end } }, s, o, engine)
  eq(ok, false)
  assert(got:find("boom in flash%(erase,program,verify%)"), got)
  eq(table.concat(calls, " "), "load_images open_probe connect@4000000 check_images plan " ..
    "flash(erase,program,verify) reset:system disconnect:0.1 close")
end)

T.done()
