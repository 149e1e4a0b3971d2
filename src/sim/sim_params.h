/* SPDX-License-Identifier: MIT */
/*
 * sim_params.h - the core's side of policy parameters (see policy.h for the
 * policies' side).
 */
#ifndef VMLAB_SIM_PARAMS_H
#define VMLAB_SIM_PARAMS_H

#include "sim/policy.h"

/* After ops->init: -EINVAL with *d naming the first parameter init did not
 * read (unknown for this policy), else 0. */
int sim_params_unused(const sim_params_t *ps, const sim_policy_ops_t *ops, diag_t *d);

#endif
