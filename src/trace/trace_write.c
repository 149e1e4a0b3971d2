/* SPDX-License-Identifier: MIT */
/*
 * trace_write.c - writing traces: vmlab's binary format (layout in
 * trace_vmlab.c and docs/trace-format.md) and the rw, pages and osc text
 * formats, for `vmlab convert` and for tests and generators.
 *
 * Output is formatted by hand into a 256 KiB buffer and handed to fwrite()
 * in big pieces; the caller owns the FILE (env_out_open/commit), so an
 * error never leaves a half-written target.
 *
 * The binary writer numbers the distinct (pid, stored address) pairs in
 * order of first appearance (version 2's keys) with an open-addressing map
 * (Knuth TAOCP vol. 3, 6.4, algorithm L; load <= 1/2), so its memory grows
 * with the distinct pairs: 16 bytes each, times two at most.  Its keys are
 * (address, pid) pairs, which base/hashmap.h's u64-keyed vl_map cannot hold
 * without a second level, and it is convert's per-reference loop, where the
 * same insert-or-find through vl_map costs 2.0x (BENCHMARKS.md "## base").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/hash.h"
#include "vmlab/trace.h"

#define WBUF_CAP (256u << 10)
#define WREC_MAX 64 /* bytes one reference can take in any output format */

struct trace_writer {
    FILE *fp;              /* destination, the caller's */
    char name[512];        /* its name for messages */
    trace_format_t format; /* TRACE_VMLAB, _RW, _PAGES or _OSC */
    unsigned shift;        /* binary and pages: addresses are written >> shift */
    int pid_column;        /* text: a leading pid column */
    unsigned char *buf;    /* WBUF_CAP bytes of pending output */
    size_t len;            /* pending bytes in buf */
    uint64_t prev;         /* binary: previous stored address */
    uint32_t pid;          /* binary: the pid the reader currently assumes */
    uint8_t size;          /* binary: the size the reader currently assumes */
    uint64_t n;            /* references written */
    struct wkey {          /* binary: the key map, mask + 1 slots */
        uint64_t addr;     /* stored address */
        uint32_t pid;      /* pid */
        uint32_t key1;     /* key + 1; 0: an empty slot */
    } *slot;
    uint64_t mask;         /* binary: slots - 1 (a power of two minus one) */
    uint32_t nkeys;        /* binary: keys defined: every used slot has key1 <= nkeys */
};


/* Double the key map.  0 or -ENOMEM. */
static int keys_grow(trace_writer_t *w)
{
    uint64_t nmask = w->mask ? w->mask * 2 + 1 : 4095;
    struct wkey *n = calloc(nmask + 1, sizeof *n);
    if (!n)
        return -ENOMEM;
    for (uint64_t j = 0; w->slot && j <= w->mask; j++) {
        if (!w->slot[j].key1)
            continue;
        uint64_t i = vl_hash_pair(w->slot[j].addr, w->slot[j].pid) & nmask;
        while (n[i].key1)
            i = (i + 1) & nmask;
        n[i] = w->slot[j];
    }
    free(w->slot);
    w->slot = n;
    w->mask = nmask;
    return 0;
}

static int wflush(trace_writer_t *w, diag_t *d)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->fp) != w->len)
        return diag_set(d, w->name, 0, errno ? errno : EIO, "cannot write: %s",
                        strerror(errno ? errno : EIO));
    w->len = 0;
    return 0;
}

int trace_writer_open(trace_writer_t **out, FILE *fp, const char *name, trace_format_t format,
                      unsigned addr_shift, int pid_column, diag_t *d)
{
    *out = NULL;
    if (format != TRACE_VMLAB && format != TRACE_RW && format != TRACE_PAGES &&
        format != TRACE_OSC)
        return diag_set(d, name, 0, EINVAL,
                        "cannot write traces in format %s (expected vmlab, rw, pages or osc)",
                        trace_format_name(format) ? trace_format_name(format) : "?");
    if (addr_shift > 63)
        return diag_set(d, name, 0, EINVAL, "address shift %u (expected 0..63)", addr_shift);
    trace_writer_t *w = calloc(1, sizeof *w);
    if (!w || !(w->buf = malloc(WBUF_CAP))) {
        free(w);
        return diag_set(d, name, 0, ENOMEM, "out of memory");
    }
    w->fp = fp;
    snprintf(w->name, sizeof w->name, "%s", name ? name : "output");
    w->format = format;
    w->shift = addr_shift;
    w->pid_column = pid_column;
    if (format == TRACE_VMLAB) {
        static const unsigned char magic[8] = {0x89, 'V', 'M', 'L', 'T', 'R', '\r', '\n'};
        memcpy(w->buf, magic, 8);
        memset(w->buf + 8, 0, 8);
        w->buf[8] = 2;                     /* version */
        w->buf[10] = (unsigned char)addr_shift;
        w->len = 16;
    }
    *out = w;
    return 0;
}

static inline unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static inline char *put_dec(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Hex, at least 8 digits (the width of bzip.trace's addresses). */
static inline char *put_hex(char *p, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    int n = 8;
    while (n < 16 && (v >> (4 * n)))
        n++;
    for (int i = n - 1; i >= 0; i--)
        *p++ = digits[(v >> (4 * i)) & 15];
    return p;
}

int trace_write(trace_writer_t *w, const trace_ref_t *refs, size_t n, diag_t *d)
{
    for (size_t i = 0; i < n; i++) {
        if (w->len + WREC_MAX > WBUF_CAP) {
            int rc = wflush(w, d);
            if (rc < 0)
                return rc;
        }
        const trace_ref_t *r = &refs[i];
        unsigned char *u = w->buf + w->len;
        if (w->format == TRACE_VMLAB) {
            uint64_t v = r->addr >> w->shift;
            if ((w->nkeys + 1ull) * 2 > w->mask + 1 && keys_grow(w) < 0)
                return diag_set(d, w->name, 0, ENOMEM, "out of memory for %u distinct addresses",
                                w->nkeys);
            uint64_t h = vl_hash_pair(v, r->pid) & w->mask;
            while (w->slot[h].key1 && (w->slot[h].addr != v || w->slot[h].pid != r->pid))
                h = (h + 1) & w->mask;
            if (r->size != w->size) {
                u = put_varint(u, 2 << 2 | 3);
                u = put_varint(u, r->size);
                w->size = r->size;
            }
            unsigned op = r->op <= TRACE_IFETCH ? r->op : TRACE_READ;
            if (w->slot[h].key1) { /* a key defined before */
                u = put_varint(u, (uint64_t)w->slot[h].key1 << 2 | op);
            } else { /* define the next key */
                if (w->nkeys == UINT32_MAX - 1)
                    return diag_set(d, w->name, 0, ERANGE,
                                    "more than %u distinct addresses (expected fewer)",
                                    UINT32_MAX - 1);
                if (r->pid != w->pid) {
                    u = put_varint(u, 1 << 2 | 3);
                    u = put_varint(u, r->pid);
                    w->pid = r->pid;
                }
                uint64_t delta = v - w->prev;
                u = put_varint(u, op);
                u = put_varint(u, (delta << 1) ^ (0 - (delta >> 63)));
                w->prev = v;
                w->slot[h] = (struct wkey){.addr = v, .pid = r->pid, .key1 = ++w->nkeys};
            }
        } else {
            char *c = (char *)u;
            if (w->pid_column) {
                c = put_dec(c, r->pid);
                *c++ = ' ';
            }
            if (w->format == TRACE_RW) {
                c = put_hex(c, r->addr);
                *c++ = ' ';
                *c++ = r->op == TRACE_WRITE ? 'W' : 'R';
            } else if (w->format == TRACE_PAGES) {
                c = put_dec(c, r->addr >> w->shift);
            } else {
                c = put_dec(c, r->addr);
            }
            *c++ = '\n';
            u = (unsigned char *)c;
        }
        w->len = (size_t)(u - w->buf);
    }
    w->n += n;
    return 0;
}

int trace_writer_finish(trace_writer_t *w, diag_t *d)
{
    int rc = 0;
    if (w->format == TRACE_VMLAB) {
        if (w->len + WREC_MAX > WBUF_CAP)
            rc = wflush(w, d);
        if (rc == 0) {
            unsigned char *u = w->buf + w->len;
            u = put_varint(u, 0 << 2 | 3);
            u = put_varint(u, w->n);
            w->len = (size_t)(u - w->buf);
        }
    }
    if (rc == 0)
        rc = wflush(w, d);
    trace_writer_abort(w);
    return rc;
}

void trace_writer_abort(trace_writer_t *w)
{
    if (!w)
        return;
    free(w->slot);
    free(w->buf);
    free(w);
}
