/* SPDX-License-Identifier: MIT */
/*
 * gcbench.c - GCBench, the binary-tree benchmark of John Ellis and Pete
 * Kovac as Hans Boehm adapted it for C, written from its published
 * description (https://www.hboehm.info/gc/gc_bench/): a stretch tree of depth
 * 18 made and dropped, a long-lived tree of depth 16 and an array of 500,000
 * doubles kept to the end, then for depths 4, 6, ..., 16 as many trees as
 * hold 2 * TreeSize(18) nodes in all, built top down (Populate: allocate the
 * children, then fill them) and bottom up (MakeTree: allocate the node after
 * its subtrees), each dropped at once.
 *
 * Built twice by bench/bench_gc.sh: against vmlab gc (include/vmlab/gc.h) and,
 * with -DUSE_BDWGC, against the Boehm-Demers-Weiser collector (libgc-dev).
 * Lines with "msec" carry times; every other line is the same under both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef USE_BDWGC
#include <gc.h>
#define ALLOC(n) GC_MALLOC(n)
#define ALLOC_ATOMIC(n) GC_MALLOC_ATOMIC(n)
#define COLLECTOR "bdwgc"
static void init(void) { GC_INIT(); }
static unsigned long collections(void) { return (unsigned long)GC_get_gc_no(); }
#else
#include "vmlab/gc.h"
#define ALLOC(n) gc_malloc(n)
#define ALLOC_ATOMIC(n) gc_malloc_atomic(n)
#define COLLECTOR "vmlab"
static void init(void) { gc_init(); }
static unsigned long collections(void)
{
    gc_stats_t st;
    gc_get_stats(&st);
    return (unsigned long)st.collections;
}
#endif

enum {
    STRETCH_DEPTH = 18,
    LONG_LIVED_DEPTH = 16,
    ARRAY_SIZE = 500000,
    MIN_DEPTH = 4,
    MAX_DEPTH = 16,
};

typedef struct node {
    struct node *left, *right; /* children, NULL at the leaves */
    int i, j;                  /* payload, as in the original */
} node_t;

static node_t *new_node(node_t *l, node_t *r)
{
    node_t *n = ALLOC(sizeof *n);
    if (!n) {
        fprintf(stderr, "gcbench: out of memory\n");
        exit(1);
    }
    n->left = l;
    n->right = r;
    return n;
}

/* Nodes in a full binary tree of depth i. */
static long tree_size(int i) { return (1L << (i + 1)) - 1; }
static long num_iters(int i) { return 2 * tree_size(STRETCH_DEPTH) / tree_size(i); }

/* Top down: the node exists, its children are made and then filled. */
static void populate(int depth, node_t *n)
{
    if (depth <= 0)
        return;
    depth--;
    n->left = new_node(NULL, NULL);
    n->right = new_node(NULL, NULL);
    populate(depth, n->left);
    populate(depth, n->right);
}

/* Bottom up: the subtrees first. */
static node_t *make_tree(int depth)
{
    if (depth <= 0)
        return new_node(NULL, NULL);
    return new_node(make_tree(depth - 1), make_tree(depth - 1));
}

static long msec_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void time_construction(int depth)
{
    long iters = num_iters(depth);
    struct timespec t0;
    printf("Creating %ld trees of depth %d\n", iters, depth);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < iters; i++) {
        node_t *temp = new_node(NULL, NULL);
        populate(depth, temp);
    }
    printf("\tTop down construction took %ld msec\n", msec_since(&t0));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < iters; i++)
        (void)make_tree(depth);
    printf("\tBottom up construction took %ld msec\n", msec_since(&t0));
}

int main(void)
{
    struct timespec t0;
    node_t *volatile long_lived;
    double *volatile array;
    init();
    printf("Garbage Collector Test\n");
    printf(" Live storage will peak at %ld bytes.\n\n",
           2 * (long)sizeof(node_t) * tree_size(LONG_LIVED_DEPTH) + (long)sizeof(double) * ARRAY_SIZE);
    printf(" Stretching memory with a binary tree of depth %d\n", STRETCH_DEPTH);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    (void)make_tree(STRETCH_DEPTH);

    printf(" Creating a long-lived binary tree of depth %d\n", LONG_LIVED_DEPTH);
    long_lived = new_node(NULL, NULL);
    populate(LONG_LIVED_DEPTH, long_lived);

    printf(" Creating a long-lived array of %d doubles\n", ARRAY_SIZE);
    array = ALLOC_ATOMIC(sizeof(double) * ARRAY_SIZE);
    for (int i = 0; i < ARRAY_SIZE / 2; i++)
        array[i] = 1.0 / i;

    for (int d = MIN_DEPTH; d <= MAX_DEPTH; d += 2)
        time_construction(d);

    if (long_lived == NULL || array[1000] != 1.0 / 1000)
        printf("Failed\n");
    printf("Completed in %ld msec\n", msec_since(&t0));
    fprintf(stderr, "%s: %lu collections\n", COLLECTOR, collections());
    return 0;
}
