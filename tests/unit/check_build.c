/*
 * check_build.c — the national build: fates of repeated keys, sums with
 * symbols, the percentage's rounding, and that fates always add up.
 */
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
    char diags[32][256];
    size_t ndiags;
};

static void on_diag(void *ctx, const struct tally_diag *d)
{
    struct fixture *fx = ctx;
    if (fx->ndiags < 32)
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
    ck_assert_str_eq(row(&fx, "uasc", "E10000016"), "(no row)");
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
    /* The region: sums of the numbers; a symbol leaves the percentage empty. */
    ck_assert_str_eq(row(&fx, "uasc", "E12000004"), "24,2,2,2,0,,3,9,false");
    /* Only symbols: the area's counts are x. */
    ck_assert_str_eq(row(&fx, "trafficked", "E12000004"), "x,x,x,x,x,,1,9,false");
    /* A region nobody reported for. */
    ck_assert_str_eq(row(&fx, "uasc", "E12000007"), "x,x,x,x,x,,0,33,false");
    ck_assert_str_eq(row(&fx, "uasc", "K02000001"), "24,2,2,2,0,,3,217,false");
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

Suite *build_suite(void)
{
    Suite *s = suite_create("build");
    TCase *tc = tcase_create("build");
    tcase_add_test(tc, test_three_repeats);
    tcase_add_test(tc, test_rejected_resubmission);
    tcase_add_test(tc, test_sums_symbols_and_rounding);
    tcase_add_test(tc, test_fates_add_up);
    suite_add_tcase(s, tc);
    return s;
}
