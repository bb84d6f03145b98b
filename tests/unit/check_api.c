/*
 * check_api.c — the library as a third party uses it: its version, and
 * (below) opening an input as the CLI does, from a path or from memory.
 */
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "tally/version.h"

START_TEST(test_version)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", TALLY_VERSION_MAJOR, TALLY_VERSION_MINOR,
             TALLY_VERSION_PATCH);
    ck_assert_str_eq(TALLY_VERSION_STRING, want);
    ck_assert_str_eq(tally_version_string(), want);
    ck_assert_int_eq(tally_version(), TALLY_VERSION_NUMBER);
    ck_assert_int_eq(TALLY_VERSION_NUMBER,
                     TALLY_VERSION_MAJOR * 10000 + TALLY_VERSION_MINOR * 100 + TALLY_VERSION_PATCH);
}
END_TEST

Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("version");
    tcase_add_test(tc, test_version);
    suite_add_tcase(s, tc);
    return s;
}
