/* SPDX-License-Identifier: MIT */
/*
 * segfit.c - segregated fits (CS:APP 9.9.14; Wilson et al. 1995, sec. 3.6;
 * the two-level size classes of TLSF, Masmano et al. 2004).
 *
 * 160 size classes: exact 16-byte classes below 512 bytes, then eight
 * classes per power of two (seg_tree.h).  Each class is a search tree by
 * size (then address), so the smallest fitting block of the request's
 * class is the best fit in it; failing that, the smallest block of the next
 * non-empty class (found with a bitmap) fits.  Best fit in O(log n).
 * (Until issue 10 each class was a list sorted by size, LIFO among equal
 * sizes; the trees pick the same sizes, and on every malloc-lab trace the
 * same heap size to the byte.)
 */
#include "malloc/seg_tree.h"

static const bt_policy_t seg_policy = {
    .meta = 24, .insert = st_insert, .remove = st_remove, .find = st_find,
    .walk_free = st_walk, .check = st_check,
};

_Static_assert(MA_HEAP_HDR + sizeof(ma_lists_t) <= MA_HEAP_BYTES, "MA_HEAP_BYTES too small");

const ma_design_t ma_segfit = BT_DESIGN_STATE(
    "segfit", "segregated fits: 160 size classes, best fit within a class", &seg_policy,
    sizeof(ma_lists_t));
