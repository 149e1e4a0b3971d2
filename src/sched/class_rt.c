/* SPDX-License-Identifier: MIT */
/*
 * class_rt.c - the real-time class: SCHED_FIFO and SCHED_RR (POSIX.1-2017
 * sched(7); Linux kernel/sched/rt.c).
 *
 * Priorities 1..99, higher runs first, one FIFO list per priority and a
 * bitmap of the non-empty ones (the kernel's rt_prio_array).  A FIFO task
 * runs until it blocks or a higher priority preempts it; an RR task also
 * yields when its slice (sched_rr_timeslice, 100 ms) runs out, is refilled
 * and goes to the tail of its list.  A preempted task goes back to the head
 * of its list with the rest of its slice (sched(7): "a SCHED_FIFO thread that
 * has been preempted by another thread of higher priority will stay at the
 * head of the list for its priority").  A woken task goes to the tail.
 * Placement (a model of select_task_rq_rt/find_lowest_rq with cpupri): the
 * CPU whose highest runnable priority is lowest (idle < only non-RT tasks <
 * RT priority p), the previous CPU first among equals, then the lowest id.
 * No RT throttling (sched_rt_runtime_us = -1): RT tasks may starve others.
 */
#include <string.h>

#include "sched/sched_class.h"
#include "sched/tlist.h"
#include "vmlab/check.h"

#define RT_PRIOS 100

typedef struct rt_rq {
    tlist_t q[RT_PRIOS]; /* queued (not running) tasks per priority */
    uint64_t bits[2];    /* bit p set iff q[p] is not empty */
    uint32_t nr;         /* RT tasks on this CPU, running one included */
} rt_rq_t;

typedef struct rt_state {
    uint64_t rr_slice; /* ns, SCHED_RR's time slice */
} rt_state_t;

static int rt_init(sched_class_t *c, sched_params_t *ps, diag_t *d)
{
    rt_state_t *s = c->state;
    int rc = sched_param_time(ps, "rt", "rr-slice", 100 * SCHED_NS_PER_MS, 1000, 3600000 * SCHED_NS_PER_MS,
                              &s->rr_slice, d);
    if (rc)
        return rc;
    for (uint32_t cpu = 0; cpu < c->ncpus; cpu++) {
        rt_rq_t *rq = sched_rq(c, cpu);
        for (int p = 0; p < RT_PRIOS; p++)
            tlist_init(&rq->q[p]);
    }
    return 0;
}

static int rt_top(const rt_rq_t *rq)
{
    if (rq->bits[1])
        return 127 - __builtin_clzll(rq->bits[1]);
    if (rq->bits[0])
        return 63 - __builtin_clzll(rq->bits[0]);
    return -1;
}

/* cpupri's view of a CPU: -2 idle, -1 no RT task, else the highest RT prio. */
static int rt_cpu_rank(const sched_class_t *c, uint32_t cpu)
{
    const rt_rq_t *rq = sched_rq(c, cpu);
    const sched_task_t *curr = sched_curr(c->core, cpu);
    int top = rt_top(rq);
    if (curr && curr->cls == c->idx && curr->prio > top)
        top = curr->prio;
    if (top >= 0)
        return top;
    return sched_nr_running(c->core, cpu) ? -1 : -2;
}

static uint32_t rt_select(sched_class_t *c, sched_task_t *t, int flags)
{
    uint32_t best = SCHED_NONE;
    int best_rank = 1000;
    (void)flags;
    if (t->cpu != SCHED_NONE && sched_allowed(t, t->cpu)) {
        best = t->cpu;
        best_rank = rt_cpu_rank(c, t->cpu);
    }
    for (uint32_t cpu = 0; cpu < c->ncpus; cpu++) {
        if (!sched_allowed(t, cpu))
            continue;
        int r = rt_cpu_rank(c, cpu);
        if (r < best_rank) {
            best_rank = r;
            best = cpu;
        }
    }
    return best;
}

static void rt_queue(sched_class_t *c, rt_rq_t *rq, sched_task_t *t, int head)
{
    if (head)
        tlist_add_head(c->core, &rq->q[t->prio], t);
    else
        tlist_add_tail(c->core, &rq->q[t->prio], t);
    rq->bits[t->prio >> 6] |= 1ull << (t->prio & 63);
}

static void rt_unqueue(sched_class_t *c, rt_rq_t *rq, sched_task_t *t)
{
    tlist_del(c->core, &rq->q[t->prio], t);
    if (rq->q[t->prio].head == SCHED_NONE)
        rq->bits[t->prio >> 6] &= ~(1ull << (t->prio & 63));
}

static void rt_enqueue(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags)
{
    rt_rq_t *rq = sched_rq(c, cpu);
    const rt_state_t *s = c->state;
    if ((flags & SCHED_ENQ_NEW) || t->slice == 0)
        t->slice = s->rr_slice;
    rt_queue(c, rq, t, 0);
    if (flags)
        rq->nr++;
}

static void rt_dequeue(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags)
{
    rt_rq_t *rq = sched_rq(c, cpu);
    if (!(flags & SCHED_DEQ_RUNNING))
        rt_unqueue(c, rq, t);
    if (flags)
        rq->nr--;
}

static sched_task_t *rt_pick(sched_class_t *c, uint32_t cpu)
{
    rt_rq_t *rq = sched_rq(c, cpu);
    int p = rt_top(rq);
    if (p < 0)
        return NULL;
    sched_task_t *t = sched_task(c->core, rq->q[p].head);
    rt_unqueue(c, rq, t);
    return t;
}

static void rt_put_prev(sched_class_t *c, uint32_t cpu, sched_task_t *t)
{
    rt_rq_t *rq = sched_rq(c, cpu);
    const rt_state_t *s = c->state;
    if (t->policy == SCHED_P_RR && t->slice == 0) {
        t->slice = s->rr_slice;
        rt_queue(c, rq, t, 0);
    } else {
        rt_queue(c, rq, t, 1);
    }
}

static void rt_charge(sched_class_t *c, uint32_t cpu, sched_task_t *t, uint64_t delta)
{
    (void)c, (void)cpu;
    if (t->policy == SCHED_P_RR)
        t->slice -= delta < t->slice ? delta : t->slice;
}

static uint64_t rt_slice_left(sched_class_t *c, uint32_t cpu, const sched_task_t *t)
{
    (void)c, (void)cpu;
    return t->policy == SCHED_P_RR ? t->slice : UINT64_MAX;
}

static int rt_wakeup_preempt(sched_class_t *c, uint32_t cpu, const sched_task_t *curr, const sched_task_t *t)
{
    (void)c, (void)cpu;
    return t->prio > curr->prio;
}

static void rt_check(const sched_class_t *c, uint32_t cpu)
{
    const rt_rq_t *rq = sched_rq(c, cpu);
    const sched_task_t *curr = sched_curr(c->core, cpu);
    uint32_t n = curr && curr->cls == c->idx;
    for (int p = 0; p < RT_PRIOS; p++) {
        uint32_t k = tlist_count(c->core, &rq->q[p]);
        VL_ASSERT(!!k == !!(rq->bits[p >> 6] >> (p & 63) & 1));
        for (uint32_t id = rq->q[p].head; id != SCHED_NONE; id = sched_task(c->core, id)->next) {
            const sched_task_t *t = sched_task(c->core, id);
            VL_ASSERT(t->prio == p && t->cpu == cpu && t->state == TS_RUNNABLE && t->cls == c->idx);
        }
        n += k;
    }
    VL_ASSERT(n == rq->nr);
}

const sched_class_ops_t sched_class_rt = {
    .name = "rt",
    .summary = "SCHED_FIFO and SCHED_RR, priorities 1..99 (POSIX sched(7); kernel/sched/rt.c)",
    .params = "rr-slice=100ms",
    .state_size = sizeof(rt_state_t),
    .rq_size = sizeof(rt_rq_t),
    .init = rt_init,
    .select_cpu = rt_select,
    .enqueue = rt_enqueue,
    .dequeue = rt_dequeue,
    .pick = rt_pick,
    .put_prev = rt_put_prev,
    .charge = rt_charge,
    .slice_left = rt_slice_left,
    .wakeup_preempt = rt_wakeup_preempt,
    .check = rt_check,
};
