-- Production tests on the bench (luaflash tests/prod/gang_test.lua, with
-- LUAFLASH_PROD_DIR set to a scratch folder): a gang of 4 virtual
-- NUCLEO-F767ZI boards, each board in its own thread.
--   - all succeed: unique serials, each board's serial text, UID copy and
--     RDP 1 on its own chip; wall time = the slowest board
--   - an injected flash error fails that board alone, logged as failed
--   - a board unplugged mid-job (USB stalls) fails alone
--   - an nDBANK change and an RDP 1 -> 0 regression are refused without
--     allow_mass_erase, before anything is written
local lf = require("luaflash")
local json = require("luaflash.json")
local prod = require("luaflash.production")
local cfg = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/prodcfg.lua")

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local failed, ran = 0, 0
local function test(name, fn)
  ran = ran + 1
  local ok, err = xpcall(fn, debug.traceback)
  if ok then print("[       OK ] " .. name)
  else failed = failed + 1; print("[  FAILED  ] " .. name .. ": " .. tostring(err)) end
end
local function eq(a, b, what)
  if a ~= b then error(string.format("%s: got %s, want %s", what or "value", tostring(a), tostring(b)), 2) end
end

local function clean()
  for _, f in ipairs { "production.db", "production.db-wal", "production.db-shm" } do os.remove(cfg.dir .. "/" .. f) end
end
-- the production database's board records, oldest first
local function records()
  local db <close> = lf.db.open(cfg.database)
  local out = {}
  for _, r in ipairs(db:exec("SELECT record FROM lf_board ORDER BY time, attempt")) do
    out[#out + 1] = assert(json.decode(r.record))
  end
  return out
end
-- the next serial number of the range (nil: none reserved yet)
local function next_serial()
  local db <close> = lf.db.open(cfg.database)
  local ok, rows = pcall(db.exec, db, "SELECT next FROM lf_range WHERE name = 'default'")
  return ok and rows[1] and rows[1].next or nil
end
local function serial_state(text)
  local db <close> = lf.db.open(cfg.database)
  local r = db:exec("SELECT state, reuses FROM lf_serial WHERE text = ?", text)[1]
  return r and r.state, r and r.reuses
end
local function bench4(faults)
  local spec = {}
  for i = 1, 4 do spec[i] = { board = "nucleo-f767zi", faults = faults and faults[i] } end
  local b = lf.bench(spec)
  lf.use(b)
  return b
end
local function gang(job)
  return prod.gang { script = here .. "/" .. job, args = {}, quiet = true }
end
local function by_probe(recs)
  local t = {}
  for _, r in ipairs(recs) do t[r.probe] = r end
  return t
end

-- the board's flash at a and UID, read through the bench's back door
local function peek_str(bench, n, a, len) return bench:peek(a, len, n) end

test("four_boards_all_pass_with_their_own_serial_uid_and_rdp1", function()
  clean()
  local bench = bench4()
  local out = gang("job_rdp1.lua")
  eq(out.passed, 4, "passed"); eq(out.failed, 0, "failed"); eq(out.skipped, 0, "skipped")
  local log = records()
  eq(#log, 4, "board records")
  local seen = {}
  for _, b in ipairs(out.boards) do
    local rec = b.record
    eq(rec.result, "passed", "board " .. b.index)
    assert(not seen[rec.serial], "serial handed out twice: " .. rec.serial)
    seen[rec.serial] = true
    -- the serial text (NUL-terminated) and the UID copy are in this board's flash
    eq(peek_str(bench, b.index, cfg.serial_at, #rec.serial + 1), rec.serial .. "\0", "serial in flash")
    local uid = bench:peek(0x1FF0F420, 12, b.index)
    eq(peek_str(bench, b.index, cfg.uid_at, 12), uid, "UID copy in flash")
    eq(rec.uid, (uid:gsub(".", function(c) return string.format("%02X", c:byte()) end)), "UID in the log")
    eq(rec.options.rdp, 1, "RDP read back"); eq(rec.options.flash_read_blocked, true, "flash read blocked")
    eq(rec.sectors_written, 1, "one sector: image, serial and UID in one erase")
  end
  for n = 1000, 1003 do assert(seen[string.format("SN%06d", n)], "SN" .. n .. " missing") end
  local uids = {}
  for _, b in ipairs(out.boards) do uids[b.record.uid] = true end
  local nu = 0
  for _ in pairs(uids) do nu = nu + 1 end
  eq(nu, 4, "distinct chip UIDs")
  eq(next_serial(), 1004, "next serial")
  -- the boards are independent: the gang's wall time is the slowest board's
  local max, sum = 0, 0
  for _, b in ipairs(out.boards) do max = math.max(max, b.modeled_s); sum = sum + b.modeled_s end
  eq(out.modeled_wall_s, max, "wall = slowest")
  assert(out.modeled_wall_s < sum / 3, "wall time is not N times one board")
  print(string.format("  modeled: one board %.1f ms, 4 boards wall %.1f ms (one after another %.1f ms)",
    out.boards[1].modeled_s * 1000, out.modeled_wall_s * 1000, sum * 1000))
  -- RDP 1: a debugger read of flash now fails on every board
  for n = 1, 4 do
    local p <close> = bench:open(n - 1)
    p:set_clock(4000000)
    p:connect("normal")
    local t <close> = p:target {}
    t:connect("halt")
    local ok, err = pcall(t.read32, t, 0x08000000)
    assert(not ok, "board " .. n .. ": flash readable at RDP 1")
    assert(tostring(err):find("0x08000000"), "error names the address: " .. tostring(err))
  end
  -- RDP 1 -> 0 would mass-erase: refused, nothing written, no serial used
  local erases = bench:counters(1).soc.flash_sector_erases
  local out2 = gang("job_rdp0.lua")
  eq(out2.failed, 4, "regression refused on every board")
  for _, b in ipairs(out2.boards) do
    assert(b.reason:find("RDP level 1 %-> 0 mass%-erases") and b.reason:find("allow_mass_erase = true"),
      "says what would happen and what allows it: " .. b.reason)
  end
  eq(bench:counters(1).soc.flash_sector_erases, erases, "no erase after the refusal")
  eq(bench:counters(1).soc.flash_mass_erases, 0, "no mass erase")
  eq(next_serial(), 1004, "no serial reserved for a refused board")
  -- with allow_mass_erase = true: options first (mass erase), then the image
  local out3 = gang("job_rdp0_allowed.lua")
  eq(out3.passed, 4, "regression with consent")
  for _, b in ipairs(out3.boards) do
    eq(b.record.options.rdp, 0, "RDP 0 read back")
    eq(bench:counters(b.index).soc.flash_mass_erases, 1, "the regression mass-erased board " .. b.index)
    eq(bench:peek(cfg.serial_at, 9, b.index), b.record.serial .. "\0", "flashed after the regression")
    eq(bench:peek(cfg.uid_at, 4, b.index), "\xFF\xFF\xFF\xFF", "the old UID copy was erased")
  end
  print(string.format("  RDP 1 -> 0 regression + flash: %.3f s modeled per board", out3.modeled_wall_s))
  bench:close()
end)

test("a_flash_error_fails_that_board_alone_and_is_logged", function()
  clean()
  -- board 3: the 2nd flash operation (a program) fails with WRPERR
  local bench = bench4 { nil, nil, "flash_error@2:0x10", nil }
  local out = gang("job_plain.lua")
  eq(out.passed, 3, "passed"); eq(out.failed, 1, "failed")
  for _, b in ipairs(out.boards) do
    if b.index == 3 then
      eq(b.result, "failed", "board 3")
      assert(b.reason:find("0x10") or b.reason:lower():find("wrp"), "reason names the flash error: " .. b.reason)
    else
      eq(b.result, "passed", "board " .. b.index)
      eq(bench:peek(cfg.serial_at, 9, b.index), b.record.serial .. "\0", "serial in flash of board " .. b.index)
    end
  end
  local log = by_probe(records())
  eq(log[bench:serial(3)].result, "failed", "board 3 logged as failed")
  assert(log[bench:serial(3)].error, "error logged")
  eq(log[bench:serial(3)].phase, "program", "the failing phase recorded")
  eq(log[bench:serial(1)].result, "passed", "board 1 logged as passed")
  -- its serial number is recorded as failed, not silently reused
  local failed_sn = log[bench:serial(3)].serial
  local state, reuses = serial_state(failed_sn)
  eq(state, "failed", "the failed board's serial"); eq(reuses, 0, "not reused")
  bench:close()
end)

test("a_board_unplugged_mid_job_fails_alone", function()
  clean()
  -- board 2: every USB transfer from the 60th on stalls (cable pulled)
  local f = {}
  for k = 60, 75 do f[#f + 1] = "usb_stall@" .. k end
  local bench = bench4 { nil, table.concat(f, ","), nil, nil }
  local out = gang("job_plain.lua")
  eq(out.passed, 3, "passed"); eq(out.failed, 1, "failed")
  eq(out.boards[2].result, "failed", "board 2")
  local log = by_probe(records())
  eq(#records(), 4, "every board logged")
  eq(log[bench:serial(2)].result, "failed", "board 2 logged as failed")
  for _, n in ipairs { 1, 3, 4 } do
    eq(out.boards[n].result, "passed", "board " .. n)
    eq(bench:peek(cfg.serial_at, 9, n), out.boards[n].record.serial .. "\0", "serial in flash of board " .. n)
  end
  bench:close()
end)

test("ndbank_change_refused_without_allow_mass_erase_before_any_write", function()
  clean()
  local bench = bench4()
  local out = gang("job_ndbank.lua")
  eq(out.failed, 4, "refused on every board")
  assert(out.boards[1].reason:find("nDBANK") and out.boards[1].reason:find("allow_mass_erase = true"),
    out.boards[1].reason)
  for n = 1, 4 do
    local c = bench:counters(n).soc
    eq(c.flash_sector_erases + c.flash_mass_erases + c.flash_prog_ops + c.flash_opt_writes, 0,
      "nothing written on board " .. n)
  end
  eq(next_serial(), 1000, "no serial reserved")
  eq(#records(), 4, "the refusals are logged")
  bench:close()
end)

test("write_protection_is_set_read_back_and_enforced", function()
  clean()
  local bench = bench4()
  local out = gang("job_wrp.lua")
  eq(out.passed, 4, "passed")
  for _, b in ipairs(out.boards) do
    eq(tonumber(b.record.options.optcr) & (1 << 16), 0, "nWRP0 = 0 read back on board " .. b.index)
  end
  -- sector 0 is protected now: the next board run (a new serial in sector 0) fails with WRPERR
  local again = gang("job_plain.lua")
  eq(again.failed, 4, "protected sector refused")
  assert(again.boards[1].reason:find("WRPERR"), again.boards[1].reason)
  bench:close()
end)

test("bad_production_input_is_refused_before_any_board_with_what_was_expected", function()
  local base = { board = "nucleo_f767zi", image = "../../scripts/demo-fw/demo-f767.bin" }
  local function refused(extra, want)
    local spec = {}
    for k, v in pairs(base) do spec[k] = v end
    for k, v in pairs(extra) do spec[k] = v end
    local ok, err = pcall(prod.prepare, spec, here, {})
    assert(not ok, "accepted: " .. want)
    eq(type(err) == "table" and err.exit, 2, "input error (exit 2) for " .. want)
    assert(err.message:find(want, 1, true), "message '" .. err.message .. "' lacks '" .. want .. "'")
  end
  refused({ serial_att = 1 }, "unknown setting 'serial_att' (did you mean 'serial_at'?)")
  refused({ serial_at = 0x08007F00 }, "'serial_at' needs 'serials'")
  refused({ option_bytes = { rdp = 2 } }, "irreversible); set allow_rdp2 = true")
  refused({ option_bytes = { rdpp = 1 } }, "unknown field 'rdpp'")
  refused({ option_bytes = { bor = "high" } }, "option 'bor': expected level1, level2, level3 or off")
  refused({ probes = "some" }, "'probes' must be \"all\"")
  refused({ unique = "x" }, "'unique' must be a function")
  refused({ clock = "fast" }, "setting 'clock'")
  refused({ board = "nucleo_f429zi", option_bytes = { rdp = 1 } }, "writes no option bytes for target stm32f429zi")
  refused({ serials = 5 }, "'serials' must be { start =, format =, stop =, reuse_failed =, range = }")
  refused({ serials = { counte = "c" } }, "serials: unknown key 'counte'")
  refused({ serials = { start = 1.5 } }, "serials.start and serials.stop must be integers")
  refused({ serials = { format = "%s %s" } }, "serials.format:")
  refused({ serials = {}, database = "postgresql://a@h/x", log = "postgresql://b@h/x" },
    "serials, log and database name different databases")
  refused({ log = 3 }, "'log' must be true, a postgresql:// URL")
  refused({ station = "" }, "'station' must be a non-empty name")
  -- a good one passes
  local spec = {}
  for k, v in pairs(base) do spec[k] = v end
  spec.option_bytes = { rdp = 1, write_protected = { 0 } }
  local job = prod.prepare(spec, here, { "clock=1.8MHz" })
  eq(job.eff.clock, 1800000, "key=value word overrides")
end)

test("user_hooks_and_steps_get_their_default_in_production", function()
  clean()
  local b = lf.bench("nucleo-f767zi")
  lf.use(b)
  local calls = {}
  local spec = { board = "nucleo_f767zi", image = "../../scripts/demo-fw/demo-f767.bin",
    program = function(ctx, default)
      calls[#calls + 1] = "program"
      assert(type(default) == "function", "program got its default")
      default(ctx)
    end,
    -- a function under a step's name is the step, not the reset setting
    reset = function(ctx, default) calls[#calls + 1] = "reset"; return default(ctx) end,
    did_connect = function(ctx, default) calls[#calls + 1] = "did_connect"; default(ctx) end,
  }
  local job = prod.prepare(spec, here, {})
  local rec = prod.board(job)
  eq(rec.result, "passed", "board (" .. tostring(rec.error) .. ")")
  eq(table.concat(calls, ","), "did_connect,program,reset", "user functions in order")
  b:close()
end)

print(string.format("[==========] %d test(s) run.", ran))
if failed > 0 then print(string.format("[  FAILED  ] %d test(s).", failed)); os.exit(1) end
print(string.format("[  PASSED  ] %d test(s).", ran))
