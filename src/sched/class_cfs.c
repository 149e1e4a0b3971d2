/* SPDX-License-Identifier: MIT */
/*
 * class_cfs.c - a model of the kernel's Completely Fair Scheduler
 * (kernel/sched/fair.c as of Linux 6.1, before EEVDF; Molnar 2007).
 *
 * Each task's virtual runtime grows by delta * NICE_0_LOAD / weight, computed
 * exactly as __calc_delta does it (the 2^32/weight inverses of
 * sched_prio_to_wmult for a task, WMULT_CONST / load for a queue's load); the
 * queue runs the task with the least vruntime (an indexed binary heap keyed by
 * (vruntime, enqueue order) standing for the red-black tree; equal keys
 * first-in first-out as rb insertion puts them to the right).
 *   period      sched_latency if nr_running <= sched_nr_latency (8), else
 *               nr_running x min_granularity; latency 6 ms, min granularity
 *               0.75 ms and wakeup granularity 1 ms are multiplied by
 *               1 + ilog2(min(ncpus, 8)) (SCHED_TUNABLESCALING_LOG, the
 *               default; scaling=none|linear are the other settings).
 *   slice       sched_slice = period x weight / cfs_rq load (the task counted),
 *               at least min_granularity (BASE_SLICE).  The running task is
 *               preempted when it has run its slice since it was picked (the
 *               kernel checks at each tick; here at the exact instant).
 *   placement   new: vruntime = min_vruntime + sched_vslice (START_DEBIT);
 *               woken: max(its vruntime, min_vruntime - latency / 2)
 *               (GENTLE_FAIR_SLEEPERS); a task moving to another CPU keeps its
 *               vruntime relative to min_vruntime.
 *   wakeup      a woken task preempts the running one if the running one's
 *               vruntime exceeds its own by more than the wakeup granularity
 *               converted to its virtual time (check_preempt_wakeup).
 *   CPU choice  (a model of select_task_rq_fair) woken: the previous CPU if
 *               idle; otherwise, and for new tasks, the allowed CPU with the
 *               fewest runnable tasks of all classes, the previous CPU first
 *               among equals, then the lowest id.  A CPU going idle pulls the
 *               queued CFS task with the largest vruntime from the CPU with the
 *               most CFS tasks (newidle balance; idle-pull=0 turns it off).
 * Not modelled: buddies (next/last/skip), the tick-based second preemption
 * test (vruntime lead over the leftmost), group scheduling, PELT load, NUMA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "sched/sched_class.h"
#include "vmlab/check.h"

#define NICE_0_LOAD 1024
#define WMULT_CONST 0xffffffffu
#define WMULT_SHIFT 32

const uint32_t sched_prio_to_weight[40] = {
    /* -20 */ 88761, 71755, 56483, 46273, 36291,
    /* -15 */ 29154, 23254, 18705, 14949, 11916,
    /* -10 */ 9548,  7620,  6100,  4904,  3906,
    /*  -5 */ 3121,  2501,  1991,  1586,  1277,
    /*   0 */ 1024,  820,   655,   526,   423,
    /*   5 */ 335,   272,   215,   172,   137,
    /*  10 */ 110,   87,    70,    56,    45,
    /*  15 */ 36,    29,    23,    18,    15,
};

const uint32_t sched_prio_to_wmult[40] = {
    /* -20 */ 48388,     59856,     76040,     92818,     118348,
    /* -15 */ 147320,    184698,    229616,    287308,    360437,
    /* -10 */ 449829,    563644,    704093,    875809,    1099582,
    /*  -5 */ 1376151,   1717300,   2157191,   2708050,   3363326,
    /*   0 */ 4194304,   5237765,   6557202,   8165337,   10153587,
    /*   5 */ 12820798,  15790321,  19976592,  24970740,  31350126,
    /*  10 */ 39045157,  49367440,  61356676,  76695844,  95443717,
    /*  15 */ 119304647, 148102320, 186737708, 238609294, 286331153,
};

typedef struct cfs_rq {
    VL_VEC(uint32_t) heap; /* queued task ids, min-heap on (vruntime, order) */
    uint32_t nr;           /* CFS tasks on this CPU, running one included */
    uint64_t load;         /* their total weight */
    uint64_t min_vruntime; /* monotonic floor of vruntimes (update_min_vruntime) */
} cfs_rq_t;

typedef struct cfs_state {
    uint64_t latency, min_gran, wakeup_gran; /* ns, scaled */
    uint64_t nr_latency;                     /* latency / min_gran */
    unsigned start_debit, gentle, base_slice, idle_pull;
    uint64_t order;                          /* enqueue counter (ties) */
} cfs_state_t;

/* __calc_delta(delta, weight, lw) with lw = (lw_weight, inv). */
static uint64_t calc_delta(uint64_t delta, uint64_t weight, uint64_t lw_weight, uint32_t inv)
{
    uint64_t fact = weight;
    int shift = WMULT_SHIFT;
    if (!inv)
        inv = lw_weight >= WMULT_CONST ? 1 : lw_weight == 0 ? WMULT_CONST : (uint32_t)(WMULT_CONST / lw_weight);
    if (fact >> 32) {
        int fs = 64 - __builtin_clzll(fact >> 32);
        shift -= fs;
        fact >>= fs;
    }
    fact = (uint64_t)(uint32_t)fact * inv;
    if (fact >> 32) {
        int fs = 64 - __builtin_clzll(fact >> 32);
        shift -= fs;
        fact >>= fs;
    }
    return (uint64_t)(((unsigned __int128)delta * fact) >> shift);
}

/* calc_delta_fair: delta in t's virtual time. */
static uint64_t delta_fair(uint64_t delta, const sched_task_t *t)
{
    if (t->weight == NICE_0_LOAD)
        return delta;
    return calc_delta(delta, NICE_0_LOAD, t->weight, sched_prio_to_wmult[t->nice + 20]);
}

static int before(const sched_task_t *a, const sched_task_t *b)
{
    int64_t d = (int64_t)(a->vruntime - b->vruntime);
    return d < 0 || (d == 0 && a->slice < b->slice);
}

/* ---- the indexed heap --------------------------------------------------------- */

static void heap_place(sched_class_t *c, cfs_rq_t *rq, uint32_t i, sched_task_t *t)
{
    rq->heap.v[i] = t->id;
    t->pos = i;
    (void)c;
}

static void sift_up(sched_class_t *c, cfs_rq_t *rq, uint32_t i)
{
    sched_task_t *t = sched_task(c->core, rq->heap.v[i]);
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        sched_task_t *pt = sched_task(c->core, rq->heap.v[p]);
        if (!before(t, pt))
            break;
        heap_place(c, rq, i, pt);
        i = p;
    }
    heap_place(c, rq, i, t);
}

static void sift_down(sched_class_t *c, cfs_rq_t *rq, uint32_t i)
{
    uint32_t n = (uint32_t)rq->heap.n;
    sched_task_t *t = sched_task(c->core, rq->heap.v[i]);
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n)
            break;
        sched_task_t *lt = sched_task(c->core, rq->heap.v[l]);
        if (l + 1 < n) {
            sched_task_t *rt = sched_task(c->core, rq->heap.v[l + 1]);
            if (before(rt, lt))
                l++, lt = rt;
        }
        if (!before(lt, t))
            break;
        heap_place(c, rq, i, lt);
        i = l;
    }
    heap_place(c, rq, i, t);
}

static void heap_insert(sched_class_t *c, cfs_rq_t *rq, sched_task_t *t)
{
    cfs_state_t *s = c->state;
    t->slice = s->order++; /* CFS keeps its enqueue order in slice */
    int rc = vl_vec_push(&rq->heap, t->id);
    VL_ASSERT(rc == 0); /* out of memory */
    sift_up(c, rq, (uint32_t)rq->heap.n - 1);
}

static void heap_remove(sched_class_t *c, cfs_rq_t *rq, sched_task_t *t)
{
    uint32_t i = t->pos, last = rq->heap.v[--rq->heap.n];
    t->pos = SCHED_NONE;
    if (i == rq->heap.n)
        return;
    sched_task_t *lt = sched_task(c->core, last);
    heap_place(c, rq, i, lt);
    sift_up(c, rq, i);
    sift_down(c, rq, lt->pos);
}

static sched_task_t *leftmost(const sched_class_t *c, const cfs_rq_t *rq)
{
    return rq->heap.n ? sched_task(c->core, rq->heap.v[0]) : NULL;
}

/* ---- CFS ----------------------------------------------------------------------- */

static int cfs_init(sched_class_t *c, sched_params_t *ps, diag_t *d)
{
    cfs_state_t *s = c->state;
    uint64_t lat, gran, wgran;
    unsigned scaling;
    int rc;
    if ((rc = sched_param_time(ps, "cfs", "latency", 6 * SCHED_NS_PER_MS, 100000, 1000 * SCHED_NS_PER_MS, &lat, d)) ||
        (rc = sched_param_time(ps, "cfs", "min-gran", 750000, 100000, 1000 * SCHED_NS_PER_MS, &gran, d)) ||
        (rc = sched_param_time(ps, "cfs", "wakeup-gran", 1 * SCHED_NS_PER_MS, 0, 1000 * SCHED_NS_PER_MS, &wgran,
                               d)) ||
        (rc = sched_param_word(ps, "cfs", "scaling", "log|none|linear", 0, &scaling, d)) ||
        (rc = sched_param_word(ps, "cfs", "start-debit", "1|0", 0, &s->start_debit, d)) ||
        (rc = sched_param_word(ps, "cfs", "gentle", "1|0", 0, &s->gentle, d)) ||
        (rc = sched_param_word(ps, "cfs", "base-slice", "1|0", 0, &s->base_slice, d)) ||
        (rc = sched_param_word(ps, "cfs", "idle-pull", "1|0", 0, &s->idle_pull, d)))
        return rc;
    s->start_debit = !s->start_debit; /* index 0 is "1" */
    s->gentle = !s->gentle;
    s->base_slice = !s->base_slice;
    s->idle_pull = !s->idle_pull;
    /* get_update_sysctl_factor(): cpus = min(online, 8). */
    unsigned cpus = c->ncpus < 8 ? c->ncpus : 8, factor = 1;
    if (scaling == 0) {
        unsigned l = 0;
        while ((2u << l) <= cpus)
            l++;
        factor = 1 + l;
    } else if (scaling == 2) {
        factor = cpus;
    }
    s->nr_latency = lat / gran; /* sched_nr_latency, from the unscaled values */
    s->latency = lat * factor;
    s->min_gran = gran * factor;
    s->wakeup_gran = wgran * factor;
    if (s->nr_latency == 0)
        return diag_set(d, NULL, 0, EINVAL, "cfs: min-gran must not exceed latency (expected min-gran <= latency)");
    return 0;
}

static void cfs_destroy(sched_class_t *c)
{
    for (uint32_t cpu = 0; cpu < c->ncpus; cpu++)
        vl_vec_free(&((cfs_rq_t *)sched_rq(c, cpu))->heap);
}

static void update_min_vruntime(sched_class_t *c, uint32_t cpu)
{
    cfs_rq_t *rq = sched_rq(c, cpu);
    const sched_task_t *curr = sched_curr(c->core, cpu), *left = leftmost(c, rq);
    uint64_t v = rq->min_vruntime;
    if (curr && curr->cls != c->idx)
        curr = NULL;
    if (curr)
        v = curr->vruntime;
    if (left && (!curr || (int64_t)(left->vruntime - v) < 0))
        v = left->vruntime;
    if ((int64_t)(v - rq->min_vruntime) > 0)
        rq->min_vruntime = v;
}

static uint64_t sched_period(const cfs_state_t *s, uint64_t nr)
{
    return nr > s->nr_latency ? nr * s->min_gran : s->latency;
}

/* sched_slice(); on_rq: is t already counted in rq->nr and rq->load? */
static uint64_t sched_slice(const cfs_state_t *s, const cfs_rq_t *rq, const sched_task_t *t, int on_rq)
{
    uint64_t slice = sched_period(s, rq->nr + !on_rq);
    uint64_t load = rq->load + (on_rq ? 0 : t->weight);
    slice = calc_delta(slice, t->weight, load, 0);
    if (s->base_slice && slice < s->min_gran)
        slice = s->min_gran;
    return slice;
}

static uint32_t cfs_select(sched_class_t *c, sched_task_t *t, int flags)
{
    uint32_t prev = t->cpu != SCHED_NONE && sched_allowed(t, t->cpu) ? t->cpu : SCHED_NONE;
    if ((flags & SCHED_ENQ_WAKE) && prev != SCHED_NONE && sched_nr_running(c->core, prev) == 0)
        return prev;
    if (!t->affinity) { /* the same choice as the scan below, in O(1) */
        uint32_t least = sched_least_loaded(c->core);
        if (prev != SCHED_NONE && sched_nr_running(c->core, prev) == sched_nr_running(c->core, least))
            return prev;
        return least;
    }
    uint32_t best = prev, best_nr = prev != SCHED_NONE ? sched_nr_running(c->core, prev) : UINT32_MAX;
    for (uint32_t cpu = 0; cpu < c->ncpus && best_nr; cpu++) {
        uint32_t nr = sched_nr_running(c->core, cpu);
        if (sched_allowed(t, cpu) && nr < best_nr)
            best = cpu, best_nr = nr;
    }
    return best;
}

static void cfs_enqueue(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags)
{
    cfs_state_t *s = c->state;
    cfs_rq_t *rq = sched_rq(c, cpu);
    update_min_vruntime(c, cpu);
    if (flags & SCHED_ENQ_NEW) {
        uint64_t v = rq->min_vruntime;
        if (s->start_debit)
            v += delta_fair(sched_slice(s, rq, t, 0), t);
        t->vruntime = v;
    } else if (flags & SCHED_ENQ_MIGRATE) {
        t->vruntime += rq->min_vruntime; /* relative since dequeue */
    } else if (flags & SCHED_ENQ_WAKE) {
        /* asleep with its old CPU's absolute vruntime: re-based if it moved
         * (migrate_task_rq_fair); t->cpu is still the old CPU here */
        if (t->cpu != SCHED_NONE && t->cpu != cpu)
            t->vruntime = t->vruntime - ((cfs_rq_t *)sched_rq(c, t->cpu))->min_vruntime + rq->min_vruntime;
        uint64_t thresh = s->gentle ? s->latency / 2 : s->latency;
        uint64_t v = rq->min_vruntime - thresh;
        if ((int64_t)(v - t->vruntime) > 0)
            t->vruntime = v;
    }
    rq->nr++;
    rq->load += t->weight;
    heap_insert(c, rq, t);
    update_min_vruntime(c, cpu);
}

static void cfs_dequeue(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags)
{
    cfs_rq_t *rq = sched_rq(c, cpu);
    if (!(flags & SCHED_DEQ_RUNNING))
        heap_remove(c, rq, t);
    if (flags) {
        rq->nr--;
        rq->load -= t->weight;
    }
    update_min_vruntime(c, cpu);
    if (flags & SCHED_DEQ_MIGRATE) /* relative until enqueued elsewhere */
        t->vruntime -= rq->min_vruntime;
}

static sched_task_t *cfs_pick(sched_class_t *c, uint32_t cpu)
{
    cfs_rq_t *rq = sched_rq(c, cpu);
    sched_task_t *t = leftmost(c, rq);
    if (!t)
        return NULL;
    heap_remove(c, rq, t);
    t->exec_start = t->exec_sum; /* prev_sum_exec_runtime */
    return t;
}

static void cfs_put_prev(sched_class_t *c, uint32_t cpu, sched_task_t *t)
{
    heap_insert(c, sched_rq(c, cpu), t);
}

static void cfs_charge(sched_class_t *c, uint32_t cpu, sched_task_t *t, uint64_t delta)
{
    t->vruntime += delta_fair(delta, t);
    /* exec_sum is advanced by the core after this call */
    update_min_vruntime(c, cpu);
}

static uint64_t cfs_slice_left(sched_class_t *c, uint32_t cpu, const sched_task_t *t)
{
    const cfs_state_t *s = c->state;
    uint64_t ideal = sched_slice(s, sched_rq(c, cpu), t, 1), ran = t->exec_sum - t->exec_start;
    return ran >= ideal ? 0 : ideal - ran;
}

static int cfs_wakeup_preempt(sched_class_t *c, uint32_t cpu, const sched_task_t *curr, const sched_task_t *t)
{
    const cfs_state_t *s = c->state;
    (void)cpu;
    int64_t vdiff = (int64_t)(curr->vruntime - t->vruntime);
    return vdiff > 0 && (uint64_t)vdiff > delta_fair(s->wakeup_gran, t);
}

static void cfs_reweight(sched_class_t *c, sched_task_t *t, uint32_t weight, int nice)
{
    cfs_rq_t *rq = sched_rq(c, t->cpu);
    rq->load = rq->load - t->weight + weight;
    t->weight = weight;
    t->nice = (int8_t)nice;
}

static uint64_t cfs_total_weight(const sched_class_t *c, uint32_t cpu)
{
    return ((const cfs_rq_t *)sched_rq(c, cpu))->load;
}

static void cfs_idle(sched_class_t *c, uint32_t cpu)
{
    const cfs_state_t *s = c->state;
    if (!s->idle_pull)
        return;
    uint32_t busiest = SCHED_NONE, most = 1;
    for (uint32_t o = 0; o < c->ncpus; o++) {
        const cfs_rq_t *rq = sched_rq(c, o);
        if (o != cpu && rq->heap.n && rq->nr > most)
            busiest = o, most = rq->nr;
    }
    if (busiest == SCHED_NONE)
        return;
    cfs_rq_t *rq = sched_rq(c, busiest);
    sched_task_t *pick = NULL;
    for (size_t i = 0; i < rq->heap.n; i++) {
        sched_task_t *t = sched_task(c->core, rq->heap.v[i]);
        if (sched_allowed(t, cpu) && (!pick || (int64_t)(t->vruntime - pick->vruntime) > 0))
            pick = t;
    }
    if (pick)
        sched_migrate(c->core, pick, cpu);
}

static void cfs_check(const sched_class_t *c, uint32_t cpu)
{
    const cfs_rq_t *rq = sched_rq(c, cpu);
    const sched_task_t *curr = sched_curr(c->core, cpu);
    uint32_t n = (uint32_t)rq->heap.n;
    uint64_t load = 0;
    for (size_t i = 0; i < rq->heap.n; i++) {
        const sched_task_t *t = sched_task(c->core, rq->heap.v[i]);
        VL_ASSERT(t->pos == i && t->cpu == cpu && t->state == TS_RUNNABLE && t->cls == c->idx);
        if (i)
            VL_ASSERT(!before(t, sched_task(c->core, rq->heap.v[(i - 1) / 2])));
        load += t->weight;
    }
    if (curr && curr->cls == c->idx) {
        n++;
        load += curr->weight;
    }
    VL_ASSERT(n == rq->nr && load == rq->load);
}

const sched_class_ops_t sched_class_cfs = {
    .name = "cfs",
    .summary = "the kernel's CFS before EEVDF: vruntime, sched_prio_to_weight, latency/min_granularity "
               "(kernel/sched/fair.c, Linux 6.1)",
    .params = "latency=6ms,min-gran=0.75ms,wakeup-gran=1ms,scaling=log|none|linear,start-debit=1,gentle=1,"
              "base-slice=1,idle-pull=1",
    .state_size = sizeof(cfs_state_t),
    .rq_size = sizeof(cfs_rq_t),
    .init = cfs_init,
    .destroy = cfs_destroy,
    .select_cpu = cfs_select,
    .enqueue = cfs_enqueue,
    .dequeue = cfs_dequeue,
    .pick = cfs_pick,
    .put_prev = cfs_put_prev,
    .charge = cfs_charge,
    .slice_left = cfs_slice_left,
    .wakeup_preempt = cfs_wakeup_preempt,
    .reweight = cfs_reweight,
    .total_weight = cfs_total_weight,
    .idle = cfs_idle,
    .check = cfs_check,
};
