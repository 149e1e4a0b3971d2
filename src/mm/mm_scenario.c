/* SPDX-License-Identifier: MIT */
/*
 * mm_scenario.c - the `vmlab mm` scenario language: the parser (all lines
 * first, so a malformed line stops the run before anything happens) and the
 * runner on the model, which reports each operation's faults and VMA count
 * and narrates the faults (--explain).  Grammar: mm_scenario.h, docs/mm.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "mm/mm_scenario.h"

#define MAXTOK 12

static int parse_num(const char *s, uint64_t *v)
{
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno)
        return -1;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1ull << 10, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1ull << 20, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1ull << 30, end++;
    if (*end || (mul > 1 && x > UINT64_MAX / mul))
        return -1;
    *v = x * mul;
    return 0;
}

static int parse_addr(const char *s, mmsc_addr_t *a)
{
    memset(a, 0, sizeof *a);
    uint64_t v;
    if (isdigit((unsigned char)*s)) {
        if (parse_num(s, &v) < 0)
            return -1;
        a->off = (int64_t)v; /* two's complement: resolve() adds as uint64_t */
        return 0;
    }
    size_t n = 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    if (n == 0 || n >= sizeof a->sym)
        return -1;
    memcpy(a->sym, s, n);
    if (!s[n])
        return 0;
    if ((s[n] != '+' && s[n] != '-') || parse_num(s + n + 1, &v) < 0 || v > INT64_MAX)
        return -1;
    a->off = s[n] == '+' ? (int64_t)v : -(int64_t)v;
    return 0;
}

static int parse_prot(const char *s, unsigned *p)
{
    *p = 0;
    if (strlen(s) > 3 || !*s)
        return -1;
    for (; *s; s++) {
        if (*s == 'r')
            *p |= MM_PROT_READ;
        else if (*s == 'w')
            *p |= MM_PROT_WRITE;
        else if (*s == 'x')
            *p |= MM_PROT_EXEC;
        else if (*s != '-')
            return -1;
    }
    return 0;
}

static int parse_flags(const char *s, unsigned *f)
{
    static const struct { const char *n; unsigned v; } tab[] = {
        {"private", MM_MAP_PRIVATE}, {"shared", MM_MAP_SHARED}, {"anon", MM_MAP_ANON},
        {"fixed", MM_MAP_FIXED}, {"populate", MM_MAP_POPULATE}, {"growsdown", MM_MAP_GROWSDOWN}};
    *f = 0;
    char buf[128];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
            if (!strcmp(t, tab[i].n))
                break;
        if (i == sizeof tab / sizeof tab[0])
            return -1;
        *f |= tab[i].v;
    }
    return 0;
}

/* Copy a line for display into dst[size]: a longer one is cut and ends in
 * "..." (what is shown is never mistaken for the whole line). */
static void copy_shown(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n < size) {
        memcpy(dst, src, n + 1);
        return;
    }
    memcpy(dst, src, size - 4);
    memcpy(dst + size - 4, "...", 4);
}

/* Where a line came from, for its diagnostics. */
typedef struct where {
    const char *file;  /* as given to mmsc_parse */
    unsigned long ln;  /* 1-based line */
    diag_t *d;         /* filled on error */
} where_t;

static int bad(const where_t *w, const char *what)
{
    return diag_set(w->d, w->file, w->ln, EINVAL, "%s", what);
}

/* One operation's name, kind and argument count (words after the name). */
typedef struct op_syntax {
    const char *name;  /* first word */
    mmsc_kind_t kind;  /* what it parses to */
    int lo, hi;        /* arguments accepted, [lo, hi] */
    const char *usage; /* "expected ..." when the count is wrong */
} op_syntax_t;

static const op_syntax_t op_syntax[] = {
    {"spawn", MOP_SPAWN, 0, 1, "[ELF]"},
    {"exec", MOP_EXEC, 0, 1, "[ELF]"},
    {"file", MOP_FILE, 2, 3, "file NAME SIZE [cold]"},
    {"mmap", MOP_MMAP, 4, 6, "mmap ADDR|- LEN PROT FLAGS [FILE [OFF]]"},
    {"munmap", MOP_MUNMAP, 2, 2, "munmap ADDR LEN"},
    {"mprotect", MOP_MPROTECT, 3, 3, "mprotect ADDR LEN PROT"},
    {"brk", MOP_BRK, 1, 1, "brk +LEN|-LEN|ADDR"},
    {"touch", MOP_TOUCH, 2, 3, "touch r|w|x ADDR [LEN]"},
    {"fork", MOP_FORK, 0, 0, "no arguments"},
    {"exit", MOP_EXIT, 0, 0, "no arguments"},
    {"maps", MOP_MAPS, 0, 0, "no arguments"},
    {"stats", MOP_STATS, 0, 0, "no arguments"},
    {"switch", MOP_SWITCH, 1, 1, "one number"},
    {"reclaim", MOP_RECLAIM, 1, 1, "one number"},
    {"walk", MOP_WALK, 1, 1, "walk ADDR"},
};

static const char bad_addr[] = "bad address (expected a number, SYM or SYM+N)";
static const char bad_len[] = "bad length (expected bytes with K/M/G)";

/* Cut "! REASON" off l into op->reason. */
static int parse_reason(char *l, mmsc_op_t *op, const where_t *w)
{
    char *bang = strchr(l, '!');
    if (!bang)
        return 0;
    *bang = 0;
    char *r = bang + 1;
    while (isspace((unsigned char)*r))
        r++;
    copy_shown(op->reason, sizeof op->reason, r);
    if (!*op->reason)
        return bad(w, "empty reason after '!' (expected ! WHY THE REAL KERNEL DIFFERS)");
    return 0;
}

/* Split l into at most MAXTOK words: their count, or -EINVAL. */
static int split_words(char *l, char *tok[MAXTOK], const where_t *w)
{
    int n = 0;
    for (char *save, *t = strtok_r(l, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == MAXTOK)
            return bad(w, "too many words (expected at most 12)");
        tok[n++] = t;
    }
    return n;
}

/* "SYM = mmap ..." or "SYM = brk ...": SYM into op->bind and the two words
 * off tok; the count of words left, or -EINVAL. */
static int parse_bind(char **tok, int n, mmsc_op_t *op, const where_t *w)
{
    static const char bad_sym[] = "bad symbol before '=' (expected a name of letters, digits, _)";
    if (n < 3 || strcmp(tok[1], "="))
        return n;
    if (strlen(tok[0]) >= sizeof op->bind || !isalpha((unsigned char)tok[0][0]))
        return bad(w, bad_sym);
    for (const char *c = tok[0]; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return bad(w, bad_sym);
    strcpy(op->bind, tok[0]);
    memmove(tok, tok + 2, (size_t)(n - 2) * sizeof tok[0]);
    n -= 2;
    if (strcmp(tok[0], "mmap") && strcmp(tok[0], "brk"))
        return bad(w, "only mmap and brk bind a symbol (expected SYM = mmap ... or SYM = brk ...)");
    return n;
}

/* file NAME SIZE [cold] */
static int parse_file(char **tok, int n, mmsc_op_t *op, const where_t *w)
{
    snprintf(op->name, sizeof op->name, "%s", tok[1]);
    if (parse_num(tok[2], &op->len) < 0 || op->len == 0 || op->len > (1ull << 32))
        return bad(w, "bad file size (expected bytes, 1 to 4G, with K/M/G)");
    if (n == 4) {
        if (strcmp(tok[3], "cold"))
            return bad(w, "unknown file option (expected cold)");
        op->cold = 1;
    }
    return 0;
}

/* mmap ADDR|- LEN PROT FLAGS [FILE [OFF]] */
static int parse_mmap(char **tok, int n, mmsc_op_t *op, const where_t *w)
{
    if (!strcmp(tok[1], "-"))
        op->addr_none = 1;
    else if (parse_addr(tok[1], &op->addr) < 0)
        return bad(w, bad_addr);
    if (parse_num(tok[2], &op->len) < 0)
        return bad(w, bad_len);
    if (parse_prot(tok[3], &op->prot) < 0)
        return bad(w, "bad protection (expected r, w, x or -, e.g. rw-)");
    if (parse_flags(tok[4], &op->flags) < 0)
        return bad(w, "bad flags (expected a comma list of private, shared, anon, fixed, populate, growsdown)");
    if (!(op->flags & MM_MAP_ANON) && n < 6)
        return bad(w, "file mapping without a file (expected a FILE after the flags, or anon)");
    if (n >= 6)
        snprintf(op->name, sizeof op->name, "%s", tok[5]);
    if (n == 7 && parse_num(tok[6], &op->off) < 0)
        return bad(w, "bad offset (expected bytes)");
    return 0;
}

/* munmap ADDR LEN, mprotect ADDR LEN PROT */
static int parse_range(char **tok, mmsc_op_t *op, const where_t *w)
{
    if (parse_addr(tok[1], &op->addr) < 0)
        return bad(w, bad_addr);
    if (parse_num(tok[2], &op->len) < 0)
        return bad(w, bad_len);
    if (op->kind == MOP_MPROTECT && parse_prot(tok[3], &op->prot) < 0)
        return bad(w, "bad protection (expected r, w, x or -, e.g. r--)");
    return 0;
}

/* brk +LEN|-LEN|ADDR */
static int parse_brk(char **tok, mmsc_op_t *op, const where_t *w)
{
    if (tok[1][0] == '+' || tok[1][0] == '-') {
        op->brk_rel = tok[1][0] == '+' ? 1 : -1;
        if (parse_num(tok[1] + 1, &op->len) < 0)
            return bad(w, "bad brk length (expected +LEN or -LEN)");
    } else if (parse_addr(tok[1], &op->addr) < 0) {
        return bad(w, "bad brk address (expected +LEN, -LEN or an address)");
    }
    return 0;
}

/* touch r|w|x ADDR [LEN] */
static int parse_touch(char **tok, int n, mmsc_op_t *op, const where_t *w)
{
    if (!strcmp(tok[1], "r"))
        op->acc = MM_ACC_READ;
    else if (!strcmp(tok[1], "w"))
        op->acc = MM_ACC_WRITE;
    else if (!strcmp(tok[1], "x"))
        op->acc = MM_ACC_EXEC;
    else
        return bad(w, "bad access (expected r, w or x)");
    if (parse_addr(tok[2], &op->addr) < 0)
        return bad(w, bad_addr);
    op->len = 1;
    if (n == 4 && (parse_num(tok[3], &op->len) < 0 || op->len == 0 || op->len > (1ull << 40)))
        return bad(w, "bad length (expected 1 byte to 1T, with K/M/G)");
    return 0;
}

/* The arguments of op->kind, already counted. */
static int parse_args(char **tok, int n, mmsc_op_t *op, const where_t *w)
{
    switch (op->kind) {
    case MOP_SPAWN:
    case MOP_EXEC:
        if (n == 2)
            snprintf(op->name, sizeof op->name, "%s", tok[1]);
        return 0;
    case MOP_FILE: return parse_file(tok, n, op, w);
    case MOP_MMAP: return parse_mmap(tok, n, op, w);
    case MOP_MUNMAP:
    case MOP_MPROTECT: return parse_range(tok, op, w);
    case MOP_BRK: return parse_brk(tok, op, w);
    case MOP_TOUCH: return parse_touch(tok, n, op, w);
    case MOP_SWITCH:
    case MOP_RECLAIM:
        if (parse_num(tok[1], &op->len) < 0 || op->len > 1000000000)
            return bad(w, "bad number (expected a PID or a page count)");
        return 0;
    case MOP_WALK: return parse_addr(tok[1], &op->addr) < 0 ? bad(w, bad_addr) : 0;
    case MOP_FORK:
    case MOP_EXIT:
    case MOP_MAPS:
    case MOP_STATS: return 0;
    }
    return 0;
}

/* The words tok[0..n) of one operation (tok[0] its name) into op. */
static int parse_op(char **tok, int n, mmsc_op_t *op, const where_t *w)
{
    const char *c = tok[0];
    const op_syntax_t *s = NULL;
    for (size_t i = 0; i < sizeof op_syntax / sizeof op_syntax[0] && !s; i++)
        if (!strcmp(c, op_syntax[i].name))
            s = &op_syntax[i];
    if (!s)
        return diag_set(w->d, w->file, w->ln, EINVAL,
                        "unknown operation '%.40s' (expected spawn, file, mmap, munmap, mprotect, brk, touch, "
                        "fork, switch, exec, exit, maps, walk, stats or reclaim)", c);
    op->kind = s->kind;
    if (n - 1 < s->lo || n - 1 > s->hi)
        return diag_set(w->d, w->file, w->ln, EINVAL, "wrong number of arguments to %s (expected %s)", c,
                        s->usage);
    int rc = parse_args(tok, n, op, w);
    if (rc < 0)
        return rc;
    if (op->bind[0] && op->kind == MOP_BRK && op->brk_rel == 0)
        return bad(w, "SYM = brk needs +LEN or -LEN");
    return 0;
}

/* One line l (comment cut, leading blanks skipped, not empty) into op. */
static int parse_line(char *l, const where_t *w, mmsc_op_t *op)
{
    int rc = parse_reason(l, op, w);
    if (rc < 0)
        return rc;
    char *e = l + strlen(l);
    while (e > l && isspace((unsigned char)e[-1]))
        *--e = 0;
    copy_shown(op->text, sizeof op->text, l);
    char *tok[MAXTOK];
    int n = split_words(l, tok, w);
    if (n < 0)
        return n;
    op->line = w->ln;
    if (n == 0)
        return bad(w, "a reason without an operation (expected OPERATION ... ! REASON)");
    if ((n = parse_bind(tok, n, op, w)) < 0)
        return n;
    return parse_op(tok, n, op, w);
}

int mmsc_parse(const char *text, size_t len, const char *file, mmsc_t *out, diag_t *d)
{
    VL_VEC(mmsc_op_t) ops = {0};
    where_t w = {file, 0, d};
    size_t i = 0;
    int rc = 0;
    memset(out, 0, sizeof *out);
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        w.ln++;
        char line[512];
        size_t n = j - i;
        if (n >= sizeof line) {
            rc = bad(&w, "line too long (expected at most 511 bytes)");
            break;
        }
        memcpy(line, text + i, n);
        line[n] = 0;
        i = j + 1;
        if (memchr(line, 0, n)) {
            rc = bad(&w, "NUL byte in the line (expected text)");
            break;
        }
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            continue;
        mmsc_op_t op;
        memset(&op, 0, sizeof op);
        if ((rc = parse_line(p, &w, &op)) < 0)
            break;
        if (vl_vec_push(&ops, op) < 0) {
            rc = diag_set(d, file, w.ln, ENOMEM, "out of memory");
            break;
        }
    }
    if (rc < 0) {
        free(ops.v);
        return rc;
    }
    if (ops.n && ops.v[0].kind != MOP_SPAWN && ops.v[0].kind != MOP_FILE) {
        w.ln = ops.v[0].line;
        free(ops.v);
        return bad(&w, "an operation before the first spawn (expected spawn or file first)");
    }
    out->ops = ops.v;
    out->n = ops.n;
    return 0;
}

void mmsc_free(mmsc_t *sc)
{
    free(sc->ops);
    memset(sc, 0, sizeof *sc);
}

/* ---- the model runner ------------------------------------------------------------ */

typedef struct sym {
    char name[32];
    uint64_t val;
} sym_t;

typedef struct run {
    mm_sys_t *sys;
    mm_task_t *tasks[64];  /* by pid */
    int64_t base[64];      /* VMA count at spawn, by pid */
    mm_task_t *cur;        /* acting task */
    sym_t syms[64];        /* bound symbols */
    int nsyms;
    int files[64];         /* model file ids by declaration order */
    char fnames[64][64];
    int nfiles;
    const mmsc_opts_t *o;
    uint64_t touches;      /* touch counter for --explain */
    mm_counters_t before;  /* cur's counters at the start of the line, or when it began to act */
} run_t;

static int resolve(run_t *r, const mmsc_addr_t *a, uint64_t *v, const char *file, unsigned long ln, diag_t *d)
{
    if (!a->sym[0]) {
        *v = (uint64_t)a->off;
        return 0;
    }
    for (int i = r->nsyms - 1; i >= 0; i--)
        if (!strcmp(r->syms[i].name, a->sym)) {
            *v = r->syms[i].val + (uint64_t)a->off;
            return 0;
        }
    return diag_set(d, file, ln, EINVAL, "unknown symbol '%s' (expected one bound earlier by SYM = mmap/brk)", a->sym);
}

static void bind(run_t *r, const char *name, uint64_t v)
{
    if (!name[0])
        return;
    for (int i = 0; i < r->nsyms; i++)
        if (!strcmp(r->syms[i].name, name)) {
            r->syms[i].val = v;
            return;
        }
    if (r->nsyms < 64) {
        snprintf(r->syms[r->nsyms].name, sizeof r->syms[0].name, "%s", name);
        r->syms[r->nsyms++].val = v;
    }
}

static const char *fault_text(mm_fault_kind_t k)
{
    switch (k) {
    case MM_F_NONE: return "no fault";
    case MM_F_ANON_ZERO: return "anonymous read fault: shared zero page mapped read-only";
    case MM_F_ANON_NEW: return "anonymous write fault: new frame, zeroed";
    case MM_F_FILE_READ: return "file read fault through the page cache";
    case MM_F_FILE_COW: return "write fault on a private file page: copied into a new anonymous frame";
    case MM_F_FILE_SHARED: return "write fault on a shared file page: page cache frame mapped writable";
    case MM_F_WP_COPY: return "write-protect fault: copy-on-write, frame copied";
    case MM_F_WP_REUSE: return "write-protect fault: single mapper, frame reused and made writable";
    case MM_F_WP_ZERO: return "write-protect fault on the zero page: new frame, zeroed";
    case MM_F_WP_SHARED: return "write-protect fault on a shared mapping: made writable and dirty";
    case MM_F_SWAPIN: return "swap-in";
    case MM_F_SEGV_MAPERR: return "bad area: SIGSEGV SEGV_MAPERR";
    case MM_F_SEGV_ACCERR: return "access error: SIGSEGV SEGV_ACCERR";
    case MM_F_OOM: return "out of memory";
    }
    return "?";
}

static void explain(run_t *r, uint64_t a, mm_access_t acc, const mm_fault_t *f)
{
    FILE *o = r->o->out;
    mm_vma_info_t vi;
    int have = mm_find_vma(r->cur, a, &vi) && vi.start <= a;
    fprintf(o, "  #%llu %s 0x%llx: ", (unsigned long long)r->touches,
            acc == MM_ACC_READ ? "read" : acc == MM_ACC_WRITE ? "write" : "exec", (unsigned long long)a);
    if (have)
        fprintf(o, "VMA [0x%llx, 0x%llx) %c%c%c%c %s, ", (unsigned long long)vi.start, (unsigned long long)vi.end,
                vi.flags & 1 ? 'r' : '-', vi.flags & 2 ? 'w' : '-', vi.flags & 4 ? 'x' : '-',
                vi.flags & MM_VM_SHARED ? 's' : 'p', vi.file >= 0 ? vi.name : "anon");
    else
        fprintf(o, "no VMA, ");
    fprintf(o, "%s%s", f->stack_grew ? "stack grown, " : "", fault_text(f->kind));
    if (f->pfn && f->kind != MM_F_SEGV_ACCERR && f->kind != MM_F_SEGV_MAPERR)
        fprintf(o, ", pfn %llu", (unsigned long long)f->pfn);
    if (f->around)
        fprintf(o, ", fault-around mapped %u more", f->around);
    if (f->major)
        fprintf(o, " (major)");
    fputc('\n', o);
}

static int file_id(run_t *r, const char *name)
{
    for (int i = 0; i < r->nfiles; i++)
        if (!strcmp(r->fnames[i], name))
            return r->files[i];
    return -1;
}

static void print_walk(run_t *r, const mmsc_result_t *x)
{
    FILE *o = r->o->out;
    const mm_walk_level_t *lv = x->walk;
    uint64_t a = x->walk_addr, pa = x->walk_pa;
    int n = x->nwalk;
    fprintf(o, "walk 0x%llx:\n", (unsigned long long)a);
    for (int i = 0; i < n; i++) {
        char b[96];
        int last = i + 1 == (mm_sys_arch(r->sys) == MM_ARCH_I386 ? 2 : 4);
        mm_format_entry(lv[i].entry, last, b, sizeof b);
        fprintf(o, "  %s[%u] in table pfn %llu: entry 0x%0*llx %s\n", lv[i].name, lv[i].index,
                (unsigned long long)lv[i].table_pfn, mm_sys_arch(r->sys) == MM_ARCH_I386 ? 8 : 16,
                (unsigned long long)lv[i].entry, b);
    }
    if (pa)
        fprintf(o, "  physical address 0x%llx\n", (unsigned long long)pa);
    else
        fprintf(o, "  not mapped\n");
}

void mmsc_print_stats(FILE *o, mm_task_t *t);
void mmsc_print_stats(FILE *o, mm_task_t *t)
{
    mm_counters_t c;
    mm_counters(t, &c);
    fprintf(o,
            "task %d: minflt %llu majflt %llu rss_anon %llu rss_file %llu rss_shmem %llu pt_pages %llu "
            "tlb_flushes %llu vmas %llu total_vm %llu find_vma %llu/%llu hits\n",
            mm_task_pid(t), (unsigned long long)c.minflt, (unsigned long long)c.majflt,
            (unsigned long long)c.rss_anon, (unsigned long long)c.rss_file, (unsigned long long)c.rss_shmem,
            (unsigned long long)c.pt_pages, (unsigned long long)c.tlb_flushes, (unsigned long long)c.vmas,
            (unsigned long long)c.total_vm, (unsigned long long)c.find_vma_hits,
            (unsigned long long)c.find_vma_calls);
}

static int64_t vmas_of(run_t *r, mm_task_t *t) { return (int64_t)mm_vmas(t, NULL, 0) - r->base[mm_task_pid(t)]; }

/* Make t (NULL: none) the acting task; its faults count from here. */
static void set_cur(run_t *r, mm_task_t *t)
{
    r->cur = t;
    if (t)
        mm_counters(t, &r->before);
}

static int too_many_tasks(const mmsc_op_t *op, diag_t *d)
{
    return diag_set(d, "", op->line, EINVAL, "too many tasks (expected at most 63)");
}

static int op_spawn(run_t *r, const mmsc_op_t *op, diag_t *d)
{
    mm_task_t *t;
    int rc;
    if ((rc = mm_spawn(r->sys, &t)) < 0 || (rc = mm_exec(t, op->name[0] ? op->name : NULL)) < 0)
        return diag_set(d, "", op->line, -rc, "spawn failed: %s", strerror(-rc));
    if (mm_task_pid(t) >= 64)
        return too_many_tasks(op, d);
    r->tasks[mm_task_pid(t)] = t;
    r->base[mm_task_pid(t)] = (int64_t)mm_vmas(t, NULL, 0);
    set_cur(r, t);
    return 0;
}

static int op_file(run_t *r, const mmsc_op_t *op, diag_t *d)
{
    if (r->nfiles == 64)
        return diag_set(d, "", op->line, EINVAL, "too many files (expected at most 64)");
    int id = mm_file_create(r->sys, op->name, (op->len + 4095) / 4096, !op->cold);
    if (id < 0)
        return diag_set(d, "", op->line, ENOMEM, "file does not fit in the model's memory");
    r->files[r->nfiles] = id;
    snprintf(r->fnames[r->nfiles++], 64, "%s", op->name);
    return 0;
}

static int op_mmap(run_t *r, const mmsc_op_t *op, uint64_t a, mmsc_result_t *x, diag_t *d)
{
    int fid = -1;
    if (!(op->flags & MM_MAP_ANON) && (fid = file_id(r, op->name)) < 0)
        return diag_set(d, "", op->line, EINVAL, "unknown file '%s' (expected one declared by file)", op->name);
    uint64_t got = 0;
    x->rc = mm_mmap(r->cur, a, op->len, op->prot, op->flags, fid, op->off, &got);
    if (x->rc == 0)
        bind(r, op->bind, got);
    return 0;
}

static void op_brk(run_t *r, const mmsc_op_t *op, uint64_t a, mmsc_result_t *x)
{
    uint64_t old = mm_brk(r->cur, 0), want = op->brk_rel > 0 ? old + op->len : op->brk_rel < 0 ? old - op->len : a;
    uint64_t got = mm_brk(r->cur, want);
    x->rc = got == want ? 0 : -ENOMEM;
    bind(r, op->bind, old);
}

/* Every page of [a, a + len) (to the top of the address space if that
 * wraps), stopping at the first SIGSEGV or out-of-memory. */
static void op_touch(run_t *r, const mmsc_op_t *op, uint64_t a, mmsc_result_t *x)
{
    FILE *txt = r->o->out;
    uint64_t end = a + op->len;
    if (end < a)
        end = UINT64_MAX;
    for (uint64_t p = a; p < end; p = (p | 4095) + 1) {
        r->touches++;
        mm_fault_t f = mm_touch(r->cur, p, op->acc);
        if (txt && r->o->explain && f.kind != MM_F_NONE)
            explain(r, p, op->acc, &f);
        if (f.kind == MM_F_SEGV_MAPERR || f.kind == MM_F_SEGV_ACCERR) {
            x->segv = f.kind == MM_F_SEGV_MAPERR ? 1 : 2;
            break;
        }
        if (f.kind == MM_F_OOM) {
            x->rc = -ENOMEM;
            break;
        }
        if ((p | 4095) == UINT64_MAX)
            break;
    }
}

static int op_fork(run_t *r, const mmsc_op_t *op, mmsc_result_t *x, diag_t *d)
{
    mm_task_t *t = r->cur, *c;
    x->rc = mm_fork(t, &c);
    if (x->rc)
        return 0;
    if (mm_task_pid(c) >= 64)
        return too_many_tasks(op, d);
    r->tasks[mm_task_pid(c)] = c;
    r->base[mm_task_pid(c)] = r->base[mm_task_pid(t)];
    if (r->o->out && r->o->explain)
        fprintf(r->o->out, "  child pid %d\n", mm_task_pid(c));
    return 0;
}

static int op_switch(run_t *r, const mmsc_op_t *op, diag_t *d)
{
    if (op->len >= 64 || !r->tasks[op->len])
        return diag_set(d, "", op->line, EINVAL, "no live task %llu (expected a pid from spawn or fork)",
                        (unsigned long long)op->len);
    set_cur(r, r->tasks[op->len]);
    return 0;
}

/* The acting task exits; the live task of the lowest pid acts next. */
static void op_exit(run_t *r)
{
    mm_task_t *t = r->cur;
    r->tasks[mm_task_pid(t)] = NULL;
    mm_exit(t);
    t = NULL;
    for (int p = 1; p < 64 && !t; p++)
        t = r->tasks[p];
    set_cur(r, t);
}

/* The operations that print (maps, walk, stats) and those that only call
 * the model. */
static void op_other(run_t *r, const mmsc_op_t *op, uint64_t a, mmsc_result_t *x)
{
    FILE *txt = r->o->out;
    mm_task_t *t = r->cur;
    switch (op->kind) {
    case MOP_MUNMAP: x->rc = mm_munmap(t, a, op->len); break;
    case MOP_MPROTECT: x->rc = mm_mprotect(t, a, op->len, op->prot); break;
    case MOP_EXEC:
        x->rc = mm_exec(t, op->name[0] ? op->name : NULL);
        r->base[mm_task_pid(t)] = (int64_t)mm_vmas(t, NULL, 0);
        break;
    case MOP_MAPS:
        if (txt)
            mm_print_maps(t, txt);
        break;
    case MOP_WALK:
        x->walk_addr = a;
        x->nwalk = mm_walk(t, a, x->walk, &x->walk_pa);
        if (txt)
            print_walk(r, x);
        break;
    case MOP_STATS:
        if (txt)
            mmsc_print_stats(txt, t);
        break;
    case MOP_RECLAIM: (void)mm_reclaim(r->sys, op->len); break;
    default: break;
    }
}

/* Run op (address a resolved) on the model: 0, or -errno with d when the
 * scenario cannot go on; what the call answered goes to x. */
static int run_op(run_t *r, const mmsc_op_t *op, uint64_t a, mmsc_result_t *x, diag_t *d)
{
    switch (op->kind) {
    case MOP_SPAWN: return op_spawn(r, op, d);
    case MOP_FILE: return op_file(r, op, d);
    case MOP_MMAP: return op_mmap(r, op, a, x, d);
    case MOP_BRK: op_brk(r, op, a, x); return 0;
    case MOP_TOUCH: op_touch(r, op, a, x); return 0;
    case MOP_FORK: return op_fork(r, op, x, d);
    case MOP_SWITCH: return op_switch(r, op, d);
    case MOP_EXIT: op_exit(r); return 0;
    default: op_other(r, op, a, x); return 0;
    }
}

/* 1 when op takes an ADDR (SYM resolved before it runs). */
static int has_addr(const mmsc_op_t *op)
{
    return (op->kind == MOP_MMAP && !op->addr_none) || op->kind == MOP_MUNMAP || op->kind == MOP_MPROTECT ||
           op->kind == MOP_TOUCH || op->kind == MOP_WALK || (op->kind == MOP_BRK && !op->brk_rel);
}

/* One line: resolve, run, then the acting task's faults and VMAs into x. */
static int run_line(run_t *r, const mmsc_op_t *op, mmsc_result_t *x, diag_t *d)
{
    FILE *txt = r->o->out;
    int explaining = txt && r->o->explain, rc;
    memset(x, 0, sizeof *x);
    x->ran = 1;
    memset(&r->before, 0, sizeof r->before);
    set_cur(r, r->cur);
    uint64_t a = 0;
    if (has_addr(op) && (rc = resolve(r, &op->addr, &a, "", op->line, d)) < 0)
        return rc;
    if (!r->cur && op->kind != MOP_SPAWN && op->kind != MOP_FILE)
        return diag_set(d, "", op->line, EINVAL, "no live task (expected spawn first)");
    if (explaining)
        fprintf(txt, "%lu: %s\n", op->line, op->text);
    if ((rc = run_op(r, op, a, x, d)) < 0)
        return rc;
    if (r->cur) {
        mm_counters_t after;
        mm_counters(r->cur, &after);
        x->minflt = (int64_t)(after.minflt - r->before.minflt);
        x->majflt = (int64_t)(after.majflt - r->before.majflt);
        x->vmas = vmas_of(r, r->cur);
    }
    if (explaining && (x->rc || x->segv))
        fprintf(txt, "  -> %s\n", x->segv ? (x->segv == 1 ? "SIGSEGV (SEGV_MAPERR)" : "SIGSEGV (SEGV_ACCERR)")
                                           : strerror(-x->rc));
    return 0;
}

int mmsc_run_model(const mmsc_t *sc, const mmsc_opts_t *o, mmsc_result_t *res, mm_sys_t **out, diag_t *d)
{
    static run_t zero;
    run_t *r = malloc(sizeof *r);
    if (!r)
        return -ENOMEM;
    *r = zero;
    r->o = o;
    int rc = mm_sys_create(&o->cfg, &r->sys);
    if (rc < 0) {
        free(r);
        return diag_set(d, "", 0, -rc, "cannot create the model's memory (expected --mem a multiple of 4M)");
    }
    for (size_t i = 0; i < sc->n; i++) {
        if (o->progress)
            o->progress(o->progress_ctx, i, sc->n, i);
        if ((rc = run_line(r, &sc->ops[i], &res[i], d)) < 0) {
            mm_sys_destroy(r->sys);
            free(r);
            return rc;
        }
    }
    *out = r->sys;
    free(r);
    return 0;
}
