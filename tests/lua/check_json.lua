-- Checks luaflash's machine-readable outputs (run by tests/lua/project_test.sh):
--   lua5.4 check_json.lua result FILE [success|failure]   --json output against result_schema.lua
--   lua5.4 check_json.lua trace FILE NAME/PH...           Chrome trace events, NAMEs present
--   lua5.4 check_json.lua order FILE "a b! c"             host-track spans in this order (! = failed)
--   lua5.4 check_json.lua usbsum FILE SPAN                 USB transfer events inside the bench span
--                                                          = its usb_transfers counter (and bytes)
-- Prints "ok ..." or the first problem with its JSON path; exit 0 / 1.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/../../lua/?.lua;" .. here .. "/?.lua;" .. package.path
local json = require("luaflash.json")

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a"); f:close()
  return s
end

-- nil when v matches schema sc, else "path: problem".
local function check(v, sc, path)
  if sc.one_of then
    local errs, n = {}, 0
    for i, alt in ipairs(sc.one_of) do
      local e = check(v, alt, path)
      if e then errs[#errs + 1] = "[" .. i .. "] " .. e else n = n + 1 end
    end
    if n == 1 then return nil end
    return n == 0 and ("matches no alternative: " .. table.concat(errs, "; ")) or (path .. ": matches several alternatives")
  end
  local t = sc.type
  if t == "object" then
    if type(v) ~= "table" or getmetatable(v) ~= nil then return path .. ": expected an object" end
    for _, k in ipairs(sc.required or {}) do
      if v[k] == nil then return path .. ": missing key '" .. k .. "'" end
    end
    for k, x in pairs(v) do
      local p = sc.properties and sc.properties[k]
      if p then
        local e = check(x, p, path .. "." .. k)
        if e then return e end
      elseif sc.extra == false then
        return path .. ": unexpected key '" .. k .. "'"
      end
    end
  elseif t == "array" then
    if type(v) ~= "table" or (next(v) ~= nil and #v == 0) then return path .. ": expected an array" end
    for i, x in ipairs(v) do
      local e = check(x, sc.items, path .. "[" .. i .. "]")
      if e then return e end
    end
  elseif t == "string" then
    if type(v) ~= "string" then return path .. ": expected a string" end
    if sc.enum then
      for _, x in ipairs(sc.enum) do if x == v then return nil end end
      return path .. ": '" .. v .. "' is not one of " .. table.concat(sc.enum, ", ")
    end
  elseif t == "number" or t == "integer" then
    if type(v) ~= "number" then return path .. ": expected a number" end
    if t == "integer" and math.type(v) ~= "integer" then return path .. ": expected an integer, got " .. v end
    if sc.min and v < sc.min then return path .. ": " .. v .. " below " .. sc.min end
  elseif t == "boolean" then
    if type(v) ~= "boolean" then return path .. ": expected a boolean" end
    if sc.const ~= nil and v ~= sc.const then return path .. ": expected " .. tostring(sc.const) end
  end
  return nil
end

local mode, file = arg[1], arg[2]
local text = read(file)
local v, err = json.decode(text)
if v == nil then print("FAIL " .. file .. ": not JSON: " .. tostring(err)); os.exit(1) end

if mode == "result" then
  local schemas = dofile(here .. "/result_schema.lua")
  local sc = arg[3] and schemas[arg[3]] or schemas
  local e = check(v, sc, "$")
  if e then print("FAIL result schema: " .. e); os.exit(1) end
  print("ok   result matches the schema" .. (arg[3] and (" (" .. arg[3] .. ")") or ""))
elseif mode == "trace" then
  local ev = v.traceEvents
  if type(ev) ~= "table" or #ev == 0 then print("FAIL trace: no traceEvents array"); os.exit(1) end
  local names = {}
  for i, e in ipairs(ev) do
    local where = "traceEvents[" .. i .. "]"
    if type(e.name) ~= "string" or type(e.ph) ~= "string" or math.type(e.pid) ~= "integer"
       or math.type(e.tid) ~= "integer" then
      print("FAIL trace: " .. where .. " lacks name/ph/pid/tid"); os.exit(1)
    end
    if e.ph ~= "M" and (type(e.ts) ~= "number" or e.ts < 0) then
      print("FAIL trace: " .. where .. " (" .. e.name .. ") has no ts >= 0"); os.exit(1)
    end
    if e.ph == "X" and (type(e.dur) ~= "number" or e.dur < 0) then
      print("FAIL trace: " .. where .. " (" .. e.name .. ") has no dur >= 0"); os.exit(1)
    end
    if e.ph == "C" and type(e.args) ~= "table" then
      print("FAIL trace: counter " .. where .. " without args"); os.exit(1)
    end
    names[e.name .. "/" .. e.ph] = true
  end
  for k = 3, #arg do
    if not names[arg[k]] then print("FAIL trace: no event " .. arg[k]); os.exit(1) end
  end
  print(string.format("ok   trace: %d events, has %s", #ev, table.concat(arg, " ", 3)))
elseif mode == "order" then
  local order = {}
  for _, e in ipairs(v.traceEvents or {}) do
    if e.pid == 1 and e.ph == "X" then order[#order + 1] = e.name .. (e.args and e.args.failed and "!" or "") end
  end
  local got = table.concat(order, " ")
  if got ~= arg[3] then print("FAIL trace order: " .. got .. " (expected " .. arg[3] .. ")"); os.exit(1) end
  print("ok   trace order: " .. got)
elseif mode == "usbsum" then
  local span
  for _, e in ipairs(v.traceEvents or {}) do
    if e.pid == 2 and e.ph == "X" and e.name == arg[3] then span = e end
  end
  if not span then print("FAIL usbsum: no bench span " .. arg[3]); os.exit(1) end
  local n, bytes = 0, 0
  for _, e in ipairs(v.traceEvents) do
    -- (timestamps are microseconds with three decimals: ts + dur is a sum of
    -- two decimals in binary floating point, compared with a nanosecond of slack)
    if e.pid == 2 and e.cat == "usb" and e.ph == "X" and e.ts >= span.ts - 5e-4 and e.ts < span.ts + span.dur - 5e-4 then
      n = n + 1
      bytes = bytes + e.args.actual
    end
  end
  local a = span.args
  local want = a.usb_out_bytes + a.usb_in_bytes
  if n ~= a.usb_transfers or bytes ~= want then
    print(string.format("FAIL usbsum %s: %d transfer events with %d bytes, counters say %d and %d",
      arg[3], n, bytes, a.usb_transfers, want))
    os.exit(1)
  end
  print(string.format("ok   usbsum %s: %d transfer events, %d bytes = the bench counters", arg[3], n, bytes))
else
  print("usage: check_json.lua result|trace|order|usbsum FILE ..."); os.exit(2)
end
