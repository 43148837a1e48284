-- A module next to requires.lua (found through the script's folder).
return { answer = 42 }
