/*
 * check_ees.c — EES's names for periods (time_period, time_identifier), as
 * DfE's open data standards list them, and the periods it has no name for.
 */
#include <string.h>

#include "suites.h"
#include "tally/dataset.h"

static void named(const char *start, const char *end, const char *period, const char *id)
{
    struct tally_ees_time t;
    ck_assert_msg(tally_ees_time(start, end, &t), "%s to %s has no EES name", start, end);
    ck_assert_str_eq(t.period, period);
    ck_assert_str_eq(t.identifier, id);
}

static void unnamed(const char *start, const char *end)
{
    struct tally_ees_time t;
    ck_assert_msg(!tally_ees_time(start, end, &t), "%s to %s named %s %s", start, end, t.period,
                  t.identifier);
}

START_TEST(test_years)
{
    named("2014-04-01", "2015-03-31", "201415", "Financial year");
    named("2014-09-01", "2015-08-31", "201415", "Academic year");
    named("2015-01-01", "2015-12-31", "2015", "Calendar year");
    named("2014-04-06", "2015-04-05", "201415", "Tax year");
    named("1999-04-01", "2000-03-31", "199900", "Financial year");    /* consecutive: 99 then 00 */
    /* Heading back to harm's year: October to September, a Reporting year
     * named by its end year */
    named("2014-10-01", "2015-09-30", "2015", "Reporting year");
    named("2015-10-15", "2016-10-14", "2016", "Reporting year");
    named("2015-03-01", "2016-02-29", "2016", "Reporting year");      /* over a 29 February */
}
END_TEST

START_TEST(test_parts_of_years)
{
    named("2014-04-01", "2014-06-30", "201415", "Financial year Q1");
    named("2014-07-01", "2014-09-30", "201415", "Financial year Q2");
    named("2014-10-01", "2014-12-31", "201415", "Financial year Q3");
    named("2015-01-01", "2015-03-31", "201415", "Financial year Q4");
    named("2014-04-01", "2014-09-30", "201415", "Part 1 (April to September)");
    named("2014-10-01", "2015-03-31", "201415", "Part 2 (October to March)");
    named("2016-02-01", "2016-02-29", "2016", "February");
    named("2015-09-01", "2015-09-30", "2015", "September");
}
END_TEST

START_TEST(test_no_name)
{
    unnamed("2014-10-01", "2015-09-29");    /* a day short of a year */
    unnamed("2014-10-01", "2015-10-01");    /* a day over */
    unnamed("2015-02-01", "2015-02-27");    /* not a whole month */
    unnamed("2016-02-29", "2017-02-28");    /* from a 29 February: no same date a year on */
    unnamed("2015-01-01", "2016-12-31");    /* two years */
    unnamed("2015-05-01", "2015-07-31");    /* three months, not a financial quarter */
    unnamed("not a date", "2015-07-31");
}
END_TEST

Suite *ees_suite(void)
{
    Suite *s = suite_create("ees");
    TCase *tc = tcase_create("ees");
    tcase_add_test(tc, test_years);
    tcase_add_test(tc, test_parts_of_years);
    tcase_add_test(tc, test_no_name);
    suite_add_tcase(s, tc);
    return s;
}
