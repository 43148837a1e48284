-- Does not compile: exit 2 (input error).
local x = = 1
