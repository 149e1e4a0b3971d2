/* SPDX-License-Identifier: MIT */
/*
 * inspect.h - looking at a real Linux process's memory: /proc/PID/maps and
 * smaps parsed and classified, /proc/PID/pagemap and /proc/kpageflags
 * decoded, the layout of this very process probed, and page-fault
 * experiments measured with the kernel's own counters.
 *
 * Nothing here is simulated.  The formats are the kernel's
 * (Documentation/filesystems/proc.rst, Documentation/admin-guide/mm/pagemap.rst);
 * every read of /proc goes through an inspect_src_t, so the parsers and the
 * classifier run in tests on captured text and fake pagemap entries, and on
 * the live /proc through inspect_src_proc().
 *
 * Conventions: 0 or -errno with an optional diag_t (vmlab/diag.h); ranges
 * are half-open [start, end); strings are owned by the structure holding them.
 */
#ifndef VMLAB_INSPECT_H
#define VMLAB_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"

/* Whether malloc is AddressSanitizer's allocator (which mmaps every arena,
 * so no block is on the brk heap): the layout and the malloc experiment then
 * expect anonymous memory where glibc's malloc would use [heap]. */
#if defined(__SANITIZE_ADDRESS__)
#define INSPECT_ASAN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INSPECT_ASAN_MALLOC 1
#endif
#endif
#ifndef INSPECT_ASAN_MALLOC
#define INSPECT_ASAN_MALLOC 0
#endif

/* ---- the injection point: where /proc text and bytes come from ---------- */

typedef struct inspect_src {
    /* Read all of /proc/PID/NAME ("maps", "smaps", "statm"; pid 0 = self)
     * into a malloc'd NUL-terminated buffer.  Errors: -ENOENT no such
     * process, -EACCES may not be read, with *d filled. */
    int (*read_text)(void *ctx, int pid, const char *name, char **data /* OUT */,
                     size_t *len /* OUT */, diag_t *d);
    /* Read exactly n bytes at byte offset off of /proc/PID/NAME ("pagemap";
     * pid -1 with "kpageflags" or "kpagecount" for the global files).
     * Returns 0, or -errno (-EACCES when not allowed, -EIO short read). */
    int (*read_at)(void *ctx, int pid, const char *name, uint64_t off, void *buf,
                   size_t n, diag_t *d);
    /* Read up to n bytes from the start of the file behind a mapping of
     * process pid, [start, end) with path `path`; returns the count read or
     * -errno.  NULL: files are never read (the classifier falls back on
     * permissions alone). */
    long (*file_head)(void *ctx, int pid, uint64_t start, uint64_t end, const char *path,
                      void *buf, size_t n);
    /* Path of the process's executable ("" if unknown) into buf[n]. */
    int (*exe_path)(void *ctx, int pid, char *buf, size_t n);
    void *ctx; /* passed to every call */
} inspect_src_t;

/* The real /proc (static storage; never freed). */
const inspect_src_t *inspect_src_proc(void);
/* Whether this process has CAP_SYS_ADMIN in its effective set: without it
 * the kernel reports every PFN in pagemap as 0 (Linux >= 4.2). */
int inspect_have_cap_sys_admin(void);
/* The kernel's address-space randomisation level,
 * /proc/sys/kernel/randomize_va_space (0 off, 1 stack/mmap/vDSO, 2 also
 * brk); 2 when unreadable.  Read here so that proc.c stays the only file
 * that opens /proc. */
int inspect_aslr_level(void);
/* The system page size in bytes. */
uint64_t inspect_page_size(void);

/* ---- maps and smaps ------------------------------------------------------ */

#define INSPECT_MAX_FIELDS 40 /* distinct smaps fields kept per file */

typedef enum inspect_kind {
    INSPECT_K_UNKNOWN = 0, /* not classified yet */
    INSPECT_K_TEXT,        /* code: an R+X PT_LOAD segment */
    INSPECT_K_RODATA,      /* read-only data: an R PT_LOAD (headers, .rodata, .eh_frame) */
    INSPECT_K_RELRO,       /* part of the RW segment made read-only after relocation */
    INSPECT_K_DATA,        /* the RW segment's file-backed pages (.data, .got) */
    INSPECT_K_BSS,         /* zero-fill pages after the RW segment's file contents */
    INSPECT_K_HEAP,        /* [heap]: the brk area */
    INSPECT_K_STACK,       /* [stack]: the main thread's stack */
    INSPECT_K_VDSO,        /* [vdso]: kernel code mapped into user space */
    INSPECT_K_VVAR,        /* [vvar] / [vvar_vclock]: the data the vDSO reads */
    INSPECT_K_VSYSCALL,    /* [vsyscall]: the legacy fixed-address page */
    INSPECT_K_ANON,        /* anonymous memory: mmap, thread stacks, arenas */
    INSPECT_K_FILE,        /* a mapped file that is not an ELF segment */
    INSPECT_K_GUARD,       /* ---p: reserved, no access (alignment gaps, guard pages) */
    INSPECT_K_COUNT
} inspect_kind_t;

typedef struct inspect_map {
    uint64_t start, end;       /* [start, end): vm_start..vm_end */
    char perms[5];             /* "r-xp": read, write, exec, p(rivate)/s(hared) */
    uint64_t offset;           /* vm_pgoff << PAGE_SHIFT: file offset of start */
    unsigned dev_major;        /* device of the file, 0:0 if anonymous */
    unsigned dev_minor;
    uint64_t inode;            /* inode of the file, 0 if anonymous */
    char *path;                /* "" if anonymous; " (deleted)" stripped; owned */
    int deleted;               /* the file was deleted after being mapped */
    inspect_kind_t kind;       /* set by inspect_classify() */
    int library;               /* 1: part of a shared object, not the executable */
    int elf_seg;               /* index of its PT_LOAD segment, -1 if none/unknown */
    uint64_t have;             /* bit i set: field i was present for this mapping */
    uint64_t val[INSPECT_MAX_FIELDS]; /* smaps field i's value (kB, or a count) */
    char vmflags[96];          /* smaps "VmFlags:" words, "" if absent */
} inspect_map_t;

typedef struct inspect_maps {
    inspect_map_t *m;  /* mappings in file order (ascending addresses) */
    size_t n;          /* count */
    size_t cap;        /* allocated */
    int nfields;       /* smaps fields seen, in order of first appearance */
    char field[INSPECT_MAX_FIELDS][24]; /* their names ("Rss") */
    int field_kb[INSPECT_MAX_FIELDS];   /* 1: value is in kB; 0: a plain number */
    int smaps;         /* 1: the text had smaps fields, 0: plain maps */
} inspect_maps_t;

/* Parse the text of /proc/PID/maps or /proc/PID/smaps, [text, text + len),
 * into *out (zeroed first; free with inspect_maps_free).  `name` is used in
 * diagnostics ("name:LINE: ...").  Fails on a malformed line. */
int inspect_maps_parse(const char *name, const char *text, size_t len,
                       inspect_maps_t *out /* OUT */, diag_t *d);
void inspect_maps_free(inspect_maps_t *mm);
/* Abort if an invariant is broken: start < end, page-aligned, sorted,
 * non-overlapping, perms well formed, every `have` bit < nfields. */
void inspect_maps_check(const inspect_maps_t *mm);
/* Index of field `name` or -1. */
int inspect_maps_field(const inspect_maps_t *mm, const char *name);
/* The mapping containing addr, or NULL. */
const inspect_map_t *inspect_maps_find(const inspect_maps_t *mm, uint64_t addr);
/* Read and parse /proc/PID/NAME (NAME "maps" or "smaps") through src. */
int inspect_maps_load(const inspect_src_t *src, int pid, const char *name,
                      inspect_maps_t *out /* OUT */, diag_t *d);

/* ---- ELF program headers: why one file is mapped several times ---------- */

#define INSPECT_ELF_MAX_LOADS 16

typedef struct inspect_elf_seg {
    uint64_t offset, vaddr, filesz, memsz; /* p_offset, p_vaddr, p_filesz, p_memsz */
    uint32_t flags;                       /* p_flags: PF_X 1, PF_W 2, PF_R 4 */
} inspect_elf_seg_t;

typedef struct inspect_elf {
    int nload;                                /* PT_LOAD segments, in file order */
    inspect_elf_seg_t load[INSPECT_ELF_MAX_LOADS];
    int has_relro;                            /* a PT_GNU_RELRO header exists */
    inspect_elf_seg_t relro;                  /* its range */
    int type;                                 /* e_type: 2 EXEC, 3 DYN */
} inspect_elf_t;

/* Parse an ELF64 little-endian header and its program headers from the
 * first n bytes of a file.  -ENOEXEC if it is not one (or the program
 * headers lie beyond n). */
int inspect_elf_parse(const void *buf, size_t n, inspect_elf_t *out /* OUT */);

/* ---- classification ------------------------------------------------------ */

/* How a mapping's file is described to the classifier: NULL if the file
 * could not be read (permissions decide), else its program headers. */
typedef const inspect_elf_t *(*inspect_elf_lookup_fn)(void *ctx, const inspect_map_t *m);

/* Set kind, library and elf_seg of every mapping.  exe: the executable's
 * path ("" or NULL: unknown).  lookup may be NULL. */
void inspect_classify(inspect_maps_t *mm, const char *exe, inspect_elf_lookup_fn lookup,
                      void *ctx);
/* Classify through src: reads the executable path and ELF headers of pid. */
void inspect_classify_src(inspect_maps_t *mm, const inspect_src_t *src, int pid);
const char *inspect_kind_name(inspect_kind_t k);

/* ---- pagemap and kpageflags ---------------------------------------------- */

typedef struct inspect_page {
    uint64_t vaddr;       /* the virtual page's address */
    uint64_t raw;         /* the 64-bit pagemap entry */
    int present;          /* bit 63: a frame is mapped */
    int swapped;          /* bit 62: the page is in swap */
    int file_shared;      /* bit 61: page-cache page or shared anonymous */
    int exclusive;        /* bit 56: mapped by this process only (map count 1) */
    int soft_dirty;       /* bit 55: written since soft-dirty was cleared */
    int uffd_wp;          /* bit 57: userfaultfd write-protected */
    uint64_t pfn;         /* bits 0-54 if present; 0 when the kernel hides it */
    int pfn_hidden;       /* present but PFN 0: no CAP_SYS_ADMIN */
    unsigned swap_type;   /* bits 0-4 if swapped */
    uint64_t swap_offset; /* bits 5-54 if swapped */
    int have_kflags;      /* kflags was read from /proc/kpageflags */
    uint64_t kflags;      /* KPF_* bits of the frame */
    int have_count;       /* count was read from /proc/kpagecount */
    uint64_t count;       /* how many times the frame is mapped */
} inspect_page_t;

/* Decode one pagemap entry for the page at vaddr. */
void inspect_pagemap_decode(uint64_t raw, uint64_t vaddr, inspect_page_t *out /* OUT */);
/* Read and decode the entries for n pages from vaddr (page-aligned) of pid
 * into out[n]; with_kflags: also read kpageflags and kpagecount for present
 * frames with a visible PFN (silently skipped where not permitted). */
int inspect_pagemap_read(const inspect_src_t *src, int pid, uint64_t vaddr, size_t n,
                         int with_kflags, inspect_page_t *out /* OUT */, diag_t *d);

/* Name of kpageflags bit b ("uptodate", "zero_page"), NULL if unnamed. */
const char *inspect_kpf_name(unsigned b);
/* Append the names of the set bits of flags, separated by sep, to buf[n]. */
void inspect_kpf_format(uint64_t flags, const char *sep, char *buf, size_t n);

/* ---- the layout of this process ------------------------------------------ */

typedef struct inspect_item {
    const char *name;       /* "string literal", "stack (depth 3)", ... */
    uint64_t addr;          /* where it is */
    const char *what;       /* how it was obtained, one phrase */
    uint32_t want_kinds;    /* bit k set: kind k is where it belongs */
    char want_perms[4];     /* "r-x": what the mapping must allow ('?' any) */
    const inspect_map_t *map; /* the mapping it lies in, NULL if none */
} inspect_item_t;

#define INSPECT_LAYOUT_MAX 40

typedef struct inspect_layout {
    inspect_item_t item[INSPECT_LAYOUT_MAX]; /* in probe order */
    size_t n;
    inspect_maps_t maps;      /* /proc/self/maps at the deepest point */
    uint64_t brk_before;      /* sbrk(0) before the heap allocation */
    uint64_t brk_after;       /* sbrk(0) after it */
    size_t heap_request;      /* bytes malloc'd to grow the heap */
    long stack_frame_bytes;   /* distance between two recursion levels */
} inspect_layout_t;

/* Probe this process: record the address of every kind of object, read
 * /proc/self/maps through src while all are alive, classify, and attach
 * each item to its mapping.  main_fn: the caller's main (or any function of
 * the executable); argv: main's, or NULL (then argv[0] is found through
 * program_invocation_name).  Free with inspect_layout_free. */
int inspect_layout_probe(const inspect_src_t *src, const void *main_fn, char **argv,
                         inspect_layout_t *out /* OUT */, diag_t *d);
void inspect_layout_free(inspect_layout_t *l);
/* Whether item i lies in a mapping of an expected kind and permissions. */
int inspect_item_ok(const inspect_item_t *it);

/* ---- fault experiments --------------------------------------------------- */

#define INSPECT_FX_MAX_LINES 24

typedef struct inspect_fx_line {
    char text[200];         /* "what was done" or "what was measured" */
} inspect_fx_line_t;

typedef struct inspect_fx {
    const char *name;          /* "malloc", "zero", ... */
    const char *question;      /* the lab question it answers */
    inspect_fx_line_t did[INSPECT_FX_MAX_LINES];      /* steps done */
    size_t ndid;
    inspect_fx_line_t measured[INSPECT_FX_MAX_LINES]; /* numbers measured */
    size_t nmeasured;
    char conclusion[400];      /* one sentence */
    int confirmed;             /* 1: the numbers show what the conclusion says */
    /* Key figures, for tests. */
    long pages;                /* pages the experiment touched */
    long minflt, majflt;       /* faults counted over the measured step */
    long rss_delta_kb;         /* RSS change over the measured step */
    long distinct_pfns;        /* distinct PFNs seen (-1: PFNs hidden) */
    long extra;                /* experiment-specific (see faults.c) */
} inspect_fx_t;

typedef struct inspect_fx_desc {
    const char *name;   /* command-line name */
    const char *summary;
    int (*run)(const inspect_src_t *src, inspect_fx_t *out, diag_t *d);
} inspect_fx_desc_t;

/* The experiments, in order; *n gets the count. */
const inspect_fx_desc_t *inspect_fx_table(size_t *n /* OUT */);

#endif
