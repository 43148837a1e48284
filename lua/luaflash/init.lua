-- The default sequence of `luaflash project.lua` (issue 6): find probe ->
-- open -> connect -> plan -> erase -> program -> verify -> reset ->
-- disconnect, each phase wrapped by will_*/did_* hooks.
--
-- The CLI calls run(project, ctx) when a script returns a table; ctx.path is
-- the script's path and ctx.args its command-line words. This is a stub until
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

return M
