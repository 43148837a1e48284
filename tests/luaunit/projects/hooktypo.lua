function will_conect(ctx) end
