/* SPDX-License-Identifier: MIT */
/*
 * kmem_bench.c - the kmem allocators against glibc and mimalloc, side by side
 * in one run (bench/bench_kmem.sh builds and runs it; figures in
 * BENCHMARKS.md).
 *
 *   churn      1 M live 200-byte objects in a ring; each step frees the
 *              oldest and allocates a new one (writing its first word
 *              once, as a user initialising it would; the same loop, no
 *              division, for all three allocators):
 *              ns per free+alloc pair for kmem_cache_alloc/free (per-CPU
 *              magazines), glibc malloc/free, mimalloc mi_malloc/mi_free
 *              (dlopen'ed with RTLD_LOCAL so it does not replace malloc).
 *   random     the same with a random victim instead of the oldest.
 *   threads    kmem churn in 1 and 2 threads (CPUs 0 and 1, 512 K live each),
 *              pairs per second: the scaling ratio.
 *   pipelined  kmem churn with its frees delayed 16 steps in a FIFO, each
 *              object prefetched for write when parked (what a FIFO-ordered
 *              magazine would do), the real calls unchanged.
 *   limits     the machine's memory limits and the FIFO and random floors:
 *              the churn loop with no allocator calls (see churn_floor),
 *              and with the least allocator there is (a pointer stack
 *              behind two calls, churn_stack).
 *   pages      alloc_pages(GFP_KERNEL, 0) + free_pages pairs: through the
 *              per-CPU lists, and straight to the buddy lists (no_pcp) with
 *              memory pre-fragmented (every other page allocated) so that a
 *              pair is one list pop and one push, and with all memory free
 *              (a pair splits an order-10 block and merges it back).
 *
 * Times are each thread's CPU time (CLOCK_THREAD_CPUTIME_ID); the thread
 * figure adds the two threads' rates, each from its own CPU time.
 *
 * usage: kmem_bench [-s SAMPLES] [-n LIVE] [-i ITERS]; medians of SAMPLES.
 *        kmem_bench -n LIVE -i ITERS -p k|g|m|kr|gr|mr|kp|kpr|f|fp|fh|fr|s|sr|p0|p1|p2: one
 *        measurement alone (kp: pipelined kmem churn; f: the FIFO floor, fp: with prefetch,
 *        fh: 2 MiB pages, fr: the random floor; s, sr: the trivial pointer stack)
 *        (for valgrind --tool=callgrind instruction counts).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmlab/kmem.h"

/* The calling thread's CPU time: the machine is shared (2 cores, many
 * jobs), and wall time would count the time other jobs hold our core. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef enum { A_KMEM, A_GLIBC, A_MIMALLOC, A_KMEM_PIPE, A_STACK } alloc_kind_t;

static void *(*mi_malloc_p)(size_t);
static void (*mi_free_p)(void *);

typedef struct churn {
    alloc_kind_t kind;
    kmem_cache_t *c;
    void **ring;
    size_t live;
    uint64_t iters;
    int random;
    unsigned cpu;
    double ns;     /* OUT: ns per pair */
} churn_t;

/* One churn loop per allocator, the allocator's calls written out (no
 * switch in the loop), the same steps for all three: pick the victim (the
 * oldest: a wrapping index; or random: xorshift64 reduced by multiply-shift,
 * no division), free it, allocate, write the new object's first word once
 * (as a user initialising it would: the allocator hands out a cold line and
 * the write pays for it), store the pointer in the ring. */
#define CHURN_LOOP(NAME, ALLOC, FREE)                                                                        \
    static void NAME(churn_t *t)                                                                            \
    {                                                                                                        \
        kmem_cache_t *c = t->c;                                                                              \
        void **ring = t->ring;                                                                               \
        size_t live = t->live, k = 0;                                                                        \
        void *p;                                                                                             \
        uint64_t x = 88172645463325252ull + t->cpu, t0, iters = t->iters;                                    \
        (void)c;                                                                                             \
        for (size_t i = 0; i < live; i++) {                                                                  \
            ring[i] = ALLOC;                                                                                 \
            *(uint64_t *)ring[i] = i;                                                                        \
        }                                                                                                    \
        t0 = now_ns();                                                                                       \
        for (uint64_t i = 0; i < iters; i++) {                                                               \
            if (t->random) {                                                                                 \
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;                                                     \
                k = (size_t)(((x >> 32) * (uint64_t)live) >> 32);                                            \
            } else if (++k == live) {                                                                        \
                k = 0;                                                                                       \
            }                                                                                                \
            p = ring[k];                                                                                     \
            FREE;                                                                                            \
            p = ALLOC;                                                                                       \
            *(uint64_t *)p = i;                                                                              \
            ring[k] = p;                                                                                     \
        }                                                                                                    \
        t->ns = (double)(now_ns() - t0) / (double)iters;                                                     \
        for (size_t i = 0; i < live; i++) {                                                                  \
            p = ring[i];                                                                                     \
            FREE;                                                                                            \
        }                                                                                                    \
    }

CHURN_LOOP(churn_kmem, kmem_cache_alloc(c, 0), kmem_cache_free(c, p))

/* Software pipelining around the real calls: free(p) prefetches p for write
 * and parks it in a FIFO of DELAY_Q; the object parked DELAY_Q frees ago
 * goes to kmem_cache_free instead, and the LIFO magazine hands that one
 * out at the next alloc, its line fetched DELAY_Q steps earlier.  What a
 * FIFO-ordered magazine would do, measured without changing the library. */
#define DELAY_Q 16
static void *delay_q[DELAY_Q];
static unsigned delay_n;
static inline void delayed_free(kmem_cache_t *c, void *p)
{
    void **slot = &delay_q[delay_n++ & (DELAY_Q - 1)];
    void *old = *slot;
    __builtin_prefetch(p, 1, 3);
    *slot = p;
    if (old)
        kmem_cache_free(c, old);
}
CHURN_LOOP(churn_kmem_pipe, kmem_cache_alloc(c, 0), delayed_free(c, p))
CHURN_LOOP(churn_glibc, malloc(200), free(p))
CHURN_LOOP(churn_mi, mi_malloc_p(200), mi_free_p(p))

/* The least any allocator can be in this loop: a stack of pointers to 200-
 * byte slots of one arena (filled in address order, as a fresh cache hands
 * them out), popped and pushed through calls the compiler cannot inline
 * (as the library's and glibc's are not), with no check at all.  It hands
 * the freed object straight back, as kmem, glibc and mimalloc's page list
 * do, so its steps touch the same lines in the same order as theirs. */
static void **stk;
static size_t stk_n;
static __attribute__((noinline)) void *stack_alloc(void) { return stk[--stk_n]; }
static __attribute__((noinline)) void stack_free(void *p) { stk[stk_n++] = p; }
CHURN_LOOP(churn_stack, stack_alloc(), stack_free(p))

/* ---- the machine's limits: what any allocator's FIFO churn must pay ----
 *
 * FIFO churn frees the object allocated 1 M steps ago and (LIFO magazine,
 * tcache or mimalloc's page free list alike) hands it straight back; the
 * caller writes its first word.  1 M live 200-byte objects are 200 MB, past
 * the 32 MiB L3, so that write misses: each step brings one line in from
 * DRAM and later writes one dirty line back, plus 1/8 of a line of the ring
 * each way.  Three loops with no allocator measure it:
 *   stream     sum every word of 256 MiB (sequential read bandwidth), and
 *              write one word per 64-byte line (each line read for
 *              ownership and written back): ns per line.
 *   latency    a random cyclic pointer chase over 256 MiB: ns per miss.
 *   floor      the churn loop itself with the allocator calls taken out:
 *              the ring holds 1 M 200-byte slots of one arena in address
 *              order (as a fresh cache hands them out), each step reads
 *              the oldest pointer, writes its object's first word and
 *              stores the pointer back, which is exactly the user's part
 *              of a FIFO step when the freed object is handed back. */
#define LIMIT_BYTES ((size_t)256 << 20)

static double stream_read(const uint64_t *buf, size_t words, int reps)
{
    uint64_t t0 = now_ns(), sum = 0;
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < words; i += 4)
            sum += buf[i] + buf[i + 1] + buf[i + 2] + buf[i + 3];
    __asm__ volatile("" : : "r"(sum));
    return (double)(now_ns() - t0) / ((double)words * 8 * reps / 64); /* ns per line */
}

static double stream_rmw(uint64_t *buf, size_t words, int reps)
{
    uint64_t t0 = now_ns();
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < words; i += 8)
            buf[i] = i + (uint64_t)r;
    __asm__ volatile("" : : "r"(buf) : "memory");
    return (double)(now_ns() - t0) / ((double)words * reps / 8);
}

static double chase(size_t lines, uint64_t steps)
{
    /* one pointer per line, a random cycle through all of them (Sattolo) */
    size_t *next = aligned_alloc(64, lines * 64), i = 0;
    uint64_t x = 2463534242u, t0;
    for (size_t j = 0; j < lines; j++)
        next[j * 8] = j;
    for (size_t j = lines - 1; j > 0; j--) {
        size_t r, t;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        r = (size_t)(x % j);
        t = next[j * 8], next[j * 8] = next[r * 8], next[r * 8] = t;
    }
    t0 = now_ns();
    for (uint64_t s = 0; s < steps; s++)
        i = next[i * 8];
    __asm__ volatile("" : : "r"(i));
    t0 = now_ns() - t0;
    free(next);
    return (double)t0 / (double)steps;
}

/* The floor loop; with pf > 0 it also prefetches (for write) the object
 * pf steps ahead: the best software pipelining can do for this pattern;
 * with huge, on 2 MiB pages. */
static double churn_floor(size_t live, uint64_t iters, size_t stride, size_t pf, int huge, int random)
{
    size_t bytes = (live * stride + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1);
    unsigned char *arena = aligned_alloc((size_t)2 << 20, bytes);
    if (huge) /* 2 MiB pages where THP is "madvise": fewer TLB misses, no 4 KiB prefetch stops */
        madvise(arena, bytes, MADV_HUGEPAGE);
    void **ring = malloc(live * sizeof *ring), *p;
    size_t k = 0;
    uint64_t t0, x = 88172645463325252ull;
    for (size_t i = 0; i < live; i++) {
        ring[i] = arena + i * stride;
        *(uint64_t *)ring[i] = i;
    }
    t0 = now_ns();
    for (uint64_t i = 0; i < iters; i++) {
        if (random) { /* the churn loop's victim, the same generator */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            k = (size_t)(((x >> 32) * (uint64_t)live) >> 32);
        } else if (++k == live) {
            k = 0;
        }
        p = ring[k];
        if (pf)
            __builtin_prefetch(ring[k + pf < live ? k + pf : k + pf - live], 1, 3);
        __asm__ volatile("" : "+r"(p)); /* the allocator's pair would be here */
        *(uint64_t *)p = i;
        ring[k] = p;
    }
    t0 = now_ns() - t0;
    free(ring);
    free(arena);
    return (double)t0 / (double)iters;
}

static void *churn_run(void *arg)
{
    churn_t *t = arg;
    kmem_set_cpu(t->cpu);
    if (t->kind == A_KMEM)
        churn_kmem(t);
    else if (t->kind == A_KMEM_PIPE)
        churn_kmem_pipe(t);
    else if (t->kind == A_GLIBC)
        churn_glibc(t);
    else if (t->kind == A_STACK)
        churn_stack(t);
    else
        churn_mi(t);
    return NULL;
}

static kmem_t *mk(uint64_t mb, unsigned cpus, int no_pcp)
{
    kmem_config_t c = {.mem_bytes = mb << 20, .cpus = cpus, .no_pcp = no_pcp};
    kmem_t *km;
    if (kmem_create(&c, &km, NULL) != 0) {
        fprintf(stderr, "kmem_bench: cannot create %ju MiB\n", (uintmax_t)mb);
        exit(1);
    }
    return km;
}

static double churn_once(alloc_kind_t kind, size_t live, uint64_t iters, int random)
{
    churn_t t = {.kind = kind, .live = live, .iters = iters, .random = random};
    kmem_t *km = NULL;
    unsigned char *arena = NULL;
    t.ring = malloc(live * sizeof *t.ring);
    if (kind == A_KMEM || kind == A_KMEM_PIPE) {
        km = mk(1024, 2, 0);
        t.c = kmem_cache_create(km, "bench200", 200, 0, 0, NULL);
    }
    if (kind == A_STACK) { /* the slots, pushed so that the first pop is the lowest */
        arena = aligned_alloc(4096, (live * 200 + 4095) & ~(size_t)4095);
        stk = malloc(live * sizeof *stk);
        for (stk_n = 0; stk_n < live; stk_n++)
            stk[stk_n] = arena + (live - 1 - stk_n) * 200;
    }
    churn_run(&t);
    if (kind == A_STACK) {
        free(stk);
        free(arena);
    }
    for (unsigned i = 0; i < DELAY_Q; i++) { /* the pipelined loop's parked objects */
        if (delay_q[i])
            kmem_cache_free(t.c, delay_q[i]);
        delay_q[i] = NULL;
    }
    free(t.ring);
    kmem_destroy(km);
    return t.ns;
}

/* pairs per second of `threads` threads, each with its own ring */
static double threads_once(int threads, size_t live, uint64_t iters)
{
    kmem_t *km = mk(1024, 2, 0);
    kmem_cache_t *c = kmem_cache_create(km, "bench200", 200, 0, 0, NULL);
    churn_t t[2];
    pthread_t th[2];
    uint64_t t0;
    for (int i = 0; i < threads; i++) {
        t[i] = (churn_t){.kind = A_KMEM, .c = c, .live = live, .iters = iters, .cpu = (unsigned)i};
        t[i].ring = malloc(live * sizeof(void *));
    }
    t0 = now_ns();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, churn_run, &t[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    (void)t0;
    {
        double rate = 0;
        for (int i = 0; i < threads; i++) {
            rate += 1e9 / t[i].ns; /* pairs per second of this thread, measured over its loop */
            free(t[i].ring);
        }
        kmem_destroy(km);
        return rate;
    }
}

static double pages_once(int no_pcp, int fragmented, uint64_t iters)
{
    kmem_t *km = mk(256, 1, no_pcp);
    kmem_page_t **hold = NULL;
    size_t nh = 0;
    uint64_t t0;
    double ns;
    if (fragmented) { /* every other page allocated: free order-0 pages have busy buddies */
        size_t n = 20000;
        kmem_page_t **all = malloc(n * sizeof *all);
        hold = malloc(n * sizeof *hold);
        for (size_t i = 0; i < n; i++)
            all[i] = kmem_alloc_pages(km, KMEM_GFP_KERNEL, 0);
        for (size_t i = 0; i < n; i++) {
            if (kmem_page_to_pfn(km, all[i]) % 2)
                hold[nh++] = all[i];
            else
                kmem_free_pages(km, all[i], 0);
        }
        free(all);
    }
    t0 = now_ns();
    for (uint64_t i = 0; i < iters; i++) {
        kmem_page_t *p = kmem_alloc_pages(km, KMEM_GFP_KERNEL, 0);
        kmem_free_pages(km, p, 0);
    }
    ns = (double)(now_ns() - t0) / (double)iters;
    for (size_t i = 0; i < nh; i++)
        kmem_free_pages(km, hold[i], 0);
    free(hold);
    kmem_destroy(km);
    return ns;
}

int main(int argc, char **argv)
{
    int samples = 5, opt;
    size_t live = 1u << 20;
    uint64_t iters = 10000000;
    void *mi = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    double v[3][16], r[2][16], pg[3][16], rnd[3][16], lim[9][16], pipe[2][16];
    uint64_t *buf;
    if (mi) {
        mi_malloc_p = (void *(*)(size_t))dlsym(mi, "mi_malloc");
        mi_free_p = (void (*)(void *))dlsym(mi, "mi_free");
    }
    while ((opt = getopt(argc, argv, "s:n:i:p:")) != -1) {
        if (opt == 'p') { /* one measurement alone, for callgrind: p0 pcp, p1 fragmented, p2 split+merge, k kmem churn, g glibc,
                             m mimalloc; kr gr mr: random victims */
            int rnd1 = optarg[0] && optarg[1] == 'r';
            if (optarg[0] == 'f') { /* the FIFO floor loop alone; fp: with prefetch */
                printf("%.2f ns\n",
                       churn_floor(live, iters, 200, optarg[1] == 'p' ? 16 : 0, optarg[1] == 'h', optarg[1] == 'r'));
                return 0;
            }
            if (optarg[0] == 's') { /* the trivial pointer stack; sr: random victims */
                printf("%.2f ns\n", churn_once(A_STACK, live, iters, rnd1));
                return 0;
            }
            if (optarg[0] == 'k' && optarg[1] == 'p') { /* kmem FIFO churn, pipelined */
                printf("%.2f ns\n", churn_once(A_KMEM_PIPE, live, iters, optarg[2] == 'r'));
                return 0;
            }
            double ns = optarg[0] == 'k' ? churn_once(A_KMEM, live, iters, rnd1)
                        : optarg[0] == 'g' ? churn_once(A_GLIBC, live, iters, rnd1)
                        : optarg[0] == 'm' && mi_malloc_p ? churn_once(A_MIMALLOC, live, iters, rnd1)
                                           : pages_once(optarg[1] != '0', optarg[1] == '1', iters);
            printf("%.2f ns\n", ns);
            return 0;
        }
        if (opt == 's')
            samples = atoi(optarg);
        else if (opt == 'n')
            live = (size_t)atol(optarg);
        else if (opt == 'i')
            iters = (uint64_t)atoll(optarg);
    }
    if (samples < 1 || samples > 16 || live < 1)
        return 2;
    buf = aligned_alloc(64, LIMIT_BYTES);
    if (!buf)
        return 1;
    memset(buf, 1, LIMIT_BYTES);
    for (int s = 0; s < samples; s++) {
        lim[0][s] = stream_read(buf, LIMIT_BYTES / 8, 2);
        lim[1][s] = stream_rmw(buf, LIMIT_BYTES / 8, 2);
        lim[2][s] = chase(LIMIT_BYTES / 64, 1000000);
        lim[3][s] = churn_floor(live, iters, 200, 0, 0, 0);
        lim[4][s] = churn_floor(live, iters, 200, 16, 0, 0);
        lim[5][s] = churn_floor(live, iters, 200, 0, 1, 0);
        lim[6][s] = churn_floor(live, iters / 4, 200, 0, 0, 1);
        lim[7][s] = churn_once(A_STACK, live, iters, 0);
        lim[8][s] = churn_once(A_STACK, live, iters / 4, 1);
        pipe[0][s] = churn_once(A_KMEM_PIPE, live, iters, 0);
        pipe[1][s] = churn_once(A_KMEM_PIPE, live, iters / 4, 1);
        for (int k = 0; k < 3; k++) {
            if (k == A_MIMALLOC && !mi_malloc_p) {
                v[k][s] = rnd[k][s] = 0;
                continue;
            }
            v[k][s] = churn_once((alloc_kind_t)k, live, iters, 0);
            rnd[k][s] = churn_once((alloc_kind_t)k, live, iters / 4, 1);
        }
        r[0][s] = threads_once(1, live / 2, iters);
        r[1][s] = threads_once(2, live / 2, iters);
        pg[0][s] = pages_once(0, 0, iters);
        pg[1][s] = pages_once(1, 1, iters);
        pg[2][s] = pages_once(1, 0, iters / 4);
    }
    {
        double k = median(v[0], samples), g = median(v[1], samples), m = median(v[2], samples);
        double kr = median(rnd[0], samples), gr = median(rnd[1], samples), mr = median(rnd[2], samples);
        double r1 = median(r[0], samples), r2 = median(r[1], samples);
        printf("# kmem_bench -s %d -n %zu -i %ju   (medians of %d samples)\n", samples, live, (uintmax_t)iters, samples);
        printf("%-44s %10s %10s %10s %9s %9s\n", "200-byte objects, 1 M live, free+alloc pair", "kmem ns", "glibc ns",
               "mimalloc", "glibc/km", "mi/km");
        printf("%-44s %10.2f %10.2f %10.2f %9.2f %9.2f\n", "churn (free the oldest)", k, g, m, g / k, m > 0 ? m / k : 0);
        printf("%-44s %10.2f %10.2f %10.2f %9.2f %9.2f\n", "churn (free a random one)", kr, gr, mr, gr / kr,
               mr > 0 ? mr / kr : 0);
        printf("%-44s %10.2f %10.2f %10.2f %9.2f %9.2f\n", "churn (oldest), free delayed 16 + prefetch",
               median(pipe[0], samples), g, m, g / median(pipe[0], samples), m > 0 ? m / median(pipe[0], samples) : 0);
        printf("%-44s %10.2f %10.2f %10.2f %9.2f %9.2f\n", "churn (random), free delayed 16 + prefetch",
               median(pipe[1], samples), gr, mr, gr / median(pipe[1], samples),
               mr > 0 ? mr / median(pipe[1], samples) : 0);
        printf("%-44s %10.2f %10.2f %9.2fx\n", "kmem threads: M pairs/s, 1 thread / 2", r1 / 1e6, r2 / 1e6, r2 / r1);
        printf("%-44s %10.2f\n", "alloc_pages+free_pages order 0, per-CPU list", median(pg[0], samples));
        printf("%-44s %10.2f\n", "  buddy lists only, fragmented (no split)", median(pg[1], samples));
        printf("%-44s %10.2f\n", "  buddy lists only, all free (split+merge 10)", median(pg[2], samples));
        {
            double rd = median(lim[0], samples), rmw = median(lim[1], samples), fl = median(lim[3], samples);
            printf("machine limits, no allocator (256 MiB)          ns     GB/s\n");
            printf("%-44s %10.2f %8.2f\n", "  sequential read, per 64-byte line", rd, 64 / rd);
            printf("%-44s %10.2f %8.2f\n", "  one word written per line (RFO+writeback)", rmw, 128 / rmw);
            printf("%-44s %10.2f\n", "  random pointer chase, per miss", median(lim[2], samples));
            printf("%-44s %10.2f   glibc/3 %.2f  glibc/floor %.2f  kmem/floor %.2f\n",
                   "  FIFO step floor (churn loop, no calls)", fl, g / 3, g / fl, k / fl);
            printf("%-44s %10.2f\n", "  the same, prefetching 16 steps ahead", median(lim[4], samples));
            printf("%-44s %10.2f\n", "  the same, on 2 MiB pages (THP madvise)", median(lim[5], samples));
            printf("%-44s %10.2f   glibc/3 %.2f  glibc/floor %.2f  kmem/floor %.2f\n",
                   "  random step floor (churn loop, no calls)", median(lim[6], samples), gr / 3,
                   gr / median(lim[6], samples), kr / median(lim[6], samples));
            printf("%-44s %10.2f   glibc/3 %.2f  kmem/stack %.2f\n", "  pointer stack, 2 calls, FIFO",
                   median(lim[7], samples), g / 3, k / median(lim[7], samples));
            printf("%-44s %10.2f   glibc/3 %.2f  kmem/stack %.2f\n", "  pointer stack, 2 calls, random",
                   median(lim[8], samples), gr / 3, kr / median(lim[8], samples));
        }
    }
    return 0;
}
