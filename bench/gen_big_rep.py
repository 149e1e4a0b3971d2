# SPDX-License-Identifier: MIT
# gen_big_rep.py [SEED] - a large random malloc-lab trace on stdout for timing the offline
# plan (BENCHMARKS.md, mplan2): about 400 000 operations, up to 30 000 live ids (23 000 reached
# with seed 1), 60% of requests 1-64 bytes and the rest 1-5000, 7% reallocs.
import random, sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
NOPS, MAXLIVE = 400000, 30000
ops, live, nid = [], [], 0
while len(ops) < NOPS:
    r = random.random()
    if live and (len(live) >= MAXLIVE or r < 0.42):
        k = random.randrange(len(live)); i = live[k]; live[k] = live[-1]; live.pop()
        ops.append("f %d" % i)
    elif live and r < 0.52:
        i = random.choice(live)
        ops.append("r %d %d" % (i, random.randint(1, 5000)))
    else:
        sz = random.randint(1, 64) if random.random() < 0.6 else random.randint(1, 5000)
        ops.append("a %d %d" % (nid, sz)); live.append(nid); nid += 1
for i in live:
    ops.append("f %d" % i)
print(100000000); print(nid); print(len(ops)); print(1)
print("\n".join(ops))
