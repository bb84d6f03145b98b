/*
 * check_validate.c — the validator over CSV input: required, type,
 * constraints, the registry, rules (evaluated and skipped). Repeated keys:
 * check_settle.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "testutil.h"

#define H "authority_code,authority_name,period_start,period_end,submitted,cohort,in_care," \
          "went_missing,missing_incidents,found,not_found\n"

/* One row after the header: its diagnostics must be exactly `want` (NULL-terminated). */
static void check(const char *row, const char *const *want)
{
    size_t n = strlen(row);
    char *line = malloc(n + 2);
    ck_assert_ptr_nonnull(line);
    memcpy(line, row, n);
    memcpy(line + n, "\n", 2);
    expect_csv_diags(H, line, want);
    free(line);
}

#define CHECK(row, ...) check(row, (const char *const[]){__VA_ARGS__, NULL})
#define CLEAN(row) check(row, (const char *const[]){NULL})

START_TEST(test_valid_rows)
{
    CLEAN("E10000021,Northamptonshire,2014-10-01,2015-09-30,2015-11-02T10:00:00Z,trafficked,42,15,41,12,3");
    CLEAN("E10000021,,2014-10-01,2015-09-30,,uasc,38,c,c,c,c");
    CLEAN("E06000010,Kingston upon Hull City Council,2014-10-01,2015-09-30,,uasc,1,0,0,0,0");
    CLEAN("E06000043,Brighton & Hove,2014-10-01,2015-09-30,,uasc,1,0,0,0,0");
    CLEAN("S12000036,Edinburgh,2014-10-01,2015-09-30,,uasc,0,0,0,0,0");
}
END_TEST

START_TEST(test_required_type_constraint)
{
    CHECK(",Northamptonshire,2014-10-01,2015-09-30,,trafficked,,15,41,12,3",
          "2:1 error[required] authority_code is required but empty; authority_name "
          "\"Northamptonshire\" is Northamptonshire (E10000021), which --clean fills in",
          "2:53 error[required] in_care is required but empty");
    CHECK("E10000021,,2014-10-01,2015-09-30,,trafficked,42.0,+15,-1,forty,3",
          "2:46 error[type] in_care must be a whole number or one of x, c or z, not \"42.0\"",
          "2:51 error[type] went_missing must be a whole number or one of x, c or z, not \"+15\"",
          "2:55 error[type] missing_incidents must be a whole number or one of x, c or z, not \"-1\"",
          "2:58 error[type] found must be a whole number or one of x, c or z, not \"forty\"");
    CHECK("E1000002,,2014-10-01,30/09/2015,yesterday,Trafficked,1000001,"
          "1234567890123456789012345678901234567890,0,0,0",
          "2:1 error[constraint] authority_code \"E1000002\" does not match the pattern ^[ENSW][0-9]{8}$",
          "2:22 error[type] period_end must be a date written YYYY-MM-DD, not \"30/09/2015\"",
          "2:33 error[type] submitted must be a date and time written YYYY-MM-DDThh:mm:ssZ (or with "
          "an offset such as +01:00), not \"yesterday\"",
          "2:43 error[constraint] cohort \"Trafficked\" is not one of trafficked or uasc",
          "2:54 error[constraint] in_care (1000001) is above the maximum 1000000",
          "2:62 error[constraint] went_missing (1234567890123456789012345678901234567890) is above "
          "the maximum 1000000");
}
END_TEST

START_TEST(test_registry)
{
    CHECK("E99999999,,2014-10-01,2015-09-30,,uasc,1,0,0,0,0",
          "2:1 error[authority-unknown] E99999999 is not an authority code in the registry");
    CHECK("E10000021,,2021-04-01,2022-03-31,,uasc,1,0,0,0,0",
          "2:1 error[authority-not-valid] E10000021 (Northamptonshire) was no longer in force on "
          "2022-03-31: it ended on 2021-03-31; succeeded by E06000061 (North Northamptonshire), "
          "E06000062 (West Northamptonshire)");
    CHECK("E06000061,,2014-10-01,2015-09-30,,uasc,1,0,0,0,0",
          "2:1 error[authority-not-valid] E06000061 (North Northamptonshire) was not yet in force on "
          "2015-09-30: it starts on 2021-04-01");
    /* In force on its last day, and its successors from the next. */
    CLEAN("E10000021,,2020-04-01,2021-03-31,,uasc,1,0,0,0,0");
    CLEAN("E06000062,,2021-04-01,2022-03-31,,uasc,1,0,0,0,0");
    /* A name in schemas/aliases.csv is the authority's. */
    CLEAN("E10000021,Northants,2014-10-01,2015-09-30,,uasc,1,0,0,0,0");
    CHECK("E10000021,Medway,2014-10-01,2015-09-30,,uasc,1,0,0,0,0",
          "2:11 warning[authority-name] authority_name \"Medway\" differs from the registry's "
          "\"Northamptonshire\" for E10000021, and is the name of Medway (E06000035); the "
          "registry's name is used");
}
END_TEST

START_TEST(test_every_rule)
{
    CHECK("E10000021,,2015-09-30,2015-09-30,,uasc,1,0,0,0,0",
          "2:12 error[period-order] period_start (2015-09-30) is not before period_end (2015-09-30)");
    CHECK("E10000021,,2014-01-01,2015-09-30,,uasc,1,0,0,0,0",
          "2:12 warning[period-length] the period from 2014-01-01 to 2015-09-30 is longer than a year");
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,5,6,6,6,0",
          "2:42 error[missing-le-in-care] went_missing (6) exceeds in_care (5) for cohort uasc");
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,50,15,41,16,0",
          "2:49 error[found-le-went-missing] found (16) exceeds went_missing (15) for cohort uasc",
          "2:49 error[found-plus-not-found] found (16) + not_found (0) is not went_missing (15) for cohort uasc");
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,50,15,41,0,16",
          "2:51 error[not-found-le-went-missing] not_found (16) exceeds went_missing (15) for cohort uasc",
          "2:49 error[found-plus-not-found] found (0) + not_found (16) is not went_missing (15) for cohort uasc");
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,50,15,41,12,2",
          "2:49 error[found-plus-not-found] found (12) + not_found (2) is not went_missing (15) for cohort uasc");
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,50,15,14,12,3",
          "2:46 error[incidents-ge-went-missing] missing_incidents (14) is fewer than went_missing (15) for cohort uasc");
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,50,0,3,0,0",
          "2:45 error[incidents-need-children] missing_incidents (3) recorded but no child went missing for cohort uasc",
          "2:45 warning[incidents-plausible] missing_incidents (3) is more than 100 per child who "
          "went missing (0) for cohort uasc");
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,50,2,201,2,0",
          "2:45 warning[incidents-plausible] missing_incidents (201) is more than 100 per child who "
          "went missing (2) for cohort uasc");
    CLEAN("E10000021,,2014-10-01,2015-09-30,,uasc,50,2,200,2,0");
}
END_TEST

START_TEST(test_rules_skip_symbols_and_errors)
{
    /* found is a symbol: the rules naming it are skipped, the others still hold. */
    CLEAN("E10000021,,2014-10-01,2015-09-30,,uasc,50,15,41,c,3");
    /* went_missing is in error: no rule naming it adds to the type error. */
    CHECK("E10000021,,2014-10-01,2015-09-30,,uasc,50,1.5,41,99,3",
          "2:43 error[type] went_missing must be a whole number or one of x, c or z, not \"1.5\"");
}
END_TEST

Suite *validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("checks");
    tcase_add_test(tc, test_valid_rows);
    tcase_add_test(tc, test_required_type_constraint);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_every_rule);
    tcase_add_test(tc, test_rules_skip_symbols_and_errors);
    suite_add_tcase(s, tc);
    return s;
}
