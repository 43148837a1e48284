-- JSON for results, logs and traces: a deterministic encoder (object keys
-- sorted, integers without a fraction, NaN/inf rejected) and a strict decoder
-- (for tests and for reading back logs). Tables with keys 1..n (n >= 1) are
-- arrays; `json.array{}` marks an empty array; other tables are objects.

local M = {}

local array_mt = {}
function M.array(t) return setmetatable(t or {}, array_mt) end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function enc_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_array(t)
  if getmetatable(t) == array_mt then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function enc(v, out, path)
  local ty = type(v)
  if ty == "nil" then out[#out + 1] = "null"
  elseif ty == "boolean" then out[#out + 1] = tostring(v)
  elseif ty == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      error("json: " .. path .. ": cannot encode " .. tostring(v), 0)
    end
    if math.type(v) == "integer" then out[#out + 1] = string.format("%d", v)
    elseif v == math.floor(v) and math.abs(v) < 2^53 then out[#out + 1] = string.format("%d", math.tointeger(v))
    else out[#out + 1] = string.format("%.12g", v) end
  elseif ty == "string" then out[#out + 1] = enc_string(v)
  elseif ty == "table" then
    if is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        enc(v[i], out, path .. "[" .. i .. "]")
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" then error("json: " .. path .. ": object key " .. tostring(k) .. " is not a string", 0) end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = enc_string(k)
        out[#out + 1] = ":"
        enc(v[k], out, path .. "." .. k)
      end
      out[#out + 1] = "}"
    end
  else
    error("json: " .. path .. ": cannot encode a " .. ty, 0)
  end
end

function M.encode(v)
  local out = {}
  enc(v, out, "$")
  return table.concat(out)
end

-- Decoder: returns the value, or nil and "json: offset N: what was expected".
function M.decode(s)
  local pos = 1
  local function fail(what) error({ msg = string.format("json: offset %d: %s", pos - 1, what) }, 0) end
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    pos = pos + 1
    local parts = {}
    while true do
      local c = s:sub(pos, pos)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = pos + 1; break end
      if c == "\\" then
        local e = s:sub(pos + 1, pos + 1)
        local map = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
        if map[e] then parts[#parts + 1] = map[e]; pos = pos + 2
        elseif e == "u" then
          local h = s:sub(pos + 2, pos + 5)
          if not h:match("^%x%x%x%x$") then fail("expected 4 hex digits after \\u") end
          parts[#parts + 1] = utf8.char(tonumber(h, 16)); pos = pos + 6
        else fail("bad escape \\" .. e) end
      elseif c:byte() < 32 then fail("control character in string")
      else parts[#parts + 1] = c; pos = pos + 1 end
    end
    return table.concat(parts)
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      pos = pos + 1
      local t = {}
      ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail("expected a string key") end
        local k = str()
        ws()
        if s:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        t[k] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return t end
        if d ~= "," then pos = pos - 1; fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      pos = pos + 1
      local t = M.array({})
      ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        t[#t + 1] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return t end
        if d ~= "," then pos = pos - 1; fail("expected ',' or ']'") end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4; return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5; return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4; return nil
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[+-]?%d*", pos)
      if not num or num == "" or num == "-" then fail("expected a value") end
      pos = pos + #num
      return math.tointeger(tonumber(num)) or tonumber(num) or fail("bad number")
    end
  end
  local ok, res = pcall(function()
    local v = value()
    ws()
    if pos <= #s then fail("trailing characters") end
    return v
  end)
  if ok then return res end
  if type(res) == "table" then return nil, res.msg end
  error(res, 0)
end

return M
