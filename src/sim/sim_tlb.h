/* SPDX-License-Identifier: MIT */
/*
 * sim_tlb.h - the simulator's TLB model: set-associative, LRU/FIFO/random.
 *
 * Hennessy & Patterson, Computer Architecture, appendix B (set-associative
 * caches), CS:APP 3rd ed. 9.6.2 (TLB indexed by the low VPN bits, tagged
 * by the rest).  An entry is tagged by the dense page id, which already
 * names (pid, vpn): an ASID-tagged TLB keeps other processes' entries
 * apart for free; the flushing variant is emptied on a context switch by the
 * core.  The set is vpn % sets, as hardware indexes it.  Entries for a page
 * are invalidated when the page is evicted (a shootdown), so every valid
 * entry names a resident page.
 *
 * Invariants (stlb_check): a page appears at most once; valid entries of a
 * set hold pages whose vpn maps to that set (checked by the core, which
 * knows vpns); every stamp <= clock.
 */
#ifndef VMLAB_SIM_TLB_H
#define VMLAB_SIM_TLB_H

#include <stdint.h>

#include "vmlab/sim.h"

#define STLB_EMPTY UINT32_MAX

typedef struct stlb {
    uint32_t *tag;           /* sets * ways page ids, STLB_EMPTY if invalid */
    uint64_t *stamp;         /* per entry: clock at fill (FIFO) or last use (LRU) */
    uint32_t sets;           /* a power of two, >= 1 */
    uint32_t ways;           /* entries per set, >= 1 */
    sim_tlb_policy_t policy; /* replacement within a set */
    uint64_t clock;          /* advances on every lookup hit and fill */
    uint64_t rng;            /* SIM_TLB_RANDOM state */
} stlb_t;

/* 0 or -ENOMEM; entries % ways == 0 and entries / ways a power of two
 * (sim_config_check enforces it); ways 0 means fully associative. */
int stlb_init(stlb_t *t, uint32_t entries, uint32_t ways, sim_tlb_policy_t policy);
void stlb_destroy(stlb_t *t);
/* 1 on a hit (refreshing LRU recency), 0 on a miss. */
int stlb_lookup(stlb_t *t, uint64_t vpn, uint32_t page);
/* Insert page (not present): an invalid way if any, else the policy's victim. */
void stlb_fill(stlb_t *t, uint64_t vpn, uint32_t page);
/* Drop page's entry if present. */
void stlb_invalidate(stlb_t *t, uint64_t vpn, uint32_t page);
/* Drop every entry (context switch without ASIDs). */
void stlb_flush(stlb_t *t);
/* Whether page has a valid entry (no recency update; for checks). */
int stlb_contains(const stlb_t *t, uint64_t vpn, uint32_t page);
void stlb_check(const stlb_t *t);

#endif
