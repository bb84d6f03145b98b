/*
 * check_value.c — counts, symbols, dates and datetimes.
 */
#include <string.h>

#include "suites.h"
#include "tally/value.h"

static enum tally_count_parse count(const char *s, int64_t *n, char *sym)
{
    return tally_parse_count(s, strlen(s), "xcz", n, sym);
}

START_TEST(test_counts)
{
    int64_t n = -1;
    char sym = 0;
    ck_assert_int_eq(count("42", &n, &sym), TALLY_COUNT_OK);
    ck_assert_int_eq(n, 42);
    ck_assert_int_eq(count("0", &n, &sym), TALLY_COUNT_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(count("007", &n, &sym), TALLY_COUNT_OK);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(count("9223372036854775807", &n, &sym), TALLY_COUNT_OK);
    ck_assert_int_eq(n, INT64_MAX);
    ck_assert_int_eq(count("9223372036854775808", &n, &sym), TALLY_COUNT_TOO_BIG);
    ck_assert_int_eq(count("1234567890123456789012345678901234567890", &n, &sym), TALLY_COUNT_TOO_BIG);
    static const char *const bad[] = {"42.0", "+42", "-1", "-0", "1,204", "forty", "", " 42", "42 ",
                                      "4 2", "X", "xc", "1e3", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(count(bad[i], &n, &sym) == TALLY_COUNT_BAD, "\"%s\" accepted", bad[i]);
    ck_assert_int_eq(count("c", &n, &sym), TALLY_COUNT_SYMBOL);
    ck_assert_int_eq(sym, 'c');
    ck_assert_int_eq(count("z", &n, &sym), TALLY_COUNT_SYMBOL);
    ck_assert_int_eq(sym, 'z');
    ck_assert_int_eq(tally_parse_count("x", 1, NULL, &n, &sym), TALLY_COUNT_BAD);
    ck_assert_int_eq(tally_parse_count("x", 1, "c", &n, &sym), TALLY_COUNT_BAD);
}
END_TEST

START_TEST(test_dates)
{
    int64_t d;
    ck_assert(tally_parse_date("1970-01-01", 10, &d));
    ck_assert_int_eq(d, 0);
    ck_assert(tally_parse_date("2015-09-30", 10, &d));
    ck_assert_int_eq(d, 16708);
    char buf[11];
    tally_format_date(d, buf);
    ck_assert_str_eq(buf, "2015-09-30");
    ck_assert(tally_parse_date("2016-02-29", 10, &d));
    ck_assert(tally_parse_date("2000-02-29", 10, &d));
    static const char *const bad[] = {"2015-02-29", "1900-02-29", "2015-13-01", "2015-00-10",
                                      "2015-04-31", "2015-9-30", "30/09/2015", "2015-09-30T00:00:00Z",
                                      "0999-01-01", "2015-09-3a", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!tally_parse_date(bad[i], strlen(bad[i]), &d), "\"%s\" accepted", bad[i]);
    int64_t a, b;
    ck_assert(tally_parse_date("2014-10-01", 10, &a));
    ck_assert(tally_parse_date("2015-09-30", 10, &b));
    ck_assert_int_eq(b - a, 364);
}
END_TEST

START_TEST(test_datetimes)
{
    int64_t t, u;
    ck_assert(tally_parse_datetime("2015-11-02T10:00:00Z", 20, &t));
    ck_assert_int_eq(t, 1446458400);
    ck_assert(tally_parse_datetime("2015-11-02T11:00:00+01:00", 25, &u));
    ck_assert_int_eq(u, t);
    ck_assert(tally_parse_datetime("2015-11-02T09:30:00-00:30", 25, &u));
    ck_assert_int_eq(u, t);
    ck_assert(tally_parse_datetime("2015-11-02T10:00:00.123Z", 24, &u));
    ck_assert_int_eq(u, t);
    static const char *const bad[] = {"2015-11-02T10:00:00", "2015-11-02 10:00:00Z", "2015-11-02",
                                      "2015-11-02T24:00:00Z", "2015-11-02T10:00:00+1:00",
                                      "2015-11-02T10:00:00Zjunk", "2015-11-02T10:00:00.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!tally_parse_datetime(bad[i], strlen(bad[i]), &t), "\"%s\" accepted", bad[i]);
}
END_TEST

START_TEST(test_local_datetimes)
{
    int64_t t;
    /* Without an offset: read as if UTC; with one, not a local time. */
    ck_assert(tally_parse_local_datetime("2015-11-02T10:00:00", 19, &t));
    ck_assert_int_eq(t, 1446458400);
    ck_assert(tally_parse_local_datetime("2015-11-02T10:00:00.5", 21, &t));
    ck_assert_int_eq(t, 1446458400);
    static const char *const bad[] = {"2015-11-02T10:00:00Z", "2015-11-02T10:00:00+01:00",
                                      "2015-11-02T10:00", "2015-11-02 10:00:00",
                                      "2015-11-02T10:00:00.", "2015-11-02T25:00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!tally_parse_local_datetime(bad[i], strlen(bad[i]), &t), "\"%s\" accepted",
                      bad[i]);
    /* Reads no byte past the end: a 19-byte text followed by a fraction. */
    ck_assert(tally_parse_local_datetime("2015-11-02T10:00:00.123", 19, &t));
}
END_TEST

Suite *value_suite(void)
{
    Suite *s = suite_create("value");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_counts);
    tcase_add_test(tc, test_dates);
    tcase_add_test(tc, test_datetimes);
    tcase_add_test(tc, test_local_datetimes);
    suite_add_tcase(s, tc);
    return s;
}
