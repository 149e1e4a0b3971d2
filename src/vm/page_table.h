/* SPDX-License-Identifier: MIT */
/*
 * page_table.h - a single-level (linear) page table: one entry per virtual page.
 *
 * OSC 10th ed., 9.3 (paging hardware) and 9.4.1: the page number indexes the
 * table, the entry gives the frame, a valid bit says whether the page is in
 * memory.  The classic project has 2^8 entries for 16-bit addresses.
 *
 * Invariant (osc_page_table_check): nvalid == number of valid entries.
 */
#ifndef VMLAB_VM_PAGE_TABLE_H
#define VMLAB_VM_PAGE_TABLE_H

#include <stdint.h>

typedef struct osc_pte {
    uint32_t frame; /* frame holding the page (valid entries only) */
    uint8_t valid;  /* 1 if the page is resident */
} osc_pte_t;

typedef struct osc_page_table {
    osc_pte_t *pte;      /* npages entries */
    uint32_t npages; /* number of virtual pages, >= 1 */
    uint32_t nvalid; /* resident pages, <= npages */
} osc_page_table_t;

/* 0 or -ENOMEM; every entry starts invalid. */
int osc_page_table_init(osc_page_table_t *pt, uint32_t npages);
void osc_page_table_destroy(osc_page_table_t *pt);
/* 0 and *frame if page is resident, -ENOENT if not (a page fault). */
int osc_page_table_lookup(const osc_page_table_t *pt, uint32_t page, uint32_t *frame /* OUT */);
/* Map page -> frame; page must be non-resident. */
void osc_page_table_map(osc_page_table_t *pt, uint32_t page, uint32_t frame);
/* Unmap a resident page. */
void osc_page_table_unmap(osc_page_table_t *pt, uint32_t page);
void osc_page_table_check(const osc_page_table_t *pt);

#endif
