#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""compare-sched.py - the guest's SCHED_WRR figures beside `vmlab sched`'s
simulation of the same workloads.

    python3 kernel/compare-sched.py [build/kernel/results/wrr.json] [VMLAB]

Reads the JSON of `vmlab kernel run wrr --output json` (make kernel-check
writes it to build/kernel/results/wrr.json) and, for each workload, writes
the equivalent `vmlab sched` workload, runs it on 4 CPUs and prints both:

  share   weights 1, 2, 5, 10, 20 spinning on CPU 1: CPU share of each;
  factor  for each weight w, the factoriser (its guest CPU time as `cpu=`)
          beside a spinning weight-10 hog on CPU 1: wall time (turnaround);
  balance 8 weight-10 spinners; the simulator cannot start them pinned to
          CPU 0 and free them later, so its placement spreads them at once:
          compared are the final per-CPU weights.

Exit status 0; this is a report, the checks are the guest test's and
tests/test_sched.c's.  docs/kernel-lab.md says why the figures differ.
"""
import json
import os
import subprocess
import sys
import tempfile


def sched(vmlab, lines, until_ms=None):
    with tempfile.NamedTemporaryFile("w", suffix=".wl", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        cmd = [vmlab, "sched", "--cpus", "4", "--output", "json", path]
        if until_ms:
            cmd[2:2] = ["--until", str(until_ms)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out)
    finally:
        os.unlink(path)


def main():
    res = sys.argv[1] if len(sys.argv) > 1 else "build/kernel/results/wrr.json"
    vmlab = sys.argv[2] if len(sys.argv) > 2 else "build/vmlab"
    with open(res) as f:
        guest = json.load(f)["results"]

    share = guest["share"]
    ws = [t["weight"] for t in share["tasks"]]
    sim = sched(vmlab, [f"w{w} weight={w} affinity=1 daemon=1 spin" for w in ws],
                until_ms=int(share["seconds"] * 1000))
    tot = sum(t["cpu_ms"] for t in sim["tasks"])
    print(f"share on one CPU over {share['seconds']} s")
    print("  weight  guest   sim     weight/sum")
    for g, s in zip(share["tasks"], sim["tasks"]):
        print(f"  {g['weight']:6d}  {g['share']:.4f}  {s['cpu_ms'] / tot:.4f}  {g['expected']:.4f}")

    print("factoriser beside a weight-10 hog on CPU 1: wall time (s)")
    print("  weight  cpu     guest   sim     guest/sim")
    for r in guest["factor"]["runs"]:
        cpu_ms = max(1, round(r["cpu_s"] * 1000))
        sim = sched(vmlab, ["hog weight=10 affinity=1 daemon=1 spin",
                            f"f weight={r['weight']} affinity=1 arrive=5 cpu={cpu_ms}"])
        f = [t for t in sim["tasks"] if t["name"] == "f"][0]
        wall = f["turnaround_ms"] / 1000
        print(f"  {r['weight']:6d}  {r['cpu_s']:.3f}  {r['wall_s']:.3f}   {wall:.3f}   {r['wall_s'] / wall:.2f}")

    bal = guest["balance"]
    sim = sched(vmlab, [f"h{i} weight=10 daemon=1 spin" for i in range(bal["tasks"])],
                until_ms=int(bal["samples"][-1][0] * 1000) + 1)
    final_sim = [c["wrr_weight"][-1][1] for c in sim["cpus"]]
    print(f"balance: {bal['tasks']} weight-10 spinners, final per-CPU weights")
    print(f"  guest {bal['samples'][-1][1:]} (started on CPU 0, settled after {bal['settled_s']:.1f} s,"
          f" {bal['moves']} moves)")
    print(f"  sim   {final_sim} (placed on arrival, {sim['balance_moves']} moves)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
