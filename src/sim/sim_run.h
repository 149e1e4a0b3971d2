/* SPDX-License-Identifier: MIT */
/*
 * sim_run.h - the driver's shared state, between sim_run.c (configuration,
 * in-memory runs, results) and sim_stream.c (runs over a trace reader).
 */
#ifndef VMLAB_SIM_RUN_H
#define VMLAB_SIM_RUN_H

#include <pthread.h>
#include <stdatomic.h>

#include "sim/sim_core.h"
#include "sim/sim_pagemap.h"
#include "vmlab/sim.h"

enum {
    SRUN_BATCH = 1 << 16,         /* references per streamed batch */
    SRUN_PROGRESS_EVERY = 1 << 22 /* references between progress reports */
};

typedef struct run {
    sim_config_t cfg;      /* resolved configuration */
    const sim_job_t *jobs; /* njobs jobs */
    size_t njobs;
    sim_core_t **core;     /* njobs cores, created once processes are known */
    pagemap_t pm;          /* (pid, vpn) -> page id, page-table bytes */
    int need_future;       /* some job's policy has SIM_POL_FUTURE */
    diag_t *d;             /* where errors go */
    atomic_uint_fast64_t done; /* references simulated, over all jobs */
    uint64_t total;        /* references to simulate over all jobs, 0 unknown */
    pthread_mutex_t lock;  /* serialises progress reports */
} run_t;

/* Check the configuration and set up r (no cores yet). */
int srun_init(run_t *r, const sim_config_t *cfg, const sim_job_t *jobs, size_t njobs, diag_t *d);
void srun_destroy(run_t *r);
/* Report progress (r->done of r->total) if asked to; thread-safe. */
void srun_progress(run_t *r);
/* Create every job's core; local: one memory per process seen so far. */
int srun_make_cores(run_t *r, int local);
/* Simulate every job over the whole trace in memory (computes next uses
 * when a policy needs them); creates the cores.  With a future policy,
 * all->page is consumed (overwritten with next uses, set to NULL): the
 * caller still frees the array. */
int srun_materialised(run_t *r, sim_batch_t *all);
/* Fill res[0, njobs) from the cores and the page map. */
int srun_results(run_t *r, sim_result_t *res);

#endif
