-- Unit tests of lua/luaflash/boardlog.lua.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local src, test, eq = T.src, T.test, T.eq
local L = require("luaflash.boardlog")
local json = require("luaflash.json")


local function memfs()
  local files = {}
  return { files = files, append = function(p, l) files[p] = (files[p] or "") .. l end }
end

test("records_are_json_lines_readable_back", function()
  local fs = memfs()
  L.record(fs, "log", { result = "passed", probe = "066D", serial = "SN000001", time = "2026-12-01T00:00:00Z",
    phases = { erase = 0.6, program = 0.43 } })
  L.record(fs, "log", { result = "failed", probe = "066E", error = 'flash: WRPERR at 0x08000000, "sector 0"',
    time = "2026-12-01T00:00:01Z", phases = { erase = 0.1, connect = 0.01 } })
  local n = 0
  for line in fs.files.log:gmatch("[^\n]+") do n = n + 1; assert(json.decode(line)) end
  eq(n, 2)
end)

test("csv_export_quotes_and_has_phase_columns", function()
  local fs = memfs()
  L.record(fs, "log", { result = "passed", probe = "066D", time = "T1", phases = { erase = 0.5, program = 0.25 } })
  L.record(fs, "log", { result = "failed", probe = "066E", time = "T2", error = 'a, "b"', phases = { connect = 0.125 } })
  local csv = L.to_csv(fs.files.log, "log")
  local lines = {}
  for l in csv:gmatch("[^\n]+") do lines[#lines + 1] = l end
  eq(lines[1], "time,result,probe,uid,serial,image_crc32,sectors_written,sectors_skipped,verify,attempt,seconds,error,phase_erase,phase_program,phase_connect")
  eq(lines[2], "T1,passed,066D,,,,,,,,,,0.5,0.25,")
  eq(lines[3], 'T2,failed,066E,,,,,,,,,"a, ""b""",,,0.125')
end)

test("bad_result_and_corrupt_log_are_errors", function()
  local ok = pcall(L.record, memfs(), "log", { result = "ok" })
  eq(ok, false)
  local ok2, err = pcall(L.to_csv, '{"result":"passed"}\n{oops\n', "boards.jsonl")
  eq(ok2, false); assert(err:find("^boards.jsonl:2: json: offset 1"), err)
end)

T.done()
