/* SPDX-License-Identifier: MIT */
/* leak_random.c SEED - a random heap whose leaks neither tool can classify
 * two ways: N blocks of random sizes whose pointers go only to earlier
 * blocks (a DAG), some of them rooted in a global array, plus small cycles
 * no other block points at (one "definite" each, whichever member leads);
 * then a random fifth of the DAG is freed and some roots are dropped.
 * `vmlab gc leaks` and valgrind must count the same definite and indirect
 * bytes and blocks (tests/test_gc_cli.sh). */
#include <stdlib.h>
#include <string.h>

#define N 400
#define NROOTS 40
#define NOINLINE __attribute__((noinline))

void *roots[NROOTS];
static unsigned long long x;

static unsigned long long next(void)
{
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

NOINLINE static void build(void)
{
    void **nodes[N];
    for (int i = 0; i < N; i++) {
        size_t sz = 32 + next() % 200;
        nodes[i] = malloc(sz);
        memset(nodes[i], 0, sz);
        for (int e = 0; e < 3 && i > 0; e++)
            if (next() % 2)
                nodes[i][e] = nodes[next() % (unsigned)i];
    }
    for (int r = 0; r < NROOTS; r++)
        roots[r] = nodes[next() % N];
    for (int c = 0; c < 6; c++) {
        int len = 2 + (int)(next() % 3);
        void **first = malloc(48), **prev = first;
        for (int k = 1; k < len; k++) {
            void **n = malloc(48);
            prev[0] = n;
            prev = n;
        }
        prev[0] = first;
        if (next() % 3 == 0)
            roots[next() % NROOTS] = first;
    }
    /* free a fifth of the DAG (only blocks no root names) */
    for (int i = 0; i < N; i++)
        if (next() % 5 == 0) {
            int rooted = 0;
            for (int r = 0; r < NROOTS; r++)
                rooted |= roots[r] == nodes[i];
            if (!rooted)
                free(nodes[i]);
        }
    for (int r = 0; r < NROOTS; r++)
        if (next() % 2)
            roots[r] = NULL;
    memset(nodes, 0, sizeof nodes);
    __asm__ volatile("" : : "r"(nodes) : "memory");
}

NOINLINE static void scrub(void)
{
    volatile char buf[65536];
    memset((char *)buf, 0, sizeof buf);
}

int main(int argc, char **argv)
{
    x = argc > 1 ? strtoull(argv[1], NULL, 10) * 2654435761u + 1 : 1;
    build();
    scrub();
    return 0;
}
