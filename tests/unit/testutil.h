/*
 * testutil.h — helpers for the unit tests: run text through a reader (and,
 * optionally, the validator) and collect what comes out as strings that a
 * test can compare exactly.
 */
#ifndef TALLY_TESTUTIL_H
#define TALLY_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define COLLECT_MAX 64

struct collected {
    char *diags[COLLECT_MAX];   /* "LINE:COL severity[code] message" + " @PATH" or
                                   " @CELL" if any; the temporary file's name reads FILE */
    size_t ndiags;
    char *records[COLLECT_MAX]; /* "LINE:COL|field=text@L:C PATH|..." for fields present */
    size_t nrecords;
    size_t total;               /* records read, kept or not */
    int status;                 /* last status from next() */
    char path[64];              /* the temporary file; "FILE" in diags' messages */
};

/* Write len bytes of text to a temporary file and read it with the named
 * reader; with validate, each record also goes through the validator with the
 * default schema and registry, and the records that share a key are settled
 * at the end (settle.h), as `tally validate` does. */
void collect(const char *reader, const char *text, size_t len, bool validate,
             struct collected *c);

/* How collect_with reads: all optional. */
struct collect_options {
    bool validate;              /* records also through the validator */
    bool clean;                 /* reader config .clean (and the cleaner before the validator) */
    bool registry;              /* reader config .registry: the default registry */
    const char *sheet;          /* reader config .sheet */
    const char *schema_json;    /* a schema instead of the default one */
};

void collect_with(const char *reader, const char *text, size_t len,
                  const struct collect_options *o, struct collected *c);

/* What write(f, s, len) writes to f, as a string the test frees (the
 * escapers: tally_json_string, tally_html_string, ...). */
char *written(void (*write)(FILE *f, const char *s, size_t len), const char *s, size_t len);

/* Read the whole file at path into a malloc'd buffer; *len its size. */
char *read_whole(const char *path, size_t *len);

/* Same, for a NUL-terminated string. */
void collect_str(const char *reader, const char *text, bool validate, struct collected *c);

void collected_free(struct collected *c);

/* Validate the CSV text `head` followed by `rows` (one string, no limit) and
 * assert its diagnostics are exactly want[] (NULL-terminated), in order. */
void expect_csv_diags(const char *head, const char *rows, const char *const *want);

struct tally_diag_sink;

/* A sink that collects diagnostics into c as collect does. */
void collect_sink(struct collected *c, struct tally_diag_sink *sink);

#endif
