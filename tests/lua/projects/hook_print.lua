-- A project whose hook prints: with --json that text goes to stderr, so
-- stdout holds the JSON result alone.
board = "nucleo_f767zi"
image = "app.bin"
function did_connect(ctx) print("hello from a hook", 42) end
