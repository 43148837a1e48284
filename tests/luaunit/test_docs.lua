-- The README's reference blocks equal what the code generates (run
-- scripts/gen-docs after changing a setting).
local src = os.getenv("LF_SOURCE_DIR") or "."
package.path = src .. "/lua/?.lua;" .. package.path
local D = require("luaflash.docs")

local f = assert(io.open(src .. "/README.md"))
local doc = f:read("a"); f:close()
local want = assert(D.splice(doc, "settings", D.settings_table()))
if want ~= doc then
  print("[  FAILED  ] readme_settings_table_matches_the_code: run scripts/gen-docs")
  print("[==========] 1 test(s) run."); os.exit(1)
end
print("[       OK ] readme_settings_table_matches_the_code")
print("[==========] 1 test(s) run.")
print("[  PASSED  ] 1 test(s).")
