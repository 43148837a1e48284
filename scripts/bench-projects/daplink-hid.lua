-- luaflash with its defaults on the NUCLEO-F767ZI through a DAPLink's
-- CMSIS-DAP v1 (HID) interface (benchmark scenario dap-hid; the bench wires
-- the probe: --bench nucleo-f767zi@daplink); the image comes from the
-- command line: image=FILE.bin
board = "nucleo_f767zi"
probe = { kind = "cmsis-dap", transport = "hid" }
