/* SPDX-License-Identifier: MIT */
/*
 * lru_stack.c - LRU stack distances over a slot bitmap and a Fenwick tree
 * of its words (see lru_stack.h; Mattson et al. 1970, Bennett and Kruskal
 * 1975).  Keys live in an open-addressing table with linear probing and
 * backward-shift deletion (Knuth TAOCP 6.4 algorithm R), one 16-byte entry
 * holding the key and its slot, so a reference costs one table line; the
 * batch loop prefetches that line a few references ahead.
 *
 * Why not base/hashmap.h's vl_map: owner[] points back at table indices
 * (kept right by the backward shift here), which vl_map does not expose, and
 * the same insert-or-find pattern through vl_map costs 2.0x this table's
 * (bench/map_bench.c on the zipf benchmark trace (10 M references, 762,669 pages): this table 19-20 ns a reference, vl_map 39-41 ns (2.0x), 38.5 ns with vl_map_prefetch (1.9x); BENCHMARKS.md, "## base").
 */
#include "base/vec.h"
#include "mrc/lru_stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/hash.h"
#include "vmlab/check.h"

#define EMPTY UINT32_MAX
#define PREFETCH 16 /* references ahead whose table line is fetched */
#define NEAR_WORDS 6 /* distances within this many words: popcount directly */

typedef struct lru_entry {
    uint64_t key;  /* the page */
    uint32_t slot; /* its live slot; EMPTY if the entry is free */
    uint32_t pad;  /* keeps entries 16 bytes, four to a cache line */
} lru_entry_t;

struct lru_stack {
    lru_entry_t *tab; /* mask + 1 entries, at most half full */
    size_t mask;      /* table size - 1 (a power of two) */
    size_t count;     /* keys in the table == live slots */
    uint64_t *bits;   /* cap bits: slot s is live (some key's last reference) */
    int32_t *fen;     /* Fenwick tree, 1-based, nw + 1 entries: fen[i] is the
                         popcount of words [i - lowbit(i), i) */
    uint32_t *owner;  /* cap entries: owner[s] = table index of the key whose
                         slot is s (valid where the bit is set) */
    size_t cap;       /* slots, a multiple of 64 */
    size_t nw;        /* cap / 64 */
    size_t now;       /* next slot to hand out, <= cap */
};

static void fen_add(int32_t *fen, size_t nw, size_t w, int32_t delta)
{
    for (size_t i = w + 1; i <= nw; i += i & (~i + 1))
        fen[i] += delta;
}

/* Live slots in words [0, w). */
static size_t fen_prefix(const int32_t *fen, size_t w)
{
    size_t sum = 0;
    for (size_t i = w; i; i &= i - 1)
        sum += (size_t)fen[i];
    return sum;
}

static void fen_build(lru_stack_t *s)
{
    s->fen[0] = 0;
    for (size_t i = 1; i <= s->nw; i++)
        s->fen[i] = __builtin_popcountll(s->bits[i - 1]);
    for (size_t i = 1; i <= s->nw; i++) {
        size_t j = i + (i & (~i + 1));
        if (j <= s->nw)
            s->fen[j] += s->fen[i];
    }
}

static int alloc_slots(lru_stack_t *s, size_t cap)
{
    size_t nw = cap / 64;
    uint64_t *bits = calloc(nw, sizeof *bits);
    int32_t *fen = calloc(nw + 1, sizeof *fen);
    uint32_t *owner = malloc(cap * sizeof *owner);
    if (!bits || !fen || !owner || cap > UINT32_MAX) {
        free(bits);
        free(fen);
        free(owner);
        return -ENOMEM;
    }
    if (s->bits) {
        memcpy(bits, s->bits, s->nw * sizeof *bits);
        memcpy(owner, s->owner, s->cap * sizeof *owner);
    }
    free(s->bits);
    free(s->fen);
    free(s->owner);
    s->bits = bits;
    s->fen = fen;
    s->owner = owner;
    s->cap = cap;
    s->nw = nw;
    return 0;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 64;
    while (p < n)
        p *= 2;
    return p;
}

lru_stack_t *lru_stack_new(size_t expect)
{
    lru_stack_t *s = calloc(1, sizeof *s);
    size_t tsize = pow2_at_least(expect * 2 + 2);
    if (!s)
        return NULL;
    s->tab = malloc(tsize * sizeof *s->tab);
    if (!s->tab || alloc_slots(s, pow2_at_least(expect * 2 + 64))) {
        lru_stack_free(s);
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < tsize; i++)
        s->tab[i].slot = EMPTY;
    s->mask = tsize - 1;
    fen_build(s);
    return s;
}

void lru_stack_free(lru_stack_t *s)
{
    if (!s)
        return;
    free(s->tab);
    free(s->bits);
    free(s->fen);
    free(s->owner);
    free(s);
}

size_t lru_stack_size(const lru_stack_t *s) { return s->count; }

size_t lru_stack_bytes(const lru_stack_t *s)
{
    return sizeof *s + (s->mask + 1) * sizeof *s->tab + s->nw * sizeof *s->bits +
           (s->nw + 1) * sizeof *s->fen + s->cap * sizeof *s->owner;
}

static int grow_table(lru_stack_t *s)
{
    size_t nsize = (s->mask + 1) * 2, nmask = nsize - 1;
    lru_entry_t *nt = malloc(nsize * sizeof *nt);
    if (!nt)
        return -ENOMEM;
    for (size_t i = 0; i < nsize; i++)
        nt[i].slot = EMPTY;
    for (size_t i = 0; i <= s->mask; i++) {
        size_t j;
        if (s->tab[i].slot == EMPTY)
            continue;
        j = vl_hash64(s->tab[i].key) & nmask;
        while (nt[j].slot != EMPTY)
            j = (j + 1) & nmask;
        nt[j] = s->tab[i];
        s->owner[nt[j].slot] = (uint32_t)j;
    }
    free(s->tab);
    s->tab = nt;
    s->mask = nmask;
    return 0;
}

/* Renumber the live slots 0..count-1 in order (growing the slot space if
 * it is more than half live), so `now` can move on.  Owners are table
 * indices, or (last != NULL) dense ids whose last[] is updated. */
static int compact(lru_stack_t *s, uint32_t *last)
{
    size_t k = 0;
    if ((s->count + 1) * 2 > s->cap && alloc_slots(s, s->cap * 2))
        return -ENOMEM;
    for (size_t w = 0; w < s->nw; w++) {
        uint64_t b = s->bits[w];
        while (b) {
            size_t slot = w * 64 + (size_t)__builtin_ctzll(b);
            uint32_t o = s->owner[slot];
            b &= b - 1;
            s->owner[k] = o;
            if (last)
                last[o] = (uint32_t)k;
            else
                s->tab[o].slot = (uint32_t)k;
            k++;
        }
    }
    VL_ASSERT(k == s->count);
    memset(s->bits, 0, s->nw * sizeof *s->bits);
    for (size_t i = 0; i < k / 64; i++)
        s->bits[i] = ~0ull;
    if (k % 64)
        s->bits[k / 64] = (1ull << (k % 64)) - 1;
    fen_build(s);
    s->now = k;
    return 0;
}

/* Live slots strictly after slot `slot` (which is live), up to now. */
static size_t live_after(const lru_stack_t *s, size_t slot)
{
    size_t ws = slot / 64, wn = (s->now - 1) / 64, b = slot % 64;
    if (wn - ws <= NEAR_WORDS) {
        size_t c = b == 63 ? 0 : (size_t)__builtin_popcountll(s->bits[ws] >> (b + 1));
        for (size_t w = ws + 1; w <= wn; w++)
            c += (size_t)__builtin_popcountll(s->bits[w]);
        return c;
    }
    return s->count - fen_prefix(s->fen, ws) -
           (size_t)__builtin_popcountll(s->bits[ws] & ((2ull << b) - 1));
}

static inline __attribute__((always_inline)) int access_at(lru_stack_t *s, uint64_t key,
                                                           size_t i, uint64_t *dist)
{
    lru_entry_t *e;
    size_t mask = s->mask;
probe:
    while (s->tab[i].slot != EMPTY && s->tab[i].key != key)
        i = (i + 1) & mask;
    e = &s->tab[i];
    if (e->slot != EMPTY) {
        size_t slot = e->slot;
        *dist = live_after(s, slot) + 1;
        if (*dist == 1) /* already on top: nothing moves */
            return 0;
        s->bits[slot / 64] &= ~(1ull << (slot % 64));
        fen_add(s->fen, s->nw, slot / 64, -1);
        s->count--;
    } else {
        *dist = 0;
        if ((s->count + 2) * 2 > mask + 1) {
            if (grow_table(s))
                return -ENOMEM;
            mask = s->mask;
            i = vl_hash64(key) & mask;
            goto probe;
        }
        e->key = key;
    }
    if (s->now == s->cap) {
        e->slot = EMPTY - 1; /* not free, not live: kept out of the renumbering */
        if (compact(s, NULL)) {
            /* Leave the stack consistent: the key is forgotten. */
            lru_stack_remove(s, key);
            return -ENOMEM;
        }
    }
    e->slot = (uint32_t)s->now;
    s->owner[s->now] = (uint32_t)(e - s->tab);
    s->bits[s->now / 64] |= 1ull << (s->now % 64);
    fen_add(s->fen, s->nw, s->now / 64, 1);
    s->now++;
    s->count++;
    /* The full check is O(slots): after every operation while small, then
     * every 4096th, so debug runs of long traces stay usable. */
    VL_DEBUG_CHECK(if (s->count < 512 || (s->now & 4095) == 0) lru_stack_check(s));
    return 0;
}

int lru_stack_access(lru_stack_t *s, uint64_t key, uint64_t *dist)
{
    return access_at(s, key, vl_hash64(key) & s->mask, dist);
}

int lru_stack_remove(lru_stack_t *s, uint64_t key)
{
    size_t mask = s->mask, i = vl_hash64(key) & mask, j;
    while (s->tab[i].slot != EMPTY && s->tab[i].key != key)
        i = (i + 1) & mask;
    if (s->tab[i].slot == EMPTY)
        return 0;
    if (s->tab[i].slot != EMPTY - 1) {
        size_t slot = s->tab[i].slot;
        s->bits[slot / 64] &= ~(1ull << (slot % 64));
        fen_add(s->fen, s->nw, slot / 64, -1);
        s->count--;
    }
    for (j = i;;) {
        size_t home;
        j = (j + 1) & mask;
        if (s->tab[j].slot == EMPTY)
            break;
        home = vl_hash64(s->tab[j].key) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            s->tab[i] = s->tab[j];
            if (s->tab[i].slot < EMPTY - 1)
                s->owner[s->tab[i].slot] = (uint32_t)i;
            i = j;
        }
    }
    s->tab[i].slot = EMPTY;
    VL_DEBUG_CHECK(if (s->count < 512) lru_stack_check(s));
    return 1;
}

int lru_stack_run(lru_stack_t *s, const uint64_t *key, size_t n, uint64_t **hist,
                  size_t *hist_size, uint64_t *cold)
{
    uint64_t *h = *hist;
    size_t hsize = *hist_size;
    for (size_t t = 0; t < n; t++) {
        uint64_t dist;
        if (t + PREFETCH < n)
            __builtin_prefetch(&s->tab[vl_hash64(key[t + PREFETCH]) & s->mask]);
        if (access_at(s, key[t], vl_hash64(key[t]) & s->mask, &dist))
            goto nomem;
        if (dist == 0) {
            (*cold)++;
            if (s->count >= hsize) {
                size_t ns = hsize;
                if (vl_grow((void **)&h, &ns, s->count + 1, sizeof *h))
                    goto nomem;
                memset(h + hsize, 0, (ns - hsize) * sizeof *h);
                hsize = ns;
            }
        } else {
            h[dist]++;
        }
    }
    *hist = h;
    *hist_size = hsize;
    return 0;
nomem:
    *hist = h;
    *hist_size = hsize;
    return -ENOMEM;
}

void lru_stack_check(const lru_stack_t *s)
{
    size_t live = 0, keys = 0;
    VL_ASSERT(s->now <= s->cap && s->cap == s->nw * 64);
    for (size_t w = 0; w < s->nw; w++)
        live += (size_t)__builtin_popcountll(s->bits[w]);
    VL_ASSERT(live == s->count);
    for (size_t i = 0; i <= s->mask; i++) {
        uint32_t slot = s->tab[i].slot;
        if (slot == EMPTY)
            continue;
        keys++;
        VL_ASSERT(slot < s->now);
        VL_ASSERT(s->bits[slot / 64] >> (slot % 64) & 1);
        VL_ASSERT(s->owner[slot] == i);
    }
    VL_ASSERT(keys == s->count);
    for (size_t i = 1; i <= s->nw; i++) {
        size_t lo = i - (i & (~i + 1));
        int32_t c = 0;
        for (size_t w = lo; w < i; w++)
            c += __builtin_popcountll(s->bits[w]);
        VL_ASSERT(c == s->fen[i]);
    }
}

/* Histogram increments land all over a V-entry array: done in batches, in
 * a tight loop of independent increments, their cache misses overlap
 * instead of stalling the distance computation one by one. */
#define DIST_BATCH 512

static size_t flush_dists(uint64_t *hist, const uint32_t *dbuf, size_t nb)
{
    for (size_t i = 0; i < nb; i++) {
        if (i + 16 < nb)
            __builtin_prefetch(&hist[dbuf[i + 16]], 1);
        hist[dbuf[i]]++;
    }
    return 0;
}

struct lru_dense {
    lru_stack_t s;  /* slots, bitmap and Fenwick tree; owner[] holds dense ids */
    uint32_t *last; /* lcap entries: live slot of id x (x < V), EMPTY before use */
    size_t lcap;    /* entries of last[] */
    uint32_t V;     /* ids seen: 0 .. V - 1 */
    uint64_t *hist; /* hcap entries: hist[d], references at distance d */
    size_t hcap;    /* entries of hist[], >= V + 1 */
    uint64_t cold;  /* first references */
};

lru_dense_t *lru_dense_new(void)
{
    lru_dense_t *L = calloc(1, sizeof *L);
    if (!L || alloc_slots(&L->s, 4096)) {
        free(L);
        errno = ENOMEM;
        return NULL;
    }
    fen_build(&L->s);
    return L;
}

void lru_dense_free(lru_dense_t *L)
{
    if (!L)
        return;
    free(L->last), free(L->hist);
    free(L->s.bits), free(L->s.fen), free(L->s.owner);
    free(L);
}

/* Room for id V (a new page): last[] and hist[] grown. */
static int dense_room(lru_dense_t *L)
{
    size_t lc = L->lcap, hc = L->hcap;
    if ((size_t)L->V + 1 > lc) {
        if (vl_grow((void **)&L->last, &lc, (size_t)L->V + 1, sizeof *L->last))
            return -ENOMEM;
        memset(L->last + L->lcap, 0xff, (lc - L->lcap) * sizeof *L->last);
        L->lcap = lc;
    }
    if ((size_t)L->V + 2 > hc) {
        if (vl_grow((void **)&L->hist, &hc, (size_t)L->V + 2, sizeof *L->hist))
            return -ENOMEM;
        memset(L->hist + L->hcap, 0, (hc - L->hcap) * sizeof *L->hist);
        L->hcap = hc;
    }
    return 0;
}

int lru_dense_feed(lru_dense_t *L, const uint32_t *id, size_t n)
{
    uint32_t dbuf[DIST_BATCH];
    size_t nb = 0;
    lru_stack_t *s = &L->s;
    int rc = 0;
    for (size_t t = 0; t < n; t++) {
        uint32_t x = id[t], sl;
        if (nb == DIST_BATCH)
            nb = flush_dists(L->hist, dbuf, nb);
        if (t + PREFETCH < n && id[t + PREFETCH] < L->lcap)
            __builtin_prefetch(&L->last[id[t + PREFETCH]]);
        VL_ASSERT(x <= L->V); /* dense: a new id is the next one */
        if (x == L->V) {
            if ((rc = dense_room(L)))
                break;
            L->V++;
        }
        sl = L->last[x];
        if (sl == EMPTY) {
            L->cold++;
        } else {
            size_t dist = live_after(s, sl) + 1;
            if (dist == 1) {
                L->hist[1]++;
                continue;
            }
            dbuf[nb++] = (uint32_t)dist;
            s->bits[sl / 64] &= ~(1ull << (sl % 64));
            fen_add(s->fen, s->nw, sl / 64, -1);
            s->count--;
        }
        if (s->now == s->cap && compact(s, L->last)) {
            /* Leave the state consistent: the page is forgotten. */
            L->last[x] = EMPTY;
            rc = -ENOMEM;
            break;
        }
        s->owner[s->now] = x;
        L->last[x] = (uint32_t)s->now;
        s->bits[s->now / 64] |= 1ull << (s->now % 64);
        fen_add(s->fen, s->nw, s->now / 64, 1);
        s->now++;
        s->count++;
    }
    flush_dists(L->hist, dbuf, nb);
    VL_DEBUG_CHECK(if (L->V < 512) lru_dense_check(L));
    return rc;
}

const uint64_t *lru_dense_hist(const lru_dense_t *L, uint32_t *V, uint64_t *cold)
{
    *V = L->V;
    *cold = L->cold;
    return L->hist;
}

size_t lru_dense_bytes(const lru_dense_t *L)
{
    return sizeof *L + L->lcap * sizeof *L->last + L->hcap * sizeof *L->hist +
           L->s.nw * sizeof *L->s.bits + (L->s.nw + 1) * sizeof *L->s.fen +
           L->s.cap * sizeof *L->s.owner;
}

void lru_dense_check(const lru_dense_t *L)
{
    const lru_stack_t *s = &L->s;
    size_t live = 0;
    VL_ASSERT(s->now <= s->cap && s->cap == s->nw * 64);
    VL_ASSERT(L->lcap >= L->V && (L->V == 0 || L->hcap >= (size_t)L->V + 1));
    for (size_t w = 0; w < s->nw; w++)
        live += (size_t)__builtin_popcountll(s->bits[w]);
    VL_ASSERT(live == s->count);
    for (uint32_t x = 0; x < L->V; x++) {
        uint32_t sl = L->last[x];
        if (sl == EMPTY)
            continue;
        live--;
        VL_ASSERT(sl < s->now && (s->bits[sl / 64] >> (sl % 64) & 1) && s->owner[sl] == x);
    }
    VL_ASSERT(live == 0);
    for (size_t i = 1; i <= s->nw; i++) {
        size_t lo = i - (i & (~i + 1));
        int32_t c = 0;
        for (size_t w = lo; w < i; w++)
            c += __builtin_popcountll(s->bits[w]);
        VL_ASSERT(c == s->fen[i]);
    }
}
