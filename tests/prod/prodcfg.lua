-- Shared by the test jobs: where the production database goes
-- ($LUAFLASH_PROD_DIR, set by ctest / the test scripts), or the database
-- $LUAFLASH_PROD_DB names (a postgresql:// URL: tests/prod/pg_test.sh).
local dir = os.getenv("LUAFLASH_PROD_DIR")
if not dir or dir == "" then error("tests/prod: set LUAFLASH_PROD_DIR to a scratch folder", 0) end
local db = os.getenv("LUAFLASH_PROD_DB")
return {
  dir = dir,
  database = (db and db ~= "") and db or (dir .. "/production.db"),
  station = os.getenv("LUAFLASH_PROD_STATION"),
  serials = { start = 1000, format = "SN%06d" },
  log = true,
  serial_at = 0x08007F00,
  uid_at = 0x08007F20,
}
