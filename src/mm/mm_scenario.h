/* SPDX-License-Identifier: MIT */
/*
 * mm_scenario.h - `vmlab mm` scenarios: one operation a line, parsed whole
 * before anything runs, then run on the model (mmsc_run_model) or in real
 * processes (mmsc_run_real, mm_real.c).  The language (docs/mm.md):
 *
 *   spawn [ELF]                       file NAME SIZE [cold]
 *   [SYM =] mmap ADDR|- LEN PROT FLAGS [FILE [OFF]]
 *   munmap ADDR LEN                   mprotect ADDR LEN PROT
 *   [SYM =] brk +LEN|-LEN|ADDR        touch r|w|x ADDR [LEN]
 *   fork   switch PID   exec [ELF]   exit   maps   walk ADDR   stats
 *   reclaim N
 *
 * ADDR: a number or SYM[+-N]; sizes take K/M/G; PROT: r, w, x or -
 * ("rw-", "---"); FLAGS: comma list of private, shared, anon, fixed,
 * populate, growsdown.  A trailing "! REASON" declares why the real kernel
 * differs on that line.  `#` starts a comment.
 */
#ifndef VMLAB_MM_SCENARIO_H
#define VMLAB_MM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"
#include "vmlab/mm.h"

typedef enum {
    MOP_SPAWN, MOP_FILE, MOP_MMAP, MOP_MUNMAP, MOP_MPROTECT, MOP_BRK, MOP_TOUCH, MOP_FORK,
    MOP_SWITCH, MOP_EXEC, MOP_EXIT, MOP_MAPS, MOP_WALK, MOP_STATS, MOP_RECLAIM
} mmsc_kind_t;

typedef struct mmsc_addr {
    char sym[32];      /* symbol, "" for an absolute address */
    int64_t off;       /* added to the symbol's value (or the address) */
} mmsc_addr_t;

typedef struct mmsc_op {
    mmsc_kind_t kind;  /* the operation */
    unsigned long line;/* 1-based line */
    char text[160];    /* the line as written (without comment and reason) */
    char bind[32];     /* SYM = ..., "" if none */
    mmsc_addr_t addr;  /* mmap hint, munmap/mprotect/touch/walk address, brk ADDR */
    int addr_none;     /* mmap with "-" */
    uint64_t len;      /* LEN, brk +/-LEN, file SIZE, reclaim N, switch PID */
    int brk_rel;       /* brk: +1 grow, -1 shrink, 0 absolute */
    unsigned prot;     /* MM_PROT_* */
    unsigned flags;    /* MM_MAP_* */
    char name[64];     /* file name, ELF path */
    uint64_t off;      /* mmap file offset */
    int cold;          /* file: not in the page cache */
    mm_access_t acc;   /* touch */
    char reason[120];  /* declared real difference, "" if none */
} mmsc_op_t;

typedef struct mmsc {
    mmsc_op_t *ops;    /* in file order */
    size_t n;          /* count */
} mmsc_t;

/* Parse; 0 or -EINVAL with d naming FILE:LINE. */
int mmsc_parse(const char *text, size_t len, const char *file, mmsc_t *out /* OUT */, diag_t *d);
void mmsc_free(mmsc_t *sc);

/* One operation's outcome. */
typedef struct mmsc_result {
    int ran;           /* 0: not run (real: not supported) */
    int64_t minflt, majflt; /* faults of the acting task during the op */
    int64_t vmas;      /* VMAs of the acting task minus its count at spawn */
    int rc;            /* the call's -errno, 0 ok */
    int segv;          /* 0, or 1 MAPERR / 2 ACCERR (touch) */
    char note[96];     /* why not run */
    /* walk (model only): the levels mm_walk filled, the address asked and
     * its physical address (0: not mapped). */
    int nwalk;                /* levels filled, 0..4 */
    mm_walk_level_t walk[4];  /* [nwalk] */
    uint64_t walk_addr, walk_pa;
} mmsc_result_t;

typedef struct mmsc_opts {
    mm_config_t cfg;   /* the machine */
    int explain;       /* narrate every fault to out */
    FILE *out;         /* maps/walk/stats/explain text; NULL: none */
    /* Called before each line (NULL: never): lines done, lines in all, lines
     * done again as the count; progress_cb with a progress_t as ctx fits.
     * mmsc_run_real calls it too. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total, uint64_t count);
    void *progress_ctx; /* progress's first argument */
} mmsc_opts_t;

/* Run on the model; res[i] for ops[i]; final counters per task printed by the
 * caller from *sys (returned alive; caller destroys).  0 or -errno with d. */
int mmsc_run_model(const mmsc_t *sc, const mmsc_opts_t *o, mmsc_result_t *res /* OUT, n */,
                   mm_sys_t **sys /* OUT */, diag_t *d);
/* Run in real child processes (mm_real.c); of o, only progress is used (o
 * may be NULL). */
int mmsc_run_real(const mmsc_t *sc, const mmsc_opts_t *o, mmsc_result_t *res /* OUT, n */, diag_t *d);

/* Bundled scenarios. */
typedef struct mmsc_bundled {
    const char *name;  /* --list name */
    const char *what;  /* the question it answers */
    const char *text;  /* the scenario */
} mmsc_bundled_t;
const mmsc_bundled_t *mmsc_bundled(size_t *n /* OUT */);

#endif
