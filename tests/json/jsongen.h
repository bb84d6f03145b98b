/*
 * jsongen.h — random JSON returns with known values and positions, read back
 * through tally's JSON and NDJSON readers, for the differential property test
 * (tests/json/prop.c, `make check`) and its libFuzzer target
 * (tests/fuzz/fuzz_json_diff.c).
 *
 *   struct jg_doc d;            jg_generate(&d, schema, seed);
 *   struct jg_result r;         jg_read(schema, d.ndjson, d.bytes, d.len, &r);
 *   char why[512];              if (!jg_same(&d, &r, true, why, sizeof why)) ... a bug
 *
 * A document is built from the schema's "json" paths: nested submissions,
 * flat records, in a top-level array, alone, or as NDJSON lines; keys in
 * random order, unknown keys with random values, random legal white space
 * (space, tab, LF, CR, CRLF), strings with random escapes (\uXXXX for any
 * character, surrogate pairs for those above U+FFFF, the short escapes),
 * numbers by RFC 8259's grammar, null, sometimes a byte order mark. The
 * generator counts lines and columns itself as it writes (a line ends at LF,
 * CRLF or a lone CR; a column is a code point), independently of the reader.
 *
 * jg_damage then changes one byte so that a correct strict reader must
 * either report an error or read exactly the values written: it inserts a
 * control byte or a byte that is not UTF-8 text anywhere, or puts one in
 * place of an ASCII byte (these must give an error), or inserts a tab, LF or
 * CR, or deletes a white space byte between tokens (an error, or the same
 * values).
 */
#ifndef TALLY_JSONGEN_H
#define TALLY_JSONGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/schema.h"

enum jg_kind { JG_ABSENT, JG_NULL, JG_TEXT };

struct jg_value {
    enum jg_kind kind;
    char *text;                 /* JG_TEXT: what the reader must hand out */
    size_t len;
    char *path;                 /* its JSON Pointer (not JG_ABSENT) */
    uint32_t line, column;      /* where the value starts (not JG_ABSENT) */
};

struct jg_record {
    struct jg_value *fields;    /* one per schema field */
    char *path;                 /* the record's JSON Pointer */
    uint32_t line, column;      /* where it starts */
};

/* A warning the reader must give: an unknown key, where it is. */
struct jg_warning {
    char *pointer;
    uint32_t line, column;
};

struct jg_doc {
    bool ndjson;
    unsigned char *bytes;
    size_t len;
    unsigned char *ws;          /* per byte: 1 for white space between tokens */
    struct jg_record *recs;
    size_t nrecs;
    struct jg_warning *warns;
    size_t nwarns;
    size_t nfields;
};

/* What a reader made of some bytes. */
struct jg_result {
    struct jg_record *recs;
    size_t nrecs;
    struct jg_warning *warns;   /* unknown-key warnings */
    size_t nwarns;
    size_t nfields;
    unsigned errors;            /* errors about the JSON itself: json-syntax, json-shape,
                                   json-depth, encoding, limit */
    char first_error[512];      /* "LINE:COL code: message" of the first of them */
    int status;                 /* the reader's last status (TALLY_DONE) */
};

/* Make document `seed` (the same seed, the same bytes). 0, or -1 when out of memory. */
int jg_generate(struct jg_doc *d, const struct tally_schema *s, uint64_t seed);
void jg_doc_free(struct jg_doc *d);

/* Read bytes with the json (or ndjson) reader. 0, or -1 when the reader or
 * the temporary file failed (r->first_error says why). */
int jg_read(const struct tally_schema *s, bool ndjson, const unsigned char *bytes, size_t len,
            struct jg_result *r);
void jg_result_free(struct jg_result *r);

/* Did the reader give exactly the document's records and values (with
 * positions and pointers, and its warnings, when `where`)? Else false, with
 * what differs in why. */
bool jg_same(const struct jg_doc *d, const struct jg_result *r, bool where, char *why,
             size_t size);

/* Damage d into out (d->len + 1 bytes) as `choice` says; returns the new
 * length. *must_error: the damage must be reported. what: a description. */
size_t jg_damage(const struct jg_doc *d, uint64_t choice, unsigned char *out, bool *must_error,
                 char *what, size_t size);

#endif
