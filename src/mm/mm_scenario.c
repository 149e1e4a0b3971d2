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

static int bad(diag_t *d, const char *file, unsigned long line, const char *what)
{
    return diag_set(d, file, line, EINVAL, "%s", what);
}

static int parse_line(char *l, const char *file, unsigned long ln, mmsc_op_t *op, diag_t *d)
{
    char *bang = strchr(l, '!');
    if (bang) {
        *bang = 0;
        char *r = bang + 1;
        while (isspace((unsigned char)*r))
            r++;
        copy_shown(op->reason, sizeof op->reason, r);
        if (!*op->reason)
            return bad(d, file, ln, "empty reason after '!' (expected ! WHY THE REAL KERNEL DIFFERS)");
    }
    char *e = l + strlen(l);
    while (e > l && isspace((unsigned char)e[-1]))
        *--e = 0;
    copy_shown(op->text, sizeof op->text, l);
    char *tok[MAXTOK];
    int n = 0;
    for (char *save, *t = strtok_r(l, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == MAXTOK)
            return bad(d, file, ln, "too many words (expected at most 12)");
        tok[n++] = t;
    }
    op->line = ln;
    if (n == 0)
        return bad(d, file, ln, "a reason without an operation (expected OPERATION ... ! REASON)");
    if (n >= 3 && !strcmp(tok[1], "=")) {
        if (strlen(tok[0]) >= sizeof op->bind || !isalpha((unsigned char)tok[0][0]))
            return bad(d, file, ln, "bad symbol before '=' (expected a name of letters, digits, _)");
        for (const char *c = tok[0]; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                return bad(d, file, ln, "bad symbol before '=' (expected a name of letters, digits, _)");
        strcpy(op->bind, tok[0]);
        memmove(tok, tok + 2, (size_t)(n - 2) * sizeof tok[0]);
        n -= 2;
        if (strcmp(tok[0], "mmap") && strcmp(tok[0], "brk"))
            return bad(d, file, ln, "only mmap and brk bind a symbol (expected SYM = mmap ... or SYM = brk ...)");
    }
    const char *c = tok[0];
#define NARGS(lo, hi, usage)                                                                       \
    do {                                                                                           \
        if (n - 1 < (lo) || n - 1 > (hi))                                                          \
            return diag_set(d, file, ln, EINVAL, "wrong number of arguments to %s (expected %s)", c, \
                            usage);                                                                \
    } while (0)
    if (!strcmp(c, "spawn") || !strcmp(c, "exec")) {
        op->kind = !strcmp(c, "spawn") ? MOP_SPAWN : MOP_EXEC;
        NARGS(0, 1, "[ELF]");
        if (n == 2)
            snprintf(op->name, sizeof op->name, "%s", tok[1]);
    } else if (!strcmp(c, "file")) {
        op->kind = MOP_FILE;
        NARGS(2, 3, "file NAME SIZE [cold]");
        snprintf(op->name, sizeof op->name, "%s", tok[1]);
        if (parse_num(tok[2], &op->len) < 0 || op->len == 0 || op->len > (1ull << 32))
            return bad(d, file, ln, "bad file size (expected bytes, 1 to 4G, with K/M/G)");
        if (n == 4) {
            if (strcmp(tok[3], "cold"))
                return bad(d, file, ln, "unknown file option (expected cold)");
            op->cold = 1;
        }
    } else if (!strcmp(c, "mmap")) {
        op->kind = MOP_MMAP;
        NARGS(4, 6, "mmap ADDR|- LEN PROT FLAGS [FILE [OFF]]");
        if (!strcmp(tok[1], "-"))
            op->addr_none = 1;
        else if (parse_addr(tok[1], &op->addr) < 0)
            return bad(d, file, ln, "bad address (expected a number, SYM or SYM+N)");
        if (parse_num(tok[2], &op->len) < 0)
            return bad(d, file, ln, "bad length (expected bytes with K/M/G)");
        if (parse_prot(tok[3], &op->prot) < 0)
            return bad(d, file, ln, "bad protection (expected r, w, x or -, e.g. rw-)");
        if (parse_flags(tok[4], &op->flags) < 0)
            return bad(d, file, ln, "bad flags (expected a comma list of private, shared, anon, fixed, populate, growsdown)");
        if (!(op->flags & MM_MAP_ANON) && n < 6)
            return bad(d, file, ln, "file mapping without a file (expected a FILE after the flags, or anon)");
        if (n >= 6)
            snprintf(op->name, sizeof op->name, "%s", tok[5]);
        if (n == 7 && parse_num(tok[6], &op->off) < 0)
            return bad(d, file, ln, "bad offset (expected bytes)");
    } else if (!strcmp(c, "munmap") || !strcmp(c, "mprotect")) {
        op->kind = c[1] == 'u' ? MOP_MUNMAP : MOP_MPROTECT;
        if (op->kind == MOP_MUNMAP)
            NARGS(2, 2, "munmap ADDR LEN");
        else
            NARGS(3, 3, "mprotect ADDR LEN PROT");
        if (parse_addr(tok[1], &op->addr) < 0)
            return bad(d, file, ln, "bad address (expected a number, SYM or SYM+N)");
        if (parse_num(tok[2], &op->len) < 0)
            return bad(d, file, ln, "bad length (expected bytes with K/M/G)");
        if (op->kind == MOP_MPROTECT && parse_prot(tok[3], &op->prot) < 0)
            return bad(d, file, ln, "bad protection (expected r, w, x or -, e.g. r--)");
    } else if (!strcmp(c, "brk")) {
        op->kind = MOP_BRK;
        NARGS(1, 1, "brk +LEN|-LEN|ADDR");
        if (tok[1][0] == '+' || tok[1][0] == '-') {
            op->brk_rel = tok[1][0] == '+' ? 1 : -1;
            if (parse_num(tok[1] + 1, &op->len) < 0)
                return bad(d, file, ln, "bad brk length (expected +LEN or -LEN)");
        } else if (parse_addr(tok[1], &op->addr) < 0) {
            return bad(d, file, ln, "bad brk address (expected +LEN, -LEN or an address)");
        }
    } else if (!strcmp(c, "touch")) {
        op->kind = MOP_TOUCH;
        NARGS(2, 3, "touch r|w|x ADDR [LEN]");
        if (!strcmp(tok[1], "r"))
            op->acc = MM_ACC_READ;
        else if (!strcmp(tok[1], "w"))
            op->acc = MM_ACC_WRITE;
        else if (!strcmp(tok[1], "x"))
            op->acc = MM_ACC_EXEC;
        else
            return bad(d, file, ln, "bad access (expected r, w or x)");
        if (parse_addr(tok[2], &op->addr) < 0)
            return bad(d, file, ln, "bad address (expected a number, SYM or SYM+N)");
        op->len = 1;
        if (n == 4 && (parse_num(tok[3], &op->len) < 0 || op->len == 0 || op->len > (1ull << 40)))
            return bad(d, file, ln, "bad length (expected 1 byte to 1T, with K/M/G)");
    } else if (!strcmp(c, "fork") || !strcmp(c, "exit") || !strcmp(c, "maps") || !strcmp(c, "stats")) {
        op->kind = c[0] == 'f' ? MOP_FORK : c[0] == 'e' ? MOP_EXIT : c[0] == 'm' ? MOP_MAPS : MOP_STATS;
        NARGS(0, 0, "no arguments");
    } else if (!strcmp(c, "switch") || !strcmp(c, "reclaim")) {
        op->kind = c[0] == 's' ? MOP_SWITCH : MOP_RECLAIM;
        NARGS(1, 1, "one number");
        if (parse_num(tok[1], &op->len) < 0 || op->len > 1000000000)
            return bad(d, file, ln, "bad number (expected a PID or a page count)");
    } else if (!strcmp(c, "walk")) {
        op->kind = MOP_WALK;
        NARGS(1, 1, "walk ADDR");
        if (parse_addr(tok[1], &op->addr) < 0)
            return bad(d, file, ln, "bad address (expected a number, SYM or SYM+N)");
    } else {
        return diag_set(d, file, ln, EINVAL,
                        "unknown operation '%.40s' (expected spawn, file, mmap, munmap, mprotect, brk, touch, "
                        "fork, switch, exec, exit, maps, walk, stats or reclaim)", c);
    }
    if (op->bind[0] && op->kind == MOP_BRK && op->brk_rel == 0)
        return bad(d, file, ln, "SYM = brk needs +LEN or -LEN");
    return 0;
}

int mmsc_parse(const char *text, size_t len, const char *file, mmsc_t *out, diag_t *d)
{
    VL_VEC(mmsc_op_t) ops = {0};
    unsigned long ln = 0;
    size_t i = 0;
    int rc = 0;
    memset(out, 0, sizeof *out);
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        ln++;
        char line[512];
        size_t n = j - i;
        if (n >= sizeof line) {
            rc = bad(d, file, ln, "line too long (expected at most 511 bytes)");
            break;
        }
        memcpy(line, text + i, n);
        line[n] = 0;
        i = j + 1;
        if (memchr(line, 0, n)) {
            rc = bad(d, file, ln, "NUL byte in the line (expected text)");
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
        if ((rc = parse_line(p, file, ln, &op, d)) < 0)
            break;
        if (vl_vec_push(&ops, op) < 0) {
            rc = diag_set(d, file, ln, ENOMEM, "out of memory");
            break;
        }
    }
    if (rc < 0) {
        free(ops.v);
        return rc;
    }
    if (ops.n && ops.v[0].kind != MOP_SPAWN && ops.v[0].kind != MOP_FILE) {
        unsigned long l0 = ops.v[0].line;
        free(ops.v);
        return bad(d, file, l0, "an operation before the first spawn (expected spawn or file first)");
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
    FILE *txt = o->out;
    for (size_t i = 0; i < sc->n; i++) {
        const mmsc_op_t *op = &sc->ops[i];
        mmsc_result_t *x = &res[i];
        if (o->progress)
            o->progress(o->progress_ctx, i, sc->n, i);
        memset(x, 0, sizeof *x);
        x->ran = 1;
        mm_task_t *t = r->cur;
        mm_counters_t before = {0}, after;
        if (t)
            mm_counters(t, &before);
        uint64_t a = 0, v;
        if ((op->kind == MOP_MMAP && !op->addr_none) || op->kind == MOP_MUNMAP || op->kind == MOP_MPROTECT ||
            op->kind == MOP_TOUCH || op->kind == MOP_WALK || (op->kind == MOP_BRK && !op->brk_rel)) {
            if ((rc = resolve(r, &op->addr, &a, "", op->line, d)) < 0)
                goto fail;
        }
        if (!t && op->kind != MOP_SPAWN && op->kind != MOP_FILE) {
            rc = diag_set(d, "", op->line, EINVAL, "no live task (expected spawn first)");
            goto fail;
        }
        if (txt && o->explain)
            fprintf(txt, "%lu: %s\n", op->line, op->text);
        switch (op->kind) {
        case MOP_SPAWN:
            if ((rc = mm_spawn(r->sys, &t)) < 0 || (rc = mm_exec(t, op->name[0] ? op->name : NULL)) < 0) {
                rc = diag_set(d, "", op->line, -rc, "spawn failed: %s", strerror(-rc));
                goto fail;
            }
            if (mm_task_pid(t) >= 64) {
                rc = diag_set(d, "", op->line, EINVAL, "too many tasks (expected at most 63)");
                goto fail;
            }
            r->tasks[mm_task_pid(t)] = t;
            r->base[mm_task_pid(t)] = (int64_t)mm_vmas(t, NULL, 0);
            r->cur = t;
            mm_counters(t, &before);
            break;
        case MOP_FILE: {
            if (r->nfiles == 64) {
                rc = diag_set(d, "", op->line, EINVAL, "too many files (expected at most 64)");
                goto fail;
            }
            int id = mm_file_create(r->sys, op->name, (op->len + 4095) / 4096, !op->cold);
            if (id < 0) {
                rc = diag_set(d, "", op->line, ENOMEM, "file does not fit in the model's memory");
                goto fail;
            }
            r->files[r->nfiles] = id;
            snprintf(r->fnames[r->nfiles++], 64, "%s", op->name);
            break;
        }
        case MOP_MMAP: {
            int fid = -1;
            if (!(op->flags & MM_MAP_ANON) && (fid = file_id(r, op->name)) < 0) {
                rc = diag_set(d, "", op->line, EINVAL, "unknown file '%s' (expected one declared by file)", op->name);
                goto fail;
            }
            uint64_t got = 0;
            x->rc = mm_mmap(t, a, op->len, op->prot, op->flags, fid, op->off, &got);
            if (x->rc == 0)
                bind(r, op->bind, got);
            break;
        }
        case MOP_MUNMAP:
            x->rc = mm_munmap(t, a, op->len);
            break;
        case MOP_MPROTECT:
            x->rc = mm_mprotect(t, a, op->len, op->prot);
            break;
        case MOP_BRK: {
            uint64_t old = mm_brk(t, 0), want = op->brk_rel > 0 ? old + op->len
                                                : op->brk_rel < 0 ? old - op->len : a;
            uint64_t got = mm_brk(t, want);
            x->rc = got == want ? 0 : -ENOMEM;
            bind(r, op->bind, old);
            break;
        }
        case MOP_TOUCH: {
            uint64_t end = a + op->len;
            if (end < a)
                end = UINT64_MAX;
            for (uint64_t p = a; p < end; p = (p | 4095) + 1) {
                r->touches++;
                mm_fault_t f = mm_touch(t, p, op->acc);
                if (txt && o->explain && f.kind != MM_F_NONE)
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
            break;
        }
        case MOP_FORK: {
            mm_task_t *c;
            x->rc = mm_fork(t, &c);
            if (x->rc == 0) {
                if (mm_task_pid(c) >= 64) {
                    rc = diag_set(d, "", op->line, EINVAL, "too many tasks (expected at most 63)");
                    goto fail;
                }
                r->tasks[mm_task_pid(c)] = c;
                r->base[mm_task_pid(c)] = r->base[mm_task_pid(t)];
                if (txt && o->explain)
                    fprintf(txt, "  child pid %d\n", mm_task_pid(c));
            }
            break;
        }
        case MOP_SWITCH:
            if (op->len >= 64 || !r->tasks[op->len]) {
                rc = diag_set(d, "", op->line, EINVAL, "no live task %llu (expected a pid from spawn or fork)",
                              (unsigned long long)op->len);
                goto fail;
            }
            r->cur = t = r->tasks[op->len];
            mm_counters(t, &before);
            break;
        case MOP_EXEC:
            x->rc = mm_exec(t, op->name[0] ? op->name : NULL);
            r->base[mm_task_pid(t)] = (int64_t)mm_vmas(t, NULL, 0);
            break;
        case MOP_EXIT:
            r->tasks[mm_task_pid(t)] = NULL;
            mm_exit(t);
            r->cur = t = NULL;
            for (int p = 1; p < 64 && !t; p++)
                if (r->tasks[p])
                    r->cur = t = r->tasks[p];
            if (t)
                mm_counters(t, &before);
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
        case MOP_RECLAIM:
            (void)mm_reclaim(r->sys, op->len);
            break;
        }
        (void)v;
        if (t) {
            mm_counters(t, &after);
            x->minflt = (int64_t)(after.minflt - before.minflt);
            x->majflt = (int64_t)(after.majflt - before.majflt);
            x->vmas = vmas_of(r, t);
        }
        if (txt && o->explain && (x->rc || x->segv))
            fprintf(txt, "  -> %s\n", x->segv ? (x->segv == 1 ? "SIGSEGV (SEGV_MAPERR)" : "SIGSEGV (SEGV_ACCERR)")
                                               : strerror(-x->rc));
    }
    *out = r->sys;
    free(r);
    return 0;
fail:
    mm_sys_destroy(r->sys);
    free(r);
    return rc;
}
