-- Helpers of the end-to-end flash tests (tests/flash/*.lua, run by
-- `luaflash tests/flash/X.lua`): virtual boards, a known "old" flash
-- content, the independent oracle of what the flash must hold after a job,
-- and a cmocka-like runner.
--
-- The oracle does not trust the plan: from the image, the settings and the
-- flash content before the job it computes every byte of every sector
-- (touched sector: image bytes, elsewhere the old bytes with keep_unwritten,
-- else 0xFF; untouched sector: unchanged, or erased / kept by a chip
-- erase), then checks the bench's flash (bench:peek, not over SWD) AND the
-- plan's promised content against it.
local lf = require("luaflash")
local flash = require("luaflash.flash")

local H = {}

H.tmp = os.getenv("TMPDIR") or "/tmp"

-- ---- runner (cmocka-like output) ----
local tests = {}
function H.test(name, fn) tests[#tests + 1] = { name = name, fn = fn } end

function H.run(group)
  io.stdout:write(string.format("[==========] %s: Running %d test(s).\n", group, #tests))
  local failed = {}
  local t0 = lf.monotonic()
  for _, t in ipairs(tests) do
    io.stdout:write("[ RUN      ] " .. t.name .. "\n")
    io.stdout:flush()
    local t1 = lf.monotonic()
    local ok, err = xpcall(t.fn, debug.traceback)
    if ok then
      io.stdout:write(string.format("[       OK ] %s (%.0f ms)\n", t.name, (lf.monotonic() - t1) * 1000))
    else
      io.stdout:write(tostring(err) .. "\n")
      io.stdout:write("[  FAILED  ] " .. t.name .. "\n")
      failed[#failed + 1] = t.name
    end
    io.stdout:flush()
  end
  io.stdout:write(string.format("[==========] %s: %d test(s) run (%.1f s host).\n", group, #tests,
    lf.monotonic() - t0))
  io.stdout:write(string.format("[  PASSED  ] %d test(s).\n", #tests - #failed))
  if #failed > 0 then
    io.stdout:write(string.format("[  FAILED  ] %d test(s), listed below:\n", #failed))
    for _, n in ipairs(failed) do io.stdout:write("[  FAILED  ] " .. n .. "\n") end
    io.stdout:write(string.format("\n %d FAILED TEST(S)\n", #failed))
    io.stdout:flush()
    error(string.format("%s: %d of %d test(s) failed", group, #failed, #tests), 0)
  end
end

function H.eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, expected %s", what, tostring(got), tostring(want)), 2)
  end
end

function H.check(cond, what) if not cond then error(what, 2) end end

-- The call must fail; returns the message.
function H.fails(fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected an error, the call succeeded", 2) end
  return tostring(err)
end

function H.match(s, pat, what)
  if not tostring(s):find(pat) then
    error(string.format("%s: '%s' does not contain '%s'", what or "message", tostring(s), pat), 2)
  end
end

-- ---- boards ----
-- spec: the lf.bench spec (string board name or table). Returns a session
-- { b, p, t, F, g, gi }: probe at 4 MHz, target connected and halted.
function H.open(spec)
  local S = {}
  S.b = lf.bench(spec)
  S.p = S.b:open()
  S.p:set_clock(4000000)
  S.p:connect()
  S.t = S.p:target()
  S.t:connect("halt")
  S.F = flash.new(S.t)
  S.g = S.F.geometry()
  S.gi = S.g:info()
  function S.close()
    pcall(function() S.F:close() end)
    pcall(function() S.p:close() end)
    S.b:close()
  end
  return S
end

function H.flash_bytes(S) return S.b:peek(S.gi.base, S.gi.size) end

-- Deterministic bytes (xorshift32).
function H.bytes(n, seed)
  local x = seed & 0xffffffff
  if x == 0 then x = 0x9e3779b9 end
  local out = {}
  for i = 1, n do
    x = x ~ ((x << 13) & 0xffffffff)
    x = x ~ (x >> 17)
    x = x ~ ((x << 5) & 0xffffffff)
    out[i] = string.char(x & 0xff)
  end
  return table.concat(out)
end

-- Old content: 2 KiB of pattern at the start and 2 KiB before the end of
-- every listed sector (so kept and erased bytes differ everywhere), written
-- through the flash API itself (erase + program; keep_unwritten = false).
function H.background(S, sectors)
  local list = {}
  for _, i in ipairs(sectors) do
    local s = S.gi.sectors[i + 1]
    list[#list + 1] = { data = H.bytes(2048, 1000 + i), base = s.addr }
    list[#list + 1] = { data = H.bytes(2048, 2000 + i), base = s.addr + s.size - 2048 }
  end
  S.F:program(list, { erase = "sector", smart_flash = false, verify = "crc" })
end

-- Program the F7 option bytes (RM0410 3.6/4.4: OPTKEYR keys, OPTCR value,
-- then OPTSTRT; wait for BSY to clear, advancing the bench's clock), then a
-- system reset so they load; the flash object is rebuilt for the new
-- geometry (nDBANK changes the sector layout).
local FLASH_R = 0x40023C00
function H.set_optcr(S, optcr)
  S.F:close()
  local t = S.t
  t:write32(FLASH_R + 0x08, 0x08192A3B)
  t:write32(FLASH_R + 0x08, 0x4C5D6E7F)
  t:write32(FLASH_R + 0x14, optcr & ~3)
  t:write32(FLASH_R + 0x14, (optcr & ~3) | 2)
  local n = 0
  while t:read32(FLASH_R + 0x0C) & 0x10000 ~= 0 do
    S.b:run(10000000)
    n = n + 1
    assert(n < 10000, "option byte write never finished")
  end
  t:write32(FLASH_R + 0x14, optcr | 1) -- OPTLOCK
  t:reset("system", true)
  S.F = flash.new(S.t)
  S.g = S.F.geometry()
  S.gi = S.g:info()
end

-- Save this board's state to a file (flash + option bytes).
function H.save(S, path) S.b:save_state(path) end

function H.copy(src, dst)
  local f = assert(io.open(src, "rb"))
  local d = f:read("a")
  f:close()
  f = assert(io.open(dst, "wb"))
  f:write(d)
  f:close()
end

-- ---- oracle ----
-- segs: list of { base=, data= }. Returns the expected flash image (string
-- of gi.size bytes) given the old flash, the settings and the erase mode
-- the plan used ("sector" or "chip").
function H.expect(gi, old, segs, keep, erase_used)
  local touched = {}
  local function sector_of(a)
    for _, s in ipairs(gi.sectors) do
      if a >= s.addr and a < s.addr + s.size then return s end
    end
    error(string.format("0x%08x outside the flash", a))
  end
  for _, sg in ipairs(segs) do
    local a, e = sg.base, sg.base + #sg.data
    while a < e do
      local s = sector_of(a)
      touched[s.index] = true
      a = s.addr + s.size
    end
  end
  local parts = {}
  for _, s in ipairs(gi.sectors) do
    local o = s.addr - gi.base
    local oldsec = old:sub(o + 1, o + s.size)
    local base
    if erase_used == "chip" then
      base = keep and oldsec or string.rep("\255", s.size)
    elseif touched[s.index] then
      base = keep and oldsec or string.rep("\255", s.size)
    else
      base = oldsec
    end
    parts[#parts + 1] = base
  end
  local img = table.concat(parts)
  -- overlay the image bytes (segments sorted, non-overlapping)
  local sorted = {}
  for i, sg in ipairs(segs) do sorted[i] = sg end
  table.sort(sorted, function(a, b) return a.base < b.base end)
  local out, pos = {}, 1
  for _, sg in ipairs(sorted) do
    local o = sg.base - gi.base
    out[#out + 1] = img:sub(pos, o)
    out[#out + 1] = sg.data
    pos = o + #sg.data + 1
  end
  out[#out + 1] = img:sub(pos)
  local r = table.concat(out)
  assert(#r == gi.size)
  return r
end

-- First difference of two equal-length strings, as a message.
function H.diff(gi, got, want, what)
  if got == want then return nil end
  local k = 1
  -- coarse then fine
  local step = 4096
  while k <= #want and got:sub(k, k + step - 1) == want:sub(k, k + step - 1) do k = k + step end
  while k <= #want and got:byte(k) == want:byte(k) do k = k + 1 end
  return string.format("%s: first difference at 0x%08x: 0x%02x, expected 0x%02x", what,
    gi.base + k - 1, got:byte(k) or -1, want:byte(k) or -1)
end

-- One job on S with the oracle: returns the result.
function H.job(S, segs, opts)
  local old = H.flash_bytes(S)
  local r = S.F:program(segs, opts)
  S.F:close() -- as target:program does: the next job starts a fresh loader
  local s = r.settings
  local want = H.expect(S.gi, old, segs, s.keep_unwritten, r.plan.erase)
  local got = H.flash_bytes(S)
  local d = H.diff(S.gi, got, want, "flash after the job")
  if d then error(d, 2) end
  -- the plan promised the same bytes for every sector it erased
  for i, sec in ipairs(r.sectors) do
    if sec.action ~= "skip" then
      local o = sec.addr - S.gi.base
      local pc = r.plan_object:content(i - 1)
      if pc ~= want:sub(o + 1, o + sec.size) then
        error(string.format("plan content of sector %d differs from the oracle", sec.index), 2)
      end
    end
  end
  H.eq(r.verified, s.verify ~= false, "result.verified")
  return r, old
end

return H
