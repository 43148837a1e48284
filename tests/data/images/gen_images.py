#!/usr/bin/env python3
"""Writes the small test images used by tests/unit/test_image.c.

All four describe the same bytes: 256 bytes at 0x08000000 (in the ELF: a
200-byte .text plus a 56-byte .data whose load address follows it; .data runs
at 0x20000100, a .bss of 0x100 bytes at 0x20000000 has no file bytes) and 40
bytes at 0x08008000. app.bin holds only the first 256 bytes (a raw binary
cannot express the gap). Byte i of a run is (i * 7 + 3) & 0xFF (first run) or
(i * 5 + 11) & 0xFF (second run). Entry 0x08000101.
Run from this directory: python3 gen_images.py"""
import struct

A = bytes((i * 7 + 3) & 0xFF for i in range(256))
B = bytes((i * 5 + 11) & 0xFF for i in range(40))
ENTRY = 0x08000101


def ihex():
    out = []

    def rec(t, addr, data):
        b = bytes([len(data), addr >> 8, addr & 0xFF, t]) + data
        out.append(":" + b.hex().upper() + "%02X" % ((-sum(b)) & 0xFF))

    rec(4, 0, struct.pack(">H", 0x0800))
    for base, data in ((0x0000, A), (0x8000, B)):
        for i in range(0, len(data), 16):
            rec(0, base + i, data[i:i + 16])
    rec(5, 0, struct.pack(">I", ENTRY))
    rec(1, 0, b"")
    return "\n".join(out) + "\n"


def srec():
    out = []

    def rec(t, addr, alen, data):
        b = bytes([alen + len(data) + 1]) + addr.to_bytes(alen, "big") + data
        out.append("S%d" % t + b.hex().upper() + "%02X" % (~sum(b) & 0xFF))

    rec(0, 0, 2, b"app")
    n = 0
    for base, data in ((0x08000000, A), (0x08008000, B)):
        for i in range(0, len(data), 32):
            rec(3, base + i, 4, data[i:i + 32])
            n += 1
    rec(5, n, 2, b"")
    rec(7, ENTRY, 4, b"")
    return "\r\n".join(out) + "\r\n"


def elf():
    # PT_LOAD: .text (200 B at 0x08000000), .data (56 B, vaddr 0x20000100,
    # paddr 0x080000C8), .bss (filesz 0), second run (40 B at 0x08008000)
    segs = [(0x08000000, 0x08000000, A[:200], 200), (0x20000100, 0x080000C8, A[200:], 56),
            (0x20000000, 0x20000000, b"", 0x100), (0x08008000, 0x08008000, B, 40)]
    phoff = 52
    data_off = phoff + 32 * len(segs)
    blob = b""
    phs = b""
    for vaddr, paddr, data, memsz in segs:
        off = data_off + len(blob) if data else 0
        phs += struct.pack("<8I", 1, off, vaddr, paddr, len(data), memsz, 5, 4)
        blob += data
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    hdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, ENTRY, phoff, 0, 0x05000200, 52, 32,
                              len(segs), 40, 0, 0)
    return hdr + phs + blob


open("app.hex", "w", newline="").write(ihex())
open("app.srec", "w", newline="").write(srec())
open("app.elf", "wb").write(elf())
open("app.bin", "wb").write(A)
