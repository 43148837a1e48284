-- Small helpers shared by the benchmark suite (suite.lua) and scripts/calibrate
-- (calibrate.d/calibrate.lua): shell quoting, whole-file I/O, running a
-- command, the tree's git revision.
local M = {}

function M.q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- The whole file, or nil when it cannot be opened.
function M.readfile(p)
  local f = io.open(p, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function M.writefile(p, s)
  local f = assert(io.open(p, "wb"))
  f:write(s)
  f:close()
end

-- Runs a shell command: true when it exited 0, and its exit code.
function M.sh(cmd)
  local ok, _, code = os.execute(cmd)
  return ok == true, code
end

-- The revision of the tree at `top` (12 hex digits, marked when it has
-- uncommitted changes); a copy without .git (git archive) names its revision
-- through LF_BENCH_REVISION.
function M.git_rev(top)
  if os.getenv("LF_BENCH_REVISION") then return os.getenv("LF_BENCH_REVISION") end
  local p = io.popen("git -C " .. M.q(top) .. " rev-parse --short=12 HEAD 2>/dev/null")
  local rev = (p:read("l") or "unknown")
  p:close()
  local d = io.popen("git -C " .. M.q(top) .. " status --porcelain --untracked-files=no 2>/dev/null | head -1")
  local dirty = d:read("l")
  d:close()
  return rev .. (dirty and dirty ~= "" and " (with uncommitted changes)" or "")
end

return M
