/*
 * testutil.h — helpers for the unit tests: run text through a reader (and,
 * optionally, the validator) and collect what comes out as strings that a
 * test can compare exactly.
 */
#ifndef TALLY_TESTUTIL_H
#define TALLY_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#define COLLECT_MAX 64

struct collected {
    char *diags[COLLECT_MAX];   /* "LINE:COL severity[code] message" + " @PATH" if any;
                                   the temporary file's name reads FILE */
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

/* Same, for a NUL-terminated string. */
void collect_str(const char *reader, const char *text, bool validate, struct collected *c);

void collected_free(struct collected *c);

#endif
