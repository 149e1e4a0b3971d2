#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""compare-sched.py - the guest's SCHED_WRR figures beside `vmlab sched`'s
simulation of the same workloads, as a report, CSV and a picture.

    python3 kernel/compare-sched.py [build/kernel/results/wrr.json] [VMLAB] [--out DIR]

Reads the JSON of `vmlab kernel run wrr --output json` (make kernel-check
writes it to build/kernel/results/wrr.json) and, for each workload, writes
the equivalent `vmlab sched` workload (same tasks, weights, affinity, 4
CPUs), runs it and prints both:

  share   weights 1, 2, 5, 10, 20 spinning on CPU 1: CPU share of each;
  factor  for each weight w, the factoriser (its guest CPU time as `cpu=`)
          beside a spinning weight-10 hog on CPU 1: wall time (turnaround);
  balance 8 weight-10 spinners pinned to CPU 0, freed after 0.5 s (in the
          simulator with `at 500ms hN affinity=0-3`): per-CPU weights over
          time, the settling time and the number of moves.

With --out DIR it also writes (default: the directory of the JSON):
  wrr-samples.csv  source,t_s,cpu0..cpu3: per-CPU total WRR weight over time,
                   the guest's balance samples (every 250 ms) and the
                   simulator's for the same workload;
  wrr-tasks.csv    workload,task,weight,guest_cpu_ms,sim_cpu_ms,guest_share,
                   sim_share,expected_share,guest_wall_s,sim_wall_s: every
                   task's CPU time and weight (share, factor, balance);
  wrr.gp, wrr.png  a gnuplot script over those two files and its picture
                   (weight per CPU over time; share against weight).

The check: every share of the guest within 25% (or 0.02 absolute) of the
simulator's share for the same weight, the tolerance the guest test holds
its shares to against weight/sum; both end the balance workload with
per-CPU totals differing by at most one task's weight, and settle within
3 s of each other (one balancing period, whose phase in the guest is
arbitrary, plus a sample and TCG's delays).  Exit status 1 when
a check fails.  docs/kernel-lab.md says why the figures differ.
"""
import json
import os
import shutil
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


SHARE_REL, SHARE_ABS = 0.25, 0.02
# The guest's balancing period has its own phase (it started at boot); the
# simulator's periods fall at 2, 4, ... s from its start: settling times
# may differ by one period, plus a 250 ms sample and TCG's delays (a
# virtual CPU the host preempts wins the next period late), 0.75 s.
BAL_SLACK = 3.0


def share_close(guest, sim):
    return abs(guest - sim) <= max(SHARE_ABS, SHARE_REL * sim)


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join("" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))
                             for v in r) + "\n")


GNUPLOT = """# wrr.gp - written by kernel/compare-sched.py: gnuplot wrr.gp
set terminal pngcairo size 900,360 font ",9"
set output "wrr.png"
set datafile separator ","
set multiplot layout 1,2
set title "balance: 8 weight-10 hogs freed from CPU 0 at t = 0"
set xlabel "time (s)"
set ylabel "total WRR weight"
set key top right
set yrange [-2:*]
plot for [c=0:3] "< grep ^guest wrr-samples.csv" using 2:(column(3+c)) with steps lw 2 title sprintf("guest cpu%d", c), \\
     for [c=0:3] "< grep ^sim wrr-samples.csv" using 2:(column(3+c)) with steps dt 2 lc c+1 title sprintf("sim cpu%d", c)
set title "share of one CPU against weight (5 tasks on CPU 1)"
set xlabel "weight"
set ylabel "share"
set key top left
set yrange [0:*]
set logscale x
set xrange [0.8:25]
plot "< grep ^share wrr-tasks.csv" using 3:6 with linespoints pt 7 title "guest", \\
     "" using 3:7 with linespoints pt 6 dt 2 title "vmlab sched", \\
     "" using 3:8 with lines lc rgb "gray" title "weight/sum"
unset multiplot
"""


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--out")]
    out_dir = None
    for i, a in enumerate(sys.argv[1:]):
        if a == "--out" and i + 2 < len(sys.argv):
            out_dir = sys.argv[i + 2]
            args.remove(out_dir)
        elif a.startswith("--out="):
            out_dir = a[len("--out="):]
    res = args[0] if len(args) > 0 else "build/kernel/results/wrr.json"
    vmlab = args[1] if len(args) > 1 else "build/vmlab"
    if out_dir is None:
        out_dir = os.path.dirname(os.path.abspath(res))
    with open(res) as f:
        guest = json.load(f)["results"]
    tasks_rows, sample_rows, bad = [], [], []

    share = guest["share"]
    ws = [t["weight"] for t in share["tasks"]]
    sim = sched(vmlab, [f"w{w} weight={w} affinity=1 daemon=1 spin" for w in ws],
                until_ms=int(share["seconds"] * 1000))
    tot = sum(t["cpu_ms"] for t in sim["tasks"])
    print(f"share on one CPU over {share['seconds']} s "
          f"(check: guest within {SHARE_REL:.0%} or {SHARE_ABS} of the simulator)")
    print("  weight  guest   sim     weight/sum  guest-sim")
    for g, s in zip(share["tasks"], sim["tasks"]):
        ss = s["cpu_ms"] / tot
        ok = share_close(g["share"], ss)
        if not ok:
            bad.append(f"share of weight {g['weight']}")
        print(f"  {g['weight']:6d}  {g['share']:.4f}  {ss:.4f}  {g['expected']:.4f}      "
              f"{g['share'] - ss:+.4f}{'' if ok else '  <- beyond tolerance'}")
        tasks_rows.append(("share", f"w{g['weight']}", g["weight"], g["ticks"] * 10,
                           s["cpu_ms"], g["share"], ss, g["expected"], None, None))

    print("factoriser beside a weight-10 hog on CPU 1: wall time (s)")
    print("  weight  cpu     guest   sim     guest/sim")
    ratios = []
    for r in guest["factor"]["runs"]:
        cpu_ms = max(1, round(r["cpu_s"] * 1000))
        sim = sched(vmlab, ["hog weight=10 affinity=1 daemon=1 spin",
                            f"f weight={r['weight']} affinity=1 arrive=5 cpu={cpu_ms}"])
        f = [t for t in sim["tasks"] if t["name"] == "f"][0]
        wall = f["turnaround_ms"] / 1000
        ratios.append(r["wall_s"] / wall)
        if r["weight"] in (1, 5, 10, 15, 20):
            print(f"  {r['weight']:6d}  {r['cpu_s']:.3f}  {r['wall_s']:.3f}   {wall:.3f}   {r['wall_s'] / wall:.2f}")
        tasks_rows.append(("factor", f"f{r['weight']}", r["weight"], round(r["cpu_s"] * 1000),
                           f["cpu_ms"], None, None, None, r["wall_s"], wall))
    ratios.sort()
    print(f"      (all {len(ratios)} weights: guest/sim {ratios[0]:.2f} .. {ratios[-1]:.2f}, "
          f"median {ratios[len(ratios) // 2]:.2f})")

    # The guest's hogs pin themselves to CPU 0 and are freed 0.5 s later,
    # when its samples start: the same in the simulator, its times shifted.
    bal = guest["balance"]
    free_ms = 500
    end_ms = free_ms + int(bal["samples"][-1][0] * 1000) + 1
    lines = []
    for i in range(bal["tasks"]):
        lines += [f"h{i} weight={bal['weight']} affinity=0 daemon=1 spin",
                  f"at {free_ms}ms h{i} affinity=0-3"]
    sim = sched(vmlab, lines, until_ms=end_ms)

    def weights_at(t_ms):
        row = []
        for c in sim["cpus"]:
            w = 0
            for p in c["wrr_weight"]:
                if p[0] <= t_ms:
                    w = p[1]
            row.append(w)
        return row
    times = sorted({p[0] for c in sim["cpus"] for p in c["wrr_weight"] if p[0] >= free_ms} | {free_ms, end_ms})
    sim_settled = next((t - free_ms for t in times
                        if max(weights_at(t)) - min(weights_at(t)) <= bal["weight"]), None)
    final_sim = weights_at(end_ms)
    final_guest = bal["samples"][-1][1:]
    print(f"balance: {bal['tasks']} weight-{bal['weight']} hogs pinned to CPU 0, then free "
          f"(check: both settle, {BAL_SLACK} s apart at most)")
    print(f"  guest {final_guest} settled after {bal['settled_s']:.2f} s, {bal['moves']} moves")
    print(f"  sim   {final_sim} settled after "
          f"{'never' if sim_settled is None else f'{sim_settled / 1000:.2f} s'}, {sim['balance_moves']} moves")
    for name, fin in (("guest", final_guest), ("sim", final_sim)):
        if max(fin) - min(fin) > bal["weight"]:
            bad.append(f"{name} balance spread {max(fin) - min(fin)}")
    if sim_settled is None or bal["settled_s"] < 0 or \
            abs(bal["settled_s"] - sim_settled / 1000) > BAL_SLACK:
        bad.append("balance settling time")
    for smp in bal["samples"]:
        sample_rows.append(("guest", smp[0]) + tuple(smp[1:]))
    # The simulator's weights are step functions: one row per change point.
    for t in times:
        sample_rows.append(("sim", (t - free_ms) / 1000) + tuple(weights_at(t)))
    sim_ms = {t["name"]: t["cpu_ms"] for t in sim["tasks"]}
    for i, ticks in enumerate(bal.get("cpu_ticks", [])):
        tasks_rows.append(("balance", f"h{i}", bal["weight"], ticks * 10, sim_ms.get(f"h{i}"),
                           None, None, None, None, None))

    os.makedirs(out_dir, exist_ok=True)
    write_csv(os.path.join(out_dir, "wrr-samples.csv"),
              ["source", "t_s"] + [f"cpu{c}" for c in range(len(final_sim))], sample_rows)
    write_csv(os.path.join(out_dir, "wrr-tasks.csv"),
              ["workload", "task", "weight", "guest_cpu_ms", "sim_cpu_ms", "guest_share",
               "sim_share", "expected_share", "guest_wall_s", "sim_wall_s"], tasks_rows)
    with open(os.path.join(out_dir, "wrr.gp"), "w") as f:
        f.write(GNUPLOT)
    if shutil.which("gnuplot"):
        r = subprocess.run(["gnuplot", "wrr.gp"], cwd=out_dir, capture_output=True, text=True)
        if r.returncode:
            print(f"compare-sched: gnuplot failed on {out_dir}/wrr.gp: {r.stderr.strip()}")
        else:
            print(f"compare-sched: wrote {out_dir}/wrr-samples.csv, wrr-tasks.csv, wrr.png")
    else:
        print(f"compare-sched: wrote the CSV and {out_dir}/wrr.gp (gnuplot not found: no picture)")
    if bad:
        print("compare-sched: beyond tolerance: " + ", ".join(bad))
        return 1
    print("compare-sched: shares within tolerance, balance settles alike")
    return 0


if __name__ == "__main__":
    sys.exit(main())
