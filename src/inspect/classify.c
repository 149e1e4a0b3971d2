/* SPDX-License-Identifier: MIT */
/*
 * classify.c - what each mapping of a process is: text, rodata, relro,
 * data, bss, heap, stack, vdso, ... and whether it belongs to a library.
 *
 * Rules, in order (the loader's behaviour they rely on is in elf.c):
 *  1. pseudo paths name themselves: [heap], [stack], [vdso], [vvar],
 *     [vvar_vclock], [vsyscall]; [anon:NAME] and other brackets are anonymous;
 *  2. ---p (no access) is a guard or an alignment gap;
 *  3. a file mapping is matched to the PT_LOAD segment holding its file
 *     offset: a writable segment gives data (rw-) or relro (r--: the part
 *     ld.so made read-only, PT_GNU_RELRO); an executable one text; a
 *     read-only one rodata (ELF headers, .rodata, .eh_frame);
 *     a file none of whose mappings is executable, or that is not ELF
 *     (locale archives, caches, shared memory), is a plain file;
 *     when the file cannot be read, the permissions decide (x text, w data,
 *     r-- followed at once by the same file's rw- relro, else rodata);
 *  4. an anonymous rw- mapping that starts exactly where an ELF's data
 *     mapping ends is that ELF's bss (the zero-fill part of p_memsz beyond
 *     p_filesz that did not fit in the last file page);
 *  5. any other mapping without a file is anonymous, and so is shared
 *     anonymous memory, which maps show as "/dev/zero (deleted)".
 * A mapping belongs to a library when its file is not the executable.
 */
#include "vmlab/inspect.h"

#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"

static const char *const kind_names[INSPECT_K_COUNT] = {
    "?", "text", "rodata", "relro", "data", "bss", "heap", "stack",
    "vdso", "vvar", "vsyscall", "anonymous", "file", "guard",
};

const char *inspect_kind_name(inspect_kind_t k)
{
    return (unsigned)k < INSPECT_K_COUNT ? kind_names[k] : "?";
}

static inspect_kind_t pseudo_kind(const char *p)
{
    if (strcmp(p, "[heap]") == 0)
        return INSPECT_K_HEAP;
    if (strcmp(p, "[stack]") == 0 || strncmp(p, "[stack:", 7) == 0)
        return INSPECT_K_STACK;
    if (strcmp(p, "[vdso]") == 0)
        return INSPECT_K_VDSO;
    if (strncmp(p, "[vvar", 5) == 0)
        return INSPECT_K_VVAR;
    if (strcmp(p, "[vsyscall]") == 0)
        return INSPECT_K_VSYSCALL;
    return INSPECT_K_ANON;
}

static int same_file(const inspect_map_t *a, const inspect_map_t *b)
{
    return a->inode == b->inode && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor &&
           strcmp(a->path, b->path) == 0;
}

static uint64_t page_down(uint64_t x)
{
    return x & ~(uint64_t)4095;
}

/* The segment kind of file mapping m from its ELF program headers. */
static inspect_kind_t elf_kind(const inspect_map_t *m, const inspect_elf_t *e, int *seg)
{
    int w = -1, x = -1, r = -1;
    for (int i = 0; i < e->nload; i++) {
        const inspect_elf_seg_t *s = &e->load[i];
        uint64_t lo = page_down(s->offset), hi = s->offset + s->filesz;
        if (m->offset < lo || m->offset >= (hi > lo ? hi : lo + 1))
            continue;
        if ((s->flags & 2) && w < 0)
            w = i;
        else if ((s->flags & 1) && x < 0)
            x = i;
        else if (r < 0)
            r = i;
    }
    if (w >= 0 && (m->perms[1] == 'w' || m->perms[2] != 'x')) {
        *seg = w;
        return m->perms[1] == 'w' ? INSPECT_K_DATA : INSPECT_K_RELRO;
    }
    if (x >= 0 && m->perms[2] == 'x') {
        *seg = x;
        return INSPECT_K_TEXT;
    }
    if (r >= 0 || x >= 0) {
        *seg = r >= 0 ? r : x;
        return m->perms[2] == 'x' ? INSPECT_K_TEXT : INSPECT_K_RODATA;
    }
    *seg = -1;
    return INSPECT_K_FILE;
}

/* Without the file: from the permissions and the neighbours. */
static inspect_kind_t perm_kind(const inspect_maps_t *mm, size_t i)
{
    const inspect_map_t *m = &mm->m[i], *nx = i + 1 < mm->n ? &mm->m[i + 1] : NULL;
    if (m->perms[2] == 'x')
        return INSPECT_K_TEXT;
    if (m->perms[1] == 'w')
        return INSPECT_K_DATA;
    if (nx && same_file(m, nx) && nx->start == m->end && nx->perms[1] == 'w' &&
        nx->offset == m->offset + (m->end - m->start))
        return INSPECT_K_RELRO;
    return INSPECT_K_RODATA;
}

/* Whether the file mapped in mm->m[i] is an ELF object whose segments are
 * mapped (some mapping of the same file is executable). */
static int elf_group(const inspect_maps_t *mm, size_t i)
{
    for (size_t j = i; j > 0 && same_file(&mm->m[j - 1], &mm->m[i]); j--)
        if (mm->m[j - 1].perms[2] == 'x')
            return 1;
    for (size_t j = i; j < mm->n && same_file(&mm->m[j], &mm->m[i]); j++)
        if (mm->m[j].perms[2] == 'x')
            return 1;
    return 0;
}

void inspect_classify(inspect_maps_t *mm, const char *exe, inspect_elf_lookup_fn lookup, void *ctx)
{
    const char *first_file = NULL;
    for (size_t i = 0; i < mm->n; i++)
        if (mm->m[i].path[0] == '/') {
            first_file = mm->m[i].path;
            break;
        }
    if (!exe || !exe[0])
        exe = first_file ? first_file : "";

    for (size_t i = 0; i < mm->n; i++) {
        inspect_map_t *m = &mm->m[i];
        const inspect_map_t *pv = i ? &mm->m[i - 1] : NULL;
        m->library = 0;
        m->elf_seg = -1;
        if (m->path[0] == '[') {
            m->kind = pseudo_kind(m->path);
            continue;
        }
        if (m->path[0] == '\0') {
            if (pv && pv->end == m->start && pv->kind == INSPECT_K_DATA && pv->path[0] == '/' &&
                m->perms[0] == 'r' && m->perms[1] == 'w' && m->perms[3] == 'p') {
                m->kind = INSPECT_K_BSS;
                m->library = pv->library;
                m->elf_seg = pv->elf_seg;
            } else {
                m->kind = m->perms[0] == '-' && m->perms[1] == '-' && m->perms[2] == '-'
                              ? INSPECT_K_GUARD
                              : INSPECT_K_ANON;
            }
            continue;
        }
        if (m->deleted && m->inode && strcmp(m->path, "/dev/zero") == 0) {
            /* MAP_SHARED|MAP_ANONYMOUS: shmem the kernel names after /dev/zero. */
            m->kind = INSPECT_K_ANON;
            continue;
        }
        {
            /* Only a file with an executable mapping can be a loaded ELF
             * object; reading every mapped file would cost one open per
             * mapping on processes with thousands of shared-memory maps. */
            int group = elf_group(mm, i);
            const inspect_elf_t *e = lookup && group ? lookup(ctx, m) : NULL;
            int is_elf = group;
            m->library = is_elf && strcmp(m->path, exe) != 0;
            if (m->perms[0] == '-' && m->perms[1] == '-' && m->perms[2] == '-')
                m->kind = INSPECT_K_GUARD;
            else if (e)
                m->kind = elf_kind(m, e, &m->elf_seg);
            else if (is_elf)
                m->kind = perm_kind(mm, i);
            else
                m->kind = INSPECT_K_FILE;
        }
    }
    VL_DEBUG_CHECK(inspect_maps_check(mm));
}

/* ---- the lookup through an inspect_src_t: one ELF read per file ---------- */

typedef struct elf_cache {
    const inspect_src_t *src;
    int pid;
    const inspect_map_t *last; /* mapping whose file `elf` describes */
    int ok;                    /* elf is valid */
    inspect_elf_t elf;
    unsigned char buf[8192];
} elf_cache_t;

static const inspect_elf_t *src_lookup(void *ctx, const inspect_map_t *m)
{
    elf_cache_t *c = ctx;
    long n;
    if (c->last && same_file(c->last, m))
        return c->ok ? &c->elf : NULL;
    c->last = m;
    c->ok = 0;
    if (!c->src->file_head || m->path[0] != '/')
        return NULL;
    n = c->src->file_head(c->src->ctx, c->pid, m->start, m->end, m->path, c->buf, sizeof c->buf);
    if (n > 0 && inspect_elf_parse(c->buf, (size_t)n, &c->elf) == 0)
        c->ok = 1;
    return c->ok ? &c->elf : NULL;
}

void inspect_classify_src(inspect_maps_t *mm, const inspect_src_t *src, int pid)
{
    char exe[4096] = "";
    elf_cache_t *c = calloc(1, sizeof *c);
    if (src->exe_path)
        src->exe_path(src->ctx, pid, exe, sizeof exe);
    if (!c) {
        inspect_classify(mm, exe, NULL, NULL);
        return;
    }
    c->src = src;
    c->pid = pid;
    inspect_classify(mm, exe, src_lookup, c);
    free(c);
}
