-- luaflash project files: load one plain Lua file, record every setting it
-- assigns with its file:line, collect its hooks, resolve its paths.
--
-- A project file is ordinary Lua whose top-level assignments are settings
-- and hooks:
--
--   board = "nucleo_f767zi"
--   image = "build/app.elf"            -- relative to this file's folder
--   clock = "4MHz"
--   function will_connect(ctx) ctx.settings.clock = 1800000 end
--   function reset(ctx, default) ...; return default(ctx) end   -- a step replaced
--
-- It may also `return { ... }` a table of settings (no line numbers then).
--
-- Trust model: a project file is code, like a Makefile. It runs with the
-- full standard library (io, os, require, load, ...) and can do whatever
-- its user can; it is not a sandbox, so run only project files you trust.
-- luaflash guarantees two things. Only the named file is executed: nothing
-- is loaded implicitly from the current directory (the runtime's module
-- path is lua/ and the file's own folder, never the cwd; no C modules).
-- And every setting is checked: unknown names are errors with a "did you
-- mean" suggestion (use `local` for the file's own helpers), and values are
-- checked by type and range when the layers are merged.

local settings = require("luaflash.settings")
local steps = require("luaflash.steps")

local M = {}

-- Every function name a project (or a board file) may define: the hooks
-- (those shared with pyOCD's user scripts mean the same thing), then the
-- steps of lua/luaflash/steps.lua it may replace. `connect` and `reset` are
-- settings too: a function assigned to them is the step, any other value
-- the setting.
M.hooks = {
  "will_connect", "did_connect", "will_erase", "did_erase", "will_program", "did_program",
  "will_verify", "did_verify", "will_reset", "did_reset", "will_disconnect", "did_disconnect",
  "on_error",
}
for _, n in ipairs(steps.names) do M.hooks[#M.hooks + 1] = n end
local is_hook = {}
for _, h in ipairs(M.hooks) do is_hook[h] = true end
M.hooks_set = is_hook

-- Is `v` assigned to `k` a hook or step (a function name that is not also a
-- setting, or a function assigned to a name that is both)?
local function is_function_entry(k, v)
  return is_hook[k] and (type(v) == "function" or not settings.spec[k])
end
M.is_function_entry = is_function_entry

local function dirname(path)
  local d = path:match("^(.*)/[^/]*$")
  if d == nil then return "." end
  if d == "" then return "/" end
  return d
end
M.dirname = dirname

-- `p` relative to the folder `base` (absolute paths unchanged).
function M.resolve(base, p)
  if p:sub(1, 1) == "/" then return p end
  if base == "." then return p end
  return base .. "/" .. p
end

local function all_names()
  local t = {}
  for _, k in ipairs(settings.keys) do t[#t + 1] = k end
  for _, h in ipairs(M.hooks) do t[#t + 1] = h end
  return t
end

-- What a project file sees: the names in `extra`, then every global of the
-- standard library (see the trust model above).
local function stdlib_env(extra)
  return setmetatable(extra or {}, { __index = _G })
end

-- Load the project at `path`. Returns a project table
--   { path, dir, values = {key = value}, where = {key = "file:line"},
--     hooks = {name = function}, layer = <settings layer> }
-- or nil and an error "file:line: what".
--
-- opts.lenient: the file may also be a plain script (luaflash SCRIPT.lua):
-- unknown globals are kept as ordinary globals, and the result says whether
-- the file turned out to be a project (assigned a setting or a hook, or
-- returned a table); unknown names are errors only then. opts.args: the
-- chunk's `...`.
function M.load(path, extra_env, opts)
  opts = opts or {}
  local f = io.open(path, "r")
  if not f then return nil, path .. ": cannot open project file" end
  f:close()
  local values, where, hooks = {}, {}, {}
  local problem
  local unknown = {}
  local base = stdlib_env(extra_env)
  local env
  env = setmetatable({}, {
    __index = base,
    __newindex = function(_, k, v)
      local info = debug.getinfo(2, "Sl")
      local at = path .. ":" .. (info and info.currentline or 0)
      if type(k) ~= "string" then
        problem = problem or (at .. ": assignment to a non-name global")
        return
      end
      if opts.lenient and not is_hook[k] and not settings.spec[k] then
        rawset(env, k, v)
        local hint = settings.suggest(k, all_names())
        unknown[#unknown + 1] = at .. ": unknown setting or hook '" .. k .. "'" ..
          (hint and (" (did you mean '" .. hint .. "'?)") or " (use 'local' for your own names)")
        return
      end
      if is_function_entry(k, v) then
        if type(v) ~= "function" then
          problem = problem or (at .. ": hook '" .. k .. "' must be a function, got " .. type(v))
        end
        hooks[k] = v
      elseif settings.spec[k] then
        values[k] = v
        where[k] = at
      else
        local hint = settings.suggest(k, all_names())
        problem = problem or (at .. ": unknown setting or hook '" .. k .. "'" ..
          (hint and (" (did you mean '" .. hint .. "'?)") or " (use 'local' for your own names)"))
      end
    end,
  })
  local chunk, err = loadfile(path, "t", env)
  if not chunk then return nil, err, "syntax" end
  local args = opts.args or {}
  local ok, ret = xpcall(chunk, debug.traceback, table.unpack(args, 1, args.n or #args))
  if not ok then return nil, ret end
  if problem then return nil, problem end
  if opts.lenient then
    local any = next(values) ~= nil or next(hooks) ~= nil or type(ret) == "table"
    if not any then return { script = true, path = path } end
    if #unknown > 0 then return nil, unknown[1] end
  end
  if type(ret) == "table" then
    for k, v in pairs(ret) do
      if type(k) ~= "string" then return nil, path .. ": returned table has a non-string key" end
      if is_function_entry(k, v) then
        if type(v) ~= "function" then
          return nil, path .. ": hook '" .. k .. "' in the returned table must be a function, got " .. type(v)
        end
        hooks[k] = v
      elseif settings.spec[k] then values[k] = v; where[k] = where[k] or path
      else
        local hint = settings.suggest(k, all_names())
        return nil, path .. ": unknown setting or hook '" .. k .. "' in the returned table" ..
          (hint and (" (did you mean '" .. hint .. "'?)") or "")
      end
    end
  elseif ret ~= nil then
    return nil, path .. ": a project file returns nothing or a table of settings, not a " .. type(ret)
  end
  local dir = dirname(path)
  -- Paths are relative to the project file's folder.
  if type(values.image) == "string" then
    values.image = M.resolve(dir, values.image)
  elseif type(values.image) == "table" then
    local list = {}
    for i, im in ipairs(values.image) do
      if type(im) == "string" then im = { im } end
      if type(im) ~= "table" or type(im[1] or im.path) ~= "string" then
        return nil, (where.image or path) .. ": image[" .. i .. "]: expected a path or { path, base = addr }"
      end
      local copy = {}
      for k, v in pairs(im) do copy[k] = v end
      copy.path = M.resolve(dir, im.path or im[1])
      copy[1] = nil
      list[i] = copy
    end
    values.image = list
  elseif values.image ~= nil then
    return nil, (where.image or path) .. ": setting 'image': expected a path or a list of images"
  end
  -- the flash algorithm's files: relative to this file's folder too
  for _, k in ipairs({ "pack", "flm" }) do
    if type(values[k]) == "string" then values[k] = M.resolve(dir, values[k]) end
  end
  return {
    path = path, dir = dir, values = values, where = where, hooks = hooks,
    layer = { name = "project " .. path, values = values, where = where },
  }
end

return M
