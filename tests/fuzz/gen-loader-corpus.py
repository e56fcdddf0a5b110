#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the loader fuzzer's seed corpus (tests/fuzz/corpus/loader/).

    tests/fuzz/gen-loader-corpus.py MODULE.so OUTDIR

Every seed is small (at most a few hundred bytes, a page for the
truncated module) and none can run code: the module's own headers,
mutated (truncated, wrong class, byte order, machine, type, header
sizes, segments past the end), a hand-made minimal ELF, and garbage.
fuzz_loader neutralises any ELF for this machine before dlopen anyway
(see its threat model); these seeds give libFuzzer the structure to
start from.
"""
import os
import struct
import sys


def phdr_end(m):
    phoff, = struct.unpack_from("<Q", m, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", m, 0x36)
    return phoff + phentsize * phnum


def put(m, off, fmt, *v):
    m = bytearray(m)
    struct.pack_into(fmt, m, off, *v)
    return bytes(m)


def minimal_elf64(machine=62, etype=3, load_off=0, load_filesz=None):
    """ELF64 header, a PT_LOAD and a PT_DYNAMIC holding DT_NULL only."""
    ehsz, phsz = 64, 56
    dyn_off = ehsz + 2 * phsz
    size = dyn_off + 16
    if load_filesz is None:
        load_filesz = size
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, 0, ehsz, 0, 0,
                      ehsz, phsz, 2, 0, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, load_off, 0, 0, load_filesz,
                       size, 0x1000)
    dyn = struct.pack("<IIQQQQQQ", 2, 6, dyn_off, dyn_off, dyn_off, 16, 16, 8)
    return eh + load + dyn + bytes(16)


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        mod = f.read()
    head = mod[:phdr_end(mod)]
    seeds = {
        # garbage and near-ELF
        "empty": b"",
        "one-byte": b"\x7f",
        "magic-only": b"\x7fELF",
        "ident-only": head[:16],
        "text": b"this is not a shared object\n",
        "script": b"#!/bin/sh\necho hello\n",
        "zeros-64": bytes(64),
        "ff-128": b"\xff" * 128,
        "ar-archive": b"!<arch>\n",
        "pe-stub": b"MZ" + bytes(62),
        # the real module's headers, cut and bent
        "module-ehdr": head[:64],
        "module-ehdr-short": head[:40],
        "module-headers": head,
        "module-first-page": mod[:4096],
        "module-class32": put(head, 4, "B", 1),
        "module-class-none": put(head, 4, "B", 0),
        "module-bigendian": put(head, 5, "B", 2),
        "module-osabi": put(head, 7, "B", 0x61),
        "module-aarch64": put(head, 0x12, "<H", 183),
        "module-i386": put(head, 0x12, "<H", 3),
        "module-exec": put(head, 0x10, "<H", 2),
        "module-rel": put(head, 0x10, "<H", 1),
        "module-core": put(head, 0x10, "<H", 4),
        "module-phentsize0": put(head, 0x36, "<H", 0),
        "module-phentsize-big": put(head, 0x36, "<H", 0xffff),
        "module-phnum-max": put(head, 0x38, "<H", 0xffff),
        "module-phnum0": put(head, 0x38, "<H", 0),
        "module-phoff-huge": put(head, 0x20, "<Q", 0xfffffffffffffff0),
        "module-phoff-past": put(head, 0x20, "<Q", len(head)),
        "module-load-offset-huge": put(head, 64 + 8, "<Q", 1 << 62),
        "module-load-filesz-huge": put(head, 64 + 32, "<Q", 1 << 62),
        # hand-made minimal ELF64 shared objects
        "tiny-dyn": minimal_elf64(),
        "tiny-dyn-aarch64": minimal_elf64(machine=183),
        "tiny-exec": minimal_elf64(etype=2),
        "tiny-load-past-end": minimal_elf64(load_filesz=1 << 20),
        "tiny-load-wraps": minimal_elf64(load_off=0xffffffffffffff00,
                                         load_filesz=0x200),
        # a 32-bit x86 header, truncated
        "elf32-i386-ehdr": b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8) +
        struct.pack("<HHIIIIIHHHHHH", 3, 3, 1, 0, 52, 0, 0, 52, 32, 1, 0,
                    0, 0),
    }
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
