/*
 * hash.h — a 128-bit hash (MurmurHash3 x64_128) for record keys (internal).
 *
 * Keys are remembered by hash, not by text, so that the key index costs a
 * fixed few dozen bytes per distinct key however long the key is. At 128 bits
 * a collision among even a billion keys has a probability below 1e-20.
 */
#ifndef TALLY_HASH_H
#define TALLY_HASH_H

#include <stddef.h>
#include <stdint.h>

struct tally_hash128 {
    uint64_t lo, hi;
};

/* An incremental hash: feed pieces, then finish. Pieces are separated so
 * that ("ab","c") and ("a","bc") differ. */
struct tally_hasher {
    struct tally_hash128 h;
    uint64_t total;
};

void tally_hasher_init(struct tally_hasher *hs, uint64_t seed);
void tally_hasher_add(struct tally_hasher *hs, const void *data, size_t len);
struct tally_hash128 tally_hasher_finish(const struct tally_hasher *hs);

/* One-shot MurmurHash3 x64_128 of data. */
struct tally_hash128 tally_hash128(const void *data, size_t len, uint64_t seed);

#endif
