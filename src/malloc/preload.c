/* SPDX-License-Identifier: MIT */
/*
 * preload.c - build/libvmlab-malloc.so: vmlab's allocator core as a drop-in
 * malloc for any dynamically linked program (LD_PRELOAD), so the textbook
 * designs can be compared under real workloads (docs/preload.md).
 *
 *   VMLAB_MALLOC=NAME       the design (default segfit; `vmlab malloc replay
 *                           --help` lists them)
 *   VMLAB_MALLOC_STATS=1    a summary line on stderr at exit; =PATH appends it
 *                           to the file PATH instead
 *   VMLAB_MALLOC_FLAGS=LIST canary, poison, defer (comma-separated): catch
 *                           overflows and writes after free in the program
 *                           (CS:APP 9.11), or coalesce only on demand;
 *                           with canary, mapped blocks get a canary too
 *   VMLAB_MALLOC_LEAKS=1    at exit, list the blocks still allocated grouped
 *                           by allocation site (size, count, the caller of
 *                           malloc resolved with dladdr), largest first, on
 *                           stderr: LeakSanitizer's report without its
 *                           reachability scan (every live block is listed).
 *                           Large blocks then come from the heap too, so
 *                           that every block is in the list (and the
 *                           thread caches are off).
 *   VMLAB_MALLOC_CACHE=0    no thread caches: every call goes to the design
 *                           under the lock (the bare textbook design); 1, the
 *                           default, caches small blocks per thread.
 *
 * This file only forwards to the core (include/vmlab/malloc.h); the rules for
 * code that runs inside malloc are kept here:
 *
 * - One heap, one mutex, a cache per thread in front (tcache.h).  The core
 *   is not thread-safe, so every heap call is made under `lock`; the common
 *   malloc/free of a block up to 8 KiB is served from the calling thread's
 *   cache without it, and the cache visits the heap in batches.  While the
 *   process has one thread the lock is elided (__libc_single_threaded).
 *   Fork safety follows (pthread_atfork): the prepare handler takes the
 *   lock, so the child gets a consistent heap, and its handler makes the
 *   lock new; the forking thread's cache is its own and stays valid, the
 *   others' blocks are lost to the child (as with glibc's tcache).  A
 *   thread's exit flushes its cache (a pthread key's destructor).
 * - A block's size and validity come from its header, except under a
 *   design with headerless blocks (hybrid's slab objects), which answers
 *   for those itself without the lock (ma_design_t.headerless_size, asked
 *   before any header read: block_usable).  Such a design's threads run in
 *   TC_FAST_HL, whose free tries its own fast path (free_hl) after free's
 *   header-reading one declines, so the other designs' free pays nothing.
 * - No system call under the lock, with two exceptions made once per process
 *   (the reservation and the stats file, at start) and the trim pass (see
 *   trim_locked).  The heap's page source (res_more) hands out the next piece
 *   of one large MAP_NORESERVE reservation without a system call, so
 *   successive pieces are adjacent and the core merges them into one region
 *   (the role sbrk plays for glibc's main arena).  Only when the reservation
 *   is used up does an allocation fail with ma_needed; the caller then drops
 *   the lock, maps memory (get_region), hands it in with ma_add_region and
 *   retries.
 * - Free memory goes back: the pages inside large free blocks are dropped
 *   with madvise(MADV_DONTNEED) once enough has been freed (trim_locked).
 * - Large blocks get their own mapping, outside the heap and the lock
 *   (ma_huge_*), and are grown with mremap.  The threshold moves up to the
 *   size of a freed mapped block, as glibc's dynamic mmap threshold does
 *   (malloc/malloc.c, M_MMAP_THRESHOLD: 128 KiB rising up to 32 MiB), so a
 *   program that keeps allocating and freeing the same big buffer stops
 *   paying a mmap/munmap pair for each.  A heap block that realloc grows
 *   past the threshold stays in the heap if the design can grow it in place
 *   (at the heap's top, typically); growth gets an eighth of slack, in the
 *   heap and in mremap, so a block grown step by step costs O(log) resizes.
 * - No recursion while starting: the heap lives in static storage and needs
 *   no allocation to start; anything allocated while this thread is already
 *   inside the shim (pthread_atfork registers its handlers with malloc) comes
 *   from a small static bootstrap arena and is never freed.
 * - No stdio and no allocation here; errno is preserved on success and set to
 *   ENOMEM on failure.  16-byte alignment (the core's align = 16).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h> /* glibc 2.32: __libc_single_threaded */
#define HAVE_SINGLE_THREADED 1
#endif
#endif

#include "base/alloc_api.h"
#include "vmlab/malloc.h"
#include "malloc/bt.h"
#include "malloc/tcache.h"

#define EXPORT __attribute__((visibility("default")))

#define PAGE ((size_t)4096)
#define MMAP_THRESHOLD_MIN ((size_t)128 << 10) /* glibc's DEFAULT_MMAP_THRESHOLD_MIN */
#define MMAP_THRESHOLD_MAX ((size_t)32 << 20)  /* glibc's DEFAULT_MMAP_THRESHOLD_MAX (64-bit) */
#define REGION_MIN ((size_t)1 << 20)           /* least bytes added to the heap at a time */
#define REGION_MAX ((size_t)256 << 20)         /* most added at a time beyond what is needed */
#define RESERVE_BYTES ((size_t)64 << 30)       /* address space reserved for regions */
#define RESERVE_SMALL ((size_t)4 << 30)        /* the reservation if 64 GiB is refused */
#define GROW_STEP ((size_t)64 << 10)           /* the heap grows in the reservation by this */
#define TRIM_BLOCK_MIN ((size_t)32 << 10)      /* free blocks this large give pages back */
#define TRIM_KEEP ((size_t)16 << 20)           /* ... once they add up to more than this */
#define TRIM_STEP_MIN ((size_t)4 << 20)        /* bytes freed between two trim passes */
#define BOOT_BYTES ((size_t)64 << 10)          /* bootstrap arena */

/* ---- state ---------------------------------------------------------------- */

/* Under lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Alignas(16) unsigned char heap_store[MA_HEAP_BYTES]; /* the heap's own storage */
static ma_heap_t *heap;        /* NULL until the first call */
static uint64_t n_malloc;      /* heap allocations (malloc, calloc, memalign family) */
static uint64_t n_free;        /* heap frees */
static uint64_t n_realloc;     /* reallocs served by the heap */
static uint64_t n_regions;     /* regions handed to the heap */
static size_t heap_bytes;      /* their total length */
static size_t trim_debt;       /* bytes given back to the heap since the last trim pass */
static uint64_t n_trims;       /* trim passes that released pages */
static uint64_t trim_bytes;    /* bytes released by them (madvise(MADV_DONTNEED)) */
static int cache_on = 1;       /* VMLAB_MALLOC_CACHE: thread caches in front of the heap */
/* The design's headerless_size (heap.h), NULL if every block has a header.
 * Under such a design (hybrid) nothing here reads the word before a pointer
 * before this op has said it is a header: block_usable.  Set once. */
static size_t (*hl_size)(const ma_heap_t *h, const void *p);
static size_t join_bit;        /* MA_F_PREV under a boundary-tag design with a linear
                                  index that coalesces at once, else 0: a freed block
                                  whose predecessor is free (the bit clear) skips the
                                  cache (see joins) */

/* Atomic (relaxed): touched outside the lock. */
static size_t mmap_threshold = MMAP_THRESHOLD_MIN; /* requests >= this are mapped */
static uint64_t n_huge;        /* mapped blocks made */
static uint64_t n_huge_free;   /* mapped blocks unmapped */
static uint64_t n_mremap;      /* mapped blocks resized with mremap */
static unsigned char *res_base; /* the region reservation [res_base, res_base + res_len), */
static size_t res_len;          /* readable and writable (MAP_NORESERVE): set once */
static size_t res_next;         /* bytes of it handed out (compare-and-swap claims) */
static pthread_key_t tc_thread; /* its destructor flushes a thread's cache at exit */
static int tc_thread_ok;        /* tc_thread exists */

static int stats_fd = -1;      /* where the exit summary goes; -1: nowhere */
static int leak_fd = -1;       /* VMLAB_MALLOC_LEAKS: where the leak list goes; -1: none */
static int dbg_canary;         /* MA_CANARY: mapped blocks get a canary too */

/* VMLAB_MALLOC_LEAKS: the caller of the malloc call being served, set by
 * the entry points only in leak mode (read under the lock by heap_alloc). */
static __thread const void *cur_site __attribute__((tls_model("initial-exec")));
#define NOTE_SITE()                                                            \
    do {                                                                       \
        if (__builtin_expect(leak_fd >= 0, 0))                                 \
            cur_site = __builtin_return_address(0);                            \
    } while (0)

/* Bootstrap arena for calls made while this thread is inside the shim. */
static _Alignas(16) unsigned char boot[BOOT_BYTES];
static size_t boot_used; /* atomic: bytes handed out */

/* Set while this thread runs shim code.  initial-exec: a preloaded library's
 * TLS is static, and the general model's __tls_get_addr could allocate. */
static __thread int busy __attribute__((tls_model("initial-exec")));

/* The thread's cache of small blocks (tcache.h).  Its fast paths run without
 * the busy flag: they make no call, so they cannot recurse, and they touch
 * only this thread's lists, so they are safe even inside the shim. */
static __thread tc_cache_t tcache __attribute__((tls_model("initial-exec")));

/* ---- small helpers without stdio ------------------------------------------- */

static void put(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Append s to buf[*at..cap). */
static void cat(char *buf, size_t *at, size_t cap, const char *s)
{
    while (*s && *at + 1 < cap)
        buf[(*at)++] = *s++;
    buf[*at] = '\0';
}

static void cat_u64(char *buf, size_t *at, size_t cap, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n && *at + 1 < cap)
        buf[(*at)++] = tmp[--n];
    buf[*at] = '\0';
}

static __attribute__((noreturn)) void die(const char *a, const char *b, const char *c)
{
    char buf[512];
    size_t at = 0;
    cat(buf, &at, sizeof buf, a);
    cat(buf, &at, sizeof buf, b);
    cat(buf, &at, sizeof buf, c);
    cat(buf, &at, sizeof buf, "\n");
    put(2, buf, at);
    _exit(127);
}

static size_t round_page(size_t n)
{
    return n > SIZE_MAX - (PAGE - 1) ? 0 : (n + PAGE - 1) & ~(PAGE - 1);
}

/* ---- bootstrap arena ------------------------------------------------------- */

static int in_boot(const void *p)
{
    return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + BOOT_BYTES;
}

/* 16 bytes of header (the size) before each payload. */
static void *boot_alloc(size_t n)
{
    size_t need, at;
    if (n > BOOT_BYTES)
        goto full;
    need = 16 + ((n + 15) & ~(size_t)15);
    at = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
    if (at + need > BOOT_BYTES)
        goto full;
    *(size_t *)(void *)(boot + at) = n;
    return boot + at + 16;
full:
    errno = ENOMEM;
    return NULL;
}

static size_t boot_size(const void *p)
{
    return *(const size_t *)(const void *)((const unsigned char *)p - 16);
}

/* ---- the heap --------------------------------------------------------------- */

/* VMLAB_MALLOC_FLAGS: comma-separated canary, poison, defer (MA_* flags). */
static unsigned parse_flags(const char *v)
{
    static const struct {
        const char *name; /* as written in the variable */
        unsigned flag;    /* MA_* */
    } names[] = {{"canary", MA_CANARY}, {"poison", MA_POISON}, {"defer", MA_DEFER_COALESCE}};
    unsigned flags = 0;
    while (v && *v) {
        size_t len = strcspn(v, ","), i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == len && strncmp(v, names[i].name, len) == 0)
                break;
        if (len && i == sizeof names / sizeof names[0])
            die("vmlab malloc: VMLAB_MALLOC_FLAGS=", v,
                ": unknown flag (expected a comma-separated list of canary, poison, defer)");
        if (len)
            flags |= names[i].flag;
        v += len + (v[len] == ',');
    }
    return flags;
}

/* The heap's page source, called under the lock: the next piece of the
 * reservation, claimed without a system call (the reservation is readable
 * and writable already; untouched pages cost nothing).  Successive pieces
 * are adjacent, so the last region grows at its end as with sbrk, and a
 * design can grow a block in place at the top of the heap (realloc). */
static void *res_more(void *ctx, size_t bytes, size_t *got)
{
    unsigned char *base = __atomic_load_n(&res_base, __ATOMIC_RELAXED);
    size_t len = bytes > SIZE_MAX - GROW_STEP ? 0 : ma_round(bytes, GROW_STEP), at;
    (void)ctx;
    if (!base || len == 0)
        return NULL;
    at = __atomic_load_n(&res_next, __ATOMIC_RELAXED);
    do {
        if (at > res_len || len > res_len - at)
            return NULL;
    } while (!__atomic_compare_exchange_n(&res_next, &at, at + len, 1, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    n_regions++;
    __atomic_store_n(&heap_bytes, heap_bytes + len, __ATOMIC_RELAXED);
    *got = len;
    return base + at;
}

/* Whether p lies in the reservation: a block the thread caches may hold.
 * One subtraction and compare (p below the base wraps to a huge offset). */
static inline int in_res(const void *p)
{
    return (uintptr_t)p - (uintptr_t)__atomic_load_n(&res_base, __ATOMIC_RELAXED) <
           __atomic_load_n(&res_len, __ATOMIC_RELAXED);
}

static int in_res_fn(const void *p)
{
    return in_res(p) && ((uintptr_t)p & 15) == 0;
}

/* Whether the header before p is a plain allocated heap block's (not a
 * huge block, not an alignment marker).  Only where p has a header: under
 * a design with headerless blocks the design is asked first (hl_usable). */
static inline int plain_block(const void *p)
{
    return (((const size_t *)p)[-1] & (MA_F_ALLOC | MA_F_SPECIAL)) == MA_F_ALLOC &&
           ((uintptr_t)p & 15) == 0;
}

/* block_usable for a block with a header. */
static inline size_t header_usable(const void *p)
{
    return plain_block(p) ? tc_usable(heap, p) : 0;
}

/* block_usable's part for a design with headerless blocks: out of line, so
 * that the callers keep no registers for the call under the others. */
static __attribute__((noinline)) size_t hl_usable(const void *p)
{
    size_t s;
    if ((uintptr_t)p & 15)
        return 0;
    s = hl_size(heap, p);
    if (s == 0)
        return header_usable(p);
    return s == MA_HL_VET ? 0 : s - ma_extra(heap);
}

/* What the caches see in p, a pointer in the reservation: the usable size
 * of an allocated block they may hold, or 0 for anything else (a huge
 * block, an alignment marker, a free block, a pointer the heap never
 * returned: the heap judges those under the lock).  Under a design with
 * headerless blocks the design is asked first (hl_size; the reservation
 * is aligned to its reach), whatever the word before p holds; a block it
 * does not claim has its header read.  Lock-free: exact for a block the
 * caller holds (heap.h). */
static inline size_t block_usable(const void *p)
{
    if (__builtin_expect(hl_size != NULL, 0))
        return hl_usable(p);
    return header_usable(p);
}

static void tc_thread_exit(void *arg);

/* Under lock: make the heap on first use.  The only system calls made under
 * the lock (the reservation, opening the stats file), once per process. */
static void init_locked(void)
{
    const char *name = getenv("VMLAB_MALLOC");
    const char *st = getenv("VMLAB_MALLOC_STATS");
    const char *cv = getenv("VMLAB_MALLOC_CACHE");
    static ma_source_t src = {res_more, NULL, NULL, NULL};
    ma_config_t cfg = {0};
    void *r;
    int rc;

    cfg.design = name && *name ? name : "segfit";
    cfg.align = 16;
    cfg.flags = parse_flags(getenv("VMLAB_MALLOC_FLAGS"));
    cfg.source = &src;
    dbg_canary = (cfg.flags & MA_CANARY) != 0;
    if (cv && *cv && strcmp(cv, "0") != 0 && strcmp(cv, "1") != 0)
        die("vmlab malloc: VMLAB_MALLOC_CACHE=", cv,
            ": unknown value (expected 1, thread caches on, or 0, off)");
    cache_on = !(cv && strcmp(cv, "0") == 0);
    {
        const char *lk = getenv("VMLAB_MALLOC_LEAKS");
        if (lk && *lk && strcmp(lk, "0") != 0) {
            cfg.flags |= MA_SITES;
            /* every block in the heap, so that the walk at exit sees it */
            __atomic_store_n(&mmap_threshold, SIZE_MAX, __ATOMIC_RELAXED);
            leak_fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
            cache_on = 0; /* a cached block would be listed as a leak */
        }
    }
    /* The cache key before any block exists (other libraries' constructors
     * may allocate before this library's runs), and the key whose
     * destructor flushes a thread's cache (neither allocates). */
    tc_init();
    if (pthread_key_create(&tc_thread, tc_thread_exit) == 0)
        __atomic_store_n(&tc_thread_ok, 1, __ATOMIC_RELEASE);
    rc = ma_init(&heap, heap_store, sizeof heap_store, &cfg);
    if (rc == -ENOENT)
        die("vmlab malloc: VMLAB_MALLOC=", cfg.design,
            ": unknown design (expected implicit-first, implicit-next, implicit-best, "
            "implicit-worst, explicit-lifo, explicit-addr, segfit, segstore, buddy, adaptive or hybrid)");
    if (rc)
        die("vmlab malloc: cannot start the heap for design ", cfg.design, "");
    if (heap->d->bt && heap->d->bt->linear && !(heap->flags & MA_DEFER_COALESCE))
        join_bit = MA_F_PREV;
    hl_size = heap->d->headerless_size;
    /* The region reservation: address space only (MAP_NORESERVE: not
     * counted against memory until touched).  Without it the heap grows by
     * separate mappings (get_region) and nothing is cached.  Its start is
     * aligned to MA_HL_REACH (the first bytes are skipped), so that
     * hl_size may read below any pointer in it. */
    r = mmap(NULL, RESERVE_BYTES, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    res_len = RESERVE_BYTES;
    if (r == MAP_FAILED) {
        r = mmap(NULL, RESERVE_SMALL, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        res_len = RESERVE_SMALL;
    }
    if (r == MAP_FAILED) {
        res_len = 0;
        cache_on = 0;
    } else {
        size_t skip = (size_t)(-(uintptr_t)r & (MA_HL_REACH - 1));
        res_len -= skip;
        __atomic_store_n(&res_base, (unsigned char *)r + skip, __ATOMIC_RELEASE);
    }
    if (st && *st && strcmp(st, "0") != 0) {
        if (strcmp(st, "1") == 0)
            /* a copy of stderr: programs close fd 2 at exit (coreutils) */
            stats_fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
        else
            stats_fd = open(st, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    }
}

/* Whether this thread holds `lock` (heap_lock took it). */
static __thread int lock_held __attribute__((tls_model("initial-exec")));

/* The lock is elided while the process has one thread (glibc's
 * __libc_single_threaded, which its own malloc consults the same way):
 * nobody can contend, and the flag only turns false in pthread_create,
 * which this thread cannot be running between heap_lock and heap_unlock.
 * lock_held remembers which way heap_lock went. */
static inline void heap_lock(void)
{
#ifdef HAVE_SINGLE_THREADED
    if (!__libc_single_threaded)
#endif
    {
        pthread_mutex_lock(&lock);
        lock_held = 1;
    }
    if (__builtin_expect(heap == NULL, 0))
        init_locked();
}

static inline void heap_unlock(void)
{
    if (lock_held) {
        lock_held = 0;
        pthread_mutex_unlock(&lock);
    }
}

/* ---- memory return ------------------------------------------------------------ */

/* A trim pass (under lock): the pages strictly inside large free blocks go
 * back to the kernel with madvise(MADV_DONTNEED), which keeps the mapping
 * (the next touch faults in a zero page) and drops the memory.  Only what
 * a design does not keep in a free block may go (MA_FREE_HEAD/TAIL bytes at
 * its ends stay), and never under MA_POISON (free payloads are checked).
 *
 * The pass walks the free blocks twice (sum, release) and runs after every
 * max(TRIM_STEP_MIN, heap / 16) bytes the heap takes back, and only releases
 * when the large free blocks add up to more than TRIM_KEEP: a program that
 * frees and reallocates a few MiB in a loop (the malloc-lab traces) is left
 * alone, where glibc's trim of its heap top makes it fault them in again.
 * The walk and the system calls are made under the lock: another thread
 * must not be handed a block whose pages are being dropped. */
static int trim_sum(const ma_block_t *b, void *ctx)
{
    if (b->size >= TRIM_BLOCK_MIN)
        *(size_t *)ctx += b->size;
    return 0;
}

static int trim_block(const ma_block_t *b, void *ctx)
{
    uintptr_t lo = ((uintptr_t)b->addr + MA_FREE_HEAD + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    uintptr_t hi = ((uintptr_t)b->addr + b->size - MA_FREE_TAIL) & ~(uintptr_t)(PAGE - 1);
    (void)ctx;
    if (b->size >= TRIM_BLOCK_MIN && hi > lo && madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0)
        trim_bytes += hi - lo;
    return 0;
}

static void trim_locked(void)
{
    size_t big = 0;
    trim_debt = 0;
    /* the free blocks cannot add up to more than the heap: no walk (for
     * segstore, thousands of uncoalesced blocks, it cost 8% of a replay) */
    if ((heap->flags & MA_POISON) || heap_bytes <= TRIM_KEEP)
        return;
    ma_walk_free(heap, trim_sum, &big);
    if (big <= TRIM_KEEP)
        return;
    n_trims++;
    ma_walk_free(heap, trim_block, NULL);
}

/* Under lock: the heap took back `bytes`. */
static inline void trim_note(size_t bytes)
{
    size_t step = heap_bytes / 16 > TRIM_STEP_MIN ? heap_bytes / 16 : TRIM_STEP_MIN;
    trim_debt += bytes;
    if (__builtin_expect(trim_debt >= step, 0))
        trim_locked();
}

/* Map at least `need` bytes for the heap and add them; 0 or -ENOMEM.  Called
 * without the lock, when the reservation is used up (or was refused). */
static int get_region(size_t need)
{
    size_t have = __atomic_load_n(&heap_bytes, __ATOMIC_RELAXED);
    size_t len = have / 2 > REGION_MAX ? REGION_MAX : have / 2;
    void *m;
    int rc;

    if (len < REGION_MIN)
        len = REGION_MIN;
    if (len < need)
        len = need;
    len = round_page(len);
    if (len == 0)
        return -ENOMEM;
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -ENOMEM;
    heap_lock();
    rc = ma_add_region(heap, m, len);
    if (rc == 0) {
        n_regions++;
        __atomic_store_n(&heap_bytes, heap_bytes + len, __ATOMIC_RELAXED);
    }
    heap_unlock();
    if (rc) {
        munmap(m, len);
        return -ENOMEM;
    }
    return 0;
}

/* A heap allocation (align 0: malloc), growing the heap as the core asks. */
static void *heap_alloc(size_t n, size_t align)
{
    void *p;
    size_t need;
    for (;;) {
        heap_lock();
        p = align ? ma_memalign(heap, align, n) : ma_malloc(heap, n);
        if (p && leak_fd >= 0)
            ma_set_site(heap, p, n, cur_site);
        need = p ? 0 : ma_needed(heap);
        n_malloc += p != NULL;
        heap_unlock();
        if (p)
            return p;
        if (need == 0 || get_region(need) != 0) {
            errno = ENOMEM;
            return NULL;
        }
    }
}

/* A heap free (p not huge) of usable size u (0: not known, the heap says),
 * under the lock. */
static void heap_free(void *p, size_t u)
{
    heap_lock();
    if (u == 0)
        u = ma_usable_size(heap, p);
    ma_free(heap, p);
    n_free++;
    trim_note(u);
    heap_unlock();
}

/* ---- the thread caches ----------------------------------------------------------- */

/* Under lock: add the cache's counts to the process's. */
static inline void tc_fold(tc_cache_t *tc)
{
    n_malloc += tc->allocs;
    n_free += tc->frees;
    tc->allocs = tc->frees = 0;
}

/* Thread exit (the key's destructor): every cached block back to the heap;
 * a call made after this (another key's destructor) goes to the heap. */
static void tc_thread_exit(void *arg)
{
    tc_cache_t *tc = arg;
    busy = 1;
    heap_lock();
    trim_note(tc_flush_all(tc, heap));
    tc_fold(tc);
    heap_unlock();
    tc->state = TC_OFF;
    busy = 0;
}

/* Set the thread's cache up (state TC_NEW), in a slow path with busy set. */
static void tc_start(tc_cache_t *tc)
{
    if (__builtin_expect(heap == NULL, 0)) {
        heap_lock();
        heap_unlock();
    }
    if (!cache_on) {
        tc->state = TC_OFF;
        return;
    }
    if (!__atomic_load_n(&tc_thread_ok, __ATOMIC_ACQUIRE) ||
        pthread_setspecific(tc_thread, tc) != 0) {
        tc->state = TC_OFF;
        return;
    }
    tc->state = (heap->flags & (MA_CANARY | MA_POISON)) ? TC_DEBUG : hl_size ? TC_FAST_HL : TC_FAST;
}

/* Serve n <= TC_MAX from the cache (busy set), refilling from the heap in
 * one locked visit when the bin is empty. */
static void *cache_alloc(tc_cache_t *tc, size_t n)
{
    unsigned c = tc_bin_req(n), b = tc_bin_of(c);
    void *p;
    size_t need;
    if (b && tc->head[b])
        return tc->state == TC_DEBUG ? tc_pop_debug(tc, heap, b, in_res_fn) : tc_pop(tc, b);
    for (;;) {
        heap_lock();
        p = tc_fill(tc, heap, c);
        need = p ? 0 : ma_needed(heap);
        trim_note(tc_gc(tc, heap));
        tc_fold(tc);
        heap_unlock();
        if (p)
            return p;
        if (need == 0 || get_region(need) != 0) {
            errno = ENOMEM;
            return NULL;
        }
    }
}

/* Take p (an allocated block of the reservation, usable size u: see
 * block_usable) into the cache; 0 if its size is not cached.  A full bin
 * first gives half its blocks back. */
static int cache_free(tc_cache_t *tc, void *p, size_t u)
{
    unsigned c;
    if (tc_cached(p))
        ma_fatal("free()", p, "double free: the block is already free");
    c = tc_bin_of_usable(u);
    if (c - 1 >= TC_BINS - 1)
        return 0;
    if (tc->state == TC_DEBUG) {
        heap_lock();
        ma_vet(heap, p, "free()"); /* aborts on an invalid pointer or a broken canary */
        heap_unlock();
    }
    if (tc->count[c] >= tc_cap(c)) {
        heap_lock();
        size_t bytes = tc_flush(tc, heap, c, tc_cap(c) / 2) + tc_gc(tc, heap);
        tc_fold(tc);
        trim_note(bytes);
        heap_unlock();
    }
    return tc->state == TC_DEBUG ? tc_push_debug(tc, heap, p, u) : tc_push(tc, p, u);
}

/* ---- mapped (huge) blocks ----------------------------------------------------- */

static inline int wants_map(size_t n)
{
    return n >= __atomic_load_n(&mmap_threshold, __ATOMIC_RELAXED);
}

static void *huge_alloc(size_t n)
{
    int dbg = dbg_canary;
    size_t len = ma_huge_len(n > SIZE_MAX - MA_HUGE_DEBUG_BYTES ? SIZE_MAX : n + (dbg ? MA_HUGE_DEBUG_BYTES : 0));
    void *m, *p;
    if (len == 0)
        goto nomem;
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        goto nomem;
    __atomic_fetch_add(&n_huge, 1, __ATOMIC_RELAXED);
    p = ma_huge_wrap(m, len);
    if (dbg)
        ma_huge_debug_set(p, n); /* an overflow is caught at free/realloc */
    return p;
nomem:
    errno = ENOMEM;
    return NULL;
}

/* Whether p (a pointer of this library, not the bootstrap arena's) is a
 * mapped block.  Under a design with headerless blocks the word before p
 * may be a neighbour's data: the heap's regions decide (outside the lock
 * only the reservation, which no mapping overlaps). */
static int is_huge(const void *p)
{
    int own;
    if (!hl_size)
        return ma_is_huge(p);
    if (in_res(p))
        return 0;
    heap_lock();
    own = heap && ma_owns(heap, p);
    heap_unlock();
    return !own;
}

static void huge_free(void *p)
{
    void *map;
    size_t len;
    ma_huge_debug_check(p, "free()");
    ma_huge_mapping(p, &map, &len);
    /* glibc's rule: a freed mapped block raises the threshold to its size,
     * so the next one of that size comes from the heap. */
    if (len > __atomic_load_n(&mmap_threshold, __ATOMIC_RELAXED) && len <= MMAP_THRESHOLD_MAX)
        __atomic_store_n(&mmap_threshold, len, __ATOMIC_RELAXED);
    __atomic_fetch_add(&n_huge_free, 1, __ATOMIC_RELAXED);
    munmap(map, len);
}

static size_t huge_usable(const void *p)
{
    void *map;
    size_t len, dbg = ma_huge_debug_check(p, "malloc_usable_size()");
    if (dbg)
        return dbg;
    ma_huge_mapping(p, &map, &len);
    return len - (size_t)((const unsigned char *)p - (unsigned char *)map);
}

/* ---- the interface ---------------------------------------------------------------- */

/* The slow paths: the first call of a thread, an empty or full bin, the
 * debug mode, sizes the cache does not hold, VMLAB_MALLOC_CACHE=0. */
static __attribute__((noinline)) void *malloc_slow(size_t n, const void *site)
{
    void *p;
    int e;
    if (__builtin_expect(busy, 0))
        return boot_alloc(n);
    busy = 1;
    e = errno;
    if (tcache.state == TC_NEW)
        tc_start(&tcache);
    if (n <= TC_MAX && tcache.state != TC_OFF) {
        p = cache_alloc(&tcache, n);
    } else {
        if (__builtin_expect(leak_fd >= 0, 0))
            cur_site = site;
        p = wants_map(n) ? huge_alloc(n) : heap_alloc(n, 0);
    }
    if (p)
        errno = e;
    busy = 0;
    return p;
}

EXPORT void *malloc(size_t n)
{
    if (__builtin_expect(n <= TC_MAX && tcache.state <= TC_FAST_HL, 1)) {
        void *p = tc_pop(&tcache, tc_bin_of(tc_bin_req(n)));
        if (__builtin_expect(p != NULL, 1))
            return p;
    }
    return malloc_slow(n, __builtin_return_address(0));
}

/* Whether a plain heap block with header word w skips the cache: under a
 * boundary-tag design with a linear index (bt_policy_t.linear) that
 * coalesces at once, a block whose predecessor is free (its p bit clear)
 * would coalesce with it.  Parked in the cache instead, it keeps two free
 * blocks apart, and the design walks one more block in every search
 * (explicit-addr, cp-decl-bal: about 3x as many free blocks with the
 * cache, 9-18% more CPU time).  Not for segfit's trees, where the free
 * blocks cost little and the extra design calls 5-8% more CPU time; not
 * the next block's a bit, which costs a cache line per free and sent more
 * blocks through the design than it saved (callgrind). */
static inline int joins(size_t w)
{
    return (w & join_bit) != join_bit;
}

/* joins() for p, a block block_usable took: a headerless block joins
 * nothing (join_bit is 0 but under a linear boundary-tag design, where
 * the design is asked before the header is read). */
static inline int block_joins(const void *p)
{
    return join_bit && !(hl_size && hl_size(heap, p)) && joins(((const size_t *)p)[-1]);
}

static void free_locked(void *p);

/* free's fast path in TC_FAST_HL: free's own, the design asked first
 * whether p has a header (block_usable, unrolled: FAST has no extras, so a
 * headerless block's usable size is the op's answer, a plain block's its
 * size less the header). */
static __attribute__((noinline)) void free_hl(void *p)
{
    size_t u, w;
    if (in_res(p) && ((uintptr_t)p & 15) == 0) {
        u = hl_size(heap, p);
        if (u == 0) {
            w = ((size_t *)p)[-1];
            u = (w & (MA_F_ALLOC | MA_F_SPECIAL)) == MA_F_ALLOC && !joins(w)
                    ? (w & ~(size_t)MA_FLAGS) - MA_WORD
                    : 0;
        } else if (u == MA_HL_VET) {
            u = 0;
        }
        if (u && !tc_cached(p) && tc_push(&tcache, p, u))
            return;
    }
    free_locked(p);
}

/* Where free goes when its fast path does not take p: TC_FAST_HL's fast
 * path is tested here, not in free, where the second test of the state
 * cost every free of the other designs an instruction. */
static __attribute__((noinline)) void free_slow(void *p)
{
    if (tcache.state == TC_FAST_HL)
        free_hl(p);
    else
        free_locked(p);
}

static __attribute__((noinline)) void free_locked(void *p)
{
    size_t u;
    int e;
    if (!p || in_boot(p))
        return;
    if (__builtin_expect(busy, 0))
        return; /* from inside the shim, with the lock possibly held: leak it */
    busy = 1;
    e = errno;
    if (tcache.state == TC_NEW)
        tc_start(&tcache);
    if (in_res(p) && (u = block_usable(p)) != 0) {
        /* a heap block: cached if the cache is on and takes its size
         * (cache_free checks the key either way), else back to the heap;
         * so is a block whose predecessor is free (join_bit) */
        if (block_joins(p) || !(tcache.state != TC_OFF && cache_free(&tcache, p, u))) {
            if (tc_cached(p))
                ma_fatal("free()", p, "double free: the block is already free");
            heap_free(p, u);
        }
    } else if (is_huge(p)) {
        huge_free(p);
    } else {
        heap_free(p, 0);
    }
    errno = e;
    busy = 0;
}

EXPORT void free(void *p)
{
    if (__builtin_expect(tcache.state == TC_FAST && in_res(p), 1)) {
        size_t w = ((size_t *)p)[-1];
        /* FAST: no canary, no sites trailer, so usable = size - header */
        if ((w & (MA_F_ALLOC | MA_F_SPECIAL)) == MA_F_ALLOC && ((uintptr_t)p & 15) == 0 &&
            !tc_cached(p) && !joins(w) && tc_push(&tcache, p, (w & ~(size_t)MA_FLAGS) - MA_WORD))
            return;
    }
    free_slow(p);
}

EXPORT void *calloc(size_t n, size_t m)
{
    size_t bytes;
    void *p;
    int e;
    if (__builtin_mul_overflow(n, m, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    if (__builtin_expect(bytes <= TC_MAX && tcache.state <= TC_FAST_HL, 1)) {
        p = tc_pop(&tcache, tc_bin_of(tc_bin_req(bytes)));
        if (p)
            return memset(p, 0, bytes);
    }
    if (__builtin_expect(busy, 0)) {
        p = boot_alloc(bytes);
        return p ? memset(p, 0, bytes) : NULL;
    }
    if (bytes <= TC_MAX) {
        p = malloc_slow(bytes, __builtin_return_address(0));
        return p ? memset(p, 0, bytes) : NULL;
    }
    busy = 1;
    NOTE_SITE();
    e = errno;
    if (wants_map(bytes)) {
        p = huge_alloc(bytes); /* fresh anonymous pages are zero */
    } else {
        p = heap_alloc(bytes, 0);
        if (p)
            memset(p, 0, bytes); /* outside the lock */
    }
    if (p)
        errno = e;
    busy = 0;
    return p;
}

/* What to ask the heap for when realloc grows the plain heap block p to n
 * bytes: an eighth more once it is past the cache's sizes, so that a block
 * grown step by step (a buffer, a string) takes the next steps inside its
 * slack on realloc's lock-free path (n <= usable) instead of resizing in
 * the design every time: amortised O(1) design calls per byte, as a growth
 * factor gives vectors.  n itself otherwise. */
static size_t grow_ask(void *p, size_t n)
{
    size_t u;
    if (n <= TC_MAX || n > MA_SIZE_MAX / 2 || leak_fd >= 0 || !in_res(p) ||
        (u = block_usable(p)) == 0 || n <= u)
        return n;
    return n + n / 8;
}

/* Resize a mapped block: mremap keeps the pages and moves them if needed. */
static void *huge_realloc(void *p, size_t n)
{
    void *map, *nm, *q;
    size_t dbg = ma_huge_debug_check(p, "realloc()"), len, off, old;
    size_t nlen = ma_huge_len(n > SIZE_MAX - MA_HUGE_DEBUG_BYTES ? SIZE_MAX : n + (dbg ? MA_HUGE_DEBUG_BYTES : 0));
    ma_huge_mapping(p, &map, &len);
    off = (size_t)((unsigned char *)p - (unsigned char *)map);
    old = dbg ? dbg : len - off;
    if (!wants_map(n) && n < old / 2) {
        /* much smaller: back into the heap */
        q = heap_alloc(n, 0);
        if (!q)
            return NULL;
        memcpy(q, p, n);
        huge_free(p);
        return q;
    }
    if (nlen == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (nlen <= len && nlen >= len / 2) {
        /* fits, and not much smaller: no system call */
        if (dbg)
            ma_huge_debug_set(p, n);
        return p;
    }
    if (nlen > len && n <= MA_SIZE_MAX / 2) {
        /* growing: an eighth more, so that a block grown step by step pays
         * O(log) mremaps, not one per page */
        size_t slack = ma_huge_len(n + n / 8 + (dbg ? MA_HUGE_DEBUG_BYTES : 0));
        if (slack)
            nlen = slack;
    }
    nm = mremap(map, len, nlen, MREMAP_MAYMOVE);
    if (nm == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    __atomic_fetch_add(&n_mremap, 1, __ATOMIC_RELAXED);
    q = ma_huge_wrap(nm, nlen);
    if ((size_t)((unsigned char *)q - (unsigned char *)nm) != off)
        memmove(q, (unsigned char *)nm + off, n < old ? n : old);
    if (dbg)
        ma_huge_debug_set(q, n);
    return q;
}

EXPORT void *realloc(void *p, size_t n)
{
    void *q;
    size_t need, u = 0;
    int e;
    if (p && n && tcache.state == TC_FAST && in_res(p)) {
        size_t w = ((size_t *)p)[-1];
        if ((w & (MA_F_ALLOC | MA_F_SPECIAL)) == MA_F_ALLOC && ((uintptr_t)p & 15) == 0)
            u = (w & ~(size_t)MA_FLAGS) - MA_WORD;
    } else if (p && n && tcache.state == TC_FAST_HL && in_res(p)) {
        u = block_usable(p);
    }
    if (u && !tc_cached(p)) {
        /* a small block: in place if it still fits well, else moved
         * through the cache, without the lock */
        if (n <= u && n >= u / 2)
            return p;
        if (u <= TC_MAX && n <= TC_MAX) {
            /* growing: a quarter of slack (within the cached sizes),
             * so that a block grown by small steps is copied O(log)
             * times, not once per step or two of its size class */
            size_t ask = n > u && n > 256 && n + n / 4 <= TC_MAX ? n + n / 4 : n;
            q = malloc(ask);
            if (q) {
                memcpy(q, p, u < n ? u : n);
                free(p);
            }
            return q;
        }
    }
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p); /* glibc: realloc(p, 0) frees p and returns NULL */
        return NULL;
    }
    if (in_boot(p)) {
        /* out of the bootstrap arena (into the heap unless busy) */
        size_t old = boot_size(p);
        q = malloc(n);
        if (q)
            memcpy(q, p, old < n ? old : n);
        return q;
    }
    if (__builtin_expect(busy, 0)) {
        errno = ENOMEM; /* a heap block from inside the shim: never happens */
        return NULL;
    }
    busy = 1;
    e = errno;
    if (is_huge(p)) {
        q = huge_realloc(p, n);
    } else if (in_res(p) && block_usable(p) && tc_cached(p)) {
        ma_fatal("realloc()", p, "double free: the block is already free");
    } else if (wants_map(n)) {
        int grown;
        heap_lock();
        grown = ma_resize(heap, p, grow_ask(p, n)) || ma_resize(heap, p, n);
        n_realloc += grown;
        heap_unlock();
        if (grown) {
            /* in place (at the top of the heap, typically): no copy, no
             * system call, as the same design does in `vmlab malloc replay` */
            q = p;
        } else {
            /* past the threshold and not in place: to its own mapping,
             * where mremap grows it further without copying */
            NOTE_SITE();
            q = huge_alloc(n);
            if (q) {
                size_t old;
                heap_lock();
                old = ma_usable_size(heap, p);
                heap_unlock();
                memcpy(q, p, old < n ? old : n);
                heap_free(p, old);
            }
        }
    } else {
        size_t ask = grow_ask(p, n);
        for (;;) {
            heap_lock();
            q = ma_realloc(heap, p, ask);
            if (q && leak_fd >= 0)
                ma_set_site(heap, q, n, __builtin_return_address(0));
            need = q ? 0 : ma_needed(heap);
            n_realloc += q != NULL;
            heap_unlock();
            if (q || need == 0 || get_region(need) != 0)
                break;
        }
        if (!q)
            errno = ENOMEM;
    }
    if (q)
        errno = e;
    busy = 0;
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    return vl_alloc_reallocarray(realloc, p, n, m);
}

/* align a power of two. */
static void *aligned(size_t align, size_t n)
{
    void *p;
    int e;
    if (align <= 16)
        return malloc(n);
    if (__builtin_expect(busy, 0)) {
        errno = ENOMEM; /* the bootstrap arena only aligns to 16 */
        return NULL;
    }
    busy = 1;
    e = errno;
    p = heap_alloc(n, align);
    if (p)
        errno = e;
    busy = 0;
    return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
    NOTE_SITE();
    return vl_alloc_memalign(aligned, align, n);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    NOTE_SITE();
    return vl_alloc_memalign(aligned, align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    NOTE_SITE();
    return vl_alloc_posix_memalign(aligned, out, align, n);
}

EXPORT void *valloc(size_t n)
{
    return aligned(PAGE, n);
}

EXPORT void *pvalloc(size_t n)
{
    return vl_alloc_pvalloc(aligned, n, PAGE);
}

EXPORT size_t malloc_usable_size(void *p)
{
    size_t n;
    if (!p)
        return 0;
    if (in_boot(p))
        return boot_size(p);
    if (is_huge(p))
        return huge_usable(p);
    if (heap && in_res(p)) {
        /* the block's own header, or the design's word: no lock */
        if (__builtin_expect(hl_size != NULL, 0)) {
            if ((n = hl_usable(p)) != 0)
                return n;
        } else if (plain_block(p)) {
            return tc_usable(heap, p);
        }
    }
    heap_lock();
    n = ma_usable_size(heap, p);
    heap_unlock();
    return n;
}

/* ---- fork, start, exit ------------------------------------------------------------- */

static void fork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

static void fork_child(void)
{
    /* The child's one thread is the one that took the lock in prepare: the
     * heap is consistent; make the lock new rather than trust its state. */
    pthread_mutex_init(&lock, NULL);
}

__attribute__((constructor)) static void preload_init(void)
{
    busy = 1;
    heap_lock();
    heap_unlock();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    busy = 0;
}

/* ---- the leak list (VMLAB_MALLOC_LEAKS) ------------------------------------------- */

#define LEAK_SITES 1024 /* distinct sites tallied; the rest count as one "other" */
#define LEAK_SHOW 50    /* sites listed */

typedef struct leak_site {
    const void *site; /* return address of the malloc call; NULL: other sites */
    uint64_t blocks;  /* live blocks allocated there */
    uint64_t bytes;   /* their requested bytes */
} leak_site_t;

static leak_site_t leak_tab[LEAK_SITES]; /* static: no allocation at exit */
static size_t leak_n;

static int leak_tally(const ma_block_t *b, void *ctx)
{
    size_t size, i;
    const void *site;
    (void)ctx;
    if (!b->allocated || !b->payload)
        return 0; /* free, or the design's metadata */
    ma_site_of(heap, b, &size, &site);
    for (i = 0; i < leak_n && leak_tab[i].site != site; i++)
        ;
    if (i == leak_n) {
        if (leak_n == LEAK_SITES)
            i = 0; /* table full: lumped into the first entry's "other" */
        else
            leak_tab[leak_n++].site = site;
    }
    leak_tab[i].blocks++;
    leak_tab[i].bytes += size;
    return 0;
}

static void cat_hex(char *buf, size_t *at, size_t cap, uint64_t v)
{
    char tmp[19];
    int n = 0;
    do
        tmp[n++] = "0123456789abcdef"[v & 15];
    while (v >>= 4);
    cat(buf, at, cap, "0x");
    while (n > 0 && *at + 1 < cap)
        buf[(*at)++] = tmp[--n];
    buf[*at] = '\0';
}

/* Walk the heap at exit: blocks still allocated, grouped by site, largest
 * first, one line each ("N bytes in K blocks allocated from SITE (FUNCTION+
 * OFF in OBJECT)"), then a summary line. */
static void leak_report(void)
{
    char buf[768];
    uint64_t bytes = 0, blocks = 0;
    ma_walk(heap, leak_tally, NULL);
    for (size_t i = 1; i < leak_n; i++) { /* insertion sort, largest first */
        leak_site_t x = leak_tab[i];
        size_t j = i;
        for (; j > 0 && leak_tab[j - 1].bytes < x.bytes; j--)
            leak_tab[j] = leak_tab[j - 1];
        leak_tab[j] = x;
    }
    for (size_t i = 0; i < leak_n; i++) {
        size_t at = 0;
        Dl_info di;
        bytes += leak_tab[i].bytes;
        blocks += leak_tab[i].blocks;
        if (i >= LEAK_SHOW)
            continue;
        cat(buf, &at, sizeof buf, "vmlab malloc: leak: ");
        cat_u64(buf, &at, sizeof buf, leak_tab[i].bytes);
        cat(buf, &at, sizeof buf, " bytes in ");
        cat_u64(buf, &at, sizeof buf, leak_tab[i].blocks);
        cat(buf, &at, sizeof buf, " blocks allocated from ");
        if (!leak_tab[i].site) {
            cat(buf, &at, sizeof buf, "an unknown site");
        } else {
            cat_hex(buf, &at, sizeof buf, (uint64_t)(uintptr_t)leak_tab[i].site);
            if (dladdr(leak_tab[i].site, &di) && di.dli_fname) {
                cat(buf, &at, sizeof buf, " (");
                if (di.dli_sname) {
                    cat(buf, &at, sizeof buf, di.dli_sname);
                    cat(buf, &at, sizeof buf, "+");
                    cat_hex(buf, &at, sizeof buf,
                            (uint64_t)((uintptr_t)leak_tab[i].site - (uintptr_t)di.dli_saddr));
                } else {
                    cat_hex(buf, &at, sizeof buf,
                            (uint64_t)((uintptr_t)leak_tab[i].site - (uintptr_t)di.dli_fbase));
                }
                cat(buf, &at, sizeof buf, " in ");
                cat(buf, &at, sizeof buf, di.dli_fname);
                cat(buf, &at, sizeof buf, ")");
            }
        }
        cat(buf, &at, sizeof buf, "\n");
        put(leak_fd, buf, at);
    }
    size_t at = 0;
    cat(buf, &at, sizeof buf, "vmlab malloc: leak summary: ");
    cat_u64(buf, &at, sizeof buf, bytes);
    cat(buf, &at, sizeof buf, " bytes in ");
    cat_u64(buf, &at, sizeof buf, blocks);
    cat(buf, &at, sizeof buf, " blocks live at exit, from ");
    cat_u64(buf, &at, sizeof buf, leak_n);
    cat(buf, &at, sizeof buf, leak_n > LEAK_SHOW ? " sites (the first 50 listed)\n" : " sites\n");
    put(leak_fd, buf, at);
}

__attribute__((destructor)) static void preload_fini(void)
{
    char buf[512];
    size_t at = 0;
    ma_stats_t st;
    if (leak_fd >= 0) {
        busy = 1;
        heap_lock();
        leak_report();
        heap_unlock();
        busy = 0;
    }
    if (heap) {
        busy = 1;
        heap_lock();
        tc_fold(&tcache); /* this thread's; threads still running keep theirs */
        heap_unlock();
        busy = 0;
    }
    if (stats_fd < 0 || (n_malloc == 0 && __atomic_load_n(&n_huge, __ATOMIC_RELAXED) == 0))
        return; /* nothing to say for a process that never allocated */
    busy = 1;
    heap_lock();
    ma_get_stats(heap, &st);
    cat(buf, &at, sizeof buf, "vmlab malloc: pid ");
    cat_u64(buf, &at, sizeof buf, (uint64_t)getpid());
    cat(buf, &at, sizeof buf, " design ");
    cat(buf, &at, sizeof buf, ma_design_of(heap));
    cat(buf, &at, sizeof buf, ": ");
    cat_u64(buf, &at, sizeof buf, n_malloc);
    cat(buf, &at, sizeof buf, " heap allocations, ");
    cat_u64(buf, &at, sizeof buf, n_free);
    cat(buf, &at, sizeof buf, " frees, ");
    cat_u64(buf, &at, sizeof buf, n_realloc);
    cat(buf, &at, sizeof buf, " reallocs, ");
    cat_u64(buf, &at, sizeof buf, __atomic_load_n(&n_huge, __ATOMIC_RELAXED));
    cat(buf, &at, sizeof buf, " mapped blocks (");
    cat_u64(buf, &at, sizeof buf, __atomic_load_n(&n_mremap, __ATOMIC_RELAXED));
    cat(buf, &at, sizeof buf, " mremaps); heap ");
    cat_u64(buf, &at, sizeof buf, heap_bytes >> 10);
    cat(buf, &at, sizeof buf, " KiB in ");
    cat_u64(buf, &at, sizeof buf, st.regions);
    cat(buf, &at, sizeof buf, " regions (");
    cat_u64(buf, &at, sizeof buf, n_regions);
    cat(buf, &at, sizeof buf, " added), ");
    cat_u64(buf, &at, sizeof buf, st.live_blocks);
    cat(buf, &at, sizeof buf, " blocks live at exit; thread caches ");
    cat(buf, &at, sizeof buf, cache_on ? "on" : "off");
    cat(buf, &at, sizeof buf, "; ");
    cat_u64(buf, &at, sizeof buf, n_trims);
    cat(buf, &at, sizeof buf, " trims released ");
    cat_u64(buf, &at, sizeof buf, trim_bytes >> 10);
    cat(buf, &at, sizeof buf, " KiB\n");
    heap_unlock();
    put(stats_fd, buf, at);
    busy = 0;
}
