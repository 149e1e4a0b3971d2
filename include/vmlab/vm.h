/* SPDX-License-Identifier: MIT */
/*
 * vm.h - the classic virtual memory manager of Operating System Concepts.
 *
 * Silberschatz, Galvin, Gagne, Operating System Concepts, 10th ed., ch. 10
 * programming project "Designing a Virtual Memory Manager": translate 16-bit
 * logical addresses (8-bit page number, 8-bit offset) through a 16-entry TLB
 * and a page table; on a page fault read the 256-byte page from the backing
 * store into a free frame, or, when frames run short, into the frame of a
 * victim chosen FIFO or LRU.  Exact to the textbook's correct.txt.
 *
 * The core does no I/O: the backing store is a read callback (osc_vm_read_fn), so
 * tests run it on memory and the command line on BACKING_STORE.bin.
 */
#ifndef VMLAB_VM_H
#define VMLAB_VM_H

#include <stdint.h>

#include "vmlab/diag.h"

typedef enum osc_vm_policy { OSC_VM_FIFO, OSC_VM_LRU } osc_vm_policy_t;

/* When the TLB takes an entry: on every TLB miss (the textbook rule, 54 TLB
 * hits on the bundled data), or only on a page fault (55 hits; the rule
 * behind the correct.txt variants that report 55). */
typedef enum osc_vm_tlb_fill { OSC_VM_TLB_FILL_MISS, OSC_VM_TLB_FILL_FAULT } osc_vm_tlb_fill_t;

typedef struct osc_vm_config {
    unsigned addr_bits;     /* logical address width: 16 */
    unsigned page_bits;     /* log2 of the page size: 8 (256 bytes), < addr_bits */
    uint32_t frames;        /* physical frames, 1 .. 2^(addr_bits - page_bits) */
    osc_vm_policy_t policy;     /* page replacement */
    unsigned tlb_entries;   /* TLB size, >= 1 */
    osc_vm_policy_t tlb_policy; /* TLB replacement */
    osc_vm_tlb_fill_t tlb_fill; /* see osc_vm_tlb_fill_t */
    int lru_touch_tlb_hits; /* 1: a TLB hit refreshes LRU recency (right);
                               0: the classic bug that yields 537, not 539 */
} osc_vm_config_t;

/* The textbook configuration: 16-bit addresses, 256-byte pages, 256 frames,
 * FIFO, 16-entry FIFO TLB filled on every miss. */
osc_vm_config_t osc_vm_config_default(void);

/* Check a configuration; 0 or -EINVAL with *d saying which field and why. */
int osc_vm_config_validate(const osc_vm_config_t *cfg, diag_t *d);

/* Read len bytes at byte offset off of the backing store into buf:
 * 0 or -errno. */
typedef int (*osc_vm_read_fn)(void *ctx, uint64_t off, void *buf, uint32_t len);

/* The story of one translation, for --explain and for tests. */
typedef struct osc_vm_event {
    uint32_t vaddr;        /* logical address */
    uint32_t page;         /* its page number */
    uint32_t offset;       /* its offset in the page */
    int tlb_hit;           /* 1 if the TLB translated it */
    int page_fault;        /* 1 if the page was not resident */
    uint32_t frame;        /* frame that holds the page afterwards */
    int64_t victim_page;   /* page evicted to free `frame`, -1 if none */
    int victim_in_tlb;     /* 1 if the victim's TLB entry was invalidated */
    uint64_t store_offset; /* backing-store offset read (page faults only) */
    int tlb_filled;        /* 1 if a TLB entry was filled for this page */
    int64_t tlb_evicted;   /* page whose TLB entry the fill displaced, -1 if none */
    uint32_t paddr;        /* physical address */
    int8_t value;          /* signed byte stored at paddr */
} osc_vm_event_t;

typedef struct osc_vm_stats {
    uint64_t translated;  /* addresses translated */
    uint64_t page_faults; /* pages read from the backing store */
    uint64_t tlb_hits;    /* translations the TLB answered */
    uint64_t evictions;   /* faults that replaced a resident page */
} osc_vm_stats_t;

typedef struct osc_vm osc_vm_t;

/* Create a manager; 0 or -EINVAL (bad cfg, *d says why) or -ENOMEM. */
int osc_vm_new(osc_vm_t **out /* OUT */, const osc_vm_config_t *cfg, osc_vm_read_fn read,
           void *read_ctx, diag_t *d);
void osc_vm_free(osc_vm_t *vm);
/* Translate one logical address and read its byte.  0, or -ERANGE if vaddr
 * is outside the address space, or the read callback's -errno. */
int osc_vm_access(osc_vm_t *vm, uint32_t vaddr, osc_vm_event_t *ev /* OUT, may be NULL */);
osc_vm_stats_t osc_vm_stats(const osc_vm_t *vm);
/* Abort if the TLB, page table, frame table or their agreement is broken:
 * every valid TLB entry matches the page table, every resident page's frame
 * holds it, resident pages == frames in use. */
void osc_vm_check(const osc_vm_t *vm);

/* Parse an addresses file (one decimal logical address a line; blank lines
 * and CRLF allowed) held in text[0, len).  Every address must be below
 * 2^addr_bits.  On success *addrs is a malloc'd array of *n addresses. */
int osc_vm_parse_addresses(const char *path, const char *text, size_t len,
                       unsigned addr_bits, uint32_t **addrs /* OUT */,
                       size_t *n /* OUT */, diag_t *d);

#endif
