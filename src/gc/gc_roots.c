/* SPDX-License-Identifier: MIT */
/*
 * gc_roots.c - where the roots are on Linux x86-64 (CS:APP 9.10.1: registers,
 * stack, globals; bdwgc os_dep.c and mark_rts.c do the same with more cases).
 *
 *  - registers: __builtin_unwind_init() makes this function save every
 *    callee-saved register in its frame, and setjmp copies them again into a
 *    jmp_buf on the stack (glibc mangles only rsp, rbp and pc there); the
 *    caller-saved ones are dead across the call by the ABI;
 *  - the stack: from below this frame to the thread's stack base, which for
 *    the main thread is __libc_stack_end (the stack pointer at process
 *    start: what lies above it is argv and the environment); another thread
 *    uses pthread_getattr_np (docs/gc.md: the collector scans only the
 *    calling thread);
 *  - data and BSS: the writable PT_LOAD segments of the program and of every
 *    shared library (dl_iterate_phdr), i.e. __data_start.._end for the
 *    program.  This covers libc's own globals (stdio's buffers hang from
 *    them) but not memory libc's malloc hands out: its arenas are roots of
 *    nobody here.  The collector's own state (gc_g) is cut out;
 *  - thread-local storage: each module's PT_TLS block of the calling thread
 *    (dlpi_tls_data);
 *  - the ranges registered with gc_add_roots.
 */
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gc/gc_impl.h"

extern void *__libc_stack_end;

typedef struct roots_ctx {
    gc_root_fn *fn; /* the caller's callback */
    void *arg;      /* its argument */
} roots_ctx_t;

/* Report [lo, hi) minus gc_g's own bytes. */
static void report(roots_ctx_t *c, const char *kind, const char *name, uintptr_t lo, uintptr_t hi)
{
    uintptr_t glo = (uintptr_t)&gc_g, ghi = glo + sizeof gc_g;
    gc_root_t r = {kind, name, lo, hi};
    if (lo >= hi)
        return;
    if (glo < hi && ghi > lo) {
        report(c, kind, name, lo, glo);
        report(c, kind, name, ghi, hi);
        return;
    }
    c->fn(&r, c->arg);
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    roots_ctx_t *c = arg;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "(program)";
    (void)size;
    if (strstr(name, "linux-vdso"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
            report(c, "data+bss", name, lo, lo + ph->p_memsz);
        } else if (ph->p_type == PT_TLS && info->dlpi_tls_data) {
            uintptr_t lo = (uintptr_t)info->dlpi_tls_data;
            report(c, "tls", name, lo, lo + ph->p_memsz);
        }
    }
    return 0;
}

/* An address just below the caller's frame. */
__attribute__((noinline)) static uintptr_t below_frame(void)
{
    return (uintptr_t)__builtin_frame_address(0);
}

static uintptr_t stack_base(void)
{
    pthread_attr_t a;
    void *lo;
    size_t len;
    if (getpid() == (pid_t)syscall(SYS_gettid))
        return (uintptr_t)__libc_stack_end;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return 0;
    pthread_attr_getstack(&a, &lo, &len);
    pthread_attr_destroy(&a);
    return (uintptr_t)lo + len;
}

__attribute__((noinline)) void gc_roots_each(gc_root_fn *fn, void *arg)
{
    roots_ctx_t c = {fn, arg};
    jmp_buf regs;
    uintptr_t sp, base;
    __builtin_unwind_init();
    setjmp(regs);
    sp = below_frame() & ~(uintptr_t)7;
    base = stack_base();
    if (base > sp)
        report(&c, "registers+stack", "", sp, base);
    dl_iterate_phdr(each_object, &c);
    for (size_t i = 0; i < gc_g.nroots; i++)
        report(&c, "registered", "", gc_g.roots[i].lo, gc_g.roots[i].hi);
    /* keep the spill alive until every root has been reported */
    __asm__ volatile("" : : "r"(&regs) : "memory");
}
