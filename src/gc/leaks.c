/* SPDX-License-Identifier: MIT */
/*
 * leaks.c - build/libvmlab-gcleaks.so, the LD_PRELOAD half of
 * `vmlab gc leaks`: the program's malloc family served from the collector's
 * heap with collection off (free is honoured, nothing is collected), and at
 * exit (or on SIGINT, SIGTERM, SIGHUP) one mark phase from the roots: every
 * block still allocated and not marked is a leak, valgrind memcheck's
 * "definitely lost" or "indirectly lost" (Seward and Nethercote, USENIX 2005;
 * memcheck's mc_leakcheck.c: the unreached blocks taken in address order, each
 * one not yet reached starts a clique and every other unreached block marked
 * from it is indirectly lost, so a leaked list is one definite head and
 * indirect nodes, and a leaked cycle one definite block).
 *
 * Each block carries a trailer in its last bytes (the collector's usable
 * size is a multiple of 16 beyond the request): the size asked for, the
 * offset of the pointer handed out (memalign) and up to GCL_FRAMES return
 * addresses of the allocation, taken with libgcc's _Unwind_Backtrace (no
 * malloc inside; frames inside this library are skipped).  Return addresses
 * point at code, never into the heap, so trailers keep nothing alive.
 *
 * The report goes to the file $VMLAB_GC_LEAKS_OUT, written only by the process
 * whose pid is $VMLAB_GC_LEAKS_PID (not by children it forks or execs), as
 * lines the command parses (src/gc/leak_report.h): "leak SIZE KIND ADDR",
 * then "frame ADDR OBJECT" lines, ADDR being what addr2line wants for OBJECT
 * (an offset in a position-independent object).  The collector scans only
 * the calling thread, so pthread_create is refused: a clear message, exit 1.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include "base/alloc_api.h"
#include "gc/gc_impl.h"

#define EXPORT __attribute__((visibility("default")))
#define GCL_FRAMES 8

/* The last bytes of every block. */
typedef struct trailer {
    uint64_t size;              /* bytes asked for */
    uint32_t off;               /* user pointer - block base (memalign) */
    uint32_t nframes;           /* entries of pc */
    uintptr_t pc[GCL_FRAMES];   /* return addresses, innermost first */
} trailer_t;

static int started;          /* gc initialised, collection off */
static int unwinding;        /* inside _Unwind_Backtrace (re-entry guard) */
static uintptr_t self_lo, self_hi; /* this library's code */

static trailer_t *trailer_of(void *base)
{
    return (trailer_t *)((char *)base + gc_size(base) - sizeof(trailer_t));
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && me >= lo && me < lo + ph->p_memsz) {
            self_lo = lo;
            self_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

static void start(void)
{
    if (started)
        return;
    started = 1;
    if (gc_init() != 0) {
        static const char msg[] = "vmlab gc leaks: cannot reserve the heap\n";
        if (write(2, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    gc_disable();
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&start);
}

typedef struct bt {
    trailer_t *t; /* where the frames go */
} bt_t;

static _Unwind_Reason_Code one_frame(struct _Unwind_Context *ctx, void *arg)
{
    bt_t *b = arg;
    uintptr_t pc = _Unwind_GetIP(ctx);
    if (pc == 0)
        return _URC_END_OF_STACK;
    if (pc >= self_lo && pc < self_hi)
        return _URC_NO_REASON;
    b->t->pc[b->t->nframes++] = pc;
    return b->t->nframes == GCL_FRAMES ? _URC_END_OF_STACK : _URC_NO_REASON;
}

/* A block for n user bytes aligned to align (a power of two >= 16). */
static void *leak_alloc(size_t n, size_t align)
{
    size_t total;
    char *base, *user;
    trailer_t *t;
    start();
    /* the trailer keeps the offset in 32 bits: alignments past 2^31 fail
     * as glibc's do when no such block can be had */
    if (align > ((size_t)1 << 31) ||
        __builtin_add_overflow(n, sizeof(trailer_t) + (align > 16 ? align : 0), &total)) {
        errno = ENOMEM;
        return NULL;
    }
    base = gc_malloc(total);
    if (!base)
        return NULL;
    user = align > 16 ? (char *)(((uintptr_t)base + align - 1) & ~(uintptr_t)(align - 1)) : base;
    t = trailer_of(base);
    t->size = n;
    t->off = (uint32_t)(user - base);
    t->nframes = 0;
    if (!unwinding) {
        bt_t b = {t};
        unwinding = 1;
        _Unwind_Backtrace(one_frame, &b);
        unwinding = 0;
    }
    return user;
}

static void die(const char *what, const void *p)
{
    char buf[200];
    int n = snprintf(buf, sizeof buf, "vmlab gc leaks: %s %p\n", what, p);
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        abort();
    abort();
}

/* The block base of a user pointer, aborting on a bad one; NULL for memory
 * that is not the collector's (the loader's own early allocations). */
static void *user_base(void *p)
{
    void *base;
    uintptr_t off = (uintptr_t)p - gc_g.base;
    if (!started || off >= gc_g.reserved)
        return NULL;
    base = gc_base(p);
    if (!base)
        die("free or realloc of a pointer that is not allocated (double free?):", p);
    if ((char *)base + trailer_of(base)->off != (char *)p)
        die("free or realloc of a pointer inside a block, not its start:", p);
    return base;
}

EXPORT void *malloc(size_t n)
{
    return leak_alloc(n, 16);
}

EXPORT void free(void *p)
{
    void *base;
    if (p && (base = user_base(p)) != NULL)
        gc_free(base);
}

EXPORT void *calloc(size_t n, size_t m)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, m, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return leak_alloc(bytes, 16); /* gc_malloc zeroes */
}

EXPORT void *realloc(void *p, size_t n)
{
    void *base, *q;
    size_t old;
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    base = user_base(p);
    if (!base)
        die("realloc of memory malloc did not give:", p);
    old = trailer_of(base)->size;
    q = leak_alloc(n, 16);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    gc_free(base);
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    return vl_alloc_reallocarray(realloc, p, n, m);
}

/* A block aligned to align, a power of two (16 at least: malloc's). */
static void *aligned(size_t align, size_t n)
{
    return leak_alloc(n, align < 16 ? 16 : align);
}

EXPORT void *memalign(size_t align, size_t n)
{
    return vl_alloc_memalign(aligned, align, n);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    return vl_alloc_memalign(aligned, align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    return vl_alloc_posix_memalign(aligned, out, align, n);
}

EXPORT void *valloc(size_t n)
{
    return aligned(4096, n);
}

EXPORT void *pvalloc(size_t n)
{
    return vl_alloc_pvalloc(aligned, n, 4096);
}

EXPORT size_t malloc_usable_size(void *p)
{
    void *base = p ? user_base(p) : NULL;
    return base ? trailer_of(base)->size : 0;
}

static void put(int fd, const char *s);

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    static const char msg[] = "vmlab gc leaks: the program creates a thread; the collector scans "
                              "only one thread's stack, so gc leaks refuses threaded programs "
                              "(docs/gc.md)\n";
    const char *out = getenv("VMLAB_GC_LEAKS_OUT");
    int fd = out ? open(out, O_WRONLY | O_TRUNC | O_CLOEXEC) : -1;
    (void)t, (void)a, (void)fn, (void)arg;
    if (fd >= 0) { /* tells `vmlab gc leaks` that the message is out already */
        put(fd, "refused\n");
        close(fd);
    }
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(1);
    _exit(1);
}

/* ---- main's end ----
 * The report runs inside exit(), whose frames occupy the stack where main's
 * callees' frames were: their dead slots would keep leaked blocks "reachable"
 * (valgrind, checking after the process is gone, does not see them).  So
 * main is wrapped: when it returns, the stack below the wrapper is zeroed
 * before libc calls exit with main's status. */

typedef int main_fn(int, char **, char **);
typedef int start_fn(main_fn *, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
static main_fn *real_main;

__attribute__((noinline)) static void scrub_stack(void)
{
    volatile char buf[256 << 10];
    memset((char *)buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

static int wrapped_main(int argc, char **argv, char **envp)
{
    int rc = real_main(argc, argv, envp);
    scrub_stack();
    return rc;
}

int __libc_start_main(main_fn *m, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end);
EXPORT int __libc_start_main(main_fn *m, int argc, char **argv, void (*init)(void), void (*fini)(void),
                             void (*rtld_fini)(void), void *stack_end)
{
    start_fn *real = (start_fn *)dlsym(RTLD_NEXT, "__libc_start_main");
    if (!real)
        _exit(127);
    real_main = m;
    return real(wrapped_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* ---- the report ---- */

typedef struct leak {
    uintptr_t base; /* block */
    size_t bytes;   /* its usable size */
    int state;      /* 0 unreached (definite), 1 indirect */
} leak_t;

typedef struct leaks {
    leak_t *v;    /* unreached blocks in address order (mmap'd) */
    size_t n;     /* entries */
    size_t cap;   /* capacity */
    size_t *stk;  /* clique traversal stack (mmap'd, cap entries) */
} leaks_t;

static void add_unreached(uintptr_t base, size_t bytes, int marked, void *arg)
{
    leaks_t *L = arg;
    if (marked)
        return;
    if (L->n == L->cap) {
        size_t nc = L->cap ? 2 * L->cap : 1024;
        leak_t *nv = mmap(NULL, nc * sizeof *nv, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (nv == MAP_FAILED)
            return;
        if (L->v) {
            memcpy(nv, L->v, L->n * sizeof *nv);
            munmap(L->v, L->cap * sizeof *nv);
        }
        L->v = nv;
        L->cap = nc;
    }
    L->v[L->n].base = base;
    L->v[L->n].bytes = bytes;
    L->v[L->n].state = 0;
    L->n++;
}

/* The index of the unreached block containing w, or SIZE_MAX. */
static size_t find(const leaks_t *L, uintptr_t w)
{
    size_t lo = 0, hi = L->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w < L->v[mid].base)
            hi = mid;
        else if (w >= L->v[mid].base + L->v[mid].bytes)
            lo = mid + 1;
        else
            return mid;
    }
    return SIZE_MAX;
}

/* memcheck's cliques: from leader i, every unreached block reached (other
 * than i) becomes indirect; blocks already indirect are not entered again. */
GC_NO_ASAN static void clique(leaks_t *L, size_t i)
{
    size_t sp = 0;
    L->stk[sp++] = i;
    while (sp > 0) {
        size_t k = L->stk[--sp];
        const uintptr_t *w = (const uintptr_t *)L->v[k].base;
        const uintptr_t *e = (const uintptr_t *)(L->v[k].base + L->v[k].bytes - sizeof(trailer_t));
        for (; w < e; w++) {
            size_t t = find(L, *w);
            if (t == SIZE_MAX || t == i || L->v[t].state == 1)
                continue;
            L->v[t].state = 1;
            L->stk[sp++] = t;
        }
    }
}

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static char exe[4096]; /* the program's path, for its frames */

static void put_frame(int fd, uintptr_t pc)
{
    Dl_info di;
    char line[4200];
    const char *obj = exe;
    uintptr_t addr = pc - 1; /* the call, not the return address */
    if (dladdr((void *)pc, &di) && di.dli_fbase) {
        const ElfW(Ehdr) *eh = di.dli_fbase;
        if (eh->e_type == ET_DYN)
            addr -= (uintptr_t)di.dli_fbase;
        if (di.dli_fname && di.dli_fname[0] == '/')
            obj = di.dli_fname;
    }
    snprintf(line, sizeof line, "frame 0x%lx %s\n", (unsigned long)addr, obj[0] ? obj : "?");
    put(fd, line);
}

static void mark_root(const gc_root_t *r, void *arg)
{
    (void)arg;
    gc_mark_range(r->lo, r->hi, 0);
}

static int reported;

static void report(void)
{
    const char *out = getenv("VMLAB_GC_LEAKS_OUT"), *pid = getenv("VMLAB_GC_LEAKS_PID");
    leaks_t L = {0};
    int fd;
    ssize_t n;
    if (reported || !out || !pid || atol(pid) != (long)getpid())
        return;
    reported = 1;
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (started) {
        gc_mark_begin();
        gc_roots_each(mark_root, NULL);
        gc_each_block(add_unreached, &L);
    }
    if (L.n) {
        L.stk = mmap(NULL, L.n * sizeof(size_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (L.stk == MAP_FAILED)
            L.stk = NULL;
    }
    for (size_t i = 0; L.stk && i < L.n; i++)
        if (L.v[i].state == 0)
            clique(&L, i);
    for (size_t i = 0; i < L.n; i++) {
        trailer_t *t = trailer_of((void *)L.v[i].base);
        char line[128];
        snprintf(line, sizeof line, "leak %lu %s 0x%lx\n", (unsigned long)t->size,
                 L.v[i].state ? "indirect" : "definite", (unsigned long)(L.v[i].base + t->off));
        put(fd, line);
        for (uint32_t k = 0; k < t->nframes && k < GCL_FRAMES; k++)
            put_frame(fd, t->pc[k]);
    }
    put(fd, "end\n");
    close(fd);
}

static void on_signal(int sig)
{
    report();
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void leaks_init(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    start();
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            signal(sigs[i], on_signal);
    }
}

__attribute__((destructor)) static void leaks_fini(void)
{
    report();
}
