/* SPDX-License-Identifier: MIT */
/*
 * cpu_tree.h - a tournament (segment) tree over CPUs holding one 64-bit value
 * each, for "the CPU with the least X, lowest id first" in O(1) and updates in
 * O(log ncpus) (a heap would lose the lowest-id tie rule).  Leaves past the
 * last CPU and CPUs a class excludes hold CPU_TREE_NONE.
 * Invariant (cpu_tree_check): every inner node is the minimum of its children.
 */
#ifndef VMLAB_SCHED_CPU_TREE_H
#define VMLAB_SCHED_CPU_TREE_H

#include <stddef.h>
#include <stdint.h>

#define CPU_TREE_NONE UINT64_MAX

typedef struct cpu_tree {
    uint32_t n;    /* CPUs */
    uint32_t size; /* leaves: the power of two >= n */
    uint64_t *v;   /* 2 * size nodes: v[1] root, v[size + i] CPU i */
} cpu_tree_t;

/* All n leaves set to val; 0 or -ENOMEM. */
int cpu_tree_init(cpu_tree_t *t, uint32_t n, uint64_t val);
void cpu_tree_free(cpu_tree_t *t);
void cpu_tree_set(cpu_tree_t *t, uint32_t cpu, uint64_t val);
static inline uint64_t cpu_tree_get(const cpu_tree_t *t, uint32_t cpu) { return t->v[t->size + cpu]; }
static inline uint64_t cpu_tree_min(const cpu_tree_t *t) { return t->v[1]; }
/* The lowest-id CPU holding the minimum. */
uint32_t cpu_tree_argmin(const cpu_tree_t *t);
/* Every CPU holding the minimum, in increasing id, into out[] (room for n);
 * returns how many. */
uint32_t cpu_tree_ties(const cpu_tree_t *t, uint32_t *out);
void cpu_tree_check(const cpu_tree_t *t);

#endif
