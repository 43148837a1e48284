-- To-be-closed variables (`local x <close> = ...`) release every luaflash
-- object that holds a resource when an error leaves the scope: the C objects
-- (bench, probe, target, loader: src/script/lf_lua.c) and the Lua ones (the
-- flash object of flash.lua, the engine's probe and target). Each object is
-- the only <close> variable of its scope, so the test proves its own
-- __close, not its parent closing it. The error that left the scope is the
-- one that comes out.
local lf = require("luaflash")
local engine = require("luaflash.engine")
local settings = require("luaflash.settings")
local H = require("flashtest")

-- Raise "boom" from a scope whose one to-be-closed variable is obj.
local function fail_with(obj)
  local ok, err = pcall(function()
    local x <close> = obj -- luacheck: ignore (closed by the error)
    error("boom", 0)
  end)
  H.eq(ok, false, "the scope failed")
  H.eq(err, "boom", "the scope's own error comes out")
end

-- A bench board, its probe at 4 MHz, the target connected and halted.
local function open_chain()
  local b = lf.bench("nucleo-f767zi")
  local p = b:open()
  p:set_clock(4000000)
  p:connect()
  local t = p:target()
  t:connect("halt")
  return b, p, t
end

H.test("close on error: loader, then target, then probe, then bench, each by its own __close", function()
  local b, p, t = open_chain()
  local l = lf.loader(t, lf.target_geometry(t))
  fail_with(l)
  H.eq(l:is_closed(), true, "loader closed")
  H.eq(t:is_closed(), false, "its target stays open")
  fail_with(t)
  H.eq(t:is_closed(), true, "target closed")
  H.eq(p:is_closed(), false, "its probe stays open")
  fail_with(p)
  H.eq(p:is_closed(), true, "probe closed")
  H.eq(b:is_closed(), false, "its bench stays open")
  fail_with(b)
  H.eq(b:is_closed(), true, "bench closed")
end)

H.test("close on error: a flash object stops its running loader; the target stays usable", function()
  local b, p, t = open_chain()
  local F = t:flash()
  F:crc32(0x08000000, 1024) -- starts the loader: the core runs it
  local l = F.loader()
  H.eq(t:is_halted(), false, "the loader runs")
  fail_with(F)
  H.eq(l:is_closed(), true, "loader released")
  H.eq(t:is_halted(), true, "loader stopped (the core halted at its exit), not only freed")
  H.eq(t:is_closed(), false, "target still open")
  H.eq(#t:read(0x08000000, 4), 4, "target still usable")
  b:close()
  H.eq(p:is_closed(), true, "closing the bench closed the probe")
end)

H.test("close on error: the engine's target stops its loader and closes the raw target; its probe closes the probe", function()
  local b = lf.bench("nucleo-f767zi")
  lf.use(b)
  local s = assert(settings.merge({ { name = "test", values = { target = "stm32f767zi" } } }))
  local E = engine.new {}
  local P = E.open_probe(s)
  local T = P:connect(s)
  T.F:crc32(0x08000000, 1024)
  local l = T.loader()
  fail_with(T)
  H.eq(l:is_closed(), true, "loader released")
  H.eq(T.t:is_closed(), true, "raw target closed")
  H.eq(P.p:is_closed(), false, "the probe stays open")
  local t2 = P.p:target()
  t2:connect("attach")
  H.eq(t2:is_halted(), true, "the loader was stopped before the target was closed")
  fail_with(P)
  H.eq(P.p:is_closed(), true, "probe closed")
  H.eq(t2:is_closed(), true, "with its targets")
  b:close()
end)

H.test("normal scope exit closes too", function()
  local b, p, t = open_chain()
  local F = t:flash()
  do
    local f <close> = F
    f:crc32(0x08000000, 1024)
  end
  H.eq(t:is_halted(), true, "loader stopped at the end of the scope")
  do local q <close> = p end -- luacheck: ignore
  H.eq(p:is_closed(), true, "probe closed")
  H.eq(t:is_closed(), true, "with its target")
  b:close()
end)

H.run("closing")
