/* SPDX-License-Identifier: MIT */
/*
 * sched_class.h - the scheduling-class plug-in interface of vmlab sched.
 *
 * The core (sched_core.c) owns what every class shares: simulated time, the
 * event heap, tasks and their behaviours (run, sleep, fork, exit), which task
 * each CPU runs, the choice of class (the table's order is the priority:
 * rt > wrr > cfs, as the kernel's stop > dl > rt > (lab: wrr) > fair > idle),
 * statistics.  A class only decides, for its own tasks: where a task goes
 * (select_cpu), in what order its run queue runs them (enqueue, dequeue,
 * pick, put_prev), how long the running one may go on (charge, slice_left),
 * whether a waking task preempts the running one of the same class, and any
 * periodic work (load balancing).  Adding a class is one file
 * src/sched/class_NAME.c defining `const sched_class_ops_t sched_class_NAME`
 * and one line in class_table.c.
 *
 * Run-queue contract (per CPU, per class).  A class counts in its run queue
 * every task of the class that is runnable on that CPU, the running one
 * included (the lab's "total weight of runnable WRR tasks" includes it), but
 * keeps the running task out of its ordering structure:
 *   enqueue(cpu, t, flags)   t becomes runnable on cpu (new, woken, migrated);
 *   pick(cpu)                remove and return the task to run next, or NULL;
 *                            it stays counted and becomes the running task;
 *   put_prev(cpu, t)         the running t stops running but stays runnable:
 *                            put it back in order (slice over: refill, tail;
 *                            preempted: head, slice kept);
 *   dequeue(cpu, t, flags)   t leaves: asleep, exited (SCHED_DEQ_RUNNING when it
 *                            was the running task) or migrated (never running);
 *   charge(cpu, t, delta)    the running t ran delta ns more;
 *   slice_left(cpu, t)       ns the running t may still run before the class
 *                            wants the CPU back (0: now; UINT64_MAX: never);
 *   wakeup_preempt(cpu, curr, t)  t, just enqueued, preempts the running curr
 *                            of the same class.
 * The core calls charge for the running task before any other call on its
 * CPU, so a class always sees up-to-date running times.  Hooks must not fail;
 * init may (-errno with *d).  Deterministic: no randomness, ties broken by
 * CPU id and queue order.
 */
#ifndef VMLAB_SCHED_CLASS_H
#define VMLAB_SCHED_CLASS_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab/diag.h"
#include "vmlab/sched.h"

#define SCHED_NONE UINT32_MAX /* no task / no CPU */
#define SCHED_LOOP_DEPTH 4    /* nested loops in a behaviour */

enum sched_state {
    TS_NEW = 0,   /* created, not yet arrived */
    TS_RUNNABLE,  /* on a run queue, waiting */
    TS_RUNNING,   /* the running task of its CPU */
    TS_SLEEPING,  /* waiting for its wake event */
    TS_DONE,      /* exited */
};

enum { SCHED_ENQ_NEW = 1, SCHED_ENQ_WAKE = 2, SCHED_ENQ_MIGRATE = 4 };
enum { SCHED_DEQ_SLEEP = 1, SCHED_DEQ_EXIT = 2, SCHED_DEQ_MIGRATE = 4, SCHED_DEQ_RUNNING = 8 };

/* One simulated task.  Tasks live in one array indexed by id; links between
 * them are ids (SCHED_NONE for none), so the array may grow (forks). */
typedef struct sched_task {
    /* identity and policy */
    uint32_t id;       /* index in the core's task array */
    uint32_t tmpl;     /* the workload line it comes from */
    uint32_t copy;     /* 0, or K for the K-th copy/fork (name suffix .K) */
    uint64_t group;    /* thread group id */
    uint8_t cls;       /* class index in sched_classes[] */
    uint8_t state;     /* enum sched_state */
    uint8_t policy;    /* SCHED_P_* (fifo, rr, wrr, cfs) */
    uint8_t daemon;    /* 1: the run does not wait for it */
    uint8_t prio;      /* RT priority 1..99 (higher runs first), 0 otherwise */
    int8_t nice;       /* CFS nice -20..19 */
    uint32_t weight;   /* WRR weight 1..20, CFS load weight (from nice), RT 0 */
    uint32_t cpu;      /* CPU it is queued/running on, or last ran on; SCHED_NONE before */
    const uint64_t *affinity; /* allowed CPUs bitmap (ncpus bits), NULL: all */
    /* behaviour */
    uint32_t pc;       /* next op of its program */
    uint8_t depth;     /* loops open */
    uint64_t loops[SCHED_LOOP_DEPTH]; /* iterations left per open loop */
    uint64_t left;     /* ns left in the current run op (UINT64_MAX: forever) */
    /* class entity: whichever class owns the task uses these */
    uint32_t next, prev; /* run-queue list links (rt, wrr) */
    uint32_t pos;        /* heap position (cfs), SCHED_NONE when not in it */
    uint64_t slice;      /* ns left in the current slice (rt rr, wrr); cfs: its
                            enqueue order, to break vruntime ties first in first out */
    uint64_t vruntime;   /* cfs virtual runtime, ns */
    uint64_t exec_start; /* cfs: sum of run time when picked (for the slice) */
    uint64_t exec_sum;   /* total run time, ns (= cpu_ns) */
    /* statistics */
    uint64_t arrive, finish, first_run; /* ns; first_run UINT64_MAX until it runs */
    uint64_t since;      /* when the current state (runnable/running/sleeping) began */
    uint64_t wait_ns, sleep_ns;
    double fair_ns;      /* accumulated weight-share entitlement */
    double vshare;       /* the CPU's share integral when the current stretch began */
    uint32_t migrations, nvcsw, nivcsw;
    int32_t first_cpu;   /* -1 until placed */
} sched_task_t;

enum { SCHED_P_FIFO = 0, SCHED_P_RR, SCHED_P_WRR, SCHED_P_CFS };

typedef struct sched_core sched_core_t;
typedef struct sched_class sched_class_t;

/* Parameters "key=value,..." of one class, parsed by the core. */
enum { SCHED_MAX_PARAMS = 8 };
typedef struct sched_params {
    unsigned n;
    char key[SCHED_MAX_PARAMS][24];
    char val[SCHED_MAX_PARAMS][40];
    unsigned char used[SCHED_MAX_PARAMS];
} sched_params_t;

typedef struct sched_class_ops {
    const char *name;    /* "rt", "wrr", "cfs" (--rt, --wrr, --cfs options) */
    const char *summary; /* one line with the citation */
    const char *params;  /* accepted parameters and defaults */
    size_t state_size;   /* bytes of c->state (zeroed) */
    size_t rq_size;      /* bytes of each CPU's run queue c->rq + cpu * rq_size (zeroed) */
    int (*init)(sched_class_t *c, sched_params_t *ps, diag_t *d);
    void (*destroy)(sched_class_t *c);
    /* A task of this class arrives (new) or wakes: the CPU to queue it on.
     * flags SCHED_ENQ_NEW or SCHED_ENQ_WAKE; t->cpu is its last CPU or SCHED_NONE. */
    uint32_t (*select_cpu)(sched_class_t *c, sched_task_t *t, int flags);
    void (*enqueue)(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags);
    void (*dequeue)(sched_class_t *c, uint32_t cpu, sched_task_t *t, int flags);
    sched_task_t *(*pick)(sched_class_t *c, uint32_t cpu);
    void (*put_prev)(sched_class_t *c, uint32_t cpu, sched_task_t *t);
    void (*charge)(sched_class_t *c, uint32_t cpu, sched_task_t *t, uint64_t delta);
    uint64_t (*slice_left)(sched_class_t *c, uint32_t cpu, const sched_task_t *t);
    int (*wakeup_preempt)(sched_class_t *c, uint32_t cpu, const sched_task_t *curr,
                          const sched_task_t *t);
    /* The task's weight/nice changes (new value already validated): the class
     * updates t->weight and its run-queue totals.  Optional. */
    void (*reweight)(sched_class_t *c, sched_task_t *t, uint32_t weight, int nice);
    /* The total share weight of the class on cpu (WRR: sum of weights; CFS:
     * load), for the fair-share integral; NULL: the class has no shares. */
    uint64_t (*total_weight)(const sched_class_t *c, uint32_t cpu);
    /* Called every c->period ns (set by init; 0: never). */
    void (*periodic)(sched_class_t *c);
    /* A CPU has nothing to run: the class may pull a task to it (migrating
     * with sched_migrate).  Optional. */
    void (*idle)(sched_class_t *c, uint32_t cpu);
    /* cpu is about to pick its next task (the kernel's sched_class.balance,
     * called from pick_next_task for the classes from prev's down): the class
     * may pull tasks to it with sched_migrate.  Optional. */
    void (*balance)(sched_class_t *c, uint32_t cpu);
    /* Abort (VL_ASSERT) if the run queue of cpu is inconsistent.  Optional. */
    void (*check)(const sched_class_t *c, uint32_t cpu);
} sched_class_ops_t;

struct sched_class {
    const sched_class_ops_t *ops;
    sched_core_t *core; /* for the helpers below */
    unsigned idx;       /* index in sched_classes[] = priority rank (0 highest) */
    unsigned ncpus;     /* CPUs simulated */
    void *state;        /* ops->state_size bytes, zeroed, owned by the core */
    char *rq;           /* ncpus * ops->rq_size bytes, zeroed */
    uint64_t period;    /* periodic() interval in ns, set by init; 0: none */
};

static inline void *sched_rq(const sched_class_t *c, uint32_t cpu)
{
    return c->rq + (size_t)cpu * c->ops->rq_size;
}

/* ---- what the core offers classes ---------------------------------------- */

uint64_t sched_now(const sched_core_t *k);
sched_task_t *sched_task(const sched_core_t *k, uint32_t id);
/* The running task of cpu, or NULL. */
sched_task_t *sched_curr(const sched_core_t *k, uint32_t cpu);
/* Runnable tasks on cpu, all classes, running one included. */
uint32_t sched_nr_running(const sched_core_t *k, uint32_t cpu);
/* The CPU with the fewest runnable tasks, lowest id among equals (O(1)). */
uint32_t sched_least_loaded(const sched_core_t *k);
/* May t run on cpu? */
static inline int sched_allowed(const sched_task_t *t, uint32_t cpu)
{
    return !t->affinity || (t->affinity[cpu >> 6] >> (cpu & 63)) & 1;
}
/* Move the runnable, not running task t to CPU dst (dequeue, enqueue with
 * SCHED_ENQ_MIGRATE, statistics, preemption check on dst). */
void sched_migrate(sched_core_t *k, sched_task_t *t, uint32_t dst);
/* Count a WRR balancing move (for the result). */
void sched_count_balance(sched_core_t *k);

/* Parameter readers (as sim's): mark the key used; 0 or -EINVAL with *d. */
int sched_param_u64(sched_params_t *ps, const char *cls, const char *key, uint64_t def,
                    uint64_t min, uint64_t max, uint64_t *out, diag_t *d);
/* A time "10ms", "2s", "500us", bare = ms, into ns. */
int sched_param_time(sched_params_t *ps, const char *cls, const char *key, uint64_t def,
                     uint64_t min, uint64_t max, uint64_t *out, diag_t *d);
/* One of the words in choices ("a|b|c"): *out its index. */
int sched_param_word(sched_params_t *ps, const char *cls, const char *key, const char *choices,
                     unsigned def, unsigned *out, diag_t *d);

/* The table (class_table.c), in priority order, NULL-terminated. */
extern const sched_class_ops_t *const sched_classes[];
enum { SCHED_CLASS_RT = 0, SCHED_CLASS_WRR = 1, SCHED_CLASS_CFS = 2, SCHED_NCLASSES = 3 };

/* CFS's nice-to-weight tables, exactly kernel/sched/core.c's. */
extern const uint32_t sched_prio_to_weight[40];
extern const uint32_t sched_prio_to_wmult[40];

/* Parse a time with unit (ns, us, ms, s; bare number = ms) from [s, s+len)
 * into ns: 0, -EINVAL, -ERANGE. */
int sched_parse_time(const char *s, size_t len, uint64_t *ns);

#endif
