-- The default sequence of `luaflash project.lua` (issue 6): find probe ->
-- open -> connect -> plan -> erase -> program -> verify -> reset ->
-- disconnect, each phase wrapped by will_*/did_* hooks.
--
-- `luaflash FILE.lua [args]` calls main(path, args...): the file is loaded
-- (only that file; a syntax error is an input error, exit 2) and run with
-- the args as `...`. When it returns a table, that table is a project and
-- run(project, ctx) takes it (ctx.path = the file, ctx.args = the words).
-- main is the one place that decides what a file is, so the project-file
-- format can change here without touching C. run() is a stub until
-- the flash engine (src/flash/: image, plan, loader) is bound: it connects and
-- identifies the target, then refuses to claim that anything was flashed.
local lf = require("luaflash")

local M = {}

local function hook(project, name, ctx)
  local h = project[name]
  if h == nil then return end
  if type(h) ~= "function" then
    lf.usage_error(string.format("project: hook '%s' must be a function, got %s", name, type(h)), 0)
  end
  return h(ctx)
end

function M.run(project, ctx)
  ctx = ctx or {}
  ctx.project = project
  local probe <close> = lf.open(project.probe)
  ctx.probe = probe
  if project.clock then ctx.clock = probe:set_clock(project.clock) end
  local target = probe:target({disconnect_timeout = project.disconnect_timeout})
  ctx.target = target
  hook(project, "will_connect", ctx)
  ctx.info = target:connect(project.connect == "under-reset" and "under-reset" or "halt")
  lf.log("info", string.format("connected: %s %s, DPIDR 0x%08x, IDCODE 0x%08x",
    ctx.info.chip, ctx.info.core, ctx.info.dpidr, ctx.info.idcode))
  hook(project, "did_connect", ctx)
  if project.program then
    hook(project, "program", ctx)
  else
    target:disconnect({resume = false})
    error("luaflash: the flash engine (image, plan, loader) is not built yet: nothing was " ..
      "programmed; define program(ctx) in the project to run your own sequence", 0)
  end
  hook(project, "will_disconnect", ctx)
  target:disconnect({resume = true})
  hook(project, "did_disconnect", ctx)
end

function M.main(path, ...)
  local chunk = lf.load_script(path)
  local result = chunk(...)
  if type(result) == "table" then
    return M.run(result, { path = path, args = { ... } })
  end
end

return M
