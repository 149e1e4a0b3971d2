/* SPDX-License-Identifier: MIT */
/*
 * hash.h - vmlab's hash functions and their constants, in one place.  The
 * hash map (src/base/hashmap.h), the seeded generators (src/base/rng.h) and
 * every table keyed by pages, pids or (address, pid) pairs take them here.
 *
 *   VL_GOLDEN64     2^64 / phi, the multiplier of Fibonacci hashing (Knuth
 *                   TAOCP vol. 3, 6.4) and SplitMix64's increment;
 *   vl_hash64       MurmurHash3's 64-bit finaliser (Appleby 2011): a
 *                   bijection in which every output bit depends on every
 *                   input bit, so a table may take its home slot from the low
 *                   bits or the top bits alike;
 *   vl_mix64        SplitMix64's finaliser (Steele, Lea, Flood, OOPSLA 2014;
 *                   Stafford's variant 13), another such bijection,
 *                   independent of vl_hash64 (a sampler hashing with one and
 *                   a table with the other do not correlate);
 *   vl_hash_pair    a (64-bit key, 32-bit tag) pair: the tag scrambled by
 *                   VL_GOLDEN64 and xored in, then half of the finaliser.
 */
#ifndef VMLAB_HASH_H
#define VMLAB_HASH_H

#include <stdint.h>

#define VL_GOLDEN64 0x9e3779b97f4a7c15ull

static inline uint64_t vl_hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static inline uint64_t vl_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Used by the simulator's page map and the binary trace writer's key map,
 * whose hot loops afford one multiply of the finaliser, not two. */
static inline uint64_t vl_hash_pair(uint64_t key, uint32_t tag)
{
    uint64_t x = key ^ ((uint64_t)tag * VL_GOLDEN64);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

#endif
