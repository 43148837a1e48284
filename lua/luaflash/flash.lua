-- The flash API for scripts: program an image, erase sectors, write bytes,
-- CRC a range, inspect a plan, with progress callbacks. Built on the C
-- bindings (lf.image, lf.plan, lf.loader: src/script/lf_lua_flash.c).
--
--   local flash = require("luaflash.flash")
--   local t = probe:target(); t:connect("halt")
--   local r = t:program("app.hex", { erase = "sector", verify = "crc" })
--   local F = t:flash()                      -- or flash.new(t, opts)
--   local plan = F:plan("app.bin", { smart_flash = true })
--   for _, s in ipairs(plan:sectors()) do print(s.index, s.action, s.reason) end
--   F:erase_sectors{ 3, 0x08040000 }         -- sector indices or addresses
--   F:write(0x08008000, "\1\2\3\4")          -- the rest of the sector is kept
--   print(string.format("%08x", F:crc32(0x08000000, 65536)))
--   F:close()                                -- stops the loader (flash locked)
--   do local G <close> = t:flash() ... end   -- the same at the scope's end
--
-- Requiring the module adds :program and :flash to every target object
-- (and a project's hooks reach the raw target as ctx.target.t). One target
-- has one flash object and so one loader: the engine's target flashes
-- through it too (ctx.target.F), with F:stream(plan, what) (erase / program
-- / CRC verify as one loader stream) and F:verify(plan, mode).
--
-- Images (`image_or_path`): a path ("app.bin" loads at the flash base, or at
-- options.base), an lf.image, or a list of { path=, base=, format= } and
-- { data=, base= } tables (bytes from memory, e.g. built with string.pack).
--
-- Options / settings: the project settings that concern the flash, with the
-- same names, values and defaults (lua/luaflash/settings.lua): erase
-- ("sector" | "chip" | "auto"), smart_flash, keep_unwritten, verify ("crc" |
-- "readback" | false), base; plus progress = fn(done, total, phase), and
-- the plan's psize / ff_gap / timing_max. Other settings keys (clock, reset,
-- ...) are accepted and ignored, so a project's whole settings table can be
-- passed; an unknown key is an error with a suggestion.
--
-- Progress: fn(done, total, phase) with done/total in bytes of flash work of
-- the current stream (a sector erase counts the sector's size) and phase one
-- of "read" (keep_unwritten reads), "crc32" (smart-flash CRCs, verify),
-- "erase", "mass erase", "program", "readback", "done". Called whenever the
-- target reports progress; an error in it is logged and it is not called
-- again (a progress bar never breaks a flash job).
--
-- Protected regions (protect = {...}, allow_protected, protect_store, as in
-- a project): F:program checks, saves, restores and proves them as a
-- project run does (result.protected); F:plan only keeps them in its plan.
--
-- Results: F:program returns { ok = true, verified = bool, verified_sectors,
-- plan = summary (erase mode, counts, floor_s ...), sectors = plan:sectors(),
-- phases = { {name, seconds}... }, erase_s / program_s / verify_s (target
-- time from the loader's cycle counters), smart_crc_s, keep_read_s, run_s,
-- total_s (the target clock: bench virtual time, or host time) }. Any
-- failure raises an error naming what and where (sector, address, FLASH_SR
-- flags); verified is never true unless every written sector was checked.
local lf = require("luaflash")
local settings = require("luaflash.settings")
local closing = require("luaflash.closing")

local M = {}

local plan_keys = { psize = true, ff_gap = true, timing_max = true, link_bps = true, ring_bytes = true }
local flash_settings = { erase = true, smart_flash = true, keep_unwritten = true, verify = true, erase_avoid = true,
  bits_only = true,
  compress = true,
  base = true, protect = true, allow_protected = true, protect_store = true }

-- Options -> normalised settings (defaults filled) + the extra keys.
local function check_options(opts, what)
  opts = opts or {}
  if type(opts) ~= "table" then error(what .. ": options must be a table", 3) end
  local s = {}
  for k, v in pairs(opts) do
    if k == "progress" then
      if type(v) ~= "function" then error(what .. ": 'progress' must be a function", 3) end
    elseif plan_keys[k] or k == "format" then
      s[k] = v
    elseif type(k) == "string" and settings.spec[k] then
      local nv, err = settings.check(k, v)
      if nv == nil and err then error(what .. ": " .. err, 3) end
      if flash_settings[k] then s[k] = nv end
      -- the flash object's loader erases at its program parallelism only
      if k == "erase_psize" and nv ~= nil then s.erase_psize = nv end
    else
      local hint = type(k) == "string" and settings.suggest(k)
      error(string.format("%s: unknown option '%s'%s", what, tostring(k),
        hint and (" (did you mean '" .. hint .. "'?)") or ""), 3)
    end
  end
  for k in pairs(flash_settings) do
    if s[k] == nil and settings.spec[k].default ~= nil then s[k] = settings.spec[k].default end
  end
  if s.allow_protected ~= nil then -- (names checked against the regions: luaflash.protect)
    local ok, err = pcall(require("luaflash.protect").check_inputs, { protect = s.protect or {},
      allow_protected = s.allow_protected }, nil, nil)
    if not ok then error(what .. ": " .. tostring(err), 3) end
  end
  return s, opts.progress
end
M.check_options = check_options

-- Upload rate host -> target (bytes/s) and the loader's ring size, from one
-- 4 KiB write into the ring of a loader that is NOT running yet (the RAM is
-- scratch then). clock: fn() -> seconds (default: the target's clock).
function M.measure_link(t, ldr, clock)
  clock = clock or function() return t:now_ns() / 1e9 end
  local lay = ldr:layout()
  local n = 4096
  local t0 = clock()
  t:write(lay.ring, string.rep("\0", n))
  local dt = clock() - t0
  local bps = math.floor(n / math.max(dt, 1e-6))
  lf.log("info", string.format("link: %.1f KB/s host -> target (4 KiB in %.1f ms), ring %d KiB",
    bps / 1000, dt * 1000, lay.ring_size // 1024))
  return bps, lay.ring_size
end

-- The plan of image img on geometry g with the plan settings ps (nothing
-- read from the target yet: see complete_plan). erase = "auto" decides by
-- the flash times first; when they favour a chip erase, the plan is made
-- again with the link's rate from link_rate() -> bytes/s, ring bytes (after
-- a mass erase the image beyond the ring streams at that rate). The one
-- place erase = "auto" re-plans: the engine and F:plan both come here.
function M.plan_for(img, g, ps, link_rate)
  local plan = lf.plan(img, g, ps)
  if (ps.erase ~= "auto" and ps.erase ~= "fastest") or ps.link_bps or plan:summary().erase ~= "chip" then
    return plan
  end
  local s2 = {}
  for k, v in pairs(ps) do s2[k] = v end
  s2.link_bps, s2.ring_bytes = link_rate()
  plan:close()
  return lf.plan(img, g, s2)
end

-- One flash object (one loader) per target: a new one closes the old one.
local per_target = setmetatable({}, { __mode = "k" })

-- A flash object is a to-be-closed value: `local F <close> = t:flash()`
-- stops its loader when the scope ends, on an error too.
local flash_mt = { __name = "luaflash.flash", __close = closing.tbc }

-- Readback verify of every sector the plan flags: its bytes read over SWD
-- and compared with the plan's content. report(phase, done, total) optional.
-- Returns the sectors verified; a difference raises naming the first address.
function M.readback_verify(t, plan, report)
  local n, total, done = 0, 0, 0
  local secs = plan:sectors()
  for _, sec in ipairs(secs) do if sec.verify then total = total + sec.size end end
  for i, sec in ipairs(secs) do
    if sec.verify then
      local want = plan:content(i - 1)
      local got = t:read(sec.addr, sec.size)
      if got ~= want then
        local k = 1
        while got:byte(k) == want:byte(k) do k = k + 1 end
        error(string.format("verify (readback): sector %d differs at 0x%08x: flash has 0x%02x, image 0x%02x",
          sec.index, sec.addr + k - 1, got:byte(k), want:byte(k)), 0)
      end
      n = n + 1
      done = done + sec.size
      if report then report("readback", done, total) end
    end
  end
  return n
end

-- What a plan needs from the target, then its decisions: the old bytes of
-- keep_unwritten ranges (read over SWD), the smart-flash CRC32s (computed
-- by the loader on the target), finalize. loader() gives the loader (only
-- called when CRCs are wanted); progress(done, total, phase) is optional.
-- Returns { keep_read_s =, smart_crc_s = } (the steps that ran).
function M.complete_plan(plan, t, loader, clock, progress)
  local need = plan:needs()
  local times = {}
  if #need.reads > 0 then
    local t0, total, done = clock(), 0, 0
    for _, r in ipairs(need.reads) do total = total + r.len end
    if progress then progress(0, total, "read") end
    for _, r in ipairs(need.reads) do
      plan:set_old(r.addr, t:read(r.addr, r.len))
      done = done + r.len
      if progress then progress(done, total, "read") end
    end
    if progress then progress(total, total, "done") end
    times.keep_read_s = clock() - t0
  end
  if #need.crcs > 0 then
    local t0 = clock()
    loader():plan_crcs(plan, progress)
    times.smart_crc_s = clock() - t0
  end
  plan:finalize()
  -- bits-only candidates wait for the link's rate (measured only then: a
  -- 4 KiB write into the ring of the loader, idle after the CRCs) and for
  -- a look at their old bytes (M.bits_probe)
  if plan:summary().bits_want > 0 then
    local t0 = clock()
    for i, sec in ipairs(plan:sectors()) do
      if sec.bits_want then M.bits_probe(plan, i - 1, sec, t, loader()) end
    end
    plan:finalize()
    if plan:summary().bits_want > 0 then
      local bps = M.measure_link(t, loader(), clock)
      plan:finalize(bps, loader():layout().bits_max)
    end
    times.bits_s = clock() - t0
  end
  times.reads, times.crcs = #need.reads, #need.crcs
  return times
end

-- Bits-only: whether sector i (plan:sectors() entry sec) can be programmed
-- over its old content, decided as far as it is cheap to know: 64 old bytes
-- at its first program range (over other firmware that already shows a 0 ->
-- 1 bit); then the CRC32 of each KiB of its new content up to the last
-- program range, and of the rest of the sector, on the target: the rest
-- must read erased, and of the KiBs that differ the first two are read
-- and checked (plan:bits_sample applies the family's rule). A sector whose
-- other changed KiBs need an erase after all is erased by the loader.
local BITS_CHUNK, BITS_READ = 1024, 2
function M.bits_probe(plan, i, sec, t, ldr)
  local a = sec.ranges[1].addr
  local head = sec.ranges[#sec.ranges].addr + sec.ranges[#sec.ranges].len - sec.addr
  if not plan:bits_sample(i, a, t:read(a, math.min(64, sec.addr + head - a))) then return end
  local content = plan:content(i)
  local chunks = {}
  for off = 0, head - 1, BITS_CHUNK do
    chunks[#chunks + 1] = { addr = sec.addr + off, len = math.min(BITS_CHUNK, head - off) }
  end
  if head < sec.size then chunks[#chunks + 1] = { addr = sec.addr + head, len = sec.size - head } end
  local crcs = {}
  for b = 1, #chunks, 32 do
    local got = ldr:crc32(table.move(chunks, b, math.min(b + 31, #chunks), 1, {}))
    for k, c in ipairs(got) do crcs[b + k - 1] = c end
  end
  local reads = 0
  for k, ch in ipairs(chunks) do
    local off = ch.addr - sec.addr
    if crcs[k] ~= lf.crc32(content:sub(off + 1, off + ch.len)) then
      if off >= head then plan:bits_sample(i) return end -- old data after the new content
      if reads < BITS_READ then
        reads = reads + 1
        if not plan:bits_sample(i, ch.addr, t:read(ch.addr, ch.len)) then return end
      end
    end
  end
end

-- The change of a loader's stats since `before` (a previous ldr:stats()).
function M.stats_delta(ldr, before)
  local a = ldr:stats()
  local d = {}
  for k, v in pairs(a) do
    -- the compressed-upload fields describe the last stream, not counters
    if type(v) ~= "number" or (k:match("^z_") and not k:match("^z_total")) then d[k] = v
    else d[k] = v - (before and before[k] or 0) end
  end
  return d
end

-- A flash object for a connected, halted target. opts: { geometry = g
-- (default: read from the chip), loader = { psize=, chunk=, timeout=, ... },
-- progress = fn, clock = fn() -> seconds }. It owns the target's one
-- loader: the engine's target (engine.lua) flashes through it too.
function M.new(t, opts)
  opts = opts or {}
  if per_target[t] then per_target[t]:close() end
  local F = { t = t, progress = opts.progress }
  local g = opts.geometry or lf.target_geometry(t)
  local gi = g:info()
  F.geometry_info = gi
  local ldr

  function F.geometry() return g end

  -- The run's clock: the target's (virtual ns on the bench).
  function F.clock()
    if opts.clock then return opts.clock() end
    return t:now_ns() / 1e9
  end

  -- the loader's compress mode: opts.loader.compress, else the setting's
  -- default ("auto"); a call's `compress` option changes it (F.stream)
  function F.loader()
    if not ldr then
      local lo = {}
      for k, v in pairs(opts.loader or {}) do lo[k] = v end
      if lo.compress == nil then lo.compress = settings.spec.compress.default end
      ldr = lf.loader(t, g, lo)
    end
    return ldr
  end

  -- After an error the loader is dead: the next call starts a fresh one.
  local function drop_loader()
    if ldr then pcall(function() ldr:close() end) end
    ldr = nil
  end

  local function guarded(fn, ...)
    local res = table.pack(pcall(fn, ...))
    if not res[1] then
      drop_loader()
      -- the binding's message says what and where; not which line of this file
      local msg = tostring(res[2]):gsub("^[^\n:]*flash%.lua:%d+: ", "")
      error(msg, 0)
    end
    return table.unpack(res, 2, res.n)
  end

  -- The sector (geometry table) holding addr, or the sector with that index.
  function F.sector(_, x)
    if math.type(x) ~= "integer" then error("flash: sector index or address expected, got " .. tostring(x), 2) end
    if x >= 0 and x < #gi.sectors then return gi.sectors[x + 1] end
    for _, s in ipairs(gi.sectors) do
      if x >= s.addr and x < s.addr + s.size then return s end
    end
    error(string.format("flash: 0x%08x is neither a sector index (0..%d) nor an address in %s " ..
      "(0x%08x..0x%08x)", x, #gi.sectors - 1, gi.name, gi.base, gi.base + gi.size - 1), 2)
  end

  -- An lf.image from a path, an image, or a list of {path|data, base, format}.
  function F.image(_, spec, base, format)
    if type(spec) == "userdata" then return spec:check(g) end
    local list
    if type(spec) == "string" then
      local e = { path = spec, base = base, format = format }
      if e.base == nil and (format == "bin" or (format == nil and spec:lower():match("%.bin$"))) then
        e.base = gi.base
      end
      list = { e }
    elseif type(spec) == "table" then
      list = (spec.path or spec.data) and { spec } or spec
      local copy = {}
      for i, e in ipairs(list) do
        copy[i] = { path = e.path or e[1], data = e.data, base = e.base, format = e.format, name = e.name }
        if copy[i].base == nil and copy[i].data then copy[i].base = base or gi.base end
      end
      list = copy
    else
      error("flash: image expected (a path, an lf.image or a list of {path|data, base}), got " .. type(spec), 3)
    end
    return lf.image(list, g)
  end

  local function report(phase, done, total)
    if F.progress_fn then
      local ok, err = pcall(F.progress_fn, done, total, phase)
      if not ok then
        lf.log("warn", "progress callback failed (no longer called): " .. tostring(err))
        F.progress_fn = nil
      end
    end
  end

  -- Host -> target upload rate in bytes/s, measured once per flash object
  -- with one 4 KiB write into the loader's ring (RAM is scratch while no
  -- loader runs; a running one is stopped first). erase = "auto" needs it
  -- only when the flash times alone favour a chip erase: after a mass erase
  -- the data beyond the ring must stream while programming, which a slow
  -- link cannot keep up with (see plan.h).
  function F.link_rate()
    if F.link_bps then return F.link_bps, F.ring_bytes end
    F.close()
    F.link_bps, F.ring_bytes = M.measure_link(t, F.loader(), F.clock)
    return F.link_bps, F.ring_bytes
  end

  -- A finalized plan for the image: the keep_unwritten reads (over SWD)
  -- and the smart-flash CRCs (on the target) are done here. Returns the
  -- plan (an lf plan: :sectors() -> action and reason per sector,
  -- :summary(), :content(i)) and a table of the times those took.
  local active_guard -- F:program's protected-region guard while it plans
  -- erase_psize (a project setting): this object's loader erases at its
  -- program parallelism, so only that value is accepted here
  local function check_erase_psize(s, what)
    if s.erase_psize and ({ x8 = 1, x16 = 2, x32 = 4, x64 = 8 })[s.erase_psize] ~= g:info().prog_unit then
      error(string.format("%s: erase_psize \"%s\": the flash loader erases at the program parallelism " ..
        "(x%d); a different one needs a project hook with its own loader", what, s.erase_psize,
        8 * g:info().prog_unit), 3)
    end
  end

  function F.plan(_, image, opts2)
    local s, progress = check_options(opts2, "flash:plan")
    check_erase_psize(s, "flash:plan")
    return guarded(function()
      F.progress_fn = progress or F.progress
      local img = F:image(image, s.base, s.format)
      local ps = { erase = s.erase, keep_unwritten = s.keep_unwritten, erase_avoid = s.erase_avoid == true,
        bits_only = s.bits_only ~= false,
        smart_flash = s.smart_flash, verify = s.verify or "none", psize = s.psize, ff_gap = s.ff_gap,
        timing_max = s.timing_max, link_bps = s.link_bps, ring_bytes = s.ring_bytes }
      if active_guard then
        ps.protect = active_guard:plan_regions()
      elseif s.protect and #s.protect > 0 then
        local P = require("luaflash.protect")
        P.check_inputs(s, img, g)
        ps.protect = {}
        for _, r in ipairs(P.regions(s)) do
          if not r.allowed then ps.protect[#ps.protect + 1] = { r.addr, r.len, r.name } end
        end
      end
      local plan = M.plan_for(img, g, ps, F.link_rate)
      local times = M.complete_plan(plan, t, F.loader, F.clock,
        F.progress_fn and function(d, n, ph) report(ph, d, n) end or nil)
      return plan, times
    end)
  end

  -- The parts of a finalized plan the loader runs as ONE stream (what =
  -- { erase =, program =, verify = (CRC32), progress = fn }): the target's
  -- erase/program/CRC times from its cycle counters, run_s, the loader's
  -- stats change and the sectors CRC-verified. Errors are raised as they
  -- come (no retry, the loader is kept: the caller decides).
  function F.stream(_, plan, what)
    local l = F.loader()
    if F.compress_opt ~= nil then l:set_compress(F.compress_opt) end
    local before = l:stats()
    local verified = l:plan_run(plan, what)
    local d = M.stats_delta(l, before)
    return { erase_s = d.target_erase_s, program_s = d.target_program_s, verify_s = d.target_crc_s,
      run_s = d.run_s + d.crc_s, verified = verified, stats = d }
  end

  -- Verify the sectors the plan flags: "crc" (CRC32 on the target by the
  -- loader) or "readback" (bytes over SWD, the loader stopped first: reads
  -- while it idles would make the bench emulate its polling loop; on
  -- hardware it is free). Returns the sectors verified.
  function F.verify(_, plan, mode)
    if mode == "readback" then
      F.close()
      return M.readback_verify(t, plan, report)
    end
    return F.loader():plan_verify(plan)
  end

  -- Erase, program and verify a finalized plan. verify: "crc" (in the same
  -- stream), "readback" or false. Returns the times and the sectors verified.
  function F.run(_, plan, verify)
    return guarded(function()
      local cb = F.progress_fn and function(d, n, ph) report(ph, d, n) end or nil
      local r = F:stream(plan, { erase = true, program = true, verify = verify == "crc", progress = cb })
      local verified = r.verified
      if verify == "readback" then verified = F:verify(plan, "readback") end
      return { erase_s = r.erase_s, program_s = r.program_s, verify_s = r.verify_s, run_s = r.run_s,
        verified = verify and true or false, verified_sectors = verified, stats = r.stats }
    end)
  end

  -- Program an image: plan (reads, smart-flash CRCs), then erase + program
  -- + verify in one stream. Raises on any failure.
  function F.program(_, image, opts2)
    local s, progress = check_options(opts2, "flash:program")
    check_erase_psize(s, "flash:program")
    local t0 = F.clock()
    F.compress_opt = s.compress
    F.progress_fn = progress or F.progress
    -- protected regions: checked, CRC'd (a saved copy restored), saved
    -- before the erase and proven after the verify (luaflash.protect)
    local guard
    if s.protect and #s.protect > 0 then
      local P = require("luaflash.protect")
      image = F:image(image, s.base, s.format)
      guarded(P.check_inputs, s, image, g)
      guard = P.new(s, { t = t, F = F }, { part = gi.name })
      guarded(guard.before, guard, image, g)
    end
    active_guard = guard
    local ok, plan, times = pcall(F.plan, F, image, opts2)
    active_guard = nil
    if not ok then error(plan, 0) end
    if guard then guarded(guard.save, guard, plan) end
    local sum = plan:summary()
    local okr, r = pcall(F.run, F, plan, s.verify)
    if not okr then
      -- erase avoidance: a verify failure on a sector programmed without its
      -- erase is a CRC32 collision (it only read blank): once more, erasing
      local flash_err = sum.bits > 0 and tostring(r):find("flash: program 0x") ~= nil
      if sum.blank + sum.bits == 0 or not (tostring(r):find("verify") or flash_err) or
          (opts2 and opts2.erase_avoid == false) then
        error(r, 0)
      end
      lf.log("warn", flash_err and "a sector programmed without its erase failed (the part refused a write " ..
        "over programmed data); erasing and programming again" or "verify failed on a sector programmed " ..
        "without its erase (a CRC32 collision); erasing and programming again")
      local o = {}
      for k, v in pairs(opts2 or {}) do o[k] = v end
      o.erase_avoid = false
      plan:close()
      -- the failed job's loader was dropped running: halt, and start afresh
      F.close()
      t:halt()
      return F:program(image, o)
    end
    local protected = guard and guarded(guard.after, guard)
    report("done", 1, 1)
    -- bits-only sectors: the loader's outcome (an erase it needed counts as erased)
    sum.bits_kept, sum.bits_erased = r.stats and r.stats.bits_kept or 0, r.stats and r.stats.bits_erased or 0
    sum.erased = sum.erased + sum.bits_erased
    sum.without_erase = sum.blank + sum.bits_kept
    local res = { ok = true, verified = r.verified, verified_sectors = r.verified_sectors,
      plan = sum, sectors = plan:sectors(), erase_s = r.erase_s, program_s = r.program_s,
      verify_s = r.verify_s, run_s = r.run_s, smart_crc_s = times.smart_crc_s,
      keep_read_s = times.keep_read_s, stats = r.stats, total_s = F.clock() - t0, settings = s,
      protected = protected }
    res.phases = {
      { name = "plan", seconds = (times.smart_crc_s or 0) + (times.keep_read_s or 0) },
      { name = "erase", seconds = r.erase_s, streamed = true },
      { name = "program", seconds = r.program_s, streamed = true },
      s.verify and { name = "verify", seconds = s.verify == "crc" and r.verify_s or nil, mode = s.verify,
        sectors = r.verified_sectors } or { name = "verify", skipped = true, by = "verify = false" },
    }
    if not s.verify then lf.log("warn", "verify = false: the programmed data was not verified") end
    res.plan_object = plan
    return res
  end

  -- Erase sectors (indices or addresses, any order, duplicates once), then
  -- check on the target that each reads all 0xFF (verify = false skips it).
  -- { all = true } or "all" erases the whole array with mass erase.
  -- Returns the list of sector indices erased.
  function F.erase_sectors(_, list, opts2)
    opts2 = opts2 or {}
    local steps, idx, seen = {}, {}, {}
    if list == "all" or (type(list) == "table" and list.all) then
      steps[1] = { op = "mass", banks = gi.dual_bank and 3 or 1 }
      for _, s in ipairs(gi.sectors) do idx[#idx + 1] = s.index end
    else
      if type(list) ~= "table" then error("flash:erase_sectors: a list of sector indices or addresses expected", 2) end
      local secs = {}
      for _, x in ipairs(list) do
        local s = F:sector(x)
        if not seen[s.index] then seen[s.index] = true; secs[#secs + 1] = s end
      end
      table.sort(secs, function(a, b) return a.addr < b.addr end)
      for _, s in ipairs(secs) do
        steps[#steps + 1] = { op = "erase", addr = s.addr }
        idx[#idx + 1] = s.index
      end
    end
    if #steps == 0 then return idx end
    F.progress_fn = opts2.progress or F.progress
    guarded(function()
      local cb = F.progress_fn and function(d, n, ph) report(ph, d, n) end or nil
      F.loader():run(steps, cb)
      if opts2.verify ~= false then
        local ranges, want = {}, {}
        for _, i in ipairs(idx) do
          local s = gi.sectors[i + 1]
          ranges[#ranges + 1] = { addr = s.addr, len = s.size }
        end
        local crcs = {}
        for k = 1, #ranges, 32 do
          local part = table.move(ranges, k, math.min(k + 31, #ranges), 1, {})
          for j, c in ipairs(F.loader():crc32(part)) do crcs[k + j - 1] = c end
        end
        for j, r in ipairs(ranges) do
          want[r.len] = want[r.len] or lf.crc32(string.rep("\255", r.len))
          if crcs[j] ~= want[r.len] then
            error(string.format("flash: sector %d (0x%08x) does not read erased after the erase " ..
              "(CRC32 0x%08x, erased 0x%08x)", idx[j], r.addr, crcs[j], want[r.len]), 0)
          end
        end
      end
    end)
    return idx
  end

  -- Write bytes at addr: the sectors the range touches are erased and
  -- programmed. The other bytes of those sectors are KEPT (read first and
  -- written back: keep_unwritten defaults to true here, unlike a project
  -- image), so write() changes exactly [addr, addr + #data). Unchanged
  -- sectors are skipped (smart flash), and the result is CRC-verified.
  -- opts: any flash:program option (keep_unwritten = false: the rest of the
  -- touched sectors ends 0xFF). Returns flash:program's result.
  function F.write(_, addr, data, opts2)
    if math.type(addr) ~= "integer" then error("flash:write: address must be an integer", 2) end
    if type(data) ~= "string" or #data == 0 then error("flash:write: data must be a non-empty string", 2) end
    local o = {}
    for k, v in pairs(opts2 or {}) do o[k] = v end
    if o.keep_unwritten == nil then o.keep_unwritten = true end
    if o.erase == nil then o.erase = "sector" end
    return F:program({ { data = data, base = addr, name = string.format("write 0x%08x", addr) } }, o)
  end

  -- zlib CRC32 of [addr, addr + len) computed on the target.
  function F.crc32(_, addr, len)
    if math.type(addr) ~= "integer" or math.type(len) ~= "integer" or len < 0 then
      error("flash:crc32: integer address and length expected", 2)
    end
    if len == 0 then return 0 end
    return guarded(function() return F.loader():crc32 { { addr = addr, len = len } }[1] end)
  end

  function F.read(_, addr, len) return t:read(addr, len) end

  -- Stop the loader (the flash is locked again, the core halted at the
  -- loader's exit). The target stays connected and F usable: the next call
  -- that needs the loader starts a fresh one. A loader already closed with
  -- its target (or probe) is only dropped. A stop failure is raised after
  -- the loader is released.
  function F.close()
    if ldr then
      local l = ldr
      ldr = nil
      local ok, err = true, nil
      if not l:is_closed() then ok, err = pcall(function() l:stop() end) end
      l:close()
      if not ok then error(err, 0) end
    end
  end

  per_target[t] = F
  return setmetatable(F, flash_mt)
end

-- target:flash([opts]): the target's flash object (a new one with opts).
local function target_flash(t, opts)
  return (not opts and per_target[t]) or M.new(t, opts)
end

-- target:flash([opts]) -> the target's flash object.
-- target:program(image_or_path, options) -> result; the loader is stopped
-- afterwards (options.keep_loader = true keeps it running for more calls).
local function target_program(t, image, opts)
  local o, keep = {}, false
  for k, v in pairs(opts or {}) do
    if k == "keep_loader" then keep = v else o[k] = v end
  end
  local F = target_flash(t)
  local res = F:program(image, o)
  if not keep then F:close() end
  return res
end

M.target_program = target_program
M.target_flash = target_flash

-- Install t:flash() and t:program() on every target object.
do
  local mt = debug.getregistry()["luaflash.target"]
  if mt and type(mt.__index) == "table" then
    mt.__index.flash = mt.__index.flash or target_flash
    mt.__index.program = mt.__index.program or target_program
  end
end

return M
