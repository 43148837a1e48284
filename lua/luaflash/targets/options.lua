-- What the option-byte modules of luaflash.targets share (stm32f1_options,
-- stm32l4_options): the consent check of a change, the check of a wanted
-- field table without a target, and the wait for the flash controller.

local M = {}

-- A change's consequences against the project's permissions (allow =
-- { allow_mass_erase, allow_rdp2 }): true, or nil and what would happen and
-- which setting allows it.
function M.check_change(consequences, allow)
  allow = allow or {}
  for _, c in ipairs(consequences) do
    if c.erases_flash and not allow.allow_mass_erase then
      return nil, "option bytes: " .. c.what .. "; set allow_mass_erase = true to do it"
    end
    if c.irreversible and not allow.allow_rdp2 then
      return nil, "option bytes: " .. c.what .. "; set allow_rdp2 = true to do it"
    end
  end
  return true
end

-- A wanted field table without a target: known field names (mod.fields),
-- values that encode over the factory options (base(), then mod.encode).
function M.check_fields(mod, want, base)
  if type(want) ~= "table" then return nil, "option_bytes: expected a table of fields, got " .. type(want) end
  local names = {}
  for k in pairs(mod.fields) do names[#names + 1] = k end
  table.sort(names)
  for k in pairs(want) do
    if not mod.fields[k] then
      return nil, "option_bytes: unknown field '" .. tostring(k) .. "' (known: " .. table.concat(names, ", ") .. ")"
    end
  end
  local o = base()
  for k, v in pairs(want) do o[k] = v end
  local v, err = mod.encode(o)
  if not v then return nil, "option_bytes: " .. err end
  return true
end

-- Reads the status register sr_addr until its busy bit clears; returns it.
function M.wait_idle(t, sr_addr, busy, timeout_s, what)
  local t0 = t:now_ns()
  while true do
    local sr = t:read32(sr_addr)
    if sr & busy == 0 then return sr end
    if (t:now_ns() - t0) / 1e9 > timeout_s then
      error(string.format("option bytes: %s: FLASH_SR.BSY still set after %.1f s (SR 0x%08x)", what, timeout_s, sr), 0)
    end
  end
end

return M
