-- Test job: image + serial number at a fixed address + board log (no options).
local cfg = require("prodcfg")
require("luaflash.production").run {
  board = "nucleo_f767zi", image = "../../scripts/demo-fw/demo-f767.bin",
  database = cfg.database, station = cfg.station, serials = cfg.serials, serial_at = cfg.serial_at,
  log = cfg.log,
  unique = function(b) return { { addr = cfg.uid_at, data = b.uid, name = "chip UID copy" } } end,
}
