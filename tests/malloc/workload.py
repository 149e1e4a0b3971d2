# SPDX-License-Identifier: MIT
# workload.py - an allocation-heavy Python program for tests/test_preload.sh
# and bench/bench_preload.sh: dicts, lists, strings, tuples and sets built,
# resized and dropped, with output that depends on every one of them.
# Run with PYTHONMALLOC=malloc so every object goes through malloc.
# usage: python3 workload.py [SCALE]
import hashlib
import json
import sys

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1
h = hashlib.sha256()
for rnd in range(scale):
    d = {}
    for i in range(20000):
        key = "k%d-%s" % (i, "x" * (i % 37))
        d[key] = [i, str(i * 7), (i, i + 1)] * (1 + i % 5)
    # grow and shrink lists (realloc), build strings of every length
    acc = []
    for i in range(30000):
        acc.append("v" * (i % 300))
        if i % 3 == 0:
            acc.pop(len(acc) // 2)
    s = "".join(acc)
    words = sorted(set(s[i:i + 11] for i in range(0, len(s), 97)))
    blob = json.dumps({k: v[:3] for k, v in list(d.items())[:3000]}, sort_keys=True)
    back = json.loads(blob)
    for k in list(d)[::2]:
        del d[k]
    h.update(("%d %d %d %d %d\n" % (rnd, len(d), len(s), len(words), len(back))).encode())
    h.update(blob.encode())
    h.update("".join(words[:500]).encode())
print(h.hexdigest())
