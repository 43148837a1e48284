-- The engine behind lua/luaflash/sequence.lua: the primitives of the default
-- sequence built on the C bindings (luaflash.core): images, probe, target,
-- plan and the streaming flash loader. A project's own program(ctx) can call
-- the same methods (ctx.target:flash(plan), ctx.target.t for raw access).

local lf = require("luaflash")
local targets = require("luaflash.chips")   -- the parts table behind one lookup
local flash = require("luaflash.flash")
local closing = require("luaflash.closing")
-- protected regions (luaflash.protect): loaded only by runs that have some
local function protect() return require("luaflash.protect") end
local function protects(s) return (s.protect and #s.protect > 0) or s.allow_protected ~= nil end

local M = {}
local Probe, Target = {}, {}

local function fmt_s(s) return string.format("%.3f s", s) end

-- engine for one run. opts: { board = board table or nil, log = fn }
function M.new(opts)
  opts = opts or {}
  -- stage: "input" until the probe is opened (errors then are input errors,
  -- exit status 2), "target" afterwards (exit status 1).
  local E = { board = opts.board, result_extra = {}, stage = "input" }
  -- a run that regresses read protection itself (production option_bytes
  -- rdp = 0) connects to a protected chip; every other run stops there
  E.allow_read_protected = opts.allow_read_protected

  function E.log(level, msg) lf.log(level, msg) end

  -- Seconds on the run's clock: the bench's virtual time when the probe is a
  -- virtual board, else the host's monotonic clock.
  function E.clock()
    if E.bench then return E.bench:time_ns(E.bench_n) / 1e9 end
    return lf.monotonic()
  end

  -- The chip of the run: the `chip` setting (old name `target`), else the
  -- board's.
  local function target_info(s)
    local name = s.chip or s.target or (E.board and E.board.target)
    if not name then
      error("no chip: set 'board' (luaflash boards lists them) or 'chip' (luaflash chips; " ..
        "--chip PART on the command line)", 0)
    end
    if s.pack then
      -- a device of the pack (engine M.geometry looks it up there); a part
      -- luaflash knows as well gives the identity check at connect and the
      -- datasheet times of the plan
      local known = targets.get(name)
      return { name = name, pack = true, known = known, family = known and known.family,
        dev_id = known and known.dev_id, line = known and known.line }, name
    end
    local t, err = targets.get(name)
    if not t then error(err, 0) end
    return t, t.name
  end

  -- Parse and check every image against the target's nominal flash (before
  -- the probe is opened).
  function E.load_images(s)
    local tinfo, tname = target_info(s)
    local g = M.geometry(s, tinfo)
    local base = g:info().base
    local spec = s.image
    if spec == nil then
      error("no image: set 'image' in the project file or give image=FILE on the command line", 0)
    end
    if type(spec) == "string" then spec = { { path = spec } } end
    local list = {}
    for i, im in ipairs(spec) do
      local e = { path = im.path or im[1], format = im.format, base = im.base }
      if e.base == nil and (s.base ~= nil and #spec == 1) then e.base = s.base end
      if e.base == nil and e.path:lower():match("%.bin$") then
        e.base = base
        E.log("info", string.format("%s: raw binary at the flash base 0x%08x", e.path, base))
      end
      list[i] = e
    end
    local img = lf.image(list, g, { max_file = (s.image_max_mb or 256) << 20 })
    E.log("info", string.format("image: %d bytes in %d segment(s), checked against %s (%s)",
      img:bytes(), #img:segments(), tname, g:info().name))
    -- protected regions: inside the flash, no image byte inside one
    if protects(s) then protect().check_inputs(s, img, g) end
    return { image = img, list = list, nominal = g }
  end

  function E.open_probe(s)
    E.stage = "target"
    local sel = s.probe
    local p
    if sel == nil and E.board and E.board.probe then
      -- the board's own probe kind first; a board wired to another probe
      -- (a CMSIS-DAP probe on the NUCLEO's SWD header) when that probe is
      -- the only one attached (the chip is checked at connect anyway)
      local ok, res = pcall(lf.open, { kind = E.board.probe.kind })
      if ok then
        p = res
      else
        local list = lf.probes()
        if #list ~= 1 then error(res, 0) end
        E.log("info", string.format("no %s probe (the board's own) found; using the only probe attached: %s %s",
          E.board.probe.kind, list[1].kind, list[1].serial))
        p = lf.open { serial = list[1].serial }
      end
    else
      p = lf.open(sel)
    end
    local bench, n = p:bench()
    if bench then
      -- from here on the run's clock is this board's virtual time
      E.bench, E.bench_n = bench, n
      E.bench_start = bench:time_ns(n) / 1e9
    end
    E.result_extra.probe = p:info()
    return setmetatable({ p = p, E = E, target_info = target_info }, Probe)
  end

  function E.check_images(images, T)
    images.image:check(T.geometry)
  end

  -- Protected regions (lua/luaflash/protect.lua), after connect and before
  -- the plan: their CRC32s on the target; a saved copy an interrupted run
  -- left is restored through the image. Nothing (no target access at all)
  -- when the settings protect nothing.
  function E.protect_before(images, T, s)
    if not protects(s) then return end
    E.guard = protect().new(s, T, { log = E.log, part = T.info and T.info.chip,
      probe_serial = E.result_extra.probe and E.result_extra.probe.serial })
    E.guard:before(images.image, T.geometry)
  end

  -- After verify: every region proven unchanged (raises naming one that
  -- is not); the report goes to the result (`protected`).
  function E.protect_after(T)
    if not E.guard or not E.guard.tracked then return end
    local list = E.guard:after()
    E.result_extra.protected = list
    for _, r in ipairs(list) do
      E.log("info", string.format("protected region '%s' 0x%08X-0x%08X: %s%s", r.name, r.addr, r.addr + r.len - 1,
        r.status, (r.written_back or 0) > 0 and string.format(" (%d bytes read and written back)", r.written_back)
        or ""))
    end
  end

  -- The plan: old bytes for keep_unwritten (read over SWD), target CRCs for
  -- smart flash (computed by the loader on the target), then the decisions.
  function E.plan(images, T, s)
    local set = { erase = s.erase, keep_unwritten = s.keep_unwritten, smart_flash = s.smart_flash,
      verify = s.verify or "none", erase_avoid = s.erase_avoid == true, bits_only = s.bits_only ~= false,
      erase_psize = s.erase_psize }
    -- protected regions: the guard's (restores excluded), else the settings'
    if E.guard and E.guard.tracked then
      set.protect = E.guard:plan_regions()
    elseif s.protect and #s.protect > 0 then
      set.protect = {}
      for _, r in ipairs(protect().regions(s)) do
        if not r.allowed then set.protect[#set.protect + 1] = { r.addr, r.len, r.name } end
      end
    end
    -- (erase = "auto" measures the link through the target's flash object)
    local plan = flash.plan_for(images.image, T.geometry, set, T.F.link_rate)
    local times = flash.complete_plan(plan, T.t, T.loader, E.clock, E.progress)
    if times.keep_read_s then
      E.result_extra.keep_read_s = times.keep_read_s
      E.log("info", string.format("keep_unwritten: read %d range(s) in %s", times.reads, fmt_s(times.keep_read_s)))
    end
    if times.smart_crc_s then
      E.result_extra.smart_crc_s = times.smart_crc_s
      E.log("info", string.format("smart flash: CRC32 of %d sector(s) on the target in %s", times.crcs,
        fmt_s(times.smart_crc_s)))
    end
    -- the bytes of protected regions about to be erased: saved on the host first
    if E.guard then E.guard:save(plan) end
    local sum = plan:summary()
    E.result_extra.plan = sum
    E.log("info", string.format("plan: %s erase, %d erased, %d programmed, %d unchanged; flash floor %s%s",
      sum.erase, sum.erased, sum.programmed, sum.unchanged, fmt_s(sum.floor_s),
      sum.serial_floor_s > sum.floor_s and (" (banks at once; one after the other " ..
        fmt_s(sum.serial_floor_s) .. ")") or ""))
    if sum.smart_note then E.log("info", "smart flash: " .. sum.smart_note) end
    if sum.auto_note then E.log("info", "erase = \"auto\": " .. sum.auto_note) end
    if sum.protect_bytes > 0 then
      E.log("info", string.format("protected regions: %d byte(s) in erased sectors are read and written back",
        sum.protect_bytes))
    end
    return plan
  end

  return E
end

-- The probe of a run (engine.open_probe): connect(settings) -> target;
-- close() closes the probe and with it every target and loader on it. A
-- to-be-closed value (luaflash.closing).
Probe.__index = Probe
Probe.__name = "luaflash.engine.probe"
Probe.__close = closing.tbc

function Probe:connect(st)
  local E, p = self.E, self.p
  E.flash_timeout = st.flash_timeout
  E.loader_ram = st.loader_ram
  E.compress = st.compress
  E.compress_effort = st.compress_effort
  local hz, known = p:set_clock(st.clock)
  if known then
    E.log("info", string.format("SWD clock %.3f MHz (asked %.3f MHz)", hz / 1e6, st.clock / 1e6))
  else
    E.log("info", string.format("SWD clock %.3f MHz requested (the probe does not report the clock it produces)",
      hz / 1e6))
  end
  E.result_extra.clock_hz = hz
  E.result_extra.clock_requested = not known or nil
  -- a multidrop target (RP2040): the family's or board's TARGETSEL picks the DP
  if st.targetsel and st.targetsel ~= 0 then
    E.log("info", string.format("SWD multidrop: TARGETSEL 0x%08x", st.targetsel))
  end
  -- the target's connect below connects the probe itself (same mode): a
  -- probe connect first is only needed to select a multidrop DP (an ST-LINK
  -- would enter SWD twice: five round trips for nothing)
  if st.targetsel and st.targetsel ~= 0 then
    p:connect(st.connect == "under-reset" and "under-reset" or "normal", st.targetsel)
  end
  local part = self.target_info(st)
  -- the part's family identifies the chip first and sets its debug bits at connect
  local t = p:target { disconnect_timeout = st.disconnect_timeout, family = part.family }
  local info = t:connect(st.connect == "under-reset" and "under-reset" or "halt")
  -- the chip the settings name (board or chip) is the one connected: the
  -- images were checked against its flash; fail before any write (a pack's
  -- device luaflash does not know is taken as named: nothing to compare)
  if part.pack and not part.known then
    E.log("info", string.format("chip: %s from %s (luaflash reads %s here)", part.name, st.pack,
      info.family and tostring(info.chip) or "no ID it knows"))
  elseif info.family ~= part.family or info.dev_id ~= part.dev_id then
    error(string.format("connected chip %s (DEV_ID 0x%03x) is not the %s the settings name (DEV_ID 0x%03x): " ..
      "check 'chip' and 'board' (luaflash chips); nothing was written", tostring(info.chip), info.dev_id,
      part.name, part.dev_id), 1)   -- (a position: the CLI prints it as luaflash's own, no traceback)
  end
  -- RDP level 1/2: nothing can be flashed; fail before any write (protection.lua)
  if not E.allow_read_protected then require("luaflash.protection").check(t) end
  -- a flash described by the board or project (setting `flash`), else the
  -- chip's own (its flash size register and bank mode, read at connect)
  local g = (st.flash or st.flm or st.pack) and M.geometry(st, part) or lf.target_geometry(t)
  local gi = g:info()
  E.log("info", string.format("connected: %s %s, %s", info.core, info.core_rev, gi.name))
  E.result_extra.target = { chip = info.chip, core = info.core, idcode = info.idcode,
    dpidr = info.dpidr, flash = gi.name }
  return M.target(E, p, t, g, info)
end

function Probe:close() self.p:close() end

-- A connected target: raw access in .t, the flash through flash.lua's object
-- in .F (the one loader of this target: started on first use, stopped before
-- a reset, a disconnect, a readback verify or close). .loader() is F's (a
-- plain function: T.loader() and T:loader() both work). A to-be-closed
-- value: close() stops the loader and closes the raw target (the probe
-- stays open; nothing is reset or disconnected).
Target.__index = Target
Target.__name = "luaflash.engine.target"
Target.__close = closing.tbc

-- The nominal geometry of the run's chip: the `flash` setting's description
-- (family and line default to the chip's), else the part's.
function M.geometry(s, part)
  if s.flm or s.pack then return M.flm_geometry(s, part) end
  if not s.flash then return lf.geometry { part = part.name } end
  local d = {}
  for k, v in pairs(s.flash) do d[k] = v end
  if d.family == nil then d.family = part.family end
  if d.line == nil then d.line = part.line end
  local ok, g = pcall(lf.geometry, d)
  if not ok then error("setting 'flash': " .. tostring(g):gsub("^[^\n]-%.lua:%d+: ", ""), 0) end
  return g
end

-- The geometry of a chip programmed by a CMSIS-Pack algorithm: the pack's
-- device (its default algorithm, flash range and RAM) or a bare .FLM on a
-- part luaflash knows (its RAM). Every file is read and checked here,
-- before the probe is touched.
function M.flm_geometry(s, part)
  local known = part.pack and part.known or (not part.pack and part) or nil
  local ram = s.flm_ram
  if ram then
    ram = { start = ram.start or ram[1], size = ram.size or ram[2] }
    if math.type(ram.start) ~= "integer" or math.type(ram.size) ~= "integer" then
      error("setting 'flm_ram': expected { start = addr, size = bytes }", 0)
    end
  end
  local ok, g, info = pcall(lf.flm_part, { pack = s.pack, flm = not s.pack and s.flm or nil,
    chip = s.pack and part.name or (known and known.name:upper()), part = known and known.name,
    ram = ram, mode = s.flm_mode })
  if not ok then error(tostring(g):gsub("^[^\n]-%.lua:%d+: ", ""), 0) end
  if s.pack and s.flm then lf.log("warn", "setting 'flm' is ignored: the pack's algorithm is used") end
  lf.log("info", string.format("flash algorithm %s (%s, page %d bytes, %s), flash 0x%08x + %d KiB", info.algorithm,
    info.algorithm_device, info.page_size, info.mode, info.flash_start, info.flash_size // 1024))
  return g, info
end

function M.target(E, p, t, g, info)
  local F = flash.new(t, { geometry = g, clock = E.clock,
    loader = { timeout = E.flash_timeout, compress = E.compress, z_effort = E.compress_effort, ram_size = E.loader_ram } })
  return setmetatable({ p = p, t = t, geometry = g, info = info, F = F, loader = F.loader, E = E }, Target)
end

-- The model's figures behind a compressed-upload decision: "upload 0.41 s
-- > program 0.27 s; compressed 0.29 s", or nil (c: result.compress).
function M.compress_detail(c)
  local function s(x) return string.format("%.2f s", x or 0) end
  local why = c.why or "?"
  local detail
  if (c.upload_s or 0) > 0 or (c.flash_s or 0) > 0 then
    if why == "link bound" then
      detail = string.format("upload %s > program %s; compressed %s", s(c.upload_s), s(c.flash_s),
        s(c.predicted_compressed_s))
    elseif why == "flash bound" then
      detail = string.format("upload %s <= program %s", s(c.upload_s), s(c.flash_s))
    elseif why == "does not pay" or why == "on" then
      detail = string.format("compressed %s vs plain %s; inflate %s", s(c.predicted_compressed_s),
        s(c.predicted_plain_s), s(c.inflate_s))
    end
  end
  return detail
end

-- The decision as one line: "on (link bound: upload 0.41 s > program
-- 0.27 s; compressed 0.29 s)".
function M.compress_reason(c)
  local detail = M.compress_detail(c)
  return (c.used and "on" or "off") .. " (" .. (c.why or "?") .. (detail and ": " .. detail or "") .. ")"
end

-- erase / program / verify in one stream (flags select parts).
-- The stream's compressed-upload decision goes into the run's result
-- (result.compress: used, why, bytes, compressed, ratio, predictions).
function Target:flash(plan, what)
  local r = self.F:stream(plan, what)
  local st = r.stats or {}
  local ps = self.E and self.E.result_extra.plan
  if ps and what.program then -- bits-only sectors: the loader's outcome
    ps.bits_kept = (ps.bits_kept or 0) + (st.bits_kept or 0)
    ps.bits_erased = (ps.bits_erased or 0) + (st.bits_erased or 0)
    ps.erased = ps.erased + (st.bits_erased or 0) -- an erase the loader needed counts
    ps.without_erase = (ps.blank or 0) + ps.bits_kept
  end
  if self.E and (st.z_raw or 0) > 0 and what.program then
    self.E.result_extra.compress = { used = st.compressed == true, why = st.compress_why,
      bytes = st.z_raw, compressed_bytes = st.z_bytes,
      ratio = st.z_raw > 0 and st.z_bytes / st.z_raw or nil, link_bps = st.z_link_bps,
      predicted_plain_s = st.z_pred_off_s, predicted_compressed_s = st.z_pred_on_s,
      upload_s = st.z_upload_s, upload_compressed_s = st.z_upload_compressed_s,
      flash_s = st.z_flash_s, inflate_s = st.z_inflate_s }
    local c = self.E.result_extra.compress
    c.reason = M.compress_reason(c)
    c.detail = M.compress_detail(c)
    -- the plan's summary (result.plan) carries it too: the loader decides
    -- when the stream starts (the link rate is measured then), after the plan
    local ps = self.E.result_extra.plan
    if type(ps) == "table" then ps.compress = c.reason end
  end
  return r
end
function Target:erase(plan) return self:flash(plan, { erase = true, program = false, verify = false }) end
function Target:program(plan) return self:flash(plan, { erase = false, program = true, verify = false }) end
function Target:verify(plan, mode) return self.F:verify(plan, mode) end

function Target:reset(kind, halt)
  self.F.close()
  self.t:reset(kind == "hardware" and "hardware" or "system", halt and true or false)
end

-- Returns the seconds spent waiting for the power-down acknowledge.
function Target:disconnect(timeout, resume)
  pcall(self.F.close)
  return self.t:disconnect { resume = resume ~= false, timeout = timeout }
end

function Target:close()
  local ok, err = pcall(self.F.close)
  self.t:close()
  if not ok then error(err, 0) end
end

return M
