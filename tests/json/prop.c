/*
 * prop.c — the JSON readers' differential property test (jsongen.h).
 *
 *   prop [-n DOCS] [-d DAMAGES] [-s SEED] [-o DIR]
 *
 * For each of DOCS random documents (from SEED on): the reader must give
 * exactly the records, values, JSON Pointers, lines and columns written, and
 * an unknown-key warning where each unknown key is, with no error. Then DAMAGES
 * one-byte damages of it: each must be reported as an error, or read as
 * exactly the values written — never other values; those that must be
 * errors (a control byte, a byte that is not text) must be. A failing
 * document and its damage are written to DIR (default build/json-prop-failures) to
 * replay. Exit status 0 when all hold, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsongen.h"
#include "tally/schema.h"

static const char *dir = "build/json-prop-failures";

static void save(const char *name, const unsigned char *bytes, size_t len)
{
    char path[512];
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(bytes, 1, len, f);
        fclose(f);
        fprintf(stderr, "  (written to %s)\n", path);
    }
}

int main(int argc, char **argv)
{
    unsigned long docs = 2000, damages = 20;
    unsigned long long seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-n"))
            docs = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-d"))
            damages = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-s"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-o"))
            dir = argv[i + 1];
        else {
            fprintf(stderr, "usage: prop [-n DOCS] [-d DAMAGES] [-s SEED] [-o DIR]\n");
            return 2;
        }
    }
    struct tally_error err;
    struct tally_schema *s = tally_schema_load_default(&err);
    if (!s) {
        fprintf(stderr, "prop: %s\n", err.message);
        return 2;
    }
    unsigned long failures = 0, reads = 0, reported = 0, same = 0, records = 0;
    for (unsigned long k = 0; k < docs && failures < 10; k++) {
        uint64_t doc_seed = seed + k;
        struct jg_doc d;
        struct jg_result r;
        char why[1024];
        if (jg_generate(&d, s, doc_seed) || jg_read(s, d.ndjson, d.bytes, d.len, &r)) {
            fprintf(stderr, "prop: document %llu: out of memory or read failure\n",
                    (unsigned long long)doc_seed);
            return 2;
        }
        reads++;
        records += d.nrecs;
        if (!jg_same(&d, &r, true, why, sizeof why)) {
            char name[64];
            fprintf(stderr, "FAIL document %llu (%s): %s\n", (unsigned long long)doc_seed,
                    d.ndjson ? "NDJSON" : "JSON", why);
            snprintf(name, sizeof name, "doc-%llu.%s", (unsigned long long)doc_seed,
                     d.ndjson ? "ndjson" : "json");
            save(name, d.bytes, d.len);
            failures++;
        }
        jg_result_free(&r);
        unsigned char *bad = malloc(d.len + 1);
        if (!bad)
            return 2;
        for (unsigned long j = 0; j < damages; j++) {
            bool must_error;
            char what[128];
            size_t n = jg_damage(&d, doc_seed * 1000003u + j, bad, &must_error, what, sizeof what);
            if (jg_read(s, d.ndjson, bad, n, &r)) {
                fprintf(stderr, "prop: document %llu: read failure: %s\n",
                        (unsigned long long)doc_seed, r.first_error);
                return 2;
            }
            reads++;
            bool ok;
            if (r.errors) {
                reported++;
                ok = true;
            } else if (must_error) {
                snprintf(why, sizeof why, "no error reported");
                ok = false;
            } else {
                ok = jg_same(&d, &r, false, why, sizeof why);
                same += ok;
            }
            if (!ok) {
                char name[64];
                fprintf(stderr, "FAIL document %llu (%s), %s: %s\n", (unsigned long long)doc_seed,
                        d.ndjson ? "NDJSON" : "JSON", what, why);
                snprintf(name, sizeof name, "doc-%llu-damage-%lu.%s", (unsigned long long)doc_seed,
                         j, d.ndjson ? "ndjson" : "json");
                save(name, bad, n);
                failures++;
            }
            jg_result_free(&r);
        }
        free(bad);
        jg_doc_free(&d);
    }
    tally_schema_free(s);
    printf("json-prop: %lu documents (%lu records) from seed %llu, %lu reads: %lu damaged copies "
           "reported as errors, %lu read as the values written; %lu failures\n",
           docs, records, seed, reads, reported, same, failures);
    return failures ? 1 : 0;
}
