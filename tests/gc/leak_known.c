/* SPDX-License-Identifier: MIT */
/* leak_known.c - leaks known in advance, each made in its own function so
 * that no stale copy of a pointer stays in a live frame:
 *   3 x 100 bytes            definite (leak_three)
 *   a list of 5 x 24 bytes   1 definite head, 4 indirect (leak_list)
 *   a cycle of 3 x 40 bytes  1 definite, 2 indirect (leak_cycle)
 *   300 bytes via realloc    definite (leak_realloc)
 *   100 bytes memalign(64)   definite (leak_aligned)
 *   64 bytes calloc          definite (leak_calloc)
 * and two blocks still reachable from globals (not leaks).  Exits 3, which
 * the leak finder must pass on.
 * Definite: 3*100 + 24 + 40 + 300 + 100 + 64 = 828 bytes in 8 blocks;
 * indirect: 4*24 + 2*40 = 176 bytes in 6 blocks. */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct node { struct node *next; long v; long pad; };
struct cyc { struct cyc *next; char pad[32]; };

void *kept_global;
static void *volatile kept_static;

NOINLINE static void leak_three(void)
{
    for (int i = 0; i < 3; i++) {
        char *volatile p = malloc(100);
        memset(p, i, 100);
    }
}

NOINLINE static void leak_list(void)
{
    struct node *head = NULL;
    for (int i = 0; i < 5; i++) {
        struct node *n = malloc(sizeof *n);
        n->next = head;
        n->v = i;
        head = n;
    }
    __asm__ volatile("" : : "r"(head) : "memory");
}

NOINLINE static void leak_cycle(void)
{
    struct cyc *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    a->next = b;
    b->next = c;
    c->next = a;
    __asm__ volatile("" : : "r"(a) : "memory");
}

NOINLINE static void leak_realloc(void)
{
    char *p = malloc(200);
    memset(p, 1, 200);
    p = realloc(p, 300);
    __asm__ volatile("" : : "r"(p) : "memory");
}

NOINLINE static void leak_aligned(void)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, 100) == 0)
        __asm__ volatile("" : : "r"(p) : "memory");
}

NOINLINE static void leak_calloc(void)
{
    void *volatile p = calloc(8, 8);
    (void)p;
}

NOINLINE static void keep(void)
{
    kept_global = malloc(500);
    kept_static = malloc(700);
    __asm__ volatile("" : : "r"(kept_static) : "memory");
}

NOINLINE static void scrub(void)
{
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

int main(void)
{
    keep();
    leak_three();
    leak_list();
    leak_cycle();
    leak_realloc();
    leak_aligned();
    leak_calloc();
    scrub();
    return 3;
}
