/*
 * bugs.c - the memory errors of CS:APP 9.11 that vmlab's allocator catches,
 * one per run, for tests/test_preload.sh: `bugs overflow|uaf|double|clean`.
 * Under VMLAB_MALLOC_FLAGS=canary,poison each error must abort with one
 * "vmlab malloc: ..." line; `clean` must exit 0 with the flags on.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink; /* keeps the compiler from reasoning about the blocks */

int main(int argc, char **argv)
{
    char *p = sink = malloc(24), *q;
    const char *mode = argc > 1 ? argv[1] : "";
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
    } else if (strcmp(mode, "double") == 0) {
        free(p);
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
