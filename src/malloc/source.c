/* SPDX-License-Identifier: MIT */
/*
 * source.c - the page sources a heap grows from (see ma_source_t in
 * include/vmlab/malloc.h): the lab's fixed MEMPOOL, malloc-lab's mem_sbrk
 * arena (address space reserved once, handed out in order, never given
 * back), and anonymous mmap for real use.  These are the only functions of
 * the allocator that make system calls.
 */
#include <errno.h>
#include <sys/mman.h>

#include "malloc/heap.h"

static void *arena_more(void *ctx, size_t bytes, size_t *got)
{
    ma_arena_t *a = ctx;
    void *p;
    bytes = ma_round(bytes, 16);
    if (bytes > a->cap - a->brk)
        return NULL;
    p = a->base + a->brk;
    a->brk += bytes;
    *got = bytes;
    return p;
}

void ma_source_pool(ma_source_t *src, ma_arena_t *st, void *mem, size_t len)
{
    unsigned char *b = (unsigned char *)ma_round((uintptr_t)mem, 16);
    size_t skip = (size_t)(b - (unsigned char *)mem);
    st->base = b;
    st->brk = 0;
    st->cap = len > skip ? (len - skip) & ~(size_t)15 : 0;
    st->mapped = 0;
    memset(src, 0, sizeof *src);
    src->more = arena_more;
    src->ctx = st;
}

int ma_source_arena(ma_source_t *src, ma_arena_t *st, size_t cap)
{
    void *p;
    cap = ma_round(cap, 4096);
    p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    ma_source_pool(src, st, p, cap);
    st->mapped = 1;
    return 0;
}

void ma_arena_release(ma_arena_t *st)
{
    if (st->mapped && st->base)
        munmap(st->base, st->cap);
    st->base = NULL;
    st->brk = st->cap = 0;
}

static void *mmap_map(void *ctx, size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void mmap_unmap(void *ctx, void *p, size_t bytes) { munmap(p, bytes); }

static void *mmap_more(void *ctx, size_t bytes, size_t *got)
{
    /* regions of at least 1 MiB, so that a heap has few of them */
    size_t len = ma_round(bytes < ((size_t)1 << 20) ? ((size_t)1 << 20) : bytes, 4096);
    void *p = mmap_map(ctx, len);
    if (p)
        *got = len;
    return p;
}

void ma_source_mmap(ma_source_t *src)
{
    memset(src, 0, sizeof *src);
    src->more = mmap_more;
    src->map = mmap_map;
    src->unmap = mmap_unmap;
}
