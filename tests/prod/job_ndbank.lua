-- Test job: a dual-bank switch (nDBANK) without allow_mass_erase: refused.
local cfg = require("prodcfg")
require("luaflash.production").run {
  board = "nucleo_f767zi", image = "../../scripts/demo-fw/demo-f767.bin",
  database = cfg.database, station = cfg.station, serials = cfg.serials, serial_at = cfg.serial_at,
  log = cfg.log,
  option_bytes = { dual_bank = true },
}
