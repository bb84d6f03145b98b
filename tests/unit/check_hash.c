/*
 * check_hash.c — the library's one hash table (core/hash.h, struct
 * tally_index) that the registry, the build's periods and the JSON reader's
 * member keys share: every key found again, repeats found, growth that keeps
 * the table at most half full, and keys whose hashes all collide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "suites.h"
#include "tally/status.h"

#define NKEYS 5000

struct keys {
    char text[NKEYS][16];
    const char *sought;
    bool collide;           /* every hash 7: one long probe */
};

static uint64_t key_hash(const struct keys *k, const char *s)
{
    return k->collide ? 7 : tally_hash_bytes(s, strlen(s));
}

static bool same(const void *ctx, size_t ref)
{
    const struct keys *k = ctx;
    return strcmp(k->text[ref - 1], k->sought) == 0;
}

static uint64_t rehash(const void *ctx, size_t ref)
{
    const struct keys *k = ctx;
    return key_hash(k, k->text[ref - 1]);
}

/* Put key i unless it is there; returns the reference found or put. */
static size_t add(struct tally_index *t, struct keys *k, const char *s, size_t i)
{
    ck_assert_int_eq(tally_index_reserve(t, rehash, k), TALLY_OK);
    k->sought = s;
    size_t at = tally_index_slot(t, key_hash(k, s), same, k);
    if (t->slots[at])
        return t->slots[at];
    snprintf(k->text[i], sizeof k->text[i], "%s", s);
    tally_index_put(t, at, i + 1);
    return i + 1;
}

static void run(bool collide, size_t n)
{
    static struct keys k;
    memset(&k, 0, sizeof k);
    k.collide = collide;
    struct tally_index t = {0};
    char s[16];
    for (size_t i = 0; i < n; i++) {
        snprintf(s, sizeof s, "E%08zu", i);
        ck_assert_uint_eq(add(&t, &k, s, i), i + 1);
        ck_assert_uint_le(t.count * 2, t.nslots);
    }
    ck_assert_uint_eq(t.count, n);
    for (size_t i = 0; i < n; i++) {     /* each again: found, not put */
        snprintf(s, sizeof s, "E%08zu", i);
        ck_assert_uint_eq(add(&t, &k, s, n), i + 1);
    }
    k.sought = "E99999999";
    ck_assert_uint_eq(t.slots[tally_index_slot(&t, key_hash(&k, k.sought), same, &k)], 0);
    ck_assert_uint_eq(t.count, n);
    tally_index_free(&t);
    ck_assert_ptr_null(t.slots);
    ck_assert_uint_eq(t.nslots, 0);
}

START_TEST(test_index_keys)
{
    run(false, NKEYS);
}
END_TEST

START_TEST(test_index_all_collide)
{
    run(true, 300);
}
END_TEST

Suite *hash_suite(void)
{
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("index");
    tcase_add_test(tc, test_index_keys);
    tcase_add_test(tc, test_index_all_collide);
    suite_add_tcase(s, tc);
    return s;
}
