-- Built-in commands of the luaflash CLI (`luaflash probes`): readable Lua on
-- top of the C primitives, so a user can see what each one does.
local lf = require("luaflash")

local M = {}

local function hex4(v) return string.format("%04x", v or 0) end

-- `luaflash probes`: every known probe on the backend (the bench given with
-- --bench, else USB), one line each. Fast: no sleeps, no per-device timeouts.
function M.probes(...)
  if select("#", ...) > 0 then
    lf.usage_error("probes: unexpected argument '" .. tostring((...)) .. "'", 0)
  end
  local list = lf.probes()
  if #list == 0 then
    print("no probes found (looked for: " .. table.concat(lf.kinds, ", ") .. " on "
      .. (lf.cli.bench and "the bench" or "USB") .. ")")
    return
  end
  print(string.format("%-2s %-7s %-14s %-10s %-26s %-10s %-8s %s",
    "#", "kind", "product", "firmware", "serial", "location", "voltage", "usb id"))
  for _, p in ipairs(list) do
    local volts = p.voltage and string.format("%.2f V", p.voltage) or "-"
    print(string.format("%-2d %-7s %-14s %-10s %-26s %-10s %-8s %s:%s%s",
      p.index, p.kind, p.product ~= "" and p.product or "-",
      p.firmware ~= "" and p.firmware or "-", p.serial ~= "" and p.serial or "-",
      p.location, volts, hex4(p.vid), hex4(p.pid), p.note and ("  (" .. p.note .. ")") or ""))
  end
end

return M
