-- Crash-safe serial numbers for production runs.
--
--   local c = serials.open{ counter = "sn.counter", ledger = "sn.jsonl",
--                           start = 1000, format = "SN%06d", fs = fs }
--   local n, text = c:reserve{ probe = "066DFF..." }   -- durable before it returns
--   ... flash the board with `text` ...
--   c:passed(n, info)   or   c:failed(n, "verify failed")
--
-- Invariant: a number is handed out at most once, whatever moment the process
-- is killed at. reserve() first replaces the counter file atomically with
-- next = n + 1 (fs.replace: temp file, fsync, rename), and only then returns
-- n; a kill before the rename leaves the old counter (n was never handed
-- out), a kill after it consumes n. The ledger (JSON lines, fsynced appends)
-- records reserved / passed / failed; a reserved number without an outcome
-- (the process died) shows up in audit() as "unknown" and is never reused.
-- A failed number is reused only when the project asks (reuse_failed = true),
-- and the reuse is itself recorded, so it happens at most once.
--
-- fs: { read(path) -> text | nil, replace(path, text), append(path, line),
--       lock(path, fn) -> fn() } — the C bindings provide durable versions;
--       the lock serialises threads and processes sharing the files.

local json = require("luaflash.json")

local M = {}

local Counter = {}
Counter.__index = Counter

local function parse_counter(text, path)
  local n = text and text:match("^next=(%d+)\n?$")
  if text and not n then error(path .. ": corrupt counter file (expected 'next=<number>')", 0) end
  return n and math.tointeger(tonumber(n))
end

function M.open(o)
  assert(type(o.counter) == "string", "serials.open: 'counter' (a file path) is required")
  assert(type(o.ledger) == "string", "serials.open: 'ledger' (a file path) is required")
  assert(o.fs, "serials.open: 'fs' is required")
  local c = setmetatable({
    counter = o.counter, ledger = o.ledger, fs = o.fs,
    start = o.start or 1, format = o.format or "%d", reuse_failed = o.reuse_failed or false,
    stop = o.stop,  -- last number that may be handed out (nil = none)
  }, Counter)
  return c
end

function Counter:text(n) return string.format(self.format, n) end

-- Outcome per serial from the ledger: serial -> { state, reused }
function Counter:ledger_state()
  local text = self.fs.read(self.ledger) or ""
  local st = {}
  local lineno = 0
  for line in text:gmatch("[^\n]+") do
    lineno = lineno + 1
    local rec, err = json.decode(line)
    if not rec then error(self.ledger .. ":" .. lineno .. ": " .. err, 0) end
    local e = st[rec.serial] or {}
    if rec.event == "reserved" then
      if rec.reuse then e.reused = true end
      e.state = "reserved"
    elseif rec.event == "passed" or rec.event == "failed" then
      e.state = rec.event
    end
    st[rec.serial] = e
  end
  return st
end

local function record(self, event, n, extra)
  local rec = { event = event, serial = n, text = self:text(n), time = os.time() }
  for k, v in pairs(extra or {}) do rec[k] = v end
  self.fs.append(self.ledger, json.encode(rec) .. "\n")
end

-- Reserve the next number. Returns n and its text.
function Counter:reserve(info)
  return self.fs.lock(self.counter, function()
    if self.reuse_failed then
      local st = self:ledger_state()
      local best
      for n, e in pairs(st) do
        if e.state == "failed" and not e.reused and (not best or n < best) then best = n end
      end
      if best then
        record(self, "reserved", best, { reuse = true, info = info })
        return best, self:text(best)
      end
    end
    local n = parse_counter(self.fs.read(self.counter), self.counter) or self.start
    if self.stop and n > self.stop then
      error(string.format("serial numbers exhausted: next %d is beyond the last allowed %d", n, self.stop), 0)
    end
    self.fs.replace(self.counter, string.format("next=%d\n", n + 1))
    record(self, "reserved", n, { info = info })
    return n, self:text(n)
  end)
end

-- Outcomes need no lock: a ledger line is one fsynced O_APPEND write, whole
-- and ordered after the number's reservation (which happened earlier, under
-- the lock), and waiting behind other boards' reservations would only widen
-- the window in which a kill leaves a number without an outcome.
function Counter:passed(n, info)
  record(self, "passed", n, { info = info })
end

function Counter:failed(n, reason)
  record(self, "failed", n, { reason = tostring(reason) })
end

-- Numbers by outcome: { passed = {...}, failed = {...}, unknown = {...} }
function Counter:audit()
  local st = self:ledger_state()
  local out = { passed = {}, failed = {}, unknown = {} }
  for n, e in pairs(st) do
    local k = e.state == "reserved" and "unknown" or e.state
    out[k][#out[k] + 1] = n
  end
  for _, l in pairs(out) do table.sort(l) end
  return out
end

-- A plain-Lua fs (not durable: no fsync) for tests and for machines without
-- the C bindings; luaflash's own fs comes from the C layer.
function M.plain_fs()
  local fs = {}
  function fs.read(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local t = f:read("a"); f:close(); return t
  end
  function fs.replace(path, text)
    local tmp = path .. ".tmp"
    local f = assert(io.open(tmp, "wb")); f:write(text); f:close()
    assert(os.rename(tmp, path))
  end
  function fs.append(path, line)
    local f = assert(io.open(path, "ab")); f:write(line); f:close()
  end
  function fs.lock(_, fn) return fn() end
  return fs
end

return M
