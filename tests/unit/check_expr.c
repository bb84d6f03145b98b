/*
 * check_expr.c — unit tests of the rule language (expr.h, src/core/expr.c).
 *
 * Each test compiles expressions against a small hand-made field table and
 * evaluates them against a hand-made record whose values are set directly,
 * as the validator would leave them. The last cases compile the nine rules of
 * the shipped schema (read from schemas/missing-from-care.schema.json, so the
 * test notices when they change) and check each on a record that satisfies it
 * and one that does not.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "tally/expr.h"
#include "tally/record.h"
#include "tally/schema.h"
#include "tally/status.h"
#include "tally/value.h"

enum { TRUE_ = TALLY_EXPR_TRUE, FALSE_ = TALLY_EXPR_FALSE, SKIP_ = TALLY_EXPR_SKIPPED };

/* ---- a small field table and a record over it ---------------------------- */

enum { F_A, F_B, F_C, F_D1, F_D2, F_TS, F_TS2, F_COHORT, F_NOTE, F_DAYS, NF };

static struct tally_field_def defs[NF] = {
    [F_A] = {.name = "a", .type = TALLY_TYPE_INTEGER},
    [F_B] = {.name = "b", .type = TALLY_TYPE_INTEGER},
    [F_C] = {.name = "c", .type = TALLY_TYPE_INTEGER},
    [F_D1] = {.name = "d1", .type = TALLY_TYPE_DATE},
    [F_D2] = {.name = "d2", .type = TALLY_TYPE_DATE},
    [F_TS] = {.name = "ts", .type = TALLY_TYPE_DATETIME},
    [F_TS2] = {.name = "ts2", .type = TALLY_TYPE_DATETIME},
    [F_COHORT] = {.name = "cohort", .type = TALLY_TYPE_STRING},
    [F_NOTE] = {.name = "note", .type = TALLY_TYPE_STRING},
    [F_DAYS] = {.name = "days", .type = TALLY_TYPE_INTEGER},  /* a field, not days() */
};

static struct tally_field rec_fields[16];     /* room for NF and NS fields */
static struct tally_record rec;

static void set_int(size_t i, int64_t n)
{
    rec_fields[i].value = (struct tally_value){.kind = TALLY_NUMBER, .number = n,
                                               .text = "n", .len = 1};
    rec_fields[i].error = false;
}

static void set_date(size_t i, const char *s)
{
    int64_t days;
    ck_assert_msg(tally_parse_date(s, strlen(s), &days), "bad test date %s", s);
    rec_fields[i].value = (struct tally_value){.kind = TALLY_DATE, .number = days,
                                               .text = s, .len = strlen(s)};
    rec_fields[i].error = false;
}

static void set_datetime(size_t i, const char *s)
{
    int64_t secs;
    ck_assert_msg(tally_parse_datetime(s, strlen(s), &secs), "bad test datetime %s", s);
    rec_fields[i].value = (struct tally_value){.kind = TALLY_DATETIME, .number = secs,
                                               .text = s, .len = strlen(s)};
    rec_fields[i].error = false;
}

static void set_text(size_t i, const char *s)
{
    rec_fields[i].value = (struct tally_value){.kind = TALLY_TEXT, .text = s,
                                               .len = strlen(s)};
    rec_fields[i].error = false;
}

static void set_kind(size_t i, enum tally_kind kind)
{
    rec_fields[i].value.kind = kind;
    if (kind == TALLY_SYMBOL)
        rec_fields[i].value.symbol = 'x';
}

static void setup(void)
{
    memset(rec_fields, 0, sizeof rec_fields);
    rec = (struct tally_record){.file = "test.csv", .index = 1, .nfields = NF,
                                .fields = rec_fields};
    set_int(F_A, 1);
    set_int(F_B, 2);
    set_int(F_C, 3);
    set_date(F_D1, "2015-04-01");
    set_date(F_D2, "2016-03-31");
    set_datetime(F_TS, "2015-04-01T09:00:00Z");
    set_datetime(F_TS2, "2015-04-01T10:00:00+01:00");  /* the same instant */
    set_text(F_COHORT, "uasc");
    set_text(F_NOTE, "it's");
    set_int(F_DAYS, 365);
}

/* Compile src against defs (it must compile) and evaluate it against rec. */
static enum tally_expr_result eval_src(const char *src)
{
    struct tally_error err = {0};
    struct tally_expr *e = tally_expr_compile(src, defs, NF, &err);
    ck_assert_msg(e != NULL, "\"%s\" did not compile: %s", src, err.message);
    enum tally_expr_result r = tally_expr_eval(e, &rec);
    tally_expr_free(e);
    return r;
}

struct eval_case {
    const char *src;
    int want;
};

static void expect_all(const struct eval_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int got = (int)eval_src(cases[i].src);
        ck_assert_msg(got == cases[i].want, "\"%s\": got %d, want %d", cases[i].src, got,
                      cases[i].want);
    }
}

#define EXPECT_ALL(cases) expect_all(cases, sizeof cases / sizeof cases[0])

/* src must fail to compile with exactly msg. */
static void expect_error(const char *src, const char *msg)
{
    struct tally_error err = {0};
    struct tally_expr *e = tally_expr_compile(src, defs, NF, &err);
    ck_assert_msg(e == NULL, "\"%s\" compiled, expected error: %s", src, msg);
    ck_assert_int_eq(err.status, TALLY_ESCHEMA);
    ck_assert_str_eq(err.message, msg);
}

/* ---- evaluation ------------------------------------------------------------ */

START_TEST(test_arithmetic)
{
    static const struct eval_case cases[] = {
        {"1 + 2 * 3 == 7", TRUE_},
        {"1 + 2 * 3 == 9", FALSE_},
        {"(1 + 2) * 3 == 9", TRUE_},
        {"2 * 3 + 1 == 7", TRUE_},
        {"10 - 3 - 2 == 5", TRUE_},         /* left-associative: not 10 - (3 - 2) */
        {"2 * 3 - 4 * 1 == 2", TRUE_},
        {"a + b * c == 7", TRUE_},
        {"-3 * -3 == 9", TRUE_},
        {"- - 4 == 4", TRUE_},
        {"2 - -3 == 5", TRUE_},
        {"0 - 5 < 0", TRUE_},
        {"-a == 0 - 1", TRUE_},
        {"-(a + b) == -3", TRUE_},
        {"007 == 7", TRUE_},
        {"0 == 0", TRUE_},
        {"9223372036854775807 > 0", TRUE_},
        {"1+2*3==7", TRUE_},                /* no spaces needed */
        {"\t1 +\n2 ==\r\n3 ", TRUE_},        /* any whitespace */
    };
    EXPECT_ALL(cases);
}
END_TEST

START_TEST(test_comparisons)
{
    static const struct eval_case cases[] = {
        {"a < b", TRUE_},  {"b < a", FALSE_}, {"a < a", FALSE_},
        {"a <= a", TRUE_}, {"a <= b", TRUE_}, {"b <= a", FALSE_},
        {"b > a", TRUE_},  {"a > b", FALSE_}, {"a > a", FALSE_},
        {"a >= a", TRUE_}, {"b >= a", TRUE_}, {"a >= b", FALSE_},
        {"a == a", TRUE_}, {"a == b", FALSE_},
        {"a != b", TRUE_}, {"a != a", FALSE_},
        {"a + 1 == b", TRUE_},              /* + binds tighter than == */
        {"-1 < 0", TRUE_},
    };
    EXPECT_ALL(cases);
}
END_TEST

START_TEST(test_logic)
{
    static const struct eval_case cases[] = {
        {"a == 1 and b == 2", TRUE_},  {"a == 1 and b == 3", FALSE_},
        {"a == 0 and b == 2", FALSE_}, {"a == 0 and b == 3", FALSE_},
        {"a == 1 or b == 2", TRUE_},   {"a == 1 or b == 3", TRUE_},
        {"a == 0 or b == 2", TRUE_},   {"a == 0 or b == 3", FALSE_},
        {"not a == 1", FALSE_},        {"not a == 0", TRUE_},
        {"not not a == 1", TRUE_},
        {"a == 1 and b == 2 and c == 3", TRUE_},
        {"a == 1 and b == 2 and c == 4", FALSE_},
        {"a == 0 or b == 0 or c == 3", TRUE_},
    };
    EXPECT_ALL(cases);
}
END_TEST

/* Each case gives a different answer under a different precedence. */
START_TEST(test_logic_precedence)
{
    static const struct eval_case cases[] = {
        {"not a == 2", TRUE_},                      /* not (a == 2) */
        {"not a == 1 or a == 1", TRUE_},            /* (not a == 1) or ..., not not (...) */
        {"not (a == 1 or a == 1)", FALSE_},
        {"not a == 1 and a == 2", FALSE_},
        {"not (a == 1 and a == 2)", TRUE_},
        {"a == 2 and a == 1 or a == 1", TRUE_},     /* (F and T) or T; not F and (T or T) */
        {"a == 1 or a == 2 and a == 2", TRUE_},     /* T or (F and F); not (T or F) and F */
        {"(a == 1 or a == 2) and a == 2", FALSE_},
        {"a == 2 and (a == 1 or a == 1)", FALSE_},
        {"((a == 1))", TRUE_},
    };
    EXPECT_ALL(cases);
}
END_TEST

START_TEST(test_dates)
{
    static const struct eval_case cases[] = {
        {"d1 < d2", TRUE_},
        {"d2 < d1", FALSE_},
        {"d1 == 2015-04-01", TRUE_},
        {"d1 != 2015-04-01", FALSE_},
        {"d1 >= 2015-04-01", TRUE_},
        {"d1 > 2015-04-01", FALSE_},
        {"d1 < 2015-03-31", FALSE_},
        {"d2 <= 2016-03-31", TRUE_},
        {"2016-02-29 < d2", TRUE_},
        {"d1<2016-01-01", TRUE_},
        {"ts == ts2", TRUE_},       /* offsets are resolved to UTC */
        {"ts < ts2", FALSE_},
        {"ts != ts2", FALSE_},
    };
    EXPECT_ALL(cases);
    set_datetime(F_TS2, "2015-04-01T09:00:01Z");
    ck_assert_int_eq(eval_src("ts < ts2"), TALLY_EXPR_TRUE);
    ck_assert_int_eq(eval_src("ts >= ts2"), TALLY_EXPR_FALSE);
}
END_TEST

START_TEST(test_days)
{
    static const struct eval_case cases[] = {
        {"days(d1, d2) == 365", TRUE_},
        {"days(d2, d1) == -365", TRUE_},
        {"days(d1, d1) == 0", TRUE_},
        {"days(2016-02-28, 2016-03-01) == 2", TRUE_},   /* leap year */
        {"days(2015-02-28, 2015-03-01) == 1", TRUE_},
        {"days(1970-01-01, 1970-01-02) == 1", TRUE_},
        {"days ( d1 , d2 ) == 365", TRUE_},
        {"days(d1, 2016-04-01) <= 366", TRUE_},
        {"days(d1, 2016-04-02) <= 366", FALSE_},
        {"days == 365", TRUE_},                         /* the field called days */
        {"days(d1, d2) == days", TRUE_},
        {"days(d1, d2) + 1 == 366", TRUE_},
        {"days((d1), (d2)) * 2 == 730", TRUE_},
    };
    EXPECT_ALL(cases);
}
END_TEST

START_TEST(test_text)
{
    static const struct eval_case cases[] = {
        {"cohort == 'uasc'", TRUE_},
        {"'uasc' == cohort", TRUE_},
        {"cohort != 'uasc'", FALSE_},
        {"cohort == 'trafficked'", FALSE_},
        {"cohort != 'trafficked'", TRUE_},
        {"cohort == 'uas'", FALSE_},        /* a prefix is not equal */
        {"cohort == 'uascx'", FALSE_},
        {"cohort == 'UASC'", FALSE_},       /* case matters */
        {"cohort == ''", FALSE_},
        {"note == 'it''s'", TRUE_},         /* '' is a quote */
        {"note == 'it'", FALSE_},
        {"'' == ''", TRUE_},
        {"'''' == ''''", TRUE_},
        {"'a' != ''", TRUE_},
        {"'a or b' == 'a or b'", TRUE_},    /* keywords in text are text */
        {"cohort == note", FALSE_},
        {"cohort == cohort", TRUE_},
        {"cohort == 'uasc' and note != 'x'", TRUE_},
    };
    EXPECT_ALL(cases);
    set_text(F_NOTE, "caf\xc3\xa9");
    ck_assert_int_eq(eval_src("note == 'caf\xc3\xa9'"), TALLY_EXPR_TRUE);
    ck_assert_int_eq(eval_src("note == 'cafe'"), TALLY_EXPR_FALSE);
    set_text(F_NOTE, "");
    ck_assert_int_eq(eval_src("note == ''"), TALLY_EXPR_TRUE);
    ck_assert_int_eq(eval_src("note != ''"), TALLY_EXPR_FALSE);
}
END_TEST

/* Not usable: MISSING, INVALID, SYMBOL; or flagged in error. */
START_TEST(test_skip)
{
    static const enum tally_kind unusable[] = {TALLY_MISSING, TALLY_INVALID, TALLY_SYMBOL};
    for (size_t k = 0; k < 3; k++) {
        setup();
        set_kind(F_A, unusable[k]);
        ck_assert_int_eq(eval_src("a == 1"), TALLY_EXPR_SKIPPED);
        ck_assert_int_eq(eval_src("a == 1 or b == 2"), TALLY_EXPR_SKIPPED);
        ck_assert_int_eq(eval_src("b == 2 or a == 1"), TALLY_EXPR_SKIPPED);
        ck_assert_int_eq(eval_src("b == 2"), TALLY_EXPR_TRUE);  /* a is not named */
        set_kind(F_COHORT, unusable[k]);
        ck_assert_int_eq(eval_src("cohort == 'uasc'"), TALLY_EXPR_SKIPPED);
        set_kind(F_D2, unusable[k]);
        ck_assert_int_eq(eval_src("days(d1, d2) > 0"), TALLY_EXPR_SKIPPED);
        ck_assert_int_eq(eval_src("d1 == 2015-04-01"), TALLY_EXPR_TRUE);
    }

    setup();
    rec_fields[F_B].error = true;   /* a usable value the validator flagged */
    ck_assert_int_eq(eval_src("b == 2"), TALLY_EXPR_SKIPPED);
    ck_assert_int_eq(eval_src("a == 1 and (b == 2 or c == 3)"), TALLY_EXPR_SKIPPED);
    ck_assert_int_eq(eval_src("a == 1"), TALLY_EXPR_TRUE);

    setup();
    rec_fields[F_COHORT].error = true;
    ck_assert_int_eq(eval_src("cohort == 'uasc'"), TALLY_EXPR_SKIPPED);
}
END_TEST

/* Values the validator never produces are skipped, not misread. */
START_TEST(test_skip_defensive)
{
    set_text(F_A, "1");             /* an integer field holding text */
    ck_assert_int_eq(eval_src("a == 1"), TALLY_EXPR_SKIPPED);
    set_int(F_COHORT, 4);           /* a text field holding a number */
    ck_assert_int_eq(eval_src("cohort == 'uasc'"), TALLY_EXPR_SKIPPED);
    set_int(F_D1, 16526);           /* a date field holding a number */
    ck_assert_int_eq(eval_src("d1 < d2"), TALLY_EXPR_SKIPPED);

    setup();
    rec.nfields = F_B;              /* a record shorter than the schema */
    ck_assert_int_eq(eval_src("a == 1"), TALLY_EXPR_TRUE);
    ck_assert_int_eq(eval_src("b == 2"), TALLY_EXPR_SKIPPED);

    struct tally_error err = {0};
    struct tally_expr *e = tally_expr_compile("a == 1", defs, NF, &err);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(tally_expr_eval(e, NULL), TALLY_EXPR_SKIPPED);
    ck_assert_int_eq(tally_expr_eval(NULL, &rec), TALLY_EXPR_SKIPPED);
    tally_expr_free(e);
    tally_expr_free(NULL);
}
END_TEST

START_TEST(test_overflow)
{
    static const struct eval_case cases[] = {
        {"9223372036854775807 + a > 0", SKIP_},
        {"9223372036854775807 + 0 > 0", TRUE_},
        {"a * 9223372036854775807 > 0", TRUE_},
        {"b * 9223372036854775807 > 0", SKIP_},
        {"-b * 9223372036854775807 < 0", SKIP_},
        {"0 - 9223372036854775807 - a < 0", TRUE_},     /* INT64_MIN itself is fine */
        {"0 - 9223372036854775807 - b < 0", SKIP_},
        {"-(0 - 9223372036854775807 - a) > 0", SKIP_},  /* -INT64_MIN */
        {"a == 1 or b * 9223372036854775807 > 0", SKIP_}, /* both sides always run */
        {"b * 9223372036854775807 > 0 and a == 0", SKIP_},
    };
    EXPECT_ALL(cases);

    rec_fields[F_A].value.number = INT64_MAX;
    ck_assert_int_eq(eval_src("a + 1 > 0"), TALLY_EXPR_SKIPPED);
    ck_assert_int_eq(eval_src("a > 0"), TALLY_EXPR_TRUE);
    rec_fields[F_D1].value.number = INT64_MIN;
    ck_assert_int_eq(eval_src("days(d1, d2) > 0"), TALLY_EXPR_SKIPPED);
    ck_assert_int_eq(eval_src("days(d2, d1) < 0"), TALLY_EXPR_SKIPPED);
    ck_assert_int_eq(eval_src("days(d1, d1) == 0"), TALLY_EXPR_TRUE);
}
END_TEST

/* ---- tally_expr_fields ------------------------------------------------------ */

static void expect_fields(const char *src, const size_t *want, size_t nwant)
{
    struct tally_error err = {0};
    struct tally_expr *e = tally_expr_compile(src, defs, NF, &err);
    ck_assert_msg(e != NULL, "\"%s\": %s", src, err.message);
    size_t n = 99;
    const size_t *got = tally_expr_fields(e, &n);
    ck_assert_msg(n == nwant, "\"%s\": %zu fields, want %zu", src, n, nwant);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "\"%s\": field %zu is %zu, want %zu", src, i,
                      got[i], want[i]);
    tally_expr_free(e);
}

START_TEST(test_fields)
{
    expect_fields("a == 1", (const size_t[]){F_A}, 1);
    expect_fields("c + a == b + a + c", (const size_t[]){F_C, F_A, F_B}, 3);
    expect_fields("days(d2, d1) == days and cohort == 'x' and days(d2, d2) > 0",
                  (const size_t[]){F_D2, F_D1, F_DAYS, F_COHORT}, 4);
    expect_fields("not (b == b) or b > 0", (const size_t[]){F_B}, 1);
    expect_fields("1 == 1", NULL, 0);
    ck_assert_int_eq(eval_src("1 == 1"), TALLY_EXPR_TRUE);
    ck_assert_int_eq(eval_src("1 == 2"), TALLY_EXPR_FALSE);

    size_t n = 99;
    ck_assert_ptr_null(tally_expr_fields(NULL, &n));
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- compile errors ------------------------------------------------------- */

START_TEST(test_errors_empty_and_end)
{
    expect_error("", "empty expression");
    expect_error("   \t\n ", "empty expression");
    expect_error(NULL, "empty expression");
    expect_error("a ==", "unexpected end of expression");
    expect_error("a +", "unexpected end of expression");
    expect_error("-", "unexpected end of expression");
    expect_error("not", "unexpected end of expression");
    expect_error("a == 1 and not", "unexpected end of expression");
    expect_error("a == 1 or", "unexpected end of expression");
    expect_error("(", "unexpected end of expression");
    expect_error("(a == 1", "expected \")\" at column 8");
    expect_error("(a == 1 b", "expected \")\" at column 9");
    expect_error("((a == 1) or (b == 2)", "expected \")\" at column 22");
}
END_TEST

START_TEST(test_errors_names)
{
    expect_error("fund == 1", "unknown field \"fund\" at column 1");
    expect_error("a == fund", "unknown field \"fund\" at column 6");
    expect_error("A == 1", "unknown field \"A\" at column 1");      /* names are exact */
    expect_error("foo(a) == 1", "unknown function \"foo\" at column 1");
    expect_error("a == 1 and Days(d1, d2) > 0", "unknown function \"Days\" at column 12");
    expect_error("a(1) == 1", "unknown function \"a\" at column 1");
    expect_error("a == 1 AND b == 2", "unexpected \"AND\" at column 8");
    expect_error("a == and", "unexpected \"and\" at column 6");
    expect_error("or", "unexpected \"or\" at column 1");
    /* columns count characters, not bytes */
    expect_error("cohort == '\xc3\xa9' and fund == 1", "unknown field \"fund\" at column 19");
}
END_TEST

START_TEST(test_errors_types)
{
    expect_error("a + 1", "expression is integer, not boolean");
    expect_error("d1", "expression is date, not boolean");
    expect_error("ts", "expression is datetime, not boolean");
    expect_error("cohort", "expression is text, not boolean");
    expect_error("d1 < 5", "cannot compare date with integer at column 4");
    expect_error("ts < d1", "cannot compare datetime with date at column 4");
    expect_error("cohort == 1", "cannot compare text with integer at column 8");
    expect_error("(a < b) == (b < c)", "cannot compare boolean with boolean at column 9");
    expect_error("cohort < 'x'", "cannot apply \"<\" to text (only == and !=) at column 8");
    expect_error("cohort >= 'x'", "cannot apply \">=\" to text (only == and !=) at column 8");
    expect_error("d2 - d1 > 0", "cannot subtract dates (use days(a, b)) at column 4");
    expect_error("d1 + 1 > d1", "cannot apply \"+\" to date and integer at column 4");
    expect_error("a * cohort == 1", "cannot apply \"*\" to integer and text at column 3");
    expect_error("1 - ts == 1", "cannot apply \"-\" to integer and datetime at column 3");
    expect_error("-d1 < d2", "cannot apply \"-\" to date at column 1");
    expect_error("not a", "cannot apply \"not\" to integer at column 1");
    expect_error("a and b == 1", "cannot apply \"and\" to integer and boolean at column 3");
    expect_error("a == 1 or b", "cannot apply \"or\" to boolean and integer at column 8");
    expect_error("(a == 1) + 1 > 0", "cannot apply \"+\" to boolean and integer at column 10");
    expect_error("a < b < c", "comparisons cannot be chained (use \"and\") at column 7");
    expect_error("a == b == c", "comparisons cannot be chained (use \"and\") at column 8");
    expect_error("d1 == 2015-9-30", "cannot compare date with integer at column 4");
}
END_TEST

START_TEST(test_errors_functions)
{
    expect_error("days(d1) == 1", "days() takes 2 arguments, not 1 at column 1");
    expect_error("days() == 1", "days() takes 2 arguments, not 0 at column 1");
    expect_error("days(d1, d2, d1) == 1", "days() takes 2 arguments, not 3 at column 1");
    expect_error("days(a, d2) == 1", "argument 1 of days() is integer, not date at column 6");
    expect_error("days(d1, ts) == 1",
                 "argument 2 of days() is datetime, not date at column 10");
    expect_error("days(d1, d1 < d2) == 1",
                 "argument 2 of days() is boolean, not date at column 10");
    expect_error("days(d1 d2) == 1", "expected \",\" or \")\" at column 9");
    expect_error("days(d1, d2", "expected \",\" or \")\" at column 12");
    expect_error("days(,) == 1", "unexpected \",\" at column 6");
    expect_error("days(d1,) == 1", "unexpected \")\" at column 9");
    expect_error("days", "expression is integer, not boolean");    /* the field */
    expect_error("days(", "unexpected end of expression");
}
END_TEST

START_TEST(test_errors_lexical)
{
    expect_error("'uasc", "unterminated text at column 1");
    expect_error("cohort == 'it''s", "unterminated text at column 11");
    expect_error("cohort == 'abc''", "unterminated text at column 11");
    expect_error("'", "unterminated text at column 1");
    expect_error("99999999999999999999 > a",
                 "integer 99999999999999999999 is too large at column 1");
    expect_error("a < 9223372036854775808", "integer 9223372036854775808 is too large at column 5");
    expect_error("a < 123456789012345678901234567890123456789012345678901234567890",
                 "integer 1234567890123456789012345678901234567890... is too large at column 5");
    expect_error("d1 == 2015-02-29", "invalid date \"2015-02-29\" at column 7");
    expect_error("d1 == 2015-13-01", "invalid date \"2015-13-01\" at column 7");
    expect_error("d1 == 0999-01-01", "invalid date \"0999-01-01\" at column 7");
    expect_error("d1 == 2015-09-301", "invalid date \"2015-09-301\" at column 7");
    expect_error("d1 == 2015-09-30x", "invalid date \"2015-09-30x\" at column 7");
    expect_error("a = 1", "unexpected \"=\" (compare with \"==\") at column 3");
    expect_error("a ! 1", "unexpected \"!\" (negate with \"not\") at column 3");
    expect_error("cohort == \"uasc\"",
                 "unexpected '\"' (write text in single quotes: 'uasc') at column 11");
    expect_error("a == 1 # c", "unexpected character \"#\" at column 8");
    expect_error("a == 1 && b == 2", "unexpected character \"&\" at column 8");
    expect_error("a == \x01", "unexpected byte 0x01 at column 6");
    expect_error("a ==\xc3\xa9", "unexpected byte 0xC3 at column 5");
    expect_error("a == 1)", "unexpected \")\" at column 7");
    expect_error("a == 1 b", "unexpected \"b\" at column 8");
    expect_error("a == 1 'x'", "unexpected text at column 8");
    expect_error("a == 1 2015-01-01", "unexpected \"2015-01-01\" at column 8");
    expect_error("()", "unexpected \")\" at column 2");
    expect_error("12abc == 1", "unexpected \"abc\" at column 3");
    expect_error("a ==== b", "unexpected \"==\" at column 5");
    expect_error("<=", "unexpected \"<=\" at column 1");
}
END_TEST

/* Length, nesting and stack limits, each at its edge. */
START_TEST(test_limits)
{
    char src[8192];
    struct tally_error err = {0};
    struct tally_expr *e;

    memset(src, ' ', 4096);         /* 4096 bytes: accepted */
    memcpy(src, "a == 1", 6);
    src[4096] = '\0';
    e = tally_expr_compile(src, defs, NF, &err);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(tally_expr_eval(e, &rec), TALLY_EXPR_TRUE);
    tally_expr_free(e);
    src[4096] = ' ';                /* 4097 bytes: refused */
    src[4097] = '\0';
    expect_error(src, "expression longer than 4096 bytes");

    /* 64 nested brackets: accepted; 65: refused at the 65th. */
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        src[n++] = '(';
    n += (size_t)sprintf(src + n, "a == 1");
    for (int i = 0; i < 64; i++)
        src[n++] = ')';
    src[n] = '\0';
    ck_assert_int_eq(eval_src(src), TALLY_EXPR_TRUE);
    memmove(src + 1, src, n + 1);
    src[0] = '(';
    strcat(src, ")");
    expect_error(src, "expression nested too deeply (more than 64 levels) at column 65");

    /* 64 nots: accepted; 65: refused at the 65th, column 4 * 64 + 1. */
    n = 0;
    for (int i = 0; i < 64; i++)
        n += (size_t)sprintf(src + n, "not ");
    sprintf(src + n, "a == 1");
    ck_assert_int_eq(eval_src(src), TALLY_EXPR_TRUE);
    memmove(src + 4, src, strlen(src) + 1);
    memcpy(src, "not ", 4);
    expect_error(src, "expression nested too deeply (more than 64 levels) at column 257");

    /* 1 + (1 + (... (1 + 1) ...)) > 0 with k brackets needs k + 2 slots. */
    for (int k = 62; k <= 63; k++) {
        n = 0;
        for (int i = 0; i < k; i++)
            n += (size_t)sprintf(src + n, "1 + (");
        n += (size_t)sprintf(src + n, "1 + 1");
        for (int i = 0; i < k; i++)
            src[n++] = ')';
        sprintf(src + n, " > 0");
        if (k == 62) {
            ck_assert_int_eq(eval_src(src), TALLY_EXPR_TRUE);
        } else {
            char msg[128];
            size_t last = (size_t)(strchr(src, ')') - src) - 1;     /* the innermost 1 */
            snprintf(msg, sizeof msg,
                     "expression too complex (needs more than 64 stack slots) at column %zu",
                     last + 1);
            expect_error(src, msg);
        }
    }
}
END_TEST

/* Hostile input: every outcome is a program or a clean error, never a crash
 * (the sanitizer and valgrind runs check memory). */
static void compile_anything(const char *src)
{
    struct tally_error err = {0};
    struct tally_expr *e = tally_expr_compile(src, defs, NF, &err);
    if (e) {
        enum tally_expr_result r = tally_expr_eval(e, &rec);
        ck_assert_msg(r == TALLY_EXPR_TRUE || r == TALLY_EXPR_FALSE ||
                      r == TALLY_EXPR_SKIPPED, "\"%s\": result %d", src, (int)r);
        tally_expr_free(e);
    } else {
        ck_assert_msg(err.status == TALLY_ESCHEMA && err.message[0] != '\0',
                      "\"%s\": status %d, message \"%s\"", src, (int)err.status, err.message);
    }
}

START_TEST(test_hostile_input)
{
    static const struct eval_case valid[] = {
        {"days(d1, d2) <= 366 and cohort == 'it''s' or not -a * (b + c) != 7", FALSE_},
        {"d1 < 2016-01-01 and ts == ts2", TRUE_},
    };
    char buf[256];
    for (size_t v = 0; v < 2; v++) {        /* every prefix of valid expressions */
        size_t len = strlen(valid[v].src);
        for (size_t i = 0; i <= len; i++) {
            memcpy(buf, valid[v].src, i);
            buf[i] = '\0';
            compile_anything(buf);
        }
        ck_assert_int_eq(eval_src(valid[v].src), valid[v].want);
    }

    static const char *const atoms[] = {
        "a", "b", "d1", "ts", "cohort", "days", "fund", "days(", "(", ")", ",", "'x'", "'",
        "''", "1", "0", "9223372036854775807", "2015-04-01", "2015-", "+", "-", "*", "<",
        "<=", ">", ">=", "==", "!=", "=", "!", "and", "or", "not", " ", "\t", "#", "\"",
        "\x80", "\xff", "\xc3\xa9",
    };
    const size_t natoms = sizeof atoms / sizeof atoms[0];
    uint32_t seed = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        int count = (int)(seed % 12) + 1;
        for (int i = 0; i < count; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *atom = atoms[(seed >> 8) % natoms];
            size_t alen = strlen(atom);
            memcpy(buf + n, atom, alen);
            n += alen;
            if ((seed >> 20) & 1)
                buf[n++] = ' ';
        }
        buf[n] = '\0';
        compile_anything(buf);
        seed = seed * 1103515245u + 12345u;
    }
    for (int round = 0; round < 5000; round++) {   /* raw bytes, NUL-free */
        size_t n = (size_t)(seed % 40);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (char)(((seed >> 16) % 255) + 1);
        }
        buf[n] = '\0';
        compile_anything(buf);
        seed = seed * 1103515245u + 12345u;
    }
}
END_TEST

/* ---- the shipped schema ----------------------------------------------------- */

enum {
    S_AUTHORITY_CODE, S_AUTHORITY_NAME, S_PERIOD_START, S_PERIOD_END, S_SUBMITTED, S_COHORT,
    S_IN_CARE, S_WENT_MISSING, S_MISSING_INCIDENTS, S_FOUND, S_NOT_FOUND, NS
};

/* The fields of schemas/missing-from-care.schema.json, names and types. */
static struct tally_field_def schema_defs[NS] = {
    [S_AUTHORITY_CODE] = {.name = "authority_code", .type = TALLY_TYPE_STRING},
    [S_AUTHORITY_NAME] = {.name = "authority_name", .type = TALLY_TYPE_STRING},
    [S_PERIOD_START] = {.name = "period_start", .type = TALLY_TYPE_DATE},
    [S_PERIOD_END] = {.name = "period_end", .type = TALLY_TYPE_DATE},
    [S_SUBMITTED] = {.name = "submitted", .type = TALLY_TYPE_DATETIME},
    [S_COHORT] = {.name = "cohort", .type = TALLY_TYPE_STRING},
    [S_IN_CARE] = {.name = "in_care", .type = TALLY_TYPE_INTEGER},
    [S_WENT_MISSING] = {.name = "went_missing", .type = TALLY_TYPE_INTEGER},
    [S_MISSING_INCIDENTS] = {.name = "missing_incidents", .type = TALLY_TYPE_INTEGER},
    [S_FOUND] = {.name = "found", .type = TALLY_TYPE_INTEGER},
    [S_NOT_FOUND] = {.name = "not_found", .type = TALLY_TYPE_INTEGER},
};

/* Each rule, with one change to a record satisfying them all that breaks it. */
static const struct shipped_rule {
    const char *id;
    const char *assert_src;
    size_t first_field;         /* tally_expr_fields()[0] */
    size_t breaks;              /* the field to change */
    int64_t to;                 /* its new value, when an integer */
    const char *to_date;        /* its new value, when a date */
} shipped[] = {
    {"period-order", "period_start < period_end", S_PERIOD_START,
     S_PERIOD_END, 0, "2015-04-01"},
    {"period-length", "days(period_start, period_end) <= 366", S_PERIOD_START,
     S_PERIOD_END, 0, "2016-04-02"},
    {"missing-le-in-care", "went_missing <= in_care", S_WENT_MISSING,
     S_WENT_MISSING, 51, NULL},
    {"found-le-went-missing", "found <= went_missing", S_FOUND, S_FOUND, 11, NULL},
    {"not-found-le-went-missing", "not_found <= went_missing", S_NOT_FOUND,
     S_NOT_FOUND, 11, NULL},
    {"found-plus-not-found", "found + not_found == went_missing", S_FOUND, S_FOUND, 6, NULL},
    {"incidents-ge-went-missing", "missing_incidents >= went_missing", S_MISSING_INCIDENTS,
     S_MISSING_INCIDENTS, 9, NULL},
    {"incidents-need-children", "missing_incidents == 0 or went_missing > 0",
     S_MISSING_INCIDENTS, S_WENT_MISSING, 0, NULL},
    {"incidents-plausible", "missing_incidents <= 100 * went_missing", S_MISSING_INCIDENTS,
     S_MISSING_INCIDENTS, 1001, NULL},
};
#define NSHIPPED (sizeof shipped / sizeof shipped[0])

/* A record that satisfies every shipped rule. */
static void schema_record(void)
{
    memset(rec_fields, 0, sizeof rec_fields);
    rec = (struct tally_record){.file = "test.csv", .index = 1, .nfields = NS,
                                .fields = rec_fields};
    set_text(S_AUTHORITY_CODE, "E09000001");
    set_text(S_AUTHORITY_NAME, "City of London");
    set_date(S_PERIOD_START, "2015-04-01");
    set_date(S_PERIOD_END, "2016-03-31");
    set_datetime(S_SUBMITTED, "2016-05-01T12:00:00Z");
    set_text(S_COHORT, "uasc");
    set_int(S_IN_CARE, 50);
    set_int(S_WENT_MISSING, 10);
    set_int(S_MISSING_INCIDENTS, 25);
    set_int(S_FOUND, 7);
    set_int(S_NOT_FOUND, 3);
}

static struct tally_expr *compile_shipped(size_t i)
{
    struct tally_error err = {0};
    struct tally_expr *e = tally_expr_compile(shipped[i].assert_src, schema_defs, NS, &err);
    ck_assert_msg(e != NULL, "%s: %s", shipped[i].id, err.message);
    return e;
}

/* The rules in the shipped schema file are the ones this test knows. */
START_TEST(test_shipped_schema_file)
{
    FILE *f = fopen("schemas/missing-from-care.schema.json", "rb");
    ck_assert_msg(f != NULL, "run the tests from the repository root");
    static char json[1 << 16];
    size_t len = fread(json, 1, sizeof json - 1, f);
    fclose(f);
    json[len] = '\0';
    const char *key = "\"assert\": \"";
    const char *s = json;
    size_t i = 0;
    while ((s = strstr(s, key)) != NULL) {
        s += strlen(key);
        const char *end = strchr(s, '"');
        ck_assert_ptr_nonnull(end);
        ck_assert_msg(i < NSHIPPED, "more rules in the schema than the test knows");
        ck_assert_msg(strlen(shipped[i].assert_src) == (size_t)(end - s) &&
                      memcmp(shipped[i].assert_src, s, (size_t)(end - s)) == 0,
                      "rule %zu in the schema is \"%.*s\", test has \"%s\"", i,
                      (int)(end - s), s, shipped[i].assert_src);
        i++;
        s = end;
    }
    ck_assert_uint_eq(i, NSHIPPED);
}
END_TEST

START_TEST(test_shipped_rules)
{
    for (size_t i = 0; i < NSHIPPED; i++) {
        struct tally_expr *e = compile_shipped(i);
        size_t n = 0;
        const size_t *fields = tally_expr_fields(e, &n);
        ck_assert_msg(n >= 1 && fields[0] == shipped[i].first_field, "%s: first field",
                      shipped[i].id);

        schema_record();
        ck_assert_msg(tally_expr_eval(e, &rec) == TALLY_EXPR_TRUE, "%s: not true",
                      shipped[i].id);
        if (shipped[i].to_date)
            set_date(shipped[i].breaks, shipped[i].to_date);
        else
            set_int(shipped[i].breaks, shipped[i].to);
        ck_assert_msg(tally_expr_eval(e, &rec) == TALLY_EXPR_FALSE, "%s: not false",
                      shipped[i].id);

        schema_record();
        set_kind(shipped[i].first_field, TALLY_SYMBOL);
        ck_assert_msg(tally_expr_eval(e, &rec) == TALLY_EXPR_SKIPPED, "%s: not skipped",
                      shipped[i].id);
        tally_expr_free(e);
    }
}
END_TEST

/* Edges of the shipped rules, and the error messages expr.h promises. */
START_TEST(test_shipped_edges)
{
    struct tally_expr *length = compile_shipped(1);
    schema_record();
    set_date(S_PERIOD_END, "2016-04-01");       /* 366 days, across 29 February */
    ck_assert_int_eq(tally_expr_eval(length, &rec), TALLY_EXPR_TRUE);
    tally_expr_free(length);

    struct tally_expr *plausible = compile_shipped(8);
    schema_record();
    set_int(S_MISSING_INCIDENTS, 1000);         /* exactly 100 per child */
    ck_assert_int_eq(tally_expr_eval(plausible, &rec), TALLY_EXPR_TRUE);
    tally_expr_free(plausible);

    struct tally_expr *children = compile_shipped(7);
    schema_record();
    set_int(S_WENT_MISSING, 0);
    set_int(S_MISSING_INCIDENTS, 0);
    ck_assert_int_eq(tally_expr_eval(children, &rec), TALLY_EXPR_TRUE);
    tally_expr_free(children);

    struct tally_error err = {0};
    ck_assert_ptr_null(tally_expr_compile("fund <= went_missing", schema_defs, NS, &err));
    ck_assert_str_eq(err.message, "unknown field \"fund\" at column 1");
    ck_assert_ptr_null(tally_expr_compile("period_start < 5", schema_defs, NS, &err));
    ck_assert_str_eq(err.message, "cannot compare date with integer at column 14");
}
END_TEST

Suite *expr_suite(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = tcase_create("eval");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_arithmetic);
    tcase_add_test(tc, test_comparisons);
    tcase_add_test(tc, test_logic);
    tcase_add_test(tc, test_logic_precedence);
    tcase_add_test(tc, test_dates);
    tcase_add_test(tc, test_days);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_skip);
    tcase_add_test(tc, test_skip_defensive);
    tcase_add_test(tc, test_overflow);
    tcase_add_test(tc, test_fields);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_errors_empty_and_end);
    tcase_add_test(tc, test_errors_names);
    tcase_add_test(tc, test_errors_types);
    tcase_add_test(tc, test_errors_functions);
    tcase_add_test(tc, test_errors_lexical);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_hostile_input);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("shipped");
    tcase_add_test(tc, test_shipped_schema_file);
    tcase_add_test(tc, test_shipped_rules);
    tcase_add_test(tc, test_shipped_edges);
    suite_add_tcase(s, tc);
    return s;
}
