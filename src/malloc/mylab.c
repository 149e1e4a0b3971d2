/* SPDX-License-Identifier: MIT */
/*
 * mylab.c - the original lab's API over one global heap: myinit(policy),
 * mymalloc, myfree, myrealloc, mycalloc, showMempoolInfo() and the leak
 * report at exit (see include/vmlab/malloc.h).
 *
 * The heap lives in a static 1 MiB MEMPOOL, as in the lab.  This file is a
 * user of the core, not part of it, so it may print; addresses are printed
 * as offsets from the start of the pool, so a dump is the same on every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malloc/heap.h"

#define MEMPOOL_BYTES (1u << 20)

static _Alignas(16) unsigned char MEMPOOL[MEMPOOL_BYTES];
static _Alignas(16) unsigned char heap_storage[MA_HEAP_BYTES];
static ma_heap_t *heap;
static ma_arena_t pool;
static int atexit_done;

static void leaks_at_exit(void)
{
    if (heap)
        myleaks(2);
}

int myinit(const char *policy)
{
    static const struct {
        const char *alias, *name;
    } aliases[] = {{"first", "implicit-first"}, {"next", "implicit-next"},
                   {"best", "implicit-best"},   {"worst", "implicit-worst"}};
    ma_source_t src;
    ma_config_t cfg = {0};
    cfg.design = policy;
    for (size_t i = 0; policy && i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(policy, aliases[i].alias) == 0)
            cfg.design = aliases[i].name;
    cfg.align = 16;
    cfg.flags = MA_CANARY;
    ma_source_pool(&src, &pool, MEMPOOL, sizeof MEMPOOL);
    cfg.source = &src;
    cfg.grow_min = 16;
    if (ma_init(&heap, heap_storage, sizeof heap_storage, &cfg) != 0) {
        heap = NULL;
        return -1;
    }
    if (!atexit_done) {
        atexit(leaks_at_exit);
        atexit_done = 1;
    }
    return 0;
}

ma_heap_t *myheap(void) { return heap; }

static ma_heap_t *need_heap(void)
{
    if (!heap && myinit("implicit-first") != 0)
        abort();
    return heap;
}

void *mymalloc(size_t size) { return ma_malloc(need_heap(), size); }
void myfree(void *p) { ma_free(need_heap(), p); }
void *myrealloc(void *p, size_t size) { return ma_realloc(need_heap(), p, size); }
void *mycalloc(size_t n, size_t size) { return ma_calloc(need_heap(), n, size); }

static long off(const void *p) { return (long)((const unsigned char *)p - pool.base); }

static int show_block(const ma_block_t *b, void *ctx)
{
    size_t *i = ctx;
    printf("  %4zu  @%06lx  %-9s  %8zu bytes", (*i)++, (unsigned long)off(b->addr),
           !b->allocated ? "free" : b->payload ? "allocated" : "metadata", b->size);
    if (b->allocated && b->payload)
        printf("  payload @%06lx, %zu usable", (unsigned long)off(b->payload),
               ma_usable_size(heap, b->payload));
    printf("\n");
    return 0;
}

typedef struct {
    int list;     /* list being printed, -1 before the first */
    size_t count; /* blocks printed on it */
} free_show_t;

static int show_free(const ma_block_t *b, void *ctx)
{
    free_show_t *s = ctx;
    if (b->list != s->list) {
        if (s->list >= 0)
            printf("\n");
        printf("  list %3d:", b->list);
        s->list = b->list;
        s->count = 0;
    }
    if (s->count++ < 8)
        printf(" @%06lx(%zu)", (unsigned long)off(b->addr), b->size);
    else if (s->count == 9)
        printf(" ...");
    return 0;
}

void showMempoolInfo(void)
{
    ma_stats_t st;
    size_t i = 0;
    free_show_t fs = {-1, 0};
    ma_heap_t *h = need_heap();

    ma_get_stats(h, &st);
    printf("mempool: %s, align %zu, %zu of %u bytes in use by the heap\n", ma_design_of(h),
           ma_align_of(h), st.heap_bytes, MEMPOOL_BYTES);
    printf("blocks: %zu allocated (%zu bytes), %zu free (%zu bytes)\n", st.live_blocks,
           st.live_bytes, st.free_blocks, st.free_bytes);
    ma_walk(h, show_block, &i);
    printf("free lists:\n");
    ma_walk_free(h, show_free, &fs);
    printf(fs.list >= 0 ? "\n" : "  (none)\n");
    fflush(stdout);
}

typedef struct {
    int fd;       /* where the report goes; -1: count only */
    size_t n;     /* live blocks seen */
    size_t bytes; /* their usable bytes */
} leak_t;

static int leak_block(const ma_block_t *b, void *ctx)
{
    leak_t *l = ctx;
    if (!b->allocated || !b->payload)
        return 0; /* free, or the design's metadata (hybrid's slab headers) */
    l->n++;
    l->bytes += ma_usable_size(heap, b->payload);
    if (l->fd >= 0 && l->n <= 20)
        dprintf(l->fd, "  leak: payload @%06lx, %zu usable bytes\n", (unsigned long)off(b->payload),
                ma_usable_size(heap, b->payload));
    return 0;
}

size_t myleaks(int fd)
{
    leak_t l = {-1, 0, 0};
    if (!heap)
        return 0;
    ma_walk(heap, leak_block, &l); /* count first, for the headline */
    if (l.n && fd >= 0) {
        dprintf(fd, "vmlab malloc: %zu block(s) still live at exit, %zu bytes:\n", l.n, l.bytes);
        l = (leak_t){fd, 0, 0};
        ma_walk(heap, leak_block, &l);
        if (l.n > 20)
            dprintf(fd, "  ... and %zu more\n", l.n - 20);
    }
    return l.n;
}
