-- Boards: one small Lua file per board in boards/ (name = file name without
-- .lua). A board names its target, its probe kind, its bench model and the
-- settings it changes from the target family's (a settings layer), in the
-- table it returns. It may also carry behaviour: hooks and steps (the names
-- of project.hooks), as top-level functions or as functions in that table:
--
--   function reset(ctx, default) ...; return default(ctx) end
--   return { target = "stm32f767zi", ..., will_connect = function(ctx) ... end }
--
-- They sit under the project's (lua/luaflash/sequence.lua, bind): a project
-- function of the same name replaces the board's and gets it as `default`.
-- A board file is code, like a project file (full standard library): use
-- board files you trust. Unknown names are errors with a suggestion.

local lf = require("luaflash")
local settings = require("luaflash.settings")
local project = require("luaflash.project")
local chips = require("luaflash.chips")

local M = {}

local board_keys = { description = "string", target = "string", bench = "string",
  probe = "table", settings = "table", leds = "table" }
local known_names = {}
for k in pairs(board_keys) do known_names[#known_names + 1] = k end
for _, h in ipairs(project.hooks) do known_names[#known_names + 1] = h end
table.sort(known_names)

local function hint(name)
  local h = settings.suggest(name, known_names)
  return h and (" (did you mean '" .. h .. "'?)") or ""
end

-- Run the board file at path: its returned table and the functions it
-- defined at top level (name -> function), or nil and "path:line: what".
local function run_board_file(path)
  local fns, problem = {}, nil
  local env = setmetatable({}, {
    __index = _G,
    __newindex = function(_, k, v)
      local info = debug.getinfo(2, "Sl")
      local at = path .. ":" .. (info and info.currentline or 0)
      if type(k) == "string" and project.hooks_set[k] and type(v) == "function" then
        fns[k] = v
      else
        problem = problem or (at .. ": unknown name '" .. tostring(k) .. "' in a board file" ..
          hint(tostring(k)) .. ": a board returns its data as a table; top-level functions are " ..
          "hooks or steps; use 'local' for helpers")
      end
    end,
  })
  local chunk, err = loadfile(path, "t", env)
  if not chunk then return nil, err end
  local ok, b = pcall(chunk)
  if not ok then return nil, path .. ": " .. tostring(b) end
  if problem then return nil, problem end
  return b, fns
end

-- Folders searched, in order: LUAFLASH_BOARDS (":"-separated), then the
-- installation's boards/ folder given by the caller.
function M.dirs(default_dir)
  local t = {}
  local env = os.getenv("LUAFLASH_BOARDS")
  if env then for d in env:gmatch("[^:]+") do t[#t + 1] = d end end
  if default_dir then t[#t + 1] = default_dir end
  return t
end

-- Board names in one folder. The folder is read with lf.listdir (opendir),
-- never through a shell: a path is data, whatever characters it holds. A
-- folder that cannot be read (e.g. a LUAFLASH_BOARDS entry that does not
-- exist) holds no boards; -vv says why.
local function list_dir(dir)
  local names = {}
  local entries, err = lf.listdir(dir)
  if not entries then
    lf.log("debug", "boards: skipping folder " .. err)
    return names
  end
  for _, e in ipairs(entries) do
    local n = e:match("^([%w_%-]+)%.lua$")
    if n then names[#names + 1] = n end
  end
  return names
end

-- All board names (sorted, unique).
function M.list(dirs)
  local seen, out = {}, {}
  for _, d in ipairs(dirs) do
    for _, n in ipairs(list_dir(d)) do
      if not seen[n] then seen[n] = true; out[#out + 1] = n end
    end
  end
  table.sort(out)
  return out
end

-- Load board `name`: returns the board table (with .name, .path and
-- .layer, a settings layer) or nil and an error naming the known boards.
function M.load(name, dirs)
  if type(name) ~= "string" or not name:match("^[%w_%-]+$") then
    return nil, "board name must be a word like \"nucleo_f767zi\", got " .. tostring(name)
  end
  local norm = name:gsub("%-", "_")
  for _, d in ipairs(dirs) do
    local path = d .. "/" .. norm .. ".lua"
    local f = io.open(path, "r")
    if f then
      f:close()
      local b, fns = run_board_file(path)
      if not b then return nil, fns end
      if type(b) ~= "table" then return nil, path .. ": a board file returns a table" end
      for k, v in pairs(b) do
        if type(k) == "string" and project.hooks_set[k] and type(v) == "function" then
          if fns[k] then return nil, path .. ": '" .. k .. "' is defined twice (top level and table)" end
          fns[k] = v
          b[k] = nil
        elseif not board_keys[k] then
          return nil, path .. ": unknown board key '" .. tostring(k) .. "'" .. hint(tostring(k))
        elseif type(v) ~= board_keys[k] then
          return nil, path .. ": board key '" .. k .. "' must be a " .. board_keys[k]
        end
      end
      if not b.target then return nil, path .. ": a board names its target" end
      local part, perr = chips.get(b.target)
      if not part then return nil, path .. ": target: " .. perr end
      b.target = part.name
      b.name, b.path, b.hooks = norm, path, fns
      local values = b.settings or {}
      for k, v in pairs(values) do
        local ok2, err2 = settings.check(k, v)
        if ok2 == nil and err2 then return nil, path .. ": " .. err2 end
      end
      b.layer = { name = "board " .. norm, values = values }
      return b
    end
  end
  local known = M.list(dirs)
  local hint = settings.suggest(norm, known)
  return nil, "unknown board '" .. name .. "'" .. (hint and (" (did you mean '" .. hint .. "'?)") or "") ..
    "; known boards: " .. (#known > 0 and table.concat(known, ", ") or "none")
end

return M
