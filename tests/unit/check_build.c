/*
 * check_build.c — the national build: fates of repeated keys, sums with
 * symbols, the percentage's rounding, and that fates always add up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "tally/build.h"
#include "tally/reader.h"
#include "tally/validate.h"

#define H "authority_code,period_start,period_end,submitted,cohort,in_care,went_missing," \
          "missing_incidents,found,not_found\n"

struct fixture {
    struct tally_schema *schema;
    struct tally_registry *reg;
    struct tally_build *build;
    char diags[256][256];
    size_t ndiags;
};

static void on_diag(void *ctx, const struct tally_diag *d)
{
    struct fixture *fx = ctx;
    if (fx->ndiags < 256)
        snprintf(fx->diags[fx->ndiags++], 256, "%s[%s] %s", tally_severity_name(d->severity),
                 d->code, d->message);
}

/* Build from CSV texts, one file each (NULL-terminated). */
static void build(struct fixture *fx, const char *const *texts)
{
    struct tally_error err;
    memset(fx, 0, sizeof *fx);
    fx->schema = tally_schema_load_default(&err);
    fx->reg = tally_registry_load_default(&err);
    struct tally_diag_sink sink = {on_diag, fx};
    struct tally_build_options bo = {.outlier_factor = 3, .outlier_min = 10};
    struct tally_validator_options vo = {0};
    fx->build = tally_build_new(fx->schema, fx->reg, &bo, sink, &err);
    struct tally_validator *v = tally_validator_new(fx->schema, fx->reg, &vo, sink, &err);
    ck_assert_ptr_nonnull(fx->build);
    static char paths[8][64];
    for (size_t i = 0; texts[i]; i++) {
        snprintf(paths[i], sizeof paths[i], "/tmp/tally-build-%zu-XXXXXX", i);
        int fd = mkstemp(paths[i]);
        ck_assert_int_eq((long)write(fd, texts[i], strlen(texts[i])), (long)strlen(texts[i]));
        close(fd);
        struct tally_input in;
        ck_assert_int_eq(tally_input_open(&in, paths[i], &err), TALLY_OK);
        struct tally_reader_config cfg = {.schema = fx->schema, .sink = sink};
        struct tally_reader *r;
        ck_assert_int_eq(tally_reader_find("csv")->open(&r, &in, &cfg, &err), TALLY_OK);
        tally_build_add_file(fx->build, paths[i]);
        struct tally_record *rec;
        while (r->ops->next(r, &rec, &err) == TALLY_RECORD) {
            ck_assert_int_eq(tally_validator_check(v, rec, &err), TALLY_OK);
            ck_assert_int_eq(tally_build_add(fx->build, rec, NULL, &err), TALLY_OK);
        }
        r->ops->close(r);
        tally_input_close(&in);
        unlink(paths[i]);
    }
    fx->ndiags = 0;     /* keep only what finish says */
    ck_assert_int_eq(tally_build_finish(fx->build, &err), TALLY_OK);
    tally_validator_free(v);
}

static void done(struct fixture *fx)
{
    tally_build_free(fx->build);
    tally_registry_free(fx->reg);
    tally_schema_free(fx->schema);
}

/* The CSV line of the dataset row for this cohort and area, from column 8 on. */
static const char *row(struct fixture *fx, const char *cohort, const char *area)
{
    static char line[512];
    for (size_t i = 0; i < tally_build_nrows(fx->build); i++) {
        const struct tally_dataset_row *r = tally_build_row_at(fx->build, i);
        if (strcmp(r->cohort, cohort) || strcmp(r->area_code, area))
            continue;
        size_t o = 0;
        char buf[24];
        for (size_t c = 8; tally_build_columns(fx->build)[c]; c++)
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%s", c > 8 ? "," : "",
                                  tally_build_cell(fx->build, r, c, buf));
        return line;
    }
    return "(no row)";
}

static uint64_t fate(struct fixture *fx, enum tally_fate f)
{
    return tally_build_fate_count(fx->build, f);
}

START_TEST(test_three_repeats)
{
    struct fixture fx;
    /* Kent uasc three times: two identical latest submissions and an older one. */
    build(&fx, (const char *const[]){
                   H "E10000016,2014-10-01,2015-09-30,2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n",
                   H "E10000016,2014-10-01,2015-09-30,2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n"
                     "E10000016,2014-10-01,2015-09-30,2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n",
                   NULL});
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_ACCEPTED), 1);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_SUPERSEDED), 1);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_DUPLICATE), 1);
    ck_assert_str_eq(row(&fx, "uasc", "E10000016"), "12,2,2,2,0,16.7,1,1,true");
    done(&fx);

    /* The latest two disagree: neither can be chosen, and the older one was
     * replaced all the same (replaced figures are never published). */
    build(&fx, (const char *const[]){
                   H "E10000016,2014-10-01,2015-09-30,2015-10-01T00:00:00Z,uasc,10,1,1,1,0\n"
                     "E10000016,2014-10-01,2015-09-30,2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n"
                     "E10000016,2014-10-01,2015-09-30,2015-11-01T00:00:00Z,uasc,13,2,2,2,0\n",
                   NULL});
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_REJECTED), 2);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_SUPERSEDED), 1);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_ACCEPTED), 0);
    /* No accepted record at all: no period, so no rows */
    ck_assert_str_eq(tally_build_record_at(fx.build, 0)->codes, "superseded");
    ck_assert_str_eq(tally_build_record_at(fx.build, 1)->codes, "conflict");
    ck_assert_str_eq(tally_build_record_at(fx.build, 2)->codes, "conflict");
    ck_assert_str_eq(row(&fx, "uasc", "E10000016"), "(no row)");
    done(&fx);

    /* One of two lacks a submitted time: a conflict. */
    build(&fx, (const char *const[]){
                   H "E10000016,2014-10-01,2015-09-30,,uasc,10,1,1,1,0\n"
                     "E10000016,2014-10-01,2015-09-30,2015-11-01T00:00:00Z,uasc,12,2,2,2,0\n",
                   NULL});
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_REJECTED), 2);
    static const char want[] = "error[conflict] the record for E10000016, 2014-10-01, "
                               "2015-09-30, uasc conflicts with the one at /tmp/tally-build-0-";
    ck_assert_int_eq(strncmp(fx.diags[0], want, strlen(want)), 0);
    ck_assert_str_eq(fx.diags[0] + strlen(want) + 6, ":3: different values and no later "
                     "submitted time to choose between them; all 2 are rejected");
    done(&fx);
}
END_TEST

static const struct tally_dataset_row *find_row(struct fixture *fx, const char *cohort,
                                                const char *area)
{
    for (size_t i = 0; i < tally_build_nrows(fx->build); i++) {
        const struct tally_dataset_row *r = tally_build_row_at(fx->build, i);
        if (strcmp(r->cohort, cohort) == 0 && strcmp(r->area_code, area) == 0)
            return r;
    }
    return NULL;
}

/* Kent resubmits, and the resubmission has an error: the figures it replaced
 * are not published, and the records say why (issue 13). */
START_TEST(test_rejected_resubmission)
{
    struct fixture fx;
    build(&fx, (const char *const[]){
                   H "E10000016,2014-10-01,2015-09-30,2015-10-01T09:00:00+01:00,trafficked,31,9,22,7,2\n"
                     "E10000016,2014-10-01,2015-09-30,2015-10-01T09:00:00+01:00,uasc,980,188,410,135,53\n",
                   H "E10000016,2014-10-01,2015-09-30,2015-10-28T09:30:00Z,trafficked,31,9,22,7,2\n"
                     "E10000016,2014-10-01,2015-09-30,2015-10-28T09:30:00Z,uasc,985,190,412,137,54\n",
                   NULL});
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_ACCEPTED), 1);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_DUPLICATE), 1);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_SUPERSEDED), 1);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_REJECTED), 1);
    ck_assert_str_eq(tally_build_record_at(fx.build, 1)->codes, "superseded");
    ck_assert_str_eq(tally_build_record_at(fx.build, 3)->codes, "error");   /* codes not given */
    ck_assert_str_eq(row(&fx, "trafficked", "E10000016"), "31,9,22,7,2,29.0,1,1,true");
    /* Kent's uasc row is there, with nothing published: what it sent was
     * replaced by a rejected record. */
    ck_assert_str_eq(row(&fx, "uasc", "E10000016"), "x,x,x,x,x,,0,1,false");
    ck_assert_int_eq(find_row(&fx, "uasc", "E10000016")->source, TALLY_ROW_REJECTED);
    /* Settling's diagnostics come first, then coverage. */
    static const char dup[] = "info[duplicate] the record for E10000016, 2014-10-01, "
                              "2015-09-30, trafficked is identical to the one at ";
    ck_assert_int_eq(strncmp(fx.diags[0], dup, strlen(dup)), 0);
    static const char sup[] = "warning[superseded] the record for E10000016, 2014-10-01, "
                              "2015-09-30, uasc is superseded by the one at ";
    ck_assert_int_eq(strncmp(fx.diags[1], sup, strlen(sup)), 0);
    ck_assert_ptr_nonnull(strstr(fx.diags[1], ":3, submitted 2015-10-28T09:30:00Z, which was "
                                 "rejected: no record for this key is accepted"));
    done(&fx);
}
END_TEST

START_TEST(test_sums_symbols_and_rounding)
{
    struct fixture fx;
    /* East Midlands: Leicester 1 of 8 (12.5%), Derby 1 of 16 (6.25% → 6.3),
     * Nottingham all symbols. */
    build(&fx, (const char *const[]){
                   H "E06000016,2014-10-01,2015-09-30,,uasc,8,1,1,1,0\n"
                     "E06000015,2014-10-01,2015-09-30,,uasc,16,1,1,1,0\n"
                     "E06000018,2014-10-01,2015-09-30,,uasc,x,x,x,x,x\n"
                     "E06000018,2014-10-01,2015-09-30,,trafficked,c,c,c,c,c\n",
                   NULL});
    ck_assert_str_eq(row(&fx, "uasc", "E06000016"), "8,1,1,1,0,12.5,1,1,true");
    ck_assert_str_eq(row(&fx, "uasc", "E06000015"), "16,1,1,1,0,6.3,1,1,true");
    ck_assert_str_eq(row(&fx, "uasc", "E06000018"), "x,x,x,x,x,,1,1,false");
    /* The region: sums of the numbers; Nottingham gave symbols for both counts of
     * the percentage, so the same authorities stand behind both: 2 of 24. */
    ck_assert_str_eq(row(&fx, "uasc", "E12000004"), "24,2,2,2,0,8.3,3,9,false");
    /* Only symbols: the area's counts are x. */
    ck_assert_str_eq(row(&fx, "trafficked", "E12000004"), "x,x,x,x,x,,1,9,false");
    /* A region nobody reported for. */
    ck_assert_str_eq(row(&fx, "uasc", "E12000007"), "x,x,x,x,x,,0,33,false");
    ck_assert_str_eq(row(&fx, "uasc", "K02000001"), "24,2,2,2,0,8.3,3,217,false");
    done(&fx);

    /* A number for in_care and a symbol for went_missing: the two totals would
     * stand on different authorities, so no percentage. */
    build(&fx, (const char *const[]){
                   H "E06000016,2014-10-01,2015-09-30,,uasc,8,1,1,1,0\n"
                     "E06000015,2014-10-01,2015-09-30,,uasc,16,c,c,c,c\n", NULL});
    ck_assert_str_eq(row(&fx, "uasc", "E06000015"), "16,c,c,c,c,,1,1,false");
    ck_assert_str_eq(row(&fx, "uasc", "E12000004"), "24,1,1,1,0,,2,9,false");
    ck_assert_str_eq(row(&fx, "uasc", "K02000001"), "24,1,1,1,0,,2,217,false");
    done(&fx);

    build(&fx, (const char *const[]){
                   H "E06000016,2014-10-01,2015-09-30,,uasc,3,2,2,2,0\n"
                     "E06000015,2014-10-01,2015-09-30,,uasc,0,0,0,0,0\n", NULL});
    ck_assert_str_eq(row(&fx, "uasc", "E06000016"), "3,2,2,2,0,66.7,1,1,true");
    ck_assert_str_eq(row(&fx, "uasc", "E06000015"), "0,0,0,0,0,,1,1,true");
    ck_assert_str_eq(row(&fx, "uasc", "E12000004"), "3,2,2,2,0,66.7,2,9,false");
    done(&fx);
}
END_TEST

START_TEST(test_fates_add_up)
{
    struct fixture fx;
    build(&fx, (const char *const[]){
                   H "E06000016,2014-10-01,2015-09-30,,uasc,8,1,1,1,0\n"
                     "E06000016,2014-10-01,2015-09-30,,uasc,8,1,1,1,0\n"
                     "E06000016,2014-10-01,2015-09-30,,trafficked,8,9,9,9,0\n"
                     "E99999999,2014-10-01,2015-09-30,,trafficked,1,0,0,0,0\n",
                   H "E06000016,2014-10-01,2015-09-30,,uasc,8,1,1,1,0\n", NULL});
    uint64_t sum = 0;
    for (int f = 0; f < TALLY_FATE_COUNT; f++)
        sum += fate(&fx, f);
    ck_assert_uint_eq(sum, 5);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_ACCEPTED), 1);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_DUPLICATE), 2);
    ck_assert_uint_eq(fate(&fx, TALLY_FATE_REJECTED), 2);
    ck_assert_uint_eq(tally_build_nrecords(fx.build), 5);
    ck_assert_str_eq(tally_build_record_at(fx.build, 3)->codes, "error");
    done(&fx);
}
END_TEST

START_TEST(test_percent_rounding)
{
    /* 100 x num / den to one decimal place, half up, exactly (no floating point) */
    static const struct { int64_t num, den; const char *want; } cases[] = {
        {167, 590, "28.3"},     /* Heading back to harm: 28.305... */
        {593, 4744, "12.5"},    /* exactly 1/8 */
        {1, 16, "6.3"},         /* 6.25: the .x5 boundary goes up */
        {3, 16, "18.8"},        /* 18.75 */
        {5, 16, "31.3"},        /* 31.25 */
        {1, 80, "1.3"},         /* 1.25 */
        {1, 160, "0.6"},        /* 0.625: not a boundary of the first decimal */
        {1, 2000, "0.1"},       /* 0.05 goes up */
        {1, 2001, "0.0"},       /* 0.04997... goes down */
        {2, 3, "66.7"},
        {1, 3, "33.3"},
        {0, 5, "0.0"},
        {5, 5, "100.0"},
        {1000000, 1, "100000000.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        ck_assert(tally_format_percent(cases[i].num, cases[i].den, buf, sizeof buf));
        ck_assert_str_eq(buf, cases[i].want);
    }
    char buf[32];
    ck_assert(!tally_format_percent(1, 0, buf, sizeof buf));
    ck_assert(!tally_format_percent(-1, 5, buf, sizeof buf));
}
END_TEST

START_TEST(test_rate_rounding)
{
    /* per 10,000 to one decimal, half up, exactly: 10000 num / den, worked by hand */
    static const struct { int64_t num, den, per; const char *want; } cases[] = {
        {1052, 340100, 10000, "30.9"},  /* 30.932... */
        {7, 4000, 10000, "17.5"},       /* exactly 17.5 */
        {1, 160000, 10000, "0.1"},      /* 0.0625 → 0.1: half up at the second place */
        {1, 200001, 10000, "0.0"},      /* 0.04999... */
        {1, 200000, 10000, "0.1"},      /* exactly 0.05: half up */
        {0, 86400, 10000, "0.0"},
        {15, 167800, 10000, "0.9"},     /* 0.8939... */
        {INT64_MAX, 1, 10000, ""},      /* beyond int64: refused */
        {1, 8, 100, "12.5"},            /* the percentage is the same function */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        bool ok = tally_format_rate(cases[i].num, cases[i].den, cases[i].per, buf, sizeof buf);
        ck_assert_msg(ok == (*cases[i].want != '\0'), "case %zu", i);
        if (ok)
            ck_assert_str_eq(buf, cases[i].want);
    }
    char buf[32];
    ck_assert(!tally_format_rate(1, 0, 10000, buf, sizeof buf));
    ck_assert(!tally_format_rate(-1, 5, 10000, buf, sizeof buf));
    ck_assert(!tally_format_rate(1, 5, 0, buf, sizeof buf));
    ck_assert(!tally_format_rate(1, 5, 10000, buf, 16));
}
END_TEST

START_TEST(test_change)
{
    static const struct { const char *now, *old; bool decimal; const char *want; } cases[] = {
        {"412", "398", false, "14"},
        {"398", "412", false, "-14"},
        {"0", "0", false, "0"},
        {"9223372036854775807", "0", false, "9223372036854775807"},
        {"0", "9223372036854775807", false, "-9223372036854775807"},
        {"c", "12", false, "c"},        /* never gives a suppressed count away */
        {"12", "c", false, "c"},
        {"x", "c", false, "c"},
        {"x", "12", false, "x"},
        {"12", "z", false, "x"},
        {"35.7", "36.0", true, "-0.3"},
        {"36.0", "35.7", true, "0.3"},
        {"19.1", "19.1", true, "0.0"},
        {"0.4", "12.9", true, "-12.5"},
        {"c", "12.5", true, "c"},
        {"", "12.5", true, ""},
        {"12.5", "", true, ""},
        {"12.55", "1.0", true, ""},     /* not a one-decimal figure */
        {"-1.0", "1.0", true, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        ck_assert(tally_format_change(cases[i].now, cases[i].old, cases[i].decimal, "c", buf,
                                      sizeof buf));
        ck_assert_msg(strcmp(buf, cases[i].want) == 0, "case %zu: %s, not %s", i, buf,
                      cases[i].want);
    }
}
END_TEST

START_TEST(test_every_authority_has_a_row)
{
    struct fixture fx;
    /* Leicester sends uasc only; Derby's trafficked record breaks a rule. */
    build(&fx, (const char *const[]){
                   H "E06000016,2014-10-01,2015-09-30,,uasc,8,1,1,1,0\n"
                     "E06000015,2014-10-01,2015-09-30,,trafficked,8,9,9,9,0\n"
                     "E06000015,2014-10-01,2015-09-30,,uasc,4,0,0,0,0\n", NULL});
    /* 217 authorities in force on 2015-09-30, and 14 areas, per cohort */
    ck_assert_uint_eq(tally_build_nrows(fx.build), 2 * (217 + 14));
    const struct tally_dataset_row *r = find_row(&fx, "trafficked", "E06000016");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->source, TALLY_ROW_NOTHING);
    ck_assert(r->partial);          /* it sent uasc */
    ck_assert_uint_eq(r->reporting, 0);
    ck_assert_str_eq(row(&fx, "trafficked", "E06000016"), "x,x,x,x,x,,0,1,false");
    r = find_row(&fx, "trafficked", "E06000015");
    ck_assert_int_eq(r->source, TALLY_ROW_REJECTED);
    ck_assert(r->partial);
    r = find_row(&fx, "uasc", "E06000015");
    ck_assert_int_eq(r->source, TALLY_ROW_REPORTED);
    ck_assert(r->partial);
    r = find_row(&fx, "uasc", "E06000018");     /* Nottingham: nothing at all */
    ck_assert_int_eq(r->source, TALLY_ROW_NOTHING);
    ck_assert(!r->partial);
    /* who gave what, per count */
    r = find_row(&fx, "uasc", "E12000004");
    ck_assert_uint_eq(r->numbers[0], 2);
    ck_assert_uint_eq(r->symbols[0], 0);
    ck_assert_uint_eq(r->reporting, 2);
    /* the period: 2 of 217 sent an accepted record: low, and warned about */
    ck_assert_uint_eq(tally_build_nperiods(fx.build), 1);
    const struct tally_period_coverage *p = tally_build_period_at(fx.build, 0);
    ck_assert_uint_eq(p->expected, 217);
    ck_assert_uint_eq(p->reporting, 2);
    ck_assert(p->low);
    bool warned = false;
    for (size_t i = 0; i < fx.ndiags; i++)
        warned |= strncmp(fx.diags[i], "warning[coverage-low] only 2 of the 217 authorities", 51) == 0;
    ck_assert(warned);
    done(&fx);
}
END_TEST

Suite *build_suite(void)
{
    Suite *s = suite_create("build");
    TCase *tc = tcase_create("build");
    tcase_add_test(tc, test_three_repeats);
    tcase_add_test(tc, test_rejected_resubmission);
    tcase_add_test(tc, test_sums_symbols_and_rounding);
    tcase_add_test(tc, test_fates_add_up);
    tcase_add_test(tc, test_percent_rounding);
    tcase_add_test(tc, test_rate_rounding);
    tcase_add_test(tc, test_change);
    tcase_add_test(tc, test_every_authority_has_a_row);
    suite_add_tcase(s, tc);
    return s;
}
