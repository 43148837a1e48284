-- luaflash settings: the one table of every knob, its type, unit, default
-- and meaning; parsing of values with units; the merge of the layers
--
--   built-in defaults < target family < board < project file < command line
--
-- and the record of where each effective value came from.
--
-- Invariants: every key a user can set is a row of `spec`; a value reaching
-- `merge` has been checked by `check` (type, enum, range), so the sequence
-- never sees a setting it does not understand. Errors name the key, the
-- source (file:line when known) and what was expected.

local M = {}

-- kind: "bool" | "enum" | "hz" | "seconds" | "string" | "int" | "verify" |
-- "chip" (a part name, stored canonical: lua/luaflash/chips.lua) | "table" |
-- "regions" (protected regions: a list, added up over the layers) | "names"
-- (true or a list of names) | "any".
-- alias = "key": an old name of setting `key`; merge stores its value under
-- `key` and mirrors it back, so code reading either name sees the value.
local spec = {
  board = { kind = "string", default = nil,
    doc = "board name (a file boards/<name>.lua), e.g. \"nucleo_f767zi\"" },
  chip = { kind = "chip", default = nil,
    doc = "chip (part) when no board is given, or instead of the board's: case-insensitive, " ..
      "with short aliases, e.g. \"STM32F767ZI\", \"f767zi\" (`luaflash chips` lists them; `--chip PART`)" },
  target = { kind = "chip", alias = "chip", default = nil,
    doc = "the old name of `chip` (still accepted)" },
  image = { kind = "any", default = nil,
    doc = "image file, or a list of { path, base = addr } tables; relative to the project file" },
  base = { kind = "int", default = nil, min = 0, max = 0xffffffff,
    doc = "load address of a raw binary image" },
  hook_limit = { kind = "int", default = 5000, min = 0, max = 1000000000,
    doc = "the most Lua instructions, in millions, a hook or step of a board or project file may run per " ..
      "call (time in C, such as flashing, does not count): an endless loop ends with an error naming it " ..
      "(about a second per 100 million); 0 = no limit" },
  image_max_mb = { kind = "int", default = 256, min = 1, max = 65536,
    doc = "the largest image file read, in MiB (a bigger or endless input is refused before it fills " ..
      "memory; parsing needs about 3x the file)" },
  flash = { kind = "table", default = nil,
    doc = "the chip's flash described as data, for a variant the parts table does not know: " ..
      "{ regions = {...}, timing = {...}, ... } as luaflash.geometry takes it (README \"Describing a part " ..
      "as data\"); family and line default to the chip's" },
  pack = { kind = "string", default = nil,
    doc = "a CMSIS-Pack device family pack (.pack): `chip` names one of its devices (`luaflash chips " ..
      "--pack FILE` lists them; `--pack FILE`); its default flash algorithm (FLM), flash range and RAM " ..
      "program the chip (README \"CMSIS packs and flash algorithms\"); relative to the project file" },
  flm = { kind = "string", default = nil,
    doc = "a CMSIS-Pack flash algorithm (.FLM file) to program the chip with instead of luaflash's own " ..
      "loader; the chip's RAM (luaflash's parts) or flm_ram says where it runs; relative to the project file" },
  flm_mode = { kind = "enum", values = { "auto", "streamed", "classic" }, default = "auto",
    doc = "how a pack's or flm's algorithm runs: \"streamed\" (luaflash's dispatcher next to it takes " ..
      "commands and data from a ring while the host uploads), \"classic\" (the host calls it page by page, " ..
      "two buffers) or \"auto\" (streamed when the RAM holds it)" },
  flm_ram = { kind = "table", default = nil,
    doc = "RAM the flash algorithm may use, { start = addr, size = bytes }: overrides the pack's " ..
      "(RAMstart/RAMsize or its default RAM) or the chip's" },
  probe = { kind = "any", default = nil,
    doc = "probe selection: a serial (or unique prefix) string, or { serial=, index=, kind=, location= }" },
  clock = { kind = "hz", default = 4000000, min = 1000, max = 100000000,
    doc = "SWD clock; the probe uses the nearest supported frequency not above it" },
  erase = { kind = "enum", values = { "sector", "chip", "auto", "fastest" }, default = "auto",
    doc = "\"sector\": only the sectors the image covers; \"chip\": mass erase; \"auto\": the faster " ..
      "of the two, but a mass erase only when it loses nothing outside the image (the image covers " ..
      "every sector, or everything else is kept or protected); \"fastest\": the faster, whatever " ..
      "it erases" },
  protect = { kind = "regions", default = nil,
    doc = "flash regions never to lose: { {addr, len, \"name\"}, ... } (or {addr=, len=, name=}); " ..
      "added up over the layers (a board protects its bootloader, a project adds its calibration; " ..
      "the same name again replaces the region); an image byte inside one is an error; an erased " ..
      "sector's protected bytes are read first and written back; each region's CRC32 is proven " ..
      "unchanged after the run (README \"Protected regions\")" },
  allow_protected = { kind = "names", default = nil,
    doc = "protected regions this run may write or erase: true (all) or a list of their names " ..
      "(image data inside them, an option-byte change that erases the flash)" },
  protect_store = { kind = "string", default = nil,
    doc = "folder of the saved copies of protected bytes about to be erased (restored by the next " ..
      "run after an interruption); default $XDG_STATE_HOME/luaflash/protected, else " ..
      "~/.local/state/luaflash/protected" },
  smart_flash = { kind = "bool", default = true,
    doc = "skip sectors whose on-target CRC32 equals the image's" },
  erase_psize = { kind = "enum", values = { "x8", "x16", "x32", "x64" }, default = nil,
    doc = "STM32 F2/F4/F7 erase parallelism (FLASH_CR.PSIZE during an erase), for the plan's datasheet erase " ..
      "times; default: the program parallelism, the only one luaflash's own loader erases at. A different " ..
      "value is for a project program(ctx) hook that erases with its own loader, e.g. pyOCD's algorithm " ..
      "erasing at x8 (scripts/examples/pyocd_default.lua); a run without such a hook refuses it" },
  erase_avoid = { kind = "bool", default = true,
    doc = "a sector the image touches that reads blank on the target (its CRC32, computed there for smart " ..
      "flash, is an erased sector's) is programmed without erasing it first; the verify catches the rare " ..
      "CRC collision, and the sector is then erased and programmed again. Never on ECC flash (STM32L4, H7)" },
  bits_only = { kind = "bool", default = true,
    doc = "with erase_avoid: a touched sector that is neither blank nor unchanged is sent whole to the flash " ..
      "loader, which programs it without erasing when the new content only clears bits of the old (new AND " ..
      "old == new, checked on the target; nRF52: only erased words are written; STM32F1: over 0xFFFF or with " ..
      "0x0000), else erases it first; only " ..
      "after a look at the old bytes finds no 0 -> 1 bit and where the model says it pays (the sector fits " ..
      "the loader's ring and its erase takes longer than the extra upload). STM32F1/F2/F4/F7 and nRF52 " ..
      "(never on ECC flash)" },
  compress = { kind = "auto_bool", default = "auto",
    doc = "compressed upload: the host deflates the program data (8 KiB chunks, 32 KiB with a 32 KiB " ..
      "history on the STM32F2/F4/F7; 2 KiB on the STM32F1; zlib -9, or luaflash's own encoder: " ..
      "compress_effort) and the flash loader inflates it on the target (the STM32F2/F4/F7, F1, L4, H7, nRF52 and " ..
      "RP2040 loaders and the streamed FLM dispatcher, where the loader's RAM has room; the classic FLM " ..
      "mode uploads plain). " ..
      "\"auto\": when the model predicts it faster (the link is the bound and the target's inflate keeps " ..
      "up); true: always where the loader can; false: never" },
  compress_effort = { kind = "int", default = 0, min = 0, max = 5,
    doc = "encoder of the compressed upload: 0 zlib -9; 1..5 luaflash's own near-optimal deflate at that " ..
      "effort (0.3-1 % fewer bytes than zlib -9, codes of at most 9 bits for the F2/F4/F7 routine's " ..
      "fast decoding; costs the host 3-7x zlib's time: ~10 ms per 66 KB and ~0.3 s per MB at 3, up to " ..
      "three passes a stream), which pays only where the link is slow next to the host" },
  loader_ram = { kind = "int", default = nil, min = 4096, max = 0x1000000,
    doc = "bytes of target RAM the flash loader may use from its load address (default: the family's " ..
      "window for the chip's line, e.g. 10 KiB on an STM32F1 medium density, whose smallest part has " ..
      "10 KiB; an STM32F103RB has 20 KiB, room for the inflater of compressed upload)" },
  keep_unwritten = { kind = "bool", default = false,
    doc = "bytes of an erased sector not covered by the image are read first and written back (false: they end 0xFF)" },
  verify = { kind = "verify", values = { "crc", "readback" }, default = "crc",
    doc = "\"crc\" (on-target CRC32), \"readback\" (bytes over SWD) or false" },
  disconnect_timeout = { kind = "seconds", default = 0.1, min = 0, max = 60,
    doc = "longest wait for the debug power-down acknowledge at disconnect" },
  targetsel = { kind = "int", default = nil, min = 0, max = 0xffffffff,
    doc = "SWD multidrop: TARGETSEL of the debug port to connect to (the RP2040 family's settings " ..
      "name core 0's, 0x01002927; core 1 is 0x11002927); the probe (CMSIS-DAP) wakes the wire " ..
      "from dormant and selects that DP" },
  connect = { kind = "enum", values = { "normal", "under-reset" }, default = "normal",
    doc = "attach to the running target, or with NRST held low" },
  reset = { kind = "enum", values = { "system", "hardware", "none" }, default = "system",
    doc = "reset after programming: SYSRESETREQ, the NRST pin, or none" },
  halt_after_reset = { kind = "bool", default = false,
    doc = "keep the core halted at the reset vector after the reset" },
  flash_timeout = { kind = "seconds", default = nil, min = 0.01, max = 600,
    doc = "longest the flash loader may go without progress before the job fails; default: twice the datasheet maximum of the slowest erase (mass erase) + 1 s" },
}
M.spec = spec

local order = {}
for k in pairs(spec) do order[#order + 1] = k end
table.sort(order)
M.keys = order

-- Levenshtein distance, for "did you mean".
local function distance(a, b)
  local la, lb = #a, #b
  local prev, cur = {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    cur[0] = i
    for j = 1, lb do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev, cur = cur, prev
  end
  return prev[lb]
end

-- The known key closest to `key`, when it is close enough to be a typo.
function M.suggest(key, candidates)
  candidates = candidates or order
  local best, bestd = nil, math.huge
  local limit = math.max(2, #key // 3)
  for _, k in ipairs(candidates) do
    -- the distance is at least the difference in length: a word far
    -- longer than every candidate (any length on a command line) costs
    -- nothing instead of its length times each candidate's
    local d = math.abs(#key - #k) > limit and math.huge or distance(key:lower(), k)
    if d < bestd then best, bestd = k, d end
  end
  if best and bestd <= limit then return best end
  return nil
end

local hz_units = { hz = 1, khz = 1e3, mhz = 1e6, ghz = 1e9 }
local s_units = { s = 1, ms = 1e-3, us = 1e-6, ["µs"] = 1e-6, ns = 1e-9, min = 60 }

-- "4MHz", "1.8 MHz", "4000kHz", 4e6 -> 4000000 ; "50ms", "0.1s", 2 -> seconds
local function with_unit(v, units, what)
  if type(v) == "number" then return v end
  if type(v) ~= "string" then return nil, "expected a number or a string with a unit (" .. what .. ")" end
  local num, unit = v:match("^%s*([%d%.eE+-]+)%s*(%S*)%s*$")
  local n = num and tonumber(num)
  if not n then return nil, "expected a number with a unit (" .. what .. "), got '" .. v .. "'" end
  if unit == "" then return n end
  local f = units[unit:lower()]
  if not f then return nil, "unknown unit '" .. unit .. "' (" .. what .. ")" end
  return n * f
end

local function enum_list(values)
  local q = {}
  for i, x in ipairs(values) do q[i] = '"' .. x .. '"' end
  return table.concat(q, ", ")
end

-- Check and normalise one value. from_text: the value came from the command
-- line as a string (booleans and numbers are parsed from text).
-- Returns the normalised value, or nil and a message without location.
function M.check(key, v, from_text, ctx)
  local s = spec[key]
  if not s then
    local hint = M.suggest(key)
    return nil, "unknown setting '" .. key .. "'" .. (hint and (" (did you mean '" .. hint .. "'?)") or "")
  end
  local kind = s.kind
  if from_text and type(v) == "string" then
    local l = v:lower()
    if kind == "bool" or kind == "verify" or kind == "auto_bool" then
      if l == "true" or l == "yes" or l == "on" or l == "1" then v = true
      elseif l == "false" or l == "no" or l == "off" or l == "0" then v = false end
    elseif kind == "int" then
      v = math.tointeger(tonumber(v)) or v
    end
  end
  local bad
  if kind == "bool" then
    if type(v) ~= "boolean" then bad = "expected true or false" end
  elseif kind == "enum" then
    if type(v) ~= "string" then
      bad = "expected one of " .. enum_list(s.values)
    else
      local ok = false
      for _, x in ipairs(s.values) do if x == v then ok = true end end
      if not ok then
        local hint = M.suggest(v, s.values)
        bad = "expected one of " .. enum_list(s.values) .. ", got \"" .. v .. "\"" ..
          (hint and (" (did you mean \"" .. hint .. "\"?)") or "")
      end
    end
  elseif kind == "auto_bool" then
    if v ~= true and v ~= false and v ~= "auto" then bad = "expected \"auto\", true or false" end
  elseif kind == "verify" then
    if v == true then v = "crc" end
    if v ~= false then
      local ok = false
      for _, x in ipairs(s.values) do if x == v then ok = true end end
      if not ok then bad = "expected " .. enum_list(s.values) .. " or false" end
    end
  elseif kind == "hz" or kind == "seconds" then
    local n, err = with_unit(v, kind == "hz" and hz_units or s_units,
      kind == "hz" and "Hz, kHz, MHz" or "s, ms, us")
    if not n then bad = err
    elseif n ~= n or (s.min and n < s.min) or (s.max and n > s.max) then
      local fmt = kind == "hz" and "%g Hz" or "%g s"
      bad = string.format("out of range: " .. fmt .. " (allowed " .. fmt .. " .. " .. fmt .. ")",
        n, s.min, s.max)
    else
      v = kind == "hz" and math.floor(n + 0.5) or n
    end
  elseif kind == "int" then
    if math.type(v) ~= "integer" then bad = "expected an integer"
    elseif (s.min and v < s.min) or (s.max and v > s.max) then
      bad = string.format("out of range: %d (allowed %d .. %d)", v, s.min, s.max)
    end
  elseif kind == "string" then
    if type(v) ~= "string" then bad = "expected a string" end
  elseif kind == "table" then
    if type(v) ~= "table" then bad = "expected a table" end
  elseif kind == "regions" then
    v, bad = M.check_regions(v, from_text)
  elseif kind == "names" then
    if from_text and type(v) == "string" then
      local l = v:lower()
      if l == "true" or l == "all" then v = true
      else
        local list = {}
        for w in v:gmatch("[^,]+") do list[#list + 1] = w:match("^%s*(.-)%s*$") end
        v = list
      end
    end
    if type(v) == "string" then v = { v } end
    if v ~= true and v ~= false and type(v) ~= "table" then
      bad = "expected true or a list of names"
    elseif type(v) == "table" then
      for i, n in ipairs(v) do
        if type(n) ~= "string" then bad = "entry " .. i .. ": expected a name (string)" break end
      end
    end
  elseif kind == "chip" and ctx and ctx.pack then
    -- a device of the pack: looked up there (engine.lua), kept as written
    if type(v) ~= "string" then bad = "expected a device name of the pack (luaflash chips --pack FILE)" end
  elseif kind == "chip" then
    if type(v) ~= "string" then
      bad = "expected a chip name such as \"stm32f767zi\" (luaflash chips lists them)"
    else
      -- loaded here, not above: the parts table may need the C module
      local part, err = require("luaflash.chips").get(v)
      if part then v = part.name else bad = err end
    end
  end
  if bad then return nil, "setting '" .. key .. "': " .. bad end
  return v
end

-- protect = { {addr, len [, name]} | {addr=, len=, name=}, ... }; from the
-- command line "addr:len[:name][,addr:len[:name]...]". Returns the list of
-- { addr =, len =, name = } (name defaults to the address), or nil, message.
function M.check_regions(v, from_text)
  if from_text and type(v) == "string" then
    local list = {}
    for item in v:gmatch("[^,]+") do
      local a, l, n = item:match("^%s*([^:]+):([^:]+):?(.-)%s*$")
      local ai, li = a and math.tointeger(tonumber(a)), l and math.tointeger(tonumber(l))
      if not ai or not li then
        return nil, "expected addr:len[:name] (e.g. 0x081C0000:0x40000:calibration), got '" .. item .. "'"
      end
      list[#list + 1] = { ai, li, n ~= "" and n or nil }
    end
    v = list
  end
  if type(v) ~= "table" then return nil, "expected a list of {addr, len, \"name\"} regions" end
  if v[1] ~= nil and type(v[1]) ~= "table" then v = { v } end -- one region given bare
  local out, seen = {}, {}
  for i, r in ipairs(v) do
    if type(r) ~= "table" then return nil, "region " .. i .. ": expected {addr, len, \"name\"}" end
    local addr, len, name = r.addr or r[1], r.len or r[2], r.name or r[3]
    if math.type(addr) ~= "integer" or addr < 0 or addr > 0xffffffff then
      return nil, "region " .. i .. ": addr must be an integer address (0 .. 0xffffffff)"
    end
    -- len is compared with the room left: addr + len could wrap around
    if math.type(len) ~= "integer" or len < 1 or len > 0x100000000 - addr then
      return nil, string.format("region %d: len must be 1 .. 0x%x bytes (to the end of the address space)",
        i, 0x100000000 - addr)
    end
    if name ~= nil and (type(name) ~= "string" or name == "") then
      return nil, "region " .. i .. ": name must be a non-empty string"
    end
    for k in pairs(r) do
      if k ~= "addr" and k ~= "len" and k ~= "name" and not (math.type(k) == "integer" and k >= 1 and k <= 3) then
        return nil, "region " .. i .. ": unknown key '" .. tostring(k) .. "' (addr, len, name)"
      end
    end
    name = name or string.format("0x%08X", addr)
    if seen[name] then return nil, "region " .. i .. ": the name '" .. name .. "' is used twice" end
    seen[name] = true
    out[#out + 1] = { addr = addr, len = len, name = name }
  end
  return out
end

-- Defaults as a layer.
function M.defaults()
  local t = {}
  for k, s in pairs(spec) do t[k] = s.default end
  return t
end

-- layers: list of { name = "board nucleo_f767zi", values = {k = v},
--                   where = {k = "file:line"} (optional), text = bool }
-- Later layers win. Returns effective values and, per key, the origin
-- ("default", or the layer name with file:line), or nil and an error.
function M.merge(layers)
  local eff, origin = {}, {}
  for k, s in pairs(spec) do
    eff[k] = s.default
    origin[k] = "default"
  end
  -- with a pack, `chip` names one of its devices (not a part of the parts table)
  local ctx = {}
  for _, layer in ipairs(layers) do
    if layer.values.pack ~= nil then ctx.pack = true end
  end
  for _, layer in ipairs(layers) do
    local keys = {}
    for k in pairs(layer.values) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local at = layer.where and layer.where[k]
      local where = at and (at .. ": ") or (layer.name .. ": ")
      local v, err = M.check(k, layer.values[k], layer.text, ctx)
      if v == nil and err then return nil, where .. err end
      local key = spec[k] and spec[k].alias or k
      if key ~= k and layer.values[key] ~= nil then
        return nil, where .. "setting '" .. k .. "' is the old name of '" .. key .. "': set one of them"
      end
      if spec[key].kind == "regions" then
        -- added up: a later layer adds regions, or replaces one of the same name
        local acc = {}
        for _, r in ipairs(eff[key] or {}) do acc[#acc + 1] = r end
        for _, r in ipairs(v) do
          r.from = layer.name .. (at and (" (" .. at .. ")") or "")
          local replaced = false
          for j, old in ipairs(acc) do
            if old.name == r.name then acc[j], replaced = r, true end
          end
          if not replaced then acc[#acc + 1] = r end
        end
        v = acc
        if origin[key] ~= "default" then
          origin[key] = origin[key] .. " + " .. layer.name .. (at and (" (" .. at .. ")") or "")
          eff[key] = v
          goto next_key
        end
      end
      eff[key] = v
      origin[key] = layer.name .. (at and (" (" .. at .. ")") or "") .. (key ~= k and (" as '" .. k .. "'") or "")
      ::next_key::
    end
  end
  for k, s in pairs(spec) do
    if s.alias then eff[k], origin[k] = eff[s.alias], origin[s.alias] end
  end
  return eff, origin
end

-- "key=value" words of the command line as a layer.
function M.parse_args(words)
  local values, where = {}, {}
  for i, w in ipairs(words) do
    local k, v = w:match("^([%w_]+)=(.*)$")
    if not k then
      return nil, "command line argument " .. i .. " '" .. w .. "': expected key=value"
    end
    if not spec[k] then
      local hint = M.suggest(k)
      return nil, "command line argument " .. i .. ": unknown setting '" .. k .. "'" ..
        (hint and (" (did you mean '" .. hint .. "'?)") or "")
    end
    values[k] = v
    where[k] = "argument " .. i
  end
  return { name = "command line", values = values, where = where, text = true }
end

-- A name as text for a line: control bytes (a NUL from a project file
-- included, which string.format's padded %s refuses) as \ddd escapes.
local function printable(s)
  return (tostring(s):gsub("%c", function(c) return string.format("\\%03d", c:byte()) end))
end

local function show(v, k)
  if type(v) == "string" then return string.format("%q", v) end
  if k == "protect" and type(v) == "table" then
    local q = {}
    for i, r in ipairs(v) do q[i] = string.format("%s 0x%08X+0x%X", printable(r.name), r.addr, r.len) end
    return "{ " .. table.concat(q, ", ") .. " }"
  end
  if k == "allow_protected" and type(v) == "table" then
    local q = {}
    for i, n in ipairs(v) do q[i] = printable(n) end
    return "{ " .. table.concat(q, ", ") .. " }"
  end
  if type(v) == "table" then return "{...}" end
  return tostring(v)
end

-- The effective settings, one line per key: "key = value   -- origin".
function M.format(eff, origin)
  local lines = {}
  for _, k in ipairs(order) do
    if not spec[k].alias then
      -- %q above leaves a NUL as \0 but a newline as "\" + newline: one line per key
      lines[#lines + 1] = string.format("%-20s = %-14s -- %s", k, printable(show(eff[k], k)), printable(origin[k]))
      if k == "protect" and type(eff[k]) == "table" then
        for _, r in ipairs(eff[k]) do
          lines[#lines + 1] = string.format("%-20s   %-14s -- %s: 0x%08X-0x%08X (%d bytes)", "", "",
            printable(r.name), r.addr, r.addr + r.len - 1, r.len) .. (r.from and (", " .. printable(r.from)) or "")
        end
      end
    end
  end
  return table.concat(lines, "\n")
end

return M
