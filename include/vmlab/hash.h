/*
 * hash.h - the hash of a (64-bit key, 32-bit tag) pair shared by vmlab's
 * open-addressing tables keyed by (address or vpn, pid or process): the
 * simulator's page map and the binary trace writer's key map.
 *
 * The tag is scrambled by the golden-ratio constant (Knuth TAOCP vol. 3,
 * 6.4) and xored in, then MurmurHash3's 64-bit finaliser (Appleby 2011)
 * mixes: every output bit depends on every input bit, so a table may take
 * its home slot from the low bits or the top bits alike.
 */
#ifndef VMLAB_HASH_H
#define VMLAB_HASH_H

#include <stdint.h>

static inline uint64_t vl_hash_pair(uint64_t key, uint32_t tag)
{
    uint64_t x = key ^ ((uint64_t)tag * 0x9e3779b97f4a7c15ull);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

#endif
