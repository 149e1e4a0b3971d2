/* SPDX-License-Identifier: MIT */
/*
 * sim_tlb.c - set-associative TLB model (see sim_tlb.h).
 */
#include "sim/sim_tlb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/policy.h"
#include "vmlab/check.h"

int stlb_init(stlb_t *t, uint32_t entries, uint32_t ways, sim_tlb_policy_t policy)
{
    memset(t, 0, sizeof *t);
    if (ways == 0 || ways > entries)
        ways = entries;
    t->ways = ways;
    t->sets = entries / ways;
    t->policy = policy;
    t->tag = malloc((size_t)entries * sizeof *t->tag);
    t->stamp = calloc(entries, sizeof *t->stamp);
    if (!t->tag || !t->stamp) {
        stlb_destroy(t);
        return -ENOMEM;
    }
    vl_rng64_seed(&t->rng, 1);
    stlb_flush(t);
    return 0;
}

void stlb_destroy(stlb_t *t)
{
    free(t->tag);
    free(t->stamp);
    t->tag = NULL;
    t->stamp = NULL;
}

static inline size_t set_base(const stlb_t *t, uint64_t vpn)
{
    return (size_t)(vpn & (t->sets - 1)) * t->ways;
}

int stlb_lookup(stlb_t *t, uint64_t vpn, uint32_t page)
{
    size_t b = set_base(t, vpn);
    for (uint32_t w = 0; w < t->ways; w++)
        if (t->tag[b + w] == page) {
            if (t->policy == SIM_TLB_LRU)
                t->stamp[b + w] = ++t->clock;
            return 1;
        }
    return 0;
}

void stlb_fill(stlb_t *t, uint64_t vpn, uint32_t page)
{
    size_t b = set_base(t, vpn), v = b;
    for (uint32_t w = 0; w < t->ways; w++) {
        if (t->tag[b + w] == STLB_EMPTY) {
            v = b + w;
            goto fill;
        }
    }
    if (t->policy == SIM_TLB_RANDOM) {
        v = b + vl_rng64_below(&t->rng, t->ways);
    } else {
        for (uint32_t w = 1; w < t->ways; w++)
            if (t->stamp[b + w] < t->stamp[v])
                v = b + w;
    }
fill:
    t->tag[v] = page;
    t->stamp[v] = ++t->clock;
}

void stlb_invalidate(stlb_t *t, uint64_t vpn, uint32_t page)
{
    size_t b = set_base(t, vpn);
    for (uint32_t w = 0; w < t->ways; w++)
        if (t->tag[b + w] == page) {
            t->tag[b + w] = STLB_EMPTY;
            return;
        }
}

void stlb_flush(stlb_t *t)
{
    for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
        t->tag[i] = STLB_EMPTY;
}

int stlb_contains(const stlb_t *t, uint64_t vpn, uint32_t page)
{
    size_t b = set_base(t, vpn);
    for (uint32_t w = 0; w < t->ways; w++)
        if (t->tag[b + w] == page)
            return 1;
    return 0;
}

void stlb_check(const stlb_t *t)
{
    VL_ASSERT(t->sets >= 1 && (t->sets & (t->sets - 1)) == 0 && t->ways >= 1);
    for (uint32_t s = 0; s < t->sets; s++)
        for (uint32_t w = 0; w < t->ways; w++) {
            size_t i = (size_t)s * t->ways + w;
            VL_ASSERT(t->stamp[i] <= t->clock);
            if (t->tag[i] == STLB_EMPTY)
                continue;
            for (uint32_t u = w + 1; u < t->ways; u++)
                VL_ASSERT(t->tag[(size_t)s * t->ways + u] != t->tag[i]);
        }
}
