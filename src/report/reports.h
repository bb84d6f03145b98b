/*
 * report/reports.h — the report implementations (internal); registry.c lists them.
 */
#ifndef TALLY_REPORTS_H
#define TALLY_REPORTS_H

#include "tally/report.h"

extern const struct tally_report_ops tally_text_report;
extern const struct tally_report_ops tally_json_report;
extern const struct tally_report_ops tally_html_report;
extern const struct tally_report_ops tally_junit_report;
extern const struct tally_report_ops tally_github_report;
extern const struct tally_report_ops tally_sarif_report;

/* Copy a report's spool (a tmpfile of rendered diagnostics) to out, from
 * its start. TALLY_EIO when reading or writing fails. */
int tally_spool_copy(FILE *spool, FILE *out);

#endif
