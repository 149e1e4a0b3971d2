/* SPDX-License-Identifier: MIT */
/*
 * mrec.c - reading the recording shim's event files and writing them as a
 * malloc-lab .rep trace (see mrec.h for the format and its ordering rule).
 *
 * Conversion is one pass over the events with a map from live address to
 * trace id (base/hashmap.h's vl_map_t: open addressing with backward-shift
 * deletion, so a long run of malloc/free churn leaves no tombstones).  A second
 * small map holds the ids of reallocs in flight, keyed by their MREC_RREL
 * sequence number.  The ops are kept in memory and written after, because the
 * trace's header counts them.
 */
#include "base/hashmap.h"
#include "base/vec.h"
#include "malloc/mrec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/env.h"

int mrec_parse(const void *buf, size_t len, const char *path, mrec_file_t *f, diag_t *d)
{
    const unsigned char *data = buf;
    size_t n, i;

    memset(f, 0, sizeof *f);
    if (len < sizeof f->hdr || memcmp(data, MREC_MAGIC, sizeof MREC_MAGIC) != 0)
        return diag_set(d, path, 0, EINVAL,
                        "not a vmlab event file (expected the magic '" MREC_MAGIC "')");
    memcpy(&f->hdr, data, sizeof f->hdr);
    f->hdr.cmd[sizeof f->hdr.cmd - 1] = '\0';
    if (f->hdr.version != 1)
        return diag_set(d, path, 0, EINVAL, "event file version %" PRIu32 " (expected 1)",
                        f->hdr.version);
    n = (len - sizeof f->hdr) / sizeof(mrec_event_t);
    if (n > UINT32_MAX)
        return diag_set(d, path, 0, EFBIG, "more than 2^32 events (expected fewer)");
    f->ev = malloc((n ? n : 1) * sizeof *f->ev);
    if (!f->ev)
        return diag_set(d, path, 0, ENOMEM, "out of memory reading %zu events", n);
    for (i = 0; i < n; i++) {
        mrec_event_t *e = &f->ev[i];
        memcpy(e, data + sizeof f->hdr + i * sizeof *e, sizeof *e);
        if (e->type == MREC_END)
            break;
        if (e->type > MREC_RACQ || e->seq != i + 1) {
            uint32_t type = e->type;
            uint64_t seq = e->seq;
            mrec_file_free(f);
            return diag_set(d, path, 0, EINVAL,
                            "event %zu is corrupt (type %" PRIu32 ", seq %" PRIu64
                            "; expected type 1..4 and seq %zu)",
                            i + 1, type, seq, i + 1);
        }
    }
    f->nev = i;
    return 0;
}

int mrec_file_read(const char *path, mrec_file_t *f, diag_t *d)
{
    char *data;
    size_t len;
    int rc;

    memset(f, 0, sizeof *f);
    rc = env_read_file(path, &data, &len, d);
    if (rc)
        return rc;
    rc = mrec_parse(data, len, path, f, d);
    free(data);
    return rc;
}

void mrec_file_free(mrec_file_t *f)
{
    free(f->ev);
    f->ev = NULL;
    f->nev = 0;
}

/* Address -> value maps are base/hashmap.h's vl_map_t (this file had its
 * own, keyed by nonzero addresses; vl_map takes any 64-bit key). */

/* ---- conversion ----------------------------------------------------------- */

typedef struct rep_op {
    uint64_t size; /* bytes for 'a' and 'r' */
    uint32_t id;   /* trace id */
    char type;     /* 'a', 'r' or 'f' */
} rep_op_t;

typedef struct conv {
    vl_map_t live;  /* address -> id of every live block */
    vl_map_t flight; /* RREL seq (low 32 bits) + 1 -> see MREC_RREL in conv_event */
    uint64_t *size; /* current requested size of each id (for peak bytes) */
    size_t size_cap;
    rep_op_t *op;   /* the trace so far */
    size_t nop, op_cap;
    uint64_t live_bytes;
    mrec_stats_t st;
} conv_t;

static int conv_op(conv_t *c, char type, uint64_t id, uint64_t size)
{
    if (c->nop == c->op_cap && vl_grow((void **)&c->op, &c->op_cap, c->nop + 1, sizeof *c->op))
        return -ENOMEM;
    c->op[c->nop++] = (rep_op_t){.size = size, .id = (uint32_t)id, .type = type};
    /* Live bytes move only with trace ops, so the peak is the trace's own. */
    if (type == 'f') {
        c->live_bytes -= c->size[id];
    } else {
        if (type == 'r')
            c->live_bytes -= c->size[id];
        c->live_bytes += size;
        c->size[id] = size;
        if (c->live_bytes > c->st.peak_bytes)
            c->st.peak_bytes = c->live_bytes;
    }
    return 0;
}

static int conv_new_id(conv_t *c, uint64_t *id)
{
    if (c->st.ids == c->size_cap &&
        vl_grow((void **)&c->size, &c->size_cap, c->st.ids + 1, sizeof *c->size))
        return -ENOMEM;
    if (c->st.ids >= UINT32_MAX)
        return -EOVERFLOW;
    *id = c->st.ids++;
    c->size[*id] = 0;
    return 0;
}

/* A block at ptr of size bytes was handed out under a fresh id ('a') or
 * under an existing one ('r'). */
static int conv_acquire(conv_t *c, char type, uint64_t ptr, uint64_t id, uint64_t size)
{
    uint64_t old;
    int rc;
    if (vl_map_del(&c->live, ptr, &old)) {
        c->st.lost_frees++;
        if ((rc = conv_op(c, 'f', old, 0)))
            return rc;
    }
    if ((rc = vl_map_put(&c->live, ptr, id)))
        return rc;
    return conv_op(c, type, id, size);
}

/* Convert event number i of f. */
static int conv_event(conv_t *c, const mrec_file_t *f, size_t i)
{
    const mrec_event_t *e = &f->ev[i];
    uint64_t id, v;
    int rc;
    switch (e->type) {
    case MREC_ALLOC:
        if ((rc = conv_new_id(c, &id)))
            return rc;
        return conv_acquire(c, 'a', e->ptr, id, e->size);
    case MREC_FREE:
        if (!vl_map_del(&c->live, e->ptr, &id)) {
            c->st.unknown_frees++;
            return 0;
        }
        return conv_op(c, 'f', id, 0);
    case MREC_RREL:
        /* The old block leaves the live map now and its id waits in flight:
         * value (id + 1) << 32 | event index, id + 1 == 0 for a pointer never
         * seen allocated. */
        v = vl_map_del(&c->live, e->ptr, &id) ? id + 1 : 0;
        if (!v)
            c->st.unknown_frees++;
        return vl_map_put(&c->flight, (e->seq & 0xffffffffu) + 1, v << 32 | i);
    case MREC_RACQ:
        if (!vl_map_del(&c->flight, (uint64_t)e->link + 1, &v))
            v = 0; /* its release is missing: as a realloc of an unknown block */
        if (v >> 32 == 0) {
            /* realloc of a pointer never seen: the new block is a new id */
            if (!e->ptr)
                return 0;
            if ((rc = conv_new_id(c, &id)))
                return rc;
            return conv_acquire(c, 'a', e->ptr, id, e->size);
        }
        id = (v >> 32) - 1;
        if (e->ptr)
            return conv_acquire(c, 'r', e->ptr, id, e->size);
        if (e->size == 0)
            return conv_op(c, 'f', id, 0); /* glibc's realloc(p, 0) frees p */
        /* A failed realloc leaves the old block live at its old address. */
        return vl_map_put(&c->live, f->ev[(uint32_t)v].ptr, id);
    }
    return 0;
}

int mrec_write_rep(const mrec_file_t *f, FILE *out, mrec_stats_t *st, diag_t *d)
{
    conv_t c;
    int rc = 0;
    size_t i;

    memset(&c, 0, sizeof c);
    if (vl_map_reserve(&c.live, 1 << 12) || vl_map_reserve(&c.flight, 1 << 6)) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 0; i < f->nev && rc == 0; i++)
        rc = conv_event(&c, f, i);
    if (rc)
        goto out;
    c.st.events = f->nev;
    c.st.ops = c.nop;
    c.st.live_at_end = vl_map_count(&c.live);

    fprintf(out, "%" PRIu64 "\n%" PRIu64 "\n%zu\n1\n", c.st.peak_bytes, c.st.ids, c.nop);
    for (i = 0; i < c.nop; i++) {
        const rep_op_t *o = &c.op[i];
        if (o->type == 'f')
            fprintf(out, "f %" PRIu32 "\n", o->id);
        else
            fprintf(out, "%c %" PRIu32 " %" PRIu64 "\n", o->type, o->id, o->size);
    }
    if (ferror(out))
        rc = -EIO;
out:
    if (rc == 0)
        *st = c.st;
    else if (rc == -EIO)
        diag_set(d, NULL, 0, EIO, "cannot write the trace");
    else
        diag_set(d, NULL, 0, -rc, "out of memory converting %zu events", f->nev);
    vl_map_free(&c.live);
    vl_map_free(&c.flight);
    free(c.size);
    free(c.op);
    return rc;
}
