#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""compare-mm.py - the guest's page-table walks (ptdump.ko) beside
`vmlab mm`'s model of the same mapping.

    python3 kernel/compare-mm.py [build/kernel/results/ptdump.json] [VMLAB]

The ptdump test runs `hello walk`, which maps 16 KiB private anonymous
read-write at 0x7f0000000000, writes page 1 and reads page 2 (the zero
page), and walks pages 0, 1, 2 and 0x100000000000 (nothing mapped) with
ptdump.ko; its JSON has each walk's lines ("walks").  This runs the same
thing as a `vmlab mm` scenario (spawn; mmap fixed; touch w; touch r; walk)
and compares, address by address, what both can know:

  levels   pgd, pud, pmd, pte (the guest's p4d is folded into the pgd with
           4-level paging: it is checked to repeat the pgd entry and is not
           compared, the model has no such level);
  index    per level: the 9-bit field of the address;
  flags    per entry: P RW US PWT PCD A D PS G NX (x86-64's hardware bits;
           software bits such as _PAGE_SPECIAL are not printed by either);
  stop     the level where the walk ends on an empty entry (the guest's
           "stop p4d" is the pgd's when the p4d is folded: pgd_none() is
           always false then, p4d_none() looks at the same entry).

Frame numbers are not compared: the model's page tables and pages come from
its own buddy allocator (frames 4096 and up), the guest's from the real one.
Exit status 1 when anything compared differs.
"""
import json
import subprocess
import sys

ORDER = ("P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G", "NX")
FLAGS = frozenset(ORDER)
BASE = 0x7f0000000000
LEVELS = ("pgd", "pud", "pmd", "pte")

SCENARIO = f"""# compare-mm.py: what `hello walk` does in the guest
spawn
a = mmap {BASE:#x} 16K rw- anon,private,fixed
touch w a+4K
touch r a+8K
"""


def guest_walk(lines):
    """[(level, index, flags)] and the stop level (None: reached a page)."""
    out, stop, p4d, pgd = [], None, None, None
    for l in lines:
        f = l.split()
        if f[0] in ("pgd", "p4d", "pud", "pmd", "pte") and f[1] == "idx":
            ent = (f[0], int(f[2]), frozenset(x for x in f[7:] if x in FLAGS))
            if f[0] == "p4d":
                p4d = (f[4], "(folded)" in l)
                continue
            if f[0] == "pgd":
                pgd = f[4]
            if int(f[4], 16) == 0:
                ent = (f[0], int(f[2]), frozenset())
            out.append(ent)
        elif f[0] == "stop":
            stop = f[1]
    if p4d is not None and not (p4d[1] and p4d[0] == pgd):
        raise ValueError("guest p4d is not the folded pgd entry")
    # Folded, the p4d is the pgd entry: pgd_none() is constant 0 with 4-level
    # paging (asm-generic/pgtable-nop4d.h), so an empty PGD entry is found by
    # p4d_none() and the walk says "stop p4d none".  It is the PGD's stop.
    if stop == "p4d" and p4d is not None and p4d[1]:
        stop = "pgd"
    return out, stop


# x86-64's entry bits (Intel SDM vol. 3A, 4.5: tables 4-14 to 4-19), the
# names ptdump.ko prints for them.
BITS = (("P", 0), ("RW", 1), ("US", 2), ("PWT", 3), ("PCD", 4), ("A", 5), ("D", 6),
        ("PS", 7), ("G", 8), ("NX", 63))


def entry_flags(entry):
    """The hardware flags set in a raw page-table entry."""
    return frozenset(name for name, bit in BITS if entry >> bit & 1)


def model_walks(vmlab, vas):
    """{va: ([(level, index, flags)], stop level or None)} from `vmlab mm
    --output json`: each walk's raw entries, their flags read from the bits
    (not from the text's decoding), the walk stopping at an empty entry."""
    text = SCENARIO + "".join(f"walk {va:#x}\n" for va in vas)
    out = subprocess.run([vmlab, "mm", "--output", "json", "-"], input=text, check=True,
                         capture_output=True, text=True).stdout
    walks = {}
    for op in json.loads(out)["ops"]:
        w = op.get("walk")
        if not w:
            continue
        ents, stop = [], None
        for lv in w["levels"]:
            entry = int(lv["entry"], 16)
            ents.append((lv["level"].lower(), lv["index"], entry_flags(entry)))
            if entry == 0:
                stop = lv["level"].lower()
        walks[int(w["addr"], 16)] = (ents, stop)
    return walks


def fmt(e):
    return f"{e[0]}[{e[1]}] {' '.join(x for x in ORDER if x in e[2]) or '-'}"


def main():
    res = sys.argv[1] if len(sys.argv) > 1 else "build/kernel/results/ptdump.json"
    vmlab = sys.argv[2] if len(sys.argv) > 2 else "build/vmlab"
    with open(res) as f:
        guest = json.load(f)
    if "walks" not in guest:
        print("compare-mm: no walks in the guest's JSON (an older ptdump test?)")
        return 1
    vas = [int(w["va"], 16) for w in guest["walks"]]
    model = model_walks(vmlab, vas)
    bad = 0
    print("page-table walks: guest ptdump.ko against vmlab mm (levels, index, flags, stop)")
    for w, va in zip(guest["walks"], vas):
        g, gstop = guest_walk(w["lines"])
        m, mstop = model.get(va, ([], "missing"))
        same = g == m and gstop == mstop
        bad += not same
        print(f"  {va:#x}: {'same' if same else 'DIFFERENT'}; stop guest {gstop or 'page'}, model {mstop or 'page'}")
        for i in range(max(len(g), len(m))):
            ge = fmt(g[i]) if i < len(g) else "-"
            me = fmt(m[i]) if i < len(m) else "-"
            print(f"    {ge:32s} {me:32s} {'' if ge == me else '<- differs'}")
    print(f"compare-mm: {len(vas) - bad} of {len(vas)} walks agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
