/* SPDX-License-Identifier: MIT */
/*
 * sim_run.c - the driver of vmlab sim: read the trace once, map references
 * to dense page ids, and feed every job (include/vmlab/sim.h).
 *
 * Two ways through a run:
 *   streaming     global scope and no policy that needs the future: the
 *                 reader thread fills one batch while worker threads
 *                 simulate the previous one (double buffering, a barrier
 *                 between batches); memory grows with frames and pages only.
 *   materialised  OPT (next-use times need the whole future) or local scope
 *                 (frame shares need every process's size): the trace is
 *                 loaded as page ids first, next uses computed backwards in
 *                 one pass, then each worker runs whole jobs independently.
 * With cfg->threads == 1 everything runs in the calling thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "sim/sim_params.h"
#include "sim/sim_run.h"
#include "vmlab/check.h"
#include "vmlab/env.h"
#include "vmlab/sim.h"


sim_config_t sim_config_default(void)
{
    return (sim_config_t){.page_bits = 12, .tlb = {.policy = SIM_TLB_LRU, .asid = 1}};
}

int sim_pt_preset(const char *name, sim_pt_config_t *pt, unsigned *page_bits)
{
    static const struct {
        const char *name;
        unsigned va_bits, nlevels, levels[4], pte;
    } presets[] = {
        {"i386", 32, 2, {10, 10}, 4},
        {"x86-64", 48, 4, {9, 9, 9, 9}, 8},
        {"sv39", 39, 3, {9, 9, 9}, 8},
    };
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(name, presets[i].name) == 0) {
            memset(pt, 0, sizeof *pt);
            pt->kind = SIM_PT_MULTI;
            pt->va_bits = presets[i].va_bits;
            pt->nlevels = presets[i].nlevels;
            memcpy(pt->levels, presets[i].levels, sizeof presets[i].levels);
            pt->pte_bytes = presets[i].pte;
            *page_bits = 12;
            return 0;
        }
    return -EINVAL;
}

/* Resolve defaults: a multi-level table given no levels is the two-level
 * i386 layout scaled to the page size over va_bits (32 if 0), the root
 * taking the odd bit; va_bits 0 means the levels plus the offset
 * (multi-level) or 32 bits (linear, inverted). */
static sim_config_t resolve(const sim_config_t *cfg)
{
    sim_config_t c = *cfg;
    if (c.pt.kind == SIM_PT_MULTI && c.pt.nlevels == 0) {
        unsigned va = c.pt.va_bits ? c.pt.va_bits : 32;
        if (va > c.page_bits) { /* else sim_config_check reports the width */
            unsigned bits = va - c.page_bits;
            c.pt.nlevels = bits > 1 ? 2 : 1;
            c.pt.levels[0] = bits - bits / 2;
            c.pt.levels[1] = bits / 2;
        } else if (c.pt.va_bits == 0) {
            c.pt.va_bits = va;
        }
    }
    if (c.pt.kind == SIM_PT_MULTI && c.pt.va_bits == 0) {
        c.pt.va_bits = c.page_bits;
        for (unsigned i = 0; i < c.pt.nlevels && i < SIM_MAX_LEVELS; i++)
            c.pt.va_bits += c.pt.levels[i];
    } else if (c.pt.kind != SIM_PT_NONE && c.pt.va_bits == 0) {
        c.pt.va_bits = 32 > c.page_bits ? 32 : c.page_bits + 1;
    }
    if (c.pt.pte_bytes == 0)
        c.pt.pte_bytes = 8;
    if (c.threads == 0)
        c.threads = (unsigned)env_ncpus();
    return c;
}

int sim_config_check(const sim_config_t *cfg0, const sim_job_t *jobs, size_t njobs, diag_t *d)
{
    sim_config_t cfg = resolve(cfg0);
    if (cfg.page_bits > 40)
        return diag_set(d, NULL, 0, EINVAL, "page size 2^%u is too large (expected at most 2^40)",
                        cfg.page_bits);
    if (cfg.tlb.entries) {
        uint32_t ways = cfg.tlb.ways ? cfg.tlb.ways : cfg.tlb.entries, sets;
        if (ways > cfg.tlb.entries || cfg.tlb.entries % ways)
            return diag_set(d, NULL, 0, EINVAL,
                            "a TLB of %u entries cannot be %u-way (expected ways dividing the "
                            "entries)",
                            cfg.tlb.entries, ways);
        sets = cfg.tlb.entries / ways;
        if (sets & (sets - 1))
            return diag_set(d, NULL, 0, EINVAL,
                            "a TLB of %u entries, %u-way, has %u sets (expected a power of two)",
                            cfg.tlb.entries, ways, sets);
    }
    if (cfg.pt.kind != SIM_PT_NONE) {
        if (cfg.pt.va_bits > 64 || cfg.pt.va_bits <= cfg.page_bits)
            return diag_set(d, NULL, 0, EINVAL,
                            "a %u-bit address space with 2^%u-byte pages (expected more address "
                            "bits than page-offset bits, at most 64)",
                            cfg.pt.va_bits, cfg.page_bits);
        if (cfg.pt.pte_bytes > 64)
            return diag_set(d, NULL, 0, EINVAL, "page-table entries of %u bytes (expected 1..64)",
                            cfg.pt.pte_bytes);
    }
    if (cfg.pt.kind == SIM_PT_MULTI) {
        unsigned sum = 0;
        if (cfg.pt.nlevels < 1 || cfg.pt.nlevels > SIM_MAX_LEVELS)
            return diag_set(d, NULL, 0, EINVAL, "%u page-table levels (expected 1..%d)",
                            cfg.pt.nlevels, SIM_MAX_LEVELS);
        for (unsigned i = 0; i < cfg.pt.nlevels; i++) {
            if (cfg.pt.levels[i] < 1 || cfg.pt.levels[i] > 32)
                return diag_set(d, NULL, 0, EINVAL,
                                "page-table level %u has %u bits (expected 1..32)", i + 1,
                                cfg.pt.levels[i]);
            sum += cfg.pt.levels[i];
        }
        if (sum + cfg.page_bits != cfg.pt.va_bits)
            return diag_set(d, NULL, 0, EINVAL,
                            "page-table levels of %u bits plus a %u-bit page offset cover %u "
                            "bits, not the %u-bit address width (expected levels summing to %u)",
                            sum, cfg.page_bits, sum + cfg.page_bits, cfg.pt.va_bits,
                            cfg.pt.va_bits > cfg.page_bits ? cfg.pt.va_bits - cfg.page_bits : 0);
    }
    if (njobs == 0)
        return diag_set(d, NULL, 0, EINVAL, "nothing to simulate (expected a policy and frames)");
    for (size_t j = 0; j < njobs; j++) {
        sim_core_t *c;
        int rc;
        if (jobs[j].frames == 0)
            return diag_set(d, NULL, 0, EINVAL, "0 frames (expected at least 1)");
        /* Building the job checks the policy and its parameters. */
        if ((rc = sim_core_new(&c, &cfg, &jobs[j], NULL, 1, d)))
            return rc;
        sim_core_free(c);
    }
    return 0;
}

void sim_result_free(sim_result_t *r)
{
    free(r->proc);
    free(r->pid);
    r->proc = NULL;
    r->pid = NULL;
    r->nprocs = 0;
}

/* ---- shared state of one run ---------------------------------------- */


void srun_progress(run_t *r)
{
    if (!r->cfg.progress)
        return;
    pthread_mutex_lock(&r->lock);
    r->cfg.progress(r->cfg.progress_ctx, atomic_load(&r->done), r->total);
    pthread_mutex_unlock(&r->lock);
}

int srun_init(run_t *r, const sim_config_t *cfg, const sim_job_t *jobs, size_t njobs,
                    diag_t *d)
{
    int rc;
    memset(r, 0, sizeof *r);
    if ((rc = sim_config_check(cfg, jobs, njobs, d)))
        return rc;
    r->cfg = resolve(cfg);
    r->jobs = jobs;
    r->njobs = njobs;
    r->d = d;
    pthread_mutex_init(&r->lock, NULL);
    r->core = calloc(njobs, sizeof *r->core);
    if (!r->core || pagemap_init(&r->pm, &r->cfg))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    for (size_t j = 0; j < njobs; j++) {
        sim_params_t ps;
        const sim_policy_ops_t *ops;
        if (sim_params_parse(jobs[j].policy, &ps, &ops, NULL) == 0 && (ops->flags & SIM_POL_FUTURE))
            r->need_future = 1;
    }
    return 0;
}

void srun_destroy(run_t *r)
{
    for (size_t j = 0; r->core && j < r->njobs; j++)
        sim_core_free(r->core[j]);
    free(r->core);
    pagemap_destroy(&r->pm);
    pthread_mutex_destroy(&r->lock);
}

/* Frame shares under local scope (OSC 10th ed. 10.5.2): equal, m / P each
 * with the remainder to the first processes; proportional, one frame each
 * and the rest as s_i / S of it, the rounding remainder to the largest. */
static int srun_quotas(run_t *r, uint64_t frames, uint32_t *q, diag_t *d)
{
    uint32_t P = r->pm.nprocs;
    uint64_t S = 0, given = 0;
    if (frames < P)
        return diag_set(d, NULL, 0, EINVAL,
                        "local scope needs a frame per process: %llu frames for %u processes "
                        "(expected at least %u frames)",
                        (unsigned long long)frames, P, P);
    for (uint32_t i = 0; i < P; i++)
        S += r->pm.proc_pages[i];
    for (uint32_t i = 0; i < P; i++) {
        if (r->cfg.split == SIM_SPLIT_EQUAL)
            q[i] = (uint32_t)(frames / P + (i < frames % P));
        else
            q[i] = (uint32_t)(1 + (unsigned __int128)(frames - P) * r->pm.proc_pages[i] / S);
        given += q[i];
    }
    while (given < frames) { /* proportional rounding: largest first */
        uint32_t best = 0;
        for (uint32_t i = 1; i < P; i++)
            if (r->pm.proc_pages[i] > r->pm.proc_pages[best] ||
                (r->pm.proc_pages[i] == r->pm.proc_pages[best] && q[i] < q[best]))
                best = i;
        /* Spread the remainder: at most P passes of one frame each. */
        for (uint32_t k = 0; k < P && given < frames; k++) {
            q[(best + k) % P]++;
            given++;
        }
    }
    VL_ASSERT(given == frames);
    return 0;
}

int srun_make_cores(run_t *r, int local)
{
    uint32_t *q = NULL;
    int rc = 0;
    if (local) {
        q = malloc((r->pm.nprocs ? r->pm.nprocs : 1) * sizeof *q);
        if (!q)
            return diag_set(r->d, NULL, 0, ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < r->njobs && !rc; j++) {
        if (local && (rc = srun_quotas(r, r->jobs[j].frames, q, r->d)))
            break;
        rc = sim_core_new(&r->core[j], &r->cfg, &r->jobs[j], q, local ? r->pm.nprocs : 1, r->d);
    }
    free(q);
    return rc;
}

int srun_results(run_t *r, sim_result_t *res)
{
    for (size_t j = 0; j < r->njobs; j++) {
        sim_result_t *x = &res[j];
        if (sim_core_result(r->core[j], x)) {
            for (size_t k = 0; k < j; k++)
                sim_result_free(&res[k]);
            return diag_set(r->d, NULL, 0, ENOMEM, "out of memory");
        }
        VL_ASSERT(x->nprocs <= r->pm.nprocs);
        for (uint32_t p = 0; p < x->nprocs; p++) {
            x->pid[p] = r->pm.pid[p];
            x->proc[p].distinct_pages = r->pm.proc_pages[p];
            x->proc[p].page_table_bytes = r->pm.proc_ptb[p];
            x->total.distinct_pages += r->pm.proc_pages[p];
            x->total.page_table_bytes += r->pm.proc_ptb[p];
        }
        const sim_latency_t *l = &r->cfg.lat;
        const sim_stats_t *t = &x->total;
        if ((l->mem_ns > 0 || l->tlb_ns > 0 || l->fault_ns > 0 || l->write_ns > 0) &&
            t->references)
            x->eat_ns = ((double)t->references * l->mem_ns +
                         (r->cfg.tlb.entries ? (double)t->references * l->tlb_ns : 0) +
                         (double)t->walk_accesses * l->mem_ns +
                         (double)t->page_faults * l->fault_ns +
                         (double)t->disk_writes * l->write_ns) /
                        (double)t->references;
    }
    return 0;
}

/* ---- materialised: whole trace in memory, whole jobs per thread ------ */

typedef struct mat {
    run_t *r;
    sim_batch_t all;       /* the whole trace (page NULL when `first` is set) */
    const uint32_t *first; /* future policies: first[k], the time of the k-th
                              page's first reference, ascending; the page ids
                              are decoded from all.next (next_decode) */
    uint32_t nfirst;       /* entries of first[] (the pages) */
    atomic_size_t next;    /* next job to take */
    int err;               /* first error (-ENOMEM), under r->lock */
} mat_t;

/* The page ids of references [t0, t0 + n) into page[], from the next-use
 * chain alone: reference t is either the first of the next page in order
 * of first use (first[]), or the one some earlier reference named as its
 * page's next use.  Those pending next uses (one a page at most) wait in a
 * calendar queue (R. Brown, "Calendar queues", CACM 31(10), 1988) reduced
 * to what a clock that only moves forward needs: a ring of W slots holds
 * the next uses due in [t, t + W), slot j mod W; later ones wait in a
 * min-heap and move to the ring at the start of the batch in which they
 * come within W.  No hashing: one ring slot written and read a reference.
 * Invariant: at time t the ring holds exactly the pending uses in [t,
 * t + W) and the heap the rest, all >= t + n of the batch. */
typedef struct decode {
    uint32_t *ring;  /* W slots: ring[j % W] = the page next used at time j */
    uint64_t mask;   /* W - 1, W a power of two >= SRUN_BATCH */
    uint64_t *far;   /* min-heap of j << 32 | page, next uses past the ring */
    size_t nfar;     /* entries in far[] */
    size_t capfar;   /* room in far[] */
    uint32_t knext;  /* pages whose first reference has been decoded */
} decode_t;

static int far_push(decode_t *dc, uint64_t e)
{
    size_t i;
    if (dc->nfar == dc->capfar &&
        vl_grow((void **)&dc->far, &dc->capfar, dc->nfar + 1, sizeof *dc->far))
        return -ENOMEM;
    for (i = dc->nfar++; i > 0 && dc->far[(i - 1) / 2] > e; i = (i - 1) / 2)
        dc->far[i] = dc->far[(i - 1) / 2];
    dc->far[i] = e;
    return 0;
}

static void far_pop(decode_t *dc)
{
    uint64_t last = dc->far[--dc->nfar];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= dc->nfar)
            break;
        if (c + 1 < dc->nfar && dc->far[c + 1] < dc->far[c])
            c++;
        if (dc->far[c] >= last)
            break;
        dc->far[i] = dc->far[c];
        i = c;
    }
    if (dc->nfar)
        dc->far[i] = last;
}

static int next_decode(const mat_t *m, decode_t *dc, uint64_t t0, size_t n, uint32_t *page)
{
    const uint32_t *next = m->all.next;
    uint64_t mask = dc->mask, W = mask + 1;
    uint32_t *ring = dc->ring;
    VL_ASSERT(n <= W);
    while (dc->nfar && (dc->far[0] >> 32) < t0 + W) {
        ring[(dc->far[0] >> 32) & mask] = (uint32_t)dc->far[0];
        far_pop(dc);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t t = t0 + i, j = next[t];
        uint32_t p;
        if (i + 16 < n && next[t + 16] != SIM_NEVER) /* overlap the ring's misses */
            __builtin_prefetch(&ring[next[t + 16] & mask], 1);
        if (dc->knext < m->nfirst && m->first[dc->knext] == t) {
            p = dc->knext++;
        } else {
            p = ring[t & mask];
        }
        if (j != SIM_NEVER) {
            if (j < t + W)
                ring[j & mask] = p;
            else if (far_push(dc, j << 32 | p))
                return -ENOMEM;
        }
        page[i] = p;
    }
    return 0;
}

static void *mat_worker(void *arg)
{
    mat_t *m = arg;
    run_t *r = m->r;
    uint32_t *pbuf = NULL;
    decode_t dc = {0};
    if (m->first) {
        /* W: twice the pages (the pending uses), at least a batch */
        uint64_t W = SRUN_BATCH;
        while (W < 2 * (uint64_t)m->nfirst && W < ((uint64_t)1 << 31))
            W *= 2;
        dc.mask = W - 1;
        if (!(pbuf = malloc(SRUN_BATCH * sizeof *pbuf)) || !(dc.ring = malloc(W * sizeof *dc.ring)))
            goto nomem;
    }
    for (;;) {
        size_t j = atomic_fetch_add(&m->next, 1);
        size_t step = m->first ? SRUN_BATCH : SRUN_PROGRESS_EVERY;
        if (j >= r->njobs)
            break;
        dc.knext = 0;
        dc.nfar = 0;
        for (size_t off = 0; off < m->all.n; off += step) {
            sim_batch_t b = m->all;
            b.n = m->all.n - off < step ? m->all.n - off : step;
            b.t0 = off;
            if (m->first) {
                if (next_decode(m, &dc, off, b.n, pbuf))
                    goto nomem;
                b.page = pbuf;
            } else {
                b.page += off;
            }
            b.write += off;
            if (b.proc)
                b.proc += off;
            if (b.next)
                b.next += off;
            if (b.vpn)
                b.vpn += off;
            if (sim_core_feed(r->core[j], &b))
                goto nomem;
            atomic_fetch_add(&r->done, b.n);
            if (!m->first || (off / SRUN_BATCH) % (SRUN_PROGRESS_EVERY / SRUN_BATCH) == 0)
                srun_progress(r);
        }
    }
    free(pbuf), free(dc.ring), free(dc.far);
    return NULL;
nomem:
    free(pbuf), free(dc.ring), free(dc.far);
    pthread_mutex_lock(&r->lock);
    m->err = -ENOMEM;
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int srun_materialised(run_t *r, sim_batch_t *all)
{
    mat_t m = {.r = r, .all = *all};
    uint32_t *first = NULL;
    unsigned T = r->cfg.threads < r->njobs ? r->cfg.threads : (unsigned)r->njobs;
    pthread_t *tid = NULL;
    unsigned started = 0;
    int rc;

    if ((rc = srun_make_cores(r, r->cfg.scope == SIM_SCOPE_LOCAL)))
        return rc;
    if (r->need_future) {
        /* The future in 4 bytes a reference: page[] becomes next[] in place
         * (times are 32 bits, SIM_NEVER is UINT32_MAX), and each job decodes
         * the page ids back from it a batch at a time (next_decode), so the
         * trace costs next[] and write[], 5 bytes a reference, instead of
         * page[] + next[] + write[], 9. */
        if (all->n >= UINT32_MAX)
            return diag_set(r->d, NULL, 0, EFBIG,
                            "%zu references for a policy that reads the future (expected at "
                            "most %u)",
                            all->n, UINT32_MAX - 1);
        uint32_t npages = r->pm.npages, *pn = (uint32_t *)(uintptr_t)all->page;
        first = malloc(((size_t)npages + 1) * sizeof *first);
        if (!first)
            return diag_set(r->d, NULL, 0, ENOMEM, "out of memory for next-use times");
        _Static_assert(SIM_NEVER == UINT32_MAX, "first[] is set to SIM_NEVER bytewise");
        memset(first, 0xff, (size_t)npages * sizeof *first);
        for (size_t i = all->n; i-- > 0;) {
            uint32_t p = pn[i];
            if (i >= 16) /* the pages are known ahead: overlap the misses */
                __builtin_prefetch(&first[pn[i - 16]], 1);
            pn[i] = first[p];
            first[p] = (uint32_t)i;
        }
        /* The page map numbers pages in order of first use (pagemap_ids,
         * pagemap_append), so the k-th first reference is page k's. */
        m.nfirst = npages;
        for (uint32_t k = 1; k < npages; k++)
            VL_ASSERT(first[k] > first[k - 1] || first[k] == SIM_NEVER);
        while (m.nfirst && first[m.nfirst - 1] == SIM_NEVER)
            m.nfirst--;
        m.first = first;
        m.all.next = pn;
        m.all.page = NULL;
        all->page = NULL; /* consumed */
    }
    r->total = (uint64_t)all->n * r->njobs;
    if (T > 1 && (tid = malloc(T * sizeof *tid)))
        for (; started + 1 < T; started++)
            if (pthread_create(&tid[started], NULL, mat_worker, &m))
                break;
    mat_worker(&m);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    free(tid);
    free(first);
    if (m.err)
        return diag_set(r->d, NULL, 0, ENOMEM, "out of memory while simulating");
    return 0;
}

int sim_run_pages(const sim_config_t *cfg, const sim_job_t *jobs, size_t njobs,
                  const trace_pages_t *tp, sim_result_t *res, diag_t *d)
{
    run_t r;
    uint32_t *page = NULL, *proc = NULL;
    uint8_t *nowrites = NULL;
    int rc = srun_init(&r, cfg, jobs, njobs, d);
    if (rc)
        goto out;
    page = malloc((tp->n + 1) * sizeof *page);
    if (tp->pid)
        proc = malloc((tp->n + 1) * sizeof *proc);
    if (!tp->write) /* no write flags: every reference reads */
        nowrites = calloc(tp->n + 1, 1);
    if (!page || (tp->pid && !proc) || (!tp->write && !nowrites)) {
        rc = diag_set(d, NULL, 0, ENOMEM, "out of memory for %zu references", tp->n);
        goto out;
    }
    for (size_t i = 0; tp->pid && i < tp->n; i++)
        if ((rc = pagemap_proc(&r.pm, tp->pid[i], &proc[i], d)))
            goto out;
    if (!tp->pid && tp->n && (rc = pagemap_proc(&r.pm, 0, &(uint32_t){0}, d)))
        goto out;
    if ((rc = pagemap_ids(&r.pm, proc, tp->page, tp->n, page, d)))
        goto out;
    if (tp->n == 0 && (rc = pagemap_proc(&r.pm, 0, &(uint32_t){0}, d)))
        goto out;
    VL_DEBUG_CHECK(pagemap_check(&r.pm));
    sim_batch_t all = {.n = tp->n,
                       .page = page,
                       .write = tp->write ? tp->write : nowrites,
                       .proc = r.pm.nprocs > 1 ? proc : NULL,
                       .vpn = tp->page,
                       .npages = r.pm.npages,
                       .nprocs = r.pm.nprocs};
    if ((rc = srun_materialised(&r, &all)) == 0)
        rc = srun_results(&r, res);
out:
    free(page);
    free(proc);
    free(nowrites);
    srun_destroy(&r);
    return rc;
}

