/* SPDX-License-Identifier: MIT */
/*
 * flm_script.c - the operation sequences of OSTEP's malloc.py: an explicit
 * list ("-A +10,-0,+20") or random operations from a seed, each reported to
 * a callback the way the homework prints it (include/vmlab/freelist.h).
 *
 * ptr[] indices follow malloc.py: every allocation, failed or not, takes the
 * next index; only successful ones are remembered.  In a list, "-I" is
 * skipped when I is not below the count of successful allocations (malloc.py's
 * test), and a freed index stays remembered, so freeing it again returns -1
 * (or frees whatever was allocated at that address since, as malloc.py does).
 */
#include "vmlab/freelist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/vec.h"
#include "vmlab/parse.h"

typedef struct flm_op {
    int alloc;    /* 1: +size, 0: -index */
    uint64_t arg; /* the size or the index */
} flm_op_t;

int flm_script_run(flm_t *f, const char *list, flm_event_fn fn, void *ctx, diag_t *d)
{
    VL_VEC(flm_op_t) ops = {0};
    VL_VEC(int64_t) ptr = {0}; /* index -> address, -1 for a failed allocation */
    uint64_t ok = 0;
    const char *s = list;
    unsigned long k = 0;
    int rc = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        flm_op_t op;
        k++;
        if (n < 2 || (s[0] != '+' && s[0] != '-') || parse_u64_dec(s + 1, n - 1, &op.arg) ||
            (s[0] == '+' && op.arg == 0)) {
            rc = diag_set(d, "-A", 0, EINVAL, "operation %lu '%.*s' (expected +SIZE with SIZE "
                          ">= 1 or -INDEX, comma-separated)", k, (int)(n > 40 ? 40 : n), s);
            goto out;
        }
        op.alloc = s[0] == '+';
        if (vl_vec_push(&ops, op)) {
            rc = diag_set(d, "-A", 0, ENOMEM, "out of memory");
            goto out;
        }
        s += n + (e != NULL);
    }
    for (size_t i = 0; i < ops.n; i++) {
        flm_event_t ev = {0};
        if (ops.v[i].alloc) {
            ev.kind = FLM_EV_ALLOC;
            ev.index = ptr.n;
            ev.size = ops.v[i].arg;
            ev.ptr = flm_alloc(f, ev.size, &ev.searched);
            if (vl_vec_push(&ptr, ev.ptr)) {
                rc = diag_set(d, "-A", 0, ENOMEM, "out of memory");
                goto out;
            }
            ok += ev.ptr != -1;
        } else {
            ev.index = ops.v[i].arg;
            if (ev.index >= ok || ev.index >= ptr.n || ptr.v[ev.index] == -1) {
                ev.kind = FLM_EV_SKIP;
            } else {
                ev.kind = FLM_EV_FREE;
                ev.ptr = flm_release(f, (uint64_t)ptr.v[ev.index]);
            }
        }
        fn(ctx, f, &ev);
    }
out:
    vl_vec_free(&ops);
    vl_vec_free(&ptr);
    return rc;
}

int flm_random_run(flm_t *f, uint64_t seed, uint64_t nops, uint64_t range, unsigned pct,
                  flm_event_fn fn, void *ctx, diag_t *d)
{
    VL_VEC(uint64_t) live_idx = {0};  /* malloc.py's L: indices of live allocations */
    VL_VEC(uint64_t) live_addr = {0}; /* their addresses, same order */
    vl_rng_t r;
    uint64_t c = 0;
    int rc = 0;
    if (pct == 0 || pct > 100 || range == 0)
        return diag_set(d, "", 0, EINVAL, "percent of allocations must be 1..100 and the "
                        "range >= 1");
    vl_rng_seed(&r, seed);
    for (uint64_t j = 0; j < nops;) {
        flm_event_t ev = {0};
        if (vl_rng_double(&r) < pct / 100.0) {
            ev.kind = FLM_EV_ALLOC;
            ev.size = vl_rng_below(&r, range) + 1;
            ev.index = c++;
            ev.ptr = flm_alloc(f, ev.size, &ev.searched);
            if (ev.ptr != -1 && (vl_vec_push(&live_idx, ev.index) ||
                                 vl_vec_push(&live_addr, (uint64_t)ev.ptr))) {
                rc = diag_set(d, "", 0, ENOMEM, "out of memory");
                break;
            }
        } else if (live_idx.n > 0) {
            size_t k = (size_t)vl_rng_below(&r, live_idx.n);
            ev.kind = FLM_EV_FREE;
            ev.index = live_idx.v[k];
            ev.ptr = flm_release(f, live_addr.v[k]);
            memmove(live_idx.v + k, live_idx.v + k + 1, (live_idx.n - k - 1) * sizeof(uint64_t));
            memmove(live_addr.v + k, live_addr.v + k + 1,
                    (live_addr.n - k - 1) * sizeof(uint64_t));
            live_idx.n--;
            live_addr.n--;
        } else {
            continue; /* nothing to free: draw again, as malloc.py does */
        }
        fn(ctx, f, &ev);
        j++;
    }
    vl_vec_free(&live_idx);
    vl_vec_free(&live_addr);
    return rc;
}
