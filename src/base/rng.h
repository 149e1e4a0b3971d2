/* SPDX-License-Identifier: MIT */
/*
 * rng.h - the one seeded pseudo-random generator of vmlab.
 *
 * xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021), seeded from one 64-bit seed by SplitMix64
 * (Steele, Lea, Flood, OOPSLA 2014) as its authors recommend, so that every
 * seed, 0 included, gives a good non-zero state.  Same seed, same sequence, on
 * every machine: workloads and generated problems are reproducible.
 * Not for cryptography.
 */
#ifndef VMLAB_BASE_RNG_H
#define VMLAB_BASE_RNG_H

#include <stdint.h>

#include "vmlab/hash.h"

typedef struct vl_rng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
} vl_rng_t;

/* SplitMix64's step: advances *x and returns a well-mixed word; also usable
 * alone as a stateless mixer of a counter. */
static inline uint64_t vl_splitmix64(uint64_t *x)
{
    return vl_mix64(*x += VL_GOLDEN64);
}

static inline void vl_rng_seed(vl_rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = vl_splitmix64(&seed);
}

static inline uint64_t vl_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The next 64 uniformly distributed bits. */
static inline uint64_t vl_rng_next(vl_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = vl_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = vl_rng_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n) for n >= 1 (Lemire's multiply-shift, bias < n / 2^64,
 * which no test here can see). */
static inline uint64_t vl_rng_below(vl_rng_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)vl_rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi], lo <= hi. */
static inline int64_t vl_rng_range(vl_rng_t *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)vl_rng_below(r, (uint64_t)(hi - lo) + 1);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double vl_rng_double(vl_rng_t *r)
{
    return (double)(vl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- one-word generator ----------------------------------------------------
 * xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift
 * generators, scrambled", ACM TOMS 2016): 8 bytes of state where xoshiro's 32
 * are too many, e.g. one per simulated process in a replacement policy or per
 * TLB.  Seeded through SplitMix64; the state is never 0.  Its streams are
 * part of golden results (sim's random policy, the TLB's random replacement),
 * so it must not change. */

#define VL_RNG64_MUL 0x2545f4914f6cdd1dull

static inline void vl_rng64_seed(uint64_t *s, uint64_t seed)
{
    uint64_t z = vl_splitmix64(&seed);
    *s = z ? z : 1;
}

static inline uint64_t vl_rng64_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * VL_RNG64_MUL;
}

/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift; bias < n / 2^64). */
static inline uint32_t vl_rng64_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(((unsigned __int128)vl_rng64_next(s) * n) >> 64);
}

#endif
