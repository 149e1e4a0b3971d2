/* SPDX-License-Identifier: MIT */
/*
 * layout.c - where a running program's objects live: the original lab's
 * "mtest", done with the kernel's own map of the process.
 *
 * The probe takes the address of one object of every storage class C and
 * the loader know (code, string literal, const, relocated const pointer,
 * initialised data, bss, heap, stack at five recursion levels, alloca,
 * mmap, thread-local storage, argv and environ, a libc function, the vDSO)
 * and, at the deepest recursion level while every one of them is alive,
 * reads /proc/self/maps.  Each address is then looked up in the mapping
 * that contains it, and that mapping's kind (classify.c) must be the one
 * the storage class implies (CS:APP 9.7.2 fig. 9.26; System V ABI).
 *
 * Caveats the checks allow for: a small bss variable may sit in the last,
 * file-backed page of the data segment (the kernel zero-fills the rest of
 * that page), so it shows as "data"; the main thread's TLS block is
 * allocated by ld.so (glibc elf/dl-tls.c) in anonymous memory or in
 * ld.so's own data, never in the executable's.
 */
#include "vmlab/inspect.h"

#include <alloca.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

/* One object of each storage class; volatile writes keep them where the
 * compiler would put them in a program that uses them. */
static const int layout_const = 0x4c4142;          /* .rodata */
static const char *const layout_const_ptr = "ptr";  /* .data.rel.ro in a PIE: relro */
int layout_data = 42;                               /* .data */
int layout_bss_small;                               /* .bss */
static char layout_bss_big[1 << 20];                /* .bss, beyond the data's last page */
static __thread int layout_tls = 7;                 /* .tdata, in the TLS block */

#define K(k) (1u << INSPECT_K_##k)

typedef struct probe {
    inspect_layout_t *l;
    const inspect_src_t *src;
    diag_t *d;
    int rc;
} probe_t;

static void add(inspect_layout_t *l, const char *name, const void *addr, const char *what,
                uint32_t kinds, const char *perms)
{
    inspect_item_t *it;
    if (l->n == INSPECT_LAYOUT_MAX)
        return;
    it = &l->item[l->n++];
    it->name = name;
    it->addr = (uint64_t)(uintptr_t)addr;
    it->what = what;
    it->want_kinds = kinds;
    snprintf(it->want_perms, sizeof it->want_perms, "%s", perms);
    it->map = NULL;
}

/* Whether the heap starts at a random distance from the bss.  If not
 * (randomize_va_space < 2, or setarch -R), the brk area begins right after
 * the bss and the kernel may merge the two into one [heap] mapping. */
static int brk_randomized(void)
{
    return inspect_aslr_level() >= 2 && !(personality(0xffffffff) & ADDR_NO_RANDOMIZE);
}

static const char *const depth_names[] = {"stack, depth 1", "stack, depth 2", "stack, depth 3",
                                          "stack, depth 4", "stack, depth 5"};

/* At the deepest level: the rest of the objects, then the map. */
static void deepest(probe_t *p)
{
    inspect_layout_t *l = p->l;
    size_t n_alloca = 4096;
    char *a = alloca(n_alloca);
    void *heap[3], *region;
    size_t region_len = 1 << 20;

    a[0] = 1;
    add(l, "alloca'd array", a, "alloca(4096) at depth 5", K(STACK), "rw-");

    /* Three blocks below M_MMAP_THRESHOLD (128 KiB): served from brk, and
     * together more than the top of a young heap holds, so the break moves. */
    l->heap_request = 3 * (100 << 10);
    l->brk_before = (uint64_t)(uintptr_t)sbrk(0);
    for (int i = 0; i < 3; i++)
        heap[i] = malloc(100 << 10);
    l->brk_after = (uint64_t)(uintptr_t)sbrk(0);
    if (heap[0]) {
        memset(heap[0], 1, 100 << 10);
        add(l, "heap block", heap[0], "malloc(100 KiB), the first of three",
            INSPECT_ASAN_MALLOC ? K(ANON) : K(HEAP), "rw-");
    }
    region = mmap(NULL, region_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region != MAP_FAILED) {
        /* A name keeps it from merging with a neighbour (Linux >= 5.17). */
        prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)region, region_len,
              (unsigned long)"vmlab-layout");
        ((volatile char *)region)[0] = 1;
        add(l, "mmap'd region", region, "mmap(1 MiB, MAP_PRIVATE|MAP_ANONYMOUS)", K(ANON), "rw-");
    }

    p->rc = inspect_maps_load(p->src, 0, "maps", &l->maps, p->d);
    if (p->rc == 0)
        inspect_classify_src(&l->maps, p->src, 0);

    if (region != MAP_FAILED)
        munmap(region, region_len);
    for (int i = 0; i < 3; i++)
        free(heap[i]);
}

static __attribute__((noinline)) int recurse(probe_t *p, int depth)
{
    volatile char local[64];
    local[0] = (char)depth;
    add(p->l, depth_names[depth - 1], (const void *)local, "a local char[64] in the recursive call",
        K(STACK), "rw-");
    if (depth == 2)
        p->l->stack_frame_bytes =
            (long)(p->l->item[p->l->n - 2].addr - p->l->item[p->l->n - 1].addr);
    if (depth < 5)
        return recurse(p, depth + 1) + local[0]; /* not a tail call: frames stay */
    deepest(p);
    return local[0];
}

int inspect_layout_probe(const inspect_src_t *src, const void *main_fn, char **argv,
                         inspect_layout_t *out, diag_t *d)
{
    probe_t p = {out, src, d, 0};
    volatile int sink;

    memset(out, 0, sizeof *out);
    /* Writes, so that nothing is folded into .rodata or dropped. */
    *(volatile int *)&layout_data += 1;
    *(volatile int *)&layout_bss_small += 1;
    ((volatile char *)layout_bss_big)[sizeof layout_bss_big / 2] = 1;
    *(volatile int *)&layout_tls += 1;

    add(out, "main", main_fn, "&main", K(TEXT), "r-x");
    add(out, "another function", (const void *)inspect_layout_probe, "&inspect_layout_probe",
        K(TEXT), "r-x");
    add(out, "string literal", "a string literal", "\"a string literal\"", K(RODATA), "r--");
    add(out, "const int", &layout_const, "static const int", K(RODATA), "r--");
    add(out, "const pointer", &layout_const_ptr, "static const char *const (needs a relocation)",
        K(RELRO) | K(RODATA), "r--");
    add(out, "initialised data", &layout_data, "int x = 42", K(DATA), "rw-");
    add(out, "bss, small", &layout_bss_small, "int x; (may share data's last page)",
        K(BSS) | K(DATA), "rw-");
    add(out, "bss, 1 MiB array", &layout_bss_big[sizeof layout_bss_big / 2],
        "static char a[1 MiB], its middle", brk_randomized() ? K(BSS) : K(BSS) | K(HEAP), "rw-");
    add(out, "TLS variable", (const void *)&layout_tls, "__thread int (main thread's TLS block)",
        K(ANON) | K(BSS) | K(DATA) | K(HEAP), "rw-");
    if (argv)
        add(out, "argv", argv, "the argv array", K(STACK), "rw-");
    add(out, "argv[0]", argv ? argv[0] : program_invocation_name, "the program name string",
        K(STACK), "rw-");
    add(out, "environ", environ, "the environment array", K(STACK), "rw-");
    add(out, "libc function", (const void *)printf, "&printf", K(TEXT), "r-x");
    add(out, "vDSO", (const void *)getauxval(AT_SYSINFO_EHDR), "getauxval(AT_SYSINFO_EHDR)",
        K(VDSO), "r-x");

    sink = recurse(&p, 1);
    (void)sink;
    if (p.rc) {
        inspect_layout_free(out);
        return p.rc;
    }
    for (size_t i = 0; i < out->n; i++)
        out->item[i].map = inspect_maps_find(&out->maps, out->item[i].addr);
    return 0;
}

void inspect_layout_free(inspect_layout_t *l)
{
    inspect_maps_free(&l->maps);
    l->n = 0;
}

int inspect_item_ok(const inspect_item_t *it)
{
    const inspect_map_t *m = it->map;
    if (!m)
        return 0;
    for (int i = 0; i < 3; i++)
        if (it->want_perms[i] != '?' && it->want_perms[i] != m->perms[i])
            return 0;
    return (it->want_kinds >> m->kind) & 1;
}
