-- Unit tests of lua/luaflash/protection.lua: the read-protection check at
-- connect. The levels and texts are the family's (C, checked end to end on
-- the bench by tests/flash/cli_rdp.sh); here: what the check does with them.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local P = require("luaflash.protection")

local function reader(p)
  local calls = 0
  return function() calls = calls + 1; return p end, function() return calls end
end

test("level_0_passes_and_reads_once", function()
  local read, calls = reader { level = 0, what = "RDP level 0 (...)", message = "" }
  eq(P.check({}, read).level, 0)
  eq(calls(), 1)
  eq(P.check({}, function() return nil end), nil, "no protection known: no check")
end)

test("level_1_fails_before_any_write_saying_why_and_how", function()
  local read = reader { level = 1, what = "RDP level 1 (FLASH_OPTCR 0xffff55fd, RDP byte 0x55)",
    message = "A chip at level 1 refuses ... To do that: unprotect.lua" }
  local ok, err = pcall(P.check, {}, read)
  eq(ok, false)
  err = tostring(err)
  assert(err:find("protection%.lua:%d+: target is read%-protected: RDP level 1 %(FLASH_OPTCR 0xffff55fd, RDP byte 0x55%); nothing was written%. A chip at level 1"), err)
  assert(err:find("unprotect.lua", 1, true), err)
end)

test("message_is_nil_at_level_0", function()
  eq(P.message { level = 0, what = "x", message = "" }, nil)
  eq(P.message(nil), nil)
end)

T.done()
