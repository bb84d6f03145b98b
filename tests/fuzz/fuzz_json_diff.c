/*
 * fuzz_json_diff.c — libFuzzer target: the JSON readers' differential
 * property (tests/json/jsongen.h), with the fuzzer choosing the documents
 * and their damage. The input's first 8 bytes pick a random return (nested
 * and flat records, array, single value or NDJSON, random white space,
 * escapes, key order, unknown keys); it must read back as exactly the
 * values, pointers, lines and columns written. Each further 8 bytes pick a
 * one-byte damage; the damaged copy must be reported as an error, or read
 * as exactly the values written — never other values. Any breach aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../json/jsongen.h"

static uint64_t word(const uint8_t *p)
{
    uint64_t w = 0;
    for (int i = 0; i < 8; i++)
        w = w << 8 | p[i];
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    const struct tally_schema *s = fuzz_schema();
    struct jg_doc d;
    struct jg_result r;
    char why[1024];
    if (jg_generate(&d, s, word(data)))
        return 0;
    if (jg_read(s, d.ndjson, d.bytes, d.len, &r)) {
        fprintf(stderr, "fuzz_json_diff: %s\n", r.first_error);
        abort();
    }
    if (!jg_same(&d, &r, true, why, sizeof why)) {
        fprintf(stderr, "fuzz_json_diff: document %llu read wrongly: %s\n",
                (unsigned long long)word(data), why);
        abort();
    }
    jg_result_free(&r);
    unsigned char *bad = malloc(d.len + 1);
    if (!bad)
        abort();
    for (size_t k = 8; k + 8 <= size && k <= 8 * 16; k += 8) {
        bool must_error;
        char what[128];
        size_t n = jg_damage(&d, word(data + k), bad, &must_error, what, sizeof what);
        if (jg_read(s, d.ndjson, bad, n, &r)) {
            fprintf(stderr, "fuzz_json_diff: %s\n", r.first_error);
            abort();
        }
        if (!r.errors && (must_error || !jg_same(&d, &r, false, why, sizeof why))) {
            fprintf(stderr, "fuzz_json_diff: document %llu, %s: %s\n",
                    (unsigned long long)word(data), what, must_error ? "no error" : why);
            abort();
        }
        jg_result_free(&r);
    }
    free(bad);
    jg_doc_free(&d);
    return 0;
}
