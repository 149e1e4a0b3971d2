/* SPDX-License-Identifier: MIT */
/*
 * gc_mark.c - the mark phase: conservative pointer identification and an
 * explicit mark stack (Boehm and Weiser 1988; Jones, Hosking and Moss, The
 * Garbage Collection Handbook, 2nd ed., ch. 2.3 and 11.2; bdwgc mark.c).
 *
 * A word w is a pointer candidate when it falls in the committed heap; its
 * page descriptor gives the block in O(1) (gc_impl.h).  A block found
 * allocated and unmarked is marked and, unless atomic, pushed as a range of
 * words to scan.  The stack has a fixed capacity: when it is full the push is
 * dropped and ms_overflow set, the block stays marked but unscanned.  After
 * the stack drains, recovery rescans every marked, non-atomic block of the
 * heap (their unmarked children are pushed); passes repeat until one ends
 * without overflow.  Each pass scans every marked block, so the blocks whose
 * scan was dropped are scanned in the next pass: it terminates (bdwgc's
 * GC_mark_state MS_INVALID recovery, without its stack growth).
 *
 * Words a root holds that point at free or not-yet-committed heap pages are
 * blacklisted (Boehm, "Space efficient conservative garbage collection",
 * PLDI 1993): the page allocator avoids those pages, so that a block later
 * placed there is not kept alive by an integer that only looks like a pointer.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "gc/gc_impl.h"
#include "vmlab/check.h"

static void blacklist(uintptr_t w)
{
    size_t pn = (w - gc_g.base) >> GC_PAGE_SHIFT;
    uint64_t bit = (uint64_t)1 << (pn & 63);
    if (!(gc_g.black[pn >> 6] & bit)) {
        gc_g.black[pn >> 6] |= bit;
        gc_g.nblack++;
    }
}

static inline void push(uintptr_t lo, uintptr_t hi)
{
    if (__builtin_expect(gc_g.ms_len == gc_g.ms_cap, 0)) {
        gc_g.ms_overflow = 1;
        return;
    }
    gc_g.ms[gc_g.ms_len].lo = lo;
    gc_g.ms[gc_g.ms_len].hi = hi;
    gc_g.ms_len++;
}

/* Mark the block w points into, if any; push its words. */
static inline void mark_word(uintptr_t w, int from_root)
{
    uintptr_t off = w - gc_g.base;
    gc_page_t *pg;
    if (off >= gc_g.top) {
        if (from_root && off < gc_g.reserved)
            blacklist(w);
        return;
    }
    pg = &gc_g.pages[off >> GC_PAGE_SHIFT];
    if (pg->kind == GC_SMALL) {
        uint32_t in = (uint32_t)(off & (GC_PAGE - 1));
        uint32_t slot = (uint32_t)(((uint64_t)in * pg->recip) >> 32);
        uint64_t bit = (uint64_t)1 << (slot & 63);
        uintptr_t start;
        if (slot >= pg->nslots || !(pg->alloc[slot >> 6] & bit) || (pg->mark[slot >> 6] & bit))
            return;
        start = w - (in - slot * pg->size);
        if (gc_g.base_only && start != w)
            return;
        pg->mark[slot >> 6] |= bit;
        gc_g.marked += pg->size;
        if (!pg->atomic) {
            __builtin_prefetch((const void *)start);
            push(start, start + pg->size);
        }
    } else if (pg->kind == GC_LARGE || pg->kind == GC_TAIL) {
        uintptr_t start;
        if (pg->kind == GC_TAIL)
            pg -= pg->back;
        start = gc_page_addr(pg);
        if (!(pg->alloc[0] & 1) || (pg->mark[0] & 1) || (gc_g.base_only && w != start))
            return;
        pg->mark[0] = 1;
        gc_g.marked += (size_t)pg->npages << GC_PAGE_SHIFT;
        if (!pg->atomic)
            push(start, start + pg->size);
    } else if (from_root) {
        blacklist(w);
    }
}

/* Scan [lo, hi) word by word.  Reads what it does not own (stack slots,
 * ASan's redzones between globals): no ASan here. */
GC_NO_ASAN static void scan(uintptr_t lo, uintptr_t hi, int from_root)
{
    const uintptr_t *p = (const uintptr_t *)((lo + 7) & ~(uintptr_t)7);
    const uintptr_t *e = (const uintptr_t *)(hi & ~(uintptr_t)7);
    for (; p < e; p++)
        mark_word(*p, from_root);
}

static void drain(void)
{
    while (gc_g.ms_len > 0) {
        gc_range_t r = gc_g.ms[--gc_g.ms_len];
        scan(r.lo, r.hi, 0);
    }
}

/* Overflow recovery: rescan every marked, scanned block until a pass
 * completes with nothing dropped. */
static void recover(void)
{
    while (gc_g.ms_overflow) {
        size_t np = gc_g.top >> GC_PAGE_SHIFT;
        gc_g.ms_overflow = 0;
        gc_g.st.mark_overflows++;
        for (size_t i = 0; i < np; i++) {
            gc_page_t *pg = &gc_g.pages[i];
            uintptr_t a = gc_page_addr(pg);
            if (pg->atomic)
                continue;
            if (pg->kind == GC_SMALL) {
                for (unsigned s = 0; s < pg->nslots; s++)
                    if (pg->mark[s >> 6] & ((uint64_t)1 << (s & 63))) {
                        scan(a + (uintptr_t)s * pg->size, a + (uintptr_t)(s + 1) * pg->size, 0);
                        drain();
                    }
            } else if (pg->kind == GC_LARGE && (pg->mark[0] & 1)) {
                scan(a, a + pg->size, 0);
                drain();
            }
        }
    }
}

void gc_mark_range(uintptr_t lo, uintptr_t hi, int from_root)
{
    scan(lo, hi, from_root);
    drain();
    recover();
}

void gc_mark_block(uintptr_t base)
{
    mark_word(base, 0);
    drain();
    recover();
}

int gc_mark_stack_init(void)
{
    size_t want = gc_g.ms_want, bytes;
    void *m;
    if (gc_g.ms && gc_g.ms_cap == want)
        return 0;
    if (__builtin_mul_overflow(want, sizeof(gc_range_t), &bytes))
        return -ENOMEM;
    m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -errno;
    if (gc_g.ms)
        munmap(gc_g.ms, gc_g.ms_cap * sizeof(gc_range_t));
    gc_g.ms = m;
    gc_g.ms_cap = want;
    gc_g.ms_len = 0;
    return 0;
}
