-- Read protection, checked right after connect: a chip whose family reports
-- a protection level above 0 cannot be flashed (the family's message says
-- what the level means and how to get back to level 0, or that it is
-- permanent), so a run stops here, before anything is written (exit status 1:
-- the target's state, not the input). What the levels are and how they are
-- read is the chip's family unit's business (C: lf.protection).

local M = {}

-- The error for a protection state p = { level, what, message }, or nil at
-- level 0.
function M.message(p)
  if not p or p.level == 0 then return nil end
  return "target is read-protected: " .. p.what .. "; nothing was written. " .. p.message
end

-- Reads the protection of a connected target `t` and raises the message
-- when the chip is protected. Returns the state (nil when the chip's family
-- has no read protection or the chip is unknown). read(t) defaults to
-- luaflash.protection.
function M.check(t, read)
  read = read or require("luaflash").protection
  local p = read(t)
  local msg = M.message(p)
  -- with this file's position, so the CLI prints it as luaflash's own error
  -- (the message alone, exit status 1; init.lua)
  if msg then error(msg, 1) end
  return p
end

return M
