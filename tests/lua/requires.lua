-- require finds lua/luaflash/* and this script's own folder, never the cwd.
local helper = require("helper_mod")
assert(helper.answer == 42)
assert(require("luaflash.commands").probes)
local ok, err = pcall(require, "cwd_only_mod")
assert(not ok and err:find("module 'cwd_only_mod' not found"), err)
assert(package.cpath == "")
print("requires ok")
