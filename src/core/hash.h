/*
 * hash.h — a 128-bit hash (MurmurHash3 x64_128) for record keys, and the
 * library's hash table (internal).
 *
 * Keys are remembered by hash, not by text, so that the key index costs a
 * fixed few dozen bytes per distinct key however long the key is. At 128 bits
 * a collision among even a billion keys has a probability below 1e-20.
 */
#ifndef TALLY_HASH_H
#define TALLY_HASH_H

#include <stdbool.h>
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

/*
 * The one hash table of the library (but for settling's, below): open
 * addressing with linear probing over a power-of-two array of slots, at most
 * half full. A slot holds a nonzero reference the caller chooses (an index +
 * 1 into its own array, or a pointer), 0 when free; the items stay where the
 * caller keeps them, and the caller hashes and compares. The registry's
 * codes, the build's periods and the JSON reader's member keys use it.
 * (core/settle.c keeps its own table of 4-byte tagged slots: it holds a key
 * per record of every file, millions, and is tuned for memory.)
 *
 *   if (tally_index_reserve(&t, hash_of, items) != TALLY_OK) return TALLY_ENOMEM;
 *   size_t at = tally_index_slot(&t, hash, same, &sought);
 *   if (!t.slots[at]) tally_index_put(&t, at, i + 1);
 */
struct tally_index {
    size_t *slots;          /* nslots references, 0 = free */
    size_t nslots;          /* 0 before the first reserve, then a power of two */
    size_t count;           /* references put */
};

/* A key's hash for the table: MurmurHash3's low 64 bits. */
static inline uint64_t tally_hash_bytes(const void *data, size_t len)
{
    return tally_hash128(data, len, 0).lo;
}

/*
 * The slot holding the reference for which same(ctx, ref) is true, probing
 * from hash; or the free slot where it would go. nslots must not be 0.
 */
size_t tally_index_slot(const struct tally_index *t, uint64_t hash,
                        bool (*same)(const void *ctx, size_t ref), const void *ctx);

/* Room for one more reference (the table stays at most half full), every
 * reference moved by its hash_of(ctx, ref). TALLY_OK, or TALLY_ENOMEM with
 * the table as it was. */
int tally_index_reserve(struct tally_index *t, uint64_t (*hash_of)(const void *ctx, size_t ref),
                        const void *ctx);

/* Put ref (nonzero) in the free slot `at` that tally_index_slot gave. */
static inline void tally_index_put(struct tally_index *t, size_t at, size_t ref)
{
    t->slots[at] = ref;
    t->count++;
}

void tally_index_free(struct tally_index *t);

#endif
