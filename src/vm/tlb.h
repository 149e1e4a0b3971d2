/* SPDX-License-Identifier: MIT */
/*
 * tlb.h - a small fully associative translation lookaside buffer.
 *
 * Silberschatz, Galvin, Gagne, Operating System Concepts, 10th ed., 9.3.1
 * (the TLB) and the chapter 10 programming project: 16 entries, searched
 * associatively, replaced FIFO or LRU.  Each slot carries a stamp; the victim
 * is an invalid slot if any (lowest index first), else the valid slot with the
 * smallest stamp.  FIFO stamps a slot when it is filled, LRU also on every hit,
 * so one scan serves both policies.
 *
 * Invariants (osc_tlb_check): every valid page appears in at most one slot;
 * every stamp <= the TLB's clock; nvalid == number of valid slots.
 */
#ifndef VMLAB_VM_TLB_H
#define VMLAB_VM_TLB_H

#include <stdint.h>

typedef enum osc_tlb_policy { OSC_TLB_FIFO, OSC_TLB_LRU } osc_tlb_policy_t;

typedef struct osc_tlb_entry {
    uint32_t page;  /* virtual page number (valid slots only) */
    uint32_t frame; /* physical frame holding it */
    uint64_t stamp; /* clock at fill (FIFO) or at last use (LRU) */
    uint8_t valid;  /* 1 if this slot translates `page` */
} osc_tlb_entry_t;

typedef struct osc_tlb {
    osc_tlb_entry_t *e;      /* n slots */
    unsigned n;          /* number of slots, >= 1 */
    unsigned nvalid;     /* valid slots, <= n */
    osc_tlb_policy_t policy; /* replacement */
    uint64_t clock;      /* advances on every fill and touch */
} osc_tlb_t;

/* 0 or -ENOMEM. n >= 1. */
int osc_tlb_init(osc_tlb_t *t, unsigned n, osc_tlb_policy_t policy);
void osc_tlb_destroy(osc_tlb_t *t);
/* Slot translating `page`, or -1 if none; a hit refreshes LRU recency. */
int osc_tlb_lookup(osc_tlb_t *t, uint32_t page);
/* Insert page -> frame; page must not be present.  Returns the slot used and
 * sets *evicted_page to the page it displaced, or -1 if the slot was free. */
int osc_tlb_insert(osc_tlb_t *t, uint32_t page, uint32_t frame, int64_t *evicted_page /* OUT */);
/* Drop page's entry if present (its frame was taken); returns 1 if dropped. */
int osc_tlb_invalidate(osc_tlb_t *t, uint32_t page);
/* Abort if an invariant is broken. */
void osc_tlb_check(const osc_tlb_t *t);

#endif
