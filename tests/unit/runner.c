/*
 * runner.c — runs every unit-test suite (suites.h). CK_FORK=no runs them in
 * one process, for valgrind and gdb. Exit status 0 only when all pass.
 */
#include <stdlib.h>

#include "suites.h"
#include "tally/disclosure.h"

int main(void)
{
    Suite *(*const suites[])(void) = {
        value_suite, expr_suite, registry_suite, schema_suite, csv_suite, json_suite, xml_suite,
        xmlgen_suite, validate_suite, settle_suite, build_suite, html_suite, tabular_suite,
        workbook_suite, disclosure_suite, ees_suite, escape_suite, csvtext_suite, csvtext_at_suite,
        hash_suite, api_suite,
    };
    SRunner *sr = srunner_create(NULL);
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        srunner_add_suite(sr, suites[i]());
    srunner_run_all(sr, CK_NORMAL);
    tally_disclosure_thread_end();  /* GLPK's per-thread environment (CK_FORK=no runs here) */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
