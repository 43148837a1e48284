-- luaflash.usage_error: exit 2, no traceback.
require("luaflash").usage_error("unknown key 'clokc' (did you mean 'clock'?)")
