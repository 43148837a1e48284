-- Schema of `luaflash PROJECT.lua --json` (one JSON object on stdout), as a
-- Lua table checked by tests/lua/check_json.lua. Kinds: object (required
-- keys, properties, extra = whether other keys are allowed), array (items),
-- string (enum), number (min), integer (min), boolean (const). one_of: the
-- value matches exactly one of the listed schemas.
local num0 = { type = "number", min = 0 }
local int0 = { type = "integer", min = 0 }
local str = { type = "string" }

local usb = { type = "object", required = { "transfers", "out_bytes", "in_bytes", "swd_transactions" },
  properties = { transfers = int0, out_bytes = int0, in_bytes = int0, swd_transactions = int0 } }

local timeline = { type = "array", items = { type = "object",
  required = { "name", "depth", "host_s", "start_host_s" },
  properties = {
    name = str, depth = int0, host_s = num0, start_host_s = num0, bench_s = num0, start_bench_s = num0,
    bytes = int0, failed = { type = "boolean", const = true }, usb = usb,
    target = { type = "array", items = { type = "object", required = { "name", "seconds" },
      properties = { name = { type = "string", enum = { "start", "read", "crc32", "erase", "mass erase",
        "program", "readback" } }, seconds = num0, bytes = int0 } } },
  } } }

local phase = { type = "object", required = { "name" }, properties = {
  name = { type = "string", enum = { "connect", "erase", "program", "verify", "reset", "disconnect" } },
  seconds = num0, skipped = { type = "boolean" }, by = str, streamed = { type = "boolean" }, sectors = int0 } }

local success = { type = "object",
  required = { "ok", "phases", "plan", "probe", "target", "settings", "verified", "total_s", "clock",
    "clock_hz", "timeline" },
  properties = {
    ok = { type = "boolean", const = true },
    verified = { type = "boolean" },
    verified_sectors = int0,
    total_s = num0, stream_s = num0, smart_crc_s = num0, keep_read_s = num0,
    clock = { type = "string", enum = { "bench virtual time", "host monotonic time" } },
    clock_hz = { type = "integer", min = 1000 },
    clock_requested = { type = "boolean", const = true }, -- clock_hz is the request (CMSIS-DAP)
    phases = { type = "array", items = phase },
    plan = { type = "object", required = { "erase", "erased", "programmed", "unchanged", "image_bytes", "floor_s" },
      properties = { erase = { type = "string", enum = { "sector", "chip" } }, erased = int0, programmed = int0,
        unchanged = int0, untouched = int0, image_bytes = int0, program_bytes = int0, floor_s = num0,
        verify_bytes = int0, read_bytes = int0, crc_bytes = int0, protect_bytes = int0, auto_note = str,
        smart_note = str } },
    protected = { type = "array", items = { type = "object", required = { "name", "addr", "len", "status" },
      properties = { name = str, addr = int0, len = { type = "integer", min = 1 }, crc = int0,
        status = { type = "string", enum = { "unchanged", "restored", "allowed" } }, written_back = int0,
        from = str } } },
    probe = { type = "object", required = { "kind", "serial", "product", "firmware", "vid", "pid", "location" },
      properties = { kind = { type = "string", enum = { "stlink", "cmsis-dap" } }, serial = str, product = str,
        firmware = str, vid = int0, pid = int0, location = str, detail = str } },
    target = { type = "object", required = { "chip", "core", "idcode", "dpidr", "flash" },
      properties = { chip = str, core = str, idcode = int0, dpidr = int0, flash = str } },
    settings = { type = "object", required = { "clock", "erase", "verify", "smart_flash", "keep_unwritten",
      "disconnect_timeout", "reset" }, properties = { clock = { type = "integer", min = 1000 },
      erase = { type = "string", enum = { "sector", "chip", "auto", "fastest" } } } },
    timeline = timeline,
  } }

local failure = { type = "object", required = { "ok", "error", "stage", "timeline" }, extra = false,
  properties = {
    ok = { type = "boolean", const = false },
    error = str,
    stage = { type = "string", enum = { "input", "target" } },
    phase = { type = "string", enum = { "connect", "plan", "erase", "program", "verify", "reset", "disconnect" } },
    timeline = timeline,
  } }

return { one_of = { success, failure }, success = success, failure = failure }
