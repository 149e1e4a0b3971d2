/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shards_part.c - libFuzzer target for mrc_shards_part_parse (the
 * partial SHARDS result `vmlab mrc --shards-part` writes and --merge reads):
 * any bytes give 0 or -EINVAL with a diagnostic, never a crash; an accepted
 * part satisfies the format's contract, writes back to the same text, and
 * merges (as a one-part run, with its part index and count changed to fit)
 * into a nondecreasing curve in [0, 1].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/mrc.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    mrc_shards_part_t p, q;
    diag_t d;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (mrc_shards_part_parse("fuzz.part", text, size, &p, &d) == 0) {
        uint64_t sum = 0;
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        VL_ASSERT(p.part < p.parts && p.parts >= 2 && p.rate > 0 && p.rate <= 1);
        VL_ASSERT(p.sampled <= p.refs && p.distinct <= p.refs);
        for (size_t i = 0; i < p.k; i++) {
            VL_ASSERT(p.dist[i] >= 1 && p.count[i] >= 1 && (i == 0 || p.dist[i] > p.dist[i - 1]));
            sum += p.count[i];
        }
        VL_ASSERT(sum <= p.sampled);
        /* written back and read again: the same part */
        f = open_memstream(&buf, &len);
        VL_ASSERT(f && mrc_shards_part_write(f, &p) == 0);
        fclose(f);
        VL_ASSERT(mrc_shards_part_parse("again", buf, len, &q, &d) == 0);
        VL_ASSERT(q.k == p.k && q.rate == p.rate && q.sampled == p.sampled && q.seed == p.seed);
        mrc_shards_part_free(&q);
        free(buf);
        {
            /* N copies of it, one per range, merge into a curve */
            uint32_t N = p.parts <= 8 ? p.parts : 0;
            mrc_shards_part_t *all = N ? calloc(N, sizeof *all) : NULL;
            mrc_approx_t a;
            if (all) {
                for (uint32_t i = 0; i < N; i++)
                    all[i] = p, all[i].part = i;
                if (mrc_shards_merge(all, N, &a, &d) == 0) {
                    for (size_t i = 0; i < a.np; i++)
                        VL_ASSERT(a.hit[i] >= 0 && a.hit[i] <= 1 && (i == 0 || a.hit[i] >= a.hit[i - 1]) &&
                                  a.at[i] >= 1 && (i == 0 || a.at[i] > a.at[i - 1]));
                    mrc_approx_free(&a);
                }
                free(all);
            }
        }
        mrc_shards_part_free(&p);
    } else {
        VL_ASSERT(d.msg[0] != '\0');
    }
    free(text);
    return 0;
}
