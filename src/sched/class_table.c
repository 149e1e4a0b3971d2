/* SPDX-License-Identifier: MIT */
/*
 * class_table.c - the scheduling classes of vmlab sched, in priority order
 * (a task of an earlier class always runs before one of a later class):
 * rt (SCHED_FIFO, SCHED_RR) > wrr (the lab's SCHED_WRR) > cfs (SCHED_NORMAL).
 * The order must match SCHED_CLASS_* in sched_class.h.
 */
#include "sched/sched_class.h"

extern const sched_class_ops_t sched_class_rt, sched_class_wrr, sched_class_cfs;

const sched_class_ops_t *const sched_classes[] = {
    &sched_class_rt,
    &sched_class_wrr,
    &sched_class_cfs,
    NULL,
};
