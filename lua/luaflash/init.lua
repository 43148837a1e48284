-- `luaflash FILE.lua [args...]`: what the CLI runs for a file.
--
-- The file is executed once. A plain script (it assigns no setting or hook
-- and returns nothing) has simply run. A project file (it assigns settings
-- such as board/image/clock, defines hooks, or returns a table of settings)
-- is then run by the default sequence (lua/luaflash/sequence.lua) with its
-- settings merged in the documented order:
--
--   built-in defaults < board < project file < command line key=value
--
-- Project options after the file name: key=value (settings), --settings
-- (print the effective settings and where each came from, then stop),
-- --json (the result as JSON on stdout), --quiet (no progress, no summary),
-- --profile (phase table), --trace FILE.json (Chrome trace events),
-- --chip=PART (the `chip` setting; `--chip PART` anywhere on the command
-- line is src/main.c's, lf.cli.chip). What is shown is
-- lua/luaflash/report.lua's job.
local lf = require("luaflash")
local settings = require("luaflash.settings")
local project = require("luaflash.project")
local boards = require("luaflash.boards")
local chips = require("luaflash.chips")
local sequence = require("luaflash.sequence")
local engine = require("luaflash.engine")
local report = require("luaflash.report")

local M = {}

-- The phases a failure message names (engine.phase also says "images",
-- "check": those messages name their file or check themselves).
local named_phase = { connect = true, plan = true, erase = true, program = true, verify = true, reset = true,
  disconnect = true }

function M.boards_dirs()
  return boards.dirs((lf.lua_dir or "lua") .. "/../boards")
end

-- Split the words after the file into project options and key=value words.
function M.project_args(words, who)
  local opts, kv = {}, {}
  local i = 1
  while i <= #words do
    local w = words[i]
    if w == "--settings" then opts.settings = true
    elseif w == "--json" then opts.json = true
    elseif w == "--quiet" or w == "-q" then opts.quiet = true
    elseif w == "--profile" then opts.profile = true
    elseif w:match("^%-%-chip=") then
      -- (`--chip PART` with a space is the command line's own: lf.cli.chip)
      kv[#kv + 1] = "chip=" .. w:sub(8)
    elseif w == "--trace" or w:match("^%-%-trace=") then
      local f = w:match("^%-%-trace=(.*)$")
      if not f then i = i + 1; f = words[i] end
      if not f or f == "" or f:match("^%-%-") then
        lf.usage_error((who or "") .. "--trace needs a file name (--trace FILE.json)", 0)
      end
      opts.trace = f
    elseif w:match("^%-") then
      lf.usage_error((who or "") .. "unknown project option '" .. w .. "' (known: --settings, --json, " ..
        "--quiet, --profile, --trace FILE, --chip PART; settings are key=value)", 0)
    else kv[#kv + 1] = w end
    i = i + 1
  end
  return opts, kv
end
local project_args = M.project_args

-- Run a loaded project (or a table built by `luaflash flash`).
function M.run_project(proj, kv, opts)
  opts = opts or {}
  -- --all-probes: every probe at once (lua/luaflash/production.lua)
  if (lf.cli.all_probes or lf.cli.gang) and not opts.gang_inner and not opts.settings then
    -- the threads run this command line again, without the options before
    -- the command: --chip goes with it
    if lf.cli.chip and arg then table.insert(arg, 1, "--chip=" .. lf.cli.chip) end
    return require("luaflash.production").run_project(proj, kv, opts, M.run_project)
  end
  local function input_error(msg)   -- exit 2; with --json also a JSON error object
    if opts.json then report.input_error_json(msg) end
    lf.usage_error(msg, 0)
  end
  local cli_layer, err = settings.parse_args(kv)
  if not cli_layer then input_error(err) end
  -- --chip PART: the chip on the command line (a chip= word wins)
  local cv = cli_layer.values
  if lf.cli.chip and cv.chip == nil and cv.target == nil then
    cv.chip, cli_layer.where.chip = lf.cli.chip, "--chip"
  end
  if lf.cli.pack and cv.pack == nil then cv.pack, cli_layer.where.pack = lf.cli.pack, "--pack" end
  local board_name = cli_layer.values.board or proj.values.board
  local layers = {}
  local board
  if board_name then
    local b, berr = boards.load(board_name, M.boards_dirs())
    if not b then input_error((proj.where.board or "command line") .. ": " .. berr) end
    board = b
  end
  -- target family < board < project < command line
  local pv = proj.values
  local tname = cv.chip or cv.target or pv.chip or pv.target or (board and board.target)
  local fam = tname and chips.family_layer(tname)
  if fam then layers[#layers + 1] = fam end
  if board then layers[#layers + 1] = board.layer end
  layers[#layers + 1] = proj.layer
  layers[#layers + 1] = cli_layer
  local eff, origin = settings.merge(layers)
  if not eff then input_error(origin) end
  if cli_layer.values.image then eff.image = cli_layer.values.image end
  if opts.settings then
    print(settings.format(eff, origin))
    return
  end
  local E = engine.new { board = board }
  local R = report.new(opts)
  R:instrument(E)
  proj = R:instrument_project(proj)
  if board then board.hooks = R:instrument_hooks(board.hooks, "board ") end
  local t0 = lf.monotonic()
  local result, ctx
  -- With --json, stdout carries the JSON result alone: print() in hooks and
  -- program(ctx) goes to stderr for the run.
  local saved_print = print
  if opts.json then
    print = function(...) -- luacheck: ignore (deliberate global override)
      local n, parts = select("#", ...), {}
      for i = 1, n do parts[i] = tostring((select(i, ...))) end
      io.stderr:write(table.concat(parts, "\t"), "\n")
    end
  end
  local ok, rerr = pcall(function()
    result, ctx = sequence.run(proj, eff, origin, E)
  end)
  print = saved_print -- luacheck: ignore
  if not ok then
    local first = tostring(rerr):match("^[^\n]*")
    if E.stage == "input" then
      -- an image that cannot be read or does not fit: named by the project
      -- line that set it (not the engine's own position)
      first = first:gsub("^[^:\n]*luaflash/[%w_]+%.lua:%d+: ", "")
      local at = origin.image and origin.image:match("%((.-)%)$")
      if at and not first:match("^no chip") and not first:match("protected region")
        and not first:match("^setting '") then
        first = at .. ": image: " .. first
      end
    end
    -- A probe/target/flash error raised inside luaflash's own modules: the
    -- message already says what and where; its Lua position and traceback
    -- would only point into luaflash. Errors from the project's own code
    -- (hooks, program(ctx)) keep their file:line and traceback.
    local own = first:match("^(.-%.lua):%d+: ")
    local internal = own and lf.lua_dir and own:sub(1, #lf.lua_dir) == lf.lua_dir
    if internal then first = first:gsub("^[^\n]-%.lua:%d+: ", "", 1) end
    -- a target failure names the phase the run was in unless the message
    -- starts with it
    local ph = E.stage ~= "input" and E.fail_phase
    if ph and named_phase[ph] and first:sub(1, #ph + 1) ~= ph .. ":" then first = ph .. ": " .. first end
    if E.guard and E.guard.wrote and not first:match("protected region") then
      first = first .. string.format(" (the protected bytes at risk were saved first in %s: the next run " ..
        "on this chip with any region protected restores them)", E.guard:path())
    end
    R:fail(first, E.stage, ph and named_phase[ph] and ph or nil)
    if E.stage == "input" then lf.usage_error(first, 0) end
    if internal then
      error(setmetatable({ exit = 1, message = first }, { __tostring = function(x) return x.message end }), 0)
    end
    error(rerr, 0)
  end
  -- On the bench: virtual time from the moment the probe was open (the
  -- board's clock); else the host's monotonic time of the whole run.
  result.total_s = E.bench and (E.clock() - E.bench_start) or (lf.monotonic() - t0)
  result.clock = E.bench and "bench virtual time" or "host monotonic time"
  -- what the project's own program(ctx) put into ctx.result wins over the
  -- engine's records (e.g. ctx.result.plan for a custom sequence's summary)
  for k, v in pairs(E.result_extra) do
    if result[k] == nil then result[k] = v end
  end
  result.settings = {}
  for k, v in pairs(eff) do
    if type(v) ~= "function" then result.settings[k] = v end
  end
  R:finish(result, eff)
  return result, ctx
end

function M.main(path, ...)
  local args = table.pack(...)
  local proj, err, kind = project.load(path, nil, { lenient = true, args = args })
  if not proj then
    -- a syntax error or a bad name (file:line, did you mean) is an input
    -- error; an error raised while the file ran keeps its traceback
    if kind == "syntax" or (type(err) == "string" and not err:find("\nstack traceback:")) then
      for i = 1, args.n do
        if args[i] == "--json" then report.input_error_json(err) break end
      end
      lf.usage_error(err, 0)
    end
    error(err, 0)
  end
  if proj.script then return end
  local words = {}
  for i = 1, args.n do words[i] = args[i] end
  local opts, kv = project_args(words)
  return M.run_project(proj, kv, opts)
end

return M
