-- What the option-byte modules (luaflash.targets.*_options) share: the
-- consent rules, the check of wanted fields, the prepare step (nothing is
-- written) and waiting for a busy flag. A module M gives M.fields (the
-- names a project may set), M.factory() (the factory options, decoded),
-- M.encode(o) (its registers' values, or nil and an error naming the
-- field), M.decode(values...), M.consequences(old, new), M.check_change and
-- M.read(t) (-> first register, registers, decoded).
local C = {}

-- Consequences that need the project's consent: true, or nil and the
-- refusal naming the setting that allows it.
function C.consent(consequences, allow)
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

-- A wanted change table without a target: unknown field names, values that
-- cannot be encoded. true, or nil and the error.
function C.check_fields(M, want)
  if type(want) ~= "table" then return nil, "option_bytes: expected a table of fields, got " .. type(want) end
  local names = {}
  for k in pairs(M.fields) do names[#names + 1] = k end
  table.sort(names)
  for k in pairs(want) do
    if not M.fields[k] then
      return nil, "option_bytes: unknown field '" .. tostring(k) .. "' (known: " .. table.concat(names, ", ") .. ")"
    end
  end
  local o = M.factory()
  for k, v in pairs(want) do o[k] = v end
  local ok, err = M.encode(o)
  if not ok then return nil, "option_bytes: " .. err end
  return true
end

-- What writing `want` over the chip's options would do: { old, new, values
-- (the encoded registers, table.pack), consequences, changed }, or nil and
-- the refusal. Nothing is written.
function C.prepare(M, t, want, allow)
  local ok, ferr = C.check_fields(M, want)
  if not ok then return nil, ferr end
  local _, _, old = M.read(t)
  local new = {}
  for k, v in pairs(old) do new[k] = v end
  for k, v in pairs(want) do new[k] = v end
  if want.rdp == 1 and old.rdp == 1 then new.rdp_raw = old.rdp_raw end
  local values = table.pack(M.encode(new))
  if not values[1] then return nil, "option_bytes: " .. values[2] end
  new = M.decode(table.unpack(values, 1, values.n))
  local okc, cerr = M.check_change(old, new, allow)
  if not okc then return nil, cerr end
  local before, changed = table.pack(M.encode(old)), false
  for i = 1, values.n do changed = changed or before[i] ~= values[i] end
  return { old = old, new = new, values = values, consequences = M.consequences(old, new), changed = changed }
end

-- Polls the register at addr until `bit` clears; returns its value, raises
-- "option bytes: WHAT: NAME still set after ..." after timeout_s.
function C.wait(t, addr, bit, timeout_s, what, name)
  local t0 = t:now_ns()
  while true do
    local v = t:read32(addr)
    if v & bit == 0 then return v end
    if (t:now_ns() - t0) / 1e9 > timeout_s then
      error(string.format("option bytes: %s: %s still set after %.1f s (0x%08x)", what, name, timeout_s, v), 0)
    end
  end
end

return C
