/* SPDX-License-Identifier: MIT */
/*
 * page_table.c - linear page table (see page_table.h).
 */
#include "vm/page_table.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

int osc_page_table_init(osc_page_table_t *pt, uint32_t npages)
{
    VL_ASSERT(npages >= 1);
    pt->pte = calloc(npages, sizeof *pt->pte);
    if (!pt->pte)
        return -ENOMEM;
    pt->npages = npages;
    pt->nvalid = 0;
    return 0;
}

void osc_page_table_destroy(osc_page_table_t *pt)
{
    free(pt->pte);
    pt->pte = NULL;
}

int osc_page_table_lookup(const osc_page_table_t *pt, uint32_t page, uint32_t *frame)
{
    VL_ASSERT(page < pt->npages);
    if (!pt->pte[page].valid)
        return -ENOENT;
    *frame = pt->pte[page].frame;
    return 0;
}

void osc_page_table_map(osc_page_table_t *pt, uint32_t page, uint32_t frame)
{
    VL_ASSERT(page < pt->npages && !pt->pte[page].valid);
    pt->pte[page].frame = frame;
    pt->pte[page].valid = 1;
    pt->nvalid++;
    VL_DEBUG_CHECK(osc_page_table_check(pt));
}

void osc_page_table_unmap(osc_page_table_t *pt, uint32_t page)
{
    VL_ASSERT(page < pt->npages && pt->pte[page].valid);
    pt->pte[page].valid = 0;
    pt->nvalid--;
    VL_DEBUG_CHECK(osc_page_table_check(pt));
}

void osc_page_table_check(const osc_page_table_t *pt)
{
    uint32_t valid = 0;
    for (uint32_t i = 0; i < pt->npages; i++)
        valid += pt->pte[i].valid;
    VL_ASSERT(valid == pt->nvalid);
}
