/* SPDX-License-Identifier: MIT */
/*
 * cpu_tree.c - the tournament tree of cpu_tree.h: an implicit binary tree in
 * one array (node i has children 2i and 2i+1), each inner node the minimum
 * of its children, so the root is the minimum and the leftmost path to it
 * gives the lowest CPU id among ties.
 */
#include "sched/cpu_tree.h"

#include <errno.h>
#include <stdlib.h>

#include "vmlab/check.h"

int cpu_tree_init(cpu_tree_t *t, uint32_t n, uint64_t val)
{
    uint32_t size = 1;
    while (size < n)
        size *= 2;
    t->n = n;
    t->size = size;
    t->v = malloc(2 * (size_t)size * sizeof *t->v);
    if (!t->v)
        return -ENOMEM;
    for (uint32_t i = 0; i < size; i++)
        t->v[size + i] = i < n ? val : CPU_TREE_NONE;
    for (uint32_t i = size - 1; i >= 1; i--)
        t->v[i] = t->v[2 * i] < t->v[2 * i + 1] ? t->v[2 * i] : t->v[2 * i + 1];
    return 0;
}

void cpu_tree_free(cpu_tree_t *t)
{
    free(t->v);
    t->v = NULL;
}

void cpu_tree_set(cpu_tree_t *t, uint32_t cpu, uint64_t val)
{
    uint32_t i = t->size + cpu;
    t->v[i] = val;
    for (i /= 2; i >= 1; i /= 2) {
        uint64_t m = t->v[2 * i] < t->v[2 * i + 1] ? t->v[2 * i] : t->v[2 * i + 1];
        if (t->v[i] == m)
            break; /* nothing above changes */
        t->v[i] = m;
    }
}

uint32_t cpu_tree_argmin(const cpu_tree_t *t)
{
    uint32_t i = 1;
    while (i < t->size)
        i = t->v[2 * i] == t->v[i] ? 2 * i : 2 * i + 1;
    return i - t->size;
}

static uint32_t ties(const cpu_tree_t *t, uint32_t i, uint64_t m, uint32_t *out, uint32_t k)
{
    if (t->v[i] != m)
        return k;
    if (i >= t->size) {
        out[k] = i - t->size;
        return k + 1;
    }
    k = ties(t, 2 * i, m, out, k);
    return ties(t, 2 * i + 1, m, out, k);
}

uint32_t cpu_tree_ties(const cpu_tree_t *t, uint32_t *out)
{
    if (t->v[1] == CPU_TREE_NONE)
        return 0;
    return ties(t, 1, t->v[1], out, 0);
}

void cpu_tree_check(const cpu_tree_t *t)
{
    for (uint32_t i = 1; i < t->size; i++) {
        uint64_t m = t->v[2 * i] < t->v[2 * i + 1] ? t->v[2 * i] : t->v[2 * i + 1];
        VL_ASSERT(t->v[i] == m);
    }
    for (uint32_t i = t->n; i < t->size; i++)
        VL_ASSERT(t->v[t->size + i] == CPU_TREE_NONE);
}
