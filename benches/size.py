#!/usr/bin/env python3
"""Where the bytes of the x86_64 release binary go: a table for README's "Size" section.

Builds the release binary twice into target/size/: as shipped (stripped), and unstripped
with a GNU ld map (-Wl,-Map). Every input section the linker kept is attributed by the
map: to musl's libc.a, to the C startup files, or to the Rust object, where the section's
symbol (each function has its own section) is demangled and counted under its initbox
module, or under core/alloc/memchr for library code instantiated for initbox.
Anonymous constants (strings, tables) cannot be split by module and have a row of their
own; what is left of the stripped file's size is ELF headers and alignment padding.
With LTO, a function inlined into another counts where it ended up.

Run:  python3 benches/size.py      (needs cargo, the musl target, binutils' c++filt)
"""
import collections
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = "x86_64-unknown-linux-musl"
OUT = os.path.join(ROOT, "target", "size")


def build(extra_env, target_dir):
    env = dict(os.environ, INITBOX_COMMIT="size", **extra_env)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--target", TARGET,
                    "--target-dir", target_dir], cwd=ROOT, env=env, check=True)
    return os.path.join(target_dir, TARGET, "release", "initbox")


def map_entries(path):
    """(section, address, size, input file) for every input section in the memory map."""
    text = open(path).read()
    lines = text[text.index("Linker script and memory map"):].splitlines()
    full = re.compile(r"^ (\.\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    name_only = re.compile(r"^ (\.\S+)$")
    rest = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    i = 0
    while i < len(lines):
        m = full.match(lines[i])
        if m:
            yield m.group(1), int(m.group(2), 16), int(m.group(3), 16), m.group(4)
        elif name_only.match(lines[i]) and i + 1 < len(lines) and rest.match(lines[i + 1]):
            c = rest.match(lines[i + 1])
            yield lines[i].strip(), int(c.group(1), 16), int(c.group(2), 16), c.group(3)
            i += 1
        i += 1


def main():
    stripped = build({}, os.path.join(OUT, "stripped"))
    map_path = os.path.join(OUT, "initbox.map")
    flags = f"-C target-feature=+crt-static -C link-arg=-Wl,-Map={map_path}"
    build({"CARGO_PROFILE_RELEASE_STRIP": "false", "RUSTFLAGS": flags}, os.path.join(OUT, "mapped"))

    modules = {f[:-3] for d in ("src", "applets") for f in os.listdir(os.path.join(ROOT, d)) if f.endswith(".rs")}
    entries = [e for e in map_entries(map_path) if e[1] and e[2]]
    symbols = [(re.search(r"(_[ZR][A-Za-z0-9_$.]*)$", e[0]) or [None, "-"])[1] for e in entries]
    names = subprocess.run(["c++filt"], input="\n".join(symbols), capture_output=True, text=True).stdout.splitlines()

    rows = collections.Counter()
    for (section, _, size, source), name in zip(entries, names):
        if section.startswith((".debug", ".comment", ".bss", ".tbss", ".note.GNU-stack")):
            continue  # not in the stripped file
        if section.startswith((".eh_frame", ".gcc_except_table")):
            row = "unwind tables (`.eh_frame`, `.eh_frame_hdr`)"
        elif section.startswith((".rela", ".got", ".plt", ".dyn", ".gnu.hash", ".note", ".init", ".fini")):
            row = "ELF: relocations, GOT, dynamic section, notes (static-pie)"
        elif "libc.a" in source:
            row = "musl libc (C): malloc/free, strerror, fork, TLS and startup, syscalls"
        elif "compiler_builtins" in source or re.search(r"crt\w*\.o", source):
            row = "C startup files, compiler builtins"
        elif name != "-":
            m = re.search(r"initbox::(?:applets::)?([a-z_0-9]+)", name)
            if m:
                row = "`%s`" % (m.group(1) if m.group(1) in modules else "main")
            elif re.search(r"\bmemchr\b", name):
                row = "memchr (crate)"
            else:
                row = "core and alloc (library code instantiated for initbox)"
        elif section.startswith(".text.main"):
            row = "`rt`"
        elif section.startswith(".text"):
            row = "core and alloc (library code instantiated for initbox)"
        else:
            row = "constants: help texts, messages, tables (all modules)"
        rows[row] += size
    total = os.path.getsize(stripped)
    rows["ELF headers and alignment padding"] += total - sum(rows.values())
    print("| what | bytes |\n| --- | ---: |")
    for row, size in sorted(rows.items(), key=lambda kv: -kv[1]):
        print(f"| {row} | {size:,} |")
    print(f"| **the stripped binary** | **{total:,}** |")


if __name__ == "__main__":
    sys.exit(main())
