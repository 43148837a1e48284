-- Failures in the middle of a job on the NUCLEO-F767ZI bench: a USB timeout
-- and a USB stall mid-stream, power loss mid-erase and mid-program, flash
-- error flags on an erase and on a program. Each must fail with a message
-- that says what and where, never report "verified", and a rerun over a new
-- connection with the same board state (bench state file) must repair the
-- flash byte for byte (smart flash finds the damaged sectors by CRC).
--
-- The fault points are not guessed: a fault-free dry run of the same
-- session records the USB transfer count and the virtual time at the
-- start of the job and when each phase begins (progress callback), and
-- the faults are armed in between.
local H = require("flashtest")

local BASE = 0x08000000
local app = { { base = BASE + 0x10, data = H.bytes(70 * 1024, 77) } } -- sectors 0, 1, 2
local OPTS = { erase = "sector", verify = "crc" }

local state = H.tmp .. "/lf_flashint_fail_" .. tostring(os.time()) .. "_" .. tostring(math.random(1e9)) .. ".state"
local old
do
  local S = H.open { "nucleo-f767zi" }
  H.background(S, { 0, 1, 2, 3 })
  S.F:close()
  H.save(S, state)
  old = H.flash_bytes(S)
  S.close()
end
local want = H.expect((function()
  local S = H.open { "nucleo-f767zi" }
  local gi = S.gi
  S.close()
  return gi
end)(), old, app, false, "sector")

local function usb_count(S)
  local c = S.b:counters().probe
  return c.usb_out_transfers + c.usb_in_transfers
end

-- The timeline of the job in a fault-free session.
local timeline
local function dry_run()
  if timeline then return timeline end
  local copy = state .. ".dry"
  H.copy(state, copy)
  local S = H.open { "nucleo-f767zi", state = copy }
  local tl = { usb0 = usb_count(S), t0 = S.b:time_ns(), phase = {} }
  local o = { progress = function(_, _, phase)
    if not tl.phase[phase] then tl.phase[phase] = { t = S.b:time_ns(), usb = usb_count(S) } end
  end }
  for k, v in pairs(OPTS) do o[k] = v end
  local r = S.F:program(app, o)
  tl.usb1, tl.t1 = usb_count(S), S.b:time_ns()
  assert(H.flash_bytes(S) == want, "dry run: flash")
  assert(r.verified)
  S.close()
  os.remove(copy)
  timeline = tl
  for k, v in pairs(tl.phase) do print(string.format("  dry run: phase %s from %.3f ms (USB transfer %d)", k, v.t / 1e6, v.usb)) end
  print(string.format("  dry run: job %.3f .. %.3f ms, USB transfers %d .. %d", tl.t0 / 1e6, tl.t1 / 1e6, tl.usb0, tl.usb1))
  return tl
end

-- Run the job with faults armed; it must fail; then repair it.
local function scenario(name, faults_of, check)
  H.test(name, function()
    local tl = dry_run()
    local faults = faults_of(tl)
    local copy = state .. ".fault"
    H.copy(state, copy)
    local S = H.open { "nucleo-f767zi", state = copy, faults = faults }
    local result
    local err = H.fails(function() result = S.F:program(app, OPTS) end)
    print("  faults " .. faults .. " -> " .. err)
    H.check(result == nil, "a result after a failure")
    H.check(not err:lower():find("verified"), "the error says verified")
    check(err, S)
    S.close() -- saves the board state (flash as the fault left it)
    -- rerun over a new connection: the flash is repaired byte for byte
    local S2 = H.open { "nucleo-f767zi", state = copy }
    local ok, e2 = pcall(function()
      local r = S2.F:program(app, OPTS)
      H.eq(r.verified, true, "rerun verified")
      local d = H.diff(S2.gi, H.flash_bytes(S2), want, "flash after the rerun")
      if d then error(d, 0) end
    end)
    S2.close()
    os.remove(copy)
    if not ok then error(e2, 0) end
  end)
end

local function mid(a, b) return (a + b) // 2 end

scenario("USB timeout mid-stream", function(tl)
  return string.format("usb_timeout@%d", mid(tl.phase.program.usb, tl.usb1))
end, function(err)
  H.match(err, "last seen at program 0x080", "USB timeout: where")
  H.match(err:lower(), "timeout", "USB timeout message")
end)

scenario("USB stall mid-stream", function(tl)
  return string.format("usb_stall@%d", mid(tl.usb0, tl.phase.program.usb))
end, function(err)
  H.match(err, "last seen at erase sector", "USB stall: where")
  H.match(err:lower(), "stall", "USB stall message")
end)

scenario("power loss mid-erase", function(tl)
  return string.format("power_loss@%dns", mid(tl.phase.done.t, tl.phase.program.t))
end, function(err, S)
  H.match(err, "last seen at erase sector %d", "power loss names the operation")
  local now = H.flash_bytes(S)
  H.check(now ~= old and now ~= want, "power lost mid-erase: the flash is neither old nor new")
end)

scenario("power loss mid-program", function(tl)
  return string.format("power_loss@%dns", mid(tl.phase.program.t, tl.t1))
end, function(err, S)
  H.match(err, "last seen at program 0x080", "power loss names the operation")
  H.check(H.flash_bytes(S) ~= want, "power lost after the flash was already right")
end)

scenario("flash error flags on an erase (ERSERR)", function()
  return "flash_error@2:0x80"
end, function(err)
  H.match(err, "erase sector 1 %(0x08008000", "erase error names the sector")
  H.match(err, "ERSERR", "erase error names the flag")
end)

scenario("flash error flags on a program (PGPERR)", function()
  return "flash_error@500:0x40"
end, function(err)
  H.match(err, "program 0x080", "program error names the address")
  H.match(err, "sector %d", "program error names the sector")
  H.match(err, "PGPERR", "program error names the flag")
end)

H.run("flash_failures")
os.remove(state)
