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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/record.h"
#include "tally/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* A linear constraint over a record's integer fields:
 * sum of coef[i] * field[i], plus constant, is <= 0 (or == 0 when equality). */
#define TALLY_LINEAR_MAX_TERMS 16
struct tally_linear {
    bool equality;
    int64_t constant;
    size_t nterms;
    size_t field[TALLY_LINEAR_MAX_TERMS];   /* schema field indexes, each once */
    int64_t coef[TALLY_LINEAR_MAX_TERMS];   /* never 0 */
};

/*
 * The assertion as a conjunction of linear constraints, when it is one:
 * comparisons (<, <=, ==, >=, >) between sums of integer fields and integer
 * constants (a field may be multiplied by a constant), joined by "and". For
 * example "found + not_found == went_missing" is found + not_found -
 * went_missing == 0; "a < b", on integers, is a - b + 1 <= 0.
 * Returns how many constraints were written to out[0..max), or 0 when the
 * assertion is not such a conjunction ("or", "not", "!=", text, dates,
 * days(), a product of two fields, too many terms, or a coefficient that
 * would overflow). Pure.
 */
size_t tally_expr_linear(const struct tally_expr *expr, struct tally_linear *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif
