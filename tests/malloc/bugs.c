/* SPDX-License-Identifier: MIT */
/*
 * bugs.c - the memory errors of CS:APP 9.11 that vmlab's allocator catches,
 * one per run, for tests/test_preload.sh and tests/test_malloc_debug.sh:
 * `bugs overflow|uaf|uaf-head|big-overflow|big-realloc|double|clean|leak`,
 * and the same errors on blocks that pass through the preload library's
 * thread caches (issue 18): `cached-overflow` (a block handed out from the
 * cache overflows), `thread-double` (a block freed in another thread,
 * which still runs and holds it in its cache, is freed again),
 * `double-realloc` (realloc of a freed block), `interior` (free of a
 * pointer into the middle of a block), `exit-double` (a block freed in a
 * thread that then exits, which gives its cache back to the heap, is freed
 * again), `interior-small` (free of the 24-byte block's payload + 16).
 * `slab-MODE` runs MODE on a block hybrid serves from a slab, without a
 * header: 600 blocks of 24 bytes are allocated first and kept, so that
 * the size class has seen the 256 requests that open its first slab
 * (hybrid.c, HY_WARM), and the block is checked to be headerless (exit 3
 * if not: see headerless_witness).
 * Under VMLAB_MALLOC_FLAGS=canary,poison each error must abort with one
 * "vmlab malloc: ..." line; `clean` must exit 0 with the flags on; `leak`
 * exits 0 leaving 3 blocks of 1000 bytes from leak_here() and one of 77
 * from main() allocated, for VMLAB_MALLOC_LEAKS=1.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink; /* keeps the compiler from reasoning about the blocks */
static void *volatile kept[8];

__attribute__((noinline)) static void leak_here(int i)
{
    kept[i] = malloc(1000);
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int freed_there, may_exit;

/* Free the block in sink, then stay alive (its cache with it) until told. */
static void *free_and_wait(void *arg)
{
    (void)arg;
    free(sink);
    pthread_mutex_lock(&gate);
    freed_there = 1;
    pthread_cond_broadcast(&gate_cv);
    while (!may_exit)
        pthread_cond_wait(&gate_cv, &gate);
    pthread_mutex_unlock(&gate);
    return NULL;
}

/* Free the block in sink and exit: the thread's cache goes back to the heap. */
static void *free_and_exit(void *arg)
{
    (void)arg;
    free(sink);
    return NULL;
}

/* Whether the 24-byte block p has no header: under the preload's 16-byte
 * alignment a block with an 8-byte header (and the 8-byte canary with
 * VMLAB_MALLOC_FLAGS=canary) has a usable size of 8 mod 16; a headerless
 * slab object's is its class size (minus the canary): 0 mod 16 (8). */
static int headerless_witness(const void *p)
{
    const char *f = getenv("VMLAB_MALLOC_FLAGS");
    size_t canary = f && strstr(f, "canary") ? 8 : 0;
    return malloc_usable_size((void *)p) % 16 == (canary ? 8 : 0);
}

int main(int argc, char **argv)
{
    char *p, *q;
    const char *mode = argc > 1 ? argv[1] : "";
    if (strncmp(mode, "slab-", 5) == 0) {
        for (int i = 0; i < 600; i++)
            if (!malloc(24)) /* kept: no cached block of the class is reused */
                return 2;
        mode += 5;
        p = sink = malloc(24);
        if (p && !headerless_witness(p)) {
            printf("not headerless: usable size %zu\n", malloc_usable_size(p));
            return 3;
        }
    } else {
        p = sink = malloc(24);
    }
    if (!p)
        return 2;
    if (strcmp(mode, "overflow") == 0) {
        /* past what malloc_usable_size allows, onto the canary word after it */
        /* (through sink: stores to a block freed next are dead to the compiler) */
        memset(sink, 'x', malloc_usable_size(sink) + 8);
        free(sink);
    } else if (strcmp(mode, "uaf") == 0) {
        free(p);
        ((char *)sink)[20] = 'x'; /* past the free-list links a design keeps there */
        q = sink = malloc(24);
        q[0] = 0;
    } else if (strcmp(mode, "uaf-head") == 0) {
        /* into the first 16 bytes: where the free-list designs keep their
         * links, so the next malloc would follow a garbage pointer */
        free(p);
        memset(sink, 'x', 16);
        for (int i = 0; i < 64; i++)
            sink = malloc(24);
    } else if (strcmp(mode, "big-overflow") == 0) {
        /* a block of its own mapping (256 KiB), one byte past its end */
        size_t n = 256 << 10;
        char *b = sink = malloc(n);
        if (!b)
            return 2;
        ((char *volatile *)&sink)[0][n] = 'x';
        free(sink);
    } else if (strcmp(mode, "big-realloc") == 0) {
        /* grow a mapped block by mremap, then overflow it */
        size_t n = 300 << 10;
        char *b = sink = malloc(200 << 10);
        if (!b || !(b = sink = realloc(sink, n)))
            return 2;
        memset(b, 1, n);
        ((char *volatile *)&sink)[0][n + 3] = 'x';
        free(sink);
    } else if (strcmp(mode, "leak") == 0) {
        for (int i = 0; i < 3; i++)
            leak_here(i);
        kept[3] = malloc(77);
        free(p);
        return 0;
    } else if (strcmp(mode, "double") == 0) {
        free(p);
        free(sink);
    } else if (strcmp(mode, "cached-overflow") == 0) {
        free(p);
        q = sink = malloc(24); /* the block just freed, from the cache */
        memset(sink, 'x', malloc_usable_size(sink) + 8);
        free(sink);
    } else if (strcmp(mode, "thread-double") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, free_and_wait, NULL) != 0)
            return 2;
        pthread_mutex_lock(&gate);
        while (!freed_there)
            pthread_cond_wait(&gate_cv, &gate);
        pthread_mutex_unlock(&gate);
        free(sink); /* the other thread's cache holds it */
    } else if (strcmp(mode, "double-realloc") == 0) {
        free(p);
        sink = realloc(sink, 48);
    } else if (strcmp(mode, "exit-double") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, free_and_exit, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 2;
        free(sink); /* back in the heap: the exit gave the other cache back */
    } else if (strcmp(mode, "interior-small") == 0) {
        sink = p + 16;
        free(sink);
    } else if (strcmp(mode, "interior") == 0) {
        q = sink = malloc(200);
        sink = q + 64; /* through sink: the compiler must not see the offset */
        free(sink);
    } else if (strcmp(mode, "clean") == 0) {
        memset(p, 'x', 24);
        q = sink = realloc(p, 100);
        free(q);
        return 0;
    } else {
        return 2;
    }
    puts("not caught");
    return 1;
}
