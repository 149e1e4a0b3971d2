/* SPDX-License-Identifier: MIT */
/*
 * opt_stack.c - OPT stack distances in O(log n) a reference.
 *
 * Mattson et al. (1970) showed OPT (Belady's MIN) is a stack algorithm but
 * their stack update costs O(distance) a reference.  Bilardi, Ekanadham and
 * Pattnaik ("Optimal on-line computation of stack distances for MIN and
 * OPT", CF 2017) showed the distance depends on the past only and keep, for
 * every capacity c, a "critical marker" into the LRU stack.  This file is
 * our own formulation of that analysis on a time axis, checked against
 * brute-force MIN simulation in tests/test_mrc.c:
 *
 *   Time slots 0, 1, 2, ... (one per reference, renumbered when they run out).
 *   A slot is "live" if it is the last reference of its page (the LRU stack
 *   is the live slots, newest first), and "marked" if capacity c's marker
 *   tau_c points at it (capacities c = 1 .. distinct-1; at most one marker a
 *   slot, since each is set to the current slot).  Weight w(s) = marked(s) -
 *   live(s); W = sum of all weights; P(s) = sum of w over slots <= s.
 *   Invariant: P(s) <= W at every live slot s.
 *
 *   A reference to a page seen before, whose last reference is slot p:
 *     - p is the newest slot: distance 1, nothing changes;
 *     - otherwise tau* = the oldest live slot after p with P(tau*) = W, and
 *       c = the least capacity with tau_c <= tau*; the distance is c + 1;
 *       then tau_c moves to the current slot and so does the page's live slot.
 *   A first reference: its slot is live, and (from the second page on) the
 *   next capacity's marker points at it.
 *
 * Both searches are tree descents: over 64-slot blocks of the time axis, a
 * binary segment tree whose nodes keep the weight sum and the highest prefix
 * at a live slot (1 MiB for 762 669 pages: it stays in L2), and over
 * capacities a 16-ary tree of least taus, one cache line a level (5 levels
 * for a million capacities instead of 20).  So a reference costs O(log n)
 * plus a scan of a few 64-bit words.
 */
#include "mrc/opt_stack.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "mrc/dense_ids.h"
#include "vmlab/check.h"

#define NEG (-(1 << 30)) /* "no live slot here" for the prefix maximum */
#define NONE UINT32_MAX

typedef struct tnode {
    int32_t sum; /* sum of w over the node's slots */
    int32_t max; /* highest prefix (within the node) at a live slot; NEG if none */
} tnode_t;

struct opt_dense {
    size_t nb;          /* 64-slot blocks, a power of two; slots = 64 nb */
    uint64_t *live;     /* nb words: slot is some page's last reference */
    uint64_t *mk;       /* nb words: slot carries a capacity's marker */
    tnode_t *t;         /* 2 nb tree nodes (leaves at nb + block) */
    uint32_t *slot_id;  /* 64 nb: page id of a live slot */
    uint32_t *slot_cap; /* 64 nb: capacity of a marked slot */
    uint32_t *last;     /* lcap entries: live slot of each page, NONE before its first use */
    size_t lcap;        /* entries of last[], >= V */
    uint32_t V;         /* pages seen: ids 0 .. V - 1 */
    uint64_t *hist;     /* hcap entries: hist[d], references at distance d */
    size_t hcap;        /* entries of hist[], >= V + 1 */
    uint64_t cold;      /* first references */
    size_t coff_end;    /* entries of cmin[] */
    size_t ncp;         /* capacity tree leaves, a power of 16 > ncap */
    unsigned clev;      /* levels above the leaves: ncp = 16^clev */
    size_t coff[16];    /* offset of level k in cmin (leaves: level 0, at 0) */
    uint32_t *cmin;     /* 16-ary min tree, level by level, 64-byte aligned:
                           cmin[c] is capacity c's marker slot (NONE if
                           unset), a node the least of its 16 children */
    uint32_t ncap;      /* capacities handed out so far (index 0 unused) */
    size_t now;         /* next slot */
    int64_t W;          /* sum of all weights */
};
typedef struct opt_dense opt_state_t;

/* For 8 slots at a time: index (live byte) | (marker byte) << 8 gives the
 * byte's weight sum and its highest prefix at a live slot (NIB_NONE if no
 * slot is live), so a 64-slot block is 8 table steps, no branches; the two
 * 64 KiB tables stay in L2. */
#define NIB_NONE (-64)
#define NIB_BITS 8
#define NIB_STEPS (64 / NIB_BITS)
static int8_t nib_sum[1 << (2 * NIB_BITS)], nib_max[1 << (2 * NIB_BITS)];
static pthread_once_t nib_once = PTHREAD_ONCE_INIT;

static void nib_init(void)
{
    for (int i = 0; i < 1 << (2 * NIB_BITS); i++) {
        int pre = 0, mx = NIB_NONE;
        for (int j = 0; j < NIB_BITS; j++) {
            int l = i >> j & 1, m = i >> (NIB_BITS + j) & 1;
            pre += m - l;
            if (l && pre > mx)
                mx = pre;
        }
        nib_sum[i] = (int8_t)pre;
        nib_max[i] = (int8_t)mx;
    }
}

static inline unsigned nib(uint64_t L, uint64_t M, unsigned k)
{
    const uint64_t mask = (1u << NIB_BITS) - 1;
    return (unsigned)((L >> (NIB_BITS * k)) & mask) |
           (unsigned)(((M >> (NIB_BITS * k)) & mask) << NIB_BITS);
}

/* Highest prefix at a live slot of the block (NEG if none). */
static int32_t block_max(uint64_t L, uint64_t M)
{
    int32_t pre = 0, mx = NEG;
    for (unsigned k = 0; k < NIB_STEPS; k++) {
        unsigned i = nib(L, M, k);
        int32_t c = pre + nib_max[i];
        if (nib_max[i] != NIB_NONE && c > mx)
            mx = c;
        pre += nib_sum[i];
    }
    return mx;
}

static inline void node_pull(opt_state_t *o, size_t x)
{
    int32_t a = o->t[2 * x].max, c = o->t[2 * x].sum + o->t[2 * x + 1].max;
    o->t[x].sum = o->t[2 * x].sum + o->t[2 * x + 1].sum;
    o->t[x].max = a > c ? a : c;
}

static void leaf_set(opt_state_t *o, size_t b)
{
    uint64_t L = o->live[b], M = o->mk[b];
    o->t[o->nb + b].sum = __builtin_popcountll(M) - __builtin_popcountll(L);
    o->t[o->nb + b].max = block_max(L, M);
}

static void block_update(opt_state_t *o, size_t b)
{
    leaf_set(o, b);
    for (size_t x = (o->nb + b) >> 1; x; x >>= 1)
        node_pull(o, x);
}

/* Blocks a, b, c changed (any may repeat): each ancestor recomputed once. */
static void blocks_update3(opt_state_t *o, size_t a, size_t b, size_t c)
{
    size_t x = o->nb + a, y = o->nb + b, z = o->nb + c;
    leaf_set(o, a);
    if (b != a)
        leaf_set(o, b);
    if (c != a && c != b)
        leaf_set(o, c);
    for (x >>= 1, y >>= 1, z >>= 1; x; x >>= 1, y >>= 1, z >>= 1) {
        node_pull(o, x);
        if (y != x)
            node_pull(o, y);
        if (z != x && z != y)
            node_pull(o, z);
    }
}

static void tree_build(opt_state_t *o)
{
    for (size_t b = 0; b < o->nb; b++) {
        uint64_t L = o->live[b], M = o->mk[b];
        o->t[o->nb + b].sum = __builtin_popcountll(M) - __builtin_popcountll(L);
        o->t[o->nb + b].max = block_max(L, M);
    }
    for (size_t x = o->nb - 1; x >= 1; x--) {
        int32_t a = o->t[2 * x].max, c = o->t[2 * x].sum + o->t[2 * x + 1].max;
        o->t[x].sum = o->t[2 * x].sum + o->t[2 * x + 1].sum;
        o->t[x].max = a > c ? a : c;
    }
}

/* Capacity c's marker moves to slot tau: its leaf, then each ancestor (16
 * children in one cache line) until one does not change. */
static void cap_set(opt_state_t *o, uint32_t c, uint32_t tau)
{
    size_t i = c;
    o->cmin[i] = tau;
    for (unsigned k = 1; k <= o->clev; k++) {
        const uint32_t *ch = o->cmin + o->coff[k - 1] + (i & ~(size_t)15);
        uint32_t m = ch[0];
        for (unsigned j = 1; j < 16; j++)
            m = ch[j] < m ? ch[j] : m;
        i >>= 4;
        if (o->cmin[o->coff[k] + i] == m) /* nothing above changes either */
            break;
        o->cmin[o->coff[k] + i] = m;
    }
}

static void cap_rebuild(opt_state_t *o)
{
    for (unsigned k = 1; k <= o->clev; k++) {
        size_t n = o->ncp >> (4 * k);
        for (size_t i = 0; i < n; i++) {
            const uint32_t *ch = o->cmin + o->coff[k - 1] + 16 * i;
            uint32_t m = ch[0];
            for (unsigned j = 1; j < 16; j++)
                m = ch[j] < m ? ch[j] : m;
            o->cmin[o->coff[k] + i] = m;
        }
    }
}

/* In block b, from bit `from` on, the first live slot whose prefix (acc is
 * the sum before the block) reaches W; -1 if none. */
static long scan_block(const opt_state_t *o, size_t b, unsigned from, int64_t acc)
{
    uint64_t L = o->live[b], M = o->mk[b], occ;
    unsigned k = 0;
    /* Whole bytes of slots: skip those below `from` or whose best live
     * prefix falls short, then look at single slots from the first one that
     * can qualify. */
    for (; k < NIB_STEPS; k++) {
        unsigned i = nib(L, M, k);
        if (NIB_BITS * k + NIB_BITS > from && nib_max[i] != NIB_NONE && acc + nib_max[i] >= o->W)
            break;
        acc += nib_sum[i];
    }
    if (k == NIB_STEPS)
        return -1;
    occ = ((L | M) >> (NIB_BITS * k)) << (NIB_BITS * k);
    while (occ) {
        unsigned j = (unsigned)__builtin_ctzll(occ);
        uint64_t bit = 1ull << j;
        acc += (M & bit ? 1 : 0) - (L & bit ? 1 : 0);
        if ((L & bit) && j >= from && acc >= o->W)
            return (long)(b * 64 + j);
        occ &= occ - 1;
    }
    return -1;
}

/* The oldest live slot >= from whose prefix P reaches W. */
static size_t find_tau(const opt_state_t *o, size_t from)
{
    size_t b0 = from / 64, x = o->nb + b0;
    int64_t acc = 0;
    long r;
    for (size_t y = x; y > 1; y >>= 1)
        if (y & 1)
            acc += o->t[y - 1].sum;
    r = scan_block(o, b0, (unsigned)(from % 64), acc);
    if (r >= 0)
        return (size_t)r;
    acc += o->t[x].sum;
    for (;;) {
        VL_ASSERT(x > 1); /* the newest live slot always qualifies */
        if (!(x & 1)) {
            if (acc + o->t[x + 1].max >= o->W) {
                x++;
                break;
            }
            acc += o->t[x + 1].sum;
        }
        x >>= 1;
    }
    while (x < o->nb) {
        x *= 2;
        if (acc + o->t[x].max < o->W) {
            acc += o->t[x].sum;
            x++;
        }
    }
    r = scan_block(o, x - o->nb, 0, acc);
    VL_ASSERT(r >= 0);
    return (size_t)r;
}

/* The least capacity whose marker is at or before slot tau: down the
 * 16-ary tree, one cache line a level, taking the first child <= tau. */
static uint32_t find_cap(const opt_state_t *o, uint32_t tau)
{
    size_t i = 0;
    VL_ASSERT(o->cmin[o->coff[o->clev]] <= tau);
    for (unsigned k = o->clev; k-- > 0;) {
        const uint32_t *ch = o->cmin + o->coff[k] + 16 * i;
        unsigned j = 0;
        while (ch[j] > tau)
            j++;
        VL_ASSERT(j < 16);
        i = 16 * i + j;
    }
    return (uint32_t)i;
}

static int alloc_time(opt_state_t *o, size_t nb)
{
    size_t slots = nb * 64;
    uint64_t *live = calloc(nb, 8), *mk = calloc(nb, 8);
    tnode_t *t = calloc(2 * nb, sizeof *t);
    uint32_t *sid = malloc(slots * 4), *scap = malloc(slots * 4);
    if (!live || !mk || !t || !sid || !scap) {
        free(live), free(mk), free(t), free(sid), free(scap);
        return -ENOMEM;
    }
    if (o->slot_id) {
        memcpy(sid, o->slot_id, o->nb * 64 * 4);
        memcpy(scap, o->slot_cap, o->nb * 64 * 4);
    }
    free(o->live), free(o->mk), free(o->t), free(o->slot_id),
        free(o->slot_cap);
    o->live = live, o->mk = mk, o->t = t;
    o->slot_id = sid, o->slot_cap = scap;
    o->nb = nb;
    return 0;
}

/* Renumber the occupied (live or marked) slots in order from 0. */
static int compact(opt_state_t *o)
{
    size_t nb = o->nb, k = 0, occ = 0;
    uint64_t *ol, *om;
    for (size_t b = 0; b < nb; b++)
        occ += (size_t)__builtin_popcountll(o->live[b] | o->mk[b]);
    ol = o->live, om = o->mk;
    o->live = o->mk = NULL;
    if (occ * 2 > nb * 64) {
        /* Keep the old bitmaps for the walk; alloc_time copies the slot maps. */
        if (nb * 128 > (size_t)1 << 29 || alloc_time(o, nb * 2)) {
            o->live = ol, o->mk = om;
            return -ENOMEM;
        }
    } else {
        o->live = calloc(nb, 8);
        o->mk = calloc(nb, 8);
        if (!o->live || !o->mk) {
            free(o->live), free(o->mk);
            o->live = ol, o->mk = om;
            return -ENOMEM;
        }
    }
    for (size_t b = 0; b < nb; b++) {
        uint64_t L = ol[b], M = om[b], bits = L | M;
        while (bits) {
            unsigned j = (unsigned)__builtin_ctzll(bits);
            size_t s = b * 64 + j;
            bits &= bits - 1;
            if (L >> j & 1) {
                o->slot_id[k] = o->slot_id[s];
                o->last[o->slot_id[k]] = (uint32_t)k;
                o->live[k / 64] |= 1ull << (k % 64);
            }
            if (M >> j & 1) {
                o->slot_cap[k] = o->slot_cap[s];
                o->cmin[o->slot_cap[k]] = (uint32_t)k;
                o->mk[k / 64] |= 1ull << (k % 64);
            }
            k++;
        }
    }
    free(ol), free(om);
    cap_rebuild(o);
    tree_build(o);
    o->now = k;
    return 0;
}

/* Abort if an invariant is broken: every tree node is its children's
 * combination, every leaf its block; each page's last slot is live and
 * owned by it; each capacity's marker slot is marked and owned by it, and
 * marked slots number ncap - 1; P(s) <= W at every live slot.  O(slots). */
static void opt_check(const opt_state_t *o, uint32_t V)
{
    int64_t pre = 0, total = 0;
    size_t marks = 0;
    for (size_t b = 0; b < o->nb; b++) {
        VL_ASSERT(o->t[o->nb + b].sum == __builtin_popcountll(o->mk[b]) - __builtin_popcountll(o->live[b]));
        VL_ASSERT(o->t[o->nb + b].max == block_max(o->live[b], o->mk[b]));
        total += o->t[o->nb + b].sum;
        marks += (size_t)__builtin_popcountll(o->mk[b]);
    }
    VL_ASSERT(total == o->W);
    VL_ASSERT(marks + 1 == (o->ncap ? o->ncap : 1));
    for (size_t x = o->nb - 1; x >= 1; x--) {
        int32_t a = o->t[2 * x].max, c = o->t[2 * x].sum + o->t[2 * x + 1].max;
        VL_ASSERT(o->t[x].sum == o->t[2 * x].sum + o->t[2 * x + 1].sum);
        VL_ASSERT(o->t[x].max == (a > c ? a : c));
    }
    for (unsigned k = 1; k <= o->clev; k++)
        for (size_t i = 0; i < o->ncp >> (4 * k); i++) {
            uint32_t m = NONE;
            for (unsigned j = 0; j < 16; j++)
                m = o->cmin[o->coff[k - 1] + 16 * i + j] < m ? o->cmin[o->coff[k - 1] + 16 * i + j] : m;
            VL_ASSERT(o->cmin[o->coff[k] + i] == m);
        }
    for (uint32_t x = 0; x < V; x++)
        if (o->last[x] != NONE) {
            VL_ASSERT(o->live[o->last[x] / 64] >> (o->last[x] % 64) & 1);
            VL_ASSERT(o->slot_id[o->last[x]] == x);
        }
    for (uint32_t c = 1; c < o->ncap; c++) {
        uint32_t t = o->cmin[c];
        VL_ASSERT(t < o->now && (o->mk[t / 64] >> (t % 64) & 1) && o->slot_cap[t] == c);
    }
    for (size_t t = 0; t < o->now; t++) {
        int live = (int)(o->live[t / 64] >> (t % 64) & 1);
        pre += (int)(o->mk[t / 64] >> (t % 64) & 1) - live;
        VL_ASSERT(!live || pre <= o->W);
    }
}

static void set_bit(uint64_t *w, size_t s) { w[s / 64] |= 1ull << (s % 64); }
static void clr_bit(uint64_t *w, size_t s) { w[s / 64] &= ~(1ull << (s % 64)); }

static void state_free(opt_state_t *o)
{
    free(o->live), free(o->mk), free(o->t), free(o->slot_id);
    free(o->slot_cap), free(o->last), free(o->cmin);
}

/* A capacity tree 16 times wider (or the first one): the leaves are
 * copied, the levels above rebuilt. */
static int cap_grow(opt_state_t *o)
{
    size_t ncp = o->ncp ? o->ncp * 16 : 16, off = 0, coff[16];
    unsigned clev = o->ncp ? o->clev + 1 : 1;
    uint32_t *cmin;
    if (clev >= 16 || ncp > (size_t)UINT32_MAX + 1)
        return -ENOMEM;
    for (unsigned k = 0; k <= clev; k++) {
        coff[k] = off;
        off += ((ncp >> (4 * k)) + 15) & ~(size_t)15; /* lines stay aligned */
    }
    if (!(cmin = aligned_alloc(64, off * sizeof *cmin)))
        return -ENOMEM;
    memset(cmin, 0xff, off * sizeof *cmin);
    if (o->cmin)
        memcpy(cmin, o->cmin, o->ncp * sizeof *cmin);
    free(o->cmin);
    o->cmin = cmin, o->ncp = ncp, o->clev = clev, o->coff_end = off;
    memcpy(o->coff, coff, sizeof coff);
    cap_rebuild(o);
    return 0;
}

opt_dense_t *opt_dense_new(void)
{
    opt_state_t *o = calloc(1, sizeof *o);
    pthread_once(&nib_once, nib_init);
    if (!o || cap_grow(o) || alloc_time(o, 64)) {
        if (o)
            state_free(o);
        free(o);
        errno = ENOMEM;
        return NULL;
    }
    tree_build(o);
    return o;
}

void opt_dense_free(opt_dense_t *o)
{
    if (!o)
        return;
    state_free(o);
    free(o->hist);
    free(o);
}

/* Room for id V (a new page): last[], hist[] and the capacity tree. */
static int opt_room(opt_state_t *o)
{
    size_t lc = o->lcap, hc = o->hcap;
    if ((size_t)o->V + 1 > lc) {
        if (vl_grow((void **)&o->last, &lc, (size_t)o->V + 1, sizeof *o->last))
            return -ENOMEM;
        memset(o->last + o->lcap, 0xff, (lc - o->lcap) * sizeof *o->last);
        o->lcap = lc;
    }
    if ((size_t)o->V + 2 > hc) {
        if (vl_grow((void **)&o->hist, &hc, (size_t)o->V + 2, sizeof *o->hist))
            return -ENOMEM;
        memset(o->hist + o->hcap, 0, (hc - o->hcap) * sizeof *o->hist);
        o->hcap = hc;
    }
    if (o->ncap + 1 >= o->ncp && cap_grow(o))
        return -ENOMEM;
    return 0;
}

int opt_dense_feed(opt_dense_t *o, const uint32_t *id, size_t n)
{
    for (size_t t = 0; t < n; t++) {
        uint32_t x = id[t], p, c, old;
        size_t now, bp, bo, bn;
        VL_ASSERT(x <= o->V); /* dense: a new id is the next one */
        if (t + 16 < n && id[t + 16] < o->lcap)
            __builtin_prefetch(&o->last[id[t + 16]]);
        if (x == o->V) {
            if (opt_room(o))
                return -ENOMEM;
            o->V++;
        }
        if (o->now == o->nb * 64 && compact(o))
            return -ENOMEM;
        now = o->now;
        p = o->last[x];
        if (p == NONE) {
            o->cold++;
            set_bit(o->live, now);
            o->slot_id[now] = x;
            o->last[x] = (uint32_t)now;
            o->W--;
            if (o->ncap >= 1) {
                set_bit(o->mk, now);
                o->slot_cap[now] = o->ncap;
                cap_set(o, o->ncap, (uint32_t)now);
                o->W++;
            }
            o->ncap++;
            block_update(o, now / 64);
            o->now++;
            continue;
        }
        if (p == now - 1) { /* the newest page again */
            o->hist[1]++;
            continue;
        }
        c = find_cap(o, (uint32_t)find_tau(o, (size_t)p + 1));
        o->hist[c + 1]++;
        old = o->cmin[c];
        clr_bit(o->mk, old);
        clr_bit(o->live, p);
        set_bit(o->live, now);
        set_bit(o->mk, now);
        o->slot_id[now] = x;
        o->slot_cap[now] = c;
        o->last[x] = (uint32_t)now;
        cap_set(o, c, (uint32_t)now);
        bp = p / 64, bo = old / 64, bn = now / 64;
        blocks_update3(o, bn, bp, bo);
        o->now++;
        VL_DEBUG_CHECK(if (o->V < 256 || (o->now & 4095) == 0) opt_check(o, o->V));
    }
    return 0;
}

const uint64_t *opt_dense_hist(const opt_dense_t *o, uint32_t *V, uint64_t *cold)
{
    *V = o->V;
    *cold = o->cold;
    return o->hist;
}

size_t opt_dense_bytes(const opt_dense_t *o)
{
    return sizeof *o + o->nb * (8 + 8 + 2 * sizeof *o->t + 64 * 4 + 64 * 4) +
           o->lcap * sizeof *o->last + o->hcap * sizeof *o->hist + o->coff_end * sizeof *o->cmin;
}

/* The old one-shot numbering, over dense_ids.c. */
int opt_dense_ids(const uint64_t *page, size_t n, uint32_t *id, uint32_t *V)
{
    dense_ids_t *m = dense_ids_new();
    int rc = m ? dense_ids_map(m, page, n, id, NULL) : -ENOMEM;
    if (rc == 0)
        *V = dense_ids_count(m);
    dense_ids_free(m);
    return rc;
}
