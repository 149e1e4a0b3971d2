/* SPDX-License-Identifier: MIT */
/*
 * segfit.c - segregated fits (CS:APP 9.9.14; Wilson et al. 1995, sec. 3.6;
 * the two-level size classes of TLSF, Masmano et al. 2004).
 *
 * 160 size classes: exact 16-byte classes below 512 bytes, then eight
 * classes per power of two (seg_index.h).  Each class is ordered by size,
 * so the first fitting block of the request's class is the best fit in it;
 * failing that, the smallest block of the next non-empty class (found with
 * a bitmap) fits.  This is best fit at nearly the cost of a lookup: good
 * utilization and O(1) in practice.
 */
#include "malloc/seg_index.h"

static const bt_policy_t seg_policy = {
    .meta = 24, .insert = seg_insert, .remove = seg_remove, .find = seg_find,
    .walk_free = seg_walk, .check = seg_check,
};

_Static_assert(MA_HEAP_HDR + sizeof(seg_state_t) <= MA_HEAP_BYTES, "MA_HEAP_BYTES too small");

const ma_design_t ma_segfit = BT_DESIGN_STATE(
    "segfit", "segregated fits: 160 size classes, best fit within a class", &seg_policy,
    sizeof(seg_state_t));
