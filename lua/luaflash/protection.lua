-- Read protection, checked right after connect: flashing needs RDP level 0.
-- At level 1 the chip refuses every flash read, erase and program while a
-- debugger is connected (the core running luaflash's loader included), and
-- only the option-byte regression to level 0 works, which mass-erases the
-- whole chip; level 2 is permanent. So a run stops here, before anything is
-- written, and says so (exit status 1: the target's state, not the input).
-- Facts: stm32f7-target.md §3.6 (RDP field), §4.5 (1 -> 0 mass erase), §5;
-- stm32f4-target.md §3.6, §5; RM0402's read-protection text (same flash
-- controller): "no access (read, erase, program) ... while the debug feature
-- is connected".

local M = {}

-- FLASH_OPTCR (RDP in bits 15:8) per family: stm32f7-target.md §3.1,
-- stm32f4-target.md §3.1 (0x40023C14 on both).
M.optcr = { stm32f7 = 0x40023C14, stm32f4 = 0x40023C14 }

-- 0xAA level 0, 0xCC level 2, anything else level 1 (§3.6).
function M.level(rdp)
  if rdp == 0xAA then return 0 end
  if rdp == 0xCC then return 2 end
  return 1
end

-- How to get back to level 0, per family.
M.how = {
  stm32f7 = "To do that: `luaflash scripts/examples/unprotect.lua allow_mass_erase=true` (installed " ..
    "in share/doc/luaflash/examples), or a production script (luaflash.production) with " ..
    "option_bytes = { rdp = 0 } and allow_mass_erase = true (it regresses, then flashes the image)",
  stm32f4 = "luaflash writes option bytes on the STM32F7 family only: regress with the vendor's " ..
    "tool (STM32CubeProgrammer: -ob RDP=0xAA), then flash again",
}

-- The error for a chip whose OPTCR says it is protected, or nil at level 0.
function M.message(family, optcr)
  local rdp = (optcr >> 8) & 0xFF
  local lvl = M.level(rdp)
  if lvl == 0 then return nil end
  local head = string.format(
    "target is read-protected: RDP level %d (FLASH_OPTCR 0x%08x, RDP byte 0x%02X); nothing was written. ",
    lvl, optcr, rdp)
  if lvl == 2 then
    return head .. "Level 2 is permanent: the flash can never again be read, erased or programmed " ..
      "through the debug port (only firmware already on the chip can update it)"
  end
  return head .. "A chip at level 1 refuses flash reads, erases and programs while a debugger is " ..
    "connected: flashing needs RDP level 0, and going back from level 1 to level 0 mass-erases the " ..
    "whole chip (all flash content is lost). " .. (M.how[family] or M.how.stm32f4)
end

-- Reads OPTCR of a connected target `t` of `family` and raises the message
-- when the chip is not at level 0. Returns the OPTCR value (nil when the
-- family has no known option register).
function M.check(t, family)
  local a = M.optcr[family or ""]
  if not a then return nil end
  local optcr = t:read32(a)
  local msg = M.message(family, optcr)
  -- with this file's position, so the CLI prints it as luaflash's own error
  -- (the message alone, exit status 1; init.lua)
  if msg then error(msg, 1) end
  return optcr
end

return M
