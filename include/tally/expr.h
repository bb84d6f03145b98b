/*
 * expr.h — the rule language.
 *
 * A rule's assertion is parsed once into a compiled program and evaluated
 * per record. The language: integer literals (42), text literals ('uasc'),
 * date literals (2015-09-30), field names, + - *, < <= > >= == !=, and, or,
 * not, parentheses, and functions: days(a, b) is the number of days from
 * date a to date b. Types are checked at compile time.
 *
 * A rule that names a field whose value is missing, a symbol or in error is
 * not evaluated for that record (TALLY_EXPR_SKIPPED).
 */
#ifndef TALLY_EXPR_H
#define TALLY_EXPR_H

#include <stddef.h>

#include "tally/record.h"
#include "tally/schema.h"

enum tally_expr_result {
    TALLY_EXPR_FALSE = 0,   /* evaluated: the assertion does not hold */
    TALLY_EXPR_TRUE = 1,    /* evaluated: the assertion holds */
    TALLY_EXPR_SKIPPED = 2  /* not evaluated: a field it names is not usable,
                               or the arithmetic overflowed */
};

/*
 * Compile src against the schema's fields (fields[0..nfields)).
 * Returns NULL on failure, with err->message like
 * "unknown field \"fund\" at column 1" or "cannot compare date with integer at column 14".
 * The expression must be boolean. Caller frees with tally_expr_free.
 */
struct tally_expr *tally_expr_compile(const char *src, const struct tally_field_def *fields,
                                      size_t nfields, struct tally_error *err);

void tally_expr_free(struct tally_expr *expr);

/* Evaluate against a record whose fields the validator has parsed. Pure. */
enum tally_expr_result tally_expr_eval(const struct tally_expr *expr,
                                       const struct tally_record *rec);

/* The field indexes the expression names, each once, in order of first
 * appearance. Borrowed from expr; *count receives the length. */
const size_t *tally_expr_fields(const struct tally_expr *expr, size_t *count);

#endif
