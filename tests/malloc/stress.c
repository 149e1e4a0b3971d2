/* SPDX-License-Identifier: MIT */
/*
 * stress.c - a multi-threaded allocation stress test with content checks,
 * run under whatever malloc the process has (glibc, or LD_PRELOAD of
 * build/libvmlab-malloc.so): tests/test_preload.sh runs it once per design.
 *
 * Each thread keeps slots of blocks filled with a pattern derived from
 * (thread, slot, generation) and does random malloc/calloc/realloc/
 * reallocarray/aligned/free operations, verifying every byte it kept before
 * it frees or reallocates a block, that calloc memory is zero, that aligned
 * blocks are aligned, and that malloc_usable_size covers the request.  A
 * share of the blocks is handed to another thread through a locked mailbox
 * and freed there (the remote-free pattern of producer/consumer programs).
 * Thread 0 forks half-way, while the others keep allocating: the child must
 * be able to allocate, and exits with its own verdict (fork safety).
 *
 * usage: stress [THREADS [OPS_PER_THREAD]]; prints one line and exits 0 when
 * every check passed, 1 otherwise.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS 128
#define MAILBOX 64

typedef struct slot {
    unsigned char *p; /* the block, NULL if empty */
    size_t n;         /* bytes asked for and filled */
    uint32_t seed;    /* pattern seed */
} slot_t;

static pthread_mutex_t mail_lock = PTHREAD_MUTEX_INITIALIZER;
static slot_t mailbox[MAILBOX]; /* blocks in transit between threads */
static int nthreads;
static long ops_per_thread;
static volatile int failed;
static volatile size_t big_half = SIZE_MAX / 2;
/* Results go through here: a compiler may drop an allocation whose result is
 * only compared with NULL, and fold the comparison (clang does). */
static void *volatile sink;
#define ERRNO (*(volatile int *)&errno)

static void fail(const char *what, size_t n)
{
    char buf[200];
    int len = snprintf(buf, sizeof buf, "stress: FAIL %s (size %zu)\n", what, n);
    if (write(2, buf, (size_t)len) < 0)
        _exit(1);
    failed = 1;
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 31 + (i >> 8));
}

static int intact(const unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 31 + (i >> 8)))
            return 0;
    return 1;
}

/* Mostly small sizes, some medium, a few above any mmap threshold. */
static size_t pick_size(uint32_t *s)
{
    uint32_t r = rnd(s) % 1000;
    if (r < 700)
        return rnd(s) % 256;
    if (r < 970)
        return 256 + rnd(s) % 8192;
    if (r < 995)
        return 8192 + rnd(s) % 65536;
    return 200000 + rnd(s) % 800000;
}

static void check_block(slot_t *sl, const char *when)
{
    if (!intact(sl->p, sl->n, sl->seed))
        fail(when, sl->n);
    if (malloc_usable_size(sl->p) < sl->n)
        fail("malloc_usable_size below the request", sl->n);
    if (((uintptr_t)sl->p & 15) != 0)
        fail("block not 16-byte aligned", sl->n);
}

static void drop(slot_t *sl)
{
    if (!sl->p)
        return;
    check_block(sl, "content changed before free");
    free(sl->p);
    sl->p = NULL;
}

static void one_op(slot_t *slots, uint32_t *s, int tid)
{
    slot_t *sl = &slots[rnd(s) % SLOTS];
    uint32_t r = rnd(s) % 100;
    size_t n = pick_size(s);

    if (sl->p && r < 35) {
        drop(sl);
        return;
    }
    if (sl->p && r < 60) {
        /* realloc keeps the common prefix */
        size_t keep = n < sl->n ? n : sl->n;
        unsigned char *q;
        check_block(sl, "content changed before realloc");
        q = (r & 1) ? realloc(sl->p, n) : reallocarray(sl->p, 1, n);
        if (!q && n) {
            fail("realloc returned NULL", n);
            return;
        }
        if (!intact(q, keep, sl->seed))
            fail("realloc lost the payload", n);
        sl->p = q;
        sl->n = n;
        fill(q, n, sl->seed);
        if (n == 0 && !q) /* glibc semantics allow either */
            sl->p = NULL;
        return;
    }
    if (sl->p && r < 70) {
        /* hand the block to another thread, take whatever is in the box */
        slot_t mine = *sl, got;
        size_t i = rnd(s) % MAILBOX;
        check_block(sl, "content changed before hand-off");
        pthread_mutex_lock(&mail_lock);
        got = mailbox[i];
        mailbox[i] = mine;
        pthread_mutex_unlock(&mail_lock);
        *sl = got;
        if (sl->p)
            check_block(sl, "content changed in another thread's hands");
        return;
    }
    drop(sl);
    sl->seed = rnd(s) ^ (uint32_t)tid;
    sl->n = n;
    if (r < 80) {
        sl->p = calloc(1, n);
        if (sl->p)
            for (size_t i = 0; i < n; i++)
                if (sl->p[i]) {
                    fail("calloc memory not zero", n);
                    break;
                }
    } else if (r < 85) {
        size_t al = (size_t)32 << (rnd(s) % 8); /* 32 .. 4096 */
        void *p = NULL;
        if (r & 1) {
            if (posix_memalign(&p, al, n) != 0)
                p = NULL;
        } else {
            p = aligned_alloc(al, n);
        }
        if (p && ((uintptr_t)p & (al - 1)) != 0)
            fail("aligned block misaligned", n);
        sl->p = p;
    } else {
        sl->p = malloc(n);
    }
    if (!sl->p) {
        fail("allocation returned NULL", n);
        return;
    }
    fill(sl->p, n, sl->seed);
}

/* In the child after fork: allocate, check, free; exit status is the verdict. */
static void child_work(void)
{
    uint32_t s = 12345;
    slot_t slots[SLOTS] = {{0}};
    for (int i = 0; i < 20000; i++)
        one_op(slots, &s, 99);
    for (int i = 0; i < SLOTS; i++)
        drop(&slots[i]);
    _exit(failed ? 1 : 0);
}

static void *worker(void *arg)
{
    int tid = (int)(intptr_t)arg;
    uint32_t s = 0x9e3779b9u * (uint32_t)(tid + 1);
    slot_t *slots = calloc(SLOTS, sizeof *slots);
    if (!slots) {
        fail("calloc of the slot table", SLOTS * sizeof *slots);
        return NULL;
    }
    for (long i = 0; i < ops_per_thread && !failed; i++) {
        one_op(slots, &s, tid);
        if (tid == 0 && i == ops_per_thread / 2) {
            int st;
            pid_t pid = fork();
            if (pid == 0)
                child_work();
            if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
                WEXITSTATUS(st) != 0)
                fail("forked child failed", 0);
        }
    }
    for (int i = 0; i < SLOTS; i++)
        drop(&slots[i]);
    free(slots);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[64];
    nthreads = argc > 1 ? atoi(argv[1]) : 4;
    ops_per_thread = argc > 2 ? atol(argv[2]) : 100000;
    if (nthreads < 1 || nthreads > 64 || ops_per_thread < 1) {
        fprintf(stderr, "usage: stress [THREADS 1..64 [OPS_PER_THREAD]]\n");
        return 2;
    }
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            fail("pthread_create", 0);
            return 1;
        }
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < MAILBOX; i++)
        drop(&mailbox[i]);
    /* success leaves errno alone; free never changes it (POSIX 2024) */
    {
        void *p, *q = NULL;
        ERRNO = EDOM;
        p = malloc(100);
        p = realloc(p, 5000);
        if (posix_memalign(&q, 64, 100) != 0)
            fail("posix_memalign", 100);
        free(p);
        free(q);
        if (ERRNO != EDOM)
            fail("errno changed by a successful call", 0);
        ERRNO = 0;
        if (posix_memalign(&q, 24, 100) != EINVAL || ERRNO != 0)
            fail("posix_memalign with alignment 24: expected EINVAL, errno untouched", 0);
    }
    /* size arithmetic: overflow must fail cleanly with ENOMEM (sizes through
     * a volatile, so the compiler neither warns nor folds the calls; errno
     * through ERRNO, since clang assumes malloc leaves errno alone and would
     * forward the 0 stored before the call to the check after it) */
    ERRNO = 0;
    if ((sink = calloc(big_half, 3)) != NULL || ERRNO != ENOMEM)
        fail("calloc overflow did not fail with ENOMEM", 0);
    ERRNO = 0;
    if ((sink = reallocarray(NULL, big_half, 3)) != NULL || ERRNO != ENOMEM)
        fail("reallocarray overflow did not fail with ENOMEM", 0);
    ERRNO = 0;
    if ((sink = malloc(big_half * 2 - 4096)) != NULL || ERRNO != ENOMEM)
        fail("huge malloc did not fail with ENOMEM", 0);
    printf("stress: %s, %d threads x %ld ops, fork from thread 0\n",
           failed ? "FAILED" : "ok", nthreads, ops_per_thread);
    return failed ? 1 : 0;
}
