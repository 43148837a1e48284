-- A project is code (README "A project file is code"): it reads the
-- environment and files and requires its own modules like any Lua program.
-- Only the named file runs: project_test.sh runs it from tests/lua/cwd,
-- whose cwd_only_mod.lua must not be found.
board = require("project_helper").board
image = "app.bin"
clock = os.getenv("LF_TEST_PROJECT_CLOCK")
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local f = assert(io.open(here .. "/app.bin", "rb"))
keep_unwritten = #f:read("a") == 116
f:close()
local ok, err = pcall(require, "cwd_only_mod")
assert(not ok and err:find("module 'cwd_only_mod' not found"), "cwd_only_mod: " .. tostring(err))
