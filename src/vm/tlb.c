/*
 * tlb.c - fully associative TLB with FIFO or LRU replacement (see tlb.h).
 * A linear scan: TLBs have 16 to 64 entries, where a scan beats any index.
 */
#include "vm/tlb.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

int tlb_init(tlb_t *t, unsigned n, tlb_policy_t policy)
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

void tlb_destroy(tlb_t *t)
{
    free(t->e);
    t->e = NULL;
}

int tlb_lookup(tlb_t *t, uint32_t page)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (t->e[i].valid && t->e[i].page == page) {
            if (t->policy == TLB_LRU)
                t->e[i].stamp = ++t->clock;
            return (int)i;
        }
    }
    return -1;
}

int tlb_insert(tlb_t *t, uint32_t page, uint32_t frame, int64_t *evicted_page)
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
    t->e[victim] = (tlb_entry_t){.page = page, .frame = frame, .stamp = ++t->clock, .valid = 1};
    VL_DEBUG_CHECK(tlb_check(t));
    return (int)victim;
}

int tlb_invalidate(tlb_t *t, uint32_t page)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (t->e[i].valid && t->e[i].page == page) {
            t->e[i].valid = 0;
            t->nvalid--;
            VL_DEBUG_CHECK(tlb_check(t));
            return 1;
        }
    }
    return 0;
}

void tlb_check(const tlb_t *t)
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
