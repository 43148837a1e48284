-- Production flashing: many boards at once, a unique serial number and data
-- per board, option bytes, and a record of every board.
--
--   local prod = require("luaflash.production")
--   prod.run {
--     board = "nucleo_f767zi", image = "app.bin",     -- any project setting
--     probes = "all",                                  -- or luaflash ... --all-probes
--     serials = { counter = "sn.counter", ledger = "sn.jsonl", start = 1000, format = "SN%06d" },
--     serial_at = 0x081FFF00,                           -- serial text + NUL, flashed with the image
--     unique = function(b) return { { addr = 0x081FFF40, data = b.uid } } end,
--     option_bytes = { rdp = 1 },                       -- written after verify, read back
--     log = "boards.jsonl",                             -- one JSON line per board and attempt
--   }
--
-- One board (the job) runs the default sequence (lua/luaflash/sequence.lua)
-- with production hooks around it:
--   did_connect  read the chip's unique ID; check the option-byte change
--                (refused before anything is written when it would erase
--                the chip or lock it for ever without allow_mass_erase /
--                allow_rdp2); reserve the serial number (durable before it
--                is used: serials.lua); lay the per-board data over the
--                image, so it is erased, programmed and verified in the
--                same pass as the image.
--   program      the default program (erase, program, verify), then the
--                option bytes (the chip family's option-byte module, e.g.
--                targets/stm32f7_options.lua: write + verify).
-- Then the board log line (fsynced append), then the serial's outcome in the
-- ledger. A gang (luaflash.gang, src/script/lf_lua_prod.c) runs the same
-- script once per probe, each in its own thread and Lua state; the threads
-- report a status line per change and a result record, and this module
-- prints the summary. Paths are relative to the script's folder.

local lf = require("luaflash")
local json = require("luaflash.json")
local settings = require("luaflash.settings")
local project = require("luaflash.project")
local boards = require("luaflash.boards")
local sequence = require("luaflash.sequence")
local engine = require("luaflash.engine")
local chips = require("luaflash.chips")
local serials = require("luaflash.serials")
local boardlog = require("luaflash.boardlog")
local family = require("luaflash.family")

local M = {}

-- After a gang: the boards' own errors were already reported, so a failure
-- exits 1 with the count alone (no traceback).
local function gang_failed(out)
  local function fail(msg)
    error(setmetatable({ exit = 1, message = msg }, { __tostring = function(e) return e.message end }), 0)
  end
  if out.failed > 0 then fail(string.format("%d of %d board(s) failed", out.failed, #out.boards)) end
  if out.passed == 0 then fail("no board was flashed (no probe found?)") end
end

-- The durable file operations (C: fsync, rename, flock), or plain Lua ones
-- when the C module is not there (pure-Lua tests).
function M.fs()
  if lf.fs then return lf.fs end
  return serials.plain_fs()
end

local prod_keys = {
  probes = true, serials = true, serial_at = true, unique = true, option_bytes = true,
  allow_mass_erase = true, allow_rdp2 = true, log = true, hooks = true,
}

local function hex(bytes)
  return (bytes:gsub(".", function(c) return string.format("%02X", c:byte()) end))
end

-- The message without the Lua position of the code that raised it.
local function first_line(e)
  return (tostring(e):match("^[^\n]*"):gsub("^[^:\n]*%.lua:%d+: ", ""))
end

local function status(text)
  if lf.cli.gang and lf.gang_status then lf.gang_status(text) end
end

local function fail_input(msg) lf.usage_error(msg, 0) end

-- Check everything a job needs before any board is touched. Returns the job.
function M.prepare(spec, dir, words)
  if type(spec) ~= "table" then fail_input("production.run: expected a table of settings") end
  dir = dir or "."
  local values, where, hooks = {}, {}, {}
  for k, v in pairs(spec) do
    if type(k) ~= "string" then fail_input("production.run: non-string key in the table") end
    -- a function under a step's name (connect, reset) is the step, as in a project
    if settings.spec[k] and not (type(v) == "function" and require("luaflash.steps").is_step[k]) then
      values[k] = v; where[k] = "production.run"
    elseif prod_keys[k] then -- below
    elseif project.hooks and type(v) == "function" then
      local known = false
      for _, h in ipairs(project.hooks) do known = known or h == k end
      if not known then fail_input("production.run: unknown hook or setting '" .. k .. "'") end
      hooks[k] = v
    else
      local names = {}
      for n in pairs(prod_keys) do names[#names + 1] = n end
      for _, n in ipairs(settings.keys) do names[#names + 1] = n end
      local hint = settings.suggest(k, names)
      fail_input("production.run: unknown setting '" .. k .. "'" .. (hint and (" (did you mean '" .. hint .. "'?)") or ""))
    end
  end
  for k, v in pairs(spec.hooks or {}) do hooks[k] = v end
  if type(values.image) == "string" then values.image = project.resolve(dir, values.image)
  elseif type(values.image) == "table" then
    local list = {}
    for i, im in ipairs(values.image) do
      if type(im) == "string" then im = { im } end
      local c = {}
      for k, v in pairs(im) do c[k] = v end
      c.path = project.resolve(dir, im.path or im[1]); c[1] = nil
      list[i] = c
    end
    values.image = list
  end
  if spec.probes ~= nil and spec.probes ~= "all" then
    fail_input("production.run: 'probes' must be \"all\" (every attached probe) or absent (one probe)")
  end
  local kv = {}
  for _, w in ipairs(words or {}) do
    if w:match("^[%w_]+=") then kv[#kv + 1] = w end
  end
  local cli_layer, perr = settings.parse_args(kv)
  if not cli_layer then fail_input(perr) end
  local board
  local layers = {}
  local bname = cli_layer.values.board or values.board
  if bname then
    local b, berr = boards.load(bname, require("luaflash.init").boards_dirs())
    if not b then fail_input("production.run: " .. berr) end
    board = b
    layers[#layers + 1] = b.layer
  end
  layers[#layers + 1] = { name = "production.run", values = values, where = where }
  layers[#layers + 1] = cli_layer
  local eff, origin = settings.merge(layers)
  if not eff then fail_input(origin) end
  local tname = eff.target or (board and board.target)
  local tinfo = tname and chips.get(tname)
  local job = {
    eff = eff, origin = origin, board = board, hooks = hooks, dir = dir,
    family = tinfo and tinfo.family,
    -- the option-byte module of the target's line (its family's), or nil
    options = tinfo and family.option_bytes(tinfo.family, tinfo.line),
    allow = { allow_mass_erase = spec.allow_mass_erase == true, allow_rdp2 = spec.allow_rdp2 == true },
    probes = spec.probes, unique = spec.unique, serial_at = spec.serial_at,
    log = spec.log and project.resolve(dir, spec.log),
    fs = M.fs(),
  }
  if spec.unique ~= nil and type(spec.unique) ~= "function" then
    fail_input("production.run: 'unique' must be a function(board) returning { {addr=, data=}, ... }")
  end
  if spec.serial_at ~= nil and (math.type(spec.serial_at) ~= "integer" or spec.serial_at < 0) then
    fail_input("production.run: 'serial_at' must be a flash address")
  end
  if spec.serial_at and not spec.serials then
    fail_input("production.run: 'serial_at' needs 'serials' (where the numbers come from)")
  end
  if spec.serials then
    local s = spec.serials
    if type(s) ~= "table" or type(s.counter) ~= "string" or type(s.ledger) ~= "string" then
      fail_input("production.run: 'serials' must be { counter = FILE, ledger = FILE, start =, format = }")
    end
    job.counter = serials.open { counter = project.resolve(dir, s.counter), ledger = project.resolve(dir, s.ledger),
      start = s.start, format = s.format, stop = s.stop, reuse_failed = s.reuse_failed, fs = job.fs }
    local okf, ferr = pcall(string.format, job.counter.format, 1)
    if not okf then fail_input("production.run: serials.format: " .. ferr) end
  end
  if spec.option_bytes ~= nil then
    if not job.options then
      fail_input("production.run: luaflash writes no option bytes for target " .. tostring(tname) ..
        " (its family has no option-byte module for this line)")
    end
    local ok, err = job.options.check_fields(spec.option_bytes)
    if not ok then fail_input("production.run: " .. err) end
    if spec.option_bytes.rdp == 2 and not job.allow.allow_rdp2 then
      fail_input("production.run: option_bytes.rdp = 2 disables debug access for ever (irreversible); set allow_rdp2 = true to do it")
    end
    job.option_bytes = spec.option_bytes
  end
  return job
end

local function image_crc(img)
  local crc = 0
  for _, sg in ipairs(img:segments()) do crc = lf.crc32(img:read(sg.addr, sg.len), crc) end
  return string.format("%08x", crc)
end

-- Run one board (the probe luaflash.cli.gang names, or the default one).
-- Returns the board record (also logged), never raises for a board failure.
function M.board(job)
  local eff = {}
  for k, v in pairs(job.eff) do eff[k] = v end
  local gang = lf.cli.gang
  if gang then eff.probe = gang.serial end
  local rec = { result = "failed", attempt = 1, probe = gang and gang.serial or nil, verify = eff.verify }
  local user = job.hooks
  local hooks = {}
  for k, v in pairs(user) do hooks[k] = v end
  local change, n
  -- Program the options, reset, read back; RDP 1 must block flash reads.
  local function write_options(ctx)
    status("option bytes")
    local T = ctx.target
    local r = job.options.write(T.t, change, { timeout = eff.flash_timeout,
      reset = function() T:reset("system", true) end })
    ctx.result.phases[#ctx.result.phases + 1] = { name = "options", seconds = r.seconds }
    rec.options = r.record or { optcr = string.format("0x%08x", r.optcr), optcr1 = string.format("0x%08x", r.optcr1),
      rdp = r.decoded.rdp, dual_bank = r.decoded.dual_bank }
    if r.decoded.rdp >= 1 then
      -- RDP 1: the debugger must no longer read flash (§5)
      local readable = pcall(function() return T.t:read32(0x08000000) end)
      if readable then error("option bytes: RDP level 1 set, but flash still reads over SWD", 0) end
      rec.options.flash_read_blocked = true
    end
  end
  -- The job's own hooks sit at the project's layer: each runs the user's
  -- hook of its name, which gets the board's (or a no-op) as `default`, as
  -- in any project; without a user hook the board's runs.
  local function user_hook(name, ctx, default)
    if user[name] then return user[name](ctx, default) end
    return default(ctx)
  end
  hooks.will_connect = function(ctx, default)
    status("connecting")
    return user_hook("will_connect", ctx, default)
  end
  hooks.did_connect = function(ctx, default)
    local T = ctx.target
    rec.probe = rec.probe or (ctx.probe and ctx.probe.p:info().serial)
    local img = ctx.images.image
    rec.image_crc32 = image_crc(img)
    local uid
    local ua, ulen = lf.unique_id(T.t) -- the chip's family knows where its unique ID is
    if ua then uid = T.t:read(ua, ulen); rec.uid = hex(uid) end
    if job.option_bytes then
      local c, err = job.options.prepare(T.t, job.option_bytes, job.allow)
      if not c then error(err, 0) end
      change = c
      -- A change that erases the chip (RDP 1 -> 0, nDBANK) goes first: the
      -- flash is programmed after it, in the layout it leaves.
      local erases, what = false, nil
      for _, q in ipairs(c.consequences) do
        if q.erases_flash then erases, what = true, what or q.what end
      end
      -- protected regions are lost by a mass erase: only with consent naming them
      if erases and c.changed then
        require("luaflash.protect").refuse_mass_erase(ctx.settings, "option bytes: " .. what)
      end
      if erases and c.changed then
        write_options(ctx)
        T.geometry = lf.target_geometry(T.t)
        change = nil
      end
    end
    local text
    if job.counter then
      n, text = job.counter:reserve { probe = rec.probe, uid = rec.uid }
      rec.serial = text
      status("serial " .. text)
    end
    if job.serial_at then img:patch(job.serial_at, text .. "\0", T.geometry, "serial number") end
    if job.unique then
      local list = job.unique { serial = n, serial_text = text, uid = uid, uid_hex = rec.uid,
        probe = rec.probe, index = gang and gang.index or 1 }
      for i, u in ipairs(list or {}) do
        if math.type(u.addr) ~= "integer" or type(u.data) ~= "string" then
          error("unique(): entry " .. i .. ": expected { addr = <address>, data = <bytes> }", 0)
        end
        img:patch(u.addr, u.data, T.geometry, u.name or ("unique data " .. i))
      end
    end
    user_hook("did_connect", ctx, default)
  end
  hooks.will_erase = function(ctx, default)
    status("flashing")
    return user_hook("will_erase", ctx, default)
  end
  hooks.program = function(ctx, default) -- default: the board's program step, else luaflash's
    user_hook("program", ctx, default)
    local p = ctx.result.plan or ctx.engine.result_extra.plan -- a custom program(ctx) may set its own
    if ctx.result.verified then status("verified") end
    if change and change.changed then write_options(ctx) end
    rec.plan = p
  end
  local proj = { path = "production", dir = job.dir, values = {}, where = {}, hooks = hooks }
  -- RDP 0 requested: the chip may be protected now (the option module refuses 1 -> 0 without allow_mass_erase)
  local E = engine.new { board = job.board,
    allow_read_protected = job.option_bytes ~= nil and job.option_bytes.rdp == 0 }
  local t0 = lf.monotonic()
  local ok, res = pcall(sequence.run, proj, eff, job.origin, E)
  rec.seconds = E.bench and (E.clock() - E.bench_start) or (lf.monotonic() - t0)
  if ok then
    local p = E.result_extra.plan or {}
    rec.result = "passed"
    rec.sectors_written = p.programmed
    rec.sectors_skipped = p.unchanged
    rec.verify = res.verified and eff.verify or false
    -- protected regions: each one's proof (name, status, CRC32)
    if E.result_extra.protected then
      rec.protected = {}
      for i, r in ipairs(E.result_extra.protected) do
        rec.protected[i] = { name = r.name, status = r.status, crc32 = r.crc and string.format("%08X", r.crc) }
      end
    end
    rec.phases = {}
    for _, ph in ipairs(res.phases) do if ph.seconds then rec.phases[ph.name] = ph.seconds end end
  else
    rec.error = first_line(res)
  end
  rec.plan = nil
  if job.log then boardlog.record(job.fs, job.log, rec) end
  if n then
    if rec.result == "passed" then job.counter:passed(n, { probe = rec.probe })
    else job.counter:failed(n, rec.error) end
  end
  status(rec.result == "passed" and ("passed" .. (rec.serial and (" " .. rec.serial) or ""))
    or ("FAILED: " .. tostring(rec.error)))
  return rec
end

-- ---- the gang (main thread) ----

local function fmt_s(s)
  if s == nil then return "-" end
  if s >= 1 then return string.format("%.3f s", s) end
  return string.format("%.1f ms", s * 1000)
end

-- Status while running: a line per change, or a table redrawn in place on
-- a terminal.
local function status_view()
  local tty = lf.isatty and lf.isatty(2)
  local rows, order, drawn = {}, {}, 0
  return function(i, serial, text)
    if not tty then
      io.stderr:write(string.format("[#%d %s] %s\n", i, serial, text))
      return
    end
    if not rows[i] then order[#order + 1] = i; table.sort(order) end
    rows[i] = string.format("#%-2d %-26s %s", i, serial, text)
    if drawn > 0 then io.stderr:write(string.format("\27[%dA", drawn)) end
    for _, k in ipairs(order) do io.stderr:write("\27[2K" .. rows[k] .. "\n") end
    drawn = #order
  end
end

-- Runs `script` (or the built-in `command`) on every probe; returns the
-- per-board outcomes and the totals, after printing the summary.
function M.gang(o)
  local results = lf.gang { script = o.script, command = o.command, args = o.args, on_status = status_view() }
  local out = { boards = {}, passed = 0, failed = 0, skipped = 0 }
  local wall, sum, slowest = nil, 0, nil
  for _, r in ipairs(results) do
    local rec = r.report and json.decode(r.report)
    local b = { index = r.index, probe = r.serial, location = r.location, modeled_s = r.modeled_s,
      host_s = r.host_s, record = rec }
    if r.skipped then
      b.result, b.reason = "skipped", r.message
    elseif rec and rec.result == "passed" and r.exit == 0 then
      b.result = "passed"
    else
      b.result = "failed"
      b.reason = (rec and rec.error) or first_line(r.message ~= "" and r.message or "no result reported")
      if not rec and o.log then -- the thread died before its record: log it here
        boardlog.record(M.fs(), o.log, { result = "failed", probe = r.serial, error = b.reason })
      end
    end
    out[b.result] = out[b.result] + 1
    if r.modeled_s then
      sum = sum + r.modeled_s
      if not wall or r.modeled_s > wall then wall, slowest = r.modeled_s, r.index end
    end
    out.boards[#out.boards + 1] = b
  end
  out.modeled_wall_s, out.modeled_sum_s, out.slowest = wall, wall and sum, slowest
  if not o.quiet then
    for _, b in ipairs(out.boards) do
      local rec = b.record or {}
      io.stdout:write(string.format("#%-2d %-26s %-7s %-10s %s%s\n", b.index, b.probe, b.result,
        rec.serial or "-", b.modeled_s and (fmt_s(b.modeled_s) .. " modeled") or fmt_s(b.host_s),
        b.reason and ("  " .. b.reason) or ""))
    end
    io.stdout:write(string.format("luaflash: %d board(s): %d passed, %d failed, %d skipped", #out.boards,
      out.passed, out.failed, out.skipped))
    if wall then
      io.stdout:write(string.format("; modeled wall time %s (slowest: board #%d; one after another: %s)",
        fmt_s(wall), slowest, fmt_s(sum)))
    end
    io.stdout:write("\n")
  end
  if o.json then io.stdout:write(json.encode(out) .. "\n") end
  return out
end

-- ---- entry points ----

local function script_words()
  local words = {}
  for i = 1, #(arg or {}) do words[i] = arg[i] end
  return words
end

-- The production script's call: a gang, one board of a gang, one board, or
-- the CSV export (--csv).
function M.run(spec)
  local path = arg and arg[0] or "production"
  local dir = project.dirname(path)
  local words = script_words()
  local opts = {}
  for _, w in ipairs(words) do
    if w == "--csv" then opts.csv = true
    elseif w == "--json" then opts.json = true
    elseif w == "--quiet" or w == "-q" then opts.quiet = true
    elseif not w:match("^[%w_]+=") then
      fail_input("production: unknown argument '" .. w .. "' (known: key=value, --csv, --json, --quiet)")
    end
  end
  local job = M.prepare(spec, dir, words)
  if opts.csv then
    if not job.log then fail_input("production: --csv needs 'log' (the JSON-lines board log)") end
    local text = job.fs.read(job.log) or ""
    io.stdout:write(boardlog.to_csv(text, job.log))
    return
  end
  if lf.cli.gang then
    local rec = M.board(job)
    lf.gang_report(json.encode(rec))
    if rec.result ~= "passed" then error(rec.error or "board failed", 0) end
    return rec
  end
  if job.probes == "all" or lf.cli.all_probes then
    local out = M.gang { script = path, args = words, log = job.log, json = opts.json, quiet = opts.quiet }
    gang_failed(out)
    return out
  end
  local rec = M.board(job)
  if opts.json then io.stdout:write(json.encode(rec) .. "\n")
  elseif not opts.quiet then
    io.stdout:write(string.format("luaflash: board %s %s%s, %s\n", rec.probe or "?", rec.result,
      rec.serial and (" as " .. rec.serial) or "", fmt_s(rec.seconds)))
  end
  if rec.result ~= "passed" then error(rec.error or "board failed", 0) end
  return rec
end

-- A plain project with --all-probes (init.lua hands it over): the gang in
-- the main thread, the default sequence on one probe in each gang thread.
function M.run_project(proj, kv, opts, run_one)
  if lf.cli.gang then
    local kv2 = {}
    for i, w in ipairs(kv) do kv2[i] = w end
    kv2[#kv2 + 1] = "probe=" .. lf.cli.gang.serial
    local rec = { probe = lf.cli.gang.serial, result = "failed" }
    status("running")
    local ok, res = pcall(run_one, proj, kv2, { quiet = true, gang_inner = true })
    if ok and res then
      rec.result = "passed"
      local p = res.plan or {}
      rec.sectors_written, rec.sectors_skipped = p.programmed, p.unchanged
      rec.seconds = res.total_s
      rec.verify = res.verified and res.settings.verify or false
    else
      rec.error = first_line(res)
    end
    status(rec.result == "passed" and "passed" or ("FAILED: " .. tostring(rec.error)))
    lf.gang_report(json.encode(rec))
    if not ok then error(res, 0) end
    return res
  end
  local words = script_words()
  -- `luaflash flash FILE --board B --all-probes`: the threads run the command
  local cmd = proj.path == "(command line)" and arg and arg[0] or nil
  local out = M.gang { script = not cmd and proj.path or nil, command = cmd, args = words,
    json = opts.json, quiet = opts.quiet }
  gang_failed(out)
  return out
end

return M
