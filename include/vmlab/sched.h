/* SPDX-License-Identifier: MIT */
/*
 * sched.h - vmlab sched: a discrete-event simulator of a multicore CPU
 * scheduler with three classes in priority order, RT (SCHED_FIFO, SCHED_RR)
 * > WRR (the kernel lab's weighted round robin, docs/sched.md gives every
 * rule) > CFS (the kernel's vruntime scheduler: sched_prio_to_weight,
 * sched_latency, min_granularity, wakeup granularity).
 *
 * A workload (text, docs/sched.md "Workload format") is parsed once into a
 * sched_workload_t; sched_run() simulates it on N CPUs and fills a
 * sched_result_t (per-task and per-CPU figures, WRR weight samples, run
 * segments for Gantt charts); sched_report.c writes the result as text, JSON
 * or CSV and the gnuplot data and scripts.
 */
#ifndef VMLAB_SCHED_H
#define VMLAB_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab/diag.h"

#define SCHED_MAX_CPUS 1024
#define SCHED_MAX_TASKS 2000000u /* tasks in one run, forks included (~250 bytes each) */
#define SCHED_NS_PER_MS 1000000ull

typedef struct sched_workload sched_workload_t;

/* Parse workload text [text, text + len) named path (for messages).
 * 0 and *out (free with sched_workload_free), or -EINVAL/-ENOMEM with *d
 * naming FILE:LINE and what was expected. */
int sched_workload_parse(const char *path, const char *text, size_t len,
                         sched_workload_t **out /* OUT */, diag_t *d);
void sched_workload_free(sched_workload_t *w);
/* 1 if every task ends by itself (no `forever` loop, no `spin`, no fork
 * cycle, no finite task starved by an endless one of a higher class), so a
 * run without an end time terminates; 0 otherwise, with the reason in
 * why[n]. */
int sched_workload_finite(const sched_workload_t *w, char *why, size_t n);

/* Built-in workloads and generators, written as workload text into *text
 * (malloc'd, caller frees) so that what runs is what `--print` shows.
 *   lab4    the lab's demo: a factorisation task at each weight 1..20 among
 *           two spinning WRR tasks per CPU (daemons);
 *   mixed   random CPU-bound and I/O-bound tasks of every class;
 *   wrr     random WRR tasks (weights, groups, loops), the property tests'
 *           generator;
 *   big     `tasks` WRR tasks of random weights looping run/sleep (bench).
 * 0, or -EINVAL (unknown name) with *d. */
typedef struct sched_gen {
    const char *name; /* lab4, mixed, wrr, big */
    unsigned ncpus;   /* CPUs the workload is meant for (lab4 spinners) */
    uint64_t tasks;   /* tasks to generate (0: the generator's default) */
    uint64_t seed;    /* random generators */
} sched_gen_t;
int sched_gen_text(const sched_gen_t *g, char **text /* OUT */, size_t *len /* OUT */, diag_t *d);

/* A run's configuration. */
typedef struct sched_config {
    unsigned ncpus;      /* 1..SCHED_MAX_CPUS */
    uint64_t until_ns;   /* stop at this time (or when every task, daemons included,
                            has exited); 0: when every non-daemon task has exited */
    uint64_t sample_ns;  /* WRR weight sampling period (0: 100 ms); the period
                            doubles whenever SCHED_MAX_SAMPLES are reached */
    const char *params[3]; /* per class (rt, wrr, cfs) "key=value,...", NULL: defaults */
    int segments;        /* record run segments for a Gantt chart */
    uint64_t max_segments; /* segments kept (0: 1,000,000); later ones are counted only */
    int check;           /* run the invariant checker after every instant (tests;
                            debug builds always do) */
    /* Called every SCHED_PROGRESS_EVENTS events with the simulated time
     * reached (done), the end time (total: until_ns, 0 when the run ends
     * with its tasks) and the events so far (count); NULL: none. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total, uint64_t count);
    void *progress_ctx;  /* progress's first argument */
} sched_config_t;

#define SCHED_PROGRESS_EVENTS (1u << 18) /* ~20 ms of a 12 M events/s run */

#define SCHED_MAX_SAMPLES 2048

/* Per-task results.  Times in ns. */
typedef struct sched_task_result {
    char name[56];         /* workload name, ".K" appended for the K-th copy or fork */
    const char *cls;       /* "fifo", "rr", "wrr", "cfs" */
    uint32_t weight;       /* WRR weight or CFS load weight at the end; 0 for RT */
    int nice;              /* CFS nice */
    unsigned prio;         /* RT priority 1..99, 0 otherwise */
    uint64_t group;        /* thread group id */
    int daemon;            /* 1: the run does not wait for it */
    int finished;          /* 1: it exited before the end of the run */
    uint64_t arrive_ns;    /* when it became runnable first */
    uint64_t finish_ns;    /* when it exited (finished) */
    uint64_t first_run_ns; /* when it first ran (UINT64_MAX: never) */
    uint64_t cpu_ns;       /* time on a CPU */
    uint64_t wait_ns;      /* time runnable but not running */
    uint64_t sleep_ns;     /* time asleep */
    double fair_ns;        /* the CPU time its weight share of its run queue(s)
                              entitled it to: the integral over its runnable time
                              of weight / total weight of its class on its CPU */
    uint32_t migrations;   /* moves to another CPU after the first placement */
    uint32_t nvcsw;        /* voluntary context switches (slept or exited) */
    uint32_t nivcsw;       /* involuntary ones (preempted, slice over) */
    int first_cpu;         /* CPU of its first placement */
    int last_cpu;          /* CPU at the end */
} sched_task_result_t;

/* Per-CPU results. */
typedef struct sched_cpu_result {
    uint64_t busy_ns;     /* time running a task */
    uint64_t switches;    /* context switches (a different task dispatched) */
    uint32_t *wrr_weight; /* WRR total weight at each sample (nsamples entries) */
} sched_cpu_result_t;

/* One run segment: task `task` on `cpu` during [start, end). */
typedef struct sched_segment {
    uint64_t start, end; /* ns */
    uint32_t task;       /* index into tasks */
    uint32_t cpu;        /* CPU id */
} sched_segment_t;

typedef struct sched_result {
    unsigned ncpus;              /* CPUs simulated */
    uint64_t end_ns;             /* simulated time at the end */
    uint64_t events;             /* events processed (the benchmark's unit) */
    uint64_t balance_moves;      /* WRR periodic balancing moves */
    size_t ntasks;               /* entries in tasks */
    sched_task_result_t *tasks;  /* in creation order */
    sched_cpu_result_t *cpus;    /* ncpus entries */
    size_t nsamples;             /* WRR weight samples */
    uint64_t *sample_ns;         /* their times */
    double balance_error;        /* mean over samples of (max - min) WRR weight */
    double balance_rel;          /* the same divided by the mean weight (0 if none) */
    size_t nsegments;            /* segments kept */
    uint64_t segments_dropped;   /* segments past max_segments, counted only */
    sched_segment_t *segments;   /* run segments (config.segments) */
} sched_result_t;

/* Simulate.  0, or -EINVAL (bad parameters, or a workload that never ends
 * and no until_ns), -E2BIG (more than SCHED_MAX_TASKS tasks), -ENOMEM, with *d. */
int sched_run(const sched_config_t *cfg, const sched_workload_t *w, sched_result_t *out /* OUT */,
              diag_t *d);
void sched_result_free(sched_result_t *r);

/* The parameters each class accepts, for --help: "name: params" lines. */
void sched_class_help(FILE *f);

/* Reports (sched_report.c). */
void sched_report_text(FILE *f, const sched_result_t *r);
void sched_report_json(FILE *f, const sched_result_t *r);
void sched_report_csv(FILE *f, const sched_result_t *r);

/* gnuplot pictures: data into dat, script (reading dat_name) into gp.
 *   gantt     CPU by time, one colour per task (needs segments)
 *   weights   WRR total weight per CPU over time
 *   turnaround  turnaround against weight (finished WRR tasks)
 * out is the image path (.png or .svg). 0, or -EINVAL (nothing to draw). */
int sched_plot(const char *kind, const sched_result_t *r, FILE *dat, FILE *gp,
               const char *dat_name, const char *out, diag_t *d);

#endif
