/* SPDX-License-Identifier: MIT */
/*
 * sim_stream.c - vmlab sim over a trace reader (include/vmlab/trace.h): the
 * streaming path (double-buffered batches, worker threads, a barrier between
 * batches) and the load-everything path for OPT and local scope.  The shared
 * driver is sim_run.c (see its header for the two ways through a run).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "sim/sim_run.h"
#include "vmlab/check.h"

/* ---- from a trace reader ---------------------------------------------- */

typedef struct buf {
    uint32_t *page;  /* SRUN_BATCH page ids */
    uint8_t *write;  /* SRUN_BATCH write flags */
    uint32_t *proc;  /* SRUN_BATCH process indices */
    uint64_t *vpn;   /* SRUN_BATCH vpns */
    sim_batch_t b;   /* the batch over them */
} buf_t;

/* The trace being read, and how: references through trace_read, or, when
 * the trace numbers its (pid, address) pairs (trace_has_keys), keys mapped
 * to page ids through an array, hashing only the first reference to each
 * key: a repeated reference then costs an array load instead of a hash
 * probe into a table of every page. */
typedef struct reader {
    trace_t *t;        /* the trace */
    trace_ref_t *tmp;  /* SRUN_BATCH references (trace_read) */
    int keyed;         /* 1: trace_read_keys */
    uint32_t *key;     /* keyed: SRUN_BATCH keys */
    uint8_t *op;       /* keyed: SRUN_BATCH operations */
    int ident;         /* keyed: 1 if key k is page k (fill_keyed) */
    uint32_t *page1;   /* keyed, !ident: key -> page id (cap entries) */
    uint32_t cap;      /* keyed, !ident: entries of page1[], >= trace_nkeys */
} reader_t;

static int reader_init(reader_t *rd, trace_t *t, unsigned page_bits)
{
    memset(rd, 0, sizeof *rd);
    rd->t = t;
    rd->keyed = trace_has_keys(t);
    rd->ident = rd->keyed && page_bits <= trace_key_shift(t);
    if (rd->keyed) {
        rd->key = malloc(SRUN_BATCH * sizeof *rd->key);
        rd->op = malloc(SRUN_BATCH);
        return rd->key && rd->op ? 0 : -ENOMEM;
    }
    rd->tmp = malloc(SRUN_BATCH * sizeof *rd->tmp);
    return rd->tmp ? 0 : -ENOMEM;
}

static void reader_destroy(reader_t *rd)
{
    free(rd->tmp);
    free(rd->key);
    free(rd->op);
    free(rd->page1);
}

/* Keyed fill: keys to page ids.
 *
 * When the page size is at most the trace's address granularity
 * (trace_key_shift), distinct keys are distinct pages, so the first
 * reference to key k brings page k (the map is fresh and both number in
 * order of first appearance): page id = key, and the page map appends the
 * page without hashing (pagemap_append).  Otherwise page1[] maps keys to
 * page ids, through the page map's hash only for a new key.  vpn[] is
 * filled only for the TLB model, the one consumer of vpns in a keyed run
 * (sim_access_t.vpn). */
static ssize_t fill_keyed(run_t *r, reader_t *rd, uint32_t *page, uint8_t *write, uint32_t *proc,
                          uint64_t *vpn, size_t max)
{
    uint32_t nk0 = trace_nkeys(rd->t);
    ssize_t n = trace_read_keys(rd->t, rd->key, rd->op, max, r->d);
    if (n <= 0)
        return n;
    uint32_t nk = trace_nkeys(rd->t);
    const uint32_t *key = rd->key;
    const uint8_t *op = rd->op;
    if (!rd->ident && nk > rd->cap &&
        vl_grow32((void **)&rd->page1, &rd->cap, nk, sizeof *rd->page1))
        return diag_set(r->d, NULL, 0, ENOMEM, "out of memory for %u keys", nk);
    /* the pages of the new keys [nk0, nk), in order */
    for (uint32_t k = nk0; k < nk; k++) {
        uint64_t addr;
        uint32_t pid, pr, id;
        int rc;
        trace_key(rd->t, k, &addr, &pid);
        if ((rc = pagemap_proc(&r->pm, pid, &pr, r->d)))
            return rc;
        if (rd->ident) {
            if ((rc = pagemap_append(&r->pm, pr, addr >> r->cfg.page_bits, &id, r->d)))
                return rc;
            VL_ASSERT(id == k);
            continue;
        }
        if ((rc = pagemap_id(&r->pm, pr, addr >> r->cfg.page_bits, &id, r->d)))
            return rc;
        rd->page1[k] = id;
    }
    if (rd->ident) {
        memcpy(page, key, (size_t)n * sizeof *page);
    } else {
        const uint32_t *page1 = rd->page1;
        for (ssize_t i = 0; i < n; i++)
            page[i] = page1[key[i]];
    }
    for (ssize_t i = 0; i < n; i++)
        write[i] = op[i] == TRACE_WRITE;
    if (r->cfg.tlb.entries) {
        const uint64_t *pvpn = r->pm.vpn;
        for (ssize_t i = 0; i < n; i++)
            vpn[i] = pvpn[page[i]];
    }
    if (r->pm.nprocs > 1) {
        const uint32_t *pproc = r->pm.proc;
        for (ssize_t i = 0; i < n; i++)
            proc[i] = pproc[page[i]];
    }
    return n;
}

/* Read up to `max` references from rd into page[], write[], proc[] and
 * vpn[] (all of max entries; proc[] only meaningful once a second process
 * has appeared); returns the count (0 at the end) or -errno with *d. */
static ssize_t fill(run_t *r, reader_t *rd, uint32_t *page, uint8_t *write, uint32_t *proc,
                    uint64_t *vpn, size_t max)
{
    if (rd->keyed)
        return fill_keyed(r, rd, page, write, proc, vpn, max);
    trace_ref_t *tmp = rd->tmp;
    ssize_t n = trace_read(rd->t, tmp, max, r->d);
    uint32_t any = 0;
    int rc;
    if (n <= 0)
        return n;
    for (ssize_t i = 0; i < n; i++) {
        vpn[i] = tmp[i].addr >> r->cfg.page_bits;
        write[i] = tmp[i].op == TRACE_WRITE;
        if ((rc = pagemap_proc(&r->pm, tmp[i].pid, &proc[i], r->d)))
            return rc;
        any |= proc[i];
    }
    if ((rc = pagemap_ids(&r->pm, any ? proc : NULL, vpn, (size_t)n, page, r->d)))
        return rc;
    return n;
}

/* The whole trace as page ids and write flags; process indices only once a
 * second process appears (a single-process trace costs 5 bytes a reference). */
static int load_all(run_t *r, reader_t *rd, sim_batch_t *all, uint32_t **pagep, uint8_t **writep,
                    uint32_t **procp)
{
    size_t cap = 1 << 20, n = 0;
    uint32_t *page = malloc(cap * sizeof *page), *proc = NULL;
    uint32_t *pbuf = malloc(SRUN_BATCH * sizeof *pbuf);
    uint8_t *write = malloc(cap);
    uint64_t *vpn = malloc(SRUN_BATCH * sizeof *vpn);
    int rc = 0;
    if (!page || !pbuf || !write || !vpn)
        rc = diag_set(r->d, NULL, 0, ENOMEM, "out of memory for %zu references", cap);
    while (!rc) {
        if (cap - n < SRUN_BATCH) {
            /* page, write (and proc) share one capacity. */
            size_t c1 = cap, c2 = cap, c3 = cap;
            if (vl_grow((void **)&page, &c1, n + SRUN_BATCH, sizeof *page) ||
                vl_grow((void **)&write, &c2, n + SRUN_BATCH, sizeof *write) ||
                (proc && vl_grow((void **)&proc, &c3, n + SRUN_BATCH, sizeof *proc))) {
                rc = diag_set(r->d, NULL, 0, ENOMEM, "out of memory for %zu references",
                              n + SRUN_BATCH);
                break;
            }
            cap = c1 < c2 ? c1 : c2;
        }
        ssize_t k = fill(r, rd, page + n, write + n, pbuf, vpn, SRUN_BATCH);
        if (k < 0) {
            rc = (int)k;
            break;
        }
        if (k == 0)
            break;
        if (!proc && r->pm.nprocs > 1) {
            if (!(proc = calloc(cap, sizeof *proc))) {
                rc = diag_set(r->d, NULL, 0, ENOMEM, "out of memory for %zu references", cap);
                break;
            }
        }
        if (proc)
            memcpy(proc + n, pbuf, (size_t)k * sizeof *proc);
        if ((n + (size_t)k) / SRUN_PROGRESS_EVERY != n / SRUN_PROGRESS_EVERY) {
            atomic_store(&r->done, n + (size_t)k);
            srun_progress(r); /* total 0: references read so far */
        }
        n += (size_t)k;
    }
    atomic_store(&r->done, 0);
    free(vpn);
    free(pbuf);
    if (!rc && r->pm.nprocs == 0)
        rc = pagemap_proc(&r->pm, 0, &(uint32_t){0}, r->d);
    *pagep = page;
    *writep = write;
    *procp = proc;
    *all = (sim_batch_t){.n = n,
                         .page = page,
                         .write = write,
                         .proc = proc,
                         .page_vpn = r->pm.vpn,
                         .npages = r->pm.npages,
                         .nprocs = r->pm.nprocs};
    return rc;
}

typedef struct stream {
    run_t *r;
    buf_t buf[2];             /* double buffer */
    int cur;                  /* the buffer being simulated */
    int done;                 /* 1: workers leave */
    unsigned nworkers;        /* worker threads */
    pthread_barrier_t bar;    /* between batches */
    pthread_mutex_t gate;     /* held while workers are being started */
    atomic_int err;           /* a feed failed (-ENOMEM) */
} stream_t;

typedef struct worker {
    stream_t *s;
    unsigned id;
} worker_t;

static void feed_jobs(stream_t *s, unsigned id, unsigned stride, const sim_batch_t *b)
{
    for (size_t j = id; j < s->r->njobs; j += stride)
        if (sim_core_feed(s->r->core[j], b))
            atomic_store(&s->err, -ENOMEM);
}

static void *stream_worker(void *arg)
{
    worker_t *w = arg;
    stream_t *s = w->s;
    pthread_mutex_lock(&s->gate);
    pthread_mutex_unlock(&s->gate);
    for (;;) {
        pthread_barrier_wait(&s->bar);
        if (s->done)
            break;
        feed_jobs(s, w->id, s->nworkers, &s->buf[s->cur].b);
        pthread_barrier_wait(&s->bar);
    }
    return NULL;
}

static int buf_alloc(buf_t *b)
{
    b->page = malloc(SRUN_BATCH * sizeof *b->page);
    b->write = malloc(SRUN_BATCH);
    b->proc = malloc(SRUN_BATCH * sizeof *b->proc);
    b->vpn = calloc(SRUN_BATCH, sizeof *b->vpn); /* zero if never written (keyed) */
    return b->page && b->write && b->proc && b->vpn ? 0 : -ENOMEM;
}

static void buf_free(buf_t *b)
{
    free(b->page);
    free(b->write);
    free(b->proc);
    free(b->vpn);
}

/* Fill buffer k with the next batch (n = 0 at the end). */
static int stream_fill(stream_t *s, reader_t *rd, int k, uint64_t *t0)
{
    buf_t *b = &s->buf[k];
    ssize_t n = fill(s->r, rd, b->page, b->write, b->proc, b->vpn, SRUN_BATCH);
    if (n < 0) {
        b->b.n = 0;
        return (int)n;
    }
    b->b = (sim_batch_t){.n = (size_t)n,
                         .t0 = *t0,
                         .page = b->page,
                         .write = b->write,
                         .proc = s->r->pm.nprocs > 1 ? b->proc : NULL,
                         .vpn = b->vpn,
                         .npages = s->r->pm.npages,
                         .nprocs = s->r->pm.nprocs};
    *t0 += (uint64_t)n;
    return 0;
}

static int run_stream(run_t *r, reader_t *rd)
{
    stream_t s = {.r = r, .gate = PTHREAD_MUTEX_INITIALIZER};
    unsigned T = r->cfg.threads < r->njobs ? r->cfg.threads : (unsigned)r->njobs;
    pthread_t *tid = NULL;
    worker_t *w = NULL;
    uint64_t t0 = 0, reported = 0;
    int rc = 0;

    if ((rc = srun_make_cores(r, 0)))
        goto out;
    if (buf_alloc(&s.buf[0]) || buf_alloc(&s.buf[1])) {
        rc = diag_set(r->d, NULL, 0, ENOMEM, "out of memory");
        goto out;
    }
    if (r->cfg.threads == 1) {
        for (;;) {
            if ((rc = stream_fill(&s, rd, 0, &t0)) || s.buf[0].b.n == 0)
                break;
            feed_jobs(&s, 0, 1, &s.buf[0].b);
            if (atomic_load(&s.err))
                break;
            atomic_store(&r->done, t0);
            if (t0 - reported >= SRUN_PROGRESS_EVERY) {
                reported = t0;
                srun_progress(r);
            }
        }
    } else {
        /* Workers pass the gate only once the barrier is sized for those
         * that did start, so a failed pthread_create just means fewer. */
        unsigned started = 0;
        tid = malloc(T * sizeof *tid);
        w = malloc(T * sizeof *w);
        if (!tid || !w) {
            rc = diag_set(r->d, NULL, 0, ENOMEM, "out of memory for threads");
            goto out;
        }
        pthread_mutex_lock(&s.gate);
        for (; started < T; started++) {
            w[started] = (worker_t){.s = &s, .id = started};
            if (pthread_create(&tid[started], NULL, stream_worker, &w[started]))
                break;
        }
        s.nworkers = started ? started : 1;
        pthread_barrier_init(&s.bar, NULL, started + 1);
        pthread_mutex_unlock(&s.gate);
        if (started == 0) {
            pthread_barrier_destroy(&s.bar);
            rc = diag_set(r->d, NULL, 0, EAGAIN, "cannot start a simulation thread");
            goto out;
        }
        T = started;
        rc = stream_fill(&s, rd, 0, &t0);
        s.cur = 0;
        while (!rc && s.buf[s.cur].b.n > 0 && !atomic_load(&s.err)) {
            pthread_barrier_wait(&s.bar); /* workers simulate buf[cur] */
            rc = stream_fill(&s, rd, s.cur ^ 1, &t0);
            pthread_barrier_wait(&s.bar); /* they are done with it */
            s.cur ^= 1;
            atomic_store(&r->done, t0 - s.buf[s.cur].b.n);
            if (t0 - reported >= SRUN_PROGRESS_EVERY) {
                reported = t0;
                srun_progress(r);
            }
        }
        s.done = 1;
        pthread_barrier_wait(&s.bar);
        for (unsigned i = 0; i < T; i++)
            pthread_join(tid[i], NULL);
        pthread_barrier_destroy(&s.bar);
    }
    if (!rc && atomic_load(&s.err))
        rc = diag_set(r->d, NULL, 0, ENOMEM, "out of memory while simulating");
out:
    free(tid);
    free(w);
    buf_free(&s.buf[0]);
    buf_free(&s.buf[1]);
    return rc;
}

int sim_run_trace(const sim_config_t *cfg, const sim_job_t *jobs, size_t njobs, trace_t *t,
                  sim_result_t *res, diag_t *d)
{
    run_t r;
    reader_t rd;
    int rc = srun_init(&r, cfg, jobs, njobs, d);
    if (rc)
        goto out;
    if ((rc = trace_check_page_bits(t, r.cfg.page_bits, d)) < 0)
        goto out;
    if (reader_init(&rd, t, r.cfg.page_bits)) {
        reader_destroy(&rd);
        rc = diag_set(d, NULL, 0, ENOMEM, "out of memory");
        goto out;
    }
    if (r.need_future || r.cfg.scope == SIM_SCOPE_LOCAL) {
        sim_batch_t all;
        uint32_t *page, *proc;
        uint8_t *write;
        rc = load_all(&r, &rd, &all, &page, &write, &proc);
        if (!rc)
            rc = srun_materialised(&r, &all);
        free(page);
        free(proc);
        free(write);
    } else {
        rc = run_stream(&r, &rd);
    }
    reader_destroy(&rd);
    if (!rc && r.pm.nprocs == 0) /* an empty trace: one process, no pages */
        rc = pagemap_proc(&r.pm, 0, &(uint32_t){0}, d);
    if (!rc) {
        VL_DEBUG_CHECK(pagemap_check(&r.pm));
        rc = srun_results(&r, res);
    }
out:
    srun_destroy(&r);
    return rc;
}
