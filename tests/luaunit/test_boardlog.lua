-- Unit tests of lua/luaflash/boardlog.lua.
local T = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/luaunit/harness.lua")
local test, eq = T.test, T.eq
local L = require("luaflash.boardlog")

test("csv_export_quotes_and_has_phase_columns", function()
  local csv = L.csv {
    { result = "passed", probe = "066D", time = "T1", station = "st1", phases = { erase = 0.5, program = 0.25 } },
    { result = "failed", probe = "066E", time = "T2", error = 'a, "b"', phase = "connect",
      phases = { connect = 0.125 } },
  }
  local lines = {}
  for l in csv:gmatch("[^\n]+") do lines[#lines + 1] = l end
  eq(lines[1], "time,station,result,probe,uid,serial,image_crc32,sectors_written,sectors_skipped,verify,seconds," ..
    "phase,error,attempt,phase_erase,phase_program,phase_connect")
  eq(lines[2], "T1,st1,passed,066D,,,,,,,,,,,0.5,0.25,")
  eq(lines[3], 'T2,,failed,066E,,,,,,,,connect,"a, ""b""",,,,0.125')
  eq(#lines, 3)
end)

test("no_records_is_the_header_alone", function()
  eq(L.csv {}, table.concat(L.columns, ",") .. "\n")
end)

T.done()
