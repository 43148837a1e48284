-- a project that asks for a CMSIS-DAP probe (the bench has ST-Links only)
board = "nucleo_f767zi"
image = "app.bin"
probe = { kind = "cmsis-dap" }
