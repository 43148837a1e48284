-- Built-in commands of the luaflash CLI (`luaflash probes`): readable Lua on
-- top of the C primitives, so a user can see what each one does.
local lf = require("luaflash")

local M = {}

local function hex4(v) return string.format("%04x", v or 0) end

-- `luaflash probes`: every known probe on the backend (the bench given with
-- --bench, else USB), one line each; `detail` is the driver's own (CMSIS-DAP:
-- v1 HID or v2 bulk, packets, protocol version). Fast: no sleeps, no
-- per-device timeouts.
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
    print(string.format("%-2d %-7s %-14s %-10s %-26s %-10s %-8s %s:%s%s%s",
      p.index, p.kind, p.product ~= "" and p.product or "-",
      p.firmware ~= "" and p.firmware or "-", p.serial ~= "" and p.serial or "-",
      p.location, volts, hex4(p.vid), hex4(p.pid), p.detail and ("  " .. p.detail) or "",
      p.note and ("  (" .. p.note .. ")") or ""))
  end
end

-- `luaflash boards`: the board files luaflash finds.
function M.boards(...)
  if select("#", ...) > 0 then
    lf.usage_error("boards: unexpected argument '" .. tostring((...)) .. "'", 0)
  end
  local B = require("luaflash.boards")
  local init = require("luaflash.init")
  local dirs = init.boards_dirs()
  for _, name in ipairs(B.list(dirs)) do
    local b, err = B.load(name, dirs)
    if b then
      print(string.format("%-16s %-13s %s", name, b.target, b.description or ""))
    else
      print(string.format("%-16s (broken: %s)", name, err))
    end
  end
end

-- `luaflash chips`: the parts luaflash knows (lua/luaflash/chips.lua), with
-- the names --chip and the `chip` setting accept.
function M.chips(...)
  if select("#", ...) > 0 then
    lf.usage_error("chips: unexpected argument '" .. tostring((...)) .. "'", 0)
  end
  if lf.cli.pack then return M.pack_chips(lf.cli.pack) end
  local list = require("luaflash.chips").list()
  local w = #"family"
  for _, c in ipairs(list) do w = math.max(w, #c.family_name) end
  print(string.format("%-14s %-" .. w .. "s %9s  %s", "chip", "family", "flash", "aliases"))
  for _, c in ipairs(list) do
    print(string.format("%-14s %-" .. w .. "s %5d KiB  %s", c.name, c.family_name, c.flash_kib,
      table.concat(c.aliases, ", ")))
  end
  print("(any case; an ordering code such as STM32F767ZIT6 or probe-rs' STM32F767ZITx names its part)")
end

-- `luaflash chips --pack FILE`: the devices of a CMSIS-Pack, each with the
-- flash algorithm and flash range luaflash would use (or why it cannot).
function M.pack_chips(path)
  local ok, info = pcall(lf.pack_info, path)
  if not ok then lf.usage_error(tostring(info):gsub("^[^\n]-%.lua:%d+: ", ""), 0) end
  print(string.format("%s (%s, %d devices)", info.name, path, #info.devices))
  local w = #"device"
  for _, d in ipairs(info.devices) do w = math.max(w, #d.name) end
  print(string.format("%-" .. w .. "s  %-12s %-20s  %s", "device", "core", "flash", "algorithm"))
  for _, d in ipairs(info.devices) do
    local flash = d.flash_start and string.format("0x%08x %5d KiB", d.flash_start, d.flash_size // 1024) or "-"
    print(string.format("%-" .. w .. "s  %-12s %-20s  %s", d.name, d.core or "", flash,
      d.algorithm or ("none: " .. tostring(d.problem))))
  end
  print("(--pack FILE --chip DEVICE, or pack = / chip = in a project)")
end

-- `luaflash report DATABASE [...]`: a production line's yield, failures and
-- times from its database (lua/luaflash/prodreport.lua).
function M.report(...)
  return require("luaflash.prodreport").main(...)
end

-- `luaflash flash FILE --board NAME | --chip PART [key=value ...] [--settings|--json|--quiet]`:
-- flash without a project file (the same sequence, settings from the board
-- and the command line; --chip is the command line's, lf.cli.chip).
function M.flash(...)
  local words = { ... }
  local file, board
  local rest = {}
  local i = 1
  while i <= #words do
    local w = words[i]
    if w == "--board" then
      board = words[i + 1]
      if not board then lf.usage_error("flash: --board needs a board name (luaflash boards lists them)", 0) end
      i = i + 1
    elseif w:match("^%-%-board=") then
      board = w:sub(9)
    elseif not file and not w:match("=") and not w:match("^%-") then
      file = w
    else
      rest[#rest + 1] = w
    end
    i = i + 1
  end
  if not file then
    lf.usage_error("flash: no image file given (luaflash flash FILE --board NAME | --chip PART [key=value ...])", 0)
  end
  local f = io.open(file, "rb")
  if not f then lf.usage_error("flash: cannot open image " .. file, 0) end
  f:close()
  local init = require("luaflash.init")
  local opts, kv = init.project_args(rest, "flash: ")
  local values = { image = file, board = board }
  local where = { image = "command line", board = board and "command line" or nil }
  local proj = { path = "(command line)", dir = ".", values = values, where = where, hooks = {},
    layer = { name = "command line", values = values, where = where } }
  return init.run_project(proj, kv, opts)
end

-- ---- nRF52 (issue 15) ----
-- `luaflash recover allow_mass_erase=true [--board NAME]`: erases a chip
-- whose debug port is closed by access-port protection through its vendor
-- AP (nRF52: CTRL-AP ERASEALL), which lifts the protection. Everything on
-- the chip is lost (flash, UICR, RAM), so it runs only with the explicit
-- consent; without it nothing is touched (exit 2). The family comes from
-- --board / --chip when given, else every family that can is tried.
function M.recover(...)
  local allow, board = false, nil
  local words = { ... }
  local i = 1
  while i <= #words do
    local w = words[i]
    if w == "allow_mass_erase=true" then allow = true
    elseif w == "--board" then
      board = words[i + 1]
      if not board then lf.usage_error("recover: --board needs a board name (luaflash boards lists them)", 0) end
      i = i + 1
    elseif w:match("^%-%-board=") then board = w:sub(9)
    else
      lf.usage_error("recover: unknown argument '" .. w .. "' (known: allow_mass_erase=true, --board NAME)", 0)
    end
    i = i + 1
  end
  if not allow then
    lf.usage_error("recover: erases the whole chip (all flash, the UICR and RAM) to lift its access-port " ..
      "protection; nothing was done. Run `luaflash recover allow_mass_erase=true` to do it", 0)
  end
  local family
  local chip = lf.cli.chip
  if board then
    local B = require("luaflash.boards")
    local b, err = B.load(board, require("luaflash.init").boards_dirs())
    if not b then lf.usage_error("recover: " .. tostring(err), 0) end
    chip = chip or b.target
  end
  if chip then
    local p, err = require("luaflash.chips").get(chip)
    if not p then lf.usage_error("recover: " .. tostring(err), 0) end
    family = p.family
  end
  local probe <close> = lf.open()            -- --probe SEL or --bench pick the probe
  local t = probe:target { family = family }
  local ok, err = pcall(t.recover, t)
  if not ok then
    error(setmetatable({ exit = 1, message = tostring(err):gsub("^[^\n]-%.lua:%d+: ", "") },
      { __tostring = function(e) return e.message end }), 0)
  end
  local info = t:connect("halt")
  t:disconnect { resume = true }
  print(string.format("recover: %s erased through its vendor AP; the debug port is open (%s)", info.chip,
    info.core or "core unknown"))
end

return M
