/* SPDX-License-Identifier: MIT */
/*
 * sim_steps.c - the per-reference replacement log (include/vmlab/sim_steps.h).
 *
 * Pages get dense ids in order of first use (a hash map, base/hashmap.h);
 * for policies that read the future (OPT, UNOPT) every reference's next use
 * is computed in one backward pass.  Each reference is fed to the core as a
 * batch of one; comparing memory 0's frame table before and after tells hit,
 * free-frame load or the victim (the page that was in the frame the new page
 * now holds).  The homework's order is kept beside it in an array: append on
 * a load, remove the victim, and for LRU/MRU move a hit page to the end.
 * O(frames) a reference: a log for homework-sized runs, not for big traces.
 */
#include "vmlab/sim_steps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"
#include "sim/policy.h"
#include "sim/sim_core.h"
#include "vmlab/sim.h"

static void order_remove(uint64_t *ord, size_t *n, uint64_t page)
{
    for (size_t i = 0; i < *n; i++)
        if (ord[i] == page) {
            memmove(ord + i, ord + i + 1, (*n - i - 1) * sizeof *ord);
            --*n;
            return;
        }
}

int sim_steps_run(const char *spec, uint64_t frames, const uint64_t *pages, size_t n,
                  sim_step_fn fn, void *ctx, diag_t *d)
{
    sim_config_t cfg = sim_config_default();
    sim_job_t job = {.policy = spec, .frames = frames};
    sim_core_t *core = NULL;
    vl_map_t ids;
    uint32_t *id = NULL, *next = NULL, *old = NULL, ndist = 0;
    uint64_t *id_page = NULL, *ord = NULL, hits = 0, misses = 0;
    size_t nord = 0;
    int rc, recency;
    sim_params_t ps;
    const sim_policy_ops_t *ops;

    vl_map_init(&ids);
    if ((rc = sim_params_parse(spec, &ps, &ops, d)))
        return rc;
    recency = strcmp(ops->name, "lru") == 0 || strcmp(ops->name, "mru") == 0;
    if (n >= UINT32_MAX - 1 || frames == 0 || frames >= UINT32_MAX)
        return diag_set(d, "", 0, EINVAL, "%zu references on %llu frames (expected fewer than "
                        "2^32 - 1 references and 1..2^32 - 2 frames)", n,
                        (unsigned long long)frames);
    id = malloc((n ? n : 1) * sizeof *id);
    next = malloc((n ? n : 1) * sizeof *next);
    id_page = malloc((n ? n : 1) * sizeof *id_page);
    ord = malloc((size_t)(frames < n + 1 ? frames : n + 1) * sizeof *ord);
    old = malloc((size_t)(frames < n + 1 ? frames : n + 1) * sizeof *old);
    if (!id || !next || !id_page || !ord || !old) {
        rc = diag_set(d, "", 0, ENOMEM, "out of memory for %zu references", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int ins;
        uint64_t *slot = vl_map_slot(&ids, pages[i], ndist, &ins);
        if (!slot) {
            rc = diag_set(d, "", 0, ENOMEM, "out of memory");
            goto out;
        }
        if (ins)
            id_page[ndist++] = pages[i];
        id[i] = (uint32_t)*slot;
    }
    if (ops->flags & SIM_POL_FUTURE) { /* next use, backward: last[] reuses id_page's size */
        uint32_t *last = malloc((ndist ? ndist : 1) * sizeof *last);
        if (!last) {
            rc = diag_set(d, "", 0, ENOMEM, "out of memory");
            goto out;
        }
        for (uint32_t k = 0; k < ndist; k++)
            last[k] = SIM_NEVER;
        for (size_t i = n; i-- > 0;) {
            next[i] = last[id[i]];
            last[id[i]] = (uint32_t)i;
        }
        free(last);
    }
    cfg.threads = 1;
    cfg.page_bits = 0;
    if ((rc = sim_core_new(&core, &cfg, &job, NULL, 1, d)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        const uint32_t *fp;
        uint32_t before = sim_core_frames(core, &fp), after;
        uint8_t w = 0;
        uint64_t vpn = pages[i];
        sim_batch_t b = {.n = 1, .t0 = i, .page = &id[i], .write = &w, .proc = NULL,
                         .next = (ops->flags & SIM_POL_FUTURE) ? &next[i] : NULL,
                         .vpn = &vpn, .npages = ndist, .nprocs = 1};
        sim_step_t st = {.time = i, .page = pages[i]};
        memcpy(old, fp, before * sizeof *old);
        if ((rc = sim_core_feed(core, &b))) {
            diag_set(d, "", 0, -rc, "out of memory");
            goto out;
        }
        after = sim_core_frames(core, &fp);
        st.hit = after == before;
        for (uint32_t f = 0; st.hit && f < before; f++)
            if (fp[f] != old[f]) {
                st.hit = 0;
                st.has_victim = 1;
                st.victim = id_page[old[f]];
            }
        if (st.hit) {
            hits++;
            if (recency) {
                order_remove(ord, &nord, pages[i]);
                ord[nord++] = pages[i];
            }
        } else {
            misses++;
            if (st.has_victim)
                order_remove(ord, &nord, st.victim);
            ord[nord++] = pages[i];
        }
        st.hits = hits;
        st.misses = misses;
        st.nframes = nord;
        st.frames = ord;
        fn(ctx, &st);
    }
    rc = 0;
out:
    sim_core_free(core);
    vl_map_free(&ids);
    free(id);
    free(next);
    free(id_page);
    free(ord);
    free(old);
    return rc;
}
