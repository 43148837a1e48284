-- Unit tests of lua/luaflash/protection.lua: the read-protection check at
-- connect (stm32f7-target.md §3.6 RDP encoding, §4.5 regression; F4 §3.6).
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local P = require("luaflash.protection")

-- a connected target that answers OPTCR reads and records every access
local function fake(optcr)
  local t = { reads = {}, writes = 0 }
  function t.read32(self, a) self.reads[#self.reads + 1] = a; return optcr end
  function t.write32(self) self.writes = self.writes + 1 end
  return t
end

test("rdp_byte_levels_3_6", function()
  eq(P.level(0xAA), 0); eq(P.level(0xCC), 2)
  eq(P.level(0x55), 1); eq(P.level(0x00), 1); eq(P.level(0xFF), 1)
end)

test("level_0_passes_and_reads_optcr_only", function()
  local t = fake(0xFFFFAAFD)
  eq(P.check(t, "stm32f7"), 0xFFFFAAFD)
  eq(#t.reads, 1); eq(t.reads[1], 0x40023C14); eq(t.writes, 0)
  eq(P.check(fake(0x0FFFAAED), "stm32f4"), 0x0FFFAAED)
  eq(P.check(fake(0), "unknown-family"), nil, "no known option register: no check")
end)

test("level_1_f7_fails_saying_why_and_how", function()
  local t = fake(0xFFFF55FD)
  local ok, err = pcall(P.check, t, "stm32f7")
  eq(ok, false); eq(t.writes, 0)
  err = tostring(err)
  assert(err:find("protection%.lua:%d+: target is read%-protected: RDP level 1 %(FLASH_OPTCR 0xffff55fd, RDP byte 0x55%); nothing was written"), err)
  assert(err:find("flashing needs RDP level 0", 1, true), err)
  assert(err:find("mass-erases the whole chip", 1, true), err)
  assert(err:find("unprotect.lua allow_mass_erase=true", 1, true), err)
  assert(err:find("option_bytes = { rdp = 0 } and allow_mass_erase = true", 1, true), err)
end)

test("level_1_f4_names_the_vendor_tool_level_2_is_permanent", function()
  local m = P.message("stm32f4", 0x0FFF12ED)
  assert(m:find("RDP level 1 (FLASH_OPTCR 0x0fff12ed, RDP byte 0x12)", 1, true), m)
  assert(m:find("STM32CubeProgrammer: -ob RDP=0xAA", 1, true), m)
  local m2 = P.message("stm32f7", 0xFFFFCCFD)
  assert(m2:find("RDP level 2", 1, true) and m2:find("permanent", 1, true), m2)
  assert(not m2:find("allow_mass_erase", 1, true), "no way back is offered for level 2: " .. m2)
  eq(P.message("stm32f7", 0xFFFFAAFD), nil)
end)

T.done()
