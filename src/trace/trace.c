/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the trace reader core: opening (decompression, format
 * detection), buffering, batch reads, error reporting, and
 * trace_load_pages().  The formats themselves live one per file
 * (trace_rw.c, trace_osc.c, ...) behind trace_fmt_t, listed in fmts[].
 *
 * Buffering: buf holds up to TRACE_BUF_CAP decompressed bytes; text
 * formats parse buf[pos, lim), the complete lines, while [lim, end) is the
 * start of a line whose end has not been read yet.  A refill moves that
 * partial line to the front and reads behind it, so each input byte is
 * copied at most twice (kernel -> buf, and the rare partial-line move).
 *
 * Detection: the vmlab binary format by its magic; text formats by parsing
 * the first lines (up to DETECT_LINES that hold a reference or fail, within
 * the first buffer) with every detectable format's probe.  A format qualifies when it parses at least one reference and no
 * more lines fail than parse (so a trace with a typo early on is still
 * recognised, and the typo reported with its line); the best fraction of
 * good lines wins, a tie is ambiguous and an error that names the
 * candidates, as is an input nothing fits.
 */
#include "trace/trace_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/vec.h"
#include "vmlab/check.h"

#define DETECT_LINES 256
#define BIN_SLACK 32 /* binary decoders need this many bytes ahead, or eof */

static const trace_fmt_t *const fmts[] = {
    &trace_fmt_osc, &trace_fmt_rw, &trace_fmt_ls, &trace_fmt_lackey,
    &trace_fmt_din, &trace_fmt_pages, &trace_fmt_vmlab,
};
#define NFMTS (sizeof fmts / sizeof fmts[0])

/* 0..15 for hex digits, 255 for everything else. */
const uint8_t trace_hexval[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 255, 255, 255, 255, 255,
    255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

int trace_format_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "auto") == 0)
        return TRACE_AUTO;
    for (size_t i = 0; i < NFMTS; i++)
        if (strcmp(name, fmts[i]->name) == 0)
            return (int)fmts[i]->id;
    return -1;
}

static const trace_fmt_t *fmt_of(trace_format_t f)
{
    for (size_t i = 0; i < NFMTS; i++)
        if (fmts[i]->id == f)
            return fmts[i];
    return NULL;
}

const char *trace_format_name(trace_format_t f)
{
    if (f == TRACE_AUTO)
        return "auto";
    const trace_fmt_t *F = fmt_of(f);
    return F ? F->name : NULL;
}

const char *trace_format_names(void)
{
    /* Built once from fmts[], so a new format is named everywhere by its
     * table line; the first call happens before any thread starts (option
     * parsing), and the result is the same on every call. */
    static char names[128];
    if (!names[0]) {
        size_t n = 0;
        for (size_t i = 0; i < NFMTS; i++) {
            int w = snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", fmts[i]->name);
            VL_ASSERT(w > 0 && (size_t)w < sizeof names - n);
            n += (size_t)w;
        }
    }
    return names;
}

/* The line at p as printable text for a message (at most 48 bytes). */
static void line_excerpt(const char *p, char *out, size_t cap)
{
    size_t i = 0;
    while (*p != '\n' && *p != '\r' && i + 4 < cap && i < 48) {
        unsigned char c = (unsigned char)*p++;
        out[i++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (*p != '\n' && *p != '\r' && i + 4 < cap) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

int trace_bad(trace_t *t, uint64_t line, const char *p, const char *why)
{
    if (t->o.skip_bad) {
        t->bad++;
        return 0;
    }
    char ex[64];
    line_excerpt(p, ex, sizeof ex);
    t->err = diag_set(&t->diag, t->s.name, (unsigned long)line, EINVAL,
                      "%s in '%s' (expected %s%s)", why, ex, t->fmt->expect,
                      t->o.multi_pid ? ", after a decimal pid column" : "");
    return 1;
}

int trace_fail(trace_t *t, uint64_t line, int err, const char *fmt, ...)
{
    char msg[sizeof t->diag.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->err = diag_set(&t->diag, t->s.name, (unsigned long)line, err, "%s", msg);
    return 1;
}

/* The reader's invariants (aborts when one is broken; VL_DEBUG_CHECK runs it
 * after every fill and read in debug builds):
 *   pos <= lim <= end <= TRACE_BUF_CAP + 1 (the +1: a final '\n' of our own)
 *   text: lim == 0 or buf[lim - 1] == '\n' (whole lines only), and once the
 *         input is exhausted lim == end; binary: lim == end
 *   pend_at <= npend <= 2;  bad lines only with skip_bad. */
static void trace_check(const trace_t *t)
{
    VL_ASSERT(t->pos <= t->lim && t->lim <= t->end && t->end <= TRACE_BUF_CAP + 1);
    if (t->fmt && !t->fmt->binary) {
        VL_ASSERT(t->lim == 0 || t->buf[t->lim - 1] == '\n');
        VL_ASSERT(!t->eof || t->err || t->lim == t->end);
    }
    if (t->fmt && t->fmt->binary)
        VL_ASSERT(t->lim == t->end);
    VL_ASSERT(t->pend_at <= t->npend && t->npend <= 2);
    VL_ASSERT(t->bad == 0 || t->o.skip_bad);
}

/* Read more input behind the unconsumed bytes until the buffer is full or
 * the stream ends; then lim marks the last complete line (text).  0 or a
 * negative errno (t->err, t->diag set). */
static int fill(trace_t *t)
{
    if (t->pos > 0) {
        t->off += t->pos;
        memmove(t->buf, t->buf + t->pos, t->end - t->pos);
        t->end -= t->pos;
        t->lim -= t->pos;
        t->pos = 0;
    }
    while (!t->eof && t->end < TRACE_BUF_CAP) {
        ssize_t r = tstream_read(&t->s, t->buf + t->end, TRACE_BUF_CAP - t->end, &t->diag);
        if (r < 0)
            return t->err = (int)r;
        if (r == 0)
            t->eof = 1;
        t->end += (size_t)r;
    }
    if (t->fmt && t->fmt->binary) {
        t->lim = t->end;
        return 0;
    }
    const char *nl = t->end > t->lim ? memrchr(t->buf + t->lim, '\n', t->end - t->lim) : NULL;
    if (nl)
        t->lim = (size_t)(nl - t->buf) + 1;
    if (t->eof && t->lim < t->end) {
        t->buf[t->end++] = '\n'; /* the last line has no newline: give it one */
        t->lim = t->end;
        t->added_nl = 1;
    }
    if (t->fmt && t->lim == t->pos && t->end == TRACE_BUF_CAP)
        return trace_fail(t, t->line + 1, EINVAL,
                          "line longer than %u bytes (expected one reference a line)",
                          TRACE_BUF_CAP), t->err;
    return 0;
}

static const char vmlab_magic[8] = {(char)0x89, 'V', 'M', 'L', 'T', 'R', '\r', '\n'};

static int is_vmlab(const trace_t *t)
{
    return t->end >= sizeof vmlab_magic && memcmp(t->buf, vmlab_magic, sizeof vmlab_magic) == 0;
}

/* A fresh, zeroed state block for format F in t->fst (F's state_size): 0 or
 * -ENOMEM.  Called before each probe in detection (lackey's banner pid) and
 * once the format is chosen.  No state exists yet that needs fmt->destroy:
 * formats allocate only while reading. */
static int fresh_state(trace_t *t, const trace_fmt_t *F)
{
    free(t->fst);
    t->fst = calloc(1, F->state_size ? F->state_size : 1);
    return t->fst ? 0 : -ENOMEM;
}

static int detect(trace_t *t, diag_t *d)
{
    if (is_vmlab(t)) {
        t->fmt = &trace_fmt_vmlab;
        return 0;
    }
    const trace_fmt_t *best = NULL, *tie = NULL;
    double best_score = 0;
    for (size_t i = 0; i < NFMTS; i++) {
        const trace_fmt_t *F = fmts[i];
        if (!F->detectable || F->binary)
            continue;
        t->fmt = F;
        if (fresh_state(t, F))
            return diag_set(d, t->s.name, 0, ENOMEM, "out of memory");
        unsigned rec = 0, bad = 0, n = 0;
        /* Only lines that decide count: valgrind -v can print hundreds of
         * banner lines before lackey's first record. */
        for (const char *p = t->buf, *lim = t->buf + t->lim; p < lim && n < DETECT_LINES;
             p = tr_next_line(p)) {
            int k = F->probe(t, p);
            rec += k > 0;
            bad += k < 0;
            n += k != 0;
        }
        if (rec == 0 || bad > rec)
            continue;
        double score = (double)rec / (rec + bad);
        if (!best || score > best_score) {
            best = F;
            best_score = score;
            tie = NULL;
        } else if (score == best_score) {
            tie = F;
        }
    }
    t->fmt = NULL;
    char ex[64];
    line_excerpt(t->buf, ex, sizeof ex);
    if (!best && t->end == 0)
        return diag_set(d, t->s.name, 0, EINVAL,
                        "empty trace: no line to tell its format from (expected one of %s; "
                        "give -F FORMAT)", trace_format_names());
    if (!best)
        return diag_set(d, t->s.name, 0, EINVAL,
                        "cannot tell the trace format from its first lines ('%s'; expected "
                        "one of %s; give -F FORMAT, -F pages for page numbers%s%s%s)",
                        ex, trace_format_names(), t->o.pid_opt ? ", " : "",
                        t->o.pid_opt ? t->o.pid_opt : "",
                        t->o.pid_opt ? " if lines start with a pid" : "");
    if (tie)
        return diag_set(d, t->s.name, 0, EINVAL,
                        "the trace could be %s or %s ('%s'; expected one unambiguous format; "
                        "give -F FORMAT)", best->name, tie->name, ex);
    t->fmt = best;
    return 0;
}

static int open_common(trace_t *t, const trace_opts_t *opts, diag_t *d)
{
    trace_opts_t def = {0};
    t->o = opts ? *opts : def;
    if (t->o.page_bits == 0)
        t->o.page_bits = 12;
    if (t->o.page_bits > 63)
        return diag_set(d, t->s.name, 0, EINVAL, "page bits %u out of range (expected 1..63)",
                        t->o.page_bits);
    t->buf = calloc(1, TRACE_BUF_CAP + TRACE_BUF_SLACK); /* tr_hex may load past the data */
    if (!t->buf)
        return diag_set(d, t->s.name, 0, ENOMEM, "out of memory");
    if (t->o.format != TRACE_AUTO) {
        t->fmt = fmt_of(t->o.format);
        if (!t->fmt)
            return diag_set(d, t->s.name, 0, EINVAL, "unknown trace format %d (expected one of %s)",
                            (int)t->o.format, trace_format_names());
    }
    const trace_fmt_t *want = t->fmt;
    t->fmt = NULL; /* the first fill finds lines whatever the format */
    if (fill(t) < 0) {
        if (d)
            *d = t->diag;
        return t->err;
    }
    if (!want) {
        int rc = detect(t, d);
        if (rc < 0)
            return rc;
    } else {
        t->fmt = want;
        if (is_vmlab(t) && !want->binary)
            return diag_set(d, t->s.name, 0, EINVAL,
                            "this is a vmlab binary trace (expected %s text; drop -F or give "
                            "-F vmlab)", want->name);
    }
    t->o.format = t->fmt->id;
    if (fresh_state(t, t->fmt))
        return diag_set(d, t->s.name, 0, ENOMEM, "out of memory");
    if (t->fmt->binary && t->added_nl) {
        t->end--; /* the first fill took it for text */
        t->added_nl = 0;
    }
    if (t->fmt->binary)
        t->lim = t->end;
    VL_DEBUG_CHECK(trace_check(t));
    if (!t->fmt->binary && t->lim == t->pos && t->end == TRACE_BUF_CAP) {
        trace_fail(t, 1, EINVAL, "line longer than %u bytes (expected one reference a line)",
                   TRACE_BUF_CAP);
        if (d)
            *d = t->diag;
        return t->err;
    }
    if (t->fmt->binary) {
        if (t->fmt->start && t->fmt->start(t) != 0) {
            if (d)
                *d = t->diag;
            return t->err;
        }
    }
    return 0;
}

int trace_open(trace_t **out, const char *path, const trace_opts_t *opts, diag_t *d)
{
    *out = NULL;
    trace_t *t = calloc(1, sizeof *t);
    if (!t)
        return diag_set(d, path, 0, ENOMEM, "out of memory");
    int rc = tstream_open(&t->s, path, d);
    if (rc == 0)
        rc = open_common(t, opts, d);
    if (rc < 0) {
        trace_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

int trace_open_mem(trace_t **out, const void *data, size_t len, const char *name,
                   const trace_opts_t *opts, diag_t *d)
{
    *out = NULL;
    trace_t *t = calloc(1, sizeof *t);
    if (!t)
        return diag_set(d, name, 0, ENOMEM, "out of memory");
    int rc = tstream_open_mem(&t->s, data, len, name, d);
    if (rc == 0)
        rc = open_common(t, opts, d);
    if (rc < 0) {
        trace_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Whether the parser needs more input before it can go on. */
static int need_input(const trace_t *t)
{
    if (t->fmt->binary)
        return !t->eof && t->end - t->pos < BIN_SLACK;
    return t->pos == t->lim;
}

/* Whether every reference has been handed out. */
static int at_end(const trace_t *t)
{
    return t->eof && t->pos == t->end;
}

/* The batch loop of trace_read (key == NULL: references into buf) and of
 * trace_read_keys (keys and ops into key[] and op[]): refill, parse, and
 * hand a pending error out only once no reference is left before it. */
static ssize_t read_batch(trace_t *t, trace_ref_t *buf, uint32_t *key, uint8_t *op, size_t max,
                          diag_t *d)
{
    size_t n = 0;
    while (n < max && !t->err) {
        if (at_end(t)) {
            if (t->fmt->finish)
                t->fmt->finish(t);
            break;
        }
        if (need_input(t)) {
            fill(t);
            VL_DEBUG_CHECK(trace_check(t));
            continue;
        }
        if (key) { /* a keyed record is one reference: no pending ones */
            n += t->fmt->parse_keys(t, key + n, op + n, max - n);
        } else if (max - n >= 2) {
            n += t->fmt->parse(t, buf + n, max - n);
        } else if (n > 0) {
            break;
        } else { /* room for 1, and a line may make 2 (lackey's M) */
            size_t k = t->fmt->parse(t, t->pend, 2);
            if (k > 0) {
                buf[n++] = t->pend[0];
                t->npend = (unsigned)k;
                t->pend_at = 1;
            }
        }
    }
    VL_DEBUG_CHECK(trace_check(t));
    if (n > 0)
        return (ssize_t)n;
    if (t->err) {
        if (d)
            *d = t->diag;
        return t->err;
    }
    return 0;
}

ssize_t trace_read(trace_t *t, trace_ref_t *buf, size_t max, diag_t *d)
{
    if (max == 0)
        return 0;
    if (t->pend_at < t->npend) {
        buf[0] = t->pend[t->pend_at++];
        return 1;
    }
    return read_batch(t, buf, NULL, NULL, max, d);
}

int trace_has_keys(const trace_t *t)
{
    return t->fmt->parse_keys && t->fmt->has_keys && t->fmt->has_keys(t);
}

ssize_t trace_read_keys(trace_t *t, uint32_t *key, uint8_t *op, size_t max, diag_t *d)
{
    if (!trace_has_keys(t))
        return diag_set(d, t->s.name, 0, ENOTSUP,
                        "a %s trace has no keys (expected a vmlab binary trace, version 2)",
                        t->fmt->name);
    return read_batch(t, NULL, key, op, max, d);
}

uint32_t trace_nkeys(const trace_t *t)
{
    return t->fmt->nkeys ? t->fmt->nkeys(t) : 0;
}

void trace_key(const trace_t *t, uint32_t k, uint64_t *addr, uint32_t *pid)
{
    VL_ASSERT(t->fmt->key != NULL);
    t->fmt->key(t, k, addr, pid);
}

unsigned trace_key_shift(const trace_t *t)
{
    return t->fmt->key_shift ? t->fmt->key_shift(t) : 0;
}

int trace_check_page_bits(const trace_t *t, unsigned page_bits, diag_t *d)
{
    unsigned shift = trace_key_shift(t);
    if (page_bits >= shift)
        return 0;
    return diag_set(d, t->s.name, 0, EINVAL,
                    "the trace keeps only page numbers of %ju-byte pages (converted with "
                    "--page-size %ju), so %ju-byte pages cannot be told apart (expected a page "
                    "size of %ju or more, or the trace it was converted from)",
                    (uintmax_t)1 << shift, (uintmax_t)1 << shift,
                    (uintmax_t)1 << page_bits, (uintmax_t)1 << shift);
}

trace_format_t trace_format(const trace_t *t)
{
    return t->fmt->id;
}

uint64_t trace_bad_lines(const trace_t *t)
{
    return t->bad;
}

uint64_t trace_lines(const trace_t *t)
{
    return t->line;
}

uint64_t trace_skipped_lines(const trace_t *t)
{
    return t->skipped;
}

void trace_progress(const trace_t *t, uint64_t *done, uint64_t *total)
{
    *done = t->s.raw_bytes;
    *total = t->s.size;
}

const char *trace_compression(const trace_t *t)
{
    return tstream_kind_name(&t->s);
}

void trace_close(trace_t *t)
{
    if (!t)
        return;
    tstream_close(&t->s);
    if (t->fst && t->fmt && t->fmt->destroy)
        t->fmt->destroy(t);
    free(t->fst);
    free(t->buf);
    free(t);
}

/* ---- trace_load_pages ---- */

/* Distinct pids seen go into a vl_map_t (base/hashmap.h), keyed by pid, behind
 * a direct-mapped cache of pids already in it (slot pid % 64; 0 is empty, so
 * pid + 1 is stored): interleaved processes hit the cache, and the map is
 * touched once per pid and cache conflict. */
typedef struct pid_set {
    vl_map_t map;         /* every pid seen */
    uint64_t recent[64];  /* pid + 1 of a pid in map, 0 empty */
} pid_set_t;

static int pid_seen(pid_set_t *s, uint32_t pid)
{
    uint64_t *c = &s->recent[pid & 63];
    if (*c == (uint64_t)pid + 1)
        return 0;
    *c = (uint64_t)pid + 1;
    return vl_map_slot(&s->map, pid, 0, NULL) ? 0 : -ENOMEM;
}

int trace_load_pages(const char *path, const trace_opts_t *opts, unsigned page_bits,
                     trace_pages_t *out, diag_t *d)
{
    memset(out, 0, sizeof *out);
    if (page_bits > 63)
        return diag_set(d, path, 0, EINVAL, "page bits %u out of range (expected 0..63)",
                        page_bits);
    trace_t *t;
    int rc = trace_open(&t, path, opts, d);
    if (rc < 0)
        return rc;
    if ((rc = trace_check_page_bits(t, page_bits, d)) < 0) {
        trace_close(t);
        return rc;
    }
    enum { BATCH = 4096 };
    trace_ref_t *rb = malloc(BATCH * sizeof *rb);
    size_t cap_p = 0, cap_w = 0, cap_pid = 0, n = 0;
    uint64_t *page = NULL;
    uint8_t *write = NULL;
    uint32_t *pid = NULL, first_pid = 0;
    pid_set_t ps = {0};
    ssize_t r = 0;
    if (!rb) {
        rc = diag_set(d, path, 0, ENOMEM, "out of memory");
        goto fail;
    }
    while ((r = trace_read(t, rb, BATCH, d)) > 0) {
        size_t k = (size_t)r;
        if (vl_grow((void **)&page, &cap_p, n + k, sizeof *page) ||
            vl_grow((void **)&write, &cap_w, n + k, sizeof *write) ||
            (pid && vl_grow((void **)&pid, &cap_pid, n + k, sizeof *pid))) {
            rc = diag_set(d, path, 0, ENOMEM, "out of memory for %zu references", n + k);
            goto fail;
        }
        if (n == 0)
            first_pid = rb[0].pid;
        for (size_t i = 0; i < k; i++) {
            page[n + i] = rb[i].addr >> page_bits;
            write[n + i] = rb[i].op == TRACE_WRITE;
            if (__builtin_expect(rb[i].pid != first_pid, 0) && !pid) {
                /* A second process: from now on keep a pid per reference. */
                if (vl_grow((void **)&pid, &cap_pid, n + k, sizeof *pid)) {
                    rc = diag_set(d, path, 0, ENOMEM, "out of memory for %zu references", n + k);
                    goto fail;
                }
                for (size_t j = 0; j < n + i; j++)
                    pid[j] = first_pid;
                if (pid_seen(&ps, first_pid)) {
                    rc = diag_set(d, path, 0, ENOMEM, "out of memory");
                    goto fail;
                }
            }
            if (pid) {
                pid[n + i] = rb[i].pid;
                if (pid_seen(&ps, rb[i].pid)) {
                    rc = diag_set(d, path, 0, ENOMEM, "out of memory");
                    goto fail;
                }
            }
        }
        n += k;
        if (opts && opts->progress) {
            uint64_t done, total;
            trace_progress(t, &done, &total);
            opts->progress(opts->progress_ctx, done, total, n);
        }
    }
    if (r < 0) {
        rc = (int)r;
        goto fail;
    }
    out->page = page;
    out->write = write;
    out->pid = pid;
    out->n = n;
    out->npids = pid ? (uint32_t)vl_map_count(&ps.map) : 1;
    vl_map_free(&ps.map);
    free(rb);
    trace_close(t);
    return 0;
fail:
    free(page);
    free(write);
    free(pid);
    vl_map_free(&ps.map);
    free(rb);
    trace_close(t);
    memset(out, 0, sizeof *out);
    return rc < 0 ? rc : -EIO;
}

void trace_pages_free(trace_pages_t *tp)
{
    if (!tp)
        return;
    free(tp->page);
    free(tp->write);
    free(tp->pid);
    memset(tp, 0, sizeof *tp);
}
