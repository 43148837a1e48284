-- The flash API (lua/luaflash/flash.lua) end to end on the NUCLEO-F767ZI
-- bench: unchanged re-flash, one-byte change, a write-protected sector,
-- target:program from a file, flash:plan inspection, erase_sectors, write
-- (keep semantics), crc32, progress callbacks, and input errors that write
-- nothing.
local lf = require("luaflash")
local flash = require("luaflash.flash")
local H = require("flashtest")

local BASE = 0x08000000
local app = H.bytes(65 * 1024, 65) -- 65 KiB: sectors 0, 1 and 2 (32K each)

local function flash_ops(S)
  local c = S.b:counters().soc
  return c.flash_prog_ops + c.flash_sector_erases + c.flash_mass_erases
end

local function with(spec, fn)
  return function()
    local S = H.open(spec or { "nucleo-f767zi" })
    local ok, err = pcall(fn, S)
    S.close()
    if not ok then error(err, 0) end
  end
end

H.test("unchanged re-flash: nothing erased or written, verified by the CRCs", with(nil, function(S)
  local r1 = H.job(S, { { base = BASE, data = app } }, {})
  H.eq(r1.plan.erased, 0, "first run on a blank board: sectors erased (erase avoidance)")
  H.eq(r1.plan.blank, 3, "first run: sectors programmed without an erase")
  local ops = flash_ops(S)
  local before = H.flash_bytes(S)
  local r2 = S.t:program({ { data = app, base = BASE } })
  H.eq(r2.plan.erased, 0, "re-flash: erased")
  H.eq(r2.plan.programmed, 0, "re-flash: programmed")
  H.eq(r2.plan.unchanged, 3, "re-flash: unchanged")
  H.eq(r2.plan.floor_s, 0, "re-flash: floor")
  H.eq(flash_ops(S), ops, "flash operations during the re-flash")
  H.check(H.flash_bytes(S) == before, "flash changed by an unchanged re-flash")
  H.eq(r2.verified, true, "verified")
  H.check(r2.total_s < 0.05, string.format("re-flash took %.3f s of target time", r2.total_s))
  for _, sec in ipairs(r2.sectors) do
    if sec.index <= 2 then H.eq(sec.action, "skip", "sector " .. sec.index .. " action") end
  end
end))

H.test("one-byte change: exactly that sector erased and programmed", with(nil, function(S)
  H.job(S, { { base = BASE, data = app } }, {})
  local changed = app:sub(1, 40000) .. string.char(app:byte(40001) ~ 0x5A) .. app:sub(40002)
  local r = H.job(S, { { base = BASE, data = changed } }, {})
  H.eq(r.plan.erased, 1, "erased")
  H.eq(r.plan.unchanged, 2, "unchanged")
  H.eq(r.sectors[2].action, "program", "sector 1 (holds offset 40000) action")
  H.eq(S.b:peek(BASE + 40000, 1), changed:sub(40001, 40001), "the changed byte")
end))

H.test("write-protected sector: the error names the sector and WRPERR, never verified", with(nil, function(S)
  H.set_optcr(S, 0xFFFDAAFC) -- nWRP bit 17 = 0: sector 1 protected (RM0410 3.6)
  -- an image outside sector 1 is fine
  H.job(S, { { base = BASE + 0x100, data = "ok!!" } }, {})
  local before = S.b:peek(BASE + 0x8000, 0x8000)
  local err = H.fails(function()
    return S.t:program({ { base = BASE + 0x7FF0, data = H.bytes(64, 7) } }, { erase = "sector" })
  end)
  print("  error: " .. err)
  H.match(err, "sector 1", "WRP error")
  H.match(err, "WRPERR", "WRP error")
  H.check(not err:find("verified"), "error mentions verified: " .. err)
  H.check(S.b:peek(BASE + 0x8000, 0x8000) == before, "protected sector changed")
  -- the flash object recovers: a later job on a free sector works
  H.job(S, { { base = BASE + 0x10000, data = "after" } }, {})
end))

H.test("target:program(path) loads a raw binary at the flash base", with(nil, function(S)
  local path = H.tmp .. "/lf_flashint_" .. tostring(math.random(1e9)) .. ".bin"
  local f = assert(io.open(path, "wb"))
  f:write(app:sub(1, 5000))
  f:close()
  local r = S.t:program(path, { verify = "readback" })
  os.remove(path)
  H.eq(r.verified, true, "verified")
  H.eq(S.b:peek(BASE, 5000), app:sub(1, 5000), "flash")
  H.eq(r.plan.erased, 0, "erased (a blank board)")
  H.eq(r.plan.blank, 1, "read blank: not erased")
  -- ... and at options.base
  path = path .. "2.bin"
  f = assert(io.open(path, "wb"))
  f:write("based")
  f:close()
  S.t:program(path, { base = 0x08020000 })
  os.remove(path)
  H.eq(S.b:peek(0x08020000, 5), "based", "flash at base")
end))

H.test("flash:plan is inspectable and writes nothing", with(nil, function(S)
  H.job(S, { { base = BASE, data = app } }, {})
  local ops = flash_ops(S)
  local changed = app:sub(1, 100) .. "X" .. app:sub(102)
  local plan = S.F:plan({ { base = BASE, data = changed } }, { erase = "sector", smart_flash = true })
  H.eq(flash_ops(S), ops, "flash operations during plan")
  local secs = plan:sectors()
  H.eq(#secs, 12, "sectors")
  H.eq(secs[1].action, "program", "sector 0 action")
  H.check(secs[1].reason ~= "", "sector 0 has a reason")
  H.eq(secs[2].action, "skip", "sector 1 action")
  H.match(secs[2].reason, "CRC", "sector 1 reason")
  H.eq(secs[4].action, "skip", "sector 3 action")
  local sum = plan:summary()
  H.eq(sum.erased, 1, "summary erased")
  H.check(sum.floor_s > 0.2 and sum.floor_s < 0.6, "floor of one 32K sector: " .. sum.floor_s)
  H.eq(plan:content(0):sub(101, 101), "X", "content")
end))

H.test("erase_sectors by index and address; others untouched; erased checked on target", with(nil, function(S)
  H.background(S, { 0, 1, 4, 5 })
  local before = H.flash_bytes(S)
  local got = S.F:erase_sectors { 0x08040010, 1, 1, 0x0800FFFF }
  H.eq(table.concat(got, ","), "1,5", "sectors erased")
  H.eq(S.b:peek(0x08008000, 0x8000), string.rep("\255", 0x8000), "sector 1")
  H.eq(S.b:peek(0x08040000, 0x40000), string.rep("\255", 0x40000), "sector 5")
  H.eq(S.b:peek(BASE, 0x8000), before:sub(1, 0x8000), "sector 0")
  H.eq(S.b:peek(0x08020000, 0x20000), before:sub(0x20001, 0x40000), "sector 4")
  H.match(H.fails(function() S.F:erase_sectors { 12 } end), "neither a sector index", "bad sector")
  H.match(H.fails(function() S.F:erase_sectors { 0x08200000 } end), "0x08200000", "bad address")
end))

H.test("write keeps the rest of the sector (keep_unwritten = false wipes it)", with(nil, function(S)
  H.background(S, { 4 })
  local before = S.b:peek(0x08020000, 0x20000)
  local r = S.F:write(0x08020801, "hello, flash")
  H.eq(r.verified, true, "verified")
  local want = before:sub(1, 0x801) .. "hello, flash" .. before:sub(0x801 + 13)
  H.check(S.b:peek(0x08020000, 0x20000) == want, "sector 4 after write")
  -- unchanged write: nothing erased
  H.eq(S.F:write(0x08020801, "hello, flash").plan.erased, 0, "same write again: erased")
  S.F:write(0x08020801, "bye", { keep_unwritten = false })
  H.eq(S.b:peek(0x08020000, 0x20000), string.rep("\255", 0x801) .. "bye" .. string.rep("\255", 0x20000 - 0x804),
    "sector 4 after write without keep")
  H.match(H.fails(function() S.F:write(0x08020000, "") end), "non%-empty", "empty write")
end))

H.test("crc32 on the target equals zlib's over the bench's flash", with(nil, function(S)
  H.background(S, { 0, 1 })
  for _, r in ipairs { { BASE, 0x10000 }, { BASE + 3, 1 }, { BASE + 0x7FFF, 0x802 }, { BASE, 0 } } do
    local got = S.F:crc32(r[1], r[2])
    H.eq(got, lf.crc32(S.b:peek(r[1], r[2])), string.format("crc32 0x%08x+%d", r[1], r[2]))
  end
end))

H.test("progress: phases in order, done never decreases, ends at total", with(nil, function(S)
  H.background(S, { 0, 1, 2 })
  local ev = {}
  S.t:program({ { base = BASE, data = app } }, { progress = function(done, total, phase)
    ev[#ev + 1] = { done = done, total = total, phase = phase }
  end })
  H.check(#ev >= 4, "progress calls: " .. #ev)
  local phases, last = {}, {}
  for _, e in ipairs(ev) do
    phases[e.phase] = true
    H.check(e.done <= e.total, "done <= total")
    if last.total == e.total then H.check(e.done >= last.done, "done decreased") end
    last = e
  end
  H.check(phases.erase and phases.program and phases.crc32 and phases.done, "phases seen")
  H.eq(ev[#ev].phase, "done", "last phase")
  -- the job's stream: 3 x 32K erased + 65 KiB programmed + 3 x 32K verified
  local job = ev[#ev - 1]
  H.eq(job.done, job.total, "stream done")
  H.eq(job.total, 3 * 32768 + 65 * 1024 + 3 * 32768, "stream total")
  -- a failing progress callback does not stop the job
  local r = S.t:program({ { base = BASE, data = app:reverse() } }, { progress = function() error("boom") end })
  H.eq(r.verified, true, "job with a failing progress callback")
end))

local forged_blank_crc = require("forge") -- a CRC collision with a blank sector

H.test("erase avoidance: blank sectors are not erased; a CRC collision is erased and programmed again",
  with(nil, function(S)
  local r = H.job(S, { { base = BASE, data = app } }, {})
  H.eq(r.plan.erased, 0, "blank board: erased")
  H.eq(r.plan.blank, 3, "blank board: programmed without an erase")
  local forged = forged_blank_crc(32768)
  H.eq(lf.crc32(forged), lf.crc32(string.rep("\255", 32768)), "the forged sector's CRC32")
  H.job(S, { { base = BASE + 0x20000, data = forged } }, { smart_flash = false, erase_avoid = false })
  local k1 = app:sub(1, 1024)
  r = H.job(S, { { base = BASE + 0x20000, data = k1 } }, {}) -- H.job checks every byte
  H.eq(r.verified, true, "verified after the second attempt")
  H.eq(r.plan.erased, 1, "the collision's sector erased on the second attempt")
  H.eq(S.b:peek(BASE + 0x20000, 32768), k1 .. string.rep("\255", 32768 - 1024), "the sector")
  -- off: a blank sector is erased
  r = H.job(S, { { base = BASE + 0x40000, data = k1 } }, { erase_avoid = false })
  H.eq(r.plan.erased, 1, "erase_avoid = false: erased")
end))

H.test("bad input is rejected before anything is written", with(nil, function(S)
  local ops = flash_ops(S)
  H.match(H.fails(function() S.t:program({ { base = BASE, data = "x" } }, { smartflash = true }) end),
    "did you mean 'smart_flash'", "typo")
  H.match(H.fails(function() S.t:program({ { base = BASE, data = "x" } }, { erase = "block" }) end),
    "erase", "bad erase")
  H.match(H.fails(function() S.t:program({ { base = 0x08200000 - 2, data = "xyz" } }) end),
    "0x08200000", "past the flash end")
  H.match(H.fails(function() S.t:program("/nonexistent/app.hex") end), "/nonexistent/app.hex", "missing file")
  H.match(H.fails(function() S.t:program(42) end), "image expected", "bad image")
  H.eq(flash_ops(S), ops, "flash operations")
end))

H.test("erase = auto counts the link: a 2 MiB image at 4 MHz SWD picks sector erase", with(nil, function(S)
  local g = lf.geometry { dev_id = 0x451, flash_kib = 2048, dual_bank = false }
  local img = lf.image({ { data = string.rep("\1\2\3\4\5\6\7\8", 2 * 1024 * 1024 // 8), base = BASE } }, g)
  local function pick(extra)
    local set = { erase = "auto" }
    for k, v in pairs(extra) do set[k] = v end
    local p = lf.plan(img, g, set)
    local sum = p:summary()
    p:close()
    return sum
  end
  local flash_only = pick {}
  H.eq(flash_only.erase, "chip", "flash times only: 8 s mass erase < 8.3 s of sector erases")
  -- 164 KB/s (the bench's ST-LINK/V2-1 at 4 MHz), 512 KiB ring: after the
  -- mass erase 1.5 MiB must stream at the link rate: 8 + 1572864 / 164000 s
  local slow = pick { link_bps = 164000, ring_bytes = 512 * 1024 }
  H.eq(slow.erase, "sector", "slow link")
  H.check(math.abs(slow.chip_cost_s - (8 + 1572864 / 164000)) < 1e-6, "chip cost " .. slow.chip_cost_s)
  H.eq(slow.sector_cost_s, flash_only.sector_cost_s, "sector cost (upload overlapped)")
  H.eq(pick { link_bps = 4000000, ring_bytes = 512 * 1024 }.erase, "chip", "fast link")
  -- measured on the bench by flash:plan (one 4 KiB write): 1024 words x 2
  -- SWD transactions (single access) x (46 bits / 4 MHz + 150 ns gap) =
  -- 23.9 ms, + the command, 4096-byte data phase (4096 + 64 x 15 B at 12
  -- Mbit/s = 3.4 ms) and status with 160 us latency per round trip: ~28.3 ms
  -- -> ~145 KB/s
  local bps, ring = S.F.link_rate()
  H.check(bps > 135000 and bps < 155000, "measured link rate " .. bps)
  H.eq(ring >= 256 * 1024, true, "ring size")
end))

-- erase_psize (calibration R11): the plan's erase times at that parallelism
-- (F7 32 KiB sector: 200 ms at x32, 400 ms at x8; mass 8 s / 16 s), the
-- program time unchanged; a parallelism the part cannot use is an error
H.test("erase_psize: the plan's erase times at that parallelism", with(nil, function(S)
  local g = lf.geometry { dev_id = 0x451, flash_kib = 2048, dual_bank = false }
  local img = lf.image({ { data = string.rep("\1\2\3\4", 65536 // 4), base = BASE } }, g)
  local function sum(set)
    local p = lf.plan(img, g, set)
    p:finalize() -- (no reads or CRCs needed: smart_flash off)
    local u = p:summary()
    p:close()
    return u
  end
  local x32 = sum { erase = "sector", smart_flash = false }
  local x8 = sum { erase = "sector", smart_flash = false, erase_psize = "x8" }
  H.check(math.abs(x32.erase_s - 2 * 0.2) < 1e-9, "x32 erase " .. x32.erase_s)
  H.check(math.abs(x8.erase_s - 2 * 0.4) < 1e-9, "x8 erase " .. x8.erase_s)
  H.eq(x8.program_s, x32.program_s, "program time unchanged")
  H.check(math.abs(sum({ erase = "chip", smart_flash = false, erase_psize = "x8" }).erase_s - 16) < 1e-9, "x8 mass erase")
  local ok, err = pcall(lf.plan, img, g, { erase_psize = "x7" })
  H.eq(ok, false, "x7 refused")
  H.check(tostring(err):find("x7"), "error names the value: " .. tostring(err))
  -- the flash object (its loader erases at x32 on the F767) refuses x8
  local data = { { data = string.rep("\1", 1024), base = BASE } }
  ok, err = pcall(S.F.plan, S.F, data, { erase_psize = "x8" })
  H.eq(ok, false, "flash:plan with erase_psize x8 refused")
  H.check(tostring(err):find("erase_psize \"x8\""), "error names it: " .. tostring(err))
  local p = S.F:plan(data, { erase_psize = "x32" })
  p:close()
end))

H.run("flash_cases")
