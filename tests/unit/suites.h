/* suites.h — every Check suite of the unit tests, one per module. Run from the
 * repository root (paths like "fixtures/..." are relative to it). */
#ifndef TALLY_TEST_SUITES_H
#define TALLY_TEST_SUITES_H

#include <check.h>

Suite *value_suite(void);
Suite *expr_suite(void);
Suite *registry_suite(void);
Suite *schema_suite(void);
Suite *csv_suite(void);
Suite *json_suite(void);
Suite *xml_suite(void);
Suite *xmlgen_suite(void);
Suite *validate_suite(void);
Suite *settle_suite(void);
Suite *build_suite(void);
Suite *html_suite(void);
Suite *tabular_suite(void);
Suite *workbook_suite(void);
Suite *disclosure_suite(void);
Suite *ees_suite(void);
Suite *escape_suite(void);
Suite *csvtext_suite(void);
Suite *csvtext_at_suite(void);
Suite *hash_suite(void);
Suite *api_suite(void);

#endif
