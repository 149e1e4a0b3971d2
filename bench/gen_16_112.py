# SPDX-License-Identifier: MIT
# gen_16_112.py [N] - issue 18's stand-in for the hardest unseen malloc-lab trace on stdout
# (BENCHMARKS.md, "hybrid"): N 16-byte and N 112-byte blocks interleaved (N = 2000), the 112s
# freed, N 128-byte blocks asked, then everything freed.  With 8-byte headers no allocator
# passes 90.0% on it: (16 + 128) payload over (24 + 136) bytes.
import sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ops = []
for i in range(n):
    ops += ["a %d 16" % (2 * i), "a %d 112" % (2 * i + 1)]
ops += ["f %d" % (2 * i + 1) for i in range(n)]
ops += ["a %d 128" % (2 * n + i) for i in range(n)]
ops += ["f %d" % (2 * i) for i in range(n)]
ops += ["f %d" % (2 * n + i) for i in range(n)]
print("\n".join(["100000", str(3 * n), str(len(ops)), "1"] + ops))
