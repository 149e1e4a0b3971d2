/* SPDX-License-Identifier: MIT */
/*
 * vma_tree.c - the VMAs of an mm in an AVL tree keyed by vm_start (Adelson-
 * Velsky and Landis 1962; Knuth TAOCP 3, 6.2.3), the role the red-black tree
 * (before 6.1) and the maple tree (since) play for find_vma.  Because VMAs
 * are disjoint, "the first VMA with addr < vm_end" is found by one descent:
 * go left when addr < v->end (v is a candidate), right otherwise.
 *
 * Invariant (vma_tree_check): in-order walk = mm->vmas list; heights exact
 * and balanced; VMAs disjoint and ordered.
 */
#include "mm/mm_impl.h"

static int h(const mm_vma_t *v) { return v ? v->height : 0; }

static void fix(mm_vma_t *v)
{
    int a = h(v->left), b = h(v->right);
    v->height = (a > b ? a : b) + 1;
}

static mm_vma_t *rot_right(mm_vma_t *v)
{
    mm_vma_t *l = v->left;
    v->left = l->right;
    l->right = v;
    fix(v);
    fix(l);
    return l;
}

static mm_vma_t *rot_left(mm_vma_t *v)
{
    mm_vma_t *r = v->right;
    v->right = r->left;
    r->left = v;
    fix(v);
    fix(r);
    return r;
}

static mm_vma_t *balance(mm_vma_t *v)
{
    fix(v);
    int bf = h(v->left) - h(v->right);
    if (bf > 1) {
        if (h(v->left->left) < h(v->left->right))
            v->left = rot_left(v->left);
        return rot_right(v);
    }
    if (bf < -1) {
        if (h(v->right->right) < h(v->right->left))
            v->right = rot_right(v->right);
        return rot_left(v);
    }
    return v;
}

static mm_vma_t *ins(mm_vma_t *t, mm_vma_t *v)
{
    if (!t)
        return v;
    if (v->start < t->start)
        t->left = ins(t->left, v);
    else
        t->right = ins(t->right, v);
    return balance(t);
}

static mm_vma_t *take_min(mm_vma_t *t, mm_vma_t **min)
{
    if (!t->left) {
        *min = t;
        return t->right;
    }
    t->left = take_min(t->left, min);
    return balance(t);
}

static mm_vma_t *del(mm_vma_t *t, mm_vma_t *v)
{
    VL_ASSERT(t);
    if (v->start < t->start) {
        t->left = del(t->left, v);
    } else if (v->start > t->start) {
        t->right = del(t->right, v);
    } else {
        VL_ASSERT(t == v);
        if (!t->left)
            return t->right;
        if (!t->right)
            return t->left;
        mm_vma_t *m;
        mm_vma_t *r = take_min(t->right, &m);
        m->left = t->left;
        m->right = r;
        return balance(m);
    }
    return balance(t);
}

void vma_tree_insert(mm_mm_t *mm, mm_vma_t *v)
{
    v->left = v->right = NULL;
    v->height = 1;
    mm->root = ins(mm->root, v);
    /* The list: after the predecessor (the last VMA with start < v->start). */
    mm_vma_t *next = vma_tree_find(mm, v->end);
    if (next == v)
        next = NULL;
    /* next is the first VMA with v->end < end; since disjoint, the first
     * starting at or after v->end (or NULL). */
    if (next)
        vl_list__insert(&v->node, next->node.prev, &next->node);
    else
        vl_list_add_tail(&mm->vmas, &v->node);
    mm->nvmas++;
}

void vma_tree_erase(mm_mm_t *mm, mm_vma_t *v)
{
    mm->root = del(mm->root, v);
    vl_list_del(&v->node);
    mm->nvmas--;
    if (mm->cache == v)
        mm->cache = NULL;
}

mm_vma_t *vma_tree_find(const mm_mm_t *mm, uint64_t addr)
{
    mm_vma_t *t = mm->root, *best = NULL;
    while (t) {
        if (addr < t->end) {
            best = t;
            if (addr >= t->start)
                return t;
            t = t->left;
        } else {
            t = t->right;
        }
    }
    return best;
}

static int check_node(const mm_vma_t *t, vl_list_t **it, const vl_list_t *head, uint64_t *n)
{
    if (!t)
        return 0;
    int a = check_node(t->left, it, head, n);
    VL_ASSERT(*it != head);
    VL_ASSERT(vl_list_entry(*it, mm_vma_t, node) == t);
    *it = (*it)->next;
    (*n)++;
    int b = check_node(t->right, it, head, n);
    VL_ASSERT(a - b <= 1 && b - a <= 1);
    VL_ASSERT(t->height == (a > b ? a : b) + 1);
    return t->height;
}

void vma_tree_check(const mm_mm_t *mm)
{
    vl_list_t *it = mm->vmas.next;
    uint64_t n = 0;
    check_node(mm->root, &it, &mm->vmas, &n);
    VL_ASSERT(it == &mm->vmas);
    VL_ASSERT(n == mm->nvmas);
    uint64_t prev_end = 0;
    vl_list_for_each(it, &mm->vmas) {
        const mm_vma_t *v = vl_list_entry(it, mm_vma_t, node);
        VL_ASSERT(v->start < v->end && v->start >= prev_end);
        VL_ASSERT(((v->start | v->end) & 4095) == 0);
        prev_end = v->end;
    }
}
