-- Production records on a database: serial-number allocation and the board
-- log, on SQLite (one file; the default for one station) or PostgreSQL (one
-- server for a line of stations). The C layer is luaflash.db (src/db/db.c).
--
--   local st = store.open{ database = "production.db" | "postgresql://...",
--                          station = "st-1",
--                          range = { name = "default", start = 1000, stop = nil,
--                                    format = "SN%06d", reuse_failed = false } }
--   local n, text = st:reserve{ probe = "...", uid = "..." }  -- durable before it returns
--   ... flash the board with `text` ...
--   st:outcome{ attempt = id, result = "passed" | "failed", serial = n, ... }
--   st:audit() -> { passed = {...}, failed = {...}, unknown = {...}, doubled = {...} }
--   st:boards{ station = , since = } -> records, oldest first
--
-- Guarantees (the same on both databases):
-- - a number is reserved in a committed transaction before reserve()
--   returns, so it is durable before the board is flashed; the range's
--   counter row is updated in the same transaction (SQLite: the write lock,
--   BEGIN IMMEDIATE; PostgreSQL: the row lock of UPDATE ... RETURNING), so
--   two stations never get the same number, and (range, serial) is the
--   primary key of lf_serial besides;
-- - a number is never handed out again, except a failed one with
--   reuse_failed = true, once (the reuse is counted in the row);
-- - a board attempt's record and its number's outcome are written in ONE
--   transaction, keyed by the attempt's random id: after a crash either both
--   are there or neither (the number then shows as "unknown" in the audit);
--   a retry after a lost connection cannot write them twice.
--
-- Connection problems: every transaction is retried a bounded number of
-- times (3, after 0.2 / 0.5 / 1 s) when the connection was lost (PostgreSQL);
-- then the error says what could not be done. No local spool: a station that
-- cannot reach its database reserves no number and flashes no board.
local lf = require("luaflash")
local json = require("luaflash.json")

local M = {}

M.schema_version = 1

local Store = {}
Store.__index = Store

local function now_iso() return os.date("!%Y-%m-%dT%H:%M:%SZ") end

-- The statements that create the tables (the same on both databases).
function M.schema_sql()
  return {
    "CREATE TABLE IF NOT EXISTS lf_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lf_range (name TEXT PRIMARY KEY, next BIGINT NOT NULL, stop BIGINT, " ..
      "format TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lf_serial (range TEXT NOT NULL, serial BIGINT NOT NULL, text TEXT NOT NULL, " ..
      "state TEXT NOT NULL CHECK (state IN ('reserved', 'passed', 'failed')), " ..
      "reuses INTEGER NOT NULL DEFAULT 0, station TEXT, probe TEXT, uid TEXT, attempt TEXT, " ..
      "reserved_at TEXT NOT NULL, outcome_at TEXT, reason TEXT, PRIMARY KEY (range, serial))",
    "CREATE TABLE IF NOT EXISTS lf_board (attempt TEXT PRIMARY KEY, time TEXT NOT NULL, station TEXT, " ..
      "result TEXT NOT NULL CHECK (result IN ('passed', 'failed', 'skipped')), probe TEXT, uid TEXT, " ..
      "range TEXT, serial_n BIGINT, serial TEXT, image_crc32 TEXT, sectors_written INTEGER, " ..
      "sectors_skipped INTEGER, verify TEXT, seconds_us BIGINT, phase TEXT, error TEXT, record TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS lf_board_station ON lf_board (station, time)",
    "CREATE INDEX IF NOT EXISTS lf_board_serial ON lf_board (range, serial_n)",
  }
end

-- One transaction: fn(db) between BEGIN and COMMIT, retried when the
-- connection was lost. what: for the error message.
function Store:tx(what, fn)
  local db = self.db
  local delays = self.retry_delays or { 0.2, 0.5, 1.0 }
  local attempt = 0
  while true do
    attempt = attempt + 1
    local ok, res = pcall(function()
      db:exec(self.pg and "BEGIN" or "BEGIN IMMEDIATE")
      local r = table.pack(fn(db))
      db:exec("COMMIT")
      return r
    end)
    if ok then return table.unpack(res, 1, res.n) end
    pcall(db.exec, db, "ROLLBACK")
    if not db:broken() or attempt > #delays then
      local msg = tostring(res):gsub("^[^\n:]*store%.lua:%d+: ", "")
      if db:broken() then
        msg = msg .. string.format(" (the connection was lost; %d attempt(s))", attempt)
      end
      error(what .. ": " .. msg, 0)
    end
    lf.sleep(delays[attempt])
    pcall(db.reconnect, db)
  end
end

-- Opens (and creates) the database. o: { database, station, range = {...},
-- db = an open luaflash.db (tests) }.
function M.open(o)
  assert(type(o.database) == "string" or o.db, "store.open: 'database' (a file or postgresql:// URL) is required")
  local db = o.db
  if not db then
    local ok, d = pcall(lf.db.open, o.database)
    if not ok then error("production database: " .. tostring(d):gsub("^[^\n:]*%.lua:%d+: ", ""), 0) end
    db = d
  end
  local st = setmetatable({ db = db, pg = db:kind() == "postgresql", station = o.station or "station",
    retry_delays = o.retry_delays }, Store)
  -- the tables; two stations creating them at once: the second sees them
  st:tx("creating the tables", function()
    -- PostgreSQL: two stations creating the tables at once would collide in
    -- its catalog (IF NOT EXISTS is not atomic there): one at a time
    if st.pg then db:exec("SELECT pg_advisory_xact_lock(7210561)") end
    for _, sql in ipairs(M.schema_sql()) do db:exec(sql) end
    db:exec("INSERT INTO lf_meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO NOTHING",
      tostring(M.schema_version))
  end)
  if o.range then st:set_range(o.range) end
  return st
end

function Store:where() return self.db:where() end
function Store:close() if self.db then self.db:close() end end

-- The serial range: created on first use; a later start only moves the
-- counter up; the format must not change (numbers already handed out were
-- printed with it).
function Store:set_range(r)
  local name = r.name or "default"
  local fmt = r.format or "%d"
  local start = r.start or 1
  self:tx("setting up the serial range '" .. name .. "'", function(db)
    db:exec("INSERT INTO lf_range (name, next, stop, format) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
      name, start, r.stop, fmt)
    local row = db:exec("SELECT next, stop, format FROM lf_range WHERE name = ?", name)[1]
    if row.format ~= fmt then
      error(string.format("serial range '%s' in %s uses format %q; the script says %q (numbers already " ..
        "handed out were written with the first)", name, self:where(), row.format, fmt), 0)
    end
    if row.next < start then db:exec("UPDATE lf_range SET next = ? WHERE name = ?", start, name) end
    if r.stop ~= row.stop then db:exec("UPDATE lf_range SET stop = ? WHERE name = ?", r.stop, name) end
  end)
  self.range = { name = name, format = fmt, reuse_failed = r.reuse_failed == true }
end

function Store:text(n) return string.format(self.range.format, n) end

-- Reserve the next number (or, with reuse_failed, the lowest failed one
-- never reused). info: { probe, uid, attempt }. Returns n, text.
function Store:reserve(info)
  info = info or {}
  local rg = self.range
  assert(rg, "store: no serial range")
  return self:tx("reserving a serial number in " .. self:where(), function(db)
    local n, reuse
    if rg.reuse_failed then
      local row = db:exec("SELECT serial FROM lf_serial WHERE range = ? AND state = 'failed' AND reuses = 0 " ..
        "ORDER BY serial LIMIT 1" .. (self.pg and " FOR UPDATE SKIP LOCKED" or ""), rg.name)[1]
      if row then n, reuse = row.serial, true end
    end
    if reuse then
      db:exec("UPDATE lf_serial SET state = 'reserved', reuses = reuses + 1, station = ?, probe = ?, uid = ?, " ..
        "attempt = ?, reserved_at = ?, outcome_at = NULL, reason = NULL WHERE range = ? AND serial = ?",
        self.station, info.probe, info.uid, info.attempt, now_iso(), rg.name, n)
    else
      local row = db:exec("UPDATE lf_range SET next = next + 1 WHERE name = ? AND (stop IS NULL OR next <= stop) " ..
        "RETURNING next - 1 AS n", rg.name)[1]
      if not row then
        local r = db:exec("SELECT next, stop FROM lf_range WHERE name = ?", rg.name)[1]
        error(string.format("serial numbers exhausted: next %d is beyond the last allowed %d", r.next, r.stop), 0)
      end
      n = row.n
      db:exec("INSERT INTO lf_serial (range, serial, text, state, station, probe, uid, attempt, reserved_at) " ..
        "VALUES (?, ?, ?, 'reserved', ?, ?, ?, ?, ?)", rg.name, n, self:text(n), self.station, info.probe,
        info.uid, info.attempt, now_iso())
    end
    return n, self:text(n)
  end)
end

local function us(seconds) return seconds and math.floor(seconds * 1e6 + 0.5) or nil end

-- The board attempt's record and, when it had a number, the number's
-- outcome, in one transaction. rec: the board record (production.lua):
-- attempt (id), result, probe, uid, serial (text), serial_n, image_crc32,
-- sectors_written, sectors_skipped, verify, seconds, phase, error, ...
function Store:outcome(rec)
  assert(rec.attempt, "store:outcome: the record has no attempt id")
  assert(rec.result == "passed" or rec.result == "failed" or rec.result == "skipped",
    "store:outcome: result must be passed, failed or skipped")
  local rg = self.range
  rec.time = rec.time or now_iso()
  rec.station = rec.station or self.station
  local text = json.encode(rec)
  return self:tx("recording the board " .. tostring(rec.probe or "") .. " in " .. self:where(), function(db)
    db:exec("INSERT INTO lf_board (attempt, time, station, result, probe, uid, range, serial_n, serial, " ..
      "image_crc32, sectors_written, sectors_skipped, verify, seconds_us, phase, error, record) " ..
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (attempt) DO NOTHING",
      rec.attempt, rec.time, rec.station, rec.result, rec.probe, rec.uid, rec.serial_n and rg and rg.name,
      rec.serial_n, rec.serial, rec.image_crc32, rec.sectors_written, rec.sectors_skipped,
      rec.verify and tostring(rec.verify) or nil, us(rec.seconds), rec.phase, rec.error, text)
    if rec.serial_n and rg then
      local state = rec.result == "passed" and "passed" or "failed"
      db:exec("UPDATE lf_serial SET state = ?, outcome_at = ?, reason = ? WHERE range = ? AND serial = ? " ..
        "AND state = 'reserved' AND (attempt = ? OR attempt IS NULL)", state, rec.time, rec.error, rg.name,
        rec.serial_n, rec.attempt)
    end
  end)
end

-- A cheap round trip: the database answers (before a board without a
-- serial number is flashed: a station that cannot log does not flash).
function Store:ping()
  return self:tx("reaching " .. self:where(), function(db) db:exec("SELECT 1") end)
end

-- Numbers by outcome, and what must never happen: a number on two passed
-- boards (doubled), an outcome without its board record or a record whose
-- result disagrees (lost). { passed, failed, unknown, doubled, lost } lists.
function Store:audit(range)
  range = range or (self.range and self.range.name) or "default"
  local db = self.db
  local out = { passed = {}, failed = {}, unknown = {}, doubled = {}, lost = {} }
  for _, r in ipairs(db:exec("SELECT serial, state FROM lf_serial WHERE range = ? ORDER BY serial", range)) do
    local k = r.state == "reserved" and "unknown" or r.state
    out[k][#out[k] + 1] = r.serial
  end
  for _, r in ipairs(db:exec("SELECT serial_n, COUNT(*) AS c FROM lf_board WHERE range = ? AND result = 'passed' " ..
      "GROUP BY serial_n HAVING COUNT(*) > 1 ORDER BY serial_n", range)) do
    out.doubled[#out.doubled + 1] = r.serial_n
  end
  for _, r in ipairs(db:exec("SELECT s.serial FROM lf_serial s LEFT JOIN lf_board b ON b.attempt = s.attempt " ..
      "WHERE s.range = ? AND s.state <> 'reserved' AND s.attempt IS NOT NULL AND (b.attempt IS NULL OR " ..
      "(b.result = 'passed') <> (s.state = 'passed')) ORDER BY s.serial", range)) do
    out.lost[#out.lost + 1] = r.serial
  end
  return out
end

-- The board records (decoded), oldest first. f: { station =, since = ISO time }.
function Store:boards(f)
  f = f or {}
  local sql, args = "SELECT record FROM lf_board WHERE 1 = 1", {}
  if f.station then sql = sql .. " AND station = ?"; args[#args + 1] = f.station end
  if f.since then sql = sql .. " AND time >= ?"; args[#args + 1] = f.since end
  sql = sql .. " ORDER BY time, attempt"
  local out = {}
  for _, r in ipairs(self.db:exec(sql, table.unpack(args))) do
    local rec = json.decode(r.record)
    if rec then out[#out + 1] = rec end
  end
  return out
end

-- ---- importing the files of earlier luaflash versions ----

-- The counter file, the JSON-lines ledger and the JSON-lines board log of
-- the file-based production records, imported once (lf_meta remembers each
-- file). Returns a list of messages ("imported ..."), empty when nothing was
-- new. fs: { read(path) -> text | nil }.
function Store:import_files(files, fs)
  local msgs = {}
  local function done(key)
    return #self.db:exec("SELECT key FROM lf_meta WHERE key = ?", key) > 0
  end
  local function lines(text, path)
    local out, n = {}, 0
    for line in text:gmatch("[^\n]+") do
      n = n + 1
      local r, err = json.decode(line)
      if not r then error(string.format("importing %s: line %d: %s", path, n, err), 0) end
      out[#out + 1] = { rec = r, line = n }
    end
    return out
  end
  local rg = self.range
  if files.ledger and rg then
    local text = fs.read(files.ledger)
    local key = "import:" .. files.ledger
    if text and not done(key) then
      local st = {}
      for _, l in ipairs(lines(text, files.ledger)) do
        local r = l.rec
        local e = st[r.serial] or { reuses = 0 }
        if r.event == "reserved" then
          if r.reuse then e.reuses = e.reuses + 1 end
          e.state, e.reserved_at = "reserved", r.time
          e.probe = r.info and r.info.probe
        elseif r.event == "passed" or r.event == "failed" then
          e.state, e.outcome_at, e.reason = r.event, r.time, r.reason
        end
        e.text = r.text or self:text(r.serial)
        st[r.serial] = e
      end
      local counter = files.counter and fs.read(files.counter)
      local next_n = counter and math.tointeger(tonumber(counter:match("^next=(%d+)")))
      local count = 0
      self:tx("importing " .. files.ledger, function(db)
        for n, e in pairs(st) do
          local _, ch = db:exec("INSERT INTO lf_serial (range, serial, text, state, reuses, station, probe, " ..
            "reserved_at, outcome_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (range, serial) " ..
            "DO NOTHING", rg.name, n, e.text, e.state, e.reuses, "imported", e.probe,
            e.reserved_at and os.date("!%Y-%m-%dT%H:%M:%SZ", e.reserved_at) or now_iso(),
            e.outcome_at and os.date("!%Y-%m-%dT%H:%M:%SZ", e.outcome_at) or nil, e.reason)
          count = count + ch
          if not next_n or n >= next_n then next_n = n + 1 end
        end
        if next_n then db:exec("UPDATE lf_range SET next = ? WHERE name = ? AND next < ?", next_n, rg.name, next_n) end
        db:exec("INSERT INTO lf_meta (key, value) VALUES (?, ?)", key, now_iso())
      end)
      msgs[#msgs + 1] = string.format("imported %d serial number(s) from %s%s (next %s) into %s; the files are " ..
        "no longer written", count, files.ledger, files.counter and (" and " .. files.counter) or "",
        tostring(next_n), self:where())
    end
  end
  if files.log then
    local text = fs.read(files.log)
    local key = "import:" .. files.log
    if text and not done(key) then
      local recs = lines(text, files.log)
      self:tx("importing " .. files.log, function(db)
        for _, l in ipairs(recs) do
          local r = l.rec
          local n = r.serial and rg and tonumber(tostring(r.serial):match("(%d+)$"))
          db:exec("INSERT INTO lf_board (attempt, time, station, result, probe, uid, range, serial_n, serial, " ..
            "image_crc32, sectors_written, sectors_skipped, verify, seconds_us, error, record) " ..
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (attempt) DO NOTHING",
            "import:" .. files.log .. ":" .. l.line, r.time or now_iso(), r.station or "imported",
            r.result or "failed", r.probe, r.uid, n and rg.name or nil, n and math.tointeger(n) or nil,
            r.serial, r.image_crc32, math.tointeger(r.sectors_written), math.tointeger(r.sectors_skipped),
            r.verify ~= nil and tostring(r.verify) or nil, us(r.seconds), r.error, json.encode(r))
        end
        db:exec("INSERT INTO lf_meta (key, value) VALUES (?, ?)", key, now_iso())
      end)
      msgs[#msgs + 1] = string.format("imported %d board record(s) from %s into %s; the file is no longer written",
        #recs, files.log, self:where())
    end
  end
  return msgs
end

return M
