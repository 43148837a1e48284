return { board = "nucleo_f767zi", image = { "a.hex", { "b.bin", base = 0x08040000 } }, verify = false }
