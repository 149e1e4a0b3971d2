/* SPDX-License-Identifier: MIT */
/*
 * policy_table.c - every replacement policy vmlab sim knows, one line each.
 *
 * Adding a policy: write src/sim/policy_NAME.c against src/sim/policy.h and
 * add its two lines here (the extern and the table entry).  The order is the
 * order of --help and of the property tests.
 */
#include "sim/policy.h"

#include <string.h>

extern const sim_policy_ops_t sim_policy_fifo;
extern const sim_policy_ops_t sim_policy_lru;
extern const sim_policy_ops_t sim_policy_opt;
extern const sim_policy_ops_t sim_policy_clock;
extern const sim_policy_ops_t sim_policy_random;
extern const sim_policy_ops_t sim_policy_nru;
extern const sim_policy_ops_t sim_policy_aging;
extern const sim_policy_ops_t sim_policy_lfu;
extern const sim_policy_ops_t sim_policy_mfu;
extern const sim_policy_ops_t sim_policy_wsclock;
extern const sim_policy_ops_t sim_policy_arc;
extern const sim_policy_ops_t sim_policy_car;
extern const sim_policy_ops_t sim_policy_lirs;
extern const sim_policy_ops_t sim_policy_2q;
extern const sim_policy_ops_t sim_policy_sieve;
extern const sim_policy_ops_t sim_policy_mru;
extern const sim_policy_ops_t sim_policy_unopt;

const sim_policy_ops_t *const sim_policies[] = {
    &sim_policy_fifo,
    &sim_policy_lru,
    &sim_policy_opt,
    &sim_policy_clock,
    &sim_policy_random,
    &sim_policy_nru,
    &sim_policy_aging,
    &sim_policy_lfu,
    &sim_policy_mfu,
    &sim_policy_wsclock,
    &sim_policy_arc,
    &sim_policy_car,
    &sim_policy_lirs,
    &sim_policy_2q,
    &sim_policy_sieve,
    &sim_policy_mru,
    &sim_policy_unopt,
    NULL,
};

const sim_policy_ops_t *sim_policy_find(const char *name, size_t len)
{
    for (size_t i = 0; sim_policies[i]; i++)
        if (strlen(sim_policies[i]->name) == len && memcmp(sim_policies[i]->name, name, len) == 0)
            return sim_policies[i];
    return NULL;
}
