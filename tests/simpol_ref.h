/* SPDX-License-Identifier: MIT */
/*
 * simpol_ref.h - straightforward reference implementations of vmlab's
 * replacement policies, for tests/test_simpol.c only.
 *
 * Each is written from its paper or textbook, not from src/sim/policy_*.c:
 * plain arrays, linear searches, memmove, no hashing, no intrusive lists, so
 * that a bug in the fast code cannot be repeated here by construction.
 * Pages are dense ids in [0, npages) (the test remaps real traces), which
 * lets every per-page flag be a plain array.
 *
 * Shared dirty model (the one the simulator uses): a write sets the page's
 * M bit whether it hits or faults; evicting a page whose M bit is set is one
 * disk write, and clears it.  Ghost (history-only) entries carry no M bit.
 */
#ifndef VMLAB_TESTS_SIMPOL_REF_H
#define VMLAB_TESTS_SIMPOL_REF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_result {
    uint64_t faults;      /* references that were not resident */
    uint64_t writes;      /* dirty evictions */
    size_t max_resident;  /* high-water mark of resident pages */
    size_t max_ghost;     /* high-water mark of history-only entries */
} ref_result_t;

/* ---- an ordered sequence of page ids: [0] is the oldest / LRU / head ---- */
typedef struct rseq {
    uint32_t *v;
    size_t n;
} rseq_t;

static inline void rs_init(rseq_t *s, size_t cap)
{
    s->v = calloc(cap + 1, sizeof *s->v);
    s->n = 0;
}
static inline void rs_free(rseq_t *s) { free(s->v); }
static inline long rs_find(const rseq_t *s, uint32_t x)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == x)
            return (long)i;
    return -1;
}
static inline uint32_t rs_del(rseq_t *s, size_t i)
{
    uint32_t x = s->v[i];
    memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof *s->v);
    s->n--;
    return x;
}
static inline void rs_push(rseq_t *s, uint32_t x) { s->v[s->n++] = x; }
static inline int rs_remove(rseq_t *s, uint32_t x)
{
    long i = rs_find(s, x);
    if (i < 0)
        return 0;
    rs_del(s, (size_t)i);
    return 1;
}

static inline void ref_hw(ref_result_t *r, size_t resident, size_t ghost)
{
    if (resident > r->max_resident)
        r->max_resident = resident;
    if (ghost > r->max_ghost)
        r->max_ghost = ghost;
}

/* ---- NRU: enhanced second chance, OSC 10th ed. 10.4.5.3 ----
 * Frames form a circular queue.  The victim is the first page from the hand
 * in the lowest nonempty class (R,M) = (0,0) < (0,1) < (1,0) < (1,1); the
 * classic four-step scan: (1) look for (0,0) changing nothing; (2) look for
 * (0,1) clearing R of every page passed; repeat.  */
static inline void ref_nru(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                           size_t np, ref_result_t *r)
{
    uint32_t *fr = calloc(c, sizeof *fr);
    uint8_t *R = calloc(c, 1), *M = calloc(c, 1);
    size_t used = 0, hand = 0;
    memset(r, 0, sizeof *r);
    (void)np;
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        size_t j = c;
        for (size_t i = 0; i < used; i++)
            if (fr[i] == x)
                j = i;
        if (j < c) {
            R[j] = 1;
            M[j] |= wr[t];
            continue;
        }
        r->faults++;
        if (used < c) {
            j = used++;
        } else {
            for (;;) {
                size_t i;
                for (i = 0; i < c; i++) {
                    j = (hand + i) % c;
                    if (!R[j] && !M[j])
                        goto found;
                }
                for (i = 0; i < c; i++) {
                    j = (hand + i) % c;
                    if (!R[j] && M[j])
                        goto found;
                    R[j] = 0;
                }
            }
        found:
            if (M[j])
                r->writes++;
            hand = (j + 1) % c;
        }
        fr[j] = x;
        R[j] = 1;
        M[j] = wr[t];
        ref_hw(r, used, 0);
    }
    free(fr);
    free(R);
    free(M);
}

/* ---- aging: Tanenbaum, Modern Operating Systems 4th ed. 3.4.7 ----
 * Every `period` references (a clock tick) each resident page's n-bit
 * counter shifts right and takes its R bit as the new leftmost bit; R clears.
 * The victim has the smallest (R, counter) with R most significant (R is the
 * newest information); ties go to the lowest frame.  Frames fill in order and
 * a victim's frame is reused. */
static inline void ref_aging(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                             unsigned bits, uint64_t period, ref_result_t *r)
{
    uint32_t *fr = calloc(c, sizeof *fr);
    uint64_t *cnt = calloc(c, sizeof *cnt);
    uint8_t *R = calloc(c, 1), *M = calloc(c, 1);
    size_t used = 0;
    memset(r, 0, sizeof *r);
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        size_t j = c;
        for (size_t i = 0; i < used; i++)
            if (fr[i] == x)
                j = i;
        if (j < c) {
            R[j] = 1;
            M[j] |= wr[t];
        } else {
            r->faults++;
            if (used < c) {
                j = used++;
            } else {
                uint64_t best = UINT64_MAX;
                for (size_t i = 0; i < c; i++) {
                    uint64_t key = ((uint64_t)R[i] << bits) | cnt[i];
                    if (key < best) {
                        best = key;
                        j = i;
                    }
                }
                if (M[j])
                    r->writes++;
            }
            fr[j] = x;
            cnt[j] = 0;
            R[j] = 1;
            M[j] = wr[t];
            ref_hw(r, used, 0);
        }
        if ((t + 1) % period == 0)
            for (size_t i = 0; i < used; i++) {
                cnt[i] = (cnt[i] >> 1) | ((uint64_t)R[i] << (bits - 1));
                R[i] = 0;
            }
    }
    free(fr);
    free(cnt);
    free(R);
    free(M);
}

/* ---- LFU and MFU: OSC 10.4.6 ----
 * Counts are of references while resident (a page's count restarts at 1 when
 * it is loaded again).  LFU evicts the smallest count, MFU the largest; ties
 * go to the page referenced least recently. */
static inline void ref_xfu(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                           size_t np, int most, ref_result_t *r)
{
    uint64_t *cnt = calloc(np, sizeof *cnt), *last = calloc(np, sizeof *last);
    uint8_t *M = calloc(np, 1);
    rseq_t res;
    rs_init(&res, c);
    memset(r, 0, sizeof *r);
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        if (rs_find(&res, x) < 0) {
            r->faults++;
            if (res.n == c) {
                size_t v = 0;
                for (size_t i = 1; i < res.n; i++) {
                    uint32_t a = res.v[i], b = res.v[v];
                    int better = most ? cnt[a] > cnt[b] : cnt[a] < cnt[b];
                    if (better || (cnt[a] == cnt[b] && last[a] < last[b]))
                        v = i;
                }
                uint32_t y = rs_del(&res, v);
                if (M[y])
                    r->writes++;
                M[y] = 0;
            }
            rs_push(&res, x);
            cnt[x] = 0;
        }
        cnt[x]++;
        last[x] = t;
        M[x] |= wr[t];
        ref_hw(r, res.n, 0);
    }
    rs_free(&res);
    free(cnt);
    free(last);
    free(M);
}

/* ---- WSClock: Carr and Hennessy 1981; Tanenbaum MOS 4th ed. 3.4.9 ----
 * Virtual time is the reference count.  At a fault with memory full the hand
 * examines pages: R=1 -> clear R, record the time of last use, advance;
 * R=0 and age > tau: clean -> victim, dirty -> schedule its write (counted as
 * a disk write now; the page becomes clean) and advance.  After a whole
 * revolution without a victim, the first clean page from the hand is taken,
 * or the page at the hand if none is clean (it is written back). */
static inline void ref_wsclock(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                               uint64_t tau, ref_result_t *r)
{
    uint32_t *fr = calloc(c, sizeof *fr);
    uint64_t *tl = calloc(c, sizeof *tl);
    uint8_t *R = calloc(c, 1), *M = calloc(c, 1);
    size_t used = 0, hand = 0;
    memset(r, 0, sizeof *r);
    for (size_t t = 0; t < n; t++) {
        uint64_t now = t + 1;
        uint32_t x = pg[t];
        size_t j = c;
        for (size_t i = 0; i < used; i++)
            if (fr[i] == x)
                j = i;
        if (j < c) {
            R[j] = 1;
            M[j] |= wr[t];
            continue;
        }
        r->faults++;
        if (used < c) {
            j = used++;
        } else {
            size_t i;
            for (i = 0; i < c; i++) {
                j = (hand + i) % c;
                if (R[j]) {
                    R[j] = 0;
                    tl[j] = now;
                } else if (now - tl[j] > tau) {
                    if (!M[j])
                        break;
                    r->writes++;
                    M[j] = 0;
                }
            }
            if (i == c) {
                for (i = 0; i < c; i++) {
                    j = (hand + i) % c;
                    if (!M[j])
                        break;
                }
                if (i == c)
                    j = hand;
            }
            if (M[j])
                r->writes++;
            hand = (j + 1) % c;
        }
        fr[j] = x;
        R[j] = 1;
        M[j] = wr[t];
        tl[j] = now;
        ref_hw(r, used, 0);
    }
    free(fr);
    free(tl);
    free(R);
    free(M);
}

/* ---- ARC: Megiddo and Modha, FAST 2003, Figure 4 ----
 * p is an integer; the adaptation steps divide with truncation. */
static inline void ref_arc(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                           size_t np, ref_result_t *r)
{
    rseq_t T1, T2, B1, B2;
    uint8_t *M = calloc(np, 1);
    size_t p = 0;
    rs_init(&T1, 2 * c);
    rs_init(&T2, 2 * c);
    rs_init(&B1, 2 * c);
    rs_init(&B2, 2 * c);
    memset(r, 0, sizeof *r);
#define REF_EVICT(y)                                                          \
    do {                                                                      \
        if (M[y])                                                             \
            r->writes++;                                                      \
        M[y] = 0;                                                             \
    } while (0)
#define REF_REPLACE(inB2)                                                     \
    do {                                                                      \
        if (T1.n > 0 && (T1.n > p || ((inB2) && T1.n == p))) {                \
            uint32_t y = rs_del(&T1, 0);                                      \
            REF_EVICT(y);                                                     \
            rs_push(&B1, y);                                                  \
        } else {                                                              \
            uint32_t y = rs_del(&T2, 0);                                      \
            REF_EVICT(y);                                                     \
            rs_push(&B2, y);                                                  \
        }                                                                     \
    } while (0)
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        if (rs_remove(&T1, x) || rs_remove(&T2, x)) { /* case I */
            rs_push(&T2, x);
        } else if (rs_remove(&B1, x)) { /* case II */
            r->faults++;
            size_t d = B1.n + 1 >= B2.n ? 1 : B2.n / (B1.n + 1);
            p = p + d < c ? p + d : c;
            REF_REPLACE(0);
            rs_push(&T2, x);
        } else if (rs_remove(&B2, x)) { /* case III */
            r->faults++;
            size_t d = B2.n + 1 >= B1.n ? 1 : B1.n / (B2.n + 1);
            p = p > d ? p - d : 0;
            REF_REPLACE(1);
            rs_push(&T2, x);
        } else { /* case IV */
            r->faults++;
            if (T1.n + B1.n == c) {
                if (T1.n < c) {
                    rs_del(&B1, 0);
                    REF_REPLACE(0);
                } else {
                    uint32_t y = rs_del(&T1, 0);
                    REF_EVICT(y);
                }
            } else {
                size_t tot = T1.n + T2.n + B1.n + B2.n;
                if (tot >= c) {
                    if (tot == 2 * c)
                        rs_del(&B2, 0);
                    REF_REPLACE(0);
                }
            }
            rs_push(&T1, x);
        }
        M[x] |= wr[t];
        ref_hw(r, T1.n + T2.n, B1.n + B2.n);
    }
#undef REF_REPLACE
#undef REF_EVICT
    rs_free(&T1);
    rs_free(&T2);
    rs_free(&B1);
    rs_free(&B2);
    free(M);
}

/* ---- CAR: Bansal and Modha, FAST 2004, Figure 2 ----
 * T1, T2 are clocks read from their head ([0]) and appended at the tail;
 * B1, B2 LRU lists with [0] the LRU end. */
static inline void ref_car(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                           size_t np, ref_result_t *r)
{
    rseq_t T1, T2, B1, B2;
    uint8_t *M = calloc(np, 1), *ref = calloc(np, 1);
    size_t p = 0;
    rs_init(&T1, 2 * c);
    rs_init(&T2, 2 * c);
    rs_init(&B1, 2 * c);
    rs_init(&B2, 2 * c);
    memset(r, 0, sizeof *r);
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        if (rs_find(&T1, x) >= 0 || rs_find(&T2, x) >= 0) {
            ref[x] = 1;
        } else {
            r->faults++;
            int inB1 = rs_find(&B1, x) >= 0, inB2 = rs_find(&B2, x) >= 0;
            if (T1.n + T2.n == c) {
                for (;;) { /* replace() */
                    size_t lim = p > 1 ? p : 1;
                    if (T1.n >= lim) {
                        uint32_t y = rs_del(&T1, 0);
                        if (!ref[y]) {
                            if (M[y])
                                r->writes++;
                            M[y] = 0;
                            rs_push(&B1, y);
                            break;
                        }
                        ref[y] = 0;
                        rs_push(&T2, y);
                    } else {
                        uint32_t y = rs_del(&T2, 0);
                        if (!ref[y]) {
                            if (M[y])
                                r->writes++;
                            M[y] = 0;
                            rs_push(&B2, y);
                            break;
                        }
                        ref[y] = 0;
                        rs_push(&T2, y);
                    }
                }
                if (!inB1 && !inB2 && T1.n + B1.n == c)
                    rs_del(&B1, 0);
                else if (T1.n + T2.n + B1.n + B2.n == 2 * c && !inB1 && !inB2)
                    rs_del(&B2, 0);
            }
            if (!inB1 && !inB2) {
                rs_push(&T1, x);
            } else if (inB1) {
                size_t d = B2.n / B1.n > 1 ? B2.n / B1.n : 1;
                p = p + d < c ? p + d : c;
                rs_remove(&B1, x);
                rs_push(&T2, x);
            } else {
                size_t d = B1.n / B2.n > 1 ? B1.n / B2.n : 1;
                p = p > d ? p - d : 0;
                rs_remove(&B2, x);
                rs_push(&T2, x);
            }
            ref[x] = 0;
        }
        M[x] |= wr[t];
        ref_hw(r, T1.n + T2.n, B1.n + B2.n);
    }
    rs_free(&T1);
    rs_free(&T2);
    rs_free(&B1);
    rs_free(&B2);
    free(M);
    free(ref);
}

/* ---- LIRS: Jiang and Zhang, SIGMETRICS 2002, section 3 ----
 * S: [0] is the bottom.  Q: [0] is the front.  Lhirs = hir_pct % of c (at
 * least 1), Llirs = c - Lhirs.  Non-resident HIR entries of S are bounded by
 * `ghosts`: past it (checked at the end of each reference), the one that
 * has been non-resident longest is dropped. */
static inline void ref_lirs(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                            size_t np, size_t lhirs, size_t ghosts, ref_result_t *r)
{
    rseq_t S, Q, NR; /* NR: non-resident entries of S, in order of eviction */
    uint8_t *M = calloc(np, 1), *lir = calloc(np, 1), *res = calloc(np, 1);
    size_t llirs = c - lhirs, nlir = 0, nres = 0;
    rs_init(&S, c + ghosts + 2);
    rs_init(&Q, c + 2);
    rs_init(&NR, ghosts + 2);
    memset(r, 0, sizeof *r);
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        long si = rs_find(&S, x);
        int demote = 0;
        if (res[x] && lir[x]) {
            rs_del(&S, (size_t)si);
            rs_push(&S, x);
        } else if (res[x]) { /* resident HIR */
            if (si >= 0) {
                rs_del(&S, (size_t)si);
                rs_push(&S, x);
                lir[x] = 1;
                rs_remove(&Q, x);
                demote = 1;
            } else {
                rs_push(&S, x);
                rs_remove(&Q, x);
                rs_push(&Q, x);
            }
        } else { /* miss */
            r->faults++;
            if (nres == c) {
                uint32_t y = rs_del(&Q, 0);
                res[y] = 0;
                nres--;
                if (M[y])
                    r->writes++;
                M[y] = 0;
                if (rs_find(&S, y) >= 0)
                    rs_push(&NR, y);
            }
            res[x] = 1;
            nres++;
            if (si >= 0) {
                rs_remove(&NR, x);
                rs_del(&S, (size_t)si);
                rs_push(&S, x);
                lir[x] = 1;
                demote = 1;
            } else if (nlir < llirs) {
                rs_push(&S, x);
                lir[x] = 1;
                nlir++;
            } else {
                rs_push(&S, x);
                rs_push(&Q, x);
            }
        }
        if (demote) { /* bottom LIR of S becomes resident HIR at Q's end */
            uint32_t b = S.v[0];
            lir[b] = 0;
            rs_del(&S, 0);
            rs_push(&Q, b);
        }
        while (S.n > 0 && !lir[S.v[0]]) { /* prune */
            uint32_t b = rs_del(&S, 0);
            if (!res[b])
                rs_remove(&NR, b);
        }
        while (NR.n > ghosts) /* bound the history: drop the oldest ghost */
            rs_remove(&S, rs_del(&NR, 0));
        M[x] |= wr[t];
        ref_hw(r, nres, NR.n);
    }
    rs_free(&S);
    rs_free(&Q);
    rs_free(&NR);
    free(M);
    free(lir);
    free(res);
}

/* ---- 2Q (full version): Johnson and Shasha, VLDB 1994, section 2 ----
 * A1in a FIFO of resident pages (kept near Kin); A1out FIFO of identifiers, Kout long;
 * Am LRU.  reclaimfor: free frame, else A1in's tail if |A1in| > Kin (its id
 * goes to A1out), else Am's LRU. */
static inline void ref_2q(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                          size_t np, size_t kin, size_t kout, ref_result_t *r)
{
    rseq_t A1in, A1out, Am; /* [0] is the tail (oldest / LRU) */
    uint8_t *M = calloc(np, 1);
    rs_init(&A1in, c + 1);
    rs_init(&A1out, kout + 2);
    rs_init(&Am, c + 1);
    memset(r, 0, sizeof *r);
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        if (rs_remove(&Am, x)) {
            rs_push(&Am, x);
        } else if (rs_find(&A1in, x) >= 0) {
            /* nothing */
        } else {
            int ghost = rs_remove(&A1out, x);
            r->faults++;
            if (A1in.n + Am.n == c) {
                if (A1in.n > kin) {
                    uint32_t y = rs_del(&A1in, 0);
                    if (M[y])
                        r->writes++;
                    M[y] = 0;
                    rs_push(&A1out, y);
                    if (A1out.n > kout)
                        rs_del(&A1out, 0);
                } else {
                    uint32_t y = rs_del(&Am, 0);
                    if (M[y])
                        r->writes++;
                    M[y] = 0;
                }
            }
            rs_push(ghost ? &Am : &A1in, x);
        }
        M[x] |= wr[t];
        ref_hw(r, A1in.n + Am.n, A1out.n);
    }
    rs_free(&A1in);
    rs_free(&A1out);
    rs_free(&Am);
    free(M);
}

/* ---- SIEVE: Zhang et al., NSDI 2024, Algorithm 1 ----
 * One FIFO queue ([0] the tail, the oldest); a hit sets `visited`; the hand
 * moves from the tail toward the head clearing visited bits and evicts the
 * first unvisited object, then stays at its newer neighbour (or restarts at
 * the tail if the victim was the head).  New objects enter at the head with
 * visited = 0. */
static inline void ref_sieve(const uint32_t *pg, const uint8_t *wr, size_t n, size_t c,
                             size_t np, ref_result_t *r)
{
    rseq_t q;
    uint8_t *M = calloc(np, 1), *vis = calloc(np, 1);
    long hand = -1;
    rs_init(&q, c + 1);
    memset(r, 0, sizeof *r);
    for (size_t t = 0; t < n; t++) {
        uint32_t x = pg[t];
        if (rs_find(&q, x) >= 0) {
            vis[x] = 1;
        } else {
            r->faults++;
            if (q.n == c) {
                size_t h = hand < 0 ? 0 : (size_t)hand;
                while (vis[q.v[h]]) {
                    vis[q.v[h]] = 0;
                    h = h + 1 == q.n ? 0 : h + 1;
                }
                uint32_t y = rs_del(&q, h);
                if (M[y])
                    r->writes++;
                M[y] = 0;
                hand = h < q.n ? (long)h : -1;
            }
            rs_push(&q, x);
            vis[x] = 0;
        }
        M[x] |= wr[t];
        ref_hw(r, q.n, 0);
    }
    rs_free(&q);
    free(M);
    free(vis);
}

#endif
