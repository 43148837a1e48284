-- Unit tests of lua/luaflash/serials.lua: numbers are never handed out
-- twice, also when the process dies at any step.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local SN = require("luaflash.serials")


-- An in-memory fs whose files survive a "kill": the kill is an error raised
-- before the k-th write operation (replace or append) takes effect.
local function memfs()
  local files = {}
  local fs = { files = files, ops = 0, kill_at = nil }
  local function op()
    fs.ops = fs.ops + 1
    if fs.kill_at and fs.ops >= fs.kill_at then error("killed", 0) end
  end
  function fs.read(p) return files[p] end
  function fs.replace(p, t) op(); files[p] = t end
  function fs.append(p, l) op(); files[p] = (files[p] or "") .. l end
  function fs.lock(_, f) return f() end
  return fs
end

test("numbers_count_up_from_start_with_format", function()
  local c = SN.open{ counter = "c", ledger = "l", start = 1000, format = "SN%06d", fs = memfs() }
  local n, t = c:reserve(); eq(n, 1000); eq(t, "SN001000")
  eq((c:reserve()), 1001)
  c:passed(1000); c:failed(1001, "verify")
  local a = c:audit()
  eq(table.concat(a.passed, ","), "1000"); eq(table.concat(a.failed, ","), "1001")
end)

test("a_kill_at_any_write_never_hands_out_a_number_twice", function()
  for kill = 1, 40 do
    local fs = memfs()
    local handed = {}
    local runs = 0
    -- restart after each kill until 10 numbers were handed out
    while #handed < 10 and runs < 100 do
      runs = runs + 1
      local c = SN.open{ counter = "c", ledger = "l", start = 1, fs = fs }
      fs.ops = 0
      fs.kill_at = (runs == 1) and kill or nil
      local ok = pcall(function()
        while #handed < 10 do
          local n = c:reserve()
          handed[#handed + 1] = n
          if n % 3 == 0 then c:failed(n, "x") else c:passed(n) end
        end
      end)
      if ok then break end
    end
    local seen = {}
    for _, n in ipairs(handed) do
      assert(not seen[n], "kill at write " .. kill .. ": number " .. n .. " handed out twice")
      seen[n] = true
    end
  end
end)

test("failed_numbers_are_reused_only_when_asked_and_only_once", function()
  local fs = memfs()
  local c = SN.open{ counter = "c", ledger = "l", start = 1, fs = fs }
  c:reserve(); c:failed(1, "flash error")
  eq((c:reserve()), 2, "not reused by default")
  local r = SN.open{ counter = "c", ledger = "l", start = 1, fs = fs, reuse_failed = true }
  eq((r:reserve()), 1, "reused on request")
  eq((r:reserve()), 3, "but only once")
end)

test("reserved_without_outcome_is_unknown_and_not_reused", function()
  local fs = memfs()
  local c = SN.open{ counter = "c", ledger = "l", start = 7, fs = fs, reuse_failed = true }
  c:reserve()  -- the process "dies" before an outcome
  local a = c:audit()
  eq(table.concat(a.unknown, ","), "7")
  eq((c:reserve()), 8)
end)

test("corrupt_files_and_exhaustion_are_errors", function()
  local fs = memfs()
  fs.files.c = "garbage"
  local c = SN.open{ counter = "c", ledger = "l", fs = fs }
  local ok, err = pcall(c.reserve, c)
  eq(ok, false); eq(err, "c: corrupt counter file (expected 'next=<number>')")
  fs.files.c = "next=5\n"
  c = SN.open{ counter = "c", ledger = "l", fs = fs, stop = 5 }
  eq((c:reserve()), 5)
  ok, err = pcall(c.reserve, c)
  eq(ok, false); eq(err, "serial numbers exhausted: next 6 is beyond the last allowed 5")
  fs.files.l = fs.files.l .. "{bad\n"
  ok, err = pcall(c.audit, c)
  eq(ok, false); assert(err:find("^l:2: json: offset"), err)
end)

test("plain_fs_round_trip_on_disk", function()
  local dir = os.tmpname(); os.remove(dir)
  local c = SN.open{ counter = dir .. ".counter", ledger = dir .. ".jsonl", start = 42, fs = SN.plain_fs() }
  eq((c:reserve()), 42); eq((c:reserve()), 43)
  local c2 = SN.open{ counter = dir .. ".counter", ledger = dir .. ".jsonl", start = 42, fs = SN.plain_fs() }
  eq((c2:reserve()), 44)
  os.remove(dir .. ".counter"); os.remove(dir .. ".jsonl")
end)

T.done()
