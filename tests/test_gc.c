/* SPDX-License-Identifier: MIT */
/*
 * test_gc.c - vmlab gc: reachable blocks survive and unreachable ones are
 * collected, whatever holds the pointer (a list, a tree, a cycle, a register,
 * the stack, BSS, a registered range, an interior pointer); atomic blocks are
 * not scanned; deep recursion; mark stack overflow; blacklisting; random
 * object graphs against a breadth-first-search oracle; explicit free, realloc,
 * the heap limit, and the aborts on bad frees.
 *
 * Conservative collection means a stale copy of a pointer (in a dead stack
 * slot, a register) can keep a block alive.  Tests that expect a block to be
 * collected therefore make it in a separate (noinline) function, keep only a
 * disguised copy (addresses XOR MASK, in memory no root covers), and clear
 * the stack below before collecting.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rng.h"
#include "gc/gc_impl.h"
#include "harness.h"
#include "vmlab/gc.h"

#define MASK ((uintptr_t)0x5a5a5a5a5a5a5a5aull)

typedef struct node {
    struct node *left, *right; /* children, or next/NULL for lists */
    uintptr_t magic;           /* MAGIC ^ index: detects reuse of a live block */
    uintptr_t index;
} node_t;
#define MAGIC ((uintptr_t)0x6763676367636763ull)
#define NOINLINE __attribute__((noinline))

static uintptr_t hide(const void *p) { return (uintptr_t)p ^ MASK; }
/* Not inlined and opaque: a caller cannot keep the result in a register
 * across a collection as a common subexpression. */
NOINLINE static void *unhide(uintptr_t h)
{
    __asm__ volatile("" : "+r"(h));
    return (void *)(h ^ MASK);
}

/* Roots in BSS used by the tests. */
static node_t *volatile g_root; /* volatile: stores to a root nobody reads must stay */
static volatile uintptr_t g_word;

/* Zero a large piece of the stack below the caller, so that dead frames
 * hold no stale copies of pointers. */
NOINLINE static void clear_stack(void)
{
    volatile char buf[64 << 10];
    memset((char *)buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

/* Clear the stack at the caller's level first, so that gc_collect's own
 * frames (where earlier calls' frames were) hold no stale words either. */
#define collect_clean() (clear_stack(), gc_collect())

/* Under ASan (-O1, instrumented frames) the compiler leaves more stale
 * copies of pointers in frames and registers than a conservative collector
 * can be protected from by clearing the stack: a few blocks may be kept.
 * The checks that blocks survive are exact everywhere; the checks that they
 * go are exact in the optimised build and allow STALE blocks under ASan. */
#ifdef __SANITIZE_ADDRESS__
#define STALE 4
#else
#define STALE 0
#endif
#define CHECK_GONE(p) CHECK(STALE > 0 || !gc_is_live(p))
#define CHECK_NONE_LIVE(h, n) CHECK_MSG(count_live(h, n) <= STALE, "%zu blocks still live", count_live(h, n))

/* Hidden addresses: an mmap'd array (not a root). */
static uintptr_t *hidden_array(size_t n)
{
    void *m = mmap(NULL, n * sizeof(uintptr_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

static node_t *node(uintptr_t i)
{
    node_t *n = gc_malloc(sizeof *n);
    if (n) {
        n->magic = MAGIC ^ i;
        n->index = i;
    }
    return n;
}

/* A list of n nodes, addresses hidden in h[0..n). */
NOINLINE static node_t *make_list(size_t n, uintptr_t *h)
{
    node_t *head = NULL;
    for (size_t i = n; i-- > 0;) {
        node_t *x = node(i);
        x->left = head;
        head = x;
        h[i] = hide(x);
    }
    return head;
}

static size_t count_live(const uintptr_t *h, size_t n)
{
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += gc_is_live(unhide(h[i]));
    return live;
}

static int intact(const uintptr_t *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        node_t *x = unhide(h[i]);
        if (x->magic != (MAGIC ^ i) || x->index != i)
            return 0;
    }
    return 1;
}

TEST(list_in_bss_survives_then_is_collected)
{
    uintptr_t *h = hidden_array(1000);
    CHECK(h != NULL);
    g_root = make_list(1000, h);
    collect_clean();
    CHECK_EQ(count_live(h, 1000), 1000);
    CHECK(intact(h, 1000));
    g_root = NULL;
    collect_clean();
    CHECK_NONE_LIVE(h, 1000);
    munmap(h, 1000 * sizeof *h);
}

NOINLINE static node_t *make_tree(int depth, uintptr_t *h, size_t *k)
{
    node_t *x = node(*k);
    h[(*k)++] = hide(x);
    if (depth > 0) {
        x->left = make_tree(depth - 1, h, k);
        x->right = make_tree(depth - 1, h, k);
    }
    return x;
}

/* A cycle of n nodes; returns nothing, addresses in h. */
NOINLINE static void make_cycle(size_t n, uintptr_t *h)
{
    node_t *first = node(0), *prev = first;
    h[0] = hide(first);
    for (size_t i = 1; i < n; i++) {
        node_t *x = node(i);
        h[i] = hide(x);
        prev->left = x;
        prev = x;
    }
    prev->left = first;
}

TEST(tree_survives_unreachable_cycle_collected)
{
    size_t nt = (1u << 11) - 1, k = 0;
    uintptr_t *ht = hidden_array(nt), *hc = hidden_array(100);
    CHECK(ht && hc);
    g_root = make_tree(10, ht, &k);
    CHECK_EQ(k, nt);
    make_cycle(100, hc);
    collect_clean();
    CHECK_EQ(count_live(ht, nt), nt);
    CHECK(intact(ht, nt));
    CHECK(STALE > 0 || count_live(hc, 100) == 0); /* one stale word keeps a whole cycle */
    /* the same cycle, reachable through one of its nodes */
    make_cycle(100, hc);
    g_word = (uintptr_t)unhide(hc[50]);
    collect_clean();
    CHECK_EQ(count_live(hc, 100), 100);
    g_word = 0;
    g_root = NULL;
    collect_clean();
    CHECK_NONE_LIVE(ht, nt);
    CHECK(STALE > 0 || count_live(hc, 100) == 0); /* one stale word keeps a whole cycle */
}

NOINLINE static uintptr_t make_one(void)
{
    return hide(node(7));
}

TEST(pointer_only_in_a_register)
{
    uintptr_t h = make_one();
    /* the only copy lives in r12, a callee-saved register, across the call */
    register uintptr_t r __asm__("r12") = h ^ MASK;
    __asm__ volatile("" : "+r"(r));
    collect_clean();
    __asm__ volatile("" : "+r"(r));
    CHECK(gc_is_live(unhide(h)));
    CHECK_EQ(((node_t *)r)->index, 7);
    r = 0;
    __asm__ volatile("" : "+r"(r));
    collect_clean();
    CHECK_GONE(unhide(h));
}

NOINLINE static int stack_holder(uintptr_t h, int depth)
{
    /* the pointer in a stack slot of a frame a few calls up */
    void *volatile p = unhide(h);
    int r;
    if (depth > 0)
        r = stack_holder(h, depth - 1);
    else {
        collect_clean();
        r = gc_is_live(unhide(h));
    }
    return r + (p == NULL);
}

TEST(pointer_only_on_the_stack)
{
    uintptr_t h = make_one();
    CHECK_EQ(stack_holder(h, 3), 1);
    collect_clean();
    CHECK_GONE(unhide(h));
}

TEST(pointer_only_in_bss_and_conservatism)
{
    uintptr_t h = make_one();
    /* an integer that happens to equal the address keeps the block */
    g_word = (uintptr_t)unhide(h);
    collect_clean();
    CHECK(gc_is_live(unhide(h)));
    g_word = 0;
    collect_clean();
    CHECK_GONE(unhide(h));
}

TEST(pointer_only_in_a_registered_range)
{
    uintptr_t *area = hidden_array(512), h = make_one();
    CHECK(area != NULL);
    area[100] = (uintptr_t)unhide(h);
    CHECK_EQ(gc_add_roots(area, area + 512), 0);
    collect_clean();
    CHECK(gc_is_live(unhide(h)));
    CHECK_EQ(gc_remove_roots(area, area + 512), 0);
    CHECK_EQ(gc_remove_roots(area, area + 512), -ENOENT);
    CHECK_EQ(gc_add_roots(area + 1, area + 1), -EINVAL);
    collect_clean();
    CHECK_GONE(unhide(h));
    munmap(area, 512 * sizeof *area);
}

/* A large block rooted only by g_word, pointing into its third page. */
NOINLINE static uintptr_t make_big(void)
{
    char *big = gc_malloc(5 * 4096);
    g_word = (uintptr_t)big + 2 * 4096 + 40;
    return hide(big);
}

/* In a helper: the pointers it computes stay out of the test's registers. */
NOINLINE static int big_base_found(uintptr_t h)
{
    return gc_base((char *)unhide(h) + 3 * 4096) == unhide(h);
}

TEST(interior_pointers_count_unless_base_only)
{
    uintptr_t h = make_one();
    g_word = (uintptr_t)unhide(h) + 17;
    collect_clean();
    CHECK(gc_is_live(unhide(h)));
    gc_set_interior_pointers(0);
    collect_clean();
    gc_set_interior_pointers(1);
    CHECK_GONE(unhide(h));
    /* a large block, by a pointer into its third page */
    {
        h = make_big();
        collect_clean();
        CHECK(gc_is_live(unhide(h)));
        CHECK(big_base_found(h));
        g_word = 0;
        collect_clean();
        CHECK_GONE(unhide(h));
    }
}

/* An atomic and a scanned block, each holding the only pointer to the
 * node hidden in h; the atomic one is rooted in g_word, the other in g_root. */
NOINLINE static void make_holders(uintptr_t h, uintptr_t *hs, uintptr_t *ha)
{
    void **atom = gc_malloc_atomic(64), **scanned = gc_malloc(64);
    atom[3] = unhide(h);
    scanned[3] = unhide(h);
    *hs = hide(scanned);
    *ha = hide(atom);
    g_word = (uintptr_t)atom;
    g_root = (node_t *)scanned;
}

TEST(atomic_blocks_are_not_scanned)
{
    uintptr_t h = make_one(), hs, ha;
    make_holders(h, &hs, &ha);
    collect_clean();
    CHECK(gc_is_live(unhide(h)));
    g_root = NULL; /* now only the atomic block points at it */
    collect_clean();
    CHECK(gc_is_live(unhide(ha)));
    CHECK_GONE(unhide(hs));
    CHECK_GONE(unhide(h));
    g_word = 0;
}

/* Depth d frames each holding a fresh node in a local; collections (many,
 * by allocating garbage) at the bottom. */
NOINLINE static int recurse(int d, uintptr_t *h)
{
    node_t *volatile mine = node((uintptr_t)d);
    int ok;
    h[d] = hide(mine);
    if (d > 0) {
        ok = recurse(d - 1, h);
    } else {
        for (int i = 0; i < 200000; i++)
            (void)gc_malloc(48); /* garbage: forces automatic collections */
        gc_collect();
        ok = 1;
    }
    return ok && mine->magic == (MAGIC ^ (uintptr_t)d) && gc_is_live(mine);
}

TEST(deep_recursion_keeps_every_frame_live)
{
    enum { DEPTH = 20000 };
    uintptr_t *h = hidden_array(DEPTH + 1);
    gc_stats_t a, b;
    CHECK(h != NULL);
    gc_get_stats(&a);
    CHECK(recurse(DEPTH, h));
    gc_get_stats(&b);
    CHECK(b.collections >= a.collections + 2);
    CHECK(b.freed_bytes > a.freed_bytes);
    collect_clean();
    CHECK_NONE_LIVE(h, DEPTH + 1);
    munmap(h, (DEPTH + 1) * sizeof *h);
}

/* A tree where each node has `fan` children in a pointer array. */
NOINLINE static void **make_wide(int depth, int fan, uintptr_t *h, size_t *k)
{
    void **x = gc_malloc((size_t)fan * sizeof(void *));
    h[(*k)++] = hide(x);
    if (depth > 0)
        for (int i = 0; i < fan; i++)
            x[i] = make_wide(depth - 1, fan, h, k);
    return x;
}

TEST(mark_stack_overflow_recovers)
{
    size_t n = 1 + 16 + 256 + 4096, k = 0;
    uintptr_t *h = hidden_array(n), *hl = hidden_array(3000);
    gc_stats_t a, b;
    CHECK(h && hl);
    g_root = (node_t *)make_wide(3, 16, h, &k);
    CHECK_EQ(k, n);
    g_word = (uintptr_t)make_list(3000, hl);
    CHECK_EQ(gc_set_mark_stack(4), 0);
    gc_get_stats(&a);
    collect_clean();
    gc_get_stats(&b);
    CHECK_EQ(gc_set_mark_stack(1 << 16), 0);
    CHECK(b.mark_overflows > a.mark_overflows);
    CHECK_EQ(count_live(h, n), n);
    CHECK_EQ(count_live(hl, 3000), 3000);
    CHECK(intact(hl, 3000));
    g_root = NULL;
    g_word = 0;
    collect_clean();
    CHECK_NONE_LIVE(h, n);
    CHECK_NONE_LIVE(hl, 3000);
}

TEST(blacklisted_pages_are_not_allocated)
{
    uintptr_t *keep = hidden_array(40000), fake;
    gc_stats_t st;
    int hit = 0;
    CHECK(keep != NULL);
    CHECK(gc_init() == 0);
    /* a word pointing a few pages past the committed heap */
    fake = gc_g.base + gc_g.top + 3 * GC_PAGE + 64;
    g_word = fake;
    collect_clean();
    gc_get_stats(&st);
    CHECK(st.blacklisted_pages >= 1);
    CHECK_EQ(gc_add_roots(keep, keep + 40000), 0);
    for (int i = 0; i < 40000; i++) {
        keep[i] = (uintptr_t)gc_malloc(100);
        hit |= (keep[i] & ~(uintptr_t)(GC_PAGE - 1)) == (fake & ~(uintptr_t)(GC_PAGE - 1));
    }
    CHECK(gc_g.top > fake - gc_g.base); /* the heap did grow past the page */
    CHECK(!hit);
    CHECK_EQ(gc_remove_roots(keep, keep + 40000), 0);
    g_word = 0;
    collect_clean();
    gc_get_stats(&st);
    CHECK(st.blacklisted_pages <= STALE);
    munmap(keep, 40000 * sizeof *keep);
}

/* Random object graphs: n nodes with up to 4 random edges each, a few roots
 * in a registered array; the survivors must be exactly the nodes a
 * breadth-first search over the index graph reaches. */
NOINLINE static void build_graph(vl_rng_t *r, size_t n, uintptr_t *h, uint32_t *edges, void **roots,
                                 size_t nroots, uint32_t *rootidx)
{
    for (size_t i = 0; i < n; i++) {
        size_t sz = 32 + vl_rng_below(r, 4) * 200 + (vl_rng_below(r, 50) == 0 ? 6000 : 0);
        void **x = gc_malloc(sz);
        h[i] = hide(x);
    }
    for (size_t i = 0; i < n; i++) {
        void **x = unhide(h[i]);
        for (int e = 0; e < 4; e++) {
            uint32_t t = vl_rng_below(r, 3) == 0 ? (uint32_t)vl_rng_below(r, n) : UINT32_MAX;
            edges[i * 4 + e] = t;
            /* interior pointers too: 8 bytes in */
            x[e] = t == UINT32_MAX ? NULL : (char *)unhide(h[t]) + (e == 3 ? 8 : 0);
        }
    }
    for (size_t i = 0; i < nroots; i++) {
        rootidx[i] = (uint32_t)vl_rng_below(r, n);
        roots[i] = unhide(h[rootidx[i]]);
    }
}

TEST(random_graphs_match_a_bfs_oracle)
{
    enum { N = 3000, R = 5 };
    uintptr_t *h = hidden_array(N);
    uint32_t *edges = malloc(sizeof(uint32_t) * N * 4), *q = malloc(sizeof(uint32_t) * N), rootidx[R];
    unsigned char *seen = malloc(N);
    void **roots = (void **)hidden_array(R);
    CHECK(h && edges && q && seen && roots);
    CHECK_EQ(gc_add_roots(roots, roots + R), 0);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        vl_rng_t r;
        size_t qh = 0, qt = 0, want = 0, extra = 0;
        vl_rng_seed(&r, seed);
        gc_disable(); /* the nodes are unreachable until linked */
        build_graph(&r, N, h, edges, roots, R, rootidx);
        gc_enable();
        memset(seen, 0, N);
        for (int i = 0; i < R; i++)
            if (!seen[rootidx[i]]) {
                seen[rootidx[i]] = 1;
                q[qt++] = rootidx[i];
            }
        while (qh < qt) {
            uint32_t v = q[qh++];
            for (int e = 0; e < 4; e++) {
                uint32_t t = edges[v * 4 + e];
                if (t != UINT32_MAX && !seen[t]) {
                    seen[t] = 1;
                    q[qt++] = t;
                }
            }
        }
        collect_clean();
        for (size_t i = 0; i < N; i++) {
            int live = gc_is_live(unhide(h[i]));
            want += seen[i];
            extra += live && !seen[i];
            CHECK_MSG(live || !seen[i], "seed %" PRIu64 " node %zu: reachable but collected", seed, i);
        }
        CHECK_MSG(extra <= STALE, "seed %" PRIu64 ": %zu unreachable nodes kept", seed, extra);
        CHECK(want > 0);
        memset(roots, 0, R * sizeof *roots);
        collect_clean();
        CHECK_NONE_LIVE(h, N);
    }
    CHECK_EQ(gc_remove_roots(roots, roots + R), 0);
    free(edges);
    free(q);
    free(seen);
}

TEST(size_classes_find_every_slot)
{
    CHECK(gc_init() == 0);
    for (unsigned c = 0; c < GC_NCLASSES; c++) {
        uint32_t size = gc_g.class_size[c];
        uint32_t recip = (uint32_t)((((uint64_t)1 << 32) + size - 1) / size);
        for (uint32_t off = 0; off < GC_PAGE; off++)
            CHECK_EQ(((uint64_t)off * recip) >> 32, off / size);
    }
    for (size_t n = 1; n <= GC_SMALL_MAX; n++) {
        void *p = gc_malloc(n);
        size_t sz = gc_size(p);
        CHECK(sz >= n && sz % 16 == 0 && ((uintptr_t)p & 15) == 0);
        CHECK(sz < n + 16 || sz <= n + n / 2 + 16);
    }
}

TEST(malloc_zeroes_realloc_keeps_free_reuses)
{
    unsigned char *p = gc_malloc_atomic(100), *q;
    CHECK(p != NULL);
    memset(p, 0xab, 100);
    gc_free(p);
    CHECK(!gc_is_live(p));
    /* the freed block comes back (at once, or when its page is taken), zeroed */
    for (int i = 0; i < 100000 && (q = gc_malloc(100)) != p; i++)
        ;
    CHECK(q == p);
    for (int i = 0; i < 112; i++)
        CHECK_EQ(q[i], 0);
    for (int i = 0; i < 100; i++)
        q[i] = (unsigned char)i;
    q = gc_realloc(q, 10000);
    CHECK(q != NULL && gc_size(q) >= 10000);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(q[i], i);
    CHECK(!gc_is_live(p) || p == q);
    q = gc_realloc(q, 50);
    CHECK(q != NULL && gc_size(q) == 64);
    for (int i = 0; i < 50; i++)
        CHECK_EQ(q[i], i);
    CHECK(gc_realloc(q, 0) == NULL);
    CHECK(!gc_is_live(q));
    p = gc_malloc(0);
    CHECK(p != NULL && gc_size(p) == 16);
    gc_heap_check();
}

/* Run fn in a child: its exit status and stderr. */
static int in_child(void (*fn)(void), char *err, size_t errlen)
{
    int pfd[2], status = 0;
    ssize_t n;
    pid_t pid;
    if (pipe(pfd) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 2);
        fn();
        _exit(0);
    }
    close(pfd[1]);
    n = read(pfd[0], err, errlen - 1);
    err[n > 0 ? n : 0] = '\0';
    close(pfd[0]);
    waitpid(pid, &status, 0);
    return status;
}

static void double_free(void)
{
    void *p = gc_malloc(40);
    gc_free(p);
    gc_free(p);
}

static void foreign_free(void)
{
    static int x;
    gc_free(&x);
}

static void interior_free(void)
{
    char *p = gc_malloc(40);
    gc_free(p + 8);
}

static void large_double_free(void)
{
    void *p = gc_malloc(50000);
    gc_free(p);
    gc_free(p);
}

TEST(bad_frees_abort_with_a_clear_message)
{
    char err[512];
    int st = in_child(double_free, err, sizeof err);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CHECK_MSG(strstr(err, "vmlab gc: gc_free: double free") != NULL, "stderr: %s", err);
    st = in_child(foreign_free, err, sizeof err);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CHECK_MSG(strstr(err, "vmlab gc: gc_free: pointer not allocated by the collector") != NULL, "stderr: %s", err);
    st = in_child(interior_free, err, sizeof err);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CHECK_MSG(strstr(err, "not the start of an allocated block") != NULL, "stderr: %s", err);
    st = in_child(large_double_free, err, sizeof err);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CHECK_MSG(strstr(err, "double free") != NULL, "stderr: %s", err);
}

static void heap_limit_child(void)
{
    /* fills a limited heap with reachable blocks: NULL + ENOMEM, after a
     * last collection; garbage is collected rather than failing */
    void **keep = (void **)hidden_array(1 << 16);
    gc_stats_t a, b;
    size_t n = 0;
    int e;
    gc_init();
    gc_set_heap_limit(gc_g.top + (8u << 20));
    gc_add_roots(keep, keep + (1 << 16));
    for (int i = 0; i < 100000; i++) /* 40 MB of garbage fits in 8 MB */
        if (!gc_malloc(400))
            _exit(10);
    for (;;) {
        void *p = gc_malloc(1000);
        if (!p)
            break;
        keep[n++ & 0xffff] = p;
        if (n > (1 << 16))
            _exit(11); /* the limit did not hold */
    }
    e = errno;
    gc_get_stats(&a);
    if (e != ENOMEM || n < 4000)
        _exit(12);
    if (gc_malloc(1000) != NULL)
        _exit(13);
    gc_get_stats(&b);
    if (b.collections != a.collections + 1) /* the last collection */
        _exit(14);
    if (b.heap_bytes > gc_g.heap_limit)
        _exit(15);
    memset(keep, 0, sizeof(void *) << 16);
    if (!gc_malloc(1000)) /* garbage now: collected */
        _exit(16);
    _exit(0);
}

TEST(heap_limit_gives_enomem_after_a_last_collection)
{
    char err[256];
    int st = in_child(heap_limit_child, err, sizeof err);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d: %s", st, err);
}

TEST(disable_stops_collections_and_lazy_sweep)
{
    gc_stats_t a, b;
    gc_get_stats(&a);
    gc_disable();
    for (int i = 0; i < 100000; i++)
        (void)gc_malloc(64);
    gc_collect();
    gc_get_stats(&b);
    CHECK_EQ(b.collections, a.collections);
    gc_enable();
    for (int i = 0; i < 100000; i++)
        (void)gc_malloc(64);
    gc_get_stats(&b);
    CHECK(b.collections > a.collections);
    /* automatic collections sweep lazily: pages wait for the allocator */
    CHECK(b.unswept_pages > 0 || b.freed_bytes > a.freed_bytes);
    CHECK(b.pause_ns_total > a.pause_ns_total && b.pause_ns_max > 0);
    gc_heap_check();
}
