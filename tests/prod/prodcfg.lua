-- Shared by the test jobs: where the counter, ledger and board log go
-- ($LUAFLASH_PROD_DIR, set by ctest / the test scripts).
local dir = os.getenv("LUAFLASH_PROD_DIR")
if not dir or dir == "" then error("tests/prod: set LUAFLASH_PROD_DIR to a scratch folder", 0) end
return {
  dir = dir,
  serials = { counter = dir .. "/serial.counter", ledger = dir .. "/serials.jsonl", start = 1000,
              format = "SN%06d" },
  log = dir .. "/boards.jsonl",
  serial_at = 0x08007F00,
  uid_at = 0x08007F20,
}
