/* SPDX-License-Identifier: MIT */
/*
 * rss.c - does freed memory go back to the kernel?  For tests/test_preload.sh
 * (issue 18): `rss [MIB]` allocates MIB (default 128) MiB in blocks of 24 to
 * 4000 bytes, touching every byte, then frees all but every 64th block, in
 * a second thread for half of them (the blocks go through that thread's
 * cache, which its exit flushes), and prints
 * "peak_kib=P after_kib=A kept_kib=K": the resident set (/proc/self/statm)
 * with the heap full, after the frees, and the bytes still allocated.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void **blocks;
static size_t nblocks;

static long rss_kib(void)
{
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Free the blocks i with i % 64 != 0 and i % 2 == parity. */
static void *free_half(void *arg)
{
    size_t parity = (size_t)(uintptr_t)arg;
    for (size_t i = parity; i < nblocks; i += 2)
        if (i % 64 != 0) {
            free(blocks[i]);
            blocks[i] = NULL;
        }
    return NULL;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 128, total = 0, kept = 0, cap;
    uint64_t x = 88172645463325252ull;
    long peak, after;
    pthread_t t;

    if (mib < 1 || mib > 4096)
        return 2;
    cap = mib << 10; /* at least 256 bytes a block on average: enough slots */
    blocks = malloc(cap * sizeof *blocks);
    if (!blocks)
        return 1;
    while (total < mib << 20 && nblocks < cap) {
        size_t n;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        n = 24 + (size_t)(x % 3977);
        blocks[nblocks] = malloc(n);
        if (!blocks[nblocks])
            return 1;
        memset(blocks[nblocks], 0x5a, n);
        if (nblocks % 64 == 0)
            kept += n;
        nblocks++;
        total += n;
    }
    peak = rss_kib();
    if (pthread_create(&t, NULL, free_half, (void *)1) != 0)
        return 1;
    free_half((void *)0);
    pthread_join(t, NULL);
    after = rss_kib();
    /* the kept blocks are intact */
    for (size_t i = 0; i < nblocks; i += 64)
        if (((unsigned char *)blocks[i])[0] != 0x5a)
            return 3;
    printf("peak_kib=%ld after_kib=%ld kept_kib=%zu\n", peak, after, kept >> 10);
    return 0;
}
