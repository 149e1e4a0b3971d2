/* SPDX-License-Identifier: MIT */
/*
 * xlate_gen.c - random translation problems by the homework programs' rules
 * (OSTEP's relocation.py, segmentation.py, paging-linear-translate.py,
 * paging-multilevel-translate.py), drawn from vmlab's seeded RNG
 * (base/rng.h), so a seed gives the same problem on every machine but not
 * the problem Python's generator gives for that seed.
 *
 *   bounds  limit uniform in [asize/4, asize/2), base uniform with
 *           base + limit < psize; addresses uniform in [0, asize).
 *   seg     each segment's limit uniform in [segsize/2, segsize), placed at a
 *           uniform base not overlapping the others; segment 0 grows up, the
 *           last one down (segmentation.py's two segments).
 *   linear  each virtual page valid with probability used/100, mapped to a
 *           uniformly chosen free frame.
 *   multi   a root table in a random free frame, `allocated` distinct random
 *           virtual pages each mapped to a random free frame, tables allocated
 *           on first need in random free frames and filled with invalid
 *           entries whose PFN bits are all ones (0x7f for 1-byte entries),
 *           data pages filled with bytes uniform in [0, 30]; each address is
 *           with probability 1/2 inside the i-th allocated page, else uniform.
 */
#include "vmlab/xlate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

static int gen_bounds(xl_problem_t *p, vl_rng_t *r, diag_t *d)
{
    if (p->limit == UINT64_MAX)
        p->limit = p->asize / 4 + (p->asize / 4 ? vl_rng_below(r, p->asize / 4) : 0);
    if (p->limit >= p->psize)
        return diag_set(d, "", 0, EDOM, "limit %llu does not fit physical memory %llu (expected "
                        "a bigger -p)", (unsigned long long)p->limit,
                        (unsigned long long)p->psize);
    if (p->base == UINT64_MAX)
        p->base = vl_rng_below(r, p->psize - p->limit);
    return 0;
}

static int overlaps(const xl_problem_t *p, unsigned n, uint64_t lo, uint64_t hi)
{
    for (unsigned i = 0; i < n; i++) {
        const xl_seg_t *s = &p->seg[i];
        uint64_t slo = s->down ? s->base - s->limit : s->base;
        if (lo < slo + s->limit && slo < hi)
            return 1;
    }
    return 0;
}

static int gen_seg(xl_problem_t *p, vl_rng_t *r, diag_t *d)
{
    uint64_t segsize;
    if (p->nsegs == 0)
        p->nsegs = 2;
    segsize = p->asize / p->nsegs;
    for (unsigned i = 0; i < p->nsegs; i++) {
        xl_seg_t *s = &p->seg[i];
        unsigned tries = 0;
        s->down = p->nsegs > 1 && i == p->nsegs - 1;
        if (s->limit == UINT64_MAX)
            s->limit = segsize / 2 + (segsize / 2 ? vl_rng_below(r, segsize / 2) : 0);
        if (s->base != UINT64_MAX)
            continue;
        if (s->limit >= p->psize)
            return diag_set(d, "", 0, EDOM, "segment %u's limit %llu does not fit physical "
                            "memory %llu", i, (unsigned long long)s->limit,
                            (unsigned long long)p->psize);
        for (;;) {
            uint64_t lo = vl_rng_below(r, p->psize - s->limit);
            if (!overlaps(p, i, lo, lo + s->limit)) {
                s->base = s->down ? lo + s->limit : lo;
                break;
            }
            if (++tries == 100000)
                return diag_set(d, "", 0, EDOM, "no room for segment %u in %llu bytes of "
                                "memory (expected a bigger -p)", i,
                                (unsigned long long)p->psize);
        }
    }
    return 0;
}

/* A uniformly chosen free frame, marked used; -1 if none. */
static int64_t free_frame(uint8_t *used, uint64_t nframes, uint64_t *nused, vl_rng_t *r)
{
    uint64_t f;
    if (*nused == nframes)
        return -1;
    do
        f = vl_rng_below(r, nframes);
    while (used[f]);
    used[f] = 1;
    ++*nused;
    return (int64_t)f;
}

static void put_entry(uint8_t *mem, uint64_t at, unsigned bytes, uint64_t e)
{
    for (unsigned i = 0; i < bytes; i++)
        mem[at + i] = (uint8_t)(e >> (8 * i));
}

static uint64_t get_entry(const uint8_t *mem, uint64_t at, unsigned bytes)
{
    uint64_t e = 0;
    for (unsigned i = bytes; i-- > 0;)
        e = e << 8 | mem[at + i];
    return e;
}

static void init_table(xl_problem_t *p, uint64_t frame)
{
    uint64_t vbit = 1ull << (8 * p->pte_bytes - 1);
    for (uint64_t a = 0; a < p->page_size; a += p->pte_bytes)
        put_entry(p->mem, frame * p->page_size + a, p->pte_bytes, vbit - 1);
}

static int gen_multi(xl_problem_t *p, const xl_gen_t *g, vl_rng_t *r, uint64_t **vps,
                     size_t *nvps, diag_t *d)
{
    unsigned pb = (unsigned)__builtin_ctzll(p->page_size);
    uint64_t nframes = p->psize / p->page_size, nused = 0, vpages = p->asize / p->page_size;
    uint64_t vbit = 1ull << (8 * p->pte_bytes - 1), want = g->allocated;
    uint8_t *used = calloc(nframes, 1), *vused = NULL;
    int64_t f;
    int rc = 0;
    if (want > vpages)
        want = vpages;
    if (nframes - 1 > vbit - 1)
        return free(used), diag_set(d, "", 0, EDOM, "%llu frames do not fit a %u-byte entry's "
                                    "PFN", (unsigned long long)nframes, p->pte_bytes);
    if (vpages > (1u << 24))
        return free(used), diag_set(d, "", 0, EDOM, "%llu virtual pages is too many to generate "
                                    "(expected at most 2^24)", (unsigned long long)vpages);
    vused = calloc(vpages, 1);
    *vps = calloc(want ? want : 1, sizeof **vps);
    if (!used || !vused || !*vps) {
        rc = diag_set(d, "", 0, ENOMEM, "out of memory");
        goto out;
    }
    memset(p->mem, 0, p->psize);
    if ((f = free_frame(used, nframes, &nused, r)) < 0)
        goto full;
    p->pdbr = (uint64_t)f;
    init_table(p, p->pdbr);
    for (uint64_t k = 0; k < want; k++) {
        uint64_t vp, frame = p->pdbr, below = pb + 0, at;
        int64_t data;
        do
            vp = vl_rng_below(r, vpages);
        while (vused[vp]);
        if ((data = free_frame(used, nframes, &nused, r)) < 0)
            goto full;
        vused[vp] = 1;
        (*vps)[(*nvps)++] = vp;
        for (unsigned i = 0; i < p->nlevels; i++)
            below += p->level_bits[i];
        for (unsigned i = 0; i < p->nlevels; i++) {
            uint64_t idx, e;
            below -= p->level_bits[i];
            idx = ((vp << pb) >> below) & ((1ull << p->level_bits[i]) - 1);
            at = frame * p->page_size + idx * p->pte_bytes;
            if (i + 1 == p->nlevels) {
                put_entry(p->mem, at, p->pte_bytes, vbit | (uint64_t)data);
                break;
            }
            e = get_entry(p->mem, at, p->pte_bytes);
            if (!(e & vbit)) {
                int64_t t = free_frame(used, nframes, &nused, r);
                if (t < 0)
                    goto full;
                init_table(p, (uint64_t)t);
                e = vbit | (uint64_t)t;
                put_entry(p->mem, at, p->pte_bytes, e);
            }
            frame = e & (vbit - 1);
        }
        for (uint64_t j = 0; j < p->page_size; j++)
            p->mem[(uint64_t)data * p->page_size + j] = (uint8_t)vl_rng_below(r, 31);
    }
    goto out;
full:
    rc = diag_set(d, "", 0, EDOM, "physical memory of %llu frames is full before %llu pages and "
                  "their tables are mapped (expected a smaller -a or a bigger memory)",
                  (unsigned long long)nframes, (unsigned long long)want);
out:
    free(used);
    free(vused);
    return rc;
}

static int gen_linear(xl_problem_t *p, const xl_gen_t *g, vl_rng_t *r, diag_t *d)
{
    uint64_t nframes = p->psize / p->page_size, nused = 0, vpages = p->asize / p->page_size;
    uint64_t vbit = 1ull << (8 * p->pte_bytes - 1);
    uint8_t *used = calloc(nframes ? nframes : 1, 1);
    if (!used)
        return diag_set(d, "", 0, ENOMEM, "out of memory");
    if (nframes - 1 > vbit - 1) {
        free(used);
        return diag_set(d, "", 0, EDOM, "%llu frames do not fit a %u-byte entry's PFN",
                        (unsigned long long)nframes, p->pte_bytes);
    }
    for (uint64_t v = 0; v < vpages; v++) {
        int64_t f = -1;
        if (vl_rng_below(r, 100) < g->used)
            f = free_frame(used, nframes, &nused, r);
        p->pt[v] = f < 0 ? 0 : vbit | (uint64_t)f;
    }
    p->npte = vpages;
    free(used);
    return 0;
}

int xl_generate(xl_problem_t *p, const xl_gen_t *g, diag_t *d)
{
    vl_rng_t r;
    uint64_t *vps = NULL;
    size_t nvps = 0;
    int rc;
    vl_rng_seed(&r, g->seed);
    if ((rc = xl_problem_check(p, "", d)))
        return rc;
    switch (p->model) {
    case XL_BOUNDS: rc = gen_bounds(p, &r, d); break;
    case XL_SEG: rc = gen_seg(p, &r, d); break;
    case XL_LINEAR:
        if (p->psize % p->page_size || p->asize % p->page_size)
            return diag_set(d, "", 0, EDOM, "memory sizes must be multiples of the page size");
        rc = gen_linear(p, g, &r, d);
        break;
    case XL_MULTI: rc = gen_multi(p, g, &r, &vps, &nvps, d); break;
    }
    for (size_t i = 0; rc == 0 && i < g->naddr; i++) {
        uint64_t va;
        if (p->model == XL_MULTI && i < nvps && vl_rng_below(&r, 2) == 0)
            va = vps[i] * p->page_size + vl_rng_below(&r, p->page_size);
        else
            va = vl_rng_below(&r, p->asize);
        if (xl_problem_add(p, va, XL_READ, 0))
            rc = diag_set(d, "", 0, ENOMEM, "out of memory");
    }
    free(vps);
    if (rc)
        return rc;
    return xl_problem_check(p, "", d);
}
