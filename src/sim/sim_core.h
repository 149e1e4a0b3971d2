/* SPDX-License-Identifier: MIT */
/*
 * sim_core.h - one simulation job: a policy and a frame count over batches of
 * references (the driver, sim_run.c, reads the trace and feeds every job).
 *
 * See include/vmlab/sim.h for the model and src/sim/policy.h for what the
 * core does around each policy hook.
 */
#ifndef VMLAB_SIM_CORE_H
#define VMLAB_SIM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/policy.h"
#include "vmlab/sim.h"

#define SIM_NOFRAME UINT32_MAX

/* A slice of the trace, already mapped to page ids by the driver. */
typedef struct sim_batch {
    size_t n;                /* references in the batch */
    uint64_t t0;             /* time of the first one */
    const uint32_t *page;    /* n page ids */
    const uint8_t *write;    /* n flags, 1 = write */
    const uint32_t *proc;    /* n process indices, NULL if all are 0 */
    const uint32_t *next;    /* n next-use times (SIM_NEVER: none), NULL unless a future policy runs */
    const uint64_t *vpn;     /* n vpns, or NULL to use page_vpn */
    const uint64_t *page_vpn;/* page id -> vpn, when vpn is NULL */
    uint32_t npages;         /* every id in this and earlier batches is < npages */
    uint32_t nprocs;         /* every process index is < nprocs */
} sim_batch_t;

/* Create a job.  quota: NULL under global scope; under local scope
 * nprocs frame counts (their sum is job->frames).  0 or -errno with *d
 * (unknown policy or parameter, -ENOMEM). */
int sim_core_new(sim_core_t **out /* OUT */, const sim_config_t *cfg, const sim_job_t *job,
                 const uint32_t *quota, uint32_t nprocs, diag_t *d);
/* Simulate a batch.  0 or -ENOMEM (growing per-page state). */
int sim_core_feed(sim_core_t *c, const sim_batch_t *b);
/* Counters so far into r (r->proc and r->pid allocated here, pid left 0 for
 * the driver to fill; r->nprocs = processes seen).  0 or -ENOMEM. */
int sim_core_result(const sim_core_t *c, sim_result_t *r /* OUT */);
/* Use the policy's batch loop (ops->run) where it applies (on) or always
 * the general loop (off), for the tests comparing them.  The default is on,
 * except in debug builds, where the general loop checks every reference. */
void sim_core_set_fast(sim_core_t *c, int on);
/* Pages resident in each memory, summed (for the property tests). */
uint64_t sim_core_resident(const sim_core_t *c);
/* The policy's flags (SIM_POL_FUTURE). */
unsigned sim_core_policy_flags(const sim_core_t *c);
/* Page `page` of process `proc` leaves memory without a replacement (its
 * process unmapped it or exited): the policy forgets it (ops->remove), the
 * last resident frame of its memory moves into the hole, its TLB entry is
 * shot down; write_back: a dirty page is written back (a MAP_SHARED file
 * page), else discarded (anonymous memory).  0, -ENOENT (not resident) or
 * -EOPNOTSUPP (the policy has no remove op). */
int sim_core_remove(sim_core_t *c, uint32_t proc, uint32_t page, int write_back);
/* Memory 0's frames (global scope): *page gets frame -> page id for the
 * frames [0, return value), the resident ones.  Valid until the next feed.
 * For the per-reference log (sim_steps.c). */
uint32_t sim_core_frames(const sim_core_t *c, const uint32_t **page /* OUT */);
void sim_core_free(sim_core_t *c);
/* Abort if an invariant is broken (frame table, TLB, policy). */
void sim_core_check(const sim_core_t *c);

#endif
