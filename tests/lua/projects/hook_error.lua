-- a hook that fails after the connect: the error names this file and line,
-- with a traceback; the target is reset, the probe closed, exit status 1
board = "nucleo_f767zi"
image = "app.bin"

local function check_voltage(ctx)
  error("supply too low for programming")
end

function did_connect(ctx)
  check_voltage(ctx)
end

function on_error(ctx, err)
  io.stderr:write("on_error called: " .. tostring(err):match("^[^\n]*") .. "\n")
end
