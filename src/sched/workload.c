/* SPDX-License-Identifier: MIT */
/*
 * workload.c - the vmlab sched workload format (docs/sched.md "Workload
 * format"): parsing into templates and behaviour programs, the termination
 * check, and the generators (lab4, wrr, mixed, big) that write workload text.
 *
 * One task a line: `NAME key=value ... [BEHAVIOUR]`; `at TIME NAME key=value`
 * changes a weight, nice or priority at a time; `#` starts a comment.  The
 * behaviour is parsed by recursive descent into ops (workload.h); fork targets
 * may be named before their lines, so they are resolved at the end.
 */
#include "sched/workload.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "vmlab/parse.h"

typedef struct fork_ref {
    uint32_t op;        /* the FORK/THREAD op to patch */
    char name[40];      /* the template it names */
    unsigned long line; /* where */
} fork_ref_t;

typedef struct parser {
    sched_workload_t *w;
    const char *path;
    unsigned long line;
    diag_t *d;
    VL_VEC(fork_ref_t) refs;
    const char *p, *end; /* behaviour cursor */
    unsigned depth;      /* loops open while parsing */
} parser_t;

int sched_parse_time(const char *s, size_t len, uint64_t *ns)
{
    size_t i = 0;
    while (i < len && isdigit((unsigned char)s[i]))
        i++;
    if (i == 0)
        return -EINVAL;
    uint64_t v, mul;
    int rc = parse_u64_dec(s, i, &v);
    if (rc)
        return rc;
    uint64_t frac = 0, fdiv = 1;
    if (i < len && s[i] == '.') { /* up to 6 decimals: 0.75ms */
        size_t j = ++i;
        while (i < len && isdigit((unsigned char)s[i]) && i - j < 6) {
            frac = frac * 10 + (uint64_t)(s[i] - '0');
            fdiv *= 10;
            i++;
        }
        if (i == j || (i < len && isdigit((unsigned char)s[i])))
            return -EINVAL;
    }
    const char *u = s + i;
    size_t ul = len - i;
    if (ul == 0 || (ul == 2 && !memcmp(u, "ms", 2)))
        mul = 1000000;
    else if (ul == 2 && !memcmp(u, "us", 2))
        mul = 1000;
    else if (ul == 2 && !memcmp(u, "ns", 2))
        mul = 1;
    else if (ul == 1 && u[0] == 's')
        mul = 1000000000;
    else
        return -EINVAL;
    if (v > UINT64_MAX / mul / 2)
        return -ERANGE;
    *ns = v * mul + frac * mul / fdiv;
    return 0;
}

static int perr(parser_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(parser_t *ps, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_set(ps->d, ps->path, ps->line, EINVAL, "%s", msg);
}

static int is_name_char(int c) { return isalnum(c) || c == '_' || c == '-' || c == '.'; }

static int push_op(parser_t *ps, uint8_t kind, uint32_t arg, uint64_t n)
{
    sched_op_t op = {.kind = kind, .arg = arg, .n = n};
    if (vl_vec_push(&ps->w->ops, op))
        return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
    return 0;
}

static void skip_sep(parser_t *ps)
{
    while (ps->p < ps->end && (isspace((unsigned char)*ps->p) || *ps->p == ','))
        ps->p++;
}

/* The next word of [a-zA-Z0-9_.-]: its length (0 if none). */
static size_t word(parser_t *ps, const char **w)
{
    *w = ps->p;
    while (ps->p < ps->end && is_name_char((unsigned char)*ps->p))
        ps->p++;
    return (size_t)(ps->p - *w);
}

static int expect_time(parser_t *ps, const char *step, uint64_t *ns)
{
    const char *w;
    while (ps->p < ps->end && isspace((unsigned char)*ps->p))
        ps->p++;
    size_t n = word(ps, &w);
    int rc = n ? sched_parse_time(w, n, ns) : -EINVAL;
    if (rc == -ERANGE)
        return perr(ps, "%s: time too large (expected at most 2^62 ns)", step);
    if (rc || *ns == 0)
        return perr(ps, "%s: needs a positive time (expected e.g. '5ms', '2s', '300us')", step);
    return 0;
}

static int parse_steps(parser_t *ps, int in_loop, int *timed);

/* One step; *timed |= 1 when it makes time pass (run, sleep). */
static int parse_step(parser_t *ps, int *timed)
{
    const char *w;
    size_t n = word(ps, &w);
    uint64_t v;
    int rc;
    if (n == 0)
        return perr(ps, "unexpected '%.1s' in the behaviour (expected run, sleep, cpu, spin, "
                        "loop(...), fork NAME, thread NAME or exit)", ps->p);
    if ((n == 3 && !memcmp(w, "run", 3)) || (n == 3 && !memcmp(w, "cpu", 3))) {
        if ((rc = expect_time(ps, "run", &v)))
            return rc;
        *timed = 1;
        return push_op(ps, OP_RUN, 0, v);
    }
    if ((n == 5 && !memcmp(w, "sleep", 5)) || (n == 2 && !memcmp(w, "io", 2))) {
        if ((rc = expect_time(ps, "sleep", &v)))
            return rc;
        *timed = 1;
        return push_op(ps, OP_SLEEP, 0, v);
    }
    if (n == 4 && !memcmp(w, "spin", 4)) {
        *timed = 1;
        return push_op(ps, OP_RUN, 0, SCHED_FOREVER);
    }
    if (n == 4 && !memcmp(w, "exit", 4))
        return push_op(ps, OP_EXIT, 0, 0);
    if ((n == 4 && !memcmp(w, "fork", 4)) || (n == 6 && !memcmp(w, "thread", 6))) {
        uint8_t kind = n == 4 ? OP_FORK : OP_THREAD;
        while (ps->p < ps->end && isspace((unsigned char)*ps->p))
            ps->p++;
        const char *nm;
        size_t nl = word(ps, &nm);
        if (nl == 0 || nl >= sizeof(((fork_ref_t *)0)->name))
            return perr(ps, "%s needs the name of a task line (expected e.g. 'fork child')",
                        kind == OP_FORK ? "fork" : "thread");
        fork_ref_t r = {.op = (uint32_t)ps->w->ops.n, .line = ps->line};
        memcpy(r.name, nm, nl);
        r.name[nl] = '\0';
        if (vl_vec_push(&ps->refs, r))
            return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
        return push_op(ps, kind, 0, 0);
    }
    if (n == 4 && !memcmp(w, "loop", 4)) {
        if (ps->p >= ps->end || *ps->p != '(')
            return perr(ps, "loop needs '(' right after it (expected %s)", "loop(run 5ms, sleep 20ms) x 100");
        if (ps->depth >= SCHED_LOOP_DEPTH)
            return diag_set(ps->d, ps->path, ps->line, EINVAL,
                            "loops nested too deep (expected at most %d levels)", SCHED_LOOP_DEPTH);
        ps->p++;
        ps->depth++;
        uint32_t at = (uint32_t)ps->w->ops.n;
        if ((rc = push_op(ps, OP_LOOP, 0, 0)))
            return rc;
        int body_timed = 0;
        if ((rc = parse_steps(ps, 1, &body_timed)))
            return rc;
        if (ps->w->ops.n == at + 1)
            return perr(ps, "empty loop body (expected steps, as in %s)", "loop(run 5ms, sleep 20ms) x 100");
        ps->p++; /* ')' */
        ps->depth--;
        while (ps->p < ps->end && isspace((unsigned char)*ps->p))
            ps->p++;
        const char *k;
        size_t kl = word(ps, &k);
        uint64_t count;
        if (kl == 7 && !memcmp(k, "forever", 7)) {
            if (!body_timed)
                return perr(ps, "a forever loop must run or sleep (expected %s)", "loop(run 5ms, sleep 20ms) forever");
            count = SCHED_FOREVER;
        } else if (kl >= 1 && (k[0] == 'x' || k[0] == 'X')) {
            const char *num = k + 1;
            size_t nl = kl - 1;
            if (nl == 0) {
                while (ps->p < ps->end && isspace((unsigned char)*ps->p))
                    ps->p++;
                nl = word(ps, &num);
            }
            if (nl == 0 || parse_u64_dec(num, nl, &count) || count == 0 || count >= SCHED_FOREVER / 2)
                return perr(ps, "bad loop count after '%s' (expected x N with N >= 1, or forever)", ")");
        } else {
            return perr(ps, "a loop needs a count after '%s' (expected x N or forever)", ")");
        }
        ps->w->ops.v[at].n = count;
        ps->w->ops.v[at].arg = (uint32_t)ps->w->ops.n;
        *timed |= body_timed;
        return push_op(ps, OP_END, at, 0);
    }
    return diag_set(ps->d, ps->path, ps->line, EINVAL,
                    "unknown step '%.*s' (expected run, sleep, cpu, spin, loop(...), fork NAME, "
                    "thread NAME or exit)", (int)(n > 40 ? 40 : n), w);
}

static int parse_steps(parser_t *ps, int in_loop, int *timed)
{
    for (;;) {
        skip_sep(ps);
        if (ps->p >= ps->end) {
            if (in_loop)
                return perr(ps, "unclosed loop (expected '%s')", ")");
            return 0;
        }
        if (*ps->p == ')') {
            if (!in_loop)
                return perr(ps, "unexpected '%s' (no loop is open)", ")");
            return 0;
        }
        if (*ps->p == '#') { /* a comment ends the line */
            if (in_loop)
                return perr(ps, "unclosed loop (expected '%s')", ")");
            ps->p = ps->end;
            return 0;
        }
        int rc = parse_step(ps, timed);
        if (rc)
            return rc;
    }
}

static int parse_int(const char *v, size_t n, long lo, long hi, long *out)
{
    int neg = n > 0 && v[0] == '-';
    uint64_t u;
    if (parse_u64_dec(v + neg, n - (size_t)neg, &u) || u > 1000000000)
        return -EINVAL;
    long x = neg ? -(long)u : (long)u;
    if (x < lo || x > hi)
        return -ERANGE;
    *out = x;
    return 0;
}

static int parse_cpulist(parser_t *ps, const char *v, size_t n, uint64_t *mask)
{
    memset(mask, 0, SCHED_MASK_WORDS * sizeof *mask);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && isdigit((unsigned char)v[j]))
            j++;
        uint64_t a, b;
        if (j == i || parse_u64_dec(v + i, j - i, &a) || a >= SCHED_MAX_CPUS)
            goto bad;
        b = a;
        if (j < n && v[j] == '-') {
            size_t k = ++j;
            while (j < n && isdigit((unsigned char)v[j]))
                j++;
            if (j == k || parse_u64_dec(v + k, j - k, &b) || b >= SCHED_MAX_CPUS || b < a)
                goto bad;
        }
        for (uint64_t c = a; c <= b; c++)
            mask[c >> 6] |= 1ull << (c & 63);
        if (j < n && v[j] != ',')
            goto bad;
        i = j + 1;
    }
    return 0;
bad:
    return diag_set(ps->d, ps->path, ps->line, EINVAL,
                    "bad affinity '%.*s' (expected a CPU list such as 0-3,6 with CPUs below %d)",
                    (int)(n > 40 ? 40 : n), v, SCHED_MAX_CPUS);
}

static uint64_t group_id(parser_t *ps, const char *v, size_t n, int *err)
{
    uint64_t num;
    *err = 0;
    if (parse_u64_dec(v, n, &num) == 0 && num < SCHED_GROUP_NAMED)
        return num;
    for (size_t i = 0; i < ps->w->groups.n; i++)
        if (strlen(ps->w->groups.v[i]) == n && !memcmp(ps->w->groups.v[i], v, n))
            return SCHED_GROUP_NAMED + i;
    char *s = strndup(v, n);
    if (!s || vl_vec_push(&ps->w->groups, s)) {
        free(s);
        *err = -ENOMEM;
        return 0;
    }
    return SCHED_GROUP_NAMED + ps->w->groups.n - 1;
}

/* A name's hash: vl_hash64 folded over its bytes, 8 at a time. */
static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = n;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t chunk = 0;
        memcpy(&chunk, s + i, n - i < 8 ? n - i : 8);
        h = vl_hash64(h ^ chunk);
    }
    return h == VL_MAP_EMPTY ? 0 : h;
}

static int find_tmpl(const sched_workload_t *w, const char *name, size_t n)
{
    const uint64_t *v = vl_map_get(&w->names, name_hash(name, n));
    if (!v)
        return -1;
    const char *cand = w->tmpl.v[*v - 1].name;
    if (strlen(cand) == n && !memcmp(cand, name, n))
        return (int)(*v - 1);
    for (size_t i = 0; i < w->tmpl.n; i++) /* a hash collision: scan */
        if (strlen(w->tmpl.v[i].name) == n && !memcmp(w->tmpl.v[i].name, name, n))
            return (int)i;
    return -1;
}

static int key_is(const char *k, size_t kl, const char *name)
{
    return strlen(name) == kl && !memcmp(k, name, kl);
}

/* `at TIME NAME key=value` (templates are resolved at the end, so a change
 * may name a later line: store the name's template now if known). */
typedef struct pending_change {
    sched_change_t c;
    char name[40];
    unsigned long line;
} pending_change_t;
typedef VL_VEC(pending_change_t) pending_vec_t;

static int parse_at(parser_t *ps, const char *s, size_t len, pending_vec_t *pend)
{
    const char *tok[4];
    size_t tl[4];
    unsigned nt = 0;
    size_t i = 0;
    while (i < len && nt < 4) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i >= len)
            break;
        tok[nt] = s + i;
        while (i < len && !isspace((unsigned char)s[i]))
            i++;
        tl[nt] = (size_t)(s + i - tok[nt]);
        nt++;
    }
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (nt != 4 || i < len)
        return perr(ps, "bad change line (expected %s)", "at TIME NAME weight=W, nice=N, prio=P or affinity=CPUS");
    pending_change_t pc = {.line = ps->line};
    int rc = sched_parse_time(tok[1], tl[1], &pc.c.at);
    if (rc)
        return perr(ps, "bad time in a change line (expected %s)", "at 500ms NAME weight=5");
    if (tl[2] >= sizeof pc.name)
        return perr(ps, "task name too long (expected at most %s characters)", "39");
    memcpy(pc.name, tok[2], tl[2]);
    const char *eq = memchr(tok[3], '=', tl[3]);
    if (!eq)
        return perr(ps, "bad change (expected %s)", "weight=W, nice=N, prio=P or affinity=CPUS");
    size_t kl = (size_t)(eq - tok[3]), vl = tl[3] - kl - 1;
    long x;
    if (key_is(tok[3], kl, "weight")) {
        pc.c.what = 0;
        rc = parse_int(eq + 1, vl, 1, 20, &x);
        if (rc)
            return perr(ps, "weight out of range in a change (expected %s)", "1..20");
    } else if (key_is(tok[3], kl, "nice")) {
        pc.c.what = 1;
        if (parse_int(eq + 1, vl, -20, 19, &x))
            return perr(ps, "nice out of range in a change (expected %s)", "-20..19");
    } else if (key_is(tok[3], kl, "prio")) {
        pc.c.what = 2;
        if (parse_int(eq + 1, vl, 1, 99, &x))
            return perr(ps, "prio out of range in a change (expected %s)", "1..99");
    } else if (key_is(tok[3], kl, "affinity")) {
        sched_workload_t *w = ps->w;
        size_t at = w->masks.n;
        pc.c.what = 3;
        if (vl_vec_reserve(&w->masks, at + SCHED_MASK_WORDS))
            return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
        if ((rc = parse_cpulist(ps, eq + 1, vl, w->masks.v + at)))
            return rc;
        w->masks.n = at + SCHED_MASK_WORDS;
        x = (long)(at / SCHED_MASK_WORDS);
    } else {
        return perr(ps, "unknown change (expected %s)", "weight=W, nice=N, prio=P or affinity=CPUS");
    }
    pc.c.value = (int)x;
    if (vl_vec_push(pend, pc))
        return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
    return 0;
}

static int parse_task(parser_t *ps, const char *s, size_t len)
{
    sched_workload_t *w = ps->w;
    sched_tmpl_t t = {.policy = SCHED_P_WRR, .weight = 10, .prio = 50, .count = 1,
                      .mask = SCHED_NONE, .line = ps->line};
    size_t i = 0;
    while (i < len && is_name_char((unsigned char)s[i]))
        i++;
    if (i == 0 || (i < len && !isspace((unsigned char)s[i])))
        return perr(ps, "bad task name (expected %s)", "NAME of letters, digits, '_', '-', '.' then key=value ...");
    if (i >= sizeof t.name)
        return perr(ps, "task name too long (expected at most %s characters)", "39");
    memcpy(t.name, s, i);
    if (find_tmpl(w, s, i) >= 0)
        return perr(ps, "task name '%s' used twice (expected unique names)", t.name);
    int have_weight = 0, have_nice = 0, have_prio = 0, have_cpu = 0;
    uint64_t cpu_ns = 0;
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        size_t j = i;
        while (j < len && !isspace((unsigned char)s[j]) && s[j] != '(')
            j++;
        const char *eq = memchr(s + i, '=', j - i);
        if (i >= len || !eq || s[i] == '#')
            break;
        const char *k = s + i, *v = eq + 1;
        size_t kl = (size_t)(eq - k), vl = (size_t)(s + j - v);
        long x;
        int rc = 0;
        if (key_is(k, kl, "class")) {
            static const char *const names[] = {"fifo", "rr", "wrr", "cfs", "normal", "other"};
            int found = -1;
            for (int c = 0; c < 6; c++)
                if (key_is(v, vl, names[c]))
                    found = c;
            if (found < 0)
                return diag_set(ps->d, ps->path, ps->line, EINVAL,
                                "unknown class '%.*s' (expected wrr, cfs, fifo or rr)",
                                (int)(vl > 20 ? 20 : vl), v);
            t.policy = (uint8_t)(found > SCHED_P_CFS ? SCHED_P_CFS : found);
            t.class_set = 1;
        } else if (key_is(k, kl, "weight")) {
            if ((rc = parse_int(v, vl, 1, 20, &x)))
                return diag_set(ps->d, ps->path, ps->line, EINVAL,
                                "weight '%.*s' out of range (expected 1..20)", (int)(vl > 20 ? 20 : vl), v);
            t.weight = (uint32_t)x;
            have_weight = 1;
        } else if (key_is(k, kl, "nice")) {
            if (parse_int(v, vl, -20, 19, &x))
                return diag_set(ps->d, ps->path, ps->line, EINVAL,
                                "nice '%.*s' out of range (expected -20..19)", (int)(vl > 20 ? 20 : vl), v);
            t.nice = (int8_t)x;
            have_nice = 1;
        } else if (key_is(k, kl, "prio")) {
            if (parse_int(v, vl, 1, 99, &x))
                return diag_set(ps->d, ps->path, ps->line, EINVAL,
                                "prio '%.*s' out of range (expected 1..99)", (int)(vl > 20 ? 20 : vl), v);
            t.prio = (uint8_t)x;
            have_prio = 1;
        } else if (key_is(k, kl, "group")) {
            int err;
            if (vl == 0 || vl > 39)
                return perr(ps, "bad group (expected %s)", "a number or a name of at most 39 characters");
            t.group = group_id(ps, v, vl, &err);
            t.group_set = 1;
            if (err)
                return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
        } else if (key_is(k, kl, "arrive")) {
            if (sched_parse_time(v, vl, &t.arrive))
                return perr(ps, "bad arrive time (expected %s)", "ms, or a time such as 1.5s, 300us");
        } else if (key_is(k, kl, "cpu")) {
            if (sched_parse_time(v, vl, &cpu_ns) || cpu_ns == 0)
                return perr(ps, "bad cpu time (expected %s)", "a positive time in ms, or with a unit: 1900ms, 2s");
            have_cpu = 1;
        } else if (key_is(k, kl, "affinity")) {
            size_t at = w->masks.n;
            if (vl_vec_reserve(&w->masks, at + SCHED_MASK_WORDS))
                return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
            if ((rc = parse_cpulist(ps, v, vl, w->masks.v + at)))
                return rc;
            w->masks.n = at + SCHED_MASK_WORDS;
            t.mask = (uint32_t)(at / SCHED_MASK_WORDS);
        } else if (key_is(k, kl, "count")) {
            if (parse_int(v, vl, 1, 1000000, &x))
                return perr(ps, "bad count (expected %s)", "1..1000000");
            t.count = (uint64_t)x;
        } else if (key_is(k, kl, "daemon")) {
            if (parse_int(v, vl, 0, 1, &x))
                return perr(ps, "bad daemon (expected %s)", "0 or 1");
            t.daemon = (uint8_t)x;
        } else if (key_is(k, kl, "start")) {
            if (key_is(v, vl, "fork"))
                t.on_fork = 1;
            else if (!key_is(v, vl, "arrive"))
                return perr(ps, "bad start (expected %s)", "arrive or fork");
        } else {
            return diag_set(ps->d, ps->path, ps->line, EINVAL,
                            "unknown key '%.*s' (expected class, weight, nice, prio, group, arrive, "
                            "cpu, affinity, count, daemon or start)", (int)(kl > 20 ? 20 : kl), k);
        }
        i = j;
    }
    int is_rt = t.policy == SCHED_P_FIFO || t.policy == SCHED_P_RR;
    if (have_weight && t.policy != SCHED_P_WRR)
        return perr(ps, "weight= is for class=wrr (expected %s)", "nice= for cfs, prio= for fifo and rr");
    if (have_nice && t.policy != SCHED_P_CFS)
        return perr(ps, "nice= is for class=cfs (expected %s)", "weight= for wrr, prio= for fifo and rr");
    if (have_prio && !is_rt)
        return perr(ps, "prio= is for class=fifo or rr (expected %s)", "weight= for wrr, nice= for cfs");
    if (t.on_fork && (t.count != 1 || t.arrive))
        return perr(ps, "a start=fork task takes no %s (it starts when forked)", "count= or arrive=");
    t.prog = (uint32_t)w->ops.n;
    ps->p = s + i;
    ps->end = s + len;
    ps->depth = 0;
    int timed = 0, rc;
    if (have_cpu && (rc = push_op(ps, OP_RUN, 0, cpu_ns)))
        return rc;
    if ((rc = parse_steps(ps, 0, &timed)))
        return rc;
    if (!have_cpu && w->ops.n == t.prog)
        return perr(ps, "task has no work (expected %s)", "cpu=MS or a behaviour such as 'run 5ms' or 'spin'");
    if ((rc = push_op(ps, OP_EXIT, 0, 0)))
        return rc;
    for (uint32_t o = t.prog; o < w->ops.n; o++)
        if ((w->ops.v[o].kind == OP_RUN || w->ops.v[o].kind == OP_LOOP) && w->ops.v[o].n == SCHED_FOREVER)
            t.infinite = 1;
    if (vl_vec_push(&w->tmpl, t))
        return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
    if (!vl_map_slot(&w->names, name_hash(t.name, strlen(t.name)), w->tmpl.n, NULL))
        return diag_set(ps->d, ps->path, ps->line, ENOMEM, "out of memory");
    return 0;
}

static int cmp_change(const void *a, const void *b)
{
    const pending_change_t *x = a, *y = b;
    if (x->c.at != y->c.at)
        return x->c.at < y->c.at ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

void sched_workload_free(sched_workload_t *w)
{
    if (!w)
        return;
    free(w->path);
    for (size_t i = 0; i < w->groups.n; i++)
        free(w->groups.v[i]);
    vl_vec_free(&w->groups);
    vl_vec_free(&w->tmpl);
    vl_vec_free(&w->ops);
    vl_vec_free(&w->change);
    vl_vec_free(&w->masks);
    vl_map_free(&w->names);
    free(w);
}

int sched_workload_parse(const char *path, const char *text, size_t len, sched_workload_t **out,
                         diag_t *d)
{
    parser_t ps = {.path = path, .d = d};
    pending_vec_t pend = {0};
    int rc = 0;
    *out = NULL;
    ps.w = calloc(1, sizeof *ps.w);
    if (!ps.w || !(ps.w->path = strdup(path ? path : "-"))) {
        free(ps.w);
        return diag_set(d, path, 0, ENOMEM, "out of memory");
    }
    const char *p = text, *end = text + len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
        const char *s = p;
        size_t l = (size_t)(eol - p);
        ps.line++;
        p = nl ? nl + 1 : end;
        if (memchr(s, '\0', l)) {
            rc = perr(&ps, "NUL byte in the workload (expected %s)", "text");
            break;
        }
        parse_trim(&s, &l);
        if (l == 0 || s[0] == '#')
            continue;
        if (l > 2 && !memcmp(s, "at", 2) && isspace((unsigned char)s[2]))
            rc = parse_at(&ps, s, l, &pend);
        else
            rc = parse_task(&ps, s, l);
    }
    if (rc == 0 && ps.w->tmpl.n == 0)
        rc = diag_set(d, path, ps.line, EINVAL, "no tasks (expected lines such as 'a weight=5 cpu=100')");
    for (size_t i = 0; rc == 0 && i < ps.refs.n; i++) {
        fork_ref_t *r = &ps.refs.v[i];
        int t = find_tmpl(ps.w, r->name, strlen(r->name));
        ps.line = r->line;
        if (t < 0)
            rc = perr(&ps, "fork of unknown task '%s' (expected the name of a task line)", r->name);
        else if (!ps.w->tmpl.v[t].on_fork)
            rc = perr(&ps, "forked task '%s' needs start=fork on its line (expected it to start only when forked)",
                      r->name);
        else
            ps.w->ops.v[r->op].arg = (uint32_t)t;
    }
    uint32_t *last = NULL; /* each template's affinity mask so far (changes in time order) */
    if (rc == 0 && pend.n) {
        last = malloc(ps.w->tmpl.n * sizeof *last);
        if (!last)
            rc = diag_set(d, path, 0, ENOMEM, "out of memory");
        for (size_t i = 0; last && i < ps.w->tmpl.n; i++)
            last[i] = ps.w->tmpl.v[i].mask;
    }
    if (rc == 0 && pend.n) {
        qsort(pend.v, pend.n, sizeof *pend.v, cmp_change);
        for (size_t i = 0; rc == 0 && i < pend.n; i++) {
            int t = find_tmpl(ps.w, pend.v[i].name, strlen(pend.v[i].name));
            ps.line = pend.v[i].line;
            if (t < 0) {
                rc = perr(&ps, "change of unknown task '%s' (expected the name of a task line)", pend.v[i].name);
                break;
            }
            sched_tmpl_t *tp = &ps.w->tmpl.v[t];
            uint8_t want = tp->policy == SCHED_P_WRR ? 0 : tp->policy == SCHED_P_CFS ? 1 : 2;
            if (pend.v[i].c.what == 3) {
                /* Only widening is modelled: the task's CPU stays allowed,
                 * so no running task has to be moved.  In time order, each
                 * mask must contain the template's last one. */
                uint32_t old = last[t];
                const uint64_t *nm = ps.w->masks.v + (size_t)pend.v[i].c.value * SCHED_MASK_WORDS;
                int wider = old != SCHED_NONE;
                for (size_t k = 0; wider && k < SCHED_MASK_WORDS; k++)
                    wider = (ps.w->masks.v[(size_t)old * SCHED_MASK_WORDS + k] & ~nm[k]) == 0;
                if (!wider) {
                    rc = perr(&ps, "affinity of '%s' may only widen (expected a CPU list containing its "
                                   "affinity so far; a narrowing would move a running task)", pend.v[i].name);
                    break;
                }
                last[t] = (uint32_t)pend.v[i].c.value;
            } else if (pend.v[i].c.what != want) {
                rc = perr(&ps, "this change does not fit the class of '%s' (expected weight= for wrr, "
                               "nice= for cfs, prio= for fifo and rr)", pend.v[i].name);
                break;
            }
            pend.v[i].c.tmpl = (uint32_t)t;
            if (vl_vec_push(&ps.w->change, pend.v[i].c))
                rc = diag_set(d, path, 0, ENOMEM, "out of memory");
        }
    }
    free(last);
    vl_vec_free(&ps.refs);
    vl_vec_free(&pend);
    if (rc) {
        sched_workload_free(ps.w);
        return rc;
    }
    *out = ps.w;
    return 0;
}

/* ---- termination ----------------------------------------------------------- */

static int policy_rank(uint8_t p) { return p <= SCHED_P_RR ? 0 : p == SCHED_P_WRR ? 1 : 2; }

int sched_workload_finite(const sched_workload_t *w, char *why, size_t n)
{
    size_t nt = w->tmpl.n;
    /* Reachable templates and their classes (a forked child without class=
     * takes its parent's; the parent's own is used, which is what the core
     * does).  A fork graph walk with colours finds cycles. */
    uint8_t *color = calloc(nt ? nt : 1, 1);
    uint8_t *reach = calloc(nt ? nt : 1, 1);
    uint8_t *pol = calloc(nt ? nt : 1, 1);
    uint32_t *stack = calloc(nt ? nt * 2 : 1, sizeof *stack);
    int finite = 1;
    if (!color || !reach || !pol || !stack) {
        snprintf(why, n, "out of memory");
        finite = 0;
        goto out;
    }
    for (size_t r = 0; r < nt && finite; r++) {
        if (w->tmpl.v[r].on_fork || color[r])
            continue;
        /* iterative DFS: stack holds (tmpl, next op to scan) pairs */
        size_t sp = 0;
        stack[sp++] = (uint32_t)r;
        stack[sp++] = w->tmpl.v[r].prog;
        color[r] = 1;
        reach[r] = 1;
        pol[r] = w->tmpl.v[r].policy;
        while (sp && finite) {
            uint32_t t = stack[sp - 2], o = stack[sp - 1];
            const sched_op_t *op = &w->ops.v[o];
            if (op->kind == OP_EXIT) {
                color[t] = 2;
                sp -= 2;
                continue;
            }
            stack[sp - 1] = o + 1;
            if (op->kind != OP_FORK && op->kind != OP_THREAD)
                continue;
            uint32_t c = op->arg;
            if (!w->tmpl.v[c].class_set)
                pol[c] = pol[t];
            else
                pol[c] = w->tmpl.v[c].policy;
            reach[c] = 1;
            if (color[c] == 1) {
                snprintf(why, n, "task '%s' forks itself through '%s', so tasks are created forever",
                         w->tmpl.v[c].name, w->tmpl.v[t].name);
                finite = 0;
            } else if (color[c] == 0) {
                color[c] = 1;
                stack[sp++] = c;
                stack[sp++] = w->tmpl.v[c].prog;
            }
        }
    }
    int have_real = 0, inf_rank = 3, inf_rt = 0;
    for (size_t t = 0; t < nt && finite; t++) {
        const sched_tmpl_t *tp = &w->tmpl.v[t];
        if (!reach[t])
            continue;
        if (tp->infinite && !tp->daemon) {
            snprintf(why, n, "task '%s' (line %lu) runs forever", tp->name, tp->line);
            finite = 0;
        }
        if (tp->infinite) {
            int rk = policy_rank(pol[t]);
            if (rk < inf_rank)
                inf_rank = rk;
            if (rk == 0)
                inf_rt = 1;
        }
        if (!tp->daemon)
            have_real = 1;
    }
    for (size_t t = 0; t < nt && finite && inf_rank < 3; t++) {
        const sched_tmpl_t *tp = &w->tmpl.v[t];
        if (!reach[t] || tp->daemon)
            continue;
        if (inf_rt || policy_rank(pol[t]) > inf_rank) {
            snprintf(why, n, "task '%s' (line %lu) may starve forever behind a daemon that never ends "
                             "in a %s class", tp->name, tp->line, inf_rt ? "real-time" : "higher");
            finite = 0;
        }
    }
    if (finite && !have_real && inf_rank < 3) {
        snprintf(why, n, "every task is a daemon and one runs forever");
        finite = 0;
    }
out:
    free(color);
    free(reach);
    free(pol);
    free(stack);
    return finite;
}

/* ---- generators ------------------------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int err;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    for (int pass = 0; pass < 2 && !b->err; pass++) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->err = -EINVAL;
            return;
        }
        if (b->s && (size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        if (vl_grow((void **)&b->s, &b->cap, b->n + (size_t)k + 1, 1))
            b->err = -ENOMEM;
    }
}

static const char *gen_policy(vl_rng_t *r, int mixed)
{
    if (!mixed)
        return "wrr";
    unsigned x = (unsigned)vl_rng_below(r, 10);
    return x < 1 ? "fifo" : x < 2 ? "rr" : x < 6 ? "wrr" : "cfs";
}

int sched_gen_text(const sched_gen_t *g, char **text, size_t *len, diag_t *d)
{
    sbuf_t b = {0};
    vl_rng_t r;
    vl_rng_seed(&r, g->seed);
    unsigned ncpus = g->ncpus ? g->ncpus : 1;
    *text = NULL;
    *len = 0;
    if (!strcmp(g->name, "lab4")) {
        sb_printf(&b, "# lab4: a prime factorisation task timed at every weight 1..20 among\n"
                      "# spinning WRR tasks (two per CPU, weight 10, daemons: the run ends when\n"
                      "# the last factorisation ends).  Turnaround falls as the weight rises.\n");
        sb_printf(&b, "spin class=wrr weight=10 count=%u daemon=1 spin\n", 2 * ncpus);
        for (unsigned w = 1; w <= 20; w++)
            sb_printf(&b, "factor-w%02u class=wrr weight=%u cpu=%llums\n", w, w,
                      (unsigned long long)(g->tasks ? g->tasks : 1000));
    } else if (!strcmp(g->name, "wrr") || !strcmp(g->name, "mixed")) {
        int mixed = g->name[0] == 'm';
        uint64_t n = g->tasks ? g->tasks : 12, last_wrr = UINT64_MAX;
        sb_printf(&b, "# generated: %s, seed %llu\n", g->name, (unsigned long long)g->seed);
        for (uint64_t i = 0; i < n; i++) {
            const char *pol = gen_policy(&r, mixed);
            if (pol[0] == 'w')
                last_wrr = i;
            sb_printf(&b, "t%llu class=%s", (unsigned long long)i, pol);
            if (pol[0] == 'w')
                sb_printf(&b, " weight=%u", (unsigned)vl_rng_range(&r, 1, 20));
            else if (pol[0] == 'c')
                sb_printf(&b, " nice=%d", (int)vl_rng_range(&r, -20, 19));
            else
                sb_printf(&b, " prio=%u", (unsigned)vl_rng_range(&r, 1, 99));
            if (vl_rng_below(&r, 2))
                sb_printf(&b, " group=g%u", (unsigned)vl_rng_below(&r, 4));
            sb_printf(&b, " arrive=%ums", (unsigned)vl_rng_below(&r, 400));
            if (ncpus > 1 && vl_rng_below(&r, 6) == 0) {
                unsigned a = (unsigned)vl_rng_below(&r, ncpus);
                unsigned z = a + (unsigned)vl_rng_below(&r, ncpus - a);
                sb_printf(&b, " affinity=%u-%u", a, z);
            }
            switch (vl_rng_below(&r, 3)) {
            case 0:
                sb_printf(&b, " cpu=%ums\n", (unsigned)vl_rng_range(&r, 1, 600));
                break;
            case 1:
                sb_printf(&b, " loop(run %uus, sleep %uus) x %u\n", (unsigned)vl_rng_range(&r, 100, 30000),
                          (unsigned)vl_rng_range(&r, 100, 50000), (unsigned)vl_rng_range(&r, 1, 12));
                break;
            default:
                sb_printf(&b, " run %ums loop(sleep %ums, run %ums) x %u\n",
                          (unsigned)vl_rng_range(&r, 1, 50), (unsigned)vl_rng_range(&r, 1, 30),
                          (unsigned)vl_rng_range(&r, 1, 120), (unsigned)vl_rng_range(&r, 1, 5));
                break;
            }
        }
        if (n && vl_rng_below(&r, 2)) {
            sb_printf(&b, "kid class=%s start=fork cpu=%ums\n", mixed ? "cfs" : "wrr",
                      (unsigned)vl_rng_range(&r, 1, 80));
            sb_printf(&b, "parent group=p arrive=%ums loop(run 3ms, fork kid, thread kid) x %u\n",
                      (unsigned)vl_rng_below(&r, 100), (unsigned)vl_rng_range(&r, 1, 4));
        }
        if (last_wrr != UINT64_MAX) /* a weight change while it may be running */
            sb_printf(&b, "at %ums t%llu weight=%u\n", (unsigned)vl_rng_below(&r, 600),
                      (unsigned long long)last_wrr, (unsigned)vl_rng_range(&r, 1, 20));
    } else if (!strcmp(g->name, "big")) {
        uint64_t n = g->tasks ? g->tasks : 100000;
        sb_printf(&b, "# generated: big, %llu WRR tasks looping run/sleep forever (use --until)\n",
                  (unsigned long long)n);
        for (uint64_t i = 0; i < n; i++)
            sb_printf(&b, "t%llu weight=%u group=%llu loop(run %ums, sleep %ums) forever\n",
                      (unsigned long long)i, (unsigned)vl_rng_range(&r, 1, 20),
                      (unsigned long long)(i / 4), (unsigned)vl_rng_range(&r, 5, 200),
                      (unsigned)vl_rng_range(&r, 1, 100));
    } else {
        return diag_set(d, NULL, 0, EINVAL, "unknown generator '%s' (expected lab4, wrr, mixed or big)",
                        g->name);
    }
    if (b.err) {
        free(b.s);
        return diag_set(d, NULL, 0, -b.err, "out of memory");
    }
    *text = b.s;
    *len = b.n;
    return 0;
}
