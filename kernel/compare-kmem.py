#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""compare-kmem.py - the guest's /proc/slabinfo row of the slab test beside
`vmlab kmem`'s simulation of the same cache and steps.

    python3 kernel/compare-kmem.py [build/kernel/results/slab.json] [VMLAB]

The guest test (kernel/tests/slab.sh) creates vmlab_task, a cache of
task_struct's size with a constructor, and after every alloc/free step the
module shrinks the cache.  This replays the steps as a `vmlab kmem --cpus 4`
scenario (cache NAME SIZE ctor; alloc/free; shrink; report slabinfo) and
prints both rows; exit 1 if any of objsize, objperslab, pagesperslab,
active_objs, num_objs or num_slabs differ.
"""
import json
import subprocess
import sys


def main():
    res = sys.argv[1] if len(sys.argv) > 1 else "build/kernel/results/slab.json"
    vmlab = sys.argv[2] if len(sys.argv) > 2 else "build/vmlab"
    with open(res) as f:
        guest = json.load(f)
    size = guest["task_struct_size"]
    lines = [f"cache vmlab_task {size} ctor"]
    for st in guest["steps"]:
        lines += [st["step"].replace("alloc", "alloc vmlab_task", 1).replace("free", "free vmlab_task", 1),
                  "shrink vmlab_task", "report slabinfo"]
    out = subprocess.run([vmlab, "kmem", "--cpus", "4", "-"], input="\n".join(lines) + "\n",
                         check=True, capture_output=True, text=True).stdout
    rows = [l.split() for l in out.splitlines() if l.startswith("vmlab_task ")]
    bad = 0
    print(f"vmlab_task, object size {size}: guest objsize {guest['objsize']} "
          f"objperslab {guest['objperslab']} pagesperslab {guest['pagesperslab']}")
    print("  step        guest active/num/slabs   vmlab kmem active/num/slabs")
    for st, r in zip(guest["steps"], rows):
        sim = (int(r[1]), int(r[2]), int(r[14]))
        g = (st["active_objs"], st["num_objs"], st["num_slabs"])
        shape = (int(r[3]), int(r[4]), int(r[5])) == (guest["objsize"], guest["objperslab"], guest["pagesperslab"])
        same = sim == g and shape
        bad += not same
        print(f"  {st['step']:<11} {g[0]:6d} {g[1]:6d} {g[2]:5d}        {sim[0]:6d} {sim[1]:6d} {sim[2]:5d}"
              f"   {'same' if same else 'DIFFERENT'}")
    if len(rows) != len(guest["steps"]):
        print(f"vmlab kmem printed {len(rows)} rows for {len(guest['steps'])} steps")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
