-- A module next to uses_stdlib.lua, found by require through the project's
-- own folder.
return { board = "nucleo_f767zi" }
