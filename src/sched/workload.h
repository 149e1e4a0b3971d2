/* SPDX-License-Identifier: MIT */
/*
 * workload.h - a parsed vmlab sched workload: task templates (one a line),
 * their behaviours compiled to small programs, and timed changes.
 *
 * A behaviour is a program of ops run by the core for each task:
 *   RUN n     compute n ns (UINT64_MAX: forever, `spin`)
 *   SLEEP n   block for n ns, then wake
 *   FORK t    create a task from template t in a new thread group
 *   THREAD t  create a task from template t in the parent's thread group
 *   LOOP n    open a loop of n iterations (UINT64_MAX: forever); arg = index of its END
 *   END       close the innermost loop; arg = index of its LOOP
 *   EXIT      the task ends
 * Invariant: LOOP/END pairs nest properly, at most SCHED_LOOP_DEPTH deep, and
 * a forever loop's body holds a RUN or SLEEP (time passes each iteration).
 */
#ifndef VMLAB_SCHED_WORKLOAD_H
#define VMLAB_SCHED_WORKLOAD_H

#include <stdint.h>

#include "base/hashmap.h"
#include "base/vec.h"
#include "sched/sched_class.h"

enum { OP_RUN = 0, OP_SLEEP, OP_FORK, OP_THREAD, OP_LOOP, OP_END, OP_EXIT };

#define SCHED_FOREVER UINT64_MAX
#define SCHED_MASK_WORDS (SCHED_MAX_CPUS / 64)
#define SCHED_GROUP_NAMED (1ull << 40) /* + index: groups given by name */
#define SCHED_GROUP_FRESH (1ull << 41) /* + task id: a task's own group */

typedef struct sched_op {
    uint8_t kind; /* OP_* */
    uint32_t arg; /* template (FORK, THREAD) or matching LOOP/END index */
    uint64_t n;   /* ns (RUN, SLEEP) or iterations (LOOP) */
} sched_op_t;

typedef struct sched_tmpl {
    char name[40];      /* NAME */
    uint8_t policy;     /* SCHED_P_* */
    uint8_t class_set;  /* class= given (a forked child otherwise inherits) */
    uint8_t daemon;     /* daemon=1 */
    uint8_t on_fork;    /* start=fork: created only by FORK/THREAD ops */
    uint8_t infinite;   /* its program never ends by itself */
    uint8_t prio;       /* RT priority 1..99 */
    int8_t nice;        /* -20..19 */
    uint32_t weight;    /* WRR weight 1..20 */
    uint8_t group_set;  /* group= given */
    uint64_t group;     /* its id when group_set: N for group=N, SCHED_GROUP_NAMED + i
                           for the i-th name; otherwise each instance gets a fresh one */
    uint64_t arrive;    /* ns */
    uint64_t count;     /* instances at arrival (count=), >= 1 */
    uint32_t mask;      /* index of its affinity mask, SCHED_NONE: all CPUs */
    uint32_t prog;      /* first op of its program in ops */
    unsigned long line; /* line in the file, for messages */
} sched_tmpl_t;

/* `at TIME NAME key=value`: a change to every live instance of a template. */
typedef struct sched_change {
    uint64_t at;        /* ns */
    uint32_t tmpl;      /* template */
    uint8_t what;       /* 0 weight, 1 nice, 2 prio, 3 affinity */
    int value;          /* the new value (validated); for affinity, the index
                           of the new mask in masks (a superset of the old) */
} sched_change_t;

struct sched_workload {
    char *path;                   /* the file it came from, for messages */
    VL_VEC(sched_tmpl_t) tmpl;    /* templates in file order */
    VL_VEC(sched_op_t) ops;       /* every program, concatenated */
    VL_VEC(sched_change_t) change; /* sorted by time when parsing ends (stable) */
    VL_VEC(uint64_t) masks;       /* SCHED_MASK_WORDS words per affinity mask */
    VL_VEC(char *) groups;        /* group names, id = SCHED_GROUP_NAMED + index */
    vl_map_t names;               /* hash of a template name -> index + 1 (first of
                                     that hash; a rare collision falls back to a scan) */
};

#endif
