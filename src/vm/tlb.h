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
 * Invariants (tlb_check): every valid page appears in at most one slot;
 * every stamp <= the TLB's clock; nvalid == number of valid slots.
 */
#ifndef VMLAB_VM_TLB_H
#define VMLAB_VM_TLB_H

#include <stdint.h>

typedef enum tlb_policy { TLB_FIFO, TLB_LRU } tlb_policy_t;

typedef struct tlb_entry {
    uint32_t page;  /* virtual page number (valid slots only) */
    uint32_t frame; /* physical frame holding it */
    uint64_t stamp; /* clock at fill (FIFO) or at last use (LRU) */
    uint8_t valid;  /* 1 if this slot translates `page` */
} tlb_entry_t;

typedef struct tlb {
    tlb_entry_t *e;      /* n slots */
    unsigned n;          /* number of slots, >= 1 */
    unsigned nvalid;     /* valid slots, <= n */
    tlb_policy_t policy; /* replacement */
    uint64_t clock;      /* advances on every fill and touch */
} tlb_t;

/* 0 or -ENOMEM. n >= 1. */
int tlb_init(tlb_t *t, unsigned n, tlb_policy_t policy);
void tlb_destroy(tlb_t *t);
/* Slot translating `page`, or -1 if none; a hit refreshes LRU recency. */
int tlb_lookup(tlb_t *t, uint32_t page);
/* Insert page -> frame; page must not be present.  Returns the slot used and
 * sets *evicted_page to the page it displaced, or -1 if the slot was free. */
int tlb_insert(tlb_t *t, uint32_t page, uint32_t frame, int64_t *evicted_page /* OUT */);
/* Drop page's entry if present (its frame was taken); returns 1 if dropped. */
int tlb_invalidate(tlb_t *t, uint32_t page);
/* Abort if an invariant is broken. */
void tlb_check(const tlb_t *t);

#endif
