/*
 * csvtext.h — reading a small CSV held in memory, row by row (internal): the
 * compiled-in tables (areas, name aliases) and --previous use it; and writing
 * one CSV value (the dataset writers).
 */
#ifndef TALLY_CSVTEXT_H
#define TALLY_CSVTEXT_H

#include <stddef.h>
#include <stdio.h>

#include "tally/record.h"
#include "tally/status.h"

#define TALLY_CSVTEXT_MAX_FIELDS 64

/*
 * Call row(ctx, line, fields, lens, n) for each row, the header included
 * (line 1). Fields are NUL-terminated and borrowed for the call; a row wider
 * than TALLY_CSVTEXT_MAX_FIELDS is cut. row returns 0 to go on, or a status
 * to stop with. Returns TALLY_OK, row's status, TALLY_ENOMEM, or TALLY_EINVAL
 * for text that is not CSV (err names the line).
 */
int tally_csvtext_rows(const char *text, size_t len,
                       int (*row)(void *ctx, unsigned line, char **fields, const size_t *lens,
                                  size_t n),
                       void *ctx, struct tally_error *err);

/*
 * The same, telling where each field starts: row(ctx, fields, lens, locs, n)
 * gets every field of a row (no limit on their number), and locs[i] is the
 * line and column (1-based, characters as core/textpos.h counts them: a line
 * ends at LF, CRLF or a lone CR; a column is a UTF-8 character) and the byte
 * offset in text of field i's first byte — its opening quote when quoted.
 * The row's own line is locs[0].line; blank lines give no row.
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

/* One CSV value to out, RFC 4180: quoted when it holds a comma, a quote, a
 * line break, or starts or ends with a space (quotes doubled). */
void tally_csv_value(FILE *out, const char *s);

#endif
