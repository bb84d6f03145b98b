/*
 * hash.c — MurmurHash3 x64_128 (Austin Appleby, public domain), and an
 * incremental form that hashes a sequence of length-prefixed pieces by
 * chaining: h = murmur(piece, seed = h.lo ^ h.hi ^ len).
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "tally/status.h"

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

struct tally_hash128 tally_hash128(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    const size_t nblocks = len / 16;
    uint64_t h1 = seed, h2 = seed;
    const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;

    for (size_t i = 0; i < nblocks; i++) {
        uint64_t k1, k2;
        memcpy(&k1, p + i * 16, 8);
        memcpy(&k2, p + i * 16 + 8, 8);
        k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
        h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
        k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
        h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
    }

    const unsigned char *tail = p + nblocks * 16;
    uint64_t k1 = 0, k2 = 0;
    switch (len & 15) {
    case 15: k2 ^= (uint64_t)tail[14] << 48; /* fall through */
    case 14: k2 ^= (uint64_t)tail[13] << 40; /* fall through */
    case 13: k2 ^= (uint64_t)tail[12] << 32; /* fall through */
    case 12: k2 ^= (uint64_t)tail[11] << 24; /* fall through */
    case 11: k2 ^= (uint64_t)tail[10] << 16; /* fall through */
    case 10: k2 ^= (uint64_t)tail[9] << 8;   /* fall through */
    case 9:  k2 ^= (uint64_t)tail[8];
             k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
             /* fall through */
    case 8:  k1 ^= (uint64_t)tail[7] << 56;  /* fall through */
    case 7:  k1 ^= (uint64_t)tail[6] << 48;  /* fall through */
    case 6:  k1 ^= (uint64_t)tail[5] << 40;  /* fall through */
    case 5:  k1 ^= (uint64_t)tail[4] << 32;  /* fall through */
    case 4:  k1 ^= (uint64_t)tail[3] << 24;  /* fall through */
    case 3:  k1 ^= (uint64_t)tail[2] << 16;  /* fall through */
    case 2:  k1 ^= (uint64_t)tail[1] << 8;   /* fall through */
    case 1:  k1 ^= (uint64_t)tail[0];
             k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
    }

    h1 ^= (uint64_t)len;
    h2 ^= (uint64_t)len;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    return (struct tally_hash128){h1, h2};
}

void tally_hasher_init(struct tally_hasher *hs, uint64_t seed)
{
    hs->h.lo = seed;
    hs->h.hi = ~seed;
    hs->total = 0;
}

void tally_hasher_add(struct tally_hasher *hs, const void *data, size_t len)
{
    struct tally_hash128 piece = tally_hash128(data, len, hs->h.lo ^ rotl64(hs->h.hi, 17) ^ len);
    hs->h.lo ^= piece.lo + hs->total;
    hs->h.hi ^= piece.hi;
    hs->total++;
}

struct tally_hash128 tally_hasher_finish(const struct tally_hasher *hs)
{
    return (struct tally_hash128){fmix64(hs->h.lo ^ hs->total), fmix64(hs->h.hi + hs->total)};
}

/* ---- the hash table ------------------------------------------------------------ */

size_t tally_index_slot(const struct tally_index *t, uint64_t hash,
                        bool (*same)(const void *ctx, size_t ref), const void *ctx)
{
    size_t mask = t->nslots - 1;
    size_t i = (size_t)hash & mask;
    while (t->slots[i] && !same(ctx, t->slots[i]))     /* half empty: the probe ends */
        i = (i + 1) & mask;
    return i;
}

int tally_index_reserve(struct tally_index *t, uint64_t (*hash_of)(const void *ctx, size_t ref),
                        const void *ctx)
{
    if (t->nslots && (t->count + 1) * 2 <= t->nslots)
        return TALLY_OK;
    size_t nslots = t->nslots ? t->nslots * 2 : 64;
    if (nslots > SIZE_MAX / sizeof *t->slots)
        return TALLY_ENOMEM;
    size_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        if (!t->slots[i])
            continue;
        size_t j = (size_t)hash_of(ctx, t->slots[i]) & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return TALLY_OK;
}

void tally_index_free(struct tally_index *t)
{
    free(t->slots);
    *t = (struct tally_index){0};
}
