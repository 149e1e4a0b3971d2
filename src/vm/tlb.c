/* SPDX-License-Identifier: MIT */
/*
 * tlb.c - fully associative TLB with FIFO or LRU replacement (see tlb.h).
 * A linear scan: TLBs have 16 to 64 entries, where a scan beats any index.
 */
#include "vm/tlb.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

int osc_tlb_init(osc_tlb_t *t, unsigned n, osc_tlb_policy_t policy)
{
    VL_ASSERT(n >= 1);
    t->e = calloc(n, sizeof *t->e);
    if (!t->e)
        return -ENOMEM;
    t->n = n;
    t->nvalid = 0;
    t->policy = policy;
    t->clock = 0;
    return 0;
}

void osc_tlb_destroy(osc_tlb_t *t)
{
    free(t->e);
    t->e = NULL;
}

int osc_tlb_lookup(osc_tlb_t *t, uint32_t page)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (t->e[i].valid && t->e[i].page == page) {
            if (t->policy == OSC_TLB_LRU)
                t->e[i].stamp = ++t->clock;
            return (int)i;
        }
    }
    return -1;
}

int osc_tlb_insert(osc_tlb_t *t, uint32_t page, uint32_t frame, int64_t *evicted_page)
{
    unsigned victim = 0;
    int found_free = 0;
    for (unsigned i = 0; i < t->n; i++) {
        if (!t->e[i].valid) {
            victim = i;
            found_free = 1;
            break;
        }
        if (t->e[i].stamp < t->e[victim].stamp)
            victim = i;
    }
    *evicted_page = found_free ? -1 : (int64_t)t->e[victim].page;
    if (found_free)
        t->nvalid++;
    t->e[victim] = (osc_tlb_entry_t){.page = page, .frame = frame, .stamp = ++t->clock, .valid = 1};
    VL_DEBUG_CHECK(osc_tlb_check(t));
    return (int)victim;
}

int osc_tlb_invalidate(osc_tlb_t *t, uint32_t page)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (t->e[i].valid && t->e[i].page == page) {
            t->e[i].valid = 0;
            t->nvalid--;
            VL_DEBUG_CHECK(osc_tlb_check(t));
            return 1;
        }
    }
    return 0;
}

void osc_tlb_check(const osc_tlb_t *t)
{
    unsigned valid = 0;
    for (unsigned i = 0; i < t->n; i++) {
        if (!t->e[i].valid)
            continue;
        valid++;
        VL_ASSERT(t->e[i].stamp <= t->clock);
        for (unsigned j = i + 1; j < t->n; j++)
            VL_ASSERT(!t->e[j].valid || t->e[j].page != t->e[i].page);
    }
    VL_ASSERT(valid == t->nvalid);
}
