/*
 * csvtext.h — reading a small CSV held in memory, row by row (internal): the
 * compiled-in tables (areas, name aliases) and --previous use it; and writing
 * one CSV value (the dataset writers).
 */
#ifndef TALLY_CSVTEXT_H
#define TALLY_CSVTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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

/* Whether s[0..n) must be quoted as a CSV value (RFC 4180): it holds a
 * comma, a quote, CR or LF, or starts or ends with a space or a tab (which a
 * reader might trim). Every CSV tally writes quotes by this one rule. */
bool tally_csv_needs_quotes(const char *s, size_t n);

/* One CSV value to out: quoted when tally_csv_needs_quotes, quotes doubled. */
void tally_csv_value(FILE *out, const char *s);

#endif
