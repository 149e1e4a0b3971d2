/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the replacement-policy plug-in interface of vmlab sim.
 *
 * The core (src/sim/sim_core.c) owns everything every policy shares: the page ->
 * frame table, the R (referenced) and M (modified) bits, fault counting,
 * dirty write-back, TLB shootdown, statistics.  A policy only decides: it is
 * told about hits and loads, and asked for a victim when memory is full.
 * Adding a policy is one file src/sim/policy_NAME.c defining
 *
 *     const sim_policy_ops_t sim_policy_NAME = { .name = "NAME", ... };
 *
 * and one line in src/sim/policy_table.c.  Start the file with a comment
 * citing the paper or textbook section the algorithm comes from.
 *
 * Vocabulary.
 *   frame   an index in [0, mem->nframes) of the memory the instance manages
 *           (under local scope each process has its own memory and its own
 *           policy instance, so frame numbers are per instance).
 *   page    a dense page id: every distinct (pid, vpn) of the trace gets the
 *           next integer in order of first reference, so policies can keep
 *           per-page state (ghost lists, counters) in arrays indexed by page
 *           instead of hashing.  Ids are < mem->npages, which grows as the
 *           trace is read; ops->grow is called before any id >= the old
 *           bound is passed in.  Ids are stable for the whole run and shared
 *           by all processes (under local scope an instance sees a subset).
 *   time    the 0-based index of the reference in the whole trace.
 *
 * The sequence of calls for one reference to page P (access a, a->page == P):
 *   hit:    the core sets flags[f] |= SIM_REF (and SIM_DIRTY if a write),
 *           then calls ops->hit(p, f, a) if ops->hit != NULL.
 *   fault, free frame (mem->nresident < mem->nframes):
 *           f = mem->nresident++; page[f] = P; flags[f] = SIM_REF (| SIM_DIRTY);
 *           ops->insert(p, f, a).
 *   fault, memory full (mem->nresident == mem->nframes):
 *           f = ops->evict(p, a)    -- the policy picks a resident frame and
 *                                      forgets it (it may keep a ghost of
 *                                      page[f], still valid during the call);
 *           the core writes page[f] back if flags[f] & SIM_DIRTY, unmaps it,
 *           then page[f] = P; flags[f] = SIM_REF (| SIM_DIRTY);
 *           ops->insert(p, f, a).
 *   then, if p->tick > 0 and (time + 1) % p->tick == 0: ops->tick(p).
 * A page leaves memory without a replacement only through sim_core_remove()
 * (its process unmapped it or exited: the kernel model's munmap and exit),
 * and only for a policy with ops->remove:
 *           L = mem->nresident - 1;  ops->remove(p, f, L)  -- the policy
 *           forgets f and, when f != L, renumbers its frame L as f;
 *           the core then moves page[L] and flags[L] into f and decrements
 *           nresident.
 * So frames [0, nresident) always hold a page; without removals nresident
 * only grows, up to nframes.
 *
 * Policy contracts.
 *   - evict is called only when every frame is resident; it must return a
 *     frame in [0, nframes).  Returning a frame it was not tracking is a bug
 *     the core catches (VL_ASSERT) in debug builds via ops->check.
 *   - A policy may clear SIM_REF in mem->flags (clock hands, aging, NRU
 *     resets); it must not set SIM_DIRTY nor write page[].  To model a
 *     write-back daemon (WSClock) it calls sim_mem_clean(mem, f), which
 *     counts one disk write and clears SIM_DIRTY.
 *   - No allocation per reference: size everything in init (frames are
 *     known) and grow (pages).  init/grow return 0 or -errno (-ENOMEM).
 *   - Hooks must not fail: they have no error return.
 *   - Deterministic: the same trace and parameters give the same result
 *     (seed random choices from a parameter, default fixed).
 *   - ops->check (optional) aborts with VL_ASSERT if the policy's state
 *     disagrees with mem (e.g. its lists do not hold exactly the frames
 *     [0, nresident)); the core calls it after every batch of references
 *     in debug builds (-DVMLAB_DEBUG=1, `make asan`; it may cost O(frames)),
 *     checking the page just used after every reference, and the tests call
 *     it after batches of a few references.
 *
 * Parameters ("-p clock:load-r=0", "-p aging:bits=8,period=100") are parsed
 * by the core into sim_params_t; init reads them with sim_param_u64() /
 * sim_param_double(), which mark them used.  Any parameter init did not read
 * is an error (unknown parameter for this policy); ops->params lists the
 * accepted ones with their defaults for the help text ("load-r=1").
 *
 * Speed: the core calls hooks through this struct, so a NULL hit hook (FIFO,
 * CLOCK: everything they need is the R bit) costs nothing on hits; a policy
 * that wants no indirect call at all adds .run from SIM_FAST_LOOP
 * (sim/sim_fast.h), which inlines its hooks into the core's batch loop.
 */
#ifndef VMLAB_SIM_POLICY_H
#define VMLAB_SIM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "vmlab/diag.h"

#define SIM_NEVER UINT32_MAX /* sim_access_t.next when never referenced again */

enum {
    SIM_REF = 1,   /* flags: R bit, set by the core on every access */
    SIM_DIRTY = 2, /* flags: M bit, set by the core on every write */
};

enum {
    SIM_POL_FUTURE = 1, /* the policy reads sim_access_t.next (OPT): the core
                           loads the whole trace and computes next uses */
};

typedef struct sim_core sim_core_t; /* the core's private state */
typedef struct sim_fast sim_fast_t; /* a batch for ops->run (sim_fast.h) */

/* The memory one policy instance replaces among (owned by the core). */
typedef struct sim_mem {
    uint32_t nframes;   /* frames managed, >= 1 */
    uint32_t nresident; /* frames [0, nresident) hold a page, <= nframes */
    uint32_t npages;    /* every page id passed in is < npages */
    uint32_t *page;     /* frame -> page id, for frames < nresident */
    uint8_t *flags;     /* frame -> SIM_REF | SIM_DIRTY, for frames < nresident */
    sim_core_t *core;   /* for sim_mem_clean(); opaque */
    uint32_t owner;     /* index of the memory (process under local scope, 0 global) */
} sim_mem_t;

/* One reference, as the hooks see it. */
typedef struct sim_access {
    uint64_t time;  /* index of this reference in the trace, from 0 */
    uint64_t next;  /* SIM_POL_FUTURE only: time of the next reference to the
                       same page, SIM_NEVER if none; otherwise SIM_NEVER */
    uint64_t vpn;   /* virtual page number, read by the TLB model only: a
                       keyed trace streamed without it passes 0 here
                       (sim_stream.c fill_keyed) */
    uint32_t page;  /* dense page id (see above) */
    uint32_t proc;  /* dense process index, 0 .. processes-1 */
    uint8_t write;  /* 1 for a write */
} sim_access_t;

/* Parsed "NAME:key=value,..."; values are not interpreted by the core. */
enum { SIM_MAX_PARAMS = 16 };
typedef struct sim_params {
    char name[64];          /* the policy name */
    unsigned n;             /* parameters given */
    char key[SIM_MAX_PARAMS][32];
    char val[SIM_MAX_PARAMS][64];
    unsigned char used[SIM_MAX_PARAMS]; /* set by sim_param_* when read */
} sim_params_t;

typedef struct sim_policy sim_policy_t;

typedef struct sim_policy_ops {
    const char *name;    /* as on the command line: lowercase, [a-z0-9-] */
    const char *summary; /* one line for --help, ending with its citation */
    const char *params;  /* accepted parameters and defaults, "" if none */
    unsigned flags;      /* SIM_POL_* */
    size_t state_size;   /* bytes of p->state, allocated zeroed by the core */
    /* Called once, mem->nframes known, mem->npages possibly 0.  Reads its
     * parameters; 0 or -errno with *d filled (bad value: say the range). */
    int (*init)(sim_policy_t *p, sim_params_t *params, diag_t *d);
    /* Frees what init/grow allocated (not p->state itself).  Optional. */
    void (*destroy)(sim_policy_t *p);
    /* mem->npages grew to npages: resize per-page arrays.  Optional. */
    int (*grow)(sim_policy_t *p, uint32_t npages);
    /* The page in frame f was referenced.  Optional (NULL: nothing to do). */
    void (*hit)(sim_policy_t *p, uint32_t f, const sim_access_t *a);
    /* a->page was just loaded into frame f.  Required. */
    void (*insert)(sim_policy_t *p, uint32_t f, const sim_access_t *a);
    /* Memory is full and a->page must come in: choose and forget a victim
     * frame.  Required. */
    uint32_t (*evict)(sim_policy_t *p, const sim_access_t *a);
    /* The page in frame f leaves memory with no replacement (munmap, exit):
     * forget f (no ghost: the page is gone); then, if f != last, the page
     * tracked in frame `last` (mem->nresident - 1) is now in frame f, so
     * renumber last as f.  Optional: NULL means the policy cannot lose a
     * page (its order is the frame order, as FIFO's and CLOCK's hands), and
     * sim_core_remove() refuses with -EOPNOTSUPP. */
    void (*remove)(sim_policy_t *p, uint32_t f, uint32_t last);
    /* Every p->tick references (p->tick set by init).  Optional. */
    void (*tick)(sim_policy_t *p);
    /* Abort if the state is inconsistent with p->mem.  Optional. */
    void (*check)(const sim_policy_t *p);
    /* Optional: the whole batch with the hooks above inlined, generated by
     * SIM_FAST_LOOP in sim/sim_fast.h; must behave exactly like the hooks.
     * Used under global scope when no tick or inverted page table is on. */
    void (*run)(sim_policy_t *p, const sim_fast_t *fx);
} sim_policy_ops_t;

struct sim_policy {
    const sim_policy_ops_t *ops; /* the policy */
    sim_mem_t *mem;              /* the frames it manages */
    void *state;                 /* ops->state_size bytes, zeroed, core-owned */
    uint64_t tick;               /* set by init: call ops->tick every tick
                                    references (all references of the run);
                                    0: never */
};

/* Read parameter `key` as an unsigned number (decimal, 0x hex, k/m/g
 * suffixes) in [min, max]; *out = def if absent.  0 or -EINVAL with *d
 * naming the policy, key, value and range. */
int sim_param_u64(sim_params_t *ps, const char *key, uint64_t def, uint64_t min, uint64_t max,
                  uint64_t *out /* OUT */, diag_t *d);
/* The same for a real number in [min, max]. */
int sim_param_double(sim_params_t *ps, const char *key, double def, double min, double max,
                     double *out /* OUT */, diag_t *d);

/* Write the page in frame f back now (a cleaning daemon): one disk write if
 * it is dirty, then SIM_DIRTY is cleared.  Returns 1 if it was dirty. */
int sim_mem_clean(sim_mem_t *m, uint32_t f);

/* Policies that choose at random use base/rng.h's one-word generator
 * (vl_rng64_seed / vl_rng64_next / vl_rng64_below: xorshift64* seeded by
 * SplitMix64), one state per policy instance. */

/* The table (src/sim/policy_table.c): NULL-terminated. */
extern const sim_policy_ops_t *const sim_policies[];
/* The policy called name[0, len), or NULL. */
const sim_policy_ops_t *sim_policy_find(const char *name, size_t len);

/* Parse "NAME[:k=v,...]" into *ps; 0 or -EINVAL with *d (unknown policy,
 * malformed or too many parameters).  *ops gets the policy. */
int sim_params_parse(const char *spec, sim_params_t *ps /* OUT */,
                     const sim_policy_ops_t **ops /* OUT */, diag_t *d);

#endif
