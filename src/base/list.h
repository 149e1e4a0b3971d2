/* SPDX-License-Identifier: MIT */
/*
 * list.h - intrusive circular doubly linked lists with a sentinel head, as the
 * Linux kernel's include/linux/list.h: a structure embeds a vl_list_t and is
 * found back from it with vl_list_entry (container_of).
 *
 * Use it where nodes are objects that live anywhere (slabs, pages, VMAs, tasks,
 * free blocks). Where nodes are dense u32 indices into one array, src/sim/ilist.h
 * is the lighter form (no pointers, 8 bytes a node).
 *
 * Invariants (vl_list_check): from the head, following next n times returns to
 * the head, and for every node x, x->next->prev == x and x->prev->next == x.
 * An empty list is a head whose next and prev are itself.  A node taken off
 * with vl_list_del points at itself, so a second del is harmless and
 * vl_list_unlinked() tells whether a node is on a list.
 */
#ifndef VMLAB_BASE_LIST_H
#define VMLAB_BASE_LIST_H

#include <stddef.h>

#include "vmlab/check.h"

typedef struct vl_list {
    struct vl_list *next; /* toward the tail; the head when last */
    struct vl_list *prev; /* toward the head; the head when first */
} vl_list_t;

/* The structure of type T whose member `m` is at address p. */
#define vl_list_entry(p, T, m) ((T *)((char *)(p) - offsetof(T, m)))

#define VL_LIST_INIT(name) { &(name), &(name) }

static inline void vl_list_init(vl_list_t *h) { h->next = h->prev = h; }

static inline int vl_list_empty(const vl_list_t *h) { return h->next == h; }

/* True when x was initialised or deleted and is on no list. */
static inline int vl_list_unlinked(const vl_list_t *x) { return x->next == x; }

static inline void vl_list__insert(vl_list_t *x, vl_list_t *prev, vl_list_t *next)
{
    next->prev = x;
    x->next = next;
    x->prev = prev;
    prev->next = x;
}

/* Insert x right after the head (a stack push, the kernel's list_add). */
static inline void vl_list_add(vl_list_t *h, vl_list_t *x) { vl_list__insert(x, h, h->next); }

/* Insert x right before the head, i.e. at the tail (a queue push). */
static inline void vl_list_add_tail(vl_list_t *h, vl_list_t *x) { vl_list__insert(x, h->prev, h); }

/* Take x off its list; x then points at itself. */
static inline void vl_list_del(vl_list_t *x)
{
    x->prev->next = x->next;
    x->next->prev = x->prev;
    x->next = x->prev = x;
}

/* Move x (on some list) to the front / the tail of h. */
static inline void vl_list_move(vl_list_t *h, vl_list_t *x)
{
    vl_list_del(x);
    vl_list_add(h, x);
}
static inline void vl_list_move_tail(vl_list_t *h, vl_list_t *x)
{
    vl_list_del(x);
    vl_list_add_tail(h, x);
}

/* First / last node, or NULL when empty. */
static inline vl_list_t *vl_list_first(const vl_list_t *h) { return h->next == h ? NULL : h->next; }
static inline vl_list_t *vl_list_last(const vl_list_t *h) { return h->prev == h ? NULL : h->prev; }

/* Iterate; the _safe form allows deleting `it` inside the loop. */
#define vl_list_for_each(it, h) for ((it) = (h)->next; (it) != (h); (it) = (it)->next)
#define vl_list_for_each_safe(it, tmp, h)                                        \
    for ((it) = (h)->next, (tmp) = (it)->next; (it) != (h); (it) = (tmp), (tmp) = (it)->next)

/* Nodes on the list: O(n); keep a counter beside the head where it is hot. */
static inline size_t vl_list_count(const vl_list_t *h)
{
    size_t n = 0;
    for (const vl_list_t *x = h->next; x != h; x = x->next)
        n++;
    return n;
}

/* Abort unless the links are consistent and the list has `n` nodes
 * (pass SIZE_MAX to check the links only). */
static inline void vl_list_check(const vl_list_t *h, size_t n)
{
    size_t k = 0;
    const vl_list_t *x = h;
    do {
        VL_ASSERT(x->next->prev == x && x->prev->next == x);
        x = x->next;
        if (x != h)
            k++;
    } while (x != h);
    VL_ASSERT(n == (size_t)-1 || k == n);
}

#endif
