-- Protected regions: flash a project declares untouchable (calibration,
-- EEPROM emulation, another team's bootloader), and the proof that a run
-- left them as they were.
--
--   protect = { {0x081C0000, 0x40000, "calibration"} }   -- settings.lua
--
-- What a run does with them (lua/luaflash/engine.lua calls these):
--
--   check_inputs   before the probe is opened: every region inside the flash,
--                  no image byte inside one unless allow_protected names it
--                  (an input error, exit status 2: nothing was touched)
--   guard:before   after connect: the CRC32 of every region on the target
--                  (the loader computes it); a saved copy left by an
--                  interrupted run is checked and, where the target lost the
--                  bytes, laid over the image so the plan writes them back
--   guard:regions  the regions the plan must keep (lf.plan's `protect`): it
--                  reads their bytes in every sector it erases and writes
--                  them back
--   guard:save     before anything is erased: the bytes the plan is about to
--                  erase and write back, saved durably on the host (below)
--   guard:after    after verify: every region's CRC32 again, equal to the
--                  one before (or to the saved copy's, for a restored
--                  region), else the run fails naming it; then the saved copy
--                  is removed
--
-- The saved copy: one file per chip, <protect_store>/<key>.lfprot, key =
-- the chip's unique ID (lf.unique_id) or, when the family knows none, the
-- probe serial + part. Written with fs.replace (temp file, fsync, rename,
-- folder fsync) BEFORE the first erase, so a power loss or a kill at any
-- later moment leaves either no copy (nothing was erased yet) or a whole
-- one; the next run on that chip restores from it. It carries, per region,
-- its address, length, name, the CRC32 of the whole region before the run
-- and the bytes that were at risk, and ends with a CRC32 of the file. The
-- file is removed only after a run proved every region; a damaged file
-- stops the run before any write (delete it when the regions are intact).
local lf = require("luaflash")

local M = {}

local MAGIC = "LFPROT1\n"

local function hexrange(r) return string.format("0x%08X-0x%08X", r.addr, r.addr + r.len - 1) end

local function describe(r)
  return string.format("'%s' (%s%s)", r.name, hexrange(r), r.from and (", " .. r.from) or "")
end

-- allow_protected: true, false/nil, or a list of names.
local function allowed(s, name)
  local a = s.allow_protected
  if a == true then return true end
  if type(a) == "table" then
    for _, n in ipairs(a) do if n == name then return true end end
  end
  return false
end
M.allowed = allowed

-- The regions of the settings, each with .allowed.
function M.regions(s)
  local out = {}
  for i, r in ipairs(s.protect or {}) do
    out[i] = { addr = r.addr, len = r.len, name = r.name, from = r.from, allowed = allowed(s, r.name) }
  end
  return out
end

-- Names in allow_protected that no region has: a typo would silently
-- protect nothing less, but the user meant something: say so.
local function check_allow_names(s)
  if type(s.allow_protected) ~= "table" then return end
  for _, n in ipairs(s.allow_protected) do
    local found = false
    for _, r in ipairs(s.protect or {}) do found = found or r.name == n end
    if not found then
      local names = {}
      for _, r in ipairs(s.protect or {}) do names[#names + 1] = "'" .. r.name .. "'" end
      error(string.format("setting 'allow_protected': no protected region is named '%s' (%s)", n,
        #names > 0 and table.concat(names, ", ") or "no regions are protected"), 0)
    end
  end
end

-- Every region inside the flash of geometry g (main array).
local function check_inside(regions, g)
  local gi = g:info()
  for _, r in ipairs(regions) do
    if r.addr < gi.base or r.addr + r.len > gi.base + gi.size then
      error(string.format("protected region %s is not inside the flash of %s (0x%08X-0x%08X)",
        describe(r), gi.name, gi.base, gi.base + gi.size - 1), 0)
    end
  end
end

-- The first byte of img in [addr, addr+len), or nil.
local function first_image_byte(img, addr, len)
  for _, sg in ipairs(img:segments()) do
    if sg.addr < addr + len and sg.addr + sg.len > addr then return math.max(sg.addr, addr) end
  end
  return nil
end

-- Input checks (before the probe is opened; errors are input errors).
-- img and g may be nil: the settings alone are checked.
function M.check_inputs(s, img, g)
  check_allow_names(s)
  if not s.protect or #s.protect == 0 or not img then return end
  local regions = M.regions(s)
  check_inside(regions, g)
  for _, r in ipairs(regions) do
    if not r.allowed then
      local a = first_image_byte(img, r.addr, r.len)
      if a then
        error(string.format("the image writes protected region %s: first byte 0x%08X from %s; " ..
          "remove that data, or let this run write the region with allow_protected = { \"%s\" }",
          describe(r), a, img:source(a, g) or "the image", r.name), 0)
      end
    end
  end
end

-- The default folder of the saved copies.
function M.store_dir(s)
  if s.protect_store then return s.protect_store end
  local state = os.getenv("XDG_STATE_HOME")
  if not state or state == "" then
    local home = os.getenv("HOME")
    if not home or home == "" then
      error("protected regions: no folder for the saved copies (HOME and XDG_STATE_HOME are unset): " ..
        "set protect_store", 0)
    end
    state = home .. "/.local/state"
  end
  return state .. "/luaflash/protected"
end

-- ---- the saved copy ----

local function encode(key, regions)
  local parts = { MAGIC, string.pack("<s2s2I4", key, os.date("!%Y-%m-%dT%H:%M:%SZ"), #regions) }
  for _, r in ipairs(regions) do
    parts[#parts + 1] = string.pack("<I4I4I4s2I4", r.addr, r.len, r.crc, r.name, #r.pieces)
    for _, p in ipairs(r.pieces) do parts[#parts + 1] = string.pack("<I4s4", p.addr, p.data) end
  end
  local body = table.concat(parts)
  return body .. string.pack("<I4", lf.crc32(body))
end

local function decode(text, path)
  local function bad(why)
    error(string.format("saved copy of protected regions %s is damaged (%s): if the regions on the " ..
      "target are intact, delete it", path, why), 0)
  end
  if #text < #MAGIC + 4 or text:sub(1, #MAGIC) ~= MAGIC then bad("not a luaflash saved copy") end
  local body = text:sub(1, -5)
  if string.unpack("<I4", text, #text - 3) ~= lf.crc32(body) then bad("its CRC32 does not match") end
  local ok, res = pcall(function()
    local key, when, n, pos = string.unpack("<s2s2I4", body, #MAGIC + 1)
    local regions = {}
    for i = 1, n do
      local r = {}
      local np
      r.addr, r.len, r.crc, r.name, np, pos = string.unpack("<I4I4I4s2I4", body, pos)
      r.pieces = {}
      for k = 1, np do
        local p = {}
        p.addr, p.data, pos = string.unpack("<I4s4", body, pos)
        r.pieces[k] = p
      end
      regions[i] = r
    end
    return { key = key, when = when, regions = regions }
  end)
  if not ok then bad(tostring(res)) end
  return res
end

-- ---- the guard of one run ----

local Guard = {}
Guard.__index = Guard

-- s: the run's settings; T: the connected target (engine.lua: .t, .F,
-- .geometry); opts: { log = fn(level, msg), probe_serial = text,
-- part = name, fs = luaflash.fs (tests: a fake) }.
function M.new(s, T, opts)
  opts = opts or {}
  local G = setmetatable({ s = s, T = T, log = opts.log or lf.log, fs = opts.fs or lf.fs,
    regions = M.regions(s), opts = opts }, Guard)
  return G
end

-- CRC32 of each range on the target (the loader, 32 ranges per call).
function Guard:crcs(list)
  local out = {}
  for k = 1, #list, 32 do
    local part = {}
    for j = k, math.min(k + 31, #list) do part[#part + 1] = { addr = list[j].addr, len = list[j].len } end
    for j, c in ipairs(self.T.F.loader():crc32(part)) do out[k + j - 1] = c end
  end
  return out
end

-- The key of the chip's saved copy: its unique ID, else probe serial + part.
function Guard:key()
  local t = self.T.t
  local ua, ulen = lf.unique_id(t)
  local what
  if ua then
    local uid = t:read(ua, ulen)
    what = "uid-" .. uid:gsub(".", function(c) return string.format("%02x", c:byte()) end)
  else
    local serial = (self.opts.probe_serial or "noserial"):gsub("[^%w%-_]", "_")
    what = "probe-" .. serial .. "-" .. tostring(self.opts.part or "chip"):gsub("[^%w%-_]", "_")
  end
  return what
end

function Guard:path()
  return self.dir .. "/" .. self.chip_key .. ".lfprot"
end

-- Before the plan: CRCs, and the restore of a saved copy whose bytes the
-- target lost. img: the run's lf.image (restored bytes are patched into
-- it); g: the target's geometry.
function Guard:before(img, g)
  if #self.regions == 0 then return end -- (nothing to prove: no cost for runs without regions)
  self.dir = M.store_dir(self.s)
  check_inside(self.regions, g)
  self.chip_key = self:key()
  local tracked = {}
  for _, r in ipairs(self.regions) do
    if not r.allowed then tracked[#tracked + 1] = r end
  end
  self.tracked = tracked
  local text = self.fs.read(self:path())
  if text then
    local saved = decode(text, self:path())
    self.saved = saved
    local now = self:crcs(saved.regions)
    for i, sr in ipairs(saved.regions) do
      if now[i] == sr.crc then
        self.log("info", string.format("protected region '%s': intact on the target (the saved copy of %s " ..
          "from an interrupted run is not needed)", sr.name, saved.when))
      else
        local n = 0
        for _, p in ipairs(sr.pieces) do
          n = n + #p.data
          local a = first_image_byte(img, p.addr, #p.data)
          if a then
            error(string.format("protected region '%s' (%s) lost bytes in an interrupted run; its saved " ..
              "copy %s would restore them, but the image writes 0x%08X (%s): remove that data (or delete the " ..
              "saved copy to give the bytes up)", sr.name, hexrange(sr), self:path(), a,
              img:source(a, g) or "the image"), 0)
          end
        end
        for _, p in ipairs(sr.pieces) do
          img:patch(p.addr, p.data, g, "saved copy of protected region '" .. sr.name .. "'")
        end
        self.log("warn", string.format("protected region '%s' (%s) differs from its saved copy of %s " ..
          "(CRC32 0x%08X on the target, 0x%08X saved): an earlier run was interrupted between the erase and " ..
          "the write-back; restoring %d byte(s) from %s", sr.name, hexrange(sr), saved.when, now[i], sr.crc,
          n, self:path()))
        -- the region is proven against its saved CRC; its restored pieces
        -- are image data this time (the rest of it stays protected)
        local r
        for _, x in ipairs(tracked) do
          if x.addr == sr.addr and x.len == sr.len then r = x end
        end
        if not r then -- a region the settings no longer name: still put back and proven
          r = { addr = sr.addr, len = sr.len, name = sr.name, from = "saved copy " .. self:path() }
          tracked[#tracked + 1] = r
        end
        r.restoring, r.expect, r.patched = true, sr.crc, sr.pieces
      end
    end
  end
  local crcs = self:crcs(tracked)
  for i, r in ipairs(tracked) do
    r.crc_before = crcs[i]
    if not r.restoring then r.expect = crcs[i] end
  end
end

-- [addr, addr+len) minus the pieces: the ranges left.
local function subtract(addr, len, pieces)
  local out, pos, e = {}, addr, addr + len
  local ps = {}
  for _, p in ipairs(pieces or {}) do ps[#ps + 1] = { a = p.addr, e = p.addr + #p.data } end
  table.sort(ps, function(x, y) return x.a < y.a end)
  for _, p in ipairs(ps) do
    if p.a > pos then out[#out + 1] = { pos, math.min(p.a, e) - pos } end
    if p.e > pos then pos = p.e end
    if pos >= e then break end
  end
  if pos < e then out[#out + 1] = { pos, e - pos } end
  return out
end

-- lf.plan's `protect`: the tracked regions, minus the pieces being restored
-- (image data this time).
function Guard:plan_regions()
  local out = {}
  for _, r in ipairs(self.tracked or {}) do
    for _, x in ipairs(subtract(r.addr, r.len, r.patched)) do
      if x[2] > 0 then out[#out + 1] = { x[1], x[2], r.name } end
    end
  end
  return out
end

-- Before the first erase: the bytes of tracked regions in the sectors the
-- (finalized) plan erases, saved durably (a region being restored: its
-- restored pieces are in the plan's content too, so the new copy keeps
-- them, with the saved CRC: it survives this run's interruption as well).
function Guard:save(plan)
  if not self.tracked then return end
  local secs = plan:sectors()
  local out = {}
  for _, r in ipairs(self.tracked) do
    do
      local pieces = {}
      for i, sec in ipairs(secs) do
        if sec.action ~= "skip" then
          local lo = math.max(sec.addr, r.addr)
          local hi = math.min(sec.addr + sec.size, r.addr + r.len)
          if lo < hi then
            local content = plan:content(i - 1)
            pieces[#pieces + 1] = { addr = lo, data = content:sub(lo - sec.addr + 1, hi - sec.addr) }
          end
        end
      end
      if #pieces > 0 then
        out[#out + 1] = { addr = r.addr, len = r.len, crc = r.expect, name = r.name, pieces = pieces }
        r.at_risk = 0
        for _, p in ipairs(pieces) do r.at_risk = r.at_risk + #p.data end
      end
    end
  end
  if #out == 0 then return end
  self.fs.mkdirs(self.dir)
  self.fs.replace(self:path(), encode(self.chip_key, out))
  self.wrote = true
  local n = 0
  for _, r in ipairs(out) do for _, p in ipairs(r.pieces) do n = n + #p.data end end
  self.log("info", string.format("protected regions: %d byte(s) about to be erased and written back, saved " ..
    "first in %s", n, self:path()))
end

-- After verify: every tracked region's CRC32 again. Returns the report list
-- { name, addr, len, crc, status = "unchanged" | "restored" | "allowed",
-- written_back = bytes }; raises naming a region that changed.
function Guard:after()
  local report = {}
  for _, r in ipairs(self.regions) do
    if r.allowed then
      report[#report + 1] = { name = r.name, addr = r.addr, len = r.len, status = "allowed", from = r.from }
    end
  end
  if not self.tracked then return report end
  local crcs = self:crcs(self.tracked)
  for i, r in ipairs(self.tracked) do
    if crcs[i] ~= r.expect then
      error(string.format("protected region %s changed: CRC32 0x%08X after the run, expected 0x%08X%s", describe(r),
        crcs[i], r.expect, (self.wrote or self.saved) and ("; its saved copy is kept in " .. self:path() ..
        " and the next run restores it") or ""), 0)
    end
    report[#report + 1] = { name = r.name, addr = r.addr, len = r.len, crc = crcs[i],
      status = r.restoring and "restored" or "unchanged", written_back = r.at_risk or 0, from = r.from }
  end
  if self.wrote or self.saved then self.fs.remove(self:path()) end
  table.sort(report, function(a, b) return a.addr < b.addr end)
  return report
end

-- Refuse an operation that erases the whole flash (RDP regression, nRF
-- recover) while regions are protected and not all named by
-- allow_protected. what: the operation, for the message.
function M.refuse_mass_erase(s, what)
  local names = {}
  for _, r in ipairs(M.regions(s)) do
    if not r.allowed then names[#names + 1] = r.name end
  end
  if #names == 0 then return end
  local q = {}
  for i, n in ipairs(names) do q[i] = string.format("%q", n) end
  error(string.format("%s erases the whole flash, but protected region(s) %s would be lost: consent with " ..
    "allow_protected = { %s } (nothing was written)", what, table.concat(q, ", "), table.concat(q, ", ")), 0)
end

return M
