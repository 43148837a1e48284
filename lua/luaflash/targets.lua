-- Target names -> what luaflash needs to know before it connects: the DEV_ID
-- (DBGMCU_IDCODE[11:0]) and the nominal flash size, so images are parsed and
-- range-checked before the probe is even opened. After connect, the
-- geometry is rebuilt from what the chip reports (flash size register, bank
-- mode option bit) and the images are checked again before any write.
-- Flash layouts and timings themselves are the C family table
-- (src/flash/family.c), one source for the plan, the loader and Lua.
-- Facts: stm32f7-target.md §1, §12; stm32f4-target.md §1, §12.

local M = {}

M.list = {
  -- STM32F76x/F77x (DEV_ID 0x451)
  stm32f765zi = { dev_id = 0x451, flash_kib = 2048, family = "stm32f7" },
  stm32f767zi = { dev_id = 0x451, flash_kib = 2048, family = "stm32f7" },
  stm32f769ni = { dev_id = 0x451, flash_kib = 2048, family = "stm32f7" },
  stm32f777zi = { dev_id = 0x451, flash_kib = 2048, family = "stm32f7" },
  stm32f779ni = { dev_id = 0x451, flash_kib = 2048, family = "stm32f7" },
  stm32f767zg = { dev_id = 0x451, flash_kib = 1024, family = "stm32f7" },
  -- STM32F74x/F75x (DEV_ID 0x449)
  stm32f746zg = { dev_id = 0x449, flash_kib = 1024, family = "stm32f7" },
  stm32f756zg = { dev_id = 0x449, flash_kib = 1024, family = "stm32f7" },
  stm32f746ng = { dev_id = 0x449, flash_kib = 1024, family = "stm32f7" },
  -- STM32F72x/F73x (DEV_ID 0x452)
  stm32f722ze = { dev_id = 0x452, flash_kib = 512, family = "stm32f7" },
  stm32f723ie = { dev_id = 0x452, flash_kib = 512, family = "stm32f7" },
  stm32f732ze = { dev_id = 0x452, flash_kib = 64, family = "stm32f7" },
  -- STM32F42x/F43x (DEV_ID 0x419)
  stm32f429zi = { dev_id = 0x419, flash_kib = 2048, family = "stm32f4" },
  stm32f439zi = { dev_id = 0x419, flash_kib = 2048, family = "stm32f4" },
  stm32f427vg = { dev_id = 0x419, flash_kib = 1024, family = "stm32f4" },
  -- STM32F40x/F41x (DEV_ID 0x413)
  stm32f407vg = { dev_id = 0x413, flash_kib = 1024, family = "stm32f4" },
  stm32f405rg = { dev_id = 0x413, flash_kib = 1024, family = "stm32f4" },
  stm32f417ig = { dev_id = 0x413, flash_kib = 1024, family = "stm32f4" },
}

-- Target families: the settings layer between the built-in defaults and the
-- board (merge order: defaults < family < board < project < command line).
-- A family sets what holds for every chip of it; today the defaults already
-- fit both, so the layers are empty but real: `--settings` would name them
-- as the origin of anything they set.
M.families = {
  stm32f7 = { name = "STM32F7", settings = {} },
  stm32f4 = { name = "STM32F4", settings = {} },
}

-- The settings layer of the family of target `name`, or nil.
function M.family_layer(name)
  local t = M.list[name and name:lower() or ""]
  local f = t and M.families[t.family]
  if not f then return nil end
  return { name = "target family " .. f.name, values = f.settings }
end

function M.names()
  local t = {}
  for k in pairs(M.list) do t[#t + 1] = k end
  table.sort(t)
  return t
end

function M.get(name)
  local t = M.list[name and name:lower() or ""]
  if t then return t end
  local s = require("luaflash.settings")
  local hint = name and s.suggest(name:lower(), M.names())
  return nil, "unknown target '" .. tostring(name) .. "'" .. (hint and (" (did you mean '" .. hint .. "'?)") or "") ..
    "; known: " .. table.concat(M.names(), ", ")
end

return M
