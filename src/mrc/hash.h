/*
 * hash.h - the 64-bit mixers mrc uses: one to place pages in its hash
 * tables, an independent seeded one to pick SHARDS's sample, so sampled
 * pages do not cluster in the tables (both are the finaliser of MurmurHash3,
 * Appleby 2011, with different constants: a bijection on 64-bit keys).
 */
#ifndef VMLAB_MRC_HASH_H
#define VMLAB_MRC_HASH_H

#include <stdint.h>

static inline uint64_t mrc_hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* SplitMix64's finaliser (Steele, Lea, Flood 2014) over key + seed. */
static inline uint64_t mrc_sample_hash(uint64_t x, uint64_t seed)
{
    x += seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#endif
