-- Test job: as job_plain, then RDP level 1 (written after verify, read back).
local cfg = require("prodcfg")
require("luaflash.production").run {
  board = "nucleo_f767zi", image = "../../scripts/demo-fw/demo-f767.bin",
  database = cfg.database, station = cfg.station, serials = cfg.serials, serial_at = cfg.serial_at,
  log = cfg.log,
  unique = function(b) return { { addr = cfg.uid_at, data = b.uid, name = "chip UID copy" } } end,
  option_bytes = { rdp = 1 },
}
