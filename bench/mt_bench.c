/* SPDX-License-Identifier: MIT */
/*
 * mt_bench.c - threads doing malloc/free of small blocks against the
 * process's allocator (glibc, or one given with LD_PRELOAD), for
 * bench/bench_mt.sh (BENCHMARKS.md, "malloc threads").
 *
 *   mt_bench THREADS OPS [MIN MAX] [cross]
 *
 * Each thread keeps a window of 1000 slots; an operation picks a slot at
 * random (xorshift64, seeded per thread), frees what it holds and mallocs
 * MIN..MAX bytes (default 16..512) into it, writing the first byte.  So
 * OPS malloc/free pairs per thread with about 1000 blocks live each, the
 * sizes spread over the small classes.  `cross`: every 16th free is of a
 * block another thread allocated (slots exchanged through a shared
 * array), so blocks move between threads.  Prints one line:
 * "threads=T ops=N wall_s=W cpu_s=C" (CPU: CLOCK_PROCESS_CPUTIME_ID).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WINDOW 1000
#define SHARED_SLOTS 4096

static long ops;
static size_t lo = 16, hi = 512;
static int cross;
static void *shared_slots[SHARED_SLOTS]; /* exchanged with atomic swaps */

static double secs(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *run(void *arg)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    void **slot = calloc(WINDOW, sizeof *slot);
    if (!slot)
        abort();
    for (long i = 0; i < ops; i++) {
        uint64_t r;
        size_t k, n;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r = x;
        k = (size_t)(r % WINDOW);
        n = lo + (size_t)((r >> 20) % (hi - lo + 1));
        if (cross && (i & 15) == 0) {
            /* hand this block to whoever takes the shared slot next */
            slot[k] = __atomic_exchange_n(&shared_slots[(r >> 40) % SHARED_SLOTS], slot[k],
                                          __ATOMIC_ACQ_REL);
        }
        free(slot[k]);
        slot[k] = malloc(n);
        if (!slot[k])
            abort();
        *(volatile char *)slot[k] = (char)i;
    }
    for (size_t k = 0; k < WINDOW; k++)
        free(slot[k]);
    free(slot);
    return NULL;
}

int main(int argc, char **argv)
{
    int t;
    pthread_t tid[256];
    double w0, c0;
    if (argc < 3 || (t = atoi(argv[1])) < 1 || t > 256 || (ops = atol(argv[2])) < 1) {
        fprintf(stderr, "usage: mt_bench THREADS OPS [MIN MAX] [cross]\n");
        return 2;
    }
    if (argc >= 5) {
        lo = (size_t)atol(argv[3]);
        hi = (size_t)atol(argv[4]);
        if (lo < 1 || hi < lo) {
            fprintf(stderr, "mt_bench: bad size range\n");
            return 2;
        }
    }
    cross = argc >= 6 && strcmp(argv[5], "cross") == 0;
    w0 = secs(CLOCK_MONOTONIC);
    c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < t; i++)
        if (pthread_create(&tid[i], NULL, run, (void *)(uintptr_t)i) != 0)
            return 1;
    for (int i = 0; i < t; i++)
        pthread_join(tid[i], NULL);
    for (size_t k = 0; k < SHARED_SLOTS; k++)
        free(shared_slots[k]);
    printf("threads=%d ops=%ld wall_s=%.3f cpu_s=%.3f\n", t, ops, secs(CLOCK_MONOTONIC) - w0,
           secs(CLOCK_PROCESS_CPUTIME_ID) - c0);
    return 0;
}
