-- scripts/calibrate's driver (issue 18): runs every calibration point's job on
-- the bench (luaflash, or a third-party tool through the libusb stand-in),
-- compares it with the published figure, runs the headline rows under the
-- low/high values of the unconfirmed parameters, and writes
-- docs/calibration.md. Everything in the page comes from these runs, from
-- points.lua / sensitivity.lua (the published figures and their sources) and
-- from the bench's parameter table (lf-bench-demo --params).
--
--   lua5.4 calibrate.lua --top DIR --build DIR --out DIR [--doc FILE.md]
--                        [--only P1,P5] [--no-sensitivity] [--check N]
--
-- --check N: exit 1 unless at least N counted points are within +-25 % of
-- their published figure (after the quantified host time, where a point
-- gives one). Without --doc nothing is written but DIR/results.json.

local opts = { sensitivity = true }
do
  local i = 1
  while i <= #arg do
    local a = arg[i]
    local function val() i = i + 1; return assert(arg[i], a .. " needs a value") end
    if a == "--top" then opts.top = val()
    elseif a == "--build" then opts.build = val()
    elseif a == "--out" then opts.out = val()
    elseif a == "--doc" then opts.doc = val()
    elseif a == "--only" then
      opts.only = {}
      for id in val():gmatch("[^,]+") do opts.only[id] = true end
    elseif a == "--no-sensitivity" then opts.sensitivity = false
    elseif a == "--check" then opts.check = assert(tonumber((val())), "--check needs a number")
    else error("calibrate: unknown argument " .. a, 0) end
    i = i + 1
  end
  assert(opts.top and opts.build and opts.out, "calibrate: --top, --build and --out are required")
end

package.path = opts.top .. "/lua/?.lua;" .. opts.top .. "/scripts/calibrate.d/?.lua;" .. package.path
local json = require("luaflash.json")
local points = dofile(opts.top .. "/scripts/calibrate.d/points.lua")
local sens = dofile(opts.top .. "/scripts/calibrate.d/sensitivity.lua")

local top, build, out = opts.top, opts.build, opts.out
local TOL = 0.25

local U = dofile(top .. "/scripts/benchmark.d/util.lua")
local q, readfile, writefile, sh = U.q, U.readfile, U.writefile, U.sh
local function log(fmt, ...) io.stderr:write(string.format("calibrate: " .. fmt .. "\n", ...)) end

-- ---------------------------------------------------------------------------
-- images and projects

local images = {}
local function make_images()
  local mk = build .. "/lf-bench-image"
  local function img(name, board, size)
    local p = out .. "/" .. name
    assert((sh(string.format("%s --board %s %d %s", q(mk), board, size, q(p)))), "lf-bench-image failed")
    images[name] = p
  end
  img("f767-65k.bin", "nucleo-f767zi", 66560)
  img("f767-512k.bin", "nucleo-f767zi", 524288)
  img("f767-2m.bin", "nucleo-f767zi", 2 * 1024 * 1024)
  img("f429-39064.bin", "nucleo-f429zi", 39064)
  img("f429-512k.bin", "nucleo-f429zi", 524288)
  img("h743-65k.bin", "nucleo-h743zi", 66560)
  img("pico-1m5.bin", "pico", 1500000)
  img("nrf52840-65k.bin", "nrf52840-dk", 66560)
  images["word.bin"] = out .. "/word.bin"
  writefile(images["word.bin"], "\x11\x22\x33\x44")
  -- P14: 7746 bytes in two segments (sectors 0 and 3 of the F767), halves
  local whole = readfile(images["f767-65k.bin"])
  images["seg2-a.bin"], images["seg2-b.bin"] = out .. "/seg2-a.bin", out .. "/seg2-b.bin"
  writefile(images["seg2-a.bin"], whole:sub(1, 3873))
  writefile(images["seg2-b.bin"], whole:sub(20001, 20000 + 3873))
end

-- a project file for a job that names a board but no project
local function project_for(job)
  if job.project then return top .. "/" .. job.project end
  local p = out .. "/" .. (job.board_file or "nucleo_f767zi") .. (job.image == "seg2" and "-seg2" or "") .. ".lua"
  local text = string.format("board = %q\n", job.board_file or "nucleo_f767zi")
  if job.image == "seg2" then
    text = text .. string.format("image = { { %q, base = 0x08000000 }, { %q, base = 0x08018000 } }\n",
      images["seg2-a.bin"], images["seg2-b.bin"])
  end
  writefile(p, text)
  return p
end

-- ---------------------------------------------------------------------------
-- jobs

local function standin_env(board, params, state, report)
  local preload = build .. "/standin/libusb-1.0.so.0"
  return string.format("LF_BENCH_BOARDS=%s LF_BENCH_STATE=%s LF_BENCH_REPORT=%s LF_BENCH_PARAMS=%s LD_PRELOAD=%s LD_LIBRARY_PATH=%s",
    q(board), q(state), q(report), q(table.concat(params, ",")), q(preload), q(build .. "/standin"))
end

local function report_time(text)
  return tonumber((text or ""):match("virtual time:%s*([%d%.]+)"))
end

local seq = 0
-- Runs one job with bench parameters `params`; returns the measured
-- seconds, the luaflash JSON result (luaflash jobs) and the command shown.
local function run_job(job, params)
  seq = seq + 1
  local tag = out .. "/run" .. seq
  if job.kind == "luaflash" then
    local parts = { q(build .. "/luaflash"), "--bench", job.board }
    for _, p in ipairs(params) do parts[#parts + 1] = "--bench-param " .. q(p) end
    parts[#parts + 1] = q(project_for(job))
    if job.image ~= "seg2" then parts[#parts + 1] = "image=" .. q(images[job.image]) end
    for _, a in ipairs(job.args or {}) do parts[#parts + 1] = q(a) end
    parts[#parts + 1] = "--json"
    local cmd = table.concat(parts, " ")
    if not sh(cmd .. " >" .. q(tag .. ".json") .. " 2>" .. q(tag .. ".err")) then
      error("job failed: " .. cmd .. "\n" .. (readfile(tag .. ".err") or ""), 0)
    end
    local res = json.decode(readfile(tag .. ".json") or "")
    assert(res and res.ok, "luaflash did not report ok: " .. cmd)
    local v
    if job.measure == "total" then v = res.total_s
    else
      local ph = job.measure:match("^phase:(.+)$")
      for _, p in ipairs(res.phases or {}) do if p.name == ph then v = (v or 0) + p.seconds end end
    end
    return assert(v, "no figure " .. job.measure .. " in " .. cmd), res, cmd
  elseif job.kind == "tool" or job.kind == "diff" then
    local function once(n)
      seq = seq + 1
      local t2 = out .. "/run" .. seq
      local parts = {}
      for _, c in ipairs(job.cmd) do
        c = c:gsub("{WORK}", out):gsub("{IMG}", job.image and images[job.image] or ""):gsub("{N}", tostring(n or 0))
        parts[#parts + 1] = q(c)
      end
      local cmd = table.concat(parts, " ")
      os.remove(t2 .. ".state"); os.remove(t2 .. ".report")
      local env = standin_env(job.board, params, t2 .. ".state", t2 .. ".report")
      sh(string.format("%s %s >%s 2>&1", env, cmd, q(t2 .. ".out")))
      local text = readfile(t2 .. ".out") or ""
      local v
      if type(job.measure) == "table" then v = tonumber(text:match(job.measure.pattern))
      else v = report_time(readfile(t2 .. ".report")) end
      if not v then error("job gave no figure: " .. cmd .. "\n" .. text:sub(-2000), 0) end
      return v, cmd
    end
    if job.kind == "tool" then
      local v, cmd = once()
      return v, nil, cmd
    end
    local a, cmd = once(job.n)
    local b = once(0)
    return (a - b) / job.n * (job.scale or 1), nil, cmd .. "  (minus the same with 0 reads, / " .. job.n .. ")"
  elseif job.kind == "peer" then
    local keep = tag .. ".peer"
    local cmd = string.format("%s %s %s %s", q(top .. "/scripts/bench-peer"), job.tool, job.board, q(images[job.image]))
    local env = string.format("LF_BUILD_DIR=%s LF_PEER_RUN=0 LF_PEER_KEEP=%s LF_BENCH_PARAMS=%s", q(build), q(keep),
      q(table.concat(params, ",")))
    local ok = sh(string.format("%s %s >%s 2>&1", env, cmd, q(tag .. ".out")))
    local text = readfile(tag .. ".out") or ""
    if not ok or not text:find("flash equals") then error("peer failed: " .. cmd .. "\n" .. text:sub(-2000), 0) end
    return assert(report_time(text), "no virtual time: " .. cmd), nil, cmd
  end
  error("unknown job kind " .. tostring(job.kind))
end

-- the command as a user types it from the top of the tree
local function shown(job)
  if job.kind == "luaflash" then
    local parts = { "build/luaflash --bench " .. job.board, job.project or ("<project: board " .. (job.board_file or "nucleo_f767zi") .. ">") }
    if job.image == "seg2" then parts[#parts] = "<project: two segments at 0x08000000 and 0x08018000, 3873 B each>"
    else parts[#parts + 1] = "image=" .. job.image end
    for _, a in ipairs(job.args or {}) do parts[#parts + 1] = a end
    return table.concat(parts, " ")
  elseif job.kind == "peer" then
    return string.format("LF_PEER_RUN=0 scripts/bench-peer %s %s %s", job.tool, job.board, job.image)
  end
  local parts = {}
  for _, c in ipairs(job.cmd) do
    if c:find("[%s{}$]") then c = "'" .. c .. "'" end
    parts[#parts + 1] = c:gsub("{WORK}", "/tmp"):gsub("{IMG}", job.image or ""):gsub("{N}", tostring(job.n or 0))
  end
  local how = job.kind == "diff" and string.format(" (virtual time minus the same with N=0, / %d%s)", job.n,
    job.scale and string.format(", x %g", job.scale) or "") or ""
  return "LF_BENCH_BOARDS=" .. job.board .. " <stand-in env> " .. table.concat(parts, " ") .. how
end

-- ---------------------------------------------------------------------------
-- run

local results = { points = {}, rows = {} }
os.execute("mkdir -p " .. q(out))
make_images()

for _, p in ipairs(points) do
  if not opts.only or opts.only[p.id] then
    local v, res, cmd = run_job(p.bench, {})
    local r = { id = p.id, bench_s = v, published_s = p.published, ratio = v / p.published, cmd = cmd }
    if p.host_s then
      r.adj_lo = (v + p.host_s[1]) / p.published
      r.adj_hi = (v + p.host_s[2]) / p.published
    end
    local best = r.ratio
    if r.adj_lo then
      -- the adjusted ratio nearest to 1 within the quantified range
      if r.adj_lo <= 1 and r.adj_hi >= 1 then best = 1
      elseif math.abs(r.adj_lo - 1) < math.abs(r.adj_hi - 1) then best = r.adj_lo else best = r.adj_hi end
    end
    r.within = math.abs(best - 1) <= TOL
    r.counts = p.counts ~= false
    if res and res.plan then r.floor_s = res.plan.floor_s end
    results.points[#results.points + 1] = r
    log("%-4s bench %.4f s, published %.4f s, ratio %.3f%s", p.id, v, p.published, r.ratio,
      r.adj_lo and string.format(" (with host time %.3f-%.3f)", r.adj_lo, r.adj_hi) or "")
  end
end

if opts.sensitivity then
  for _, row in ipairs(sens.rows) do
    if not opts.only or opts.only[row.id] then
      local rr = { id = row.id, v = {}, floor = {} }
      for _, var in ipairs(sens.variants) do
        if var.applies[row.probe_kind] then
          -- a third-party tool may fail under a variant (its own timeouts):
          -- that is a finding, shown as such, not a crash of the script
          local ok, v, res = pcall(run_job, row.job, var.params)
          if ok then
            rr.v[var.id] = v
            if res and res.plan then rr.floor[var.id] = res.plan.floor_s end
          else
            rr.failed = rr.failed or {}
            rr.failed[var.id] = true
            log("%s under %s failed: %s", row.id, var.id, tostring(v):sub(1, 300))
          end
        end
      end
      results.rows[#results.rows + 1] = rr
      log("%-7s base %.3f s (%s .. %s)", row.id, rr.v.base, tostring(rr.v.best), tostring(rr.v.worst))
    end
  end
end

writefile(out .. "/results.json", json.encode(results))

-- ---------------------------------------------------------------------------
-- the page

local function params_table()
  local keep = { "^usb_", "^stlink_", "^cmsisdap_", "^crc_", "^core_", "^swd_read", "^swd_write", "^flash_timing_max",
    "^flash_prog_ns", "^flash_erase32k_ns", "^flash_mass_ns", "^flash_f4_erase128k_ns", "^flash_f4_mass_ns" }
  local f = io.popen(q(build .. "/lf-bench-demo") .. " --params")
  local text = f:read("a")
  f:close()
  local lines = { "| parameter | value | unit | source |", "|---|---:|---|---|" }
  for line in text:gmatch("[^\n]+") do
    local name, val, rest = line:match("^(%S+)%s+(%S+)%s+(.*)$")
    if name then
      local ok = false
      for _, k in ipairs(keep) do if name:find(k) then ok = true end end
      if ok then
        local unit, src = rest:match("^(%S+)%s%s+(.*)$")
        if not unit then unit, src = "", rest:gsub("^%s+", "") end
        lines[#lines + 1] = string.format("| `%s` | %s | %s | %s |", name, val, unit, (src:gsub("|", "/")))
      end
    end
  end
  return table.concat(lines, "\n")
end

local function fmt_s(v)
  if not v then return "-" end
  if v < 0.01 then return string.format("%.3f ms", v * 1e3) end
  return string.format("%.3f s", v)
end

local function git_rev() return U.git_rev(top) end

if opts.doc then
  local byid = {}
  for _, r in ipairs(results.points) do byid[r.id] = r end
  local o = {}
  local function w(s) o[#o + 1] = s or "" end
  w("# Calibration: the bench against public measurements")
  w()
  w("Generated by `scripts/calibrate` (revision " .. git_rev() .. "); every bench figure below is a run of the")
  w("command shown, on the virtual bench, in modeled seconds. The published figures and their sources are in")
  w("`scripts/calibrate.d/points.lua`; the parameter values and their sources come from the bench's own table")
  w("(`build/lf-bench-demo --params`). Ratio = bench / published (above 1: the bench is slower than the real")
  w("run). A point counts towards the goal (within +-25 %) on its ratio, or on its ratio after the host")
  w("software time the bench does not model, where that time is quantified (column *with host time*).")
  w("Points marked *bound* are not like-for-like jobs: they bound a part of the model and are not counted.")
  w()
  local counted, within = 0, 0
  w("| # | published job | published | bench | ratio | with host time | within 25 % |")
  w("|---|---|---:|---:|---:|---:|---|")
  for _, p in ipairs(points) do
    local r = byid[p.id]
    if r then
      if r.counts then counted = counted + 1; if r.within then within = within + 1 end end
      local function cell(t) return (t:gsub("|", "\\|")) end
      w(string.format("| %s | %s (%s, %s, %s, %s) | %s | %s | %.2f | %s | %s |", p.id, cell(p.title), cell(p.setup.tool),
        cell(p.setup.probe), cell(p.setup.clock), cell(p.setup.op), fmt_s(p.published), fmt_s(r.bench_s), r.ratio,
        r.adj_lo and string.format("%.2f-%.2f", r.adj_lo, r.adj_hi) or "-",
        r.counts and (r.within and "yes" or "**no**") or "bound"))
    end
  end
  w()
  w(string.format("**%d of %d counted points are within +-25 %%.**", within, counted))
  w()
  w("## The points")
  w()
  for _, p in ipairs(points) do
    local r = byid[p.id]
    if r then
      w("### " .. p.id .. ": " .. p.title)
      w()
      local src = p.source
      w(string.format("- Source: %s%s, %s (%s).", src.title, src.url ~= "" and (", <" .. src.url .. ">") or "", src.who, src.date))
      w(string.format("- Published: %s — %s.", fmt_s(p.published), p.published_text))
      w(string.format("- Setup: %s; probe %s; target %s; clock %s; %s; %s.", p.setup.tool, p.setup.probe,
        p.setup.target, p.setup.clock, p.setup.size, p.setup.op))
      w("- Bench: `" .. shown(p.bench) .. "` → " .. fmt_s(r.bench_s) .. string.format(" (ratio %.2f).", r.ratio))
      if p.host_s then
        w(string.format("- Not modeled: %.1f-%.1f s of %s; with it the ratio is %.2f-%.2f.", p.host_s[1],
          p.host_s[2], p.host_s[3], r.adj_lo, r.adj_hi))
      end
      w("- Explained by: " .. p.explain)
      w()
    end
  end
  if #results.rows > 0 then
    w("## Headline figures with their range")
    w()
    w("Each headline row run under the low and high public values of the parameters that are not confirmed")
    w("(section Parameters says where each value comes from). *flash max*: every flash time at its datasheet")
    w("maximum (`flash_timing_max=1`, the RP2040's W25Q16JV `rp_w25_timing_max=1`; the nRF52840's NVMC times are")
    w("already the maxima, the only figures its specification gives); *FS/HS USB*: the host's per-transfer latency at full / high speed;")
    w("*firmware*: the probe firmware's per-command and per-transaction times; *psdb*: the ST-LINK's SWD clock as")
    w("scope-measured by psdb instead of the nominal divisor clock ([disagree]); *all low* / *all high*: every")
    w("one of them at once. A dash: the parameter does not apply to that probe. **fails**: the tool itself gave")
    w("up under that variant (the bench ran the real binary; its own timeout expired): see the notes below.")
    w()
    local head = { "| row |" }
    local sep = { "|---|" }
    for _, var in ipairs(sens.variants) do head[#head + 1] = " " .. var.title .. " |"; sep[#sep + 1] = "---:|" end
    head[#head + 1] = " range |"
    sep[#sep + 1] = "---|"
    w(table.concat(head))
    w(table.concat(sep))
    local rowsby = {}
    for _, rr in ipairs(results.rows) do rowsby[rr.id] = rr end
    for _, row in ipairs(sens.rows) do
      local rr = rowsby[row.id]
      if rr then
        local cells = { "| " .. row.title .. " |" }
        local lo, hi = math.huge, -math.huge
        for _, var in ipairs(sens.variants) do
          local v = rr.v[var.id]
          cells[#cells + 1] = " " .. (v and string.format("%.3f", v) or (rr.failed and rr.failed[var.id] and "**fails**" or "-")) .. " |"
          if v then lo, hi = math.min(lo, v), math.max(hi, v) end
        end
        cells[#cells + 1] = string.format(" %.3f-%.3f s |", lo, hi)
        w(table.concat(cells))
      end
    end
    w()
    for _, row in ipairs(sens.rows) do
      local rr = rowsby[row.id]
      for _, var in ipairs(sens.variants) do
        if rr and rr.failed and rr.failed[var.id] then
          w(string.format("- %s, %s: %s", row.title, var.title,
            (sens.notes or {})[row.id .. "/" .. var.id] or "the tool failed (its log is in the run's work directory)."))
        end
      end
    end
    w()
    w("Ratios under each variant (x floor: the run over the flash floor at typical flash times, so not shown")
    w("for the variants with the datasheet maxima; x luaflash: the third-party run over luaflash's 65 KB run")
    w("under the same variant):")
    w()
    local rh = { "| ratio |" }
    local rs = { "|---|" }
    for _, var in ipairs(sens.variants) do rh[#rh + 1] = " " .. var.title .. " |"; rs[#rs + 1] = "---:|" end
    w(table.concat(rh))
    w(table.concat(rs))
    for _, row in ipairs(sens.rows) do
      local rr = rowsby[row.id]
      if rr and row.floor then
        local cells = { "| " .. row.title .. ": x floor |" }
        for _, var in ipairs(sens.variants) do
          -- the plan's floor is at typical flash times: no ratio for the
          -- variants that change them
          local v, f = rr.v[var.id], rr.floor[var.id]
          if var.flash then f = nil end
          cells[#cells + 1] = " " .. ((v and f and f > 0) and string.format("%.3f", v / f) or "-") .. " |"
        end
        w(table.concat(cells))
      end
      if rr and row.vs_of and rowsby[row.vs_of] then
        local base = rowsby[row.vs_of]
        local cells = { "| " .. row.title .. ": x luaflash |" }
        for _, var in ipairs(sens.variants) do
          local v, b = rr.v[var.id], base.v[var.id]
          cells[#cells + 1] = " " .. ((v and b) and string.format("%.2f", v / b) or "-") .. " |"
        end
        w(table.concat(cells))
      end
    end
    w()
  end
  w("## Parameters")
  w()
  w("The bench parameters the points and the ranges rest on, as the bench prints them (value and source;")
  w("`[unconf]` = an assumption, overridable with `--bench-param`; `[disagree]` = sources conflict). The")
  w("model changes made for this calibration, with before/after figures, are in")
  w("[calibration-model-changes.md](calibration-model-changes.md).")
  w()
  w(params_table())
  w()
  w("## Rerun")
  w()
  w("    scripts/calibrate                      # every point and the ranges, rewrites docs/calibration.md")
  w("    scripts/calibrate --only P5,P7 --no-doc # some points: build-calibrate/results.json")
  w()
  w("The ctest `calibration_points` runs the eight fast points and fails when fewer than seven of them are within")
  w("+-25 % of the published figures.")
  writefile(opts.doc, table.concat(o, "\n") .. "\n")
  -- the figures alone, for docs/benchmark.md's range table (report.lua)
  local rows = {}
  for _, row in ipairs(sens.rows) do
    for _, rr in ipairs(results.rows) do
      if rr.id == row.id then
        local lo, hi = math.huge, -math.huge
        for _, v in pairs(rr.v) do lo, hi = math.min(lo, v), math.max(hi, v) end
        rows[#rows + 1] = { id = row.id, title = row.title, base = rr.v.base, fmax = rr.v.fmax, best = rr.v.best,
          worst = rr.v.worst, lo = lo, hi = hi, failed = rr.failed }
      end
    end
  end
  -- (without the commands: they hold this machine's paths; the page shows them)
  local pts = {}
  for i, r in ipairs(results.points) do
    pts[i] = {}
    for k, v in pairs(r) do if k ~= "cmd" then pts[i][k] = v end end
  end
  writefile((opts.doc:gsub("%.md$", "")) .. ".json", json.encode({ revision = git_rev(), rows = rows, points = pts }) .. "\n")
  log("wrote %s", opts.doc)
end

if opts.check then
  local n = 0
  for _, r in ipairs(results.points) do if r.counts and r.within then n = n + 1 end end
  if n < opts.check then
    log("only %d points within +-25 %% (%d wanted)", n, opts.check)
    os.exit(1)
  end
  log("%d points within +-25 %%", n)
end
