-- CMSIS-Pack flash algorithms on the bench, end to end through the flash API
-- (tests/flash/flashtest.lua's oracle checks every byte of the flash with
-- bench:peek): luaflash's own FLMs from the test pack (tests/data/flm, built
-- from source), streamed and classic; pyOCD 0.13.1's built-in STM32F439
-- algorithm read from the installed package at test time
-- (scripts/pyocd-flm); plan features (keep_unwritten, chip erase, smart
-- flash, protected regions) over an algorithm; bad inputs refused before
-- any write.
local lf = require("luaflash")
local flash = require("luaflash.flash")
local H = dofile((os.getenv("LF_SOURCE_DIR") or ".") .. "/tests/flash/flashtest.lua")

local SRC = os.getenv("LF_SOURCE_DIR") or "."
local PACK = SRC .. "/tests/data/flm/Luaflash.BenchParts_DFP.1.0.0.pack"
local FLM = SRC .. "/tests/data/flm/"

-- A bench session whose flash object runs the algorithm.
local function open(board, part)
  local S = H.open(board)
  S.F:close()
  local g, info = lf.flm_part(part)
  S.info = info
  S.F = flash.new(S.t, { geometry = g })
  S.g, S.gi = g, g:info()
  return S
end

H.test("pack_f767_streamed_programs_byte_exact_then_skips_unchanged", function()
  local S = open("nucleo-f767zi", { pack = PACK, chip = "STM32F767ZI", part = "STM32F767ZI" })
  H.eq(S.info.mode, "streamed", "mode")
  H.eq(S.gi.page_size or 1024, 1024, "page")
  local img = H.bytes(66560, 7)
  local r = H.job(S, { { data = img, base = 0x08000000 } }, { erase = "sector" })
  H.eq(r.plan.programmed, 3, "programmed")
  H.eq(r.verified_sectors, 3, "verified")
  r = H.job(S, { { data = img, base = 0x08000000 } }, { erase = "sector" })
  H.eq(r.plan.unchanged, 3, "smart flash: unchanged")
  S.close()
end)

H.test("pack_f767_keep_unwritten_and_chip_erase", function()
  local S = open("nucleo-f767zi", { pack = PACK, chip = "stm32f767zi", part = "STM32F767ZI" })
  H.background(S, { 0, 1, 5 })
  -- 3 bytes mid-sector, the rest of the sector kept: whole pages around them
  H.job(S, { { data = "\1\2\3", base = 0x08008101 } }, { erase = "sector", keep_unwritten = true })
  H.job(S, { { data = H.bytes(5000, 9), base = 0x08000000 } }, { erase = "chip" })
  S.close()
end)

H.test("protected_region_survives_an_algorithm", function()
  local S = open("nucleo-f767zi", { flm = FLM .. "lf_stm32f76x_2048.FLM", part = "STM32F767ZI" })
  H.job(S, { { data = H.bytes(300, 3), base = 0x08010000 } }, { erase = "sector" })
  local before = S.b:peek(0x08010000, 300)
  local r = S.F:program({ { data = H.bytes(40000, 4), base = 0x08000000 } },
    { erase = "sector", protect = { { 0x08010000, 300, "cal" } }, protect_store = H.tmp .. "/lf-flm-protect" })
  S.F:close()
  H.eq(S.b:peek(0x08010000, 300), before, "protected bytes")
  H.eq(r.verified, true, "verified")
  S.close()
end)

H.test("classic_mode_programs_byte_exact", function()
  local S = open("nucleo-f767zi", { flm = FLM .. "lf_stm32f76x_2048.FLM", part = "STM32F767ZI", mode = "classic" })
  H.eq(S.info.mode, "classic", "mode")
  H.job(S, { { data = H.bytes(70000, 11), base = 0x08000000 } }, { erase = "sector", keep_unwritten = true })
  S.close()
end)

H.test("f429_pack_variant_both_banks", function()
  local S = open("nucleo-f429zi", { pack = PACK, chip = "STM32F429ZITx", part = "STM32F429ZI" })
  H.job(S, { { data = H.bytes(20000, 5), base = 0x08000000 }, { data = H.bytes(3000, 6), base = 0x08104000 } },
    { erase = "sector" })
  S.close()
end)

-- pyOCD's own algorithm, from the installed package, never from our tree
local function pyocd_flm()
  local out = H.tmp .. "/lf-test-pyocd-f439.FLM"
  local ok = os.execute(string.format("'%s/scripts/pyocd-flm' STM32F439xx STM32F439xI '%s'", SRC, out))
  if not ok then error("scripts/pyocd-flm failed: is python3-pyocd 0.13.1 installed (scripts/setup)?", 0) end
  return out
end

for _, mode in ipairs({ "streamed", "classic" }) do
  H.test("pyocd_f439_algorithm_" .. mode .. "_programs_byte_exact", function()
    local S = open("nucleo-f429zi", { flm = pyocd_flm(), part = "STM32F429ZI", mode = mode })
    H.eq(S.info.mode, mode, "mode")
    H.match(S.info.algorithm_device, "pyOCD", "the algorithm's device name")
    H.job(S, { { data = H.bytes(66560, 12), base = 0x08000000 }, { data = H.bytes(2048, 13), base = 0x08120000 } },
      { erase = "sector" })
    S.close()
  end)
end

H.test("bad_inputs_are_refused_naming_what", function()
  H.match(H.fails(function() lf.flm_part { pack = PACK, chip = "STM32F746NG" } end), "no device 'STM32F746NG'", "no device 'STM32F746NG'")
  H.match(H.fails(function() lf.flm_part { pack = PACK, chip = "STM32F429ZI" } end), "has variants", "has variants")
  H.match(H.fails(function() lf.flm_part { pack = FLM .. "lf_bad_error.FLM", chip = "x" } end), "not a readable pack", "not a readable pack")
  H.match(H.fails(function() lf.flm_part { flm = PACK, part = "STM32F767ZI" } end), "not an FLM", "not an FLM")
  H.match(H.fails(function() lf.flm_part { flm = FLM .. "nope.FLM", part = "STM32F767ZI" } end), "no such FLM", "no such FLM")
  H.match(H.fails(function() lf.flm_part { flm = FLM .. "lf_stm32f76x_2048.FLM" } end), "no RAM", "no RAM")
end)

H.test("failing_algorithm_stops_the_job_naming_function_and_page", function()
  local S = open("nucleo-f767zi", { flm = FLM .. "lf_bad_error.FLM", part = "STM32F767ZI" })
  local ok, err = pcall(S.F.program, S.F, { { data = H.bytes(66560, 1), base = 0x08000000 } }, { erase = "sector" })
  H.eq(ok, false, "failed")
  H.match(tostring(err), "lf_bad_error%.FLM", "file")
  H.match(tostring(err), "ProgramPage returned 1", "function")
  H.match(tostring(err), "0x08008000", "page")
  S.close()
end)

H.run("flm")
