/* SPDX-License-Identifier: MIT */
/*
 * xlate.h - address translation step by step, as OSTEP's homework asks it:
 * base and bounds (ch. 15, relocation.py), segmentation (ch. 16,
 * segmentation.py), a linear page table (ch. 18, paging-linear-translate.py)
 * and a multi-level page table in a physical memory image (ch. 20,
 * paging-multilevel-translate.py), optionally behind a TLB (ch. 19).
 *
 * A problem (xl_problem_t) is the machine (sizes, registers, the table or the
 * memory image) and the virtual addresses to translate.  It comes from the
 * explicit text format (xl_parse, written by xl_write; docs/translate.md),
 * from a homework program's printed output (xl_parse_ostep), or from a seed
 * (xl_generate, the homework programs' generation rules over vmlab's RNG).
 * xl_translate answers one address: the physical address or the fault, and
 * every level of the walk (index, entry address, entry, valid bit, frame).
 *
 * Entry format (linear and multi): an entry is pte_bytes bytes; its top bit
 * is the valid bit and the bits below it are the frame number (PFN), so
 * 0x80000006 (4 bytes) and 0x86 (1 byte) both map to frame 6.  In memory an
 * entry is little-endian.
 *
 * Errors: -EINVAL (the text does not parse: diag has FILE:LINE), -EDOM (a
 * size that must be a power of two is not, or an address is wider than the
 * address space: a usage error for the command line).
 */
#ifndef VMLAB_XLATE_H
#define VMLAB_XLATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"

enum { XL_MAX_SEGS = 16, XL_MAX_LEVELS = 8 };
enum { XL_READ = 1, XL_WRITE = 2, XL_EXEC = 4 }; /* access kinds, protection bits */

typedef enum xl_model { XL_BOUNDS = 0, XL_SEG, XL_LINEAR, XL_MULTI } xl_model_t;

typedef enum xl_fault {
    XL_OK = 0,        /* translated */
    XL_FAULT_BOUNDS,  /* bounds: offset >= limit (segmentation violation) */
    XL_FAULT_SEG,     /* seg: outside the segment's limit (segmentation violation) */
    XL_FAULT_PROT,    /* seg: the access kind is not allowed (protection fault) */
    XL_FAULT_INVALID, /* linear/multi: an entry's valid bit is 0 (at step fault_level) */
    XL_FAULT_FRAME,   /* an entry or the result lies outside physical memory */
} xl_fault_t;

typedef struct xl_seg {
    uint64_t base;  /* grows up: lowest physical byte; down: one past the highest */
    uint64_t limit; /* size in bytes: valid offsets [0, limit) up, [size - limit, size) down */
    int down;       /* 1: grows toward lower addresses (a stack) */
    unsigned prot;  /* XL_READ | XL_WRITE | XL_EXEC allowed */
} xl_seg_t;

typedef struct xl_addr {
    uint64_t va;         /* the virtual address */
    unsigned access;     /* XL_READ (default), XL_WRITE or XL_EXEC */
    unsigned long line;  /* input line it came from, 0 if generated */
} xl_addr_t;

typedef struct xl_problem {
    xl_model_t model;                  /* which machine */
    uint64_t asize;                    /* address-space size in bytes, a power of two */
    uint64_t psize;                    /* physical memory size in bytes */
    uint64_t base, limit;              /* bounds: the registers */
    unsigned nsegs;                    /* seg: segments, a power of two, selected by
                                          the top log2(nsegs) bits of an address */
    xl_seg_t seg[XL_MAX_SEGS];         /* seg: segment registers */
    uint64_t page_size;                /* linear, multi: a power of two */
    unsigned pte_bytes;                /* linear, multi: bytes per entry, 1, 2, 4 or 8 */
    uint64_t *pt;                      /* linear: npte entries, VPN order (malloc'd) */
    uint64_t npte;                     /* linear: entries given; the rest are invalid */
    uint64_t ptbr;                     /* linear: physical address of the table
                                          (only to report entry addresses; default 0) */
    unsigned nlevels;                  /* multi: levels (0: derived by xl_problem_check) */
    unsigned level_bits[XL_MAX_LEVELS];/* multi: VPN bits per level, root first */
    uint64_t pdbr;                     /* multi: frame number of the root table */
    uint8_t *mem;                      /* multi: psize bytes of physical memory (malloc'd) */
    xl_addr_t *addr;                   /* the addresses to translate (malloc'd) */
    size_t naddr;                      /* how many */
    size_t addr_cap;                   /* allocated entries of addr */
} xl_problem_t;

/* One level of a page walk. */
typedef struct xl_step {
    uint64_t index;      /* index into this level's table */
    uint64_t entry_addr; /* physical address of the entry */
    uint64_t entry;      /* its contents */
    int valid;           /* its valid bit */
    uint64_t frame;      /* the frame it names (next table or the page) */
} xl_step_t;

typedef struct xl_result {
    uint64_t va;                  /* the virtual address */
    int valid;                    /* 1: translated to pa */
    uint64_t pa;                  /* physical address when valid */
    xl_fault_t fault;             /* XL_OK when valid */
    unsigned seg;                 /* seg: segment number */
    uint64_t vpn, offset;         /* linear, multi: page number and offset;
                                     bounds, seg: offset (vpn 0) */
    int tlb;                      /* -1 no TLB, 0 miss, 1 hit (no walk made) */
    unsigned nsteps;              /* walk levels made (the last may be the fault) */
    xl_step_t step[XL_MAX_LEVELS];/* root first */
    int has_value;                /* multi: value holds the byte at pa */
    uint8_t value;                /* multi: the byte loaded */
} xl_result_t;

typedef struct xl_tlb xl_tlb_t; /* fully associative, LRU, VPN -> PFN */

/* Defaults per model: the homework programs' (bounds, seg: 1k space, 16k
 * memory; linear: 16k, 64k, 4k pages, 4-byte entries; multi: 32 KiB space,
 * 4 KiB memory, 32-byte pages, 1-byte entries, levels derived). */
void xl_problem_init(xl_problem_t *p, xl_model_t model);
void xl_problem_free(xl_problem_t *p);
/* Append an address; 0 or -ENOMEM. */
int xl_problem_add(xl_problem_t *p, uint64_t va, unsigned access, unsigned long line);
/* Allocate mem (multi) or pt (linear, asize / page_size entries, all 0) for
 * the current sizes; 0, -ENOMEM or -EDOM (too big: at most 1 GiB of memory,
 * 2^26 entries).  Called by the parsers and the generator. */
int xl_problem_alloc(xl_problem_t *p, diag_t *d);
/* Validate: powers of two, levels covering the address bits, each table
 * fitting one page, every address < asize, segments inside memory.  Derives
 * nlevels when 0.  0 or -EDOM / -EINVAL with *d (file names the input). */
int xl_problem_check(xl_problem_t *p, const char *file, diag_t *d);

/* "bounds", "seg", "linear", "multi" -> model; -1 if unknown. */
int xl_model_parse(const char *s);
const char *xl_model_name(xl_model_t m);
/* A short sentence for a fault ("segmentation violation", ...). */
const char *xl_fault_name(xl_fault_t f);

/* The explicit text format (docs/translate.md): "key value" lines. */
int xl_parse(const char *text, size_t len, const char *file, xl_problem_t *p /* OUT */, diag_t *d);
/* Write p in the explicit format (xl_parse reads it back to an equal problem). */
void xl_write(const xl_problem_t *p, FILE *f);

/* A homework program's printed output (the question or the answers):
 * relocation.py for XL_BOUNDS, segmentation.py for XL_SEG,
 * paging-linear-translate.py for XL_LINEAR, paging-multilevel-translate.py
 * for XL_MULTI.  Prose lines are skipped; a line that starts like a part of
 * the problem but does not parse is an error with its line number. */
int xl_parse_ostep(const char *text, size_t len, const char *file, xl_model_t model,
                   xl_problem_t *p /* OUT */, diag_t *d);

/* Generation parameters (the homework programs' options). */
typedef struct xl_gen {
    uint64_t seed;      /* -s */
    size_t naddr;       /* -n: addresses to generate */
    unsigned used;      /* linear -u: percent of pages valid (default 50) */
    unsigned allocated; /* multi -a: virtual pages allocated (default 64) */
    int keep_regs;      /* bounds, seg: base/limit already set in p, keep them */
} xl_gen_t;
/* Fill p (sizes already set, xl_problem_check passed) with a random machine
 * and addresses: the homework programs' rules, vmlab's RNG (so the same
 * seed gives a different problem from Python's). */
int xl_generate(xl_problem_t *p, const xl_gen_t *g, diag_t *d);

/* A TLB of `entries` (>= 1) entries; NULL on ENOMEM. */
xl_tlb_t *xl_tlb_new(unsigned entries);
void xl_tlb_free(xl_tlb_t *t);

/* Translate a->va (linear and multi consult tlb first when non-NULL and fill
 * it on a successful walk).  p must have passed xl_problem_check. */
void xl_translate(const xl_problem_t *p, xl_tlb_t *tlb, const xl_addr_t *a, xl_result_t *r /* OUT */);

#endif
