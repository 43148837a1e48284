-- Test job: as job_plain, then write-protect sector 0 (nWRP bit 0).
local cfg = require("prodcfg")
require("luaflash.production").run {
  board = "nucleo_f767zi", image = "../../scripts/demo-fw/demo-f767.bin",
  database = cfg.database, station = cfg.station, serials = cfg.serials, serial_at = cfg.serial_at,
  log = cfg.log,
  option_bytes = { write_protected = { 0 } },
}
