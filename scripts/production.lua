-- A production line in one file: flash every attached board at once, give
-- each a serial number from the production database (written into flash in
-- the same pass as the firmware), lock it with RDP level 1, and record every
-- board.
--
--   luaflash scripts/production.lua                 every attached probe
--   luaflash --bench nucleo-f767zi,nucleo-f767zi,nucleo-f767zi,nucleo-f767zi scripts/production.lua
--   luaflash scripts/production.lua --csv           the board records as CSV
--   luaflash report production-out/production.db    yield, failures, times
--   luaflash scripts/production.lua clock=1.8MHz    any setting as key=value
--
-- The database (SQLite) goes to $LUAFLASH_PROD_DIR, else to production-out/
-- next to this script; a line of stations shares a PostgreSQL database
-- instead: database = "postgresql://user@server/production".
local prod = require("luaflash.production")

local out = os.getenv("LUAFLASH_PROD_DIR") or "production-out"
os.execute('mkdir -p "' .. out:gsub('"', '\\"') .. '"')

prod.run {
  board = "nucleo_f767zi",
  image = "demo-fw/demo-f767.bin",          -- relative to this file
  probes = "all",                           -- one thread per probe (or --all-probes)

  -- Serial numbers and board records: one database (SQLite here).
  database = out .. "/production.db",
  -- Serial numbers: reserved in a committed transaction before a board is
  -- flashed; never handed out twice, also across a kill -9.
  serials = { start = 1000, format = "SN%06d" },
  -- The serial's text (NUL-terminated) at the end of sector 0: programmed
  -- and verified with the image, no second erase.
  serial_at = 0x08007F00,
  -- More per-board data: the chip's 96-bit unique ID and a MAC address
  -- derived from the serial number, next to it.
  unique = function(b)
    local mac = string.char(0x02, 0x80, 0xE1, (b.serial >> 16) & 0xFF, (b.serial >> 8) & 0xFF, b.serial & 0xFF)
    return {
      { addr = 0x08007F20, data = b.uid, name = "chip UID copy" },
      { addr = 0x08007F30, data = mac, name = "MAC address" },
    }
  end,

  -- Read protection level 1 after verify (read back after a reset). Going
  -- back to 0 erases the chip: that would need allow_mass_erase = true.
  option_bytes = { rdp = 1 },

  log = true,                               -- every board attempt recorded in the database
}
