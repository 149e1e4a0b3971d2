/* SPDX-License-Identifier: MIT */
/*
 * sched_core.c - the discrete-event core of vmlab sched.
 *
 * Time advances from event to event (no ticks): an event heap ordered by
 * (time, kind, sequence) holds CPU timers (the running task's burst ends or
 * its class's slice runs out), arrivals and wake-ups, timed weight changes,
 * the classes' periodic work (WRR balancing) and weight samples.  All events
 * of one instant are applied first; then every CPU they touched either
 * reschedules (the kernel's schedule(): put_prev, then the first class in
 * priority order whose pick returns a task) or only re-arms its timer (a
 * class's slice may depend on its queue, as CFS's does).  Timers are
 * cancelled lazily: each carries its CPU's generation, and a stale one is
 * dropped when popped.  So every operation is O(log events) plus the class's
 * own run-queue cost, and no CPU is ever scanned per event.
 *
 * Fair share: each (CPU, class) keeps V = integral of dt / W(t), W the
 * class's total weight on the CPU; a task on that queue from V0 to V1 with
 * weight w was entitled to w * (V1 - V0) ns of CPU (generalised processor
 * sharing, Parekh and Gallager, IEEE/ACM ToN 1(3), 1993).  For WRR over whole
 * rounds this equals its CPU time exactly (tests/test_sched.c).
 *
 * Invariants (sched_check, after every event in debug builds): each CPU runs
 * at most one task and a RUNNING task is the current task of exactly its CPU;
 * per CPU, nr = the tasks RUNNABLE or RUNNING on it; every class's run queue
 * passes its own check.  After each instant's rescheduling (debug builds, and
 * sched_config_t.check): every waiting task's CPU runs a task of its class or
 * a higher one (RT: of its priority or higher), so RT preempts WRR preempts CFS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "sched/cpu_tree.h"
#include "sched/sched_class.h"
#include "sched/workload.h"
#include "vmlab/check.h"
#include "vmlab/parse.h"

enum { EV_TIMER = 0, EV_WAKE = 1, EV_CHANGE = 2, EV_PERIODIC = 3, EV_SAMPLE = 4 };

typedef struct sched_event {
    uint64_t t;   /* when, ns */
    uint64_t ord; /* kind << 56 | sequence: ties at one instant go by kind, then push order */
    uint32_t arg; /* CPU (timer), task (wake), change index, class (periodic) */
    uint32_t gen; /* timer: the CPU's generation when armed */
} sched_event_t;

typedef struct sched_cpu {
    uint32_t curr;        /* running task id, SCHED_NONE when idle */
    uint32_t gen;         /* timer generation: a popped timer with another gen is stale */
    uint32_t nr;          /* runnable tasks on it, running one included, all classes */
    uint8_t touched;      /* in the touched list of this instant */
    uint8_t need_resched; /* must reschedule (not only re-arm) at the end of the instant */
    uint64_t run_start;   /* when curr was last charged */
    uint64_t seg_start;   /* when curr was dispatched (Gantt segment start) */
    uint64_t busy_ns;     /* time running tasks */
    uint64_t switches;    /* dispatches of a different task */
    double v[SCHED_NCLASSES];  /* fair-share integrals, one per class */
    uint64_t vt[SCHED_NCLASSES]; /* when each v was last advanced */
} sched_cpu_t;

#define CHUNK_BITS 12
#define CHUNK (1u << CHUNK_BITS)

struct sched_core {
    const sched_config_t *cfg;
    const sched_workload_t *w;
    unsigned ncpus;
    uint64_t now;
    sched_cpu_t *cpu;
    sched_class_t cls[SCHED_NCLASSES];
    VL_VEC(sched_task_t *) chunks; /* tasks in chunks of CHUNK, so pointers stay valid */
    uint32_t ntasks;
    VL_VEC(sched_event_t) heap;    /* binary min-heap */
    uint64_t seq;                  /* events pushed */
    VL_VEC(uint32_t) touched;      /* CPUs touched in this instant */
    uint64_t remaining;            /* tasks the run waits for, not yet exited */
    uint64_t alive;                /* tasks created and not yet exited, daemons included */
    int daemons_count;             /* the workload has no non-daemon task: wait for all */
    cpu_tree_t nr_tree;            /* nr per CPU, for the least-loaded CPU in O(1) */
    uint64_t events, balance_moves;
    uint64_t sample_ns;
    size_t nsamples;
    uint64_t *sample_t;            /* SCHED_MAX_SAMPLES times */
    uint32_t *samples;             /* SCHED_MAX_SAMPLES x ncpus WRR weights */
    VL_VEC(sched_segment_t) seg;
    uint64_t seg_dropped, max_seg;
    int err;                       /* -ENOMEM or -E2BIG met inside a hook */
};

/* ---- small helpers ---------------------------------------------------------- */

uint64_t sched_now(const sched_core_t *k) { return k->now; }

sched_task_t *sched_task(const sched_core_t *k, uint32_t id)
{
    return k->chunks.v[id >> CHUNK_BITS] + (id & (CHUNK - 1));
}

sched_task_t *sched_curr(const sched_core_t *k, uint32_t cpu)
{
    uint32_t c = k->cpu[cpu].curr;
    return c == SCHED_NONE ? NULL : sched_task(k, c);
}

uint32_t sched_nr_running(const sched_core_t *k, uint32_t cpu) { return k->cpu[cpu].nr; }

uint32_t sched_least_loaded(const sched_core_t *k) { return cpu_tree_argmin(&k->nr_tree); }

static void nr_add(sched_core_t *k, uint32_t cpu, int delta)
{
    k->cpu[cpu].nr += (uint32_t)delta;
    cpu_tree_set(&k->nr_tree, cpu, k->cpu[cpu].nr);
}

void sched_count_balance(sched_core_t *k) { k->balance_moves++; }

static int ev_less(const sched_event_t *a, const sched_event_t *b)
{
    return a->t < b->t || (a->t == b->t && a->ord < b->ord);
}

static void ev_push(sched_core_t *k, uint64_t t, int kind, uint32_t arg, uint32_t gen)
{
    sched_event_t e = {.t = t, .ord = (uint64_t)kind << 56 | k->seq++, .arg = arg, .gen = gen};
    if (vl_vec_push(&k->heap, e)) {
        k->err = -ENOMEM;
        return;
    }
    sched_event_t *h = k->heap.v;
    size_t i = k->heap.n - 1;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ev_less(&e, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static sched_event_t ev_pop(sched_core_t *k)
{
    sched_event_t *h = k->heap.v, top = h[0], last = h[--k->heap.n];
    size_t n = k->heap.n, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ev_less(&h[c + 1], &h[c]))
            c++;
        if (!ev_less(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (n)
        h[i] = last;
    return top;
}

static void touch(sched_core_t *k, uint32_t cpu, int resched)
{
    sched_cpu_t *c = &k->cpu[cpu];
    if (!c->touched) {
        c->touched = 1;
        if (vl_vec_push(&k->touched, cpu))
            k->err = -ENOMEM;
    }
    c->need_resched |= (uint8_t)resched;
}

/* Charge the running task of cpu up to now. */
static void update_curr(sched_core_t *k, uint32_t cpu)
{
    sched_cpu_t *c = &k->cpu[cpu];
    uint64_t delta = k->now - c->run_start;
    c->run_start = k->now;
    if (c->curr == SCHED_NONE || delta == 0)
        return;
    sched_task_t *t = sched_task(k, c->curr);
    k->cls[t->cls].ops->charge(&k->cls[t->cls], cpu, t, delta);
    t->exec_sum += delta;
    c->busy_ns += delta;
    if (t->left != SCHED_FOREVER)
        t->left -= delta < t->left ? delta : t->left;
}

/* Advance the fair-share integral of (cpu, class) to now, before its total
 * weight changes. */
static void share_advance(sched_core_t *k, uint32_t cpu, unsigned cls)
{
    sched_cpu_t *c = &k->cpu[cpu];
    const sched_class_t *sc = &k->cls[cls];
    if (sc->ops->total_weight) {
        uint64_t W = sc->ops->total_weight(sc, cpu);
        if (W)
            c->v[cls] += (double)(k->now - c->vt[cls]) / (double)W;
    }
    c->vt[cls] = k->now;
}

/* Close t's fair-share stretch on its CPU (before it leaves or reweights). */
static void share_close(sched_core_t *k, sched_task_t *t)
{
    t->fair_ns += (double)t->weight * (k->cpu[t->cpu].v[t->cls] - t->vshare);
    t->vshare = k->cpu[t->cpu].v[t->cls];
}

static void seg_close(sched_core_t *k, uint32_t cpu)
{
    sched_cpu_t *c = &k->cpu[cpu];
    if (!k->cfg->segments || c->curr == SCHED_NONE || k->now == c->seg_start)
        return;
    if (k->seg.n >= k->max_seg) {
        k->seg_dropped++;
        return;
    }
    sched_segment_t s = {.start = c->seg_start, .end = k->now, .task = c->curr, .cpu = cpu};
    if (vl_vec_push(&k->seg, s))
        k->err = -ENOMEM;
}

/* ---- tasks ------------------------------------------------------------------- */

static int policy_class(uint8_t p)
{
    return p <= SCHED_P_RR ? SCHED_CLASS_RT : p == SCHED_P_WRR ? SCHED_CLASS_WRR : SCHED_CLASS_CFS;
}

/* A new task from template tm, parent NULL for the workload's own. */
static sched_task_t *task_new(sched_core_t *k, uint32_t tm, uint32_t copy, const sched_task_t *parent,
                              int thread)
{
    const sched_tmpl_t *tp = &k->w->tmpl.v[tm];
    if (k->ntasks >= SCHED_MAX_TASKS) {
        k->err = -E2BIG;
        return NULL;
    }
    if ((k->ntasks & (CHUNK - 1)) == 0) {
        sched_task_t *ch = malloc(CHUNK * sizeof *ch);
        if (!ch || vl_vec_push(&k->chunks, ch)) {
            free(ch);
            k->err = -ENOMEM;
            return NULL;
        }
    }
    uint32_t id = k->ntasks++;
    sched_task_t *t = sched_task(k, id);
    memset(t, 0, sizeof *t);
    t->id = id;
    t->tmpl = tm;
    t->copy = copy;
    t->cpu = SCHED_NONE;
    t->next = t->prev = t->pos = SCHED_NONE;
    t->first_run = UINT64_MAX;
    t->first_cpu = -1;
    t->daemon = tp->daemon;
    t->pc = tp->prog;
    if (parent && !tp->class_set) { /* fork: the child inherits the policy */
        t->policy = parent->policy;
        t->prio = parent->prio;
        t->nice = parent->nice;
        t->weight = parent->weight;
    } else {
        t->policy = tp->policy;
        t->prio = t->policy <= SCHED_P_RR ? tp->prio : 0;
        t->nice = tp->nice;
        t->weight = t->policy == SCHED_P_WRR ? tp->weight
                    : t->policy == SCHED_P_CFS ? sched_prio_to_weight[tp->nice + 20] : 0;
    }
    t->cls = (uint8_t)policy_class(t->policy);
    if (tp->group_set)
        t->group = tp->group;
    else if (thread && parent)
        t->group = parent->group;
    else
        t->group = SCHED_GROUP_FRESH + id;
    t->affinity = tp->mask == SCHED_NONE ? NULL : k->w->masks.v + (size_t)tp->mask * SCHED_MASK_WORDS;
    if (!t->daemon || k->daemons_count)
        k->remaining++;
    k->alive++;
    return t;
}

static void enqueue_on(sched_core_t *k, sched_task_t *t, uint32_t cpu, int flags)
{
    sched_class_t *c = &k->cls[t->cls];
    update_curr(k, cpu);
    share_advance(k, cpu, t->cls);
    if (t->first_cpu < 0)
        t->first_cpu = (int32_t)cpu;
    else if (t->cpu != cpu)
        t->migrations++;
    t->state = TS_RUNNABLE;
    t->since = k->now;
    c->ops->enqueue(c, cpu, t, flags); /* sees the old t->cpu (SCHED_NONE if new) */
    t->cpu = cpu;
    t->vshare = k->cpu[cpu].v[t->cls];
    nr_add(k, cpu, 1);
    sched_task_t *curr = sched_curr(k, cpu);
    int pre = !curr || t->cls < curr->cls ||
              (t->cls == curr->cls && c->ops->wakeup_preempt(c, cpu, curr, t));
    touch(k, cpu, pre);
}

/* t (runnable, queued, not running) leaves cpu's queue. */
static void dequeue_from(sched_core_t *k, sched_task_t *t, int flags)
{
    uint32_t cpu = t->cpu;
    sched_class_t *c = &k->cls[t->cls];
    update_curr(k, cpu);
    share_advance(k, cpu, t->cls);
    share_close(k, t);
    c->ops->dequeue(c, cpu, t, flags);
    nr_add(k, cpu, -1);
    touch(k, cpu, 0);
}

void sched_migrate(sched_core_t *k, sched_task_t *t, uint32_t dst)
{
    VL_ASSERT(t->state == TS_RUNNABLE && dst < k->ncpus);
    dequeue_from(k, t, SCHED_DEQ_MIGRATE);
    t->wait_ns += k->now - t->since;
    enqueue_on(k, t, dst, SCHED_ENQ_MIGRATE);
}

/* Follow t's program (forks, loops) up to its next RUN (t->left set), SLEEP
 * (*ns its length) or EXIT; returns which.  Task pointers stay valid (chunks). */
static int prog_next(sched_core_t *k, sched_task_t *t, uint64_t *ns)
{
    const sched_op_t *ops = k->w->ops.v;
    for (;;) {
        const sched_op_t *op = &ops[t->pc];
        switch (op->kind) {
        case OP_RUN:
            t->pc++;
            t->left = op->n;
            return OP_RUN;
        case OP_SLEEP:
            t->pc++;
            *ns = op->n;
            return OP_SLEEP;
        case OP_EXIT:
            return OP_EXIT;
        case OP_FORK:
        case OP_THREAD: {
            t->pc++;
            sched_task_t *child = task_new(k, op->arg, 0, t, op->kind == OP_THREAD);
            if (!child)
                return OP_EXIT; /* k->err is set: the run stops */
            child->copy = child->id + 1; /* forks are told apart by id */
            ev_push(k, k->now, EV_WAKE, child->id, 0);
            break;
        }
        case OP_LOOP:
            VL_ASSERT(t->depth < SCHED_LOOP_DEPTH);
            t->loops[t->depth++] = op->n;
            t->pc++;
            break;
        case OP_END: {
            uint64_t *n = &t->loops[t->depth - 1];
            if (*n != SCHED_FOREVER)
                --*n;
            if (*n) {
                t->pc = op->arg + 1;
            } else {
                t->depth--;
                t->pc++;
            }
            break;
        }
        default:
            VL_ASSERT(0);
        }
    }
}

/* t, on no run queue, sleeps for ns or exits now. */
static void task_block(sched_core_t *k, sched_task_t *t, int kind, uint64_t ns)
{
    t->since = k->now;
    if (kind == OP_SLEEP) {
        t->state = TS_SLEEPING;
        ev_push(k, k->now + ns, EV_WAKE, t->id, 0);
    } else {
        t->state = TS_DONE;
        t->finish = k->now;
        if (!t->daemon || k->daemons_count)
            k->remaining--;
        k->alive--;
    }
}

/* Arrival (NEW) or wake-up (SLEEPING) of t now. */
static void task_wake(sched_core_t *k, sched_task_t *t)
{
    sched_class_t *c = &k->cls[t->cls];
    int flags;
    uint64_t ns = 0;
    if (t->state == TS_NEW) {
        t->arrive = k->now;
        flags = SCHED_ENQ_NEW;
    } else {
        VL_ASSERT(t->state == TS_SLEEPING);
        t->sleep_ns += k->now - t->since;
        flags = SCHED_ENQ_WAKE;
    }
    int kind = prog_next(k, t, &ns);
    if (kind != OP_RUN) { /* sleeps or ends before it runs */
        task_block(k, t, kind, ns);
        return;
    }
    uint32_t cpu = c->ops->select_cpu(c, t, flags);
    VL_ASSERT(cpu < k->ncpus && sched_allowed(t, cpu));
    enqueue_on(k, t, cpu, flags);
}

/* The running task t of cpu finished its run op: follow its program to the
 * next run (it keeps the CPU), a sleep or its exit. */
static void task_advance(sched_core_t *k, uint32_t cpu, sched_task_t *t)
{
    uint64_t ns = 0;
    int kind = prog_next(k, t, &ns);
    if (kind == OP_RUN)
        return;
    sched_class_t *c = &k->cls[t->cls];
    share_advance(k, cpu, t->cls);
    share_close(k, t);
    c->ops->dequeue(c, cpu, t, (kind == OP_SLEEP ? SCHED_DEQ_SLEEP : SCHED_DEQ_EXIT) | SCHED_DEQ_RUNNING);
    seg_close(k, cpu);
    k->cpu[cpu].curr = SCHED_NONE;
    nr_add(k, cpu, -1);
    t->nvcsw++;
    touch(k, cpu, 1);
    task_block(k, t, kind, ns);
}

/* ---- CPUs ---------------------------------------------------------------------- */

static void rearm(sched_core_t *k, uint32_t cpu)
{
    sched_cpu_t *c = &k->cpu[cpu];
    c->gen++;
    if (c->curr == SCHED_NONE)
        return;
    sched_task_t *t = sched_task(k, c->curr);
    sched_class_t *sc = &k->cls[t->cls];
    uint64_t until = sc->ops->slice_left(sc, cpu, t);
    if (t->left < until)
        until = t->left;
    if (until == UINT64_MAX)
        return;
    ev_push(k, k->now + (until ? until : 1), EV_TIMER, cpu, c->gen);
}

static void resched(sched_core_t *k, uint32_t cpu)
{
    sched_cpu_t *c = &k->cpu[cpu];
    sched_task_t *prev = sched_curr(k, cpu), *next = NULL;
    update_curr(k, cpu);
    if (prev)
        k->cls[prev->cls].ops->put_prev(&k->cls[prev->cls], cpu, prev);
    for (unsigned i = 0; i < SCHED_NCLASSES; i++)
        if (k->cls[i].ops->balance)
            k->cls[i].ops->balance(&k->cls[i], cpu);
    for (int pass = 0; pass < 2 && !next; pass++) {
        for (unsigned i = 0; i < SCHED_NCLASSES && !next; i++)
            next = k->cls[i].ops->pick(&k->cls[i], cpu);
        for (unsigned i = 0; i < SCHED_NCLASSES && !next && pass == 0 && !prev; i++)
            if (k->cls[i].ops->idle)
                k->cls[i].ops->idle(&k->cls[i], cpu);
    }
    if (next != prev) {
        seg_close(k, cpu);
        if (prev) {
            prev->state = TS_RUNNABLE;
            prev->since = k->now;
            prev->nivcsw++;
        }
        if (next) {
            next->state = TS_RUNNING;
            next->wait_ns += k->now - next->since;
            next->since = k->now;
            if (next->first_run == UINT64_MAX)
                next->first_run = k->now;
            c->switches++;
        }
        c->curr = next ? next->id : SCHED_NONE;
        c->seg_start = k->now;
    }
    rearm(k, cpu);
}

/* The timer of cpu fired: its task's run op or its slice is over. */
static void cpu_timer(sched_core_t *k, uint32_t cpu)
{
    sched_task_t *t = sched_curr(k, cpu);
    update_curr(k, cpu);
    if (!t)
        return;
    if (t->left == 0)
        task_advance(k, cpu, t);
    t = sched_curr(k, cpu);
    if (t) {
        sched_class_t *sc = &k->cls[t->cls];
        touch(k, cpu, sc->ops->slice_left(sc, cpu, t) == 0);
    }
}

static void apply_change(sched_core_t *k, const sched_change_t *ch)
{
    for (uint32_t id = 0; id < k->ntasks; id++) {
        sched_task_t *t = sched_task(k, id);
        if (t->tmpl != ch->tmpl || t->state == TS_DONE)
            continue;
        int queued = t->state == TS_RUNNABLE || t->state == TS_RUNNING;
        sched_class_t *c = &k->cls[t->cls];
        if (ch->what == 3) { /* wider affinity: placement and balancing see it */
            t->affinity = k->w->masks.v + (size_t)ch->value * SCHED_MASK_WORDS;
            continue;
        }
        if (ch->what == 2) { /* RT priority: requeue in its new list */
            if (t->state == TS_RUNNABLE) {
                c->ops->dequeue(c, t->cpu, t, 0);
                t->prio = (uint8_t)ch->value;
                c->ops->enqueue(c, t->cpu, t, 0);
            } else {
                t->prio = (uint8_t)ch->value;
            }
            if (queued)
                touch(k, t->cpu, 1);
            continue;
        }
        uint32_t weight = ch->what == 0 ? (uint32_t)ch->value : sched_prio_to_weight[ch->value + 20];
        int nice = ch->what == 1 ? ch->value : t->nice;
        if (!queued) {
            t->weight = weight;
            t->nice = (int8_t)nice;
            continue;
        }
        update_curr(k, t->cpu);
        share_advance(k, t->cpu, t->cls);
        share_close(k, t);
        c->ops->reweight(c, t, weight, nice);
        touch(k, t->cpu, 0);
    }
}

static void take_sample(sched_core_t *k)
{
    if (k->nsamples == SCHED_MAX_SAMPLES) { /* keep every other one: the period doubles */
        for (size_t i = 0; i < SCHED_MAX_SAMPLES / 2; i++) {
            k->sample_t[i] = k->sample_t[2 * i];
            memcpy(k->samples + i * k->ncpus, k->samples + 2 * i * k->ncpus, k->ncpus * sizeof *k->samples);
        }
        k->nsamples = SCHED_MAX_SAMPLES / 2;
        k->sample_ns *= 2;
        if (k->now % k->sample_ns) /* this instant is not on the new grid */
            return;
    }
    const sched_class_t *w = &k->cls[SCHED_CLASS_WRR];
    k->sample_t[k->nsamples] = k->now;
    for (uint32_t c = 0; c < k->ncpus; c++)
        k->samples[k->nsamples * k->ncpus + c] = (uint32_t)w->ops->total_weight(w, c);
    k->nsamples++;
}

/* The structures agree (after every event); and once an instant's
 * rescheduling is done (settled), on every CPU the running task outranks
 * every waiting one (a waiting task of a higher class, or a higher RT
 * priority, would have preempted it; an idle CPU has nothing waiting). */
static void sched_check(const sched_core_t *k, int settled)
{
    uint32_t *nr = calloc(k->ncpus, sizeof *nr);
    uint32_t running = 0, busy = 0;
    VL_ASSERT(nr);
    for (uint32_t id = 0; id < k->ntasks; id++) {
        const sched_task_t *t = sched_task(k, id);
        if (t->state == TS_RUNNABLE || t->state == TS_RUNNING) {
            VL_ASSERT(t->cpu < k->ncpus && sched_allowed(t, t->cpu));
            nr[t->cpu]++;
        }
        if (t->state == TS_RUNNABLE && settled) {
            const sched_task_t *cur = sched_curr(k, t->cpu);
            VL_ASSERT(cur != NULL);            /* no idle CPU with waiting tasks */
            VL_ASSERT(cur->cls <= t->cls);     /* RT > WRR > CFS */
            VL_ASSERT(cur->cls != SCHED_CLASS_RT || t->cls != SCHED_CLASS_RT || cur->prio >= t->prio);
        }
        if (t->state == TS_RUNNING) {
            VL_ASSERT(k->cpu[t->cpu].curr == id); /* runs on exactly its CPU */
            running++;
        }
    }
    cpu_tree_check(&k->nr_tree);
    for (uint32_t c = 0; c < k->ncpus; c++) {
        VL_ASSERT(nr[c] == k->cpu[c].nr && cpu_tree_get(&k->nr_tree, c) == nr[c]);
        if (k->cpu[c].curr != SCHED_NONE) {
            busy++;
            VL_ASSERT(sched_task(k, k->cpu[c].curr)->state == TS_RUNNING);
        }
        for (unsigned i = 0; i < SCHED_NCLASSES; i++)
            if (k->cls[i].ops->check)
                k->cls[i].ops->check(&k->cls[i], c);
    }
    VL_ASSERT(running == busy); /* no task on two CPUs, no CPU with two tasks */
    free(nr);
}

/* ---- parameters ----------------------------------------------------------- */

static int params_parse(const char *cls, const char *spec, sched_params_t *ps, diag_t *d)
{
    memset(ps, 0, sizeof *ps);
    if (!spec)
        return 0;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ','), *e = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!eq || eq == p || (size_t)(eq - p) >= sizeof ps->key[0] || (size_t)(e - eq - 1) >= sizeof ps->val[0])
            return diag_set(d, NULL, 0, EINVAL, "%s: bad parameter '%.*s' (expected key=value,...)", cls,
                            (int)(e - p > 40 ? 40 : e - p), p);
        if (ps->n == SCHED_MAX_PARAMS)
            return diag_set(d, NULL, 0, EINVAL, "%s: too many parameters (expected at most %d)", cls,
                            SCHED_MAX_PARAMS);
        memcpy(ps->key[ps->n], p, (size_t)(eq - p));
        memcpy(ps->val[ps->n], eq + 1, (size_t)(e - eq - 1));
        ps->n++;
        p = comma ? comma + 1 : e;
    }
    return 0;
}

static int param_find(sched_params_t *ps, const char *key)
{
    for (unsigned i = 0; i < ps->n; i++)
        if (!strcmp(ps->key[i], key)) {
            ps->used[i] = 1;
            return (int)i;
        }
    return -1;
}

int sched_param_u64(sched_params_t *ps, const char *cls, const char *key, uint64_t def, uint64_t min,
                    uint64_t max, uint64_t *out, diag_t *d)
{
    int i = param_find(ps, key);
    *out = def;
    if (i < 0)
        return 0;
    if (parse_size(ps->val[i], out) || *out < min || *out > max)
        return diag_set(d, NULL, 0, EINVAL, "%s: %s=%s is out of range (expected %ju..%ju)", cls, key,
                        ps->val[i], (uintmax_t)min, (uintmax_t)max);
    return 0;
}

int sched_param_time(sched_params_t *ps, const char *cls, const char *key, uint64_t def, uint64_t min,
                     uint64_t max, uint64_t *out, diag_t *d)
{
    int i = param_find(ps, key);
    *out = def;
    if (i < 0)
        return 0;
    if (sched_parse_time(ps->val[i], strlen(ps->val[i]), out) || *out < min || *out > max)
        return diag_set(d, NULL, 0, EINVAL, "%s: %s=%s is not a time in range (expected %ju..%ju ms)", cls,
                        key, ps->val[i], (uintmax_t)(min / SCHED_NS_PER_MS), (uintmax_t)(max / SCHED_NS_PER_MS));
    return 0;
}

int sched_param_word(sched_params_t *ps, const char *cls, const char *key, const char *choices, unsigned def,
                     unsigned *out, diag_t *d)
{
    int i = param_find(ps, key);
    *out = def;
    if (i < 0)
        return 0;
    const char *p = choices;
    size_t len = strlen(ps->val[i]);
    for (unsigned k = 0;; k++) {
        const char *bar = strchr(p, '|'), *e = bar ? bar : p + strlen(p);
        if ((size_t)(e - p) == len && !memcmp(p, ps->val[i], len)) {
            *out = k;
            return 0;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return diag_set(d, NULL, 0, EINVAL, "%s: %s=%s is not allowed (expected one of %s)", cls, key, ps->val[i],
                    choices);
}

void sched_class_help(FILE *f)
{
    for (unsigned i = 0; sched_classes[i]; i++)
        fprintf(f, "  --%s %s\n      %s\n", sched_classes[i]->name, sched_classes[i]->params,
                sched_classes[i]->summary);
}

/* ---- the run ---------------------------------------------------------------- */

static void core_free(sched_core_t *k)
{
    for (unsigned i = 0; i < SCHED_NCLASSES; i++) {
        if (k->cls[i].ops && k->cls[i].ops->destroy && k->cls[i].state)
            k->cls[i].ops->destroy(&k->cls[i]);
        free(k->cls[i].state);
        free(k->cls[i].rq);
    }
    for (size_t i = 0; i < k->chunks.n; i++)
        free(k->chunks.v[i]);
    vl_vec_free(&k->chunks);
    vl_vec_free(&k->heap);
    vl_vec_free(&k->touched);
    vl_vec_free(&k->seg);
    free(k->cpu);
    cpu_tree_free(&k->nr_tree);
    free(k->sample_t);
    free(k->samples);
}

static int core_init(sched_core_t *k, const sched_config_t *cfg, const sched_workload_t *w, diag_t *d)
{
    memset(k, 0, sizeof *k);
    k->cfg = cfg;
    k->w = w;
    k->ncpus = cfg->ncpus;
    k->sample_ns = cfg->sample_ns ? cfg->sample_ns : 100 * SCHED_NS_PER_MS;
    k->max_seg = cfg->max_segments ? cfg->max_segments : 1000000;
    if (cfg->ncpus < 1 || cfg->ncpus > SCHED_MAX_CPUS)
        return diag_set(d, NULL, 0, EINVAL, "%u CPUs (expected 1..%d)", cfg->ncpus, SCHED_MAX_CPUS);
    k->cpu = calloc(k->ncpus, sizeof *k->cpu);
    k->sample_t = calloc(SCHED_MAX_SAMPLES, sizeof *k->sample_t);
    k->samples = calloc((size_t)SCHED_MAX_SAMPLES * k->ncpus, sizeof *k->samples);
    if (!k->cpu || !k->sample_t || !k->samples || cpu_tree_init(&k->nr_tree, k->ncpus, 0))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    for (uint32_t c = 0; c < k->ncpus; c++)
        k->cpu[c].curr = SCHED_NONE;
    for (unsigned i = 0; i < SCHED_NCLASSES; i++) {
        sched_class_t *c = &k->cls[i];
        const sched_class_ops_t *ops = sched_classes[i];
        sched_params_t ps;
        c->ops = ops;
        c->core = k;
        c->idx = i;
        c->ncpus = k->ncpus;
        c->state = calloc(1, ops->state_size ? ops->state_size : 1);
        c->rq = calloc(k->ncpus, ops->rq_size ? ops->rq_size : 1);
        if (!c->state || !c->rq)
            return diag_set(d, NULL, 0, ENOMEM, "out of memory");
        int rc = params_parse(ops->name, cfg->params[i], &ps, d);
        if (rc == 0)
            rc = ops->init(c, &ps, d);
        if (rc) {
            if (ops->destroy)
                ops->destroy(c);
            free(c->state);
            c->state = NULL;
            return rc;
        }
        for (unsigned j = 0; j < ps.n; j++)
            if (!ps.used[j])
                return diag_set(d, NULL, 0, EINVAL, "%s: unknown parameter '%s' (expected %s)", ops->name,
                                ps.key[j], ops->params);
    }
    return 0;
}

static int result_fill(sched_core_t *k, sched_result_t *r)
{
    memset(r, 0, sizeof *r);
    r->ncpus = k->ncpus;
    r->end_ns = k->now;
    r->events = k->events;
    r->balance_moves = k->balance_moves;
    r->ntasks = k->ntasks;
    r->tasks = calloc(k->ntasks ? k->ntasks : 1, sizeof *r->tasks);
    r->cpus = calloc(k->ncpus, sizeof *r->cpus);
    r->sample_ns = calloc(k->nsamples ? k->nsamples : 1, sizeof *r->sample_ns);
    if (!r->tasks || !r->cpus || !r->sample_ns)
        return -ENOMEM;
    static const char *const pname[] = {"fifo", "rr", "wrr", "cfs"};
    for (uint32_t id = 0; id < k->ntasks; id++) {
        sched_task_t *t = sched_task(k, id);
        sched_task_result_t *o = &r->tasks[id];
        const sched_tmpl_t *tp = &k->w->tmpl.v[t->tmpl];
        if (t->copy)
            snprintf(o->name, sizeof o->name, "%s.%u", tp->name, t->copy);
        else
            snprintf(o->name, sizeof o->name, "%s", tp->name);
        o->cls = pname[t->policy];
        o->weight = t->weight;
        o->nice = t->nice;
        o->prio = t->prio;
        o->group = t->group;
        o->daemon = t->daemon;
        o->finished = t->state == TS_DONE;
        o->arrive_ns = t->arrive;
        o->finish_ns = t->finish;
        o->first_run_ns = t->first_run;
        o->cpu_ns = t->exec_sum;
        o->wait_ns = t->wait_ns;
        o->sleep_ns = t->sleep_ns;
        o->fair_ns = t->fair_ns;
        o->migrations = t->migrations;
        o->nvcsw = t->nvcsw;
        o->nivcsw = t->nivcsw;
        o->first_cpu = t->first_cpu;
        o->last_cpu = t->cpu == SCHED_NONE ? -1 : (int)t->cpu;
    }
    double err = 0, rel = 0;
    size_t nrel = 0;
    for (size_t s = 0; s < k->nsamples; s++) {
        uint32_t *row = k->samples + s * k->ncpus, mx = 0, mn = UINT32_MAX;
        uint64_t sum = 0;
        for (uint32_t c = 0; c < k->ncpus; c++) {
            mx = row[c] > mx ? row[c] : mx;
            mn = row[c] < mn ? row[c] : mn;
            sum += row[c];
        }
        err += mx - mn;
        if (sum) {
            rel += (double)(mx - mn) / ((double)sum / k->ncpus);
            nrel++;
        }
    }
    r->balance_error = k->nsamples ? err / (double)k->nsamples : 0;
    r->balance_rel = nrel ? rel / (double)nrel : 0;
    r->nsamples = k->nsamples;
    memcpy(r->sample_ns, k->sample_t, k->nsamples * sizeof *r->sample_ns);
    for (uint32_t c = 0; c < k->ncpus; c++) {
        r->cpus[c].busy_ns = k->cpu[c].busy_ns;
        r->cpus[c].switches = k->cpu[c].switches;
        r->cpus[c].wrr_weight = calloc(k->nsamples ? k->nsamples : 1, sizeof(uint32_t));
        if (!r->cpus[c].wrr_weight)
            return -ENOMEM;
        for (size_t s = 0; s < k->nsamples; s++)
            r->cpus[c].wrr_weight[s] = k->samples[s * k->ncpus + c];
    }
    r->nsegments = k->seg.n;
    r->segments = k->seg.v;
    r->segments_dropped = k->seg_dropped;
    k->seg.v = NULL;
    k->seg.n = k->seg.cap = 0;
    return 0;
}

void sched_result_free(sched_result_t *r)
{
    if (r->cpus)
        for (unsigned c = 0; c < r->ncpus; c++)
            free(r->cpus[c].wrr_weight);
    free(r->cpus);
    free(r->tasks);
    free(r->sample_ns);
    free(r->segments);
    memset(r, 0, sizeof *r);
}

int sched_run(const sched_config_t *cfg, const sched_workload_t *w, sched_result_t *out, diag_t *d)
{
    sched_core_t k;
    char why[256];
    int rc;
    memset(out, 0, sizeof *out);
    if (!cfg->until_ns && !sched_workload_finite(w, why, sizeof why))
        return diag_set(d, w->path, 0, EINVAL, "the workload never ends: %s (expected --until MS to stop it)",
                        why);
    rc = core_init(&k, cfg, w, d);
    if (rc) {
        core_free(&k);
        return rc;
    }
    /* Affinity masks must name a simulated CPU. */
    for (size_t i = 0; i < w->tmpl.n; i++) {
        const sched_tmpl_t *tp = &w->tmpl.v[i];
        if (tp->mask == SCHED_NONE)
            continue;
        const uint64_t *m = w->masks.v + (size_t)tp->mask * SCHED_MASK_WORDS;
        int any = 0;
        for (uint32_t c = 0; c < k.ncpus && !any; c++)
            any = (m[c >> 6] >> (c & 63)) & 1;
        if (!any) {
            core_free(&k);
            return diag_set(d, w->path, tp->line, EINVAL, "task '%s': its affinity names no CPU below %u "
                            "(expected CPUs 0..%u)", tp->name, k.ncpus, k.ncpus - 1);
        }
    }
    k.daemons_count = 1;
    for (size_t i = 0; i < w->tmpl.n; i++)
        if (!w->tmpl.v[i].daemon)
            k.daemons_count = 0;
    for (uint32_t i = 0; i < w->tmpl.n && !k.err; i++) {
        const sched_tmpl_t *tp = &w->tmpl.v[i];
        for (uint64_t c = 0; !tp->on_fork && c < tp->count && !k.err; c++) {
            sched_task_t *t = task_new(&k, i, tp->count > 1 ? (uint32_t)(c + 1) : 0, NULL, 0);
            if (t)
                ev_push(&k, tp->arrive, EV_WAKE, t->id, 0);
        }
    }
    for (uint32_t i = 0; i < w->change.n; i++)
        ev_push(&k, w->change.v[i].at, EV_CHANGE, i, 0);
    for (unsigned i = 0; i < SCHED_NCLASSES; i++)
        if (k.cls[i].period)
            ev_push(&k, k.cls[i].period, EV_PERIODIC, i, 0);
    ev_push(&k, 0, EV_SAMPLE, 0, 0);
    uint64_t until = cfg->until_ns ? cfg->until_ns : UINT64_MAX;
    /* With an end time the run goes on while any task lives (daemons
     * included), so it stops early, not after endless balancing passes,
     * once every task has exited. */
    while (k.heap.n && !k.err && (cfg->until_ns ? k.alive : k.remaining)) {
        if (k.heap.v[0].t >= until)
            break;
        k.now = k.heap.v[0].t;
        while (k.heap.n && k.heap.v[0].t == k.now && !k.err) {
            sched_event_t e = ev_pop(&k);
            switch ((int)(e.ord >> 56)) {
            case EV_TIMER:
                if (e.gen != k.cpu[e.arg].gen)
                    continue; /* cancelled */
                cpu_timer(&k, e.arg);
                break;
            case EV_WAKE:
                task_wake(&k, sched_task(&k, e.arg));
                break;
            case EV_CHANGE:
                apply_change(&k, &w->change.v[e.arg]);
                break;
            case EV_PERIODIC:
                k.cls[e.arg].ops->periodic(&k.cls[e.arg]);
                ev_push(&k, k.now + k.cls[e.arg].period, EV_PERIODIC, e.arg, 0);
                break;
            case EV_SAMPLE:
                take_sample(&k);
                ev_push(&k, k.now + k.sample_ns, EV_SAMPLE, 0, 0);
                break;
            }
            k.events++;
            if (cfg->progress && !(k.events & (SCHED_PROGRESS_EVENTS - 1)))
                cfg->progress(cfg->progress_ctx, k.now, cfg->until_ns, k.events);
            VL_DEBUG_CHECK(sched_check(&k, 0));
        }
        for (size_t i = 0; i < k.touched.n; i++) {
            uint32_t c = k.touched.v[i];
            if (k.cpu[c].need_resched)
                resched(&k, c);
            else
                rearm(&k, c);
            k.cpu[c].touched = k.cpu[c].need_resched = 0;
        }
        k.touched.n = 0;
        if (cfg->check)
            sched_check(&k, 1);
        else
            VL_DEBUG_CHECK(sched_check(&k, 1));
    }
    if (k.err) {
        rc = k.err == -E2BIG ? diag_set(d, NULL, 0, E2BIG, "more than %u tasks (expected fewer forks)",
                                        SCHED_MAX_TASKS)
                             : diag_set(d, NULL, 0, ENOMEM, "out of memory");
        core_free(&k);
        return rc;
    }
    if (cfg->until_ns && k.now < until && k.alive)
        k.now = until;
    /* Close the books at the end: charge running tasks, count waits. */
    for (uint32_t c = 0; c < k.ncpus; c++) {
        update_curr(&k, c);
        seg_close(&k, c);
        for (unsigned i = 0; i < SCHED_NCLASSES; i++)
            share_advance(&k, c, i);
    }
    for (uint32_t id = 0; id < k.ntasks; id++) {
        sched_task_t *t = sched_task(&k, id);
        if (t->state == TS_RUNNABLE)
            t->wait_ns += k.now - t->since;
        else if (t->state == TS_SLEEPING)
            t->sleep_ns += k.now - t->since;
        if (t->state == TS_RUNNABLE || t->state == TS_RUNNING)
            share_close(&k, t);
    }
    rc = result_fill(&k, out);
    core_free(&k);
    if (rc) {
        sched_result_free(out);
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    }
    return 0;
}
