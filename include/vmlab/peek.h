/* SPDX-License-Identifier: MIT */
/*
 * peek.h - reading, writing and searching another process's memory within
 * the kernel's rules: `vmlab peek`, `poke` and `scan`.
 *
 * Access (access.h, one ops struct per way in): process_vm_readv(2) and
 * process_vm_writev(2) first; /proc/PID/mem as the fallback.  Both need
 * ptrace access to the target (PTRACE_MODE_ATTACH_REALCREDS for the system
 * calls, _FSCREDS for the file; kernel/ptrace.c __ptrace_may_access): the
 * same user and a dumpable process, or CAP_SYS_PTRACE, and Yama's
 * ptrace_scope (security/yama/yama_lsm.c).  The two differ on a read-only
 * page: process_vm_writev writes as the target itself would and fails with
 * EFAULT, while a write to /proc/PID/mem uses FOLL_FORCE, as a debugger
 * setting a breakpoint does, and breaks copy-on-write: the target gets a
 * private copy of the page and the file and other processes keep theirs.
 * peek_why() names the rule that refused and what would allow it.
 *
 * Scanning (scan.c) is scanmem's method (github.com/scanmem/scanmem): a
 * first scan reads every selected readable+writable mapping in big chunks
 * and keeps the addresses holding the value; each narrowing step re-reads
 * only the matches and keeps those that pass a test against a value or
 * against their own previous value (changed, +N, ...).  Matches are
 * positions at multiples of an alignment (1 = every byte, as scanmem).
 * Strings and byte patterns are scanned too (scanmem's `" text` and
 * bytearray searches): a pattern of bytes, some of them wildcards (`??`),
 * found at every position where its other bytes are equal; such matches
 * narrow by equality (to a pattern, or to their own previous bytes).
 *
 * Conventions: 0 or -errno with an optional diag_t (vmlab/diag.h); ranges
 * are half-open [start, end).
 */
#ifndef VMLAB_PEEK_H
#define VMLAB_PEEK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"
#include "vmlab/inspect.h"

/* ---- value types ---------------------------------------------------------- */

typedef enum peek_type {
    PEEK_I8, PEEK_I16, PEEK_I32, PEEK_I64,
    PEEK_U8, PEEK_U16, PEEK_U32, PEEK_U64,
    PEEK_F32, PEEK_F64,
    PEEK_STRING, /* bytes up to a NUL (peek), the text's bytes (poke) */
    PEEK_BYTES,  /* raw bytes: hex pairs "de ad be ef" or "deadbeef" */
    PEEK_TYPE_COUNT
} peek_type_t;

#define PEEK_VALUE_MAX 4096 /* longest string/bytes value poked */

/* The type called `name` ("i32"); -EINVAL if none. */
int peek_type_parse(const char *name, peek_type_t *t /* OUT */);
const char *peek_type_name(peek_type_t t);
/* Bytes of a numeric type (1..8); 0 for string and bytes (variable). */
size_t peek_type_size(peek_type_t t);
int peek_type_numeric(peek_type_t t);
/* "i8 i16 ... bytes", for messages. */
const char *peek_type_list(void);

/* Parse `text` as a value of type t into buf (little-endian, as stored in
 * memory; cap bytes): *len gets its size.  Integers: decimal or 0x hex, with
 * a '-' for signed types; -ERANGE (with a sentence giving the type's range)
 * when it does not fit.  Floats: strtod's syntax, -ERANGE if a finite value
 * overflows f32.  string: the text itself; bytes: hex pairs, spaces allowed. */
int peek_value_parse(peek_type_t t, const char *text, void *buf, size_t cap,
                     size_t *len /* OUT */, diag_t *d);
/* Format the value at p (n bytes; n >= size for numeric types) as text into
 * buf[size]: decimal integers, %.9g / %.17g floats, a C-escaped string,
 * hex pairs for bytes.  Returns buf. */
const char *peek_value_format(peek_type_t t, const void *p, size_t n, char *buf, size_t size);

/* A pattern to search for: the bytes of a string, or hex pairs with `??`
 * for a byte that may be anything ("de ad ?? ef"). */
#define PEEK_PATTERN_MAX 255
typedef struct peek_pattern {
    size_t len;                            /* bytes, 1..PEEK_PATTERN_MAX */
    size_t wild;                           /* how many of them are wildcards */
    unsigned char b[PEEK_PATTERN_MAX];     /* the bytes (0 where a wildcard) */
    unsigned char mask[PEEK_PATTERN_MAX];  /* 0xff: must equal b[i]; 0: a wildcard */
} peek_pattern_t;

/* Parse `text` as a pattern of type t (PEEK_STRING: its bytes, no NUL, no
 * wildcard; PEEK_BYTES: hex pairs as peek_value_parse, `??` a wildcard).
 * -EINVAL if empty, all wildcards or not hex; -ERANGE if longer than
 * PEEK_PATTERN_MAX. */
int peek_pattern_parse(peek_type_t t, const char *text, peek_pattern_t *p /* OUT */, diag_t *d);

/* ---- access to another process's memory ------------------------------------ */

typedef enum peek_method {
    PEEK_VM,      /* process_vm_readv / process_vm_writev */
    PEEK_PROCMEM, /* pread / pwrite on /proc/PID/mem */
    PEEK_METHOD_COUNT
} peek_method_t;

typedef struct peek_mem peek_mem_t;

/* A way into process pid's memory.  method: the one to use first; fallback:
 * whether peek_mem_write may retry through /proc/PID/mem when
 * process_vm_writev is refused a read-only page.  Nothing is opened until
 * used, so the process's existence is checked by the first access. */
int peek_mem_open(int pid, peek_method_t method, int fallback, peek_mem_t **m /* OUT */,
                  diag_t *d);
void peek_mem_close(peek_mem_t *m);
int peek_mem_pid(const peek_mem_t *m);
const char *peek_method_name(peek_method_t me); /* "process_vm_readv", "/proc/PID/mem" */

/* A piece of remote memory and where its bytes go. */
typedef struct peek_span {
    uint64_t addr; /* remote address */
    size_t len;    /* bytes */
    void *buf;     /* local destination (read) or source (write) */
} peek_span_t;

/* Read spans in order, stopping at the first byte that cannot be read;
 * returns the number of whole spans read (n if all), or -errno when even
 * the first cannot be read: -ESRCH (the process is gone), -EPERM (ptrace
 * access refused; d names the rule), -EFAULT (unmapped or unreadable). */
long peek_mem_readv(peek_mem_t *m, const peek_span_t *s, size_t n, diag_t *d);
/* Read exactly n bytes at addr: 0 or -errno as above. */
int peek_mem_read(peek_mem_t *m, uint64_t addr, void *buf, size_t n, diag_t *d);
/* Write n bytes at addr.  *used gets the method that wrote (the fallback
 * when process_vm_writev met a read-only page).  0 or -errno. */
int peek_mem_write(peek_mem_t *m, uint64_t addr, const void *buf, size_t n,
                   peek_method_t *used /* OUT, may be NULL */, diag_t *d);
/* Why the last call's write fell back (or "" if it did not): one sentence. */
const char *peek_mem_note(const peek_mem_t *m);

/* ---- the ptrace access rules ------------------------------------------------ */

/* What decides whether a caller may read a target (kernel/ptrace.c,
 * security/commoncap.c, security/yama/yama_lsm.c), gathered from /proc. */
typedef struct peek_facts {
    int pid;                 /* the target */
    int target_known;        /* /proc/PID/status was read */
    uint32_t t_uid[4];       /* target's real, effective, saved, fs uid */
    uint32_t t_gid[4];       /* the same for gids */
    uint32_t c_uid, c_gid;   /* caller's real uid and gid */
    int dumpable;            /* 1 dumpable, 0 not, -1 unknown */
    uint64_t t_cap_prm;      /* target's permitted capabilities */
    uint64_t c_cap_prm;      /* caller's permitted capabilities */
    int c_cap_ptrace;        /* caller has CAP_SYS_PTRACE in its effective set */
    int yama;                /* /proc/sys/kernel/yama/ptrace_scope, -1 if no Yama */
    int descendant;          /* the target descends from the caller */
} peek_facts_t;

/* Gather the facts about pid through /proc (never fails: unknown facts are
 * marked so). */
void peek_facts_gather(int pid, peek_facts_t *f /* OUT */);
/* The first rule (in the kernel's order) that refuses the caller, and what
 * would allow it, as one sentence in buf[n]; returns 1 if a rule refuses,
 * 0 if none does (then buf says why access is allowed, naming the rule that
 * granted it). */
int peek_why(const peek_facts_t *f, char *buf, size_t n);

/* ---- where the address lies ---------------------------------------------- */

/* "in [heap] 0x..-0x.. rw-p (heap), offset 0x10" or, for an address in no
 * mapping, the nearest mapping below and above it; into buf[n]. */
const char *peek_where(const inspect_maps_t *mm, uint64_t addr, char *buf, size_t n);

/* ---- regions to scan ------------------------------------------------------- */

enum {
    PEEK_R_HEAP = 1,  /* [heap] and private anonymous memory (malloc's mmaps, arenas) */
    PEEK_R_STACK = 2, /* [stack] */
    PEEK_R_DATA = 4,  /* the writable segments of the executable and libraries (data, bss) */
    PEEK_R_OTHER = 8, /* every other readable+writable mapping */
    PEEK_R_ALL = 15
};

/* Parse "heap,stack" / "all" into a mask; -EINVAL if a word is unknown. */
int peek_regions_parse(const char *s, unsigned *mask /* OUT */);
/* The class (one PEEK_R_* bit) of a classified mapping, 0 if it is not
 * both readable and writable (never scanned). */
unsigned peek_region_class(const inspect_map_t *m);

/* ---- the scanner ------------------------------------------------------------ */

typedef enum peek_op {
    PEEK_OP_EQ,        /* = V  */
    PEEK_OP_NE,        /* != V */
    PEEK_OP_LT,        /* < V  */
    PEEK_OP_GT,        /* > V  */
    PEEK_OP_LE,        /* <= V */
    PEEK_OP_GE,        /* >= V */
    PEEK_OP_CHANGED,   /* != the previous value */
    PEEK_OP_UNCHANGED, /* == the previous value */
    PEEK_OP_INCREASED, /* > the previous value */
    PEEK_OP_DECREASED, /* < the previous value */
    PEEK_OP_INC_BY,    /* == previous + V */
    PEEK_OP_DEC_BY,    /* == previous - V */
    PEEK_OP_COUNT
} peek_op_t;

/* Whether op compares against a value V (=, !=, <, >, <=, >=, +N, -N). */
int peek_op_has_value(peek_op_t op);

typedef struct peek_scan peek_scan_t;

/* A scanner for values of type t at multiples of align (1, 2, 4, 8; 0: the
 * type's size, 1 for string and bytes).  max_matches bounds memory (16
 * bytes a match; 8 + the pattern's length for string and bytes).
 *
 * For string and bytes, every `val` below is a `const peek_pattern_t *`;
 * the matches are as long as the first scan's pattern, and the operators
 * are =, != (against a pattern of that length), changed and unchanged (any
 * of the match's bytes, wildcards included). */
int peek_scan_new(peek_type_t t, size_t align, size_t max_matches, peek_scan_t **s /* OUT */,
                  diag_t *d);
void peek_scan_free(peek_scan_t *s);
peek_type_t peek_scan_type(const peek_scan_t *s);
size_t peek_scan_align(const peek_scan_t *s);
/* Bytes of a match: the type's size, or the pattern's length (0 for string
 * and bytes before the first scan). */
size_t peek_scan_width(const peek_scan_t *s);
/* Abort if an invariant is broken: addresses strictly increasing and
 * aligned, count <= max, width bytes kept per match. */
void peek_scan_check(const peek_scan_t *s);

/* Statistics of the last step. */
typedef struct peek_scan_stats {
    uint64_t bytes;    /* bytes read */
    uint64_t regions;  /* mappings scanned */
    uint64_t skipped;  /* bytes in pages that could not be read */
    uint64_t huge;     /* mappings left out for being over PEEK_SCAN_REGION_MAX */
    uint64_t ns;       /* wall time */
} peek_scan_stats_t;

/* Mappings larger than this are reservations (AddressSanitizer's shadow
 * of terabytes, a JVM's heap reserve), not data: a first scan leaves them
 * out and counts them in stats.huge. */
#define PEEK_SCAN_REGION_MAX ((uint64_t)64 << 30)

/* First scan: forget the matches, then keep every aligned position of the
 * mappings of mm whose class is in `regions` holding a value v with `op v`
 * true (val: the value's bytes).  Chunk: bytes read per call (0: 64 KiB).
 * Returns the number of matches or -errno (-ESRCH: the process is gone;
 * -E2BIG: more than max_matches; the matches are then empty). */
long peek_scan_first(peek_scan_t *s, peek_mem_t *m, const inspect_maps_t *mm, unsigned regions,
                     peek_op_t op, const void *val, size_t chunk, diag_t *d);
/* Narrow: re-read every match, keep those passing op (against val if the op
 * has a value, else against the match's previous value) and remember the
 * values read.  A match that can no longer be read is dropped.  Returns the
 * number kept or -errno (matches unchanged on error). */
long peek_scan_narrow(peek_scan_t *s, peek_mem_t *m, peek_op_t op, const void *val, diag_t *d);
/* Write val to every match; returns the number written or -errno. */
long peek_scan_set(peek_scan_t *s, peek_mem_t *m, const void *val, diag_t *d);
size_t peek_scan_count(const peek_scan_t *s);
/* Match i: its address and the value last read (little-endian bits; for
 * string and bytes the first 8 bytes at most), and those bytes (width of
 * them, valid until the next call that changes the matches). */
uint64_t peek_scan_addr(const peek_scan_t *s, size_t i);
uint64_t peek_scan_value(const peek_scan_t *s, size_t i);
const unsigned char *peek_scan_bytes(const peek_scan_t *s, size_t i);
const peek_scan_stats_t *peek_scan_stats(const peek_scan_t *s);

/* The match file: a header line "# vmlab scan matches: pid PID type T align
 * A count N" (string and bytes: then " width W"), then one "0xADDR 0xVALUE"
 * line per match (string and bytes: "0xADDR HEX", W hex pairs), addresses
 * increasing. */
int peek_scan_save(const peek_scan_t *s, int pid, FILE *f);
/* Parse a match file's text (name for diagnostics); replaces s's matches
 * and type.  *pid gets the pid it was saved for. */
int peek_scan_load(peek_scan_t *s, const char *name, const char *text, size_t len,
                   int *pid /* OUT */, diag_t *d);
/* Replace the matches by the given (addr, value) pairs (addresses strictly
 * increasing and aligned; numeric types only): for tests. */
int peek_scan_set_matches(peek_scan_t *s, const uint64_t *addr, const uint64_t *val, size_t n,
                          diag_t *d);

/* ---- the scan command language --------------------------------------------- */

typedef enum peek_cmd_kind {
    PEEK_CMD_NONE,    /* blank line or comment */
    PEEK_CMD_FILTER,  /* a comparison: first scan if no scan yet, else narrow */
    PEEK_CMD_SCAN,    /* "scan [OP] V": always a fresh first scan */
    PEEK_CMD_SET,     /* "set V" */
    PEEK_CMD_LIST,    /* "list [N]" */
    PEEK_CMD_COUNT,   /* "count" */
    PEEK_CMD_RESET,   /* "reset" */
    PEEK_CMD_TYPE,    /* "type T" */
    PEEK_CMD_ALIGN,   /* "align N" */
    PEEK_CMD_REGIONS, /* "regions LIST" */
    PEEK_CMD_SAVE,    /* "save FILE" */
    PEEK_CMD_HELP,    /* "help" */
    PEEK_CMD_QUIT,    /* "quit", "exit", "q" */
    PEEK_CMD_STRING,  /* '" TEXT': type string, then a fresh first scan for TEXT */
    PEEK_CMD_KIND_COUNT
} peek_cmd_kind_t;

typedef struct peek_cmd {
    peek_cmd_kind_t kind; /* what to do */
    peek_op_t op;         /* FILTER, SCAN: the comparison */
    char arg[256];        /* the value (the rest of the line, spaces inside kept), type,
                             file, list or count as text ("" if none) */
} peek_cmd_t;

/* Parse one command line [line, line + len) (no newline).  Values stay text
 * (the type they are parsed as may change); words and syntax are checked:
 * -EINVAL with a sentence naming what was expected. */
int peek_cmd_parse(const char *line, size_t len, peek_cmd_t *out /* OUT */, diag_t *d);
/* The language, one line per command, for `help`. */
const char *peek_cmd_help(void);

#endif
