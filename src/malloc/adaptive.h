/* SPDX-License-Identifier: MIT */
/*
 * adaptive.h - what the adaptive design (adaptive.c) shares with designs
 * built on it (hybrid.c): its state, which such a design's state must start
 * with, and its boundary-tag policy.  Nothing here changes adaptive itself.
 */
#ifndef VMLAB_MALLOC_ADAPTIVE_H
#define VMLAB_MALLOC_ADAPTIVE_H

#include "malloc/bt.h"

typedef struct ad_state {
    ma_lists_t seg;  /* the free-block index (first: ma_lists() reads it) */
    size_t mean16;   /* running mean of block sizes asked for, times 16 */
    size_t ntiny;    /* free blocks on the regions' tiny lists */
    bt_sweep_t sweep; /* bt.c's sweep rule: the last frees */
} ad_state_t;

/* adaptive's policy: fit, index, placement (see adaptive.c). */
extern const bt_policy_t ad_policy;

#endif
