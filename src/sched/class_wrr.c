/* SPDX-License-Identifier: MIT */
/*
 * class_wrr.c - SCHED_WRR, the weighted round robin of the kernel
 * scheduling lab (policy 7, between SCHED_RR/FIFO and SCHED_NORMAL), by the
 * lab's rules; docs/sched.md states each one, since a kernel implementation
 * (branch klab) is compared against this file.
 *
 *   slice      a task's time slice is weight x base (base 10 ms, weight 1..20,
 *              default 10); when it is used up the task gets a new one and
 *              goes to the tail of its run queue (round robin).
 *   placement  a new or woken task goes to the allowed CPU with the least
 *              total weight of runnable WRR tasks (the running one counts);
 *              ties: the CPU with more runnable WRR tasks of the task's thread
 *              group (tie=group, default), then the lowest CPU id
 *              (tie=lowest skips the group rule).
 *   balance    every period (2000 ms; 0 = never) one task moves from the most
 *              loaded CPU to the least loaded one (ties: lowest id), never
 *              the running task, and only if it does not reverse the
 *              imbalance: 2 x weight <= max - min.  Among the eligible the
 *              heaviest moves, the one nearest the queue's head among equals.
 *   refill     refill=used (default): a slice is refilled only when used up;
 *              a task that sleeps or is preempted keeps the rest of it.
 *              refill=wake: a woken task also starts a fresh slice.
 *   reweight   reweight=keep (default): a weight change leaves the current
 *              slice alone (the new weight sets the next slice);
 *              reweight=now: the current slice restarts at the new length.
 *   free-cpu   free-cpu=N keeps CPU N free of WRR tasks (unless a task's
 *              affinity allows no other CPU); default none.
 *   idle pull  idle-pull=1 (default): when a CPU's running WRR task blocks or
 *              exits and leaves no WRR task there, the CPU pulls, before it
 *              picks, the heaviest queued (not running) WRR task allowed on
 *              it from the CPU with the greatest total weight among those
 *              with at least two (ties: lowest id; among equally heavy tasks
 *              the one nearest the queue's head), as the kernel lab's
 *              wrr_pull does (kernel/patches/0002).  Never onto free-cpu.
 * Preemption: WRR tasks never preempt each other; any RT task preempts them,
 * and they preempt any CFS task (class order in the core).
 *
 * Data: per CPU a FIFO list (tlist), the count and the total weight; a
 * tournament tree over CPUs of total weight (least-weight CPU in O(1),
 * updates O(log n)); a hash map (group, CPU) -> runnable members for the tie
 * rule, with (group, TOTAL) -> members anywhere, so that a task whose group
 * has no runnable member (the common case) costs no tie scan.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/hashmap.h"
#include "sched/cpu_tree.h"
#include "sched/sched_class.h"
#include "sched/tlist.h"
#include "vmlab/check.h"

#define WRR_GROUP_TOTAL 2047u /* the CPU field of a group's total key */

typedef struct wrr_rq {
    tlist_t q;       /* queued tasks, head runs next */
    uint32_t nr;     /* WRR tasks on this CPU, running one included */
    uint64_t weight; /* their total weight */
    int emptied;     /* its running task left and nr fell to 0: pull at the next pick */
} wrr_rq_t;

typedef struct wrr_state {
    uint64_t base;     /* ns of slice per unit of weight */
    uint64_t free_cpu; /* the CPU kept free of WRR tasks, or SCHED_NONE */
    unsigned tie;      /* 0 group, 1 lowest */
    unsigned refill;   /* 0 used, 1 wake */
    unsigned reweight; /* 0 keep, 1 now */
    unsigned idle_pull; /* 1: pull when the running task leaves an empty CPU */
    cpu_tree_t tree;   /* total weight per CPU (CPU_TREE_NONE: free CPU) */
    vl_map_t groups;   /* group << 11 | cpu -> runnable members */
    uint32_t *ties;    /* scratch for cpu_tree_ties, ncpus entries */
} wrr_state_t;

static int wrr_init(sched_class_t *c, sched_params_t *ps, diag_t *d)
{
    wrr_state_t *s = c->state;
    uint64_t period;
    int rc;
    if ((rc = sched_param_time(ps, "wrr", "base", 10 * SCHED_NS_PER_MS, 1000, 1000 * SCHED_NS_PER_MS, &s->base, d)) ||
        (rc = sched_param_time(ps, "wrr", "period", 2000 * SCHED_NS_PER_MS, 0, 3600000 * SCHED_NS_PER_MS, &period,
                               d)) ||
        (rc = sched_param_word(ps, "wrr", "tie", "group|lowest", 0, &s->tie, d)) ||
        (rc = sched_param_word(ps, "wrr", "refill", "used|wake", 0, &s->refill, d)) ||
        (rc = sched_param_word(ps, "wrr", "reweight", "keep|now", 0, &s->reweight, d)) ||
        (rc = sched_param_u64(ps, "wrr", "free-cpu", SCHED_NONE, 0, SCHED_MAX_CPUS - 1, &s->free_cpu, d)) ||
        (rc = sched_param_word(ps, "wrr", "idle-pull", "1|0", 0, &s->idle_pull, d)))
        return rc;
    s->idle_pull = !s->idle_pull; /* index 0 is "1" */
    c->period = period; /* 0: never */
    if (s->free_cpu != SCHED_NONE && (s->free_cpu >= c->ncpus || c->ncpus == 1))
        return diag_set(d, NULL, 0, EINVAL, "wrr: free-cpu=%u needs another CPU (expected a CPU below %u, "
                        "with at least 2 CPUs)", (unsigned)s->free_cpu, c->ncpus);
    s->ties = malloc(c->ncpus * sizeof *s->ties);
    if (!s->ties || cpu_tree_init(&s->tree, c->ncpus, 0))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    if (s->free_cpu != SCHED_NONE)
        cpu_tree_set(&s->tree, (uint32_t)s->free_cpu, CPU_TREE_NONE);
    for (uint32_t cpu = 0; cpu < c->ncpus; cpu++)
        tlist_init(&((wrr_rq_t *)sched_rq(c, cpu))->q);
    return 0;
}

static void wrr_destroy(sched_class_t *c)
{
    wrr_state_t *s = c->state;
    cpu_tree_free(&s->tree);
    vl_map_free(&s->groups);
    free(s->ties);
}

static uint64_t gkey(uint64_t group, uint32_t cpu) { return group << 11 | cpu; }

static uint64_t group_count(const wrr_state_t *s, uint64_t group, uint32_t cpu)
{
    const uint64_t *v = vl_map_get(&s->groups, gkey(group, cpu));
    return v ? *v : 0;
}

static void group_add(wrr_state_t *s, uint64_t group, uint32_t cpu, int delta)
{
    uint64_t keys[2] = {gkey(group, cpu), gkey(group, WRR_GROUP_TOTAL)};
    for (int i = 0; i < 2; i++) {
        uint64_t *v = vl_map_slot(&s->groups, keys[i], 0, NULL);
        VL_ASSERT(v); /* growing the map failed: out of memory */
        *v += (uint64_t)(int64_t)delta;
        if (*v == 0)
            vl_map_del(&s->groups, keys[i], NULL);
    }
}

static void rq_weight(sched_class_t *c, uint32_t cpu, uint64_t w)
{
    wrr_state_t *s = c->state;
    ((wrr_rq_t *)sched_rq(c, cpu))->weight = w;
    if (cpu != s->free_cpu)
        cpu_tree_set(&s->tree, cpu, w);
}

/* The CPU for t: least total weight, then more members of t's group, then lowest id. */
static uint32_t wrr_select(sched_class_t *c, sched_task_t *t, int flags)
{
    wrr_state_t *s = c->state;
    (void)flags;
    int use_group = s->tie == 0 && group_count(s, t->group, WRR_GROUP_TOTAL) > 0;
    if (!t->affinity) {
        if (!use_group)
            return cpu_tree_argmin(&s->tree);
        uint32_t n = cpu_tree_ties(&s->tree, s->ties), best = s->ties[0];
        uint64_t best_g = group_count(s, t->group, best);
        for (uint32_t i = 1; i < n; i++) {
            uint64_t g = group_count(s, t->group, s->ties[i]);
            if (g > best_g) {
                best_g = g;
                best = s->ties[i];
            }
        }
        return best;
    }
    /* Restricted affinity: scan the allowed CPUs (the free CPU only if no other). */
    uint32_t best = SCHED_NONE, fallback = SCHED_NONE;
    uint64_t best_w = 0, best_g = 0;
    for (uint32_t cpu = 0; cpu < c->ncpus; cpu++) {
        if (!sched_allowed(t, cpu))
            continue;
        if (cpu == s->free_cpu) {
            fallback = cpu;
            continue;
        }
        uint64_t w = ((wrr_rq_t *)sched_rq(c, cpu))->weight;
        uint64_t g = use_group ? group_count(s, t->group, cpu) : 0;
        if (best == SCHED_NONE || w < best_w || (w == best_w && g > best_g)) {
            best = cpu;
            best_w = w;
            best_g = g;
        }
    }
    return best != SCHED_NONE ? best : fallback;
}

static void wrr_enqueue(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags)
{
    wrr_state_t *s = c->state;
    wrr_rq_t *rq = sched_rq(c, cpu);
    if ((flags & SCHED_ENQ_NEW) || t->slice == 0 || ((flags & SCHED_ENQ_WAKE) && s->refill == 1))
        t->slice = t->weight * s->base;
    tlist_add_tail(c->core, &rq->q, t);
    rq->nr++;
    rq_weight(c, cpu, rq->weight + t->weight);
    group_add(s, t->group, cpu, 1);
}

static void wrr_dequeue(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags)
{
    wrr_state_t *s = c->state;
    wrr_rq_t *rq = sched_rq(c, cpu);
    if (!(flags & SCHED_DEQ_RUNNING))
        tlist_del(c->core, &rq->q, t);
    rq->nr--;
    if ((flags & SCHED_DEQ_RUNNING) && rq->nr == 0 && s->idle_pull)
        rq->emptied = 1;
    rq_weight(c, cpu, rq->weight - t->weight);
    group_add(s, t->group, cpu, -1);
}

static sched_task_t *wrr_pick(sched_class_t *c, uint32_t cpu)
{
    wrr_rq_t *rq = sched_rq(c, cpu);
    if (rq->q.head == SCHED_NONE)
        return NULL;
    sched_task_t *t = sched_task(c->core, rq->q.head);
    tlist_del(c->core, &rq->q, t);
    return t;
}

static void wrr_put_prev(sched_class_t *c, uint32_t cpu, sched_task_t *t)
{
    wrr_state_t *s = c->state;
    wrr_rq_t *rq = sched_rq(c, cpu);
    if (t->slice == 0) { /* used up: a new slice at the tail */
        t->slice = t->weight * s->base;
        tlist_add_tail(c->core, &rq->q, t);
    } else { /* preempted by a higher class: first again, slice kept */
        tlist_add_head(c->core, &rq->q, t);
    }
}

static void wrr_charge(sched_class_t *c, uint32_t cpu, sched_task_t *t, uint64_t delta)
{
    (void)c, (void)cpu;
    t->slice -= delta < t->slice ? delta : t->slice;
}

static uint64_t wrr_slice_left(sched_class_t *c, uint32_t cpu, const sched_task_t *t)
{
    (void)c, (void)cpu;
    return t->slice;
}

static int wrr_wakeup_preempt(sched_class_t *c, uint32_t cpu, const sched_task_t *curr, const sched_task_t *t)
{
    (void)c, (void)cpu, (void)curr, (void)t;
    return 0;
}

static void wrr_reweight(sched_class_t *c, sched_task_t *t, uint32_t weight, int nice)
{
    wrr_state_t *s = c->state;
    wrr_rq_t *rq = sched_rq(c, t->cpu);
    (void)nice;
    rq_weight(c, t->cpu, rq->weight - t->weight + weight);
    t->weight = weight;
    if (s->reweight == 1)
        t->slice = weight * s->base;
}

static uint64_t wrr_total_weight(const sched_class_t *c, uint32_t cpu)
{
    return ((const wrr_rq_t *)sched_rq(c, cpu))->weight;
}

static void wrr_balance(sched_class_t *c)
{
    wrr_state_t *s = c->state;
    uint32_t hi = SCHED_NONE, lo = SCHED_NONE;
    uint64_t hw = 0, lw = 0;
    for (uint32_t cpu = 0; cpu < c->ncpus; cpu++) {
        if (cpu == s->free_cpu)
            continue;
        uint64_t w = ((wrr_rq_t *)sched_rq(c, cpu))->weight;
        if (hi == SCHED_NONE || w > hw)
            hi = cpu, hw = w;
        if (lo == SCHED_NONE || w < lw)
            lo = cpu, lw = w;
    }
    if (hi == SCHED_NONE || hw <= lw)
        return;
    wrr_rq_t *rq = sched_rq(c, hi);
    sched_task_t *best = NULL;
    for (uint32_t id = rq->q.head; id != SCHED_NONE;) {
        sched_task_t *t = sched_task(c->core, id);
        id = t->next;
        if (2 * (uint64_t)t->weight <= hw - lw && sched_allowed(t, lo) && (!best || t->weight > best->weight))
            best = t;
    }
    if (best) {
        sched_migrate(c->core, best, lo);
        sched_count_balance(c->core);
    }
}

/* Idle pull (see the top): cpu's running WRR task left it with none. */
static void wrr_pull(sched_class_t *c, uint32_t cpu)
{
    wrr_state_t *s = c->state;
    wrr_rq_t *rq = sched_rq(c, cpu);
    if (!rq->emptied)
        return;
    rq->emptied = 0;
    if (rq->nr != 0 || cpu == s->free_cpu)
        return;
    uint32_t from = SCHED_NONE;
    uint64_t max = 0;
    for (uint32_t o = 0; o < c->ncpus; o++) {
        const wrr_rq_t *q = sched_rq(c, o);
        if (o != cpu && q->nr >= 2 && (from == SCHED_NONE || q->weight > max))
            from = o, max = q->weight;
    }
    if (from == SCHED_NONE)
        return;
    sched_task_t *best = NULL;
    for (uint32_t id = ((wrr_rq_t *)sched_rq(c, from))->q.head; id != SCHED_NONE;) {
        sched_task_t *t = sched_task(c->core, id);
        id = t->next;
        if (sched_allowed(t, cpu) && (!best || t->weight > best->weight))
            best = t;
    }
    if (best) {
        sched_migrate(c->core, best, cpu);
        sched_count_balance(c->core);
    }
}

static void wrr_check(const sched_class_t *c, uint32_t cpu)
{
    const wrr_state_t *s = c->state;
    const wrr_rq_t *rq = sched_rq(c, cpu);
    const sched_task_t *curr = sched_curr(c->core, cpu);
    uint32_t n = tlist_count(c->core, &rq->q);
    uint64_t w = 0;
    for (uint32_t id = rq->q.head; id != SCHED_NONE; id = sched_task(c->core, id)->next) {
        const sched_task_t *t = sched_task(c->core, id);
        VL_ASSERT(t->cpu == cpu && t->state == TS_RUNNABLE && t->cls == c->idx && t->slice > 0);
        w += t->weight;
    }
    if (curr && curr->cls == c->idx) {
        n++;
        w += curr->weight;
    }
    VL_ASSERT(n == rq->nr && w == rq->weight); /* totals = sum over the queue */
    VL_ASSERT(cpu_tree_get(&s->tree, cpu) == (cpu == s->free_cpu ? CPU_TREE_NONE : w));
    if (cpu == 0)
        cpu_tree_check(&s->tree);
}

const sched_class_ops_t sched_class_wrr = {
    .name = "wrr",
    .summary = "the kernel lab's weighted round robin: slice = weight x 10 ms, least-weight placement, "
               "periodic balancing (docs/sched.md)",
    .params = "base=10ms,period=2000ms,tie=group|lowest,refill=used|wake,reweight=keep|now,free-cpu=N,"
              "idle-pull=1|0",
    .state_size = sizeof(wrr_state_t),
    .rq_size = sizeof(wrr_rq_t),
    .init = wrr_init,
    .destroy = wrr_destroy,
    .select_cpu = wrr_select,
    .enqueue = wrr_enqueue,
    .dequeue = wrr_dequeue,
    .pick = wrr_pick,
    .put_prev = wrr_put_prev,
    .charge = wrr_charge,
    .slice_left = wrr_slice_left,
    .wakeup_preempt = wrr_wakeup_preempt,
    .reweight = wrr_reweight,
    .total_weight = wrr_total_weight,
    .periodic = wrr_balance,
    .balance = wrr_pull,
    .check = wrr_check,
};
