/*
 * page_table.h - a single-level (linear) page table: one entry per virtual page.
 *
 * OSC 10th ed., 9.3 (paging hardware) and 9.4.1: the page number indexes the
 * table, the entry gives the frame, a valid bit says whether the page is in
 * memory.  The classic project has 2^8 entries for 16-bit addresses.
 *
 * Invariant (page_table_check): nvalid == number of valid entries.
 */
#ifndef VMLAB_VM_PAGE_TABLE_H
#define VMLAB_VM_PAGE_TABLE_H

#include <stdint.h>

typedef struct pte {
    uint32_t frame; /* frame holding the page (valid entries only) */
    uint8_t valid;  /* 1 if the page is resident */
} pte_t;

typedef struct page_table {
    pte_t *pte;      /* npages entries */
    uint32_t npages; /* number of virtual pages, >= 1 */
    uint32_t nvalid; /* resident pages, <= npages */
} page_table_t;

/* 0 or -ENOMEM; every entry starts invalid. */
int page_table_init(page_table_t *pt, uint32_t npages);
void page_table_destroy(page_table_t *pt);
/* 0 and *frame if page is resident, -ENOENT if not (a page fault). */
int page_table_lookup(const page_table_t *pt, uint32_t page, uint32_t *frame /* OUT */);
/* Map page -> frame; page must be non-resident. */
void page_table_map(page_table_t *pt, uint32_t page, uint32_t frame);
/* Unmap a resident page. */
void page_table_unmap(page_table_t *pt, uint32_t page);
void page_table_check(const page_table_t *pt);

#endif
