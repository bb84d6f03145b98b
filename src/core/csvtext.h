/*
 * csvtext.h — reading a CSV held in memory, row by row (internal): the
 * registry (authorities.csv or --registry), the compiled-in tables (areas,
 * name aliases), --previous and the CSV reader's trial of delimiters all read
 * their CSV through it; and writing one CSV value (the dataset writers). The
 * returns themselves are read by readers/csv.c, which streams a file of any
 * size, keeps each value's line and column, and goes on after a bad row.
 */
#ifndef TALLY_CSVTEXT_H
#define TALLY_CSVTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tally/record.h"
#include "tally/status.h"

/* One row, borrowed for the call. */
struct tally_csvtext_row {
    char **fields;          /* n fields, each NUL-terminated (a field may hold a NUL too) */
    const size_t *lens;     /* their lengths */
    size_t n;               /* every field of the row, however many */
    size_t index;           /* 0 for the first row (the header), 1 for the next, ... */
    unsigned line;          /* the line the row begins on (1-based; LF, CR LF and a lone
                               CR each end a line, as core/textpos.h counts them) */
};

/*
 * Call row(ctx, r) for each row of text, the header included. Blank lines are
 * no rows; a leading UTF-8 byte order mark is skipped; fields are not trimmed;
 * RFC 4180 quoting, strictly. row returns TALLY_OK to go on, or a status to
 * stop with (returned as it is: err is row's to fill). Returns TALLY_OK,
 * row's status, TALLY_ENOMEM, or TALLY_EINVAL for text that is not CSV, err
 * then "line N: stray quote in field K" (N the line of the quote) or
 * "line N: unterminated quoted field" (N the line the row begins on).
 */
int tally_csvtext_rows(const char *text, size_t len,
                       int (*row)(void *ctx, const struct tally_csvtext_row *r), void *ctx,
                       struct tally_error *err);

/* How tally_csvtext_read reads; all zero is how tally_csvtext_rows reads. */
struct tally_csvtext_opts {
    char delimiter;         /* 0 for ',' */
    bool lenient;           /* a stray quote is text, not an error (libcsv without
                               CSV_STRICT): reading never stops for the text */
    bool partial;           /* text is a prefix of a file, cut at a line end: a row that
                               does not end within it is not given */
};

/* tally_csvtext_rows, read as opts says (NULL: the defaults). */
int tally_csvtext_read(const char *text, size_t len, const struct tally_csvtext_opts *opts,
                       int (*row)(void *ctx, const struct tally_csvtext_row *r), void *ctx,
                       struct tally_error *err);

/*
 * tally_csvtext_rows, telling where each field starts: row(ctx, fields, lens,
 * locs, n) gets every field of a row, and locs[i] is the line and column
 * (1-based, characters as core/textpos.h counts them: a line ends at LF, CRLF
 * or a lone CR; a column is a UTF-8 character) and the byte offset in text of
 * field i's first byte — its opening quote when quoted. The row's own line is
 * locs[0].line; blank lines give no row. (No byte order mark is skipped: the
 * caller passes the text after it; the columns are the same.)
 *
 * Text that is not CSV: with bad NULL, stops with TALLY_EINVAL (err names the
 * line and column). Otherwise bad(ctx, at, what) is called — at the opening
 * quote of a quoted value not closed before the end of the text; at the
 * offending byte of a quote inside an unquoted value, or text after a closing
 * quote — the row is dropped, and reading goes on at the next line (after
 * the line the dropped row began on, for a quote not closed). bad returns 0
 * to go on, or a status to stop with.
 */
int tally_csvtext_rows_at(const char *text, size_t len,
                          int (*row)(void *ctx, char **fields, const size_t *lens,
                                     const struct tally_loc *locs, size_t n),
                          int (*bad)(void *ctx, const struct tally_loc *at, const char *what),
                          void *ctx, struct tally_error *err);

/* Whether s[0..n) must be quoted as a CSV value (RFC 4180): it holds a
 * comma, a quote, CR or LF, or starts or ends with a space or a tab (which a
 * reader might trim). Every CSV tally writes quotes by this one rule. */
bool tally_csv_needs_quotes(const char *s, size_t n);

/* One CSV value to out: quoted when tally_csv_needs_quotes, quotes doubled. */
void tally_csv_value(FILE *out, const char *s);

#endif
