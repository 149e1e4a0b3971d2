/* SPDX-License-Identifier: MIT */
/*
 * tlist.h - FIFO run-queue lists of tasks linked by id (sched_task_t.next,
 * .prev), for the classes that run tasks in queue order (rt, wrr).  Ids,
 * not pointers, because the task array grows; O(1) insert at either end and
 * removal.  Invariant (tlist_count): following next from head visits every
 * member once and ends at tail, and prev mirrors next.
 */
#ifndef VMLAB_SCHED_TLIST_H
#define VMLAB_SCHED_TLIST_H

#include "sched/sched_class.h"
#include "vmlab/check.h"

typedef struct tlist {
    uint32_t head, tail; /* first and last task id, SCHED_NONE when empty */
} tlist_t;

static inline void tlist_init(tlist_t *l) { l->head = l->tail = SCHED_NONE; }

static inline void tlist_add_tail(const sched_core_t *k, tlist_t *l, sched_task_t *t)
{
    t->next = SCHED_NONE;
    t->prev = l->tail;
    if (l->tail == SCHED_NONE)
        l->head = t->id;
    else
        sched_task(k, l->tail)->next = t->id;
    l->tail = t->id;
}

static inline void tlist_add_head(const sched_core_t *k, tlist_t *l, sched_task_t *t)
{
    t->prev = SCHED_NONE;
    t->next = l->head;
    if (l->head == SCHED_NONE)
        l->tail = t->id;
    else
        sched_task(k, l->head)->prev = t->id;
    l->head = t->id;
}

static inline void tlist_del(const sched_core_t *k, tlist_t *l, sched_task_t *t)
{
    if (t->prev == SCHED_NONE)
        l->head = t->next;
    else
        sched_task(k, t->prev)->next = t->next;
    if (t->next == SCHED_NONE)
        l->tail = t->prev;
    else
        sched_task(k, t->next)->prev = t->prev;
    t->next = t->prev = SCHED_NONE;
}

/* Members, checking the links (aborts on a broken list). */
static inline uint32_t tlist_count(const sched_core_t *k, const tlist_t *l)
{
    uint32_t n = 0, prev = SCHED_NONE;
    for (uint32_t id = l->head; id != SCHED_NONE; id = sched_task(k, id)->next) {
        VL_ASSERT(sched_task(k, id)->prev == prev);
        prev = id;
        n++;
    }
    VL_ASSERT(l->tail == prev);
    return n;
}

#endif
